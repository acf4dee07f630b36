"""Building an embedded Ladybug database from a validated export.

Schema (DESIGN section 8, adapted to what Ladybug can do):

* ``Neuron`` and ``Segment`` node tables with the same columns: ``bodyId`` (primary key), one
  typed column per neuron property, ``roiCounts MAP(STRING, STRUCT(pre INT64, post INT64))``
  and ``roiInfo`` (the JSON text, for display). Bodies that appear only in connections are
  ``Segment`` rows; neuPrint's ``:Segment`` is the union of both tables.
* ``ConnectsTo`` (``weight``, ``weightHP`` when the export has it) and ``ConnectsToRoi`` (``roi``, ``weight``: one row per
  connection and ROI) between any two of those tables.
* ``Meta``: key/value rows (JSON values): dataset, ROIs, primary ROIs, ROI hierarchy, the
  neuron property kinds, and whether the data are synthetic.

Two departures from the design's first draft, both forced by the engine: ROI membership is
read from the ``roiCounts`` MAP instead of one boolean column per ROI, because Ladybug's
column names are case-insensitive and hemibrain has ROIs that differ only by case (``AL(R)``
and ``aL(R)``); and per-ROI connection weights are rows of ``ConnectsToRoi`` instead of a MAP
on ``ConnectsTo``, which loads about five times slower at 3 million connections.

Every load is all-or-nothing: the database is built in a temporary file next to the target
and renamed into place only when complete, so a failed load leaves the target as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LoadError
from .export import NOT_PRIMARY, Export

Progress = Callable[[str, int, int], None]

_COLUMN_TYPES = {
    "str": "STRING",
    "int": "INT64",
    "float": "DOUBLE",
    "bool": "BOOL",
    "point": "DOUBLE[]",
    "list": "STRING[]",
}
#: columns the engine itself defines on every body
RESERVED_COLUMNS = frozenset({"bodyid", "roicounts", "roiinfo", "_id", "_label"})
#: Ladybug reserves 8 TiB of address space per database by default; a process that opens
#: many databases (tests, servers) runs out of it. 64 GiB is far above any connectome's size.
MAX_DB_SIZE = 1 << 36
PAIRS = (("Neuron", "Neuron"), ("Neuron", "Segment"), ("Segment", "Neuron"), ("Segment", "Segment"))


def build_database(
    export: Export,
    path: str | Path,
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Build (or replace) the database at ``path`` from ``export``, all or nothing.

    Returns the database path. Raises :class:`~neuprint_dsl.errors.LoadError` for data the
    engine cannot hold; the file at ``path`` is untouched unless the whole load succeeded.
    """
    import ladybug

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, done, total: None)
    properties = _property_columns(export)
    neurons, segments = _node_frames(export, properties)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.unlink(tmp_name)  # Ladybug creates the file itself
    tmp = Path(tmp_name)
    try:
        db = ladybug.Database(str(tmp), max_db_size=MAX_DB_SIZE)
        try:
            conn = ladybug.Connection(db)
            _create_schema(conn, properties)
            report("neurons", 0, 3)
            _copy_nodes(conn, "Neuron", neurons, properties)
            _copy_nodes(conn, "Segment", segments, properties)
            report("connections", 1, 3)
            tables = _tables_of(neurons, segments)
            total = export.total_connections
            if "weightHP" not in total.columns:  # absent: null (a float NaN column loads as null)
                total = total.assign(weightHP=np.nan)
            _copy_edges(conn, "ConnectsTo", total, ["weight", "weightHP"], tables)
            report("roi connections", 2, 3)
            _copy_edges(conn, "ConnectsToRoi", export.roi_connections, ["roi", "weight"], tables)
            _write_meta(conn, export, properties, dataset)
            report("done", 3, 3)
            conn.close()
        finally:
            db.close()
        os.replace(tmp, target)  # atomic: the old database stays whole until this moment
        _remove_side_files(target)  # a stale write-ahead log of the old database must go
    except RuntimeError as err:  # the engine refused something validation did not catch
        raise LoadError(
            str(export.directory), f"the embedded engine refused the data: {err}"
        ) from None
    finally:
        _remove_side_files(tmp)
        tmp.unlink(missing_ok=True)
    return target


# ---------------------------------------------------------------------------------------
# schema


def _property_columns(export: Export) -> dict[str, str]:
    """Neuron property -> kind for every column to create (roiInfo handled separately)."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, kind in export.kinds.items():
        if name in ("bodyId", "roiInfo"):
            continue
        folded = name.lower()
        if folded in RESERVED_COLUMNS:
            raise LoadError(
                str(export.directory / _neuron_file(export)),
                f"column {name!r} clashes with a column the embedded engine defines",
                1,
                name,
            )
        if folded in seen:
            raise LoadError(
                str(export.directory / _neuron_file(export)),
                f"columns {seen[folded]!r} and {name!r} differ only by case, which the "
                "embedded engine cannot tell apart",
                1,
                name,
            )
        seen[folded] = name
        out[name] = kind
    return out


def _neuron_file(export: Export) -> str:
    return "traced-neurons.csv" if export.layout == "traced" else "neurons.csv"


def _identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _create_schema(conn: Any, properties: dict[str, str]) -> None:
    columns = ", ".join(f"{_identifier(n)} {_COLUMN_TYPES[k]}" for n, k in properties.items())
    body = "bodyId INT64 PRIMARY KEY" + (f", {columns}" if columns else "")
    roi = "roiCounts MAP(STRING, STRUCT(pre INT64, post INT64)), roiInfo STRING"
    for table in ("Neuron", "Segment"):
        conn.execute(f"CREATE NODE TABLE {table}({body}, {roi})")
    pairs = ", ".join(f"FROM {a} TO {b}" for a, b in PAIRS)
    conn.execute(f"CREATE REL TABLE ConnectsTo({pairs}, weight INT64, weightHP INT64)")
    conn.execute(f"CREATE REL TABLE ConnectsToRoi({pairs}, roi STRING, weight INT64)")
    conn.execute("CREATE NODE TABLE Meta(key STRING PRIMARY KEY, value STRING)")


# ---------------------------------------------------------------------------------------
# nodes


def _node_frames(export: Export, properties: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    neurons = export.neurons
    roi_info = _roi_info(export)
    frame = pd.DataFrame({"bodyId": neurons["bodyId"].to_numpy(dtype=np.int64)})
    for name, kind in properties.items():
        frame[name] = _engine_column(neurons[name], kind)
    keys, pre, post, text = _roi_columns(roi_info)
    frame["roiKeys"], frame["roiPre"], frame["roiPost"], frame["roiInfo"] = keys, pre, post, text
    known = set(frame["bodyId"].tolist())
    ends = pd.concat(
        [export.total_connections["bodyId_pre"], export.total_connections["bodyId_post"]]
    ).unique()
    others = np.sort(np.array([b for b in ends.tolist() if b not in known], dtype=np.int64))
    segments = pd.DataFrame({"bodyId": others})
    for name, kind in properties.items():
        segments[name] = _engine_column(pd.Series([None] * len(others), dtype=object), kind)
    derived = _derived_roi_info(export)
    keys, pre, post, text = _roi_columns([derived.get(b, {}) for b in others.tolist()])
    segments["roiKeys"], segments["roiPre"], segments["roiPost"] = keys, pre, post
    segments["roiInfo"] = text
    return frame, segments


def _engine_column(values: pd.Series, kind: str) -> Any:
    """Values in a form Ladybug's DataFrame scan reads correctly (no nullable dtypes)."""
    if kind == "int":  # Python ints and None: float64 would lose precision near 2**63
        if not values.isna().any():
            return values.astype("int64")
        return pd.Series([None if pd.isna(v) else int(v) for v in values], dtype=object)
    if kind == "float":
        return values.astype("float64")
    return values.astype(object).where(values.notna(), None)


def _roi_info(export: Export) -> list[dict[str, dict[str, int]]]:
    if "roiInfo" in export.neurons.columns:
        return [v if isinstance(v, dict) else {} for v in export.neurons["roiInfo"].tolist()]
    derived = _derived_roi_info(export)
    return [derived.get(b, {}) for b in export.neurons["bodyId"].tolist()]


def _derived_roi_info(export: Export) -> dict[int, dict[str, dict[str, int]]]:
    """Per-body ROI counts from the connections, for exports without ``roiInfo``:
    ``post`` is the incoming weight in the ROI, ``downstream`` the outgoing weight (T-bar
    counts, ``pre``, are not in an export and stay absent)."""
    rows = export.roi_connections[export.roi_connections["roi"] != NOT_PRIMARY]
    out: dict[int, dict[str, dict[str, int]]] = {}
    for column, key in (("bodyId_post", "post"), ("bodyId_pre", "downstream")):
        sums = rows.groupby([column, "roi"], sort=True, as_index=False)["weight"].sum()
        for body, roi, weight in sums.itertuples(index=False, name=None):
            out.setdefault(int(body), {}).setdefault(str(roi), {})[key] = int(weight)
    return out


def _roi_columns(
    roi_info: list[dict[str, dict[str, int]]],
) -> tuple[list[list[str]], list[list[Any]], list[list[Any]], list[str]]:
    keys, pre, post, text = [], [], [], []
    for info in roi_info:
        names = list(info)
        keys.append(names)
        pre.append([info[n].get("pre") for n in names])
        post.append([info[n].get("post") for n in names])
        text.append(json.dumps(info, sort_keys=True, separators=(",", ":")))
    return keys, pre, post, text


def _copy_nodes(conn: Any, table: str, frame: pd.DataFrame, properties: dict[str, str]) -> None:
    if frame.empty:
        return
    names = ["bodyId", *properties]
    data = frame[[*names, "roiKeys", "roiPre", "roiPost", "roiInfo"]].copy()
    data.columns = [f"c{i}" for i in range(len(names))] + [
        "roiKeys",
        "roiPre",
        "roiPost",
        "roiInfo",
    ]
    kinds = ["int", *properties.values()]
    select = ", ".join(f"CAST(c{i} AS {_COLUMN_TYPES[k]})" for i, k in enumerate(kinds))
    roi_map = (
        "map(CAST(roiKeys AS STRING[]), list_transform(range(1, size(roiKeys)), "
        "i -> {pre: CAST(roiPre[i] AS INT64), post: CAST(roiPost[i] AS INT64)}))"
    )
    conn.execute(
        f"COPY {table} FROM (LOAD FROM $frame RETURN {select}, {roi_map}, CAST(roiInfo AS STRING))",
        {"frame": data},
    )


# ---------------------------------------------------------------------------------------
# edges


def _tables_of(neurons: pd.DataFrame, segments: pd.DataFrame) -> pd.Series:
    index = pd.Index(np.concatenate([neurons["bodyId"].to_numpy(), segments["bodyId"].to_numpy()]))
    labels = ["Neuron"] * len(neurons) + ["Segment"] * len(segments)
    return pd.Series(labels, index=index)


def _copy_edges(
    conn: Any, table: str, edges: pd.DataFrame, columns: list[str], tables: pd.Series
) -> None:
    pre = tables.reindex(edges["bodyId_pre"]).to_numpy()
    post = tables.reindex(edges["bodyId_post"]).to_numpy()
    for a, b in PAIRS:
        chosen = (pre == a) & (post == b)
        if not chosen.any():
            continue
        part = edges.loc[chosen, ["bodyId_pre", "bodyId_post", *columns]].reset_index(drop=True)
        conn.execute(f"COPY {table} FROM $edges (from='{a}', to='{b}')", {"edges": part})


# ---------------------------------------------------------------------------------------
# meta


def _write_meta(conn: Any, export: Export, properties: dict[str, str], dataset: str | None) -> None:
    meta = export.meta
    rois = sorted(
        {r for r in export.roi_connections["roi"].unique().tolist() if r != NOT_PRIMARY}
        | {r for info in _roi_info(export) for r in info}
        | set(meta.get("rois", []))
    )
    primary = meta.get("primaryRois") or sorted(
        r for r in export.roi_connections["roi"].unique().tolist() if r != NOT_PRIMARY
    )
    values = {
        "dataset": dataset or meta.get("dataset") or export.directory.name,
        "synthetic": bool(meta.get("synthetic", False)),
        "description": meta.get("description", ""),
        "rois": rois,
        "primaryRois": sorted(primary),
        "roiHierarchy": meta.get("roiHierarchy"),
        "neuronProperties": {"bodyId": "int", **properties},
        "source": str(export.directory),
        "layout": export.layout,
    }
    rows = pd.DataFrame(
        {"key": list(values), "value": [json.dumps(v, sort_keys=True) for v in values.values()]}
    )
    conn.execute("COPY Meta FROM $rows", {"rows": rows})


# ---------------------------------------------------------------------------------------
# files


def _remove_side_files(path: Path) -> None:
    """Delete the side files Ladybug keeps next to a database file (``.wal``, locks, ...)."""
    if not path.parent.is_dir():
        return
    prefix = path.name + "."
    for entry in path.parent.iterdir():
        if entry.name.startswith(prefix) and entry.is_file():
            entry.unlink()
