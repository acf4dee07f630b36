"""``order by`` and ``limit`` on every statement kind, computed where the data is (issue 14,
section 2), and ROI counts as returned columns.

The engine's rows equal the reference interpreter's order (``interpret.order_rows`` with the
statement's complete order, ``statement_order``) applied to the statement's unordered,
unlimited rows, and for neurons and connections the interpreter's rows computed from the
sample's records. Missing values come last in either direction on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import (
    N,
    QuerySyntaxError,
    QueryTypeError,
    UnknownField,
    connections,
    mitochondria,
    neurons,
    parse,
    synapse_connections,
    synapses,
    to_cypher,
)
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import InvalidValue
from neuprint_dsl.interpret import connection_rows, neuron_rows, order_rows, statement_order
from neuprint_dsl.query import Neurons, OrderKey

from .test_aggregation import Sample, rows, same


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    directory = tmp_path_factory.mktemp("order")
    generate_sample(directory, neurons=300, edges=3000, seed=5)
    built = Sample(directory)
    yield built
    built.db.close()


STATEMENTS = [
    'neurons where status = "Traced" order by post desc limit 5',
    "neurons order by type desc, instance limit 20",
    "neurons order by cropped, somaRadius desc limit 30",
    "segments order by type limit 10",
    'connections from type =~ "KC.*" order by weight desc limit 3',
    "connections order by type_post desc, weight limit 25",
    "connections order by instance_pre limit 0",
    'connections from type = "APL" per roi order by roi desc, weight limit 7',
    'synapses of type =~ "KC.*" order by confidence desc limit 5',
    'synapses of type =~ "KC.*" where type = "post" order by roi desc, z limit 9',
    "mitochondria order by size desc limit 4",
    'mitochondria of type =~ "KC.*" all rois order by roi, r0 desc limit 6',
    'synapse connections from type =~ "KC.*" order by confidence_post desc limit 5',
]


@pytest.mark.parametrize("text", STATEMENTS)
def test_every_kind_orders_and_limits_in_the_engine(sample: Sample, text: str) -> None:
    statement = parse(text)
    assert parse(statement.to_text()) == statement
    for dialect in ("neo4j", "ladybug"):
        cypher = to_cypher(statement, dialect).text
        assert cypher.splitlines()[-1] == f"LIMIT {statement.limit}"  # type: ignore[attr-defined]
        assert "ORDER BY" in cypher
    got = rows(sample.db.run(statement))
    whole = rows(sample.db.run(attrs.evolve(statement, order_by=(), limit=None)))
    expected = order_rows(whole, statement_order(statement), statement.limit)  # type: ignore[attr-defined]
    assert len(got) == min(len(whole), statement.limit)  # type: ignore[attr-defined]
    assert same(got, expected)
    if isinstance(statement, Neurons) and statement.label == "Neuron":
        oracle = neuron_rows(statement, sample.neurons)
        assert [r["bodyId"] for r in got] == [r["bodyId"] for r in oracle]
        local = sample.dvid.run(statement)
        assert local["bodyid"].tolist() == [r["bodyId"] for r in oracle]
    if text.startswith("connections"):
        assert got == connection_rows(statement, sample.neurons, sample.edges)


def test_missing_values_come_last_in_either_direction(sample: Sample) -> None:
    for direction in ("asc", "desc"):
        text = f"neurons order by type {direction}"
        for frame in (sample.db.run(text), sample.dvid.run(text)):
            types = frame["type"].tolist()
            present = [t for t in types if t is not None]
            assert types[len(present) :] == [None] * (len(types) - len(present))
            assert present == sorted(present, reverse=direction == "desc")
            assert len(present) < len(types)


def test_roi_counts_as_columns(sample: Sample) -> None:
    statement = parse(
        'neurons where roi("MB(R)") return bodyId, type, inputs("MB(R)"), outputs("MB(R)") '
        'order by inputs("MB(R)") desc limit 10'
    )
    assert statement == neurons(
        N.roi("MB(R)"),
        columns=["bodyId", "type", N.inputs("MB(R)"), N.outputs("MB(R)")],
        order_by=[(N.inputs("MB(R)"), "desc")],
        limit=10,
    )
    frame = sample.db.run(statement)
    assert frame.columns.tolist() == ["bodyId", "type", "inputs(MB(R))", "outputs(MB(R))"]
    assert str(frame["inputs(MB(R))"].dtype) == "int64"
    assert rows(frame) == neuron_rows(statement, sample.neurons)
    assert frame["inputs(MB(R))"].tolist() == sorted(frame["inputs(MB(R))"], reverse=True)
    local = rows(sample.dvid.run(statement))
    assert [r["inputs(MB(R))"] for r in local] == frame["inputs(MB(R))"].tolist()
    neo4j = to_cypher(statement, "neo4j").inline()
    assert (
        "coalesce(apoc.convert.fromJsonMap(n.roiInfo)['MB(R)'].post, 0) AS `inputs(MB(R))`" in neo4j
    )


def test_fluent_api_on_every_kind() -> None:
    assert connections(N.type == "APL", order_by=[("weight", "desc")], limit=3) == parse(
        'connections from type = "APL" order by weight desc limit 3'
    )
    assert synapses(N.type == "APL").ordered_by(("confidence", "desc")).with_limit(2) == parse(
        'synapses of type = "APL" order by confidence desc limit 2'
    )
    assert mitochondria(limit=1) == parse("mitochondria limit 1")
    assert synapse_connections(order_by="x_post") == parse("synapse connections order by x_post")
    # with_limit never widens: the CLI's --limit and the statement's own limit, the smaller
    assert neurons(limit=5).with_limit(10).limit == 5
    assert neurons(limit=50).with_limit(10).limit == 10
    assert connections().with_limit(None).limit is None
    with pytest.raises(InvalidValue):
        neurons().with_limit(-1)
    assert neurons(order_by=N.pre).order_by == (OrderKey("pre"),)


def test_neo4j_order_text_is_pinned() -> None:
    text = to_cypher(parse("connections order by type_post desc limit 3"), "neo4j").text
    assert text.splitlines()[-2:] == [
        "ORDER BY type_post IS NULL, type_post DESC, weight DESC, bodyId_pre, bodyId_post",
        "LIMIT 3",
    ]
    text = to_cypher(parse("mitochondria order by size desc limit 4"), "neo4j").text
    assert text.splitlines()[-2:] == [
        "ORDER BY size IS NULL, size DESC, bodyId, x, y, z, mitoType, roi",
        "LIMIT 4",
    ]


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: parse("connections order by wieght"), QuerySyntaxError, "did you mean 'weight'"),
        (lambda: connections(order_by="bodyId"), UnknownField, "order by of connections"),
        (
            lambda: parse("synapse connections all rois order by roi_pre"),
            QuerySyntaxError,
            "roi_pre",
        ),
        (lambda: parse('synapses order by inputs("EB")'), QuerySyntaxError, "not a function"),
        (lambda: to_cypher(neurons(order_by="tags"), "neo4j"), QueryTypeError, "list property"),
        (lambda: parse("neurons limit -1"), QuerySyntaxError, "non-negative"),
    ],
)
def test_order_refusals(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


_ORDER_KEYS = [
    "pre",
    "post",
    "type",
    "status",
    "cropped",
    "somaRadius",
    "size",
    N.inputs("MB(R)"),
    N.outputs("CA(R)"),
]


@settings(
    max_examples=max(20, settings().max_examples // 4),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    keys=st.lists(
        st.tuples(st.sampled_from(_ORDER_KEYS), st.sampled_from(["asc", "desc"])), max_size=3
    ),
    limit=st.none() | st.integers(0, 40),
    where=st.sampled_from([None, N.pre > 5, N.type.is_null() | N.type.startswith("KC")]),
)
@example(keys=[("somaRadius", "desc")], limit=15, where=None)
def test_ordered_neurons_agree(
    sample: Sample, keys: list[Any], limit: int | None, where: Any
) -> None:
    statement = neurons(where, columns=["bodyId", "type"], order_by=keys, limit=limit)
    expected = [r["bodyId"] for r in neuron_rows(statement, sample.neurons)]
    assert sample.db.run(statement)["bodyId"].tolist() == expected
    assert sample.dvid.run(statement)["bodyid"].tolist() == expected
