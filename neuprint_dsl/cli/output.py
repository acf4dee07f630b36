"""Where a command's output goes, every byte checked, and in which format.

:class:`Sink` writes standard output or a file (a file through a temporary file that replaces
it only when complete); :func:`open_output` turns a failed write into one error line (exit 1, or
141 quietly when the reader of a pipe went away); :func:`write_frame` writes a result table
as csv, json lines, parquet or a table for people (neuprint_dsl.display).

Example:
    >>> import pandas as pd
    >>> with open_output(None) as sink:
    ...     write_frame(pd.DataFrame({"bodyId": [1, 2]}), "csv", sink)
    bodyId
    1
    2
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from .exits import EXIT_BROKEN_PIPE, EXIT_FAILURE, fail

__all__ = ["CHUNK_ROWS", "Sink", "open_output", "say", "write_failed", "write_frame"]

#: Rows written per chunk for csv and json (bounds memory on large results).
CHUNK_ROWS = 50_000


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


def write_failed(where: str, err: OSError) -> NoReturn:
    """End the command after a failed write to ``where``: quietly with status 141 when the
    reader of standard output went away (``| head``), else ``error: cannot write ...``,
    status 1.

    Example:
        >>> import errno
        >>> try:
        ...     write_failed("out.csv", OSError(errno.ENOSPC, "No space left on device"))
        ... except SystemExit as stop:
        ...     stop.code
        1
    """
    if where == "standard output" and err.errno == errno.EPIPE:
        # the reader went away (`| head`): stop quietly, as other command-line tools do
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    reason = err.strerror or str(err)
    fail(f"cannot write {where}: {reason}", EXIT_FAILURE)


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[Sink]:
    """A :class:`Sink` whose failures end the command with one line and exit status 1.

    Example:
        >>> with open_output(None) as sink:
        ...     sink.write_lines(["a", "b"])
        a
        b
    """
    try:
        sink = Sink(path)
    except OSError as err:
        write_failed(path or "standard output", err)
    try:
        yield sink
    except OSError as err:
        sink.abort()
        write_failed(sink.where, err)
    except BaseException:
        sink.abort()
        raise
    try:
        sink.commit()
    except OSError as err:
        sink.abort()
        write_failed(sink.where, err)


def say(text: str = "") -> None:
    """Print a line on stdout, checked.

    Example:
        >>> say("loaded")
        loaded
    """
    with open_output(None) as out:
        out.write(text + "\n")


def write_frame(
    frame: Any,
    output_format: str,
    sink: Sink,
    *,
    explicit_limit: bool = False,
    width: int | None = None,
    count: bool = True,
) -> None:
    """Write ``frame`` to ``sink`` in ``output_format`` (``table``, ``csv``, ``json``: one
    object per line, or ``parquet``); tables tell the row count on stderr (``count``).

    Example:
        >>> import pandas as pd
        >>> with open_output(None) as sink:
        ...     write_frame(pd.DataFrame({"bodyId": [1], "type": ["APL"]}), "json", sink)
        {"bodyId":1,"type":"APL"}
    """
    if output_format == "parquet":
        buffer = io.BytesIO()
        try:
            frame.to_parquet(buffer, index=False)
        except ImportError:
            fail("parquet output needs pyarrow: pip install pyarrow")
        sink.write(buffer.getvalue())
        return
    if output_format == "csv":
        for start in range(0, max(len(frame), 1), CHUNK_ROWS):
            part = frame.iloc[start : start + CHUNK_ROWS]
            sink.write(part.to_csv(index=False, header=start == 0))
        return
    if output_format == "json":
        for start in range(0, len(frame), CHUNK_ROWS):
            part = frame.iloc[start : start + CHUNK_ROWS]
            text = part.to_json(orient="records", lines=True, force_ascii=False)
            sink.write(text if text.endswith("\n") else text + "\n")
        return
    _write_table(frame, sink, explicit_limit=explicit_limit, width=width)
    if count:
        from ..display import rows_phrase

        click.echo(rows_phrase(len(frame)), err=True)


def _write_table(frame: Any, sink: Sink, *, explicit_limit: bool, width: int | None) -> None:
    from ..display import iter_table_lines, render_table, rows_phrase, terminal_layout

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
