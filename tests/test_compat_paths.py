"""``neuprint_dsl.compat.fetch_paths`` against neuprint-python's ``fetch_paths`` on one dataset.

One synthetic dataset (a small hemibrain-shaped sample) is served three ways:

* loaded into the embedded engine, queried by compat's ``fetch_paths``;
* by the local neuPrint stand-in (tests/neuprint_server.py), which answers compat's
  ``connections``/``neurons`` statements from the same graph (``serve_graph``) and
  neuprint-python's one path query (``MATCH p = (src)-[:ConnectsTo*k]->(dest) ...`` inside
  ``apoc.cypher.runTimeboxed``) from an independent enumeration of Neo4j's answer: every path
  of the asked length whose connections are distinct (Neo4j never binds one relationship twice
  in a pattern), weights >= min_weight and bodies satisfying the criteria or being an end;
* compat's ``fetch_paths`` over HTTP and neuprint-python's ``fetch_paths`` both query it.

All three answers must be the same paths, with the same columns and values (neuprint-python
lists paths in the server's order; compat sorts them, so paths are compared as sorted lists).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

import neuprint_dsl
from neuprint_dsl import N, QueryTimeout
from neuprint_dsl.compat import Client, clear_default_client, fetch_shortest_paths
from neuprint_dsl.compat import NeuronCriteria as NC
from neuprint_dsl.compat.paths import _trails, fetch_paths
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import InvalidArgument
from neuprint_dsl.transports.neuprint_http import NeuprintHTTP

from .neuprint_server import (  # noqa: F401 (the fixture)
    ConnectsTo,
    FakeNeuprint,
    Segment,
    neuprint_server,
    serve_graph,
)

neuprint = pytest.importorskip("neuprint")

DATASET = "hemibrain:v1.2.1"
TOKEN = "test-token"
Path_ = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Data:
    directory: Path
    records: dict[int, dict[str, Any]]
    out: dict[int, dict[int, int]]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    directory = tmp_path_factory.mktemp("paths") / "export"
    generate_sample(directory, neurons=70, edges=420, seed=5, synapses=False)
    neurons = pd.read_csv(directory / "neurons.csv", dtype={"bodyId": "int64"})
    records = {
        int(r["bodyId"]): {k: (None if pd.isna(v) else v) for k, v in r.items()}
        for r in neurons[["bodyId", "type", "status", "pre"]].to_dict("records")
    }
    total = pd.read_csv(directory / "total-connections.csv")
    out: dict[int, dict[int, int]] = {b: {} for b in records}
    for pre, post, weight in total[["bodyId_pre", "bodyId_post", "weight"]].itertuples(
        index=False, name=None
    ):
        out[int(pre)][int(post)] = int(weight)
    return Data(directory, records, out)


@pytest.fixture(scope="module")
def embedded_client(data: Data, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    db = load(data.directory, tmp_path_factory.mktemp("paths-db") / "graph.lbug")
    client = Client(transport=neuprint_dsl.embedded(db))
    yield client
    client.transport.close()
    clear_default_client()


def neo4j_paths(
    data: Data,
    start: int,
    goal: int,
    lengths: range,
    min_weight: int,
    allowed: Callable[[dict[str, Any]], bool],
) -> list[Path_]:
    """What Neo4j binds ``p`` to: every walk start -> goal with a length in ``lengths``, no
    relationship used twice, weights >= min_weight, every body allowed or an end. Brute
    force: every sequence of bodies of each length is tried."""
    ok = {b for b, r in data.records.items() if allowed(r)} | {start, goal}
    found: list[Path_] = []

    def extend(path: list[int]) -> None:
        hops = len(path) - 1
        if hops in lengths and path[-1] == goal:
            steps = list(itertools.pairwise(path))
            if len(set(steps)) == len(steps):
                found.append(((start, 0), *((b, data.out[a][b]) for a, b in steps)))
        if hops == max(lengths):
            return
        for nxt, weight in data.out[path[-1]].items():
            if weight >= min_weight and nxt in ok:
                extend([*path, nxt])

    extend([start])
    return found


_PATTERN = re.compile(
    r"bodyId: (?P<src>\d+) \}\),\s*\(dest:Neuron \{ bodyId: (?P<dest>\d+) \}\),\s*"
    r"p = \(src\)-\[:ConnectsTo\*(?:(?P<exact>\d+)|1\.\.(?P<most>\d+))\]->\(dest\)\s*"
    r"WHERE\s+ALL \(x in relationships\(p\) WHERE x\.weight >= (?P<weight>\d+)\)\s*"
    r"AND ALL \(n in nodes\(p\) (?P<nodes>.*?)\)\s*RETURN",
    re.S,
)


def serve_neuprint_python_paths(
    server: FakeNeuprint,
    data: Data,
    condition: str,
    allowed: Callable[[dict[str, Any]], bool],
) -> None:
    """Answer neuprint-python's fetch_paths query (the runTimeboxed wrapper's columns), when
    its node condition is ``condition``, with :func:`neo4j_paths`."""

    def answer(cypher: str) -> tuple[list[str], list[list[Any]]]:
        found = _PATTERN.search(cypher)
        assert found is not None, cypher
        nodes = found["nodes"].replace("\\", "")
        assert re.sub(r"\s+", " ", nodes).strip() == condition.format(**found.groupdict())
        most = int(found["exact"] or found["most"])
        lengths = range(most, most + 1) if found["exact"] else range(1, most + 1)
        paths = neo4j_paths(
            data, int(found["src"]), int(found["dest"]), lengths, int(found["weight"]), allowed
        )
        rows = [
            [
                [[b, data.records[b]["type"]] for b, _ in path],
                [w for _, w in path[1:]],
                len(path) - 1,
            ]
            for path in reversed(paths)  # any order: Neo4j promises none
        ]
        return ["path", "weights", "path_length"], rows

    server.answer("apoc.cypher.runTimeboxed", answer)


def neuprint_python_client(url: str) -> Any:
    """A real ``neuprint.Client`` for the local server: its ``__init__`` refuses ``http://``,
    so the client gets the attributes ``__init__`` sets, with the session mounted on http."""
    client = object.__new__(neuprint.Client)
    client.progress = False
    client.server = url
    client.token = TOKEN
    client.session = requests.Session()
    client.session.headers.update(
        {"Authorization": "Bearer " + TOKEN, "Content-type": "application/json"}
    )
    client.verify = True
    client.dataset = DATASET
    return client


@pytest.fixture
def served(data: Data, neuprint_server: FakeNeuprint) -> FakeNeuprint:  # noqa: F811
    segments = [
        Segment(b, {k: v for k, v in r.items() if k != "bodyId" and v is not None})
        for b, r in data.records.items()
    ]
    edges = [ConnectsTo(a, b, w, "{}") for a, posts in data.out.items() for b, w in posts.items()]
    serve_graph(neuprint_server, segments, edges)
    meta = neuprint_server.meta[DATASET]
    # neuprint-python's own Meta query (made when NeuronCriteria gets a client)
    neuprint_server.answer(
        "apoc.convert.fromJsonMap(m.roiInfo) as roiInfo",
        [
            "meta",
            "roiInfo",
            "roiHierarchy",
            "neuroglancerInfo",
            "neuroglancerMeta",
            "statusDefinitions",
        ],
        [[meta, json.loads(meta["roiInfo"]), json.loads(meta["roiHierarchy"]), None, None, None]],
    )
    return neuprint_server


def as_paths(frame: pd.DataFrame) -> list[tuple[Path_, int | None]]:
    out = []
    for _, rows in frame.groupby("path", sort=True):
        path = tuple(zip(rows["bodyId"].tolist(), rows["weight"].tolist(), strict=True))
        length = int(rows["path_length"].iloc[0]) if "path_length" in rows else None
        out.append((path, length))
    return sorted(out)


def type_pairs(frame: pd.DataFrame) -> set[tuple[int, str | None]]:
    return {
        (int(b), None if pd.isna(t) else str(t))
        for b, t in zip(frame["bodyId"], frame["type"], strict=True)
    }


def pick_pairs(data: Data, hops: int, count: int) -> list[tuple[int, int]]:
    """Pairs (deterministic) joined by several paths of ``hops`` connections."""
    scored = []
    bodies = sorted(data.records)
    for a in bodies[:25]:
        for b in bodies:
            if a == b and scored:
                continue  # one cycle back to the start at most
            n = len(neo4j_paths(data, a, b, range(hops, hops + 1), 1, lambda r: True))
            if 2 <= n <= 60:
                scored.append((n, a, b))
    scored.sort(reverse=True)
    assert len(scored) >= count
    return [(a, b) for _, a, b in scored[:count]]


TRACED = (
    "WHERE n.status = 'Traced' OR n.bodyId in [{src}, {dest}]",
    lambda r: r["status"] == "Traced",
)
ANY = ("WHERE TRUE", lambda r: True)
TWO = (
    "WHERE n.status in ['Traced', 'Roughly traced'] OR n.bodyId in [{src}, {dest}]",
    lambda r: r["status"] in ("Traced", "Roughly traced"),
)

CASES = [
    # (criteria for both clients, (condition neuprint-python sends, the same as Python), kwargs)
    ("default", None, TRACED, {"path_length": 2}),
    ("default-3", None, TRACED, {"path_length": 3}),
    ("max-3-weight", None, TRACED, {"max_path_length": 3, "min_weight": 2}),
    ("no-criteria", "none", ANY, {"path_length": 3}),
    ("two-statuses", "two", TWO, {"max_path_length": 2}),
]


def _criteria(name: str | None, *, ours: bool, client: Any) -> Any:
    if name is None:
        return None
    if name == "none":
        return NC() if ours else neuprint.NeuronCriteria(client=client)
    statuses = ["Traced", "Roughly traced"]
    if ours:
        return NC(status=statuses)
    return neuprint.NeuronCriteria(status=statuses, client=client)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fetch_paths_matches_neuprint_python(
    case: tuple[str, str | None, tuple[str, Callable[[dict[str, Any]], bool]], dict[str, Any]],
    data: Data,
    served: FakeNeuprint,
    embedded_client: Client,
) -> None:
    _, criteria, (condition, allowed), kwargs = case
    serve_neuprint_python_paths(served, data, condition, allowed)
    theirs_client = neuprint_python_client(served.url)
    http = Client(transport=NeuprintHTTP(served.url, DATASET, TOKEN, use_arrow=False))
    hops = kwargs.get("path_length") or kwargs.get("max_path_length")
    checked = 0
    try:
        for start, goal in pick_pairs(data, hops, 3):
            theirs = neuprint.fetch_paths(
                start,
                goal,
                intermediate_criteria=_criteria(criteria, ours=False, client=theirs_client),
                client=theirs_client,
                **kwargs,
            )
            expected = neo4j_paths(
                data,
                start,
                goal,
                range(hops, hops + 1) if "path_length" in kwargs else range(1, hops + 1),
                kwargs.get("min_weight", 1),
                allowed,
            )
            # the stand-in's graph answers single-value tests only (no string lists)
            clients = [embedded_client] if criteria == "two" else [embedded_client, http]
            for client in clients:
                got = fetch_paths(
                    start,
                    goal,
                    intermediate_criteria=_criteria(criteria, ours=True, client=None),
                    client=client,
                    **kwargs,
                )
                assert list(got.columns) == list(theirs.columns)
                numbers = [c for c in got.columns if c != "type"]
                if len(theirs):  # (strings: object here, pandas' inferred dtype there)
                    assert got[numbers].dtypes.tolist() == theirs[numbers].dtypes.tolist()
                assert as_paths(got) == as_paths(theirs)
                assert sorted(p for p, _ in as_paths(got)) == sorted(expected)
                # types as neuprint-python gives them (None for a body without one)
                assert type_pairs(got) == type_pairs(theirs)
                # paths are numbered 0..n-1 in sorted order, each listed once
                assert sorted(set(got["path"])) == list(range(got["path"].nunique()))
            checked += len(expected)
    finally:
        http.transport.close()
        clear_default_client()
    assert checked > 0  # the data exercise the case


def test_fetch_paths_shortest_mode_is_fetch_shortest_paths(
    embedded_client: Client, data: Data
) -> None:
    start, goal = pick_pairs(data, 2, 1)[0]
    got = fetch_paths(start, goal, intermediate_criteria=NC(), client=embedded_client)
    same = fetch_shortest_paths(start, goal, intermediate_criteria=NC(), client=embedded_client)
    pd.testing.assert_frame_equal(got, same)
    # the shortest of the paths Neo4j would list
    for hops in range(1, 4):
        expected = neo4j_paths(data, start, goal, range(hops, hops + 1), 1, lambda r: True)
        if expected:
            break
    assert sorted(p for p, _ in as_paths(got)) == sorted(expected)


def test_trails_use_each_connection_once_but_may_revisit_bodies() -> None:
    """A 2-cycle a <-> b and b -> c: length 4 from a to c must not reuse a->b."""
    from neuprint_dsl.compat.paths import _Clock

    out = {1: {2: 5}, 2: {1: 6, 3: 7}, 3: {2: 1}}
    clock = _Clock(10.0)
    assert _trails(out, 1, 3, 2, 2, clock) == [((1, 0), (2, 5), (3, 7))]
    # 1->2->1->2->3 would reuse 1->2: no path of length 4
    assert _trails(out, 1, 3, 4, 4, clock) == []
    # a path may pass through its goal and come back to it (2 -> 1 -> 2 -> 3 -> 2)
    assert _trails(out, 2, 2, 1, 4, clock) == [
        ((2, 0), (1, 6), (2, 5)),
        ((2, 0), (1, 6), (2, 5), (3, 7), (2, 1)),
        ((2, 0), (3, 7), (2, 1)),
        ((2, 0), (3, 7), (2, 1), (1, 6), (2, 5)),
    ]


def test_fetch_paths_refuses_bad_arguments(embedded_client: Client) -> None:
    with pytest.raises(InvalidArgument, match="not both"):
        fetch_paths(1, 2, path_length=2, max_path_length=3, client=embedded_client)
    with pytest.raises(InvalidArgument, match="path_length"):
        fetch_paths(1, 2, path_length=0, client=embedded_client)
    with pytest.raises(InvalidArgument, match="max_path_length"):
        fetch_paths(1, 2, max_path_length="x", client=embedded_client)
    with pytest.raises(InvalidArgument, match="timeout"):
        fetch_paths(1, 2, path_length=2, timeout=0, client=embedded_client)


def test_fetch_paths_without_paths_has_the_columns_and_dtypes(
    embedded_client: Client, data: Data
) -> None:
    body = sorted(data.records)[0]
    got = fetch_paths(body, 1, path_length=2, client=embedded_client)  # 1 is no neuron
    assert list(got.columns) == ["path", "bodyId", "type", "weight", "path_length"]
    assert len(got) == 0 and got["bodyId"].dtype == np.dtype("int64")


def test_fetch_paths_times_out_instead_of_answering_nothing(
    embedded_client: Client, data: Data
) -> None:
    start, goal = pick_pairs(data, 3, 1)[0]
    with pytest.raises(QueryTimeout):
        fetch_paths(start, goal, path_length=3, timeout=1e-9, client=embedded_client)


def test_fetch_paths_takes_dsl_predicates(embedded_client: Client, data: Data) -> None:
    start, goal = pick_pairs(data, 2, 1)[0]
    got = fetch_paths(
        start, goal, path_length=2, intermediate_criteria=N.pre > 10, client=embedded_client
    )
    expected = neo4j_paths(data, start, goal, range(2, 3), 1, lambda r: (r["pre"] or 0) > 10)
    everything = neo4j_paths(data, start, goal, range(2, 3), 1, lambda r: True)
    assert expected != everything  # the predicate matters on this pair
    assert [p for p, _ in as_paths(got)] == sorted(expected)


def test_fetch_paths_on_many_pairs_lengths_and_modes(embedded_client: Client, data: Data) -> None:
    """Random (seeded) pairs, cycles back to the start included, lengths 1-4, both modes and
    two weight floors, on the embedded engine: the paths Neo4j would bind, exactly."""
    rng = np.random.default_rng(7)
    bodies = sorted(data.records)
    listed = 0
    for trial in range(30):
        start, goal = (int(b) for b in rng.choice(bodies, 2))
        if trial % 6 == 0:
            goal = start
        hops = int(rng.integers(1, 5))
        exact = bool(rng.integers(0, 2))
        min_weight = int(rng.integers(1, 3))
        kwargs = {"path_length": hops} if exact else {"max_path_length": hops}
        got = fetch_paths(start, goal, min_weight, NC(), client=embedded_client, **kwargs)
        lengths = range(hops, hops + 1) if exact else range(1, hops + 1)
        expected = neo4j_paths(data, start, goal, lengths, min_weight, lambda r: True)
        assert [p for p, _ in as_paths(got)] == sorted(expected), (start, goal, kwargs)
        listed += len(expected)
    assert listed > 50  # the cases do find paths


def test_fetch_paths_counts_as_ladybugs_own_trail_search(
    embedded_client: Client, data: Data
) -> None:
    """Ladybug's variable-length relationships, with ``TRAIL`` (no relationship twice: Neo4j's
    rule; Ladybug's default, ``WALK``, would repeat them), count the same paths. An oracle
    independent of both compat and the brute force above."""
    conn = embedded_client.transport._conn  # the engine itself, read-only here
    rng = np.random.default_rng(3)
    bodies = sorted(data.records)
    compared = 0
    for trial in range(24):
        start, goal = (int(b) for b in rng.choice(bodies, 2))
        if trial % 3 == 0:
            goal = start
        hops, min_weight = int(rng.integers(2, 5)), int(rng.integers(1, 3))
        cypher = (
            f"MATCH (a:Neuron {{bodyId: {start}}})-[:ConnectsTo* TRAIL {hops}..{hops} "
            f"(r, n | WHERE r.weight >= {min_weight})]->(b:Neuron {{bodyId: {goal}}}) "
            "RETURN count(*)"
        )
        expected = int(conn.execute(cypher).get_as_df().iloc[0, 0])
        got = fetch_paths(start, goal, min_weight, NC(), path_length=hops, client=embedded_client)
        assert got["path"].nunique() == expected, (start, goal, hops, min_weight)
        compared += expected
    assert compared > 20  # the cases do find paths
