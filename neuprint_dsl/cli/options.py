"""What the commands' --help pages and options share: the epilog (examples and where the
references are) and the ``--format`` option.

Example:
    >>> epilog("neuprint-dsl fields").splitlines()[1:3]
    ['Examples:', '  neuprint-dsl fields']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

__all__ = ["LANGUAGE_DOC", "epilog", "format_option"]

LANGUAGE_DOC = "docs/language.md"


def epilog(*examples: str, doc: str | None = None) -> str:
    """A --help epilog: examples (kept as written) and where the references are (``doc``: a
    page about the command).

    Example:
        >>> epilog("neuprint-dsl info", doc="docs/embedded.md").splitlines()[-1]
        'The query language: docs/language.md; the command line: docs/cli.md. More: docs/embedded.md.'
    """
    lines = "\n".join(f"  {line}" for line in examples)
    more = f" More: {doc}." if doc else ""
    return (
        f"\b\nExamples:\n{lines}\n\n\b\nThe query language: {LANGUAGE_DOC}; "
        f"the command line: docs/cli.md.{more}"
    )


def format_option(
    choices: Sequence[str], help: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--format`` option (parameter ``output_format``): one of ``choices``, default
    ``table``.

    Example:
        >>> @click.command()
        ... @format_option(["table", "csv"])
        ... def show(output_format: str) -> None:
        ...     print(output_format)
        >>> show.main(["--format", "csv"], standalone_mode=False)
        csv
    """
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default="table",
        show_default=True,
        help=help,
    )
