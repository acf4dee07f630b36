"""neuPrint's ``Meta`` record for an embedded database: what a neuPrint server's ``:Meta``
node holds (dataset, primary ROIs, per-ROI synapse totals, hierarchy, neuron properties),
built from the database's own metadata and one aggregate query. The compat ``Client``'s
``meta`` and raw neuPrint Cypher on the ``:Meta`` node
(:func:`~neuprint_dsl.embedded.neuprint_cypher.run_neuprint_cypher`) both read it.

Example:
    >>> import pandas as pd
    >>> class Database:
    ...     meta = {"dataset": "demo", "primaryRois": ["EB"], "rois": ["EB", "FB"]}
    ...     def fetch_custom(self, cypher, params=None, *, timeout=None):
    ...         return pd.DataFrame({"roi": ["EB"], "pre": [3], "post": [12]})
    >>> meta = embedded_meta(Database())
    >>> meta["dataset"], meta["roiInfo"]
    ('demo', {'EB': {'pre': 3, 'post': 12}, 'FB': {'pre': 0, 'post': 0}})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd

__all__ = ["MetaSource", "embedded_meta"]

#: per-ROI totals of T-bars and post synapses over every body
_ROI_TOTALS = (
    "MATCH (n:Neuron:Segment) UNWIND range(1, size(n.roiNames)) AS i "
    "WITH n.roiNames[i] AS roi, coalesce(n.roiPre[i], 0) AS pre, coalesce(n.roiPost[i], 0) AS post "
    "RETURN roi, CAST(sum(pre) AS INT64) AS pre, CAST(sum(post) AS INT64) AS post ORDER BY roi"
)


class MetaSource(Protocol):
    """What :func:`embedded_meta` needs of a database: its metadata and a Cypher runner
    (an :class:`~neuprint_dsl.transports.ladybug.Embedded` is one)."""

    @property
    def meta(self) -> Mapping[str, Any]:
        """The metadata recorded by the load."""
        ...

    def fetch_custom(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> pd.DataFrame:
        """Rows of a Cypher query in the engine's dialect."""
        ...


def embedded_meta(db: MetaSource) -> dict[str, Any]:
    """neuPrint's ``Meta`` record of ``db``: ``dataset``, ``primaryRois``, ``roiInfo``
    (``{roi: {"pre", "post"}}`` totals, every ROI of the dataset listed), ``roiHierarchy``,
    ``neuronProperties``, ``synthetic`` and ``description`` (see the module example)."""
    local = db.meta
    totals = db.fetch_custom(_ROI_TOTALS)
    roi_info = {
        str(r): {"pre": int(p), "post": int(q)}
        for r, p, q in totals[["roi", "pre", "post"]].itertuples(index=False, name=None)
    }
    for roi in local.get("rois", []):
        roi_info.setdefault(roi, {"pre": 0, "post": 0})
    return {
        "dataset": local.get("dataset"),
        "primaryRois": list(local.get("primaryRois", [])),
        "roiInfo": roi_info,
        "roiHierarchy": local.get("roiHierarchy"),
        "neuronProperties": dict(local.get("neuronProperties", {})),
        "synthetic": local.get("synthetic", False),
        "description": local.get("description", ""),
    }
