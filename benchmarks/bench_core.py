"""Core-path micro-benchmarks for neuprint-dsl, side by side with neuprint-python.

Run from the repository root::

    python benchmarks/bench_core.py            # full run: 7 repeats x 2,000 iterations per row
    python benchmarks/bench_core.py --quick    # smoke run: 3 repeats x 200 iterations
    python benchmarks/bench_core.py --json out.json

What is measured (single-threaded, one process, one run):

* ``dsl.*``: building a neuron predicate with the fluent API (``N.type.matches(...) & ...``),
  compiling it with ``to_cypher(pred, "neo4j")`` and rendering ``.inline()`` (the text the
  neuPrintHTTP transport sends), and both together.
* ``text.*``: ``neuprint_dsl.text.parse`` on the same query written as text, and
  parse + compile + inline end to end. Skipped, with the reason, while the text module is
  missing or the query does not parse; a warning if the parse differs from the fluent form.
* ``npy.*``: neuprint-python (``neuprint``) building ``NeuronCriteria(...)`` and its WHERE text
  via ``all_conditions()`` (the fragment ``fetch_neurons`` puts after ``MATCH``), with an
  offline stand-in ``Client`` for its ROI validation. ``NeuronCriteria`` has no
  ``instance startswith``, so the comparable DSL rows use a 5-leaf predicate without it.

Method: ``time.perf_counter_ns`` around batches of ``iterations`` calls of one zero-argument
callable, after a warm-up; ``repeats`` batches per row, taken round-robin across the rows so
load changes on a shared machine hit every row alike; the reported figure is the median of the
per-op times of the batches (the fastest and slowest batch are printed beside it). The 1-minute
load average before and after the run is printed: on a busy machine, trust the ratios more than
the absolute numbers. The cyclic garbage collector is collected before and disabled during each
batch (as ``timeit`` does), unless ``--keep-gc``. The cost of the benchmark loop itself (one
Python call per op) is measured and printed, not subtracted. Timings are informational:
nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from textwrap import indent
from typing import Any

from _machine import load_average, machine_info, package_version  # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parent.parent

#: The typical query, as text (6 leaves) and without the ``startswith`` leaf (5 leaves).
QUERY_TEXT_6 = (
    'type =~ "MBON.*" and roi("MB(R)") and status = "Traced" and not cropped '
    'and pre >= 100 and instance startswith "MBON"'
)
QUERY_TEXT_5 = (
    'type =~ "MBON.*" and roi("MB(R)") and status = "Traced" and not cropped and pre >= 100'
)

#: Targets from the project brief, in ops/second, by row name.
TARGETS: dict[str, float] = {"dsl.compile6": 20_000.0, "text.parse6": 5_000.0}

#: A hemibrain-like ROI list for the stand-in client (the 63 primary ROIs plus some parents).
#: neuprint-python turns ``client.all_rois`` into a set on every WHERE it builds, so its size
#: matters slightly; the real hemibrain list is longer, which would only slow neuprint-python.
STANDIN_PRIMARY_ROIS: tuple[str, ...] = (
    "AB(L)", "AB(R)", "AL(L)", "AL(R)", "AME(R)", "AOTU(R)", "ATL(L)", "ATL(R)", "AVLP(R)",
    "BU(L)", "BU(R)", "CA(L)", "CA(R)", "CAN(R)", "CRE(L)", "CRE(R)", "EB", "EPA(L)", "EPA(R)",
    "FB", "FLA(R)", "GA(R)", "GOR(L)", "GOR(R)", "IB", "ICL(L)", "ICL(R)", "IPS(R)", "LAL(L)",
    "LAL(R)", "LH(R)", "LO(R)", "LOP(R)", "ME(R)", "NO", "PB", "PED(R)", "PLP(R)", "PRW",
    "PVLP(R)", "SAD", "SCL(L)", "SCL(R)", "SIP(L)", "SIP(R)", "SLP(R)", "SMP(L)", "SMP(R)",
    "SPS(L)", "SPS(R)", "VES(L)", "VES(R)", "WED(R)", "a'L(L)", "a'L(R)", "aL(L)", "aL(R)",
    "b'L(L)", "b'L(R)", "bL(L)", "bL(R)", "gL(L)", "gL(R)",
)  # fmt: skip
STANDIN_OTHER_ROIS: tuple[str, ...] = (
    "CX", "INP", "LX(L)", "LX(R)", "MB(+ACA)(R)", "MB(L)", "MB(R)", "OL(R)", "PENP", "SNP(L)",
    "SNP(R)", "VLNP(R)", "VMNP", "AOT(R)", "GC", "GF(R)", "mALT(L)", "mALT(R)", "POC",
)  # fmt: skip


# -- measurement ---------------------------------------------------------------------------


@dataclass
class Row:
    """One benchmark row: a callable, or the reason it could not run."""

    name: str
    label: str
    group: str
    fn: Callable[[], object] | None = None
    skipped: str | None = None
    median_ns: float | None = None
    min_ns: float | None = None
    max_ns: float | None = None
    batch_ns_per_op: list[float] = field(default_factory=list)

    @property
    def ops_per_s(self) -> float | None:
        return None if not self.median_ns else 1e9 / self.median_ns


@dataclass(frozen=True)
class Settings:
    repeats: int
    iterations: int
    warmup: int
    disable_gc: bool


def time_batch(fn: Callable[[], object], iterations: int, disable_gc: bool) -> float:
    """Per-op nanoseconds of one batch of ``iterations`` calls of ``fn()``."""
    loop = range(iterations)
    clock = time.perf_counter_ns
    gc.collect()
    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        start = clock()
        for _ in loop:
            fn()
        elapsed = clock() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / iterations


def measure(rows: list[Row], settings: Settings) -> None:
    """Fill in the timings of every row that can run.

    Batches are taken round-robin (repeat 1 of every row, then repeat 2, ...), so a change of
    machine load during the run is spread over all rows instead of skewing one of them.
    """
    runnable = [r for r in rows if r.fn is not None]
    for row in runnable:
        assert row.fn is not None
        for _ in range(settings.warmup):
            row.fn()
    for _ in range(settings.repeats):
        for row in runnable:
            assert row.fn is not None
            row.batch_ns_per_op.append(time_batch(row.fn, settings.iterations, settings.disable_gc))
    for row in runnable:
        row.median_ns = statistics.median(row.batch_ns_per_op)
        row.min_ns = min(row.batch_ns_per_op)
        row.max_ns = max(row.batch_ns_per_op)


def loop_overhead_ns(settings: Settings) -> float:
    """Median per-op cost of the benchmark loop calling a function that does nothing."""
    noop: Callable[[], object] = lambda: None  # noqa: E731
    return statistics.median(
        time_batch(noop, settings.iterations, settings.disable_gc) for _ in range(settings.repeats)
    )


# -- neuprint-dsl ----------------------------------------------------------------------------


def import_dsl() -> tuple[Any, Callable[..., Any]]:
    """``N`` and ``to_cypher``, importing from the repository root if not installed."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    dsl = importlib.import_module("neuprint_dsl")
    cypher = importlib.import_module("neuprint_dsl.cypher")
    return dsl.N, cypher.to_cypher


def dsl_rows(notes: list[str]) -> tuple[list[Row], Any, Any]:
    """Fluent build / compile rows; also returns the 6- and 5-leaf predicates."""
    N, to_cypher = import_dsl()

    def build6() -> Any:
        return (
            N.type.matches("MBON.*")
            & N.roi("MB(R)")
            & (N.status == "Traced")
            & ~N.cropped
            & (N.pre >= 100)
            & N.instance.startswith("MBON")
        )

    def build5() -> Any:
        return (
            N.type.matches("MBON.*")
            & N.roi("MB(R)")
            & (N.status == "Traced")
            & ~N.cropped
            & (N.pre >= 100)
        )

    pred6, pred5 = build6(), build5()
    # Show what is being timed once, so a wrong compilation is visible rather than just fast.
    notes.append("DSL 6-leaf neo4j inline text (what dsl.compile6 produces):")
    notes.append(indent(to_cypher(pred6, "neo4j").inline(), "    "))

    def compile6() -> str:
        return str(to_cypher(pred6, "neo4j").inline())

    def build_compile6() -> str:
        return str(to_cypher(build6(), "neo4j").inline())

    def compile5() -> str:
        return str(to_cypher(pred5, "neo4j").inline())

    def build_compile5() -> str:
        return str(to_cypher(build5(), "neo4j").inline())

    rows = [
        Row("dsl.build6", "fluent build, 6 leaves", "dsl", build6),
        Row("dsl.compile6", "to_cypher(pred6,'neo4j').inline()", "dsl", compile6),
        Row("dsl.build_compile6", "build + compile + inline, 6 leaves", "dsl", build_compile6),
        Row("dsl.compile5", "to_cypher(pred5).inline(), pre-built", "cmp", compile5),
        Row("dsl.build_compile5", "build + compile + inline, 5 leaves", "cmp", build_compile5),
    ]
    return rows, pred6, pred5


def text_rows(pred6: Any, pred5: Any, notes: list[str]) -> list[Row]:
    """Parse rows, or skipped rows saying why."""
    names = [
        ("text.parse6", "text.parse, 6 leaves", "text"),
        ("text.parse_compile6", "parse + compile + inline, 6 leaves", "text"),
        ("text.parse_compile5", "parse + compile + inline, 5 leaves", "cmp"),
    ]
    try:
        parse = importlib.import_module("neuprint_dsl.text").parse
    except (ImportError, AttributeError) as exc:
        why = (
            f"neuprint_dsl.text.parse is not importable yet ({type(exc).__name__}: {exc}); "
            "rerun once neuprint_dsl/text.py exists"
        )
        return [Row(n, label, g, skipped=why) for n, label, g in names]

    _, to_cypher = import_dsl()
    for text, pred, leaves in ((QUERY_TEXT_6, pred6, 6), (QUERY_TEXT_5, pred5, 5)):
        try:
            parsed = parse(text)
        except Exception as exc:  # report, do not hide: this is a finding, not a skip
            why = f"parse({text!r}) raised {type(exc).__name__}: {exc}"
            return [Row(n, label, g, skipped=why) for n, label, g in names]
        if parsed != pred:
            notes.append(
                f"WARNING: parse(text, {leaves} leaves) != fluent predicate:\n"
                f"    parsed: {parsed!r}\n    fluent: {pred!r}"
            )

    def parse6() -> Any:
        return parse(QUERY_TEXT_6)

    def parse_compile6() -> str:
        return str(to_cypher(parse(QUERY_TEXT_6), "neo4j").inline())

    def parse_compile5() -> str:
        return str(to_cypher(parse(QUERY_TEXT_5), "neo4j").inline())

    fns: list[Callable[[], object]] = [parse6, parse_compile6, parse_compile5]
    return [Row(n, label, g, fn) for (n, label, g), fn in zip(names, fns, strict=True)]


# -- neuprint-python -------------------------------------------------------------------------


def make_standin_client(neuprint: Any) -> Any:
    """A ``neuprint.Client`` subclass instance that never touches the network.

    ``Client.__init__`` sends ``GET /api/dbmeta/datasets``; this skips it and answers the
    cached properties that ``NeuronCriteria._validate_rois`` and friends read from fixed data.
    """
    meta = {
        "dataset": "hemibrain",
        "primaryRois": list(STANDIN_PRIMARY_ROIS),
        "roiInfo": {r: {"pre": 0, "post": 0} for r in STANDIN_PRIMARY_ROIS + STANDIN_OTHER_ROIS},
    }
    all_rois = sorted(meta["roiInfo"])
    primary = sorted(STANDIN_PRIMARY_ROIS)

    class StandInClient(neuprint.Client):  # type: ignore[misc]
        def __init__(self) -> None:  # no super().__init__: that would go to the network
            self.server = "https://standin.invalid"
            self.dataset = "hemibrain:v1.2.1"
            self.token = "standin"
            self.verify = True
            self.session = None

        @property
        def meta(self) -> dict[str, Any]:
            return meta

        @property
        def primary_rois(self) -> list[str]:
            return primary

        @property
        def all_rois(self) -> list[str]:
            return all_rois

        def fetch_custom(self, cypher: str, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the benchmark stand-in client has no server")

    return StandInClient()


def neuprint_rows(neuron_columns: tuple[str, ...], notes: list[str]) -> tuple[list[Row], str]:
    """neuprint-python rows (or skipped rows) and its version string."""
    names = [
        ("npy.where", "NC.all_conditions(), pre-built NC", "cmp"),
        ("npy.construct_where", "NC(...) + all_conditions()", "cmp"),
        ("npy.construct_query", "NC(...) + fetch_neurons-style text", "cmp"),
    ]
    try:
        neuprint = importlib.import_module("neuprint")
        utils = importlib.import_module("neuprint.utils")
        version = importlib.metadata.version("neuprint-python")
    except Exception as exc:
        why = f"neuprint-python is not importable ({type(exc).__name__}: {exc}); pip install it"
        return [Row(n, label, g, skipped=why) for n, label, g in names], "not installed"

    NC = neuprint.NeuronCriteria
    cypher_identifier = utils.cypher_identifier
    client = make_standin_client(neuprint)

    def construct() -> Any:
        return NC(
            type="MBON.*", rois=["MB(R)"], status="Traced", cropped=False, min_pre=100,
            client=client,
        )  # fmt: skip

    nc = construct()

    def where() -> str:
        return str(nc.all_conditions())

    def construct_where() -> str:
        return str(construct().all_conditions())

    # fetch_neurons() (neuprint/queries/neurons.py) assembles its statement like this, after
    # asking the server for the column list; here the columns are the DSL's default columns
    # plus roiInfo (which fetch_neurons always adds), so both sides return the same columns.
    columns = [*neuron_columns, "roiInfo"]

    def construct_query() -> str:
        criteria = construct()
        criteria.matchvar = "n"
        props = list(map(cypher_identifier, columns))
        return_exprs = ",\n".join(f"n.{prop} as {prop}" for prop in props)
        return_exprs = indent(return_exprs, " " * 15)[15:]
        return f"""\
        {criteria.global_with(prefix=8)}
        MATCH (n :{criteria.label})
        {criteria.all_conditions(prefix=8)}
        RETURN {return_exprs}
        ORDER BY n.bodyId
    """

    notes.append("neuprint-python WHERE text (what npy.where produces):")
    notes.append(indent(where(), "    "))
    rows = [
        Row(names[0][0], names[0][1], "cmp", where),
        Row(names[1][0], names[1][1], "cmp", construct_where),
        Row(names[2][0], names[2][1], "cmp", construct_query),
    ]
    return rows, version


# -- reporting -------------------------------------------------------------------------------

#: (numerator row, denominator row, what the ratio means)
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("dsl.compile5", "npy.where", "pre-built query -> text"),
    ("dsl.build_compile5", "npy.construct_where", "build + text (DSL: full statement)"),
    ("dsl.build_compile5", "npy.construct_query", "build + full statement text"),
    ("text.parse_compile5", "npy.construct_where", "text query -> Cypher vs NC -> WHERE"),
)


def fmt_us(ns: float | None) -> str:
    return "-" if ns is None else f"{ns / 1000:.2f}"


def fmt_ops(ops: float | None) -> str:
    return "-" if ops is None else f"{ops:,.0f}"


def compute_ratios(rows: dict[str, Row]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for num, den, what in RATIOS:
        a, b = rows[num].ops_per_s, rows[den].ops_per_s
        out.append(
            {
                "numerator": num,
                "denominator": den,
                "meaning": what,
                "ratio": None if a is None or b is None else a / b,
            }
        )
    return out


def print_report(
    info: dict[str, Any],
    rows: list[Row],
    ratios: list[dict[str, Any]],
    notes: list[str],
    loop_overhead_ns: float,
) -> None:
    s = info["settings"]
    print("neuprint-dsl core benchmark")
    print(f"  Python {info['machine']['python']} ({info['machine']['implementation']}) on")
    print(
        f"  {info['machine']['platform']}, {info['machine']['cpu'] or info['machine']['machine']}"
    )
    print(
        f"  os.cpu_count() = {info['machine']['cpu_count']} (the benchmark is single-threaded); "
        f"1-min load average {info['machine']['load_average_1min']} before, "
        f"{info['load_average_1min_after']} after"
    )
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"  versions: {versions}")
    print(
        f"  method: median of {s['repeats']} batches x {s['iterations']:,} calls "
        f"(warm-up {s['warmup']:,}); gc {'disabled' if s['disable_gc'] else 'enabled'} "
        f"during batches; loop overhead {loop_overhead_ns:.0f} ns/op, not subtracted"
    )
    print()
    for note in notes:
        print(note)
    print()

    width = max(len(r.label) for r in rows)
    header = f"{'row':<22} {'what':<{width}} {'µs/op':>9} {'min-max µs':>15} {'ops/s':>11}  target"
    titles = {
        "dsl": "neuprint-dsl, fluent API (6 leaves)",
        "text": "neuprint-dsl, text language (6 leaves)",
        "cmp": "side by side, 5 leaves (NeuronCriteria has no `instance startswith`)",
    }
    for group in ("dsl", "text", "cmp"):
        print(f"-- {titles[group]}")
        print(header)
        for r in (r for r in rows if r.group == group):
            target = TARGETS.get(r.name)
            verdict = ""
            if target is not None:
                ops = r.ops_per_s
                ok = "n/a" if ops is None else ("met" if ops >= target else "MISSED")
                verdict = f">= {target:,.0f}/s: {ok}"
            spread = "-" if r.min_ns is None else f"{fmt_us(r.min_ns)}-{fmt_us(r.max_ns)}"
            print(
                f"{r.name:<22} {r.label:<{width}} {fmt_us(r.median_ns):>9} {spread:>15} "
                f"{fmt_ops(r.ops_per_s):>11}  {verdict}"
            )
            if r.skipped:
                print(f"{'':<22} SKIPPED: {r.skipped}")
        print()

    print("-- ratios (neuprint-dsl ops/s / neuprint-python ops/s; > 1 means the DSL is faster)")
    for rt in ratios:
        value = "-" if rt["ratio"] is None else f"{rt['ratio']:.2f}x"
        print(f"  {rt['numerator']:<20} / {rt['denominator']:<20} {value:>8}   {rt['meaning']}")
    print()
    print(
        "Notes: the DSL rows produce a whole statement (MATCH ... WHERE ... RETURN 14 columns "
        "... ORDER BY),\n"
        "npy.where / npy.construct_where only the WHERE fragment; npy.construct_query adds "
        "fetch_neurons'\n"
        "MATCH/RETURN/ORDER BY assembly for the same columns (+ roiInfo) but not its column "
        "discovery\n"
        "round trip. The DSL's `not cropped` and NeuronCriteria's cropped=False mean the same "
        "(false or missing)."
    )


def run(settings: Settings) -> dict[str, Any]:
    machine = machine_info()  # before the run, for the load average
    notes: list[str] = []
    loop_overhead = loop_overhead_ns(settings)

    rows_dsl, pred6, pred5 = dsl_rows(notes)
    rows_text = text_rows(pred6, pred5, notes)
    neuron_columns = importlib.import_module("neuprint_dsl.cypher").NEURON_COLUMNS
    rows_npy, npy_version = neuprint_rows(tuple(neuron_columns), notes)
    rows = [*rows_dsl, *rows_text, *rows_npy]
    measure(rows, settings)

    by_name = {r.name: r for r in rows}
    ratios = compute_ratios(by_name)
    info: dict[str, Any] = {
        "machine": machine,
        "versions": {
            "neuprint-dsl": importlib.import_module("neuprint_dsl").__version__,
            "neuprint-python": npy_version,
            "lark": package_version("lark"),
            "attrs": package_version("attrs"),
        },
        "settings": asdict(settings),
        "load_average_1min_after": load_average(),
    }
    print_report(info, rows, ratios, notes, loop_overhead)
    return {
        **info,
        "loop_overhead_ns": loop_overhead,
        "rows": [
            {
                "name": r.name,
                "label": r.label,
                "group": r.group,
                "skipped": r.skipped,
                "median_us": None if r.median_ns is None else r.median_ns / 1000,
                "min_us": None if r.min_ns is None else r.min_ns / 1000,
                "max_us": None if r.max_ns is None else r.max_ns / 1000,
                "ops_per_s": r.ops_per_s,
                "target_ops_per_s": TARGETS.get(r.name),
                "batch_us_per_op": [ns / 1000 for ns in r.batch_ns_per_op],
            }
            for r in rows
        ],
        "ratios": ratios,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few iterations (a smoke run)")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write the numbers here")
    parser.add_argument("--repeats", type=int, help="batches per row (default 7, quick 3)")
    parser.add_argument("--iterations", type=int, help="calls per batch (default 2000, quick 200)")
    parser.add_argument(
        "--keep-gc", action="store_true", help="leave the garbage collector on during batches"
    )
    args = parser.parse_args(argv)

    repeats = args.repeats or (3 if args.quick else 7)
    iterations = args.iterations or (200 if args.quick else 2_000)
    settings = Settings(
        repeats=repeats,
        iterations=iterations,
        warmup=max(iterations // 4, 20),
        disable_gc=not args.keep_gc,
    )
    result = run(settings)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
