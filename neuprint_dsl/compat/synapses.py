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
import os
from collections.abc import Callable, Iterable, Sequence
from textwrap import indent
from typing import Any, Literal, Protocol, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..cypher.dialects import get_dialect
from ..cypher.literals import quote_string, render_number
from ..cypher.synapse_aggregate import mean_synapses_cypher, synapse_rows_cypher
from ..errors import InvalidArgument, InvalidValue, UnknownROI
from ..execute import run
from ..expr import TRUE, Predicate, PredicateLike, and_, not_, or_, shown_text
from ..fields import E, N, S
from ..query import Label, connections, neurons, synapse_connections, synapses
from .client import Client, default_client, inject_client
from .connectivity import _map, _side

__all__ = [
    "SynapseCriteria",
    "fetch_mean_synapses",
    "fetch_synapse_connections",
    "fetch_synapses",
]

NtOption: TypeAlias = Literal["max", "all"] | None


class DatasetInfo(Protocol):
    """What a criteria's ``client`` must offer (neuprint-python's ``Client`` does)."""

    @property
    def all_rois(self) -> Sequence[str]: ...

    @property
    def primary_rois(self) -> Sequence[str]: ...

    @property
    def meta(self) -> dict[str, Any]: ...


# ---------------------------------------------------------------------------------------
# shared helpers (also used by mito.py)


def _roi_list(value: object, what: str) -> list[str]:
    """neuprint-python's ``ensure_list`` for ROI names: None -> [], str -> [str], in order."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, (np.ndarray, pd.Series, pd.Index)):
        items = list(value.tolist())
    elif isinstance(value, (set, frozenset)):
        items = sorted(value, key=str)
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise InvalidArgument(f"{what} takes an ROI name or a list of ROI names, not {value!r}")
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidArgument(f"{what} takes ROI names (non-empty strings), not {item!r}")
    return list(dict.fromkeys(str(i) for i in items))


def _check_rois(rois: list[str], client: DatasetInfo | None, what: str) -> None:
    """Unknown ROI names raise :class:`UnknownROI` (with close matches)."""
    if not rois or client is None:
        return
    known = set(client.all_rois)
    for name in rois:
        if name not in known:
            raise UnknownROI(name, sorted(known), where=what)


def _check_flag(value: object, what: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InvalidArgument(f"{what} must be True or False, not {value!r}")


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise InvalidArgument(f"{what} must be a positive int, not {value!r}")
    return int(value)


def _show_progress(client: Client) -> bool:
    """Progress bars unless ``client.progress`` is false or NEUPRINT_DSL_NO_PROGRESS is set."""
    return bool(getattr(client, "progress", True)) and not os.environ.get(
        "NEUPRINT_DSL_NO_PROGRESS"
    )


def _selection(criteria: Any, client: Client) -> tuple[Predicate, Label]:
    """The neuron predicate and label for ``criteria``, as :func:`as_criteria` reads it; a
    plain list/array/Series of body ids becomes ``N.bodyId.isin(ids)`` directly (the same
    predicate, without building a ``NeuronCriteria`` for thousands of ids)."""
    ids = _id_list(criteria)
    if ids is not None:
        return N.bodyId.isin(ids), "Segment"
    return _side(criteria, client)


def _id_list(value: object) -> list[int] | None:
    if isinstance(value, (np.ndarray, pd.Series, pd.Index)):
        if value.dtype.kind not in "iu" or len(value) == 0:
            return None
        return sorted({int(v) for v in value.tolist()})
    if (
        isinstance(value, (list, tuple))
        and value
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value
        )
    ):
        return sorted({int(v) for v in value})
    return None


def _body_batches(
    client: Client, criteria: Any, batch_size: object
) -> tuple[list[list[int]], Label]:
    """The bodies matching ``criteria`` (sorted), in batches, and the label they carry."""
    size = _positive_int(batch_size, "batch_size")
    where, label = _selection(criteria, client)
    frame = run(client.transport, neurons(where, label=label, columns=["bodyId"]))
    ids = [int(b) for b in frame["bodyId"].tolist()]
    return [ids[i : i + size] for i in range(0, len(ids), size)], label


def _run_batches(
    client: Client, batches: list[Any], fetch: Callable[[Any], pd.DataFrame], what: str
) -> list[pd.DataFrame]:
    """``fetch`` each batch in order, with a progress bar; the non-empty results."""
    frames: list[pd.DataFrame] = _map(fetch, batches, 1, _show_progress(client), what)
    return [f for f in frames if len(f)]


def _empty_frame(dtypes: dict[str, Any]) -> pd.DataFrame:
    """A frame without rows, with these columns and dtypes."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in dtypes.items()})


def _sorted(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The batches joined and sorted by ``keys`` (the statement's order, extended so that
    rows equal in it, e.g. two synapses at one location, never come out in varying order).
    Batches the engine already sent in that order are only checked, not sorted again."""
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if _is_sorted(frame, keys):
        return frame
    return frame.sort_values(keys, kind="stable", na_position="last")


def _is_sorted(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether ``frame``'s rows are in ascending order of ``keys`` with missing values last
    (so that a stable ``sort_values(keys, na_position="last")`` would not move any row).

    Example:
        >>> frame = pd.DataFrame({"a": [1, 1, 2, 2], "b": ["x", "y", "x", None]})
        >>> _is_sorted(frame, ["a", "b"]), _is_sorted(frame.iloc[::-1], ["a", "b"])
        (True, False)
    """
    if len(frame) < 2:
        return True
    tied = np.ones(len(frame) - 1, dtype=bool)  # pairs of rows equal in the keys so far
    for key in keys:
        column = frame[key]
        if isinstance(column.dtype, pd.CategoricalDtype):  # ordered by category, not value
            return False
        numeric = column.dtype.kind in "iuf"
        values = column.to_numpy() if numeric else column.to_numpy(dtype=object)
        before, after = values[:-1], values[1:]
        if column.dtype.kind in "iu":
            missing_before = missing_after = np.zeros(len(tied), dtype=bool)
        else:
            missing_before, missing_after = pd.isna(before), pd.isna(after)
        both = ~missing_before & ~missing_after
        less = np.zeros(len(tied), dtype=bool)
        greater = np.zeros(len(tied), dtype=bool)
        try:
            less[both] = before[both] < after[both]
            greater[both] = before[both] > after[both]
        except TypeError:  # values without an order between them (lists, mixed kinds)
            return False
        if (tied & (greater | (missing_before & ~missing_after))).any():
            return False
        tied &= ~(less | (~missing_before & missing_after))
        if not tied.any():
            break
    return True


def _cast(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """``frame[list(dtypes)]`` with those dtypes; object columns keep ``None`` for missing."""
    out = frame[list(dtypes)].copy()
    for column, dtype in dtypes.items():
        if dtype is SYN_TYPE:  # from codes: ``astype`` hashes every string (several x slower)
            raw = out[column].to_numpy(dtype=object)
            codes = np.select([raw == "pre", raw == "post"], [0, 1], -1).astype(np.int8)
            out[column] = pd.Categorical.from_codes(codes, dtype=SYN_TYPE)
        elif dtype is object:
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
        else:
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)


#: dialects whose engine runs in this process: fetch_mean_synapses aggregates in the engine
#: (measured 2-4x faster than grouping the rows in pandas; the neo4j text stays the row
#: query neuPrint's goldens record); both functions take at least ENGINE_BATCH_SIZE bodies
#: per query there (each query costs: for fetch_synapses 1,000 measured 2x faster than
#: neuprint-python's default 10, for fetch_mean_synapses 1.2x faster than its 100)
_AGGREGATING_DIALECTS = frozenset({"ladybug"})
ENGINE_BATCH_SIZE = 1000

#: row order of fetch_synapses (the statement's, plus confidence to break ties)
SYNAPSE_ORDER = ["bodyId", "type", "x", "y", "z", "roi", "confidence"]
#: row order of fetch_synapse_connections
PAIR_ORDER = [
    "bodyId_pre",
    "bodyId_post",
    "x_pre",
    "y_pre",
    "z_pre",
    "x_post",
    "y_post",
    "z_post",
    "confidence_pre",
    "confidence_post",
]

SYN_TYPE = pd.CategoricalDtype(categories=["pre", "post"], ordered=False)

SYNAPSE_DTYPES: dict[str, Any] = {
    "bodyId": np.dtype("int64"),
    "type": SYN_TYPE,
    "roi": object,
    "x": np.dtype("int32"),
    "y": np.dtype("int32"),
    "z": np.dtype("int32"),
    "confidence": np.dtype("float32"),
}

SYNAPSE_CONNECTION_DTYPES: dict[str, Any] = {
    "bodyId_pre": np.dtype("int64"),
    "bodyId_post": np.dtype("int64"),
    "roi_pre": object,
    "roi_post": object,
    "x_pre": np.dtype("int32"),
    "y_pre": np.dtype("int32"),
    "z_pre": np.dtype("int32"),
    "x_post": np.dtype("int32"),
    "y_post": np.dtype("int32"),
    "z_post": np.dtype("int32"),
    "confidence_pre": np.dtype("float32"),
    "confidence_post": np.dtype("float32"),
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


class SynapseCriteria:
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
        if not isinstance(matchvar, str) or not matchvar:
            raise InvalidArgument(f"matchvar must be a non-empty str, not {matchvar!r}")
        self.matchvar = matchvar
        self.rois = _roi_list(rois, "rois")
        type_ = type or None
        if type_ not in ("pre", "post", None):
            raise InvalidArgument(
                f"Invalid synapse type: {type_!r}.  Choices are 'pre' and 'post'."
            )
        self.type: Literal["pre", "post"] | None = type_
        self.primary_only: bool = _check_flag(primary_only, "primary_only")
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
        _check_rois(self.rois, client, "SynapseCriteria rois")
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
        self.confidence: float = float(confidence)

    # -- the DSL predicate ----------------------------------------------------------------

    def to_expr(self) -> Predicate:
        """The ``S`` predicate: any of the ROIs, ``confidence >`` (unless 0), the type.

        Example:
            >>> SynapseCriteria(confidence=0, client=None).to_expr()
            <predicate true>
        """
        parts: list[PredicateLike] = []
        if self.rois:
            parts.append(or_(*(S.roi(r) for r in self.rois)))
        if self.confidence:
            parts.append(S.confidence > self.confidence)
        if self.type:
            parts.append(S.type == self.type)
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

    # -- neuprint-python's text -----------------------------------------------------------

    def condition(self, *matchvars: str, prefix: str | int = "", comments: bool = True) -> str:
        """neuprint-python's ``WITH ... WHERE ...`` clause for these criteria (neo4j Cypher
        for hand-written queries; ``""`` when there is nothing to test).

        Example:
            >>> print(SynapseCriteria(rois=["b'L(R)"], confidence=0, client=None)
            ...       .condition(comments=False), end="")
            WITH s
            WHERE (s.`b'L(R)`)
        """
        exprs = []
        var = self.matchvar
        if self.rois:
            # as the compiler reads them: a name holding ':', a backslash or an unprintable
            # character as n['...'] (Neo4j reads \uXXXX even inside backticks, and
            # neuPrintHTTP rewrites ':Label' text anywhere)
            flags = (get_dialect("neo4j").property(var, r) for r in self.rois)
            exprs.append("(" + " OR ".join(flags) + ")")
        if self.confidence:
            exprs.append(f"({var}.confidence > {render_number(self.confidence)})")
        if self.type:
            exprs.append(f"({var}.type = {quote_string(self.type)})")
        return _with_where(var, matchvars, exprs, "synapse", prefix, comments)

    # -- comparison and printing ----------------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        return (self.matchvar, tuple(self.rois), self.type, self.confidence, self.primary_only)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SynapseCriteria):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        args = [repr(self.matchvar)]
        if self.rois:
            args.append(f"rois={self.rois!r}")
        if self.type:
            args.append(f"type={self.type!r}")
        if self.confidence:
            args.append(f"confidence={self.confidence}")
        if self.primary_only:
            args.append("primary_only=True")
        # reads back as Python (neuprint-python's habit); the comment is the DSL text
        call = f"SynapseCriteria({', '.join(args)})"
        return f"{call}  # {shown_text(lambda: self.to_expr().to_text(), 'predicate')}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer: the same text as ``repr``."""
        printer.text(repr(self))


def _with_where(
    var: str,
    matchvars: tuple[str, ...],
    exprs: list[str],
    what: str,
    prefix: str | int,
    comments: bool,
) -> str:
    names = list(matchvars) or [var]
    if var not in names:
        raise InvalidArgument(
            f"Please pass all match vars, including the one that belongs to this criteria "
            f"({var!r})."
        )
    if not exprs:
        return ""
    pad = " " * prefix if isinstance(prefix, int) else prefix
    text = f"WITH {', '.join(names)}\nWHERE {' AND '.join(exprs)}\n"
    if comments:
        text = f"// -- Filter {what} '{var}' --\n" + text
    return indent(text, pad)[len(pad) :]


def _resolve_synapse_criteria(criteria: object, client: Client) -> SynapseCriteria:
    """The given criteria, or ``SynapseCriteria(client=client)`` for ``None``."""
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
    sc = _resolve_synapse_criteria(synapse_criteria, client)
    _check_nt(nt, client)
    in_engine = getattr(client.transport, "dialect", None) in _AGGREGATING_DIALECTS
    if in_engine:  # batches only make the progress bar finer there; each query costs
        batch_size = max(_positive_int(batch_size, "batch_size"), ENGINE_BATCH_SIZE)
    batches, label = _body_batches(client, neuron_criteria, batch_size)
    where = sc.to_expr()
    if in_engine and callable(getattr(client.transport, "execute_arrow", None)):
        fast = _engine_synapses(client, batches, where, sc.primary_only, label)
        if fast is not None:
            return fast

    def fetch(batch: list[int]) -> pd.DataFrame:
        statement = synapses(N.bodyId.isin(batch), where, primary_only=sc.primary_only, label=label)
        return run(client.transport, statement)

    frames = _run_batches(client, batches, fetch, "fetch_synapses")
    if not frames:
        return _empty_frame(SYNAPSE_DTYPES)
    return _cast(_sorted(frames, SYNAPSE_ORDER), SYNAPSE_DTYPES)


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

    tables = _map(fetch, batches, 1, _show_progress(client), "fetch_synapses")
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return _empty_frame(SYNAPSE_DTYPES)
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
    sc = _resolve_synapse_criteria(synapse_criteria, client)
    in_engine = getattr(client.transport, "dialect", None) in _AGGREGATING_DIALECTS
    if in_engine:  # as in fetch_synapses: fewer, larger queries (the same answer)
        batch_size = max(_positive_int(batch_size, "batch_size"), ENGINE_BATCH_SIZE)
    batches, label = _body_batches(client, neuron_criteria, batch_size)
    where = sc.to_expr()
    if by_roi:
        if sc.rois:
            rois = list(sc.rois)
        else:
            rois = list(client.primary_rois if sc.primary_only else client.all_rois)
    dtypes = _MEAN_DTYPES if by_roi else {k: v for k, v in _MEAN_DTYPES.items() if k != "roi"}
    keys = ["bodyId", "roi", "type"] if by_roi else ["bodyId", "type"]

    primary_only = sc.primary_only if by_roi else True  # one row per synapse

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

    frames = _run_batches(client, batches, fetch, "fetch_mean_synapses")
    if not frames:
        return _empty_frame(dtypes)
    out = _cast(pd.concat(frames, ignore_index=True), dtypes)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


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
    return _synapse_pairs(
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


def _synapse_pairs(
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
    """fetch_synapse_connections, optionally with each synapse's closest mitochondrion."""
    if source_criteria is None and target_criteria is None:
        raise InvalidArgument("Please specify either source or target search criteria (or both).")
    if isinstance(min_total_weight, bool) or not isinstance(min_total_weight, numbers.Integral):
        raise InvalidArgument(f"min_total_weight must be an int, not {min_total_weight!r}")
    weight = max(int(min_total_weight), 0)
    size = _positive_int(batch_size, "batch_size")
    sc = _resolve_synapse_criteria(synapse_criteria, client)
    _check_nt(nt, client)
    src, src_label = _selection(source_criteria, client)
    tgt, tgt_label = _selection(target_criteria, client)
    dtypes = CONNECTION_MITO_DTYPES if closest_mitochondria else SYNAPSE_CONNECTION_DTYPES
    where = S.confidence > sc.confidence if sc.confidence else None
    labels: dict[str, Any] = {"upstream_label": src_label, "downstream_label": tgt_label}

    pairs = run(client.transport, connections(src, tgt, where=E.weight >= weight, **labels))
    if pairs.empty:
        return _empty_frame(dtypes)
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

    frames = _run_batches(client, batches, fetch, what)
    if not frames:
        return _empty_frame(dtypes)
    keys = [*PAIR_ORDER, "distance_pre", "distance_post"] if closest_mitochondria else PAIR_ORDER
    out = _cast(_sorted(frames, keys), dtypes)
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
