"""Synapse-level statements on the embedded engine agree with the reference interpreter
and with independent pandas computations on the generated CSV files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ladybug
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import (
    CapabilityError,
    Embedded,
    Entity,
    M,
    N,
    S,
    UnknownROI,
    evaluate,
    mitochondria,
    neurons,
    parse,
    synapse_connections,
    synapses,
)
from neuprint_dsl.compat.tables import is_sorted as _is_sorted
from neuprint_dsl.cypher.synapse_aggregate import mean_synapses_cypher
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.rois import ancestors
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import QueryTypeError
from neuprint_dsl.expr import Predicate
from neuprint_dsl.transports.ladybug import exact_frame

from .strategies import predicates
from .test_engine import _predicate_values, _storable


def _sendable(pred: Predicate) -> bool:
    """Ladybug takes UTF-8 parameters: no lone surrogates (tested in test_engine.py)."""
    return all(_storable(v) for v in _predicate_values(pred))


SYNAPSE_SCHEMA = {"type": "str", "confidence": "float", "x": "int", "y": "int", "z": "int"}
MITO_SCHEMA = {"mitoType": "str", "size": "int", "r0": "float", "r2": "float", "x": "int"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Embedded, Path]]:
    directory = tmp_path_factory.mktemp("synapse-sample")
    generate_sample(directory, neurons=160, edges=1600, seed=11)
    with Embedded(load(directory, directory / "graph.lbug")) as db:
        yield db, directory


def _rois(primary: Any) -> list[str]:
    if not isinstance(primary, str):
        return []
    return sorted([primary, *ancestors(primary)])


@pytest.fixture(scope="module")
def tables(sample: tuple[Embedded, Path]) -> dict[str, pd.DataFrame]:
    _, directory = sample
    syn = pd.read_csv(directory / "synapses.csv", keep_default_na=False, na_values=[""])
    syn["rois"] = [_rois(r) for r in syn["roi"]]
    mito = pd.read_csv(directory / "mitochondria.csv", keep_default_na=False, na_values=[""])
    mito["rois"] = [_rois(r) for r in mito["roi"]]
    neurons = pd.read_csv(directory / "neurons.csv")
    return {
        "synapses": syn,
        "pairs": pd.read_csv(directory / "synapse-connections.csv"),
        "mitochondria": mito,
        "closest": pd.read_csv(directory / "closest-mitochondria.csv"),
        "neurons": neurons,
        "total": pd.read_csv(directory / "total-connections.csv"),
    }


def _record(row: Any, fields: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {name: getattr(row, name) for name in fields}
    for name, value in list(record.items()):
        if hasattr(value, "item"):
            record[name] = value.item()
    for roi in row.rois:
        record[roi] = True
    return record


def _expected_synapses(
    tables: dict[str, pd.DataFrame], bodies: set[int], where: Predicate
) -> list[tuple[Any, ...]]:
    syn = tables["synapses"]
    rows = []
    for row in syn[syn["bodyId"].isin(bodies)].itertuples(index=False):
        if evaluate(where, _record(row, SYNAPSE_SCHEMA)):
            roi = row.roi if isinstance(row.roi, str) else None
            rows.append((row.bodyId, row.type, roi, row.x, row.y, row.z, row.confidence))
    return sorted(rows, key=_sort_key)


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple("" if v is None else v for v in row)


def _got(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    out = []
    for row in frame[columns].itertuples(index=False):
        out.append(tuple(None if (v is None or v != v) else v for v in row))
    return sorted(out, key=_sort_key)


# ---------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(
    where=predicates(SYNAPSE_SCHEMA, ("EB", "FB", "CA(R)", "MB(R)", "CX"), Entity.SYNAPSE).filter(
        _sendable
    )
)
def test_synapse_predicates_match_the_interpreter(
    sample: tuple[Embedded, Path], tables: dict[str, pd.DataFrame], where: Predicate
) -> None:
    db, _ = sample
    bodies = set(tables["neurons"]["bodyId"].tolist()[:25])
    try:
        frame = db.run(synapses(N.bodyId.isin(sorted(bodies)), where))
    except QueryTypeError:  # an ill-typed leaf (S.confidence = ""): refused before running
        return
    columns = ["bodyId", "type", "roi", "x", "y", "z", "confidence"]
    assert _got(frame, columns) == _expected_synapses(tables, bodies, where)


@settings(max_examples=25)
@given(
    where=predicates(MITO_SCHEMA, ("EB", "FB", "CA(R)", "MB(R)", "CX"), Entity.MITO).filter(
        _sendable
    )
)
def test_mito_predicates_match_the_interpreter(
    sample: tuple[Embedded, Path], tables: dict[str, pd.DataFrame], where: Predicate
) -> None:
    db, _ = sample
    bodies = set(tables["neurons"]["bodyId"].tolist()[:40])
    try:
        frame = db.run(mitochondria(N.bodyId.isin(sorted(bodies)), where))
    except QueryTypeError:  # an ill-typed leaf (M.mitoType = -1): refused before running
        return
    mito = tables["mitochondria"]
    expected = [
        (row.bodyId, row.mitoType, row.roi if isinstance(row.roi, str) else None, row.size)
        for row in mito[mito["bodyId"].isin(bodies)].itertuples(index=False)
        if evaluate(where, _record(row, MITO_SCHEMA))
    ]
    assert _got(frame, ["bodyId", "mitoType", "roi", "size"]) == sorted(expected, key=_sort_key)


def test_all_rois_lists_a_synapse_once_per_roi(
    sample: tuple[Embedded, Path], tables: dict[str, pd.DataFrame]
) -> None:
    db, _ = sample
    body = int(tables["neurons"].sort_values("post")["bodyId"].iloc[-1])
    frame = db.run(synapses(N.bodyId == body, S.type == "post", primary_only=False))
    syn = tables["synapses"]
    mine = syn[(syn["bodyId"] == body) & (syn["type"] == "post")]
    expected = sorted(
        [(r.x, r.y, r.z, roi) for r in mine.itertuples() for roi in (r.rois or [None])],
        key=_sort_key,
    )
    assert _got(frame, ["x", "y", "z", "roi"]) == expected
    assert [str(t) for t in frame[["bodyId", "x", "confidence"]].dtypes] == [
        "int64",
        "int64",
        "float64",
    ]


def test_synapse_connections_match_the_pair_table(
    sample: tuple[Embedded, Path], tables: dict[str, pd.DataFrame]
) -> None:
    db, _ = sample
    total = tables["total"]
    strong = total[total["weight"] >= 3]
    sources = sorted(set(strong["bodyId_pre"].tolist()[:10]))
    frame = db.run(
        synapse_connections(N.bodyId.isin(sources), where=S.confidence > 0.6, min_total_weight=3)
    )
    syn = tables["synapses"].set_index("id")
    pairs = (
        tables["pairs"]
        .join(syn.add_suffix("_pre"), on="pre_id")
        .join(syn.add_suffix("_post"), on="post_id")
    )
    weights = total.set_index(["bodyId_pre", "bodyId_post"])["weight"]
    keep = (
        pairs["bodyId_pre"].isin(sources)
        & (pairs["confidence_pre"] > 0.6)
        & (pairs["confidence_post"] > 0.6)
    )
    pairs = pairs[keep]
    heavy = [
        weights.get((a, b), 0) >= 3
        for a, b in zip(pairs["bodyId_pre"], pairs["bodyId_post"], strict=True)
    ]
    pairs = pairs[heavy]
    columns = ["bodyId_pre", "bodyId_post", "x_pre", "y_pre", "z_pre", "x_post", "y_post"]
    expected = sorted(
        [tuple(r) for r in pairs[columns].itertuples(index=False, name=None)], key=_sort_key
    )
    assert _got(frame, columns) == expected
    assert len(frame) > 0


def test_synapse_pair_counts_are_the_connection_weights(
    sample: tuple[Embedded, Path], tables: dict[str, pd.DataFrame]
) -> None:
    db, _ = sample
    frame = db.run(synapse_connections(where=S.confidence > 0.0, label="Segment"))
    counts = frame.groupby(["bodyId_pre", "bodyId_post"]).size()
    total = tables["total"].set_index(["bodyId_pre", "bodyId_post"])["weight"]
    assert counts.sort_index().to_dict() == total.sort_index().to_dict()


def test_post_side_rois_agree_with_per_roi_weights(sample: tuple[Embedded, Path]) -> None:
    db, _ = sample
    per_roi = db.run(parse('connections in rois ["EB", "FB"] per roi'))
    frame = db.run(synapse_connections(rois=["EB", "FB"]))
    by_pair = frame.groupby(["bodyId_pre", "bodyId_post", "roi_post"]).size()
    expected = per_roi.set_index(["bodyId_pre", "bodyId_post", "roi"])["weight"]
    assert by_pair.sort_index().to_dict() == expected.sort_index().to_dict()


def test_closest_mitochondria_join_the_closest_table(
    sample: tuple[Embedded, Path], tables: dict[str, pd.DataFrame]
) -> None:
    db, _ = sample
    bodies = sorted(tables["neurons"]["bodyId"].tolist()[:20])
    frame = db.run(synapses(N.bodyId.isin(bodies), S.type == "pre", closest_mitochondria=True))
    syn = tables["synapses"]
    closest = tables["closest"].merge(
        tables["mitochondria"].add_prefix("m_"), left_on="mito_id", right_on="m_id"
    )
    joined = syn.merge(closest, left_on="id", right_on="synapse_id")
    joined = joined[joined["bodyId"].isin(bodies) & (joined["type"] == "pre")]
    assert (joined["bodyId"] == joined["m_bodyId"]).all()  # same body, always
    expected = sorted(
        zip(joined["x"], joined["y"], joined["m_x"], joined["m_size"], strict=True),
        key=_sort_key,
    )
    assert _got(frame, ["x", "y", "mx", "size"]) == [tuple(map(int, e)) for e in expected]
    assert len(frame) < len(syn[syn["bodyId"].isin(bodies) & (syn["type"] == "pre")])


def test_text_queries_run_on_the_engine(sample: tuple[Embedded, Path]) -> None:
    db, _ = sample
    frame = db.run('synapses where type = "pre" and confidence > 0.9 and roi("MB(R)")')
    assert len(frame) > 0
    assert (frame["confidence"] > 0.9).all()
    assert list(frame.columns) == ["bodyId", "type", "roi", "x", "y", "z", "confidence"]
    mitos = db.run(mitochondria(where=M.size >= 0))
    assert list(mitos.columns) == [
        "bodyId",
        "mitoType",
        "roi",
        "x",
        "y",
        "z",
        "size",
        "r0",
        "r1",
        "r2",
    ]


def test_a_database_without_synapses_refuses_synapse_queries(tmp_path: Path) -> None:
    generate_sample(tmp_path, neurons=40, edges=100, seed=2, synapses=False)
    with (
        Embedded(load(tmp_path, tmp_path / "graph.lbug")) as db,
        pytest.raises(CapabilityError, match="holds no synapses"),
    ):
        db.run(synapses(N.type == "APL"))


@pytest.mark.parametrize("stmt_text", ["synapses all rois", "synapse connections all rois"])
def test_every_statement_form_runs(sample: tuple[Embedded, Path], stmt_text: str) -> None:
    db, _ = sample
    assert len(db.run(stmt_text)) > 0


# ---------------------------------------------------------------------------------------
# fetch_mean_synapses's aggregation inside the engine, and Arrow conversion


def _pandas_means(rows: pd.DataFrame, by_roi: bool) -> pd.DataFrame:
    """The aggregation as fetch_mean_synapses's pandas path computes it (null ROIs kept)."""
    keys = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]
    grouped = rows.groupby(keys, dropna=False, sort=True).agg(
        count=("x", "size"),
        x=("x", "mean"),
        y=("y", "mean"),
        z=("z", "mean"),
        confidence=("confidence", "mean"),
    )
    return grouped.reset_index()


def _assert_same_means(got: pd.DataFrame, want: pd.DataFrame, by_roi: bool) -> None:
    keys = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]
    got = got.fillna({"roi": ""}) if by_roi else got
    want = want.fillna({"roi": ""}) if by_roi else want
    got = got.sort_values(keys, ignore_index=True)
    want = want.sort_values(keys, ignore_index=True)
    assert list(got.columns) == list(want.columns)
    for key in keys:
        assert got[key].astype(object).tolist() == want[key].astype(object).tolist()
    assert got["count"].astype("int64").tolist() == want["count"].astype("int64").tolist()
    for column in ("x", "y", "z", "confidence"):
        np.testing.assert_allclose(
            got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float), rtol=1e-9
        )


@pytest.mark.parametrize("label", ["Neuron", "Segment"])
@pytest.mark.parametrize("by_roi", [True, False])
@pytest.mark.parametrize("primary_only", [True, False])
@pytest.mark.parametrize(
    "where",
    [
        S.confidence > 0.5,
        (S.type == "pre") & (S.roi("CX") | S.roi("MB(R)")),
        ~S.roi("CX") & (S.z > 20000),
    ],
    ids=["confidence", "pre-in-rois", "not-cx"],
)
def test_mean_synapses_in_the_engine_match_pandas(
    sample: tuple[Embedded, Path], where: Predicate, primary_only: bool, by_roi: bool, label: str
) -> None:
    db, _ = sample
    bodies = N.bodyId.isin(db.run(neurons(columns=["bodyId"]))["bodyId"].tolist()[::3])
    stmt = mean_synapses_cypher(
        bodies,
        where,
        primary_only=primary_only,
        by_roi=by_roi,
        label=label,  # type: ignore[arg-type]
        dialect="ladybug",
        schema=db.schema,
    )
    got = db.execute(stmt).to_frame()
    rows = db.run(
        synapses(bodies, where, primary_only=primary_only if by_roi else True, label=label)  # type: ignore[arg-type]
    )
    want = _pandas_means(rows, by_roi)
    assert len(want) > 10
    if not by_roi:
        assert got["count"].sum() == len(rows)  # each synapse once
    _assert_same_means(got, want, by_roi)


def test_mean_synapses_cypher_validates_and_compiles_for_neo4j(
    sample: tuple[Embedded, Path],
) -> None:
    db, _ = sample
    with pytest.raises(UnknownROI):
        mean_synapses_cypher(N.type == "APL", S.roi("no such roi"), schema=db.schema)
    text = mean_synapses_cypher(N.type == "APL", S.confidence > 0.5, dialect="neo4j").text
    assert "avg(s.location.x) AS x" in text and "count(*) AS count" in text


_FRAME_QUERIES = [
    "UNWIND [9007199254740993, NULL, -5] AS x RETURN x, CAST(x % 1000 AS INT32) AS i32",
    "UNWIND [1, NULL] AS x RETURN CAST(x AS UINT64) AS u, CAST(x AS INT8) AS i8",
    "UNWIND [1, 2, NULL] AS x RETURN x = 1 AS b, CAST(x AS DOUBLE) AS d, "
    "CASE WHEN x = 1 THEN 'p' ELSE NULL END AS s",
    "UNWIND [1, 2, NULL] AS x RETURN ['a', CAST(x AS STRING)] AS l, [9007199254740993, x] AS il",
    "UNWIND [1, 2] AS x RETURN x = 1 AS b, CAST(x AS FLOAT) AS f, 'é' AS s, [x = 1] AS bl",
    "UNWIND [1, 2] AS x WITH x WHERE x > 5 RETURN x, 's' AS s, [x] AS l",
    "UNWIND [1, 2] AS x RETURN {a: x} AS st",  # not Arrow: read with get_as_df
    "UNWIND [1, NULL] AS x RETURN CASE WHEN x = 1 THEN [1] ELSE NULL END AS l, "
    "CAST(NULL AS STRING) AS s, CAST(NULL AS STRING[]) AS sl, CAST(NULL AS BOOL) AS b",
]


@pytest.mark.parametrize("query", _FRAME_QUERIES)
def test_exact_frame_through_arrow_is_get_as_df_with_exact_ints(query: str) -> None:
    conn = ladybug.Connection(ladybug.Database(":memory:"))
    got = exact_frame(conn.execute(query))
    result: Any = conn.execute(query)
    expected = result.get_as_df()  # the engine's own frame, integers read again exactly
    result.reset_iterator()
    python = result.get_all()
    for i, kind in enumerate(result.get_column_data_types()):
        if kind.startswith(("INT", "UINT")) and not kind.endswith("]"):
            dtype = "UInt64" if kind == "UINT64" else "Int64"
            if expected.iloc[:, i].dtype.kind == "f":
                values: Any = [r[i] for r in python]
                expected.isetitem(i, pd.array(values, dtype=dtype))
    pd.testing.assert_frame_equal(got, expected)
    assert got.map(repr).values.tolist() == expected.map(repr).values.tolist()


def test_exact_frame_keeps_big_ids_exact() -> None:
    conn = ladybug.Connection(ladybug.Database(":memory:"))
    frame = exact_frame(
        conn.execute("UNWIND [9007199254740993, NULL] AS x RETURN x, [x] AS l, x IS NULL AS b")
    )
    assert frame["x"].tolist()[0] == 9007199254740993
    assert frame["x"].isna().tolist() == [False, True]
    assert frame["l"].tolist() == [[9007199254740993], [None]]
    assert frame["b"].tolist() == [False, True]


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.one_of(st.none(), st.sampled_from(["a", "b", "é"])),
            st.one_of(st.none(), st.sampled_from([0.5, 1.5, float("nan")])),
        ),
        max_size=12,
    )
)
@example(rows=[(0, None, None), (0, "a", None)])
@example(rows=[(1, "a", 0.5), (0, "b", 0.5)])
def test_is_sorted_agrees_with_a_stable_sort(rows: list[tuple[Any, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=["a", "s", "f"]).astype({"a": "int64", "f": "float64"})
    keys = ["a", "s", "f"]
    moved = frame.sort_values(keys, kind="stable", na_position="last").index
    assert _is_sorted(frame, keys) == (list(moved) == list(range(len(frame))))


def test_many_synapse_rows_come_back_in_the_promised_order() -> None:
    """Ladybug misorders a large result (~300k rows) whose last ORDER BY key, ``roi``, holds
    nulls (34999 before 34513 on equal earlier keys); the compiler writes every nullable
    default key null-free on Ladybug, so the rows follow bodyId, type, x, y, z, roi."""
    from itertools import pairwise

    import neuprint_dsl
    from neuprint_dsl.query import synapses as synapse_rows

    db = neuprint_dsl.embedded()  # the default sample: 296,042 synapses for these bodies
    ids = db.fetch_custom("MATCH (n:Neuron) RETURN n.bodyId AS b ORDER BY b LIMIT 1000")["b"]
    frame = db.run(synapse_rows(N.bodyId.isin(ids.tolist())))
    assert len(frame) > 200_000
    keys = ["bodyId", "type", "x", "y", "z", "roi"]

    def key(row: list[object]) -> tuple[tuple[int, object], ...]:
        return tuple(
            (1, "")
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            else (0, str(v))
            if k in ("type", "roi")
            else (0, v)
            for k, v in zip(keys, row, strict=True)
        )

    ordered = [key(r) for r in frame[keys].astype(object).values.tolist()]
    assert all(a <= b for a, b in pairwise(ordered))
