"""mypy must accept the typed API's correct uses and reject its misuses
(tests/typing/fields_usage.py: each rejected line carries an ignore mypy must find used)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-m", "mypy", "--version"], capture_output=True).returncode,
    reason="mypy is not installed",
)
def test_mypy_accepts_and_rejects_what_it_should() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--warn-unused-ignores",
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            str(ROOT / "tests" / "typing" / "fields_usage.py"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
