"""AST nodes of predicates and the operator algebra (DESIGN sections 3-4).

Every node is a frozen, slotted attrs class: hashable, structurally comparable, picklable.
Predicates combine with ``&``, ``|`` and ``~``; the combinators flatten (``And((a, b, c))``),
fold constants (``p & TRUE -> p``) and cancel double negation, and the node validators keep
every constructible tree in that folded form, so that printing and re-parsing any tree gives
the same tree back.

``bool(predicate)`` raises ``TypeError``: ``a and b`` or ``if N.pre > 3:`` would otherwise
silently drop half of a query.

The convenience methods ``to_text()``, ``str()``, ``repr()``, ``to_cypher()`` and
``evaluate()`` (here, and on the statements of ``query``) call the text printer, the Cypher
compiler and the interpreter through :mod:`neuprint_dsl.hooks`, where those modules register
themselves when imported: they import the AST, so this module never imports them (not even
inside a function or under ``TYPE_CHECKING``). ``to_cypher()`` is typed as returning
:class:`~neuprint_dsl.hooks.CompiledCypher`, the protocol of
:class:`~neuprint_dsl.cypher.CypherStatement` (``text``, ``params``, ``columns``,
``dialect``, ``inline()``). Literal values and their checks live in :mod:`neuprint_dsl.values`
(re-exported here).

May import: L0 only (errors, patterns, hooks, values). Never: fields, query, text, cypher,
interpret or anything above.

Example:
    >>> from neuprint_dsl import N
    >>> p = (N.type == "APL") | (N.pre >= 100)
    >>> type(p).__name__, len(p.items)
    ('Or', 2)
    >>> ~~p == p
    True
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import (
    Any,
    ClassVar,
    Literal,
    Protocol,
    TypeAlias,
    cast,
    runtime_checkable,
)

import attrs

from .errors import InvalidValue, NestingTooDeep, QueryTypeError
from .hooks import CompiledCypher
from .hooks import evaluate as _evaluate
from .hooks import to_cypher as _to_cypher
from .hooks import to_text as _to_text
from .patterns import check_pattern
from .values import INT64_MAX as INT64_MAX  # the value rules are part of expr's API too
from .values import INT64_MIN as INT64_MIN
from .values import KIND_NAMES as KIND_NAMES
from .values import Value as Value
from .values import check_text as check_text
from .values import check_value as check_value
from .values import check_values as check_values
from .values import short_repr
from .values import value_items as value_items
from .values import value_kind as value_kind
from .values import with_article as with_article


class Entity(enum.Enum):
    """What kind of record a field belongs to; a statement binds each kind to a variable."""

    NEURON = "neuron"
    EDGE = "edge"
    SYNAPSE = "synapse"
    MITO = "mitochondrion"

    # members are singletons compared by identity: hash them by identity too (Enum's own
    # __hash__ is a Python call; the compiler looks fields' kinds up in dicts)
    __hash__ = object.__hash__

    @property
    def namespace(self) -> str:
        """The name of this kind's field namespace: ``N``, ``E``, ``S`` or ``M``.

        Example:
            >>> Entity.SYNAPSE.namespace
            'S'
        """
        return _NAMESPACES[self.value]


_NAMESPACES = {"neuron": "N", "edge": "E", "synapse": "S", "mitochondrion": "M"}


def _typed_key(value: object) -> object:
    # structural equality must tell 1, 1.0 and True apart (Python's == does not)
    return (type(value).__name__, value)


def _typed_tuple_key(values: tuple[object, ...]) -> object:
    return tuple((type(v).__name__, v) for v in values)


# ---------------------------------------------------------------------------------------
# operands: what a leaf reads from a record


def _check_name(name: object, what: str) -> str:
    """A field or ROI name: a non-empty plain ``str`` without lone surrogates."""
    name = check_text(name, what)
    if not name:
        raise InvalidValue(f"{what} must be a non-empty str, not ''")
    return name


def _field_name(name: object) -> str:
    return _check_name(name, "a field name")


def _roi_name(name: object) -> str:
    return _check_name(name, "an ROI name")


def _pattern_text(pattern: object) -> str:
    return check_text(pattern, "a pattern")


def _test_text(value: object) -> str:
    return check_text(value, "a string test's value")


@attrs.frozen(slots=True)
class Prop:
    """A stored property of a record, e.g. ``Prop(Entity.NEURON, "type")``."""

    entity: Entity
    name: str = attrs.field(converter=_field_name)


@attrs.frozen(slots=True)
class RoiCount:
    """A synapse count inside one ROI, read from the record's ``roiInfo`` (missing = 0).

    ``side="post"`` is a neuron's inputs or a connection's weight in the ROI; ``"pre"`` is a
    neuron's outputs.
    """

    entity: Entity
    roi: str = attrs.field(converter=_roi_name)
    side: Literal["pre", "post"] = attrs.field()

    @side.validator
    def _check_side(self, _: attrs.Attribute[str], side: str) -> None:
        if side not in ("pre", "post"):
            raise InvalidValue(f"side must be 'pre' or 'post', not {side!r}")
        if self.entity not in (Entity.NEURON, Entity.EDGE):
            raise InvalidValue(
                f"ROI counts belong to neurons and connections, not to a {self.entity.value}"
            )
        if self.entity is Entity.EDGE and side != "post":
            raise InvalidValue(
                "a connection's ROI count is its weight in the ROI: side must be 'post'"
            )


Operand: TypeAlias = "Prop | RoiCount"

#: The function that reads each kind of ROI count (``N.inputs("X")`` in Python, ``inputs("X")``
#: in text), by (entity, side).
ROI_COUNT_FUNCTIONS: dict[tuple[Entity, str], str] = {
    (Entity.NEURON, "post"): "inputs",
    (Entity.NEURON, "pre"): "outputs",
    (Entity.EDGE, "post"): "roi_weight",
}


def operand_name(operand: Operand) -> str:
    """How the Python API writes an operand in messages.

    Example:
        >>> operand_name(Prop(Entity.SYNAPSE, "confidence"))
        'S.confidence'
        >>> operand_name(RoiCount(Entity.NEURON, "FB", "pre"))
        "N.outputs('FB')"
    """
    namespace = operand.entity.namespace
    if isinstance(operand, Prop):
        return f"{namespace}.{operand.name}"
    function = ROI_COUNT_FUNCTIONS[(operand.entity, operand.side)]
    return f"{namespace}.{function}({operand.roi!r})"


# ---------------------------------------------------------------------------------------
# display

#: the longest text ``repr`` shows before cutting it (a notebook cell stays readable)
REPR_LIMIT = 2000


def shown_text(render: Callable[[], str], name: str, limit: int = REPR_LIMIT) -> str:
    """``render()`` for a ``repr``, cut after ``limit`` characters; never raises (a tree too
    deep or broken to print shows as ``name`` and the reason).

    Example:
        >>> shown_text(lambda: "x" * 10, "Thing", limit=4)
        'xxxx... [6 more characters]'
        >>> shown_text(lambda: 1 / 0, "Thing")
        'Thing (cannot be printed: ZeroDivisionError)'
    """
    try:
        text = render()
    except Exception as err:  # a repr must never raise (RecursionError included)
        return f"{name} (cannot be printed: {type(err).__name__})"
    if len(text) > limit:
        return f"{text[:limit]}... [{len(text) - limit} more characters]"
    return text


# ---------------------------------------------------------------------------------------
# predicates


@runtime_checkable
class SupportsPredicate(Protocol):
    """Anything that stands for a predicate, such as a boolean field (``N.cropped``)."""

    def __predicate__(self) -> Predicate: ...


PredicateLike: TypeAlias = "Predicate | SupportsPredicate"


class Combinable:
    """``&``, ``|`` and ``~`` for anything that stands for a predicate (predicates, and
    boolean fields such as ``N.cropped``)."""

    __slots__ = ()

    def __and__(self, other: PredicateLike) -> Predicate:
        return _join2(And, TRUE, FALSE, self, other)

    def __rand__(self, other: PredicateLike) -> Predicate:
        return _join2(And, TRUE, FALSE, other, self)

    def __or__(self, other: PredicateLike) -> Predicate:
        return _join2(Or, FALSE, TRUE, self, other)

    def __ror__(self, other: PredicateLike) -> Predicate:
        return _join2(Or, FALSE, TRUE, other, self)

    def __invert__(self) -> Predicate:
        return not_(self)  # type: ignore[arg-type]


class Renderable:
    """Printing and compiling shortcuts shared by predicates and statements.

    ``repr()`` (and IPython's pretty printer, so a notebook) shows the canonical text in
    angle brackets: ``<predicate type = "APL">``, ``<neurons where type = "APL">``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<" + self._repr_prefix + shown_text(self.to_text, type(self).__name__) + ">"

    @property
    def _repr_prefix(self) -> str:
        return ""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer: the same text as ``repr``."""
        printer.text(repr(self))

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """The canonical query text (see :func:`neuprint_dsl.to_text`)."""
        return _to_text(self)

    def to_cypher(self, dialect: str = "neo4j", **options: Any) -> CompiledCypher:
        """Compile to Cypher (see :func:`neuprint_dsl.to_cypher`; a predicate compiles as
        ``neurons(where=...)``): a :class:`~neuprint_dsl.cypher.CypherStatement`."""
        return _to_cypher(self, dialect, **options)


class Predicate(Combinable, Renderable):
    """Base of every predicate node: the algebra, printing and compiling shortcuts."""

    __slots__ = ()
    precedence: ClassVar[int] = 3  # 1 or, 2 and, 3 atom (used by printers)

    @property
    def _repr_prefix(self) -> str:
        # the text does not say whose fields it reads: name them unless they are a neuron's
        try:
            kinds = sorted(_KIND_WORDS[e] for e in entities(self))
        except Exception:  # a repr never raises
            kinds = []
        return "predicate " if kinds in ([], ["neuron"]) else f"{'/'.join(kinds)} predicate "

    def __bool__(self) -> bool:
        raise TypeError(
            "a predicate has no truth value: use & and | instead of and/or, ~ instead of not, "
            "and evaluate(pred, record) to test a record"
        )

    def evaluate(self, record: Mapping[str, Any]) -> bool:
        """Evaluate on one record with the reference interpreter."""
        return _evaluate(self, record)


_KIND_WORDS = {
    Entity.NEURON: "neuron",
    Entity.EDGE: "connection",
    Entity.SYNAPSE: "synapse",
    Entity.MITO: "mitochondrion",
}


class CompareOp(enum.Enum):
    """Comparison operators; ``!=`` is ``Not(Compare(..., EQ, ...))``."""

    EQ = "="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    __hash__ = object.__hash__  # identity, as for Entity


class StringOp(enum.Enum):
    """Literal (never regex) string tests."""

    STARTS_WITH = "startswith"
    ENDS_WITH = "endswith"
    CONTAINS = "contains"

    __hash__ = object.__hash__  # identity, as for Entity


def _check_operand(_: Any, __: Any, operand: Any) -> None:
    if not isinstance(operand, (Prop, RoiCount)):
        raise QueryTypeError(f"expected a field, not {short_repr(operand)}")


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class Compare(Predicate):
    """``operand <op> value``; ordering operators need a number."""

    operand: Operand = attrs.field(validator=_check_operand)
    op: CompareOp = attrs.field(validator=attrs.validators.instance_of(CompareOp))
    value: Value = attrs.field(converter=check_value, eq=_typed_key)

    def __attrs_post_init__(self) -> None:
        if self.op is not CompareOp.EQ and value_kind(self.value) != "number":
            raise QueryTypeError(
                f"{self.op.value} compares numbers only, not {type(self.value).__name__} "
                f"{self.value!r}"
            )


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class IsIn(Predicate):
    """``operand in [values]``; an empty list matches nothing."""

    operand: Operand = attrs.field(validator=_check_operand)
    values: tuple[Value, ...] = attrs.field(converter=check_values, eq=_typed_tuple_key)


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class Matches(Predicate):
    """Full-match regular expression from the portable subset (validated when built)."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))
    pattern: str = attrs.field(converter=_pattern_text)
    ignore_case: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    @pattern.validator
    def _check(self, _: attrs.Attribute[str], pattern: str) -> None:
        check_pattern(pattern)


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class StringTest(Predicate):
    """``startswith`` / ``endswith`` / ``contains`` with a literal string."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))
    op: StringOp = attrs.field(validator=attrs.validators.instance_of(StringOp))
    value: str = attrs.field(converter=_test_text)


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class IsNull(Predicate):
    """The property is missing or null (``not_null()`` is ``~is_null()``)."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class ContainsAny(Predicate):
    """A list-valued property shares at least one element with ``values``."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))
    values: tuple[Value, ...] = attrs.field(converter=check_values, eq=_typed_tuple_key)


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class InRoi(Predicate):
    """The record lies in the ROI (neuPrint's boolean ROI property): a neuron has a synapse
    there; a synapse or a mitochondrion is inside it."""

    entity: Entity
    roi: str = attrs.field(converter=_roi_name)

    @roi.validator
    def _check(self, _: attrs.Attribute[str], roi: str) -> None:
        if self.entity is Entity.EDGE:
            raise InvalidValue(
                "roi(...) is a test of neurons, synapses and mitochondria; use "
                "E.roi_weight(name) > 0 for connections"
            )


@attrs.frozen(slots=True, repr=False)
class Const(Predicate):
    """``TRUE`` or ``FALSE``."""

    value: bool = attrs.field(validator=attrs.validators.instance_of(bool))


TRUE = Const(True)
FALSE = Const(False)

Leaf: TypeAlias = "Compare | IsIn | Matches | StringTest | IsNull | ContainsAny | InRoi"
LEAF_TYPES: tuple[type[Predicate], ...] = (
    Compare,
    IsIn,
    Matches,
    StringTest,
    IsNull,
    ContainsAny,
    InRoi,
)


def _check_not_item(_: Any, __: Any, item: Any) -> None:
    if not isinstance(item, Predicate):
        raise QueryTypeError(f"Not takes a predicate, not {short_repr(item)}")
    if isinstance(item, (Not, Const)):
        raise InvalidValue("Not(Not(p)) and Not(TRUE/FALSE) are not canonical; use not_() / ~")


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class Not(Predicate):
    """Classical negation: selects exactly the records ``item`` does not."""

    item: Predicate = attrs.field(validator=_check_not_item)
    depth: int = attrs.field(init=False, eq=False, repr=False)  # see nesting_depth()

    def __attrs_post_init__(self) -> None:
        _set_depth(self, (self.item,))


#: The deepest nesting of and / or / not a predicate may have (DESIGN section 5; text and
#: Python builders alike): every function over predicates recurses once per level.
MAX_NESTING = 64


def nesting_depth(pred: Predicate) -> int:
    """How deeply and / or / not nest in ``pred`` (0 for a leaf), read in O(1).

    Example:
        >>> from neuprint_dsl import N
        >>> nesting_depth(N.pre > 1), nesting_depth(~((N.pre > 1) | (N.post > 2)))
        (0, 2)
    """
    return pred.depth if isinstance(pred, (Not, And, Or)) else 0


def _set_depth(node: Not | Junction, items: tuple[Predicate, ...]) -> None:
    depth = 1 + max(map(nesting_depth, items))
    if depth > MAX_NESTING:
        _too_deep(depth)
    object.__setattr__(node, "depth", depth)


def _too_deep(depth: int) -> None:
    raise NestingTooDeep(
        f"and / or / not nested {depth} levels deep; the limit is {MAX_NESTING} (join many "
        "conditions flat with and_(*parts) / or_(*parts), which do not nest)"
    )


def _items(items: Iterable[Predicate]) -> tuple[Predicate, ...]:
    return tuple(items)


def _check_junction_items(instance: Any, _: Any, items: tuple[Predicate, ...]) -> None:
    name = type(instance).__name__
    if len(items) < 2:
        raise InvalidValue(f"{name} needs at least two items; use and_()/or_() to fold")
    for item in items:
        if not isinstance(item, Predicate):
            raise QueryTypeError(f"{name} takes predicates, not {short_repr(item)}")
        if isinstance(item, (type(instance), Const)):
            raise InvalidValue(f"{name} items must not be {type(item).__name__}; use and_()/or_()")


@attrs.frozen(slots=True, eq=False, repr=False)
class Junction(Predicate):
    """What :class:`And` and :class:`Or` share: two or more items, never directly nested in
    their own kind, never constants."""

    items: tuple[Predicate, ...] = attrs.field(converter=_items, validator=_check_junction_items)
    depth: int = attrs.field(init=False, eq=False, repr=False)  # see nesting_depth()
    #: (buffer, length) until ``items`` is first read, for a node ``&`` / ``|`` built (_join2)
    _chain: tuple[list[Predicate], int] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        _set_depth(self, self.items)

    def __getattr__(self, name: str) -> Any:
        """Makes ``items`` of a node that ``&`` / ``|`` built as a view of a shared buffer
        (see :func:`_join2`) on first read; nothing else is missing."""
        if name == "items":
            chain = self._chain
            if chain is not None:
                buf, n = chain
                items = tuple(buf) if len(buf) == n else tuple(buf[:n])
                object.__setattr__(self, "items", items)
                object.__setattr__(self, "_chain", None)
                return items
            try:  # another thread has just made them
                return object.__getattribute__(self, "items")
            except AttributeError:
                pass
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class And(Junction):
    """Conjunction of two or more predicates (never directly nested, never constants)."""

    precedence: ClassVar[int] = 2


@attrs.frozen(slots=True, cache_hash=True, repr=False)
class Or(Junction):
    """Disjunction of two or more predicates (never directly nested, never constants)."""

    precedence: ClassVar[int] = 1


#: slots attrs adds to And / Or besides their fields (the cached hash), set to None by
#: _chained as attrs' __init__ does
_EXTRA_SLOTS = {
    cls: tuple(
        name
        for klass in cls.__mro__
        for name in getattr(klass, "__slots__", ())
        if name not in ("items", "depth", "_chain", "__weakref__")
    )
    for cls in (And, Or)
}


# ---------------------------------------------------------------------------------------
# smart constructors


def as_predicate(obj: object) -> Predicate:
    """Coerce a predicate-like object (a predicate or a boolean field) to a predicate.

    Example:
        >>> from neuprint_dsl import N
        >>> as_predicate(N.cropped) == (N.cropped == True)
        True
    """
    if isinstance(obj, Predicate):
        return obj
    convert = getattr(type(obj), "__predicate__", None)  # faster than a Protocol isinstance
    if convert is not None:
        result: Predicate = convert(obj)
        return result
    raise QueryTypeError(
        f"expected a predicate such as N.type == 'x', not {type(obj).__name__} {short_repr(obj)}"
    )


def _junction(
    cls: type[And] | type[Or], unit: Const, zero: Const, parts: Iterable[object]
) -> Predicate:
    items: list[Predicate] = []
    for part in parts:
        pred = as_predicate(part)
        if isinstance(pred, cls):
            items.extend(pred.items)
        elif pred == zero:
            return zero
        elif pred != unit:
            items.append(pred)
    if not items:
        return unit
    if len(items) == 1:
        return items[0]
    return cls(tuple(items))


def _chained(cls: type[And] | type[Or], buf: list[Predicate], depth: int) -> Predicate:
    """A new ``cls`` whose items are ``buf`` as it is now (already checked and flattened),
    without copying them: its ``items`` tuple is made when first read."""
    if depth > MAX_NESTING:
        _too_deep(depth)
    node = object.__new__(cls)
    setter = object.__setattr__
    setter(node, "depth", depth)
    setter(node, "_chain", (buf, len(buf)))
    for name in _EXTRA_SLOTS[cls]:
        setter(node, name, None)
    return node


def _join2(
    cls: type[And] | type[Or], unit: Const, zero: Const, left: object, right: object
) -> Predicate:
    """``left & right`` (or ``|``): :func:`_junction` of two parts, in time independent of
    how many items ``left`` holds.

    A chain ``a & b & c & ...`` appends each new item to one buffer shared by the nodes of
    the chain (each node sees the first ``n`` items, which never change), as a Go slice
    grows; the new node needs no check of the items it shares, and its depth comes from
    the parts' depths. A node that is not the last of its buffer copies it once."""
    a = as_predicate(left)
    b = as_predicate(right)
    ta, tb = type(a), type(b)
    if (
        ta is Const
        or tb is Const
        or (ta is not cls and isinstance(a, cls))
        or (tb is not cls and isinstance(b, cls))
    ):  # constants (and subclasses of And / Or): as _junction does
        return _junction(cls, unit, zero, (a, b))
    if ta is cls:
        left_node = cast("And | Or", a)
        chain = left_node._chain
        if chain is None:
            buf, n = list(left_node.items), len(left_node.items)
        else:
            buf, n = chain
        if tb is cls:
            right_node = cast("And | Or", b)
            new: tuple[Predicate, ...] = right_node.items
            depth = max(left_node.depth, right_node.depth)
        else:
            new = (b,)
            depth = max(left_node.depth, 1 + nesting_depth(b))
        if len(buf) == n:  # the last node of its buffer: append in place
            buf.extend(new)  # atomic: another thread appending too shows in the length
            if len(buf) == n + len(new):
                return _chained(cls, buf, depth)
        buf = buf[:n]
        buf.extend(new)
        return _chained(cls, buf, depth)
    if tb is cls:
        right_node = cast("And | Or", b)
        return _chained(cls, [a, *right_node.items], max(1 + nesting_depth(a), right_node.depth))
    return _chained(cls, [a, b], 1 + max(nesting_depth(a), nesting_depth(b)))


def and_(*parts: PredicateLike) -> Predicate:
    """Conjunction, flattened and folded: ``and_() == TRUE``, ``and_(p) == p``.

    Example:
        >>> from neuprint_dsl import N
        >>> and_(N.pre > 1, TRUE) == (N.pre > 1)
        True
    """
    return _junction(And, TRUE, FALSE, parts)


def or_(*parts: PredicateLike) -> Predicate:
    """Disjunction, flattened and folded: ``or_() == FALSE``, ``or_(p) == p``.

    Example:
        >>> from neuprint_dsl import N
        >>> or_(N.pre > 1, TRUE) == TRUE
        True
    """
    return _junction(Or, FALSE, TRUE, parts)


def not_(part: PredicateLike) -> Predicate:
    """Negation, folded: ``not_(not_(p)) == p`` and ``not_(TRUE) == FALSE``.

    Example:
        >>> not_(TRUE) == FALSE
        True
    """
    pred = as_predicate(part)
    if isinstance(pred, Not):
        return pred.item
    if isinstance(pred, Const):
        return FALSE if pred.value else TRUE
    return Not(pred)


def operands(pred: Predicate) -> Iterable[Operand | InRoi]:
    """Every field reference and ROI test in a predicate, in order of appearance.

    Example:
        >>> from neuprint_dsl import N
        >>> [o.name for o in operands((N.type == "a") & (N.pre > 1))]
        ['type', 'pre']
    """
    return _OPERANDS.get(type(pred), _no_operands)(pred)


def _junction_operands(pred: Junction) -> Iterator[Operand | InRoi]:
    for item in pred.items:
        yield from operands(item)


def _no_operands(pred: Predicate) -> tuple[()]:
    return ()


def entities(pred: Predicate) -> set[Entity]:
    """The record kinds a predicate refers to.

    Example:
        >>> from neuprint_dsl import N, E
        >>> sorted(e.value for e in entities((N.pre > 1) & (E.weight > 2)))
        ['edge', 'neuron']
    """
    return {op.entity for op in operands(pred)}


_OPERAND_LEAVES = frozenset(LEAF_TYPES) - {InRoi}  # the leaves that read an operand
#: what :func:`operands` finds in each kind of node
_OPERANDS: dict[type[Predicate], Callable[[Any], Iterable[Operand | InRoi]]] = {
    And: _junction_operands,
    Or: _junction_operands,
    Not: lambda pred: operands(pred.item),
    InRoi: lambda pred: (pred,),
    **dict.fromkeys(_OPERAND_LEAVES, lambda pred: (pred.operand,)),
}


def single_entity(pred: Predicate, entity: Entity) -> bool:
    """True if every field and ROI test in ``pred`` belongs to ``entity`` (a quicker
    ``entities(pred) <= {entity}``, without generators).

    Example:
        >>> from neuprint_dsl import N, E
        >>> single_entity((N.pre > 1) & ~N.roi("FB"), Entity.NEURON)
        True
        >>> single_entity((N.pre > 1) | (E.weight > 2), Entity.NEURON)
        False
    """
    stack: list[Predicate] = [pred]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        cls = type(node)
        if cls is And or cls is Or:
            extend(node.items)  # type: ignore[attr-defined]
        elif cls is Not:
            push(node.item)  # type: ignore[attr-defined]
        elif cls in _OPERAND_LEAVES:
            if node.operand.entity is not entity:  # type: ignore[attr-defined]
                return False
        elif cls is InRoi:
            if node.entity is not entity:  # type: ignore[attr-defined]
                return False
        elif cls is not Const and not entities(node) <= {entity}:
            return False
    return True
