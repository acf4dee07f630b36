"""How long work reports progress, and the one bar that shows it.

Library code never draws: it calls a :data:`Progress` callback, ``progress(stage, done,
total)``, where ``done`` of ``total`` units are complete and ``stage`` names the step under
way (the loader, the sample generator and ``open_database`` take one). :class:`Stages` turns a
sequence of steps into such reports that never stand still. The bars are tqdm's, drawn by the
callers that face a person: :func:`stage_bar` (a :data:`Progress` callback drawing on a
terminal, for the command line) and :func:`count_bar` (a bar counting items, for compat's
batched functions, notebook-aware). ``NEUPRINT_DSL_NO_PROGRESS`` (any non-empty value) turns
every bar off.

Layer L0: imports nothing from the package (tqdm is imported when a bar is made).

Example:
    >>> seen = []
    >>> stages = Stages(lambda *report: seen.append(report), total=100, interval=60)
    >>> stages.step("reading", units=40, seconds=1.0)
    >>> stages.within(1, 2)
    >>> stages.close(completed=True)
    >>> seen
    [('reading', 0, 100), ('reading', 20, 100), ('done', 100, 100)]
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = [
    "HEARTBEAT_S",
    "NO_PROGRESS_ENV",
    "Progress",
    "Stages",
    "bars_wanted",
    "count_bar",
    "stage_bar",
]

Progress = Callable[[str, int, int], None]
"""The progress callback: ``progress(stage, done, total)``; ``done`` never goes back."""

#: Set (to anything but the empty string) to turn every progress bar off.
NO_PROGRESS_ENV = "NEUPRINT_DSL_NO_PROGRESS"

#: seconds between two reports while one step runs (the bar moves at least this often)
HEARTBEAT_S = 1.0

#: what a stage bar shows: the stage, the share done, elapsed and remaining time (the units
#: are abstract: no counts)
_STAGE_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}"


def bars_wanted() -> bool:
    """Whether progress bars may be drawn at all (``NEUPRINT_DSL_NO_PROGRESS`` is unset).

    Example:
        >>> import os
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {NO_PROGRESS_ENV: "1"}):
        ...     bars_wanted()
        False
    """
    return not os.environ.get(NO_PROGRESS_ENV)


class Stages:
    """Reports ``progress(stage, done, total)`` for a sequence of steps, each with its share
    of ``total`` and an estimate of its seconds: exact at every step boundary, and, while a
    step runs (an engine ``COPY`` is one call that can take many seconds), every
    :data:`HEARTBEAT_S` (or ``interval``) from a helper thread, with ``done`` moving on by
    the elapsed share of the estimate (approaching, never reaching, the step's end; at least
    one unit per report). Reports never overlap and ``done`` never goes back. ``report=None``
    reports nothing (and starts no thread). Call :meth:`close` when the work ends.

    Example:
        >>> seen = []
        >>> stages = Stages(lambda *report: seen.append(report), total=10, interval=60)
        >>> stages.step("one", units=5, seconds=0.1)
        >>> stages.step("two", units=5, seconds=0.1)
        >>> stages.close(completed=False)
        >>> seen
        [('one', 0, 10), ('two', 5, 10)]
    """

    def __init__(self, report: Progress | None, total: int, interval: float | None = None):
        self.report = report
        self.total = max(int(total), 1)
        self.interval = HEARTBEAT_S if interval is None else interval
        self.done = 0
        self.name = ""
        self.start = 0
        self.end = 0
        self.seconds = 1.0
        self.began = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        if report is not None:
            self.thread = threading.Thread(target=self._beat, name="load-progress", daemon=True)
            self.thread.start()

    def step(self, name: str, units: float, seconds: float) -> None:
        """Close the running step (``done`` jumps to its end) and start ``name``: ``units``
        of the bar, expected to take about ``seconds``."""
        with self.lock:
            self.done = max(self.done, self.end)
            self.name = name
            self.start = self.done
            self.end = min(self.total, self.start + max(int(units), 1))
            self.seconds = max(seconds, 0.05)
            self.began = time.monotonic()
            self._send()

    def within(self, done: int, total: int) -> None:
        """The running step reports that it is ``done`` of ``total`` complete (exact)."""
        with self.lock:
            share = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
            at = min(self.start + int((self.end - self.start) * share), self.end)
            if at > self.done:
                self.done = at
                self._send()

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            with self.lock:
                if self.stop.is_set():
                    return
                span = self.end - self.start
                share = 1.0 - math.exp(-(time.monotonic() - self.began) / self.seconds)
                guess = self.start + int(span * share)
                self.done = min(max(guess, self.done + 1), max(self.end - 1, self.done))
                self._send()

    def _send(self) -> None:
        if self.report is not None:
            self.report(self.name, self.done, self.total)

    def close(self, completed: bool) -> None:
        """Stop the helper thread; report ``("done", total, total)`` if ``completed``."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        if completed:
            with self.lock:
                self.done = self.total
                self.name = "done"
                self._send()


@contextlib.contextmanager
def stage_bar(
    description: str,
    *,
    file: TextIO | None = None,
    show: bool | None = None,
    delay: float = 0.5,
) -> Iterator[Progress]:
    """A :data:`Progress` callback drawing a tqdm bar on ``file`` (default: standard error):
    the stage as its label, the share done, the time taken and left. By default (``show``
    ``None``) it is drawn only on a terminal and when :func:`bars_wanted`; it appears after
    ``delay`` seconds (quick work shows nothing) and is erased when the block ends.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> with stage_bar("loading", file=out) as progress:  # not a terminal: no bar
        ...     progress("reading", 5, 10)
        >>> out.getvalue()
        ''
        >>> with stage_bar("loading", file=out, show=True, delay=0) as progress:
        ...     progress("reading", 5, 10)
        >>> out.getvalue().startswith("\\rloading:   0%|")
        True
    """
    stream = sys.stderr if file is None else file
    if show is None:
        show = bars_wanted() and _is_terminal(stream)
    if not show:  # no bar: not even tqdm's import (tens of milliseconds)
        yield _ignore
        return
    from tqdm import tqdm

    sized = _has_size(stream)
    with tqdm(
        desc=description,
        total=None,
        file=stream,
        leave=False,
        delay=delay,
        bar_format=_STAGE_FORMAT,
        # follow the terminal's size; one that reports none (a bare pty) is taken as 80 x 24
        # (tqdm would draw nothing)
        dynamic_ncols=sized,
        ncols=None if sized else 80,
        nrows=None if sized else 24,
    ) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            if stage != bar.desc:
                bar.set_description_str(stage, refresh=False)
            bar.update(done - bar.n)

        yield progress


def count_bar(total: int, what: str, *, show: bool = True) -> tqdm[NoReturn]:
    """A tqdm bar counting ``total`` items (batches), labelled ``what``; ``update()`` moves it
    on. It draws a widget in a notebook and text elsewhere (``tqdm.auto``), only when ``show``
    and :func:`bars_wanted`. Use it as a context manager.

    Example:
        >>> with count_bar(2, "fetch", show=False) as bar:
        ...     bar.total, bar.disable
        (2, True)
    """
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=what, unit="batch", disable=not (show and bars_wanted()))


def _ignore(stage: str, done: int, total: int) -> None:
    """The :data:`Progress` callback of no bar."""


def _has_size(stream: TextIO) -> bool:
    try:
        size = os.get_terminal_size(stream.fileno())
        return size.columns > 0 and size.lines > 0
    except (AttributeError, OSError, ValueError):  # not a real file (a test's StringIO)
        return False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False
