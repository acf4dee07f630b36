"""What the benchmark scripts share: what they record about the machine and the installed
packages, and the one timing loop (:func:`time_batch`, :func:`timed_call`, :func:`time_runs`,
:func:`median_time`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def load_average() -> float | None:
    """The 1-minute load average, or ``None`` where the platform has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        return None


def _first_field(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine_info() -> dict[str, Any]:
    """Python, platform, CPU model and count, memory and the current load average."""
    memory = _first_field("/proc/meminfo", "MemTotal:")
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _first_field("/proc/cpuinfo", "model name") or platform.processor() or "",
        "cpu_count": os.cpu_count(),
        "memory_bytes": int(memory.split()[0]) * 1024 if memory else None,
        "load_average_1min": load_average(),
    }


def package_version(dist: str) -> str:
    """The installed version of a distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@contextlib.contextmanager
def _collected(keep_gc: bool) -> Iterator[None]:
    """The garbage collector run, then off for the block (on again after, if it was)."""
    gc.collect()
    was_enabled = gc.isenabled()
    if not keep_gc:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def time_batch(
    fn: Callable[[], object],
    iterations: int = 1,
    *,
    clock: Callable[[], float] = time.perf_counter,
    keep_gc: bool = False,
) -> float:
    """The ``clock`` time of one call of ``fn()``, averaged over a batch of ``iterations``
    calls; the garbage collector is run first and kept off while timing (``keep_gc=True``
    leaves it on). ``clock`` may be ``time.perf_counter_ns`` (nanoseconds) or
    ``time.process_time`` (the process's CPU seconds)."""
    loop = range(iterations)
    with _collected(keep_gc):
        start = clock()
        for _ in loop:
            fn()
        elapsed = clock() - start
    return elapsed / iterations


def timed_call(
    fn: Callable[[], T],
    *,
    clock: Callable[[], float] = time.perf_counter,
    keep_gc: bool = False,
) -> tuple[float, T]:
    """One call of ``fn()`` timed as :func:`time_batch` times it, and what it returned."""
    with _collected(keep_gc):
        start = clock()
        result = fn()
        elapsed = clock() - start
    return elapsed, result


def time_runs(
    fn: Callable[[], object],
    runs: int,
    *,
    clock: Callable[[], float] = time.perf_counter,
    keep_gc: bool = False,
) -> list[float]:
    """The times of ``runs`` single calls of ``fn()`` (:func:`time_batch` of one call each)."""
    return [time_batch(fn, 1, clock=clock, keep_gc=keep_gc) for _ in range(runs)]


def median_time(
    fn: Callable[[], object],
    runs: int,
    *,
    clock: Callable[[], float] = time.perf_counter,
    keep_gc: bool = False,
) -> float:
    """The median of :func:`time_runs`."""
    return statistics.median(time_runs(fn, runs, clock=clock, keep_gc=keep_gc))
