"""The embedded transport: queries run in-process on a Ladybug database.

:class:`Embedded` opens a database file that :mod:`neuprint_dsl.embedded` wrote (the store:
loaders, the sample) and runs compiled ``ladybug`` Cypher on it; ``run`` is the executor's
(:class:`~neuprint_dsl.execute.Runs`). :func:`open_database` (also
``neuprint_dsl.open_embedded`` and ``neuprint_dsl.embedded.open_database``) and
:func:`embedded` (``neuprint_dsl.embedded(...)``) open one, or the default sample; they live
here, above the store, so that ``neuprint_dsl.embedded`` never imports a transport.

Example:
    >>> import tempfile
    >>> from neuprint_dsl import N
    >>> from neuprint_dsl.embedded import load
    >>> from neuprint_dsl.embedded.sample import generate_sample
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = generate_sample(tmp, neurons=40, edges=100, seed=3)
    ...     db = Embedded(load(tmp, f"{tmp}/graph.lbug"))
    ...     df = db.run(N.type == "APL")
    ...     db.close()
    >>> list(df["type"])
    ['APL']
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..backends import LADYBUG
from ..cypher import to_cypher
from ..cypher.statement import CypherStatement
from ..embedded import default_database
from ..embedded.build import MAX_DB_SIZE, SCHEMA_VERSION, table_counts
from ..embedded.companions import companion_path
from ..embedded.roi_rows import ROI_ROWS, RoiRows, listed_bodies, roi_slice
from ..embedded.synapse_companion import SYNAPSE_COMPANION, SynapseCompanion
from ..errors import InvalidValue, LoadError, QueryTimeout, TransportError, excerpt
from ..execute import Runs
from ..expr import TRUE, Predicate
from ..progress import Progress
from ..query import Label, Neurons
from ..schema import GraphSchema
from .base import SortKeys, Table

_T = TypeVar("_T")

logger = logging.getLogger(__name__)

#: Columns of the ``Synapse`` and ``Mito`` node tables that queries may read (besides ROIs).
SYNAPSE_PROPERTIES = {
    "bodyId": "int",
    "type": "str",
    "confidence": "float",
    "x": "int",
    "y": "int",
    "z": "int",
}
MITO_PROPERTIES = {
    "bodyId": "int",
    "mitoType": "str",
    "size": "int",
    "x": "int",
    "y": "int",
    "z": "int",
    "r0": "float",
    "r1": "float",
    "r2": "float",
}

# One Database per file per process: Ladybug's file lock is per process, and closing a second
# handle on the same file would release the first one's lock. A file is its path and its
# identity (device, inode): a load replaces the file (a new inode), so handles opened after a
# reload read the new file while older ones still hold the old one open.
_Key = tuple[Path, int, int]
_OPEN: dict[_Key, tuple[Any, int]] = {}
_OPEN_LOCK = threading.Lock()


def _identity(path: Path) -> _Key | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (path, stat.st_dev, stat.st_ino)


def _acquire(key: _Key, read_only: bool) -> tuple[Any, bool]:
    """The shared Database of file ``key``, and whether this call opened it."""
    import ladybug

    with _OPEN_LOCK:
        db, count = _OPEN.get(key, (None, 0))
        fresh = db is None
        if db is None:
            try:
                db = ladybug.Database(str(key[0]), read_only=read_only, max_db_size=MAX_DB_SIZE)
            except RuntimeError as err:
                raise TransportError(f"cannot open {key[0]}: {err}") from None
        _OPEN[key] = (db, count + 1)
    return db, fresh


def _release(key: _Key) -> None:
    with _OPEN_LOCK:
        db, count = _OPEN[key]
        if count <= 1:
            del _OPEN[key]
            db.close()
        else:
            _OPEN[key] = (db, count - 1)


class Embedded(Runs):
    """A Ladybug database holding a neuPrint-shaped connectome (see ``neuprint_dsl.embedded``).

    ``run(query)`` compiles a statement (or text, or a neuron predicate) for the ``ladybug``
    dialect with this database's schema and returns a DataFrame; ``execute(statement)`` runs
    already compiled Cypher; ``execute_sorted``, ``execute_arrow`` and ``answer_directly``
    are the optional capabilities of :mod:`neuprint_dsl.transports.base` the executor and
    ``fetch_synapses`` use (``answer_directly``: per-ROI rows from the database's
    ``roi-rows`` companion file, when it has one of its own build).
    """

    dialect = LADYBUG

    def __init__(self, path: str | Path, *, read_only: bool = True) -> None:
        self.path = Path(path).resolve()
        key = _identity(self.path) if self.path.is_file() else None
        if key is None:
            raise TransportError(
                f"no embedded database at {self.path}; create one with "
                "'neuprint-dsl load EXPORT_DIR --db PATH'"
            )
        self._read_only = read_only
        self._lock = threading.Lock()
        self._closed = False
        self._synapses: tuple[Any, SynapseCompanion | None] = (None, None)  # (files seen, it)
        self._open(key)

    def _open(self, key: _Key) -> None:
        """Attach this handle to the database file ``key`` and read its meta and schema."""
        import ladybug

        db, fresh = _acquire(key, self._read_only)
        try:
            conn = ladybug.Connection(db)
            try:
                meta = _read_meta(conn, self.path)
                if fresh:  # once per file and process: the row counts the load recorded
                    _check_counts(conn, self.path, meta)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            _release(key)
            raise
        self._key, self._db, self._conn, self.meta = key, db, conn, meta
        if self.meta.get("schemaVersion") != SCHEMA_VERSION:
            conn.close()
            _release(key)
            self._closed = True
            raise LoadError(
                str(self.path),
                f"built by another version of neuprint-dsl (schema "
                f"{self.meta.get('schemaVersion', 1)}, this version reads {SCHEMA_VERSION}); "
                "load the export again with 'neuprint-dsl load EXPORT_DIR --db PATH'",
            )
        self._schema = GraphSchema(
            node_properties={**self.meta.get("neuronProperties", {}), "roiInfo": "json"},
            edge_properties={"weight": "int", "weightHP": "int"},
            rois=frozenset(self.meta.get("rois", ())),
            synapse_properties=SYNAPSE_PROPERTIES,
            mito_properties=MITO_PROPERTIES,
            has_synapses=int(self.meta.get("synapses", 0)) > 0,
            has_mitochondria=int(self.meta.get("mitochondria", 0)) > 0,
            has_roi_weights=bool(self.meta.get("roiWeights", True)),
        )
        self._open_roi_rows()

    def _open_roi_rows(self) -> None:
        """Open the ``roi-rows`` companion of this database's build, if there is one (else
        the database answers every per-ROI statement); remember which file was tried. A
        handle that may write never reads one: its writes could change the rows it holds."""
        token = self.meta.get("buildToken")
        self._roi_rows_file = _identity(companion_path(self.path, ROI_ROWS))
        usable = self._read_only and isinstance(token, str)
        self._roi_rows = RoiRows.open(self.path, str(token)) if usable else None

    def _roi_rows_companion(self) -> RoiRows | None:
        """The open ``roi-rows`` companion; when there was none of this build, try again if
        its file changed since (a load moves it into place just after the database). None
        once the handle is closed (then running the statement says so)."""
        if self._closed:
            return None
        companion = self._roi_rows
        if companion is None and self._read_only:
            seen = _identity(companion_path(self.path, ROI_ROWS))
            if seen is not None and seen != self._roi_rows_file:
                with self._lock:
                    if not self._closed:
                        self._open_roi_rows()
                        companion = self._roi_rows
        return companion

    def _follow_reload(self) -> None:
        """If the file at :attr:`path` was replaced (``neuprint-dsl load`` again) since this
        handle opened it, move to the new file: a handle never answers from a database that
        is no longer there. Costs one ``stat`` per query."""
        key = _identity(self.path)
        if key is None or key == self._key or self._closed:
            return
        with self._lock:
            if key == self._key or self._closed:  # another thread moved it already
                return
            old = self._key
            self._conn.close()
            try:
                self._open(key)
            except BaseException:
                self._closed = True
                raise
            finally:
                _release(old)

    @property
    def schema(self) -> GraphSchema:
        """Property kinds and ROI names of this database (for the compiler)."""
        self._follow_reload()
        return self._schema

    def execute(self, statement: CypherStatement) -> Table:
        """Run a compiled ``ladybug`` statement; returns its rows as a :class:`Table`."""
        return Table(statement.columns, self._run(statement, exact_frame))

    def execute_sorted(self, statement: CypherStatement, order: SortKeys) -> Table:
        """Run a compiled ``ladybug`` statement and sort its rows by ``order`` (result
        columns, each with ``True`` for descending) here, on the engine's Arrow result,
        instead of with an ORDER BY in the engine: for large results whose sort keys are never
        null, the same order 2x faster (:func:`neuprint_dsl.execute.run` uses it for per-ROI
        rows; docs/embedded.md)."""
        return Table(statement.columns, self._run(statement, lambda r: exact_frame(r, order)))

    def answer_directly(self, statement: Any) -> pd.DataFrame | None:
        """The frame of a per-ROI ``connections`` statement from the database's ``roi-rows``
        companion (a sorted, memory-mapped file of the per-ROI rows the load wrote beside
        it): the frame ``run`` makes of the compiled statement's rows (same rows, order,
        dtypes), several times faster. ``None`` when the companion cannot answer the
        statement (:func:`~neuprint_dsl.embedded.roi_rows.roi_slice` decides) or is missing
        or of another build: then the database answers. Neuron conditions other than a list of
        body ids are first resolved to body ids with one neuron query on the database.

        Example:
            >>> import tempfile
            >>> from neuprint_dsl import N, connections
            >>> from neuprint_dsl.embedded import load
            >>> from neuprint_dsl.embedded.sample import generate_sample
            >>> from neuprint_dsl.frames import shape_statement
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=1)
            ...     with Embedded(load(tmp, f"{tmp}/g.lbug")) as db:
            ...         stmt = connections(N.type == "APL", per_roi=True)
            ...         direct = db.answer_directly(stmt)
            ...         engine = shape_statement(
            ...             db.execute(to_cypher(stmt, "ladybug")).to_frame(), stmt)
            ...         print(direct.equals(engine), len(direct) > 0)
            True True
        """
        self._follow_reload()
        plan = roi_slice(statement, self._schema.node_kinds())
        if plan is None:
            return None
        companion = self._roi_rows_companion()
        if companion is None:
            return None
        upstream = self._bodies(plan.upstream, statement.upstream_label)
        downstream = self._bodies(plan.downstream, statement.downstream_label)
        return companion.frame(plan, upstream, downstream)

    def _bodies(self, pred: Predicate, label: Label) -> np.ndarray | None:
        """The sorted distinct body ids of label ``label`` matching the neuron condition
        ``pred`` (a list of body ids as listed, whatever their label: the companion knows
        which are neurons), or ``None`` for any body."""
        if pred == TRUE:
            return None
        listed = listed_bodies(pred)
        if listed is not None:
            return listed
        query = Neurons(pred, label=label, columns=("bodyId",))
        found = self.execute_arrow(to_cypher(query, self.dialect, schema=self._schema))
        return np.unique(np.asarray(found.column(0).to_numpy(), dtype=np.int64))

    def synapse_companion(self) -> SynapseCompanion | None:
        """The database's ``synapses`` companion (every synapse, sorted by body, memory-mapped:
        :mod:`neuprint_dsl.embedded.synapse_companion`) when there is one of this database's
        build, else ``None`` (then ``fetch_synapses`` and ``fetch_mean_synapses`` ask the
        engine). Opened again when the database or the companion file was replaced.

        Example:
            >>> import tempfile
            >>> from neuprint_dsl.embedded import load
            >>> from neuprint_dsl.embedded.sample import generate_sample
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=1, synapses=True)
            ...     with Embedded(load(tmp, f"{tmp}/g.lbug")) as db:
            ...         print(db.synapse_companion().num_rows == db.meta["synapses"])
            True
        """
        self._follow_reload()
        seen = (self._key, _identity(companion_path(self.path, SYNAPSE_COMPANION)))
        with self._lock:
            if self._closed:
                return None
            if self._synapses[0] != seen:
                token = self.meta.get("buildToken")
                self._synapses = (seen, SynapseCompanion.open(self.path, token and str(token)))
            return self._synapses[1]

    def execute_arrow(self, statement: CypherStatement) -> Any:
        """Run a compiled ``ladybug`` statement; returns its rows as a ``pyarrow.Table``
        (columns named as the statement's, in the engine's types, nulls kept), for callers
        that shape large results themselves (``fetch_synapses``) instead of through pandas.

        Example:
            >>> import tempfile
            >>> from neuprint_dsl import N, neurons
            >>> from neuprint_dsl.cypher import to_cypher
            >>> from neuprint_dsl.embedded import load
            >>> from neuprint_dsl.embedded.sample import generate_sample
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=1)
            ...     with Embedded(load(tmp, f"{tmp}/g.lbug")) as db:
            ...         stmt = to_cypher(neurons(N.type == "APL", columns=["bodyId"]), "ladybug")
            ...         print(db.execute_arrow(stmt).column_names)
            ['bodyId']
        """
        return self._run(statement, lambda result: result.get_as_arrow(0))

    def _run(self, statement: CypherStatement, read: Callable[[Any], _T]) -> _T:
        """Run ``statement`` under the connection lock and ``read`` its result there; engine
        failures become :class:`TransportError` with the query's text."""
        if statement.dialect != self.dialect:
            raise TransportError(
                f"this statement was compiled for {statement.dialect}, not {self.dialect}"
            )
        params = {name: _param(name, value) for name, value in statement.params.items()}
        self._follow_reload()
        logger.debug("embedded query:\n%s\nparameters: %r", statement.text, params)
        with self._lock:
            if self._closed:
                raise TransportError("this embedded database is closed")
            try:
                return read(_single(self._conn.execute(statement.text, params)))
            except RuntimeError as err:
                raise TransportError(
                    f"the embedded engine failed: {err}\nquery was:\n{excerpt(statement.text)}"
                ) from None

    def fetch_custom(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> pd.DataFrame:
        """Run raw Cypher in the engine's own dialect (Ladybug's, not Neo4j's). With
        ``timeout`` (seconds), a run that takes longer is stopped: :class:`QueryTimeout`.

        Example:
            >>> import tempfile
            >>> from neuprint_dsl.embedded import load
            >>> from neuprint_dsl.embedded.sample import generate_sample
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=1)
            ...     with Embedded(load(tmp, f"{tmp}/g.lbug")) as db:
            ...         print(db.fetch_custom("MATCH (n:Neuron) RETURN count(*) AS n")["n"][0])
            30
        """
        logger.debug("embedded query:\n%s", cypher)
        self._follow_reload()
        with self._lock:
            if self._closed:
                raise TransportError("this embedded database is closed")
            if timeout is not None:
                self._conn.set_query_timeout(max(1, round(timeout * 1000)))
            try:
                result = _single(self._conn.execute(cypher, dict(params or {})))
                frame = exact_frame(result)
            except RuntimeError as err:
                if timeout is not None and "Interrupted" in str(err):
                    raise QueryTimeout(
                        f"the embedded engine stopped the query after {timeout:g} s"
                        f"\nquery was:\n{excerpt(cypher)}"
                    ) from None
                raise TransportError(
                    f"the embedded engine failed: {err}\nquery was:\n{excerpt(cypher)}"
                ) from None
            finally:
                if timeout is not None:
                    self._conn.set_query_timeout(0)
        return frame

    def close(self) -> None:
        """Release this handle (the database file closes with its last handle)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()
            self._roi_rows = None  # unmaps the companion (frames hold copies, not views)
            self._synapses = (None, None)
        _release(self._key)

    def __enter__(self) -> Embedded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Embedded {self.meta.get('dataset', '?')!r} at {self.path}>"


def open_database(path: str | Path | None = None, *, progress: Progress | None = None) -> Embedded:
    """Open an embedded database (the default sample when ``path`` is ``None``, built in
    the cache directory on first use). ``neuprint_dsl.open_embedded`` is this function; the
    package root also makes it ``neuprint_dsl.embedded.open_database`` (see
    :mod:`neuprint_dsl.embedded`).

    Example:
        >>> import tempfile
        >>> from neuprint_dsl.embedded import load
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=1)
        ...     with open_database(load(tmp, f"{tmp}/g.lbug")) as db:
        ...         print(db.dialect)
        ladybug
    """
    return Embedded(default_database(progress) if path is None else path)


def embedded(path: str | Path | None = None, *, progress: Progress | None = None) -> Embedded:
    """Open an embedded database at ``path``, or the default synthetic sample when ``path`` is
    ``None`` (built in the cache directory on first use; nothing is downloaded).

    This is the function ``neuprint_dsl.embedded(...)`` (see :mod:`neuprint_dsl.embedded`
    for how the function and the subpackage share the name). ``progress`` reports the
    sample's first build.

    Example:
        >>> import tempfile
        >>> from neuprint_dsl import embedded
        >>> from neuprint_dsl.embedded import load
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=40, edges=100, seed=3)
        ...     with embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        ...         print(type(db).__name__)
        Embedded
    """
    return open_database(path, progress=progress)


def _check_counts(conn: Any, path: Path, meta: Mapping[str, Any]) -> None:
    """Refuse a database whose tables do not hold the rows its load wrote (a cheap check on
    open; ``neuprint-dsl info --verify`` checks every byte)."""
    recorded = meta.get("rowCounts")
    if not isinstance(recorded, dict) or meta.get("schemaVersion") != SCHEMA_VERSION:
        return
    try:
        actual = table_counts(conn)
    except RuntimeError as err:
        raise LoadError(str(path), f"damaged: its tables cannot be read ({err})") from None
    for table, rows in recorded.items():
        if actual.get(table) != rows:
            raise LoadError(
                str(path),
                f"damaged: table {table} holds {actual.get(table)} rows, the load wrote {rows}; "
                "load the export again",
            )


def _read_meta(conn: Any, path: Path) -> dict[str, Any]:
    try:
        rows = _single(conn.execute("MATCH (m:Meta) RETURN m.key, m.value")).get_all()
    except RuntimeError as err:
        raise LoadError(str(path), f"not a neuprint-dsl database ({err})") from None
    return {key: json.loads(value) for key, value in rows}


def count_rows(database: Embedded) -> dict[str, int]:
    """Neurons, other segments, connections, per-ROI connection rows, synapses, synapse
    pairs and mitochondria in a database."""
    queries = {
        "neurons": "MATCH (n:Neuron) RETURN count(*)",
        "other segments": "MATCH (n:Segment) RETURN count(*)",
        "connections": "MATCH ()-[e:ConnectsTo]->() RETURN count(*)",
        "per-ROI connection rows": "MATCH ()-[r:ConnectsToRoi]->() RETURN count(*)",
        "synapses": "MATCH (s:Synapse) RETURN count(*)",
        "synapse pairs": "MATCH ()-[p:SynapsesTo]->() RETURN count(*)",
        "mitochondria": "MATCH (m:Mito) RETURN count(*)",
    }
    with database._lock:
        return {
            name: int(_single(database._conn.execute(q)).get_all()[0][0])
            for name, q in queries.items()
        }


#: integer column types the engine reports; with a NULL among them, its DataFrame holds float64
_INT_TYPES = {
    "INT8": "Int64",
    "INT16": "Int64",
    "INT32": "Int64",
    "INT64": "Int64",
    "SERIAL": "Int64",
    "UINT8": "Int64",
    "UINT16": "Int64",
    "UINT32": "Int64",
    "UINT64": "UInt64",
}


def exact_frame(result: Any, order: SortKeys | None = None) -> pd.DataFrame:
    """A query result as a DataFrame in which integers are exact: an integer column with a
    NULL becomes nullable ``Int64`` (``UInt64`` for ``UINT64``), never float64, which would
    round every value above 2**53.

    Results whose columns are all scalars (integers, floats, strings, booleans) or lists of
    them are read through Arrow (``get_as_arrow``), which is about twice as fast as the
    engine's ``get_as_df`` and gives the same frame: lists as Python lists, a missing boolean
    as NaN. Other results (nodes, structs, maps, dates) and empty ones are read with
    ``get_as_df``.

    Example:
        >>> import ladybug
        >>> conn = ladybug.Connection(ladybug.Database(":memory:"))
        >>> frame = exact_frame(conn.execute(
        ...     "UNWIND [9007199254740993, NULL] AS x RETURN x, [x] AS l"))
        >>> frame["x"].tolist(), frame["l"].tolist()
        ([9007199254740993, <NA>], [[9007199254740993], [None]])
    """
    types: list[str] = result.get_column_data_types()
    if all(_arrow_readable(kind) for kind in types) and result.get_num_tuples():
        table = result.get_as_arrow(0)
        if order:
            table = table.take(_sort_indices(table, order))
        return _arrow_frame(table, types)
    frame = _df_frame(result, types)
    if order and len(frame) > 1:
        names, descending = [n for n, _ in order], [d for _, d in order]
        frame = frame.sort_values(
            names, ascending=[not d for d in descending], kind="stable", ignore_index=True
        )
    return frame


def _sort_indices(table: Any, order: SortKeys) -> Any:
    """The row order of an Arrow ``table`` by ``order``: numbers by value, strings by code
    point (UTF-8 bytes, as Ladybug's ORDER BY), nulls last (never relied on: callers sort by
    columns that are never null)."""
    import pyarrow.compute as pc

    keys = [(name, "descending" if desc else "ascending") for name, desc in order]
    return pc.sort_indices(table, sort_keys=keys)  # Arrow's default: nulls at the end


#: scalar column types that Arrow hands to pandas as get_as_df does (integers aside)
_ARROW_SCALARS = frozenset({*_INT_TYPES, "DOUBLE", "FLOAT", "STRING", "BOOL"})


def _arrow_readable(kind: str) -> bool:
    """Whether a column of engine type ``kind`` is read through Arrow (scalars, lists of
    scalars)."""
    while kind.endswith("[]"):
        kind = kind[:-2]
    return kind in _ARROW_SCALARS


def _arrow_frame(table: Any, types: list[str]) -> pd.DataFrame:
    """``table`` as get_as_df would give it, with exact integers."""
    columns: dict[int, Any] = {}
    for i, kind in enumerate(types):
        column = table.column(i)
        if kind.endswith("[]"):  # a missing list is NaN in get_as_df's frame
            values: Any = pd.Series(
                [math.nan if v is None else v for v in column.to_pylist()], dtype=object
            )
        elif kind == "STRING" and column.null_count == len(column):  # as get_as_df: object
            values = pd.Series([math.nan] * len(column), dtype=object)
        elif kind in _INT_TYPES and column.null_count:
            dtype = pd.UInt64Dtype() if _INT_TYPES[kind] == "UInt64" else pd.Int64Dtype()
            values = column.to_pandas(types_mapper=lambda _t, d=dtype: d)
        elif kind == "BOOL" and column.null_count:
            values = pd.Series(
                [math.nan if v is None else v for v in column.to_pylist()], dtype=object
            )
        else:
            values = column.to_pandas()
        columns[i] = values
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    frame.columns = pd.Index(list(table.column_names))
    return frame


def _df_frame(result: Any, types: list[str]) -> pd.DataFrame:
    """The engine's ``get_as_df``, with integer columns holding a NULL read again exactly."""
    frame: pd.DataFrame = result.get_as_df()
    inexact = [
        i
        for i, kind in enumerate(types)
        if kind in _INT_TYPES and frame.iloc[:, i].dtype.kind == "f"
    ]
    if not inexact:
        return frame
    result.reset_iterator()
    rows = result.get_all()
    frame = frame.copy()
    for i in inexact:
        values: Any = pd.array([row[i] for row in rows], dtype=_INT_TYPES[types[i]])  # type: ignore[call-overload]
        frame.isetitem(i, values)
    return frame


def _single(result: Any) -> Any:
    """The result of a one-statement query (Ladybug returns a list for several)."""
    return result[-1] if isinstance(result, list) else result


def _param(name: str, value: Any) -> Any:
    values = value if isinstance(value, (list, tuple)) else [value]
    for v in values:
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidValue(
                    f"parameter ${name} holds a string with a lone surrogate ({v!r}); the embedded "
                    "engine stores UTF-8 text, which cannot represent it"
                ) from None
    return list(value) if isinstance(value, tuple) else value
