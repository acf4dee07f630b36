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

from .errors import (
    CapabilityError,
    InvalidPattern,
    NeuprintDSLError,
    QuerySyntaxError,
    QueryTimeout,
    ServerError,
    TransportError,
    UnknownField,
    UnknownROI,
)
from .cypher import CypherStatement, GraphSchema, to_cypher
from .expr import FALSE, TRUE, Entity, Predicate, and_, not_, or_
from .fields import E, N
from .interpret import evaluate
from .normalize import simplify, to_dnf, to_nnf
from .query import Connections, Neurons, OrderKey, Statement, connections, neurons

__all__ = [
    "E",
    "FALSE",
    "N",
    "TRUE",
    "CapabilityError",
    "Connections",
    "CypherStatement",
    "Entity",
    "GraphSchema",
    "InvalidPattern",
    "NeuprintDSLError",
    "Neurons",
    "OrderKey",
    "Predicate",
    "QuerySyntaxError",
    "QueryTimeout",
    "ServerError",
    "Statement",
    "TransportError",
    "UnknownField",
    "UnknownROI",
    "and_",
    "connections",
    "evaluate",
    "neurons",
    "not_",
    "or_",
    "simplify",
    "to_cypher",
    "to_dnf",
    "to_nnf",
]

__version__ = "0.1.0"
