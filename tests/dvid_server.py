"""A fake DVID ``neuronjson`` server for tests: a real HTTP server on 127.0.0.1.

It answers every route of one data instance (``/api/node/<uuid>/<instance>/...``) the way
DVID's own code does (``datatype/neuronjson/neuronjson.go`` at 3400c2cb, read route by route;
``reference/dvid-and-neuprinthttp-behaviour.md`` part A summarises it): ``help``, ``info``
(every method, the body ignored), ``tags`` (``{"Tags": ...}``; POST appends or, with
``replace=true``, replaces; string values only), ``json_schema`` / ``schema`` /
``schema_batch`` (GET/POST/DELETE/HEAD, a 404 with an empty body when unset), ``all``,
``keys``, ``fields``, ``fieldtimes``, ``query`` (matched with the project's evaluator
:func:`neuprint_dsl.neuronjson.compile_query`, the body-id fast path included), ``keyrange``,
``keyrangevalues`` and ``keyvalues`` (``json``, ``jsontar``/``tar`` and the default protobuf,
``check``), ``POST keyvalues`` (protobuf, each entry written as ``POST key``, stopping at the
first refusal), and ``key`` (GET/HEAD/DELETE/POST with ``updateJSON``'s bookkeeping of
``*_user``/``*_time``, ``replace`` and ``conditional``, a required ``bodyid``, the JSON
schema's ``required`` list enforced).

Errors are DVID's: ``400 text/plain`` with ``server.BadRequest``'s ``<message> (<path>).``;
``404 Key "x" not found``. JSON bodies are read as Go reads them: a lone surrogate escape
becomes U+FFFD. Unless ``in_memory=True`` the version is read from the key-value store: keys in
lexicographic order, ``fields`` ignored by the query scan, key ranges compared as strings
(``keyrange`` then filtered numerically, ``keyrangevalues`` not), no ``fieldtimes``.

Tests inject faults by appending to :attr:`FakeDvid.faults`; the next request (of the given
method, if one is named) takes the first fault. Every request is recorded in
:attr:`FakeDvid.seen`.
"""

from __future__ import annotations

import gzip
import json
import random
import tarfile
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

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
TAR = "application/tar"
OCTETS = "application/octet-stream"
UINT64_MAX = 2**64 - 1
TYPE_URL = "github.com/janelia-flyem/dvid/datatype/neuronjson"
HELP = f"""
API for 'neuronjson' datatype ({TYPE_URL})
=============================================================================

The neuronjson datatype is similar supports most of the keyvalue datatype methods
but extends them to include queries.
"""
SCHEMA_KINDS = ("json_schema", "schema", "schema_batch")


@dataclass
class Fault:
    """What to do to one request instead of (or before) answering it normally.

    ``kind``: ``"status"`` (answer ``status`` with ``message`` as ``content_type``, and a
    ``Retry-After`` header if ``retry_after`` is set), ``"sleep"`` (wait ``seconds``, then
    answer normally), ``"truncate"`` (200 with the first half of the normal body, consistent
    ``Content-Length``), ``"cut"`` (announce the full length, send half, close), ``"drop"``
    (close the connection without answering), ``"apply_then_fail"`` (answer normally inside,
    so the write happens, then send ``status`` instead: a proxy that gave up).
    """

    kind: str
    status: int = 503
    message: str = ""
    content_type: str = TEXT
    seconds: float = 0.0
    method: str | None = None
    retry_after: str | None = None

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "",
        content_type: str = TEXT,
        method: str | None = None,
        retry_after: str | None = None,
    ) -> Fault:
        return cls("status", status, message, content_type, method=method, retry_after=retry_after)

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

    @classmethod
    def apply_then_fail(cls, status: int, message: str = "", method: str | None = None) -> Fault:
        return cls("apply_then_fail", status, message, method=method)


@dataclass
class Seen:
    """One request as the server received it (``route`` is the part after the instance,
    ``path`` the whole URL path, as DVID quotes it in its error messages)."""

    method: str
    route: str
    params: dict[str, str]
    body: bytes
    headers: dict[str, str]
    path: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = JSON
    panic: bool = False  # DVID's recovered panic: "[" went out with a 200, then nothing
    content_encoding: str | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(data).encode())

    @classmethod
    def text(cls, status: int, message: str) -> Answer:
        return cls(status, (message + "\n").encode(), TEXT)


class BadRequest(Exception):
    """DVID's ``server.BadRequest``: 400, ``<message> (<path>).``"""


def go_json(body: bytes) -> Any:
    """``body`` decoded as Go's ``encoding/json`` decodes it: invalid UTF-8 and lone surrogate
    escapes become U+FFFD. Raises :class:`BadRequest` with a Go-like message."""
    try:
        value = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError as err:
        raise BadRequest(f"invalid character in JSON: {err}") from None
    return _replace_surrogates(value)


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    return value


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
    #: the metadata documents as DVID stores them: raw bytes by kind
    metadata: dict[str, bytes] = field(default_factory=dict)
    #: the instance's tags (``None``: never set, DVID answers ``{"Tags": null}``)
    tag_map: dict[str, str] | None = None
    stale_fields: set[str] = field(default_factory=set)
    field_times: dict[str, str] = field(default_factory=dict)
    #: seconds every request waits before it is answered (a network's round trip)
    latency: float = 0.0

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
            self.metadata.clear()
            self.tag_map = None
            self.stale_fields.clear()
            self.field_times = {}
            for record in self.records.values():  # initFieldTimes
                self._note_times(record)

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
            return Answer.text(404, f"Could not find the URL: {path}")
        parts = path[len(prefix) :].split("/")
        if parts and not parts[-1]:
            parts = parts[:-1]
        if len(parts) < 3:
            return Answer.text(404, f"Could not find the URL: {path}")
        uuid, instance = parts[0], parts[1]
        problem = self._check_uuid(uuid)
        if problem:
            return Answer.text(400, f"{problem} ({path}).")
        if instance != self.instance:
            return Answer.text(400, f"data {instance!r} not found in uuid {uuid!r} ({path}).")
        if self.token is not None and seen.headers.get("Authorization") != f"Bearer {self.token}":
            return Answer.text(401, "authentication required")
        with self.lock:
            try:
                return self._route(seen, parts[2:])
            except BadRequest as err:
                return Answer.text(400, f"{err} ({path}).")

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
            "help": self._help,
            "info": self._info,
            "tags": self._tags,
            "all": self._all,
            "keys": self._keys,
            "fields": self._fields,
            "fieldtimes": self._fieldtimes,
            "query": self._query,
            "keyrange": self._keyrange,
            "keyrangevalues": self._keyrangevalues,
            "keyvalues": self._keyvalues,
            "key": self._key,
        }
        if name in SCHEMA_KINDS:
            return self._schema(seen, name)
        handler = handlers.get(name)
        if handler is None:  # server.BadAPIRequest
            return Answer.text(
                400,
                f"Bad API call ({seen.path}) for data {self.instance!r}.  See API help at "
                "http://127.0.0.1/api/help/neuronjson",
            )
        return handler(seen, args)

    # -- helpers ---------------------------------------------------------------------------

    def _order(self) -> list[int]:
        """Key order of a scan: numeric in memory, decimal-string order from the store."""
        return sorted(self.records, key=None if self.in_memory else str)

    def _shape(
        self, record: Mapping[str, Any], params: Mapping[str, str], *, use_fields: bool = True
    ) -> dict[str, Any]:
        show = params.get("show")
        fields = [f for f in params.get("fields", "").split(",") if f] if use_fields else []
        return select_fields(record, fields, show in ("user", "all"), show in ("time", "all"))

    def _note_times(self, record: Mapping[str, Any]) -> None:
        for name, value in record.items():
            if name.endswith("_time") and isinstance(value, str):
                root = name[:-5]
                if value > self.field_times.get(root, ""):
                    self.field_times[root] = value

    def _range_keys(self, args: list[str], *, numeric_filter: bool) -> list[int]:
        """The keys of ``GetKeysInRange`` (``numeric_filter``) / ``sendJSONValuesInRange``."""
        low, high = parse_key_str(args[0]), parse_key_str(args[1])
        if self.in_memory:
            return [k for k in self._order() if low <= k <= high]
        # the store: a lexicographic range of "<key>\0" strings
        keys = [k for k in self._order() if args[0] <= str(k) <= args[1]]
        return [k for k in keys if low <= k <= high] if numeric_filter else keys

    # -- routes ----------------------------------------------------------------------------

    def _help(self, seen: Seen, args: list[str]) -> Answer:
        return Answer(200, (HELP + "\n").encode(), "text/plain")

    def _info(self, seen: Seen, args: list[str]) -> Answer:
        # every method; DVID never reads the body (a POST changes nothing)
        base = {
            "TypeName": "neuronjson",
            "TypeURL": TYPE_URL,
            "TypeVersion": "0.1",
            "DataUUID": self.uuid[::-1],
            "Name": self.instance,
            "RepoUUID": self.uuid,
            "Compression": "No compression",
            "Checksum": "No checksum",
            "Syncs": [],
            "Versioned": True,
            "KVStore": "basholeveldb @ /data/dvid",
            "LogStore": "no mutation log set",
            "Tags": self.tag_map,
        }
        return Answer.json({"Base": base, "Extended": {}})

    def _tags(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method != "POST":
            return Answer.json({"Tags": self.tag_map})
        new: Any = {}
        if seen.body.strip():
            new = go_json(seen.body)
        if not isinstance(new, dict) or not all(isinstance(v, str) for v in new.values()):
            raise BadRequest(
                "Malformed JSON request in tags setter: json: cannot unmarshal into Go value of "
                "type map[string]string"
            )
        if seen.params.get("replace") == "true":
            self.tag_map = dict(new)
        else:
            self.tag_map = {**(self.tag_map or {}), **new}
        return Answer(200, b"", TEXT)

    def _schema(self, seen: Seen, kind: str) -> Answer:
        if seen.method == "HEAD":
            return Answer(200 if kind in self.metadata else 404, b"", TEXT)
        if seen.method == "GET":
            if kind not in self.metadata:
                return Answer(404, b"", TEXT)  # WriteHeader(404), no body
            # DVID sets Content-Type after writing: Go sniffs the stored bytes
            return Answer(200, self.metadata[kind], TEXT)
        if seen.method == "DELETE":
            self.metadata.pop(kind, None)
            return Answer(200, b"", TEXT)
        if seen.method == "POST":
            self.metadata[kind] = seen.body  # stored as sent, never checked
            return Answer(200, b"", TEXT)
        raise BadRequest(f"key endpoint does not support {seen.method.lower()!r} HTTP verb")

    def _query(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method not in ("GET", "POST"):
            raise BadRequest("only GET or POST methods allowed for /query endpoint")
        text = seen.body.decode("utf-8", errors="replace")
        try:
            query = go_json(seen.body)
        except BadRequest:
            query = None
        is_list = isinstance(query, list)
        objects = query if isinstance(query, list) else [query]
        if not all(isinstance(o, dict) for o in objects):
            raise BadRequest(f"unable to parse JSON query: {text}")
        if is_list and not objects:
            raise BadRequest("no query provided")
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
        body = json.dumps(out).encode()
        if "gzip" in seen.headers.get("Accept-Encoding", ""):  # dvid.SupportsGzipEncoding
            return Answer(200, gzip.compress(body), JSON, content_encoding="gzip")
        return Answer(200, body)

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

    def _fieldtimes(self, seen: Seen, args: list[str]) -> Answer:
        if not self.in_memory:
            raise BadRequest(
                f"unable to get fields because no in-memory db for neuronjson {self.instance!r}, "
                "version 1"
            )
        return Answer.json(self.field_times)

    def _keyrange(self, seen: Seen, args: list[str]) -> Answer:
        if len(args) < 2:
            raise BadRequest("expect beginning and end keys to follow 'keyrange' endpoint")
        return Answer.json([str(k) for k in self._range_keys(args, numeric_filter=True)])

    def _keyrangevalues(self, seen: Seen, args: list[str]) -> Answer:
        if len(args) < 2:
            raise BadRequest("expect beginning and end keys to follow 'keyrangevalues' endpoint")
        if not args[0] or not args[1]:
            raise BadRequest("must specify non-empty beginning and ending key")
        tar_out, json_out = _output(seen.params)
        keys = self._range_keys(args, numeric_filter=False)
        values = [(str(k), self._shape(self.records[k], seen.params)) for k in keys]
        if tar_out:
            return Answer(200, go_tar((k, json.dumps(v).encode()) for k, v in values), TAR)
        if json_out:
            body = "{" + ",".join(f'"{k}":{json.dumps(v)}' for k, v in values) + "}"
            return Answer(200, body.encode())
        return Answer(200, pb_key_values((k, json.dumps(v).encode()) for k, v in values), OCTETS)

    def _keyvalues(self, seen: Seen, args: list[str]) -> Answer:
        if seen.method == "POST":
            return self._ingest(seen)
        if seen.method != "GET":
            raise BadRequest(f"key endpoint does not support {seen.method.lower()!r} HTTP verb")
        try:
            return self._get_keyvalues(seen)
        except BadRequest as err:  # handleKeyValues' errors, as ServeHTTP reports them
            raise BadRequest(f'GET /keyvalues on 0 keys, data "{self.instance}": {err}') from None

    def _get_keyvalues(self, seen: Seen) -> Answer:
        tar_out, json_out = _output(seen.params)
        if tar_out:
            wanted = go_json(seen.body)
            if not isinstance(wanted, list) or not all(isinstance(k, str) for k in wanted):
                raise BadRequest("json: cannot unmarshal number into Go value of type string")
            found = [(k, self._value(k, seen.params)) for k in wanted]
            return Answer(200, go_tar((k, v or b"") for k, v in found), TAR)
        if json_out:
            wanted = go_json(seen.body)
            if not isinstance(wanted, list) or not all(
                isinstance(k, (int, str)) and not isinstance(k, bool) for k in wanted
            ):
                raise BadRequest("json: cannot unmarshal object into Go value of type []string")
            parts = []
            for key in (str(k) for k in wanted):
                value = self._value(key, seen.params)
                if value is None:
                    continue
                if seen.params.get("check") == "true":
                    json.loads(value)
                parts.append(f'"{key}":'.encode() + value)
            return Answer(200, b"{" + b",".join(parts) + b"}")
        keys = pb_decode_keys(seen.body)
        return Answer(
            200, pb_key_values((k, self._value(k, seen.params) or b"") for k in keys), OCTETS
        )

    def _value(self, key: str, params: Mapping[str, str]) -> bytes | None:
        """``GetData``: the selected JSON of one key, ``None`` if absent."""
        if key in ("schema", "schema_batch"):
            return self.metadata.get(key)
        if not key.isdigit() or int(key) > UINT64_MAX:
            raise BadRequest(f'strconv.ParseUint: parsing "{key}": invalid syntax')
        record = self.records.get(int(key))
        return None if record is None else json.dumps(self._shape(record, params)).encode()

    def _ingest(self, seen: Seen) -> Answer:
        """``handleIngest``: each ``KeyValue`` written by ``PutData`` in order; the first
        refusal ends the request (the ones before it stay written)."""
        for key, value in pb_decode_key_values(seen.body):
            self._put(key, value, seen)
        return Answer(200, b"", TEXT)

    def _key(self, seen: Seen, args: list[str]) -> Answer:
        if not args:
            raise BadRequest("expect key string to follow 'key' endpoint")
        key = args[0]
        if seen.method == "POST":
            self._put(key, seen.body, seen)
            return Answer(200, b"", TEXT)
        if seen.method == "DELETE":
            if key in ("schema", "schema_batch"):
                self.metadata.pop(key, None)
            else:
                body = _parse_uint(key)
                if body in self.records:
                    self.stale_fields.update(self.records.pop(body))
            return Answer(200, b"", TEXT)  # DVID answers 200 for an absent key too
        if seen.method == "HEAD":
            return Answer(200 if _parse_uint(key) in self.records else 404, b"", TEXT)
        if seen.method == "GET":
            value = self._value(key, seen.params)
            if value is None:
                return Answer.text(404, f'Key "{key}" not found')
            return Answer(200, value, TEXT)  # Go sniffs: DVID sets the type after writing
        raise BadRequest(f"key endpoint does not support {seen.method.lower()!r} HTTP verb")

    def _put(self, key: str, raw: bytes, seen: Seen) -> None:
        """``PutData`` then ``storeAndUpdate``, in DVID's order of checks."""
        user = seen.params.get("u", "")
        if not user:
            raise BadRequest("cannot alter neuronjson data without a valid user")
        if key == "0":
            raise BadRequest("body id 0 is reserved and so cannot be stored")
        if key in ("schema", "schema_batch"):
            self.metadata[key] = raw
            return
        value = go_json(raw)
        if not isinstance(value, dict):
            raise BadRequest(
                "json: cannot unmarshal into Go value of type map[string]json.RawMessage"
            )
        self._validate(value)
        if "bodyid" not in value:
            raise BadRequest("neuronjson data must have 'bodyid' field")
        body = value["bodyid"]
        if not isinstance(body, int) or isinstance(body, bool) or not 0 <= body <= UINT64_MAX:
            raise BadRequest("neuronjson 'bodyid' field must be uint64")
        keyid = _parse_uint(key, f'key "{key}" must be a valid uint64')
        if body != keyid:
            raise BadRequest(f"neuronjson 'bodyid' field {body} must match key {keyid}")
        for name in ("bodyid_user", "bodyid_time"):
            if name in value:
                raise BadRequest(f"'{name}' field not allowed")
        old = self.records.get(keyid)
        replace = seen.params.get("replace") == "true"
        conditionals = _split(seen.params.get("conditional") or seen.params.get("conditionals"))
        new = update_json(old, value, user, conditionals, replace)
        if old is not None:
            self.stale_fields.update(old)
        self.records[keyid] = new
        self._note_times(new)

    def _validate(self, value: Mapping[str, Any]) -> None:
        """The JSON schema's ``required`` list (all this fake checks of a schema)."""
        raw = self.metadata.get("json_schema")
        if raw is None:
            return
        try:
            schema = json.loads(raw)
        except ValueError:
            return  # DVID cannot compile it and skips validation
        for name in schema.get("required", []) if isinstance(schema, dict) else []:
            if name not in value:
                raise BadRequest(
                    "jsonschema: '' does not validate with schema.json#/required: missing "
                    f"properties: {name!r}"
                )


# ---------------------------------------------------------------------------------------
# DVID's rules the fake needs


def select_fields(
    record: Mapping[str, Any], fields: list[str], show_user: bool, show_time: bool
) -> dict[str, Any]:
    """DVID's ``selectFields`` (``fields.go``): ``bodyid``, then the named fields (all when
    none are named), ``*_user``/``*_time`` only as ``show`` allows."""
    out: dict[str, Any] = {"bodyid": record["bodyid"]} if "bodyid" in record else {}
    if not fields:
        for name, value in record.items():
            if (name.endswith("_user") and not show_user) or (
                name.endswith("_time") and not show_time
            ):
                continue
            out[name] = value
        return out
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


def _is_meta(name: str) -> bool:
    return name.endswith(("_user", "_time"))


def _same(a: Any, b: Any) -> bool:
    """``reflect.DeepEqual`` on values as DVID parses them (2 and 2.0 differ)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def update_json(
    orig: Mapping[str, Any] | None,
    received: Mapping[str, Any],
    user: str,
    conditionals: Iterable[str] = (),
    replace: bool = False,
) -> dict[str, Any]:
    """DVID's ``updateJSON`` (``neuronjson.go``), step by step: explicit ``F_user``/``F_time``
    win; a ``null`` deletes the field and records who deleted it; each new or changed field
    gets ``F_user``/``F_time``; without ``replace`` the old fields are carried forward and
    ``conditionals`` keep their old values; with ``replace`` unchanged fields keep their old
    bookkeeping (and ``conditionals`` are ignored)."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    new = dict(received)
    old = None if orig is None else dict(orig)
    field_user = {
        k[:-5]: v if isinstance(v, str) else "" for k, v in new.items() if k.endswith("_user")
    }
    field_time = {
        k[:-5]: v if isinstance(v, str) else "" for k, v in new.items() if k.endswith("_time")
    }
    deleted: set[str] = set()
    for name, value in list(new.items()):
        if value is not None:
            continue
        deleted.add(name)
        del new[name]
        if not _is_meta(name):
            set_user = field_user.get(name, user)
            set_time = field_time.get(name, now)
            if set_user:
                new[name + "_user"] = set_user
            if set_time:
                new[name + "_time"] = set_time
        if old is not None:
            old.pop(name, None)
    newly_set: set[str] = set()
    new_fields: set[str] = set()
    if old is None:
        for name in new:
            newly_set.add(name)
            if name.endswith("_user"):
                newly_set.add(name[:-5])
    else:
        for name, value in new.items():
            if name not in old or _is_meta(name) or not _same(value, old[name]):
                newly_set.add(name)
            if not _is_meta(name):
                new_fields.add(name)
        if not replace:
            protected = set(conditionals)
            for name, old_value in old.items():
                if name in deleted:
                    continue
                if name not in new:
                    new[name] = old_value
                    continue
                if name in protected:
                    new[name] = old_value
                    newly_set.discard(name)
    for name in sorted(newly_set):
        if name in ("bodyid", "user") or name in deleted or _is_meta(name):
            continue
        if name + "_user" not in newly_set and user:
            new[name + "_user"] = user
        if name + "_time" not in newly_set:
            new[name + "_time"] = now
    if replace and old is not None:
        for name in sorted(new_fields):
            if name == "bodyid" or name in deleted:
                continue
            if name + "_user" not in new:
                new[name + "_user"] = old.get(name + "_user", user)
            if name + "_time" not in new:
                new[name + "_time"] = old.get(name + "_time", now)
    return new


def parse_key_str(text: str) -> int:
    """DVID's ``parseKeyStr``: a non-digit first character means 0 or MaxUint64."""
    if not text:
        raise BadRequest("key string is empty")
    if text[0] > "9":
        return UINT64_MAX
    if text[0] < "0":
        return 0
    return _parse_uint(text)


def _parse_uint(text: str, message: str | None = None) -> int:
    if text.isascii() and text.isdigit() and int(text) <= UINT64_MAX:
        return int(text)
    raise BadRequest(message or f'strconv.ParseUint: parsing "{text}": invalid syntax')


def _output(params: Mapping[str, str]) -> tuple[bool, bool]:
    tar_out = params.get("jsontar") == "true" or params.get("tar") == "true"
    json_out = params.get("json") == "true"
    if tar_out and json_out:
        raise BadRequest("can only specify tar or json output, not both")
    return tar_out, json_out


def go_tar(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A tar file as Go's ``archive/tar`` writes DVID's: mode 0755, each member padded to
    512 bytes, two zero blocks at the end (no padding to a 10 kB record)."""
    out = bytearray()
    for name, content in members:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mode = 0o755
        out += info.tobuf(format=tarfile.USTAR_FORMAT)
        out += content + b"\0" * (-len(content) % 512)
    return bytes(out + b"\0" * 1024)


def _pb_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _pb_bytes(number: int, payload: bytes) -> bytes:
    return _pb_varint(number << 3 | 2) + _pb_varint(len(payload)) + payload


def pb_key_values(pairs: Iterable[tuple[str, bytes]]) -> bytes:
    """``proto.KeyValues`` as Go's marshaller writes it (empty fields left out)."""
    out = b""
    for key, value in pairs:
        inner = (_pb_bytes(1, key.encode()) if key else b"") + (
            _pb_bytes(2, value) if value else b""
        )
        out += _pb_bytes(1, inner)
    return out


def _pb_fields(data: bytes) -> list[tuple[int, bytes]]:
    try:
        return _pb_fields_unchecked(data)
    except IndexError:
        raise BadRequest("proto: cannot parse invalid wire-format data") from None


def _pb_fields_unchecked(data: bytes) -> list[tuple[int, bytes]]:
    fields = []
    pos = 0
    while pos < len(data):
        tag = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            tag |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if tag & 7 != 2:
            raise BadRequest("proto: cannot parse invalid wire-format data")
        size = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if pos + size > len(data):
            raise BadRequest("proto: cannot parse invalid wire-format data")
        fields.append((tag >> 3, data[pos : pos + size]))
        pos += size
    return fields


def pb_decode_keys(data: bytes) -> list[str]:
    return [raw.decode() for number, raw in _pb_fields(data) if number == 1]


def pb_decode_key_values(data: bytes) -> list[tuple[str, bytes]]:
    pairs = []
    for number, raw in _pb_fields(data):
        if number == 1:
            inner = dict(_pb_fields(raw))
            pairs.append((inner.get(1, b"").decode(), inner.get(2, b"")))
    return pairs


def _fast_path_object(obj: Mapping[str, Any]) -> bool:
    """Every key is ``bodyid`` with an int or an int list (so ``{}`` qualifies)."""
    return all(key == "bodyid" and _ints(value) for key, value in obj.items())


def _ints(value: Any) -> bool:
    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    return is_int(value) or (isinstance(value, list) and all(is_int(v) for v in value))


def _listed(value: Any) -> list[int]:
    return value if isinstance(value, list) else [value]


def _split(text: str | None) -> list[str]:
    return [f for f in (text or "").split(",") if f]


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
        seen = Seen(method, "/".join(parts[5:]), params, body, dict(self.headers.items()), path)
        with self.fake.lock:
            self.fake.seen.append(seen)
        if self.fake.latency:
            time.sleep(self.fake.latency)
        fault = self.fake.next_fault(method)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            return
        if fault is not None and fault.kind == "apply_then_fail":
            self.fake.answer(seen, path)  # the write happens; the proxy answers instead
        if fault is not None and fault.kind in ("status", "apply_then_fail"):
            text = fault.message + ("\n" if fault.content_type == TEXT and fault.message else "")
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(Answer(fault.status, text.encode()), fault.content_type, method, extra)
            return
        if fault is not None and fault.kind == "sleep":
            time.sleep(fault.seconds)
        answer = self.fake.answer(seen, path)
        if fault is not None and fault.kind == "truncate":
            half = answer.body[: len(answer.body) // 2]
            answer = Answer(
                200, half, answer.content_type, content_encoding=answer.content_encoding
            )
        try:
            if answer.panic:
                self._send_panic(answer)
            elif fault is not None and fault.kind == "cut":
                self._send_cut(answer)
            else:
                self._send(answer, answer.content_type, method)
        except OSError:
            self.close_connection = True  # the client went away

    def _send(
        self,
        answer: Answer,
        content_type: str,
        method: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if answer.content_encoding:
            self.send_header("Content-Encoding", answer.content_encoding)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(answer.body)

    def _send_cut(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        if answer.content_encoding:
            self.send_header("Content-Encoding", answer.content_encoding)
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
