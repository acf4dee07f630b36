"""The ``query`` command: run a statement on the embedded engine, a neuPrint server, a DVID
server or a local neuronjson file, and write the result (a table, csv, json lines or
parquet; optionally a connectivity-matrix picture).

Example:
    >>> from neuprint_dsl.execute import as_statement
    >>> print(with_limit(as_statement("neurons where pre > 10 limit 50"), 3))
    neurons where pre > 10 limit 3
"""

from __future__ import annotations

from typing import Any

import attrs
import click

from ..errors import NeuprintDSLError
from .exits import fail, fail_for, parse_or_exit
from .options import epilog, format_option
from .output import open_output, write_failed, write_frame
from .sources import read_token_file, run_neuronjson, source, source_options

__all__ = ["MAX_LIMIT", "query_command", "with_limit"]

#: The largest ``--limit`` (a 64-bit count).
MAX_LIMIT = 2**63 - 1


def with_limit(statement: Any, limit: int | None) -> Any:
    """``statement`` returning at most ``limit`` rows, computed where the data is.

    Example:
        >>> from neuprint_dsl.execute import as_statement
        >>> print(with_limit(as_statement("neurons where pre > 10"), 3))
        neurons where pre > 10 limit 3
    """
    if limit is None:
        return statement
    limited = getattr(statement, "with_limit", None)
    if limited is not None:
        return limited(limit)
    if "limit" in attrs.fields_dict(type(statement)):  # pragma: no cover - older statements
        current = statement.limit
        return attrs.evolve(statement, limit=limit if current is None else min(limit, current))
    return statement  # pragma: no cover - trimmed after the run


@click.command(
    "query",
    epilog=epilog(
        'neuprint-dsl query \'neurons where inputs("SMP(R)") >= 20 and status = "Traced" '
        "order by post desc limit 5'",
        "neuprint-dsl query 'connections from type = \"APL\" where weight >= 20' "
        "--format csv -o apl.csv",
        "neuprint-dsl query --server https://neuprint.janelia.org --dataset hemibrain:v1.2.1 "
        "--token-file ~/.neuprint-token 'type =~ \"MBON.*\"'",
    ),
)
@click.argument("query")
@source_options
@format_option(
    ["table", "csv", "json", "parquet"],
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
    from ..execute import as_statement

    sources = [s for s in (db, server, dvid_server, neuronjson_file) if s is not None]
    if len(sources) > 1:
        fail("give one of --db, --server, --dvid and --neuronjson")
    from_command_line = ctx.get_parameter_source("token") == click.core.ParameterSource.COMMANDLINE
    if token is not None and dvid_server is None and from_command_line:
        fail(
            "--token is for --dvid; a neuPrint token is read from --token-file or "
            "$NEUPRINT_APPLICATION_CREDENTIALS, never from the command line"
        )
    if output_format == "parquet" and output is None:
        fail("--format parquet needs --output FILE")
    try:
        statement = with_limit(as_statement(parse_or_exit(query)), limit)
    except NeuprintDSLError as err:
        fail_for(err)
    with open_output(output) as sink:  # a bad --output fails before the query runs
        if dvid_server is not None or neuronjson_file is not None:
            if dvid_server is not None and from_command_line:
                click.echo(
                    "warning: a token on the command line lands in the shell history; "
                    "use --token-file or $DVID_TOKEN",
                    err=True,
                )
            if token_file is not None:
                token = read_token_file(token_file)
            frame = run_neuronjson(
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
            with source(db, server, dataset, token_file, timeout) as transport:
                try:
                    frame = transport.run(statement)
                except NeuprintDSLError as err:
                    fail_for(err)
            if bodyid_column is not None and "bodyId" in frame.columns:
                frame = frame.rename(columns={"bodyId": bodyid_column})
        if limit is not None:
            frame = frame.head(limit)
        if plot_path is not None:
            _plot(frame, plot_path, query)
        write_frame(frame, output_format, sink, explicit_limit=limit is not None, width=width)


def _plot(frame: Any, path: str, title: str) -> None:
    """--plot: draw ``frame``'s connectivity matrix into ``path`` (docs/plot.md)."""
    from ..plot import save_connectivity_matrix

    try:
        save_connectivity_matrix(frame, path, title=title)
    except NeuprintDSLError as err:
        fail(f"--plot: {err}")
    except OSError as err:
        write_failed(path, err)
    click.echo(f"wrote the connectivity matrix to {path}", err=True)
