"""Per-body synapse counts and mean positions, aggregated inside the engine.

:func:`mean_synapses_cypher` compiles the query behind ``fetch_mean_synapses``: the same
``MATCH``, neuron ``WHERE``, synapse ``WHERE`` and ROI binding as the
:class:`~neuprint_dsl.query.Synapses` statement (built by the same compiler methods, so the
two can never disagree on which synapses match or which ROI each one is in), and then,
instead of one row per synapse, one row per body, ROI and synapse type with ``count(*)`` and
``avg`` of ``x``, ``y``, ``z`` and ``confidence``. Ladybug does this about 2-4x faster than
returning the rows and grouping them in pandas (``benchmarks/bench_synapses.py``), and the
answer is a few thousand rows instead of hundreds of thousands.

Rows whose ROI is missing (a synapse outside every primary ROI, or in no ROI at all) form
their own group with a null ``roi``; callers that want only some ROIs filter the aggregated
rows afterwards (filtering ROIs inside the engine measured 2x slower).

Example:
    >>> from neuprint_dsl import N, S
    >>> stmt = mean_synapses_cypher(N.bodyId.isin([1, 2]), S.confidence > 0.5, dialect="ladybug")
    >>> print(stmt.text)
    MATCH (n:Neuron)
    WHERE n.bodyId IN $bodyId
    MATCH (n)-[:Contains]->(s:Synapse)
    WITH n, s
    WHERE s.confidence > $confidence
    RETURN n.bodyId AS bodyId, s.roi AS roi, s.type AS type, count(*) AS count, avg(s.x) AS x, avg(s.y) AS y, avg(s.z) AS z, avg(s.confidence) AS confidence
    >>> stmt.columns
    ('bodyId', 'roi', 'type', 'count', 'x', 'y', 'z', 'confidence')
"""

from __future__ import annotations

from ..expr import TRUE, Entity, PredicateLike
from ..query import SYNAPSE_COLUMNS, Label, Synapses
from ..schema import GraphSchema
from .compiler import CypherCompiler
from .dialects import Dialect
from .statement import CypherStatement

__all__ = ["MEAN_SYNAPSE_COLUMNS", "mean_synapses_cypher", "synapse_rows_cypher"]

#: Columns of the aggregated rows (``roi`` is left out with ``by_roi=False``).
MEAN_SYNAPSE_COLUMNS = ("bodyId", "roi", "type", "count", "x", "y", "z", "confidence")
#: Columns of the synapse rows (``synapses(...)``'s own).
SYNAPSE_ROW_COLUMNS = SYNAPSE_COLUMNS


def mean_synapses_cypher(
    neurons: PredicateLike,
    where: PredicateLike = TRUE,
    *,
    primary_only: bool = True,
    by_roi: bool = True,
    label: Label = "Neuron",
    dialect: str | Dialect = "ladybug",
    schema: GraphSchema | None = None,
) -> CypherStatement:
    """The synapses of ``synapses(neurons, where, primary_only=..., label=...)`` aggregated
    per body, ROI and type (``by_roi=False``: per body and type, each synapse once): columns
    ``bodyId, roi, type, count, x, y, z, confidence``, the last four the means. With
    ``primary_only=False`` a synapse counts once in each ROI containing it. With a
    ``schema``, the synapse statement is validated first (unknown ROIs and fields raise).

    Example:
        >>> from neuprint_dsl import N
        >>> stmt = mean_synapses_cypher(N.type == "KC", by_roi=False)
        >>> stmt.text.splitlines()[-1]
        'RETURN n.bodyId AS bodyId, s.type AS type, count(*) AS count, avg(s.x) AS x, avg(s.y) AS y, avg(s.z) AS z, avg(s.confidence) AS confidence'
    """
    statement = Synapses(
        neurons,
        where,
        primary_only=primary_only if by_roi else True,
        label=label,
    )
    compiler = CypherCompiler.checked(statement, dialect, schema)
    return _aggregate(compiler, statement, by_roi)


def synapse_rows_cypher(
    neurons: PredicateLike,
    where: PredicateLike = TRUE,
    *,
    primary_only: bool = True,
    label: Label = "Neuron",
    dialect: str | Dialect = "ladybug",
    schema: GraphSchema | None = None,
) -> CypherStatement:
    """The rows of ``synapses(neurons, where, primary_only=..., label=...)`` in no particular
    order (no ``ORDER BY``): the same ``MATCH``, ``WHERE``, ROI binding and columns, for a
    caller that sorts the rows itself (``fetch_synapses`` sorts them in Arrow, about 10x
    faster than the engine's ``ORDER BY``). With a ``schema``, the statement is validated
    first, as :func:`mean_synapses_cypher` does.

    Example:
        >>> from neuprint_dsl import N, S
        >>> stmt = synapse_rows_cypher(N.bodyId.isin([1, 2]), S.type == "pre")
        >>> stmt.text.splitlines()[-1]
        'RETURN n.bodyId AS bodyId, s.type AS type, s.roi AS roi, s.x AS x, s.y AS y, s.z AS z, s.confidence AS confidence'
        >>> stmt.columns
        ('bodyId', 'type', 'roi', 'x', 'y', 'z', 'confidence')
    """
    statement = Synapses(neurons, where, primary_only=primary_only, label=label)
    return CypherCompiler.checked(statement, dialect, schema).synapses(statement, ordered=False)


def _aggregate(compiler: CypherCompiler, stmt: Synapses, by_roi: bool) -> CypherStatement:
    """The MATCH and WHERE clauses of ``compiler.synapses(stmt)``, then the aggregation."""
    d = compiler.dialect
    compiler.require_data("synapses", mito=False)
    roi = compiler.match_synapses(stmt)
    returned = [f"{compiler.read('n', 'bodyId')} AS bodyId"]
    if by_roi:
        returned.append(roi if roi == "roi" else f"{roi} AS roi")
    returned += [
        f"{compiler.read_point('s', 'type', Entity.SYNAPSE)} AS type",
        "count(*) AS count",
        *(f"avg({d.coordinate('s', a)}) AS {a}" for a in "xyz"),
        f"avg({compiler.read_point('s', 'confidence', Entity.SYNAPSE)}) AS confidence",
    ]
    compiler.line("RETURN " + ", ".join(returned))
    columns = (
        MEAN_SYNAPSE_COLUMNS if by_roi else tuple(c for c in MEAN_SYNAPSE_COLUMNS if c != "roi")
    )
    return compiler.finish(columns)
