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
    WHERE n.type =~ 'MBON[^\\\\n]*'
      AND NOT coalesce(n.cropped = true, false)
    RETURN n.bodyId AS bodyId, n.type AS type, n.instance AS instance, n.status AS status, n.statusLabel AS statusLabel, n.cropped AS cropped, n.pre AS pre, n.post AS post, n.downstream AS downstream, n.upstream AS upstream, n.size AS size, n.somaLocation AS somaLocation, n.somaRadius AS somaRadius, n.cellBodyFiber AS cellBodyFiber
    ORDER BY n.bodyId
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from ..errors import CapabilityError, InvalidArgument, QueryTypeError, UnknownROI
from ..expr import (
    TRUE,
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
    single_entity,
    value_kind,
)
from ..interpret import evaluate
from ..query import (
    CLOSEST_MITO_COLUMNS,
    CONNECTION_MITO_FIELDS,
    CONNECTION_PROPERTIES,
    MITO_COLUMNS,
    SYNAPSE_COLUMNS,
    SYNAPSE_CONNECTION_COLUMNS,
    Aggregate,
    Connections,
    Mitochondria,
    Neurons,
    OrderKey,
    SynapseConnections,
    Synapses,
    column_name,
)
from .dialects import Dialect, Ladybug, Neo4j, get_dialect
from .literals import (
    EXACT_DOUBLE_INT,
    all_plain_ints,
    exact_number_comparison,
    exact_number_list,
    literal_renderer,
)
from .schema import UNKNOWN, GraphSchema
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
_POINT_AXES = frozenset({"x", "y", "z"})
__all__ = [
    "CLOSEST_MITO_COLUMNS",
    "CONNECTION_MITO_FIELDS",
    "CONNECTION_PROPERTIES",
    "MITO_COLUMNS",
    "NEURON_COLUMNS",
    "SYNAPSE_COLUMNS",
    "SYNAPSE_CONNECTION_COLUMNS",
    "CypherCompiler",
    "to_cypher",
]
#: Result columns that are never null (a descending key needs no nulls-last guard).
_NEVER_NULL = frozenset(
    {"bodyId", "bodyId_pre", "bodyId_post", "weight", "n_pre", "n_post", "n_connections"}
    | {"count", "x", "y", "z", "x_pre", "y_pre", "z_pre", "x_post", "y_post", "z_post"}
)
#: Kinds of the nullable result columns of synapses, mitochondria and synapse connections.
_POINT_COLUMN_KINDS: dict[str, str | None] = {
    **dict.fromkeys(("type", "roi", "mitoType", "roi_pre", "roi_post"), "str"),
    **dict.fromkeys(("confidence", "distance", "r0", "r1", "r2"), "float"),
    **dict.fromkeys(("size", "mitoSize", "mx", "my", "mz"), "int"),
}
_POINT_COLUMN_KINDS.update(
    {
        f"{c}_{s}": _POINT_COLUMN_KINDS.get(c)
        for c in CONNECTION_MITO_FIELDS
        for s in ("pre", "post")
    }
)
_POINT_COLUMN_KINDS.update(
    {f"confidence_{s}": "float" for s in ("pre", "post")} | {"mitoType_pre": "str"}
)
#: A zero of each kind: a null-free sort key is ``x IS NULL, coalesce(x, zero)``.
_ZEROS = {"str": "''", "int": "0", "float": "0.0", "bool": "false"}
#: One ORDER BY key: expression parts, descending, may be null, kind (when known).
SortKey = tuple[list[Part], bool, bool, str | None]
#: Schema kinds a key can be ordered or grouped by (the same order on every engine).
_SCALAR_KINDS = frozenset({"str", "int", "float", "bool"})
_NUMBER_KINDS = frozenset({"int", "float"})
_CYPHER_AGGREGATES = {"sum": "sum", "mean": "avg", "min": "min", "max": "max"}

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


#: Dialect classes whose methods are pure functions of their arguments: the compiler may
#: cache what they return (per dialect instance) and take its fast paths with them.
_BUILTIN_DIALECTS: tuple[type[Dialect], ...] = (Neo4j, Ladybug)


@functools.lru_cache(maxsize=256)
def _match_line(dialect: Dialect, label: str) -> str:
    return f"MATCH {dialect.node_pattern('n', label)}"


@functools.lru_cache(maxsize=64)
def _default_neuron_tail(dialect: Dialect) -> str:
    """The RETURN of the default columns and the ORDER BY of ``neurons`` without a schema
    or options, as a line after the WHERE."""
    return (
        f"\n{_return_clause(dialect, NEURON_COLUMNS)}\nORDER BY {_property(dialect, 'n', 'bodyId')}"
    )


def _param_base(hint: str) -> str:
    """A parameter name made of ``hint`` (letters, digits and ``_`` only; starts with a
    letter)."""
    base = _PARAM_CHARS.sub("_", hint).strip("_") or "p"
    base = base if base[0].isalpha() else "p_" + base
    if len(_PARAM_BASES) < 4096:
        _PARAM_BASES[hint] = base
    return base


#: parameter name bases by hint (field names), as :func:`_param_base` made them
_PARAM_BASES: dict[str, str] = {}


@functools.lru_cache(maxsize=64)
def _renderer(dialect: Dialect) -> Callable[[Any], str]:
    """How ``CypherStatement.inline`` writes this dialect's literals: ``dialect.literal``,
    or the same as a quicker function for a built-in dialect."""
    if type(dialect) in _BUILTIN_DIALECTS:
        return literal_renderer(
            escape_colon=dialect.escape_colon, surrogates=dialect.surrogate_escapes
        )
    return dialect.literal


#: Param(name, value) without NamedTuple's Python-level __new__
_new_param = cast("Callable[[type[Param], tuple[str, Any]], Param]", tuple.__new__)


@functools.lru_cache(maxsize=64)
def _dialect_tables(
    dialect: Dialect,
) -> tuple[
    bool,
    dict[str, tuple[dict[str, tuple[str, str, str]], dict[str, str]]],
    Callable[[Any], str],
]:
    """What every compile in ``dialect`` shares: whether it is a built-in dialect (pure
    methods); by variable, ``(dialect.property(var, name), parameter name stem,
    "<property> = ")`` by ``name`` and :func:`_roi_flag` by ROI (filled as the compiler
    meets them, at most 4,096 each); and the literal renderer."""
    return type(dialect) in _BUILTIN_DIALECTS, {}, _renderer(dialect)


@functools.lru_cache(maxsize=4096)
def _regex(dialect: Dialect, pattern: str, ignore_case: bool) -> str:
    """``dialect.regex`` of a built-in dialect (a pure function of the pattern)."""
    return dialect.regex(pattern, ignore_case)


@functools.lru_cache(maxsize=4096)
def _roi_flag(dialect: Dialect, var: str, roi: str) -> str | None:
    """``dialect.roi_flag`` of a built-in dialect as one string (``None`` if it is not one)."""
    parts = dialect.roi_flag(var, Param("roi", roi))
    return parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None


_OP_TEXT = {op: f" {op.value} " for op in CompareOp}
_STRING_OP_TEXT = {op: f" {text} " for op, text in _STRING_OPS.items()}
_NEURON_N: dict[Entity, str] = {Entity.NEURON: "n"}
_POINT_ENTITIES = (Entity.SYNAPSE, Entity.MITO)
_NEURON = Entity.NEURON
_EXACT_FLOAT = float(EXACT_DOUBLE_INT)


Rendered = tuple[list[Part], int]


@functools.lru_cache(maxsize=1024)
def _declared_number_kind(entity: Entity, name: str) -> str | None:
    """``"int"``/``"float"`` for a declared numeric field of ``N``, ``E``, ``S`` or ``M``."""
    from ..fields import E, FloatField, IntField, M, N, S

    namespace = {Entity.NEURON: N, Entity.EDGE: E, Entity.SYNAPSE: S, Entity.MITO: M}[entity]
    cls = type(namespace).declared().get(name)
    return "int" if cls is IntField else "float" if cls is FloatField else None


def to_cypher(
    ast: Any,
    dialect: str | Dialect = "neo4j",
    *,
    schema: GraphSchema | None = None,
) -> CypherStatement:
    """Compile a statement (or a neuron predicate, as ``neurons(where=...)``) to Cypher.

    ``dialect`` is ``"neo4j"`` (neuPrint) or ``"ladybug"`` (the embedded engine). With a
    ``schema``, the statement is first checked by :func:`neuprint_dsl.validate.validate`
    (unknown fields, ROIs, columns and ``order by`` keys, comparisons of the wrong kind raise
    before any text is made); without one, nothing that might exist is refused.

    Example:
        >>> from neuprint_dsl import N, E, connections, to_cypher
        >>> stmt = to_cypher(connections(N.type == "APL", where=E.weight >= 5), "ladybug")
        >>> print(stmt.text.splitlines()[1])
        WHERE n.type = $type
        >>> stmt.params
        {'type': 'APL', 'weight': 5}
    """
    if schema is not None and not isinstance(schema, GraphSchema):
        raise InvalidArgument(f"schema must be a GraphSchema or None, not {schema!r}")
    compiler = CypherCompiler(get_dialect(dialect), schema)
    if schema is None and isinstance(ast, Predicate):  # the commonest call first
        try:  # what Neurons(ast) compiles to, its check of the fields' kinds made on the way
            return compiler.default_neurons(ast, "Neuron", check=True)
        except KeyError:  # a field of another kind: Neurons(ast) raises QueryTypeError
            return CypherCompiler(compiler.dialect).neurons(Neurons(ast))
    if schema is not None:
        from ..validate import validate  # imported here: validate imports this package

        validate(ast, schema)
    if isinstance(ast, Neurons):
        return compiler.neurons(ast)
    if isinstance(ast, Connections):
        return compiler.connections(ast)
    if isinstance(ast, Synapses):
        return compiler.synapses(ast)
    if isinstance(ast, SynapseConnections):
        return compiler.synapse_connections(ast)
    if isinstance(ast, Mitochondria):
        return compiler.mitochondria(ast)
    if isinstance(ast, Predicate) or hasattr(ast, "__predicate__"):
        pred = as_predicate(ast)
        if schema is None and single_entity(pred, Entity.NEURON):
            return compiler.default_neurons(pred, "Neuron")  # what Neurons(pred) compiles to
        return compiler.neurons(Neurons(pred))
    raise InvalidArgument(
        f"to_cypher takes a statement or a predicate, not {type(ast).__name__} {ast!r:.80}"
    )


Bindings = dict[Entity, str]


def _namespace(entity: Entity) -> Any:
    from ..fields import E, M, N, S

    return {Entity.NEURON: N, Entity.EDGE: E, Entity.SYNAPSE: S, Entity.MITO: M}[entity]


class CypherCompiler:
    """Compiles one statement; a new compiler per statement (it collects parameters)."""

    def __init__(self, dialect: Dialect, schema: GraphSchema | None = None) -> None:
        self.dialect = dialect
        self.schema = schema
        self.parts: list[Part] = []
        #: every parameter name given out -> how many were made from it as a base
        self._param_names: dict[str, int] = {}
        builtin, self._props, self._render = _dialect_tables(dialect)
        self._rois = schema.rois if schema is not None else None
        #: leaves of the usual kinds go through _leaf_run (built-in dialects, no folding)
        self._fast = builtin and (schema is None or not dialect.strict_properties)

    # -- statements ----------------------------------------------------------------------

    def default_neurons(
        self, where: Predicate, label: str, stmt: Neurons | None = None, *, check: bool = False
    ) -> CypherStatement:
        """Compile ``neurons(where, label=label)`` (default columns and order, no limit, or
        ``stmt`` when given). ``where`` must use neuron fields only: with ``check`` a field
        of another kind raises ``KeyError``, else it is not checked."""
        d = self.dialect
        self.line(_match_line(d, label))
        self.where([(where, _NEURON_N)], check=Entity.NEURON if check else None)
        if self.schema is None:  # the same RETURN and ORDER BY every time
            parts = self.parts
            tail = _default_neuron_tail(d)
            if type(parts[-1]) is str:  # one string after the last parameter
                parts[-1] += tail
            else:
                parts.append(tail)
            return CypherStatement(tuple(parts), d.name, NEURON_COLUMNS, self._render)
        return self._neurons_rest(stmt if stmt is not None else Neurons(where, label))  # type: ignore[arg-type]

    def neurons(self, stmt: Neurons) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Neurons` statement."""
        if (
            stmt.columns is None
            and not stmt.order_by
            and stmt.limit is None
            and not stmt.group_keys
        ):
            return self.default_neurons(stmt.where, stmt.label, stmt)
        self.line(_match_line(self.dialect, stmt.label))
        self.where([(stmt.where, _NEURON_N)])
        return self._neurons_rest(stmt)

    def _neurons_rest(self, stmt: Neurons) -> CypherStatement:
        """The clauses of ``neurons`` after its WHERE."""
        d = self.dialect
        if stmt.group_keys:
            return self._grouped_neurons(stmt)
        columns = stmt.columns if stmt.columns is not None else self._default_columns()
        if self.schema is None and all(isinstance(c, str) for c in columns):
            self.line(_return_clause(d, columns))
        else:
            returned: list[Part] = ["RETURN "]
            for i, column in enumerate(columns):
                returned += [", "] if i else []
                returned += [*self._column(column), f" AS {d.alias(column_name(column))}"]
            self.line(*returned)
        keys: list[SortKey] = []
        for key in stmt.order_by:
            nullable = isinstance(key.field, str) and key.field != "bodyId"
            expr = self._column(key.field)
            kind = None
            if isinstance(key.field, str):
                self._check_orderable(Prop(Entity.NEURON, key.field), "order by")
                kind = self._neuron_kind(key.field)
                if kind == "float":
                    expr = self._float_key(expr)
            keys.append((expr, key.descending, nullable, kind))
        if "bodyId" not in {k.field for k in stmt.order_by}:
            keys.append(([self._read("n", "bodyId")], False, False, None))
        self._order_by(keys)
        self._limit(stmt.limit)
        if columns is NEURON_COLUMNS:
            return self._finish(NEURON_COLUMNS)
        return self._finish(tuple(column_name(c) for c in columns))

    def _grouped_neurons(self, stmt: Neurons) -> CypherStatement:
        """``neurons ... group by``: one row per distinct key, aggregated in the engine."""
        d = self.dialect
        returned: list[Part] = ["RETURN "]
        for key in stmt.group_keys:
            self._check_orderable(Prop(Entity.NEURON, key), "group by")
            returned += [f"{self._read('n', key)} AS {d.alias(key)}, "]
        for i, aggregate in enumerate(stmt.aggregates):
            returned += [", "] if i else []
            returned += [*self._aggregate(aggregate), f" AS {d.alias(aggregate.name)}"]
        self.line(*returned)
        keys = [(str(k.field), k.descending) for k in stmt.order_by]
        used = {k for k, _ in keys}
        keys += [k for k in stmt.default_order() if k[0] not in used]
        never_null = frozenset(a.name for a in stmt.aggregates if a.function in ("count", "sum"))
        kinds = {k: self._neuron_kind(k) for k in stmt.group_keys}
        for a in stmt.aggregates:
            field = a.field if isinstance(a.field, str) else None
            kinds[a.name] = (
                "float" if a.function == "mean" else self._neuron_kind(field) if field else "int"
            )
        self._order_by_columns(keys, never_null, kinds)
        self._limit(stmt.limit)
        columns = stmt.result_columns()
        assert columns is not None
        return self._finish(columns)

    def _aggregate(self, aggregate: Aggregate) -> list[Part]:
        if aggregate.function == "count":
            return ["count(*)"]
        assert aggregate.field is not None
        if isinstance(aggregate.field, str):
            prop = Prop(Entity.NEURON, aggregate.field)
            kind = self._kind(prop) if self.schema is not None else None
            if self.schema is not None and kind != UNKNOWN and kind not in _NUMBER_KINDS:
                raise QueryTypeError(
                    f"{aggregate.function}({aggregate.field}) needs a numeric property, but "
                    f"{aggregate.field!r} is {'missing' if kind is None else 'a ' + kind} "
                    "in this dataset"
                )
            kind = (
                kind if kind in _NUMBER_KINDS else _declared_number_kind(Entity.NEURON, prop.name)
            )
        else:
            kind = "int"
        value = self._column(aggregate.field)
        return self.dialect.aggregate(_CYPHER_AGGREGATES[aggregate.function], value, kind)

    def _column(self, column: str | RoiCount) -> list[Part]:
        """A returned neuron property, or ROI count, of ``n``."""
        if isinstance(column, str):
            return [self._read("n", column)]
        self._check_roi(column.roi)
        return self._operand(column, {Entity.NEURON: "n"})

    def _check_orderable(self, prop: Prop, what: str) -> None:
        """Refuse ordering / grouping by a list, point or JSON property (engines order them
        differently, or not at all)."""
        kind = self._kind(prop) if self.schema is not None else None
        if kind is None or kind == UNKNOWN:
            from ..fields import ListField, PointField

            declared = type(_namespace(prop.entity)).declared().get(prop.name)
            if declared in (ListField, PointField):
                kind = "list" if declared is ListField else "point"
            else:
                return
        if kind not in _SCALAR_KINDS:
            raise QueryTypeError(
                f"cannot {what} {prop.name!r}: it is a {kind} property (only strings, "
                "numbers and booleans have one order on every engine)"
            )

    def _order_by(self, keys: list[SortKey]) -> None:
        """ORDER BY (expression parts, descending, may be null, kind): missing values last
        in either direction (Cypher puts nulls first when descending)."""
        out: list[Part] = ["ORDER BY "]
        null_free = self.dialect.null_free_sort_keys
        for i, (expr, desc, nullable, kind) in enumerate(keys):
            out += [", "] if i else []
            if nullable and null_free and kind in _ZEROS:
                out += [*expr, " IS NULL, coalesce(", *expr, f", {_ZEROS[kind]})"]
                out += [" DESC"] if desc else []
                continue
            if desc and nullable:
                out += [*expr, " IS NULL, "]
            out += [*expr, " DESC"] if desc else expr
        self.line(*out)

    def _order_by_columns(
        self,
        keys: list[tuple[str, bool]],
        never_null: frozenset[str] = _NEVER_NULL,
        kinds: Mapping[str, str | None] = _POINT_COLUMN_KINDS,
    ) -> None:
        """ORDER BY result columns (aliases); ``never_null`` need no nulls-last guard,
        ``kinds`` are the columns' kinds where known."""
        out: list[SortKey] = []
        for name, desc in keys:
            expr: list[Part] = [self.dialect.alias(name)]
            kind = kinds.get(name)
            if kind == "float":
                expr = self._float_key(expr)
            out.append((expr, desc, name not in never_null, kind))
        self._order_by(out)

    def _float_key(self, expr: list[Part]) -> list[Part]:
        """A float ORDER BY key as the engine orders it right (``x + 0.0`` where the engine
        misplaces -0.0)."""
        return ["(", *expr, " + 0.0)"] if self.dialect.negative_zero_first else expr

    def _neuron_kind(self, name: str) -> str | None:
        """The kind of a neuron property: the schema's, else the declared field's."""
        if self.schema is not None:
            kind = self.schema.node_kind(name)
            return None if kind == UNKNOWN else kind
        return _declared_number_kind(Entity.NEURON, name)

    def _limit(self, limit: int | None) -> None:
        if limit is not None:
            self.line(f"LIMIT {limit}")

    def connections(self, stmt: Connections) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Connections` statement."""
        d = self.dialect
        # per-ROI rows needing nothing of the connection: match them alone where the
        # dialect keeps them as rows (one match instead of two; the same rows)
        alone = (
            d.roi_rows_alone("e", "n", "m", stmt.upstream, stmt.downstream, stmt.where)
            if stmt.per_roi
            else None
        )
        rel = alone[0] if alone else "e:ConnectsTo"
        pattern = (
            f"{d.node_pattern('n', stmt.upstream_label)}-[{rel}]->"
            f"{d.node_pattern('m', stmt.downstream_label)}"
        )
        self.line(f"MATCH {pattern}")
        edge = stmt.where
        if stmt.rois is not None and alone is None:  # else implied by `roi IN $rois` below
            in_rois = (
                Compare(RoiCount(Entity.EDGE, r, "post"), CompareOp.GT, 0) for r in stmt.rois
            )
            edge = and_(edge, or_(*in_rois))
        self.where(
            [
                (stmt.upstream, {Entity.NEURON: "n"}),
                (stmt.downstream, {Entity.NEURON: "m"}),
                (edge, {Entity.EDGE: "e"}),
            ],
            extra=[alone[1]] if alone else None,
        )
        pre, post = self._read("n", "bodyId"), self._read("m", "bodyId")
        if stmt.per_roi:
            self._require_roi_weights("per-ROI connection rows")
            for clause in [alone[2]] if alone else d.per_roi_rows("e", "n", "m"):
                self.line(clause)
            condition: list[Part] = ["WHERE roi_weight > 0"]
            if stmt.rois is not None:
                condition += [" AND roi IN ", self.param("rois", list(stmt.rois))]
            self.line(*condition)
            if stmt.group_keys:
                return self._grouped_connections(stmt, "roi_weight")
            self.line(
                f"RETURN {pre} AS bodyId_pre, {post} AS bodyId_post, roi, roi_weight AS weight"
            )
            self._order_with_defaults(stmt.order_by, stmt.default_order())
            self._limit(stmt.limit)
            return self._finish(("bodyId_pre", "bodyId_post", "roi", "weight"))
        weight = self._read("e", "weight", Entity.EDGE)
        if stmt.group_keys:
            return self._grouped_connections(stmt, weight)
        returned = [f"{pre} AS bodyId_pre", f"{post} AS bodyId_post", f"{weight} AS weight"]
        columns = ["bodyId_pre", "bodyId_post", "weight"]
        for prop in CONNECTION_PROPERTIES:
            for var, side in (("n", "pre"), ("m", "post")):
                returned.append(f"{self._read(var, prop)} AS {d.alias(f'{prop}_{side}')}")
                columns.append(f"{prop}_{side}")
        self.line("RETURN " + ", ".join(returned))
        if stmt.order_by:
            self._order_with_defaults(
                stmt.order_by,
                stmt.default_order(),
                kinds=self._side_kinds(CONNECTION_PROPERTIES),
            )
        else:
            self.line(f"ORDER BY {weight} DESC, {pre}, {post}")
        self._limit(stmt.limit)
        return self._finish(tuple(columns))

    def _grouped_connections(self, stmt: Connections, weight: str) -> CypherStatement:
        """``connections ... group by``: connectivity between groups, aggregated in the
        engine (one row per key pair, and ROI with ``per roi``)."""
        d = self.dialect
        returned = []
        for var, side in (("n", "pre"), ("m", "post")):
            for key in stmt.group_keys:
                self._check_orderable(Prop(Entity.NEURON, key), "group by")
                returned.append(f"{self._read(var, key)} AS {d.alias(f'{key}_{side}')}")
        if stmt.per_roi:
            returned.append("roi")
        pre, post = self._read("n", "bodyId"), self._read("m", "bodyId")
        total = d.aggregate("sum", [weight], "int")
        returned += [
            f"{''.join(p for p in total if isinstance(p, str))} AS weight",
            f"count(DISTINCT {pre}) AS n_pre",
            f"count(DISTINCT {post}) AS n_post",
            "count(*) AS n_connections",
        ]
        self.line("RETURN " + ", ".join(returned))
        self._order_with_defaults(
            stmt.order_by,
            stmt.default_order(),
            frozenset({"weight", "n_pre", "n_post", "n_connections", "roi"}),
            self._side_kinds(stmt.group_keys),
        )
        self._limit(stmt.limit)
        return self._finish(stmt.result_columns())

    def _order_with_defaults(
        self,
        order: tuple[OrderKey, ...],
        defaults: list[tuple[str, bool]],
        never_null: frozenset[str] = _NEVER_NULL,
        kinds: Mapping[str, str | None] = _POINT_COLUMN_KINDS,
    ) -> None:
        """ORDER BY the statement's keys (result columns), then the default keys not used
        (which break every tie)."""
        keys = [(str(k.field), k.descending) for k in order]
        used = {k for k, _ in keys}
        keys += [k for k in defaults if k[0] not in used]
        self._order_by_columns(keys, never_null, kinds)

    def _side_kinds(self, names: tuple[str, ...] | list[str]) -> dict[str, str | None]:
        """Kinds of the ``<name>_pre`` / ``<name>_post`` columns of a connection row."""
        return {f"{k}_{s}": self._neuron_kind(k) for k in names for s in ("pre", "post")}

    def synapses(self, stmt: Synapses, *, ordered: bool = True) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Synapses` statement; ``ordered=False``
        leaves out the ORDER BY, for a caller that sorts the rows itself."""
        d = self.dialect
        self._require("synapses", mito=stmt.closest_mitochondria)
        self.line(f"MATCH {d.node_pattern('n', stmt.label)}")
        self.where([(stmt.neurons, {Entity.NEURON: "n"})])
        carried = ["n", "s"]
        if stmt.closest_mitochondria:
            self.line(
                f"MATCH {d.synapse_pattern('n', 's')}, {d.close_to_pattern('s', 'c', 'mito')}"
            )
            carried += ["c", "mito"]
            extra = d.mito_conditions("mito")
        else:
            self.line(f"MATCH {d.synapse_pattern('n', 's')}")
            extra = []
        self._point_where(carried, [(stmt.where, {Entity.SYNAPSE: "s"})], extra)
        roi = self._point_rois(carried, "s", stmt.primary_only)
        returned = [
            f"{self._read('n', 'bodyId')} AS bodyId",
            f"{self._point_read('s', 'type', Entity.SYNAPSE)} AS type",
            roi if roi == "roi" else f"{roi} AS roi",
            *(f"{self._point_read('s', a, Entity.SYNAPSE)} AS {a}" for a in "xyz"),
            f"{self._point_read('s', 'confidence', Entity.SYNAPSE)} AS confidence",
        ]
        columns = list(SYNAPSE_COLUMNS)
        if stmt.closest_mitochondria:
            returned += [
                f"{self._point_read('mito', 'mitoType', Entity.MITO)} AS mitoType",
                f"{d.property('c', 'distance')} AS distance",
                f"{self._point_read('mito', 'size', Entity.MITO)} AS size",
                *(f"{self._point_read('mito', a, Entity.MITO)} AS m{a}" for a in "xyz"),
                *(f"{self._point_read('mito', r, Entity.MITO)} AS {r}" for r in ("r0", "r1", "r2")),
            ]
            columns += CLOSEST_MITO_COLUMNS
        self.line("RETURN " + ", ".join(returned))
        if ordered:
            self._point_order(stmt)
        return self._finish(tuple(columns))

    def mitochondria(self, stmt: Mitochondria) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Mitochondria` statement."""
        d = self.dialect
        self._require("mitochondria", mito=True, synapses=False)
        self.line(f"MATCH {d.node_pattern('n', stmt.label)}")
        self.where([(stmt.neurons, {Entity.NEURON: "n"})])
        self.line(f"MATCH {d.mito_pattern('n', 'mito')}")
        self._point_where(
            ["n", "mito"], [(stmt.where, {Entity.MITO: "mito"})], d.mito_conditions("mito")
        )
        roi = self._point_rois(["n", "mito"], "mito", stmt.primary_only)
        returned = [
            f"{self._read('n', 'bodyId')} AS bodyId",
            f"{self._point_read('mito', 'mitoType', Entity.MITO)} AS mitoType",
            roi if roi == "roi" else f"{roi} AS roi",
            *(f"{self._point_read('mito', a, Entity.MITO)} AS {a}" for a in "xyz"),
            f"{self._point_read('mito', 'size', Entity.MITO)} AS size",
            *(f"{self._point_read('mito', r, Entity.MITO)} AS {r}" for r in ("r0", "r1", "r2")),
        ]
        self.line("RETURN " + ", ".join(returned))
        self._point_order(stmt)
        return self._finish(MITO_COLUMNS)

    def synapse_connections(self, stmt: SynapseConnections) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.SynapseConnections` statement."""
        d = self.dialect
        self._require("synapse connections", mito=stmt.closest_mitochondria)
        self.line(
            f"MATCH {d.node_pattern('n', stmt.upstream_label)}-[e:ConnectsTo]->"
            f"{d.node_pattern('m', stmt.downstream_label)}"
        )
        heavy = Compare(Prop(Entity.EDGE, "weight"), CompareOp.GE, stmt.min_total_weight)
        self.where(
            [
                (stmt.upstream, {Entity.NEURON: "n"}),
                (stmt.downstream, {Entity.NEURON: "m"}),
                (heavy, {Entity.EDGE: "e"}),
            ]
        )
        self.line(f"MATCH {d.synapse_pair_pattern('n', 'm', 'ns', 'ms')}")
        post_rois: Predicate = TRUE
        if stmt.rois is not None:
            post_rois = or_(*(InRoi(Entity.SYNAPSE, r) for r in stmt.rois))
        self._point_where(
            ["n", "m", "e", "ns", "ms"],
            [
                (stmt.where, {Entity.SYNAPSE: "ns"}),
                (stmt.where, {Entity.SYNAPSE: "ms"}),
                (post_rois, {Entity.SYNAPSE: "ms"}),
            ],
        )
        carried = ["n", "m", "ns", "ms"]
        if d.duplicate_synapse_paths:
            self.line("WITH DISTINCT " + ", ".join(carried))
        columns = list(SYNAPSE_CONNECTION_COLUMNS)
        mito_returned: list[str] = []
        if stmt.closest_mitochondria:
            for syn, side in (("ns", "pre"), ("ms", "post")):
                rel, mito = f"c_{side}", f"mito_{side}"
                conditions = d.mito_conditions(mito)
                self.line(
                    f"OPTIONAL MATCH {d.close_to_pattern(syn, rel, mito)}"
                    + (" WHERE " + " AND ".join(conditions) if conditions else "")
                )
                carried += [rel, mito]
                mito_returned += [
                    f"{self._point_read(mito, 'mitoType', Entity.MITO)} AS mitoType_{side}",
                    f"{d.property(rel, 'distance')} AS distance_{side}",
                    f"{self._point_read(mito, 'size', Entity.MITO)} AS mitoSize_{side}",
                    *(f"{self._point_read(mito, a, Entity.MITO)} AS m{a}_{side}" for a in "xyz"),
                ]
            columns += [f"{f}_{side}" for side in ("pre", "post") for f in CONNECTION_MITO_FIELDS]
        if d.rois_from_meta:
            self.line("MATCH (meta:Meta)")
        returned = [
            f"{self._read('n', 'bodyId')} AS bodyId_pre",
            f"{self._read('m', 'bodyId')} AS bodyId_post",
            f"{d.point_roi('ns', stmt.primary_only)} AS roi_pre",
            f"{d.point_roi('ms', stmt.primary_only)} AS roi_post",
            *(f"{self._point_read('ns', a, Entity.SYNAPSE)} AS {a}_pre" for a in "xyz"),
            *(f"{self._point_read('ms', a, Entity.SYNAPSE)} AS {a}_post" for a in "xyz"),
            f"{self._point_read('ns', 'confidence', Entity.SYNAPSE)} AS confidence_pre",
            f"{self._point_read('ms', 'confidence', Entity.SYNAPSE)} AS confidence_post",
            *mito_returned,
        ]
        self.line("RETURN " + ", ".join(returned))
        self._point_order(stmt)
        return self._finish(tuple(columns))

    def _point_order(self, stmt: Synapses | Mitochondria | SynapseConnections) -> None:
        """ORDER BY and LIMIT of a synapse-level statement: its keys, then the defaults."""
        # the default keys go through the same null-safe keys: Ladybug misorders ~300k rows
        # whose last key (roi) holds nulls unless the key is written null-free
        self._order_with_defaults(stmt.order_by, stmt.default_order())
        self._limit(stmt.limit)

    def _point_where(
        self,
        carried: list[str],
        conjuncts: list[tuple[Predicate, Bindings]],
        extra: list[str] | None = None,
    ) -> None:
        """The WHERE of synapses / mitochondria, after ``WITH carried`` where the dialect
        plans that better."""
        if self.dialect.filter_points_after_with and (
            extra or any(pred != TRUE for pred, _ in conjuncts)
        ):
            self.line("WITH " + ", ".join(carried))
        self.where(conjuncts, extra)

    def _point_rois(self, carried: list[str], var: str, primary_only: bool) -> str:
        """Clauses that bind the ROI of each synapse / mitochondrion row (one row per ROI
        unless ``primary_only``); returns the expression of the ``roi`` column."""
        d = self.dialect
        if d.duplicate_synapse_paths:
            self.line("WITH DISTINCT " + ", ".join(carried))
        if d.rois_from_meta:
            self.line("MATCH (meta:Meta)")
        if primary_only:
            return d.point_roi(var, True)
        self.line(f"WITH {', '.join(carried)}, {d.point_roi(var, False)} AS rois")
        self.line(f"UNWIND CASE WHEN size(rois) = 0 THEN {d.null_roi_list} ELSE rois END AS roi")
        return "roi"

    def _require_roi_weights(self, what: str) -> None:
        """Refuse a per-ROI connection question on a graph loaded without per-ROI weights
        (no ``roi-connections.csv``): an empty answer would look like "no connection"."""
        if self.schema is not None and self.schema.has_roi_weights is False:
            raise CapabilityError(
                what,
                "this graph (its export had no roi-connections.csv: no per-ROI weights)",
                ("a database loaded from an export with roi-connections.csv", "a neuPrint server"),
            )

    def _require(self, what: str, *, mito: bool, synapses: bool = True) -> None:
        """Refuse a synapse-level statement on a graph known to lack the data (an empty
        answer would look like "none match")."""
        if self.schema is None:
            return
        missing = (synapses and self.schema.has_synapses is False) or (
            mito and self.schema.has_mitochondria is False
        )
        if missing:
            data = "mitochondria" if mito and self.schema.has_mitochondria is False else "synapses"
            raise CapabilityError(
                what,
                f"this graph (it holds no {data})",
                (f"a database loaded from an export with {data}", "a neuPrint server"),
            )

    def _point_read(self, var: str, name: str, entity: Entity) -> str:
        """A synapse or mitochondrion property for RETURN (``NULL`` where a strict engine
        lacks it); ``x``/``y``/``z`` read the location."""
        if name in _POINT_AXES:
            return self.dialect.coordinate(var, name)
        strict = self.schema is not None and self.dialect.strict_properties
        if strict and self._kind(Prop(entity, name)) is None:
            return "NULL"
        return _property(self.dialect, var, name)

    # -- building blocks -----------------------------------------------------------------

    def line(self, *parts: Part) -> None:
        """Append one clause line."""
        if self.parts:
            self.parts.append("\n")
        self.parts.extend(parts)

    def param(self, hint: str, value: Any) -> Param:
        """A new parameter named after ``hint`` (deduplicated: ``type``, ``type_2``, ...;
        never a name given before, even to a field called ``type_2``)."""
        base = _PARAM_BASES.get(hint) or _param_base(hint)
        names = self._param_names
        count = names.get(base)
        if count is None:  # the first: the base itself
            names[base] = 1
            return _new_param(Param, (base, value))
        # base_2, base_3, ... skipping any name given before (a field may be called type_2)
        count = max(count, 1)
        while True:
            count += 1
            name = f"{base}_{count}"
            if name not in names:
                break
        names[base] = count
        names[name] = 0  # given out (0: not used as a base yet)
        return _new_param(Param, (name, value))

    def where(
        self,
        conjuncts: list[tuple[Predicate, Bindings]],
        extra: list[str] | list[list[Part]] | None = None,
        *,
        check: Entity | None = None,
    ) -> None:
        """A WHERE clause, one top-level conjunct per line (nothing when all are TRUE);
        ``extra`` conditions (already Cypher) come first. With ``check``, a field or ROI
        test of another kind of record raises ``KeyError`` (the caller names the error)."""
        first = True
        for condition in extra or ():
            parts = [condition] if isinstance(condition, str) else condition
            self.line("WHERE " if first else "  AND ", *parts)
            first = False
        out = self.parts
        fast = self._fast
        for pred, bindings in conjuncts:
            items = pred.items if isinstance(pred, And) else (pred,)
            i, n = 0, len(items)
            while i < n:
                # one line per conjunct, its "\n  AND " joined to its first part
                prefix = ("\nWHERE " if out else "WHERE ") if first else "\n  AND "
                if fast:  # leaves and negated leaves, written straight into the text
                    lead = cast(str, out.pop()) if out and type(out[-1]) is str else ""
                    j = self._leaf_run(items, i, bindings, False, out, lead + prefix, "\n  AND ")
                    if j > i:
                        first = False
                        i = j
                        continue
                    if lead:
                        out.append(lead)
                item = items[i]
                i += 1
                if check is not None and not single_entity(item, check):
                    raise KeyError(check)
                if isinstance(item, Const) and item.value:
                    continue
                parts, prec = self.predicate(item, bindings)
                if prec < _AND:
                    prefix += "("
                    parts.append(")")
                head = parts[0]
                if isinstance(head, str):
                    out.append(prefix + head)
                else:
                    out += [prefix, head]
                out += parts[1:]
                first = False

    def predicate(self, pred: Predicate, bindings: Bindings, negate: bool = False) -> Rendered:
        """Render a predicate (negated if ``negate``) as parts and its precedence."""
        fast = self._fast
        if fast and type(pred) in _FAST_LEAVES:
            parts: list[Part] = []
            if self._leaf_run((pred,), 0, bindings, negate, parts, "", ""):
                return parts, _ATOM
        if isinstance(pred, Not):
            return self.predicate(pred.item, bindings, not negate)
        if isinstance(pred, (And, Or)):
            is_and = isinstance(pred, And) != negate
            prec = _AND if is_and else _OR
            joiner = " AND " if is_and else " OR "
            out: list[Part] = []
            items = pred.items
            i, n = 0, len(items)
            while i < n:
                if fast:  # a run of leaves (atoms: never in parentheses)
                    i = self._leaf_run(items, i, bindings, negate, out, joiner if i else "", joiner)
                    if i == n:
                        break
                parts, item_prec = self.predicate(items[i], bindings, negate)
                if item_prec < prec:
                    parts = ["(", *parts, ")"]
                if i:
                    head = parts[0]
                    if isinstance(head, str):
                        parts[0] = joiner + head
                    else:
                        out.append(joiner)
                out += parts
                i += 1
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

    def _leaf_run(
        self,
        items: tuple[Predicate, ...],
        i: int,
        bindings: Bindings,
        negate: bool,
        out: list[Part],
        prefix: str,
        joiner: str,
    ) -> int:
        """Append ``items[i]``, ``items[i + 1]``, ... to ``out`` (negated if ``negate``),
        the first after ``prefix`` and the others after ``joiner``, while they are the usual
        leaves on a property or neuron ROI flags, or negations of those; return the index of
        the first item not written, which :meth:`predicate` renders.

        The same text and parameter names as :meth:`predicate` and :meth:`_leaf`: only
        leaves that :meth:`_exact_numbers` keeps as they are and that no schema folds come
        here. Written for speed (a loop, not a call per leaf): it is most of a compile. The
        text of leaves without a parameter is joined to the text around it (``out`` gets
        one string between two parameters), so a statement has few parts to render."""
        names = self._param_names
        props = self._props
        dialect = self.dialect
        # the tables of the neuron variable (looked up at the first neuron leaf)
        nvar: str | None = None
        nprops: dict[str, tuple[str, str, str]] = {}
        nflags: dict[str, str] = {}
        # text written but not yet appended to out (``prefix`` is it plus the joiner)
        held: str | None = None
        n = len(items)
        for i in range(i, n):  # noqa: B020 (i: the first item not written, after a break)
            pred: Any = items[i]
            cls = type(pred)
            if cls is Not:
                pred = pred.item
                cls = type(pred)
                neg = not negate
            else:
                neg = negate
            if cls is InRoi:
                if pred.entity is not _NEURON:
                    break
                if nvar is None:
                    nvar = bindings[_NEURON]
                    nprops, nflags = props.get(nvar) or self._var_tables(nvar)
                roi = pred.roi
                flag = nflags.get(roi)
                if flag is None:
                    flag = _roi_flag(dialect, nvar, roi)
                    if flag is None:
                        break
                    if len(nflags) < 4096:
                        nflags[roi] = flag
                rois = self._rois
                if rois is not None and roi not in rois:
                    raise UnknownROI(roi, sorted(rois))
                # the text reads the flag, but _leaf gives it a parameter (roi, roi_2, ...)
                # that later ROI parameters count on; the name itself appears nowhere
                names["roi"] = names.get("roi", 0) + 1
                held = prefix + ("NOT coalesce(" + flag + ", false)" if neg else flag)
                prefix = held + joiner
                continue
            if cls not in _OPERAND_LEAVES:
                break
            operand = pred.operand
            if type(operand) is not Prop:
                break
            entity = operand.entity
            name = operand.name
            if entity is _NEURON:
                if nvar is None:
                    nvar = bindings[_NEURON]
                    nprops, nflags = props.get(nvar) or self._var_tables(nvar)
                table = nprops
                var = nvar
            elif entity in _POINT_ENTITIES and name in _POINT_AXES:
                break
            else:
                var = bindings[entity]
                table = (props.get(var) or self._var_tables(var))[0]
            known = table.get(name)
            if known is None:
                prop = dialect.property(var, name)
                known = (prop, _PARAM_BASES.get(name) or _param_base(name), prop + " = ")
                if len(table) < 4096:
                    table[name] = known
            prop, base, equals = known
            if cls is Compare:
                value = pred.value
                kind = type(value)
                if kind is str:
                    head = equals
                elif kind is bool:
                    text = prop + (" = true" if value else " = false")
                    held = prefix + ("NOT coalesce(" + text + ", false)" if neg else text)
                    prefix = held + joiner
                    continue
                elif (kind is int and -EXACT_DOUBLE_INT <= value <= EXACT_DOUBLE_INT) or (
                    kind is float and value != 0 and -_EXACT_FLOAT < value < _EXACT_FLOAT
                ):
                    head = prop + _OP_TEXT[pred.op]
                else:
                    break
            elif cls is Matches:
                value = _regex(dialect, pred.pattern, pred.ignore_case)
                head = prop + " =~ "
            elif cls is IsNull:
                held = prefix + prop + (" IS NOT NULL" if neg else " IS NULL")
                prefix = held + joiner
                continue
            elif cls is StringTest:
                value = pred.value
                if not value:
                    break
                head = prop + _STRING_OP_TEXT[pred.op]
            else:  # IsIn
                values = pred.values
                if not values:
                    break
                first = type(values[0])
                if first is int:
                    if not all_plain_ints(values) or max(map(abs, values)) > EXACT_DOUBLE_INT:
                        break
                elif first is not str:
                    break
                value = list(values)
                head = prop + " IN "
            # self.param(name, value), its commonest case inline
            if base in names:
                param = self.param(name, value)
            else:
                names[base] = 1
                param = _new_param(Param, (base, value))
            if neg:
                out += (prefix + "NOT coalesce(" + head, param)
                held = ", false)"
                prefix = ", false)" + joiner
            else:
                out += (prefix + head, param)
                held = None
                prefix = joiner
        else:  # every item written
            i = n
        if held is not None:
            out.append(held)
        return i

    def _var_tables(self, var: str) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
        """The dialect's tables for variable ``var`` (see :func:`_dialect_tables`), made
        when first needed."""
        props = self._props
        tables = props.get(var)
        if tables is None:
            tables = ({}, {})
            if len(props) < 64:
                props[var] = tables
        return tables

    def _leaf(self, pred: Predicate, bindings: Bindings) -> list[Part]:
        if isinstance(pred, InRoi):
            self._check_roi(pred.roi)
            roi = self.param("roi", pred.roi)
            if pred.entity is Entity.NEURON:
                return self.dialect.roi_flag(bindings[pred.entity], roi)
            return self.dialect.point_roi_flag(bindings[pred.entity], roi)
        if isinstance(pred, (IsIn, ContainsAny)) and not pred.values:
            return ["false"]
        if isinstance(pred, (Compare, IsIn)):
            exact = self._exact_numbers(pred)
            if exact is None:  # no number of the property's kind satisfies it
                return ["false"]
            pred = exact
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
            ints = [v for v in pred.values if type(v) is int]
            if ints and len(ints) < len(pred.values):  # an engine would make them all doubles
                floats = [v for v in pred.values if type(v) is float]
                return [
                    *["(", *operand, " IN ", self._value(pred.operand, ints)],
                    *[" OR ", *operand, " IN ", self._value(pred.operand, floats), ")"],
                ]
            return [*operand, " IN ", self._value(pred.operand, list(pred.values))]
        if isinstance(pred, Matches):
            pattern = self.dialect.regex(pred.pattern, pred.ignore_case)
            return [*operand, " =~ ", self._value(pred.operand, pattern)]
        if isinstance(pred, StringTest):
            if not pred.value:  # "" is in every string; Ladybug's CONTAINS '' matches nothing
                if self.schema is not None and self.dialect.strict_properties:
                    return [*operand, " IS NOT NULL"]  # not folded: the column holds strings
                return [*operand, " STARTS WITH ", self._value(pred.operand, "")]
            return [*operand, f" {_STRING_OPS[pred.op]} ", self._value(pred.operand, pred.value)]
        if isinstance(pred, ContainsAny):
            return self.dialect.contains_any(operand, self._value(pred.operand, list(pred.values)))
        raise TypeError(f"cannot compile {type(pred).__name__} to Cypher")

    def _exact_numbers(self, pred: Compare | IsIn) -> Compare | IsIn | None:
        """``pred`` with its numbers rewritten so that every engine compares them exactly
        (:func:`~neuprint_dsl.cypher.literals.exact_number_comparison`); ``None``: false for
        every number of the property's kind."""
        if isinstance(pred, IsIn) and pred.values and all_plain_ints(pred.values):
            # body-id lists: plain ints stay as they are (exact_number_list's rule), no copy
            kind = self._number_kind(pred.operand)
            ints = cast("tuple[int, ...]", pred.values)
            if kind == "int" or max(map(abs, ints)) <= EXACT_DOUBLE_INT:
                return pred
        raw = [pred.value] if isinstance(pred, Compare) else list(pred.values)
        if not raw or value_kind(raw[0]) != "number":
            return pred
        values: list[int | float] = [v for v in raw if isinstance(v, (int, float))]
        kind = self._number_kind(pred.operand)
        engine = self.dialect.name
        if isinstance(pred, Compare):
            exact = exact_number_comparison(pred.op.value, values[0], kind, engine=engine)
            if exact is None:
                return None
            op, value = exact
            if op == pred.op.value and value is pred.value:
                return pred
            return Compare(pred.operand, CompareOp(op), value)
        kept = exact_number_list(values, kind, engine=engine)
        if not kept:
            return None
        if all(a is b for a, b in zip(kept, values, strict=False)) and len(kept) == len(values):
            return pred
        return IsIn(pred.operand, tuple(kept))

    def _number_kind(self, operand: Operand) -> str | None:
        """``"int"``, ``"float"`` or ``None`` (not known) for a numeric comparison: the
        schema's kind, else the declared field's kind."""
        if isinstance(operand, RoiCount):
            return "int"
        if operand.name in _POINT_AXES and operand.entity in (Entity.SYNAPSE, Entity.MITO):
            # Ladybug stores int coordinates; a Neo4j point's coordinates are floats
            return "int" if self.dialect.strict_properties else "float"
        if self.schema is not None:
            kind = self._kind(operand)
            if kind in ("int", "float"):
                return kind
        return _declared_number_kind(operand.entity, operand.name)

    def _edge_roi_rows_test(self, pred: Predicate) -> list[Part]:
        """A test on a connection's ROI weight, for engines that keep per-ROI weights as
        separate ``ConnectsToRoi`` rows: a missing row is a weight of 0."""
        assert isinstance(pred, (Compare, IsIn)) and isinstance(pred.operand, RoiCount)
        self._require_roi_weights("a connection's weight in an ROI")
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
            if operand.name in _POINT_AXES and operand.entity in (Entity.SYNAPSE, Entity.MITO):
                return [self.dialect.coordinate(var, operand.name)]
            return [_property(self.dialect, var, operand.name)]
        # the ROI name is a value here (a map key), so it travels as a parameter
        before, after = self.dialect.roi_count(var, operand.side)
        return [before, self.param("roi", operand.roi), after]

    def _value(self, operand: Operand, value: Any) -> Param:
        hint = operand.name if isinstance(operand, Prop) else f"{operand.side}_count"
        return self.param(hint, value)

    def _fold(self, pred: Predicate) -> bool | None:
        """The constant value of a leaf that the schema decides, else ``None`` (strict
        engines only). :func:`to_cypher` validates first, so a property no record has or a
        value of a definite wrong kind never gets here from it; what is folded is a leaf
        Ladybug would reject on a json/point/other column (false on every record)."""
        if self.schema is None or not self.dialect.strict_properties:
            return None
        operand = getattr(pred, "operand", None)
        if not isinstance(operand, Prop):
            return None
        if operand.name in _POINT_AXES and operand.entity in (Entity.SYNAPSE, Entity.MITO):
            kind: str | None = "int"  # the location: always there, whatever the schema lists
        else:
            kind = self._kind(operand)
        if kind == UNKNOWN:
            return None
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
        if prop.entity is Entity.SYNAPSE:
            return self.schema.synapse_kind(prop.name)
        if prop.entity is Entity.MITO:
            return self.schema.mito_kind(prop.name)
        return self.schema.node_kind(prop.name)

    def _check_roi(self, roi: str) -> None:
        rois = self.schema.rois if self.schema is not None else None
        if rois is not None and roi not in rois:
            raise UnknownROI(roi, sorted(rois))

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
        return CypherStatement(tuple(self.parts), self.dialect.name, columns, self._render)


#: leaf classes :meth:`CypherCompiler._leaf_run` renders (when it can)
_OPERAND_LEAVES = frozenset({Compare, Matches, IsNull, StringTest, IsIn})
_FAST_LEAVES = _OPERAND_LEAVES | {InRoi}
