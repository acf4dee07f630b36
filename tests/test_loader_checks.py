"""The loader's connection checks, vectorised with numpy (issue 15's load target), refuse
exactly what the plain pandas checks they replaced refused, naming the same row, on any
input order: a connection listed twice, a per-ROI row without its connection, a connection
and ROI listed twice, primary ROIs whose weights add up to more than the total."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuprint_dsl.embedded.csv_files as csv_files
import neuprint_dsl.embedded.export as export_module
from neuprint_dsl.embedded.synapse_export import RoiRules
from neuprint_dsl.errors import LoadError

TOTAL, ROI = Path("total-connections.csv"), Path("roi-connections.csv")
ROIS = ["CA(R)", "PED(R)", "FB", "EB", "NotPrimary"]
PRIMARY = ["CA(R)", "PED(R)", "FB"]


def _reference(total: pd.DataFrame, roi: pd.DataFrame) -> tuple[str, str, int] | None:
    """The checks as plain pandas (the code before the numpy version): which file, reason,
    and row of the first problem, or None."""
    pairs = total[["bodyId_pre", "bodyId_post"]]
    duplicated = pairs.duplicated()
    if duplicated.any():
        return (str(TOTAL), "this connection appears twice", int(np.flatnonzero(duplicated)[0]))
    roi_pairs = pd.MultiIndex.from_frame(roi[["bodyId_pre", "bodyId_post"]])
    orphan = ~roi_pairs.isin(pd.MultiIndex.from_frame(pairs))
    if orphan.any():
        row = int(np.flatnonzero(orphan)[0])
        pre, post = roi_pairs[row]
        return (str(ROI), f"connection {pre} -> {post} is not in {TOTAL.name}", row)
    dup = roi[["bodyId_pre", "bodyId_post", "roi"]].duplicated()
    if dup.any():
        return (str(ROI), "this connection and ROI appear twice", int(np.flatnonzero(dup)[0]))
    rows = roi[roi["roi"].isin(PRIMARY)]
    if not rows.empty:
        sums = rows.groupby(["bodyId_pre", "bodyId_post"], sort=False, observed=True)[
            "weight"
        ].sum()
        totals = total.set_index(["bodyId_pre", "bodyId_post"])["weight"]
        over = sums[sums > totals.reindex(sums.index)]
        if not over.empty:
            pre, post = over.index[0]
            mine = rows[(rows["bodyId_pre"] == pre) & (rows["bodyId_post"] == post)]
            names = ", ".join(sorted(str(r) for r in mine["roi"].tolist()))
            reason = (
                f"primaryRois overlap: connection {pre} -> {post} has weight "
                f"{int(over.iloc[0])} in the primary ROIs {names}, more than its total "
                f"weight {int(totals.loc[(pre, post)])}"
            )
            return (str(ROI), reason, int(mine.index[0]))
    return None


def _checked(total: pd.DataFrame, roi: pd.DataFrame) -> tuple[str, str, int] | None:
    """The loader's checks; the row is what ``line_of`` was asked for."""
    rules = RoiRules.from_meta({"primaryRois": PRIMARY})
    nobody = pd.DataFrame({"bodyId": pd.Series([], dtype="int64")})
    with mock.patch.object(export_module, "line_of", lambda path, row: row):
        try:
            pairs = export_module._check_connections(TOTAL, total, ROI, roi)
            export_module._check_primary_rois(
                rules, Path("meta.json"), Path("neurons.csv"), nobody, ROI, roi, total, pairs
            )
        except LoadError as err:
            assert err.line is not None
            return (err.path, err.reason, err.line)
    return None


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    bodies = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=5, unique=True))
    body = st.sampled_from(bodies)
    links = draw(st.lists(st.tuples(body, body, st.integers(0, 30)), max_size=12))
    cells = draw(st.lists(st.tuples(body, body, st.sampled_from(ROIS), st.integers(0, 20))))
    if draw(st.booleans()):  # mostly consistent: per-ROI rows of listed connections
        known = [(a, b) for a, b, _ in links]
        cells = [c for c in cells if (c[0], c[1]) in known] or cells
    total = pd.DataFrame(
        links or [(bodies[0], bodies[0], 1)], columns=["bodyId_pre", "bodyId_post", "weight"]
    )
    roi = pd.DataFrame(cells, columns=["bodyId_pre", "bodyId_post", "roi", "weight"])
    total = total.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    roi = roi.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    roi["roi"] = roi["roi"].astype("category")
    return total, roi


def _frames(
    links: list[tuple[int, int, int]], cells: list[tuple[int, int, str, int]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    total = pd.DataFrame(links, columns=["bodyId_pre", "bodyId_post", "weight"]).astype("int64")
    roi = pd.DataFrame(cells, columns=["bodyId_pre", "bodyId_post", "roi", "weight"])
    roi = roi.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    roi["roi"] = roi["roi"].astype("category")
    return total, roi


@settings(max_examples=300, deadline=None)
@given(tables())
# a duplicate after an out-of-order row: the later copy is named, not the first in sort order
@example(_frames([(5, 1, 1), (1, 2, 1), (5, 1, 2), (1, 2, 3)], []))
# the primary sums of two connections both too big: the one listed first is named
@example(_frames([(1, 2, 1), (2, 1, 1)], [(2, 1, "FB", 5), (1, 2, "CA(R)", 3), (1, 2, "FB", 1)]))
# a per-ROI row of a pair whose reverse is listed
@example(_frames([(1, 2, 1)], [(2, 1, "FB", 1)]))
def test_checks_refuse_what_pandas_refused(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    total, roi = frames
    assert _checked(total, roi) == _reference(total, roi)


def _reference_roi_info(text: str) -> object:
    """roiInfo as ``json.loads`` and the per-count checks read it (the code before the
    msgspec fast path): the dict, or the exception type."""
    import json
    import math

    try:
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        out = {}
        for roi, counts in value.items():
            if not isinstance(counts, dict):
                raise ValueError("not an object")
            clean = {}
            for key, count in counts.items():
                if (
                    isinstance(count, bool)
                    or not isinstance(count, (int, float))
                    or not math.isfinite(count)
                    or count != int(count)
                    or not -(2**63) <= int(count) < 2**63
                ):
                    raise ValueError("not an integer")
                clean[key] = int(count)
            out[roi] = clean
        return out
    except ValueError:
        return ValueError


_COUNTS = st.one_of(
    st.integers(-(2**64), 2**64),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=4),
        st.one_of(st.dictionaries(st.text(max_size=4), _COUNTS, max_size=3), _COUNTS),
        max_size=3,
    )
)
@example({"FB": {"pre": 2**63 - 1, "post": -(2**63)}})
@example({"FB": {"pre": 2**63}})
@example({"FB": {"pre": 2.0}})
@example({"FB": {"pre": True}})
def test_roi_info_reads_as_json_loads(value: dict[str, object]) -> None:
    import json

    text = json.dumps(value)
    try:
        parsed: object = export_module._parse_roi_info(text)
    except ValueError:
        parsed = ValueError
    expected = _reference_roi_info(text)
    assert parsed == expected
    if isinstance(expected, dict):  # same key order too
        assert isinstance(parsed, dict)
        assert [(k, list(v)) for k, v in parsed.items()] == [
            (k, list(v)) for k, v in expected.items()
        ]


_CELLS = st.sampled_from(
    ["5", "-5", "0", "+5", " 5", "5 ", "1e3", "1.0", "1_000", "0x10", "0X1f", "00012", "",
     '""', '"7"', "nan", "inf", "9223372036854775807", "9223372036854775808", "-0", "x",
     "0.5", "1E-3", "CA(R)", "a b", '"a,b"', "NA"]
)  # fmt: skip


_NAMES = st.sampled_from(["CA(R)", "a b", '"a,b"', "NA", "", '""', "x", " FB ", "0x10", "é"])


def _read_both(tmp: Path, text: bytes, columns: dict[str, str]) -> tuple[object, object]:
    path = tmp / "t.csv"
    path.write_bytes(text)
    header = list(columns)
    results = []
    for arrow in (True, False):
        with mock.patch.object(
            csv_files,
            "_read_arrow",
            csv_files._read_arrow if arrow else (lambda path, columns: None),
        ):
            try:
                frame = csv_files.read_typed(path, header, columns)[header]
                results.append([frame[c].tolist() for c in header])
            except LoadError as err:
                results.append(str(err))
    return results[0], results[1]


@settings(max_examples=200, deadline=None)
@given(
    # names are never numbers here: pandas turns an all-number category column into
    # number categories ("+5" -> 5), where pyarrow keeps the text ('+5'), as names should be
    st.lists(st.tuples(_CELLS, _CELLS, _NAMES), min_size=1, max_size=4),
    st.booleans(),
    st.sampled_from(["\n", "\r\n"]),
)
@example([("0x10", "1", "CA(R)")], False, "\n")
@example([("1", "0.5", "")], False, "\n")
def test_arrow_reads_as_pandas(rows: list[tuple[str, str, str]], bom: bool, newline: str) -> None:
    """pyarrow's reader gives the table pandas gives, or the same error (file, line,
    column): ints strict, floats finite, strings categories with empty cells missing."""
    import tempfile

    columns = {"i": "int", "f": "float", "s": "str"}
    text = newline.join(["i,f,s", *(",".join(r) for r in rows)]) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    with tempfile.TemporaryDirectory() as tmp:
        arrow, pandas = _read_both(Path(tmp), data, columns)
    assert arrow == pandas
