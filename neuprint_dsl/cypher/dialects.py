"""Cypher dialects: small tables of what differs between neuPrint's Neo4j and Ladybug.

The compiler (:mod:`neuprint_dsl.cypher.compiler`) is written once; a dialect only answers
narrow questions: how to write a node pattern for a label, a property, an ROI count, the
per-ROI rows of a connection, and a literal. This is the sqlglot pattern: one generator,
dialects override small tables.

Example:
    >>> get_dialect("ladybug").node_pattern("n", "Segment")
    '(n:Neuron:Segment)'
    >>> get_dialect("neo4j").node_pattern("n", "Segment")
    '(n:Segment)'
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import InvalidArgument, InvalidValue
from ..expr import TRUE, And, Compare, Const, Entity, IsIn, Not, Or, Predicate, RoiCount
from ..patterns import translate
from .literals import is_plain_identifier, quote_identifier, quote_string, render_literal
from .statement import Param, Part

#: The embedded store's name for a connection's weight outside every primary ROI (a
#: ``ConnectsToRoi`` row, not an ROI; equal to ``neuprint_dsl.embedded.rois.NOT_PRIMARY``,
#: which the compiler does not import: it never depends on a backend package)
STORE_NOT_PRIMARY = "NotPrimary"


def roi_column(roi: str) -> str:
    """The embedded engine's column for ROI ``roi``: capitals escaped with ``^`` (``^``
    doubled), so names that differ only by case stay apart in Ladybug's case-insensitive
    column names.

    Example:
        >>> roi_column("aL(R)"), roi_column("AL(R)")
        ('roi:a^l(^r)', 'roi:^a^l(^r)')
    """
    escaped = "".join("^" + c.lower() if c.isupper() else ("^^" if c == "^" else c) for c in roi)
    return "roi:" + escaped


def reads_only_roi_weights(pred: Predicate) -> bool:
    """Whether a connection condition reads nothing of the connection but its per-ROI
    weights (``E.roi_weight(...)`` comparisons, constants, and their and/or/not).

    Such a condition has the same value for every row of one connection, and on an engine
    that keeps per-ROI weights as rows of their own (Ladybug's ``ConnectsToRoi``) it is a
    test on those rows: a per-ROI statement can then match the per-ROI rows alone
    (:meth:`Dialect.roi_rows_alone`), without the connection.

    Example:
        >>> from neuprint_dsl import E
        >>> reads_only_roi_weights((E.roi_weight("FB") > 2) | ~(E.roi_weight("EB") == 1))
        True
        >>> reads_only_roi_weights((E.roi_weight("FB") > 2) & (E.weight > 5))
        False
    """
    if isinstance(pred, Const):
        return True
    if isinstance(pred, Not):
        return reads_only_roi_weights(pred.item)
    if isinstance(pred, (And, Or)):
        return all(reads_only_roi_weights(item) for item in pred.items)
    return (
        isinstance(pred, (Compare, IsIn))
        and isinstance(pred.operand, RoiCount)
        and pred.operand.entity is Entity.EDGE
    )


class Dialect:
    """The neo4j defaults; subclasses override what differs.

    Dialects are stateless, so their methods may be cached per instance.
    """

    name: ClassVar[str] = "neo4j"
    #: neuPrintHTTP rewrites ``:Neuron``-like text everywhere, so ``:`` is escaped in literals
    escape_colon: ClassVar[bool] = True
    #: whether the engine rejects a property no record has (so the compiler must fold it)
    strict_properties: ClassVar[bool] = False
    #: whether string literals write characters outside the BMP as UTF-16 surrogate pairs
    #: (Neo4j: Cypher 5 has only ``\\uXXXX``) rather than ``\\UXXXXXXXX`` (Ladybug)
    surrogate_escapes: ClassVar[bool] = True

    def node_pattern(self, var: str, label: str) -> str:
        """``(n:Neuron)``: a node variable with its label."""
        return f"({var}:{label})"

    def property(self, var: str, name: str) -> str:
        """Read property ``name`` of ``var``.

        Names that neuPrintHTTP's label rewriting could touch (containing ``:``) or that hold
        backslashes or unprintable characters are read with a quoted key, ``n['a:b']``.
        """
        if is_plain_identifier(name):
            return f"{var}.{name}"
        if ":" in name or "\\" in name or not name.isprintable():
            return f"{var}[{self.literal(name)}]"
        return f"{var}.{quote_identifier(name)}"

    def alias(self, name: str) -> str:
        """A result column name after ``AS``.

        Neo4j replaces ``\\uXXXX`` everywhere before lexing, backtick names included, and
        neuPrintHTTP rewrites ``:Label`` text, so such names are refused.
        """
        if ":" in name or "\\" in name or not name.isprintable():
            raise InvalidValue(
                f"result column name {name!r} cannot be sent to neuPrint (it contains ':', "
                "a backslash or an unprintable character); choose another column name"
            )
        return quote_identifier(name)

    #: whether an edge's ROI weight is an expression on the edge (else: ConnectsToRoi rows)
    edge_roi_counts_inline: ClassVar[bool] = True
    #: whether ORDER BY puts -0.0 before every negative double (Ladybug 0.x does): float
    #: keys are then ordered by ``x + 0.0``, which is +0.0 for -0.0
    negative_zero_first: ClassVar[bool] = False
    #: whether ORDER BY may misplace rows when a key after the first holds nulls (Ladybug
    #: 0.x, nondeterministically, after an aggregation): keys are then written null-free,
    #: ``x IS NULL, coalesce(x, <zero of its kind>)``, which orders exactly the same
    null_free_sort_keys: ClassVar[bool] = False

    def roi_flag(self, var: str, roi: Param) -> list[Part]:
        """The test "``var`` has a synapse in ROI ``roi``" (neuPrint's boolean property)."""
        return [self.property(var, roi.value)]

    def regex(self, pattern: str, ignore_case: bool = False) -> str:
        """A checked pattern as this engine's ``=~`` must receive it to mean what the DSL
        says (:func:`neuprint_dsl.patterns.translate`; Neo4j runs ``java.util.regex``).

        Example:
            >>> get_dialect("neo4j").regex("mi1$", ignore_case=True)
            '[Mm][Ii]1\\\\z'
        """
        return translate(pattern, ignore_case, "java")

    def contains_any(self, operand: list[Part], values: Param) -> list[Part]:
        """The test "the list ``operand`` shares an element with ``values``" (null for a
        missing list, so the compiler's null-safe negation applies).

        Example:
            >>> from neuprint_dsl.cypher.statement import Param
            >>> get_dialect("neo4j").contains_any(["n.tags"], Param("tags", ["a"]))[0]
            'any(x IN '
        """
        return ["any(x IN ", *operand, " WHERE x IN ", values, ")"]

    def aggregate(self, function: str, value: list[Part], kind: str | None) -> list[Part]:
        """``function`` (``sum``, ``avg``, ``min``, ``max``) of ``value`` over a group;
        ``kind`` is the value's kind when known (``"int"``, ``"float"``). A sum over no
        values is 0 (Neo4j's ``sum`` already gives 0).

        Example:
            >>> get_dialect("ladybug").aggregate("sum", ["n.pre"], "int")
            ['CAST(coalesce(sum(', 'n.pre', '), 0) AS INT64)']
        """
        return [f"{function}(", *value, ")"]

    def roi_info(self, var: str) -> str:
        """The parsed per-ROI counts map of ``var``."""
        return f"apoc.convert.fromJsonMap({var}.roiInfo)"

    def roi_count(self, var: str, side: str) -> tuple[str, str]:
        """The ``pre``/``post`` count of ``var`` in one ROI (0 if absent), as the text before
        and after the ROI-name expression."""
        return f"coalesce({self.roi_info(var)}[", f"].{side}, 0)"

    def edge_roi_rows(self, pre: str, post: str) -> str:
        """The pattern matching one connection's per-ROI rows, bound to ``r`` (only for
        dialects with ``edge_roi_counts_inline = False``)."""
        raise NotImplementedError(f"{self.name} reads ROI weights from the connection itself")

    def roi_rows_alone(
        self,
        rel: str,
        pre: str,
        post: str,
        upstream: Predicate = TRUE,
        downstream: Predicate = TRUE,
        edge: Predicate = TRUE,
    ) -> tuple[str, str, str] | None:
        """For a per-ROI statement (``upstream``, ``downstream`` and connection condition
        ``edge``) that this engine answers faster from its per-ROI rows alone, without the
        connection: the relationship pattern (bound to ``rel``), the condition that keeps ROI
        rows only, and the clause binding ``roi`` and ``roi_weight`` (keeping ``pre`` and
        ``post``). ``None`` (always on Neo4j): the per-ROI rows come from the matched
        connection (:meth:`per_roi_rows`).

        Example:
            >>> get_dialect("neo4j").roi_rows_alone("e", "n", "m") is None
            True
            >>> get_dialect("ladybug").roi_rows_alone("e", "n", "m")[0]
            'e:ConnectsToRoi'
        """
        return None

    def per_roi_rows(self, edge: str, pre: str, post: str) -> list[str]:
        """Clauses that turn each connection row into one row per ROI, binding ``roi`` and
        ``roi_weight`` and keeping the endpoint variables ``pre`` and ``post``."""
        keep = f"{pre}, {post}"
        return [
            f"WITH {keep}, {self.roi_info(edge)} AS roiInfo",
            "UNWIND keys(roiInfo) AS roi",
            f"WITH {keep}, roi, coalesce(roiInfo[roi].post, 0) AS roi_weight",
        ]

    # -- synapses and mitochondria (neuPrint: SynapseSet / ElementSet containers) ----------

    #: whether a synapse can be reached from its body along several paths (neuPrint: a pre
    #: synapse may sit in more than one SynapseSet), so rows need ``WITH DISTINCT``
    duplicate_synapse_paths: ClassVar[bool] = True
    #: whether ROI names of synapses come from the ``:Meta`` node (bound to ``meta``)
    rois_from_meta: ClassVar[bool] = True
    #: a one-element list holding a null ROI name (the row of a synapse in no ROI)
    null_roi_list: ClassVar[str] = "[NULL]"
    #: whether synapse / mitochondrion conditions go after a ``WITH`` of the matched
    #: variables rather than right after their ``MATCH`` (a planner hint, same meaning)
    filter_points_after_with: ClassVar[bool] = False

    def synapse_pattern(self, body: str, synapse: str) -> str:
        """The path from a body to one of its synapses."""
        return f"({body})-[:Contains]->(:SynapseSet)-[:Contains]->({synapse}:Synapse)"

    def synapse_pair_pattern(self, pre: str, post: str, pre_syn: str, post_syn: str) -> str:
        """The paths from two connected bodies to a synapse pair ``pre_syn -> post_syn``."""
        return (
            f"({pre})-[:Contains]->(pre_set:SynapseSet)-[:ConnectsTo]->(post_set:SynapseSet)"
            f"<-[:Contains]-({post}),\n"
            f"      (pre_set)-[:Contains]->({pre_syn}:Synapse)-[:SynapsesTo]->({post_syn}:Synapse)"
            f"<-[:Contains]-(post_set)"
        )

    def mito_pattern(self, body: str, mito: str) -> str:
        """The path from a body to one of its mitochondria (see :meth:`mito_conditions`)."""
        return f"({body})-[:Contains]->(:ElementSet)-[:Contains]->({mito}:Element)"

    def close_to_pattern(self, synapse: str, rel: str, mito: str) -> str:
        """A synapse's closest mitochondrion, the relationship bound to ``rel``."""
        return f"({synapse})-[{rel}:CloseTo]->({mito}:Element)"

    def mito_conditions(self, mito: str) -> list[str]:
        """Conditions that make ``mito`` a mitochondrion (neuPrint's ``Element`` is generic)."""
        return [f"{mito}.type = 'mitochondrion'"]

    def coordinate(self, var: str, axis: str) -> str:
        """One coordinate of a synapse's location or a mitochondrion's centroid."""
        return f"{var}.location.{axis}"

    def point_roi(self, var: str, primary_only: bool) -> str:
        """The primary ROI of a synapse or mitochondrion (``primary_only``, null if none), or
        the sorted list of every ROI containing it. Needs ``meta`` bound to ``:Meta``."""
        if primary_only:
            return f"[k IN meta.primaryRois WHERE {var}[k] = true][0]"
        names = "keys(apoc.convert.fromJsonMap(meta.roiInfo))"
        return f"apoc.coll.sort([k IN {names} WHERE {var}[k] = true])"

    def point_roi_flag(self, var: str, roi: Param) -> list[Part]:
        """The test "synapse or mitochondrion ``var`` lies in ROI ``roi``"."""
        return [self.property(var, roi.value)]

    def literal(self, value: Any) -> str:
        """A literal of this dialect (used by ``CypherStatement.inline``)."""
        return render_literal(
            value, escape_colon=self.escape_colon, surrogates=self.surrogate_escapes
        )

    def string(self, value: str) -> str:
        """A string literal of this dialect."""
        return quote_string(
            value, escape_colon=self.escape_colon, surrogates=self.surrogate_escapes
        )


class Neo4j(Dialect):
    """neuPrint's Neo4j, through neuPrintHTTP or Bolt."""


class Ladybug(Dialect):
    """The embedded Ladybug engine: one label per node table, typed columns, no JSON.

    neuPrint's ``:Segment`` (every body) is the union of Ladybug's ``Neuron`` and ``Segment``
    tables, which a multi-label pattern means in Ladybug. ROI flags are ``BOOL`` columns named
    by :func:`roi_column`; per-ROI counts are the parallel lists ``roiNames``, ``roiPre`` and
    ``roiPost``; per-ROI connection weights are ``ConnectsToRoi`` rows.
    """

    name = "ladybug"
    escape_colon = False
    strict_properties = True
    surrogate_escapes = False  # Ladybug reads \\U and fails on a surrogate escape

    def node_pattern(self, var: str, label: str) -> str:
        if label == "Segment":
            return f"({var}:Neuron:Segment)"
        return f"({var}:{label})"

    def property(self, var: str, name: str) -> str:
        if "\x00" in name:
            raise InvalidValue(f"property name {name!r} contains NUL")
        return f"{var}.{quote_identifier(name)}"

    def alias(self, name: str) -> str:
        if "\x00" in name:
            raise InvalidValue(f"column name {name!r} contains NUL")
        return quote_identifier(name)

    edge_roi_counts_inline = False
    negative_zero_first = True
    null_free_sort_keys = True

    def roi_flag(self, var: str, roi: Param) -> list[Part]:
        # one BOOL column per ROI, its name's capitals escaped: Ladybug's column names are
        # case-insensitive and real ROI names differ only by case (AL(R) / aL(R))
        return [f"{var}.{quote_identifier(roi_column(roi.value))}"]

    def contains_any(self, operand: list[Part], values: Param) -> list[Part]:
        # Ladybug cannot plan a parameter inside any(x IN ... WHERE x IN $p) (it fails with
        # UNREACHABLE_CODE); list_has_any means the same and is null for a missing list
        return ["list_has_any(", *operand, ", ", values, ")"]

    def regex(self, pattern: str, ignore_case: bool = False) -> str:
        # Ladybug's =~ is RE2's full match; it un-escapes a doubled backslash before RE2 sees
        # it, so an escaped backslash must be written \x5c (translate already does)
        pattern = translate(pattern, ignore_case, "re2")
        out: list[str] = []
        i = 0
        while i < len(pattern):
            if pattern.startswith("\\\\", i):
                out.append("\\x5c")
                i += 2
            elif pattern[i] == "\\":
                out.append(pattern[i : i + 2])
                i += 2
            else:
                out.append(pattern[i])
                i += 1
        return "".join(out)

    def aggregate(self, function: str, value: list[Part], kind: str | None) -> list[Part]:
        # Ladybug sums INT64 as INT128 (a Decimal in Python) and gives null for no values
        if function != "sum":
            return [f"{function}(", *value, ")"]
        if kind == "int":
            return ["CAST(coalesce(sum(", *value, "), 0) AS INT64)"]
        return ["coalesce(sum(", *value, "), 0)"]

    def roi_info(self, var: str) -> str:
        return f"{var}.roiInfo"

    def roi_count(self, var: str, side: str) -> tuple[str, str]:
        # per-ROI counts are parallel lists; position 0 (absent) reads the prepended 0
        values = f"{var}.roiPre" if side == "pre" else f"{var}.roiPost"
        return f"coalesce(list_concat([0], {values})[list_position({var}.roiNames, ", ") + 1], 0)"

    def per_roi_rows(self, edge: str, pre: str, post: str) -> list[str]:
        # per-ROI edge weights live in a ConnectsToRoi rel table (a MAP on 3M edges loads 5x
        # slower); its NotPrimary remainder rows are not ROIs (neuPrint's roiInfo has none)
        return [
            f"MATCH ({pre})-[r:ConnectsToRoi]->({post}) WHERE r.roi <> '{STORE_NOT_PRIMARY}'",
            f"WITH {pre}, {post}, r.roi AS roi, r.weight AS roi_weight",
        ]

    def edge_roi_rows(self, pre: str, post: str) -> str:
        """The pattern matching one connection's per-ROI rows (bound to ``r``)."""
        return f"({pre})-[r:ConnectsToRoi]->({post})"

    def roi_rows_alone(
        self,
        rel: str,
        pre: str,
        post: str,
        upstream: Predicate = TRUE,
        downstream: Predicate = TRUE,
        edge: Predicate = TRUE,
    ) -> tuple[str, str, str] | None:
        # At most one ConnectsToRoi row per connection and ROI and none without its
        # ConnectsTo (the loader refuses a repeated connection and a per-ROI row of an
        # unknown one), so when the connection condition reads only per-ROI weights (a test
        # on these rows) matching them alone gives exactly the rows of ConnectsTo-then-
        # ConnectsToRoi, 2x faster at 3 million connections (docs/embedded.md, Performance).
        # ConnectsToRoi is stored forward only: a question asked from the downstream side
        # alone keeps ConnectsTo, whose backward lists find the upstream partners.
        if not reads_only_roi_weights(edge) or (upstream == TRUE and downstream != TRUE):
            return None
        return (
            f"{rel}:ConnectsToRoi",
            f"{rel}.roi <> '{STORE_NOT_PRIMARY}'",
            f"WITH {pre}, {post}, {rel}.roi AS roi, {rel}.weight AS roi_weight",
        )

    # synapses and mitochondria are plain node tables with a primary ``roi`` and the sorted
    # list ``rois`` of every ROI containing them
    duplicate_synapse_paths = False
    rois_from_meta = False
    null_roi_list = "CAST([NULL] AS STRING[])"  # a bare [NULL] is typed INT64[]
    # Ladybug plans `MATCH (n)-[:Contains]->(s) WHERE s.confidence > $c` as a hash join that
    # scans every synapse (10-50x slower than with a literal); after `WITH n, s` it filters
    # the body's synapses only
    filter_points_after_with = True

    def synapse_pattern(self, body: str, synapse: str) -> str:
        return f"({body})-[:Contains]->({synapse}:Synapse)"

    def synapse_pair_pattern(self, pre: str, post: str, pre_syn: str, post_syn: str) -> str:
        return (
            f"({pre})-[:Contains]->({pre_syn}:Synapse)-[:SynapsesTo]->({post_syn}:Synapse)"
            f"<-[:Contains]-({post})"
        )

    def mito_pattern(self, body: str, mito: str) -> str:
        return f"({body})-[:Contains]->({mito}:Mito)"

    def close_to_pattern(self, synapse: str, rel: str, mito: str) -> str:
        return f"({synapse})-[{rel}:CloseTo]->({mito}:Mito)"

    def mito_conditions(self, mito: str) -> list[str]:
        return []

    def coordinate(self, var: str, axis: str) -> str:
        return f"{var}.{axis}"

    def point_roi(self, var: str, primary_only: bool) -> str:
        return f"{var}.roi" if primary_only else f"{var}.rois"

    def point_roi_flag(self, var: str, roi: Param) -> list[Part]:
        return ["list_contains(", f"{var}.rois", ", ", roi, ")"]


DIALECTS: dict[str, Dialect] = {"neo4j": Neo4j(), "ladybug": Ladybug()}


def get_dialect(name: str | Dialect) -> Dialect:
    """The dialect called ``name`` (``"neo4j"`` or ``"ladybug"``).

    Example:
        >>> get_dialect("neo4j").name
        'neo4j'
    """
    if isinstance(name, Dialect):
        return name
    try:
        return DIALECTS[name]
    except KeyError:
        raise InvalidArgument(
            f"unknown Cypher dialect {name!r}; choose one of {', '.join(sorted(DIALECTS))}"
        ) from None
