"""Issue 14, section 1: "63,682 connection rows take 1 min 54 s as a table against 3.8 s as
CSV". Renders the same result (``connections where weight >= 2`` on the default sample: 63,682
rows) four ways, in one run:

* baseline: the previous renderer (a rich Table of every row, sized to its content);
* now, to a pipe or file: every row (``iter_table_lines``);
* now, in a terminal: the first screenful at 80 columns (``render_table``);
* CSV (``DataFrame.to_csv``), the issue's reference;

then runs the command line end to end (table to a pipe, and CSV), and prints medians and
ratios. Timings depend on the machine's load: the load average is printed.

Run: python benchmarks/bench_cli_table.py [--baseline-runs 1] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from _machine import load_average, median_time

from neuprint_dsl.display import iter_table_lines, render_table

QUERY = "connections where weight >= 2"


def old_rich_table(frame: pd.DataFrame) -> str:
    """The renderer before issue 14 (neuprint_dsl/cli.py), output captured as text."""
    from rich.console import Console
    from rich.table import Table as RichTable

    cells = [
        ["" if v is None or v != v else str(v) for v in row] for row in frame.itertuples(False)
    ]
    table = RichTable(show_edge=False, header_style="bold")
    for name in frame.columns:
        table.add_column(str(name), no_wrap=True)
    for row in cells:
        table.add_row(*row)
    widths = [
        max([len(str(name))] + [len(row[i]) for row in cells]) + 3
        for i, name in enumerate(frame.columns)
    ]
    buffer = io.StringIO()
    console = Console(file=buffer, width=max(sum(widths), 20))
    console.print(table)
    return buffer.getvalue()


def cli(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "neuprint_dsl.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        env={**os.environ, "NEUPRINT_DSL_TERMINAL": "0"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--cli-runs", type=int, default=3)
    options = parser.parse_args()

    import neuprint_dsl
    from neuprint_dsl.embedded import default_database

    with neuprint_dsl.embedded(default_database()) as db:
        frame = db.run(QUERY)
    print(f"{QUERY!r} on the default sample: {len(frame):,} rows x {len(frame.columns)} columns")
    print(f"load average (1 min) before: {load_average()}")

    csv = median_time(lambda: frame.to_csv(index=False), options.runs, keep_gc=True)
    pipe = median_time(lambda: sum(1 for _ in iter_table_lines(frame)), options.runs, keep_gc=True)
    screen = median_time(
        lambda: render_table(frame, width=80, max_lines=19), options.runs, keep_gc=True
    )
    old = median_time(lambda: old_rich_table(frame), options.baseline_runs, keep_gc=True)
    cli("query", QUERY, "--format", "csv")  # warm the cache and the imports
    cli_table = median_time(lambda: cli("query", QUERY), options.cli_runs, keep_gc=True)
    cli_csv = median_time(
        lambda: cli("query", QUERY, "--format", "csv"), options.cli_runs, keep_gc=True
    )

    rows = [  # (what, median, runs, the CSV time it is compared with)
        ("render: old rich table, every row (baseline)", old, options.baseline_runs, csv),
        ("render: table to a pipe/file, every row", pipe, options.runs, csv),
        ("render: table in a terminal, first screenful at 80 columns", screen, options.runs, csv),
        ("render: CSV (DataFrame.to_csv)", csv, options.runs, csv),
        ("command line: query ... (table) > file", cli_table, options.cli_runs, cli_csv),
        ("command line: query ... --format csv > file", cli_csv, options.cli_runs, cli_csv),
    ]
    print()
    print(f"{'what':62} {'median s':>9} {'runs':>4} {'baseline/this':>13} {'this/CSV':>8}")
    for name, seconds, runs, reference in rows:
        ratio = old / seconds
        print(f"{name:62} {seconds:9.3f} {runs:4d} {ratio:12.0f}x {seconds / reference:7.2f}x")
    print()
    print("issue target: tables render quickly; as written, '1 min 54 s as a table against 3.8 s")
    print(f"as CSV': now table {cli_table:.1f} s against CSV {cli_csv:.1f} s end to end")
    print(f"load average (1 min) after: {load_average()}")


if __name__ == "__main__":
    main()
