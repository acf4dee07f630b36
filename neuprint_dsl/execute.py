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
from .expr import Predicate, as_predicate
from .frames import shape
from .query import Connections, Neurons
from .text import parse
from .transports.base import CypherTransport


def as_statement(query: Any) -> Neurons | Connections:
    """A statement from a statement, query text, or a neuron predicate (``neurons where``)."""
    if isinstance(query, str):
        query = parse(query)
    if isinstance(query, (Neurons, Connections)):
        return query
    if isinstance(query, Predicate) or hasattr(query, "__predicate__"):
        return Neurons(as_predicate(query))
    raise TypeError(f"expected a statement, query text or predicate, not {type(query).__name__}")


def run(transport: CypherTransport, query: Any) -> pd.DataFrame:
    """Run ``query`` on ``transport`` and return a DataFrame with explicit dtypes and
    neuprint-python's column names.

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
    compiled = to_cypher(statement, transport.dialect, schema=transport.schema)
    table = transport.execute(compiled)
    schema = transport.schema
    kinds = dict(schema.node_properties) if schema is not None else {}
    return shape(table.to_frame(), kinds)
