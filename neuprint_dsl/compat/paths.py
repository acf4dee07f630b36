"""``fetch_paths``, as neuprint-python's: every path between two neurons, of the shortest,
an exact or a bounded length, on any transport (a neuPrint server or the embedded engine).

neuprint-python sends one Cypher query, ``MATCH p = (src)-[:ConnectsTo*k]->(dest)`` (or
``*1..k``, or ``allShortestPaths``) filtered by ``ALL(x IN relationships(p) WHERE x.weight >=
w)`` and ``ALL(n IN nodes(p) WHERE <criteria> OR n.bodyId IN [src, dest])``. Here the same
answer is computed from DSL ``connections`` statements, one hop at a time from the upstream
neuron, and the paths are listed in Python with Neo4j's rule for variable-length patterns: a
connection is used at most once in a path, a body may appear more than once (a path may pass
through the downstream neuron and come back to it). So the statements compile for whichever
engine the client uses, and the criteria may be any DSL predicate. The search runs from both
ends and meets in the middle (:func:`_connections_on_paths`), so it fetches the connections of
the bodies near either end, not of everything within reach of the upstream neuron.

One variable-length pattern could not be sent to both engines: Ladybug reads
``-[:ConnectsTo*k..k]->`` as *walks* (a relationship may repeat; 38 instead of Neo4j's 37
paths on one sample pair) and needs ``* TRAIL k..k`` for Neo4j's rule, with its filters inside
the pattern; tests/test_compat_paths.py checks the paths listed here against Ladybug's own
``TRAIL`` search and against neuprint-python's query answered the Neo4j way.

Differences from neuprint-python (docs/migrating.md):

* running out of ``timeout`` raises :class:`~neuprint_dsl.errors.QueryTimeout`
  (neuprint-python's ``apoc.cypher.runTimeboxed`` returns the paths found so far, or none,
  which reads as an answer);
* paths are listed in a fixed order (sorted by their bodies and weights; Neo4j's is
  arbitrary), and a result with no path has the columns and dtypes of one with paths;
* criteria with ``inputRois``/``outputRois`` are accepted (neuprint-python refuses them).

Example:
    >>> import neuprint_dsl
    >>> from neuprint_dsl.compat import Client, NeuronCriteria as NC
    >>> c = Client(transport=neuprint_dsl.embedded())  # doctest: +SKIP
    >>> fetch_paths(a, b, min_weight=5, path_length=2, client=c)  # doctest: +SKIP
       path     bodyId  type  weight  path_length
    0     0  ...
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidArgument, QueryTimeout
from ..execute import run
from ..expr import TRUE, Predicate
from ..fields import E, N
from ..query import connections, neurons
from .batches import criteria_side
from .client import Client, inject_client
from .connectivity import fetch_shortest_paths
from .criteria import NeuronCriteria
from .properties import dataset_has, fetch_properties

__all__ = ["fetch_paths"]

_ID_BATCH = 10_000
#: how many path steps are listed between two looks at the clock
_CLOCK_EVERY = 4096

Edges = dict[int, dict[int, int]]


def _length(value: object, name: str) -> int:
    """An int >= 1 (an integral number such as ``np.int64(3)`` or ``3.0`` is accepted)."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float | np.integer | np.floating) and float(value).is_integer():
        number = int(value)
    if number is None or number < 1:
        raise InvalidArgument(f"{name} must be an int >= 1, not {value!r}")
    return number


def _empty(with_length: bool) -> pd.DataFrame:
    columns: dict[str, pd.Series[Any]] = {
        "path": pd.Series([], dtype="int64"),
        "bodyId": pd.Series([], dtype="int64"),
        "type": pd.Series([], dtype=object),
        "weight": pd.Series([], dtype="int64"),
    }
    if with_length:
        columns["path_length"] = pd.Series([], dtype="int64")
    return pd.DataFrame(columns)


class _Clock:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise QueryTimeout(f"fetch_paths did not finish within {self.timeout} s")


def _hop(
    client: Client,
    sources: Predicate | Iterable[int],
    targets: Predicate | Iterable[int],
    min_weight: int,
    into: Edges,
    clock: _Clock,
) -> None:
    """Add to ``into`` every connection of weight >= ``min_weight`` from a body of
    ``sources`` to a body of ``targets`` (each a predicate or body ids; ``into[pre][post] =
    weight``). Id lists are sent in batches."""

    def batches(side: Predicate | Iterable[int]) -> list[Predicate]:
        if isinstance(side, Predicate):
            return [side]
        ids = sorted(set(side))
        return [N.bodyId.isin(ids[i : i + _ID_BATCH]) for i in range(0, len(ids), _ID_BATCH)]

    for upstream in batches(sources):
        for downstream in batches(targets):
            clock.check()
            table = run(
                client.transport,
                connections(
                    upstream,
                    downstream,
                    where=E.weight >= min_weight,
                    upstream_label="Segment",
                    downstream_label="Segment",
                ),
            )
            for pre, post, weight in table[["bodyId_pre", "bodyId_post", "weight"]].itertuples(
                index=False, name=None
            ):
                into.setdefault(int(pre), {})[int(post)] = int(weight)


def _trails(
    out: Edges, start: int, goal: int, shortest: int, longest: int, clock: _Clock
) -> list[tuple[tuple[int, int], ...]]:
    """Every path ``start -> goal`` of ``shortest..longest`` connections over ``out`` that uses
    no connection twice, as ``((body, weight into body), ...)`` (weight 0 for ``start``)."""
    into: Edges = {}
    for pre, posts in out.items():
        for post in posts:
            into.setdefault(post, {})[pre] = 1
    # hops from each body to the goal, to prune paths that cannot arrive in time
    left = {goal: 0}
    queue = deque([goal])
    while queue:
        body = queue.popleft()
        for pre in into.get(body, {}):
            if pre not in left:
                left[pre] = left[body] + 1
                queue.append(pre)
    found: list[tuple[tuple[int, int], ...]] = []
    path: list[tuple[int, int]] = [(start, 0)]
    used: set[tuple[int, int]] = set()
    steps = 0

    def walk(body: int) -> None:
        nonlocal steps
        steps += 1
        if steps % _CLOCK_EVERY == 0:
            clock.check()
        hops = len(path) - 1
        if body == goal and shortest <= hops:
            found.append(tuple(path))
        if hops == longest:
            return
        for post, weight in sorted(out.get(body, {}).items()):
            if (body, post) in used or hops + 1 + left.get(post, longest + 1) > longest:
                continue
            used.add((body, post))
            path.append((post, weight))
            walk(post)
            path.pop()
            used.discard((body, post))

    if start in left and left[start] <= longest:
        walk(start)
    return sorted(found)


def _connections_on_paths(
    client: Client,
    start: int,
    goal: int,
    longest: int,
    middle: Predicate,
    min_weight: int,
    clock: _Clock,
) -> Edges:
    """Every connection that can lie on a path ``start -> goal`` of at most ``longest``
    connections (weight >= ``min_weight``, bodies other than the ends satisfying ``middle``),
    found from both ends.

    ``forward[i]`` holds the bodies some walk from ``start`` reaches in ``i`` connections and
    ``backward[j]`` those that reach ``goal`` in ``j``; each step expands the smaller of the
    two outer layers (all its connections out of it, resp. into it, from allowed bodies),
    until ``a + b = longest - 1`` with ``a``, ``b`` the numbers of steps taken forward and
    backward. Then one query fetches the connections from ``forward[a]`` into
    ``backward[b]``. On a path of length ``L <= longest``, the connection from position ``i``
    leaves a body of ``forward[i]`` (fetched if ``i < a``), or enters a body of
    ``backward[L - i - 1]`` (fetched if ``L - i - 1 < b``), or else (``i = a``, ``L =
    longest``) joins ``forward[a]`` to ``backward[b]``: every connection of every path is
    fetched, and every fetched connection is real, so listing paths over them is exact.
    An empty layer ends the search early: then no longer path exists, and every connection
    of the shorter ones has been fetched."""
    ends = sorted({start, goal})
    allowed: list[Predicate | list[int]] = [middle] if middle is TRUE else [middle, ends]
    out: Edges = {}
    forward, backward = [{start}], [{goal}]
    done_out: set[int] = set()
    done_in: set[int] = set()
    while len(forward) + len(backward) - 2 < longest - 1:
        if len(forward[-1]) <= len(backward[-1]):
            todo = forward[-1] - done_out
            for target in allowed:
                _hop(client, todo, target, min_weight, out, clock)
            done_out |= todo
            forward.append({post for body in forward[-1] for post in out.get(body, {})})
            if not forward[-1]:
                return out
        else:
            todo = backward[-1] - done_in
            for source in allowed:
                _hop(client, source, todo, min_weight, out, clock)
            done_in |= todo
            layer = backward[-1]
            backward.append({pre for pre, posts in out.items() if not layer.isdisjoint(posts)})
            if not backward[-1]:
                return out
    _hop(client, forward[-1], backward[-1], min_weight, out, clock)
    return out


@inject_client
def fetch_paths(
    upstream_bodyId: int,
    downstream_bodyId: int,
    min_weight: int = 1,
    intermediate_criteria: Any = None,
    timeout: float = 5.0,
    *,
    path_length: int | None = None,
    max_path_length: int | None = None,
    client: Client | None = None,
) -> pd.DataFrame:
    """Every path from one neuron to another through connections of weight >= ``min_weight``
    whose intermediate bodies satisfy ``intermediate_criteria`` (body ids, a type string, a
    :class:`NeuronCriteria` or any DSL predicate; default ``NeuronCriteria(status="Traced")``).

    With neither ``path_length`` nor ``max_path_length``: the shortest paths, as
    :func:`fetch_shortest_paths` (columns ``path, bodyId, type, weight``). With
    ``path_length=k``: the paths of exactly ``k`` connections; with ``max_path_length=k``: of
    1 to ``k``; then a ``path_length`` column is added. ``weight`` is the weight of the
    connection into that body (0 for the first body). Both ends must be ``:Neuron`` bodies, as
    in neuprint-python. A path never uses a connection twice (Neo4j's rule) but may visit a
    body twice. Raises :class:`~neuprint_dsl.errors.QueryTimeout` after ``timeout`` seconds.

    Example:
        >>> fetch_paths(329566174, 294792184, min_weight=10, path_length=3)  # doctest: +SKIP
              path     bodyId        type  weight  path_length
        0        0  329566174     OA-VPM3       0            3
        ...
    """
    assert client is not None
    if path_length is not None and max_path_length is not None:
        raise InvalidArgument("give either path_length or max_path_length, not both")
    if isinstance(min_weight, bool) or not isinstance(min_weight, int):
        raise InvalidArgument(f"min_weight must be an int, not {min_weight!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidArgument(f"timeout must be a positive number of seconds, not {timeout!r}")
    start, goal = int(upstream_bodyId), int(downstream_bodyId)
    if path_length is None and max_path_length is None:
        return fetch_shortest_paths(
            start, goal, min_weight, intermediate_criteria, timeout, client=client
        )
    if path_length is not None:
        shortest = longest = _length(path_length, "path_length")
    else:
        shortest, longest = 1, _length(max_path_length, "max_path_length")
    if intermediate_criteria is None:
        intermediate_criteria = NeuronCriteria(status="Traced", client=client)
    middle, _ = criteria_side(intermediate_criteria, client)
    clock = _Clock(float(timeout))
    ends = sorted({start, goal})
    typed = "type" in dataset_has(client, ["type"])
    found_ends = run(
        client.transport,
        neurons(N.bodyId.isin(ends), label="Neuron", columns=["bodyId"]),
    )
    if set(found_ends["bodyId"].astype("int64").tolist()) != set(ends):
        return _empty(True)  # neuprint-python matches both ends as :Neuron
    out = _connections_on_paths(client, start, goal, longest, middle, min_weight, clock)
    paths = _trails(out, start, goal, shortest, longest, clock)
    if not paths:
        return _empty(True)
    bodies = {body for path in paths for body, _ in path}
    if typed:
        table = fetch_properties(client, bodies, ["type"], optional=frozenset({"type"}))
        types = dict(zip(table["bodyId"].astype("int64"), table["type"], strict=True))
    else:
        types = {}
    rows = [
        (i, body, types.get(body), weight, len(path) - 1)
        for i, path in enumerate(paths)
        for body, weight in path
    ]
    frame = pd.DataFrame(rows, columns=["path", "bodyId", "type", "weight", "path_length"])
    frame["type"] = frame["type"].astype(object).where(frame["type"].notna(), None)
    return frame.astype(
        {"path": "int64", "bodyId": "int64", "weight": "int64", "path_length": "int64"}
    )
