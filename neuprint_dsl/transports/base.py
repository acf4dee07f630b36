"""The transport interface: run a compiled query, return a table (DESIGN section 7).

A transport knows how to reach one backend and nothing about query building: the executor
(:mod:`neuprint_dsl.execute`) compiles for the transport's ``dialect`` and turns the returned
:class:`Table` into a DataFrame.

Example:
    >>> t = Table(("bodyId", "type"), [(1, "KC"), (2, None)])
    >>> t.to_frame().shape
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import pandas as pd

if TYPE_CHECKING:
    from ..cypher import CypherStatement, GraphSchema


def _names(columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(columns)


@attrs.frozen(slots=True)
class Table:
    """Column names and rows, or a ready DataFrame, as a backend returned them."""

    columns: tuple[str, ...] = attrs.field(converter=_names)
    rows: Sequence[Sequence[Any]] | pd.DataFrame = attrs.field(eq=False)

    def to_frame(self) -> pd.DataFrame:
        """The rows as an untyped DataFrame with the given column names."""
        if isinstance(self.rows, pd.DataFrame):
            return self.rows.set_axis(list(self.columns), axis=1)  # a new frame, not in place
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


@runtime_checkable
class CypherTransport(Protocol):
    """A backend that runs Cypher: ``dialect`` says which, ``schema`` (if known) lets the
    compiler check ROI names and fold properties the graph lacks."""

    dialect: str

    @property
    def schema(self) -> GraphSchema | None: ...

    def execute(self, statement: CypherStatement) -> Table:
        """Run one compiled statement and return its rows."""
        ...
