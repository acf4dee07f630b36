"""The synapse and mitochondrion functions of the compat layer (``SynapseCriteria``,
``MitoCriteria``, ``fetch_synapses``, ``fetch_mean_synapses``, ``fetch_synapse_connections``,
``fetch_mitochondria``, ``fetch_synapses_and_closest_mitochondria``,
``fetch_connection_mitochondria``).

End to end on the embedded engine: a sample with synapses is generated, loaded and queried
through ``Client(transport=neuprint_dsl.embedded(db))``; every answer is compared with an
independent pandas computation on the export files (``synapses.csv``,
``synapse-connections.csv``, ``mitochondria.csv``, ``closest-mitochondria.csv``,
``neurons.csv``, ``total-connections.csv``, ``meta.json``), following neuprint-python's
documented semantics (``queries/synapses.py``, ``queries/mito.py``). Then the criteria's
validation and text, and the exact neo4j Cypher each function sends (goldens).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuprint_dsl
import neuprint_dsl.compat.synapses as compat_synapses
from neuprint_dsl import N, S, UnknownROI
from neuprint_dsl.compat import (
    Client,
    IsNull,
    MitoCriteria,
    NeuronCriteria,
    SynapseCriteria,
    clear_default_client,
    fetch_adjacencies,
    fetch_connection_mitochondria,
    fetch_mean_synapses,
    fetch_mitochondria,
    fetch_synapse_connections,
    fetch_synapses,
    fetch_synapses_and_closest_mitochondria,
    set_default_client,
)
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

from .goldens import Goldens

pytestmark = pytest.mark.no_progress_bars

NC = NeuronCriteria
SC = SynapseCriteria
MC = MitoCriteria

SYNAPSE_DTYPES = {
    "bodyId": "int64",
    "type": "category",
    "roi": "object",
    "x": "int32",
    "y": "int32",
    "z": "int32",
    "confidence": "float32",
}
MEAN_DTYPES = {
    "bodyId": "int64",
    "roi": "object",
    "type": "category",
    "count": "int32",
    "x": "float32",
    "y": "float32",
    "z": "float32",
    "confidence": "float32",
}
CONNECTION_DTYPES = {
    "bodyId_pre": "int64",
    "bodyId_post": "int64",
    "roi_pre": "object",
    "roi_post": "object",
    "x_pre": "int32",
    "y_pre": "int32",
    "z_pre": "int32",
    "x_post": "int32",
    "y_post": "int32",
    "z_post": "int32",
    "confidence_pre": "float32",
    "confidence_post": "float32",
}
MITO_DTYPES = {
    "bodyId": "int64",
    "mitoType": "object",
    "roi": "object",
    "x": "int32",
    "y": "int32",
    "z": "int32",
    "size": "int32",
    "r0": "float32",
    "r1": "float32",
    "r2": "float32",
}
CLOSEST_DTYPES = {
    **SYNAPSE_DTYPES,
    "mitoType": "object",
    "distance": "float32",
    "size": "int32",
    "mx": "int32",
    "my": "int32",
    "mz": "int32",
    "r0": "float32",
    "r1": "float32",
    "r2": "float32",
}
MITO_SIDE = {
    "mitoType": "object",
    "distance": "float32",
    "mitoSize": "float64",
    "mx": "float64",
    "my": "float64",
    "mz": "float64",
}
CONNECTION_MITO_DTYPES = {
    **CONNECTION_DTYPES,
    **{f"{k}_pre": v for k, v in MITO_SIDE.items()},
    **{f"{k}_post": v for k, v in MITO_SIDE.items()},
}


# ---------------------------------------------------------------------------------------
# the export, read independently of the code under test


@dataclass(frozen=True)
class Export:
    directory: Path
    meta: dict[str, Any]
    neurons: pd.DataFrame  # neurons.csv, missing values None
    total: dict[tuple[int, int], int]  # (pre, post) -> weight
    syn: pd.DataFrame  # synapses.csv + "rois" (tuple: primary ROI and its ancestors, sorted)
    pairs: pd.DataFrame  # synapse-connections.csv joined with both synapses (_pre/_post)
    mito: pd.DataFrame  # mitochondria.csv + "rois"
    closest: pd.DataFrame  # closest-mitochondria.csv

    @property
    def primary(self) -> list[str]:
        return sorted(self.meta["primaryRois"])

    def bodies(self, keep: Callable[[dict[str, Any]], bool]) -> set[int]:
        records: list[dict[str, Any]] = self.neurons.to_dict("records")  # type: ignore[assignment]
        return {int(r["bodyId"]) for r in records if keep(r)}


def _parents(node: dict[str, Any], parent: str | None, out: dict[str, str]) -> None:
    for child in node.get("children") or []:
        if parent is not None:
            out[child["name"]] = parent
        _parents(child, child["name"], out)


def _with_ancestors(roi: Any, parents: dict[str, str]) -> tuple[str, ...]:
    if not isinstance(roi, str):
        return ()
    names = [roi]
    while names[-1] in parents:
        names.append(parents[names[-1]])
    return tuple(sorted(names))


def read_export(directory: Path) -> Export:
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    parents: dict[str, str] = {}
    _parents(meta["roiHierarchy"], None, parents)  # the root is the volume, not an ROI
    neurons = pd.read_csv(directory / "neurons.csv")
    neurons = neurons.astype(object).where(neurons.notna(), None)
    total = pd.read_csv(directory / "total-connections.csv")
    weights = {
        (int(a), int(b)): int(w)
        for a, b, w in total[["bodyId_pre", "bodyId_post", "weight"]].itertuples(
            index=False, name=None
        )
    }
    syn = pd.read_csv(directory / "synapses.csv")
    syn["roi"] = syn["roi"].astype(object).where(syn["roi"].notna(), None)
    syn["rois"] = [_with_ancestors(r, parents) for r in syn["roi"]]
    links = pd.read_csv(directory / "synapse-connections.csv")
    pairs = links.merge(syn.add_suffix("_pre"), left_on="pre_id", right_on="id_pre").merge(
        syn.add_suffix("_post"), left_on="post_id", right_on="id_post"
    )
    assert len(pairs) == len(links)
    mito = pd.read_csv(directory / "mitochondria.csv")
    mito["roi"] = mito["roi"].astype(object).where(mito["roi"].notna(), None)
    mito["rois"] = [_with_ancestors(r, parents) for r in mito["roi"]]
    closest = pd.read_csv(directory / "closest-mitochondria.csv")
    return Export(directory, meta, neurons, weights, syn, pairs, mito, closest)


def _norm(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_norm(v) for v in value)
    return value


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(_norm(v) for v in row) for row in frame.itertuples(index=False, name=None)]


def _key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(v) for v in row)


def assert_same_rows(got: pd.DataFrame, want: list[tuple[Any, ...]], ordered: bool = False) -> None:
    have = rows(got)
    if not ordered:
        have, want = sorted(have, key=_key), sorted(want, key=_key)
    assert len(have) == len(want)
    assert have == want


def f32(value: Any) -> Any:
    return None if value is None else float(np.float32(value))


def assert_dtypes(frame: pd.DataFrame, dtypes: dict[str, str]) -> None:
    assert list(frame.columns) == list(dtypes)
    assert {c: str(t) for c, t in frame.dtypes.items()} == dtypes
    if "type" in frame.columns:
        assert list(frame["type"].cat.categories) == ["pre", "post"]


# ---------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    directory = tmp_path_factory.mktemp("compat-synapses") / "export"
    generate_sample(directory, neurons=300, edges=6000, seed=23, synapses=True)
    return read_export(directory)


@pytest.fixture(scope="module")
def client(export: Export) -> Iterator[Client]:
    db = load(export.directory, export.directory.parent / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    set_default_client(c)
    yield c
    clear_default_client()
    c.transport.close()


# ---------------------------------------------------------------------------------------
# independent expectations


def syn_mask(
    frame: pd.DataFrame,
    rois: list[str] | None,
    type_: str | None,
    confidence: float,
    suffix: str = "",
) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if confidence:
        keep &= frame[f"confidence{suffix}"] > confidence  # strictly, as neuprint-python
    if type_:
        keep &= frame[f"type{suffix}"] == type_
    if rois:
        keep &= frame[f"rois{suffix}"].map(lambda r: bool(set(r) & set(rois)))
    return keep


def expected_synapses(
    x: Export,
    bodies: set[int],
    rois: list[str] | None = None,
    type_: str | None = None,
    confidence: float = 0.5,
    primary_only: bool = True,
) -> list[tuple[Any, ...]]:
    syn = x.syn[x.syn["bodyId"].isin(bodies) & syn_mask(x.syn, rois, type_, confidence)]
    out = []
    for r in syn.to_dict("records"):
        names = [r["roi"]] if primary_only else list(r["rois"]) or [None]
        for roi in names:
            out.append((r["bodyId"], r["type"], roi, r["x"], r["y"], r["z"], f32(r["confidence"])))
    return out


def expected_pairs(
    x: Export,
    sources: set[int] | None,
    targets: set[int] | None,
    rois: list[str] | None = None,
    confidence: float = 0.5,
    primary_only: bool = True,
    min_total_weight: int = 1,
) -> pd.DataFrame:
    p = x.pairs
    keep = syn_mask(p, None, None, confidence, "_pre") & syn_mask(
        p, rois, None, confidence, "_post"
    )
    if sources is not None:
        keep &= p["bodyId_pre"].isin(sources)
    if targets is not None:
        keep &= p["bodyId_post"].isin(targets)
    weight = [
        x.total[(int(a), int(b))] for a, b in zip(p["bodyId_pre"], p["bodyId_post"], strict=True)
    ]
    keep &= pd.Series(weight, index=p.index) >= min_total_weight
    return p[keep]


def pair_rows(p: pd.DataFrame, primary_only: bool) -> list[tuple[Any, ...]]:
    out = []
    for r in p.to_dict("records"):
        if primary_only:
            roi_pre, roi_post = r["roi_pre"], r["roi_post"]
        else:
            roi_pre, roi_post = r["rois_pre"] or (None,), r["rois_post"] or (None,)
        out.append(
            (
                r["bodyId_pre"],
                r["bodyId_post"],
                roi_pre,
                roi_post,
                r["x_pre"],
                r["y_pre"],
                r["z_pre"],
                r["x_post"],
                r["y_post"],
                r["z_post"],
                f32(r["confidence_pre"]),
                f32(r["confidence_post"]),
            )
        )
    return out


# ---------------------------------------------------------------------------------------
# the sample itself


def test_sample_has_synapses(export: Export) -> None:
    assert len(export.syn) > 10_000 and len(export.pairs) > 10_000 and len(export.mito) > 100
    assert (export.syn["confidence"] > 0.5).all()
    assert export.syn["roi"].isna().any()  # some synapses lie outside every primary ROI
    assert export.meta["postHighAccuracyThreshold"] == 0.5


# ---------------------------------------------------------------------------------------
# SynapseCriteria and MitoCriteria


def test_synapse_criteria_defaults(client: Client) -> None:
    sc = SC(client=client)
    assert sc.confidence == 0.5 and sc.rois == [] and sc.type is None and sc.primary_only
    assert repr(sc) == "SynapseCriteria('s', confidence=0.5, primary_only=True)  # confidence > 0.5"
    assert sc == SC()  # the default client
    assert sc != SC(confidence=0.6)
    assert str(sc.to_expr()) == "confidence > 0.5"


def test_synapse_criteria_expr_and_condition(client: Client) -> None:
    sc = SC(rois=["SMP(R)", "b'L(R)"], type="pre", confidence=0.9, client=client)
    assert sc.to_expr() == ((S.roi("SMP(R)") | S.roi("b'L(R)")) & (S.confidence > 0.9)) & (
        S.type == "pre"
    )
    assert sc.condition("n", "s", prefix=4) == (
        "// -- Filter synapse 's' --\n"
        "    WITH n, s\n"
        "    WHERE (s.`SMP(R)` OR s.`b'L(R)`) AND (s.confidence > 0.9) AND (s.type = 'pre')\n"
    )
    assert SC(confidence=0, client=client).condition() == ""
    with pytest.raises(ValueError, match="match vars"):
        sc.condition("n")
    assert repr(sc) == (
        "SynapseCriteria('s', rois=['SMP(R)', \"b'L(R)\"], type='pre', confidence=0.9, "
        "primary_only=True)  # " + sc.to_expr().to_text()
    )
    assert str(sc & (S.z > 5)) == (
        '(roi("SMP(R)") or roi("b\'L(R)")) and confidence > 0.9 and type = "pre" and z > 5'
    )


def test_synapse_criteria_validation(client: Client) -> None:
    with pytest.raises(UnknownROI, match="did you mean 'SMP\\(R\\)'"):
        SC(rois=["SMP(RR)"], client=client)
    with pytest.raises(ValueError, match="non-primary ROIs \\(MB\\(R\\)\\)"):
        SC(rois=["MB(R)", "CA(R)"], client=client)
    assert SC(rois=["MB(R)"], primary_only=False, client=client).rois == ["MB(R)"]
    with pytest.raises(ValueError, match="Invalid synapse type"):
        SC(type="both", client=client)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SC(confidence="high", client=client)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SC(rois=[1], client=client)  # type: ignore[list-item]
    assert SC(type="", client=client).type is None


def test_synapse_criteria_needs_a_client_only_for_the_default_confidence(client: Client) -> None:
    clear_default_client()
    try:
        with pytest.raises(RuntimeError, match="postHighAccuracyThreshold"):
            SC()
        sc = SC(rois=["anything"], confidence=0.2)  # nothing to check the name against
        assert str(sc.to_expr()) == 'roi("anything") and confidence > 0.2'
    finally:
        set_default_client(client)


def test_mito_criteria(client: Client) -> None:
    mc = MC(rois=["FB", "LAL(R)"], mitoType="dark", size=100_000, client=client)
    assert (
        str(mc.to_expr()) == '(roi("FB") or roi("LAL(R)")) and size >= 100000 and mitoType = "dark"'
    )
    assert mc.condition("n", "m", comments=False) == (
        "WITH n, m\n"
        'WHERE m.type = "mitochondrion" AND (m.FB OR m.`LAL(R)`) AND (m.size >= 100000) '
        "AND (m.mitoType = 'dark')\n"
    )
    assert repr(mc) == (
        "MitoCriteria('m', rois=['FB', 'LAL(R)'], mitoType='dark', size=100000, primary_only=True)"
        "  # " + mc.to_expr().to_text()
    )
    assert mc == MC(rois=["FB", "LAL(R)"], mitoType="dark", size=100_000)
    assert MC().to_expr() == neuprint_dsl.TRUE
    # a non-primary ROI is fine: neuprint-python checks only that it exists
    assert MC(rois=["MB(R)"], client=client).rois == ["MB(R)"]
    with pytest.raises(ValueError, match="Invalid mitoType"):
        MC(mitoType="bright", client=client)  # type: ignore[arg-type]
    with pytest.raises(UnknownROI):
        MC(rois=["FBB"], client=client)


# ---------------------------------------------------------------------------------------
# fetch_synapses

SYNAPSE_CASES: dict[str, tuple[Any, Callable[[dict[str, Any]], bool], dict[str, Any]]] = {
    "default": (NC(status="Traced"), lambda r: r["status"] == "Traced", {}),
    "rois-type": (
        NC(),
        lambda r: True,
        {"rois": ["SMP(R)", "SLP(R)"], "type_": "pre"},
    ),
    "post-strict-confidence": (
        NC(type="KC.*"),
        lambda r: isinstance(r["type"], str) and r["type"].startswith("KC"),
        {"type_": "post", "confidence": 0.948},
    ),
    "all-rois": (
        NC(status="Traced"),
        lambda r: r["status"] == "Traced",
        {"primary_only": False},
    ),
    "nonprimary-roi": (NC(), lambda r: True, {"rois": ["MB(R)"], "primary_only": False}),
    "no-confidence-test": (NC(status=IsNull), lambda r: r["status"] is None, {"confidence": 0}),
}


def _sc(client: Client, spec: dict[str, Any]) -> SynapseCriteria:
    return SC(
        rois=spec.get("rois"),
        type=spec.get("type_"),
        confidence=spec.get("confidence"),
        primary_only=spec.get("primary_only", True),
        client=client,
    )


def _spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {"confidence": 0.5, **spec}


@pytest.mark.parametrize("case", sorted(SYNAPSE_CASES))
def test_fetch_synapses(case: str, export: Export, client: Client) -> None:
    criteria, keep, spec = SYNAPSE_CASES[case]
    got = fetch_synapses(criteria, _sc(client, spec), client=client)
    want = expected_synapses(export, export.bodies(keep), **_spec(spec))
    assert_dtypes(got, SYNAPSE_DTYPES)
    assert len(want) > 0
    assert_same_rows(got, want)
    assert got["bodyId"].is_monotonic_increasing


def test_fetch_synapses_strictly_greater_confidence(export: Export, client: Client) -> None:
    at = export.syn[export.syn["confidence"] == 0.948]
    assert len(at) > 0
    got = fetch_synapses(sorted(set(at["bodyId"])), SC(confidence=0.948), client=client)
    assert (got["confidence"] > np.float32(0.948)).all()
    assert (
        len(got)
        == (export.syn["bodyId"].isin(at["bodyId"]) & (export.syn["confidence"] > 0.948)).sum()
    )


@pytest.mark.parametrize("batch_size", [1, 3, 10_000])
def test_fetch_synapses_batches_agree(batch_size: int, export: Export, client: Client) -> None:
    bodies = sorted(export.bodies(lambda r: r["status"] == "Roughly traced"))[:12]
    got = fetch_synapses(bodies, batch_size=batch_size, client=client)
    assert_same_rows(got, expected_synapses(export, set(bodies)))
    reference = fetch_synapses(bodies, batch_size=100, client=client)
    pd.testing.assert_frame_equal(got, reference)


def test_fetch_synapses_neuron_rois_only_choose_bodies(export: Export, client: Client) -> None:
    got = fetch_synapses(NC(rois=["EB"], status="Traced"), client=client)
    bodies = export.bodies(
        lambda r: r["status"] == "Traced" and "EB" in json.loads(r["roiInfo"] or "{}")
    )
    assert_same_rows(got, expected_synapses(export, bodies))
    assert set(got["roi"].dropna()) - {"EB"}  # synapses elsewhere in those bodies


def test_fetch_synapses_dsl_predicate_and_default_client(export: Export, client: Client) -> None:
    got = fetch_synapses((N.pre >= 30) & ~N.cropped)
    bodies = export.bodies(lambda r: (r["pre"] or 0) >= 30 and r["cropped"] is not True)
    assert_same_rows(got, expected_synapses(export, bodies))


def test_fetch_synapses_empty(client: Client) -> None:
    got = fetch_synapses(NC(type="no such type"), client=client)
    assert_dtypes(got, SYNAPSE_DTYPES)
    assert got.empty
    got = fetch_synapses(NC(status="Traced"), SC(rois=["EB"], confidence=1.0), client=client)
    assert_dtypes(got, SYNAPSE_DTYPES)
    assert got.empty


def test_fetch_synapses_nt(client: Client) -> None:
    with pytest.raises(RuntimeError, match="No neurotransmitter properties"):
        fetch_synapses(NC(type="APL"), nt="max", client=client)
    with pytest.raises(ValueError, match="Invalid option for nt"):
        fetch_synapses(NC(type="APL"), nt="some", client=client)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="No neurotransmitter properties"):
        fetch_synapse_connections(NC(type="APL"), nt="all", client=client)


def test_bad_batch_size(client: Client) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        fetch_synapses(NC(type="APL"), batch_size=0, client=client)
    with pytest.raises(TypeError, match="synapse_criteria"):
        fetch_synapses(NC(type="APL"), MC(), client=client)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# fetch_mean_synapses


def expected_means(
    x: Export, bodies: set[int], spec: dict[str, Any], by_roi: bool, rois: list[str]
) -> list[tuple[Any, ...]]:
    spec = _spec(spec)
    if not by_roi:
        spec = {**spec, "primary_only": True}
    table = pd.DataFrame(
        expected_synapses(x, bodies, **spec),
        columns=["bodyId", "type", "roi", "x", "y", "z", "confidence"],
    )
    if by_roi:
        table = table[table["roi"].isin(rois)]
    keys = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]
    table = table.astype({"x": "float64", "y": "float64", "z": "float64"})
    agg = table.groupby(keys).agg(
        count=("x", "size"), x=("x", "mean"), y=("y", "mean"), z=("z", "mean")
    )
    out = [
        (*key, int(n), f32(mx), f32(my), f32(mz))  # confidence: compared with a tolerance
        for key, n, mx, my, mz in agg.itertuples(index=True, name=None)
    ]
    return sorted(out, key=lambda r: (*r[:-5], r[-5] == "post"))  # pre before post


MEAN_CASES: dict[str, tuple[Any, Callable[[dict[str, Any]], bool], dict[str, Any]]] = {
    "default": (NC(status="Traced"), lambda r: r["status"] == "Traced", {}),
    "rois-pre": (NC(), lambda r: True, {"rois": ["SMP(R)", "SLP(R)"], "type_": "pre"}),
    "all-rois": (NC(status="Traced"), lambda r: r["status"] == "Traced", {"primary_only": False}),
}


@pytest.mark.parametrize("by_roi", [True, False])
@pytest.mark.parametrize("case", sorted(MEAN_CASES))
def test_fetch_mean_synapses(case: str, by_roi: bool, export: Export, client: Client) -> None:
    criteria, keep, spec = MEAN_CASES[case]
    sc = _sc(client, spec)
    got = fetch_mean_synapses(criteria, sc, by_roi=by_roi, client=client)
    dtypes = MEAN_DTYPES if by_roi else {k: v for k, v in MEAN_DTYPES.items() if k != "roi"}
    assert_dtypes(got, dtypes)
    if spec.get("rois"):
        rois = spec["rois"]
    else:
        rois = client.primary_rois if sc.primary_only else client.all_rois
    bodies = export.bodies(keep)
    want = expected_means(export, bodies, spec, by_roi, rois)
    assert len(want) > 0
    have = [row[:-1] for row in rows(got)]  # confidence checked below
    assert have == want  # ordered by body, ROI, type (pre before post)
    # mean confidence, against float64 means of the exact CSV values
    spec_all = _spec(spec) if by_roi else {**_spec(spec), "primary_only": True}
    table = pd.DataFrame(
        expected_synapses(export, bodies, **spec_all),
        columns=["bodyId", "type", "roi", "x", "y", "z", "confidence"],
    )
    if by_roi:
        table = table[table["roi"].isin(rois)]
    keys = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]
    conf = table.groupby(keys)["confidence"].mean().to_dict()
    expected_conf = [conf[row[: len(keys)]] for row in rows(got)]
    assert np.allclose(got["confidence"].to_numpy(), expected_conf, rtol=0, atol=1e-6)


@pytest.mark.parametrize("by_roi", [True, False])
@pytest.mark.parametrize("case", sorted(MEAN_CASES))
def test_fetch_mean_synapses_in_the_engine_is_the_pandas_path(
    case: str, by_roi: bool, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded engine aggregates; the answer is the one grouping every row in pandas
    gives (counts and keys exactly, float32 means to one unit in the last place)."""
    criteria, _, spec = MEAN_CASES[case]
    sc = _sc(client, spec)
    in_engine = fetch_mean_synapses(criteria, sc, by_roi=by_roi, client=client)
    monkeypatch.setattr(compat_synapses, "_AGGREGATING_DIALECTS", frozenset())
    in_pandas = fetch_mean_synapses(criteria, sc, by_roi=by_roi, client=client)
    assert len(in_engine) > 10
    values = ["x", "y", "z", "confidence"]
    pd.testing.assert_frame_equal(in_engine.drop(columns=values), in_pandas.drop(columns=values))
    for column in values:
        np.testing.assert_allclose(in_engine[column], in_pandas[column], rtol=2e-7)


def test_fetch_synapses_in_the_engine_ignores_small_batches(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the embedded engine, batch_size=10 still sends at least 1,000 bodies per query
    (the same answer, fewer queries); the rows come in the documented order."""
    # the engine's route (the synapse companion, when present, answers without a query)
    monkeypatch.setattr(compat_synapses, "companion_synapses", lambda *a, **k: None)
    sent: list[Any] = []
    for method in ("execute", "execute_arrow"):
        original = getattr(type(client.transport), method)
        monkeypatch.setattr(
            type(client.transport),
            method,
            lambda self, stmt, original=original: sent.append(stmt) or original(self, stmt),
        )
    got = fetch_synapses(NC(status="Traced"), batch_size=10, client=client)
    assert len(sent) == 2  # the bodies, then their synapses in one query
    assert "ORDER BY" not in sent[1].text  # the rows are sorted in Arrow
    order = compat_synapses.SYNAPSE_ORDER
    resorted = got.assign(type=got["type"].astype(str)).sort_values(order, kind="stable")
    assert list(resorted.index) == list(range(len(got)))


def test_fetch_mean_synapses_batches_agree(export: Export, client: Client) -> None:
    bodies = sorted(export.bodies(lambda r: r["status"] == "Traced"))[:15]
    one = fetch_mean_synapses(bodies, batch_size=1, client=client)
    many = fetch_mean_synapses(bodies, batch_size=1000, client=client)
    assert len(one) > 15
    pd.testing.assert_frame_equal(one, many)


def test_fetch_mean_synapses_counts_match_fetch_synapses(client: Client) -> None:
    syn = fetch_synapses(NC(status="Traced"), client=client)
    means = fetch_mean_synapses(NC(status="Traced"), by_roi=False, client=client)
    counts = syn.groupby(["bodyId", "type"], observed=True).size()
    assert means.set_index(["bodyId", "type"])["count"].to_dict() == counts.to_dict()


def test_fetch_mean_synapses_empty_has_every_column(client: Client) -> None:
    """neuprint-python's empty table lacks ``confidence`` and puts ``type`` before ``roi``."""
    got = fetch_mean_synapses(NC(type="no such type"), client=client)
    assert_dtypes(got, MEAN_DTYPES)
    got = fetch_mean_synapses(NC(type="no such type"), by_roi=False, client=client)
    assert list(got.columns) == ["bodyId", "type", "count", "x", "y", "z", "confidence"]
    with pytest.raises(TypeError, match="by_roi"):
        fetch_mean_synapses(NC(type="APL"), by_roi="yes", client=client)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# fetch_synapse_connections

CONNECTION_CASES: dict[str, tuple[Any, Any, Any, Any, dict[str, Any]]] = {
    # name: (source criteria, source filter, target criteria, target filter, spec)
    "traced-to-any": (
        NC(status="Traced"),
        lambda r: r["status"] == "Traced",
        None,
        None,
        {},
    ),
    "any-to-kc-in-rois": (
        None,
        None,
        NC(type="KC.*"),
        lambda r: isinstance(r["type"], str) and r["type"].startswith("KC"),
        {"rois": ["CA(R)", "PED(R)"]},
    ),
    "both-sides-weight": (
        NC(status="Traced"),
        lambda r: r["status"] == "Traced",
        NC(status="Traced"),
        lambda r: r["status"] == "Traced",
        {"min_total_weight": 5, "confidence": 0.9},
    ),
    "all-rois": (
        NC(status="Roughly traced"),
        lambda r: r["status"] == "Roughly traced",
        None,
        None,
        {"primary_only": False},
    ),
    "nonprimary-post-roi": (
        NC(status="Traced"),
        lambda r: r["status"] == "Traced",
        None,
        None,
        {"primary_only": False, "rois": ["MB(R)", "INP"]},
    ),
}


@pytest.mark.parametrize("case", sorted(CONNECTION_CASES))
def test_fetch_synapse_connections(case: str, export: Export, client: Client) -> None:
    src, src_keep, tgt, tgt_keep, spec = CONNECTION_CASES[case]
    weight = spec.get("min_total_weight", 1)
    got = fetch_synapse_connections(src, tgt, _sc(client, spec), weight, client=client)
    assert_dtypes(got, CONNECTION_DTYPES)
    expected = expected_pairs(
        export,
        export.bodies(src_keep) if src_keep else None,
        export.bodies(tgt_keep) if tgt_keep else None,
        spec.get("rois"),
        _spec(spec)["confidence"],
        spec.get("primary_only", True),
        weight,
    )
    want = pair_rows(expected, spec.get("primary_only", True))
    assert len(want) > 0
    assert_same_rows(got, want)
    order = ["bodyId_pre", "bodyId_post", "x_pre", "y_pre", "z_pre", "x_post", "y_post", "z_post"]
    assert got[order].apply(tuple, axis=1).is_monotonic_increasing


def test_synapse_connections_match_connection_weights(export: Export, client: Client) -> None:
    """With the default criteria every counted synapse is kept: pairs per body pair ==
    ConnectsTo weight, and per post ROI == fetch_adjacencies' per-ROI weight."""
    got = fetch_synapse_connections(NC(status="Traced"), None, client=client)
    counts = got.groupby(["bodyId_pre", "bodyId_post"]).size().to_dict()
    traced = export.bodies(lambda r: r["status"] == "Traced")
    assert counts == {k: w for k, w in export.total.items() if k[0] in traced}
    _, roi_conn = fetch_adjacencies(NC(status="Traced"), None, client=client, progress=False)
    roi_conn = roi_conn[roi_conn["roi"] != "NotPrimary"]
    per_roi = (
        got.dropna(subset=["roi_post"]).groupby(["bodyId_pre", "bodyId_post", "roi_post"]).size()
    )
    assert per_roi.to_dict() == {
        (a, b, r): w for a, b, r, w in roi_conn.itertuples(index=False, name=None)
    }


@pytest.mark.parametrize("batch_size", [1, 7, 10_000])
def test_fetch_synapse_connections_batches_agree(
    batch_size: int, export: Export, client: Client
) -> None:
    src = sorted(export.bodies(lambda r: r["status"] == "Roughly traced"))[:4]
    got = fetch_synapse_connections(src, None, batch_size=batch_size, client=client)
    reference = fetch_synapse_connections(src, None, batch_size=100_000, client=client)
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, reference)


def test_fetch_synapse_connections_groups_by_the_smaller_side(
    export: Export, client: Client
) -> None:
    """Many sources, few targets: batches are cut on the target side."""
    kc = NC(type="KC.*")
    got = fetch_synapse_connections(None, kc, batch_size=20, client=client)
    want = pair_rows(
        expected_pairs(
            export,
            None,
            export.bodies(lambda r: isinstance(r["type"], str) and r["type"].startswith("KC")),
        ),
        True,
    )
    assert_same_rows(got, want)


def test_fetch_synapse_connections_errors_and_empty(client: Client) -> None:
    with pytest.raises(ValueError, match="source or target"):
        fetch_synapse_connections(None, None, client=client)
    got = fetch_synapse_connections(NC(type="no such type"), None, client=client)
    assert_dtypes(got, CONNECTION_DTYPES)
    assert got.empty
    got = fetch_synapse_connections(
        NC(status="Traced"), None, min_total_weight=10**9, client=client
    )
    assert_dtypes(got, CONNECTION_DTYPES)
    assert got.empty


# ---------------------------------------------------------------------------------------
# mitochondria


def expected_mitos(
    x: Export,
    bodies: set[int],
    rois: list[str] | None = None,
    mito_type: str | None = None,
    size: int = 0,
    primary_only: bool = True,
) -> list[tuple[Any, ...]]:
    m = x.mito[x.mito["bodyId"].isin(bodies)]
    if rois:
        m = m[m["rois"].map(lambda r: bool(set(r) & set(rois)))]
    if mito_type:
        m = m[m["mitoType"] == mito_type]
    if size:
        m = m[m["size"] >= size]
    out = []
    for r in m.to_dict("records"):
        names = [r["roi"]] if primary_only else list(r["rois"]) or [None]
        for roi in names:
            out.append(
                (
                    r["bodyId"],
                    r["mitoType"],
                    roi,
                    r["x"],
                    r["y"],
                    r["z"],
                    r["size"],
                    f32(r["r0"]),
                    f32(r["r1"]),
                    f32(r["r2"]),
                )
            )
    return out


MITO_CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "rois-size": {"rois": ["SMP(R)", "SLP(R)", "CRE(R)"], "size": 100_000},
    "type-all-rois": {"mito_type": "dark", "primary_only": False},
    "nonprimary-roi": {"rois": ["INP"], "primary_only": True},
}


@pytest.mark.parametrize("case", sorted(MITO_CASES))
def test_fetch_mitochondria(case: str, export: Export, client: Client) -> None:
    spec = MITO_CASES[case]
    mc = MC(
        rois=spec.get("rois"),
        mitoType=spec.get("mito_type"),
        size=spec.get("size", 0),
        primary_only=spec.get("primary_only", True),
        client=client,
    )
    got = fetch_mitochondria(NC(status="Traced"), mc, client=client)
    assert_dtypes(got, MITO_DTYPES)
    want = expected_mitos(export, export.bodies(lambda r: r["status"] == "Traced"), **spec)
    assert len(want) > 0
    assert_same_rows(got, want)


def test_fetch_mitochondria_batches_and_empty(export: Export, client: Client) -> None:
    one = fetch_mitochondria(NC(), batch_size=1, client=client)
    many = fetch_mitochondria(NC(), batch_size=5000, client=client)
    pd.testing.assert_frame_equal(one, many)
    assert_same_rows(one, expected_mitos(export, export.bodies(lambda r: True)))
    got = fetch_mitochondria(NC(type="no such type"), client=client)
    assert_dtypes(got, MITO_DTYPES)
    assert got.empty


def closest_table(x: Export) -> pd.DataFrame:
    m = x.mito.drop(columns=["roi", "rois"]).rename(
        columns={"id": "mito_id", "bodyId": "mito_body", "x": "mx", "y": "my", "z": "mz"}
    )
    return x.closest.merge(m, on="mito_id")


@pytest.mark.parametrize(
    "spec", [{}, {"type_": "pre", "primary_only": False}, {"rois": ["SMP(R)"], "type_": "post"}]
)
def test_fetch_synapses_and_closest_mitochondria(
    spec: dict[str, Any], export: Export, client: Client
) -> None:
    bodies = export.bodies(lambda r: r["status"] == "Traced")
    got = fetch_synapses_and_closest_mitochondria(
        NC(status="Traced"), _sc(client, spec), client=client
    )
    assert_dtypes(got, CLOSEST_DTYPES)
    close = closest_table(export).set_index("synapse_id")
    assert (close["mito_body"] == export.syn.set_index("id").loc[close.index, "bodyId"]).all()
    syn = export.syn[export.syn["bodyId"].isin(bodies)]
    syn = syn[syn_mask(syn, spec.get("rois"), spec.get("type_"), _spec(spec)["confidence"])]
    near = close.to_dict("index")
    want = []
    for r in syn.to_dict("records"):
        if r["id"] not in near:
            continue  # synapses without a closest mitochondrion are left out
        c = near[r["id"]]
        names = [r["roi"]] if spec.get("primary_only", True) else list(r["rois"]) or [None]
        for roi in names:
            want.append(
                (
                    r["bodyId"],
                    r["type"],
                    roi,
                    r["x"],
                    r["y"],
                    r["z"],
                    f32(r["confidence"]),
                    c["mitoType"],
                    f32(c["distance"]),
                    int(c["size"]),
                    int(c["mx"]),
                    int(c["my"]),
                    int(c["mz"]),
                    f32(c["r0"]),
                    f32(c["r1"]),
                    f32(c["r2"]),
                )
            )
    assert len(want) > 0
    assert_same_rows(got, want)


def test_fetch_synapses_and_closest_mitochondria_empty(client: Client) -> None:
    got = fetch_synapses_and_closest_mitochondria(NC(type="no such type"), client=client)
    assert_dtypes(got, CLOSEST_DTYPES)
    assert got.empty


@pytest.mark.parametrize("primary_only", [True, False])
def test_fetch_connection_mitochondria(primary_only: bool, export: Export, client: Client) -> None:
    sc = SC(primary_only=primary_only, client=client)
    got = fetch_connection_mitochondria(
        NC(status="Traced"), NC(status="Traced"), sc, 2, client=client
    )
    assert_dtypes(got, CONNECTION_MITO_DTYPES)
    traced = export.bodies(lambda r: r["status"] == "Traced")
    pairs = expected_pairs(export, traced, traced, min_total_weight=2, primary_only=primary_only)
    near = closest_table(export).set_index("synapse_id").to_dict("index")

    def side(syn_id: int) -> tuple[Any, ...]:
        if syn_id not in near:
            return (None,) * 6
        c = near[syn_id]
        return (
            c["mitoType"],
            f32(c["distance"]),
            float(c["size"]),
            float(c["mx"]),
            float(c["my"]),
            float(c["mz"]),
        )

    base = pair_rows(pairs, primary_only)
    want = [
        (*row, *side(int(a)), *side(int(b)))
        for row, a, b in zip(base, pairs["pre_id"], pairs["post_id"], strict=True)
    ]
    assert len(want) > 0
    assert any(w[12] is None for w in want) or any(w[18] is None for w in want)
    assert_same_rows(got, want)
    # the synapse columns are fetch_synapse_connections' own
    plain = fetch_synapse_connections(
        NC(status="Traced"), NC(status="Traced"), sc, 2, client=client
    )
    pd.testing.assert_frame_equal(got[list(CONNECTION_DTYPES)], plain)


def test_fetch_connection_mitochondria_empty(client: Client) -> None:
    got = fetch_connection_mitochondria(NC(type="no such type"), None, client=client)
    assert_dtypes(got, CONNECTION_MITO_DTYPES)
    assert got.empty


# ---------------------------------------------------------------------------------------
# the neo4j Cypher sent (goldens)

META = {
    "dataset": "hemibrain:v1.2.1",
    "primaryRois": ["MB(R)", "FB", "b'L(R)"],
    "roiInfo": json.dumps({"MB(R)": {}, "FB": {}, "b'L(R)": {}, "CA(R)": {}}),
    "postHighAccuracyThreshold": 0.5,
}


def answer(cypher: str) -> Any:
    if cypher.startswith("MATCH (n:Meta)"):
        return pd.DataFrame({"n": [META]})
    if cypher.endswith("RETURN n.bodyId AS bodyId\nORDER BY n.bodyId"):
        return [[1], [2]]
    if "[e:ConnectsTo]" in cypher and "Synapse" not in cypher:  # the body pairs
        return [[1, 10, 5, None, None, None, None], [2, 10, 3, None, None, None, None]]
    return None


GOLDEN_CASES: dict[str, Callable[[Client], object]] = {
    "fetch_synapses": lambda c: fetch_synapses(
        NC(type="APL"), SC(rois=["FB", "b'L(R)"], type="pre", client=c), batch_size=1, client=c
    ),
    "fetch_synapses_all_rois": lambda c: fetch_synapses(
        [1, 2], SC(rois=["CA(R)"], primary_only=False, confidence=0.9, client=c), client=c
    ),
    "fetch_mean_synapses": lambda c: fetch_mean_synapses(NC(status="Traced"), client=c),
    "fetch_synapse_connections": lambda c: fetch_synapse_connections(
        [1, 2], NC(type="APL"), SC(rois=["MB(R)"], client=c), min_total_weight=3, client=c
    ),
    "fetch_synapse_connections_split": lambda c: fetch_synapse_connections(
        NC(type="KC.*"), None, SC(primary_only=False, client=c), batch_size=1, client=c
    ),
    "fetch_mitochondria": lambda c: fetch_mitochondria(
        NC(type="ExR.*", rois=["FB"]),
        MC(rois=["FB", "CA(R)"], size=100_000, mitoType="dark", client=c),
        client=c,
    ),
    "fetch_synapses_and_closest_mitochondria": lambda c: fetch_synapses_and_closest_mitochondria(
        NC(type="ExR2"), SC(type="pre", client=c), client=c
    ),
    "fetch_connection_mitochondria": lambda c: fetch_connection_mitochondria(
        NC(type="ExR2"), None, min_total_weight=2, client=c
    ),
}


GOLDENS = Goldens("compat_synapses_neo4j.json", GOLDEN_CASES, answer)


@pytest.mark.parametrize("name", GOLDENS.names())
def test_synapse_cypher_golden(name: str) -> None:
    assert GOLDENS.sent(name) == GOLDENS.expected()[name]


def test_synapse_goldens_cover_every_case() -> None:
    assert sorted(GOLDENS.expected()) == GOLDENS.names()


if __name__ == "__main__":  # regenerate: python -m tests.test_compat_synapses
    GOLDENS.regenerate()
