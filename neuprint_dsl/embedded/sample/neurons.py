"""The sample's neurons: body ids, cell types, home ROIs and degree propensities.

Example:
    >>> import numpy as np
    >>> cells = make_neurons(np.random.default_rng(0), 20)
    >>> cells.body_ids.size, bool((np.diff(cells.body_ids) > 0).all())
    (20, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from .arrays import FloatArray, IntArray
from .vocabulary import CORE_TYPES, vocabulary_arrays

MAX_HOMES: Final = 4
_HOME_COUNT_P: Final = (0.2, 0.35, 0.3, 0.15)  # P(1..4 home ROIs)


@dataclass(frozen=True, slots=True)
class Neurons:
    """The generated neurons, one row per neuron, by ascending body id."""

    body_ids: IntArray  # sorted ascending; neuron i has body_ids[i]
    type_row: IntArray  # row of the vocabulary
    homes: npt.NDArray[np.int8]  # (n, 4) primary-ROI indices, -1 padded, main ROI first
    home_count: IntArray
    home_mask: npt.NDArray[np.uint64]  # bit r set: primary ROI r is a home ROI
    out_propensity: FloatArray
    attract: FloatArray
    fan_out: IntArray  # PSDs per T-bar, 2..8


def make_neurons(rng: np.random.Generator, n: int) -> Neurons:
    """``n`` neurons: the core types first, the rest drawn by abundance (see the module
    example)."""
    vocab = vocabulary_arrays()
    # Body ids: distinct, hemibrain-like 9-10 digit numbers.
    body_ids = np.sort(rng.choice(7_900_000_000, size=n, replace=False).astype(np.int64))
    body_ids += 200_000_000

    # Types: the core types first (as many as fit), the rest drawn by abundance, then shuffled.
    row_of = {name: row for row, name in enumerate(vocab.names) if name is not None}
    core = np.array([row_of[name] for name in CORE_TYPES[:n]], dtype=np.int64)
    p = vocab.abundance / vocab.abundance.sum()
    drawn = rng.choice(len(p), size=n - core.size, p=p).astype(np.int64)
    type_row = rng.permutation(np.concatenate([core, drawn]))

    # Home ROIs: Gumbel top-k over the type's pool (weighted sampling without replacement).
    weights = vocab.pools[type_row]
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")[:, :MAX_HOMES]
    wanted = rng.choice(np.arange(1, MAX_HOMES + 1), size=n, p=_HOME_COUNT_P)
    home_count = np.minimum(wanted, (weights > 0).sum(axis=1)).astype(np.int64)
    homes = order.astype(np.int8)
    homes[np.arange(MAX_HOMES)[None, :] >= home_count[:, None]] = -1
    bits = np.where(
        homes >= 0,
        np.left_shift(np.uint64(1), np.maximum(homes, 0).astype(np.uint64)),
        np.uint64(0),
    )
    home_mask = np.bitwise_or.reduce(bits, axis=1)

    out_propensity = vocab.out_scale[type_row] * (rng.pareto(1.6, size=n) + 0.05)
    attract = vocab.in_scale[type_row] * rng.lognormal(0.0, 0.8, size=n)
    fan_out = rng.integers(2, 9, size=n).astype(np.int64)
    return Neurons(
        body_ids, type_row, homes, home_count, home_mask, out_propensity, attract, fan_out
    )
