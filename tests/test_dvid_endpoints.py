"""Every endpoint and option of DVID's ``neuronjson`` API (issue 13), against the local server
of tests/dvid_server.py, which follows DVID's own code route by route.

Covered here: keyrange (DVID-exact) beside the numeric helpers, the keyvalues /
keyrangevalues answer formats (json, jsontar, protobuf) and ``check``, POST keyvalues, tags
(GET/POST, replace), info, help, the three schema kinds with GET/POST/DELETE/HEAD,
fieldtimes, writes that may have been applied (5xx, timeouts), urllib3's retry policy
(Retry-After, capped), and lone surrogates refused with the same error on every backend.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import N, QueryTimeout, ServerError, TransportError, neurons
from neuprint_dsl.dvid.formats import decode_key_values, decode_keys
from neuprint_dsl.errors import InvalidValue
from neuprint_dsl.neuronjson import compile_query, match, to_neuronjson
from neuprint_dsl.transports import LocalNeuronJson
from neuprint_dsl.transports.dvid_http import DvidHTTP, DvidRetry

from .dvid_server import FakeDvid, Fault, go_tar, pb_key_values

#: the issue's example: DVID compares "23" and "5813" as strings, after "20000"
ISSUE_KEYS = [23, 5813, 10000]
RECORDS: list[dict[str, Any]] = [
    {"bodyid": 23, "type": "KCab", "status": "Traced", "type_user": "alice"},
    {"bodyid": 5813, "type": "APL", "status": "Traced"},
    {"bodyid": 10000, "type": "MBON01", "status": "Orphan", "pre": 7},
]


@pytest.fixture(params=[False, True], ids=["store", "in-memory"])
def any_server(request: pytest.FixtureRequest) -> Iterator[FakeDvid]:
    with FakeDvid(in_memory=request.param) as fake:
        fake.reset(RECORDS)
        yield fake


@pytest.fixture
def server() -> Iterator[FakeDvid]:
    with FakeDvid() as fake:
        fake.reset(RECORDS)
        yield fake


def connect(server: FakeDvid, **options: Any) -> DvidHTTP:
    options = {"timeout": 2.0, "user": "tester", **options}
    return DvidHTTP(server.url, server.uuid[:6] + ":master", server.instance, **options)


@pytest.fixture
def dvid(server: FakeDvid) -> Iterator[DvidHTTP]:
    with connect(server) as transport:
        yield transport


def ids(frame: pd.DataFrame) -> list[int]:
    return [int(b) for b in frame["bodyid"]]


# ---------------------------------------------------------------------------------------
# keyrange: DVID-exact, and the numeric helpers


def test_keyrange_is_dvid_exact_string_comparison_on_the_store(server: FakeDvid) -> None:
    with connect(server) as dvid:
        assert dvid.keyrange(1, 20000) == [10000]  # what DVID itself answers
        assert server.requests()[-1].route == "keyrange/1/20000"
        assert len(server.requests()) == 1


def test_keyrange_in_memory_is_numeric() -> None:
    with FakeDvid(in_memory=True) as fake:
        fake.reset(RECORDS)
        with connect(fake) as dvid:
            assert dvid.keyrange(1, 20000) == ISSUE_KEYS  # HEAD held in memory: numeric


def test_numeric_keyrange_is_numeric_on_every_version(any_server: FakeDvid) -> None:
    with connect(any_server) as dvid:
        assert dvid.numeric_keyrange(1, 20000) == ISSUE_KEYS
        assert dvid.numeric_keyrange(24, 10000) == [5813, 10000]


def test_keyrangevalues_is_dvid_exact_without_a_numeric_filter(server: FakeDvid) -> None:
    # from the store DVID sends every key whose string lies in ["1", "3"]: 23 and 10000
    with connect(server) as dvid:
        assert ids(dvid.keyrangevalues(1, 3)) == [23, 10000]
        assert dvid.keyrange(1, 3) == []  # keyrange filters numerically after the scan
        assert ids(dvid.numeric_keyrangevalues(1, 3)) == []
        assert ids(dvid.keyrangevalues(1, 20000)) == [10000]
        assert ids(dvid.numeric_keyrangevalues(1, 20000)) == ISSUE_KEYS


def test_keyrange_string_bounds_as_dvid_reads_them(any_server: FakeDvid) -> None:
    with connect(any_server) as dvid:
        assert dvid.keyrange("0", "a") == ISSUE_KEYS  # "a" means 2**64-1
        assert dvid.keyrange("-", "~") == ISSUE_KEYS  # below "0": 0; above "9": max
        assert ids(dvid.keyrangevalues("0", "a")) == ISSUE_KEYS


@pytest.mark.parametrize("bound", ["12a", "", "a/b", "1?x", " 1", -1, 2**64, True, 1.5, None])
def test_bad_keyrange_bounds_are_refused_before_sending(server: FakeDvid, bound: Any) -> None:
    with connect(server) as dvid:
        with pytest.raises(ValueError):
            dvid.keyrange(bound, 5)
        with pytest.raises(ValueError):
            dvid.keyrangevalues(1, bound)
    assert server.requests() == []


def test_the_server_refuses_bad_bounds_like_dvid(server: FakeDvid) -> None:
    url = connect(server).url
    answer = requests.get(f"{url}/keyrange/12a/5", timeout=2)
    assert answer.status_code == 400 and "invalid syntax" in answer.text
    assert answer.text.rstrip().endswith("/keyrange/12a/5).")


# ---------------------------------------------------------------------------------------
# keyvalues / keyrangevalues formats


@pytest.mark.parametrize("fmt", ["json", "jsontar", "protobuf"])
def test_keyvalues_formats_give_the_same_frame(dvid: DvidHTTP, server: FakeDvid, fmt: Any) -> None:
    expected = dvid.keyvalues([10000, 23, 999])
    assert ids(expected) == [23, 10000]
    got = dvid.keyvalues([10000, 23, 999], format=fmt)
    pd.testing.assert_frame_equal(got, expected)
    with_fields = dvid.keyvalues([23, 5813], fields=["type"], show="user", format=fmt)
    assert with_fields.to_dict("records") == [
        {"bodyid": 23, "type": "KCab", "type_user": "alice"},
        {"bodyid": 5813, "type": "APL", "type_user": None},
    ]


def test_keyvalues_request_shapes(dvid: DvidHTTP, server: FakeDvid) -> None:
    dvid.keyvalues([10000, 23], format="jsontar")
    seen = server.requests()[-1]
    assert seen.params == {"jsontar": "true"}
    assert seen.json() == ["23", "10000"]  # DVID reads tar keys as a JSON list of strings
    dvid.keyvalues([10000, 23], format="protobuf")
    seen = server.requests()[-1]
    assert seen.params == {}  # protobuf is DVID's default
    assert seen.headers["Content-Type"] == "application/octet-stream"
    assert decode_keys(seen.body) == ["23", "10000"]
    dvid.keyvalues([23], format="json", check=True)
    assert server.requests()[-1].params == {"json": "true", "check": "true"}
    dvid.keyvalues([23], check=False)
    assert server.requests()[-1].params == {"json": "true", "check": "false"}


def test_keyvalues_answers_as_dvid_sends_them(dvid: DvidHTTP) -> None:
    # a tar member and a protobuf value are empty for a key without an annotation
    tar = requests.get(f"{dvid.url}/keyvalues?jsontar=true", json=["23", "999"], timeout=2)
    assert tar.headers["Content-Type"] == "application/tar"
    assert tar.content.endswith(b"\0" * 1024) and len(tar.content) % 512 == 0
    pb = requests.get(f"{dvid.url}/keyvalues", data=b"\n\x0223\n\x03999", timeout=2)
    assert decode_key_values(pb.content) == [
        ("23", b'{"bodyid": 23, "type": "KCab", "status": "Traced"}'),
        ("999", b""),
    ]
    both = requests.get(f"{dvid.url}/keyvalues?json=true&tar=true", json=[23], timeout=2)
    assert both.status_code == 400 and "only specify tar or json" in both.text
    ints = requests.get(f"{dvid.url}/keyvalues?jsontar=true", json=[23], timeout=2)
    assert ints.status_code == 400  # DVID's tar path takes string keys only


@pytest.mark.parametrize("fmt", ["json", "jsontar", "protobuf"])
def test_keyrangevalues_formats(any_server: FakeDvid, fmt: Any) -> None:
    with connect(any_server) as dvid:
        expected = dvid.numeric_keyrangevalues(1, 20000, fields=["type", "pre"])
        got = dvid.numeric_keyrangevalues(1, 20000, fields=["type", "pre"], format=fmt)
        pd.testing.assert_frame_equal(got, expected)
        assert ids(got) == ISSUE_KEYS
        assert got["pre"].tolist() == [None, None, 7]
        exact = dvid.keyrangevalues("0", "a", format=fmt)
        assert ids(exact) == ISSUE_KEYS
    params = [s.params for s in any_server.requests()]
    wanted = {"json": {"json": "true"}, "jsontar": {"jsontar": "true"}, "protobuf": {}}[fmt]
    assert params[-1] == wanted


def test_check_applies_to_json_only(dvid: DvidHTTP, server: FakeDvid) -> None:
    with pytest.raises(ValueError, match="check applies to format='json'"):
        dvid.keyvalues([23], format="jsontar", check=True)
    with pytest.raises(ValueError, match="format must be one of"):
        dvid.keyrangevalues(1, 2, format="tar")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="check must be True or False"):
        dvid.keyvalues([23], check="yes")  # type: ignore[arg-type]
    assert server.requests() == []


@pytest.mark.parametrize("fmt", ["json", "jsontar", "protobuf"])
def test_a_truncated_values_answer_is_an_error(dvid: DvidHTTP, server: FakeDvid, fmt: Any) -> None:
    server.faults.append(Fault.truncate())
    with pytest.raises(TransportError, match=r"truncated|invalid JSON"):
        dvid.keyrangevalues("0", "a", format=fmt)


def test_all_is_gzipped_and_a_truncated_gzip_answer_is_an_error(
    dvid: DvidHTTP, server: FakeDvid
) -> None:
    raw = requests.get(f"{dvid.url}/all", timeout=2)
    assert raw.headers["Content-Encoding"] == "gzip"  # DVID gzips /all when it may
    assert ids(dvid.all()) == ISSUE_KEYS
    server.faults.append(Fault.truncate())
    with pytest.raises(TransportError):
        dvid.all()
    server.faults.append(Fault.cut())
    assert ids(dvid.all()) == ISSUE_KEYS  # a body cut by the connection is fetched again
    assert len(server.requests("GET", "all")) == 5


def test_tar_and_protobuf_readers_reject_what_is_not_whole() -> None:
    from neuprint_dsl.dvid.formats import read_tar

    tar = go_tar([("23", b"{}"), ("24", b"{}")])
    assert read_tar(tar) == [("23", b"{}"), ("24", b"{}")]
    for cut in (512, 1024, 1536, len(tar) - 512):
        with pytest.raises(TransportError, match="truncated"):
            read_tar(tar[:cut])
    body = pb_key_values([("23", b'{"bodyid": 23}')])
    assert decode_key_values(body) == [("23", b'{"bodyid": 23}')]
    for cut in range(1, len(body)):
        with pytest.raises(TransportError):
            decode_key_values(body[:cut])


# ---------------------------------------------------------------------------------------
# POST keyvalues


def test_post_keyvalues_sends_one_protobuf_request(dvid: DvidHTTP, server: FakeDvid) -> None:
    sent = dvid.post_keyvalues({23: {"status": "Anchor"}, 77: {"type": "new"}})
    assert sent == 2
    (seen,) = server.requests("POST")
    assert (seen.route, seen.params) == ("keyvalues", {"u": "tester"})
    assert seen.headers["Content-Type"] == "application/octet-stream"
    pairs = decode_key_values(seen.body)
    assert [(k, json.loads(v)) for k, v in pairs] == [
        ("23", {"bodyid": 23, "status": "Anchor"}),
        ("77", {"bodyid": 77, "type": "new"}),
    ]
    assert dvid.get(23) == {"bodyid": 23, "type": "KCab", "status": "Anchor"}  # merged
    assert dvid.get(77, show="user") == {"bodyid": 77, "type": "new", "type_user": "tester"}


def test_post_keyvalues_options(dvid: DvidHTTP, server: FakeDvid) -> None:
    records = [{"bodyid": 23, "type": "X"}, {"bodyid": 5813, "status": "S"}]
    dvid.post_keyvalues(records, conditional=["type"], user="bob")
    assert server.requests("POST")[-1].params == {"u": "bob", "conditional": "type"}
    assert dvid.get(23)["type"] == "KCab"  # already set: protected
    dvid.post_keyvalues({5813: {"type": "APL2"}}, replace=True)
    assert server.requests("POST")[-1].params == {"u": "tester", "replace": "true"}
    assert dvid.get(5813) == {"bodyid": 5813, "type": "APL2"}
    assert dvid.post_keyvalues({}) == 0
    assert len(server.requests("POST")) == 2


@pytest.mark.parametrize(
    ("annotations", "match_text"),
    [
        ({23: {"a": 1}, 0: {"a": 1}}, "from 1"),
        ([{"bodyid": 23}, {"bodyid": 23}], "given twice"),
        ([{"type": "no id"}], "has no bodyid"),
        ([["not", "a", "dict"]], "not a JSON object"),
        ({23: {"bodyid": 24}}, "not its key"),
        ({23: {"type_user": "x"}}, "allow_metadata"),
        ({23: {"type": "\ud800"}}, "lone surrogate"),
        ({23: {"type": "x"}}, "conditional has no effect"),
        ("23", "must be a list"),
    ],
)
def test_post_keyvalues_refusals(
    dvid: DvidHTTP, server: FakeDvid, annotations: Any, match_text: str
) -> None:
    options: dict[str, Any] = {}
    if match_text == "conditional has no effect":
        options = {"replace": True, "conditional": "type"}
    with pytest.raises(ValueError, match=match_text):
        dvid.post_keyvalues(annotations, **options)
    assert server.requests() == []


def test_post_keyvalues_stops_at_the_first_refusal(dvid: DvidHTTP, server: FakeDvid) -> None:
    dvid.post_json_schema({"type": "object", "required": ["status"]})
    batch = {1: {"status": "a"}, 2: {"type": "no status"}, 3: {"status": "c"}}
    with pytest.raises(ServerError, match="the ones before it in the batch were written") as info:
        dvid.post_keyvalues(batch)
    assert info.value.status == 400
    assert "missing properties: 'status'" in info.value.message
    assert dvid.exists(1) and not dvid.exists(2) and not dvid.exists(3)


def test_the_server_requires_bodyid_and_a_user(dvid: DvidHTTP) -> None:
    answer = requests.post(f"{dvid.url}/key/23?u=x", json={"type": "t"}, timeout=2)
    assert answer.status_code == 400
    assert answer.text.startswith("neuronjson data must have 'bodyid' field (/api/node/")
    answer = requests.post(f"{dvid.url}/keyvalues", data=pb_key_values([("23", b"{}")]), timeout=2)
    assert "without a valid user" in answer.text


def test_delete_of_an_absent_key_is_fine(dvid: DvidHTTP, server: FakeDvid) -> None:
    dvid.delete(424242)  # DVID answers 200
    assert server.requests("DELETE")[-1].route == "key/424242"


def test_replace_keeps_the_bookkeeping_of_unchanged_fields(dvid: DvidHTTP) -> None:
    dvid.post(77, {"type": "A", "status": "S"}, user="first")
    before = dvid.get(77, show="all")
    dvid.post(77, {"type": "A", "notes": "n"}, user="second", replace=True)
    after = dvid.get(77, show="all")
    assert "status" not in after
    assert after["type_user"] == "first" and after["type_time"] == before["type_time"]
    assert after["notes_user"] == "second"


# ---------------------------------------------------------------------------------------
# tags, info, help


def test_tags(dvid: DvidHTTP, server: FakeDvid) -> None:
    assert dvid.tags() == {}  # DVID: {"Tags": null}
    assert requests.get(f"{dvid.url}/tags", timeout=2).json() == {"Tags": None}
    dvid.post_tags({"type": "meta", "owner": "a"})
    seen = server.requests("POST")[-1]
    assert (seen.route, seen.params, seen.json()) == (
        "tags",
        {},
        {"type": "meta", "owner": "a"},
    )
    dvid.post_tags({"owner": "b"})  # appended
    assert dvid.tags() == {"type": "meta", "owner": "b"}
    dvid.post_tags({"only": "this"}, replace=True)
    assert server.requests("POST")[-1].params == {"replace": "true"}
    assert dvid.tags() == {"only": "this"}
    dvid.post_tags({}, replace=True)  # DVID's way to delete every tag
    assert dvid.tags() == {}


def test_tag_values_are_strings(dvid: DvidHTTP, server: FakeDvid) -> None:
    with pytest.raises(TypeError, match="strings"):
        dvid.post_tags({"n": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="replace"):
        dvid.post_tags({}, replace="true")  # type: ignore[arg-type]
    assert server.requests() == []
    answer = requests.post(f"{dvid.url}/tags", json={"n": 1}, timeout=2)
    assert answer.status_code == 400 and "Malformed JSON request in tags setter" in answer.text


def test_info_and_help(dvid: DvidHTTP, server: FakeDvid) -> None:
    info = dvid.info()
    assert info["Extended"] == {}
    assert info["Base"]["TypeName"] == "neuronjson"
    assert info["Base"]["Name"] == server.instance
    # DVID answers POST info exactly like GET and never reads the body (docs/dvid.md)
    posted = requests.post(f"{dvid.url}/info", json={"Name": "renamed"}, timeout=2)
    assert posted.json() == info
    text = dvid.help()
    assert "API for 'neuronjson' datatype" in text
    assert server.requests()[-1].route == "help"


def test_unknown_endpoints_answer_like_dvid(dvid: DvidHTTP) -> None:
    answer = requests.get(f"{dvid.url}/nonsense", timeout=2)
    assert answer.status_code == 400 and answer.text.startswith("Bad API call (")


# ---------------------------------------------------------------------------------------
# schema, schema_batch, json_schema


@pytest.mark.parametrize("kind", ["json_schema", "schema", "schema_batch"])
def test_schema_kinds(dvid: DvidHTTP, server: FakeDvid, kind: Any) -> None:
    assert dvid.schema(kind) is None
    assert dvid.has_schema(kind) is False
    document = {"title": f"{kind} form", "type": "object"}
    dvid.post_schema(document, kind)
    seen = server.requests("POST")[-1]
    assert (seen.route, seen.json()) == (kind, document)
    assert dvid.schema(kind) == document
    assert dvid.has_schema(kind) is True
    assert server.requests("HEAD")[-1].route == kind
    others: list[Any] = [k for k in ("json_schema", "schema", "schema_batch") if k != kind]
    assert all(dvid.schema(k) is None for k in others)  # kept apart
    dvid.delete_schema(kind)
    assert server.requests("DELETE")[-1].route == kind
    assert dvid.schema(kind) is None and not dvid.has_schema(kind)
    dvid.delete_schema(kind)  # 200 when none is set


def test_schema_refusals(dvid: DvidHTTP, server: FakeDvid) -> None:
    with pytest.raises(ValueError, match="schema kind"):
        dvid.schema("neutu")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON schema"):
        dvid.post_schema(["a"], "json_schema")
    with pytest.raises(ValueError, match="lone surrogate"):
        dvid.post_schema({"title": "\udfff"}, "schema")
    with pytest.raises(ValueError, match="JSON"):
        dvid.post_schema({"x": float("nan")}, "schema")
    assert server.requests() == []
    dvid.post_schema(["any", "JSON"], "schema_batch")  # neutu's documents are not checked
    assert dvid.schema("schema_batch") == ["any", "JSON"]


def test_key_schema_aliases_reach_the_same_documents(dvid: DvidHTTP, server: FakeDvid) -> None:
    # DVID keeps POST/GET key/schema for old keyvalue clients: the same document
    dvid.post_schema({"title": "s"}, "schema")
    assert requests.get(f"{dvid.url}/key/schema", timeout=2).json() == {"title": "s"}


# ---------------------------------------------------------------------------------------
# fieldtimes


def test_fieldtimes_in_memory_only() -> None:
    with FakeDvid(in_memory=True) as fake:
        fake.reset([{"bodyid": 1, "type": "a", "type_time": "2024-01-01T00:00:00Z"}])
        with connect(fake) as dvid:
            assert dvid.fieldtimes() == {"type": "2024-01-01T00:00:00Z"}
            dvid.post(1, {"status": "x"})
            assert set(dvid.fieldtimes()) == {"type", "status"}
    with FakeDvid() as fake, connect(fake) as dvid, pytest.raises(ServerError) as info:
        dvid.fieldtimes()
    assert info.value.status == 400 and "no in-memory db" in info.value.message


# ---------------------------------------------------------------------------------------
# writes are never retried and say when they may have been applied


WRITES = {
    "post": lambda d: d.post(23, {"status": "x"}),
    "delete": lambda d: d.delete(23),
    "post_keyvalues": lambda d: d.post_keyvalues({23: {"status": "x"}}),
    "post_tags": lambda d: d.post_tags({"a": "b"}),
    "post_schema": lambda d: d.post_schema({"type": "object"}),
    "delete_schema": lambda d: d.delete_schema("schema"),
}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_failing_with_5xx_may_have_been_applied(
    dvid: DvidHTTP, server: FakeDvid, write: str, status: int
) -> None:
    server.faults.append(Fault.apply_then_fail(status, "proxy gave up", method=None))
    with pytest.raises(ServerError, match="may have been applied") as info:
        WRITES[write](dvid)
    assert info.value.status == status
    assert info.value.message.startswith("proxy gave up")
    assert len(server.requests()) == 1  # never sent again


def test_the_write_was_indeed_applied(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.apply_then_fail(502, "<html>bad gateway</html>"))
    with pytest.raises(ServerError, match="may have been applied"):
        dvid.post(23, {"status": "written"})
    assert dvid.get(23)["status"] == "written"


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_that_times_out_may_have_been_applied(server: FakeDvid, write: str) -> None:
    server.faults.append(Fault.sleep(1.0))
    with (
        connect(server, timeout=0.3) as dvid,
        pytest.raises(QueryTimeout, match="may have been applied"),
    ):
        WRITES[write](dvid)
    assert len(server.requests()) == 1


def test_a_4xx_write_is_not_said_to_be_applied(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(400, "refused"))
    with pytest.raises(ServerError) as info:
        dvid.post(23, {"status": "x"})
    assert "may have been applied" not in str(info.value)


def test_reads_are_retried_on_504_writes_are_not(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.extend([Fault.error(504, "gateway timeout")] * 2)
    assert dvid.keys() == ISSUE_KEYS
    assert len(server.requests("GET", "keys")) == 3


# ---------------------------------------------------------------------------------------
# the retry policy: urllib3's Retry on the session's adapter


def test_retry_after_is_respected(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(503, "busy", retry_after="1"))
    start = time.monotonic()
    assert dvid.keys() == ISSUE_KEYS
    assert time.monotonic() - start >= 0.9
    assert len(server.requests()) == 2


def test_retry_after_is_capped(
    dvid: DvidHTTP, server: FakeDvid, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DvidRetry, "retry_after_cap", 0.2)
    server.faults.append(Fault.error(503, "busy", retry_after="3600"))
    start = time.monotonic()
    assert dvid.keys() == ISSUE_KEYS
    assert time.monotonic() - start < 5


def test_backoff_is_capped(server: FakeDvid) -> None:
    server.faults.extend([Fault.error(503, "busy")] * 4)
    with connect(server, retries=4, backoff=10.0, backoff_max=0.1) as dvid:
        start = time.monotonic()
        assert dvid.keys() == ISSUE_KEYS
        assert time.monotonic() - start < 2
    assert len(server.requests()) == 5


def test_the_policy() -> None:
    retry = DvidRetry.for_reads(3, backoff=0.5)
    assert retry.is_retry("GET", 502) and retry.is_retry("HEAD", 504)
    assert not retry.is_retry("POST", 503) and not retry.is_retry("DELETE", 502)
    assert not retry.is_retry("GET", 500) and not retry.is_retry("GET", 404)
    assert retry.total == 3 and retry.backoff_max == 2.0 and retry.respect_retry_after_header


def test_a_brought_session_gets_the_policy_for_this_instance_only(server: FakeDvid) -> None:
    session = requests.Session()
    with connect(server, session=session) as dvid:
        adapter = session.get_adapter(dvid.url + "/keys")
        assert isinstance(adapter.max_retries, DvidRetry)  # type: ignore[attr-defined]
        other = session.get_adapter("http://example.org/")
        assert not isinstance(other.max_retries, DvidRetry)  # type: ignore[attr-defined]
        assert dvid.keys() == ISSUE_KEYS
    session.close()


@pytest.mark.parametrize("options", [{"backoff": -1}, {"backoff_max": float("nan")}])
def test_bad_retry_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DvidHTTP("localhost:1", "a1b2", "annotations", **options)


# ---------------------------------------------------------------------------------------
# lone surrogates: the same InvalidValue on every backend


LONE = "\ud800"


def test_go_reads_a_lone_surrogate_as_u_fffd(server: FakeDvid) -> None:
    # the bug the client guards against: DVID matches the record whose type is U+FFFD
    server.reset([*RECORDS, {"bodyid": 9, "type": "\ufffd"}])
    url = connect(server).url
    body = json.dumps({"type": LONE}).encode()  # '{"type": "\\ud800"}'
    raw = requests.get(f"{url}/query", data=body, timeout=2).json()
    assert [r["bodyid"] for r in raw] == [9]
    assert LocalNeuronJson([{"bodyid": 9, "type": "\ufffd"}]).run(neurons(N.type == "\ufffd"))[
        "bodyid"
    ].tolist() == [9]


def test_the_dsl_refuses_lone_surrogates_before_any_backend() -> None:
    with pytest.raises(InvalidValue, match="lone surrogate"):
        N.type == LONE  # noqa: B015
    with pytest.raises(InvalidValue, match="lone surrogate"):
        N.type.isin(["ok", LONE])


@pytest.mark.parametrize(
    "query",
    [
        {"type": LONE},
        {"type": ["KC", "re/^" + LONE]},
        [{"status": "Traced"}, {"type": "a" + LONE + "b"}],
        {"ty\udc00pe": "KC"},
    ],
    ids=["scalar", "in-a-list", "in-an-or", "in-a-field-name"],
)
def test_raw_neuronjson_queries_are_refused_everywhere(
    dvid: DvidHTTP, server: FakeDvid, query: Any
) -> None:
    with pytest.raises(InvalidValue, match="lone surrogate"):
        dvid.query(query)
    with pytest.raises(InvalidValue, match="lone surrogate"):
        LocalNeuronJson(RECORDS).query_records(query)
    with pytest.raises(InvalidValue, match="lone surrogate"):
        match(query, RECORDS[0])
    with pytest.raises(InvalidValue, match="lone surrogate"):
        compile_query(query)
    assert server.requests() == []


def test_lone_surrogates_in_writes_and_names_are_refused(dvid: DvidHTTP, server: FakeDvid) -> None:
    refusals: list[Callable[[], object]] = [
        lambda: dvid.post(23, {"type": LONE}),
        lambda: dvid.post(23, {"notes": {"nested": [LONE]}}),
        lambda: dvid.post(23, {LONE: 1}),
        lambda: dvid.post(23, {"type": "x"}, conditional=[LONE]),
        lambda: dvid.post_tags({"a": LONE}),
        lambda: dvid.all(fields=[LONE]),
        lambda: dvid.keyrange("a" + LONE, "b"),
        lambda: dvid.get(23, fields=["x" + LONE]),
    ]
    for refuse in refusals:
        with pytest.raises(InvalidValue, match="lone surrogate"):
            refuse()
    assert server.requests() == []


def test_pairs_are_not_lone(dvid: DvidHTTP, server: FakeDvid) -> None:
    emoji = "\U0001f600"
    dvid.post(23, {"notes": emoji})
    assert dvid.get(23)["notes"] == emoji
    assert [r["bodyid"] for r in dvid.query({"notes": emoji})] == [23]
    plan = to_neuronjson(N["notes"] == emoji)
    assert plan.query == {"notes": emoji}


def test_neuprint_cypher_text_refuses_them_with_the_same_error() -> None:
    from neuprint_dsl.transports.neuprint_http import check_cypher_text

    with pytest.raises(InvalidValue, match="lone surrogate"):
        check_cypher_text(f"MATCH (n) WHERE n.type = '{LONE}' RETURN n")


def test_embedded_parameters_refuse_them_with_the_same_error() -> None:
    from neuprint_dsl.transports.ladybug import _param

    with pytest.raises(InvalidValue, match="lone surrogate"):
        _param("p", ["ok", LONE])


def test_local_annotation_files_with_lone_surrogates_are_refused(tmp_path: Any) -> None:
    path = tmp_path / "all.json"
    path.write_text(json.dumps([{"bodyid": 1, "type": LONE}]))  # written as "\ud800"
    with pytest.raises(InvalidValue, match=r"annotation file.*lone surrogate"):
        LocalNeuronJson(path)
    path.write_text(json.dumps([{"bodyid": 1, "type": "\U0001f600"}]))  # a pair is fine
    assert LocalNeuronJson(path).records == [{"bodyid": 1, "type": "\U0001f600"}]


# ---------------------------------------------------------------------------------------
# properties


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeDvid]:
    with FakeDvid() as fake:
        yield fake


KEYS = st.one_of(st.integers(1, 10**6), st.sampled_from([1, 9, 10, 99, 100, 2**63, 2**64 - 1]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(keys=[2**63], bounds=(26534, 2**64 - 1), in_memory=True)  # found: int64 overflow
@given(
    keys=st.lists(KEYS, min_size=1, max_size=12, unique=True),
    bounds=st.tuples(KEYS | st.just(0), KEYS),
    in_memory=st.booleans(),
)
def test_property_numeric_keyrange_is_the_numeric_range(
    shared_server: FakeDvid, keys: list[int], bounds: tuple[int, int], in_memory: bool
) -> None:
    low, high = sorted(bounds)
    shared_server.reset({"bodyid": k, "n": k % 7} for k in keys)
    shared_server.in_memory = in_memory
    expected = sorted(k for k in keys if low <= k <= high)
    with connect(shared_server) as dvid:
        assert dvid.numeric_keyrange(low, high) == expected
        assert ids(dvid.numeric_keyrangevalues(low, high)) == expected
        exact = dvid.keyrange(low, high)
    if in_memory:
        assert exact == expected
    else:  # DVID's store: string range, then numeric filter
        assert exact == sorted(k for k in expected if str(low) <= str(k) <= str(high))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.binary(max_size=300)),
        max_size=6,
    )
)
def test_property_wire_formats_round_trip_both_ways(pairs: list[tuple[str, bytes]]) -> None:
    from neuprint_dsl.dvid.formats import encode_key_values, encode_keys, read_tar

    from .dvid_server import pb_decode_key_values, pb_decode_keys

    pairs = [(k, v) for k, v in pairs if k < "\ud800" or k > "\udfff"]
    pairs = [(k.encode("utf-8", "replace").decode(), v) for k, v in pairs]
    # the client's encoder read by the server's decoder, and the other way round
    assert pb_decode_key_values(encode_key_values(pairs)) == pairs
    assert decode_key_values(pb_key_values(pairs)) == pairs
    keys = [k for k, _ in pairs]
    assert pb_decode_keys(encode_keys(keys)) == keys
    named = [(str(i), v) for i, (_, v) in enumerate(pairs)]
    assert read_tar(go_tar(named)) == named


def test_body_ids_of_2_63_and_more_give_a_uint64_column(dvid: DvidHTTP) -> None:
    big = 2**64 - 1  # a valid DVID key that int64 cannot hold
    dvid.post(big, {"type": "KCab"})
    frame = dvid.run(neurons(N.type == "KCab"))
    assert frame["bodyid"].dtype == "uint64"
    assert [int(b) for b in frame["bodyid"]] == [23, big]
    assert dvid.keyvalues([big, 23])["bodyid"].dtype == "uint64"
    assert dvid.run(neurons(N.type == "APL"))["bodyid"].dtype == "int64"


# ---------------------------------------------------------------------------------------
# the bar: every endpoint and option of the reference is offered or listed with a reason


#: every query-string option the reference names, and the DVID endpoints it names
REFERENCE_OPTIONS = [
    "show", "fields", "json", "jsontar", "tar", "protobuf", "check", "onlyid", "replace",
    "conditional",
]  # fmt: skip


def test_docs_cover_every_endpoint_and_option_of_the_reference() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    reference = root.parent / "shared" / "reference" / "dvid-neuronjson-api.txt"
    if not reference.is_file():
        pytest.skip("../shared/reference is not here")
    text = reference.read_text()
    docs = (root / "docs" / "dvid.md").read_text()
    # the reference's route lines read "GET /node///keyrange//" (its <...> were stripped)
    routes = set(re.findall(r"\b(GET|POST|DEL|HEAD) /node///([a-z_]+)\b", text))
    named = {name for _, name in routes}
    assert {"help", "info", "tags", "all", "keys", "fields", "keyrange"} <= named
    assert {"keyrangevalues", "key", "keyvalues", "query"} <= named
    for method, name in sorted(routes):
        verb = "DELETE" if method == "DEL" else method
        offered = re.search(rf"`{verb} (\w+/)?{name}\b", docs) or re.search(
            rf"\| `{verb} {name}` \|", docs
        )
        assert offered or f"`{verb} {name}`" in docs, (verb, name)
    for kind in ("json_schema", "schema", "schema_batch"):
        assert f"`GET {kind}`" in docs or kind in docs
    for method in ("GET", "POST", "DELETE", "HEAD"):
        assert f"`{method} <kind>`" in docs or f"`{method} json_schema`" in docs
    for option in REFERENCE_OPTIONS:
        assert re.search(rf"\b{option}[=`]", docs), option
    for command in ("new neuronjson", "put", "import-kv", "version-changes", "Versioned"):
        assert command in docs, command
