"""Reading neuPrint connectivity exports, with exact errors (file, line, column).

Two layouts are recognised in a directory:

* neuprint-python's ``fetch_adjacencies(..., export_dir=DIR)``: ``neurons.csv``,
  ``roi-connections.csv``, ``total-connections.csv``;
* the published hemibrain compact export: ``traced-neurons.csv``,
  ``traced-roi-connections.csv``, ``traced-total-connections.csv``.

The per-ROI file may be missing (an export of total weights only): the database then records
that it has no per-ROI weights. Files are UTF-8, with or without a byte-order mark; every row
has the header's fields; integers are plain (``-?[0-9]+``, 64 bits) in every table and are
never read through a float.

Either may also hold synapses and mitochondria (``synapses.csv``,
``synapse-connections.csv``, ``mitochondria.csv``, ``closest-mitochondria.csv``; all
optional, read by :mod:`neuprint_dsl.embedded.synapse_export`).

The neuron table may carry any extra columns (``status``, ``pre``, ``post``, ``roiInfo`` as
JSON, ...); known neuPrint properties get their neuPrint types, others are inferred. Reading
is fast (pyarrow's multi-threaded CSV reader for the connection, synapse and mitochondrion
tables, typed pandas parsing where pyarrow cannot give pandas' answer, :func:`read_typed`);
when a value does not parse, a second pass with the ``csv`` module finds the first bad cell
so the error can name its line and column.

Example:
    >>> import tempfile
    >>> from neuprint_dsl.embedded.sample import generate_sample
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=2)
    ...     export = read_export(tmp)
    ...     len(export.neurons), len(export.total_connections)
    (30, 60)
"""

from __future__ import annotations

import csv
import json
import math
import mmap
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import attrs
import msgspec
import numpy as np
import pandas as pd

from ..errors import LoadError

LAYOUTS: dict[str, tuple[str, str, str]] = {
    "adjacencies": ("neurons.csv", "roi-connections.csv", "total-connections.csv"),
    "traced": ("traced-neurons.csv", "traced-roi-connections.csv", "traced-total-connections.csv"),
}

#: neuPrint's neuron properties and their kinds; other columns are inferred.
KNOWN_KINDS: dict[str, str] = {
    "bodyId": "int",
    "type": "str",
    "instance": "str",
    "status": "str",
    "statusLabel": "str",
    "cropped": "bool",
    "pre": "int",
    "post": "int",
    "downstream": "int",
    "upstream": "int",
    "mito": "int",
    "size": "int",
    "group": "int",
    "serial": "int",
    "somaRadius": "float",
    "somaLocation": "point",
    "tosomaLocation": "point",
    "rootLocation": "point",
    "roiInfo": "json",
    "cellBodyFiber": "str",
    "class": "str",
    "subclass": "str",
    "predictedNt": "str",
    "somaSide": "str",
    "notes": "str",
}
#: an integer cell, as every table reads it (surrounding spaces are stripped first)
_PLAIN_INT = re.compile(r"-?[0-9]+")
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_TRUE = frozenset({"true", "True", "TRUE", "1"})
_FALSE = frozenset({"false", "False", "FALSE", "0"})


@attrs.frozen
class Export:
    """A validated export: typed frames plus what was learned about the data."""

    directory: Path
    layout: str
    neurons: pd.DataFrame
    """one row per neuron; typed columns (see :attr:`kinds`)"""
    kinds: dict[str, str]
    """neuron property -> kind (int, float, bool, str, point, json)"""
    roi_connections: pd.DataFrame
    """``bodyId_pre``, ``bodyId_post``, ``roi``, ``weight`` (int64)"""
    total_connections: pd.DataFrame
    """``bodyId_pre``, ``bodyId_post``, ``weight`` and, if the file has it, ``weightHP``"""
    meta: dict[str, Any]
    """``meta.json`` if the directory has one, else ``{}``"""
    synapses: pd.DataFrame | None = None
    """``id, bodyId, type, confidence, x, y, z, roi, rois``; ``None`` without
    ``synapses.csv`` (see :class:`~neuprint_dsl.embedded.synapse_export.SynapseData`)"""
    synapse_connections: pd.DataFrame | None = None
    """``pre_id, post_id`` (synapse ids); ``None`` without ``synapse-connections.csv``"""
    mitochondria: pd.DataFrame | None = None
    """``id, bodyId, mitoType, size, x, y, z, r0, r1, r2, roi, rois``; ``None`` without
    ``mitochondria.csv``"""
    closest_mitochondria: pd.DataFrame | None = None
    """``synapse_id, mito_id, distance``; ``None`` without ``closest-mitochondria.csv``"""
    synapse_rois: tuple[str, ...] = ()
    """every ROI named in the synapse and mitochondrion files, with its ancestors"""
    has_roi_weights: bool = True
    """``False`` for an export without its per-ROI file (``roi-connections.csv``):
    :attr:`roi_connections` is then empty and per-ROI connection weights are unknown"""


def find_layout(directory: Path) -> tuple[str, tuple[Path, Path, Path]]:
    """Which export layout ``directory`` holds, and its three files (the per-ROI file, the
    second, may be absent: an export of total weights only)."""
    if not directory.is_dir():
        raise LoadError(str(directory), "not a directory")
    for layout, names in LAYOUTS.items():
        paths = tuple(directory / n for n in names)
        if any(p.exists() for p in paths):
            missing = [p.name for i, p in enumerate(paths) if i != 1 and not p.is_file()]
            if missing:
                raise LoadError(
                    str(directory), f"incomplete {layout} export: missing {', '.join(missing)}"
                )
            return layout, paths  # type: ignore[return-value]
    expected = " or ".join(", ".join(n) for n in LAYOUTS.values())
    raise LoadError(str(directory), f"no neuPrint export found; expected {expected}")


def read_export(directory: str | Path) -> Export:
    """Read and validate an export directory (see the module docstring)."""
    root = Path(directory)
    layout, (neurons_path, roi_path, total_path) = find_layout(root)
    neurons, kinds = read_neurons(neurons_path)
    has_roi_weights = roi_path.exists()
    if has_roi_weights:
        roi = _read_table(
            roi_path,
            {"bodyId_pre": "int", "bodyId_post": "int", "roi": "str", "weight": "int"},
        )
    else:  # no per-ROI weights: the database says so, and per-ROI questions are refused
        roi = pd.DataFrame(
            {
                "bodyId_pre": pd.Series([], dtype="int64"),
                "bodyId_post": pd.Series([], dtype="int64"),
                "roi": pd.Series([], dtype="category"),
                "weight": pd.Series([], dtype="int64"),
            }
        )
    total = _read_table(
        total_path,
        {"bodyId_pre": "int", "bodyId_post": "int", "weight": "int"},
        optional={"weightHP": "int"},
    )
    pairs = _check_connections(total_path, total, roi_path, roi)
    meta: dict[str, Any] = {}
    meta_path = root / "meta.json"
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise LoadError(str(meta_path), f"not valid JSON: {err}") from None
        if not isinstance(meta, dict):
            raise LoadError(str(meta_path), "must hold a JSON object")
    threshold = meta.get("postHighAccuracyThreshold", 0.0)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not 0 <= threshold <= 1
    ):
        raise LoadError(
            str(meta_path), "postHighAccuracyThreshold must be a number between 0 and 1"
        )
    from .synapse_export import SYNAPSE_FILES, RoiRules, SynapseData, read_synapse_files

    if "primaryRois" in meta:
        rules = RoiRules.from_meta(meta, (), str(meta_path))
        _check_primary_rois(rules, meta_path, neurons_path, neurons, roi_path, roi, total, pairs)

    objects = SynapseData()
    if any((root / name).is_file() for name in SYNAPSE_FILES):
        fallback = sorted(str(r) for r in roi["roi"].unique().tolist())
        rules = RoiRules.from_meta(meta, fallback, str(meta_path))
        objects = read_synapse_files(root, rules)
    return Export(
        root,
        layout,
        neurons,
        kinds,
        roi,
        total,
        meta,
        objects.synapses,
        objects.synapse_connections,
        objects.mitochondria,
        objects.closest_mitochondria,
        objects.rois_seen,
        has_roi_weights,
    )


# ---------------------------------------------------------------------------------------
# neurons


def read_neurons(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The neuron table with typed columns, and each column's kind."""
    header = _header(path)
    if "bodyId" not in header:
        raise LoadError(str(path), f"missing column 'bodyId' (found {', '.join(header)})", 1)
    raw = _read_strings(path, header)
    short = _first_bad_cell(path, header, {}, short_only=True)
    if short is not None:  # pandas reads the missing fields as empty cells
        raise short
    kinds: dict[str, str] = {}
    columns: dict[str, Any] = {}
    for name in header:
        kind = KNOWN_KINDS.get(name) or _infer_kind(raw[name])
        kinds[name] = kind
        columns[name] = _convert(path, raw, name, kind)
    frame = pd.DataFrame(columns)
    if frame["bodyId"].isna().any():
        row = int(np.flatnonzero(frame["bodyId"].isna().to_numpy())[0])
        raise LoadError(str(path), "bodyId is empty", _line(path, row), "bodyId")
    frame["bodyId"] = frame["bodyId"].astype("int64")
    duplicated = frame["bodyId"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        body = int(frame["bodyId"].iloc[row])
        raise LoadError(str(path), f"bodyId {body} appears twice", _line(path, row), "bodyId")
    return frame, kinds


def _infer_kind(values: pd.Series) -> str:
    present = values.dropna()
    if present.empty:
        return "str"
    if present.isin(_TRUE | _FALSE).all() and not present.isin({"0", "1"}).all():
        return "bool"
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        as_int = present.str.fullmatch(r"\s*-?[0-9]+\s*").all()
        return "int" if as_int else "float"
    return "str"


def _convert(path: Path, raw: pd.DataFrame, name: str, kind: str) -> Any:
    values = raw[name]
    if kind == "str":
        return values.astype(object).where(values.notna(), None)
    if kind == "int":
        return _numbers(path, values, name, integer=True)
    if kind == "float":
        return _numbers(path, values, name, integer=False)
    if kind == "bool":
        return _cells(path, values, name, _parse_bool, "a boolean (True/False)")
    if kind == "point":
        return _cells(path, values, name, _parse_point, "a point [x, y, z]")
    if kind == "json":
        return _cells(path, values, name, _parse_roi_info, "a roiInfo JSON object")
    raise AssertionError(kind)


def _numbers(path: Path, values: pd.Series, name: str, *, integer: bool) -> pd.Series:
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if integer:
        bad |= values.notna() & ~values.fillna("0").str.fullmatch(r"\s*-?[0-9]+\s*")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        what = "an integer" if integer else "a number"
        raise LoadError(str(path), f"{values.iloc[row]!r} is not {what}", _line(path, row), name)
    if integer:
        present = values.notna()
        too_big = present & values.fillna("0").str.strip().str.lstrip("-").str.len().ge(19)
        for position in np.flatnonzero(too_big.to_numpy()).tolist():
            if not -(2**63) <= int(values.iloc[position]) < 2**63:
                raise LoadError(
                    str(path),
                    f"{values.iloc[position].strip()} does not fit in 64 bits",
                    _line(path, position),
                    name,
                )
        if present.all():
            return values.str.strip().astype("int64")
        # built from Python ints: assigning into an Int64 series goes through float64,
        # which rounds values above 2**53 (and refuses 2**63-1)
        exact = [int(v) if isinstance(v, str) else None for v in values.tolist()]
        return pd.Series(pd.array(exact, dtype="Int64"), index=values.index)
    return parsed.astype("float64")


def _cells(
    path: Path, values: pd.Series, name: str, parse: Callable[[str], Any], what: str
) -> list[Any]:
    out: list[Any] = []
    for row, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(None)
            continue
        try:
            out.append(parse(value))
        except (ValueError, TypeError, OverflowError) as err:
            raise LoadError(
                str(path), f"{value[:60]!r} is not {what} ({err})", _line(path, row), name
            ) from None
    return out


def _parse_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected True or False")


def _parse_point(text: str) -> list[float]:
    value = json.loads(text)
    if isinstance(value, dict):  # neuPrint's {"coordinates": [x, y, z], ...}
        value = value.get("coordinates")
    if not (isinstance(value, list) and len(value) == 3):
        raise ValueError("expected three coordinates")
    return [float(v) for v in value]


#: the usual roiInfo, decoded strictly (3.3x faster than json.loads): any other text (a
#: float or bool count, a count outside 64 bits) takes the checking path
_ROI_INFO = msgspec.json.Decoder(
    dict[str, dict[str, Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]]]
)


def _parse_roi_info(text: str) -> dict[str, dict[str, int]]:
    try:
        fast: dict[str, dict[str, int]] = _ROI_INFO.decode(text)
        return fast
    except msgspec.DecodeError:
        pass
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    # the usual case, checked fast: every count a plain int, none of 19 digits or more
    if (
        all(type(counts) is dict for counts in value.values())
        and {type(n) for counts in value.values() for n in counts.values()} <= {int}
        and _LONG_DIGITS.search(text) is None
    ):
        return value
    out: dict[str, dict[str, int]] = {}
    for roi, counts in value.items():
        if not isinstance(counts, dict):
            raise ValueError(f"counts of ROI {roi!r} must be an object")
        clean: dict[str, int] = {}
        for key, count in counts.items():
            if (
                isinstance(count, bool)
                or not isinstance(count, (int, float))
                or not math.isfinite(count)
                or count != int(count)
                or not -(2**63) <= int(count) < 2**63
            ):
                raise ValueError(f"count {key!r} of ROI {roi!r} must be an integer")
            clean[key] = int(count)
        out[roi] = clean
    return out


# ---------------------------------------------------------------------------------------
# connection tables


def _read_table(
    path: Path, columns: dict[str, str], optional: dict[str, str] | None = None
) -> pd.DataFrame:
    header = _header(path)
    missing = [c for c in columns if c not in header]
    columns = {**columns, **{c: k for c, k in (optional or {}).items() if c in header}}
    if missing:
        raise LoadError(
            str(path),
            f"missing column {', '.join(map(repr, missing))} (found {', '.join(header)})",
            1,
        )
    frame = read_typed(path, header, columns)
    for name, kind in columns.items():
        if kind == "str" and frame[name].isna().any():
            row = int(np.flatnonzero(frame[name].isna().to_numpy())[0])
            raise LoadError(str(path), "empty value", _line(path, row), name)
        if name in ("weight", "weightHP") and (frame[name] < 0).any():
            row = int(np.flatnonzero((frame[name] < 0).to_numpy())[0])
            raise LoadError(str(path), "weight must not be negative", _line(path, row), name)
    return frame[list(columns)]


def read_typed(path: Path, header: Sequence[str], columns: dict[str, str]) -> pd.DataFrame:
    """The typed table of ``path``: ``int`` columns int64 (plain integers only), ``float``
    float64, any other kind a category (empty cells missing); every column of ``header`` is
    read, so a row with a field too many or too few fails. The CSV is parsed by pyarrow's
    multi-threaded reader; when that reader refuses the file or reads a value pandas would
    not (a missing or non-finite number), pandas reads it again and the first bad cell is
    found by a slow pass that names its line and column (:func:`_find_bad_cell`).

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
        raise _find_bad_cell(path, header, columns) from None
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
            out[name] = values
        else:  # a category, its values sorted as pandas sorts them
            series = column.to_pandas()
            if not isinstance(series.dtype, pd.CategoricalDtype):  # an empty table
                series = series.astype("category")
            out[name] = series.cat.set_categories(sorted(series.cat.categories))
    return pd.DataFrame(out)


def _find_bad_cell(path: Path, header: Sequence[str], columns: dict[str, str]) -> LoadError:
    """The first cell pandas could not parse, found by a second, slow pass (the error path
    only): a row of the wrong length, an ``int`` column's non-integer or out-of-range value,
    a ``float`` column's non-number (finite numbers only; an empty cell passes)."""
    return _first_bad_cell(path, header, columns) or LoadError(
        str(path), "the file could not be parsed as CSV"
    )


def _first_bad_cell(
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
    bad = _first_bad_cell(path, header, ints)
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


@attrs.frozen
class _Pairs:
    """Where each per-ROI row's connection is among the connections sorted by pair:
    ``at[i]`` is the position in ``order`` (the sorting permutation of the total table)."""

    order: np.ndarray
    at: np.ndarray


def _check_connections(
    total_path: Path, total: pd.DataFrame, roi_path: Path, roi: pd.DataFrame
) -> _Pairs:
    """Refuse a connection listed twice, a per-ROI row whose connection is not in the total
    table, and a connection and ROI listed twice; each error names the first such row. The
    pairs are numbered densely (body ranks) and compared as one int64 key: sorts and binary
    searches over numpy arrays (5.8 s -> about 1 s at 3,000,000 connections)."""
    pre = total["bodyId_pre"].to_numpy(dtype=np.int64)
    post = total["bodyId_post"].to_numpy(dtype=np.int64)
    bodies = np.unique(np.concatenate((pre, post)))
    width = max(len(bodies), 1)
    keys = np.searchsorted(bodies, pre) * width + np.searchsorted(bodies, post)
    order = _sort_order(keys)
    ordered = keys if order is None else keys[order]
    again = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1  # every later copy of a pair
    if again.size:
        row = int(again.min() if order is None else order[again].min())
        raise LoadError(str(total_path), "this connection appears twice", _line(total_path, row))
    del keys
    roi_pre = roi["bodyId_pre"].to_numpy(dtype=np.int64)
    roi_post = roi["bodyId_post"].to_numpy(dtype=np.int64)
    rank_pre, rank_post = _rank(bodies, roi_pre), _rank(bodies, roi_post)
    roi_keys = np.where((rank_pre >= 0) & (rank_post >= 0), rank_pre * width + rank_post, -1)
    del rank_pre, rank_post
    at = np.searchsorted(ordered, roi_keys)
    at[at == ordered.size] = 0
    orphan = roi_keys != ordered[at] if ordered.size else np.ones(roi_keys.shape, np.bool_)
    if orphan.any():
        row = int(np.flatnonzero(orphan)[0])
        raise LoadError(
            str(roi_path),
            f"connection {int(roi_pre[row])} -> {int(roi_post[row])} is not in {total_path.name}",
            _line(roi_path, row),
        )
    # self-connections are legal in neuPrint (autapses)
    codes = _category_codes(roi["roi"])
    names = max(int(codes.max()) + 1, 1) if codes.size else 1
    cells = at.astype(np.int64) * names + codes
    cell_order = _sort_order(cells)
    cells = cells if cell_order is None else cells[cell_order]
    again = np.flatnonzero(cells[1:] == cells[:-1]) + 1
    if again.size:
        row = int(again.min() if cell_order is None else cell_order[again].min())
        raise LoadError(str(roi_path), "this connection and ROI appear twice", _line(roi_path, row))
    return _Pairs(np.arange(len(pre)) if order is None else order, at)


def _rank(bodies: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's position in ``bodies`` (sorted), or -1 if absent."""
    if bodies.size == 0:
        return np.full(values.shape, -1, np.int64)
    rank = np.searchsorted(bodies, values)
    rank[rank == bodies.size] = 0
    found: np.ndarray = np.where(bodies[rank] == values, rank, -1).astype(np.int64)
    return found


def _sort_order(keys: np.ndarray) -> np.ndarray | None:
    """A stable order sorting ``keys``, or ``None`` if they already are (exports usually
    list rows in order: one linear check instead of a sort)."""
    if keys.size < 2 or bool((keys[1:] >= keys[:-1]).all()):
        return None
    found: np.ndarray = np.argsort(keys, kind="stable")
    return found


def _category_codes(values: pd.Series) -> np.ndarray:
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object).astype("category")
    codes: np.ndarray = values.cat.codes.to_numpy().astype(np.int64)
    return codes


def _check_primary_rois(
    rules: Any,
    meta_path: Path,
    neurons_path: Path,
    neurons: pd.DataFrame,
    roi_path: Path,
    roi: pd.DataFrame,
    total: pd.DataFrame,
    pairs: _Pairs,
) -> None:
    """Refuse primary ROIs that overlap (neuPrint's primary ROIs partition the brain: an
    overlap counts synapses twice, and the ``NotPrimary`` rest would come out negative): one
    inside another in ``roiHierarchy``, or counts in the primary ROIs that add up to more than
    the total, for a connection or a neuron."""
    primary = rules.primary
    for name in sorted(primary):
        inside = [a for a in rules.ancestors(name) if a in primary]
        if inside:
            raise LoadError(
                str(meta_path),
                f"primaryRois overlap: {name!r} lies inside {inside[-1]!r} in roiHierarchy; "
                "primary ROIs must not contain one another",
            )
    chosen = np.flatnonzero(roi["roi"].isin(list(primary)).to_numpy())
    if chosen.size:  # each connection's weight in the primary ROIs, against its total
        slot = pairs.at[chosen]
        weight = roi["weight"].to_numpy(dtype=np.int64)
        sums = np.zeros(len(pairs.order), dtype=np.int64)
        np.add.at(sums, slot, weight[chosen])
        totals = total["weight"].to_numpy(dtype=np.int64)[pairs.order]
        bad = np.flatnonzero((sums > totals)[slot])
        if bad.size:  # the connection whose first primary row comes first
            first = int(chosen[bad[0]])
            mine = chosen[slot == slot[bad[0]]]
            names = ", ".join(sorted(str(r) for r in roi["roi"].iloc[mine].tolist()))
            pre, post = roi["bodyId_pre"].iloc[first], roi["bodyId_post"].iloc[first]
            raise LoadError(
                str(roi_path),
                f"primaryRois overlap: connection {pre} -> {post} has weight "
                f"{int(sums[slot[bad[0]]])} in the primary ROIs {names}, more than its total "
                f"weight {int(totals[slot[bad[0]]])}",
                _line(roi_path, first),
            )
    if "roiInfo" not in neurons.columns:
        return
    for count in ("pre", "post"):
        if count not in neurons.columns:
            continue
        for row, (info, whole) in enumerate(
            zip(neurons["roiInfo"].tolist(), neurons[count].tolist(), strict=True)
        ):
            if not isinstance(info, dict) or whole is None or pd.isna(whole):
                continue
            counted = sum([int(c.get(count) or 0) for r, c in info.items() if r in primary])
            if counted > int(whole):  # the names only for the error (a sort per row cost 2 s)
                named = sorted(r for r in info if r in primary and info[r].get(count))
                raise LoadError(
                    str(neurons_path),
                    f"primaryRois overlap: bodyId {neurons['bodyId'].iloc[row]} has {count} "
                    f"{counted} in the primary ROIs {', '.join(named)}, more than its {count} "
                    f"{int(whole)}",
                    _line(neurons_path, row),
                    "roiInfo",
                )


# ---------------------------------------------------------------------------------------
# helpers


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


def _header(path: Path) -> list[str]:
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


def _read_strings(path: Path, header: list[str]) -> pd.DataFrame:
    try:
        # index_col=False: a trailing comma must not turn the first column into an index
        return read_csv(path, dtype=str, keep_default_na=False, na_values=[""], index_col=False)
    except LoadError:  # a byte that is not UTF-8
        raise
    except (ValueError, pd.errors.ParserError) as err:
        bad = _find_bad_cell(path, header, {})
        raise bad from err


def _line(path: Path, row: int) -> int:
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
