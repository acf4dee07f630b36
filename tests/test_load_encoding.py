"""The load's fast encodings give the slow reference's text and rows exactly (issue 15:
speed without changing any answer)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl.embedded.build import _roi_info_text
from neuprint_dsl.embedded.csv_files import read_typed
from neuprint_dsl.embedded.synapse_export import _positions

_counts = st.dictionaries(st.text(max_size=6), st.integers(-(2**63), 2**63 - 1), max_size=4)


@given(st.dictionaries(st.text(max_size=8), _counts, max_size=6))
@example({"é": {"post": 1}})
@example({"\x7f": {"pre": 1}})
@example({'a"b': {"pre": 1}, "a\\b": {}})
@example({"FB": {"post": 2**63 - 1, "pre": -(2**63)}})
@settings(max_examples=300, deadline=None)
def test_roi_info_text_is_json_dumps(info: dict[str, dict[str, int]]) -> None:
    assert _roi_info_text(info) == json.dumps(info, sort_keys=True, separators=(",", ":"))


def test_roi_info_text_beyond_64_bits_falls_back() -> None:
    info = {"FB": {"post": 2**70}}
    assert _roi_info_text(info) == json.dumps(info, sort_keys=True, separators=(",", ":"))


@given(
    st.lists(st.integers(-50, 50), unique=True, max_size=30),
    st.lists(st.integers(-60, 60), max_size=30),
    st.booleans(),
)
@example([3, 4, 5, 6], [2, 3, 6, 7], False)
@settings(max_examples=200, deadline=None)
def test_positions_agree_with_a_binary_search(
    ids: list[int], wanted: list[int], consecutive: bool
) -> None:
    """What ``_synapse_counts`` now uses, against the sort and binary search it replaced."""
    array = np.arange(len(ids), dtype=np.int64) + 7 if consecutive else np.array(ids, np.int64)
    query = np.array(wanted, dtype=np.int64)
    order = np.argsort(array, kind="stable")
    expected = np.full(len(query), -1, dtype=np.int64)
    if len(array):
        at = np.clip(np.searchsorted(array[order], query), 0, len(array) - 1)
        expected = np.where(array[order][at] == query, order[at], -1)
    assert _positions(array, query).tolist() == expected.tolist()


def test_typed_frames_are_writable_and_unconsolidated(tmp_path: Path) -> None:
    """``read_typed`` hands out columns as pyarrow converted them (no block copy): pandas'
    answer, and they can still be written, even for a one-chunk file that converts without
    a copy."""
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2.5,x\n3,4.5,y\n", encoding="utf-8")
    frame = read_typed(path, ["a", "b", "c"], {"a": "int", "b": "float", "c": "str"})
    expected = pd.read_csv(path, dtype={"a": "int64", "b": "float64", "c": "category"})
    pd.testing.assert_frame_equal(frame, expected)
    frame.loc[0, "a"] = 9
    frame["b"] *= 2
    assert frame["a"].tolist() == [9, 3]
    assert frame["b"].tolist() == [5.0, 9.0]
