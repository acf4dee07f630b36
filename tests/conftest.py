"""Shared pytest set-up: Hypothesis profiles, the differential test's tally, shared fixtures.

Fixtures and markers for every module: ``pytestmark = pytest.mark.no_progress_bars`` (the
module runs with ``NEUPRINT_DSL_NO_PROGRESS=1``), ``fork_server`` (the module's
tests/forkserver.py server), ``@pytest.mark.early(WORK)`` (the test checks a
tests/forkserver.py ``Early`` work: started in the background before the first test). Under
pytest-xdist (``-n``) each worker keeps its own differential tally and hands it to the
controller, which prints their sum.

Profiles (``HYPOTHESIS_PROFILE`` selects one; docs/testing.md has the details):

* ``dev`` (the default on a workstation): 200 examples per property, random, with Hypothesis'
  example database, so a failure found once is replayed first next time;
* ``ci`` (selected when ``CI`` is set): 100 examples per property, ``derandomize=True`` and
  ``database=None``, so every CI run draws exactly the same examples and a red build is
  reproducible anywhere with ``CI=true``;
* ``thorough``: 2,000 examples per property, random, no database
  (``HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest ...``); run before resolving an
  issue about semantics.

Expensive property tests take their example counts from :func:`examples` instead: per profile
and per cost (a database built per example, the cross-backend differential), so that ``ci``
stays inside the ten-minute budget while ``thorough`` runs at least as many examples as before.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from .forkserver import EARLY, SHARED, Early, LazyForkServer


def _import_every_module() -> None:
    """Import every module of neuprint_dsl (but ``__main__``s) before any test runs.

    Hypothesis also draws values from the literals of the *local* modules imported so far
    (its "local constants": modules in ``sys.modules`` outside site-packages and tests/), even
    under ``derandomize``. Without this, a property test's examples would depend on which
    modules the tests before it happened to import: a single test, a subset, another order or
    a pytest-xdist worker's share would draw other examples than the full run (the differential
    test refused 52, 20 or 24 times for the same 1,304 cases). The full run imports them all
    anyway (``--doctest-modules``), so this costs it nothing."""
    import neuprint_dsl

    for info in pkgutil.walk_packages(neuprint_dsl.__path__, "neuprint_dsl."):
        if info.name.rpartition(".")[2] != "__main__":
            importlib.import_module(info.name)


_import_every_module()

ROOT = Path(__file__).resolve().parent.parent
# mypy checks this file (tests/test_typing.py); it fails on purpose when imported
collect_ignore = ["typing"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_COMMON: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "thorough", max_examples=2000, derandomize=False, database=None, **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

#: Examples per property test, by profile and by what one example costs (docs/testing.md):
#:
#: * ``property``: an in-memory check (the profile's ``max_examples``);
#: * ``engine``: a real Ladybug database built and queried per example (tests/test_engine.py);
#: * ``differential``: one predicate on four databases, three backends each
#:   (tests/test_differential.py);
#: * ``statements``: an ordered / grouped statement on four databases, two backends each
#:   (tests/test_differential.py).
#:
#: ``ci`` runs fewer of the expensive ones (the suite has a ten-minute budget on two shared
#: cores); ``dev`` and ``thorough`` run as many as before the budget (``thorough``: 500 engine
#: examples, 6,000 differential ones). A pinned ``@example`` always runs, in every profile.
EXAMPLES: dict[str, dict[str, int]] = {
    "dev": {"property": 200, "engine": 50, "differential": 600, "statements": 200},
    "ci": {"property": 100, "engine": 12, "differential": 250, "statements": 50},
    "thorough": {"property": 2000, "engine": 500, "differential": 6000, "statements": 2000},
}
#: the shares of ``property`` for a profile registered elsewhere (not in :data:`EXAMPLES`)
_SHARE = {"property": 1.0, "engine": 0.25, "differential": 3.0, "statements": 1.0}


def profile_name() -> str:
    """The name of the active Hypothesis profile (``ci``, ``dev``, ``thorough`` or another)."""
    current = getattr(settings, "get_current_profile_name", None)
    name = current() if current is not None else getattr(settings, "_current_profile", None)
    return str(name or "default")


def examples(cost: str) -> int:
    """How many examples a property test of this ``cost`` runs under the active profile.

    ``cost`` is a key of :data:`EXAMPLES` (``property``, ``engine``, ``differential``,
    ``statements``). A profile not in the table gets the shares of its ``max_examples`` that
    ``dev`` uses (a quarter for ``engine``, three times for ``differential``), at least 10.
    """
    table = EXAMPLES.get(profile_name())
    if table is not None:
        return table[cost]
    return max(10, round(settings().max_examples * _SHARE[cost]))


class DifferentialTally:
    """Counts of tests/test_differential.py: cases run, cases that disagreed, typed refusals
    per backend and error, seconds spent, and (in survey mode) the disagreements found."""

    def __init__(self) -> None:
        self.cases = 0
        self.disagreeing = 0
        self.refusals: Counter[tuple[str, str]] = Counter()
        self.seconds = 0.0
        self.disagreements: list[tuple[str, list[str]]] = []
        self.shapes: Counter[str] = Counter()
        self.shape_example: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<DifferentialTally: {self.cases} cases, {self.disagreeing} disagreeing>"

    def case(self, disagrees: bool) -> None:
        """Count one (predicate, database) case."""
        self.cases += 1
        self.disagreeing += disagrees

    def refused(self, backend: str, error: str) -> None:
        """Count one typed refusal by ``backend``."""
        self.refusals[(backend, error)] += 1

    def disagree(self, text: str, problems: list[str], culprits: list[tuple[str, str]]) -> None:
        """Record one disagreeing predicate (survey mode) and its disagreeing leaves, grouped
        by shape (``culprits`` holds (shape, description) pairs)."""
        self.disagreements.append((text, problems))
        for shape, description in culprits or [("(no single leaf disagrees)", text)]:
            self.shapes[shape] += 1
            self.shape_example.setdefault(shape, description)

    def to_data(self) -> dict[str, Any]:
        """The counts as plain data (what a pytest-xdist worker sends to the controller)."""
        return {
            "cases": self.cases,
            "disagreeing": self.disagreeing,
            "refusals": [[b, e, n] for (b, e), n in self.refusals.items()],
            "seconds": self.seconds,
            "disagreements": [[text, problems] for text, problems in self.disagreements],
            "shapes": dict(self.shapes),
            "shape_example": self.shape_example,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add the counts of another tally's :meth:`to_data` (a worker's) to this one."""
        self.cases += data["cases"]
        self.disagreeing += data["disagreeing"]
        for backend, error, n in data["refusals"]:
            self.refusals[(backend, error)] += n
        self.seconds += data["seconds"]
        self.disagreements += [(text, list(problems)) for text, problems in data["disagreements"]]
        self.shapes.update(data["shapes"])
        for shape, example in data["shape_example"].items():
            self.shape_example.setdefault(shape, example)

    def report(self) -> list[str]:
        """The lines of the terminal summary."""
        refused = sum(self.refusals.values())
        checks = 3 * self.cases  # embedded, neuronjson store, neuronjson plan
        lines = [
            f"{self.cases} cases in {self.seconds:.1f} s, {self.disagreeing} disagreeing; "
            f"{refused} of {checks} backend runs ({refused / max(checks, 1):.1%}) refused "
            "with a typed error"
        ]
        lines += [f"  refused by {b}: {e} x{n}" for (b, e), n in sorted(self.refusals.items())]
        if self.disagreements:
            lines.append(f"{len(self.disagreements)} disagreeing predicates; by leaf shape:")
        for shape, n in self.shapes.most_common():
            lines.append(f"  x{n} {shape}")
            lines.append(f"      e.g. {self.shape_example[shape][:300]}")
        for text, problems in self.disagreements:
            if not any(shape == "(no single leaf disagrees)" for shape in self.shapes):
                break
            lines.append(f"  predicate {text}: {problems[0][:200]}")
        return lines


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers this file gives meaning to."""
    config.addinivalue_line(
        "markers",
        "no_progress_bars: the module runs with NEUPRINT_DSL_NO_PROGRESS=1 (module fixtures too)",
    )
    config.addinivalue_line(
        "markers",
        "early(*work): the test checks the result of these tests/forkserver.py Early works, "
        "started in the background before the first test",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the :class:`~tests.forkserver.Early` works of the selected tests (``early``
    marker), in the order the tests come, so that they run beside the tests before them.
    Not on a pytest-xdist worker (it collects every test, runs a share): there a work starts
    when its test asks for it."""
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return
    for item in session.items:
        for mark in item.iter_markers("early"):
            for work in mark.args:
                assert isinstance(work, Early), f"{item.nodeid}: early() takes Early works"
                work.start()


@pytest.fixture(scope="module", autouse=True)
def _no_progress_bars(request: pytest.FixtureRequest) -> Iterator[None]:
    """``NEUPRINT_DSL_NO_PROGRESS=1`` for a whole module marked ``no_progress_bars``
    (``pytestmark = pytest.mark.no_progress_bars``): set before the module's own fixtures, even
    its autouse ones (this conftest's autouse fixtures come first), undone after the module."""
    if request.node.get_closest_marker("no_progress_bars") is None:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEUPRINT_DSL_NO_PROGRESS", "1")
        yield


@pytest.fixture(scope="module")
def fork_server() -> Iterator[LazyForkServer]:
    """The module's fork server (tests/forkserver.py), started on first use and stopped after
    the module; modules that run commands through it outside fixtures mark themselves
    ``pytestmark = pytest.mark.usefixtures("fork_server")``."""
    yield SHARED
    SHARED.close()


_TALLY = pytest.StashKey[DifferentialTally]()


@pytest.fixture(scope="session")
def differential_tally(request: pytest.FixtureRequest) -> DifferentialTally:
    """The session's :class:`DifferentialTally` (reported in the terminal summary)."""
    tally = DifferentialTally()
    request.config.stash[_TALLY] = tally
    return tally


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the :class:`~tests.forkserver.Early` works (what still runs: the run stopped
    early). On a pytest-xdist worker, hand the differential tally to the controller (xdist
    sends ``config.workeroutput`` after this hook)."""
    for work in EARLY:
        work.stop()
    output = getattr(session.config, "workeroutput", None)
    tally = session.config.stash.get(_TALLY, None)
    if output is not None and tally is not None:
        output["differential_tally"] = tally.to_data()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller, add a finished worker's tally to the session's."""
    data = getattr(node, "workeroutput", {}).get("differential_tally")
    if data is None:
        return
    config = node.config
    tally = config.stash.get(_TALLY, None)
    if tally is None:
        tally = config.stash[_TALLY] = DifferentialTally()
    tally.merge(data)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the differential test's counts when it ran."""
    tally = config.stash.get(_TALLY, None)
    if tally is None or not tally.cases:
        return
    terminalreporter.section("cross-backend differential")
    for line in tally.report():
        terminalreporter.write_line(line)
