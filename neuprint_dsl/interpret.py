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
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .errors import InvalidValue
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
    Operand,
    Or,
    Predicate,
    PredicateLike,
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    and_,
    as_predicate,
    or_,
)
from .hooks import register
from .patterns import compiled
from .query import column_name
from .values import INT64_MAX, INT64_MIN, value_kind

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

register(interpreter=evaluate)  # behind Predicate.evaluate (see neuprint_dsl.hooks)


# ---------------------------------------------------------------------------------------
# statements: ordering, limits and aggregation (the oracle of every backend's rows)

Row = dict[str, Any]
_KIND_RANK = {"str": 0, "bool": 1, "number": 2}


def _order_value(value: Any) -> tuple[int, Any]:
    """A value's place among present values of one key: strings, then booleans, then
    numbers (Neo4j's order of kinds), each in its natural order (strings by code point)."""
    kind = value_kind(value)
    if kind in _KIND_RANK:
        return (_KIND_RANK[kind], value)
    return (3, repr(value))


def order_rows(
    rows: Iterable[Row], keys: Sequence[tuple[str, bool]], limit: int | None = None
) -> list[Row]:
    """``rows`` ordered by ``keys`` (column, descending) as every backend orders them:
    missing values (``None``, NaN or absent) last whichever the direction, ties kept in
    their order (sort is stable), then the first ``limit`` rows.

    Example:
        >>> rows = [{"b": 1, "pre": None}, {"b": 2, "pre": 5}, {"b": 3, "pre": 9}]
        >>> [r["b"] for r in order_rows(rows, [("pre", True)])]
        [3, 2, 1]
        >>> [r["b"] for r in order_rows(rows, [("pre", False)], limit=2)]
        [2, 3]
    """
    out = list(rows)
    for name, descending in reversed(keys):  # stable sorts, last key first
        present = [r for r in out if not _missing(r.get(name))]
        absent = [r for r in out if _missing(r.get(name))]
        present.sort(key=lambda r: _order_value(r[name]), reverse=descending)
        out = present + absent
    return out if limit is None else out[:limit]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def group_key(value: Any) -> tuple[str, Any]:
    """The grouping identity of a value: its kind and value, so ``1`` and ``1.0`` group
    together but ``True`` and ``1`` do not; every missing value is one group.

    Example:
        >>> group_key(1) == group_key(1.0), group_key(True) == group_key(1)
        (True, False)
    """
    if _missing(value):
        return ("null", None)
    if isinstance(value, list):
        return ("list", tuple(value))
    return (value_kind(value), value)


def aggregate_values(function: str, values: Sequence[Any]) -> Any:
    """One aggregate over a group's values: ``count`` (rows), ``sum`` (0 when no number),
    ``mean``, ``min``, ``max`` (``None`` when no number); values that are not numbers
    (missing ones) are left out.

    Example:
        >>> aggregate_values("sum", [1, None, 2]), aggregate_values("mean", [None])
        (3, None)
    """
    if function == "count":
        return len(values)
    numbers = [v for v in values if value_kind(v) == "number" and not _missing(v)]
    exact = all(isinstance(v, int) for v in numbers)
    if function == "sum":
        total = sum(numbers) if exact else math.fsum(numbers)
        if exact and not INT64_MIN <= total <= INT64_MAX:
            raise InvalidValue(
                f"a sum of {len(numbers)} integers is {total}, beyond the 64-bit range "
                "(every engine refuses it)"
            )
        return total
    if not numbers:
        return None
    if function == "mean":  # ints: their exact sum, rounded once
        return (sum(numbers) if exact else math.fsum(numbers)) / len(numbers)
    return min(numbers) if function == "min" else max(numbers)


def neuron_rows(statement: Any, records: Iterable[Record]) -> list[Row]:
    """The rows of a ``neurons`` statement on neuron records (those of its label), by the
    semantics every backend keeps: filtered by ``where``, ordered (missing values last; ties
    by ``bodyId``, or by the group keys), grouped and aggregated, limited. Without
    ``return`` the rows hold every property of the record.

    Example:
        >>> from neuprint_dsl import N, neurons
        >>> recs = [{"bodyId": 1, "type": "KC", "pre": 3}, {"bodyId": 2, "type": "KC", "pre": 4},
        ...         {"bodyId": 3, "pre": 1}]
        >>> neuron_rows(neurons(N.pre > 0).group_by("type"), recs)
        [{'type': 'KC', 'count': 2}, {'type': None, 'count': 1}]
    """
    chosen = select(statement.where, records)
    if statement.group_keys:
        groups: dict[tuple[Any, ...], list[Record]] = {}
        for record in chosen:
            key = tuple(group_key(record.get(k)) for k in statement.group_keys)
            groups.setdefault(key, []).append(record)
        rows = []
        for members in groups.values():
            row = {k: members[0].get(k) for k in statement.group_keys}
            for agg in statement.aggregates:
                values = members if agg.field is None else [_column(agg.field, r) for r in members]
                row[agg.name] = aggregate_values(agg.function, values)
            rows.append(row)
        return order_rows(rows, statement_order(statement), statement.limit)
    # the keys' values (ROI counts too) beside each record's position
    keyed = [
        {"#": i, **{column_name(k.field): _column(k.field, r) for k in statement.order_by}}
        for i, r in enumerate(chosen)
    ]
    for row, record in zip(keyed, chosen, strict=True):
        row.setdefault("bodyId", record.get("bodyId"))
    ordered = [
        chosen[row["#"]] for row in order_rows(keyed, statement_order(statement), statement.limit)
    ]
    if statement.columns is None:
        return [dict(r) for r in ordered]
    return [{column_name(c): _column(c, r) for c in statement.columns} for r in ordered]


def _column(column: Any, record: Record) -> Any:
    if isinstance(column, str):
        return record.get(column)
    return roi_count(record.get("roiInfo"), column.roi, column.side)


def connection_rows(
    statement: Any, neurons: Iterable[Record], edges: Iterable[Record]
) -> list[Row]:
    """The rows of a ``connections`` statement on neuron records and edge records
    (``bodyId_pre``, ``bodyId_post``, ``weight``, ``roiInfo`` ``{roi: {"post": n}}``), as every
    backend computes them: per connection, per (connection, ROI) with ``per_roi``, or grouped
    by neuron properties (``weight`` summed; ``n_pre``/``n_post`` distinct neurons;
    ``n_connections``), then ordered and limited.

    Example:
        >>> from neuprint_dsl import connections
        >>> ns = [{"bodyId": 1, "type": "KC"}, {"bodyId": 2, "type": "KC"}, {"bodyId": 3, "type": "MBON"}]
        >>> es = [{"bodyId_pre": 1, "bodyId_post": 3, "weight": 4}, {"bodyId_pre": 2, "bodyId_post": 3, "weight": 1}]
        >>> connection_rows(connections(group_by="type"), ns, es)
        [{'type_pre': 'KC', 'type_post': 'MBON', 'weight': 5, 'n_pre': 2, 'n_post': 1, 'n_connections': 2}]
    """
    by_id = {r["bodyId"]: r for r in neurons}
    edge_pred = statement.where
    if statement.rois is not None:
        in_rois = (
            Compare(RoiCount(Entity.EDGE, r, "post"), CompareOp.GT, 0) for r in statement.rois
        )
        edge_pred = and_(edge_pred, or_(*in_rois))
    up, down = as_predicate(statement.upstream), as_predicate(statement.downstream)
    matched = []
    for edge in edges:
        pre, post = by_id.get(edge["bodyId_pre"]), by_id.get(edge["bodyId_post"])
        if pre is None or post is None:
            continue
        if evaluate(up, pre) and evaluate(down, post) and evaluate(edge_pred, edge):
            matched.append((pre, post, edge))
    rows: list[tuple[Record, Record, Row]] = []
    for pre, post, edge in matched:
        base = {"bodyId_pre": pre["bodyId"], "bodyId_post": post["bodyId"]}
        if statement.per_roi:
            info = edge.get("roiInfo")
            info = json.loads(info) if isinstance(info, str) else info or {}
            for roi in info:
                weight = roi_count(info, roi, "post")
                if weight > 0 and (statement.rois is None or roi in statement.rois):
                    rows.append((pre, post, {**base, "roi": roi, "weight": weight}))
        else:
            row = {**base, "weight": edge["weight"]}
            for prop in ("type", "instance"):
                row[f"{prop}_pre"], row[f"{prop}_post"] = pre.get(prop), post.get(prop)
            rows.append((pre, post, row))
    if not statement.group_keys:
        return order_rows([r for _, _, r in rows], statement_order(statement), statement.limit)
    groups: dict[tuple[Any, ...], list[tuple[Record, Record, Row]]] = {}
    for pre, post, row in rows:
        key = tuple(group_key(side.get(k)) for side in (pre, post) for k in statement.group_keys)
        if statement.per_roi:
            key += (row["roi"],)
        groups.setdefault(key, []).append((pre, post, row))
    out = []
    for members in groups.values():
        pre, post, first = members[0]
        group: Row = {}
        for side, record in (("pre", pre), ("post", post)):
            for k in statement.group_keys:
                group[f"{k}_{side}"] = record.get(k)
        if statement.per_roi:
            group["roi"] = first["roi"]
        group["weight"] = sum(r["weight"] for _, _, r in members)
        group["n_pre"] = len({r["bodyId_pre"] for _, _, r in members})
        group["n_post"] = len({r["bodyId_post"] for _, _, r in members})
        group["n_connections"] = len(members)
        out.append(group)
    return order_rows(out, statement_order(statement), statement.limit)


def statement_order(statement: Any) -> list[tuple[str, bool]]:
    """The complete order of a statement's rows: its ``order by`` keys, then its default
    keys not already used (which break ties).

    Example:
        >>> from neuprint_dsl import connections
        >>> statement_order(connections(order_by="type_pre"))
        [('type_pre', False), ('weight', True), ('bodyId_pre', False), ('bodyId_post', False)]
    """
    keys = [(column_name(k.field), k.descending) for k in statement.order_by]
    used = {k for k, _ in keys}
    return keys + [k for k in statement.default_order() if k[0] not in used]


__all__ = [
    "aggregate_values",
    "connection_rows",
    "evaluate",
    "group_key",
    "neuron_rows",
    "operand_value",
    "order_rows",
    "roi_count",
    "select",
    "statement_order",
    "values_equal",
]
