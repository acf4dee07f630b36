"""neuprint_dsl.plot and neuprint_dsl.graph: connectivity heatmaps rendered to real PNGs (read
back and checked: size, not blank, labels), the matrices behind them against pandas, and
connection tables as networkx graphs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

import neuprint_dsl
from neuprint_dsl import InvalidArgument, MissingDependency, N, connections, to_networkx
from neuprint_dsl.compat import Client, fetch_adjacencies, fetch_simple_connections
from neuprint_dsl.compat import NeuronCriteria as NC
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.plot import (
    connection_matrix,
    connectivity_matrix,
    save_connectivity_matrix,
)

ROOT = Path(__file__).resolve().parent.parent
KC_MBON = 'connections from type =~ "KC.*" to type =~ "MBON.*"'


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    export = tmp_path_factory.mktemp("plot_sample")
    generate_sample(export, neurons=600, edges=8_000, seed=5)
    return Path(load(export, export / "graph.lbug"))


@pytest.fixture(scope="module")
def db(db_path: Path) -> Iterator[Any]:
    with neuprint_dsl.embedded(db_path) as database:
        yield database


def type_table(df: pd.DataFrame) -> pd.DataFrame:
    """The aggregated ``group by type`` table, computed with pandas from neuron-level rows."""
    rows = df.assign(
        type_pre=df["type_pre"].fillna("(no type)"), type_post=df["type_post"].fillna("(no type)")
    )
    return (
        rows.groupby(["type_pre", "type_post"])
        .agg(
            weight=("weight", "sum"),
            n_pre=("bodyId_pre", "nunique"),
            n_post=("bodyId_post", "nunique"),
            n_connections=("weight", "size"),
        )
        .reset_index()
    )


def read_png(path: Path) -> np.ndarray:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert len(data) > 5_000, f"suspiciously small PNG: {len(data)} bytes"
    return np.asarray(mpimg.imread(path))


def assert_not_blank(pixels: np.ndarray) -> None:
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05, "the image is (nearly) one colour"
    non_white = (rgb < 0.95).any(axis=-1).mean()
    assert non_white > 0.05, f"only {non_white:.1%} of the pixels are drawn"
    colours = np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 20, "a heatmap has many colours"


def ticks(ax: Any, axis: str) -> list[str]:
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels]


# --- rendered pictures -----------------------------------------------------------------------


def test_neuron_level_png_has_labels_and_pixels(db: Any, tmp_path: Path) -> None:
    df = db.run(KC_MBON)
    assert len(df) > 5
    out = tmp_path / "kc_mbon.png"
    figure = save_connectivity_matrix(df, out, dpi=100)
    pixels = read_png(out)
    height, width = pixels.shape[:2]
    assert 300 < width < 1800 and 300 < height < 1500
    assert_not_blank(pixels)

    ax = figure.axes[0]
    pres = df.drop_duplicates("bodyId_pre")
    posts = df.drop_duplicates("bodyId_post")
    assert sorted(ticks(ax, "y")) == sorted(
        f"{t} {b}" for t, b in zip(pres.type_pre, pres.bodyId_pre, strict=True)
    )
    assert sorted(ticks(ax, "x")) == sorted(
        f"{t} {b}" for t, b in zip(posts.type_post, posts.bodyId_post, strict=True)
    )
    assert ax.get_title() == "weight: neuron → neuron"
    assert ax.get_ylabel().startswith("presynaptic neuron")
    assert figure.axes[1].get_ylabel() == "weight"  # the colour bar
    # small matrix: every connection written in its cell
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(df["weight"])


def test_type_table_png_order_and_annotations(db: Any, tmp_path: Path) -> None:
    table = type_table(db.run(KC_MBON))
    out = tmp_path / "types.png"
    figure = save_connectivity_matrix(table, out, title="KC → MBON")
    assert_not_blank(read_png(out))
    ax = figure.axes[0]
    totals = table.groupby("type_pre")["weight"].sum()
    expected = sorted(totals.index, key=lambda t: (-totals[t], t))
    assert ticks(ax, "y") == expected
    assert ax.get_title() == "KC → MBON"
    cells = sorted(int(t.get_text()) for t in ax.texts)
    assert cells == sorted(table["weight"])


def test_tall_matrix_is_a_tall_picture_with_hidden_labels(db: Any, tmp_path: Path) -> None:
    df = db.run('connections from type =~ ".*" to type =~ "MBON.*"')
    rows = df["bodyId_pre"].nunique()
    assert rows > 40
    out = tmp_path / "tall.png"
    figure = save_connectivity_matrix(df, out, log=True, max_labels=40)
    pixels = read_png(out)
    assert pixels.shape[0] > pixels.shape[1]
    assert_not_blank(pixels)
    ax = figure.axes[0]
    assert ticks(ax, "y") == [] and f"{rows:,}, labels hidden)" in ax.get_ylabel()
    assert len(ticks(ax, "x")) == df["bodyId_post"].nunique()
    assert len(ax.texts) == 0  # too big to annotate
    assert isinstance(ax.images[0].norm, LogNorm)
    assert figure.axes[1].get_ylabel() == "weight (log scale)"


def test_draws_into_a_given_axes_and_leaves_zero_cells_blank() -> None:
    df = pd.DataFrame({"type_pre": ["A", "B"], "type_post": ["C", "D"], "weight": [10, 1000]})
    figure, (left, right) = plt.subplots(1, 2)
    ax = connectivity_matrix(df, ax=right, log=True, colorbar=False, annotate=False, title="")
    assert ax is right and len(left.images) == 0 and len(figure.axes) == 2
    assert ax.get_title() == "" and len(ax.texts) == 0
    cells = ax.images[0].get_array()
    assert cells.mask.tolist() == [[False, True], [True, False]]  # no connection: masked
    assert ticks(ax, "y") == ["B", "A"] and ticks(ax, "x") == ["D", "C"]
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3] / 255
    assert_not_blank(pixels)


def test_large_sparse_matrix_draws_every_connection() -> None:
    """Past DENSE_UP_TO cells only the connections are drawn (as squares with an edge), so a
    connection smaller than a pixel still shows where it is."""
    rng = np.random.default_rng(1)
    n = 700
    pre, post = rng.integers(0, n, 3_000), rng.integers(0, n, 3_000)
    df = pd.DataFrame({"bodyId_pre": pre + 1, "bodyId_post": post + 10_001})
    df = df.drop_duplicates().assign(weight=lambda d: rng.integers(1, 50, len(d)))
    lone = pd.DataFrame({"bodyId_pre": [999_999], "bodyId_post": [888_888], "weight": [7]})
    df = pd.concat([df, lone], ignore_index=True)
    figure = Figure(figsize=(6, 6), dpi=100)
    ax = connectivity_matrix(df, ax=figure.add_subplot(), order="label", colorbar=False)
    assert len(ax.images) == 0 and len(ax.collections) == 1
    squares = ax.collections[0]
    assert sorted(squares.get_array().tolist()) == sorted(df["weight"].tolist())
    assert ticks(ax, "x") == [] and "labels hidden" in ax.get_xlabel()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3]
    # the lone connection is the last row and column (by label): find its pixel
    rows, cols = df["bodyId_pre"].nunique(), df["bodyId_post"].nunique()
    x, y = ax.transData.transform((cols - 1, rows - 1))
    around = pixels[
        int(pixels.shape[0] - y) - 1 : int(pixels.shape[0] - y) + 2, int(x) - 1 : int(x) + 2
    ]
    assert (around < 200).any(), "a sub-pixel connection vanished"
    assert (pixels < 200).any(axis=-1).mean() > 0.02


# --- the numbers behind the picture ----------------------------------------------------------


@st.composite
def neuron_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Neuron-level connection tables: unique pairs, one type per body (or none)."""
    bodies = draw(st.lists(st.integers(1, 40), min_size=2, max_size=15, unique=True))
    types = {b: draw(st.sampled_from(["KCab", "KCg", "MBON01", "APL", None])) for b in bodies}
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(bodies), st.sampled_from(bodies)),
            min_size=1,
            max_size=40,
            unique=True,
        )
    )
    weights = draw(st.lists(st.integers(1, 300), min_size=len(pairs), max_size=len(pairs)))
    return pd.DataFrame(
        {
            "bodyId_pre": [p for p, _ in pairs],
            "bodyId_post": [q for _, q in pairs],
            "weight": weights,
            "type_pre": [types[p] for p, _ in pairs],
            "type_post": [types[q] for _, q in pairs],
        }
    )


def nonzero(matrix: pd.DataFrame) -> dict[tuple[Any, Any], int]:
    stacked = matrix.stack()
    return {k: int(v) for k, v in stacked.items() if v != 0}


@given(neuron_tables(), st.sampled_from(["weight", "label"]))
@example(
    pd.DataFrame(
        {
            "bodyId_pre": [1, 2],
            "bodyId_post": [2, 1],
            "weight": [3, 3],
            "type_pre": [None, "A"],
            "type_post": ["A", None],
        }
    ),
    "weight",
)
def test_matrix_matches_pandas(df: pd.DataFrame, order: Any) -> None:
    by_neuron = connection_matrix(df, order=order)
    assert nonzero(by_neuron) == {
        (p, q): w for p, q, w in zip(df.bodyId_pre, df.bodyId_post, df.weight, strict=True)
    }
    by_type = connection_matrix(df, by="type", order=order)
    oracle = type_table(df)
    assert nonzero(by_type) == {
        (p, q): w for p, q, w in zip(oracle.type_pre, oracle.type_post, oracle.weight, strict=True)
    }
    assert int(by_type.to_numpy().sum()) == int(df.weight.sum())
    for matrix in (by_neuron, by_type):
        if order == "weight":
            assert list(matrix.sum(axis=1)) == sorted(matrix.sum(axis=1), reverse=True)
            assert list(matrix.sum(axis=0)) == sorted(matrix.sum(axis=0), reverse=True)
    if order == "label":
        named = [t for t in by_type.index if t != "(no type)"]
        assert named == sorted(named) and list(by_type.index[len(named) :]) in ([], ["(no type)"])
    # the aggregated table gives the same matrix as grouping the neuron-level one
    assert by_type.equals(connection_matrix(oracle, order=order))


def test_group_by_statements_match_grouping_the_neuron_rows(db: Any) -> None:
    """The engine's ``group by`` tables and this module's own grouping of neuron-level rows
    give the same matrix and the same graph."""
    rows = db.run(KC_MBON)
    aggregated = db.run(KC_MBON + " group by type")
    assert connection_matrix(aggregated).equals(connection_matrix(rows, by="type"))
    engine, here = to_networkx(aggregated), to_networkx(rows, by="type")
    assert nx.utils.edges_equal(engine.edges(data=True), here.edges(data=True))

    # several properties: tuple nodes, a MultiIndex, labels "Traced, False"
    query = 'connections from status = "Traced"'
    two = db.run(query + " group by status, cropped")
    matrix = connection_matrix(two)
    assert matrix.index.names == ["status_pre", "cropped_pre"]
    cells = db.run(neuprint_dsl.neurons(columns=["bodyId", "status", "cropped"]))
    mine = connection_matrix(db.run(query), by=["status", "cropped"], neurons=cells)
    assert matrix.equals(mine)
    # summing an aggregated table over one of its keys (weights only)
    assert connection_matrix(two, by="status").equals(
        connection_matrix(db.run(query), by="status", neurons=cells)
    )
    with pytest.raises(InvalidArgument, match="cannot be summed"):
        connection_matrix(two, by="status", value="n_pre")
    ax = connectivity_matrix(two, max_labels=1000)
    assert ticks(ax, "y")[0] == "Traced, False" and ax.get_title().startswith(
        "weight: status, cropped"
    )
    graph = to_networkx(two)
    assert graph.nodes[("Traced", False)] == {"status": "Traced", "cropped": False}


def test_explicit_rows_and_columns() -> None:
    df = pd.DataFrame({"bodyId_pre": [1, 1, 2], "bodyId_post": [3, 4, 4], "weight": [2, 9, 5]})
    matrix = connection_matrix(df, rows=[np.int64(2), 7], columns=[4])
    assert matrix.to_numpy().tolist() == [[5], [0]] and list(matrix.index) == [2, 7]
    with pytest.raises(InvalidArgument, match="listed twice"):
        connection_matrix(df, rows=[1, 1])


def test_per_roi_tables_need_the_rois_named(db: Any) -> None:
    per_roi = db.run(connections(N.type == "APL", per_roi=True))
    assert per_roi["roi"].nunique() > 1
    with pytest.raises(InvalidArgument, match=r"ROIs can overlap.*roi="):
        connection_matrix(per_roi)
    one = connection_matrix(per_roi, roi="MB(R)")
    rows = per_roi[per_roi.roi == "MB(R)"]
    assert nonzero(one) == {
        (p, q): w for p, q, w in zip(rows.bodyId_pre, rows.bodyId_post, rows.weight, strict=True)
    }
    with pytest.raises(InvalidArgument, match="'XYZ' not in the table"):
        connection_matrix(per_roi, roi=["MB(R)", "XYZ"])

    # fetch_adjacencies: primary ROIs (no overlap), summed when named; types from its neuron table
    client = Client(transport=db)
    neuron_df, conn_df = fetch_adjacencies(NC(type="APL"), None, client=client)
    matrix = connection_matrix(conn_df, roi=conn_df["roi"].unique(), by="type", neurons=neuron_df)
    merged = conn_df.merge(neuron_df[["bodyId", "type"]], left_on="bodyId_post", right_on="bodyId")
    expected = merged.fillna({"type": "(no type)"}).groupby("type")["weight"].sum()
    assert matrix.index.tolist() == ["APL"]
    assert {q: int(v) for q, v in matrix.loc["APL"].items() if v} == expected.to_dict()


def test_fetch_simple_connections_plot(db: Any) -> None:
    df = fetch_simple_connections(NC(type="APL"), client=Client(transport=db))
    ax = connectivity_matrix(df, by="type", max_labels=500)
    types = set(df["type_post"].fillna("(no type)"))
    assert set(ticks(ax, "x")) == types and ticks(ax, "y") == ["APL"]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"bodyId": [1], "type": ["A"]}), {}, "not a connection table"),
        (
            pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [2], "weight": [1]}),
            {"by": "type"},
            "no type_pre/type_post",
        ),
        (
            pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [2], "w": [1]}),
            {},
            "value='weight': no such column",
        ),
        (pd.DataFrame({"type_pre": ["A"], "type_post": ["B"], "weight": ["x"]}), {}, "not numeric"),
        (
            pd.DataFrame({"bodyId_pre": [1, 1], "bodyId_post": [2, 2], "weight": [1, 2]}),
            {},
            "2 rows for the same connection",
        ),
        (pd.DataFrame({"bodyId_pre": [], "bodyId_post": [], "weight": []}), {}, "no rows"),
        (
            pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [2], "weight": [1]}),
            {"roi": "MB(R)"},
            "no 'roi' column",
        ),
        (
            pd.DataFrame({"bodyId_pre": [1], "bodyId_post": [2], "weight": [1]}),
            {"order": "size"},
            "order='size'",
        ),
        (
            pd.DataFrame(
                {
                    "bodyId_pre": [1],
                    "bodyId_post": [2],
                    "n_connections": [1],
                    "type_pre": ["A"],
                    "type_post": ["B"],
                }
            ),
            {"by": "type", "value": "n_connections"},
            "cannot be summed",
        ),
        ([1, 2], {}, "expected a pandas DataFrame"),
    ],
)
def test_bad_tables_are_typed_errors(frame: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        connectivity_matrix(frame, **kwargs)


def test_unknown_picture_format(tmp_path: Path) -> None:
    df = pd.DataFrame({"type_pre": ["A"], "type_post": ["B"], "weight": [1]})
    with pytest.raises(InvalidArgument, match=r"\.png"):
        save_connectivity_matrix(df, tmp_path / "m.xyz")


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    df = pd.DataFrame({"type_pre": ["A"], "type_post": ["B"], "weight": [1]})
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependency, match=r'pip install "neuprint-dsl\[plot\]"') as info:
        connectivity_matrix(df)
    assert isinstance(info.value, ImportError) and info.value.package == "matplotlib"
    assert info.value.extra == "plot"
    assert connection_matrix(df).to_numpy().tolist() == [[1]]  # the numbers need no matplotlib
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(MissingDependency, match="to_networkx needs networkx"):
        to_networkx(df)


# --- networkx --------------------------------------------------------------------------------


def test_to_networkx_node_properties(db: Any) -> None:
    df = db.run(KC_MBON)
    bodies = sorted(set(df.bodyId_pre) | set(df.bodyId_post))
    cells = db.run(neurons_query(bodies))
    extra = int(db.run('neurons where type = "APL"')["bodyId"].iloc[0])
    cells_plus = pd.concat([cells, db.run(neurons_query([extra]))], ignore_index=True)
    graph = to_networkx(df, cells_plus)
    assert isinstance(graph, nx.DiGraph)
    assert graph.number_of_edges() == len(df)
    assert set(graph.nodes) == {*bodies, extra} and graph.degree(extra) == 0
    for p, q, w, tp in zip(df.bodyId_pre, df.bodyId_post, df.weight, df.type_pre, strict=True):
        assert graph[p][q]["weight"] == w and graph.nodes[p]["type"] == tp
        assert set(graph[p][q]) == {"weight"}  # node properties are not edge attributes
    row = cells.iloc[0]
    node = graph.nodes[int(row.bodyId)]
    assert node["status"] == row.status and node["pre"] == row.pre and type(node["pre"]) is int
    assert all(type(n) is int for n in graph.nodes)
    assert all(
        v is not None and v == v
        for _, data in graph.nodes(data=True)
        for v in data.values()
        if not isinstance(v, list)
    )


def neurons_query(bodies: list[int]) -> Any:
    return neuprint_dsl.neurons(N.bodyId.isin(bodies))


@given(neuron_tables())
def test_to_networkx_grouped_matches_pandas(df: pd.DataFrame) -> None:
    graph = to_networkx(df, by="type")
    oracle = type_table(df)
    assert graph.number_of_edges() == len(oracle)
    for row in oracle.itertuples():
        edge = graph[row.type_pre][row.type_post]
        assert (edge["weight"], edge["n_pre"], edge["n_post"], edge["n_connections"]) == (
            row.weight,
            row.n_pre,
            row.n_post,
            row.n_connections,
        )
    assert sum(w for _, _, w in graph.edges(data="weight")) == df.weight.sum()
    # the aggregated table gives the same graph
    again = to_networkx(oracle)
    assert nx.utils.edges_equal(graph.edges(data=True), again.edges(data=True))


def test_to_networkx_rois(db: Any) -> None:
    per_roi = db.run(connections(N.type == "APL", per_roi=True))
    rois = ["CA(R)", "SMP(R)"]
    graph = to_networkx(per_roi, roi=rois)
    chosen = per_roi[per_roi.roi.isin(rois)]
    for (p, q), rows in chosen.groupby(["bodyId_pre", "bodyId_post"]):
        edge = graph[p][q]
        assert edge["weight"] == rows.weight.sum()
        assert edge["rois"] == dict(zip(rows.roi, rows.weight, strict=True))
    assert graph.number_of_edges() == chosen.groupby(["bodyId_pre", "bodyId_post"]).ngroups


# --- the example -----------------------------------------------------------------------------


def test_docs_page_exists_and_is_linked() -> None:
    page = (ROOT / "docs" / "plot.md").read_text(encoding="utf-8")
    assert "connectivity_matrix" in page and "to_networkx" in page and "--plot" in page
    assert "docs/plot.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in this process (click's runner; matplotlib already uses Agg here): the
    command line's own process behaviour is tested in tests/test_cli.py."""
    from click.testing import CliRunner

    from neuprint_dsl.cli import cli as command

    result = CliRunner().invoke(command, list(args), env={"MPLBACKEND": "Agg"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def test_cli_plot(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.png"
    result = cli("query", KC_MBON, "--db", str(db_path), "--plot", str(out), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert_not_blank(read_png(out))
    assert "bodyId_pre,bodyId_post,weight" in result.stdout  # the table is still written
    assert f"wrote the connectivity matrix to {out}" in result.stderr

    picture = tmp_path / "n.png"
    bad = cli("query", 'neurons where type = "APL"', "--db", str(db_path), "--plot", str(picture))
    assert bad.returncode == 2 and "--plot: not a connection table" in bad.stderr
    assert "Traceback" not in bad.stderr and not picture.exists() and bad.stdout == ""

    nowhere = tmp_path / "nodir" / "x.png"
    failed = cli("query", KC_MBON, "--db", str(db_path), "--plot", str(nowhere))
    assert failed.returncode == 1 and f"cannot write {nowhere}" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr and failed.stdout == ""


def test_an_unknown_keyword_is_a_typed_error_naming_the_known_ones() -> None:
    df = pd.DataFrame({"type_pre": ["A"], "type_post": ["B"], "weight": [1]})
    with pytest.raises(
        InvalidArgument, match=r"connectivity_matrix got unknown option\(s\) colour"
    ):
        connectivity_matrix(df, colour="red")  # type: ignore[call-arg]
    with pytest.raises(InvalidArgument, match=r"it takes by, value, roi, order, rows.*neurons$"):
        connection_matrix(df, log=True)  # type: ignore[call-arg]
    assert connection_matrix(df, label=None).to_numpy().tolist() == [[1]]
