"""A transport for tests: records every query and answers from canned tables.

Example:
    >>> from neuprint_dsl import N, neurons
    >>> rec = Recording(lambda query: [[1, "APL"]])
    >>> rec.run(neurons(N.type == "APL", columns=["bodyId", "type"]))["type"].tolist()
    ['APL']
    >>> print(rec.sent[-1].splitlines()[1])
    WHERE n.type = 'APL'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ..backends import NEO4J
from ..cypher.statement import CypherStatement
from ..execute import Runs
from ..schema import GraphSchema
from .base import Table

Answer = Callable[[str], "Sequence[Sequence[Any]] | pd.DataFrame | None"]


class Recording(Runs):
    """Records what would be sent (``sent``: the inline Cypher texts; ``statements``: the
    compiled statements) and answers each query with ``answer(cypher_text)``: rows, a
    DataFrame, or ``None`` for no rows. ``run`` is the executor's (:class:`Runs`)."""

    def __init__(
        self,
        answer: Answer | None = None,
        *,
        dialect: str = NEO4J,
        schema: GraphSchema | None = None,
        dataset: str = "recorded",
    ) -> None:
        self.dialect = dialect
        self.dataset = dataset
        self._answer = answer or (lambda cypher: None)
        self._schema = schema
        self.statements: list[CypherStatement] = []
        self.sent: list[str] = []

    @property
    def schema(self) -> GraphSchema | None:
        """The schema given (or ``None``)."""
        return self._schema

    def execute(self, statement: CypherStatement) -> Table:
        """Record a compiled statement and answer it."""
        text = statement.inline()
        self.statements.append(statement)
        self.sent.append(text)
        rows = self._answer(text)
        if rows is None:
            rows = []
        if isinstance(rows, pd.DataFrame):
            return Table(tuple(rows.columns), rows)
        return Table(statement.columns, rows)

    def fetch_custom(self, cypher: str, format: str = "pandas") -> Any:
        """Record raw Cypher and answer it with a DataFrame (or the JSON shape)."""
        self.sent.append(cypher)
        rows = self._answer(cypher)
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows or [])
        if format == "json":
            return {"columns": list(frame.columns), "data": frame.values.tolist()}
        return frame
