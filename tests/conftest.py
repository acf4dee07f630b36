"""Shared pytest set-up: Hypothesis profiles and the differential test's tally.

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

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

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


_TALLY = pytest.StashKey[DifferentialTally]()


@pytest.fixture(scope="session")
def differential_tally(request: pytest.FixtureRequest) -> DifferentialTally:
    """The session's :class:`DifferentialTally` (reported in the terminal summary)."""
    tally = DifferentialTally()
    request.config.stash[_TALLY] = tally
    return tally


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the differential test's counts when it ran."""
    tally = config.stash.get(_TALLY, None)
    if tally is None or not tally.cases:
        return
    terminalreporter.section("cross-backend differential")
    for line in tally.report():
        terminalreporter.write_line(line)
