"""The Cypher compiler: one generator for every dialect (DESIGN section 6).

Negation is null-safe: predicates are compiled in negation normal form, and a negated leaf
becomes ``NOT coalesce(<leaf>, false)`` (or ``IS NOT NULL``), so Cypher's three-valued logic
never leaks. Without negations, AND/OR over leaves that are null on missing values already
select exactly the records where the two-valued predicate is true.

Every user value becomes a parameter (``$type``); ``CypherStatement.inline()`` writes them as
literals for neuPrintHTTP. Output is deterministic, one clause per line.

Example:
    >>> from neuprint_dsl import N, to_cypher
    >>> print(to_cypher(N.type.matches("MBON.*") & ~N.cropped).inline())
    MATCH (n:Neuron)
    WHERE n.type =~ 'MBON.*'
      AND NOT coalesce(n.cropped = true, false)
    RETURN n.bodyId AS bodyId, n.type AS type, n.instance AS instance, n.status AS status, n.statusLabel AS statusLabel, n.cropped AS cropped, n.pre AS pre, n.post AS post, n.downstream AS downstream, n.upstream AS upstream, n.size AS size, n.somaLocation AS somaLocation, n.somaRadius AS somaRadius, n.cellBodyFiber AS cellBodyFiber
    ORDER BY n.bodyId
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import UnknownROI
from ..expr import (
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
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    and_,
    as_predicate,
    or_,
    value_kind,
)
from ..interpret import evaluate
from ..query import Connections, Neurons
from .dialects import Dialect, get_dialect
from .schema import GraphSchema
from .statement import CypherStatement, Param, Part

#: Columns ``neurons(...)`` returns when none are given (those a schema lacks are left out).
NEURON_COLUMNS: tuple[str, ...] = (
    "bodyId",
    "type",
    "instance",
    "status",
    "statusLabel",
    "cropped",
    "pre",
    "post",
    "downstream",
    "upstream",
    "size",
    "somaLocation",
    "somaRadius",
    "cellBodyFiber",
)
#: Neuron properties ``connections(...)`` returns for each side, as ``<name>_pre/_post``.
CONNECTION_PROPERTIES: tuple[str, ...] = ("type", "instance")

_OR, _AND, _ATOM = 1, 2, 3
_STRING_OPS = {
    StringOp.STARTS_WITH: "STARTS WITH",
    StringOp.ENDS_WITH: "ENDS WITH",
    StringOp.CONTAINS: "CONTAINS",
}
_KIND_OK = {
    "str": frozenset({"str"}),
    "number": frozenset({"int", "float"}),
    "bool": frozenset({"bool"}),
}
_PARAM_CHARS = re.compile(r"[^A-Za-z0-9_]+")


@functools.lru_cache(maxsize=4096)
def _property(dialect: Dialect, var: str, name: str) -> str:
    return dialect.property(var, name)


@functools.lru_cache(maxsize=256)
def _return_clause(dialect: Dialect, columns: tuple[str, ...]) -> str:
    return "RETURN " + ", ".join(
        f"{dialect.property('n', c)} AS {dialect.alias(c)}" for c in columns
    )


Rendered = tuple[list[Part], int]


def to_cypher(
    ast: Any,
    dialect: str | Dialect = "neo4j",
    *,
    schema: GraphSchema | None = None,
) -> CypherStatement:
    """Compile a statement (or a neuron predicate, as ``neurons(where=...)``) to Cypher.

    ``dialect`` is ``"neo4j"`` (neuPrint) or ``"ladybug"`` (the embedded engine). With a
    ``schema``, ROI names are checked and, for Ladybug, properties no record has are folded.

    Example:
        >>> from neuprint_dsl import N, E, connections, to_cypher
        >>> stmt = to_cypher(connections(N.type == "APL", where=E.weight >= 5), "ladybug")
        >>> print(stmt.text.splitlines()[1])
        WHERE n.type = $type
        >>> stmt.params
        {'type': 'APL', 'weight': 5}
    """
    compiler = CypherCompiler(get_dialect(dialect), schema)
    if isinstance(ast, Neurons):
        return compiler.neurons(ast)
    if isinstance(ast, Connections):
        return compiler.connections(ast)
    if isinstance(ast, Predicate) or hasattr(ast, "__predicate__"):
        return compiler.neurons(Neurons(as_predicate(ast)))
    raise TypeError(f"to_cypher takes a statement or a predicate, not {type(ast).__name__}")


Bindings = dict[Entity, str]


class CypherCompiler:
    """Compiles one statement; a new compiler per statement (it collects parameters)."""

    def __init__(self, dialect: Dialect, schema: GraphSchema | None = None) -> None:
        self.dialect = dialect
        self.schema = schema
        self.parts: list[Part] = []
        self._param_names: dict[str, int] = {}

    # -- statements ----------------------------------------------------------------------

    def neurons(self, stmt: Neurons) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Neurons` statement."""
        d = self.dialect
        self.line(f"MATCH {d.node_pattern('n', stmt.label)}")
        self.where([(stmt.where, {Entity.NEURON: "n"})])
        columns = stmt.columns if stmt.columns is not None else self._default_columns()
        if self.schema is None:
            self.line(_return_clause(d, columns))
        else:
            self.line(
                "RETURN " + ", ".join(f"{self._read('n', c)} AS {d.alias(c)}" for c in columns)
            )
        keys = [(k.field, k.descending) for k in stmt.order_by]
        if "bodyId" not in {f for f, _ in keys}:
            keys.append(("bodyId", False))
        self.line(
            "ORDER BY "
            + ", ".join(self._read("n", f) + (" DESC" if desc else "") for f, desc in keys)
        )
        if stmt.limit is not None:
            self.line(f"LIMIT {stmt.limit}")
        return self._finish(tuple(columns))

    def connections(self, stmt: Connections) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Connections` statement."""
        d = self.dialect
        pattern = (
            f"{d.node_pattern('n', stmt.upstream_label)}-[e:ConnectsTo]->"
            f"{d.node_pattern('m', stmt.downstream_label)}"
        )
        self.line(f"MATCH {pattern}")
        edge = stmt.where
        if stmt.rois is not None:
            in_rois = (
                Compare(RoiCount(Entity.EDGE, r, "post"), CompareOp.GT, 0) for r in stmt.rois
            )
            edge = and_(edge, or_(*in_rois))
        self.where(
            [
                (stmt.upstream, {Entity.NEURON: "n"}),
                (stmt.downstream, {Entity.NEURON: "m"}),
                (edge, {Entity.EDGE: "e"}),
            ]
        )
        pre, post = self._read("n", "bodyId"), self._read("m", "bodyId")
        if stmt.per_roi:
            for clause in d.per_roi_rows("e", "n", "m"):
                self.line(clause)
            condition: list[Part] = ["WHERE roi_weight > 0"]
            if stmt.rois is not None:
                condition += [" AND roi IN ", self.param("rois", list(stmt.rois))]
            self.line(*condition)
            self.line(
                f"RETURN {pre} AS bodyId_pre, {post} AS bodyId_post, roi, roi_weight AS weight"
            )
            self.line("ORDER BY bodyId_pre, bodyId_post, weight DESC, roi")
            return self._finish(("bodyId_pre", "bodyId_post", "roi", "weight"))
        weight = self._read("e", "weight", Entity.EDGE)
        returned = [f"{pre} AS bodyId_pre", f"{post} AS bodyId_post", f"{weight} AS weight"]
        columns = ["bodyId_pre", "bodyId_post", "weight"]
        for prop in CONNECTION_PROPERTIES:
            for var, side in (("n", "pre"), ("m", "post")):
                returned.append(f"{self._read(var, prop)} AS {d.alias(f'{prop}_{side}')}")
                columns.append(f"{prop}_{side}")
        self.line("RETURN " + ", ".join(returned))
        self.line(f"ORDER BY {weight} DESC, {pre}, {post}")
        return self._finish(tuple(columns))

    # -- building blocks -----------------------------------------------------------------

    def line(self, *parts: Part) -> None:
        """Append one clause line."""
        if self.parts:
            self.parts.append("\n")
        self.parts.extend(parts)

    def param(self, hint: str, value: Any) -> Param:
        """A new parameter named after ``hint`` (deduplicated: ``type``, ``type_2``, ...)."""
        base = _PARAM_CHARS.sub("_", hint).strip("_") or "p"
        if not base[0].isalpha():
            base = "p_" + base
        count = self._param_names.get(base, 0) + 1
        self._param_names[base] = count
        return Param(base if count == 1 else f"{base}_{count}", value)

    def where(self, conjuncts: list[tuple[Predicate, Bindings]]) -> None:
        """A WHERE clause, one top-level conjunct per line (nothing when all are TRUE)."""
        first = True
        for pred, bindings in conjuncts:
            for item in pred.items if isinstance(pred, And) else (pred,):
                if isinstance(item, Const) and item.value:
                    continue
                parts, prec = self.predicate(item, bindings)
                if prec < _AND:
                    parts = ["(", *parts, ")"]
                self.line("WHERE " if first else "  AND ", *parts)
                first = False

    def predicate(self, pred: Predicate, bindings: Bindings, negate: bool = False) -> Rendered:
        """Render a predicate (negated if ``negate``) as parts and its precedence."""
        if isinstance(pred, Not):
            return self.predicate(pred.item, bindings, not negate)
        if isinstance(pred, (And, Or)):
            is_and = isinstance(pred, And) != negate
            prec = _AND if is_and else _OR
            joiner = " AND " if is_and else " OR "
            out: list[Part] = []
            for i, item in enumerate(pred.items):
                parts, item_prec = self.predicate(item, bindings, negate)
                if i:
                    out.append(joiner)
                if item_prec < prec:
                    out.extend(["(", *parts, ")"])
                else:
                    out.extend(parts)
            return out, prec
        if isinstance(pred, Const):
            return [("false" if pred.value == negate else "true")], _ATOM
        folded = self._fold(pred)
        if folded is not None:
            return [("true" if folded != negate else "false")], _ATOM
        if isinstance(pred, IsNull):
            target = self._operand(pred.operand, bindings)
            return [*target, " IS NOT NULL" if negate else " IS NULL"], _ATOM
        parts = self._leaf(pred, bindings)
        if negate:
            return ["NOT coalesce(", *parts, ", false)"], _ATOM
        return parts, _ATOM

    # -- leaves --------------------------------------------------------------------------

    def _leaf(self, pred: Predicate, bindings: Bindings) -> list[Part]:
        if isinstance(pred, InRoi):
            self._check_roi(pred.roi)
            return self.dialect.roi_flag(bindings[pred.entity], self.param("roi", pred.roi))
        if isinstance(pred, (IsIn, ContainsAny)) and not pred.values:
            return ["false"]
        target = pred.operand  # type: ignore[attr-defined]
        if (
            isinstance(target, RoiCount)
            and target.entity is Entity.EDGE
            and not self.dialect.edge_roi_counts_inline
        ):
            return self._edge_roi_rows_test(pred)
        operand = self._operand(target, bindings)
        if isinstance(pred, Compare):
            if isinstance(pred.value, bool):  # true/false cannot carry anything: keep it readable
                return [*operand, f" {pred.op.value} {'true' if pred.value else 'false'}"]
            return [*operand, f" {pred.op.value} ", self._value(pred.operand, pred.value)]
        if isinstance(pred, IsIn):
            return [*operand, " IN ", self._value(pred.operand, list(pred.values))]
        if isinstance(pred, Matches):
            pattern = ("(?i)" if pred.ignore_case else "") + self.dialect.regex(pred.pattern)
            return [*operand, " =~ ", self._value(pred.operand, pattern)]
        if isinstance(pred, StringTest):
            return [*operand, f" {_STRING_OPS[pred.op]} ", self._value(pred.operand, pred.value)]
        if isinstance(pred, ContainsAny):
            values = self._value(pred.operand, list(pred.values))
            return ["any(x IN ", *operand, " WHERE x IN ", values, ")"]
        raise TypeError(f"cannot compile {type(pred).__name__} to Cypher")

    def _edge_roi_rows_test(self, pred: Predicate) -> list[Part]:
        """A test on a connection's ROI weight, for engines that keep per-ROI weights as
        separate ``ConnectsToRoi`` rows: a missing row is a weight of 0."""
        assert isinstance(pred, (Compare, IsIn)) and isinstance(pred.operand, RoiCount)
        roi = self.param("roi", pred.operand.roi)
        if isinstance(pred, Compare):
            test: list[Part] = [f"r.weight {pred.op.value} ", self._value(pred.operand, pred.value)]
        else:
            test = ["r.weight IN ", self._value(pred.operand, list(pred.values))]
        pattern = self.dialect.edge_roi_rows("n", "m")
        if evaluate(pred, {}):  # true for a missing ROI: fail only on a row that fails
            return [
                "NOT EXISTS { MATCH ",
                pattern,
                " WHERE r.roi = ",
                roi,
                " AND NOT (",
                *test,
                ") }",
            ]
        return ["EXISTS { MATCH ", pattern, " WHERE r.roi = ", roi, " AND ", *test, " }"]

    def _operand(self, operand: Operand, bindings: Bindings) -> list[Part]:
        var = bindings[operand.entity]
        if isinstance(operand, Prop):
            return [_property(self.dialect, var, operand.name)]
        # the ROI name is a value here (a map key), so it travels as a parameter
        before, after = self.dialect.roi_count(var, operand.side)
        return [before, self.param("roi", operand.roi), after]

    def _value(self, operand: Operand, value: Any) -> Param:
        hint = operand.name if isinstance(operand, Prop) else f"{operand.side}_count"
        return self.param(hint, value)

    def _fold(self, pred: Predicate) -> bool | None:
        """The constant value of a leaf that the schema decides, else ``None``."""
        if self.schema is None or not self.dialect.strict_properties:
            return None
        operand = getattr(pred, "operand", None)
        if not isinstance(operand, Prop):
            return None
        kind = self._kind(operand)
        if kind is None:  # no record has it: null everywhere
            return isinstance(pred, IsNull)
        if isinstance(pred, IsNull):
            return None
        if isinstance(pred, (Matches, StringTest)):
            return None if kind == "str" else False
        if isinstance(pred, ContainsAny):
            return None if kind == "list" else False
        if isinstance(pred, Compare):
            return None if kind in _KIND_OK[value_kind(pred.value)] else False
        if isinstance(pred, IsIn) and pred.values:
            return None if kind in _KIND_OK[value_kind(pred.values[0])] else False
        return None

    def _kind(self, prop: Prop) -> str | None:
        assert self.schema is not None
        if prop.entity is Entity.EDGE:
            return self.schema.edge_kind(prop.name)
        return self.schema.node_kind(prop.name)

    def _check_roi(self, roi: str) -> None:
        if self.schema is not None and roi not in self.schema.rois:
            raise UnknownROI(roi, self.schema.rois)

    def _read(self, var: str, name: str, entity: Entity = Entity.NEURON) -> str:
        """A property for RETURN/ORDER BY (``NULL`` where a strict engine lacks it)."""
        strict = self.schema is not None and self.dialect.strict_properties
        if strict and self._kind(Prop(entity, name)) is None:
            return "NULL"
        return _property(self.dialect, var, name)

    def _default_columns(self) -> tuple[str, ...]:
        if self.schema is None:
            return NEURON_COLUMNS
        return tuple(c for c in NEURON_COLUMNS if self.schema.node_kind(c) is not None)

    def _finish(self, columns: tuple[str, ...]) -> CypherStatement:
        return CypherStatement(tuple(self.parts), self.dialect.name, columns, self.dialect.literal)
