"""The per-ROI rows companion: a statement's per-ROI connection rows sliced from a sorted file.

A per-ROI ``connections`` statement (``per_roi=True``) returns, for each connection between
its upstream and downstream neurons, one row per ROI with a positive weight, ordered by
``bodyId_pre``, ``bodyId_post``, ``weight`` descending, ``roi``. The load writes exactly the
``ConnectsToRoi`` rows such a statement can return (``NotPrimary`` remainders and zero weights
left out) to the companion ``roi-rows`` (:mod:`neuprint_dsl.embedded.companions`), already in
that order, with whether each end is a ``Neuron`` (else only a ``Segment``). The rows of a
set of sources are then a few ranges of the file (two binary searches per source), already
ordered: no engine, no sort (measured: 1,000 sources of 3 million connections, 240,000 rows:
37 ms for ``db.run``, against 695 ms for the engine alone and 398 ms for pandas on the table
in memory; docs/embedded.md, *The per-ROI rows companion*).

:func:`roi_slice` decides, in one place and from the typed statement, which statements the
companion answers exactly; :class:`RoiRows` is an opened companion and slices it. The
transport (:class:`~neuprint_dsl.transports.Embedded`) resolves neuron conditions other than
a list of body ids to body ids with one neuron query on the database, and answers from the
database when there is no companion, or it is not this database's.

Example:
    >>> import numpy as np
    >>> table = roi_rows_table(
    ...     {"bodyId_pre": np.array([1, 1, 2]), "bodyId_post": np.array([5, 5, 5]),
    ...      "roi": _Names(np.array([0, 1, 1]), ("FB", "EB")), "weight": np.array([2, 3, 4])},
    ...     neuron_ids=np.array([1, 2, 5]))
    >>> table.column("roi").to_pylist(), table.column("weight").to_pylist()
    (['EB', 'FB', 'EB'], [3, 2, 4])
"""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa

from ..cypher.layout import reads_only_roi_weights
from ..expr import (
    TRUE,
    And,
    Compare,
    CompareOp,
    Const,
    Entity,
    IsIn,
    Not,
    Or,
    Predicate,
    Prop,
    RoiCount,
)
from ..interpret import statement_order
from ..query import Connections
from .companions import companion_path, open_companion, sorted_key_rows
from .companions import sorted_member as _member
from .rois import NOT_PRIMARY

__all__ = [
    "ROI_ROWS",
    "ROI_ROWS_SCHEMA",
    "RoiRows",
    "RoiSlice",
    "listed_bodies",
    "roi_rows_table",
    "roi_slice",
]

logger = logging.getLogger(__name__)

#: the companion's name (its file: ``graph.lbug.roi-rows.arrow``)
ROI_ROWS = "roi-rows"

#: its columns: the per-ROI statement's four, then whether each end is a ``Neuron`` (1) or
#: only a ``Segment`` (0)
ROI_ROWS_SCHEMA = pa.schema(
    [
        ("bodyId_pre", pa.int64()),
        ("bodyId_post", pa.int64()),
        ("roi", pa.dictionary(pa.int32(), pa.string())),
        ("weight", pa.int64()),
        ("pre_neuron", pa.uint8()),
        ("post_neuron", pa.uint8()),
    ]
)

#: the result columns of a per-ROI statement, and its default order
_COLUMNS = ("bodyId_pre", "bodyId_post", "roi", "weight")
_ORDER = [("bodyId_pre", False), ("bodyId_post", False), ("weight", True), ("roi", False)]


# ---------------------------------------------------------------------------------------
# writing (at load)


class _Coded(Protocol):
    """A string column as codes into ``names`` (the loader's per-ROI ``roi`` column)."""

    @property
    def codes(self) -> np.ndarray: ...

    @property
    def names(self) -> tuple[str, ...]: ...


@attrs.frozen
class _Names:
    """A :class:`_Coded` column (for examples and tests)."""

    codes: np.ndarray
    names: tuple[str, ...]


def roi_rows_table(columns: Mapping[str, Any], neuron_ids: np.ndarray) -> pa.Table:
    """The companion's rows from the load's ``ConnectsToRoi`` columns (``bodyId_pre``,
    ``bodyId_post``, ``roi`` as codes into names, ``weight``) and the sorted body ids of the
    ``Neuron`` table: the rows a per-ROI statement reads (ROI not ``NotPrimary``, weight > 0),
    sorted by ``bodyId_pre``, ``bodyId_post``, ``weight`` descending, ``roi`` (by code point,
    as Ladybug sorts strings).

    Example:
        >>> t = roi_rows_table({"bodyId_pre": np.array([3, 1]), "bodyId_post": np.array([1, 3]),
        ...     "roi": _Names(np.array([0, 1]), ("NotPrimary", "FB")), "weight": np.array([1, 1])},
        ...     neuron_ids=np.array([1]))
        >>> t.to_pylist()
        [{'bodyId_pre': 1, 'bodyId_post': 3, 'roi': 'FB', 'weight': 1, 'pre_neuron': 1, 'post_neuron': 0}]
    """
    roi: _Coded = columns["roi"]
    names = list(roi.names)
    keep = np.asarray(columns["weight"]) > 0
    if NOT_PRIMARY in names:
        keep &= roi.codes != names.index(NOT_PRIMARY)
    rows = None if bool(keep.all()) else np.flatnonzero(keep)
    del keep

    def kept(values: Any) -> np.ndarray:
        array = np.asarray(values)
        return array if rows is None else array[rows]

    pre, post = kept(columns["bodyId_pre"]), kept(columns["bodyId_post"])
    weight = kept(columns["weight"])
    codes = kept(roi.codes).astype(np.int32, copy=False)
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    order = _row_order(pre, post, weight, rank[codes] if codes.size else codes.astype(np.int64))
    if order is not None:
        pre, post, weight, codes = pre[order], post[order], weight[order], codes[order]
    del order
    ids = np.asarray(neuron_ids, dtype=np.int64)
    arrays = [
        pa.array(pre, pa.int64()),
        pa.array(post, pa.int64()),
        pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(names, pa.string())),
        pa.array(weight, pa.int64()),
        pa.array(_sorted_member(ids, pre).view(np.uint8), pa.uint8()),
        pa.array(_member(ids, post).view(np.uint8), pa.uint8()),
    ]
    return pa.Table.from_arrays(arrays, schema=ROI_ROWS_SCHEMA)


def _row_order(
    pre: np.ndarray, post: np.ndarray, weight: np.ndarray, rank: np.ndarray
) -> np.ndarray | None:
    """The order that sorts rows by ``pre``, ``post``, ``weight`` descending, ``rank``, or
    ``None`` if they already are. The load's rows come sorted by connection: then one sort
    of an integer key (connection number, weight, ROI rank) made of the three, nearly sorted
    already (6.2 million rows: 0.2-1.6 s, against 6 s for a four-key ``lexsort`` giving the
    same order, on a busy 2-core machine)."""
    if len(pre) < 2:
        return None
    later = pre[1:]
    by_pair = (later > pre[:-1]) | ((later == pre[:-1]) & (post[1:] >= post[:-1]))
    if bool(by_pair.all()):
        first = np.empty(len(pre), dtype=np.bool_)
        first[0] = True
        first[1:] = (later != pre[:-1]) | (post[1:] != post[:-1])
        pair = first.astype(np.int64)  # then summed in place: 30x faster than from bools
        del first
        np.cumsum(pair, out=pair)
        low, high = int(weight.min()), int(weight.max())
        width = int(rank.max()) + 1
        span = (high - low + 1) * width
        if int(pair[-1]) < (2**62) // max(span, 1):  # the key cannot overflow
            key = pair * span
            del pair
            key += (high - weight) * width
            key += rank
            if bool((key[1:] > key[:-1]).all()):
                return None
            found: np.ndarray = np.argsort(key, kind="stable")
            return found
    found = np.lexsort((rank, -weight, post, pre))
    return found


def _sorted_member(sorted_values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """:func:`_member` for ``wanted`` sorted too: one search per distinct value."""
    if wanted.size == 0:
        return np.zeros(0, dtype=np.bool_)
    starts = np.flatnonzero(np.concatenate(([True], wanted[1:] != wanted[:-1])))
    found = _member(sorted_values, wanted[starts])
    return np.repeat(found, np.diff(np.append(starts, wanted.size)))


# ---------------------------------------------------------------------------------------
# which statements the companion answers


@attrs.frozen
class RoiSlice:
    """What a per-ROI statement asks of the companion: the rows from ``upstream`` to
    ``downstream`` neurons (each end a ``Neuron`` when its ``*_neurons`` flag is set, else any
    body) of the connections meeting ``where`` (a condition on their per-ROI weights), in
    ``rois`` (``None``: every ROI), the first ``limit`` of them."""

    upstream: Predicate
    downstream: Predicate
    upstream_neurons: bool
    downstream_neurons: bool
    rois: tuple[str, ...] | None
    limit: int | None
    where: Predicate = TRUE


def roi_slice(statement: object, node_kinds: Mapping[str, str] | None = None) -> RoiSlice | None:
    """The companion's part of ``statement`` if it answers it exactly, else ``None`` (the
    database answers): a per-ROI ``connections`` statement, not grouped, in its default
    order, whose connection condition reads only per-ROI weights (numbers compared with
    ``E.roi_weight(...)``; none is a condition too), with a condition on the upstream side
    (a question asked from the downstream side alone would read the whole file: the
    database's backward adjacency lists answer it), on a database without a neuron property
    named ``roi`` (``node_kinds``: its kind would be the ``roi`` column's). This is the one
    place that decides.

    Example:
        >>> from neuprint_dsl import E, N, connections
        >>> roi_slice(connections(N.bodyId.isin([1, 2]), per_roi=True, limit=5)).limit
        5
        >>> [roi_slice(s) for s in (connections(N.bodyId == 1),
        ...     connections(N.bodyId == 1, per_roi=True, order_by="roi"),
        ...     connections(N.bodyId == 1, where=E.weight > 1, per_roi=True),
        ...     connections(None, N.bodyId == 1, per_roi=True))]
        [None, None, None, None]
        >>> roi_slice(connections(N.bodyId == 1, where=E.roi_weight("FB") > 2, per_roi=True)).where
        <connection predicate roi_weight("FB") > 2>
    """
    if not (
        isinstance(statement, Connections)
        and statement.per_roi
        and not statement.group_keys
        and _weights_only(statement.where)
        and not (statement.upstream == TRUE and statement.downstream != TRUE)
        and statement_order(statement) == _ORDER
        and "roi" not in (node_kinds or {})
    ):
        return None
    return RoiSlice(
        statement.upstream,
        statement.downstream,
        statement.upstream_label == "Neuron",
        statement.downstream_label == "Neuron",
        statement.rois,
        statement.limit,
        statement.where,
    )


def _weights_only(pred: Predicate) -> bool:
    """Whether the companion evaluates connection condition ``pred`` as the engine does:
    it reads only per-ROI weights (``E.roi_weight``) of ROIs, compared with numbers."""
    return reads_only_roi_weights(pred) and _WEIGHTS_ONLY.get(type(pred), _never)(pred)


def _never(pred: Predicate) -> bool:
    return False


def _weight_test(pred: Compare | IsIn) -> bool:
    count = pred.operand
    values = pred.values if type(pred) is IsIn else (pred.value,)  # type: ignore[union-attr]
    return (
        isinstance(count, RoiCount)
        and count.side == "post"
        and count.roi != NOT_PRIMARY  # not an ROI; the file leaves its rows out
        and all(type(v) in (int, float) for v in values)
    )


#: :func:`_weights_only` of each kind of node
_WEIGHTS_ONLY: dict[type[Predicate], Callable[[Any], bool]] = {
    Const: lambda pred: True,
    Not: lambda pred: _weights_only(pred.item),
    And: lambda pred: all(_weights_only(item) for item in pred.items),
    Or: lambda pred: all(_weights_only(item) for item in pred.items),
    Compare: _weight_test,
    IsIn: _weight_test,
}

#: the comparison operators, as numpy evaluates them
_OPERATORS: dict[CompareOp, Callable[[Any, Any], Any]] = {
    CompareOp.EQ: operator.eq,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
}

#: per connection: an array of booleans, or one for all
_Truth = np.ndarray | bool
#: each connection's weight in an ROI (0 without a row, as the interpreter reads it)
_Weights = Callable[[str], np.ndarray]


def _holds(pred: Predicate, weights: _Weights) -> _Truth:
    """Where connection condition ``pred`` (see :func:`_weights_only`) holds, given each
    connection's weight in an ROI (``weights(roi)``)."""
    return _HOLDS[type(pred)](pred, weights)


def _compare_holds(pred: Compare, weights: _Weights) -> _Truth:
    assert isinstance(pred.operand, RoiCount)
    return _OPERATORS[pred.op](weights(pred.operand.roi), pred.value)  # type: ignore[no-any-return]


def _isin_holds(pred: IsIn, weights: _Weights) -> _Truth:
    assert isinstance(pred.operand, RoiCount)
    if not pred.values:  # an empty list matches nothing
        return False
    found: np.ndarray = np.isin(weights(pred.operand.roi), np.asarray(pred.values))
    return found


#: :func:`_holds` of each kind of node
_HOLDS: dict[type[Predicate], Callable[[Any, _Weights], _Truth]] = {
    Const: lambda pred, weights: bool(pred.value),
    Not: lambda pred, weights: np.logical_not(_holds(pred.item, weights)),
    And: lambda pred, weights: functools.reduce(
        np.logical_and, [_holds(item, weights) for item in pred.items]
    ),
    Or: lambda pred, weights: functools.reduce(
        np.logical_or, [_holds(item, weights) for item in pred.items]
    ),
    Compare: _compare_holds,
    IsIn: _isin_holds,
}


def _nothing_listed(pred: Any) -> tuple[Any, ...] | None:
    return None


def _is_body_id(operand: object) -> bool:
    return (
        isinstance(operand, Prop) and operand.entity is Entity.NEURON and operand.name == "bodyId"
    )


#: the values a condition of each kind lists, if it only lists body ids (see listed_bodies)
_LISTED: dict[type[Predicate], Callable[[Any], tuple[Any, ...] | None]] = {
    Const: lambda pred: None if pred.value else (),
    IsIn: lambda pred: pred.values if _is_body_id(pred.operand) else None,
    Compare: lambda pred: (
        (pred.value,) if pred.op is CompareOp.EQ and _is_body_id(pred.operand) else None
    ),
}


def listed_bodies(pred: Predicate) -> np.ndarray | None:
    """The body ids a neuron condition lists when it only lists body ids (``bodyId == n``,
    ``bodyId in [...]`` of integers, ``FALSE``), sorted and distinct; ``None`` for any other
    condition (the transport asks the database which bodies match it).

    Example:
        >>> from neuprint_dsl import N
        >>> listed_bodies(N.bodyId.isin([5, 3, 5])).tolist(), listed_bodies(N.type == "KC")
        ([3, 5], None)
    """
    values = _LISTED.get(type(pred), _nothing_listed)(pred)
    if values is None or not all(type(v) is int for v in values):
        return None
    try:
        return np.unique(np.asarray(values, dtype=np.int64))
    except OverflowError:  # beyond int64: let the database say what it makes of it
        return None


# ---------------------------------------------------------------------------------------
# reading


class RoiRows:
    """An opened ``roi-rows`` companion (memory-mapped: the columns are views of the file).

    Example:
        >>> import tempfile
        >>> from neuprint_dsl import N, connections
        >>> from neuprint_dsl.embedded.companions import write_companion
        >>> rows = roi_rows_table({"bodyId_pre": np.array([1, 1, 2]),
        ...     "bodyId_post": np.array([2, 3, 3]), "roi": _Names(np.array([0, 0, 0]), ("FB",)),
        ...     "weight": np.array([4, 5, 6])}, np.array([1, 2, 3]))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_companion(companion_path(f"{tmp}/g.lbug", ROI_ROWS), rows, "t")
        ...     companion = RoiRows.open(f"{tmp}/g.lbug", "t")
        ...     plan = roi_slice(connections(N.bodyId.isin([1]), per_roi=True))
        ...     companion.frame(plan, np.array([1]), None).values.tolist()
        [[1, 2, 'FB', 4], [1, 3, 'FB', 5]]
    """

    def __init__(self, table: pa.Table) -> None:
        self.num_rows = table.num_rows

        def column(name: str) -> Any:
            values = table.column(name)
            return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()

        self._pre = column("bodyId_pre").to_numpy()
        self._post = column("bodyId_post").to_numpy()
        roi = column("roi")
        self._codes = roi.indices.to_numpy()
        self._names = np.array(roi.dictionary.to_pylist(), dtype=object)
        self._weight = column("weight").to_numpy()
        self._pre_neuron = column("pre_neuron").to_numpy()
        self._post_neuron = column("post_neuron").to_numpy()

    @classmethod
    def open(cls, database: str | Path, token: str | None) -> RoiRows | None:
        """The ``roi-rows`` companion of the database file ``database`` if it is there, is
        readable, has this version's columns and the database's build ``token``; else
        ``None`` (logged at debug level)."""
        path = companion_path(database, ROI_ROWS)
        table = open_companion(path, token)
        if table is None:
            return None
        if not table.schema.remove_metadata().equals(ROI_ROWS_SCHEMA):
            logger.debug("companion %s has other columns; the database answers instead", path)
            return None
        try:
            return cls(table)
        except (pa.ArrowException, ValueError) as err:
            logger.debug("companion %s is unreadable (%s); the database answers instead", path, err)
            return None

    def frame(
        self, plan: RoiSlice, upstream: np.ndarray | None, downstream: np.ndarray | None
    ) -> pd.DataFrame:
        """The rows of ``plan`` as the statement's frame, shaped as the executor shapes the
        engine's rows (``bodyId_pre``, ``bodyId_post``, ``roi``, ``weight``: ``int64``,
        ``int64``, ``object`` holding ``str``, ``int64``; a ``RangeIndex``): from the bodies
        ``upstream`` to the bodies ``downstream`` (sorted arrays; ``None``: any body)."""
        rows = None if upstream is None else sorted_key_rows(self._pre, upstream)
        keep: np.ndarray | None = None

        def narrow(test: np.ndarray) -> None:
            nonlocal keep
            keep = test if keep is None else keep & test

        def at(values: np.ndarray) -> np.ndarray:
            return values if rows is None else values[rows]

        if plan.upstream_neurons:
            narrow(at(self._pre_neuron).view(np.bool_))
        if plan.downstream_neurons:
            narrow(at(self._post_neuron).view(np.bool_))
        if downstream is not None:
            narrow(_member(downstream, at(self._post)))
        if plan.where != TRUE:  # every ROI row of each connection is still in
            if keep is not None:
                found = np.flatnonzero(keep)
                rows = found if rows is None else rows[found]
                keep = None
            narrow(self._connections_meeting(plan.where, rows))
        if plan.rois is not None:
            narrow(np.isin(self._names, plan.rois)[at(self._codes)])
        if keep is not None:
            found = np.flatnonzero(keep)
            rows = found if rows is None else rows[found]
        elif rows is None:
            rows = np.arange(self.num_rows)
        if plan.limit is not None:
            rows = rows[: plan.limit]
        index = pd.RangeIndex(len(rows))
        # an object Series, not an array: pandas would infer its string dtype (3x slower)
        roi = pd.Series(self._names[self._codes[rows]], index=index, dtype=object, copy=False)
        columns = {
            "bodyId_pre": self._pre[rows],
            "bodyId_post": self._post[rows],
            "roi": roi,
            "weight": self._weight[rows],
        }
        return pd.DataFrame(columns, index=index, copy=False)

    def _connections_meeting(self, where: Predicate, rows: np.ndarray | None) -> np.ndarray:
        """For rows ``rows`` (``None``: every row) holding every ROI row of their
        connections: whether their connection meets ``where``."""
        pre = self._pre if rows is None else self._pre[rows]
        post = self._post if rows is None else self._post[rows]
        first = np.ones(len(pre), dtype=np.bool_)
        first[1:] = (pre[1:] != pre[:-1]) | (post[1:] != post[:-1])
        connection = first.astype(np.int64)
        np.cumsum(connection, out=connection)
        connection -= 1
        codes = self._codes if rows is None else self._codes[rows]
        weight = self._weight if rows is None else self._weight[rows]
        count = int(connection[-1]) + 1 if len(connection) else 0

        def weights(roi: str) -> np.ndarray:
            values = np.zeros(count, dtype=np.int64)
            found = np.flatnonzero(self._names == roi)
            if found.size:
                chosen = codes == found[0]
                values[connection[chosen]] = weight[chosen]
            return values

        holds = np.asarray(_holds(where, weights))
        if holds.ndim == 0:  # the same for every connection (constants, an empty list)
            return np.full(len(pre), bool(holds))
        meets: np.ndarray = holds[connection]
        return meets
