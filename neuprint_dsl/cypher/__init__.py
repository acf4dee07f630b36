"""Cypher compilation: one compiler, two dialects (``neo4j`` for neuPrint, ``ladybug``).

Example:
    >>> from neuprint_dsl import N
    >>> from neuprint_dsl.cypher import to_cypher
    >>> to_cypher(N.pre > 10, "ladybug").params
    {'pre': 10}
"""

from .compiler import CONNECTION_PROPERTIES, NEURON_COLUMNS, CypherCompiler, to_cypher
from .dialects import DIALECTS, Dialect, Ladybug, Neo4j, get_dialect
from .schema import GraphSchema
from .statement import CypherStatement, Param

__all__ = [
    "CONNECTION_PROPERTIES",
    "DIALECTS",
    "NEURON_COLUMNS",
    "CypherCompiler",
    "CypherStatement",
    "Dialect",
    "GraphSchema",
    "Ladybug",
    "Neo4j",
    "Param",
    "get_dialect",
    "to_cypher",
]
