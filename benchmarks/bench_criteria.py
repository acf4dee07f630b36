"""NeuronCriteria with long bodyId lists: neuprint-dsl's compat class vs neuprint-python's.

The issue's bar: "``NeuronCriteria(bodyId=<list>)`` removes duplicates in quadratic time: 0.4 s
for 2,000 ids and 31 s for 20,000 (neuprint-python: 29 ms). Make it linear; benchmark row for
20,000 and 200,000 ids." Each row times, in one run and one interpreter, building the criteria
from a plain list of ints with 10% repeated ids (``build``), and building it and writing its
Cypher conditions (``build+cypher``: ``to_cypher(nc).inline()`` for neuprint-dsl,
``nc.global_with()`` for neuprint-python, the WITH clause that carries its id list). Medians of ``--repeats``
runs; the ratio is neuprint-python's median over neuprint-dsl's (above 1: neuprint-dsl is
faster).

Run: python benchmarks/bench_criteria.py [--sizes 20000 200000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import load_average, median_time, package_version  # benchmarks/_machine.py

from neuprint_dsl import to_cypher
from neuprint_dsl.compat import NeuronCriteria

Row = tuple[str, Callable[[], Any], Callable[[], Any] | None]


def _rows(ids: list[int], neuprint: Any) -> list[Row]:
    """The timed rows for one id list: (name, neuprint-dsl, neuprint-python or None)."""

    def dsl_build() -> Any:
        return NeuronCriteria(bodyId=ids)

    def dsl_cypher() -> str:
        return to_cypher(NeuronCriteria(bodyId=ids)).inline()

    if neuprint is None:
        return [("build", dsl_build, None), ("build+cypher", dsl_cypher, None)]
    baseline = neuprint.NeuronCriteria

    def np_build() -> Any:
        return baseline(bodyId=ids)

    def np_cypher() -> str:
        # the WITH clause that carries the id list is the whole of its bodyId Cypher (its
        # other conditions need a live Client to check ROI names)
        return str(baseline(bodyId=ids).global_with())

    return [("build", dsl_build, np_build), ("build+cypher", dsl_cypher, np_cypher)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[20_000, 200_000])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    try:
        import neuprint
    except ImportError:
        neuprint = None  # the neuprint-python column then reads n/a
    print(
        f"NeuronCriteria(bodyId=<list>), medians of {args.repeats} runs; neuprint-python "
        f"{package_version('neuprint-python')}; load {load_average()}"
    )
    print("target: linear time; rows for 20,000 and 200,000 ids vs neuprint-python")
    header = f"{'ids':>9} {'row':<13} {'neuprint-dsl':>13} {'neuprint-python':>16} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        unique = list(range(5_000_000_000, 5_000_000_000 + size * 9 // 10))
        ids = [*unique, *unique[: size - len(unique)]]  # 10% repeats
        ours = NeuronCriteria(bodyId=ids)
        assert list(ours.to_expr().values) == unique, "duplicates not removed in order"  # type: ignore[attr-defined]
        rows = _rows(ids, neuprint)
        for name, dsl, baseline in rows:
            ours_s = median_time(dsl, args.repeats)
            theirs = median_time(baseline, args.repeats) if baseline is not None else None
            ratio = f"{theirs / ours_s:6.2f}x" if theirs is not None else "    n/a"
            theirs_text = f"{theirs * 1000:13.1f} ms" if theirs is not None else f"{'n/a':>16}"
            print(f"{size:>9,} {name:<13} {ours_s * 1000:10.1f} ms {theirs_text} {ratio}")
    print("ratio = neuprint-python median / neuprint-dsl median (above 1: neuprint-dsl faster)")


if __name__ == "__main__":
    main()
