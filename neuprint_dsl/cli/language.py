"""The commands about query text, which open no data unless asked: ``compile`` (to Cypher for
a backend, or a DVID neuronjson plan) and ``format`` (the canonical text).

Example:
    >>> from click.testing import CliRunner
    >>> print(CliRunner().invoke(format_command, ["type = 'APL' AND NOT cropped"]).output, end="")
    type = "APL" and not cropped
"""

from __future__ import annotations

import json

import click

from ..backends import BACKEND_NAMES, BACKENDS, NEO4J, Language
from ..cypher import to_cypher
from ..errors import NeuprintDSLError
from ..query import Neurons
from ..text import to_text
from .exits import fail, parse_or_exit
from .options import epilog
from .output import say
from .sources import dataset_schema, source_options

__all__ = ["compile_command", "format_command"]


@click.command(
    "compile",
    epilog=epilog(
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
    type=click.Choice(list(BACKEND_NAMES)),
    default=NEO4J,
    show_default=True,
    help="The backend to compile for: "
    + "; ".join(f"{b.name}: {b.description}" for b in BACKENDS.values())
    + ".",
)
@click.option(
    "--params/--inline",
    "with_params",
    default=True,
    show_default=True,
    help="Print the text with $parameters and the parameter values, or (--inline) the text "
    "with every value as a literal, as neuPrintHTTP receives it.",
)
@source_options
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
    ast = parse_or_exit(query)
    if BACKENDS[dialect].language is Language.NEURONJSON:
        if db is not None or server is not None:
            fail("--db and --server check names for Cypher; DVID neuronjson has no schema")
        from ..execute import as_statement
        from ..neuronjson import to_neuronjson

        try:
            statement = as_statement(ast)
            if not isinstance(statement, Neurons):
                fail("DVID neuronjson holds annotations only; use --to neo4j or ladybug")
            say(to_neuronjson(statement.where).explain())
        except (NeuprintDSLError, ValueError, TypeError) as err:
            fail(str(err))
        return
    schema = None
    if db is not None or server is not None:
        schema = dataset_schema(db, server, dataset, token_file, timeout)
    try:
        stmt = to_cypher(ast, dialect, schema=schema)
    except (NeuprintDSLError, ValueError, TypeError) as err:
        fail(str(err))
    if with_params:
        text = stmt.text
        if stmt.params:
            text += "\n// parameters: " + json.dumps(dict(stmt.params), ensure_ascii=False)
        say(text)
    else:
        say(stmt.inline())


@click.command(
    "format",
    epilog=epilog(
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
        fail("--edge and --context disagree; give one of them")
    say(to_text(parse_or_exit(query, context or ("edge" if edge else "neuron"))))
