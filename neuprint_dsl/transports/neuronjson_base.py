"""What every neuronjson transport shares: compile, ask the store, filter, shape.

A subclass says how to run a ``/query`` and how to fetch ``/all``; :meth:`run` does the rest:
compile the predicate (:func:`~neuprint_dsl.neuronjson.to_neuronjson`), send the widest exact
query, evaluate the residual on the returned records, sort by body id and de-duplicate (DVID
returns lexicographic order from its key-value store and repeats ids on its body-id fast path).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import CapabilityError, InvalidArgument, LoadError
from ..neuronjson import NeuronJsonPlan, Query, to_neuronjson
from ..query import Neurons

Record = Mapping[str, Any]
SHOW = (None, "user", "time", "all")


class NeuronJsonTransport:
    """Base of :class:`LocalNeuronJson` and :class:`DvidHTTP`."""

    dialect = "neuronjson"

    def __init__(
        self,
        *,
        field_names: Mapping[str, str] | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.field_names = dict(field_names or {})
        self.kinds = dict(kinds or {})

    # -- what a store must provide ---------------------------------------------------------

    def query_records(self, query: Query, show: str | None = None) -> list[Record]:
        """Records DVID's ``/query`` returns for ``query``."""
        raise NotImplementedError

    def all_records(self, show: str | None = None) -> list[Record]:
        """Every record (DVID's ``/all``)."""
        raise NotImplementedError

    # -- the shared part -------------------------------------------------------------------

    def plan(self, query: Any, strict: bool = False) -> NeuronJsonPlan:
        """The compiled plan for a statement, query text or neuron predicate."""
        statement = _statement(query)
        return to_neuronjson(
            statement.where, strict, field_names=self.field_names, kinds=self.kinds
        )

    def run(self, query: Any, *, strict: bool = False, show: str | None = None) -> pd.DataFrame:
        """Run ``neurons(...)`` (or text, or a neuron predicate): one row per body, a
        ``bodyid`` int64 column first, sorted by body id. ``show`` keeps ``*_user``/``*_time``
        fields (``"user"``, ``"time"`` or ``"all"``)."""
        if show not in SHOW:
            raise InvalidArgument(f"show must be one of {SHOW}, not {show!r}")
        statement = _statement(query)
        plan = to_neuronjson(
            statement.where, strict, field_names=self.field_names, kinds=self.kinds
        )
        if plan.matches_nothing:
            records: list[Record] = []
        elif plan.query is None:
            records = self.all_records(show)
        else:
            records = self.query_records(plan.query, show)
        return records_frame(plan.filter(records), statement, plan.field_names)


def _statement(query: Any) -> Neurons:
    from ..execute import as_statement

    statement = as_statement(query)
    if not isinstance(statement, Neurons):
        what = type(statement).__name__.lower()
        raise CapabilityError(
            what, "DVID neuronjson (annotations only)", supported_by=("neo4j", "ladybug")
        )
    return statement


def records_frame(
    records: Iterable[Record], statement: Neurons, field_names: Mapping[str, str]
) -> pd.DataFrame:
    """Records as a DataFrame: de-duplicated, ordered (by body id unless the statement says
    otherwise; missing values last), limited, ``bodyid`` first."""
    key = field_names.get("bodyId", "bodyid")
    by_id: dict[int, Record] = {}
    for record in records:
        body = record.get(key)
        if isinstance(body, bool) or not isinstance(body, int):
            raise LoadError(
                "the annotation store", f"a record without an integer {key!r}: {dict(record)!r}"
            )
        by_id.setdefault(body, record)
    rows = [by_id[b] for b in sorted(by_id)]
    for order in reversed(statement.order_by):  # stable sorts, last key first
        name = field_names.get(order.field, order.field)
        present = [r for r in rows if _sortable(r.get(name))]
        missing = [r for r in rows if not _sortable(r.get(name))]
        present.sort(key=lambda r: _sort_key(r.get(name)), reverse=order.descending)
        rows = present + missing
    if statement.limit is not None:
        rows = rows[: statement.limit]
    columns = _columns(rows, statement, field_names, key)
    frame = pd.DataFrame(
        {c: pd.Series([r.get(c) for r in rows], dtype=object) for c in columns},
        index=pd.RangeIndex(len(rows)),
    )
    frame[key] = frame[key].astype("int64")
    return frame


def _sortable(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _sort_key(value: Any) -> tuple[int, Any]:
    # numbers before strings, so that mixed values still sort deterministically
    return (0, value) if isinstance(value, (int, float)) else (1, value)


def _columns(
    rows: Sequence[Record], statement: Neurons, field_names: Mapping[str, str], key: str
) -> list[str]:
    if statement.columns is not None:
        wanted = [field_names.get(c, c) for c in statement.columns]
        return [key, *[c for c in wanted if c != key]]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return [key, *sorted(c for c in seen if c != key)]


def hide_metadata(record: Record, show: str | None) -> dict[str, Any]:
    """Drop ``*_user``/``*_time`` fields as DVID does unless ``show`` asks for them."""
    keep_user = show in ("user", "all")
    keep_time = show in ("time", "all")
    return {
        k: v
        for k, v in record.items()
        if not (k.endswith("_user") and not keep_user)
        and not (k.endswith("_time") and not keep_time)
    }
