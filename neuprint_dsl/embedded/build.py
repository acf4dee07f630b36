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
        WITH (storage_direction = 'fwd')
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

Rows go to the engine as Arrow tables, a table's rows in one ``COPY`` (split into equal
parts above :data:`EDGE_CHUNK` rows); ``ConnectsToRoi`` is stored forward only; the
super-level rows are derived with numpy; and ``progress(stage, done, total)`` moves at
least every second (:class:`neuprint_dsl.progress.Stages`). docs/embedded.md has the
measurements.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa

from ..cypher.layout import roi_column
from ..errors import LoadError
from ..progress import Progress, Stages
from .companions import COMPANION_SUFFIXES, companion_path, write_companion
from .companions import sorted_member as _member
from .export import Export, read_export
from .roi_rows import ROI_ROWS, roi_rows_table
from .rois import NOT_PRIMARY, SUPER_ROI_CHILDREN
from .synapse_companion import SYNAPSE_COMPANION, synapse_companion_table
from .synapse_export import _positions
from .tables import MITO_TABLE, ROI_CONNECTION_COLUMNS, SYNAPSE_TABLE

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: a build's liveness is its process id)
    fcntl = None  # type: ignore[assignment]

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
#: the object tables: name and column types, in COPY order (the export frames' order)
OBJECT_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    table: tuple(
        (name, _COLUMN_TYPES["str" if kind == "optstr" else kind]) for name, kind in columns
    )
    for table, columns in (("Synapse", SYNAPSE_TABLE), ("Mito", MITO_TABLE))
}


def load_export(
    export_dir: str | Path,
    db_path: str | Path,
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Read the export in ``export_dir`` and build the database at ``db_path`` from it, all
    or nothing, reporting ``progress(stage, done, total)`` from the first byte read to the
    last checksum (the bar moves at least every second: :class:`~neuprint_dsl.progress.Stages`).

    Example:
        >>> import tempfile
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=2)
        ...     seen = []
        ...     db = load_export(tmp, f"{tmp}/g.lbug", progress=lambda *a: seen.append(a))
        ...     seen[0][0], seen[-1]
        ('reading the export', ('done', 100000, 100000))
    """
    target = Path(db_path)
    check_target(target)  # before reading: a bad target fails at once, not after the build
    directory = Path(export_dir)
    reading, building = _read_seconds(directory), _build_seconds_from_files(directory)
    stages = Stages(progress, TOTAL_UNITS)
    completed = False
    try:
        stages.step("reading the export", TOTAL_UNITS * reading / (reading + building), reading)
        export = read_export(directory)
        path = _build(export, target, dataset, stages, own_export=True)
        completed = True
    finally:
        stages.close(completed)
    return path


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
    ``progress(stage, done, total)`` is called as for :func:`load_export`.

    Example:
        >>> import tempfile
        >>> from neuprint_dsl.embedded.export import read_export
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=2, synapses=False)
        ...     build_database(read_export(tmp), f"{tmp}/g.lbug").name
        'g.lbug'
    """
    stages = Stages(progress, TOTAL_UNITS)
    completed = False
    try:
        built = _build(export, Path(path), dataset, stages)
        completed = True
    finally:
        stages.close(completed)
    return built


#: the units of a load's progress bar (``total`` of every report)
TOTAL_UNITS = 100_000
#: rough seconds per row (or per byte read) of each step on an idle 2-core machine: they
#: only share the bar out among the steps, and the bar moves on by the elapsed share
_SECONDS_PER_BYTE_READ = 1 / 40e6
_SECONDS_PER_ROW = {
    "preparing neurons": 40e-6,
    "preparing per-ROI connection rows": 0.6e-6,
    "copying neurons": 40e-6,
    "copying connections": 1.5e-6,
    "copying per-ROI connections": 2.2e-6,
    "copying synapses": 2.5e-6,
    "copying synapse connections": 1.0e-6,
    "copying mitochondria": 3.0e-6,
    "copying closest mitochondria": 1.0e-6,
    "counting and checksumming": 0.05e-6,
}
#: bytes per row of each export file, to plan the bar before the files are read
_BYTES_PER_ROW = {
    "neurons": 2000.0,
    "roi-connections": 31.0,
    "total-connections": 24.0,
    "synapses": 56.0,
    "synapse-connections": 17.0,
    "mitochondria": 60.0,
    "closest-mitochondria": 24.0,
}


def _export_files(directory: Path) -> dict[str, int]:
    """Bytes of each export file present, by its layout-free name (``roi-connections``)."""
    sizes: dict[str, int] = {}
    for key in _BYTES_PER_ROW:
        for name in (f"{key}.csv", f"traced-{key}.csv"):
            try:
                sizes[key] = sizes.get(key, 0) + (directory / name).stat().st_size
            except OSError:
                continue
    return sizes


def _read_seconds(directory: Path) -> float:
    return max(sum(_export_files(directory).values()) * _SECONDS_PER_BYTE_READ, 0.05)


def _build_seconds_from_files(directory: Path) -> float:
    rows = {k: v / _BYTES_PER_ROW[k] for k, v in _export_files(directory).items()}
    return sum(s for _, s in _build_plan(rows))


def _build_plan(rows: dict[str, float]) -> list[tuple[str, float]]:
    """The steps of a build with their estimated seconds, from the rows of each file."""
    neurons = rows.get("neurons", 0.0)
    roi, total = rows.get("roi-connections", 0.0), rows.get("total-connections", 0.0)
    synapses, pairs = rows.get("synapses", 0.0), rows.get("synapse-connections", 0.0)
    mitos, close = rows.get("mitochondria", 0.0), rows.get("closest-mitochondria", 0.0)
    counts = {
        "preparing neurons": neurons,
        "preparing per-ROI connection rows": roi + pairs,
        "copying neurons": neurons,
        "copying connections": total,
        "copying per-ROI connections": 2 * roi,  # about as many super-level rows again
        "copying synapses": synapses,
        "copying synapse connections": pairs,
        "copying mitochondria": mitos,
        "copying closest mitochondria": close,
        "counting and checksumming": 2 * roi + total + synapses + pairs + mitos + close,
    }
    return [(name, 0.05 + n * _SECONDS_PER_ROW[name]) for name, n in counts.items()]


def _build(
    export: Export, target: Path, dataset: str | None, stages: Stages, own_export: bool = False
) -> Path:
    """The build itself (see :func:`build_database`), its steps reported to ``stages``.
    ``own_export``: nobody else holds ``export``, so its parsed ``roiInfo`` (a few hundred
    MB of Python dicts at 25,000 neurons) is dropped once the node tables hold it."""
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    plan = dict(
        _build_plan(
            {
                "neurons": len(export.neurons),
                "roi-connections": len(export.roi_connections),
                "total-connections": len(export.total_connections),
                "synapses": _rows(export.synapses),
                "synapse-connections": _rows(export.synapse_connections),
                "mitochondria": _rows(export.mitochondria),
                "closest-mitochondria": _rows(export.closest_mitochondria),
            }
        )
    )
    left = max(stages.total - stages.end, len(plan))
    budget = sum(plan.values())

    def step(name: str) -> None:
        stages.step(name, left * plan[name] / budget, plan[name])

    step("preparing neurons")
    properties = _property_columns(export)
    rois = _all_rois(export)
    neurons, segments = _node_tables(export, properties, rois)
    if own_export and "roiInfo" in export.neurons.columns:
        del export.neurons["roiInfo"]  # before the big copies
    step("preparing per-ROI connection rows")
    roi_rows, roi_notes = _roi_row_arrays(export, dataset)
    primary = _primary_rois(export)
    if own_export:  # the per-ROI rows are in roi_rows now: free the frame before the copies
        _drop_columns(export.roi_connections)
    remove_stale_builds(target)
    tmp, owner = _claim_temp_file(target)
    token = secrets.token_hex(16)  # ties the companions to this build's database
    written: list[str] = []

    def companion(name: str, table: pa.Table) -> None:
        """Write companion ``name`` of the database being built (see ``companions``)."""
        write_companion(companion_path(tmp, name), table, token)
        written.append(name)

    try:
        conn = _Writer(tmp)
        try:
            _create_schema(conn, properties, rois)
            step("copying neurons")
            neuron_ids = np.sort(neurons.column(0).to_numpy())
            conn.execute("COPY Neuron FROM $rows", {"rows": neurons}, rows=neurons.num_rows)
            del neurons
            if segments.num_rows:
                conn.execute("COPY Segment FROM $rows", {"rows": segments}, rows=segments.num_rows)
            del segments
            step("copying connections")
            total = export.total_connections
            hp = (
                total["weightHP"].to_numpy(dtype=np.int64)
                if "weightHP" in total.columns
                else None  # absent: null
            )
            edges = {
                "bodyId_pre": total["bodyId_pre"].to_numpy(dtype=np.int64),
                "bodyId_post": total["bodyId_post"].to_numpy(dtype=np.int64),
                "weight": total["weight"].to_numpy(dtype=np.int64),
                "weightHP": hp,
            }
            _copy_edges(conn, "ConnectsTo", edges, neuron_ids)
            del edges, total, hp
            if own_export:
                _drop_columns(export.total_connections)
            step("copying per-ROI connections")
            companion(ROI_ROWS, roi_rows_table(roi_rows, neuron_ids))  # the per-ROI fast path
            _copy_edges(conn, "ConnectsToRoi", roi_rows, neuron_ids)
            del roi_rows
            step("copying synapses")
            if export.synapses is not None and len(export.synapses):  # sorted by body
                companion(SYNAPSE_COMPANION, synapse_companion_table(export.synapses))
            _copy_objects(conn, "Synapse", export.synapses, neuron_ids)
            step("copying synapse connections")
            if export.synapse_connections is not None:
                _copy_rel(conn, "SynapsesTo", export.synapse_connections)
            step("copying mitochondria")
            _copy_objects(conn, "Mito", export.mitochondria, neuron_ids)
            step("copying closest mitochondria")
            if export.closest_mitochondria is not None:
                _copy_rel(conn, "CloseTo", export.closest_mitochondria)
            step("counting and checksumming")
            counts = table_counts(conn)
            _write_meta(conn, export, properties, rois, dataset, counts, roi_notes, primary, token)
        finally:
            conn.close()
        _write_manifest(tmp, target.name, counts, written)
        os.replace(tmp, target)  # atomic: the old database stays whole until this moment
        # then its companions: until each is in place, the old one's token differs from the
        # new database's, so it is never read
        for name in COMPANION_SUFFIXES:
            if name in written:
                os.replace(companion_path(tmp, name), companion_path(target, name))
            else:
                companion_path(target, name).unlink(missing_ok=True)
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
        for name in COMPANION_SUFFIXES:
            companion_path(tmp, name).unlink(missing_ok=True)
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
            mine = [*SIDE_FILE_SUFFIXES, MANIFEST_SUFFIX, *COMPANION_SUFFIXES.values()]
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

    def execute(
        self, query: str, parameters: dict[str, Any] | None = None, *, rows: int = 0
    ) -> Any:
        """Run ``query``; ``rows`` (copied by it) count towards the next reopening."""
        result = self.conn.execute(query, parameters or {})
        self.pending += rows
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
    # forward storage only: every query matches a ConnectsToRoi row between two bodies it
    # has already bound, so the backward adjacency lists were never read, and they doubled
    # the cost of the largest COPY of a load
    conn.execute(
        f"CREATE REL TABLE ConnectsToRoi({pairs}, roi STRING, weight INT64, pre INT64)"
        " WITH (storage_direction = 'fwd')"
    )
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


def _node_tables(
    export: Export, properties: dict[str, str], rois: list[str]
) -> tuple[pa.Table, pa.Table]:
    """The Neuron and Segment rows as Arrow tables, in the column order of
    :func:`_create_schema` (COPY reads columns by position)."""
    bodies = export.neurons["bodyId"].to_numpy(dtype=np.int64)
    columns = {name: export.neurons[name] for name in properties}
    neurons = _node_table(bodies, columns, properties, _roi_info(export), rois)
    total = export.total_connections
    owners = [total["bodyId_pre"].to_numpy(), total["bodyId_post"].to_numpy()]
    owners += [
        f["bodyId"].to_numpy() for f in (export.synapses, export.mitochondria) if f is not None
    ]
    ends = np.concatenate(owners).astype(np.int64, copy=False)
    others = np.unique(ends[~_member(np.sort(bodies), ends)])  # usually none: no big sort
    derived = _derived_roi_info(export, others) if others.size else {}
    infos = [derived.get(b, {}) for b in others.tolist()]
    segments = _node_table(others, None, properties, infos, rois)
    return neurons, segments


_ARROW_TYPES: dict[str, Any] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "point": pa.list_(pa.float64()),
    "list": pa.list_(pa.string()),
}


def _node_table(
    bodies: np.ndarray,
    columns: dict[str, pd.Series] | None,
    properties: dict[str, str],
    roi_info: list[dict[str, dict[str, int]]],
    rois: list[str],
) -> pa.Table:
    """One node table's rows: ``columns`` (``None``: every property missing)."""
    arrays: list[Any] = [pa.array(bodies, pa.int64())]
    for name, kind in properties.items():
        if columns is None:
            arrays.append(pa.nulls(len(bodies), _ARROW_TYPES[kind]))
        else:
            arrays.append(_arrow_column(columns[name], kind))
    at = {roi: i for i, roi in enumerate(rois)}
    flags = np.zeros((len(rois), len(bodies)), dtype=np.bool_)
    for row, info in enumerate(roi_info):
        for roi in info:
            flags[at[roi], row] = True
    for line in flags:  # True where the body has the ROI, else null (neuPrint: no property)
        arrays.append(pa.array(line, pa.bool_(), mask=~line))
    arrays.append(_py_array([list(i) for i in roi_info], pa.list_(pa.string())))
    arrays.append(_py_array([[c.get("pre") for c in i.values()] for i in roi_info], _INT_LIST))
    arrays.append(_py_array([[c.get("post") for c in i.values()] for i in roi_info], _INT_LIST))
    arrays.append(_py_array([_roi_info_text(i) for i in roi_info], pa.string()))
    return pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])


#: Python values per ``pa.array`` call in :func:`_py_array`
_PY_SLICE = 10_000


def _py_array(values: list[Any], kind: Any) -> Any:
    """``pa.array(values, kind)`` in slices of :data:`_PY_SLICE`: one call holds the GIL
    while it converts (measured: 1.3 s for the ROI lists of 100,000 neurons), and the
    progress thread must report every second.

    Example:
        >>> _py_array([[1], None, [2, 3]] * 5_000, _INT_LIST)[-2:].to_pylist()
        [None, [2, 3]]
    """
    if len(values) <= _PY_SLICE:
        return pa.array(values, kind)
    parts = [pa.array(values[i : i + _PY_SLICE], kind) for i in range(0, len(values), _PY_SLICE)]
    return pa.concat_arrays(parts)


_SORTED_JSON = msgspec.json.Encoder(order="sorted")
#: the bytes both encoders write as they are
_PLAIN_BYTES = bytes(b for b in range(0x20, 0x7F) if b != ord("\\"))


def _roi_info_text(info: Mapping[str, Mapping[str, int]]) -> str:
    """A body's ``roiInfo`` as stored: ``json.dumps(info, sort_keys=True, separators=(",",
    ":"))``, byte for byte, six times faster: msgspec's sorted encoding is the same text
    unless a key needs an escape (non-ASCII, a quote, a control character or DEL),
    where ``json.dumps`` writes it.

    Example:
        >>> _roi_info_text({"FB": {"pre": 2, "post": 1}, "AL(R)": {"post": 3}})
        '{"AL(R)":{"post":3},"FB":{"post":1,"pre":2}}'
        >>> _roi_info_text({"é": {"post": 1}})
        '{"\\\\u00e9":{"post":1}}'
    """
    try:
        fast = _SORTED_JSON.encode(info)
    except (msgspec.EncodeError, OverflowError, TypeError):  # e.g. a count above 64 bits
        fast = b"\\"
    if not fast.translate(None, _PLAIN_BYTES):  # printable ASCII only, no backslash
        return fast.decode("ascii")
    return json.dumps(info, sort_keys=True, separators=(",", ":"))


_INT_LIST = pa.list_(pa.int64())


def _arrow_column(values: pd.Series, kind: str) -> Any:
    """A property column as Ladybug reads it from Arrow: missing values null, ints exact."""
    if kind == "int":
        if not values.isna().any():
            return pa.array(values.astype("int64").to_numpy(), pa.int64())
        return pa.array([None if pd.isna(v) else int(v) for v in values], pa.int64())
    if kind == "float":
        return pa.array(values.astype("float64").to_numpy(), pa.float64(), from_pandas=True)
    items = values.astype(object).where(values.notna(), None).tolist()
    if kind == "str":
        items = [v if v is None or isinstance(v, str) else str(v) for v in items]
    return pa.array(items, _ARROW_TYPES[kind])


def _roi_info(export: Export) -> list[dict[str, dict[str, int]]]:
    if "roiInfo" in export.neurons.columns:
        return [v if isinstance(v, dict) else {} for v in export.neurons["roiInfo"].tolist()]
    bodies = export.neurons["bodyId"].to_numpy(dtype=np.int64)
    derived = _derived_roi_info(export, bodies)
    return [derived.get(b, {}) for b in bodies.tolist()]


def _derived_roi_info(export: Export, bodies: np.ndarray) -> dict[int, dict[str, dict[str, int]]]:
    """Per-body ROI counts of ``bodies`` from the connections, for exports without
    ``roiInfo``: ``post`` is the incoming weight in the ROI, ``downstream`` the outgoing
    weight (T-bar counts, ``pre``, are not in an export and stay absent)."""
    rows = export.roi_connections[export.roi_connections["roi"] != NOT_PRIMARY]
    wanted = np.sort(bodies)
    out: dict[int, dict[str, dict[str, int]]] = {}
    for column, key in (("bodyId_post", "post"), ("bodyId_pre", "downstream")):
        mine = rows[_member(wanted, rows[column].to_numpy(dtype=np.int64))]
        sums = mine.groupby([column, "roi"], sort=True, observed=True, as_index=False)[
            "weight"
        ].sum()
        for body, roi, weight in sums.itertuples(index=False, name=None):
            out.setdefault(int(body), {}).setdefault(str(roi), {})[key] = int(weight)
    return out


# ---------------------------------------------------------------------------------------
# edges


#: rows per COPY of connection rows at most (a table's rows are split into equal parts):
#: appending to a filled relationship table costs more than filling an empty one (likely
#: because bodies share node groups of 131,072, as in Kuzu, that each append rewrites;
#: measured: 6.2 million ConnectsToRoi rows, about 9.7 s of CPU in one COPY,
#: 13 s in two, 25.2 s in seven), but the engine holds about 120 bytes per row while it
#: copies (6.2 million rows: about 740 MB; the peak of a 25,000 / 3,000,000 load)
EDGE_CHUNK = 7_000_000


@attrs.frozen
class _Coded:
    """A string column as codes into ``names`` (an Arrow dictionary column)."""

    codes: np.ndarray
    names: tuple[str, ...]


_EdgeColumn = np.ndarray | _Coded | None  # None: every value null (an INT64 column)


def _copy_edges(
    conn: Any, table: str, edges: Mapping[str, _EdgeColumn], neuron_ids: np.ndarray
) -> None:
    """COPY connection rows (``bodyId_pre``, ``bodyId_post``, then the properties in
    schema order), split by the tables of their endpoints, in parts of at most
    :data:`EDGE_CHUNK` rows."""
    pre, post = edges["bodyId_pre"], edges["bodyId_post"]
    assert isinstance(pre, np.ndarray) and isinstance(post, np.ndarray)
    pre_is_neuron, post_is_neuron = _member(neuron_ids, pre), _member(neuron_ids, post)
    # pyarrow keeps freed pages for reuse (a companion's table just written): give them back
    # before the engine's largest COPY, where a load's memory peaks
    pa.default_memory_pool().release_unused()
    for a, b in PAIRS:
        chosen = (pre_is_neuron == (a == "Neuron")) & (post_is_neuron == (b == "Neuron"))
        count = int(chosen.sum())
        if count == 0:
            continue
        rows = None if count == len(pre) else np.flatnonzero(chosen)
        parts = -(-count // EDGE_CHUNK)
        for part in range(parts):
            lo, hi = count * part // parts, count * (part + 1) // parts
            pick = slice(lo, hi) if rows is None else rows[lo:hi]
            arrays = [_edge_array(column, pick, hi - lo) for column in edges.values()]
            data = pa.Table.from_arrays(arrays, names=list(edges))
            conn.execute(
                f"COPY {table} FROM $rows (from='{a}', to='{b}')", {"rows": data}, rows=hi - lo
            )


def _edge_array(column: _EdgeColumn, pick: Any, size: int) -> Any:
    if column is None:
        return pa.nulls(size, pa.int64())
    if isinstance(column, _Coded):
        codes = pa.array(column.codes[pick].astype(np.int32, copy=False))
        return pa.DictionaryArray.from_arrays(codes, pa.array(column.names, pa.string()))
    return pa.array(column[pick])


# ---------------------------------------------------------------------------------------
# synapses and mitochondria


#: rows per Arrow conversion of synapses and mitochondria (bounded memory for the
#: conversions; a 5-million-row conversion took twice the CPU of five 1-million-row ones)
NODE_CHUNK = 1_000_000
#: rows per COPY of synapses and mitochondria: appending to a filled node table costs more
#: than filling an empty one (measured: 5,031,966 synapses, about 10 s of the engine's CPU
#: in one COPY against 15-16 s in six; the engine and the Arrow rows hold about 100 MB more
#: per million rows copied at once)
NODE_COPY_ROWS = 6_000_000
#: rows per COPY of the numeric relationship tables (Contains, SynapsesTo, CloseTo): the
#: engine holds about 100 bytes per row while copying, and appending to a non-empty
#: relationship table costs much more than filling an empty one (measured: 4.75 million
#: synapse pairs took 3.5 s in one COPY, 8.9 s in three; with 5 million synapses, one COPY
#: each instead of 4 million rows and the rest saved 8.5 s of CPU: Contains 12.8 -> 9.1 s,
#: SynapsesTo 11.0 -> 8.9 s, CloseTo 19.2 -> 15.7 s), so chunks are large
REL_CHUNK = 6_000_000


def _copy_objects(
    conn: Any, table: str, frame: pd.DataFrame | None, neuron_ids: np.ndarray
) -> None:
    """COPY synapse or mitochondrion rows, then their ``Contains`` edges from their bodies.
    Rows go as Arrow tables: the ``rois`` lists are shared by many rows (one list per ROI
    combination), so the distinct lists are converted once and taken by index (measured:
    852,045 synapses, 1.9 s of CPU against 4.1 s through a pandas ``LOAD FROM``)."""
    if frame is None or frame.empty:
        return
    columns = OBJECT_TABLES[table]
    names = [f"c{i}" for i in range(len(columns))]
    for first in range(0, len(frame), NODE_COPY_ROWS):
        parts = []  # converted in pieces, copied in one COPY (one Arrow chunk per piece)
        for start in range(first, min(first + NODE_COPY_ROWS, len(frame)), NODE_CHUNK):
            part = frame.iloc[start : min(start + NODE_CHUNK, first + NODE_COPY_ROWS)]
            arrays = [_object_array(part[name], kind) for name, kind in columns]
            parts.append(pa.Table.from_arrays(arrays, names=names))
        data = pa.concat_tables(parts)
        del parts
        conn.execute(f"COPY {table} FROM $rows", {"rows": data}, rows=data.num_rows)
        del data
    bodies = frame["bodyId"].to_numpy()
    in_neuron = _member(neuron_ids, bodies.astype(np.int64, copy=False))
    ids = frame["id"].to_numpy()
    for source, chosen in (("Neuron", in_neuron), ("Segment", ~in_neuron)):
        rows = np.flatnonzero(chosen)
        edges = pa.table({"from": bodies[rows], "to": ids[rows]})
        _copy_rel(conn, "Contains", edges, source, table)


def _object_array(values: pd.Series, kind: str) -> Any:
    """One column of synapse or mitochondrion rows as Arrow (missing strings null)."""
    if kind == "STRING[]":  # shared lists: convert each distinct list once
        items = values.to_numpy()
        codes, _ = pd.factorize(np.fromiter((id(v) for v in items), np.int64, len(items)))
        firsts = np.unique(codes, return_index=True)[1] if len(codes) else codes
        distinct = pa.array([items[i] for i in firsts.tolist()], pa.list_(pa.string()))
        return distinct.take(pa.array(codes))
    if kind == "STRING":
        return pa.array(values.astype(object).where(values.notna(), None).to_numpy(), pa.string())
    return pa.array(values.to_numpy(), _ARROW_TYPES["int" if kind == "INT64" else "float"])


def _copy_rel(
    conn: Any,
    table: str,
    edges: pd.DataFrame | pa.Table,
    source: str | None = None,
    target: str | None = None,
) -> None:
    """COPY relationship rows (from key, to key, properties...) in bounded chunks, as
    Arrow tables."""
    pair = f" (from='{source}', to='{target}')" if source else ""
    if isinstance(edges, pd.DataFrame):
        edges = pa.Table.from_pandas(edges, preserve_index=False)
    for start in range(0, edges.num_rows, REL_CHUNK):
        part = edges.slice(start, REL_CHUNK)
        conn.execute(f"COPY {table} FROM $edges{pair}", {"edges": part}, rows=part.num_rows)


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)


# ---------------------------------------------------------------------------------------
# per-ROI connection rows: every ROI of the hierarchy, with pre and post counts

#: the ConnectsToRoi rows: the per-ROI file's columns and the T-bar count ``pre``
_ROI_ROW_COLUMNS = [*ROI_CONNECTION_COLUMNS, "pre"]


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
    # synapse ids are unique (the Synapse key): consecutive ids are offsets, others a hash
    # lookup (a sort and two binary searches: 7.9 s at 5 million synapses)
    ids = syn["id"].to_numpy()
    pre_at = _positions(ids, pairs["pre_id"].to_numpy())
    post_at = _positions(ids, pairs["post_id"].to_numpy())
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
    Rows are sorted by ``bodyId_pre``, ``bodyId_post``, ``roi``.

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
    arrays, notes = _roi_row_arrays(export, dataset)
    roi = arrays["roi"]
    assert isinstance(roi, _Coded)
    names = np.array(roi.names, dtype=object)
    pre = arrays["pre"]
    table = pd.DataFrame(
        {
            "bodyId_pre": arrays["bodyId_pre"],
            "bodyId_post": arrays["bodyId_post"],
            "roi": names[roi.codes] if names.size else np.array([], dtype=object),
            "weight": arrays["weight"],
            "pre": np.full(len(roi.codes), np.nan) if pre is None else pre,
        }
    )
    return table, notes


def _roi_row_arrays(
    export: Export, dataset: str | None = None
) -> tuple[dict[str, _EdgeColumn], dict[str, Any]]:
    """:func:`connection_roi_rows` as columns for :func:`_copy_edges`: super-level rows are
    derived with numpy (one sort of the child rows by connection and parent, then sums over
    the runs), not a pandas groupby (10.6 s -> about 1 s for 3.3 million rows)."""
    source = export.roi_connections
    meta = export.meta
    roi_column_ = source["roi"]
    if not isinstance(roi_column_.dtype, pd.CategoricalDtype):
        roi_column_ = roi_column_.astype(object).astype("category")
    names = [str(c) for c in roi_column_.cat.categories]
    codes = roi_column_.cat.codes.to_numpy().astype(np.int64)
    used = np.bincount(codes, minlength=len(names)) if codes.size else np.zeros(len(names))
    listed = {name for name, count in zip(names, used.tolist(), strict=True) if count}
    outside = NOT_PRIMARY in listed  # the export lists weight outside every primary ROI
    listed.discard(NOT_PRIMARY)
    primary = set(meta.get("primaryRois") or []) or listed
    supers = super_roi_children(
        meta.get("roiHierarchy"), primary, dataset or meta.get("dataset") or export.directory.name
    )
    pre_id = source["bodyId_pre"].to_numpy(dtype=np.int64)
    post_id = source["bodyId_post"].to_numpy(dtype=np.int64)
    weight = source["weight"].to_numpy(dtype=np.int64)
    tbars: np.ndarray | None = None
    counts = _synapse_counts(export) if export.has_roi_weights else None
    if counts is not None:  # trusted only if the pairs reproduce every per-ROI weight
        rows = pd.DataFrame(
            {"bodyId_pre": pre_id, "bodyId_post": post_id, "roi": np.array(names, object)[codes]}
        ).assign(weight=weight)
        mine = counts[counts["post"] > 0][["bodyId_pre", "bodyId_post", "roi", "post"]]
        theirs = rows.rename(columns={"weight": "post"})
        if not outside:
            mine = mine[mine["roi"] != NOT_PRIMARY]
        both = mine.merge(theirs, on=["bodyId_pre", "bodyId_post", "roi"], how="outer")
        if bool((both["post_x"] == both["post_y"]).all()):  # NaN (a missing row) differs
            pre = counts[["bodyId_pre", "bodyId_post", "roi", "pre"]]
            if not outside:
                pre = pre[pre["roi"] != NOT_PRIMARY]
            rows = rows.merge(pre, on=["bodyId_pre", "bodyId_post", "roi"], how="outer")
            pre_id = rows["bodyId_pre"].to_numpy(dtype=np.int64)
            post_id = rows["bodyId_post"].to_numpy(dtype=np.int64)
            weight = rows["weight"].fillna(0).to_numpy(dtype=np.int64)
            tbars = rows["pre"].fillna(0).to_numpy(dtype=np.int64)
            codes_, uniques = pd.factorize(rows["roi"].astype(object))
            codes, names = codes_.astype(np.int64), [str(u) for u in uniques]
    # rows in connection order, and each row's connection number
    order = _pair_order(pre_id, post_id)
    if order is not None:
        pre_id, post_id, codes, weight = pre_id[order], post_id[order], codes[order], weight[order]
        tbars = None if tbars is None else tbars[order]
    first = np.ones(len(pre_id), dtype=np.bool_)
    first[1:] = (pre_id[1:] != pre_id[:-1]) | (post_id[1:] != post_id[:-1])
    starts = np.flatnonzero(first)
    pair = np.cumsum(first) - 1
    del first
    # each connection's two bodies, once: the output rows take them by connection number
    # (rather than concatenating and permuting two more row-sized arrays: the peak of a
    # load's memory is here and in the engine's COPY)
    pair_pre, pair_post = pre_id[starts], post_id[starts]
    del pre_id, post_id, starts
    derived: list[str] = []
    if supers and not (set(supers) & listed):  # only primary rows: derive the super-level
        parent = {c: s for s, children in supers.items() for c in children}
        names = names + sorted({parent[n] for n in names if n in parent} - set(names))
        width = len(names)
        parent_code = np.array([names.index(parent[n]) if n in parent else -1 for n in names])
        up = parent_code[codes] if codes.size else codes
        child = np.flatnonzero(up >= 0)
        key = pair[child] * width + up[child]
        del up
        by_key = np.argsort(key, kind="stable")
        key = key[by_key]
        child = child[by_key]
        del by_key
        runs = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if key.size else key
        sums = np.add.reduceat(weight[child], runs) if runs.size else runs
        super_pair, super_code = key[runs] // width, key[runs] % width
        del key
        derived = sorted({names[c] for c in np.unique(super_code).tolist()})
        weight = np.concatenate((weight, sums.astype(np.int64)))
        if tbars is not None:
            tbar_sums = np.add.reduceat(tbars[child], runs) if runs.size else runs
            tbars = np.concatenate((tbars, tbar_sums.astype(np.int64)))
        del child, runs, sums
        pair = np.concatenate((pair, super_pair))
        codes = np.concatenate((codes, super_code))
        del super_pair, super_code
    # sorted by connection, then ROI name
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    order_key = pair * max(len(names), 1)
    order_key += rank[codes] if codes.size else codes
    final = np.argsort(order_key)
    del order_key
    pair = pair[final]
    arrays: dict[str, _EdgeColumn] = {
        "bodyId_pre": pair_pre[pair],
        "bodyId_post": pair_post[pair],
        "roi": _Coded(codes[final].astype(np.int32), tuple(names)),
        "weight": weight[final],
        "pre": None if tbars is None else tbars[final],
    }
    return arrays, {"derivedRois": derived, "roiPreCounts": tbars is not None}


def _pair_order(pre: np.ndarray, post: np.ndarray) -> np.ndarray | None:
    """The order that sorts rows by ``(pre, post)``, or ``None`` if they already are
    (exports usually list rows by connection: one linear check instead of a sort)."""
    if len(pre) < 2:
        return None
    later = pre[1:]
    ordered = (later > pre[:-1]) | ((later == pre[:-1]) & (post[1:] >= post[:-1]))
    if bool(ordered.all()):
        return None
    found: np.ndarray = np.lexsort((post, pre))
    return found


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


def _primary_rois(export: Export) -> list[str]:
    """``meta.json``'s primary ROIs, else the ROIs of the per-ROI file."""
    listed: list[str] = export.meta.get("primaryRois") or sorted(
        str(r) for r in export.roi_connections["roi"].unique().tolist() if r != NOT_PRIMARY
    )
    return listed


def _drop_columns(frame: pd.DataFrame) -> None:
    """Empty a frame nobody else holds (its columns' memory goes back before the big
    copies: about 150 MB at 3,000,000 connections)."""
    for column in list(frame.columns):
        del frame[column]


def _write_meta(
    conn: Any,
    export: Export,
    properties: dict[str, str],
    rois: list[str],
    dataset: str | None,
    counts: dict[str, int],
    roi_notes: dict[str, Any],
    primary: list[str],
    token: str,
) -> None:
    meta = export.meta
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
        "buildToken": token,
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


def _write_manifest(tmp: Path, name: str, counts: dict[str, int], companions: list[str]) -> None:
    files = {name: tmp}
    for companion in companions:
        files[companion_path(name, companion).name] = companion_path(tmp, companion)
    manifest = {
        "database": name,
        "schemaVersion": SCHEMA_VERSION,
        "rowCounts": counts,
        "files": {n: {"size": p.stat().st_size, "sha256": _sha256(p)} for n, p in files.items()},
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
        files = manifest["files"]
        recorded = {
            str(name): (int(entry["size"]), str(entry["sha256"])) for name, entry in files.items()
        }
        if path.name not in recorded:
            raise KeyError(path.name)
    except FileNotFoundError:
        return [f"no manifest {manifest_file.name}: load the export again to get one"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        return [f"the manifest {manifest_file.name} is unreadable ({err!r})"]
    problems = []
    for name, (size, checksum) in recorded.items():  # the database, then its companions
        file = path.with_name(name)
        if not file.is_file():
            problems.append(f"{name} is missing; load the export again")
            continue
        actual = file.stat().st_size
        if actual != size:
            problems.append(f"{name} has {actual} bytes, the load wrote {size}")
        elif _sha256(file) != checksum:
            problems.append(
                f"{name} differs from what the load wrote (SHA-256 mismatch): the file is "
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
