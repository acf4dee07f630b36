"""The files of a neuPrint export and the columns of each table, written once: the sample
generator writes these columns, the export readers require them and the loader copies them.

A column's kind says how it is typed: ``int`` (plain 64-bit integers), ``float`` (finite
numbers), ``str`` (a non-empty string), ``optstr`` (a string; empty means none) and, in the
database tables only, ``list`` (a list of strings). Mappings keep their columns in file order.

Example:
    >>> LAYOUTS["traced"][0], tuple(TOTAL_CONNECTION_COLUMNS)
    ('traced-neurons.csv', ('bodyId_pre', 'bodyId_post', 'weight'))
    >>> required_columns(SYNAPSE_COLUMNS)
    {'bodyId': 'int', 'type': 'str', 'x': 'int', 'y': 'int', 'z': 'int', 'confidence': 'float'}
    >>> optional_columns(SYNAPSE_COLUMNS)
    {'roi': 'optstr', 'id': 'int'}
    >>> [name for name, _ in SYNAPSE_TABLE]
    ['id', 'bodyId', 'type', 'confidence', 'x', 'y', 'z', 'roi', 'rois']
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "CLOSEST_MITOCHONDRIA_COLUMNS",
    "LAYOUTS",
    "MITOCHONDRIA_COLUMNS",
    "MITO_TABLE",
    "NEURON_KINDS",
    "OPTIONAL_OBJECT_COLUMNS",
    "ROI_CONNECTION_COLUMNS",
    "SYNAPSE_COLUMNS",
    "SYNAPSE_CONNECTION_COLUMNS",
    "SYNAPSE_FILES",
    "SYNAPSE_LOCATION_COLUMNS",
    "SYNAPSE_TABLE",
    "TOTAL_CONNECTION_COLUMNS",
    "TOTAL_CONNECTION_OPTIONAL",
    "optional_columns",
    "required_columns",
]

#: the three connectivity files of each export layout: neurons, per-ROI weights (may be
#: absent), total weights
LAYOUTS: Final[Mapping[str, tuple[str, str, str]]] = MappingProxyType(
    {
        "adjacencies": ("neurons.csv", "roi-connections.csv", "total-connections.csv"),
        "traced": (
            "traced-neurons.csv",
            "traced-roi-connections.csv",
            "traced-total-connections.csv",
        ),
    }
)

#: the optional synapse-level files (the same for either layout), in reading order
SYNAPSE_FILES: Final[tuple[str, str, str, str]] = (
    "synapses.csv",
    "synapse-connections.csv",
    "mitochondria.csv",
    "closest-mitochondria.csv",
)

#: neuPrint's neuron properties and their kinds (``bool``, ``point`` and ``json`` besides the
#: kinds above); other columns of a neuron file are inferred
NEURON_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "bodyId": "int",
        "type": "str",
        "instance": "str",
        "status": "str",
        "statusLabel": "str",
        "cropped": "bool",
        "pre": "int",
        "post": "int",
        "downstream": "int",
        "upstream": "int",
        "mito": "int",
        "size": "int",
        "group": "int",
        "serial": "int",
        "somaRadius": "float",
        "somaLocation": "point",
        "tosomaLocation": "point",
        "rootLocation": "point",
        "roiInfo": "json",
        "cellBodyFiber": "str",
        "class": "str",
        "subclass": "str",
        "predictedNt": "str",
        "somaSide": "str",
        "notes": "str",
    }
)

_INT, _FLOAT, _STR, _OPTSTR = "int", "float", "str", "optstr"

ROI_CONNECTION_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {"bodyId_pre": _INT, "bodyId_post": _INT, "roi": _STR, "weight": _INT}
)
TOTAL_CONNECTION_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {"bodyId_pre": _INT, "bodyId_post": _INT, "weight": _INT}
)
#: read when present (neuPrint's high-confidence weight)
TOTAL_CONNECTION_OPTIONAL: Final[Mapping[str, str]] = MappingProxyType({"weightHP": _INT})

SYNAPSE_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "id": _INT,
        "bodyId": _INT,
        "type": _STR,
        "roi": _OPTSTR,
        "x": _INT,
        "y": _INT,
        "z": _INT,
        "confidence": _FLOAT,
    }
)
#: the pairs file by synapse ids
SYNAPSE_CONNECTION_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {"pre_id": _INT, "post_id": _INT}
)
#: neuprint-python's ``fetch_synapse_connections`` layout of the pairs file
SYNAPSE_LOCATION_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    dict.fromkeys(
        ("bodyId_pre", "bodyId_post", "x_pre", "y_pre", "z_pre", "x_post", "y_post", "z_post"),
        _INT,
    )
)
MITOCHONDRIA_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "id": _INT,
        "bodyId": _INT,
        "mitoType": _STR,
        "roi": _OPTSTR,
        "x": _INT,
        "y": _INT,
        "z": _INT,
        "size": _INT,
        "r0": _FLOAT,
        "r1": _FLOAT,
        "r2": _FLOAT,
    }
)
CLOSEST_MITOCHONDRIA_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {"synapse_id": _INT, "mito_id": _INT, "distance": _FLOAT}
)

#: columns of the synapse and mitochondrion files a reader can do without, in reading order:
#: without ``roi`` an object is in no ROI; without ``id`` its location identifies it
OPTIONAL_OBJECT_COLUMNS: Final[tuple[str, ...]] = ("roi", "id")

#: the synapse table as read (one row per synapse) and stored (the ``Synapse`` node table),
#: in that order: ``roi`` is its primary ROI, ``rois`` every ROI it lies in
SYNAPSE_TABLE: Final[tuple[tuple[str, str], ...]] = (
    ("id", _INT),
    ("bodyId", _INT),
    ("type", _STR),
    ("confidence", _FLOAT),
    ("x", _INT),
    ("y", _INT),
    ("z", _INT),
    ("roi", _OPTSTR),
    ("rois", "list"),
)
#: the mitochondrion table as read and stored (the ``Mito`` node table)
MITO_TABLE: Final[tuple[tuple[str, str], ...]] = (
    ("id", _INT),
    ("bodyId", _INT),
    ("mitoType", _STR),
    ("size", _INT),
    ("x", _INT),
    ("y", _INT),
    ("z", _INT),
    ("r0", _FLOAT),
    ("r1", _FLOAT),
    ("r2", _FLOAT),
    ("roi", _OPTSTR),
    ("rois", "list"),
)


def required_columns(columns: Mapping[str, str]) -> dict[str, str]:
    """The columns of a file that every export must have (all but
    :data:`OPTIONAL_OBJECT_COLUMNS`), in file order.

    Example:
        >>> required_columns(CLOSEST_MITOCHONDRIA_COLUMNS)
        {'synapse_id': 'int', 'mito_id': 'int', 'distance': 'float'}
    """
    return {c: k for c, k in columns.items() if c not in OPTIONAL_OBJECT_COLUMNS}


def optional_columns(columns: Mapping[str, str]) -> dict[str, str]:
    """The columns of a file that an export may leave out, in reading order.

    Example:
        >>> optional_columns(MITOCHONDRIA_COLUMNS), optional_columns(SYNAPSE_CONNECTION_COLUMNS)
        ({'roi': 'optstr', 'id': 'int'}, {})
    """
    return {c: columns[c] for c in OPTIONAL_OBJECT_COLUMNS if c in columns}
