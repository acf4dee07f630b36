"""The ``neuprint-dsl`` command line.

Errors print one clear message (with a caret for query text) and exit non-zero — 2 for bad
input — never a traceback.

Example:
    $ neuprint-dsl compile 'type =~ "MBON.*" and roi("MB(R)")' --to neo4j
    $ neuprint-dsl format 'TYPE =~ "MBON.*" AND NOT cropped'
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import __version__
from .cypher import to_cypher
from .errors import NeuprintDSLError, QuerySyntaxError
from .text import parse, to_text

EXIT_BAD_INPUT = 2


def _parse_or_exit(query: str, context: str = "neuron") -> Any:
    try:
        return parse(query, context=context)  # type: ignore[arg-type]
    except QuerySyntaxError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_BAD_INPUT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="neuprint-dsl")
def cli() -> None:
    """neuprint-dsl: one typed query language for neuPrint, DVID and an embedded engine."""


@cli.command("compile")
@click.argument("query")
@click.option(
    "--to",
    "dialect",
    type=click.Choice(["neo4j", "ladybug"]),
    default="neo4j",
    show_default=True,
    help="Target dialect.",
)
@click.option(
    "--params/--inline",
    "with_params",
    default=False,
    show_default=True,
    help="Print $parameters and their values instead of inline literals.",
)
def compile_command(query: str, dialect: str, with_params: bool) -> None:
    """Compile QUERY (a statement or a neuron predicate) to Cypher."""
    ast = _parse_or_exit(query)
    try:
        stmt = to_cypher(ast, dialect)
    except (NeuprintDSLError, ValueError, TypeError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if with_params:
        click.echo(stmt.text)
        click.echo("// parameters: " + json.dumps(dict(stmt.params), ensure_ascii=False))
    else:
        click.echo(stmt.inline())


@cli.command("format")
@click.argument("query")
@click.option(
    "--edge", is_flag=True, help="Read a bare predicate as a connection predicate (weight ...)."
)
def format_command(query: str, edge: bool) -> None:
    """Check QUERY and print its canonical text."""
    click.echo(to_text(_parse_or_exit(query, "edge" if edge else "neuron")))


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
def sample_command(neurons: int, edges: int, seed: int, out_dir: str, naming: str) -> None:
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
            )
    except (ValueError, OSError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(
        f"wrote a synthetic sample ({neurons} neurons, {edges} connections, seed {seed}) "
        f"to {info.directory}"
    )


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="neuprint-dsl")


if __name__ == "__main__":  # pragma: no cover
    main()
