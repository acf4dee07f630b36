"""Synapses and mitochondria of the synthetic sample: exact consistency with the connection
files (contract section 1), the file formats (section 2), locations and determinism.

Every expected value is recomputed here with pandas from the CSV files alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuprint_dsl.embedded.rois import NOT_PRIMARY, PRIMARY_ROIS, SUPER_ROI_CHILDREN, ancestors
from neuprint_dsl.embedded.sample import (
    SAMPLE_VOLUME,
    SYNAPSE_FILE_NAMES,
    SampleInfo,
    ensure_sample,
    generate_sample,
    sample_file_names,
    sample_roi_boxes,
)

SMALL = {"neurons": 200, "edges": 3000, "seed": 11}
COUNTS = ("pre", "post", "downstream", "upstream")


class Tables:
    def __init__(self, info: SampleInfo) -> None:
        assert info.synapses_csv and info.synapse_connections_csv
        assert info.mitochondria_csv and info.closest_mitochondria_csv
        self.info = info
        self.neurons = pd.read_csv(info.neurons_csv)
        self.roi = pd.read_csv(info.roi_connections_csv)
        self.total = pd.read_csv(info.total_connections_csv)
        self.synapses = pd.read_csv(info.synapses_csv, keep_default_na=False, na_values=[])
        self.pairs = pd.read_csv(info.synapse_connections_csv)
        self.mitos = pd.read_csv(info.mitochondria_csv, keep_default_na=False, na_values=[])
        self.close = pd.read_csv(info.closest_mitochondria_csv)
        self.meta = json.loads(info.meta_json.read_text(encoding="utf-8"))

    def pair_ends(self) -> pd.DataFrame:
        """One row per pair: both ends' body, type and primary ROI ("" = none)."""
        s = self.synapses.set_index("id")[["bodyId", "type", "roi"]]
        pre = s.add_suffix("_pre").reindex(self.pairs["pre_id"]).reset_index(drop=True)
        post = s.add_suffix("_post").reindex(self.pairs["post_id"]).reset_index(drop=True)
        return pd.concat([self.pairs, pre, post], axis=1)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    return Tables(generate_sample(tmp_path_factory.mktemp("synapses"), **SMALL))


def _with_super_rois(frame: pd.DataFrame, roi_column: str) -> pd.DataFrame:
    """``frame`` once per ROI in each row's ``rois`` (its primary ROI and that ROI's
    ancestors); rows without a primary ROI are dropped (NotPrimary has no roiInfo key)."""
    primary = frame[frame[roi_column] != ""]
    parts = [primary.assign(_roi=primary[roi_column])]
    for roi in PRIMARY_ROIS:
        for parent in ancestors(roi):
            rows = primary[primary[roi_column] == roi]
            parts.append(rows.assign(_roi=parent))
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------
# formats


def test_headers_and_meta(small: Tables) -> None:
    def header(path: Path | None) -> str:
        assert path is not None
        return path.read_text(encoding="utf-8").split("\n", 1)[0]

    info = small.info
    assert header(info.synapses_csv) == "id,bodyId,type,roi,x,y,z,confidence"
    assert header(info.synapse_connections_csv) == "pre_id,post_id"
    assert header(info.mitochondria_csv) == "id,bodyId,mitoType,roi,x,y,z,size,r0,r1,r2"
    assert header(info.closest_mitochondria_csv) == "synapse_id,mito_id,distance"
    assert [p.name for p in (info.synapses_csv, info.synapse_connections_csv)] == list(
        SYNAPSE_FILE_NAMES[:2]
    )
    meta = small.meta
    assert meta["postHighAccuracyThreshold"] == 0.5
    assert meta["synapses"] == len(small.synapses) == info.synapses
    assert meta["synapsePairs"] == len(small.pairs) == info.synapse_pairs == info.total_weight
    assert meta["mitochondria"] == len(small.mitos) == info.mitochondria
    assert meta["closeTo"] == len(small.close) == info.close_to
    for name in SYNAPSE_FILE_NAMES:
        data = (info.directory / name).read_bytes()
        assert data.endswith(b"\n") and b"\r" not in data and b'"' not in data


def test_column_types_and_ids(small: Tables) -> None:
    syn, mitos = small.synapses, small.mitos
    for frame in (syn, mitos):
        for column in ("id", "bodyId", "x", "y", "z"):
            assert frame[column].dtype == np.int64, column
    assert mitos["size"].dtype == np.int64
    assert syn["id"].is_unique and mitos["id"].is_unique
    assert syn["id"].is_monotonic_increasing and mitos["id"].is_monotonic_increasing
    assert not set(syn["id"]) & set(mitos["id"])  # one id space: a mix-up cannot go unnoticed
    assert set(syn["type"]) == {"pre", "post"}
    assert set(syn["roi"]) <= {"", *PRIMARY_ROIS} and (syn["roi"] == "").any()
    assert set(mitos["roi"]) <= {"", *PRIMARY_ROIS}
    assert set(mitos["mitoType"]) <= {"dark", "medium", "light"}
    bodies = set(small.neurons["bodyId"])
    assert set(syn["bodyId"]) <= bodies and set(mitos["bodyId"]) <= bodies
    assert not small.pairs.duplicated().any()
    assert small.pairs.equals(small.pairs.sort_values(["pre_id", "post_id"], ignore_index=True))
    assert small.close["synapse_id"].is_unique


def test_empty_roi_is_an_empty_field(small: Tables) -> None:
    assert small.info.synapses_csv is not None
    lines = small.info.synapses_csv.read_text(encoding="utf-8").splitlines()[1:]
    not_primary = [line for line in lines if line.split(",")[3] == ""]
    assert not_primary and all(",," in line for line in not_primary)


def test_confidences(small: Tables) -> None:
    conf = small.synapses["confidence"]
    assert (conf > small.meta["postHighAccuracyThreshold"]).all() and (conf <= 1.0).all()
    assert conf.median() > 0.8  # skewed high
    pre = small.synapses.loc[small.synapses["type"] == "pre", "confidence"]
    assert ((pre * 1000).round() == pre * 1000).all()  # 3 decimals, like neuPrint
    assert small.info.synapses_csv is not None
    text = small.info.synapses_csv.read_text(encoding="utf-8")
    assert all(len(line.rsplit(".", 1)[-1]) <= 6 for line in text.splitlines()[1:])


# ---------------------------------------------------------------------------------------
# exact consistency with the connection files


def test_pair_ends_have_the_right_types_and_one_roi(small: Tables) -> None:
    ends = small.pair_ends()
    assert ends[["bodyId_pre", "bodyId_post"]].notna().all().all()  # every id is known
    assert (ends["type_pre"] == "pre").all() and (ends["type_post"] == "post").all()
    assert (ends["roi_pre"] == ends["roi_post"]).all()
    syn = small.synapses
    # every post synapse ends exactly one pair; every T-bar starts at least one
    assert sorted(small.pairs["post_id"]) == sorted(syn.loc[syn["type"] == "post", "id"])
    assert set(small.pairs["pre_id"]) == set(syn.loc[syn["type"] == "pre", "id"])


def test_connection_weights_equal_pair_counts(small: Tables) -> None:
    ends = small.pair_ends()
    keys = ["bodyId_pre", "bodyId_post"]
    counted = ends.groupby(keys).size().rename("pairs").reset_index()
    merged = small.total.merge(counted, on=keys, how="outer")
    assert merged["weight"].notna().all() and merged["pairs"].notna().all()
    assert (merged["weight"] == merged["pairs"]).all()
    ends["roi"] = ends["roi_post"].replace("", NOT_PRIMARY)
    counted = ends.groupby([*keys, "roi"]).size().rename("pairs").reset_index()
    merged = small.roi.merge(counted, on=[*keys, "roi"], how="outer")
    assert merged["weight"].notna().all() and merged["pairs"].notna().all()
    assert (merged["weight"] == merged["pairs"]).all()
    assert (small.roi["roi"] == NOT_PRIMARY).any()


def test_neuron_totals_equal_synapse_counts(small: Tables) -> None:
    syn, ends = small.synapses, small.pair_ends()
    table = small.neurons.set_index("bodyId")
    index = table.index
    pre = syn[syn["type"] == "pre"].groupby("bodyId").size().reindex(index, fill_value=0)
    post = syn[syn["type"] == "post"].groupby("bodyId").size().reindex(index, fill_value=0)
    down = ends.groupby("bodyId_pre").size().reindex(index, fill_value=0)
    up = ends.groupby("bodyId_post").size().reindex(index, fill_value=0)
    assert (table["pre"] == pre).all() and (table["post"] == post).all()
    assert (table["downstream"] == down).all() and (table["upstream"] == up).all()
    assert (pre > 0).any() and (table["pre"] < table["downstream"]).any()  # polyadic T-bars


def test_roi_info_equals_synapse_counts_including_super_rois(small: Tables) -> None:
    syn, ends = small.synapses, small.pair_ends()
    expanded = _with_super_rois(syn, "roi")
    parts = {
        "pre": expanded[expanded["type"] == "pre"].groupby(["bodyId", "_roi"]).size(),
        "post": expanded[expanded["type"] == "post"].groupby(["bodyId", "_roi"]).size(),
        "downstream": _with_super_rois(ends, "roi_pre").groupby(["bodyId_pre", "_roi"]).size(),
        "upstream": _with_super_rois(ends, "roi_post").groupby(["bodyId_post", "_roi"]).size(),
    }
    expected: dict[tuple[int, str], dict[str, int]] = {}
    for key, series in parts.items():
        for (body, roi), count in series.items():
            expected.setdefault((int(body), str(roi)), dict.fromkeys(COUNTS, 0))[key] = int(count)
    actual = {
        (int(body), roi): counts
        for body, text in zip(small.neurons["bodyId"], small.neurons["roiInfo"], strict=True)
        for roi, counts in json.loads(text).items()
    }
    assert actual == expected
    assert any(roi in SUPER_ROI_CHILDREN for _, roi in actual)


# ---------------------------------------------------------------------------------------
# locations


def _inside(frame: pd.DataFrame, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    xyz = frame[["x", "y", "z"]].to_numpy()
    inside: np.ndarray = ((xyz >= lo) & (xyz < hi)).all(axis=1)
    return inside


def test_sample_roi_boxes_are_disjoint_and_in_the_volume() -> None:
    boxes = sample_roi_boxes()
    assert sorted(boxes) == sorted(PRIMARY_ROIS)
    lo = np.array([boxes[r][0] for r in PRIMARY_ROIS])
    hi = np.array([boxes[r][1] for r in PRIMARY_ROIS])
    assert (lo >= 0).all() and (hi <= np.array(SAMPLE_VOLUME)).all() and (lo < hi).all()
    extent = hi - lo
    assert (extent >= 2000).all()  # plausible neuropil sizes, thousands of voxels a side
    overlap = (np.minimum(hi[:, None], hi[None]) > np.maximum(lo[:, None], lo[None])).all(axis=2)
    assert (overlap == np.eye(len(PRIMARY_ROIS), dtype=bool)).all()
    assert sample_roi_boxes() == boxes


@pytest.mark.parametrize("table", ["synapses", "mitos"])
def test_locations_lie_in_their_roi_box(small: Tables, table: str) -> None:
    frame: pd.DataFrame = getattr(small, table)
    boxes = sample_roi_boxes()
    for roi, rows in frame[frame["roi"] != ""].groupby("roi"):
        lo, hi = boxes[str(roi)]
        assert _inside(rows, np.array(lo), np.array(hi)).all(), roi
    outside = frame[frame["roi"] == ""]
    for lo, hi in boxes.values():
        assert not _inside(outside, np.array(lo), np.array(hi)).any()
    xyz = frame[["x", "y", "z"]].to_numpy()
    assert (xyz >= 0).all() and (xyz < np.array(SAMPLE_VOLUME)).all()


def test_post_synapses_sit_near_their_t_bar(small: Tables) -> None:
    s = small.synapses.set_index("id")[["x", "y", "z"]]
    pre = s.reindex(small.pairs["pre_id"]).to_numpy()
    post = s.reindex(small.pairs["post_id"]).to_numpy()
    distance = np.sqrt(((pre - post) ** 2).sum(axis=1))
    assert np.median(distance) < 100 and np.quantile(distance, 0.99) < 200


# ---------------------------------------------------------------------------------------
# mitochondria


def test_mitochondria_values(small: Tables) -> None:
    mitos, syn = small.mitos, small.synapses
    assert (mitos["size"] > 0).all() and 5e4 < mitos["size"].median() < 8e5
    assert (mitos["r0"] >= mitos["r1"]).all() and (mitos["r1"] > 0).all()
    assert 10 < mitos["r1"].median() < 100
    assert ((mitos["r2"] > 0.5) & (mitos["r2"] < 1.0)).all()
    share = mitos["mitoType"].value_counts(normalize=True)
    assert share["dark"] > share["medium"] > share.get("light", 0.0)
    per_body = syn.groupby("bodyId").size()
    mitos_per_body = mitos.groupby("bodyId").size().reindex(per_body.index, fill_value=0)
    assert (mitos_per_body >= 1).all()  # every body with synapses has one
    assert set(mitos["bodyId"]) <= set(per_body.index)
    assert 25 < len(syn) / len(mitos) < 65


def test_close_to_links_a_synapse_to_a_mito_of_its_own_body(small: Tables) -> None:
    close = small.close
    s = small.synapses.set_index("id")
    m = small.mitos.set_index("id")
    syn_body = s["bodyId"].reindex(close["synapse_id"]).to_numpy()
    mito_body = m["bodyId"].reindex(close["mito_id"]).to_numpy()
    assert (
        not np.isnan(syn_body.astype(float)).any() and not np.isnan(mito_body.astype(float)).any()
    )
    assert (syn_body == mito_body).all()
    assert (close["distance"] >= 0).all() and np.isfinite(close["distance"]).all()
    assert 0.85 < len(close) / len(small.synapses) < 0.95
    # distance = max(0, euclid * [1, 1.6) - r1)
    euclid = np.sqrt(
        (
            (
                s[["x", "y", "z"]].reindex(close["synapse_id"]).to_numpy()
                - m[["x", "y", "z"]].reindex(close["mito_id"]).to_numpy()
            )
            ** 2
        ).sum(axis=1)
    )
    r1 = m["r1"].reindex(close["mito_id"]).to_numpy()
    dist = close["distance"].to_numpy()
    assert (dist <= np.maximum(euclid * 1.6 - r1, 0) + 1e-5).all()
    assert (dist >= np.maximum(euclid - r1, 0) - 1e-5).all()


def test_close_to_is_nearly_always_the_nearest_mito(small: Tables) -> None:
    syn = small.synapses.set_index("id")
    chosen = small.close.set_index("synapse_id")["mito_id"]
    hits = total = 0
    for body, mitos in small.mitos.groupby("bodyId"):
        rows = syn[syn["bodyId"] == body]
        rows = rows[rows.index.isin(chosen.index)]
        a = rows[["x", "y", "z"]].to_numpy(float)
        b = mitos[["x", "y", "z"]].to_numpy(float)
        nearest = mitos["id"].to_numpy()[((a[:, None] - b[None]) ** 2).sum(axis=2).argmin(axis=1)]
        hits += int((nearest == chosen.reindex(rows.index).to_numpy()).sum())
        total += len(rows)
    assert hits / total > 0.9


# ---------------------------------------------------------------------------------------
# determinism, synapses=False, the cache


def test_two_runs_are_byte_identical(tmp_path: Path, small: Tables) -> None:
    again = generate_sample(tmp_path, **SMALL)
    names = [*sample_file_names(), "meta.json", *SYNAPSE_FILE_NAMES]
    for name in names:
        assert (again.directory / name).read_bytes() == (
            small.info.directory / name
        ).read_bytes(), name


def test_without_synapses_only_the_old_files_are_written(tmp_path: Path, small: Tables) -> None:
    info = generate_sample(tmp_path, synapses=False, **SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*sample_file_names(), "meta.json"])
    for name in sample_file_names():
        assert (tmp_path / name).read_bytes() == (small.info.directory / name).read_bytes()
    assert info.synapses_csv is None and info.synapse_connections_csv is None
    assert info.mitochondria_csv is None and info.closest_mitochondria_csv is None
    assert (info.synapses, info.synapse_pairs, info.mitochondria, info.close_to) == (0, 0, 0, 0)
    meta = json.loads(info.meta_json.read_text(encoding="utf-8"))
    assert "synapses" not in meta and "postHighAccuracyThreshold" not in meta
    assert {k: v for k, v in small.meta.items() if k in meta} == meta


def test_traced_naming_keeps_the_synapse_file_names(tmp_path: Path, small: Tables) -> None:
    info = generate_sample(tmp_path, naming="traced", **SMALL)
    assert info.synapses_csv == tmp_path / "synapses.csv"
    for name in SYNAPSE_FILE_NAMES:
        assert (tmp_path / name).read_bytes() == (small.info.directory / name).read_bytes()


def test_tiny_and_empty_samples(tmp_path: Path) -> None:
    empty = generate_sample(tmp_path / "empty", neurons=4, edges=0)
    assert empty.synapses == empty.synapse_pairs == empty.mitochondria == empty.close_to == 0
    assert empty.synapses_csv is not None
    assert empty.synapses_csv.read_text() == "id,bodyId,type,roi,x,y,z,confidence\n"
    assert empty.closest_mitochondria_csv is not None
    assert empty.closest_mitochondria_csv.read_text() == "synapse_id,mito_id,distance\n"
    tiny = Tables(generate_sample(tmp_path / "tiny", neurons=3, edges=2, seed=4))
    assert len(tiny.pairs) == tiny.total["weight"].sum()
    assert tiny.mitos["bodyId"].nunique() == tiny.synapses["bodyId"].nunique()


def test_ensure_sample_requires_the_synapse_files(tmp_path: Path) -> None:
    target = ensure_sample(tmp_path / "s", neurons=30, edges=60, seed=2)
    for name in SYNAPSE_FILE_NAMES:
        assert (target / name).is_file()
    (target / "mitochondria.csv").unlink()  # incomplete: regenerated
    assert ensure_sample(target, neurons=30, edges=60, seed=2) == target
    assert (target / "mitochondria.csv").is_file()
    meta = json.loads((target / "meta.json").read_text())
    del meta["synapses"]  # written by a generator without synapses: regenerated
    (target / "meta.json").write_text(json.dumps(meta))
    ensure_sample(target, neurons=30, edges=60, seed=2)
    assert "synapses" in json.loads((target / "meta.json").read_text())
