"""A fake neuPrintHTTP for tests: a real threaded HTTP server on 127.0.0.1 (port 0).

It speaks the routes, bodies and error shapes of neuPrintHTTP 1.9.2 as documented in
``shared/reference/dvid-and-neuprinthttp-behaviour.md`` part B:

* ``GET /api/version`` -> ``{"Version": "1.9.2"}`` (``server.version``; ``None`` -> 404);
* ``GET /api/dbmeta/datasets``, ``GET /api/dbmeta/version``, ``GET /api/roimeshes/mesh/<ds>/<roi>``;
* the other routes neuprint-python's ``Client`` calls (B6), answered from the server's attributes
  and checking the token like the custom routes when ``server.token`` is set:
  ``GET /api/available`` (``routes``), ``/api/help/swagger.yaml`` (``swagger``; ``None`` ->
  404), ``/api/serverinfo``, ``/api/dbmeta/database`` (``database``), ``/api/dbmeta/instances``
  (``instances``), ``/profile`` (``profile``), ``/token`` (echoes the bearer token),
  ``/api/cached/{dailytype,roicompleteness,roiconnectivity}?dataset=`` (``daily_type``,
  ``roi_completeness``, ``roi_connectivity``, keyed by dataset; the daily type is sent gzipped
  with ``Content-Encoding: gzip``, as neuPrintHTTP does), ``/api/skeletons/skeleton/<ds>/<id>``
  (``skeletons[(ds, id)]``: SWC text with ``?format=swc``, else a ``{columns, data}`` table),
  and ``GET``/``POST /api/raw/keyvalue/key/<instance>/<key>`` (``keyvalues[instance][key]``;
  the POST is admin-only: 401 ``{"message": "Unauthorized"}`` unless ``server.admin``);
* ``POST /api/custom/custom`` (also GET) and ``POST /api/custom/arrow``, body
  ``{"cypher", "dataset"}`` with ``Content-Type: application/json``; the answer is
  ``{"columns", "data", "debug"}`` with the label-rewritten Cypher in ``debug``
  (``:Neuron`` -> ``:`<ds>_Neuron``` over the whole text, literals included), or an Arrow IPC
  stream (``application/vnd.apache.arrow.stream``) built exactly as neuPrintHTTP 1.9.2's
  ``api/custom/arrow.go`` builds it (:func:`go_arrow_stream`: each column typed from its first
  row, later values that do not fit appended as nulls or truncated ints, numbers in a string
  column written with Go's ``%v``, every map column a ``map<string, string>``, one record
  batch) from the values the storage layer hands it (:func:`store_value`, ``server.store``),
  and HTTP 500 ``{"error": "error converting to Arrow format: no data to convert: empty
  result set"}`` for a query without rows; with ``server.go_json`` the JSON answer writes
  floats as Go's encoder does (``2.0`` as ``2``);
* errors: 400 ``{"error": "request object not formatted correctly"}`` (bad Content-Type or
  body), 404 ``{"error": "dataset \\"x\\" not available in stores"}``, 401
  ``{"message": "invalid or expired token"}`` / ``{"message": "authentication required"}``
  (when ``server.token`` is set), 403 ``{"message": "You do not have access to <ds> dataset"}``
  (``server.forbidden``), 404 ``{"message": "Not Found"}`` for unknown routes (echo's default).

Each dataset has a ``:Meta`` node (``server.meta[dataset]``, stored as neuPrint stores it:
``neuronProperties`` and ``roiInfo`` are JSON strings, ``primaryRois``/``superLevelRois``
lists; see :func:`default_meta`). Queries that read its properties,
``MATCH (m:Meta) RETURN m.a AS a, m.b AS b`` and ``MATCH (m:Meta) RETURN m``, are answered
from it before any canned answer, as a real server would (a dataset
with no entry has no Meta node: no rows).

What a query returns is chosen by the test: ``server.answer(match, columns, rows)`` where
``match`` is a substring of the Cypher or a predicate on it, and the answer may also be a
callable of the Cypher returning ``(columns, rows)``, or a :class:`Prebuilt` body. Faults are
queued with ``server.fail(...)`` and consumed one per request, in order: :class:`Status`,
:class:`Delay`, :class:`SlowBody`, :class:`Truncated`, :class:`ShortBody`, :class:`Drop`,
:class:`Reset`, :class:`ArrowCut` (and :func:`neo4j_timeout`, :func:`syntax_error`). Every request is recorded
(``server.requests``: method, path, query, headers, body).
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

ARROW_TYPE = "application/vnd.apache.arrow.stream"
CUSTOM_PATHS = ("/api/custom/custom", "/api/custom/arrow")

Rows = Sequence[Sequence[Any]]
Answer = tuple[Sequence[str], Rows]


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def cypher(self) -> str | None:
        body = self.json
        return body.get("cypher") if isinstance(body, dict) else None


@dataclass(frozen=True)
class Prebuilt:
    """Answer bodies encoded in advance (for large answers): JSON and, optionally, Arrow."""

    json_body: bytes
    arrow_body: bytes | None = None


# -- faults --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Answer with this status and body (a dict is sent as JSON) instead of the real answer."""

    status: int
    body: Any = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Sleep before answering (normally)."""

    seconds: float


@dataclass(frozen=True)
class SlowBody:
    """Send the headers and half the body, sleep, then the rest."""

    seconds: float


@dataclass(frozen=True)
class Truncated:
    """Status 200 with only the first ``keep`` fraction of the real body (and a matching
    Content-Length): a server that produced broken output."""

    keep: float = 0.5


@dataclass(frozen=True)
class ShortBody:
    """Promise the whole body in Content-Length, send part of it, close the connection."""

    keep: float = 0.5


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


@dataclass(frozen=True)
class Reset:
    """Read the request, then reset the connection (TCP RST) without answering."""


@dataclass(frozen=True)
class ArrowCut:
    """Answer an Arrow request with the stream cut right after its record batch: a complete
    HTTP answer whose IPC stream lacks the end-of-stream marker (what a client sees when the
    server's writer fails after the batch, or a proxy cuts the stream between messages)."""


Fault = Status | Delay | SlowBody | Truncated | ShortBody | Drop | Reset | ArrowCut

TIMEOUT_MESSAGE = (
    "Timeout experienced. This could be due to database traffic or to non-optimal database "
    "queries. If the latter, please consider optimizing your query or use a smaller query."
)


def neo4j_timeout(prefix: str = "") -> Status:
    """neuPrintHTTP's answer to a Neo4j timeout (a 400, B5)."""
    return Status(400, {"error": prefix + TIMEOUT_MESSAGE})


def syntax_error(detail: str = "Invalid input 'X': expected 'MATCH' (line 1, column 1)") -> Status:
    """neuPrintHTTP's answer to a Cypher syntax error (a 400 with Neo4j's message)."""
    return Status(400, {"error": f"Neo.ClientError.Statement.SyntaxError: {detail}"})


# -- label rewriting (storage/masterdb.go CypherWrapper) -----------------------------------------

_LABELS = r"SynapseSet|Synapse(?!sTo)|Segment|Neuron|Meta|Cell|ElementSet|Element"
_LABEL_RE = re.compile(rf":(?:`({_LABELS})`|({_LABELS}))")


def rewrite_labels(cypher: str, dataset: str) -> str:
    """What neuPrintHTTP runs: ``:Neuron`` -> ``:`<ds>_Neuron``` everywhere in the text, with the
    dataset name before its ``:`` in the case it was sent.

    >>> rewrite_labels("MATCH (n:Neuron)-[:SynapsesTo]->(m:`Segment`) WHERE n.x = 'a:Meta'", "hb:v1")
    "MATCH (n:`hb_Neuron`)-[:SynapsesTo]->(m:`hb_Segment`) WHERE n.x = 'a:`hb_Meta`'"
    """
    prefix = dataset.split(":")[0]
    return _LABEL_RE.sub(lambda m: f":`{prefix}_{m.group(1) or m.group(2)}`", cypher)


def arrow_stream(columns: Sequence[str], rows: Rows) -> bytes:
    """An Arrow IPC stream of a table given as column names and rows, with pyarrow's own type
    inference (not what neuPrintHTTP sends: see :func:`go_arrow_stream`)."""
    pa: Any = importlib.import_module("pyarrow")
    importlib.import_module("pyarrow.ipc")
    arrays = [pa.array([row[i] for row in rows]) for i in range(len(columns))]
    table = pa.Table.from_arrays(arrays, names=list(columns))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


# -- neuPrintHTTP's Arrow conversion (api/custom/arrow.go, ConvertCypherToArrow) -----------------

ARROW_EMPTY_ERROR = "error converting to Arrow format: no data to convert: empty result set"
ARROW_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class GoNumber(str):
    """A ``json.Number``: a number kept as its JSON text (neuPrintHTTP's Neo4j-HTTP store
    converts only the top-level values of a row; numbers inside lists and maps stay text)."""


def store_value(value: Any, store: str, *, nested: bool = False) -> Any:
    """A value as neuPrintHTTP's storage layer hands it to the API handlers (Go values as
    Python: int = int64, float = float64, GoNumber = json.Number, list, dict, str, bool, None).

    ``store="neo4j"`` (storage/neuprintneo4j, Neo4j's HTTP API decoded with UseNumber): a
    top-level number becomes an int64 when its text parses as one, else a float64; nested
    numbers stay json.Number. ``store="bolt"`` (storage/neuprintbolt, convertNeo4jValue): a
    float64 that is an exact integer becomes an int64, at every depth.

    >>> store_value(2.0, "bolt"), store_value(2.0, "neo4j"), store_value([1, 2.5], "neo4j")
    (2, 2.0, ['1', '2.5'])
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [store_value(v, store, nested=True) for v in value]
    if isinstance(value, dict):
        return {k: store_value(v, store, nested=True) for k, v in value.items()}
    if store == "bolt":
        if isinstance(value, float) and value == value and _INT64_MIN <= value < 2**63:
            as_int = int(value)
            return as_int if float(as_int) == value else value
        return value
    if nested:
        return GoNumber(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        return float(value)  # json.Number.Int64() fails; Float64() succeeds
    return value


def go_int64(value: float) -> int:
    """Go's ``int64(f)`` on amd64: truncation toward zero; NaN and out-of-range values give
    the "integer indefinite" value, the smallest int64.

    >>> go_int64(2.9), go_int64(-2.9), go_int64(1e300)
    (2, -2, -9223372036854775808)
    """
    if value != value or not _INT64_MIN <= value < 2**63:
        return _INT64_MIN
    return int(value)


def go_float_text(value: float) -> str:
    """Go's ``%v`` of a float64 (``strconv.FormatFloat(f, 'g', -1, 64)``: the shortest digits,
    in exponent form when the exponent is below -4 or at least 6, with 2+ exponent digits).

    >>> [go_float_text(f) for f in (2.0, 1.5, 123456.0, 1e6, 0.0001, 1e-05, -0.0)]
    ['2', '1.5', '123456', '1e+06', '0.0001', '1e-05', '-0']
    """
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    decimal = Decimal(repr(value)).normalize()
    sign, digits, exponent = decimal.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent  # digits before the decimal point
    x = point - 1
    prefix = "-" if sign else ""
    if x < -4 or x >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return prefix + text + "0" * (point - len(text))
    return f"{prefix}{text[:point]}.{text[point:]}"


def go_text(value: Any) -> str:
    """Go's ``fmt.Sprintf("%v", v)`` of a value the storage layer hands over.

    >>> go_text([1, None, "a", 2.5, True]), go_text({"b": 1, "a": [2]})
    ('[1 <nil> a 2.5 true]', 'map[a:[2] b:1]')
    """
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float_text(value)
    if isinstance(value, list):
        return "[" + " ".join(go_text(v) for v in value) + "]"
    if isinstance(value, dict):  # fmt prints maps sorted by key
        return "map[" + " ".join(f"{k}:{go_text(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _map_entries(value: dict[str, Any]) -> list[tuple[str, str]]:
    """One map value as arrow.go appends it: nil properties skipped, the rest as strings."""
    entries = []
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, str):  # string, and json.Number's String()
            entries.append((key, str(item)))
        elif isinstance(item, bool):
            entries.append((key, "true" if item else "false"))
        else:
            entries.append((key, go_text(item)))
    return entries


def go_arrow_columns(columns: Sequence[str], rows: Rows) -> list[tuple[str, list[Any]]]:
    """Each column's Arrow type (``int64``, ``float64``, ``bool``, ``string``, ``map``) and
    values exactly as ConvertCypherToArrow makes them from storage values (``rows``, which
    must not be empty: the caller answers the 500 then)."""
    assert rows, "arrow.go refuses an empty result before this"
    out: list[tuple[str, list[Any]]] = []
    for index in range(len(columns)):
        cells = [row[index] for row in rows]
        if any(isinstance(v, dict) for v in cells):
            out.append(("map", [_map_entries(v) if isinstance(v, dict) else None for v in cells]))
            continue
        first = cells[0]
        if isinstance(first, bool):
            kind = "bool"
        elif isinstance(first, int):
            kind = "int64"
        elif isinstance(first, float):
            kind = "int64" if float(go_int64(first)) == first else "float64"
        else:  # nil, string, json.Number, list: a string column
            kind = "string"
        values: list[Any] = []
        for v in cells:
            if v is None:
                values.append(None)
            elif kind == "int64":
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    values.append(None)
                else:
                    values.append(v if isinstance(v, int) else go_int64(v))
            elif kind == "float64":
                ok = isinstance(v, (int, float)) and not isinstance(v, bool)
                values.append(float(v) if ok else None)
            elif kind == "bool":
                values.append(v if isinstance(v, bool) else None)
            else:
                values.append(v if isinstance(v, str) else go_text(v))
        out.append((kind, values))
    return out


def go_arrow_stream(columns: Sequence[str], rows: Rows) -> bytes:
    """The Arrow IPC stream neuPrintHTTP sends for these storage values (see
    :func:`go_arrow_columns`): the schema, one record batch with every row, the end-of-stream
    marker."""
    pa: Any = importlib.import_module("pyarrow")
    importlib.import_module("pyarrow.ipc")
    types = {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string(),
        "map": pa.map_(pa.string(), pa.string()),
    }
    built = go_arrow_columns(columns, rows)
    arrays = [pa.array(values, type=types[kind]) for kind, values in built]
    batch = pa.RecordBatch.from_arrays(arrays, names=list(columns))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    body = bytes(sink.getvalue().to_pybytes())
    assert body.endswith(ARROW_EOS)
    return body


def go_json_value(value: Any, *, floats: bool = True) -> Any:
    """A storage value ready for json.dumps as Go's encoding/json writes it: a json.Number as
    its number and, with ``floats``, a float64 that is an exact integer below 1e21 without a
    fraction (``2`` for 2.0).

    >>> go_json_value([2.0, 2.5, GoNumber("7")]), go_json_value(2.0, floats=False)
    ([2, 2.5, 7], 2.0)
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if floats and value == value and abs(value) < 1e21 and value == int(value):
            return int(value)
        return value
    if isinstance(value, list):
        return [go_json_value(v, floats=floats) for v in value]
    if isinstance(value, dict):
        return {k: go_json_value(v, floats=floats) for k, v in value.items()}
    if isinstance(value, GoNumber):
        return json.loads(value)
    return value


def json_answer(
    columns: Sequence[str], rows: Rows, debug: str = "", indent: int | None = None
) -> bytes:
    """The body of a ``/api/custom/custom`` answer (compact, like Go's encoder, by default)."""
    document = {"columns": list(columns), "data": [list(r) for r in rows], "debug": debug}
    separators = (",", ":") if indent is None else None
    return json.dumps(document, separators=separators, indent=indent, ensure_ascii=False).encode()


# -- the server ----------------------------------------------------------------------------------


class FakeNeuprint:
    """The server's state; every attribute may be changed by a test while it runs."""

    def __init__(self) -> None:
        self.version: str | None = "1.9.2"
        self.datasets: dict[str, dict[str, Any]] = {
            "hemibrain:v1.2.1": {"uuid": "a0ce", "ROIs": ["MB(R)", "FB"], "hidden": False},
            "manc:v1.0": {"uuid": "b1df", "ROIs": ["T1(L)"], "hidden": False},
        }
        self.token: str | None = None  # when set, custom queries need "Bearer <token>"
        self.public: set[str] = set()  # datasets open to anonymous requests
        self.forbidden: set[str] = set()  # datasets the token may not read
        self.arrow_route = True  # False: /api/custom/arrow is not served (echo's 404)
        self.json_indent: int | None = None  # pretty-print JSON answers
        #: the storage layer whose values the answers carry (see store_value): "neo4j" or "bolt"
        self.store = "neo4j"
        #: write JSON answers' floats as Go does (2.0 as 2); False: Python's json.dumps
        self.go_json = False
        self.meshes: dict[tuple[str, str], bytes] = {}
        self.routes: list[dict[str, str]] = [
            {"method": "GET", "path": "/api/version", "name": "api.getAPIVersion"},
            {"method": "POST", "path": "/api/custom/custom", "name": "custom.getCustom"},
        ]
        self.swagger: str | None = "swagger: '2.0'\ninfo:\n  title: neuPrint API\n"
        self.database = {"Location": "bolt://db.example.org:7687", "Description": "neuPrint-bolt"}
        self.instances: dict[str, Any] = {
            "skeletons": [{"instance": "hemibrain_skeletons", "datasets": ["hemibrain:v1.2.1"]}]
        }
        self.profile = {
            "Email": "someone@example.org",
            "AuthLevel": "readwrite",
            "ImageURL": "https://example.org/me.png",
        }
        self.admin = False  # whether admin-only routes (POST key-value) are allowed
        self.daily_type: dict[str, Any] = {}  # dataset -> the answer document
        self.roi_completeness: dict[str, Any] = {}  # dataset -> {"columns", "data"}
        self.roi_connectivity: dict[str, Any] = {}  # dataset -> {"roi_names", "weights"}
        self.skeletons: dict[tuple[str, int], str] = {}  # (dataset, body) -> SWC text
        self.keyvalues: dict[str, dict[str, bytes]] = {}  # instance -> key -> value
        #: dataset -> its :Meta node's properties, as stored (JSON strings where neuPrint
        #: stores JSON); a dataset missing here has no Meta node
        self.meta: dict[str, dict[str, Any]] = {
            "hemibrain:v1.2.1": default_meta("hemibrain", "v1.2.1", ["MB(R)", "FB"], ["CA(R)"]),
            "manc:v1.0": default_meta("manc", "v1.0", ["T1(L)"], []),
        }
        self.responses: list[tuple[str | Callable[[str], bool], Any]] = []
        self.requests: list[Recorded] = []
        self.errors: list[BaseException] = []
        self._faults: deque[tuple[Fault, str | None]] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- test-facing API -

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(
        self,
        match: str | Callable[[str], bool],
        columns: Sequence[str] | Callable[[str], Answer] | Prebuilt,
        rows: Rows = (),
    ) -> None:
        """Answer queries whose Cypher contains ``match`` (or satisfies it) with ``(columns,
        rows)``, with ``columns(cypher) -> (columns, rows)``, or with a :class:`Prebuilt`."""
        if callable(columns) or isinstance(columns, Prebuilt):
            self.responses.append((match, columns))
        else:
            self.responses.append((match, (list(columns), [list(r) for r in rows])))

    def fail(self, *faults: Fault, path: str | None = None) -> None:
        """Queue faults for the next requests to ``path`` (default: the two custom routes)."""
        with self._lock:
            self._faults.extend((f, path) for f in faults)

    def requests_to(self, path: str, method: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == path and (method is None or r.method == method)
            ]

    def start(self) -> FakeNeuprint:
        fake = self

        class Handler(_Handler):
            server_state = fake

        httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # -- server side -

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, (fault, where) in enumerate(self._faults):
                if (where is None and path in CUSTOM_PATHS) or where == path:
                    del self._faults[i]
                    return fault
        return None

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _lookup(self, cypher: str) -> Any:
        for match, result in list(self.responses):
            if (match in cypher) if isinstance(match, str) else match(cypher):
                return result
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (timeouts, dropped connections) is expected here


def _message(status: int, text: str) -> tuple[int, dict[str, Any]]:
    return status, {"message": text}


def _error(status: int, text: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": text}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_state: FakeNeuprint

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    # -- dispatch -

    def _handle(self, method: str) -> None:
        fake = self.server_state
        self._extra_headers: dict[str, str] = {}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path = parts.path
        fake._record(
            Recorded(method, path, parse_qs(parts.query), dict(self.headers.items()), body)
        )
        fault = fake._take_fault(path)
        if isinstance(fault, Drop):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(fault, Reset):
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # with SO_LINGER 0: an RST, not a FIN
            return
        if isinstance(fault, Status):
            payload = fault.body if isinstance(fault.body, bytes) else None
            if payload is None:
                payload = (
                    fault.body.encode()
                    if isinstance(fault.body, str)
                    else json.dumps(fault.body, separators=(",", ":")).encode()
                )
            self._send(fault.status, payload, "application/json; charset=UTF-8", fault.headers)
            return
        if isinstance(fault, Delay):
            time.sleep(fault.seconds)
        status, payload, content_type = self._route(method, path, body)
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload, separators=(",", ":")).encode()
        if isinstance(fault, Truncated):
            payload = payload[: int(len(payload) * fault.keep)]
        if isinstance(fault, ArrowCut):
            assert content_type == ARROW_TYPE and payload.endswith(ARROW_EOS), "not a stream"
            payload = payload[: -len(ARROW_EOS)]
        if isinstance(fault, ShortBody):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: int(len(payload) * fault.keep)])
            self.close_connection = True
            return
        if isinstance(fault, SlowBody):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            half = len(payload) // 2
            self.wfile.write(payload[:half])
            self.wfile.flush()
            time.sleep(fault.seconds)
            self.wfile.write(payload[half:])
            return
        self._send(status, payload, content_type, self._extra_headers)

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: Mapping[str, str] = {}
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, Any, str]:
        fake = self.server_state
        json_type = "application/json; charset=UTF-8"
        if path == "/api/version" and method == "GET":
            if fake.version is None:
                return (*_message(404, "Not Found"), json_type)
            return 200, {"Version": fake.version}, json_type
        if path == "/api/dbmeta/version" and method == "GET":
            return 200, {"Version": "0.5.0"}, json_type
        if path == "/api/dbmeta/datasets" and method == "GET":
            return 200, fake.datasets, json_type
        if path.startswith("/api/roimeshes/mesh/") and method == "GET":
            _, dataset, roi = path.rsplit("/", 2)
            mesh = fake.meshes.get((unquote(dataset), unquote(roi)))
            if mesh is None:
                return (*_error(404, f"mesh for {unquote(roi)} not found"), json_type)
            return 200, mesh, "application/octet-stream"
        endpoint = self._endpoint(method, path, body)
        if endpoint is not None:
            return endpoint
        if path in CUSTOM_PATHS:
            if path == "/api/custom/arrow" and not fake.arrow_route:
                return (*_message(404, "Not Found"), json_type)
            if method != "POST" and path == "/api/custom/arrow":
                return (*_message(405, "Method Not Allowed"), json_type)
            return self._custom(path, body)
        return (*_message(404, "Not Found"), json_type)

    def _auth_failure(self) -> tuple[int, Any, str] | None:
        """The 401 of an anonymous or wrong token, when the server has a token (else None)."""
        fake = self.server_state
        if fake.token is None:
            return None
        auth = self.headers.get("Authorization")
        if auth is None:
            return (*_message(401, "authentication required"), "application/json; charset=UTF-8")
        if auth.split() != ["Bearer", fake.token]:
            return (*_message(401, "invalid or expired token"), "application/json; charset=UTF-8")
        return None

    def _endpoint(self, method: str, path: str, body: bytes) -> tuple[int, Any, str] | None:
        """The routes of B6 other than the custom queries (None: not one of them)."""
        fake = self.server_state
        json_type = "application/json; charset=UTF-8"
        query = parse_qs(urlsplit(self.path).query)
        parts = [unquote(p) for p in path.split("/")[1:]]
        if path == "/api/serverinfo" and method == "GET":
            return 200, {"IsPublic": True, "Version": fake.version}, json_type
        simple: dict[str, Callable[[], Any]] = {
            "/api/available": lambda: fake.routes,
            "/api/dbmeta/database": lambda: fake.database,
            "/api/dbmeta/instances": lambda: fake.instances,
            "/profile": lambda: fake.profile,
        }
        cached = {
            "/api/cached/dailytype": fake.daily_type,
            "/api/cached/roicompleteness": fake.roi_completeness,
            "/api/cached/roiconnectivity": fake.roi_connectivity,
        }
        known = (
            path in simple
            or path in cached
            or path in ("/api/help/swagger.yaml", "/token")
            or path.startswith(("/api/skeletons/skeleton/", "/api/raw/keyvalue/key/"))
        )
        if not known:
            return None
        denied = self._auth_failure()
        if denied is not None:
            return denied
        if path in simple and method == "GET":
            return 200, simple[path](), json_type
        if path == "/api/help/swagger.yaml" and method == "GET":
            if fake.swagger is None:
                return (*_message(404, "Not Found"), json_type)
            return 200, fake.swagger.encode(), "application/x-yaml"
        if path == "/token" and method == "GET":
            auth = (self.headers.get("Authorization") or "").split()
            if len(auth) != 2 or auth[0] != "Bearer":
                return (*_message(401, "authentication required"), json_type)
            return 200, {"token": auth[1]}, json_type
        if path in cached and method == "GET":
            dataset = query.get("dataset", [""])[0]
            answer = cached[path].get(dataset)
            if answer is None:
                return (*_error(400, f'dataset "{dataset}" has no cached {parts[-1]}'), json_type)
            if path == "/api/cached/dailytype":  # neuPrintHTTP sends it gzipped
                self._extra_headers["Content-Encoding"] = "gzip"
                return 200, gzip.compress(json.dumps(answer).encode()), "application/json"
            return 200, answer, json_type
        if len(parts) == 5 and parts[:3] == ["api", "skeletons", "skeleton"] and method == "GET":
            dataset, body_id = parts[3], parts[4]
            if not re.fullmatch(r"-?\d+", body_id):
                return (*_error(400, "body id should be an integer"), json_type)
            swc = fake.skeletons.get((dataset, int(body_id)))
            if swc is None:
                return (*_error(400, f"key {body_id}_swc not found"), json_type)
            if query.get("format") == ["swc"]:
                return 200, swc.encode(), "text/plain"
            rows = []
            for line in swc.splitlines():
                fields = line.split()
                if fields and not fields[0].startswith("#"):
                    n, _, x, y, z, r, link = fields
                    rows.append([int(n), float(x), float(y), float(z), float(r), int(link)])
            columns = ["rowId", "x", "y", "z", "radius", "link"]
            return 200, {"columns": columns, "data": rows}, json_type
        if len(parts) == 6 and parts[:4] == ["api", "raw", "keyvalue", "key"]:
            instance, key = parts[4], parts[5]
            if method == "POST" and not fake.admin:
                return (*_message(401, "Unauthorized"), json_type)
            store = fake.keyvalues.get(instance)
            if store is None:
                return (*_error(400, "provided instance not found"), json_type)
            if method == "POST":
                store[key] = body
                return 200, b"", "text/plain; charset=UTF-8"
            if key not in store:
                return (*_error(400, f"key {key} not found"), json_type)
            return 200, store[key], "application/octet-stream"
        return (*_message(405, "Method Not Allowed"), json_type)

    def _custom(self, path: str, body: bytes) -> tuple[int, Any, str]:
        fake = self.server_state
        json_type = "application/json; charset=UTF-8"
        arrow = path == "/api/custom/arrow"
        content_type = self.headers.get("Content-Type", "")
        try:
            request = json.loads(body) if content_type.startswith("application/json") else None
        except ValueError:
            request = None
        if not isinstance(request, dict) or not all(
            isinstance(request.get(k, ""), str) for k in ("cypher", "dataset")
        ):
            return (*_error(400, "request object not formatted correctly"), json_type)
        cypher, dataset = request.get("cypher", ""), request.get("dataset", "")
        if arrow and not (cypher and dataset):
            return (*_error(400, "cypher and dataset are required"), json_type)
        # auth (secure/dsg.go): the DSG check runs before the dataset lookup
        auth = self.headers.get("Authorization")
        if fake.token is not None:
            fields = auth.split() if auth else []
            if auth is None:
                if dataset.lower() not in {d.lower() for d in fake.public}:
                    return (*_message(401, "authentication required"), json_type)
            elif len(fields) != 2 or fields[0] != "Bearer" or fields[1] != fake.token:
                return (*_message(401, "invalid or expired token"), json_type)
        if dataset.lower() in {d.lower() for d in fake.forbidden}:
            return (*_message(403, f"You do not have access to {dataset} dataset"), json_type)
        if dataset.lower() not in {d.lower() for d in fake.datasets}:
            return (*_error(404, f'dataset "{dataset}" not available in stores'), json_type)
        result = _meta_answer(cypher, fake.meta, dataset, fallback=False)
        if result is None:
            result = fake._lookup(cypher)
        if result is None:
            result = _meta_answer(cypher, fake.meta, dataset, fallback=True)
        if result is None:
            prefix = "cypher query failed: " if arrow else ""
            return (
                *_error(400, f"{prefix}Neo.ClientError.Statement.SyntaxError: no canned answer"),
                json_type,
            )
        if isinstance(result, Prebuilt):
            if arrow:
                assert result.arrow_body is not None, "no Arrow body prebuilt"
                return 200, result.arrow_body, ARROW_TYPE
            return 200, result.json_body, json_type
        columns, rows = result(cypher) if callable(result) else result
        rows = [[store_value(v, fake.store) for v in row] for row in rows]
        if arrow:
            if not rows:  # arrow.go: "no data to convert: empty result set", as a 500
                return (*_error(500, ARROW_EMPTY_ERROR), json_type)
            return 200, go_arrow_stream(columns, rows), ARROW_TYPE
        rows = [[go_json_value(v, floats=fake.go_json) for v in row] for row in rows]
        debug = rewrite_labels(cypher, dataset)
        return 200, json_answer(columns, rows, debug, fake.json_indent), json_type


# -- a small graph stored as neuPrint stores it --------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A ``:Segment`` node (also a ``:Neuron`` when ``neuron``) and its properties."""

    bodyId: int
    properties: Mapping[str, Any] = field(default_factory=dict)
    neuron: bool = True


@dataclass(frozen=True)
class ConnectsTo:
    """A ``ConnectsTo`` relationship as neuPrint stores it: ``weight`` and ``roiInfo``, a JSON
    string with ``pre`` and ``post`` for every ROI of the hierarchy the connection touches."""

    pre: int
    post: int
    weight: int
    roiInfo: str

    def get(self, name: str) -> Any:
        return {"weight": self.weight, "roiInfo": self.roiInfo}.get(name)


_GRAPH_MATCH = re.compile(
    r"MATCH \(n:(Neuron|Segment)\)(?:-\[e:ConnectsTo\]->\(m:(Neuron|Segment)\))?\n"
    r"(?:WHERE (?P<where>.+?)\n)?RETURN (?P<returns>.+?)\nORDER BY (?P<order>[^\n]+)",
    re.S,
)
_GRAPH_TEST = re.compile(
    r"\(?([nme])\.(\w+) (?:IN \[(?P<ids>[\d, ]*)\]|= '(?P<text>[^'\\]*)'|= (?P<number>-?\d+)"
    r"|>= (?P<least>-?\d+))\)?"
)
_GRAPH_READ = re.compile(r"([nme])\.(\w+)(?: (DESC))?")
_GRAPH_COALESCE = re.compile(r"coalesce\(([nme])\.(\w+), 0\)")  # a missing value reads 0


def graph_answer(
    segments: Sequence[Segment], edges: Sequence[ConnectsTo]
) -> Callable[[str], Answer | None]:
    """Answers, from a stored graph, the neuron and connection statements compat sends
    (``MATCH (n:L)[-[e:ConnectsTo]->(m:L)]``, ``WHERE`` conditions ``x.p IN [ids]``,
    ``x.p = 'text'``, ``x.p = k`` and ``x.p >= k`` joined by ``AND``, ``RETURN x.p AS a, ...``, ``ORDER BY``);
    ``e.roiInfo`` comes back as the stored JSON string. ``None`` for anything else (the server
    then answers with a syntax error), so a test never passes on a query it did not model."""
    by_id = {s.bodyId: s for s in segments}

    def node(body: int, label: str | None) -> Segment | None:
        s = by_id.get(body)
        return s if s is not None and (label != "Neuron" or s.neuron) else None

    def read(row: Mapping[str, Any], var: str, name: str) -> Any:
        item = row[var]
        if isinstance(item, ConnectsTo):
            return item.get(name)
        return item.bodyId if name == "bodyId" else item.properties.get(name)

    def answer(cypher: str) -> Answer | None:
        found = _GRAPH_MATCH.fullmatch(cypher)
        if found is None:
            return None
        tests = []
        for condition in (found["where"] or "").split("\n  AND "):
            test = _GRAPH_TEST.fullmatch(condition) if condition else None
            if condition and test is None:
                return None
            if test is not None:
                tests.append(test)
        returns = [r.split(" AS ") for r in re.split(r", (?![^(]*\))", found["returns"])]
        reads = [_GRAPH_READ.fullmatch(r[0]) or _GRAPH_COALESCE.fullmatch(r[0]) for r in returns]
        keys = [_GRAPH_READ.fullmatch(k) for k in found["order"].split(", ")]
        if any(len(r) != 2 for r in returns) or None in reads or None in keys:
            return None
        label_n, label_m = found.group(1), found.group(2)
        if label_m is None:
            rows = [{"n": s} for s in segments if node(s.bodyId, label_n) is not None]
        else:
            rows = [{"n": node(e.pre, label_n), "m": node(e.post, label_m), "e": e} for e in edges]
            rows = [r for r in rows if r["n"] is not None and r["m"] is not None]

        def passes(row: Mapping[str, Any], test: re.Match[str]) -> bool:
            value = read(row, test.group(1), test.group(2))
            if test["ids"] is not None:
                return value in {int(i) for i in test["ids"].split(",") if i.strip()}
            if test["text"] is not None:
                return bool(value == test["text"])
            if test["number"] is not None:
                return bool(value == int(test["number"]))
            return value is not None and value >= int(test["least"])

        rows = [r for r in rows if all(passes(r, t) for t in tests)]
        for key in reversed(keys):
            assert key is not None
            rows.sort(key=lambda r, k=key: read(r, k.group(1), k.group(2)), reverse=bool(key[3]))
        columns = [alias for _, alias in returns]
        table = [
            [
                0 if v is None and m.re is _GRAPH_COALESCE else v
                for m in reads
                if m is not None
                for v in [read(r, m.group(1), m.group(2))]
            ]
            for r in rows
        ]
        return columns, table

    return answer


def serve_graph(
    server: FakeNeuprint, segments: Sequence[Segment], edges: Sequence[ConnectsTo]
) -> None:
    """Have ``server`` answer the queries :func:`graph_answer` models from this graph."""
    answer = graph_answer(segments, edges)
    server.answer(lambda cypher: answer(cypher) is not None, lambda c: answer(c) or ((), []))


#: neuron properties of the default Meta nodes, as neuPrint lists them (Neo4j import types)
DEFAULT_NEURON_PROPERTIES = {
    "bodyId": "long",
    "type": "string",
    "instance": "string",
    "status": "string",
    "statusLabel": "string",
    "cropped": "boolean",
    "pre": "int",
    "post": "int",
    "downstream": "int",
    "upstream": "int",
    "size": "long",
    "somaLocation": "point{crs:cartesian-3D}",
    "somaRadius": "float",
    "cellBodyFiber": "string",
    "roiInfo": "string",
    "notes": "string",
}


def default_meta(name: str, tag: str, primary: Sequence[str], sub: Sequence[str]) -> dict[str, Any]:
    """A Meta node as neuPrint stores it: ``neuronProperties`` (name -> Neo4j type) and
    ``roiInfo`` (ROI -> counts) are JSON strings; ``primaryRois`` and ``superLevelRois`` are
    lists (the neuprint export writes the primary ROIs under both names)."""
    roi_info = {roi: {"pre": 10, "post": 20, "isPrimary": roi in primary} for roi in primary}
    roi_info.update({roi: {"pre": 1, "post": 2, "isPrimary": False} for roi in sub})
    return {
        "dataset": name,
        "tag": tag,
        "neuronProperties": json.dumps(DEFAULT_NEURON_PROPERTIES),
        "roiInfo": json.dumps(roi_info),
        "primaryRois": list(primary),
        "superLevelRois": list(primary),
        "roiHierarchy": json.dumps({"name": name, "children": [{"name": r} for r in primary]}),
    }


_META_MATCH = re.compile(r"\s*MATCH\s*\((\w+)\s*:\s*Meta\s*\)\s*RETURN\s+(.+?)\s*", re.S)
_META_ITEM = re.compile(r"(\w+)\.(\w+)(?:\s+AS\s+(\w+))?", re.I)


def _meta_answer(
    cypher: str, metas: Mapping[str, Mapping[str, Any]], dataset: str, *, fallback: bool
) -> Answer | None:
    """The answer to a query that reads the Meta node's properties (``RETURN m.a AS a``), or
    with ``fallback`` the whole node (``RETURN m``); ``None`` for any other query."""
    match = _META_MATCH.fullmatch(cypher)
    if match is None:
        return None
    var, items = match.group(1), [i.strip() for i in match.group(2).split(",")]
    node = next((m for d, m in metas.items() if d.lower() == dataset.lower()), None)
    if items == [var]:  # the whole node (what NeuprintHTTP.fetch_meta reads)
        return [var], ([[dict(node)]] if node is not None else [])
    columns, values = [], []
    for item in items:
        read = _META_ITEM.fullmatch(item)
        if read is None or read.group(1) != var:
            return None
        columns.append(read.group(3) or item)
        values.append(None if node is None else node.get(read.group(2)))
    return columns, ([values] if node is not None else [])


@pytest.fixture
def neuprint_server() -> Iterator[FakeNeuprint]:
    """A running :class:`FakeNeuprint` (stopped after the test)."""
    server = FakeNeuprint().start()
    try:
        yield server
    finally:
        server.stop()
