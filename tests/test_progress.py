"""neuprint_dsl.progress: the callback that library code reports through (Stages) and the one
bar library (tqdm) that draws it for people (stage_bar, count_bar)."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuprint_dsl.progress import NO_PROGRESS_ENV, Stages, bars_wanted, count_bar, stage_bar


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def bars_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NO_PROGRESS_ENV, raising=False)


def test_a_stage_bar_shows_each_stage_and_the_share_done(bars_on: None) -> None:
    out = _Terminal()
    with stage_bar("preparing", file=out, delay=0) as progress:
        progress("reading the export", 10, 100)
        time.sleep(0.15)  # tqdm redraws at most every 0.1 s
        progress("copying connections", 60, 100)
    text = out.getvalue()
    assert "preparing:   0%" in text
    assert "copying connections:  60%" in text
    assert text.endswith("\r")  # erased at the end (leave=False): no line left behind


def test_a_stage_bar_is_drawn_only_on_a_terminal_and_when_wanted(
    monkeypatch: pytest.MonkeyPatch, bars_on: None
) -> None:
    pipe = io.StringIO()
    with stage_bar("loading", file=pipe, delay=0) as progress:
        progress("reading", 5, 10)
    assert pipe.getvalue() == ""
    monkeypatch.setenv(NO_PROGRESS_ENV, "1")
    assert not bars_wanted()
    terminal = _Terminal()
    with stage_bar("loading", file=terminal, delay=0) as progress:
        progress("reading", 5, 10)
    assert terminal.getvalue() == ""


def test_quick_work_draws_nothing(bars_on: None) -> None:
    out = _Terminal()
    with stage_bar("loading", file=out) as progress:  # the default delay: half a second
        for done in range(0, 11):
            progress("reading", done, 10)
    assert out.getvalue() == ""


def test_a_count_bar_counts_and_obeys_the_switch(
    monkeypatch: pytest.MonkeyPatch, bars_on: None
) -> None:
    with count_bar(3, "fetch", show=True) as bar:
        assert not bar.disable
        bar.update()
        assert bar.n == 1
    monkeypatch.setenv(NO_PROGRESS_ENV, "yes")
    with count_bar(3, "fetch", show=True) as bar:
        assert bar.disable


def test_stages_beat_while_a_step_runs_and_never_go_back() -> None:
    calls: list[tuple[float, str, int, int]] = []
    stages = Stages(lambda *a: calls.append((time.monotonic(), *a)), total=1000, interval=0.02)
    stages.step("slow", units=500, seconds=10.0)
    time.sleep(0.3)  # one long call, say an engine COPY: the helper thread reports
    stages.step("fast", units=500, seconds=0.1)
    stages.within(1, 2)
    stages.close(completed=True)
    beats = [c for c in calls if c[1] == "slow"]
    assert len(beats) >= 5
    assert all(c[2] < 500 for c in beats)  # approaching, never reaching, the step's end
    done = [c[2] for c in calls]
    assert done == sorted(done)
    assert calls[-1][1:] == ("done", 1000, 1000)
    assert ("fast", 750, 1000) in [c[1:] for c in calls]


def test_stages_without_a_callback_start_no_thread() -> None:
    before = threading.active_count()
    stages = Stages(None, total=10)
    stages.step("x", 5, 1.0)
    assert stages.thread is None and threading.active_count() == before
    stages.close(completed=True)


def test_a_closed_stages_reports_nothing_more() -> None:
    calls: list[tuple[str, int, int]] = []
    stages = Stages(lambda *a: calls.append(a), total=10, interval=0.01)
    stages.step("x", 5, 1.0)
    stages.close(completed=False)
    seen = len(calls)
    time.sleep(0.05)
    assert len(calls) == seen and not any(c[0] == "done" for c in calls)


@settings(max_examples=50, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 400), st.lists(st.tuples(st.integers(0, 9), st.integers(1, 9)))),
        min_size=1,
        max_size=6,
    )
)
def test_stages_done_is_monotone_and_within_total(
    steps: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    calls: list[tuple[str, int, int]] = []
    stages = Stages(lambda *a: calls.append(a), total=1000, interval=3600)
    for n, (units, within) in enumerate(steps):
        stages.step(f"step {n}", units, 1.0)
        for done, total in within:
            stages.within(done, total)
    stages.close(completed=True)
    done = [c[1] for c in calls]
    assert all(a <= b for a, b in itertools.pairwise(done))
    assert all(0 <= d <= 1000 and t == 1000 for _, d, t in calls)
    assert calls[-1] == ("done", 1000, 1000)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_stage_bar_draws_on_a_real_terminal_even_one_without_a_size(bars_on: None) -> None:
    """A pty that reports 0 x 0 (as a bare ``script`` or CI terminal may): tqdm alone would
    draw nothing there."""
    import os
    import pty

    code = (
        "import time\n"
        "from neuprint_dsl.progress import stage_bar\n"
        "with stage_bar('preparing', delay=0) as progress:\n"
        "    for done in range(0, 100, 20):\n"
        "        progress('copying', done, 100)\n"
        "        time.sleep(0.15)\n"
    )
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
        env={k: v for k, v in os.environ.items() if k != NO_PROGRESS_ENV},
    )
    os.close(follower)
    output = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
    os.close(leader)
    assert process.wait(timeout=120) == 0, output
    assert "copying:  80%|" in output.decode("utf-8", "replace")
