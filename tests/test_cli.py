"""The command line, run as a real console script in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = shutil.which("neuprint-dsl", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "neuprint_dsl.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache is not None:
        env["NEUPRINT_DSL_CACHE"] = str(cache)
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    export = tmp_path_factory.mktemp("export")
    assert (
        run("sample", "--neurons", "300", "--edges", "3000", "--out", str(export)).returncode == 0
    )
    db = tmp_path_factory.mktemp("db") / "graph.lbug"
    result = run("load", str(export), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"into {db}" in result.stdout
    return db


def test_compile_inline_neo4j() -> None:
    result = run("compile", 'type =~ "MBON.*" and roi("MB(R)")', "--inline")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "MATCH (n:Neuron)",
        "WHERE n.type =~ 'MBON[^\\\\n]*'",  # Java's . also stops at \r, \x85, \u2028
        "  AND n.`MB(R)`",
    ]


def test_compile_ladybug_with_params() -> None:
    result = run("compile", "neurons where pre > 10 limit 3", "--to", "ladybug")
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
    assert "synapses" in result.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "closest-mitochondria.csv",
        "meta.json",
        "mitochondria.csv",
        "neurons.csv",
        "roi-connections.csv",
        "synapse-connections.csv",
        "synapses.csv",
        "total-connections.csv",
    ]
    again = tmp_path / "again"
    run("sample", "--neurons", "120", "--edges", "600", "--seed", "3", "--out", str(again))
    for name in names:
        assert (out / name).read_bytes() == (again / name).read_bytes()
    bare = tmp_path / "bare"
    args = ["--neurons", "120", "--edges", "600", "--seed", "3", "--out", str(bare)]
    assert run("sample", *args, "--no-synapses").returncode == 0
    kept = ["meta.json", "neurons.csv", "roi-connections.csv", "total-connections.csv"]
    assert sorted(p.name for p in bare.iterdir()) == kept
    for name in kept[1:]:  # the connection-level files do not depend on the synapses
        assert (out / name).read_bytes() == (bare / name).read_bytes()


def test_query_synapses(database: Path) -> None:
    query = 'synapses where type = "pre" and confidence > 0.9 and roi("MB(R)")'
    result = run("query", query, "--db", str(database), "--format", "csv", "--limit", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "bodyId,type,roi,x,y,z,confidence" and len(lines) == 6
    pairs = run("query", 'synapse connections in rois ["MB(R)"] all rois', "--db", str(database))
    assert pairs.returncode == 0, pairs.stderr
    bad = run("query", 'synapses where inputs("EB") > 1', "--db", str(database))
    assert bad.returncode == 2 and "function of neurons" in bad.stderr


def test_format_takes_a_context() -> None:
    result = run("format", 'confidence > 0.9 AND roi("EB")', "--context", "synapse")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'confidence > 0.9 and roi("EB")'
    clash = run("format", "weight > 1", "--edge", "--context", "synapse")
    assert clash.returncode == 2 and "disagree" in clash.stderr


def test_sample_refuses_bad_sizes(tmp_path: Path) -> None:
    result = run("sample", "--neurons", "1", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_main_job_builds_the_sample_on_first_use(tmp_path: Path) -> None:
    query = 'neurons where type =~ "MBON.*" and roi("MB(R)")'
    first = run("query", query, cache=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "MBON" in first.stdout and "bodyId" in first.stdout
    again = run("query", query, cache=tmp_path)
    assert again.stdout == first.stdout
    assert len([p for p in tmp_path.iterdir()]) == 2  # the sample export and its database


def test_query_formats(database: Path, tmp_path: Path) -> None:
    q = 'neurons where type = "APL" return bodyId, type, pre'
    csv = run("query", q, "--db", str(database), "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines()[0] == "bodyId,type,pre"
    js = run("query", q, "--db", str(database), "--format", "json")
    assert '"type":"APL"' in js.stdout
    out = tmp_path / "t.txt"
    table = run("query", q, "--db", str(database), "--output", str(out))
    assert table.returncode == 0 and "APL" in out.read_text()


def test_query_connections_and_limit(database: Path) -> None:
    result = run(
        "query",
        "connections where weight >= 2 per roi",
        "--db",
        str(database),
        "--format",
        "csv",
        "--limit",
        "3",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "bodyId_pre,bodyId_post,roi,weight" and len(lines) == 4


def test_query_errors_are_one_line_and_exit_2(database: Path) -> None:
    result = run("query", 'neurons where roi("MB(X)")', "--db", str(database))
    assert result.returncode == 2
    assert (
        result.stderr.startswith("error: unknown ROI 'MB(X)'") and "Traceback" not in result.stderr
    )
    missing = run("query", "pre > 1", "--db", str(database.parent / "nope.lbug"))
    assert missing.returncode == 1 and missing.stderr.startswith("error: no embedded database")


def test_info(database: Path) -> None:
    result = run("info", "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert "dataset: hemibrain-synthetic (synthetic)" in result.stdout
    assert "neurons: 300" in result.stdout and "connections: 3000" in result.stdout
    assert "synapses: " in result.stdout and "mitochondria: " in result.stdout


def test_load_errors_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "neurons.csv").write_text("bodyId,type\n1,a\nx,b\n")
    (tmp_path / "total-connections.csv").write_text("bodyId_pre,bodyId_post,weight\n")
    (tmp_path / "roi-connections.csv").write_text("bodyId_pre,bodyId_post,roi,weight\n")
    result = run("load", str(tmp_path), "--db", str(tmp_path / "g.lbug"))
    assert result.returncode == 2
    assert "neurons.csv, line 3, column 'bodyId': 'x' is not an integer" in result.stderr
    assert not (tmp_path / "g.lbug").exists()


def test_query_parquet(database: Path, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "apl.parquet"
    result = run(
        "query", 'type = "APL"', "--db", str(database), "--format", "parquet", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert pd.read_parquet(out)["type"].tolist() == ["APL"]
    no_file = run("query", 'type = "APL"', "--db", str(database), "--format", "parquet")
    assert no_file.returncode == 2 and "needs --output" in no_file.stderr


def test_compile_to_neuronjson() -> None:
    result = run("compile", 'type =~ "MBON.*" and pre > 5', "--to", "neuronjson")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        'neuronjson plan for: type =~ "MBON.*" and pre > 5',
        '  server: GET /query {"type": ["re/^(?:MBON.*)$"]}',
        '  client: keep records where type =~ "MBON.*" and pre > 5',
    ]
    refused = run("compile", "connections where weight > 1", "--to", "neuronjson")
    assert refused.returncode == 2 and "annotations only" in refused.stderr


def test_query_a_dvid_server(tmp_path: Path) -> None:
    from .dvid_server import FakeDvid

    records = [
        {"bodyid": 30, "type": "MBON01", "status": "Traced"},
        {"bodyid": 4, "type": "MBON02", "status": "Traced"},
        {"bodyid": 7, "type": "KC", "status": "Traced"},
    ]
    with FakeDvid() as fake:
        fake.reset(records)
        args = ["--dvid", fake.url, "--uuid", fake.uuid[:6], "--instance", fake.instance]
        result = run("query", 'type =~ "MBON.*" and status = "Traced"', *args, "--format", "csv")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "bodyid,status,type",
            "4,Traced,MBON02",
            "30,Traced,MBON01",
        ]
        missing = run("query", "type = 'x'", "--dvid", fake.url)
        assert missing.returncode == 2 and "--uuid and --instance" in missing.stderr
    gone = run("query", "type = 'x'", *args, "--timeout", "2")
    assert gone.returncode == 1 and gone.stderr.startswith("error: ")
    path = tmp_path / "all.json"
    path.write_text(json.dumps(records))
    local = run("query", 'type =~ "MBON.*"', "--neuronjson", str(path), "--format", "csv")
    assert local.stdout.splitlines()[1:] == ["4,Traced,MBON02", "30,Traced,MBON01"]
