"""compat ``fetch_adjacencies`` on a neuPrint server: one request per batch, and what it
does with the answers (tests/neuprint_server.py answering with chosen rows).

Each batch sends one query returning each connection's weight, ``coalesce(e.weightHP, 0)``,
both bodies' properties and ``e.roiInfo``; the per-ROI rows are made from the roiInfo text
as the per-ROI statement makes them on the server (every ROI key with ``post > 0``). Values
that cannot be read that way are a TransportError naming the connection, never a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl.compat import Client, clear_default_client
from neuprint_dsl.compat.connectivity import fetch_adjacencies
from neuprint_dsl.errors import TransportError
from neuprint_dsl.transports import NeuprintHTTP

from .neuprint_server import FakeNeuprint, default_meta

COLUMNS = [
    "bodyId_pre",
    "bodyId_post",
    "weight",
    "weightHP",
    "type_pre",
    "type_post",
    "instance_pre",
    "instance_post",
    "conn_roiInfo",
]
#: MB(R) and FB are primary, CA(R) is below MB(R); "SUPER" is a super-level ROI the Meta
#: node lists in its roiInfo (neuPrint's edges count it too)
PRIMARY = ["MB(R)", "FB"]


def edge(pre: int, post: int, weight: int, info: Any, hp: int = 0) -> list[Any]:
    text = info if isinstance(info, str) or info is None else json.dumps(info)
    return [pre, post, weight, hp, f"T{pre}", f"T{post}", f"I{pre}", f"I{post}", text]


@pytest.fixture
def server() -> Iterator[FakeNeuprint]:
    fake = FakeNeuprint()
    fake.version = "1.7.0"  # JSON
    meta = default_meta("hemibrain", "v1.2.1", PRIMARY, ["CA(R)"])
    info = json.loads(meta["roiInfo"])
    info["SUPER"] = {"pre": 5, "post": 5}
    meta["roiInfo"] = json.dumps(info)
    fake.meta["hemibrain:v1.2.1"] = meta
    fake.start()
    yield fake
    fake.stop()
    clear_default_client()


def serve_edges(server: FakeNeuprint, rows: list[list[Any]]) -> None:
    """Answer each batch query with the rows whose pre body the query names."""

    def answer(cypher: str) -> tuple[list[str], list[list[Any]]]:
        named = re.search(r"n\.bodyId IN \[([0-9, ]*)\]", cypher)
        assert named is not None, cypher
        ids = {int(x) for x in named.group(1).split(",") if x.strip()}
        returns = next(line for line in cypher.split("\n") if line.startswith("RETURN "))
        asked = re.findall(r" AS (\w+)", returns)  # the columns this query returns
        picked = [COLUMNS.index(c) for c in asked]
        return asked, [[r[i] for i in picked] for r in rows if r[0] in ids]

    server.answer("ConnectsTo", answer)


def client(server: FakeNeuprint) -> Client:
    return Client(transport=NeuprintHTTP(server.url, "hemibrain:v1.2.1"))


ROWS = [
    edge(
        1,
        10,
        7,
        {
            "MB(R)": {"pre": 4, "post": 4},
            "CA(R)": {"pre": 3, "post": 3},
            "FB": {"pre": 2, "post": 2},
            "SUPER": {"pre": 6, "post": 6},
        },
    ),
    edge(2, 10, 3, {"FB": {"pre": 1, "post": 1}, "MB(R)": {"pre": 1}}),
    edge(3, 11, 1, {}),
]


def test_one_request_per_batch_and_the_rows(server: FakeNeuprint) -> None:
    serve_edges(server, ROWS)
    c = client(server)
    neurons, conn = fetch_adjacencies([1, 2, 3], None, batch_size=2, threads=1, client=c)
    sent = [r.cypher or "" for r in server.requests_to("/api/custom/custom")]
    batches = [q for q in sent if "ConnectsTo" in q]
    assert len(batches) == 2  # [1, 2] and [3]; the ids were given, the properties come along
    assert all("e.roiInfo AS conn_roiInfo" in q and "n.type AS type_pre" in q for q in batches)
    assert len(sent) == 2 + sum(":Meta)" in q for q in sent)
    assert conn.values.tolist() == [
        [1, 10, "MB(R)", 4],
        [1, 10, "FB", 2],
        [1, 10, "NotPrimary", 1],  # 7 - (4 + 2): CA(R) is inside MB(R), SUPER is not primary
        [2, 10, "NotPrimary", 2],  # MB(R) has no post count: 0; strongest first
        [2, 10, "FB", 1],
        [3, 11, "NotPrimary", 1],
    ]
    assert neurons.values.tolist() == [[1, "T1", "I1"], [2, "T2", "I2"], [3, "T3", "I3"], [10, "T10", "I10"], [11, "T11", "I11"]]  # fmt: skip
    _, every = fetch_adjacencies(
        [1, 2, 3], None, include_nonprimary=True, batch_size=2, threads=1, client=c
    )
    assert [r[2:] for r in every.values.tolist() if r[:2] == [1, 10]] == [
        ["SUPER", 6],
        ["MB(R)", 4],
        ["CA(R)", 3],
        ["FB", 2],
        ["NotPrimary", 1],
    ]


def test_weight_props_and_omit_rois(server: FakeNeuprint) -> None:
    rows = [edge(1, 10, 7, {"MB(R)": {"post": 4, "weightHP": 3}}, hp=5), edge(2, 10, 3, {}, hp=1)]
    serve_edges(server, rows)
    c = client(server)
    _, conn = fetch_adjacencies([1, 2], None, client=c)
    # weightHP is broken down by ROI in these roiInfo maps: a per-ROI column, NotPrimary too
    assert list(conn.columns) == ["bodyId_pre", "bodyId_post", "roi", "weight", "weightHP"]
    assert conn.values.tolist() == [
        [1, 10, "MB(R)", 4, 3],
        [1, 10, "NotPrimary", 3, 2],
        [2, 10, "NotPrimary", 3, 1],
    ]
    _, flat = fetch_adjacencies([1, 2], None, omit_rois=True, client=c)
    assert flat.values.tolist() == [[1, 10, 7, 5], [2, 10, 3, 1]]
    assert "conn_roiInfo" not in (server.requests_to("/api/custom/custom")[-1].cypher or "")
    _, plain = fetch_adjacencies([1, 2], None, omit_rois=True, weight_props=None, client=c)
    assert list(plain.columns) == ["bodyId_pre", "bodyId_post", "weight"]


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ('{"MB(R)": {"post": 4}', "is not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"MB(R)": 4}, "not a map of counts"),
        ({"MB(R)": {"post": 2.5}}, "not a whole number"),
        ({"MB(R)": {"post": "4"}}, "not a whole number"),
        ({"MB(R)": {"post": True}}, "not a whole number"),
    ],
)
def test_unreadable_roi_info_is_a_transport_error(
    server: FakeNeuprint, info: Any, message: str
) -> None:
    serve_edges(server, [edge(1, 10, 7, info)])
    with pytest.raises(TransportError, match=message) as raised:
        fetch_adjacencies([1], None, client=client(server))
    assert "1 -> 10" in str(raised.value)


def test_a_missing_weight_is_a_transport_error(server: FakeNeuprint) -> None:
    bad = edge(1, 10, 7, {})
    bad[2] = None
    serve_edges(server, [bad])
    with pytest.raises(TransportError, match="'weight' has missing or non-integer values"):
        fetch_adjacencies([1], None, client=client(server))


def test_whole_float_counts_and_missing_roi_info(server: FakeNeuprint) -> None:
    serve_edges(server, [edge(1, 10, 7, {"MB(R)": {"post": 4.0}}), edge(2, 10, 2, None)])
    _, conn = fetch_adjacencies([1, 2], None, client=client(server))
    assert conn.values.tolist() == [
        [1, 10, "MB(R)", 4],
        [1, 10, "NotPrimary", 3],
        [2, 10, "NotPrimary", 2],  # no roiInfo: every synapse outside the primary ROIs
    ]


# ---------------------------------------------------------------------------------------
# the batch's roiInfo texts: decoded all at once, each exactly as json.loads reads it

_COUNTS = st.dictionaries(
    st.text(max_size=8),
    st.dictionaries(st.sampled_from(["pre", "post", "weightHP"]), st.integers(0, 2**40)),
    max_size=6,
)


@given(st.lists(_COUNTS, max_size=20))
@example([{"MB(R)": {"pre": 1, "post": 2}}, {}])
def test_roi_infos_are_json_loads_of_each_text(infos: list[dict[str, Any]]) -> None:
    from neuprint_dsl.compat.edges import roi_infos as _roi_infos

    texts = [json.dumps(i) for i in infos]
    ids = list(range(len(texts)))
    assert _roi_infos(texts, ids, ids) == [json.loads(t) for t in texts]


def test_roi_infos_fall_back_text_by_text() -> None:
    from neuprint_dsl.compat.edges import roi_infos as _roi_infos

    # NaN is JSON to json.loads but not to msgspec: the whole batch is read text by text
    texts = ['{"FB": {"post": 1}}', '{"EB": {"post": NaN}}', None]
    got = _roi_infos(texts, [1, 2, 3], [4, 5, 6])
    assert got[0] == {"FB": {"post": 1}} and got[2] == {}
    assert list(got[1]) == ["EB"] and got[1]["EB"]["post"] != got[1]["EB"]["post"]
    # a text that is not one JSON object names its connection
    with pytest.raises(TransportError, match=r"connection 2 -> 5 is not a JSON object"):
        _roi_infos(['{"FB": {}}', "[1]"], [1, 2], [4, 5])
    with pytest.raises(TransportError, match=r"connection 2 -> 5 is not JSON"):
        _roi_infos(['{"FB": {}}', '{"FB": {}}, {"EB": {}}'], [1, 2], [4, 5])


def test_the_one_query_is_compiled_with_the_compilers_options() -> None:
    """The batch query is the connections statement compiled with more columns (counts
    after weight, both ends' properties, roiInfo last), not a rewrite of its text; the
    options are refused where a row is not one connection."""
    from neuprint_dsl import E, N, connections
    from neuprint_dsl.cypher import CypherCompiler, get_dialect
    from neuprint_dsl.errors import InvalidArgument

    stmt = connections(N.bodyId.isin([1]), N.type == "a:b", where=E.weight >= 2)
    compiled = CypherCompiler(get_dialect("neo4j")).connections(
        stmt, weights=("weightHP",), neuron_columns=("odd name",), roi_info=True
    )
    assert compiled.columns == (
        "bodyId_pre",
        "bodyId_post",
        "weight",
        "weightHP",
        "odd name_pre",
        "odd name_post",
        "conn_roiInfo",
    )
    returned = compiled.text.splitlines()[-2]
    assert returned == (
        "RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, e.weight AS weight, "
        "coalesce(e.weightHP, 0) AS weightHP, n.`odd name` AS `odd name_pre`, "
        "m.`odd name` AS `odd name_post`, e.roiInfo AS conn_roiInfo"
    )
    plain = CypherCompiler(get_dialect("neo4j")).connections(stmt)
    assert plain.text.splitlines()[:-2] == compiled.text.splitlines()[:-2]  # same MATCH/WHERE
    for other in (connections(per_roi=True), connections(group_by="type")):
        with pytest.raises(InvalidArgument, match="one row per connection"):
            CypherCompiler(get_dialect("neo4j")).connections(other, roi_info=True)
