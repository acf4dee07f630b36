"""Where a command's data is: the embedded database (``--db``, default the synthetic sample,
built on first use with a progress bar), a neuPrint server (``--server``/``--dataset``, a
token from ``--token-file`` or the environment), or DVID neuronjson annotations (``--dvid``
or a local ``--neuronjson`` file).

Example:
    >>> import click
    >>> @click.command()
    ... @source_options
    ... def show(**options: object) -> None:
    ...     print(sorted(options))
    >>> show.main([], standalone_mode=False)
    ['dataset', 'db', 'server', 'timeout', 'token_file']
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import NeuprintDSLError, TransportError
from .exits import EXIT_FAILURE, fail, fail_for

__all__ = [
    "dataset_schema",
    "open_database",
    "read_token_file",
    "run_neuronjson",
    "source",
    "source_options",
]


def open_database(db: str | None) -> Any:
    """The embedded database ``db``, or (``None``) the synthetic sample's, generated and loaded
    on first use with a progress bar on a terminal; exit 1 if it cannot be opened.

    Example:
        >>> try:
        ...     open_database("/nonexistent/graph.lbug")
        ... except SystemExit as stop:
        ...     stop.code
        1
    """
    from ..embedded import default_database
    from ..progress import stage_bar
    from ..transports.ladybug import Embedded

    try:
        if db is not None:
            return Embedded(db)
        with stage_bar("preparing the sample database") as progress:
            path = default_database(progress)
        return Embedded(path)
    except NeuprintDSLError as err:
        fail(str(err), EXIT_FAILURE)


def read_token_file(path: str | None) -> str | None:
    """The token in the file ``path`` (``None``: none given), stripped; exit 2 if the file
    cannot be read or is empty.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".token") as f:
        ...     _ = f.write("abc\\n")
        ...     f.flush()
        ...     read_token_file(f.name)
        'abc'
    """
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        fail(f"cannot read the token file {path}: {getattr(err, 'strerror', None) or err}")
    if not text:
        fail(f"the token file {path} is empty")
    return text


def _open_server(server: str, dataset: str | None, token_file: str | None, timeout: float) -> Any:
    from ..transports.neuprint_http import NeuprintHTTP

    if not dataset:
        fail("--server needs --dataset (e.g. --dataset hemibrain:v1.2.1)")
    try:
        return NeuprintHTTP(server, dataset, token=read_token_file(token_file), timeout=timeout)
    except NeuprintDSLError as err:
        fail_for(err)


@contextlib.contextmanager
def source(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
) -> Iterator[Any]:
    """The embedded database (``--db``, default the sample) or a neuPrint server, open for
    the block; contradictory options end the command (exit 2).

    Example:
        >>> try:
        ...     with source("a.lbug", "https://neuprint.janelia.org", None, None, 60.0):
        ...         pass
        ... except SystemExit as stop:
        ...     stop.code
        2
    """
    if server is not None and db is not None:
        fail("give --db (an embedded database) or --server (a neuPrint server), not both")
    if server is None and dataset is not None:
        fail("--dataset goes with --server (an embedded database holds one dataset)")
    if server is None and token_file is not None:
        fail("--token-file goes with --server (or --dvid); an embedded database needs none")
    transport = (
        _open_server(server, dataset, token_file, timeout)
        if server is not None
        else open_database(db)
    )
    with transport:
        yield transport


def dataset_schema(
    db: str | None,
    server: str | None,
    dataset: str | None,
    token_file: str | None,
    timeout: float,
) -> Any:
    """The schema (fields, property kinds, ROI names) of the dataset :func:`source` opens;
    ``None`` where the source cannot tell. Exits when it cannot be read.

    Example:
        >>> try:
        ...     dataset_schema("/nonexistent/graph.lbug", None, None, None, 60.0)
        ... except SystemExit as stop:
        ...     stop.code
        1
    """
    with source(db, server, dataset, token_file, timeout) as transport:
        try:
            return transport.schema
        except NeuprintDSLError as err:
            fail_for(err)


def source_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options that choose the data: --db, --server, --dataset, --token-file,
    --timeout.

    Example:
        >>> @click.command()
        ... @source_options
        ... def show(**options: object) -> None:
        ...     print(options["timeout"])
        >>> show.main([], standalone_mode=False)
        60.0
    """
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


def run_neuronjson(
    statement: Any,
    server: str | None,
    uuid: str | None,
    instance: str | None,
    token: str | None,
    path: str | None,
    timeout: float,
    bodyid_column: str,
) -> Any:
    """Run ``statement`` on DVID neuronjson annotations: the local file ``path``, else the
    instance ``instance`` of version ``uuid`` on the DVID ``server``; the result table, or an
    exit (1 when the server or file fails, 2 for a statement DVID cannot answer).

    Example:
        >>> import json, tempfile
        >>> from neuprint_dsl.execute import as_statement
        >>> with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        ...     json.dump([{"bodyid": 1, "type": "APL"}, {"bodyid": 2}], f)
        ...     f.flush()
        ...     frame = run_neuronjson(
        ...         as_statement('type = "APL"'), None, None, None, None, f.name, 10.0, "bodyid"
        ...     )
        >>> frame["bodyid"].tolist()
        [1]
    """
    from ..transports import DvidHTTP, LocalNeuronJson

    try:
        if path is not None:
            return LocalNeuronJson(path).run(statement, bodyid_column=bodyid_column)
        if not uuid or not instance:
            fail("--dvid needs --uuid and --instance")
        assert server is not None
        with DvidHTTP(server, uuid, instance, token=token, timeout=timeout) as dvid:
            return dvid.run(statement, bodyid_column=bodyid_column)
    except TransportError as err:
        fail(str(err), EXIT_FAILURE)
    except (NeuprintDSLError, ValueError) as err:
        fail(str(err))
