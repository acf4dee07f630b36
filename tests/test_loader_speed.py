"""The fast paths of the loader keep its meaning: super-level ROI rows derived with numpy equal
a plain pandas groupby on any input order, the forward-only ``ConnectsToRoi`` storage answers
queries from either end, and the progress bar of a load never stands still."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuprint_dsl.embedded.build as build
import neuprint_dsl.progress as progress_module
from neuprint_dsl import N, connections
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.build import connection_roi_rows
from neuprint_dsl.embedded.export import Export
from neuprint_dsl.embedded.rois import NOT_PRIMARY, SUPER_ROI_CHILDREN
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.transports import Embedded

PARENT = {child: parent for parent, children in SUPER_ROI_CHILDREN.items() for child in children}
#: a few primary ROIs with a parent, two without (LH(R), PRW), and the remainder
ROIS = ["CA(R)", "PED(R)", "gL(R)", "EB", "FB", "SMP(R)", "LH(R)", "PRW", NOT_PRIMARY]


def _expected(rows: pd.DataFrame) -> list[tuple[int, int, str, int]]:
    """neuPrint's every-ROI rows, the plain pandas way: the rows plus each parent's sum."""
    up = rows[rows["roi"].isin(list(PARENT))].assign(roi=lambda f: f["roi"].map(PARENT))
    sums = up.groupby(["bodyId_pre", "bodyId_post", "roi"], as_index=False)["weight"].sum()
    every = pd.concat([rows, sums], ignore_index=True)
    every = every.sort_values(["bodyId_pre", "bodyId_post", "roi"])
    return list(every.itertuples(index=False, name=None))


def _export(rows: pd.DataFrame) -> Export:
    total = rows.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    nobody = pd.DataFrame({"bodyId": pd.Series([], dtype="int64")})
    return Export(Path("x"), "adjacencies", nobody, {}, rows, total, {"dataset": "hemibrain"})


@st.composite
def roi_rows(draw: st.DrawFn) -> pd.DataFrame:
    bodies = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=6, unique=True))
    cells = draw(
        st.sets(
            st.tuples(st.sampled_from(bodies), st.sampled_from(bodies), st.sampled_from(ROIS)),
            max_size=40,
        )
    )
    order = draw(st.permutations(sorted(cells)))
    weights = draw(st.lists(st.integers(0, 10**6), min_size=len(order), max_size=len(order)))
    return pd.DataFrame(
        {
            "bodyId_pre": pd.Series([c[0] for c in order], dtype="int64"),
            "bodyId_post": pd.Series([c[1] for c in order], dtype="int64"),
            "roi": pd.Series([c[2] for c in order], dtype=object).astype("category"),
            "weight": pd.Series(weights, dtype="int64"),
        }
    )


@settings(max_examples=150, deadline=None)
@given(roi_rows())
@example(  # rows out of connection order, one connection with children of two parents
    pd.DataFrame(
        {
            "bodyId_pre": [5, 1, 1, 5],
            "bodyId_post": [1, 2, 2, 1],
            "roi": pd.Categorical(["EB", "CA(R)", "PED(R)", "FB"]),
            "weight": [3, 4, 0, 2**40],
        }
    )
)
def test_numpy_super_level_rows_equal_a_pandas_groupby(rows: pd.DataFrame) -> None:
    table, notes = connection_roi_rows(_export(rows))
    got = list(table[["bodyId_pre", "bodyId_post", "roi", "weight"]].itertuples(index=False))
    expected = _expected(rows.assign(roi=rows["roi"].astype(object)))
    assert [tuple(r) for r in got] == expected
    assert table["pre"].isna().all() and notes["roiPreCounts"] is False
    children = {str(r) for r in rows["roi"].tolist()} & set(PARENT)
    assert notes["derivedRois"] == sorted({PARENT[c] for c in children})


@pytest.fixture(scope="module")
def moderate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("moderate")
    generate_sample(out, neurons=1500, edges=60_000, seed=4)  # with synapses (~340,000)
    return out


class Loaded:
    """The moderate sample loaded into ``path`` with a progress callback: its ``calls``
    (time, stage, done, total), and the ``start`` and ``end`` of the load."""

    def __init__(self, path: Path, calls: list[tuple[float, str, int, int]], start: float) -> None:
        self.path = path
        self.calls = calls
        self.start = start
        self.end = time.monotonic()


@pytest.fixture(scope="module")
def moderate_load(moderate: Path, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """One load of the moderate sample (heartbeat every 0.05 s), watched by the progress test
    and queried by the forward-only test (a load is most of either test's time)."""
    calls: list[tuple[float, str, int, int]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(progress_module, "HEARTBEAT_S", 0.05)
        target = tmp_path_factory.mktemp("moderate-db") / "g.lbug"
        start = time.monotonic()
        path = load(moderate, target, progress=lambda *a: calls.append((time.monotonic(), *a)))
        return Loaded(path, calls, start)


def test_progress_of_a_load_never_stands_still(moderate_load: Loaded) -> None:
    calls, start, end = moderate_load.calls, moderate_load.start, moderate_load.end
    stamps = [start, *(c[0] for c in calls), end]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert max(gaps) < 5.0, f"the bar stood still for {max(gaps):.2f} s"
    assert len(calls) >= (end - start) / 1.0  # about one report per beat, at least
    done = [c[2] for c in calls]
    assert done == sorted(done) and len(set(done)) > len(calls) // 2  # it moves
    assert {c[3] for c in calls} == {build.TOTAL_UNITS}
    assert calls[0][1] == "reading the export" and calls[-1][1:] == (
        "done",
        build.TOTAL_UNITS,
        build.TOTAL_UNITS,
    )
    stages = [c[1] for c in calls]
    assert stages.index("copying per-ROI connections") < stages.index("copying synapses")


def test_a_failed_load_stops_its_progress_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "HEARTBEAT_S", 0.05)  # ten beats in 0.5 s
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "neurons.csv").write_text("bodyId\n1\n1\n")
    (tmp_path / "x" / "total-connections.csv").write_text("bodyId_pre,bodyId_post,weight\n")
    calls: list[tuple[str, int, int]] = []
    with pytest.raises(Exception, match="appears twice"):
        load(tmp_path / "x", tmp_path / "g.lbug", progress=lambda *a: calls.append(a))
    seen = len(calls)
    time.sleep(10 * progress_module.HEARTBEAT_S)
    assert len(calls) == seen and not any(c[0] == "done" for c in calls)


def test_forward_only_per_roi_rows_answer_from_either_end(
    moderate: Path, moderate_load: Loaded
) -> None:
    """ConnectsToRoi keeps forward adjacency only: a question asked from the downstream side
    still gets every row (the engine then scans instead of following backward lists)."""
    rows = pd.read_csv(moderate / "roi-connections.csv")
    targets = sorted(rows["bodyId_post"].drop_duplicates().sample(25, random_state=1).tolist())
    with Embedded(moderate_load.path) as db:
        got = db.run(connections(None, N.bodyId.isin(targets), per_roi=True))
        raw = db.fetch_custom(
            "MATCH (m:Neuron)<-[r:ConnectsToRoi]-(n:Neuron) WHERE m.bodyId IN $ids "
            "RETURN count(*) AS rows",
            {"ids": targets},
        )
    mine = rows[rows["bodyId_post"].isin(targets) & (rows["roi"] != NOT_PRIMARY)]
    expected = set(_expected(mine))
    assert set(got[["bodyId_pre", "bodyId_post", "roi", "weight"]].itertuples(index=False)) == {
        e for e in expected if e[3] > 0
    }
    everything = rows[rows["bodyId_post"].isin(targets)]
    assert int(raw["rows"][0]) == len(_expected(everything))
