"""Loading neuPrint exports into the embedded engine: round trips, and every bad input
gives a clear error (file, line, column) and leaves the database as it was."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from neuprint_dsl import E, N, connections, neurons
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.rois import NOT_PRIMARY, SUPER_ROI_CHILDREN
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import LoadError
from neuprint_dsl.transports import Embedded


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, neurons=250, edges=2500, seed=7)
    return out


@pytest.fixture(scope="module")
def db(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedded:
    path = load(sample, tmp_path_factory.mktemp("db") / "graph.lbug")
    database = Embedded(path)
    yield database
    database.close()


def test_round_trip_neurons(sample: Path, db: Embedded) -> None:
    csv = pd.read_csv(sample / "neurons.csv")
    df = db.run(neurons(columns=["bodyId", "type", "instance", "status", "pre", "post", "cropped"]))
    assert df["bodyId"].tolist() == sorted(csv["bodyId"].tolist())
    merged = df.merge(csv, on="bodyId", suffixes=("", "_csv"))
    for column in ("type", "instance", "status"):
        raw = merged[f"{column}_csv"]
        expected = [None if pd.isna(v) else v for v in raw.tolist()]
        assert merged[column].tolist() == expected
    assert (merged["pre"].astype("int64") == merged["pre_csv"]).all()
    assert (merged["post"].astype("int64") == merged["post_csv"]).all()


def test_round_trip_connections(sample: Path, db: Embedded) -> None:
    total = pd.read_csv(sample / "total-connections.csv")
    df = db.run(connections())
    got = sorted(df[["bodyId_pre", "bodyId_post", "weight"]].itertuples(index=False, name=None))
    assert got == sorted(total.itertuples(index=False, name=None))
    strong = db.run(connections(where=E.weight >= 5))
    assert len(strong) == int((total["weight"] >= 5).sum())


def test_round_trip_per_roi_rows(sample: Path, db: Embedded) -> None:
    rows = pd.read_csv(sample / "roi-connections.csv")
    # plus the super-level ROIs the load derives from their primary children
    parent = {c: s for s, children in SUPER_ROI_CHILDREN.items() for c in children}
    up = rows[rows["roi"].isin(parent)].assign(roi=lambda f: f["roi"].map(parent))
    derived = up.groupby(["bodyId_pre", "bodyId_post", "roi"], as_index=False)["weight"].sum()
    rows = pd.concat([rows, derived], ignore_index=True)
    # the NotPrimary remainder is stored but is not an ROI: per-ROI rows leave it out
    rows = rows[rows["roi"] != NOT_PRIMARY]
    df = db.run(connections(per_roi=True))
    assert sorted(df.itertuples(index=False, name=None)) == sorted(
        rows.itertuples(index=False, name=None)
    )


def test_roi_counts_come_from_roi_info(sample: Path, db: Embedded) -> None:
    csv = pd.read_csv(sample / "neurons.csv")
    info = csv.set_index("bodyId")["roiInfo"].map(json.loads)
    expected = sorted(b for b, i in info.items() if i.get("SMP(R)", {}).get("post", 0) >= 3)
    assert db.run(N.inputs("SMP(R)") >= 3)["bodyId"].tolist() == expected
    in_roi = sorted(b for b, i in info.items() if "FB" in i)
    assert db.run(N.roi("FB"))["bodyId"].tolist() == in_roi


def test_plain_neuprint_python_export(tmp_path: Path) -> None:
    """neurons.csv with only bodyId,type,instance: ROI counts are derived from connections,
    bodies missing from neurons.csv become Segments."""
    (tmp_path / "neurons.csv").write_text("bodyId,type,instance\n1,APL,APL_R\n2,KCab,\n")
    (tmp_path / "total-connections.csv").write_text(
        "bodyId_pre,bodyId_post,weight\n1,2,5\n2,1,3\n1,99,2\n"
    )
    (tmp_path / "roi-connections.csv").write_text(
        "bodyId_pre,bodyId_post,roi,weight\n1,2,MB(R),4\n1,2,NotPrimary,1\n2,1,FB,3\n1,99,FB,2\n"
    )
    with Embedded(load(tmp_path, tmp_path / "g.lbug")) as db:
        assert db.run(N.inputs("MB(R)") == 4)["bodyId"].tolist() == [2]
        assert db.run(N.roi("FB"))["bodyId"].tolist() == [1, 2]  # 2 sends in FB, 1 receives
        segments = db.run(neurons(label="Segment", columns=["bodyId", "type"]))
        assert segments["bodyId"].tolist() == [1, 2, 99]
        assert segments["type"].tolist() == ["APL", "KCab", None]
        assert db.meta["primaryRois"] == ["FB", "MB(R)"]


def test_traced_layout(tmp_path: Path) -> None:
    generate_sample(tmp_path, neurons=60, edges=300, seed=1, naming="traced")
    with Embedded(load(tmp_path, tmp_path / "g.lbug")) as db:
        assert len(db.run(neurons(columns=["bodyId"]))) == 60
        assert db.meta["layout"] == "traced"


# ---------------------------------------------------------------------------------------
# bad input: a clear error, and the database untouched

GOOD_NEURONS = 'bodyId,type,cropped,roiInfo\n1,APL,False,"{""FB"": {""pre"": 1}}"\n2,KC,True,\n'
GOOD_TOTAL = "bodyId_pre,bodyId_post,weight\n1,2,5\n"
GOOD_ROI = "bodyId_pre,bodyId_post,roi,weight\n1,2,FB,5\n"


def _write(
    d: Path, neurons: str = GOOD_NEURONS, total: str = GOOD_TOTAL, roi: str = GOOD_ROI
) -> None:
    (d / "neurons.csv").write_text(neurons, encoding="utf-8")
    (d / "total-connections.csv").write_text(total, encoding="utf-8")
    (d / "roi-connections.csv").write_text(roi, encoding="utf-8")


BAD: list[tuple[str, Callable[[Path], None], str, int | None, str | None, str]] = [
    (
        "missing file",
        lambda d: (d / "total-connections.csv").unlink(),
        "",
        None,
        None,
        "missing total-connections.csv",
    ),
    (
        "no export",
        lambda d: [p.unlink() for p in d.glob("*.csv")],
        "",
        None,
        None,
        "no neuPrint export",
    ),
    (
        "missing column",
        lambda d: _write(d, total="bodyId_pre,bodyId_post\n1,2\n"),
        "total-connections.csv",
        1,
        None,
        "missing column 'weight'",
    ),
    (
        "no bodyId column",
        lambda d: _write(d, neurons="id,type\n1,a\n"),
        "neurons.csv",
        1,
        None,
        "missing column 'bodyId'",
    ),
    (
        "bad bodyId",
        lambda d: _write(d, neurons=GOOD_NEURONS + "x3,KC,False,\n"),
        "neurons.csv",
        4,
        "bodyId",
        "'x3' is not an integer",
    ),
    (
        "empty bodyId",
        lambda d: _write(d, neurons=GOOD_NEURONS + ",KC,False,\n"),
        "neurons.csv",
        4,
        "bodyId",
        "bodyId is empty",
    ),
    (
        "duplicate bodyId",
        lambda d: _write(d, neurons=GOOD_NEURONS + "2,KC,False,\n"),
        "neurons.csv",
        4,
        "bodyId",
        "appears twice",
    ),
    (
        "bad boolean",
        lambda d: _write(d, neurons=GOOD_NEURONS + "3,KC,maybe,\n"),
        "neurons.csv",
        4,
        "cropped",
        "not a boolean",
    ),
    (
        "bad roiInfo",
        lambda d: _write(d, neurons=GOOD_NEURONS + '3,KC,False,"{""FB"": 3}"\n'),
        "neurons.csv",
        4,
        "roiInfo",
        "roiInfo JSON",
    ),
    (
        "roiInfo not JSON",
        lambda d: _write(d, neurons=GOOD_NEURONS + "3,KC,False,{oops\n"),
        "neurons.csv",
        4,
        "roiInfo",
        "roiInfo JSON",
    ),
    (
        "bad weight",
        lambda d: _write(d, total=GOOD_TOTAL + "2,1,heavy\n"),
        "total-connections.csv",
        3,
        "weight",
        "'heavy' is not an integer",
    ),
    (
        "huge weight",
        lambda d: _write(d, total=GOOD_TOTAL + "2,1,99999999999999999999\n"),
        "total-connections.csv",
        3,
        "weight",
        "64 bits",
    ),
    (
        "negative weight",
        lambda d: _write(d, total=GOOD_TOTAL + "2,1,-3\n"),
        "total-connections.csv",
        3,
        "weight",
        "negative",
    ),
    (
        "ragged row",
        lambda d: _write(d, roi=GOOD_ROI + "1,2,EB\n"),
        "roi-connections.csv",
        3,
        None,
        "expected 4 fields",
    ),
    (
        "empty ROI name",
        lambda d: _write(d, roi=GOOD_ROI + "1,2,,1\n"),
        "roi-connections.csv",
        3,
        "roi",
        "empty value",
    ),
    (
        "ROI row of an unknown connection",
        lambda d: _write(d, roi=GOOD_ROI + "2,1,EB,1\n"),
        "roi-connections.csv",
        3,
        None,
        "not in total-connections.csv",
    ),
    (
        "duplicate connection",
        lambda d: _write(d, total=GOOD_TOTAL + "1,2,6\n"),
        "total-connections.csv",
        3,
        None,
        "appears twice",
    ),
    (
        "columns differing by case",
        lambda d: _write(d, neurons="bodyId,type,Type\n1,a,b\n"),
        "neurons.csv",
        1,
        "Type",
        "differ only by case",
    ),
    (
        "reserved column",
        lambda d: _write(d, neurons="bodyId,roiNames\n1,a\n"),
        "neurons.csv",
        1,
        "roiNames",
        "clashes",
    ),
    (
        "duplicate header",
        lambda d: _write(d, neurons="bodyId,type,type\n1,a,b\n"),
        "neurons.csv",
        1,
        None,
        "appears twice in the header",
    ),
    ("empty file", lambda d: _write(d, total=""), "total-connections.csv", 1, None, "empty file"),
    (
        "extra field in one row",
        lambda d: _write(d, total=GOOD_TOTAL + "2,1,4,9\n"),
        "total-connections.csv",
        3,
        None,
        "expected 3 fields",
    ),
    (
        "huge bodyId",
        lambda d: _write(d, neurons=GOOD_NEURONS + "99999999999999999999,KC,False,\n"),
        "neurons.csv",
        4,
        "bodyId",
        "64 bits",
    ),
    (
        "huge inferred int",
        lambda d: _write(d, neurons="bodyId,score\n1,5\n2,99999999999999999999\n"),
        "neurons.csv",
        3,
        "score",
        "64 bits",
    ),
    (
        "infinite roiInfo count",
        lambda d: _write(d, neurons=GOOD_NEURONS + '3,KC,False,"{""FB"": {""pre"": Infinity}}"\n'),
        "neurons.csv",
        4,
        "roiInfo",
        "roiInfo JSON",
    ),
    (
        "blank lines before a duplicate",
        lambda d: _write(d, neurons=GOOD_NEURONS + "\n\n2,KC,False,\n"),
        "neurons.csv",
        6,
        "bodyId",
        "appears twice",
    ),
    (
        "blank line before a bad weight",
        lambda d: _write(d, total=GOOD_TOTAL + "\n2,1,x\n"),
        "total-connections.csv",
        4,
        "weight",
        "'x' is not an integer",
    ),
    (
        "not UTF-8",
        lambda d: (d / "neurons.csv").write_bytes(b"bodyId,type\n1,\xff\xfe\n"),
        "neurons.csv",
        None,
        None,
        "UTF-8",
    ),
]


#: the database :func:`refused_reload` loads from each good export (``write``), loaded once
#: per session: {(module, name of write): directory holding the export ``good`` and what the
#: load left next to it}
_GOOD_LOADS: dict[tuple[str, str], Path] = {}


def _good_load(tmp_path: Path, write: Callable[[Path], None]) -> Path:
    """A directory where ``load(good, graph.lbug)`` ran on the good export ``write`` (once per
    session, next to the test directories; the tests get copies, never this one)."""
    key = (write.__module__, write.__qualname__)
    if key not in _GOOD_LOADS:
        directory = Path(tempfile.mkdtemp(prefix="good-load-", dir=tmp_path.parent))
        (directory / "good").mkdir()
        write(directory / "good")
        load(directory / "good", directory / "graph.lbug")
        _GOOD_LOADS[key] = directory
    return _GOOD_LOADS[key]


def refused_reload(
    tmp_path: Path, write: Callable[[Path], None], damage: Callable[[Path], None]
) -> tuple[LoadError, Path, bytes]:
    """Load a good export (``write``) into ``tmp_path/graph.lbug``, then try to load it again
    from a damaged copy; returns the LoadError, the database path and its bytes before.

    The good load is the same for every damage: it runs once per session and each test gets
    a copy of everything that load left in its directory (the database, its manifest, any
    companion file), as if it had loaded the good export itself."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    write(good)
    target = tmp_path / "graph.lbug"
    loaded = _good_load(tmp_path, write)
    for made in loaded.iterdir():
        if made.is_dir() and made.name != "good":
            shutil.copytree(made, tmp_path / made.name)
        elif not made.is_dir():
            shutil.copy2(made, tmp_path / made.name)
    before = target.read_bytes()
    write(bad)
    damage(bad)
    with pytest.raises(LoadError) as info:
        load(bad, target)
    return info.value, target, before


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
    if line is not None:
        assert err.line == line, str(err)
    if column is not None:
        assert err.column == column, str(err)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad",
        "good",
        "graph.lbug",
        "graph.lbug.manifest.json",
        "graph.lbug.roi-rows.arrow",
    ]
    with Embedded(target) as db:
        assert db.run(neurons(columns=["bodyId"]))["bodyId"].tolist() == [1, 2]


def test_weight_hp_is_loaded_when_present(tmp_path: Path) -> None:
    (tmp_path / "neurons.csv").write_text("bodyId,type\n1,a\n2,b\n")
    (tmp_path / "total-connections.csv").write_text(
        "bodyId_pre,bodyId_post,weight,weightHP\n1,2,5,4\n2,1,3,1\n"
    )
    (tmp_path / "roi-connections.csv").write_text("bodyId_pre,bodyId_post,roi,weight\n1,2,FB,5\n")
    with Embedded(load(tmp_path, tmp_path / "g.lbug")) as db:
        df = db.run(connections(where=E.weightHP >= 2))
        assert df[["bodyId_pre", "bodyId_post"]].values.tolist() == [[1, 2]]


def test_weight_hp_absent_is_null(db: Embedded) -> None:
    assert db.run(connections(where=E.weightHP.is_null())).shape[0] == 2500


def test_a_database_of_another_schema_version_is_refused_clearly(tmp_path: Path) -> None:
    import ladybug

    _write(tmp_path)
    path = load(tmp_path, tmp_path / "old.lbug")
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    conn.execute("MATCH (m:Meta) WHERE m.key = 'schemaVersion' DELETE m")
    conn.close()
    db.close()
    with pytest.raises(LoadError, match=r"another version of neuprint-dsl \(schema 1"):
        Embedded(path)
    load(tmp_path, path)  # loading again fixes it
    with Embedded(path) as fresh:
        assert fresh.meta["schemaVersion"] >= 2


def test_loading_never_deletes_unrelated_files(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "hemibrain.notes.txt").write_text("mine")
    (tmp_path / "hemibrain.csv").write_text("mine too")
    load(tmp_path, tmp_path / "hemibrain")
    load(tmp_path, tmp_path / "hemibrain")  # replacing an existing database as well
    assert (tmp_path / "hemibrain.notes.txt").read_text() == "mine"
    assert (tmp_path / "hemibrain.csv").read_text() == "mine too"


def test_trailing_commas_do_not_shift_columns(tmp_path: Path) -> None:
    _write(tmp_path, neurons="bodyId,type,pre\n1,APL,10,\n2,KC,20,\n")
    with Embedded(load(tmp_path, tmp_path / "g.lbug")) as db:
        df = db.run(neurons(columns=["bodyId", "type", "pre"]))
    assert df.values.tolist() == [[1, "APL", 10], [2, "KC", 20]]
