"""DVID's neuronjson matching rules, evaluated locally: what ``/query`` returns for a query.

Implements ``datatype/neuronjson/query.go``'s rules (see :func:`match`) so that tests and
offline users (:class:`~neuprint_dsl.transports.LocalNeuronJson`) get a DVID server's answer
without one; :func:`check_json_text` refuses values Go's JSON decoder would alter.

Layer L2 (inside ``neuronjson``). May import: L0 (errors), ``neuronjson.re2``.

Example:
    >>> match([{"type": "KC"}, {"bodyid": [1, 2]}], {"bodyid": 2})
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidArgument, InvalidValue
from .re2 import compile_re2

__all__ = ["SHOW", "Matcher", "Query", "check_json_text", "compile_query", "match"]

#: A neuronjson query: a JSON object (its keys ANDed) or a list of objects (ORed).
Query = dict[str, Any] | list[dict[str, Any]]

#: the values of DVID's ``show`` option: keep ``*_user`` and/or ``*_time`` fields
SHOW: tuple[str | None, ...] = (None, "user", "time", "all")


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
    return lambda record: all(test(record.get(key)) for key, test in tests)


#: one value of a query, parsed: tests a record's stored value (``None``: missing or null)
FieldTest = Callable[[Any], bool]


def _never(stored: Any) -> bool:
    """A query value DVID cannot use: it matches nothing (DVID only logs an error)."""
    return False


def _exists(present: bool) -> FieldTest:
    """``exists/1`` (``present``) or ``exists/0``: the field is there and not null, or not."""
    return lambda stored: (stored is not None) is present


def _int_test(q: int) -> FieldTest:
    def test(stored: Any) -> bool:
        return stored is not None and _int_matches(q, *_stored_kind(stored))

    return test


def _ints_test(qs: list[int]) -> FieldTest:
    def test(stored: Any) -> bool:
        if stored is None:
            return False
        kind, value = _stored_kind(stored)
        return any(_int_matches(q, kind, value) for q in qs)

    return test


def _str_test(q: str | re.Pattern[str]) -> FieldTest:
    def test(stored: Any) -> bool:
        return stored is not None and _str_matches(q, *_stored_kind(stored))

    return test


def _strs_test(qs: list[str | re.Pattern[str]]) -> FieldTest:
    def test(stored: Any) -> bool:
        if stored is None:
            return False
        kind, value = _stored_kind(stored)
        return any(_str_matches(q, kind, value) for q in qs)

    return test


def _floats_test(qs: list[float]) -> FieldTest:
    def test(stored: Any) -> bool:
        if stored is None:
            return False
        kind, value = _stored_kind(stored)
        return kind == "float" and float(value) in qs

    return test


def _parse_query_value(value: Any) -> FieldTest:
    """Mirror QueryJSON.UnmarshalJSON: the order in which DVID tries value types."""
    if isinstance(value, bool):
        return _never
    if _is_int(value):
        return _int_test(value)
    if isinstance(value, float):
        return _never  # a scalar float query never matches (no float case in checkField)
    if value is None:
        return _ints_test([])  # null unmarshals as an empty []int64: matches nothing
    if isinstance(value, list):
        return _parse_query_list(value)
    if isinstance(value, str):
        raw = json.dumps(value)  # DVID reads a scalar's raw JSON text, escapes undecoded
        if len(raw) > 4 and raw.startswith('"re/'):
            compiled = compile_re2(raw[4:-1])
            return _str_test(value if compiled is None else compiled)
        if len(raw) == 10 and raw.startswith('"exists/'):
            return _exists(raw[8] != "0")
        return _str_test(value)
    return _never


def _parse_query_list(value: list[Any]) -> FieldTest:
    # []int64 first (Go decodes a null element as 0), then []string (null as "", and only
    # here are "re/..." elements regexes), then a generic list
    if all(_is_int(v) or v is None for v in value):
        return _ints_test([0 if v is None else v for v in value])
    if all(isinstance(v, str) or v is None for v in value):
        return _strs_test([_string_or_regex("" if v is None else v) for v in value])
    first = value[0]
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return _floats_test([float(v) for v in value])  # compared as floats
        raise InvalidArgument(
            f"DVID fails (a panic, then a broken 200 answer) on the mixed list {value!r}"
        )
    if isinstance(first, str):  # strings compare literally; other elements are ignored
        return _strs_test([v for v in value if isinstance(v, str)])
    return _never


def _string_or_regex(value: str) -> str | re.Pattern[str]:
    if len(value) > 3 and value.startswith("re/"):
        compiled = compile_re2(value[3:])
        if compiled is not None:
            return compiled
    return value


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
