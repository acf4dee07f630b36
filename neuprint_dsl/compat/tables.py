"""The DataFrames compat's point functions return (synapses, mitochondria): empty tables with
the right dtypes, batches joined in a fixed row order, neuprint-python's dtypes.

Example:
    >>> import pandas as pd
    >>> frame = cast_frame(pd.DataFrame({"type": ["post", "pre"], "x": [1, 2]}),
    ...                    {"type": SYN_TYPE, "x": "int32"})
    >>> frame.dtypes.astype(str).tolist()
    ['category', 'int32']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SYNAPSE_DTYPES", "SYN_TYPE", "cast_frame", "empty_frame", "is_sorted", "sorted_frame"]

#: neuprint-python's dtype of a synapse's ``type``
SYN_TYPE = pd.CategoricalDtype(categories=["pre", "post"], ordered=False)
#: fetch_synapses's columns and dtypes (also the companion route's, compat.synapse_companion)
SYNAPSE_DTYPES: dict[str, Any] = {
    "bodyId": np.dtype("int64"),
    "type": SYN_TYPE,
    "roi": object,
    "x": np.dtype("int32"),
    "y": np.dtype("int32"),
    "z": np.dtype("int32"),
    "confidence": np.dtype("float32"),
}


def empty_frame(dtypes: dict[str, Any]) -> pd.DataFrame:
    """A frame without rows, with these columns and dtypes.

    Example:
        >>> empty_frame({"bodyId": "int64", "roi": object}).dtypes.astype(str).tolist()
        ['int64', 'object']
    """
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in dtypes.items()})


def sorted_frame(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The batches joined and sorted by ``keys`` (the statement's order, extended so that
    rows equal in it, e.g. two synapses at one location, never come out in varying order).
    Batches the engine already sent in that order are only checked, not sorted again.

    Example:
        >>> sorted_frame([pd.DataFrame({"a": [2]}), pd.DataFrame({"a": [1]})], ["a"])["a"].tolist()
        [1, 2]
    """
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if is_sorted(frame, keys):
        return frame
    return frame.sort_values(keys, kind="stable", na_position="last")


def is_sorted(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether ``frame``'s rows are in ascending order of ``keys`` with missing values last
    (so that a stable ``sort_values(keys, na_position="last")`` would not move any row).

    Example:
        >>> frame = pd.DataFrame({"a": [1, 1, 2, 2], "b": ["x", "y", "x", None]})
        >>> is_sorted(frame, ["a", "b"]), is_sorted(frame.iloc[::-1], ["a", "b"])
        (True, False)
    """
    if len(frame) < 2:
        return True
    tied = np.ones(len(frame) - 1, dtype=bool)  # pairs of rows equal in the keys so far
    for key in keys:
        column = frame[key]
        if isinstance(column.dtype, pd.CategoricalDtype):  # ordered by category, not value
            return False
        numeric = column.dtype.kind in "iuf"
        values = column.to_numpy() if numeric else column.to_numpy(dtype=object)
        before, after = values[:-1], values[1:]
        if column.dtype.kind in "iu":
            missing_before = missing_after = np.zeros(len(tied), dtype=bool)
        else:
            missing_before, missing_after = pd.isna(before), pd.isna(after)
        both = ~missing_before & ~missing_after
        less = np.zeros(len(tied), dtype=bool)
        greater = np.zeros(len(tied), dtype=bool)
        try:
            less[both] = before[both] < after[both]
            greater[both] = before[both] > after[both]
        except TypeError:  # values without an order between them (lists, mixed kinds)
            return False
        if (tied & (greater | (missing_before & ~missing_after))).any():
            return False
        tied &= ~(less | (~missing_before & missing_after))
        if not tied.any():
            break
    return True


def cast_frame(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """``frame[list(dtypes)]`` with those dtypes, index reset; object columns keep ``None``
    for missing, a :data:`SYN_TYPE` column is made from codes.

    Example:
        >>> cast_frame(pd.DataFrame({"roi": ["EB", float("nan")]}), {"roi": object})["roi"].tolist()
        ['EB', None]
    """
    out = frame[list(dtypes)].copy()
    for column, dtype in dtypes.items():
        if dtype is SYN_TYPE:  # from codes: ``astype`` hashes every string (several x slower)
            raw = out[column].to_numpy(dtype=object)
            codes = np.select([raw == "pre", raw == "post"], [0, 1], -1).astype(np.int8)
            out[column] = pd.Categorical.from_codes(codes, dtype=SYN_TYPE)
        elif dtype is object:
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
        else:
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)
