"""The sample's connections: distinct pairs with power-law degrees, synapse-count weights,
their split over primary ROIs, and the per-neuron, per-ROI counts that follow.

Example:
    >>> import numpy as np
    >>> from .neurons import make_neurons
    >>> rng = np.random.default_rng(0)
    >>> cells = make_neurons(rng, 30)
    >>> conns = split_weights(rng, cells, make_pairs(rng, cells, 100, None))
    >>> conns.pre.size, int(conns.roi_weight.sum()) == int(conns.weight.sum())
    (100, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from ..rois import PRIMARY_ROIS
from .arrays import BoolArray, FloatArray, IntArray
from .files import Progress
from .neurons import MAX_HOMES, Neurons
from .roi_codes import CONN_ROIS, NOT_PRIMARY_CODE, PRIMARY_TO_CONN

_SPLIT_COUNT_P: Final = (0.55, 0.3, 0.15)  # P(a connection spans 1..3 primary ROIs)
_NOT_PRIMARY_P: Final = 0.15  # P(a connection has a NotPrimary share)
_SPARSE_ROUNDS_ROI_P: Final = (0.75, 0.5, 0.25, 0.0)  # P(candidate drawn from a shared ROI)
_SHARE_BOOST: Final = 3.0  # exact path: weight x (1 + boost) for partners sharing an ROI
_MAX_WEIGHT: Final = 2500
_WEIGHT_ALPHA_SHARED: Final = 1.1
_WEIGHT_ALPHA_OTHER: Final = 1.5
_CHUNK: Final = 1 << 20


def _allocate(propensity: FloatArray, total: int, cap: int) -> IntArray:
    """Integer degrees proportional to ``propensity``, each <= cap, summing to ``total``."""
    n = propensity.size
    degree = np.zeros(n, dtype=np.int64)
    free = np.arange(n)
    remaining = total
    while remaining > 0 and free.size:  # water-filling: fix the capped ones, rescale the rest
        share = remaining * propensity[free] / propensity[free].sum()
        over = share >= cap
        if not over.any():
            base = np.minimum(np.floor(share).astype(np.int64), cap)
            fraction = share - base
            short = remaining - int(base.sum())
            while short > 0:  # largest remainders first (stable, so ties go to lower index)
                eligible = np.flatnonzero(base < cap)
                ranked = eligible[np.argsort(-fraction[eligible], kind="stable")][:short]
                base[ranked] += 1
                fraction[ranked] = -np.inf
                short -= ranked.size
            degree[free] = base
            remaining = 0
            break
        degree[free[over]] = cap
        remaining -= cap * int(over.sum())
        free = free[~over]
    if int(degree.sum()) != total:  # pragma: no cover - guarded by the caps
        raise AssertionError("degree allocation failed")
    return degree


def _sorted_member(haystack: IntArray, needles: IntArray) -> BoolArray:
    if haystack.size == 0:
        return np.zeros(needles.size, dtype=np.bool_)
    idx = np.minimum(np.searchsorted(haystack, needles), haystack.size - 1)
    found: BoolArray = haystack[idx] == needles
    return found


def make_pairs(
    rng: np.random.Generator, cells: Neurons, edges: int, progress: Progress | None
) -> IntArray:
    """Return ``edges`` distinct codes ``pre * n + post`` (pre != post), sorted."""
    n = cells.body_ids.size
    if edges == 0:
        return np.zeros(0, dtype=np.int64)
    cap = min(n - 1, max(math.ceil(0.25 * (n - 1)), math.ceil(2 * edges / n)))
    degree = _allocate(cells.out_propensity, edges, cap)

    # Members of each primary ROI (CSR), with cumulative attractiveness for weighted draws.
    n_rois = len(PRIMARY_ROIS)
    member_of = (cells.homes[:, :, None] == np.arange(n_rois, dtype=np.int8)[None, None, :]).any(
        axis=1
    )
    roi_members = [np.flatnonzero(member_of[:, r]) for r in range(n_rois)]
    offsets = np.concatenate([[0], np.cumsum([m.size for m in roi_members])]).astype(np.int64)
    members = np.concatenate(roi_members).astype(np.int64)
    cum = np.cumsum(cells.attract[members])
    cum_before = np.where(offsets[:-1] > 0, cum[np.maximum(offsets[:-1] - 1, 0)], 0.0)
    cum_total = (
        np.where(offsets[1:] > offsets[:-1], cum[np.maximum(offsets[1:] - 1, 0)], 0.0) - cum_before
    )
    global_cum = np.cumsum(cells.attract)

    dense_from = max(8, n // 8)
    dense = degree > dense_from
    deficit = np.where(dense, 0, degree)
    accepted = np.zeros(0, dtype=np.int64)
    for roi_p in _SPARSE_ROUNDS_ROI_P:
        pres = np.flatnonzero(deficit > 0)
        if pres.size == 0:
            break
        need = deficit[pres]
        pre = np.repeat(pres, need + np.ceil(need * 0.35).astype(np.int64) + 2)
        size = pre.size
        via_roi = np.flatnonzero(rng.random(size) < roi_p)
        post = np.minimum(
            np.searchsorted(global_cum, rng.random(size) * global_cum[-1], side="right"), n - 1
        )
        by = pre[via_roi]
        roi = cells.homes[by, (rng.random(by.size) * cells.home_count[by]).astype(np.int64)]
        roi = roi.astype(np.int64)
        target = cum_before[roi] + rng.random(by.size) * cum_total[roi]
        pos = np.clip(
            np.searchsorted(cum, target, side="right"), offsets[roi], offsets[roi + 1] - 1
        )
        post[via_roi] = members[pos]
        keep = post != pre
        codes = pre[keep] * n + post[keep]
        codes = codes[~_sorted_member(accepted, codes)]
        _, first = np.unique(codes, return_index=True)
        first.sort()  # generation order, which is grouped by ascending pre
        codes = codes[first]
        owner = codes // n
        run_starts = np.flatnonzero(np.diff(owner, prepend=-1))  # owner is non-decreasing
        run_lengths = np.diff(np.append(run_starts, owner.size))
        rank = np.arange(owner.size) - np.repeat(run_starts, run_lengths)
        new = codes[rank < deficit[owner]]
        deficit -= np.bincount(new // n, minlength=n)
        accepted = np.sort(np.concatenate([accepted, new]))
        if progress is not None:
            progress("connections", int(accepted.size), edges)

    # Exact path: hubs, and whatever the sparse rounds left short. Gumbel top-k over all
    # neurons, weighted by attractiveness and boosted for partners that share a home ROI.
    exact_rows: list[IntArray] = []
    missing = np.where(dense, degree, deficit)
    for i in np.flatnonzero(missing > 0).tolist():
        k = int(missing[i])
        weight = cells.attract * (
            1.0 + _SHARE_BOOST * member_of[:, cells.homes[i, : cells.home_count[i]]].any(axis=1)
        )
        weight[i] = 0.0
        lo, hi = np.searchsorted(accepted, [i * n, (i + 1) * n])
        weight[accepted[lo:hi] - i * n] = 0.0
        with np.errstate(divide="ignore"):
            keys = np.log(weight) + rng.gumbel(size=n)
        chosen = np.argpartition(-keys, k - 1)[:k]
        exact_rows.append(i * n + chosen.astype(np.int64))
    if exact_rows:
        accepted = np.sort(np.concatenate([accepted, *exact_rows]))
    if accepted.size != edges or np.any(accepted[1:] == accepted[:-1]):  # pragma: no cover
        raise AssertionError("pair sampling failed")
    if progress is not None:
        progress("connections", edges, edges)
    return accepted


@dataclass(frozen=True, slots=True)
class Connections:
    """The connections (neuron indices, total weight) and their per-ROI rows."""

    pre: IntArray
    post: IntArray
    weight: IntArray
    roi_edge: IntArray  # roi rows: edge index, ROI code (into CONN_ROIS), weight
    roi_code: IntArray
    roi_weight: IntArray


def split_weights(rng: np.random.Generator, cells: Neurons, codes: IntArray) -> Connections:
    """Weights of the pairs ``codes`` (``pre * n + post``) and their split over 1-3 primary
    ROIs (and sometimes NotPrimary), the parts summing exactly to each weight."""
    n = cells.body_ids.size
    pre = codes // n
    post = codes - pre * n
    weight = np.zeros(codes.size, dtype=np.int64)
    row_edges: list[IntArray] = []
    row_codes: list[IntArray] = []
    row_weights: list[IntArray] = []
    for start in range(0, codes.size, _CHUNK):
        a, b = pre[start : start + _CHUNK], post[start : start + _CHUNK]
        size = a.size
        mask_a, mask_b = cells.home_mask[a], cells.home_mask[b]
        shared = (mask_a & mask_b) != 0
        # Synapse counts: discrete power law, P(w >= k) = k ** -alpha (most are 1-5, a few
        # are 50+), with a heavier tail for partners that share a home ROI.
        alpha = np.where(shared, _WEIGHT_ALPHA_SHARED, _WEIGHT_ALPHA_OTHER)
        tail = np.floor((1.0 - rng.random(size)) ** (-1.0 / alpha))
        w = np.minimum(tail, _MAX_WEIGHT).astype(np.int64)
        weight[start : start + size] = w
        # Candidate ROIs: the shared home ROIs, or else the union of both home sets.
        ha, hb = cells.homes[a], cells.homes[b]
        in_b = ((mask_b[:, None] >> np.maximum(ha, 0).astype(np.uint64)) & np.uint64(1)) == 1
        in_a = ((mask_a[:, None] >> np.maximum(hb, 0).astype(np.uint64)) & np.uint64(1)) == 1
        valid = np.concatenate(
            [(ha >= 0) & (in_b | ~shared[:, None]), (hb >= 0) & ~in_a & ~shared[:, None]], axis=1
        )
        candidates = np.concatenate([ha, hb], axis=1)
        # Up to three distinct valid candidates in random order: repeated argmax of random keys.
        keys = np.where(valid, rng.random((size, 2 * MAX_HOMES)), -1.0)
        chosen = np.empty((size, 3), dtype=np.int64)
        rows = np.arange(size)
        for slot in range(3):
            best = keys.argmax(axis=1)
            chosen[:, slot] = candidates[rows, best]
            keys[rows, best] = -1.0
        wanted = rng.choice(np.arange(1, 4), size=size, p=_SPLIT_COUNT_P)
        used = np.arange(3)[None, :] < np.minimum(wanted, valid.sum(axis=1))[:, None]
        # Split probabilities: columns [NotPrimary, slot 3, slot 2, slot 1]; slot 1 is always
        # used. Counts by a chain of conditional binomials (a vectorised multinomial), the
        # last column taking the remainder, so the parts sum exactly to the weight.
        share = rng.gamma(1.0, size=(size, 3)) * used
        share /= share.sum(axis=1, keepdims=True)
        not_primary = np.where(rng.random(size) < _NOT_PRIMARY_P, rng.uniform(0.05, 0.3, size), 0.0)
        probs = np.empty((size, 4), dtype=np.float64)
        probs[:, 0] = not_primary
        probs[:, 1:] = share[:, ::-1] * (1.0 - not_primary)[:, None]
        counts = np.empty((size, 4), dtype=np.int64)
        left = w.copy()
        mass = np.ones(size, dtype=np.float64)
        for column in range(3):
            q = np.clip(probs[:, column] / np.maximum(mass, 1e-300), 0.0, 1.0)
            q[probs[:, column] <= 0.0] = 0.0
            counts[:, column] = rng.binomial(left, q)
            left -= counts[:, column]
            mass -= probs[:, column]
        counts[:, 3] = left
        roi_codes = np.empty((size, 4), dtype=np.int64)
        roi_codes[:, 0] = NOT_PRIMARY_CODE
        roi_codes[:, 1:] = PRIMARY_TO_CONN[np.maximum(chosen[:, ::-1], 0)]
        edge_idx, cell = np.nonzero(counts)
        order = np.argsort(edge_idx * 64 + roi_codes[edge_idx, cell], kind="stable")
        edge_idx, cell = edge_idx[order], cell[order]
        row_edges.append(edge_idx.astype(np.int64) + start)
        row_codes.append(roi_codes[edge_idx, cell])
        row_weights.append(counts[edge_idx, cell].astype(np.int64))

    def cat(parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return Connections(pre, post, weight, cat(row_edges), cat(row_codes), cat(row_weights))


@dataclass(frozen=True, slots=True)
class RoiCounts:
    """Per-neuron, per-ROI counts, shape ``(neurons, len(CONN_ROIS))`` (NotPrimary included)."""

    down: IntArray  # outgoing synapse pairs (the sum of roi-connection weights)
    post: IntArray  # post synapses = incoming pairs
    pre: IntArray  # T-bars: ceil(down / fan-out)


def roi_counts(cells: Neurons, conns: Connections) -> RoiCounts:
    """The per-(neuron, ROI) counts that ``neurons.csv`` and the synapse tables both follow."""
    n = cells.body_ids.size
    width = len(CONN_ROIS)
    pre_of_row = conns.pre[conns.roi_edge]
    post_of_row = conns.post[conns.roi_edge]
    down = np.bincount(
        pre_of_row * width + conns.roi_code, weights=conns.roi_weight, minlength=n * width
    )
    post = np.bincount(
        post_of_row * width + conns.roi_code, weights=conns.roi_weight, minlength=n * width
    )
    down_m = down.round().astype(np.int64).reshape(n, width)
    post_m = post.round().astype(np.int64).reshape(n, width)
    k = cells.fan_out[:, None]
    pre_m = (down_m + k - 1) // k  # T-bars: ceil(downstream / fan-out), >= 1 when downstream > 0
    return RoiCounts(down_m, post_m, pre_m)
