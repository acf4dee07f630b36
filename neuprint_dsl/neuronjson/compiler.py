"""The neuronjson compiler: a neuron predicate to a DVID plan (server query + residual).

The compiler normalises a predicate to DNF (one pass, :func:`_dnf`) and turns each conjunct
into one JSON object, one condition per literal (:data:`_CONDITIONS`, by the literal's type).
Whatever DVID cannot express exactly becomes the plan's residual (see
:mod:`neuprint_dsl.neuronjson`).

Layer L2 (inside ``neuronjson``). May import: L0-L1 (errors, expr, fields, interpret,
normalize, patterns, query), ``backends``, ``neuronjson.rules`` / ``neuronjson.client``.

Example:
    >>> from neuprint_dsl import N
    >>> to_neuronjson(N.bodyId.isin([1, 2]) | N.type.is_null()).query
    [{'bodyid': [1, 2]}, {'type': 'exists/0'}]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ..backends import CYPHER_BACKENDS
from ..errors import CapabilityError, QueryTypeError
from ..expr import (
    LEAF_TYPES,
    And,
    Compare,
    CompareOp,
    Const,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Not,
    Or,
    Predicate,
    PredicateLike,
    Prop,
    StringOp,
    StringTest,
    and_,
    as_predicate,
    shown_text,
    value_kind,
)
from ..fields import (
    BoolField,
    Field,
    FloatField,
    IntField,
    ListField,
    N,
    PointField,
    StrField,
)
from ..interpret import evaluate
from ..normalize import MAX_DNF_CLAUSES, DNFTooLarge, dnf_clauses
from ..patterns import translate
from ..query import Neurons
from .client import renamed
from .rules import Query

__all__ = [
    "DECLARED_KINDS",
    "DEFAULT_FIELD_NAMES",
    "NeuronJsonPlan",
    "compile_statement",
    "to_neuronjson",
]

#: DSL property name -> DVID key, for every store (more can be passed per store)
DEFAULT_FIELD_NAMES: Mapping[str, str] = {"bodyId": "bodyid"}

_KIND_OF_FIELD: dict[type[Field], str] = {
    StrField: "str",
    IntField: "int",
    FloatField: "float",
    BoolField: "bool",
    PointField: "point",
    ListField: "list",
}
#: kinds of the typed neuron fields (from ``N``)
DECLARED_KINDS: Mapping[str, str] = {
    name: _KIND_OF_FIELD.get(cls, "any") for name, cls in N.declared().items()
}


@attrs.frozen(repr=False)
class NeuronJsonPlan:
    """A compiled neuronjson query.

    * ``query``: the JSON to send to ``/query`` (an object or a list of objects), or ``None``
      when the server must return every annotation (``/all``);
    * ``residual``: the predicate the client evaluates on the returned records, or ``None``;
    * ``matches_nothing``: the predicate is unsatisfiable, no request is needed;
    * ``field_names``: DSL name -> DVID key used (for reading records back).
    """

    predicate: Predicate
    query: Query | None
    residual: Predicate | None
    matches_nothing: bool
    field_names: Mapping[str, str]
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """What a notebook shows: the query JSON (or ``/all``) and the residual.

        Example:
            >>> from neuprint_dsl import N
            >>> to_neuronjson(N.type == "APL")
            <neuronjson query {"type": "APL"} exact>
            >>> to_neuronjson(N.pre > 5)
            <neuronjson /all residual pre > 5>
        """

        def render() -> str:
            if self.matches_nothing:
                return "matches nothing (no request)"
            sent = "/all" if self.query is None else "query " + json.dumps(self.query)
            kept = "exact" if self.residual is None else f"residual {self.residual.to_text()}"
            return f"{sent} {kept}"

        return f"<neuronjson {shown_text(render, 'NeuronJsonPlan')}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer: the same text as ``repr``."""
        printer.text(repr(self))

    def explain(self) -> str:
        """A readable account of what the server does and what the client does.

        Example:
            >>> from neuprint_dsl import N
            >>> print(to_neuronjson(N.pre > 5).explain())
            neuronjson plan for: pre > 5
              server: GET /all (no condition DVID can evaluate exactly)
              client: keep records where pre > 5
              why: pre > 5: DVID has no range tests
        """
        lines = [f"neuronjson plan for: {self.predicate}"]
        if self.matches_nothing:
            lines.append("  server: no request (the predicate matches nothing)")
        elif self.query is None:
            lines.append("  server: GET /all (no condition DVID can evaluate exactly)")
        else:
            lines.append(f"  server: GET /query {json.dumps(self.query, ensure_ascii=False)}")
        if self.residual is not None:
            lines.append(f"  client: keep records where {self.residual}")
        else:
            lines.append("  client: nothing (the server's answer is exact)")
        lines.extend(f"  why: {note}" for note in self.notes)
        return "\n".join(lines)

    def filter(self, records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Apply the residual to DVID records (keys as DVID names them)."""
        if self.residual is None:
            return list(records)
        residual = self.residual
        to_dsl = {dvid: dsl for dsl, dvid in self.field_names.items()}
        return [r for r in records if evaluate(residual, renamed(r, to_dsl))]


def to_neuronjson(
    expr: PredicateLike,
    strict: bool = False,
    *,
    field_names: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> NeuronJsonPlan:
    """Compile a neuron predicate to a DVID neuronjson plan (see the module docstring).

    ``field_names`` maps DSL property names to the store's keys (``bodyId`` -> ``bodyid`` is
    always included); ``kinds`` declares the kinds of further properties.

    Example:
        >>> from neuprint_dsl import N
        >>> to_neuronjson(N.bodyId.isin([1, 2]) | N.type.is_null()).query
        [{'bodyid': [1, 2]}, {'type': 'exists/0'}]
    """
    pred = as_predicate(expr)
    names = {**DEFAULT_FIELD_NAMES, **(field_names or {})}
    known = {**DECLARED_KINDS, **(kinds or {})} if kinds else DECLARED_KINDS
    try:
        clauses = _dnf(pred, False, MAX_DNF_CLAUSES)  # refuses a field of another record
    except DNFTooLarge:
        if not _neuron_only(pred):  # a leaf _dnf had not reached yet
            raise _not_neurons() from None
        return _superset_plan(pred, strict, names, known)
    if not clauses:
        return NeuronJsonPlan(pred, None, None, True, names, ("the predicate is unsatisfiable",))
    objects: list[dict[str, Any]] = []
    notes: list[str] = []
    exact = True
    # the DNF repeats each literal object in many clauses: one condition per object (by id,
    # which skips hashing); an equal literal elsewhere gets an equal condition, and its note
    # is written once (``noted``), as for the first
    conditions: dict[int, tuple[str | None, Any, str]] = {}
    noted: set[Predicate] = set()
    for clause in clauses:
        obj: dict[str, Any] = {}
        for literal in clause:
            condition = conditions.get(id(literal))
            if condition is None:
                condition = conditions[id(literal)] = _condition(literal, names, known)
                if condition[2] and literal not in noted:
                    noted.add(literal)
                    notes.append(f"{literal}: {condition[2]}")
            key, value, why = condition
            if why:
                exact = False
            if key is None:
                continue
            if key in obj:
                exact = False
                notes.append(f"{literal}: a second test on the same field")
                continue
            obj[key] = value
        objects.append(obj)
    residual = None if exact else pred
    if strict and residual is not None:
        raise CapabilityError(
            "; ".join(notes) or str(pred),
            "DVID neuronjson",
            supported_by=CYPHER_BACKENDS,
        )
    if any(not obj for obj in objects):
        query: Query | None = None  # one conjunct has no server test: everything may match
    else:
        unique = _unique(objects)
        query = unique[0] if len(unique) == 1 else unique
    return NeuronJsonPlan(pred, query, residual, False, names, tuple(dict.fromkeys(notes)))


def compile_statement(
    statement: Any,
    strict: bool = False,
    *,
    field_names: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> NeuronJsonPlan:
    """The plan of a ``neurons`` statement's ``where`` (:func:`to_neuronjson`); DVID holds
    neuron annotations only, so any other statement raises
    :class:`~neuprint_dsl.errors.CapabilityError` naming the Cypher backends. Ordering,
    grouping, columns and limits are the client's (:func:`client_rows`).

    Example:
        >>> from neuprint_dsl import N, neurons, connections
        >>> compile_statement(neurons(N.type == "KC", limit=3)).query
        {'type': 'KC'}
        >>> compile_statement(connections(N.type == "KC"))
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.CapabilityError: DVID neuronjson (annotations only) cannot express connections; use neo4j or ladybug
    """
    if not isinstance(statement, Neurons):
        what = type(statement).__name__.lower()
        raise CapabilityError(what, "DVID neuronjson (annotations only)", CYPHER_BACKENDS)
    return to_neuronjson(statement.where, strict, field_names=field_names, kinds=kinds)


def _superset_plan(
    pred: Predicate, strict: bool, names: dict[str, str], kinds: Mapping[str, str]
) -> NeuronJsonPlan:
    """The plan of a predicate whose DNF is too large to send: the server gets the plan of
    the largest prefix of its top-level conjuncts whose DNF fits (a query every matching
    record satisfies, down to ``/all``), and the client evaluates the whole predicate."""
    why = (
        f"its disjunctive normal form has more than {MAX_DNF_CLAUSES} clauses: the server "
        "gets a wider query, the client filters"
    )
    if strict:
        raise CapabilityError(f"{pred} ({why})", "DVID neuronjson", CYPHER_BACKENDS)
    items = pred.items if isinstance(pred, And) else (pred,)
    kept: list[Predicate] = []
    for item in items:
        try:
            dnf_clauses(and_(*kept, item))
        except DNFTooLarge:
            continue
        kept.append(item)
    query: Query | None = None
    nothing = False
    notes = [why]
    if kept:
        wider = to_neuronjson(and_(*kept), field_names=names, kinds=kinds)
        query, nothing = wider.query, wider.matches_nothing
        notes += [n for n in wider.notes if n not in notes]
    return NeuronJsonPlan(pred, query, None if nothing else pred, nothing, names, tuple(notes))


def _not_neurons() -> QueryTypeError:
    return QueryTypeError("neuronjson queries take neuron predicates (N.*) only")


def _neuron_only(pred: Predicate) -> bool:
    """True if every field and ROI test in ``pred`` is a neuron's (what
    ``entities(pred) <= {NEURON}`` says, without building the set)."""
    pending = [pred]
    while pending:
        node = pending.pop()
        children = _CHILDREN.get(type(node))
        if children is not None:
            pending.extend(children(node))
        elif _ENTITY[type(node)](node) not in (None, Entity.NEURON):
            return False
    return True


#: the sub-predicates of a connective, by its type
_CHILDREN: dict[type[Predicate], Callable[[Any], tuple[Predicate, ...]]] = {
    And: lambda p: p.items,
    Or: lambda p: p.items,
    Not: lambda p: (p.item,),
}

#: the record a leaf tests (``None``: a constant, true or false on any record), by its type
_ENTITY: dict[type[Predicate], Callable[[Any], Entity | None]] = {
    **{leaf: (lambda p: p.operand.entity) for leaf in LEAF_TYPES if leaf is not InRoi},
    InRoi: lambda p: p.entity,
    Const: lambda p: None,
}


def _dnf(pred: Predicate, negate: bool, limit: int) -> list[tuple[Predicate, ...]]:
    """``dnf_clauses(not_(pred) if negate else pred)`` computed in one pass, without building
    the negation normal form: the same clauses, in the same order, with the same literals
    (a negated leaf is the predicate's own ``Not`` node, or one ``Not(leaf)`` per leaf that De
    Morgan negates), and :class:`DNFTooLarge` when they would pass ``limit``; a leaf on
    another record than a neuron raises :class:`QueryTypeError` (see :func:`_neuron_only`).
    Predicates are canonical (no And directly in an And, no constant inside a junction, no Not
    of a Not or of a constant), so the flattening and folding of ``to_nnf`` never change the
    clauses.

    Example:
        >>> from neuprint_dsl import N
        >>> from neuprint_dsl.normalize import dnf_clauses
        >>> p = ~((N.pre > 1) & ((N.type == "a") | N.cropped))
        >>> _dnf(p, False, 10) == dnf_clauses(p)
        True
    """
    return _DNF[type(pred)](pred, negate, limit)


def _dnf_not(pred: Not, negate: bool, limit: int) -> list[tuple[Predicate, ...]]:
    if not negate and not isinstance(pred.item, (And, Or)):  # a negated leaf
        _check_neuron(pred.item)
        return [(pred,)]  # the literal is this node itself (equal to Not(leaf))
    return _dnf(pred.item, not negate, limit)


def _dnf_junction(pred: And | Or, negate: bool, limit: int) -> list[tuple[Predicate, ...]]:
    if isinstance(pred, And) is not negate:  # a conjunction: the product of the items
        result: list[tuple[Predicate, ...]] = [()]
        for item in pred.items:
            options = _dnf(item, negate, limit)
            if len(result) * len(options) > limit:
                raise DNFTooLarge(limit)
            result = [a + b for a in result for b in options]
        return result
    out: list[tuple[Predicate, ...]] = []
    for item in pred.items:
        out += _dnf(item, negate, limit)
        if len(out) > limit:
            raise DNFTooLarge(limit)
    return out


def _dnf_const(pred: Const, negate: bool, limit: int) -> list[tuple[Predicate, ...]]:
    return [()] if bool(pred.value) is not negate else []


def _dnf_leaf(pred: Any, negate: bool, limit: int) -> list[tuple[Predicate, ...]]:
    if pred.operand.entity is not Entity.NEURON:  # (the hot path: no _check_neuron call)
        raise _not_neurons()
    return [(Not(pred),)] if negate else [(pred,)]


def _dnf_roi(pred: InRoi, negate: bool, limit: int) -> list[tuple[Predicate, ...]]:
    if pred.entity is not Entity.NEURON:
        raise _not_neurons()
    return [(Not(pred),)] if negate else [(pred,)]


_DNF: dict[type[Predicate], Callable[[Any, bool, int], list[tuple[Predicate, ...]]]] = {
    Not: _dnf_not,
    And: _dnf_junction,
    Or: _dnf_junction,
    Const: _dnf_const,
    **{leaf: _dnf_leaf for leaf in LEAF_TYPES if leaf is not InRoi},
    InRoi: _dnf_roi,
}


def _check_neuron(leaf: Predicate) -> None:
    """Refuse a leaf on another record than a neuron (an edge's weight, a synapse's type)."""
    if _ENTITY[type(leaf)](leaf) not in (None, Entity.NEURON):
        raise _not_neurons()


def _unique(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(objects) == 1:
        return objects
    seen: set[str] = set()
    out = []
    for obj in objects:
        # the same objects as json.dumps(obj, sort_keys=True) tells apart: the values are
        # JSON values (str, int, lists of them), whose repr is as exact as their JSON
        key = repr(sorted(obj.items()))
        if key not in seen:
            seen.add(key)
            out.append(obj)
    return out


#: what :func:`_condition` returns: (DVID key, value, reason it is inexact or ''); key None:
#: the literal is not expressible at all
Condition = tuple[str | None, Any, str]


def _condition(literal: Predicate, names: Mapping[str, str], kinds: Mapping[str, str]) -> Condition:
    """(DVID key, value, reason it is inexact or ''); key None: not expressible at all."""
    negated = isinstance(literal, Not)
    leaf = literal.item if isinstance(literal, Not) else literal
    if isinstance(leaf, InRoi) or not isinstance(getattr(leaf, "operand", None), Prop):
        return None, None, "neuronjson annotations have no ROI data"
    operand: Prop = leaf.operand  # type: ignore[attr-defined]
    key = names.get(operand.name, operand.name)
    rule = _CONDITIONS.get(type(leaf))
    if rule is None:
        return None, None, f"{type(leaf).__name__} has no neuronjson form"
    return rule(leaf, key, operand.name, kinds.get(operand.name, "any"), negated)


def _lists_possible(name: str, kind: str) -> str:
    """Why an equality or regex on ``name`` is inexact: a field that may hold lists, where
    DVID matches any element ('' for a scalar kind)."""
    scalar = kind in ("str", "int", "float", "bool", "point")
    return "" if scalar else f"{name} may hold lists, where DVID matches any element"


_CANNOT_NEGATE: Condition = (None, None, "DVID cannot negate a value test")


def _is_null(leaf: IsNull, key: str, name: str, kind: str, negated: bool) -> Condition:
    return key, "exists/1" if negated else "exists/0", ""


def _compare(leaf: Compare, key: str, name: str, kind: str, negated: bool) -> Condition:
    if negated:
        return _CANNOT_NEGATE
    if leaf.op is not CompareOp.EQ:
        return None, None, "DVID has no range tests"
    return _equality(key, [leaf.value], _lists_possible(name, kind), single=True)


def _is_in(leaf: IsIn, key: str, name: str, kind: str, negated: bool) -> Condition:
    if negated:
        return _CANNOT_NEGATE
    if not leaf.values:
        return key, [], ""  # an empty list matches nothing, on DVID too
    return _equality(key, list(leaf.values), _lists_possible(name, kind), single=False)


def _matches(leaf: Matches, key: str, name: str, kind: str, negated: bool) -> Condition:
    if negated:
        return _CANNOT_NEGATE
    # flag-free RE2 form (patterns.translate): no (?i), \s without \v, $ as \z
    pattern = translate(leaf.pattern, leaf.ignore_case, "re2")
    return key, [f"re/^(?:{pattern})$"], _lists_possible(name, kind)


_STRING_TESTS = {
    StringOp.STARTS_WITH: "^{}",
    StringOp.ENDS_WITH: "{}$",
    StringOp.CONTAINS: "{}",
}


def _string_test(leaf: StringTest, key: str, name: str, kind: str, negated: bool) -> Condition:
    if negated:
        return _CANNOT_NEGATE
    pattern = _STRING_TESTS[leaf.op].format(re.escape(leaf.value))
    # DVID reads a list item as a regex only when it is longer than "re/": "" is in
    # every string, which the (non-empty) search "^" says
    return key, [f"re/{pattern or '^'}"], _lists_possible(name, kind)


def _contains_any(leaf: ContainsAny, key: str, name: str, kind: str, negated: bool) -> Condition:
    if negated:
        return _CANNOT_NEGATE
    if not leaf.values:
        return key, [], ""
    if kind != "list":
        return None, None, f"{name} is not declared as a list field"
    values = list(leaf.values)
    if value_kind(values[0]) not in ("str", "number") or any(isinstance(v, float) for v in values):
        return None, None, "DVID matches only string and integer lists"
    if any(isinstance(v, str) and v.startswith("re/") for v in values):
        return None, None, "DVID reads any string starting with 're/' as a regex"
    return key, values, ""


#: the server condition of a literal, by the type of its leaf (``negated``: under a ``Not``)
_CONDITIONS: dict[type[Predicate], Callable[[Any, str, str, str, bool], Condition]] = {
    IsNull: _is_null,
    Compare: _compare,
    IsIn: _is_in,
    Matches: _matches,
    StringTest: _string_test,
    ContainsAny: _contains_any,
}


def _equality(key: str, values: list[Any], lists_possible: str, *, single: bool) -> Condition:
    kind = value_kind(values[0])
    if kind == "bool":
        return None, None, "DVID never matches booleans"
    if kind == "number":
        if any(isinstance(v, float) for v in values):
            return None, None, "DVID never matches float values"
        if any(v < 0 for v in values):  # the server's answer stays a superset
            wraps = "DVID reads a stored integer of 2**63 or more as a negative int64"
            return key, values[0] if single else values, wraps
        return key, values[0] if single else values, lists_possible
    if any(v.startswith("re/") for v in values):
        return None, None, "DVID reads any string starting with 're/' as a regex"
    if single and len(values[0]) == 8 and values[0].startswith("exists/"):
        return key, values, lists_possible  # inside a list it is a literal string
    return key, values[0] if single else values, lists_possible
