"""The command line, run as a real console script in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("neuprint-dsl", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "neuprint_dsl.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=60)


def test_compile_inline_neo4j() -> None:
    result = run("compile", 'type =~ "MBON.*" and roi("MB(R)")')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "MATCH (n:Neuron)",
        "WHERE n.type =~ 'MBON.*'",
        "  AND n.`MB(R)`",
    ]


def test_compile_ladybug_with_params() -> None:
    result = run("compile", "neurons where pre > 10 limit 3", "--to", "ladybug", "--params")
    assert result.returncode == 0, result.stderr
    assert "WHERE n.pre > $pre" in result.stdout
    assert '// parameters: {"pre": 10}' in result.stdout


def test_format_prints_canonical_text() -> None:
    result = run("format", 'type =~ "MBON.*" AND NOT cropped OR `from` = 1')
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'type =~ "MBON.*" and not cropped or `from` = 1\n'


def test_bad_query_text_gives_a_caret_and_exit_2() -> None:
    result = run("compile", 'type = "KC" and and pre > 3')
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: unexpected keyword 'and'")
    assert "at line 1, column 17" in result.stderr
    assert result.stderr.splitlines()[-1] == " " * 18 + "^"


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_sample_writes_the_export_format(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = run("sample", "--neurons", "120", "--edges", "600", "--seed", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "synthetic sample" in result.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == ["meta.json", "neurons.csv", "roi-connections.csv", "total-connections.csv"]
    again = tmp_path / "again"
    run("sample", "--neurons", "120", "--edges", "600", "--seed", "3", "--out", str(again))
    for name in names:
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_sample_refuses_bad_sizes(tmp_path: Path) -> None:
    result = run("sample", "--neurons", "1", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
