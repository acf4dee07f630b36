"""The synthetic hemibrain-shaped sample: determinism, format, and exact internal consistency."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from neuprint_dsl.embedded.rois import (
    NOT_PRIMARY,
    PRIMARY_ROIS,
    ROI_HIERARCHY,
    SUPER_ROI_CHILDREN,
    SUPER_ROIS,
    all_rois,
    ancestors,
    primary_descendants,
)
from neuprint_dsl.embedded.sample import (
    DEFAULT_SAMPLE,
    NEURON_COLUMNS,
    SYNAPSE_FILE_NAMES,
    SampleInfo,
    cache_dir,
    default_sample_dir,
    ensure_sample,
    generate_sample,
)
from neuprint_dsl.errors import UnknownROI

SMALL = {"neurons": 200, "edges": 2000, "seed": 3}
FILES = (
    "neurons.csv",
    "roi-connections.csv",
    "total-connections.csv",
    "meta.json",
    *SYNAPSE_FILE_NAMES,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    return generate_sample(tmp_path_factory.mktemp("small"), **SMALL)


@pytest.fixture(scope="module")
def tables(small: SampleInfo) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    neurons = pd.read_csv(small.neurons_csv)
    roi = pd.read_csv(small.roi_connections_csv)
    total = pd.read_csv(small.total_connections_csv)
    return neurons, roi, total


def _roi_infos(neurons: pd.DataFrame) -> Iterator[tuple[int, dict[str, dict[str, int]]]]:
    for body, text in zip(neurons["bodyId"], neurons["roiInfo"], strict=True):
        yield int(body), json.loads(text)


# ---------------------------------------------------------------------------------------
# the ROI constants


def test_primary_rois_are_the_hemibrain_set() -> None:
    assert len(PRIMARY_ROIS) == 63
    assert list(PRIMARY_ROIS) == sorted(PRIMARY_ROIS)
    for roi in ("MB(R)", "CX", "SNP(R)", "VLNP(R)", "VMNP", "OL(R)", "INP"):
        assert roi in SUPER_ROIS
    for roi in ("a'L(R)", "b'L(R)", "FB", "EB", "SMP(R)", "LH(R)", "PRW", "SAD", "NO"):
        assert roi in PRIMARY_ROIS
    assert set(SUPER_ROI_CHILDREN["MB(R)"]) == {
        "CA(R)", "PED(R)", "a'L(R)", "aL(R)", "b'L(R)", "bL(R)", "gL(R)",
    }  # fmt: skip
    assert set(SUPER_ROI_CHILDREN["CX"]) == {"AB(L)", "AB(R)", "EB", "FB", "NO", "PB"}


def test_every_primary_roi_is_exactly_one_leaf() -> None:
    leaves: list[str] = []

    def walk(node: dict[str, object]) -> None:
        children = node.get("children")
        if isinstance(children, list):
            for child in children:
                walk(child)
        else:
            leaves.append(str(node["name"]))

    assert ROI_HIERARCHY["name"] == "hemibrain"
    walk(dict(ROI_HIERARCHY))
    assert sorted(leaves) == list(PRIMARY_ROIS)
    assert all_rois() == tuple(sorted(PRIMARY_ROIS + SUPER_ROIS))


def test_ancestors_and_descendants() -> None:
    assert ancestors("gL(R)") == ("MB(R)",)
    assert ancestors("PRW") == ()
    assert ancestors("CX") == ()
    assert primary_descendants("VLNP(R)") == ("AOTU(R)", "AVLP(R)", "PLP(R)", "PVLP(R)", "WED(R)")
    for roi in PRIMARY_ROIS:
        assert all(roi in SUPER_ROI_CHILDREN[parent] for parent in ancestors(roi))
    with pytest.raises(UnknownROI, match="did you mean"):
        ancestors("MB(r)")
    with pytest.raises(LookupError):
        primary_descendants(NOT_PRIMARY)


# ---------------------------------------------------------------------------------------
# determinism and file layout


def test_same_arguments_give_byte_identical_files(tmp_path: Path, small: SampleInfo) -> None:
    again = generate_sample(tmp_path / "again", **SMALL)
    for name in FILES:
        assert (again.directory / name).read_bytes() == (small.directory / name).read_bytes()
    assert again.roi_rows == small.roi_rows and again.total_weight == small.total_weight


def test_another_seed_gives_another_sample(tmp_path: Path, small: SampleInfo) -> None:
    other = generate_sample(tmp_path, **{**SMALL, "seed": SMALL["seed"] + 1})
    for name in ("neurons.csv", "roi-connections.csv", "total-connections.csv"):
        assert (other.directory / name).read_bytes() != (small.directory / name).read_bytes()


def test_headers(small: SampleInfo) -> None:
    def header(path: Path) -> str:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().rstrip("\n")

    assert header(small.neurons_csv) == ",".join(NEURON_COLUMNS)
    assert header(small.neurons_csv) == (
        "bodyId,type,instance,status,statusLabel,cropped,pre,post,downstream,upstream,size,"
        "somaLocation,somaRadius,cellBodyFiber,roiInfo"
    )
    assert header(small.roi_connections_csv) == "bodyId_pre,bodyId_post,roi,weight"
    assert header(small.total_connections_csv) == "bodyId_pre,bodyId_post,weight"
    assert b"\r" not in small.roi_connections_csv.read_bytes()


def test_traced_naming(tmp_path: Path, small: SampleInfo) -> None:
    info = generate_sample(tmp_path, naming="traced", **SMALL)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            "meta.json",
            "traced-neurons.csv",
            "traced-roi-connections.csv",
            "traced-total-connections.csv",
            *SYNAPSE_FILE_NAMES,  # the same names with either naming
        ]
    )
    assert info.naming == "traced"
    assert info.neurons_csv.read_bytes() == small.neurons_csv.read_bytes()
    assert info.roi_connections_csv.read_bytes() == small.roi_connections_csv.read_bytes()
    assert info.total_connections_csv.read_bytes() == small.total_connections_csv.read_bytes()


def test_meta_says_synthetic(small: SampleInfo) -> None:
    meta = json.loads(small.meta_json.read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["dataset"] == "hemibrain-synthetic"
    assert "not real data" in meta["description"]
    assert (meta["seed"], meta["neurons"], meta["edges"]) == (3, 200, 2000)
    assert meta["primaryRois"] == list(PRIMARY_ROIS)
    assert meta["rois"] == list(all_rois())
    assert meta["roiHierarchy"] == ROI_HIERARCHY
    assert re.fullmatch(r"neuprint-dsl \S+ sample v2", meta["generator"])


def test_progress_reports_stages_on_one_growing_scale(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_sample(tmp_path, neurons=50, edges=300, progress=lambda *a: calls.append(a))
    stages = [stage for stage, _, _ in calls]
    assert stages[0] == "neurons" and stages[-2] == "writing" and stages[-1] == "done"
    assert stages.index("connections") < stages.index("synapses") < stages.index("writing")
    assert set(stages) == {"neurons", "connections", "synapses", "writing", "done"}
    totals = {total for _, _, total in calls}
    assert len(totals) == 1 and calls[-1] == ("done", *totals, *totals)
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and all(0 <= d <= t for _, d, t in calls)
    calls.clear()
    generate_sample(
        tmp_path, neurons=50, edges=300, synapses=False, progress=lambda *a: calls.append(a)
    )
    assert {stage for stage, _, _ in calls} == {"neurons", "connections", "writing", "done"}


def test_large_samples_leave_synapses_out_unless_asked(tmp_path: Path) -> None:
    from neuprint_dsl.embedded.sample import SYNAPSES_UP_TO_EDGES

    small = generate_sample(tmp_path / "a", neurons=50, edges=300)
    assert small.synapses > 0 and small.synapses_csv is not None
    assert SYNAPSES_UP_TO_EDGES == 200_000
    with mock.patch("neuprint_dsl.embedded.sample.generate.SYNAPSES_UP_TO_EDGES", 299):
        large = generate_sample(tmp_path / "b", neurons=50, edges=300)
        asked = generate_sample(tmp_path / "c", neurons=50, edges=300, synapses=True)
    assert large.synapses == 0 and large.synapses_csv is None
    assert not (tmp_path / "b" / "synapses.csv").exists()
    assert asked.synapses == small.synapses
    for name in ("neurons.csv", "roi-connections.csv", "total-connections.csv"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


def test_progress_never_stands_still_while_generating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow step (here: making the pairs, slowed down) still moves the bar every beat."""
    import time

    import neuprint_dsl.embedded.sample.generate as generate
    import neuprint_dsl.progress as progress_module

    monkeypatch.setattr(progress_module, "HEARTBEAT_S", 0.05)
    real = generate.make_pairs

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(1.0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generate, "make_pairs", slow)
    stamps: list[tuple[float, int]] = []
    generate_sample(
        tmp_path,
        neurons=50,
        edges=300,
        synapses=False,
        progress=lambda _s, done, _t: stamps.append((time.monotonic(), done)),
    )
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stamps)]
    assert len(stamps) > 10 and max(gaps) < 0.5
    assert all(b[1] >= a[1] for a, b in itertools.pairwise(stamps))


# ---------------------------------------------------------------------------------------
# connections


def test_connections_are_exact_and_consistent(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    neurons, roi, total = tables
    assert len(total) == SMALL["edges"]
    assert not total.duplicated(["bodyId_pre", "bodyId_post"]).any()
    assert (total["bodyId_pre"] != total["bodyId_post"]).all()
    assert (total["weight"] >= 1).all() and (roi["weight"] >= 1).all()
    assert total.equals(total.sort_values(["bodyId_pre", "bodyId_post"], ignore_index=True))
    keys = ["bodyId_pre", "bodyId_post", "roi"]
    assert not roi.duplicated(keys).any()
    assert roi.equals(roi.sort_values(keys, ignore_index=True))
    assert set(roi["roi"]) <= {*PRIMARY_ROIS, NOT_PRIMARY}
    summed = roi.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    merged = total.merge(summed, on=["bodyId_pre", "bodyId_post"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["weight_x"] == merged["weight_y"]).all()
    bodies = set(neurons["bodyId"])
    assert set(total["bodyId_pre"]) <= bodies and set(total["bodyId_post"]) <= bodies


def test_weights_are_heavy_tailed_and_sometimes_not_primary(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    _, roi, total = tables
    assert (total["weight"] <= 5).mean() > 0.7
    assert total["weight"].max() >= 20
    assert (roi["roi"] == NOT_PRIMARY).any()
    assert roi.groupby(["bodyId_pre", "bodyId_post"]).size().max() >= 2
    out_degree = total.groupby("bodyId_pre").size()
    assert out_degree.max() >= 5 * out_degree.median()  # a few hubs, many small


def test_complete_graph_and_empty_graph(tmp_path: Path) -> None:
    full = generate_sample(tmp_path / "full", neurons=6, edges=30, seed=1)
    total = pd.read_csv(full.total_connections_csv)
    assert len(total) == 30 and not total.duplicated(["bodyId_pre", "bodyId_post"]).any()
    empty = generate_sample(tmp_path / "empty", neurons=5, edges=0)
    assert empty.roi_connections_csv.read_text() == "bodyId_pre,bodyId_post,roi,weight\n"
    assert empty.total_connections_csv.read_text() == "bodyId_pre,bodyId_post,weight\n"
    neurons = pd.read_csv(empty.neurons_csv)
    assert (neurons["roiInfo"] == "{}").all()
    assert (neurons[["pre", "post", "downstream", "upstream"]] == 0).all().all()


# ---------------------------------------------------------------------------------------
# neurons


def test_roi_info_is_compact_sorted_json(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    neurons, _, _ = tables
    for text in neurons["roiInfo"]:
        parsed = json.loads(text)
        assert json.dumps(parsed, sort_keys=True, separators=(",", ":")) == text
        assert NOT_PRIMARY not in parsed
        for counts in parsed.values():
            assert set(counts) == {"pre", "post", "downstream", "upstream"}
            assert counts["post"] > 0 or counts["downstream"] > 0


def test_roi_info_equals_the_connection_sums(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    neurons, roi, _ = tables
    primary = roi[roi["roi"] != NOT_PRIMARY]
    downstream = primary.groupby(["bodyId_pre", "roi"])["weight"].sum().to_dict()
    upstream = primary.groupby(["bodyId_post", "roi"])["weight"].sum().to_dict()
    touched: dict[int, set[str]] = {}
    for body, name in [*downstream, *upstream]:
        touched.setdefault(body, set()).add(name)
    seen = 0
    for body, info in _roi_infos(neurons):
        expected = touched.get(body, set())
        assert {r for r in info if r in PRIMARY_ROIS} == expected
        for name in expected:
            counts = info[name]
            assert counts["downstream"] == downstream.get((body, name), 0)
            assert counts["post"] == upstream.get((body, name), 0)
            assert counts["upstream"] == counts["post"]
            d = counts["downstream"]
            assert math.ceil(d / 8) <= counts["pre"] <= math.ceil(d / 2)  # T-bars, fan-out 2..8
            assert (counts["pre"] > 0) == (d > 0)
            seen += 1
    assert seen > 0


def test_super_level_rois_sum_their_children(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    neurons, _, _ = tables
    supers_seen = 0
    for _, info in _roi_infos(neurons):
        for parent, children in SUPER_ROI_CHILDREN.items():
            sums = {
                key: sum(info.get(child, {}).get(key, 0) for child in children)
                for key in ("pre", "post", "downstream", "upstream")
            }
            if any(sums.values()):
                assert info[parent] == sums
                supers_seen += 1
            else:
                assert parent not in info
        assert set(info) <= set(all_rois())
    assert supers_seen > 0


def test_neuron_totals_match_connections(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    neurons, _, total = tables
    table = neurons.set_index("bodyId")
    incoming = total.groupby("bodyId_post")["weight"].sum().reindex(table.index, fill_value=0)
    outgoing = total.groupby("bodyId_pre")["weight"].sum().reindex(table.index, fill_value=0)
    assert (table["post"] == incoming).all()
    assert (table["upstream"] == incoming).all()
    assert (table["downstream"] == outgoing).all()
    assert ((table["pre"] > 0) == (table["downstream"] > 0)).all()
    assert (table["pre"] <= table["downstream"]).all()
    for body, info in _roi_infos(neurons):
        primary_pre = sum(c["pre"] for r, c in info.items() if r in PRIMARY_ROIS)
        primary_post = sum(c["post"] for r, c in info.items() if r in PRIMARY_ROIS)
        assert primary_pre <= table.at[body, "pre"]  # the total also counts NotPrimary
        assert primary_post <= table.at[body, "post"]


def test_neuron_columns_look_like_the_hemibrain(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    neurons, _, _ = tables
    body = neurons["bodyId"]
    assert body.is_unique and body.is_monotonic_increasing
    assert body.astype(str).str.len().between(9, 10).all()
    types = neurons["type"].dropna()
    assert types.str.fullmatch(r"MBON\d+").any()
    assert types.str.fullmatch(r"KC.*").any()
    assert (types == "APL").sum() == 1
    assert neurons["type"].isna().any()
    assert types.value_counts().index[0].startswith("KC")
    instances = neurons["instance"].dropna()
    assert instances.str.contains(r"\(", regex=True).any()
    assert instances.str.endswith("_R").mean() > 0.5
    status = neurons["status"]
    assert status.isna().any() and status.nunique() >= 3
    assert set(status.dropna()) <= {"Traced", "Roughly traced", "Orphan", "Assign"}
    assert status.value_counts().index[0] == "Traced"
    assert neurons["statusLabel"].isna().any() and neurons["statusLabel"].nunique() >= 3
    assert set(neurons["cropped"].dropna().astype(str)) == {"True", "False"}
    assert neurons["cropped"].isna().any()
    soma = neurons["somaLocation"]
    assert 0.2 < soma.isna().mean() < 0.6
    assert soma.dropna().str.fullmatch(r"\[\d+, \d+, \d+\]").all()
    assert (neurons["somaRadius"].isna() == soma.isna()).all()
    assert neurons["cellBodyFiber"].isna().any() and neurons["cellBodyFiber"].notna().any()
    assert (neurons["size"] > 0).all()


def test_quoting_survives_a_round_trip(tmp_path: Path) -> None:
    info = generate_sample(tmp_path, neurons=3000, edges=0, seed=0)
    neurons = pd.read_csv(info.neurons_csv)
    instances = neurons["instance"].dropna()
    assert instances.str.contains(",").any()  # e.g. PAM15(y5,B'2a)_R, quoted in the file
    assert instances.str.contains("'").any()
    assert (neurons["type"] == "Giant Fiber").any() or (neurons["type"] == "PAM15").any()
    assert len(neurons) == 3000 and list(neurons.columns) == list(NEURON_COLUMNS)


# ---------------------------------------------------------------------------------------
# arguments and the cache


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"neurons": 1}, "neurons must be at least 2"),
        ({"neurons": 2.5}, "neurons must be an integer"),
        ({"neurons": True}, "neurons must be an integer"),
        ({"neurons": 4, "edges": 13}, r"edges must be at most neurons\*\(neurons-1\) = 12"),
        ({"edges": -1}, "edges must be non-negative"),
        ({"edges": "10"}, "edges must be an integer"),
        ({"seed": -1}, "seed must be non-negative"),
        ({"seed": 1.0}, "seed must be an integer"),
        ({"naming": "flat"}, "naming must be 'adjacencies' or 'traced'"),
    ],
)
def test_invalid_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"neurons": 10, "edges": 20, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_sample(tmp_path / "out", **arguments)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_numpy_integers_are_accepted(tmp_path: Path) -> None:
    info = generate_sample(tmp_path, neurons=np.int64(10), edges=np.int32(20), seed=np.uint8(2))
    assert (info.neurons, info.edges, info.seed) == (10, 20, 2)


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NEUPRINT_DSL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "neuprint-dsl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "neuprint-dsl"
    monkeypatch.setenv("NEUPRINT_DSL_CACHE", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"
    assert default_sample_dir().parent == tmp_path / "own"
    assert str(DEFAULT_SAMPLE["neurons"]) in default_sample_dir().name
    assert DEFAULT_SAMPLE == {"neurons": 3000, "edges": 150_000, "seed": 0}


def test_ensure_sample_builds_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEUPRINT_DSL_CACHE", str(tmp_path))
    calls: list[tuple[str, int, int]] = []
    first = ensure_sample(neurons=40, edges=120, seed=5, progress=lambda *a: calls.append(a))
    assert first.parent == tmp_path and calls
    stamp = (first / "neurons.csv").stat().st_mtime_ns
    calls.clear()
    again = ensure_sample(neurons=40, edges=120, seed=5, progress=lambda *a: calls.append(a))
    assert again == first and not calls
    assert (first / "neurons.csv").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no scratch left over
    (first / "meta.json").write_text("{}")  # a damaged sample is rebuilt
    assert ensure_sample(neurons=40, edges=120, seed=5) == first
    assert json.loads((first / "meta.json").read_text())["synthetic"] is True
