"""A fake DVID ``neuronjson`` server for tests: a real HTTP server on 127.0.0.1.

It answers the documented routes of one data instance
(``/api/node/<uuid>/<instance>/...``) over in-memory records, matching ``/query`` with the
project's own evaluator (:func:`neuprint_dsl.neuronjson.compile_query`) and reproducing what the
reference (``dvid-and-neuprinthttp-behaviour.md`` part A) says DVID does: the body-id fast path
(request order, duplicates kept, ``{}`` -> ``[]``), ``400 text/plain`` errors, 404 for missing
keys, ``*_user``/``*_time`` bookkeeping on POST, and, unless ``in_memory=True``, the
key-value store's habits (lexicographic key order, ``fields`` ignored by the query scan,
lexicographic key ranges).

Tests inject faults by appending to :attr:`FakeDvid.faults`; the next request (of the given
method, if one is named) takes the first fault. Every request is recorded in
:attr:`FakeDvid.seen`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from neuprint_dsl.neuronjson import compile_query
from neuprint_dsl.transports.neuronjson_base import hide_metadata

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
UINT64_MAX = 2**64 - 1


@dataclass
class Fault:
    """What to do to one request instead of (or before) answering it normally.

    ``kind``: ``"status"`` (answer ``status`` with ``message`` as ``content_type``),
    ``"sleep"`` (wait ``seconds``, then answer normally), ``"truncate"`` (200 with the first
    half of the normal body, consistent ``Content-Length``), ``"cut"`` (announce the full
    length, send half, close), ``"drop"`` (close the connection without answering).
    """

    kind: str
    status: int = 503
    message: str = ""
    content_type: str = TEXT
    seconds: float = 0.0
    method: str | None = None

    @classmethod
    def error(
        cls, status: int, message: str = "", content_type: str = TEXT, method: str | None = None
    ) -> Fault:
        return cls("status", status, message, content_type, method=method)

    @classmethod
    def sleep(cls, seconds: float, method: str | None = None) -> Fault:
        return cls("sleep", seconds=seconds, method=method)

    @classmethod
    def truncate(cls, method: str | None = None) -> Fault:
        return cls("truncate", method=method)

    @classmethod
    def cut(cls, method: str | None = None) -> Fault:
        return cls("cut", method=method)

    @classmethod
    def drop(cls, method: str | None = None) -> Fault:
        return cls("drop", method=method)


@dataclass
class Seen:
    """One request as the server received it (``route`` is the part after the instance)."""

    method: str
    route: str
    params: dict[str, str]
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = JSON
    panic: bool = False  # DVID's recovered panic: "[" went out with a 200, then nothing

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(data).encode())

    @classmethod
    def text(cls, status: int, message: str) -> Answer:
        return cls(status, (message + "\n").encode(), TEXT)


@dataclass
class FakeDvid:
    """The server's state; ``start()`` (or ``with``) serves it on ``url``."""

    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    uuid: str = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    instance: str = "annotations"
    token: str | None = None
    in_memory: bool = False
    faults: deque[Fault] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    schema: dict[str, Any] | None = None
    tag_map: dict[str, Any] = field(default_factory=dict)
    stale_fields: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> FakeDvid:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeDvid:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server is not started"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def reset(self, records: Iterable[Mapping[str, Any]] = ()) -> None:
        """Fresh state: these records (keyed by their ``bodyid``), no faults, nothing seen."""
        with self.lock:
            self.records = {int(r["bodyid"]): dict(r) for r in records}
            self.faults.clear()
            self.seen.clear()
            self.schema = None
            self.stale_fields.clear()

    def requests(self, method: str | None = None, route: str | None = None) -> list[Seen]:
        """The requests seen, optionally only those of one method and/or route."""
        return [
            s
            for s in self.seen
            if (method is None or s.method == method) and (route is None or s.route == route)
        ]

    # -- dispatch --------------------------------------------------------------------------

    def next_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method is None or fault.method == method:
                    self.faults.remove(fault)
                    return fault
        return None

    def answer(self, seen: Seen, path: str) -> Answer:
        prefix = "/api/node/"
        if not path.startswith(prefix):
            return Answer.text(400, f"unknown path {path!r}")
        parts = path[len(prefix) :].split("/")
        if len(parts) < 3:
            return Answer.text(400, f"bad request path {path!r}")
        uuid, instance = parts[0], parts[1]
        problem = self._check_uuid(uuid)
        if problem:
            return Answer.text(400, problem)
        if instance != self.instance:
            return Answer.text(400, f"data {instance!r} not found in uuid {uuid!r}")
        if self.token is not None and seen.headers.get("Authorization") != f"Bearer {self.token}":
            return Answer.text(401, "authentication required")
        route = parts[2:]
        with self.lock:
            return self._route(seen, route)

    def _check_uuid(self, uuid: str) -> str:
        if uuid.count(":") > 1:
            return f"bad UUID {uuid!r}: at most one ':'"
        prefix = uuid.partition(":")[0]
        if not self.uuid.startswith(prefix.lower()):
            return f"no node matches UUID {uuid!r}"
        return ""

    def _route(self, seen: Seen, route: list[str]) -> Answer:
        name, args = route[0], route[1:]
        handlers: dict[str, Callable[[Seen, list[str]], Answer]] = {
            "query": self._query,
            "all": self._all,
            "keys": self._keys,
            "fields": self._fields,
            "keyrange": self._keyrange,
            "keyrangevalues": self._keyrangevalues,
            "keyvalues": self._keyvalues,
            "key": self._key,
            "json_schema": self._json_schema,
            "tags": self._tags,
            "info": self._info,
        }
        handler = handlers.get(name)
        if handler is None:
            return Answer.text(400, f"unknown endpoint {name!r}")
        return handler(seen, args)

    # -- helpers ---------------------------------------------------------------------------

    def _order(self) -> list[int]:
        """Key order of a scan: numeric in memory, decimal-string order from the store."""
        return sorted(self.records, key=None if self.in_memory else str)

    def _shape(
        self, record: Mapping[str, Any], params: Mapping[str, str], *, use_fields: bool = True
    ) -> dict[str, Any]:
        show = params.get("show")
        fields = [f for f in params.get("fields", "").split(",") if f]
        if fields and use_fields:
            return select_fields(record, fields, show in ("user", "all"), show in ("time", "all"))
        return hide_metadata(record, show)

    # -- routes ----------------------------------------------------------------------------

    def _query(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method not in ("GET", "POST"):
            return Answer.text(400, f"{seen.method} not supported on /query")
        text = seen.body.decode("utf-8", errors="replace")
        try:
            query = json.loads(seen.body)
        except ValueError:
            query = None
        is_list = isinstance(query, list)
        objects = query if isinstance(query, list) else [query]
        if not all(isinstance(o, dict) for o in objects):
            return Answer.text(400, f"unable to parse JSON query: {text} ({seen.route}).")
        if is_list and not objects:
            return Answer.text(400, "no query provided")
        params = seen.params
        if all(_fast_path_object(o) for o in objects):
            ids = [i for o in objects for i in _listed(o.get("bodyid", []))]
            hits = [self._shape(self.records[i], params) for i in ids if i in self.records]
            return Answer.json(hits)  # onlyid is ignored on this path
        try:
            test = compile_query(query)
        except ValueError:
            return Answer(200, b"[", panic=True)
        keys = [k for k in self._order() if test(self.records[k])]
        if params.get("onlyid") == "true":
            return Answer.json(keys)
        # the store's scan ignores ``fields`` (it only removes reserved fields)
        shaped = [self._shape(self.records[k], params, use_fields=self.in_memory) for k in keys]
        return Answer.json(shaped)

    def _all(self, seen: Seen, args: list[str]) -> Answer:
        fields = [f for f in seen.params.get("fields", "").split(",") if f]
        keys = list(self.records)
        random.Random(len(keys)).shuffle(keys)  # a Go map: no order
        out = []
        for key in keys:
            shaped = self._shape(self.records[key], seen.params)
            if fields and set(fields) != {"bodyid"} and set(shaped) <= {"bodyid"}:
                continue  # records with none of the fields are left out
            out.append(shaped)
        return Answer.json(out)

    def _keys(self, seen: Seen, args: list[str]) -> Answer:
        return Answer.json([str(k) for k in self._order()])

    def _fields(self, seen: Seen, args: list[str]) -> Answer:
        counts: dict[str, int] = {}
        for record in self.records.values():
            for name in record:
                counts[name] = counts.get(name, 0) + 1
        if seen.params.get("counts") == "true":
            return Answer.json({**dict.fromkeys(self.stale_fields - set(counts), 0), **counts})
        names = list(counts) + ["" for _ in self.stale_fields - set(counts)]  # DVID's bug
        return Answer.json(names)

    def _range(self, args: list[str]) -> list[int] | Answer:
        if len(args) != 2:
            return Answer.text(400, "expected two keys")
        low, high = _parse_bound(args[0]), _parse_bound(args[1])
        if low is None or high is None:
            return Answer.text(400, f"bad key range {args!r}")
        if self.in_memory:
            return [k for k in self._order() if low <= k <= high]
        # the store: a lexicographic range of key strings, then a numeric filter
        return [k for k in self._order() if args[0] <= str(k) <= args[1] and low <= k <= high]

    def _keyrange(self, seen: Seen, args: list[str]) -> Answer:
        keys = self._range(args)
        if isinstance(keys, Answer):
            return keys
        return Answer.json([str(k) for k in keys])

    def _keyrangevalues(self, seen: Seen, args: list[str]) -> Answer:
        if seen.params.get("json") != "true":
            return Answer(200, b"\x0a\x03protobuf", "application/octet-stream")
        keys = self._range(args)
        if isinstance(keys, Answer):
            return keys
        return Answer.json({str(k): self._shape(self.records[k], seen.params) for k in keys})

    def _keyvalues(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method != "GET" or seen.params.get("json") != "true":
            return Answer.text(400, "the fake answers only GET keyvalues?json=true")
        try:
            wanted = json.loads(seen.body)
            keys = [int(k) for k in wanted]
        except (ValueError, TypeError):
            return Answer.text(400, "expected a JSON list of keys")
        return Answer.json(
            {str(k): self._shape(self.records[k], seen.params) for k in keys if k in self.records}
        )

    def _key(self, seen: Seen, args: list[str]) -> Answer:
        if len(args) != 1 or not args[0].isdigit():
            return Answer.text(400, f"bad key {'/'.join(args)!r}")
        key = int(args[0])
        if seen.method == "POST":
            return self._post_key(key, seen)
        if key not in self.records:
            return Answer.text(404, f'Key "{args[0]}" not found')
        if seen.method == "DELETE":
            self._forget(self.records.pop(key))
            return Answer(200)
        if seen.method == "HEAD":
            return Answer(200)
        return Answer.json(self._shape(self.records[key], seen.params))

    def _forget(self, record: Mapping[str, Any]) -> None:
        self.stale_fields.update(record)

    def _post_key(self, key: int, seen: Seen) -> Answer:
        user = seen.params.get("u", "")
        if not user:
            return Answer.text(400, "POST on key requires 'u' query string (user)")
        if key == 0 or key > UINT64_MAX:
            return Answer.text(400, f"bad key {key}")
        try:
            value = json.loads(seen.body)
        except ValueError as err:
            return Answer.text(400, f"unable to parse JSON: {err}")
        if not isinstance(value, dict):
            return Answer.text(400, "the posted annotation is not a JSON object")
        if "bodyid" in value and (type(value["bodyid"]) is not int or value["bodyid"] != key):
            return Answer.text(400, f"key {key} does not match bodyid {value['bodyid']!r}")
        for name in ("bodyid_user", "bodyid_time"):
            if name in value:
                return Answer.text(400, f"field {name!r} is not allowed")
        old = self.records.get(key, {})
        protected = _split(seen.params.get("conditional") or seen.params.get("conditionals"))
        new = update(old, value, user, replace=seen.params.get("replace") == "true", keep=protected)
        new["bodyid"] = key
        for name in self.schema.get("required", []) if self.schema else []:
            if name not in new:
                return Answer.text(400, f"JSON schema validation failed: {name!r} is required")
        self._forget(old)
        self.records[key] = new
        return Answer(200)

    def _json_schema(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method == "POST":
            try:
                schema = json.loads(seen.body)
            except ValueError:
                schema = None
            if not isinstance(schema, dict):
                return Answer.text(400, "the JSON schema is not a JSON object")
            self.schema = schema
            return Answer(200)
        if seen.method == "DELETE":
            self.schema = None
            return Answer(200)
        if self.schema is None:
            return Answer(404, b"", TEXT)  # DVID: 404 with an empty body
        return Answer.json(self.schema)

    def _tags(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method == "POST":
            new = json.loads(seen.body)
            if seen.params.get("replace") == "true":
                self.tag_map.clear()
            self.tag_map.update(new)
            return Answer(200)
        return Answer.json(self.tag_map)

    def _info(self, seen: Seen, args: list[str]) -> Answer:
        base = {"TypeName": "neuronjson", "Name": self.instance, "RepoUUID": self.uuid}
        return Answer.json({"Base": base, "Extended": {}})


# ---------------------------------------------------------------------------------------
# DVID's rules the fake needs


def select_fields(
    record: Mapping[str, Any], fields: list[str], show_user: bool, show_time: bool
) -> dict[str, Any]:
    """DVID's ``selectFields`` (``fields.go``)."""
    out: dict[str, Any] = {"bodyid": record["bodyid"]} if "bodyid" in record else {}
    for name in fields:
        if name == "bodyid":
            continue
        if name in record:
            out[name] = record[name]
        if show_user and name + "_user" in record:
            out[name + "_user"] = record[name + "_user"]
        if show_time and name + "_time" in record:
            out[name + "_time"] = record[name + "_time"]
    return out


def update(
    old: Mapping[str, Any],
    value: Mapping[str, Any],
    user: str,
    *,
    replace: bool = False,
    keep: Iterable[str] = (),
) -> dict[str, Any]:
    """DVID's ``updateJSON`` as the reference describes it (A8, A9): merge (or replace), a
    ``null`` deletes, each changed field gets ``F_user``/``F_time`` unless the client sent them,
    ``conditional`` fields already set are kept."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    keep = set(keep)
    new: dict[str, Any] = {} if replace else dict(old)
    supplied = {k: v for k, v in value.items() if k.endswith(("_user", "_time"))}
    for name, v in value.items():
        if name == "bodyid" or name in supplied:
            continue
        if name in keep and old.get(name) is not None:
            new.update({k: old[k] for k in (name, name + "_user", name + "_time") if k in old})
            continue
        changed = json.dumps(old.get(name), sort_keys=True) != json.dumps(v, sort_keys=True)
        if v is None:
            new.pop(name, None)
        else:
            new[name] = v
        if changed and name != "user":
            new[name + "_user"] = user
            new[name + "_time"] = now
        elif replace:
            new.update({k: old[k] for k in (name + "_user", name + "_time") if k in old})
    new.update(supplied)
    return new


def _fast_path_object(obj: Mapping[str, Any]) -> bool:
    """Every key is ``bodyid`` with an int or an int list (so ``{}`` qualifies)."""
    return all(key == "bodyid" and _ints(value) for key, value in obj.items())


def _ints(value: Any) -> bool:
    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    return is_int(value) or (isinstance(value, list) and all(is_int(v) for v in value))


def _listed(value: Any) -> list[int]:
    return value if isinstance(value, list) else [value]


def _parse_bound(text: str) -> int | None:
    """DVID's ``parseKeyStr``: a non-digit first character means 0 or MaxUint64."""
    if not text:
        return None
    if text[0] > "9":
        return UINT64_MAX
    if text[0] < "0":
        return 0
    return int(text) if text.isdigit() else None


def _split(text: str | None) -> set[str]:
    return {f for f in (text or "").split(",") if f}


# ---------------------------------------------------------------------------------------
# HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is not a server failure


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    timeout = 10
    fake: FakeDvid

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        path = unquote(url.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = path.split("/")
        seen = Seen(method, "/".join(parts[5:]), params, body, dict(self.headers.items()))
        with self.fake.lock:
            self.fake.seen.append(seen)
        fault = self.fake.next_fault(method)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            return
        if fault is not None and fault.kind == "status":
            text = fault.message + ("\n" if fault.content_type == TEXT and fault.message else "")
            self._send(Answer(fault.status, text.encode()), fault.content_type, method)
            return
        if fault is not None and fault.kind == "sleep":
            time.sleep(fault.seconds)
        answer = self.fake.answer(seen, path)
        if fault is not None and fault.kind == "truncate":
            answer = Answer(200, answer.body[: len(answer.body) // 2], answer.content_type)
        try:
            if answer.panic:
                self._send_panic(answer)
            elif fault is not None and fault.kind == "cut":
                self._send_cut(answer)
            else:
                self._send(answer, answer.content_type, method)
        except OSError:
            self.close_connection = True  # the client went away

    def _send(self, answer: Answer, content_type: str, method: str) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(answer.body)

    def _send_cut(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body[: len(answer.body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _send_panic(self, answer: Answer) -> None:
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)
        self.close_connection = True
