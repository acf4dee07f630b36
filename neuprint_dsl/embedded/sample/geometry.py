"""Where generated synapses lie: one fixed box per primary ROI in a hemibrain-sized
volume, and the NotPrimary space between the boxes.

Example:
    >>> lo, hi = regions()
    >>> lo.shape, bool((hi > lo).all())
    ((441, 3), True)
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np

from ..rois import PRIMARY_ROIS, ROI_HIERARCHY
from .arrays import IntArray

SAMPLE_VOLUME: Final[tuple[int, int, int]] = (35_000, 40_000, 42_000)
"""The extent ``(x, y, z)`` in voxels of the volume that generated synapses lie in."""

_GRID: Final = (4, 4, 4)  # one cell per primary ROI (63 of the 64 are used)
_BOX_MARGIN: Final = 150  # voxels between a box and its cell's faces: the NotPrimary space
_BOX_SEED: Final = 20_200_121  # fixed: the boxes are the same for every sample


def _grid_cells() -> list[tuple[int, int, int]]:
    """The grid cells in a snake order: consecutive cells share a face."""
    gx, gy, gz = _GRID
    cells: list[tuple[int, int, int]] = []
    for ix in range(gx):
        ys = range(gy) if ix % 2 == 0 else range(gy - 1, -1, -1)
        for k, iy in enumerate(ys):
            zs = range(gz) if (ix * gy + k) % 2 == 0 else range(gz - 1, -1, -1)
            cells.extend((ix, iy, iz) for iz in zs)
    return cells


@functools.cache
def regions() -> tuple[IntArray, IntArray]:
    """Half-open boxes ``lo, hi`` (rows of x, y, z): first one per primary ROI (in
    ``PRIMARY_ROIS`` order), then six NotPrimary slabs per ROI (the space between the ROI's
    box and the faces of its grid cell, which no box reaches)."""
    volume = np.array(SAMPLE_VOLUME, dtype=np.int64)
    cell_size = volume // np.array(_GRID, dtype=np.int64)
    # ROIs in the hierarchy's order, so the children of a super-level ROI are neighbours.
    order = [
        leaf["name"]
        for top in ROI_HIERARCHY.get("children", [])
        for leaf in (top.get("children") or [top])
    ]
    cell_of = dict(zip(order, _grid_cells(), strict=False))
    rng = np.random.default_rng(_BOX_SEED)
    n_rois = len(PRIMARY_ROIS)
    fraction = rng.uniform(0.5, 0.85, size=(n_rois, 3))
    place = rng.random((n_rois, 3))
    cell_lo = np.array([cell_of[roi] for roi in PRIMARY_ROIS], dtype=np.int64) * cell_size
    size = np.floor(fraction * cell_size).astype(np.int64)
    free = cell_size - size - 2 * _BOX_MARGIN
    lo = cell_lo + _BOX_MARGIN + np.floor(place * (free + 1)).astype(np.int64)
    hi = lo + size
    slab_lo = np.repeat(cell_lo, 6, axis=0)
    slab_hi = slab_lo + cell_size
    for axis in range(3):
        low_side, high_side = (
            np.arange(2 * axis, 6 * n_rois, 6),
            np.arange(2 * axis + 1, 6 * n_rois, 6),
        )
        slab_hi[low_side, axis] = lo[:, axis]
        slab_lo[high_side, axis] = hi[:, axis]
    return np.concatenate([lo, slab_lo]), np.concatenate([hi, slab_hi])


def sample_roi_boxes() -> dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]]:
    """Return the box ``((x0, y0, z0), (x1, y1, z1))`` of every primary ROI in generated data.

    Boxes are half-open (``x0 <= x < x1``), disjoint, inside :data:`SAMPLE_VOLUME`, and the
    same for every sample. A generated synapse or mitochondrion with primary ROI ``r`` lies in
    ``r``'s box; one without a primary ROI (NotPrimary) lies outside every box. A super-level
    ROI is the union of its children's boxes.

    Example:
        >>> boxes = sample_roi_boxes()
        >>> len(boxes), sorted(boxes) == sorted(PRIMARY_ROIS)
        (63, True)
        >>> (x0, y0, z0), (x1, y1, z1) = boxes["EB"]
        >>> 0 <= x0 < x1 <= 35_000 and 0 <= y0 < y1 <= 40_000 and 0 <= z0 < z1 <= 42_000
        True
    """
    lo, hi = regions()
    return {
        roi: (
            (int(lo[i, 0]), int(lo[i, 1]), int(lo[i, 2])),
            (int(hi[i, 0]), int(hi[i, 1]), int(hi[i, 2])),
        )
        for i, roi in enumerate(PRIMARY_ROIS)
    }
