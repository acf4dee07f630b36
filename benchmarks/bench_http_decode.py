"""HTTP decode benchmark: 1,000,000-row ``/api/custom/custom`` answers into DataFrames, side by
side with neuprint-python on one local server.

Run from the repository root::

    python benchmarks/bench_http_decode.py              # full: 1,000,000 rows, 5 runs per row
    python benchmarks/bench_http_decode.py --quick      # smoke run: 100,000 rows, 3 runs
    python benchmarks/bench_http_decode.py --rows 2000000 --repeats 9 --json out.json

What is measured: one local fake neuPrintHTTP (``tests/neuprint_server.py``, a real threaded HTTP
server on 127.0.0.1) serves pre-built answers from memory. Two tables:

1. **A neuron table** (the issue's target): ``bodyId`` (int), ``type``, ``instance``, ``status``
   (strings, about 15-25% null), ``pre``, ``post`` (ints), ``size`` (int), ``somaRadius``
   (float, 30% null), ``cropped`` (bool, 20% null), as compact JSON (~75 MB). Rows:

   * ``npy.neurons``: neuprint-python's ``Client.fetch_custom(cypher)`` (its default, JSON): a
     ``GET /api/version`` (its ``arrow_endpoint()`` check, made on every call), the POST, then
     ``ujson.loads`` and ``pd.DataFrame(data, columns=columns)``;
   * ``dsl.neurons.decode``: ``NeuprintHTTP.execute(statement).to_frame()``: the POST, then the
     transport's decoder (msgspec, rows as tuples of the statement's width, so the row check is
     made while reading; a JSON-exact fallback to ``json.loads``) and one object block of the
     values (None for null);
   * ``dsl.neurons.run``: ``NeuprintHTTP.run(neurons(...))`` with a schema: the same, except
     that columns of exact ints only come to the executor as int64 (``run_frame``), then the
     executor's explicit dtypes (``bodyId`` int64, ``Int64``, ``float64``, ``boolean``, strings
     as object with None);
   * ``dsl.neurons.fetch_custom``: ``NeuprintHTTP.fetch_custom(cypher)``, which makes exactly
     neuprint-python's frame (``pd.DataFrame(data, columns=...)``, pandas' own inference);
   * ``dsl.neurons.json_loads``: the decode row with msgspec switched off (``json.loads``).

2. **An integer table** (``bodyId_pre``, ``bodyId_post``, ``weight``): ``npy.ints`` (as above),
   ``dsl.ints`` (the transport's numpy fast path for integer tables), ``npy.ints.arrow``
   (neuprint-python with ``use_arrow=True``) and ``dsl.ints.arrow`` (``execute`` of a statement
   whose columns are all body ids and weights, the only tables our transport takes through
   ``/api/custom/arrow``; docs/http.md), and ``http.post``, a bare ``requests`` POST of the JSON
   answer: the floor every JSON row pays.

Every result is checked against the expected values before timing (the typed rows against the
expected frame, dtypes included).

**What is patched in neuprint-python.** ``neuprint.Client.__init__`` refuses ``http://`` and
asks the server for its datasets, so the client is made with ``object.__new__(Client)`` and
given the attributes its ``__init__`` would set: ``server`` (the fake's ``http://127.0.0.1:PORT``),
``token``, ``dataset``, ``verify=True``, ``progress=False`` and a ``requests.Session`` with the
same headers (``Authorization: Bearer ...``, ``Content-type: application/json``) and the same
``HTTPAdapter(max_retries=Retry(connect=2, backoff_factor=0.1))``, mounted on ``http://``
instead of ``https://``. Nothing else: no method is replaced, so ``fetch_custom``,
``arrow_endpoint``, ``_fetch_json`` and ``_fetch_arrow`` do their real requests and decoding.

Method: ``time.perf_counter_ns`` around single calls after one warm-up call each; runs are
taken round-robin across rows (run 1 of every row, then run 2, ...), the garbage collector is
collected before and disabled during each call (``--keep-gc`` leaves it on); the median is
reported with the fastest and slowest run, and the 1-minute load average before and after (the
machine may be shared). The target, at least 3x neuprint-python on the neuron table (issue
15 raised issue 12's 2x to 3x), is printed as PASS or MISSED with the measured ratio, never
asserted; the executor's typed run is judged against the same 3x.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import requests  # noqa: E402
from _machine import time_batch  # noqa: E402  # benchmarks/_machine.py

from neuprint_dsl.neuprinthttp import decode as neuprint_decode  # noqa: E402
from neuprint_dsl.transports.neuprint_http import NeuprintHTTP  # noqa: E402
from tests.neuprint_server import FakeNeuprint, Prebuilt  # noqa: E402

DATASET = "hemibrain:v1.2.1"
TOKEN = "bench-token"
COLUMNS = ["bodyId_pre", "bodyId_post", "weight"]
CYPHER = (
    "MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron)\n"
    "RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, e.weight AS weight"
)
NEURON_COLUMNS = [
    "bodyId", "type", "instance", "status", "pre", "post", "size", "somaRadius", "cropped"
]  # fmt: skip
NEURON_KINDS = {
    "bodyId": "int", "type": "str", "instance": "str", "status": "str", "pre": "int",
    "post": "int", "size": "int", "somaRadius": "float", "cropped": "bool",
}  # fmt: skip
#: issue 15: "bench_http_decode checks 2x where the target was 3x" (issue 12 asked for 2x)
TARGET_RATIO = 3.0
TARGET = (
    "decode of a 1,000,000-row neuron table with strings, floats and nulls: >= 3x neuprint-python"
)


def build_answer(rows: int, seed: int) -> tuple[pd.DataFrame, bytes, bytes]:
    """The expected integer frame and its JSON and Arrow encodings."""
    import pyarrow as pa
    import pyarrow.ipc

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "bodyId_pre": rng.integers(10**9, 6 * 10**9, rows, dtype=np.int64),
            "bodyId_post": rng.integers(10**9, 6 * 10**9, rows, dtype=np.int64),
            "weight": rng.integers(1, 501, rows, dtype=np.int64),
        }
    )
    document = {"columns": COLUMNS, "data": frame.to_numpy().tolist(), "debug": CYPHER}
    json_body = json.dumps(document, separators=(",", ":")).encode()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pyarrow.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)  # one record batch, as neuPrintHTTP writes it
    return frame, json_body, sink.getvalue().to_pybytes()


def build_neurons(rows: int, seed: int) -> tuple[list[list[Any]], bytes]:
    """A realistic neuron table (rows as Python values) and its compact JSON answer."""
    rng = np.random.default_rng(seed)
    types = [f"KC{c}" for c in "abg"] + [f"MBON{i:02d}" for i in range(60)]
    types += [f"LC{i}" for i in range(200)]
    statuses = ["Traced", "Anchor", "Orphan", "Leaves", "Roughly traced"]
    kinds = rng.integers(0, len(types), rows)
    typed = rng.random(rows) >= 0.25  # ~25% of bodies have no type
    named = rng.random(rows) >= 0.15
    statused = rng.random(rows) >= 0.2
    status = rng.integers(0, len(statuses), rows)
    pre = rng.integers(0, 5000, rows)
    post = rng.integers(0, 30000, rows)
    size = rng.integers(10**6, 10**10, rows)
    radius = np.round(rng.random(rows) * 400, 1)
    has_soma = rng.random(rows) >= 0.3
    cropped = rng.random(rows) < 0.1
    known = rng.random(rows) >= 0.2
    body = 10**9 + np.arange(rows) * 7
    data = []
    for i in range(rows):
        t = types[kinds[i]] if typed[i] else None
        data.append(
            [
                int(body[i]),
                t,
                (f"{t}_R" if t else f"body{i}") if named[i] else None,
                statuses[status[i]] if statused[i] else None,
                int(pre[i]),
                int(post[i]),
                int(size[i]),
                float(radius[i]) if has_soma[i] else None,
                bool(cropped[i]) if known[i] else None,
            ]
        )
    document = {"columns": NEURON_COLUMNS, "data": data, "debug": NEURON_CYPHER}
    return data, json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


NEURON_CYPHER = "MATCH (n:Neuron)\nRETURN n.bodyId AS bodyId, ...  (the statement below)"


def neuprint_python_client(server_url: str) -> Any:
    """A real ``neuprint.Client`` with its ``__init__`` bypassed (see the module docstring)."""
    from neuprint import Client
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    client = object.__new__(Client)
    client.progress = False
    client.server = server_url
    client.token = TOKEN
    client.session = requests.Session()
    client.session.headers.update(
        {"Authorization": "Bearer " + TOKEN, "Content-type": "application/json"}
    )
    client.session.mount("http://", HTTPAdapter(max_retries=Retry(connect=2, backoff_factor=0.1)))
    client.verify = True
    client.dataset = DATASET
    return client


def check(name: str, got: pd.DataFrame, expected: pd.DataFrame) -> None:
    try:
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=True)
    except AssertionError as err:
        raise SystemExit(f"MISMATCH in {name}: {err}") from None


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for dist in ("neuprint-python", "pandas", "numpy", "pyarrow", "requests", "ujson", "msgspec"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "-"
    return out


def main(argv: list[str] | None = None) -> int:
    from neuprint_dsl import N, neurons, to_cypher
    from neuprint_dsl.cypher import GraphSchema
    from neuprint_dsl.frames import shape

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 3 runs")
    parser.add_argument(
        "--keep-gc",
        action="store_true",
        help="leave the garbage collector on during the timed calls (as in a user's session)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeats = 100_000, 3

    info = versions()
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    load_before = os.getloadavg()[0]
    print(f"load average (1 min): {load_before:.2f} on {os.cpu_count()} cores")
    start = time.perf_counter()
    expected, json_body, arrow_body = build_answer(args.rows, args.seed)
    neuron_rows, neuron_body = build_neurons(args.rows, args.seed)
    print(
        f"answers: {args.rows:,} rows; neurons {len(NEURON_COLUMNS)} columns, JSON "
        f"{len(neuron_body) / 1e6:.1f} MB; ints 3 columns, JSON {len(json_body) / 1e6:.1f} MB, "
        f"Arrow {len(arrow_body) / 1e6:.1f} MB (built in {time.perf_counter() - start:.1f} s)"
    )

    schema = GraphSchema(node_properties=NEURON_KINDS)
    neuron_query = neurons(N.pre >= 0, columns=NEURON_COLUMNS)
    neuron_statement = to_cypher(neuron_query, "neo4j", schema=schema)
    neuron_cypher = neuron_statement.inline()
    int_statement = to_cypher(neurons(columns=COLUMNS), "neo4j")
    server = FakeNeuprint().start()
    server.version = "1.9.2"
    server.answer("n.pre >= 0", Prebuilt(neuron_body))  # neuprint-python indents the text
    server.answer("RETURN", Prebuilt(json_body, arrow_body))
    expected_neurons = shape(
        pd.DataFrame(neuron_rows, columns=NEURON_COLUMNS, dtype=object), NEURON_KINDS
    )
    try:
        npc = neuprint_python_client(server.url)
        dsl = NeuprintHTTP(server.url, DATASET, token=TOKEN, schema=schema, use_arrow=False)
        dsl_arrow = NeuprintHTTP(server.url, DATASET, token=TOKEN, check_names=False)
        bare = requests.Session()
        body = {"cypher": CYPHER, "dataset": DATASET}

        def json_loads_only() -> pd.DataFrame:
            neuprint_decode.USE_MSGSPEC = False
            try:
                return dsl.execute(neuron_statement).to_frame()
            finally:
                neuprint_decode.USE_MSGSPEC = True

        rows: dict[str, Callable[[], Any]] = {
            "npy.neurons": lambda: npc.fetch_custom(neuron_cypher),
            "dsl.neurons.decode": lambda: dsl.execute(neuron_statement).to_frame(),
            "dsl.neurons.run": lambda: dsl.run(neuron_query),
            "dsl.neurons.fetch_custom": lambda: dsl.fetch_custom(neuron_cypher),
            "dsl.neurons.json_loads": json_loads_only,
            "npy.ints": lambda: npc.fetch_custom(CYPHER),
            "dsl.ints": lambda: dsl.fetch_custom(CYPHER),
            "npy.ints.arrow": lambda: npc.fetch_custom(CYPHER, use_arrow=True),
            "dsl.ints.arrow": lambda: dsl_arrow.execute(int_statement).to_frame(),
            "http.post": lambda: (
                bare.post(f"{server.url}/api/custom/custom", json=body, timeout=600).content
            ),
        }
        # warm-up and correctness
        npy_frame = rows["npy.neurons"]()
        check("dsl.neurons.fetch_custom", rows["dsl.neurons.fetch_custom"](), npy_frame)
        for name in ("dsl.neurons.decode", "dsl.neurons.json_loads"):
            got = rows[name]()
            if got.to_numpy().tolist() != neuron_rows:
                raise SystemExit(f"MISMATCH in {name}: not the answer's values")
        check("dsl.neurons.run", rows["dsl.neurons.run"](), expected_neurons)
        for name in ("npy.ints", "dsl.ints", "npy.ints.arrow", "dsl.ints.arrow"):
            check(name, rows[name](), expected)
        rows["http.post"]()
        arrow_posts = len(server.requests_to("/api/custom/arrow"))
        assert arrow_posts == 2, "the Arrow endpoint is not in use"

        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.repeats):
            for name, fn in rows.items():
                times[name].append(time_batch(fn, keep_gc=args.keep_gc))
        requests_seen = len(server.requests)
    finally:
        server.stop()

    median = {name: statistics.median(ts) for name, ts in times.items()}
    gc_state = "on" if args.keep_gc else "off"
    print(
        f"\n{'row':<26} {'median s':>9} {'min s':>8} {'max s':>8}   "
        f"({args.repeats} runs, garbage collector {gc_state})"
    )
    for name, ts in times.items():
        print(f"{name:<26} {median[name]:>9.3f} {min(ts):>8.3f} {max(ts):>8.3f}")

    def ratio(baseline: str, ours: str) -> float:
        return median[baseline] / median[ours]

    decode = ratio("npy.neurons", "dsl.neurons.decode")
    typed = ratio("npy.neurons", "dsl.neurons.run")
    verdict = "PASS" if decode >= TARGET_RATIO else "MISSED"
    typed_verdict = "PASS" if typed >= TARGET_RATIO else "MISSED"
    ratios = {
        "neurons.decode": decode,
        "neurons.run": typed,
        "neurons.fetch_custom": ratio("npy.neurons", "dsl.neurons.fetch_custom"),
        "neurons.json_loads": ratio("npy.neurons", "dsl.neurons.json_loads"),
        "ints": ratio("npy.ints", "dsl.ints"),
        "ints.arrow": ratio("npy.ints.arrow", "dsl.ints.arrow"),
    }
    print()
    print(f"target: {TARGET} (load average {os.getloadavg()[0]:.2f})")
    print(
        f"  npy.neurons {median['npy.neurons']:.3f} s / dsl.neurons.decode "
        f"{median['dsl.neurons.decode']:.3f} s = {decode:.2f}x  {verdict}"
    )
    print(
        f"  with the executor's explicit dtypes: npy.neurons / dsl.neurons.run = {typed:.2f}x  "
        f"{typed_verdict}"
    )
    print(
        f"  same frame as neuprint-python: npy.neurons / dsl.neurons.fetch_custom = "
        f"{ratios['neurons.fetch_custom']:.2f}x; msgspec off: {ratios['neurons.json_loads']:.2f}x"
    )
    print(f"integer table: npy.ints / dsl.ints = {ratios['ints']:.2f}x")
    print(f"integer table, Arrow: npy.ints.arrow / dsl.ints.arrow = {ratios['ints.arrow']:.2f}x")
    load_after = os.getloadavg()[0]
    print(f"(server saw {requests_seen} requests; load average now {load_after:.2f})")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "versions": info,
                    "rows": args.rows,
                    "garbage_collector": gc_state,
                    "load_average": [load_before, load_after],
                    "times_s": times,
                    "median_s": median,
                    "ratios": ratios,
                    "target": TARGET,
                    "target_ratio": TARGET_RATIO,
                    "verdict": verdict,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
