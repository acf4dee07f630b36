"""Connectivity, as neuprint-python's functions, built on DSL ``connections`` statements:
``fetch_simple_connections``, ``fetch_common_connectivity``, ``fetch_shortest_paths`` (and,
from :mod:`~neuprint_dsl.compat.adjacencies`, ``fetch_adjacencies`` and
``fetch_traced_adjacencies``).

Every function runs on any transport (neuPrint server or embedded engine) and accepts
neuprint-python's criteria (body ids, type/instance strings, ``NeuronCriteria``) or any DSL
predicate for either side.

A neuprint-python behaviour deliberately not copied (with a regression test):
``fetch_shortest_paths`` raises :class:`~neuprint_dsl.QueryTimeout` when it runs out of time,
instead of returning an empty DataFrame that looks like "no path".
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd

from ..backends import NEO4J
from ..embedded.rois import NOT_PRIMARY
from ..errors import (
    InvalidArgument,
    InvalidValue,
    QueryTimeout,
)
from ..execute import run
from ..expr import Predicate, or_
from ..fields import E, N
from ..frames import shape
from ..query import Connections, Label, connections, neurons
from .adjacencies import fetch_adjacencies, fetch_traced_adjacencies
from .batches import criteria_side
from .client import Client, inject_client
from .criteria import NeuronCriteria
from .edges import (
    TOTAL_COLUMNS,
    compiled_connections,
    embedded_conn_roi_info,
    embedded_weights,
    int_column,
    parsed_roi_info,
    weight_properties,
)
from .properties import (
    DEFAULT_PROPERTIES,
    fetch_properties,
    tolerated,
)

__all__ = [
    "fetch_adjacencies",
    "fetch_common_connectivity",
    "fetch_shortest_paths",
    "fetch_simple_connections",
    "fetch_traced_adjacencies",
]


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
    table = fetch_properties(client, ids, properties, optional=optional).set_index("bodyId")
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

    Example:
        >>> fetch_simple_connections("APL", None, min_weight=10)  # doctest: +SKIP
    """
    assert client is not None
    if upstream_criteria is None and downstream_criteria is None:
        raise InvalidArgument("give upstream_criteria, downstream_criteria or both")
    extras = weight_properties(weight_props, client)
    up, up_label = criteria_side(upstream_criteria, client)
    down, down_label = criteria_side(downstream_criteria, client)
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
        tolerated(properties),
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
    if getattr(client.transport, "dialect", None) == NEO4J:
        frame, roi_info = _neuprint_connections(client.transport, statement, extras)
        out = _with_properties(frame, client, properties, optional, extras)
        out["conn_roiInfo"] = pd.Series(roi_info, dtype=object, index=out.index)
        return out.reset_index(drop=True)
    frame = run(client.transport, statement)
    if extras:
        frame = embedded_weights(client, frame[TOTAL_COLUMNS], extras)
    out = _with_properties(frame, client, properties, optional, extras)
    info = embedded_conn_roi_info(client, out)
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
    # the extras right after the weight, as neuprint-python asks (names from a fixed list)
    with_info = compiled_connections(transport, statement, extras, None, roi_info=True)
    frame = transport.execute(with_info).to_frame()
    raw = frame.pop("conn_roiInfo")
    weights = {p: int_column(frame.pop(p).tolist(), p) for p in extras}
    kinds = schema.node_kinds() if schema is not None else {}
    table = shape(frame, kinds)
    for p in extras:
        table[p] = weights[p]
    rows = zip(raw, table["bodyId_pre"], table["bodyId_post"], strict=True)
    return table, [parsed_roi_info(v, int(a), int(b)) for v, a, b in rows]


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
    ``weight_props`` adds connection-strength columns as in :func:`fetch_simple_connections`.

    Example:
        >>> fetch_common_connectivity([5813, 1], "upstream")  # doctest: +SKIP
    """
    assert client is not None
    if search_direction not in ("upstream", "downstream"):
        raise InvalidArgument(
            f"search_direction must be 'upstream' or 'downstream', not {search_direction!r}"
        )
    extras = weight_properties(weight_props, client)
    matched, label = criteria_side(criteria, client)
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
        frame = frame.iloc[0:0][TOTAL_COLUMNS]
        for name in extras:
            frame[name] = pd.Series([], dtype="int64")
        out = _with_properties(frame, client, list(properties), tolerated(properties), extras)
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
            tolerated(properties),
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
        tolerated(properties),
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

    Example:
        >>> fetch_shortest_paths(5813, 1, min_weight=10)  # doctest: +SKIP
    """
    assert client is not None
    start, goal = int(upstream_bodyId), int(downstream_bodyId)
    if intermediate_criteria is None:
        intermediate_criteria = NeuronCriteria(status="Traced", client=client)
    middle, _ = criteria_side(intermediate_criteria, client)
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
    table = fetch_properties(client, bodies, ["type"], optional=frozenset({"type"}))
    types = table.set_index("bodyId")["type"]
    rows = [(i, b, types.get(b), w) for i, path in enumerate(sorted(paths)) for b, w in path]
    out = pd.DataFrame(rows, columns=["path", "bodyId", "type", "weight"])
    out["type"] = out["type"].astype(object).where(out["type"].notna(), None)
    return out.astype({"path": "int64", "bodyId": "int64", "weight": "int64"})
