"""Tables for people (issue 14, section 1): neuprint_dsl.display and `neuprint-dsl query`
in a terminal of 80 and 130 columns (forced with NEUPRINT_DSL_TERMINAL / COLUMNS / LINES,
and once in a real pseudo-terminal), and unchanged output to a pipe or a file."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl.display import (
    RULE,
    SEPARATOR,
    iter_table_lines,
    render_table,
    roi_tree_lines,
    rows_phrase,
    terminal_layout,
)
from neuprint_dsl.errors import InvalidArgument

from .forkserver import SHARED, console_script

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: the query of the issue, at 80 and 130 columns
ISSUE_QUERY = (
    'neurons where inputs("SMP(R)") >= 20 and status = "Traced" order by post desc limit 5'
)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.pop("NEUPRINT_DSL_TERMINAL", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


#: the commands run through the module's fork server (tests/conftest.py, tests/forkserver.py)
pytestmark = pytest.mark.usefixtures("fork_server")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, forked from this module's fork server
    (tests/forkserver.py); test_real_pseudo_terminal starts the console script itself."""
    return SHARED.run(args, env=cli_env(**env))


def crun(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The same in this process (click's runner): quicker, for most tests."""
    from click.testing import CliRunner

    from neuprint_dsl.cli import cli

    clean = {"COLUMNS": None, "LINES": None, "NO_COLOR": None, "NEUPRINT_DSL_TERMINAL": None}
    result = CliRunner().invoke(cli, list(args), env={**clean, **env}, catch_exceptions=False)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from neuprint_dsl.embedded import load
    from neuprint_dsl.embedded.sample import generate_sample

    export = tmp_path_factory.mktemp("export")
    generate_sample(export, neurons=400, edges=4000, seed=5, synapses=False)
    return load(export, tmp_path_factory.mktemp("db") / "graph.lbug")


@pytest.fixture(scope="module")
def neurons_csv(database: Path) -> pd.DataFrame:
    result = run("query", ISSUE_QUERY, "--db", str(database), "--format", "csv")
    assert result.returncode == 0, result.stderr
    from io import StringIO

    return pd.read_csv(StringIO(result.stdout))


def table_rows(text: str) -> list[str]:
    """The row lines of a rendered table (after the header and the rule)."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith(RULE))
    return [line for line in lines[rule + 1 :] if not line.startswith("…")]


# -- the command line, as a terminal of 80 and 130 columns ------------------------------------


@pytest.mark.parametrize("columns", [80, 130])
def test_issue_query_in_a_terminal(database: Path, neurons_csv: pd.DataFrame, columns: int) -> None:
    result = run(
        "query",
        ISSUE_QUERY,
        "--db",
        str(database),
        NEUPRINT_DSL_TERMINAL="1",
        COLUMNS=str(columns),
        LINES="24",
        NO_COLOR="1",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= columns for line in lines), [len(x) for x in lines]
    assert "…" not in result.stdout  # nothing cut: "689895…" in the issue
    header = lines[0].split()
    assert header[0] == "bodyId" and "post" in header and "pre" in header
    rows = table_rows(result.stdout)
    assert len(rows) == len(neurons_csv) == 5
    # every id and number whole, right-aligned under its header
    starts = {name: lines[0].index(name) for name in header}
    ends = {name: starts[name] + len(name) for name in header}
    for row, (_, expected) in zip(rows, neurons_csv.iterrows(), strict=True):
        for name in ("bodyId", "pre", "post"):
            text = str(int(expected[name]))
            column_end = max(ends[name], len(lines[1].split(SEPARATOR)[0]))
            if name == "bodyId":
                assert row.startswith(text.rjust(column_end))
            else:
                assert row[: ends[name]].endswith(" " + text), (row, name, text)
    # the note names every column left out, and only those
    shown = set(header)
    note = next((x for x in result.stderr.splitlines() if x.startswith("note: not shown")), "")
    left_out = set(re.findall(r"[\w]+", note.split(":", 2)[2].split("(")[0])) if note else set()
    assert shown | left_out == set(neurons_csv.columns)
    assert not shown & left_out
    if columns == 130:
        assert len(shown) >= 12
    assert result.stderr.splitlines()[-1] == "5 rows"


def test_one_row_says_row(database: Path) -> None:
    result = crun("query", 'neurons where type = "APL"', "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "1 row"
    none = crun("query", 'neurons where type = "no such type"', "--db", str(database))
    assert none.stderr.splitlines()[-1] == "0 rows"


def test_a_screenful_by_default_in_a_terminal(database: Path) -> None:
    query = "connections where weight >= 1"
    terminal = {"NEUPRINT_DSL_TERMINAL": "1", "COLUMNS": "80", "LINES": "24", "NO_COLOR": "1"}
    result = crun("query", query, "--db", str(database), **terminal)
    assert result.returncode == 0, result.stderr
    total = int(result.stderr.splitlines()[-1].split()[0].replace(",", ""))
    lines = result.stdout.splitlines()
    rows = table_rows(result.stdout)
    assert len(lines) <= 24 - 2  # room for the row count and the prompt
    assert lines[-1] == f"… {total - len(rows):,} more rows; use --limit / --format csv"
    assert len(rows) == 24 - 5 and total > 1000
    # --limit shows what was asked for, even more than a screenful
    limited = crun("query", query, "--db", str(database), "--limit", "40", **terminal)
    assert len(table_rows(limited.stdout)) == 40 and "more rows" not in limited.stdout
    assert limited.stderr.splitlines()[-1] == "40 rows"
    # a pipe gets every row, no cap, no fitting, no colour
    piped = crun("query", query, "--db", str(database))
    assert len(table_rows(piped.stdout)) == total
    assert "…" not in piped.stdout and not ANSI.search(piped.stdout)
    assert "note:" not in piped.stderr
    csv = crun("query", query, "--db", str(database), "--format", "csv")
    assert len(csv.stdout.splitlines()) == total + 1


def test_a_file_gets_every_row_and_column(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.txt"
    query = "connections where weight >= 1"
    result = crun(
        "query", query, "--db", str(database), "-o", str(out), NEUPRINT_DSL_TERMINAL="1",
        COLUMNS="40", LINES="10",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    total = int(result.stderr.splitlines()[-1].split()[0].replace(",", ""))
    assert len(table_rows(text)) == total and "note:" not in result.stderr
    assert max(len(line) for line in text.splitlines()) > 40
    assert result.stdout == ""


def test_width_option_fits_a_pipe_too(database: Path) -> None:
    result = crun("query", ISSUE_QUERY, "--db", str(database), "--width", "60")
    assert result.returncode == 0, result.stderr
    assert all(len(line) <= 60 for line in result.stdout.splitlines())
    assert "note: not shown, to fit 60 columns" in result.stderr
    assert len(table_rows(result.stdout)) == 5


def test_real_pseudo_terminal(database: Path) -> None:
    """One run in a real pty of 80 x 24: the terminal is detected without any variable."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    del pty
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = cli_env(TERM="xterm")
    process = subprocess.Popen(
        [*console_script(), "query", "connections where weight >= 1", "--db", str(database)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(master)
    assert process.wait(timeout=60) == 0
    output = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert "\x1b[1m" in output  # a bold header on a terminal
    plain = ANSI.sub("", output)
    lines = plain.splitlines()
    table = lines[: next(i for i, line in enumerate(lines) if line.startswith("… ")) + 1]
    assert table[0].startswith("bodyId_pre") and all(len(line) <= 80 for line in table)
    assert any(line.startswith("… ") and "more rows; use --limit / --format csv" in line
               for line in lines)  # fmt: skip
    assert len(table) - 3 == 24 - 5  # header, rule and the "more rows" line
    assert re.search(r"^[\d,]+ rows$", plain, re.M)


# -- the renderer ------------------------------------------------------------------------------


def frame_of_the_issue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bodyId": np.array([6898956589, 7017302676, 5813105172], dtype="int64"),
            "type": ["SMP071", "SMP136", None],
            "instance": ["SMP071_R", "SMP136_R", "x"],
            "status": ["Traced"] * 3,
            "statusLabel": ["Traced", "Roughly traced", "Traced"],
            "cropped": pd.array([True, False, None], dtype="boolean"),
            "pre": pd.array([92, 224, None], dtype="Int64"),
            "post": np.array([2941, 2750, 7], dtype="int64"),
            "size": np.array([562282735, 670964483, 1], dtype="int64"),
            "somaLocation": [[27158.0, 37835.0, 12925.0], None, [1.0, 2.0, 3.0]],
            "somaRadius": [403.0, float("nan"), 294.5],
            "notes": ["a fairly long free-text note about this neuron", "", "short"],
        }
    )


@pytest.mark.parametrize("width", [80, 130])
def test_render_fits_and_never_cuts_numbers(width: int) -> None:
    frame = frame_of_the_issue()
    table = render_table(frame, width=width)
    assert all(len(line) <= width for line in table.lines)
    text = table.text
    for value in ["6898956589", "7017302676", "5813105172", "562282735", "2941", "224"]:
        assert re.search(rf"(?<![\d.]){value}(?![\d.])", text), value
    shown = table.lines[0].split()
    assert set(shown) | set(table.dropped) == set(frame.columns)
    assert {"bodyId", "pre", "post", "size", "somaRadius"} <= set(shown)
    assert not {"bodyId", "pre", "post", "size"} & set(table.dropped)
    assert table.shown == 3 and table.hidden == 0
    for name in table.wrapped:
        assert not frame[name].map(lambda v: isinstance(v, (int, float))).all()


def test_numbers_are_right_aligned_text_left() -> None:
    frame = pd.DataFrame({"type": ["KC", "APL"], "pre": [5, 1234], "w": [1.5, 20.25]})
    lines = list(render_table(frame).lines)
    assert lines[0] == "type   pre      w"
    assert lines[2:] == ["KC       5    1.5", "APL   1234  20.25"]


def test_object_columns_of_numbers_are_numbers() -> None:
    # DVID results hold Python values in object columns
    frame = pd.DataFrame({"bodyid": pd.Series([7, 123456789], dtype=object),
                          "group": pd.Series([None, 10], dtype=object)})  # fmt: skip
    assert list(render_table(frame).lines[2:]) == ["        7", "123456789     10"]


def test_wrap_then_drop_and_say_which() -> None:
    frame = pd.DataFrame(
        {"bodyId": [1, 2], "notes": ["one two three four five six", "x"], "n": [10, 20]}
    )
    wrapped = render_table(frame, width=30)
    assert wrapped.wrapped == ("notes",) and wrapped.dropped == ()
    assert wrapped.notes() == ["wrapped to fit 30 columns: notes"]
    assert len(wrapped.lines) > 4  # the long note takes more than one line
    assert " ".join(" ".join(wrapped.lines[2:]).split()).count("five six") == 1
    dropped = render_table(frame, width=18)
    assert dropped.dropped == ("notes",) and dropped.lines[0].split() == ["bodyId", "n"]
    assert "not shown, to fit 18 columns: notes" in dropped.notes()[0]
    # only numbers left and still too wide: whole columns go, never digits
    tiny = render_table(frame, width=7)
    assert tiny.lines[0] == "bodyId" and tiny.dropped == ("notes", "n")


def test_control_characters_cannot_break_a_row() -> None:
    frame = pd.DataFrame({"type": ["a\nb", "tab\there", "\x1b[31mred"]})
    lines = list(render_table(frame).lines)
    assert len(lines) == 5
    assert lines[2:] == ["a\\nb", "tab\\there", "\\x1b[31mred"]


def test_only_the_rows_shown_are_formatted() -> None:
    calls = 0

    class Counted:
        def __str__(self) -> str:
            nonlocal calls
            calls += 1
            return "v"

    frame = pd.DataFrame({"x": [Counted() for _ in range(50_000)], "n": range(50_000)})
    table = render_table(frame, width=80, max_lines=19)
    assert table.shown == 19 and table.hidden == 50_000 - 19
    assert calls == 19


def test_wrapped_rows_count_against_the_screen() -> None:
    frame = pd.DataFrame({"id": range(10), "t": ["word " * 12] * 10})
    table = render_table(frame, width=30, max_lines=9)
    assert len(table.lines) - 2 <= 9 and table.shown < 9 and table.shown >= 1


def test_iter_table_lines_is_the_whole_table_in_chunks() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "bodyId_pre": rng.integers(1, 10**10, 1000),
            "roi": rng.choice(["MB(R)", "CA(R)", "αβ"], 1000),
            "weight": rng.integers(1, 500, 1000),
        }
    )
    whole = list(iter_table_lines(frame))
    assert list(iter_table_lines(frame, chunk_rows=7)) == whole
    assert whole == list(render_table(frame).lines)
    assert len(whole) == 1002


def test_rows_phrase_and_bad_arguments() -> None:
    assert [rows_phrase(n) for n in (0, 1, 2, 1000)] == ["0 rows", "1 row", "2 rows", "1,000 rows"]
    with pytest.raises(InvalidArgument):
        render_table(pd.DataFrame({"a": [1]}), width=0)
    with pytest.raises(InvalidArgument):
        list(iter_table_lines(pd.DataFrame({"a": [1]}), chunk_rows=0))


def test_terminal_layout_honours_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setenv("NEUPRINT_DSL_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "131")
    monkeypatch.setenv("LINES", "40")
    assert terminal_layout(io.StringIO()) == terminal_layout(io.StringIO())
    layout = terminal_layout(io.StringIO())
    assert (layout.is_terminal, layout.columns, layout.lines) == (True, 131, 40)
    monkeypatch.setenv("NEUPRINT_DSL_TERMINAL", "0")
    assert not terminal_layout(io.StringIO()).is_terminal


def test_roi_tree() -> None:
    tree = {"name": "v", "children": [{"name": "A", "children": [{"name": "B"}]}, {"name": "C"}]}
    assert roi_tree_lines(tree, ["A", "B", "C"], ["B", "C"]) == [
        "v",
        " +-- A",
        " |   +-- B*",
        " +-- C*",
    ]
    assert roi_tree_lines(None, ["Z", "Y"], ["Y"]) == [" +-- Y*", " +-- Z"]


cells = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8"), max_size=30),
)


def _columns() -> st.SearchStrategy[dict[str, list[object]]]:
    return st.integers(1, 12).flatmap(
        lambda rows: st.dictionaries(
            st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8),
            st.lists(cells, min_size=rows, max_size=rows),
            min_size=1,
            max_size=6,
        )
    )


@given(_columns(), st.integers(20, 140))
@example({"bodyId": [2**63 - 1, -(2**63)], "t": ["x" * 200, None]}, 20)
def test_render_property(data: dict[str, list[object]], width: int) -> None:
    """For any table and width: lines fit (unless a single column alone is wider), every
    number shown is whole, and shown + dropped columns are all the columns."""
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    table = render_table(frame, width=width)
    shown = [c for c in frame.columns if c not in table.dropped]
    assert len(shown) >= 1
    assert table.shown == len(frame)
    if len(shown) > 1:
        assert all(len(line) <= width for line in table.lines if line.isascii())
    body = "\n".join(table.lines[2:])
    for name in shown:
        for value in frame[name]:
            if isinstance(value, int) and not isinstance(value, bool):
                assert str(value) in body
            elif isinstance(value, float):
                assert repr(value) in body
