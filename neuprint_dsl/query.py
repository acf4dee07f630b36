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

from .errors import InvalidValue, QueryTypeError
from .expr import (
    INT64_MAX,
    TRUE,
    Entity,
    Predicate,
    PredicateLike,
    Renderable,
    as_predicate,
    check_text,
    entities,
    value_items,
)

Label: TypeAlias = Literal["Neuron", "Segment"]
LABELS: tuple[Label, ...] = ("Neuron", "Segment")


def _predicate(value: object, entity: Entity, role: str) -> Predicate:
    if value is None:
        return TRUE
    pred = as_predicate(value)
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


def _columns(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    names = _names(value, "columns")
    if names == ():
        raise InvalidValue("columns must be None (the default columns) or a non-empty list")
    return names


def _rois(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    return _names(value, "rois")


def _order_name(name: object) -> str:
    name = check_text(name, "an order by key")
    if not name:
        raise InvalidValue("an order by key must be a non-empty str, not ''")
    return name


@attrs.frozen(slots=True)
class OrderKey:
    """One ``order by`` key: a property name and a direction."""

    field: str = attrs.field(converter=_order_name)
    descending: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))


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
            raise QueryTypeError(
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


class Statement(Renderable):
    """Base of every statement: printing and compiling shortcuts."""

    __slots__ = ()


@attrs.frozen(slots=True, repr=False)
class Neurons(Statement):
    """Fetch the neurons (or segments) matching ``where``; see :func:`neurons`."""

    where: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    label: Label = attrs.field(default="Neuron", validator=_check_label)
    columns: tuple[str, ...] | None = attrs.field(default=None, converter=_columns)
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    limit: int | None = attrs.field(default=None, converter=_limit)


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

    def __attrs_post_init__(self) -> None:
        if self.rois is not None and not self.rois:
            raise InvalidValue("rois must be None (any ROI) or a non-empty list of ROI names")

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


@attrs.frozen(slots=True, repr=False)
class Synapses(Statement):
    """Fetch the synapses (``where``) of the neurons matching ``neurons``; see
    :func:`synapses`."""

    neurons: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    where: Predicate = attrs.field(default=TRUE, converter=_synapse_where)
    primary_only: bool = attrs.field(default=True, validator=_flag)
    label: Label = attrs.field(default="Neuron", validator=_check_label)
    closest_mitochondria: bool = attrs.field(default=False, validator=_flag)


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

    def __attrs_post_init__(self) -> None:
        if self.rois is not None and not self.rois:
            raise InvalidValue("rois must be None (any ROI) or a non-empty list of ROI names")


@attrs.frozen(slots=True, repr=False)
class Mitochondria(Statement):
    """Fetch the mitochondria (``where``) of the neurons matching ``neurons``; see
    :func:`mitochondria`."""

    neurons: Predicate = attrs.field(default=TRUE, converter=_neuron_where)
    where: Predicate = attrs.field(default=TRUE, converter=_mito_where)
    primary_only: bool = attrs.field(default=True, validator=_flag)
    label: Label = attrs.field(default="Neuron", validator=_check_label)


STATEMENT_TYPES: tuple[type[Statement], ...] = (
    Neurons,
    Connections,
    Synapses,
    SynapseConnections,
    Mitochondria,
)
"""Every statement class (the roots the compilers and the printer accept)."""

AST: TypeAlias = "Predicate | Neurons | Connections | Synapses | SynapseConnections | Mitochondria"


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


def synapses(
    neurons: PredicateLike | None = None,
    where: PredicateLike | None = None,
    *,
    primary_only: bool = True,
    label: Label = "Neuron",
    closest_mitochondria: bool = False,
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
    return Synapses(neurons, where, primary_only, label, closest_mitochondria)


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
        label if upstream_label is None else upstream_label,
        label if downstream_label is None else downstream_label,
        closest_mitochondria,
    )


def mitochondria(
    neurons: PredicateLike | None = None,
    where: PredicateLike | None = None,
    *,
    primary_only: bool = True,
    label: Label = "Neuron",
) -> Mitochondria:
    """The mitochondria matching ``where`` (``M`` fields) of the neurons matching ``neurons``.

    Rows: ``bodyId, mitoType, roi, x, y, z, size, r0, r1, r2``; ``primary_only`` as in
    :func:`synapses`.

    Example:
        >>> from neuprint_dsl import N, M, mitochondria
        >>> print(mitochondria(N.type.matches("ExR.*"), M.roi("FB") & (M.size >= 100000)))
        mitochondria of type =~ "ExR.*" where roi("FB") and size >= 100000
    """
    return Mitochondria(neurons, where, primary_only, label)
