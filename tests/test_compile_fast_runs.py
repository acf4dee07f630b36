"""The compiler's quickest paths, checked against its general path (issue 15: compile speed).

``ConditionWriter._leaf_run`` writes a property equal to a string, a property compared with
an int and a neuron ROI flag from texts cached by joiner, and a negated And / Or by De
Morgan's laws as it is written (no ``to_nnf`` nodes); ``make_statement`` fills a statement
without ``object.__setattr__``. None of it may change a compiled text or parameter: the
fast compile must equal the general compile (a dialect subclass takes the general path
everywhere) and the compile of ``to_nnf(pred)``, on long runs of these leaves, mixed with
the other leaves, negated and nested. No timings here (benchmarks/bench_core.py).
"""

from __future__ import annotations

import pickle
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import N, and_, neurons, not_, or_, to_cypher, to_nnf
from neuprint_dsl.cypher.conditions import ConditionWriter
from neuprint_dsl.cypher.dialects import Ladybug, Neo4j, get_dialect
from neuprint_dsl.cypher.literals import render_literal
from neuprint_dsl.cypher.statement import CypherStatement, Param, make_statement
from neuprint_dsl.expr import Entity, Predicate

from .strategies import HOSTILE_STRINGS, ROIS, predicates


class _PlainNeo4j(Neo4j):
    """A user dialect: the compiler takes its general path with it."""


class _PlainLadybug(Ladybug):
    """A user dialect: the compiler takes its general path with it."""


_PLAIN = {"neo4j": _PlainNeo4j(), "ladybug": _PlainLadybug()}
_N = {Entity.NEURON: "n"}

#: field names, with ones that collide with generated parameter names (roi_2, type_2)
_FIELDS = ("type", "status", "class", "somaSide", "odd name", "roi_2", "roi_3", "type_2", "roi")
_RUN_ROIS = (*ROIS, "roi_2")

_eq = st.builds(lambda f, v: N[f] == v, st.sampled_from(_FIELDS), st.sampled_from(HOSTILE_STRINGS))
_roi = st.sampled_from(_RUN_ROIS).map(N.roi)
_num = st.builds(
    lambda f, v, op: getattr(N[f], op)(v),
    st.sampled_from(("pre", "post", "type_2", "roi_2")),
    st.sampled_from((0, 1, -5, 100, 2**53, 2**53 + 1, 2.5)),
    st.sampled_from(("__gt__", "__ge__", "__lt__", "__le__", "__eq__")),
)
_other = st.sampled_from(
    (
        N.cropped,
        N.somaLocation.not_null(),
        N.type.matches("MBON.*"),
        N.inputs("MB(R)") > 2,
        N.bodyId.isin([1, 2]),
        N.instance.startswith("KC"),
        N.instance.startswith(""),
    )
)
_leaf = st.one_of(_eq, _eq, _roi, _roi, _num, _other)
_maybe_negated = st.one_of(_leaf, _leaf, _leaf.map(not_))


def _junctions(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
    many = st.lists(children, min_size=2, max_size=12)
    junction = st.one_of(many.map(lambda ps: and_(*ps)), many.map(lambda ps: or_(*ps)))
    return st.one_of(junction, junction.map(not_))


#: long runs of string equalities and ROI flags, mixed with the other leaves, negated and
#: nested (a negated And / Or is written by De Morgan's laws)
runs = st.one_of(
    st.lists(_maybe_negated, min_size=2, max_size=40).map(lambda ps: and_(*ps)),
    st.recursive(_maybe_negated, _junctions, max_leaves=30),
)


def _compiled(pred: Any, dialect: Any) -> Any:
    """(text, params, inline, columns) of ``pred`` compiled, or the error's type."""
    try:
        stmt = to_cypher(pred, dialect)
    except Exception as err:
        return type(err)
    return stmt.text, dict(stmt.params), stmt.inline(), stmt.columns


def _written(pred: Predicate, dialect: str) -> Any:
    """``ConditionWriter.predicate``'s text, parameters and precedence, or the error's type
    (a top-level And is split into lines by the WHERE, so not compared as a statement)."""
    try:
        parts, precedence = ConditionWriter(get_dialect(dialect)).predicate(pred, _N)
    except Exception as err:
        return type(err)
    stmt = make_statement(tuple(parts), dialect, (), repr)
    return stmt.text, dict(stmt.params), precedence


def _check(pred: Predicate, dialect: str) -> None:
    fast = _compiled(pred, dialect)
    assert fast == _compiled(pred, _PLAIN[dialect])  # the general path
    assert _written(pred, dialect) == _written(to_nnf(pred), dialect)  # to_nnf's text
    statement = neurons(pred, order_by=[("pre", "desc")], limit=3)  # not the default shape
    assert _compiled(statement, dialect) == _compiled(statement, _PLAIN[dialect])


@settings(max_examples=60, deadline=None)
@given(runs, st.sampled_from(["neo4j", "ladybug"]))
# ROI flags before a field called roi_2: the fast path gave it $roi_2, the general $roi_2_2
@example(N.roi("FB") & N.roi("EB") & (N["roi_2"] == "x"), "ladybug")
@example((N["roi_2"] == "x") & N.roi("FB") & N.roi("EB") & (N.inputs("EB") > 1), "neo4j")
@example(~((N.pre > 1) & N.roi("FB")) & (N.type == "x"), "neo4j")
@example(~(N.roi("FB") | ~((N.type == "a") & (N.status == "b")) | N.cropped), "ladybug")
@example(and_(*(N[f"f{i}"] == "v" for i in range(20)), *(N.roi(r) for r in ROIS)), "neo4j")
@example(and_(*(N.type == str(i) for i in range(5)), N["type_2"] == "x"), "ladybug")
def test_fast_runs_equal_general_compile(pred: Predicate, dialect: str) -> None:
    _check(pred, dialect)


@settings(max_examples=50, deadline=None)
@given(predicates(), st.sampled_from(["neo4j", "ladybug"]))
def test_negations_written_as_to_nnf_writes_them(pred: Predicate, dialect: str) -> None:
    assert _written(not_(pred), dialect) == _written(to_nnf(not_(pred)), dialect)


def test_negated_junction_text() -> None:
    stmt = to_cypher(~((N.pre > 1) & N.roi("FB")) & ~((N.type == "a") | N.cropped), "ladybug")
    assert stmt.text.splitlines()[1:3] == [
        "WHERE (NOT coalesce(n.pre > $pre, false) OR NOT coalesce(n.`roi:^f^b`, false))",
        "  AND NOT coalesce(n.type = $type, false) AND NOT coalesce(n.cropped = true, false)",
    ]
    assert stmt.params == {"pre": 1, "type": "a"}


def test_roi_flags_reserve_their_parameter_names() -> None:
    # each flag is given roi, roi_2, ... as the general path does, though none is written
    stmt = to_cypher(N.roi("FB") & N.roi("EB") & (N["roi_2"] == "x") & (N.inputs("AB") > 1))
    assert stmt.params == {"roi_2_2": "x", "roi_3": "AB", "post_count": 1}


def test_make_statement_is_a_frozen_statement() -> None:
    parts = ("MATCH (n)\nWHERE n.type = ", Param("type", "it's"), "\nRETURN n")
    made = make_statement(parts, "neo4j", ("n",), render_literal)
    plain = CypherStatement(parts, "neo4j", ("n",), made.render_literal)
    assert type(made) is CypherStatement and made == plain and hash(made) == hash(plain)
    assert made.inline() == plain.inline() == "MATCH (n)\nWHERE n.type = 'it\\'s'\nRETURN n"
    assert pickle.loads(pickle.dumps(made)) == made
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.parts = ()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del made.dialect
