"""Embedded-engine benchmark for neuprint-dsl: query a loaded connectome, compare with pandas.

Run from the repository root::

    python benchmarks/bench_embedded.py                # full: 25,000 neurons, 3,000,000 edges
    python benchmarks/bench_embedded.py --quick        # smoke run: 3,000 neurons, 150,000 edges
    python benchmarks/bench_embedded.py --json out.json --keep --workdir /scratch

Issue 15's query targets, printed as written: "Neuron regex + ROI filter, connections of 100
ids, per-ROI adjacency of 1,000 ids: each at most 1.5x the time of pandas with the table
already in memory, and at least 5x faster than pandas reading the CSV", and its scaling rows
"per-ROI adjacency at 100 / 1,000 / 10,000 sources" (the neuron-count scaling and the load
targets are benchmarks/bench_load.py's).

What is measured (one run):

* setup: ``generate_sample(export_dir, neurons=N, edges=M, seed=S, synapses=False)`` and
  ``neuprint_dsl.embedded.load(export_dir, db_path)``, each once in a fresh subprocess
  (time and peak RSS printed for information), then ``Embedded(path)`` read-only in this
  process, and the three CSV files read into pandas once.
* for each query, side by side in one run: ``db.run(statement)`` (and its compile and engine
  steps), the same table computed by pandas on the CSV already in memory, and by pandas
  reading the CSV it needs first: (a) ``neurons(N.type.matches("MBON.*") & N.roi("MB(R)"))``
  vs ``str.fullmatch`` + the ``roiInfo`` key on ``neurons.csv``; (b) the connections of 100
  bodyIds with weight >= 5 (type and instance of both sides) vs ``total-connections.csv``
  filtered and joined with ``neurons.csv``; (c) the per-ROI adjacency of 1,000 sources vs
  ``roi-connections.csv`` filtered, super-level ROIs summed from their primary children.
  Scaling rows: (c) for 100 and 10,000 sources, beside pandas in memory.
* checks (untimed): every DSL table equals the pandas one, same rows in the same order, for
  every id set.

Method: ``time.perf_counter_ns`` around single calls of one callable after a warm-up; the runs
are taken round-robin across the rows (run 1 of every row, then run 2, ...) so that a change of
machine load hits every row alike; the figure reported is the median, with the fastest and
slowest run beside it (every run is in the JSON). The cyclic garbage collector is collected
before and disabled during each timed call. Each bar is printed as PASS or MISSED, never
asserted. The 1-minute load average is printed before the build, after it and at the end: on
a busy machine the absolute numbers suffer, the ratios less so.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import itertools
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _machine import (  # benchmarks/_machine.py
    load_average,
    machine_info,
    package_version,
    timed_call,
)

if TYPE_CHECKING:
    import pandas as pd

    from neuprint_dsl import Connections, Neurons
    from neuprint_dsl.cypher import CypherStatement
    from neuprint_dsl.transports import Embedded

ROOT = Path(__file__).resolve().parent.parent

#: Issue 15's query target, as written, and its two bars.
QUERY_TARGET_TEXT = (
    "Neuron regex + ROI filter, connections of 100 ids, per-ROI adjacency of 1,000 ids: each "
    "at most 1.5x the time of pandas with the table already in memory, and at least 5x faster "
    "than pandas reading the CSV."
)
WARM_BAR_TEXT = "at most 1.5x the time of pandas with the table already in memory"
COLD_BAR_TEXT = "at least 5x faster than pandas reading the CSV"
WARM_MAX_RATIO = 1.5
COLD_MIN_SPEEDUP = 5.0
SCALING_TEXT = "Scaling rows: per-ROI adjacency at 100 / 1,000 / 10,000 sources"
SCALING_SOURCES = (100, 1_000, 10_000)
#: the three queries: DSL row, label as the issue writes it, pandas row stem
QUERIES = (
    ("dsl.neurons", "Neuron regex + ROI filter", "neurons"),
    ("dsl.conn100", "connections of 100 ids", "conn100"),
    ("dsl.per_roi1000", "per-ROI adjacency of 1,000 ids", "per_roi1000"),
)

#: The regex + ROI neuron filter (query a).
NEURON_QUERY_TEXT = 'type =~ "MBON.*" and roi("MB(R)")'
#: The per-ROI table's order (neuprint-dsl's ``per_roi`` ORDER BY), for the pandas baseline.
PER_ROI_SORT = (["bodyId_pre", "bodyId_post", "weight", "roi"], [True, True, False, True])
PER_ROI_COLUMNS = ["bodyId_pre", "bodyId_post", "roi", "weight"]

MB = 1_000_000
RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


def ensure_importable() -> None:
    """Put the repository root on ``sys.path`` when ``neuprint_dsl`` is not installed."""
    if importlib.util.find_spec("neuprint_dsl") is None and str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT


# -- machine ---------------------------------------------------------------------------------


# -- build steps, each in a child process ------------------------------------------------------


def child_main(args: argparse.Namespace) -> int:
    """Run one build step in this (fresh) process and write its figures to ``--child-result``."""
    ensure_importable()
    if args.child == "generate":
        from neuprint_dsl.embedded.sample import generate_sample

        rss_after_import = peak_rss_bytes()
        stamps: list[float] = []
        start = time.perf_counter_ns()
        info = generate_sample(  # connection-level bars here; bench_synapses.py asks for synapses
            args.export_dir,
            neurons=args.neurons,
            edges=args.edges,
            seed=args.seed,
            synapses=args.child_synapses,
            progress=lambda *_: stamps.append(time.perf_counter()),
        )
        elapsed = time.perf_counter_ns() - start
        extra: dict[str, Any] = {"roi_rows": info.roi_rows, "total_weight": info.total_weight}
        if args.child_synapses:
            extra.update(
                synapses=info.synapses,
                synapse_pairs=info.synapse_pairs,
                mitochondria=info.mitochondria,
                close_to=info.close_to,
            )
    else:
        from neuprint_dsl.embedded import load

        importlib.import_module("ladybug")  # so that the timed call does not import the engine
        rss_after_import = peak_rss_bytes()
        stamps = []
        start = time.perf_counter_ns()
        path = load(
            args.export_dir, args.db, progress=lambda *_: stamps.append(time.perf_counter())
        )
        elapsed = time.perf_counter_ns() - start
        extra = {"db_path": str(path)}
    ends = [start / 1e9, *stamps, (start + elapsed) / 1e9]
    extra["progress_reports"] = len(stamps)
    extra["progress_max_gap_s"] = max(b - a for a, b in itertools.pairwise(ends))
    result = {
        "call_s": elapsed / 1e9,
        "rss_after_import_bytes": rss_after_import,
        "peak_rss_bytes": peak_rss_bytes(),
        **extra,
    }
    Path(args.child_result).write_text(json.dumps(result) + "\n", encoding="utf-8")
    return 0


@dataclass
class Step:
    """One build step as its child process reported it."""

    name: str
    label: str
    call_s: float
    process_s: float
    peak_rss_bytes: int
    rss_after_import_bytes: int
    extra: dict[str, Any]


def run_child(
    step: str,
    label: str,
    args: argparse.Namespace,
    export_dir: Path,
    db_path: Path,
    *,
    synapses: bool = False,
) -> Step:
    """Run ``step`` in a fresh interpreter (this script's child mode, which
    bench_synapses.py uses too, with ``synapses=True``); raise ``RuntimeError`` with its
    stderr if it fails."""
    result_file = export_dir.parent / f".{step}-result.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child", step,
        "--child-result", str(result_file),
        "--export-dir", str(export_dir),
        "--db", str(db_path),
        "--neurons", str(args.neurons),
        "--edges", str(args.edges),
        "--seed", str(args.seed),
        *(["--child-synapses"] if synapses else []),
    ]  # fmt: skip
    start = time.perf_counter_ns()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    process_s = (time.perf_counter_ns() - start) / 1e9
    if done.returncode != 0:
        raise RuntimeError(
            f"the {step} step failed (exit status {done.returncode}):\n{done.stderr.strip()}"
        )
    data = json.loads(result_file.read_text(encoding="utf-8"))
    result_file.unlink()
    return Step(
        name=step,
        label=label,
        call_s=float(data.pop("call_s")),
        process_s=process_s,
        peak_rss_bytes=int(data.pop("peak_rss_bytes")),
        rss_after_import_bytes=int(data.pop("rss_after_import_bytes")),
        extra=data,
    )


# -- timed rows ------------------------------------------------------------------------------


@dataclass
class Row:
    """One timed row: ``fn(run_index)`` returns the number of rows it produced (or None)."""

    name: str
    label: str
    group: str
    fn: Callable[[int], int | None]
    repeats: int
    warmup: int
    error: str | None = None
    samples_ns: list[int] = field(default_factory=list)
    rows_returned: list[int] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.samples_ns) / 1e6 if self.samples_ns else None

    @property
    def min_ms(self) -> float | None:
        return min(self.samples_ns) / 1e6 if self.samples_ns else None

    @property
    def max_ms(self) -> float | None:
        return max(self.samples_ns) / 1e6 if self.samples_ns else None


def measure(rows: list[Row]) -> None:
    """Warm every row up, then time them round-robin; a row that raises keeps its error."""
    for row in rows:
        try:
            for i in range(row.warmup):
                row.fn(i)
        except Exception as exc:  # a finding to report, not to hide
            row.error = f"{type(exc).__name__}: {exc}"
    for index in range(max(r.repeats for r in rows)):
        for row in rows:
            if row.error is not None or index >= row.repeats:
                continue
            try:
                elapsed, count = timed_call(partial(row.fn, index), clock=time.perf_counter_ns)
            except Exception as exc:
                row.error = f"run {index + 1}: {type(exc).__name__}: {exc}"
                continue
            row.samples_ns.append(elapsed)
            if count is not None:
                row.rows_returned.append(count)


# -- the queries -----------------------------------------------------------------------------


@dataclass
class QuerySetup:
    """The database, the statements of the three bars and the id sets they cycle through."""

    db: Embedded
    neuron_stmt: Neurons
    conn_stmts: list[Connections]
    ids100: list[list[int]]
    #: per-ROI statements and their id sets, by number of sources (1,000 and the scaling rows)
    per_roi_stmts: dict[int, list[Connections]]
    per_roi_ids: dict[int, list[list[int]]]


@dataclass
class Frames:
    """The CSV export read into pandas once (the "table already in memory" baselines)."""

    neurons: pd.DataFrame
    total: pd.DataFrame
    roi: pd.DataFrame
    export_dir: Path


def draw_id_sets(body_ids: Sequence[int], size: int, count: int, seed: int) -> list[list[int]]:
    """``count`` sorted sets of ``size`` distinct bodyIds, reproducible from ``seed``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pool = np.asarray(sorted(body_ids), dtype=np.int64)
    size = min(size, pool.size)
    return [
        sorted(int(b) for b in rng.choice(pool, size=size, replace=False)) for _ in range(count)
    ]


def make_setup(
    db: Embedded, seed: int, sets100: int, sets1000: int, scaling: Sequence[int]
) -> QuerySetup:
    from neuprint_dsl import E, N, connections, neurons

    all_ids = db.run(neurons(columns=["bodyId"]))["bodyId"].tolist()
    ids100 = draw_id_sets(all_ids, 100, sets100, seed)
    per_roi_ids = {
        size: draw_id_sets(all_ids, size, sets1000 if size == 1000 else 2, seed + 1 + size)
        for size in sorted({1000, *scaling})
    }
    return QuerySetup(
        db=db,
        neuron_stmt=neurons(N.type.matches("MBON.*") & N.roi("MB(R)"), columns=["bodyId", "type"]),
        conn_stmts=[connections(N.bodyId.isin(ids), where=E.weight >= 5) for ids in ids100],
        ids100=ids100,
        per_roi_stmts={
            size: [connections(N.bodyId.isin(ids), per_roi=True) for ids in sets]
            for size, sets in per_roi_ids.items()
        },
        per_roi_ids=per_roi_ids,
    )


def dsl_rows(setup: QuerySetup, repeats: int, scale_repeats: int) -> list[Row]:
    """``run``, compile-only and engine-only rows for the three statements, and ``run`` rows
    for the per-ROI scaling sizes."""
    from neuprint_dsl.cypher import to_cypher

    db = setup.db
    schema = db.schema
    families: list[tuple[str, str, Sequence[Neurons | Connections]]] = [
        ("dsl.neurons", "regex + ROI neuron filter", [setup.neuron_stmt]),
        ("dsl.conn100", "connections of 100 ids, w >= 5", setup.conn_stmts),
        ("dsl.per_roi1000", "per-ROI table of 1,000 ids", setup.per_roi_stmts[1000]),
    ]
    rows: list[Row] = []
    for name, label, stmts in families:
        compiled: list[CypherStatement] = [to_cypher(s, "ladybug", schema=schema) for s in stmts]
        warm = max(2, len(stmts))

        def run(i: int, stmts: Sequence[Neurons | Connections] = stmts) -> int:
            return len(db.run(stmts[i % len(stmts)]))

        def compile_only(i: int, stmts: Sequence[Neurons | Connections] = stmts) -> None:
            to_cypher(stmts[i % len(stmts)], "ladybug", schema=schema)

        def engine(i: int, compiled: list[CypherStatement] = compiled) -> int:
            return len(db.execute(compiled[i % len(compiled)]).to_frame())

        rows += [
            Row(name, f"{label}: db.run(stmt)", "dsl", run, repeats, warm),
            Row(f"{name}.compile", "  compile: to_cypher(stmt, 'ladybug')", "dsl",
                compile_only, repeats, warm),
            Row(f"{name}.engine", "  engine: db.execute(compiled).to_frame()", "dsl",
                engine, repeats, warm),
        ]  # fmt: skip
        if name == "dsl.per_roi1000":
            rows.append(
                Row(f"{name}.companion", "  companion: db.answer_directly(stmt)", "dsl",
                    partial(companion_only, db, stmts), repeats, warm)
            )  # fmt: skip
    for size, stmts in setup.per_roi_stmts.items():
        if size == 1000:
            continue
        n = len(setup.per_roi_ids[size][0])

        def run_size(i: int, stmts: Sequence[Connections] = stmts) -> int:
            return len(db.run(stmts[i % len(stmts)]))

        rows.append(
            Row(f"dsl.per_roi{size}", f"per-ROI table of {n:,} ids: db.run(stmt)", "scaling",
                run_size, repeats if size < 1000 else scale_repeats, 1)
        )  # fmt: skip
    for size, stmts in setup.per_roi_stmts.items():
        if size == 1000:  # dsl.per_roi1000.engine
            continue
        compiled_size = [to_cypher(s, "ladybug", schema=schema) for s in stmts]

        def engine_size(i: int, compiled: list[CypherStatement] = compiled_size) -> int:
            return len(db.execute(compiled[i % len(compiled)]).to_frame())

        rows.append(
            Row(f"dsl.per_roi{size}.engine",
                f"  {len(setup.per_roi_ids[size][0]):,} ids, engine: db.execute(compiled)"
                ".to_frame()", "scaling", engine_size, repeats if size < 1000 else scale_repeats, 1)
        )  # fmt: skip
    return rows


def companion_only(db: Embedded, stmts: Sequence[Connections], i: int) -> int:
    """The per-ROI rows from the database's ``roi-rows`` companion alone (what ``db.run``
    does after compiling); an error if the companion does not answer."""
    frame = db.answer_directly(stmts[i % len(stmts)])
    if frame is None:
        raise RuntimeError("the roi-rows companion did not answer (missing, or of another build)")
    return len(frame)


def pandas_neurons(frame: pd.DataFrame) -> pd.DataFrame:
    """``dsl.neurons`` as a pandas user would write it on ``neurons.csv``: ``type`` fully
    matching ``MBON.*`` and ``MB(R)`` a key of the ``roiInfo`` JSON (found as the text
    ``"MB(R)":``, which only a key can be), sorted by bodyId."""
    chosen = frame[
        frame["type"].str.fullmatch("MBON.*", na=False)
        & frame["roiInfo"].str.contains('"MB(R)":', regex=False, na=False)
    ]
    return chosen[["bodyId", "type"]].sort_values("bodyId", ignore_index=True)


def pandas_connections(
    total: pd.DataFrame, neurons_: pd.DataFrame, ids: Sequence[int]
) -> pd.DataFrame:
    """``dsl.conn100`` as a pandas user would write it: ``total-connections.csv`` filtered
    (``isin`` + ``weight >= 5``), types and instances joined from ``neurons.csv``, sorted as
    neuprint-dsl sorts (``weight`` descending, then ``bodyId_pre``, ``bodyId_post``)."""
    chosen = total[total["bodyId_pre"].isin(ids) & (total["weight"] >= 5)]
    names = neurons_.set_index("bodyId")[["type", "instance"]]
    pre = names.reindex(chosen["bodyId_pre"].to_numpy())
    post = names.reindex(chosen["bodyId_post"].to_numpy())
    out = chosen[["bodyId_pre", "bodyId_post", "weight"]].reset_index(drop=True)
    for column in ("type", "instance"):
        out[f"{column}_pre"] = pre[column].to_numpy()
        out[f"{column}_post"] = post[column].to_numpy()
    return out.sort_values(
        ["weight", "bodyId_pre", "bodyId_post"], ascending=[False, True, True], ignore_index=True
    )


def pandas_per_roi(frame: pd.DataFrame, ids: Sequence[int]) -> pd.DataFrame:
    """The per-ROI adjacency table of ``ids`` as a pandas user would compute it with
    neuPrint's meaning: every ROI, super-level ones as the sum of their primary children
    (the export lists primary ROIs only), and no NotPrimary remainder (not an ROI)."""
    import pandas as pd

    from neuprint_dsl.embedded.rois import NOT_PRIMARY, SUPER_ROI_CHILDREN

    chosen = frame[frame["bodyId_pre"].isin(ids) & (frame["roi"] != NOT_PRIMARY)]
    parent = {c: p for p, children in SUPER_ROI_CHILDREN.items() for c in children}
    up = chosen[chosen["roi"].isin(parent)].assign(roi=lambda f: f["roi"].map(parent))
    supers = up.groupby(["bodyId_pre", "bodyId_post", "roi"], as_index=False)["weight"].sum()
    every = pd.concat([chosen[PER_ROI_COLUMNS], supers[PER_ROI_COLUMNS]], ignore_index=True)
    every = every[every["weight"] > 0]
    columns, ascending = PER_ROI_SORT
    return every.sort_values(columns, ascending=ascending, ignore_index=True)


def pandas_rows(
    frames: Frames, setup: QuerySetup, repeats: int, cold_repeats: int, scale_repeats: int
) -> list[Row]:
    """Each query's pandas baseline on the table already in memory (``warm``) and with
    ``pd.read_csv`` of the files it needs (``cold``); warm rows for the scaling sizes."""
    import pandas as pd

    export = frames.export_dir
    ids100, ids1000 = setup.ids100, setup.per_roi_ids[1000]

    def neurons_warm(i: int) -> int:
        return len(pandas_neurons(frames.neurons))

    def neurons_cold(i: int) -> int:
        return len(pandas_neurons(pd.read_csv(export / "neurons.csv")))

    def conn_warm(i: int) -> int:
        return len(pandas_connections(frames.total, frames.neurons, ids100[i % len(ids100)]))

    def conn_cold(i: int) -> int:
        total = pd.read_csv(export / "total-connections.csv")
        names = pd.read_csv(export / "neurons.csv", usecols=["bodyId", "type", "instance"])
        return len(pandas_connections(total, names, ids100[i % len(ids100)]))

    def per_roi_warm(i: int, sets: list[list[int]] = ids1000) -> int:
        return len(pandas_per_roi(frames.roi, sets[i % len(sets)]))

    def per_roi_cold(i: int) -> int:
        roi = pd.read_csv(export / "roi-connections.csv")
        return len(pandas_per_roi(roi, ids1000[i % len(ids1000)]))

    warm = max(2, len(ids100))
    rows = [
        Row("pandas.neurons_warm", "in memory: str.fullmatch + roiInfo key + sort", "pandas",
            neurons_warm, repeats, 2),
        Row("pandas.neurons_cold", "read_csv(neurons) + the same", "pandas", neurons_cold,
            cold_repeats, 1),
        Row("pandas.conn100_warm", "in memory: isin + weight filter + type join + sort",
            "pandas", conn_warm, repeats, warm),
        Row("pandas.conn100_cold", "read_csv(total-connections, neurons) + the same", "pandas",
            conn_cold, cold_repeats, 1),
        Row("pandas.per_roi1000_warm", "in memory: isin + super-level sums + sort", "pandas",
            per_roi_warm, repeats, max(2, len(ids1000))),
        Row("pandas.per_roi1000_cold", "read_csv(roi-connections) + the same", "pandas",
            per_roi_cold, cold_repeats, 1),
    ]  # fmt: skip
    for size, sets in setup.per_roi_ids.items():
        if size == 1000:
            continue

        def scale_warm(i: int, sets: list[list[int]] = sets) -> int:
            return len(pandas_per_roi(frames.roi, sets[i % len(sets)]))

        rows.append(
            Row(f"pandas.per_roi{size}_warm", f"in memory, {len(sets[0]):,} ids", "scaling",
                scale_warm, repeats if size < 1000 else scale_repeats, 1)
        )  # fmt: skip
    return rows


# -- correctness checks (untimed) ------------------------------------------------------------


def as_tuples(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values (ints stay ints, strings stay strings; a
    missing value, ``None`` or ``NaN``, is ``None``)."""

    def plain(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and v != v) else v

    return list(zip(*([plain(v) for v in frame[c].tolist()] for c in columns), strict=True))


def same_table(dsl: pd.DataFrame, base: pd.DataFrame) -> tuple[bool, str]:
    """Whether the DSL's frame and the pandas one are the same table: same columns, same
    rows in the same order (missing values alike); else what differs."""
    if list(dsl.columns) != list(base.columns):
        return False, f"columns {list(dsl.columns)} vs pandas {list(base.columns)}"
    a, b = as_tuples(dsl, list(dsl.columns)), as_tuples(base, list(base.columns))
    if a == b:
        return True, f"{len(a):,} rows"
    sa, sb = set(a), set(b)
    return False, (
        f"DSL {len(a):,} rows, pandas {len(b):,}; only in DSL {len(sa - sb)} "
        f"(e.g. {sorted(sa - sb, key=repr)[:2]}), only in pandas {len(sb - sa)} "
        f"(e.g. {sorted(sb - sa, key=repr)[:2]})"
        + ("; same rows, another order" if sa == sb and len(a) == len(b) else "")
    )


def run_checks(setup: QuerySetup, frames: Frames) -> list[dict[str, Any]]:
    """Each DSL result against the pandas baseline, for every id set: the same table."""
    db = setup.db
    checks: list[dict[str, Any]] = []

    def add(query: str, name: str, pairs: list[tuple[pd.DataFrame, pd.DataFrame]]) -> None:
        results = [same_table(dsl, base) for dsl, base in pairs]
        good = sum(ok for ok, _ in results)
        detail = "; ".join(
            f"set {n + 1}: {text}" for n, (ok, text) in enumerate(results) if not ok
        ) or ", ".join(text for _, text in results)
        checks.append(
            {"query": query, "name": name, "ok": good == len(results),
             "detail": f"{good}/{len(results)} identical ({detail})"}
        )  # fmt: skip

    add("dsl.neurons", "neurons(regex + roi) == pandas on neurons.csv",
        [(db.run(setup.neuron_stmt), pandas_neurons(frames.neurons))])  # fmt: skip
    add(
        "dsl.conn100",
        "connections(100 ids, w >= 5) == pandas on total-connections.csv + neurons.csv",
        [
            (db.run(stmt), pandas_connections(frames.total, frames.neurons, ids))
            for stmt, ids in zip(setup.conn_stmts, setup.ids100, strict=True)
        ],
    )
    for size, stmts in setup.per_roi_stmts.items():
        add(
            f"dsl.per_roi{size}",
            f"per-ROI table of {len(setup.per_roi_ids[size][0]):,} ids == pandas on "
            "roi-connections.csv",
            [
                (db.run(stmt), pandas_per_roi(frames.roi, ids))
                for stmt, ids in zip(stmts, setup.per_roi_ids[size], strict=True)
            ],
        )
    for size, stmts in setup.per_roi_stmts.items():
        results = [companion_check(db, stmt) for stmt in stmts]
        good = sum(ok for ok, _ in results)
        checks.append(
            {"query": None, "name": f"per-ROI table of {len(setup.per_roi_ids[size][0]):,} ids: "
             "db.run answered from the roi-rows companion, frame identical to the engine's",
             "ok": good == len(results),
             "detail": f"{good}/{len(results)} ({'; '.join(text for _, text in results)})"}
        )  # fmt: skip
    ends = set(frames.roi["bodyId_pre"].unique().tolist()) | set(
        frames.roi["bodyId_post"].unique().tolist()
    )
    missing = ends - set(frames.neurons["bodyId"].tolist())
    checks.append(
        {"query": None, "name": "every endpoint in neurons.csv", "ok": not missing,
         "detail": f"{len(missing):,} connection endpoints are not in neurons.csv (0 means "
         "the pandas baselines need no Neuron-label filter)"}
    )  # fmt: skip
    return checks


def companion_check(db: Embedded, stmt: Connections) -> tuple[bool, str]:
    """Whether ``db.run(stmt)`` came from the ``roi-rows`` companion and equals, values,
    dtypes, order and index, the frame the executor makes of the engine's rows."""
    from neuprint_dsl.cypher import to_cypher
    from neuprint_dsl.frames import shape_statement

    direct = db.answer_directly(stmt)
    if direct is None:
        return False, "the companion did not answer"
    compiled = to_cypher(stmt, "ladybug", schema=db.schema)
    engine = shape_statement(db.execute(compiled).to_frame(), stmt, db.schema.node_kinds())
    same = (
        direct.equals(engine)
        and list(direct.dtypes) == list(engine.dtypes)
        and direct.index.equals(engine.index)
        and db.run(stmt).equals(direct)
    )
    return same, f"{len(direct):,} rows {'identical' if same else 'DIFFER'}"


# -- reporting -------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:,.1f}" if ms >= 100 else f"{ms:.2f}"


def fmt_rows(counts: list[int]) -> str:
    if not counts:
        return "-"
    lo, hi = min(counts), max(counts)
    return f"{lo:,}" if lo == hi else f"{lo:,}-{hi:,}"


def file_size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def print_header(info: dict[str, Any]) -> None:
    m, s = info["machine"], info["settings"]
    print("neuprint-dsl embedded-engine benchmark (issue 15: queries vs pandas)")
    print(f"  Python {m['python']} ({m['implementation']}) on")
    print(f"  {m['platform']}, {m['cpu'] or m['machine']}")
    memory = "?" if m["memory_bytes"] is None else f"{m['memory_bytes'] / 1e9:.1f} GB"
    print(f"  os.cpu_count() = {m['cpu_count']}, memory {memory}; 1-min load average "
          f"{info['load_average_1min']['before']} before the run")  # fmt: skip
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"  versions: {versions}")
    print(
        f"  data: synthetic sample, {s['neurons']:,} neurons, {s['edges']:,} connections, "
        f"seed {s['seed']}{' (--quick)' if s['quick'] else ''}"
    )
    print(f"  workdir: {info['workdir']}{' (kept)' if s['keep'] else ' (deleted afterwards)'}")
    print(
        f"  method: queries warm, median of {s['repeats']} runs round-robin "
        f"(pandas from the CSV: {s['cold_repeats']}; 10,000-source rows: "
        f"{s['scale_repeats']}); {s['id_sets_100']} sets of 100 ids and "
        f"{s['id_sets_1000']} sets of 1,000 ids cycled; gc off during each timed call"
    )
    print()


def print_build(
    steps: list[Step], db_bytes: int, export_sizes: dict[str, int], side_files: dict[str, int]
) -> None:
    print("-- setup: one run per step, each in a fresh subprocess (information only: the load "
          "targets are benchmarks/bench_load.py's)")  # fmt: skip
    width = max((len(st.label) for st in steps), default=4)
    print(f"{'step':<10} {'what':<{width}} {'call s':>8} {'process s':>10} "
          f"{'peak RSS MB':>12} {'after imports':>14}")  # fmt: skip
    for st in steps:
        print(
            f"{st.name:<10} {st.label:<{width}} {st.call_s:>8.2f} {st.process_s:>10.2f} "
            f"{st.peak_rss_bytes / MB:>12,.0f} {st.rss_after_import_bytes / MB:>11,.0f} MB"
        )
    sizes = ", ".join(f"{name} {size / MB:,.1f} MB" for name, size in export_sizes.items())
    print(f"export: {sizes}")
    print(f"database file: {db_bytes / MB:,.1f} MB")
    for name, size in side_files.items():
        print(f"  beside it: {name} {size / MB:,.1f} MB")
    print()


def print_open(open_info: dict[str, Any]) -> None:
    print(
        f"open: import ladybug {open_info['import_ladybug_ms']:.1f} ms (once per process); "
        f"Embedded(path) read-only: first open {open_info['first_ms']:.1f} ms, median of "
        f"{len(open_info['reopen_ms'])} re-opens {open_info['reopen_median_ms']:.1f} ms "
        f"(open + connection + Meta read); pandas read the export in "
        f"{open_info['read_csv_s']:.1f} s (once, for the in-memory rows)"
    )
    print()


def print_rows(rows: list[Row], repeats: int) -> None:
    width = max(len(r.label) for r in rows)
    header = (
        f"{'row':<26} {'what':<{width}} {'runs':>4} {'median ms':>10} {'min-max ms':>19} "
        f"{'rows':>15}"
    )
    titles = {
        "dsl": f"queries on the embedded database (warm, read-only, median of {repeats} runs)",
        "pandas": "plain pandas on the CSV export: the same tables",
        "scaling": "scaling: per-ROI adjacency by number of sources (db.run and pandas in memory)",
    }
    for group in ("dsl", "pandas", "scaling"):
        print(f"-- {titles[group]}")
        print(header)
        for r in (r for r in rows if r.group == group):
            spread = "-" if r.min_ms is None else f"{fmt_ms(r.min_ms)}-{fmt_ms(r.max_ms)}"
            print(
                f"{r.name:<26} {r.label:<{width}} {len(r.samples_ns):>4} "
                f"{fmt_ms(r.median_ms):>10} {spread:>19} {fmt_rows(r.rows_returned):>15}"
            )
            if r.error:
                print(f"{'':<26} ERROR: {r.error}")
        print()


def print_checks(checks: list[dict[str, Any]]) -> None:
    print("-- checks (untimed): each DSL table against the pandas one (same rows, same order)")
    for c in checks:
        print(f"  [{'ok' if c['ok'] else 'MISMATCH'}] {c['name']}: {c['detail']}")
    print()


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def query_targets(by_name: dict[str, Row], checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's two bars for each of the three queries, with the medians they come from."""
    identical = {c["query"]: c for c in checks if c["query"]}
    out = []
    for name, label, base in QUERIES:
        dsl = by_name[name].median_ms
        warm = by_name[f"pandas.{base}_warm"].median_ms
        cold = by_name[f"pandas.{base}_cold"].median_ms
        engine = by_name[f"{name}.engine"].median_ms
        warm_ratio, cold_speedup = _ratio(dsl, warm), _ratio(cold, dsl)
        check = identical.get(name)
        out.append(
            {
                "query": label,
                "row": name,
                "dsl_ms": dsl,
                "engine_ms": engine,
                "pandas_in_memory_ms": warm,
                "pandas_from_csv_ms": cold,
                "dsl_over_pandas_in_memory": warm_ratio,
                "pandas_from_csv_over_dsl": cold_speedup,
                "warm_pass": None if warm_ratio is None else warm_ratio <= WARM_MAX_RATIO,
                "cold_pass": None if cold_speedup is None else cold_speedup >= COLD_MIN_SPEEDUP,
                "identical": None if check is None else check["ok"],
                "identical_detail": None if check is None else check["detail"],
            }
        )
    return out


def missed(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISSED")


def print_targets(targets: list[dict[str, Any]], load_avg: dict[str, float | None]) -> None:
    print("-- issue 15's query targets, as written:")
    print(f"   {QUERY_TARGET_TEXT}")
    for t in targets:
        ratio, speed = t["dsl_over_pandas_in_memory"], t["pandas_from_csv_over_dsl"]
        print(
            f"{t['query']} ({t['row']}): DSL {fmt_ms(t['dsl_ms'])} ms (engine "
            f"{fmt_ms(t['engine_ms'])} ms), pandas in memory {fmt_ms(t['pandas_in_memory_ms'])} "
            f"ms, pandas from the CSV {fmt_ms(t['pandas_from_csv_ms'])} ms; identical results: "
            f"{'-' if t['identical'] is None else ('yes' if t['identical'] else 'NO')}"
        )
        print(
            f"   {WARM_BAR_TEXT}: DSL / pandas in memory = "
            f"{'-' if ratio is None else f'{ratio:.2f}x'}  {missed(t['warm_pass'])}"
        )
        print(
            f"   {COLD_BAR_TEXT}: pandas from the CSV / DSL = "
            f"{'-' if speed is None else f'{speed:.1f}x'}  {missed(t['cold_pass'])}"
        )
    print(
        f"1-min load average: {load_avg['before']} before, {load_avg['after_build']} after the "
        f"build, {load_avg['after']} at the end (2 cores; absolute times swing with load, "
        "ratios less)"
    )
    print()


def scaling_table(by_name: dict[str, Row], setup: QuerySetup) -> list[dict[str, Any]]:
    out = []
    for size in setup.per_roi_ids:
        dsl = by_name[f"dsl.per_roi{size}"]
        warm = by_name[f"pandas.per_roi{size}_warm"]
        out.append(
            {
                "sources": len(setup.per_roi_ids[size][0]),
                "rows": fmt_rows(dsl.rows_returned),
                "dsl_ms": dsl.median_ms,
                "engine_ms": by_name[f"dsl.per_roi{size}.engine"].median_ms,
                "pandas_in_memory_ms": warm.median_ms,
                "dsl_over_pandas_in_memory": _ratio(dsl.median_ms, warm.median_ms),
            }
        )
    return out


def print_scaling(table: list[dict[str, Any]], checks: list[dict[str, Any]]) -> None:
    print(f"-- {SCALING_TEXT} (neuron-count scaling: benchmarks/bench_load.py)")
    ok = {c["query"]: c["ok"] for c in checks if c["query"]}
    print(f"{'sources':>8} {'rows':>17} {'DSL ms':>10} {'engine alone ms':>16} "
          f"{'pandas in memory ms':>20} {'DSL / pandas':>13}  identical")  # fmt: skip
    for t in table:
        ratio = t["dsl_over_pandas_in_memory"]
        same = ok.get(f"dsl.per_roi{t['sources']}", ok.get("dsl.per_roi1000"))
        print(
            f"{t['sources']:>8,} {t['rows']:>17} {fmt_ms(t['dsl_ms']):>10} "
            f"{fmt_ms(t['engine_ms']):>16} {fmt_ms(t['pandas_in_memory_ms']):>20} "
            f"{'-' if ratio is None else f'{ratio:.2f}x':>13}  {'yes' if same else 'NO'}"
        )
    print()


# -- the run ---------------------------------------------------------------------------------


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    load_avg: dict[str, float | None] = {"before": load_average()}
    export_dir, db_path = workdir / "export", workdir / "graph.lbug"
    ensure_importable()
    import neuprint_dsl

    info: dict[str, Any] = {
        "machine": machine_info(),
        "versions": {
            "neuprint-dsl": neuprint_dsl.__version__,
            "ladybug": package_version("ladybug"),
            "pandas": package_version("pandas"),
            "numpy": package_version("numpy"),
            "pyarrow": package_version("pyarrow"),
        },
        "settings": {
            "neurons": args.neurons,
            "edges": args.edges,
            "seed": args.seed,
            "quick": args.quick,
            "keep": args.keep,
            "repeats": args.repeats,
            "cold_repeats": args.cold_repeats,
            "scale_repeats": args.scale_repeats,
            "id_sets_100": args.id_sets,
            "id_sets_1000": args.id_sets_1000,
            "scaling_sources": list(args.scaling_sources),
        },
        "workdir": str(workdir),
        "load_average_1min": load_avg,
    }
    print_header(info)
    sys.stdout.flush()

    steps: list[Step] = []
    if args.from_dir is not None:  # an export and database this script --keep'ed before
        export_dir, db_path = args.from_dir / "export", args.from_dir / "graph.lbug"
        print(f"-- setup: reusing {export_dir} and {db_path} (nothing generated or loaded)")
    else:
        steps = [
            run_child("generate", "generate_sample(export_dir, neurons, edges, seed)", args,
                      export_dir, db_path),
            run_child("load", "load(export_dir, db_path)", args, export_dir, db_path),
        ]  # fmt: skip
    load_avg["after_build"] = load_average()
    db_bytes = file_size(db_path)
    side_files = {
        p.name: file_size(p)
        for p in sorted(db_path.parent.iterdir())
        if p.name.startswith("graph.") and p != db_path
    }
    export_sizes = {p.name: file_size(p) for p in sorted(export_dir.iterdir())}
    print_build(steps, db_bytes, export_sizes, side_files)
    sys.stdout.flush()

    # Open the database read-only in this process; time the engine import apart from it.
    start = time.perf_counter_ns()
    importlib.import_module("ladybug")
    import_ms = (time.perf_counter_ns() - start) / 1e6
    from neuprint_dsl.transports import Embedded

    start = time.perf_counter_ns()
    db = Embedded(db_path)
    first_ms = (time.perf_counter_ns() - start) / 1e6
    reopen: list[float] = []
    for _ in range(5):
        db.close()
        start = time.perf_counter_ns()
        db = Embedded(db_path)
        reopen.append((time.perf_counter_ns() - start) / 1e6)

    try:
        import pandas as pd

        start = time.perf_counter_ns()
        frames = Frames(
            neurons=pd.read_csv(export_dir / "neurons.csv"),
            total=pd.read_csv(export_dir / "total-connections.csv"),
            roi=pd.read_csv(export_dir / "roi-connections.csv"),
            export_dir=export_dir,
        )
        open_info = {
            "import_ladybug_ms": import_ms,
            "first_ms": first_ms,
            "reopen_ms": reopen,
            "reopen_median_ms": statistics.median(reopen),
            "read_csv_s": (time.perf_counter_ns() - start) / 1e9,
        }
        print_open(open_info)
        sys.stdout.flush()
        setup = make_setup(db, args.seed, args.id_sets, args.id_sets_1000, args.scaling_sources)
        rows = dsl_rows(setup, args.repeats, args.scale_repeats)
        rows += pandas_rows(frames, setup, args.repeats, args.cold_repeats, args.scale_repeats)
        measure(rows)
        by_name = {r.name: r for r in rows}
        print_rows(rows, args.repeats)
        checks = run_checks(setup, frames)
        print_checks(checks)
        statements = {
            "neurons": setup.neuron_stmt,
            "conn100": setup.conn_stmts[0],
            "per_roi1000": setup.per_roi_stmts[1000][0],
        }
        from neuprint_dsl.cypher import to_cypher

        cypher = {k: to_cypher(v, "ladybug", schema=db.schema).text for k, v in statements.items()}
    finally:
        db.close()
    load_avg["after"] = load_average()
    scaling = scaling_table(by_name, setup)
    print_scaling(scaling, checks)
    targets = query_targets(by_name, checks)
    print_targets(targets, load_avg)
    print("the per-ROI statement as compiled for Ladybug:")
    print("   " + cypher["per_roi1000"].replace("\n", "\n   "))
    print(f"peak RSS of this (query) process: {peak_rss_bytes() / MB:,.0f} MB")

    return {
        **info,
        "build": [
            {
                "step": s.name,
                "what": s.label,
                "call_s": s.call_s,
                "process_s": s.process_s,
                "peak_rss_bytes": s.peak_rss_bytes,
                "rss_after_import_bytes": s.rss_after_import_bytes,
                **s.extra,
            }
            for s in steps
        ],
        "export_bytes": export_sizes,
        "db_bytes": db_bytes,
        "db_side_files_bytes": side_files,
        "open": open_info,
        "query_text": {"neurons": NEURON_QUERY_TEXT},
        "cypher": cypher,
        "rows": [
            {
                "name": r.name,
                "label": r.label,
                "group": r.group,
                "error": r.error,
                "median_ms": r.median_ms,
                "min_ms": r.min_ms,
                "max_ms": r.max_ms,
                "rows_returned": r.rows_returned,
                "samples_ms": [ns / 1e6 for ns in r.samples_ns],
            }
            for r in rows
        ],
        "checks": checks,
        "targets": {"text": QUERY_TARGET_TEXT, "queries": targets},
        "scaling": scaling,
        "query_process_peak_rss_bytes": peak_rss_bytes(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--neurons", type=int, help="neurons to generate (default 25000)")
    parser.add_argument("--edges", type=int, help="connections to generate (default 3000000)")
    parser.add_argument("--seed", type=int, default=0, help="sample and id-set seed (default 0)")
    parser.add_argument("--workdir", type=Path, help="make the scratch directory here")
    parser.add_argument("--keep", action="store_true", help="keep the export and the database")
    parser.add_argument(
        "--quick", action="store_true", help="3,000 neurons / 150,000 edges, fewer runs"
    )
    parser.add_argument("--repeats", type=int, help="timed runs per query (default 21, quick 7)")
    parser.add_argument(
        "--cold-repeats", type=int, help="timed runs of the pandas cold row (default 7, quick 3)"
    )
    parser.add_argument("--id-sets", type=int, default=5, help="sets of 100 ids (default 5)")
    parser.add_argument("--id-sets-1000", type=int, default=3, help="sets of 1,000 ids (default 3)")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write the numbers here")
    parser.add_argument(
        "--from-dir",
        type=Path,
        help="query DIR/export and DIR/graph.lbug (a --keep'ed workdir) instead of building",
    )
    parser.add_argument(
        "--scale-repeats",
        type=int,
        help="timed runs of the 10,000-source rows (default 5, quick 3)",
    )
    parser.add_argument(
        "--scaling-sources",
        type=int,
        nargs="+",
        default=list(SCALING_SOURCES),
        help="sources of the per-ROI scaling rows (default 100 1000 10000)",
    )
    # Internal: one build step in a child process.
    parser.add_argument("--child", choices=["generate", "load"], help=argparse.SUPPRESS)
    parser.add_argument("--child-result", help=argparse.SUPPRESS)
    parser.add_argument("--child-synapses", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--export-dir", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    args.neurons = args.neurons or (3_000 if args.quick else 25_000)
    args.edges = args.edges or (150_000 if args.quick else 3_000_000)
    if args.child:
        return child_main(args)
    args.repeats = args.repeats or (7 if args.quick else 21)
    args.scale_repeats = args.scale_repeats or (3 if args.quick else 5)
    args.cold_repeats = args.cold_repeats or (3 if args.quick else 7)
    if (
        min(args.repeats, args.cold_repeats, args.scale_repeats, args.id_sets, args.id_sets_1000)
        < 1
    ):
        parser.error("--repeats, --cold-repeats and the id-set counts must be at least 1")

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench_embedded-", dir=args.workdir))
    try:
        result = run_benchmark(args, workdir)
    except RuntimeError as err:
        print(f"\nFAILED: {err}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        print(f"kept {workdir}")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
