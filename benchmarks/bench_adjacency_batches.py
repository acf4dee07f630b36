"""fetch_adjacencies with concurrent batches vs sequential batches, over HTTP.

The issue's bar: "fetch_adjacencies for 2,000 sources split into batches: concurrent batches
against a local server with a fixed per-request latency, compared with sequential; report the
ratio." A small neuPrintHTTP stand-in on 127.0.0.1 answers every ``/api/custom/custom`` request
after a fixed delay (the latency of a real server and network), with deterministic synthetic
rows for the body ids the query names; the client is neuprint-dsl's compat ``Client`` over the
real ``NeuprintHTTP`` transport. Both runs must return identical tables.

Run: python benchmarks/bench_adjacency_batches.py [--sources 2000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NEUPRINT_DSL_NO_PROGRESS", "1")

from neuprint_dsl.compat import Client, clear_default_client, fetch_adjacencies
from neuprint_dsl.transports import NeuprintHTTP

ROIS = ["MB(R)", "FB", "EB", "SMP(R)"]
_IN = re.compile(r"n\.bodyId IN \[([0-9, ]*)\]")


def partners(body: int) -> list[tuple[int, int]]:
    """Deterministic synthetic out-edges of a body: (post, weight)."""
    return [(10_000_000 + (body * 7 + k * 13) % 5000, 1 + (body + k) % 9) for k in range(20)]


def answer(cypher: str, sources: list[int]) -> dict[str, Any]:
    if cypher.startswith("MATCH (n:Meta)"):
        meta = {
            "dataset": "bench",
            "primaryRois": ROIS,
            "roiInfo": json.dumps({r: {} for r in ROIS}),
        }
        return {"columns": ["n"], "data": [[meta]]}
    named = _IN.search(cypher)
    ids = [int(x) for x in named.group(1).split(",") if x.strip()] if named else []
    if "ConnectsTo" not in cypher:
        if "AS type" in cypher:  # neuron properties
            cols = ["bodyId", "type", "instance"]
            return {
                "columns": cols,
                "data": [[b, f"T{b % 50}", f"T{b % 50}_R"] for b in sorted(ids)],
            }
        return {"columns": ["bodyId"], "data": [[b] for b in sources]}
    if "UNWIND keys(roiInfo)" in cypher:
        rows = [[b, post, ROIS[(b + post) % len(ROIS)], w] for b in ids for post, w in partners(b)]
        return {"columns": ["bodyId_pre", "bodyId_post", "roi", "weight"], "data": rows}
    cols = [
        "bodyId_pre",
        "bodyId_post",
        "weight",
        "type_pre",
        "type_post",
        "instance_pre",
        "instance_post",
    ]
    rows = [[b, post, w, None, None, None, None] for b in ids for post, w in partners(b)]
    return {"columns": cols, "data": rows}


def serve(latency: float, sources: list[int]) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/api/version"):
                self._send({"Version": "1.7.0"})  # below 1.7.3: JSON, not Arrow
            else:
                self._send({})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length))
            time.sleep(latency)
            self._send(answer(request["cypher"], sources))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--threads", type=int, nargs="*", default=[4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sources = list(range(1_000_000, 1_000_000 + args.sources))
    server, port = serve(args.latency, sources)
    client = Client(transport=NeuprintHTTP(f"http://127.0.0.1:{port}", "bench", timeout=30))
    print(
        f"{args.sources} sources, batches of {args.batch_size} "
        f"({-(-args.sources // args.batch_size)} batches x 2 queries), "
        f"{args.latency * 1000:.0f} ms per request, load {os.getloadavg()[0]:.2f}"
    )
    results: dict[int, float] = {}
    reference = None
    for threads in [1, *args.threads]:
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            _neurons, rows = fetch_adjacencies(
                sources,
                None,
                batch_size=args.batch_size,
                threads=threads,
                client=client,
                progress=False,
            )
            times.append(time.perf_counter() - start)
        if reference is None:
            reference = rows
        assert rows.equals(reference), "concurrent batches changed the result"
        results[threads] = statistics.median(times)
        print(
            f"  threads={threads:<2d} median {results[threads]:6.2f} s over {args.repeats} runs "
            f"({len(rows):,} rows)"
        )
    for threads in args.threads:
        print(f"  sequential / {threads} threads = {results[1] / results[threads]:.1f}x faster")
    clear_default_client()
    server.shutdown()


if __name__ == "__main__":
    main()
