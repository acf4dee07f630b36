"""Every script in examples/ runs to completion (they assert their own results).

The first script runs as ``python script.py`` in a new process; the others in processes
forked from one that has imported neuprint_dsl (tests/forkserver.py: the script runs as
``__main__`` with its own ``sys.argv``, ``sys.path[0]``, environment, working directory and
exit status), which saves Python's start and the imports for each of them. They all run in
the background, one after the other, started before the first test (tests/forkserver.py's
``Early``: on two cores, beside the tests before them); each test waits for its script's
result and checks it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .forkserver import Early

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _run_examples(
    early: Early, env: dict[str, str]
) -> dict[str, subprocess.CompletedProcess[str] | Exception]:
    """Run every example script; returns what each did (or why it could not be run), by
    file name."""
    results: dict[str, subprocess.CompletedProcess[str] | Exception] = {}
    for script in EXAMPLES:
        try:
            if script == EXAMPLES[0]:
                results[script.name] = early.run(
                    [sys.executable, str(script)], env=env, cwd=ROOT, timeout=300
                )
            else:
                server = early.fork_server(env)
                results[script.name] = server.run([], env=env, cwd=ROOT, script=script)
        except Exception as error:  # the fork server died: this script's test fails
            results[script.name] = error
    early.close_fork_server()
    return results


#: every example script run (tests/forkserver.py)
RUNS = Early("examples", _run_examples, prepare=lambda: {**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.early(RUNS)
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path) -> None:
    result = RUNS.result()[script.name]
    if isinstance(result, Exception):
        raise result
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip(), "an example should show what it did"
