"""fetch_neurons and fetch_custom_neurons: neuron tables plus per-ROI synapse counts.

Built on the DSL: ``fetch_neurons(criteria)`` runs ``neurons(criteria.to_expr(), ...)`` on the
client's transport, so it works on a neuPrint server and on the embedded engine alike, and
any DSL predicate is accepted as criteria.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..embedded.rois import NOT_PRIMARY
from ..errors import InvalidArgument
from ..execute import run
from ..frames import shape
from ..query import neurons
from .client import Client, inject_client
from .criteria import as_criteria, criteria_label

#: neuprint-python's leading columns, in its order; the rest follow sorted
CORE_NEURON_COLS = [
    "bodyId",
    "instance",
    "type",
    "pre",
    "post",
    "downstream",
    "upstream",
    "mito",
    "size",
    "status",
    "cropped",
    "statusLabel",
    "cellBodyFiber",
    "somaRadius",
    "somaLocation",
    "tosomaLocation",
    "rootLocation",
]
_COUNTS = ["pre", "post", "downstream", "upstream", "mito", "soma"]


@inject_client
def fetch_neurons(
    criteria: Any, *, client: Client | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Properties and per-ROI synapse counts of the neurons matching ``criteria`` (bodyIds,
    type/instance strings, a NeuronCriteria, or any DSL predicate).

    Returns ``(neurons_df, roi_counts_df)`` like neuprint-python: every neuron property,
    ``roiInfo`` parsed, ``inputRois``/``outputRois`` lists; one row per neuron and ROI with
    the counts, plus ``NotPrimary`` rows for synapses outside every primary ROI.
    """
    assert client is not None
    pred = as_criteria(criteria, client=client)
    keys = client.fetch_neuron_keys()
    columns = [*_ordered([k for k in keys if k != "roiInfo"]), "roiInfo"]
    label = criteria_label(criteria)
    frame = run(client.transport, neurons(pred, label=label, columns=columns))
    return _neuron_tables(frame, client)


@inject_client
def fetch_custom_neurons(
    q: str, *, client: Client | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Like :func:`fetch_neurons`, for your own Cypher, which must ``RETURN n`` (neuPrint's
    dialect; translated on the embedded engine, see docs/neuprint-cypher.md)."""
    assert client is not None
    frame = client.fetch_custom(q)
    if "n" not in frame.columns:
        raise InvalidArgument("the query must RETURN n (the matched neurons)")
    hidden = set(client.all_rois)
    records = []
    for node in frame["n"].tolist():
        record = {
            k: v
            for k, v in dict(node).items()
            if not k.startswith(("_", "roi:"))
            and k not in hidden
            and k not in ("roiNames", "roiPre", "roiPost")
        }
        records.append(record)
    names = sorted({k for r in records for k in r})
    table = pd.DataFrame(
        {k: pd.Series([r.get(k) for r in records], dtype=object) for k in _ordered(names)}
    )
    schema = getattr(client.transport, "schema", None)
    kinds = schema.node_kinds() if schema is not None else {}
    table = shape(table, kinds)  # the dtypes fetch_neurons gives
    if "bodyId" in table.columns:
        table = table.sort_values("bodyId", kind="stable").reset_index(drop=True)
    return _neuron_tables(table, client)


def _ordered(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    core = [c for c in CORE_NEURON_COLS if c in names]
    return core + sorted(n for n in names if n not in CORE_NEURON_COLS)


def _neuron_tables(frame: pd.DataFrame, client: Client) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame.copy()
    for column in ("somaLocation", "tosomaLocation", "rootLocation"):
        if column in frame.columns:
            frame[column] = [_point(v) for v in frame[column].tolist()]
    infos = (
        [_roi_info(v) for v in frame["roiInfo"].tolist()]
        if "roiInfo" in frame
        else [{}] * len(frame)
    )
    frame["roiInfo"] = pd.Series(infos, dtype=object, index=frame.index)
    frame["inputRois"] = [sorted(r for r, c in i.items() if c.get("post")) for i in infos]
    frame["outputRois"] = [sorted(r for r, c in i.items() if c.get("pre")) for i in infos]
    return frame, _roi_counts(frame, infos, set(client.primary_rois))


def _point(value: Any) -> Any:
    if isinstance(value, dict):  # neuPrint's {"type": "Point", "coordinates": [x, y, z]}
        return value.get("coordinates", value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _roi_info(value: Any) -> dict[str, dict[str, int]]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _roi_counts(
    frame: pd.DataFrame, infos: list[dict[str, dict[str, int]]], primary: set[str]
) -> pd.DataFrame:
    counts = [c for c in _COUNTS if any(c in v for i in infos for v in i.values())]
    rows: list[tuple[Any, ...]] = []
    bodies = frame["bodyId"].tolist() if "bodyId" in frame else []
    for body, info, position in zip(bodies, infos, range(len(frame)), strict=True):
        for roi in sorted(info):
            rows.append((body, roi, *(int(info[roi].get(c) or 0) for c in counts)))
        outside = []
        for c in counts:
            total = frame[c].iloc[position] if c in frame.columns else None
            inside = sum(int(info[r].get(c) or 0) for r in info if r in primary)
            outside.append(int(total) - inside if total is not None and not pd.isna(total) else 0)
        rows.append((body, NOT_PRIMARY, *outside))
    table = pd.DataFrame(rows, columns=["bodyId", "roi", *counts])
    if counts:
        table = table[(table[counts] != 0).any(axis=1)]
    table = table.sort_values(["bodyId", "roi"], kind="stable").reset_index(drop=True)
    table["roi"] = table["roi"].astype(object)
    return table.astype({"bodyId": "int64", **{c: "int64" for c in counts}})
