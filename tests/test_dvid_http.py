"""DvidHTTP against a real local HTTP server that answers like DVID (tests/dvid_server.py).

The server matches ``/query`` with the project's own DVID evaluator, scans keys in the
key-value store's string order, repeats ids on the body-id fast path, and takes injected faults
(5xx, 400 text/plain, timeouts, truncated or cut answers, dropped connections).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import requests
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuprint_dsl import FALSE, N, QueryTimeout, ServerError, TransportError, neurons
from neuprint_dsl.dvid import client as dvid_client
from neuprint_dsl.expr import Predicate, PredicateLike
from neuprint_dsl.transports import LocalNeuronJson
from neuprint_dsl.transports.dvid_http import DvidHTTP

from .dvid_server import FakeDvid, Fault
from .strategies import NEURON_SCHEMA, predicates, records

RECORDS: list[dict[str, Any]] = [
    {"bodyid": 7, "type": "KCab", "status": "Traced", "pre": 10, "tags": ["a", "b"]},
    {
        "bodyid": 42,
        "type": "MBON01",
        "status": "Traced",
        "pre": 3,
        "type_user": "alice",
        "type_time": "2024-01-02T03:04:05-05:00",
    },
    {"bodyid": 200, "type": "MBON02", "status": "Orphan", "pre": 8, "instance": "MBON02_R"},
    {"bodyid": 1000, "type": None, "status": "Traced", "pre": 6},
    {"bodyid": 5813, "type": "APL", "status": "Roughly traced", "somaRadius": 2.5},
    {"bodyid": 10000, "type": "KCg", "status": "Traced", "pre": 0, "cropped": True},
    {"bodyid": 30000, "status": "", "cropped": False},
    {"bodyid": 2**40 + 1, "type": "KCab", "pre": 12, "tags": ["b"]},
]
IDS = sorted(r["bodyid"] for r in RECORDS)


@pytest.fixture
def server() -> Iterator[FakeDvid]:
    with FakeDvid() as fake:
        fake.reset(RECORDS)
        yield fake


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeDvid]:
    with FakeDvid() as fake:
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
# run(neurons(...)) gives what the local transport gives


TYPICAL: list[PredicateLike] = [
    N.type == "KCab",
    N.type.matches("MBON.*"),
    N.type.isin(["APL", "KCg", "nope"]),
    (N.status == "Traced") & N.type.startswith("KC"),
    N.type.is_null(),
    N.type.not_null() & (N.status != "Traced"),
    N.pre > 5,
    N.bodyId.isin([10000, 7, 7, 42, 999]),
    (N.bodyId == 5813) | (N.type == "MBON01"),
    N.cropped,
    N.tags.contains_any(["b"]),
    N.somaRadius == 2.5,
]


@pytest.mark.parametrize("predicate", TYPICAL, ids=str)
def test_run_matches_the_local_transport(dvid: DvidHTTP, predicate: PredicateLike) -> None:
    expected = LocalNeuronJson(RECORDS).run(neurons(predicate))
    got = dvid.run(neurons(predicate))
    pd.testing.assert_frame_equal(got, expected)
    assert got["bodyid"].dtype == "int64"
    assert ids(got) == sorted(set(ids(got)))


def test_run_takes_text_columns_order_and_limit(dvid: DvidHTTP) -> None:
    query = 'neurons where status = "Traced" return bodyId, type, pre order by pre desc limit 2'
    expected = LocalNeuronJson(RECORDS).run(query)
    got = dvid.run(query)
    pd.testing.assert_frame_equal(got, expected)
    assert ids(got) == [7, 1000]


def test_run_show_keeps_user_fields(dvid: DvidHTTP) -> None:
    got = dvid.run(neurons(N.type == "MBON01"), show="user")
    assert got.loc[0, "type_user"] == "alice"
    assert "type_time" not in got.columns
    assert "type_user" not in dvid.run(neurons(N.type == "MBON01")).columns


def test_the_request_is_a_get_with_the_compiled_json(dvid: DvidHTTP, server: FakeDvid) -> None:
    dvid.run(neurons(N.type.matches("MBON.*") & (N.status == "Traced")))
    (seen,) = server.requests()
    assert (seen.method, seen.route, seen.params) == ("GET", "query", {})
    assert seen.json() == {"type": ["re/^(?:MBON.*)$"], "status": "Traced"}
    assert seen.headers["Content-Type"] == "application/json"


def test_fast_path_duplicates_are_removed_and_sorted(dvid: DvidHTTP, server: FakeDvid) -> None:
    raw = requests.get(
        f"{dvid.url}/query", json={"bodyid": [10000, 7, 7, 42, 999]}, timeout=2
    ).json()
    assert [r["bodyid"] for r in raw] == [10000, 7, 7, 42]  # the server's own order
    got = dvid.query({"bodyid": [10000, 7, 7, 42, 999]})
    assert [r["bodyid"] for r in got] == [7, 42, 10000]
    # the fast path ignores onlyid and answers whole records: the client still gives ids
    assert dvid.query({"bodyid": [10000, 7, 7]}, onlyid=True) == [7, 10000]
    assert server.requests("GET", "query")[-1].params == {"onlyid": "true"}


def test_scan_answers_in_string_order_and_the_client_sorts(
    dvid: DvidHTTP, server: FakeDvid
) -> None:
    raw = requests.get(f"{dvid.url}/query?onlyid=true", json={"status": "Traced"}, timeout=2)
    assert raw.json() == [1000, 10000, 42, 7]
    assert dvid.query({"status": "Traced"}, onlyid=True) == [7, 42, 1000, 10000]
    got = dvid.query([{"status": "Traced"}, {"type": "KCab"}])
    assert [r["bodyid"] for r in got] == [7, 42, 1000, 10000, 2**40 + 1]


def test_query_fields_are_kept_even_where_dvid_ignores_them(dvid: DvidHTTP) -> None:
    # the store's scan ignores ``fields``; the client applies DVID's selection itself
    got = dvid.query({"status": "Traced"}, fields=["type"], show="all")
    assert got[1] == {
        "bodyid": 42,
        "type": "MBON01",
        "type_user": "alice",
        "type_time": "2024-01-02T03:04:05-05:00",
    }
    assert got[0] == {"bodyid": 7, "type": "KCab"}


def test_residual_predicates_fetch_all(dvid: DvidHTTP, server: FakeDvid) -> None:
    assert ids(dvid.run(neurons(N.pre > 5))) == [7, 200, 1000, 2**40 + 1]
    assert [(s.method, s.route) for s in server.requests()] == [("GET", "all")]


def test_unsatisfiable_predicates_send_nothing(dvid: DvidHTTP, server: FakeDvid) -> None:
    assert dvid.run(neurons(FALSE)).empty
    assert server.requests() == []


def test_connections_are_refused(dvid: DvidHTTP) -> None:
    from neuprint_dsl import CapabilityError, connections

    with pytest.raises(CapabilityError, match="annotations only"):
        dvid.run(connections(N.type == "KCab", N.type == "APL"))


#: small ids the predicates also use (so the body-id fast path finds them), and large ones
BODY_IDS = st.one_of(st.sampled_from([1, 2, 5, 10, 100, 2**31, 2**63 - 1]), st.integers(1, 10**12))


def _dvid_records(drawn: list[dict[str, Any]], body_ids: list[int]) -> list[dict[str, Any]]:
    out = []
    for record, body in zip(drawn, body_ids, strict=False):
        record = {k: v for k, v in record.items() if k != "bodyId"}
        out.append({"bodyid": body, **record})
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    predicate=predicates(NEURON_SCHEMA, max_leaves=6),
    drawn=st.lists(records(NEURON_SCHEMA), max_size=6),
    body_ids=st.lists(BODY_IDS, min_size=6, max_size=6, unique=True),
)
def test_property_run_matches_the_local_transport(
    shared_server: FakeDvid,
    predicate: Predicate,
    drawn: list[dict[str, Any]],
    body_ids: list[int],
) -> None:
    data = _dvid_records(drawn, body_ids)
    shared_server.reset(data)
    with connect(shared_server) as dvid:
        got = dvid.run(neurons(predicate))
    pd.testing.assert_frame_equal(got, LocalNeuronJson(data).run(neurons(predicate)))


# ---------------------------------------------------------------------------------------
# construction


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("localhost:8000", "http://localhost:8000"),
        ("http://emdata:8900/", "http://emdata:8900"),
        ("HTTPS://dvid.example.org", "https://dvid.example.org"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_server_addresses(server: str, expected: str) -> None:
    assert DvidHTTP(server, "a1b2", "annotations").server == expected


@pytest.mark.parametrize(
    "server",
    [
        "",
        "   ",
        "ftp://host",
        "http://",
        "http://host:port",
        "http://host/api",
        "http://u:p@host",
        "http://ho st",
        "file:///etc/passwd",
        "http://host?x=1",
    ],
)
def test_bad_server_addresses(server: str) -> None:
    with pytest.raises(ValueError, match="DVID server"):
        DvidHTTP(server, "a1b2", "annotations")


@pytest.mark.parametrize(
    "uuid",
    [
        "a1b2",
        "A1B2",
        "a1b2:master",
        "a1b2:",
        ":master",
        "a1b2:dev~3",
        ":dev~0",
        "0123456789abcdef0123456789abcdef",
    ],
)
def test_uuid_forms(uuid: str) -> None:
    transport = DvidHTTP("localhost:1", uuid, "annotations")
    assert transport.url == f"http://localhost:1/api/node/{uuid}/annotations"


@pytest.mark.parametrize(
    ("uuid", "reason"),
    [
        ("a1b2:master:x", "more than one ':'"),
        ("::", "more than one ':'"),
        ("", "empty"),
        (":", "names no version"),
        ("xyz", "not a hexadecimal"),
        ("a1b2~2", "not a hexadecimal"),
        ("a1b2:~2", "must follow a branch"),
        ("a1b2:dev~x", "not '~' followed by a number"),
        ("a1b2:my branch", "whitespace"),
        ("a1b2:dev/x", "whitespace, '/'"),
        ("0123456789abcdef0123456789abcdef0", "at most 32"),
    ],
)
def test_bad_uuids(uuid: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid DVID UUID") as info:
        DvidHTTP("localhost:1", uuid, "annotations")
    assert reason in str(info.value)


@pytest.mark.parametrize("instance", ["", "a/b", " x", "x\n"])
def test_bad_instances(instance: str) -> None:
    with pytest.raises(ValueError, match="instance"):
        DvidHTTP("localhost:1", "a1b2", instance)


def test_branch_names_are_quoted() -> None:
    assert DvidHTTP("h", "a1:dev%1", "ann ot").url == "http://h/api/node/a1:dev%251/ann%20ot"


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": None},
        {"timeout": 0},
        {"timeout": -1.0},
        {"timeout": float("inf")},
        {"timeout": True},
        {"timeout": (1.0,)},
        {"timeout": (1.0, None)},
        {"retries": -1},
        {"retries": 1.5},
        {"token": "two words"},
        {"token": ""},
        {"user": ""},
    ],
)
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DvidHTTP("localhost:1", "a1b2", "annotations", **options)


def test_timeout_none_says_a_timeout_must_be_set() -> None:
    with pytest.raises(ValueError, match="a timeout must be set"):
        DvidHTTP("localhost:1", "a1b2", "annotations", timeout=None)  # type: ignore[arg-type]


def test_repr_hides_the_token() -> None:
    transport = DvidHTTP("localhost:1", "a1b2", "annotations", token="s3cret")
    assert "s3cret" not in repr(transport)


# ---------------------------------------------------------------------------------------
# endpoints


def test_all(dvid: DvidHTTP) -> None:
    frame = dvid.all()
    assert ids(frame) == IDS
    assert frame.columns[0] == "bodyid"
    assert "type_user" not in frame.columns
    assert "type_user" in dvid.all(show="user").columns


def test_all_with_fields(dvid: DvidHTTP, server: FakeDvid) -> None:
    frame = dvid.all(fields=["somaRadius", "instance"])
    assert frame.columns.tolist() == ["bodyid", "somaRadius", "instance"]
    assert ids(frame) == [200, 5813]  # DVID leaves out bodies with none of the fields
    assert server.requests()[-1].params == {"fields": "somaRadius,instance"}
    empty = dvid.all(fields=["nothing"])
    assert empty.empty and empty.columns.tolist() == ["bodyid", "nothing"]
    assert empty["bodyid"].dtype == "int64"


def test_keys_are_ints_in_numeric_order(dvid: DvidHTTP) -> None:
    raw = requests.get(f"{dvid.url}/keys", timeout=2).json()
    assert raw[:4] == ["1000", "10000", "1099511627777", "200"]
    assert dvid.keys() == IDS


def test_fields(dvid: DvidHTTP, server: FakeDvid) -> None:
    assert dvid.fields() == sorted(
        {
            "bodyid",
            "type",
            "status",
            "pre",
            "tags",
            "type_user",
            "type_time",
            "instance",
            "somaRadius",
            "cropped",
        }
    )
    counts = dvid.fields(counts=True)
    assert counts["bodyid"] == len(RECORDS) and counts["somaRadius"] == 1
    assert server.requests()[-1].params == {"counts": "true"}
    dvid.delete(5813)  # somaRadius is used no more: DVID reports "" / a count of 0
    assert "" in requests.get(f"{dvid.url}/fields", timeout=2).json()
    assert "somaRadius" not in dvid.fields()
    assert "somaRadius" not in dvid.fields(counts=True)


def test_numeric_keyrange_across_digit_counts(dvid: DvidHTTP, server: FakeDvid) -> None:
    # DVID's store compares key strings: 5..20000 in one request finds nothing
    assert requests.get(f"{dvid.url}/keyrange/5/20000", timeout=2).json() == []
    assert dvid.keyrange(5, 20000) == []  # DVID-exact
    assert dvid.numeric_keyrange(5, 20000) == [7, 42, 200, 1000, 5813, 10000]
    routes = [s.route for s in server.requests("GET")][2:]
    assert routes == [
        "keyrange/5/9",
        "keyrange/10/99",
        "keyrange/100/999",
        "keyrange/1000/9999",
        "keyrange/10000/20000",
    ]
    assert dvid.numeric_keyrange(42, 42) == [42]
    assert dvid.numeric_keyrange(0, 2**64 - 1) == IDS
    with pytest.raises(ValueError, match="empty key range"):
        dvid.numeric_keyrange(10, 9)


def test_numeric_keyrangevalues(dvid: DvidHTTP, server: FakeDvid) -> None:
    frame = dvid.numeric_keyrangevalues(40, 6000, fields=["type"])
    assert ids(frame) == [42, 200, 1000, 5813]
    assert frame.columns.tolist() == ["bodyid", "type"]
    assert frame["type"].tolist() == ["MBON01", "MBON02", None, "APL"]
    assert all(s.params["json"] == "true" for s in server.requests(route=None)[-3:])


def test_keyvalues(dvid: DvidHTTP, server: FakeDvid) -> None:
    frame = dvid.keyvalues([10000, 7, 999, 7])
    assert ids(frame) == [7, 10000]
    seen = server.requests()[-1]
    assert (seen.method, seen.route, seen.params) == ("GET", "keyvalues", {"json": "true"})
    assert seen.json() == [7, 999, 10000]
    assert dvid.keyvalues([]).empty
    assert len(server.requests()) == 1
    assert str(dvid.keyvalues([42], show="time").loc[0, "type_time"]).startswith("2024")


def test_get_and_exists(dvid: DvidHTTP, server: FakeDvid) -> None:
    assert dvid.get(42) == {"bodyid": 42, "type": "MBON01", "status": "Traced", "pre": 3}
    assert dvid.get(42, fields=["type"], show="user") == {
        "bodyid": 42,
        "type": "MBON01",
        "type_user": "alice",
    }
    assert dvid.exists(42) is True
    assert dvid.exists(999) is False
    assert server.requests()[-1].method == "HEAD"
    with pytest.raises(ServerError) as info:
        dvid.get(999)
    assert info.value.status == 404
    assert info.value.message == 'Key "999" not found'
    assert "GET /api/node/" in str(info.value.query) and "/key/999" in str(info.value.query)


def test_post_merges_and_records_user_and_time(dvid: DvidHTTP, server: FakeDvid) -> None:
    dvid.post(42, {"status": "Anchor", "pre": 3, "notes": "checked"})
    seen = server.requests("POST")[-1]
    assert (seen.route, seen.params) == ("key/42", {"u": "tester"})
    # DVID requires the bodyid field in the body: the client adds it
    assert seen.json() == {"bodyid": 42, "status": "Anchor", "pre": 3, "notes": "checked"}
    stored = dvid.get(42, show="all")
    assert stored["status"] == "Anchor" and stored["type"] == "MBON01"
    assert stored["status_user"] == "tester" and stored["notes_user"] == "tester"
    assert "pre_user" not in stored  # unchanged value: no bookkeeping
    dvid.post(42, {"notes": None}, user="other")
    stored = dvid.get(42, show="user")
    assert "notes" not in stored and stored["notes_user"] == "other"


def test_post_replace_and_conditional(dvid: DvidHTTP, server: FakeDvid) -> None:
    # updateJSON applies conditional only when merging: with replace DVID ignores it and
    # overwrites the "protected" field, so the client refuses the combination
    with pytest.raises(ValueError, match="conditional has no effect with replace=True"):
        dvid.post(42, {"type": "X"}, replace=True, conditional=["type", "status"])
    assert server.requests() == []
    raw = requests.post(
        f"{dvid.url}/key/42?u=t&replace=true&conditional=type,status",
        json={"bodyid": 42, "type": "X"},
        timeout=2,
    )
    assert raw.status_code == 200
    assert dvid.get(42) == {"bodyid": 42, "type": "X"}
    dvid.post(42, {"bodyid": 42, "type": "X"}, replace=True)
    assert server.requests("POST")[-1].params == {"u": "tester", "replace": "true"}
    dvid.post(42, {"type": "Y", "status": "S"}, conditional=["type"])
    assert dvid.get(42) == {"bodyid": 42, "type": "X", "status": "S"}  # type was set: kept
    dvid.post(7, {"status": "Orphan"}, conditional="status")
    assert dvid.get(7)["status"] == "Traced"
    dvid.post(7, {"status": "Orphan"})
    assert dvid.get(7)["status"] == "Orphan"


def test_post_with_allowed_metadata_and_new_keys(dvid: DvidHTTP) -> None:
    dvid.post(123456789012, {"type": "new", "type_user": "importer"}, allow_metadata=True)
    assert dvid.get(123456789012, show="user") == {
        "bodyid": 123456789012,
        "type": "new",
        "type_user": "importer",
    }


def test_delete(dvid: DvidHTTP, server: FakeDvid) -> None:
    dvid.delete(42)
    assert not dvid.exists(42)
    assert server.requests("DELETE")[0].route == "key/42"


def test_json_schema(dvid: DvidHTTP, server: FakeDvid) -> None:
    assert dvid.json_schema() is None
    schema = {"type": "object", "required": ["status"]}
    dvid.post_json_schema(schema)
    assert dvid.json_schema() == schema
    with pytest.raises(ServerError, match="missing properties: 'status'") as info:
        dvid.post(999, {"type": "no status"})
    assert info.value.status == 400
    dvid.delete_json_schema()
    assert dvid.json_schema() is None
    with pytest.raises(TypeError):
        dvid.post_json_schema(["not", "an", "object"])  # type: ignore[arg-type]


def test_json_schema_404_with_a_message_is_an_error(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(404, "instance not found"))
    with pytest.raises(ServerError, match="instance not found"):
        dvid.json_schema()


def test_tags_and_info(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.tag_map = {"type": "meta"}
    assert dvid.tags() == {"type": "meta"}
    assert dvid.info()["Base"]["TypeName"] == "neuronjson"


# ---------------------------------------------------------------------------------------
# writes are checked before anything is sent


@pytest.mark.parametrize(
    ("key", "value", "options", "error", "match"),
    [
        (0, {"a": 1}, {}, ValueError, "from 1"),
        (-5, {"a": 1}, {}, ValueError, "from 1"),
        (2**64, {"a": 1}, {}, ValueError, "2\\*\\*64-1"),
        (True, {"a": 1}, {}, TypeError, "integer"),
        ("42", {"a": 1}, {}, TypeError, "integer"),
        (42, [("a", 1)], {}, TypeError, "JSON object"),
        (42, '{"a": 1}', {}, TypeError, "JSON object"),
        (42, {"bodyid": 43}, {}, ValueError, "not its key"),
        (42, {"bodyid": "42"}, {}, ValueError, "not its key"),
        (42, {"bodyid": True}, {}, ValueError, "not its key"),
        (42, {"type_user": "mallory"}, {}, ValueError, "allow_metadata"),
        (42, {"type_time": "2020"}, {}, ValueError, "allow_metadata"),
        (42, {"bodyid_user": "x"}, {"allow_metadata": True}, ValueError, "rejects"),
        (42, {"bodyid_time": "x"}, {"allow_metadata": True}, ValueError, "rejects"),
        (42, {"a": float("nan")}, {}, ValueError, "JSON"),
        (42, {"a": object()}, {}, ValueError, "JSON"),
        (42, {1: "a"}, {}, TypeError, "field names"),
        (42, {"a": 1}, {"conditional": ["a,b"]}, ValueError, "without ','"),
        (42, {"a": 1}, {"replace": "yes"}, TypeError, "replace"),
        (42, {"a": 1}, {"user": ""}, ValueError, "user name"),
    ],
)
def test_post_refusals(
    dvid: DvidHTTP,
    server: FakeDvid,
    key: Any,
    value: Any,
    options: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        dvid.post(key, value, **options)
    assert server.requests() == []


def test_post_needs_a_user(server: FakeDvid) -> None:
    with connect(server, user=None) as dvid, pytest.raises(ValueError, match="user="):
        dvid.post(42, {"a": 1})
    assert server.requests() == []


def test_server_side_refusal_of_a_user_less_post(server: FakeDvid) -> None:
    raw = requests.post(f"{connect(server).url}/key/42", json={"a": 1}, timeout=2)
    assert raw.status_code == 400
    assert raw.text.startswith("cannot alter neuronjson data without a valid user (/api/node/")


@pytest.mark.parametrize(
    ("query", "error", "match"),
    [
        ({}, ValueError, "empty query object"),
        ([{}], ValueError, "empty query object"),
        ([{"type": "KC"}, {}], ValueError, "empty query object"),
        ([], ValueError, "no query provided"),
        ({"pre": 1.5}, ValueError, "never matches a scalar float"),
        ({"cropped": True}, ValueError, "never matches a bool"),
        ({"type": None}, ValueError, "never matches a null"),
        ({"type": {"a": 1}}, ValueError, "never matches a dict"),
        ({"bodyid": [1, "x"]}, ValueError, "mixes numbers"),
        ({"type": ["x", 1]}, ValueError, "mixes numbers"),
        ({"pre": [1, None]}, ValueError, "mixes numbers"),
        ({"pre": [True]}, ValueError, "never matches the list"),
        ({"pre": [[1]]}, ValueError, "never matches the list"),
        ("type", TypeError, "JSON object"),
        ([{"type": "KC"}, "x"], TypeError, "JSON object"),
        ({"": 1}, TypeError, "non-empty"),
    ],
)
def test_bad_queries_are_refused_before_sending(
    dvid: DvidHTTP, server: FakeDvid, query: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        dvid.query(query)
    assert server.requests() == []


def test_bad_options_are_refused_before_sending(dvid: DvidHTTP, server: FakeDvid) -> None:
    with pytest.raises(ValueError, match="show"):
        dvid.all(show="everything")
    with pytest.raises(ValueError, match="fields"):
        dvid.all(fields=[])
    with pytest.raises(TypeError, match="list"):
        dvid.all(fields="type")
    with pytest.raises(TypeError, match="list"):
        dvid.keyvalues(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="show"):
        dvid.run(neurons(N.type == "a"), show="nope")
    assert server.requests() == []


# ---------------------------------------------------------------------------------------
# faults


def test_get_is_retried_after_503(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.extend([Fault.error(503, "busy"), Fault.error(502, "bad gateway")])
    assert dvid.keys() == IDS
    assert len(server.requests("GET", "keys")) == 3


def test_get_gives_up_after_the_retries(server: FakeDvid) -> None:
    server.faults.extend([Fault.error(503, "busy")] * 3)
    with connect(server, retries=2) as dvid, pytest.raises(ServerError) as info:
        dvid.keys()
    assert info.value.status == 503 and info.value.message == "busy"
    assert len(server.requests()) == 3


def test_post_is_never_retried(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(503, "busy", method="POST"))
    with pytest.raises(ServerError) as info:
        dvid.post(42, {"status": "x"})
    assert info.value.status == 503
    assert "POST /api/node/" in str(info.value.query) and "u=tester" in str(info.value.query)
    assert len(server.requests("POST")) == 1
    assert dvid.get(42)["status"] == "Traced"  # the fault answered instead of the server


def test_a_dropped_post_is_not_sent_again(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.drop(method="POST"))
    with pytest.raises(TransportError, match="may have been applied") as info:
        dvid.post(42, {"status": "x"})
    assert "QueryTimeout" not in type(info.value).__name__
    assert len(server.requests("POST")) == 1


def test_delete_is_never_retried(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(504, "gateway timeout"))
    with pytest.raises(ServerError):
        dvid.delete(42)
    assert len(server.requests("DELETE")) == 1
    assert dvid.exists(42)


def test_4xx_is_not_retried_and_carries_message_and_query(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(400, "unable to parse JSON query: oops (query)."))
    with pytest.raises(ServerError) as info:
        dvid.query({"type": "KCab"}, show="user")
    err = info.value
    assert err.status == 400
    assert err.message == "unable to parse JSON query: oops (query)."
    assert err.query is not None
    assert err.query.startswith("GET /api/node/a1b2c3:master/annotations/query?show=user ")
    assert err.query.endswith('{"type": "KCab"}')
    assert len(server.requests()) == 1


def test_json_error_bodies(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.error(403, '{"message": "no access"}', "application/json"))
    with pytest.raises(ServerError, match="no access") as info:
        dvid.info()
    assert info.value.message == "no access"


def test_timeout_raises_query_timeout_quickly(server: FakeDvid) -> None:
    server.faults.append(Fault.sleep(1.0))
    with connect(server, timeout=0.3) as dvid:
        start = time.monotonic()
        with pytest.raises(QueryTimeout) as info:
            dvid.keys()
        assert time.monotonic() - start < 0.9
    assert "0.3" in str(info.value) and server.url in str(info.value)
    assert len(server.requests()) == 1  # a slow server is not asked again


def test_truncated_200_is_an_error_not_a_partial_result(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.truncate())
    with pytest.raises(TransportError, match=r"invalid JSON.*truncated"):
        dvid.run(neurons(N.status == "Traced"))


def test_cut_answer_is_retried(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.cut())
    assert ids(dvid.all()) == IDS
    assert len(server.requests("GET", "all")) == 2


def test_dropped_connections_fail_after_the_retries(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.extend([Fault.drop()] * 3)
    with pytest.raises(TransportError, match="after 3 attempts"):
        dvid.keys()
    assert len(server.requests()) == 3


def test_dropped_connection_then_success(dvid: DvidHTTP, server: FakeDvid) -> None:
    server.faults.append(Fault.drop())
    assert dvid.exists(7)
    assert len(server.requests("HEAD")) == 2


def test_unreachable_server() -> None:
    with FakeDvid() as fake:
        url = fake.url
    dvid = DvidHTTP(url, "a1b2", "annotations", timeout=1.0, retries=1)
    with pytest.raises(TransportError, match="failed after 2 attempts"):
        dvid.keys()


def test_dvid_panic_answer_is_an_error(
    dvid: DvidHTTP, server: FakeDvid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a mixed list makes DVID panic after "[" went out with a 200 (reference A3)
    monkeypatch.setattr(dvid_client, "check_query", lambda query: query)
    with pytest.raises(TransportError, match="invalid JSON"):
        dvid.query({"type": [1, "x"]})


def test_token_is_sent_as_bearer(server: FakeDvid) -> None:
    server.token = "s3cret"
    with connect(server, token="s3cret") as dvid:
        assert dvid.keys() == IDS
    assert server.requests()[-1].headers["Authorization"] == "Bearer s3cret"
    with connect(server) as anonymous, pytest.raises(ServerError) as info:
        anonymous.keys()
    assert info.value.status == 401 and info.value.message == "authentication required"
    assert "Authorization" not in server.requests()[-1].headers


def _connect_times_out(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Make the first ``times`` connections time out inside urllib3 (nothing is sent), as
    a firewalled host does; returns a counter of connection attempts."""
    calls = [0]
    original = urllib3.connection.HTTPConnection.connect

    def connect(self: urllib3.connection.HTTPConnection) -> None:
        calls[0] += 1
        if calls[0] <= times:
            raise urllib3.exceptions.ConnectTimeoutError(self, "connect timed out (test)")
        original(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", connect)
    return calls


def test_reads_retry_a_connect_timeout(server: FakeDvid, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _connect_times_out(monkeypatch, 1)
    with connect(server) as dvid:
        assert dvid.keys() == IDS
    assert calls[0] == 2


def test_a_write_is_not_retried_after_a_connect_timeout(
    server: FakeDvid, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _connect_times_out(monkeypatch, 1)
    with connect(server) as dvid, pytest.raises(QueryTimeout, match="write was not applied"):
        dvid.post(IDS[0], {"status": "x"})
    assert calls[0] == 1
    assert server.requests() == []
