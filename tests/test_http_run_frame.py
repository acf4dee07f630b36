"""The neuPrint transport's typed frame for ``run`` (int64 for columns of exact ints) must shape
into exactly the frame the object columns give: same dtypes, same values, same errors."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl.frames import shape
from neuprint_dsl.neuprinthttp.decode import CheckedAnswer as _CheckedAnswer
from neuprint_dsl.neuprinthttp.decode import decode_answer as _decode_answer
from neuprint_dsl.neuprinthttp.tables import object_frame, run_frame

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=2**63, max_value=2**70),
    st.sampled_from([0, 1, 2, -1]),
    st.floats(allow_nan=True),
    st.sampled_from([1.0, 0.0, 2.5]),
    st.text(max_size=3),
)
KINDS = ["int", "float", "bool", "str", "json", None]
#: a column name per kind (c_<kind>); bodyId is an ID column; a _pre column takes its base kind
NAMES = [f"c_{k}" for k in KINDS] + ["bodyId", "c_int_pre"]
SCHEMA = {f"c_{k}": k for k in KINDS if k is not None} | {"c_int": "int"}


def shaped(frame: pd.DataFrame, required: frozenset[str]) -> Any:
    try:
        return shape(frame, SCHEMA, required_ints=required)
    except Exception as err:  # the error itself is compared
        return (type(err), str(err))


def same(rows: list[tuple[Any, ...]], required: frozenset[str] = frozenset()) -> None:
    columns = tuple(NAMES)
    want = shaped(object_frame(columns, rows), required)
    got = shaped(run_frame(columns, rows), required)
    if isinstance(want, pd.DataFrame):
        assert isinstance(got, pd.DataFrame), got
        pd.testing.assert_frame_equal(got, want, check_dtype=True, check_exact=True)
        assert got.to_numpy().tolist() == want.to_numpy().tolist() or want.isna().any().any()
    else:
        assert got == want


def column_rows(column: list[Any]) -> list[tuple[Any, ...]]:
    """The same column of values under every name (each kind, an ID column, ...)."""
    return [(v,) * len(NAMES) for v in column]


@given(st.lists(CELLS, min_size=1, max_size=6), st.booleans())
@settings(max_examples=300, deadline=None)
@example([1, 2, 3], False)
@example([0, 1], False)
@example([1, True], False)
@example([2**63, 1], False)
@example([-(2**63), 2**63 - 1], True)
@example([1, None], True)
@example([1, 1.0], False)
@example([""], False)  # pandas would infer a string dtype from a bare object array
def test_run_frame_shapes_like_object_frame(column: list[Any], required: bool) -> None:
    same(column_rows(column), frozenset({"c_int"}) if required else frozenset())


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=5))
@settings(max_examples=50, deadline=None)
def test_int_columns_become_int64(column: list[int]) -> None:
    frame = run_frame(tuple(NAMES), column_rows(column))
    assert all(str(t) == "int64" for t in frame.dtypes)
    assert frame["c_int"].tolist() == column


def test_mixed_and_empty_and_duplicate_columns_stay_object() -> None:
    rows = [(1, "x", None), (2, "y", 3)]
    frame = run_frame(("a", "b", "c"), rows)
    assert [str(t) for t in frame.dtypes] == ["int64", "object", "object"]
    assert frame["c"].tolist() == [None, 3]
    dup = run_frame(("a", "a"), [(1, 2)])
    assert [str(t) for t in dup.dtypes] == ["object", "object"]
    empty = run_frame(("a",), [])
    assert empty.shape == (0, 1) and str(empty.dtypes.iloc[0]) == "object"


def test_width_decoder_checks_rows() -> None:
    good = _decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2,null]],"debug":"q"}', 2)
    assert isinstance(good, _CheckedAnswer) and good.width == 2
    assert good == {"columns": ["a", "b"], "data": [(1, "x"), (2, None)]}
    # another width: read as any other answer (the row check then raises in the transport)
    short = _decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2]]}', 2)
    assert not isinstance(short, _CheckedAnswer)
    assert short == {"columns": ["a", "b"], "data": [(1, "x"), (2,)]}
    wide = _decode_answer(b'{"columns":["a"],"data":[[1,"x"]]}', 1)
    assert not isinstance(wide, _CheckedAnswer)
