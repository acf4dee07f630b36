"""Cypher dialects: one syntax paired with one layout, and the registry of their names.

A dialect answers the compiler's narrow questions (how to write a node pattern for a label,
a property, an ROI count, the per-ROI rows of a connection, a literal) from two halves:

- its **syntax** (:mod:`neuprint_dsl.cypher.syntax`): how Cypher is spelled for the engine;
- its **layout** (:mod:`neuprint_dsl.cypher.layout`): where the data lives in the graph.

``neo4j`` = :class:`~neuprint_dsl.cypher.syntax.CypherSyntax` +
:class:`~neuprint_dsl.cypher.layout.GraphLayout` (neuPrint); ``ladybug`` =
:class:`~neuprint_dsl.cypher.syntax.LadybugSyntax` +
:class:`~neuprint_dsl.cypher.layout.LadybugLayout` (the embedded store). The compiler
(:mod:`neuprint_dsl.cypher.compiler`) is written once, as sqlglot's generator is: dialects
override small tables.

To add an engine: subclass the syntax it spells differently (and the layout, if it stores
the graph differently), list them before :class:`Dialect`, syntax first (an engine on
neuPrint's layout: ``class Memgraph(MemgraphSyntax, Dialect)``), and add an instance to
:data:`DIALECTS`, under a name of :data:`neuprint_dsl.backends.BACKENDS` (the one list of
backend names, which the executor, the CLI and the transports read).

Example:
    >>> get_dialect("ladybug").node_pattern("n", "Segment")
    '(n:Neuron:Segment)'
    >>> get_dialect("neo4j").node_pattern("n", "Segment")
    '(n:Segment)'
    >>> sorted(DIALECTS)
    ['ladybug', 'neo4j']
"""

from __future__ import annotations

from typing import ClassVar

from ..backends import LADYBUG, NEO4J
from ..errors import InvalidArgument
from .layout import GraphLayout, LadybugLayout
from .syntax import CypherSyntax, LadybugSyntax

__all__ = ["DIALECTS", "Dialect", "Ladybug", "Neo4j", "get_dialect"]


class Dialect(CypherSyntax, GraphLayout):
    """A Cypher dialect: a syntax and a layout, by default Neo4j's syntax on neuPrint's
    layout. A subclass lists the syntax and layout classes it changes before ``Dialect``,
    syntax first (``class Ladybug(LadybugSyntax, LadybugLayout, Dialect)``).

    Dialects are stateless, so their methods may be cached per instance.
    """

    #: the backend name (:mod:`neuprint_dsl.backends`) that statements compiled for this
    #: dialect carry (``CypherStatement.dialect``) and transports check
    name: ClassVar[str] = NEO4J


class Neo4j(Dialect):
    """neuPrint's Neo4j, through neuPrintHTTP or Bolt: Neo4j syntax, neuPrint's layout."""


class Ladybug(LadybugSyntax, LadybugLayout, Dialect):
    """The embedded Ladybug engine: Ladybug's syntax on the embedded store's layout."""

    name = LADYBUG


#: Every Cypher dialect, by its backend name (:data:`neuprint_dsl.backends.CYPHER_BACKENDS`).
DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (Neo4j(), Ladybug())}


def get_dialect(name: str | Dialect) -> Dialect:
    """The dialect called ``name`` (``"neo4j"`` or ``"ladybug"``).

    Example:
        >>> get_dialect("neo4j").name
        'neo4j'
    """
    if isinstance(name, Dialect):
        return name
    try:
        return DIALECTS[name]
    except KeyError:
        raise InvalidArgument(
            f"unknown Cypher dialect {name!r}; choose one of {', '.join(sorted(DIALECTS))}"
        ) from None
