"""Parse benchmark: lark's options for the text language, side by side in one run.

Target (issue 15): **parse at least 5,000/s** on the 6-condition neuron query of bench_core::

    type =~ "MBON.*" and roi("MB(R)") and status = "Traced" and not cropped and pre >= 100
        and instance startswith "MBON"

``neuprint_dsl.text.parse`` is lark (text -> tree) followed by our builder (tree -> AST through
the typed fields, which validate every comparison as the Python API does). Each row below is
measured on the same text in the same run; the lark rows time ``Lark.parse`` alone, built from
``grammar/neuprint_dsl.lark`` with one option changed from what ``text/grammar.py`` uses:

* ``lark: chosen`` LALR(1), contextual lexer, ``maybe_placeholders=True``,
  ``propagate_positions=False``, the keyword lexer callback (``text.grammar.lark_parser()`` itself);
* ``lark: basic lexer`` ``lexer="basic"``: it cannot read the query at all (``roi`` lexes as the
  ``per roi`` keyword everywhere, and every keyword-named field breaks), so it is timed on the
  query with ``roi("MB(R)")`` replaced by ``inputs("MB(R)") > 0``, next to the chosen parser on
  that same text (``lark: chosen, same text``);
* ``lark: positions on`` ``propagate_positions=True`` (caret positions come from the tokens);
* ``lark: no placeholders`` ``maybe_placeholders=False`` (the builder relies on None slots);
* ``lark: cache=file`` ``cache=<temp file>``, loaded from the warm cache (also timed: the
  construction, cold and warm);
* ``lark: save/load`` the chosen parser saved and loaded back in memory (``Lark.save`` /
  ``Lark.load``: the tables of a cached or standalone parser, whose names are plain ``str``);
* ``lark: standalone`` the module ``python -m lark.tools.standalone`` generates from the
  same grammar (written to a temp dir by this script, never committed);
* ``lark: transformer inlined`` ``transformer=`` a Transformer that only wraps the children
  (no ``Tree``): the least any builder run inside the parser could cost;
* ``lark: unflattened grammar`` the grammar before the leaf forms, operands and values were
  folded into ``not_expr`` (the separate ``atom``, ``name`` and ``value`` rules; three more
  reductions per comparison).

and the AST side: ``builder: tree -> AST`` (``text.parser.Builder`` on a pre-parsed tree),
``fluent: N.type.matches(...) & ...`` (the same predicate built in Python, the validation floor
the builder shares), ``parse()`` (the whole function, what bench_core's ``text.parse6`` times).
Baseline: neuprint-python has no text language; ``npy: NeuronCriteria(...) + all_conditions()``
is what its user writes for the same query (bench_core's stand-in client, no network).

Method: batches of ``--iterations`` calls, taken round-robin over the rows ``--repeats`` times;
each batch is timed by the wall clock (``perf_counter``) and by the process's CPU clock
(``process_time``: the machine is shared, and CPU time leaves out the time other processes
hold the cores). Medians per row; ``min`` is the fastest batch. The garbage collector is
collected before and disabled during each batch. Every lark row's tree is checked equal to the
chosen parser's, and ``parse()`` equal to the fluent predicate, before timing. The target is
judged on the wall-clock median (CPU-time verdict printed too), never asserted.

Run: python benchmarks/bench_parse.py [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _machine import load_average, package_version, time_batch  # noqa: E402
from lark import Lark, Transformer  # noqa: E402
from lark.tools.standalone import gen_standalone  # noqa: E402

from neuprint_dsl import N  # noqa: E402
from neuprint_dsl.expr import Entity  # noqa: E402
from neuprint_dsl.text import parse  # noqa: E402
from neuprint_dsl.text.grammar import grammar_path as _grammar_path  # noqa: E402
from neuprint_dsl.text.grammar import lark_parser as _parser  # noqa: E402
from neuprint_dsl.text.grammar import refuse_keyword as _refuse_keyword  # noqa: E402
from neuprint_dsl.text.parser import Builder as _Builder  # noqa: E402

QUERY = (
    'type =~ "MBON.*" and roi("MB(R)") and status = "Traced" and not cropped and pre >= 100 '
    'and instance startswith "MBON"'
)
QUERY_NO_ROI = QUERY.replace('roi("MB(R)")', 'inputs("MB(R)") > 0')
TARGET = "parse at least 5,000/s"
TARGET_OPS = 5_000.0

#: the predicate rules before flattening (spliced over ?not_expr ... ?name in the grammar)
UNFLATTENED = """?not_expr: _NOT not_expr                          -> negation
         | atom

?atom: _LPAR or_expr _RPAR
     | TRUE                                       -> true
     | FALSE                                      -> false
     | operand                                    -> bare
     | operand (EQ | EQEQ | NE | LTGT | LT | LE | GT | GE) value -> compare
     | operand _IN list                           -> isin
     | operand _NOT _IN list                      -> not_in
     | operand MATCH STRING [IGNORE _CASE]        -> matches
     | operand (STARTSWITH | ENDSWITH | CONTAINS) STRING -> string_test
     | operand CONTAINS _ANY list                 -> contains_any
     | operand _IS _NULL                          -> is_null
     | operand _IS _NOT _NULL                     -> not_null

?operand: name
        | IDENT _LPAR STRING _RPAR                -> call

"""


class _Node:
    """What the inlined transformer returns instead of a Tree (lark needs ``.children``)."""

    __slots__ = ("children", "data")

    def __init__(self, data: str, children: list[Any]) -> None:
        self.data = data
        self.children = children


class _Wrap(Transformer[Any, Any]):
    def __default__(self, data: Any, children: list[Any], meta: Any) -> _Node:
        return _Node(str(data), children)


def plain(node: Any) -> Any:
    """A tree (lark's, the standalone module's or _Node) as nested tuples and (type, text)."""
    if node is None:
        return None
    if isinstance(node, str):
        return (str(getattr(node, "type", "")), str(node))
    return (str(node.data), tuple(plain(child) for child in node.children))


def lark_options() -> dict[str, Any]:
    return {
        "parser": "lalr",
        "lexer": "contextual",
        "maybe_placeholders": True,
        "propagate_positions": False,
        "lexer_callbacks": {"IDENT": _refuse_keyword},
    }


def build(grammar: str, **changes: Any) -> Lark:
    return Lark(grammar, **{**lark_options(), **changes})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds of 200 calls")
    parser.add_argument("--repeats", type=int, help="rounds (default 15, quick 5)")
    parser.add_argument("--iterations", type=int, help="calls per batch (default 500)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 15)
    iterations = args.iterations or (200 if args.quick else 500)
    load_before = load_average()
    print(
        f"Python {sys.version.split()[0]}, lark {package_version('lark')}, "
        f"{os.cpu_count()} CPUs, load average {load_before}"
    )
    print(f"query: {QUERY}")

    grammar = _grammar_path().read_text(encoding="utf-8")
    chosen = _parser()
    construction: dict[str, float] = {}
    notes: list[str] = []

    def constructed(name: str, make: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        made = make()
        construction[name] = time.perf_counter() - start
        return made

    constructed("Lark(grammar) as text/grammar.py builds it", lambda: build(grammar))
    with tempfile.TemporaryDirectory() as tmp:
        cache_file = str(Path(tmp) / "lark.cache")
        constructed(
            "cache=file, cold (builds and writes)", lambda: build(grammar, cache=cache_file)
        )
        cached = constructed("cache=file, warm (loads)", lambda: build(grammar, cache=cache_file))
        buffer = io.BytesIO()
        chosen.save(buffer)
        buffer.seek(0)
        loaded = constructed("Lark.load of the saved parser", lambda: Lark.load(buffer))
        out = io.StringIO()
        gen_standalone(build(grammar, lexer_callbacks={}), out=out)
        module_path = Path(tmp) / "neuprint_dsl_standalone.py"
        module_path.write_text(out.getvalue(), encoding="utf-8")
        spec = importlib.util.spec_from_file_location("neuprint_dsl_standalone", module_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        constructed("standalone module import", lambda: spec.loader.exec_module(module))  # type: ignore[union-attr]
        standalone = constructed(
            "standalone Lark_StandAlone()",
            lambda: module.Lark_StandAlone(lexer_callbacks={"IDENT": _refuse_keyword}),
        )
        notes.append(f"standalone module: {len(out.getvalue()):,} characters, generated here")
    positions = build(grammar, propagate_positions=True)
    no_placeholders = build(grammar, maybe_placeholders=False)
    inlined = build(grammar, transformer=_Wrap())
    basic: Lark | None = None
    try:
        basic = build(grammar, lexer="basic")
        basic.parse(QUERY)
        notes.append("the basic lexer reads the query (unexpected)")
    except Exception as err:
        notes.append(
            f"basic lexer cannot read the query: {type(err).__name__} at {err!s:.60}..."
            if basic is not None
            else f"basic lexer refused the grammar: {err}"
        )
    start, end = grammar.find("?not_expr:"), grammar.find("?name:")
    unflattened = build(grammar[:start] + UNFLATTENED + grammar[end:]) if start < end else None

    tree = chosen.parse(QUERY)
    expected = plain(tree)
    checks = {
        "cache": plain(cached.parse(QUERY)),
        "save/load": plain(loaded.parse(QUERY)),
        "standalone": plain(standalone.parse(QUERY)),
        "positions": plain(positions.parse(QUERY)),
        "transformer": plain(inlined.parse(QUERY)),
    }
    if unflattened is not None:
        checks["unflattened"] = plain(unflattened.parse(QUERY))
    for name, got in checks.items():
        if got != expected:
            raise SystemExit(f"MISMATCH: {name} gives another tree")
    if basic is not None and plain(basic.parse(QUERY_NO_ROI)) != plain(chosen.parse(QUERY_NO_ROI)):
        raise SystemExit("MISMATCH: the basic lexer gives another tree")
    if plain(no_placeholders.parse(QUERY)) == expected:
        notes.append("maybe_placeholders=False gave the same tree (no optional part here)")

    def fluent() -> Any:
        return (
            N.type.matches("MBON.*")
            & N.roi("MB(R)")
            & (N.status == "Traced")
            & ~N.cropped
            & (N.pre >= 100)
            & N.instance.startswith("MBON")
        )

    if parse(QUERY) != fluent():
        raise SystemExit("MISMATCH: parse() differs from the fluent predicate")

    rows: dict[str, Callable[[], object]] = {
        "parse() (text.parse6)": lambda: parse(QUERY),
        "lark: chosen": lambda: chosen.parse(QUERY),
        "lark: positions on": lambda: positions.parse(QUERY),
        "lark: no placeholders": lambda: no_placeholders.parse(QUERY),
        "lark: cache=file": lambda: cached.parse(QUERY),
        "lark: save/load": lambda: loaded.parse(QUERY),
        "lark: standalone": lambda: standalone.parse(QUERY),
        "lark: transformer inlined": lambda: inlined.parse(QUERY),
    }
    if unflattened is not None:
        rows["lark: unflattened grammar"] = lambda: unflattened.parse(QUERY)
    if basic is not None:
        rows["lark: basic lexer (no roi)"] = lambda: basic.parse(QUERY_NO_ROI)
        rows["lark: chosen, same text"] = lambda: chosen.parse(QUERY_NO_ROI)
    rows["builder: tree -> AST"] = lambda: _Builder(QUERY).root(tree, Entity.NEURON)
    rows["fluent: N.type.matches(...) & ..."] = fluent
    try:
        import neuprint
        from bench_core import make_standin_client

        client = make_standin_client(neuprint)
        nc = neuprint.NeuronCriteria

        def criteria() -> str:
            return str(
                nc(
                    type="MBON.*",
                    rois=["MB(R)"],
                    status="Traced",
                    cropped=False,
                    min_pre=100,
                    client=client,
                ).all_conditions()
            )

        criteria()
        rows["npy: NeuronCriteria(...) + all_conditions()"] = criteria
        npy_version = package_version("neuprint-python")
    except Exception as err:
        notes.append(f"neuprint-python baseline skipped: {type(err).__name__}: {err}")
        npy_version = "not installed"

    wall: dict[str, list[float]] = {name: [] for name in rows}
    cpu: dict[str, list[float]] = {name: [] for name in rows}
    for fn in rows.values():
        fn()
    for _ in range(repeats):
        for name, fn in rows.items():
            wall[name].append(time_batch(fn, iterations, clock=time.perf_counter))
            cpu[name].append(time_batch(fn, iterations, clock=time.process_time))

    med = {name: statistics.median(ts) for name, ts in wall.items()}
    cmed = {name: statistics.median(ts) for name, ts in cpu.items()}
    base = cmed["lark: chosen"]  # ratios by CPU time: steadier than the wall on a shared machine
    print(
        f"\n{'row':<46} {'wall µs':>8} {'min':>7} {'ops/s':>7} {'CPU µs':>7} {'ops/s':>7} "
        f"{'CPU/chosen':>10}   ({repeats} x {iterations} calls)"
    )
    for name in rows:
        ratio = f"{cmed[name] / base:8.2f}x" if name.startswith("lark") else ""
        print(
            f"{name:<46} {med[name] * 1e6:8.1f} {min(wall[name]) * 1e6:7.1f} "
            f"{1 / med[name]:7,.0f} {cmed[name] * 1e6:7.1f} {1 / cmed[name]:7,.0f} {ratio:>10}"
        )
    print("\nconstruction (wall, once):")
    for name, seconds in construction.items():
        print(f"  {name:<44} {seconds * 1000:8.1f} ms")
    for note in notes:
        print(f"note: {note}")

    full, full_cpu = 1 / med["parse() (text.parse6)"], 1 / cmed["parse() (text.parse6)"]
    lark_rows = [name for name in rows if name.startswith("lark") and "same text" not in name]
    lark_rows = [name for name in lark_rows if "basic" not in name]
    fastest = min(lark_rows, key=lambda name: med[name])
    fastest_cpu = min(lark_rows, key=lambda name: cmed[name])
    verdict = "PASS" if full >= TARGET_OPS else "MISSED"
    print(f"\ntarget: {TARGET}")
    print(
        f"  parse(): {full:,.0f}/s wall-clock median  {verdict}  "
        f"(CPU time: {full_cpu:,.0f}/s {'PASS' if full_cpu >= TARGET_OPS else 'MISSED'})"
    )
    print(
        f"  lark alone, fastest option ({fastest}): {1 / med[fastest]:,.0f}/s wall, "
        f"{1 / cmed[fastest_cpu]:,.0f}/s CPU ({fastest_cpu}): the ceiling of parse() with a "
        "builder that cost nothing"
    )
    if "npy: NeuronCriteria(...) + all_conditions()" in med:
        npy = med["npy: NeuronCriteria(...) + all_conditions()"]
        print(
            f"  baseline: neuprint-python {npy_version} NeuronCriteria(...) + all_conditions() "
            f"{1 / npy:,.0f}/s; parse() / it = {npy / med['parse() (text.parse6)']:.2f}x"
        )
    load_after = load_average()
    print(f"load average: {load_before} before, {load_after} after")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "query": QUERY,
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "median_wall_s": med,
                    "median_cpu_s": cmed,
                    "construction_s": construction,
                    "target": TARGET,
                    "verdict": verdict,
                    "load_average": [load_before, load_after],
                    "notes": notes,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
