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
JSON, ...); known neuPrint properties (:data:`~neuprint_dsl.embedded.tables.NEURON_KINDS`)
get their neuPrint types, others are inferred. The files and their columns are those of
:mod:`neuprint_dsl.embedded.tables`; the CSV reading itself (pyarrow's multi-threaded reader
where it gives pandas' answer, exact errors) is :mod:`neuprint_dsl.embedded.csv_files`.

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

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import attrs
import msgspec
import numpy as np
import pandas as pd

from ..errors import LoadError
from .csv_files import first_bad_cell, line_of, read_columns, read_header, read_strings
from .synapse_export import RoiRules, SynapseData, read_synapse_files
from .tables import (
    LAYOUTS,
    NEURON_KINDS,
    ROI_CONNECTION_COLUMNS,
    SYNAPSE_FILES,
    TOTAL_CONNECTION_COLUMNS,
    TOTAL_CONNECTION_OPTIONAL,
)

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
        roi = _read_table(roi_path, ROI_CONNECTION_COLUMNS)
    else:  # no per-ROI weights: the database says so, and per-ROI questions are refused
        roi = pd.DataFrame(
            {
                "bodyId_pre": pd.Series([], dtype="int64"),
                "bodyId_post": pd.Series([], dtype="int64"),
                "roi": pd.Series([], dtype="category"),
                "weight": pd.Series([], dtype="int64"),
            }
        )
    total = _read_table(total_path, TOTAL_CONNECTION_COLUMNS, TOTAL_CONNECTION_OPTIONAL)
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
    header = read_header(path)
    if "bodyId" not in header:
        raise LoadError(str(path), f"missing column 'bodyId' (found {', '.join(header)})", 1)
    raw = read_strings(path, header)
    short = first_bad_cell(path, header, {}, short_only=True)
    if short is not None:  # pandas reads the missing fields as empty cells
        raise short
    kinds: dict[str, str] = {}
    columns: dict[str, Any] = {}
    for name in header:
        kind = NEURON_KINDS.get(name) or _infer_kind(raw[name])
        kinds[name] = kind
        columns[name] = _convert(path, raw, name, kind)
    # the parsed roiInfo (a few hundred MB of dicts at 25,000 neurons) in a block of its own:
    # in one block with the other object columns, deleting the column (as the load does
    # before its big copies) would keep every dict alive
    frame = pd.DataFrame({n: v for n, v in columns.items() if kinds[n] != "json"})
    for position, name in enumerate(header):
        if kinds[name] == "json":
            frame.insert(position, name, pd.Series(columns[name], dtype=object))
    if frame["bodyId"].isna().any():
        row = int(np.flatnonzero(frame["bodyId"].isna().to_numpy())[0])
        raise LoadError(str(path), "bodyId is empty", line_of(path, row), "bodyId")
    frame["bodyId"] = frame["bodyId"].astype("int64")
    duplicated = frame["bodyId"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        body = int(frame["bodyId"].iloc[row])
        raise LoadError(str(path), f"bodyId {body} appears twice", line_of(path, row), "bodyId")
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
        raise LoadError(str(path), f"{values.iloc[row]!r} is not {what}", line_of(path, row), name)
    if integer:
        present = values.notna()
        too_big = present & values.fillna("0").str.strip().str.lstrip("-").str.len().ge(19)
        for position in np.flatnonzero(too_big.to_numpy()).tolist():
            if not -(2**63) <= int(values.iloc[position]) < 2**63:
                raise LoadError(
                    str(path),
                    f"{values.iloc[position].strip()} does not fit in 64 bits",
                    line_of(path, position),
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
                str(path), f"{value[:60]!r} is not {what} ({err})", line_of(path, row), name
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
    path: Path, columns: Mapping[str, str], optional: Mapping[str, str] | None = None
) -> pd.DataFrame:
    frame = read_columns(path, columns, optional)
    for name in frame.columns:
        if columns.get(name) == "str" and frame[name].isna().any():
            row = int(np.flatnonzero(frame[name].isna().to_numpy())[0])
            raise LoadError(str(path), "empty value", line_of(path, row), name)
        if name in ("weight", "weightHP") and (frame[name] < 0).any():
            row = int(np.flatnonzero((frame[name] < 0).to_numpy())[0])
            raise LoadError(str(path), "weight must not be negative", line_of(path, row), name)
    return frame


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
        raise LoadError(str(total_path), "this connection appears twice", line_of(total_path, row))
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
            line_of(roi_path, row),
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
        raise LoadError(
            str(roi_path), "this connection and ROI appear twice", line_of(roi_path, row)
        )
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
                line_of(roi_path, first),
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
                    line_of(neurons_path, row),
                    "roiInfo",
                )
