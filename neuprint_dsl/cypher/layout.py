"""Where the data lives: the graph layout a Cypher dialect reads, whatever its spelling.

A layout answers questions whose answer depends on how the graph is stored, never on the
engine's syntax: the labels of a node table, whether an ROI flag is a boolean property named
by the ROI or an escaped column (:func:`roi_column`), whether per-ROI counts are a JSON map
(``roiInfo``) or parallel lists, whether per-ROI connection weights are read from the
connection or are rows of their own (``ConnectsToRoi``), and the paths from a body to its
synapses and mitochondria. :class:`GraphLayout` is neuPrint's (the default);
:class:`LadybugLayout` is the embedded store's, which :mod:`neuprint_dsl.embedded` writes
(its loader names ROI columns with :func:`roi_column`). How the Cypher is spelled is the
other half of a dialect (:mod:`neuprint_dsl.cypher.syntax`); a layout's Cypher that needs a
spelling (a property read, a JSON map) asks the syntax it is paired with.

Example:
    >>> roi_column("aL(R)")
    'roi:a^l(^r)'
    >>> LadybugLayout().coordinate("s", "x"), GraphLayout().coordinate("s", "x")
    ('s.x', 's.location.x')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from ..expr import TRUE, And, Compare, Const, Entity, IsIn, Not, Or, Predicate, RoiCount
from .literals import quote_identifier
from .statement import Param, Part

__all__ = [
    "STORE_NOT_PRIMARY",
    "GraphLayout",
    "LadybugLayout",
    "reads_only_roi_weights",
    "roi_column",
]

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
    (:meth:`LadybugLayout.roi_rows_alone`), without the connection.

    Example:
        >>> from neuprint_dsl import E
        >>> reads_only_roi_weights((E.roi_weight("FB") > 2) | ~(E.roi_weight("EB") == 1))
        True
        >>> reads_only_roi_weights((E.roi_weight("FB") > 2) & (E.weight > 5))
        False
    """
    return _ROI_WEIGHTS_ONLY.get(type(pred), _is_roi_weight_test)(pred)


def _is_roi_weight_test(leaf: Predicate) -> bool:
    return (
        isinstance(leaf, (Compare, IsIn))
        and isinstance(leaf.operand, RoiCount)
        and leaf.operand.entity is Entity.EDGE
    )


def _all_items(pred: And | Or) -> bool:
    return all(reads_only_roi_weights(item) for item in pred.items)


#: :func:`reads_only_roi_weights` of each kind of node but leaves.
_ROI_WEIGHTS_ONLY: dict[type[Predicate], Callable[[Any], bool]] = {
    Const: lambda pred: True,
    Not: lambda pred: reads_only_roi_weights(pred.item),
    And: _all_items,
    Or: _all_items,
}


class _Spelled(Protocol):
    """What :class:`GraphLayout`'s Cypher needs from the syntax it is paired with (a
    :class:`~neuprint_dsl.cypher.syntax.CypherSyntax` has it) and from itself."""

    def property(self, var: str, name: str) -> str: ...

    def json_map(self, text: str) -> str: ...

    def sort_list(self, text: str) -> str: ...

    def roi_info(self, var: str) -> str: ...


class GraphLayout:
    """neuPrint's layout (Neo4j): ``:Segment``/``:Neuron`` labels on one node set, ROI flags
    as boolean properties named by the ROI, per-ROI counts in the JSON string ``roiInfo`` of
    neurons and connections, synapses and mitochondria inside ``SynapseSet`` /
    ``ElementSet`` containers, ROI names of synapses from the ``:Meta`` node.

    Subclasses describe another layout. Stateless: its methods may be cached per instance.
    """

    #: whether the engine rejects a property no record has, as a store of fixed typed
    #: columns does (so the compiler folds such a leaf with a schema)
    strict_properties: ClassVar[bool] = False
    #: whether an edge's ROI weight is an expression on the edge (else: ConnectsToRoi rows)
    edge_roi_counts_inline: ClassVar[bool] = True
    #: whether a synapse can be reached from its body along several paths (neuPrint: a pre
    #: synapse may sit in more than one SynapseSet), so rows need ``WITH DISTINCT``
    duplicate_synapse_paths: ClassVar[bool] = True
    #: whether ROI names of synapses come from the ``:Meta`` node (bound to ``meta``)
    rois_from_meta: ClassVar[bool] = True

    def node_pattern(self, var: str, label: str) -> str:
        """``(n:Neuron)``: a node variable with its label.

        Example:
            >>> GraphLayout().node_pattern("n", "Segment"), LadybugLayout().node_pattern("n", "Segment")
            ('(n:Segment)', '(n:Neuron:Segment)')
        """
        return f"({var}:{label})"

    def roi_flag(self: _Spelled, var: str, roi: Param) -> list[Part]:
        """The test "``var`` has a synapse in ROI ``roi``" (neuPrint's boolean property).

        Example:
            >>> from neuprint_dsl.cypher.dialects import get_dialect
            >>> get_dialect("neo4j").roi_flag("n", Param("roi", "MB(R)"))
            ['n.`MB(R)`']
        """
        return [self.property(var, roi.value)]

    def roi_info(self: _Spelled, var: str) -> str:
        """The parsed per-ROI counts map of ``var``."""
        return self.json_map(f"{var}.roiInfo")

    def roi_count(self: _Spelled, var: str, side: str) -> tuple[str, str]:
        """The ``pre``/``post`` count of ``var`` in one ROI (0 if absent), as the text before
        and after the ROI-name expression.

        Example:
            >>> from neuprint_dsl.cypher.dialects import get_dialect
            >>> get_dialect("neo4j").roi_count("n", "pre")
            ('coalesce(apoc.convert.fromJsonMap(n.roiInfo)[', '].pre, 0)')
        """
        return f"coalesce({self.roi_info(var)}[", f"].{side}, 0)"

    def edge_roi_rows(self, pre: str, post: str) -> str:
        """The pattern matching one connection's per-ROI rows, bound to ``r`` (only for
        layouts with ``edge_roi_counts_inline = False``)."""
        raise NotImplementedError(f"{type(self).__name__} reads ROI weights from the connection")

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
        ``edge``) that this layout answers faster from its per-ROI rows alone, without the
        connection: the relationship pattern (bound to ``rel``), the condition that keeps ROI
        rows only, and the clause binding ``roi`` and ``roi_weight`` (keeping ``pre`` and
        ``post``). ``None`` (always on neuPrint's layout): the per-ROI rows come from the
        matched connection (:meth:`per_roi_rows`).

        Example:
            >>> GraphLayout().roi_rows_alone("e", "n", "m") is None
            True
            >>> LadybugLayout().roi_rows_alone("e", "n", "m")[0]
            'e:ConnectsToRoi'
        """
        return None

    def per_roi_rows(self: _Spelled, edge: str, pre: str, post: str) -> list[str]:
        """Clauses that turn each connection row into one row per ROI, binding ``roi`` and
        ``roi_weight`` and keeping the endpoint variables ``pre`` and ``post``."""
        keep = f"{pre}, {post}"
        return [
            f"WITH {keep}, {self.roi_info(edge)} AS roiInfo",
            "UNWIND keys(roiInfo) AS roi",
            f"WITH {keep}, roi, coalesce(roiInfo[roi].post, 0) AS roi_weight",
        ]

    # -- synapses and mitochondria (neuPrint: SynapseSet / ElementSet containers) ----------

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

    def point_roi(self: _Spelled, var: str, primary_only: bool) -> str:
        """The primary ROI of a synapse or mitochondrion (``primary_only``, null if none), or
        the sorted list of every ROI containing it. Needs ``meta`` bound to ``:Meta``."""
        if primary_only:
            return f"[k IN meta.primaryRois WHERE {var}[k] = true][0]"
        names = f"keys({self.json_map('meta.roiInfo')})"
        return self.sort_list(f"[k IN {names} WHERE {var}[k] = true]")

    def point_roi_flag(self: _Spelled, var: str, roi: Param) -> list[Part]:
        """The test "synapse or mitochondrion ``var`` lies in ROI ``roi``"."""
        return [self.property(var, roi.value)]


class LadybugLayout(GraphLayout):
    """The embedded store (:mod:`neuprint_dsl.embedded`): one label per node table, typed
    columns, no JSON.

    neuPrint's ``:Segment`` (every body) is the union of the ``Neuron`` and ``Segment``
    tables, which a multi-label pattern means in Ladybug. ROI flags are ``BOOL`` columns named
    by :func:`roi_column`; per-ROI counts are the parallel lists ``roiNames``, ``roiPre`` and
    ``roiPost``; per-ROI connection weights are ``ConnectsToRoi`` rows; synapses and
    mitochondria are plain node tables with their primary ``roi`` and the sorted list
    ``rois`` of every ROI containing them. Only Ladybug stores it, so its Cypher uses
    Ladybug's list functions directly.
    """

    strict_properties = True
    edge_roi_counts_inline = False
    duplicate_synapse_paths = False
    rois_from_meta = False

    def node_pattern(self, var: str, label: str) -> str:
        if label == "Segment":
            return f"({var}:Neuron:Segment)"
        return f"({var}:{label})"

    def roi_flag(self, var: str, roi: Param) -> list[Part]:
        # one BOOL column per ROI, its name's capitals escaped: Ladybug's column names are
        # case-insensitive and real ROI names differ only by case (AL(R) / aL(R))
        return [f"{var}.{quote_identifier(roi_column(roi.value))}"]

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
