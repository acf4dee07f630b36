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

from .errors import CapabilityError
from .expr import (
    Compare,
    CompareOp,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Not,
    Predicate,
    PredicateLike,
    Prop,
    StringOp,
    StringTest,
    as_predicate,
    entities,
    value_kind,
)
from .fields import BoolField, Field, FloatField, IntField, ListField, N, PointField, StrField
from .interpret import evaluate
from .normalize import dnf_clauses

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


@attrs.frozen
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
    if entities(pred) - {Entity.NEURON}:
        raise TypeError("neuronjson queries take neuron predicates (N.*) only")
    names = {**DEFAULT_FIELD_NAMES, **(field_names or {})}
    known = {**DECLARED_KINDS, **(kinds or {})}
    clauses = dnf_clauses(pred)
    if not clauses:
        return NeuronJsonPlan(pred, None, None, True, names, ("the predicate is unsatisfiable",))
    objects: list[dict[str, Any]] = []
    notes: list[str] = []
    exact = True
    conditions: dict[Predicate, tuple[str | None, Any, str]] = {}  # DNF repeats literals
    for clause in clauses:
        obj: dict[str, Any] = {}
        for literal in clause:
            condition = conditions.get(literal)
            if condition is None:
                condition = conditions[literal] = _condition(literal, names, known)
                if condition[2]:
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


def _unique(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for obj in objects:
        key = json.dumps(obj, sort_keys=True)
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
        flags = "(?i)" if leaf.ignore_case else ""
        return key, [f"re/{flags}^(?:{leaf.pattern})$"], lists_possible
    if isinstance(leaf, StringTest):
        text = re.escape(leaf.value)
        pattern = {
            StringOp.STARTS_WITH: f"^{text}",
            StringOp.ENDS_WITH: f"{text}$",
            StringOp.CONTAINS: text,
        }[leaf.op]
        return key, [f"re/{pattern}"], lists_possible
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
    null field, an empty list matching nothing. Raises ``ValueError`` for a query DVID itself
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
        raise ValueError("DVID answers 400 'no query provided' to an empty list")
    for obj in objects:
        if not isinstance(obj, Mapping):
            raise ValueError(f"a neuronjson query must be a JSON object, not {obj!r}")
    ids = _fast_path_ids(objects)
    if ids is not None:  # DVID looks the ids up instead of scanning: {} and [{}] find nothing
        return lambda record: record.get("bodyid") in ids
    alternatives = [_compile_object(obj) for obj in objects]
    if len(alternatives) == 1:
        return alternatives[0]
    return lambda record: any(test(record) for test in alternatives)


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
        raise ValueError(
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
    """Compile a Go RE2 pattern for Python, or ``None`` where RE2 would refuse it (DVID then
    matches the text literally). ASCII classes, ``$``/``\\z`` as the end of the text,
    ``\\Q...\\E`` and POSIX classes as RE2 reads them."""
    if _RE2_REFUSES.search(pattern):
        return None
    try:
        return re.compile(_re2_to_python(pattern), re.ASCII)
    except re.error:
        return None


# constructs RE2 does not compile (outside a character class, roughly): look-around,
# back-references, \Z, \u/\U/\x{...} escapes Python reads differently, atomic groups,
# possessive quantifiers, conditionals and comments
_RE2_REFUSES = re.compile(
    r"\(\?[=!]|\(\?<[=!]|\(\?>|\(\?\(|\(\?#|(?<!\\)\\[1-9]|(?<!\\)\\[ZuU]|[*+?}]\+"
)
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
    "punct": "!-/:-@[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_MULTILINE_FLAG = re.compile(r"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]")


def _re2_to_python(pattern: str) -> str:
    if "\\p" in pattern or "\\P" in pattern:
        raise ValueError(
            f"the local evaluator cannot run RE2's Unicode classes (\\p...) in {pattern!r}"
        )
    multiline = _MULTILINE_FLAG.search(pattern) is not None
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("\\Q", i):
            end = pattern.find("\\E", i + 2)
            literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
            out.append(re.escape(literal))
            i = len(pattern) if end < 0 else end + 2
            continue
        if c == "\\" and i + 1 < len(pattern):
            end_of_text = pattern[i + 1] == "z" and not in_class
            out.append("\\Z" if end_of_text else pattern[i : i + 2])
            i += 2
            continue
        if in_class and pattern.startswith("[:", i):
            close = pattern.find(":]", i)
            name = pattern[i + 2 : close] if close > 0 else ""
            if name in _POSIX:
                out.append(_POSIX[name])
                i = close + 2
                continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading ] is a literal
                out.append("\\]")
                i += 1
            continue
        if c == "]" and in_class:
            in_class = False
        out.append("\\Z" if c == "$" and not in_class and not multiline else c)
        i += 1
    return "".join(out)


def _stored_kind(value: Any) -> tuple[str, Any]:
    """Mirror NeuronJSON.UnmarshalJSON for a stored value."""
    if isinstance(value, bool):
        return "other", value
    if isinstance(value, int):
        return "int", value
    if isinstance(value, float):
        return "float", value
    if isinstance(value, str):
        return "str", value
    if isinstance(value, list):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
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
