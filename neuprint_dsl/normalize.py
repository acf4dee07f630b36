"""Meaning-preserving rewrites: negation normal form, DNF, simplification.

All three preserve :func:`neuprint_dsl.evaluate` on every record (a property test checks it).
Because the connectives are two-valued (DESIGN section 3), De Morgan's laws hold and a
negated leaf simply selects the complement of the leaf's records.

Example:
    >>> from neuprint_dsl import N
    >>> print(to_nnf(~((N.type == "KC") | N.roi("MB(R)"))))
    type != "KC" and not roi("MB(R)")
    >>> print(to_dnf((N.pre > 1) & ((N.type == "a") | (N.type == "b"))))
    pre > 1 and type = "a" or pre > 1 and type = "b"
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from operator import is_
from typing import Any

from .errors import DNFTooLarge
from .expr import (
    FALSE,
    TRUE,
    And,
    Const,
    Not,
    Or,
    Predicate,
    PredicateLike,
    and_,
    as_predicate,
    not_,
    or_,
)

#: Largest DNF :func:`dnf_clauses` builds before giving up (DNF can grow exponentially).
MAX_DNF_CLAUSES = 4096


#: A conjunction of literals: leaves and negated leaves (see :func:`is_literal`).
Clause = tuple[Predicate, ...]


def is_literal(pred: Predicate) -> bool:
    """True for a leaf or a negated leaf.

    Example:
        >>> from neuprint_dsl import N
        >>> is_literal(~(N.pre > 3)), is_literal((N.pre > 3) & N.cropped)
        (True, False)
    """
    if isinstance(pred, Not):
        pred = pred.item
    return not isinstance(pred, (And, Or, Not))


def to_nnf(expr: PredicateLike) -> Predicate:
    """Push every negation down to the leaves (De Morgan). A part already in negation normal
    form is returned as it is (the same object: the Cypher compiler calls this on every
    compound condition it writes, so it costs little when there is nothing to do).

    Example:
        >>> from neuprint_dsl import N
        >>> print(to_nnf(~((N.pre > 1) & ~N.cropped)))
        not pre > 1 or cropped
    """
    return _nnf(as_predicate(expr), False)


def _nnf(pred: Predicate, negate: bool) -> Predicate:
    return _NNF.get(type(pred), _nnf_leaf)(pred, negate)


def _nnf_not(pred: Not, negate: bool) -> Predicate:
    if not negate and type(pred.item) not in _NNF:  # a negated leaf: already in NNF
        return pred
    return _nnf(pred.item, not negate)


def _nnf_and(pred: And, negate: bool) -> Predicate:
    parts = [_nnf(item, negate) for item in pred.items]
    if negate:
        return or_(*parts)
    return pred if all(map(is_, parts, pred.items)) else and_(*parts)


def _nnf_or(pred: Or, negate: bool) -> Predicate:
    parts = [_nnf(item, negate) for item in pred.items]
    if negate:
        return and_(*parts)
    return pred if all(map(is_, parts, pred.items)) else or_(*parts)


def _nnf_leaf(pred: Predicate, negate: bool) -> Predicate:
    return not_(pred) if negate else pred


_NNF: dict[type[Predicate], Callable[[Any, bool], Predicate]] = {
    Not: _nnf_not,
    And: _nnf_and,
    Or: _nnf_or,
}


def dnf_clauses(expr: PredicateLike, max_clauses: int = MAX_DNF_CLAUSES) -> list[Clause]:
    """The disjunctive normal form as a list of conjunctions of literals.

    ``[]`` means FALSE; ``[()]`` means TRUE. Raises :class:`DNFTooLarge` (a
    ``NeuprintDSLError`` and a ``ValueError``) if the DNF would exceed ``max_clauses`` clauses.

    Example:
        >>> from neuprint_dsl import N
        >>> [len(c) for c in dnf_clauses(((N.pre > 1) | N.cropped) & (N.post > 2))]
        [2, 2]
    """
    return _dnf(to_nnf(expr), max_clauses)


def _dnf(pred: Predicate, limit: int) -> list[Clause]:
    """The clauses of ``pred``, a predicate in negation normal form."""
    return _DNF.get(type(pred), _dnf_literal)(pred, limit)


def _dnf_const(pred: Const, limit: int) -> list[Clause]:
    return [()] if pred.value else []


def _dnf_or(pred: Or, limit: int) -> list[Clause]:
    out: list[Clause] = []
    for item in pred.items:
        out.extend(_dnf(item, limit))
        _check_size(len(out), limit)
    return out


def _dnf_and(pred: And, limit: int) -> list[Clause]:
    result: list[Clause] = [()]
    for item in pred.items:
        options = _dnf(item, limit)
        _check_size(len(result) * len(options), limit)
        result = [a + b for a, b in product(result, options)]
    return result


def _dnf_literal(pred: Predicate, limit: int) -> list[Clause]:
    return [(pred,)]


_DNF: dict[type[Predicate], Callable[[Any, int], list[Clause]]] = {
    Const: _dnf_const,
    Or: _dnf_or,
    And: _dnf_and,
}


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise DNFTooLarge(limit)


def to_dnf(expr: PredicateLike, max_clauses: int = MAX_DNF_CLAUSES) -> Predicate:
    """The disjunctive normal form as a predicate: an Or of Ands of literals.

    Example:
        >>> from neuprint_dsl import N
        >>> print(to_dnf(~((N.pre > 1) | N.cropped)))
        not pre > 1 and not cropped
    """
    return or_(*(and_(*clause) for clause in dnf_clauses(expr, max_clauses)))


def simplify(expr: PredicateLike) -> Predicate:
    """Drop repeated items and fold contradictions: ``p & p -> p``, ``p & ~p -> FALSE``,
    ``p | ~p -> TRUE``, recursively.

    Example:
        >>> from neuprint_dsl import N
        >>> simplify((N.pre > 1) & ~(N.pre > 1)) == FALSE
        True
    """
    pred = as_predicate(expr)
    simplified = _SIMPLIFY.get(type(pred))
    return pred if simplified is None else simplified(pred)


def _simplify_not(pred: Not) -> Predicate:
    return not_(simplify(pred.item))


def _simplify_junction(pred: And | Or) -> Predicate:
    is_and = type(pred) is And
    items: list[Predicate] = []
    seen: set[Predicate] = set()
    for item in (simplify(i) for i in pred.items):
        if not_(item) in seen:
            return FALSE if is_and else TRUE
        if item not in seen:
            seen.add(item)
            items.append(item)
    return and_(*items) if is_and else or_(*items)


_SIMPLIFY: dict[type[Predicate], Callable[[Any], Predicate]] = {
    Not: _simplify_not,
    And: _simplify_junction,
    Or: _simplify_junction,
}


__all__ = [
    "FALSE",
    "TRUE",
    "DNFTooLarge",
    "dnf_clauses",
    "is_literal",
    "simplify",
    "to_dnf",
    "to_nnf",
]
