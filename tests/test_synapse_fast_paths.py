"""The embedded engine's fast paths of fetch_synapses give the general path's answer.

On Ladybug, ``fetch_synapses`` runs the synapse statement without ``ORDER BY``, takes its
rows as Arrow and sorts and converts them there (``_engine_synapses``); every other
transport (and this path, when it declines) runs ``synapses(...)`` and sorts and casts the
pandas frames. Both must give the same frame: the same rows, order and dtypes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import neuprint_dsl
import neuprint_dsl.compat.synapses as compat_synapses
from neuprint_dsl import N, S, synapses
from neuprint_dsl.compat import Client, fetch_synapses
from neuprint_dsl.compat import SynapseCriteria as SC
from neuprint_dsl.compat.tables import cast_frame, sorted_frame
from neuprint_dsl.cypher import to_cypher
from neuprint_dsl.cypher.synapse_aggregate import SYNAPSE_ROW_COLUMNS, synapse_rows_cypher
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    directory = tmp_path_factory.mktemp("synapse-fast-paths")
    generate_sample(directory / "export", neurons=120, edges=1500, seed=5, synapses=True)
    db = load(directory / "export", directory / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    c.progress = False  # type: ignore[attr-defined]
    yield c
    c.transport.close()


@pytest.fixture(autouse=True)
def _engine_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests hold the engine's route; the synapse companion has its own tests
    (tests/test_synapse_companion.py)."""
    monkeypatch.setattr(compat_synapses, "companion_synapses", lambda *a, **k: None)


@pytest.fixture(scope="module")
def bodies(client: Client) -> list[int]:
    frame = client.transport.run(neuprint_dsl.neurons(columns=["bodyId"]))
    return [int(b) for b in frame["bodyId"].tolist()]


def general(client: Client, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """fetch_synapses through the general path (the synapse statement, sorted in pandas)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compat_synapses, "_engine_synapses", lambda *a: None)
        return fetch_synapses(*args, client=client, **kwargs)


def test_rows_statement_is_the_synapse_statement_without_order(client: Client) -> None:
    """Same MATCH, WHERE, ROI binding and RETURN as ``synapses(...)``; only ORDER BY goes."""
    schema = client.transport.schema
    for primary_only in (True, False):
        where = (S.confidence > 0.5) & S.roi("FB")
        full = to_cypher(
            synapses(N.bodyId.isin([1, 2]), where, primary_only=primary_only), "ladybug",
            schema=schema,
        )  # fmt: skip
        rows = synapse_rows_cypher(
            N.bodyId.isin([1, 2]), where, primary_only=primary_only, schema=schema
        )
        assert full.text.split("\nORDER BY")[0] == rows.text
        assert dict(full.params) == dict(rows.params)
        assert full.columns == rows.columns == SYNAPSE_ROW_COLUMNS


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    rois=st.lists(st.sampled_from(["FB", "EB", "MB(R)", "SMP(R)", "CA(R)", "LH(R)"]), max_size=3),
    type_=st.sampled_from([None, "pre", "post"]),
    confidence=st.sampled_from([0, 0.5, 0.9, 0.99]),
    primary_only=st.booleans(),
)
@example(data=None, rois=[], type_=None, confidence=0, primary_only=False)
@example(data=None, rois=["MB(R)"], type_="post", confidence=0.9, primary_only=False)
def test_arrow_path_is_the_general_path(
    client: Client,
    bodies: list[int],
    data: Any,
    rois: list[str],
    type_: Any,
    confidence: float,
    primary_only: bool,
) -> None:
    """Any criteria, any bodies: the Arrow path's frame equals the general path's exactly
    (synapses outside every primary ROI included: their ``roi`` is None, sorted last)."""
    if data is None:
        chosen = bodies
    else:
        chosen = data.draw(st.lists(st.sampled_from(bodies), min_size=1, max_size=40))
    if primary_only:  # a non-primary ROI needs primary_only=False
        rois = [r for r in rois if r != "MB(R)"]
    sc = SC(rois=rois, type=type_, confidence=confidence, primary_only=primary_only, client=client)
    fast = fetch_synapses(chosen, sc, client=client)
    slow = general(client, chosen, sc)
    pd.testing.assert_frame_equal(fast, slow)


def test_arrow_path_on_every_body_includes_synapses_in_no_roi(
    client: Client, bodies: list[int]
) -> None:
    fast = fetch_synapses(bodies, SC(confidence=0, client=client), client=client)
    assert fast["roi"].isna().any() and fast["roi"].notna().any()
    assert (
        fast["roi"].dtype == object
        and fast["roi"][fast["roi"].isna()].map(type).eq(type(None)).all()
    )
    pd.testing.assert_frame_equal(fast, general(client, bodies, SC(confidence=0, client=client)))


def test_arrow_path_empty(client: Client) -> None:
    got = fetch_synapses([1, 2, 3], client=client)  # no such bodies
    pd.testing.assert_frame_equal(got, general(client, [1, 2, 3]))
    assert got.empty and list(got.columns) == list(compat_synapses.SYNAPSE_DTYPES)


def test_table_frame_sorts_missing_values_last_and_keeps_dtypes() -> None:
    table = pa.table(
        {
            "bodyId": [5, 5, 5, 5, 1],
            "type": ["pre", None, "post", "pre", "odd"],
            "roi": [None, "b", "a", "a", "z"],
            "x": [1, 1, 1, 1, 9],
            "y": [0, 0, 0, 0, 0],
            "z": [0, 0, 0, 0, 0],
            "confidence": [0.5, None, 0.25, 0.75, 1.0],
        }
    )
    got = compat_synapses._synapse_table_frame(table)
    assert got is not None
    want = cast_frame(
        sorted_frame([table.to_pandas()], compat_synapses.SYNAPSE_ORDER),
        compat_synapses.SYNAPSE_DTYPES,
    )
    pd.testing.assert_frame_equal(got, want)
    assert got["roi"].tolist() == ["z", "a", "a", None, "b"]
    assert got["type"].isna().tolist() == [True, False, False, False, True]


def test_table_frame_declines_missing_coordinates() -> None:
    """A null body id or coordinate is left to the general path (which decides its dtype)."""
    columns = {c: [1, 2] for c in ("bodyId", "x", "y", "z")}
    strings = {"type": ["pre", "post"], "roi": ["a", "b"], "confidence": [0.5, 0.5]}
    assert compat_synapses._synapse_table_frame(pa.table({**columns, **strings})) is not None
    for column in ("bodyId", "x", "y", "z"):
        holed = {**columns, column: [1, None]}
        table = pa.table({**holed, **strings})
        assert compat_synapses._synapse_table_frame(table) is None


def test_object_strings_share_one_object_per_name() -> None:
    values = pa.chunked_array([["a", None], ["a", "b"]])
    got = compat_synapses._object_strings(values)
    assert got.tolist() == ["a", None, "a", "b"]
    assert got[0] is got[2]
    assert got.dtype == np.dtype(object)


def test_a_ladybug_transport_without_arrow_uses_the_general_path(
    client: Client, bodies: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transport that speaks the ladybug dialect but has no ``execute_arrow`` (a wrapper,
    a recording) still answers, through the synapse statement."""
    want = fetch_synapses(bodies[:20], client=client)
    monkeypatch.delattr(type(client.transport), "execute_arrow")
    monkeypatch.setattr(compat_synapses, "_engine_synapses", lambda *a: pytest.fail("used"))
    pd.testing.assert_frame_equal(fetch_synapses(bodies[:20], client=client), want)
