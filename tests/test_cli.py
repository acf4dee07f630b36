"""The command line, run as a separate process.

Most commands run in a child forked from one Python process that has imported neuprint_dsl
(tests/forkserver.py): a real process with its own arguments, environment, standard streams,
file-size limit and exit status, without paying Python's start and the imports each time.
The tests about the process itself (the console script on ``PATH``, a closed pipe, the
sample built on first use, and one of each kind of failed write) start the real
``neuprint-dsl`` script. Commands that only need click's parsing run in-process (``crun``,
``invoke``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .forkserver import SHARED, Early, console_script

ROOT = Path(__file__).resolve().parent.parent

#: the commands run through the module's fork server (tests/conftest.py, tests/forkserver.py)
pytestmark = pytest.mark.usefixtures("fork_server")


def _environment(env: dict[str, str]) -> dict[str, str]:
    """The commands' environment: ours, none of the terminal variables, and ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in ("NEUPRINT_DSL_TERMINAL", "COLUMNS")}
    return {**base, "PYTHONPATH": str(ROOT), **env}


def run(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {} if cache is None else {"NEUPRINT_DSL_CACHE": str(cache)}
    return run_env(env, *args)


def run_env(
    env: dict[str, str],
    *args: str,
    stdout: Path | str | None = None,
    fsize_limit: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a process forked from this module's fork server, with extra
    environment variables (and none of the terminal ones); standard output captured, or
    written to the file ``stdout``, under an optional file-size limit."""
    return SHARED.run(args, env=_environment(env), stdout=stdout, fsize_limit=fsize_limit)


def run_real(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``neuprint-dsl`` console script itself, in a new Python process."""
    env = _environment({} if cache is None else {"NEUPRINT_DSL_CACHE": str(cache)})
    command = [*console_script(), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


#: the query test_main_job_builds_the_sample_on_first_use runs on an empty cache directory
FIRST_QUERY = 'neurons where type =~ "MBON.*" and roi("MB(R)")'


def _first_use_prepare() -> tuple[dict[str, str], Path | None]:
    """The commands' environment and the parser tables of this test run (saved in the cache
    directory in use), read before any test runs."""
    from neuprint_dsl.text.grammar import grammar_path, lark_parser, parser_cache_file

    lark_parser()  # loads the saved tables, or builds and saves them
    tables = parser_cache_file(grammar_path().read_text(encoding="utf-8"))
    return _environment({}), tables if tables is not None and tables.is_file() else None


def _first_use(
    early: Early, prepared: tuple[dict[str, str], Path | None]
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Run the console script on :data:`FIRST_QUERY` with an empty cache directory; returns
    the directory and what the command did."""
    env, tables = prepared
    cache = early.directory / "cache"
    cache.mkdir()
    if tables is not None:  # the command builds the sample, not the parser (see FIRST_USE)
        (cache / "parser").mkdir()
        shutil.copy2(tables, cache / "parser" / tables.name)
    command = [*console_script(), "query", FIRST_QUERY]
    return cache, early.run(command, env={**env, "NEUPRINT_DSL_CACHE": str(cache)}, cwd=ROOT)


#: The ``neuprint-dsl`` console script running :data:`FIRST_QUERY` with an empty cache
#: directory (``NEUPRINT_DSL_CACHE``), so it builds the default sample (3,000 neurons,
#: 150,000 connections, synapses) and its database: the slowest command of this module,
#: started in the background before the first test (tests/forkserver.py);
#: test_main_job_builds_the_sample_on_first_use waits for it and checks what it did. The
#: cache directory starts with the parser tables of this test run (tests/test_parser_cache.py
#: tests building and saving them).
FIRST_USE = Early("first use: the default sample", _first_use, prepare=_first_use_prepare)


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
    result = run_real("compile", 'type =~ "MBON.*" and roi("MB(R)")', "--inline")  # on PATH
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


# -- issue 14: a neuPrint server (--server), fields, rois, --help ------------------------------


@pytest.fixture
def neuprint(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """The fake neuPrintHTTP holding three neurons, with a token; and a token file."""
    from .neuprint_server import FakeNeuprint, Segment, serve_graph

    server = FakeNeuprint().start()
    server.token = "s3cret-token"
    segments = [
        Segment(10, {"type": "APL", "pre": 5, "status": "Traced"}),
        Segment(3, {"type": "KC", "pre": 50, "status": "Traced"}),
        Segment(7, {"type": "KC", "pre": 2}),
    ]
    server.answer("LIMIT 2", ["bodyId", "type"], [[3, "KC"], [7, "KC"]])
    serve_graph(server, segments, [])
    token = tmp_path / "token"
    token.write_text('{"token": "s3cret-token"}\n')
    try:
        yield server, token
    finally:
        server.stop()


def crun(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process (click's runner), with the result of :func:`run`."""
    from click.testing import CliRunner

    from neuprint_dsl.cli import cli

    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def server_args(server: Any, token: Path | None = None) -> list[str]:
    args = ["--server", server.url, "--dataset", "hemibrain:v1.2.1"]
    return [*args, "--token-file", str(token)] if token is not None else args


def test_query_a_neuprint_server(neuprint: tuple[Any, Path]) -> None:
    server, token = neuprint
    q = 'neurons where type = "KC" return bodyId, type, pre'
    csv = crun("query", q, *server_args(server, token), "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines() == ["bodyId,type,pre", "3,KC,50", "7,KC,2"]
    sent = [r for r in server.requests if r.cypher and "RETURN n.bodyId" in r.cypher]
    assert sent and sent[-1].headers.get("Authorization") == "Bearer s3cret-token"
    table = crun("query", q, *server_args(server, token))
    assert table.returncode == 0 and table.stderr.splitlines()[-1] == "2 rows"
    js = crun("query", q, *server_args(server, token), "--format", "json")
    assert [json.loads(line)["bodyId"] for line in js.stdout.splitlines()] == [3, 7]
    # the token from the environment, as neuprint-python reads it
    credentials = {"NEUPRINT_APPLICATION_CREDENTIALS": "s3cret-token"}
    env_token = crun("query", q, *server_args(server), "--format", "csv", env=credentials)
    assert env_token.stdout == csv.stdout, env_token.stderr
    # --limit is sent in the query: the server stops early
    kc = 'neurons where type = "KC" return bodyId, type'
    limited = crun("query", kc, *server_args(server, token), "--limit", "2", "--format", "csv")
    assert limited.returncode == 0, limited.stderr
    assert limited.stdout.splitlines() == ["bodyId,type", "3,KC", "7,KC"]
    assert any("LIMIT 2" in (r.cypher or "") for r in server.requests)


def test_server_errors_are_the_embedded_errors(neuprint: tuple[Any, Path]) -> None:
    server, token = neuprint
    unknown = crun("query", 'typo = "KC"', *server_args(server, token))
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: unknown field 'typo'") and "'type'" in unknown.stderr
    roi = crun("query", 'roi("MB(X)")', *server_args(server, token))
    assert roi.returncode == 2 and roi.stderr.startswith("error: unknown ROI 'MB(X)'")
    no_token = {"NEUPRINT_APPLICATION_CREDENTIALS": ""}
    anonymous = crun("query", "pre >= 1", *server_args(server), env=no_token)
    assert anonymous.returncode == 1 and "401" in anonymous.stderr
    for result in (unknown, roi, anonymous):
        assert "Traceback" not in result.stderr
    no_dataset = crun("query", "pre >= 1", "--server", server.url)
    assert no_dataset.returncode == 2 and "--server needs --dataset" in no_dataset.stderr
    bare = crun("query", "pre >= 1", *server_args(server), "--token", "s3cret-token")
    assert bare.returncode == 2 and "never from the command line" in bare.stderr
    empty = token.parent / "empty"
    empty.write_text("")
    assert crun("query", "pre >= 1", *server_args(server, empty)).returncode == 2
    stray = crun("query", "pre >= 1", "--db", "x.lbug", "--token-file", str(token))
    assert stray.returncode == 2 and "--token-file goes with --server" in stray.stderr
    both = crun("query", "pre >= 1", *server_args(server, token), "--db", "x.lbug")
    assert both.returncode == 2 and "give one of --db, --server" in both.stderr


def test_compile_checks_names_against_the_dataset(
    neuprint: tuple[Any, Path], database: Path
) -> None:
    server, token = neuprint
    ok = crun("compile", 'type = "APL" and roi("FB")', *server_args(server, token), "--inline")
    assert ok.returncode == 0, ok.stderr
    assert "n.type = 'APL'" in ok.stdout
    bad = crun("compile", 'roi("FBX")', *server_args(server, token))
    assert bad.returncode == 2 and "unknown ROI 'FBX'" in bad.stderr and "'FB'" in bad.stderr
    # without a dataset nothing is checked (and nothing is opened)
    assert crun("compile", 'roi("FBX")').returncode == 0
    embedded = crun("compile", "typo > 1", "--db", str(database), "--to", "ladybug")
    assert embedded.returncode == 2 and "unknown field 'typo'" in embedded.stderr


def test_fields_and_rois_of_a_server(neuprint: tuple[Any, Path]) -> None:
    from .neuprint_server import DEFAULT_NEURON_PROPERTIES

    server, token = neuprint
    fields = crun("fields", *server_args(server, token), "--format", "csv")
    assert fields.returncode == 0, fields.stderr
    rows = [line.split(",") for line in fields.stdout.splitlines()]
    assert rows[0] == ["record", "field", "type"]
    assert {r[1] for r in rows[1:]} == set(DEFAULT_NEURON_PROPERTIES)
    kinds = {r[1]: r[2] for r in rows[1:]}
    assert kinds["bodyId"] == "int" and kinds["type"] == "str"
    assert kinds["somaLocation"] == "point" and kinds["cropped"] == "bool"
    assert "does not list the fields of: connection" in fields.stderr
    rois = crun("rois", *server_args(server, token))
    assert rois.returncode == 0, rois.stderr
    assert rois.stdout.splitlines() == [
        "hemibrain",
        " +-- MB(R)*",
        " +-- FB*",
        "not in the hierarchy:",
        " +-- CA(R)",
    ]
    assert rois.stderr.strip() == "hemibrain: 3 ROIs, 2 primary"
    primary = crun("rois", *server_args(server, token), "--primary")
    assert primary.stdout.splitlines() == ["FB", "MB(R)"]


def test_fields_and_rois_of_an_embedded_database(database: Path) -> None:
    from neuprint_dsl.transports import Embedded

    with Embedded(database) as db:
        schema, meta = db.schema, db.meta
    fields = crun("fields", "--db", str(database), "--format", "csv")
    assert fields.returncode == 0, fields.stderr
    rows = [line.split(",") for line in fields.stdout.splitlines()[1:]]
    neuron = {r[1]: r[2] for r in rows if r[0] == "neuron"}
    assert neuron == dict(schema.node_properties or {})
    assert {r[1] for r in rows if r[0] == "connection"} == set(schema.edge_properties or {})
    assert {r[0] for r in rows} == {"neuron", "connection", "synapse", "mitochondrion"}
    table = crun("fields", "--db", str(database))
    assert table.stdout.splitlines()[0].split() == ["record", "field", "type"]
    flat = crun("rois", "--db", str(database), "--flat")
    assert flat.stdout.splitlines() == sorted(meta["rois"])
    primary = crun("rois", "--db", str(database), "--primary")
    assert primary.stdout.splitlines() == sorted(meta["primaryRois"])
    tree = crun("rois", "--db", str(database)).stdout.splitlines()
    assert tree[0] == "hemibrain"
    marked = {line.split("+-- ")[1][:-1] for line in tree if line.endswith("*")}
    assert marked == set(meta["primaryRois"])
    assert " |   +-- CA(R)*" in tree  # CA(R) under MB(R)


def invoke(*args: str) -> Any:
    """Run the CLI in this process (click's runner): for --help and quick commands."""
    from click.testing import CliRunner

    from neuprint_dsl.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    "name", ["compile", "format", "query", "fields", "rois", "sample", "load", "info"]
)
def test_every_help_shows_examples_and_the_reference(name: str) -> None:
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    text = result.output
    examples = text.split("Examples:")[1].split("\n\n")[0].splitlines()
    commands = [line.strip() for line in examples if line.strip()]
    assert 2 <= len(commands) <= 3
    assert all(c.startswith(f"neuprint-dsl {name}") for c in commands), commands
    assert "docs/language.md" in " ".join(text.split())


def test_help_examples_run(database: Path) -> None:
    """The examples of --help are real commands (those that need no server or file)."""
    for name in ("query", "compile", "format", "fields", "rois"):
        text = invoke(name, "--help").output
        lines = text.split("Examples:")[1].split("\n\n")[0].splitlines()
        for line in filter(str.strip, lines):
            args = shlex.split(line.strip())[1:]
            if "--server" in args or "-o" in args or "--db" in args:
                continue
            extra = ["--db", str(database)] if name in ("query", "fields", "rois") else []
            result = invoke(*args, *extra)
            assert result.exit_code == 0, (line, result.output)
            assert result.output.strip()


# -- issue 14: the CLI never fails quietly ------------------------------------------------------


def run_limited(
    args: list[str], stdout: Path | str, limit: int = 20_000, real: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a file-size limit (RLIMIT_FSIZE) of ``limit`` bytes, standard output
    to the file ``stdout``; in a forked process, or the console script itself (``real``)."""
    resource = pytest.importorskip("resource")
    if not real:
        return run_env({}, *args, stdout=stdout, fsize_limit=limit)

    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with open(stdout, "w") as handle:
        return subprocess.run(
            [*console_script(), *args],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment({}),
            timeout=300,
            preexec_fn=set_limit,
        )


@pytest.mark.parametrize("output_format", ["csv", "json", "table"])
def test_a_file_size_limit_is_an_error(database: Path, tmp_path: Path, output_format: str) -> None:
    query = ["query", "connections where weight >= 1", "--db", str(database)]
    args = [*query, "--format", output_format]
    out = tmp_path / "out.txt"
    # csv: the console script itself; json and table: a forked process (the same answer)
    result = run_limited(args, out, real=output_format == "csv")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: cannot write standard output: File too large"
    assert out.stat().st_size == 20_000
    # -o: the error, and no truncated file (an existing file is left as it was)
    target = tmp_path / "o.csv"
    target.write_text("before\n")
    result = run_limited([*args, "-o", str(target)], os.devnull)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: cannot write {target}: File too large"
    assert target.read_text() == "before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv", "out.txt"]
    # the same command within the limit works
    fine = run_limited([*args, "-o", str(target)], os.devnull, limit=100_000_000)
    assert fine.returncode == 0, fine.stderr
    assert len(target.read_text()) > 20_000


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_is_an_error(database: Path) -> None:
    csv = ["query", 'type = "APL"', "--db", str(database), "--format", "csv"]
    with open("/dev/full", "w") as full:  # the console script itself, once
        real = subprocess.run(
            [*console_script(), *csv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment({}),
            timeout=300,
        )
    forked = run_env({}, *csv, stdout="/dev/full")
    assert (real.returncode, real.stderr) == (forked.returncode, forked.stderr)
    for args in (
        csv,
        ["query", 'type = "APL"', "--db", str(database)],
        ["format", "pre > 1"],
        ["compile", "pre > 1"],
        ["info", "--db", str(database)],
        ["rois", "--db", str(database)],
    ):
        result = run_env({}, *args, stdout="/dev/full")
        assert result.returncode == 1, args
        assert result.stderr.strip().endswith(
            "error: cannot write standard output: No space left on device"
        ), (args, result.stderr)
    direct = run("query", 'type = "APL"', "--db", str(database), "-o", "/dev/full")
    assert direct.returncode == 1
    assert direct.stderr.strip() == "error: cannot write /dev/full: No space left on device"


def test_a_closed_pipe_stops_quietly(database: Path) -> None:
    process = subprocess.Popen(  # the console script itself
        [*console_script(), "query", "connections where weight >= 1", "--db", str(database)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment({}),
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"bodyId_pre")
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141
    assert "Traceback" not in stderr and "error" not in stderr


def test_bad_arguments_are_one_line(database: Path, tmp_path: Path) -> None:
    huge = run("query", "pre > 1", "--db", str(database), "--limit", "99999999999999999999")
    assert huge.returncode == 2
    assert huge.stderr.count("\n") == 1 and huge.stderr.startswith("error: ")
    assert "--limit" in huge.stderr and "9223372036854775807" in huge.stderr
    nodir = run("query", "pre > 1", "--db", str(database), "-o", "nodir/x.csv")
    assert nodir.returncode == 1
    assert nodir.stderr == "error: cannot write nodir/x.csv: the directory 'nodir' does not exist\n"
    proc = run("query", "pre > 1", "--db", str(database), "-o", "/proc/x.csv")
    assert proc.returncode == 1 and proc.stderr.startswith("error: cannot write /proc/x.csv: ")
    assert proc.stderr.count("\n") == 1
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        denied = run("query", "pre > 1", "--db", str(database), "-o", str(locked / "x.csv"))
        assert denied.returncode == 1 and "Permission denied" in denied.stderr
    folder = run("query", "pre > 1", "--db", str(database), "-o", str(tmp_path))
    assert folder.returncode == 2 and folder.stderr.count("\n") == 1
    for result in (huge, nodir, proc, folder):
        assert "Traceback" not in result.stderr


def test_networkx_is_tested() -> None:
    """networkx is in the test extra, so the networkx paths are never skipped in CI."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.startswith("networkx") for d in extras["test"])
    import networkx  # noqa: F401  (installed by the test extra)


# -- issue 14: bodyid / bodyId --------------------------------------------------------------------


def test_bodyid_column_switch(database: Path, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from neuprint_dsl.transports import LocalNeuronJson

    records = [{"bodyid": 30, "type": "MBON01"}, {"bodyid": 4, "type": "APL"}]
    path = tmp_path / "all.json"
    path.write_text(json.dumps(records))
    dvid = invoke("query", "type =~ '.*'", "--neuronjson", str(path), "--format", "csv",
               "--bodyid-column", "bodyId")  # fmt: skip
    assert dvid.exit_code == 0, dvid.output
    assert dvid.stdout.splitlines() == ["bodyId,type", "4,APL", "30,MBON01"]
    native = invoke("query", "type =~ '.*'", "--neuronjson", str(path), "--format", "csv")
    assert native.stdout.splitlines()[0] == "bodyid,type"
    embedded = invoke("query", 'neurons where type = "APL" return bodyId, type', "--db", str(database),
                   "--format", "csv", "--bodyid-column", "bodyid")  # fmt: skip
    assert embedded.stdout.splitlines()[0] == "bodyid,type"
    # the library: one keyword, and the frames join on bodyId without renaming
    store = LocalNeuronJson(records)
    annotations = store.run("type =~ '.*'", bodyid_column="bodyId")
    assert annotations.columns.tolist() == ["bodyId", "type"]
    assert str(annotations["bodyId"].dtype) == "int64"
    neuprint_like = pd.DataFrame({"bodyId": [4, 30], "pre": [10, 20]})
    joined = annotations.merge(neuprint_like, on="bodyId")
    assert joined.to_dict("records") == [
        {"bodyId": 4, "type": "APL", "pre": 10},
        {"bodyId": 30, "type": "MBON01", "pre": 20},
    ]
    assert store.run("type = 'APL'").columns.tolist() == ["bodyid", "type"]
    from neuprint_dsl.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="already have a field"):
        store.run("type = 'APL'", bodyid_column="type")


# -- the default sample, built by the first command that needs it -------------------------------


@pytest.mark.early(FIRST_USE)
def test_main_job_builds_the_sample_on_first_use() -> None:
    cache, first = FIRST_USE.result()
    assert first.returncode == 0, first.stderr
    assert "MBON" in first.stdout and "bodyId" in first.stdout
    again = run("query", FIRST_QUERY, cache=cache)
    assert again.stdout == first.stdout
    built = [p for p in cache.iterdir() if p.name != "parser"]  # the saved tables
    assert len(built) == 2  # the sample export and its database
