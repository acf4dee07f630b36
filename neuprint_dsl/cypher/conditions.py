"""The lines and WHERE conditions of one Cypher statement: parameters, null-safe predicates.

:class:`ConditionWriter` holds what one compile collects (the text parts and the parameter
names given out) and writes conditions. Predicates are written in negation normal form
(De Morgan's laws applied while writing: the text of :func:`neuprint_dsl.normalize.to_nnf`'s
predicate, without building it), and a negated leaf becomes ``NOT coalesce(<leaf>, false)``
(or ``IS NOT NULL``), so Cypher's three-valued logic never leaks. Without negations,
AND/OR over leaves that are null on missing values already select exactly the records where
the two-valued predicate is true. Every user value becomes a parameter (``$type``).

Walks dispatch on the node's class through type tables (:data:`_RENDER` for predicates,
:data:`_LEAVES` for the tests of leaves); :meth:`ConditionWriter._leaf_run` is the same leaf
rendering unrolled into one loop for speed (most of a compile). The statement compiler
(:class:`neuprint_dsl.cypher.compiler.CypherCompiler`) extends the writer with one method per
kind of statement.

Example:
    >>> from neuprint_dsl import N
    >>> from neuprint_dsl.cypher.dialects import get_dialect
    >>> writer = ConditionWriter(get_dialect("ladybug"))
    >>> writer.where([(~((N.pre > 1) & N.roi("FB")), {Entity.NEURON: "n"})])
    >>> print(writer.finish(()).text)
    WHERE (NOT coalesce(n.pre > $pre, false) OR NOT coalesce(n.`roi:^f^b`, false))
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, cast

from ..errors import CapabilityError, UnknownROI
from ..expr import (
    And,
    Compare,
    CompareOp,
    Const,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Not,
    Operand,
    Or,
    Predicate,
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    single_entity,
    value_kind,
)
from ..fields import E, FloatField, IntField, M, N, S
from ..interpret import evaluate
from ..schema import UNKNOWN, GraphSchema
from .dialects import Dialect, Ladybug, Neo4j
from .literals import (
    EXACT_DOUBLE_INT,
    all_plain_ints,
    exact_number_comparison,
    exact_number_list,
    literal_renderer,
)
from .statement import CypherStatement, Param, Part, make_statement

__all__ = ["NAMESPACES", "Bindings", "ConditionWriter", "declared_number_kind", "property_text"]


_POINT_AXES = frozenset({"x", "y", "z"})
#: precedence of a rendered condition (an item of lower precedence goes in parentheses)
_OR, _AND, _ATOM = 1, 2, 3
_STRING_OPS = {
    StringOp.STARTS_WITH: "STARTS WITH",
    StringOp.ENDS_WITH: "ENDS WITH",
    StringOp.CONTAINS: "CONTAINS",
}
_KIND_OK = {
    "str": frozenset({"str"}),
    "number": frozenset({"int", "float"}),
    "bool": frozenset({"bool"}),
}
_PARAM_CHARS = re.compile(r"[^A-Za-z0-9_]+")


@functools.lru_cache(maxsize=4096)
def property_text(dialect: Dialect, var: str, name: str) -> str:
    """``dialect.property(var, name)``, cached (dialects are stateless).

    Example:
        >>> from neuprint_dsl.cypher.dialects import get_dialect
        >>> property_text(get_dialect("neo4j"), "n", "MB(R)")
        'n.`MB(R)`'
    """
    return dialect.property(var, name)


#: Dialect classes whose methods are pure functions of their arguments: the compiler may
#: cache what they return (per dialect instance) and take its fast paths with them.
_BUILTIN_DIALECTS: tuple[type[Dialect], ...] = (Neo4j, Ladybug)


def _param_base(hint: str) -> str:
    """A parameter name made of ``hint`` (letters, digits and ``_`` only; starts with a
    letter)."""
    base = _PARAM_CHARS.sub("_", hint).strip("_") or "p"
    base = base if base[0].isalpha() else "p_" + base
    if len(_PARAM_BASES) < 4096:
        _PARAM_BASES[hint] = base
    return base


#: parameter name bases by hint (field names), as :func:`_param_base` made them
_PARAM_BASES: dict[str, str] = {}


@functools.lru_cache(maxsize=64)
def _renderer(dialect: Dialect) -> Callable[[Any], str]:
    """How ``CypherStatement.inline`` writes this dialect's literals: ``dialect.literal``,
    or the same as a quicker function for a built-in dialect."""
    if type(dialect) in _BUILTIN_DIALECTS:
        return literal_renderer(
            escape_colon=dialect.escape_colon, surrogates=dialect.surrogate_escapes
        )
    return dialect.literal


#: Param(name, value) without NamedTuple's Python-level __new__
_new_param = cast("Callable[[type[Param], tuple[str, Any]], Param]", tuple.__new__)


#: A variable's texts by joiner (``"\n  AND "``, ``" OR "``...): ``(joiner + "<property> = ",
#: parameter name stem, "<property> = ")`` by property name, and ``flag + joiner`` by ROI.
_JoinedTables = tuple[dict[str, tuple[str, str, str]], dict[str, str]]


#: A variable's texts: ``(dialect.property(var, name), parameter name stem, "<property> = ")``
#: by ``name``, :func:`_roi_flag` by ROI, and :data:`_JoinedTables` by joiner.
_VarTables = tuple[dict[str, tuple[str, str, str]], dict[str, str], dict[str, _JoinedTables]]


@functools.lru_cache(maxsize=64)
def _dialect_tables(
    dialect: Dialect,
) -> tuple[bool, dict[str, _VarTables], Callable[[Any], str]]:
    """What every compile in ``dialect`` shares: whether it is a built-in dialect (pure
    methods); :data:`_VarTables` by variable (filled as the compiler meets the names, at
    most 4,096 each); and the literal renderer."""
    return type(dialect) in _BUILTIN_DIALECTS, {}, _renderer(dialect)


def _joined_tables(by_joiner: dict[str, _JoinedTables], joiner: str) -> _JoinedTables:
    """A variable's new :data:`_JoinedTables` for ``joiner`` (kept for the next compile)."""
    tables: _JoinedTables = ({}, {})
    if len(by_joiner) < 16:
        by_joiner[joiner] = tables
    return tables


#: the names of the second, third... ``roi`` parameter (see ConditionWriter._leaf_run)
_ROI_NAMES = tuple(f"roi_{count}" for count in range(256))


@functools.lru_cache(maxsize=4096)
def _regex(dialect: Dialect, pattern: str, ignore_case: bool) -> str:
    """``dialect.regex`` of a built-in dialect (a pure function of the pattern)."""
    return dialect.regex(pattern, ignore_case)


@functools.lru_cache(maxsize=4096)
def _roi_flag(dialect: Dialect, var: str, roi: str) -> str | None:
    """``dialect.roi_flag`` of a built-in dialect as one string (``None`` if it is not one)."""
    parts = dialect.roi_flag(var, Param("roi", roi))
    return parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None


_OP_TEXT = {op: f" {op.value} " for op in CompareOp}


_STRING_OP_TEXT = {op: f" {text} " for op, text in _STRING_OPS.items()}


_POINT_ENTITIES = (Entity.SYNAPSE, Entity.MITO)


_NEURON = Entity.NEURON


_EXACT_FLOAT = float(EXACT_DOUBLE_INT)


Rendered = tuple[list[Part], int]


#: The field namespace of each kind of record.
NAMESPACES: dict[Entity, Any] = {
    Entity.NEURON: N,
    Entity.EDGE: E,
    Entity.SYNAPSE: S,
    Entity.MITO: M,
}


@functools.lru_cache(maxsize=1024)
def declared_number_kind(entity: Entity, name: str) -> str | None:
    """``"int"``/``"float"`` for a declared numeric field of ``N``, ``E``, ``S`` or ``M``.

    Example:
        >>> declared_number_kind(Entity.NEURON, "pre"), declared_number_kind(Entity.SYNAPSE, "type")
        ('int', None)
    """
    cls = type(NAMESPACES[entity]).declared().get(name)
    return "int" if cls is IntField else "float" if cls is FloatField else None


Bindings = dict[Entity, str]


class ConditionWriter:
    """Writes the lines and WHERE conditions of one statement (a new writer per statement:
    it collects the parameters)."""

    def __init__(self, dialect: Dialect, schema: GraphSchema | None = None) -> None:
        self.dialect = dialect
        self.schema = schema
        self.parts: list[Part] = []
        #: every parameter name given out -> how many were made from it as a base
        self._param_names: dict[str, int] = {}
        builtin, self._props, self.render_literal = _dialect_tables(dialect)
        self._rois = schema.rois if schema is not None else None
        #: leaves of the usual kinds go through _leaf_run (built-in dialects, no folding)
        self._fast = builtin and (schema is None or not dialect.strict_properties)

    def require_roi_weights(self, what: str) -> None:
        """Refuse a per-ROI connection question on a graph loaded without per-ROI weights
        (no ``roi-connections.csv``): an empty answer would look like "no connection"."""
        if self.schema is not None and self.schema.has_roi_weights is False:
            raise CapabilityError(
                what,
                "this graph (its export had no roi-connections.csv: no per-ROI weights)",
                ("a database loaded from an export with roi-connections.csv", "a neuPrint server"),
            )

    def read_point(self, var: str, name: str, entity: Entity) -> str:
        """A synapse or mitochondrion property for RETURN (``NULL`` where a strict engine
        lacks it); ``x``/``y``/``z`` read the location."""
        if name in _POINT_AXES:
            return self.dialect.coordinate(var, name)
        strict = self.schema is not None and self.dialect.strict_properties
        if strict and self.schema_kind(Prop(entity, name)) is None:
            return "NULL"
        return property_text(self.dialect, var, name)

    def line(self, *parts: Part) -> None:
        """Append one clause line."""
        if self.parts:
            self.parts.append("\n")
        self.parts.extend(parts)

    def param(self, hint: str, value: Any) -> Param:
        """A new parameter named after ``hint`` (deduplicated: ``type``, ``type_2``, ...;
        never a name given before, even to a field called ``type_2``)."""
        base = _PARAM_BASES.get(hint) or _param_base(hint)
        names = self._param_names
        count = names.get(base)
        if count is None:  # the first: the base itself
            names[base] = 1
            return _new_param(Param, (base, value))
        # base_2, base_3, ... skipping any name given before (a field may be called type_2)
        count = max(count, 1)
        while True:
            count += 1
            name = f"{base}_{count}"
            if name not in names:
                break
        names[base] = count
        names[name] = 0  # given out (0: not used as a base yet)
        return _new_param(Param, (name, value))

    def where(
        self,
        conjuncts: list[tuple[Predicate, Bindings]],
        extra: list[str] | list[list[Part]] | None = None,
        *,
        check: Entity | None = None,
    ) -> None:
        """A WHERE clause, one top-level conjunct per line (nothing when all are TRUE);
        ``extra`` conditions (already Cypher) come first. With ``check``, a field or ROI
        test of another kind of record raises ``KeyError`` (the caller names the error)."""
        first = True
        for condition in extra or ():
            parts = [condition] if isinstance(condition, str) else condition
            self.line("WHERE " if first else "  AND ", *parts)
            first = False
        out = self.parts
        fast = self._fast
        for pred, bindings in conjuncts:
            items = pred.items if isinstance(pred, And) else (pred,)
            i, n = 0, len(items)
            while i < n:
                # one line per conjunct, its "\n  AND " joined to its first part
                prefix = ("\nWHERE " if out else "WHERE ") if first else "\n  AND "
                if fast:  # leaves and negated leaves, written straight into the text
                    lead: Any = out.pop() if out and type(out[-1]) is str else ""
                    j = self._leaf_run(items, i, bindings, out, lead + prefix, "\n  AND ")
                    if j > i:
                        first = False
                        i = j
                        continue
                    if lead:
                        out.append(lead)
                item = items[i]
                i += 1
                if check is not None and not single_entity(item, check):
                    raise KeyError(check)
                if isinstance(item, Const) and item.value:
                    continue
                parts, prec = self.predicate(item, bindings)
                if prec < _AND:
                    prefix += "("
                    parts.append(")")
                head = parts[0]
                if isinstance(head, str):
                    out.append(prefix + head)
                else:
                    out += [prefix, head]
                out += parts[1:]
                first = False

    def predicate(self, pred: Predicate, bindings: Bindings) -> Rendered:
        """Render a predicate as parts and its precedence, in negation normal form (only
        leaves are negated: the text of :func:`~neuprint_dsl.normalize.to_nnf`'s predicate,
        written without building it).

        Example:
            >>> from neuprint_dsl import N
            >>> from neuprint_dsl.cypher.dialects import get_dialect
            >>> writer = ConditionWriter(get_dialect("neo4j"))
            >>> writer.predicate(~((N.pre > 1) | N.cropped), {Entity.NEURON: "n"})
            (['NOT coalesce(n.pre > ', Param(name='pre', value=1), ', false) AND NOT coalesce(n.cropped = true, false)'], 2)
        """
        return self._predicate(pred, bindings)

    def _predicate(self, pred: Predicate, bindings: Bindings) -> Rendered:
        """Render a predicate (:data:`_RENDER`, by its class)."""
        if self._fast and type(pred) in _FAST_ITEMS:
            parts: list[Part] = []
            if self._leaf_run((pred,), 0, bindings, parts, "", ""):
                return parts, _ATOM
        return _RENDER[type(pred)](self, pred, bindings)

    def _junction(self, pred: And | Or, bindings: Bindings, negate: bool = False) -> Rendered:
        """``a AND b ...`` / ``a OR b ...``, items of lower precedence in parentheses; with
        ``negate``, its negation by De Morgan's laws (``NOT a OR NOT b ...`` for an And),
        as :func:`~neuprint_dsl.normalize.to_nnf` would write it (its flattening of an Or
        into an Or changes no text: neither is put in parentheses)."""
        is_and = (type(pred) is And) is not negate
        prec = _AND if is_and else _OR
        joiner = " AND " if is_and else " OR "
        fast = self._fast
        out: list[Part] = []
        items = pred.items
        i, n = 0, len(items)
        while i < n:
            if fast:  # a run of leaves (atoms: never in parentheses)
                i = self._leaf_run(items, i, bindings, out, joiner if i else "", joiner, negate)
                if i == n:
                    break
            if negate:
                parts, item_prec = self._negated(items[i], bindings)
            else:
                parts, item_prec = self._predicate(items[i], bindings)
            if item_prec < prec:
                parts = ["(", *parts, ")"]
            if i:
                head = parts[0]
                if isinstance(head, str):
                    parts[0] = joiner + head
                else:
                    out.append(joiner)
            out += parts
            i += 1
        return out, prec

    def _negation(self, pred: Not, bindings: Bindings) -> Rendered:
        """A negation: of a leaf, null-safe (true where the leaf is false or null); of an
        And or Or, by De Morgan's laws."""
        return self._negated(pred.item, bindings)

    def _negated(self, pred: Predicate, bindings: Bindings) -> Rendered:
        """``pred`` negated, in negation normal form."""
        cls = type(pred)
        if cls is Not:  # not not p is p
            return self._predicate(cast(Not, pred).item, bindings)
        if cls is And or cls is Or:
            return self._junction(cast("And | Or", pred), bindings, True)
        return self._negated_leaf(pred, bindings)

    def _negated_leaf(self, leaf: Predicate, bindings: Bindings) -> Rendered:
        """A negated leaf (the only negation in negation normal form), null-safe: true
        where the leaf is false or null."""
        folded = self._fold(leaf)
        if folded is not None:
            return [("false" if folded else "true")], _ATOM
        if type(leaf) is IsNull:
            return [*self.operand(leaf.operand, bindings), " IS NOT NULL"], _ATOM
        return ["NOT coalesce(", *self._leaf(leaf, bindings), ", false)"], _ATOM

    def _constant(self, pred: Const, bindings: Bindings) -> Rendered:
        return [("true" if pred.value else "false")], _ATOM

    def _atom(self, pred: Predicate, bindings: Bindings) -> Rendered:
        """A leaf: its constant value where the schema decides it, else its test."""
        folded = self._fold(pred)
        if folded is not None:
            return [("true" if folded else "false")], _ATOM
        return self._leaf(pred, bindings), _ATOM

    def _leaf_run(
        self,
        items: tuple[Predicate, ...],
        i: int,
        bindings: Bindings,
        out: list[Part],
        prefix: str,
        joiner: str,
        negate: bool = False,
    ) -> int:
        """Append ``items[i]``, ``items[i + 1]``, ... to ``out``, the first after ``prefix``
        and the others after ``joiner``, while they are the usual leaves on a property or
        neuron ROI flags, or negations of those (each negated once more with ``negate``:
        ``not (a and b)`` is written as ``not a or not b``); return the index of the first
        item not written, which :meth:`_predicate` (or :meth:`_negated`) renders.

        The same text and parameter names as :meth:`_predicate` and :meth:`_leaf`: only
        leaves that :meth:`_exact_numbers` keeps as they are and that no schema folds come
        here. Written for speed (a loop, not a call per leaf): it is most of a compile. The
        commonest leaves, a neuron property equal to a string and a neuron ROI flag, are
        tested first and written from texts cached by joiner (no string is built for them
        but the parameter). The text of leaves without a parameter is joined to the text
        around it (``out`` gets one string between two parameters), so a statement has few
        parts to render."""
        names = self._param_names
        dialect = self.dialect
        rois = self._rois
        # the tables of the neuron variable (a KeyError, as _leaf's, at the first neuron
        # leaf if there is none)
        nvar = bindings.get(_NEURON)
        if nvar is not None:
            nprops, nflags, by_joiner = self._props.get(nvar) or self._var_tables(nvar)
            heads, tails = by_joiner.get(joiner) or _joined_tables(by_joiner, joiner)
        else:
            nprops, nflags, heads, tails = {}, {}, {}, {}
        # ``lead``: the text that goes before the next leaf; ``held``: whether it holds text
        # of leaves not yet appended to out (then it ends with the joiner)
        lead = prefix
        held = False
        n = len(items)
        for i in range(i, n):  # noqa: B020 (i: the first item not written, after a break)
            pred: Any = items[i]
            cls = type(pred)
            if cls is Compare and not negate:  # the commonest leaves: a property = a string
                value = pred.value
                kind = type(value)
                if kind is str:
                    operand = pred.operand
                    if type(operand) is Prop and operand.entity is _NEURON:
                        known = heads.get(operand.name)
                        if known is not None and known[1] not in names:
                            base = known[1]
                            names[base] = 1
                            if lead is joiner:  # (then nothing is held)
                                out += (known[0], _new_param(Param, (base, value)))
                            else:
                                out += (lead + known[2], _new_param(Param, (base, value)))
                                lead = joiner
                                held = False
                            continue
                elif kind is int and -EXACT_DOUBLE_INT <= value <= EXACT_DOUBLE_INT:
                    operand = pred.operand  # and a property compared with an int
                    if type(operand) is Prop and operand.entity is _NEURON:
                        known = nprops.get(operand.name)
                        if known is not None and known[1] not in names:
                            base = known[1]
                            names[base] = 1
                            head = lead + known[0] + _OP_TEXT[pred.op]
                            out += (head, _new_param(Param, (base, value)))
                            lead = joiner
                            held = False
                            continue
            elif cls is InRoi and not negate:  # a neuron ROI flag
                tail = tails.get(pred.roi)
                if tail is not None and pred.entity is _NEURON and rois is None:
                    # the parameter _leaf gives the flag (roi, roi_2, ...; see _roi_name)
                    count = names.get("roi")
                    if count is None:
                        names["roi"] = 1
                    else:
                        count = count + 1 if count else 2
                        roi_name = _ROI_NAMES[count] if count < 256 else f"roi_{count}"
                        if roi_name in names:
                            self.param("roi", None)
                        else:
                            names["roi"] = count
                            names[roi_name] = 0
                    lead += tail
                    held = True
                    continue
            neg = cls is Not
            if neg:
                pred = pred.item
                cls = type(pred)
            if negate:
                neg = not neg
            if cls is InRoi:
                if pred.entity is not _NEURON:
                    break
                if nvar is None:
                    nvar = bindings[_NEURON]  # raises KeyError
                roi = pred.roi
                flag = nflags.get(roi)
                if flag is None:
                    flag = _roi_flag(dialect, nvar, roi)
                    if flag is None:
                        break
                    if len(nflags) < 4096:
                        nflags[roi] = flag
                if roi not in tails and len(tails) < 4096:
                    tails[roi] = flag + joiner
                if rois is not None and roi not in rois:
                    raise UnknownROI(roi, sorted(rois))
                # the text reads the flag, but _leaf gives it a parameter (roi, roi_2, ...)
                # that later parameters count on; the name itself appears nowhere
                self._roi_name()
                lead += ("NOT coalesce(" + flag + ", false)" if neg else flag) + joiner
                held = True
                continue
            if cls not in _OPERAND_LEAVES:
                break
            operand = pred.operand
            if type(operand) is not Prop:
                break
            entity = operand.entity
            name = operand.name
            if entity is _NEURON:
                if nvar is None:
                    nvar = bindings[_NEURON]  # raises KeyError
                table = nprops
                var = nvar
            elif entity in _POINT_ENTITIES and name in _POINT_AXES:
                break
            else:
                var = bindings[entity]
                table = self._var_tables(var)[0]
            known = table.get(name)
            if known is None:
                prop = dialect.property(var, name)
                known = (prop, _PARAM_BASES.get(name) or _param_base(name), prop + " = ")
                if len(table) < 4096:
                    table[name] = known
            prop, base, equals = known
            if cls is Compare:
                value = pred.value
                kind = type(value)
                if kind is str:
                    head = equals
                    if table is nprops and name not in heads and len(heads) < 4096:
                        heads[name] = (joiner + equals, base, equals)
                elif kind is bool:
                    text = prop + (" = true" if value else " = false")
                    lead += ("NOT coalesce(" + text + ", false)" if neg else text) + joiner
                    held = True
                    continue
                elif (kind is int and -EXACT_DOUBLE_INT <= value <= EXACT_DOUBLE_INT) or (
                    kind is float and value != 0 and -_EXACT_FLOAT < value < _EXACT_FLOAT
                ):
                    head = prop + _OP_TEXT[pred.op]
                else:
                    break
            elif cls is Matches:
                value = _regex(dialect, pred.pattern, pred.ignore_case)
                head = prop + " =~ "
            elif cls is IsNull:
                lead += prop + (" IS NOT NULL" if neg else " IS NULL") + joiner
                held = True
                continue
            elif cls is StringTest:
                value = pred.value
                if not value:
                    break
                head = prop + _STRING_OP_TEXT[pred.op]
            else:  # IsIn
                values = pred.values
                if not values:
                    break
                first = type(values[0])
                if first is int:
                    if not all_plain_ints(values) or max(map(abs, values)) > EXACT_DOUBLE_INT:
                        break
                elif first is not str:
                    break
                value = list(values)
                head = prop + " IN "
            # self.param(name, value), its commonest case inline
            if base in names:
                param = self.param(name, value)
            else:
                names[base] = 1
                param = _new_param(Param, (base, value))
            if neg:
                out += (lead + "NOT coalesce(" + head, param)
                lead = ", false)" + joiner
                held = True
            else:
                out += (lead + head, param)
                lead = joiner
                held = False
        else:  # every item written
            i = n
        if held:
            out.append(lead[: len(lead) - len(joiner)])
        return i

    def _roi_name(self) -> None:
        """Give out the name of the next ``roi`` parameter as :meth:`param` would (for an
        ROI flag, whose text does not use it), its commonest cases inline."""
        names = self._param_names
        count = names.get("roi")
        if count is None:
            names["roi"] = 1
            return
        count = count + 1 if count else 2
        name = _ROI_NAMES[count] if count < len(_ROI_NAMES) else f"roi_{count}"
        if name in names:  # a name given before: param's search
            self.param("roi", None)
        else:
            names["roi"] = count
            names[name] = 0

    def _var_tables(self, var: str) -> _VarTables:
        """The dialect's tables for variable ``var`` (see :func:`_dialect_tables`), made
        when first needed."""
        props = self._props
        tables = props.get(var)
        if tables is None:
            tables = ({}, {}, {})
            if len(props) < 64:
                props[var] = tables
        return tables

    def _leaf(self, pred: Predicate, bindings: Bindings) -> list[Part]:
        """The test of a leaf (:data:`_LEAVES`, by its class)."""
        render = _LEAVES.get(type(pred))
        if render is None:
            raise TypeError(f"cannot compile {type(pred).__name__} to Cypher")
        return render(self, pred, bindings)

    def _in_roi(self, pred: InRoi, bindings: Bindings) -> list[Part]:
        self.check_roi(pred.roi)
        roi = self.param("roi", pred.roi)
        if pred.entity is Entity.NEURON:
            return self.dialect.roi_flag(bindings[pred.entity], roi)
        return self.dialect.point_roi_flag(bindings[pred.entity], roi)

    def _reads_roi_rows(self, operand: Operand) -> bool:
        """Whether ``operand`` is a connection's ROI weight kept as rows of their own."""
        return (
            isinstance(operand, RoiCount)
            and operand.entity is Entity.EDGE
            and not self.dialect.edge_roi_counts_inline
        )

    def _compare(self, pred: Compare, bindings: Bindings) -> list[Part]:
        exact = self._exact_numbers(pred)
        if exact is None:  # no number of the property's kind satisfies it
            return ["false"]
        pred = cast(Compare, exact)
        if self._reads_roi_rows(pred.operand):
            return self._edge_roi_rows_test(pred)
        operand = self.operand(pred.operand, bindings)
        if isinstance(pred.value, bool):  # true/false cannot carry anything: keep it readable
            return [*operand, f" {pred.op.value} {'true' if pred.value else 'false'}"]
        return [*operand, f" {pred.op.value} ", self._value(pred.operand, pred.value)]

    def _is_in(self, pred: IsIn, bindings: Bindings) -> list[Part]:
        if not pred.values:
            return ["false"]
        exact = self._exact_numbers(pred)
        if exact is None:  # no number of the property's kind satisfies it
            return ["false"]
        pred = cast(IsIn, exact)
        if self._reads_roi_rows(pred.operand):
            return self._edge_roi_rows_test(pred)
        operand = self.operand(pred.operand, bindings)
        ints = [v for v in pred.values if type(v) is int]
        if ints and len(ints) < len(pred.values):  # an engine would make them all doubles
            floats = [v for v in pred.values if type(v) is float]
            return [
                *["(", *operand, " IN ", self._value(pred.operand, ints)],
                *[" OR ", *operand, " IN ", self._value(pred.operand, floats), ")"],
            ]
        return [*operand, " IN ", self._value(pred.operand, list(pred.values))]

    def _matches(self, pred: Matches, bindings: Bindings) -> list[Part]:
        operand = self.operand(pred.operand, bindings)
        pattern = self.dialect.regex(pred.pattern, pred.ignore_case)
        return [*operand, " =~ ", self._value(pred.operand, pattern)]

    def _string_test(self, pred: StringTest, bindings: Bindings) -> list[Part]:
        operand = self.operand(pred.operand, bindings)
        if not pred.value:  # "" is in every string; Ladybug's CONTAINS '' matches nothing
            if self.schema is not None and self.dialect.strict_properties:
                return [*operand, " IS NOT NULL"]  # not folded: the column holds strings
            return [*operand, " STARTS WITH ", self._value(pred.operand, "")]
        return [*operand, f" {_STRING_OPS[pred.op]} ", self._value(pred.operand, pred.value)]

    def _contains_any(self, pred: ContainsAny, bindings: Bindings) -> list[Part]:
        if not pred.values:
            return ["false"]
        operand = self.operand(pred.operand, bindings)
        return self.dialect.contains_any(operand, self._value(pred.operand, list(pred.values)))

    def _is_null(self, pred: IsNull, bindings: Bindings) -> list[Part]:
        return [*self.operand(pred.operand, bindings), " IS NULL"]

    def _exact_numbers(self, pred: Compare | IsIn) -> Compare | IsIn | None:
        """``pred`` with its numbers rewritten so that every engine compares them exactly
        (:func:`~neuprint_dsl.cypher.literals.exact_number_comparison`); ``None``: false for
        every number of the property's kind."""
        if isinstance(pred, IsIn) and pred.values and all_plain_ints(pred.values):
            # body-id lists: plain ints stay as they are (exact_number_list's rule), no copy
            kind = self._number_kind(pred.operand)
            ints = cast("tuple[int, ...]", pred.values)
            if kind == "int" or max(map(abs, ints)) <= EXACT_DOUBLE_INT:
                return pred
        raw = [pred.value] if isinstance(pred, Compare) else list(pred.values)
        if not raw or value_kind(raw[0]) != "number":
            return pred
        values: list[int | float] = [v for v in raw if isinstance(v, (int, float))]
        kind = self._number_kind(pred.operand)
        engine = self.dialect.name
        if isinstance(pred, Compare):
            exact = exact_number_comparison(pred.op.value, values[0], kind, engine=engine)
            if exact is None:
                return None
            op, value = exact
            if op == pred.op.value and value is pred.value:
                return pred
            return Compare(pred.operand, CompareOp(op), value)
        kept = exact_number_list(values, kind, engine=engine)
        if not kept:
            return None
        if all(a is b for a, b in zip(kept, values, strict=False)) and len(kept) == len(values):
            return pred
        return IsIn(pred.operand, tuple(kept))

    def _number_kind(self, operand: Operand) -> str | None:
        """``"int"``, ``"float"`` or ``None`` (not known) for a numeric comparison: the
        schema's kind, else the declared field's kind."""
        if isinstance(operand, RoiCount):
            return "int"
        if operand.name in _POINT_AXES and operand.entity in (Entity.SYNAPSE, Entity.MITO):
            # Ladybug stores int coordinates; a Neo4j point's coordinates are floats
            return "int" if self.dialect.strict_properties else "float"
        if self.schema is not None:
            kind = self.schema_kind(operand)
            if kind in ("int", "float"):
                return kind
        return declared_number_kind(operand.entity, operand.name)

    def _edge_roi_rows_test(self, pred: Predicate) -> list[Part]:
        """A test on a connection's ROI weight, for engines that keep per-ROI weights as
        separate ``ConnectsToRoi`` rows: a missing row is a weight of 0."""
        assert isinstance(pred, (Compare, IsIn)) and isinstance(pred.operand, RoiCount)
        self.require_roi_weights("a connection's weight in an ROI")
        roi = self.param("roi", pred.operand.roi)
        if isinstance(pred, Compare):
            test: list[Part] = [f"r.weight {pred.op.value} ", self._value(pred.operand, pred.value)]
        else:
            test = ["r.weight IN ", self._value(pred.operand, list(pred.values))]
        pattern = self.dialect.edge_roi_rows("n", "m")
        if evaluate(pred, {}):  # true for a missing ROI: fail only on a row that fails
            return [
                "NOT EXISTS { MATCH ",
                pattern,
                " WHERE r.roi = ",
                roi,
                " AND NOT (",
                *test,
                ") }",
            ]
        return ["EXISTS { MATCH ", pattern, " WHERE r.roi = ", roi, " AND ", *test, " }"]

    def operand(self, operand: Operand, bindings: Bindings) -> list[Part]:
        """The value of a field or ROI count of the variable ``bindings`` gives its record
        kind (an ROI name travels as a parameter).

        Example:
            >>> from neuprint_dsl import N
            >>> from neuprint_dsl.cypher.dialects import get_dialect
            >>> ConditionWriter(get_dialect("neo4j")).operand(N.pre.operand, {Entity.NEURON: "m"})
            ['m.pre']
        """
        var = bindings[operand.entity]
        if isinstance(operand, Prop):
            if operand.name in _POINT_AXES and operand.entity in (Entity.SYNAPSE, Entity.MITO):
                return [self.dialect.coordinate(var, operand.name)]
            return [property_text(self.dialect, var, operand.name)]
        # the ROI name is a value here (a map key), so it travels as a parameter
        before, after = self.dialect.roi_count(var, operand.side)
        return [before, self.param("roi", operand.roi), after]

    def _value(self, operand: Operand, value: Any) -> Param:
        hint = operand.name if isinstance(operand, Prop) else f"{operand.side}_count"
        return self.param(hint, value)

    def _fold(self, pred: Predicate) -> bool | None:
        """The constant value of a leaf that the schema decides, else ``None`` (strict
        engines only). :func:`to_cypher` validates first, so a property no record has or a
        value of a definite wrong kind never gets here from it; what is folded is a leaf
        Ladybug would reject on a json/point/other column (false on every record)."""
        if self.schema is None or not self.dialect.strict_properties:
            return None
        operand = getattr(pred, "operand", None)
        if not isinstance(operand, Prop):
            return None
        if operand.name in _POINT_AXES and operand.entity in (Entity.SYNAPSE, Entity.MITO):
            kind: str | None = "int"  # the location: always there, whatever the schema lists
        else:
            kind = self.schema_kind(operand)
        if kind == UNKNOWN:
            return None
        if kind is None:  # no record has it: null everywhere
            return type(pred) is IsNull
        accepted = _ACCEPTED_KINDS.get(type(pred))
        kinds = accepted(pred) if accepted is not None else None
        if kinds is None:  # any kind may hold it
            return None
        return None if kind in kinds else False

    def schema_kind(self, prop: Prop) -> str | None:
        """The schema's kind of ``prop`` (there must be a schema); ``None``: no record has
        it."""
        assert self.schema is not None
        return _SCHEMA_KINDS[prop.entity](self.schema, prop.name)

    def check_roi(self, roi: str) -> None:
        """Refuse an ROI the schema does not list (:class:`~neuprint_dsl.errors.UnknownROI`)."""
        rois = self.schema.rois if self.schema is not None else None
        if rois is not None and roi not in rois:
            raise UnknownROI(roi, sorted(rois))

    def read(self, var: str, name: str, entity: Entity = Entity.NEURON) -> str:
        """A property of ``var`` for RETURN/ORDER BY (``NULL`` where a strict engine lacks
        it)."""
        strict = self.schema is not None and self.dialect.strict_properties
        if strict and self.schema_kind(Prop(entity, name)) is None:
            return "NULL"
        return property_text(self.dialect, var, name)

    def finish(self, columns: tuple[str, ...]) -> CypherStatement:
        """The statement of the lines written so far, returning ``columns``."""
        return make_statement(tuple(self.parts), self.dialect.name, columns, self.render_literal)


#: leaf classes :meth:`ConditionWriter._leaf_run` renders (when it can)
_OPERAND_LEAVES = frozenset({Compare, Matches, IsNull, StringTest, IsIn})


#: what :meth:`ConditionWriter._predicate` first offers to ``_leaf_run``: those leaves, negated or not
_FAST_ITEMS = _OPERAND_LEAVES | {InRoi, Not}


_LIST_KIND = frozenset({"list"})


_Render = Callable[[ConditionWriter, Any, Bindings], Rendered]


_Leaf = Callable[[ConditionWriter, Any, Bindings], list[Part]]


#: The test of each kind of leaf.
_LEAVES: dict[type[Predicate], _Leaf] = {
    InRoi: ConditionWriter._in_roi,
    Compare: ConditionWriter._compare,
    IsIn: ConditionWriter._is_in,
    Matches: ConditionWriter._matches,
    StringTest: ConditionWriter._string_test,
    ContainsAny: ConditionWriter._contains_any,
    IsNull: ConditionWriter._is_null,
}


#: How each kind of predicate (in negation normal form) is rendered.
_RENDER: dict[type[Predicate], _Render] = {
    And: ConditionWriter._junction,
    Or: ConditionWriter._junction,
    Not: ConditionWriter._negation,
    Const: ConditionWriter._constant,
    **dict.fromkeys(_LEAVES, ConditionWriter._atom),
}


#: The property kinds a leaf can be true on (``None``: any); a schema folds the others.
_ACCEPTED_KINDS: dict[type[Predicate], Callable[[Any], frozenset[str] | None]] = {
    Matches: lambda pred: _KIND_OK["str"],
    StringTest: lambda pred: _KIND_OK["str"],
    ContainsAny: lambda pred: _LIST_KIND,
    Compare: lambda pred: _KIND_OK[value_kind(pred.value)],
    IsIn: lambda pred: _KIND_OK[value_kind(pred.values[0])] if pred.values else None,
}


#: The schema's kind of a property, by the kind of record.
_SCHEMA_KINDS: dict[Entity, Callable[[GraphSchema, str], str | None]] = {
    Entity.NEURON: GraphSchema.node_kind,
    Entity.EDGE: GraphSchema.edge_kind,
    Entity.SYNAPSE: GraphSchema.synapse_kind,
    Entity.MITO: GraphSchema.mito_kind,
}
