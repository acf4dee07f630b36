"""What a compiler may know about the target graph: property kinds and ROI names.

A schema is optional. With one, :func:`neuprint_dsl.validate.validate` refuses fields, ROIs,
columns and ``order by`` keys the dataset lacks (:class:`~neuprint_dsl.UnknownField`,
:class:`~neuprint_dsl.UnknownROI`, with close matches) and comparisons of the wrong kind,
before anything runs; dialects whose engine rejects mistyped properties (Ladybug) fold the
leaves the schema decides to constants with the same meaning. A property list or ROI set
that is ``None`` is not known: nothing is checked against it.

Example:
    >>> s = GraphSchema(node_properties={"bodyId": "int", "type": "str"}, rois=frozenset({"FB"}))
    >>> s.node_kind("type"), s.node_kind("nope")
    ('str', None)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .errors import InvalidArgument

#: Property kinds: str, int, float, bool, list, point, map, json (a JSON string), other.
KINDS = frozenset({"str", "int", "float", "bool", "list", "point", "map", "json", "other"})
#: The kind reported for a property of a record kind whose properties the schema does not list.
UNKNOWN = "unknown"


def _frozen_map(value: Mapping[str, str]) -> Mapping[str, str]:
    for name, kind in value.items():
        if kind not in KINDS:
            raise InvalidArgument(
                f"unknown property kind {kind!r} for {name!r}; use one of {sorted(KINDS)}"
            )
    return dict(value)


def _roi_set(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen(slots=True)
class GraphSchema:
    """Property kinds of neurons (``node_properties``), connections (``edge_properties``),
    synapses and mitochondria, the ROI names (``rois``), and whether the graph holds
    synapses and mitochondria at all."""

    #: neuron / connection property kinds; ``None``: not known (nothing is checked)
    node_properties: Mapping[str, str] | None = attrs.field(
        factory=dict, converter=attrs.converters.optional(_frozen_map), hash=False
    )
    edge_properties: Mapping[str, str] | None = attrs.field(
        factory=dict, converter=attrs.converters.optional(_frozen_map), hash=False
    )
    #: the ROI names (case-sensitive); ``None``: not known (nothing is checked)
    rois: frozenset[str] | None = attrs.field(factory=frozenset, converter=_roi_set)
    #: synapse / mitochondrion property kinds; ``None``: not known (nothing is folded)
    synapse_properties: Mapping[str, str] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_frozen_map), hash=False
    )
    mito_properties: Mapping[str, str] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_frozen_map), hash=False
    )
    #: whether the graph holds synapses / mitochondria (``None``: not known)
    has_synapses: bool | None = None
    has_mitochondria: bool | None = None
    #: whether connections carry per-ROI weights (``False``: an export without
    #: roi-connections.csv; per-ROI connection questions are refused)
    has_roi_weights: bool | None = None

    def node_kind(self, name: str) -> str | None:
        """The kind of a neuron property, or ``None`` if no neuron has it (:data:`UNKNOWN`
        when the schema does not list neuron properties)."""
        if self.node_properties is None:
            return UNKNOWN
        return self.node_properties.get(name)

    def edge_kind(self, name: str) -> str | None:
        """The kind of a connection property, or ``None`` if no connection has it
        (:data:`UNKNOWN` when the schema does not list connection properties)."""
        if self.edge_properties is None:
            return UNKNOWN
        return self.edge_properties.get(name)

    def node_kinds(self) -> dict[str, str]:
        """The known neuron property kinds, for result dtypes: empty when not known, and
        without ``other`` kinds (their columns' dtypes are inferred from the values).

        Example:
            >>> GraphSchema(node_properties=None).node_kinds()
            {}
            >>> GraphSchema(node_properties={"a": "int", "b": "other"}).node_kinds()
            {'a': 'int'}
        """
        props = self.node_properties or {}
        return {name: kind for name, kind in props.items() if kind != "other"}

    @classmethod
    def from_neuprint_meta(cls, meta: Mapping[str, Any]) -> GraphSchema:
        """The schema a neuPrint dataset's ``:Meta`` node describes: neuron property kinds
        from ``neuronProperties`` (a JSON map of name to Neo4j import type, such as
        ``"string"``, ``"long"``, ``"boolean"``, ``"point{crs:cartesian-3D}"``), the ROI names
        from the keys of ``roiInfo`` plus ``primaryRois`` and ``superLevelRois`` (values may be
        JSON strings, as stored, or parsed). Without ``neuronProperties`` (older datasets) the
        neuron properties are not known; connection, synapse and mitochondrion properties
        never are (the Meta node does not list them).

        Example:
            >>> s = GraphSchema.from_neuprint_meta({
            ...     "neuronProperties": '{"bodyId": "long", "type": "string", "roiInfo": "string"}',
            ...     "roiInfo": '{"MB(R)": {"pre": 1}}', "primaryRois": ["FB"]})
            >>> sorted(s.node_kinds().items()), sorted(s.rois or ())
            ([('bodyId', 'int'), ('roiInfo', 'json'), ('type', 'str')], ['FB', 'MB(R)'])
        """
        props = _json(meta.get("neuronProperties"))
        node: dict[str, str] | None = None
        if isinstance(props, Mapping) and props:
            node = {str(k): _meta_kind(str(k), v) for k, v in props.items()}
        elif isinstance(props, list) and props:
            node = {str(k): _meta_kind(str(k), None) for k in props}
        rois: set[str] = set()
        info = _json(meta.get("roiInfo"))
        if isinstance(info, Mapping):
            rois.update(str(k) for k in info)
        for key in ("primaryRois", "superLevelRois"):
            rois.update(_names(_json(meta.get(key))))
        if str(meta.get("dataset") or "").split(":")[0] == "hemibrain":
            # tags that exist as ROI flags but are not (always) in the Meta roiInfo
            # (neuprint-python's _all_rois_from_meta adds the same)
            rois |= {"FB-column3", "AL-DC3", *(f"AL-DC{i}(R)" for i in (1, 2, 3, 4))}
        known = isinstance(info, Mapping) or bool(rois)
        return cls(node_properties=node, edge_properties=None, rois=rois if known else None)

    def synapse_kind(self, name: str) -> str | None:
        """The kind of a synapse property, or ``None`` if no synapse has it (:data:`UNKNOWN`
        when the schema does not list synapse properties)."""
        if self.synapse_properties is None:
            return UNKNOWN
        return self.synapse_properties.get(name)

    def mito_kind(self, name: str) -> str | None:
        """The kind of a mitochondrion property, or ``None`` if no mitochondrion has it
        (:data:`UNKNOWN` when the schema does not list mitochondrion properties)."""
        if self.mito_properties is None:
            return UNKNOWN
        return self.mito_properties.get(name)


#: Neo4j import types (as in a neuPrint Meta ``neuronProperties``) and their kinds.
_NEO4J_KINDS = {
    "string": "str",
    "str": "str",
    "int": "int",
    "long": "int",
    "integer": "int",
    "short": "int",
    "byte": "int",
    "float": "float",
    "double": "float",
    "boolean": "bool",
    "bool": "bool",
}
#: Properties whose kind is known whatever the Meta says (JSON strings, points).
_FIXED_KINDS = {
    "roiInfo": "json",
    "somaLocation": "point",
    "tosomaLocation": "point",
    "rootLocation": "point",
}


def _meta_kind(name: str, declared: object) -> str:
    if name in _FIXED_KINDS:
        return _FIXED_KINDS[name]
    if not isinstance(declared, str):
        return "other"
    text = declared.strip().lower()
    if text.endswith("[]"):
        return "list"
    if text.startswith("point"):
        return "point"
    return _NEO4J_KINDS.get(text, "other")


def _json(value: object) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _names(value: object) -> Iterable[str]:
    if isinstance(value, str):  # a list exported as one ';'-separated string
        return [v for v in value.split(";") if v]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]  # a list, or a numpy array read from Arrow
    return []
