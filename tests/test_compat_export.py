"""``fetch_adjacencies(..., export_dir=...)`` writes the files neuprint-python writes.

neuprint-python (``neuprint/queries/connectivity.py``) writes ``total-connections.csv`` from
the connections its query fetched, before any per-ROI filtering: every ``ConnectsTo`` edge
between the two sides with its true ``weight``. With ``rois`` the query keeps edges of weight
``>= max(min_total_weight, min_roi_weight, 1)`` and a side that names no ROI of its own is
restricted to bodies touching one of ``rois``; without ``rois`` it keeps every edge of weight
``>= 1``. The expected files here are computed with pandas from the sample's CSV files only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import neuprint_dsl
from neuprint_dsl.compat.client import Client
from neuprint_dsl.compat.connectivity import fetch_adjacencies
from neuprint_dsl.compat.criteria import NeuronCriteria as NC
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

TOTAL_COLUMNS = ["bodyId_pre", "bodyId_post", "weight"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("compat-export") / "sample"
    generate_sample(directory, neurons=300, edges=4000, seed=5, synapses=False)
    return directory


@pytest.fixture(scope="module")
def client(sample: Path) -> Iterator[Client]:
    c = Client(transport=neuprint_dsl.embedded(load(sample, sample.parent / "graph.lbug")))
    yield c
    c.transport.close()


@pytest.fixture(scope="module")
def tables(sample: Path) -> dict[str, Any]:
    neurons = pd.read_csv(sample / "neurons.csv")
    touches = {
        int(b): set(json.loads(info)) if isinstance(info, str) else set()
        for b, info in zip(neurons["bodyId"], neurons["roiInfo"], strict=True)
    }
    return {
        "neurons": neurons,
        "total": pd.read_csv(sample / "total-connections.csv"),
        "roi": pd.read_csv(sample / "roi-connections.csv", keep_default_na=False),
        "touches": touches,
    }


def _rows(frame: pd.DataFrame) -> list[tuple[int, int, int]]:
    return sorted((int(a), int(b), int(w)) for a, b, w in frame[TOTAL_COLUMNS].to_numpy())


def _expected_totals(
    tables: dict[str, Any],
    sources: set[int],
    targets: set[int],
    rois: list[str] | None,
    threshold: int,
    prefilter: tuple[bool, bool] = (True, True),
) -> list[tuple[int, int, int]]:
    """The edges neuprint-python's query fetches, with their true weights."""
    touches: dict[int, set[str]] = tables["touches"]
    if rois:
        hit = {b for b, names in touches.items() if names & set(rois)}
        sources = sources & hit if prefilter[0] else sources
        targets = targets & hit if prefilter[1] else targets
    total = tables["total"]
    keep = (
        total["bodyId_pre"].isin(sources)
        & total["bodyId_post"].isin(targets)
        & (total["weight"] >= threshold)
    )
    return _rows(total[keep])


def _bodies(tables: dict[str, Any], column: str | None = None, value: Any = None) -> set[int]:
    neurons = tables["neurons"]
    chosen = neurons if column is None else neurons[neurons[column] == value]
    return {int(b) for b in chosen["bodyId"]}


def _written(directory: Path) -> list[tuple[int, int, int]]:
    frame = pd.read_csv(directory / "total-connections.csv")
    # weight_props="all" (neuprint-python 0.6.4's default) adds weightHP (0 when not stored)
    assert list(frame.columns) == [*TOTAL_COLUMNS, "weightHP"]
    assert frame[TOTAL_COLUMNS].dtypes.tolist() == ["int64"] * 3
    return _rows(frame)


ROIS = ["SMP(R)", "SLP(R)", "CA(R)"]


@pytest.mark.parametrize(("min_roi_weight", "min_total_weight"), [(1, 1), (3, 5), (6, 2), (0, 0)])
def test_totals_with_rois_are_the_true_weights(
    client: Client,
    tables: dict[str, Any],
    tmp_path: Path,
    min_roi_weight: int,
    min_total_weight: int,
) -> None:
    _, roi_conn = fetch_adjacencies(
        NC(status="Traced"),
        None,
        rois=ROIS,
        min_roi_weight=min_roi_weight,
        min_total_weight=min_total_weight,
        export_dir=tmp_path,
        client=client,
        progress=False,
    )
    threshold = max(min_total_weight, min_roi_weight, 1)
    expected = _expected_totals(
        tables, _bodies(tables, "status", "Traced"), _bodies(tables), ROIS, threshold
    )
    assert expected
    assert _written(tmp_path) == expected
    # the old answer (sums of the ROI-filtered rows) differs: the test can fail
    summed = roi_conn.groupby(["bodyId_pre", "bodyId_post"])["weight"].sum().reset_index()
    assert _rows(summed) != expected
    # the other two files are what the call returned
    written = pd.read_csv(tmp_path / "roi-connections.csv", keep_default_na=False)
    assert _rows(written) == _rows(roi_conn)


def test_totals_without_rois_list_every_fetched_connection(
    client: Client, tables: dict[str, Any], tmp_path: Path
) -> None:
    # without rois neuprint-python's query keeps every edge (weight >= 1) and filters by
    # min_total_weight only afterwards, on the per-ROI rows
    _, roi_conn = fetch_adjacencies(
        NC(status="Traced"),
        NC(status="Traced"),
        min_total_weight=4,
        export_dir=tmp_path,
        client=client,
        progress=False,
    )
    traced = _bodies(tables, "status", "Traced")
    assert _written(tmp_path) == _expected_totals(tables, traced, traced, None, 1)
    assert (roi_conn.groupby(["bodyId_pre", "bodyId_post"])["weight"].sum() >= 4).all()


def test_a_side_with_its_own_rois_is_not_prefiltered(
    client: Client, tables: dict[str, Any], tmp_path: Path
) -> None:
    fetch_adjacencies(
        NC(rois=["PLP(R)"]),
        None,
        rois=["SMP(R)"],
        export_dir=tmp_path,
        client=client,
        progress=False,
    )
    touches: dict[int, set[str]] = tables["touches"]
    sources = {b for b, names in touches.items() if "PLP(R)" in names}
    expected = _expected_totals(
        tables, sources, _bodies(tables), ["SMP(R)"], 1, prefilter=(False, True)
    )
    assert _written(tmp_path) == expected
    both = _expected_totals(tables, sources, _bodies(tables), ["SMP(R)"], 1)
    assert both != expected  # the distinction matters on this sample


def test_the_export_loads_back_with_the_same_totals(
    client: Client, tables: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    fetch_adjacencies(
        NC(status="Traced"), None, rois=ROIS, export_dir=out, client=client, progress=False
    )
    with neuprint_dsl.embedded(load(out, tmp_path / "reloaded.lbug")) as db:
        frame = db.run(
            neuprint_dsl.connections(upstream_label="Segment", downstream_label="Segment")
        )
    assert _rows(frame) == _written(out)
    weights = tables["total"].set_index(["bodyId_pre", "bodyId_post"])["weight"]
    assert all(weights[(a, b)] == w for a, b, w in _written(out))
