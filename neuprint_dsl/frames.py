"""Result shaping: explicit dtypes and the column names neuprint-python users know.

Two shapers, one per kind of answer: :func:`shape` types the table a Cypher backend returns;
:func:`records_frame` turns the annotation records a DVID neuronjson store returns (already
filtered by the plan's residual) into the rows of a ``neurons`` statement, ordering,
grouping and limiting them by the reference interpreter's rules.

Body ids and weights are ``int64``; other integer properties are pandas' nullable ``Int64``
(missing is ``<NA>``), floats ``float64`` (missing is ``NaN``), booleans nullable
``boolean``, strings and everything else ``object`` with ``None`` for missing. Kinds come
from the transport's schema, or, without one, from the values themselves.

Example:
    >>> import pandas as pd
    >>> df = shape(pd.DataFrame({"bodyId": [1.0, 2.0], "pre": [3, None], "type": ["KC", None]}),
    ...            {"pre": "int", "type": "str"})
    >>> [str(t) for t in df.dtypes]
    ['int64', 'Int64', 'object']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from .errors import InvalidArgument, LoadError, TransportError
from .neuronjson import client_rows
from .query import (
    Connections,
    Mitochondria,
    Neurons,
    SynapseConnections,
    Synapses,
    column_name,
)

Record = Mapping[str, Any]

#: Columns that are always present and never missing: plain int64.
ID_COLUMNS = frozenset({"bodyId", "bodyId_pre", "bodyId_post", "weight", "weightHP"})

_DTYPES: dict[str, Any] = {"int": "Int64", "float": "float64", "bool": "boolean"}


def shape(
    frame: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    *,
    required_ints: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Give each column its explicit dtype; ``kinds`` maps property names to schema kinds
    (``int``, ``float``, ``bool``, ``str``, ...). Column names ending in ``_pre``/``_post``
    take the kind of the property they come from. ``required_ints`` are columns that are
    never missing (synapse coordinates, ...): plain ``int64`` like body ids.
    """
    kinds = kinds or {}
    out = {}
    for name in frame.columns:
        column = frame[name]
        base = name[:-4] if name.endswith("_pre") else name[:-5] if name.endswith("_post") else name
        if name in ID_COLUMNS or name in required_ints:
            out[name] = _as_int64(column, name)
            continue
        is_text = isinstance(column.dtype, pd.StringDtype)
        kind = kinds.get(name, kinds.get(base)) or ("str" if is_text else _inferred_kind(column))
        dtype = _DTYPES.get(kind)
        if dtype is not None:
            out[name] = column.astype(dtype)
        elif is_text:  # one pass from the Arrow-backed strings (2-3x faster than two)
            values = column.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
            out[name] = pd.Series(values, index=column.index, dtype=object)
        else:
            out[name] = column.astype(object).where(column.notna(), None)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def shape_statement(
    frame: pd.DataFrame, statement: Any, node_kinds: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """:func:`shape` for the rows of ``statement`` (a Cypher backend's answer): the column
    kinds and never-missing int columns that statement's kind implies; ``node_kinds`` are
    the dataset's neuron property kinds (from its schema, for neurons and connections).

    Example:
        >>> import pandas as pd
        >>> from neuprint_dsl import synapses
        >>> df = shape_statement(pd.DataFrame({"bodyId": [1], "x": [2.0], "confidence": [1]}),
        ...                      synapses())
        >>> [str(t) for t in df.dtypes]
        ['int64', 'int64', 'float64']
    """
    kinds, required = _STATEMENT_COLUMNS[type(statement)](statement, node_kinds or {})
    return shape(frame, kinds, required_ints=required)


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
_GROUP_COUNTS = frozenset({"n_pre", "n_post", "n_connections"})

Columns = tuple[Mapping[str, str], frozenset[str]]


def _neuron_columns(statement: Neurons, node_kinds: Mapping[str, str]) -> Columns:
    """Int columns of neurons that are never missing: counts (of a group, of neurons) and
    returned ROI counts (a missing ROI counts 0)."""
    names = {column_name(c) for c in statement.columns or () if not isinstance(c, str)}
    names |= {a.name for a in statement.aggregates if a.function == "count"}
    return node_kinds, frozenset(names)


def _connection_columns(statement: Connections, node_kinds: Mapping[str, str]) -> Columns:
    return node_kinds, _GROUP_COUNTS if statement.group_keys else frozenset()


def _synapse_columns(statement: Synapses, node_kinds: Mapping[str, str]) -> Columns:
    required = {"x", "y", "z"}
    if statement.closest_mitochondria:
        required |= {"size", "mx", "my", "mz"}
    return _POINT_KINDS, frozenset(required)


def _mito_columns(statement: Mitochondria, node_kinds: Mapping[str, str]) -> Columns:
    return _POINT_KINDS, frozenset({"x", "y", "z", "size"})


def _synapse_pair_columns(statement: SynapseConnections, node_kinds: Mapping[str, str]) -> Columns:
    kinds = dict(_POINT_KINDS)
    if not statement.primary_only:
        kinds["roi"] = "list"
    kinds.update(mx="int", my="int", mz="int")  # missing without a closest mitochondrion
    return kinds, _REQUIRED_INTS


#: the column kinds and never-missing int columns of a statement's rows, by its type
_STATEMENT_COLUMNS: dict[type, Callable[[Any, Mapping[str, str]], Columns]] = {
    Neurons: _neuron_columns,
    Connections: _connection_columns,
    Synapses: _synapse_columns,
    Mitochondria: _mito_columns,
    SynapseConnections: _synapse_pair_columns,
}


_INFERRED = {
    "integer": "int",
    "floating": "float",
    "mixed-integer-float": "float",
    "boolean": "bool",
}


def _inferred_kind(column: pd.Series) -> str:
    """The kind of a column whose property kind is unknown (no schema), from its values."""
    return _INFERRED.get(pd.api.types.infer_dtype(column, skipna=True), "")


def _as_int64(column: pd.Series, name: str) -> pd.Series:
    if column.isna().any():
        raise TransportError(
            f"the answer's column {name!r} has missing values; it must be a complete int64"
        )
    return column.astype("int64")


def records_frame(
    records: Iterable[Record],
    statement: Neurons,
    field_names: Mapping[str, str],
    *,
    bodyid_column: str | None = None,
) -> pd.DataFrame:
    """DVID annotation records as the rows of ``statement``: de-duplicated by body id,
    ordered (by body id unless the statement says otherwise; missing values last), grouped,
    limited, the body id column first as ``int64`` (``uint64`` when an id is 2**63 or more).
    ``field_names`` maps DSL names to the store's keys (``bodyId`` -> ``bodyid``);
    ``bodyid_column`` renames the body id column (``"bodyId"`` as neuPrint names it).

    Example:
        >>> recs = [{"bodyid": 2, "type": "KC"}, {"bodyid": 1}, {"bodyid": 2, "type": "KC"}]
        >>> records_frame(recs, Neurons(), {}).to_dict("list")
        {'bodyid': [1, 2], 'type': [None, 'KC']}
        >>> records_frame(recs, Neurons(), {}, bodyid_column="bodyId").columns.tolist()
        ['bodyId', 'type']
    """
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
        columns = _record_columns(rows, statement, field_names, key)
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
    if bodyid_column is not None and bodyid_column != key:
        if bodyid_column in frame.columns:
            raise InvalidArgument(
                f"bodyid_column={bodyid_column!r}: the records already have a field of "
                f"that name; choose another name"
            )
        frame = frame.rename(columns={key: bodyid_column})
    return frame


def _record_columns(
    rows: Sequence[Record], statement: Neurons, field_names: Mapping[str, str], key: str
) -> list[str]:
    """The columns of ``neurons`` rows built from records: the body id, then the statement's
    columns, or (without ``return``) every field any row has, alphabetically."""
    if statement.columns is not None:
        wanted = [field_names.get(c, c) for c in map(column_name, statement.columns)]
        return [key, *[c for c in wanted if c != key]]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return [key, *sorted(c for c in seen if c != key)]
