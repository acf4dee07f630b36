"""neuprint-dsl: a typed query language for connectome databases.

One expression, written in Python or as text, compiles to neuPrint Cypher, to the embedded
engine's Cypher, or to a DVID ``neuronjson`` query.

Example:
    >>> from neuprint_dsl import N, parse
    >>> mbons = N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped
    >>> mbons == parse('type =~ "MBON.*" and roi("MB(R)") and not cropped')
    True
"""

from __future__ import annotations

from . import plot as plot  # neuprint_dsl.plot.connectivity_matrix (matplotlib loaded on use)
from .cypher import CypherStatement, GraphSchema, to_cypher

# the function embedded(path=None) -> Embedded replaces the subpackage as this package's
# attribute (the subpackage stays importable by name; see neuprint_dsl/embedded/__init__.py)
from .embedded import embedded as embedded
from .embedded import open_database as open_embedded
from .errors import (
    CapabilityError,
    DNFTooLarge,
    InvalidArgument,
    InvalidPattern,
    InvalidValue,
    MissingDependency,
    NeuprintDSLError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTypeError,
    ServerError,
    TransportError,
    TypeErrorInQuery,
    UnknownField,
    UnknownROI,
    UnsupportedCypher,
)
from .expr import FALSE, TRUE, Entity, Predicate, and_, not_, or_
from .fields import E, M, N, S
from .graph import to_networkx
from .interpret import evaluate
from .neuronjson import NeuronJsonPlan, to_neuronjson
from .normalize import simplify, to_dnf, to_nnf
from .query import (
    Aggregate,
    Connections,
    Mitochondria,
    Neurons,
    OrderKey,
    Statement,
    SynapseConnections,
    Synapses,
    agg,
    connections,
    mitochondria,
    neurons,
    synapse_connections,
    synapses,
)
from .text import parse, to_text
from .transports import Embedded

__all__ = [
    "FALSE",
    "TRUE",
    "Aggregate",
    "CapabilityError",
    "Connections",
    "CypherStatement",
    "DNFTooLarge",
    "E",
    "Embedded",
    "Entity",
    "GraphSchema",
    "InvalidArgument",
    "InvalidPattern",
    "InvalidValue",
    "M",
    "MissingDependency",
    "Mitochondria",
    "N",
    "NeuprintDSLError",
    "NeuronJsonPlan",
    "Neurons",
    "OrderKey",
    "Predicate",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTypeError",
    "S",
    "ServerError",
    "Statement",
    "SynapseConnections",
    "Synapses",
    "TransportError",
    "TypeErrorInQuery",
    "UnknownField",
    "UnknownROI",
    "UnsupportedCypher",
    "agg",
    "and_",
    "connections",
    "embedded",
    "evaluate",
    "mitochondria",
    "neurons",
    "not_",
    "open_embedded",
    "or_",
    "parse",
    "simplify",
    "synapse_connections",
    "synapses",
    "to_cypher",
    "to_dnf",
    "to_networkx",
    "to_neuronjson",
    "to_nnf",
    "to_text",
]

__version__ = "0.1.0"
