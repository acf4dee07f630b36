"""Skeletons, as neuprint-python's ``neuprint.skeleton``: SWC text <-> DataFrame, healing of
fragmented skeletons, and segment lengths.

A skeleton DataFrame has one row per node: ``rowId`` (int32), ``x``, ``y``, ``z``, ``radius``
(float32) and ``link`` (int32, the parent's ``rowId``; ``-1`` for a root), the dtypes
neuprint-python uses. Nothing here needs scipy or networkx (``skeleton_df_to_nx`` and
``format='nx'`` excepted): healing finds the closest points between fragments with numpy and
joins the fragments along a minimum spanning tree (Kruskal).

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
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import InvalidArgument, InvalidValue, LoadError

if TYPE_CHECKING:
    from .client import Client

__all__ = [
    "SKELETON_COLUMNS",
    "calc_segment_distances",
    "fetch_skeleton",
    "heal_skeleton",
    "reorient_skeleton",
    "skeleton_df_to_nx",
    "skeleton_df_to_swc",
    "skeleton_swc_to_df",
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
    from .client import default_client

    return (client or default_client()).fetch_skeleton(
        body, heal, export_path, format, with_distances
    )


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

    Each pair of fragments is linked by its closest pair of nodes; a minimum spanning tree over
    the fragments (Kruskal on those links) picks the links to add. The result is re-rooted at
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
    if root_parent is None:
        root_parent = -1
    elif int((skeleton_df["link"] == root_parent).sum()) == 1:
        return skeleton_df  # one root, so one tree: nothing to heal
    df = skeleton_df.sort_values("rowId", ignore_index=True, kind="stable")
    if len(df) == 0:
        return df
    parent = _parent_positions(df)
    labels = _components(parent)
    # fragments in order of their smallest rowId, then largest first (as neuprint-python)
    _, first = np.unique(labels, return_index=True)
    roots = labels[np.sort(first)]
    if len(roots) == 1:
        return df
    members = [np.flatnonzero(labels == r) for r in roots]
    order = sorted(range(len(members)), key=lambda i: -len(members[i]))
    fragments = [members[i] for i in order]
    xyz = df[["x", "y", "z"]].to_numpy(dtype=np.float64)
    links = _closest_links(fragments, xyz)
    tree = _kruskal(len(fragments), links)
    new_parent = _reorient(parent, fragments, tree, root=0)
    link = df["link"].to_numpy().copy()
    row_ids = df["rowId"].to_numpy()
    has_parent = new_parent >= 0
    link[has_parent] = row_ids[new_parent[has_parent]]
    link[~has_parent] = root_parent
    for _, _, distance, a, b in tree:
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
        raise ImportError("skeleton graphs need networkx: pip install networkx") from None
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


def _components(parent: IntArray) -> IntArray:
    """Each node's component, named by the row position of its root (pointer jumping)."""
    n = len(parent)
    up: IntArray = np.where(parent >= 0, parent, np.arange(n))
    for _ in range(max(1, n).bit_length() + 1):
        nxt = up[up]
        if np.array_equal(nxt, up):
            break
        up = nxt
    # in a forest every node ends at a root; on a cycle the jumps go round (or stop on a node
    # of the cycle, which has a parent)
    stuck = np.flatnonzero((up[up] != up) | (parent[up] >= 0))
    if len(stuck):
        raise InvalidValue(f"the skeleton has a cycle (through row {int(stuck[0])}): not a tree")
    return up


def _closest_links(
    fragments: list[IntArray], xyz: FloatArray
) -> list[tuple[float, int, int, int, int]]:
    """For every pair of fragments (i < j, in list order), the closest pair of nodes:
    ``(distance, i, j, node_in_i, node_in_j)`` with nodes as row positions. Ties go to the first
    node of ``j`` (in row order), then the first node of ``i``."""
    links: list[tuple[float, int, int, int, int]] = []
    for i, frag_a in enumerate(fragments[:-1]):
        rest = fragments[i + 1 :]
        points_b = np.concatenate(rest)
        a = xyz[frag_a]
        best = np.empty(len(points_b), dtype=np.float64)
        nearest = np.empty(len(points_b), dtype=np.int64)
        step = max(1, _PAIRS_PER_CHUNK // len(a))
        for start in range(0, len(points_b), step):
            b = xyz[points_b[start : start + step]]
            d2 = (b[:, None, 0] - a[None, :, 0]) ** 2
            d2 += (b[:, None, 1] - a[None, :, 1]) ** 2
            d2 += (b[:, None, 2] - a[None, :, 2]) ** 2
            nearest[start : start + len(b)] = np.argmin(d2, axis=1)
            best[start : start + len(b)] = d2[np.arange(len(b)), nearest[start : start + len(b)]]
        sizes = np.array([len(f) for f in rest])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        minima = np.minimum.reduceat(best, starts)
        segment = np.repeat(np.arange(len(rest)), sizes)
        hits = np.flatnonzero(best == minima[segment])
        _, first = np.unique(segment[hits], return_index=True)
        for k, hit in enumerate(hits[first].tolist()):
            links.append(
                (
                    float(np.sqrt(best[hit])),
                    i,
                    i + 1 + k,
                    int(frag_a[nearest[hit]]),
                    int(points_b[hit]),
                )
            )
    return links


def _kruskal(
    count: int, links: list[tuple[float, int, int, int, int]]
) -> list[tuple[int, int, float, int, int]]:
    """The minimum spanning tree of ``count`` fragments over ``links`` (stable on ties):
    ``(fragment_i, fragment_j, distance, node_i, node_j)``."""
    root = list(range(count))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    tree: list[tuple[int, int, float, int, int]] = []
    for distance, i, j, node_i, node_j in sorted(links, key=lambda link: link[0]):
        ri, rj = find(i), find(j)
        if ri != rj:
            root[ri] = rj
            tree.append((i, j, distance, node_i, node_j))
            if len(tree) == count - 1:
                break
    return tree


def _path_to_root(parent: IntArray, node: int) -> list[int]:
    path = [node]
    while parent[path[-1]] >= 0:
        path.append(int(parent[path[-1]]))
    return path


def _reorient(
    parent: IntArray,
    fragments: list[IntArray],
    tree: list[tuple[int, int, float, int, int]],
    root: int,
) -> IntArray:
    """Parents (row positions) of the tree made of the fragments and the links of ``tree``,
    rooted at row ``root``: along the path from each fragment's entry node to its old root the
    links are reversed, and the entry node hangs from the node it is linked to."""
    new_parent = parent.copy()
    fragment_of = np.empty(len(parent), dtype=np.int64)
    for f, rows in enumerate(fragments):
        fragment_of[rows] = f
    neighbours: dict[int, list[tuple[int, int, int]]] = {}
    for i, j, _, node_i, node_j in tree:
        neighbours.setdefault(i, []).append((j, node_j, node_i))
        neighbours.setdefault(j, []).append((i, node_i, node_j))
    start = int(fragment_of[root])
    entries: list[tuple[int, int]] = [(root, -1)]  # (entry node, the node it hangs from)
    seen = {start}
    queue = [start]
    while queue:
        fragment = queue.pop()
        for other, entry, attach in neighbours.get(fragment, []):
            if other not in seen:
                seen.add(other)
                queue.append(other)
                entries.append((entry, attach))
    for entry, attach in entries:
        path = _path_to_root(parent, entry)
        for child, up in zip(path[1:], path[:-1], strict=True):
            new_parent[child] = up
        new_parent[entry] = attach
    return new_parent
