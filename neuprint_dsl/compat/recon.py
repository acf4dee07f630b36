"""Reconstruction tools, as neuprint-python's ``fetch_output_completeness`` and
``fetch_downstream_orphan_tasks``, built on DSL ``neurons``/``connections`` statements.

A partner is *complete* when its ``status`` or its ``statusLabel`` is one of
``complete_statuses``; every other downstream segment (status missing included) is an
*orphan*. Partners are any ``:Segment`` (neurons included), as in neuprint-python.

One neuprint-python behaviour is deliberately not copied (a regression test says so): its
``fetch_output_completeness`` drops every neuron none of whose partners is complete (its
second ``MATCH`` finds no row), so such neurons vanish from the table and get ``NaN``
completeness in ``fetch_downstream_orphan_tasks``. Here they are listed with
``traced_weight`` 0 and ``completeness`` 0.0. Neurons without any output connection are
left out, as in neuprint-python (their completeness would be 0/0). An empty selection gives
an empty table with the right columns (neuprint-python raises from ``pd.concat``).

Example:
    >>> from neuprint_dsl.compat import Client, NeuronCriteria as NC, clear_default_client
    >>> from neuprint_dsl.transports import Recording
    >>> c = Client(transport=Recording(lambda q: [[7]] if q.endswith("AS bodyId\\nORDER BY n.bodyId") else None))
    >>> fetch_output_completeness(NC(type="APL"), client=c).columns.tolist()
    ['bodyId', 'total_weight', 'traced_weight', 'untraced_weight', 'completeness']
    >>> clear_default_client()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidArgument
from ..execute import run
from ..expr import Predicate, or_
from ..fields import N
from ..query import Label, connections, neurons
from .batches import client_progress, map_batches, selection
from .client import Client, inject_client
from .properties import dataset_has, fetch_properties

COMPLETENESS_COLUMNS = [
    "bodyId",
    "total_weight",
    "traced_weight",
    "untraced_weight",
    "completeness",
]
ORPHAN_COLUMNS = [
    "bodyId_pre",
    "bodyId_post",
    "orphan_weight",
    "status_post",
    "statusLabel",
    "total_weight",
    "orig_traced_weight",
    "orig_untraced_weight",
    "orig_completeness",
    "cum_orphan_weight",
    "cum_completeness",
]


def _statuses(complete_statuses: Any) -> list[str]:
    if isinstance(complete_statuses, str):
        complete_statuses = [complete_statuses]
    if not isinstance(complete_statuses, Iterable):
        raise InvalidArgument(
            f"complete_statuses must be a list of status names, not {complete_statuses!r}"
        )
    names = list(dict.fromkeys(complete_statuses))
    for name in names:
        if not isinstance(name, str):
            raise InvalidArgument(f"complete_statuses must be strings, not {name!r} (in {names!r})")
    return names


def _complete(statuses: list[str], client: Client) -> Predicate:
    """A partner is complete when its status or its statusLabel is listed (FALSE for []);
    a property the dataset lacks is left out (it would be false on every segment)."""
    if not statuses:
        return or_()
    has = dataset_has(client, ("status", "statusLabel"))
    return or_(*(N[name].isin(statuses) for name in has))


def _body_ids(client: Client, where: Predicate, label: Label) -> list[int]:
    frame = run(client.transport, neurons(where, label=label, columns=["bodyId"]))
    return [int(b) for b in frame["bodyId"].tolist()]


def _empty_completeness() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series([], dtype="float64" if c == "completeness" else "int64")
            for c in COMPLETENESS_COLUMNS
        }
    )


def _completeness(
    client: Client, batch: list[int], label: Label, complete: Predicate
) -> pd.DataFrame:
    """Completeness of the bodies in ``batch`` (those with at least one output)."""
    chosen = N.bodyId.isin(batch)
    kwargs: dict[str, Any] = {"upstream_label": label, "downstream_label": "Segment"}
    total = run(client.transport, connections(chosen, None, **kwargs))
    traced = run(client.transport, connections(chosen, complete, **kwargs))
    totals = total.groupby("bodyId_pre")["weight"].sum()
    traced_sums = traced.groupby("bodyId_pre")["weight"].sum()
    if totals.empty:
        return _empty_completeness()
    out = pd.DataFrame(
        {
            "bodyId": totals.index.to_numpy(dtype="int64"),
            "total_weight": totals.to_numpy(dtype="int64"),
        }
    )
    out["traced_weight"] = out["bodyId"].map(traced_sums).fillna(0).to_numpy(dtype="int64")
    out["untraced_weight"] = out["total_weight"] - out["traced_weight"]
    out["completeness"] = out["traced_weight"] / out["total_weight"]
    return out[COMPLETENESS_COLUMNS]


@inject_client
def fetch_output_completeness(
    criteria: Any,
    complete_statuses: Iterable[str] = ("Traced",),
    batch_size: int | None = 1000,
    *,
    client: Client | None = None,
) -> pd.DataFrame:
    """The fraction of each neuron's output weight that goes to complete partners.

    ``criteria`` (body ids, type/instance names, a ``NeuronCriteria`` or a DSL predicate)
    picks the neurons; a partner (any segment) is complete when its ``status`` or
    ``statusLabel`` is in ``complete_statuses``. Returns one row per neuron with outputs,
    ordered by ``bodyId``: ``bodyId, total_weight, traced_weight, untraced_weight,
    completeness`` (``traced_weight / total_weight``). Neurons are processed
    ``batch_size`` at a time (``None``: all at once) with a progress bar.

    Example:
        >>> fetch_output_completeness(NC(type="MBON.*"), ["Traced", "Roughly traced"])  # doctest: +SKIP
    """
    assert client is not None
    statuses = _statuses(complete_statuses)
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise InvalidArgument(f"batch_size must be a positive int or None, not {batch_size!r}")
    where, label = selection(criteria, client)
    ids = _body_ids(client, where, label)
    return _output_completeness(client, ids, label, statuses, batch_size)


def _output_completeness(
    client: Client, ids: list[int], label: Label, statuses: list[str], batch_size: int | None
) -> pd.DataFrame:
    size = batch_size or max(len(ids), 1)
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    complete = _complete(statuses, client)
    frames: list[pd.DataFrame] = map_batches(
        lambda batch: _completeness(client, batch, label, complete),
        batches,
        1,
        client_progress(client),
        "fetch_output_completeness",
    )
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_completeness()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("bodyId", kind="stable").reset_index(drop=True)


@inject_client
def fetch_downstream_orphan_tasks(
    criteria: Any,
    complete_statuses: Iterable[str] = ("Traced",),
    *,
    client: Client | None = None,
) -> pd.DataFrame:
    """The downstream orphans of the neurons matching ``criteria``, strongest first, with the
    output completeness each neuron would reach if its orphans were traced in that order.

    One row per connection from a chosen neuron (``bodyId_pre``) to a segment that is not
    complete (``bodyId_post``; neither its ``status`` nor its ``statusLabel`` is in
    ``complete_statuses``), ordered by ``bodyId_pre``, then ``orphan_weight`` descending, then
    ``bodyId_post``. Columns: ``bodyId_pre, bodyId_post, orphan_weight, status_post,
    statusLabel`` (of the orphan, as neuprint-python names it), ``total_weight,
    orig_traced_weight, orig_untraced_weight, orig_completeness`` (from
    :func:`fetch_output_completeness`), ``cum_orphan_weight`` (running sum per
    ``bodyId_pre``) and ``cum_completeness``
    (``(orig_traced_weight + cum_orphan_weight) / total_weight``).

    Example:
        >>> tasks = fetch_downstream_orphan_tasks(NC(status="Traced", cropped=False, rois=["PB"]))  # doctest: +SKIP
        >>> tasks.query("cum_completeness < 0.2").head(10)  # doctest: +SKIP
    """
    assert client is not None
    statuses = _statuses(complete_statuses)
    where, label = selection(criteria, client)
    ids = _body_ids(client, where, label)
    conns = _connections_from(client, ids, label)
    conns = conns.sort_values(
        ["bodyId_pre", "weight", "bodyId_post"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    status = fetch_properties(
        client,
        conns["bodyId_post"].unique().tolist(),
        ["status", "statusLabel"],
        optional=frozenset({"status", "statusLabel"}),
    )
    conns = conns.merge(status, left_on="bodyId_post", right_on="bodyId").drop(columns=["bodyId"])
    complete = conns["status"].isin(statuses) | conns["statusLabel"].isin(statuses)
    # the completeness of each neuron, from the same table (fetch_output_completeness's values)
    weights = conns.assign(traced=conns["weight"].where(complete, 0))
    completeness = weights.groupby("bodyId_pre", as_index=False).agg(
        total_weight=("weight", "sum"), orig_traced_weight=("traced", "sum")
    )
    completeness["orig_untraced_weight"] = (
        completeness["total_weight"] - completeness["orig_traced_weight"]
    )
    completeness["orig_completeness"] = (
        completeness["orig_traced_weight"] / completeness["total_weight"]
    )
    conns = conns[~complete].rename(columns={"status": "status_post", "weight": "orphan_weight"})
    out = conns.merge(completeness, how="left", on="bodyId_pre")
    out["cum_orphan_weight"] = out.groupby("bodyId_pre")["orphan_weight"].cumsum()
    out["cum_completeness"] = (out["orig_traced_weight"] + out["cum_orphan_weight"]) / out[
        "total_weight"
    ]
    out = out[ORPHAN_COLUMNS].reset_index(drop=True)
    for column in ("status_post", "statusLabel"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    ints = ["bodyId_pre", "bodyId_post", "orphan_weight", "total_weight"]
    ints += ["orig_traced_weight", "orig_untraced_weight", "cum_orphan_weight"]
    return out.astype({c: np.dtype("int64") for c in ints})


def _connections_from(client: Client, ids: list[int], label: Label) -> pd.DataFrame:
    """Total weights from the given bodies to every segment, in batches of ids."""
    batch = 1000
    frames = []
    for i in range(0, len(ids), batch):
        frame = run(
            client.transport,
            connections(
                N.bodyId.isin(ids[i : i + batch]),
                None,
                upstream_label=label,
                downstream_label="Segment",
            ),
        )
        frames.append(frame[["bodyId_pre", "bodyId_post", "weight"]])
    if not frames:
        return pd.DataFrame(
            {c: pd.Series([], dtype="int64") for c in ("bodyId_pre", "bodyId_post", "weight")}
        )
    return pd.concat(frames, ignore_index=True)
