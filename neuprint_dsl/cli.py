"""The ``neuprint-dsl`` command line.

Errors print one clear message (with a caret for query text) and exit non-zero — 2 for bad
input — never a traceback.

Example:
    $ neuprint-dsl compile 'type =~ "MBON.*" and roi("MB(R)")' --to neo4j
    $ neuprint-dsl format 'TYPE =~ "MBON.*" AND NOT cropped'
    $ neuprint-dsl query 'neurons where type =~ "MBON.*" and roi("MB(R)")'
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
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


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _parse_or_exit(query: str, context: str = "neuron") -> Any:
    try:
        return parse(query, context=context)  # type: ignore[arg-type]
    except QuerySyntaxError as err:
        _fail(str(err))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="neuprint-dsl")
def cli() -> None:
    """neuprint-dsl: one typed query language for neuPrint, DVID and an embedded engine."""


@cli.command("compile")
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
def compile_command(query: str, dialect: str, with_params: bool) -> None:
    """Compile QUERY (a statement or a neuron predicate) to Cypher or a neuronjson plan."""
    ast = _parse_or_exit(query)
    if dialect == "neuronjson":
        from .execute import as_statement
        from .neuronjson import to_neuronjson

        try:
            statement = as_statement(ast)
            if not isinstance(statement, Neurons):
                _fail("DVID neuronjson holds annotations only; use --to neo4j or ladybug")
            click.echo(to_neuronjson(statement.where).explain())
        except (NeuprintDSLError, ValueError, TypeError) as err:
            _fail(str(err))
        return
    try:
        stmt = to_cypher(ast, dialect)
    except (NeuprintDSLError, ValueError, TypeError) as err:
        _fail(str(err))
    if with_params:
        click.echo(stmt.text)
        if stmt.params:
            click.echo("// parameters: " + json.dumps(dict(stmt.params), ensure_ascii=False))
    else:
        click.echo(stmt.inline())


@cli.command("format")
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
    click.echo(to_text(_parse_or_exit(query, context or ("edge" if edge else "neuron"))))


@cli.command("sample")
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
    default=True,
    show_default=True,
    help="Also write synapses, synapse pairs and mitochondria (consistent with the counts).",
)
def sample_command(
    neurons: int, edges: int, seed: int, out_dir: str, naming: str, synapses: bool
) -> None:
    """Write a synthetic, hemibrain-shaped connectome in neuPrint's export format."""
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
    extra = f", {info.synapses} synapses" if synapses else ""
    click.echo(
        f"wrote a synthetic sample ({neurons} neurons, {edges} connections{extra}, seed {seed}) "
        f"to {info.directory}"
    )


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


@cli.command("query")
@click.argument("query")
@click.option(
    "--db", type=click.Path(dir_okay=False), help="Embedded database (default: the sample)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to a file."
)
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many rows.")
@click.option("--dvid", "dvid_server", help="Query a DVID server's neuronjson instead.")
@click.option("--uuid", help="DVID version: a UUID prefix, 'uuid:branch' or ':branch'.")
@click.option("--instance", help="DVID neuronjson instance, e.g. segmentation_annotations.")
@click.option("--token", envvar="DVID_TOKEN", help="DVID bearer token (or $DVID_TOKEN).")
@click.option(
    "--neuronjson",
    "neuronjson_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Query a local JSON file of neuronjson annotations (e.g. DVID's /all) instead.",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="HTTP timeout, s.")
def query_command(
    query: str,
    db: str | None,
    output_format: str,
    output: str | None,
    limit: int | None,
    dvid_server: str | None,
    uuid: str | None,
    instance: str | None,
    token: str | None,
    neuronjson_file: str | None,
    timeout: float,
) -> None:
    """Run QUERY (a statement or a neuron predicate) on the embedded engine, a DVID server
    (--dvid) or a local neuronjson file (--neuronjson)."""
    from .execute import as_statement

    statement = as_statement(_parse_or_exit(query))
    if isinstance(statement, Neurons) and limit is not None:
        # let the engine stop early; the smaller of the two limits wins
        current = statement.limit
        statement = attrs.evolve(statement, limit=limit if current is None else min(limit, current))
    if dvid_server is not None or neuronjson_file is not None:
        frame = _run_neuronjson(
            statement, dvid_server, uuid, instance, token, neuronjson_file, timeout
        )
    else:
        with _open_database(db) as database:
            try:
                frame = database.run(statement)
            except NeuprintDSLError as err:
                _fail(str(err))
    if limit is not None:
        frame = frame.head(limit)
    _write_frame(frame, output_format, output)


def _run_neuronjson(
    statement: Any,
    server: str | None,
    uuid: str | None,
    instance: str | None,
    token: str | None,
    path: str | None,
    timeout: float,
) -> Any:
    from .transports import DvidHTTP, LocalNeuronJson

    try:
        if path is not None:
            return LocalNeuronJson(path).run(statement)
        if not uuid or not instance:
            _fail("--dvid needs --uuid and --instance")
        assert server is not None
        return DvidHTTP(server, uuid, instance, token=token, timeout=timeout).run(statement)
    except TransportError as err:
        _fail(str(err), EXIT_FAILURE)
    except (NeuprintDSLError, ValueError) as err:
        _fail(str(err))


def _write_frame(frame: Any, output_format: str, output: str | None) -> None:
    if output_format == "parquet":
        if output is None:
            _fail("--format parquet needs --output FILE")
        try:
            frame.to_parquet(output, index=False)
        except ImportError:
            _fail("parquet output needs pyarrow: pip install pyarrow")
        return
    if output_format == "table":
        from rich.console import Console
        from rich.table import Table as RichTable

        cells = [
            ["" if _missing(v) else str(v) for v in row] for row in frame.itertuples(index=False)
        ]
        table = RichTable(show_edge=False, header_style="bold")
        for name in frame.columns:
            table.add_column(str(name), no_wrap=True)
        for row in cells:
            table.add_row(*row)
        # size the table to its content unless a terminal is narrower
        widths = [
            max([len(str(name))] + [len(row[i]) for row in cells]) + 3
            for i, name in enumerate(frame.columns)
        ]
        handle = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115
        try:
            console = Console(file=handle) if handle else Console()
            if handle is not None or not console.is_terminal:
                console.width = max(sum(widths), 20)
            console.print(table)
        finally:
            if handle is not None:
                handle.close()
        click.echo(f"{len(frame)} rows", err=True)
        return
    text = (
        frame.to_csv(index=False)
        if output_format == "csv"
        else frame.to_json(orient="records", lines=True, force_ascii=False)
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)


def _missing(value: Any) -> bool:
    try:
        return bool(value is None or value != value)
    except (TypeError, ValueError):
        return False


@cli.command("load")
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
    click.echo(f"loaded {export_dir} into {path}")


@cli.command("info")
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
    click.echo(f"dataset: {meta.get('dataset')}{synthetic}")
    click.echo(f"database: {database.path}")
    for name, count in counts.items():
        click.echo(f"{name}: {count}")
    primary = meta.get("primaryRois", [])
    click.echo(f"ROIs: {len(meta.get('rois', []))} ({len(primary)} primary)")
    click.echo("primary ROIs: " + ", ".join(primary))
    if verify:
        click.echo("verified: the file and its row counts are what the load wrote")
    if not meta.get("roiWeights", True):
        click.echo(
            "per-ROI connection weights: absent (the export had no roi-connections.csv); "
            "per-ROI connection queries are refused"
        )
    for line in roi_weight_notes(meta):
        click.echo(line)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="neuprint-dsl")


if __name__ == "__main__":  # pragma: no cover
    main()
