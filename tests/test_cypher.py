"""The Cypher compiler: golden neo4j text, literal safety, parameters, dialect tables."""

from __future__ import annotations

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
    connections,
    neurons,
    parse,
)
from neuprint_dsl.cypher import GraphSchema, to_cypher
from neuprint_dsl.cypher.literals import quote_identifier, quote_string, render_literal
from neuprint_dsl.expr import Compare, CompareOp, Entity, Prop, and_

from .cases import Case, cases_with
from .cypher_lexer import LexError, tokenize
from .strategies import HOSTILE_STRINGS, predicates

# ---------------------------------------------------------------------------------------
# golden Cypher per dialect (neo4j: what neuPrintHTTP receives): the "neo4j" and "ladybug"
# columns of tests/fixtures/compile_cases.json


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


@pytest.mark.parametrize("case", cases_with("neo4j"))
def test_neo4j_golden(case: Case) -> None:
    assert to_cypher(parse(case.query), "neo4j").inline() == case.cypher("neo4j")


@pytest.mark.parametrize("case", cases_with("ladybug"))
def test_ladybug_golden(case: Case) -> None:
    assert to_cypher(parse(case.query), "ladybug").inline() == case.cypher("ladybug")


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
