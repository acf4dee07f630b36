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

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..cypher import CypherStatement, to_cypher
from ..embedded.rois import NOT_PRIMARY
from ..errors import InvalidArgument, InvalidValue, QueryTimeout, TransportError
from ..execute import run
from ..expr import TRUE, Predicate, and_, as_predicate, or_
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
    lacking = set(optional) - set(dataset_has(client, optional))
    wanted = [p for p in properties if p != "bodyId"]
    columns = ["bodyId", *[p for p in wanted if p not in lacking]]
    # names the caller gave are checked even when there are no bodies to ask about
    validate(neurons(label="Segment", columns=columns), getattr(client.transport, "schema", None))
    frames = [
        run(
            client.transport,
            neurons(N.bodyId.isin(ids[i : i + _ID_BATCH]), label="Segment", columns=columns),
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
    table = pd.concat(frames, ignore_index=True)
    for name in wanted:
        if name not in table.columns:
            table[name] = pd.Series([None] * len(table), dtype=object, index=table.index)
    return table


def _with_properties(
    frame: pd.DataFrame,
    client: Client,
    properties: Sequence[str],
    optional: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    base = ["bodyId_pre", "bodyId_post", "weight"]
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
    client: Client | None = None,
) -> pd.DataFrame:
    """Connections from ``upstream_criteria`` to ``downstream_criteria`` neurons.

    One row per connection: ``bodyId_pre``, ``bodyId_post``, ``weight``, ``<property>_pre`` and
    ``<property>_post`` for each property, and ``conn_roiInfo``, neuPrint's per-ROI counts of
    the connection (``{roi: {"pre": n, "post": n}}``, every ROI of the hierarchy; on neuPrint
    the edge's own ``roiInfo``, parsed as neuprint-python does; ``post`` only on an embedded
    database whose export had no synapse pairs); strongest first. ``rois`` keeps connections
    with weight in at least one of those ROIs (super-level ROIs included).
    """
    assert client is not None
    if upstream_criteria is None and downstream_criteria is None:
        raise InvalidArgument("give upstream_criteria, downstream_criteria or both")
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
) -> pd.DataFrame:
    """The fetch_simple_connections table: strongest first, properties, conn_roiInfo."""
    labels: dict[str, Any] = {"upstream_label": up_label, "downstream_label": down_label}
    where = E.weight >= min_weight
    statement = connections(up, down, where=where, rois=rois, **labels)
    if getattr(client.transport, "dialect", None) == "neo4j":
        frame, roi_info = _neuprint_connections(client.transport, statement)
        out = _with_properties(frame, client, properties, optional)
        out["conn_roiInfo"] = pd.Series(roi_info, dtype=object, index=out.index)
        return out.reset_index(drop=True)
    frame = run(client.transport, statement)
    out = _with_properties(frame, client, properties, optional)
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
    transport: Any, statement: Connections
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The connections table on neuPrint, and each row's ``ConnectsTo.roiInfo`` parsed, from
    one query: the compiled statement also returning ``e.roiInfo AS conn_roiInfo``, as
    neuprint-python's own query does (so every ROI neuPrint stores, with ``pre`` and ``post``)."""
    schema = transport.schema
    compiled = to_cypher(statement, transport.dialect, schema=schema)
    parts = list(compiled.parts)
    returns = [i for i, p in enumerate(parts) if isinstance(p, str) and p.startswith("RETURN ")]
    if len(returns) != 1:
        raise TransportError(f"cannot add conn_roiInfo to this statement:\n{compiled.text}")
    parts[returns[0]] = f"{parts[returns[0]]}, e.roiInfo AS conn_roiInfo"
    with_info = CypherStatement(
        tuple(parts), compiled.dialect, (*compiled.columns, "conn_roiInfo"), compiled.render_literal
    )
    frame = transport.execute(with_info).to_frame()
    raw = frame.pop("conn_roiInfo")
    kinds = schema.node_kinds() if schema is not None else {}
    table = shape(frame, kinds)
    rows = zip(raw, table["bodyId_pre"], table["bodyId_post"], strict=True)
    return table, [_parsed_roi_info(v, int(a), int(b)) for v, a, b in rows]


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
    client: Client | None = None,
    threads: int = 4,
    progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Connections between large sets of neurons, one row per connection and ROI.

    Returns ``(neurons_df, roi_conn_df)``: the connected neurons with ``properties``, and rows
    ``bodyId_pre, bodyId_post, roi, weight``. Only primary ROIs are listed unless
    ``include_nonprimary``; weight outside every primary ROI is listed as ``NotPrimary``.
    Filters, in order: ``rois`` (rows in those ROIs), ``min_total_weight`` (the connection's
    total weight across all ROIs), ``min_roi_weight`` (each row). The larger side is fetched
    in batches of ``batch_size`` bodies, ``threads`` at a time, with a progress bar.
    ``export_dir`` also writes ``neurons.csv``, ``roi-connections.csv`` and
    ``total-connections.csv``, the latter as neuprint-python writes it: every connection
    fetched between the two sides with its true total ``weight``, not the sum of the
    ROI-filtered rows (see :func:`_export_threshold`).
    """
    assert client is not None
    if sources is None and targets is None:
        raise InvalidArgument("give sources, targets or both")
    if batch_size < 1 or threads < 1:
        raise InvalidArgument("batch_size and threads must be positive")
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
    ids = run(client.transport, neurons(side, label=side_label, columns=["bodyId"]))[
        "bodyId"
    ].tolist()
    batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]

    def fetch(batch: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        chosen = N.bodyId.isin(batch)
        up, down = (chosen, tgt) if batch_sources else (src, chosen)
        kwargs: dict[str, Any] = {"upstream_label": src_label, "downstream_label": tgt_label}
        totals = run(client.transport, connections(up, down, where=E.weight >= fetch_min, **kwargs))
        rows = run(
            client.transport,
            connections(up, down, where=E.weight >= min_total_weight, per_roi=True, **kwargs),
        )
        return totals[["bodyId_pre", "bodyId_post", "weight"]], rows

    results = _map(fetch, batches, threads, progress, "fetch_adjacencies")
    totals = _concat([r[0] for r in results], ["bodyId_pre", "bodyId_post", "weight"])
    rows = _concat([r[1] for r in results], ["bodyId_pre", "bodyId_post", "roi", "weight"])
    fetched = totals  # every connection between the sides (>= fetch_min), true weights
    totals = fetched[fetched["weight"] >= min_total_weight]
    roi_conn = _roi_rows(totals, rows, set(client.primary_rois), include_nonprimary)
    if roi_list is not None:
        roi_conn = roi_conn[roi_conn["roi"].isin(roi_list) & (roi_conn["weight"] > 0)]
    roi_conn = roi_conn[roi_conn["weight"] >= min_roi_weight]
    roi_conn = roi_conn.sort_values(
        ["bodyId_pre", "bodyId_post", "weight", "roi"],
        ascending=[True, True, False, True],
        kind="stable",
    ).reset_index(drop=True)
    connected = set(roi_conn["bodyId_pre"]) | set(roi_conn["bodyId_post"])
    neurons_df = _properties(client, connected, list(properties), optional=_tolerated(properties))
    if export_dir is not None:
        threshold = _export_threshold(roi_list, min_roi_weight, min_total_weight)
        _export(Path(export_dir), neurons_df, roi_conn, fetched[fetched["weight"] >= threshold])
    return neurons_df, roi_conn


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
    totals: pd.DataFrame, rows: pd.DataFrame, primary: set[str], include_nonprimary: bool
) -> pd.DataFrame:
    rows = rows[rows["roi"] != NOT_PRIMARY]
    keep = rows if include_nonprimary else rows[rows["roi"].isin(primary)]
    primary_rows = rows[rows["roi"].isin(primary)]
    in_primary = primary_rows.groupby(["bodyId_pre", "bodyId_post"], as_index=False).agg(
        primary=("weight", "sum")
    )
    outside = totals.merge(in_primary, on=["bodyId_pre", "bodyId_post"], how="left")
    outside["weight"] = outside["weight"] - outside["primary"].fillna(0).astype("int64")
    outside = outside[outside["weight"] > 0].assign(roi=NOT_PRIMARY)
    table = pd.concat(
        [
            keep[["bodyId_pre", "bodyId_post", "roi", "weight"]],
            outside[["bodyId_pre", "bodyId_post", "roi", "weight"]],
        ],
        ignore_index=True,
    )
    table["roi"] = table["roi"].astype(object)
    return table.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})


def _export(
    directory: Path, neurons_df: pd.DataFrame, roi_conn: pd.DataFrame, totals: pd.DataFrame
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    neurons_df.to_csv(directory / "neurons.csv", index=False)
    roi_conn.to_csv(directory / "roi-connections.csv", index=False)
    total = totals[["bodyId_pre", "bodyId_post", "weight"]].drop_duplicates(
        ["bodyId_pre", "bodyId_post"]
    )
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
    export_dir: str | Path | None = None, batch_size: int = 200, *, client: Client | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`fetch_adjacencies` between all Traced, non-cropped neurons."""
    traced = NeuronCriteria(status="Traced", cropped=False, client=client)
    return fetch_adjacencies(
        traced, traced, export_dir=export_dir, batch_size=batch_size, client=client
    )


@inject_client
def fetch_common_connectivity(
    criteria: Any,
    search_direction: Literal["upstream", "downstream"] = "upstream",
    min_weight: int = 1,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
    *,
    client: Client | None = None,
) -> pd.DataFrame:
    """Partners connected to *every* neuron matching ``criteria`` (the Common Connectivity
    page): upstream partners (matched neurons in the ``_post`` columns) or downstream ones."""
    assert client is not None
    if search_direction not in ("upstream", "downstream"):
        raise InvalidArgument(
            f"search_direction must be 'upstream' or 'downstream', not {search_direction!r}"
        )
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
        frame = frame.iloc[0:0]
        out = _with_properties(frame, client, list(properties), _tolerated(properties))
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
