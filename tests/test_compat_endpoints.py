"""The endpoint methods of the compat ``Client`` (``neuprint_dsl.compat.endpoints``) and the
skeleton helpers (``neuprint_dsl.compat.skeleton``).

* Against the fake neuPrintHTTP (tests/neuprint_server.py): every method's request (method,
  path, query parameters, headers, body) and parsed result, and the error shapes.
* The skeleton helpers on hand-made skeletons: SWC round trips, healing (checked against a
  brute-force minimum spanning tree over the fragments), distances, re-rooting.
* On the embedded engine: the local answers, checked against pandas and plain Python on the
  export files of a generated sample, and the CapabilityError of every server-only method.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuprint_dsl
from neuprint_dsl.compat.client import Client, clear_default_client
from neuprint_dsl.compat.endpoints import COMPLETE_STATUSES
from neuprint_dsl.compat.skeleton import (
    calc_segment_distances,
    fetch_skeleton,
    heal_skeleton,
    reorient_skeleton,
    skeleton_df_to_nx,
    skeleton_df_to_swc,
    skeleton_swc_to_df,
)
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.rois import ROI_HIERARCHY
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import CapabilityError, ServerError, TransportError
from neuprint_dsl.transports import Recording
from tests.neuprint_server import (
    FakeNeuprint,
    Status,
    neuprint_server,  # noqa: F401  (the fixture)
)

DATASET = "hemibrain:v1.2.1"
TOKEN = "secret"
SKELETON_DTYPES = ["int32", "float32", "float32", "float32", "float32", "int32"]

# Three fragments, rowIds interleaved: A along y=0, B along y=10 and C along y=25, each a
# chain. Closest pairs: A-B 10 (A's x=4 node to B's x=4 node), B-C 15, A-C 25; so healing adds
# A-B and B-C, 25 in all.
THREE_FRAGMENTS = """\
# three pieces
1 0 0 0 0 1 -1
2 0 2 0 0 1 1
3 0 4 0 0 1 2
10 0 4 10 0 1 -1
11 0 6 10 0 1 10
12 0 8 10 0 1 11
20 0 8 25 0 1 -1
21 0 12 25 0 1 20
"""


@pytest.fixture
def server(neuprint_server: FakeNeuprint) -> FakeNeuprint:  # noqa: F811
    neuprint_server.token = TOKEN
    return neuprint_server


@pytest.fixture
def client(server: FakeNeuprint) -> Iterator[Client]:
    c = Client(server.url, DATASET, token=TOKEN, timeout=5.0)
    c.transport.backoff = 0.01
    yield c
    c.transport.close()
    clear_default_client()


def last(server: FakeNeuprint) -> Any:
    return server.requests[-1]


def assert_get(server: FakeNeuprint, path: str, **query: str) -> None:
    request = last(server)
    assert (request.method, request.path) == ("GET", path)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.query == {k: [v] for k, v in query.items()}


# -- server metadata -----------------------------------------------------------------------------


def test_fetch_available(server: FakeNeuprint, client: Client) -> None:
    assert client.fetch_available() == server.routes
    assert_get(server, "/api/available")


def test_fetch_help(server: FakeNeuprint, client: Client) -> None:
    assert client.fetch_help() == server.swagger
    assert_get(server, "/api/help/swagger.yaml")
    server.swagger = None  # not configured on the server: echo's 404
    with pytest.raises(ServerError) as err:
        client.fetch_help()
    assert (err.value.status, err.value.message) == (404, "Not Found")


def test_fetch_server_info(server: FakeNeuprint, client: Client) -> None:
    assert client.fetch_server_info() is True
    assert_get(server, "/api/serverinfo")


def test_fetch_version(server: FakeNeuprint, client: Client) -> None:
    server.version = "1.7.4"
    assert client.fetch_version() == "1.7.4"
    assert_get(server, "/api/version")


def test_fetch_database_instances_db_version(server: FakeNeuprint, client: Client) -> None:
    assert client.fetch_database() == server.database
    assert_get(server, "/api/dbmeta/database")
    assert client.fetch_instances() == server.instances
    assert_get(server, "/api/dbmeta/instances")
    assert client.fetch_db_version() == "0.5.0"
    assert_get(server, "/api/dbmeta/version")


def test_fetch_datasets_is_cached_per_client(server: FakeNeuprint, client: Client) -> None:
    assert client.fetch_datasets() == server.datasets
    server.datasets = {**server.datasets, "new:v1": {"ROIs": []}}
    assert "new:v1" not in client.fetch_datasets()  # cached
    assert len(server.requests_to("/api/dbmeta/datasets")) == 1
    assert "new:v1" in client.fetch_datasets(reload_cache=True)
    assert len(server.requests_to("/api/dbmeta/datasets")) == 2
    other = Client(server.url, DATASET, token=TOKEN, timeout=5.0)  # its own cache
    assert "new:v1" in other.fetch_datasets()
    assert len(server.requests_to("/api/dbmeta/datasets")) == 3


def test_fetch_profile_and_token(server: FakeNeuprint, client: Client) -> None:
    assert client.fetch_profile() == server.profile
    assert_get(server, "/profile")
    assert client.fetch_token() == TOKEN
    assert_get(server, "/token")


# -- cached tables -------------------------------------------------------------------------------

DAILY = {
    "info": {"typename": "MBON14", "numtype": 2, "numpre": 513, "numpost": 5041, "bodyid": 7},
    "connectivity": {
        "columns": ["m.bodyId", "m.type", "x.weight", "x.roiInfo", "m.status", "direction"],
        "data": [
            [11, "KC", 3, '{"MB(R)": 3}', "Traced", "upstream"],
            [12, None, 8, '{"SMP(R)": 8}', "Traced", "downstream"],
        ],
        "debug": "MATCH ...",
    },
    "skeleton": {
        "columns": ["rowId", "x", "y", "z", "radius", "link"],
        "data": [[1, 0.0, 1.0, 2.0, 3.0, -1], [2, 1.0, 1.0, 2.0, 3.0, 1]],
    },
}


def test_fetch_daily_type(server: FakeNeuprint, client: Client) -> None:
    server.daily_type[DATASET] = DAILY  # sent gzipped, as neuPrintHTTP does
    info, connectivity, skeleton = client.fetch_daily_type()
    assert_get(server, "/api/cached/dailytype", dataset=DATASET)
    assert info == DAILY["info"]
    expected = pd.DataFrame(DAILY["connectivity"]["data"], columns=DAILY["connectivity"]["columns"])
    pd.testing.assert_frame_equal(connectivity, expected)
    assert skeleton is not None
    assert skeleton["rowId"].tolist() == [1, 2] and skeleton["link"].tolist() == [-1, 1]
    assert client.fetch_daily_type(format="json") == DAILY
    # no skeleton for the exemplar: None (neuprint-python fails on it)
    server.daily_type[DATASET] = {**DAILY, "skeleton": None}
    assert client.fetch_daily_type()[2] is None
    with pytest.raises(ValueError, match="format"):
        client.fetch_daily_type(format="csv")  # type: ignore[call-overload]


def test_fetch_roi_completeness(server: FakeNeuprint, client: Client) -> None:
    document = {
        "columns": ["roi", "roipre", "roipost", "totalpre", "totalpost"],
        "data": [["AB(L)", 10, 20, 15, 40], ["MB(R)", 1000, 3000, 1200, 4000]],
    }
    server.roi_completeness[DATASET] = document
    frame = client.fetch_roi_completeness()
    assert_get(server, "/api/cached/roicompleteness", dataset=DATASET)
    pd.testing.assert_frame_equal(
        frame, pd.DataFrame(document["data"], columns=document["columns"])
    )
    assert client.fetch_roi_completeness(format="json") == document


def test_fetch_roi_connectivity(server: FakeNeuprint, client: Client) -> None:
    document = {
        "roi_names": ["FB", "EPA(R)", "gL(L)"],
        "weights": {
            "EPA(R)=>gL(L)": {"count": 7, "weight": 1.253483174941712},
            "FB=>FB": {"count": 110, "weight": 496.733276906109},
        },
    }
    server.roi_connectivity[DATASET] = document
    frame = client.fetch_roi_connectivity()
    assert_get(server, "/api/cached/roiconnectivity", dataset=DATASET)
    assert list(frame.columns) == ["from_roi", "to_roi", "count", "weight"]
    assert frame.values.tolist() == [
        ["EPA(R)", "gL(L)", 7, 1.253483174941712],
        ["FB", "FB", 110, 496.733276906109],
    ]
    assert frame["count"].dtype == np.int64 and frame["weight"].dtype == np.float64
    assert client.fetch_roi_connectivity(format="json") == document


def test_cached_table_of_unknown_dataset(server: FakeNeuprint, client: Client) -> None:
    with pytest.raises(ServerError) as err:
        client.fetch_roi_completeness()
    assert err.value.status == 400 and DATASET in err.value.message


# -- meshes, skeletons, key-value ------------------------------------------------------------------


def test_fetch_roi_mesh(server: FakeNeuprint, client: Client, tmp_path: Path) -> None:
    mesh = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
    server.meshes[(DATASET, "a'L(R)")] = mesh
    target = tmp_path / "roi.obj"
    assert client.fetch_roi_mesh("a'L(R)", export_path=target) == mesh
    assert target.read_bytes() == mesh
    # the ROI name is quoted; ':' stays as it is (Go's PathEscape)
    assert_get(server, f"/api/roimeshes/mesh/{DATASET}/a%27L%28R%29")
    with pytest.raises(ServerError) as err:
        client.fetch_roi_mesh("no such ROI")
    assert err.value.status == 404 and "no such ROI" in err.value.message
    assert last(server).path.endswith("/no%20such%20ROI")


def test_fetch_skeleton_formats(server: FakeNeuprint, client: Client, tmp_path: Path) -> None:
    server.skeletons[(DATASET, 5813)] = THREE_FRAGMENTS
    swc = client.fetch_skeleton(5813, format="swc")
    assert swc == THREE_FRAGMENTS
    assert_get(server, f"/api/skeletons/skeleton/{DATASET}/5813", format="swc")
    df = client.fetch_skeleton("5813")
    assert list(df.columns) == ["rowId", "x", "y", "z", "radius", "link"]
    assert df.dtypes.astype(str).tolist() == SKELETON_DTYPES
    assert df["rowId"].tolist() == [1, 2, 3, 10, 11, 12, 20, 21]
    assert df["link"].tolist() == [-1, 1, 2, -1, 10, 11, -1, 20]
    # export_path gets the server's SWC as it is when not healed
    target = tmp_path / "s.swc"
    client.fetch_skeleton(5813, export_path=target)
    assert target.read_text() == THREE_FRAGMENTS


def test_fetch_skeleton_heal_and_distances(
    server: FakeNeuprint, client: Client, tmp_path: Path
) -> None:
    server.skeletons[(DATASET, 5813)] = THREE_FRAGMENTS
    target = tmp_path / "healed.swc"
    df = client.fetch_skeleton(5813, heal=True, with_distances=True, export_path=target)
    assert df["link"].tolist() == [-1, 1, 2, 3, 10, 11, 12, 20]
    assert df["distance"].dtype == np.float32
    assert df["distance"].tolist() == [math.inf, 2, 2, 10, 2, 2, 15, 4]
    healed = skeleton_swc_to_df(target)  # the healed SWC, without distances
    pd.testing.assert_frame_equal(healed, df.drop(columns="distance"))
    swc = client.fetch_skeleton(5813, heal=True, format="swc")
    pd.testing.assert_frame_equal(skeleton_swc_to_df(swc), healed)
    # heal=<number>: links longer than that are not added (C stays apart)
    df = client.fetch_skeleton(5813, heal=12.0)
    assert df["link"].tolist() == [-1, 1, 2, 3, 10, 11, -1, 20]
    # the module-level function, on an explicit client
    assert fetch_skeleton(5813, format="swc", client=client) == THREE_FRAGMENTS


def test_fetch_skeleton_nx(server: FakeNeuprint, client: Client) -> None:
    pytest.importorskip("networkx")
    server.skeletons[(DATASET, 5813)] = THREE_FRAGMENTS
    graph = client.fetch_skeleton(5813, heal=True, format="nx", with_distances=True)
    assert graph.number_of_nodes() == 8 and graph.number_of_edges() == 7
    assert graph.edges[20, 12]["distance"] == 15  # child -> parent


def test_fetch_skeleton_bad_arguments(server: FakeNeuprint, client: Client) -> None:
    before = len(server.requests)
    for body in ("abc", 1.5, None, True):
        with pytest.raises(ValueError, match="integer body ID"):
            client.fetch_skeleton(body)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="with_distances"):
        client.fetch_skeleton(1, format="swc", with_distances=True)
    with pytest.raises(ValueError, match="format"):
        client.fetch_skeleton(1, format="csv")  # type: ignore[arg-type]
    assert len(server.requests) == before  # nothing sent
    with pytest.raises(ServerError) as err:  # no skeleton for that body
        client.fetch_skeleton(404)
    assert err.value.status == 400 and "404_swc" in err.value.message


def test_raw_keyvalue(server: FakeNeuprint, client: Client) -> None:
    server.keyvalues["kv"] = {"a b": b"\x00\x01 binary"}
    assert client.fetch_raw_keyvalue("kv", "a b") == b"\x00\x01 binary"
    assert_get(server, "/api/raw/keyvalue/key/kv/a%20b")
    # admin-only: a 401 (or 403) is a ServerError, nothing is stored
    with pytest.raises(ServerError) as err:
        client.post_raw_keyvalue("kv", "new", b"\xffdata")
    assert (err.value.status, err.value.message) == (401, "Unauthorized")
    assert "new" not in server.keyvalues["kv"]
    server.fail(Status(403, {"message": "admin only"}), path="/api/raw/keyvalue/key/kv/new")
    with pytest.raises(ServerError) as err:
        client.post_raw_keyvalue("kv", "new", b"\xffdata")
    assert err.value.status == 403
    server.admin = True
    assert client.post_raw_keyvalue("kv", "new", b"\xffdata") is None
    assert server.keyvalues["kv"]["new"] == b"\xffdata"
    request = last(server)
    assert (request.method, request.path, request.body) == (
        "POST",
        "/api/raw/keyvalue/key/kv/new",
        b"\xffdata",
    )
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(TypeError, match="bytes"):
        client.post_raw_keyvalue("kv", "new", "text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="instance"):
        client.fetch_raw_keyvalue("", "k")


# -- error shapes --------------------------------------------------------------------------------


def test_wrong_token_is_a_server_error(server: FakeNeuprint) -> None:
    c = Client(server.url, DATASET, token="wrong", timeout=5.0)
    try:
        for method in (c.fetch_profile, c.fetch_token, c.fetch_available, c.fetch_roi_completeness):
            with pytest.raises(ServerError) as err:
                method()
            assert (err.value.status, err.value.message) == (401, "invalid or expired token")
    finally:
        clear_default_client()


def test_not_found_is_a_server_error(server: FakeNeuprint, client: Client) -> None:
    server.fail(Status(404, {"message": "Not Found"}), path="/api/dbmeta/instances")
    with pytest.raises(ServerError) as err:
        client.fetch_instances()
    assert (err.value.status, err.value.message) == (404, "Not Found")


def test_answers_of_the_wrong_shape(server: FakeNeuprint, client: Client) -> None:
    server.routes = {"not": "a list"}  # type: ignore[assignment]
    with pytest.raises(TransportError, match="expected a JSON array"):
        client.fetch_available()
    server.fail(Status(200, {"Email": "x"}), path="/token")
    with pytest.raises(TransportError, match="no 'token'"):
        client.fetch_token()
    server.fail(Status(200, b"not json"), path="/profile")
    with pytest.raises(TransportError, match="invalid JSON"):
        client.fetch_profile()


# -- skeleton helpers ----------------------------------------------------------------------------


def skeleton(rows: list[tuple[int, float, float, float, float, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["rowId", "x", "y", "z", "radius", "link"])
    return df.astype(dict(zip(df.columns, SKELETON_DTYPES, strict=True)))


def test_swc_round_trip(tmp_path: Path) -> None:
    df = skeleton([(1, 0.5, 1.25, -3.0, 2.5, -1), (2, 1e4, 2.0, 3.0, 0.1, 1), (7, 3, 4, 5, 1, 2)])
    swc = skeleton_df_to_swc(df, export_path=tmp_path / "x.swc")
    assert swc.splitlines()[0] == "# rowId node_type x y z radius link"
    assert swc.splitlines()[2] == "2 0 10000.0 2.0 3.0 0.1 1"
    pd.testing.assert_frame_equal(skeleton_swc_to_df(swc), df)
    pd.testing.assert_frame_equal(skeleton_swc_to_df(tmp_path / "x.swc"), df)
    pd.testing.assert_frame_equal(skeleton_swc_to_df(str(tmp_path / "x.swc")), df)
    pd.testing.assert_frame_equal(skeleton_swc_to_df(io.StringIO(swc)), df)
    # whitespace and comments as NeuTu writes them
    messy = "#comment\n\n  1  0 0.5 1.25 -3 2.5 -1\n2\t0 10000 2 3 0.1 1\n# x\n7 0 3 4 5 1 2\n"
    pd.testing.assert_frame_equal(skeleton_swc_to_df(messy), df)


def test_swc_errors_and_empty() -> None:
    empty = skeleton_swc_to_df("# nothing\n")
    assert len(empty) == 0 and empty.dtypes.astype(str).tolist() == SKELETON_DTYPES
    with pytest.raises(ValueError, match="line 2: 6 fields"):
        skeleton_swc_to_df("1 0 0 0 0 1 -1\n2 0 0 0 1 1\n")
    with pytest.raises(ValueError, match="malformed SWC"):
        skeleton_swc_to_df("1 0 zero 0 0 1 -1\n")


def test_heal_three_fragments_with_the_shortest_links() -> None:
    df = skeleton_swc_to_df(THREE_FRAGMENTS).sample(frac=1, random_state=3)  # any row order
    healed = heal_skeleton(df)
    assert healed["rowId"].tolist() == [1, 2, 3, 10, 11, 12, 20, 21]
    assert (healed["link"] == -1).sum() == 1
    edges = set(zip(healed["rowId"], healed["link"], strict=True)) - {(1, -1)}
    original = {(r, p) for r, p in zip(df["rowId"], df["link"], strict=True) if p != -1}
    undirected = {frozenset(e) for e in edges}
    assert {frozenset(e) for e in original} <= undirected
    assert undirected - {frozenset(e) for e in original} == {
        frozenset((3, 10)),
        frozenset((12, 20)),
    }
    assert healed.dtypes.astype(str).tolist() == SKELETON_DTYPES
    # already one tree: unchanged
    again = heal_skeleton(healed, root_parent=-1)
    assert again is healed


def test_heal_edge_cases() -> None:
    one = skeleton([(5, 0, 0, 0, 1, -1)])
    assert heal_skeleton(one)["link"].tolist() == [-1]
    assert len(heal_skeleton(one.iloc[:0])) == 0
    far = skeleton([(1, 0, 0, 0, 1, -1), (2, 100, 0, 0, 1, -1)])
    assert heal_skeleton(far, max_distance=False)["link"].tolist() == [-1, -1]
    assert heal_skeleton(far, max_distance=True)["link"].tolist() == [-1, 1]
    with pytest.raises(ValueError, match="duplicate rowId"):
        heal_skeleton(skeleton([(1, 0, 0, 0, 1, -1), (1, 1, 0, 0, 1, -1)]))
    with pytest.raises(ValueError, match="cycle"):
        heal_skeleton(skeleton([(1, 0, 0, 0, 1, 2), (2, 1, 0, 0, 1, 1), (3, 5, 5, 5, 1, -1)]))


@st.composite
def forests(draw: Any) -> pd.DataFrame:
    """Random skeletons of 1-6 fragments (random trees) at integer coordinates."""
    count = draw(st.integers(1, 6))
    row_ids = draw(st.permutations(list(range(1, 41))))
    sizes = [draw(st.integers(1, 6)) for _ in range(count)]
    rows, used = [], 0
    for size in sizes:
        ids = row_ids[used : used + size]
        used += size
        cx, cy = draw(st.integers(-50, 50)), draw(st.integers(-50, 50))
        for k, rid in enumerate(ids):
            parent = -1 if k == 0 else ids[draw(st.integers(0, k - 1))]
            x, y = cx + draw(st.integers(-5, 5)), cy + draw(st.integers(-5, 5))
            rows.append((rid, x, y, draw(st.integers(-5, 5)), 1.0, parent))
    return skeleton(rows)


def fragments_of(df: pd.DataFrame) -> list[set[int]]:
    parent = dict(zip(df["rowId"].tolist(), df["link"].tolist(), strict=True))

    def root(r: int) -> int:
        while parent[r] in parent:
            r = parent[r]
        return r

    groups: dict[int, set[int]] = {}
    for r in parent:
        groups.setdefault(root(r), set()).add(r)
    return list(groups.values())


@settings(max_examples=60, deadline=None)
@given(forests())
def test_heal_adds_a_minimum_spanning_tree_of_fragment_links(df: pd.DataFrame) -> None:
    healed = heal_skeleton(df)
    parent = dict(zip(healed["rowId"].tolist(), healed["link"].tolist(), strict=True))
    assert list(parent.values()).count(-1) == 1
    assert len(fragments_of(healed)) == 1  # one tree (every node reaches the root)
    xyz = {r: np.array([x, y, z], float) for r, x, y, z in df[["rowId", "x", "y", "z"]].values}
    original = {frozenset((r, p)) for r, p in zip(df["rowId"], df["link"], strict=True) if p != -1}
    now = {frozenset((r, p)) for r, p in parent.items() if p != -1}
    added = now - original
    assert original <= now
    frags = fragments_of(df)
    assert len(added) == len(frags) - 1
    # the added length is the weight of a minimum spanning tree over the fragments, whose
    # edge between two fragments is the distance of their closest nodes (Prim, brute force)
    gap = {
        (i, j): min(np.linalg.norm(xyz[a] - xyz[b]) for a in frags[i] for b in frags[j])
        for i, j in combinations(range(len(frags)), 2)
    }
    inside, mst = {0}, 0.0
    while len(inside) < len(frags):
        weight, k = min(
            (gap[min(i, j), max(i, j)], j)
            for i in inside
            for j in range(len(frags))
            if j not in inside
        )
        inside.add(k)
        mst += weight
    added_length = sum(np.linalg.norm(xyz[a] - xyz[b]) for a, b in map(tuple, added))
    assert added_length == pytest.approx(mst)
    # every added link joins two closest nodes of the fragments it joins
    for a, b in map(tuple, added):
        fa = next(i for i, f in enumerate(frags) if a in f)
        fb = next(i for i, f in enumerate(frags) if b in f)
        assert np.linalg.norm(xyz[a] - xyz[b]) == pytest.approx(gap[min(fa, fb), max(fa, fb)])


def test_calc_segment_distances() -> None:
    df = skeleton(
        [(1, 0, 0, 0, 1, -1), (2, 3, 4, 0, 1, 1), (3, 3, 4, 12, 1, 2), (4, 9, 9, 9, 1, 99)]
    )
    assert calc_segment_distances(df).tolist() == [math.inf, 5, 12, math.inf]
    assert calc_segment_distances(df, root_dist=0.0).tolist() == [0, 5, 12, 0]
    assert calc_segment_distances(df).dtype == np.float32


def test_reorient_skeleton() -> None:
    df = skeleton([(1, 0, 0, 0, 1, -1), (2, 1, 0, 0, 5, 1), (3, 2, 0, 0, 1, 2), (4, 1, 1, 0, 1, 2)])
    reorient_skeleton(df, rowId=3)
    assert df["link"].tolist() == [2, 3, -1, 2]
    reorient_skeleton(df, xyz=(0.1, 0, 0))
    assert df["link"].tolist() == [-1, 1, 2, 2]
    reorient_skeleton(df, use_max_radius=True)
    assert df["link"].tolist() == [2, -1, 2, 2]
    with pytest.raises(ValueError, match="exactly one"):
        reorient_skeleton(df)


def test_skeleton_df_to_nx() -> None:
    pytest.importorskip("networkx")
    df = skeleton([(1, 0, 0, 0, 1, -1), (2, 3, 4, 0, 1, 1)])
    g = skeleton_df_to_nx(df, with_distances=True)
    assert list(g.edges(data=True)) == [(2, 1, {"distance": 5.0})]
    g = skeleton_df_to_nx(df, directed=False, virtual_roots=True, with_attributes=False)
    assert sorted(map(sorted, g.edges())) == [[-1, 1], [1, 2]]


# -- the embedded engine -------------------------------------------------------------------------


class Sample:
    def __init__(self, directory: Path, client: Client) -> None:
        self.directory = directory
        self.client = client
        self.neurons = pd.read_csv(directory / "neurons.csv")
        self.roi_connections = pd.read_csv(directory / "roi-connections.csv")
        self.neuron_info = {
            int(b): json.loads(info)
            for b, info in zip(self.neurons["bodyId"], self.neurons["roiInfo"], strict=True)
        }
        # bodies that are only in connections (Segments): roiInfo derived from the connections
        # by the loader, "post" the incoming weight per (primary) ROI, no "pre"
        rows = self.roi_connections[self.roi_connections["roi"] != "NotPrimary"]
        rows = rows[~rows["bodyId_post"].isin(self.neurons["bodyId"])]
        self.segment_info: dict[int, dict[str, dict[str, int]]] = {}
        for (body, roi), weight in rows.groupby(["bodyId_post", "roi"])["weight"].sum().items():
            self.segment_info.setdefault(int(body), {})[str(roi)] = {"post": int(weight)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    directory = tmp_path_factory.mktemp("sample")
    generate_sample(directory, neurons=150, edges=1500, seed=11)
    # every 10th neuron becomes a body known only from its connections (a Segment)
    neurons = pd.read_csv(directory / "neurons.csv", dtype=str, keep_default_na=False)
    neurons.drop(neurons.index[::10]).to_csv(directory / "neurons.csv", index=False)
    db = neuprint_dsl.embedded(load(directory, directory / "graph.lbug"))
    client = Client(transport=db)
    clear_default_client()
    yield Sample(directory, client)
    db.close()


def test_embedded_sample_has_segments(sample: Sample) -> None:
    assert len(sample.segment_info) > 5


def test_embedded_local_answers(sample: Sample) -> None:
    c = sample.client
    assert c.fetch_version() == f"neuprint-dsl {neuprint_dsl.__version__} (embedded)"
    assert c.fetch_db_version() == "embedded"
    assert c.fetch_database() == {
        "Location": str((sample.directory / "graph.lbug").resolve()),
        "Description": "neuprint-dsl embedded (Ladybug)",
    }
    meta = json.loads((sample.directory / "meta.json").read_text())
    top = sorted(child["name"] for child in ROI_HIERARCHY["children"])
    assert c.fetch_datasets() == {
        meta["dataset"]: {
            "ROIs": sorted(meta["rois"]),
            "superLevelROIs": top,
            "description": meta["description"],
            "synthetic": True,
        }
    }
    assert c.fetch_datasets(reload_cache=True) == c.fetch_datasets()


def test_embedded_roi_completeness_matches_pandas(sample: Sample) -> None:
    """neuPrintHTTP's definition: per ROI in a complete neuron's roiInfo, the summed pre/post
    of the complete neurons; the totals are the dataset's (every body, Segments included)."""
    long = pd.DataFrame(
        [
            (body, status, roi, counts.get("pre", 0), counts.get("post", 0))
            for (body, info), status in zip(
                sample.neuron_info.items(), sample.neurons["status"], strict=True
            )
            for roi, counts in info.items()
        ],
        columns=["body", "status", "roi", "pre", "post"],
    )
    segments = pd.DataFrame(
        [
            (body, roi, counts.get("pre", 0), counts.get("post", 0))
            for body, info in sample.segment_info.items()
            for roi, counts in info.items()
        ],
        columns=["body", "roi", "pre", "post"],
    )
    totals = pd.concat([long[["roi", "pre", "post"]], segments[["roi", "pre", "post"]]])
    totals = totals.groupby("roi")[["pre", "post"]].sum()
    complete = long[long["status"].isin(COMPLETE_STATUSES)]
    assert set(complete["status"]) >= {"Traced", "Roughly traced"}
    assert set(long["status"].dropna()) - set(COMPLETE_STATUSES)  # some are left out
    expected = complete.groupby("roi")[["pre", "post"]].sum().reset_index()
    expected.columns = ["roi", "roipre", "roipost"]
    expected["totalpre"] = expected["roi"].map(totals["pre"])
    expected["totalpost"] = expected["roi"].map(totals["post"])
    expected = expected.astype({c: "int64" for c in expected.columns[1:]})
    frame = sample.client.fetch_roi_completeness()
    pd.testing.assert_frame_equal(frame, expected)
    assert (frame["totalpost"] > frame["roipost"]).any()  # the Segments count in the totals
    document = sample.client.fetch_roi_completeness(format="json")
    assert document["columns"] == ["roi", "roipre", "roipost", "totalpre", "totalpost"]
    assert document["data"] == expected.values.tolist()


def test_embedded_roi_connectivity_matches_neuprinthttp_loop(sample: Sample) -> None:
    """A transcription of neuPrintHTTP's getROIConnectivity_int loop, over the neurons'
    roiInfo (Neurons only, not Segments) and the super-level ROIs of the Meta roiInfo (every
    ROI of the dataset)."""
    meta = json.loads((sample.directory / "meta.json").read_text())
    supers = {c["name"] for c in ROI_HIERARCHY["children"]} & set(meta["rois"])
    table: dict[str, list[float]] = {}
    for info in sample.neuron_info.values():
        for roi, counts in info.items():
            numout = counts.get("pre", 0)
            if roi not in supers or numout <= 0:
                continue
            totalin = sum(c.get("post", 0) for r, c in info.items() if r in supers)
            if totalin <= 0:
                continue
            for roi2, counts2 in info.items():
                if roi2 not in supers or counts2.get("post", 0) == 0:
                    continue
                entry = table.setdefault(f"{roi2}=>{roi}", [0, 0.0])
                entry[0] += 1
                entry[1] += numout * counts2["post"] / totalin
    document = sample.client.fetch_roi_connectivity(format="json")
    assert document["roi_names"] == sorted(supers)
    assert list(document["weights"]) == sorted(table)  # Go sorts a map's keys
    for key, (count, weight) in table.items():
        assert document["weights"][key]["count"] == count
        assert document["weights"][key]["weight"] == pytest.approx(weight, rel=1e-12)
    frame = sample.client.fetch_roi_connectivity()
    assert list(frame.columns) == ["from_roi", "to_roi", "count", "weight"]
    assert len(frame) == len(table) > 10
    assert frame["count"].dtype == np.int64 and frame["weight"].dtype == np.float64
    first = frame.iloc[0]
    assert f"{first['from_roi']}=>{first['to_roi']}" == sorted(table)[0]


SERVER_ONLY = {
    "fetch_available": (),
    "fetch_help": (),
    "fetch_server_info": (),
    "fetch_profile": (),
    "fetch_token": (),
    "fetch_daily_type": (),
    "fetch_instances": (),
    "fetch_roi_mesh": ("MB(R)",),
    "fetch_skeleton": (1,),
    "fetch_raw_keyvalue": ("kv", "key"),
    "post_raw_keyvalue": ("kv", "key", b"value"),
}


@pytest.mark.parametrize("method", sorted(SERVER_ONLY))
def test_embedded_server_only_methods(sample: Sample, method: str) -> None:
    with pytest.raises(CapabilityError) as err:
        getattr(sample.client, method)(*SERVER_ONLY[method])
    assert err.value.construct == method
    assert err.value.backend == "the embedded engine"
    assert err.value.supported_by == ("a neuPrint server",)
    assert str(err.value) == f"the embedded engine cannot express {method}; use a neuPrint server"


LOCAL = ["fetch_version", "fetch_database", "fetch_datasets", "fetch_db_version"]
LOCAL += ["fetch_roi_completeness", "fetch_roi_connectivity"]


@pytest.mark.parametrize("method", sorted(set(SERVER_ONLY) | set(LOCAL)))
def test_other_transports(method: str) -> None:
    c = Client(transport=Recording())
    try:
        with pytest.raises(CapabilityError) as err:
            getattr(c, method)(*SERVER_ONLY.get(method, ()))
        assert err.value.construct == method and err.value.backend == "Recording"
        local = ("a neuPrint server", "the embedded engine")
        assert err.value.supported_by == (local if method in LOCAL else local[:1])
    finally:
        clear_default_client()
