"""Mitochondria, as neuprint-python's ``MitoCriteria``, ``fetch_mitochondria``,
``fetch_synapses_and_closest_mitochondria`` and ``fetch_connection_mitochondria``, built on
the DSL statements ``mitochondria(...)``, ``synapses(..., closest_mitochondria=True)`` and
``synapse_connections(..., closest_mitochondria=True)``.

Deliberate differences from neuprint-python (each has a regression test):

* ``fetch_connection_mitochondria`` asks for each synapse's closest mitochondrion in the same
  query as the synapse pairs. neuprint-python fetches the pairs and the mitochondria
  separately and joins them on the synapse location alone, so a pair is repeated when two
  synapses share a location (or, with ``primary_only=False``, once per ROI), a synapse below
  the default confidence gets no mitochondrion, and the ``client`` argument is not passed on;
* the mitochondrion columns of ``fetch_connection_mitochondria`` always have the same dtypes
  (``mitoSize``/``mx``/``my``/``mz`` float64 with ``NaN`` for "none", ``distance`` float32,
  ``mitoType`` object with ``None``), not dtypes that depend on whether one is missing;
* an unknown ROI raises :class:`~neuprint_dsl.errors.UnknownROI`, a bad ``mitoType``
  :class:`~neuprint_dsl.errors.InvalidArgument` (neuprint-python asserts).

Example:
    >>> from neuprint_dsl.compat import MitoCriteria as MC
    >>> mc = MC(rois=["FB", "LAL(R)"], size=100_000, mitoType="dark")
    >>> print(mc.to_expr())
    (roi("FB") or roi("LAL(R)")) and size >= 100000 and mitoType = "dark"
    >>> print(mc.condition("n", "m"), end="")
    // -- Filter mito 'm' --
    WITH n, m
    WHERE m.type = "mitochondrion" AND (m.FB OR m.`LAL(R)`) AND (m.size >= 100000) AND (m.mitoType = 'dark')
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import pandas as pd

from ..errors import InvalidArgument
from ..execute import run
from ..fields import M, N, Namespace
from ..query import mitochondria, synapses
from .batches import body_batches, run_batches
from .client import Client, default_client, inject_client
from .point_criteria import DatasetInfo, PointCriteria, check_rois
from .synapses import (
    SYNAPSE_ORDER,
    SynapseCriteria,
    resolve_synapse_criteria,
    synapse_pairs,
)
from .tables import SYNAPSE_DTYPES, cast_frame, empty_frame, sorted_frame

__all__ = [
    "MitoCriteria",
    "fetch_connection_mitochondria",
    "fetch_mitochondria",
    "fetch_synapses_and_closest_mitochondria",
]

MITO_TYPES = ("dark", "medium", "light")


@attrs.define(init=False, repr=False, hash=True)  # as PointCriteria says
class MitoCriteria(PointCriteria):
    """Which mitochondria to fetch (neuprint-python's ``MitoCriteria``), as an ``M``
    predicate.

    ``rois``: the mitochondrion lies in any of them; ``mitoType``: ``'dark'``, ``'medium'`` or
    ``'light'``; ``size``: at least this many voxels (``0``: no test); ``primary_only``:
    report each mitochondrion once, with its primary ROI (``False``: once per ROI containing
    it) -- it never filters. ``client`` (default: the default client, if any) checks the ROI
    names. ``condition()`` always tests ``type = "mitochondrion"``.

    Example:
        >>> MitoCriteria(mitoType="medium", size=5)
        MitoCriteria('m', mitoType='medium', size=5, primary_only=True)  # size >= 5 and mitoType = "medium"
        >>> print(MitoCriteria().condition(comments=False), end="")
        WITH m
        WHERE m.type = "mitochondrion"
    """

    # (defaults unused, as in SynapseCriteria)
    mitoType: Literal["dark", "medium", "light"] | None = None
    size: int | float = 0

    fields: ClassVar[Namespace] = M
    noun: ClassVar[str] = "mito"
    type_field: ClassVar[str] = "mitoType"
    threshold: ClassVar[tuple[str, str]] = ("size", ">=")

    def __init__(
        self,
        matchvar: str = "m",
        *,
        rois: str | Iterable[str] | None = None,
        mitoType: Literal["dark", "medium", "light"] | None = None,
        size: int = 0,
        primary_only: bool = True,
        client: DatasetInfo | None = None,
    ) -> None:
        self._set_common(matchvar, rois, primary_only)
        kind = mitoType or None
        if kind not in (None, *MITO_TYPES):
            raise InvalidArgument(
                f"Invalid mitoType: {kind!r}. Choices are 'dark', 'medium' and 'light'."
            )
        self.mitoType = kind
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or size != size:
            raise InvalidArgument(f"size must be a number of voxels, not {size!r}")
        self.size = size
        if client is None and self.rois:
            try:
                client = default_client()
            except RuntimeError:
                client = None  # the compiler checks ROI names against the dataset later
        self.client = client
        check_rois(self.rois, client, "MitoCriteria rois")

    def _always(self, var: str) -> list[str]:
        return [f'{var}.type = "mitochondrion"']


MITO_DTYPES: dict[str, Any] = {
    "bodyId": np.dtype("int64"),
    "mitoType": object,
    "roi": object,
    "x": np.dtype("int32"),
    "y": np.dtype("int32"),
    "z": np.dtype("int32"),
    "size": np.dtype("int32"),
    "r0": np.dtype("float32"),
    "r1": np.dtype("float32"),
    "r2": np.dtype("float32"),
}

SYNAPSE_MITO_DTYPES: dict[str, Any] = {
    **SYNAPSE_DTYPES,
    "mitoType": object,
    "distance": np.dtype("float32"),
    "size": np.dtype("int32"),
    "mx": np.dtype("int32"),
    "my": np.dtype("int32"),
    "mz": np.dtype("int32"),
    "r0": np.dtype("float32"),
    "r1": np.dtype("float32"),
    "r2": np.dtype("float32"),
}


@inject_client
def fetch_mitochondria(
    neuron_criteria: Any,
    mito_criteria: MitoCriteria | None = None,
    batch_size: int = 10,
    *,
    client: Client | None = None,
) -> pd.DataFrame:
    """The mitochondria of the bodies matching ``neuron_criteria`` that satisfy
    ``mito_criteria``, ``batch_size`` bodies per query, with a progress bar.

    Rows ``bodyId, mitoType, roi, x, y, z, size, r0, r1, r2`` (``x, y, z``: the centroid).
    ROI criteria in ``neuron_criteria`` only choose bodies; ``roi`` is the primary ROI (or
    ``None``), or with ``primary_only=False`` one row per ROI containing the mitochondrion.

    Example:
        >>> from neuprint_dsl.compat import NeuronCriteria as NC, MitoCriteria as MC
        >>> fetch_mitochondria(NC(type="ExR.*", rois=["EB"]), MC(rois=["FB"], size=100_000))  # doctest: +SKIP
    """
    assert client is not None
    if mito_criteria is None:
        mito_criteria = MitoCriteria(client=client)
    if not isinstance(mito_criteria, MitoCriteria):
        raise InvalidArgument(
            f"mito_criteria must be a MitoCriteria or None, not {mito_criteria!r}"
        )
    mc = mito_criteria
    batches, label = body_batches(client, neuron_criteria, batch_size)
    where = mc.to_expr()

    def fetch(batch: list[int]) -> pd.DataFrame:
        statement = mitochondria(
            N.bodyId.isin(batch), where, primary_only=mc.primary_only, label=label
        )
        return run(client.transport, statement)

    frames = run_batches(client, batches, fetch, "fetch_mitochondria")
    if not frames:
        return empty_frame(MITO_DTYPES)
    order = ["bodyId", "x", "y", "z", "mitoType", "roi", "size", "r0", "r1", "r2"]
    return cast_frame(sorted_frame(frames, order), MITO_DTYPES)


@inject_client
def fetch_synapses_and_closest_mitochondria(
    neuron_criteria: Any,
    synapse_criteria: SynapseCriteria | None = None,
    *,
    batch_size: int = 10,
    client: Client | None = None,
) -> pd.DataFrame:
    """The synapses of the bodies matching ``neuron_criteria`` (as :func:`fetch_synapses`)
    with the closest mitochondrion of each (by path length within the body); synapses
    without one are left out.

    Rows ``bodyId, type, roi, x, y, z, confidence, mitoType, distance, size, mx, my, mz, r0,
    r1, r2``: ``distance`` in voxels to the mitochondrion's edge, ``mx, my, mz`` its centroid.

    Example:
        >>> from neuprint_dsl.compat import NeuronCriteria as NC, SynapseCriteria as SC
        >>> fetch_synapses_and_closest_mitochondria(NC(type="ExR2"), SC(type="pre"))  # doctest: +SKIP
    """
    assert client is not None
    sc = resolve_synapse_criteria(synapse_criteria, client)
    batches, label = body_batches(client, neuron_criteria, batch_size)
    where = sc.to_expr()

    def fetch(batch: list[int]) -> pd.DataFrame:
        statement = synapses(
            N.bodyId.isin(batch),
            where,
            primary_only=sc.primary_only,
            label=label,
            closest_mitochondria=True,
        )
        return run(client.transport, statement)

    frames = run_batches(client, batches, fetch, "fetch_synapses_and_closest_mitochondria")
    if not frames:
        return empty_frame(SYNAPSE_MITO_DTYPES)
    order = [*SYNAPSE_ORDER, "distance", "size", "mx", "my", "mz"]
    return cast_frame(sorted_frame(frames, order), SYNAPSE_MITO_DTYPES)


@inject_client
def fetch_connection_mitochondria(
    source_criteria: Any,
    target_criteria: Any,
    synapse_criteria: SynapseCriteria | None = None,
    min_total_weight: int = 1,
    *,
    client: Client | None = None,
) -> pd.DataFrame:
    """:func:`fetch_synapse_connections` plus the closest mitochondrion of each synapse:
    ``mitoType, distance, mitoSize, mx, my, mz`` with suffix ``_pre`` (of the pre synapse)
    and ``_post`` (of the post synapse); ``None``/``NaN`` where a synapse has none.

    Example:
        >>> fetch_connection_mitochondria(1136865339, None)  # doctest: +SKIP
    """
    assert client is not None
    return synapse_pairs(
        client,
        source_criteria,
        target_criteria,
        synapse_criteria,
        min_total_weight,
        10_000,
        nt=None,
        closest_mitochondria=True,
        what="fetch_connection_mitochondria",
    )
