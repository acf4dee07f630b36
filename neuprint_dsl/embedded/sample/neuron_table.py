"""The rows of ``neurons.csv``: counts that sum the connections exactly, ``roiInfo``,
status values, somata and cell-body fibres.

Example:
    >>> import numpy as np
    >>> from .connections import make_pairs, roi_counts, split_weights
    >>> from .neurons import make_neurons
    >>> rng = np.random.default_rng(0)
    >>> cells = make_neurons(rng, 30)
    >>> conns = split_weights(rng, cells, make_pairs(rng, cells, 100, None))
    >>> infos, totals = roi_info(cells, roi_counts(cells, conns))
    >>> table = neuron_table(rng, cells, infos, totals)
    >>> len(table), int(table["downstream"].sum()) == int(conns.weight.sum())
    (30, True)
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..rois import SUPER_ROI_CHILDREN, all_rois
from .arrays import IntArray
from .connections import RoiCounts
from .files import NEURON_COLUMNS
from .neurons import Neurons
from .roi_codes import CONN_ROIS
from .vocabulary import vocabulary_arrays


def roi_info(cells: Neurons, counts: RoiCounts) -> tuple[list[str], dict[str, IntArray]]:
    """Per-neuron roiInfo JSON strings and total counts, exactly consistent with ``counts``."""
    n = cells.body_ids.size
    width = len(CONN_ROIS)
    down_m, post_m, pre_m = counts.down, counts.post, counts.pre

    totals = {
        "pre": pre_m.sum(axis=1),
        "post": post_m.sum(axis=1),
        "downstream": down_m.sum(axis=1),
        "upstream": post_m.sum(axis=1),
    }

    # roiInfo columns: primary ROIs and super-level ROIs, sorted by name (as json sort_keys).
    names = all_rois()
    conn_index = {roi: i for i, roi in enumerate(CONN_ROIS)}
    membership = np.zeros((width, len(names)), dtype=np.int64)
    for j, roi in enumerate(names):
        for child in SUPER_ROI_CHILDREN.get(roi, (roi,)):
            membership[conn_index[child], j] = 1
    info_down = down_m @ membership
    info_post = post_m @ membership
    info_pre = pre_m @ membership
    present = (info_down > 0) | (info_post > 0)
    rows, cols = np.nonzero(present)
    keys = [json.dumps(name) for name in names]
    fragments = [
        f'{keys[c]}:{{"downstream":{d},"post":{p},"pre":{t},"upstream":{p}}}'
        for c, d, p, t in zip(
            cols.tolist(),
            info_down[rows, cols].tolist(),
            info_post[rows, cols].tolist(),
            info_pre[rows, cols].tolist(),
            strict=True,
        )
    ]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).tolist()
    infos = ["{" + ",".join(fragments[bounds[i] : bounds[i + 1]]) + "}" for i in range(n)]
    return infos, totals


def neuron_table(
    rng: np.random.Generator, cells: Neurons, infos: list[str], totals: dict[str, IntArray]
) -> pd.DataFrame:
    """The rows of ``neurons.csv`` (columns :data:`NEURON_COLUMNS`), counts from ``totals``."""
    vocab = vocabulary_arrays()
    n = cells.body_ids.size
    t = cells.type_row
    typed = vocab.typed[t]
    names = np.array(vocab.names, dtype=object)[t]

    def pick(
        flat: npt.NDArray[np.object_], start: IntArray, count: IntArray
    ) -> npt.NDArray[np.object_]:
        c = count[t]
        idx = start[t] + (rng.random(n) * np.maximum(c, 1)).astype(np.int64)
        out = np.full(n, None, dtype=object)
        has = c > 0
        out[has] = flat[idx[has]]
        return out

    instance = pick(vocab.instances, vocab.instance_start, vocab.instance_count)
    fiber = pick(vocab.fibers, vocab.fiber_start, vocab.fiber_count)
    fiber[rng.random(n) < 0.15] = None

    status_values = np.array(["Traced", "Roughly traced", "Orphan", "Assign", None], dtype=object)
    s_typed = rng.choice(5, size=n, p=[0.8, 0.12, 0.01, 0.02, 0.05])
    s_untyped = rng.choice(5, size=n, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    status_idx = np.where(typed, s_typed, s_untyped)
    status = status_values[status_idx]
    label_main = np.array(["Traced", "Roughly traced", "Leaves", "0.5assign", None], dtype=object)
    label_alt = np.array(
        ["Roughly traced", "Prelim Roughly traced", "Orphan", "Leaves", None], dtype=object
    )
    label = np.where(rng.random(n) < 0.9, label_main[status_idx], label_alt[status_idx])
    label[rng.random(n) < 0.02] = None

    cropped_values = np.array([False, True, None], dtype=object)
    cropped = cropped_values[rng.choice(3, size=n, p=[0.8, 0.15, 0.05])]

    has_soma = rng.random(n) < np.where(typed, 0.62, 0.35)
    xyz = rng.integers([2_000, 2_000, 2_000], [34_000, 38_000, 40_000], size=(n, 3)).tolist()
    soma = np.full(n, None, dtype=object)
    soma[has_soma] = [f"[{x}, {y}, {z}]" for (x, y, z), s in zip(xyz, has_soma, strict=True) if s]
    radius = np.round(np.clip(rng.normal(300.0, 60.0, n), 120.0, 600.0) * 2.0) / 2.0
    radius = np.where(has_soma, radius, np.nan)

    synapses = totals["pre"] + totals["post"]
    size = (np.exp(rng.normal(19.0, 0.7, n)) + 150_000.0 * synapses).astype(np.int64)

    return pd.DataFrame(
        {
            "bodyId": cells.body_ids,
            "type": pd.Series(names, dtype=object),
            "instance": pd.Series(instance, dtype=object),
            "status": pd.Series(status, dtype=object),
            "statusLabel": pd.Series(label, dtype=object),
            "cropped": pd.Series(cropped, dtype=object),
            "pre": totals["pre"],
            "post": totals["post"],
            "downstream": totals["downstream"],
            "upstream": totals["upstream"],
            "size": size,
            "somaLocation": pd.Series(soma, dtype=object),
            "somaRadius": radius,
            "cellBodyFiber": pd.Series(fiber, dtype=object),
            "roiInfo": pd.Series(infos, dtype=object),
        },
        columns=list(NEURON_COLUMNS),
    )
