"""Synapses, as neuprint-python's ``SynapseCriteria``, ``fetch_synapses``,
``fetch_mean_synapses`` and ``fetch_synapse_connections``, built on the DSL statements
``synapses(...)`` and ``synapse_connections(...)``.

``SynapseCriteria(...)`` becomes an ``S`` predicate (:meth:`SynapseCriteria.to_expr`), so it
combines with any other (``SC(type="pre") & (S.z > 1000)``); :meth:`SynapseCriteria.condition`
still writes neuprint-python's Cypher text for hand-written queries. The functions run on any
transport (a neuPrint server or the embedded engine) and return neuprint-python's columns and
dtypes (``type`` categorical ``['pre', 'post']``, coordinates ``int32``, ``confidence``
``float32``), also when nothing matches.

Deliberate differences from neuprint-python (each has a regression test):

* results are ordered (by body, then as the statement orders them) instead of in server order;
* ``fetch_mean_synapses`` gives the same columns, in the same order, whether or not anything
  matched (neuprint-python's empty table lacks ``confidence`` and swaps ``roi``/``type``);
* an unknown ROI raises :class:`~neuprint_dsl.errors.UnknownROI` with suggestions, a bad
  argument :class:`~neuprint_dsl.errors.InvalidArgument` (a ``ValueError`` and a
  ``TypeError``), instead of ``AssertionError``;
* ROIs of the synapse criteria are not added to the neuron criteria as a speed-up (that
  would drop synapses of bodies whose ROI flags miss them); bodies are only chosen by the
  neuron criteria.

Example:
    >>> from neuprint_dsl.compat import SynapseCriteria as SC
    >>> sc = SC(rois=["FB", "EB"], type="pre", confidence=0.9, client=None)
    >>> print(sc.to_expr())
    (roi("FB") or roi("EB")) and confidence > 0.9 and type = "pre"
    >>> print(sc.condition("n", "s"), end="")
    // -- Filter synapse 's' --
    WITH n, s
    WHERE (s.FB OR s.EB) AND (s.confidence > 0.9) AND (s.type = 'pre')
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, ClassVar, Literal, TypeAlias

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..backends import LADYBUG
from ..cypher.synapse_aggregate import mean_synapses_cypher, synapse_rows_cypher
from ..embedded.synapse_companion import SynapseFilter
from ..errors import InvalidArgument, InvalidValue
from ..execute import run
from ..expr import Predicate, and_
from ..fields import E, N, Namespace, S
from ..query import (
    SYNAPSE_CONNECTION_COLUMNS,
    SYNAPSE_CONNECTION_DEFAULT_ORDER,
    SYNAPSE_DEFAULT_ORDER,
    Label,
    connections,
    synapse_connections,
    synapses,
)
from .batches import (
    body_batches,
    client_progress,
    map_batches,
    positive_int,
    run_batches,
    selection,
)
from .client import Client, default_client, inject_client
from .point_criteria import DatasetInfo, PointCriteria, check_rois
from .synapse_companion import MeanSpec, companion_synapses
from .tables import SYN_TYPE, SYNAPSE_DTYPES, cast_frame, empty_frame, sorted_frame

__all__ = [
    "SynapseCriteria",
    "fetch_mean_synapses",
    "fetch_synapse_connections",
    "fetch_synapses",
]

NtOption: TypeAlias = Literal["max", "all"] | None


#: dialects whose engine runs in this process: fetch_mean_synapses aggregates in the engine
#: (measured 2-4x faster than grouping the rows in pandas; the neo4j text stays the row
#: query neuPrint's goldens record); both functions take at least ENGINE_BATCH_SIZE bodies
#: per query there (each query costs: for fetch_synapses 1,000 measured 2x faster than
#: neuprint-python's default 10, for fetch_mean_synapses 1.2x faster than its 100)
_AGGREGATING_DIALECTS = frozenset({LADYBUG})
ENGINE_BATCH_SIZE = 1000

#: row order of fetch_synapses (the statement's, plus confidence to break ties)
SYNAPSE_ORDER = [*SYNAPSE_DEFAULT_ORDER, "confidence"]
#: row order of fetch_synapse_connections (the statement's, plus the confidences)
PAIR_ORDER = [*SYNAPSE_CONNECTION_DEFAULT_ORDER, "confidence_pre", "confidence_post"]


#: the statement's columns (``bodyId_pre``, ...), each with its synapse column's dtype
SYNAPSE_CONNECTION_DTYPES: dict[str, Any] = {
    column: SYNAPSE_DTYPES[column.rsplit("_", 1)[0]] for column in SYNAPSE_CONNECTION_COLUMNS
}


def _threshold(client: DatasetInfo) -> float:
    """The dataset's ``postHighAccuracyThreshold`` (0.0 when it has none)."""
    value = client.meta.get("postHighAccuracyThreshold")
    if value is None:  # the embedded engine keeps it in its own Meta rows
        local = getattr(getattr(client, "transport", None), "meta", None)
        if isinstance(local, dict):
            value = local.get("postHighAccuracyThreshold")
    return float(value) if value is not None else 0.0


# ---------------------------------------------------------------------------------------
# SynapseCriteria


@attrs.define(init=False, repr=False, hash=True)  # as PointCriteria says
class SynapseCriteria(PointCriteria):
    """Which synapses to fetch (neuprint-python's ``SynapseCriteria``), as an ``S`` predicate.

    ``rois``: the synapse lies in any of them; ``type``: ``'pre'`` or ``'post'``;
    ``confidence``: strictly greater than this (default: the dataset's
    ``postHighAccuracyThreshold``, so the synapses counted in connection weights; ``0`` means
    no test); ``primary_only``: report each synapse once, with its primary ROI (``False``: once
    per ROI containing it) -- it never filters. Non-primary ROIs need ``primary_only=False``.

    ``client`` checks the ROI names and gives the default confidence; ``None`` means the
    default client, which is only required when ``confidence`` is not given.

    Example:
        >>> sc = SynapseCriteria(type="post", confidence=0.5, client=None)
        >>> sc
        SynapseCriteria('s', type='post', confidence=0.5, primary_only=True)  # confidence > 0.5 and type = "post"
        >>> print(sc & (S.z > 100))
        confidence > 0.5 and type = "post" and z > 100
    """

    # (defaults unused, __init__ sets every field: they keep mypy's attrs signature of the
    # subclass compatible with PointCriteria's)
    type: Literal["pre", "post"] | None = None
    confidence: float = 0.0

    fields: ClassVar[Namespace] = S
    noun: ClassVar[str] = "synapse"
    type_field: ClassVar[str] = "type"
    threshold: ClassVar[tuple[str, str]] = ("confidence", ">")

    def __init__(
        self,
        matchvar: str = "s",
        *,
        rois: str | Iterable[str] | None = None,
        type: Literal["pre", "post"] | None = None,
        confidence: float | None = None,
        primary_only: bool = True,
        client: DatasetInfo | None = None,
    ) -> None:
        self._set_common(matchvar, rois, primary_only)
        type_ = type or None
        if type_ not in ("pre", "post", None):
            raise InvalidArgument(
                f"Invalid synapse type: {type_!r}.  Choices are 'pre' and 'post'."
            )
        self.type = type_
        if client is None:
            try:
                client = default_client()
            except RuntimeError:
                if confidence is None:
                    raise RuntimeError(
                        "SynapseCriteria(confidence=None) uses the dataset's "
                        "postHighAccuracyThreshold: give client=... or a confidence"
                    ) from None
        self.client = client
        check_rois(self.rois, client, "SynapseCriteria rois")
        if client is not None and self.primary_only:
            nonprimary = [r for r in self.rois if r not in set(client.primary_rois)]
            if nonprimary:
                raise InvalidArgument(
                    f"You listed non-primary ROIs ({', '.join(nonprimary)}) but did not "
                    "specify primary_only=False"
                )
        if confidence is None:
            assert client is not None
            confidence = _threshold(client)
        if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
            raise InvalidArgument(f"confidence must be a number, not {confidence!r}")
        if math.isnan(float(confidence)):
            raise InvalidValue("confidence must not be NaN")
        self.confidence = float(confidence)


def resolve_synapse_criteria(criteria: object, client: Client) -> SynapseCriteria:
    """The given criteria, or ``SynapseCriteria(client=client)`` for ``None``; anything else
    raises :class:`~neuprint_dsl.errors.InvalidArgument`.

    Example:
        >>> sc = SynapseCriteria(type="pre", confidence=0, client=None)
        >>> resolve_synapse_criteria(sc, None) is sc  # type: ignore[arg-type]
        True
    """
    if criteria is None:
        return SynapseCriteria(client=client)
    if not isinstance(criteria, SynapseCriteria):
        raise InvalidArgument(
            f"synapse_criteria must be a SynapseCriteria or None, not {criteria!r}"
        )
    return criteria


def _check_nt(nt: object, client: Client) -> None:
    """``nt='max'``/``'all'`` need neurotransmitter properties on the synapses."""
    if nt is None:
        return
    if nt not in ("max", "all"):
        raise InvalidArgument(f"Invalid option for nt: {nt!r}. Use None, 'max', or 'all'.")
    keys = client.meta.get("ntSynapseProperties")
    if not keys and not client.is_embedded:
        found = client.fetch_custom(
            "MATCH (s:Synapse {type: 'pre'}) "
            "WITH [k IN keys(s) WHERE k STARTS WITH 'nt'] AS nt_keys "
            "RETURN nt_keys LIMIT 1"
        )
        keys = found.iloc[0, 0] if len(found) else None
    if not keys:
        raise RuntimeError(
            "Can't return synapse neurotransmitter properties: "
            "No neurotransmitter properties found in the database."
        )
    raise NotImplementedError(
        f"nt={nt!r}: this dataset has synapse neurotransmitter properties "
        f"({', '.join(sorted(keys))}), but neuprint-dsl's synapse statements cannot return "
        "extra synapse properties yet; use nt=None, or fetch_custom with your own Cypher"
    )


# ---------------------------------------------------------------------------------------
# fetch_synapses


@inject_client
def fetch_synapses(
    neuron_criteria: Any,
    synapse_criteria: SynapseCriteria | None = None,
    batch_size: int = 10,
    *,
    nt: NtOption = None,
    client: Client | None = None,
) -> pd.DataFrame:
    """The synapses of the bodies matching ``neuron_criteria`` that satisfy
    ``synapse_criteria`` (default ``SynapseCriteria()``: every synapse above the dataset's
    confidence threshold), ``batch_size`` bodies per query (on the embedded engine at least
    1,000: the answer is the same, fewer queries are faster), with a progress bar.

    Rows ``bodyId, type, roi, x, y, z, confidence``. ROI criteria in ``neuron_criteria`` only
    choose bodies. With ``primary_only=True`` each synapse is one row and ``roi`` its primary
    ROI (``None`` outside them all); with ``False`` one row per ROI containing it. ``nt``
    (neurotransmitter columns) raises ``RuntimeError`` on a dataset without neurotransmitter
    properties, as neuprint-python does.

    Example:
        >>> from neuprint_dsl.compat import NeuronCriteria as NC, SynapseCriteria as SC
        >>> fetch_synapses(NC(type="ADL.*"), SC(rois=["LH(R)", "SIP(R)"]))  # doctest: +SKIP
    """
    assert client is not None
    sc = resolve_synapse_criteria(synapse_criteria, client)
    _check_nt(nt, client)
    in_engine = getattr(client.transport, "dialect", None) in _AGGREGATING_DIALECTS
    if in_engine:  # batches only make the progress bar finer there; each query costs
        batch_size = max(positive_int(batch_size, "batch_size"), ENGINE_BATCH_SIZE)
    batches, label = body_batches(client, neuron_criteria, batch_size)
    where = sc.to_expr()
    fast_filter = _companion_filter(sc, sc.primary_only) if in_engine else None
    if fast_filter is not None:  # the synapse companion, when the database has one
        answer = companion_synapses(client, batches, fast_filter)
        if answer is not None:
            return answer
    if in_engine and callable(getattr(client.transport, "execute_arrow", None)):
        fast = _engine_synapses(client, batches, where, sc.primary_only, label)
        if fast is not None:
            return fast

    def fetch(batch: list[int]) -> pd.DataFrame:
        statement = synapses(N.bodyId.isin(batch), where, primary_only=sc.primary_only, label=label)
        return run(client.transport, statement)

    frames = run_batches(client, batches, fetch, "fetch_synapses")
    if not frames:
        return empty_frame(SYNAPSE_DTYPES)
    return cast_frame(sorted_frame(frames, SYNAPSE_ORDER), SYNAPSE_DTYPES)


def _engine_synapses(
    client: Client, batches: list[list[int]], where: Predicate, primary_only: bool, label: Label
) -> pd.DataFrame | None:
    """fetch_synapses's table on the embedded engine: each batch's rows as Arrow without
    ``ORDER BY``, sorted in Arrow and converted column by column (identical to sorting and
    casting the pandas frames, several times faster). ``None`` if a row holds a null where
    the general path would fail or change dtype (a missing body id or coordinate)."""
    transport: Any = client.transport

    def fetch(batch: list[int]) -> Any:
        statement = synapse_rows_cypher(
            N.bodyId.isin(batch),
            where,
            primary_only=primary_only,
            label=label,
            dialect=transport.dialect,
            schema=transport.schema,
        )
        return transport.execute_arrow(statement)

    tables = map_batches(fetch, batches, 1, client_progress(client), "fetch_synapses")
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return empty_frame(SYNAPSE_DTYPES)
    return _synapse_table_frame(pa.concat_tables(tables).combine_chunks())


def _synapse_table_frame(table: pa.Table) -> pd.DataFrame | None:
    """The Arrow rows of a synapse statement as fetch_synapses returns them: sorted by
    :data:`SYNAPSE_ORDER` (missing values last), with :data:`SYNAPSE_DTYPES`; ``None`` if
    ``bodyId`` or a coordinate is missing somewhere (the general path decides those).

    Example:
        >>> table = pa.table({"bodyId": [2, 1, 1], "type": ["pre", "pre", "post"],
        ...     "roi": ["EB", None, "FB"], "x": [1, 2, 3], "y": [0, 0, 0], "z": [0, 0, 0],
        ...     "confidence": [0.5, 0.25, 1.0]})
        >>> frame = _synapse_table_frame(table)
        >>> frame[["bodyId", "type", "roi"]].values.tolist()
        [[1, 'post', 'FB'], [1, 'pre', None], [2, 'pre', 'EB']]
        >>> frame.dtypes.astype(str).tolist()
        ['int64', 'category', 'object', 'int32', 'int32', 'int32', 'float32']
    """
    if any(table.column(c).null_count for c in ("bodyId", "x", "y", "z")):
        return None
    keys = [(c, "ascending", "at_end") for c in SYNAPSE_ORDER]
    table = table.take(pc.sort_indices(table, sort_keys=keys))
    out: dict[str, Any] = {}
    for column, dtype in SYNAPSE_DTYPES.items():
        values = table.column(column)
        if dtype is SYN_TYPE:
            pre = pc.fill_null(pc.equal(values, "pre"), False).to_numpy(zero_copy_only=False)
            post = pc.fill_null(pc.equal(values, "post"), False).to_numpy(zero_copy_only=False)
            codes = np.select([pre, post], [0, 1], -1).astype(np.int8)
            out[column] = pd.Categorical.from_codes(codes, dtype=SYN_TYPE)
        elif dtype is object:
            out[column] = pd.Series(_object_strings(values), dtype=object)
        else:
            out[column] = values.to_numpy().astype(dtype)
    return pd.DataFrame(out)


def _object_strings(values: Any) -> np.ndarray:
    """A string column as an object array (``None`` where missing), each distinct string
    one Python object (through Arrow's dictionary encoding, not one object per row)."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    names = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
    missing = len(names) - 1
    codes: np.ndarray = pc.fill_null(encoded.indices, missing).to_numpy(zero_copy_only=False)
    taken: np.ndarray = names[codes]
    return taken


# ---------------------------------------------------------------------------------------
# fetch_mean_synapses

_MEAN_DTYPES: dict[str, Any] = {
    "bodyId": np.dtype("int64"),
    "roi": object,
    "type": SYN_TYPE,
    "count": np.dtype("int32"),
    "x": np.dtype("float32"),
    "y": np.dtype("float32"),
    "z": np.dtype("float32"),
    "confidence": np.dtype("float32"),
}


@inject_client
def fetch_mean_synapses(
    neuron_criteria: Any,
    synapse_criteria: SynapseCriteria | None = None,
    batch_size: int = 100,
    *,
    by_roi: bool = True,
    client: Client | None = None,
) -> pd.DataFrame:
    """Per body, ROI and synapse type: the number of synapses and their mean position and
    confidence (``by_roi=False``: per body and type, over every matching synapse).

    Rows ``bodyId, roi, type, count, x, y, z, confidence`` (no ``roi`` when ``by_roi=False``),
    ordered by body, ROI and type. With ``by_roi=True`` the ROIs are those of
    ``synapse_criteria`` if it names any, else every primary ROI (``primary_only=False``:
    every ROI, so a synapse counts once in each ROI containing it); synapses outside them are
    left out. Computed ``batch_size`` bodies at a time; on the embedded engine at least 1,000
    at a time, counted and averaged inside the engine.

    Example:
        >>> from neuprint_dsl.compat import SynapseCriteria as SC
        >>> fetch_mean_synapses("LC10", SC(type="pre", rois=["LO(R)", "AOTU(R)"]))  # doctest: +SKIP
    """
    assert client is not None
    if not isinstance(by_roi, (bool, np.bool_)):
        raise InvalidArgument(f"by_roi should be boolean, not {by_roi!r}")
    sc = resolve_synapse_criteria(synapse_criteria, client)
    in_engine = getattr(client.transport, "dialect", None) in _AGGREGATING_DIALECTS
    if in_engine:  # as in fetch_synapses: fewer, larger queries (the same answer)
        batch_size = max(positive_int(batch_size, "batch_size"), ENGINE_BATCH_SIZE)
    batches, label = body_batches(client, neuron_criteria, batch_size)
    where = sc.to_expr()
    if by_roi:
        if sc.rois:
            rois = list(sc.rois)
        else:
            rois = list(client.primary_rois if sc.primary_only else client.all_rois)
    dtypes = _MEAN_DTYPES if by_roi else {k: v for k, v in _MEAN_DTYPES.items() if k != "roi"}
    keys = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]

    primary_only = sc.primary_only if by_roi else True  # one row per synapse
    fast_filter = _companion_filter(sc, primary_only) if in_engine else None
    if fast_filter is not None:  # the synapse companion: the engine's groups, computed here
        spec = MeanSpec(rois if by_roi else None)
        groups = companion_synapses(client, batches, fast_filter, means=spec, what=_MEANS)
        if groups is not None:
            return _mean_frame([f for f in groups if len(f)], dtypes, keys)

    def fetch(batch: list[int]) -> pd.DataFrame:
        if in_engine:  # the engine counts and averages: a few rows instead of every synapse
            statement = mean_synapses_cypher(
                N.bodyId.isin(batch),
                where,
                primary_only=primary_only,
                by_roi=by_roi,
                label=label,
                dialect=client.transport.dialect,
                schema=client.transport.schema,
            )
            means: pd.DataFrame = client.transport.execute(statement).to_frame()
            return means[means["roi"].isin(rois)] if by_roi else means
        rows = run(
            client.transport,
            synapses(N.bodyId.isin(batch), where, primary_only=primary_only, label=label),
        )
        if by_roi:
            rows = rows[rows["roi"].isin(rois)]
        if rows.empty:
            return rows
        grouped = rows.groupby(keys, sort=True, observed=True).agg(
            count=("x", "size"),
            x=("x", "mean"),
            y=("y", "mean"),
            z=("z", "mean"),
            confidence=("confidence", "mean"),
        )
        return grouped.reset_index()

    return _mean_frame(run_batches(client, batches, fetch, _MEANS), dtypes, keys)


_MEANS = "fetch_mean_synapses"


def _mean_frame(
    frames: list[pd.DataFrame], dtypes: dict[str, Any], keys: list[str]
) -> pd.DataFrame:
    """The groups of every batch as fetch_mean_synapses returns them: cast and sorted."""
    if not frames:
        return empty_frame(dtypes)
    out = cast_frame(pd.concat(frames, ignore_index=True), dtypes)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _companion_filter(sc: SynapseCriteria, primary_only: bool) -> SynapseFilter | None:
    """``sc`` as the synapse companion's filter, with ``primary_only`` as the statement
    gets it; ``None`` for a subclass (whose predicate the companion cannot know).

    Example:
        >>> _companion_filter(SynapseCriteria(type="pre", confidence=0.5, client=None), False)
        SynapseFilter(type='pre', confidence=0.5, rois=(), primary_only=False)
    """
    if type(sc) is not SynapseCriteria:
        return None
    return SynapseFilter(sc.type, sc.confidence, tuple(sc.rois), primary_only)


# ---------------------------------------------------------------------------------------
# fetch_synapse_connections


@inject_client
def fetch_synapse_connections(
    source_criteria: Any = None,
    target_criteria: Any = None,
    synapse_criteria: SynapseCriteria | None = None,
    min_total_weight: int = 1,
    batch_size: int = 10_000,
    *,
    nt: NtOption = None,
    client: Client | None = None,
) -> pd.DataFrame:
    """Every synapse pair (pre synapse -> post synapse) from source to target bodies.

    Rows ``bodyId_pre, bodyId_post, roi_pre, roi_post, x_pre, y_pre, z_pre, x_post, y_post,
    z_post, confidence_pre, confidence_post``. The confidence of ``synapse_criteria`` applies
    to both synapses, its ``rois`` to the post synapse only (so counts agree with
    :func:`fetch_adjacencies`), its ``type`` is ignored. Only pairs of bodies whose whole
    connection weighs at least ``min_total_weight`` count. ``roi_pre``/``roi_post`` are the
    primary ROI (or ``None``), or with ``primary_only=False`` the sorted list of every ROI
    containing the synapse. Connections are fetched in batches of at most ``batch_size``
    body pairs (one side's bodies whole where they fit), with a progress bar.

    Example:
        >>> from neuprint_dsl.compat import SynapseCriteria as SC
        >>> fetch_synapse_connections(792368888, None, SC(rois=["PED(R)", "SMP(R)"]))  # doctest: +SKIP
    """
    assert client is not None
    return synapse_pairs(
        client,
        source_criteria,
        target_criteria,
        synapse_criteria,
        min_total_weight,
        batch_size,
        nt=nt,
        closest_mitochondria=False,
        what="fetch_synapse_connections",
    )


_MITO_SIDE: dict[str, Any] = {
    "mitoType": object,
    "distance": np.dtype("float32"),
    "mitoSize": np.dtype("float64"),
    "mx": np.dtype("float64"),
    "my": np.dtype("float64"),
    "mz": np.dtype("float64"),
}

CONNECTION_MITO_DTYPES: dict[str, Any] = {
    **SYNAPSE_CONNECTION_DTYPES,
    **{f"{k}_pre": v for k, v in _MITO_SIDE.items()},
    **{f"{k}_post": v for k, v in _MITO_SIDE.items()},
}


def synapse_pairs(
    client: Client,
    source_criteria: Any,
    target_criteria: Any,
    synapse_criteria: SynapseCriteria | None,
    min_total_weight: int,
    batch_size: int,
    *,
    nt: NtOption,
    closest_mitochondria: bool,
    what: str,
) -> pd.DataFrame:
    """fetch_synapse_connections' table, optionally with each synapse's closest
    mitochondrion (``fetch_connection_mitochondria``); ``what`` names the progress bar.

    Example:
        >>> synapse_pairs(client, 1136865339, None, None, 1, 10_000, nt=None,
        ...               closest_mitochondria=True, what="pairs")  # doctest: +SKIP
    """
    if source_criteria is None and target_criteria is None:
        raise InvalidArgument("Please specify either source or target search criteria (or both).")
    if isinstance(min_total_weight, bool) or not isinstance(min_total_weight, numbers.Integral):
        raise InvalidArgument(f"min_total_weight must be an int, not {min_total_weight!r}")
    weight = max(int(min_total_weight), 0)
    size = positive_int(batch_size, "batch_size")
    sc = resolve_synapse_criteria(synapse_criteria, client)
    _check_nt(nt, client)
    src, src_label = selection(source_criteria, client)
    tgt, tgt_label = selection(target_criteria, client)
    dtypes = CONNECTION_MITO_DTYPES if closest_mitochondria else SYNAPSE_CONNECTION_DTYPES
    where = S.confidence > sc.confidence if sc.confidence else None
    labels: dict[str, Any] = {"upstream_label": src_label, "downstream_label": tgt_label}

    pairs = run(client.transport, connections(src, tgt, where=E.weight >= weight, **labels))
    if pairs.empty:
        return empty_frame(dtypes)
    by_pre = pairs["bodyId_pre"].nunique() < pairs["bodyId_post"].nunique()
    group, other = ("bodyId_pre", "bodyId_post") if by_pre else ("bodyId_post", "bodyId_pre")
    batches = _pair_batches(pairs, group, other, size)

    def fetch(batch: tuple[list[int], list[int] | None]) -> pd.DataFrame:
        bodies, partners = batch
        chosen: Predicate = N.bodyId.isin(bodies)
        rest = src if not by_pre else tgt
        if partners is not None:
            rest = and_(rest, N.bodyId.isin(partners))
        up, down = (chosen, rest) if by_pre else (rest, chosen)
        statement = synapse_connections(
            up,
            down,
            where=where,
            rois=sc.rois or None,
            min_total_weight=weight,
            primary_only=sc.primary_only,
            closest_mitochondria=closest_mitochondria,
            **labels,
        )
        return run(client.transport, statement)

    frames = run_batches(client, batches, fetch, what)
    if not frames:
        return empty_frame(dtypes)
    keys = [*PAIR_ORDER, "distance_pre", "distance_post"] if closest_mitochondria else PAIR_ORDER
    out = cast_frame(sorted_frame(frames, keys), dtypes)
    if not sc.primary_only:  # neuprint-python lists a synapse in no ROI as [None]
        for column in ("roi_pre", "roi_post"):
            out[column] = [_roi_names(v) for v in out[column].tolist()]
    return out


def _roi_names(value: object) -> list[str | None]:
    if value is None:
        return [None]
    names = [str(v) for v in np.asarray(value, dtype=object).tolist()]
    return list(sorted(names)) or [None]


def _pair_batches(
    pairs: pd.DataFrame, group: str, other: str, size: int
) -> list[tuple[list[int], list[int] | None]]:
    """Batches of at most ``size`` body pairs: whole bodies of the ``group`` side together
    (partners not listed), or one body with a slice of its partners when it has too many."""
    batches: list[tuple[list[int], list[int] | None]] = []
    current: list[int] = []
    count = 0
    partners_of = pairs.groupby(group)[other].apply(lambda s: sorted(int(v) for v in s))
    for body, partners in partners_of.items():
        body = int(body)  # type: ignore[call-overload]
        if len(partners) > size:
            for i in range(0, len(partners), size):
                batches.append(([body], partners[i : i + size]))
            continue
        if current and count + len(partners) > size:
            batches.append((current, None))
            current, count = [], 0
        current.append(body)
        count += len(partners)
    if current:
        batches.append((current, None))
    return batches
