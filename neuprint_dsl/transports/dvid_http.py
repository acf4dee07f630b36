"""DVID ``neuronjson`` over HTTP: the DSL's queries, and the instance's other endpoints.

:class:`DvidHTTP` talks to one ``neuronjson`` instance (``<server>/api/node/<uuid>/<instance>``).
``run(neurons(...))`` compiles the predicate (:func:`~neuprint_dsl.neuronjson.to_neuronjson`),
sends ``GET .../query`` with the JSON query in the body (as neuclease does), filters any residual
on the client, and returns one row per body sorted by ``bodyid``, exactly what
:class:`~neuprint_dsl.transports.LocalNeuronJson` returns for the same records.

Rules it keeps (see ``reference/dvid-and-neuprinthttp-behaviour.md`` part A):

* every answer is sorted by body id and de-duplicated on the client (DVID answers in
  lexicographic key order from its key-value store and repeats ids on its body-id fast path);
* a request always has a timeout; only reads (``GET``/``HEAD``) are retried, on connection
  errors and 502/503/504, with a short back-off; a write (``POST``/``DELETE``) is sent once;
* a failed request raises :class:`~neuprint_dsl.ServerError` with the server's own message and
  the request sent; a 200 whose body is not valid JSON (DVID streams, so errors can arrive as a
  truncated answer) raises :class:`~neuprint_dsl.TransportError`, never a partial result;
* writes are checked before they are sent (a JSON object, ``bodyid`` equal to the key, no
  forged ``*_user``/``*_time`` fields unless asked for).

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
import time
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, Literal, TypeGuard, overload
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
import requests
import urllib3

from ..errors import InvalidArgument, QueryTimeout, ServerError, TransportError
from ..neuronjson import Query
from ..query import Neurons
from .neuronjson_base import SHOW, NeuronJsonTransport, Record, records_frame

TimeoutSpec = float | tuple[float, float]

BODYID = "bodyid"
UINT64_MAX = 2**64 - 1
#: statuses after which a read is tried again
RETRY_STATUSES = frozenset({502, 503, 504})
#: failures after which a read is tried again (the connection broke, or the answer did)
TRANSIENT_ERRORS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
#: methods that are safe to send twice
IDEMPOTENT = frozenset({"GET", "HEAD"})
#: longest server message or request body quoted in an error
MESSAGE_LIMIT = 1000

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


class DvidHTTP(NeuronJsonTransport):
    """A DVID ``neuronjson`` instance over HTTP.

    ``server`` is ``http(s)://host[:port]`` (``http://`` is assumed without a scheme; DVID is
    often plain http); ``uuid`` a hexadecimal prefix, ``prefix:branch``, ``prefix:`` (master),
    ``:branch`` or any of these with ``~N``; ``instance`` the data instance name. ``token`` is
    sent as ``Authorization: Bearer <token>``. ``timeout`` (seconds, or a ``(connect, read)``
    pair; required, never ``None``) applies to connecting and to each wait for the answer.
    ``user`` is the default ``u`` of writes. ``retries`` is how many times a failed read is
    tried again. ``session`` lets you bring your own :class:`requests.Session`.

    Example (needs a DVID server)::

        >>> from neuprint_dsl import N, neurons
        >>> dvid = DvidHTTP("http://emdata.example.org:8900", "a1b2:master",
        ...                 "segmentation_annotations", user="jdoe")  # doctest: +SKIP
        >>> dvid.run(neurons(N.type.matches("MBON.*") & (N.status == "Traced")))  # doctest: +SKIP
        >>> dvid.get(1234567)["type"]  # doctest: +SKIP
        'MBON01'
        >>> dvid.post(1234567, {"type": "MBON02"})  # doctest: +SKIP
    """

    #: first pause before a retry, in seconds (doubled after each attempt)
    backoff = 0.05

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
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {_check_token(token)}"
        self._own_session = session is None
        self.session = requests.Session() if session is None else session
        self.path = f"/api/node/{quote(self.uuid, safe=':~')}/{quote(self.instance, safe='')}"
        self.url = self.server + self.path

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
        values) raises ``ValueError`` before anything is sent.

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

    def keyrange(self, first: int, last: int) -> list[int]:
        """Body ids from ``first`` to ``last`` inclusive, in numeric order. A range whose
        bounds have different numbers of digits is asked for one digit count at a time (DVID's
        key-value store compares keys as strings, so ``5..20`` would otherwise be empty).

        Example (needs a DVID server)::

            >>> dvid.keyrange(1, 20000)  # doctest: +SKIP
            [5813, 10000]
        """
        ids: set[int] = set()
        for a, b in _digit_ranges(check_key(first, zero=True), check_key(last, zero=True)):
            path = f"keyrange/{a}/{b}"
            data = self._get_json(path)
            ids.update(k for k in _key_list(data, self._describe("GET", path)) if a <= k <= b)
        return sorted(ids)

    def keyrangevalues(
        self,
        first: int,
        last: int,
        fields: Iterable[str] | None = None,
        show: str | None = None,
    ) -> pd.DataFrame:
        """The annotations of body ids ``first`` to ``last`` inclusive
        (``GET .../keyrangevalues/a/b?json=true``), one row per body.

        Example (needs a DVID server)::

            >>> dvid.keyrangevalues(10000, 10999)["bodyid"].tolist()  # doctest: +SKIP
            [10000, 10311]
        """
        names = _field_list(fields)
        params = {"json": "true", **_params(fields=names, show=show)}
        records: list[dict[str, Any]] = []
        for a, b in _digit_ranges(check_key(first, zero=True), check_key(last, zero=True)):
            path = f"keyrangevalues/{a}/{b}"
            data = self._get_json(path, params=params)
            got = _keyed_records(data, self._describe("GET", path, params))
            records.extend(r for r in got if a <= r[BODYID] <= b)
        return _frame(_selected(records, names, show), names)

    def keyvalues(
        self,
        keys: Iterable[int],
        fields: Iterable[str] | None = None,
        show: str | None = None,
    ) -> pd.DataFrame:
        """The annotations of the given body ids (``GET .../keyvalues?json=true`` with the
        ids in the body), one row per body found; ids without an annotation are left out.

        Example (needs a DVID server)::

            >>> dvid.keyvalues([10000, 5813, 999])["bodyid"].tolist()  # doctest: +SKIP
            [5813, 10000]
        """
        ids = sorted({check_key(k) for k in _iterable(keys, "keys")})
        names = _field_list(fields)
        if not ids:
            return _frame([], names)
        params = {"json": "true", **_params(fields=names, show=show)}
        data = self._get_json("keyvalues", params=params, body=ids)
        records = _keyed_records(data, self._describe("GET", "keyvalues", params, ids))
        return _frame(_selected(records, names, show), names)

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
        """Write the annotation of one body. By default the fields are **merged** into the
        stored ones (a ``None`` value deletes a field); ``replace=True`` drops the fields not
        given; ``conditional`` names fields that are only written if not already set. DVID
        records ``F_user``/``F_time`` for each changed field; ``user`` (or the transport's
        ``user``) is the ``u`` it records. Sent once, never retried.

        Refused before anything is sent (``ValueError``/``TypeError``): a key that is not a
        positive 64-bit id, a value that is not a JSON object, a ``bodyid`` other than the key,
        ``*_user``/``*_time`` fields unless ``allow_metadata=True`` (``bodyid_user`` and
        ``bodyid_time`` always), no user.

        Example (needs a DVID server)::

            >>> dvid.post(10000, {"type": "KCab", "status": "Traced"}, user="jdoe")  # doctest: +SKIP
        """
        body = check_key(key)
        record = check_value(body, value, allow_metadata=allow_metadata)
        params = {"u": self._writer(user)}
        if not isinstance(replace, bool):
            raise InvalidArgument(f"replace must be True or False, not {replace!r}")
        if replace:
            params["replace"] = "true"
        protected = _conditional(conditional)
        if protected:
            params["conditional"] = ",".join(protected)
        self._request("POST", f"key/{body}", params=params, body=record)

    def delete(self, key: int) -> None:
        """Delete the annotation of one body (sent once, never retried).

        Example (needs a DVID server)::

            >>> dvid.delete(10000)  # doctest: +SKIP
        """
        self._request("DELETE", f"key/{check_key(key)}")

    # -- instance metadata -----------------------------------------------------------------

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON schema DVID enforces on writes, or ``None`` if none is set.

        Example (needs a DVID server)::

            >>> dvid.json_schema()  # doctest: +SKIP
            {'type': 'object', 'properties': {'bodyid': {'type': 'integer'}}}
        """
        response = self._request("GET", "json_schema", accept=(404,))
        what = self._describe("GET", "json_schema")
        if response.status_code == 404:
            message = _server_message(response, empty="")
            if message:  # a 404 that says something is not "no schema" (e.g. no such instance)
                raise ServerError(404, message, what)
            return None
        return _object(_decode(response, what), what)

    def post_json_schema(self, schema: Mapping[str, Any]) -> None:
        """Set the JSON schema DVID enforces on later writes (sent once).

        Example (needs a DVID server)::

            >>> dvid.post_json_schema({"type": "object"})  # doctest: +SKIP
        """
        if not isinstance(schema, Mapping):
            raise InvalidArgument(
                f"a JSON schema is a JSON object (a dict), not {type(schema).__name__}"
            )
        self._request("POST", "json_schema", body=dict(schema))

    def delete_json_schema(self) -> None:
        """Remove the JSON schema (sent once).

        Example (needs a DVID server)::

            >>> dvid.delete_json_schema()  # doctest: +SKIP
        """
        self._request("DELETE", "json_schema")

    def tags(self) -> dict[str, Any]:
        """The instance's tags (``GET .../tags``).

        Example (needs a DVID server)::

            >>> dvid.tags()  # doctest: +SKIP
            {'type': 'meta'}
        """
        return _object(self._get_json("tags"), self._describe("GET", "tags"))

    def info(self) -> dict[str, Any]:
        """The instance's configuration (``GET .../info``).

        Example (needs a DVID server)::

            >>> dvid.info()["Base"]["TypeName"]  # doctest: +SKIP
            'neuronjson'
        """
        return _object(self._get_json("info"), self._describe("GET", "info"))

    # -- HTTP ------------------------------------------------------------------------------

    def _writer(self, user: str | None) -> str:
        name = self.user if user is None else _check_user(user)
        if name is None:
            raise InvalidArgument(
                "DVID records who wrote each field: pass user=... to post() or to DvidHTTP()"
            )
        return name

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
    ) -> str:
        """The request as a readable line for error messages: ``GET /api/.../query {...}``."""
        text = f"{method} {self.path}/{path}"
        if params:
            text += "?" + urlencode(params)
        if not isinstance(body, _Nothing):
            text += " " + _shorten(json.dumps(body, ensure_ascii=False, default=repr))
        return text

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = _NO_BODY,
        accept: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send one request; retry reads on connection errors and 502/503/504; raise
        :class:`ServerError` for any other status outside 2xx and ``accept``."""
        data = None if isinstance(body, _Nothing) else _encode(body)
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        what = self._describe(method, path, params, body)
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.session.request(
                    method,
                    f"{self.url}/{path}",
                    params=dict(params or {}),
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=method in IDEMPOTENT,
                )
            except requests.RequestException as err:
                # a connect timeout sent nothing: a read may try again like any refused
                # connection; other timeouts (and any write) end here
                retry_connect = isinstance(err, requests.ConnectTimeout) and method in IDEMPOTENT
                if _is_timeout(err) and (last or not retry_connect):
                    raise QueryTimeout(self._timeout_message(what, method)) from None
                if retry_connect:
                    self._pause(attempt)
                    continue
                if last or not isinstance(err, TRANSIENT_ERRORS):
                    raise TransportError(
                        self._failure_message(what, method, attempt + 1, err)
                    ) from err
                self._pause(attempt)
                continue
            status = response.status_code
            if status in RETRY_STATUSES and not last:
                response.close()
                self._pause(attempt)
                continue
            if 200 <= status < 300 or status in accept:
                return response
            raise ServerError(status, _server_message(response), what)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _pause(self, attempt: int) -> None:
        time.sleep(self.backoff * 2**attempt)

    def _timeout_message(self, what: str, method: str) -> str:
        text = f"no answer from {self.server} within the timeout ({self.timeout} s): {what}"
        if method not in IDEMPOTENT:
            text += " (the write may or may not have been applied; it was not sent again)"
        return text

    def _failure_message(self, what: str, method: str, attempts: int, err: Exception) -> str:
        if attempts > 1:
            tries = f"after {attempts} attempts"
        elif method in IDEMPOTENT:
            tries = "(not retried)"
        else:
            tries = "(not retried: a write)"
        text = (
            f"request to {self.server} failed {tries}: {type(err).__name__}: {err}\nrequest: {what}"
        )
        if method not in IDEMPOTENT:
            text += "\nthe write may or may not have been applied; check before sending it again"
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
        >>> check_value(7, {"bodyid": 7, "type": "KC"})
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
    for name in record:
        if name in ("bodyid_user", "bodyid_time"):
            raise InvalidArgument(f"refusing to write {name!r}: DVID rejects it (400)")
        if name.endswith(("_user", "_time")) and not allow_metadata:
            raise InvalidArgument(
                f"refusing to write {name!r}: DVID sets *_user/*_time itself from u= and the "
                "clock (pass allow_metadata=True to write it)"
            )
    _encode(record)  # JSON-serialisable, no NaN or infinity
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


def _is_timeout(err: requests.RequestException) -> bool:
    """A timeout, including one while reading the body (requests wraps it differently)."""
    if isinstance(err, requests.Timeout):
        return True
    return any(isinstance(arg, urllib3.exceptions.TimeoutError) for arg in err.args)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _show(value: Any) -> str:
    return _shorten(repr(value), 200)
