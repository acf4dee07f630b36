"""neuprint-dsl: a typed query language for connectome databases.

One expression, written in Python or as text, compiles to neuPrint Cypher, to the embedded
engine's Cypher, or to a DVID ``neuronjson`` query.

This module is the top layer (L8, with ``cli``): it re-exports the public names and wires
two seams, nothing else. Importing it registers the printer, the Cypher compiler and the
interpreter with :mod:`neuprint_dsl.hooks` (so ``expr`` nodes can print, compile and
evaluate themselves without importing them), and makes ``neuprint_dsl.embedded`` the
function that opens the embedded engine (:mod:`neuprint_dsl.embedded` stays importable as
the store's package). The layers, lowest first: foundation (errors, values, patterns, hooks,
progress, cache, version), language (expr, fields, query, schema, text, interpret,
normalize, validate), compilers (backends, cypher, neuronjson), shaping (frames), execution
(transports.base, execute), backends (transports, neuprinthttp, dvid, http_session,
embedded), presentation (display, plot, graph), compat, then cli and this module. Each
package's docstring lists its modules and what it may import; README's Layout section and
docs/architecture.md describe them; tests/test_layering.py checks the import graph.

Example:
    >>> from neuprint_dsl import N, parse
    >>> mbons = N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped
    >>> mbons == parse('type =~ "MBON.*" and roi("MB(R)") and not cropped')
    True
"""

from __future__ import annotations

from . import plot as plot  # neuprint_dsl.plot.connectivity_matrix (matplotlib loaded on use)
from .cypher import CypherStatement, to_cypher

# the function embedded(path=None) -> Embedded replaces the subpackage as this package's
# attribute (the subpackage stays importable by name); the root wires the store and its
# transport together: neuprint_dsl.embedded.open_database (see neuprint_dsl/embedded/__init__.py)
from .embedded import attach_opener as _attach_opener
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
from .schema import GraphSchema
from .text import parse, to_text
from .transports import Embedded
from .transports.ladybug import embedded as embedded
from .transports.ladybug import open_database as open_embedded
from .version import __version__ as __version__

_attach_opener(open_embedded, embedded)  # neuprint_dsl.embedded.open_database, and attributes

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
