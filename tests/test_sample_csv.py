"""The sample's CSV writer (embedded/sample/csv_writer.py): the number format, against an
oracle written with integer arithmetic, and the file layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl.embedded.sample.csv_writer import Decimals, decimal_text, write_csv


def _expected(k: int, places: int) -> str:
    """``k / 10**places`` with at most ``places`` decimals, trailing zeros dropped, one kept."""
    whole, fraction = divmod(k, 10**places)
    digits = f"{fraction:0{places}d}".rstrip("0") if places else ""
    return f"{whole}.{digits or '0'}"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 6).flatmap(
        lambda places: st.tuples(
            st.just(places),
            st.lists(st.integers(0, 10 ** (9 + places) - 1), min_size=1, max_size=50),
        )
    )
)
@example((6, [0, 1, 10**6, 999_999, 1_000_001, 123_456_789, 10**15 - 1, 10**15 - 10**6]))
@example((0, [10**9 - 1, 10**8]))
@example((3, [500, 1000, 501, 999]))
@example((0, [0, 7]))
def test_decimals_are_written_exactly(case: tuple[int, list[int]]) -> None:
    places, ks = case
    values = np.array(ks, dtype=np.int64) / 10**places
    assert decimal_text(values, places).to_pylist() == [_expected(k, places) for k in ks]


def test_a_file_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    codes = np.array([0, 1, 2, 1])
    write_csv(
        path,
        ["id", "roi", "score"],
        [
            np.array([1, 22, 333, 2**62]),
            (codes, ("", "CA(R)", "a b")),
            Decimals(np.array([0.0, 1.0, 0.5, 0.25]), 3),
        ],
    )
    text = path.read_text()
    assert text.splitlines()[:2] == ["id,roi,score", "1,,0.0"]
    assert text.endswith("\n") and "\r" not in text
    frame = pd.read_csv(path, keep_default_na=False)
    assert frame["id"].tolist() == [1, 22, 333, 2**62]
    assert frame["roi"].tolist() == ["", "CA(R)", "a b", "CA(R)"]
    assert frame["score"].tolist() == [0.0, 1.0, 0.5, 0.25]


def test_an_empty_table_is_its_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    empty = np.zeros(0, dtype=np.int64)
    write_csv(path, ["a", "b"], [empty, Decimals(np.zeros(0), 6)])
    assert path.read_text() == "a,b\n"


@pytest.mark.parametrize(
    "column",
    [
        (np.array([0]), ("a,b",)),
        Decimals(np.array([-1.0]), 3),
        Decimals(np.array([np.nan]), 3),
        Decimals(np.array([1e10]), 3),
    ],
)
def test_what_it_cannot_write_is_refused(tmp_path: Path, column: object) -> None:
    with pytest.raises(AssertionError):
        write_csv(tmp_path / "t.csv", ["x"], [column])  # type: ignore[list-item]
