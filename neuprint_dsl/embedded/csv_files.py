"""Reading the CSV files of an export: typed, fast, and with exact errors (file, line, column).

Files are UTF-8, with or without a byte-order mark (:data:`ENCODING`); every row has the
header's fields; integers are plain (``-?[0-9]+``, 64 bits) and are never read through a float.
Tables are read by pyarrow's multi-threaded CSV reader where it gives pandas' answer, else by
pandas (:func:`read_typed`); when a value does not parse, a second pass with the ``csv`` module
finds the first bad cell so the error can name its line and column. Used by
:mod:`~neuprint_dsl.embedded.export` and :mod:`~neuprint_dsl.embedded.synapse_export`.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "t.csv")
    ...     _ = path.write_text("a,b\\n1,x\\n2,y\\n")
    ...     frame = read_columns(path, {"a": "int"}, {"b": "str", "c": "int"})
    ...     frame.columns.tolist(), frame["a"].tolist(), line_of(path, 1)
    (['a', 'b'], [1, 2], 3)
"""

from __future__ import annotations

import csv
import math
import mmap
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LoadError

__all__ = [
    "ENCODING",
    "decode_error",
    "find_bad_cell",
    "first_bad_cell",
    "line_of",
    "read_columns",
    "read_csv",
    "read_header",
    "read_strings",
    "read_typed",
]

#: an integer cell, as every table reads it (surrounding spaces are stripped first)
_PLAIN_INT = re.compile(r"-?[0-9]+")

#: the text encoding of every CSV file: UTF-8, with or without a byte-order mark
ENCODING = "utf-8-sig"


def read_csv(path: Path, **options: Any) -> pd.DataFrame:
    """``pd.read_csv`` of an export file as UTF-8 (a byte-order mark is skipped); a byte that
    is not UTF-8 is a :class:`LoadError` naming its line and column, wherever it is."""
    try:
        frame: pd.DataFrame = pd.read_csv(path, encoding=ENCODING, **options)
        return frame
    except UnicodeDecodeError:
        raise decode_error(path) from None


def decode_error(path: Path) -> LoadError:
    """The first byte of ``path`` that is not UTF-8, as a LoadError with its line (counting
    physical lines) and the header column its field falls under (the error path only)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")  # a byte-order mark is valid UTF-8: offsets stay absolute
    except UnicodeDecodeError as err:
        start = err.start
    else:
        return LoadError(str(path), "not UTF-8 text")
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    before = data[line_start:start].decode(ENCODING, errors="replace")
    field = max(len(next(csv.reader([before]), [])) - 1, 0)
    column = None
    if line > 1:
        first = data[: data.find(b"\n")].decode(ENCODING, errors="replace").rstrip("\r")
        header = next(csv.reader([first]), [])
        column = header[field] if field < len(header) else None
    where = f"byte {start - line_start + 1} of the line" + (
        "" if column else f", field {field + 1}"
    )
    return LoadError(
        str(path),
        f"not UTF-8 text: byte 0x{data[start]:02x} ({where}); save the file as UTF-8",
        line,
        column,
    )


def read_header(path: Path) -> list[str]:
    """The header of ``path``; an empty file or a name given twice is a LoadError."""
    try:
        with path.open(newline="", encoding=ENCODING) as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        raise decode_error(path) from None
    if not header:
        raise LoadError(str(path), "empty file: expected a header line", 1)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise LoadError(str(path), f"column {duplicates[0]!r} appears twice in the header", 1)
    return header


def read_strings(path: Path, header: list[str]) -> pd.DataFrame:
    """Every column of ``path`` as strings (empty cells missing), with exact errors."""
    try:
        # index_col=False: a trailing comma must not turn the first column into an index
        return read_csv(path, dtype=str, keep_default_na=False, na_values=[""], index_col=False)
    except LoadError:  # a byte that is not UTF-8
        raise
    except (ValueError, pd.errors.ParserError) as err:
        bad = find_bad_cell(path, header, {})
        raise bad from err


def line_of(path: Path, row: int) -> int:
    """The file line of data row ``row`` (0-based), counting quoted line breaks."""
    if row < 0:
        return 1
    with path.open(newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle)
        next(reader)
        records = (r for r in reader if r)  # pandas skips blank lines; so must the count
        for i, _record in enumerate(records):
            if i == row:
                return reader.line_num
    return row + 2


def read_columns(
    path: Path, required: Mapping[str, str], optional: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The ``required`` columns of ``path`` and those of ``optional`` it has, in that order,
    typed by :func:`read_typed`; a missing required column is a
    :class:`~neuprint_dsl.errors.LoadError` naming it (and the columns found)."""
    header = read_header(path)
    missing = [c for c in required if c not in header]
    if missing:
        raise LoadError(
            str(path),
            f"missing column {', '.join(map(repr, missing))} (found {', '.join(header)})",
            1,
        )
    columns = {**required, **{c: k for c, k in (optional or {}).items() if c in header}}
    frame = read_typed(path, header, columns)
    return frame[list(columns)]


def read_typed(path: Path, header: Sequence[str], columns: dict[str, str]) -> pd.DataFrame:
    """The typed table of ``path``: ``int`` columns int64 (plain integers only), ``float``
    float64, any other kind a category (empty cells missing); every column of ``header`` is
    read, so a row with a field too many or too few fails. The CSV is parsed by pyarrow's
    multi-threaded reader; when that reader refuses the file or reads a value pandas would
    not (a missing or non-finite number), pandas reads it again and the first bad cell is
    found by a slow pass that names its line and column (:func:`find_bad_cell`).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = Path(tmp, "t.csv")
        ...     _ = path.write_bytes(b"\\xef\\xbb\\xbfa,r\\n1,CA(R)\\n-2,FB\\n")
        ...     frame = read_typed(path, ["a", "r"], {"a": "int", "r": "str"})
        ...     frame["a"].tolist(), frame["r"].cat.categories.tolist()
        ([1, -2], ['CA(R)', 'FB'])
    """
    frame = _read_arrow(path, columns)
    if frame is not None:
        _check_strict_ints(path, header, columns, by_arrow=True)
        return frame
    # strings that repeat (ROI names) as categories: millions of rows, a few hundred
    dtypes = {
        c: {"int": "int64", "float": "float64"}.get(k, "category") for c, k in columns.items()
    }
    try:
        frame = read_csv(
            # every column is read (no usecols): a row with an extra field must fail,
            # not be silently cut to the columns we want
            path,
            dtype=dtypes,
            keep_default_na=False,
            na_values=[""],
            index_col=False,
        )
    except LoadError:  # a byte that is not UTF-8
        raise
    except (ValueError, OverflowError):
        raise find_bad_cell(path, header, columns) from None
    _check_strict_ints(path, header, columns)
    return frame


def _read_arrow(path: Path, columns: dict[str, str]) -> pd.DataFrame | None:
    """``columns`` of ``path`` through ``pyarrow.csv`` (all cores), or ``None`` where the
    result could differ from pandas' (any refusal, a missing int, a missing or non-finite
    float): the caller then reads it with pandas. Measured on 3,255,655 per-ROI rows: 0.5 s
    of CPU against 2.4 s for pandas' typed read."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    types = {
        c: {"int": pa.int64(), "float": pa.float64()}.get(k, pa.dictionary(pa.int32(), pa.string()))
        for c, k in columns.items()
    }
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(use_threads=True, block_size=1 << 23),
            # quoted line breaks are legal CSV: the reader must not split a row between blocks
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types=types,
                include_columns=list(columns),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                check_utf8=True,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None
    try:
        return _arrow_frame(table, columns)
    finally:
        del table
        # pyarrow's allocator keeps freed pages for reuse: about 200 MB of a load's peak
        # at 3,000,000 connections, which the engine's COPY needs later
        pa.default_memory_pool().release_unused()


def _arrow_frame(table: Any, columns: dict[str, str]) -> pd.DataFrame | None:
    out: dict[str, Any] = {}
    for name, kind in columns.items():
        column = table.column(name)
        if kind in ("int", "float"):
            if column.null_count:
                return None
            values = column.to_numpy()
            if kind == "float" and not bool(np.isfinite(values).all()):
                return None
            # one chunk converts without a copy, read-only: the frame's columns stay writable
            out[name] = values if values.flags.writeable else values.copy()
        else:  # a category, its values sorted as pandas sorts them
            series = column.to_pandas()
            if not isinstance(series.dtype, pd.CategoricalDtype):  # an empty table
                series = series.astype("category")
            out[name] = series.cat.set_categories(sorted(series.cat.categories))
    # copy=False: the columns as they are, not stacked into one block per dtype (a copy of
    # every number: 0.8 s per 5 million rows of six columns)
    return pd.DataFrame(out, copy=False)


def find_bad_cell(path: Path, header: Sequence[str], columns: dict[str, str]) -> LoadError:
    """The first cell pandas could not parse, found by a second, slow pass (the error path
    only): a row of the wrong length, an ``int`` column's non-integer or out-of-range value,
    a ``float`` column's non-number (finite numbers only; an empty cell passes)."""
    return first_bad_cell(path, header, columns) or LoadError(
        str(path), "the file could not be parsed as CSV"
    )


def first_bad_cell(
    path: Path, header: Sequence[str], columns: dict[str, str], *, short_only: bool = False
) -> LoadError | None:
    """The first row of the wrong length or cell of a wrong ``int`` / ``float`` value, or
    ``None``. ``short_only``: only rows with too few fields count as the wrong length (pandas
    reads a trailing comma as an ignored empty field)."""
    wanted = [(header.index(c), c, k) for c, k in columns.items() if k in ("int", "float")]
    with path.open(newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle)
        next(reader)
        for record in reader:
            if not record:  # pandas skips blank lines
                continue
            if len(record) < len(header) or (len(record) != len(header) and not short_only):
                return LoadError(
                    str(path),
                    f"expected {len(header)} fields, found {len(record)}",
                    reader.line_num,
                )
            for index, name, kind in wanted:
                cell = record[index].strip()
                reason = _bad_int(cell) if kind == "int" else _bad_float(cell)
                if reason:
                    return LoadError(str(path), reason, reader.line_num, name)
    return None


def _may_hold_loose_integers(data: mmap.mmap, start: int) -> bool:
    """Whether ``data[start:]`` holds a byte without which no cell is an integer pandas or
    pyarrow reads loosely (``+5``, ``1.0``, ``1e3``, ``1_000``, ``0x10``): ``+``, ``.``,
    ``_``, or an ``e``/``E``/``x``/``X`` after a digit. A file without them needs no strict second pass. memchr-speed ``find``
    calls, not a regex scan (7.8 s for a 3,000,000-row table).

    Example:
        >>> import mmap, tempfile
        >>> with tempfile.TemporaryFile() as f:
        ...     _ = f.write(b"a_b\\n1,2\\n1,1e3\\n")
        ...     _ = f.seek(0)
        ...     with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        ...         print(_may_hold_loose_integers(m, 4))
        True
    """
    if any(data.find(byte, start) >= 0 for byte in (b"+", b".", b"_")):
        return True
    for letter in (b"e", b"E", b"x", b"X"):  # 1e3; 0x10, which pyarrow reads as 16
        at = data.find(letter, start)
        while at >= 0:
            if at > start and data[at - 1 : at].isdigit():
                return True
            at = data.find(letter, at + 1)
    return False


def _check_strict_ints(
    path: Path, header: Sequence[str], columns: dict[str, str], *, by_arrow: bool = False
) -> None:
    """Refuse an ``int`` cell that pandas read but that is not a plain integer (``1e3``,
    ``1.0``, ``+5``): the rule of the neuron table, for every table. Cheap: a byte scan of the
    file, and a second pass only if a suspicious byte is there. ``by_arrow``: the table was
    read by pyarrow, which refuses every loose integer but hexadecimal (``0x10``), so only
    ``0x``/``0X`` is suspicious (a float column's ``.`` no longer sends a 5-million-row file
    through the slow pass: 58 s of the 66 s of reading 5 million synapses)."""
    ints = {c: k for c, k in columns.items() if k == "int"}
    if not ints:
        return
    with path.open("rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file
            return
        with data:
            # after the header line: its names (bodyId_pre) hold '_' themselves
            body = data.find(b"\n") + 1
            if body == 0:
                return
            if by_arrow:
                if data.find(b"0x", body) < 0 and data.find(b"0X", body) < 0:
                    return
            elif not _may_hold_loose_integers(data, body):
                return
    bad = first_bad_cell(path, header, ints)
    if bad is not None:
        raise bad


def _bad_int(cell: str) -> str | None:
    if not _PLAIN_INT.fullmatch(cell):
        return f"{cell!r} is not an integer"
    value = int(cell)
    if not -(2**63) <= value < 2**63:
        return f"{cell} does not fit in 64 bits"
    return None


def _bad_float(cell: str) -> str | None:
    if not cell:
        return None
    try:
        number = float(cell)
    except ValueError:
        number = math.nan
    if "_" in cell or not math.isfinite(number):  # pandas reads neither 1_0 nor nan
        return f"{cell!r} is not a finite number"
    return None
