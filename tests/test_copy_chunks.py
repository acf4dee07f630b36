"""A load split into many small Arrow conversions and COPYs (tiny ``NODE_CHUNK``,
``NODE_COPY_ROWS``, ``EDGE_CHUNK``, ``REL_CHUNK`` and ``REOPEN_ROWS``, of uneven sizes, so
several Arrow chunks go into one COPY and tables take several COPYs) stores exactly the rows
of a normal load: every row of every engine table, floats bit for bit, and the same
companions. Real loads only split above a million rows, which no other test reaches."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from neuprint_dsl.embedded import build
from neuprint_dsl.embedded.build import load_export
from neuprint_dsl.embedded.companions import companion_path, open_companion
from neuprint_dsl.embedded.export import read_export
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.transports import Embedded

#: uneven: a COPY of 50 synapses is 17 + 17 + 16 rows in three Arrow chunks, the 39
#: mitochondria 17 + 17 + 5 in one COPY (smaller sizes only make the load slower: each COPY
#: costs about 40 ms)
TINY = {
    "NODE_CHUNK": 17,
    "NODE_COPY_ROWS": 50,
    "EDGE_CHUNK": 30,
    "REL_CHUNK": 70,
    "REOPEN_ROWS": 150,
}

#: every engine table as rows in a fixed order
QUERIES = {
    "Neuron": "MATCH (n:Neuron) RETURN n.bodyId AS body, n.type AS type, n.roiNames AS names, "
    "n.roiPre AS roiPre, n.roiPost AS roiPost, n.roiInfo AS roiInfo ORDER BY body",
    "Segment": "MATCH (n:Segment) RETURN n.bodyId AS body, n.roiNames AS names, "
    "n.roiPre AS roiPre, n.roiPost AS roiPost, n.roiInfo AS roiInfo ORDER BY body",
    "Synapse": "MATCH (s:Synapse) RETURN s.id AS id, s.bodyId AS bodyId, s.type AS type, "
    "s.confidence AS confidence, s.x AS x, s.y AS y, s.z AS z, s.roi AS roi, s.rois AS rois "
    "ORDER BY id",
    "Mito": "MATCH (m:Mito) RETURN m.id AS id, m.bodyId AS bodyId, m.mitoType AS mitoType, "
    "m.size AS size, m.x AS x, m.y AS y, m.z AS z, m.r0 AS r0, m.r1 AS r1, m.r2 AS r2, "
    "m.roi AS roi, m.rois AS rois ORDER BY id",
    "Contains": "MATCH (b)-[:Contains]->(o) RETURN label(b) AS bodyTable, b.bodyId AS body, "
    "label(o) AS objectTable, o.id AS id ORDER BY objectTable, id, bodyTable, body",
    "SynapsesTo": "MATCH (a:Synapse)-[:SynapsesTo]->(b:Synapse) RETURN a.id AS pre, "
    "b.id AS post ORDER BY pre, post",
    "CloseTo": "MATCH (s:Synapse)-[r:CloseTo]->(m:Mito) RETURN s.id AS synapse, m.id AS mito, "
    "r.distance AS distance ORDER BY synapse, mito",
    "ConnectsTo": "MATCH (a)-[r:ConnectsTo]->(b) RETURN label(a) AS preTable, a.bodyId AS pre, "
    "label(b) AS postTable, b.bodyId AS post, r.weight AS weight, r.weightHP AS weightHP "
    "ORDER BY pre, post, preTable, postTable",
    "ConnectsToRoi": "MATCH (a)-[r:ConnectsToRoi]->(b) RETURN label(a) AS preTable, "
    "a.bodyId AS pre, label(b) AS postTable, b.bodyId AS post, r.roi AS roi, "
    "r.weight AS weight, r.pre AS tbars ORDER BY pre, post, roi, preTable, postTable",
}


@dataclass
class Loads:
    export_dir: Path
    normal: Path
    split: Path
    copies: list[tuple[str, int, list[int]]]  # table, rows, rows of each Arrow chunk
    opens: int


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loads]:
    directory = tmp_path_factory.mktemp("copy_chunks")
    # 464 synapses, 39 mitochondria, 329 synapse pairs, 417 closest pairs, 100 connections
    generate_sample(directory, neurons=40, edges=100, seed=3, synapses=True)
    normal = load_export(directory, directory / "normal.lbug")
    copies: list[tuple[str, int, list[int]]] = []
    opens = 0
    execute, reopen = build._Writer.execute, build._Writer._open

    def recording_execute(self: Any, query: str, parameters: Any = None, **kw: Any) -> Any:
        if query.startswith("COPY "):
            (data,) = parameters.values()
            sizes = [len(c) for c in data.column(0).chunks] if isinstance(data, pa.Table) else []
            copies.append((query.split()[1], len(data), sizes))
        return execute(self, query, parameters, **kw)

    def counting_open(self: Any) -> None:
        nonlocal opens
        opens += 1
        reopen(self)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in TINY.items():
            patch.setattr(build, name, value)
        patch.setattr(build._Writer, "execute", recording_execute)
        patch.setattr(build._Writer, "_open", counting_open)
        split = load_export(directory, directory / "split.lbug")
    yield Loads(directory, normal, split, copies, opens)


def _rows(path: Path, query: str) -> pd.DataFrame:
    with Embedded(path) as db:
        return db.fetch_custom(query)


def _plain(value: Any) -> Any:
    """A stored value as a plain Python value (a list as a list, any missing scalar None)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    return None if pd.isna(value) else value


def _assert_same(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    """Equal frames: same columns, dtypes and values, floats bit for bit."""
    assert list(got.columns) == list(want.columns), what
    assert len(got) == len(want), what
    for column in want.columns:
        a, b = got[column], want[column]
        assert a.dtype == b.dtype, (what, column, a.dtype, b.dtype)
        if b.dtype.kind == "f":
            bits_a = a.to_numpy(np.float64).view(np.uint64)
            bits_b = b.to_numpy(np.float64).view(np.uint64)
            bad = np.flatnonzero(bits_a != bits_b)
            assert bad.size == 0, (what, column, got.iloc[bad[:5]], want.iloc[bad[:5]])
        else:
            assert a.tolist() == b.tolist(), (what, column)


def test_the_split_load_really_splits(loads: Loads) -> None:
    by_table = Counter(table for table, _, _ in loads.copies)
    for table in ("Synapse", "Contains", "SynapsesTo", "CloseTo", "ConnectsTo", "ConnectsToRoi"):
        assert by_table[table] > 2, (table, by_table)
    # several uneven Arrow chunks in one COPY, as _copy_objects sends millions of rows
    chunks = [sizes for table, _, sizes in loads.copies if table == "Synapse"]
    assert chunks == [[17, 17, 16]] * 9 + [[14]], chunks  # 464 synapses
    assert [sizes for table, _, sizes in loads.copies if table == "Mito"] == [[17, 17, 5]]
    assert sum(rows for table, rows, _ in loads.copies if table == "Synapse") == 464
    assert loads.opens > 5  # reopened between COPYs, as big loads do


@pytest.mark.parametrize("table", list(QUERIES))
def test_every_row_as_in_a_normal_load(loads: Loads, table: str) -> None:
    want = _rows(loads.normal, QUERIES[table])
    got = _rows(loads.split, QUERIES[table])
    assert len(want) > 0 or table == "Segment", table
    _assert_same(got, want, table)


@pytest.mark.parametrize("table", ["Synapse", "Mito"])
def test_objects_as_in_the_export(loads: Loads, table: str) -> None:
    """Both loads against the export itself (not only against each other)."""
    export = read_export(loads.export_dir)
    frame = export.synapses if table == "Synapse" else export.mitochondria
    assert frame is not None
    want = frame.sort_values("id", kind="stable").reset_index(drop=True)
    for path in (loads.normal, loads.split):
        got = _rows(path, QUERIES[table])
        assert got["id"].tolist() == want["id"].tolist()
        for column in want.columns:
            if want[column].dtype.kind == "f":
                a = got[column].to_numpy(np.float64).view(np.uint64)
                b = want[column].to_numpy(np.float64).view(np.uint64)
                assert np.array_equal(a, b), (path.name, table, column)
            else:
                a_items = [_plain(v) for v in got[column].tolist()]
                b_items = [_plain(v) for v in want[column].tolist()]
                assert a_items == b_items, (path.name, table, column)


@pytest.mark.parametrize("name", ["synapses", "roi-rows"])
def test_companions_as_in_a_normal_load(loads: Loads, name: str) -> None:
    tables = []
    for path in (loads.normal, loads.split):
        with Embedded(path) as db:
            token = db.fetch_custom("MATCH (m:Meta) WHERE m.key = 'buildToken' RETURN m.value")
        table = open_companion(companion_path(path, name), json.loads(str(token.iloc[0, 0])))
        assert table is not None, (path.name, name)
        tables.append(table)
    normal, split = tables
    assert normal.num_rows > 0
    assert split.schema.remove_metadata() == normal.schema.remove_metadata()
    assert split.equals(normal)
