"""``:Segment`` means what it means in neuPrint: every ``:Neuron`` is also a ``:Segment``.

A sample export is generated and a quarter of its neurons are taken out of ``neurons.csv``:
their connections, synapses and mitochondria stay, so the loader makes them ``Segment``
rows (bodies that are not neurons). On that real embedded database, every statement kind and
its text form, and the compat functions that take a label or ``SegmentCriteria``, must give
exactly what the reference interpreter gives over *all* bodies for ``label="Segment"``, and
over the neurons only for ``label="Neuron"``.

The expected answers come from the CSV files with pandas. Which bodies exist and what the
neurons hold is read from the files; a segment's ROI counts (derived by the loader from the
connections, an implementation choice tested in tests/test_loader.py) are read back from the
database, and only after checking that the database lists exactly the expected segments.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pytest
from hypothesis import example, given, settings

import neuprint_dsl
from neuprint_dsl import (
    TRUE,
    E,
    Embedded,
    N,
    S,
    connections,
    evaluate,
    mitochondria,
    neurons,
    parse,
    synapse_connections,
    synapses,
)
from neuprint_dsl.compat.client import Client
from neuprint_dsl.compat.connectivity import (
    fetch_adjacencies,
    fetch_common_connectivity,
    fetch_simple_connections,
)
from neuprint_dsl.compat.criteria import NeuronCriteria as NC
from neuprint_dsl.compat.criteria import SegmentCriteria
from neuprint_dsl.compat.mito import fetch_mitochondria
from neuprint_dsl.compat.neurons import fetch_custom_neurons, fetch_neurons
from neuprint_dsl.compat.recon import fetch_output_completeness
from neuprint_dsl.compat.synapses import fetch_synapses
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import QueryTypeError
from neuprint_dsl.expr import Predicate
from neuprint_dsl.query import Label

from .strategies import predicates
from .test_engine import _predicate_values, _storable

LABELS: tuple[Label, ...] = ("Neuron", "Segment")
PAIRS = [(a, b) for a in LABELS for b in LABELS]
ROIS = ("SMP(R)", "SLP(R)", "CA(R)", "PLP(R)", "SCL(R)")
SCHEMA = {
    "bodyId": "int",
    "type": "str",
    "instance": "str",
    "status": "str",
    "cropped": "bool",
    "pre": "int",
    "post": "int",
    "somaRadius": "float",
}


def _sendable(pred: Predicate) -> bool:
    return all(_storable(v) for v in _predicate_values(pred))


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


class Data:
    """The sample's files, read with pandas, and the records the interpreter sees."""

    def __init__(self, directory: Path, db: Embedded) -> None:
        self.directory = directory
        self.neuron_csv = pd.read_csv(directory / "neurons.csv")
        self.total = pd.read_csv(directory / "total-connections.csv")
        self.roi_conn = pd.read_csv(directory / "roi-connections.csv", keep_default_na=False)
        self.synapses = pd.read_csv(
            directory / "synapses.csv", keep_default_na=False, na_values=[""]
        )
        self.pairs = pd.read_csv(directory / "synapse-connections.csv")
        self.mitos = pd.read_csv(
            directory / "mitochondria.csv", keep_default_na=False, na_values=[""]
        )
        self.neurons: dict[int, dict[str, Any]] = {}
        for row in self.neuron_csv.to_dict("records"):
            record: dict[str, Any] = {str(k): _plain(v) for k, v in row.items()}
            info = json.loads(record["roiInfo"]) if record.get("roiInfo") else {}
            record["roiInfo"] = info
            record.update({roi: True for roi in info})
            self.neurons[int(record["bodyId"])] = record
        owners = pd.concat(
            [
                self.total["bodyId_pre"],
                self.total["bodyId_post"],
                self.synapses["bodyId"],
                self.mitos["bodyId"],
            ]
        )
        self.segment_ids = sorted({int(b) for b in owners} - set(self.neurons))
        # the segments' ROI counts, read back (see the module docstring)
        back = db.run(
            neurons(N.bodyId.isin(self.segment_ids), label="Segment", columns=["bodyId", "roiInfo"])
        )
        assert sorted(back["bodyId"].tolist()) == self.segment_ids
        self.segments: dict[int, dict[str, Any]] = {}
        for body, text in zip(back["bodyId"], back["roiInfo"], strict=True):
            info = json.loads(text) if text else {}
            self.segments[int(body)] = {
                "bodyId": int(body),
                "roiInfo": info,
                **dict.fromkeys(info, True),
            }

    def records(self, label: Label) -> dict[int, dict[str, Any]]:
        return self.neurons if label == "Neuron" else {**self.neurons, **self.segments}

    def select(self, where: Any, label: Label) -> set[int]:
        where = TRUE if where is None else where
        return {b for b, r in self.records(label).items() if evaluate(where, r)}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Embedded, Data]]:
    directory = tmp_path_factory.mktemp("segments") / "export"
    generate_sample(directory, neurons=160, edges=1600, seed=11)
    frame = pd.read_csv(directory / "neurons.csv", dtype=str, keep_default_na=False)
    frame.drop(frame.index[::4]).to_csv(directory / "neurons.csv", index=False)
    with Embedded(load(directory, directory.parent / "graph.lbug")) as db:
        yield db, Data(directory, db)


def test_the_database_has_neurons_and_segments(data: tuple[Embedded, Data]) -> None:
    _, d = data
    assert len(d.neurons) == 120 and len(d.segment_ids) == 40
    segment_synapses = d.synapses[d.synapses["bodyId"].isin(d.segment_ids)]
    assert len(segment_synapses) > 0
    assert d.mitos["bodyId"].isin(d.segment_ids).any()


# ---------------------------------------------------------------------------------------
# neurons

WHERE = [
    None,
    N.type.is_null(),
    ~(N.type == "KCab"),
    N.status == "Traced",
    N.pre > 5,
    ~(N.pre > 5),
    N.roi("SMP(R)"),
    ~N.roi("CA(R)"),
    N.inputs("SLP(R)") >= 2,
    N.cropped | N.instance.is_null(),
]


def _ids(frame: pd.DataFrame, column: str = "bodyId") -> list[int]:
    return sorted(int(b) for b in frame[column])


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("where", WHERE, ids=str)
def test_neurons(data: tuple[Embedded, Data], where: Any, label: Label) -> None:
    db, d = data
    frame = db.run(neurons(where, label=label, columns=["bodyId"]))
    assert _ids(frame) == sorted(d.select(where, label))
    if label == "Segment" and where is None:
        assert set(d.segment_ids) <= set(_ids(frame))


@settings(max_examples=60, deadline=None)
@given(where=predicates(SCHEMA, ROIS, ill_typed=False, max_leaves=5).filter(_sendable))
@example(where=N.type.is_null())
@example(where=~(N.status == "Traced"))
def test_any_predicate_on_segments(data: tuple[Embedded, Data], where: Predicate) -> None:
    db, d = data
    for label in LABELS:
        try:
            frame = db.run(neurons(where, label=label, columns=["bodyId"]))
        except QueryTypeError:
            return
        assert _ids(frame) == sorted(d.select(where, label))


# ---------------------------------------------------------------------------------------
# connections


def _edges(
    d: Data, up: Any, down: Any, labels: tuple[Label, Label], min_weight: int = 1
) -> list[tuple[int, int, int]]:
    pre, post = d.select(up, labels[0]), d.select(down, labels[1])
    t = d.total
    keep = t["bodyId_pre"].isin(pre) & t["bodyId_post"].isin(post) & (t["weight"] >= min_weight)
    return sorted((int(a), int(b), int(w)) for a, b, w in t[keep].to_numpy())


def _got_edges(frame: pd.DataFrame) -> list[tuple[int, int, int]]:
    columns = ["bodyId_pre", "bodyId_post", "weight"]
    return sorted((int(a), int(b), int(w)) for a, b, w in frame[columns].to_numpy())


@pytest.mark.parametrize("labels", PAIRS, ids="-".join)
@pytest.mark.parametrize(
    ("up", "down"),
    [
        (None, None),
        (N.type.is_null(), None),
        (None, ~(N.status == "Traced")),
        (N.roi("SLP(R)"), N.post > 3),
    ],
    ids=str,
)
def test_connections(
    data: tuple[Embedded, Data], labels: tuple[Label, Label], up: Any, down: Any
) -> None:
    db, d = data
    statement = connections(
        up, down, where=E.weight >= 2, upstream_label=labels[0], downstream_label=labels[1]
    )
    expected = _edges(d, up, down, labels, 2)
    assert _got_edges(db.run(statement)) == expected
    if labels == ("Segment", "Segment") and up is None and down is None:
        assert len(expected) == int((d.total["weight"] >= 2).sum())


@pytest.mark.parametrize("labels", PAIRS, ids="-".join)
def test_connections_in_rois(data: tuple[Embedded, Data], labels: tuple[Label, Label]) -> None:
    db, d = data
    statement = connections(
        rois=["SMP(R)", "CA(R)"], upstream_label=labels[0], downstream_label=labels[1]
    )
    r = d.roi_conn
    pairs = r[r["roi"].isin(["SMP(R)", "CA(R)"]) & (r["weight"] > 0)]
    chosen = set(zip(pairs["bodyId_pre"], pairs["bodyId_post"], strict=True))
    expected = [e for e in _edges(d, None, None, labels) if (e[0], e[1]) in chosen]
    assert expected and _got_edges(db.run(statement)) == expected


# ---------------------------------------------------------------------------------------
# synapses, synapse connections, mitochondria


def _synapse_rows(frame: pd.DataFrame) -> list[tuple[int, str, int, int, int]]:
    columns = ["bodyId", "type", "x", "y", "z"]
    return sorted(
        (int(b), str(t), int(x), int(y), int(z)) for b, t, x, y, z in frame[columns].to_numpy()
    )


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("owner", [None, N.type.is_null(), N.roi("SLP(R)")], ids=str)
def test_synapses(data: tuple[Embedded, Data], label: Label, owner: Any) -> None:
    db, d = data
    frame = db.run(synapses(owner, S.type == "post", label=label))
    s = d.synapses
    expected = s[s["bodyId"].isin(d.select(owner, label)) & (s["type"] == "post")]
    assert len(expected) > 0
    assert _synapse_rows(frame) == _synapse_rows(expected)


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("owner", [None, N.type.is_null()], ids=str)
def test_mitochondria(data: tuple[Embedded, Data], label: Label, owner: Any) -> None:
    db, d = data
    frame = db.run(mitochondria(owner, label=label))
    m = d.mitos
    expected = m[m["bodyId"].isin(d.select(owner, label))]
    columns = ["bodyId", "x", "y", "z", "size"]
    got = sorted(tuple(int(v) for v in row) for row in frame[columns].to_numpy())
    assert len(expected) > 0
    assert got == sorted(tuple(int(v) for v in row) for row in expected[columns].to_numpy())


def _expected_pairs(d: Data, labels: tuple[Label, Label], up: Any = None) -> list[tuple[int, ...]]:
    syn = d.synapses.set_index("id")
    pairs = d.pairs.join(syn.add_suffix("_pre"), on="pre_id").join(
        syn.add_suffix("_post"), on="post_id"
    )
    keep = pairs["bodyId_pre"].isin(d.select(up, labels[0])) & pairs["bodyId_post"].isin(
        d.select(None, labels[1])
    )
    return _pair_rows(pairs[keep])


def _pair_rows(frame: pd.DataFrame) -> list[tuple[int, ...]]:
    columns = ["bodyId_pre", "bodyId_post", "x_pre", "y_pre", "z_pre", "x_post", "y_post", "z_post"]
    return sorted(tuple(int(v) for v in row) for row in frame[columns].to_numpy())


@pytest.mark.parametrize("labels", PAIRS, ids="-".join)
def test_synapse_connections(data: tuple[Embedded, Data], labels: tuple[Label, Label]) -> None:
    db, d = data
    up = N.type.is_null() | N.roi("SLP(R)")
    frame = db.run(synapse_connections(up, upstream_label=labels[0], downstream_label=labels[1]))
    expected = _expected_pairs(d, labels, up)
    assert len(expected) > 0
    assert _pair_rows(frame) == expected


# ---------------------------------------------------------------------------------------
# the text forms

TEXT_FORMS = [
    ("segments where type is null", neurons(N.type.is_null(), label="Segment")),
    ("neurons where type is null", neurons(N.type.is_null())),
    (
        "connections of segments where weight >= 2",
        connections(where=E.weight >= 2, label="Segment"),
    ),
    (
        "connections of segments to neurons where weight >= 2",
        connections(where=E.weight >= 2, upstream_label="Segment", downstream_label="Neuron"),
    ),
    (
        "connections of neurons to segments where weight >= 2",
        connections(where=E.weight >= 2, upstream_label="Neuron", downstream_label="Segment"),
    ),
    (
        'synapses of segments type is null where type = "post"',
        synapses(N.type.is_null(), S.type == "post", label="Segment"),
    ),
    ("mitochondria of segments type is null", mitochondria(N.type.is_null(), label="Segment")),
    (
        "synapse connections of segments to neurons",
        synapse_connections(upstream_label="Segment", downstream_label="Neuron"),
    ),
]


@pytest.mark.parametrize(("text", "statement"), TEXT_FORMS, ids=[t for t, _ in TEXT_FORMS])
def test_text_forms(data: tuple[Embedded, Data], text: str, statement: Any) -> None:
    db, d = data
    assert parse(text) == statement
    got, expected = db.run(text), db.run(statement)
    pd.testing.assert_frame_equal(got, expected)
    if text.startswith(("segments", "neurons")):
        label: Label = "Segment" if text.startswith("segments") else "Neuron"
        assert _ids(got) == sorted(d.select(N.type.is_null(), label))
    elif text.startswith("connections"):
        labels = (statement.upstream_label, statement.downstream_label)
        assert _got_edges(got) == _edges(d, None, None, labels, 2)
    elif text.startswith("synapses"):
        s = d.synapses
        chosen = s["bodyId"].isin(d.select(N.type.is_null(), "Segment")) & (s["type"] == "post")
        assert _synapse_rows(got) == _synapse_rows(s[chosen])
    elif text.startswith("mitochondria"):
        assert set(got["bodyId"]) == set(d.mitos["bodyId"]) & d.select(N.type.is_null(), "Segment")
    else:
        assert _pair_rows(got) == _expected_pairs(d, ("Segment", "Neuron"))
    assert len(got) > 0


# ---------------------------------------------------------------------------------------
# the compat layer


@pytest.fixture(scope="module")
def client(data: tuple[Embedded, Data]) -> Client:
    db, _ = data
    return Client(transport=db)


def _mixed(d: Data) -> list[int]:
    return sorted(sorted(d.neurons)[:4] + d.segment_ids[:4])


def test_fetch_neurons_with_segment_criteria(data: tuple[Embedded, Data], client: Client) -> None:
    _, d = data
    everything = fetch_neurons(SegmentCriteria(label="Segment"), client=client)[0]
    assert _ids(everything) == sorted(d.select(None, "Segment"))
    only_neurons = fetch_neurons(NC(), client=client)[0]
    assert _ids(only_neurons) == sorted(d.neurons)
    # bodyIds alone mean any body (neuprint-python's default label is then Segment)
    mixed = _mixed(d)
    assert _ids(fetch_neurons(SegmentCriteria(bodyId=mixed), client=client)[0]) == mixed
    assert _ids(fetch_neurons(mixed, client=client)[0]) == mixed
    neuron_only = fetch_neurons(NC(bodyId=mixed, label="Neuron"), client=client)[0]
    assert _ids(neuron_only) == sorted(set(mixed) & set(d.neurons))
    nulls = fetch_neurons(SegmentCriteria(type=None, label="Segment", status=None), client=client)
    assert _ids(nulls[0]) == sorted(d.select(None, "Segment"))
    typed = fetch_neurons(N.type.is_null(), client=client)[0]  # a predicate: Neuron
    assert _ids(typed) == sorted(d.select(N.type.is_null(), "Neuron"))


@pytest.mark.parametrize("labels", PAIRS, ids="-".join)
def test_fetch_simple_connections_with_segment_sides(
    data: tuple[Embedded, Data], client: Client, labels: tuple[Label, Label]
) -> None:
    _, d = data
    up = NC(status="Traced", label=labels[0]) if labels[0] == "Neuron" else NC(label="Segment")
    down = NC(label=labels[1])
    frame = fetch_simple_connections(up, down, min_weight=2, client=client)
    up_pred = N.status == "Traced" if labels[0] == "Neuron" else None
    assert _got_edges(frame) == _edges(d, up_pred, None, labels, 2)
    # a segment's properties come back empty, not as a missing row
    segs = frame[frame["bodyId_pre"].isin(d.segment_ids)]
    assert segs["type_pre"].isna().all()
    if labels[0] == "Segment":
        assert len(segs) > 0


def test_fetch_simple_connections_with_body_ids(
    data: tuple[Embedded, Data], client: Client
) -> None:
    _, d = data
    chosen = d.segment_ids[:10]
    down = fetch_simple_connections(None, chosen, client=client)  # upstream: Neuron
    assert _got_edges(down) == _edges(d, None, N.bodyId.isin(chosen), ("Neuron", "Segment"))
    up = fetch_simple_connections(SegmentCriteria(bodyId=chosen), None, client=client)
    assert _got_edges(up) == _edges(d, N.bodyId.isin(chosen), None, ("Segment", "Neuron"))
    assert len(up) > 0 and len(down) > 0


@pytest.mark.parametrize("labels", PAIRS, ids="-".join)
def test_fetch_adjacencies_with_segment_sides(
    data: tuple[Embedded, Data], client: Client, labels: tuple[Label, Label]
) -> None:
    _, d = data
    neurons_df, roi_conn = fetch_adjacencies(
        NC(label=labels[0]), NC(label=labels[1]), client=client, progress=False
    )
    totals = roi_conn.groupby(["bodyId_pre", "bodyId_post"])["weight"].sum().reset_index()
    expected = _edges(d, None, None, labels)
    assert _got_edges(totals) == expected
    assert _ids(neurons_df) == sorted({a for a, _, _ in expected} | {b for _, b, _ in expected})


def test_fetch_custom_neurons_returns_segments(data: tuple[Embedded, Data], client: Client) -> None:
    # how `:Segment` reads in raw Cypher is the Cypher translator's business; here only that
    # segment nodes come back as rows (properties empty) and nothing else does
    _, d = data
    frame, _ = fetch_custom_neurons("MATCH (n:Segment) RETURN n", client=client)
    got = set(_ids(frame))
    assert set(d.segment_ids) <= got <= set(d.select(None, "Segment"))
    assert frame[frame["bodyId"].isin(d.segment_ids)]["type"].isna().all()


def test_fetch_synapses_and_mitochondria_of_segments(
    data: tuple[Embedded, Data], client: Client
) -> None:
    _, d = data
    mixed = _mixed(d)
    syn = fetch_synapses(SegmentCriteria(bodyId=mixed), client=client)
    assert set(syn["bodyId"]) == set(d.synapses["bodyId"]) & set(mixed)
    assert len(syn) == int(d.synapses["bodyId"].isin(mixed).sum())
    mito = fetch_mitochondria(SegmentCriteria(bodyId=mixed), client=client)
    assert len(mito) == int(d.mitos["bodyId"].isin(mixed).sum())
    neurons_only = fetch_synapses(NC(bodyId=mixed, label="Neuron"), client=client)
    assert set(neurons_only["bodyId"]) <= set(d.neurons)


def test_the_engine_reports_both_tables(data: tuple[Embedded, Data]) -> None:
    db, d = data
    with neuprint_dsl.embedded(db.path) as again:
        frame = again.run(neurons(label="Segment", columns=["bodyId"]))
    assert len(frame) == len(d.neurons) + len(d.segment_ids)


def test_output_completeness_counts_weight_onto_segments(
    data: tuple[Embedded, Data], client: Client
) -> None:
    _, d = data
    frame = fetch_output_completeness(NC(status="Traced"), client=client)
    t = d.total
    traced = d.select(N.status == "Traced", "Neuron")
    expected = t[t["bodyId_pre"].isin(traced)].groupby("bodyId_pre")["weight"].sum()
    got = frame.set_index("bodyId")["total_weight"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    onto_segments = t["bodyId_pre"].isin(traced) & t["bodyId_post"].isin(d.segment_ids)
    assert onto_segments.any()  # the segments' share is in the totals


@pytest.mark.parametrize("direction", ["upstream", "downstream"])
def test_common_connectivity_of_segments(
    data: tuple[Embedded, Data], client: Client, direction: Literal["upstream", "downstream"]
) -> None:
    _, d = data
    chosen = d.segment_ids[:2]
    frame = fetch_common_connectivity(SegmentCriteria(bodyId=chosen), direction, client=client)
    if direction == "upstream":
        edges = _edges(d, None, N.bodyId.isin(chosen), ("Neuron", "Segment"))
        partner, member = 0, 1
    else:
        edges = _edges(d, N.bodyId.isin(chosen), None, ("Segment", "Neuron"))
        partner, member = 1, 0
    reach: dict[int, set[int]] = {}
    for edge in edges:
        reach.setdefault(edge[partner], set()).add(edge[member])
    common = {p for p, members in reach.items() if members == set(chosen)}
    expected = [e for e in edges if e[partner] in common]
    assert _got_edges(frame) == expected
