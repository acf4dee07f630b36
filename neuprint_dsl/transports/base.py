"""The transport interface: what the executor asks of a backend (DESIGN section 7).

A transport knows how to reach one backend and nothing about query building: the executor
(:mod:`neuprint_dsl.execute`) looks up the transport's ``dialect`` (a backend name,
:mod:`neuprint_dsl.backends`), compiles for it, calls the transport's ``execute`` and shapes
what comes back (:mod:`neuprint_dsl.frames`). Two kinds, by the language of the backend:

* :class:`CypherTransport` runs a compiled :class:`~neuprint_dsl.cypher.CypherStatement`
  and returns a :class:`Table`;
* :class:`NeuronJsonStore` sends a DVID neuronjson query (or asks for every record) and
  returns the records, as JSON objects.

Optional capabilities the executor uses when a transport has them (checked with
``isinstance``, as the protocols are runtime-checkable): :class:`SortsRows` (the transport
sorts rows itself, faster than its engine's ORDER BY), :class:`TypesLater` (rows meant for
:func:`~neuprint_dsl.frames.shape` may come back in cheaper dtypes), :class:`ArrowRows`
(rows as a ``pyarrow.Table``, for callers that shape large results themselves) and
:class:`AnswersDirectly` (some statements answered without the engine, the same rows).

Example:
    >>> t = Table(("bodyId", "type"), [(1, "KC"), (2, None)])
    >>> t.to_frame().shape
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import pandas as pd

if TYPE_CHECKING:
    from ..cypher.statement import CypherStatement
    from ..neuronjson import Query
    from ..schema import GraphSchema

#: Sort keys: result column names, each with ``True`` for descending.
SortKeys = Sequence[tuple[str, bool]]

#: A DVID annotation record (a JSON object).
Record = Mapping[str, Any]


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
class Transport(Protocol):
    """Any transport: ``dialect`` names its backend (``neo4j``, ``ladybug``, ``neuronjson``;
    :data:`neuprint_dsl.backends.BACKENDS`)."""

    dialect: str


@runtime_checkable
class CypherTransport(Transport, Protocol):
    """A backend that runs Cypher: ``dialect`` says which, ``schema`` (if known) lets the
    compiler check ROI names and fold properties the graph lacks."""

    @property
    def schema(self) -> GraphSchema | None: ...

    def execute(self, statement: CypherStatement) -> Table:
        """Run one compiled statement and return its rows."""
        ...


@runtime_checkable
class NeuronJsonStore(Transport, Protocol):
    """A DVID neuronjson annotation store: moves JSON, nothing else. ``field_names`` maps DSL
    names to the store's keys and ``kinds`` declares field kinds, for the compiler."""

    field_names: Mapping[str, str]
    kinds: Mapping[str, str]

    def execute(self, query: Query | None, show: str | None = None) -> list[Record]:
        """The records DVID's ``/query`` returns for ``query`` (``None``: every record, as
        ``/all``); ``show`` keeps ``*_user``/``*_time`` fields."""
        ...


@runtime_checkable
class SortsRows(Protocol):
    """A Cypher transport that can sort a result itself, in the same order as its engine's
    ORDER BY for keys that are never null (the embedded engine: 2x faster on Arrow)."""

    def execute_sorted(self, statement: CypherStatement, order: SortKeys) -> Table:
        """Run ``statement`` (compiled without its final ORDER BY) and sort its rows by
        ``order``."""
        ...


@runtime_checkable
class TypesLater(Protocol):
    """A Cypher transport whose rows may come back in cheaper dtypes when the caller gives
    every column its dtype at once with :func:`~neuprint_dsl.frames.shape` (neuPrint over
    HTTP: an all-int column as int64 rather than objects; shape then gives the same frame)."""

    def execute_to_shape(self, statement: CypherStatement) -> Table:
        """:meth:`CypherTransport.execute`, for a caller that shapes the table at once."""
        ...


@runtime_checkable
class ArrowRows(Protocol):
    """A Cypher transport that returns a result as a ``pyarrow.Table`` (the embedded
    engine), for callers that shape large results themselves (``fetch_synapses``)."""

    def execute_arrow(self, statement: CypherStatement) -> Any:
        """Run one compiled statement; its rows as a ``pyarrow.Table``."""
        ...


@runtime_checkable
class AnswersDirectly(Protocol):
    """A Cypher transport that answers some statements from something faster than its
    engine, with the frame ``run`` would return from the engine's rows: the same rows, order,
    dtypes and index (the embedded engine: per-ROI connection rows sliced from a sorted
    companion file, docs/embedded.md). The executor compiles a statement first (so that an
    invalid one is refused the same way), then asks; ``None`` means "run the compiled
    statement"."""

    def answer_directly(self, statement: Any) -> pd.DataFrame | None:
        """The shaped frame of ``statement``, or ``None``."""
        ...
