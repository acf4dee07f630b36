"""A Cypher dialect is one syntax (how Cypher is spelled) plus one layout (where the data
lives), registered once by backend name; the compiler renders predicates in normalize.py's
negation normal form."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import N, S, neurons, parse, synapses
from neuprint_dsl.backends import CYPHER_BACKENDS
from neuprint_dsl.cypher import to_cypher
from neuprint_dsl.cypher.dialects import DIALECTS, Dialect, Ladybug, Neo4j, get_dialect
from neuprint_dsl.cypher.layout import GraphLayout, LadybugLayout
from neuprint_dsl.cypher.synapse_aggregate import mean_synapses_cypher
from neuprint_dsl.cypher.syntax import CypherSyntax, LadybugSyntax
from neuprint_dsl.errors import InvalidArgument
from neuprint_dsl.normalize import to_nnf

from .strategies import predicates

#: what a layout may ask of the syntax it is paired with (layout._Spelled)
_LAYOUT_NEEDS = {"property", "json_map", "sort_list"}


def _public(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


def test_syntax_and_layout_answer_different_questions() -> None:
    """No question is answered by both halves: a dialect's behaviour is the union."""
    assert not _public(CypherSyntax) & _public(GraphLayout)
    assert _public(CypherSyntax) >= _LAYOUT_NEEDS
    # the Ladybug halves only override questions of their own half
    assert _public(LadybugSyntax) <= _public(CypherSyntax)
    assert _public(LadybugLayout) <= _public(GraphLayout)


def test_the_two_dialects_are_a_syntax_and_a_layout_each() -> None:
    assert isinstance(get_dialect("neo4j"), Neo4j)
    assert Ladybug.__mro__[1:3] == (LadybugSyntax, LadybugLayout)
    assert type(get_dialect("ladybug")) is Ladybug
    for name, dialect in DIALECTS.items():
        assert dialect.name == name
    assert set(DIALECTS) == set(CYPHER_BACKENDS)
    with pytest.raises(InvalidArgument, match="choose one of ladybug, neo4j"):
        get_dialect("memgraph")


class _NoApocSyntax(CypherSyntax):
    """An engine without APOC on neuPrint's layout."""

    def json_map(self, text: str) -> str:
        return f"json_util.from_json({text})"

    def sort_list(self, text: str) -> str:
        return f"list.sort({text})"


class _NoApoc(_NoApocSyntax, Dialect):
    pass


def test_an_engine_on_neuprints_layout_is_a_few_syntax_overrides() -> None:
    statement = synapses(N.bodyId == 1, primary_only=False)
    ours = to_cypher(statement, _NoApoc()).text
    neo4j = to_cypher(statement, "neo4j").text
    assert "apoc." not in ours and "list.sort([k IN keys(json_util.from_json(" in ours
    assert ours == neo4j.replace("apoc.coll.sort(", "list.sort(").replace(
        "apoc.convert.fromJsonMap(", "json_util.from_json("
    )
    counts = to_cypher(N.outputs("FB") > 2, _NoApoc()).text
    assert "coalesce(json_util.from_json(n.roiInfo)[$roi].pre, 0) > $pre_count" in counts


@settings(max_examples=200, deadline=None)
@given(predicates(), st.sampled_from(["neo4j", "ladybug"]))
@example(parse('not (pre > 1 and not (type = "a" or cropped)) and post < 3'), "neo4j")
@example(parse('not (roi("FB") or status is null)'), "ladybug")
def test_the_compiler_writes_the_negation_normal_form(pred: Any, dialect: str) -> None:
    """A predicate and its negation normal form compile to the same text but for line
    breaks (the compiler renders to_nnf's tree of each top-level condition, one a line), or
    are refused alike."""
    try:
        direct = to_cypher(pred, dialect)
    except Exception as err:
        with pytest.raises(type(err)):
            to_cypher(to_nnf(pred), dialect)
        return
    normal = to_cypher(to_nnf(pred), dialect)
    assert " ".join(direct.text.split()) == " ".join(normal.text.split())
    assert dict(direct.params) == dict(normal.params)


def test_mean_synapses_match_the_synapse_statement() -> None:
    """The aggregated query reads the same synapses as synapses(...): the compiler's
    match_synapses writes both."""
    where = (S.confidence > 0.5) | (S.type == "pre")
    for dialect in ("neo4j", "ladybug"):
        rows = to_cypher(synapses(N.type == "KC", where), dialect).text.splitlines()
        means = mean_synapses_cypher(N.type == "KC", where, dialect=dialect).text.splitlines()
        match = [line for line in rows if not line.startswith(("RETURN", "ORDER BY"))]
        assert means[: len(match)] == match
        assert means[len(match)].startswith("RETURN ")


def test_neurons_statement_and_predicate_agree_through_the_statement_table() -> None:
    pred = (N.type == "a") & ~((N.pre > 2) | N.cropped)
    assert to_cypher(pred, "ladybug").text == to_cypher(neurons(pred), "ladybug").text
