"""A client for one DVID ``neuronjson`` instance: every endpoint, reads and writes.

:class:`DvidClient` talks to ``<server>/api/node/<uuid>/<instance>`` with a typed method for
each endpoint of DVID's ``datatype/neuronjson`` (docs/dvid.md lists them). The transport
:class:`~neuprint_dsl.transports.DvidHTTP` is this client plus the DSL's queries.

Rules it keeps (see ``reference/dvid-and-neuprinthttp-behaviour.md`` part A and DVID's
``datatype/neuronjson/neuronjson.go``):

* every answer is sorted by body id and de-duplicated on the client (DVID answers in
  lexicographic key order from its key-value store and repeats ids on its body-id fast path);
* a request always has a timeout. Reads (``GET``/``HEAD``) are retried by urllib3's
  :class:`~urllib3.util.Retry` on the session's adapter
  (:class:`~neuprint_dsl.http_session.DvidRetry`): connection errors and 502/503/504, with
  capped exponential back-off and the server's ``Retry-After`` (capped too); a read that
  timed out is not sent again. A write (``POST``/``DELETE``) is **never** sent twice, and one
  that fails with a 5xx, a timeout or a broken connection raises an error saying it **may
  have been applied**;
* a failed request raises :class:`~neuprint_dsl.ServerError` with the server's own message and
  the request sent; a 200 whose body is not a whole answer (invalid JSON, a tar without its
  end marker, a cut protobuf message: DVID streams, so errors can arrive as a truncated answer)
  raises :class:`~neuprint_dsl.TransportError`, never a partial result
  (:mod:`~neuprint_dsl.dvid.answers`); a body cut by the connection is fetched again (reads
  only);
* what is sent is checked first (:mod:`~neuprint_dsl.dvid.checks`): writes are JSON objects
  whose ``bodyid`` is the key (DVID requires the field; it is added when missing), no forged
  ``*_user``/``*_time`` fields unless asked for, and no string anywhere holds a lone UTF-16
  surrogate (Go's decoder would turn it into U+FFFD: :class:`~neuprint_dsl.errors.InvalidValue`,
  as on every backend).

Constructing a client checks its arguments and touches no network:

    >>> dvid = DvidClient("localhost:8000", "a1b2:master", "segmentation_annotations")
    >>> dvid.url
    'http://localhost:8000/api/node/a1b2:master/segmentation_annotations'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Self, overload
from urllib.parse import quote, urlencode

import pandas as pd
import requests
import urllib3

from ..errors import InvalidArgument, QueryTimeout, ServerError, TransportError
from ..http_session import IDEMPOTENT, DvidRetry, mount_retries, shorten
from ..neuronjson import Query, check_json_text
from .answers import (
    body_ids,
    brief,
    exhausted,
    is_timeout,
    json_object,
    key_list,
    nothing_sent,
    read_json,
    records_table,
    select_fields,
    selected,
    server_message,
    sorted_records,
    values_records,
)
from .checks import (
    BODYID,
    SchemaKind,
    TimeoutSpec,
    ValuesFormat,
    annotation_items,
    as_list,
    check_bound,
    check_instance,
    check_key,
    check_query,
    check_timeout,
    check_token,
    check_user,
    check_uuid,
    check_value,
    conditional_fields,
    digit_ranges,
    encode_json,
    field_list,
    flag,
    is_int,
    non_negative,
    normalize_server,
    read_params,
    schema_kind,
    values_params,
)
from .formats import encode_key_values, encode_keys

__all__ = ["MAY_HAVE_BEEN_APPLIED", "DvidClient"]

#: what a write that may have reached the server says
MAY_HAVE_BEEN_APPLIED = (
    "the write may have been applied (it was not sent again); check, e.g. with get(), before "
    "sending it again"
)


class _Nothing:
    """No request body (distinct from a JSON ``null``)."""


_NO_BODY = _Nothing()


class DvidClient:
    """One DVID ``neuronjson`` instance over HTTP: every endpoint, reads and writes.

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

        >>> dvid = DvidClient("http://emdata.example.org:8900", "a1b2:master",
        ...                   "segmentation_annotations", user="jdoe")  # doctest: +SKIP
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
        session: requests.Session | None = None,
        retries: int = 2,
        backoff: float = 0.05,
        backoff_max: float = 2.0,
    ) -> None:
        self.server = normalize_server(server)
        self.uuid = check_uuid(uuid)
        self.instance = check_instance(instance)
        self.timeout = check_timeout(timeout)
        self.user = None if user is None else check_user(user)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidArgument(f"retries must be a non-negative int, not {retries!r}")
        self.retries = retries
        self.backoff = non_negative(backoff, "backoff")
        self.backoff_max = non_negative(backoff_max, "backoff_max")
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {check_token(token)}"
        self._own_session = session is None
        self.session = requests.Session() if session is None else session
        self.path = f"/api/node/{quote(self.uuid, safe=':~')}/{quote(self.instance, safe='')}"
        self.url = self.server + self.path
        self.retry = DvidRetry.for_reads(retries, self.backoff, self.backoff_max)
        mount_retries(self.session, self.url + "/", self.retry)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.server!r}, {self.uuid!r}, {self.instance!r})"

    def close(self) -> None:
        """Close the HTTP session (only if this client created it)."""
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        names = field_list(fields)
        params = read_params(fields=names, show=show)
        if onlyid:
            params["onlyid"] = "true"
        data = self._get_json("query", params=params, body=query)
        what = self._describe("GET", "query", params, query)
        if onlyid:
            return body_ids(data, what)
        records = sorted_records(data, what)
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
        names = field_list(fields)
        return records_table(self._all(names, show), names)

    def _all(self, fields: list[str] | None, show: str | None) -> list[dict[str, Any]]:
        params = read_params(fields=fields, show=show)
        data = self._get_json("all", params=params)
        records = sorted_records(data, self._describe("GET", "all", params))
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
        return sorted(set(key_list(data, self._describe("GET", "keys"))))

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
            if not isinstance(data, dict) or not all(is_int(v) for v in data.values()):
                raise TransportError(f"{what}: expected a JSON object of counts, got {brief(data)}")
            return {k: v for k, v in sorted(data.items()) if k and v > 0}
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            raise TransportError(f"{what}: expected a JSON list of names, got {brief(data)}")
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
        data = json_object(self._get_json("fieldtimes"), what)
        if not all(isinstance(v, str) for v in data.values()):
            raise TransportError(f"{what}: expected {{field: time}}, got {brief(data)}")
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
        return sorted(set(key_list(data, self._describe("GET", path))))

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
        for a, b in digit_ranges(check_key(first, zero=True), check_key(last, zero=True)):
            path = f"keyrange/{a}/{b}"
            data = self._get_json(path)
            ids.update(k for k in key_list(data, self._describe("GET", path)) if a <= k <= b)
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
        names, params = values_params(format, check, fields, show)
        records = self._values("GET", path, format, params)
        return records_table(selected(records, names, show), names)

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
        names, params = values_params(format, check, fields, show)
        records: list[dict[str, Any]] = []
        for a, b in digit_ranges(check_key(first, zero=True), check_key(last, zero=True)):
            got = self._values("GET", f"keyrangevalues/{a}/{b}", format, params)
            records.extend(r for r in got if a <= r[BODYID] <= b)
        return records_table(
            selected(sorted_records(records, "keyrangevalues"), names, show), names
        )

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
        ids = sorted({check_key(k) for k in as_list(keys, "keys")})
        names, params = values_params(format, check, fields, show)
        if not ids:
            return records_table([], names)
        body: Any
        if format == "json":
            body, data, shown = ids, None, None
        elif format == "jsontar":
            body, data, shown = [str(i) for i in ids], None, None
        else:
            body, data = _NO_BODY, encode_keys(str(i) for i in ids)
            shown = f"<protobuf Keys: {len(ids)} keys {shorten(str(ids), 200)}>"
        records = self._values("GET", "keyvalues", format, params, body, data, shown)
        return records_table(selected(records, names, show), names)

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
        return values_records(response, format, what)

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
        names = field_list(fields)
        params = read_params(fields=names, show=show)
        data = self._get_json(path, params=params)
        if not isinstance(data, dict):
            what = self._describe("GET", path, params)
            raise TransportError(f"{what}: expected a JSON object, got {brief(data)}")
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
        items = annotation_items(annotations)
        records = [(k, check_value(k, v, allow_metadata=allow_metadata)) for k, v in items]
        params = self._write_params(user, replace, conditional)
        if not records:
            return 0
        data = encode_key_values((str(k), encode_json(v)) for k, v in records)
        ids = [k for k, _ in records]
        shown = f"<protobuf KeyValues: {len(ids)} annotations, bodies {shorten(str(ids), 200)}>"
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
        path = schema_kind(kind)
        response = self._request("GET", path, accept=(404,))
        what = self._describe("GET", path)
        if response.status_code == 404:
            message = server_message(response, empty="")
            if message:  # a 404 that says something is not "no schema" (e.g. no such instance)
                raise ServerError(404, message, what)
            return None
        return read_json(response, what)

    def has_schema(self, kind: SchemaKind = "json_schema") -> bool:
        """True if the metadata document ``kind`` is set (``HEAD .../<kind>``).

        Example (needs a DVID server)::

            >>> dvid.has_schema("schema_batch")  # doctest: +SKIP
            False
        """
        response = self._request("HEAD", schema_kind(kind), accept=(404,))
        return response.status_code != 404

    def post_schema(self, document: Any, kind: SchemaKind = "json_schema") -> None:
        """Store a metadata document (``POST .../<kind>``; sent once). DVID stores any bytes
        without checking them, so the document is checked here: JSON (no NaN, no lone
        surrogates), and for ``"json_schema"`` an object or a boolean (what a JSON schema is;
        DVID silently stops validating writes when it cannot compile the one it has).

        Example (needs a DVID server)::

            >>> dvid.post_schema({"type": "object", "required": ["status"]})  # doctest: +SKIP
        """
        path = schema_kind(kind)
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
        self._request("DELETE", schema_kind(kind))

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
        raise TransportError(f"{what}: expected a JSON object, got {brief(value)}")

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
        data = json_object(self._get_json("tags"), what)
        tags = data.get("Tags")
        if tags is None:
            return {}
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise TransportError(f"{what}: expected {{'Tags': {{name: text}}}}, got {brief(data)}")
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
        params = {"replace": "true"} if flag(replace, "replace") else {}
        self._request("POST", "tags", params=params, body=dict(tags))

    def info(self) -> dict[str, Any]:
        """The instance's configuration (``GET .../info``: ``{"Base": {...}, "Extended":
        {}}``).

        Example (needs a DVID server)::

            >>> dvid.info()["Base"]["TypeName"]  # doctest: +SKIP
            'neuronjson'
        """
        return json_object(self._get_json("info"), self._describe("GET", "info"))

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
        name = self.user if user is None else check_user(user)
        if name is None:
            raise InvalidArgument(
                "DVID records who wrote each field: pass user=... to the write or to DvidHTTP()"
            )
        return name

    def _write_params(
        self, user: str | None, replace: bool, conditional: Iterable[str] | str | None
    ) -> dict[str, str]:
        params = {"u": self._writer(user)}
        if flag(replace, "replace"):
            params["replace"] = "true"
        protected = conditional_fields(conditional)
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
        return read_json(response, self._describe("GET", path, params, body))

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
            text += " " + shorten(json.dumps(body, ensure_ascii=False, default=repr))
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
            data = encode_json(body)
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
                if is_timeout(err):
                    raise QueryTimeout(self._timeout_message(what, method, err)) from None
                raise TransportError(self._failure_message(what, method, err)) from err
            status = response.status_code
            if 200 <= status < 300 or status in accept:
                return response
            message = server_message(response)
            if write and status >= 500:
                message += f" ({MAY_HAVE_BEEN_APPLIED})"
            raise ServerError(status, message, what)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _timeout_message(self, what: str, method: str, err: BaseException) -> str:
        text = f"no answer from {self.server} within the timeout ({self.timeout} s): {what}"
        if method not in IDEMPOTENT:
            if nothing_sent(err):
                text += " (the connection was never made: the write was not applied)"
            else:
                text += f" ({MAY_HAVE_BEEN_APPLIED})"
        return text

    def _failure_message(self, what: str, method: str, err: BaseException) -> str:
        if method not in IDEMPOTENT:
            tries = "(not retried: a write)"
        elif exhausted(err) or isinstance(err, requests.exceptions.ChunkedEncodingError):
            tries = f"after {1 + self.retries} attempts"
        else:
            tries = "(not retried)"
        text = (
            f"request to {self.server} failed {tries}: {type(err).__name__}: "
            f"{shorten(str(err), 300)}\nrequest: {what}"
        )
        if method not in IDEMPOTENT:
            if nothing_sent(err):
                text += "\nthe connection was never made: the write was not applied"
            else:
                text += f"\n{MAY_HAVE_BEEN_APPLIED}"
        return text
