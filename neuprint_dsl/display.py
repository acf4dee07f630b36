"""Result tables for people: what ``neuprint-dsl query`` prints (``--format table``).

Rules (docs/cli.md, "Tables"):

* ids and numbers are never cut: a number is printed whole and right-aligned;
* in a terminal the table fits the width: the widest *text* columns are wrapped, and when
  wrapping is not enough the widest text columns are left out; :class:`RenderedTable` says
  which (``notes()``);
* in a terminal at most a screenful of rows is shown unless the caller asks for more;
  ``hidden`` counts the rest;
* only the rows shown are formatted, so a table of millions of rows prints its first
  screenful at once; to a pipe or a file every row and column is written, in chunks
  (:func:`iter_table_lines`), with bounded memory.

Whether stdout is a terminal, and its size, can be forced with environment variables (for
tests, ``watch`` or ``script``): ``NEUPRINT_DSL_TERMINAL=1`` (or ``0``) and ``COLUMNS`` /
``LINES`` (see :func:`terminal_layout`).

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"bodyId": [5813105172, 7], "type": ["MBON01", None],
    ...                       "pre": [12, 3456]})
    >>> print(render_table(frame).text)
        bodyId  type     pre
    ──────────  ──────  ────
    5813105172  MBON01    12
             7          3456
    >>> rows_phrase(1), rows_phrase(63682)
    ('1 row', '63,682 rows')
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import shutil
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

import attrs
import pandas as pd

from .errors import InvalidArgument

__all__ = [
    "RenderedTable",
    "TerminalLayout",
    "iter_table_lines",
    "render_table",
    "roi_tree_lines",
    "rows_phrase",
    "terminal_layout",
]

#: Between two columns.
SEPARATOR = "  "
RULE = "─"
#: A wrapped text column keeps at least this many characters (or its header's width).
MIN_WRAP = 12
#: Lines a screenful leaves for the header, the rule, the "more rows" line, the row count
#: and the shell prompt.
_CHROME_LINES = 5
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
#: Rows formatted at a time when every row is written (bounds memory).
CHUNK_ROWS = 20_000

_ESCAPES = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7F]}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\x85"})


def rows_phrase(count: int) -> str:
    """``"1 row"``, ``"0 rows"``, ``"63,682 rows"``.

    Example:
        >>> rows_phrase(0), rows_phrase(1), rows_phrase(2)
        ('0 rows', '1 row', '2 rows')
    """
    return f"{count:,} row" + ("" if count == 1 else "s")


@attrs.frozen
class TerminalLayout:
    """Whether output goes to a terminal, and the terminal's size (columns, lines)."""

    is_terminal: bool
    columns: int
    lines: int


def terminal_layout(stream: TextIO | None = None) -> TerminalLayout:
    """Whether ``stream`` (default: stdout) is a terminal, and its size.

    ``NEUPRINT_DSL_TERMINAL=1`` forces terminal behaviour (``0``: a pipe's); ``COLUMNS`` and
    ``LINES`` override the size, as for :func:`shutil.get_terminal_size`.

    Example:
        >>> import io, os
        >>> layout = terminal_layout(io.StringIO())  # not a terminal (unless forced)
        >>> "NEUPRINT_DSL_TERMINAL" in os.environ or not layout.is_terminal
        True
        >>> layout.columns > 0 and layout.lines > 0
        True
    """
    import sys

    stream = sys.stdout if stream is None else stream
    forced = os.environ.get("NEUPRINT_DSL_TERMINAL", "").strip()
    if forced in ("1", "0"):
        is_terminal = forced == "1"
    else:
        try:
            is_terminal = bool(stream.isatty())
        except (AttributeError, ValueError, OSError):
            is_terminal = False
    size = shutil.get_terminal_size((80, 24))
    if is_terminal and "COLUMNS" not in os.environ:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            size = os.get_terminal_size(stream.fileno())
    columns = size.columns if size.columns > 0 else 80
    lines = size.lines if size.lines > 0 else 24
    if is_terminal and "LINES" in os.environ:
        lines = _positive_env("LINES", lines)
    return TerminalLayout(is_terminal, columns, lines)


def _positive_env(name: str, default: int) -> int:
    try:
        value = int(os.environ[name])
    except (KeyError, ValueError):
        return default
    return value if value > 0 else default


@attrs.frozen
class _Column:
    name: str
    numeric: bool
    width: int  # the width the column is printed in
    natural: int  # the width its widest shown cell (or its header) needs
    numbers: int = 0  # the width of its widest number (a text column is never wrapped below)


@attrs.frozen
class RenderedTable:
    """A table laid out for display.

    ``lines`` are the header, the rule and the rows shown (a wrapped row takes several
    lines); ``shown`` rows of ``total`` are in it and ``hidden`` are not; ``wrapped`` and
    ``dropped`` name the text columns wrapped or left out to fit ``width``.
    """

    lines: tuple[str, ...]
    shown: int
    total: int
    wrapped: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    width: int | None = None

    @property
    def hidden(self) -> int:
        """Rows not shown."""
        return self.total - self.shown

    @property
    def text(self) -> str:
        """The lines joined (no final newline)."""
        return "\n".join(self.lines)

    def notes(self) -> list[str]:
        """What the reader should know: wrapped and left-out columns (one line each).

        Example:
            >>> t = RenderedTable((), 0, 0, wrapped=("instance",), dropped=("notes", "x"),
            ...                   width=80)
            >>> print("\\n".join(t.notes()))
            wrapped to fit 80 columns: instance
            not shown, to fit 80 columns: notes, x (use --format csv, or a wider terminal)
        """
        out = []
        if self.wrapped:
            out.append(f"wrapped to fit {self.width} columns: " + ", ".join(self.wrapped))
        if self.dropped:
            out.append(
                f"not shown, to fit {self.width} columns: "
                + ", ".join(self.dropped)
                + " (use --format csv, or a wider terminal)"
            )
        return out


def render_table(
    frame: pd.DataFrame,
    *,
    width: int | None = None,
    max_lines: int | None = None,
    bold_header: bool = False,
) -> RenderedTable:
    """Lay out ``frame`` as a text table.

    ``width`` (terminal columns) makes the table fit: the widest text columns are wrapped
    (down to :data:`MIN_WRAP` characters or their header), and left out when that is not
    enough; numbers and ids are never cut. ``max_lines`` caps the lines of rows shown
    (``None``: every row). Only the rows shown are formatted.

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"bodyId": [1, 22], "notes": ["a long note about it", "short"],
        ...                   "post": [3, 4]})
        >>> t = render_table(f, width=28)
        >>> print(t.text)
        bodyId  notes           post
        ──────  ──────────────  ────
             1  a long note        3
                about it
            22  short              4
        >>> t.wrapped, t.dropped
        (('notes',), ())
        >>> render_table(f, width=12).dropped
        ('notes',)
        >>> t = render_table(pd.DataFrame({"n": range(100)}), max_lines=3)
        >>> t.shown, t.hidden
        (3, 97)
    """
    if width is not None and (isinstance(width, bool) or width < 1):
        raise InvalidArgument(f"width must be a positive number of columns, not {width!r}")
    if max_lines is not None and (isinstance(max_lines, bool) or max_lines < 0):
        raise InvalidArgument(f"max_lines must be >= 0, not {max_lines!r}")
    total = len(frame)
    candidates = frame if max_lines is None else frame.iloc[:max_lines]
    names = [str(c) for c in frame.columns]
    cells = [_cells(candidates.iloc[:, i]) for i in range(len(names))]
    columns = [
        _Column(name, numeric, natural, natural, _number_width(candidates.iloc[:, i], texts))
        for i, (name, (texts, numeric)) in enumerate(zip(names, cells, strict=True))
        for natural in [max([_width(name), *map(_width, texts)])]
    ]
    keep = list(range(len(columns)))
    wrapped: list[str] = []
    dropped: list[str] = []
    if width is not None:
        keep, columns, wrapped, dropped = _fit(columns, width)
    shown_columns = [columns[i] for i in keep]
    lines = [_header(shown_columns, bold_header), _rule(shown_columns)]
    budget = math.inf if max_lines is None else max_lines
    shown = 0
    for row in range(len(candidates)):
        remaining = budget - (len(lines) - 2)
        if remaining <= 0:
            break
        row_lines = _row_lines([cells[i][0][row] for i in keep], shown_columns)
        if len(row_lines) > remaining and shown > 0:
            break
        lines.extend(row_lines)
        shown += 1
    return RenderedTable(tuple(lines), shown, total, tuple(wrapped), tuple(dropped), width)


def iter_table_lines(frame: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """Every row of ``frame`` as table lines (header and rule first), for a pipe or a file:
    no width fitting, no row cap. Formats ``chunk_rows`` rows at a time, twice (once to
    measure the columns, once to write), so memory stays bounded for any number of rows.

    Example:
        >>> import pandas as pd
        >>> list(iter_table_lines(pd.DataFrame({"type": ["KC", "APL"], "pre": [1.5, 20]})))
        ['type   pre', '────  ────', 'KC     1.5', 'APL   20.0']
    """
    if chunk_rows < 1:
        raise InvalidArgument(f"chunk_rows must be >= 1, not {chunk_rows!r}")
    names = [str(c) for c in frame.columns]
    natural = [_width(n) for n in names]
    numeric = [True] * len(names)
    seen = [False] * len(names)
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        for i in range(len(names)):
            texts, is_number = _cells(part.iloc[:, i])
            if texts:
                natural[i] = max(natural[i], max(map(_width, texts)))
            if any(texts):
                numeric[i] = numeric[i] and is_number
                seen[i] = True
    columns = [
        _Column(name, numeric[i] and seen[i], natural[i], natural[i])
        for i, name in enumerate(names)
    ]
    yield _header(columns, False)
    yield _rule(columns)
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        padded = [_pad_all(_cells(part.iloc[:, i])[0], columns[i]) for i in range(len(names))]
        for row in zip(*padded, strict=True):
            yield SEPARATOR.join(row).rstrip()


# -- layout ---------------------------------------------------------------------------------


def _fit(
    columns: list[_Column], width: int
) -> tuple[list[int], list[_Column], list[str], list[str]]:
    """Which columns to show, at which widths, to fit ``width``; wrapped and dropped names."""
    keep = list(range(len(columns)))
    dropped: list[str] = []

    def total(widths: Sequence[int]) -> int:
        return sum(widths) + len(SEPARATOR) * max(len(widths) - 1, 0)

    while True:
        natural = [columns[i].natural for i in keep]
        if total(natural) <= width:
            return keep, columns, [], dropped
        text = [i for i in keep if not columns[i].numeric]
        floors = {
            i: min(columns[i].natural, max(MIN_WRAP, _width(columns[i].name), columns[i].numbers))
            for i in text
        }
        fixed = sum(columns[i].natural for i in keep if columns[i].numeric)
        room = width - fixed - len(SEPARATOR) * (len(keep) - 1)
        if text and sum(floors.values()) <= room:
            cap = _water_level([columns[i].natural for i in text], [floors[i] for i in text], room)
            out = list(columns)
            wrapped = []
            for i in text:
                new = max(min(columns[i].natural, cap), floors[i])
                if new < columns[i].natural:
                    wrapped.append(columns[i].name)
                out[i] = attrs.evolve(columns[i], width=new)
            return keep, out, wrapped, dropped
        if len(keep) == 1:  # one column wider than the terminal: print it whole
            return keep, columns, [], dropped
        if text:  # leave out the widest text column
            victim = max(text, key=lambda i: (columns[i].natural, i))
        else:  # only numbers left: leave out the last column (never cut a number)
            victim = keep[-1]
        keep.remove(victim)
        dropped.append(columns[victim].name)
        dropped.sort(key=[c.name for c in columns].index)  # in the frame's order


def _water_level(naturals: Sequence[int], floors: Sequence[int], room: int) -> int:
    """The largest cap such that ``sum(max(min(n, cap), floor)) <= room``."""
    low, high = 1, max(naturals)
    while low < high:
        mid = (low + high + 1) // 2
        used = sum(max(min(n, mid), f) for n, f in zip(naturals, floors, strict=True))
        if used <= room:
            low = mid
        else:
            high = mid - 1
    return low


def _header(columns: Sequence[_Column], bold: bool) -> str:
    text = SEPARATOR.join(_pad(c.name, c) for c in columns).rstrip()
    return f"{_BOLD}{text}{_RESET}" if bold and text else text


def _rule(columns: Sequence[_Column]) -> str:
    return SEPARATOR.join(RULE * c.width for c in columns)


def _row_lines(texts: Sequence[str], columns: Sequence[_Column]) -> list[str]:
    parts = [
        [text] if c.numeric or _width(text) <= c.width else _wrap(text, c.width)
        for text, c in zip(texts, columns, strict=True)
    ]
    height = max((len(p) for p in parts), default=1)
    lines = []
    for k in range(height):
        line = SEPARATOR.join(
            _pad(p[k] if k < len(p) else "", c) for p, c in zip(parts, columns, strict=True)
        )
        lines.append(line.rstrip())
    return lines


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(
        text, width, break_long_words=True, break_on_hyphens=False, drop_whitespace=True
    ) or [""]


def _pad(text: str, column: _Column) -> str:
    fill = column.width - _width(text)
    if fill <= 0:
        return text
    return " " * fill + text if column.numeric else text + " " * fill


def _pad_all(texts: list[str], column: _Column) -> list[str]:
    w = column.width
    if all(t.isascii() for t in texts):
        return [t.rjust(w) for t in texts] if column.numeric else [t.ljust(w) for t in texts]
    return [_pad(t, column) for t in texts]


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


# -- cells ----------------------------------------------------------------------------------


def _cells(series: pd.Series) -> tuple[list[str], bool]:
    """The column's cells as text, and whether it holds numbers (right-aligned)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return [_text(v) for v in series.tolist()], False
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        return series.astype(str).tolist(), True
    if pd.api.types.is_numeric_dtype(dtype):
        return [_text(v) for v in series.tolist()], True
    values = series.tolist()
    texts = [_text(v) for v in values]
    numeric = all(_is_number(v) or _missing(v) for v in values) and any(map(_is_number, values))
    return texts, numeric


def _number_width(series: pd.Series, texts: Sequence[str]) -> int:
    """The width of the widest number in a text column (0 in a column of numbers)."""
    if series.dtype != object:
        return 0
    widths = [_width(t) for v, t in zip(series.tolist(), texts, strict=True) if _is_number(v)]
    return max(widths, default=0)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool) and not _missing(value)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _text(value: Any) -> str:
    """One cell: missing is empty, numbers whole, strings with control characters escaped."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        text = repr(value)
    elif hasattr(value, "tolist") and not isinstance(value, (int, bool)):
        text = str(value.tolist())  # numpy scalars and arrays: their plain values
    else:
        text = str(value)
    return text if text.isprintable() else text.translate(_ESCAPES)


# -- ROI trees ------------------------------------------------------------------------------


def roi_tree_lines(
    hierarchy: Mapping[str, Any] | None, rois: Iterable[str], primary: Iterable[str]
) -> list[str]:
    """The ROI hierarchy as an indented tree (neuprint-python's ``fetch_roi_hierarchy``
    text layout), primary ROIs marked ``*``; ROIs the hierarchy does not hold are listed
    after it. ``hierarchy`` is a ``{"name", "children"}`` tree (neuPrint's ``roiHierarchy``)
    whose root is the volume, or ``None``.

    Example:
        >>> tree = {"name": "hemibrain", "children": [
        ...     {"name": "MB(R)", "children": [{"name": "CA(R)"}, {"name": "PED(R)"}]},
        ...     {"name": "FB"}]}
        >>> print("\\n".join(roi_tree_lines(tree, ["CA(R)", "FB", "X"], ["CA(R)", "FB"])))
        hemibrain
         +-- MB(R)
         |   +-- CA(R)*
         |   +-- PED(R)
         +-- FB*
        not in the hierarchy:
         +-- X
    """
    marked = set(primary)
    lines: list[str] = []
    placed: set[str] = set()

    def label(name: str) -> str:
        return name + ("*" if name in marked else "")

    def walk(node: Mapping[str, Any], prefix: str, last: bool, depth: int) -> None:
        name = str(node.get("name", ""))
        if depth == 0:
            lines.append(name)
            inner = " "
        else:
            placed.add(name)
            lines.append(f"{prefix}+-- {label(name)}")
            inner = prefix + ("    " if last else "|   ")
        children = [c for c in node.get("children") or () if isinstance(c, Mapping)]
        for index, child in enumerate(children):
            walk(child, inner, index == len(children) - 1, depth + 1)

    if hierarchy is not None:
        walk(hierarchy, "", True, 0)
    rest = sorted(set(rois) - placed)
    if rest:
        if lines:
            lines.append("not in the hierarchy:")
        lines.extend(f" +-- {label(name)}" for name in rest)
    return lines
