"""Loaders, part 2 (issue 11 section 4): exact values, precise errors, nothing half-done."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from neuprint_dsl import N, connections, neurons
from neuprint_dsl.cli import cli
from neuprint_dsl.embedded import load
from neuprint_dsl.errors import CapabilityError, LoadError
from neuprint_dsl.transports import Embedded

TOTAL = "bodyId_pre,bodyId_post,weight\n1,2,5\n"
ROI = "bodyId_pre,bodyId_post,roi,weight\n1,2,FB,5\n"


def _export(d: Path, neurons_csv: str, total: str = TOTAL, roi: str | None = ROI) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "neurons.csv").write_text(neurons_csv, encoding="utf-8")
    (d / "total-connections.csv").write_text(total, encoding="utf-8")
    if roi is not None:
        (d / "roi-connections.csv").write_text(roi, encoding="utf-8")
    return d


# ---------------------------------------------------------------------------------------
# 1. 64-bit integers next to a missing cell read back exactly


BIG = [2**63 - 1, 123456789012345679, 2**53 + 1, -(2**63)]


def test_big_integers_next_to_a_missing_cell_read_back_exactly(tmp_path: Path) -> None:
    rows = "".join(f"{i + 1},t{i},{v}\n" for i, v in enumerate(BIG))
    export = _export(tmp_path / "x", f"bodyId,type,size\n{rows}9,t9,\n")
    with Embedded(load(export, tmp_path / "g.lbug")) as db:
        got = db.run(neurons(columns=["bodyId", "size"]))
        assert got["size"].tolist()[:4] == BIG
        assert got["size"].isna().tolist() == [False] * 4 + [True]
        raw = db.fetch_custom("MATCH (n:Neuron) RETURN n.size AS s ORDER BY n.bodyId")
        assert raw["s"].tolist()[:4] == BIG


# ---------------------------------------------------------------------------------------
# 2. a byte that is not UTF-8: file, line and column, wherever it is


@pytest.mark.parametrize("rows_before", [0, 3, 5000])  # 5000 rows: far past pandas' first 8 KB
@pytest.mark.parametrize("table", ["neurons.csv", "total-connections.csv"])
def test_a_byte_that_is_not_utf8_is_named_by_line_and_column(
    tmp_path: Path, rows_before: int, table: str
) -> None:
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    if table == "neurons.csv":
        body = b"bodyId,type\n" + b"".join(b"%d,T\n" % (i + 10) for i in range(rows_before))
        body += b"1,A\xe9B\n2,B\n"
        column = "type"
    else:
        body = b"bodyId_pre,bodyId_post,weight\n"
        body += b"".join(b"%d,2,1\n" % (i + 10) for i in range(rows_before))
        body += b"1,2,5\xff\n"
        column = "weight"
    (export / table).write_bytes(body)
    with pytest.raises(LoadError) as info:
        load(export, tmp_path / "g.lbug")
    assert info.value.path.endswith(table)
    assert info.value.line == rows_before + 2, str(info.value)
    assert info.value.column == column
    assert "not UTF-8" in info.value.reason


# ---------------------------------------------------------------------------------------
# 3. a byte-order mark is accepted; short rows and loose integers are refused everywhere


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    export = _export(tmp_path / "x", "\ufeffbodyId,type\n1,A\n2,B\n")
    for name in ("total-connections.csv", "roi-connections.csv"):
        path = export / name
        path.write_text("\ufeff" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with Embedded(load(export, tmp_path / "g.lbug")) as db:
        assert db.run(neurons(columns=["bodyId", "type"])).values.tolist() == [[1, "A"], [2, "B"]]


def test_a_row_with_too_few_fields_is_refused(tmp_path: Path) -> None:
    export = _export(tmp_path / "x", "bodyId,type,pre\n1,A,3\n2,B\n")
    with pytest.raises(LoadError) as info:
        load(export, tmp_path / "g.lbug")
    assert info.value.path.endswith("neurons.csv")
    assert info.value.line == 3
    assert "expected 3 fields, found 2" in info.value.reason


@pytest.mark.parametrize("cell", ["1e3", "1.0", "+5", "1_0", "٣"])
@pytest.mark.parametrize("table", ["neurons.csv", "total-connections.csv", "roi-connections.csv"])
def test_integers_are_read_by_one_strict_rule(tmp_path: Path, cell: str, table: str) -> None:
    files = {
        "neurons.csv": "bodyId,type,pre\n1,A,{}\n2,B,4\n",
        "total-connections.csv": "bodyId_pre,bodyId_post,weight\n1,2,{}\n",
        "roi-connections.csv": "bodyId_pre,bodyId_post,roi,weight\n1,2,FB,{}\n",
    }
    export = _export(tmp_path / "x", "bodyId,type,pre\n1,A,3\n2,B,4\n")
    (export / table).write_text(files[table].format(cell), encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(export, tmp_path / "g.lbug")
    assert info.value.path.endswith(table)
    assert info.value.line == 2
    assert info.value.column in ("pre", "weight")
    assert "is not an integer" in info.value.reason


# ---------------------------------------------------------------------------------------
# 4. an export without roi-connections.csv loads; per-ROI connection questions are refused


def test_an_export_without_per_roi_weights_loads_and_says_so(tmp_path: Path) -> None:
    export = _export(
        tmp_path / "x",
        'bodyId,type,roiInfo\n1,A,"{""FB"": {""pre"": 2}}"\n2,B,"{""FB"": {""post"": 5}}"\n',
        roi=None,
    )
    path = load(export, tmp_path / "g.lbug")
    with Embedded(path) as db:
        assert db.run(connections())[["bodyId_pre", "bodyId_post", "weight"]].values.tolist() == [
            [1, 2, 5]
        ]
        assert db.run(N.roi("FB"))["bodyId"].tolist() == [1, 2]  # neuron roiInfo still read
        assert db.schema.has_roi_weights is False
        with pytest.raises(CapabilityError, match=r"roi-connections\.csv"):
            db.run(connections(per_roi=True))
        with pytest.raises(CapabilityError, match=r"roi-connections\.csv"):
            db.run(connections(rois=["FB"]))
    result = CliRunner().invoke(cli, ["info", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "per-ROI connection weights: absent" in result.output


def test_an_export_with_per_roi_weights_answers_per_roi_questions(tmp_path: Path) -> None:
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    path = load(export, tmp_path / "g.lbug")
    with Embedded(path) as db:
        assert db.schema.has_roi_weights is True
        assert len(db.run(connections(rois=["FB"]))) == 1
    result = CliRunner().invoke(cli, ["info", "--db", str(path)])
    assert "per-ROI connection weights: absent" not in result.output


# ---------------------------------------------------------------------------------------
# 5. a database path that cannot be one fails at once, before the export is read


@pytest.mark.parametrize("where", ["directory", "under a file", "deep under a file"])
def test_a_bad_database_path_fails_before_the_build(
    tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = importlib.import_module("neuprint_dsl.embedded")
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    (tmp_path / "file.txt").write_text("mine")
    (tmp_path / "folder").mkdir()
    target = {
        "directory": tmp_path / "folder",
        "under a file": tmp_path / "file.txt" / "g.lbug",
        "deep under a file": tmp_path / "file.txt" / "a" / "g.lbug",
    }[where]

    def never(directory: object) -> None:
        raise AssertionError("the export was read before the target was checked")

    monkeypatch.setattr(
        importlib.import_module("neuprint_dsl.embedded.export"), "read_export", never
    )
    with pytest.raises(LoadError) as info:
        package.load(export, target)
    assert info.value.path == str(target)
    assert "directory" in info.value.reason or "is a file" in info.value.reason
    assert (tmp_path / "file.txt").read_text() == "mine"
    assert list((tmp_path / "folder").iterdir()) == []


def test_the_cli_refuses_a_database_path_under_a_file(tmp_path: Path) -> None:
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    (tmp_path / "file.txt").write_text("mine")
    target = tmp_path / "file.txt" / "g.lbug"
    result = CliRunner().invoke(cli, ["load", str(export), "--db", str(target)])
    assert result.exit_code == 2
    assert "is a file, so no database can be created under it" in result.output


# ---------------------------------------------------------------------------------------
# 6. what a killed load leaves is removed by the next load of that target (and only that)

_KILLED_LOAD = """
import os, signal, sys
import neuprint_dsl.embedded.build as build
from neuprint_dsl.embedded import load

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

build._copy_edges = die
load(sys.argv[1], sys.argv[2])
"""


def test_a_killed_load_leaves_nothing_after_the_next_load(tmp_path: Path) -> None:
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    target = tmp_path / "db" / "g.lbug"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_LOAD, str(export), str(target)], timeout=120
    )
    assert killed.returncode == -signal.SIGKILL
    left = sorted(p.name for p in target.parent.iterdir())
    assert left and all(name.startswith(".g.lbug.build-") for name in left), left
    (target.parent / ".g.lbug.notes.tmp").write_text("not ours")
    (target.parent / ".other.lbug.build-1-ab.tmp").write_text("another target's")
    load(export, target)
    assert sorted(p.name for p in target.parent.iterdir()) == [
        ".g.lbug.notes.tmp",
        ".other.lbug.build-1-ab.tmp",
        "g.lbug",
        "g.lbug.manifest.json",
        "g.lbug.roi-rows.arrow",
    ]


def test_a_running_build_is_never_removed(tmp_path: Path) -> None:
    import fcntl

    from neuprint_dsl.embedded.build import remove_stale_builds

    target = tmp_path / "g.lbug"
    mine = tmp_path / f".g.lbug.build-{os.getpid()}-00ff.tmp"  # a live process, no owner file
    mine.write_bytes(b"building")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], stdout=-1)
    locked = tmp_path / f".g.lbug.build-{int(dead.stdout)}-abcd.tmp"  # owner lock still held
    locked.write_bytes(b"building")
    with open(f"{locked}.owner", "w") as owner:
        fcntl.flock(owner.fileno(), fcntl.LOCK_EX)
        assert remove_stale_builds(target) == []
    assert mine.exists() and locked.exists()
    assert remove_stale_builds(target) == [locked, Path(f"{locked}.owner")]


# ---------------------------------------------------------------------------------------
# 7. primary ROIs that overlap are refused, naming them

_TREE = {"name": "brain", "children": [{"name": "MB(R)", "children": [{"name": "CA(R)"}]}]}


def test_primary_rois_nested_in_the_hierarchy_are_refused(tmp_path: Path) -> None:
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    meta = {"primaryRois": ["CA(R)", "MB(R)"], "roiHierarchy": _TREE}
    (export / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(LoadError) as info:
        load(export, tmp_path / "g.lbug")
    assert info.value.path.endswith("meta.json")
    assert "'CA(R)' lies inside 'MB(R)'" in info.value.reason


def test_primary_rois_whose_weights_exceed_the_total_are_refused(tmp_path: Path) -> None:
    roi = "bodyId_pre,bodyId_post,roi,weight\n1,2,FB,4\n1,2,MB(R),3\n1,2,CA(R),3\n"
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n", roi=roi)
    (export / "meta.json").write_text(json.dumps({"primaryRois": ["FB", "MB(R)", "CA(R)"]}))
    with pytest.raises(LoadError) as info:
        load(export, tmp_path / "g.lbug")
    assert info.value.path.endswith("roi-connections.csv")
    assert info.value.line == 2
    assert "connection 1 -> 2 has weight 10 in the primary ROIs CA(R), FB, MB(R)" in str(info.value)
    assert "more than its total weight 5" in info.value.reason


def test_primary_rois_whose_neuron_counts_exceed_the_total_are_refused(tmp_path: Path) -> None:
    info_2 = '"{""MB(R)"": {""post"": 6}, ""CA(R)"": {""post"": 6}}"'
    neurons_csv = f'bodyId,type,post,roiInfo\n1,A,0,"{{}}"\n2,B,8,{info_2}\n'
    roi = "bodyId_pre,bodyId_post,roi,weight\n1,2,MB(R),5\n"
    export = _export(tmp_path / "x", neurons_csv, roi=roi)
    (export / "meta.json").write_text(json.dumps({"primaryRois": ["MB(R)", "CA(R)"]}))
    with pytest.raises(LoadError) as info:
        load(export, tmp_path / "g.lbug")
    assert info.value.path.endswith("neurons.csv")
    assert (info.value.line, info.value.column) == (3, "roiInfo")
    assert "bodyId 2 has post 12 in the primary ROIs CA(R), MB(R), more than its post 8" in (
        info.value.reason
    )


def test_primary_rois_that_partition_load(tmp_path: Path) -> None:
    roi = "bodyId_pre,bodyId_post,roi,weight\n1,2,CA(R),3\n1,2,NotPrimary,2\n"
    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n", roi=roi)
    meta = {"primaryRois": ["CA(R)"], "roiHierarchy": _TREE}
    (export / "meta.json").write_text(json.dumps(meta))
    with Embedded(load(export, tmp_path / "g.lbug")) as db:
        assert db.meta["primaryRois"] == ["CA(R)"]


# ---------------------------------------------------------------------------------------
# 8. a reload is seen by every handle, old or new


def test_handles_follow_a_reload(tmp_path: Path) -> None:
    import neuprint_dsl

    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    target = load(export, tmp_path / "g.lbug")
    old = neuprint_dsl.embedded(target)
    assert old.run(neurons(columns=["bodyId"]))["bodyId"].tolist() == [1, 2]
    (export / "neurons.csv").write_text("bodyId,type,size\n1,A,7\n2,B,8\n3,C,9\n")
    load(export, target)
    with neuprint_dsl.embedded(target) as new:
        assert new.run(neurons(columns=["bodyId"]))["bodyId"].tolist() == [1, 2, 3]
        # the old handle moves to the new file too, schema included
        assert old.run(neurons(columns=["bodyId", "size"]))["size"].tolist() == [7, 8, 9]
        raw = old.fetch_custom("MATCH (n:Neuron) RETURN count(*) AS c")
        assert raw["c"].tolist() == [3]
    old.close()
    with neuprint_dsl.embedded(target) as again:  # closing in any order releases cleanly
        assert len(again.run(neurons(columns=["bodyId"]))) == 3


# ---------------------------------------------------------------------------------------
# 9. a damaged database never answers quietly: manifest, counts on open, --verify


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess: a damaged database must not be able to take the test down."""
    command = [sys.executable, "-m", "neuprint_dsl.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from neuprint_dsl.embedded.sample import generate_sample

    out = tmp_path_factory.mktemp("damage")
    generate_sample(out / "export", neurons=200, edges=1000, seed=3)
    return load(out / "export", out / "g.lbug")


def test_a_load_writes_a_manifest_and_verify_passes(loaded: Path) -> None:
    from neuprint_dsl.embedded.build import manifest_path

    manifest = json.loads(manifest_path(loaded).read_text())
    assert manifest["files"]["g.lbug"]["size"] == loaded.stat().st_size
    assert manifest["rowCounts"]["Neuron"] == 200
    assert manifest["rowCounts"]["ConnectsTo"] == 1000
    with Embedded(loaded) as db:  # opening and querying leaves the file as the load wrote it
        assert db.meta["rowCounts"] == manifest["rowCounts"]
        assert len(db.run(neurons(columns=["bodyId"]))) == 200
    result = _cli("info", "--db", str(loaded), "--verify")
    assert result.returncode == 0, result.stderr
    assert "verified: the file and its row counts are what the load wrote" in result.stdout


@pytest.mark.parametrize("page", [100, 300, 1200])
def test_damaged_pages_fail_verify(loaded: Path, tmp_path: Path, page: int) -> None:
    from neuprint_dsl.embedded.build import manifest_path

    damaged = tmp_path / "g.lbug"
    damaged.write_bytes(loaded.read_bytes())
    manifest_path(damaged).write_text(manifest_path(loaded).read_text())
    with damaged.open("r+b") as handle:
        handle.seek(page * 4096 % damaged.stat().st_size)
        handle.write(b"\0" * 4096)
    result = _cli("info", "--db", str(damaged), "--verify")
    assert result.returncode == 1, result.stdout
    assert str(damaged) in result.stderr
    assert "SHA-256 mismatch" in result.stderr or "cannot open" in result.stderr


def test_a_table_that_lost_rows_is_refused_on_open(tmp_path: Path) -> None:
    import ladybug

    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n3,C\n")
    path = load(export, tmp_path / "g.lbug")
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    conn.execute("MATCH (n:Neuron) WHERE n.bodyId = 3 DETACH DELETE n")
    conn.close()
    db.close()
    with pytest.raises(LoadError, match="damaged: table Neuron holds 2 rows, the load wrote 3"):
        Embedded(path)
    load(export, path)  # loading again repairs it
    with Embedded(path) as fresh:
        assert len(fresh.run(neurons(columns=["bodyId"]))) == 3


def test_verify_without_a_manifest_says_so(tmp_path: Path) -> None:
    from neuprint_dsl.embedded.build import manifest_path

    export = _export(tmp_path / "x", "bodyId,type\n1,A\n2,B\n")
    path = load(export, tmp_path / "g.lbug")
    manifest_path(path).unlink()
    result = CliRunner().invoke(cli, ["info", "--db", str(path), "--verify"])
    assert result.exit_code == 1
    assert "no manifest g.lbug.manifest.json" in result.output
