"""Skeletons, as neuprint-python's ``neuprint.skeleton``: ``fetch_skeleton`` on the (default)
client, and the skeleton DataFrame functions of :mod:`neuprint_dsl.compat.skeleton_frames`
(SWC text <-> DataFrame, healing, re-rooting, segments, upsampling, synapses, networkx).

Example:
    >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 3 4 0 1 -1")
    >>> heal_skeleton(df)["link"].tolist()
    [-1, 1]
"""

from __future__ import annotations

import os
from typing import Any, Literal

from .client import Client, default_client
from .skeleton_frames import (
    SKELETON_COLUMNS,
    attach_synapses_to_skeleton,
    calc_segment_distances,
    distances_from_root,
    heal_skeleton,
    reorient_skeleton,
    skeleton_df_to_nx,
    skeleton_df_to_swc,
    skeleton_segments,
    skeleton_swc_to_df,
    upsample_skeleton,
)

__all__ = [
    "SKELETON_COLUMNS",
    "attach_synapses_to_skeleton",
    "calc_segment_distances",
    "distances_from_root",
    "fetch_skeleton",
    "heal_skeleton",
    "reorient_skeleton",
    "skeleton_df_to_nx",
    "skeleton_df_to_swc",
    "skeleton_segments",
    "skeleton_swc_to_df",
    "upsample_skeleton",
]


def fetch_skeleton(
    body: int,
    heal: bool | float = False,
    export_path: str | os.PathLike[str] | None = None,
    format: Literal["pandas", "swc", "nx"] = "pandas",
    with_distances: bool = False,
    *,
    client: Client | None = None,
) -> Any:
    """The skeleton of a body: :meth:`Client.fetch_skeleton` on the (default) client.

    Example:
        >>> df = fetch_skeleton(1136399017, heal=True)  # doctest: +SKIP
    """
    return (client or default_client()).fetch_skeleton(
        body, heal, export_path, format, with_distances
    )
