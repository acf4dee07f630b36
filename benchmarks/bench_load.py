"""Load benchmark for neuprint-dsl: generate a sample export, load it into the embedded engine.

Run from the repository root::

    python benchmarks/bench_load.py                 # 25,000 / 3,000,000; 5 million synapses;
                                                    # the 100,000-neuron scaling row
    python benchmarks/bench_load.py --quick         # smoke run: small samples, same rows
    python benchmarks/bench_load.py --skip-scaling --skip-synapses --json out.json

Issue 15's load targets, printed as written: "Load: 25,000 / 3,000,000 in under 30 s and 1.5
GB peak RSS; with 5 million synapses under 90 s. Progress bars never stand still for more than
5 s during a load or a sample generation." and its scaling row "neurons at 25,000 / 100,000 (a
male-CNS-sized sample) with load time and RSS, to show how cost grows".

What is measured (one run; every step in a fresh child process, one at a time):

* ``generate``: ``generate_sample(dir, neurons=N, edges=M, seed=S, synapses=...)``: wall time,
  CPU time (all threads), peak RSS, and the longest time between two progress reports
  (from the call to the first report and from the last report to the return included).
* ``load``: ``neuprint_dsl.embedded.load(dir, db)`` (``ladybug`` imported first): the same
  figures, and the wall and CPU seconds of each stage the loader reports.
* ``pandas``: the baseline a user would write: ``pd.read_csv`` of the three connection-level
  files (and ``synapses.csv`` for the synapse sample), time and peak RSS; the load's ratio to
  it is printed.
* ``check`` (untimed): the loaded database's row counts (Neuron, Segment, ConnectsTo,
  ConnectsToRoi, Synapse, Mito, Contains, SynapsesTo, CloseTo) and its total connection weight
  equal what pandas computes from the export's CSV files (super-level ROI rows: the primary
  rows summed per parent, as neuPrint lists them).

Peak RSS is the child's ``ru_maxrss``; "1.5 GB" is read as 1.5e9 bytes (the strict reading;
1.5 GiB is printed beside it). The 1-minute load average is printed before and after each
step: the machine is shared, so wall times swing with it; the CPU seconds swing less. Each
target is printed as PASS or MISSED, never asserted. ``--repeats N`` runs each load N times
and reports the median.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import load_average, machine_info, package_version  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parent.parent

LOAD_TARGET_TEXT = (
    "Load: 25,000 / 3,000,000 in under 30 s and 1.5 GB peak RSS; with 5 million synapses "
    "under 90 s. Progress bars never stand still for more than 5 s during a load or a sample "
    "generation."
)
SCALING_TEXT = (
    "Scaling rows: ... neurons at 25,000 / 100,000 (a male-CNS-sized sample) with load time "
    "and RSS, to show how cost grows."
)
LOAD_TARGET_S = 30.0
PEAK_RSS_TARGET = 1.5e9
SYNAPSE_LOAD_TARGET_S = 90.0
SYNAPSES_WANTED = 5_000_000
GAP_TARGET_S = 5.0
#: the last session's figures of this loader (this script at the start of the session of
#: 2026-12-04, load average 2.6; the synapse figure from benchmarks/bench_embedded.py, load 3)
PREVIOUS = {"load_s": 43.8, "peak_rss_mb": 1445.0, "synapse_load_s": 430.0}

#: (label, neurons, edges, seed, synapses)
FULL = {
    "main": ("25,000 / 3,000,000", 25_000, 3_000_000, 1, False),
    "synapses": ("5,000 / 904,000 with synapses", 5_000, 904_000, 0, True),  # 5,031,966
    "scaling": ("100,000 / 6,000,000", 100_000, 6_000_000, 1, False),
}
QUICK = {
    "main": ("3,000 / 150,000", 3_000, 150_000, 1, False),
    "synapses": ("500 / 90,000 with synapses", 500, 90_000, 0, True),
    "scaling": ("6,000 / 300,000", 6_000, 300_000, 1, False),
}
MB = 1_000_000
GIB = 1 << 30
RSS_UNIT = 1 if sys.platform == "darwin" else 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT


# -- child processes ----------------------------------------------------------------------


def child_main(args: argparse.Namespace) -> int:
    """One step in this fresh process; its figures go to ``--result`` as JSON."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    result: dict[str, Any] = {}
    stamps: list[tuple[float, float, str]] = []

    def progress(stage: str, *_: int) -> None:
        stamps.append((time.perf_counter(), cpu_seconds(), stage))

    if args.child == "generate":
        from neuprint_dsl.embedded.sample import generate_sample

        start, cpu0 = time.perf_counter(), cpu_seconds()
        info = generate_sample(
            args.export_dir,
            neurons=args.neurons,
            edges=args.edges,
            seed=args.seed,
            synapses=args.synapses,
            progress=progress,
        )
        end, cpu1 = time.perf_counter(), cpu_seconds()
        result["info"] = {
            k: getattr(info, k)
            for k in ("neurons", "edges", "roi_rows", "total_weight", "synapses", "synapse_pairs")
        } | {"mitochondria": info.mitochondria, "close_to": info.close_to}
    elif args.child == "load":
        from neuprint_dsl.embedded import load

        importlib.import_module("ladybug")
        start, cpu0 = time.perf_counter(), cpu_seconds()
        load(args.export_dir, args.db, progress=progress)
        end, cpu1 = time.perf_counter(), cpu_seconds()
    elif args.child == "pandas":
        import pandas as pd

        start, cpu0 = time.perf_counter(), cpu_seconds()
        rows = 0
        for name in ("neurons", "roi-connections", "total-connections", "synapses"):
            path = Path(args.export_dir) / f"{name}.csv"
            if path.is_file():
                rows += len(pd.read_csv(path))
        end, cpu1 = time.perf_counter(), cpu_seconds()
        result["rows"] = rows
    else:  # check
        result["check"] = check_counts(Path(args.export_dir), Path(args.db))
        Path(args.result).write_text(json.dumps(result), encoding="utf-8")
        return 0
    result["wall_s"] = end - start
    result["cpu_s"] = cpu1 - cpu0
    result["peak_rss"] = peak_rss_bytes()
    times = [start, *(s[0] for s in stamps), end]
    result["max_gap_s"] = max(b - a for a, b in itertools.pairwise(times))
    result["reports"] = len(stamps)
    stages: dict[str, list[float]] = {}
    marks = [(start, cpu0, ""), *stamps, (end, cpu1, "")]
    for (t0, c0, name), (t1, c1, _) in itertools.pairwise(marks):
        if name and name != "done":
            entry = stages.setdefault(name, [0.0, 0.0])
            entry[0] += t1 - t0
            entry[1] += c1 - c0
    result["stages"] = stages
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


def check_counts(export_dir: Path, db_path: Path) -> dict[str, Any]:
    """Row counts and total weight of the database against pandas on the export."""
    import ladybug
    import pandas as pd

    from neuprint_dsl.embedded.build import super_roi_children, table_counts

    meta = json.loads((export_dir / "meta.json").read_text(encoding="utf-8"))
    neurons = pd.read_csv(export_dir / "neurons.csv", usecols=["bodyId"])
    total = pd.read_csv(export_dir / "total-connections.csv")
    roi = pd.read_csv(export_dir / "roi-connections.csv")
    primary = set(meta.get("primaryRois") or roi["roi"].unique().tolist())
    supers = super_roi_children(meta.get("roiHierarchy"), primary, meta.get("dataset"))
    parent = {c: s for s, children in supers.items() for c in children}
    listed = set(roi["roi"].unique().tolist())
    derived = 0
    if not (set(supers) & listed):
        up = roi[roi["roi"].isin(list(parent))].assign(roi=lambda f: f["roi"].map(parent))
        derived = len(up.drop_duplicates(["bodyId_pre", "bodyId_post", "roi"]))
    expected = {
        "Neuron": len(neurons),
        "ConnectsTo": len(total),
        "ConnectsToRoi": len(roi) + derived,
    }
    bodies = set(neurons["bodyId"].tolist())
    ends = set(total["bodyId_pre"].tolist()) | set(total["bodyId_post"].tolist())
    synapses = export_dir / "synapses.csv"
    if synapses.is_file():
        syn = pd.read_csv(synapses, usecols=["id", "bodyId"])
        mito = pd.read_csv(export_dir / "mitochondria.csv", usecols=["id", "bodyId"])
        ends |= set(syn["bodyId"].tolist()) | set(mito["bodyId"].tolist())
        expected["Synapse"] = syn["id"].nunique()
        expected["Mito"] = mito["id"].nunique()
        expected["Contains"] = expected["Synapse"] + expected["Mito"]
        expected["SynapsesTo"] = (
            sum(1 for _ in (export_dir / "synapse-connections.csv").open(encoding="utf-8")) - 1
        )
        expected["CloseTo"] = (
            sum(1 for _ in (export_dir / "closest-mitochondria.csv").open(encoding="utf-8")) - 1
        )
    else:
        expected |= dict.fromkeys(("Synapse", "Mito", "Contains", "SynapsesTo", "CloseTo"), 0)
    expected["Segment"] = len(ends - bodies)
    db = ladybug.Database(str(db_path), read_only=True)
    conn = ladybug.Connection(db)
    try:
        counts = table_counts(conn)
        weight = conn.execute("MATCH ()-[e:ConnectsTo]->() RETURN sum(e.weight)").get_all()[0][0]
    finally:
        conn.close()
        db.close()
    return {
        "counts": counts,
        "expected": expected,
        "weight": int(weight),
        "expected_weight": int(total["weight"].sum()),
        "ok": counts == expected and int(weight) == int(total["weight"].sum()),
    }


def run_child(kind: str, export_dir: Path, db: Path, spec: tuple[Any, ...]) -> dict[str, Any]:
    _, neurons, edges, seed, synapses = spec
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--export-dir",
        str(export_dir),
        "--db",
        str(db),
        "--neurons",
        str(neurons),
        "--edges",
        str(edges),
        "--seed",
        str(seed),
        "--result",
        str(out),
    ] + (["--synapses"] if synapses else [])
    before = load_average()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {kind} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    result["load_average"] = [before, load_average()]
    return result


# -- the runs -------------------------------------------------------------------------------


def measure(
    name: str, spec: tuple[Any, ...], work: Path, repeats: int, keep: bool
) -> dict[str, Any]:
    label = spec[0]
    export_dir, db = work / f"{name}-export", work / f"{name}.lbug"
    print(f"[{label}] generating ...", flush=True)
    generate = run_child("generate", export_dir, db, spec)
    loads = []
    for i in range(repeats):
        print(f"[{label}] loading ({i + 1}/{repeats}) ...", flush=True)
        loads.append(run_child("load", export_dir, db, spec))
    print(f"[{label}] pandas baseline and checks ...", flush=True)
    pandas = run_child("pandas", export_dir, db, spec)
    check = run_child("check", export_dir, db, spec)["check"]
    size = db.stat().st_size
    if not keep:
        shutil.rmtree(export_dir, ignore_errors=True)
        for path in work.glob(f"{name}.lbug*"):
            path.unlink()
    median = sorted(loads, key=lambda r: r["wall_s"])[len(loads) // 2]
    return {
        "label": label,
        "generate": generate,
        "loads": loads,
        "load": median,
        "pandas": pandas,
        "check": check,
        "db_bytes": size,
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISSED"


def report(results: dict[str, dict[str, Any]], quick: bool) -> list[dict[str, Any]]:
    main = results["main"]
    load, pandas = main["load"], main["pandas"]
    rows: list[dict[str, Any]] = [
        {
            "what": f"load {main['label']}",
            "value": f"{load['wall_s']:.1f} s wall ({load['cpu_s']:.1f} s CPU)",
            "target": f"< {LOAD_TARGET_S:.0f} s",
            "pass": load["wall_s"] < LOAD_TARGET_S,
            "baseline": f"pandas read_csv {pandas['wall_s']:.1f} s "
            f"(x{load['wall_s'] / pandas['wall_s']:.1f}); last session {PREVIOUS['load_s']} s",
        },
        {
            "what": f"load {main['label']} peak RSS",
            "value": f"{load['peak_rss'] / MB:,.0f} MB ({load['peak_rss'] / GIB:.2f} GiB)",
            "target": "< 1.5 GB (1,500 MB)",
            "pass": load["peak_rss"] < PEAK_RSS_TARGET,
            "baseline": f"pandas read_csv {pandas['peak_rss'] / MB:,.0f} MB; "
            f"last session {PREVIOUS['peak_rss_mb']:,.0f} MB",
        },
    ]
    gaps = [("load", main["load"]), ("sample generation", main["generate"])]
    if "synapses" in results:
        syn = results["synapses"]
        count = syn["check"]["expected"]["Synapse"]
        rows.append(
            {
                "what": f"load with {count:,} synapses",
                "value": f"{syn['load']['wall_s']:.1f} s wall ({syn['load']['cpu_s']:.1f} s CPU)",
                "target": f"< {SYNAPSE_LOAD_TARGET_S:.0f} s (>= 5 million synapses)",
                "pass": syn["load"]["wall_s"] < SYNAPSE_LOAD_TARGET_S
                and (count >= SYNAPSES_WANTED or quick),
                "baseline": f"pandas read_csv {syn['pandas']['wall_s']:.1f} s; "
                f"last session {PREVIOUS['synapse_load_s']:.0f} s; peak RSS "
                f"{syn['load']['peak_rss'] / MB:,.0f} MB",
            }
        )
        gaps += [("synapse load", syn["load"]), ("synapse sample generation", syn["generate"])]
    if "scaling" in results:
        gaps.append(("scaling load", results["scaling"]["load"]))
    for what, step in gaps:
        rows.append(
            {
                "what": f"progress: longest still time, {what}",
                "value": f"{step['max_gap_s']:.2f} s ({step['reports']} reports)",
                "target": f"<= {GAP_TARGET_S:.0f} s",
                "pass": step["max_gap_s"] <= GAP_TARGET_S,
                "baseline": "",
            }
        )
    for result in results.values():
        rows.append(
            {
                "what": f"identical table counts, {result['label']}",
                "value": "equal" if result["check"]["ok"] else "DIFFERENT",
                "target": "equal to the export",
                "pass": result["check"]["ok"],
                "baseline": "",
            }
        )
    return rows


def print_report(results: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    print()
    print("-- issue 15, the load target as written:")
    print(f"   {LOAD_TARGET_TEXT}")
    width = max(len(r["what"]) for r in rows)
    for r in rows:
        print(
            f"  {r['what']:<{width}}  {r['value']:<30} target {r['target']:<38} "
            f"{verdict(r['pass']):<6} {r['baseline']}"
        )
    print()
    print(f"-- {SCALING_TEXT}")
    print(f"  {'sample':<32} {'load wall':>10} {'load CPU':>9} {'peak RSS':>10} {'db size':>9} "
          f"{'generate':>9}  load average (before/after load)")  # fmt: skip
    for name in ("main", "scaling", "synapses"):
        if name in results:
            r = results[name]
            load = r["load"]
            print(
                f"  {r['label']:<32} {load['wall_s']:>8.1f} s {load['cpu_s']:>7.1f} s "
                f"{load['peak_rss'] / MB:>7,.0f} MB {r['db_bytes'] / MB:>6,.0f} MB "
                f"{r['generate']['wall_s']:>7.1f} s  {load['load_average']}"
            )
    print()
    print("-- load stages (wall s / CPU s, as the loader reports them)")
    for r in results.values():
        stages = r["load"]["stages"]
        parts = [f"{stage} {w:.1f}/{c:.1f}" for stage, (w, c) in stages.items() if w >= 0.05]
        print(f"  {r['label']}: " + "; ".join(parts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small samples (smoke run)")
    parser.add_argument("--skip-synapses", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="loads per sample (median)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the exports and databases")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--child", choices=["generate", "load", "pandas", "check"])
    parser.add_argument("--export-dir")
    parser.add_argument("--db")
    parser.add_argument("--neurons", type=int)
    parser.add_argument("--edges", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--synapses", action="store_true")
    parser.add_argument("--result")
    args = parser.parse_args()
    if args.child:
        return child_main(args)
    specs = QUICK if args.quick else FULL
    wanted = ["main"]
    if not args.skip_synapses:
        wanted.append("synapses")
    if not args.skip_scaling:
        wanted.append("scaling")
    info = machine_info()
    print(f"neuprint-dsl load benchmark; python {info['python']}, {info['cpu_count']} cores, "
          f"memory {info['memory_bytes'] / GIB:.1f} GiB; ladybug {package_version('ladybug')}, "
          f"pyarrow {package_version('pyarrow')}, pandas {package_version('pandas')}; "
          f"load average {info['load_average_1min']}")  # fmt: skip
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-load-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {name: measure(name, specs[name], work, args.repeats, args.keep) for name in wanted}
    rows = report(results, args.quick)
    print_report(results, rows)
    print(f"\nload average at the end: {load_average()}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "results": results}, indent=1) + "\n")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
