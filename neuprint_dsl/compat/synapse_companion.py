"""``fetch_synapses`` and ``fetch_mean_synapses`` from the embedded database's synapse
companion, shaped exactly as their engine paths shape the engine's rows.

The load writes every synapse a second time, sorted by body and then in ``fetch_synapses``'s
order (:mod:`neuprint_dsl.embedded.synapse_companion`); a transport that has it
(``Embedded.synapse_companion()``) lets these functions slice the bodies' rows out of the
memory-mapped file, filter them with numpy and shape them, instead of running the synapse
statement: the same frame, several times faster (docs/synapses.md). :func:`companion_synapses`
is the one entry point; it answers ``None`` when the transport has no companion of its
database's build (missing, stale, unreadable) or the criteria are not a plain
``SynapseCriteria``: then the caller runs its engine path.

Example:
    >>> from neuprint_dsl.embedded.synapse_companion import SynapseFilter
    >>> class NoCompanion:
    ...     transport = object()
    >>> companion_synapses(NoCompanion(), [[1]], SynapseFilter()) is None  # type: ignore[arg-type]
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import numpy as np
import pandas as pd

from ..embedded.synapse_companion import SynapseCompanion, SynapseFilter, SynapseRows
from .batches import client_progress, map_batches
from .client import Client
from .tables import SYN_TYPE, SYNAPSE_DTYPES, empty_frame

__all__ = ["MeanSpec", "companion_synapses"]


#: fetch_mean_synapses counts groups in a dense array of every possible key (body, ROI,
#: type) when there are at most this many per row plus DENSE_SLOTS, else it sorts the keys
DENSE_SLOTS_PER_ROW = 4
DENSE_SLOTS = 1_000_000


class MeanSpec:
    """What ``fetch_mean_synapses`` groups by: with ``rois`` (``by_roi=True``) per body, ROI
    and type, keeping the groups of those ROIs; with ``None`` per body and type.

    Example:
        >>> MeanSpec(["EB"]).rois
        frozenset({'EB'})
    """

    def __init__(self, rois: Sequence[str] | None) -> None:
        self.rois = None if rois is None else frozenset(rois)


@overload
def companion_synapses(
    client: Client,
    batches: list[list[int]],
    where: SynapseFilter,
    *,
    means: None = None,
    what: str = ...,
) -> pd.DataFrame | None: ...


@overload
def companion_synapses(
    client: Client,
    batches: list[list[int]],
    where: SynapseFilter,
    *,
    means: MeanSpec,
    what: str = ...,
) -> list[pd.DataFrame] | None: ...


def companion_synapses(
    client: Client,
    batches: list[list[int]],
    where: SynapseFilter,
    *,
    means: MeanSpec | None = None,
    what: str = "fetch_synapses",
) -> pd.DataFrame | list[pd.DataFrame] | None:
    """The answer from the companion, or ``None`` when the client's transport has none.

    Without ``means``: ``fetch_synapses``'s frame (the columns and dtypes of
    ``compat.synapses.SYNAPSE_DTYPES``, rows in ``SYNAPSE_ORDER``), given the bodies in
    ``batches`` and the synapse criteria ``where``. With ``means``: per batch, the
    aggregated rows ``fetch_mean_synapses``'s engine path gets from the engine (``bodyId,
    roi, type, count, x, y, z, confidence``, ``roi`` left out without ROIs; means as
    float64), for it to concatenate, cast and sort as it does those. One progress bar named
    ``what`` counts the batches, as on the engine path.

    Example:
        >>> companion_synapses(None, [], SynapseFilter()) is None  # type: ignore[arg-type]
        True
    """
    opener = getattr(getattr(client, "transport", None), "synapse_companion", None)
    companion = opener() if callable(opener) else None
    if not isinstance(companion, SynapseCompanion):
        return None
    bar = client_progress(client)
    if means is not None:
        return map_batches(
            lambda b: _means(companion.select(b, where), means), batches, 1, bar, what
        )
    parts: list[SynapseRows] = map_batches(
        lambda batch: companion.select(batch, where), batches, 1, bar, what
    )
    rows = SynapseRows.concat(parts) if parts else None
    if rows is None or not len(rows):
        return empty_frame(SYNAPSE_DTYPES)
    return _frame(rows.sorted())


def _names(names: tuple[str, ...]) -> np.ndarray:
    """Names as an object array with ``None`` last (code -1 takes it)."""
    return np.array([*names, None], dtype=object)


def _frame(rows: SynapseRows) -> pd.DataFrame:
    """Rows in order as fetch_synapses's frame (``_synapse_table_frame``'s columns, dtypes)."""
    categories = list(SYN_TYPE.categories)
    type_code = np.array(
        [categories.index(n) if n in categories else -1 for n in rows.type_names] + [-1],
        dtype=np.int8,
    )
    out: dict[str, Any] = {
        "bodyId": rows.body.astype(np.int64, copy=False),
        "type": pd.Categorical.from_codes(type_code[rows.type], dtype=SYN_TYPE),
        "roi": pd.Series(_names(rows.roi_names)[rows.roi], dtype=object),
        "x": rows.x.astype(np.int32),
        "y": rows.y.astype(np.int32),
        "z": rows.z.astype(np.int32),
        "confidence": rows.confidence.astype(np.float32),
    }
    return pd.DataFrame(out)


def _means(rows: SynapseRows, spec: MeanSpec) -> pd.DataFrame:
    """One batch's groups: count and mean position and confidence per body, (ROI,) type."""
    by_roi = spec.rois is not None
    if spec.rois is not None:
        chosen = [name in spec.rois for name in rows.roi_names]
        wanted = np.array([*chosen, False], dtype=np.bool_)  # -1 (no ROI) takes the last
        rows = _subset(rows, wanted[rows.roi])
    columns = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]
    if not len(rows):
        return pd.DataFrame({c: [] for c in [*columns, "count", "x", "y", "z", "confidence"]})
    bodies, body_at = _body_groups(rows.body)
    # one int64 key per group: body, then ROI (by_roi), then type; codes + 1 (-1: missing)
    radix = [len(rows.roi_names) + 1] if by_roi else []
    radix.append(len(rows.type_names) + 1)
    key = body_at
    for code, base in zip([rows.roi, rows.type][-len(radix) :], radix, strict=True):
        key = key * base + (code + 1)
    space = len(bodies) * int(np.prod(radix))
    dense = space <= DENSE_SLOTS_PER_ROW * len(key) + DENSE_SLOTS  # no sort: a bincount
    if dense:
        count = np.bincount(key, minlength=space)
        groups = np.flatnonzero(count)
        group_of, slots, count = key, space, count[groups]
    else:
        groups, group_of = np.unique(key, return_inverse=True)
        slots, count = len(groups), np.bincount(group_of)
    codes: list[np.ndarray] = []
    rest = groups
    for base in reversed(radix):
        codes.insert(0, rest % base - 1)
        rest = rest // base
    out: dict[str, Any] = {"bodyId": bodies[rest]}
    if by_roi:
        out["roi"] = _names(rows.roi_names)[codes[0]]
    out["type"] = _names(rows.type_names)[codes[-1]]
    out["count"] = count.astype(np.int64)
    for name in ("x", "y", "z", "confidence"):
        sums = _sums(getattr(rows, name), group_of, slots)
        out[name] = (sums[groups] if dense else sums) / count
    return pd.DataFrame({c: out[c] for c in [*columns, "count", "x", "y", "z", "confidence"]})


def _body_groups(body: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct bodies (ascending) and each row's index in them; without a sort when
    the rows come grouped by ascending body, as the companion gives them."""
    if len(body) and bool((body[1:] >= body[:-1]).all()):
        at = np.zeros(len(body), dtype=np.int64)
        np.cumsum(body[1:] != body[:-1], out=at[1:])
        return body[np.flatnonzero(np.r_[True, body[1:] != body[:-1]])], at
    bodies, at = np.unique(body, return_inverse=True)
    return bodies, at.astype(np.int64)


def _sums(values: np.ndarray, group_of: np.ndarray, groups: int) -> np.ndarray:
    """Per-group sums: exact for integers (float64 adds them exactly while every partial sum
    stays below 2**53, else they are added as int64), as the engine's ``avg`` divides an
    exact sum; in row order for floats."""
    if values.dtype.kind in "iu" and len(values):
        biggest = float(np.abs(values).max()) * len(values)
        if biggest >= 2.0**53:
            sums = np.zeros(groups, dtype=np.int64)
            np.add.at(sums, group_of, values)
            return sums.astype(np.float64)
    out: np.ndarray = np.bincount(group_of, weights=values, minlength=groups)
    return out


def _subset(rows: SynapseRows, keep: np.ndarray) -> SynapseRows:
    """The rows where ``keep`` is true (their order kept)."""
    import attrs

    return attrs.evolve(
        rows,
        body=rows.body[keep], type=rows.type[keep], roi=rows.roi[keep], x=rows.x[keep],
        y=rows.y[keep], z=rows.z[keep], confidence=rows.confidence[keep],
    )  # fmt: skip
