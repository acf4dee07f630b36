"""The synapse companion gives fetch_synapses's and fetch_mean_synapses's engine answers.

The load writes every synapse to ``graph.lbug.synapses.arrow`` sorted by body and then in
fetch_synapses's order (neuprint_dsl/embedded/synapse_companion.py); on the embedded engine
both functions slice it and shape the rows (neuprint_dsl/compat/synapse_companion.py)
instead of running the synapse statement. These tests hold the two routes to one answer:

* the store side alone, on random synapse tables (ties at one location, missing ROIs, ROI
  lists at every level): the companion's order is ``lexsort``'s, and ``select`` keeps
  exactly the rows the criteria name, in fetch_synapses's order;
* end to end on a loaded sample: random neuron sets and ``SynapseCriteria`` give identical
  frames (``assert_frame_equal``: rows, order, dtypes; the mean confidence to the float32
  tolerance the engine-vs-pandas test accepts) with and without the companion;
* a missing, stale (another build's) or unreadable companion leaves the engine answering,
  and a reload into the same path is followed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuprint_dsl
import neuprint_dsl.compat.synapses as compat_synapses
from neuprint_dsl.compat import Client, fetch_mean_synapses, fetch_synapses
from neuprint_dsl.compat import NeuronCriteria as NC
from neuprint_dsl.compat import SynapseCriteria as SC
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.companions import companion_path, write_companion
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.embedded.synapse_companion import (
    COMPANION_ORDER,
    SYNAPSE_COMPANION,
    SynapseCompanion,
    SynapseFilter,
    SynapseRows,
    synapse_companion_table,
)

from .conftest import examples

MEAN_VALUES = ["x", "y", "z", "confidence"]


# ---------------------------------------------------------------------------------------
# the store side, on random synapse tables

#: a small hierarchy: CX above EB and FB, MB above CA; "LH" is primary with no parent
_COMBOS = [[], ["CX", "EB"], ["CX", "FB"], ["CA", "MB"], ["LH"], ["MB"]]
_PRIMARY = {"EB", "FB", "CA", "LH"}


@st.composite
def synapse_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Export-like synapse rows: few bodies and coordinates (so rows tie on location), ROI
    lists shared between rows as the export reader shares them, ``roi`` the primary one."""
    n = draw(st.integers(0, 40))
    shared = [list(c) for c in _COMBOS]
    combos = draw(st.lists(st.integers(0, len(shared) - 1), min_size=n, max_size=n))
    small = st.integers(-2, 2)
    frame = pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "bodyId": draw(st.lists(st.sampled_from([5, 9, 2**40, -3]), min_size=n, max_size=n)),
            "type": draw(st.lists(st.sampled_from(["pre", "post"]), min_size=n, max_size=n)),
            "confidence": draw(
                st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.9]), min_size=n, max_size=n)
            ),
            "x": draw(st.lists(small, min_size=n, max_size=n)),
            "y": draw(st.lists(small, min_size=n, max_size=n)),
            "z": draw(st.lists(st.sampled_from([0, 10**12]), min_size=n, max_size=n)),
        }
    ).astype({"bodyId": "int64", "x": "int64", "y": "int64", "z": "int64", "confidence": "float64"})
    frame["type"] = frame["type"].astype("category")
    rois = [shared[c] for c in combos]
    frame["roi"] = pd.Series(
        [next((r for r in c if r in _PRIMARY), None) for c in rois], dtype=object
    )
    frame["rois"] = pd.Series(rois, dtype=object)
    return frame


def _reference(
    frame: pd.DataFrame, bodies: list[int], where: SynapseFilter
) -> list[tuple[Any, ...]]:
    """The selected rows, computed row by row, sorted as fetch_synapses sorts (None last)."""
    out = []
    for row in frame.itertuples(index=False):
        if row.bodyId not in bodies:
            continue
        if where.confidence and not row.confidence > where.confidence:
            continue
        if where.type is not None and row.type != where.type:
            continue
        if where.rois and not set(where.rois) & set(row.rois):
            continue
        for roi in [row.roi] if where.primary_only else (list(row.rois) or [None]):
            out.append((row.bodyId, str(row.type), roi, row.x, row.y, row.z, row.confidence))
    at = {name: i for i, name in enumerate(("bodyId", "type", "roi", "x", "y", "z", "confidence"))}

    def key(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            (r[at[c]] is None, r[at[c]] or "") if c == "roi" else r[at[c]] for c in COMPANION_ORDER
        )

    return sorted(out, key=key)


def _as_tuples(rows: SynapseRows) -> list[tuple[Any, ...]]:
    types = [*rows.type_names, None]
    rois = [*rows.roi_names, None]
    return [
        (int(b), types[t], rois[r], int(x), int(y), int(z), float(c))
        for b, t, r, x, y, z, c in zip(
            rows.body, rows.type, rows.roi, rows.x, rows.y, rows.z, rows.confidence, strict=True
        )
    ]


def test_the_companion_is_sorted_as_lexsort_sorts() -> None:
    """The packed sort (:func:`_sort_order`) against ``np.lexsort``, ties and all."""
    from neuprint_dsl.embedded.synapse_companion import _sort_order

    rng = np.random.default_rng(0)
    for sort_body in (True, False):
        n = 5000
        keys = [rng.integers(0, 40, n), rng.integers(0, 3, n), rng.integers(-2, 2, n)]
        keys += [rng.integers(0, 3, n), rng.integers(0, 2, n), rng.integers(0, 4, n)]
        keys.append(rng.random(n).round(1))
        if sort_body:
            keys[0] = np.sort(keys[0])
        assert _sort_order(keys).tolist() == np.lexsort(keys[::-1]).tolist()
    wide = [
        np.array([3, 1, 2]),
        np.zeros(3, int),
        np.array([0, 2**62, -(2**62)]),
        *[np.zeros(3, int)] * 3,
    ]
    wide.append(np.zeros(3))
    assert _sort_order(wide).tolist() == np.lexsort(wide[::-1]).tolist()  # too wide to pack


@settings(max_examples=examples("property") // 2)  # ci 50
@given(
    frame=synapse_frames(),
    bodies=st.lists(st.sampled_from([5, 9, 2**40, -3, 77]), max_size=4),
    type_=st.sampled_from([None, "pre", "post"]),
    confidence=st.sampled_from([0.0, 0.25, 0.5, -1.0]),
    rois=st.lists(st.sampled_from(["CX", "EB", "FB", "CA", "MB", "LH", "none such"]), max_size=2),
    primary_only=st.booleans(),
)
@example(  # two synapses tied on body, type and location: their ROI rows interleave
    frame=pd.DataFrame(
        {
            "id": [0, 1],
            "bodyId": [5, 5],
            "type": pd.Categorical(["pre", "pre"]),
            "confidence": [0.9, 0.5],
            "x": [0, 0],
            "y": [0, 0],
            "z": [0, 0],
            "roi": ["EB", "FB"],
            "rois": [["CX", "EB"], ["CX", "FB"]],
        }
    ),
    bodies=[5],
    type_=None,
    confidence=0.0,
    rois=[],
    primary_only=False,
)
def test_select_is_the_criteria_row_by_row(
    frame: pd.DataFrame,
    bodies: list[int],
    type_: str | None,
    confidence: float,
    rois: list[str],
    primary_only: bool,
) -> None:
    table = synapse_companion_table(frame)
    assert table.num_rows == len(frame)
    companion = SynapseCompanion(table)
    where = SynapseFilter(type_, confidence, tuple(rois), primary_only)
    got = companion.select(bodies, where).sorted()
    assert _as_tuples(got) == _reference(frame, bodies, where)
    whole = companion.select(sorted(set(frame["bodyId"])), SynapseFilter())
    assert whole.ordered and len(whole) == len(frame)  # the file is in the answer's order
    assert _as_tuples(whole) == _reference(frame, sorted(set(frame["bodyId"])), SynapseFilter())


def test_a_table_that_is_not_a_companion_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"
    write_companion(companion_path(db, SYNAPSE_COMPANION), pa.table({"bodyId": [1]}), "t")
    assert SynapseCompanion.open(db, "t") is None
    assert SynapseCompanion.open(db, None) is None


# ---------------------------------------------------------------------------------------
# end to end, on a loaded sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synapse-companion")
    generate_sample(directory / "export", neurons=80, edges=900, seed=11, synapses=True)
    return directory


@pytest.fixture(scope="module")
def client(sample: Path) -> Iterator[Client]:
    db = load(sample / "export", sample / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    c.progress = False  # type: ignore[attr-defined]
    yield c
    c.transport.close()


@pytest.fixture(scope="module")
def bodies(client: Client) -> list[int]:
    frame = client.transport.run(neuprint_dsl.neurons(columns=["bodyId"]))
    return [int(b) for b in frame["bodyId"].tolist()]


def engine(fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
    """``fn`` on the engine's path (the companion declines)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compat_synapses, "companion_synapses", lambda *a, **k: None)
        return fn(*args, **kwargs)


def companion_only(fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
    """``fn`` where the engine may resolve bodies but never runs a synapse query."""

    def refuse(*a: Any, **k: Any) -> Any:
        raise AssertionError("the engine ran a synapse query")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compat_synapses, "_engine_synapses", refuse)
        mp.setattr(compat_synapses, "mean_synapses_cypher", refuse)
        mp.setattr(compat_synapses, "synapses", refuse)
        return fn(*args, **kwargs)


def assert_means_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Keys, counts and dtypes exactly; the means as the engine-vs-pandas test accepts (x, y,
    z are exact sums divided once, so equal; confidence to one float32 step)."""
    pd.testing.assert_frame_equal(got.drop(columns=MEAN_VALUES), want.drop(columns=MEAN_VALUES))
    assert list(got.dtypes) == list(want.dtypes)
    for column in MEAN_VALUES:
        np.testing.assert_allclose(got[column], want[column], rtol=2e-7)


@st.composite
def criteria(draw: st.DrawFn, client: Client) -> SC:
    primary = sorted(client.primary_rois)
    every = sorted(client.all_rois)
    primary_only = draw(st.booleans())
    pool = primary if primary_only else every
    rois = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True))
    type_ = draw(st.sampled_from([None, "pre", "post"]))
    confidence = draw(st.sampled_from([None, 0, 0.3, 0.8, 0.95]))
    return SC(
        rois=rois, type=type_, confidence=confidence, primary_only=primary_only, client=client
    )


@settings(max_examples=examples("property") // 4)  # ci 25
@given(data=st.data(), by_roi=st.booleans())
def test_companion_and_engine_agree(
    data: st.DataObject, by_roi: bool, client: Client, bodies: list[int]
) -> None:
    sc = data.draw(criteria(client), label="criteria")
    how = data.draw(st.sampled_from(["ids", "traced", "all"]), label="neurons")
    if how == "ids":
        chosen: Any = data.draw(
            st.lists(st.sampled_from(bodies), min_size=1, max_size=30), label="ids"
        )
    else:
        chosen = NC(status="Traced") if how == "traced" else NC()
    batch = data.draw(st.sampled_from([10, 1000]), label="batch_size")
    got = companion_only(fetch_synapses, chosen, sc, batch, client=client)
    pd.testing.assert_frame_equal(got, engine(fetch_synapses, chosen, sc, batch, client=client))
    means = companion_only(fetch_mean_synapses, chosen, sc, batch, by_roi=by_roi, client=client)
    assert_means_equal(
        means, engine(fetch_mean_synapses, chosen, sc, batch, by_roi=by_roi, client=client)
    )


def test_defaults_agree_and_are_not_empty(client: Client) -> None:
    sc = SC(client=client)
    got = companion_only(fetch_synapses, NC(status="Traced"), sc, client=client)
    assert len(got) > 100
    pd.testing.assert_frame_equal(
        got, engine(fetch_synapses, NC(status="Traced"), sc, client=client)
    )
    everywhere = SC(primary_only=False, confidence=0, client=client)
    got = companion_only(fetch_mean_synapses, NC(), everywhere, client=client)
    assert got["roi"].nunique() > len(client.primary_rois) // 2
    assert_means_equal(got, engine(fetch_mean_synapses, NC(), everywhere, client=client))


def test_a_criteria_subclass_keeps_the_engine_path(client: Client) -> None:
    class Mine(SC):
        pass

    sc = Mine(type="pre", confidence=0.5, client=client)
    ran: list[bool] = []
    original = compat_synapses.companion_synapses
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            compat_synapses,
            "companion_synapses",
            lambda *a, **k: ran.append(True) or original(*a, **k),
        )
        fetch_synapses(NC(status="Traced"), sc, client=client)
    assert not ran


def _copy(sample: Path, tmp_path: Path) -> Path:
    """A private copy of the loaded database (and its companions, manifest)."""
    for item in sample.iterdir():
        if item.name.startswith("graph.lbug"):
            shutil.copy2(item, tmp_path / item.name)
    return tmp_path / "graph.lbug"


@pytest.mark.parametrize("damage", ["missing", "stale", "unreadable"])
def test_a_bad_companion_leaves_the_engine_answering(
    damage: str, sample: Path, client: Client, tmp_path: Path
) -> None:
    assert client.transport.synapse_companion() is not None  # the sample is loaded
    db = _copy(sample, tmp_path)
    path = companion_path(db, SYNAPSE_COMPANION)
    if damage == "missing":
        path.unlink()
    elif damage == "stale":
        # the same rows, stamped by another build
        write_companion(path, synapse_companion_table(_frame_of(sample)), "another build")
    else:
        path.write_bytes(b"not an arrow file")
    c = Client(transport=neuprint_dsl.embedded(db))
    c.progress = False  # type: ignore[attr-defined]
    try:
        assert c.transport.synapse_companion() is None
        sc = SC(type="post", confidence=0.5, client=c)
        got = fetch_synapses(NC(status="Traced"), sc, client=c)
        pd.testing.assert_frame_equal(
            got, engine(fetch_synapses, NC(status="Traced"), sc, client=client)
        )
        means = fetch_mean_synapses(NC(status="Traced"), sc, client=c)
        assert_means_equal(
            means, engine(fetch_mean_synapses, NC(status="Traced"), sc, client=client)
        )
    finally:
        c.transport.close()


def _frame_of(sample: Path) -> pd.DataFrame:
    from neuprint_dsl.embedded.export import read_export

    synapses = read_export(sample / "export").synapses
    assert synapses is not None
    return synapses


def test_a_reload_is_followed(tmp_path: Path) -> None:
    """A handle open across ``load`` into the same path answers from the new build's
    companion (and the engine and the companion still agree)."""
    generate_sample(tmp_path / "one", neurons=30, edges=200, seed=1, synapses=True)
    generate_sample(tmp_path / "two", neurons=40, edges=300, seed=2, synapses=True)
    db = load(tmp_path / "one", tmp_path / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    c.progress = False  # type: ignore[attr-defined]
    try:
        first = c.transport.synapse_companion()
        assert first is not None and first.num_rows == c.transport.meta["synapses"]
        load(tmp_path / "two", tmp_path / "graph.lbug")
        second = c.transport.synapse_companion()
        assert second is not None and second is not first
        assert second.num_rows == c.transport.meta["synapses"] != first.num_rows
        sc = SC(confidence=0.2, client=c)
        got = companion_only(fetch_synapses, NC(), sc, client=c)
        pd.testing.assert_frame_equal(got, engine(fetch_synapses, NC(), sc, client=c))
        (tmp_path / "graph.lbug.synapses.arrow").unlink()  # gone: the engine answers
        assert c.transport.synapse_companion() is None
        pd.testing.assert_frame_equal(fetch_synapses(NC(), sc, client=c), got)
    finally:
        c.transport.close()


def test_no_synapses_no_companion(tmp_path: Path) -> None:
    generate_sample(tmp_path / "e", neurons=20, edges=50, seed=3, synapses=False)
    db = load(tmp_path / "e", tmp_path / "graph.lbug")
    assert not companion_path(db, SYNAPSE_COMPANION).exists()
    with neuprint_dsl.embedded(db) as handle:
        assert handle.synapse_companion() is None


def test_means_by_sorted_keys_are_the_dense_counts(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fetch_mean_synapses groups in a dense array of keys when they are few, else sorts
    them: the same groups and means either way."""
    import neuprint_dsl.compat.synapse_companion as shaping

    sc = SC(primary_only=False, confidence=0.1, client=client)
    for by_roi in (True, False):
        dense = companion_only(fetch_mean_synapses, NC(), sc, by_roi=by_roi, client=client)
        with monkeypatch.context() as mp:
            mp.setattr(shaping, "DENSE_SLOTS_PER_ROW", 0)
            mp.setattr(shaping, "DENSE_SLOTS", 0)
            by_sort = companion_only(fetch_mean_synapses, NC(), sc, by_roi=by_roi, client=client)
        assert len(dense) > 50
        pd.testing.assert_frame_equal(dense, by_sort)


def test_the_manifest_lists_and_checks_the_companion(
    sample: Path, client: Client, tmp_path: Path
) -> None:
    from neuprint_dsl.embedded.build import verify_database

    assert client.transport.synapse_companion() is not None  # the sample is loaded
    db = _copy(sample, tmp_path)
    assert verify_database(db) == []
    path = companion_path(db, SYNAPSE_COMPANION)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the rows
    path.write_bytes(bytes(data))
    problems = verify_database(db)
    assert problems and path.name in " ".join(problems)
