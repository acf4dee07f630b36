"""The static bars of the project, enforced in the test run: ruff and mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .forkserver import Early

ROOT = Path(__file__).resolve().parent.parent


def _have(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True).returncode
        == 0
    )


@pytest.mark.skipif(not _have("ruff"), reason="ruff is not installed")
def test_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: ``mypy --strict neuprint_dsl`` (tens of seconds on a fresh clone, without mypy's cache),
#: started in the background before the first test (tests/forkserver.py)
MYPY = Early(
    "mypy --strict neuprint_dsl",
    lambda early, env: early.run(
        [sys.executable, "-m", "mypy", "--strict", "neuprint_dsl"], env=env, cwd=ROOT
    ),
    prepare=lambda: dict(os.environ),
)


@pytest.mark.skipif(not _have("mypy"), reason="mypy is not installed")
@pytest.mark.early(MYPY)
def test_mypy_strict_clean() -> None:
    result = MYPY.result()
    assert result.returncode == 0, result.stdout + result.stderr
