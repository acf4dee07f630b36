"""Statements: the roots of the AST (DESIGN section 4).

A statement says what to fetch; predicates say which records. The same neuron predicate is
reused on either side of a connection: the compiler binds the variable, the predicate never
names one. Synapse-level statements (:func:`synapses`, :func:`synapse_connections`,
:func:`mitochondria`) take ``S`` and ``M`` predicates for the synapses and mitochondria.

Example:
    >>> from neuprint_dsl import N, E, neurons, connections
    >>> print(neurons(N.type == "APL", limit=5))
    neurons where type = "APL" limit 5
    >>> print(connections(N.type == "APL", N.roi("MB(R)"), where=E.weight >= 5))
    connections from type = "APL" to roi("MB(R)") where weight >= 5
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Literal, TypeAlias

import attrs

from .errors import InvalidValue, QueryTypeError, UnknownField
from .expr import (
    TRUE,
    Entity,
    Predicate,
    PredicateLike,
    Prop,
    Renderable,
    RoiCount,
    as_predicate,
    entities,
    single_entity,
)
from .fields import AnyField, Field, FloatField, IntField, N
from .values import INT64_MAX, check_text, value_items, with_article

Label: TypeAlias = Literal["Neuron", "Segment"]
LABELS: tuple[Label, ...] = ("Neuron", "Segment")


def _predicate(value: object, entity: Entity, role: str) -> Predicate:
    if value is None:
        return TRUE
    pred = as_predicate(value)
    if single_entity(pred, entity):
        return pred
    wrong = entities(pred) - {entity}
    if wrong:
        other = ", ".join(sorted(e.value for e in wrong))
        raise QueryTypeError(
            f"the {role} predicate must use {entity.value} fields only "
            f"({entity.namespace}.*), but it uses {other} fields: {pred}"
        )
    return pred


def _neuron_where(value: object) -> Predicate:
    return _predicate(value, Entity.NEURON, "neuron")


def _upstream(value: object) -> Predicate:
    return _predicate(value, Entity.NEURON, "upstream")


def _downstream(value: object) -> Predicate:
    return _predicate(value, Entity.NEURON, "downstream")


def _edge_where(value: object) -> Predicate:
    return _predicate(value, Entity.EDGE, "connection")


def _synapse_where(value: object) -> Predicate:
    return _predicate(value, Entity.SYNAPSE, "synapse")


def _mito_where(value: object) -> Predicate:
    return _predicate(value, Entity.MITO, "mitochondrion")


def _count(value: object, what: str) -> int | None:
    """A non-negative 64-bit int (a Python or numpy int), or ``None``."""
    if value is None:
        return None
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryTypeError(f"{what} must be an int, not {type(value).__name__} {value!r}")
    if not 0 <= value <= INT64_MAX:
        raise InvalidValue(f"{what} must be a non-negative 64-bit int, not {value!r}")
    return int(value)


def _weight(value: object) -> int:
    if value is None:
        raise QueryTypeError("min_total_weight must be an int, not None")
    weight = _count(value, "min_total_weight")
    assert weight is not None
    return weight


def _limit(value: object) -> int | None:
    return _count(value, "limit")


_flag = attrs.validators.instance_of(bool)


def _check_label(_: Any, __: Any, label: Any) -> None:
    if not isinstance(label, str) or label not in LABELS:
        raise InvalidValue(f"label must be 'Neuron' or 'Segment', not {label!r}")


def _names(value: Iterable[str] | str | None, what: str) -> tuple[str, ...] | None:
    """Names (ROIs, columns) from a str or any list of them: a list, tuple, set (sorted),
    generator, numpy array or pandas Series / Index."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    items, unordered = value_items(value, what)
    names = []
    for item in items:
        if isinstance(item, str):
            item = check_text(item, f"each of {what}")
        if not isinstance(item, str) or not item:
            raise QueryTypeError(f"{what} must be non-empty strings, not {item!r}")
        names.append(item)
    if len(set(names)) != len(names):
        raise InvalidValue(f"{what} contain duplicates: {names!r}")
    return tuple(sorted(names) if unordered else names)


def column_name(column: str | RoiCount) -> str:
    """The DataFrame column name of a returned property or ROI count.

    Example:
        >>> from neuprint_dsl import N
        >>> column_name("pre"), column_name(N.inputs("MB(R)").operand)
        ('pre', 'inputs(MB(R))')
    """
    if isinstance(column, str):
        return column
    function = "inputs" if column.side == "post" else "outputs"
    return f"{function}({column.roi})"


def _column_item(item: object, what: str, counts: bool = True) -> str | RoiCount:
    """One column / key: a name, ``N.pre`` (its name), or ``N.inputs("X")`` (a count)."""
    if isinstance(item, Field):
        item = item.operand
    if isinstance(item, Prop):
        if item.entity is not Entity.NEURON:
            raise QueryTypeError(f"{what} must be neuron fields (N.*), not {item!r}")
        return item.name
    if isinstance(item, RoiCount):
        if not counts:
            raise QueryTypeError(f"{what} must be property names, not an ROI count")
        if item.entity is not Entity.NEURON:
            raise QueryTypeError(f"{what} must be neuron ROI counts (N.inputs, N.outputs)")
        return item
    if isinstance(item, str):
        item = check_text(item, f"each of {what}")
        if item:
            return item
    kinds = "names, N fields or N.inputs(...)/N.outputs(...)" if counts else "names"
    raise QueryTypeError(f"{what} must be non-empty {kinds}, not {item!r}")


def _column_list(value: object, what: str, counts: bool = True) -> tuple[str | RoiCount, ...]:
    if isinstance(value, (str, Field, Prop, RoiCount)):
        value = [value]
    items, unordered = value_items(value, what)
    columns = [_column_item(item, what, counts) for item in items]
    names = [column_name(c) for c in columns]
    if len(set(names)) != len(names):
        raise InvalidValue(f"{what} contain duplicates: {names!r}")
    if unordered:
        columns.sort(key=column_name)
    return tuple(columns)


def _columns(value: object) -> tuple[str | RoiCount, ...] | None:
    if value is None:
        return None
    columns = _column_list(value, "columns")
    if columns == ():
        raise InvalidValue("columns must be None (the default columns) or a non-empty list")
    return columns


def _group_keys(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(k) for k in _column_list(value, "group by keys", counts=False))


def _rois(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    return _names(value, "rois")


def _order_target(target: object) -> str | RoiCount:
    return _column_item(target, "an order by key")


@attrs.frozen(slots=True)
class OrderKey:
    """One ``order by`` key: a property or result column name (or a neuron's ROI count, in
    ``neurons``) and a direction."""

    field: str | RoiCount = attrs.field(converter=_order_target)
    descending: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))


def _is_target(value: object) -> bool:
    return isinstance(value, (str, Field, Prop, RoiCount))


def _order_keys(value: object) -> tuple[OrderKey, ...]:
    if value is None:
        return ()
    if isinstance(value, OrderKey) or _is_target(value) or _is_pair(value):
        value = [value]
    keys = []
    for item in value:  # type: ignore[attr-defined]
        if isinstance(item, OrderKey):
            keys.append(item)
        elif _is_target(item):
            keys.append(OrderKey(item))
        elif _is_pair(item):
            keys.append(OrderKey(item[0], item[1] == "desc"))
        else:
            raise QueryTypeError(
                f"order_by takes names, (name, 'asc'|'desc') pairs or OrderKey, not {item!r}"
            )
    return tuple(keys)


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and _is_target(value[0])
        and value[1] in ("asc", "desc")
    )


# ---------------------------------------------------------------------------------------
# aggregates

AGGREGATE_FUNCTIONS: tuple[str, ...] = ("count", "sum", "mean", "min", "max")
"""The aggregate functions of a grouped ``neurons`` statement."""


def _aggregate_field(value: object) -> str | RoiCount | None:
    if value is None:
        return None
    return _column_item(value, "an aggregate's field")


@attrs.frozen(slots=True)
class Aggregate:
    """One aggregate of a grouped ``neurons`` statement: ``count`` (neurons in the group),
    or ``sum``/``mean``/``min``/``max`` of a numeric property or ROI count. Build them with
    :data:`agg`.

    Example:
        >>> from neuprint_dsl import N, agg
        >>> agg.sum("pre").name, agg.mean(N.inputs("MB(R)")).name, agg.count().name
        ('sum_pre', 'mean_inputs(MB(R))', 'count')
    """

    function: str
    field: str | RoiCount | None = attrs.field(default=None, converter=_aggregate_field)

    def __attrs_post_init__(self) -> None:
        if self.function not in AGGREGATE_FUNCTIONS:
            raise InvalidValue(
                f"unknown aggregate {self.function!r}; use one of " + ", ".join(AGGREGATE_FUNCTIONS)
            )
        if self.function == "count":
            if self.field is not None:
                raise InvalidValue("count counts the neurons of a group: it takes no field")
            return
        if self.field is None:
            raise InvalidValue(f"{self.function} needs a numeric field, e.g. {self.function}(pre)")
        if isinstance(self.field, str):
            declared = N.declared().get(self.field, AnyField)
            if declared not in (IntField, FloatField, AnyField):
                raise QueryTypeError(
                    f"{self.function}({self.field}) needs a numeric field, but N.{self.field} "
                    f"is {declared.type_name and with_article(declared.type_name)} field"
                )

    @property
    def name(self) -> str:
        """The result column: ``count``, ``sum_pre``, ``mean_inputs(MB(R))``, ..."""
        if self.field is None:
            return self.function
        return f"{self.function}_{column_name(self.field)}"


class AggregateFunction:
    """One numeric aggregate function of :data:`agg` (``agg.sum``, ``agg.mean``, ``agg.min``,
    ``agg.max``): call it with a numeric property or ROI count.

    Example:
        >>> agg.mean
        <aggregate function mean>
        >>> agg.mean("post").name
        'mean_post'
    """

    def __init__(self, function: str, doc: str) -> None:
        self.function = function
        self.__doc__ = doc

    def __call__(self, field: object) -> Aggregate:
        return Aggregate(self.function, field)

    def __repr__(self) -> str:
        return f"<aggregate function {self.function}>"


class _Aggregates:
    """Builders of :class:`Aggregate`: ``agg.count()``, ``agg.sum(f)``, ``agg.mean(f)``,
    ``agg.min(f)``, ``agg.max(f)`` (``f`` a numeric property or ROI count).

    Example:
        >>> [a.name for a in (agg.sum("pre"), agg.min("size"), agg.max("size"))]
        ['sum_pre', 'min_size', 'max_size']
    """

    __slots__ = ()

    def count(self) -> Aggregate:
        """The number of neurons in each group (column ``count``).

        Example:
            >>> agg.count()
            Aggregate(function='count', field=None)
        """
        return Aggregate("count")

    sum = AggregateFunction("sum", "The sum of the values present (0 for a group with none).")
    mean = AggregateFunction(
        "mean", "The mean of the values present (missing for a group with none)."
    )
    min = AggregateFunction("min", "The smallest value present (missing for a group with none).")
    max = AggregateFunction("max", "The largest value present (missing for a group with none).")


agg = _Aggregates()
"""Aggregates for ``neurons(...).group_by(..., aggregates=[agg.count(), agg.sum("pre")])``."""

COUNT = Aggregate("count")


def _aggregates(value: object) -> tuple[Aggregate, ...]:
    if value is None:
        return ()
    if isinstance(value, Aggregate):
        value = [value]
    items, _ = value_items(value, "aggregates")
    out = []
    for item in items:
        if not isinstance(item, Aggregate):
            raise QueryTypeError(
                f"aggregates must be built with agg.count(), agg.sum(f), ..., not {item!r}"
            )
        out.append(item)
    names = [a.name for a in out]
    if len(set(names)) != len(names):
        raise InvalidValue(f"aggregates contain duplicates: {names!r}")
    return tuple(out)


# ---------------------------------------------------------------------------------------
# result columns (the names ``order by`` refers to outside ungrouped ``neurons``)

#: Columns ``neurons(...)`` returns when none are given (those a schema lacks are left out);
#: also the neuron properties the synthetic sample writes (with ``roiInfo``).
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
#: Columns of a grouped ``connections`` statement after its keys.
CONNECTION_AGGREGATES: tuple[str, ...] = ("weight", "n_pre", "n_post", "n_connections")
#: Columns of ``synapses(...)`` (then those of the closest mitochondrion, if asked for).
SYNAPSE_COLUMNS: tuple[str, ...] = ("bodyId", "type", "roi", "x", "y", "z", "confidence")
CLOSEST_MITO_COLUMNS: tuple[str, ...] = (
    "mitoType",
    "distance",
    "size",
    "mx",
    "my",
    "mz",
    "r0",
    "r1",
    "r2",
)
#: Columns of ``synapse_connections(...)`` (then ``_pre``/``_post`` closest-mito columns).
SYNAPSE_CONNECTION_COLUMNS: tuple[str, ...] = (
    "bodyId_pre",
    "bodyId_post",
    "roi_pre",
    "roi_post",
    "x_pre",
    "y_pre",
    "z_pre",
    "x_post",
    "y_post",
    "z_post",
    "confidence_pre",
    "confidence_post",
)
CONNECTION_MITO_FIELDS: tuple[str, ...] = ("mitoType", "distance", "mitoSize", "mx", "my", "mz")
#: The columns ``synapses(...)`` rows are ordered by after the ``order by`` keys.
SYNAPSE_DEFAULT_ORDER: tuple[str, ...] = ("bodyId", "type", "x", "y", "z", "roi")
#: The columns ``synapse_connections(...)`` rows are ordered by after the ``order by`` keys:
#: the bodies, then the pre and the post synapse's position.
SYNAPSE_CONNECTION_DEFAULT_ORDER: tuple[str, ...] = (
    "bodyId_pre",
    "bodyId_post",
    "x_pre",
    "y_pre",
    "z_pre",
    "x_post",
    "y_post",
    "z_post",
)
#: Columns of ``mitochondria(...)``.
MITO_COLUMNS: tuple[str, ...] = (
    "bodyId",
    "mitoType",
    "roi",
    "x",
    "y",
    "z",
    "size",
    "r0",
    "r1",
    "r2",
)


def _check_order_columns(stmt: Statement, columns: tuple[str, ...]) -> None:
    for key in stmt.order_by:  # type: ignore[attr-defined]
        if not isinstance(key.field, str) or key.field not in columns:
            name = column_name(key.field)
            kind = type(stmt).__name__.lower()
            raise UnknownField(name, columns, where=f"the order by of {kind} (its columns)")


class Statement(Renderable):
    """Base of every statement: printing and compiling shortcuts, and the fluent
    ``ordered_by`` / ``with_limit``."""

    __slots__ = ()

    def ordered_by(self, *keys: object) -> Any:
        """The same statement ordered by ``keys`` (names, ``(name, "desc")`` pairs,
        :class:`OrderKey`); replaces any earlier order.

        Example:
            >>> from neuprint_dsl import N, connections
            >>> print(connections(N.type == "APL").ordered_by(("weight", "desc")).with_limit(3))
            connections from type = "APL" order by weight desc limit 3
        """
        return attrs.evolve(self, order_by=list(keys))  # type: ignore[misc]

    def with_limit(self, limit: int | None) -> Any:
        """The same statement returning at most ``limit`` rows: the smaller of ``limit`` and
        its own limit (``None`` leaves it unchanged). What ``--limit`` on the command line
        uses, so the engine or server stops early.

        Example:
            >>> from neuprint_dsl import neurons
            >>> print(neurons(limit=5).with_limit(10)), print(neurons().with_limit(10))
            neurons limit 5
            neurons limit 10
            (None, None)
        """
        limit = _limit(limit)
        current: int | None = self.limit  # type: ignore[attr-defined]
        if limit is None or (current is not None and current <= limit):
            return self
        return attrs.evolve(self, limit=limit)  # type: ignore[misc]

    def result_columns(self) -> tuple[str, ...] | None:
        """The result's column names, when the statement alone decides them (``None`` for
        ``neurons`` without ``return``: the dataset's default columns).

        Example:
            >>> from neuprint_dsl import connections
            >>> connections(group_by="type").result_columns()
            ('type_pre', 'type_post', 'weight', 'n_pre', 'n_post', 'n_connections')
        """
        raise NotImplementedError

    def default_order(self) -> list[tuple[str, bool]]:
        """The result columns the rows are ordered by after the ``order by`` keys (column,
        descending); they break ties.

        Example:
            >>> from neuprint_dsl import neurons
            >>> neurons().default_order()
            [('bodyId', False)]
        """
        raise NotImplementedError


@attrs.frozen(slots=True, repr=False)
class Neurons(Statement):
    """Fetch the neurons (or segments) matching ``where``; see :func:`neurons`.

    With ``group_keys`` it returns one row per distinct combination of the keys' values
    (missing is a value of its own), the keys then the ``aggregates``."""

    where: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    label: Label = attrs.field(default="Neuron", validator=_check_label)
    columns: tuple[str | RoiCount, ...] | None = attrs.field(default=None, converter=_columns)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, converter=_limit)
    group_keys: tuple[str, ...] = attrs.field(default=(), converter=_group_keys)
    aggregates: tuple[Aggregate, ...] = attrs.field(default=(), converter=_aggregates)

    def __attrs_post_init__(self) -> None:
        if not self.group_keys:
            if self.aggregates:
                raise InvalidValue(
                    "aggregates (count, sum, mean, min, max) need group by keys: "
                    "neurons(...).group_by('type', aggregates=[...])"
                )
            return
        if self.columns is not None:
            raise InvalidValue(
                "a grouped neurons statement returns its keys and aggregates, not columns: "
                "pass aggregates=[agg.count(), agg.sum('pre'), ...]"
            )
        if not self.aggregates:
            object.__setattr__(self, "aggregates", (COUNT,))
        columns = self.result_columns()
        assert columns is not None
        if len(set(columns)) != len(columns):
            raise InvalidValue(f"a group by key and an aggregate have the same name: {columns}")
        _check_order_columns(self, columns)

    def group_by(self, *keys: object, aggregates: object = None) -> Neurons:
        """One row per distinct value of ``keys`` (property names or ``N`` fields): the keys,
        then ``aggregates`` (default: ``count``).

        Example:
            >>> from neuprint_dsl import N, neurons, agg
            >>> q = neurons(N.type.matches("KC.*")).group_by("type", aggregates=[agg.count(), agg.sum("pre")])
            >>> print(q)
            neurons where type =~ "KC.*" group by type return count, sum(pre)
        """
        return attrs.evolve(self, group_keys=list(keys), aggregates=aggregates, columns=None)

    def default_order(self) -> list[tuple[str, bool]]:
        return [(k, False) for k in self.group_keys or ("bodyId",)]

    def result_columns(self) -> tuple[str, ...] | None:
        if self.group_keys:
            return (*self.group_keys, *(a.name for a in self.aggregates))
        if self.columns is None:
            return None
        return tuple(column_name(c) for c in self.columns)


@attrs.frozen(slots=True, repr=False)
class Connections(Statement):
    """Fetch the connections from ``upstream`` to ``downstream`` neurons; see :func:`connections`."""

    upstream: Predicate = attrs.field(default=TRUE, converter=_upstream)
    downstream: Predicate = attrs.field(default=TRUE, converter=_downstream)
    where: Predicate = attrs.field(default=TRUE, converter=_edge_where)
    rois: tuple[str, ...] | None = attrs.field(default=None, converter=_rois)
    per_roi: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    upstream_label: Label = attrs.field(default="Neuron", validator=_check_label)
    downstream_label: Label = attrs.field(default="Neuron", validator=_check_label)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, converter=_limit)
    group_keys: tuple[str, ...] = attrs.field(default=(), converter=_group_keys)

    def __attrs_post_init__(self) -> None:
        if self.rois is not None and not self.rois:
            raise InvalidValue("rois must be None (any ROI) or a non-empty list of ROI names")
        if not (self.group_keys or self.order_by):
            return
        columns = self.result_columns()
        if len(set(columns)) != len(columns):
            raise InvalidValue(f"group by keys give columns of the same name: {columns}")
        _check_order_columns(self, columns)

    @property
    def label(self) -> Label:
        """The label of both sides, when they agree (else see ``upstream_label`` and
        ``downstream_label``).

        Example:
            >>> from neuprint_dsl import connections
            >>> connections(label="Segment").label
            'Segment'
        """
        if self.upstream_label != self.downstream_label:
            raise AttributeError(
                f"the sides have different labels ({self.upstream_label} to "
                f"{self.downstream_label}); read upstream_label and downstream_label"
            )
        return self.upstream_label

    def group_by(self, *keys: object) -> Connections:
        """Connectivity between groups: one row per (pre value, post value) of ``keys``
        (neuron properties, e.g. ``"type"``; per ROI too with ``per_roi``) with the summed
        ``weight`` and the numbers of distinct upstream neurons, downstream neurons and
        connections (``n_pre``, ``n_post``, ``n_connections``).

        Example:
            >>> from neuprint_dsl import N, connections
            >>> print(connections(N.type.matches("KC.*"), N.type.matches("MBON.*")).group_by("type"))
            connections from type =~ "KC.*" to type =~ "MBON.*" group by type
        """
        return attrs.evolve(self, group_keys=list(keys))

    def default_order(self) -> list[tuple[str, bool]]:
        if self.group_keys:
            keys = [(f"{k}_{s}", False) for s in ("pre", "post") for k in self.group_keys]
            return [("weight", True), *keys, *([("roi", False)] if self.per_roi else [])]
        if self.per_roi:
            return [("bodyId_pre", False), ("bodyId_post", False), ("weight", True), ("roi", False)]
        return [("weight", True), ("bodyId_pre", False), ("bodyId_post", False)]

    def result_columns(self) -> tuple[str, ...]:
        roi = ("roi",) if self.per_roi else ()
        if self.group_keys:
            keys = tuple(f"{k}_{side}" for side in ("pre", "post") for k in self.group_keys)
            return (*keys, *roi, *CONNECTION_AGGREGATES)
        if self.per_roi:
            return ("bodyId_pre", "bodyId_post", "roi", "weight")
        props = (f"{p}_{side}" for p in CONNECTION_PROPERTIES for side in ("pre", "post"))
        return ("bodyId_pre", "bodyId_post", "weight", *props)


@attrs.frozen(slots=True, repr=False)
class Synapses(Statement):
    """Fetch the synapses (``where``) of the neurons matching ``neurons``; see
    :func:`synapses`."""

    neurons: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    where: Predicate = attrs.field(default=TRUE, converter=_synapse_where)
    primary_only: bool = attrs.field(default=True, validator=_flag)
    label: Label = attrs.field(default="Neuron", validator=_check_label)
    closest_mitochondria: bool = attrs.field(default=False, validator=_flag)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, converter=_limit)

    def __attrs_post_init__(self) -> None:
        if self.order_by:
            _check_order_columns(self, self.result_columns())

    def default_order(self) -> list[tuple[str, bool]]:
        return [(k, False) for k in SYNAPSE_DEFAULT_ORDER]

    def result_columns(self) -> tuple[str, ...]:
        mito = CLOSEST_MITO_COLUMNS if self.closest_mitochondria else ()
        return (*SYNAPSE_COLUMNS, *mito)


@attrs.frozen(slots=True, repr=False)
class SynapseConnections(Statement):
    """Fetch the synapse pairs from ``upstream`` to ``downstream`` neurons; see
    :func:`synapse_connections`."""

    upstream: Predicate = attrs.field(default=TRUE, converter=_upstream)
    downstream: Predicate = attrs.field(default=TRUE, converter=_downstream)
    where: Predicate = attrs.field(default=TRUE, converter=_synapse_where)
    rois: tuple[str, ...] | None = attrs.field(default=None, converter=_rois)
    min_total_weight: int = attrs.field(default=1, converter=_weight)
    primary_only: bool = attrs.field(default=True, validator=_flag)
    upstream_label: Label = attrs.field(default="Neuron", validator=_check_label)
    downstream_label: Label = attrs.field(default="Neuron", validator=_check_label)
    closest_mitochondria: bool = attrs.field(default=False, validator=_flag)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, converter=_limit)

    def __attrs_post_init__(self) -> None:
        if self.rois is not None and not self.rois:
            raise InvalidValue("rois must be None (any ROI) or a non-empty list of ROI names")
        if not self.order_by:
            return
        columns = self.result_columns()
        if not self.primary_only:  # the ROI columns hold lists: no order between them
            columns = tuple(c for c in columns if c not in ("roi_pre", "roi_post"))
        _check_order_columns(self, columns)

    def default_order(self) -> list[tuple[str, bool]]:
        return [(k, False) for k in SYNAPSE_CONNECTION_DEFAULT_ORDER]

    def result_columns(self) -> tuple[str, ...]:
        mito: tuple[str, ...] = ()
        if self.closest_mitochondria:
            mito = tuple(f"{f}_{s}" for s in ("pre", "post") for f in CONNECTION_MITO_FIELDS)
        return (*SYNAPSE_CONNECTION_COLUMNS, *mito)


@attrs.frozen(slots=True, repr=False)
class Mitochondria(Statement):
    """Fetch the mitochondria (``where``) of the neurons matching ``neurons``; see
    :func:`mitochondria`."""

    neurons: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    where: Predicate = attrs.field(default=TRUE, converter=_mito_where)
    primary_only: bool = attrs.field(default=True, validator=_flag)
    label: Label = attrs.field(default="Neuron", validator=_check_label)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, converter=_limit)

    def __attrs_post_init__(self) -> None:
        if self.order_by:
            _check_order_columns(self, self.result_columns())

    def default_order(self) -> list[tuple[str, bool]]:
        return [(k, False) for k in ("bodyId", "x", "y", "z", "mitoType", "roi")]

    def result_columns(self) -> tuple[str, ...]:
        return MITO_COLUMNS


STATEMENT_TYPES: tuple[type[Statement], ...] = (
    Neurons,
    Connections,
    Synapses,
    SynapseConnections,
    Mitochondria,
)
"""Every statement class (the roots the compilers and the printer accept)."""

OrderBy: TypeAlias = "Iterable[Any] | str | OrderKey | tuple[Any, str] | None"
"""What ``order_by`` takes: names, fields, ``(name, "asc" | "desc")`` pairs, OrderKey."""

AST: TypeAlias = "Predicate | Neurons | Connections | Synapses | SynapseConnections | Mitochondria"


def _side_labels(
    label: Label, upstream_label: Label | None, downstream_label: Label | None
) -> tuple[Label, Label]:
    """The (upstream, downstream) labels: ``label`` unless a side says otherwise."""
    return (
        label if upstream_label is None else upstream_label,
        label if downstream_label is None else downstream_label,
    )


def neurons(
    where: PredicateLike | None = None,
    *,
    label: Label = "Neuron",
    columns: Iterable[Any] | None = None,
    order_by: OrderBy = None,
    limit: int | None = None,
    group_by: Iterable[Any] | str | None = None,
    aggregates: Iterable[Aggregate] | Aggregate | None = None,
) -> Neurons:
    """Neurons (``label="Neuron"``) or all segments (``"Segment"``) matching ``where``.

    ``columns`` picks the properties returned (default: the usual neuPrint ones), ROI counts
    too (``N.inputs("MB(R)")``, column ``inputs(MB(R))``); ``order_by`` takes names, fields
    or ``(name, "desc")`` pairs (missing values last in either direction; ties by
    ``bodyId``). ``group_by`` returns one row per distinct value of its keys with
    ``aggregates`` (default ``count``; see :data:`agg`).

    Example:
        >>> from neuprint_dsl import N, neurons
        >>> print(neurons(N.type.is_null(), order_by="bodyId", limit=20))
        neurons where type is null order by bodyId limit 20
    """
    return Neurons(where, label, columns, order_by, limit, group_by, aggregates)


def connections(
    upstream: PredicateLike | None = None,
    downstream: PredicateLike | None = None,
    *,
    where: PredicateLike | None = None,
    rois: Iterable[str] | str | None = None,
    per_roi: bool = False,
    label: Label = "Neuron",
    upstream_label: Label | None = None,
    downstream_label: Label | None = None,
    order_by: OrderBy = None,
    limit: int | None = None,
    group_by: Iterable[Any] | str | None = None,
) -> Connections:
    """Connections from neurons matching ``upstream`` to neurons matching ``downstream``.

    ``where`` is a predicate on the connection itself (``E.weight >= 5``). ``rois`` keeps only
    connections with weight in at least one of those ROIs; ``per_roi=True`` returns one row per
    (pre, post, ROI) like neuprint-python's adjacency table, restricted to ``rois`` if given.
    ``label`` ("Neuron" or "Segment") applies to both sides unless ``upstream_label`` or
    ``downstream_label`` says otherwise. ``order_by`` names result columns (default: weight
    descending, then ``bodyId_pre``, ``bodyId_post``); ``group_by`` aggregates inside the
    engine (see :meth:`Connections.group_by`).

    Example:
        >>> from neuprint_dsl import N, E, connections
        >>> print(connections(N.type == "APL", where=E.weight >= 5, rois=["MB(R)"], per_roi=True))
        connections from type = "APL" where weight >= 5 in rois ["MB(R)"] per roi
    """
    return Connections(
        upstream,
        downstream,
        where,
        rois,
        per_roi,
        *_side_labels(label, upstream_label, downstream_label),
        order_by,
        limit,
        group_by,
    )


def synapses(
    neurons: PredicateLike | None = None,
    where: PredicateLike | None = None,
    *,
    primary_only: bool = True,
    label: Label = "Neuron",
    closest_mitochondria: bool = False,
    order_by: OrderBy = None,
    limit: int | None = None,
) -> Synapses:
    """The synapses matching ``where`` (``S`` fields) of the neurons matching ``neurons``.

    Rows: ``bodyId, type, roi, x, y, z, confidence``. With ``primary_only=True`` each synapse
    is one row and ``roi`` is its primary ROI (``None`` outside every primary ROI); with
    ``False`` a synapse is one row per ROI containing it (super-level ROIs too). ROI tests in
    ``neurons`` only choose bodies; use ``S.roi(...)`` in ``where`` to choose synapses.
    ``closest_mitochondria=True`` adds the synapse's closest mitochondrion (``mitoType,
    distance, size, mx, my, mz, r0, r1, r2``) and leaves out synapses that have none.

    Example:
        >>> from neuprint_dsl import N, S, synapses
        >>> print(synapses(N.type == "ExR2", (S.type == "pre") & S.roi("EB")))
        synapses of type = "ExR2" where type = "pre" and roi("EB")
    """
    return Synapses(neurons, where, primary_only, label, closest_mitochondria, order_by, limit)


def synapse_connections(
    upstream: PredicateLike | None = None,
    downstream: PredicateLike | None = None,
    *,
    where: PredicateLike | None = None,
    rois: Iterable[str] | str | None = None,
    min_total_weight: int = 1,
    primary_only: bool = True,
    label: Label = "Neuron",
    upstream_label: Label | None = None,
    downstream_label: Label | None = None,
    closest_mitochondria: bool = False,
    order_by: OrderBy = None,
    limit: int | None = None,
) -> SynapseConnections:
    """The synapse pairs (pre synapse -> post synapse) from neurons matching ``upstream`` to
    neurons matching ``downstream``.

    ``where`` (``S`` fields) must hold for both synapses of a pair; ``rois`` keeps pairs whose
    **post** synapse lies in one of them (neuPrint assigns a connection to the ROI of its post
    synapse, so counts agree with ``connections(..., per_roi=True)``); ``min_total_weight``
    keeps pairs of bodies whose whole connection weighs at least that. Rows:
    ``bodyId_pre, bodyId_post, roi_pre, roi_post, x_pre, y_pre, z_pre, x_post, y_post,
    z_post, confidence_pre, confidence_post``; with ``primary_only=False`` the ROI columns
    hold the sorted list of every ROI containing the synapse. ``closest_mitochondria=True``
    adds ``mitoType, distance, mitoSize, mx, my, mz`` for each side (``_pre``/``_post``,
    missing where a synapse has no closest mitochondrion).

    Example:
        >>> from neuprint_dsl import N, S, synapse_connections
        >>> print(synapse_connections(N.type == "APL", where=S.confidence > 0.5, rois=["CA(R)"]))
        synapse connections from type = "APL" where confidence > 0.5 in rois ["CA(R)"]
    """
    return SynapseConnections(
        upstream,
        downstream,
        where,
        rois,
        min_total_weight,
        primary_only,
        *_side_labels(label, upstream_label, downstream_label),
        closest_mitochondria,
        order_by,
        limit,
    )


def mitochondria(
    neurons: PredicateLike | None = None,
    where: PredicateLike | None = None,
    *,
    primary_only: bool = True,
    label: Label = "Neuron",
    order_by: OrderBy = None,
    limit: int | None = None,
) -> Mitochondria:
    """The mitochondria matching ``where`` (``M`` fields) of the neurons matching ``neurons``.

    Rows: ``bodyId, mitoType, roi, x, y, z, size, r0, r1, r2``; ``primary_only`` as in
    :func:`synapses`.

    Example:
        >>> from neuprint_dsl import N, M, mitochondria
        >>> print(mitochondria(N.type.matches("ExR.*"), M.roi("FB") & (M.size >= 100000)))
        mitochondria of type =~ "ExR.*" where roi("FB") and size >= 100000
    """
    return Mitochondria(neurons, where, primary_only, label, order_by, limit)
