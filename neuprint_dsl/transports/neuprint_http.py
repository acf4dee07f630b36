"""The neuPrint transport: compiled queries sent to a neuPrintHTTP server (DESIGN section 7).

neuPrintHTTP takes one Cypher statement per request and **no parameters**, so the transport
sends ``statement.inline()`` as ``{"cypher": ..., "dataset": ...}`` to ``POST
/api/custom/custom`` (or ``/api/custom/arrow`` for statements of body ids and weights, when the
server is 1.7.3 or later and pyarrow is installed, and only when the Arrow answer provably
equals the JSON one: docs/http.md, "Arrow"). What it guarantees:

* a token that an HTTP header can carry (checked when made) and never shown in an error;
* a timeout on every request (``timeout=None`` is refused);
* retries (urllib3's ``Retry`` on the session's adapters, :class:`NeuprintRetry`) on connection
  errors, resets and 502/503/504, and of answers cut short, never on 4xx or a read timeout;
* every failure raises: :class:`~neuprint_dsl.errors.ServerError` (status, the server's
  ``{"error"}`` or ``{"message"}`` text, the Cypher sent), :class:`ServerTimeout` /
  :class:`~neuprint_dsl.errors.QueryTimeout` for timeouts, and
  :class:`~neuprint_dsl.errors.TransportError` for unreachable servers and truncated or
  malformed answers; never a partial or silently empty table.

Every query is logged at DEBUG level on the logger ``neuprint_dsl.transports.neuprint_http``.

Example:
    >>> t = NeuprintHTTP("neuprint.janelia.org", "hemibrain:v1.2.1", token="my-token")
    >>> t.server, t.dataset, t.timeout
    ('https://neuprint.janelia.org', 'hemibrain:v1.2.1', 60.0)
    >>> from neuprint_dsl import N
    >>> df = t.run(N.type.matches("MBON.*") & N.roi("MB(R)"))  # doctest: +SKIP
    >>> raw = t.fetch_custom("MATCH (m:Meta) RETURN m.dataset AS dataset")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..errors import (
    InvalidArgument,
    InvalidValue,
    QueryTimeout,
    ServerError,
    ServerTimeout,
    TransportError,
)
from .base import Table

if TYPE_CHECKING:
    from ..cypher import CypherStatement, GraphSchema

__all__ = [
    "ARROW_MIN_VERSION",
    "NeuprintHTTP",
    "NeuprintRetry",
    "ServerTimeout",
    "check_cypher_text",
    "check_token",
]

logger = logging.getLogger(__name__)

#: The first neuPrintHTTP version that serves ``/api/custom/arrow``.
ARROW_MIN_VERSION = (1, 7, 3)
_ARROW_TYPE = "application/vnd.apache.arrow.stream"
#: Statuses that mean "the server (or a proxy in front of it) is briefly unavailable".
_RETRY_STATUSES = frozenset({502, 503, 504})
_MAX_BACKOFF = 10.0
#: The routes that run (read-only) Cypher: POSTs to them may be sent again (see NeuprintRetry).
_QUERY_PATHS = ("/api/custom/custom", "/api/custom/arrow")
#: How long a message from the server may be in an error (as the DVID transport shortens).
MESSAGE_LIMIT = 1000
#: The end-of-stream marker of an Arrow IPC stream (continuation token, then length 0), and the
#: 4-byte form of format versions before 0.15.
_ARROW_EOS = (b"\xff\xff\xff\xff\x00\x00\x00\x00", b"\x00\x00\x00\x00")
#: neuPrintHTTP's answer (HTTP 500) from /api/custom/arrow to a query with no rows.
_ARROW_EMPTY = "error converting to Arrow format: no data to convert: empty result set"
#: Columns the Arrow endpoint may carry (see NeuprintHTTP.execute): neuPrint stores body ids
#: and connection weights as integers on every node and edge, and the executor requires them
#: complete ints (the same names as neuprint_dsl.frames.ID_COLUMNS; a test checks it).
ARROW_COLUMNS = frozenset({"bodyId", "bodyId_pre", "bodyId_post", "weight", "weightHP"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_SMART_QUOTES = "‘’“”"
_TIMEOUT_WORDS = re.compile(r"time ?out|timed ?out", re.IGNORECASE)
_CHUNK = 1 << 20
#: How the dataset's Meta node is read (once per transport; see NeuprintHTTP.fetch_meta).
_META_QUERY = "MATCH (m:Meta) RETURN m"


@dataclasses.dataclass(frozen=True, slots=True)
class _Reply:
    """An answer with its whole body read."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    reason: str


def check_cypher_text(cypher: str) -> None:
    """Refuse Cypher text that cannot be what the user meant: "smart quotes" (``‘’“”``, which
    word processors substitute for ``'`` and ``"``; Cypher has no such quotes) and lone
    surrogates (not encodable for the request). Raises
    :class:`~neuprint_dsl.errors.InvalidValue` (a ``ValueError``) naming the character and
    where it is.

    Example:
        >>> check_cypher_text("MATCH (n) WHERE n.type = 'KC' RETURN n")
        >>> check_cypher_text("MATCH (n)\\nWHERE n.type = ‘KC’ RETURN n")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidValue: the Cypher text contains the smart quote '‘' (U+2018) at line 2, column 16 ...
    """
    if not isinstance(cypher, str):
        raise InvalidArgument(f"Cypher must be a str, not {type(cypher).__name__}")
    for index, ch in enumerate(cypher):
        if ch in _SMART_QUOTES:
            line, column = _line_column(cypher, index)
            raise InvalidValue(
                f"the Cypher text contains the smart quote {ch!r} (U+{ord(ch):04X}) at line "
                f"{line}, column {column} (offset {index}); Cypher strings use ordinary "
                "quotes ' or \", replace it"
            )
        if "\ud800" <= ch <= "\udfff":
            line, column = _line_column(cypher, index)
            raise InvalidValue(
                f"the Cypher text contains a lone surrogate (U+{ord(ch):04X}) at line {line}, "
                f"column {column} (offset {index}); it cannot be sent as UTF-8"
            )


def check_token(token: str) -> None:
    """Refuse a token that cannot travel in an ``Authorization`` header: control characters
    (a newline, a tab, ...) and characters outside latin-1 (what HTTP headers can carry).
    Raises :class:`~neuprint_dsl.errors.InvalidArgument` naming the character and its
    position, never showing the token.

    Example:
        >>> check_token("eyJhbGciOi.J9.abc")
        >>> check_token("eyJhbGciOi\\nsecret")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: the token contains a line break (U+000A) at position 11 of 17; ...
    """
    for index, ch in enumerate(token):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            what = "a line break" if ch in "\r\n" else "a control character"
        elif code > 0xFF:
            what = "a character outside latin-1"
        else:
            continue
        raise InvalidArgument(
            f"the token contains {what} (U+{code:04X}) at position {index + 1} of {len(token)}; "
            "an HTTP header cannot carry it. Copy the token again from your neuPrint account "
            "page (it is not shown here)"
        )


class NeuprintRetry(Retry):
    """urllib3's :class:`~urllib3.util.Retry` with neuPrint's policy (mounted on the session's
    adapters): connection failures, dropped connections and 502/503/504 answers are sent
    again, with capped exponential back-off and the server's ``Retry-After`` (capped too); a
    read that timed out is not (the query is slow: sending it again doubles the load). GETs
    are always retried; POSTs only to the Cypher routes (``posts=True``), whose queries
    neuPrintHTTP runs read-only, so that a POST that may have reached the server changes
    nothing when sent twice; other POSTs (key-value writes) only when nothing was sent.

    Example:
        >>> r = NeuprintRetry.policy(2, backoff=0.1, posts=True)
        >>> r.is_retry("POST", 503), r.is_retry("GET", 500), r.total
        (True, False, 2)
        >>> NeuprintRetry.policy(2, backoff=0.1, posts=False).is_retry("POST", 503)
        False
    """

    #: longest wait a server's ``Retry-After`` may impose, in seconds
    retry_after_cap = 30.0

    @classmethod
    def policy(cls, retries: int, backoff: float, *, posts: bool) -> NeuprintRetry:
        """``retries`` more attempts, the n-th after ``backoff * 2**(n-1)`` seconds (the first
        at once; each pause at most 10 s); POSTs too with ``posts=True``."""
        methods = frozenset({"GET", "HEAD", "POST"} if posts else {"GET", "HEAD"})
        return cls(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=False,
            allowed_methods=methods,
            status_forcelist=_RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_max=_MAX_BACKOFF,
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
    ) -> NeuprintRetry:
        if isinstance(error, urllib3.exceptions.ReadTimeoutError):
            raise error.with_traceback(_stacktrace)  # a slow query: not sent again
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap)

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds (fractions too) or an HTTP date; an unreadable value means the ordinary
        back-off (urllib3 would fail the request)."""
        try:
            seconds = float(retry_after)
        except ValueError:
            try:
                return float(super().parse_retry_after(retry_after))
            except urllib3.exceptions.InvalidHeader:
                return 0.0
        return seconds if seconds > 0 else 0.0  # also NaN -> 0


class NeuprintHTTP:
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
    :class:`~neuprint_dsl.cypher.GraphSchema`) is used instead of fetching it;
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

    dialect = "neo4j"

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
        self.server = _normalize_server(server)
        if not isinstance(dataset, str) or not dataset.strip():
            raise InvalidArgument(f"dataset must be a non-empty string, not {dataset!r}")
        self.dataset = dataset
        self.timeout = _check_timeout(timeout)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidArgument(f"retries must be an int >= 0, not {retries!r}")
        if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or backoff < 0:
            raise InvalidArgument(f"backoff must be a number of seconds >= 0, not {backoff!r}")
        self.retries = retries
        self.backoff = float(backoff)
        self.verify = verify
        self.use_arrow = use_arrow
        self.token = _resolve_token(token)
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        if self.token:
            self.headers["Authorization"] = f"Bearer {self.token}"
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        if session is None:
            # requests picks the longest matching prefix: POSTs are retried on the query routes
            for prefix, posts in ((self.server + "/", False), (self.server + "/api/custom/", True)):
                retry = NeuprintRetry.policy(retries, self.backoff, posts=posts)
                self._session.mount(prefix, HTTPAdapter(max_retries=retry))
        if not isinstance(check_names, bool):
            raise InvalidArgument(f"check_names must be True or False, not {check_names!r}")
        self.check_names = check_names
        self._schema = schema
        self._meta_schema: GraphSchema | None = None
        self._schema_lock = threading.Lock()
        self._meta: dict[str, Any] | None = None
        self._meta_lock = threading.Lock()
        self._lock = threading.Lock()
        #: per thread: whether execute() is called by run(), which gives every column its dtype
        self._in_run = threading.local()
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
                    self._meta = {str(k): _plain(v) for k, v in (first or {}).items()}
        return dict(self._meta)

    def _schema_from_meta(self, meta: Mapping[str, Any]) -> GraphSchema:
        from ..cypher import GraphSchema

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
            in_run = getattr(self._in_run, "active", False)
            table = Table(columns, (_run_frame if in_run else _object_frame)(columns, rows))
        if table.columns != expected:
            if not table.columns and len(table.rows) == 0:
                return Table(expected, [])
            raise TransportError(
                f"the server answered with the columns {list(table.columns)}, but the query "
                f"returns {list(expected)}\nquery was:\n{cypher}"
            )
        return table

    def run(self, query: Any) -> pd.DataFrame:
        """Run a statement, query text or neuron predicate; returns a typed DataFrame."""
        from ..execute import run

        outer = getattr(self._in_run, "active", False)
        self._in_run.active = True  # the executor shapes what execute() returns at once
        try:
            return run(self, query)
        finally:
            self._in_run.active = outer

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
            document = _loads(content, self._url(path), cypher)
            _columns_and_data(document, self._url(path), cypher)
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
        return _loads(content, self._url(path), None)

    def get_bytes(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """``GET`` an endpoint's raw bytes (meshes, skeletons, key-value data)."""
        return self._request("GET", path, params=params).content

    def post_json(self, path: str, body: Any) -> Any:
        """``POST`` a JSON body and decode the JSON answer. A ``"cypher"`` key in the body is
        what a :class:`~neuprint_dsl.errors.ServerError` reports as the query."""
        query = body.get("cypher") if isinstance(body, Mapping) else None
        query = query if isinstance(query, str) else None
        content = self._request("POST", path, body=body, query=query).content
        return _loads(content, self._url(path), query)

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
        document = _loads(content, self._url(path), cypher, fast=True, width=width)
        return _columns_and_data(document, self._url(path), cypher)

    def _query_arrow(self, cypher: str, expected: tuple[str, ...]) -> Table | None:
        """The statement through ``/api/custom/arrow``, or None when its answer could differ
        from the JSON one (or the route is missing): then the caller asks through JSON."""
        path = "/api/custom/arrow"
        url = self._url(path)
        self._log(cypher, path)
        try:
            reply = self._request("POST", path, body=self._body(cypher), query=cypher)
        except ServerError as err:
            if err.status == 500 and err.message == _ARROW_EMPTY:
                # neuPrintHTTP cannot build an Arrow table without rows: an empty result
                return Table(expected, [])
            if err.status != 404 or err.message != "Not Found":
                raise
            # The route itself is missing (echo's own 404), e.g. behind a proxy that does
            # not forward it: this server has no Arrow endpoint after all.
            logger.debug("%s is not served; using JSON", url)
            self._arrow = False
            return None
        table = _read_arrow(reply, url, cypher)
        lossy = _not_exact(table, expected)
        if lossy:
            logger.debug(
                "the Arrow answer may differ from the JSON one (%s); asking again through JSON",
                lossy,
            )
            return None
        return Table(tuple(str(c) for c in table.column_names), _arrow_frame(table))

    def _check_arrow(self) -> bool:
        try:
            _pyarrow()
        except ImportError:
            logger.debug("pyarrow is not installed; queries use JSON")
            return False
        try:
            self.server_version = self.fetch_version()
        except TransportError as err:
            logger.debug("cannot read the server version (%s); queries use JSON", err)
            return False
        version = _parse_version(self.server_version)
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
    ) -> _Reply:
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
                    f"could not connect to {url} within {_read_timeout(self.timeout)} s "
                    f"({attempts} attempts): {self._scrub(err)}" + _query_suffix(query)
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
                if _is_read_timeout(err):
                    raise QueryTimeout(self._no_answer(url, query)) from None
                raise TransportError(
                    f"no answer from {url} after {attempts} attempts: {self._scrub(err)}"
                    + _query_suffix(query)
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
                if _is_read_timeout(err):
                    raise QueryTimeout(self._no_answer(url, query)) from None
                if attempt < again:
                    delay = min(self.backoff * 2.0**attempt, _MAX_BACKOFF)
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
                    f"{self._scrub(err)}" + _query_suffix(query)
                ) from None
            finally:
                response.close()
            reply = _Reply(response.status_code, response.headers, content, response.reason or "")
            if 200 <= reply.status < 300:
                return reply
            raise _server_error(reply, url, query)
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
            f"no answer from {url} within {_read_timeout(self.timeout)} s (the query may still "
            "be running on the server; a larger timeout= allows more)" + _query_suffix(query)
        )


# -- helpers -------------------------------------------------------------------------------------


def _normalize_server(server: str) -> str:
    if not isinstance(server, str) or not server.strip():
        raise InvalidArgument(f"server must be a URL or host name, not {server!r}")
    server = server.strip()
    if "://" not in server:
        server = "https://" + server
    parts = urlsplit(server)
    scheme = parts.scheme.lower()
    if scheme == "http":
        if (parts.hostname or "") not in _LOCAL_HOSTS:
            raise InvalidArgument(
                f"neuPrint servers must be reached over https (the token travels with every "
                f"request), not {server!r}; http:// is accepted only for localhost, 127.0.0.1 "
                "and [::1]"
            )
    elif scheme != "https":
        raise InvalidArgument(f"unknown protocol {parts.scheme!r} in {server!r}; use https://")
    if not parts.hostname:
        raise InvalidArgument(f"no host name in {server!r}")
    return server.rstrip("/")


def _resolve_token(token: str | None) -> str | None:
    if token is not None and not isinstance(token, str):
        raise InvalidArgument(f"token must be a str, not {type(token).__name__}")
    if not token:
        token = os.environ.get("NEUPRINT_APPLICATION_CREDENTIALS")
    if not token:
        return None
    token = token.strip()
    if ":" in token:
        # The whole JSON document neuPrint Explorer shows, {"token": "..."} (as neuprint-python).
        try:
            token = str(json.loads(token)["token"])
        except (ValueError, KeyError, TypeError):
            raise InvalidArgument(
                "did not understand the token: pass the whole JSON document "
                '({"token": "..."}) or only the token string'
            ) from None  # the JSON error would quote the token
    token = token.replace('"', "").strip()
    check_token(token)
    return token or None


def _check_timeout(timeout: object) -> float | tuple[float, float]:
    def positive(value: object) -> bool:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and value > 0
            and value != float("inf")
        )

    if isinstance(timeout, tuple) and len(timeout) == 2 and all(positive(t) for t in timeout):
        return (float(timeout[0]), float(timeout[1]))
    if isinstance(timeout, (int, float)) and positive(timeout):
        return float(timeout)
    raise InvalidArgument(
        f"timeout must be a positive number of seconds (or a (connect, read) pair), not "
        f"{timeout!r}: a request without a timeout can hang forever"
    )


def _plain(value: Any) -> Any:
    """A value read from Arrow as plain Python: arrays as lists, numpy scalars as numbers.

    Example:
        >>> _plain({"a": np.array(["x", "y"]), "b": np.int64(3)})
        {'a': ['x', 'y'], 'b': 3}
    """
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _read_timeout(timeout: float | tuple[float, float]) -> float:
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _query_suffix(query: str | None) -> str:
    return f"\nquery was:\n{query}" if query else ""


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``"1.9.2"`` -> ``(1, 9, 2)``; None when it is not a version.

    Example:
        >>> _parse_version("v1.7.3"), _parse_version("1.10"), _parse_version("dev")
        ((1, 7, 3), (1, 10, 0), None)
    """
    match = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def _is_read_timeout(err: Exception) -> bool:
    """requests turns a read timeout *while reading the body* into a ConnectionError."""
    cause: object = err.args[0] if err.args else None
    return isinstance(cause, urllib3.exceptions.ReadTimeoutError)


def _server_error(reply: _Reply, url: str, query: str | None) -> ServerError:
    """The error for a non-2xx answer: neuPrintHTTP's ``{"error"}`` (its own handlers) or
    ``{"message"}`` (echo's and the auth middleware's), else the body's text."""
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
    message = _shorten(message)  # a proxy's 502 page can be 24 kB of HTML
    # neuPrintHTTP replaces any Neo4j error mentioning "Timeout" by a 400 "Timeout experienced.
    # ..."; a 504 is a proxy giving up on a slow query. (neuprint-python's own check,
    # `if ex.response and ...`, never fires: a 4xx/5xx Response is falsy.)
    if status == 504 or (400 <= status < 500 and _TIMEOUT_WORDS.search(message)):
        return ServerTimeout(status, message, query)
    return ServerError(status, message, query)


def _shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut at ``limit`` characters, saying how long it was (as the DVID transport).

    Example:
        >>> _shorten("x" * 1200)[995:]
        'xxxxx... (1200 characters)'
    """
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _loads(
    content: bytes, url: str, query: str | None, *, fast: bool = False, width: int | None = None
) -> Any:
    try:
        return _decode_answer(content, width) if fast else _json_loads(content)
    except (ValueError, RecursionError) as err:
        raise TransportError(
            f"invalid JSON from {url} ({err}; {len(content)} bytes, ending "
            f"{content[-40:]!r}): the answer is possibly truncated" + _query_suffix(query)
        ) from None


def _columns_and_data(
    document: Any, url: str, query: str | None
) -> tuple[tuple[str, ...], list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]]:
    """Check a ``/api/custom/custom`` answer: ``columns`` (strings) and ``data`` (rows of
    that many cells)."""
    if not isinstance(document, dict) or "columns" not in document or "data" not in document:
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise TransportError(
            f"unexpected answer from {url}: expected an object with 'columns' and 'data', got "
            f"{keys}" + _query_suffix(query)
        )
    columns, data = document["columns"], document["data"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise TransportError(f"unexpected 'columns' from {url}: {columns!r}" + _query_suffix(query))
    width = len(columns)
    if isinstance(document, _CheckedAnswer) and document.width == width:
        return tuple(columns), data  # the decoder read every row as a tuple of `width` cells
    if isinstance(data, np.ndarray):
        if data.shape[1] != width:
            raise TransportError(
                f"unexpected 'data' from {url}: every row must be a list of {width} cells, "
                f"not {data.shape[1]}" + _query_suffix(query)
            )
        return tuple(columns), data
    # rows are lists (json.loads) or tuples (_decode_answer); two C-speed passes
    if not isinstance(data, list) or (
        data and (not set(map(type, data)) <= {list, tuple} or set(map(len, data)) != {width})
    ):
        raise TransportError(
            f"unexpected 'data' from {url}: every row must be a list of {width} cells"
            + _query_suffix(query)
        )
    return tuple(columns), data


def _pyarrow() -> Any:
    """pyarrow with its ``ipc`` module (ImportError without it; it is an optional extra)."""
    importlib.import_module("pyarrow.ipc")
    return importlib.import_module("pyarrow")


def _read_arrow(reply: _Reply, url: str, query: str | None) -> Any:
    """The answer of ``/api/custom/arrow`` as a ``pyarrow.Table``; a stream that does not
    end with the end-of-stream marker right after its last message (cut short, even exactly
    between two record batches, which pyarrow's reader accepts) raises
    :class:`~neuprint_dsl.errors.TransportError`."""
    pa = _pyarrow()
    content_type = reply.headers.get("Content-Type", "")
    if _ARROW_TYPE not in content_type:
        raise TransportError(
            f"{url} answered {content_type!r}, not an Arrow stream" + _query_suffix(query)
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
            "answer is possibly truncated" + _query_suffix(query)
        ) from None
    return table


def _not_exact(table: Any, expected: tuple[str, ...]) -> str:
    """Why an Arrow answer of body ids and weights could differ from the JSON one ("" when it
    cannot). neuPrintHTTP's arrow.go types each column from its first row and appends a null
    for a later value of another kind (a string, a bool, a list) and a truncated int for a
    float; an int64 column without nulls therefore held only integers (or floats, which the
    executor's int64 columns truncate alike)."""
    pa = _pyarrow()
    if tuple(table.column_names) != expected:
        return f"columns {table.column_names}"
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.type != pa.int64():
            return f"column {name!r} came back as {column.type}"
        if column.null_count:
            return f"column {name!r} has {column.null_count} nulls"
    return ""


def _arrow_frame(table: Any) -> pd.DataFrame:
    """A checked all-int64 Arrow table as a DataFrame of int64 columns."""
    return pd.DataFrame(
        {
            name: column.to_numpy()
            for name, column in zip(table.column_names, table.columns, strict=True)
        },
        columns=list(table.column_names),
    )


def _object_frame(
    columns: tuple[str, ...], rows: list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]
) -> pd.DataFrame:
    """The rows as a DataFrame of object columns, values as decoded (None for null), without
    pandas' type inference (the executor gives each column its dtype from the schema); an
    int64 array stays int64.

    Example:
        >>> f = _object_frame(("a", "b"), [[1, None], [2, "x"]])
        >>> f.dtypes.tolist(), f["b"].tolist()
        ([dtype('O'), dtype('O')], [None, 'x'])
    """
    if isinstance(rows, np.ndarray):
        return pd.DataFrame(rows, columns=list(columns), copy=False)
    if not rows:
        return pd.DataFrame({name: [] for name in columns}, columns=list(columns), dtype=object)
    return pd.DataFrame(
        _object_block(columns, rows), columns=list(columns), dtype=object, copy=False
    )


def _run_frame(
    columns: tuple[str, ...], rows: list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]
) -> pd.DataFrame:
    """:func:`_object_frame`, except that a column of integers only (Python ints, no null,
    no bool, all within int64) is int64: the frame the executor's ``shape`` gives the same
    dtypes and values as the object one (an int64 column becomes ``int64``/``Int64``/
    ``float64``/``boolean``/``object`` exactly as a column of the same ints would), in a
    fraction of the time. Only for :meth:`NeuprintHTTP.run`, whose result is always shaped.

    Example:
        >>> f = _run_frame(("a", "b", "c"), [(1, None, True), (2, 3, False)])
        >>> f.dtypes.tolist(), f["b"].tolist()
        ([dtype('int64'), dtype('O'), dtype('O')], [None, 3])
    """
    if isinstance(rows, np.ndarray) or not rows or len(set(columns)) != len(columns):
        return _object_frame(columns, rows)
    block = _object_block(columns, rows)
    lib = importlib.import_module("pandas._libs.lib")
    out: dict[str, np.ndarray[Any, Any] | pd.Series] = {}
    for index, name in enumerate(columns):
        values = block[:, index]
        # the first cell rules most columns out at once; infer_dtype scans the others (in C)
        if type(values[0]) is int and lib.infer_dtype(values, skipna=False) == "integer":
            try:
                out[name] = values.astype(np.int64)
                continue
            except OverflowError:  # an int beyond int64: the object column decides
                pass
        # a Series of dtype object: pandas would infer a string dtype from a bare array
        out[name] = pd.Series(values, dtype=object, copy=False)
    return pd.DataFrame(out, columns=list(columns), copy=False)


def _object_block(columns: tuple[str, ...], rows: list[Sequence[Any]]) -> np.ndarray[Any, Any]:
    """The rows (of ``len(columns)`` cells each, checked) as one 2-D object array."""
    try:
        # pandas' own C loops (what pd.DataFrame(rows) uses); row widths were checked
        lib = importlib.import_module("pandas._libs.lib")
        if type(rows[0]) is tuple:
            block = lib.to_object_array_tuples(rows)
        else:
            block = lib.to_object_array(rows, min_width=len(columns))
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other pandas
        block = np.empty((len(rows), len(columns)), dtype=object)
        block[:] = rows
    return block  # type: ignore[no-any-return]


# -- fast JSON decoding of integer tables --------------------------------------------------------
#
# A 1,000,000-row table of ids and weights is ~30 MB of JSON; json.loads makes 3,000,000 Python
# ints and 1,000,000 lists, and pandas then converts them back. When the "data" array is compact
# and holds only integers (what neuPrintHTTP sends for adjacency tables), it is parsed straight
# into an int64 array instead (numpy's C parser), after checks that make the result exactly what
# json.loads would give: the punctuation is exactly [[c,...,c],...,[c,...,c]] with one row width
# and a number in every cell and nowhere else (from the positions of the punctuation), every
# number was read, and every number is canonical JSON, -?(0|[1-9][0-9]*) (the digits and signs of
# the values read add up to the text's, so no leading zeros, lone "-" or "-0") and below 10**18 in
# magnitude (no overflow). Anything else (strings, floats, nulls, whitespace, bigger ints,
# malformed text) goes through json.loads. The tests check this equivalence property.

_WS = re.compile(r"[ \t\n\r]*")
_msgspec_decode: Any
try:
    _msgspec_decode = importlib.import_module("msgspec.json").decode
except ImportError:  # pragma: no cover - msgspec is a dependency; json.loads does the same
    _msgspec_decode = None
#: Decode JSON with msgspec when installed (False: always json.loads; for benchmarks/tests).
USE_MSGSPEC = True


def _make_answer_decoder(width: int | None = None) -> Any:
    """A msgspec decoder of ``{"columns": [str, ...], "data": [[...], ...]}`` (other keys
    skipped), rows as tuples (of exactly ``width`` values of any kind when given: msgspec
    then refuses rows of another length as it reads them, and reads fixed-length tuples
    ~15% faster); None without msgspec."""
    try:
        msgspec = importlib.import_module("msgspec")
    except ImportError:  # pragma: no cover
        return None
    row: Any = tuple[Any, ...] if width is None else tuple[(Any,) * width]  # type: ignore[misc]
    answer = msgspec.defstruct("_Answer", [("columns", list[str]), ("data", list[row])])
    return msgspec.json.Decoder(answer)


_answer_decoder = _make_answer_decoder()
#: Decoders of rows of a known width (see _make_answer_decoder), made on first use.
_width_decoders: dict[int, Any] = {}
_WIDTH_DECODERS_MAX = 64


class _CheckedAnswer(dict[str, Any]):
    """``{"columns": ..., "data": ...}`` whose rows were all read as tuples of ``width``
    values (the check _columns_and_data would make)."""

    width: int


def _width_decoder(width: int) -> Any:
    decoder = _width_decoders.get(width)
    if decoder is None:
        decoder = _make_answer_decoder(width)
        if len(_width_decoders) < _WIDTH_DECODERS_MAX:
            _width_decoders[width] = decoder
    return decoder


#: Parse compact tables of integers with numpy (False: always json.loads; for benchmarks).
FAST_INT_TABLES = True
_BRACKETS_TO_SPACES = bytes.maketrans(b"[]", b"  ")
_LIMIT = 10**18  # every integer of at most 18 digits fits in int64
_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)
_COMMA, _NINE = ord(","), ord("9")


def _decode_json(content: bytes) -> Any:
    """``json.loads(content)``, except that a top-level object's ``"data"`` value that is a
    compact table of integers comes back as a 2-D int64 array.

    Example:
        >>> _decode_json(b'{"columns":["a","b"],"data":[[1,-2],[3,4]]}')["data"].tolist()
        [[1, -2], [3, 4]]
        >>> _decode_json(b'{"columns":["a","b"],"data":[[1,"x"]]}')["data"]
        [[1, 'x']]
    """
    if FAST_INT_TABLES:
        document = _with_int_table(content)
        if document is not None:
            return document
    return _json_loads(content)


def _decode_answer(content: bytes, width: int | None = None) -> Any:
    """A ``/api/custom/custom`` answer: :func:`_decode_json`'s values, except that when the
    document is an object with ``columns`` (strings) and ``data`` (arrays), only those two
    keys are kept and every row comes back as a tuple (msgspec decodes tuples ~1.5x faster
    than lists; the cells are the same values). With ``width`` (the number of columns the
    statement returns), rows are read as tuples of exactly that many values; when they all
    are, the document says so (a ``_CheckedAnswer``) and the row check is not made again.

    Example:
        >>> _decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2,null]],"debug":""}')
        {'columns': ['a', 'b'], 'data': [(1, 'x'), (2, None)]}
        >>> _decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2,null]]}', 2).width
        2
        >>> type(_decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2]]}', 2)).__name__
        'dict'
    """
    if FAST_INT_TABLES and b'"data":[[' in content:
        document = _with_int_table(content)
        if document is not None:
            return document
    if _answer_decoder is not None and USE_MSGSPEC:
        if width:
            try:
                answer = _width_decoder(width).decode(content)
            except ValueError:  # another width, or not an answer: read as any other below
                pass
            else:
                checked = _CheckedAnswer(columns=answer.columns, data=answer.data)
                checked.width = width
                return checked
        try:
            answer = _answer_decoder.decode(content)
        except ValueError:  # msgspec.DecodeError / ValidationError: the generic reading decides
            pass
        else:
            return {"columns": answer.columns, "data": answer.data}
    return _json_loads(content)


def _json_loads(content: bytes) -> Any:
    """``json.loads(content)``, through msgspec when it is installed (about 2x faster, and
    the same values for every document it accepts: integers of any size stay exact, which
    orjson's do not); a document msgspec refuses (NaN, numbers out of float range, lone
    surrogates, a byte-order mark, UTF-16 text...) is read by ``json.loads``, which decides.

    Example:
        >>> _json_loads(b'{"a": [1, 2.5, null, "x", 123456789012345678901234567890]}')
        {'a': [1, 2.5, None, 'x', 123456789012345678901234567890]}
        >>> _json_loads(b'[NaN, 1e999]')
        [nan, inf]
    """
    if _msgspec_decode is not None and USE_MSGSPEC:
        try:
            return _msgspec_decode(content)
        except ValueError:  # msgspec.DecodeError
            pass
    return json.loads(content)


def _with_int_table(content: bytes) -> dict[str, Any] | None:
    """The document, when its top-level ``"data"`` is a compact table of integers; else None.

    The table is found in the bytes (``"data":[[`` up to the last ``]]`` before the next
    ``"``: a table of numbers has no strings) and read by :func:`_int_rows`; the rest of the
    document, with ``0`` in the table's place, is read by json.loads' own decoder, key by key,
    which also proves that the ``0`` is the value of the top-level ``"data"``.
    """
    key = content.find(b'"data":[[')
    if key < 0:
        return None
    start = key + len(b'"data":')
    quote = content.find(b'"', start)
    end = content.rfind(b"]]", start, len(content) if quote < 0 else quote) + 2
    if end <= start:
        return None
    table = _int_rows(content[start:end])
    if table is None:
        return None
    try:
        head = content[:start].decode("utf-8")
        text = head + "0" + content[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    document: dict[str, Any] = {}
    ours = False  # whether document["data"] is the 0 put in the table's place
    try:
        pos = _skip_ws(text, 0)
        if text[pos] != "{":
            return None
        pos = _skip_ws(text, pos + 1)
        while True:
            if text[pos] != '"':
                return None
            name, pos = decoder.raw_decode(text, pos)
            pos = _skip_ws(text, pos)
            if text[pos] != ":":
                return None
            pos = _skip_ws(text, pos + 1)
            at = pos
            document[name], pos = decoder.raw_decode(text, pos)
            if name == "data":
                ours = at == len(head) and pos == at + 1
            pos = _skip_ws(text, pos)
            if text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
            elif text[pos] == "}":
                break
            else:
                return None
    except (ValueError, IndexError):
        return None
    if not ours or _skip_ws(text, pos + 1) != len(text):
        return None
    document["data"] = table
    return document


def _skip_ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return pos if match is None else match.end()


def _int_rows(data: bytes) -> np.ndarray[Any, np.dtype[np.int64]] | None:
    """``[[1,2,3],[4,5,6]]`` (compact JSON text) as an int64 array of shape (rows, width), or
    None unless ``data`` is exactly a JSON list of equally long lists of integers below 10**18
    in magnitude, without whitespace.

    Example:
        >>> _int_rows(b"[[1,2,3],[-4,0,6]]").tolist()
        [[1, 2, 3], [-4, 0, 6]]
        >>> [_int_rows(t) for t in (b"[[1,2,3],[4,5]]", b"[[01]]", b"[[-]]", b"[[0],0[]]")]
        [None, None, None, None]
    """
    if not (data.startswith(b"[[") and data.endswith(b"]]")):
        return None
    # Everything but digits and "-" must be exactly the punctuation of a table:
    # "[" + ("[" + ","*(width-1) + "]") joined by "," + "]".
    punct = data.translate(None, b"-0123456789")
    width = punct.index(b"]") - 1
    row = b"[" + b"," * (width - 1) + b"],"
    rows, rest = divmod(len(punct) - 1, len(row))
    if rest or punct != b"[" + (row * rows)[:-1] + b"]":
        return None
    # A number right after each "[" of a row and each in-row ",", nothing anywhere else: a
    # punctuation byte followed by a number byte exactly at those places. (Few temporaries:
    # on a 30 MB answer, fresh memory costs more than the arithmetic.)
    raw = np.frombuffer(data, dtype=np.uint8)
    is_punct = np.equal(raw, _COMMA)
    scratch = np.greater(raw, _NINE)  # "[" and "]"
    is_punct |= scratch
    filled = np.logical_not(is_punct[1:], out=scratch[:-1])
    filled &= is_punct[:-1]
    slots = b"\x01" * width + b"\x00\x00"
    if filled[is_punct[:-1]].tobytes() != b"\x00" + (slots * rows)[:-1]:
        return None
    del filled, is_punct, scratch
    count = rows * width
    try:
        # with count=, numpy raises (rather than warns) when it cannot read that many numbers
        values = np.fromstring(
            data.translate(_BRACKETS_TO_SPACES), dtype=np.int64, count=count, sep=","
        )
    except ValueError:
        return None
    if values.size != count:  # pragma: no cover - numpy raises instead
        return None
    top, bottom = int(values.max()), int(values.min())
    if top >= _LIMIT or bottom <= -_LIMIT:
        return None
    # Every "-" the sign of a negative value (not a lone "-", which numpy reads as 0, nor "-0").
    negative = int(np.count_nonzero(values < 0)) if bottom < 0 else 0
    if negative != (data.count(b"-") if negative else int(b"-" in data)):
        return None
    # Every number canonical, -?(0|[1-9][0-9]*): the digits and signs of the values read add
    # up to the characters between the punctuation (so no leading zeros, nothing unread).
    magnitude = np.abs(values) if bottom < 0 else values
    digits = count
    for power in _POWERS_OF_TEN[: len(str(max(top, -bottom))) - 1]:
        digits += int(np.count_nonzero(magnitude >= power))
    if digits + negative != len(data) - len(punct):
        return None
    return values.reshape(rows, width)
