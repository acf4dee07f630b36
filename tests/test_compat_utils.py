"""``neuprint_dsl.compat.utils`` against neuprint-python's ``neuprint.utils`` and
``neuprint.wrangle`` on the same tables (drawn by Hypothesis), plus the documented places
where neuprint-python loses data and compat does not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl.compat import (
    available_datasets,
    bilateral_syndist,
    connection_table_to_matrix,
    merge_neuron_properties,
    syndist_matrix,
)
from neuprint_dsl.compat.utils import (
    assign_sides_in_groups,
    cypher_identifier,
    ensure_list,
    iter_batches,
)
from neuprint_dsl.cypher.literals import RESERVED
from neuprint_dsl.errors import InvalidArgument, InvalidValue, UnknownField

from .neuprint_server import FakeNeuprint, neuprint_server  # noqa: F401 (the fixture)

np_utils = pytest.importorskip("neuprint.utils")
np_wrangle = pytest.importorskip("neuprint.wrangle")

TYPES = st.sampled_from(["KCg", "KCab", "APL", "MBON01", "a'b"])


@st.composite
def tables(
    draw: Any, max_rows: int = 25, null_types: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A neuron table (unique bodyIds, ``type`` maybe null, ``pre``) and a connection table
    whose bodies may be missing from it."""
    bodies = draw(st.lists(st.integers(1, 60), min_size=1, max_size=12, unique=True))
    types = [draw(st.none() | TYPES if null_types else TYPES) for _ in bodies]
    neurons = pd.DataFrame(
        {
            "bodyId": np.array(bodies, dtype=np.int64),
            "type": pd.Series(types, dtype=object),
            "pre": np.array([draw(st.integers(0, 500)) for _ in bodies], dtype=np.int64),
        }
    )
    candidates = [*bodies, 99]  # 99: a body the neuron table does not list
    n = draw(st.integers(0, max_rows))
    conn = pd.DataFrame(
        {
            "bodyId_pre": np.array(
                [draw(st.sampled_from(candidates)) for _ in range(n)], dtype=np.int64
            ),
            "bodyId_post": np.array(
                [draw(st.sampled_from(candidates)) for _ in range(n)], dtype=np.int64
            ),
            "weight": np.array([draw(st.integers(1, 100)) for _ in range(n)], dtype=np.int64),
        }
    )
    return neurons, conn


@settings(max_examples=50)
@given(tables(), st.sampled_from(["type", ["type", "pre"], ("pre",), []]))
def test_merge_neuron_properties_as_neuprint_python(
    data: tuple[pd.DataFrame, pd.DataFrame], properties: Any
) -> None:
    neurons, conn = data
    expected = np_utils.merge_neuron_properties(neurons, conn, properties)
    got = merge_neuron_properties(neurons, conn, properties)
    pd.testing.assert_frame_equal(got, expected)
    # merging again replaces the columns instead of adding suffixed copies
    again = merge_neuron_properties(neurons, got, properties)
    pd.testing.assert_frame_equal(again, np_utils.merge_neuron_properties(neurons, got, properties))


def test_merge_neuron_properties_refuses_bad_input() -> None:
    neurons = pd.DataFrame({"bodyId": [1, 1], "type": ["a", "b"]})
    conn = pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [1], "weight": [3]})
    with pytest.raises(InvalidValue, match="more than once"):
        merge_neuron_properties(neurons, conn, "type")
    with pytest.raises(UnknownField, match=r"'typ'.*did you mean 'type'"):
        merge_neuron_properties(neurons.iloc[:1], conn, "typ")


def _typed(neurons: pd.DataFrame, conn: pd.DataFrame) -> pd.DataFrame:
    return merge_neuron_properties(neurons, conn, ["type"])


@settings(max_examples=80)
@given(
    tables(max_rows=16, null_types=False),  # <= 16 rows: pandas' default sort is then stable
    st.sampled_from(["bodyId", "type", ("bodyId_pre", "type_post")]),
    st.sampled_from([None, "type", "bodyId", ("bodyId_pre", "type_post")]),
    st.booleans(),
)
@example(
    (
        pd.DataFrame({"bodyId": [3, 1], "type": ["A", "B"], "pre": [0, 0]}),
        pd.DataFrame({"bodyId_pre": [3, 1, 3], "bodyId_post": [1, 1, 1], "weight": [5, 1, 7]}),
    ),
    "bodyId",
    None,
    True,
)
def test_connection_table_to_matrix_as_neuprint_python(
    data: tuple[pd.DataFrame, pd.DataFrame], group_cols: Any, sort_by: Any, make_square: bool
) -> None:
    neurons, conn = data
    conn = _typed(
        neurons,
        conn[
            conn["bodyId_pre"].isin(neurons["bodyId"]) & conn["bodyId_post"].isin(neurons["bodyId"])
        ],
    )
    if make_square and isinstance(group_cols, tuple):
        return  # ids and types cannot be sorted together (both raise; checked below)
    expected = np_utils.connection_table_to_matrix(conn, group_cols, "weight", sort_by, make_square)
    got = connection_table_to_matrix(conn, group_cols, "weight", sort_by, make_square)
    pd.testing.assert_frame_equal(got, expected)
    # and the cells are the sums of the table's weights
    pre, post = (
        (f"{group_cols}_pre", f"{group_cols}_post") if isinstance(group_cols, str) else group_cols
    )
    sums = conn.groupby([pre, post])["weight"].sum()
    for (a, b), total in sums.items():
        assert got.loc[a, b] == total
    assert got.to_numpy().sum() == conn["weight"].sum()


def test_connection_table_to_matrix_keeps_missing_groups() -> None:
    """neuprint-python drops the weights of rows whose group value is null and leaves a row
    of NaN (every cell of the matrix turns float); compat keeps them in a None row."""
    for strings in (object, "str"):  # None kept as None, or NaN in pandas' string dtype
        conn = pd.DataFrame(
            {
                "type_pre": pd.Series(["A", None, "A"], dtype=strings),
                "type_post": pd.Series(["B", "B", "A"], dtype=strings),
                "weight": [5, 7, 2],
            }
        )
        theirs = np_utils.connection_table_to_matrix(conn, "type")
        assert theirs.isna().any().any()  # what is not copied
        got = connection_table_to_matrix(conn, "type")
        assert got.dtypes.tolist() == [np.dtype("int64")] * 2
        assert got.to_numpy().tolist() == [[5, 2], [7, 0]]
        assert got.index[0] == "A" and pd.isna(got.index[1])
        square = connection_table_to_matrix(conn, "type", make_square=True)
        assert pd.isna(square.index[0]) and list(square.index[1:]) == ["A", "B"]
        assert square.to_numpy().sum() == 14 and square.shape == (3, 3)


def test_connection_table_to_matrix_refuses_bad_input() -> None:
    conn = pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [2], "weight": [3]})
    with pytest.raises(UnknownField, match="'type_pre'"):
        connection_table_to_matrix(conn, "type")
    with pytest.raises(InvalidArgument, match="group_cols"):
        connection_table_to_matrix(conn, ["bodyId_pre"])
    with pytest.raises(UnknownField, match="'w'"):
        connection_table_to_matrix(conn, weight_col="w")
    mixed = pd.DataFrame({"a_pre": [1], "a_post": ["x"], "weight": [3]})
    with pytest.raises(InvalidValue, match="sorted together"):
        connection_table_to_matrix(mixed, "a", make_square=True)


ROIS = st.sampled_from(["EB", "FB", "LAL(L)", "LAL(R)", "CRE(L)", "CRE(R)", "b'L(R)", "b'L(L)"])


@st.composite
def syndists(draw: Any) -> pd.DataFrame:
    keys = draw(st.lists(st.tuples(st.integers(1, 6), ROIS), min_size=1, max_size=20, unique=True))
    return pd.DataFrame(
        {
            "bodyId": np.array([k[0] for k in keys], dtype=np.int64),
            "roi": [k[1] for k in keys],
            "pre": np.array([draw(st.integers(0, 99)) for _ in keys], dtype=np.int64),
            "post": np.array([draw(st.integers(0, 99)) for _ in keys], dtype=np.int64),
        }
    )


@settings(max_examples=80)
@given(
    syndists(),
    st.sampled_from([None, ["EB", "LAL(L)"], ["FB"]]),
    st.sampled_from([["pre", "post"], ["post"]]),
    st.booleans(),
)
def test_syndist_matrix_as_neuprint_python(
    syndist: pd.DataFrame, rois: Any, columns: list[str], flatten: bool
) -> None:
    expected = np_wrangle.syndist_matrix(syndist, rois, columns, flatten)
    got = syndist_matrix(syndist, rois, columns, flatten)
    pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=80)
@given(syndists(), st.sampled_from([None, ["EB", "LAL(L)", "LAL(R)"]]))
def test_bilateral_syndist_as_neuprint_python(syndist: pd.DataFrame, rois: Any) -> None:
    expected = np_wrangle.bilateral_syndist(syndist, rois=rois)
    got = bilateral_syndist(syndist, rois=rois)
    pd.testing.assert_frame_equal(got, expected)
    # the (LR) rows are the sums of the two sides
    for row in got[got["roi"].str.endswith("(LR)")].itertuples():
        side = syndist[
            (syndist["bodyId"] == row.bodyId)
            & syndist["roi"].isin([row.roi[:-4] + "(L)", row.roi[:-4] + "(R)"])
        ]
        assert row.pre == side["pre"].sum() and row.post == side["post"].sum()


def test_bilateral_syndist_keeps_the_bodies_asked_for() -> None:
    syndist = pd.DataFrame(
        {
            "bodyId": [1, 1, 2],
            "roi": ["LAL(L)", "LAL(R)", "EB"],
            "pre": [1, 2, 3],
            "post": [4, 5, 6],
        }
    )
    got = bilateral_syndist(syndist, bodies=[1])
    assert got[["bodyId", "roi", "pre", "post"]].values.tolist() == [[1, "LAL(LR)", 3, 9]]


# (not a set: neuprint-python returns the set itself, compat a list of its items; not mixed
# types: neuprint-python turns (1, "a") into ["1", "a"], compat keeps [1, "a"])
VALUES: list[Any] = [
    None,
    3,
    "MB(R)",
    [1, 2],
    ("a", "b"),
    np.array([4, 5]),
    pd.Series([6]),
    [np.int64(9)],
    np.int64(3),
    [],
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_ensure_list_as_neuprint_python(value: Any) -> None:
    expected = np_utils.ensure_list(value)
    got = ensure_list(value)
    assert got == expected and [type(v) for v in got] == [type(v) for v in expected]


def test_ensure_list_keeps_item_types() -> None:
    assert ensure_list((1, "a")) == [1, "a"] and ensure_list({7}) == [7]
    assert np_utils.ensure_list((1, "a")) == ["1", "a"]  # what is not copied


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30),
    st.integers(1, 7),
    st.sampled_from(["list", "iter", "array", "series", "frame"]),
)
def test_iter_batches_as_neuprint_python(items: list[int], size: int, kind: str) -> None:
    def make() -> Any:
        if kind == "iter":
            return iter(items)
        if kind == "array":
            return np.array(items, dtype=np.int64)
        if kind == "series":
            return pd.Series(items, dtype=np.int64)
        if kind == "frame":
            return pd.DataFrame({"a": pd.Series(items, dtype=np.int64)})
        return list(items)

    expected = list(np_utils.iter_batches(make(), size))
    got_batches = iter_batches(make(), size)
    got = list(got_batches)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        if isinstance(b, pd.DataFrame | pd.Series):
            pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
        else:
            assert list(a) == list(b)
    if kind != "iter":
        assert len(got_batches) == len(np_utils.iter_batches(make(), size)) == len(got)


def test_iter_batches_refuses_bad_sizes() -> None:
    for size in (0, -1, 1.5, True):
        with pytest.raises(InvalidArgument, match="batch_size"):
            iter_batches([1], size)  # type: ignore[arg-type]


@given(st.text(max_size=12).filter(lambda s: "`" not in s) | st.sampled_from(sorted(RESERVED)))
def test_cypher_identifier_quotes_at_least_what_neuprint_python_quotes(name: str) -> None:
    got = cypher_identifier(name)
    theirs = np_utils.cypher_identifier(name)
    if theirs != name:
        assert got == theirs  # backticked by both, the same way
    if got == name:
        assert theirs == name  # plain for both


def test_cypher_identifier_escapes_backticks() -> None:
    assert cypher_identifier("a`b") == "`a``b`"
    assert np_utils.cypher_identifier("a`b") == "`a`b`"  # neuprint-python's: not closed right


def test_available_datasets(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    names = available_datasets(neuprint_server.url, token="abc")
    assert names == list(neuprint_server.datasets)
    request = neuprint_server.requests_to("/api/dbmeta/datasets")[-1]
    assert request.headers["Authorization"] == "Bearer abc"


def test_available_datasets_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEUPRINT_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(InvalidArgument, match="token"):
        available_datasets("neuprint.example.org")


@st.composite
def sided(draw: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """neurons (bodyId, instance, group, somaSide) and their syndist, with left, right and
    medial ROIs all present (neuprint-python needs all three)."""
    bodies = draw(st.lists(st.integers(1, 40), min_size=1, max_size=10, unique=True))
    instances = st.none() | st.sampled_from(["X_L", "X_R", "X", "Y_R_a", "Z_L_b", "W"])
    neurons = pd.DataFrame(
        {
            "bodyId": np.array(bodies, dtype=np.int64),
            "instance": pd.Series([draw(instances) for _ in bodies], dtype=object),
            "group": pd.Series([draw(st.none() | st.integers(1, 3)) for _ in bodies], dtype=object),
            "somaSide": pd.Series(
                [draw(st.none() | st.sampled_from(["L", "R", "M"])) for _ in bodies], dtype=object
            ),
        }
    )
    rows = []
    for body in bodies:
        for roi in ("EB", "LAL(L)", "LAL(R)", "CRE(L)"):
            if draw(st.booleans()) or body == bodies[0]:
                counts = st.integers(0, 200)
                rows.append((body, roi, draw(counts), draw(counts)))
    syndist = pd.DataFrame(rows, columns=["bodyId", "roi", "pre", "post"])
    return neurons, syndist


def _cells(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        (index, *(None if pd.isna(v) else v for v in row))
        for index, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True)
    ]


@settings(max_examples=40)
@given(sided(), st.sampled_from([None, ["EB", "LAL(L)", "LAL(R)"]]), st.sampled_from([0.5, 0.7]))
def test_assign_sides_in_groups_as_neuprint_python(
    tables: tuple[pd.DataFrame, pd.DataFrame], primary: Any, bias: float
) -> None:
    neurons, syndist = tables
    try:
        expected = np_wrangle.assign_sides_in_groups(
            neurons, syndist, primary, min_pre=50, min_post=60, min_bias=bias
        )
    except Exception:  # neuprint-python fails without L, M and R counts (e.g. after primary)
        return
    got = assign_sides_in_groups(neurons, syndist, primary, min_pre=50, min_post=60, min_bias=bias)
    assert list(got.columns) == list(expected.columns)
    assert got.index.name == expected.index.name == "bodyId"
    assert _cells(got) == _cells(expected)
