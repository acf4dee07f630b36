"""AST to text: :func:`to_text` writes the canonical text of any predicate or statement,
the text :func:`~neuprint_dsl.text.parse` reads back to the same AST.

Each node kind has its printer in a table keyed by the node's class (``_STATEMENTS``,
``_LEAVES``, ``_NEGATIONS``), as the interpreter dispatches. Importing this module
registers :func:`to_text` as the printer behind ``str()`` and ``repr()`` of the AST (see
:mod:`neuprint_dsl.hooks`).

Example:
    >>> from neuprint_dsl import N
    >>> to_text((N.type == "KC") & ((N.pre > 5) | N.cropped))
    'type = "KC" and (pre > 5 or cropped)'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InvalidArgument
from ..expr import (
    TRUE,
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
    Or,
    Predicate,
    Prop,
    RoiCount,
    StringTest,
    as_predicate,
)
from ..hooks import register
from ..query import (
    COUNT,
    Aggregate,
    Connections,
    Mitochondria,
    Neurons,
    OrderKey,
    Statement,
    SynapseConnections,
    Synapses,
)
from .lexicon import list_text, name_text, operand_text, string_text, value_text

__all__ = ["to_text"]


def to_text(ast: object) -> str:
    """The canonical text of a predicate, a boolean field or a statement.

    ``parse(to_text(ast)) == ast`` for every AST whose fields belong to one kind of record
    (edge predicates: ``parse(..., context="edge")``) and whose comparisons the typed fields
    allow (a raw node such as ``Compare(Prop(NEURON, "type"), GT, 3)`` prints, but its text
    is refused).

    Example:
        >>> from neuprint_dsl import N, neurons
        >>> to_text(~N.cropped & (N.status != "Orphan"))
        'not cropped and status != "Orphan"'
        >>> to_text(neurons((N.pre > 5) | N.type.is_null(), limit=10))
        'neurons where pre > 5 or type is null limit 10'
    """
    statement = _STATEMENTS.get(type(ast))
    if statement is not None:
        return statement(ast)
    try:
        pred = as_predicate(ast)
    except TypeError:
        raise InvalidArgument(
            f"to_text() takes a predicate or a statement, not {type(ast).__name__} {ast!r}"
        ) from None
    return _pred_text(pred, 0)


register(printer=to_text)  # behind to_text(), str() and repr() of the AST (neuprint_dsl.hooks)

# ---------------------------------------------------------------------------------------
# statements


def _neurons_text(stmt: Neurons) -> str:
    parts = ["segments" if stmt.label == "Segment" else "neurons"]
    if stmt.where != TRUE:
        parts.append("where " + _pred_text(stmt.where, 0))
    if stmt.group_keys:
        parts.append("group by " + ", ".join(map(name_text, stmt.group_keys)))
        if stmt.aggregates != (COUNT,):
            parts.append("return " + ", ".join(map(_aggregate_text, stmt.aggregates)))
    if stmt.columns is not None:
        parts.append("return " + ", ".join(map(_column_text, stmt.columns)))
    return " ".join(parts + _order_text(stmt))


def _column_text(column: str | RoiCount) -> str:
    return name_text(column) if isinstance(column, str) else operand_text(column)


def _aggregate_text(aggregate: Aggregate) -> str:
    if aggregate.field is None:
        return aggregate.function
    return f"{aggregate.function}({_column_text(aggregate.field)})"


def _order_text(stmt: Statement) -> list[str]:
    """The ``order by`` and ``limit`` clauses of any statement."""
    parts = []
    order: tuple[OrderKey, ...] = stmt.order_by  # type: ignore[attr-defined]
    if order:
        keys = (_column_text(k.field) + (" desc" if k.descending else "") for k in order)
        parts.append("order by " + ", ".join(keys))
    limit: int | None = stmt.limit  # type: ignore[attr-defined]
    if limit is not None:
        parts.append(f"limit {limit}")
    return parts


def _connections_text(stmt: Connections) -> str:
    parts = ["connections", *_sides_text(stmt)]
    if stmt.rois is not None:
        parts.append("in rois " + list_text(stmt.rois))
    if stmt.per_roi:
        parts.append("per roi")
    if stmt.group_keys:
        parts.append("group by " + ", ".join(map(name_text, stmt.group_keys)))
    return " ".join(parts + _order_text(stmt))


def _sides_text(stmt: Connections | SynapseConnections) -> list[str]:
    parts = []
    pre, post = stmt.upstream_label, stmt.downstream_label
    if pre != post:
        parts.append(f"of {pre.lower()}s to {post.lower()}s")
    elif pre == "Segment":
        parts.append("of segments")
    for keyword, pred in (
        ("from", stmt.upstream),
        ("to", stmt.downstream),
        ("where", stmt.where),
    ):
        if pred != TRUE:
            parts.append(f"{keyword} {_pred_text(pred, 0)}")
    return parts


def _owned_text(stmt: Synapses | Mitochondria) -> str:
    parts = ["synapses" if isinstance(stmt, Synapses) else "mitochondria"]
    if stmt.label == "Segment":
        parts.append("of segments")
        if stmt.neurons != TRUE:
            parts.append(_pred_text(stmt.neurons, 0))
    elif stmt.neurons != TRUE:
        parts.append("of " + _pred_text(stmt.neurons, 0))
    if stmt.where != TRUE:
        parts.append("where " + _pred_text(stmt.where, 0))
    if not stmt.primary_only:
        parts.append("all rois")
    if isinstance(stmt, Synapses) and stmt.closest_mitochondria:
        parts.append("with closest mitochondria")
    return " ".join(parts + _order_text(stmt))


def _synapse_connections_text(stmt: SynapseConnections) -> str:
    parts = ["synapse connections", *_sides_text(stmt)]
    if stmt.rois is not None:
        parts.append("in rois " + list_text(stmt.rois))
    if stmt.min_total_weight != 1:
        parts.append(f"min weight {stmt.min_total_weight}")
    if not stmt.primary_only:
        parts.append("all rois")
    if stmt.closest_mitochondria:
        parts.append("with closest mitochondria")
    return " ".join(parts + _order_text(stmt))


_STATEMENTS: dict[type, Callable[[Any], str]] = {
    Neurons: _neurons_text,
    Connections: _connections_text,
    Synapses: _owned_text,
    Mitochondria: _owned_text,
    SynapseConnections: _synapse_connections_text,
}

# ---------------------------------------------------------------------------------------
# predicates


def _pred_text(pred: Predicate, level: int) -> str:
    """``level``: 0 anywhere, 1 inside a conjunction (a disjunction needs parentheses)."""
    cls = type(pred)
    if cls is Or:
        text = " or ".join(_pred_text(item, 1) for item in pred.items)  # type: ignore[attr-defined]
        return f"({text})" if level else text
    if cls is And:
        return " and ".join(_pred_text(item, 1) for item in pred.items)  # type: ignore[attr-defined]
    return _leaf_text(pred)


def _leaf_text(pred: Predicate) -> str:
    """A leaf, a constant or a negation (everything but and / or)."""
    leaf = _LEAVES.get(type(pred))
    if leaf is None:
        raise InvalidArgument(f"to_text() cannot print {type(pred).__name__} {pred!r}")
    return leaf(pred)


def _compare_text(pred: Compare) -> str:
    if pred.op is CompareOp.EQ and pred.value is True and isinstance(pred.operand, Prop):
        return name_text(pred.operand.name)  # a bool field alone: `cropped`
    return f"{operand_text(pred.operand)} {pred.op.value} {value_text(pred.value)}"


def _matches_text(pred: Matches) -> str:
    text = f"{name_text(pred.operand.name)} =~ {string_text(pred.pattern)}"
    return text + " ignore case" if pred.ignore_case else text


def _not_text(pred: Not) -> str:
    item = pred.item
    negation = _NEGATIONS.get(type(item))
    return "not " + _leaf_text(item) if negation is None else negation(item)


def _not_compare_text(item: Compare) -> str:
    if item.op is not CompareOp.EQ:
        return "not " + _compare_text(item)
    if item.value is True and isinstance(item.operand, Prop):
        return "not " + name_text(item.operand.name)
    return f"{operand_text(item.operand)} != {value_text(item.value)}"


_LEAVES: dict[type, Callable[[Any], str]] = {
    Compare: _compare_text,
    IsIn: lambda p: f"{operand_text(p.operand)} in {list_text(p.values)}",
    Matches: _matches_text,
    StringTest: lambda p: f"{name_text(p.operand.name)} {p.op.value} {string_text(p.value)}",
    IsNull: lambda p: f"{name_text(p.operand.name)} is null",
    ContainsAny: lambda p: f"{name_text(p.operand.name)} contains any {list_text(p.values)}",
    InRoi: lambda p: f"roi({string_text(p.roi)})",
    Const: lambda p: "true" if p.value else "false",
    Not: _not_text,
}
#: negations with a text of their own (``!=``, ``is not null``, ``not in``, ``not (...)``);
#: any other is ``not`` and the leaf
_NEGATIONS: dict[type, Callable[[Any], str]] = {
    Compare: _not_compare_text,
    IsNull: lambda p: f"{name_text(p.operand.name)} is not null",
    IsIn: lambda p: f"{operand_text(p.operand)} not in {list_text(p.values)}",
    And: lambda p: f"not ({_pred_text(p, 0)})",
    Or: lambda p: f"not ({_pred_text(p, 0)})",
}
