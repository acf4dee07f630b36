"""Pictures of connection tables: :func:`connectivity_matrix` draws a heatmap of who connects
to whom, from a neuron-level table (``connections`` statements, ``fetch_adjacencies``,
``fetch_simple_connections``) or an aggregated ``group by type`` table.

Drawing needs matplotlib (``pip install "neuprint-dsl[plot]"``); without it the functions
raise :class:`~neuprint_dsl.errors.MissingDependency`. :func:`connection_matrix` (the numbers
behind the picture) needs only pandas. See docs/plot.md.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from neuprint_dsl.plot import connectivity_matrix
    >>> df = pd.DataFrame({"type_pre": ["KCab", "KCab", "KCg"], "type_post": ["MBON01", "MBON11", "MBON11"],
    ...                    "weight": [120, 30, 75], "n_pre": [40, 12, 30], "n_post": [1, 1, 1],
    ...                    "n_connections": [40, 12, 30]})
    >>> ax = connectivity_matrix(df)
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title()
    (['KCab', 'KCg'], 'weight: type → type')
"""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack, cast

import attrs
import numpy as np
import pandas as pd

from .errors import InvalidArgument, MissingDependency
from .graph import EdgeTable, edge_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DrawOptions",
    "MatrixOptions",
    "PlotOptions",
    "connection_matrix",
    "connectivity_matrix",
    "save_connectivity_matrix",
]

Order = Literal["weight", "label"]

#: Both sides at most this many labels: every cell gets its value written in it.
ANNOTATE_UP_TO = 20

#: Matrices with more cells than this are drawn cell by cell (only the connections), so a
#: large sparse neuron-level matrix stays fast and no connection falls between two pixels.
DENSE_UP_TO = 250_000


class MatrixOptions(TypedDict, total=False):
    """The keywords that choose the matrix (:func:`connection_matrix`, and the picture's);
    :class:`DrawOptions` choose how it is drawn, :class:`PlotOptions` is both.

    Example:
        >>> import pandas as pd
        >>> options: MatrixOptions = {"by": "type", "order": "label"}
        >>> df = pd.DataFrame({"type_pre": ["B", "A"], "type_post": ["C", "C"], "weight": [1, 2]})
        >>> connection_matrix(df, **options).index.tolist()
        ['A', 'B']
    """

    #: group a neuron-level table by these properties (``type``, ``instance``...); default:
    #: body ids for a neuron-level table, the table's own groups for an aggregated one
    by: str | Sequence[str] | None
    #: the column summed per cell (default ``"weight"``)
    value: str
    #: one ROI, or non-overlapping ROIs to sum, of a table with a ``roi`` column
    roi: str | Sequence[str] | None
    #: ``"weight"`` (default: strongest first) or ``"label"``
    order: Order
    #: the exact rows or columns, in order (nodes absent from the table are zeros)
    rows: Sequence[Any] | None
    columns: Sequence[Any] | None
    #: the property that labels neurons (default ``"type"``; ``None``: ids only)
    label: str | None
    #: a neuron table (with ``bodyId``) supplying properties the connection table lacks
    neurons: pd.DataFrame | None


class DrawOptions(TypedDict, total=False):
    """The keywords that choose how the matrix is drawn (:func:`connectivity_matrix`)."""

    #: a logarithmic colour scale (default ``False``)
    log: bool
    #: write each value in its cell (default: when both sides have at most ANNOTATE_UP_TO)
    annotate: bool | None
    #: the matplotlib colormap (default ``"viridis"``)
    cmap: str
    #: the top of the colour scale (default: the largest value)
    vmax: float | None
    #: draw a colour bar (default ``True``)
    colorbar: bool
    #: past this many rows or columns the tick labels are left out (default 100)
    max_labels: int
    #: the title (default ``None``: e.g. ``"weight: type → type"``; ``""``: none)
    title: str | None


class PlotOptions(MatrixOptions, DrawOptions, total=False):
    """Every keyword of :func:`connectivity_matrix` but ``ax``."""


_MATRIX_OPTIONS = tuple(MatrixOptions.__annotations__)
_DRAW_OPTIONS = tuple(DrawOptions.__annotations__)


def connection_matrix(df: pd.DataFrame, **options: Unpack[MatrixOptions]) -> pd.DataFrame:
    """The matrix :func:`connectivity_matrix` draws: presynaptic nodes as rows, postsynaptic
    nodes as columns, ``value`` summed per cell, 0 where nothing connects.

    Nodes are body ids for neuron-level tables, or ``by`` (``type``, ``instance``, ...) for
    a ``group by`` table or to group a neuron-level one (neurons missing the property become
    ``"(no type)"``). A table with a ``roi`` column needs ``roi=`` (one ROI, or a list of
    non-overlapping ROIs to sum). ``order="weight"`` puts the strongest rows and columns
    first (total of ``value``; ties by label), ``order="label"`` sorts by label (neurons by
    their ``label`` property, then body id); ``rows``/``columns`` give the exact nodes and
    order instead (nodes absent from the table are rows of zeros). ``neurons`` (a table with
    ``bodyId``, like the neuron table of ``fetch_adjacencies``) supplies properties the
    connection table lacks, for ``label`` and ``by``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"bodyId_pre": [1, 1, 2], "bodyId_post": [3, 4, 4],
        ...                    "weight": [2, 9, 5]})
        >>> connection_matrix(df)
        bodyId_post  4  3
        bodyId_pre
        1            9  2
        2            5  0
        >>> connection_matrix(df, order="label", columns=[3, 4, 5]).to_numpy().tolist()
        [[2, 9, 0], [0, 5, 0]]
    """
    matrix, _ = _split(options, "connection_matrix", _MATRIX_OPTIONS)
    return _prepare(df, matrix).frame()


def connectivity_matrix(
    df: pd.DataFrame, *, ax: Axes | None = None, **options: Unpack[PlotOptions]
) -> Axes:
    """Draw a connection table as a heatmap and return the matplotlib ``Axes`` (its figure is
    ``ax.figure``).

    The matrix is :func:`connection_matrix` (``by``, ``value``, ``roi``, ``order``, ``rows``,
    ``columns``, ``label`` and ``neurons`` mean the same). Cells without a connection are left blank.
    ``log=True`` uses a logarithmic colour scale (weights span orders of magnitude);
    ``annotate`` writes each value in its cell (default: when both sides have at most
    :data:`ANNOTATE_UP_TO` labels); neurons are labelled ``"<type> <bodyId>"`` (``label``
    names the property, ``None`` for ids only); past ``max_labels`` rows or columns the tick
    labels are left out. ``ax`` draws into an existing Axes (a new figure otherwise, sized to
    the matrix); ``title=None`` gives e.g. ``"weight: type → type"``, ``""`` none.
    Needs matplotlib (extra ``[plot]``).

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> df = pd.DataFrame({"bodyId_pre": [1, 1, 2], "bodyId_post": [3, 4, 4],
        ...                    "weight": [2, 9, 5], "type_pre": ["A", "A", "B"],
        ...                    "type_post": ["C", None, None]})
        >>> ax = connectivity_matrix(df, log=True)
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['4', 'C 3']
        >>> sorted(t.get_text() for t in ax.texts)  # annotated cells
        ['2', '5', '9']
    """
    matrix, draw = _split(options, "connectivity_matrix", _MATRIX_OPTIONS + _DRAW_OPTIONS)
    _matplotlib()
    layout = _prepare(df, matrix)
    if ax is None:
        _, ax = _pyplot().subplots(
            figsize=_figure_size(layout.shape, draw.get("colorbar", True)), layout="constrained"
        )
    _draw(ax, layout, draw)
    return ax


def save_connectivity_matrix(
    df: pd.DataFrame, path: str | Path, *, dpi: int = 150, **options: Unpack[PlotOptions]
) -> Figure:
    """Draw :func:`connectivity_matrix` (``options`` are its keywords) into a new figure and
    write it to ``path`` (PNG, SVG, PDF, ... from the suffix); returns the figure. Uses no
    GUI backend, so it works on servers and in scripts.

    Example:
        >>> import pandas as pd, tempfile, os
        >>> df = pd.DataFrame({"type_pre": ["A", "B"], "type_post": ["C", "C"], "weight": [3, 4]})
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     fig = save_connectivity_matrix(df, os.path.join(tmp, "m.png"), log=True)
        ...     os.path.getsize(os.path.join(tmp, "m.png")) > 1000
        True
    """
    matrix, draw = _split(
        options,
        "save_connectivity_matrix",
        _MATRIX_OPTIONS + _DRAW_OPTIONS,
        " (and draws into its own figure)",
    )
    _matplotlib()
    from matplotlib.figure import Figure

    path = Path(path)
    supported = Figure().canvas.get_supported_filetypes()
    suffix = path.suffix.lower().lstrip(".")
    if suffix and suffix not in supported:
        raise InvalidArgument(
            f"cannot write a picture as {path.name!r}: use one of "
            f"{', '.join('.' + s for s in sorted(supported))}"
        )
    layout = _prepare(df, matrix)
    figure = Figure(
        figsize=_figure_size(layout.shape, draw.get("colorbar", True)), layout="constrained"
    )
    ax = figure.add_subplot()
    _draw(ax, layout, draw)
    figure.savefig(path, dpi=dpi)
    return figure


# ---------------------------------------------------------------------------------------------


def _split(
    options: Mapping[str, Any], caller: str, accepted: tuple[str, ...], more: str = ""
) -> tuple[MatrixOptions, DrawOptions]:
    """``options`` as the matrix's and the drawing's keywords; an unknown keyword is an
    :class:`~neuprint_dsl.errors.InvalidArgument` naming the ones ``caller`` takes."""
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InvalidArgument(
            f"{caller} got unknown option(s) {', '.join(unknown)}; it takes "
            f"{', '.join(accepted)}{more}"
        )
    matrix = cast(MatrixOptions, {k: options[k] for k in _MATRIX_OPTIONS if k in options})
    draw = cast(DrawOptions, {k: options[k] for k in _DRAW_OPTIONS if k in options})
    return matrix, draw


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingDependency("matplotlib", "plot", "neuprint_dsl.plot") from None
    return matplotlib


def _pyplot() -> Any:
    _matplotlib()
    import matplotlib.pyplot as plt

    return plt


@attrs.frozen
class _Layout:
    """The matrix as its non-zero cells: row ``i``, column ``j``, value ``v``."""

    table: EdgeTable
    row_keys: list[Any]
    col_keys: list[Any]
    i: np.ndarray
    j: np.ndarray
    v: np.ndarray
    label: str | None
    order: Order | None  # None: rows and columns given by the caller

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_keys), len(self.col_keys)

    def dense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.v.dtype)
        np.add.at(out, (self.i, self.j), self.v)
        return out

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.dense(),
            index=_index(self.row_keys, self.table.keys, "pre"),
            columns=_index(self.col_keys, self.table.keys, "post"),
        )


def _index(keys: list[Any], names: tuple[str, ...], side: str) -> pd.Index:
    index: pd.Index
    if len(names) == 1:
        index = pd.Index(keys, name=f"{names[0]}_{side}", dtype=None if keys else object)
    else:
        index = pd.MultiIndex.from_tuples(keys, names=[f"{n}_{side}" for n in names])
    return index


def _prepare(df: pd.DataFrame, options: MatrixOptions) -> _Layout:
    """The matrix of ``df`` chosen by ``options`` (:class:`MatrixOptions`, defaults here)."""
    order = options.get("order", "weight")
    rows, columns = options.get("rows"), options.get("columns")
    label = options.get("label", "type")
    if order not in ("weight", "label"):
        raise InvalidArgument(f"order={order!r}: use 'weight' or 'label'")
    table = edge_table(
        df,
        by=options.get("by"),
        value=options.get("value", "weight"),
        roi=options.get("roi"),
        neurons=options.get("neurons"),
    )
    edges = table.edges
    if edges.empty and rows is None and columns is None:
        raise InvalidArgument("nothing to draw: the connection table has no rows")
    values = edges[table.value]
    dtype = "int64" if pd.api.types.is_integer_dtype(values) else "float64"
    v_all = values.to_numpy(dtype=dtype)
    pre, post = edges["pre"].tolist(), edges["post"].tolist()
    nodes = table.nodes

    missing = table.missing_labels()

    def sort_key(key: Any) -> tuple[Any, ...]:
        prop = nodes.get(key, {}).get(label) if label and nodes else None
        return (*_label_key(prop, missing=prop is None), *_label_key(key, missing))

    def ordered(keys: list[Any]) -> list[Any]:
        totals: dict[Any, Any] = {}
        for key, w in zip(keys, v_all.tolist(), strict=True):
            totals[key] = totals.get(key, 0) + w
        if order == "label":
            return sorted(totals, key=sort_key)
        return sorted(totals, key=lambda k: (-totals[k], sort_key(k)))

    row_keys = ordered(pre) if rows is None else _given(rows, "rows")
    col_keys = ordered(post) if columns is None else _given(columns, "columns")
    row_at = {k: n for n, k in enumerate(row_keys)}
    col_at = {k: n for n, k in enumerate(col_keys)}
    i = np.array([row_at.get(k, -1) for k in pre], dtype=np.int64)
    j = np.array([col_at.get(k, -1) for k in post], dtype=np.int64)
    keep = (i >= 0) & (j >= 0)
    return _Layout(
        table=table,
        row_keys=row_keys,
        col_keys=col_keys,
        i=i[keep],
        j=j[keep],
        v=v_all[keep],
        label=label,
        order=order if rows is None and columns is None else None,
    )


def _given(keys: Sequence[Any], what: str) -> list[Any]:
    if isinstance(keys, str) or not isinstance(keys, Sequence | np.ndarray | pd.Index | pd.Series):
        raise InvalidArgument(f"{what}=: expected a list of node keys, got {keys!r}")
    plain = [k.item() if isinstance(k, np.generic) else k for k in keys]
    seen: set[Any] = set()
    for key in plain:
        if key in seen:
            raise InvalidArgument(f"{what}=: {key!r} is listed twice")
        seen.add(key)
    return plain


def _label_key(
    value: Any, missing_labels: frozenset[str] = frozenset(), missing: bool = False
) -> tuple[Any, ...]:
    """Sorts numbers numerically, then strings, the ``(no type)`` node and missing last;
    tuples (several properties) component by component."""
    if isinstance(value, tuple):
        return (1, tuple(_label_key(v, missing_labels) for v in value), "")
    if missing or (isinstance(value, str) and value in missing_labels):
        return (2, 0, "")
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, value, "")
    return (1, 0, str(value))


def _tick_labels(keys: Sequence[Hashable], table: EdgeTable, label: str | None) -> list[str]:
    out = []
    for key in keys:
        prop = table.nodes.get(key, {}).get(label) if label and table.nodes else None
        text = ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        out.append(f"{prop} {text}" if prop is not None else text)
    return out


def _figure_size(shape: tuple[int, int], colorbar: bool) -> tuple[float, float]:
    rows, columns = shape
    width = min(max(3.0 + 0.32 * columns + (1.2 if colorbar else 0.0), 5.0), 16.0)
    height = min(max(2.5 + 0.32 * rows, 4.0), 14.0)
    return width, height


def _draw(ax: Axes, layout: _Layout, options: DrawOptions) -> None:
    """Draw ``layout`` into ``ax`` as ``options`` say (:class:`DrawOptions`, defaults here)."""
    log, annotate = options.get("log", False), options.get("annotate")
    cmap, vmax = options.get("cmap", "viridis"), options.get("vmax")
    colorbar, max_labels = options.get("colorbar", True), options.get("max_labels", 100)
    title = options.get("title")
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import LogNorm, Normalize

    table = layout.table
    n_rows, n_cols = layout.shape
    shown = layout.v != 0  # a zero is no connection: left blank
    i, j, v = layout.i[shown], layout.j[shown], layout.v[shown].astype("float64")
    top = float(vmax) if vmax is not None else float(v.max()) if v.size else 1.0
    norm: Normalize
    if log:
        if (v < 0).any():
            raise InvalidArgument(f"log=True: {table.value!r} has negative values")
        low = float(v.min()) if v.size else 1.0
        norm = LogNorm(vmin=low, vmax=top if top > low else low * 10)
    else:
        low = min(float(v.min()) if v.size else 0.0, 0.0)
        norm = Normalize(vmin=low, vmax=top if top > low else low + 1)
    mappable: Any
    if n_rows * n_cols <= DENSE_UP_TO:
        cells = np.full(layout.shape, np.nan)
        cells[i, j] = v
        mappable = ax.imshow(
            np.ma.masked_invalid(cells),
            cmap=cmap,
            norm=norm,
            aspect="auto",
            interpolation="nearest",
        )
    else:
        strongest_last = np.argsort(v, kind="stable")
        x, y = j[strongest_last], i[strongest_last]
        squares = np.stack(
            [
                np.column_stack([x - 0.5, y - 0.5]),
                np.column_stack([x + 0.5, y - 0.5]),
                np.column_stack([x + 0.5, y + 0.5]),
                np.column_stack([x - 0.5, y + 0.5]),
            ],
            axis=1,
        )
        # an edge in the face colour keeps cells smaller than a pixel visible
        mappable = PolyCollection(
            list(squares), array=v[strongest_last], cmap=cmap, norm=norm, linewidths=0.4
        )
        mappable.set_edgecolor("face")
        ax.add_collection(mappable)
        ax.set_xlim(-0.5, n_cols - 0.5)
        ax.set_ylim(n_rows - 0.5, -0.5)

    what = "neuron" if table.by == "bodyId" else table.by
    for axis, count, keys, side in (
        ("y", n_rows, layout.row_keys, "presynaptic"),
        ("x", n_cols, layout.col_keys, "postsynaptic"),
    ):
        notes = [f"by total {table.value}"] if layout.order == "weight" else []
        if 0 < count <= max_labels:
            size = 9 if count <= 30 else 7 if count <= 60 else 5
            texts = _tick_labels(keys, table, layout.label)
            if axis == "x":
                ax.set_xticks(range(count), texts, rotation=90, fontsize=size)
            else:
                ax.set_yticks(range(count), texts, fontsize=size)
        else:
            (ax.set_xticks if axis == "x" else ax.set_yticks)([])
            notes.append(f"{count:,}, labels hidden")
        name = f"{side} {what}" + (f"\n({'; '.join(notes)})" if notes else "")
        (ax.set_xlabel if axis == "x" else ax.set_ylabel)(name)
    if n_rows <= 60 and n_cols <= 60:
        ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
        ax.grid(which="minor", color="0.92", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    if annotate is None:
        annotate = n_rows <= ANNOTATE_UP_TO and n_cols <= ANNOTATE_UP_TO
    if annotate:
        colormap = mappable.get_cmap()
        integral = bool(np.all(np.mod(v, 1) == 0))
        for row, column, x in zip(i.tolist(), j.tolist(), v.tolist(), strict=True):
            r, g, b, _ = colormap(norm(x))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(
                column,
                row,
                f"{int(x)}" if integral else f"{x:.3g}",
                ha="center",
                va="center",
                fontsize=8 if max(n_rows, n_cols) <= 12 else 6,
                color="white" if dark else "black",
            )
    if colorbar:
        bar = ax.figure.colorbar(mappable, ax=ax)
        bar.set_label(table.value + (" (log scale)" if log else ""))
    if title is None:
        title = f"{table.value}: {what} → {what}"
    if title:
        # wrap long titles (a whole query, say) to the width of the axes
        size = 12 if len(title) <= 40 else 10
        inches = ax.bbox.width / ax.figure.dpi
        width = max(20, int(inches * 72 / (0.6 * size)))
        ax.set_title(textwrap.fill(title, width, break_long_words=False), fontsize=size)
