"""Connectivity, as neuprint-python's functions, built on DSL ``connections`` statements.

Every function runs on any transport (neuPrint server or embedded engine) and accepts
neuprint-python's criteria (body ids, type/instance strings, ``NeuronCriteria``) or any DSL
predicate for either side.

Two neuprint-python behaviours are deliberately not copied (each has a regression test):

* ``fetch_adjacencies(min_total_weight=...)`` compares the connection's *total* weight across
  all ROIs, as neuprint-python documents; its code sums only the per-ROI rows left after ROI
  filtering;
* ``fetch_shortest_paths`` raises :class:`~neuprint_dsl.QueryTimeout` when it runs out of
  time, instead of returning an empty DataFrame that looks like "no path".
"""

from __future__ import annotations

import importlib
import json
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, repeat
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..cypher import CypherStatement, to_cypher
from ..embedded.rois import NOT_PRIMARY
from ..errors import (
    CapabilityError,
    InvalidArgument,
    InvalidValue,
    QueryTimeout,
    TransportError,
)
from ..execute import run
from ..expr import TRUE, IsIn, Predicate, and_, as_predicate, or_
from ..fields import E, N
from ..frames import shape
from ..query import Connections, Label, connections, neurons
from ..validate import validate
from .client import Client, inject_client
from .criteria import NeuronCriteria, as_criteria, criteria_label

_ID_BATCH = 10_000


def _side(criteria: Any, client: Client) -> tuple[Predicate, Label]:
    if criteria is None:
        return TRUE, "Neuron"
    return as_predicate(as_criteria(criteria, client=client)), criteria_label(criteria)


def _body_ids(ids: Sequence[int]) -> Predicate:
    """``N.bodyId.isin(ids)`` for a list of plain ints, built without the per-value checks
    of the fluent API (the predicate still checks the 64-bit range of the whole list).

    Example:
        >>> _body_ids([3, 1]) == N.bodyId.isin([3, 1])
        True
    """
    return IsIn(N.bodyId.operand, tuple(int(i) for i in ids))


#: neuprint-python's default ``properties``: those a dataset lacks come back empty, while a
#: property the caller names that the dataset lacks raises UnknownField
DEFAULT_PROPERTIES: tuple[str, ...] = ("type", "instance")


def _tolerated(properties: Sequence[str]) -> frozenset[str]:
    """The names of ``properties`` to leave out quietly where the dataset lacks them: the
    defaults (compat's own choice), never names the caller gave."""
    return frozenset(properties) if properties is DEFAULT_PROPERTIES else frozenset()


def dataset_has(client: Client, names: Iterable[str]) -> list[str]:
    """The neuron properties among ``names`` the client's dataset has (all of them when its
    schema does not list its properties)."""
    schema = getattr(client.transport, "schema", None)
    known = schema.node_properties if schema is not None else None
    return [n for n in names if known is None or n in known]


def _properties(
    client: Client,
    ids: Iterable[int],
    properties: Sequence[str],
    *,
    optional: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """``bodyId`` plus ``properties`` for the given bodies (any label), in batches; the
    ``optional`` ones the dataset lacks are not asked for and come back empty."""
    ids = sorted(set(int(i) for i in ids))
    wanted, columns = _property_columns(client, properties, optional)
    frames = [
        run(
            client.transport,
            neurons(_body_ids(ids[i : i + _ID_BATCH]), label="Segment", columns=columns),
        )
        for i in range(0, len(ids), _ID_BATCH)
    ]
    if not frames:
        return pd.DataFrame(
            {
                c: pd.Series([], dtype="int64" if c == "bodyId" else object)
                for c in ["bodyId", *wanted]
            }
        )
    return _lacking_as_empty(pd.concat(frames, ignore_index=True), wanted)


def _property_columns(
    client: Client, properties: Sequence[str], optional: frozenset[str]
) -> tuple[list[str], list[str]]:
    """The properties asked for (``bodyId`` left out) and the columns to fetch: ``bodyId``
    and those of them the dataset has or the caller named (checked: UnknownField)."""
    lacking = set(optional) - set(dataset_has(client, optional))
    wanted = [p for p in properties if p != "bodyId"]
    columns = ["bodyId", *[p for p in wanted if p not in lacking]]
    # names the caller gave are checked even when there are no bodies to ask about
    validate(neurons(label="Segment", columns=columns), getattr(client.transport, "schema", None))
    return wanted, columns


def _lacking_as_empty(table: pd.DataFrame, wanted: Sequence[str]) -> pd.DataFrame:
    """``table`` with an empty (None) column for each wanted property it does not have."""
    for name in wanted:
        if name not in table.columns:
            table[name] = pd.Series([None] * len(table), dtype=object, index=table.index)
    return table


_PLAIN_PROPERTY = re.compile(r"n\.(\w+|`[^`]+`) AS (\w+|`[^`]+`)")


def _property_reads(transport: Any, columns: Sequence[str]) -> list[str] | None:
    """How the neuron statement reads each of ``columns`` (after ``bodyId``) on neuPrint, as
    ``n.<name>`` texts, when every one is a plain property read; else ``None``."""
    reads = []
    for column in columns[1:]:
        compiled = to_cypher(
            neurons(label="Segment", columns=["bodyId", column]),
            transport.dialect,
            schema=transport.schema,
        )
        prefix = "RETURN n.bodyId AS bodyId, "
        lines = [x for x in compiled.inline().split("\n") if x.startswith(prefix)]
        found = _PLAIN_PROPERTY.fullmatch(lines[0][len(prefix) :]) if len(lines) == 1 else None
        if found is None:
            return None
        reads.append(found.group(1))
    return reads


def _with_properties(
    frame: pd.DataFrame,
    client: Client,
    properties: Sequence[str],
    optional: frozenset[str] = frozenset(),
    extras: Sequence[str] = (),
) -> pd.DataFrame:
    base = ["bodyId_pre", "bodyId_post", "weight", *extras]
    out = frame[base].copy()
    if not properties:
        return out
    ids = set(out["bodyId_pre"]) | set(out["bodyId_post"])
    table = _properties(client, ids, properties, optional=optional).set_index("bodyId")
    for prop in properties:
        values = table[prop] if prop in table.columns else pd.Series(dtype=object)
        if prop == "roiInfo":  # JSON text, parsed as neuprint-python does
            values = values.map(lambda v: json.loads(v) if isinstance(v, str) and v else v)
        out[f"{prop}_pre"] = out["bodyId_pre"].map(values).astype(object)
        out[f"{prop}_post"] = out["bodyId_post"].map(values).astype(object)
        for side in ("pre", "post"):
            column = out[f"{prop}_{side}"]
            out[f"{prop}_{side}"] = column.where(column.notna(), None)
    return out


@inject_client
def fetch_simple_connections(
    upstream_criteria: Any = None,
    downstream_criteria: Any = None,
    rois: Sequence[str] | str | None = None,
    min_weight: int = 1,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
    *,
    weight_props: str | Sequence[str] | None = "all",
    client: Client | None = None,
) -> pd.DataFrame:
    """Connections from ``upstream_criteria`` to ``downstream_criteria`` neurons.

    One row per connection: ``bodyId_pre``, ``bodyId_post``, ``weight``, ``<property>_pre`` and
    ``<property>_post`` for each property, and ``conn_roiInfo``, neuPrint's per-ROI counts of
    the connection (``{roi: {"pre": n, "post": n}}``, every ROI of the hierarchy; on neuPrint
    the edge's own ``roiInfo``, parsed as neuprint-python does; ``post`` only on an embedded
    database whose export had no synapse pairs); strongest first. ``rois`` keeps connections
    with weight in at least one of those ROIs (super-level ROIs included). ``weight_props``
    adds connection-strength columns after ``weight``, as in :func:`fetch_adjacencies`
    (``"all"``, one name, a list, or ``None`` for ``weight`` alone; ``min_weight`` filters on
    ``weight`` only).
    """
    assert client is not None
    if upstream_criteria is None and downstream_criteria is None:
        raise InvalidArgument("give upstream_criteria, downstream_criteria or both")
    extras = weight_properties(weight_props, client)
    up, up_label = _side(upstream_criteria, client)
    down, down_label = _side(downstream_criteria, client)
    roi_list = [rois] if isinstance(rois, str) else list(rois) if rois else None
    return _simple_connections(
        client,
        up,
        down,
        up_label,
        down_label,
        min_weight,
        roi_list,
        list(properties),
        _tolerated(properties),
        extras,
    )


def _simple_connections(
    client: Client,
    up: Predicate,
    down: Predicate,
    up_label: Label,
    down_label: Label,
    min_weight: int,
    rois: list[str] | None,
    properties: list[str],
    optional: frozenset[str] = frozenset(),
    extras: Sequence[str] = (),
) -> pd.DataFrame:
    """The fetch_simple_connections table: strongest first, the ``extras`` weights,
    properties, conn_roiInfo."""
    labels: dict[str, Any] = {"upstream_label": up_label, "downstream_label": down_label}
    where = E.weight >= min_weight
    statement = connections(up, down, where=where, rois=rois, **labels)
    if getattr(client.transport, "dialect", None) == "neo4j":
        frame, roi_info = _neuprint_connections(client.transport, statement, extras)
        out = _with_properties(frame, client, properties, optional, extras)
        out["conn_roiInfo"] = pd.Series(roi_info, dtype=object, index=out.index)
        return out.reset_index(drop=True)
    frame = run(client.transport, statement)
    if extras:
        frame = _embedded_weights(client, frame[_TOTAL_COLUMNS], extras)
    out = _with_properties(frame, client, properties, optional, extras)
    info = _embedded_conn_roi_info(client, out)
    if info is None:
        per_roi = run(client.transport, connections(up, down, where=where, per_roi=True, **labels))
        info = {}
        for pre, post, roi, weight in per_roi.itertuples(index=False, name=None):
            if roi != NOT_PRIMARY:  # compat's pseudo-ROI, never a key of neuPrint's roiInfo
                info.setdefault((int(pre), int(post)), {})[str(roi)] = {"post": int(weight)}
    pairs = zip(out["bodyId_pre"], out["bodyId_post"], strict=True)
    out["conn_roiInfo"] = pd.Series(
        [info.get((int(a), int(b)), {}) for a, b in pairs], dtype=object, index=out.index
    )
    return out.reset_index(drop=True)


def _neuprint_connections(
    transport: Any, statement: Connections, extras: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The connections table on neuPrint, and each row's ``ConnectsTo.roiInfo`` parsed, from
    one query: the compiled statement also returning the ``extras`` weights
    (``coalesce(e.p, 0)``) and ``e.roiInfo AS conn_roiInfo``, as neuprint-python's own query
    does (so every ROI neuPrint stores, with ``pre`` and ``post``)."""
    schema = transport.schema
    compiled = to_cypher(statement, transport.dialect, schema=schema)
    # the extras right after the weight, as neuprint-python asks (names from a fixed list)
    added = "".join(f", coalesce(e.{p}, 0) AS {p}" for p in extras)
    columns = list(compiled.columns)
    at = columns.index("weight") + 1
    columns[at:at] = extras

    def rewrite(line: str) -> str:
        with_extras, count = _WEIGHT_ITEM.subn(lambda m: m[0] + added, line)
        if count != 1:
            raise TransportError(f"cannot find the weight in this RETURN: {line}")
        return f"{with_extras}, e.roiInfo AS conn_roiInfo"

    with_info = _with_return(compiled, "RETURN ", rewrite, (*columns, "conn_roiInfo"))
    frame = transport.execute(with_info).to_frame()
    raw = frame.pop("conn_roiInfo")
    weights = {p: _int_column(frame.pop(p).tolist(), p) for p in extras}
    kinds = schema.node_kinds() if schema is not None else {}
    table = shape(frame, kinds)
    for p in extras:
        table[p] = weights[p]
    rows = zip(raw, table["bodyId_pre"], table["bodyId_post"], strict=True)
    return table, [_parsed_roi_info(v, int(a), int(b)) for v, a, b in rows]


_WEIGHT_ITEM = re.compile(r"(?<=[ ,])e\.weight AS weight(?=,|$)")


def _with_return(
    compiled: CypherStatement, prefix: str, rewrite: Callable[[str], str], columns: Sequence[str]
) -> CypherStatement:
    """``compiled`` (inlined) with its one line that starts with ``prefix`` (its RETURN)
    rewritten, returning ``columns``; literals are inlined with their line breaks escaped,
    so no literal can start a line."""
    lines = compiled.inline().split("\n")
    found = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    if len(found) != 1:
        raise TransportError(f"cannot rewrite the RETURN of this statement:\n{compiled.text}")
    lines[found[0]] = rewrite(lines[found[0]])
    return CypherStatement(
        ("\n".join(lines),), compiled.dialect, tuple(columns), compiled.render_literal
    )


def _parsed_roi_info(value: Any, pre: int, post: int) -> dict[str, Any]:
    """neuPrint's ``ConnectsTo.roiInfo`` (a JSON string) as a dict; ``{}`` when it is missing."""
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, dict):  # a server that answers with the map already parsed
        return value
    try:
        parsed = json.loads(value) if isinstance(value, (str, bytes)) else None
    except ValueError as err:
        raise TransportError(
            f"the roiInfo of the connection {pre} -> {post} is not JSON ({err}): {value!r:.200}"
        ) from None
    if not isinstance(parsed, dict):
        raise TransportError(
            f"the roiInfo of the connection {pre} -> {post} is not a JSON object: {value!r:.200}"
        )
    return parsed


_CONN_ROI_ROWS = (
    "MATCH (n)-[r:ConnectsToRoi]->(m) WHERE n.bodyId IN $pre AND m.bodyId IN $post "
    "AND r.roi <> 'NotPrimary' AND (r.weight > 0 OR r.pre > 0) "
    "RETURN n.bodyId AS a, m.bodyId AS b, r.roi AS roi, r.pre AS pre, r.weight AS post"
)


def _embedded_conn_roi_info(
    client: Client, table: pd.DataFrame
) -> dict[tuple[int, int], dict[str, dict[str, int]]] | None:
    """neuPrint's ``ConnectsTo.roiInfo`` of each connection in ``table`` on the embedded
    engine (every ROI the database holds, super-level ones included; ``pre`` where the load
    knew it), strongest ROI first; ``None`` on other engines."""
    transport = client.transport
    if getattr(transport, "dialect", None) != "ladybug" or not hasattr(transport, "meta"):
        return None
    info: dict[tuple[int, int], dict[str, dict[str, int]]] = {}
    wanted = {
        (int(a), int(b)) for a, b in zip(table["bodyId_pre"], table["bodyId_post"], strict=True)
    }
    if not wanted:
        return info
    posts = sorted({b for _, b in wanted})
    pres = sorted({a for a, _ in wanted})
    frames = [
        transport.fetch_custom(_CONN_ROI_ROWS, {"pre": pres[i : i + _ID_BATCH], "post": posts})
        for i in range(0, len(pres), _ID_BATCH)
    ]
    rows = pd.concat(frames, ignore_index=True)
    has_pre = bool(transport.meta.get("roiPreCounts", False))
    rows = rows.sort_values(["post", "roi"], ascending=[False, True], kind="stable")
    for a, b, roi, pre, post in rows.itertuples(index=False, name=None):
        if (int(a), int(b)) not in wanted:
            continue
        entry = {"pre": int(pre), "post": int(post)} if has_pre else {"post": int(post)}
        info.setdefault((int(a), int(b)), {})[str(roi)] = entry
    return info


#: neuprint-python's connection-strength properties (``weight_props``), in its order
WEIGHT_PROPERTIES: tuple[str, ...] = (
    "weight",
    "weightHP",
    "weightAxonAxon",
    "weightAxonDendrite",
    "weightDendriteDendrite",
    "weightDendriteAxon",
)
#: those only datasets with axon/dendrite polarity have (told by an ``axonOut`` property)
_POLARITY_WEIGHTS = frozenset(WEIGHT_PROPERTIES[2:])


def weight_properties(weight_props: str | Sequence[str] | None, client: Client | None) -> list[str]:
    """The extra connection-strength columns ``weight_props`` asks for, as neuprint-python
    reads the argument: ``"all"`` (every one the dataset can have), one name, a list, or
    ``None`` (``weight`` only); in :data:`WEIGHT_PROPERTIES` order, ``weight`` left out. The
    polarity weights are dropped when the dataset has no ``axonOut`` property (with a warning
    when they were named).

    Example:
        >>> weight_properties(["weightHP", "weight"], None)  # doctest: +SKIP
        ['weightHP']
        >>> weight_properties("weigth", None)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: unknown weight_props ['weigth']; ...
    """
    if weight_props is None:
        wanted = ["weight"]
    elif weight_props == "all":
        wanted = list(WEIGHT_PROPERTIES)
    elif isinstance(weight_props, str):
        wanted = [weight_props]
    else:
        wanted = list(weight_props)
    unknown = [p for p in wanted if p not in WEIGHT_PROPERTIES]
    if unknown:
        raise InvalidArgument(
            f"unknown weight_props {unknown}; choose from {list(WEIGHT_PROPERTIES)} or 'all'"
        )
    polarity = _POLARITY_WEIGHTS & set(wanted)
    if polarity and client is not None and "axonOut" not in client.fetch_neuron_keys():
        wanted = [p for p in wanted if p not in polarity]
        if weight_props != "all":
            warnings.warn(
                "this dataset has no axon/dendrite polarity information, so these weight_props "
                f"are left out: {sorted(polarity)}",
                stacklevel=3,
            )
    return [p for p in WEIGHT_PROPERTIES[1:] if p in wanted]


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
    src, src_label = _side(sources, client)
    tgt, tgt_label = _side(targets, client)
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
    on_neuprint = getattr(client.transport, "dialect", None) == "neo4j"

    optional = _tolerated(properties)
    wanted, property_columns = _property_columns(client, list(properties), optional)
    # on neuPrint the batches also read the bodies' properties: no request for them after
    reads = _property_reads(client.transport, property_columns) if on_neuprint else None

    def fetch(batch: list[int]) -> _Batch:
        chosen = _body_ids(batch)
        up, down = (chosen, tgt) if batch_sources else (src, chosen)
        kwargs: dict[str, Any] = {"upstream_label": src_label, "downstream_label": tgt_label}
        statement = connections(up, down, where=E.weight >= fetch_min, **kwargs)
        if on_neuprint:  # one request: totals, roiInfo and the two bodies' properties
            return _neuprint_adjacencies(
                client.transport, statement, extras, not omit_rois, min_total_weight, reads
            )
        totals = run(client.transport, statement)[_TOTAL_COLUMNS]
        if extras:
            totals = _embedded_weights(client, totals, extras)
        if omit_rois:
            return totals, _concat([], _ROW_COLUMNS), set(), None
        rows = run(
            client.transport,
            connections(up, down, where=E.weight >= min_total_weight, per_roi=True, **kwargs),
        )
        return totals, rows, set(), None

    show = client_progress(client) if progress is None else progress
    results = _map(fetch, batches, threads, show, "fetch_adjacencies")
    fetched = _concat([r[0] for r in results], [*_TOTAL_COLUMNS, *extras])
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
        neurons_df = _read_properties(client, found, connected, property_columns, wanted)
    else:
        neurons_df = _properties(client, connected, list(properties), optional=optional)
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
    """The table :func:`_properties` fetches for ``bodies``, from the property values the
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
    return _lacking_as_empty(shape(frame.reset_index(drop=True), kinds), wanted)


_TOTAL_COLUMNS = ["bodyId_pre", "bodyId_post", "weight"]
_ROW_COLUMNS = ["bodyId_pre", "bodyId_post", "roi", "weight"]
_TOTALS_RETURN = "RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, e.weight AS weight"


def client_progress(client: Client) -> bool:
    """Whether the client shows progress bars (``Client(progress=...)``) and
    ``NEUPRINT_DSL_NO_PROGRESS`` is not set."""
    return bool(getattr(client, "progress", True)) and not os.environ.get(
        "NEUPRINT_DSL_NO_PROGRESS"
    )


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
    compiled = to_cypher(statement, transport.dialect, schema=transport.schema)
    items = [_TOTALS_RETURN, *(f"coalesce(e.{p}, 0) AS {p}" for p in extras)]
    read_columns: list[str] = []
    for i, name in enumerate(reads or ()):
        alias = name if re.fullmatch(r"[A-Za-z]\w*", name) else f"p{i}"  # else `quoted`
        items += [f"n.{name} AS {alias}_pre", f"m.{name} AS {alias}_post"]
        read_columns += [f"{alias}_pre", f"{alias}_post"]
    if with_rois:
        items.append("e.roiInfo AS conn_roiInfo")
    columns = (
        *_TOTAL_COLUMNS,
        *extras,
        *read_columns,
        *(("conn_roiInfo",) if with_rois else ()),
    )
    one = _with_return(compiled, _TOTALS_RETURN, lambda _: ", ".join(items), columns)
    answer = transport.execute(one)
    # the answer's columns as lists: no DataFrame per batch until the rows are made
    if isinstance(answer.rows, pd.DataFrame):
        block = answer.rows.to_numpy()  # one 2-d array (object, or int64 for all-int answers)
        data = [block[:, i].tolist() for i in range(len(columns))]
    else:
        data = [list(c) for c in zip(*answer.rows, strict=True)] or [[] for _ in columns]
    counts = [*_TOTAL_COLUMNS, *extras]
    totals = pd.DataFrame(
        {name: _int_column(values, name) for name, values in zip(counts, data, strict=False)},
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
        infos = _roi_infos(data[-1], pres, posts)
    else:
        keep = np.flatnonzero(kept)
        chosen = keep.tolist()
        infos = _roi_infos(
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
                _roi_count(v, pres[owner[k]], posts[owner[k]], str(rois[k]))
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


def _int_column(values: list[Any], name: str) -> np.ndarray[Any, Any]:
    """A column of whole numbers that must all be there (body ids, weights), as int64."""
    try:
        return np.array(values, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise TransportError(
            f"the answer's column {name!r} has missing or non-integer values: "
            f"{[v for v in values if type(v) is not int][:5]!r}"
        ) from None


#: the C scanner behind json.loads, called directly (a third of json.loads' time per text)
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _map_decoder() -> Callable[[str], dict[str, Any]] | None:
    """msgspec's decoder of one JSON object (3x json.loads on roiInfo texts), if installed."""
    try:
        msgspec_json: Any = importlib.import_module("msgspec.json")
    except ImportError:  # pragma: no cover - json.loads gives the same dicts
        return None
    decode: Callable[[str], dict[str, Any]] = msgspec_json.Decoder(dict).decode
    return decode


_DECODE_MAP = _map_decoder()


def _roi_infos(values: list[Any], pres: list[Any], posts: list[Any]) -> list[dict[str, Any]]:
    """The connections' ``roiInfo`` (JSON text) as dicts, each text parsed as json.loads
    parses it (whole, an object; by msgspec when installed, which gives the same dicts and
    refuses what it cannot give the same); anything else goes through :func:`_parsed_roi_info`,
    which accepts a map and names the connection (``pres[i] -> posts[i]``) of a bad value.

    Example:
        >>> _roi_infos(['{"FB": {"pre": 1, "post": 2}}', None], [1, 2], [3, 4])
        [{'FB': {'pre': 1, 'post': 2}}, {}]
    """
    if _DECODE_MAP is not None and set(map(type, values)) <= {str}:
        try:  # every text at once, in C; a text msgspec refuses: each on its own below
            return list(map(_DECODE_MAP, values))
        except ValueError:
            pass
    out: list[dict[str, Any]] = []
    for value, pre, post in zip(values, pres, posts, strict=True):
        if type(value) is str and _DECODE_MAP is not None:
            try:
                out.append(_DECODE_MAP(value))
                continue
            except ValueError:  # msgspec refuses it (NaN...): json's answer, or its error
                pass
        if type(value) is str:
            try:
                parsed, end = _SCAN_JSON(value, 0)
            except (StopIteration, ValueError):
                parsed, end = None, -1
            if end == len(value) and type(parsed) is dict:
                out.append(parsed)
                continue
        out.append(_parsed_roi_info(value, pre, post))
    return out


def _roi_count(value: Any, pre: int, post: int, roi: str) -> int:
    """A count in a connection's roiInfo entry (missing: 0, as ``coalesce(..., 0)``)."""
    if value is None:
        return 0
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise TransportError(
            f"the roiInfo of the connection {pre} -> {post} has a count {value!r:.50} for "
            f"{roi!r}, not a whole number"
        )
    return int(value)


_EDGE_WEIGHTS = (
    "MATCH (n)-[e:ConnectsTo]->(m) WHERE n.bodyId IN $pre AND m.bodyId IN $post "
    "RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, {columns}"
)


def _embedded_weights(client: Client, totals: pd.DataFrame, extras: Sequence[str]) -> pd.DataFrame:
    """``totals`` with the ``extras`` columns (``coalesce(e.p, 0)``) read on the embedded
    engine, which stores ``weightHP`` (the polarity weights need an ``axonOut`` property,
    which it has not)."""
    transport = client.transport
    if getattr(transport, "dialect", None) != "ladybug" or not hasattr(transport, "fetch_custom"):
        raise CapabilityError(
            f"weight_props {list(extras)}", type(transport).__name__, ("NeuprintHTTP", "Embedded")
        )
    out = totals.copy()
    if out.empty:
        for name in extras:
            out[name] = pd.Series([], dtype="int64")
        return out
    stored = {"weightHP"}
    read = ", ".join(f"coalesce(e.{p}, 0) AS {p}" if p in stored else f"0 AS {p}" for p in extras)
    pres = sorted({int(b) for b in out["bodyId_pre"]})
    posts = sorted({int(b) for b in out["bodyId_post"]})
    frames = [
        transport.fetch_custom(
            _EDGE_WEIGHTS.format(columns=read), {"pre": pres[i : i + _ID_BATCH], "post": posts}
        )
        for i in range(0, len(pres), _ID_BATCH)
    ]
    found = pd.concat(frames, ignore_index=True).astype("int64")
    found = found.drop_duplicates(["bodyId_pre", "bodyId_post"])
    out = out.merge(found, on=["bodyId_pre", "bodyId_post"], how="left")
    for name in extras:
        out[name] = out[name].fillna(0).astype("int64")
    return out


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
    total = totals[[*_TOTAL_COLUMNS, *extras]].drop_duplicates(["bodyId_pre", "bodyId_post"])
    total = total.sort_values(["bodyId_pre", "bodyId_post"], kind="stable")
    total.astype("int64").to_csv(directory / "total-connections.csv", index=False)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            {c: pd.Series([], dtype=object if c == "roi" else "int64") for c in columns}
        )
    return pd.concat(frames, ignore_index=True)[columns]


def _map(
    fn: Callable[[Any], Any], items: list[Any], threads: int, progress: bool, what: str
) -> list[Any]:
    """``fn`` over ``items``, ``threads`` at a time, in order, with a tqdm bar."""
    from tqdm.auto import tqdm

    show = progress and len(items) > 1 and not os.environ.get("NEUPRINT_DSL_NO_PROGRESS")
    with tqdm(total=len(items), desc=what, unit="batch", disable=not show) as bar:
        if threads == 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.update()
            return out
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(fn, item) for item in items]
            results = []
            for future in futures:
                results.append(future.result())
                bar.update()
            return results


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
    arguments)."""
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


@inject_client
def fetch_common_connectivity(
    criteria: Any,
    search_direction: Literal["upstream", "downstream"] = "upstream",
    min_weight: int = 1,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
    *,
    weight_props: str | Sequence[str] | None = "all",
    client: Client | None = None,
) -> pd.DataFrame:
    """Partners connected to *every* neuron matching ``criteria`` (the Common Connectivity
    page): upstream partners (matched neurons in the ``_post`` columns) or downstream ones.
    ``weight_props`` adds connection-strength columns as in :func:`fetch_simple_connections`."""
    assert client is not None
    if search_direction not in ("upstream", "downstream"):
        raise InvalidArgument(
            f"search_direction must be 'upstream' or 'downstream', not {search_direction!r}"
        )
    extras = weight_properties(weight_props, client)
    matched, label = _side(criteria, client)
    members = run(client.transport, neurons(matched, label=label, columns=["bodyId"]))["bodyId"]
    if members.empty:
        raise InvalidValue(f"no neuron matches {criteria!r}")
    chosen = N.bodyId.isin(members.tolist())
    where = E.weight >= min_weight
    if search_direction == "upstream":
        statement = connections(None, chosen, where=where, downstream_label=label)
        partner, member = "bodyId_pre", "bodyId_post"
    else:
        statement = connections(chosen, None, where=where, upstream_label=label)
        partner, member = "bodyId_post", "bodyId_pre"
    frame = run(client.transport, statement)
    reach = frame.groupby(partner)[member].nunique()
    common = sorted(int(b) for b in reach[reach == members.nunique()].index)
    if not common:  # nothing to ask the server for
        frame = frame.iloc[0:0][_TOTAL_COLUMNS]
        for name in extras:
            frame[name] = pd.Series([], dtype="int64")
        out = _with_properties(frame, client, list(properties), _tolerated(properties), extras)
        out["conn_roiInfo"] = pd.Series([], dtype=object)
        return out.reset_index(drop=True)
    partners = N.bodyId.isin(common)
    neuron: Label = "Neuron"
    if search_direction == "upstream":
        return _simple_connections(
            client,
            partners,
            chosen,
            neuron,
            label,
            min_weight,
            None,
            list(properties),
            _tolerated(properties),
            extras,
        )
    return _simple_connections(
        client,
        chosen,
        partners,
        label,
        neuron,
        min_weight,
        None,
        list(properties),
        _tolerated(properties),
        extras,
    )


@inject_client
def fetch_shortest_paths(
    upstream_bodyId: int,
    downstream_bodyId: int,
    min_weight: int = 1,
    intermediate_criteria: Any = None,
    timeout: float = 5.0,
    *,
    client: Client | None = None,
) -> pd.DataFrame:
    """Every shortest path from one body to another through connections of at least
    ``min_weight``, intermediate bodies satisfying ``intermediate_criteria`` (default:
    ``NeuronCriteria(status="Traced")``).

    Returns rows ``path, bodyId, type, weight`` (the weight into that body; 0 for the first).
    Raises :class:`QueryTimeout` after ``timeout`` seconds (neuprint-python returns an empty
    DataFrame instead, which reads as "no path").
    """
    assert client is not None
    start, goal = int(upstream_bodyId), int(downstream_bodyId)
    if intermediate_criteria is None:
        intermediate_criteria = NeuronCriteria(status="Traced", client=client)
    middle, _ = _side(intermediate_criteria, client)
    deadline = time.monotonic() + timeout
    parents: dict[int, dict[int, int]] = {start: {}}  # body -> {predecessor: weight}
    frontier = {start}
    found = start == goal
    while frontier and not found:
        if time.monotonic() > deadline:
            raise QueryTimeout(f"no shortest path found within {timeout} s")
        target = or_(middle, N.bodyId == goal)
        step = run(
            client.transport,
            connections(
                N.bodyId.isin(sorted(frontier)),
                target,
                where=E.weight >= min_weight,
                upstream_label="Segment",
                downstream_label="Segment",
            ),
        )
        reached: dict[int, dict[int, int]] = {}
        for pre, post, weight in step[["bodyId_pre", "bodyId_post", "weight"]].itertuples(
            index=False, name=None
        ):
            if int(post) in parents:
                continue
            reached.setdefault(int(post), {})[int(pre)] = int(weight)
        parents.update(reached)
        found = goal in reached
        frontier = set(reached) if not found else set()
    if not found:
        return pd.DataFrame(
            {
                "path": pd.Series([], dtype="int64"),
                "bodyId": pd.Series([], dtype="int64"),
                "type": pd.Series([], dtype=object),
                "weight": pd.Series([], dtype="int64"),
            }
        )
    paths: list[list[tuple[int, int]]] = []

    def unwind(body: int, suffix: list[tuple[int, int]]) -> None:
        if body == start:
            paths.append([(start, 0), *suffix])
            return
        for pre, weight in sorted(parents[body].items()):
            unwind(pre, [(body, weight), *suffix])

    unwind(goal, [])
    bodies = {b for path in paths for b, _ in path}
    table = _properties(client, bodies, ["type"], optional=frozenset({"type"}))
    types = table.set_index("bodyId")["type"]
    rows = [(i, b, types.get(b), w) for i, path in enumerate(sorted(paths)) for b, w in path]
    out = pd.DataFrame(rows, columns=["path", "bodyId", "type", "weight"])
    out["type"] = out["type"].astype(object).where(out["type"].notna(), None)
    return out.astype({"path": "int64", "bodyId": "int64", "weight": "int64"})
