"""Cypher compilation: one compiler, two dialects (``neo4j`` for neuPrint, ``ladybug``).

Modules, from the bottom up:

- ``statement``: :class:`CypherStatement` (text, parameters, columns) and its inline form.
- ``literals``: quoting of strings, identifiers and numbers, injection-proof.
- ``syntax``: how Cypher is spelled for an engine (:class:`CypherSyntax` for Neo4j,
  :class:`LadybugSyntax`): quoting, regex flavour, aggregates, engine quirks.
- ``layout``: where the data lives (:class:`GraphLayout` for neuPrint's graph,
  :class:`LadybugLayout` for the embedded store, whose loader names ROI columns with
  :func:`~neuprint_dsl.cypher.layout.roi_column`).
- ``dialects``: a dialect is one syntax plus one layout (:class:`Neo4j`, :class:`Ladybug`);
  :data:`DIALECTS` registers them under their backend names (:mod:`neuprint_dsl.backends`);
  :func:`get_dialect`.
- ``conditions``: :class:`~neuprint_dsl.cypher.conditions.ConditionWriter`: the lines,
  parameters and null-safe WHERE conditions of one statement (predicates in negation normal
  form, from :mod:`neuprint_dsl.normalize`).
- ``compiler``: :func:`to_cypher` and :class:`CypherCompiler` (a ``ConditionWriter`` with
  one method per kind of statement), written once for every dialect; with a schema,
  statements are validated first (:mod:`neuprint_dsl.validate`).
- ``synapse_aggregate``: per-body synapse means aggregated in the engine, built from the
  compiler's public building blocks.

Layer L2 (compilers). May import: L0-L1 (errors, patterns, expr, fields, schema, query,
normalize, validate, interpret, hooks) and ``backends``. Never: neuronjson, frames,
execute, transports, embedded, compat, cli, or the package root.

A backend that does not read Cypher (SQL through sqlglot, say) is not a dialect here: it is
a sibling package, ``neuprint_dsl/sql/``, at this layer, that compiles the same statements
(``query``) with the same null-safe semantics (DESIGN.md section 3) into sqlglot expressions,
which sqlglot spells for each SQL engine (its dialects play the part of ``syntax``); where
the tables and columns live is that package's own layout object, the counterpart of
``layout``. It registers under a new name in :data:`neuprint_dsl.backends.BACKENDS`, and
the executor picks its compiler by the backend's language.

Example:
    >>> from neuprint_dsl import N
    >>> from neuprint_dsl.cypher import to_cypher
    >>> to_cypher(N.pre > 10, "ladybug").params
    {'pre': 10}
"""

from ..schema import GraphSchema
from .compiler import CONNECTION_PROPERTIES, NEURON_COLUMNS, CypherCompiler, to_cypher
from .dialects import DIALECTS, Dialect, Ladybug, Neo4j, get_dialect
from .layout import GraphLayout, LadybugLayout
from .statement import CypherStatement, Param
from .syntax import CypherSyntax, LadybugSyntax

__all__ = [
    "CONNECTION_PROPERTIES",
    "DIALECTS",
    "NEURON_COLUMNS",
    "CypherCompiler",
    "CypherStatement",
    "CypherSyntax",
    "Dialect",
    "GraphLayout",
    "GraphSchema",
    "Ladybug",
    "LadybugLayout",
    "LadybugSyntax",
    "Neo4j",
    "Param",
    "get_dialect",
    "to_cypher",
]
