"""The test data files under tests/fixtures/, read for the tests (data, not code).

* ``identity.txt``: the identity corpus of the text language, one query per line whose
  canonical text is itself (blank lines and ``#`` lines skipped), as sqlglot's identity.sql;
* ``compile_cases.json``: groups of cases, as jmespath's compliance files. A group is
  ``{"comment": ..., "cases": [...]}``; a case has a ``query`` (the text language) and one key
  per output it pins, each optional:

  - ``text``: its canonical text (when not the query itself),
  - ``neo4j`` / ``ladybug``: the inline Cypher of that dialect (a string, or a list of lines),
  - ``neuronjson``: ``{"query": <the JSON sent to DVID>, "exact": <no client-side residual>}``,

  plus an optional ``name`` (the test id; else the query) and ``comment``.

Adding a backend adds a key to the cases it can compile and one parametrized test reading it
(:func:`cases_with`); adding a case is adding an object. tests/test_cases.py checks the
files' shape.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
#: the keys a compile case may have; the outputs are every key but name, comment and query
CASE_KEYS = ("name", "comment", "query", "text", "neo4j", "ladybug", "neuronjson")
OUTPUTS = ("text", "neo4j", "ladybug", "neuronjson")


@attrs.frozen(slots=True)
class Case:
    """One case of compile_cases.json: a query and what it gives per output."""

    query: str
    outputs: dict[str, Any]
    name: str | None = None
    comment: str | None = None

    @property
    def id(self) -> str:
        """The pytest id: the name, else the query."""
        return self.name if self.name is not None else self.query

    def cypher(self, dialect: str) -> str:
        """The expected inline Cypher for ``dialect`` (a list of lines joined)."""
        value = self.outputs[dialect]
        return "\n".join(value) if isinstance(value, list) else str(value)


@cache
def identity() -> tuple[str, ...]:
    """The queries of identity.txt, in file order."""
    lines = (FIXTURES / "identity.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line for line in lines if line.strip() and not line.startswith("#"))


@cache
def raw_groups() -> list[dict[str, Any]]:
    """compile_cases.json as read."""
    groups: list[dict[str, Any]] = json.loads(
        (FIXTURES / "compile_cases.json").read_text(encoding="utf-8")
    )
    return groups


@cache
def compile_cases() -> tuple[Case, ...]:
    """Every case of compile_cases.json, in file order."""
    out = []
    for group in raw_groups():
        for case in group["cases"]:
            outputs = {k: v for k, v in case.items() if k in OUTPUTS}
            out.append(Case(case["query"], outputs, case.get("name"), case.get("comment")))
    return tuple(out)


def cases_with(output: str) -> list[Any]:
    """``pytest.param(case, id=...)`` for every case pinning ``output``."""
    return [pytest.param(c, id=c.id) for c in compile_cases() if output in c.outputs]
