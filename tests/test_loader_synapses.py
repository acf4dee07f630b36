"""Loading synapses, synapse pairs, mitochondria and closest mitochondria into the embedded
engine: what goes in comes out exactly, and every bad input gives a clear error (file, line,
column) and leaves the database as it was."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from neuprint_dsl import neurons
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.build import SCHEMA_VERSION
from neuprint_dsl.embedded.export import read_export
from neuprint_dsl.transports import Embedded

from .test_loader import refused_reload

HIERARCHY = {
    "name": "hemibrain",
    "children": [
        {"name": "LH(R)"},
        {"name": "MB(R)", "children": [{"name": "CA(R)"}, {"name": "PED(R)"}]},
    ],
}
META = {
    "primaryRois": ["CA(R)", "LH(R)", "PED(R)"],
    "roiHierarchy": HIERARCHY,
    "postHighAccuracyThreshold": 0.5,
}
NEURONS = "bodyId,type\n1,APL\n2,KC\n"
TOTAL = "bodyId_pre,bodyId_post,weight\n1,2,2\n1,3,1\n"
ROI = "bodyId_pre,bodyId_post,roi,weight\n1,2,CA(R),1\n1,2,NotPrimary,1\n1,3,LH(R),1\n"
SYNAPSES = (
    "id,bodyId,type,roi,x,y,z,confidence\n"
    "10,1,pre,CA(R),100,200,300,0.9\n"  # line 2
    "11,1,pre,,110,210,310,0.8\n"  # line 3
    "20,2,post,CA(R),101,201,301,0.95\n"  # line 4
    "21,2,post,,111,211,311,0.7\n"  # line 5
    "30,3,post,LH(R),400,500,600,0.6\n"  # line 6: body 3 is a Segment (connections)
    "40,4,pre,PED(R),700,800,900,1\n"  # line 7: body 4 is only here
    "10,1,pre,MB(R),100,200,300,0.9\n"  # line 8: synapse 10 lists a super-level ROI too
)
PAIRS = "pre_id,post_id\n10,20\n11,21\n10,30\n"
MITOS = (
    "id,bodyId,mitoType,roi,x,y,z,size,r0,r1,r2\n"
    "500,1,dark,CA(R),105,205,305,1000,10.5,5.25,2\n"  # line 2
    "501,2,light,,115,215,315,20,1,1,1\n"  # line 3
    "502,5,medium,LH(R),1,2,3,7,0.5,0.5,0.5\n"  # line 4: body 5 is only here
)
CLOSEST = "synapse_id,mito_id,distance\n10,500,12.5\n20,501,0\n11,500,3\n"

FILES = {
    "neurons.csv": NEURONS,
    "total-connections.csv": TOTAL,
    "roi-connections.csv": ROI,
    "meta.json": json.dumps(META),
    "synapses.csv": SYNAPSES,
    "synapse-connections.csv": PAIRS,
    "mitochondria.csv": MITOS,
    "closest-mitochondria.csv": CLOSEST,
}

EXPECTED_SYNAPSES = [
    # id, bodyId, type, confidence, x, y, z, roi, rois
    (10, 1, "pre", 0.9, 100, 200, 300, "CA(R)", ["CA(R)", "MB(R)"]),
    (11, 1, "pre", 0.8, 110, 210, 310, None, []),
    (20, 2, "post", 0.95, 101, 201, 301, "CA(R)", ["CA(R)", "MB(R)"]),
    (21, 2, "post", 0.7, 111, 211, 311, None, []),
    (30, 3, "post", 0.6, 400, 500, 600, "LH(R)", ["LH(R)"]),
    (40, 4, "pre", 1.0, 700, 800, 900, "PED(R)", ["MB(R)", "PED(R)"]),
]
EXPECTED_MITOS = [
    (500, 1, "dark", 1000, 105, 205, 305, 10.5, 5.25, 2.0, "CA(R)", ["CA(R)", "MB(R)"]),
    (501, 2, "light", 20, 115, 215, 315, 1.0, 1.0, 1.0, None, []),
    (502, 5, "medium", 7, 1, 2, 3, 0.5, 0.5, 0.5, "LH(R)", ["LH(R)"]),
]


def _write(directory: Path, **changes: str | None) -> None:
    """The good export, with files replaced (``name=text``) or left out (``name=None``);
    keyword names use ``_`` for ``-`` and drop ``.csv``/``.json``."""
    for name, text in FILES.items():
        key = name.rsplit(".", 1)[0].replace("-", "_")
        text = changes.get(key, text)
        path = directory / name
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, encoding="utf-8")


def _rows(path: Path, query: str) -> list[list[Any]]:
    """Exact Python values (None for null) straight from the engine."""
    import ladybug

    db = ladybug.Database(str(path), read_only=True)
    try:
        conn = ladybug.Connection(db)
        try:
            result = conn.execute(query)
            return [list(r) for r in (result[-1] if isinstance(result, list) else result).get_all()]
        finally:
            conn.close()
    finally:
        db.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("export")
    _write(directory)
    yield load(directory, directory / "graph.lbug")


def test_synapses_round_trip(built: Path) -> None:
    rows = _rows(
        built,
        "MATCH (s:Synapse) RETURN s.id, s.bodyId, s.type, s.confidence, s.x, s.y, s.z, "
        "s.roi, s.rois ORDER BY s.id",
    )
    assert [tuple(r) for r in rows] == EXPECTED_SYNAPSES


def test_synapse_pairs_round_trip(built: Path) -> None:
    rows = _rows(built, "MATCH (a:Synapse)-[:SynapsesTo]->(b:Synapse) RETURN a.id, b.id")
    assert sorted(map(tuple, rows)) == [(10, 20), (10, 30), (11, 21)]


def test_mitochondria_and_close_to_round_trip(built: Path) -> None:
    rows = _rows(
        built,
        "MATCH (m:Mito) RETURN m.id, m.bodyId, m.mitoType, m.size, m.x, m.y, m.z, m.r0, m.r1, "
        "m.r2, m.roi, m.rois ORDER BY m.id",
    )
    assert [tuple(r) for r in rows] == EXPECTED_MITOS
    close = _rows(built, "MATCH (s:Synapse)-[c:CloseTo]->(m:Mito) RETURN s.id, m.id, c.distance")
    assert sorted(map(tuple, close)) == [(10, 500, 12.5), (11, 500, 3.0), (20, 501, 0.0)]


def test_contains_links_each_body_to_its_objects(built: Path) -> None:
    rows = _rows(
        built,
        "MATCH (b)-[:Contains]->(o) RETURN label(b), b.bodyId, label(o), o.id",
    )
    assert sorted(map(tuple, rows)) == sorted(
        [
            ("Neuron", 1, "Synapse", 10),
            ("Neuron", 1, "Synapse", 11),
            ("Neuron", 2, "Synapse", 20),
            ("Neuron", 2, "Synapse", 21),
            ("Segment", 3, "Synapse", 30),
            ("Segment", 4, "Synapse", 40),
            ("Neuron", 1, "Mito", 500),
            ("Neuron", 2, "Mito", 501),
            ("Segment", 5, "Mito", 502),
        ]
    )


def test_bodies_only_in_synapse_files_are_segments_without_roi_info(built: Path) -> None:
    rows = _rows(built, "MATCH (s:Segment) RETURN s.bodyId, s.roiNames ORDER BY s.bodyId")
    assert rows == [[3, ["LH(R)"]], [4, []], [5, []]]
    assert _rows(built, "MATCH (n:Neuron) RETURN n.bodyId ORDER BY n.bodyId") == [[1], [2]]


def test_meta_counts_and_threshold(built: Path) -> None:
    with Embedded(built) as db:
        meta = db.meta
        assert len(db.run(neurons(columns=["bodyId"]))) == 2
    assert meta["schemaVersion"] == SCHEMA_VERSION == 4
    assert (meta["synapses"], meta["synapsePairs"], meta["mitochondria"], meta["closeTo"]) == (
        6,
        3,
        3,
        3,
    )
    assert meta["postHighAccuracyThreshold"] == 0.5
    assert meta["rois"] == ["CA(R)", "LH(R)", "MB(R)", "PED(R)"]


def test_location_layout_of_synapse_connections(tmp_path: Path) -> None:
    """neuprint-python's fetch_synapse_connections columns; other columns are ignored."""
    pairs = (
        "bodyId_pre,bodyId_post,roi_pre,roi_post,x_pre,y_pre,z_pre,x_post,y_post,z_post,"
        "confidence_pre,confidence_post\n"
        "1,2,CA(R),CA(R),100,200,300,101,201,301,0.9,0.95\n"
        "1,2,,,110,210,310,111,211,311,0.8,0.7\n"
        "1,3,CA(R),LH(R),100,200,300,400,500,600,0.9,0.6\n"
    )
    _write(tmp_path, synapse_connections=pairs)
    path = load(tmp_path, tmp_path / "g.lbug")
    rows = _rows(path, "MATCH (a:Synapse)-[:SynapsesTo]->(b:Synapse) RETURN a.id, b.id")
    assert sorted(map(tuple, rows)) == [(10, 20), (10, 30), (11, 21)]


def test_synapses_without_ids_list_one_row_per_roi(tmp_path: Path) -> None:
    """fetch_synapses(primary_only=False): one row per (synapse, ROI); ids follow the order
    of first appearance; NotPrimary and empty are no ROI."""
    synapses = (
        "bodyId,type,roi,x,y,z,confidence\n"
        "2,post,MB(R),101,201,301,0.95\n"
        "1,pre,CA(R),100,200,300,0.9\n"
        "2,post,CA(R),101,201,301,0.95\n"
        "1,pre,MB(R),100,200,300,0.9\n"
        "1,pre,NotPrimary,110,210,310,0.8\n"
        "2,post,,111,211,311,0.7\n"
        "4,pre,MB(R),700,800,900,1\n"
    )
    pairs = (
        "bodyId_pre,bodyId_post,x_pre,y_pre,z_pre,x_post,y_post,z_post\n"
        "1,2,100,200,300,101,201,301\n"
        "1,2,110,210,310,111,211,311\n"
    )
    _write(
        tmp_path,
        synapses=synapses,
        synapse_connections=pairs,
        closest_mitochondria=None,
    )
    export = read_export(tmp_path)
    assert export.synapses is not None
    assert export.synapses["id"].tolist() == [0, 1, 2, 3, 4]
    path = load(tmp_path, tmp_path / "g.lbug")
    rows = _rows(
        path,
        "MATCH (s:Synapse) RETURN s.id, s.bodyId, s.type, s.x, s.roi, s.rois ORDER BY s.id",
    )
    assert rows == [
        [0, 2, "post", 101, "CA(R)", ["CA(R)", "MB(R)"]],
        [1, 1, "pre", 100, "CA(R)", ["CA(R)", "MB(R)"]],
        [2, 1, "pre", 110, None, []],
        [3, 2, "post", 111, None, []],
        [4, 4, "pre", 700, None, ["MB(R)"]],  # a super-level ROI only: no primary ROI
    ]
    pairs_rows = _rows(path, "MATCH (a:Synapse)-[:SynapsesTo]->(b:Synapse) RETURN a.id, b.id")
    assert sorted(map(tuple, pairs_rows)) == [(1, 0), (2, 3)]


def test_primary_rois_default_to_those_of_the_connections(tmp_path: Path) -> None:
    _write(tmp_path, meta="{}")
    path = load(tmp_path, tmp_path / "g.lbug")
    rows = _rows(path, "MATCH (s:Synapse) RETURN s.id, s.roi, s.rois ORDER BY s.id")
    # no hierarchy: only the listed ROIs; PED(R) is not in roi-connections.csv: not primary
    assert rows[0] == [10, "CA(R)", ["CA(R)", "MB(R)"]]
    assert rows[-1] == [40, None, ["PED(R)"]]
    assert _rows(path, "MATCH (m:Meta) WHERE m.key = 'postHighAccuracyThreshold' RETURN m.value")[
        0
    ] == ["0.0"]


def test_an_export_without_synapse_files_has_empty_tables(tmp_path: Path) -> None:
    _write(
        tmp_path,
        meta=None,
        synapses=None,
        synapse_connections=None,
        mitochondria=None,
        closest_mitochondria=None,
    )
    export = read_export(tmp_path)
    assert export.synapses is None and export.mitochondria is None
    path = load(tmp_path, tmp_path / "g.lbug")
    for table in ("Synapse", "Mito"):
        assert _rows(path, f"MATCH (n:{table}) RETURN count(*)") == [[0]]
    for rel in ("Contains", "SynapsesTo", "CloseTo"):
        assert _rows(path, f"MATCH ()-[r:{rel}]->() RETURN count(*)") == [[0]]
    with Embedded(path) as db:
        assert db.meta["synapses"] == db.meta["closeTo"] == 0
        assert db.meta["postHighAccuracyThreshold"] == 0.0
    assert _rows(path, "MATCH (s:Segment) RETURN s.bodyId") == [[3]]


def test_mitochondria_alone_need_no_synapses(tmp_path: Path) -> None:
    _write(tmp_path, synapses=None, synapse_connections=None, closest_mitochondria=None)
    path = load(tmp_path, tmp_path / "g.lbug")
    assert _rows(path, "MATCH (m:Mito) RETURN count(*)") == [[3]]


def test_rois_lists_are_shared_between_synapses(tmp_path: Path) -> None:
    """One list object per distinct ROI combination: millions of synapses stay cheap."""
    body = "".join(f"1,pre,CA(R),{i},0,0,0.9\n" for i in range(500))
    _write(
        tmp_path,
        synapses="bodyId,type,roi,x,y,z,confidence\n" + body,
        synapse_connections=None,
        closest_mitochondria=None,
    )
    export = read_export(tmp_path)
    assert export.synapses is not None
    assert len({id(v) for v in export.synapses["rois"]}) == 1


# ---------------------------------------------------------------------------------------
# bad input: a clear error, and the database untouched

SYN_HEADER = "id,bodyId,type,roi,x,y,z,confidence\n"
IDLESS = "bodyId,type,roi,x,y,z,confidence\n1,pre,CA(R),5,5,5,0.9\n"
LOCATION = "bodyId_pre,bodyId_post,x_pre,y_pre,z_pre,x_post,y_post,z_post\n"


def _syn(rows: str) -> Callable[[Path], None]:
    return lambda d: _write(d, synapses=SYNAPSES + rows)


BAD: list[tuple[str, Callable[[Path], None], str, int | None, str | None, str]] = [
    (
        "synapses: missing column",
        lambda d: _write(d, synapses="id,bodyId,type,x,y,z\n1,1,pre,1,2,3\n"),
        "synapses.csv",
        1,
        None,
        "missing column 'confidence'",
    ),
    (
        "synapses: bad coordinate",
        _syn("50,1,pre,,1.5e3x,1,1,0.9\n"),
        "synapses.csv",
        9,
        "x",
        "is not an integer",
    ),
    (
        "synapses: huge bodyId",
        _syn("50,99999999999999999999,pre,,1,1,1,0.9\n"),
        "synapses.csv",
        9,
        "bodyId",
        "64 bits",
    ),
    ("synapses: bad type", _syn("50,1,both,,1,1,1,0.9\n"), "synapses.csv", 9, "type", "'pre' or"),
    ("synapses: empty type", _syn("50,1,,,1,1,1,0.9\n"), "synapses.csv", 9, "type", "empty"),
    (
        "synapses: confidence above 1",
        _syn("50,1,pre,,1,1,1,1.5\n"),
        "synapses.csv",
        9,
        "confidence",
        "not between 0 and 1",
    ),
    (
        "synapses: negative confidence",
        _syn("50,1,pre,,1,1,1,-0.1\n"),
        "synapses.csv",
        9,
        "confidence",
        "not between 0 and 1",
    ),
    (
        "synapses: NaN confidence",
        _syn("50,1,pre,,1,1,1,nan\n"),
        "synapses.csv",
        9,
        "confidence",
        "not a finite number",
    ),
    (
        "synapses: infinite confidence",
        _syn("50,1,pre,,1,1,1,inf\n"),
        "synapses.csv",
        9,
        "confidence",
        "not a finite number",
    ),
    (
        "synapses: empty confidence",
        _syn("50,1,pre,,1,1,1,\n"),
        "synapses.csv",
        9,
        "confidence",
        "empty value",
    ),
    (
        "synapses: an id with two bodies",
        _syn("20,7,post,LH(R),101,201,301,0.95\n"),
        "synapses.csv",
        9,
        "bodyId",
        "synapse id 20 has bodyId 2 on line 4 but 7 here",
    ),
    (
        "synapses: an id with two types",
        _syn("20,2,pre,LH(R),101,201,301,0.95\n"),
        "synapses.csv",
        9,
        "type",
        "must agree",
    ),
    (
        "synapses: an id and ROI twice",
        _syn("20,2,post,CA(R),101,201,301,0.95\n"),
        "synapses.csv",
        9,
        "roi",
        "synapse id 20 appears twice with ROI 'CA(R)'",
    ),
    (
        "synapses: exact duplicate row without ids",
        lambda d: _write(
            d,
            synapses=IDLESS + "1,pre,CA(R),5,5,5,0.9\n",
            synapse_connections=None,
            closest_mitochondria=None,
        ),
        "synapses.csv",
        3,
        "roi",
        "add an 'id' column",
    ),
    (
        "synapses: rows of one synapse disagree on confidence",
        lambda d: _write(
            d,
            synapses=IDLESS + "1,pre,MB(R),5,5,5,0.8\n",
            synapse_connections=None,
            closest_mitochondria=None,
        ),
        "synapses.csv",
        3,
        "confidence",
        "must agree",
    ),
    (
        "synapses: two primary ROIs",
        _syn("11,1,pre,LH(R),110,210,310,0.8\n10,1,pre,LH(R),100,200,300,0.9\n"),
        "synapses.csv",
        10,
        "roi",
        "two primary ROIs, 'CA(R)' (line 2) and 'LH(R)'",
    ),
    (
        "synapses: extra field",
        _syn("50,1,pre,,1,1,1,0.9,7\n"),
        "synapses.csv",
        9,
        None,
        "expected 8 fields, found 9",
    ),
    (
        "synapses: blank lines before a bad row",
        _syn("\n\n50,1,pre,,1,1,1,2\n"),
        "synapses.csv",
        11,
        "confidence",
        "not between 0 and 1",
    ),
    (
        "pairs: unknown synapse",
        lambda d: _write(d, synapse_connections=PAIRS + "12,20\n"),
        "synapse-connections.csv",
        5,
        "pre_id",
        "no synapse with id 12",
    ),
    (
        "pairs: pre end is a post synapse",
        lambda d: _write(d, synapse_connections=PAIRS + "21,20\n"),
        "synapse-connections.csv",
        5,
        "pre_id",
        "synapse 21 is not a pre synapse",
    ),
    (
        "pairs: post end is a pre synapse",
        lambda d: _write(d, synapse_connections=PAIRS + "11,40\n"),
        "synapse-connections.csv",
        5,
        "post_id",
        "synapse 40 is not a post synapse",
    ),
    (
        "pairs: a pair twice",
        lambda d: _write(d, synapse_connections=PAIRS + "11,21\n"),
        "synapse-connections.csv",
        5,
        None,
        "the synapse pair 11 -> 21 appears twice",
    ),
    (
        "pairs: wrong body given with ids",
        lambda d: _write(d, synapse_connections="pre_id,post_id,bodyId_pre\n10,20,1\n11,21,2\n"),
        "synapse-connections.csv",
        3,
        "bodyId_pre",
        "synapse 11 belongs to body 1, not 2",
    ),
    (
        "pairs: ids without synapse ids",
        lambda d: _write(d, synapses=IDLESS, closest_mitochondria=None),
        "synapse-connections.csv",
        1,
        "pre_id",
        "needs an 'id' column in synapses.csv",
    ),
    (
        "pairs: neither layout",
        lambda d: _write(d, synapse_connections="pre,post\n10,20\n"),
        "synapse-connections.csv",
        1,
        None,
        "expected columns pre_id,post_id or bodyId_pre",
    ),
    (
        "pairs: without synapses.csv",
        lambda d: _write(d, synapses=None, closest_mitochondria=None),
        "synapse-connections.csv",
        None,
        None,
        "needs synapses.csv",
    ),
    (
        "pairs by location: wrong body",
        lambda d: _write(d, synapse_connections=LOCATION + "2,2,100,200,300,101,201,301\n"),
        "synapse-connections.csv",
        2,
        "bodyId_pre",
        "the synapse at (100, 200, 300) belongs to body 1, not 2",
    ),
    (
        "pairs by location: nothing there",
        lambda d: _write(d, synapse_connections=LOCATION + "1,2,100,200,300,9,9,9\n"),
        "synapse-connections.csv",
        2,
        "x_post",
        "no post synapse of body 2 at (9, 9, 9)",
    ),
    (
        "pairs by location: wrong type",
        lambda d: _write(d, synapse_connections=LOCATION + "2,2,101,201,301,111,211,311\n"),
        "synapse-connections.csv",
        2,
        "x_pre",
        "is not a pre synapse",
    ),
    (
        "pairs by location: two synapses at one place",
        lambda d: _write(
            d,
            synapses=SYNAPSES + "12,1,pre,,100,200,300,0.5\n",
            synapse_connections=LOCATION + "1,2,110,210,310,111,211,311\n"
            "1,2,100,200,300,101,201,301\n",
        ),
        "synapse-connections.csv",
        3,
        "x_pre",
        "several pre synapses of body 1 at (100, 200, 300)",
    ),
    (
        "mitochondria: missing column",
        lambda d: _write(d, mitochondria="id,bodyId,mitoType,x,y,z,size,r0,r1\n"),
        "mitochondria.csv",
        1,
        None,
        "missing column 'r2'",
    ),
    (
        "mitochondria: negative size",
        lambda d: _write(d, mitochondria=MITOS + "503,1,dark,,1,1,1,-4,1,1,1\n"),
        "mitochondria.csv",
        5,
        "size",
        "negative",
    ),
    (
        "mitochondria: empty radius",
        lambda d: _write(d, mitochondria=MITOS + "503,1,dark,,1,1,1,4,,1,1\n"),
        "mitochondria.csv",
        5,
        "r0",
        "empty value",
    ),
    (
        "mitochondria: empty type",
        lambda d: _write(d, mitochondria=MITOS + "503,1,,,1,1,1,4,1,1,1\n"),
        "mitochondria.csv",
        5,
        "mitoType",
        "empty value",
    ),
    (
        "mitochondria: an id with two sizes",
        lambda d: _write(d, mitochondria=MITOS + "501,2,light,LH(R),115,215,315,21,1,1,1\n"),
        "mitochondria.csv",
        5,
        "size",
        "mitochondrion id 501 has size 20 on line 3 but 21 here",
    ),
    (
        "closest: mitochondrion of another body",
        lambda d: _write(d, closest_mitochondria=CLOSEST + "21,500,1\n"),
        "closest-mitochondria.csv",
        5,
        "mito_id",
        "mitochondrion 500 belongs to body 1, but synapse 21 to body 2",
    ),
    (
        "closest: a synapse twice",
        lambda d: _write(d, closest_mitochondria=CLOSEST + "10,500,1\n"),
        "closest-mitochondria.csv",
        5,
        "synapse_id",
        "synapse 10 already has a closest mitochondrion (line 2)",
    ),
    (
        "closest: negative distance",
        lambda d: _write(d, closest_mitochondria=CLOSEST + "21,501,-1\n"),
        "closest-mitochondria.csv",
        5,
        "distance",
        "negative",
    ),
    (
        "closest: NaN distance",
        lambda d: _write(d, closest_mitochondria=CLOSEST + "21,501,NaN\n"),
        "closest-mitochondria.csv",
        5,
        "distance",
        "not a finite number",
    ),
    (
        "closest: unknown mitochondrion",
        lambda d: _write(d, closest_mitochondria=CLOSEST + "21,999,1\n"),
        "closest-mitochondria.csv",
        5,
        "mito_id",
        "no mitochondrion with id 999",
    ),
    (
        "closest: unknown synapse",
        lambda d: _write(d, closest_mitochondria=CLOSEST + "99,501,1\n"),
        "closest-mitochondria.csv",
        5,
        "synapse_id",
        "no synapse with id 99",
    ),
    (
        "closest: without mitochondria.csv",
        lambda d: _write(d, mitochondria=None),
        "closest-mitochondria.csv",
        None,
        None,
        "needs mitochondria.csv",
    ),
    (
        "closest: mitochondria without ids",
        lambda d: _write(
            d, mitochondria="bodyId,mitoType,x,y,z,size,r0,r1,r2\n1,dark,1,1,1,1,1,1,1\n"
        ),
        "closest-mitochondria.csv",
        1,
        "mito_id",
        "mitochondria.csv has no 'id' column",
    ),
    (
        "meta: bad threshold",
        lambda d: _write(d, meta=json.dumps({**META, "postHighAccuracyThreshold": "high"})),
        "meta.json",
        None,
        None,
        "postHighAccuracyThreshold",
    ),
    (
        "meta: bad hierarchy",
        lambda d: _write(d, meta=json.dumps({**META, "roiHierarchy": {"children": []}})),
        "meta.json",
        None,
        None,
        "roiHierarchy",
    ),
]


@pytest.mark.parametrize(
    ("name", "damage", "file", "line", "column", "reason"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_input_is_refused_and_the_database_is_untouched(
    tmp_path: Path,
    name: str,
    damage: Callable[[Path], None],
    file: str,
    line: int | None,
    column: str | None,
    reason: str,
) -> None:
    err, target, before = refused_reload(tmp_path, _write, damage)
    assert reason in str(err)
    assert err.path.endswith(file)
    assert err.line == line, str(err)
    assert err.column == column, str(err)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad",
        "good",
        "graph.lbug",
        "graph.lbug.manifest.json",
        "graph.lbug.roi-rows.arrow",  # the good build's companions, untouched too
        "graph.lbug.synapses.arrow",
    ]
    assert _rows(target, "MATCH (s:Synapse) RETURN count(*)") == [[6]]
