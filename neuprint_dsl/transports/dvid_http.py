"""DVID ``neuronjson`` over HTTP: the DSL's queries, and every endpoint of the instance.

:class:`DvidHTTP` talks to one ``neuronjson`` instance (``<server>/api/node/<uuid>/<instance>``).
``run(neurons(...))`` compiles the predicate (:func:`~neuprint_dsl.neuronjson.to_neuronjson`),
sends ``GET .../query`` with the JSON query in the body (as neuclease does), filters any residual
on the client, and returns one row per body sorted by ``bodyid``, exactly what
:class:`~neuprint_dsl.transports.LocalNeuronJson` returns for the same records. Every other
endpoint of DVID's ``datatype/neuronjson`` has a typed method (docs/dvid.md lists them).

Rules it keeps (see ``reference/dvid-and-neuprinthttp-behaviour.md`` part A and DVID's
``datatype/neuronjson/neuronjson.go``):

* every answer is sorted by body id and de-duplicated on the client (DVID answers in
  lexicographic key order from its key-value store and repeats ids on its body-id fast path);
* a request always has a timeout. Reads (``GET``/``HEAD``) are retried by urllib3's
  :class:`~urllib3.util.Retry` on the session's adapter: connection errors and 502/503/504,
  with capped exponential back-off and the server's ``Retry-After`` (capped too); a read that
  timed out is not sent again. A write (``POST``/``DELETE``) is **never** sent twice, and one
  that fails with a 5xx, a timeout or a broken connection raises an error saying it **may
  have been applied**;
* a failed request raises :class:`~neuprint_dsl.ServerError` with the server's own message and
  the request sent; a 200 whose body is not a whole answer (invalid JSON, a tar without its
  end marker, a cut protobuf message: DVID streams, so errors can arrive as a truncated answer)
  raises :class:`~neuprint_dsl.TransportError`, never a partial result; a body cut by the
  connection is fetched again (reads only);
* what is sent is checked first: writes are JSON objects whose ``bodyid`` is the key (DVID
  requires the field; it is added when missing), no forged ``*_user``/``*_time`` fields unless
  asked for, and no string anywhere holds a lone UTF-16 surrogate (Go's decoder would turn it
  into U+FFFD: :class:`~neuprint_dsl.errors.InvalidValue`, as on every backend).

Constructing a transport checks its arguments and touches no network:

    >>> dvid = DvidHTTP("localhost:8000", "a1b2:master", "segmentation_annotations", user="me")
    >>> dvid.url
    'http://localhost:8000/api/node/a1b2:master/segmentation_annotations'
    >>> DvidHTTP("localhost:8000", "a1b2:mas:ter", "annotations")
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.InvalidArgument: invalid DVID UUID 'a1b2:mas:ter': more than one ':' (DVID answers 400)...
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal, TypeGuard, overload
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from ..errors import InvalidArgument, QueryTimeout, ServerError, TransportError
from ..neuronjson import Query, check_json_text
from ..query import Neurons
from .dvid_formats import (
    decode_key_values,
    encode_key_values,
    encode_keys,
    read_tar,
)
from .neuronjson_base import SHOW, NeuronJsonTransport, Record, records_frame

TimeoutSpec = float | tuple[float, float]
#: the answer formats of ``keyvalues`` and ``keyrangevalues`` (``jsontar`` is DVID's ``tar``)
ValuesFormat = Literal["json", "jsontar", "protobuf"]
#: DVID's three metadata documents (``datatype/neuronjson``'s ``Schema`` kinds)
SchemaKind = Literal["json_schema", "schema", "schema_batch"]

BODYID = "bodyid"
UINT64_MAX = 2**64 - 1
#: statuses after which a read is tried again
RETRY_STATUSES = frozenset({502, 503, 504})
#: methods that are safe to send twice
IDEMPOTENT = frozenset({"GET", "HEAD"})
#: longest server message or request body quoted in an error
MESSAGE_LIMIT = 1000
SCHEMA_KINDS: tuple[SchemaKind, ...] = ("json_schema", "schema", "schema_batch")
VALUES_FORMATS: tuple[ValuesFormat, ...] = ("json", "jsontar", "protobuf")
#: what a write that may have reached the server says
MAY_HAVE_BEEN_APPLIED = (
    "the write may have been applied (it was not sent again); check, e.g. with get(), before "
    "sending it again"
)

_HEX_PREFIX = re.compile(r"[0-9a-fA-F]{1,32}")
_BRANCH = re.compile(r"[^\s:/~?#\\]+")
_ANCESTOR = re.compile(r"[0-9]+")
_UUID_FORMS = (
    "expected a hexadecimal UUID prefix ('a1b2'), 'prefix:branch', 'prefix:' (master) "
    "or ':branch', optionally followed by '~N' (the Nth ancestor of the branch head)"
)


class _Nothing:
    """No request body (distinct from a JSON ``null``)."""


_NO_BODY = _Nothing()


class DvidRetry(Retry):
    """urllib3's :class:`~urllib3.util.Retry` with DVID's policy: only ``GET``/``HEAD`` are
    ever sent again (on connection errors, dropped connections and 502/503/504); a read that
    timed out is not (the server is slow, asking again multiplies the wait); a write is never
    retried, even after a connection error; ``Retry-After`` is respected up to
    :attr:`retry_after_cap` seconds.

    Example:
        >>> retry = DvidRetry.for_reads(2, backoff=0.05)
        >>> retry.is_retry("GET", 503), retry.is_retry("POST", 503), retry.is_retry("GET", 500)
        (True, False, False)
    """

    #: longest wait a server's ``Retry-After`` may impose, in seconds
    retry_after_cap = 30.0

    @classmethod
    def for_reads(cls, retries: int, backoff: float, backoff_max: float = 2.0) -> DvidRetry:
        """The policy for ``retries`` extra attempts with back-off ``backoff * 2**(n-1)``
        seconds (the first retry is immediate), each pause at most ``backoff_max``."""
        return cls(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=False,
            allowed_methods=IDEMPOTENT,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_max=backoff_max,
            raise_on_status=False,
            respect_retry_after_header=True,
        )

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> DvidRetry:
        if error is not None:
            read_method = method is not None and self._is_method_retryable(method)
            if isinstance(error, ReadTimeoutError) or (
                not read_method and not self._is_connection_error(error)
            ):
                raise error.with_traceback(_stacktrace)  # as urllib3 does for a read error
            if not read_method:  # nothing was sent; requests maps this to ConnectionError
                raise MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap)


class DvidHTTP(NeuronJsonTransport):
    """A DVID ``neuronjson`` instance over HTTP.

    ``server`` is ``http(s)://host[:port]`` (``http://`` is assumed without a scheme; DVID is
    often plain http); ``uuid`` a hexadecimal prefix, ``prefix:branch``, ``prefix:`` (master),
    ``:branch`` or any of these with ``~N``; ``instance`` the data instance name. ``token`` is
    sent as ``Authorization: Bearer <token>``. ``timeout`` (seconds, or a ``(connect, read)``
    pair; required, never ``None``) applies to connecting and to each wait for the answer.
    ``user`` is the default ``u`` of writes. ``retries`` is how many times a failed read is
    tried again (urllib3's back-off: the first retry at once, then ``backoff * 2**(n-1)``
    seconds, each pause at most ``backoff_max``; writes are never retried). ``session``
    lets you bring your own :class:`requests.Session`; an adapter with the retry policy is
    mounted on it for this instance's URL only.

    Example (needs a DVID server)::

        >>> from neuprint_dsl import N, neurons
        >>> dvid = DvidHTTP("http://emdata.example.org:8900", "a1b2:master",
        ...                 "segmentation_annotations", user="jdoe")  # doctest: +SKIP
        >>> dvid.run(neurons(N.type.matches("MBON.*") & (N.status == "Traced")))  # doctest: +SKIP
        >>> dvid.get(1234567)["type"]  # doctest: +SKIP
        'MBON01'
        >>> dvid.post(1234567, {"type": "MBON02"})  # doctest: +SKIP
    """

    def __init__(
        self,
        server: str,
        uuid: str,
        instance: str,
        token: str | None = None,
        timeout: TimeoutSpec = 60.0,
        *,
        user: str | None = None,
        field_names: Mapping[str, str] | None = None,
        kinds: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        retries: int = 2,
        backoff: float = 0.05,
        backoff_max: float = 2.0,
    ) -> None:
        super().__init__(field_names=field_names, kinds=kinds)
        self.server = normalize_server(server)
        self.uuid = check_uuid(uuid)
        self.instance = check_instance(instance)
        self.timeout = check_timeout(timeout)
        self.user = None if user is None else _check_user(user)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidArgument(f"retries must be a non-negative int, not {retries!r}")
        self.retries = retries
        self.backoff = _non_negative(backoff, "backoff")
        self.backoff_max = _non_negative(backoff_max, "backoff_max")
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {_check_token(token)}"
        self._own_session = session is None
        self.session = requests.Session() if session is None else session
        self.path = f"/api/node/{quote(self.uuid, safe=':~')}/{quote(self.instance, safe='')}"
        self.url = self.server + self.path
        self.retry = DvidRetry.for_reads(retries, self.backoff, self.backoff_max)
        self.session.mount(self.url + "/", HTTPAdapter(max_retries=self.retry))

    def __repr__(self) -> str:
        return f"DvidHTTP({self.server!r}, {self.uuid!r}, {self.instance!r})"

    def close(self) -> None:
        """Close the HTTP session (only if this transport created it)."""
        if self._own_session:
            self.session.close()

    def __enter__(self) -> DvidHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what NeuronJsonTransport.run needs ------------------------------------------------

    def query_records(self, query: Query, show: str | None = None) -> list[Record]:
        """Records ``GET .../query`` returns for ``query``, sorted by body id, de-duplicated."""
        return list(self.query(query, show=show))

    def all_records(self, show: str | None = None) -> list[Record]:
        """Every record (``GET .../all``), sorted by body id."""
        return list(self._all(None, show))

    # -- queries ---------------------------------------------------------------------------

    @overload
    def query(
        self,
        query: Query,
        *,
        onlyid: Literal[False] = False,
        fields: Iterable[str] | None = None,
        show: str | None = None,
    ) -> list[dict[str, Any]]: ...

    @overload
    def query(
        self,
        query: Query,
        *,
        onlyid: Literal[True],
        fields: Iterable[str] | None = None,
        show: str | None = None,
    ) -> list[int]: ...

    @overload
    def query(
        self,
        query: Query,
        *,
        onlyid: bool,
        fields: Iterable[str] | None = None,
        show: str | None = None,
    ) -> list[dict[str, Any]] | list[int]: ...

    def query(
        self,
        query: Query,
        *,
        onlyid: bool = False,
        fields: Iterable[str] | None = None,
        show: str | None = None,
    ) -> list[dict[str, Any]] | list[int]:
        """Send a raw neuronjson query (a JSON object, or a list of objects that are ORed):
        the matching records, or with ``onlyid=True`` their body ids; sorted by body id and
        de-duplicated. ``fields`` keeps those fields (``bodyid`` always) even where DVID
        ignores the option. A query DVID cannot evaluate sensibly (an empty object or list,
        scalar floats, booleans, nulls, objects, lists mixing numbers with strings or other
        values, a lone surrogate anywhere) raises a ``ValueError`` before anything is sent.

        Example (needs a DVID server)::

            >>> dvid.query({"type": ["re/^MBON"], "status": "Traced"}, onlyid=True)  # doctest: +SKIP
            [424789697, 612371421]
        """
        check_query(query)
        names = _field_list(fields)
        params = _params(fields=names, show=show)
        if onlyid:
            params["onlyid"] = "true"
        data = self._get_json("query", params=params, body=query)
        what = self._describe("GET", "query", params, query)
        if onlyid:
            return _ids(data, what)
        records = _records(data, what)
        if names is not None:
            records = [select_fields(r, names, show) for r in records]
        return records

    def all(self, fields: Iterable[str] | None = None, show: str | None = None) -> pd.DataFrame:
        """Every annotation (``GET .../all``) as a DataFrame, one row per body. With
        ``fields``, only those columns, and (DVID's rule) only bodies that have at least one.

        Example (needs a DVID server)::

            >>> dvid.all(fields=["type", "status"]).columns.tolist()  # doctest: +SKIP
            ['bodyid', 'type', 'status']
        """
        names = _field_list(fields)
        return _frame(self._all(names, show), names)

    def _all(self, fields: list[str] | None, show: str | None) -> list[dict[str, Any]]:
        params = _params(fields=fields, show=show)
        data = self._get_json("all", params=params)
        records = _records(data, self._describe("GET", "all", params))
        if fields is not None:
            records = [select_fields(r, fields, show) for r in records]
        return records

    # -- keys and fields -------------------------------------------------------------------

    def keys(self) -> list[int]:
        """Every body id that has an annotation, in numeric order (DVID sends strings, in
        lexicographic order from its key-value store).

        Example (needs a DVID server)::

            >>> dvid.keys()[:3]  # doctest: +SKIP
            [5813, 10000, 200001]
        """
        data = self._get_json("keys")
        return sorted(set(_key_list(data, self._describe("GET", "keys"))))

    @overload
    def fields(self, counts: Literal[False] = False) -> list[str]: ...

    @overload
    def fields(self, counts: Literal[True]) -> dict[str, int]: ...

    def fields(self, counts: bool = False) -> list[str] | dict[str, int]:
        """The field names in use (``*_user``/``*_time`` included), sorted; with
        ``counts=True`` a ``{field: number of annotations}`` dict. Fields no annotation uses
        any more (DVID reports them as ``""`` or with a count of 0) are left out.

        Example (needs a DVID server)::

            >>> dvid.fields()[:3]  # doctest: +SKIP
            ['bodyid', 'class', 'class_time']
        """
        params = {"counts": "true"} if counts else {}
        data = self._get_json("fields", params=params)
        what = self._describe("GET", "fields", params)
        if counts:
            if not isinstance(data, dict) or not all(_is_int(v) for v in data.values()):
                raise TransportError(f"{what}: expected a JSON object of counts, got {_show(data)}")
            return {k: v for k, v in sorted(data.items()) if k and v > 0}
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            raise TransportError(f"{what}: expected a JSON list of names, got {_show(data)}")
        return sorted({v for v in data if v})

    def fieldtimes(self) -> dict[str, str]:
        """When each field was last changed (``GET .../fieldtimes``: ``{field: RFC 3339
        time}``). DVID keeps these only for versions held in memory and answers 400
        otherwise (raised as :class:`~neuprint_dsl.ServerError`).

        Example (needs a DVID server)::

            >>> dvid.fieldtimes()["type"]  # doctest: +SKIP
            '2024-01-02T03:04:05-05:00'
        """
        what = self._describe("GET", "fieldtimes")
        data = _object(self._get_json("fieldtimes"), what)
        if not all(isinstance(v, str) for v in data.values()):
            raise TransportError(f"{what}: expected {{field: time}}, got {_show(data)}")
        return dict(sorted(data.items()))

    def keyrange(self, first: int | str, last: int | str) -> list[int]:
        """Exactly DVID's ``GET .../keyrange/<first>/<last>``: one request, the bounds sent as
        given, the keys DVID selects returned as ints in numeric order.

        **DVID compares keys as strings** on versions read from its key-value store (every
        version but the in-memory HEAD): the range is the *lexicographic* range of the
        decimal key strings, then filtered numerically, so ``keyrange(1, 20000)`` over keys
        23, 5813 and 10000 is ``[10000]`` ("23" and "5813" sort after "20000"). On the
        in-memory HEAD the same call is a numeric range. For the numeric range on every
        version use :meth:`numeric_keyrange`. A bound may also be a string as DVID reads it:
        one starting with a character above ``"9"`` means 2**64-1, below ``"0"`` means 0.

        Example (needs a DVID server)::

            >>> dvid.keyrange(1, 20000)  # doctest: +SKIP
            [10000]
        """
        path = f"keyrange/{check_bound(first)}/{check_bound(last)}"
        data = self._get_json(path)
        return sorted(set(_key_list(data, self._describe("GET", path))))

    def numeric_keyrange(self, first: int, last: int) -> list[int]:
        """Body ids from ``first`` to ``last`` inclusive **as numbers**, in numeric order, on
        any version: the range is asked for one digit count at a time (``1..9``, ``10..99``,
        ...), where DVID's string order of keys is their numeric order (see
        :meth:`keyrange`, which is DVID's own comparison).

        Example (needs a DVID server)::

            >>> dvid.numeric_keyrange(1, 20000)  # doctest: +SKIP
            [23, 5813, 10000]
        """
        ids: set[int] = set()
        for a, b in _digit_ranges(check_key(first, zero=True), check_key(last, zero=True)):
            path = f"keyrange/{a}/{b}"
            data = self._get_json(path)
            ids.update(k for k in _key_list(data, self._describe("GET", path)) if a <= k <= b)
        return sorted(ids)

    def keyrangevalues(
        self,
        first: int | str,
        last: int | str,
        fields: Iterable[str] | None = None,
        show: str | None = None,
        *,
        format: ValuesFormat = "json",
        check: bool | None = None,
    ) -> pd.DataFrame:
        """Exactly DVID's ``GET .../keyrangevalues/<first>/<last>``: the annotations of the
        keys in DVID's range, one row per body, sorted by body id. Like :meth:`keyrange`, DVID
        compares keys **as strings** on versions read from its key-value store (and here
        applies no numeric filter at all); :meth:`numeric_keyrangevalues` is the numeric range.

        ``format`` is the answer DVID sends: ``"json"`` (``json=true``), ``"jsontar"`` (a tar
        file, ``jsontar=true``) or ``"protobuf"`` (DVID's default, ``KeyValues``); the result
        is the same DataFrame. ``check=True`` asks DVID to verify each value is valid JSON
        (``check=true``; ``json`` only), ``check=False`` sends ``check=false``.

        Example (needs a DVID server)::

            >>> dvid.keyrangevalues(10000, 10999, format="jsontar")["bodyid"].tolist()  # doctest: +SKIP
            [10000, 10311]
        """
        path = f"keyrangevalues/{check_bound(first)}/{check_bound(last)}"
        names = _field_list(fields)
        params = {**_format_params(format, check), **_params(fields=names, show=show)}
        records = self._values("GET", path, format, params)
        return _frame(_selected(records, names, show), names)

    def numeric_keyrangevalues(
        self,
        first: int,
        last: int,
        fields: Iterable[str] | None = None,
        show: str | None = None,
        *,
        format: ValuesFormat = "json",
        check: bool | None = None,
    ) -> pd.DataFrame:
        """The annotations of body ids ``first`` to ``last`` inclusive **as numbers**, one row
        per body, on any version (asked one digit count at a time, like
        :meth:`numeric_keyrange`). ``format`` and ``check`` as in :meth:`keyrangevalues`.

        Example (needs a DVID server)::

            >>> dvid.numeric_keyrangevalues(1, 20000)["bodyid"].tolist()  # doctest: +SKIP
            [23, 5813, 10000]
        """
        names = _field_list(fields)
        params = {**_format_params(format, check), **_params(fields=names, show=show)}
        records: list[dict[str, Any]] = []
        for a, b in _digit_ranges(check_key(first, zero=True), check_key(last, zero=True)):
            got = self._values("GET", f"keyrangevalues/{a}/{b}", format, params)
            records.extend(r for r in got if a <= r[BODYID] <= b)
        return _frame(_selected(_records(records, "keyrangevalues"), names, show), names)

    def keyvalues(
        self,
        keys: Iterable[int],
        fields: Iterable[str] | None = None,
        show: str | None = None,
        *,
        format: ValuesFormat = "json",
        check: bool | None = None,
    ) -> pd.DataFrame:
        """The annotations of the given body ids (``GET .../keyvalues`` with the ids in the
        body), one row per body found, sorted by body id; ids without an annotation are left
        out. ``format`` is the answer DVID sends: ``"json"`` (``json=true``, the ids sent as a
        JSON list), ``"jsontar"`` (a tar file; the ids sent as a JSON list of strings, as DVID
        requires) or ``"protobuf"`` (protobuf ``Keys`` in, ``KeyValues`` out); the result is
        the same DataFrame. ``check`` as in :meth:`keyrangevalues`.

        Example (needs a DVID server)::

            >>> dvid.keyvalues([10000, 5813, 999])["bodyid"].tolist()  # doctest: +SKIP
            [5813, 10000]
        """
        ids = sorted({check_key(k) for k in _iterable(keys, "keys")})
        names = _field_list(fields)
        params = {**_format_params(format, check), **_params(fields=names, show=show)}
        if not ids:
            return _frame([], names)
        body: Any
        if format == "json":
            body, data, shown = ids, None, None
        elif format == "jsontar":
            body, data, shown = [str(i) for i in ids], None, None
        else:
            body, data = _NO_BODY, encode_keys(str(i) for i in ids)
            shown = f"<protobuf Keys: {len(ids)} keys {_shorten(str(ids), 200)}>"
        records = self._values("GET", "keyvalues", format, params, body, data, shown)
        return _frame(_selected(records, names, show), names)

    def _values(
        self,
        method: str,
        path: str,
        format: ValuesFormat,
        params: Mapping[str, str],
        body: Any = _NO_BODY,
        data: bytes | None = None,
        shown: str | None = None,
    ) -> list[dict[str, Any]]:
        """Annotations from a ``keyvalues`` / ``keyrangevalues`` answer in ``format``."""
        response = self._request(method, path, params=params, body=body, data=data, shown=shown)
        what = self._describe(method, path, params, body, shown)
        if format == "json":
            return _keyed_records(_decode(response, what), what)
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
        return _keyed_records(keyed, what)

    # -- one key ---------------------------------------------------------------------------

    def get(
        self, key: int, fields: Iterable[str] | None = None, show: str | None = None
    ) -> dict[str, Any]:
        """The annotation of one body. A body without one raises
        :class:`~neuprint_dsl.ServerError` with status 404 (use :meth:`exists` to ask).

        Example (needs a DVID server)::

            >>> dvid.get(10000, fields=["type"])  # doctest: +SKIP
            {'bodyid': 10000, 'type': 'KCab'}
        """
        path = f"key/{check_key(key)}"
        names = _field_list(fields)
        params = _params(fields=names, show=show)
        data = self._get_json(path, params=params)
        if not isinstance(data, dict):
            what = self._describe("GET", path, params)
            raise TransportError(f"{what}: expected a JSON object, got {_show(data)}")
        return data if names is None else select_fields(data, names, show)

    def exists(self, key: int) -> bool:
        """True if the body has an annotation (``HEAD .../key/<id>``).

        Example (needs a DVID server)::

            >>> dvid.exists(10000), dvid.exists(999)  # doctest: +SKIP
            (True, False)
        """
        response = self._request("HEAD", f"key/{check_key(key)}", accept=(404,))
        return response.status_code != 404

    def post(
        self,
        key: int,
        value: Mapping[str, Any],
        *,
        replace: bool = False,
        conditional: Iterable[str] | str | None = None,
        user: str | None = None,
        allow_metadata: bool = False,
    ) -> None:
        """Write the annotation of one body (``POST .../key/<id>?u=...``). By default the
        fields are **merged** into the stored ones (a ``None`` value deletes a field);
        ``replace=True`` drops the fields not given; ``conditional`` names fields that are
        only written if not already set (refused with ``replace=True``, where DVID would
        ignore it and overwrite them). DVID records
        ``F_user``/``F_time`` for each changed field; ``user`` (or the transport's ``user``)
        is the ``u`` it records. ``bodyid`` is added to the body (DVID requires it). Sent
        once, never retried; a 5xx, a timeout or a broken connection raises an error saying
        the write may have been applied.

        Refused before anything is sent (``ValueError``/``TypeError``): a key that is not a
        positive 64-bit id, a value that is not a JSON object, a ``bodyid`` other than the key,
        ``*_user``/``*_time`` fields unless ``allow_metadata=True`` (``bodyid_user`` and
        ``bodyid_time`` always), a lone surrogate in any string, no user.

        Example (needs a DVID server)::

            >>> dvid.post(10000, {"type": "KCab", "status": "Traced"}, user="jdoe")  # doctest: +SKIP
        """
        body = check_key(key)
        record = check_value(body, value, allow_metadata=allow_metadata)
        params = self._write_params(user, replace, conditional)
        self._request("POST", f"key/{body}", params=params, body=record)

    def post_keyvalues(
        self,
        annotations: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
        *,
        replace: bool = False,
        conditional: Iterable[str] | str | None = None,
        user: str | None = None,
        allow_metadata: bool = False,
    ) -> int:
        """Write many annotations in one request (``POST .../keyvalues?u=...``, a protobuf
        ``KeyValues`` body): ``{body id: annotation}``, or annotations that each have a
        ``bodyid``. Each is written as :meth:`post` writes one (merge by default,
        ``replace``, ``conditional``, ``user``, the same checks, all made before anything is
        sent); returns how many were sent (no request for none). A body id given twice is
        refused. Sent once, never retried.

        DVID writes them **one at a time, in the order given, and stops at the first it
        refuses** (a JSON-schema failure, say): the error then says the ones before it were
        written. A 5xx, a timeout or a broken connection says some or all may have been.

        Example (needs a DVID server)::

            >>> dvid.post_keyvalues({23: {"type": "KC"}, 5813: {"type": "APL"}})  # doctest: +SKIP
            2
        """
        items = _annotations(annotations)
        records = [(k, check_value(k, v, allow_metadata=allow_metadata)) for k, v in items]
        params = self._write_params(user, replace, conditional)
        if not records:
            return 0
        data = encode_key_values((str(k), _encode(v)) for k, v in records)
        ids = [k for k, _ in records]
        shown = f"<protobuf KeyValues: {len(ids)} annotations, bodies {_shorten(str(ids), 200)}>"
        try:
            self._request("POST", "keyvalues", params=params, data=data, shown=shown)
        except ServerError as err:
            if err.status == 400:  # DVID's BadRequest: a refusal part way through the batch
                raise ServerError(
                    err.status,
                    f"{err.message} (if this refuses one annotation, the ones before it in the "
                    "batch were written: DVID writes a batch one at a time, in the order sent, "
                    "and stops at the first it refuses)",
                    err.query,
                ) from None
            raise
        return len(records)

    def delete(self, key: int) -> None:
        """Delete the annotation of one body (``DELETE .../key/<id>``; sent once, never
        retried). DVID answers 200 for a body without an annotation too.

        Example (needs a DVID server)::

            >>> dvid.delete(10000)  # doctest: +SKIP
        """
        self._request("DELETE", f"key/{check_key(key)}")

    # -- instance metadata -----------------------------------------------------------------

    def schema(self, kind: SchemaKind = "json_schema") -> Any:
        """One of DVID's metadata documents (``GET .../<kind>``), parsed, or ``None`` if it
        is not set: ``"json_schema"`` (the JSON schema DVID validates writes with),
        ``"schema"`` and ``"schema_batch"`` (neutu/neu3's annotation forms).

        Example (needs a DVID server)::

            >>> dvid.schema("schema")["title"]  # doctest: +SKIP
            'body annotations'
        """
        path = _schema_kind(kind)
        response = self._request("GET", path, accept=(404,))
        what = self._describe("GET", path)
        if response.status_code == 404:
            message = _server_message(response, empty="")
            if message:  # a 404 that says something is not "no schema" (e.g. no such instance)
                raise ServerError(404, message, what)
            return None
        return _decode(response, what)

    def has_schema(self, kind: SchemaKind = "json_schema") -> bool:
        """True if the metadata document ``kind`` is set (``HEAD .../<kind>``).

        Example (needs a DVID server)::

            >>> dvid.has_schema("schema_batch")  # doctest: +SKIP
            False
        """
        response = self._request("HEAD", _schema_kind(kind), accept=(404,))
        return response.status_code != 404

    def post_schema(self, document: Any, kind: SchemaKind = "json_schema") -> None:
        """Store a metadata document (``POST .../<kind>``; sent once). DVID stores any bytes
        without checking them, so the document is checked here: JSON (no NaN, no lone
        surrogates), and for ``"json_schema"`` an object or a boolean (what a JSON schema is;
        DVID silently stops validating writes when it cannot compile the one it has).

        Example (needs a DVID server)::

            >>> dvid.post_schema({"type": "object", "required": ["status"]})  # doctest: +SKIP
        """
        path = _schema_kind(kind)
        if kind == "json_schema" and not isinstance(document, (Mapping, bool)):
            raise InvalidArgument(
                f"a JSON schema is a JSON object (a dict) or a boolean, not "
                f"{type(document).__name__}"
            )
        value = dict(document) if isinstance(document, Mapping) else document
        check_json_text(value, f"the {kind} document")
        self._request("POST", path, body=value)

    def delete_schema(self, kind: SchemaKind = "json_schema") -> None:
        """Remove a metadata document (``DELETE .../<kind>``; sent once; 200 if none was set).

        Example (needs a DVID server)::

            >>> dvid.delete_schema("schema_batch")  # doctest: +SKIP
        """
        self._request("DELETE", _schema_kind(kind))

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON schema DVID enforces on writes, or ``None`` if none is set (``schema()``).

        Example (needs a DVID server)::

            >>> dvid.json_schema()  # doctest: +SKIP
            {'type': 'object', 'properties': {'bodyid': {'type': 'integer'}}}
        """
        value = self.schema("json_schema")
        if value is None or isinstance(value, dict):
            return value
        what = self._describe("GET", "json_schema")
        raise TransportError(f"{what}: expected a JSON object, got {_show(value)}")

    def post_json_schema(self, schema: Mapping[str, Any]) -> None:
        """Set the JSON schema DVID enforces on later writes (sent once).

        Example (needs a DVID server)::

            >>> dvid.post_json_schema({"type": "object"})  # doctest: +SKIP
        """
        if not isinstance(schema, Mapping):
            raise InvalidArgument(
                f"a JSON schema is a JSON object (a dict), not {type(schema).__name__}"
            )
        self.post_schema(schema, "json_schema")

    def delete_json_schema(self) -> None:
        """Remove the JSON schema (sent once).

        Example (needs a DVID server)::

            >>> dvid.delete_json_schema()  # doctest: +SKIP
        """
        self.delete_schema("json_schema")

    def tags(self) -> dict[str, str]:
        """The instance's tags (``GET .../tags``, which DVID answers as ``{"Tags": {...}}``).

        Example (needs a DVID server)::

            >>> dvid.tags()  # doctest: +SKIP
            {'type': 'meta'}
        """
        what = self._describe("GET", "tags")
        data = _object(self._get_json("tags"), what)
        tags = data.get("Tags")
        if tags is None:
            return {}
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise TransportError(f"{what}: expected {{'Tags': {{name: text}}}}, got {_show(data)}")
        return dict(tags)

    def post_tags(self, tags: Mapping[str, str], *, replace: bool = False) -> None:
        """Add tags to the instance (``POST .../tags``), or with ``replace=True`` make them
        its only tags; ``post_tags({}, replace=True)`` deletes every tag. Names and values are
        strings (DVID refuses anything else). Sent once.

        Example (needs a DVID server)::

            >>> dvid.post_tags({"type": "meta", "owner": "flyem"})  # doctest: +SKIP
        """
        if not isinstance(tags, Mapping):
            raise InvalidArgument(f"tags are a dict of strings, not {type(tags).__name__}")
        for name, text in tags.items():
            if not isinstance(name, str) or not isinstance(text, str):
                raise InvalidArgument(
                    f"tag names and values are strings (DVID refuses others), not {name!r}: "
                    f"{text!r}"
                )
        check_json_text(dict(tags), "the tags")
        params = {"replace": "true"} if _flag(replace, "replace") else {}
        self._request("POST", "tags", params=params, body=dict(tags))

    def info(self) -> dict[str, Any]:
        """The instance's configuration (``GET .../info``: ``{"Base": {...}, "Extended":
        {}}``).

        Example (needs a DVID server)::

            >>> dvid.info()["Base"]["TypeName"]  # doctest: +SKIP
            'neuronjson'
        """
        return _object(self._get_json("info"), self._describe("GET", "info"))

    def help(self) -> str:
        """DVID's help text for the ``neuronjson`` datatype (``GET .../help``).

        Example (needs a DVID server)::

            >>> dvid.help().splitlines()[1]  # doctest: +SKIP
            "API for 'neuronjson' datatype (github.com/janelia-flyem/dvid/datatype/neuronjson)"
        """
        response = self._request("GET", "help", accept_text=True)
        return response.content.decode("utf-8", errors="replace")

    # -- HTTP ------------------------------------------------------------------------------

    def _writer(self, user: str | None) -> str:
        name = self.user if user is None else _check_user(user)
        if name is None:
            raise InvalidArgument(
                "DVID records who wrote each field: pass user=... to the write or to DvidHTTP()"
            )
        return name

    def _write_params(
        self, user: str | None, replace: bool, conditional: Iterable[str] | str | None
    ) -> dict[str, str]:
        params = {"u": self._writer(user)}
        if _flag(replace, "replace"):
            params["replace"] = "true"
        protected = _conditional(conditional)
        if protected and replace:
            raise InvalidArgument(
                "conditional has no effect with replace=True: DVID's updateJSON only protects "
                "fields when it merges, so the protected fields would be overwritten"
            )
        if protected:
            params["conditional"] = ",".join(protected)
        return params

    def _get_json(
        self, path: str, *, params: Mapping[str, str] | None = None, body: Any = _NO_BODY
    ) -> Any:
        response = self._request("GET", path, params=params, body=body)
        return _decode(response, self._describe("GET", path, params, body))

    def _describe(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = _NO_BODY,
        shown: str | None = None,
    ) -> str:
        """The request as a readable line for error messages: ``GET /api/.../query {...}``."""
        text = f"{method} {self.path}/{path}"
        if params:
            text += "?" + urlencode(params)
        if shown is not None:
            text += " " + shown
        elif not isinstance(body, _Nothing):
            text += " " + _shorten(json.dumps(body, ensure_ascii=False, default=repr))
        return text

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = _NO_BODY,
        data: bytes | None = None,
        shown: str | None = None,
        accept: tuple[int, ...] = (),
        accept_text: bool = False,
    ) -> requests.Response:
        """Send one request (urllib3's :class:`DvidRetry` re-sends reads); fetch a read again
        if its body was cut; raise :class:`ServerError` for any status outside 2xx and
        ``accept``, saying for a write with a 5xx that it may have been applied."""
        headers = dict(self._headers)
        if accept_text:
            headers["Accept"] = "text/plain"
        if data is not None:
            headers["Content-Type"] = "application/octet-stream"
        elif not isinstance(body, _Nothing):
            data = _encode(body)
            headers["Content-Type"] = "application/json"
        what = self._describe(method, path, params, body, shown)
        write = method not in IDEMPOTENT
        # urllib3 cannot see a body cut after the headers (requests reads it later): a read
        # is fetched again for that, as often as the retry policy allows
        for attempt in range(1 + (0 if write else self.retries)):
            try:
                response = self.session.request(
                    method,
                    f"{self.url}/{path}",
                    params=dict(params or {}),
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=not write,
                )
            except requests.exceptions.ChunkedEncodingError as err:
                if write or attempt == self.retries:
                    raise TransportError(self._failure_message(what, method, err)) from err
                continue
            except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
                if _is_timeout(err):
                    raise QueryTimeout(self._timeout_message(what, method, err)) from None
                raise TransportError(self._failure_message(what, method, err)) from err
            status = response.status_code
            if 200 <= status < 300 or status in accept:
                return response
            message = _server_message(response)
            if write and status >= 500:
                message += f" ({MAY_HAVE_BEEN_APPLIED})"
            raise ServerError(status, message, what)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _timeout_message(self, what: str, method: str, err: BaseException) -> str:
        text = f"no answer from {self.server} within the timeout ({self.timeout} s): {what}"
        if method not in IDEMPOTENT:
            if _nothing_sent(err):
                text += " (the connection was never made: the write was not applied)"
            else:
                text += f" ({MAY_HAVE_BEEN_APPLIED})"
        return text

    def _failure_message(self, what: str, method: str, err: BaseException) -> str:
        if method not in IDEMPOTENT:
            tries = "(not retried: a write)"
        elif _exhausted(err) or isinstance(err, requests.exceptions.ChunkedEncodingError):
            tries = f"after {1 + self.retries} attempts"
        else:
            tries = "(not retried)"
        text = (
            f"request to {self.server} failed {tries}: {type(err).__name__}: "
            f"{_shorten(str(err), 300)}\nrequest: {what}"
        )
        if method not in IDEMPOTENT:
            if _nothing_sent(err):
                text += "\nthe connection was never made: the write was not applied"
            else:
                text += f"\n{MAY_HAVE_BEEN_APPLIED}"
        return text


# ---------------------------------------------------------------------------------------
# argument checks


def normalize_server(server: str) -> str:
    """``http(s)://host[:port]`` from a server address (``http://`` added if missing).

    Example:
        >>> normalize_server("emdata:8900"), normalize_server("https://dvid.example.org/")
        ('http://emdata:8900', 'https://dvid.example.org')
    """
    if not isinstance(server, str) or not server.strip():
        raise InvalidArgument(
            f"a DVID server address is required, like 'http://host:port', not {server!r}"
        )
    text = server.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    problem = ""
    if parts.scheme.lower() not in ("http", "https"):
        problem = f"the scheme must be http or https, not {parts.scheme!r}"
    elif not parts.hostname or re.search(r"\s", parts.netloc):
        problem = "no host name"
    elif parts.username is not None or parts.password is not None:
        problem = "credentials do not belong in the address (pass token=...)"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "only http(s)://host[:port] is expected, without a path"
    else:
        try:
            parts.port  # noqa: B018 (raises ValueError for a bad port)
        except ValueError:
            problem = "the port is not a number from 0 to 65535"
    if problem:
        raise InvalidArgument(f"invalid DVID server {server!r}: {problem}")
    return f"{parts.scheme.lower()}://{parts.netloc}"


def check_uuid(uuid: str) -> str:
    """``uuid`` if it has one of the forms DVID resolves (see the reference, A10).

    Example:
        >>> [check_uuid(u) for u in ("a1b2", "a1b2:master", "a1b2:", ":master", "a1:dev~2")]
        ['a1b2', 'a1b2:master', 'a1b2:', ':master', 'a1:dev~2']
    """
    if not isinstance(uuid, str):
        raise InvalidArgument(f"a DVID UUID is a string, not {type(uuid).__name__}")
    problem = _uuid_problem(uuid)
    if problem:
        raise InvalidArgument(f"invalid DVID UUID {uuid!r}: {problem}; {_UUID_FORMS}")
    return uuid


def _uuid_problem(uuid: str) -> str:
    if uuid.count(":") > 1:
        return "more than one ':' (DVID answers 400)"
    prefix, colon, branch = uuid.partition(":")
    if prefix and not _HEX_PREFIX.fullmatch(prefix):
        return f"{prefix!r} is not a hexadecimal UUID prefix (at most 32 digits)"
    if not colon:
        return "" if prefix else "it is empty"
    branch, tilde, ancestor = branch.partition("~")
    if not prefix and not branch:
        return "':' alone names no version"
    if tilde and not branch:
        return "'~N' must follow a branch name"
    if tilde and not _ANCESTOR.fullmatch(ancestor):
        return f"'~{ancestor}' is not '~' followed by a number"
    if branch and not _BRANCH.fullmatch(branch):
        return f"the branch name {branch!r} has whitespace, '/', '?', '#', '\\\\' or '~'"
    return ""


def check_instance(instance: str) -> str:
    """``instance`` if it is a usable data instance name (non-empty, no ``/``)."""
    if not isinstance(instance, str) or not instance or instance != instance.strip():
        raise InvalidArgument(f"a DVID data instance name is required, not {instance!r}")
    if "/" in instance or "\\" in instance or any(ord(c) < 32 for c in instance):
        raise InvalidArgument(f"invalid DVID data instance name {instance!r}: it contains '/'")
    return instance


def check_timeout(timeout: object) -> TimeoutSpec:
    """A positive number of seconds, or a ``(connect, read)`` pair; never ``None``.

    Example:
        >>> check_timeout(5), check_timeout((3.05, 60))
        (5.0, (3.05, 60.0))
    """
    if timeout is None:
        raise InvalidArgument(
            "a timeout must be set (seconds, or a (connect, read) pair): a request never waits "
            "forever"
        )
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise InvalidArgument(f"a timeout pair is (connect, read), not {timeout!r}")
        return (_seconds(timeout[0]), _seconds(timeout[1]))
    return _seconds(timeout)


def _seconds(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) <= 0
    ):
        raise InvalidArgument(f"a timeout is a positive number of seconds, not {value!r}")
    return float(value)


def _check_user(user: object) -> str:
    if not isinstance(user, str) or not user.strip() or any(ord(c) < 32 for c in user):
        raise InvalidArgument(f"a DVID user name is a non-empty string, not {user!r}")
    return user


def _check_token(token: object) -> str:
    if not isinstance(token, str) or not token or re.search(r"\s", token):
        raise InvalidArgument("a token is a non-empty string without whitespace")
    return token


def check_key(key: object, *, zero: bool = False) -> int:
    """A body id as an ``int``: a positive 64-bit integer (``0`` too if ``zero``).

    Example:
        >>> check_key(10000)
        10000
        >>> check_key(0)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: a body id is an integer from 1 to 2**64-1, not 0
    """
    low = 0 if zero else 1
    if isinstance(key, bool) or not isinstance(key, numbers.Integral):
        raise InvalidArgument(f"a body id is an integer, not {type(key).__name__} {key!r}")
    value = int(key)
    if not low <= value <= UINT64_MAX:
        raise InvalidArgument(f"a body id is an integer from {low} to 2**64-1, not {value}")
    return value


def check_value(
    key: int, value: Mapping[str, Any], *, allow_metadata: bool = False
) -> dict[str, Any]:
    """The annotation to POST for body ``key``, checked (see :meth:`DvidHTTP.post`).

    Example:
        >>> check_value(7, {"type": "KC"})
        {'bodyid': 7, 'type': 'KC'}
        >>> check_value(7, {"type_user": "someone"})
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: refusing to write 'type_user': ... (pass allow_metadata=True to write it)
    """
    if not isinstance(value, Mapping):
        raise InvalidArgument(
            f"an annotation is a JSON object (a dict), not {type(value).__name__}"
        )
    record = dict(value)
    for name in record:
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"annotation field names are non-empty strings, not {name!r}")
    if BODYID in record:
        body = record[BODYID]
        if not _is_int(body) or body != key:
            raise InvalidArgument(f"the annotation's bodyid {body!r} is not its key {key}")
    else:
        record = {BODYID: key, **record}  # DVID refuses an annotation without it
    for name in record:
        if name in ("bodyid_user", "bodyid_time"):
            raise InvalidArgument(f"refusing to write {name!r}: DVID rejects it (400)")
        if name.endswith(("_user", "_time")) and not allow_metadata:
            raise InvalidArgument(
                f"refusing to write {name!r}: DVID sets *_user/*_time itself from u= and the "
                "clock (pass allow_metadata=True to write it)"
            )
    _encode(record)  # JSON-serialisable, no NaN or infinity
    check_json_text(record, f"the annotation of body {key}")
    return record


def check_query(query: object) -> Query:
    """``query`` if it is a neuronjson query DVID evaluates sensibly; raises otherwise.

    Example:
        >>> check_query([{"type": "KC"}, {"bodyid": [1, 2]}])
        [{'type': 'KC'}, {'bodyid': [1, 2]}]
        >>> check_query({"bodyid": [1, "x"]})
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: ... mixes numbers or strings with other values ...
    """
    if isinstance(query, list):
        if not query:
            raise InvalidArgument(
                "an empty list is not a query (DVID answers 400 'no query provided'); "
                "use all() for every annotation"
            )
        objects: list[object] = list(query)
    else:
        objects = [query]
    for obj in objects:
        if not isinstance(obj, dict):
            raise InvalidArgument(
                f"a neuronjson query is a JSON object or a list of them, not {obj!r}"
            )
        if not obj:
            raise InvalidArgument(
                "an empty query object is ambiguous on DVID (alone it matches nothing, inside "
                "an OR everything); use all() for every annotation"
            )
        for name, value in obj.items():
            if not isinstance(name, str) or not name:
                raise InvalidArgument(f"query field names are non-empty strings, not {name!r}")
            problem = _value_problem(value)
            if problem:
                raise InvalidArgument(f"query field {name!r}: {problem}")
    check_json_text(query, "the neuronjson query")
    return query  # type: ignore[return-value]


def _value_problem(value: Any) -> str:
    if isinstance(value, str) or _is_int(value):
        return ""
    if isinstance(value, float):
        return f"DVID never matches a scalar float ({value!r})"
    if not isinstance(value, list):
        kind = "null" if value is None else type(value).__name__
        return f"DVID never matches a {kind} value ({value!r})"
    if all(isinstance(v, str) for v in value) or all(_is_number(v) for v in value):
        return ""
    if any(_is_number(v) or isinstance(v, str) for v in value):
        return (
            f"the list {value!r} mixes numbers or strings with other values (DVID fails, or "
            "silently ignores or changes part of it)"
        )
    return f"DVID never matches the list {value!r} (only integers, numbers or strings)"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field_list(fields: Iterable[str] | None) -> list[str] | None:
    if fields is None:
        return None
    names = list(dict.fromkeys(_iterable(fields, "fields")))
    for name in names:
        if not isinstance(name, str) or not name or "," in name:
            raise InvalidArgument(f"a field name is a non-empty string without ',', not {name!r}")
    if not names:
        raise InvalidArgument("fields must be None (every field) or a non-empty list of names")
    check_json_text(names, "the field names")
    return names


def _conditional(fields: Iterable[str] | str | None) -> list[str]:
    if fields is None:
        return []
    if isinstance(fields, str):
        fields = [fields]
    names = _field_list(fields)
    return names or []


def _iterable(values: Any, what: str) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{what} must be a list, not {type(values).__name__} {values!r}")
    return list(values)


def _params(*, fields: list[str] | None, show: str | None) -> dict[str, str]:
    if show not in SHOW:
        raise InvalidArgument(f"show must be one of {SHOW}, not {show!r}")
    params: dict[str, str] = {}
    if fields is not None:
        params["fields"] = ",".join(fields)
    if show is not None:
        params["show"] = show
    return params


def check_bound(bound: object) -> str:
    """A ``keyrange`` bound as DVID reads it (``parseKeyStr``): a body id, or a string that
    is a decimal uint64 or starts with a character below ``"0"`` (meaning 0) or above
    ``"9"`` (meaning 2**64-1); without ``/``, ``?`` or ``#``, which would change the URL.

    Example:
        >>> check_bound(10000), check_bound("a"), check_bound("0")
        ('10000', 'a', '0')
        >>> check_bound("12a")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: invalid key range bound '12a': DVID reads a bound starting with a digit as a uint64 and answers 400 otherwise
    """
    if isinstance(bound, numbers.Integral) and not isinstance(bound, bool):
        return str(check_key(bound, zero=True))
    if not isinstance(bound, str) or not bound:
        raise InvalidArgument(
            f"a key range bound is a body id or a non-empty string, not {bound!r}"
        )
    if any(c in bound for c in "/?#%\\") or any(ord(c) < 33 for c in bound):
        raise InvalidArgument(f"invalid key range bound {bound!r}: it would change the URL")
    check_json_text(bound, "the key range bound")
    if "0" <= bound[0] <= "9" and not (
        bound.isascii() and bound.isdigit() and int(bound) <= UINT64_MAX
    ):
        raise InvalidArgument(
            f"invalid key range bound {bound!r}: DVID reads a bound starting with a digit as a "
            "uint64 and answers 400 otherwise"
        )
    return bound


def _format_params(format: str, check: bool | None) -> dict[str, str]:
    if format not in VALUES_FORMATS:
        raise InvalidArgument(f"format must be one of {VALUES_FORMATS}, not {format!r}")
    params = (
        {"json": "true"} if format == "json" else {"jsontar": "true"} if format == "jsontar" else {}
    )
    if check is not None:
        if format != "json":
            raise InvalidArgument("check applies to format='json' only (DVID ignores it otherwise)")
        params["check"] = "true" if _flag(check, "check") else "false"
    return params


def _schema_kind(kind: object) -> str:
    if kind not in SCHEMA_KINDS:
        raise InvalidArgument(f"a schema kind is one of {SCHEMA_KINDS}, not {kind!r}")
    return str(kind)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be True or False, not {value!r}")
    return value


def _non_negative(value: object, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) < 0
    ):
        raise InvalidArgument(f"{name} is a non-negative number of seconds, not {value!r}")
    return float(value)


def _annotations(
    annotations: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> list[tuple[int, Mapping[str, Any]]]:
    """``(body id, annotation)`` pairs from a dict keyed by id or from records with a
    ``bodyid``; a body id given twice is refused."""
    if isinstance(annotations, Mapping):
        items = [(check_key(k), v) for k, v in annotations.items()]
    else:
        items = []
        for i, record in enumerate(_iterable(annotations, "annotations")):
            if not isinstance(record, Mapping):
                raise InvalidArgument(
                    f"annotation {i} is {type(record).__name__}, not a JSON object (a dict)"
                )
            if BODYID not in record:
                raise InvalidArgument(f"annotation {i} has no bodyid (pass a dict keyed by id)")
            items.append((check_key(record[BODYID]), record))
    seen: set[int] = set()
    for key, _ in items:
        if key in seen:
            raise InvalidArgument(
                f"body {key} is given twice: DVID would write both, one after the other"
            )
        seen.add(key)
    return items


def _digit_ranges(first: int, last: int) -> list[tuple[int, int]]:
    """``[first, last]`` cut where the number of digits changes: within each piece, DVID's
    string order of keys is their numeric order."""
    if first > last:
        raise InvalidArgument(f"an empty key range: {first} > {last}")
    pieces = []
    low = first
    while low <= last:
        high = min(last, 10 ** len(str(low)) - 1)
        pieces.append((low, high))
        low = high + 1
    return pieces


# ---------------------------------------------------------------------------------------
# answers


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


def _selected(
    records: list[dict[str, Any]], fields: list[str] | None, show: str | None
) -> list[dict[str, Any]]:
    return records if fields is None else [select_fields(r, fields, show) for r in records]


def _records(data: Any, what: str) -> list[dict[str, Any]]:
    """Annotations from a JSON list: checked, de-duplicated, sorted by body id."""
    if not isinstance(data, list):
        raise TransportError(f"{what}: expected a JSON list of annotations, got {_show(data)}")
    by_id: dict[int, dict[str, Any]] = {}
    for item in data:
        if not isinstance(item, dict) or not _is_int(item.get(BODYID)):
            raise TransportError(
                f"{what}: an answer item is not an annotation with a bodyid: {_show(item)}"
            )
        by_id.setdefault(item[BODYID], item)
    return [by_id[b] for b in sorted(by_id)]


def _ids(data: Any, what: str) -> list[int]:
    """Body ids from an ``onlyid`` answer (whole records on DVID's body-id fast path)."""
    if not isinstance(data, list):
        raise TransportError(f"{what}: expected a JSON list of body ids, got {_show(data)}")
    ids: set[int] = set()
    for item in data:
        body = item.get(BODYID) if isinstance(item, dict) else item
        if not _is_int(body):
            raise TransportError(f"{what}: not a body id: {_show(item)}")
        ids.add(body)
    return sorted(ids)


def _key_list(data: Any, what: str) -> list[int]:
    if not isinstance(data, list):
        raise TransportError(f"{what}: expected a JSON list of keys, got {_show(data)}")
    return [_parse_key(k, what) for k in data]


def _parse_key(key: Any, what: str) -> int:
    if _is_int(key):
        return int(key)
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    raise TransportError(f"{what}: {_show(key)} is not a body id")


def _keyed_records(data: Any, what: str) -> list[dict[str, Any]]:
    """Annotations from a ``{"id": {...}}`` answer, with ``bodyid`` set from the key."""
    if not isinstance(data, dict):
        raise TransportError(f"{what}: expected a JSON object keyed by body id, got {_show(data)}")
    records = []
    for key, value in data.items():
        body = _parse_key(key, what)
        if not isinstance(value, dict) or value.get(BODYID, body) != body:
            raise TransportError(
                f"{what}: the value of key {key} is not its annotation: {_show(value)}"
            )
        records.append({BODYID: body, **value})
    return _records(records, what)


def _frame(records: list[dict[str, Any]], fields: list[str] | None) -> pd.DataFrame:
    """One row per body, ``bodyid`` (int64) first; the requested ``fields`` next in order
    (present even when no record has them), then any other keys alphabetically."""
    columns = [BODYID, *(f for f in fields or () if f != BODYID)]
    extra = {k for r in records for k in r} - set(columns)
    statement = Neurons(columns=[*columns, *sorted(extra)]) if fields else Neurons()
    return records_frame(records, statement, {})


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TransportError(f"{what}: expected a JSON object, got {_show(data)}")
    return data


def _decode(response: requests.Response, what: str) -> Any:
    try:
        return json.loads(response.content)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise TransportError(
            f"{what}: the server's answer (status {response.status_code}, "
            f"{len(response.content)} bytes) is invalid JSON: {err} (the answer may be truncated)"
        ) from None


def _encode(body: Any) -> bytes:
    try:
        return json.dumps(body, allow_nan=False, ensure_ascii=True).encode("ascii")
    except (TypeError, ValueError) as err:
        raise InvalidArgument(f"not JSON-serialisable: {err}") from None


def _server_message(response: requests.Response, empty: str | None = None) -> str:
    """The server's explanation: a JSON ``error``/``message`` or the text body."""
    text = response.content.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for name in ("error", "message"):
                if isinstance(data.get(name), str):
                    return _shorten(data[name])
    if text:
        return _shorten(text)
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


def _is_timeout(err: BaseException) -> bool:
    """A timeout, including one while reading the body (requests wraps it differently)."""
    return any(
        isinstance(e, (requests.Timeout, urllib3.exceptions.TimeoutError))
        and not isinstance(e, urllib3.exceptions.NewConnectionError)  # refused, not slow
        for e in _causes(err)
    )


def _nothing_sent(err: BaseException) -> bool:
    """The connection was never made (refused, or timed out connecting): nothing was sent."""
    return any(
        isinstance(e, (requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError))
        for e in _causes(err)
    )


def _exhausted(err: BaseException) -> bool:
    """urllib3 gave up after its retries (it raises :class:`MaxRetryError` then)."""
    return any(isinstance(e, MaxRetryError) for e in _causes(err))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _show(value: Any) -> str:
    return _shorten(repr(value), 200)
