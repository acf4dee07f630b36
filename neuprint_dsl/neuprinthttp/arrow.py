"""neuPrintHTTP's Arrow answers (``/api/custom/arrow``), read whole and only when exact.

neuPrintHTTP (1.7.3 and later) types each Arrow column from its first row and turns later
values that do not fit into nulls or truncated numbers, so the transport takes an Arrow answer
only for columns of body ids and weights that came back as complete int64 (:func:`not_exact`
says why not otherwise); a stream without its end-of-stream marker is cut short and raises
:class:`~neuprint_dsl.errors.TransportError`. pyarrow is an optional extra.

Example:
    >>> sorted(ARROW_COLUMNS)
    ['bodyId', 'bodyId_post', 'bodyId_pre', 'weight', 'weightHP']
"""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd

from ..errors import TransportError
from .answers import Reply, query_suffix

__all__ = [
    "ARROW_COLUMNS",
    "ARROW_EMPTY",
    "ARROW_MIN_VERSION",
    "arrow_frame",
    "not_exact",
    "pyarrow_module",
    "read_arrow",
]

#: The first neuPrintHTTP version that serves ``/api/custom/arrow``.
ARROW_MIN_VERSION = (1, 7, 3)
_ARROW_TYPE = "application/vnd.apache.arrow.stream"
#: The end-of-stream marker of an Arrow IPC stream (continuation token, then length 0), and the
#: 4-byte form of format versions before 0.15.
_ARROW_EOS = (b"\xff\xff\xff\xff\x00\x00\x00\x00", b"\x00\x00\x00\x00")
#: neuPrintHTTP's answer (HTTP 500) from /api/custom/arrow to a query with no rows.
ARROW_EMPTY = "error converting to Arrow format: no data to convert: empty result set"
#: Columns the Arrow endpoint may carry (see NeuprintHTTP.execute): neuPrint stores body ids
#: and connection weights as integers on every node and edge, and the executor requires them
#: complete ints (the same names as neuprint_dsl.frames.ID_COLUMNS; a test checks it).
ARROW_COLUMNS = frozenset({"bodyId", "bodyId_pre", "bodyId_post", "weight", "weightHP"})


def pyarrow_module() -> Any:
    """pyarrow with its ``ipc`` module (ImportError without it; it is an optional extra).

    Example:
        >>> pyarrow_module().__name__  # doctest: +SKIP
        'pyarrow'
    """
    importlib.import_module("pyarrow.ipc")
    return importlib.import_module("pyarrow")


def read_arrow(reply: Reply, url: str, query: str | None) -> Any:
    """The answer of ``/api/custom/arrow`` as a ``pyarrow.Table``; a stream that does not
    end with the end-of-stream marker right after its last message (cut short, even exactly
    between two record batches, which pyarrow's reader accepts) raises
    :class:`~neuprint_dsl.errors.TransportError`.

    Example:
        >>> read_arrow(Reply(200, {"Content-Type": "text/html"}, b"", "OK"), "http://x", None)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.TransportError: http://x answered 'text/html', not an Arrow stream
    """
    pa = pyarrow_module()
    content_type = reply.headers.get("Content-Type", "")
    if _ARROW_TYPE not in content_type:
        raise TransportError(
            f"{url} answered {content_type!r}, not an Arrow stream" + query_suffix(query)
        )
    buffer = pa.py_buffer(reply.content)
    try:
        source = pa.BufferReader(buffer)
        messages = pa.ipc.MessageReader.open_stream(source)
        count, end = 0, 0
        while True:
            end = source.tell()
            try:
                messages.read_next_message()
            except StopIteration:
                break
            count += 1
        if reply.content[end:] not in _ARROW_EOS:
            raise pa.ArrowInvalid(
                f"no end-of-stream marker after its {count} messages (the last "
                f"{len(reply.content) - end} bytes are not one)"
            )
        table = pa.ipc.open_stream(buffer).read_all()
    except (pa.ArrowInvalid, OSError) as err:
        raise TransportError(
            f"invalid Arrow stream from {url} ({err}; {len(reply.content)} bytes): the "
            "answer is possibly truncated" + query_suffix(query)
        ) from None
    return table


def not_exact(table: Any, expected: tuple[str, ...]) -> str:
    """Why an Arrow answer of body ids and weights could differ from the JSON one ("" when it
    cannot). neuPrintHTTP's arrow.go types each column from its first row and appends a null
    for a later value of another kind (a string, a bool, a list) and a truncated int for a
    float; an int64 column without nulls therefore held only integers (or floats, which the
    executor's int64 columns truncate alike).

    Example:
        >>> import pyarrow as pa  # doctest: +SKIP
        >>> not_exact(pa.table({"weight": [1, None]}), ("weight",))  # doctest: +SKIP
        "column 'weight' has 1 nulls"
    """
    pa = pyarrow_module()
    if tuple(table.column_names) != expected:
        return f"columns {table.column_names}"
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.type != pa.int64():
            return f"column {name!r} came back as {column.type}"
        if column.null_count:
            return f"column {name!r} has {column.null_count} nulls"
    return ""


def arrow_frame(table: Any) -> pd.DataFrame:
    """A checked all-int64 Arrow table as a DataFrame of int64 columns.

    Example:
        >>> import pyarrow as pa  # doctest: +SKIP
        >>> arrow_frame(pa.table({"bodyId": [1, 2]})).dtypes.tolist()  # doctest: +SKIP
        [dtype('int64')]
    """
    return pd.DataFrame(
        {
            name: column.to_numpy()
            for name, column in zip(table.column_names, table.columns, strict=True)
        },
        columns=list(table.column_names),
    )
