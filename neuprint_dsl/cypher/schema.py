"""What a compiler may know about the target graph: property kinds and ROI names.

A schema is optional. With one, ROI names are checked (:class:`~neuprint_dsl.UnknownROI` with
close matches), and dialects whose engine rejects unknown or mistyped properties (Ladybug)
fold such leaves to constants with the same meaning (a property that no record has is null
everywhere, so every leaf on it is false and ``is null`` is true).

Example:
    >>> s = GraphSchema(node_properties={"bodyId": "int", "type": "str"}, rois=frozenset({"FB"}))
    >>> s.node_kind("type"), s.node_kind("nope")
    ('str', None)
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

#: Property kinds: str, int, float, bool, list, point, map, json (a JSON string), other.
KINDS = frozenset({"str", "int", "float", "bool", "list", "point", "map", "json", "other"})
#: The kind reported for a property of a record kind whose properties the schema does not list.
UNKNOWN = "unknown"


def _frozen_map(value: Mapping[str, str]) -> Mapping[str, str]:
    for name, kind in value.items():
        if kind not in KINDS:
            raise ValueError(
                f"unknown property kind {kind!r} for {name!r}; use one of {sorted(KINDS)}"
            )
    return dict(value)


@attrs.frozen(slots=True)
class GraphSchema:
    """Property kinds of neurons (``node_properties``), connections (``edge_properties``),
    synapses and mitochondria, the ROI names (``rois``), and whether the graph holds
    synapses and mitochondria at all."""

    node_properties: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_map, hash=False
    )
    edge_properties: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_map, hash=False
    )
    rois: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset)
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

    def node_kind(self, name: str) -> str | None:
        """The kind of a neuron property, or ``None`` if no neuron has it."""
        return self.node_properties.get(name)

    def edge_kind(self, name: str) -> str | None:
        """The kind of a connection property, or ``None`` if no connection has it."""
        return self.edge_properties.get(name)

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
