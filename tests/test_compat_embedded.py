"""End-to-end tests of the neuprint-python-compatible layer (``neuprint_dsl.compat``) on the
embedded engine.

A deterministic sample (400 neurons, 6,000 connections) is generated, loaded with
``neuprint_dsl.embedded.load`` and queried through ``Client(transport=neuprint_dsl.embedded(db))``.
Every compat function's answer is checked against an independent computation with pandas,
``json`` and plain Python on the same export files (``neurons.csv``, ``roi-connections.csv``,
``total-connections.csv``, ``meta.json``), following the semantics neuprint-python documents
(``../shared/reference/neuprint-python-queries.txt``) and the shapes of
``neuprint-python-internals.md`` sections 3-4.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuprint_dsl
from neuprint_dsl import N, QueryTimeout
from neuprint_dsl.compat.client import (
    Client,
    clear_default_client,
    default_client,
    list_all_clients,
    set_default_client,
)
from neuprint_dsl.compat.connectivity import (
    fetch_adjacencies,
    fetch_common_connectivity,
    fetch_shortest_paths,
    fetch_simple_connections,
    fetch_traced_adjacencies,
)
from neuprint_dsl.compat.criteria import NeuronCriteria as NC
from neuprint_dsl.compat.neurons import fetch_custom_neurons, fetch_neurons
from neuprint_dsl.compat.rois import (
    fetch_all_rois,
    fetch_meta,
    fetch_primary_rois,
    fetch_roi_hierarchy,
)
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

from .test_every_roi import conn_roi_info

pytestmark = pytest.mark.no_progress_bars

ROOT = Path(__file__).resolve().parent.parent
NOT_PRIMARY = "NotPrimary"
#: neuprint-python's leading neuron columns, in its order (the rest follow sorted)
CORE_NEURON_COLS = [
    "bodyId",
    "instance",
    "type",
    "pre",
    "post",
    "downstream",
    "upstream",
    "mito",
    "size",
    "status",
    "cropped",
    "statusLabel",
    "cellBodyFiber",
    "somaRadius",
    "somaLocation",
    "tosomaLocation",
    "rootLocation",
]
COUNT_COLS = ["pre", "post", "downstream", "upstream", "mito", "soma"]
INT_PROPS = {"bodyId", "pre", "post", "downstream", "upstream", "mito", "size"}
ROI_CONN_COLS = ["bodyId_pre", "bodyId_post", "roi", "weight"]
PATH_COLS = ["path", "bodyId", "type", "weight"]

Record = dict[str, Any]
Pair = tuple[int, int]


# ---------------------------------------------------------------------------------------
# the export, read independently of the code under test


@dataclass(frozen=True)
class Export:
    directory: Path
    meta: dict[str, Any]
    columns: list[str]  # neurons.csv header
    records: dict[int, Record]  # bodyId -> parsed neurons.csv row (None for missing)
    total: pd.DataFrame  # total-connections.csv
    roi: pd.DataFrame  # roi-connections.csv
    weight: dict[Pair, int]  # (pre, post) -> total weight
    out: dict[int, dict[int, int]]  # pre -> {post: total weight}
    into: dict[int, dict[int, int]]  # post -> {pre: total weight}
    edge_rois: dict[Pair, dict[str, int]]  # (pre, post) -> {roi: weight}, as the file has it

    @property
    def bodies(self) -> list[int]:
        return sorted(self.records)

    @property
    def primary(self) -> set[str]:
        return set(self.meta["primaryRois"])

    def select(self, keep: Callable[[Record], bool]) -> set[int]:
        return {body for body, record in self.records.items() if keep(record)}


def _parse(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in INT_PROPS:
        return int(text)
    if column == "somaRadius":
        return float(text)
    if column == "cropped":
        return {"True": True, "False": False}[text]
    if column in ("somaLocation", "roiInfo"):
        return json.loads(text)
    return text


def read_export(directory: Path) -> Export:
    raw = pd.read_csv(directory / "neurons.csv", dtype=str, keep_default_na=False)
    columns = [str(c) for c in raw.columns]
    records: dict[int, Record] = {}
    for row in raw.itertuples(index=False, name=None):
        record = {c: _parse(c, str(v)) for c, v in zip(columns, row, strict=True)}
        record["roiInfo"] = record["roiInfo"] or {}
        records[record["bodyId"]] = record
    total = pd.read_csv(directory / "total-connections.csv")
    roi = pd.read_csv(directory / "roi-connections.csv", keep_default_na=False)
    weight = {
        (int(a), int(b)): int(w)
        for a, b, w in total[["bodyId_pre", "bodyId_post", "weight"]].itertuples(
            index=False, name=None
        )
    }
    edge_rois: dict[Pair, dict[str, int]] = defaultdict(dict)
    for a, b, r, w in roi[ROI_CONN_COLS].itertuples(index=False, name=None):
        edge_rois[(int(a), int(b))][str(r)] = int(w)
    out: dict[int, dict[int, int]] = {body: {} for body in records}
    into: dict[int, dict[int, int]] = {body: {} for body in records}
    for (a, b), w in weight.items():
        out[a][b] = into[b][a] = w
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    return Export(directory, meta, columns, records, total, roi, weight, out, into, dict(edge_rois))


def _norm(value: Any) -> Any:
    """A plain-Python form for comparisons: missing -> None, numpy -> Python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        return _norm(value.item())
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _rows(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    frame = frame if columns is None else frame[list(columns)]
    return [tuple(_norm(v) for v in row) for row in frame.itertuples(index=False, name=None)]


def _fullmatch(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


# ---------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    directory = tmp_path_factory.mktemp("compat-embedded") / "export"
    generate_sample(directory, neurons=400, edges=6000, seed=11)
    return read_export(directory)


@pytest.fixture(scope="module", autouse=True)
def client(export: Export) -> Iterator[Client]:
    db = load(export.directory, export.directory.parent / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    # The first Client of a program becomes the default by itself (checked in a fresh
    # interpreter below); other test modules may have created Clients earlier in this one.
    set_default_client(c)
    yield c
    clear_default_client()
    c.transport.close()


# ---------------------------------------------------------------------------------------
# independent expectations


def expected_neurons(x: Export, bodies: set[int]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """neurons_df columns and rows: core columns first, the rest sorted, roiInfo parsed,
    inputRois/outputRois = sorted roiInfo keys with post/pre > 0."""
    props = [c for c in x.columns if c != "roiInfo"]
    columns = [c for c in CORE_NEURON_COLS if c in props]
    columns += sorted(c for c in props if c not in CORE_NEURON_COLS)
    columns += ["roiInfo", "inputRois", "outputRois"]
    rows = []
    for body in sorted(bodies):
        record = x.records[body]
        info = record["roiInfo"]
        extra = {
            "inputRois": sorted(r for r, c in info.items() if c.get("post")),
            "outputRois": sorted(r for r, c in info.items() if c.get("pre")),
        }
        rows.append(tuple(_norm(extra.get(c, record.get(c))) for c in columns))
    return columns, rows


def expected_roi_counts(x: Export, bodies: set[int]) -> pd.DataFrame:
    """One row per roiInfo item, plus NotPrimary = neuron total - sum over primary ROIs;
    all-zero rows dropped; sorted by (bodyId, roi)."""
    infos = [x.records[b]["roiInfo"] for b in bodies]
    counts = [c for c in COUNT_COLS if any(c in v for i in infos for v in i.values())]
    rows = []
    for body in sorted(bodies):
        record = x.records[body]
        info = record["roiInfo"]
        for roi, value in info.items():
            rows.append((body, roi, *(int(value.get(c, 0)) for c in counts)))
        outside = [
            (record.get(c) or 0) - sum(v.get(c, 0) for r, v in info.items() if r in x.primary)
            for c in counts
        ]
        rows.append((body, NOT_PRIMARY, *outside))
    rows = [r for r in rows if any(r[2:])]
    rows.sort(key=lambda r: (r[0], r[1]))
    frame = pd.DataFrame(
        {
            "bodyId": pd.Series([r[0] for r in rows], dtype="int64"),
            "roi": pd.Series([r[1] for r in rows], dtype=object),
            **{c: pd.Series([r[2 + i] for r in rows], dtype="int64") for i, c in enumerate(counts)},
        }
    )
    return frame


def expected_edges(
    x: Export, up: set[int] | None, down: set[int] | None, min_weight: int = 1
) -> list[Pair]:
    return [
        (a, b)
        for (a, b), w in x.weight.items()
        if (up is None or a in up) and (down is None or b in down) and w >= min_weight
    ]


def expected_simple(
    x: Export,
    up: set[int] | None,
    down: set[int] | None,
    rois: Sequence[str] | None = None,
    min_weight: int = 1,
    properties: Sequence[str] = ("type", "instance"),
) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = ["bodyId_pre", "bodyId_post", "weight"]
    for p in properties:
        columns += [f"{p}_pre", f"{p}_post"]
    columns.append("conn_roiInfo")
    rows = []
    for a, b in expected_edges(x, up, down, min_weight):
        # neuPrint's ConnectsTo.roiInfo: every ROI (super-level too), pre and post, no
        # NotPrimary (from the synapse files: tests/test_every_roi.py)
        in_rois = conn_roi_info(x.directory).get((a, b), {})
        if rois and not any(in_rois.get(r, {}).get("post", 0) > 0 for r in rois):
            continue
        row: list[Any] = [a, b, x.weight[(a, b)]]
        for p in properties:
            row += [_norm(x.records[a].get(p)), _norm(x.records[b].get(p))]
        row.append(in_rois)
        rows.append(tuple(row))
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    return columns, rows


def _roi_frame(rows: list[tuple[int, int, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bodyId_pre": pd.Series([r[0] for r in rows], dtype="int64"),
            "bodyId_post": pd.Series([r[1] for r in rows], dtype="int64"),
            "roi": pd.Series([r[2] for r in rows], dtype=object),
            "weight": pd.Series([r[3] for r in rows], dtype="int64"),
        }
    )


def expected_adjacencies(
    x: Export,
    sources: set[int] | None,
    targets: set[int] | None,
    rois: Sequence[str] | None = None,
    min_roi_weight: int = 1,
    min_total_weight: int = 1,
    include_nonprimary: bool = False,
    properties: Sequence[str] = ("type", "instance"),
    quirk: bool = False,
) -> tuple[list[tuple[Any, ...]], pd.DataFrame]:
    """(neurons rows sorted by bodyId, roi_conn_df) as neuprint-python documents them.

    Per-ROI rows: the primary ROIs (every ROI with ``include_nonprimary``) of the connection,
    plus ``NotPrimary`` = total weight - sum over primary ROI rows, kept if > 0. Then, in
    order: ``rois`` (roi listed and weight > 0), ``min_total_weight``, ``min_roi_weight``.

    ``min_total_weight`` follows the *documented* semantics: the connection's total weight
    across all ROIs. neuprint-python's code instead compares the sum of the per-ROI rows left
    after the ``rois`` filter, after raising the threshold to ``min_roi_weight``
    (internals.md section 4, item 6); ``quirk=True`` computes that, only to show that a case
    tells the two apart.
    """
    rows: list[tuple[int, int, str, int]] = []
    for a, b in expected_edges(x, sources, targets):
        info = conn_roi_info(x.directory).get((a, b), {})
        in_rois = {r: v["post"] for r, v in info.items() if v["post"] > 0}
        primary_sum = sum(w for r, w in in_rois.items() if r in x.primary)
        for r, w in in_rois.items():
            if include_nonprimary or r in x.primary:
                rows.append((a, b, r, w))
        if x.weight[(a, b)] - primary_sum > 0:
            rows.append((a, b, NOT_PRIMARY, x.weight[(a, b)] - primary_sum))
    if rois:
        rows = [r for r in rows if r[2] in rois and r[3] > 0]
    if quirk:
        kept: dict[Pair, int] = defaultdict(int)
        for a, b, _, w in rows:
            kept[(a, b)] += w
        threshold = max(min_total_weight, min_roi_weight)
        rows = [r for r in rows if kept[(r[0], r[1])] >= threshold]
    else:
        rows = [r for r in rows if x.weight[(r[0], r[1])] >= min_total_weight]
    rows = [r for r in rows if r[3] >= min_roi_weight]
    rows.sort(key=lambda r: (r[0], r[1], -r[3], r[2]))
    bodies = sorted({r[0] for r in rows} | {r[1] for r in rows})
    neurons = [
        (b, *(_norm(x.records[b].get(p)) for p in properties if p != "bodyId")) for b in bodies
    ]
    return neurons, _roi_frame(rows)


def all_shortest_paths(
    x: Export, start: int, goal: int, min_weight: int, allowed: set[int]
) -> set[tuple[tuple[int, int], ...]]:
    """Every shortest path start -> goal over connections of weight >= min_weight whose
    intermediate bodies are in ``allowed``, as ((body, weight into body), ...)."""
    dist = {start: 0}
    preds: dict[int, list[int]] = defaultdict(list)
    layer = [start]
    while layer and goal not in dist:
        following: list[int] = []
        for u in layer:
            for v, w in x.out[u].items():
                if w < min_weight or (v != goal and v not in allowed):
                    continue
                if v not in dist:
                    dist[v] = dist[u] + 1
                    following.append(v)
                if dist[v] == dist[u] + 1:
                    preds[v].append(u)
        layer = [v for v in following if v != goal]
    if goal not in dist:
        return set()
    paths: set[tuple[tuple[int, int], ...]] = set()

    def back(body: int, suffix: tuple[tuple[int, int], ...]) -> None:
        if body == start:
            paths.add(((start, 0), *suffix))
            return
        for p in preds[body]:
            back(p, ((body, x.out[p][body]), *suffix))

    back(goal, ())
    return paths


def _path_counts(
    x: Export, start: int, min_weight: int, allowed: set[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Distance from ``start`` and number of shortest paths to every body in ``allowed``."""
    dist, count = {start: 0}, {start: 1}
    layer = [start]
    while layer:
        following: list[int] = []
        for u in layer:
            for v, w in x.out[u].items():
                if w < min_weight or v not in allowed:
                    continue
                if v not in dist:
                    dist[v], count[v] = dist[u] + 1, 0
                    following.append(v)
                if dist[v] == dist[u] + 1:
                    count[v] += count[u]
        layer = following
    return dist, count


def _traced(record: Record) -> bool:
    return record["status"] == "Traced"


def _top(x: Export, column: str, n: int) -> list[int]:
    counts = x.total.groupby(column).size().reset_index(name="n")
    counts = counts.sort_values(["n", column], ascending=[False, True], kind="stable")
    return [int(b) for b in counts[column].head(n)]


# ---------------------------------------------------------------------------------------
# the sample itself (what the expectations rely on)


def test_sample_is_consistent(export: Export) -> None:
    x = export
    assert len(x.records) == 400 and len(x.weight) == 6000
    assert set(x.total["bodyId_pre"]) | set(x.total["bodyId_post"]) <= set(x.records)
    # per-ROI rows: primary ROIs and NotPrimary only, summing to the total weight
    assert set(x.roi["roi"]) <= x.primary | {NOT_PRIMARY}
    for pair, w in x.weight.items():
        rows = x.edge_rois[pair]
        assert sum(rows.values()) == w
        assert rows.get(NOT_PRIMARY, 0) == w - sum(v for r, v in rows.items() if r != NOT_PRIMARY)
    assert {r["type"] for r in x.records.values()} >= {"APL", "KCab", "MBON01"}


# ---------------------------------------------------------------------------------------
# metadata and ROIs


def _roi_totals(x: Export) -> dict[str, dict[str, int]]:
    totals = {roi: {"pre": 0, "post": 0} for roi in x.meta["rois"]}
    for record in x.records.values():
        for roi, counts in record["roiInfo"].items():
            entry = totals.setdefault(roi, {"pre": 0, "post": 0})
            entry["pre"] += counts.get("pre", 0)
            entry["post"] += counts.get("post", 0)
    return totals


def test_fetch_meta(export: Export, client: Client) -> None:
    meta = fetch_meta()
    assert meta == fetch_meta(client=client)
    assert meta["dataset"] == export.meta["dataset"] == client.dataset
    assert meta["primaryRois"] == export.meta["primaryRois"]
    assert meta["roiHierarchy"] == export.meta["roiHierarchy"]
    assert meta["roiInfo"] == _roi_totals(export)


def test_fetch_all_and_primary_rois(export: Export, client: Client) -> None:
    assert fetch_primary_rois() == sorted(export.meta["primaryRois"])
    assert fetch_all_rois() == sorted(set(export.meta["rois"]) | set(export.meta["primaryRois"]))
    assert fetch_all_rois(client=client) == fetch_all_rois()
    assert NOT_PRIMARY not in fetch_all_rois()


def _hierarchy(node: dict[str, Any], primary: set[str], sub: bool, mark: bool) -> dict[str, Any]:
    name = node["name"]
    children: dict[str, Any] = {}
    if sub or name not in primary:
        for child in sorted(node.get("children") or [], key=lambda c: c["name"]):
            children.update(_hierarchy(child, primary, sub, mark))
    return {name + ("*" if mark and name in primary else ""): children}


def _tree_text(tree: dict[str, Any]) -> str:
    """asciitree's LeftAligned layout, as in neuprint-python's documented example."""
    ((root, children),) = tree.items()
    lines = [root]

    def walk(items: dict[str, Any], indent: str) -> None:
        for i, (name, sub) in enumerate(items.items()):
            lines.append(f"{indent} +-- {name}")
            walk(sub, indent + ("    " if i == len(items) - 1 else " |  "))

    walk(children, "")
    return "\n".join(lines)


@pytest.mark.parametrize("include_subprimary", [True, False])
@pytest.mark.parametrize("mark_primary", [True, False])
def test_fetch_roi_hierarchy_dict(
    export: Export, include_subprimary: bool, mark_primary: bool
) -> None:
    primary = export.primary
    got = fetch_roi_hierarchy(include_subprimary, mark_primary, "dict")
    assert got == _hierarchy(export.meta["roiHierarchy"], primary, include_subprimary, mark_primary)
    assert list(got) == ["hemibrain"]

    def nodes(tree: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, sub in tree.items():
            yield name, sub
            yield from nodes(sub)

    names = [name for name, _ in nodes(got)]
    assert len(names) == len(set(names))
    starred = {n[:-1] for n in names if n.endswith("*")}
    assert starred == (primary if mark_primary else set())
    if not include_subprimary:  # stops at the primary ROIs
        assert all(not sub for name, sub in nodes(got) if name.rstrip("*") in primary)


def test_fetch_roi_hierarchy_text(export: Export) -> None:
    text = fetch_roi_hierarchy(False, True, "text")
    assert text.startswith("hemibrain\n +-- ")
    lines = text.splitlines()
    assert all(" +-- " in line for line in lines[1:])
    expected = _hierarchy(export.meta["roiHierarchy"], export.primary, False, True)
    assert text == _tree_text(expected)
    assert " +-- AL(L)*" in lines and " |   +-- AB(L)*" in lines  # as in the documented example
    assert fetch_roi_hierarchy(True, False, "text") == _tree_text(
        _hierarchy(export.meta["roiHierarchy"], export.primary, True, False)
    )


def test_fetch_roi_hierarchy_nx(export: Export) -> None:
    nx = pytest.importorskip("networkx")
    graph = fetch_roi_hierarchy(True, True, "nx")
    assert isinstance(graph, nx.DiGraph)
    edges: set[tuple[str, str]] = set()

    def walk(parent: str, tree: dict[str, Any]) -> None:
        for name, sub in tree.items():
            edges.add((parent, name))
            walk(name, sub)

    walk(
        "hemibrain",
        _hierarchy(export.meta["roiHierarchy"], export.primary, True, True)["hemibrain"],
    )
    assert set(graph.edges) == edges
    assert set(graph.nodes) == {"hemibrain"} | {b for _, b in edges}


# ---------------------------------------------------------------------------------------
# fetch_neurons / fetch_custom_neurons

NeuronCase = Callable[[Export], tuple[Any, set[int]]]


def _case_body_ids(x: Export) -> tuple[Any, set[int]]:
    ids = x.bodies[::57][:7]
    return [*ids, 1], set(ids)  # 1 is no body: ignored


NEURON_CASES: dict[str, NeuronCase] = {
    "NC-type-regex": lambda x: (
        NC(type="MBON.*"),
        x.select(lambda r: _fullmatch("MBON.*", r["type"])),
    ),
    "body-id-list": _case_body_ids,
    "type-string": lambda x: ("KCab", x.select(lambda r: "KCab" in (r["type"], r["instance"]))),
    "instance-string": lambda x: (
        "APL_R",
        x.select(lambda r: "APL_R" in (r["type"], r["instance"])),
    ),
    "NC-status-not-cropped": lambda x: (
        NC(status="Traced", cropped=False),
        x.select(lambda r: r["status"] == "Traced" and r["cropped"] is not True),
    ),
    "NC-inputRois-min": lambda x: (
        NC(inputRois=["CA(R)"], min_roi_inputs=5),
        x.select(lambda r: r["roiInfo"].get("CA(R)", {}).get("post", 0) >= 5),
    ),
    "DSL-predicate": lambda x: (
        N.pre > 100,
        x.select(lambda r: r["pre"] is not None and r["pre"] > 100),
    ),
    "NC-or-NC": lambda x: (
        NC(type="APL") | NC(type="KCab"),
        x.select(lambda r: r["type"] in ("APL", "KCab")),
    ),
}


@pytest.mark.parametrize("case", list(NEURON_CASES))
def test_fetch_neurons(export: Export, case: str) -> None:
    criteria, bodies = NEURON_CASES[case](export)
    assert 0 < len(bodies) < len(export.records)
    neurons_df, roi_counts_df = fetch_neurons(criteria)
    columns, rows = expected_neurons(export, bodies)
    assert list(neurons_df.columns) == columns
    assert neurons_df["bodyId"].dtype == np.dtype("int64")
    assert neurons_df["bodyId"].tolist() == sorted(bodies)
    assert _rows(neurons_df) == rows
    pd.testing.assert_frame_equal(roi_counts_df, expected_roi_counts(export, bodies))


def test_roi_counts_not_primary_rows(export: Export) -> None:
    """NotPrimary is present exactly when the neuron has synapses outside the primary ROIs."""
    bodies = export.select(lambda r: r["type"] in ("APL", "KCab", "MBON01"))
    _, roi_counts_df = fetch_neurons(NC(type=["APL", "KCab", "MBON01"]))
    got = roi_counts_df[roi_counts_df["roi"] == NOT_PRIMARY].set_index("bodyId")
    for body in sorted(bodies):
        record = export.records[body]
        outside = {
            c: record[c] - sum(v[c] for r, v in record["roiInfo"].items() if r in export.primary)
            for c in ("pre", "post")
        }
        if any(outside.values()):
            assert got.loc[body, ["pre", "post"]].tolist() == [outside["pre"], outside["post"]]
        else:
            assert body not in got.index
    assert (roi_counts_df[["pre", "post", "downstream", "upstream"]] != 0).any(axis=1).all()


APL_QUERY = "MATCH (n:Neuron) WHERE n.type = 'APL' RETURN n"


def test_fetch_custom_neurons_values(export: Export) -> None:
    custom_df, custom_counts = fetch_custom_neurons(APL_QUERY)
    neurons_df, roi_counts_df = fetch_neurons(NC(type="APL"))
    assert list(custom_df.columns) == list(neurons_df.columns)
    assert _rows(custom_df) == _rows(neurons_df)
    columns, rows = expected_neurons(export, export.select(lambda r: r["type"] == "APL"))
    assert list(custom_df.columns) == columns and _rows(custom_df) == rows
    pd.testing.assert_frame_equal(custom_counts, roi_counts_df)


def test_fetch_custom_neurons_frame_equals_fetch_neurons() -> None:
    custom_df, _ = fetch_custom_neurons(APL_QUERY)
    neurons_df, _ = fetch_neurons(NC(type="APL"))
    pd.testing.assert_frame_equal(custom_df, neurons_df)


# ---------------------------------------------------------------------------------------
# fetch_simple_connections

SimpleCase = Callable[[Export], tuple[Any, Any, set[int] | None, set[int] | None, dict[str, Any]]]

SIMPLE_CASES: dict[str, SimpleCase] = {
    "upstream-only": lambda x: (
        NC(type="APL"),
        None,
        x.select(lambda r: r["type"] == "APL"),
        None,
        {},
    ),
    "downstream-only-min-weight": lambda x: (
        None,
        "KCab",
        None,
        x.select(lambda r: "KCab" in (r["type"], r["instance"])),
        {"min_weight": 2},
    ),
    "body-id-lists": lambda x: (
        _top(x, "bodyId_pre", 8),
        _top(x, "bodyId_post", 8),
        set(_top(x, "bodyId_pre", 8)),
        set(_top(x, "bodyId_post", 8)),
        {},
    ),
    "rois-min-weight": lambda x: (
        NC(status="Traced"),
        NC(type="KC.*"),
        x.select(_traced),
        x.select(lambda r: _fullmatch("KC.*", r["type"])),
        {"rois": ["CA(R)", "gL(R)"], "min_weight": 2},
    ),
    "properties": lambda x: (
        NC(type="APL"),
        None,
        x.select(lambda r: r["type"] == "APL"),
        None,
        {"properties": ["status", "cropped", "somaRadius", "cellBodyFiber"]},
    ),
    "no-properties": lambda x: (
        None,
        NC(type="MBON.*"),
        None,
        x.select(lambda r: _fullmatch("MBON.*", r["type"])),
        {"properties": []},
    ),
}


@pytest.mark.parametrize("case", list(SIMPLE_CASES))
def test_fetch_simple_connections(export: Export, case: str) -> None:
    up, down, up_set, down_set, options = SIMPLE_CASES[case](export)
    got = fetch_simple_connections(up, down, weight_props=None, **options)
    columns, rows = expected_simple(export, up_set, down_set, **options)
    assert rows, "the case should select some connections"
    assert list(got.columns) == columns
    assert got[["bodyId_pre", "bodyId_post", "weight"]].dtypes.tolist() == [np.dtype("int64")] * 3
    assert _rows(got) == rows  # strongest first, then bodyId_pre, bodyId_post


def test_fetch_simple_connections_rois_filter_keeps_whole_edge(export: Export) -> None:
    """``rois`` selects pairs; weight and conn_roiInfo stay those of the whole connection."""
    got = fetch_simple_connections(NC(status="Traced"), None, rois=["CA(R)"])
    assert len(got)
    for pre, post, weight, info in got[
        ["bodyId_pre", "bodyId_post", "weight", "conn_roiInfo"]
    ].itertuples(index=False, name=None):
        assert "CA(R)" in info and NOT_PRIMARY not in info
        assert info == conn_roi_info(export.directory)[(pre, post)]
        in_primary = sum(v["post"] for r, v in info.items() if r in export.primary)
        outside = export.edge_rois[(pre, post)].get(NOT_PRIMARY, 0)
        assert weight == export.weight[(pre, post)] == in_primary + outside


def test_fetch_simple_connections_roi_info_property_is_parsed(export: Export) -> None:
    got = fetch_simple_connections(NC(type="APL"), None, properties=["roiInfo"])
    assert len(got)
    for pre, post, info_pre, info_post in got[
        ["bodyId_pre", "bodyId_post", "roiInfo_pre", "roiInfo_post"]
    ].itertuples(index=False, name=None):
        assert info_pre == export.records[pre]["roiInfo"]
        assert info_post == export.records[post]["roiInfo"]


# ---------------------------------------------------------------------------------------
# fetch_adjacencies

AdjCase = Callable[[Export], tuple[Any, Any, set[int] | None, set[int] | None, dict[str, Any]]]

ADJ_CASES: dict[str, AdjCase] = {
    "sources-only": lambda x: (
        NC(type="KC.*"),
        None,
        x.select(lambda r: _fullmatch("KC.*", r["type"])),
        None,
        {},
    ),
    "targets-only": lambda x: (
        None,
        NC(type="MBON.*"),
        None,
        x.select(lambda r: _fullmatch("MBON.*", r["type"])),
        {},
    ),
    "both": lambda x: (
        NC(status="Traced"),
        NC(type="KC.*"),
        x.select(_traced),
        x.select(lambda r: _fullmatch("KC.*", r["type"])),
        {},
    ),
    "body-id-lists": lambda x: (
        _top(x, "bodyId_pre", 12),
        _top(x, "bodyId_post", 40),
        set(_top(x, "bodyId_pre", 12)),
        set(_top(x, "bodyId_post", 40)),
        {},
    ),
    "rois": lambda x: (
        NC(status="Traced"),
        None,
        x.select(_traced),
        None,
        {"rois": ["CA(R)", "SLP(R)", "gL(R)"]},
    ),
    "min-roi-weight": lambda x: (
        NC(status="Traced"),
        None,
        x.select(_traced),
        None,
        {"min_roi_weight": 3},
    ),
    "min-total-weight": lambda x: (
        None,
        NC(status="Traced"),
        None,
        x.select(_traced),
        {"min_total_weight": 4},
    ),
    "min-total-and-roi-weight": lambda x: (
        NC(status="Traced"),
        None,
        x.select(_traced),
        None,
        {"min_total_weight": 5, "min_roi_weight": 2},
    ),
    "include-nonprimary": lambda x: (
        NC(type="KC.*"),
        None,
        x.select(lambda r: _fullmatch("KC.*", r["type"])),
        None,
        {"include_nonprimary": True},
    ),
    "exclude-nonprimary-properties": lambda x: (
        NC(type="KC.*"),
        None,
        x.select(lambda r: _fullmatch("KC.*", r["type"])),
        None,
        {"include_nonprimary": False, "properties": ["status", "cropped"]},
    ),
}


def _check_adjacencies(
    got: tuple[pd.DataFrame, pd.DataFrame],
    expected: tuple[list[tuple[Any, ...]], pd.DataFrame],
    properties: Sequence[str] = ("type", "instance"),
) -> None:
    neurons_df, roi_conn_df = got
    neurons_rows, roi_conn = expected
    assert len(roi_conn), "the case should select some connections"
    # documented order: bodyId_pre, bodyId_post, weight descending
    keys = list(
        zip(
            roi_conn_df["bodyId_pre"],
            roi_conn_df["bodyId_post"],
            -roi_conn_df["weight"],
            strict=True,
        )
    )
    assert keys == sorted(keys)
    ordered = roi_conn_df.sort_values(
        ["bodyId_pre", "bodyId_post", "weight", "roi"],
        ascending=[True, True, False, True],
        kind="stable",
    ).reset_index(drop=True)
    pd.testing.assert_frame_equal(ordered, roi_conn)
    assert list(neurons_df.columns) == ["bodyId", *[p for p in properties if p != "bodyId"]]
    assert neurons_df["bodyId"].dtype == np.dtype("int64")
    assert sorted(_rows(neurons_df)) == neurons_rows


@pytest.mark.parametrize("case", list(ADJ_CASES))
def test_fetch_adjacencies(export: Export, case: str) -> None:
    sources, targets, s_set, t_set, options = ADJ_CASES[case](export)
    got = fetch_adjacencies(sources, targets, **options)
    expected = expected_adjacencies(export, s_set, t_set, **options)
    _check_adjacencies(got, expected, options.get("properties", ("type", "instance")))


def test_fetch_adjacencies_min_total_weight_is_the_whole_connection(export: Export) -> None:
    """Documented: min_total_weight counts all of a connection's weight, even with ``rois``.

    neuprint-python's code sums only the per-ROI rows left after the ``rois`` filter
    (internals.md section 4, item 6); the compat layer keeps the documented meaning.
    """
    options: dict[str, Any] = {"rois": ["SLP(R)", "SMP(R)", "SCL(R)"], "min_total_weight": 4}
    traced = export.select(_traced)
    expected = expected_adjacencies(export, traced, None, **options)
    quirk = expected_adjacencies(export, traced, None, quirk=True, **options)
    assert len(expected[1]) > len(quirk[1])  # the case tells the two meanings apart
    _check_adjacencies(fetch_adjacencies(NC(status="Traced"), None, **options), expected)


def test_fetch_adjacencies_not_primary_is_recomputed(export: Export) -> None:
    """NotPrimary = total - sum of primary rows, only when > 0, and equals the export's row."""
    _, roi_conn_df = fetch_adjacencies(NC(type="KC.*"), None)
    by_pair = roi_conn_df.groupby(["bodyId_pre", "bodyId_post"])
    seen = 0
    for (pre, post), rows in by_pair:
        pair = (int(pre), int(post))
        assert rows["weight"].sum() == export.weight[pair]
        outside = rows.loc[rows["roi"] == NOT_PRIMARY, "weight"].tolist()
        assert outside == (
            [export.edge_rois[pair][NOT_PRIMARY]] if NOT_PRIMARY in export.edge_rois[pair] else []
        )
        seen += len(outside)
    assert seen > 0
    assert (roi_conn_df["weight"] > 0).all()


def test_fetch_adjacencies_batching_and_threads_agree() -> None:
    small = fetch_adjacencies(NC(status="Traced"), None, batch_size=7, threads=3)
    large = fetch_adjacencies(NC(status="Traced"), None, batch_size=1000, threads=1)
    pd.testing.assert_frame_equal(small[0], large[0])
    pd.testing.assert_frame_equal(small[1], large[1])
    small = fetch_adjacencies(None, NC(type="KC.*"), batch_size=3, threads=3)
    large = fetch_adjacencies(None, NC(type="KC.*"), batch_size=1000, threads=1)
    pd.testing.assert_frame_equal(small[0], large[0])
    pd.testing.assert_frame_equal(small[1], large[1])


def test_fetch_adjacencies_export_dir(export: Export, tmp_path: Path) -> None:
    out = tmp_path / "adjacencies"
    neurons_df, roi_conn_df = fetch_adjacencies(
        NC(type="KC.*"), None, export_dir=out, properties=["type", "instance", "status"]
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "neurons.csv",
        "roi-connections.csv",
        "total-connections.csv",
    ]
    neurons_csv = pd.read_csv(out / "neurons.csv")
    assert list(neurons_csv.columns) == list(neurons_df.columns)
    assert _rows(neurons_csv) == _rows(neurons_df)
    roi_csv = pd.read_csv(out / "roi-connections.csv", keep_default_na=False)
    assert list(roi_csv.columns) == ROI_CONN_COLS
    assert _rows(roi_csv) == _rows(roi_conn_df)
    total_csv = pd.read_csv(out / "total-connections.csv")
    total = roi_conn_df.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    # weight_props="all" (neuprint-python 0.6.4's default) adds weightHP (0: not stored)
    assert list(total_csv.columns) == ["bodyId_pre", "bodyId_post", "weight", "weightHP"]
    assert (total_csv.pop("weightHP") == 0).all()
    assert _rows(total_csv) == _rows(total)
    # with primary ROIs only, the per-ROI rows add up to the connection's total weight
    assert all(export.weight[(a, b)] == w for a, b, w in _rows(total_csv))


# ---------------------------------------------------------------------------------------
# fetch_traced_adjacencies


def test_fetch_traced_adjacencies(export: Export, tmp_path: Path) -> None:
    traced = export.select(lambda r: r["status"] == "Traced" and r["cropped"] is not True)
    expected = expected_adjacencies(export, traced, traced)
    got = fetch_traced_adjacencies(tmp_path / "traced", batch_size=50)
    _check_adjacencies(got, expected)
    roi_csv = pd.read_csv(tmp_path / "traced" / "roi-connections.csv", keep_default_na=False)
    assert _rows(roi_csv) == _rows(got[1])


# ---------------------------------------------------------------------------------------
# fetch_common_connectivity

CommonCase = Callable[[Export], tuple[Any, set[int]]]

COMMON_CASES: dict[str, tuple[CommonCase, str, int]] = {
    "upstream": (
        lambda x: (_top(x, "bodyId_post", 3), set(_top(x, "bodyId_post", 3))),
        "upstream",
        1,
    ),
    "upstream-min-weight": (
        lambda x: (_top(x, "bodyId_post", 2), set(_top(x, "bodyId_post", 2))),
        "upstream",
        2,
    ),
    "downstream": (
        lambda x: (_top(x, "bodyId_pre", 3), set(_top(x, "bodyId_pre", 3))),
        "downstream",
        1,
    ),
    "downstream-criteria": (
        lambda x: (NC(type="LC6"), x.select(lambda r: r["type"] == "LC6")),
        "downstream",
        1,
    ),
    "upstream-criteria": (  # a quote in the type name
        lambda x: (NC(type="KCa'b'-m"), x.select(lambda r: r["type"] == "KCa'b'-m")),
        "upstream",
        1,
    ),
}


def expected_common(
    x: Export, members: set[int], direction: str, min_weight: int
) -> list[tuple[Any, ...]]:
    """Partners connected to *every* matched neuron with weight >= min_weight, and those
    connections; matched neurons in the _post columns for upstream, _pre for downstream."""
    if direction == "upstream":
        edges = expected_edges(x, None, members, min_weight)
        partner, member = 0, 1
    else:
        edges = expected_edges(x, members, None, min_weight)
        partner, member = 1, 0
    reach: dict[int, set[int]] = defaultdict(set)
    for e in edges:
        reach[e[partner]].add(e[member])
    common = {p for p, m in reach.items() if m == members}
    rows = []
    for a, b in edges:
        if (a, b)[partner] in common:
            ra, rb = x.records[a], x.records[b]
            rows.append(
                (a, b, x.weight[(a, b)], ra["type"], rb["type"], ra["instance"], rb["instance"])
            )
    return sorted(rows)


@pytest.mark.parametrize("case", list(COMMON_CASES))
def test_fetch_common_connectivity(export: Export, case: str) -> None:
    make, direction, min_weight = COMMON_CASES[case]
    criteria, members = make(export)
    expected = expected_common(export, members, direction, min_weight)
    assert expected, "the case should find common partners"
    got = fetch_common_connectivity(criteria, direction, min_weight, weight_props=None)
    base = ["bodyId_pre", "bodyId_post", "weight", "type_pre", "type_post"]
    columns = [*base, "instance_pre", "instance_post"]
    assert list(got.columns[: len(columns)]) == columns
    assert sorted(_rows(got, columns)) == expected


def test_fetch_common_connectivity_needs_every_member(export: Export) -> None:
    """A matched neuron without partners leaves no common partner (documented: partners
    connected to ALL matched neurons; neuprint-python's code counts only the matched neurons
    that have partners)."""
    lonely = [b for b, r in export.records.items() if not r["upstream"]]
    assert lonely
    criteria = [*_top(export, "bodyId_post", 2), lonely[0]]
    assert expected_common(export, set(criteria), "upstream", 1) == []
    assert fetch_common_connectivity(criteria, "upstream").empty


def test_fetch_common_connectivity_has_simple_connections_format(export: Export) -> None:
    members = _top(export, "bodyId_post", 3)
    got = fetch_common_connectivity(members, "upstream")
    simple = fetch_simple_connections(None, members)
    assert list(got.columns) == list(simple.columns)
    keep = simple["bodyId_pre"].isin(set(got["bodyId_pre"]))
    assert _rows(got) == _rows(simple[keep])


# ---------------------------------------------------------------------------------------
# fetch_shortest_paths


@dataclass(frozen=True)
class PathCase:
    start: int
    goal: int
    min_weight: int
    criteria: Any
    allowed: set[int]


def _pick_pair(
    x: Export, min_weight: int, allowed: set[int], ends: set[int] | None = None
) -> tuple[int, int]:
    """A deterministic pair of ``ends`` (default: ``allowed``) at distance >= 3 with several
    (at most 40) shortest paths through ``allowed`` bodies."""
    ends = allowed if ends is None else ends
    best: tuple[int, int, int, int] | None = None
    for start in sorted(ends)[:20]:
        dist, count = _path_counts(x, start, min_weight, allowed)
        for goal in ends - {start}:
            steps = [
                (dist[u] + 1, count[u])
                for u, w in x.into[goal].items()
                if w >= min_weight and u in dist and u != goal
            ]
            if not steps:
                continue
            d = min(s for s, _ in steps)
            n = sum(c for s, c in steps if s == d)
            if d >= 3 and n <= 40:
                score = (n, d, -start, -goal)
                best = score if best is None or score > best else best
    assert best is not None
    return -best[2], -best[3]


PATH_CASES: dict[str, Callable[[Export], PathCase]] = {
    "default-criteria": lambda x: PathCase(
        *_pick_pair(x, 1, x.select(_traced)), 1, None, x.select(_traced)
    ),
    "min-weight": lambda x: PathCase(
        *_pick_pair(x, 3, x.select(_traced)), 3, None, x.select(_traced)
    ),
    "NC-criteria": lambda x: PathCase(
        *_pick_pair(x, 2, x.select(lambda r: r["status"] in ("Traced", "Roughly traced"))),
        2,
        NC(status=["Traced", "Roughly traced"]),
        x.select(lambda r: r["status"] in ("Traced", "Roughly traced")),
    ),
    "untraced-endpoints": lambda x: PathCase(
        *_pick_pair(x, 1, x.select(_traced), x.select(lambda r: not _traced(r))),
        1,
        None,
        x.select(_traced),
    ),
    "DSL-criteria": lambda x: PathCase(
        *_pick_pair(x, 1, x.select(lambda r: r["pre"] > 30)),
        1,
        N.pre > 30,
        x.select(lambda r: r["pre"] > 30),
    ),
}


@pytest.mark.parametrize("case", list(PATH_CASES))
def test_fetch_shortest_paths(export: Export, case: str) -> None:
    c = PATH_CASES[case](export)
    expected = all_shortest_paths(export, c.start, c.goal, c.min_weight, c.allowed)
    assert expected
    got = fetch_shortest_paths(c.start, c.goal, c.min_weight, c.criteria)
    assert list(got.columns) == PATH_COLS
    assert got[["path", "bodyId", "weight"]].dtypes.tolist() == [np.dtype("int64")] * 3
    assert sorted(set(got["path"])) == list(range(len(expected)))
    paths = {
        tuple(zip(rows["bodyId"].tolist(), rows["weight"].tolist(), strict=True))
        for _, rows in got.groupby("path", sort=True)
    }
    assert paths == expected
    assert len(got) == sum(len(p) for p in expected)  # no path listed twice
    types = {body: _norm(t) for body, t in zip(got["bodyId"], got["type"], strict=True)}
    assert types == {b: export.records[b]["type"] for b in types}


def test_fetch_shortest_paths_without_path(export: Export) -> None:
    lonely = next(b for b in export.bodies if not export.records[b]["upstream"])
    start = next(b for b in export.bodies if b != lonely)
    assert not all_shortest_paths(export, start, lonely, 1, set(export.records))
    got = fetch_shortest_paths(start, lonely, intermediate_criteria=NC())
    assert got.empty and list(got.columns) == PATH_COLS
    assert got.dtypes.tolist() == [np.dtype("int64")] * 2 + [np.dtype(object), np.dtype("int64")]
    heaviest = max(export.weight.values())
    start, goal = max(export.weight, key=export.weight.__getitem__)
    assert fetch_shortest_paths(start, goal, heaviest + 1).empty


def test_fetch_shortest_paths_timeout_raises(export: Export) -> None:
    c = PATH_CASES["default-criteria"](export)
    with pytest.raises(QueryTimeout):  # neuprint-python returns an empty frame instead
        fetch_shortest_paths(c.start, c.goal, timeout=1e-9)


# ---------------------------------------------------------------------------------------
# default client management


@pytest.fixture(scope="module")
def fresh_program() -> dict[str, Any]:
    """What a fresh interpreter sees when it creates one Client, then a second one."""
    code = textwrap.dedent(
        """
        import json, types
        from neuprint_dsl.compat.client import Client, default_client, list_all_clients
        def current():
            try:
                return default_client()
            except RuntimeError:
                return None
        first = Client(transport=types.SimpleNamespace(dataset="a"))
        seen = {"first_is_default": current() is first}
        second = Client(transport=types.SimpleNamespace(dataset="b"))
        seen["after_second"] = "none" if current() is None else (
            "first" if current() is first else "other")
        seen["all"] = [c is first or c is second for c in list_all_clients()]
        print(json.dumps(seen))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_first_client_becomes_default(fresh_program: dict[str, Any]) -> None:
    assert fresh_program["first_is_default"]
    assert fresh_program["all"] == [True, True]


def test_second_client_clears_default(fresh_program: dict[str, Any]) -> None:
    assert fresh_program["after_second"] == "none"


def test_fixture_client_is_default_and_used(client: Client) -> None:
    assert default_client() is client
    assert client in list_all_clients()
    implicit = fetch_neurons(NC(type="APL"))
    explicit = fetch_neurons(NC(type="APL"), client=client)
    pd.testing.assert_frame_equal(implicit[0], explicit[0])
    pd.testing.assert_frame_equal(implicit[1], explicit[1])
    pd.testing.assert_frame_equal(
        fetch_simple_connections(NC(type="APL")),
        fetch_simple_connections(NC(type="APL"), client=client),
    )


def test_set_and_clear_default_client(client: Client) -> None:
    try:
        clear_default_client()
        with pytest.raises(RuntimeError, match="No default Client"):
            default_client()
        with pytest.raises(RuntimeError, match="No default Client"):
            fetch_meta()
        assert fetch_primary_rois(client=client)  # an explicit client still works
        set_default_client(client)
        assert default_client() is client
        set_default_client(None)
        with pytest.raises(RuntimeError):
            fetch_neurons(NC(type="APL"))
        other = Client(transport=client.transport)
        assert list_all_clients()[-1] is other and client in list_all_clients()
        set_default_client(other)
        assert default_client() is other
        assert fetch_all_rois() == fetch_all_rois(client=client)
    finally:
        set_default_client(client)
    assert default_client() is client


def test_default_client_from_four_threads(client: Client) -> None:
    def work(_: int) -> tuple[pd.DataFrame, ...]:
        neurons_df, roi_counts_df = fetch_neurons(NC(type="KC.*"))
        simple = fetch_simple_connections(NC(type="APL"), None)
        adj_neurons, adj_rows = fetch_adjacencies(NC(type="MBON.*"), None, batch_size=2)
        return neurons_df, roi_counts_df, simple, adj_neurons, adj_rows

    baseline = work(0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    for result in results:
        for got, want in zip(result, baseline, strict=True):
            pd.testing.assert_frame_equal(got, want)
