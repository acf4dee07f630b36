"""Drive the neuprint-dsl command line: compile a query, see a syntax error's caret, print a
table as a 40-column terminal would show it, and see that a failed write is an error.

Run: python examples/03_command_line.py
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

command = [sys.executable, "-m", "neuprint_dsl.cli"]

done = subprocess.run(
    [*command, "compile", 'neurons where type =~ "MBON.*" and roi("MB(R)") limit 5', "--inline"],
    capture_output=True,
    text=True,
    check=True,
)
print(done.stdout)

bad = subprocess.run(
    [*command, "compile", 'type = "KC" and and pre > 3'], capture_output=True, text=True
)
print(f"exit status {bad.returncode}:")
print(bad.stderr)
assert bad.returncode == 2 and "^" in bad.stderr

with tempfile.TemporaryDirectory() as tmp:
    # annotations as DVID's /all returns them; --bodyid-column names the key as neuPrint does
    records = [
        {"bodyid": 5813105172, "type": "MBON01", "status": "Traced", "notes": "a long free note"},
        {"bodyid": 612371421, "type": "MBON02", "status": "Traced", "notes": "short"},
        {"bodyid": 7, "type": "KC", "status": "Orphan"},
    ]
    path = Path(tmp) / "all.json"
    path.write_text(json.dumps(records))
    query = [*command, "query", 'type =~ "MBON.*"', "--neuronjson", str(path)]
    # a 40-column terminal (NEUPRINT_DSL_TERMINAL=1 and COLUMNS do what a real one does)
    terminal = {**os.environ, "NEUPRINT_DSL_TERMINAL": "1", "COLUMNS": "40", "NO_COLOR": "1"}
    table = subprocess.run(
        [*query, "--bodyid-column", "bodyId"], capture_output=True, text=True, env=terminal
    )
    print(table.stdout + table.stderr)
    assert "5813105172" in table.stdout and table.stderr.endswith("2 rows\n")

    # writing to a folder that does not exist: one line, exit status 1, no traceback
    failed = subprocess.run(
        [*query, "--format", "csv", "-o", str(Path(tmp) / "nodir" / "x.csv")],
        capture_output=True,
        text=True,
    )
    print(f"exit status {failed.returncode}: {failed.stderr}")
    assert failed.returncode == 1 and failed.stderr.startswith("error: cannot write")
