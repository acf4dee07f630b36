"""Rows of a Cypher answer as a DataFrame, fast and without pandas' type inference.

:func:`object_frame` keeps every value as decoded (object columns, ``None`` for null; the
executor gives each column its dtype from the schema); :func:`run_frame` also makes a column of
exact integers int64 at once, which the executor's shaping turns into the same dtypes and values.

Example:
    >>> object_frame(("a",), [(1,), (None,)])["a"].tolist()
    [1, None]
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["object_frame", "run_frame"]


def object_frame(
    columns: tuple[str, ...], rows: list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]
) -> pd.DataFrame:
    """The rows as a DataFrame of object columns, values as decoded (None for null), without
    pandas' type inference (the executor gives each column its dtype from the schema); an
    int64 array stays int64.

    Example:
        >>> f = object_frame(("a", "b"), [[1, None], [2, "x"]])
        >>> f.dtypes.tolist(), f["b"].tolist()
        ([dtype('O'), dtype('O')], [None, 'x'])
    """
    if isinstance(rows, np.ndarray):
        return pd.DataFrame(rows, columns=list(columns), copy=False)
    if not rows:
        return pd.DataFrame({name: [] for name in columns}, columns=list(columns), dtype=object)
    return pd.DataFrame(
        _object_block(columns, rows), columns=list(columns), dtype=object, copy=False
    )


def run_frame(
    columns: tuple[str, ...], rows: list[Sequence[Any]] | np.ndarray[Any, np.dtype[np.int64]]
) -> pd.DataFrame:
    """:func:`object_frame`, except that a column of integers only (Python ints, no null,
    no bool, all within int64) is int64: the frame the executor's ``shape`` gives the same
    dtypes and values as the object one (an int64 column becomes ``int64``/``Int64``/
    ``float64``/``boolean``/``object`` exactly as a column of the same ints would), in a
    fraction of the time. Only for :meth:`NeuprintHTTP.run`, whose result is always shaped.

    Example:
        >>> f = run_frame(("a", "b", "c"), [(1, None, True), (2, 3, False)])
        >>> f.dtypes.tolist(), f["b"].tolist()
        ([dtype('int64'), dtype('O'), dtype('O')], [None, 3])
    """
    if isinstance(rows, np.ndarray) or not rows or len(set(columns)) != len(columns):
        return object_frame(columns, rows)
    block = _object_block(columns, rows)
    lib = importlib.import_module("pandas._libs.lib")
    out: dict[str, np.ndarray[Any, Any] | pd.Series] = {}
    for index, name in enumerate(columns):
        values = block[:, index]
        # the first cell rules most columns out at once; infer_dtype scans the others (in C)
        if type(values[0]) is int and lib.infer_dtype(values, skipna=False) == "integer":
            try:
                out[name] = values.astype(np.int64)
                continue
            except OverflowError:  # an int beyond int64: the object column decides
                pass
        # a Series of dtype object: pandas would infer a string dtype from a bare array
        out[name] = pd.Series(values, dtype=object, copy=False)
    return pd.DataFrame(out, columns=list(columns), copy=False)


def _object_block(columns: tuple[str, ...], rows: list[Sequence[Any]]) -> np.ndarray[Any, Any]:
    """The rows (of ``len(columns)`` cells each, checked) as one 2-D object array."""
    try:
        # pandas' own C loops (what pd.DataFrame(rows) uses); row widths were checked
        lib = importlib.import_module("pandas._libs.lib")
        if type(rows[0]) is tuple:
            block = lib.to_object_array_tuples(rows)
        else:
            block = lib.to_object_array(rows, min_width=len(columns))
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other pandas
        block = np.empty((len(rows), len(columns)), dtype=object)
        block[:] = rows
    return block  # type: ignore[no-any-return]
