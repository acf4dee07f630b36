"""Columnar companions of an embedded database: sorted Arrow tables next to the Ladybug file.

Some answers are a slice of one big table in a fixed order: the per-ROI connection rows of a
set of sources, the synapses of a set of bodies. Ladybug finds those rows, but they then
cross into Python row group by row group and must be sorted again. A companion is the same
rows in an Arrow IPC file, sorted by the slice key, which is memory-mapped (nothing is read
until used) and sliced with two binary searches per key, with no copy.

The database stays complete: a load copies every row into Ladybug as before, and writes a
companion *as well*, from the same Arrow columns; a companion is only a faster route to some
of the database's rows, and any query may ignore it. The load stamps the database's ``Meta``
(key ``buildToken``) and each companion's schema metadata with one random token per build: a
companion whose token is not its database's (a reload replaced one file but not yet the
other, a file copied from another build) is never read.

Files are named after the database: ``graph.lbug`` has ``graph.lbug.roi-rows.arrow`` and
``graph.lbug.synapses.arrow`` (:data:`COMPANION_SUFFIXES`).

Example:
    >>> import tempfile, pyarrow as pa
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = companion_path(f"{tmp}/g.lbug", "roi-rows")
    ...     write_companion(path, pa.table({"key": [1, 1, 4], "v": [7, 8, 9]}), "t0")
    ...     table = open_companion(path, "t0")
    ...     rows = sorted_key_rows(table.column("key").to_numpy(), [1, 2])
    ...     table.take(rows).column("v").to_pylist(), open_companion(path, "other")
    ([7, 8], None)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

__all__ = [
    "COMPANION_SUFFIXES",
    "TOKEN_KEY",
    "companion_path",
    "open_companion",
    "sorted_key_rows",
    "sorted_member",
    "write_companion",
]

logger = logging.getLogger(__name__)

#: each companion's name and the suffix of its file after the database's file name
COMPANION_SUFFIXES: dict[str, str] = {
    "roi-rows": ".roi-rows.arrow",
    "synapses": ".synapses.arrow",
}
#: the schema metadata key holding the build token (also ``Meta``'s ``buildToken``)
TOKEN_KEY = b"neuprint_dsl.build"


def companion_path(database: str | Path, name: str) -> Path:
    """The file of companion ``name`` of the database file ``database``.

    Example:
        >>> companion_path("/data/graph.lbug", "synapses").name
        'graph.lbug.synapses.arrow'
    """
    path = Path(database)
    return path.with_name(path.name + COMPANION_SUFFIXES[name])


def write_companion(path: str | Path, table: pa.Table, token: str) -> None:
    """Write ``table`` as an uncompressed Arrow IPC file at ``path`` (memory-mappable),
    stamped with the build ``token``; the caller has sorted it by its slice key.

    Example:
        >>> import tempfile, pyarrow as pa
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     write_companion(f"{tmp}/c.arrow", pa.table({"k": [1]}), "t")
        ...     open_companion(f"{tmp}/c.arrow", "t").num_rows
        1
    """
    metadata = dict(table.schema.metadata or {})
    metadata[TOKEN_KEY] = token.encode()
    table = table.replace_schema_metadata(metadata)
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def open_companion(path: str | Path, token: str | None) -> pa.Table | None:
    """The companion at ``path``, memory-mapped, if it exists, is readable and carries the
    build ``token`` of the database it is read with; else ``None`` (the caller asks the
    database instead; the reason is logged at debug level).

    Example:
        >>> open_companion("/nonexistent/graph.lbug.roi-rows.arrow", "t") is None
        True
    """
    if token is None or not os.path.isfile(path):
        return None
    try:
        table = ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    except (OSError, pa.ArrowInvalid) as err:
        logger.debug("companion %s is unreadable (%s); the database answers instead", path, err)
        return None
    stamp = (table.schema.metadata or {}).get(TOKEN_KEY)
    if stamp != token.encode():
        logger.debug("companion %s is from another build; the database answers instead", path)
        return None
    return table


def sorted_member(sorted_values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``wanted[i] in sorted_values`` for every ``i``, with ``sorted_values`` sorted ascending
    (a binary search per value; ``np.isin`` sorts both sides on every call).

    Example:
        >>> sorted_member(np.array([2, 5, 9]), np.array([9, 1, 5, 10])).tolist()
        [True, False, True, False]
    """
    if sorted_values.size == 0:
        return np.zeros(wanted.shape, dtype=np.bool_)
    at = np.searchsorted(sorted_values, wanted)
    at[at == sorted_values.size] = 0
    found: np.ndarray = sorted_values[at] == wanted
    return found


def sorted_key_rows(keys: np.ndarray, wanted: Iterable[Any] | np.ndarray) -> np.ndarray:
    """Row numbers of every row whose key is in ``wanted``, in the table's order, given the
    table's key column ``keys`` sorted ascending (two binary searches per wanted key).

    Example:
        >>> sorted_key_rows(np.array([1, 1, 3, 5, 5, 5]), [5, 1, 9]).tolist()
        [0, 1, 3, 4, 5]
    """
    values = np.unique(np.asarray(wanted, dtype=keys.dtype))
    lo = np.searchsorted(keys, values, "left")
    hi = np.searchsorted(keys, values, "right")
    counts = hi - lo
    keep = counts > 0
    lo, counts = lo[keep], counts[keep]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    # the ranges [lo, hi) laid end to end: a running count, shifted at each range's start
    starts = np.cumsum(counts) - counts
    rows = np.arange(total, dtype=np.int64)
    rows += np.repeat(lo - starts, counts)
    return rows
