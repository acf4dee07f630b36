"""Synapses, synapse pairs, mitochondria and CloseTo rows that reproduce the sample's
per-neuron, per-ROI counts exactly (see the package docstring for the model).

Example:
    >>> import numpy as np
    >>> from .connections import make_pairs, roi_counts, split_weights
    >>> from .neurons import make_neurons
    >>> rng = np.random.default_rng(0)
    >>> cells = make_neurons(rng, 30)
    >>> conns = split_weights(rng, cells, make_pairs(rng, cells, 100, None))
    >>> made = make_synapses(rng, cells, conns, roi_counts(cells, conns))
    >>> made.pair_pre.size == int(conns.weight.sum()), made.mito_body.size > 0
    (True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ...errors import InvalidArgument
from ..rois import PRIMARY_ROIS
from .arrays import BoolArray, FloatArray, IntArray
from .connections import Connections, RoiCounts
from .geometry import regions
from .neurons import Neurons
from .roi_codes import CONN_ROIS, CONN_TO_PRIMARY

_TBAR_SPREAD: Final = 0.15  # sd of T-bars around a neuron's arbor centre, per box side
_PSD_SD: Final = 20.0  # voxels, per axis, between a T-bar and its post synapses
_MITO_SD: Final = 60.0  # voxels, per axis, between a mitochondrion and its anchor synapse
_CLOSE_TO_P: Final = 0.9  # P(a synapse has a CloseTo mitochondrion)
_NEAREST_SPAN: Final = 4  # candidates on each side of a synapse in the mitos' Morton order
_NEAREST_CHUNK: Final = 1 << 16  # synapses per block of the nearest-mitochondrion search
MITO_TYPES: Final = ("dark", "medium", "light")
_MITO_TYPE_P: Final = (0.75, 0.2, 0.05)
SYNAPSE_TYPES: Final = ("pre", "post")
POST_HIGH_ACCURACY_THRESHOLD: Final = 0.5


@dataclass(frozen=True, slots=True)
class Synapses:
    """Synapses in id order (by body, then pre before post, then ROI code), pairs, mitos."""

    body: IntArray  # neuron index
    is_post: BoolArray
    roi_code: IntArray  # into CONN_ROIS
    xyz: IntArray  # (3, synapses): rows x, y, z
    confidence: FloatArray
    pair_pre: IntArray  # synapse indices, sorted by (pre, post)
    pair_post: IntArray
    mito_body: IntArray
    mito_type: IntArray  # into MITO_TYPES
    mito_roi_code: IntArray
    mito_xyz: IntArray  # (3, mitochondria)
    mito_size: IntArray
    mito_r: FloatArray  # (3, mitochondria): rows r0, r1, r2
    close_synapse: IntArray  # synapse index (ascending), mito index, distance
    close_mito: IntArray
    close_distance: FloatArray


def _exclusive_cumsum(counts: IntArray) -> IntArray:
    out = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def _ranks(keys: IntArray, group_start: IntArray) -> tuple[IntArray, IntArray]:
    """``order`` (stable sort of ``keys``) and each sorted item's rank within its key group."""
    order = np.argsort(keys, kind="stable")
    rank = np.arange(keys.size, dtype=np.int64) - group_start[keys[order]]
    return order, rank


def _clip_round(values: FloatArray, low: IntArray, top: IntArray) -> IntArray:
    """Round to integer voxels in ``low .. top`` (inclusive)."""
    clipped: IntArray = np.clip(np.rint(values).astype(np.int64), low, top)
    return clipped


def _confidence(rng: np.random.Generator, size: int, places: int) -> FloatArray:
    """Confidences in (0.5, 1.0], skewed high, rounded to ``places`` decimals."""
    value = np.round(0.5 + 0.5 * rng.beta(5.0, 1.5, size), places)
    out: FloatArray = np.clip(value, 0.5 + 10.0**-places, 1.0)
    return out


def _spread_bits(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Put bit ``i`` of each value (< 2**21) at bit ``3 * i``: one axis of a Morton code."""
    v = v & np.uint64(0x1FFFFF)
    for shift, mask in (
        (32, 0x1F00000000FFFF),
        (16, 0x1F0000FF0000FF),
        (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3),
        (2, 0x1249249249249249),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _body_morton(body: IntArray, xyz: IntArray) -> IntArray:
    """Sort keys: the body index, then a Morton code of the location (rows x, y, z) at
    8-voxel resolution (13 bits per axis)."""
    q = (xyz >> 3).astype(np.uint64)
    code = _spread_bits(q[0]) | (_spread_bits(q[1]) << np.uint64(1))
    code |= _spread_bits(q[2]) << np.uint64(2)
    key: IntArray = (body << 39) | code.astype(np.int64)
    return key


def make_synapses(
    rng: np.random.Generator, cells: Neurons, conns: Connections, counts: RoiCounts
) -> Synapses:
    """Synapses, pairs and mitochondria that reproduce ``counts`` exactly: five phases, each
    drawing from ``rng`` in turn (their order fixes the output for a seed)."""
    n = cells.body_ids.size
    if n >= 1 << 24:  # pragma: no cover - the Morton keys hold 24 bits of neuron index
        raise InvalidArgument("synapses are generated for at most 16,777,215 neurons")
    ids = synapse_ids(n, counts)
    pair_pre, pair_post = pair_synapses(rng, conns, counts, ids)
    where = place_synapses(rng, counts, ids, pair_pre, pair_post)
    order = np.argsort(pair_pre, kind="stable")  # post ids ascend within a T-bar already
    pair_pre, pair_post = pair_pre[order], pair_post[order]
    del order
    mitos = make_mitochondria(rng, n, ids, where)
    close = close_to(rng, ids.body, where.xyz, mitos)
    return Synapses(
        body=ids.body,
        is_post=ids.is_post,
        roi_code=ids.roi_code,
        xyz=where.xyz,
        confidence=where.confidence,
        pair_pre=pair_pre,
        pair_post=pair_post,
        mito_body=mitos.body,
        mito_type=mitos.type,
        mito_roi_code=mitos.roi_code,
        mito_xyz=mitos.xyz,
        mito_size=mitos.size,
        mito_r=mitos.r,
        close_synapse=close.synapse,
        close_mito=close.mito,
        close_distance=close.distance,
    )


@dataclass(frozen=True, slots=True)
class SynapseIds:
    """Synapse ``i`` (id ``i + 1``): per body its T-bars, then its post synapses, each by ROI
    code; a *cell* is one (body, type, ROI code) group of consecutive ids."""

    per_cell: IntArray  # synapses per cell, cells in id order: (body, type, ROI code)
    cell_start: IntArray  # (bodies, 2 * ROI codes): the first synapse index of each cell
    body: IntArray  # per synapse: neuron index
    is_post: BoolArray
    roi_code: IntArray  # into CONN_ROIS


def synapse_ids(n: int, counts: RoiCounts) -> SynapseIds:
    """Phase 1: number the synapses that ``counts`` ask for (no random draws)."""
    width = len(CONN_ROIS)
    per_cell = np.concatenate([counts.pre, counts.post], axis=1).ravel()  # (body, type, roi)
    cell_start = _exclusive_cumsum(per_cell).reshape(n, 2 * width)
    cell_of = np.repeat(np.arange(per_cell.size, dtype=np.int64), per_cell)
    body = cell_of // (2 * width)
    column = cell_of - body * (2 * width)
    del cell_of
    is_post = column >= width
    roi_code = np.where(is_post, column - width, column)
    return SynapseIds(per_cell, cell_start, body, is_post, roi_code)


def pair_synapses(
    rng: np.random.Generator, conns: Connections, counts: RoiCounts, ids: SynapseIds
) -> tuple[IntArray, IntArray]:
    """Phase 2: the pre and post synapse of every pair (in roi-row order).

    Weight k on roi row (a -> b, r) gives k pairs. Each post synapse of b in r ends one pair;
    a's pairs in r are dealt round-robin, in random order, to a's T-bars in r, so every T-bar
    gets ceil or floor of down / T-bars >= 1 of them."""
    width = len(CONN_ROIS)
    pre_start = ids.cell_start[:, :width].ravel()
    post_start = ids.cell_start[:, width:].ravel()
    pair_row = np.repeat(np.arange(conns.roi_weight.size, dtype=np.int64), conns.roi_weight)
    pair_edge = conns.roi_edge[pair_row]
    pair_roi = conns.roi_code[pair_row]
    del pair_row
    key = conns.pre[pair_edge] * width + pair_roi
    shuffled = (key << 32) | rng.integers(0, 1 << 32, size=key.size, dtype=np.int64)
    order = np.argsort(shuffled, kind="stable")
    del shuffled
    sorted_key = key[order]
    rank = np.arange(key.size, dtype=np.int64) - _exclusive_cumsum(counts.down.ravel())[sorted_key]
    pair_pre = np.empty(key.size, dtype=np.int64)
    pair_pre[order] = pre_start[sorted_key] + rank % counts.pre.ravel()[sorted_key]
    del order, sorted_key, rank
    key = conns.post[pair_edge] * width + pair_roi
    del pair_edge, pair_roi
    order, rank = _ranks(key, _exclusive_cumsum(counts.post.ravel()))
    pair_post = np.empty(key.size, dtype=np.int64)
    pair_post[order] = post_start[key[order]] + rank
    return pair_pre, pair_post


@dataclass(frozen=True, slots=True)
class Places:
    """Where the synapses are: each one's region (a box of :func:`regions`), its location
    and its confidence, plus the regions' inclusive bounds (one row per axis)."""

    region: IntArray
    xyz: IntArray  # (3, synapses): rows x, y, z
    confidence: FloatArray
    low: IntArray  # (3, regions)
    top: IntArray


def place_synapses(
    rng: np.random.Generator,
    counts: RoiCounts,
    ids: SynapseIds,
    pair_pre: IntArray,
    pair_post: IntArray,
) -> Places:
    """Phase 3: locations and confidences.

    Each (body, ROI) with T-bars has an arbor centre in the ROI's box (NotPrimary: in one
    NotPrimary slab); its T-bars scatter around the centre, and post synapses sit a few tens
    of voxels from their T-bar, in the same box."""
    width = len(CONN_ROIS)
    n_rois = len(PRIMARY_ROIS)
    total = ids.body.size
    lo, hi = regions()
    low, top = lo.T.copy(), (hi - 1).T.copy()  # inclusive bounds, one row per axis
    region = np.empty(total, dtype=np.int64)
    xyz = np.empty((3, total), dtype=np.int64)
    arbors = np.flatnonzero(counts.pre.ravel())
    arbor_region = CONN_TO_PRIMARY[arbors % width]
    slab = n_rois + rng.integers(0, 6 * n_rois, size=arbors.size)
    arbor_region = np.where(arbor_region >= 0, arbor_region, slab)
    tbars = np.flatnonzero(~ids.is_post)
    arbor_of = np.repeat(np.arange(arbors.size), counts.pre.ravel()[arbors])
    r = arbor_region[arbor_of]
    region[tbars] = r
    for axis in range(3):
        extent = (top[axis] + 1 - low[axis])[arbor_region].astype(np.float64)
        centre = low[axis][arbor_region] + rng.random(arbors.size) * extent
        spread = rng.normal(size=tbars.size) * (_TBAR_SPREAD * extent[arbor_of])
        xyz[axis, tbars] = _clip_round(centre[arbor_of] + spread, low[axis][r], top[axis][r])
    del arbor_of, spread, centre, extent
    r = region[pair_pre]
    region[pair_post] = r
    for axis in range(3):
        near = xyz[axis, pair_pre] + rng.normal(0.0, _PSD_SD, size=pair_pre.size)
        xyz[axis, pair_post] = _clip_round(near, low[axis][r], top[axis][r])
    del near, r
    confidence = np.empty(total, dtype=np.float64)
    confidence[tbars] = _confidence(rng, tbars.size, 3)
    del tbars
    posts = np.flatnonzero(ids.is_post)
    confidence[posts] = _confidence(rng, posts.size, 6)
    return Places(region, xyz, confidence, low, top)


@dataclass(frozen=True, slots=True)
class Mitochondria:
    """Mitochondria in body order, then by their anchor synapse's id."""

    body: IntArray
    type: IntArray  # into MITO_TYPES
    roi_code: IntArray
    xyz: IntArray  # (3, mitochondria)
    size: IntArray
    r: FloatArray  # (3, mitochondria): rows r0, r1, r2
    per_body: IntArray  # mitochondria per neuron


def make_mitochondria(
    rng: np.random.Generator, n: int, ids: SynapseIds, where: Places
) -> Mitochondria:
    """Phase 4: about one mitochondrion per 30-60 synapses of a body, at least one, spread
    over the body's (type, ROI) groups of synapses in proportion to their size (stochastic
    rounding). Each sits near a random synapse of its group (its anchor), in the anchor's box
    and ROI."""
    width = len(CONN_ROIS)
    per_cell = ids.per_cell
    ratio = 30.0 + 30.0 * rng.random(n)  # synapses per mitochondrion, per body
    group = np.flatnonzero(per_cell)
    group_size = per_cell[group]
    group_body = group // (2 * width)
    group_mitos = np.floor(group_size / ratio[group_body] + rng.random(group.size))
    group_mitos = group_mitos.astype(np.int64)
    by_size = np.lexsort((-group_size, group_body))  # each body's largest group first
    largest = by_size[np.flatnonzero(np.diff(group_body[by_size], prepend=-1))]
    none = np.bincount(group_body, weights=group_mitos, minlength=n)[group_body[largest]] == 0
    group_mitos[largest[none]] = 1
    mito_group = np.repeat(np.arange(group.size, dtype=np.int64), group_mitos)
    anchor = ids.cell_start.ravel()[group[mito_group]] + (
        rng.random(mito_group.size) * group_size[mito_group]
    ).astype(np.int64)
    del mito_group, by_size, largest, none
    anchor.sort()  # mitochondria in body order, then by their anchor's id
    body = ids.body[anchor]
    per_body = np.bincount(body, minlength=n).astype(np.int64)
    r = where.region[anchor]
    low, top = where.low, where.top
    xyz = np.empty((3, anchor.size), dtype=np.int64)
    for axis in range(3):
        near = where.xyz[axis, anchor] + rng.normal(0.0, _MITO_SD, size=anchor.size)
        xyz[axis] = _clip_round(near, low[axis][r], top[axis][r])
    roi_code = ids.roi_code[anchor]
    kind = rng.choice(len(MITO_TYPES), size=anchor.size, p=_MITO_TYPE_P).astype(np.int64)
    size = np.maximum(np.rint(rng.lognormal(math.log(2e5), 0.7, anchor.size)), 1).astype(np.int64)
    r0 = np.round(rng.lognormal(math.log(45.0), 0.35, anchor.size), 3)
    r1 = np.maximum(np.round(r0 * rng.uniform(0.35, 1.0, anchor.size), 3), 1.0)
    r0 = np.maximum(r0, r1)
    r2 = np.clip(np.round(rng.uniform(0.5, 1.0, anchor.size), 3), 0.501, 0.999)
    return Mitochondria(body, kind, roi_code, xyz, size, np.stack([r0, r1, r2]), per_body)


@dataclass(frozen=True, slots=True)
class CloseTo:
    """The CloseTo rows: synapse index (ascending), mitochondrion index, distance."""

    synapse: IntArray
    mito: IntArray
    distance: FloatArray


def close_to(
    rng: np.random.Generator, body: IntArray, xyz: IntArray, mitos: Mitochondria
) -> CloseTo:
    """Phase 5: ~90% of synapses get a CloseTo row to a mitochondrion of their own body,
    near-nearest: the best of the body's mitochondria next to the synapse in Morton order (by
    body, then location)."""
    close_synapse = np.flatnonzero(rng.random(body.size) < _CLOSE_TO_P)
    mito_key = _body_morton(mitos.body, mitos.xyz)
    mito_order = np.argsort(mito_key, kind="stable")
    mito_key = mito_key[mito_order]
    mito_at = mitos.xyz[:, mito_order].astype(np.float64)  # in key order
    mito_first = _exclusive_cumsum(mitos.per_body)
    mito_last = mito_first + mitos.per_body - 1
    close_mito = np.empty(close_synapse.size, dtype=np.int64)
    close_euclid = np.empty(close_synapse.size, dtype=np.float64)
    offsets = np.arange(-_NEAREST_SPAN, _NEAREST_SPAN, dtype=np.int64)
    for start in range(0, close_synapse.size, _NEAREST_CHUNK):
        chunk = close_synapse[start : start + _NEAREST_CHUNK]
        owner = body[chunk]
        at = xyz[:, chunk]
        found = np.searchsorted(mito_key, _body_morton(owner, at))
        candidates = np.clip(
            found[:, None] + offsets[None, :], mito_first[owner][:, None], mito_last[owner][:, None]
        )
        squared = np.zeros(candidates.shape, dtype=np.float64)
        for axis in range(3):
            delta = mito_at[axis][candidates] - at[axis][:, None]
            squared += delta * delta
        best = squared.argmin(axis=1)
        rows = np.arange(chunk.size)
        close_mito[start : start + chunk.size] = mito_order[candidates[rows, best]]
        close_euclid[start : start + chunk.size] = np.sqrt(squared[rows, best])
    stretch = rng.uniform(1.0, 1.6, size=close_synapse.size)
    distance = np.round(np.maximum(close_euclid * stretch - mitos.r[1, close_mito], 0.0), 6)
    return CloseTo(close_synapse, close_mito, distance)
