"""fetch_neurons and fetch_custom_neurons: neuron tables plus per-ROI synapse counts.

Built on the DSL: ``fetch_neurons(criteria)`` runs ``neurons(criteria.to_expr(), ...)`` on the
client's transport, so it works on a neuPrint server and on the embedded engine alike, and
any DSL predicate is accepted as criteria.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from ..embedded.rois import NOT_PRIMARY
from ..errors import InvalidArgument
from ..execute import run
from ..frames import shape
from ..query import neurons
from .client import Client, inject_client
from .criteria import NeuronCriteria, as_criteria, criteria_label

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


#: neuprint-python 0.6.4's ``CORE_NEURON_COLS``: what ``returned_columns="core"`` returns
#: (those the dataset has; ``inputRois``/``outputRois`` are made from ``roiInfo``)
NEUPRINT_CORE_COLUMNS = (
    *CORE_NEURON_COLS[: CORE_NEURON_COLS.index("somaLocation") + 1],
    "inputRois",
    "outputRois",
    "roiInfo",
)


@overload
def fetch_neurons(
    criteria: Any = None,
    *,
    omit_rois: Literal[False] = False,
    returned_columns: str | Sequence[str] = "all",
    client: Client | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]: ...
@overload
def fetch_neurons(
    criteria: Any = None,
    *,
    omit_rois: Literal[True],
    returned_columns: str | Sequence[str] = "all",
    client: Client | None = None,
) -> pd.DataFrame: ...
@overload
def fetch_neurons(
    criteria: Any = None,
    *,
    omit_rois: bool,
    returned_columns: str | Sequence[str] = "all",
    client: Client | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]: ...
@inject_client
def fetch_neurons(
    criteria: Any = None,
    *,
    omit_rois: bool = False,
    returned_columns: str | Sequence[str] = "all",
    client: Client | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Properties and per-ROI synapse counts of the neurons matching ``criteria`` (bodyIds,
    type/instance strings, a NeuronCriteria, or any DSL predicate; ``None``: every neuron).

    Returns ``(neurons_df, roi_counts_df)`` like neuprint-python: the neuron properties,
    ``roiInfo`` parsed, ``inputRois``/``outputRois`` lists; one row per neuron and ROI with
    the counts, plus ``NotPrimary`` rows for synapses outside every primary ROI.

    neuprint-python's keywords: ``omit_rois=True`` returns ``neurons_df`` alone, without
    ``roiInfo`` (a smaller answer); ``returned_columns`` is ``"all"`` (default), ``"core"``
    (those of :data:`NEUPRINT_CORE_COLUMNS` the dataset has) or a list of property names
    (names the dataset does not have are left out, with a warning, as neuprint-python
    ignores them). The columns come in neuprint-python's order: its core columns first.

    Example:
        >>> fetch_neurons(returned_columns="some")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: returned_columns must be 'all', 'core' or a list of property names, not 'some'
    """
    assert client is not None
    if not isinstance(omit_rois, bool):
        raise InvalidArgument(f"omit_rois must be True or False, not {omit_rois!r}")
    pred = as_criteria(NeuronCriteria() if criteria is None else criteria, client=client)
    keys = client.fetch_neuron_keys()
    # roiInfo: always with the ROI counts, never without them (as neuprint-python)
    columns = _ordered(k for k in _returned(returned_columns, keys) if k != "roiInfo")
    if not omit_rois:
        if "bodyId" not in columns:
            raise InvalidArgument(
                "returned_columns must include 'bodyId' unless omit_rois=True (the ROI counts "
                "table is keyed by bodyId)"
            )
        columns.append("roiInfo")
    label = criteria_label(criteria) if criteria is not None else "Neuron"
    frame = run(client.transport, neurons(pred, label=label, columns=columns))
    if omit_rois:
        return _locations(frame)
    return _neuron_tables(frame, client)


def _returned(returned_columns: str | Sequence[str], keys: list[str]) -> list[str]:
    """The properties ``returned_columns`` asks for, among the dataset's ``keys``."""
    if isinstance(returned_columns, str):
        if returned_columns == "all":
            return list(keys)
        if returned_columns == "core":
            return [c for c in NEUPRINT_CORE_COLUMNS if c in keys]
        raise InvalidArgument(
            "returned_columns must be 'all', 'core' or a list of property names, "
            f"not {returned_columns!r}"
        )
    if not isinstance(returned_columns, Iterable):
        raise InvalidArgument(
            "returned_columns must be 'all', 'core' or a list of property names, "
            f"not {type(returned_columns).__name__}"
        )
    asked = list(dict.fromkeys(str(c) for c in returned_columns))
    missing = [c for c in asked if c not in keys]
    found = [c for c in asked if c in keys]
    if missing:
        warnings.warn(
            f"returned_columns the dataset does not have are left out: {missing}",
            stacklevel=4,
        )
    if not found:
        raise InvalidArgument(f"none of returned_columns {asked} is a property of this dataset")
    return found


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


def _locations(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the point columns as ``[x, y, z]`` lists."""
    frame = frame.copy()
    for column in ("somaLocation", "tosomaLocation", "rootLocation"):
        if column in frame.columns:
            frame[column] = [_point(v) for v in frame[column].tolist()]
    return frame


def _neuron_tables(frame: pd.DataFrame, client: Client) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _locations(frame)
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
    # neuprint-python's count columns: those of the neuron table
    counts = [c for c in _COUNTS if c in frame.columns]
    rows: list[tuple[Any, ...]] = []
    bodies = frame["bodyId"].tolist() if "bodyId" in frame else []
    for body, info, position in zip(bodies, infos, range(len(frame)), strict=True):
        for roi in sorted(info):
            rows.append((body, roi, *(int(info[roi].get(c) or 0) for c in counts)))
        if not counts:  # no totals to subtract from: no NotPrimary row
            continue
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
