"""The neuronjson compiler's fast paths give exactly what the plain definitions give: its
one-pass DNF is ``normalize.dnf_clauses`` (clauses, order, literals, the size limit), its
de-duplication of query objects is the one ``json.dumps(sort_keys=True)`` makes, and a field
of another record is refused wherever it sits, even past the DNF limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import E, N, to_neuronjson
from neuprint_dsl.errors import DNFTooLarge, QueryTypeError
from neuprint_dsl.expr import FALSE, TRUE, Predicate, and_, not_, or_
from neuprint_dsl.neuronjson.compiler import _dnf, _unique
from neuprint_dsl.normalize import MAX_DNF_CLAUSES, dnf_clauses

from .strategies import predicates


def _reference(pred: Predicate, limit: int) -> list[tuple[Predicate, ...]] | str:
    try:
        return dnf_clauses(pred, limit)
    except DNFTooLarge:
        return "too large"


def _fast(pred: Predicate, limit: int) -> list[tuple[Predicate, ...]] | str:
    try:
        return _dnf(pred, False, limit)
    except DNFTooLarge:
        return "too large"


@given(predicates(ill_typed=False, max_leaves=12), st.sampled_from([1, 3, 8, MAX_DNF_CLAUSES]))
@example(TRUE, MAX_DNF_CLAUSES)
@example(FALSE, MAX_DNF_CLAUSES)
@example(~((N.pre > 1) & ~((N.type == "a") | N.cropped)), 2)  # De Morgan across a double not
@example(and_(*[or_(N.pre > i, N.post > i) for i in range(4)]), 15)  # 16 clauses: just over
def test_one_pass_dnf_is_dnf_clauses(pred: Predicate, limit: int) -> None:
    assert _fast(pred, limit) == _reference(pred, limit)
    try:  # the negate flag is the DNF of the negation
        negated: list[tuple[Predicate, ...]] | str = _dnf(pred, True, limit)
    except DNFTooLarge:
        negated = "too large"
    assert negated == _reference(not_(pred), limit)


_JSON_VALUES = st.one_of(
    st.text(max_size=3),
    st.integers(-3, 3),
    st.booleans(),
    st.floats(-2, 2, allow_nan=False),
    st.lists(st.one_of(st.text(max_size=2), st.integers(-2, 2), st.booleans()), max_size=3),
)


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["type", "status", "bodyid", "a"]), _JSON_VALUES, max_size=3
        ),
        max_size=6,
    )
)
@example([{"a": 1}, {"a": True}, {"a": 1.0}, {"a": [1]}, {"a": "1"}])  # json tells all apart
@example([{"a": 1, "b": "x"}, {"b": "x", "a": 1}])  # key order does not matter
def test_unique_is_json_unique(objects: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    expected = []
    for obj in objects:
        key = json.dumps(obj, sort_keys=True)
        if key not in seen:
            seen.add(key)
            expected.append(obj)
    assert _unique(objects) == expected


def test_edge_fields_are_refused_anywhere() -> None:
    with pytest.raises(QueryTypeError, match="neuron predicates"):
        to_neuronjson((N.pre > 1) & (E.weight > 2))
    with pytest.raises(QueryTypeError, match="neuron predicates"):
        to_neuronjson(~((E.weight > 2) | (N.pre > 1)))
    # past the DNF limit, the edge leaf comes after the point where the DNF gives up
    wide = and_(*[or_(N.type == f"t{i}", N.pre > i) for i in range(13)])  # 8,192 clauses
    with pytest.raises(QueryTypeError, match="neuron predicates"):
        to_neuronjson(and_(wide, E.weight > 2))
    plan = to_neuronjson(wide)  # the same without the edge leaf: a wider query + residual
    assert plan.residual == wide
