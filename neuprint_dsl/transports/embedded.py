"""The embedded transport: queries run in-process on a Ladybug database.

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
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..cypher import CypherStatement, GraphSchema
from ..embedded.build import MAX_DB_SIZE, SCHEMA_VERSION
from ..errors import LoadError, TransportError, excerpt
from .base import Table

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
# handle on the same file would release the first one's lock.
_OPEN: dict[Path, tuple[Any, int]] = {}
_OPEN_LOCK = threading.Lock()


class Embedded:
    """A Ladybug database holding a neuPrint-shaped connectome (see ``neuprint_dsl.embedded``).

    ``run(query)`` compiles a statement (or text, or a neuron predicate) for the ``ladybug``
    dialect with this database's schema and returns a DataFrame; ``execute(statement)`` runs
    already compiled Cypher.
    """

    dialect = "ladybug"

    def __init__(self, path: str | Path, *, read_only: bool = True) -> None:
        import ladybug

        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise TransportError(
                f"no embedded database at {self.path}; create one with "
                "'neuprint-dsl load EXPORT_DIR --db PATH'"
            )
        with _OPEN_LOCK:
            db, count = _OPEN.get(self.path, (None, 0))
            if db is None:
                try:
                    db = ladybug.Database(
                        str(self.path), read_only=read_only, max_db_size=MAX_DB_SIZE
                    )
                except RuntimeError as err:
                    raise TransportError(f"cannot open {self.path}: {err}") from None
            _OPEN[self.path] = (db, count + 1)
        self._db = db
        self._conn = ladybug.Connection(db)
        self._lock = threading.Lock()
        self._closed = False
        self.meta = self._read_meta()
        if self.meta.get("schemaVersion") != SCHEMA_VERSION:
            self.close()
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
        )

    @property
    def schema(self) -> GraphSchema:
        """Property kinds and ROI names of this database (for the compiler)."""
        return self._schema

    def execute(self, statement: CypherStatement) -> Table:
        """Run a compiled ``ladybug`` statement; returns its rows as a :class:`Table`."""
        if statement.dialect != self.dialect:
            raise TransportError(
                f"this statement was compiled for {statement.dialect}, not {self.dialect}"
            )
        params = {name: _param(name, value) for name, value in statement.params.items()}
        logger.debug("embedded query:\n%s\nparameters: %r", statement.text, params)
        with self._lock:
            if self._closed:
                raise TransportError("this embedded database is closed")
            try:
                frame = _single(self._conn.execute(statement.text, params)).get_as_df()
            except RuntimeError as err:
                raise TransportError(
                    f"the embedded engine failed: {err}\nquery was:\n{excerpt(statement.text)}"
                ) from None
        return Table(statement.columns, frame)

    def fetch_custom(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run raw Cypher in the engine's own dialect (Ladybug's, not Neo4j's).

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
        with self._lock:
            if self._closed:
                raise TransportError("this embedded database is closed")
            try:
                result = _single(self._conn.execute(cypher, dict(params or {})))
                frame: pd.DataFrame = result.get_as_df()
            except RuntimeError as err:
                raise TransportError(
                    f"the embedded engine failed: {err}\nquery was:\n{excerpt(cypher)}"
                ) from None
        return frame

    def run(self, query: Any) -> pd.DataFrame:
        """Run a statement, query text or neuron predicate; returns a typed DataFrame."""
        from ..execute import run

        return run(self, query)

    def close(self) -> None:
        """Release this handle (the database file closes with its last handle)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()
        with _OPEN_LOCK:
            db, count = _OPEN[self.path]
            if count <= 1:
                del _OPEN[self.path]
                db.close()
            else:
                _OPEN[self.path] = (db, count - 1)

    def __enter__(self) -> Embedded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Embedded {self.meta.get('dataset', '?')!r} at {self.path}>"

    def _read_meta(self) -> dict[str, Any]:
        try:
            rows = _single(self._conn.execute("MATCH (m:Meta) RETURN m.key, m.value")).get_all()
        except RuntimeError as err:
            raise LoadError(str(self.path), f"not a neuprint-dsl database ({err})") from None
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
                raise TransportError(
                    f"parameter ${name} holds a string with a lone surrogate ({v!r}); the embedded "
                    "engine stores UTF-8 text, which cannot represent it"
                ) from None
    return list(value) if isinstance(value, tuple) else value
