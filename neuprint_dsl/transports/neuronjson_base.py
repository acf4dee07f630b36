"""What every DVID neuronjson store shares: answer a query with records, nothing more.

A store moves JSON: :meth:`NeuronJsonTransport.execute` sends a compiled neuronjson query to
``/query`` (or asks ``/all`` for every record) and returns the records as they come. Compiling
the statement, filtering the records by the plan's residual and shaping the rows are the
executor's (:mod:`neuprint_dsl.execute`, :mod:`neuprint_dsl.neuronjson`,
:func:`neuprint_dsl.frames.records_frame`); a concrete store (:class:`LocalNeuronJson`,
:class:`DvidHTTP`) inherits ``run`` and ``plan`` from :class:`neuprint_dsl.execute.Runs`.

Example:
    >>> from neuprint_dsl.transports import LocalNeuronJson
    >>> LocalNeuronJson([{"bodyid": 1, "type": "KC", "type_user": "jo"}]).execute({"type": "KC"})
    [{'bodyid': 1, 'type': 'KC'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backends import NEURONJSON
from ..neuronjson import Query
from .base import Record


class NeuronJsonTransport:
    """Base of :class:`LocalNeuronJson` and :class:`DvidHTTP`: ``field_names`` maps DSL
    names to the store's keys, ``kinds`` declares the kinds of further fields (both read by
    the compiler). A subclass says how to run a ``/query`` and how to fetch ``/all``."""

    dialect = NEURONJSON

    def __init__(
        self,
        *,
        field_names: Mapping[str, str] | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.field_names: Mapping[str, str] = dict(field_names or {})
        self.kinds: Mapping[str, str] = dict(kinds or {})

    # -- what a store must provide ---------------------------------------------------------

    def query_records(self, query: Query, show: str | None = None) -> list[Record]:
        """Records DVID's ``/query`` returns for ``query``."""
        raise NotImplementedError

    def all_records(self, show: str | None = None) -> list[Record]:
        """Every record (DVID's ``/all``)."""
        raise NotImplementedError

    # -- the NeuronJsonStore protocol ------------------------------------------------------

    def execute(self, query: Query | None, show: str | None = None) -> list[Record]:
        """The records DVID returns for ``query`` (``None``: every record, as ``/all``),
        unfiltered and in the store's order; ``show`` keeps ``*_user``/``*_time`` fields."""
        return self.all_records(show) if query is None else self.query_records(query, show)


def hide_metadata(record: Record, show: str | None) -> dict[str, Any]:
    """Drop ``*_user``/``*_time`` fields as DVID does unless ``show`` asks for them.

    Example:
        >>> hide_metadata({"type": "KC", "type_user": "jo", "type_time": "t"}, "user")
        {'type': 'KC', 'type_user': 'jo'}
    """
    keep_user = show in ("user", "all")
    keep_time = show in ("time", "all")
    return {
        k: v
        for k, v in record.items()
        if not (k.endswith("_user") and not keep_user)
        and not (k.endswith("_time") and not keep_time)
    }
