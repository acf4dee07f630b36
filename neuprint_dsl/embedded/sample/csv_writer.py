"""The CSV writer of the generated tables: pyarrow's, with the sample's number format.

Integer columns are written as plain integers, coded string columns ``(codes, labels)`` by
label (never quoted: a label that would need quotes is refused; an empty label is an empty
field), and :class:`Decimals` columns with at most ``places`` decimals, trailing zeros dropped
but one kept (``0.87``, ``1.0``), the format the hand-written numpy writer this replaced had.

``pyarrow.csv.write_csv`` (quoting style ``none``, header written here, since pyarrow always
quotes it) against that writer, same bytes, interleaved on the shared 2-core machine at load
average 10, medians of 3-7 runs, CPU seconds (wall in brackets), pyarrow first: 3,000,000
total-connection rows 0.48 vs 0.68 (1.9 vs 2.7), 3,255,238 per-ROI rows 0.68 vs 0.95 (5.5 vs
7.2); the default sample's four synapse files 0.89 vs 0.92 (5.9 vs 6.0), 879,337 synapse rows
0.55 vs 0.57, 791,380 closest-mitochondrion rows 0.24 vs 0.23.
pyarrow's own float format is shortest round-trip (``1`` for 1.0): decimals are rounded
and whole numbers given their ``.0`` first (:func:`decimal_text`).

Example:
    >>> import tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "t.csv")
    ...     write_csv(path, ["id", "kind", "score"], [np.array([7, 12]),
    ...         (np.array([1, 0]), ("pre", "post")), Decimals(np.array([0.5, 1.0]), 3)])
    ...     print(path.read_text(), end="")
    id,kind,score
    7,post,0.5
    12,pre,1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from .arrays import FloatArray, IntArray

_OPTIONS: Final = pcsv.WriteOptions(include_header=False, quoting_style="none")
_CHUNK: Final = 1 << 20  # rows converted and written at a time: bounds the memory used
#: what a decimal's text gets after pyarrow's: nothing, or ``.0`` for a whole number
_SUFFIXES: Final = pa.array(["", ".0"])
#: pyarrow writes 1e10 and above with an exponent (``1e+10``)
_MAX_DECIMAL: Final = 1e9


@dataclass(frozen=True, slots=True)
class Decimals:
    """A CSV column of finite non-negative floats, written with at most ``places`` decimals
    (trailing zeros dropped, at least one kept: ``0.87``, ``1.0``)."""

    values: FloatArray
    places: int


Column = IntArray | tuple[IntArray, Sequence[str]] | Decimals


def write_csv(path: Path, header: Sequence[str], columns: Sequence[Column]) -> None:
    """Write integer, coded string and :class:`Decimals` columns (all of one length) as CSV
    with a header line and ``\\n`` line ends."""
    labels: list[pa.Array | None] = []
    for column in columns:
        if isinstance(column, tuple):
            names = column[1]
            if any(c in name for name in names for c in ',"\n\r'):
                raise AssertionError("label needs quoting")
            labels.append(pa.array(list(names), type=pa.string()))
        else:
            if isinstance(column, Decimals):
                values = column.values
                if values.size and not (
                    np.isfinite(values).all()
                    and 0 <= float(values.min()) <= float(values.max()) < _MAX_DECIMAL
                ):
                    raise AssertionError("negative, huge or non-finite float")
            labels.append(None)
    first = columns[0]
    rows = len(first[0] if isinstance(first, tuple) else _values(first))
    with path.open("wb") as out:
        out.write((",".join(header) + "\n").encode("utf-8"))
        for start in range(0, rows, _CHUNK):
            stop = min(start + _CHUNK, rows)
            arrays = [
                _arrow(column, names, start, stop)
                for column, names in zip(columns, labels, strict=True)
            ]
            pcsv.write_csv(pa.table(arrays, names=list(header)), out, write_options=_OPTIONS)


def _values(column: IntArray | Decimals) -> IntArray | FloatArray:
    return column.values if isinstance(column, Decimals) else column


def _arrow(column: Column, names: pa.Array | None, start: int, stop: int) -> Any:
    if isinstance(column, tuple):
        codes = column[0][start:stop].astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(codes), names)
    if isinstance(column, Decimals):
        return decimal_text(column.values[start:stop], column.places)
    return pa.array(column[start:stop])


def decimal_text(values: FloatArray, places: int) -> Any:
    """Non-negative ``values`` below :data:`_MAX_DECIMAL` as text with at most ``places`` (at
    most 6) decimals, trailing zeros dropped but one kept (a pyarrow string array).

    Rounded to ``k / 10**places``, a value's shortest round-trip text (pyarrow's float
    format) is exactly ``k``'s decimals without trailing zeros: two numbers with at most 6
    decimals below 1e9 differ by far more than a double's spacing, so no shorter text reads
    back as the same double. Whole numbers get their ``.0`` back.

    Example:
        >>> decimal_text(np.array([0.25, 3.0, 0.1234567, 0.000001]), 6).to_pylist()
        ['0.25', '3.0', '0.123457', '0.000001']
    """
    if not 0 <= places <= 6:
        raise AssertionError("at most 6 decimals")  # below 1e-6 the text is 1e-07
    unit = 10**places
    scaled = np.rint(values * unit).astype(np.int64)
    text = pc.cast(pa.array(scaled / unit), pa.string())
    whole = scaled % unit == 0
    if whole.any():  # a suffix ".0" or "" per value, from codes (25% faster than if_else)
        suffix = pa.DictionaryArray.from_arrays(pa.array(whole.view(np.int8)), _SUFFIXES)
        text = pc.binary_join_element_wise(text, pc.cast(suffix, pa.string()), "")
    return text
