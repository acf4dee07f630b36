"""The Cypher compiler: one generator for every dialect (DESIGN section 6).

:func:`to_cypher` compiles a statement (or a neuron predicate) with a :class:`CypherCompiler`,
which writes one method per kind of statement (:data:`_STATEMENTS`, by the statement's class)
on top of :class:`~neuprint_dsl.cypher.conditions.ConditionWriter` (parameters and null-safe
WHERE conditions) and asks the dialect (:mod:`neuprint_dsl.cypher.dialects`) how each piece
is spelled and where the data lives. Every user value becomes a parameter (``$type``);
``CypherStatement.inline()`` writes them as literals for neuPrintHTTP. Output is
deterministic, one clause per line.

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
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import CapabilityError, InvalidArgument, QueryTypeError
from ..expr import (
    TRUE,
    Compare,
    CompareOp,
    Entity,
    InRoi,
    Predicate,
    Prop,
    RoiCount,
    and_,
    as_predicate,
    or_,
    single_entity,
)
from ..fields import ListField, PointField
from ..hooks import register
from ..query import (
    CLOSEST_MITO_COLUMNS,
    CONNECTION_MITO_FIELDS,
    CONNECTION_PROPERTIES,
    MITO_COLUMNS,
    NEURON_COLUMNS,
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
from ..schema import UNKNOWN, GraphSchema
from ..validate import validate
from .conditions import NAMESPACES, Bindings, ConditionWriter, declared_number_kind, property_text
from .dialects import DIALECTS, Dialect, get_dialect
from .statement import CypherStatement, Part, make_statement

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


@functools.lru_cache(maxsize=256)
def _return_clause(dialect: Dialect, columns: tuple[str, ...]) -> str:
    return "RETURN " + ", ".join(
        f"{dialect.property('n', c)} AS {dialect.alias(c)}" for c in columns
    )


@functools.lru_cache(maxsize=256)
def _match_line(dialect: Dialect, label: str) -> str:
    return f"MATCH {dialect.node_pattern('n', label)}"


@functools.lru_cache(maxsize=64)
def _default_neuron_tail(dialect: Dialect) -> str:
    """The RETURN of the default columns and the ORDER BY of ``neurons`` without a schema
    or options, as a line after the WHERE."""
    return f"\n{_return_clause(dialect, NEURON_COLUMNS)}\nORDER BY {property_text(dialect, 'n', 'bodyId')}"


_NEURON_N: dict[Entity, str] = {Entity.NEURON: "n"}


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
    # the commonest call: a built-in dialect by name
    compiler = CypherCompiler(
        (DIALECTS.get(dialect) if type(dialect) is str else None) or get_dialect(dialect), schema
    )
    if schema is None and isinstance(ast, Predicate):  # the commonest call first
        try:  # what Neurons(ast) compiles to, its check of the fields' kinds made on the way
            return compiler.default_neurons(ast, "Neuron", check=True)
        except KeyError:  # a field of another kind: Neurons(ast) raises QueryTypeError
            return CypherCompiler(compiler.dialect).neurons(Neurons(ast))
    if schema is not None:
        validate(ast, schema)
    compile_statement = _STATEMENTS.get(type(ast))
    if compile_statement is not None:
        return compile_statement(compiler, ast)
    if isinstance(ast, Predicate) or hasattr(ast, "__predicate__"):
        pred = as_predicate(ast)
        if schema is None and single_entity(pred, Entity.NEURON):
            return compiler.default_neurons(pred, "Neuron")  # what Neurons(pred) compiles to
        return compiler.neurons(Neurons(pred))
    raise InvalidArgument(
        f"to_cypher takes a statement or a predicate, not {type(ast).__name__} {ast!r:.80}"
    )


register(cypher=to_cypher)  # behind the AST's .to_cypher() (see neuprint_dsl.hooks)


class CypherCompiler(ConditionWriter):
    """Compiles one statement; a new compiler per statement (it collects parameters)."""

    @classmethod
    def checked(
        cls, statement: Any, dialect: str | Dialect = "neo4j", schema: GraphSchema | None = None
    ) -> CypherCompiler:
        """A compiler for ``statement`` in ``dialect``, the statement first validated
        against ``schema`` when one is given (:func:`neuprint_dsl.validate.validate`).

        Example:
            >>> from neuprint_dsl import N, neurons
            >>> from neuprint_dsl.schema import GraphSchema
            >>> stmt = neurons(N["typ"] == "x")
            >>> CypherCompiler.checked(stmt, "ladybug", GraphSchema({"type": "str"}))
            Traceback (most recent call last):
              ...
            neuprint_dsl.errors.UnknownField: unknown field 'typ' in the where of neurons; did you mean 'type'?
        """
        if schema is not None:
            validate(statement, schema)
        return cls(get_dialect(dialect), schema)

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
            return make_statement(tuple(parts), d.name, NEURON_COLUMNS, self.render_literal)
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
            keys.append(([self.read("n", "bodyId")], False, False, None))
        self._order_by(keys)
        self._limit(stmt.limit)
        if columns is NEURON_COLUMNS:
            return self.finish(NEURON_COLUMNS)
        return self.finish(tuple(column_name(c) for c in columns))

    def _grouped_neurons(self, stmt: Neurons) -> CypherStatement:
        """``neurons ... group by``: one row per distinct key, aggregated in the engine."""
        d = self.dialect
        returned: list[Part] = ["RETURN "]
        for key in stmt.group_keys:
            self._check_orderable(Prop(Entity.NEURON, key), "group by")
            returned += [f"{self.read('n', key)} AS {d.alias(key)}, "]
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
        return self.finish(columns)

    def _aggregate(self, aggregate: Aggregate) -> list[Part]:
        if aggregate.function == "count":
            return ["count(*)"]
        assert aggregate.field is not None
        if isinstance(aggregate.field, str):
            prop = Prop(Entity.NEURON, aggregate.field)
            kind = self.schema_kind(prop) if self.schema is not None else None
            if self.schema is not None and kind != UNKNOWN and kind not in _NUMBER_KINDS:
                raise QueryTypeError(
                    f"{aggregate.function}({aggregate.field}) needs a numeric property, but "
                    f"{aggregate.field!r} is {'missing' if kind is None else 'a ' + kind} "
                    "in this dataset"
                )
            kind = kind if kind in _NUMBER_KINDS else declared_number_kind(Entity.NEURON, prop.name)
        else:
            kind = "int"
        value = self._column(aggregate.field)
        return self.dialect.aggregate(_CYPHER_AGGREGATES[aggregate.function], value, kind)

    def _column(self, column: str | RoiCount) -> list[Part]:
        """A returned neuron property, or ROI count, of ``n``."""
        if isinstance(column, str):
            return [self.read("n", column)]
        self.check_roi(column.roi)
        return self.operand(column, {Entity.NEURON: "n"})

    def _check_orderable(self, prop: Prop, what: str) -> None:
        """Refuse ordering / grouping by a list, point or JSON property (engines order them
        differently, or not at all)."""
        kind = self.schema_kind(prop) if self.schema is not None else None
        if kind is None or kind == UNKNOWN:
            declared = type(NAMESPACES[prop.entity]).declared().get(prop.name)
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
        return declared_number_kind(Entity.NEURON, name)

    def _limit(self, limit: int | None) -> None:
        if limit is not None:
            self.line(f"LIMIT {limit}")

    def connections(
        self,
        stmt: Connections,
        *,
        weights: tuple[str, ...] = (),
        neuron_columns: tuple[str, ...] = CONNECTION_PROPERTIES,
        roi_info: bool = False,
    ) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Connections` statement.

        Options for a caller that wants more of each connection in the same query (compat's
        ``fetch_adjacencies`` on neuPrint, as neuprint-python asks), only for one row per
        connection (not ``per_roi``, not grouped): ``weights`` are more count properties of
        the connection, returned right after ``weight`` (``coalesce(e.<name>, 0)``: a count
        it lacks is 0); ``neuron_columns`` the properties returned for both ends
        (``<name>_pre``, ``<name>_post``); ``roi_info`` adds neuPrint's ``e.roiInfo`` (JSON
        text) as the last column, ``conn_roiInfo``.
        """
        d = self.dialect
        plain = not weights and neuron_columns == CONNECTION_PROPERTIES and not roi_info
        if not plain and (stmt.per_roi or stmt.group_keys):
            raise InvalidArgument(
                "weights, neuron_columns and roi_info need one row per connection "
                "(not per_roi, not group by)"
            )
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
        pre, post = self.read("n", "bodyId"), self.read("m", "bodyId")
        if stmt.per_roi:
            self.require_roi_weights("per-ROI connection rows")
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
            return self.finish(("bodyId_pre", "bodyId_post", "roi", "weight"))
        weight = self.read("e", "weight", Entity.EDGE)
        if stmt.group_keys:
            return self._grouped_connections(stmt, weight)
        returned = [f"{pre} AS bodyId_pre", f"{post} AS bodyId_post", f"{weight} AS weight"]
        columns = ["bodyId_pre", "bodyId_post", "weight"]
        for name in weights:
            returned.append(f"coalesce({self.read('e', name, Entity.EDGE)}, 0) AS {d.alias(name)}")
            columns.append(name)
        for prop in neuron_columns:
            for var, side in (("n", "pre"), ("m", "post")):
                returned.append(f"{self.read(var, prop)} AS {d.alias(f'{prop}_{side}')}")
                columns.append(f"{prop}_{side}")
        if roi_info:
            returned.append(f"{self.read('e', 'roiInfo', Entity.EDGE)} AS conn_roiInfo")
            columns.append("conn_roiInfo")
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
        return self.finish(tuple(columns))

    def _grouped_connections(self, stmt: Connections, weight: str) -> CypherStatement:
        """``connections ... group by``: connectivity between groups, aggregated in the
        engine (one row per key pair, and ROI with ``per roi``)."""
        d = self.dialect
        returned = []
        for var, side in (("n", "pre"), ("m", "post")):
            for key in stmt.group_keys:
                self._check_orderable(Prop(Entity.NEURON, key), "group by")
                returned.append(f"{self.read(var, key)} AS {d.alias(f'{key}_{side}')}")
        if stmt.per_roi:
            returned.append("roi")
        pre, post = self.read("n", "bodyId"), self.read("m", "bodyId")
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
        return self.finish(stmt.result_columns())

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
        self.require_data("synapses", mito=stmt.closest_mitochondria)
        roi = self.match_synapses(stmt)
        returned = [
            f"{self.read('n', 'bodyId')} AS bodyId",
            f"{self.read_point('s', 'type', Entity.SYNAPSE)} AS type",
            roi if roi == "roi" else f"{roi} AS roi",
            *(f"{self.read_point('s', a, Entity.SYNAPSE)} AS {a}" for a in "xyz"),
            f"{self.read_point('s', 'confidence', Entity.SYNAPSE)} AS confidence",
        ]
        columns = list(SYNAPSE_COLUMNS)
        if stmt.closest_mitochondria:
            returned += [
                f"{self.read_point('mito', 'mitoType', Entity.MITO)} AS mitoType",
                f"{d.property('c', 'distance')} AS distance",
                f"{self.read_point('mito', 'size', Entity.MITO)} AS size",
                *(f"{self.read_point('mito', a, Entity.MITO)} AS m{a}" for a in "xyz"),
                *(f"{self.read_point('mito', r, Entity.MITO)} AS {r}" for r in ("r0", "r1", "r2")),
            ]
            columns += CLOSEST_MITO_COLUMNS
        self.line("RETURN " + ", ".join(returned))
        if ordered:
            self._point_order(stmt)
        return self.finish(tuple(columns))

    def match_synapses(self, stmt: Synapses) -> str:
        """The MATCH and WHERE clauses of ``stmt``'s synapses (and of their closest
        mitochondria, if it asks) and the binding of each row's ROI; returns the expression
        of the ``roi`` column. :meth:`synapses` returns these rows,
        :func:`~neuprint_dsl.cypher.synapse_aggregate.mean_synapses_cypher` aggregates them.

        Example:
            >>> from neuprint_dsl import N, synapses
            >>> compiler = CypherCompiler.checked(synapses(N.bodyId == 1), "ladybug")
            >>> compiler.match_synapses(synapses(N.bodyId == 1)), compiler.parts[-1]
            ('s.roi', 'MATCH (n)-[:Contains]->(s:Synapse)')
        """
        d = self.dialect
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
        return self._point_rois(carried, "s", stmt.primary_only)

    def mitochondria(self, stmt: Mitochondria) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.Mitochondria` statement."""
        d = self.dialect
        self.require_data("mitochondria", mito=True, synapses=False)
        self.line(f"MATCH {d.node_pattern('n', stmt.label)}")
        self.where([(stmt.neurons, {Entity.NEURON: "n"})])
        self.line(f"MATCH {d.mito_pattern('n', 'mito')}")
        self._point_where(
            ["n", "mito"], [(stmt.where, {Entity.MITO: "mito"})], d.mito_conditions("mito")
        )
        roi = self._point_rois(["n", "mito"], "mito", stmt.primary_only)
        returned = [
            f"{self.read('n', 'bodyId')} AS bodyId",
            f"{self.read_point('mito', 'mitoType', Entity.MITO)} AS mitoType",
            roi if roi == "roi" else f"{roi} AS roi",
            *(f"{self.read_point('mito', a, Entity.MITO)} AS {a}" for a in "xyz"),
            f"{self.read_point('mito', 'size', Entity.MITO)} AS size",
            *(f"{self.read_point('mito', r, Entity.MITO)} AS {r}" for r in ("r0", "r1", "r2")),
        ]
        self.line("RETURN " + ", ".join(returned))
        self._point_order(stmt)
        return self.finish(MITO_COLUMNS)

    def synapse_connections(self, stmt: SynapseConnections) -> CypherStatement:
        """Compile a :class:`~neuprint_dsl.query.SynapseConnections` statement."""
        d = self.dialect
        self.require_data("synapse connections", mito=stmt.closest_mitochondria)
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
                    f"{self.read_point(mito, 'mitoType', Entity.MITO)} AS mitoType_{side}",
                    f"{d.property(rel, 'distance')} AS distance_{side}",
                    f"{self.read_point(mito, 'size', Entity.MITO)} AS mitoSize_{side}",
                    *(f"{self.read_point(mito, a, Entity.MITO)} AS m{a}_{side}" for a in "xyz"),
                ]
            columns += [f"{f}_{side}" for side in ("pre", "post") for f in CONNECTION_MITO_FIELDS]
        if d.rois_from_meta:
            self.line("MATCH (meta:Meta)")
        returned = [
            f"{self.read('n', 'bodyId')} AS bodyId_pre",
            f"{self.read('m', 'bodyId')} AS bodyId_post",
            f"{d.point_roi('ns', stmt.primary_only)} AS roi_pre",
            f"{d.point_roi('ms', stmt.primary_only)} AS roi_post",
            *(f"{self.read_point('ns', a, Entity.SYNAPSE)} AS {a}_pre" for a in "xyz"),
            *(f"{self.read_point('ms', a, Entity.SYNAPSE)} AS {a}_post" for a in "xyz"),
            f"{self.read_point('ns', 'confidence', Entity.SYNAPSE)} AS confidence_pre",
            f"{self.read_point('ms', 'confidence', Entity.SYNAPSE)} AS confidence_post",
            *mito_returned,
        ]
        self.line("RETURN " + ", ".join(returned))
        self._point_order(stmt)
        return self.finish(tuple(columns))

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

    def require_data(self, what: str, *, mito: bool, synapses: bool = True) -> None:
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

    def _default_columns(self) -> tuple[str, ...]:
        if self.schema is None:
            return NEURON_COLUMNS
        return tuple(c for c in NEURON_COLUMNS if self.schema.node_kind(c) is not None)


#: The compiler of each kind of statement.
_STATEMENTS: dict[type, Callable[[CypherCompiler, Any], CypherStatement]] = {
    Neurons: CypherCompiler.neurons,
    Connections: CypherCompiler.connections,
    Synapses: CypherCompiler.synapses,
    SynapseConnections: CypherCompiler.synapse_connections,
    Mitochondria: CypherCompiler.mitochondria,
}
