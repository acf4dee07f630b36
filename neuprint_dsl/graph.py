"""Connection tables as graphs: :func:`to_networkx`, and the table reading that
:mod:`neuprint_dsl.plot` shares.

A *connection table* is what ``connections`` statements, ``fetch_adjacencies`` and
``fetch_simple_connections`` return — one row per neuron pair, ``bodyId_pre, bodyId_post,
weight`` plus properties of either side as ``type_pre, type_post, ...`` — or an aggregated
table from ``connections ... group by type`` (``type_pre, type_post, weight, n_pre, n_post,
n_connections``). Tables with one row per connection *and ROI* (a ``roi`` column, e.g.
``fetch_adjacencies`` or ``per roi``) are only summed over ROIs the caller names with
``roi=``: ROIs can overlap (``MB(R)`` holds ``CA(R)``), and summing overlapping ROIs would
count a synapse twice.

Example:
    >>> import pandas as pd
    >>> from neuprint_dsl.graph import to_networkx
    >>> df = pd.DataFrame({"bodyId_pre": [1, 1], "bodyId_post": [2, 3], "weight": [5, 7],
    ...                    "type_pre": ["KC", "KC"], "type_post": ["MBON01", None]})
    >>> g = to_networkx(df)
    >>> sorted(g.edges(data="weight")), g.nodes[1]["type"], "type" in g.nodes[3]
    ([(1, 2, 5), (1, 3, 7)], 'KC', False)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pandas as pd

from .errors import InvalidArgument, MissingDependency

__all__ = ["EdgeTable", "edge_table", "missing_label", "to_networkx"]

#: Columns whose values add up over ROIs or over the neurons of a group (synapse counts).
ADDITIVE = frozenset({"weight", "weightHP"})

#: ``X_pre``/``X_post`` pairs that are counts of an aggregated table, not node properties.
_COUNT_PAIRS = frozenset({"n"})


def missing_label(by: str) -> str:
    """The node label standing for neurons whose ``by`` property is missing.

    Example:
        >>> missing_label("type")
        '(no type)'
    """
    return f"(no {by})"


@attrs.frozen
class EdgeTable:
    """A connection table read for a matrix or a graph: one row per (pre, post) node pair.

    ``edges`` has the columns ``pre``, ``post`` and ``value`` (the plotted quantity) plus any
    other edge attribute that could be kept; ``nodes`` maps node keys to properties (only for
    neuron-level tables); ``keys`` are the properties a node stands for (``("bodyId",)``,
    ``("type",)``, ``("status", "cropped")``: then node keys are tuples) and ``by`` their
    name for labels; ``grouped`` says whether rows were summed into groups.
    """

    keys: tuple[str, ...]
    value: str
    edges: pd.DataFrame
    nodes: Mapping[Hashable, Mapping[str, Any]]
    grouped: bool

    @property
    def by(self) -> str:
        """The node properties as one name (``"type"``, ``"status, cropped"``)."""
        return ", ".join(self.keys)

    def missing_labels(self) -> frozenset[str]:
        """The labels standing for missing values (``"(no type)"``)."""
        return frozenset(missing_label(k) for k in self.keys)

    def key_properties(self, node: Any) -> dict[str, Any]:
        """A node key as properties: ``{"type": "KCab"}`` (missing ones left out)."""
        values = node if len(self.keys) > 1 else (node,)
        return {
            k: v
            for k, v in zip(self.keys, values, strict=True)
            if not (isinstance(v, str) and v == missing_label(k))
        }


def edge_table(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    value: str = "weight",
    roi: str | Sequence[str] | None = None,
    neurons: pd.DataFrame | None = None,
) -> EdgeTable:
    """Read a connection table: pick the node properties, select ROIs, sum duplicate pairs.

    ``by=None`` takes ``bodyId`` when the table has ``bodyId_pre``/``bodyId_post``, else every
    ``X_pre``/``X_post`` column pair but the counts (``type`` for ``group by type`` tables;
    ``("status", "cropped")`` for ``group by status, cropped``). A neuron-level table with
    ``by="type"`` (or any properties it has for both sides) is grouped: weights are summed per
    pair of types, neurons without the property become ``"(no type)"``; an aggregated table
    with ``by`` naming fewer of its keys is summed the same way. ``neurons`` (a table with a
    ``bodyId`` column, e.g. the neuron table ``fetch_adjacencies`` returns) adds its columns as
    ``X_pre``/``X_post`` properties the connection table does not have.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"bodyId_pre": [1, 1], "bodyId_post": [2, 3], "weight": [5, 7],
        ...                    "type_pre": ["KC", "KC"], "type_post": ["MBON01", "MBON01"]})
        >>> edge_table(df, by="type").edges[["pre", "post", "weight"]].values.tolist()
        [['KC', 'MBON01', 12]]
    """
    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(
            f"expected a pandas DataFrame of connections, got {type(df).__name__}"
        )
    if neurons is not None:
        df = _with_neuron_properties(df, neurons)
    columns = [str(c) for c in df.columns]
    pairs = [
        c[: -len("_pre")]
        for c in columns
        if c.endswith("_pre") and f"{c[: -len('_pre')]}_post" in columns
    ]
    pairs = [p for p in pairs if p not in _COUNT_PAIRS]
    if not pairs:
        raise InvalidArgument(
            "not a connection table: expected columns bodyId_pre/bodyId_post (neuron pairs) "
            f"or e.g. type_pre/type_post (a group by table); got {_listing(columns)}"
        )
    neuron_level = "bodyId" in pairs
    keys: tuple[str, ...]
    if by is None:
        keys = ("bodyId",) if neuron_level else tuple(pairs)
    else:
        keys = (by,) if isinstance(by, str) else tuple(str(k) for k in by)
        absent = [k for k in keys if k not in pairs]
        if absent or not keys or len(set(keys)) < len(keys):
            raise InvalidArgument(
                f"by={by!r}: the table has no {absent[0] if absent else '?'}_pre/"
                f"{absent[0] if absent else '?'}_post columns; it has "
                f"{_listing(pairs)} (as X_pre/X_post)"
                if absent
                else f"by={by!r}: name each property once"
            )
        if "bodyId" in keys and len(keys) > 1:
            raise InvalidArgument(
                f"by={by!r}: a body id already identifies a neuron; show its type with label="
            )
    if value not in columns:
        raise InvalidArgument(f"value={value!r}: no such column; the table has {_listing(columns)}")
    if not pd.api.types.is_numeric_dtype(df[value]) or pd.api.types.is_bool_dtype(df[value]):
        raise InvalidArgument(f"value={value!r}: the column is not numeric ({df[value].dtype})")

    df, several_rois = _select_rois(df, roi)
    if neuron_level:
        grouped = keys != ("bodyId",)
        unit = ["bodyId_pre", "bodyId_post"]
    else:
        grouped = set(keys) != set(pairs)
        unit = [f"{p}_{side}" for p in pairs for side in ("pre", "post")]
    # the rows that stand for one connection: a neuron pair (or an aggregated pair), per ROI
    if "roi" in df.columns:
        unit.append("roi")
    duplicated = df.duplicated(subset=unit, keep=False)
    if duplicated.any():
        first = df[duplicated].iloc[0]
        where = ", ".join(f"{c}={first[c]}" for c in unit)
        raise InvalidArgument(
            f"the table has {int(duplicated.sum())} rows for the same connection (e.g. {where}); "
            "expected one row per connection (per ROI with a 'roi' column)"
        )
    summed = grouped or several_rois
    if summed and value not in ADDITIVE:
        what = f"each {', '.join(keys)}" if grouped else "several ROIs"
        raise InvalidArgument(
            f"value={value!r} cannot be summed over {what}; use "
            f"{' or '.join(sorted(ADDITIVE))}, or a table with one row per pair"
        )

    ends = pd.DataFrame(
        {"pre": _node_keys(df, keys, "pre"), "post": _node_keys(df, keys, "post")},
        index=df.index,
    )
    key_columns = {f"{k}_{side}" for k in keys for side in ("pre", "post")}
    if not summed:
        edge_columns = [
            c
            for c in columns
            if c not in key_columns and not _is_node_column(c, pairs, neuron_level)
        ]
        edges = pd.concat([ends, df[edge_columns]], axis=1).reset_index(drop=True)
    else:
        additive = [c for c in columns if c in ADDITIVE]
        work = pd.concat([ends, df[additive]], axis=1)
        counted = grouped and neuron_level
        if counted:
            work["bodyId_pre"] = df["bodyId_pre"]
            work["bodyId_post"] = df["bodyId_post"]
        group = work.groupby(["pre", "post"], sort=False, dropna=False)
        edges = group[additive].sum()
        if counted:
            edges["n_pre"] = group["bodyId_pre"].nunique()
            edges["n_post"] = group["bodyId_post"].nunique()
            pairs_frame = work[["pre", "post", "bodyId_pre", "bodyId_post"]].drop_duplicates()
            edges["n_connections"] = pairs_frame.groupby(["pre", "post"], sort=False).size()
        if several_rois:
            per_roi: dict[tuple[Any, Any], dict[str, Any]] = {}
            for source, target, name, w in zip(
                ends["pre"], ends["post"], df["roi"].tolist(), df[value].tolist(), strict=True
            ):
                weights = per_roi.setdefault((source, target), {})
                weights[str(name)] = weights.get(str(name), 0) + _plain(w)
            edges["rois"] = pd.Series([per_roi[pair] for pair in edges.index], index=edges.index)
        edges = edges.reset_index()
    nodes = _node_properties(df, pairs) if neuron_level and not grouped else {}
    return EdgeTable(keys=keys, value=value, edges=edges, nodes=nodes, grouped=grouped)


def to_networkx(
    connections_df: pd.DataFrame,
    neurons_df: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    weight: str = "weight",
    roi: str | Sequence[str] | None = None,
) -> Any:
    """A ``networkx.DiGraph`` of a connection table: one node per neuron (or per type for a
    ``group by type`` table, or with ``by="type"``), one edge per connection.

    Nodes carry the table's ``X_pre``/``X_post`` properties (``type``, ``instance``, ...) and,
    with ``neurons_df`` (e.g. the matching ``neurons`` query), every column of its row for
    that node (neurons in ``neurons_df`` without connections become isolated nodes). Missing
    values are left out rather than stored as ``None``/``NaN``. Edges carry ``weight`` and the
    table's other per-connection columns; summed over ROIs (``roi=[...]``) they carry
    ``weight``, ``weightHP`` and ``rois`` (ROI -> weight); grouped with ``by``, also
    ``n_pre``, ``n_post`` and ``n_connections`` (``neurons_df`` then only supplies the
    property grouped by). Needs networkx (extra ``[plot]``).

    Example:
        >>> import pandas as pd
        >>> conns = pd.DataFrame({"bodyId_pre": [1, 2], "bodyId_post": [2, 3],
        ...                       "weight": [4, 9]})
        >>> cells = pd.DataFrame({"bodyId": [1, 2, 3, 4], "type": ["A", "B", None, "D"]})
        >>> g = to_networkx(conns, cells)
        >>> g.number_of_nodes(), g[2][3]["weight"], g.nodes[4]["type"], dict(g.nodes[3])
        (4, 9, 'D', {'bodyId': 3})
    """
    try:
        import networkx as nx
    except ImportError:
        raise MissingDependency("networkx", "plot", "to_networkx") from None
    neuron_level = isinstance(connections_df, pd.DataFrame) and {
        "bodyId_pre",
        "bodyId_post",
    } <= set(connections_df.columns)
    lookup = (
        neurons_df
        if neuron_level and isinstance(neurons_df, pd.DataFrame) and "bodyId" in neurons_df.columns
        else None
    )
    table = edge_table(connections_df, by=by, value=weight, roi=roi, neurons=lookup)
    graph = nx.DiGraph()
    for key, props in table.nodes.items():
        graph.add_node(key, **table.key_properties(key), **props)
    if neurons_df is not None and not table.grouped:
        for key, props in _neuron_rows(neurons_df, table.keys).items():
            if key in graph:
                graph.nodes[key].update(props)
            else:
                graph.add_node(key, **props)
    edges = table.edges
    attributes = [c for c in edges.columns if c not in ("pre", "post")]
    for row in zip(edges["pre"], edges["post"], *(edges[c] for c in attributes), strict=True):
        source, target = _plain(row[0]), _plain(row[1])
        for node in (source, target):
            if node not in graph:
                graph.add_node(node, **table.key_properties(node))
        data = {name: _plain(v) for name, v in zip(attributes, row[2:], strict=True)}
        graph.add_edge(source, target, **{k: v for k, v in data.items() if not _missing(v)})
    if weight != "weight":
        graph.graph["weight"] = weight
    graph.graph["by"] = table.keys[0] if len(table.keys) == 1 else table.keys
    return graph


# ---------------------------------------------------------------------------------------------


def _listing(names: Iterable[str], limit: int = 12) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _with_neuron_properties(df: pd.DataFrame, neurons: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``X_pre``/``X_post`` columns looked up in ``neurons`` by body id."""
    if not isinstance(neurons, pd.DataFrame):
        raise InvalidArgument(f"neurons: expected a pandas DataFrame, got {type(neurons).__name__}")
    if "bodyId" not in neurons.columns:
        raise InvalidArgument(
            f"neurons has no 'bodyId' column; it has {_listing(map(str, neurons.columns))}"
        )
    if not {"bodyId_pre", "bodyId_post"} <= set(df.columns):
        raise InvalidArgument("neurons= needs a neuron-level table (bodyId_pre, bodyId_post)")
    repeated = neurons["bodyId"][neurons["bodyId"].duplicated()]
    if len(repeated):
        raise InvalidArgument(f"neurons has several rows for bodyId {repeated.iloc[0]!r}")
    indexed = neurons.set_index("bodyId")
    added = {
        f"{name}_{side}": df[f"bodyId_{side}"].map(indexed[name])
        for name in indexed.columns
        for side in ("pre", "post")
        if f"{name}_pre" not in df.columns and f"{name}_post" not in df.columns
    }
    return df.assign(**added) if added else df


def _select_rois(df: pd.DataFrame, roi: str | Sequence[str] | None) -> tuple[pd.DataFrame, bool]:
    """The rows of the chosen ROIs, and whether several ROIs are summed."""
    if "roi" not in df.columns:
        if roi is not None:
            raise InvalidArgument(
                f"roi={roi!r}: the table has no 'roi' column (one row per connection already)"
            )
        return df, False
    present = list(dict.fromkeys(df["roi"].tolist()))
    if roi is None:
        if len(present) > 1:
            raise InvalidArgument(
                f"the table has one row per connection and ROI ({len(present)} ROIs: "
                f"{_listing(map(str, present), 6)}); ROIs can overlap (a super-level ROI holds "
                "its children), so pick them: roi='MB(R)' for one, or "
                "roi=list_of_non_overlapping_rois to sum (e.g. fetch_adjacencies' primary ROIs: "
                "roi=conn_df['roi'].unique())"
            )
        return df, False
    wanted = [roi] if isinstance(roi, str) else [str(r) for r in roi]
    if not wanted:
        raise InvalidArgument("roi=[]: name at least one ROI")
    absent = [r for r in wanted if r not in present]
    if absent:
        raise InvalidArgument(
            f"roi: {_listing(map(repr, absent), 6)} not in the table's 'roi' column; "
            f"it has {_listing(map(str, present), 12)}"
        )
    return df[df["roi"].isin(wanted)], len(set(wanted)) > 1


def _labels(column: pd.Series, by: str) -> list[Any]:
    """Node keys of one property: plain Python values, missing ones as ``(no by)``."""
    missing = missing_label(by)
    return [missing if _missing(v) else _plain(v) for v in column.tolist()]


def _node_keys(df: pd.DataFrame, keys: Sequence[str], side: str) -> pd.Series:
    """The node key of each row's ``side``: a value, or a tuple for several properties."""
    columns = [_labels(df[f"{k}_{side}"], k) for k in keys]
    values = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
    out = pd.Series(index=df.index, dtype=object)
    out[:] = values  # tuples stay whole (pd.Series(list_of_tuples) would too, but not [])
    return out


def _is_node_column(name: str, pairs: Sequence[str], neuron_level: bool) -> bool:
    """Whether ``name`` is a property of one side (moved to the nodes of a neuron graph)."""
    if not neuron_level:
        return False
    for suffix in ("_pre", "_post"):
        if name.endswith(suffix) and name[: -len(suffix)] in pairs:
            return True
    return False


def _node_properties(df: pd.DataFrame, pairs: Sequence[str]) -> dict[Hashable, dict[str, Any]]:
    """Per body id, its ``X_pre``/``X_post`` properties (the first non-missing value)."""
    nodes: dict[Hashable, dict[str, Any]] = {}
    for side in ("pre", "post"):
        ids = df[f"bodyId_{side}"].tolist()
        for prop in pairs:
            if prop == "bodyId":
                continue
            for body, v in zip(ids, df[f"{prop}_{side}"].tolist(), strict=True):
                props = nodes.setdefault(_plain(body), {})
                if prop not in props and not _missing(v):
                    props[prop] = _plain(v)
        for body in ids:
            nodes.setdefault(_plain(body), {})
    return nodes


def _neuron_rows(neurons_df: pd.DataFrame, keys: Sequence[str]) -> dict[Hashable, dict[str, Any]]:
    if not isinstance(neurons_df, pd.DataFrame):
        raise InvalidArgument(
            f"neurons_df: expected a pandas DataFrame, got {type(neurons_df).__name__}"
        )
    absent = [k for k in keys if k not in neurons_df.columns]
    if absent:
        raise InvalidArgument(
            f"neurons_df has no {absent[0]!r} column to match the graph's nodes; it has "
            f"{_listing(map(str, neurons_df.columns))}"
        )
    columns = [_labels(neurons_df[k], k) for k in keys]
    node_keys = columns[0] if len(keys) == 1 else list(zip(*columns, strict=True))
    seen: set[Any] = set()
    for key in node_keys:
        if key in seen:
            raise InvalidArgument(
                f"neurons_df has several rows for {', '.join(keys)} {key!r}; expected one per node"
            )
        seen.add(key)
    rows: dict[Hashable, dict[str, Any]] = {}
    names = [str(c) for c in neurons_df.columns]
    for key, values in zip(node_keys, neurons_df.itertuples(index=False), strict=True):
        rows[key] = {
            name: _plain(v) for name, v in zip(names, values, strict=True) if not _missing(v)
        }
    return rows


def _plain(value: Any) -> Any:
    """numpy scalars as Python values (node keys like ``5813105172`` stay plain ints)."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", None) == 0:
        return item()
    return value


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False
