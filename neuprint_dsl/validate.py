"""Check a statement against what a dataset has, before anything runs (issue 10).

:func:`validate` walks a statement and refuses, with a typed error naming the place and the
closest existing names:

* a field (``N``, ``E``, ``S``, ``M``), a ``return`` column or an ``order by`` key the
  dataset does not have: :class:`~neuprint_dsl.errors.UnknownField`;
* an ROI (``roi()``, ``inputs()``, ``outputs()``, ``roi_weight()``, the ``rois`` of
  connections and synapse connections) the dataset does not have:
  :class:`~neuprint_dsl.errors.UnknownROI` (names are case-sensitive; a name that differs
  only by case is suggested first);
* a comparison whose value kind cannot match the property's kind in this dataset (a str
  property compared with a number, an ordering on a bool property, a string test on an int
  property...): :class:`~neuprint_dsl.errors.QueryTypeError`. Only definite kinds decide
  (str, int, float, bool, list); json, map, point, other and unknown kinds never refuse.

What the schema does not know (``None`` property lists or ROI set) is never refused. The
check is one pass over the AST; it compiles nothing.

Example:
    >>> from neuprint_dsl import parse
    >>> from neuprint_dsl.schema import GraphSchema
    >>> schema = GraphSchema(node_properties={"bodyId": "int", "type": "str"}, rois={"FB"})
    >>> validate(parse('neurons where type = "APL"'), schema)
    >>> validate(parse('neurons where typ = "APL"'), schema)
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.UnknownField: unknown field 'typ' in the where of neurons; did you mean 'type'?
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from .errors import QueryTypeError, UnknownField, UnknownROI
from .expr import (
    And,
    Compare,
    CompareOp,
    Const,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    Matches,
    Not,
    Or,
    Predicate,
    Prop,
    RoiCount,
    StringTest,
    as_predicate,
    operand_name,
)
from .query import Connections, Mitochondria, Neurons, SynapseConnections, Synapses
from .schema import UNKNOWN, GraphSchema
from .values import KIND_NAMES, value_kind, with_article

__all__ = ["validate"]

#: Kinds that decide a comparison; other kinds (json, map, point, other, unknown) never refuse.
DEFINITE_KINDS = frozenset({"str", "int", "float", "bool", "list"})
#: Synapse and mitochondrion coordinates: always there, whatever the schema lists.
_POINT_AXES = frozenset({"x", "y", "z"})
_VALUE_KINDS = {"str": {"str"}, "number": {"int", "float"}, "bool": {"bool"}}
#: the schema's property kinds of each kind of record
_PROPERTIES = {
    Entity.NEURON: "node_properties",
    Entity.EDGE: "edge_properties",
    Entity.SYNAPSE: "synapse_properties",
    Entity.MITO: "mito_properties",
}


def validate(statement: Any, schema: GraphSchema | None) -> None:
    """Raise :class:`~neuprint_dsl.errors.UnknownField`,
    :class:`~neuprint_dsl.errors.UnknownROI` or :class:`~neuprint_dsl.errors.QueryTypeError`
    if ``statement`` (a statement or a neuron predicate) names a field, column, ``order by``
    key or ROI that ``schema`` says the dataset lacks, or compares a property with a value of
    a kind it cannot have. ``schema=None`` checks nothing.

    Example:
        >>> from neuprint_dsl import N, E, connections
        >>> from neuprint_dsl.cypher import GraphSchema
        >>> s = GraphSchema(edge_properties={"weight": "int"}, rois={"MB(R)"})
        >>> validate(connections(where=E.roi_weight("mb(r)") > 1), s)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.UnknownROI: unknown ROI 'mb(r)' in the where of connections; did you mean 'MB(R)'?
    """
    if schema is None:
        return
    check = _Checker(schema)
    statement_check = _STATEMENTS.get(type(statement))
    if statement_check is None:
        check.predicate(as_predicate(statement), "the where of neurons")
    else:
        statement_check(check, statement)


class _Checker:
    """One pass over the parts of a statement; ``where`` names the part in messages."""

    def __init__(self, schema: GraphSchema) -> None:
        self.schema = schema

    def predicate(self, pred: Predicate, where: str) -> None:
        """Check every field and ROI of ``pred``, and each leaf's kinds."""
        _PREDICATES.get(type(pred), _Checker.leaf)(self, pred, where)

    def items(self, pred: And | Or, where: str) -> None:
        for item in pred.items:
            self.predicate(item, where)

    def negation(self, pred: Not, where: str) -> None:
        self.predicate(pred.item, where)

    def in_roi(self, pred: InRoi, where: str) -> None:
        self.roi(pred.roi, where)

    def leaf(self, pred: Predicate, where: str) -> None:
        """Check one test: its ROI, or its field and (for a definite kind) its value kind."""
        operand = getattr(pred, "operand", None)
        if isinstance(operand, RoiCount):
            self.roi(operand.roi, where)
            return
        if not isinstance(operand, Prop):
            return
        kind = self.field(operand, where)
        if kind is None or kind not in DEFINITE_KINDS:
            return
        mismatch = _MISMATCHES.get(type(pred))
        problem = "" if mismatch is None else mismatch(pred, kind)
        if problem:
            raise QueryTypeError(
                f"{pred} can never be true in {where}: {_describe(operand)} is "
                f"{with_article(kind)} property in this dataset and {problem}"
            )

    def field(self, prop: Prop, where: str) -> str | None:
        """The kind of ``prop`` (``None`` when it cannot be known); raises if it is unknown."""
        if prop.entity in (Entity.SYNAPSE, Entity.MITO) and prop.name in _POINT_AXES:
            return "int"
        known: Mapping[str, str] | None = getattr(self.schema, _PROPERTIES[prop.entity])
        if known is None:
            return None
        kind = known.get(prop.name)
        if kind is None:
            raise UnknownField(prop.name, known, where=where)
        return None if kind == UNKNOWN else kind

    def column(self, column: str | RoiCount, where: str) -> None:
        """Check a returned / ordered neuron property or ROI count."""
        if isinstance(column, RoiCount):
            self.roi(column.roi, where)
        else:
            self.field(Prop(Entity.NEURON, column), where)

    def roi(self, roi: str, where: str) -> None:
        """Raise :class:`UnknownROI` if the dataset's ROIs are known and lack ``roi``."""
        rois = self.schema.rois
        if rois is not None and roi not in rois:
            raise UnknownROI(roi, rois, where=where)


_PREDICATES: dict[type[Predicate], Callable[[_Checker, Any, str], None]] = {
    And: _Checker.items,
    Or: _Checker.items,
    Not: _Checker.negation,
    InRoi: _Checker.in_roi,
    Const: lambda check, pred, where: None,
}

# ---------------------------------------------------------------------------------------
# statements


def _check_neurons(check: _Checker, statement: Neurons) -> None:
    check.predicate(statement.where, "the where of neurons")
    for column in statement.columns or ():
        check.column(column, "return")
    if not statement.group_keys:  # grouped: keys name result columns
        for key in statement.order_by:
            check.column(key.field, "order by")
    for name in statement.group_keys:
        check.field(Prop(Entity.NEURON, name), "group by")
    for aggregate in statement.aggregates:
        if aggregate.field is not None:
            check.column(aggregate.field, "return")


def _check_pairs(check: _Checker, statement: Connections | SynapseConnections) -> None:
    what = "connections" if isinstance(statement, Connections) else "synapse connections"
    check.predicate(statement.upstream, f"the from of {what}")
    check.predicate(statement.downstream, f"the to of {what}")
    check.predicate(statement.where, f"the where of {what}")
    for roi in statement.rois or ():
        check.roi(roi, f"the rois of {what}")
    for name in getattr(statement, "group_keys", ()):
        check.field(Prop(Entity.NEURON, name), "group by")


def _check_owned(check: _Checker, statement: Synapses | Mitochondria) -> None:
    what = "synapses" if isinstance(statement, Synapses) else "mitochondria"
    check.predicate(statement.neurons, f"the neurons of {what}")
    check.predicate(statement.where, f"the where of {what}")


_STATEMENTS: dict[type, Callable[[_Checker, Any], None]] = {
    Neurons: _check_neurons,
    Connections: _check_pairs,
    SynapseConnections: _check_pairs,
    Synapses: _check_owned,
    Mitochondria: _check_owned,
}

# ---------------------------------------------------------------------------------------
# value kinds


def _describe(prop: Prop) -> str:
    """A property as messages name it: a neuron's by its name, others by ``S.name``."""
    return repr(prop.name) if prop.entity is Entity.NEURON else operand_name(prop)


def _compare_mismatch(pred: Compare, kind: str) -> str:
    if pred.op is not CompareOp.EQ and kind not in ("int", "float"):
        return f"{pred.op.value} compares numbers"
    return _values_mismatch([pred.value], kind)


#: Why a leaf can never be true on a property of a definite kind ("" if it can), by class;
#: a leaf not listed (IsNull) can always be true.
_MISMATCHES: dict[type[Predicate], Callable[[Any, str], str]] = {
    Compare: _compare_mismatch,
    IsIn: lambda pred, kind: _values_mismatch(pred.values, kind),
    Matches: lambda pred, kind: (
        "" if kind == "str" else "a regular expression matches strings only"
    ),
    StringTest: lambda pred, kind: "" if kind == "str" else f"{pred.op.value} tests strings only",
    ContainsAny: lambda pred, kind: "" if kind == "list" else "contains_any tests lists only",
}


def _values_mismatch(values: Collection[object], kind: str) -> str:
    for value in values:
        vkind = value_kind(value)
        if kind not in _VALUE_KINDS.get(vkind, set()):
            return f"it is compared with {KIND_NAMES.get(vkind, 'a value')} ({value!r})"
    return ""
