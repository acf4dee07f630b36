"""Every script in examples/ runs to completion (they assert their own results).

The first script runs as ``python script.py`` in a new process; the others in processes
forked from one that has imported neuprint_dsl (tests/forkserver.py: the script runs as
``__main__`` with its own ``sys.argv``, ``sys.path[0]``, environment, working directory and
exit status), which saves Python's start and the imports for each of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .forkserver import LazyForkServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, request: pytest.FixtureRequest) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if script == EXAMPLES[0]:
        result = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )
    else:
        server: LazyForkServer = request.getfixturevalue("fork_server")
        result = server.run([], env=env, cwd=ROOT, script=script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip(), "an example should show what it did"
