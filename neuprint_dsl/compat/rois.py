"""Dataset metadata and ROIs, as neuprint-python's fetch_meta and ROI functions.

Example:
    >>> hierarchy = {"name": "hemibrain", "children": [{"name": "MB(R)", "children": [{"name": "CA(R)"}]}]}
    >>> print(_hierarchy_text(_hierarchy_dict(hierarchy, {"CA(R)"}, True, True)))
    hemibrain
     +-- MB(R)
         +-- CA(R)*
"""

from __future__ import annotations

from typing import Any, Literal

from ..errors import InvalidArgument, InvalidValue
from .client import Client, inject_client


@inject_client
def fetch_meta(*, client: Client | None = None) -> dict[str, Any]:
    """The dataset's metadata (the ``:Meta`` node), JSON fields parsed."""
    assert client is not None
    return dict(client.meta)


@inject_client
def fetch_all_rois(*, client: Client | None = None) -> list[str]:
    """Every ROI in the dataset, sorted."""
    assert client is not None
    return client.all_rois


@inject_client
def fetch_primary_rois(*, client: Client | None = None) -> list[str]:
    """The primary ROIs (which do not overlap each other), sorted."""
    assert client is not None
    return client.primary_rois


@inject_client
def fetch_roi_hierarchy(
    include_subprimary: bool = True,
    mark_primary: bool = True,
    format: Literal["dict", "text", "nx"] = "dict",
    *,
    client: Client | None = None,
) -> Any:
    """The ROI hierarchy as a nested dict, a printable tree, or a networkx DiGraph.

    ``mark_primary`` appends ``*`` to primary ROIs; ``include_subprimary=False`` stops at the
    primary ROIs.
    """
    assert client is not None
    if format not in ("dict", "text", "nx"):
        raise InvalidArgument(f"format must be 'dict', 'text' or 'nx', not {format!r}")
    hierarchy = client.meta.get("roiHierarchy")
    if not isinstance(hierarchy, dict):
        raise InvalidValue(f"dataset {client.dataset!r} has no ROI hierarchy in its metadata")
    tree = _hierarchy_dict(hierarchy, set(client.primary_rois), include_subprimary, mark_primary)
    if format == "dict":
        return tree
    if format == "text":
        return _hierarchy_text(tree)
    try:
        import networkx as nx
    except ImportError:
        raise ImportError("format='nx' needs networkx: pip install networkx") from None
    graph = nx.DiGraph()

    def add(parent: str, children: dict[str, Any]) -> None:
        for name, grandchildren in children.items():
            graph.add_edge(parent, name)
            add(name, grandchildren)

    ((root, children),) = tree.items()
    graph.add_node(root)
    add(root, children)
    return graph


def _hierarchy_dict(
    node: dict[str, Any], primary: set[str], subprimary: bool, mark: bool
) -> dict[str, Any]:
    name = str(node.get("name"))
    is_primary = name in primary
    children: dict[str, Any] = {}
    if subprimary or not is_primary:
        for child in node.get("children") or []:
            children.update(_hierarchy_dict(child, primary, subprimary, mark))
    return {name + ("*" if mark and is_primary else ""): children}


def _hierarchy_text(tree: dict[str, Any]) -> str:
    ((root, children),) = tree.items()
    lines = [root]

    def walk(items: dict[str, Any], prefix: str) -> None:
        names = list(items)
        for i, name in enumerate(names):
            last = i == len(names) - 1
            lines.append(f"{prefix} +-- {name}")
            walk(items[name], prefix + ("    " if last else " |  "))

    walk(children, "")
    return "\n".join(lines)
