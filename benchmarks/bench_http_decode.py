"""HTTP decode benchmark: a 1,000,000-row ``/api/custom/custom`` answer into a DataFrame.

Run from the repository root::

    python benchmarks/bench_http_decode.py              # full: 1,000,000 rows, 7 runs per row
    python benchmarks/bench_http_decode.py --quick      # smoke run: 100,000 rows, 3 runs
    python benchmarks/bench_http_decode.py --rows 2000000 --repeats 9 --json out.json

What is measured: one local fake neuPrintHTTP (``tests/neuprint_server.py``, a real threaded HTTP
server on 127.0.0.1) serves a pre-built answer from memory: ``--rows`` rows of three int columns
``bodyId_pre``, ``bodyId_post`` (random ids in 10^9..6*10^9), ``weight`` (1..500), as compact
JSON (``{"columns", "data", "debug"}``, ~28 MB for 1,000,000 rows) and as an Arrow IPC stream.
Each row of the table times one call that ends with a DataFrame, HTTP request included:

* ``npy.json``: neuprint-python's ``Client.fetch_custom(cypher)`` (its default, JSON): a
  ``GET /api/version`` (its ``arrow_endpoint()`` check, made on every call), the POST, then
  ``ujson.loads`` and ``pd.DataFrame(data, columns=columns)``;
* ``dsl.json``: ``NeuprintHTTP(..., use_arrow=False).fetch_custom(cypher)``: the POST, then the
  transport's decoder (an integer table is parsed straight into an int64 array after an exact,
  vectorised check of its structure; anything else goes through ``json.loads``);
* ``dsl.json_generic``: the same with that fast path switched off (``json.loads`` and
  ``pd.DataFrame`` of the rows), to show what the fast path buys;
* ``npy.arrow``: ``Client.fetch_custom(cypher, use_arrow=True)`` (version check + POST to
  ``/api/custom/arrow`` + ``pyarrow`` ``read_all().to_pandas(maps_as_pydicts="strict")``);
* ``dsl.arrow``: ``NeuprintHTTP(...).fetch_custom(cypher)`` on the Arrow endpoint (server
  version asked once, in the warm-up);
* ``http.post``: a bare ``requests.Session().post(...).content`` of the JSON answer, the floor
  every JSON row pays.

Every result is checked equal to the expected frame (values and int64 dtypes) before timing.

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
collected before and disabled during each call (``--keep-gc`` leaves it on, as in a user's
session: then the 4,000,000 Python objects of the ujson/json paths also cost collections); the
median is reported with the fastest and slowest run. The bar (neuprint-python's time / neuprint-dsl's time >= 2 for JSON) is printed
as PASS or MISS, never asserted.
"""

from __future__ import annotations

import argparse
import gc
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

from neuprint_dsl.transports import neuprint_http  # noqa: E402
from neuprint_dsl.transports.neuprint_http import NeuprintHTTP  # noqa: E402
from tests.neuprint_server import FakeNeuprint, Prebuilt  # noqa: E402

DATASET = "hemibrain:v1.2.1"
TOKEN = "bench-token"
COLUMNS = ["bodyId_pre", "bodyId_post", "weight"]
CYPHER = (
    "MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron)\n"
    "RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, e.weight AS weight"
)
TARGET_RATIO = 2.0


def build_answer(rows: int, seed: int) -> tuple[pd.DataFrame, bytes, bytes]:
    """The expected frame and its JSON and Arrow encodings."""
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
        writer.write_table(table, max_chunksize=64 * 1024)
    return frame, json_body, sink.getvalue().to_pybytes()


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


def timed(fn: Callable[[], Any], keep_gc: bool = False) -> float:
    gc.collect()
    if not keep_gc:
        gc.disable()
    try:
        start = time.perf_counter_ns()
        fn()
        return (time.perf_counter_ns() - start) / 1e9
    finally:
        gc.enable()


def check(name: str, got: pd.DataFrame, expected: pd.DataFrame) -> None:
    try:
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=True)
    except AssertionError as err:
        raise SystemExit(f"MISMATCH in {name}: {err}") from None


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for dist in ("neuprint-python", "pandas", "numpy", "pyarrow", "requests", "ujson"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "-"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
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
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    expected, json_body, arrow_body = build_answer(args.rows, args.seed)
    print(
        f"answer: {args.rows:,} rows x {len(COLUMNS)} int columns; JSON {len(json_body) / 1e6:.1f}"
        f" MB, Arrow {len(arrow_body) / 1e6:.1f} MB (built in {time.perf_counter() - start:.1f} s)"
    )

    server = FakeNeuprint().start()
    server.version = "1.9.2"
    server.answer("RETURN", Prebuilt(json_body, arrow_body))
    try:
        npc = neuprint_python_client(server.url)
        dsl_json = NeuprintHTTP(server.url, DATASET, token=TOKEN, use_arrow=False)
        dsl_arrow = NeuprintHTTP(server.url, DATASET, token=TOKEN)
        bare = requests.Session()
        body = {"cypher": CYPHER, "dataset": DATASET}

        def generic() -> pd.DataFrame:
            neuprint_http.FAST_INT_TABLES = False
            try:
                return dsl_json.fetch_custom(CYPHER)
            finally:
                neuprint_http.FAST_INT_TABLES = True

        rows: dict[str, Callable[[], Any]] = {
            "npy.json": lambda: npc.fetch_custom(CYPHER),
            "dsl.json": lambda: dsl_json.fetch_custom(CYPHER),
            "dsl.json_generic": generic,
            "npy.arrow": lambda: npc.fetch_custom(CYPHER, use_arrow=True),
            "dsl.arrow": lambda: dsl_arrow.fetch_custom(CYPHER),
            "http.post": lambda: (
                bare.post(f"{server.url}/api/custom/custom", json=body, timeout=60).content
            ),
        }
        # warm-up and correctness
        for name, fn in rows.items():
            result = fn()
            if isinstance(result, pd.DataFrame):
                check(name, result, expected)
        assert dsl_arrow.arrow_available(), "the Arrow endpoint is not in use"

        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.repeats):
            for name, fn in rows.items():
                times[name].append(timed(fn, args.keep_gc))
        requests_seen = len(server.requests)
    finally:
        server.stop()

    median = {name: statistics.median(ts) for name, ts in times.items()}
    gc_state = "on" if args.keep_gc else "off"
    print(
        f"\n{'row':<18} {'median s':>9} {'min s':>8} {'max s':>8}   "
        f"({args.repeats} runs, garbage collector {gc_state})"
    )
    for name, ts in times.items():
        print(f"{name:<18} {median[name]:>9.3f} {min(ts):>8.3f} {max(ts):>8.3f}")

    json_ratio = median["npy.json"] / median["dsl.json"]
    generic_ratio = median["npy.json"] / median["dsl.json_generic"]
    arrow_ratio = median["npy.arrow"] / median["dsl.arrow"]
    verdict = "PASS" if json_ratio >= TARGET_RATIO else "MISS"
    print()
    print(f"JSON : npy.json / dsl.json         = {json_ratio:5.2f}x  (target >= 2x) {verdict}")
    print(f"JSON : npy.json / dsl.json_generic = {generic_ratio:5.2f}x  (fast path off)")
    print(f"Arrow: npy.arrow / dsl.arrow       = {arrow_ratio:5.2f}x")
    print(f"(server saw {requests_seen} requests; load average now {os.getloadavg()[0]:.2f})")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "versions": info,
                    "rows": args.rows,
                    "garbage_collector": gc_state,
                    "json_bytes": len(json_body),
                    "arrow_bytes": len(arrow_body),
                    "times_s": times,
                    "median_s": median,
                    "ratios": {
                        "json": json_ratio,
                        "json_generic": generic_ratio,
                        "arrow": arrow_ratio,
                    },
                    "target_json_ratio": TARGET_RATIO,
                    "verdict": verdict,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
