"""``fetch_adjacencies`` and ``fetch_traced_adjacencies``: connections between large sets of
neurons, per connection and per ROI, in batches (one request per batch on neuPrint), with
neuprint-python's ``export_dir`` files.

A neuprint-python behaviour deliberately not copied (with a regression test):
``fetch_adjacencies(min_total_weight=...)`` compares the connection's *total* weight across
all ROIs, as neuprint-python documents; its code sums only the per-ROI rows left after ROI
filtering.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..backends import NEO4J
from ..embedded.rois import NOT_PRIMARY
from ..errors import (
    InvalidArgument,
    TransportError,
)
from ..execute import run
from ..expr import and_, or_
from ..fields import E, N
from ..frames import shape
from ..query import Connections, connections, neurons
from .batches import client_progress, criteria_side, map_batches
from .client import Client, inject_client
from .criteria import NeuronCriteria, as_criteria
from .edges import (
    TOTAL_COLUMNS,
    compiled_connections,
    embedded_weights,
    int_column,
    roi_count,
    roi_infos,
    weight_properties,
)
from .properties import (
    DEFAULT_PROPERTIES,
    body_ids,
    fetch_properties,
    lacking_as_empty,
    property_columns,
    tolerated,
)

__all__ = ["fetch_adjacencies", "fetch_traced_adjacencies"]

_ROW_COLUMNS = ["bodyId_pre", "bodyId_post", "roi", "weight"]


@inject_client
def fetch_adjacencies(
    sources: Any = None,
    targets: Any = None,
    rois: Sequence[str] | str | None = None,
    min_roi_weight: int = 1,
    min_total_weight: int = 1,
    include_nonprimary: bool = False,
    export_dir: str | Path | None = None,
    batch_size: int = 200,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
    *,
    weight_props: str | Sequence[str] | None = "all",
    omit_rois: bool = False,
    threads: int = 4,
    client: Client | None = None,
    progress: bool | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Connections between large sets of neurons, one row per connection and ROI.

    Returns ``(neurons_df, roi_conn_df)``: the connected neurons with ``properties``, and rows
    ``bodyId_pre, bodyId_post, roi, weight``. Only primary ROIs are listed unless
    ``include_nonprimary``; weight outside every primary ROI is listed as ``NotPrimary``.
    Filters, in order: ``rois`` (rows in those ROIs), ``min_total_weight`` (the connection's
    total weight across all ROIs), ``min_roi_weight`` (each row). The larger side is fetched
    in batches of ``batch_size`` bodies, ``threads`` at a time, one request per batch on a
    neuPrint server, with a progress bar (``progress=None``: the client's ``progress``).

    ``weight_props`` (neuprint-python's argument) adds connection-strength columns after
    ``weight``: ``"all"`` (default: every one the dataset can have), a name such as
    ``"weightHP"``, a list, or ``None``/``["weight"]`` for ``weight`` alone; the per-ROI table
    has one only where the connections' ``roiInfo`` breaks it down by ROI. ``omit_rois=True``
    asks for no ROI breakdown: the second table is one row per connection,
    ``bodyId_pre, bodyId_post, weight`` (plus the ``weight_props``), and ``rois``,
    ``min_roi_weight`` and ``include_nonprimary`` cannot be used with it.

    ``export_dir`` also writes ``neurons.csv``, ``roi-connections.csv`` (not with
    ``omit_rois``) and ``total-connections.csv``, the latter as neuprint-python writes it:
    every connection fetched between the two sides with its true total ``weight``, not the
    sum of the ROI-filtered rows (see :func:`_export_threshold`).

    Example:
        >>> neurons_df, roi_conn_df = fetch_adjacencies([5813], None, rois=["FB"])  # doctest: +SKIP
    """
    assert client is not None
    if sources is None and targets is None:
        raise InvalidArgument("give sources, targets or both")
    if batch_size < 1 or threads < 1:
        raise InvalidArgument("batch_size and threads must be positive")
    if omit_rois:
        # without the per-ROI weights these cannot be honoured (neuprint-python refuses too)
        if rois:
            raise InvalidArgument(
                "rois cannot be used with omit_rois=True (it needs per-ROI weights)"
            )
        if min_roi_weight > 1:
            raise InvalidArgument(
                "min_roi_weight cannot be used with omit_rois=True; use min_total_weight"
            )
        if include_nonprimary:
            raise InvalidArgument("include_nonprimary has no meaning with omit_rois=True")
    extras = weight_properties(weight_props, client)
    roi_list = [rois] if isinstance(rois, str) else list(rois) if rois else None
    src, src_label = criteria_side(sources, client)
    tgt, tgt_label = criteria_side(targets, client)
    if roi_list:  # a prefilter with the same answer: an edge in ROI r joins two bodies in r
        # (neuprint-python adds it to a side only when that side names no ROI of its own,
        # which decides the connections total-connections.csv lists)
        in_rois = or_(*(N.roi(r) for r in roi_list))
        src = src if _names_rois(sources, client) else and_(src, in_rois)
        tgt = tgt if _names_rois(targets, client) else and_(tgt, in_rois)
    fetch_min = min_total_weight
    if export_dir is not None:
        fetch_min = min(fetch_min, _export_threshold(roi_list, min_roi_weight, min_total_weight))
    batch_sources = sources is not None
    side, side_label = (src, src_label) if batch_sources else (tgt, tgt_label)
    given = _plain_ids(sources if batch_sources else targets)
    if given is not None and not roi_list:
        # body ids as given: batches of them match what batches of the ids the side's
        # query would return match (an id no body has matches nothing), one request fewer
        ids = sorted(set(given))
    else:
        ids = run(client.transport, neurons(side, label=side_label, columns=["bodyId"]))[
            "bodyId"
        ].tolist()
    batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    on_neuprint = getattr(client.transport, "dialect", None) == NEO4J

    optional = tolerated(properties)
    wanted, read_columns = property_columns(client, list(properties), optional)
    # on neuPrint the batches also read the bodies' properties: no request for them after
    reads = read_columns[1:] if on_neuprint else None

    def fetch(batch: list[int]) -> _Batch:
        chosen = body_ids(batch)
        up, down = (chosen, tgt) if batch_sources else (src, chosen)
        kwargs: dict[str, Any] = {"upstream_label": src_label, "downstream_label": tgt_label}
        statement = connections(up, down, where=E.weight >= fetch_min, **kwargs)
        if on_neuprint:  # one request: totals, roiInfo and the two bodies' properties
            return _neuprint_adjacencies(
                client.transport, statement, extras, not omit_rois, min_total_weight, reads
            )
        totals = run(client.transport, statement)[TOTAL_COLUMNS]
        if extras:
            totals = embedded_weights(client, totals, extras)
        if omit_rois:
            return totals, _concat([], _ROW_COLUMNS), set(), None
        rows = run(
            client.transport,
            connections(up, down, where=E.weight >= min_total_weight, per_roi=True, **kwargs),
        )
        return totals, rows, set(), None

    show = client_progress(client) if progress is None else progress
    results = map_batches(fetch, batches, threads, show, "fetch_adjacencies")
    fetched = _concat([r[0] for r in results], [*TOTAL_COLUMNS, *extras])
    in_roi_info = set().union(*(r[2] for r in results)) if results else set()
    roi_extras = [p for p in extras if p in in_roi_info]
    unbroken = [p for p in extras if p not in roi_extras]
    if unbroken and not omit_rois and weight_props != "all":
        warnings.warn(
            "the connections' roiInfo does not break these weight_props down by ROI, so the "
            f"per-ROI table leaves them out (omit_rois=True returns their totals): {unbroken}",
            stacklevel=3,
        )
    # every connection between the sides (>= fetch_min), true weights
    totals = fetched[fetched["weight"] >= min_total_weight]
    if omit_rois:
        roi_conn = totals.sort_values(["bodyId_pre", "bodyId_post"], kind="stable")
        roi_conn = roi_conn.reset_index(drop=True)
    else:
        weights = ["weight", *roi_extras]
        primary = set(client.primary_rois)
        if on_neuprint:  # each row knows its connection: NotPrimary by array sums
            offsets = np.cumsum([0, *(len(r[0]) for r in results)])
            rows = _concat(
                [
                    r[1].assign(**{_CONNECTION: r[1][_CONNECTION] + o})
                    for r, o in zip(results, offsets, strict=False)
                ],
                [*_ROW_COLUMNS, *roi_extras, _CONNECTION],
            )
            keep = fetched["weight"].to_numpy() >= min_total_weight
            roi_conn = _indexed_roi_rows(fetched, keep, rows, primary, include_nonprimary, weights)
        else:
            rows = _concat([r[1] for r in results], [*_ROW_COLUMNS, *roi_extras])
            roi_conn = _roi_rows(totals, rows, primary, include_nonprimary, weights)
        if roi_list is not None:
            roi_conn = roi_conn[roi_conn["roi"].isin(roi_list) & (roi_conn["weight"] > 0)]
        roi_conn = _sorted_rows(roi_conn[roi_conn["weight"] >= min_roi_weight])
    connected = set(roi_conn["bodyId_pre"]) | set(roi_conn["bodyId_post"])
    found = [r[3] for r in results if r[3] is not None]
    if reads is not None and connected and len(found) == len(results):
        neurons_df = _read_properties(client, found, connected, read_columns, wanted)
    else:
        neurons_df = fetch_properties(client, connected, list(properties), optional=optional)
    if export_dir is not None:
        threshold = _export_threshold(roi_list, min_roi_weight, min_total_weight)
        _export(
            Path(export_dir),
            neurons_df,
            None if omit_rois else roi_conn,
            fetched[fetched["weight"] >= threshold],
            extras,
        )
    return neurons_df, roi_conn


#: one batch: totals, per-ROI rows, extras broken down by ROI, and (on neuPrint) the body
#: ids of both ends with the values of each property read
_Batch = tuple[pd.DataFrame, pd.DataFrame, set[str], "tuple[list[Any], list[list[Any]]] | None"]


def _read_properties(
    client: Client,
    found: list[tuple[list[Any], list[list[Any]]]],
    bodies: set[int],
    columns: list[str],
    wanted: list[str],
) -> pd.DataFrame:
    """The table :func:`fetch_properties` fetches for ``bodies``, from the property values the
    batches read with the connections (same rows, columns, order and dtypes)."""
    ids = [b for ids, _ in found for b in ids]
    values = [[v for _, lists in found for v in lists[i]] for i in range(len(columns) - 1)]
    frame = pd.DataFrame(
        {
            "bodyId": np.array(ids, dtype=np.int64),
            **{c: pd.Series(v, dtype=object) for c, v in zip(columns[1:], values, strict=True)},
        },
        columns=columns,
    )
    frame = frame.drop_duplicates("bodyId")
    frame = frame[frame["bodyId"].isin(bodies)].sort_values("bodyId", kind="stable")
    schema = client.transport.schema
    kinds = schema.node_kinds() if schema is not None else {}
    return lacking_as_empty(shape(frame.reset_index(drop=True), kinds), wanted)


def _neuprint_adjacencies(
    transport: Any,
    statement: Connections,
    extras: Sequence[str],
    with_rois: bool,
    min_total_weight: int,
    reads: Sequence[str] | None = None,
) -> _Batch:
    """One batch of fetch_adjacencies on neuPrint, in one request, as neuprint-python's own
    query: each connection's ``weight``, the ``extras`` (``coalesce(e.p, 0)``) and, with
    ``with_rois``, its ``roiInfo``, from which the per-ROI rows are made here exactly as the
    per-ROI statement makes them on the server (every ROI key with ``post > 0``, super-level
    ones included, for connections of weight ``>= min_total_weight``). Returns the totals,
    the rows, and the ``extras`` that some roiInfo entry breaks down by ROI."""
    one = compiled_connections(transport, statement, extras, reads or (), with_rois)
    columns = one.columns
    answer = transport.execute(one)
    # the answer's columns as lists: no DataFrame per batch until the rows are made
    if isinstance(answer.rows, pd.DataFrame):
        block = answer.rows.to_numpy()  # one 2-d array (object, or int64 for all-int answers)
        data = [block[:, i].tolist() for i in range(len(columns))]
    else:
        data = [list(c) for c in zip(*answer.rows, strict=True)] or [[] for _ in columns]
    counts = [*TOTAL_COLUMNS, *extras]
    totals = pd.DataFrame(
        {name: int_column(values, name) for name, values in zip(counts, data, strict=False)},
        columns=counts,
    )
    bodies = None
    if reads is not None:  # bodyId and the properties, one row per end of each connection
        first = len(counts)
        read = [data[first + 2 * i] + data[first + 2 * i + 1] for i in range(len(reads))]
        bodies = (data[0] + data[1], read)
    if not with_rois:
        return totals, _concat([], _ROW_COLUMNS), set(), bodies
    pres, posts = data[0], data[1]
    kept = totals["weight"].to_numpy() >= min_total_weight
    if kept.all():  # the usual case (the batch asked for weight >= min_total_weight)
        keep = np.arange(len(kept), dtype=np.int64)
        infos = roi_infos(data[-1], pres, posts)
    else:
        keep = np.flatnonzero(kept)
        chosen = keep.tolist()
        infos = roi_infos(
            [data[-1][i] for i in chosen], [pres[i] for i in chosen], [posts[i] for i in chosen]
        )
    # one entry per (connection, ROI key), flattened in C (no Python code per entry)
    owner = np.repeat(keep, list(map(len, infos)))
    rois = list(chain.from_iterable(infos))
    entries = list(chain.from_iterable(map(dict.values, infos)))
    if not set(map(type, entries)) <= {dict}:
        k = next(k for k, e in enumerate(entries) if type(e) is not dict)
        raise TransportError(
            f"the roiInfo of the connection {pres[owner[k]]} -> {posts[owner[k]]} has "
            f"{entries[k]!r:.100} for {rois[k]!r}, not a map of counts"
        )
    found: set[str] = set()
    columns_of: dict[str, list[int]] = {}
    keys = set().union(*entries) if extras else set()  # every count name of the batch
    for name in ("weight", *extras):
        key = "post" if name == "weight" else name
        if name != "weight" and key not in keys:
            columns_of[name] = [0] * len(entries)
            continue
        values: list[Any] = list(map(dict.get, entries, repeat(key)))
        if name != "weight":
            found.add(name)
        if not set(map(type, values)) <= {int}:  # missing: 0 (coalesce(..., 0)); or checked
            values = [
                roi_count(v, pres[owner[k]], posts[owner[k]], str(rois[k]))
                for k, v in enumerate(values)
            ]
        columns_of[name] = values
    index = owner
    arrays = {name: np.array(values, dtype=np.int64) for name, values in columns_of.items()}
    positive = np.zeros(len(entries), dtype=bool)
    for array in arrays.values():
        positive |= array > 0
    frame = pd.DataFrame(
        {
            "bodyId_pre": totals["bodyId_pre"].to_numpy()[index][positive],
            "bodyId_post": totals["bodyId_post"].to_numpy()[index][positive],
            "roi": pd.Series(np.array(rois, dtype=object)[positive], dtype=object),
            **{name: array[positive] for name, array in arrays.items()},
            _CONNECTION: index[positive],  # the row's connection in ``totals``
        },
        columns=[*_ROW_COLUMNS, *extras, _CONNECTION],
    )
    return totals, frame, found, bodies


def _plain_ids(criteria: Any) -> list[int] | None:
    """The body ids of criteria given as one id or a list, array or Series of them (the
    whole criteria is then ``bodyId in ids`` on ``:Segment``); ``None`` for anything else.

    Example:
        >>> _plain_ids([3, 1, 3]), _plain_ids(5), _plain_ids("APL"), _plain_ids([1, True])
        ([3, 1, 3], [5], None, None)
    """
    if isinstance(criteria, (pd.Series, np.ndarray)):
        if criteria.dtype.kind not in "iu":
            return None
        return [int(v) for v in criteria.tolist()]
    values = criteria if isinstance(criteria, (list, tuple)) else [criteria]
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return [int(v) for v in values]
    return None


def _names_rois(criteria: Any, client: Client) -> bool:
    """Whether ``criteria`` is a NeuronCriteria with ROIs of its own (``rois``,
    ``inputRois`` or ``outputRois``): neuprint-python then leaves its ROI prefilter out."""
    if criteria is None:
        return False
    crit = as_criteria(criteria, client=client)
    return isinstance(crit, NeuronCriteria) and bool(crit.rois)


def _export_threshold(rois: list[str] | None, min_roi_weight: int, min_total_weight: int) -> int:
    """The least total weight of a connection listed in ``total-connections.csv``.

    neuprint-python's query keeps ``e.weight >= max(min_total_weight, min_roi_weight, 1)``
    when ``rois`` are given and ``e.weight >= 1`` otherwise (it filters by weight only
    afterwards, on the per-ROI rows), and writes those connections' ``ConnectsTo.weight``.

    Example:
        >>> _export_threshold(["EB"], 3, 1), _export_threshold(None, 3, 10)
        (3, 1)
    """
    if not rois:
        return 1
    return max(min_total_weight, min_roi_weight, 1)


def _roi_rows(
    totals: pd.DataFrame,
    rows: pd.DataFrame,
    primary: set[str],
    include_nonprimary: bool,
    weights: Sequence[str] = ("weight",),
) -> pd.DataFrame:
    """The per-ROI rows (primary ROIs, or all with ``include_nonprimary``) and a
    ``NotPrimary`` row per connection for each ``weights`` column's total outside the primary
    ROIs (kept where one of them is positive)."""
    weights = list(weights)
    keys = ["bodyId_pre", "bodyId_post"]
    rows = rows[rows["roi"] != NOT_PRIMARY]
    keep = rows if include_nonprimary else rows[rows["roi"].isin(primary)]
    primary_rows = rows[rows["roi"].isin(primary)]
    in_primary = primary_rows.groupby(keys, as_index=False)[weights].sum()
    outside = totals[[*keys, *weights]].merge(
        in_primary, on=keys, how="left", suffixes=("", "_primary")
    )
    for name in weights:
        outside[name] = outside[name] - outside[f"{name}_primary"].fillna(0).astype("int64")
    outside = outside[(outside[weights] > 0).any(axis=1)].assign(roi=NOT_PRIMARY)
    columns = [*keys, "roi", *weights]
    table = pd.concat([keep[columns], outside[columns]], ignore_index=True)
    table["roi"] = table["roi"].astype(object)
    return table.astype({c: "int64" for c in columns if c != "roi"})


_CONNECTION = "_connection"


def _indexed_roi_rows(
    fetched: pd.DataFrame,
    keep: np.ndarray[Any, Any],
    rows: pd.DataFrame,
    primary: set[str],
    include_nonprimary: bool,
    weights: Sequence[str],
) -> pd.DataFrame:
    """:func:`_roi_rows` for rows that carry their connection's position in ``fetched``
    (``keep`` marks the connections of the result): the same table, from array sums."""
    roi = rows["roi"].to_numpy(dtype=object)
    named = roi != NOT_PRIMARY
    in_primary = rows["roi"].isin(primary).to_numpy() & named
    kept = rows[named & (in_primary | include_nonprimary)]
    connection = rows[_CONNECTION].to_numpy()
    outside: dict[str, np.ndarray[Any, Any]] = {}
    for name in weights:
        inside = np.bincount(
            connection[in_primary],
            weights=rows[name].to_numpy()[in_primary].astype(np.float64),
            minlength=len(fetched),
        )
        outside[name] = fetched[name].to_numpy() - np.rint(inside).astype(np.int64)
    positive = np.zeros(len(fetched), dtype=bool)
    for values in outside.values():
        positive |= values > 0
    chosen = keep & positive
    extra = pd.DataFrame(
        {
            "bodyId_pre": fetched["bodyId_pre"].to_numpy()[chosen],
            "bodyId_post": fetched["bodyId_post"].to_numpy()[chosen],
            "roi": pd.Series([NOT_PRIMARY] * int(chosen.sum()), dtype=object),
            **{name: values[chosen] for name, values in outside.items()},
        }
    )
    columns = ["bodyId_pre", "bodyId_post", "roi", *weights]
    table = pd.concat([kept[columns], extra[columns]], ignore_index=True)
    table["roi"] = table["roi"].astype(object)
    typed: pd.DataFrame = table.astype({c: "int64" for c in columns if c != "roi"})
    return typed


def _sorted_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The per-ROI rows by pre, post, weight (strongest first), then ROI name: one lexsort
    (each row's key is unique: one row per connection and ROI).

    Example:
        >>> t = pd.DataFrame({"bodyId_pre": [2, 1, 1], "bodyId_post": [5, 5, 5],
        ...                   "roi": ["b", "b", "a"], "weight": [1, 3, 3]})
        >>> _sorted_rows(t).values.tolist()
        [[1, 5, 'a', 3], [1, 5, 'b', 3], [2, 5, 'b', 1]]
    """
    codes, _ = pd.factorize(table["roi"].to_numpy(dtype=object), sort=True)
    order = np.lexsort(
        (
            codes,
            -table["weight"].to_numpy(),
            table["bodyId_post"].to_numpy(),
            table["bodyId_pre"].to_numpy(),
        )
    )
    ordered: pd.DataFrame = table.iloc[order].reset_index(drop=True)
    return ordered


def _export(
    directory: Path,
    neurons_df: pd.DataFrame,
    roi_conn: pd.DataFrame | None,
    totals: pd.DataFrame,
    extras: Sequence[str] = (),
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    neurons_df.to_csv(directory / "neurons.csv", index=False)
    if roi_conn is not None:
        roi_conn.to_csv(directory / "roi-connections.csv", index=False)
    total = totals[[*TOTAL_COLUMNS, *extras]].drop_duplicates(["bodyId_pre", "bodyId_post"])
    total = total.sort_values(["bodyId_pre", "bodyId_post"], kind="stable")
    total.astype("int64").to_csv(directory / "total-connections.csv", index=False)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            {c: pd.Series([], dtype=object if c == "roi" else "int64") for c in columns}
        )
    return pd.concat(frames, ignore_index=True)[columns]


@inject_client
def fetch_traced_adjacencies(
    export_dir: str | Path | None = None,
    batch_size: int = 200,
    *,
    weight_props: str | Sequence[str] | None = "all",
    omit_rois: bool = False,
    threads: int = 4,
    client: Client | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`fetch_adjacencies` between all Traced, non-cropped neurons (neuprint-python's
    arguments).

    Example:
        >>> neurons_df, roi_conn_df = fetch_traced_adjacencies("adjacencies/")  # doctest: +SKIP
    """
    traced = NeuronCriteria(status="Traced", cropped=False, client=client)
    return fetch_adjacencies(
        traced,
        traced,
        export_dir=export_dir,
        batch_size=batch_size,
        weight_props=weight_props,
        omit_rois=omit_rois,
        threads=threads,
        client=client,
    )
