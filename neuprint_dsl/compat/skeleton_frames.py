"""Skeleton DataFrames (the functions of neuprint-python's ``neuprint.skeleton`` that need no
client): SWC text <-> DataFrame, healing of fragmented skeletons, re-rooting, segment lengths,
upsampling, synapses attached, networkx graphs. :mod:`neuprint_dsl.compat.skeleton` adds
``fetch_skeleton``; the compat ``Client`` uses these directly.

A skeleton DataFrame has one row per node: ``rowId`` (int32), ``x``, ``y``, ``z``, ``radius``
(float32) and ``link`` (int32, the parent's ``rowId``; ``-1`` for a root), the dtypes
neuprint-python uses. Healing uses scipy, as neuprint-python does (the closest nodes of two
fragments by a k-d tree, the links to add by a minimum spanning tree; install
``neuprint-dsl[skeleton]``); ``skeleton_df_to_nx`` and ``format='nx'`` need networkx; the rest
needs neither.

Example:
    >>> swc = "# a skeleton in two pieces\\n1 0 0 0 0 1 -1\\n2 0 3 4 0 1 1\\n3 0 10 4 0 1 -1\\n"
    >>> df = skeleton_swc_to_df(swc)
    >>> df.dtypes.astype(str).tolist()
    ['int32', 'float32', 'float32', 'float32', 'float32', 'int32']
    >>> heal_skeleton(df)["link"].tolist()
    [-1, 1, 2]
    >>> calc_segment_distances(heal_skeleton(df), root_dist=0.0).tolist()
    [0.0, 5.0, 7.0]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import InvalidArgument, InvalidValue, LoadError, MissingDependency

__all__ = [
    "SKELETON_COLUMNS",
    "attach_synapses_to_skeleton",
    "calc_segment_distances",
    "distances_from_root",
    "heal_skeleton",
    "reorient_skeleton",
    "skeleton_df_to_nx",
    "skeleton_df_to_swc",
    "skeleton_segments",
    "skeleton_swc_to_df",
    "upsample_skeleton",
]

#: The columns of a skeleton DataFrame, in order.
SKELETON_COLUMNS = ("rowId", "x", "y", "z", "radius", "link")
_DTYPES: dict[str, Any] = {
    "rowId": np.int32,
    "x": np.float32,
    "y": np.float32,
    "z": np.float32,
    "radius": np.float32,
    "link": np.int32,
}
#: Distances between two fragments are computed this many pairs at a time (bounded memory).
_PAIRS_PER_CHUNK = 1 << 20

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------------------
# SWC


def skeleton_swc_to_df(swc: str | os.PathLike[str] | IO[str]) -> pd.DataFrame:
    """A skeleton DataFrame from SWC: the text itself, a path to a ``.swc`` file, or an open
    file. Blank lines and lines starting with ``#`` are skipped; the ``node_type`` column is
    dropped. Any other line must have exactly 7 fields (:class:`~neuprint_dsl.errors.LoadError`
    otherwise, naming the line).

    Example:
        >>> skeleton_swc_to_df("# id type x y z r parent\\n1 0 1.5 2 3 0.5 -1\\n2 0 1.5 2 4 0.5 1")
           rowId    x    y    z  radius  link
        0      1  1.5  2.0  3.0     0.5    -1
        1      2  1.5  2.0  4.0     0.5     1
    """
    text: object
    source = "SWC text"  # what a LoadError names
    if isinstance(swc, os.PathLike) or (isinstance(swc, str) and swc.endswith(".swc")):
        source = os.fspath(swc)
        with open(swc, encoding="utf-8") as f:
            text = f.read()
    elif isinstance(swc, str):
        text = swc
    elif hasattr(swc, "read"):
        source = str(getattr(swc, "name", "SWC file"))
        text = swc.read()
    else:
        raise InvalidArgument(f"expected SWC text, a path or a file, not {type(swc).__name__}")
    if not isinstance(text, str):
        raise InvalidArgument(f"SWC must be text, not {type(text).__name__}")
    rows: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 7:
            raise LoadError(
                source,
                f"{len(fields)} fields, not 7 (id type x y z radius parent): {line[:80]!r}",
                number,
            )
        rows.append(fields)
    if not rows:
        return _empty_skeleton()
    table = np.array(rows, dtype=str)
    columns: dict[str, Any] = {}
    try:
        for name, index in zip(SKELETON_COLUMNS, (0, 2, 3, 4, 5, 6), strict=True):
            if name in ("rowId", "link"):
                values = table[:, index].astype(np.int64)
                if values.size and (values.max() > 2**31 - 1 or values.min() < -(2**31)):
                    raise ValueError(f"{name} values do not fit in int32")
                columns[name] = values.astype(np.int32)
            else:
                columns[name] = table[:, index].astype(np.float64).astype(np.float32)
    except ValueError as err:  # numpy's, or the int32 check above
        raise LoadError(source, f"malformed SWC: {err}") from None
    return pd.DataFrame(columns)


def skeleton_df_to_swc(df: pd.DataFrame, export_path: str | os.PathLike[str] | None = None) -> str:
    """SWC text for a skeleton DataFrame (``node_type`` 0 on every row), written to
    ``export_path`` too when given. Only the six skeleton columns are written.

    Example:
        >>> df = skeleton_swc_to_df("1 0 1.5 2 3 0.5 -1\\n2 0 1.5 2 4 0.5 1")
        >>> print(skeleton_df_to_swc(df), end="")
        # rowId node_type x y z radius link
        1 0 1.5 2.0 3.0 0.5 -1
        2 0 1.5 2.0 4.0 0.5 1
    """
    _check_columns(df)
    frame = df[list(SKELETON_COLUMNS)].copy()
    frame.insert(1, "node_type", 0)
    swc = "# " + frame.to_csv(sep=" ", header=True, index=False, lineterminator="\n")
    if export_path:
        with open(export_path, "w", encoding="utf-8") as f:
            f.write(swc)
    return swc


# ---------------------------------------------------------------------------------------
# distances


def calc_segment_distances(df: pd.DataFrame, root_dist: float = np.inf) -> npt.NDArray[np.float32]:
    """For every node, the Euclidean distance to its parent (``link``), as float32; roots
    (nodes whose parent is not in the skeleton, e.g. ``link == -1``) get ``root_dist``,
    ``np.inf`` by default as in neuprint-python.

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 3 4 0 1 1\\n3 0 3 4 12 1 2")
        >>> calc_segment_distances(df).tolist()
        [inf, 5.0, 12.0]
    """
    _check_columns(df)
    xyz = df[["x", "y", "z"]].to_numpy(dtype=np.float64)
    parent = pd.Index(df["rowId"]).get_indexer(df["link"])
    distances = np.full(len(df), float(root_dist), dtype=np.float64)
    has_parent = parent >= 0
    diff = xyz[has_parent] - xyz[parent[has_parent]]
    distances[has_parent] = np.sqrt((diff * diff).sum(axis=1))
    return distances.astype(np.float32)


# ---------------------------------------------------------------------------------------
# healing


def heal_skeleton(
    skeleton_df: pd.DataFrame,
    max_distance: bool | float = np.inf,
    root_parent: int | None = None,
) -> pd.DataFrame:
    """Join the fragments of a skeleton (its connected components) into one tree, as
    neuprint-python's ``heal_skeleton``.

    Each pair of fragments is linked by its closest pair of nodes (scipy's k-d tree); a minimum
    spanning tree over the fragments (scipy's, ties broken as neuprint-python's networkx
    Kruskal does) picks the links to add. Needs scipy (``pip install 'neuprint-dsl[skeleton]'``). The result is re-rooted at
    the node with the smallest ``rowId`` (its ``link`` becomes ``-1``) and sorted by ``rowId``.
    Added links longer than ``max_distance`` are left out (``True`` means no limit; ``False``,
    ``0`` or ``None`` mean 0), so a fragment that is too far stays apart, rooted at the node
    that link would have attached. With ``root_parent`` given, a skeleton with exactly one
    root is returned unchanged. Raises :class:`~neuprint_dsl.errors.InvalidValue` (a
    ``ValueError``) for duplicate ``rowId`` values or a cycle.

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 1 0 0 1 1\\n3 0 9 0 0 1 -1\\n4 0 3 0 0 1 3")
        >>> heal_skeleton(df)["link"].tolist()
        [-1, 1, 4, 2]
        >>> heal_skeleton(df, max_distance=1.5)["link"].tolist()
        [-1, 1, 4, -1]
    """
    if max_distance is True:
        max_distance = np.inf
    if not max_distance:
        max_distance = 0.0
    limit = float(max_distance)
    _check_columns(skeleton_df)
    _need_scipy("heal_skeleton")
    if root_parent is None:
        root_parent = -1
    elif int((skeleton_df["link"] == root_parent).sum()) == 1:
        return skeleton_df  # one root, so one tree: nothing to heal
    df = skeleton_df.sort_values("rowId", ignore_index=True, kind="stable")
    if len(df) == 0:
        return df
    parent = _parent_positions(df)
    labels = _fragments(parent)
    if labels.max() == 0:
        return df  # one tree: nothing to heal
    # fragments in order of their smallest rowId, then largest first (as neuprint-python)
    _, first = np.unique(labels, return_index=True)
    by_first = labels[np.sort(first)]
    sizes = np.bincount(labels)
    order = by_first[np.argsort(-sizes[by_first], kind="stable")]
    fragments = [np.flatnonzero(labels == f) for f in order.tolist()]
    xyz = df[["x", "y", "z"]].to_numpy(dtype=np.float64)
    links = _closest_links(fragments, xyz)
    added = _spanning_links(len(fragments), links)
    new_parent = _tree_parents(parent, links, added)
    link = df["link"].to_numpy().copy()
    row_ids = df["rowId"].to_numpy()
    has_parent = new_parent >= 0
    link[has_parent] = row_ids[new_parent[has_parent]]
    link[~has_parent] = root_parent
    for k in added.tolist():
        distance, _, _, a, b = links[k]
        if distance > limit:
            child = a if new_parent[a] == b else b
            link[child] = root_parent
    df["link"] = link
    return df


def reorient_skeleton(
    skeleton_df: pd.DataFrame,
    rowId: int | None = None,
    xyz: Iterable[float] | None = None,
    use_max_radius: bool = False,
) -> None:
    """Re-root a skeleton in place (only ``link`` changes), at the node ``rowId``, at the node
    closest to the point ``xyz``, or at the node with the largest radius; choose exactly one.
    Other fragments of a fragmented skeleton keep their roots.

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 1 0 0 1 1\\n3 0 2 0 0 1 2")
        >>> reorient_skeleton(df, rowId=3)
        >>> df["link"].tolist()
        [2, 3, -1]
    """
    chosen = (rowId is not None) + (xyz is not None) + bool(use_max_radius)
    if chosen != 1:
        raise InvalidArgument(
            "choose the new root with exactly one of rowId, xyz or use_max_radius"
        )
    _check_columns(skeleton_df)
    if xyz is not None:
        point = np.asarray(list(xyz), dtype=np.float64)
        coords = skeleton_df[["x", "y", "z"]].to_numpy(dtype=np.float64)
        rowId = int(skeleton_df["rowId"].iloc[int(np.argmin(((coords - point) ** 2).sum(axis=1)))])
    elif use_max_radius:
        rowId = int(skeleton_df["rowId"].iloc[int(np.argmax(skeleton_df["radius"].to_numpy()))])
    assert rowId is not None
    matches = np.flatnonzero(skeleton_df["rowId"].to_numpy() == rowId)
    if len(matches) == 0:
        raise InvalidArgument(f"no node with rowId {rowId}")
    parent = _parent_positions(skeleton_df)
    new_root = int(matches[0])
    path = _path_to_root(parent, new_root)
    for child, up in zip(path[1:], path[:-1], strict=True):
        parent[child] = up
    parent[new_root] = -1
    row_ids = skeleton_df["rowId"].to_numpy()
    link = skeleton_df["link"].to_numpy().copy()
    link[path] = np.where(parent[path] >= 0, row_ids[np.maximum(parent[path], 0)], -1)
    skeleton_df["link"] = link


# ---------------------------------------------------------------------------------------
# segments, upsampling, synapses


def _segment_table(skeleton_df: pd.DataFrame) -> pd.DataFrame:
    """One row per node that has a parent in the skeleton (in the skeleton's order): the
    node's columns, then the parent's ``rowId, link, x, y, z, radius`` suffixed ``_parent``,
    then ``length``, the distance between the two."""
    _check_columns(skeleton_df)
    ids = pd.Index(skeleton_df["rowId"])
    if not ids.is_unique:
        repeated = sorted(set(ids[ids.duplicated()].tolist()))[:5]
        raise InvalidValue(f"the skeleton has duplicate rowId values: {repeated}")
    parent = ids.get_indexer(skeleton_df["link"])
    has_parent = parent >= 0
    children = skeleton_df.iloc[np.flatnonzero(has_parent)].reset_index(drop=True)
    parents = skeleton_df[["rowId", "link", "x", "y", "z", "radius"]].iloc[parent[has_parent]]
    parents = parents.reset_index(drop=True).add_suffix("_parent")
    table = pd.concat([children, parents], axis=1)
    child_xyz = table[["x", "y", "z"]].to_numpy()
    parent_xyz = table[["x_parent", "y_parent", "z_parent"]].to_numpy()
    table["length"] = np.linalg.norm(child_xyz - parent_xyz, axis=1)
    out: pd.DataFrame = table
    return out


def skeleton_segments(skeleton_df: pd.DataFrame) -> pd.DataFrame:
    """One row per segment (a node and its parent): the node's columns, the parent's
    ``rowId, link, x, y, z, radius`` suffixed ``_parent``, the segment's ``length``, its
    ``avg_radius`` and its ``volume`` (a truncated cone: ``pi * length * (R^2 + R*r + r^2) / 3``).
    Roots (nodes whose parent is not in the skeleton) have no row.

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 3 4 0 2 1")
        >>> seg = skeleton_segments(df)
        >>> seg[["rowId", "rowId_parent", "length", "avg_radius"]]
           rowId  rowId_parent  length  avg_radius
        0      2             1     5.0         1.5
        >>> round(float(seg["volume"].iloc[0]), 3)  # pi * 5 * (1 + 4 + 2) / 3
        36.652
    """
    table = _segment_table(skeleton_df)
    radius, parent_radius = table["radius"], table["radius_parent"]
    table["avg_radius"] = (radius + parent_radius) / 2
    table["volume"] = (
        np.pi * table["length"] * (parent_radius**2 + radius**2 + radius * parent_radius) / 3
    )
    return table


def upsample_skeleton(skeleton_df: pd.DataFrame, max_segment_length: float) -> pd.DataFrame:
    """A skeleton in which every segment longer than ``max_segment_length`` is cut into
    ``ceil(length / max_segment_length)`` equal pieces by new nodes (``rowId`` from one past
    the largest, segment by segment in the skeleton's order), their points and radii
    interpolated between the node and its parent. Existing nodes keep their ``rowId``, point
    and radius; a node whose segment was cut now links to the first new node. Sorted by
    ``rowId``, in the input's dtypes (float32 coordinates may leave pieces a rounding error
    longer than asked). A skeleton with nothing to cut is returned as it is.

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 2 -1\\n2 0 9 0 0 1 1")
        >>> upsample_skeleton(df, 4)
           rowId    x    y    z    radius  link
        0      1  0.0  0.0  0.0  2.000000    -1
        1      2  9.0  0.0  0.0  1.000000     3
        2      3  6.0  0.0  0.0  1.333333     4
        3      4  3.0  0.0  0.0  1.666667     1
    """
    if isinstance(max_segment_length, bool) or not isinstance(
        max_segment_length, int | float | np.number
    ):
        raise InvalidArgument(
            f"max_segment_length must be a positive number, not {max_segment_length!r}"
        )
    if not max_segment_length > 0:
        raise InvalidArgument(
            f"max_segment_length must be a positive number, not {max_segment_length!r}"
        )
    _check_columns(skeleton_df)
    if len(skeleton_df) < 2 or bool((skeleton_df["link"] == -1).all()):
        return skeleton_df
    segments = _segment_table(skeleton_df)
    segments = segments[segments["length"] > max_segment_length]
    if len(segments) == 0:
        return skeleton_df
    pieces = np.ceil(segments["length"].to_numpy(np.float64) / max_segment_length).astype(np.int64)
    added = pieces - 1
    first_new = int(skeleton_df["rowId"].max()) + 1
    starts = first_new + np.concatenate([[0], np.cumsum(added)[:-1]])
    # one row per new node: its segment, its position k (1..pieces-1) from the child
    seg_of = np.repeat(np.arange(len(segments)), added)
    k = np.arange(len(seg_of)) - np.repeat(np.cumsum(added) - added, added) + 1
    new_ids = starts[seg_of] + k - 1
    last = k == pieces[seg_of] - 1
    parent_ids = segments["rowId_parent"].to_numpy()[seg_of]
    new_links = np.where(last, parent_ids, new_ids + 1)
    t = (k / pieces[seg_of])[:, None]
    child = segments[["x", "y", "z", "radius"]].to_numpy(np.float64)[seg_of]
    parent = segments[["x_parent", "y_parent", "z_parent", "radius_parent"]].to_numpy(np.float64)
    values = child + (parent[seg_of] - child) * t
    new_nodes = pd.DataFrame(
        {
            "rowId": new_ids,
            "x": values[:, 0],
            "y": values[:, 1],
            "z": values[:, 2],
            "radius": values[:, 3],
            "link": new_links,
        }
    )
    out = skeleton_df.copy()
    link = out["link"].to_numpy(np.int64).copy()
    link[pd.Index(out["rowId"]).get_indexer(segments["rowId"])] = starts
    out["link"] = link
    dtypes = skeleton_df.dtypes
    out = pd.concat([out, new_nodes], ignore_index=True).sort_values("rowId", kind="stable")
    columns = ["rowId", *[c for c in skeleton_df.columns if c != "rowId"]]
    return out[columns].reset_index(drop=True).astype(dtypes[columns].to_dict())


def _nearest(points: FloatArray, targets: FloatArray) -> IntArray:
    """For each point, the position of the closest target (Euclidean); a k-d tree when scipy
    is installed, otherwise numpy in bounded chunks (ties go to the first target)."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    try:
        from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        cKDTree = None
    if cKDTree is not None:
        _, found = cKDTree(targets).query(points)
        return np.asarray(found, dtype=np.int64)
    found = np.empty(len(points), dtype=np.int64)
    step = max(1, _PAIRS_PER_CHUNK // max(1, len(targets)))
    for start in range(0, len(points), step):
        chunk = points[start : start + step]
        d2 = ((chunk[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)
        found[start : start + len(chunk)] = np.argmin(d2, axis=1)
    return found


def attach_synapses_to_skeleton(
    skeleton_df: pd.DataFrame, synapses_df: pd.DataFrame
) -> pd.DataFrame:
    """The skeleton with one new node per synapse (``rowId`` from one past the largest, in the
    synapse table's order), linked to the closest skeleton node, with radius 0; a new
    categorical column ``structure`` is ``"neurite"`` for skeleton nodes and the synapse's
    ``type`` (``"pre"``/``"post"``) for the others. ``synapses_df`` needs ``type, x, y, z``
    (as :func:`fetch_synapses` returns). Columns: ``rowId, x, y, z, radius, link, structure``.
    Upsample the skeleton first (:func:`upsample_skeleton`) when its nodes are far apart.

    Example:
        >>> import pandas as pd
        >>> sk = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 10 0 0 1 1")
        >>> syn = pd.DataFrame({"type": ["pre", "post"], "x": [9, 1], "y": [1, 0], "z": [0, 2]})
        >>> attach_synapses_to_skeleton(sk, syn)
           rowId     x    y    z  radius  link structure
        0      1   0.0  0.0  0.0     1.0    -1   neurite
        1      2  10.0  0.0  0.0     1.0     1   neurite
        2      3   9.0  1.0  0.0     0.0     2       pre
        3      4   1.0  0.0  2.0     0.0     1      post
    """
    _check_columns(skeleton_df)
    if not isinstance(synapses_df, pd.DataFrame):
        raise InvalidArgument(f"synapses_df must be a DataFrame, not {type(synapses_df).__name__}")
    missing = [c for c in ("type", "x", "y", "z") if c not in synapses_df.columns]
    if missing:
        raise InvalidValue(f"synapses_df has no column {', '.join(missing)}")
    if len(skeleton_df) == 0 and len(synapses_df):
        raise InvalidValue("cannot attach synapses to an empty skeleton")
    columns = ["rowId", "x", "y", "z", "radius", "link", "structure"]
    nodes = skeleton_df.reset_index(drop=True).assign(structure="neurite")
    syn = synapses_df.reset_index(drop=True)
    nearest = _nearest(
        syn[["x", "y", "z"]].to_numpy(np.float64), nodes[["x", "y", "z"]].to_numpy(np.float64)
    )
    first = int(nodes["rowId"].max()) + 1 if len(nodes) else 1
    attached = pd.DataFrame(
        {
            "rowId": np.arange(len(syn), dtype=np.int64) + first,
            "x": syn["x"].to_numpy(),
            "y": syn["y"].to_numpy(),
            "z": syn["z"].to_numpy(),
            "radius": np.zeros(len(syn), dtype=np.float64),
            "link": nodes["rowId"].to_numpy()[nearest],
            "structure": syn["type"].to_numpy(),
        }
    )
    combined = pd.concat([nodes[columns], attached], ignore_index=True)
    combined["structure"] = pd.Categorical(combined["structure"])
    return combined


def distances_from_root(df: pd.DataFrame) -> pd.DataFrame:
    """The skeleton with a new column ``distance``: each node's distance along the skeleton
    from the root of its fragment (a node whose ``link`` is ``-1``); NaN for nodes of a
    fragment with no such root.

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 3 4 0 1 1\\n3 0 3 4 12 1 2")
        >>> distances_from_root(df)["distance"].tolist()
        [0.0, 5.0, 17.0]
    """
    _check_columns(df)
    step = calc_segment_distances(df, root_dist=0.0).astype(np.float64)
    ids = pd.Index(df["rowId"])
    if not ids.is_unique:
        repeated = sorted(set(ids[ids.duplicated()].tolist()))[:5]
        raise InvalidValue(f"the skeleton has duplicate rowId values: {repeated}")
    parent = ids.get_indexer(df["link"])
    children: dict[int, list[int]] = {}
    for child, up in enumerate(parent.tolist()):
        if up >= 0 and up != child:
            children.setdefault(up, []).append(child)
    distance = np.full(len(df), np.nan)
    stack = np.flatnonzero(df["link"].to_numpy() == -1).tolist()
    for root in stack:
        distance[root] = 0.0
    while stack:
        node = stack.pop()
        for child in children.get(node, ()):
            if np.isnan(distance[child]):
                distance[child] = distance[node] + step[child]
                stack.append(child)
    out = df.drop(columns=["distance"], errors="ignore").reset_index(drop=True)
    out["distance"] = distance
    return out


# ---------------------------------------------------------------------------------------
# networkx


def skeleton_df_to_nx(
    df: pd.DataFrame,
    with_attributes: bool = True,
    directed: bool = True,
    with_distances: bool = False,
    virtual_roots: bool = False,
    root_dist: float = np.inf,
) -> Any:
    """A ``networkx`` graph of a skeleton: edges child -> parent (a ``DiGraph`` when
    ``directed``), node attributes ``x, y, z, radius`` when ``with_attributes``, an edge
    attribute ``distance`` when ``with_distances``; with ``virtual_roots`` the roots' parent
    (``-1``) is a node too, its edges ``root_dist`` long. Needs networkx (not a dependency).

    Example:
        >>> df = skeleton_swc_to_df("1 0 0 0 0 1 -1\\n2 0 3 4 0 1 1")
        >>> g = skeleton_df_to_nx(df, with_distances=True)  # doctest: +SKIP
        >>> list(g.edges(data=True))  # doctest: +SKIP
        [(2, 1, {'distance': 5.0})]
    """
    try:
        import networkx as nx
    except ImportError:
        raise MissingDependency("networkx", "plot", "skeleton_df_to_nx") from None
    _check_columns(df)
    graph = nx.DiGraph() if directed else nx.Graph()
    if with_attributes:
        for row in df.itertuples(index=False):
            graph.add_node(row.rowId, x=row.x, y=row.y, z=row.z, radius=row.radius)
    else:
        graph.add_nodes_from(df["rowId"].sort_values())
    edges = df[["rowId", "link"]].copy()
    if with_distances:
        edges["distance"] = calc_segment_distances(df, root_dist)
    if not virtual_roots:
        edges = edges[edges["link"].isin(df["rowId"])]
    edges = edges.sort_values(["rowId", "link"])
    if with_distances:
        graph.add_weighted_edges_from(edges.itertuples(index=False, name=None), "distance")
    else:
        graph.add_edges_from(edges.itertuples(index=False, name=None))
    return graph


# ---------------------------------------------------------------------------------------
# internals


def _empty_skeleton() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in _DTYPES.items()})


def _check_columns(df: pd.DataFrame) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(f"expected a skeleton DataFrame, not {type(df).__name__}")
    missing = [c for c in SKELETON_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidValue(f"not a skeleton DataFrame: no column {', '.join(missing)}")


def _parent_positions(df: pd.DataFrame) -> IntArray:
    """Each node's parent as a row position (-1 for a root: a ``link`` that is no node's
    ``rowId``, or the node itself)."""
    index = pd.Index(df["rowId"])
    if not index.is_unique:
        duplicated = sorted(set(index[index.duplicated()].tolist()))[:5]
        raise InvalidValue(f"the skeleton has duplicate rowId values: {duplicated}")
    parent: IntArray = np.asarray(index.get_indexer(df["link"]), dtype=np.int64)
    parent[parent == np.arange(len(parent))] = -1
    return parent


def _need_scipy(what: str) -> None:
    """Raise :class:`~neuprint_dsl.MissingDependency` (an ImportError) naming the
    ``[skeleton]`` extra when scipy is not installed."""
    try:
        import scipy  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        raise MissingDependency("scipy", "skeleton", what) from None


def _graph(count: int, rows: IntArray, columns: IntArray, weights: Any = None) -> Any:
    """A scipy sparse graph of ``count`` nodes with edges ``rows[k] - columns[k]``."""
    from scipy.sparse import coo_array  # type: ignore[import-untyped, unused-ignore]

    data = np.ones(len(rows)) if weights is None else weights
    return coo_array((data, (rows, columns)), shape=(count, count)).tocsr()


def _fragments(parent: IntArray) -> IntArray:
    """Each node's fragment (connected component; scipy's), numbered from 0; a cycle raises
    :class:`~neuprint_dsl.errors.InvalidValue` (a forest has one root per fragment)."""
    from scipy.sparse.csgraph import (  # type: ignore[import-untyped, unused-ignore]
        connected_components,
    )

    child = np.flatnonzero(parent >= 0)
    count, labels = connected_components(_graph(len(parent), child, parent[child]), directed=False)
    roots = parent < 0
    if int(roots.sum()) != count:
        rooted = np.zeros(count, dtype=bool)
        rooted[labels[roots]] = True
        row = int(np.flatnonzero(~rooted[labels])[0])
        raise InvalidValue(f"the skeleton has a cycle (through row {row}): not a tree")
    found: IntArray = np.asarray(labels, dtype=np.int64)
    return found


#: one candidate link between two fragments: ``(distance, fragment_i, fragment_j, node_i,
#: node_j)``, nodes as row positions
Link = tuple[float, int, int, int, int]


def _closest_links(fragments: list[IntArray], xyz: FloatArray) -> list[Link]:
    """For every pair of fragments (i < j, in list order), its closest pair of nodes, found
    as neuprint-python finds it: a k-d tree over fragment i (scipy's ``cKDTree``) queried
    with the nodes of j, the first node of j (in row order) with the least distance."""
    from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

    links: list[Link] = []
    for i, rows in enumerate(fragments[:-1]):
        rest = fragments[i + 1 :]
        points = np.concatenate(rest)
        distances, nearest = cKDTree(xyz[rows]).query(xyz[points])
        start = 0
        for j, other in enumerate(rest, i + 1):
            hit = start + int(np.argmin(distances[start : start + len(other)]))
            links.append((float(distances[hit]), i, j, int(rows[nearest[hit]]), int(points[hit])))
            start += len(other)
    return links


def _spanning_links(count: int, links: list[Link]) -> IntArray:
    """The positions in ``links`` of a minimum spanning tree over ``count`` fragments
    (scipy's ``minimum_spanning_tree``). scipy is given each link's rank (1, 2, ...) in a
    stable sort by distance instead of the distance, which gives the same tree, with ties
    broken in ``links`` order as neuprint-python's (networkx's Kruskal) does, and keeps
    links of length 0 (scipy reads a weight of 0 as no edge)."""
    from scipy.sparse.csgraph import (  # type: ignore[import-untyped, unused-ignore]
        minimum_spanning_tree,
    )

    by_length = np.argsort([link[0] for link in links], kind="stable")
    rank = np.empty(len(links))
    rank[by_length] = np.arange(1, len(links) + 1)
    ends = np.array([(link[1], link[2]) for link in links], dtype=np.int64)
    tree = minimum_spanning_tree(_graph(count, ends[:, 0], ends[:, 1], rank))
    chosen: IntArray = by_length[np.sort(tree.tocoo().data).astype(np.int64) - 1]
    return chosen


def _tree_parents(parent: IntArray, links: list[Link], added: IntArray) -> IntArray:
    """Each node's parent (row position, -1 for the root) in the tree made of the skeleton's
    links and the ``added`` fragment links, rooted at row 0 (scipy's breadth-first order)."""
    from scipy.sparse.csgraph import (  # type: ignore[import-untyped, unused-ignore]
        breadth_first_order,
    )

    child = np.flatnonzero(parent >= 0)
    joined = np.array([links[k][3:] for k in added.tolist()], dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([child, joined[:, 0]])
    columns = np.concatenate([parent[child], joined[:, 1]])
    _, found = breadth_first_order(
        _graph(len(parent), rows, columns), 0, directed=False, return_predecessors=True
    )
    tree: IntArray = np.where(found >= 0, found, -1).astype(np.int64)
    return tree


def _path_to_root(parent: IntArray, node: int) -> list[int]:
    path = [node]
    while parent[path[-1]] >= 0:
        path.append(int(parent[path[-1]]))
    return path
