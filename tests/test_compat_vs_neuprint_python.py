"""The compat layer against neuprint-python 0.6.4 itself, on one local server and one dataset.

tests/neuprint_python_bridge.py has tests/neuprint_server.py's FakeNeuprint answer every query
of both clients from one embedded sample database; a real ``neuprint.Client`` and a compat
``Client`` talk to it over HTTP. Each test runs a function in both libraries with the same
arguments and compares the tables (values, column names and order). Skipped when
neuprint-python is not installed (it is in the ``test`` extra).

Differences kept on purpose are not compared here: the order of neuprint-python's "extra"
neuron columns (a set's order) and of per-ROI rows of equal weight, and the order of its
neuron list in ``fetch_adjacencies`` (sources first); rows are then compared sorted.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuprint_dsl
from neuprint_dsl.compat import Client, NeuronCriteria, clear_default_client
from neuprint_dsl.compat import client as compat_client
from neuprint_dsl.compat.connectivity import fetch_adjacencies
from neuprint_dsl.compat.neurons import fetch_neurons
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import InvalidArgument

from .neuprint_python_bridge import neuprint_python_client, serve_embedded
from .neuprint_server import FakeNeuprint

neuprint: Any = pytest.importorskip("neuprint", reason="neuprint-python is not installed")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("vs-neuprint-python") / "sample"
    generate_sample(directory, neurons=250, edges=3000, seed=17, synapses=False)
    return directory


@pytest.fixture(scope="module")
def db(sample: Path) -> Iterator[Client]:
    c = Client(transport=neuprint_dsl.embedded(load(sample, sample.parent / "g.lbug")))
    yield c
    c.transport.close()


@pytest.fixture(scope="module")
def server(db: Client) -> Iterator[FakeNeuprint]:
    fake = FakeNeuprint()
    fake.version = "1.7.0"  # JSON answers for both clients (Arrow is not the subject here)
    serve_embedded(fake, db)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def ours(server: FakeNeuprint) -> Iterator[Client]:
    c = Client(server.url)  # no dataset: the server's only one
    yield c
    clear_default_client()


@pytest.fixture(scope="module")
def theirs(server: FakeNeuprint) -> Any:
    return neuprint_python_client(server.url)


@pytest.fixture(scope="module")
def bodies(db: Client) -> list[int]:
    frame = db.fetch_custom("MATCH (n:Neuron) RETURN n.bodyId AS bodyId ORDER BY n.bodyId")
    return [int(b) for b in frame["bodyId"]]


def _value(v: Any) -> Any:
    """One cell, as comparable across the two libraries' dtypes."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.ndarray):
        return [_value(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return _value(v.item())
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(_value(v) for v in row) for row in frame.astype(object).itertuples(index=False)]


def same_table(got: pd.DataFrame, want: pd.DataFrame, *, ordered: bool = True) -> None:
    assert list(got.columns) == list(want.columns)
    a, b = rows(got), rows(want)
    if not ordered:
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x == y, f"row {i}: {x} != {y}"


# ---------------------------------------------------------------------------------------
# Client


def test_client_without_dataset_uses_the_servers_only_one(
    ours: Client, theirs: Any, db: Client
) -> None:
    assert ours.dataset == theirs.dataset == db.dataset
    assert ours.progress is True and theirs.progress is False


def test_client_without_dataset_on_a_server_with_several() -> None:
    fake = FakeNeuprint().start()  # two datasets
    try:
        with pytest.raises(InvalidArgument, match="several datasets") as raised:
            Client(fake.url)
        assert "hemibrain:v1.2.1" in str(raised.value) and "manc:v1.0" in str(raised.value)
        # neuprint-python's own choice, on this server's list (its Client would then ask
        # the server again, over https, which the test server does not speak)
        other = neuprint_python_client(fake.url, "manc:v1.0")
        with pytest.raises(RuntimeError, match="does not exist"):
            other._select_dataset(None, reload_cache=False)
        # a named dataset is used as given, by both
        assert Client(fake.url, "manc:v1.0").dataset == "manc:v1.0"
        assert neuprint_python_client(fake.url, "manc:v1.0").dataset == "manc:v1.0"
    finally:
        clear_default_client()
        fake.stop()


def test_progress_bars_follow_the_client(
    server: FakeNeuprint, bodies: list[int], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("NEUPRINT_DSL_NO_PROGRESS", raising=False)
    ids = bodies[:40]
    for progress in (False, True):
        mine = Client(server.url, progress=progress)
        other = neuprint_python_client(server.url, progress=progress)
        capsys.readouterr()
        fetch_adjacencies(ids, None, batch_size=10, threads=2, client=mine)
        shown = capsys.readouterr().err
        neuprint.fetch_adjacencies(ids, None, batch_size=10, threads=2, client=other)
        shown_by_them = capsys.readouterr().err
        assert ("100%" in shown) is progress, shown
        assert ("100%" in shown_by_them) is progress, shown_by_them
    clear_default_client()


# ---------------------------------------------------------------------------------------
# fetch_neurons


def test_fetch_neurons_defaults_every_neuron(ours: Client, theirs: Any) -> None:
    mine, mine_rois = fetch_neurons(client=ours)
    other, other_rois = neuprint.fetch_neurons(client=theirs)
    assert len(mine) > 200
    same_table(mine, other)
    same_table(mine_rois, other_rois)


@pytest.mark.parametrize(
    "criteria",
    [
        {"status": "Traced", "cropped": False},
        {"type": "KC.*"},
        {"rois": ["SMP(R)"], "min_pre": 5},
    ],
    ids=["traced", "regex", "rois"],
)
def test_fetch_neurons_with_criteria(ours: Client, theirs: Any, criteria: dict[str, Any]) -> None:
    mine, mine_rois = fetch_neurons(NeuronCriteria(**criteria), client=ours)
    other, other_rois = neuprint.fetch_neurons(neuprint.NeuronCriteria(**criteria), client=theirs)
    assert len(mine) > 0
    same_table(mine, other)
    same_table(mine_rois, other_rois)


@pytest.mark.parametrize(
    "returned_columns",
    ["core", ["type", "bodyId", "pre", "post", "size"], ["bodyId", "status"]],
    ids=["core", "list", "list-no-counts"],
)
def test_fetch_neurons_returned_columns(
    ours: Client, theirs: Any, bodies: list[int], returned_columns: Any
) -> None:
    ids = bodies[::5]
    mine, mine_rois = fetch_neurons(ids, returned_columns=returned_columns, client=ours)
    other, other_rois = neuprint.fetch_neurons(
        ids, returned_columns=returned_columns, client=theirs
    )
    same_table(mine, other)
    if {"pre", "post"} <= set(mine.columns):
        same_table(mine_rois, other_rois)
    else:
        # no counts asked for: neuprint-python's table is empty; ours lists each body's ROIs
        assert other_rois.empty and list(mine_rois.columns) == ["bodyId", "roi"]
        assert not mine_rois.empty


def test_fetch_neurons_omit_rois(ours: Client, theirs: Any, bodies: list[int]) -> None:
    ids = bodies[::3]
    mine = fetch_neurons(ids, omit_rois=True, client=ours)
    other = neuprint.fetch_neurons(ids, omit_rois=True, client=theirs)
    assert isinstance(mine, pd.DataFrame) and "roiInfo" not in mine.columns
    same_table(mine, other)
    mine = fetch_neurons(ids, omit_rois=True, returned_columns=["type", "pre"], client=ours)
    other = neuprint.fetch_neurons(
        ids, omit_rois=True, returned_columns=["type", "pre"], client=theirs
    )
    same_table(mine, other)


def test_fetch_neurons_unknown_returned_columns(ours: Client, bodies: list[int]) -> None:
    with pytest.warns(UserWarning, match="nosuch"):
        mine, _ = fetch_neurons(
            bodies[:3], returned_columns=["bodyId", "nosuch", "type"], client=ours
        )
    assert list(mine.columns) == ["bodyId", "type", "roiInfo", "inputRois", "outputRois"]
    with pytest.raises(InvalidArgument, match="none of returned_columns"):
        fetch_neurons(bodies[:3], returned_columns=["nosuch"], client=ours)
    with pytest.raises(InvalidArgument, match="'all', 'core' or a list"):
        fetch_neurons(bodies[:3], returned_columns="some", client=ours)
    with pytest.raises(InvalidArgument, match="must include 'bodyId'"):
        fetch_neurons(bodies[:3], returned_columns=["type"], client=ours)


# ---------------------------------------------------------------------------------------
# fetch_adjacencies


def _adjacency_requests(server: FakeNeuprint) -> int:
    return sum(
        1 for r in server.requests_to("/api/custom/custom") if "ConnectsTo" in (r.cypher or "")
    )


@pytest.mark.parametrize("threads", [1, 4])
def test_fetch_adjacencies_defaults(
    ours: Client, theirs: Any, server: FakeNeuprint, bodies: list[int], threads: int
) -> None:
    ids = bodies[:70]
    before = _adjacency_requests(server)
    mine_neurons, mine = fetch_adjacencies(ids, None, batch_size=16, threads=threads, client=ours)
    sent = _adjacency_requests(server) - before
    other_neurons, other = neuprint.fetch_adjacencies(
        ids, None, batch_size=16, threads=threads, client=theirs
    )
    theirs_sent = _adjacency_requests(server) - before - sent
    # one request per batch, as neuprint-python
    assert sent == theirs_sent == math.ceil(len(ids) / 16)
    assert len(mine) > 100
    same_table(mine, other, ordered=False)
    # the order too, except among equal weights of one connection
    key = ["bodyId_pre", "bodyId_post", "weight"]
    assert rows(mine[key]) == rows(other[key])
    same_table(mine_neurons, other_neurons, ordered=False)


@pytest.mark.parametrize(
    "arguments",
    [
        {"weight_props": None},
        {"include_nonprimary": True},
        {"rois": ["SMP(R)", "SLP(R)"], "min_roi_weight": 2},
        {"rois": ["SNP(R)"], "include_nonprimary": True},
        {"properties": ["type", "status", "pre"]},
    ],
    ids=["weight-only", "nonprimary", "rois", "super-level-roi", "properties"],
)
def test_fetch_adjacencies_arguments(
    ours: Client, theirs: Any, bodies: list[int], arguments: dict[str, Any]
) -> None:
    ids = bodies[10:90]
    mine_neurons, mine = fetch_adjacencies(ids, None, batch_size=25, client=ours, **arguments)
    other_neurons, other = neuprint.fetch_adjacencies(
        ids, None, batch_size=25, client=theirs, **arguments
    )
    assert len(mine) > 0
    same_table(mine, other, ordered=False)
    same_table(mine_neurons, other_neurons, ordered=False)


def test_fetch_adjacencies_targets_side(ours: Client, theirs: Any, bodies: list[int]) -> None:
    ids = bodies[100:160]
    crit: dict[str, Any] = {"status": "Traced"}
    _, mine = fetch_adjacencies(NeuronCriteria(**crit), ids, batch_size=20, client=ours)
    _, other = neuprint.fetch_adjacencies(
        neuprint.NeuronCriteria(**crit), ids, batch_size=20, client=theirs
    )
    assert len(mine) > 0
    same_table(mine, other, ordered=False)


@pytest.mark.parametrize("weight_props", ["all", None, "weightHP"])
def test_fetch_adjacencies_omit_rois(
    ours: Client, theirs: Any, bodies: list[int], weight_props: Any
) -> None:
    ids = bodies[:80]
    _, mine = fetch_adjacencies(
        ids, None, omit_rois=True, weight_props=weight_props, batch_size=30, client=ours
    )
    _, other = neuprint.fetch_adjacencies(
        ids, None, omit_rois=True, weight_props=weight_props, batch_size=30, client=theirs
    )
    assert len(mine) > 0
    want = ["bodyId_pre", "bodyId_post", "weight"] + (["weightHP"] if weight_props else [])
    assert list(mine.columns) == want
    same_table(mine, other)
    # the totals are the per-ROI rows' sums (primary ROIs and NotPrimary)
    _, per_roi = fetch_adjacencies(ids, None, batch_size=30, client=ours)
    sums = per_roi.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    assert rows(pd.DataFrame(sums)) == rows(mine[["bodyId_pre", "bodyId_post", "weight"]])


def test_fetch_adjacencies_weight_props_warnings(
    ours: Client, theirs: Any, bodies: list[int]
) -> None:
    ids = bodies[:20]
    with pytest.warns(UserWarning, match="weightHP"):
        _, mine = fetch_adjacencies(ids, None, weight_props="weightHP", client=ours)
    with pytest.warns(UserWarning, match="weightHP"):
        _, other = neuprint.fetch_adjacencies(ids, None, weight_props="weightHP", client=theirs)
    same_table(mine, other, ordered=False)
    with pytest.warns(UserWarning, match="polarity"):
        _, mine = fetch_adjacencies(ids, None, weight_props=["weightAxonAxon"], client=ours)
    assert list(mine.columns) == ["bodyId_pre", "bodyId_post", "roi", "weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fetch_adjacencies(ids, None, client=ours)  # "all": nothing to warn about
    with pytest.raises(InvalidArgument, match="unknown weight_props"):
        fetch_adjacencies(ids, None, weight_props="weigth", client=ours)


def test_fetch_adjacencies_omit_rois_refusals(ours: Client, bodies: list[int]) -> None:
    for bad in ({"rois": ["SMP(R)"]}, {"min_roi_weight": 3}, {"include_nonprimary": True}):
        with pytest.raises(InvalidArgument, match="omit_rois"):
            fetch_adjacencies(bodies[:5], None, omit_rois=True, client=ours, **bad)


def test_fetch_adjacencies_export_dir(
    ours: Client, theirs: Any, bodies: list[int], tmp_path: Path
) -> None:
    ids = bodies[30:90]
    fetch_adjacencies(ids, None, export_dir=tmp_path / "ours", batch_size=20, client=ours)
    neuprint.fetch_adjacencies(
        ids, None, export_dir=str(tmp_path / "theirs"), batch_size=20, client=theirs
    )
    for name in ("neurons.csv", "roi-connections.csv", "total-connections.csv"):
        mine = pd.read_csv(tmp_path / "ours" / name, keep_default_na=False)
        other = pd.read_csv(tmp_path / "theirs" / name, keep_default_na=False)
        same_table(mine, other, ordered=False)


def test_http_answers_the_embedded_engines(ours: Client, db: Client, bodies: list[int]) -> None:
    """One request per batch over HTTP gives the tables of the embedded engine's own path
    (two statements per batch), every-ROI semantics and true totals included."""
    ids = bodies[40:120]
    cases: list[dict[str, Any]] = [{}, {"include_nonprimary": True}, {"omit_rois": True}]
    for arguments in cases:
        mine = fetch_adjacencies(ids, None, batch_size=17, client=ours, **arguments)
        local = fetch_adjacencies(ids, None, batch_size=17, client=db, **arguments)
        for got, want in zip(mine, local, strict=True):
            same_table(got, want)


# ---------------------------------------------------------------------------------------
# debug logging through neuprint-python's logger name


@pytest.fixture
def loggers() -> Iterator[None]:
    names = ("neuprint_dsl", "neuprint.client")
    levels = {n: logging.getLogger(n).level for n in names}
    followed = compat_client._FOLLOWED[0]
    yield
    compat_client.disable_debug_logging()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    compat_client._FOLLOWED[0] = followed


def _queries(caplog: Any) -> list[str]:
    return [r.name for r in caplog.records if "Performing cypher query" in r.getMessage()]


def test_neuprint_client_logger_level_switches_our_query_log(
    ours: Client, theirs: Any, bodies: list[int], caplog: Any, loggers: None
) -> None:
    # neuprint-python's documented switch
    caplog.set_level(logging.DEBUG, logger="neuprint.client")
    fetch_neurons(bodies[:2], client=ours)
    neuprint.fetch_neurons(bodies[:2], client=theirs)
    names = _queries(caplog)
    assert any(n.startswith("neuprint_dsl") for n in names), names
    assert "neuprint.client" in names
    caplog.clear()
    logging.getLogger("neuprint.client").setLevel(logging.INFO)
    fetch_neurons(bodies[:2], client=ours)
    neuprint.fetch_neurons(bodies[:2], client=theirs)
    assert _queries(caplog) == []


def test_setup_debug_logging_shows_both_libraries_queries(
    ours: Client, theirs: Any, bodies: list[int], capsys: Any, loggers: None
) -> None:
    compat_client.setup_debug_logging()
    fetch_neurons(bodies[:2], client=ours)
    neuprint.fetch_neurons(bodies[:2], client=theirs)
    err = capsys.readouterr().err
    assert "neuprint_dsl.transports.neuprint_http: Performing cypher query" in err
    assert "neuprint.client: Performing cypher query" in err
    # neuprint-python's way to stop it stops ours too
    logging.getLogger("neuprint.client").setLevel(logging.INFO)
    fetch_neurons(bodies[:2], client=ours)
    neuprint.fetch_neurons(bodies[:2], client=theirs)
    assert "Performing cypher query" not in capsys.readouterr().err
    # a level the user gives neuprint-dsl's own logger is theirs to keep
    logging.getLogger("neuprint_dsl").setLevel(logging.DEBUG)
    compat_client._FOLLOWED[0] = None
    fetch_neurons(bodies[:2], client=ours)
    assert "Performing cypher query" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# weight_props on fetch_simple_connections and fetch_common_connectivity, fetch_custom's
# use_arrow, Client.fetch_synapse_nt_keys


@pytest.mark.parametrize("weight_props", ["all", None, "weightHP", ["weight"]])
def test_fetch_simple_connections_weight_props(
    ours: Client, theirs: Any, bodies: list[int], weight_props: Any
) -> None:
    from neuprint_dsl.compat.connectivity import fetch_simple_connections

    ids = bodies[:40]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn alike (checked for fetch_adjacencies)
        mine = fetch_simple_connections(ids, None, weight_props=weight_props, client=ours)
        other = neuprint.fetch_simple_connections(
            ids, None, weight_props=weight_props, client=theirs
        )
    assert len(mine) > 0
    extra = ["weightHP"] if weight_props in ("all", "weightHP") else []
    assert list(mine.columns[: 3 + len(extra)]) == ["bodyId_pre", "bodyId_post", "weight", *extra]
    assert mine.columns[3 + len(extra)] == "type_pre"
    assert str(mine["weight"].dtype) == "int64"
    same_table(mine, other)


@pytest.mark.parametrize("direction", ["upstream", "downstream"])
@pytest.mark.parametrize("weight_props", ["all", None])
def test_fetch_common_connectivity_weight_props(
    ours: Client, theirs: Any, bodies: list[int], direction: str, weight_props: Any
) -> None:
    from neuprint_dsl.compat.connectivity import fetch_common_connectivity

    ids = bodies[:2]
    mine = fetch_common_connectivity(
        ids,
        direction,
        weight_props=weight_props,
        client=ours,  # type: ignore[arg-type]
    )
    other = neuprint.fetch_common_connectivity(
        ids, direction, weight_props=weight_props, client=theirs
    )
    assert ("weightHP" in mine.columns) == (weight_props == "all")
    same_table(mine, other)


def _arrow_requests(server: FakeNeuprint) -> int:
    return sum(r.path.endswith("/arrow") for r in server.requests)


def test_fetch_custom_use_arrow(ours: Client, theirs: Any, server: FakeNeuprint) -> None:
    q = "MATCH (n:Neuron) RETURN n.bodyId AS bodyId, n.type AS type ORDER BY n.bodyId LIMIT 30"
    for use_arrow in (False, None):
        same_table(
            ours.fetch_custom(q, use_arrow=use_arrow), theirs.fetch_custom(q, use_arrow=use_arrow)
        )
    # this server (1.7.0) has no Arrow route: both refuse use_arrow=True
    with pytest.raises(RuntimeError, match="Arrow"):
        theirs.fetch_custom(q, use_arrow=True)
    with pytest.raises(neuprint_dsl.errors.CapabilityError, match=r"1\.7\.3"):
        ours.fetch_custom(q, use_arrow=True)
    with pytest.raises(InvalidArgument, match="format='json'"):
        ours.fetch_custom(q, format="json", use_arrow=True)
    with pytest.raises(InvalidArgument, match="use_arrow must be"):
        ours.fetch_custom(q, use_arrow="yes")  # type: ignore[call-overload]
    # a server with the Arrow route: accepted, and answered through JSON (no Arrow request)
    server.version = "1.7.3"
    try:
        fresh = Client(server.url)
        before = _arrow_requests(server)
        same_table(fresh.fetch_custom(q, use_arrow=True), theirs.fetch_custom(q))
        assert _arrow_requests(server) == before
    finally:
        server.version = "1.7.0"
        clear_default_client()


def test_fetch_synapse_nt_keys(ours: Client, theirs: Any, db: Client) -> None:
    # this dataset's Meta has no ntSynapseProperties: both fall back to the :Synapse query
    assert ours.fetch_synapse_nt_keys() == theirs.fetch_synapse_nt_keys() == []
    # a server whose Meta node lists them: their keys, sorted, fetched once
    db.meta["ntSynapseProperties"] = {"ntGabaProb": "float", "ntAcetylcholineProb": "float"}
    fake = FakeNeuprint()
    fake.version = "1.7.0"
    try:
        serve_embedded(fake, db)
        fake.start()
        mine = Client(fake.url)
        other = neuprint_python_client(fake.url)
        want = ["ntAcetylcholineProb", "ntGabaProb"]
        assert mine.fetch_synapse_nt_keys() == want
        assert other.fetch_synapse_nt_keys() == want
        asked = len(fake.requests)
        assert mine.fetch_synapse_nt_keys() == want  # cached: no request
        assert len(fake.requests) == asked
    finally:
        del db.meta["ntSynapseProperties"]
        fake.stop()
        clear_default_client()


def test_simple_connections_weight_props_on_the_embedded_engine(
    ours: Client, db: Client, bodies: list[int]
) -> None:
    from neuprint_dsl.compat.connectivity import fetch_simple_connections

    ids = bodies[:40]
    kw: dict[str, Any] = {"weight_props": "all", "properties": ["type"]}
    here = fetch_simple_connections(ids, None, client=db, **kw)
    there = fetch_simple_connections(ids, None, client=ours, **kw)
    assert "weightHP" in here.columns
    assert str(here["weightHP"].dtype) == "int64"
    same_table(here.drop(columns="conn_roiInfo"), there.drop(columns="conn_roiInfo"))
