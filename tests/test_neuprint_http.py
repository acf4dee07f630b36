"""The neuPrintHTTP transport against a real local HTTP server that answers like neuPrintHTTP
(tests/neuprint_server.py): success, Arrow, every documented error shape, retries, timeouts,
dropped connections and truncated answers. Every failure must raise."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import N, neurons, to_cypher
from neuprint_dsl.cypher import GraphSchema
from neuprint_dsl.errors import (
    InvalidArgument,
    InvalidValue,
    QueryTimeout,
    ServerError,
    TransportError,
)
from neuprint_dsl.neuprinthttp.decode import decode_answer as _decode_answer
from neuprint_dsl.neuprinthttp.decode import decode_json as _decode_json
from neuprint_dsl.neuprinthttp.decode import int_rows as _int_rows
from neuprint_dsl.neuprinthttp.decode import json_loads as _json_loads
from neuprint_dsl.transports.neuprint_http import (
    NeuprintHTTP,
    NeuprintRetry,
    ServerTimeout,
)
from tests.neuprint_server import (
    TIMEOUT_MESSAGE,
    Delay,
    Drop,
    FakeNeuprint,
    Reset,
    ShortBody,
    SlowBody,
    Status,
    Truncated,
    neo4j_timeout,
    neuprint_server,  # noqa: F401  (the fixture)
    syntax_error,
)

DATASET = "hemibrain:v1.2.1"
COLUMNS = ["bodyId", "type", "pre", "somaRadius"]
ROWS: list[list[Any]] = [
    [101, "APL", 5000, 301.5],
    [202, "MBON01", None, None],
    [303, None, 12, 2.25],
]
SCHEMA = GraphSchema(
    node_properties={"bodyId": "int", "type": "str", "pre": "int", "somaRadius": "float"}
)


@pytest.fixture
def server(neuprint_server: FakeNeuprint) -> FakeNeuprint:  # noqa: F811
    neuprint_server.answer("n.type = 'APL'", COLUMNS, ROWS)
    neuprint_server.answer("n.type = 'KC'", ["bodyId"], [[7], [8], [9]])
    return neuprint_server


def client(server: FakeNeuprint, **kwargs: Any) -> NeuprintHTTP:
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("token", "secret")
    return NeuprintHTTP(server.url, kwargs.pop("dataset", DATASET), **kwargs)


def apl_statement() -> Any:
    return to_cypher(neurons(N.type == "APL", columns=COLUMNS), "neo4j")


def ids_statement() -> Any:
    """A statement whose only column is a body id: the kind the Arrow endpoint may carry."""
    return to_cypher(neurons(N.type == "KC", columns=["bodyId"]), "neo4j")


def posts(server: FakeNeuprint) -> list[Any]:
    """The POSTs sent, without the schema's one Meta read (tests/test_names.py covers it)."""
    return [r for r in server.requests if r.method == "POST" and not is_schema_read(r.cypher)]


def is_schema_read(cypher: str | None) -> bool:
    return cypher == "MATCH (m:Meta) RETURN m"


# -- success -----------------------------------------------------------------------------------


def test_execute_json(server: FakeNeuprint) -> None:
    server.version = "1.7.0"  # before Arrow
    table = client(server).execute(apl_statement())
    assert table.columns == tuple(COLUMNS)
    frame = table.to_frame()
    assert frame["bodyId"].tolist() == [101, 202, 303]
    assert frame["type"].tolist()[:2] == ["APL", "MBON01"] and pd.isna(frame["type"][2])
    [sent] = posts(server)
    assert sent.path == "/api/custom/custom"
    assert set(sent.json) == {"cypher", "dataset"}
    assert sent.json["dataset"] == DATASET
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Authorization"] == "Bearer secret"


def test_execute_arrow(server: FakeNeuprint) -> None:
    table = client(server).execute(ids_statement())
    assert [r.path for r in posts(server)] == ["/api/custom/arrow"]
    assert table.to_frame()["bodyId"].tolist() == [7, 8, 9]


def test_tables_with_other_columns_go_through_json(server: FakeNeuprint) -> None:
    """neuPrintHTTP types Arrow columns from their first row: a table with strings, floats or
    nulls could change on the way, so it is asked through JSON from the start."""
    table = client(server).execute(apl_statement())
    assert [r.path for r in posts(server)] == ["/api/custom/custom"]
    frame = table.to_frame()
    assert frame["bodyId"].tolist() == [101, 202, 303]
    assert frame["type"].tolist() == ["APL", "MBON01", None]


def test_json_and_arrow_give_the_same_frames(server: FakeNeuprint) -> None:
    query = neurons(N.type == "APL", columns=COLUMNS)
    via_arrow = client(server, schema=SCHEMA).run(query)
    via_json = client(server, schema=SCHEMA, use_arrow=False).run(query)
    assert [r.path for r in posts(server)] == ["/api/custom/custom", "/api/custom/custom"]
    pd.testing.assert_frame_equal(via_arrow, via_json)
    assert [str(t) for t in via_json.dtypes] == ["int64", "object", "Int64", "float64"]
    assert via_json["pre"].tolist()[:1] == [5000] and via_json["pre"].isna().tolist()[1]
    # raw fetch_custom too (always JSON: a hand-written query's column kinds are unknown)
    cypher = apl_statement().inline()
    raw_arrow = client(server).fetch_custom(cypher)
    raw_json = client(server, use_arrow=False).fetch_custom(cypher)
    pd.testing.assert_frame_equal(raw_arrow, raw_json)
    assert not server.requests_to("/api/custom/arrow")


@pytest.mark.parametrize("bound", [10**17, 2**62])  # numpy's fast path; json.loads past 10**18
def test_large_integer_table_json_equals_arrow(
    neuprint_server: FakeNeuprint,  # noqa: F811
    bound: int,
) -> None:
    rng = np.random.default_rng(1)
    rows = rng.integers(-bound, bound, size=(2000, 3)).tolist()
    neuprint_server.answer("RETURN", ["bodyId", "bodyId_pre", "weight"], rows)
    statement = to_cypher(neurons(columns=["bodyId", "bodyId_pre", "weight"]), "neo4j")
    a = client(neuprint_server).execute(statement).to_frame()
    j = client(neuprint_server, use_arrow=False).execute(statement).to_frame()
    assert len(neuprint_server.requests_to("/api/custom/arrow")) == 1
    assert [str(t) for t in a.dtypes] == ["int64"] * 3
    # JSON: an int64 array from the fast path, else object columns (the executor types them)
    pd.testing.assert_frame_equal(a, j.astype("int64"))
    assert j.to_numpy().tolist() == rows
    raw = client(neuprint_server).fetch_custom("MATCH (n) RETURN n")
    pd.testing.assert_frame_equal(raw, a)


def test_run_end_to_end_typed(server: FakeNeuprint) -> None:
    df = client(server, schema=SCHEMA, use_arrow=False).run(
        neurons(N.type == "APL", columns=COLUMNS)
    )
    assert list(df.columns) == COLUMNS
    assert df["bodyId"].dtype == np.int64
    assert df["pre"].dtype == "Int64"
    assert df["somaRadius"].dtype == np.float64


def test_the_cypher_sent_is_inline_and_survives_label_rewriting(
    neuprint_server: FakeNeuprint,  # noqa: F811
) -> None:
    neuprint_server.version = "1.0.0"
    neuprint_server.answer("RETURN", ["bodyId"], [[1]])
    query = neurons((N.instance == "x:Neuron 'y'") & N.bodyId.isin([1, 2]), columns=["bodyId"])
    client(neuprint_server).run(query)
    [sent] = posts(neuprint_server)
    cypher = sent.cypher
    assert "$" not in cypher
    assert "IN [1, 2]" in cypher
    assert r"'x\u003ANeuron \'y\''" in cypher
    # what the server ran: labels rewritten, the literal untouched
    debug = client(neuprint_server).fetch_custom(cypher, format="json")["debug"]
    assert "(n:`hemibrain_Neuron`)" in debug
    assert r"'x\u003ANeuron \'y\''" in debug


def test_dataset_is_sent_in_its_exact_case(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.version = None
    neuprint_server.answer("RETURN", ["n"], [[1]])
    client(neuprint_server, dataset="Hemibrain:v1.2.1").fetch_custom("MATCH (n:Neuron) RETURN 1")
    assert posts(neuprint_server)[0].json["dataset"] == "Hemibrain:v1.2.1"
    with pytest.raises(TransportError, match=r"spells it 'hemibrain:v1.2.1'"):
        client(neuprint_server, dataset="Hemibrain:v1.2.1", check_dataset=True)
    with pytest.raises(TransportError, match=r"available: \['hemibrain:v1.2.1', 'manc:v1.0'\]"):
        client(neuprint_server, dataset="fafb", check_dataset=True)
    client(neuprint_server, check_dataset=True)


# -- construction: URL, token, timeout ---------------------------------------------------------


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("neuprint.janelia.org", "https://neuprint.janelia.org"),
        ("https://neuprint.janelia.org/", "https://neuprint.janelia.org"),
        ("neuprint.janelia.org//", "https://neuprint.janelia.org"),
        ("https://example.org:8443/np/", "https://example.org:8443/np"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        ("http://[::1]:9", "http://[::1]:9"),
    ],
)
def test_server_url(given_url: str, expected: str) -> None:
    assert NeuprintHTTP(given_url, DATASET).server == expected


@pytest.mark.parametrize(
    "bad", ["http://neuprint.janelia.org", "http://10.0.0.1:8000", "ftp://x.org", "", "https://"]
)
def test_server_url_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        NeuprintHTTP(bad, DATASET)


def test_https_required_message() -> None:
    with pytest.raises(ValueError, match="https"):
        NeuprintHTTP("http://neuprint.janelia.org", DATASET)


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_dataset_required(bad: Any) -> None:
    with pytest.raises(ValueError, match="dataset"):
        NeuprintHTTP("neuprint.janelia.org", bad)


def test_token_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEUPRINT_APPLICATION_CREDENTIALS", raising=False)
    assert NeuprintHTTP("h.org", DATASET).token is None
    assert "Authorization" not in NeuprintHTTP("h.org", DATASET).headers
    assert NeuprintHTTP("h.org", DATASET, token="abc").headers["Authorization"] == "Bearer abc"
    monkeypatch.setenv("NEUPRINT_APPLICATION_CREDENTIALS", '"from-env"\n')
    assert NeuprintHTTP("h.org", DATASET).token == "from-env"
    assert NeuprintHTTP("h.org", DATASET, token="arg").token == "arg"
    monkeypatch.setenv("NEUPRINT_APPLICATION_CREDENTIALS", json.dumps({"token": "in.json"}))
    assert NeuprintHTTP("h.org", DATASET).token == "in.json"
    monkeypatch.setenv("NEUPRINT_APPLICATION_CREDENTIALS", '{"nope": 1}')
    with pytest.raises(ValueError, match="token"):
        NeuprintHTTP("h.org", DATASET)


def test_token_is_sent_and_checked(server: FakeNeuprint) -> None:
    server.token = "good"
    server.version = "1.0"
    client(server, token="good").execute(apl_statement())
    assert posts(server)[-1].headers["Authorization"] == "Bearer good"


@pytest.mark.parametrize("bad", [None, 0, -1.0, True, float("inf"), (1.0, None), "5"])
def test_timeout_must_be_set(bad: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        NeuprintHTTP("h.org", DATASET, timeout=bad)


def test_bad_retry_settings() -> None:
    with pytest.raises(ValueError, match="retries"):
        NeuprintHTTP("h.org", DATASET, retries=-1)
    with pytest.raises(ValueError, match="backoff"):
        NeuprintHTTP("h.org", DATASET, backoff=-0.1)


class SpySession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, Any]] = []

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls.append({"method": method, "url": url, **kwargs})
        return super().request(method, url, *args, **kwargs)


def test_timeout_and_verify_go_with_every_request(server: FakeNeuprint) -> None:
    spy = SpySession()
    t = client(server, session=spy, timeout=(2.0, 7.5), verify=False)
    t.execute(ids_statement())
    t.get_json("/api/dbmeta/datasets")
    assert [c["method"] for c in spy.calls] == ["GET", "POST", "GET"]
    assert all(c["timeout"] == (2.0, 7.5) and c["verify"] is False for c in spy.calls)
    t.close()  # an injected session stays open
    t.get_json("/api/dbmeta/version")


# -- the Arrow endpoint and the version check --------------------------------------------------


def test_version_checked_once_for_many_queries(server: FakeNeuprint) -> None:
    t = client(server)
    for _ in range(5):
        t.execute(ids_statement())
    assert len(server.requests_to("/api/version")) == 1
    assert len(server.requests_to("/api/custom/arrow")) == 5
    assert t.server_version == "1.9.2" and t.arrow_available()


def test_version_checked_once_across_threads(server: FakeNeuprint) -> None:
    from concurrent.futures import ThreadPoolExecutor

    server.fail(Delay(0.1), path="/api/version")  # a slow check: the others must wait for it
    t = client(server)
    with ThreadPoolExecutor(8) as pool:
        tables = list(pool.map(lambda _: t.execute(ids_statement()), range(16)))
    assert all(tb.to_frame()["bodyId"].tolist() == [7, 8, 9] for tb in tables)
    assert len(server.requests_to("/api/version")) == 1
    assert len(server.requests_to("/api/custom/arrow")) == 16


@pytest.mark.parametrize("version", ["1.7.2", "1.0.0", "garbage", None])
def test_old_or_unknown_server_version_means_json(server: FakeNeuprint, version: Any) -> None:
    server.version = version
    t = client(server)
    for _ in range(3):
        assert t.execute(ids_statement()).columns == ("bodyId",)
    assert len(server.requests_to("/api/version")) == 1
    assert len(server.requests_to("/api/custom/custom")) == 3
    assert not server.requests_to("/api/custom/arrow")


def test_failing_version_check_means_json(server: FakeNeuprint) -> None:
    server.fail(Status(500, {"error": "boom"}), path="/api/version")
    t = client(server, retries=0)
    t.execute(ids_statement())
    t.execute(ids_statement())
    assert len(server.requests_to("/api/version")) == 1
    assert len(server.requests_to("/api/custom/custom")) == 2


def test_use_arrow_false_never_asks_the_version(server: FakeNeuprint) -> None:
    client(server, use_arrow=False).execute(apl_statement())
    assert not server.requests_to("/api/version")
    assert len(server.requests_to("/api/custom/custom")) == 1


def test_no_pyarrow_means_json(server: FakeNeuprint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.ipc", None)
    t = client(server)
    t.execute(apl_statement())
    assert not t.arrow_available()
    assert not server.requests_to("/api/version")
    assert len(server.requests_to("/api/custom/custom")) == 1


def test_missing_arrow_route_falls_back_to_json(server: FakeNeuprint) -> None:
    server.arrow_route = False
    t = client(server)
    assert t.execute(ids_statement()).columns == ("bodyId",)
    assert t.execute(ids_statement()).columns == ("bodyId",)
    assert len(server.requests_to("/api/custom/arrow")) == 1
    assert len(server.requests_to("/api/custom/custom")) == 2


def test_broken_arrow_stream(server: FakeNeuprint) -> None:
    server.fail(Truncated(0.6))
    with pytest.raises(TransportError, match=r"invalid Arrow stream.*truncated"):
        client(server).execute(ids_statement())


def test_arrow_endpoint_answering_json_is_an_error(server: FakeNeuprint) -> None:
    server.fail(Status(200, {"columns": ["bodyId"], "data": [[7]]}))
    with pytest.raises(TransportError, match="not an Arrow stream"):
        client(server).execute(ids_statement())


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("use_arrow", [True, False])
def test_retry_on_502_503_then_success(server: FakeNeuprint, use_arrow: bool) -> None:
    server.fail(
        Status(503, {"message": "busy"}), Status(502, {"message": "auth service unavailable"})
    )
    table = client(server, use_arrow=use_arrow, retries=3).execute(ids_statement())
    assert table.to_frame()["bodyId"].tolist() == [7, 8, 9]
    route = "/api/custom/arrow" if use_arrow else "/api/custom/custom"
    assert [r.path for r in posts(server)] == [route] * 3


def test_retries_exhausted_raise_server_error(server: FakeNeuprint) -> None:
    server.fail(*[Status(502, {"message": "auth service unavailable"})] * 3)
    start = time.monotonic()
    with pytest.raises(ServerError) as info:
        client(server, retries=2, backoff=0.05).execute(apl_statement())
    # urllib3's back-off: the first retry at once, the n-th after backoff * 2**(n-1)
    assert time.monotonic() - start >= 0.1
    assert info.value.status == 502
    assert info.value.message == "auth service unavailable"
    assert info.value.query == apl_statement().inline()
    assert len(posts(server)) == 3


def test_gateway_timeout_retried_then_a_timeout(server: FakeNeuprint) -> None:
    server.fail(*[Status(504, b"<html>Gateway Time-out</html>")] * 2)
    with pytest.raises(QueryTimeout) as info:
        client(server, retries=1).execute(apl_statement())
    assert isinstance(info.value, ServerError) and info.value.status == 504
    assert len(posts(server)) == 2


def test_retry_after_is_honoured(server: FakeNeuprint) -> None:
    server.fail(Status(503, {"message": "busy"}, headers={"Retry-After": "0.3"}))
    start = time.monotonic()
    client(server, backoff=0.0).execute(apl_statement())
    assert time.monotonic() - start >= 0.3


@pytest.mark.parametrize(
    "fault",
    [
        syntax_error(),
        Status(401, {"message": "invalid or expired token"}),
        Status(403, {"message": "You do not have access to hemibrain:v1.2.1 dataset"}),
        Status(404, {"error": 'dataset "x" not available in stores'}),
        Status(400, {"error": "request object not formatted correctly"}),
        Status(500, {"error": "internal"}),
    ],
)
def test_no_retry_on_4xx_or_500(server: FakeNeuprint, fault: Status) -> None:
    server.fail(fault, fault, fault)
    with pytest.raises(ServerError) as info:
        client(server, retries=3).execute(apl_statement())
    assert info.value.status == fault.status
    assert len(posts(server)) == 1


# -- error shapes ------------------------------------------------------------------------------


def test_syntax_error_is_a_server_error_with_the_cypher(server: FakeNeuprint) -> None:
    server.fail(syntax_error("Invalid input 'Q'"))
    statement = apl_statement()
    with pytest.raises(ServerError) as info:
        client(server).execute(statement)
    err = info.value
    assert not isinstance(err, QueryTimeout)
    assert (err.status, err.query) == (400, statement.inline())
    assert err.message == "Neo.ClientError.Statement.SyntaxError: Invalid input 'Q'"
    assert "query was:\nMATCH (n:Neuron)" in str(err)


def test_wrong_token_401_message(server: FakeNeuprint) -> None:
    server.token = "good"
    with pytest.raises(ServerError) as info:
        client(server, token="bad").execute(apl_statement())
    assert (info.value.status, info.value.message) == (401, "invalid or expired token")


def test_anonymous_on_closed_dataset_401(
    server: FakeNeuprint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEUPRINT_APPLICATION_CREDENTIALS", raising=False)
    server.token = "good"
    with pytest.raises(ServerError) as info:
        client(server, token=None).execute(apl_statement())
    assert (info.value.status, info.value.message) == (401, "authentication required")
    assert "Authorization" not in posts(server)[0].headers
    server.public.add(DATASET)
    client(server, token=None).execute(apl_statement())


def test_forbidden_dataset_403(server: FakeNeuprint) -> None:
    server.forbidden.add(DATASET)
    with pytest.raises(ServerError) as info:
        client(server).execute(apl_statement())
    assert info.value.status == 403
    assert info.value.message == f"You do not have access to {DATASET} dataset"


def test_terms_of_service_403(server: FakeNeuprint) -> None:
    server.fail(
        Status(
            403,
            {"message": "terms not accepted", "tos_required": True, "tos_url": "https://tos"},
        )
    )
    with pytest.raises(ServerError, match=r"terms not accepted.*https://tos"):
        client(server).execute(apl_statement())


@pytest.mark.parametrize("use_arrow", [True, False])
def test_unknown_dataset_404(server: FakeNeuprint, use_arrow: bool) -> None:
    with pytest.raises(ServerError) as info:
        client(server, dataset="nope:v1", use_arrow=use_arrow).execute(apl_statement())
    assert info.value.status == 404
    assert info.value.message == 'dataset "nope:v1" not available in stores'
    assert info.value.query == apl_statement().inline()


def test_non_json_error_body(server: FakeNeuprint) -> None:
    server.fail(Status(500, b"Internal Server Error\n"))
    with pytest.raises(ServerError) as info:
        client(server).execute(apl_statement())
    assert (info.value.status, info.value.message) == (500, "Internal Server Error")


@pytest.mark.parametrize("prefix", ["", "cypher query failed: "])
def test_neo4j_timeout_is_a_query_timeout(server: FakeNeuprint, prefix: str) -> None:
    server.fail(neo4j_timeout(prefix))
    with pytest.raises(QueryTimeout) as info:
        client(server).execute(apl_statement())
    err = info.value
    assert isinstance(err, ServerTimeout) and isinstance(err, ServerError)
    assert err.status == 400
    assert err.message == prefix + TIMEOUT_MESSAGE
    assert err.query == apl_statement().inline()
    assert len(posts(server)) == 1


# -- timeouts, dropped connections, truncated answers -----------------------------------------


def test_slow_answer_times_out_quickly(server: FakeNeuprint) -> None:
    server.fail(Delay(1.0))
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"within 0.3 s") as info:
        client(server, timeout=0.3, retries=3).execute(apl_statement())
    assert time.monotonic() - start < 0.9
    assert not isinstance(info.value, ServerError)
    assert "MATCH (n:Neuron)" in str(info.value)
    assert len(posts(server)) == 1  # a slow query is not sent again


def test_stall_in_the_middle_of_the_body_times_out(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("RETURN", ["x"], [[i] for i in range(20000)])
    neuprint_server.fail(SlowBody(1.0))
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        client(neuprint_server, timeout=0.3, use_arrow=False).fetch_custom("RETURN 1")
    assert time.monotonic() - start < 0.9


def test_unreachable_server() -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = NeuprintHTTP(f"http://127.0.0.1:{port}", DATASET, retries=2, backoff=0.01, use_arrow=False)
    with pytest.raises(TransportError, match=f"127.0.0.1:{port}.*3 attempts") as info:
        t.fetch_custom("RETURN 1")
    assert not isinstance(info.value, ServerError)


def test_dropped_connection_retried_then_success(server: FakeNeuprint) -> None:
    server.fail(Drop(), ShortBody())
    table = client(server, retries=2).execute(apl_statement())
    assert table.to_frame().shape == (3, 4)
    assert len(posts(server)) == 3


def test_dropped_connections_exhaust_retries(server: FakeNeuprint) -> None:
    server.fail(*[Drop()] * 4)
    with pytest.raises(TransportError) as info:
        client(server, retries=3).execute(ids_statement())
    err = info.value
    assert not isinstance(err, ServerError) and not isinstance(err, QueryTimeout)
    assert f"{server.url}/api/custom/arrow" in str(err)
    assert "4 attempts" in str(err)
    assert "query was:\nMATCH" in str(err)
    assert len(posts(server)) == 4


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.99])
def test_truncated_json_raises(server: FakeNeuprint, keep: float) -> None:
    server.fail(Truncated(keep))
    with pytest.raises(TransportError, match=r"invalid JSON.*possibly truncated"):
        client(server, use_arrow=False).execute(apl_statement())
    assert len(posts(server)) == 1


def test_truncated_large_integer_table_raises(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("RETURN", ["a", "b"], [[i, -i] for i in range(5000)])
    neuprint_server.fail(Truncated(0.7))
    t = client(neuprint_server, use_arrow=False)
    with pytest.raises(TransportError, match="possibly truncated"):
        t.fetch_custom("RETURN 1")
    assert t.fetch_custom("RETURN 1").shape == (5000, 2)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ({"columns": COLUMNS}, "expected an object with 'columns' and 'data'"),
        ({"data": ROWS}, "expected an object with 'columns' and 'data'"),
        ([1, 2], "expected an object"),
        ({"columns": COLUMNS, "data": [[1, 2]]}, "every row must be a list of 4 cells"),
        ({"columns": ["a", "b"], "data": [[1, 2], [3, 4, 5]]}, "every row"),
        ({"columns": ["a", "b"], "data": [[1, 2, 3]]}, "list of 2 cells, not 3"),
        ({"columns": "a", "data": []}, "unexpected 'columns'"),
    ],
)
def test_malformed_json_answers_raise(server: FakeNeuprint, body: Any, pattern: str) -> None:
    server.fail(Status(200, body))
    with pytest.raises(TransportError, match=pattern):
        client(server, use_arrow=False).fetch_custom("MATCH (n) RETURN n")


def test_columns_mismatch_raises(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("RETURN", ["bodyId", "kind"], [[1, "x"]])
    for use_arrow in (True, False):
        with pytest.raises(TransportError, match=r"columns \['bodyId', 'kind'\]"):
            client(neuprint_server, use_arrow=use_arrow).execute(apl_statement())


def test_empty_result_is_an_empty_frame_not_an_error(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("RETURN", COLUMNS, [])
    for use_arrow in (True, False):
        df = client(neuprint_server, use_arrow=use_arrow).run(
            neurons(N.type == "APL", columns=COLUMNS)
        )
        assert list(df.columns) == COLUMNS and len(df) == 0


def test_wrong_dialect_refused(server: FakeNeuprint) -> None:
    with pytest.raises(TransportError, match="compiled for ladybug"):
        client(server).execute(to_cypher(N.type == "APL", "ladybug"))
    assert not server.requests


# -- fetch_custom and the generic helpers ------------------------------------------------------


def test_fetch_custom_pandas_and_json(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("RETURN", ["n", "name"], [[1, "a"], [2, None]])
    t = client(neuprint_server)
    df = t.fetch_custom("MATCH (n:Meta) RETURN 1")
    assert df["n"].tolist() == [1, 2] and df["name"][0] == "a" and pd.isna(df["name"][1])
    raw = t.fetch_custom("MATCH (n:Meta) RETURN 1", format="json")
    assert raw["columns"] == ["n", "name"] and raw["data"] == [[1, "a"], [2, None]]
    assert raw["debug"] == "MATCH (n:`hemibrain_Meta`) RETURN 1"
    # format="json" always uses the JSON endpoint, as neuprint-python
    assert posts(neuprint_server)[-1].path == "/api/custom/custom"
    with pytest.raises(ValueError, match="format"):
        t.fetch_custom("RETURN 1", format="csv")  # type: ignore[call-overload]


@pytest.mark.parametrize("quote", ["‘", "’", "“", "”"])
def test_fetch_custom_refuses_smart_quotes(server: FakeNeuprint, quote: str) -> None:
    cypher = f"MATCH (n)\nWHERE n.type = {quote}KC{quote} RETURN n"
    with pytest.raises(ValueError, match=rf"smart quote '{quote}' .* line 2, column 16"):
        client(server).fetch_custom(cypher)
    assert not server.requests


def test_fetch_custom_refuses_lone_surrogates(server: FakeNeuprint) -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        client(server).fetch_custom("RETURN '\ud800'")
    with pytest.raises(TypeError):
        client(server).fetch_custom(b"RETURN 1")  # type: ignore[call-overload]
    assert not server.requests


def test_execute_accepts_smart_quotes_inside_values(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.version = "1.0"
    neuprint_server.answer("RETURN", ["bodyId"], [[7]])
    df = client(neuprint_server).run(neurons(N.type == "it’s", columns=["bodyId"]))
    assert df["bodyId"].tolist() == [7]
    assert "'it’s'" in posts(neuprint_server)[0].cypher


def test_get_json_get_bytes_post_json(server: FakeNeuprint) -> None:
    server.meshes[(DATASET, "MB(R)")] = b"v 0 0 0\nf 1 1 1\n"
    t = client(server)
    assert set(t.get_json("/api/dbmeta/datasets")) == {DATASET, "manc:v1.0"}
    assert t.fetch_version() == "1.9.2"
    assert t.get_bytes(f"/api/roimeshes/mesh/{DATASET}/MB(R)") == b"v 0 0 0\nf 1 1 1\n"
    answer = t.post_json("/api/custom/custom", {"cypher": "n.type = 'APL'", "dataset": DATASET})
    assert answer["data"] == ROWS
    with pytest.raises(ServerError) as info:
        t.get_bytes("/api/roimeshes/mesh/x/y")
    assert info.value.status == 404 and info.value.query is None
    with pytest.raises(ServerError) as info:
        t.get_json("/api/nothing")
    assert (info.value.status, info.value.message) == (404, "Not Found")
    with pytest.raises(ServerError) as info:
        t.post_json("/api/custom/custom", {"cypher": "BAD", "dataset": DATASET})
    assert info.value.query == "BAD"
    with pytest.raises(ValueError, match="start with '/'"):
        t.get_json("https://elsewhere.org/api/version")


def test_helpers_retry_and_detect_truncation(server: FakeNeuprint) -> None:
    server.fail(Status(503, {"message": "busy"}), path="/api/dbmeta/datasets")
    server.fail(Truncated(), path="/api/dbmeta/version")
    t = client(server)
    assert DATASET in t.get_json("/api/dbmeta/datasets")
    with pytest.raises(TransportError, match="truncated"):
        t.get_json("/api/dbmeta/version")


def test_queries_are_logged(server: FakeNeuprint, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="neuprint_dsl.transports.neuprint_http"):
        client(server).execute(apl_statement())
    texts = [r.getMessage() for r in caplog.records]
    assert any(DATASET in t and "n.type = 'APL'" in t for t in texts)


def test_repr_hides_the_token(server: FakeNeuprint) -> None:
    t = client(server, token="very-secret")
    assert "very-secret" not in repr(t) and DATASET in repr(t)


def test_pretty_printed_json_is_decoded_too(server: FakeNeuprint) -> None:
    server.json_indent = 2
    server.version = "1.0"
    frame = client(server).execute(apl_statement()).to_frame()
    assert frame["pre"].tolist()[0] == 5000 and frame["type"].tolist()[:2] == ["APL", "MBON01"]


# -- the fast decoder of integer tables equals json.loads ------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _same_as_json_loads(content: bytes) -> None:
    try:
        expected = json.loads(content)
    except ValueError:
        with pytest.raises(ValueError):
            _decode_json(content)
        return
    got = _decode_json(content)
    assert _plain(got) == expected
    assert type(got) is type(expected)


cells = st.one_of(
    st.integers(-(10**18) + 1, 10**18 - 1),
    st.integers(-(2**64), 2**64),
    st.integers(-9, 9),
    st.sampled_from([0, -0, 10, -10]),
)


@st.composite
def int_tables(draw: Any) -> bytes:
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=8))
    columns = [f"c{i}" for i in range(width)]
    keys = draw(st.permutations(["columns", "data", "debug"]))
    doc = {"columns": columns, "data": rows, "debug": 'MATCH (n:`x_Neuron`) "data":[[1]]'}
    text = json.dumps({k: doc[k] for k in keys}, separators=(",", ":"))
    if draw(st.booleans()):
        # odd bytes: a float, a null, a leading zero, a stray minus, whitespace, a dropped cell
        index = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(["1.5", "null", "01", "-", " ", "[", "]", ",", "-0", "e"]))
        text = text[:index] + junk + text[index:]
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode()


@given(int_tables())
def test_fast_decoder_equals_json_loads(content: bytes) -> None:
    _same_as_json_loads(content)


@pytest.mark.filterwarnings("error")
@given(
    st.text(alphabet="-0123456789,[]", max_size=30)
    | st.text(alphabet='-0123456789,[] +.e\t"x{}é', max_size=30)
)
def test_int_rows_never_differs_from_json_loads(body: str) -> None:
    """Adversarial text around the fast path's alphabet: an array only when json.loads agrees
    (and never a warning)."""
    data = f"[[{body}]]".encode()
    got = _int_rows(data)
    if got is not None:
        assert got.tolist() == json.loads(data)


@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(-(10**18) + 1, 10**18 - 1), min_size=width, max_size=width),
            min_size=1,
            max_size=20,
        )
    )
)
def test_int_rows_takes_every_canonical_table(rows: list[list[int]]) -> None:
    data = json.dumps(rows, separators=(",", ":")).encode()
    got = _int_rows(data)
    assert got is not None and got.dtype == np.int64 and got.tolist() == rows


@pytest.mark.parametrize(
    "text",
    [
        b'{"data":[[1,2],[3,4]],"columns":["a","b"]}',
        b'{"data":[[1,2],[3,4]],"data":[[5]]}',
        b'{"data":[[1],[2]]} ',
        b'\xef\xbb\xbf{"data":[[1]]}',
        b'{"data":[[1,2],[3]]}',
        b'{"data":[[1,2,3],[4]]}',
        b'{"data":[[01]]}',
        b'{"data":[[-01]]}',
        b'{"data":[[1-2]]}',
        b'{"data":[[--1]]}',
        b'{"data":[[]]}',
        b'{"data":[[-]]}',
        b'{"data":[[-0]]}',
        b'{"data":[[1,-]]}',
        b'{"data":[[-,1]]}',
        b'{"data":[[1]2]}',
        b'{"data":[[1],[2]3]}',
        b'{"data":[[1]],"x":[[2]]}',
        b'{"data":[[5-,1]]}',
        b'{"data":[[999999999999999999,-999999999999999999]]}',
        b'{"data":[[1000000000000000000]]}',
        b'{"data":[[0],0[]]}',
        b'{"data":[[1,]2]}',
        b'{"data":[[,01]]}',
        b'{"data":[[1,2],3[,4]]}',
        b'{"data":[[ ]]}',
        b'{"data":[[1, 2]]}',
        b'{"data":[[+1]]}',
        b'{"data":[[1.0]]}',
        b'{"data":[[x5]]}',
        b'{"data":[[-1,x5]]}',
        b'{"data":[[1],[2]],"debug":"]]"}',
        b'{"debug":"]]","data":[[1],[2]]}',
        b'{"data":[[1],[2]]',
        b'{"data":[[1],[2]]]}',
        b'{"data":[[1],[2]],"x":"\xc3\xa9"}',
        b'{"x":{"data":[[1]]},"data":0}',
        b'{"x":{"data":[[1]]},"data":[[2]]}',
        b'{"data":[[1]],"data":0}',
        b'{"data":0,"data":[[1]]}',
        b'{"data":[[1]].5}',
        b'{"data":[[1]]5}',
        b'{"data":[[1]]e5}',
        b'{"data":[[1]] }',
        b'\xef\xbb\xbf{"data":[[1]]}',
        b'{"debug":"\\"data\\":[[1]]","data":[[2]]}',
        '{"d\u00e9bug":"\u00e9","data":[[1,2]]}'.encode(),
        b'{"data":[[1],[]]}',
        b'{"data":[[1]],[[2]]}',
        b'{"data":[[1]]',
        b'{"data":[[9223372036854775808]]}',
        b'{"data":[[-9223372036854775809,1]]}',
        b'{"data":[[1],[2]],}',
        b'{"data":[[1],[2]]}{}',
        b"{}",
        b"[]",
        b"",
    ],
)
def test_fast_decoder_edge_cases(text: bytes) -> None:
    _same_as_json_loads(text)


def test_fast_path_is_taken_for_integer_tables() -> None:
    doc = _decode_json(b'{"columns":["a","b"],"data":[[1,-2],[0,4]],"debug":""}')
    assert isinstance(doc["data"], np.ndarray) and doc["data"].dtype == np.int64
    assert _int_rows(b"[[1,2],[3,4]]").shape == (2, 2)  # type: ignore[union-attr]
    assert _int_rows(b"[[1,2],[3,4],[5]]") is None
    assert _int_rows(b"[[" + b"9" * 19 + b"]]") is None


# -- safe with whatever a user types (issue 12, section 3) -------------------------------------


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("secret-part\nInjected header", "a line break (U+000A) at position 12"),
        ("secret\r\n", "a line break (U+000D)"),  # inside: the end is stripped only once
        ("sec\tret", "a control character (U+0009) at position 4"),
        ("sec\x7fret", "a control character (U+007F)"),
        ("secret-\u2603", "a character outside latin-1 (U+2603) at position 8"),
    ],
)
@pytest.mark.parametrize("source", ["argument", "environment", "json"])
def test_bad_tokens_are_refused_without_being_shown(
    monkeypatch: pytest.MonkeyPatch, token: str, problem: str, source: str
) -> None:
    if token.endswith("\r\n"):
        token = "sec\r\nret"
        problem = "a line break (U+000D) at position 4"
    monkeypatch.delenv("NEUPRINT_APPLICATION_CREDENTIALS", raising=False)
    kwargs: dict[str, Any] = {}
    if source == "argument":
        kwargs["token"] = token
    else:
        value = json.dumps({"token": token}) if source == "json" else token
        monkeypatch.setenv("NEUPRINT_APPLICATION_CREDENTIALS", value)
    with pytest.raises(InvalidArgument) as info:
        NeuprintHTTP("neuprint.example.org", DATASET, **kwargs)
    message = str(info.value)
    assert problem in message and "token" in message
    assert "secret" not in message and "sec" not in message.replace("second", "")
    assert (info.value.__cause__ is None and info.value.__context__ is None) or (
        "sec" not in str(info.value.__context__)
    )


def test_latin1_tokens_are_accepted() -> None:
    assert NeuprintHTTP("h.org", DATASET, token="abc.déf-_").token == "abc.déf-_"


def test_the_token_is_in_no_error_message(server: FakeNeuprint) -> None:
    """Whatever fails, the message and the repr never show the token: a server's 401, a
    connection failure, and a header requests itself refuses (a token changed after the
    check) are all reported without it."""
    server.token = "the-good-one"
    t = client(server, token="the-wrong-one", retries=0)
    with pytest.raises(ServerError) as info:
        t.execute(apl_statement())
    assert "the-wrong-one" not in str(info.value) and "the-wrong-one" not in repr(t)
    t.token = "sneaky\nvalue"
    t.headers["Authorization"] = f"Bearer {t.token}"
    with pytest.raises(TransportError) as info2:
        t.execute(apl_statement())
    assert "sneaky" not in str(info2.value) and "<token>" in str(info2.value)


def test_a_proxy_html_page_is_shortened(server: FakeNeuprint) -> None:
    page = ("<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 24000).encode()
    server.fail(Status(502, page))
    with pytest.raises(ServerError) as info:
        client(server, retries=0).execute(apl_statement())
    err = info.value
    assert err.status == 502 and err.message.startswith("<html><head><title>502 Bad Gateway")
    assert len(err.message) < 1100 and f"({len(page)} characters)" in err.message
    assert len(str(err)) < 3000


def test_503_with_retry_after_is_retried_after_waiting(server: FakeNeuprint) -> None:
    server.fail(Status(503, {"message": "busy"}, headers={"Retry-After": "1"}))
    start = time.monotonic()
    table = client(server, backoff=0.0).execute(ids_statement())
    assert time.monotonic() - start >= 1.0
    assert table.to_frame()["bodyId"].tolist() == [7, 8, 9]
    assert [r.path for r in posts(server)] == ["/api/custom/arrow"] * 2


def test_retry_after_is_capped_and_garbage_ignored() -> None:
    retry = NeuprintRetry.policy(3, backoff=0.1, posts=True)

    class Answer:
        def __init__(self, value: str) -> None:
            self.headers = {"Retry-After": value}

    assert retry.get_retry_after(Answer("3600")) == 30.0
    assert retry.get_retry_after(Answer("0.25")) == 0.25
    assert retry.get_retry_after(Answer("soon")) == 0.0  # the ordinary back-off then
    assert retry.get_backoff_time() == 0.0


def test_connection_reset_is_retried(server: FakeNeuprint) -> None:
    server.fail(Reset(), Reset())
    table = client(server, retries=2).execute(ids_statement())
    assert table.to_frame()["bodyId"].tolist() == [7, 8, 9]
    assert len(posts(server)) == 3


def test_connection_resets_exhaust_the_retries(server: FakeNeuprint) -> None:
    server.fail(Reset(), Reset(), Reset())
    with pytest.raises(TransportError, match="after 3 attempts") as info:
        client(server, retries=2, use_arrow=False).execute(apl_statement())
    assert not isinstance(info.value, (ServerError, QueryTimeout))
    assert len(posts(server)) == 3


def test_a_body_cut_short_is_asked_again_then_reported(server: FakeNeuprint) -> None:
    server.fail(ShortBody(0.5))
    assert client(server, retries=1, use_arrow=False).execute(apl_statement()).columns
    assert len(posts(server)) == 2
    server.fail(ShortBody(0.5), ShortBody(0.3))
    with pytest.raises(TransportError, match=r"cut short \(2 attempts\)"):
        client(server, retries=1, use_arrow=False).execute(apl_statement())


def test_posts_other_than_queries_are_not_sent_again(server: FakeNeuprint) -> None:
    """A key-value write may have been applied: a 503 or a reset after sending is reported,
    not repeated. GETs are repeated."""
    path = "/api/raw/keyvalue/key/kv/k"
    server.admin = True
    server.keyvalues["kv"] = {}
    server.fail(Status(503, {"message": "busy"}), path=path)
    t = client(server, retries=3)
    with pytest.raises(ServerError) as info:
        t.post_json(path, {"a": 1})
    assert info.value.status == 503 and len(server.requests_to(path, "POST")) == 1
    server.fail(Status(503, {"message": "busy"}), Reset(), path="/api/dbmeta/datasets")
    assert DATASET in t.get_json("/api/dbmeta/datasets")
    assert len(server.requests_to("/api/dbmeta/datasets")) == 3


def test_the_retry_policy_is_on_the_sessions_adapters(server: FakeNeuprint) -> None:
    t = client(server, retries=4)
    queries = t._session.get_adapter(server.url + "/api/custom/custom").max_retries
    others = t._session.get_adapter(server.url + "/api/dbmeta/datasets").max_retries
    assert isinstance(queries, NeuprintRetry) and isinstance(others, NeuprintRetry)
    assert queries.total == others.total == 4
    assert queries.is_retry("POST", 502) and not others.is_retry("POST", 502)
    assert others.is_retry("GET", 504) and not others.is_retry("GET", 500)


_ALIAS_NAMES = st.text(alphabet="ab`\\u0060 ,()'\"é", min_size=1, max_size=10) | st.sampled_from(
    ["a`b", "x\\u0060 AS y, 1 AS z", "`", "\\u0060", "MB(R)"]
)


@given(_ALIAS_NAMES)
def test_return_names_are_quoted_or_refused_on_neo4j(name: str) -> None:
    """Neo4j resolves \\uXXXX before it tokenizes, backtick names included: a name holding a
    backslash is refused (a typed error, before anything is sent); any other name, backticks
    included, reads back exactly as one name."""
    from tests.cypher_lexer import tokenize

    try:
        text = to_cypher(neurons(columns=[name]), "neo4j").inline()
    except InvalidValue as err:
        assert "\\" in name and "cannot be sent to neuPrint" in str(err)
        return
    assert "\\" not in name
    returned = text.split("\nRETURN ", 1)[1].split("\nORDER BY", 1)[0]
    tokens = tokenize(returned)
    assert tokens[-2].value.upper() == "AS" and tokens[-1].value == name


def test_return_names_with_backticks_on_the_embedded_engine(tmp_path: Any) -> None:
    """Ladybug reads backtick names literally (no \\uXXXX pass): every name comes back as the
    column's exact name."""
    import ladybug

    from neuprint_dsl.cypher.dialects import get_dialect

    connection = ladybug.Connection(ladybug.Database(str(tmp_path / "db.lbug")))
    alias = get_dialect("ladybug").alias
    for name in ["a`b", "x\\u0060y", "`", "x\\u0060 AS y, 1 AS z", "é\\u0041"]:
        result = connection.execute(f"RETURN 1 AS {alias(name)}")
        assert result.get_column_names() == [name]


# -- the msgspec decoder is json.loads ---------------------------------------------------------

_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


@st.composite
def answers(draw: Any) -> bytes:
    """Answers of /api/custom/custom: tables of any JSON values, other keys, odd bytes."""
    width = draw(st.integers(0, 3))
    rows = draw(st.lists(st.lists(_JSON_VALUES, min_size=width, max_size=width), max_size=4))
    doc: dict[str, Any] = {"columns": [f"c{i}" for i in range(width)], "data": rows}
    if draw(st.booleans()):
        doc["debug"] = draw(_JSON_VALUES)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(["NaN", "1e999", '"\\ud800"', "01", ",", "]", '"data":1,']))
        text = text[:index] + junk + text[index:]
    return text.encode()


@given(answers())
@example(b'{"columns":["a"],"data":[[123456789012345678901234567890]]}')  # orjson: a float
@example(b'{"columns":["a"],"data":[[NaN]]}')  # msgspec refuses; json.loads reads nan
@example(b'{"columns":["a"],"data":[["\\ud800"]]}')  # a lone surrogate
@example(b'\xef\xbb\xbf{"columns":[],"data":[]}')  # a byte-order mark
def test_answer_decoder_equals_json_loads(content: bytes) -> None:
    """msgspec (rows as tuples, only columns and data kept) gives json.loads' values, and
    fails where it fails."""
    try:
        expected = json.loads(content)
    except ValueError:
        with pytest.raises(ValueError):
            _decode_answer(content)
        with pytest.raises(ValueError):
            _json_loads(content)
        return
    assert _json_loads(content) == expected
    got = _decode_answer(content)
    if isinstance(got, dict) and isinstance(got.get("data"), np.ndarray):
        got = {**got, "data": got["data"].tolist()}
    if isinstance(expected, dict) and set(got) == {"columns", "data"} < set(expected):
        expected = {k: expected[k] for k in ("columns", "data")}
    if isinstance(got, dict) and isinstance(got.get("data"), list):
        rows = [list(r) if type(r) is tuple else r for r in got["data"]]
        got = {**got, "data": rows}
    assert got == expected
