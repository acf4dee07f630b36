"""The skeleton helpers of ``neuprint_dsl.compat`` against neuprint-python's own
(``neuprint.skeleton``) on the same skeleton DataFrames: ``skeleton_segments``,
``upsample_skeleton``, ``attach_synapses_to_skeleton``, ``distances_from_root`` and the rest of
the module (SWC text, segment distances, healing, re-rooting, networkx graphs).

Skeletons are drawn by Hypothesis: random forests (one or several fragments, rowIds in any
order, roots linking to -1), float32 coordinates and radii as ``fetch_skeleton`` returns them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl.compat import (
    attach_synapses_to_skeleton,
    calc_segment_distances,
    distances_from_root,
    heal_skeleton,
    reorient_skeleton,
    skeleton_df_to_nx,
    skeleton_df_to_swc,
    skeleton_segments,
    skeleton_swc_to_df,
    upsample_skeleton,
)
from neuprint_dsl.errors import InvalidArgument, InvalidValue, MissingDependency

theirs = pytest.importorskip("neuprint.skeleton")


@st.composite
def skeletons(draw: Any, min_size: int = 0, max_size: int = 30) -> pd.DataFrame:
    n = draw(st.integers(min_size, max_size))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    links = []
    for i in range(n):
        # a root (-1) or a node drawn before this one: always a forest
        parent = draw(st.integers(-1, i - 1)) if i else -1
        links.append(-1 if parent < 0 else ids[parent])
    coordinate = st.floats(-1000, 1000, allow_nan=False, width=32)
    df = pd.DataFrame(
        {
            "rowId": np.array(ids, dtype=np.int32),
            "x": np.array([draw(coordinate) for _ in range(n)], dtype=np.float32),
            "y": np.array([draw(coordinate) for _ in range(n)], dtype=np.float32),
            "z": np.array([draw(coordinate) for _ in range(n)], dtype=np.float32),
            "radius": np.array(
                [draw(st.floats(0, 50, width=32)) for _ in range(n)], dtype=np.float32
            ),
            "link": np.array(links, dtype=np.int32),
        }
    )
    order = draw(st.permutations(range(n)))
    return df.iloc[list(order)].reset_index(drop=True)


TWO_PIECES = skeleton_swc_to_df("1 0 0 0 0 1 -1\n2 0 30 0 0 3 1\n5 0 0 40 0 1 -1\n4 0 0 41 0 1 5")


@settings(max_examples=60)
@given(skeletons())
@example(TWO_PIECES)
@example(skeleton_swc_to_df("7 0 1 1 1 1 7"))  # a node that is its own parent
def test_skeleton_segments_as_neuprint_python(df: pd.DataFrame) -> None:
    expected = theirs.skeleton_segments(df.copy())
    got = skeleton_segments(df.copy())
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-6)


@settings(max_examples=40)
@given(skeletons(), st.sampled_from([0.5, 3.0, 25.0, 400.0, 5000.0]))
@example(TWO_PIECES, 4.0)
@example(skeleton_swc_to_df("1 0 0 0 0 2 -1\n2 0 9 0 0 1 1"), 4)
def test_upsample_skeleton_as_neuprint_python(df: pd.DataFrame, length: float) -> None:
    expected = theirs.upsample_skeleton(df.copy(), length)
    got = upsample_skeleton(df.copy(), length)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-5, atol=1e-3)
    # every segment is cut to (about) the asked length; old nodes keep their points
    if len(got) > len(df):
        segments = skeleton_segments(got.astype({c: np.float64 for c in "xyz"}))
        assert (segments["length"] <= length * (1 + 1e-4) + 1e-3).all()
        old = got[got["rowId"].isin(df["rowId"])].set_index("rowId")
        pd.testing.assert_frame_equal(
            old[["x", "y", "z", "radius"]],
            df.set_index("rowId")[["x", "y", "z", "radius"]],
            check_like=True,
        )


@st.composite
def synapses(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(0, 20))
    coordinate = st.integers(-1000, 1000)
    return pd.DataFrame(
        {
            "bodyId": np.full(n, 7, dtype=np.int64),
            "type": [draw(st.sampled_from(["pre", "post"])) for _ in range(n)],
            "roi": ["MB(R)"] * n,
            "x": np.array([draw(coordinate) for _ in range(n)], dtype=np.int32),
            "y": np.array([draw(coordinate) for _ in range(n)], dtype=np.int32),
            "z": np.array([draw(coordinate) for _ in range(n)], dtype=np.int32),
            "confidence": np.array([draw(st.floats(0, 1, width=32)) for _ in range(n)]),
        },
        index=pd.RangeIndex(100, 100 + n),
    )


def _distinct_nearest(sk: pd.DataFrame, syn: pd.DataFrame) -> bool:
    """True if every synapse has one closest node (a tie may be broken either way)."""
    nodes = sk[["x", "y", "z"]].to_numpy(np.float64)
    for point in syn[["x", "y", "z"]].to_numpy(np.float64):
        d = np.sort(((nodes - point) ** 2).sum(axis=1))
        if len(d) > 1 and np.isclose(d[0], d[1], rtol=1e-9, atol=1e-9):
            return False
    return True


@settings(max_examples=60)
@given(skeletons(min_size=1), synapses())
def test_attach_synapses_as_neuprint_python(sk: pd.DataFrame, syn: pd.DataFrame) -> None:
    if not _distinct_nearest(sk, syn):
        return
    expected = theirs.attach_synapses_to_skeleton(sk.copy(), syn.copy())
    got = attach_synapses_to_skeleton(sk.copy(), syn.copy())
    pd.testing.assert_frame_equal(got, expected)


def test_attach_synapses_links_each_to_the_closest_node_without_scipy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy.spatial", None)  # the numpy fallback
    sk = skeleton_swc_to_df("1 0 0 0 0 1 -1\n2 0 10 0 0 1 1\n3 0 20 0 0 1 2")
    syn = pd.DataFrame({"type": ["pre", "post", "post"], "x": [19, 1, 11], "y": [0, 2, 0], "z": 0})
    got = attach_synapses_to_skeleton(sk, syn)
    assert got["link"].tolist()[3:] == [3, 1, 2]
    assert got["rowId"].tolist()[3:] == [4, 5, 6]
    assert got["structure"].tolist() == ["neurite"] * 3 + ["pre", "post", "post"]


def test_heal_without_scipy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy", None)  # as if scipy were not installed
    two = skeleton_swc_to_df("1 0 0 0 0 1 -1\n2 0 10 0 0 1 -1")
    with pytest.raises(MissingDependency, match=r"neuprint-dsl\[skeleton\]") as caught:
        heal_skeleton(two)
    assert isinstance(caught.value, ImportError) and caught.value.package == "scipy"


@settings(max_examples=60)
@given(skeletons(min_size=1))
@example(TWO_PIECES)
def test_distances_from_root_as_neuprint_python(df: pd.DataFrame) -> None:
    # (neuprint-python raises NodeNotFound on an empty skeleton; here it gets a column)
    expected = theirs.distances_from_root(df.copy())
    got = distances_from_root(df.copy())
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-5)


def test_distances_from_root_of_an_empty_skeleton() -> None:
    got = distances_from_root(TWO_PIECES.iloc[:0])
    assert list(got.columns) == [*TWO_PIECES.columns, "distance"] and len(got) == 0


def test_distances_from_root_leaves_rootless_fragments_nan() -> None:
    df = skeleton_swc_to_df("1 0 0 0 0 1 -1\n2 0 3 4 0 1 1\n3 0 0 0 0 1 9\n4 0 0 0 1 1 3")
    got = distances_from_root(df)["distance"].tolist()
    assert got[:2] == [0.0, 5.0] and np.isnan(got[2:]).all()


def test_helpers_refuse_bad_input() -> None:
    with pytest.raises(InvalidArgument, match="max_segment_length"):
        upsample_skeleton(TWO_PIECES, 0)
    with pytest.raises(InvalidValue, match="no column link"):
        skeleton_segments(TWO_PIECES.drop(columns="link"))
    with pytest.raises(InvalidValue, match="no column type"):
        attach_synapses_to_skeleton(TWO_PIECES, pd.DataFrame({"x": [1], "y": [1], "z": [1]}))
    duplicated = pd.concat([TWO_PIECES, TWO_PIECES.iloc[:1]], ignore_index=True)
    with pytest.raises(InvalidValue, match="duplicate rowId"):
        skeleton_segments(duplicated)


# ---------------------------------------------------------------------------------------
# the rest of neuprint.skeleton, on the same skeletons


@settings(max_examples=50)
@given(skeletons())
@example(TWO_PIECES)
def test_swc_round_trip_as_neuprint_python(df: pd.DataFrame) -> None:
    swc = skeleton_df_to_swc(df)
    assert swc == theirs.skeleton_df_to_swc(df)
    if len(df):  # (neuprint-python's reader fails on an SWC without rows)
        pd.testing.assert_frame_equal(skeleton_swc_to_df(swc), theirs.skeleton_swc_to_df(swc))


@settings(max_examples=50)
@given(skeletons(), st.sampled_from([np.inf, 0.0, 7.5]))
@example(TWO_PIECES, np.inf)
@example(skeleton_swc_to_df("1 0 0 0 0 1 -1\n2 0 1.9e-36 0 0 1 1"), 0.0)  # underflow there
def test_calc_segment_distances_as_neuprint_python(df: pd.DataFrame, root: float) -> None:
    got = calc_segment_distances(df, root_dist=root)
    expected = theirs.calc_segment_distances(df, root_dist=root)
    assert got.dtype == expected.dtype
    # (computed in float64 here: neuprint-python's float32 squares of differences below
    # ~1e-19 underflow to 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@settings(max_examples=50)
@given(skeletons(min_size=1), st.sampled_from([np.inf, 30.0, 0.0]))
@example(TWO_PIECES, np.inf)
@example(TWO_PIECES, 35.0)
def test_heal_skeleton_as_neuprint_python(df: pd.DataFrame, limit: float) -> None:
    got = heal_skeleton(df.copy(), max_distance=limit)
    expected = theirs.heal_skeleton(df.copy(), max_distance=limit)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got.dtypes.tolist() == df.dtypes.tolist()  # (neuprint-python may widen link)


def _tree(df: pd.DataFrame) -> bool:
    return bool((df["link"] == -1).sum() == 1)


@settings(max_examples=50)
@given(skeletons(min_size=2), st.data())
def test_reorient_skeleton_as_neuprint_python(df: pd.DataFrame, data: st.DataObject) -> None:
    if not _tree(df):
        return  # other fragments' roots are arbitrary in neuprint-python
    row = data.draw(st.integers(0, len(df) - 1))
    new_root = int(df["rowId"].iloc[row])
    ours, expected = df.copy(), df.copy()
    reorient_skeleton(ours, rowId=new_root)
    theirs.reorient_skeleton(expected, rowId=new_root)
    assert ours["link"].tolist() == expected["link"].tolist()
    point = df[["x", "y", "z"]].iloc[row].to_numpy() + 0.25
    ours, expected = df.copy(), df.copy()
    reorient_skeleton(ours, xyz=point)
    theirs.reorient_skeleton(expected, xyz=point)
    assert ours["link"].tolist() == expected["link"].tolist()


@settings(max_examples=30)
@given(skeletons(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
@example(TWO_PIECES, True, True, True, False)
def test_skeleton_df_to_nx_as_neuprint_python(
    df: pd.DataFrame, attributes: bool, directed: bool, distances: bool, virtual: bool
) -> None:
    if virtual and not distances:
        return  # neuprint-python fails there (an unbound local)
    got = skeleton_df_to_nx(df, attributes, directed, distances, virtual, root_dist=0.0)
    expected = theirs.skeleton_df_to_nx(df, attributes, directed, distances, virtual, 0.0)
    assert type(got) is type(expected)
    assert dict(got.nodes(data=True)) == dict(expected.nodes(data=True))
    ours_edges, their_edges = sorted(got.edges(data=True)), sorted(expected.edges(data=True))
    assert [(a, b) for a, b, _ in ours_edges] == [(a, b) for a, b, _ in their_edges]
    for (_, _, mine), (_, _, other) in zip(ours_edges, their_edges, strict=True):
        assert mine.keys() == other.keys()
        if "distance" in mine:  # (float32 squares of tiny differences underflow there)
            assert mine["distance"] == pytest.approx(other["distance"], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize(
    ("swc", "limit", "links"),
    [
        # four single-node fragments on a unit square: four links of length 1 tie; the
        # minimum spanning tree takes them in pair order (1-2, 1-3, 2-4) and leaves 3-4
        ("1 0 0 0 0 1 -1\n2 0 1 0 0 1 -1\n3 0 0 1 0 1 -1\n4 0 1 1 0 1 -1", np.inf, [-1, 1, 1, 2]),
        # node 3 is as far from node 1 as from node 2 of the larger fragment: the first wins
        ("1 0 0 0 0 1 -1\n2 0 2 0 0 1 1\n3 0 1 0 0 1 -1", np.inf, [-1, 1, 1]),
        ("1 0 2 0 0 1 -1\n2 0 0 0 0 1 1\n5 0 1 0 0 1 -1\n6 0 1 1 0 1 5", np.inf, [-1, 1, 1, 5]),
        # two fragments touching (a link of length 0, which scipy's graphs would read as no
        # edge), also kept with max_distance=0 (0 is not longer than 0)
        ("1 0 0 0 0 1 -1\n2 0 1 0 0 1 1\n3 0 1 0 0 1 -1", np.inf, [-1, 1, 2]),
        ("1 0 0 0 0 1 -1\n2 0 1 0 0 1 1\n3 0 1 0 0 1 -1", 0.0, [-1, 1, 2]),
    ],
)
def test_heal_skeleton_breaks_ties_as_neuprint_python(
    swc: str, limit: float, links: list[int]
) -> None:
    """Ties between equally close nodes and equally long links are broken as
    neuprint-python breaks them (its k-d tree and networkx's stable Kruskal): the results
    were the same before healing used scipy (numpy distances, a hand-written Kruskal)."""
    df = skeleton_swc_to_df(swc)
    assert heal_skeleton(df.copy(), max_distance=limit)["link"].tolist() == links
    assert theirs.heal_skeleton(df.copy(), max_distance=limit)["link"].tolist() == links
