"""neuprint-python's table helpers (``neuprint.utils`` and ``neuprint.wrangle``), on pandas.

Each function takes the DataFrames the compat query functions return (the same shapes as
neuprint-python's) and gives neuprint-python's answer, except where neuprint-python silently
loses data; those differences are listed in docs/migrating.md and pinned by tests:

* ``connection_table_to_matrix`` keeps connections whose group value is missing (``None``)
  as their own row or column with their weights (neuprint-python drops their weights and
  leaves a row of NaN);
* ``bilateral_syndist(bodies=...)`` keeps the listed bodies (neuprint-python's filter
  compares against the table itself);
* bad input raises :class:`~neuprint_dsl.errors.UnknownField` (a missing column) or
  :class:`~neuprint_dsl.errors.InvalidArgument`, not ``AssertionError`` or ``KeyError``.

Example:
    >>> import pandas as pd
    >>> conn = pd.DataFrame({"bodyId_pre": [1, 1, 2], "bodyId_post": [2, 3, 3], "weight": [5, 1, 7]})
    >>> neurons = pd.DataFrame({"bodyId": [1, 2, 3], "type": ["A", "B", "B"]})
    >>> conn = merge_neuron_properties(neurons, conn, "type")
    >>> connection_table_to_matrix(conn, "type")
    type_post   B
    type_pre
    A           6
    B           7
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from ..cypher.literals import quote_identifier
from ..errors import InvalidArgument, InvalidValue, UnknownField

__all__ = [
    "assign_sides_in_groups",
    "available_datasets",
    "bilateral_syndist",
    "connection_table_to_matrix",
    "cypher_identifier",
    "ensure_list",
    "iter_batches",
    "merge_neuron_properties",
    "syndist_matrix",
]

T = TypeVar("T")


# ---------------------------------------------------------------------------------------
# small helpers


def ensure_list(x: Any) -> list[Any]:
    """``x`` as a plain list: ``None`` -> ``[]``, a string or a scalar -> ``[x]``, arrays,
    Series and other collections -> their items (numpy scalars become Python numbers; other
    items are kept as they are).

    Example:
        >>> import numpy as np
        >>> ensure_list(None), ensure_list("MB(R)"), ensure_list(np.array([1, 2])), ensure_list(3)
        ([], ['MB(R)'], [1, 2], [3])
        >>> ensure_list((1, "a"))
        [1, 'a']
    """
    if x is None:
        return []
    if isinstance(x, np.ndarray | pd.Series | pd.Index):
        return list(x.tolist())
    if isinstance(x, str | bytes) or not isinstance(x, Collection):
        return [x]
    # items keep their types (neuprint-python's numpy round trip turns [1, "a"] into strings)
    return [v.item() if isinstance(v, np.generic) else v for v in x]


class _Batches(Generic[T]):
    """The batches of :func:`iter_batches` (re-iterable)."""

    def __init__(self, items: Iterable[T], size: int) -> None:
        self.items = items
        self.size = size

    def __iter__(self) -> Iterator[Any]:
        items, size = self.items, self.size
        if isinstance(items, pd.DataFrame | pd.Series):
            for start in range(0, len(items), size):
                yield items.iloc[start : start + size]
            return
        if isinstance(items, list | np.ndarray | tuple | range | str):
            for start in range(0, len(items), size):
                yield items[start : start + size]
            return
        iterator = iter(items)
        while True:
            batch = []
            for item in iterator:
                batch.append(item)
                if len(batch) == size:
                    break
            if not batch:
                return
            yield batch
            if len(batch) < size:
                return


class _SizedBatches(_Batches[T]):
    def __len__(self) -> int:
        return -(-len(self.items) // self.size)  # type: ignore[arg-type]


def iter_batches(it: Iterable[T], batch_size: int) -> _Batches[T]:
    """``it`` in consecutive batches of ``batch_size`` items (the last may be smaller): slices
    of a list, array, Series or DataFrame, lists for any other iterable. ``len()`` works when
    ``it`` has a length.

    Example:
        >>> batches = iter_batches([1, 2, 3, 4, 5], 2)
        >>> len(batches), list(batches)
        (3, [[1, 2], [3, 4], [5]])
        >>> list(iter_batches(iter("abc"), 2))
        [['a', 'b'], ['c']]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise InvalidArgument(f"batch_size must be an int >= 1, not {batch_size!r}")
    if batch_size < 1:
        raise InvalidArgument(f"batch_size must be an int >= 1, not {batch_size!r}")
    if hasattr(it, "__len__"):
        return _SizedBatches(it, int(batch_size))
    return _Batches(it, int(batch_size))


def cypher_identifier(name: str) -> str:
    """``name`` as a Cypher identifier: unchanged when it is a plain name, otherwise in
    backticks, with any backtick inside doubled (neuprint-python leaves it as is, which
    closes the quote early).

    Example:
        >>> cypher_identifier("bodyId"), cypher_identifier("MB(R)"), cypher_identifier("a`b")
        ('bodyId', '`MB(R)`', '`a``b`')
    """
    if not isinstance(name, str):
        raise InvalidArgument(f"an identifier must be a string, not {type(name).__name__}")
    return quote_identifier(name)


def available_datasets(
    server: str, token: str | None = None, *, timeout: float = 60.0
) -> list[str]:
    """The names of the datasets a neuPrint server offers (``GET /api/dbmeta/datasets``); the
    token comes from the argument or ``NEUPRINT_APPLICATION_CREDENTIALS``.

    Example:
        >>> available_datasets("neuprint.janelia.org")  # doctest: +SKIP
        ['hemibrain:v1.2.1', 'manc:v1.0', ...]
    """
    from ..transports.neuprint_http import NeuprintHTTP

    token = token or os.environ.get("NEUPRINT_APPLICATION_CREDENTIALS")
    if not token:
        raise InvalidArgument("no token: pass token=... or set NEUPRINT_APPLICATION_CREDENTIALS")
    # the route needs no dataset; the transport's dataset name is never sent here
    with NeuprintHTTP(server, "-", token, timeout=timeout, check_names=False) as transport:
        answer = transport.get_json("/api/dbmeta/datasets")
    if not isinstance(answer, dict | list):
        raise InvalidValue(f"the server's dataset list is not a JSON object: {answer!r:.80}")
    return [str(name) for name in answer]


# ---------------------------------------------------------------------------------------
# connection tables


def _require(frame: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument(f"{where} must be a DataFrame, not {type(frame).__name__}")
    for column in columns:
        if column not in frame.columns:
            raise UnknownField(str(column), [str(c) for c in frame.columns], where)


def _pair(value: str | Sequence[str], what: str) -> tuple[str, str]:
    if isinstance(value, str):
        return f"{value}_pre", f"{value}_post"
    pair = list(value)
    if len(pair) != 2 or not all(isinstance(v, str) for v in pair):
        raise InvalidArgument(
            f"{what} must be a name (e.g. 'type') or two column names "
            f"(e.g. ('type_pre', 'type_post')), not {value!r}"
        )
    return pair[0], pair[1]


def merge_neuron_properties(
    neuron_df: pd.DataFrame,
    conn_df: pd.DataFrame,
    properties: str | Iterable[str] = ("type", "instance"),
) -> pd.DataFrame:
    """``conn_df`` with ``<property>_pre`` and ``<property>_post`` columns taken from
    ``neuron_df`` (matched on ``bodyId``) for each of ``properties``; columns of those names
    already in ``conn_df`` are replaced. Bodies missing from ``neuron_df`` get NaN. Returns a
    new frame with a fresh index, as neuprint-python does.

    Example:
        >>> import pandas as pd
        >>> conn = pd.DataFrame({"bodyId_pre": [1, 2], "bodyId_post": [2, 3], "weight": [5, 7]})
        >>> neurons = pd.DataFrame({"bodyId": [1, 2], "type": ["A", "B"], "size": [10, 20]})
        >>> merge_neuron_properties(neurons, conn, ["type", "size"])
           bodyId_pre  bodyId_post  weight type_pre  size_pre type_post  size_post
        0           1            2       5        A        10         B       20.0
        1           2            3       7        B        20       NaN        NaN
    """
    names = [str(p) for p in ensure_list(properties)]
    _require(neuron_df, ["bodyId", *names], "neuron_df")
    _require(conn_df, ["bodyId_pre", "bodyId_post"], "conn_df")
    table = neuron_df[["bodyId", *names]]
    ids = pd.Index(table["bodyId"])
    if not ids.is_unique:
        repeated = sorted(set(ids[ids.duplicated()].tolist()))[:5]
        raise InvalidValue(f"neuron_df lists a bodyId more than once: {repeated}")
    added = [f"{p}_{side}" for side in ("pre", "post") for p in names]
    out = conn_df.drop(columns=[c for c in added if c in conn_df.columns]).reset_index(drop=True)
    for side in ("pre", "post"):
        rows = ids.get_indexer(out[f"bodyId_{side}"])
        found = rows >= 0
        for name in names:
            source = table[name].reset_index(drop=True)
            if found.all():
                values = source.take(rows).reset_index(drop=True)
            else:  # missing bodies are NaN, in the dtype pandas gives a column with NaN
                values = source.reindex(np.where(found, rows, -1)).reset_index(drop=True)
            out[f"{name}_{side}"] = values
    return out


def connection_table_to_matrix(
    conn_df: pd.DataFrame,
    group_cols: str | Sequence[str] = "bodyId",
    weight_col: str = "weight",
    sort_by: str | Sequence[str] | None = None,
    make_square: bool = False,
) -> pd.DataFrame:
    """A weighted adjacency matrix from a connection table: one row per value of the pre
    column, one column per value of the post column (``group_cols``: two column names, or one
    name to which ``_pre`` and ``_post`` are appended), each cell the sum of ``weight_col``
    over the rows with that pair (0 where there are none), in ``weight_col``'s dtype.

    Rows and columns come in order of first appearance, or, with ``sort_by`` (two column
    names, or one name plus the suffixes), in order of those columns (stable: ties keep the
    table's order). With ``make_square=True`` the rows and the columns are both the union of
    the two sides, sorted; the cells added are 0.0 (in float columns, as neuprint-python).
    A missing group value (``None``) is a row or column of its own.

    Example:
        >>> import pandas as pd
        >>> conn = pd.DataFrame({"bodyId_pre": [3, 1, 3], "bodyId_post": [1, 2, 2], "weight": [5, 1, 7]})
        >>> connection_table_to_matrix(conn)
        bodyId_post  1  2
        bodyId_pre
        3            5  7
        1            0  1
        >>> connection_table_to_matrix(conn, make_square=True)
        bodyId_post    1    2    3
        bodyId_pre
        1            0.0  1.0  0.0
        2            0.0  0.0  0.0
        3            5.0  7.0  0.0
    """
    col_pre, col_post = _pair(group_cols, "group_cols")
    _require(conn_df, [col_pre, col_post, weight_col], "conn_df")
    dtype = conn_df[weight_col].dtype
    pre_codes, pre_values = pd.factorize(conn_df[col_pre], use_na_sentinel=False)
    post_codes, post_values = pd.factorize(conn_df[col_post], use_na_sentinel=False)
    weights = conn_df[weight_col]
    integral = pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    work = np.int64 if integral else np.float64
    # missing weights add nothing, as in a pandas sum
    numbers = weights.fillna(0).to_numpy(dtype=work) if len(weights) else np.zeros(0, work)
    cells = np.zeros((len(pre_values), len(post_values)), dtype=work)
    np.add.at(cells, (pre_codes, post_codes), numbers)
    matrix = pd.DataFrame(
        cells,
        index=_labels(pre_values, conn_df[col_pre], col_pre),
        columns=_labels(post_values, conn_df[col_post], col_post),
    ).astype(dtype)
    if sort_by:
        sort_pre, sort_post = _pair(sort_by, "sort_by")
        _require(conn_df, [sort_pre, sort_post], "conn_df")
        pre_order = conn_df.sort_values(sort_pre, kind="stable")[col_pre].unique()
        post_order = conn_df.sort_values(sort_post, kind="stable")[col_post].unique()
        matrix = matrix.loc[pd.Index(pre_order, name=col_pre), pd.Index(post_order, name=col_post)]
    if make_square:
        matrix = _squared(matrix, col_pre, col_post)
    return matrix


def _labels(values: Any, column: pd.Series[Any], name: str) -> pd.Index[Any]:
    """The matrix labels: in the column's dtype, except that an object column's labels get
    the dtype pandas infers for them (strings: pandas' string dtype), as a pivot gives."""
    labels: pd.Index[Any]
    if column.dtype == object:
        labels = pd.Index(list(values), name=name)
    else:
        labels = pd.Index(values, name=name, dtype=column.dtype)
    return labels


def _square_key(value: Any) -> Any:
    # neuprint-python sorts with ``s if s else ""``: None (and 0, and "") first; NaN too here
    # (neuprint-python raises a TypeError on it)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value if value else ""


def _squared(matrix: pd.DataFrame, col_pre: str, col_post: str) -> pd.DataFrame:
    rows, columns = list(matrix.index), list(matrix.columns)
    labels = list(dict.fromkeys([*rows, *columns]))
    try:
        labels.sort(key=_square_key)
    except TypeError as err:
        raise InvalidValue(
            f"make_square needs {col_pre} and {col_post} values that can be sorted together: {err}"
        ) from None
    full = matrix.reindex(index=labels, columns=labels)
    new_rows = len(labels) > len(set(rows))
    dtypes = {
        c: (matrix[c].dtype if c in set(columns) and not new_rows else np.dtype(np.float64))
        for c in labels
    }
    full = full.fillna(0.0).astype(dtypes)
    full.index.name, full.columns.name = col_pre, col_post
    return full


# ---------------------------------------------------------------------------------------
# synapse distributions (neuprint.wrangle)


def _syn_columns(syn_columns: Iterable[str] | None) -> list[str]:
    return [str(c) for c in ensure_list(syn_columns)]


def syndist_matrix(
    syndist: pd.DataFrame,
    rois: Iterable[str] | None = None,
    syn_columns: Iterable[str] | None = ("pre", "post"),
    flatten_column_index: bool = False,
) -> pd.DataFrame:
    """A per-ROI synapse table (``fetch_neurons(...)[1]``) pivoted to one row per body: columns
    ``(column, roi)`` for each of ``syn_columns`` and each ROI (sorted), 0 where a body has no
    row; ``flatten_column_index=True`` names them ``"<roi>-<column>"``. ``rois`` keeps only
    those ROIs.

    Example:
        >>> import pandas as pd
        >>> syndist = pd.DataFrame({"bodyId": [1, 1, 2], "roi": ["EB", "FB", "FB"],
        ...                         "pre": [3, 4, 5], "post": [6, 7, 8]})
        >>> syndist_matrix(syndist)
               pre    post
        roi     EB FB   EB FB
        bodyId
        1        3  4    6  7
        2        0  5    0  8
        >>> syndist_matrix(syndist, ["FB"], ["post"], flatten_column_index=True)
                FB-post
        bodyId
        1             7
        2             8
    """
    _require(syndist, ["bodyId", "roi"], "syndist")
    if rois is not None:
        syndist = syndist[syndist["roi"].isin(ensure_list(rois))]
    columns = _syn_columns(syn_columns)
    if columns:
        _require(syndist, columns, "syndist")
        syndist = syndist[["bodyId", "roi", *columns]]
    keyed = syndist.set_index(["bodyId", "roi"])
    if not keyed.index.is_unique:
        repeated = keyed.index[keyed.index.duplicated()].tolist()[:3]
        raise InvalidValue(f"syndist has more than one row for (bodyId, roi) {repeated}")
    matrix = keyed.unstack(fill_value=0)
    assert isinstance(matrix, pd.DataFrame)  # a frame's unstack is a frame
    if flatten_column_index:
        pairs: list[Any] = list(matrix.columns)
        matrix.columns = pd.Index([f"{roi}-{column}" for column, roi in pairs])
    return matrix


def bilateral_syndist(
    syndist: pd.DataFrame,
    bodies: Iterable[int] | None = None,
    rois: Iterable[str] | None = None,
    syn_columns: Iterable[str] | None = ("pre", "post"),
) -> pd.DataFrame:
    """A per-ROI synapse table with each left/right pair of ROIs (``X(L)``, ``X(R)``) summed
    into one ``X(LR)`` row per body; other ROIs are kept as they are. Sorted by body and ROI.
    ``bodies`` and ``rois`` keep only those bodies and ROIs first.

    Example:
        >>> import pandas as pd
        >>> syndist = pd.DataFrame({"bodyId": [1, 1, 1], "roi": ["EB", "LAL(L)", "LAL(R)"],
        ...                         "pre": [3, 4, 5], "post": [6, 7, 8]})
        >>> bilateral_syndist(syndist)
           bodyId      roi  pre  post
        0       1       EB    3     6
        0       1  LAL(LR)    9    15
    """
    _require(syndist, ["bodyId", "roi"], "syndist")
    if bodies is not None:
        syndist = syndist[syndist["bodyId"].isin(ensure_list(bodies))].copy()
    if rois is not None:
        syndist = syndist[syndist["roi"].isin(ensure_list(rois))].copy()
    columns = _syn_columns(syn_columns)
    if columns:
        _require(syndist, columns, "syndist")
        syndist = syndist[["bodyId", "roi", *columns]]
    sided = syndist["roi"].astype(str).str.fullmatch(r".*\((?:L|R)\)")
    medial = syndist[~sided].copy()
    lateral = syndist[sided].copy()
    lateral["roi"] = lateral["roi"].str.slice(0, -3)
    summed = lateral.groupby(["bodyId", "roi"], as_index=False).sum()
    summed["roi"] = summed["roi"] + "(LR)"
    return pd.concat((medial, summed)).sort_values(["bodyId", "roi"], kind="stable")


def _side_counts(syndist: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per body: the ``column`` synapse counts in left ``(L)``, medial and right ``(R)``
    ROIs, as columns ``L, M, R`` (0 where none)."""
    side = syndist["roi"].astype(str).str.extract(r".*\((R|L)\)", expand=False)
    side = side.where(side.notna(), "M")
    counts = syndist.groupby([syndist["bodyId"], side.rename("side")])[column].sum()
    table = counts.unstack(fill_value=0) if len(counts) else pd.DataFrame()
    return table.reindex(columns=["L", "M", "R"], fill_value=0)


def _biased_side(counts: pd.DataFrame, least: int, bias: float) -> pd.Series[Any]:
    """The side (``L``/``R``) holding most synapses of each body with at least ``least``
    synapses and more than ``bias`` of its lateral ones on one side; missing otherwise (and
    when the medial ROIs hold the most)."""
    left, medial, right = (counts[c].astype(np.float64) for c in ("L", "M", "R"))
    lateral = left + right
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = (left + medial + right >= least) & (
            (left / lateral > bias) | (right / lateral > bias)
        )
    kept = counts[keep]
    # the first largest of L, M, R (in that order), as DataFrame.idxmax
    best = kept[["L", "M", "R"]].to_numpy().argmax(axis=1) if len(kept) else np.zeros(0, int)
    sides = pd.Series(np.array(["L", "M", "R"], dtype=object)[best], index=kept.index)
    return sides.where(sides != "M", np.nan)


def assign_sides_in_groups(
    neurons: pd.DataFrame,
    syndist: pd.DataFrame,
    primary_rois: Iterable[str] | None = None,
    min_pre: int = 50,
    min_post: int = 100,
    min_bias: float = 0.7,
) -> pd.DataFrame:
    """Each neuron's side (``L``/``R``), agreed within its ``group``, as neuprint-python's
    ``neuprint.wrangle.assign_sides_in_groups``: for each group (neurons with no ``group`` get
    none), the first rule that gives every member a side wins: its ``somaSide``; the
    ``_L``/``_R`` in its ``instance``; the side of most of its post-synapses, else of its
    pre-synapses, in ``(L)``/``(R)`` ROIs (only for neurons with at least ``min_post`` /
    ``min_pre`` of them and more than ``min_bias`` of the lateral ones on one side, and not
    when members disagree on projecting to the same or the other side).

    ``neurons`` needs ``bodyId, instance, group, somaSide`` and ``syndist`` ``bodyId, roi,
    pre, post`` (``fetch_neurons``' two tables); ``primary_rois`` keeps only those ROIs (to
    count no synapse twice). Returns, indexed by ``bodyId``: ``instanceSide, preSide,
    postSide, consensusSide, consensusSideMethod`` (``None`` where undecided).

    Example:
        >>> import pandas as pd
        >>> neurons = pd.DataFrame({"bodyId": [1, 2], "instance": ["X_L", "X_R"],
        ...                         "group": [10, 10], "somaSide": [None, "R"]})
        >>> syndist = pd.DataFrame({"bodyId": [1, 2], "roi": ["FB", "FB"], "pre": [0, 0],
        ...                         "post": [0, 0]})
        >>> assign_sides_in_groups(neurons, syndist)[["consensusSide", "consensusSideMethod"]]
               consensusSide consensusSideMethod
        bodyId
        1                  L        instanceSide
        2                  R        instanceSide
    """
    _require(neurons, ["bodyId", "instance", "group", "somaSide"], "neurons")
    _require(syndist, ["bodyId", "roi", "pre", "post"], "syndist")
    table = neurons.copy()
    table.index = pd.Index(table["bodyId"], name="bodyId")
    table["instanceSide"] = (
        table["instance"].astype(str).str.extract(r".*_(R|L)(_.*)?", expand=True)[0]
    )
    if primary_rois is not None:
        syndist = syndist[syndist["roi"].isin(ensure_list(primary_rois))]
    table["preSide"] = _biased_side(_side_counts(syndist, "pre"), min_pre, min_bias)
    table["postSide"] = _biased_side(_side_counts(syndist, "post"), min_post, min_bias)
    sides: dict[Any, Any] = {}
    methods: dict[Any, str] = {}
    for _, members in table.groupby("group"):
        chosen: str | None = None
        if members["somaSide"].isin(["L", "R"]).all():
            chosen = "somaSide"
        elif members["instanceSide"].notna().all():
            chosen = "instanceSide"
        elif members["postSide"].notna().all() or members["preSide"].notna().all():
            both = members["preSide"].notna() & members["postSide"].notna()
            same = members.loc[both, "preSide"] == members.loc[both, "postSide"]
            if not (same.any() and not same.all()):  # members agree on ipsi/contra
                chosen = "postSide" if members["postSide"].notna().all() else "preSide"
        if chosen is not None:
            sides.update(members[chosen].items())
            methods.update(dict.fromkeys(members.index, chosen))
    result = table[["instanceSide", "preSide", "postSide"]].copy()
    for name, values in (("consensusSide", sides), ("consensusSideMethod", methods)):
        column = pd.Series(values, dtype=object).reindex(result.index)
        result[name] = column.astype(object).where(column.notna(), None)
    return result
