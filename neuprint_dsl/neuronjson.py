"""DVID ``neuronjson`` queries: a compiler from predicates, and DVID's matching rules.

DVID's ``/query`` takes a JSON object (its keys ANDed) or a list of objects (ORed); each value
is matched by the rules of ``datatype/neuronjson/query.go`` (see :func:`match`). The compiler
normalises a predicate to DNF and turns each conjunct into one object. Whatever DVID cannot
express exactly (a negated value test, a range, a float or boolean value, ROI counts, a second
test on the same field, a field whose stored values may be lists) is left out of the server
query, which stays an exact *superset*, and becomes the plan's **residual**: the client
evaluates it on the returned records. Results are always exact; with ``strict=True`` anything
that needs a residual raises :class:`~neuprint_dsl.CapabilityError` instead.

Exactness assumes the annotation store holds values of the declared kinds: the typed fields of
``N`` are scalars except ``tags``/``synonyms`` (lists); other names are treated as possibly
list-valued. Pass ``kinds={"name": "str" | "int" | "list" | ...}`` to declare more.

Example:
    >>> from neuprint_dsl import N
    >>> plan = to_neuronjson(N.type.matches("MBON.*") & (N.status == "Traced"))
    >>> plan.query
    {'type': ['re/^(?:MBON.*)$'], 'status': 'Traced'}
    >>> plan.residual is None
    True
    >>> plan = to_neuronjson((N.type == "KC") & (N.pre > 100))
    >>> plan.query, str(plan.residual)
    ({'type': 'KC'}, 'type = "KC" and pre > 100')
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from .errors import CapabilityError, InvalidArgument, InvalidValue, QueryTypeError
from .expr import (
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
    value_kind,
)
from .fields import BoolField, Field, FloatField, IntField, ListField, N, PointField, StrField
from .interpret import evaluate
from .normalize import MAX_DNF_CLAUSES, DNFTooLarge, dnf_clauses
from .patterns import translate

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

Query = dict[str, Any] | list[dict[str, Any]]


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

        from .expr import shown_text

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
        return [r for r in records if evaluate(residual, _renamed(r, to_dsl))]


def _renamed(record: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in record.items()}


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
            "; ".join(notes) or str(pred), "DVID neuronjson", supported_by=("neo4j", "ladybug")
        )
    if any(not obj for obj in objects):
        query: Query | None = None  # one conjunct has no server test: everything may match
    else:
        unique = _unique(objects)
        query = unique[0] if len(unique) == 1 else unique
    return NeuronJsonPlan(pred, query, residual, False, names, tuple(dict.fromkeys(notes)))


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
        raise CapabilityError(f"{pred} ({why})", "DVID neuronjson", ("neo4j", "ladybug"))
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
        if isinstance(node, (And, Or)):
            pending.extend(node.items)
        elif isinstance(node, Not):
            pending.append(node.item)
        elif isinstance(node, InRoi):
            if node.entity is not Entity.NEURON:
                return False
        elif isinstance(node, _LEAVES) and node.operand.entity is not Entity.NEURON:
            return False
    return True


_LEAVES = (Compare, IsIn, Matches, StringTest, IsNull, ContainsAny)


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
    if isinstance(pred, Not):
        if not negate and not isinstance(pred.item, (And, Or)):  # a negated leaf
            _check_neuron(pred.item)
            return [(pred,)]  # the literal is this node itself (equal to Not(leaf))
        return _dnf(pred.item, not negate, limit)
    if isinstance(pred, (And, Or)):
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
    if isinstance(pred, Const):
        return [()] if bool(pred.value) is not negate else []
    _check_neuron(pred)
    return [(Not(pred),)] if negate else [(pred,)]


def _check_neuron(leaf: Predicate) -> None:
    """Refuse a leaf on another record than a neuron (an edge's weight, a synapse's type)."""
    if isinstance(leaf, InRoi):
        entity = leaf.entity
    elif isinstance(leaf, _LEAVES):
        entity = leaf.operand.entity
    else:
        return
    if entity is not Entity.NEURON:
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


def _condition(
    literal: Predicate, names: Mapping[str, str], kinds: Mapping[str, str]
) -> tuple[str | None, Any, str]:
    """(DVID key, value, reason it is inexact or ''); key None: not expressible at all."""
    negated = isinstance(literal, Not)
    leaf = literal.item if isinstance(literal, Not) else literal
    if isinstance(leaf, InRoi) or not isinstance(getattr(leaf, "operand", None), Prop):
        return None, None, "neuronjson annotations have no ROI data"
    operand: Prop = leaf.operand  # type: ignore[attr-defined]
    key = names.get(operand.name, operand.name)
    kind = kinds.get(operand.name, "any")
    scalar = kind in ("str", "int", "float", "bool", "point")
    if isinstance(leaf, IsNull):
        return key, "exists/1" if negated else "exists/0", ""
    if negated:
        return None, None, "DVID cannot negate a value test"
    lists_possible = (
        "" if scalar else f"{operand.name} may hold lists, where DVID matches any element"
    )
    if isinstance(leaf, Compare):
        if leaf.op is not CompareOp.EQ:
            return None, None, "DVID has no range tests"
        return _equality(key, [leaf.value], lists_possible, single=True)
    if isinstance(leaf, IsIn):
        if not leaf.values:
            return key, [], ""  # an empty list matches nothing, on DVID too
        return _equality(key, list(leaf.values), lists_possible, single=False)
    if isinstance(leaf, Matches):
        # flag-free RE2 form (patterns.translate): no (?i), \s without \v, $ as \z
        pattern = translate(leaf.pattern, leaf.ignore_case, "re2")
        return key, [f"re/^(?:{pattern})$"], lists_possible
    if isinstance(leaf, StringTest):
        text = re.escape(leaf.value)
        pattern = {
            StringOp.STARTS_WITH: f"^{text}",
            StringOp.ENDS_WITH: f"{text}$",
            StringOp.CONTAINS: text,
        }[leaf.op]
        # DVID reads a list item as a regex only when it is longer than "re/": "" is in
        # every string, which the (non-empty) search "^" says
        return key, [f"re/{pattern or '^'}"], lists_possible
    if isinstance(leaf, ContainsAny):
        if not leaf.values:
            return key, [], ""
        if kind != "list":
            return None, None, f"{operand.name} is not declared as a list field"
        values = list(leaf.values)
        if value_kind(values[0]) not in ("str", "number") or any(
            isinstance(v, float) for v in values
        ):
            return None, None, "DVID matches only string and integer lists"
        if any(isinstance(v, str) and v.startswith("re/") for v in values):
            return None, None, "DVID reads any string starting with 're/' as a regex"
        return key, values, ""
    return None, None, f"{type(leaf).__name__} has no neuronjson form"


def _equality(
    key: str, values: list[Any], lists_possible: str, *, single: bool
) -> tuple[str | None, Any, str]:
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


# ---------------------------------------------------------------------------------------
# DVID's matching rules


def match(query: Query, record: Mapping[str, Any]) -> bool:
    """True if DVID's ``/query`` would return ``record`` for ``query`` (a JSON object, or a
    list of objects that are ORed). Values are Python JSON values (as ``json.loads`` gives).

    Implements ``query.go``'s rules, including the odd ones: an unanchored regex search, list
    "any-of" on both sides, floats and booleans never matching, ``exists/0`` for a missing or
    null field, an empty list matching nothing. Raises
    :class:`~neuprint_dsl.errors.InvalidArgument` (a ``ValueError``) for a query DVID itself
    fails on (a mixed list that starts with a number, or an empty top-level list). To test
    many records, :func:`compile_query` once.

    Example:
        >>> match({"type": "re/MB"}, {"type": "xMBON"}), match({"type": ["re/^MB"]}, {"type": "xMBON"})
        (True, False)
        >>> match({"pre": 2}, {"pre": 2.0}), match({"pre": 2.0}, {"pre": 2.0})
        (True, False)
    """
    return compile_query(query)(record)


Matcher = Callable[[Mapping[str, Any]], bool]


def compile_query(query: Query) -> Matcher:
    """Parse a neuronjson query once; the returned function tests one record.

    Example:
        >>> test = compile_query([{"type": "KC"}, {"bodyid": [1, 2]}])
        >>> [test(r) for r in ({"bodyid": 2}, {"bodyid": 3, "type": "KC"}, {"bodyid": 4})]
        [True, True, False]
    """
    objects = query if isinstance(query, list) else [query]
    if isinstance(query, list) and not query:
        raise InvalidArgument("DVID answers 400 'no query provided' to an empty list")
    check_json_text(query, "the neuronjson query")
    for obj in objects:
        if not isinstance(obj, Mapping):
            raise InvalidArgument(f"a neuronjson query must be a JSON object, not {obj!r}")
    ids = _fast_path_ids(objects)
    if ids is not None:  # DVID looks the ids up instead of scanning: {} and [{}] find nothing
        return lambda record: record.get("bodyid") in ids
    alternatives = [_compile_object(obj) for obj in objects]
    if len(alternatives) == 1:
        return alternatives[0]
    return lambda record: any(test(record) for test in alternatives)


def check_json_text(value: Any, where: str, path: str = "") -> None:
    """Raise :class:`~neuprint_dsl.errors.InvalidValue` if a JSON value (a query, an
    annotation, tags) holds a lone UTF-16 surrogate in a string or an object key. Go's JSON
    decoder turns one into U+FFFD, so DVID would match or store a different string; every
    backend refuses such values with this error, as the DSL does for ``N.type == "\\ud800"``.

    Example:
        >>> check_json_text({"type": ["KC", "ok \\U0001F600"]}, "the query")
        >>> check_json_text({"type": ["KC", "\\udc00"]}, "the query")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidValue: invalid value '\\udc00' at type[1] of the query: a string must be valid Unicode, but it holds a lone surrogate ('\\udc00' at index 0); DVID would read it as U+FFFD
    """
    if isinstance(value, str):
        _check_utf8(value, path, where)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                _check_utf8(key, f"{path}.{key!r}" if path else repr(key), where, "a field name")
            check_json_text(item, where, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_json_text(item, where, f"{path}[{i}]")


def _check_utf8(text: str, path: str, where: str, what: str = "a string") -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        at = f" at {path} of {where}" if path else f" in {where}"
        raise InvalidValue(
            f"invalid value {text!r}{at}: {what} must be valid Unicode, but it holds a lone "
            f"surrogate ({text[err.start]!r} at index {err.start}); DVID would read it as U+FFFD"
        ) from None


def _fast_path_ids(objects: list[Any]) -> frozenset[int] | None:
    """DVID's queryJustBodyIDs: when every key of every object is ``bodyid`` with an int or
    int-list value, the answer is exactly those bodies."""
    ids: set[int] = set()
    for obj in objects:
        for key, value in obj.items():
            if key != "bodyid":
                return None
            if _is_int(value):
                ids.add(value)
            elif isinstance(value, list) and all(_is_int(v) for v in value):
                ids.update(value)
            else:
                return None
    return frozenset(ids)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _compile_object(query: Mapping[str, Any]) -> Matcher:
    tests = [(key, _parse_query_value(value)) for key, value in query.items()]
    return lambda record: all(_match_field(q, record.get(key)) for key, q in tests)


class _Exists:
    __slots__ = ("present",)

    def __init__(self, present: bool) -> None:
        self.present = present


class _Never:
    """A query value DVID cannot use: it matches nothing (DVID only logs an error)."""


def _parse_query_value(value: Any) -> Any:
    """Mirror QueryJSON.UnmarshalJSON: the order in which DVID tries value types."""
    if isinstance(value, bool):
        return _Never()
    if _is_int(value):
        return ("int", value)
    if isinstance(value, float):
        return _Never()  # a scalar float query never matches (no float case in checkField)
    if value is None:
        return ("ints", [])  # null unmarshals as an empty []int64: matches nothing
    if isinstance(value, list):
        return _parse_query_list(value)
    if isinstance(value, str):
        raw = json.dumps(value)  # DVID reads a scalar's raw JSON text, escapes undecoded
        if len(raw) > 4 and raw.startswith('"re/'):
            compiled = _regex(raw[4:-1])
            return ("str", value) if compiled is None else ("re", compiled)
        if len(raw) == 10 and raw.startswith('"exists/'):
            return _Exists(raw[8] != "0")
        return ("str", value)
    return _Never()


def _parse_query_list(value: list[Any]) -> Any:
    # []int64 first (Go decodes a null element as 0), then []string (null as "", and only
    # here are "re/..." elements regexes), then a generic list
    if all(_is_int(v) or v is None for v in value):
        return ("ints", [0 if v is None else v for v in value])
    if all(isinstance(v, str) or v is None for v in value):
        return ("strs", [_string_or_regex("" if v is None else v) for v in value])
    first = value[0]
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return ("floats", [float(v) for v in value])  # compared as floats
        raise InvalidArgument(
            f"DVID fails (a panic, then a broken 200 answer) on the mixed list {value!r}"
        )
    if isinstance(first, str):  # strings compare literally; other elements are ignored
        return ("strs", [v for v in value if isinstance(v, str)])
    return _Never()


def _string_or_regex(value: str) -> Any:
    if len(value) > 3 and value.startswith("re/"):
        compiled = _regex(value[3:])
        if compiled is not None:
            return compiled
    return value


def _regex(pattern: str) -> re.Pattern[str] | None:
    """Compile a Go RE2 pattern for Python with RE2's meaning, or ``None`` where RE2 would
    refuse it (DVID then matches the text literally): see :func:`_re2_to_python`."""
    if _RE2_REFUSES.search(pattern):
        return None
    try:
        return re.compile(_re2_to_python(pattern))
    except (re.error, _NotRe2, IndexError):  # IndexError: the pattern ends too early
        return None


class _NotRe2(Exception):
    """The pattern is not valid RE2 syntax."""


# constructs RE2 does not compile (outside a character class, roughly): look-around,
# back-references, \Z, \u/\U escapes, atomic groups, conditionals and comments (a
# possessive or doubled quantifier is refused by _re2_to_python)
_RE2_REFUSES = re.compile(r"\(\?[=!]|\(\?<[=!]|\(\?>|\(\?\(|\(\?#|(?<!\\)\\[1-9]|(?<!\\)\\[ZuU]")
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
# RE2's Perl classes are ASCII; inside a class as items, outside as a class
_PERL_CLASSES = {
    "d": "0-9",
    "D": "\\x00-/:-\\U0010ffff",
    "w": "0-9A-Za-z_",
    "W": "\\x00-/:-@\\[-^`{-\\U0010ffff",
    "s": "\\t\\n\\f\\r ",
    "S": "\\x00-\\x08\\x0b\\x0e-\\x1f!-\\U0010ffff",
}
_WORD = "[0-9A-Za-z_]"
_RE2_ESCAPES = {"a": "\x07", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\x0b"}
_RE2_QUANTIFIER = re.compile(r"\{(\d+)(?:,(\d*))?\}")
# characters Python's case folding relates but RE2's simple case folding does not
_PYTHON_ONLY_FOLDS = {"i": "[Ii]", "I": "[Ii]", "\u0130": "\u0130", "\u0131": "\u0131"}


def _re2_to_python(pattern: str) -> str:
    """A Python pattern (compiled without flags) that means what RE2 reads in ``pattern``.

    RE2's inline flags (``(?i)`` anywhere, scoped to the rest of its group) are resolved
    character by character, so no flag reaches Python: a case-insensitive literal becomes
    ``(?i:x)`` (Unicode folding, like RE2's), ``$`` without ``m`` is ``\\Z``, ``\\d``/``\\w``/
    ``\\s``/``\\b`` are RE2's ASCII classes (``\\s`` without ``\\v``; ``\\B`` matches the empty
    text). ``\\Q...\\E``, POSIX classes and ``\\x{...}`` are read as RE2 reads them. Raises
    ``_NotRe2`` for syntax RE2 refuses and :class:`~neuprint_dsl.errors.CapabilityError` for RE2 syntax this evaluator
    cannot run (``\\p`` Unicode classes, ``\\C``, the ``U`` flag).

    Example:
        >>> _re2_to_python("x(?i)k$")
        'x(?i:k)\\\\Z'
    """
    if "\\p" in pattern or "\\P" in pattern or "\\C" in pattern:
        raise CapabilityError(
            f"RE2's Unicode classes (\\p, \\P, \\C) in {pattern!r}",
            "the local neuronjson evaluator",
            ("a DVID server",),
        )
    out: list[str] = []
    flags: list[frozenset[str]] = [frozenset()]
    i, n = 0, len(pattern)
    quantified = 0  # 1 after a quantifier, 2 after a lazy one

    def emit_atom(text: str) -> None:
        out.append(f"(?i:{text})" if "i" in flags[-1] else text)

    def emit_class(body: str, negated: bool) -> None:
        if "i" not in flags[-1]:
            out.append(f"[{'^' if negated else ''}{body}]")
            return
        # RE2 folds the positive class, then negates it; Python's folding also relates
        # İ and ı to i and I, RE2's does not
        folded = f"(?![\u0130\u0131])(?i:[{body}])|[{body}]"
        out.append(f"(?:(?!{folded})(?s:.))" if negated else f"(?:{folded})")

    def emit_char(char: str) -> None:
        if "i" in flags[-1] and char in _PYTHON_ONLY_FOLDS:
            out.append(_PYTHON_ONLY_FOLDS[char])
        else:
            emit_atom(re.escape(char))

    while i < n:
        c = pattern[i]
        was_quantified, quantified = quantified, 0
        if c == "\\":
            if i + 1 >= n:
                raise _NotRe2("trailing backslash")
            e = pattern[i + 1]
            if e == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                for char in literal:
                    emit_char(char)
                i = n if end < 0 else end + 2
                continue
            if e == "E":  # a stray \E is ignored
                i += 2
                continue
            if e in "dDwWsS":  # Go folds the positive class, then negates it
                emit_class(_PERL_CLASSES[e.lower()], negated=e.isupper())
            elif e == "b":
                out.append(f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))")
            elif e == "B":
                out.append(f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))")
            elif e == "A":
                out.append("\\A")
            elif e == "z":
                out.append("\\Z")
            else:
                char, i = _re2_char(pattern, i)
                emit_char(char)
                continue
            i += 2
            continue
        if c == "[":
            body, negated, i = _re2_class(pattern, i)
            emit_class(body, negated)
            continue
        if c == "(":
            if pattern.startswith("(?", i):
                m = re.compile(r"\(\?(?:P?<[A-Za-z0-9_]+>|([imsU]*)(?:-([imsU]*))?([:)]))").match(
                    pattern, i
                )
                if m is None:
                    raise _NotRe2("bad group")
                if m.group(3) is None:  # a named group
                    flags.append(flags[-1])
                    out.append("(")
                else:
                    on, off = m.group(1) or "", m.group(2) or ""
                    if "U" in on + off:
                        raise CapabilityError(
                            f"RE2's U flag in {pattern!r}",
                            "the local neuronjson evaluator",
                            ("a DVID server",),
                        )
                    new = (flags[-1] | set(on)) - set(off)
                    if m.group(3) == ")":
                        flags[-1] = new
                    else:
                        flags.append(new)
                        out.append("(?:")
                i = m.end()
                continue
            flags.append(flags[-1])
            out.append("(")
            i += 1
            continue
        if c == ")":
            if len(flags) == 1:
                raise _NotRe2("unbalanced )")
            flags.pop()
            out.append(")")
        elif c == "{":
            m = _RE2_QUANTIFIER.match(pattern, i)
            if m is None:
                out.append("\\{")  # not a repeat: a literal brace in RE2
            else:
                if was_quantified or any(int(v) > 1000 for v in m.groups() if v):
                    raise _NotRe2("bad repetition")
                out.append(m.group(0))
                quantified = 1
                i = m.end()
                continue
        elif c == ".":
            out.append("(?s:.)" if "s" in flags[-1] else "[^\\n]")
        elif c == "^":
            out.append("(?m:^)" if "m" in flags[-1] else "\\A")
        elif c == "$":
            out.append("(?m:$)" if "m" in flags[-1] else "\\Z")
        elif c in "*+?":
            if was_quantified == 1 and c == "?":
                quantified = 2  # lazy
            elif was_quantified:
                raise _NotRe2("bad repetition operator")  # a**, possessive a*+
            else:
                quantified = 1
            out.append(c)
        elif c == "|":
            out.append(c)
        else:
            emit_char(c)
        i += 1
    if len(flags) != 1:
        raise _NotRe2("missing )")
    return "".join(out)


def _re2_char(pattern: str, i: int) -> tuple[str, int]:
    """The character an escape at ``pattern[i]`` (a backslash) stands for, and the index
    after it."""
    e = pattern[i + 1]
    if e in _RE2_ESCAPES:
        return _RE2_ESCAPES[e], i + 2
    if e == "x":
        if pattern.startswith("{", i + 2):
            end = pattern.find("}", i + 3)
            digits = pattern[i + 3 : end] if end > 0 else ""
            if not re.fullmatch(r"[0-9A-Fa-f]+", digits) or int(digits, 16) > 0x10FFFF:
                raise _NotRe2("bad \\x{...}")
            return chr(int(digits, 16)), end + 1
        digits = pattern[i + 2 : i + 4]
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
            raise _NotRe2("bad \\x")
        return chr(int(digits, 16)), i + 4
    if e == "0":
        m = re.compile(r"0[0-7]{0,2}").match(pattern, i + 1)
        assert m is not None
        return chr(int(m.group(0), 8)), m.end()
    if e.isascii() and e.isalnum():
        raise _NotRe2(f"invalid escape \\{e}")
    return e, i + 2


def _re2_class(pattern: str, i: int) -> tuple[str, bool, int]:
    """An RE2 character class at ``pattern[i]``: the body of a Python class, whether it is
    negated, and the index after it."""
    out = []
    i += 1
    negated = pattern.startswith("^", i)
    if negated:
        i += 1
    first = True
    while True:
        if i >= len(pattern):
            raise _NotRe2("missing ]")
        c = pattern[i]
        if c == "]" and not first:
            break
        first = False
        if pattern.startswith("[:", i):
            close = pattern.find(":]", i)
            name = pattern[i + 2 : close] if close > 0 else ""
            if name in _POSIX:
                out.append(_POSIX[name])
                i = close + 2
                continue
            if name.startswith("^") and name[1:] in _POSIX:
                raise CapabilityError(
                    f"negated POSIX classes in {pattern!r}",
                    "the local neuronjson evaluator",
                    ("a DVID server",),
                )
        if c == "\\" and pattern[i + 1 : i + 2] in tuple("dDwWsS"):
            out.append(_PERL_CLASSES[pattern[i + 1]])
            i += 2
            continue
        if c == "\\":
            char, i = _re2_char(pattern, i)
        else:
            char, i = c, i + 1
        out.append(re.escape(char) if char not in "-" else "\\-")
        if pattern.startswith("-", i) and not pattern.startswith("-]", i):
            i += 1
            if pattern[i] == "\\":
                high, i = _re2_char(pattern, i)
            else:
                high, i = pattern[i], i + 1
            if high < char:
                raise _NotRe2("bad range")
            out.append("-" + re.escape(high))
    return "".join(out), negated, i + 1


def _stored_kind(value: Any) -> tuple[str, Any]:
    """Mirror NeuronJSON.UnmarshalJSON for a stored value."""
    if isinstance(value, bool):
        return "other", value
    if isinstance(value, int):
        if 0 <= value < 2**64:  # ParseUint, then used as int64: 2**63 and more wrap around
            return "int", value - 2**64 if value >= 2**63 else value
        if -(2**63) <= value < 0:
            return "int", value
        try:
            return "float", float(value)  # ParseFloat
        except OverflowError:
            return "other", value
    if isinstance(value, float):
        return "float", value
    if isinstance(value, str):
        return "str", value
    if isinstance(value, list):
        if all(_is_int(v) and -(2**63) <= v < 2**63 for v in value):  # a []int64
            return "ints", value
        if all(isinstance(v, str) for v in value):
            return "strs", value
    return "other", value


def _match_field(query: Any, stored: Any) -> bool:
    if isinstance(query, _Exists):
        return (stored is not None) == query.present
    if stored is None or isinstance(query, _Never):
        return False
    kind, value = _stored_kind(stored)
    tag, q = query
    if tag == "int":
        return _int_matches(q, kind, value)
    if tag == "ints":
        return any(_int_matches(v, kind, value) for v in q)
    if tag == "str":
        return _str_matches(q, kind, value)
    if tag == "re":
        return _str_matches(q, kind, value)
    if tag == "strs":
        return any(_str_matches(v, kind, value) for v in q)
    if tag == "floats":
        return kind == "float" and float(value) in q
    return False


def _int_matches(q: int, kind: str, value: Any) -> bool:
    if kind == "int":
        return bool(value == q)
    if kind == "ints":
        return q in value
    if kind == "float":
        return bool(float(value).is_integer() and int(value) == q)
    return False


def _str_matches(q: str | re.Pattern[str], kind: str, value: Any) -> bool:
    if kind == "str":
        candidates = [value]
    elif kind == "strs":
        candidates = value
    else:
        return False
    if isinstance(q, str):
        return q in candidates
    return any(q.search(c) is not None for c in candidates)


# ---------------------------------------------------------------------------------------
# ordering, limits and aggregation on the client (DVID has none)


def client_rows(
    records: Iterable[Mapping[str, Any]], statement: Any, field_names: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The rows of a ``neurons`` statement computed on DVID records that already passed its
    ``where`` (keys as DVID names them), by the reference interpreter's rules
    (:func:`neuprint_dsl.interpret.neuron_rows`): ordered (missing values last, ties by body
    id), grouped and aggregated (a missing key is a group of its own), limited; returned
    ROI counts read ``roiInfo`` (0 when a record has none). Also returns the result's
    columns (DVID names), or ``None`` when the statement returns every field.

    Example:
        >>> from neuprint_dsl import parse
        >>> recs = [{"bodyid": 1, "type": "KC", "pre": 2}, {"bodyid": 2, "type": "KC", "pre": 5},
        ...         {"bodyid": 3, "pre": 1}]
        >>> rows, columns = client_rows(recs, parse("neurons group by type return count, sum(pre)"), {"bodyId": "bodyid"})
        >>> rows, columns
        ([{'type': 'KC', 'count': 2, 'sum_pre': 7}, {'type': None, 'count': 1, 'sum_pre': 1}], ['type', 'count', 'sum_pre'])
    """
    from .expr import TRUE
    from .interpret import neuron_rows

    to_dsl = {dvid: dsl for dsl, dvid in field_names.items()}
    renamed = [_renamed(r, to_dsl) for r in records]
    rows = neuron_rows(attrs.evolve(statement, where=TRUE), renamed)
    out = [_renamed(row, field_names) for row in rows]
    columns = statement.result_columns()
    if columns is None:
        return out, None
    return out, [field_names.get(c, c) for c in columns]
