"""Aggregation benchmark: type-to-type connectivity in one statement vs fetching every
neuron-level connection and grouping in pandas, both through the neuPrint HTTP transport.

Run from the repository root::

    python benchmarks/bench_aggregation.py            # 8,000 neurons, 300,000 connections
    python benchmarks/bench_aggregation.py --quick    # 3,000 neurons, 100,000 connections
    python benchmarks/bench_aggregation.py --neurons 25000 --edges 3000000 --repeats 7

What is measured: a local fake neuPrintHTTP (``tests/neuprint_server.py``, a real threaded HTTP
server on 127.0.0.1) backed by the embedded engine: each request's Cypher (the ``neo4j``
dialect, inlined, as :class:`~neuprint_dsl.transports.NeuprintHTTP` sends it) is mapped back
to its statement, run on a Ladybug database of the synthetic sample (``generate_sample``) at
request time, and answered as JSON, as neuPrintHTTP answers. Each row of the table times one
call that ends with the aggregated DataFrame, HTTP included:

* ``dsl.group_by``: ``NeuprintHTTP.run(connections(A, B).group_by("type"))``: the engine
  aggregates (Cypher ``sum``/``count(DISTINCT ...)``), one row per type pair travels;
* ``fetch+pandas``: ``NeuprintHTTP.run(connections(A, B))`` (every neuron-level connection,
  with ``type_pre``/``type_post``) then ``groupby(["type_pre", "type_post"], dropna=False)``
  with the same columns and order.

Three questions: KC types to MBON types (the issue's example), every type to every type, and
KC types per ROI. Both answers are checked equal before timing. Rows are data rows in the
HTTP answer; bytes are the answer's JSON ``data`` as sent. Method: ``time.perf_counter``
around single calls after one warm-up each, runs round-robin, median with min and max.
Nothing is asserted: the ratio is printed with the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pandas as pd  # noqa: E402
from _machine import load_average, machine_info, time_batch  # noqa: E402

from neuprint_dsl import N, connections, neurons, to_cypher  # noqa: E402
from neuprint_dsl.embedded import load  # noqa: E402
from neuprint_dsl.embedded.sample import generate_sample  # noqa: E402
from neuprint_dsl.query import Connections  # noqa: E402
from neuprint_dsl.transports import Embedded, NeuprintHTTP  # noqa: E402
from tests.neuprint_server import FakeNeuprint  # noqa: E402

DATASET = "hemibrain:v1.2.1"

QUESTIONS: dict[str, Connections] = {
    "KC -> MBON by type": connections(N.type.matches("KC.*"), N.type.matches("MBON.*")),
    "all -> all by type": connections(),
    "KC -> any by type per ROI": connections(N.type.matches("KC.*"), per_roi=True),
}


def pandas_groupby(frame: pd.DataFrame, per_roi: bool) -> pd.DataFrame:
    """What a neuprint-python user writes after fetching neuron-level rows."""
    keys = ["type_pre", "type_post", *(["roi"] if per_roi else [])]
    grouped = (
        frame.groupby(keys, dropna=False)
        .agg(
            weight=("weight", "sum"),
            n_pre=("bodyId_pre", "nunique"),
            n_post=("bodyId_post", "nunique"),
            n_connections=("weight", "size"),
        )
        .reset_index()
    )
    return grouped.sort_values(
        ["weight", *keys], ascending=[False, *[True] * len(keys)], na_position="last"
    ).reset_index(drop=True)


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """The same rows (compared as sorted lists: pandas breaks weight ties its own way)."""

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is None, "" if v is None else str(v)) for v in row)

    def as_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
        values = frame.astype(object).where(frame.notna(), None).values.tolist()
        return sorted((tuple(r) for r in values), key=key)

    return list(a.columns) == list(b.columns) and as_rows(a) == as_rows(b)


def with_types(run: Callable[[Any], pd.DataFrame], statement: Connections) -> pd.DataFrame:
    """Neuron-level rows with the side types (per-ROI rows carry none: one more query)."""
    frame = run(statement)
    if statement.per_roi:
        ids = sorted(set(frame.bodyId_pre) | set(frame.bodyId_post))
        types = run(neurons(N.bodyId.isin(ids), columns=["bodyId", "type"]))
        types = types.set_index("bodyId")["type"]
        frame = frame.assign(
            type_pre=frame.bodyId_pre.map(types), type_post=frame.bodyId_post.map(types)
        )
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neurons", type=int, default=8_000)
    parser.add_argument("--edges", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="3,000 neurons, 100,000 edges")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.neurons, args.edges, args.repeats = 3_000, 100_000, 3

    print(" ".join(f"{k}={v}" for k, v in machine_info().items()))
    tmp = Path(tempfile.mkdtemp(prefix="bench_aggregation_"))
    started = time.perf_counter()
    generate_sample(tmp, neurons=args.neurons, edges=args.edges, seed=args.seed, synapses=False)
    db = Embedded(load(tmp, tmp / "graph.lbug"))
    print(
        f"sample: {args.neurons:,} neurons, {args.edges:,} connections (synthetic; built in "
        f"{time.perf_counter() - started:.1f} s)"
    )

    # the server side: neo4j text -> statement -> the embedded engine, at request time
    statements: dict[str, Any] = {}
    sent: dict[str, tuple[int, int]] = {}  # cypher -> (rows, JSON bytes of the data)

    def answer(cypher: str) -> tuple[list[str], list[list[Any]]]:
        statement = statements[cypher]
        table = db.execute(to_cypher(statement, "ladybug", schema=db.schema))
        frame = table.to_frame()
        data = frame.astype(object).where(frame.notna(), None).values.tolist()
        if cypher not in sent:  # measured once, on the warm-up call (not timed)
            sent[cypher] = (len(data), len(json.dumps(data, separators=(",", ":"))))
        return list(table.columns), data

    server = FakeNeuprint().start()
    server.answer(lambda cypher: cypher in statements, answer)
    results: list[dict[str, Any]] = []
    try:
        http = NeuprintHTTP(server.url, DATASET, use_arrow=False, schema=db.schema, timeout=900)

        def run(statement: Any) -> pd.DataFrame:
            """``http.run``, telling the server which statement the Cypher it gets is."""
            statements[to_cypher(statement, "neo4j", schema=db.schema).inline()] = statement
            return http.run(statement)

        for name, base in QUESTIONS.items():
            grouped = base.group_by("type")

            def dsl(grouped: Connections = grouped) -> pd.DataFrame:
                return run(grouped)

            def baseline(base: Connections = base) -> pd.DataFrame:
                return pandas_groupby(with_types(run, base), base.per_roi)

            calls: dict[str, Callable[[], pd.DataFrame]] = {
                "dsl.group_by": dsl,
                "fetch+pandas": baseline,
            }
            got, expected = dsl(), baseline()
            assert same_rows(got, expected), f"{name}: the two answers differ"
            transferred = {
                "dsl.group_by": sent[to_cypher(grouped, "neo4j", schema=db.schema).inline()],
                "fetch+pandas": sent[to_cypher(base, "neo4j", schema=db.schema).inline()],
            }
            times: dict[str, list[float]] = {k: [] for k in calls}
            for _ in range(args.repeats):
                for key, fn in calls.items():
                    times[key].append(time_batch(fn, keep_gc=True))
            results.append(
                {"question": name, "groups": len(got), "times": times, "sent": transferred}
            )
    finally:
        server.stop()
        db.close()

    print(f"\n{args.repeats} runs each, JSON over HTTP; load average now {load_average()}")
    header = (
        f"{'question':<26} {'method':<13} {'rows sent':>10} {'data MB':>8} "
        f"{'median s':>9} {'min s':>7} {'max s':>7}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        for key, ts in result["times"].items():
            rows, size = result["sent"][key]
            print(
                f"{result['question']:<26} {key:<13} {rows:>10,} {size / 1e6:>8.2f} "
                f"{statistics.median(ts):>9.3f} {min(ts):>7.3f} {max(ts):>7.3f}"
            )
        ratio = statistics.median(result["times"]["fetch+pandas"]) / statistics.median(
            result["times"]["dsl.group_by"]
        )
        rows_ratio = result["sent"]["fetch+pandas"][0] / max(1, result["sent"]["dsl.group_by"][0])
        print(
            f"{'':<26} ratio (fetch+pandas / dsl.group_by): time {ratio:.1f}x, rows "
            f"{rows_ratio:.0f}x ({result['groups']:,} groups)"
        )
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": None}, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
