"""Drive the neuprint-dsl command line: compile a query, and see a syntax error's caret.

Run: python examples/03_command_line.py
"""

import subprocess
import sys

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
