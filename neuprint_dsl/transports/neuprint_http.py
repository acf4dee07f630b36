"""The neuPrint transport: compiled queries sent to a neuPrintHTTP server (DESIGN section 7).

neuPrintHTTP takes one Cypher statement per request and **no parameters**, so the transport
sends ``statement.inline()`` as ``{"cypher": ..., "dataset": ...}`` to ``POST
/api/custom/custom`` (or ``/api/custom/arrow`` for statements of body ids and weights, when the
server is 1.7.3 or later and pyarrow is installed, and only when the Arrow answer provably
equals the JSON one: docs/http.md, "Arrow"). What it guarantees:

* a token that an HTTP header can carry (checked when made) and never shown in an error;
* a timeout on every request (``timeout=None`` is refused);
* retries (urllib3's ``Retry`` on the session's adapters,
  :class:`~neuprint_dsl.http_session.NeuprintRetry`) on connection errors, resets and
  502/503/504, and of answers cut short, never on 4xx or a read timeout;
* every failure raises: :class:`~neuprint_dsl.errors.ServerError` (status, the server's
  ``{"error"}`` or ``{"message"}`` text, the Cypher sent), :class:`ServerTimeout` /
  :class:`~neuprint_dsl.errors.QueryTimeout` for timeouts, and
  :class:`~neuprint_dsl.errors.TransportError` for unreachable servers and truncated or
  malformed answers; never a partial or silently empty table.

Every query is logged at DEBUG level on the logger ``neuprint_dsl.transports.neuprint_http``.
What is checked before sending and how answers are read (JSON, Arrow, errors) lives in
:mod:`neuprint_dsl.neuprinthttp`; this module sends the requests.

Example:
    >>> t = NeuprintHTTP("neuprint.janelia.org", "hemibrain:v1.2.1", token="my-token")
    >>> t.server, t.dataset, t.timeout
    ('https://neuprint.janelia.org', 'hemibrain:v1.2.1', 60.0)
    >>> from neuprint_dsl import N
    >>> df = t.run(N.type.matches("MBON.*") & N.roi("MB(R)"))  # doctest: +SKIP
    >>> raw = t.fetch_custom("MATCH (m:Meta) RETURN m.dataset AS dataset")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd
import requests

from ..backends import NEO4J
from ..errors import (
    InvalidArgument,
    QueryTimeout,
    ServerError,
    ServerTimeout,
    TransportError,
)
from ..execute import Runs
from ..http_session import NeuprintRetry, mount_retries
from ..neuprinthttp.answers import (
    Reply,
    columns_and_data,
    is_read_timeout,
    loads,
    parse_version,
    plain,
    query_suffix,
    read_timeout,
    server_error,
)
from ..neuprinthttp.arrow import (
    ARROW_COLUMNS,
    ARROW_EMPTY,
    ARROW_MIN_VERSION,
    arrow_frame,
    not_exact,
    pyarrow_module,
    read_arrow,
)
from ..neuprinthttp.checks import (
    check_cypher_text,
    check_timeout,
    check_token,
    normalize_server,
    resolve_token,
)
from ..neuprinthttp.tables import object_frame, run_frame
from ..schema import GraphSchema
from .base import Table

if TYPE_CHECKING:
    from ..cypher.statement import CypherStatement

__all__ = [
    "ARROW_COLUMNS",
    "ARROW_MIN_VERSION",
    "NeuprintHTTP",
    "NeuprintRetry",
    "ServerTimeout",
    "check_cypher_text",
    "check_token",
]

logger = logging.getLogger(__name__)

#: The routes that run (read-only) Cypher: POSTs to them may be sent again (see NeuprintRetry).
_QUERY_PATHS = ("/api/custom/custom", "/api/custom/arrow")
_CHUNK = 1 << 20
#: How the dataset's Meta node is read (once per transport; see NeuprintHTTP.fetch_meta).
_META_QUERY = "MATCH (m:Meta) RETURN m"


class NeuprintHTTP(Runs):
    """A neuPrintHTTP server and one of its datasets.

    ``server`` is a host (``https://`` is added) or an ``https://`` URL; ``http://`` is
    accepted only for ``localhost``, ``127.0.0.1`` and ``[::1]``. ``token`` comes from the
    argument or the ``NEUPRINT_APPLICATION_CREDENTIALS`` environment variable (the bare token,
    or the JSON document holding it under ``"token"``); without one the requests are anonymous,
    which only public datasets accept. ``dataset`` is sent in its exact case: neuPrintHTTP finds
    the dataset case-insensitively but rewrites the labels with the case it was sent, so a
    wrongly cased name matches nothing (``check_dataset=True`` checks it up front).

    ``timeout`` (seconds, or a ``(connect, read)`` pair) bounds every wait on the server, as
    in requests: connecting, and each read of the answer. ``retries`` more attempts follow a
    connection failure, a dropped connection, an answer cut short or a 502/503/504 answer
    (urllib3's ``Retry`` on the session's adapters, see :class:`NeuprintRetry`: the first at
    once, then ``backoff * 2**(n-1)`` seconds, at most 10 s, or what the server's
    ``Retry-After`` asks, at most 30 s). The token is checked here (:func:`check_token`) and
    never appears in an error message or ``repr``.

    ``use_arrow`` lets :meth:`execute` use ``/api/custom/arrow`` (server 1.7.3 or later,
    pyarrow installed) for statements whose columns are all body ids and weights, accepting
    the answer only when every column came back as complete int64 (else the statement is
    fetched again through JSON): neuPrintHTTP types each Arrow column from its first row and
    turns later values that do not fit into nulls or truncated numbers, so any other table
    goes through JSON (docs/http.md). ``session`` lets a caller supply a configured
    ``requests.Session``: it is used as is (its own adapters decide retries; the headers go
    with each request).

    :meth:`run` checks every query against the dataset's schema before sending it (unknown
    fields, ROIs, columns and ``order by`` keys raise :class:`~neuprint_dsl.errors.UnknownField`
    / :class:`~neuprint_dsl.errors.UnknownROI` with close matches, comparisons of the wrong
    kind :class:`~neuprint_dsl.errors.QueryTypeError`). The schema is read from the dataset's
    ``:Meta`` node (``neuronProperties``, ``roiInfo``, ``primaryRois``, ``superLevelRois``)
    with one query, on first use, then cached (thread-safe). ``schema=`` (a
    :class:`~neuprint_dsl.schema.GraphSchema`) is used instead of fetching it;
    ``check_names=False`` turns the check (and the fetch) off.

    Example:
        >>> t = NeuprintHTTP("http://127.0.0.1:8000/", "hemibrain:v1.2.1", token="abc")
        >>> t.server, t.headers["Authorization"]
        ('http://127.0.0.1:8000', 'Bearer abc')
        >>> NeuprintHTTP("http://neuprint.example.org", "hemibrain")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: neuPrint servers must be reached over https ...
        >>> NeuprintHTTP("neuprint.janelia.org", "hemibrain", timeout=None)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: timeout must be a positive number of seconds ...
    """

    dialect = NEO4J

    def __init__(
        self,
        server: str,
        dataset: str,
        token: str | None = None,
        verify: bool | str = True,
        timeout: float | tuple[float, float] | None = 60.0,
        *,
        retries: int = 3,
        backoff: float = 0.2,
        use_arrow: bool = True,
        session: requests.Session | None = None,
        schema: GraphSchema | None = None,
        check_dataset: bool = False,
        check_names: bool = True,
    ) -> None:
        self.server = normalize_server(server)
        if not isinstance(dataset, str) or not dataset.strip():
            raise InvalidArgument(f"dataset must be a non-empty string, not {dataset!r}")
        self.dataset = dataset
        self.timeout = check_timeout(timeout)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidArgument(f"retries must be an int >= 0, not {retries!r}")
        if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or backoff < 0:
            raise InvalidArgument(f"backoff must be a number of seconds >= 0, not {backoff!r}")
        self.retries = retries
        self.backoff = float(backoff)
        self.verify = verify
        self.use_arrow = use_arrow
        self.token = resolve_token(token)
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        if self.token:
            self.headers["Authorization"] = f"Bearer {self.token}"
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        if session is None:
            # requests picks the longest matching prefix: POSTs are retried on the query routes
            for prefix, posts in ((self.server + "/", False), (self.server + "/api/custom/", True)):
                retry = NeuprintRetry.policy(retries, self.backoff, posts=posts)
                mount_retries(self._session, prefix, retry)
        if not isinstance(check_names, bool):
            raise InvalidArgument(f"check_names must be True or False, not {check_names!r}")
        self.check_names = check_names
        self._schema = schema
        self._meta_schema: GraphSchema | None = None
        self._schema_lock = threading.Lock()
        self._meta: dict[str, Any] | None = None
        self._meta_lock = threading.Lock()
        self._lock = threading.Lock()
        self._arrow: bool | None = None if use_arrow else False
        #: The server's version string, once the Arrow check has asked for it.
        self.server_version: str | None = None
        if check_dataset:
            self.check_dataset()

    # -- the CypherTransport protocol -------------------------------------------------------

    @property
    def schema(self) -> GraphSchema | None:
        """The dataset's schema (property kinds and ROI names) for checking and compiling:
        the one passed in, else the one built from the ``:Meta`` node (read by
        :meth:`fetch_meta`: one query, on first use, shared with a compat ``Client``), or
        ``None`` with ``check_names=False``. A failed fetch raises (and is tried again next
        time)."""
        if self._schema is not None or not self.check_names:
            return self._schema
        if self._meta_schema is None:
            with self._schema_lock:
                if self._meta_schema is None:
                    self._meta_schema = self._schema_from_meta(self.fetch_meta())
        return self._meta_schema

    def fetch_meta(self) -> dict[str, Any]:
        """The dataset's ``:Meta`` node properties as stored (JSON text left as text), or
        ``{}`` when the dataset has no Meta node. Read with one query (``MATCH (m:Meta)
        RETURN m``) on the first call, then cached: the schema check and a compat ``Client``
        share this one read. Thread-safe; a failed read raises and is tried again next call.

        Example:
            >>> t = NeuprintHTTP("neuprint.janelia.org", "hemibrain:v1.2.1", token="x")
            >>> t.fetch_meta()["dataset"]  # doctest: +SKIP
            'hemibrain'
        """
        if self._meta is None:
            with self._meta_lock:
                if self._meta is None:
                    _columns, rows = self._query(_META_QUERY)
                    first: Any = rows[0][0] if len(rows) and len(rows[0]) else None
                    if first is not None and not isinstance(first, Mapping):
                        raise TransportError(
                            f"unexpected answer to {_META_QUERY!r} from {self.server}: a "
                            f"{type(first).__name__}, not the Meta node's properties"
                        )
                    self._meta = {str(k): plain(v) for k, v in (first or {}).items()}
        return dict(self._meta)

    def _schema_from_meta(self, meta: Mapping[str, Any]) -> GraphSchema:
        if not meta:  # no Meta node: nothing is known, nothing is checked
            logger.debug("dataset %r has no :Meta node; names are not checked", self.dataset)
            return GraphSchema(node_properties=None, edge_properties=None, rois=None)
        return GraphSchema.from_neuprint_meta(meta)

    def execute(self, statement: CypherStatement) -> Table:
        """Send a compiled ``neo4j`` statement (inlined) and return its rows.

        Through ``/api/custom/arrow`` only when it cannot change the table (see the class
        docstring): every column is a body id or weight and comes back as int64 without a
        null; otherwise, and for every other statement, through ``/api/custom/custom``. An
        empty result is an empty table with the statement's columns. The server's column
        names must be the statement's; anything else raises
        :class:`~neuprint_dsl.errors.TransportError`.
        """
        return self._execute(statement, object_frame)

    def execute_to_shape(self, statement: CypherStatement) -> Table:
        """:meth:`execute` for the executor, which gives every column its dtype at once
        (:func:`~neuprint_dsl.frames.shape`): a column of Python ints only comes back int64
        (``run_frame``), which shape turns into the same dtypes and values as the object
        column :meth:`execute` returns, in a fraction of the time (the ``TypesLater``
        capability of :mod:`neuprint_dsl.transports.base`)."""
        return self._execute(statement, run_frame)

    def _execute(
        self, statement: CypherStatement, make_frame: Callable[..., pd.DataFrame]
    ) -> Table:
        """Send ``statement``; JSON rows become a frame with ``make_frame``."""
        if statement.dialect != self.dialect:
            raise TransportError(
                f"this statement was compiled for {statement.dialect}, not {self.dialect}"
            )
        cypher = statement.inline()
        expected = tuple(statement.columns)
        table = None
        if expected and ARROW_COLUMNS.issuperset(expected) and self.arrow_available():
            table = self._query_arrow(cypher, expected)
        if table is None:
            columns, rows = self._query(cypher, width=len(expected))
            table = Table(columns, make_frame(columns, rows))
        if table.columns != expected:
            if not table.columns and len(table.rows) == 0:
                return Table(expected, [])
            raise TransportError(
                f"the server answered with the columns {list(table.columns)}, but the query "
                f"returns {list(expected)}\nquery was:\n{cypher}"
            )
        return table

    # -- raw Cypher and other endpoints ------------------------------------------------------

    @overload
    def fetch_custom(self, cypher: str, format: Literal["pandas"] = "pandas") -> pd.DataFrame: ...

    @overload
    def fetch_custom(self, cypher: str, format: Literal["json"]) -> dict[str, Any]: ...

    def fetch_custom(
        self, cypher: str, format: Literal["pandas", "json"] = "pandas"
    ) -> pd.DataFrame | dict[str, Any]:
        """Run Cypher text as written (no parameters) on this dataset.

        ``format="pandas"`` returns a DataFrame with the server's column names (what
        ``pd.DataFrame(data, columns=columns)`` makes of the answer, as in neuprint-python);
        ``format="json"`` returns the server's answer as a dict (``columns``, ``data``,
        ``debug``). Both go through ``/api/custom/custom``: the kinds of a hand-written
        query's columns are not known, so an Arrow answer could not be checked. Smart quotes
        are refused (see :func:`check_cypher_text`).

        Example:
            >>> t = NeuprintHTTP("neuprint.janelia.org", "hemibrain:v1.2.1", token="x")
            >>> t.fetch_custom("MATCH (n:Neuron) RETURN count(n) AS n")  # doctest: +SKIP
                   n
            0  24666
        """
        if format not in ("pandas", "json"):
            raise InvalidArgument(f"format must be 'pandas' or 'json', not {format!r}")
        check_cypher_text(cypher)
        if format == "json":
            self._log(cypher, "/api/custom/custom")
            path = "/api/custom/custom"
            content = self._request("POST", path, body=self._body(cypher), query=cypher).content
            document = loads(content, self._url(path), cypher)
            columns_and_data(document, self._url(path), cypher)
            return dict(document)
        columns, rows = self._query(cypher)
        return pd.DataFrame(rows, columns=list(columns))

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """``GET`` a JSON endpoint (``path`` starts with ``/``), with the transport's timeout,
        retries and error handling.

        Example:
            >>> NeuprintHTTP("neuprint.janelia.org", "x").get_json("/api/version")  # doctest: +SKIP
            {'Version': '1.9.2'}
        """
        content = self._request("GET", path, params=params).content
        return loads(content, self._url(path), None)

    def get_bytes(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """``GET`` an endpoint's raw bytes (meshes, skeletons, key-value data)."""
        return self._request("GET", path, params=params).content

    def post_json(self, path: str, body: Any) -> Any:
        """``POST`` a JSON body and decode the JSON answer. A ``"cypher"`` key in the body is
        what a :class:`~neuprint_dsl.errors.ServerError` reports as the query."""
        query = body.get("cypher") if isinstance(body, Mapping) else None
        query = query if isinstance(query, str) else None
        content = self._request("POST", path, body=body, query=query).content
        return loads(content, self._url(path), query)

    def fetch_version(self) -> str:
        """The neuPrintHTTP version (``GET /api/version``)."""
        answer = self.get_json("/api/version")
        if not isinstance(answer, dict) or not isinstance(answer.get("Version"), str):
            raise TransportError(f"unexpected answer from {self._url('/api/version')}: {answer!r}")
        return str(answer["Version"])

    def check_dataset(self) -> None:
        """Check that the server has this dataset, in this exact case
        (``GET /api/dbmeta/datasets``); raises :class:`~neuprint_dsl.errors.TransportError`
        naming the datasets it has."""
        datasets = self.get_json("/api/dbmeta/datasets")
        if not isinstance(datasets, dict):
            raise TransportError(f"unexpected answer from {self._url('/api/dbmeta/datasets')}")
        if self.dataset in datasets:
            return
        names = sorted(datasets)
        same = [name for name in names if name.lower() == self.dataset.lower()]
        hint = (
            f"; the server spells it {same[0]!r} (the case matters: neuPrintHTTP rewrites the "
            "labels with the case it is sent)"
            if same
            else ""
        )
        raise TransportError(
            f"dataset {self.dataset!r} is not on {self.server}{hint}; available: {names}"
        )

    def arrow_available(self) -> bool:
        """Whether queries go through ``/api/custom/arrow``: ``use_arrow``, pyarrow importable
        and a server of version 1.7.3 or later. Decided once per transport, on first use; a
        failed version check means JSON, not an error."""
        if self._arrow is not None:
            return self._arrow
        with self._lock:
            if self._arrow is None:
                self._arrow = self._check_arrow()
            return self._arrow

    def close(self) -> None:
        """Close the HTTP session (if this transport created it)."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> NeuprintHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<NeuprintHTTP {self.dataset!r} at {self.server}>"

    # -- internals ------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.server + path

    def _body(self, cypher: str) -> dict[str, str]:
        return {"cypher": cypher, "dataset": self.dataset}

    def _log(self, cypher: str, endpoint: str) -> None:
        logger.debug(
            "Performing cypher query against dataset %r (%s):\n%s", self.dataset, endpoint, cypher
        )

    def _query(
        self, cypher: str, *, width: int | None = None
    ) -> tuple[tuple[str, ...], list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]]:
        """Send Cypher text through ``/api/custom/custom``; the server's column names and the
        rows (a list of rows, or an int64 array for a table of integers). ``width``, the
        number of columns expected, lets the decoder check the rows' length as it reads them
        (an answer of another width is read and checked as any other)."""
        path = "/api/custom/custom"
        self._log(cypher, path)
        content = self._request("POST", path, body=self._body(cypher), query=cypher).content
        document = loads(content, self._url(path), cypher, fast=True, width=width)
        return columns_and_data(document, self._url(path), cypher)

    def _query_arrow(self, cypher: str, expected: tuple[str, ...]) -> Table | None:
        """The statement through ``/api/custom/arrow``, or None when its answer could differ
        from the JSON one (or the route is missing): then the caller asks through JSON."""
        path = "/api/custom/arrow"
        url = self._url(path)
        self._log(cypher, path)
        try:
            reply = self._request("POST", path, body=self._body(cypher), query=cypher)
        except ServerError as err:
            if err.status == 500 and err.message == ARROW_EMPTY:
                # neuPrintHTTP cannot build an Arrow table without rows: an empty result
                return Table(expected, [])
            if err.status != 404 or err.message != "Not Found":
                raise
            # The route itself is missing (echo's own 404), e.g. behind a proxy that does
            # not forward it: this server has no Arrow endpoint after all.
            logger.debug("%s is not served; using JSON", url)
            self._arrow = False
            return None
        table = read_arrow(reply, url, cypher)
        lossy = not_exact(table, expected)
        if lossy:
            logger.debug(
                "the Arrow answer may differ from the JSON one (%s); asking again through JSON",
                lossy,
            )
            return None
        return Table(tuple(str(c) for c in table.column_names), arrow_frame(table))

    def _check_arrow(self) -> bool:
        try:
            pyarrow_module()
        except ImportError:
            logger.debug("pyarrow is not installed; queries use JSON")
            return False
        try:
            self.server_version = self.fetch_version()
        except TransportError as err:
            logger.debug("cannot read the server version (%s); queries use JSON", err)
            return False
        version = parse_version(self.server_version)
        available = version is not None and version >= ARROW_MIN_VERSION
        logger.debug(
            "neuPrintHTTP %s: queries use %s", self.server_version, "Arrow" if available else "JSON"
        )
        return available

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        query: str | None = None,
    ) -> Reply:
        """One request; returns a 2xx answer with its whole body, or raises.

        Connection failures and 502/503/504 are retried by the session's adapters
        (:class:`NeuprintRetry`); an answer whose body is cut short (the connection closed
        before Content-Length bytes, or a broken chunked body) is asked for again here, as
        many times, for GETs and Cypher POSTs."""
        if not path.startswith("/"):
            raise InvalidArgument(f"path must start with '/', not {path!r}")
        url = self._url(path)
        data = None if body is None else json.dumps(body).encode("utf-8")
        again = self.retries if method in ("GET", "HEAD") or path in _QUERY_PATHS else 0
        attempts = self.retries + 1
        for attempt in range(again + 1):
            try:
                response = self._session.request(
                    method,
                    url,
                    data=data,
                    params=dict(params) if params is not None else None,
                    headers=self.headers,
                    timeout=self.timeout,
                    verify=self.verify,
                    stream=True,
                )
            except requests.exceptions.ConnectTimeout as err:
                raise QueryTimeout(
                    f"could not connect to {url} within {read_timeout(self.timeout)} s "
                    f"({attempts} attempts): {self._scrub(err)}" + query_suffix(query)
                ) from None
            except requests.exceptions.Timeout:
                raise QueryTimeout(self._no_answer(url, query)) from None
            except requests.exceptions.SSLError as err:
                raise TransportError(
                    f"TLS failure talking to {url}: {self._scrub(err)}; for a server with a "
                    "self-signed certificate pass verify=False or "
                    "verify='/path/to/ca-bundle.pem'"
                ) from None
            except requests.exceptions.ConnectionError as err:
                if is_read_timeout(err):
                    raise QueryTimeout(self._no_answer(url, query)) from None
                raise TransportError(
                    f"no answer from {url} after {attempts} attempts: {self._scrub(err)}"
                    + query_suffix(query)
                ) from None
            except requests.exceptions.RequestException as err:
                raise TransportError(f"request to {url} failed: {self._scrub(err)}") from None
            try:
                # 1 MiB reads: requests' .content reads 10 KiB at a time (~2x slower)
                content = b"".join(response.iter_content(_CHUNK))
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as err:
                if is_read_timeout(err):
                    raise QueryTimeout(self._no_answer(url, query)) from None
                if attempt < again:
                    delay = min(self.backoff * 2.0**attempt, NeuprintRetry.backoff_cap)
                    logger.debug(
                        "the answer from %s was cut short (%s); asking again in %.2f s",
                        url,
                        self._scrub(err),
                        delay,
                    )
                    time.sleep(delay)
                    continue
                raise TransportError(
                    f"the answer from {url} was cut short ({attempt + 1} attempts): "
                    f"{self._scrub(err)}" + query_suffix(query)
                ) from None
            finally:
                response.close()
            reply = Reply(response.status_code, response.headers, content, response.reason or "")
            if 200 <= reply.status < 300:
                return reply
            raise server_error(reply, url, query)
        raise AssertionError("unreachable")  # pragma: no cover

    def _scrub(self, err: object) -> str:
        """An error's text without the token (requests may quote a header it refused)."""
        text = str(err)
        if self.token:
            token = self.token
            for shown in sorted({token, repr(token)[1:-1], ascii(token)[1:-1]}, key=len)[::-1]:
                text = text.replace(shown, "<token>")
        return text

    def _no_answer(self, url: str, query: str | None) -> str:
        return (
            f"no answer from {url} within {read_timeout(self.timeout)} s (the query may still "
            "be running on the server; a larger timeout= allows more)" + query_suffix(query)
        )
