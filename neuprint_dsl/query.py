"""Statements: the roots of the AST (DESIGN section 4).

A statement says what to fetch; predicates say which records. The same neuron predicate is
reused on either side of a connection: the compiler binds the variable, the predicate never
names one. More statement kinds (synapses, paths, ...) join :data:`Statement` later.

Example:
    >>> from neuprint_dsl import N, E, neurons, connections
    >>> print(neurons(N.type == "APL", limit=5))
    neurons where type = "APL" limit 5
    >>> print(connections(N.type == "APL", N.roi("MB(R)"), where=E.weight >= 5))
    connections from type = "APL" to roi("MB(R)") where weight >= 5
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from .expr import (
    INT64_MAX,
    TRUE,
    Entity,
    Predicate,
    PredicateLike,
    Renderable,
    as_predicate,
    entities,
)

if TYPE_CHECKING:
    pass

Label: TypeAlias = Literal["Neuron", "Segment"]
LABELS: tuple[Label, ...] = ("Neuron", "Segment")


def _predicate(value: object, entity: Entity, role: str) -> Predicate:
    if value is None:
        return TRUE
    pred = as_predicate(value)
    wrong = entities(pred) - {entity}
    if wrong:
        other = ", ".join(sorted(e.value for e in wrong))
        raise TypeError(
            f"the {role} predicate must use {entity.value} fields only "
            f"({'N' if entity is Entity.NEURON else 'E'}.*), but it uses {other} fields: {pred}"
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


def _check_label(_: Any, __: Any, label: Any) -> None:
    if label not in LABELS:
        raise ValueError(f"label must be 'Neuron' or 'Segment', not {label!r}")


def _names(value: Iterable[str] | str | None, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{what} must be non-empty strings, not {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} contain duplicates: {list(names)!r}")
    return names


def _columns(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    names = _names(value, "columns")
    if names == ():
        raise ValueError("columns must be None (the default columns) or a non-empty list")
    return names


def _rois(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    return _names(value, "rois")


@attrs.frozen(slots=True)
class OrderKey:
    """One ``order by`` key: a property name and a direction."""

    field: str = attrs.field(validator=attrs.validators.min_len(1))
    descending: bool = False


def _order_keys(value: object) -> tuple[OrderKey, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, OrderKey)) or _is_pair(value):
        value = [value]
    keys = []
    for item in value:  # type: ignore[attr-defined]
        if isinstance(item, OrderKey):
            keys.append(item)
        elif isinstance(item, str):
            keys.append(OrderKey(item))
        elif _is_pair(item):
            keys.append(OrderKey(item[0], item[1] == "desc"))
        else:
            raise TypeError(
                f"order_by takes names, (name, 'asc'|'desc') pairs or OrderKey, not {item!r}"
            )
    return tuple(keys)


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and value[1] in ("asc", "desc")
    )


def _check_limit(_: Any, __: Any, limit: Any) -> None:
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= INT64_MAX
    ):
        raise ValueError(f"limit must be a non-negative 64-bit int or None, not {limit!r}")


class Statement(Renderable):
    """Base of every statement: printing and compiling shortcuts."""

    __slots__ = ()


@attrs.frozen(slots=True)
class Neurons(Statement):
    """Fetch the neurons (or segments) matching ``where``; see :func:`neurons`."""

    where: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    label: Label = attrs.field(default="Neuron", validator=_check_label)
    columns: tuple[str, ...] | None = attrs.field(default=None, converter=_columns)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, validator=_check_limit)


@attrs.frozen(slots=True)
class Connections(Statement):
    """Fetch the connections from ``upstream`` to ``downstream`` neurons; see :func:`connections`."""

    upstream: Predicate = attrs.field(default=TRUE, converter=_upstream)
    downstream: Predicate = attrs.field(default=TRUE, converter=_downstream)
    where: Predicate = attrs.field(default=TRUE, converter=_edge_where)
    rois: tuple[str, ...] | None = attrs.field(default=None, converter=_rois)
    per_roi: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    upstream_label: Label = attrs.field(default="Neuron", validator=_check_label)
    downstream_label: Label = attrs.field(default="Neuron", validator=_check_label)

    def __attrs_post_init__(self) -> None:
        if self.rois is not None and not self.rois:
            raise ValueError("rois must be None (any ROI) or a non-empty list of ROI names")

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


AST: TypeAlias = "Predicate | Neurons | Connections"


def neurons(
    where: PredicateLike | None = None,
    *,
    label: Label = "Neuron",
    columns: Iterable[str] | None = None,
    order_by: Iterable[str | tuple[str, str] | OrderKey] | str | None = None,
    limit: int | None = None,
) -> Neurons:
    """Neurons (``label="Neuron"``) or all segments (``"Segment"``) matching ``where``.

    ``columns`` picks the properties returned (default: the usual neuPrint ones);
    ``order_by`` takes names or ``(name, "desc")`` pairs (default: ``bodyId``).

    Example:
        >>> from neuprint_dsl import N, neurons
        >>> print(neurons(N.type.is_null(), order_by="bodyId", limit=20))
        neurons where type is null order by bodyId limit 20
    """
    return Neurons(where, label, columns, order_by, limit)


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
) -> Connections:
    """Connections from neurons matching ``upstream`` to neurons matching ``downstream``.

    ``where`` is a predicate on the connection itself (``E.weight >= 5``). ``rois`` keeps only
    connections with weight in at least one of those ROIs; ``per_roi=True`` returns one row per
    (pre, post, ROI) like neuprint-python's adjacency table, restricted to ``rois`` if given.
    ``label`` ("Neuron" or "Segment") applies to both sides unless ``upstream_label`` or
    ``downstream_label`` says otherwise.

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
        label if upstream_label is None else upstream_label,
        label if downstream_label is None else downstream_label,
    )
