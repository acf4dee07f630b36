"""The Cypher compiler: golden neo4j text, literal safety, parameters, dialect tables."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import (
    E,
    InvalidValue,
    N,
    QueryTypeError,
    UnknownField,
    UnknownROI,
    agg,
    connections,
    neurons,
    parse,
)
from neuprint_dsl.cypher import GraphSchema, to_cypher
from neuprint_dsl.cypher.literals import quote_identifier, quote_string, render_literal
from neuprint_dsl.expr import Compare, CompareOp, Entity, Prop, and_

from .cypher_lexer import LexError, tokenize
from .strategies import HOSTILE_STRINGS, predicates


def golden(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# ---------------------------------------------------------------------------------------
# golden neo4j text (what neuPrintHTTP receives)

GOLDEN = {
    "roi booleans": (
        neurons(N.roi("MB(R)") & N.roi("b'L(R)"), columns=["bodyId", "type"]),
        """
        MATCH (n:Neuron)
        WHERE n.`MB(R)`
          AND n.`b'L(R)`
        RETURN n.bodyId AS bodyId, n.type AS type
        ORDER BY n.bodyId
        """,
    ),
    "regex": (
        neurons(N.type.matches("MBON.*"), columns=["bodyId"]),
        """
        MATCH (n:Neuron)
        WHERE n.type =~ 'MBON[^\\\\n]*'
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "regex ignoring case": (
        neurons(N.type.matches("mbon.*", ignore_case=True), columns=["bodyId"]),
        """
        MATCH (n:Neuron)
        WHERE n.type =~ '[Mm][Bb][Oo][Nn][^\\\\n]*'
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "is null with order and limit": (
        neurons(N.type.is_null(), columns=["bodyId", "instance"], order_by="bodyId", limit=20),
        """
        MATCH (n:Neuron)
        WHERE n.type IS NULL
        RETURN n.bodyId AS bodyId, n.instance AS instance
        ORDER BY n.bodyId
        LIMIT 20
        """,
    ),
    "type or instance": (
        neurons((N.type == "APL") | (N.instance == "APL_R"), columns=["bodyId"]),
        """
        MATCH (n:Neuron)
        WHERE (n.type = 'APL' OR n.instance = 'APL_R')
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "value list or missing (parenthesised, unlike neuprint-python)": (
        neurons(
            (N.status.isin(["Traced", "Orphan"]) | N.status.is_null()) & N.type.matches("MBON.*"),
            columns=["bodyId"],
        ),
        """
        MATCH (n:Neuron)
        WHERE (n.status IN ['Traced', 'Orphan'] OR n.status IS NULL)
          AND n.type =~ 'MBON[^\\\\n]*'
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "segments by body id": (
        neurons(N.bodyId.isin([329566174, 425790257]), label="Segment", columns=["bodyId"]),
        """
        MATCH (n:Segment)
        WHERE n.bodyId IN [329566174, 425790257]
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "roi counts": (
        neurons((N.inputs("SIP(R)") >= 10) & ~(N.outputs("FB") < 5), columns=["bodyId"]),
        """
        MATCH (n:Neuron)
        WHERE coalesce(apoc.convert.fromJsonMap(n.roiInfo)['SIP(R)'].post, 0) >= 10
          AND NOT coalesce(coalesce(apoc.convert.fromJsonMap(n.roiInfo)['FB'].pre, 0) < 5, false)
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "null-safe negation and cropped": (
        neurons((N.status != "Traced") & ~N.cropped, columns=["bodyId"]),
        """
        MATCH (n:Neuron)
        WHERE NOT coalesce(n.status = 'Traced', false)
          AND NOT coalesce(n.cropped = true, false)
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "de morgan": (
        neurons(
            ~((N.type == "KC") | N.roi("MB(R)")) & N.somaLocation.not_null(), columns=["bodyId"]
        ),
        """
        MATCH (n:Neuron)
        WHERE NOT coalesce(n.type = 'KC', false) AND NOT coalesce(n.`MB(R)`, false)
          AND n.somaLocation IS NOT NULL
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "hostile names and values": (
        neurons((N["a:b"] == "x:Neuron") & (N["odd`name"] == "it's"), columns=["bodyId"]),
        """
        MATCH (n:Neuron)
        WHERE n['a\\u003Ab'] = 'x\\u003ANeuron'
          AND n.`odd``name` = 'it\\'s'
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        """,
    ),
    "string tests and ordering": (
        neurons(
            N.instance.startswith("KC") & N.type.contains("ab") & (N.pre > 2.5),
            columns=["bodyId"],
            order_by=[("pre", "desc")],
            limit=5,
        ),
        """
        MATCH (n:Neuron)
        WHERE n.instance STARTS WITH 'KC'
          AND n.type CONTAINS 'ab'
          AND n.pre > 2.5
        RETURN n.bodyId AS bodyId
        ORDER BY n.pre IS NULL, n.pre DESC, n.bodyId
        LIMIT 5
        """,
    ),
    "default columns": (
        neurons(N.bodyId == 1),
        """
        MATCH (n:Neuron)
        WHERE n.bodyId = 1
        RETURN n.bodyId AS bodyId, n.type AS type, n.instance AS instance, n.status AS status, n.statusLabel AS statusLabel, n.cropped AS cropped, n.pre AS pre, n.post AS post, n.downstream AS downstream, n.upstream AS upstream, n.size AS size, n.somaLocation AS somaLocation, n.somaRadius AS somaRadius, n.cellBodyFiber AS cellBodyFiber
        ORDER BY n.bodyId
        """,
    ),
    "connections": (
        connections(N.type == "APL", N.roi("MB(R)"), where=E.weight >= 5),
        """
        MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron)
        WHERE n.type = 'APL'
          AND m.`MB(R)`
          AND e.weight >= 5
        RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, e.weight AS weight, n.type AS type_pre, m.type AS type_post, n.instance AS instance_pre, m.instance AS instance_post
        ORDER BY e.weight DESC, n.bodyId, m.bodyId
        """,
    ),
    "connections per roi": (
        connections(N.type == "APL", where=E.roi_weight("MB(R)") > 2, rois=["MB(R)"], per_roi=True),
        """
        MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron)
        WHERE n.type = 'APL'
          AND coalesce(apoc.convert.fromJsonMap(e.roiInfo)['MB(R)'].post, 0) > 2
          AND coalesce(apoc.convert.fromJsonMap(e.roiInfo)['MB(R)'].post, 0) > 0
        WITH n, m, apoc.convert.fromJsonMap(e.roiInfo) AS roiInfo
        UNWIND keys(roiInfo) AS roi
        WITH n, m, roi, coalesce(roiInfo[roi].post, 0) AS roi_weight
        WHERE roi_weight > 0 AND roi IN ['MB(R)']
        RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, roi, roi_weight AS weight
        ORDER BY bodyId_pre, bodyId_post, weight DESC, roi
        """,
    ),
    # issue 14: order / limit on every kind, ROI counts as columns, group by
    "connections ordered and limited": (
        connections(N.type == "APL", order_by=[("type_post", "desc"), "weight"], limit=3),
        """
        MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron)
        WHERE n.type = 'APL'
        RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, e.weight AS weight, n.type AS type_pre, m.type AS type_post, n.instance AS instance_pre, m.instance AS instance_post
        ORDER BY type_post IS NULL, type_post DESC, weight, bodyId_pre, bodyId_post
        LIMIT 3
        """,
    ),
    "roi counts returned and ordered": (
        neurons(
            N.roi("MB(R)"),
            columns=["bodyId", N.outputs("MB(R)")],
            order_by=[(N.outputs("MB(R)"), "desc")],
            limit=2,
        ),
        """
        MATCH (n:Neuron)
        WHERE n.`MB(R)`
        RETURN n.bodyId AS bodyId, coalesce(apoc.convert.fromJsonMap(n.roiInfo)['MB(R)'].pre, 0) AS `outputs(MB(R))`
        ORDER BY coalesce(apoc.convert.fromJsonMap(n.roiInfo)['MB(R)'].pre, 0) DESC, n.bodyId
        LIMIT 2
        """,
    ),
    "connections grouped per roi": (
        connections(N.type.isin(["KCab", "KCg-m"]), per_roi=True, group_by=["type", "status"]),
        """
        MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron)
        WHERE n.type IN ['KCab', 'KCg-m']
        WITH n, m, apoc.convert.fromJsonMap(e.roiInfo) AS roiInfo
        UNWIND keys(roiInfo) AS roi
        WITH n, m, roi, coalesce(roiInfo[roi].post, 0) AS roi_weight
        WHERE roi_weight > 0
        RETURN n.type AS type_pre, n.status AS status_pre, m.type AS type_post, m.status AS status_post, roi, sum(roi_weight) AS weight, count(DISTINCT n.bodyId) AS n_pre, count(DISTINCT m.bodyId) AS n_post, count(*) AS n_connections
        ORDER BY weight DESC, type_pre, status_pre, type_post, status_post, roi
        """,
    ),
    "neurons grouped": (
        neurons(N.pre > 10)
        .group_by("type", aggregates=[agg.count(), agg.max("size"), agg.sum(N.inputs("FB"))])
        .ordered_by(("max_size", "desc"))
        .with_limit(5),
        """
        MATCH (n:Neuron)
        WHERE n.pre > 10
        RETURN n.type AS type, count(*) AS `count`, max(n.size) AS max_size, sum(coalesce(apoc.convert.fromJsonMap(n.roiInfo)['FB'].post, 0)) AS `sum_inputs(FB)`
        ORDER BY max_size IS NULL, max_size DESC, type
        LIMIT 5
        """,
    ),
    "synapses ordered and limited": (
        parse('synapses of type = "APL" order by confidence desc limit 4'),
        """
        MATCH (n:Neuron)
        WHERE n.type = 'APL'
        MATCH (n)-[:Contains]->(:SynapseSet)-[:Contains]->(s:Synapse)
        WITH DISTINCT n, s
        MATCH (meta:Meta)
        RETURN n.bodyId AS bodyId, s.type AS type, [k IN meta.primaryRois WHERE s[k] = true][0] AS roi, s.location.x AS x, s.location.y AS y, s.location.z AS z, s.confidence AS confidence
        ORDER BY confidence IS NULL, confidence DESC, bodyId, type, x, y, z, roi
        LIMIT 4
        """,
    ),
}


def test_ladybug_sort_keys_work_around_its_order_bugs() -> None:
    """Ladybug puts -0.0 before every negative double (float keys go through ``x + 0.0``),
    and after an aggregation it sometimes misorders rows when a later key holds nulls (keys
    are null-free there: ``x IS NULL, coalesce(x, zero)``); neo4j is left as is."""
    stmt = neurons(columns=["bodyId"], order_by=[("somaRadius", "desc")])
    assert to_cypher(stmt, "ladybug").text.splitlines()[-1] == (
        "ORDER BY (n.somaRadius + 0.0) IS NULL, coalesce((n.somaRadius + 0.0), 0.0) DESC, n.bodyId"
    )
    grouped = connections(group_by="statusLabel", per_roi=True)
    schema = GraphSchema(node_properties={"bodyId": "int", "statusLabel": "str"})
    assert to_cypher(grouped, "ladybug", schema=schema).text.splitlines()[-1] == (
        "ORDER BY weight DESC, statusLabel_pre IS NULL, coalesce(statusLabel_pre, ''), "
        "statusLabel_post IS NULL, coalesce(statusLabel_post, ''), roi"
    )
    assert to_cypher(stmt, "neo4j").text.splitlines()[-1] == (
        "ORDER BY n.somaRadius IS NULL, n.somaRadius DESC, n.bodyId"
    )


@pytest.mark.parametrize("name", list(GOLDEN))
def test_neo4j_golden(name: str) -> None:
    query, expected = GOLDEN[name]
    assert to_cypher(query, "neo4j").inline() == golden(expected)


def test_parameterised_text_and_params() -> None:
    stmt = to_cypher(
        neurons((N.type == "APL") & (N.pre >= 10) & (N.type != "KC"), columns=["bodyId"])
    )
    assert stmt.text.splitlines()[1:4] == [
        "WHERE n.type = $type",
        "  AND n.pre >= $pre",
        "  AND NOT coalesce(n.type = $type_2, false)",
    ]
    assert stmt.params == {"type": "APL", "pre": 10, "type_2": "KC"}
    assert stmt.columns == ("bodyId",)


def test_output_is_deterministic() -> None:
    q = connections(
        N.type.isin(["b", "a"]), N.roi("FB"), where=E.weight > 1, rois=["FB", "EB"], per_roi=True
    )
    texts = {to_cypher(q, d).inline() for d in ("neo4j",) for _ in range(5)}
    assert len(texts) == 1


def test_predicate_compiles_as_neurons_statement() -> None:
    assert to_cypher(N.pre > 1) == to_cypher(neurons(N.pre > 1))
    assert (N.pre > 1).to_cypher("ladybug") == to_cypher(neurons(N.pre > 1), "ladybug")
    assert to_cypher(N.cropped).text == to_cypher(neurons(N.cropped == True)).text  # noqa: E712


def test_empty_lists_compile_to_false() -> None:
    stmt = to_cypher(neurons(N.type.isin([]) | ~N.pre.isin([]), columns=["bodyId"]))
    assert stmt.text.splitlines()[1] == "WHERE (false OR NOT coalesce(false, false))"


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unknown Cypher dialect 'neo5'"):
        to_cypher(N.pre > 1, "neo5")


def test_wrong_argument() -> None:
    with pytest.raises(TypeError, match="statement or a predicate"):
        to_cypher("type = 'x'")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# ladybug dialect


def test_ladybug_labels_and_roi_counts() -> None:
    stmt = to_cypher(neurons(N.inputs("FB") > 1, label="Segment", columns=["bodyId"]), "ladybug")
    assert stmt.text.splitlines()[:2] == [
        "MATCH (n:Neuron:Segment)",
        "WHERE coalesce(list_concat([0], n.roiPost)[list_position(n.roiNames, $roi) + 1], 0) > $post_count",
    ]
    assert stmt.params == {"roi": "FB", "post_count": 1}


def test_a_schema_refuses_unknown_and_mistyped_properties_before_compiling() -> None:
    # issue 10: these used to fold to constants (silent empty or everything answers)
    schema = GraphSchema(
        node_properties={"bodyId": "int", "type": "str", "pre": "int"}, rois={"FB"}
    )
    for dialect in ("ladybug", "neo4j"):
        with pytest.raises(UnknownField, match="'nope'"):
            to_cypher(N["nope"].is_null(), dialect, schema=schema)
        with pytest.raises(QueryTypeError, match="'type' is a str property"):
            to_cypher(~(N["type"] == 3), dialect, schema=schema)
        with pytest.raises(UnknownField, match="'nope' in return"):
            to_cypher(neurons(N.pre > 1, columns=["bodyId", "nope"]), dialect, schema=schema)


def test_ladybug_schema_folds_leaves_on_json_properties() -> None:
    # a json property (roiInfo) is not a definite kind: not refused, but Ladybug cannot
    # compare its string column with a number, so the leaf folds to false
    schema = GraphSchema(node_properties={"bodyId": "int", "roiInfo": "json", "pre": "int"})
    pred = and_(~(N["roiInfo"] == 1), N.pre > 1)
    stmt = to_cypher(neurons(pred, columns=["bodyId"]), "ladybug", schema=schema)
    assert stmt.text.splitlines() == [
        "MATCH (n:Neuron)",
        "WHERE true",
        "  AND n.pre > $pre",
        "RETURN n.bodyId AS bodyId",
        "ORDER BY n.bodyId",
    ]


def test_schema_checks_roi_names() -> None:
    schema = GraphSchema(node_properties={"bodyId": "int"}, rois={"MB(R)", "FB"})
    with pytest.raises(UnknownROI, match=r"unknown ROI 'MB\(L\)'.*did you mean 'MB\(R\)'"):
        to_cypher(N.roi("MB(L)"), "neo4j", schema=schema)


# ---------------------------------------------------------------------------------------
# literals


@pytest.mark.parametrize("value", HOSTILE_STRINGS)
def test_hostile_strings_round_trip_through_the_lexer(value: str) -> None:
    literal = quote_string(value)
    tokens = tokenize(literal)
    assert [(t.kind, t.value) for t in tokens] == [("string", value)]
    assert "\n" not in literal and ":" not in literal


@given(st.text())
def test_any_string_literal_reads_back_exactly(value: str) -> None:
    literal = quote_string(value)
    tokens = tokenize(literal)
    assert len(tokens) == 1 and tokens[0].kind == "string" and tokens[0].value == value
    assert tokens[0].end == len(literal)
    assert ":" not in literal  # neuPrintHTTP's label rewriting cannot touch it


@given(st.text(min_size=1))
def test_any_identifier_reads_back_exactly(name: str) -> None:
    tokens = tokenize(quote_identifier(name), neo4j=False)
    assert len(tokens) == 1 and tokens[0].value == name
    if "\\" not in name:  # Neo4j replaces \\uXXXX even in backticks: those names never go there
        tokens = tokenize(quote_identifier(name))
        assert len(tokens) == 1 and tokens[0].value == name


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**63), 2**63 - 1))
def test_numbers_read_back_exactly(value: float) -> None:
    tokens = tokenize(render_literal(value))
    assert len(tokens) == 1 and tokens[0].kind == "number"
    assert type(eval(tokens[0].value)) is type(value) and eval(tokens[0].value) == value


def test_lexer_rejects_a_broken_literal() -> None:
    with pytest.raises(LexError):
        tokenize("'it's'")  # the lexer really can tell


# ---------------------------------------------------------------------------------------
# properties over whole statements

MARK = "\u27e6"  # values carry this mark; names never do
marked = st.text(max_size=5).map(lambda s: MARK + s)


@given(predicates(), st.sampled_from(["neo4j", "ladybug"]))
@example(Compare(Prop(Entity.NEURON, "weird`tick"), CompareOp.EQ, 2.0**63), "neo4j")
def test_inline_values_stay_inside_their_literals(pred: object, dialect: str) -> None:
    try:
        stmt = to_cypher(neurons(pred, columns=["bodyId"]), dialect)  # type: ignore[arg-type]
    except InvalidValue as err:  # a number no engine would compare exactly: refused up front
        assert "2**53" in str(err)
        return
    inline = stmt.inline()
    tokens = tokenize(inline, neo4j=dialect == "neo4j")  # the whole query lexes: nothing broke out
    literals = [t.value for t in tokens if t.kind == "string"]
    for value in stmt.params.values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str):
                assert v in literals
    if dialect == "neo4j":
        # a label-like ':Name' can only appear in the MATCH pattern
        assert all(":" not in inline[t.start : t.end] for t in tokens if t.kind == "string")


@given(st.lists(marked, min_size=1, max_size=4), st.sampled_from(["neo4j", "ladybug"]))
def test_parameterised_text_never_contains_user_values(values: list[str], dialect: str) -> None:
    pred = and_(
        N.type == values[0],
        N.instance.isin(values),
        N.status.startswith(values[-1]),
        Compare(Prop(Entity.NEURON, "x"), CompareOp.EQ, values[0]),
    )
    q = connections(pred, N.type.contains(values[0]), where=E["note"] == values[-1])
    stmt = to_cypher(q, dialect)
    assert MARK not in stmt.text
    assert MARK in stmt.inline()
