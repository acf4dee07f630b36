"""Reading DVID's answers: records, body ids, keys and errors, checked whole.

DVID streams its answers, so an error can arrive as a cut answer with status 200: every
answer is checked whole here, and anything that is not one raises
:class:`~neuprint_dsl.errors.TransportError`, never a partial result. Annotations come back
sorted by body id and de-duplicated (DVID answers in lexicographic key order from its key-value
store and repeats ids on its body-id fast path). The rest reads a failed request: the
server's own message, and whether a failure was a timeout or happened before anything was sent.

Example:
    >>> sorted_records([{"bodyid": 10000}, {"bodyid": 23}, {"bodyid": 23}], "GET /all")
    [{'bodyid': 23}, {'bodyid': 10000}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import pandas as pd
import requests
import urllib3.exceptions
from urllib3.exceptions import MaxRetryError

from ..errors import TransportError
from ..frames import records_frame
from ..http_session import shorten
from ..query import Neurons
from .checks import BODYID, is_int
from .formats import decode_key_values, read_tar

__all__ = [
    "body_ids",
    "brief",
    "exhausted",
    "is_timeout",
    "json_object",
    "key_list",
    "keyed_records",
    "nothing_sent",
    "read_json",
    "records_table",
    "select_fields",
    "selected",
    "server_message",
    "sorted_records",
    "values_records",
]


# -- annotations ---------------------------------------------------------------------------


def select_fields(record: Mapping[str, Any], fields: list[str], show: str | None) -> dict[str, Any]:
    """DVID's ``selectFields``: ``bodyid``, the named fields present, and their
    ``F_user``/``F_time`` when ``show`` allows them (applied again on the client, because DVID
    ignores ``fields`` when it scans a version that is not held in memory).

    Example:
        >>> select_fields({"bodyid": 1, "type": "KC", "type_user": "me", "x": 2}, ["type"], "user")
        {'bodyid': 1, 'type': 'KC', 'type_user': 'me'}
    """
    out = {BODYID: record[BODYID]} if BODYID in record else {}
    for name in fields:
        if name == BODYID:
            continue
        wanted = [name]
        if show in ("user", "all"):
            wanted.append(name + "_user")
        if show in ("time", "all"):
            wanted.append(name + "_time")
        out.update((w, record[w]) for w in wanted if w in record)
    return out


def selected(
    found: list[dict[str, Any]], fields: list[str] | None, show: str | None
) -> list[dict[str, Any]]:
    """:func:`select_fields` of every record (all of each with ``fields=None``).

    Example:
        >>> selected([{"bodyid": 1, "type": "KC", "x": 2}], ["type"], None)
        [{'bodyid': 1, 'type': 'KC'}]
    """
    return found if fields is None else [select_fields(r, fields, show) for r in found]


def sorted_records(data: Any, what: str) -> list[dict[str, Any]]:
    """Annotations from a JSON list: checked, de-duplicated, sorted by body id (``what`` is
    the request, for the error).

    Example:
        >>> sorted_records([{"bodyid": 5, "type": "KC"}], "GET /all")
        [{'bodyid': 5, 'type': 'KC'}]
    """
    if not isinstance(data, list):
        raise TransportError(f"{what}: expected a JSON list of annotations, got {brief(data)}")
    by_id: dict[int, dict[str, Any]] = {}
    for item in data:
        if not isinstance(item, dict) or not is_int(item.get(BODYID)):
            raise TransportError(
                f"{what}: an answer item is not an annotation with a bodyid: {brief(item)}"
            )
        by_id.setdefault(item[BODYID], item)
    return [by_id[b] for b in sorted(by_id)]


def body_ids(data: Any, what: str) -> list[int]:
    """Body ids from an ``onlyid`` answer (whole records on DVID's body-id fast path).

    Example:
        >>> body_ids([7, {"bodyid": 3}, 7], "GET /query")
        [3, 7]
    """
    if not isinstance(data, list):
        raise TransportError(f"{what}: expected a JSON list of body ids, got {brief(data)}")
    found: set[int] = set()
    for item in data:
        body = item.get(BODYID) if isinstance(item, dict) else item
        if not is_int(body):
            raise TransportError(f"{what}: not a body id: {brief(item)}")
        found.add(body)
    return sorted(found)


def key_list(data: Any, what: str) -> list[int]:
    """Body ids from a JSON list of keys (DVID sends them as strings).

    Example:
        >>> key_list(["23", "10000"], "GET /keys")
        [23, 10000]
    """
    if not isinstance(data, list):
        raise TransportError(f"{what}: expected a JSON list of keys, got {brief(data)}")
    return [_parse_key(k, what) for k in data]


def _parse_key(key: Any, what: str) -> int:
    if is_int(key):
        return int(key)
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    raise TransportError(f"{what}: {brief(key)} is not a body id")


def keyed_records(data: Any, what: str) -> list[dict[str, Any]]:
    """Annotations from a ``{"id": {...}}`` answer, with ``bodyid`` set from the key.

    Example:
        >>> keyed_records({"23": {"type": "KC"}}, "GET /keyvalues")
        [{'bodyid': 23, 'type': 'KC'}]
    """
    if not isinstance(data, dict):
        raise TransportError(f"{what}: expected a JSON object keyed by body id, got {brief(data)}")
    found = []
    for key, value in data.items():
        body = _parse_key(key, what)
        if not isinstance(value, dict) or value.get(BODYID, body) != body:
            raise TransportError(
                f"{what}: the value of key {key} is not its annotation: {brief(value)}"
            )
        found.append({BODYID: body, **value})
    return sorted_records(found, what)


def values_records(response: requests.Response, format: str, what: str) -> list[dict[str, Any]]:
    """Annotations from a ``keyvalues`` / ``keyrangevalues`` answer in ``format``
    (``"json"``, ``"jsontar"`` or ``"protobuf"``); a key sent without an annotation comes back
    with an empty value and is left out.

    Example:
        >>> reply = requests.Response()
        >>> reply._content = b'{"23": {"type": "KC"}}'
        >>> values_records(reply, "json", "GET /keyvalues")
        [{'bodyid': 23, 'type': 'KC'}]
    """
    if format == "json":
        return keyed_records(read_json(response, what), what)
    if format == "jsontar":
        pairs = read_tar(response.content, what)
    else:
        pairs = decode_key_values(response.content, what)
    keyed: dict[str, Any] = {}
    for key, raw in pairs:
        if not raw:  # DVID sends an empty value for a key without an annotation
            continue
        try:
            keyed[key] = json.loads(raw)
        except ValueError as err:
            raise TransportError(
                f"{what}: the value of key {key!r} is not valid JSON: {err}"
            ) from None
    return keyed_records(keyed, what)


def records_table(found: list[dict[str, Any]], fields: list[str] | None) -> pd.DataFrame:
    """One row per body, ``bodyid`` (int64) first; the requested ``fields`` next in order
    (present even when no record has them), then any other keys alphabetically.

    Example:
        >>> records_table([{"bodyid": 5, "x": 1}], ["type"]).columns.tolist()
        ['bodyid', 'type', 'x']
    """
    columns = [BODYID, *(f for f in fields or () if f != BODYID)]
    extra = {k for r in found for k in r} - set(columns)
    statement = Neurons(columns=[*columns, *sorted(extra)]) if fields else Neurons()
    return records_frame(found, statement, {})


def json_object(data: Any, what: str) -> dict[str, Any]:
    """``data`` if it is a JSON object; raises otherwise.

    Example:
        >>> json_object({"Base": {}}, "GET /info")
        {'Base': {}}
    """
    if not isinstance(data, dict):
        raise TransportError(f"{what}: expected a JSON object, got {brief(data)}")
    return data


def read_json(response: requests.Response, what: str) -> Any:
    """The answer's JSON body; invalid JSON (a cut answer) raises
    :class:`~neuprint_dsl.errors.TransportError`.

    Example:
        >>> reply = requests.Response()
        >>> reply.status_code, reply._content = 200, b'[1, 2'
        >>> read_json(reply, "GET /keys")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.TransportError: GET /keys: the server's answer (status 200, 5 bytes) is invalid JSON: ...
    """
    try:
        return json.loads(response.content)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise TransportError(
            f"{what}: the server's answer (status {response.status_code}, "
            f"{len(response.content)} bytes) is invalid JSON: {err} (the answer may be truncated)"
        ) from None


# -- failures ------------------------------------------------------------------------------


def server_message(response: requests.Response, empty: str | None = None) -> str:
    """The server's explanation: a JSON ``error``/``message`` or the text body; for an empty
    body ``empty`` if given, else the status's phrase.

    Example:
        >>> reply = requests.Response()
        >>> reply.status_code, reply._content = 400, b'{"error": "no such key"}'
        >>> server_message(reply)
        'no such key'
    """
    text = response.content.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for name in ("error", "message"):
                if isinstance(data.get(name), str):
                    return shorten(data[name])
    if text:
        return shorten(text)
    if empty is not None:
        return empty
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason or "no message"


def _causes(err: BaseException) -> list[BaseException]:
    """``err`` and what it wraps: requests puts urllib3's error in ``args``, urllib3's
    :class:`MaxRetryError` has a ``reason``."""
    out: list[BaseException] = []
    todo = [err]
    while todo and len(out) < 10:
        item = todo.pop()
        out.append(item)
        todo.extend(a for a in item.args if isinstance(a, BaseException))
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    return out


def _caused_by(err: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    return any(isinstance(e, kinds) for e in _causes(err))


def is_timeout(err: BaseException) -> bool:
    """A timeout, including one while reading the body (requests wraps it differently).

    Example:
        >>> is_timeout(requests.ReadTimeout()), is_timeout(requests.ConnectionError())
        (True, False)
    """
    return any(
        isinstance(e, (requests.Timeout, urllib3.exceptions.TimeoutError))
        and not isinstance(e, urllib3.exceptions.NewConnectionError)  # refused, not slow
        for e in _causes(err)
    )


def nothing_sent(err: BaseException) -> bool:
    """The connection was never made (refused, or timed out connecting): nothing was sent.

    Example:
        >>> nothing_sent(requests.ConnectTimeout()), nothing_sent(requests.ReadTimeout())
        (True, False)
    """
    return _caused_by(err, (requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError))


def exhausted(err: BaseException) -> bool:
    """urllib3 gave up after its retries (it raises :class:`MaxRetryError` then).

    Example:
        >>> exhausted(requests.ConnectionError(MaxRetryError(None, "/keys")))
        True
    """
    return _caused_by(err, (MaxRetryError,))


def brief(value: Any) -> str:
    """A value as quoted in an error: its ``repr``, at most 200 characters.

    Example:
        >>> brief([1, 2])
        '[1, 2]'
    """
    return shorten(repr(value), 200)
