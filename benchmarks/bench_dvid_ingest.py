"""DVID bulk annotation ingest: one ``POST keyvalues`` against one ``POST key`` per body.

Issue 13 ("bulk annotation ingest is one request per body today"): ``DvidHTTP.post_keyvalues``
writes N annotations in one protobuf request, each merged exactly as ``post`` merges one.
Side by side, in the same run, against the same local DVID stand-in (tests/dvid_server.py, on
127.0.0.1, with a fixed per-request latency standing in for the network): N calls of
``post()`` and one call of ``post_keyvalues()``. Both leave the same annotations (checked).

Run: python benchmarks/bench_dvid_ingest.py [--quick] [--latency SECONDS]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import time_batch  # benchmarks/_machine.py

from neuprint_dsl.transports import DvidHTTP
from tests.dvid_server import FakeDvid


def make_batch(n: int) -> dict[int, dict[str, object]]:
    return {10_000 + i: {"type": f"T{i % 37}", "status": "Traced", "pre": i} for i in range(n)}


def one_by_one(dvid: DvidHTTP, batch: dict[int, dict[str, object]]) -> None:
    for key, value in batch.items():
        dvid.post(key, value)


def in_one_request(dvid: DvidHTTP, batch: dict[int, dict[str, object]]) -> None:
    dvid.post_keyvalues(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description="DVID bulk ingest benchmark")
    parser.add_argument("--quick", action="store_true", help="fewer annotations and repeats")
    parser.add_argument("--latency", type=float, default=0.002, help="seconds per request")
    args = parser.parse_args()
    sizes = [100] if args.quick else [100, 1000]
    repeats = 2 if args.quick else 3
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}; latency {args.latency * 1000:.1f} ms")
    print(f"{'annotations':>11} | {'post() each (s)':>15} | {'post_keyvalues (s)':>18} | ratio")
    with FakeDvid(latency=args.latency) as server:
        dvid = DvidHTTP(server.url, server.uuid[:6], server.instance, user="bench")
        for n in sizes:
            batch = make_batch(n)
            times: dict[str, list[float]] = {"each": [], "bulk": []}
            for _ in range(repeats):
                for name, write in (("each", one_by_one), ("bulk", in_one_request)):
                    server.reset()
                    times[name].append(time_batch(partial(write, dvid, batch), keep_gc=True))
                    stored = {
                        k: {f: v for f, v in r.items() if not f.endswith(("_user", "_time"))}
                        for k, r in server.records.items()
                    }
                    assert stored == {k: {"bodyid": k, **v} for k, v in batch.items()}, name
            each, bulk = statistics.median(times["each"]), statistics.median(times["bulk"])
            print(f"{n:>11} | {each:>15.3f} | {bulk:>18.3f} | {each / bulk:5.1f}x")
        dvid.close()


if __name__ == "__main__":
    main()
