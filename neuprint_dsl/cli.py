"""The ``neuprint-dsl`` command line.

Errors print one clear message (with a caret for query text) and exit non-zero — 2 for bad
input, 1 when a database, server or output file fails — never a traceback. Every byte of
output is checked: a write that fails (a full disk, a file-size limit, ``/dev/full``) is an
error, and ``-o FILE`` is written to a temporary file that replaces FILE only when complete.

Example:
    $ neuprint-dsl compile 'type =~ "MBON.*" and roi("MB(R)")' --to neo4j
    $ neuprint-dsl format 'TYPE =~ "MBON.*" AND NOT cropped'
    $ neuprint-dsl query 'neurons where type =~ "MBON.*" and roi("MB(R)")'
    $ neuprint-dsl query --server neuprint.janelia.org --dataset hemibrain:v1.2.1 'type = "APL"'
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click

from . import __version__
from .cypher import to_cypher
from .errors import NeuprintDSLError, QuerySyntaxError, TransportError
from .query import Neurons
from .text import parse, to_text

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
#: The exit status after the reader of stdout went away (``| head``): 128 + SIGPIPE.
EXIT_BROKEN_PIPE = 141
#: The largest ``--limit`` (a 64-bit count).
MAX_LIMIT = 2**63 - 1
#: Rows written per chunk for csv and json (bounds memory on large results).
_CHUNK_ROWS = 50_000
LANGUAGE_DOC = "docs/language.md"


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _fail_for(err: NeuprintDSLError) -> NoReturn:
    """Exit for a library error: 1 when a server, database or file failed, 2 for bad input."""
    _fail(str(err), EXIT_FAILURE if isinstance(err, TransportError) else EXIT_BAD_INPUT)


def _parse_or_exit(query: str, context: str = "neuron") -> Any:
    try:
        return parse(query, context=context)  # type: ignore[arg-type]
    except QuerySyntaxError as err:
        _fail(str(err))


def _epilog(*examples: str, doc: str | None = None) -> str:
    """A --help epilog: examples (kept as written) and where the references are."""
    lines = "\n".join(f"  {line}" for line in examples)
    more = f" More: {doc}." if doc else ""
    return (
        f"\b\nExamples:\n{lines}\n\n\b\nThe query language: {LANGUAGE_DOC}; "
        f"the command line: docs/cli.md.{more}"
    )


# -- output: every write checked -----------------------------------------------------------


class Sink:
    """Where a command's output goes: standard output, or the file ``path``.

    Every write is checked (a short write is continued, a failed one raises ``OSError``);
    a regular file is written to a temporary file next to it that replaces it only on
    :meth:`commit`, so a failed write never leaves a truncated file behind. Devices and
    pipes given as ``path`` (``/dev/full``, a fifo) are written directly.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     with Sink(os.path.join(tmp, "a.csv")) as sink:
        ...         sink.write("x\\n1\\n")
        ...     print(open(os.path.join(tmp, "a.csv")).read(), end="")
        x
        1
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.where = "standard output" if path is None else path
        self._temp: str | None = None
        self._stream: Any = None
        if path is None:
            sys.stdout.flush()
            try:
                self._fd = sys.stdout.fileno()
            except (AttributeError, OSError, ValueError):  # a captured stdout (CliRunner)
                self._fd = -1
                self._stream = getattr(sys.stdout, "buffer", sys.stdout)
            self._own = False
            return
        target = Path(path)
        try:
            info = target.stat()
        except FileNotFoundError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if info is not None and (not stat.S_ISREG(info.st_mode) or path.startswith("/dev/")):
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            self._own = True
            return
        parent = target.parent
        if not parent.is_dir():
            raise FileNotFoundError(
                errno.ENOENT, f"the directory {str(parent)!r} does not exist", path
            )
        fd, self._temp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".part")
        mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
        os.fchmod(fd, mode)
        self._fd = fd
        self._own = True

    def write(self, data: str | bytes) -> None:
        """Write all of ``data`` (text is UTF-8), or raise ``OSError``."""
        if self._stream is not None:
            if isinstance(data, str) and self._stream is sys.stdout:
                self._stream.write(data)
            else:
                self._stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            self._stream.flush()
            return
        view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
        while view:
            written = os.write(self._fd, view)
            if written <= 0:  # pragma: no cover - os.write raises instead
                raise OSError(errno.EIO, "nothing was written", self.where)
            view = view[written:]

    def write_lines(self, lines: Iterable[str], batch: int = 2000) -> None:
        """Write lines, each followed by a newline, a batch at a time."""
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if len(pending) >= batch:
                self.write("\n".join(pending) + "\n")
                pending.clear()
        if pending:
            self.write("\n".join(pending) + "\n")

    def commit(self) -> None:
        """Finish: close the file and move it into place."""
        if not self._own:
            return
        self._own = False
        if self._temp is not None:
            os.fsync(self._fd)
        os.close(self._fd)
        if self._temp is not None and self.path is not None:
            os.replace(self._temp, self.path)
            self._temp = None

    def abort(self) -> None:
        """Give up: close, and remove the temporary file (the target is left as it was)."""
        if self._own:
            self._own = False
            with contextlib.suppress(OSError):
                os.close(self._fd)
        if self._temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temp)
            self._temp = None

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_failed(where: str, err: OSError) -> NoReturn:
    if where == "standard output" and err.errno == errno.EPIPE:
        # the reader went away (`| head`): stop quietly, as other command-line tools do
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    reason = err.strerror or str(err)
    _fail(f"cannot write {where}: {reason}", EXIT_FAILURE)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[Sink]:
    """A :class:`Sink` whose failures end the command with one line and exit status 1."""
    try:
        sink = Sink(path)
    except OSError as err:
        _write_failed(path or "standard output", err)
    try:
        yield sink
    except OSError as err:
        sink.abort()
        _write_failed(sink.where, err)
    except BaseException:
        sink.abort()
        raise
    try:
        sink.commit()
    except OSError as err:
        sink.abort()
        _write_failed(sink.where, err)


def _say(text: str = "") -> None:
    """Print a line on stdout, checked."""
    with _output(None) as out:
        out.write(text + "\n")


# -- where the data is ---------------------------------------------------------------------


def _stage_progress(bar: Any, task: Any) -> Callable[[str, int, int], None]:
    def progress(stage: str, done: int, total: int) -> None:
        bar.update(task, description=stage, completed=done, total=total)

    return progress


def _open_database(db: str | None) -> Any:
    from rich.progress import Progress

    from .embedded import default_database
    from .transports.embedded import Embedded

    try:
        if db is not None:
            return Embedded(db)
        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("preparing the sample database", total=None)
            path = default_database(_stage_progress(bar, task))
        return Embedded(path)
    except NeuprintDSLError as err:
        _fail(str(err), EXIT_FAILURE)


def _read_token_file(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"cannot read the token file {path}: {getattr(err, 'strerror', None) or err}")
    if not text:
        _fail(f"the token file {path} is empty")
    return text


def _open_server(server: str, dataset: str | None, token_file: str | None, timeout: float) -> Any:
    from .transports.neuprint_http import NeuprintHTTP

    if not dataset:
        _fail("--server needs --dataset (e.g. --dataset hemibrain:v1.2.1)")
    try:
        return NeuprintHTTP(server, dataset, token=_read_token_file(token_file), timeout=timeout)
    except NeuprintDSLError as err:
        _fail_for(err)


@contextlib.contextmanager
def _source(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
) -> Iterator[Any]:
    """The embedded database (``--db``, default the sample) or a neuPrint server."""
    if server is not None and db is not None:
        _fail("give --db (an embedded database) or --server (a neuPrint server), not both")
    if server is None and dataset is not None:
        _fail("--dataset goes with --server (an embedded database holds one dataset)")
    if server is None and token_file is not None:
        _fail("--token-file goes with --server (or --dvid); an embedded database needs none")
    transport = (
        _open_server(server, dataset, token_file, timeout)
        if server is not None
        else _open_database(db)
    )
    with transport:
        yield transport


def _source_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--db, --server, --dataset, --token-file, --timeout."""
    options = [
        click.option(
            "--db",
            type=click.Path(dir_okay=False),
            help="Embedded database file (default: the synthetic sample).",
        ),
        click.option(
            "--server",
            metavar="URL",
            help="A neuPrint server (https://..., or http:// on localhost) instead.",
        ),
        click.option(
            "--dataset", metavar="NAME", help="The server's dataset, e.g. hemibrain:v1.2.1."
        ),
        click.option(
            "--token-file",
            type=click.Path(dir_okay=False),
            help="File holding the token (the bare token, or neuPrint's JSON); default: "
            "$NEUPRINT_APPLICATION_CREDENTIALS. Never on the command line.",
        ),
        click.option(
            "--timeout", type=float, default=60.0, show_default=True, help="HTTP timeout, s."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_epilog(
        'neuprint-dsl query \'neurons where type =~ "MBON.*" and roi("MB(R)")\'',
        "neuprint-dsl query --server neuprint.janelia.org --dataset hemibrain:v1.2.1 "
        "'type = \"APL\"'",
        "neuprint-dsl compile 'connections from type = \"APL\" where weight >= 20' --inline",
    ),
)
@click.version_option(__version__, prog_name="neuprint-dsl")
def cli() -> None:
    """neuprint-dsl: one typed query language for neuPrint, DVID and an embedded engine."""


@cli.command(
    "compile",
    epilog=_epilog(
        'neuprint-dsl compile \'type =~ "MBON.*" and roi("MB(R)")\' --inline',
        "neuprint-dsl compile 'neurons where pre > 10 limit 3' --to ladybug",
        "neuprint-dsl compile 'type = \"APL\"' --server https://neuprint.janelia.org "
        "--dataset hemibrain:v1.2.1",
    ),
)
@click.argument("query")
@click.option(
    "--to",
    "dialect",
    type=click.Choice(["neo4j", "ladybug", "neuronjson"]),
    default="neo4j",
    show_default=True,
    help="Target: Cypher for neuPrint (neo4j) or the embedded engine, or DVID neuronjson.",
)
@click.option(
    "--params/--inline",
    "with_params",
    default=True,
    show_default=True,
    help="Print the text with $parameters and the parameter values, or (--inline) the text "
    "with every value as a literal, as neuPrintHTTP receives it.",
)
@_source_options
def compile_command(
    query: str,
    dialect: str,
    with_params: bool,
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
) -> None:
    """Compile QUERY (a statement or a neuron predicate) to Cypher or a neuronjson plan.

    With --db or --server/--dataset the field and ROI names are first checked against that
    dataset (unknown names are refused with close matches); without, nothing is opened.
    """
    ast = _parse_or_exit(query)
    if dialect == "neuronjson":
        if db is not None or server is not None:
            _fail("--db and --server check names for Cypher; DVID neuronjson has no schema")
        from .execute import as_statement
        from .neuronjson import to_neuronjson

        try:
            statement = as_statement(ast)
            if not isinstance(statement, Neurons):
                _fail("DVID neuronjson holds annotations only; use --to neo4j or ladybug")
            _say(to_neuronjson(statement.where).explain())
        except (NeuprintDSLError, ValueError, TypeError) as err:
            _fail(str(err))
        return
    schema = None
    if db is not None or server is not None:
        with _source(db, server, dataset, token_file, timeout) as transport:
            try:
                schema = transport.schema
            except NeuprintDSLError as err:
                _fail_for(err)
    try:
        stmt = to_cypher(ast, dialect, schema=schema)
    except (NeuprintDSLError, ValueError, TypeError) as err:
        _fail(str(err))
    if with_params:
        text = stmt.text
        if stmt.params:
            text += "\n// parameters: " + json.dumps(dict(stmt.params), ensure_ascii=False)
        _say(text)
    else:
        _say(stmt.inline())


@cli.command(
    "format",
    epilog=_epilog(
        "neuprint-dsl format 'TYPE =~ \"MBON.*\" AND NOT cropped'",
        "neuprint-dsl format 'weight >= 5' --edge",
        "neuprint-dsl format 'confidence > 0.9 and roi(\"EB\")' --context synapse",
    ),
)
@click.argument("query")
@click.option(
    "--edge", is_flag=True, help="Read a bare predicate as a connection predicate (weight ...)."
)
@click.option(
    "--context",
    type=click.Choice(["neuron", "edge", "synapse", "mitochondrion"]),
    default=None,
    help="The kind of record a bare predicate is about (default: neuron).",
)
def format_command(query: str, edge: bool, context: str | None) -> None:
    """Check QUERY and print its canonical text."""
    if edge and context not in (None, "edge"):
        _fail("--edge and --context disagree; give one of them")
    _say(to_text(_parse_or_exit(query, context or ("edge" if edge else "neuron"))))


@cli.command(
    "sample",
    epilog=_epilog(
        "neuprint-dsl sample --out sample/",
        "neuprint-dsl sample --neurons 25000 --edges 3000000 --no-synapses --out big/",
        doc="docs/sample.md",
    ),
)
@click.option("--neurons", type=int, default=3000, show_default=True, help="Number of neurons.")
@click.option(
    "--edges", type=int, default=150_000, show_default=True, help="Number of connections."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, writable=True),
    required=True,
    help="Directory to write the export CSVs into.",
)
@click.option(
    "--naming",
    type=click.Choice(["adjacencies", "traced"]),
    default="adjacencies",
    show_default=True,
    help="File names: neuprint-python's export_dir names, or the hemibrain 'traced-*' names.",
)
@click.option(
    "--synapses/--no-synapses",
    default=None,
    help="Also write synapses, synapse pairs and mitochondria (about 6 synapses per "
    "connection). Default: only for at most 200,000 connections.",
)
def sample_command(
    neurons: int, edges: int, seed: int, out_dir: str, naming: str, synapses: bool | None
) -> None:
    """Write a synthetic, hemibrain-shaped connectome in neuPrint's export format.

    \b
    Sizes (2-core machine):
      3,000 / 150,000 (default)  with 0.9 M synapses: 93 MB of CSV
      25,000 / 3,000,000         no synapses: 220 MB of CSV, loads in about a minute
      25,000 / 3,000,000 --synapses  18.8 M synapses: 4.3 GB database, 15 minutes or more to load
    """
    from rich.progress import Progress

    from .embedded.sample import generate_sample

    try:
        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("generating", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            info = generate_sample(
                out_dir,
                neurons=neurons,
                edges=edges,
                seed=seed,
                naming=naming,  # type: ignore[arg-type]
                progress=progress,
                synapses=synapses,
            )
    except (ValueError, OSError) as err:
        _fail(str(err))
    extra = f", {info.synapses} synapses" if info.synapses_csv is not None else ""
    _say(
        f"wrote a synthetic sample ({neurons} neurons, {edges} connections{extra}, seed {seed}) "
        f"to {info.directory}"
    )


def _with_limit(statement: Any, limit: int | None) -> Any:
    """``statement`` returning at most ``limit`` rows, computed where the data is."""
    if limit is None:
        return statement
    with_limit = getattr(statement, "with_limit", None)
    if with_limit is not None:
        return with_limit(limit)
    if "limit" in attrs.fields_dict(type(statement)):  # pragma: no cover - older statements
        current = statement.limit
        return attrs.evolve(statement, limit=limit if current is None else min(limit, current))
    return statement  # pragma: no cover - trimmed after the run


@cli.command(
    "query",
    epilog=_epilog(
        'neuprint-dsl query \'neurons where inputs("SMP(R)") >= 20 and status = "Traced" '
        "order by post desc limit 5'",
        "neuprint-dsl query 'connections from type = \"APL\" where weight >= 20' "
        "--format csv -o apl.csv",
        "neuprint-dsl query --server https://neuprint.janelia.org --dataset hemibrain:v1.2.1 "
        "--token-file ~/.neuprint-token 'type =~ \"MBON.*\"'",
    ),
)
@click.argument("query")
@_source_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
    help="table: for people (in a terminal: fitted to its width, a screenful of rows); "
    "csv, json (one object per line), parquet: every row, for programs.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option(
    "--limit",
    type=click.IntRange(0, MAX_LIMIT),
    help="At most this many rows (the engine or server stops early); in a terminal, show them all.",
)
@click.option(
    "--width",
    type=click.IntRange(min=0),
    help="Fit the table to this many columns (0: never). Default: the terminal's width; "
    "no fitting in a pipe or a file.",
)
@click.option("--dvid", "dvid_server", metavar="URL", help="Query a DVID server's neuronjson.")
@click.option("--uuid", help="DVID version: a UUID prefix, 'uuid:branch' or ':branch'.")
@click.option("--instance", help="DVID neuronjson instance, e.g. segmentation_annotations.")
@click.option(
    "--token",
    envvar="DVID_TOKEN",
    help="DVID bearer token, best from $DVID_TOKEN or --token-file (a token typed here lands "
    "in the shell history).",
)
@click.option(
    "--neuronjson",
    "neuronjson_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Query a local JSON file of neuronjson annotations (e.g. DVID's /all) instead.",
)
@click.option(
    "--bodyid-column",
    type=click.Choice(["bodyId", "bodyid"]),
    help="Name the body-id column bodyId (neuPrint's name) or bodyid (DVID's), whatever "
    "the source, so results join without renaming.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also draw the result (a connection table) as a connectivity matrix into FILE "
    "(.png, .svg, .pdf); needs the [plot] extra. See docs/plot.md.",
)
@click.pass_context
def query_command(
    ctx: click.Context,
    query: str,
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
    output_format: str,
    output: str | None,
    limit: int | None,
    width: int | None,
    dvid_server: str | None,
    uuid: str | None,
    instance: str | None,
    token: str | None,
    neuronjson_file: str | None,
    bodyid_column: str | None,
    plot_path: str | None,
) -> None:
    """Run QUERY (a statement or a neuron predicate) on the embedded engine (default: the
    synthetic sample), a neuPrint server (--server), a DVID server (--dvid) or a local
    neuronjson file (--neuronjson)."""
    from .execute import as_statement

    sources = [s for s in (db, server, dvid_server, neuronjson_file) if s is not None]
    if len(sources) > 1:
        _fail("give one of --db, --server, --dvid and --neuronjson")
    from_command_line = ctx.get_parameter_source("token") == click.core.ParameterSource.COMMANDLINE
    if token is not None and dvid_server is None and from_command_line:
        _fail(
            "--token is for --dvid; a neuPrint token is read from --token-file or "
            "$NEUPRINT_APPLICATION_CREDENTIALS, never from the command line"
        )
    if output_format == "parquet" and output is None:
        _fail("--format parquet needs --output FILE")
    try:
        statement = _with_limit(as_statement(_parse_or_exit(query)), limit)
    except NeuprintDSLError as err:
        _fail_for(err)
    with _output(output) as sink:  # a bad --output fails before the query runs
        if dvid_server is not None or neuronjson_file is not None:
            if dvid_server is not None and from_command_line:
                click.echo(
                    "warning: a token on the command line lands in the shell history; "
                    "use --token-file or $DVID_TOKEN",
                    err=True,
                )
            if token_file is not None:
                token = _read_token_file(token_file)
            frame = _run_neuronjson(
                statement,
                dvid_server,
                uuid,
                instance,
                token,
                neuronjson_file,
                timeout,
                bodyid_column or "bodyid",
            )
        else:
            with _source(db, server, dataset, token_file, timeout) as transport:
                try:
                    frame = transport.run(statement)
                except NeuprintDSLError as err:
                    _fail_for(err)
            if bodyid_column is not None and "bodyId" in frame.columns:
                frame = frame.rename(columns={"bodyId": bodyid_column})
        if limit is not None:
            frame = frame.head(limit)
        if plot_path is not None:
            _plot(frame, plot_path, query)
        _write_frame(frame, output_format, sink, explicit_limit=limit is not None, width=width)


def _plot(frame: Any, path: str, title: str) -> None:
    """--plot: draw ``frame``'s connectivity matrix into ``path`` (docs/plot.md)."""
    from .plot import save_connectivity_matrix

    try:
        save_connectivity_matrix(frame, path, title=title)
    except NeuprintDSLError as err:
        _fail(f"--plot: {err}")
    except OSError as err:
        _write_failed(path, err)
    click.echo(f"wrote the connectivity matrix to {path}", err=True)


def _run_neuronjson(
    statement: Any,
    server: str | None,
    uuid: str | None,
    instance: str | None,
    token: str | None,
    path: str | None,
    timeout: float,
    bodyid_column: str,
) -> Any:
    from .transports import DvidHTTP, LocalNeuronJson

    try:
        if path is not None:
            return LocalNeuronJson(path).run(statement, bodyid_column=bodyid_column)
        if not uuid or not instance:
            _fail("--dvid needs --uuid and --instance")
        assert server is not None
        with DvidHTTP(server, uuid, instance, token=token, timeout=timeout) as dvid:
            return dvid.run(statement, bodyid_column=bodyid_column)
    except TransportError as err:
        _fail(str(err), EXIT_FAILURE)
    except (NeuprintDSLError, ValueError) as err:
        _fail(str(err))


def _write_frame(
    frame: Any,
    output_format: str,
    sink: Sink,
    *,
    explicit_limit: bool = False,
    width: int | None = None,
    count: bool = True,
) -> None:
    """Write ``frame`` to ``sink`` in ``output_format``; tables tell the row count on
    stderr."""
    if output_format == "parquet":
        buffer = io.BytesIO()
        try:
            frame.to_parquet(buffer, index=False)
        except ImportError:
            _fail("parquet output needs pyarrow: pip install pyarrow")
        sink.write(buffer.getvalue())
        return
    if output_format == "csv":
        for start in range(0, max(len(frame), 1), _CHUNK_ROWS):
            part = frame.iloc[start : start + _CHUNK_ROWS]
            sink.write(part.to_csv(index=False, header=start == 0))
        return
    if output_format == "json":
        for start in range(0, len(frame), _CHUNK_ROWS):
            part = frame.iloc[start : start + _CHUNK_ROWS]
            text = part.to_json(orient="records", lines=True, force_ascii=False)
            sink.write(text if text.endswith("\n") else text + "\n")
        return
    _write_table(frame, sink, explicit_limit=explicit_limit, width=width)
    if count:
        from .display import rows_phrase

        click.echo(rows_phrase(len(frame)), err=True)


def _write_table(frame: Any, sink: Sink, *, explicit_limit: bool, width: int | None) -> None:
    from .display import iter_table_lines, render_table, rows_phrase, terminal_layout

    layout = terminal_layout()
    terminal = sink.path is None and layout.is_terminal
    fit = width if width is not None else (layout.columns if terminal else 0)
    if not terminal and not fit:  # a pipe or a file: every row and column, as they are
        sink.write_lines(iter_table_lines(frame))
        return
    color = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    screenful = max(layout.lines - 5, 3) if terminal and not explicit_limit else None
    table = render_table(frame, width=fit or None, max_lines=screenful, bold_header=color)
    lines = list(table.lines)
    if table.hidden:
        lines.append(
            f"… {rows_phrase(table.hidden).replace('row', 'more row', 1)}; "
            "use --limit / --format csv"
        )
    sink.write_lines(lines)
    for note in table.notes():
        click.echo(f"note: {note}", err=True)


_RECORD_KINDS = (
    ("neuron", "node_properties"),
    ("connection", "edge_properties"),
    ("synapse", "synapse_properties"),
    ("mitochondrion", "mito_properties"),
)


@cli.command(
    "fields",
    epilog=_epilog(
        "neuprint-dsl fields",
        "neuprint-dsl fields --db big.lbug --format csv",
        "neuprint-dsl fields --server https://neuprint.janelia.org --dataset hemibrain:v1.2.1",
    ),
)
@_source_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def fields_command(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
    output_format: str,
) -> None:
    """List the dataset's fields and their types: what a query may name (neurons,
    connections, synapses, mitochondria)."""
    import pandas as pd

    with _source(db, server, dataset, token_file, timeout) as transport:
        try:
            schema = transport.schema
        except NeuprintDSLError as err:
            _fail_for(err)
    rows: list[tuple[str, str, str]] = []
    unknown: list[str] = []
    for record, attribute in _RECORD_KINDS:
        properties = getattr(schema, attribute, None) if schema is not None else None
        if properties is None:
            unknown.append(record)
            continue
        if record == "synapse" and schema.has_synapses is False:
            continue
        if record == "mitochondrion" and schema.has_mitochondria is False:
            continue
        names = sorted(properties, key=lambda n: (n != "bodyId", n.lower(), n))
        rows.extend((record, name, str(properties[name])) for name in names)
    frame = pd.DataFrame(rows, columns=["record", "field", "type"])
    with _output(None) as sink:
        _write_frame(frame, output_format, sink, count=False)
    if unknown:
        click.echo(
            "note: this dataset does not list the fields of: " + ", ".join(unknown), err=True
        )
    click.echo(
        'note: ROIs are fields too: roi("NAME"), inputs("NAME"), outputs("NAME"); '
        "list them with 'neuprint-dsl rois'",
        err=True,
    )


@cli.command(
    "rois",
    epilog=_epilog(
        "neuprint-dsl rois",
        "neuprint-dsl rois --primary",
        "neuprint-dsl rois --server https://neuprint.janelia.org --dataset hemibrain:v1.2.1",
    ),
)
@_source_options
@click.option("--flat", is_flag=True, help="One ROI per line, sorted (no tree).")
@click.option("--primary", is_flag=True, help="Only the primary ROIs, one per line.")
def rois_command(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
    flat: bool,
    primary: bool,
) -> None:
    """Show the dataset's ROIs as a tree (primary ROIs marked *): the names roi("..."),
    inputs("...") and outputs("...") take."""
    from .display import roi_tree_lines
    from .transports.neuprint_http import NeuprintHTTP

    with _source(db, server, dataset, token_file, timeout) as transport:
        try:
            meta = transport.fetch_meta() if isinstance(transport, NeuprintHTTP) else transport.meta
        except NeuprintDSLError as err:
            _fail_for(err)
    hierarchy, names, primaries = _roi_meta(meta)
    if not names:
        _fail("this dataset lists no ROIs", EXIT_FAILURE)
    with _output(None) as sink:
        if primary:
            sink.write_lines(sorted(primaries))
        elif flat:
            sink.write_lines(sorted(names))
        else:
            sink.write_lines(roi_tree_lines(hierarchy, names, primaries))
    name = meta.get("dataset") or dataset or "the dataset"
    click.echo(f"{name}: {len(names)} ROIs, {len(primaries)} primary", err=True)


def _roi_meta(meta: Any) -> tuple[Any, list[str], set[str]]:
    """The ROI hierarchy (or ``None``), every ROI name and the primary ones, from a Meta
    node (neuPrint's, JSON strings parsed) or an embedded database's meta."""

    def loaded(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return None
        return value

    hierarchy = loaded(meta.get("roiHierarchy"))
    if not isinstance(hierarchy, dict) or "name" not in hierarchy:
        hierarchy = None
    names: set[str] = set()
    for key in ("rois", "primaryRois"):
        value = loaded(meta.get(key))
        if isinstance(value, list):
            names.update(str(v) for v in value)
    info = loaded(meta.get("roiInfo"))
    if isinstance(info, dict):
        names.update(str(k) for k in info)
    primary = loaded(meta.get("primaryRois"))
    primaries = {str(v) for v in primary} if isinstance(primary, list) else set()
    if hierarchy is not None:
        stack = list(hierarchy.get("children") or [])
        while stack:
            node = stack.pop()
            if isinstance(node, dict) and "name" in node:
                names.add(str(node["name"]))
                stack.extend(node.get("children") or [])
    return hierarchy, sorted(names), primaries


@cli.command(
    "load",
    epilog=_epilog(
        "neuprint-dsl load big/ --db big.lbug",
        "neuprint-dsl load exports/manc --db manc.lbug --dataset manc:v1.0",
        doc="docs/embedded.md",
    ),
)
@click.argument("export_dir", type=click.Path(file_okay=False))
@click.option(
    "--db", type=click.Path(dir_okay=False), required=True, help="Database file to create."
)
@click.option("--dataset", help="Dataset name to record (default: from meta.json or the folder).")
def load_command(export_dir: str, db: str, dataset: str | None) -> None:
    """Load a neuPrint export directory into an embedded database (all or nothing)."""
    from rich.progress import Progress

    from .embedded import load

    try:
        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("reading", total=None)
            path = load(export_dir, db, dataset=dataset, progress=_stage_progress(bar, task))
    except NeuprintDSLError as err:
        _fail(str(err))
    _say(f"loaded {export_dir} into {path}")


@cli.command(
    "info",
    epilog=_epilog(
        "neuprint-dsl info",
        "neuprint-dsl info --db big.lbug --verify",
        doc="docs/embedded.md",
    ),
)
@click.option(
    "--db", type=click.Path(dir_okay=False), help="Embedded database (default: the sample)."
)
@click.option(
    "--verify",
    is_flag=True,
    help="Also check every byte of the database file against the checksum its load recorded.",
)
def info_command(db: str | None, verify: bool) -> None:
    """Show an embedded database's dataset, counts and ROIs."""
    from .embedded.build import roi_weight_notes, verify_database
    from .transports.embedded import Embedded, count_rows

    database: Embedded
    with _open_database(db) as database:  # opening checks the row counts the load recorded
        meta = database.meta
        counts = count_rows(database)
    if verify:
        problems = verify_database(database.path)
        if problems:
            _fail(f"{database.path}: " + "; ".join(problems), EXIT_FAILURE)
    synthetic = " (synthetic)" if meta.get("synthetic") else ""
    lines = [f"dataset: {meta.get('dataset')}{synthetic}", f"database: {database.path}"]
    lines.extend(f"{name}: {count}" for name, count in counts.items())
    primary = meta.get("primaryRois", [])
    lines.append(f"ROIs: {len(meta.get('rois', []))} ({len(primary)} primary)")
    lines.append("primary ROIs: " + ", ".join(primary))
    if verify:
        lines.append("verified: the file and its row counts are what the load wrote")
    if not meta.get("roiWeights", True):
        lines.append(
            "per-ROI connection weights: absent (the export had no roi-connections.csv); "
            "per-ROI connection queries are refused"
        )
    lines.extend(roi_weight_notes(meta))
    with _output(None) as sink:
        sink.write_lines(lines)


def main() -> None:
    """Console-script entry point: usage errors are one line too (``error: ...``, exit 2)."""
    try:
        code = cli.main(prog_name="neuprint-dsl", standalone_mode=False)
    except click.UsageError as err:
        where = err.ctx.command_path if err.ctx is not None else "neuprint-dsl"
        _fail(f"{err.format_message()} (see '{where} --help')", EXIT_BAD_INPUT)
    except click.ClickException as err:
        _fail(err.format_message(), err.exit_code)
    except click.Abort:
        _fail("aborted", EXIT_FAILURE)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
