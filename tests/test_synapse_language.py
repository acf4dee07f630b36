"""Synapse-level statements: the S and M namespaces, text round trips, Cypher for both
dialects, and the errors a user gets for mixing record kinds."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import (
    TRUE,
    CapabilityError,
    E,
    Entity,
    GraphSchema,
    M,
    Mitochondria,
    N,
    QuerySyntaxError,
    S,
    SynapseConnections,
    Synapses,
    UnknownField,
    UnknownROI,
    mitochondria,
    parse,
    synapse_connections,
    synapses,
    to_cypher,
    to_neuronjson,
    to_text,
)
from neuprint_dsl.errors import InvalidValue
from neuprint_dsl.expr import Compare, CompareOp, InRoi, Prop, RoiCount

from .cypher_lexer import tokenize
from .strategies import NEURON_SCHEMA, ROIS, predicates

SYNAPSE_SCHEMA = {"type": "str", "confidence": "float", "x": "int", "y": "int", "z": "int"}
MITO_SCHEMA = {"mitoType": "str", "size": "int", "r0": "float", "x": "int"}
LABELS = st.sampled_from(["Neuron", "Segment"])


def test_issue_example_parses_to_the_fluent_statement() -> None:
    text = 'synapses of type = "ExR2" where type = "pre" and confidence > 0.9 and roi("EB")'
    fluent = synapses(N.type == "ExR2", (S.type == "pre") & (S.confidence > 0.9) & S.roi("EB"))
    assert parse(text) == fluent
    assert to_text(fluent) == text


@pytest.mark.parametrize(
    "text",
    [
        "synapses",
        "synapses of segments",
        'synapses of segments type = "x" where roi("EB") all rois with closest mitochondria',
        'synapses of neurons where roi("EB")',
        "synapses where x > 10 and ntGabaProb >= 0.5 and all = 1",
        "mitochondria",
        'mitochondria of bodyId in [1, 2] where mitoType = "dark" and size >= 100000 all rois',
        "synapse connections",
        'synapse connections from type = "APL" to roi("MB(R)") where confidence > 0.5',
        'synapse connections of segments to neurons from bodyId = 1 in rois ["EB", "FB"] '
        "min weight 3 all rois with closest mitochondria",
    ],
)
def test_canonical_text_round_trips(text: str) -> None:
    ast = parse(text)
    printed = to_text(ast)
    assert parse(printed) == ast
    # "of neurons" is the default and prints without "neurons"
    assert printed == text.replace("of neurons where", "where")


def test_keywords_are_case_insensitive() -> None:
    assert parse("SYNAPSE  CONNECTIONS MIN\tWEIGHT 2 ALL ROIS") == synapse_connections(
        min_total_weight=2, primary_only=False
    )
    assert parse("Mitochondria All Rois") == mitochondria(primary_only=False)


@given(
    neurons=predicates(NEURON_SCHEMA, ROIS, Entity.NEURON, ill_typed=False, max_leaves=4),
    where=predicates(SYNAPSE_SCHEMA, ROIS, Entity.SYNAPSE, ill_typed=False, max_leaves=4),
    primary_only=st.booleans(),
    label=LABELS,
    closest=st.booleans(),
)
def test_synapses_round_trip(
    neurons: object, where: object, primary_only: bool, label: str, closest: bool
) -> None:
    stmt = synapses(
        neurons,  # type: ignore[arg-type]
        where,  # type: ignore[arg-type]
        primary_only=primary_only,
        label=label,  # type: ignore[arg-type]
        closest_mitochondria=closest,
    )
    assert parse(to_text(stmt)) == stmt


@given(
    neurons=predicates(NEURON_SCHEMA, ROIS, Entity.NEURON, ill_typed=False, max_leaves=3),
    where=predicates(MITO_SCHEMA, ROIS, Entity.MITO, ill_typed=False, max_leaves=4),
    primary_only=st.booleans(),
    label=LABELS,
)
def test_mitochondria_round_trip(
    neurons: object, where: object, primary_only: bool, label: str
) -> None:
    stmt = mitochondria(
        neurons,  # type: ignore[arg-type]
        where,  # type: ignore[arg-type]
        primary_only=primary_only,
        label=label,  # type: ignore[arg-type]
    )
    assert parse(to_text(stmt)) == stmt


@given(
    up=predicates(NEURON_SCHEMA, ROIS, Entity.NEURON, ill_typed=False, max_leaves=3),
    down=predicates(NEURON_SCHEMA, ROIS, Entity.NEURON, ill_typed=False, max_leaves=3),
    where=predicates(SYNAPSE_SCHEMA, ROIS, Entity.SYNAPSE, ill_typed=False, max_leaves=3),
    rois=st.none() | st.lists(st.sampled_from(ROIS), min_size=1, max_size=3, unique=True),
    weight=st.integers(0, 2**63 - 1),
    primary_only=st.booleans(),
    labels=st.tuples(LABELS, LABELS),
    closest=st.booleans(),
)
def test_synapse_connections_round_trip(
    up: object,
    down: object,
    where: object,
    rois: list[str] | None,
    weight: int,
    primary_only: bool,
    labels: tuple[str, str],
    closest: bool,
) -> None:
    stmt = synapse_connections(
        up,  # type: ignore[arg-type]
        down,  # type: ignore[arg-type]
        where=where,  # type: ignore[arg-type]
        rois=rois,
        min_total_weight=weight,
        primary_only=primary_only,
        upstream_label=labels[0],  # type: ignore[arg-type]
        downstream_label=labels[1],  # type: ignore[arg-type]
        closest_mitochondria=closest,
    )
    assert parse(to_text(stmt)) == stmt
    for dialect in ("neo4j", "ladybug"):
        try:
            compiled = to_cypher(stmt, dialect)
        except InvalidValue as err:  # a number no engine would compare exactly: refused up front
            assert "2**53" in str(err)
            continue
        tokenize(compiled.inline(), neo4j=dialect == "neo4j")  # well-formed however hostile


@given(where=predicates(SYNAPSE_SCHEMA, ROIS, Entity.SYNAPSE, max_leaves=5))
@example(where=Compare(Prop(Entity.SYNAPSE, "type"), CompareOp.EQ, 1e100))  # found by thorough
def test_synapse_predicates_never_splice_values_into_parameterised_text(where: object) -> None:
    stmt = synapses(N.type == "x", where)  # type: ignore[arg-type]
    try:
        compiled = to_cypher(stmt, "ladybug")
    except InvalidValue as err:  # = 2.0**63 on an untyped property: no engine is exact there
        assert "2**53" in str(err)
        return
    for value in compiled.params.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in compiled.text


def test_fields_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(TypeError, match=r"synapse predicate must use synapse fields only \(S"):
        synapses(where=N.type == "KC")
    with pytest.raises(TypeError, match=r"neuron predicate must use neuron fields only \(N"):
        synapses(S.type == "pre")
    with pytest.raises(TypeError, match=r"mitochondrion fields only \(M"):
        mitochondria(where=S.confidence > 0.5)
    with pytest.raises(TypeError, match="upstream"):
        synapse_connections(S.type == "pre")
    with pytest.raises(ValueError, match="min_total_weight"):
        synapse_connections(min_total_weight=-1)
    with pytest.raises(ValueError, match="rois"):
        synapse_connections(rois=[])
    with pytest.raises(ValueError, match="neurons and connections"):
        RoiCount(Entity.MITO, "EB", "pre")


def test_typed_fields_refuse_operations_that_make_no_sense() -> None:
    with pytest.raises(AttributeError, match="float field"):
        S.confidence.matches("x")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        _ = S.type > 3  # type: ignore[operator]
    with pytest.raises(AttributeError, match="int field"):
        M.size.startswith("1")  # type: ignore[attr-defined]
    assert S.roi("EB") == InRoi(Entity.SYNAPSE, "EB")
    assert (M["custom"] == 1) == (M.field("custom") == 1)


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ('synapses where inputs("EB") > 1', 1, 16, "inputs() is a function of neurons"),
        ('synapses where roi_weight("EB") > 1', 1, 16, "function of connections"),
        ("synapses of where x = 1", 1, 13, "unexpected keyword 'where'"),
        ('mitochondria where roi("EB") with closest mitochondria', 1, 30, "unexpected"),
        ("synapse connections min weight 1.5", 1, 32, "min weight takes a non-negative"),
        ("synapse connections in rois []", 1, 29, "needs at least one ROI"),
        ("synapses all rois all rois", 1, 19, "unexpected"),
        ('synapses where type = "pre"\n  and roi(EB)', 2, 11, "unexpected"),
    ],
)
def test_syntax_errors_point_at_the_problem(text: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert reason in str(err)
    assert "^" in str(err)


def test_synapse_predicates_parse_in_their_context() -> None:
    assert parse('type = "pre" and roi("EB")', context="synapse") == (
        (S.type == "pre") & S.roi("EB")
    )
    assert parse("size >= 10", context="mitochondrion") == (M.size >= 10)


# ---------------------------------------------------------------------------------------
# Cypher


def test_neo4j_synapses_follow_the_neuprint_graph_model() -> None:
    stmt = synapses(N.type == "ExR2", (S.type == "pre") & (S.confidence > 0.9) & S.roi("EB"))
    assert to_cypher(stmt, "neo4j").inline() == "\n".join(
        [
            "MATCH (n:Neuron)",
            "WHERE n.type = 'ExR2'",
            "MATCH (n)-[:Contains]->(:SynapseSet)-[:Contains]->(s:Synapse)",
            "WHERE s.type = 'pre'",
            "  AND s.confidence > 0.9",
            "  AND s.EB",
            "WITH DISTINCT n, s",
            "MATCH (meta:Meta)",
            "RETURN n.bodyId AS bodyId, s.type AS type, "
            "[k IN meta.primaryRois WHERE s[k] = true][0] AS roi, s.location.x AS x, "
            "s.location.y AS y, s.location.z AS z, s.confidence AS confidence",
            "ORDER BY bodyId, type, x, y, z, roi",
        ]
    )


def test_neo4j_synapse_connections_filter_rois_on_the_post_side() -> None:
    stmt = synapse_connections(
        N.bodyId == 792368888, where=S.confidence > 0.5, rois=["PED(R)", "SMP(R)"]
    )
    text = to_cypher(stmt, "neo4j").inline()
    assert "(pre_set)-[:Contains]->(ns:Synapse)-[:SynapsesTo]->(ms:Synapse)" in text
    assert "AND (ms.`PED(R)` OR ms.`SMP(R)`)" in text
    assert "ns.`PED(R)`" not in text
    assert "WHERE ns.confidence > 0.5\n  AND ms.confidence > 0.5" in text
    assert "e.weight >= 1" in text
    assert text.endswith(
        "ORDER BY bodyId_pre, bodyId_post, x_pre, y_pre, z_pre, x_post, y_post, z_post"
    )


def test_neo4j_mitochondria_are_elements_of_type_mitochondrion() -> None:
    text = to_cypher(mitochondria(N.bodyId == 1, M.size >= 10), "neo4j").inline()
    assert "MATCH (n)-[:Contains]->(:ElementSet)-[:Contains]->(mito:Element)" in text
    assert "WHERE mito.type = 'mitochondrion'\n  AND mito.size >= 10" in text


def test_all_rois_unwinds_one_row_per_roi() -> None:
    neo = to_cypher(synapses(primary_only=False), "neo4j").inline()
    assert "apoc.coll.sort([k IN keys(apoc.convert.fromJsonMap(meta.roiInfo))" in neo
    assert "UNWIND CASE WHEN size(rois) = 0 THEN [NULL] ELSE rois END AS roi" in neo
    lb = to_cypher(synapses(primary_only=False), "ladybug").text
    assert "CAST([NULL] AS STRING[])" in lb


def test_ladybug_reads_its_own_synapse_tables() -> None:
    stmt = synapses(N.type == "x", S.roi("EB") & (S.x > 5), closest_mitochondria=True)
    compiled = to_cypher(stmt, "ladybug")
    assert "MATCH (n)-[:Contains]->(s:Synapse), (s)-[c:CloseTo]->(mito:Mito)" in compiled.text
    assert "list_contains(s.rois, $roi)" in compiled.text
    assert "s.x > $x" in compiled.text
    assert compiled.params == {"type": "x", "roi": "EB", "x": 5}


def test_schema_checks_rois_and_refuses_unknown_synapse_properties() -> None:
    schema = GraphSchema(
        rois=frozenset({"EB"}),
        synapse_properties=SYNAPSE_SCHEMA,
        mito_properties=MITO_SCHEMA,
        has_synapses=True,
        has_mitochondria=True,
    )
    with pytest.raises(UnknownROI, match="'EBB'"):
        to_cypher(synapses(where=S.roi("EBB")), "ladybug", schema=schema)
    # no synapse has it: refused before compiling (issue 10), on every dialect
    for dialect in ("ladybug", "neo4j"):
        with pytest.raises(UnknownField, match="'ntGabaProb' in the where of synapses"):
            to_cypher(synapses(where=S["ntGabaProb"] > 0.5), dialect, schema=schema)
    neo = to_cypher(synapses(where=S["ntGabaProb"] > 0.5), "neo4j")  # no schema: not refused
    assert "s.ntGabaProb > $ntGabaProb" in neo.text


def test_a_graph_without_synapses_says_so() -> None:
    schema = GraphSchema(has_synapses=False, has_mitochondria=False)
    with pytest.raises(CapabilityError, match="holds no synapses"):
        to_cypher(synapses(), "ladybug", schema=schema)
    with pytest.raises(CapabilityError, match="holds no mitochondria"):
        to_cypher(mitochondria(), "ladybug", schema=schema)
    with_synapses = GraphSchema(has_synapses=True, has_mitochondria=False)
    to_cypher(synapses(), "ladybug", schema=with_synapses)
    with pytest.raises(CapabilityError, match="holds no mitochondria"):
        to_cypher(synapses(closest_mitochondria=True), "ladybug", schema=with_synapses)


def test_neuronjson_refuses_synapse_statements() -> None:
    with pytest.raises((CapabilityError, TypeError, ValueError)):
        to_neuronjson(S.type == "pre")  # type: ignore[arg-type]


def test_statements_are_values() -> None:
    a = synapses(N.type == "x", S.type == "pre")
    assert a == Synapses(N.type == "x", S.type == "pre")
    assert hash(a) == hash(Synapses(N.type == "x", S.type == "pre"))
    assert SynapseConnections() == synapse_connections()
    assert Mitochondria().where == TRUE


def test_fields_and_predicates_have_no_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(S.confidence > 0.5)
    with pytest.raises(TypeError):
        bool(E.weight)
