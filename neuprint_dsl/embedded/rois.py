"""The hemibrain v1.2.1 regions of interest (ROIs): the primary ROIs and their super-level groups.

neuPrint stores, for every dataset, the list of *primary* ROIs (non-overlapping neuropils that
tile the volume; every synapse lies in at most one of them) and an ``roiHierarchy`` tree that
groups them into super-level ROIs such as ``MB(R)`` or ``CX``. This module holds the hemibrain
v1.2.1 versions of both, as constants, for the synthetic sample generator and the embedded
engine. Only the primary level and the super-level groups above it are kept: the finer ROIs
below a primary ROI (antennal-lobe glomeruli, fan-shaped-body layers, ``EBr*`` rings, ...),
the fibre tracts (``AOT(R)``, ``GC``, ``mALT``, ...) and the non-hierarchical ROIs
(``MB(+ACA)(R)``, ``dACA(R)``, ...) are left out, so every primary ROI is a leaf.

Example:
    >>> len(PRIMARY_ROIS), PRIMARY_ROIS[:3]
    (63, ('AB(L)', 'AB(R)', 'AL(L)'))
    >>> ancestors("a'L(R)")
    ('MB(R)',)
    >>> primary_descendants("CX")
    ('AB(L)', 'AB(R)', 'EB', 'FB', 'NO', 'PB')
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NotRequired, TypedDict

from ..errors import UnknownROI

__all__ = [
    "NOT_PRIMARY",
    "PRIMARY_ROIS",
    "ROI_HIERARCHY",
    "ROOT",
    "SUPER_ROIS",
    "SUPER_ROI_CHILDREN",
    "RoiNode",
    "all_rois",
    "ancestors",
    "is_primary",
    "primary_descendants",
    "roi_hierarchy",
    "roi_hierarchy_text",
]


class RoiNode(TypedDict):
    """One node of an ROI hierarchy, in neuPrint's ``roiHierarchy`` shape.

    ``name`` is the ROI name; ``children`` (absent on leaves) lists the sub-ROIs, sorted by name.
    """

    name: str
    children: NotRequired[list[RoiNode]]


ROOT: Final = "hemibrain"
"""The name of the hierarchy's root (the whole volume); not an ROI of its own."""

NOT_PRIMARY: Final = "NotPrimary"
"""The pseudo-ROI of ``roi-connections.csv`` rows for synapses outside every primary ROI."""

# Top-level entries of the hemibrain hierarchy: a super-level ROI with its primary children, or
# a primary ROI that sits directly under the root (empty tuple). Grouping follows the hemibrain
# roiHierarchy (Ito et al. 2014 nomenclature, with (R)/(L) suffixes for the side).
_TOP_LEVEL: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("AL(L)", ()),
    ("AL(R)", ()),
    ("CX", ("AB(L)", "AB(R)", "EB", "FB", "NO", "PB")),
    ("INP", ("ATL(L)", "ATL(R)", "CRE(L)", "CRE(R)", "IB", "ICL(L)", "ICL(R)", "SCL(L)", "SCL(R)")),
    ("LH(R)", ()),
    ("LX(L)", ("BU(L)", "LAL(L)")),
    ("LX(R)", ("BU(R)", "GA(R)", "LAL(R)")),
    ("MB(L)", ("CA(L)", "a'L(L)", "aL(L)", "b'L(L)", "bL(L)", "gL(L)")),
    ("MB(R)", ("CA(R)", "PED(R)", "a'L(R)", "aL(R)", "b'L(R)", "bL(R)", "gL(R)")),
    ("OL(R)", ("AME(R)", "LO(R)", "LOP(R)", "ME(R)")),
    ("PENP", ("CAN(R)", "FLA(R)", "SAD")),
    ("PRW", ()),
    ("SNP(L)", ("SIP(L)", "SMP(L)")),
    ("SNP(R)", ("SIP(R)", "SLP(R)", "SMP(R)")),
    ("VLNP(R)", ("AOTU(R)", "AVLP(R)", "PLP(R)", "PVLP(R)", "WED(R)")),
    (
        "VMNP",
        ("EPA(L)", "EPA(R)", "GOR(L)", "GOR(R)", "IPS(R)", "SPS(L)", "SPS(R)", "VES(L)", "VES(R)"),
    ),
)

PRIMARY_ROIS: Final[tuple[str, ...]] = tuple(
    sorted(
        [name for name, children in _TOP_LEVEL if not children]
        + [child for _, children in _TOP_LEVEL for child in children]
    )
)
"""The 63 hemibrain primary ROIs, sorted by name (Python string order)."""

SUPER_ROIS: Final[tuple[str, ...]] = tuple(sorted(name for name, ch in _TOP_LEVEL if ch))
"""The super-level ROIs (groups of primary ROIs), sorted by name."""

SUPER_ROI_CHILDREN: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {name: tuple(sorted(children)) for name, children in sorted(_TOP_LEVEL) if children}
)
"""Each super-level ROI with the primary ROIs it contains, both sorted by name."""

_PARENT: Final[Mapping[str, str]] = MappingProxyType(
    {child: name for name, children in _TOP_LEVEL for child in children}
)


def _build_hierarchy() -> RoiNode:
    children: list[RoiNode] = []
    for name, leaves in sorted(_TOP_LEVEL):
        node: RoiNode = {"name": name}
        if leaves:
            node["children"] = [{"name": leaf} for leaf in sorted(leaves)]
        children.append(node)
    return {"name": ROOT, "children": children}


ROI_HIERARCHY: Final[RoiNode] = _build_hierarchy()
"""The hierarchy as neuPrint's ``roiHierarchy`` nests it: ``{"name", "children"}`` nodes.

Treat it as read-only; :func:`roi_hierarchy` returns a private copy to modify.
"""


def roi_hierarchy() -> RoiNode:
    """Return a fresh deep copy of :data:`ROI_HIERARCHY`, safe to modify.

    Example:
        >>> tree = roi_hierarchy()
        >>> tree["name"], [child["name"] for child in tree["children"]][:4]
        ('hemibrain', ['AL(L)', 'AL(R)', 'CX', 'INP'])
    """
    return copy.deepcopy(ROI_HIERARCHY)


def all_rois() -> tuple[str, ...]:
    """Return every ROI name of the hierarchy (primary and super-level), sorted by name.

    Example:
        >>> rois = all_rois()
        >>> len(rois), "MB(R)" in rois, "CA(R)" in rois, "hemibrain" in rois
        (75, True, True, False)
    """
    return tuple(sorted(PRIMARY_ROIS + SUPER_ROIS))


def is_primary(roi: str) -> bool:
    """Tell whether ``roi`` is one of the hemibrain primary ROIs.

    Example:
        >>> is_primary("FB"), is_primary("CX"), is_primary("NotPrimary")
        (True, False, False)
    """
    return roi in _PRIMARY_SET


_PRIMARY_SET: Final[frozenset[str]] = frozenset(PRIMARY_ROIS)
_ALL_SET: Final[frozenset[str]] = frozenset(PRIMARY_ROIS + SUPER_ROIS)


def _check(roi: str) -> None:
    if roi not in _ALL_SET:
        raise UnknownROI(roi, all_rois(), "hemibrain")


def ancestors(roi: str) -> tuple[str, ...]:
    """Return the super-level ROIs that contain ``roi``, outermost first, without the root.

    Raises :class:`~neuprint_dsl.errors.UnknownROI` (a ``LookupError``) for a name that is not
    a hemibrain ROI.

    Example:
        >>> ancestors("CA(R)"), ancestors("LH(R)"), ancestors("MB(R)")
        (('MB(R)',), (), ())
        >>> ancestors("SMP")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.UnknownROI: unknown ROI 'SMP' in hemibrain; did you mean ...?
    """
    _check(roi)
    chain: list[str] = []
    node = roi
    while node in _PARENT:
        node = _PARENT[node]
        chain.append(node)
    return tuple(reversed(chain))


def primary_descendants(roi: str) -> tuple[str, ...]:
    """Return the primary ROIs inside ``roi`` (sorted); a primary ROI returns itself.

    Example:
        >>> primary_descendants("SNP(R)")
        ('SIP(R)', 'SLP(R)', 'SMP(R)')
        >>> primary_descendants("EB")
        ('EB',)
    """
    _check(roi)
    return SUPER_ROI_CHILDREN.get(roi, (roi,))


def roi_hierarchy_text(mark_primary: bool = True) -> str:
    """Render the hierarchy as an indented tree, primary ROIs marked with ``*``.

    The layout follows neuprint-python's ``fetch_roi_hierarchy(format="text")``.

    Example:
        >>> print("\\n".join(roi_hierarchy_text().splitlines()[:5]))
        hemibrain
         +-- AL(L)*
         +-- AL(R)*
         +-- CX
         |   +-- AB(L)*
    """
    lines: list[str] = []

    def walk(node: RoiNode, prefix: str, is_last: bool, depth: int) -> None:
        mark = "*" if mark_primary and node["name"] in _PRIMARY_SET else ""
        if depth == 0:
            lines.append(node["name"] + mark)
            child_prefix = " "
        else:
            lines.append(f"{prefix}+-- {node['name']}{mark}")
            child_prefix = prefix + ("    " if is_last else "|   ")
        children = node.get("children", [])
        for index, child in enumerate(children):
            walk(child, child_prefix, index == len(children) - 1, depth + 1)

    walk(ROI_HIERARCHY, "", True, 0)
    return "\n".join(lines)
