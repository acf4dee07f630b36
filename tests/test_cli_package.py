"""The command line's package (neuprint_dsl/cli/): its entry points, and the backend names
and help text it reads from the one registry (neuprint_dsl.backends)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from neuprint_dsl.backends import BACKEND_NAMES, BACKENDS
from neuprint_dsl.cli import cli, main


def test_every_command_is_registered_once() -> None:
    assert sorted(cli.commands) == [
        "compile",
        "fields",
        "format",
        "info",
        "load",
        "query",
        "rois",
        "sample",
    ]
    assert callable(main)


def test_compile_offers_exactly_the_registered_backends() -> None:
    (to,) = [p for p in cli.commands["compile"].params if p.name == "dialect"]
    assert isinstance(to.type, click.Choice)
    assert tuple(to.type.choices) == BACKEND_NAMES
    text = CliRunner().invoke(cli, ["compile", "--help"], terminal_width=400).output
    for backend in BACKENDS.values():
        assert f"{backend.name}: {backend.description}" in text


def test_every_backend_compiles_from_the_command_line() -> None:
    for name in BACKEND_NAMES:
        result = CliRunner().invoke(cli, ["compile", 'type = "APL"', "--to", name])
        assert result.exit_code == 0, (name, result.output)
        assert "APL" in result.output
