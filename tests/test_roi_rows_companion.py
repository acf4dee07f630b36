"""The per-ROI rows companion (issue 15): per-ROI statements sliced from a sorted file.

A load writes ``graph.lbug.roi-rows.arrow`` (neuprint_dsl.embedded.roi_rows); the embedded
transport answers the per-ROI statements :func:`roi_slice` accepts from it. These tests check
that the companion's answer is the engine's frame (rows, order, dtypes, index) for random
statements on a database with segments, ``NotPrimary`` rows, zero weights and derived
super-level ROIs, and the reference interpreter's rows; that the file's rows and order are
right for random rows; and that a missing, stale, damaged or foreign companion is never read
(the database answers), a reload is followed, and ``verify_database`` reports damage.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import E, N, NeuprintDSLError, TransportError, connections, evaluate
from neuprint_dsl.embedded.build import build_database, connection_roi_rows, verify_database
from neuprint_dsl.embedded.companions import companion_path, write_companion
from neuprint_dsl.embedded.export import Export
from neuprint_dsl.embedded.roi_rows import (
    ROI_ROWS,
    RoiRows,
    RoiSlice,
    listed_bodies,
    roi_rows_table,
    roi_slice,
)
from neuprint_dsl.expr import FALSE, TRUE, Predicate
from neuprint_dsl.interpret import connection_rows
from neuprint_dsl.query import Connections
from neuprint_dsl.transports import Embedded
from neuprint_dsl.transports.base import AnswersDirectly

from .conftest import examples

# ---------------------------------------------------------------------------------------
# a database with every kind of per-ROI row

BIG = 10**12  # body ids beyond 32 bits
NEURON_IDS = [BIG + i for i in range(30)]
SEGMENT_IDS = [BIG + 100 + i for i in range(8)]  # connection ends outside the neuron table
UNKNOWN_IDS = [7, BIG + 999]
#: primary ROIs of the hemibrain (CA(R) and PED(R) are in MB(R), the load derives MB(R)'s
#: rows), and the remainder outside every primary ROI, which is not an ROI
PRIMARY = ("CA(R)", "PED(R)", "FB", "EB", "b'L(R)")
TYPES = ("KC", "MBON", "APL", None)


def _data(seed: int) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """Neuron records, per-ROI rows and connections: weights 0-4 (ties), NotPrimary rows,
    connections touching segments."""
    rng = np.random.default_rng(seed)
    bodies = [
        {"bodyId": b, "type": TYPES[i % 4], "instance": f"i{i % 5}", "pre": int(i % 7)}
        for i, b in enumerate(NEURON_IDS)
    ]
    ends = np.array(NEURON_IDS + SEGMENT_IDS)
    pairs = {(int(a), int(b)) for a, b in rng.choice(ends, size=(260, 2))}
    roi_rows, total = [], []
    for pre, post in sorted(pairs):
        rois = rng.choice([*PRIMARY, "NotPrimary"], size=int(rng.integers(1, 5)), replace=False)
        weights = rng.integers(0, 5, size=len(rois))
        roi_rows += [(pre, post, str(r), int(w)) for r, w in zip(rois, weights, strict=True)]
        total.append((pre, post, int(weights.sum()) + 1))
    roi = pd.DataFrame(roi_rows, columns=["bodyId_pre", "bodyId_post", "roi", "weight"])
    connections_ = pd.DataFrame(total, columns=["bodyId_pre", "bodyId_post", "weight"])
    return bodies, roi, connections_


def _export(where: Path, seed: int) -> tuple[Export, list[dict[str, Any]]]:
    bodies, roi, total = _data(seed)
    kinds = {"bodyId": "int", "type": "str", "instance": "str", "pre": "int", "roiInfo": "json"}
    frame = pd.DataFrame({k: pd.Series([b.get(k) for b in bodies], dtype=object) for k in kinds})
    frame["bodyId"] = frame["bodyId"].astype("int64")
    frame["roiInfo"] = [{} for _ in bodies]
    meta = {"dataset": "hemibrain", "primaryRois": list(PRIMARY)}
    return Export(where, "adjacencies", frame, kinds, roi, total, meta), bodies


def _interpreter_edges(export: Export) -> list[dict[str, Any]]:
    """The connections as the interpreter reads them: ``roiInfo`` as the load stores it (the
    derived super-level rows in, the NotPrimary remainder out)."""
    rows, _ = connection_roi_rows(export)
    info: dict[tuple[int, int], dict[str, Any]] = {}
    for pre, post, roi, weight in rows[["bodyId_pre", "bodyId_post", "roi", "weight"]].itertuples(
        index=False
    ):
        if roi != "NotPrimary":
            info.setdefault((int(pre), int(post)), {})[str(roi)] = {"post": int(weight)}
    return [
        {"bodyId_pre": a, "bodyId_post": b, "weight": w, "roiInfo": info.get((a, b), {})}
        for a, b, w in export.total_connections.itertuples(index=False)
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    """One database for the module (copied by the tests that change its files)."""
    tmp = tmp_path_factory.mktemp("roi-rows")
    export, bodies = _export(tmp, seed=3)
    return build_database(export, tmp / "graph.lbug"), bodies, _interpreter_edges(export)


@pytest.fixture(scope="module")
def rich(built: tuple[Path, Any, Any]) -> Iterator[tuple[Embedded, Any, Any]]:
    path, bodies, edges = built
    with Embedded(path) as db:
        yield db, bodies, edges


def _engine(db: Embedded, statement: Any) -> pd.DataFrame:
    """``db.run`` with the companion out of the way: the database answers."""
    with mock.patch.object(db, "answer_directly", return_value=None):
        return db.run(statement)


# ---------------------------------------------------------------------------------------
# random statements: the companion's frame is the engine's, and the interpreter's rows

_ID_POOL = NEURON_IDS + SEGMENT_IDS + UNKNOWN_IDS


@st.composite
def neuron_conditions(draw: st.DrawFn, depth: int = 2) -> Predicate:
    """Conditions on one end: lists of ids (neurons, segments, unknown), properties, and
    their and/or/not."""
    ids = draw(st.lists(st.sampled_from(_ID_POOL), max_size=12))
    leaf = draw(
        st.sampled_from(
            [
                TRUE,
                N.bodyId.isin(ids),
                N.bodyId == (ids[0] if ids else BIG),
                N.type == "KC",
                N.type.isin(["MBON", "APL"]),
                N.type.is_null(),
                N.instance.startswith("i1"),
                N.pre > 2,
                N.bodyId.isin([float(i) for i in ids[:2]] or [1.5]),
            ]
        )
    )
    if depth == 0 or draw(st.booleans()):
        return leaf
    other = draw(neuron_conditions(depth - 1))
    return draw(st.sampled_from([leaf & other, leaf | other, ~other]))


@st.composite
def weight_conditions(draw: st.DrawFn, rois: tuple[str, ...], depth: int = 2) -> Predicate:
    """Connection conditions that read per-ROI weights only (and, or, not, constants)."""
    roi = draw(st.sampled_from(rois))
    value = draw(st.integers(0, 4) | st.sampled_from([1.5, -1.0]))
    leaf = draw(
        st.sampled_from(
            [
                E.roi_weight(roi) > value,
                E.roi_weight(roi) >= value,
                E.roi_weight(roi) == value,
                E.roi_weight(roi) < value,
                E.roi_weight(roi) <= value,
                E.roi_weight(roi) != value,
                E.roi_weight(roi).isin([value, 3]),
                E.roi_weight(roi).isin([]),
                TRUE,
                FALSE,
            ]
        )
    )
    if depth == 0 or draw(st.booleans()):
        return leaf
    other = draw(weight_conditions(rois, depth - 1))
    return draw(st.sampled_from([leaf & other, leaf | other, ~other]))


@st.composite
def per_roi_statements(draw: st.DrawFn) -> Connections:
    rois = draw(
        st.none()
        | st.lists(st.sampled_from([*PRIMARY, "MB(R)"]), min_size=1, max_size=3, unique=True)
    )
    order = draw(st.sampled_from([(), "bodyId_pre", ("bodyId_pre", "bodyId_post"), "roi"]))
    where = draw(
        st.just(TRUE)
        | weight_conditions((*PRIMARY, "MB(R)"))
        | st.sampled_from([E.weight > 2, E.weightHP.is_null() | (E.roi_weight("FB") > 1)])
    )
    return connections(
        draw(neuron_conditions()),
        draw(neuron_conditions()),
        where=where,
        rois=rois,
        per_roi=True,
        upstream_label=draw(st.sampled_from(["Neuron", "Segment"])),
        downstream_label=draw(st.sampled_from(["Neuron", "Segment"])),
        order_by=order,
        limit=draw(st.none() | st.integers(0, 40)),
    )


@settings(max_examples=examples("statements") * 4 // 5)  # ci: 40 (each runs 2-5 queries)
@given(per_roi_statements())
@example(connections(N.bodyId.isin(SEGMENT_IDS), per_roi=True, upstream_label="Segment"))
@example(connections(N.bodyId.isin(SEGMENT_IDS + UNKNOWN_IDS), per_roi=True))  # no rows
@example(connections(N.type == "KC", N.bodyId.isin(NEURON_IDS[:9]), per_roi=True, limit=5))
@example(connections(per_roi=True, rois=["MB(R)"], downstream_label="Segment"))
@example(connections(N.bodyId.isin([7.5, 1e12]), N.type == "KC", per_roi=True))  # no bodies
@example(  # found: "not in []" holds for every connection (a numpy scalar, not an array)
    connections(N.bodyId.isin(NEURON_IDS), where=~E.roi_weight("CA(R)").isin([]), per_roi=True)
)
def test_the_companion_answers_as_the_engine(rich: Any, statement: Connections) -> None:
    db, bodies, edges = rich
    try:
        expected = _engine(db, statement)
    except NeuprintDSLError as err:  # refused before anything runs: the same with it
        with pytest.raises(type(err)):
            db.run(statement)
        return
    direct = db.answer_directly(statement)
    assert (direct is not None) == (roi_slice(statement) is not None)
    got = db.run(statement)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.columns.equals(expected.columns) and got.index.equals(expected.index)
    if direct is not None:
        pd.testing.assert_frame_equal(direct, expected, check_exact=True)
    if statement.upstream_label == statement.downstream_label == "Neuron":
        rows = connection_rows(statement, bodies, edges)  # the interpreter knows neurons only
        assert _records(got) == rows


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def test_the_companion_is_used(rich: Any) -> None:
    """The statements of the benchmark go through the companion (not a vacuous test)."""
    db, _, _ = rich
    assert isinstance(db, AnswersDirectly)
    for statement in (
        connections(N.bodyId.isin(NEURON_IDS[::2]), per_roi=True),
        connections(N.type == "KC", per_roi=True, rois=["FB", "MB(R)"], limit=7),
        connections(per_roi=True, upstream_label="Segment", downstream_label="Segment"),
    ):
        direct = db.answer_directly(statement)
        assert direct is not None and len(direct) > 0
        assert "NotPrimary" not in set(direct["roi"]) and (direct["weight"] > 0).all()


# ---------------------------------------------------------------------------------------
# what the companion answers


def test_roi_slice_decides_from_the_statement() -> None:
    ids = N.bodyId.isin([1, 2])
    accepted = [
        connections(ids, per_roi=True),
        connections(N.type == "KC", N.type == "PN", per_roi=True, rois=["FB"], limit=3),
        connections(per_roi=True, upstream_label="Segment"),
        connections(ids, per_roi=True, order_by=("bodyId_pre", "bodyId_post")),
        connections(
            ids, where=~(E.roi_weight("FB") > 2) & E.roi_weight("EB").isin([1]), per_roi=True
        ),
    ]
    refused = [
        connections(ids),  # not per ROI
        connections(ids, per_roi=True, group_by="type"),
        connections(ids, per_roi=True, order_by="roi"),
        connections(ids, per_roi=True, order_by=[("weight", "desc")]),
        connections(ids, where=E.weight > 2, per_roi=True),
        connections(ids, where=(E.roi_weight("FB") > 2) | (E.weight < 3), per_roi=True),
        connections(ids, where=E.roi_weight("NotPrimary") > 2, per_roi=True),  # not an ROI
        connections(None, ids, per_roi=True),  # from the downstream side alone
    ]
    assert all(roi_slice(s) is not None for s in accepted)
    assert all(roi_slice(s) is None for s in refused)
    assert roi_slice(accepted[0], {"roi": "int"}) is None  # a neuron property named roi
    plan = roi_slice(connections(ids, per_roi=True, downstream_label="Segment", limit=2))
    assert plan == RoiSlice(ids, TRUE, True, False, None, 2)


def test_listed_bodies() -> None:
    assert listed_bodies(N.bodyId.isin([3, 1, 3])).tolist() == [1, 3]
    assert listed_bodies(N.bodyId == 5).tolist() == [5]
    assert listed_bodies(FALSE).tolist() == []
    for other in (N.bodyId.isin([1.0]), N.bodyId > 3, N.type == "KC", N.pre.isin([1])):
        assert listed_bodies(other) is None


# ---------------------------------------------------------------------------------------
# the file's rows and order, and slicing it, on random rows (in memory)


@st.composite
def load_rows(draw: st.DrawFn) -> tuple[dict[str, Any], np.ndarray]:
    names = draw(
        st.lists(st.sampled_from(["FB", "EB", "NotPrimary", "aL(R)", "AL(R)", "é"]), min_size=1,
                 max_size=5, unique=True)
    )  # fmt: skip
    keys = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, len(names) - 1)),
            unique=True,
            max_size=60,
        )
    )
    if draw(st.booleans()):
        keys.sort()  # as the load gives them: by connection, then ROI
    weights = draw(st.lists(st.integers(0, 3), min_size=len(keys), max_size=len(keys)))
    neurons = np.array(sorted(draw(st.sets(st.integers(0, 6)))), dtype=np.int64)

    class Coded:
        codes = np.array([k[2] for k in keys], dtype=np.int32)

    Coded.names = tuple(names)  # type: ignore[attr-defined]
    columns = {
        "bodyId_pre": np.array([k[0] for k in keys], dtype=np.int64),
        "bodyId_post": np.array([k[1] for k in keys], dtype=np.int64),
        "roi": Coded,
        "weight": np.array(weights, dtype=np.int64),
    }
    return columns, neurons


def _reference_rows(columns: dict[str, Any], neurons: np.ndarray) -> list[dict[str, Any]]:
    roi = columns["roi"]
    rows = [
        {
            "bodyId_pre": int(a),
            "bodyId_post": int(b),
            "roi": roi.names[c],
            "weight": int(w),
            "pre_neuron": int(a in neurons),
            "post_neuron": int(b in neurons),
        }
        for a, b, c, w in zip(
            columns["bodyId_pre"], columns["bodyId_post"], roi.codes, columns["weight"],
            strict=True,
        )
        if w > 0 and roi.names[c] != "NotPrimary"
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r["bodyId_pre"], r["bodyId_post"], -r["weight"], r["roi"]))


@settings(max_examples=examples("statements"))
@given(load_rows())
@example(  # equal weights: the ROI name breaks the tie, by code point ("AL(R)" < "aL(R)")
    (
        {
            "bodyId_pre": np.array([1, 1]),
            "bodyId_post": np.array([2, 2]),
            "roi": type("C", (), {"codes": np.array([0, 1]), "names": ("aL(R)", "AL(R)")}),
            "weight": np.array([2, 2]),
        },
        np.array([1]),
    )
)
def test_the_file_holds_the_rows_a_statement_reads_in_its_order(
    data: tuple[dict[str, Any], np.ndarray],
) -> None:
    columns, neurons = data
    table = roi_rows_table(columns, neurons)
    assert table.to_pylist() == _reference_rows(columns, neurons)


@settings(max_examples=examples("statements"))
@given(
    load_rows(),
    st.none() | st.lists(st.integers(-1, 7), max_size=5),
    st.none() | st.lists(st.integers(-1, 7), max_size=5),
    st.booleans(),
    st.booleans(),
    st.none() | st.lists(st.sampled_from(["FB", "EB", "é", "zz"]), min_size=1, unique=True),
    st.none() | st.integers(0, 10),
    st.just(TRUE) | weight_conditions(("FB", "EB", "é", "zz")),
)
def test_slices_of_the_file(
    data: tuple[dict[str, Any], np.ndarray],
    up: list[int] | None,
    down: list[int] | None,
    up_neurons: bool,
    down_neurons: bool,
    rois: list[str] | None,
    limit: int | None,
    where: Predicate,
) -> None:
    columns, neurons = data
    companion = RoiRows(roi_rows_table(columns, neurons))
    plan = RoiSlice(
        TRUE, TRUE, up_neurons, down_neurons, None if rois is None else tuple(rois), limit, where
    )
    reference = _reference_rows(columns, neurons)
    info: dict[tuple[int, int], dict[str, Any]] = {}
    for r in reference:
        info.setdefault((r["bodyId_pre"], r["bodyId_post"]), {})[r["roi"]] = {"post": r["weight"]}
    ups = None if up is None else np.unique(np.array(up, dtype=np.int64))
    downs = None if down is None else np.unique(np.array(down, dtype=np.int64))
    frame = companion.frame(plan, ups, downs)
    expected = [
        {k: r[k] for k in ("bodyId_pre", "bodyId_post", "roi", "weight")}
        for r in reference
        if evaluate(where, {"roiInfo": info[(r["bodyId_pre"], r["bodyId_post"])]})
        and (up is None or r["bodyId_pre"] in up)
        and (down is None or r["bodyId_post"] in down)
        and (r["pre_neuron"] or not up_neurons)
        and (r["post_neuron"] or not down_neurons)
        and (rois is None or r["roi"] in rois)
    ][:limit]
    assert _records(frame) == expected
    assert [str(t) for t in frame.dtypes] == ["int64", "int64", "object", "int64"]
    assert frame.index.equals(pd.RangeIndex(len(expected)))


# ---------------------------------------------------------------------------------------
# a companion that is missing, stale, damaged or foreign is never read; reloads are followed


@pytest.fixture
def small(built: tuple[Path, Any, Any], tmp_path: Path) -> Path:
    """A copy of the module's database, its manifest and its companion."""
    source = built[0]
    for file in (source, source.with_name(source.name + ".manifest.json")):
        shutil.copyfile(file, tmp_path / file.name)
    shutil.copyfile(
        companion_path(source, ROI_ROWS), companion_path(tmp_path / source.name, ROI_ROWS)
    )
    return tmp_path / source.name


STATEMENT = connections(N.bodyId.isin(NEURON_IDS[:12]), per_roi=True)


def _answers(path: Path) -> tuple[bool, pd.DataFrame, pd.DataFrame]:
    """Whether the companion answered, what ``run`` gave, what the engine gives."""
    with Embedded(path) as db:
        return db.answer_directly(STATEMENT) is not None, db.run(STATEMENT), _engine(db, STATEMENT)


def _damage(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte in the middle of the rows
    file.write_bytes(bytes(data))


def test_the_load_writes_the_companion(small: Path) -> None:
    file = companion_path(small, ROI_ROWS)
    assert file.is_file() and file.name == "graph.lbug.roi-rows.arrow"
    used, got, engine = _answers(small)
    assert used and len(got) > 0
    pd.testing.assert_frame_equal(got, engine, check_exact=True)
    assert verify_database(small) == []


@pytest.mark.parametrize("how", ["missing", "stale", "truncated", "garbage", "other columns"])
def test_the_database_answers_without_a_good_companion(small: Path, how: str) -> None:
    file = companion_path(small, ROI_ROWS)
    with Embedded(small) as db:
        token = db.meta["buildToken"]
    if how == "missing":
        file.unlink()
    elif how == "stale":  # another build's file (its token differs)
        table = pa.ipc.open_file(pa.py_buffer(file.read_bytes())).read_all()
        write_companion(file, table, "0" * 32)
    elif how == "truncated":
        file.write_bytes(file.read_bytes()[:1000])
    elif how == "garbage":
        file.write_bytes(b"not an arrow file" * 100)
    else:
        write_companion(file, pa.table({"bodyId_pre": [NEURON_IDS[0]]}), token)
    used, got, engine = _answers(small)
    assert not used and len(got) > 0
    pd.testing.assert_frame_equal(got, engine, check_exact=True)
    problems = verify_database(small)
    assert any(file.name in p for p in problems), problems


def test_verify_database_reports_a_damaged_companion(small: Path) -> None:
    _damage(companion_path(small, ROI_ROWS))
    [problem] = verify_database(small)
    assert "graph.lbug.roi-rows.arrow" in problem and "SHA-256" in problem


def test_a_handle_that_may_write_never_reads_it(small: Path) -> None:
    with Embedded(small, read_only=False) as db:
        assert db.answer_directly(STATEMENT) is None
        assert len(db.run(STATEMENT)) > 0


def test_a_closed_handle_answers_nothing(small: Path) -> None:
    db = Embedded(small)
    db.close()
    assert db.answer_directly(STATEMENT) is None
    with pytest.raises(TransportError, match="closed"):
        db.run(STATEMENT)


def test_a_reload_is_followed(small: Path, tmp_path: Path) -> None:
    """A handle open during a reload answers from the new companion; while the new database
    is in place but its companion not yet, the database answers."""
    with Embedded(small) as db:
        before = db.run(STATEMENT)
        export, _ = _export(tmp_path / "other", seed=11)
        (tmp_path / "other").mkdir()
        fresh = build_database(export, tmp_path / "other" / "graph.lbug")
        os.replace(fresh, small)  # the database first, as a load does
        assert db.answer_directly(STATEMENT) is None  # the old companion: another build's
        halfway = db.run(STATEMENT)
        shutil.move(companion_path(fresh, ROI_ROWS), companion_path(small, ROI_ROWS))
        direct = db.answer_directly(STATEMENT)
        assert direct is not None
        after = db.run(STATEMENT)
        pd.testing.assert_frame_equal(after, _engine(db, STATEMENT), check_exact=True)
        pd.testing.assert_frame_equal(halfway, after, check_exact=True)
        assert not before.equals(after)
