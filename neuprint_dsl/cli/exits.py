"""How a command ends: exit statuses, and one ``error: ...`` line instead of a traceback.

Exit 2 for bad input (a query, an option), 1 when a database, server or file fails, 141 when
the reader of standard output went away (``| head``).

Example:
    >>> EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_BROKEN_PIPE
    (2, 1, 141)
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from ..errors import NeuprintDSLError, QuerySyntaxError, TransportError
from ..text import parse

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILURE",
    "fail",
    "fail_for",
    "parse_or_exit",
]

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
#: The exit status after the reader of stdout went away (``| head``): 128 + SIGPIPE.
EXIT_BROKEN_PIPE = 141


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``error: message`` on standard error and exit with ``code``.

    Example:
        >>> try:
        ...     fail("no such thing", EXIT_FAILURE)
        ... except SystemExit as stop:
        ...     stop.code
        1
    """
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def fail_for(err: NeuprintDSLError) -> NoReturn:
    """Exit for a library error: 1 when a server, database or file failed, 2 for bad input.

    Example:
        >>> from neuprint_dsl.errors import TransportError
        >>> try:
        ...     fail_for(TransportError("the server did not answer"))
        ... except SystemExit as stop:
        ...     stop.code
        1
    """
    fail(str(err), EXIT_FAILURE if isinstance(err, TransportError) else EXIT_BAD_INPUT)


def parse_or_exit(query: str, context: str = "neuron") -> Any:
    """``query`` parsed (a statement, or a bare predicate about a ``context`` record), or an
    exit with the parser's message (a caret under the place).

    Example:
        >>> print(parse_or_exit('type = "APL"'))
        type = "APL"
    """
    try:
        return parse(query, context=context)  # type: ignore[arg-type]
    except QuerySyntaxError as err:
        fail(str(err))
