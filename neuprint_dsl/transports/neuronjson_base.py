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
from ..neuronjson import NeuronJsonPlan, Query, client_rows, to_neuronjson
from ..query import Neurons, column_name

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

    def run(
        self,
        query: Any,
        *,
        strict: bool = False,
        show: str | None = None,
        bodyid_column: str = "bodyid",
    ) -> pd.DataFrame:
        """Run ``neurons(...)`` (or text, or a neuron predicate): one row per body, a
        ``bodyid`` int64 column first, sorted by body id. ``show`` keeps ``*_user``/``*_time``
        fields (``"user"``, ``"time"`` or ``"all"``). ``bodyid_column="bodyId"`` names the
        body-id column as neuPrint results do, so the two join without renaming.

        Example:
            >>> from neuprint_dsl.transports import LocalNeuronJson
            >>> LocalNeuronJson([{"bodyid": 5, "type": "KC"}]).run(
            ...     'type = "KC"', bodyid_column="bodyId").columns.tolist()
            ['bodyId', 'type']
        """
        if show not in SHOW:
            raise InvalidArgument(f"show must be one of {SHOW}, not {show!r}")
        if not isinstance(bodyid_column, str) or not bodyid_column:
            raise InvalidArgument(f"bodyid_column must be a column name, not {bodyid_column!r}")
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
        frame = records_frame(plan.filter(records), statement, plan.field_names)
        key = plan.field_names.get("bodyId", "bodyid")
        if bodyid_column != key:
            if bodyid_column in frame.columns:
                raise InvalidArgument(
                    f"bodyid_column={bodyid_column!r}: the records already have a field of "
                    f"that name; choose another name"
                )
            frame = frame.rename(columns={key: bodyid_column})
        return frame


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
    # ordering, grouping and limit: the reference interpreter's rules (neuronjson.client_rows)
    rows, wanted = client_rows([by_id[b] for b in sorted(by_id)], statement, field_names)
    if statement.group_keys:
        columns = list(wanted or ())
    else:
        columns = _columns(rows, statement, field_names, key)
    frame = pd.DataFrame(
        {c: pd.Series([r.get(c) for r in rows], dtype=object) for c in columns},
        index=pd.RangeIndex(len(rows)),
    )
    if key in frame.columns:  # int64; uint64 if an id is 2**63 or more (DVID keys are uint64)
        low, high = (min(by_id), max(by_id)) if by_id else (0, 0)
        wide = low >= 0 and high >= 2**63
        if low < -(2**63) or high >= 2 ** (64 if wide else 63):
            raise LoadError(
                "the annotation store",
                f"body ids from {low} to {high} fit neither int64 nor uint64",
            )
        frame[key] = frame[key].astype("uint64") if wide else frame[key].astype("int64")
    return frame


def _columns(
    rows: Sequence[Record], statement: Neurons, field_names: Mapping[str, str], key: str
) -> list[str]:
    if statement.columns is not None:
        wanted = [field_names.get(c, c) for c in map(column_name, statement.columns)]
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
