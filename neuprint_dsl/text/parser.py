"""Text to AST: :func:`parse` runs lark (see :mod:`.grammar`) and builds the AST from its
tree through the typed fields of the fluent API, so text and Python refuse the same
comparisons with the same words, and report every problem at the offending token.

Example:
    >>> from neuprint_dsl import N
    >>> parse('type =~ "MBON.*" and not cropped') == N.type.matches("MBON.*") & ~N.cropped
    True
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

from ..errors import (
    InvalidArgument,
    InvalidPattern,
    InvalidPatternInQuery,
    NeuprintDSLError,
    QuerySyntaxError,
    QueryTypeError,
    TypeErrorInQuery,
    UnknownField,
)
from ..expr import (
    FALSE,
    MAX_NESTING,
    TRUE,
    Compare,
    CompareOp,
    Entity,
    InRoi,
    Not,
    Predicate,
    Prop,
    RoiCount,
    StringOp,
    and_,
    not_,
    operand_name,
    or_,
)
from ..fields import NAMESPACES, AnyField, BoolField, CountField, Field
from ..query import (
    AGGREGATE_FUNCTIONS,
    AST,
    COUNT,
    Aggregate,
    Connections,
    Label,
    Mitochondria,
    Neurons,
    OrderKey,
    SynapseConnections,
    Synapses,
    column_name,
)
from ..values import INT64_MAX, INT64_MIN, Value, with_article
from .grammar import end_position, parse_tree
from .lexicon import FUNCTIONS, name_text, operand_text

if TYPE_CHECKING:
    from lark import Token, Tree

__all__ = ["Context", "parse"]

Context: TypeAlias = Literal["neuron", "edge", "synapse", "mitochondrion"]
Node: TypeAlias = "Tree[Token] | Token"

_HEX = re.compile(r"[0-9a-fA-F]+")
_CONTEXTS = {
    "neuron": Entity.NEURON,
    "edge": Entity.EDGE,
    "synapse": Entity.SYNAPSE,
    "mitochondrion": Entity.MITO,
}
_SPACE = " \t\f\r\n"  # the grammar's whitespace


def parse(text: str, *, context: Context = "neuron") -> AST:
    """Parse query text: a statement if it starts with ``neurons``, ``segments``,
    ``connections``, ``synapses``, ``synapse connections`` or ``mitochondria``, else a
    predicate on ``context`` records (``"neuron"``, ``"edge"``, ``"synapse"`` or
    ``"mitochondrion"``).

    Raises :class:`QuerySyntaxError` (a ``ValueError``) for any problem in the text, with
    the line, the column and a caret; a comparison the field's type does not allow raises
    :class:`~neuprint_dsl.errors.TypeErrorInQuery` (also a ``QueryTypeError``), exactly as
    the same comparison in Python would; and / or / not nested more than ``MAX_NESTING``
    (64) levels deep is refused. Lines end at ``\\n`` only (a ``\\r`` before it is a space).

    Example:
        >>> from neuprint_dsl import N, E
        >>> parse('status = "Traced" and pre >= 100') == ((N.status == "Traced") & (N.pre >= 100))
        True
        >>> parse("weight >= 5", context="edge") == (E.weight >= 5)
        True
        >>> print(parse("NEURONS WHERE type IS NULL LIMIT 3"))
        neurons where type is null limit 3
    """
    if not isinstance(text, str):
        raise InvalidArgument(f"parse() takes query text (a str), not {type(text).__name__}")
    entity = _CONTEXTS.get(context)
    if entity is None:
        raise InvalidArgument(
            f"context must be one of {', '.join(map(repr, _CONTEXTS))}, not {context!r}"
        )
    if not text.strip(_SPACE):
        raise QuerySyntaxError("empty query", text, *end_position(text), ("a query",))
    tree = parse_tree(text)
    try:
        return Builder(text).root(tree, entity)
    except RecursionError:  # not expected: the builder recurses once per level of nesting
        raise QuerySyntaxError("the query is nested too deeply", text, 1, 1) from None
    except QuerySyntaxError:
        raise
    except NeuprintDSLError as err:  # not expected: the builder checks what it builds
        raise QuerySyntaxError(str(err), text, 1, 1) from None


# ---------------------------------------------------------------------------------------
# tree -> AST

_COMPARE_OPS: dict[str, tuple[CompareOp, bool]] = {  # terminal -> (operator, negated)
    "EQ": (CompareOp.EQ, False),
    "EQEQ": (CompareOp.EQ, False),
    "NE": (CompareOp.EQ, True),
    "LTGT": (CompareOp.EQ, True),
    "LT": (CompareOp.LT, False),
    "LE": (CompareOp.LE, False),
    "GT": (CompareOp.GT, False),
    "GE": (CompareOp.GE, False),
}
_STRING_OPS = {
    "STARTSWITH": StringOp.STARTS_WITH,
    "ENDSWITH": StringOp.ENDS_WITH,
    "CONTAINS": StringOp.CONTAINS,
}
_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_RECORDS = {
    Entity.NEURON: "neurons",
    Entity.EDGE: "connections",
    Entity.SYNAPSE: "synapses",
    Entity.MITO: "mitochondria",
}


class Builder:
    """Builds the AST from a lark tree; reports problems at the offending token.

    Children of a tree are tokens (``str`` subclasses), subtrees, or ``None`` for an absent
    optional part; leaf handlers get them as ``list[Any]`` and unpack them by position.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, reason: str, token: Token, offset: int = 0) -> QuerySyntaxError:
        """An error at ``offset`` characters into ``token`` (which may span lines)."""
        line, column = token.line or 1, (token.column or 1) + offset
        breaks = token.count("\n", 0, offset)
        if breaks:
            line += breaks
            column = offset - token.rfind("\n", 0, offset)
        return QuerySyntaxError(reason, self.text, line, column)

    # statements ----------------------------------------------------------------------

    def root(self, tree: Tree[Token], entity: Entity) -> AST:
        build = _STATEMENTS.get(tree.data)
        if build is None:
            return self.pred(tree, entity)
        return build(self, *tree.children)  # type: ignore[no-any-return]

    def neurons(
        self,
        label: Token,
        where: Node | None,
        group: Tree[Token] | None,
        columns: Tree[Token] | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Neurons:
        pred = self.opt_pred(where, Entity.NEURON)
        kind: Label = "Segment" if label.type == "SEGMENTS" else "Neuron"
        keys = self.group_keys(group)
        names: tuple[str | RoiCount, ...] | None = None
        aggregates: tuple[Aggregate, ...] = ()
        if columns is not None:
            if keys:
                aggregates = self.aggregates(columns)
            else:
                names = self.columns(columns)
        return self.build(  # type: ignore[no-any-return]
            Neurons,
            label,
            order,
            pred,
            kind,
            names,
            self.order_keys(order, Entity.NEURON if not keys else None),
            self.opt_limit(limit),
            keys,
            aggregates,
        )

    def build(self, cls: Any, keyword: Token, order: Tree[Token] | None, *args: Any) -> Any:
        """``cls(*args)``; an order by key that is not a result column is reported at it."""
        try:
            return cls(*args)
        except UnknownField as err:
            if order is not None:
                for key in order.children:
                    node = cast("Tree[Token]", key).children[0]
                    if node is not None and self.key_text(node) == err.name:
                        raise self.error(str(err), _first_token(node)) from None
            raise self.error(str(err), keyword) from None
        except (
            TypeError,
            ValueError,
        ) as err:  # not expected: the checks above come first
            raise self.error(str(err), keyword) from None

    def key_text(self, node: Node) -> str:
        """The column name an order by key names."""
        if isinstance(node, str):
            return self.name(node)
        name, roi = cast("list[Token]", node.children)
        return f"{name}({self.string(roi)})"

    def group_keys(self, node: Tree[Token] | None) -> tuple[str, ...]:
        if node is None:
            return ()
        return self.distinct_names(node.children, "group by key")

    def columns(self, node: Tree[Token]) -> tuple[str | RoiCount, ...]:
        """The ``return`` list of neurons without ``group by``: properties and ROI counts."""
        out: list[str | RoiCount] = []
        seen: set[str] = set()
        for child in node.children:
            if not isinstance(child, str) and child.data == "aggregate":
                raise self.error(
                    f"{child.children[0]}(...) is an aggregate: it needs 'group by' before "
                    "'return'",
                    _first_token(child),
                )
            column = self.column_operand(child)
            name = column_name(column)
            if name in seen:
                raise self.error(f"column {name!r} is listed twice", _first_token(child))
            seen.add(name)
            out.append(column)
        return tuple(out)

    def column_operand(self, node: Node) -> str | RoiCount:
        operand = self.operand(node, Entity.NEURON)
        if isinstance(operand, InRoi):
            raise self.error(
                f"{self.call_text(node)} is a condition, not a column; inputs() and outputs() "
                "give synapse counts",
                _first_token(node),
            )
        if isinstance(operand, Prop):
            if not operand.name:
                raise self.error("column names must not be empty", _first_token(node))
            return operand.name
        return operand

    def aggregates(self, node: Tree[Token]) -> tuple[Aggregate, ...]:
        """The ``return`` list after ``group by``: ``count``, ``sum(f)``, ``mean(f)``, ..."""
        out: list[Aggregate] = []
        for child in node.children:
            token = _first_token(child)
            if isinstance(child, str) and self.name(child) == "count" and child.type == "IDENT":
                aggregate = COUNT
            elif isinstance(child, str) or child.data != "aggregate":
                raise self.error(
                    "after 'group by', return lists aggregates: count, "
                    + ", ".join(f"{f}(field)" for f in AGGREGATE_FUNCTIONS[1:])
                    + " (the group keys come first anyway)",
                    token,
                )
            else:
                function, argument = child.children
                if function == "count":
                    raise self.error(
                        "count counts the neurons of each group: write count, without a field",
                        token,
                    )
                if function not in AGGREGATE_FUNCTIONS:
                    close = [_AGGREGATE_SYNONYMS.get(str(function).lower(), "")]
                    close = [c for c in close if c] or difflib.get_close_matches(
                        str(function), AGGREGATE_FUNCTIONS[1:], 1
                    )
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise self.error(
                        f"unknown aggregate {str(function)!r} (use count, "
                        + ", ".join(AGGREGATE_FUNCTIONS[1:])
                        + f"){hint}",
                        token,
                    )
                try:
                    aggregate = Aggregate(str(function), self.column_operand(argument))
                except QueryTypeError as err:
                    raise TypeErrorInQuery(
                        str(err), self.text, token.line or 1, token.column or 1
                    ) from None
            if aggregate.name in (a.name for a in out):
                raise self.error(f"{aggregate.name} is listed twice", token)
            out.append(aggregate)
        return tuple(out)

    def order_keys(self, node: Tree[Token] | None, entity: Entity | None) -> tuple[OrderKey, ...]:
        """``order by`` keys: neuron properties and ROI counts (``entity``), or result
        column names (``None``)."""
        keys: list[OrderKey] = []
        for key in node.children if node is not None else ():
            target, direction = cast("list[Any]", cast("Tree[Token]", key).children)
            if entity is None:
                if not isinstance(target, str):
                    raise self.error(
                        "order by names a result column here, not a function",
                        _first_token(target),
                    )
                field: str | RoiCount = self.name(cast("Token", target))
            else:
                field = self.column_operand(target)
            keys.append(OrderKey(field, direction is not None and direction.type == "DESC"))
        return tuple(keys)

    def opt_limit(self, token: Token | None) -> int | None:
        return None if token is None else self.limit(token)

    def owner(self, node: Tree[Token] | None) -> tuple[Predicate, Label]:
        """The bodies of ``synapses of ...`` / ``mitochondria of ...``: predicate and label."""
        if node is None:
            return TRUE, "Neuron"
        children: list[Any] = node.children
        if node.data == "labelled_owner":
            return self.opt_pred(children[1], Entity.NEURON), _label_of(children[0])
        return self.pred(children[0], Entity.NEURON), "Neuron"

    def synapses(
        self,
        keyword: Token,
        owner: Tree[Token] | None,
        where: Node | None,
        all_rois: Token | None,
        closest: Token | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Synapses:
        bodies, label = self.owner(owner)
        pred = self.opt_pred(where, Entity.SYNAPSE)
        return self.build(  # type: ignore[no-any-return]
            Synapses,
            keyword,
            order,
            bodies,
            pred,
            all_rois is None,
            label,
            closest is not None,
            self.order_keys(order, None),
            self.opt_limit(limit),
        )

    def mitochondria(
        self,
        keyword: Token,
        owner: Tree[Token] | None,
        where: Node | None,
        all_rois: Token | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Mitochondria:
        bodies, label = self.owner(owner)
        return self.build(  # type: ignore[no-any-return]
            Mitochondria,
            keyword,
            order,
            bodies,
            self.opt_pred(where, Entity.MITO),
            all_rois is None,
            label,
            self.order_keys(order, None),
            self.opt_limit(limit),
        )

    def synapse_connections(
        self,
        keyword: Token,
        labels: Tree[Token] | None,
        upstream: Node | None,
        downstream: Node | None,
        where: Node | None,
        in_rois: Token | None,
        rois: Tree[Token] | None,
        min_weight: Token | None,
        weight: Token | None,
        all_rois: Token | None,
        closest: Token | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> SynapseConnections:
        roi_names = self.roi_list(in_rois, rois)
        pre_label, post_label = self.labels(labels)
        threshold = 1
        if min_weight is not None and weight is not None:
            if not weight.isdigit():
                raise self.error("min weight takes a non-negative whole number", weight)
            threshold = self.limit(weight)
        return self.build(  # type: ignore[no-any-return]
            SynapseConnections,
            keyword,
            order,
            self.opt_pred(upstream, Entity.NEURON),
            self.opt_pred(downstream, Entity.NEURON),
            self.opt_pred(where, Entity.SYNAPSE),
            roi_names,
            threshold,
            all_rois is None,
            pre_label,
            post_label,
            closest is not None,
            self.order_keys(order, None),
            self.opt_limit(limit),
        )

    def roi_list(self, in_rois: Token | None, rois: Tree[Token] | None) -> tuple[str, ...] | None:
        """The names of an ``in rois [...]`` clause (None when absent)."""
        if in_rois is None or rois is None:
            return None
        lsqb, *items = cast("list[Token]", rois.children)
        if not items:
            raise self.error("'in rois' needs at least one ROI name", lsqb)
        for item in items:
            if item.type != "STRING":
                raise self.error("an ROI name is a string", item)
        return self.distinct_names(items, "ROI")

    def labels(self, labels: Tree[Token] | None) -> tuple[Label, Label]:
        """The (upstream, downstream) labels of an ``of ...`` clause of connections."""
        if labels is None:
            return "Neuron", "Neuron"
        (token,) = cast("list[Token]", labels.children)
        if token.type == "LABEL_PAIR":
            first, _, second = str(token).lower().split()
            return (
                "Segment" if first == "segments" else "Neuron",
                "Segment" if second == "segments" else "Neuron",
            )
        label = _label_of(token)
        return label, label

    def connections(
        self,
        keyword: Token,
        labels: Tree[Token] | None,
        upstream: Node | None,
        downstream: Node | None,
        where: Node | None,
        in_rois: Token | None,
        rois: Tree[Token] | None,
        per_roi: Token | None,
        group: Tree[Token] | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Connections:
        roi_names = self.roi_list(in_rois, rois)
        up = self.opt_pred(upstream, Entity.NEURON)
        down = self.opt_pred(downstream, Entity.NEURON)
        edge = self.opt_pred(where, Entity.EDGE)
        pre_label, post_label = self.labels(labels)
        return self.build(  # type: ignore[no-any-return]
            Connections,
            keyword,
            order,
            up,
            down,
            edge,
            roi_names,
            per_roi is not None,
            pre_label,
            post_label,
            self.order_keys(order, None),
            self.opt_limit(limit),
            self.group_keys(group),
        )

    def opt_pred(self, node: Node | None, entity: Entity) -> Predicate:
        return TRUE if node is None else self.pred(node, entity)

    def distinct_names(self, tokens: Sequence[Node], what: str) -> tuple[str, ...]:
        names: list[str] = []
        for token in cast("Sequence[Token]", tokens):
            name = self.string(token) if token.type == "STRING" else self.name(token)
            if not name:
                raise self.error(f"{what} names must not be empty", token)
            if name in names:
                raise self.error(f"{what} {name!r} is listed twice", token)
            names.append(name)
        return tuple(names)

    def limit(self, token: Token) -> int:
        if not token.isdigit():
            raise self.error("limit takes a non-negative whole number", token)
        try:
            return int(token)
        except ValueError:  # more digits than Python converts
            raise self.error("limit is too large", token) from None

    # predicates ----------------------------------------------------------------------

    def pred(self, node: Node, entity: Entity, depth: int = 0) -> Predicate:
        """The predicate of ``node``, which sits inside ``depth`` levels of and / or / not.

        A level is what the AST nests (see :func:`~neuprint_dsl.expr.nesting_depth`): a run
        of ``and`` (``a and (b and c)``) is one level, ``not not`` none, and a leaf that is a
        negation (``!=``, ``not in``, ``is not null``) one. The builder recurses only when the
        level grows, so MAX_NESTING bounds its recursion too.
        """
        assert not isinstance(node, str)  # a predicate is always a subtree
        kind = node.data
        children: list[Any] = node.children
        if kind in ("and_expr", "or_expr"):
            level = self.nested(node, depth)
            items: list[Predicate] = []
            pending = children[::-1]
            while pending:  # iterative: a run of one connective is one level
                child = pending.pop()
                if not isinstance(child, str) and child.data == kind:
                    pending.extend(child.children[::-1])
                else:
                    items.append(self.pred(child, entity, level))
            return and_(*items) if kind == "and_expr" else or_(*items)
        if kind == "negation":
            negate = True
            inner: Node = children[0]
            while not isinstance(inner, str) and inner.data == "negation":
                negate = not negate  # iterative: long 'not not ...' chains are fine
                inner = inner.children[0]
            if not negate:
                return self.pred(inner, entity, depth)
            return not_(self.pred(inner, entity, self.nested(node, depth)))
        if kind == "true":
            return TRUE
        if kind == "false":
            return FALSE
        if kind == "bare":
            pred = self.bare(children[0], entity)
        else:
            pred = _LEAVES[kind](self, children, entity)
        if isinstance(pred, Not):
            self.nested(node, depth)
        return pred

    def nested(self, node: Tree[Token], depth: int) -> int:
        """The level of a connective inside ``depth`` levels; refuses one past the limit."""
        if depth < MAX_NESTING:
            return depth + 1
        offset = _first_token(node).start_pos or 0
        if node.data == "negation":  # the tree drops `not`: find it before the operand
            before = self.text[:offset].rstrip(_SPACE + "(")
            if before[-3:].lower() == "not":
                offset = len(before) - 3
        line = self.text.count("\n", 0, offset) + 1
        raise QuerySyntaxError(
            f"and / or / not nested more than {MAX_NESTING} levels deep (the limit); join "
            "conditions flat (a or b or c) instead of nesting them",
            self.text,
            line,
            offset - self.text.rfind("\n", 0, offset),
        )

    def bare(self, node: Node, entity: Entity) -> Predicate:
        operand = self.operand(node, entity)
        if isinstance(operand, RoiCount):
            call = self.call_text(node)
            raise self.type_error(
                f"{call} is a synapse count, not a condition; compare it, e.g. {call} > 0",
                node,
            )
        if isinstance(operand, InRoi):
            return operand
        field = _typed_field(operand)
        if isinstance(field, (BoolField, AnyField)):
            return Compare(operand, CompareOp.EQ, True)  # N.cropped, N["x"] == True
        name = name_text(operand.name)
        raise self.type_error(
            f"{name} is {with_article(field.type_name)} field, not a condition (only bool fields stand "
            f"alone); compare it, e.g. {name} is not null",
            node,
        )

    def typed(self, node: Node, operand: Prop | RoiCount, op: str, method: str, *args: Any) -> Any:
        """Build a leaf the way the Python API does (``N.type > 3``, ``N.pre.matches(...)``),
        so that text and Python refuse the same operator / value combinations with the same
        words; ``op`` is the operator as written in text."""
        field = _typed_field(operand)
        try:
            return getattr(field, method)(*args)
        except InvalidPattern:
            raise
        except (TypeError, AttributeError) as err:  # QueryTypeError; a missing method
            raise self.type_error(_text_message(str(err), operand, method, op), node) from None
        except NeuprintDSLError as err:  # not expected: the text's values are checked
            raise self.error(str(err), _first_token(node)) from None

    def type_error(self, reason: str, node: Node) -> TypeErrorInQuery:
        """A type error under the comparison that starts at ``node`` (its operand)."""
        token = _first_token(node)
        return TypeErrorInQuery(reason, self.text, token.line or 1, token.column or 1)

    def compare(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        op_token: Token = children[1]
        value_token: Token = children[2]
        operand = self.value_operand(node, entity, op_token)
        value = self.value(value_token)
        op, negated = _COMPARE_OPS[op_token.type]
        method = "__ne__" if negated else _COMPARE_METHODS[op]
        pred: Predicate = self.typed(node, operand, str(op_token), method, value)
        return pred

    def isin(self, children: list[Any], entity: Entity, negated: bool = False) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "not in" if negated else "in")
        values = self.values(children[1])
        pred: Predicate = self.typed(node, operand, "not in" if negated else "in", "isin", values)
        return not_(pred) if negated else pred

    def not_in(self, children: list[Any], entity: Entity) -> Predicate:
        return self.isin(children, entity, negated=True)

    def matches(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        pattern_token: Token = children[2]
        operand = self.value_operand(node, entity, "=~")
        pattern = self.string(pattern_token)
        ignore_case = children[3] is not None
        try:
            pred: Predicate = self.typed(node, operand, "=~", "matches", pattern, ignore_case)
        except InvalidPattern as err:
            line, column = pattern_token.line or 1, pattern_token.column or 1
            raise _pattern_error(err, self.text, line, column) from None
        return pred

    def string_test(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        op = _STRING_OPS[children[1].type]
        operand = self.value_operand(node, entity, op.value)
        # the operator's text is the method's name: startswith, endswith, contains
        pred: Predicate = self.typed(node, operand, op.value, op.value, self.string(children[2]))
        return pred

    def contains_any(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "contains any")
        values = self.values(children[2])
        pred: Predicate = self.typed(node, operand, "contains any", "contains_any", values)
        return pred

    def is_null(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "is null")
        pred: Predicate = self.typed(node, operand, "is null", "is_null")
        return pred

    def not_null(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "is not null")
        pred: Predicate = self.typed(node, operand, "is not null", "not_null")
        return pred

    # operands ------------------------------------------------------------------------

    def operand(self, node: Node, entity: Entity) -> Prop | RoiCount | InRoi:
        if isinstance(node, str):
            return Prop(entity, self.name(node))
        name_token, roi_token = cast("list[Token]", node.children)
        functions = FUNCTIONS[entity]
        if name_token not in functions:
            raise self.error(self.unknown_function(str(name_token), entity), name_token)
        roi = self.string(roi_token)
        if not roi:
            raise self.error("an ROI name must not be empty", roi_token)
        side = functions[name_token]
        return InRoi(entity, roi) if side is None else RoiCount(entity, roi, side)

    def value_operand(self, node: Node, entity: Entity, op: str) -> Prop | RoiCount:
        operand = self.operand(node, entity)
        if isinstance(operand, InRoi):
            raise self.type_error(
                f"{self.call_text(node)} is a condition, not a value: use it alone (not with "
                f"'{op}'); inputs() and outputs() give synapse counts",
                node,
            )
        return operand

    @staticmethod
    def unknown_function(name: str, entity: Entity) -> str:
        known = list(FUNCTIONS[entity])
        for other, functions in FUNCTIONS.items():
            if other is not entity and name in functions:
                return (
                    f"{name}() is a function of {_RECORDS[other]}, not of {_RECORDS[entity]}; "
                    f"here you can use {', '.join(f'{k}()' for k in known)}"
                )
        lowered = {k.lower(): k for k in known}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
        if close:
            return f"unknown function {name!r}; did you mean {lowered[close[0]]!r}?"
        return f"unknown function {name!r}; the functions of {_RECORDS[entity]} are " + ", ".join(
            known
        )

    @staticmethod
    def call_text(node: Node) -> str:
        assert not isinstance(node, str)
        name, roi = node.children
        return f"{name}({roi})"

    # tokens --------------------------------------------------------------------------

    def name(self, token: Token) -> str:
        if token.type == "QIDENT":
            self.check_unicode(token, token, 0)
            return token[1:-1].replace("``", "`")
        return str(token)

    def check_unicode(self, text: str, token: Token, offset: int) -> None:
        """Refuse a lone surrogate in ``text`` (a token's text from ``offset``)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise self.error(
                f"{text[err.start]!r} is a lone UTF-16 surrogate, which no query may hold",
                token,
                offset + err.start,
            ) from None

    def values(self, node: Tree[Token]) -> tuple[Value, ...]:
        _, *tokens = cast("list[Token]", node.children)
        # the field checks the kinds (a mixed list is refused there, as in Python)
        return tuple(self.value(token) for token in tokens)

    def value(self, token: Token) -> Value:
        kind = token.type
        if kind == "STRING":
            return self.string(token)
        if kind == "NUMBER":
            return self.number(token)
        return kind == "TRUE"

    def number(self, token: Token) -> int | float:
        text = str(token)
        if "." in text or "e" in text or "E" in text:
            number = float(text)
            if math.isinf(number):
                raise self.error("number too large (beyond the float range)", token)
            return number
        digits = len(text) - text.startswith("-")
        if digits > 19 or not INT64_MIN <= int(text) <= INT64_MAX:
            raise self.error(
                "integer outside the 64-bit range (write a float such as 1e20 instead)",
                token,
            )
        return int(text)

    def string(self, token: Token) -> str:
        body = str(token[1:-1])
        self.check_unicode(body, token, 1)
        if "\\" not in body:
            return body
        parts: list[str] = []
        start = 0
        while (slash := body.find("\\", start)) >= 0:
            parts.append(body[start:slash])
            code = body[slash + 1]  # the lexer never ends a string on a backslash
            if code in _ESCAPES:
                parts.append(_ESCAPES[code])
                start = slash + 2
                continue
            width = {"u": 4, "U": 8}.get(code, 0)
            digits = body[slash + 2 : slash + 2 + width]
            if not width:
                reason = (
                    f"unknown escape \\{code} (use \\\\ \\\" \\' \\n \\r \\t \\b \\f \\/ "
                    "\\uXXXX or \\UXXXXXXXX)"
                )
            elif len(digits) < width or not _HEX.fullmatch(digits):
                reason = f"\\{code} needs exactly {width} hex digits"
            elif int(digits, 16) > 0x10FFFF:
                reason = f"\\U{digits} is beyond U+10FFFF"
            elif 0xD800 <= int(digits, 16) <= 0xDFFF:
                # UTF-16 halves: a pair \uD83D\uDE00 is one character (as in JSON)
                low = body[slash + 2 + width : slash + 2 + 2 * width + 2]
                if (
                    code == "u"
                    and int(digits, 16) <= 0xDBFF
                    and low[:2] == "\\u"
                    and _HEX.fullmatch(low[2:])
                    and 0xDC00 <= int(low[2:], 16) <= 0xDFFF
                ):
                    pair = (int(digits, 16) - 0xD800) * 0x400 + int(low[2:], 16) - 0xDC00
                    parts.append(chr(0x10000 + pair))
                    start = slash + 4 + 2 * width
                    continue
                reason = (
                    f"\\{code}{digits} is a lone UTF-16 surrogate, which no query may hold "
                    "(write the character itself, \\UXXXXXXXX, or a \\uD800-\\uDBFF, "
                    "\\uDC00-\\uDFFF pair)"
                )
            else:
                parts.append(chr(int(digits, 16)))
                start = slash + 2 + width
                continue
            raise self.error(reason, token, 1 + slash)
        parts.append(body[start:])
        return "".join(parts)


def _first_token(node: Node) -> Token:
    """The token an operand starts with: its name, or the function name of a call."""
    while not isinstance(node, str):
        node = node.children[0]
    return node


#: what other languages call the aggregates (Cypher's avg is mean here)
_AGGREGATE_SYNONYMS = {
    "avg": "mean",
    "average": "mean",
    "total": "sum",
    "minimum": "min",
}
_AGGREGATE_SYNONYMS["maximum"] = "max"

#: the builder of each statement rule of the grammar
_STATEMENTS: dict[str, Callable[..., Any]] = {
    "neurons": Builder.neurons,
    "connections": Builder.connections,
    "synapses": Builder.synapses,
    "synapse_connections": Builder.synapse_connections,
    "mitochondria": Builder.mitochondria,
}
#: the builder of each leaf rule of the grammar
_LEAVES = {
    "compare": Builder.compare,
    "isin": Builder.isin,
    "not_in": Builder.not_in,
    "matches": Builder.matches,
    "string_test": Builder.string_test,
    "contains_any": Builder.contains_any,
    "is_null": Builder.is_null,
    "not_null": Builder.not_null,
}


def _pattern_error(inner: InvalidPattern, text: str, line: int, column: int) -> QuerySyntaxError:
    return InvalidPatternInQuery(inner, text, line, column)


_COMPARE_METHODS = {
    CompareOp.EQ: "__eq__",
    CompareOp.LT: "__lt__",
    CompareOp.LE: "__le__",
    CompareOp.GT: "__gt__",
    CompareOp.GE: "__ge__",
}


@functools.cache
def _declared(entity: Entity) -> dict[str, type[Field]]:
    return type(NAMESPACES[entity]).declared()


def _typed_field(operand: Prop | RoiCount) -> Field:
    """The Python field for an operand: ``N.type`` for a declared name, ``N["x"]`` else."""
    if isinstance(operand, RoiCount):
        return CountField(operand)
    return _declared(operand.entity).get(operand.name, AnyField)(operand)


def _text_message(message: str, operand: Prop | RoiCount, method: str, op: str) -> str:
    """A Python API message, reworded for text: the operand and the operator as written."""
    python = operand_name(operand)
    if message.startswith(python):
        message = operand_text(operand) + message[len(python) :]
    return message.replace(f"has no method {method!r}", f"has no operator '{op}'")


def _label_of(token: Token) -> Label:
    return "Segment" if token.type == "SEGMENTS" else "Neuron"
