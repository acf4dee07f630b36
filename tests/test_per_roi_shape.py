"""Per-ROI connection rows from ``ConnectsToRoi`` alone (issue 15).

On Ladybug a per-ROI statement whose connection condition reads only per-ROI weights matches
the ``ConnectsToRoi`` rows alone (one match) instead of ``ConnectsTo`` then ``ConnectsToRoi``.
These tests check that the shape is chosen exactly where it is meant to be, and that it gives
the reference interpreter's rows (``interpret.connection_rows``), in the same order as the
two-match shape, on random data and on the generated sample (whose super-level ROI rows the
loader derives).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import E, N, QueryTypeError, connections, neurons
from neuprint_dsl.cypher import to_cypher
from neuprint_dsl.cypher.dialects import Ladybug
from neuprint_dsl.cypher.layout import reads_only_roi_weights
from neuprint_dsl.expr import TRUE, Entity, Predicate
from neuprint_dsl.interpret import connection_rows
from neuprint_dsl.query import Connections
from neuprint_dsl.transports import Embedded

from .strategies import EDGE_SCHEMA, ROIS, predicates
from .test_engine import EXAMPLES, _database, _predicate_values, _storable, datasets


@st.composite
def roi_weight_conditions(draw: st.DrawFn, depth: int = 2) -> Predicate:
    """Connection conditions that read per-ROI weights only (and, or, not, constants)."""
    roi = draw(st.sampled_from(ROIS))
    value = draw(st.integers(0, 3))
    leaf = draw(
        st.sampled_from(
            [
                E.roi_weight(roi) > value,
                E.roi_weight(roi) >= value,
                E.roi_weight(roi) == value,
                E.roi_weight(roi) < value,
                E.roi_weight(roi) != value,
                E.roi_weight(roi).isin([value, value + 1]),
                TRUE,
            ]
        )
    )
    if depth == 0 or draw(st.booleans()):
        return leaf
    other = draw(roi_weight_conditions(depth - 1))
    combine = draw(st.sampled_from(["and", "or", "not"]))
    if combine == "and":
        return leaf & other
    if combine == "or":
        return leaf | other
    return ~other


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _one_match(statement: Connections) -> bool:
    text = to_cypher(statement, "ladybug").text
    return "ConnectsToRoi]" in text.splitlines()[0]


@settings(max_examples=max(EXAMPLES, 40))
@given(
    datasets(),
    st.just(TRUE) | predicates(max_leaves=2),  # often TRUE, so that rows come out
    st.just(TRUE) | predicates(max_leaves=2),
    st.one_of(
        st.just(TRUE),
        roi_weight_conditions(),
        roi_weight_conditions(),
        predicates(schema=EDGE_SCHEMA, entity=Entity.EDGE, max_leaves=3),
    ),
    st.none() | st.none() | st.lists(st.sampled_from(ROIS), min_size=1, max_size=3, unique=True),
    st.sampled_from([(), ("type",)]),
    st.booleans(),
)
@example(  # the two-match shape kept: a downstream-only question, a condition on E.weight
    ([{"bodyId": 1000}, {"bodyId": 1001}], []), TRUE, N.bodyId == 1001, TRUE, None, (), False
)
def test_per_roi_rows_match_the_interpreter(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    up: Predicate,
    down: Predicate,
    edge: Predicate,
    rois: list[str] | None,
    group_by: tuple[str, ...],
    downstream_only: bool,
) -> None:
    bodies, edges = data
    if downstream_only:
        up = TRUE
    values = [v for p in (up, down, edge) for v in _predicate_values(p)]
    if not all(_storable(v) for v in values):
        return
    statement = connections(up, down, where=edge, rois=rois, per_roi=True, group_by=group_by)
    expected = connection_rows(statement, bodies, edges)
    with tempfile.TemporaryDirectory() as tmp, _database(bodies, edges, tmp) as db:
        try:
            got = db.run(statement)
        except QueryTypeError:  # an ill-typed leaf: refused before running (issue 10)
            return
    assert _rows(got) == expected


def test_the_shape_is_chosen_where_it_gives_the_same_rows() -> None:
    ids = N.bodyId.isin([1, 2])
    assert _one_match(connections(ids, per_roi=True))
    assert _one_match(connections(per_roi=True))  # every row: one scan of ConnectsToRoi
    assert _one_match(connections(ids, per_roi=True, rois=["FB"]))
    assert _one_match(connections(ids, where=E.roi_weight("FB") > 2, per_roi=True))
    assert _one_match(connections(ids, N.type == "KC", per_roi=True, group_by="type"))
    # the connection's own weight needs the connection
    assert not _one_match(connections(ids, where=E.weight > 2, per_roi=True))
    assert not _one_match(
        connections(ids, where=(E.weight > 2) | (E.roi_weight("FB") > 1), per_roi=True)
    )
    # forward-only ConnectsToRoi: a downstream-only question starts from ConnectsTo
    assert not _one_match(connections(None, ids, per_roi=True))
    # not per ROI, or Neo4j: the connection as before
    assert not _one_match(connections(ids))
    assert "ConnectsToRoi" not in to_cypher(connections(ids, per_roi=True), "neo4j").text


def test_reads_only_roi_weights() -> None:
    assert reads_only_roi_weights(TRUE)
    assert reads_only_roi_weights(~(E.roi_weight("FB") > 1) & (E.roi_weight("EB") == 0))
    assert not reads_only_roi_weights(E.weightHP.is_null())
    assert not reads_only_roi_weights(E.weight.isin([1, 2]))


class _TwoMatches(Ladybug):
    """Ladybug with the per-ROI rows always reached through the connection."""

    def roi_rows_alone(self, *args: Any, **kwargs: Any) -> tuple[str, str, str] | None:
        return None


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    from neuprint_dsl.embedded import load
    from neuprint_dsl.embedded.sample import generate_sample

    tmp = tmp_path_factory.mktemp("per-roi-shape")
    generate_sample(tmp / "export", neurons=400, edges=6_000, seed=5)
    with Embedded(load(tmp / "export", tmp / "graph.lbug")) as db:
        yield db


@pytest.mark.parametrize(
    "make",
    [
        lambda ids: connections(N.bodyId.isin(ids), per_roi=True),
        lambda ids: connections(N.bodyId.isin(ids), per_roi=True, rois=["MB(R)", "FB", "CA(R)"]),
        lambda ids: connections(N.bodyId.isin(ids), where=E.roi_weight("MB(R)") >= 2, per_roi=True),
        lambda ids: connections(
            N.bodyId.isin(ids), where=~(E.roi_weight("FB") > 0), per_roi=True, limit=50
        ),
        lambda ids: connections(N.bodyId.isin(ids), per_roi=True, group_by="type"),
        lambda ids: connections(per_roi=True, order_by="roi"),
    ],
)
def test_one_match_equals_two_matches_on_the_sample(sample_db: Embedded, make: Any) -> None:
    """The same frame, row order included, from both shapes (super-level rows derived)."""
    ids = sample_db.run(neurons(columns=["bodyId"]))["bodyId"].tolist()[::3]
    statement = make(ids)
    assert _one_match(statement)
    one = sample_db.execute(to_cypher(statement, "ladybug", schema=sample_db.schema)).to_frame()
    compiled = to_cypher(statement, _TwoMatches(), schema=sample_db.schema)
    assert "ConnectsTo]" in compiled.text
    assert len(one) > 0
    two = sample_db.execute(compiled).to_frame()
    pd.testing.assert_frame_equal(one, two)


# ---------------------------------------------------------------------------------------
# per-ROI rows sorted by the transport (on the Arrow result) instead of an engine ORDER BY


@pytest.mark.parametrize(
    "make",
    [
        lambda ids: connections(N.bodyId.isin(ids), per_roi=True),
        lambda ids: connections(N.bodyId.isin(ids), per_roi=True, order_by="roi"),
        lambda ids: connections(
            N.bodyId.isin(ids), per_roi=True, order_by=[("weight", "desc"), "roi"]
        ),
        lambda ids: connections(None, N.bodyId.isin(ids), per_roi=True),  # two matches
        lambda ids: connections(N.bodyId.isin(ids), where=E.weight > 3, per_roi=True),
    ],
)
def test_run_sorts_per_roi_rows_as_the_engine_does(sample_db: Embedded, make: Any) -> None:
    from neuprint_dsl.execute import _sort_in_transport

    ids = sample_db.run(neurons(columns=["bodyId"]))["bodyId"].tolist()[1::4]
    statement = make(ids)
    compiled = to_cypher(statement, "ladybug", schema=sample_db.schema)
    stripped = _sort_in_transport(statement, compiled, sample_db)
    assert stripped is not None and "ORDER BY" not in stripped[0].text
    by_engine = sample_db.execute(compiled).to_frame()
    got = sample_db.run(statement)
    assert len(got) > 100
    assert list(got.itertuples(index=False, name=None)) == list(
        by_engine.itertuples(index=False, name=None)
    )


def test_the_engine_sorts_when_the_transport_cannot(sample_db: Embedded) -> None:
    from neuprint_dsl.execute import _sort_in_transport

    for statement in (
        connections(N.type == "KC", per_roi=True, limit=10),  # the engine must sort to cut
        connections(per_roi=True, group_by="type"),  # group keys may be null
        connections(N.type == "KC"),  # not per ROI
    ):
        compiled = to_cypher(statement, "ladybug", schema=sample_db.schema)
        assert _sort_in_transport(statement, compiled, sample_db) is None
    statement = connections(N.type == "KC", per_roi=True)
    assert _sort_in_transport(statement, to_cypher(statement, "neo4j"), sample_db) is None


@given(st.lists(st.text(min_size=1, max_size=4).filter(lambda s: "\x00" not in s), min_size=2))
@example(["Ä(R)", "a(R)", "AL(R)", "aL(R)", "é", "z", "\U0001f600", "\uffff", "b'L(R)"])
def test_arrow_sort_orders_strings_as_ladybug(names: list[str]) -> None:
    """The transport's sort and Ladybug's ORDER BY put ROI names in the same order."""
    import ladybug

    from neuprint_dsl.transports.ladybug import exact_frame

    names = [n for n in names if _storable(n)]
    conn = ladybug.Connection(ladybug.Database(":memory:"))
    query = "UNWIND $names AS roi RETURN roi, size(roi) AS weight"
    by_engine = exact_frame(conn.execute(query + " ORDER BY roi, weight DESC", {"names": names}))
    here = exact_frame(conn.execute(query, {"names": names}), [("roi", False), ("weight", True)])
    assert by_engine["roi"].tolist() == here["roi"].tolist() == sorted(names)
