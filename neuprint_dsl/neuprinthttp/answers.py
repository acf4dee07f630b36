"""Reading neuPrintHTTP's answers and failures.

A reply is read whole (:class:`Reply`); a non-2xx one becomes a
:class:`~neuprint_dsl.errors.ServerError` with the server's own message
(:class:`~neuprint_dsl.errors.ServerTimeout` for its timeouts); a Cypher answer must be JSON
with ``columns`` (strings) and ``data`` (rows of that many cells), else
:class:`~neuprint_dsl.errors.TransportError` (the answer is possibly truncated): never a
partial table.

Example:
    >>> columns_and_data({"columns": ["a"], "data": [[1]]}, "http://x", None)
    (('a',), [[1]])
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import urllib3.exceptions

from ..errors import ServerError, ServerTimeout, TransportError
from ..http_session import shorten
from .decode import CheckedAnswer, decode_answer, json_loads

__all__ = [
    "Reply",
    "columns_and_data",
    "is_read_timeout",
    "loads",
    "parse_version",
    "plain",
    "query_suffix",
    "read_timeout",
    "server_error",
]

_TIMEOUT_WORDS = re.compile(r"time ?out|timed ?out", re.IGNORECASE)


@attrs.frozen(slots=True)
class Reply:
    """An answer with its whole body read.

    Example:
        >>> Reply(200, {"Content-Type": "application/json"}, b"{}", "OK").status
        200
    """

    status: int
    headers: Mapping[str, str]
    content: bytes
    reason: str


def server_error(reply: Reply, url: str, query: str | None) -> ServerError:
    """The error for a non-2xx answer: neuPrintHTTP's ``{"error"}`` (its own handlers) or
    ``{"message"}`` (echo's and the auth middleware's), else the body's text; a timeout
    (neuPrintHTTP's 400 "Timeout experienced", a proxy's 504) is a
    :class:`~neuprint_dsl.errors.ServerTimeout`.

    Example:
        >>> err = server_error(Reply(400, {}, b'{"error": "bad query"}', "Bad Request"), "u", "RETURN x")
        >>> type(err).__name__, err.status, err.message
        ('ServerError', 400, 'bad query')
    """
    status = reply.status
    text = reply.content.decode("utf-8", "replace").strip()
    message = text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                message = value
                break
        if body.get("tos_required"):
            message += f" (accept the terms of service at {body.get('tos_url')})"
    if not message:
        message = f"{reply.reason or 'no message'} ({url})"
    message = shorten(message)  # a proxy's 502 page can be 24 kB of HTML
    # neuPrintHTTP replaces any Neo4j error mentioning "Timeout" by a 400 "Timeout experienced.
    # ..."; a 504 is a proxy giving up on a slow query. (neuprint-python's own check,
    # `if ex.response and ...`, never fires: a 4xx/5xx Response is falsy.)
    if status == 504 or (400 <= status < 500 and _TIMEOUT_WORDS.search(message)):
        return ServerTimeout(status, message, query)
    return ServerError(status, message, query)


def loads(
    content: bytes, url: str, query: str | None, *, fast: bool = False, width: int | None = None
) -> Any:
    """The JSON answer from ``url`` (with ``fast``, read as a Cypher answer by
    :func:`~neuprint_dsl.neuprinthttp.decode.decode_answer`, rows of ``width`` cells);
    invalid JSON (a cut answer) raises :class:`~neuprint_dsl.errors.TransportError`.

    Example:
        >>> loads(b'{"Version": "1.9.2"}', "http://x/api/version", None)
        {'Version': '1.9.2'}
        >>> loads(b'{"columns": ["a"], "da', "http://x/api/custom/custom", "RETURN 1 AS a")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.TransportError: invalid JSON from http://x/api/custom/custom ...
    """
    try:
        return decode_answer(content, width) if fast else json_loads(content)
    except (ValueError, RecursionError) as err:
        raise TransportError(
            f"invalid JSON from {url} ({err}; {len(content)} bytes, ending "
            f"{content[-40:]!r}): the answer is possibly truncated" + query_suffix(query)
        ) from None


def columns_and_data(
    document: Any, url: str, query: str | None
) -> tuple[tuple[str, ...], list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]]:
    """Check a ``/api/custom/custom`` answer: ``columns`` (strings) and ``data`` (rows of
    that many cells).

    Example:
        >>> columns_and_data({"columns": ["a", "b"], "data": [[1]]}, "http://x", None)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.TransportError: unexpected 'data' from http://x: every row must be a list of 2 cells
    """
    if not isinstance(document, dict) or "columns" not in document or "data" not in document:
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise TransportError(
            f"unexpected answer from {url}: expected an object with 'columns' and 'data', got "
            f"{keys}" + query_suffix(query)
        )
    columns, data = document["columns"], document["data"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise TransportError(f"unexpected 'columns' from {url}: {columns!r}" + query_suffix(query))
    width = len(columns)
    if isinstance(document, CheckedAnswer) and document.width == width:
        return tuple(columns), data  # the decoder read every row as a tuple of `width` cells
    if isinstance(data, np.ndarray):
        if data.shape[1] != width:
            raise TransportError(
                f"unexpected 'data' from {url}: every row must be a list of {width} cells, "
                f"not {data.shape[1]}" + query_suffix(query)
            )
        return tuple(columns), data
    # rows are lists (json.loads) or tuples (decode_answer); two C-speed passes
    if not isinstance(data, list) or (
        data and (not set(map(type, data)) <= {list, tuple} or set(map(len, data)) != {width})
    ):
        raise TransportError(
            f"unexpected 'data' from {url}: every row must be a list of {width} cells"
            + query_suffix(query)
        )
    return tuple(columns), data


def query_suffix(query: str | None) -> str:
    """The end of an error message that shows the query sent ("" without one).

    Example:
        >>> query_suffix("RETURN 1"), query_suffix(None)
        ('\\nquery was:\\nRETURN 1', '')
    """
    return f"\nquery was:\n{query}" if query else ""


def is_read_timeout(err: Exception) -> bool:
    """Whether ``err`` is a read timeout: requests turns one *while reading the body* into a
    ConnectionError.

    Example:
        >>> import requests
        >>> is_read_timeout(requests.ConnectionError(urllib3.exceptions.ReadTimeoutError(None, "/", "slow")))
        True
    """
    cause: object = err.args[0] if err.args else None
    return isinstance(cause, urllib3.exceptions.ReadTimeoutError)


def read_timeout(timeout: float | tuple[float, float]) -> float:
    """How long a read of the answer may wait, from a timeout or a ``(connect, read)`` pair.

    Example:
        >>> read_timeout(60.0), read_timeout((3.0, 120.0))
        (60.0, 120.0)
    """
    return timeout[1] if isinstance(timeout, tuple) else timeout


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``"1.9.2"`` -> ``(1, 9, 2)``; None when it is not a version.

    Example:
        >>> parse_version("v1.7.3"), parse_version("1.10"), parse_version("dev")
        ((1, 7, 3), (1, 10, 0), None)
    """
    match = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def plain(value: Any) -> Any:
    """A value read from Arrow as plain Python: arrays as lists, numpy scalars as numbers.

    Example:
        >>> plain({"a": np.array(["x", "y"]), "b": np.int64(3)})
        {'a': ['x', 'y'], 'b': 3}
    """
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
