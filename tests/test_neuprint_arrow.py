"""neuPrintHTTP's ``/api/custom/arrow`` as it really behaves (api/custom/arrow.go, reproduced by
tests/neuprint_server.py), and the transport's rule: a query returns the same table through
Arrow as through JSON, or is fetched through JSON (docs/http.md, "Arrow").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.ipc
import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import N, neurons, to_cypher
from neuprint_dsl.cypher import GraphSchema
from neuprint_dsl.errors import TransportError
from neuprint_dsl.frames import ID_COLUMNS
from neuprint_dsl.transports.neuprint_http import ARROW_COLUMNS, NeuprintHTTP
from tests.neuprint_server import (
    ARROW_EMPTY_ERROR,
    ARROW_EOS,
    ArrowCut,
    FakeNeuprint,
    go_arrow_columns,
    neuprint_server,  # noqa: F401  (the fixture)
    store_value,
)

DATASET = "hemibrain:v1.2.1"
SCHEMA = GraphSchema(
    node_properties={
        "bodyId": "int",
        "bodyId_pre": "int",
        "weight": "int",
        "type": "str",
        "pre": "int",
        "somaRadius": "float",
        "cropped": "bool",
    }
)


def client(server: FakeNeuprint, **kwargs: Any) -> NeuprintHTTP:
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("backoff", 0.01)
    return NeuprintHTTP(server.url, DATASET, token="t", schema=SCHEMA, **kwargs)


def post_arrow(server: FakeNeuprint, cypher: str) -> requests.Response:
    return requests.post(
        server.url + "/api/custom/arrow",
        json={"cypher": cypher, "dataset": DATASET},
        headers={"Content-Type": "application/json"},
        timeout=5,
    )


def read_stream(body: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(body)).read_all()


def paths(server: FakeNeuprint) -> list[str]:
    return [r.path for r in server.requests if r.method == "POST"]


# -- the server reproduces arrow.go ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "arrow_type", "values"),
    [
        # first row an int: int64; a later float is truncated (int64(v)), anything else is null
        ([5, 2.9, -2.9, "x", True, None, [1]], pa.int64(), [5, 2, -2, None, None, None, None]),
        # first row a float that is an integer: int64 too, so later fractions are cut off
        ([2.0, 2.5, 7], pa.int64(), [2, 2, 7]),
        # first row a fraction: float64; ints become floats, the rest null
        ([2.5, 3, "x", False, None], pa.float64(), [2.5, 3.0, None, None, None]),
        # first row a bool: only bools survive
        ([True, 1, "true", None, False], pa.bool_(), [True, None, None, None, False]),
        # first row null (or a string, or a list): a string column, other values as Go's %v
        (
            [None, 5, 2.5, 1e6, True, [1, "a", None], "s"],
            pa.string(),
            [None, "5", "2.5", "1e+06", "true", "[1 a <nil>]", "s"],
        ),
    ],
)
def test_first_row_typing_and_null_substitution(
    neuprint_server: FakeNeuprint,  # noqa: F811
    column: list[Any],
    arrow_type: Any,
    values: list[Any],
) -> None:
    neuprint_server.answer("RETURN x", ["x"], [[v] for v in column])
    reply = post_arrow(neuprint_server, "MATCH (n) RETURN x")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/vnd.apache.arrow.stream"
    table = read_stream(reply.content)
    assert table.schema.field("x").type == arrow_type
    assert table.column("x").to_pylist() == values[: len(column)]


def test_map_columns_are_string_maps(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    """Any map in a column makes it map<string, string>: other values in it become null,
    properties that are null are left out, and every value is written as text."""
    rows = [["plain"], [{"a": 1, "b": None, "c": [1, 2], "d": True, "e": "s"}], [None]]
    neuprint_server.answer("RETURN m", ["m"], rows)
    table = read_stream(post_arrow(neuprint_server, "MATCH (m) RETURN m").content)
    assert table.schema.field("m").type == pa.map_(pa.string(), pa.string())
    assert table.column("m").to_pylist() == [
        None,
        [("a", "1"), ("c", "[1 2]"), ("d", "true"), ("e", "s")],
        None,
    ]


def test_store_conversions() -> None:
    """What the two storage layers hand to arrow.go: bolt turns integral floats into ints at
    every depth; the Neo4j HTTP store converts only top-level numbers."""
    assert store_value(3.0, "bolt") == 3 and isinstance(store_value(3.0, "bolt"), int)
    assert isinstance(store_value(3.0, "neo4j"), float)
    assert store_value([1.0, 2.5], "bolt") == [1, 2.5]
    assert store_value(2**64, "neo4j") == float(2**64)
    kinds = [kind for kind, _ in go_arrow_columns(["a", "b"], [[3.0, 3.5], [1, 2]])]
    assert kinds == ["int64", "float64"]


def test_empty_result_is_a_500(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("RETURN x", ["x"], [])
    reply = post_arrow(neuprint_server, "MATCH (n) RETURN x")
    assert reply.status_code == 500
    assert reply.json() == {"error": ARROW_EMPTY_ERROR}
    assert ARROW_EMPTY_ERROR == (
        "error converting to Arrow format: no data to convert: empty result set"
    )


def test_cut_stream_is_accepted_by_pyarrow(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    """The hazard: a stream cut after its record batch reads as a complete table."""
    neuprint_server.answer("RETURN x", ["x"], [[1], [2]])
    whole = post_arrow(neuprint_server, "MATCH (n) RETURN x").content
    neuprint_server.fail(ArrowCut())
    cut = post_arrow(neuprint_server, "MATCH (n) RETURN x").content
    assert whole.endswith(ARROW_EOS) and cut == whole[: -len(ARROW_EOS)]
    assert read_stream(cut).num_rows == 2


# -- the client ---------------------------------------------------------------------------------


def test_arrow_columns_are_the_executors_id_columns() -> None:
    assert ARROW_COLUMNS == ID_COLUMNS


def test_all_int_tables_come_through_arrow(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("n.type = 'KC'", ["bodyId"], [[7], [2**60], [-3]])
    df = client(neuprint_server).run(neurons(N.type == "KC", columns=["bodyId"]))
    assert paths(neuprint_server) == ["/api/custom/arrow"]
    assert df["bodyId"].tolist() == [7, 2**60, -3] and str(df["bodyId"].dtype) == "int64"


@pytest.mark.parametrize(
    "column",
    [
        [7, None],  # a null: maybe a value arrow.go could not append
        [None, 7],  # first row null: a string column
        [7, "8"],  # a string in an int column: null
        [7, True],  # a bool: null
        [2.5, 7],  # first row a fraction: float64
    ],
)
def test_answers_that_may_have_changed_are_fetched_again_through_json(
    neuprint_server: FakeNeuprint,  # noqa: F811
    column: list[Any],
) -> None:
    neuprint_server.answer("n.type = 'KC'", ["bodyId"], [[v] for v in column])
    statement = to_cypher(neurons(N.type == "KC", columns=["bodyId"]), "neo4j")
    via_arrow = client(neuprint_server).execute(statement).to_frame()
    assert paths(neuprint_server) == ["/api/custom/arrow", "/api/custom/custom"]
    via_json = client(neuprint_server, use_arrow=False).execute(statement).to_frame()
    assert via_arrow["bodyId"].tolist() == via_json["bodyId"].tolist() == column


@pytest.mark.parametrize("use_arrow", [True, False])
@pytest.mark.parametrize(
    "columns", [["bodyId"], ["bodyId", "type", "pre", "somaRadius", "cropped"]]
)
def test_empty_results_are_empty_typed_frames(
    neuprint_server: FakeNeuprint,  # noqa: F811
    use_arrow: bool,
    columns: list[str],
) -> None:
    neuprint_server.answer("n.type = 'none'", columns, [])
    df = client(neuprint_server, use_arrow=use_arrow).run(
        neurons(N.type == "none", columns=columns)
    )
    assert list(df.columns) == columns and len(df) == 0
    dtypes = {"bodyId": "int64", "type": "object", "pre": "Int64", "somaRadius": "float64"}
    dtypes["cropped"] = "boolean"
    assert [str(t) for t in df.dtypes] == [dtypes[c] for c in columns]
    arrow = use_arrow and columns == ["bodyId"]
    assert paths(neuprint_server) == ["/api/custom/arrow" if arrow else "/api/custom/custom"]


def test_truncated_stream_is_a_transport_error(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("n.type = 'KC'", ["bodyId"], [[7], [8]])
    neuprint_server.fail(ArrowCut())
    with pytest.raises(TransportError, match=r"no end-of-stream marker.*possibly truncated"):
        client(neuprint_server).run(neurons(N.type == "KC", columns=["bodyId"]))


def test_raw_cypher_and_the_meta_node_go_through_json(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    """Hand-written Cypher has no known column kinds, and the Meta node is a map (arrow.go
    writes every map value as text): both through JSON."""
    neuprint_server.answer("RETURN x", ["x"], [[1], [2]])
    t = NeuprintHTTP(neuprint_server.url, DATASET, token="t", timeout=5.0)
    assert t.fetch_custom("MATCH (n) RETURN x")["x"].tolist() == [1, 2]
    assert t.fetch_meta()["primaryRois"] == ["MB(R)", "FB"]
    assert not neuprint_server.requests_to("/api/custom/arrow")


# -- the property: Arrow == JSON --------------------------------------------------------------------

_INT64 = st.integers(-(2**63), 2**63 - 1)
_CELLS = st.one_of(
    st.integers(-(2**40), 2**40),
    _INT64,
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(-100, 100).map(float),  # integral floats: typed int64 by arrow.go
    st.text(max_size=4),
    st.booleans(),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    """A statement's columns and random rows: mostly ints, with nulls, floats, strings and
    bools mixed in (the values an id or weight column should never have, but might)."""
    columns = draw(
        st.sampled_from(
            [
                ["bodyId"],
                ["bodyId", "weight"],
                ["bodyId", "bodyId_pre", "weight"],
                ["bodyId", "type", "pre", "somaRadius", "cropped"],
            ]
        )
    )
    clean = draw(st.booleans())
    cell = _INT64 if clean and len(columns) < 5 else _CELLS
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=6))
    return columns, rows


def outcome(t: NeuprintHTTP, columns: list[str]) -> Any:
    try:
        frame = t.run(neurons(N.type == "P", columns=columns))
    except Exception as err:  # the JSON path may refuse a table: then both must, alike
        return ("error", type(err).__name__, str(err))
    return ("frame", frame)


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[FakeNeuprint, NeuprintHTTP, NeuprintHTTP]]:
    server = FakeNeuprint().start()
    server.go_json = True
    with client(server) as arrow, client(server, use_arrow=False) as plain:
        yield server, arrow, plain
    server.stop()


@given(tables(), st.sampled_from(["neo4j", "bolt"]))
@example((["bodyId"], [[2.5], [7]]), "neo4j")  # first row a fraction: float64
@example((["bodyId"], [[7], [2.5]]), "neo4j")  # a later fraction is truncated, as int64 does
@example((["bodyId"], [[7], [None]]), "bolt")  # a null
@example((["bodyId"], [[None], [7]]), "bolt")  # first row null: strings
@example((["bodyId", "weight"], [[1, 2.0], [3, 4]]), "neo4j")  # an integral float
@example((["bodyId"], []), "neo4j")  # no rows: arrow.go's 500
def test_arrow_and_json_give_the_same_answer(
    shared: tuple[FakeNeuprint, NeuprintHTTP, NeuprintHTTP],
    table: tuple[list[str], list[list[Any]]],
    store: str,
) -> None:
    server, arrow, plain = shared
    columns, rows = table
    server.responses = []
    server.store = store
    server.answer("n.type = 'P'", columns, rows)
    with server._lock:
        server.requests.clear()
    via_arrow, via_json = outcome(arrow, columns), outcome(plain, columns)
    assert via_arrow[0] == via_json[0], (via_arrow, via_json)
    if via_arrow[0] == "frame":
        pd.testing.assert_frame_equal(via_arrow[1], via_json[1])
    else:
        assert via_arrow == via_json
    used = [r.path for r in server.requests if r.method == "POST"]
    if len(columns) == 5:  # strings, floats, bools: never through Arrow
        assert "/api/custom/arrow" not in used


def test_the_property_reaches_both_routes(
    shared: tuple[FakeNeuprint, NeuprintHTTP, NeuprintHTTP],
) -> None:
    """The property's tables include answers Arrow carries and answers it may not."""
    server, arrow, _ = shared
    server.responses = []
    server.answer("n.type = 'P'", ["bodyId"], [[1], [2]])
    with server._lock:
        server.requests.clear()
    arrow.run(neurons(N.type == "P", columns=["bodyId"]))
    assert [r.path for r in server.requests if r.method == "POST"] == ["/api/custom/arrow"]
    server.answer("n.type = 'Q'", ["bodyId"], [[1], [None]])
    with pytest.raises(TransportError, match="missing values"):
        arrow.run(neurons(N.type == "Q", columns=["bodyId"]))
    paths_ = [r.path for r in server.requests if r.method == "POST"]
    assert paths_[1:] == ["/api/custom/arrow", "/api/custom/custom"]
    assert json.loads(server.requests[-1].body)["cypher"].startswith("MATCH")
