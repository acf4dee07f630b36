"""Building an embedded Ladybug database from a validated export.

Schema (DESIGN section 8, adapted to what Ladybug can do):

* ``Neuron`` and ``Segment`` node tables with the same columns: ``bodyId`` (primary key), one
  typed column per neuron property, one ``BOOL`` column per ROI (neuPrint's ROI properties),
  the per-ROI counts as three parallel lists ``roiNames``, ``roiPre``, ``roiPost``, and
  ``roiInfo`` (the JSON text, for display). Bodies that appear only in connections are
  ``Segment`` rows; neuPrint's ``:Segment`` is the union of both tables.
* ``ConnectsTo`` (``weight``, ``weightHP``) and ``ConnectsToRoi`` (``roi``, ``weight``,
  ``pre``: one row per connection and ROI, as neuPrint's ``ConnectsTo.roiInfo``: ``weight`` is
  its ``post``, ``pre`` its ``pre`` or NULL where the export cannot tell) between any two of
  those tables. Super-level ROIs missing from an export that has only primary rows are
  derived from their primary children (:func:`connection_roi_rows`).
* ``Synapse(id, bodyId, type, confidence, x, y, z, roi, rois)``: ``type`` is ``pre`` or
  ``post``, ``roi`` the synapse's primary ROI (NULL outside every primary ROI), ``rois`` the
  sorted list of every ROI containing it (super-level ROIs included; empty, not NULL, for a
  synapse in none).
* ``Mito(id, bodyId, mitoType, size, x, y, z, r0, r1, r2, roi, rois)``, ROIs as synapses.
* ``Contains`` from a body (``Neuron`` or ``Segment``) to each of its synapses and
  mitochondria; ``SynapsesTo`` from a pre to a post synapse; ``CloseTo(distance)`` from a
  synapse to the nearest mitochondrion of its body. These tables always exist (empty for an
  export without synapse files); bodies that appear only in synapse or mitochondrion files are
  ``Segment`` rows without ROI information.
* ``Meta``: key/value rows (JSON values): dataset, ROIs, primary ROIs, ROI hierarchy, the
  neuron property kinds, whether the data are synthetic, the row counts ``synapses``,
  ``synapsePairs``, ``mitochondria``, ``closeTo``, and ``postHighAccuracyThreshold``
  (``meta.json``'s value, else 0.0).

The full layout (``SCHEMA_VERSION`` 4)::

    Neuron / Segment(bodyId INT64 PRIMARY KEY, <property columns>, `roi:<name>` BOOL...,
                     roiNames STRING[], roiPre INT64[], roiPost INT64[], roiInfo STRING)
    ConnectsTo(FROM Neuron|Segment TO Neuron|Segment, weight INT64, weightHP INT64)
    ConnectsToRoi(FROM Neuron|Segment TO Neuron|Segment, roi STRING, weight INT64, pre INT64)
    Synapse(id INT64 PRIMARY KEY, bodyId INT64, type STRING, confidence DOUBLE,
            x INT64, y INT64, z INT64, roi STRING, rois STRING[])
    Mito(id INT64 PRIMARY KEY, bodyId INT64, mitoType STRING, size INT64, x INT64, y INT64,
         z INT64, r0 DOUBLE, r1 DOUBLE, r2 DOUBLE, roi STRING, rois STRING[])
    Contains(FROM Neuron|Segment TO Synapse|Mito)
    SynapsesTo(FROM Synapse TO Synapse)
    CloseTo(FROM Synapse TO Mito, distance DOUBLE)
    Meta(key STRING PRIMARY KEY, value STRING)

Ladybug's column names are case-insensitive, and hemibrain has ROIs that differ only by case
(``AL(R)`` the antennal lobe, ``aL(R)`` the alpha lobe), so an ROI's column name escapes its
capitals: :func:`roi_column` (``aL(R)`` -> ``roi:a^l(^r)``). Per-ROI connection weights are
rows of ``ConnectsToRoi`` rather than a MAP on ``ConnectsTo``, which loads about five times
slower at 3 million connections; per-ROI neuron counts are lists rather than a MAP, which
loads about fourteen times slower.

Every load is all-or-nothing: the database is built in a temporary file next to the target
(``.NAME.build-PID-TOKEN.tmp``, locked while the build runs; what a killed build left is
removed by the next load of that target) and renamed into place only when complete, so a
failed load leaves the target as it was. Next to the database, ``NAME.manifest.json`` records
every table's row count and the file's size and SHA-256 (:func:`verify_database`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cypher.dialects import roi_column
from ..errors import LoadError
from .export import Export
from .rois import NOT_PRIMARY, SUPER_ROI_CHILDREN

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: a build's liveness is its process id)
    fcntl = None  # type: ignore[assignment]

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
RESERVED_COLUMNS = frozenset(
    {"bodyid", "roinames", "roipre", "roipost", "roiinfo", "_id", "_label"}
)
#: Ladybug reserves 8 TiB of address space per database by default; a process that opens
#: many databases (tests, servers) runs out of it. 64 GiB is far above any connectome's size.
MAX_DB_SIZE = 1 << 36
#: The layout written by this version; databases of another layout must be reloaded.
SCHEMA_VERSION = 4
PAIRS = (("Neuron", "Neuron"), ("Neuron", "Segment"), ("Segment", "Neuron"), ("Segment", "Segment"))
#: the object tables: name, column types (in COPY order), and the export frame holding them
OBJECT_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "Synapse": (
        ("id", "INT64"),
        ("bodyId", "INT64"),
        ("type", "STRING"),
        ("confidence", "DOUBLE"),
        ("x", "INT64"),
        ("y", "INT64"),
        ("z", "INT64"),
        ("roi", "STRING"),
        ("rois", "STRING[]"),
    ),
    "Mito": (
        ("id", "INT64"),
        ("bodyId", "INT64"),
        ("mitoType", "STRING"),
        ("size", "INT64"),
        ("x", "INT64"),
        ("y", "INT64"),
        ("z", "INT64"),
        ("r0", "DOUBLE"),
        ("r1", "DOUBLE"),
        ("r2", "DOUBLE"),
        ("roi", "STRING"),
        ("rois", "STRING[]"),
    ),
}


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
    target = Path(path)
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, done, total: None)
    properties = _property_columns(export)
    rois = _all_rois(export)
    neurons, segments = _node_frames(export, properties, rois)
    roi_rows, roi_notes = connection_roi_rows(export, dataset)
    remove_stale_builds(target)
    tmp, owner = _claim_temp_file(target)
    try:
        conn = _Writer(tmp)
        try:
            _create_schema(conn, properties, rois)
            stages = 7
            report("neurons", 0, stages)
            _copy_nodes(conn, "Neuron", neurons, properties, rois)
            _copy_nodes(conn, "Segment", segments, properties, rois)
            report("connections", 1, stages)
            neuron_ids = np.sort(neurons["bodyId"].to_numpy())
            total = export.total_connections
            if "weightHP" not in total.columns:  # absent: null (a float NaN column loads as null)
                total = total.assign(weightHP=np.nan)
            _copy_edges(conn, "ConnectsTo", total, ["weight", "weightHP"], neuron_ids)
            report("roi connections", 2, stages)
            _copy_edges(conn, "ConnectsToRoi", roi_rows, ["roi", "weight", "pre"], neuron_ids)
            report("synapses", 3, stages)
            _copy_objects(conn, "Synapse", export.synapses, neuron_ids)
            report("synapse connections", 4, stages)
            if export.synapse_connections is not None:
                _copy_rel(conn, "SynapsesTo", export.synapse_connections)
            report("mitochondria", 5, stages)
            _copy_objects(conn, "Mito", export.mitochondria, neuron_ids)
            report("closest mitochondria", 6, stages)
            if export.closest_mitochondria is not None:
                _copy_rel(conn, "CloseTo", export.closest_mitochondria)
            counts = table_counts(conn)
            _write_meta(conn, export, properties, rois, dataset, counts, roi_notes)
            report("done", stages, stages)
        finally:
            conn.close()
        _write_manifest(tmp, target.name, counts)
        os.replace(tmp, target)  # atomic: the old database stays whole until this moment
        os.replace(manifest_path(tmp), manifest_path(target))
        _remove_side_files(target)  # a stale write-ahead log of the old database must go
    except RuntimeError as err:  # the engine refused something validation did not catch
        raise LoadError(
            str(export.directory), f"the embedded engine refused the data: {err}"
        ) from None
    finally:
        _remove_side_files(tmp)
        tmp.unlink(missing_ok=True)
        manifest_path(tmp).unlink(missing_ok=True)
        owner.close()
        Path(owner.name).unlink(missing_ok=True)
    return target


# ---------------------------------------------------------------------------------------
# the temporary file of a build, and the leftovers of killed builds


def _build_pattern(target: Path) -> re.Pattern[str]:
    """Names of the temporary files of builds of ``target``: ``.NAME.build-PID-TOKEN.tmp``,
    with Ladybug's side files and our ``.owner`` lock after it."""
    return re.compile(rf"\.{re.escape(target.name)}\.build-([0-9]+)-[0-9a-z]+\.tmp")


def _claim_temp_file(target: Path) -> tuple[Path, Any]:
    """A fresh temporary database path next to ``target`` and its owner file, created and
    locked (``flock``) for as long as the build runs: the lock tells other loads the build is
    alive; the kernel releases it when the process dies, however it dies."""
    while True:
        token = secrets.token_hex(4)
        tmp = target.with_name(f".{target.name}.build-{os.getpid()}-{token}.tmp")
        try:
            owner = open(f"{tmp}.owner", "x")  # noqa: SIM115 (held for the whole build)
        except FileExistsError:
            continue
        if fcntl is not None:
            fcntl.flock(owner.fileno(), fcntl.LOCK_EX)
        return tmp, owner


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or cannot tell: assume alive
    return True


def remove_stale_builds(target: str | Path) -> list[Path]:
    """Delete what killed builds of ``target`` left (``.NAME.build-PID-TOKEN.tmp`` and its
    side files): only files of that pattern, and only when their build is over (its owner lock
    is free and its process is gone). Returns the files removed.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     left = Path(tmp) / ".g.lbug.build-999999999-0a1b.tmp"
        ...     _ = left.write_bytes(b"half a database")
        ...     _ = (Path(tmp) / ".g.lbug.notes.tmp").write_text("not ours")
        ...     [p.name for p in remove_stale_builds(Path(tmp) / "g.lbug")]
        ...     sorted(p.name for p in Path(tmp).iterdir())
        ['.g.lbug.build-999999999-0a1b.tmp']
        ['.g.lbug.notes.tmp']
    """
    target = Path(target)
    pattern = _build_pattern(target)
    builds: dict[str, int] = {}
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = pattern.match(entry.name)
        if match is not None:
            builds[entry.name[: match.end()]] = int(match.group(1))
    removed: list[Path] = []
    for base, pid in sorted(builds.items()):
        tmp = target.with_name(base)
        owner_path = Path(f"{tmp}.owner")
        owner = None
        try:
            if owner_path.exists():
                owner = open(owner_path, "a")  # noqa: SIM115
                if fcntl is not None:
                    try:
                        fcntl.flock(owner.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        continue  # a build holds it: alive
            if _pid_alive(pid):
                continue
            mine = [*SIDE_FILE_SUFFIXES, MANIFEST_SUFFIX]
            for path in [tmp, *(tmp.with_name(tmp.name + s) for s in mine)]:
                if path.is_file():
                    path.unlink(missing_ok=True)
                    removed.append(path)
            if owner is not None:
                owner_path.unlink(missing_ok=True)
                removed.append(owner_path)
        except OSError:
            continue
        finally:
            if owner is not None:
                owner.close()
    return removed


def check_target(path: str | Path) -> None:
    """Refuse a database path that cannot become a database file, before any work: an
    existing directory, a path under a file, a folder that cannot be written.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     check_target(tmp)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.LoadError: ...: is a directory; name a database file inside it...
    """
    target = Path(path)
    if target.is_dir():
        raise LoadError(
            str(target),
            f"is a directory; name a database file inside it, e.g. {target / 'graph.lbug'}",
        )
    if target.exists() and not target.is_file():
        raise LoadError(str(target), "exists and is not a regular file")
    folder = target.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise LoadError(str(target), f"{folder} is a file, so no database can be created under it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise LoadError(str(target), f"cannot write in {folder}")


class _Writer:
    """The connection to the database being built, closed and reopened after every few
    million rows copied: Ladybug keeps memory from each COPY until its database closes
    (measured: 5 million synapses and their edges held 2.4 GB more in one session; reopening
    after each million rows keeps that flat, and is no slower)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending = 0
        self._open()

    def _open(self) -> None:
        import ladybug

        self.db = ladybug.Database(str(self.path), max_db_size=MAX_DB_SIZE)
        self.conn = ladybug.Connection(self.db)

    def execute(self, query: str, parameters: dict[str, Any] | None = None) -> Any:
        result = self.conn.execute(query, parameters or {})
        self.pending += sum(len(v) for v in (parameters or {}).values() if hasattr(v, "shape"))
        if self.pending >= REOPEN_ROWS:
            self.close()
            self._open()
            self.pending = 0
        return result

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            self.db.close()


#: rows copied between two reopenings of the database being built (see :class:`_Writer`)
REOPEN_ROWS = 1_000_000


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
        if folded in RESERVED_COLUMNS or folded.startswith("roi:"):
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


def _create_schema(conn: Any, properties: dict[str, str], rois: list[str]) -> None:
    columns = [f"{_identifier(n)} {_COLUMN_TYPES[k]}" for n, k in properties.items()]
    columns += [f"{_identifier(roi_column(r))} BOOL" for r in rois]
    columns += ["roiNames STRING[]", "roiPre INT64[]", "roiPost INT64[]", "roiInfo STRING"]
    body = ", ".join(["bodyId INT64 PRIMARY KEY", *columns])
    for table in ("Neuron", "Segment"):
        conn.execute(f"CREATE NODE TABLE {table}({body})")
    pairs = ", ".join(f"FROM {a} TO {b}" for a, b in PAIRS)
    conn.execute(f"CREATE REL TABLE ConnectsTo({pairs}, weight INT64, weightHP INT64)")
    conn.execute(f"CREATE REL TABLE ConnectsToRoi({pairs}, roi STRING, weight INT64, pre INT64)")
    for table, typed_columns in OBJECT_TABLES.items():
        typed = [f"{name} {kind}" for name, kind in typed_columns]
        typed[0] += " PRIMARY KEY"
        conn.execute(f"CREATE NODE TABLE {table}({', '.join(typed)})")
    contains = ", ".join(f"FROM {a} TO {b}" for b in OBJECT_TABLES for a in ("Neuron", "Segment"))
    conn.execute(f"CREATE REL TABLE Contains({contains})")
    conn.execute("CREATE REL TABLE SynapsesTo(FROM Synapse TO Synapse)")
    conn.execute("CREATE REL TABLE CloseTo(FROM Synapse TO Mito, distance DOUBLE)")
    conn.execute("CREATE NODE TABLE Meta(key STRING PRIMARY KEY, value STRING)")


# ---------------------------------------------------------------------------------------
# nodes


def _node_frames(
    export: Export, properties: dict[str, str], rois: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Neuron and Segment rows, in the column order of :func:`_create_schema`."""
    bodies = export.neurons["bodyId"].to_numpy(dtype=np.int64)
    columns: dict[str, Any] = {"bodyId": bodies}
    for name, kind in properties.items():
        columns[name] = _engine_column(export.neurons[name], kind)
    neurons = _with_rois(columns, _roi_info(export), rois)
    total = export.total_connections
    owners = [total["bodyId_pre"].to_numpy(), total["bodyId_post"].to_numpy()]
    owners += [
        f["bodyId"].to_numpy() for f in (export.synapses, export.mitochondria) if f is not None
    ]
    ends = np.unique(np.concatenate(owners).astype(np.int64, copy=False))
    others = ends[~np.isin(ends, bodies)]
    nothing = pd.Series([None] * len(others), dtype=object)
    columns = {"bodyId": others}
    for name, kind in properties.items():
        columns[name] = _engine_column(nothing, kind)
    derived = _derived_roi_info(export)
    segments = _with_rois(columns, [derived.get(b, {}) for b in others.tolist()], rois)
    return neurons, segments


def _with_rois(
    columns: dict[str, Any], roi_info: list[dict[str, dict[str, int]]], rois: list[str]
) -> pd.DataFrame:
    for roi in rois:
        columns[roi_column(roi)] = pd.Series(
            [True if roi in i else None for i in roi_info], dtype=object
        )
    columns["roiNames"] = [list(i) for i in roi_info]
    columns["roiPre"] = [[c.get("pre") for c in i.values()] for i in roi_info]
    columns["roiPost"] = [[c.get("post") for c in i.values()] for i in roi_info]
    columns["roiInfo"] = [json.dumps(i, sort_keys=True, separators=(",", ":")) for i in roi_info]
    return pd.DataFrame(columns)


def _engine_column(values: pd.Series, kind: str) -> Any:
    """Values in a form Ladybug's DataFrame scan reads correctly (no nullable dtypes)."""
    if kind == "int":  # Python ints and None: float64 would lose precision near 2**63
        if not values.isna().any():
            return values.astype("int64").to_numpy()
        return pd.Series([None if pd.isna(v) else int(v) for v in values], dtype=object)
    if kind == "float":
        return values.astype("float64").to_numpy()
    return values.astype(object).where(values.notna(), None).to_numpy()


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
        sums = rows.groupby([column, "roi"], sort=True, observed=True, as_index=False)[
            "weight"
        ].sum()
        for body, roi, weight in sums.itertuples(index=False, name=None):
            out.setdefault(int(body), {}).setdefault(str(roi), {})[key] = int(weight)
    return out


def _copy_nodes(
    conn: Any, table: str, frame: pd.DataFrame, properties: dict[str, str], rois: list[str]
) -> None:
    if frame.empty:
        return
    kinds = ["int", *properties.values()]
    casts = [f"CAST(c{i} AS {_COLUMN_TYPES[k]})" for i, k in enumerate(kinds)]
    casts += [f"CAST(c{len(kinds) + i} AS BOOL)" for i in range(len(rois))]
    first_list = len(kinds) + len(rois)
    casts += [
        f"CAST(c{first_list} AS STRING[])",
        f"CAST(c{first_list + 1} AS INT64[])",
        f"CAST(c{first_list + 2} AS INT64[])",
        f"CAST(c{first_list + 3} AS STRING)",
    ]
    data = frame.copy(deep=False)
    data.columns = [f"c{i}" for i in range(len(frame.columns))]  # columns are read by position
    conn.execute(f"COPY {table} FROM (LOAD FROM $frame RETURN {', '.join(casts)})", {"frame": data})


# ---------------------------------------------------------------------------------------
# edges


#: rows per COPY: bounded memory for the conversions, few enough statements to stay fast
EDGE_CHUNK = 1_000_000


def _copy_edges(
    conn: Any, table: str, edges: pd.DataFrame, columns: list[str], neuron_ids: np.ndarray
) -> None:
    """COPY connection rows, split by the tables of their endpoints, in bounded chunks."""
    pre_is_neuron = np.isin(edges["bodyId_pre"].to_numpy(), neuron_ids)
    post_is_neuron = np.isin(edges["bodyId_post"].to_numpy(), neuron_ids)
    for a, b in PAIRS:
        chosen = np.flatnonzero(
            (pre_is_neuron == (a == "Neuron")) & (post_is_neuron == (b == "Neuron"))
        )
        for start in range(0, len(chosen), EDGE_CHUNK):
            rows = chosen[start : start + EDGE_CHUNK]
            part = {"bodyId_pre": edges["bodyId_pre"].to_numpy()[rows]}
            part["bodyId_post"] = edges["bodyId_post"].to_numpy()[rows]
            for name in columns:
                values = edges[name].iloc[rows]
                if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
                    values = values.astype(object)
                part[name] = values.to_numpy()
            conn.execute(
                f"COPY {table} FROM $edges (from='{a}', to='{b}')", {"edges": pd.DataFrame(part)}
            )


# ---------------------------------------------------------------------------------------
# synapses and mitochondria


#: rows per COPY of synapses and mitochondria (bounded memory for the conversions)
NODE_CHUNK = 1_000_000
#: rows per COPY of the numeric relationship tables (Contains, SynapsesTo, CloseTo): the
#: engine holds about 100 bytes per row while copying, and appending to a non-empty
#: relationship table costs much more than filling an empty one (measured: 4.75 million
#: synapse pairs took 3.5 s in one COPY, 8.9 s in three), so chunks are large
REL_CHUNK = 4_000_000


def _copy_objects(
    conn: Any, table: str, frame: pd.DataFrame | None, neuron_ids: np.ndarray
) -> None:
    """COPY synapse or mitochondrion rows, then their ``Contains`` edges from their bodies."""
    if frame is None or frame.empty:
        return
    columns = OBJECT_TABLES[table]
    casts = ", ".join(f"CAST(c{i} AS {kind})" for i, (_, kind) in enumerate(columns))
    for start in range(0, len(frame), NODE_CHUNK):
        part = frame.iloc[start : start + NODE_CHUNK]
        data = {}
        for i, (name, kind) in enumerate(columns):
            values = part[name]
            if kind == "STRING":  # categories and str: plain objects, None for missing
                values = values.astype(object).where(values.notna(), None)
            data[f"c{i}"] = values.to_numpy()  # columns are read by position
        conn.execute(
            f"COPY {table} FROM (LOAD FROM $frame RETURN {casts})",
            {"frame": pd.DataFrame(data)},
        )
    bodies = frame["bodyId"].to_numpy()
    in_neuron = np.isin(bodies, neuron_ids)
    for source, chosen in (("Neuron", in_neuron), ("Segment", ~in_neuron)):
        rows = np.flatnonzero(chosen)
        edges = pd.DataFrame({"from": bodies[rows], "to": frame["id"].to_numpy()[rows]})
        _copy_rel(conn, "Contains", edges, source, table)


def _copy_rel(
    conn: Any, table: str, edges: pd.DataFrame, source: str | None = None, target: str | None = None
) -> None:
    """COPY relationship rows (from key, to key, properties...) in bounded chunks."""
    pair = f" (from='{source}', to='{target}')" if source else ""
    for start in range(0, len(edges), REL_CHUNK):
        part = edges.iloc[start : start + REL_CHUNK]
        conn.execute(f"COPY {table} FROM $edges{pair}", {"edges": part.reset_index(drop=True)})


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)


# ---------------------------------------------------------------------------------------
# per-ROI connection rows: every ROI of the hierarchy, with pre and post counts

_ROI_ROW_COLUMNS = ["bodyId_pre", "bodyId_post", "roi", "weight", "pre"]


def super_roi_children(
    hierarchy: Any, primary: set[str], dataset: str | None = None
) -> dict[str, tuple[str, ...]]:
    """Each non-primary ROI above primary ROIs, with the primary ROIs it contains.

    ``hierarchy`` is a ``{"name", "children"}`` tree (meta.json's ``roiHierarchy``; its root
    is the volume, not an ROI); without one, a ``hemibrain`` dataset uses the hemibrain
    hierarchy and any other dataset has none.

    Example:
        >>> tree = {"name": "v", "children": [{"name": "MB", "children": [{"name": "CA"},
        ...     {"name": "PED", "children": [{"name": "PED-a"}]}]}, {"name": "FB"}]}
        >>> super_roi_children(tree, {"CA", "PED", "FB"})
        {'MB': ('CA', 'PED')}
        >>> super_roi_children(None, set(), "hemibrain:v1.2.1")["MB(R)"][:2]
        ('CA(R)', 'PED(R)')
    """
    if not isinstance(hierarchy, dict):
        if dataset is not None and dataset.lower().startswith("hemibrain"):
            return dict(SUPER_ROI_CHILDREN)
        return {}
    out: dict[str, tuple[str, ...]] = {}

    def walk(node: Any, is_root: bool) -> set[str]:
        name = str(node.get("name", "")) if isinstance(node, dict) else ""
        kids = node.get("children") or [] if isinstance(node, dict) else []
        if name in primary and not is_root:
            return {name}  # what lies below a primary ROI is sub-primary
        below: set[str] = set()
        for kid in kids:
            below |= walk(kid, False)
        if below and not is_root:
            out[name] = tuple(sorted(below))
        return below

    walk(hierarchy, True)
    return dict(sorted(out.items()))


def _synapse_counts(export: Export) -> pd.DataFrame | None:
    """``bodyId_pre, bodyId_post, roi, post, pre`` from the synapse pairs (``roi`` each
    synapse's own primary ROI, ``pre`` distinct T-bars), or ``None`` without them."""
    syn, pairs = export.synapses, export.synapse_connections
    if syn is None or pairs is None or syn.empty or pairs.empty:
        return None
    ids = syn["id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]

    def lookup(wanted: np.ndarray) -> np.ndarray:
        at = np.searchsorted(sorted_ids, wanted)
        at = np.clip(at, 0, len(sorted_ids) - 1)
        found = sorted_ids[at] == wanted
        return np.where(found, order[at], -1)

    pre_at = lookup(pairs["pre_id"].to_numpy())
    post_at = lookup(pairs["post_id"].to_numpy())
    known = (pre_at >= 0) & (post_at >= 0)
    if not known.all():
        return None  # a pair naming an unknown synapse: the counts cannot be trusted
    bodies = syn["bodyId"].to_numpy()
    rois = syn["roi"].astype(object).where(syn["roi"].notna(), NOT_PRIMARY).to_numpy()
    rois = np.where(rois == "", NOT_PRIMARY, rois)
    frame = pd.DataFrame(
        {
            "bodyId_pre": bodies[pre_at],
            "bodyId_post": bodies[post_at],
            "pre_id": pairs["pre_id"].to_numpy(),
            "pre_roi": rois[pre_at],
            "post_roi": rois[post_at],
        }
    )
    keys = ["bodyId_pre", "bodyId_post", "roi"]
    post = frame.rename(columns={"post_roi": "roi"}).groupby(keys).size().rename("post")
    tbars = frame.drop_duplicates(["bodyId_pre", "bodyId_post", "pre_id"])
    pre = tbars.rename(columns={"pre_roi": "roi"}).groupby(keys).size().rename("pre")
    both = pd.concat([post, pre], axis=1).fillna(0).astype("int64").reset_index()
    return both


def connection_roi_rows(
    export: Export, dataset: str | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``ConnectsToRoi`` rows of an export and what the load says about them.

    The export's rows (``weight`` = neuPrint's ``post``), plus, when the export has rows
    for primary ROIs only, one derived row per connection and super-level ROI: the sum of
    its primary children (:func:`super_roi_children`). ``pre`` (T-bars) comes from the
    synapse pairs when the export has them and their post counts reproduce every per-ROI
    weight; otherwise it is unknown (NULL). The notes are meta entries: ``derivedRois``
    (super-level ROIs computed by the load) and ``roiPreCounts`` (whether ``pre`` is known).

    Example:
        >>> from pathlib import Path
        >>> rows = pd.DataFrame({"bodyId_pre": [1, 1], "bodyId_post": [2, 2],
        ...     "roi": ["CA(R)", "PED(R)"], "weight": [3, 4]})
        >>> total = pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [2], "weight": [7]})
        >>> nobody = pd.DataFrame({"bodyId": pd.Series([], dtype="int64")})
        >>> export = Export(Path("x"), "adjacencies", nobody, {}, rows, total,
        ...                 {"dataset": "hemibrain"})
        >>> table, notes = connection_roi_rows(export)
        >>> table[table["roi"] == "MB(R)"][["roi", "weight"]].values.tolist(), notes
        ([['MB(R)', 7]], {'derivedRois': ['MB(R)'], 'roiPreCounts': False})
    """
    rows = export.roi_connections[["bodyId_pre", "bodyId_post", "roi", "weight"]].copy()
    rows["roi"] = rows["roi"].astype(object)
    meta = export.meta
    listed = {str(r) for r in rows["roi"].unique().tolist()}
    outside = NOT_PRIMARY in listed  # the export lists weight outside every primary ROI
    listed.discard(NOT_PRIMARY)
    primary = set(meta.get("primaryRois") or []) or listed
    supers = super_roi_children(
        meta.get("roiHierarchy"), primary, dataset or meta.get("dataset") or export.directory.name
    )
    counts = _synapse_counts(export) if export.has_roi_weights else None
    if counts is not None:  # trusted only if the pairs reproduce every per-ROI weight
        mine = counts[counts["post"] > 0][["bodyId_pre", "bodyId_post", "roi", "post"]]
        theirs = rows.rename(columns={"weight": "post"})
        if not outside:
            mine = mine[mine["roi"] != NOT_PRIMARY]
        both = mine.merge(theirs, on=["bodyId_pre", "bodyId_post", "roi"], how="outer")
        same = bool((both["post_x"] == both["post_y"]).all())  # NaN (a missing row) differs
        counts = counts if same else None
    if counts is not None:
        pre = counts[["bodyId_pre", "bodyId_post", "roi", "pre"]]
        if not outside:
            pre = pre[pre["roi"] != NOT_PRIMARY]
        rows = rows.merge(pre, on=["bodyId_pre", "bodyId_post", "roi"], how="outer")
        rows["weight"] = rows["weight"].fillna(0).astype("int64")
        rows["pre"] = rows["pre"].fillna(0).astype("int64")
    else:
        rows["pre"] = np.nan
    derived: list[str] = []
    if supers and not (set(supers) & listed):  # only primary rows: derive the super-level
        parent = {c: s for s, children in supers.items() for c in children}
        children = rows[rows["roi"].isin(parent)]
        up = children.assign(roi=children["roi"].map(parent))
        sums = up.groupby(["bodyId_pre", "bodyId_post", "roi"], as_index=False, sort=True)[
            ["weight", "pre"]
        ].sum(min_count=1)
        derived = sorted({str(r) for r in sums["roi"].unique().tolist()})
        rows = pd.concat([rows, sums], ignore_index=True)
    rows = rows.sort_values(["bodyId_pre", "bodyId_post", "roi"], kind="stable")
    rows = rows.reset_index(drop=True)[_ROI_ROW_COLUMNS]
    rows["bodyId_pre"] = rows["bodyId_pre"].astype("int64")
    rows["bodyId_post"] = rows["bodyId_post"].astype("int64")
    rows["weight"] = rows["weight"].astype("int64")
    if counts is not None:
        rows["pre"] = rows["pre"].astype("int64")
    notes = {"derivedRois": derived, "roiPreCounts": counts is not None}
    return rows, notes


def roi_weight_notes(meta: dict[str, Any]) -> list[str]:
    """Lines for ``neuprint-dsl info`` about a database's per-ROI connection weights.

    Example:
        >>> roi_weight_notes({"derivedRois": ["MB(R)"], "roiPreCounts": False})[0]
        'super-level ROIs derived from their primary children: MB(R)'
    """
    lines: list[str] = []
    if not meta.get("roiWeights", True):
        return lines
    derived = meta.get("derivedRois") or []
    if derived:
        lines.append("super-level ROIs derived from their primary children: " + ", ".join(derived))
    if not meta.get("roiPreCounts", False):
        lines.append(
            "per-ROI connection counts: post only (weights); the export has no synapse "
            "pairs that reproduce them, so conn_roiInfo has no 'pre'"
        )
    return lines


# ---------------------------------------------------------------------------------------
# meta


def _all_rois(export: Export) -> list[str]:
    """Every ROI seen: in the neurons' roiInfo, in the connections, or in meta.json."""
    rois = {str(r) for r in export.roi_connections["roi"].unique().tolist()} - {NOT_PRIMARY}
    rois |= {r for info in _roi_info(export) for r in info}
    rois |= set(export.meta.get("rois", []))
    rois |= set(export.synapse_rois)
    return sorted(rois)


def _write_meta(
    conn: Any,
    export: Export,
    properties: dict[str, str],
    rois: list[str],
    dataset: str | None,
    counts: dict[str, int],
    roi_notes: dict[str, Any],
) -> None:
    meta = export.meta
    primary = meta.get("primaryRois") or sorted(
        str(r) for r in export.roi_connections["roi"].unique().tolist() if r != NOT_PRIMARY
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
        "schemaVersion": SCHEMA_VERSION,
        "synapses": _rows(export.synapses),
        "synapsePairs": _rows(export.synapse_connections),
        "mitochondria": _rows(export.mitochondria),
        "closeTo": _rows(export.closest_mitochondria),
        "postHighAccuracyThreshold": float(meta.get("postHighAccuracyThreshold", 0.0)),
        "roiWeights": export.has_roi_weights,
        "rowCounts": counts,
        **roi_notes,
    }
    rows = pd.DataFrame(
        {"key": list(values), "value": [json.dumps(v, sort_keys=True) for v in values.values()]}
    )
    conn.execute("COPY Meta FROM $rows", {"rows": rows})


# ---------------------------------------------------------------------------------------
# the manifest: what the load wrote, to tell a damaged database from a good one

#: the tables of a database and the query counting each one's rows
COUNT_QUERIES: dict[str, str] = {
    "Neuron": "MATCH (n:Neuron) RETURN count(*)",
    "Segment": "MATCH (n:Segment) RETURN count(*)",
    "ConnectsTo": "MATCH ()-[e:ConnectsTo]->() RETURN count(*)",
    "ConnectsToRoi": "MATCH ()-[e:ConnectsToRoi]->() RETURN count(*)",
    "Synapse": "MATCH (n:Synapse) RETURN count(*)",
    "Mito": "MATCH (n:Mito) RETURN count(*)",
    "Contains": "MATCH ()-[e:Contains]->() RETURN count(*)",
    "SynapsesTo": "MATCH ()-[e:SynapsesTo]->() RETURN count(*)",
    "CloseTo": "MATCH ()-[e:CloseTo]->() RETURN count(*)",
}
#: the manifest of ``graph.lbug`` is ``graph.lbug.manifest.json``
MANIFEST_SUFFIX = ".manifest.json"


def table_counts(conn: Any) -> dict[str, int]:
    """Rows of every table (:data:`COUNT_QUERIES`), read through ``conn``."""
    out: dict[str, int] = {}
    for table, query in COUNT_QUERIES.items():
        result = conn.execute(query)
        result = result[-1] if isinstance(result, list) else result
        out[table] = int(result.get_all()[0][0])
    return out


def manifest_path(database: str | Path) -> Path:
    """Where the manifest of ``database`` is (next to it).

    Example:
        >>> manifest_path("/data/graph.lbug").name
        'graph.lbug.manifest.json'
    """
    path = Path(database)
    return path.with_name(path.name + MANIFEST_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(tmp: Path, name: str, counts: dict[str, int]) -> None:
    manifest = {
        "database": name,
        "schemaVersion": SCHEMA_VERSION,
        "rowCounts": counts,
        "files": {name: {"size": tmp.stat().st_size, "sha256": _sha256(tmp)}},
    }
    manifest_path(tmp).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def verify_database(database: str | Path) -> list[str]:
    """Compare a database's file with the checksum its load recorded in the manifest;
    returns the problems found (empty: the file is byte for byte what the load wrote).

    Example:
        >>> import tempfile
        >>> from neuprint_dsl.embedded import load
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=2)
        ...     db = load(tmp, f"{tmp}/g.lbug")
        ...     verify_database(db)
        []
    """
    path = Path(database)
    manifest_file = manifest_path(path)
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        recorded = manifest["files"][path.name]
        size, checksum = int(recorded["size"]), str(recorded["sha256"])
    except FileNotFoundError:
        return [f"no manifest {manifest_file.name}: load the export again to get one"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [f"the manifest {manifest_file.name} is unreadable ({err!r})"]
    problems = []
    actual = path.stat().st_size
    if actual != size:
        problems.append(f"{path.name} has {actual} bytes, the load wrote {size}")
    elif _sha256(path) != checksum:
        problems.append(
            f"{path.name} differs from what the load wrote (SHA-256 mismatch): the file is "
            "damaged or was changed; load the export again"
        )
    return problems


# ---------------------------------------------------------------------------------------
# files


#: the files Ladybug may keep next to a database file
SIDE_FILE_SUFFIXES = (
    ".wal",
    ".wal.checkpoint",
    ".shadow",
    ".lock",
    ".checkpoint.apply.lock",
    ".checkpoint.intent.lock",
)


def _remove_side_files(path: Path) -> None:
    """Delete Ladybug's side files of a database file (``.wal``, locks, ...), and nothing
    else: other files that merely share the name's prefix are the user's."""
    for suffix in SIDE_FILE_SUFFIXES:
        side = path.with_name(path.name + suffix)
        if side.is_file():
            side.unlink()
