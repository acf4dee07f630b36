"""The executor: compile for a transport's dialect, run, and shape the result.

Example:
    >>> from neuprint_dsl import N
    >>> from neuprint_dsl.execute import as_statement
    >>> print(as_statement('type = "APL"'))
    neurons where type = "APL"
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .cypher import to_cypher
from .errors import InvalidArgument
from .expr import Predicate, as_predicate
from .frames import shape
from .query import (
    STATEMENT_TYPES,
    Connections,
    Mitochondria,
    Neurons,
    SynapseConnections,
    Synapses,
    column_name,
)
from .text import parse
from .transports.base import CypherTransport

Statement = Neurons | Connections | Synapses | SynapseConnections | Mitochondria

#: Kinds of the columns of synapse-level statements (locations and sizes are never missing).
_POINT_KINDS = {
    "type": "str",
    "roi": "str",
    "confidence": "float",
    "mitoType": "str",
    "distance": "float",
    "r0": "float",
    "r1": "float",
    "r2": "float",
    "mitoSize": "int",
}
_REQUIRED_INTS = frozenset({"x", "y", "z", "x_pre", "y_pre", "z_pre", "x_post", "y_post", "z_post"})


def as_statement(query: Any) -> Statement:
    """A statement from a statement, query text, or a neuron predicate (``neurons where``)."""
    if isinstance(query, str):
        query = parse(query)
    if isinstance(query, STATEMENT_TYPES):
        return query  # type: ignore[return-value]
    if isinstance(query, Predicate) or hasattr(query, "__predicate__"):
        return Neurons(as_predicate(query))
    raise InvalidArgument(
        f"expected a statement, query text or predicate, not {type(query).__name__}"
    )


def run(transport: CypherTransport, query: Any) -> pd.DataFrame:
    """Run ``query`` on ``transport`` and return a DataFrame with explicit dtypes and
    neuprint-python's column names.

    When the transport knows its dataset's schema (always for the embedded engine; for
    neuPrint from the ``:Meta`` node), a field, ROI, column or ``order by`` key the dataset
    lacks raises :class:`~neuprint_dsl.errors.UnknownField` /
    :class:`~neuprint_dsl.errors.UnknownROI`, and a comparison of the wrong kind
    :class:`~neuprint_dsl.errors.QueryTypeError`, before the query is sent.

    Example:
        >>> import tempfile
        >>> from neuprint_dsl import N, neurons
        >>> from neuprint_dsl.embedded import load
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> from neuprint_dsl.transports import Embedded
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=40, edges=100, seed=3)
        ...     with Embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        ...         df = run(db, neurons(N.type == "APL", columns=["bodyId", "pre"]))
        >>> [str(t) for t in df.dtypes]
        ['int64', 'Int64']
    """
    statement = as_statement(query)
    schema = transport.schema  # a neuPrint transport fetches it once, on first use
    # with a schema, to_cypher validates the names and kinds: nothing runs if one is unknown
    compiled = to_cypher(statement, transport.dialect, schema=schema)
    table = transport.execute(compiled)
    if isinstance(statement, (Neurons, Connections)):
        kinds = schema.node_kinds() if schema is not None else {}
        return shape(table.to_frame(), kinds, required_ints=_never_missing(statement))
    kinds, required = _point_columns(statement)
    return shape(table.to_frame(), kinds, required_ints=required)


def _never_missing(statement: Neurons | Connections) -> frozenset[str]:
    """Int columns of neurons and connections that are never missing: counts (of a group,
    of neurons, of connections) and returned ROI counts (a missing ROI counts 0)."""
    if isinstance(statement, Connections):
        return _GROUP_COUNTS if statement.group_keys else frozenset()
    names = {column_name(c) for c in statement.columns or () if not isinstance(c, str)}
    names |= {a.name for a in statement.aggregates if a.function == "count"}
    return frozenset(names)


_GROUP_COUNTS = frozenset({"n_pre", "n_post", "n_connections"})


def _point_columns(
    statement: Synapses | SynapseConnections | Mitochondria,
) -> tuple[dict[str, str], frozenset[str]]:
    """Column kinds of a synapse-level statement, and the int columns never missing."""
    kinds = dict(_POINT_KINDS)
    if isinstance(statement, SynapseConnections):
        if not statement.primary_only:
            kinds["roi"] = "list"
        kinds.update(mx="int", my="int", mz="int")  # missing without a closest mitochondrion
        return kinds, _REQUIRED_INTS
    required = {"x", "y", "z"}
    if isinstance(statement, Mitochondria):
        required.add("size")
    elif statement.closest_mitochondria:
        required |= {"size", "mx", "my", "mz"}
    return kinds, frozenset(required)
