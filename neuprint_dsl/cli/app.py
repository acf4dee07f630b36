"""The ``neuprint-dsl`` command group: every command in one place, and :func:`main`, the
console script's entry point (usage errors are one ``error: ...`` line too).

Example:
    >>> sorted(cli.commands)
    ['compile', 'fields', 'format', 'info', 'load', 'query', 'rois', 'sample']
"""

from __future__ import annotations

import sys

import click

from .databases import info_command, load_command, sample_command
from .describe import fields_command, rois_command
from .exits import EXIT_BAD_INPUT, EXIT_FAILURE, fail
from .language import compile_command, format_command
from .options import epilog
from .querying import query_command

__all__ = ["cli", "main"]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=epilog(
        'neuprint-dsl query \'neurons where type =~ "MBON.*" and roi("MB(R)")\'',
        "neuprint-dsl query --server neuprint.janelia.org --dataset hemibrain:v1.2.1 "
        "'type = \"APL\"'",
        "neuprint-dsl compile 'connections from type = \"APL\" where weight >= 20' --inline",
    ),
)
@click.version_option(package_name="neuprint-dsl", prog_name="neuprint-dsl")
def cli() -> None:
    """neuprint-dsl: one typed query language for neuPrint, DVID and an embedded engine."""


for _command in (
    compile_command,
    format_command,
    query_command,
    fields_command,
    rois_command,
    sample_command,
    load_command,
    info_command,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point: usage errors are one line too (``error: ...``, exit 2).

    Example:
        >>> import sys
        >>> from unittest import mock
        >>> with mock.patch.object(sys, "argv", ["neuprint-dsl", "format", "type = 'APL'"]):
        ...     try:
        ...         main()
        ...     except SystemExit as stop:
        ...         print("exit", stop.code)
        type = "APL"
        exit 0
    """
    try:
        code = cli.main(prog_name="neuprint-dsl", standalone_mode=False)
    except click.UsageError as err:
        where = err.ctx.command_path if err.ctx is not None else "neuprint-dsl"
        fail(f"{err.format_message()} (see '{where} --help')", EXIT_BAD_INPUT)
    except click.ClickException as err:
        fail(err.format_message(), err.exit_code)
    except click.Abort:
        fail("aborted", EXIT_FAILURE)
    sys.exit(code if isinstance(code, int) else 0)
