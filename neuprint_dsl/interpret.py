"""The reference interpreter: evaluates a predicate on one Python record (the oracle).

It implements DESIGN section 3 exactly and is what every property test compares the
compilers against. A record is a mapping from property names to values; ``None`` and a
missing key are the same. ROI booleans are keys named after the ROI (neuPrint's
``n.`MB(R)```), ROI counts come from ``roiInfo`` (a dict or its JSON text).

Example:
    >>> from neuprint_dsl import N, evaluate
    >>> rec = {"bodyId": 1, "type": "MBON01", "MB(R)": True, "roiInfo": {"MB(R)": {"post": 9}}}
    >>> evaluate(N.type.matches("MBON.*") & N.roi("MB(R)") & (N.inputs("MB(R)") > 5), rec)
    True
    >>> evaluate(~(N.status == "Traced"), rec)  # missing status: the leaf is false
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .expr import (
    And,
    Compare,
    CompareOp,
    Const,
    ContainsAny,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Not,
    Operand,
    Or,
    Predicate,
    PredicateLike,
    Prop,
    StringOp,
    StringTest,
    as_predicate,
    value_kind,
)
from .patterns import compiled

Record = Mapping[str, Any]


def evaluate(expr: PredicateLike, record: Record) -> bool:
    """True if ``record`` satisfies ``expr`` under the semantics of DESIGN section 3.

    Example:
        >>> from neuprint_dsl import N
        >>> evaluate(N.pre >= 10, {"pre": 12}), evaluate(N.pre >= 10, {})
        (True, False)
    """
    pred = as_predicate(expr)
    return _EVAL[type(pred)](pred, record)


def select(expr: PredicateLike, records: Iterable[Record]) -> list[Record]:
    """The records that satisfy ``expr``, in their original order.

    Example:
        >>> from neuprint_dsl import N
        >>> [r["bodyId"] for r in select(N.type == "KC", [{"bodyId": 1, "type": "KC"}, {"bodyId": 2}])]
        [1]
    """
    pred = as_predicate(expr)
    fn = _EVAL[type(pred)]
    return [r for r in records if fn(pred, r)]


def operand_value(operand: Operand, record: Record) -> Any:
    """The value a leaf reads from the record: a property (``None`` if missing) or an ROI
    count (0 if missing).

    Example:
        >>> from neuprint_dsl import N
        >>> operand_value(N.inputs("FB").operand, {"roiInfo": '{"FB": {"pre": 1, "post": 4}}'})
        4
    """
    if isinstance(operand, Prop):
        return record.get(operand.name)
    return roi_count(record.get("roiInfo"), operand.roi, operand.side)


def roi_count(roi_info: Any, roi: str, side: str) -> int:
    """The ``pre``/``post`` count of one ROI in a ``roiInfo`` dict or JSON text (missing = 0).

    Example:
        >>> roi_count({"FB": {"pre": 2}}, "FB", "pre"), roi_count(None, "FB", "post")
        (2, 0)
    """
    if isinstance(roi_info, str):
        roi_info = json.loads(roi_info) if roi_info else None
    if not isinstance(roi_info, Mapping):
        return 0
    entry = roi_info.get(roi)
    if not isinstance(entry, Mapping):
        return 0
    count = entry.get(side)
    if isinstance(count, (int, float)) and not isinstance(count, bool):
        return int(count)
    return 0


def values_equal(a: object, b: object) -> bool:
    """Equality of two values under the DSL's rules: same kind, bool is not a number.

    Example:
        >>> values_equal(1, 1.0), values_equal(1, True), values_equal("1", 1)
        (True, False, False)
    """
    kind = value_kind(a)
    return kind != "other" and kind == value_kind(b) and a == b


# ---------------------------------------------------------------------------------------
# one function per node type


def _compare(p: Compare, r: Record) -> bool:
    v = operand_value(p.operand, r)
    if p.op is CompareOp.EQ:
        return values_equal(v, p.value)
    if value_kind(v) != "number":
        return False
    if p.op is CompareOp.LT:
        return bool(v < p.value)
    if p.op is CompareOp.LE:
        return bool(v <= p.value)
    if p.op is CompareOp.GT:
        return bool(v > p.value)
    return bool(v >= p.value)


def _is_in(p: IsIn, r: Record) -> bool:
    v = operand_value(p.operand, r)
    return any(values_equal(v, x) for x in p.values)


def _matches(p: Matches, r: Record) -> bool:
    v = r.get(p.operand.name)
    return isinstance(v, str) and compiled(p.pattern, p.ignore_case).fullmatch(v) is not None


def _string_test(p: StringTest, r: Record) -> bool:
    v = r.get(p.operand.name)
    if not isinstance(v, str):
        return False
    if p.op is StringOp.STARTS_WITH:
        return v.startswith(p.value)
    if p.op is StringOp.ENDS_WITH:
        return v.endswith(p.value)
    return p.value in v


def _is_null(p: IsNull, r: Record) -> bool:
    return r.get(p.operand.name) is None


def _contains_any(p: ContainsAny, r: Record) -> bool:
    v = r.get(p.operand.name)
    if not isinstance(v, (list, tuple)):
        return False
    return any(values_equal(x, y) for x in v for y in p.values)


def _in_roi(p: InRoi, r: Record) -> bool:
    return r.get(p.roi) is True


def _const(p: Const, r: Record) -> bool:
    return p.value


def _not(p: Not, r: Record) -> bool:
    return not _EVAL[type(p.item)](p.item, r)


def _and(p: And, r: Record) -> bool:
    return all(_EVAL[type(item)](item, r) for item in p.items)


def _or(p: Or, r: Record) -> bool:
    return any(_EVAL[type(item)](item, r) for item in p.items)


_EVAL: dict[type[Predicate], Callable[[Any, Record], bool]] = {
    Compare: _compare,
    IsIn: _is_in,
    Matches: _matches,
    StringTest: _string_test,
    IsNull: _is_null,
    ContainsAny: _contains_any,
    InRoi: _in_roi,
    Const: _const,
    Not: _not,
    And: _and,
    Or: _or,
}

__all__ = ["evaluate", "operand_value", "roi_count", "select", "values_equal"]
