"""Every ROI, as neuPrint stores it: per-ROI connection counts for super-level ROIs too, with
``pre`` and ``post`` (issue 11, section 1).

The oracle is pandas over the sample's own files: per-connection, per-ROI counts from the
synapse pairs (``post``: the post-synapses in the ROI, ``pre``: the distinct T-bars in it),
each primary ROI also counted in its super-level ancestors, exactly as neuPrint's
``ConnectsTo.roiInfo`` counts them.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from neuprint_dsl import connections, parse
from neuprint_dsl.cli import cli
from neuprint_dsl.compat import (
    Client,
    NeuronCriteria,
    clear_default_client,
    fetch_adjacencies,
    fetch_simple_connections,
)
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.build import super_roi_children
from neuprint_dsl.embedded.rois import NOT_PRIMARY, PRIMARY_ROIS, SUPER_ROIS, ancestors
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import TransportError
from neuprint_dsl.transports import Embedded, NeuprintHTTP
from tests.neuprint_server import (
    ConnectsTo,
    FakeNeuprint,
    Segment,
    neuprint_server,  # noqa: F401  (the fixture)
    serve_graph,
)

Pair = tuple[int, int]
KEY = ["bodyId_pre", "bodyId_post", "roi"]


def _expand(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` once per ROI holding each row's synapse: its primary ROI and ancestors."""
    inside = frame[frame[column] != ""]
    parts = [inside.assign(roi=inside[column])]
    for roi in PRIMARY_ROIS:
        for parent in ancestors(roi):
            parts.append(inside[inside[column] == roi].assign(roi=parent))
    return pd.concat(parts, ignore_index=True)


@functools.lru_cache(maxsize=4)
def roi_counts(directory: Path) -> pd.DataFrame:
    """``bodyId_pre, bodyId_post, roi, pre, post`` for every connection and ROI (super-level
    included, NotPrimary not), from ``synapses.csv`` and ``synapse-connections.csv``."""
    syn = pd.read_csv(directory / "synapses.csv", usecols=["id", "bodyId", "roi"])
    syn["roi"] = syn["roi"].fillna("")
    pairs = pd.read_csv(directory / "synapse-connections.csv")
    ends = pairs.merge(syn.add_suffix("_pre"), left_on="pre_id", right_on="id_pre").merge(
        syn.add_suffix("_post"), left_on="post_id", right_on="id_post"
    )
    post = _expand(ends, "roi_post").groupby(KEY).size().rename("post")
    pre = _expand(ends, "roi_pre").groupby(KEY)["pre_id"].nunique().rename("pre")
    table = pd.concat([pre, post], axis=1).fillna(0).astype("int64").reset_index()
    return table.astype({"roi": object})


@functools.lru_cache(maxsize=4)
def conn_roi_info(directory: Path) -> dict[Pair, dict[str, dict[str, int]]]:
    """neuPrint's ``ConnectsTo.roiInfo`` of every connection of a sample."""
    out: dict[Pair, dict[str, dict[str, int]]] = {}
    for a, b, roi, pre, post in roi_counts(directory)[[*KEY, "pre", "post"]].itertuples(
        index=False, name=None
    ):
        out.setdefault((int(a), int(b)), {})[str(roi)] = {"pre": int(pre), "post": int(post)}
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("every-roi")
    generate_sample(directory, neurons=400, edges=6000, seed=11)
    return directory


@pytest.fixture(scope="module")
def db(sample: Path) -> Any:
    database = Embedded(load(sample, sample.parent / "every-roi.lbug"))
    yield database
    database.close()


@pytest.fixture()
def client(db: Embedded) -> Any:
    clear_default_client()
    yield Client(transport=db)
    clear_default_client()


def test_the_oracle_agrees_with_the_exported_weights(sample: Path) -> None:
    """The synapse pairs' post counts are the export's per-ROI weights (primary ROIs)."""
    rows = pd.read_csv(sample / "roi-connections.csv")
    rows = rows[rows["roi"] != NOT_PRIMARY].set_index(KEY)["weight"].sort_index()
    counts = roi_counts(sample)
    primary = counts[counts["roi"].isin(PRIMARY_ROIS) & (counts["post"] > 0)]
    assert primary.set_index(KEY)["post"].sort_index().to_dict() == rows.to_dict()


def test_per_roi_rows_cover_every_roi_of_the_hierarchy(sample: Path, db: Embedded) -> None:
    got = db.run(connections(per_roi=True))
    got = got[got["roi"] != NOT_PRIMARY]
    counts = roi_counts(sample)
    want = counts[counts["post"] > 0].set_index(KEY)["post"].sort_index()
    assert got.set_index(KEY)["weight"].sort_index().to_dict() == want.to_dict()
    assert {"MB(R)", "SNP(R)", "INP"} <= set(got["roi"])


@pytest.mark.parametrize("roi", ["MB(R)", "SNP(R)", "VLNP(R)", "CX"])
def test_super_level_roi_filters_give_neuprints_answer(
    sample: Path, client: Client, roi: str
) -> None:
    counts = roi_counts(sample)
    in_roi = counts[(counts["roi"] == roi) & (counts["post"] > 0)]
    ids = sorted(set(in_roi["bodyId_pre"].tolist()))[:25]
    got = fetch_simple_connections(ids, None, rois=[roi], client=client)
    want = sorted(
        (int(a), int(b)) for a, b in in_roi[["bodyId_pre", "bodyId_post"]].values if a in ids
    )
    assert want, "the case should select some connections"
    assert sorted(zip(got["bodyId_pre"], got["bodyId_post"], strict=True)) == want
    # and the DSL statement, compiled for the engine, answers the same
    rows = client.transport.run(connections(rois=[roi], per_roi=True))
    expected = in_roi.set_index(KEY)["post"].sort_index().to_dict()
    assert rows.set_index(KEY)["weight"].sort_index().to_dict() == expected


def test_a_super_level_roi_is_the_sum_of_its_primary_children(sample: Path) -> None:
    counts = roi_counts(sample).set_index(KEY)
    meta = json.loads((sample / "meta.json").read_text(encoding="utf-8"))
    children = super_roi_children(meta["roiHierarchy"], set(meta["primaryRois"]))
    assert set(children) == set(SUPER_ROIS)
    for parent, kids in children.items():
        rois = counts.index.get_level_values("roi")
        mine = counts[rois == parent].droplevel("roi")[["pre", "post"]]
        summed = (
            counts[rois.isin(kids)].groupby(["bodyId_pre", "bodyId_post"])[["pre", "post"]].sum()
        )
        assert mine.sort_index().equals(summed.sort_index()), parent


def test_conn_roi_info_has_pre_and_post_for_every_roi(sample: Path, client: Client) -> None:
    counts = roi_counts(sample)
    ids = sorted(set(counts.loc[counts["roi"] == "MB(R)", "bodyId_pre"].tolist()))[:30]
    got = fetch_simple_connections(ids, None, client=client)
    expected = conn_roi_info(sample)
    assert len(got) > 10
    for a, b, info in got[["bodyId_pre", "bodyId_post", "conn_roiInfo"]].itertuples(
        index=False, name=None
    ):
        assert info == expected.get((a, b), {})  # wholly outside every ROI: {}
        assert NOT_PRIMARY not in info
        assert all(list(v) == ["pre", "post"] for v in info.values())
    assert any("MB(R)" in i for i in got["conn_roiInfo"])


def test_fetch_adjacencies_lists_super_level_rois_only_with_include_nonprimary(
    sample: Path, client: Client
) -> None:
    counts = roi_counts(sample)
    ids = sorted(set(counts.loc[counts["roi"] == "SNP(R)", "bodyId_pre"].tolist()))[:20]
    _, primary = fetch_adjacencies(ids, None, client=client, progress=False)
    _, every = fetch_adjacencies(ids, None, include_nonprimary=True, client=client, progress=False)
    assert not set(primary["roi"]) & set(SUPER_ROIS)
    extra = every[~every["roi"].isin([*PRIMARY_ROIS, NOT_PRIMARY])]
    chosen = counts[counts["bodyId_pre"].isin(ids) & counts["roi"].isin(SUPER_ROIS)]
    chosen = chosen[chosen["post"] > 0]
    assert extra.set_index(KEY)["weight"].sort_index().to_dict() == (
        chosen.set_index(KEY)["post"].sort_index().to_dict()
    )
    assert "SNP(R)" in set(extra["roi"])


def test_info_says_which_rois_were_derived(sample: Path, db: Embedded) -> None:
    result = CliRunner().invoke(cli, ["info", "--db", str(db.path)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("super-level ROIs"))
    counts = roi_counts(sample)
    present = sorted(set(counts.loc[counts["roi"].isin(SUPER_ROIS), "roi"]))
    assert "MB(R)" in present and "MB(L)" not in present  # this sample has no MB(L) synapse
    assert line.split(": ", 1)[1].split(", ") == present
    assert "post only" not in result.output
    assert db.meta["derivedRois"] == present
    assert db.meta["roiPreCounts"] is True


def test_an_export_with_weights_only_says_so(sample: Path, tmp_path: Path) -> None:
    """Without synapse files, per-ROI counts are weights (post) only: conn_roiInfo has no
    'pre', and info says so; super-level ROIs are still derived."""
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("neurons.csv", "roi-connections.csv", "total-connections.csv", "meta.json"):
        (plain / name).write_bytes((sample / name).read_bytes())
    with Embedded(load(plain, tmp_path / "plain.lbug")) as database:
        assert database.meta["roiPreCounts"] is False
        result = CliRunner().invoke(cli, ["info", "--db", str(database.path)])
        assert re.search(r"post only", result.output), result.output
        clear_default_client()
        c = Client(transport=database)
        counts = roi_counts(sample)
        ids = sorted(set(counts.loc[counts["roi"] == "MB(R)", "bodyId_pre"].tolist()))[:10]
        got = fetch_simple_connections(ids, None, rois=["MB(R)"], client=c)
        clear_default_client()
        expected = conn_roi_info(sample)
        assert len(got)
        for a, b, info in got[["bodyId_pre", "bodyId_post", "conn_roiInfo"]].itertuples(
            index=False, name=None
        ):
            assert info == {
                r: {"post": v["post"]} for r, v in expected.get((a, b), {}).items() if v["post"] > 0
            }


def test_pairs_that_disagree_with_the_weights_give_no_pre_counts(
    sample: Path, tmp_path: Path
) -> None:
    """Synapse pairs that do not reproduce every per-ROI weight are not trusted for 'pre'."""
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in sample.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    rows = pd.read_csv(broken / "roi-connections.csv")
    first = rows.index[rows["roi"] != NOT_PRIMARY][0]
    rows.loc[first, "weight"] += 1
    rows.to_csv(broken / "roi-connections.csv", index=False)
    total = pd.read_csv(broken / "total-connections.csv")
    at = (total["bodyId_pre"] == rows.loc[first, "bodyId_pre"]) & (
        total["bodyId_post"] == rows.loc[first, "bodyId_post"]
    )
    total.loc[at, "weight"] += 1
    total.to_csv(broken / "total-connections.csv", index=False)
    with Embedded(load(broken, tmp_path / "broken.lbug")) as database:
        assert database.meta["roiPreCounts"] is False


def test_super_roi_children_from_a_hierarchy_without_hemibrain_names() -> None:
    tree = {
        "name": "vnc",
        "children": [
            {"name": "LegNp", "children": [{"name": "T1"}, {"name": "T2", "children": []}]},
            {"name": "Ov"},
        ],
    }
    assert super_roi_children(tree, {"T1", "T2", "Ov"}) == {"LegNp": ("T1", "T2")}
    assert super_roi_children(None, {"T1"}, "manc") == {}


# ---------------------------------------------------------------------------------------
# the neuprint-python documentation's example (../shared/reference/neuprint-python-queries.txt)

DOC_SOURCES = [329566174, 425790257, 424379864, 329599710]
DOC_TARGETS = [425790257, 424379864, 329566174, 329599710, 420274150]
DOC_NEURONS = [
    (329566174, "OA-VPM3(NO2/NO3)_R", "OA-VPM3"),
    (329599710, "mPNX(AVM06)_R", "olfactory multi lvPN mALT"),
    (424379864, "AVM03e_pct(AVM03)_R", "AVM03e_pct"),
    (425790257, "APL_R", "APL"),
    (420274150, "AVM03m_pct(AVM03)_R", "AVM03m_pct"),
]
DOC_ROI_ROWS = """\
329566174 329599710 SLP(R) 1
329566174 420274150 SLP(R) 1
329566174 424379864 SLP(R) 31
329566174 424379864 SCL(R) 3
329566174 424379864 SIP(R) 3
329566174 425790257 gL(R) 17
329566174 425790257 CA(R) 10
329566174 425790257 CRE(R) 4
329566174 425790257 b'L(R) 3
329566174 425790257 aL(R) 3
329566174 425790257 PED(R) 3
329566174 425790257 bL(R) 2
329566174 425790257 a'L(R) 1
329599710 329566174 SLP(R) 3
329599710 329566174 SIP(R) 1
424379864 329566174 SLP(R) 4
424379864 329566174 SCL(R) 2
424379864 329566174 SIP(R) 1
425790257 329566174 gL(R) 8
425790257 329566174 CA(R) 3
425790257 329566174 aL(R) 1
"""
#: fetch_simple_connections' documented rows: pre, post, weight, and the first ROI shown
DOC_SIMPLE = [
    (329566174, 425790257, 43, "MB(R)", 39),
    (329566174, 424379864, 37, "SNP(R)", 34),
    (425790257, 329566174, 12, "MB(R)", 12),
    (424379864, 329566174, 7, "SNP(R)", 5),
    (329599710, 329566174, 4, "SNP(R)", 4),
    (329566174, 329599710, 1, "SNP(R)", 1),
    (329566174, 420274150, 1, "SNP(R)", 1),
]


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The documented tables as a weights-only hemibrain export (no meta.json)."""
    directory = tmp_path_factory.mktemp("hemibrain")
    rows = [line.rsplit(" ", 1) for line in DOC_ROI_ROWS.splitlines()]
    roi = pd.DataFrame(
        [(*head.split(" ", 2), w) for head, w in rows],
        columns=["bodyId_pre", "bodyId_post", "roi", "weight"],
    )
    roi.to_csv(directory / "roi-connections.csv", index=False)
    roi = roi.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    total = roi.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    total.to_csv(directory / "total-connections.csv", index=False)
    pd.DataFrame(DOC_NEURONS, columns=["bodyId", "instance", "type"]).to_csv(
        directory / "neurons.csv", index=False
    )
    database = Embedded(load(directory, directory.parent / "hemibrain.lbug"))
    clear_default_client()
    yield Client(transport=database), roi
    clear_default_client()
    database.close()


@pytest.fixture(scope="module")
def documented_with_synapses(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The documented tables plus synapse pairs that reproduce them: one T-bar per synapse
    pair in each documented ROI row, so ``pre`` equals ``post`` as in every ``conn_roiInfo``
    entry the documentation shows."""
    directory = tmp_path_factory.mktemp("hemibrain-synapses")
    rows = [line.rsplit(" ", 1) for line in DOC_ROI_ROWS.splitlines()]
    roi = pd.DataFrame(
        [(*head.split(" ", 2), w) for head, w in rows],
        columns=["bodyId_pre", "bodyId_post", "roi", "weight"],
    ).astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    roi.to_csv(directory / "roi-connections.csv", index=False)
    total = roi.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    total.to_csv(directory / "total-connections.csv", index=False)
    pd.DataFrame(DOC_NEURONS, columns=["bodyId", "instance", "type"]).to_csv(
        directory / "neurons.csv", index=False
    )
    synapses, pairs = [], []
    for pre, post, name, weight in roi.itertuples(index=False):
        for _ in range(weight):
            n = len(synapses)
            synapses.append((n + 1, pre, "pre", name, n, 0, 0, 0.9))
            synapses.append((n + 2, post, "post", name, n + 1, 0, 0, 0.9))
            pairs.append((n + 1, n + 2))
    pd.DataFrame(
        synapses, columns=["id", "bodyId", "type", "roi", "x", "y", "z", "confidence"]
    ).to_csv(directory / "synapses.csv", index=False)
    pd.DataFrame(pairs, columns=["pre_id", "post_id"]).to_csv(
        directory / "synapse-connections.csv", index=False
    )
    database = Embedded(load(directory, directory.parent / "hemibrain-synapses.lbug"))
    clear_default_client()
    yield Client(transport=database)
    clear_default_client()
    database.close()


def test_documented_fetch_simple_connections_with_pre_counts(documented_with_synapses: Any) -> None:
    """With synapse pairs, conn_roiInfo has neuPrint's ``{"pre": n, "post": n}`` entries: the
    documented table (its first, super-level ROI each row) exactly."""
    client = documented_with_synapses
    got = fetch_simple_connections(DOC_SOURCES, DOC_TARGETS, client=client)
    assert got[["bodyId_pre", "bodyId_post", "weight"]].values.tolist() == [
        [a, b, w] for a, b, w, _, _ in DOC_SIMPLE
    ]
    for (_, _, _, roi, post), info in zip(DOC_SIMPLE, got["conn_roiInfo"], strict=True):
        assert info[roi] == {"pre": post, "post": post}
    assert client.transport.meta["roiPreCounts"] is True
    # and fetch_adjacencies gives the documented per-ROI table from this export too
    _, connection_df = fetch_adjacencies(DOC_SOURCES, DOC_TARGETS, client=client, progress=False)
    rows = [line.rsplit(" ", 1) for line in DOC_ROI_ROWS.splitlines()]
    want = sorted(
        (int(a), int(b), r, int(w))
        for (a, b, r), w in ((head.split(" ", 2), w) for head, w in rows)
    )
    assert sorted(map(tuple, connection_df.values.tolist())) == want


def test_documented_fetch_adjacencies(documented: Any) -> None:
    client, roi = documented
    neuron_df, connection_df = fetch_adjacencies(
        DOC_SOURCES, DOC_TARGETS, client=client, progress=False
    )
    got = connection_df.values.tolist()
    want = roi.values.tolist()
    assert sorted(got) == sorted(want)
    # the order too, except among equal weights of one connection (b'L(R), aL(R), PED(R): 3
    # each), which neuprint-python leaves in the server's roiInfo key order
    assert [(a, b, w) for a, b, _, w in got] == [(a, b, w) for a, b, _, w in want]
    # neuprint-python lists the sources first; the rows, not their order, are compared
    assert sorted(map(tuple, neuron_df[["bodyId", "instance", "type"]].values.tolist())) == (
        sorted(DOC_NEURONS)
    )


def test_documented_fetch_simple_connections(documented: Any) -> None:
    client, _ = documented
    got = fetch_simple_connections(DOC_SOURCES, DOC_TARGETS, client=client)
    assert got[["bodyId_pre", "bodyId_post", "weight"]].values.tolist() == [
        [a, b, w] for a, b, w, _, _ in DOC_SIMPLE
    ]
    for (_, _, _, roi, post), info in zip(DOC_SIMPLE, got["conn_roiInfo"], strict=True):
        assert info[roi] == {"post": post}  # a weights-only export: no 'pre'
    assert client.transport.meta["derivedRois"] == ["INP", "MB(R)", "SNP(R)"]


def test_per_roi_rows_never_list_not_primary(db: Embedded) -> None:
    """neuPrint's roiInfo has no NotPrimary key, so neither do `per roi` rows on the embedded
    engine (the store keeps the remainder rows for compat's own NotPrimary computation)."""
    from neuprint_dsl.cypher.layout import STORE_NOT_PRIMARY
    from neuprint_dsl.embedded.rois import NOT_PRIMARY

    assert STORE_NOT_PRIMARY == NOT_PRIMARY
    rows = db.run(parse("connections per roi"))
    assert len(rows) > 0 and NOT_PRIMARY not in set(rows["roi"])


# -- on a neuPrint server: the edge's own roiInfo ------------------------------------------------

NEUPRINT_SEGMENTS = [
    Segment(1, {"type": "KC", "instance": "KC_R"}),
    Segment(2, {"type": "APL", "instance": "APL_R"}),
    Segment(3, {"type": "APL", "instance": "APL_L"}),
    Segment(4, {}, neuron=False),  # a Segment only: upstream criteria given as ids still match
]
#: every ROI the connection touches, super-level ones included, each with pre and post, in the
#: order neuPrint stored it (not sorted: the order must come back as stored)
NEUPRINT_EDGES = [
    ConnectsTo(
        1,
        2,
        12,
        '{"MB(R)":{"pre":12,"post":11},"CA(R)":{"pre":7,"post":7},"FB":{"pre":0,"post":1}}',
    ),
    ConnectsTo(1, 3, 4, '{"FB":{"pre":4,"post":4}}'),
    ConnectsTo(4, 2, 9, '{"MB(R)":{"post":9,"pre":8}}'),
    ConnectsTo(2, 1, 6, '{"MB(R)":{"pre":6,"post":6}}'),
    ConnectsTo(4, 3, 5, "{}"),
]


@pytest.mark.parametrize("use_arrow", [True, False])
def test_neuprint_conn_roi_info_is_the_edges_own(
    neuprint_server: FakeNeuprint,  # noqa: F811
    use_arrow: bool,
) -> None:
    """On neuPrint, conn_roiInfo is ``ConnectsTo.roiInfo`` parsed (every ROI, pre and post, in
    the stored order), from the one connections query, on the Arrow and the JSON route."""
    serve_graph(neuprint_server, NEUPRINT_SEGMENTS, NEUPRINT_EDGES)
    transport = NeuprintHTTP(neuprint_server.url, "hemibrain:v1.2.1", use_arrow=use_arrow)
    client = Client(transport=transport)
    try:
        got = fetch_simple_connections(
            [1, 4], NeuronCriteria(type="APL"), min_weight=5, client=client
        )
    finally:
        transport.close()
        clear_default_client()
    expected = sorted(
        (e for e in NEUPRINT_EDGES if e.pre in {1, 4} and e.post in {2, 3} and e.weight >= 5),
        key=lambda e: (-e.weight, e.pre, e.post),
    )
    assert len(expected) == 3  # the data exercise the weight filter and a Segment upstream
    assert got[["bodyId_pre", "bodyId_post", "weight"]].values.tolist() == [
        [e.pre, e.post, e.weight] for e in expected
    ]
    infos = list(got["conn_roiInfo"])
    assert infos == [json.loads(e.roiInfo) for e in expected]
    assert [list(i) for i in infos] == [list(json.loads(e.roiInfo)) for e in expected]
    assert got["type_post"].tolist() == ["APL", "APL", "APL"]
    # a table with strings goes through JSON even with use_arrow (docs/http.md, "Arrow")
    sent = [r.cypher or "" for r in neuprint_server.requests_to("/api/custom/custom")]
    assert not neuprint_server.requests_to("/api/custom/arrow")
    edge_queries = [c for c in sent if "ConnectsTo" in c]
    assert len(edge_queries) == 1 and "e.roiInfo AS conn_roiInfo" in edge_queries[0]
    assert not any("UNWIND" in c for c in sent)


def test_neuprint_conn_roi_info_that_is_not_json_is_a_transport_error(
    neuprint_server: FakeNeuprint,  # noqa: F811
) -> None:
    serve_graph(neuprint_server, NEUPRINT_SEGMENTS, [ConnectsTo(1, 2, 7, '{"MB(R)": {"pre": 1')])
    transport = NeuprintHTTP(neuprint_server.url, "hemibrain:v1.2.1", use_arrow=False)
    try:
        with pytest.raises(TransportError, match=r"roiInfo of the connection 1 -> 2 is not JSON"):
            fetch_simple_connections([1], None, client=Client(transport=transport))
    finally:
        transport.close()
        clear_default_client()
