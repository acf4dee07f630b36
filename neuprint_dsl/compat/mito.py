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
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..cypher.dialects import get_dialect
from ..cypher.literals import quote_string, render_number
from ..errors import InvalidArgument
from ..execute import run
from ..expr import TRUE, Predicate, PredicateLike, and_, not_, or_, shown_text
from ..fields import M, N
from ..query import mitochondria, synapses
from .client import Client, default_client, inject_client
from .synapses import (
    SYNAPSE_DTYPES,
    SYNAPSE_ORDER,
    DatasetInfo,
    SynapseCriteria,
    _body_batches,
    _cast,
    _check_flag,
    _check_rois,
    _empty_frame,
    _resolve_synapse_criteria,
    _roi_list,
    _run_batches,
    _sorted,
    _synapse_pairs,
    _with_where,
)

__all__ = [
    "MitoCriteria",
    "fetch_connection_mitochondria",
    "fetch_mitochondria",
    "fetch_synapses_and_closest_mitochondria",
]

MITO_TYPES = ("dark", "medium", "light")


class MitoCriteria:
    """Which mitochondria to fetch (neuprint-python's ``MitoCriteria``), as an ``M``
    predicate.

    ``rois``: the mitochondrion lies in any of them; ``mitoType``: ``'dark'``, ``'medium'`` or
    ``'light'``; ``size``: at least this many voxels (``0``: no test); ``primary_only``:
    report each mitochondrion once, with its primary ROI (``False``: once per ROI containing
    it) -- it never filters. ``client`` (default: the default client, if any) checks the ROI
    names.

    Example:
        >>> MitoCriteria(mitoType="medium", size=5)
        MitoCriteria('m', mitoType='medium', size=5, primary_only=True)  # size >= 5 and mitoType = "medium"
    """

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
        if not isinstance(matchvar, str) or not matchvar:
            raise InvalidArgument(f"matchvar must be a non-empty str, not {matchvar!r}")
        self.matchvar = matchvar
        self.rois = _roi_list(rois, "rois")
        kind = mitoType or None
        if kind not in (None, *MITO_TYPES):
            raise InvalidArgument(
                f"Invalid mitoType: {kind!r}. Choices are 'dark', 'medium' and 'light'."
            )
        self.mitoType: Literal["dark", "medium", "light"] | None = kind
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or size != size:
            raise InvalidArgument(f"size must be a number of voxels, not {size!r}")
        self.size: int | float = size
        self.primary_only: bool = _check_flag(primary_only, "primary_only")
        if client is None and self.rois:
            try:
                client = default_client()
            except RuntimeError:
                client = None  # the compiler checks ROI names against the dataset later
        self.client = client
        _check_rois(self.rois, client, "MitoCriteria rois")

    def to_expr(self) -> Predicate:
        """The ``M`` predicate: any of the ROIs, ``size >=`` (unless 0), the type.

        Example:
            >>> MitoCriteria().to_expr()
            <predicate true>
        """
        parts: list[PredicateLike] = []
        if self.rois:
            parts.append(or_(*(M.roi(r) for r in self.rois)))
        if self.size:
            parts.append(M.size >= self.size)
        if self.mitoType:
            parts.append(M.mitoType == self.mitoType)
        return and_(*parts) if parts else TRUE

    def __predicate__(self) -> Predicate:
        return self.to_expr()

    def __and__(self, other: PredicateLike) -> Predicate:
        return and_(self.to_expr(), other)

    def __rand__(self, other: PredicateLike) -> Predicate:
        return and_(other, self.to_expr())

    def __or__(self, other: PredicateLike) -> Predicate:
        return or_(self.to_expr(), other)

    def __ror__(self, other: PredicateLike) -> Predicate:
        return or_(other, self.to_expr())

    def __invert__(self) -> Predicate:
        return not_(self.to_expr())

    def condition(self, *matchvars: str, prefix: str | int = "", comments: bool = True) -> str:
        """neuprint-python's ``WITH ... WHERE ...`` clause (neo4j Cypher, for hand-written
        queries); it always tests ``type = "mitochondrion"``.

        Example:
            >>> print(MitoCriteria().condition(comments=False), end="")
            WITH m
            WHERE m.type = "mitochondrion"
        """
        var = self.matchvar
        exprs = [f'{var}.type = "mitochondrion"']
        if self.rois:
            # as the compiler reads them: a name holding ':', a backslash or an unprintable
            # character as n['...'] (Neo4j reads \uXXXX even inside backticks, and
            # neuPrintHTTP rewrites ':Label' text anywhere)
            flags = (get_dialect("neo4j").property(var, r) for r in self.rois)
            exprs.append("(" + " OR ".join(flags) + ")")
        if self.size:
            exprs.append(f"({var}.size >= {render_number(self.size)})")
        if self.mitoType:
            exprs.append(f"({var}.mitoType = {quote_string(self.mitoType)})")
        return _with_where(var, matchvars, exprs, "mito", prefix, comments)

    def _key(self) -> tuple[Any, ...]:
        return (self.matchvar, tuple(self.rois), self.mitoType, self.size, self.primary_only)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MitoCriteria):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        args = [repr(self.matchvar)]
        if self.rois:
            args.append(f"rois={self.rois!r}")
        if self.mitoType:
            args.append(f"mitoType={self.mitoType!r}")
        if self.size:
            args.append(f"size={self.size}")
        if self.primary_only:
            args.append("primary_only=True")
        # reads back as Python (neuprint-python's habit); the comment is the DSL text
        call = f"MitoCriteria({', '.join(args)})"
        return f"{call}  # {shown_text(lambda: self.to_expr().to_text(), 'predicate')}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer: the same text as ``repr``."""
        printer.text(repr(self))


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
    batches, label = _body_batches(client, neuron_criteria, batch_size)
    where = mc.to_expr()

    def fetch(batch: list[int]) -> pd.DataFrame:
        statement = mitochondria(
            N.bodyId.isin(batch), where, primary_only=mc.primary_only, label=label
        )
        return run(client.transport, statement)

    frames = _run_batches(client, batches, fetch, "fetch_mitochondria")
    if not frames:
        return _empty_frame(MITO_DTYPES)
    order = ["bodyId", "x", "y", "z", "mitoType", "roi", "size", "r0", "r1", "r2"]
    return _cast(_sorted(frames, order), MITO_DTYPES)


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
    sc = _resolve_synapse_criteria(synapse_criteria, client)
    batches, label = _body_batches(client, neuron_criteria, batch_size)
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

    frames = _run_batches(client, batches, fetch, "fetch_synapses_and_closest_mitochondria")
    if not frames:
        return _empty_frame(SYNAPSE_MITO_DTYPES)
    order = [*SYNAPSE_ORDER, "distance", "size", "mx", "my", "mz"]
    return _cast(_sorted(frames, order), SYNAPSE_MITO_DTYPES)


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
    return _synapse_pairs(
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
