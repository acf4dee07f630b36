"""Core-path micro-benchmarks for neuprint-dsl, side by side with neuprint-python.

Run from the repository root::

    python benchmarks/bench_core.py            # full run: 7 repeats x 2,000 iterations per row
    python benchmarks/bench_core.py --quick    # smoke run: 3 repeats x 200 iterations
    python benchmarks/bench_core.py --json out.json

What is measured (single-threaded, one process, one run):

* ``dsl.compile6`` / ``dsl.compile30``: compiling a pre-built neuron predicate of 6 / 30
  conditions to a whole statement (``MATCH ... WHERE ... RETURN`` 14 columns ``ORDER BY``):
  ``to_cypher(pred, "neo4j").inline()`` (the text the neuPrintHTTP transport sends) and, for
  the ``_ladybug`` rows, ``to_cypher(pred, "ladybug")`` with its ``.text`` and ``.params``
  (what the embedded transport sends).
* ``npy.where6`` / ``npy.where30``: neuprint-python's ``NeuronCriteria.all_conditions()`` on a
  pre-built criteria of the *same* conditions (its WHERE text), with an offline stand-in
  ``Client`` for its ROI validation. The 6 conditions are the ones both can express:
  ``type`` regex, an ROI, ``status``, ``cropped`` false or missing, ``min_pre``,
  ``min_post``. The 30 are listed in :data:`NC_KWARGS_30`. The DSL predicates are checked to
  be exactly what ``neuprint_dsl.compat.NeuronCriteria`` makes of the same keywords.
* ``dsl.compile6_negated``: the 6 conditions with two of them negated as a group
  (``~(roi & status)``, written by De Morgan's laws), no target: beside ``dsl.compile6``.
* ``dsl.build6``, ``dsl.build_compile6``, ``npy.construct_*``: building as well.
* ``text.*``: ``neuprint_dsl.text.parse`` on a 6-leaf query written as text (with
  ``instance startswith``), and parse + compile + inline.
* ``build.chain*``: ``a & b & c & ...`` over 100 / 1,000 / 10,000 pre-built leaves (time per
  leaf; linear building keeps it flat), and ``and_(*leaves)`` beside it.

Method: ``time.perf_counter_ns`` around batches of ``iterations`` calls of one zero-argument
callable, after a warm-up; ``repeats`` batches per row, taken round-robin across the rows so
load changes on a shared machine hit every row alike; the reported figure is the median of the
per-op times of the batches (the fastest and slowest batch are printed beside it). Ratios are
ratios of those medians. The 1-minute load average before and after the run is printed: on a
busy machine, trust the ratios more than the absolute numbers. The cyclic garbage collector
is collected before and disabled during each batch (as ``timeit`` does), unless ``--keep-gc``.
The cost of the benchmark loop itself (one Python call per op) is measured and printed, not
subtracted. Timings are informational: nothing here asserts on them.
"""

from __future__ import annotations

import argparse
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

from _machine import (  # benchmarks/_machine.py
    load_average,
    machine_info,
    package_version,
    time_batch,
)

ROOT = Path(__file__).resolve().parent.parent

#: The text-language query of the parse rows (6 leaves, one ``instance startswith``).
QUERY_TEXT_6 = (
    'type =~ "MBON.*" and roi("MB(R)") and status = "Traced" and not cropped '
    'and pre >= 100 and instance startswith "MBON"'
)

#: The 6 conditions of the compile rows, as NeuronCriteria keywords (both sides express them).
NC_KWARGS_6: dict[str, Any] = {
    "type": "MBON.*",
    "rois": ["MB(R)"],
    "status": "Traced",
    "cropped": False,
    "min_pre": 100,
    "min_post": 50,
}
#: The ROIs of the 30-condition criteria (every one required: ``roi_req="all"``).
ROIS_30: tuple[str, ...] = (
    "MB(R)", "CA(R)", "PED(R)", "aL(R)", "a'L(R)", "bL(R)", "b'L(R)", "gL(R)", "SMP(R)", "SIP(R)",
)  # fmt: skip
#: The 30 conditions: a type regex, status, statusLabel, cropped false or missing, min_pre,
#: min_post, somaLocation not null, 13 exact string properties and 10 required ROIs
#: (``somaLocation`` is added as neuprint's / the DSL's ``NotNull``).
NC_KWARGS_30: dict[str, Any] = {
    "type": "MBON.*",
    "regex": True,
    "status": "Traced",
    "statusLabel": "Roughly traced",
    "cropped": False,
    "min_pre": 100,
    "min_post": 200,
    "cellBodyFiber": "PDM01",
    "class_": "MBON",
    "somaSide": "R",
    "hemilineage": "LHl1",
    "superclass": "central",
    "subclass": "MBON_a",
    "predictedNt": "acetylcholine",
    "consensusNt": "acetylcholine",
    "origin": "brain",
    "modality": "central",
    "longTract": "none",
    "entryNerve": "none",
    "exitNerve": "none",
    "rois": list(ROIS_30),
    "roi_req": "all",
}
CHAIN_SIZES = (100, 1_000, 10_000)

#: Targets of issue 15 that this script measures, word for word.
TARGET_COMPILE = (
    "Compile at least 25,000/s and at least 7x neuprint-python's `all_conditions()` on the "
    "same 6 conditions (and on 30 conditions)"
)
TARGET_PARSE = "parse at least 5,000/s"
TARGET_LINEAR = "building with `&` linear"
COMPILE_OPS = 25_000.0
COMPILE_RATIO = 7.0
PARSE_OPS = 5_000.0
#: "linear": the time per leaf of the longest chain within this factor of the shortest's
LINEAR_SLACK = 2.0

#: ops/s targets by row name (shown beside the row).
TARGETS: dict[str, float] = {
    "dsl.compile6": COMPILE_OPS,
    "dsl.compile6_ladybug": COMPILE_OPS,
    "dsl.compile30": COMPILE_OPS,
    "dsl.compile30_ladybug": COMPILE_OPS,
    "text.parse6": PARSE_OPS,
}

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
    """One benchmark row: a callable, or the reason it could not run. ``per`` divides the
    time of one call (e.g. the leaves of a chain), so the row reports time per item."""

    name: str
    label: str
    group: str
    fn: Callable[[], object] | None = None
    skipped: str | None = None
    per: int = 1
    iterations: int | None = None  # calls per batch, when not the settings' default
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


def measure(rows: list[Row], settings: Settings) -> None:
    """Fill in the timings of every row that can run.

    Batches are taken round-robin (repeat 1 of every row, then repeat 2, ...), so a change of
    machine load during the run is spread over all rows instead of skewing one of them.
    """
    runnable = [r for r in rows if r.fn is not None]
    for row in runnable:
        assert row.fn is not None
        for _ in range(settings.warmup if row.iterations is None else 1):
            row.fn()
    for _ in range(settings.repeats):
        for row in runnable:
            assert row.fn is not None
            n = settings.iterations if row.iterations is None else row.iterations
            per_call = time_batch(
                row.fn, n, clock=time.perf_counter_ns, keep_gc=not settings.disable_gc
            )
            row.batch_ns_per_op.append(per_call / row.per)
    for row in runnable:
        row.median_ns = statistics.median(row.batch_ns_per_op)
        row.min_ns = min(row.batch_ns_per_op)
        row.max_ns = max(row.batch_ns_per_op)


def loop_overhead_ns(settings: Settings) -> float:
    """Median per-op cost of the benchmark loop calling a function that does nothing."""
    noop: Callable[[], object] = lambda: None  # noqa: E731
    return statistics.median(
        time_batch(
            noop, settings.iterations, clock=time.perf_counter_ns, keep_gc=not settings.disable_gc
        )
        for _ in range(settings.repeats)
    )


# -- neuprint-dsl ----------------------------------------------------------------------------


def import_dsl() -> Any:
    """The ``neuprint_dsl`` package, importing from the repository root if not installed."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("neuprint_dsl")


def build6() -> Any:
    """The 6 conditions with the fluent API."""
    N = import_dsl().N
    return (
        N.type.matches("MBON.*")
        & N.roi("MB(R)")
        & (N.status == "Traced")
        & ~N.cropped
        & (N.pre >= 100)
        & (N.post >= 50)
    )


def build6_negated() -> Any:
    """The 6 conditions with two of them negated as a group: ``~(roi & status)``."""
    N = import_dsl().N
    return (
        N.type.matches("MBON.*")
        & ~(N.roi("MB(R)") & (N.status == "Traced"))
        & ~N.cropped
        & (N.pre >= 100)
        & (N.post >= 50)
    )


def build30() -> Any:
    """The 30 conditions with the fluent API (in the order compat.NeuronCriteria gives)."""
    N = import_dsl().N
    pred = N.type.matches("MBON.*") & (N.status == "Traced")
    pred &= N.statusLabel == "Roughly traced"
    pred &= ~N.cropped
    for key in (
        "cellBodyFiber", "class_", "consensusNt", "entryNerve", "exitNerve", "hemilineage",
        "longTract", "modality", "origin", "predictedNt", "somaSide", "subclass", "superclass",
    ):  # fmt: skip
        pred &= N[key.rstrip("_")] == NC_KWARGS_30[key]
    pred &= (N.pre >= 100) & (N.post >= 200) & N.somaLocation.not_null()
    for roi in sorted(ROIS_30):
        pred &= N.roi(roi)
    return pred


def same_conditions(pred: Any, kwargs: dict[str, Any], notes: list[str], what: str) -> bool:
    """Check that ``pred`` is what ``neuprint_dsl.compat.NeuronCriteria(**kwargs)`` means
    (the DSL's translation of neuprint-python's criteria), as a set of conditions."""
    compat = importlib.import_module("neuprint_dsl.compat")
    extra = {"somaLocation": compat.NotNull} if kwargs is NC_KWARGS_30 else {}
    expected = compat.NeuronCriteria(**kwargs, **extra).to_expr()
    ok = set(pred.items) == set(expected.items) and len(pred.items) == len(expected.items)
    notes.append(
        f"check: the DSL's {what} == compat.NeuronCriteria(same keywords).to_expr() "
        f"({len(pred.items)} conditions): {'ok' if ok else 'MISMATCH'}"
    )
    if not ok:
        notes.append(f"    DSL:    {pred}\n    compat: {expected}")
    return ok


def dsl_rows(notes: list[str]) -> tuple[list[Row], Any, Any]:
    """Build and compile rows; also returns the 6- and 30-condition predicates."""
    to_cypher = importlib.import_module("neuprint_dsl.cypher").to_cypher
    pred6, pred30 = build6(), build30()
    same_conditions(pred6, NC_KWARGS_6, notes, "6-condition predicate")
    same_conditions(pred30, NC_KWARGS_30, notes, "30-condition predicate")
    # Show what is being timed once, so a wrong compilation is visible rather than just fast.
    notes.append("DSL 6-condition neo4j inline text (what dsl.compile6 produces):")
    notes.append(indent(to_cypher(pred6, "neo4j").inline(), "    "))
    lb = to_cypher(pred6, "ladybug")
    notes.append("DSL 6-condition ladybug WHERE (dsl.compile6_ladybug; text + params):")
    where = [line for line in lb.text.splitlines() if line.startswith(("WHERE", "  AND"))]
    notes.append(indent("\n".join(where) + f"\nparams {dict(lb.params)}", "    "))

    def inline(pred: Any) -> Callable[[], object]:
        return lambda: to_cypher(pred, "neo4j").inline()

    def text_params(pred: Any) -> Callable[[], object]:
        def run() -> object:
            stmt = to_cypher(pred, "ladybug")
            return stmt.text, stmt.params

        return run

    rows = [
        Row("dsl.build6", "fluent build, 6 conditions", "dsl", build6),
        Row("dsl.compile6", "to_cypher(pred6,'neo4j').inline()", "dsl", inline(pred6)),
        Row(
            "dsl.compile6_ladybug",
            "to_cypher(pred6,'ladybug') text+params",
            "dsl",
            text_params(pred6),
        ),
        Row(
            "dsl.compile6_negated",
            "... with ~(roi & status), neo4j inline",
            "dsl",
            inline(build6_negated()),
        ),
        Row(
            "dsl.build_compile6",
            "build + compile + inline, 6 conditions",
            "dsl",
            lambda: to_cypher(build6(), "neo4j").inline(),
        ),
        Row("dsl.build30", "fluent build, 30 conditions", "dsl30", build30),
        Row("dsl.compile30", "to_cypher(pred30,'neo4j').inline()", "dsl30", inline(pred30)),
        Row(
            "dsl.compile30_ladybug",
            "to_cypher(pred30,'ladybug') text+params",
            "dsl30",
            text_params(pred30),
        ),
    ]
    return rows, pred6, pred30


def chain_leaves(settings: Settings) -> int:
    """Leaves built in one batch of a chain row (10,000 a batch in a quick run, 20,000 in a
    full one)."""
    return max(CHAIN_SIZES) * max(1, settings.iterations // 1_000)


def chain_rows(settings: Settings, notes: list[str]) -> list[Row]:
    """``a & b & ...`` over n pre-built leaves (time per leaf), and ``and_(*leaves)``."""
    dsl = import_dsl()
    N, and_ = dsl.N, dsl.and_
    rows = []
    for n in CHAIN_SIZES:
        leaves = [N.pre > i for i in range(n)]

        def chain(leaves: list[Any] = leaves) -> Any:
            pred = leaves[0]
            for leaf in leaves[1:]:
                pred = pred & leaf
            return pred

        def flat(leaves: list[Any] = leaves) -> Any:
            return and_(*leaves)

        same = chain() == flat() and len(chain().items) == n
        notes.append(
            f"check: chain of {n:,} leaves == and_(*leaves): {'ok' if same else 'MISMATCH'}"
        )
        # the same number of leaves in every batch, whatever the chain's length, so that a
        # busy machine preempts the batches of every size alike
        iterations = chain_leaves(settings) // n
        rows.append(Row(f"build.chain{n}", f"a & b & ... , {n:,} leaves, per leaf", "chain",
                        chain, per=n, iterations=iterations))  # fmt: skip
        rows.append(Row(f"build.and_{n}", f"and_(*leaves), {n:,} leaves, per leaf", "chain",
                        flat, per=n, iterations=iterations))  # fmt: skip
    return rows


def text_rows(notes: list[str]) -> list[Row]:
    """Parse rows, or skipped rows saying why."""
    names = [
        ("text.parse6", "text.parse, 6 leaves", "text"),
        ("text.parse_compile6", "parse + compile + inline, 6 leaves", "text"),
    ]
    try:
        parse = importlib.import_module("neuprint_dsl.text").parse
    except (ImportError, AttributeError) as exc:
        why = f"neuprint_dsl.text.parse is not importable ({type(exc).__name__}: {exc})"
        return [Row(n, label, g, skipped=why) for n, label, g in names]
    dsl = import_dsl()
    N, to_cypher = dsl.N, dsl.to_cypher
    fluent = (
        N.type.matches("MBON.*")
        & N.roi("MB(R)")
        & (N.status == "Traced")
        & ~N.cropped
        & (N.pre >= 100)
        & N.instance.startswith("MBON")
    )
    try:
        parsed = parse(QUERY_TEXT_6)
    except Exception as exc:  # report, do not hide: this is a finding, not a skip
        why = f"parse({QUERY_TEXT_6!r}) raised {type(exc).__name__}: {exc}"
        return [Row(n, label, g, skipped=why) for n, label, g in names]
    notes.append(
        f"check: parse(text) == the fluent predicate: {'ok' if parsed == fluent else 'MISMATCH'}"
    )

    def parse6() -> Any:
        return parse(QUERY_TEXT_6)

    def parse_compile6() -> str:
        return str(to_cypher(parse(QUERY_TEXT_6), "neo4j").inline())

    fns: list[Callable[[], object]] = [parse6, parse_compile6]
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
        ("npy.where6", "NC.all_conditions(), pre-built, 6 conditions", "dsl"),
        ("npy.construct_where6", "NC(...) + all_conditions(), 6 conditions", "dsl"),
        ("npy.construct_query6", "NC(...) + fetch_neurons-style text, 6", "dsl"),
        ("npy.where30", "NC.all_conditions(), pre-built, 30 conditions", "dsl30"),
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
        return NC(**NC_KWARGS_6, client=client)

    nc6 = construct()
    nc30 = NC(**NC_KWARGS_30, somaLocation=neuprint.NotNull, client=client)

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

    where30 = nc30.all_conditions()
    notes.append("neuprint-python WHERE text, 6 conditions (what npy.where6 produces):")
    notes.append(indent(nc6.all_conditions(), "    "))
    count30 = sum(1 for line in where30.splitlines() if line.strip().startswith(("n.", "AND", "(")))
    count30 += where30.count(" AND n.")  # the ROIs share one parenthesised line
    notes.append(f"neuprint-python WHERE text, 30 conditions: {count30} conditions")
    rows = [
        Row(names[0][0], names[0][1], names[0][2], nc6.all_conditions),
        Row(names[1][0], names[1][1], names[1][2], lambda: construct().all_conditions()),
        Row(names[2][0], names[2][1], names[2][2], construct_query),
        Row(names[3][0], names[3][1], names[3][2], nc30.all_conditions),
    ]
    return rows, version


# -- reporting -------------------------------------------------------------------------------

#: (numerator row, denominator row, what the ratio means, target or None)
RATIOS: tuple[tuple[str, str, str, float | None], ...] = (
    ("dsl.compile6", "npy.where6", "6 conditions, pre-built -> text (neo4j)", COMPILE_RATIO),
    (
        "dsl.compile6_ladybug",
        "npy.where6",
        "6 conditions, pre-built -> text (ladybug)",
        COMPILE_RATIO,
    ),
    ("dsl.compile30", "npy.where30", "30 conditions, pre-built -> text (neo4j)", COMPILE_RATIO),
    (
        "dsl.compile30_ladybug",
        "npy.where30",
        "30 conditions, pre-built -> text (ladybug)",
        COMPILE_RATIO,
    ),
    ("dsl.compile6", "dsl.compile6_negated", "DSL / DSL: the cost of a negated group", None),
    ("dsl.build_compile6", "npy.construct_where6", "build + text (DSL: full statement)", None),
    ("dsl.build_compile6", "npy.construct_query6", "build + full statement text", None),
)
TITLES = {
    "dsl": "6 conditions (type regex, ROI, status, cropped, min_pre, min_post), side by side",
    "dsl30": "30 conditions (NC_KWARGS_30), side by side",
    "chain": "building with & (time per leaf)",
    "text": "text language (6 leaves, with `instance startswith`)",
}


def fmt_us(ns: float | None) -> str:
    return "-" if ns is None else f"{ns / 1000:.2f}"


def fmt_ops(ops: float | None) -> str:
    return "-" if ops is None else f"{ops:,.0f}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISSED")


def compute_ratios(rows: dict[str, Row]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for num, den, what, target in RATIOS:
        a, b = rows[num].ops_per_s, rows[den].ops_per_s
        ratio = None if a is None or b is None else a / b
        out.append(
            {
                "numerator": num,
                "denominator": den,
                "meaning": what,
                "ratio": ratio,
                "target": target,
                "met": None if target is None or ratio is None else ratio >= target,
            }
        )
    return out


def target_lines(rows: dict[str, Row], ratios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every target of the issue this script measures, with its figures and verdict."""
    by_num = {(r["numerator"], r["denominator"]): r for r in ratios}
    out: list[dict[str, Any]] = []
    for n in (6, 30):
        for dialect, suffix in (("neo4j", ""), ("ladybug", "_ladybug")):
            row = rows[f"dsl.compile{n}{suffix}"]
            ratio = by_num[(row.name, f"npy.where{n}")]
            ops = row.ops_per_s
            ops_ok = None if ops is None else ops >= COMPILE_OPS
            out.append(
                {
                    "target": TARGET_COMPILE,
                    "case": f"{n} conditions, {dialect}",
                    "measured": f"{fmt_ops(ops)}/s (>= {COMPILE_OPS:,.0f}/s: {verdict(ops_ok)}); "
                    + (
                        "-"
                        if ratio["ratio"] is None
                        else f"{ratio['ratio']:.1f}x npy.where{n} (>= {COMPILE_RATIO:.0f}x: "
                        f"{verdict(ratio['met'])})"
                    ),
                    "met": None
                    if ops_ok is None or ratio["met"] is None
                    else ops_ok and ratio["met"],
                }
            )
    per_leaf = [rows[f"build.chain{n}"].median_ns for n in CHAIN_SIZES]
    if None in per_leaf:
        growth, linear_ok = None, None
    else:
        growth = per_leaf[-1] / per_leaf[0]  # type: ignore[operator]
        linear_ok = growth <= LINEAR_SLACK
    figures = " / ".join(fmt_us(ns) for ns in per_leaf)
    sizes = " / ".join(f"{n:,}" for n in CHAIN_SIZES)
    out.append(
        {
            "target": TARGET_LINEAR,
            "case": "a & b & c & ...",
            "measured": f"µs per leaf at {sizes} leaves: {figures}; "
            + ("-" if growth is None else f"{CHAIN_SIZES[-1]:,} vs {CHAIN_SIZES[0]}: {growth:.2f}x")
            + f" (<= {LINEAR_SLACK:.0f}x: {verdict(linear_ok)})",
            "met": linear_ok,
        }
    )
    ops = rows["text.parse6"].ops_per_s
    parse_ok = None if ops is None else ops >= PARSE_OPS
    out.append(
        {
            "target": TARGET_PARSE,
            "case": "text.parse6",
            "measured": f"{fmt_ops(ops)}/s (>= {PARSE_OPS:,.0f}/s: {verdict(parse_ok)})",
            "met": parse_ok,
        }
    )
    return out


def print_report(
    info: dict[str, Any],
    rows: list[Row],
    ratios: list[dict[str, Any]],
    targets: list[dict[str, Any]],
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
        f"(warm-up {s['warmup']:,}; chain rows: {chain_leaves(Settings(**s)):,} leaves a batch); "
        f"gc {'disabled' if s['disable_gc'] else 'enabled'} during batches; loop overhead "
        f"{loop_overhead_ns:.0f} ns/op, not subtracted"
    )
    print()
    for note in notes:
        print(note)
    print()

    width = max(len(r.label) for r in rows)
    header = f"{'row':<22} {'what':<{width}} {'µs/op':>9} {'min-max µs':>15} {'ops/s':>11}  target"
    for group in ("dsl", "dsl30", "chain", "text"):
        print(f"-- {TITLES[group]}")
        print(header)
        for r in (r for r in rows if r.group == group):
            target = TARGETS.get(r.name)
            mark = ""
            if target is not None:
                ops = r.ops_per_s
                mark = f">= {target:,.0f}/s: {verdict(None if ops is None else ops >= target)}"
            spread = "-" if r.min_ns is None else f"{fmt_us(r.min_ns)}-{fmt_us(r.max_ns)}"
            print(
                f"{r.name:<22} {r.label:<{width}} {fmt_us(r.median_ns):>9} {spread:>15} "
                f"{fmt_ops(r.ops_per_s):>11}  {mark}"
            )
            if r.skipped:
                print(f"{'':<22} SKIPPED: {r.skipped}")
        print()

    print("-- ratios (neuprint-dsl ops/s / neuprint-python ops/s; > 1 means the DSL is faster)")
    for rt in ratios:
        value = "-" if rt["ratio"] is None else f"{rt['ratio']:.2f}x"
        goal = "" if rt["target"] is None else f"  >= {rt['target']:.0f}x: {verdict(rt['met'])}"
        print(
            f"  {rt['numerator']:<21} / {rt['denominator']:<20} {value:>8}   {rt['meaning']}{goal}"
        )
    print()
    print(
        "Notes: the DSL rows produce a whole statement (MATCH ... WHERE ... RETURN 14 columns "
        "... ORDER BY),\n"
        "npy.where* / npy.construct_where6 only the WHERE fragment; npy.construct_query6 adds "
        "fetch_neurons'\n"
        "MATCH/RETURN/ORDER BY assembly for the same columns (+ roiInfo) but not its column "
        "discovery\n"
        "round trip. The DSL's `not cropped` and NeuronCriteria's cropped=False mean the same "
        "(false or missing).\n"
        "Nothing compiled is cached between calls except what depends on the dialect alone "
        "(property and ROI-flag\n"
        "texts by name, also joined to the AND/OR beside them, the default RETURN/ORDER BY "
        "clause,\ntranslated regexes by pattern, parameter-name stems)."
    )
    print()
    print("== issue 15 targets, as written (this run) ==")
    print(
        f"   1-min load average {info['machine']['load_average_1min']} before, "
        f"{info['load_average_1min_after']} after; 2 cores shared, so ratios count more "
        "than ops/s"
    )
    last = None
    for t in targets:
        if t["target"] != last:
            print(t["target"])
            last = t["target"]
        print(f"   {verdict(t['met']):<6}  {t['case']:<22} {t['measured']}")


def run(settings: Settings) -> dict[str, Any]:
    machine = machine_info()  # before the run, for the load average
    notes: list[str] = []
    loop_overhead = loop_overhead_ns(settings)

    rows_dsl, _, _ = dsl_rows(notes)
    neuron_columns = importlib.import_module("neuprint_dsl.cypher").NEURON_COLUMNS
    rows_npy, npy_version = neuprint_rows(tuple(neuron_columns), notes)
    rows_text = text_rows(notes)
    rows_chain = chain_rows(settings, notes)
    rows = [*rows_dsl, *rows_npy, *rows_chain, *rows_text]
    measure(rows, settings)

    by_name = {r.name: r for r in rows}
    ratios = compute_ratios(by_name)
    targets = target_lines(by_name, ratios)
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
    print_report(info, rows, ratios, targets, notes, loop_overhead)
    return {
        **info,
        "loop_overhead_ns": loop_overhead,
        "rows": [
            {
                "name": r.name,
                "label": r.label,
                "group": r.group,
                "skipped": r.skipped,
                "per": r.per,
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
        "targets": targets,
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
