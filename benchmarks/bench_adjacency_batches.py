"""fetch_adjacencies over HTTP: sequential vs concurrent batches, neuprint-dsl vs neuprint-python.

The issue's bars: "With 2,000 sources, batches of 100 and 50 ms latency per request ... Send one
request per batch; reach at least 3x at 8 threads and beat neuprint-python side by side on the
same local server (add neuprint-python to the benchmark)."

The server is tests/neuprint_server.py's FakeNeuprint serving one synthetic dataset (the
embedded sample, through tests/neuprint_python_bridge.py: every query either client sends is
answered from the same database), with a fixed delay before every answer (``--latency``, the
round trip of a real server and network; every request pays it, GETs included). Each query's
answer is computed once, in a warm-up run that also checks both libraries return the same
tables, and then served from memory, so the server costs the same for both clients and every
repeat. neuprint-dsl runs its compat ``fetch_adjacencies`` through a compat ``Client`` over its
``NeuprintHTTP`` transport; neuprint-python its own ``fetch_adjacencies`` through a real
``neuprint.Client`` (pointed at the plain-HTTP test server as the bridge module explains).
Both get the same arguments: the sources as a list of body ids, no targets, ``batch_size``,
``threads``, no progress bar.

Run: python benchmarks/bench_adjacency_batches.py [--sources 2000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import load_average, package_version, timed_call  # benchmarks/_machine.py

import neuprint_dsl
from neuprint_dsl.compat import Client, clear_default_client, fetch_adjacencies
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from tests.neuprint_python_bridge import neuprint_python_client, serve_embedded
from tests.neuprint_server import Delay, FakeNeuprint, Fault


class SlowServer(FakeNeuprint):
    """The test server with a fixed delay before every answer."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency

    def _take_fault(self, path: str) -> Fault | None:
        return Delay(self.latency)


def _request_counter(url: str) -> Callable[[], int]:
    """Count the HTTP requests this process sends to ``url`` (both libraries use requests,
    hence urllib3): returns the function that reads the count."""
    import urllib3.connectionpool

    pool = urllib3.connectionpool.HTTPConnectionPool
    original = pool.urlopen
    port = int(url.rsplit(":", 1)[1])
    count = [0]
    lock = threading.Lock()

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.port == port:
            with lock:
                count[0] += 1
        return original(self, *args, **kwargs)

    pool.urlopen = counting  # type: ignore[method-assign]
    return lambda: count[0]


def canonical(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The rows, sorted (neuprint-python leaves ROIs of equal weight in roiInfo order)."""
    return sorted(tuple(r) for r in frame.astype(object).itertuples(index=False))


def serve(args: argparse.Namespace) -> None:
    """The server process: the sample dataset behind the slow test server, until stdin closes."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-adjacency-"))
    generate_sample(tmp / "sample", neurons=args.neurons, edges=args.edges, seed=3, synapses=False)
    db = Client(transport=neuprint_dsl.embedded(load(tmp / "sample", tmp / "g.lbug")))
    server = SlowServer(args.latency)
    server.version = "1.7.0"  # JSON for both clients (neuprint-python's default)
    serve_embedded(server, db, cache=True)
    server.start()
    print(server.url, flush=True)
    sys.stdin.read()  # until the benchmark closes the pipe
    server.stop()
    db.transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--threads", type=int, nargs="*", default=[4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--neurons", type=int, default=6000, help="bodies in the dataset")
    parser.add_argument("--edges", type=int, default=60000, help="connections in the dataset")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("NEUPRINT_DSL_NO_PROGRESS", "1")
    if args.serve:
        serve(args)
        return
    try:
        import neuprint
    except ImportError:
        neuprint = None  # the neuprint-python columns then read n/a
    warnings.simplefilter("ignore")  # neuprint-python's pandas deprecation warnings

    # the server runs in its own process, as a real one would: its work does not share
    # this interpreter's lock with the clients' threads
    command = [sys.executable, __file__, "--serve", f"--latency={args.latency}"]
    command += [f"--neurons={args.neurons}", f"--edges={args.edges}"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        measure(args, url, neuprint)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=60)


def measure(args: argparse.Namespace, url: str, neuprint: Any) -> None:
    """Time both libraries against the server at ``url`` and print the table and targets."""
    ours = Client(url, progress=False)
    ids = ours.fetch_custom("MATCH (n:Neuron) RETURN n.bodyId AS b ORDER BY n.bodyId")["b"]
    sources = [int(b) for b in ids[: args.sources]]
    theirs = neuprint_python_client(url) if neuprint is not None else None
    requests_before = _request_counter(url)

    def run_ours(threads: int) -> pd.DataFrame:
        return fetch_adjacencies(
            sources, None, batch_size=args.batch_size, threads=threads, client=ours
        )[1]

    def run_theirs(threads: int) -> pd.DataFrame:
        assert neuprint is not None
        table: pd.DataFrame = neuprint.fetch_adjacencies(
            sources, None, batch_size=args.batch_size, threads=threads, client=theirs
        )[1]
        return table

    # warm-up (fills the server's answers) and the check that both give the same table
    reference = canonical(run_ours(1))
    if theirs is not None:
        assert canonical(run_theirs(1)) == reference, "neuprint-python's table differs"
    batches = -(-len(sources) // args.batch_size)
    print(
        f"fetch_adjacencies: {len(sources):,} sources, batches of {args.batch_size} "
        f"({batches} batches), {args.latency * 1000:.0f} ms per request, "
        f"{len(reference):,} per-ROI rows; neuprint-python "
        f"{package_version('neuprint-python')}; medians of {args.repeats} runs; "
        f"load {load_average()}"
    )
    header = (
        f"{'threads':>7} {'neuprint-dsl':>12} {'vs seq':>7} {'requests':>8}   "
        f"{'neuprint-python':>15} {'vs seq':>7} {'requests':>8}   {'dsl faster by':>13}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[tuple[str, int], float] = {}
    for threads in [1, *args.threads]:
        line = f"{threads:>7}"
        for name, fn in (("dsl", run_ours), ("np", run_theirs)):
            if name == "np" and theirs is None:
                line += f"   {'n/a':>15} {'':>7} {'':>8}"
                continue
            times = []
            for _ in range(args.repeats):
                before = requests_before()
                elapsed, table = timed_call(partial(fn, threads), keep_gc=True)
                times.append(elapsed)
                requests = requests_before() - before
                assert canonical(table) == reference, f"{name} at {threads} threads differs"
            medians[(name, threads)] = statistics.median(times)
            speedup = medians[(name, 1)] / medians[(name, threads)]
            cell = f"{medians[(name, threads)]:10.2f} s {speedup:6.2f}x {requests:>8}"
            line += f" {cell}" if name == "dsl" else f"   {cell:>33}"
        if theirs is not None:
            line += f"   {medians[('np', threads)] / medians[('dsl', threads)]:12.2f}x"
        print(line)
    print("requests = HTTP requests per run, all routes (each one waits the latency)")
    top = max(args.threads)
    speedup = medians[("dsl", 1)] / medians[("dsl", top)]
    print(
        f'target ">= 3x over sequential at 8 threads": {speedup:.2f}x at {top} threads '
        f"-> {'met' if speedup >= 3 and top == 8 else 'NOT met'}"
    )
    if theirs is not None:
        faster = all(medians[("dsl", t)] < medians[("np", t)] for t in [1, *args.threads])
        ratios = ", ".join(
            f"{medians[('np', t)] / medians[('dsl', t)]:.2f}x at {t}" for t in [1, *args.threads]
        )
        print(f'target "faster than neuprint-python": {ratios} -> {"met" if faster else "NOT met"}')
    else:
        print('target "faster than neuprint-python": n/a (neuprint-python is not installed)')
    clear_default_client()


if __name__ == "__main__":
    main()
