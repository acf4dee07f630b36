"""AST nodes of predicates and the operator algebra (DESIGN sections 3-4).

Every node is a frozen, slotted attrs class: hashable, structurally comparable, picklable.
Predicates combine with ``&``, ``|`` and ``~``; the combinators flatten (``And((a, b, c))``),
fold constants (``p & TRUE -> p``) and cancel double negation, and the node validators keep
every constructible tree in that folded form, so that printing and re-parsing any tree gives
the same tree back.

``bool(predicate)`` raises ``TypeError``: ``a and b`` or ``if N.pre > 3:`` would otherwise
silently drop half of a query.

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
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeAlias, runtime_checkable

import attrs

from .patterns import check_pattern

if TYPE_CHECKING:
    from .cypher.statement import CypherStatement

Value: TypeAlias = "str | int | float | bool"
"""A literal value in a predicate: a string, an int (int64), a finite float or a bool."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Entity(enum.Enum):
    """What kind of record a field belongs to; a statement binds each kind to a variable."""

    NEURON = "neuron"
    EDGE = "edge"
    SYNAPSE = "synapse"
    MITO = "mitochondrion"

    @property
    def namespace(self) -> str:
        """The name of this kind's field namespace: ``N``, ``E``, ``S`` or ``M``.

        Example:
            >>> Entity.SYNAPSE.namespace
            'S'
        """
        return _NAMESPACES[self.value]


_NAMESPACES = {"neuron": "N", "edge": "E", "synapse": "S", "mitochondrion": "M"}


# ---------------------------------------------------------------------------------------
# values


def value_kind(value: object) -> str:
    """The comparison kind of a value: ``"str"``, ``"number"``, ``"bool"`` or ``"other"``.

    Bool is not a number, so ``True`` and ``1`` never compare equal.

    Example:
        >>> value_kind(True), value_kind(3), value_kind(2.5), value_kind("x")
        ('bool', 'number', 'number', 'str')
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    return "other"


def check_value(value: object) -> Value:
    """Return ``value`` if it is a valid literal, else raise ``TypeError``/``ValueError``.

    Example:
        >>> check_value(3)
        3
    """
    kind = value_kind(value)
    if kind == "other":
        raise TypeError(
            f"a value must be a str, int, float or bool, not {type(value).__name__} ({value!r})"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a float value must be finite, not {value!r}")
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not INT64_MIN <= value <= INT64_MAX
    ):
        raise ValueError(f"an int value must fit in 64 bits, not {value!r}")
    return value  # type: ignore[return-value]


def check_values(values: Iterable[object]) -> tuple[Value, ...]:
    """Validate a homogeneous list of values (all strings, all numbers or all bools).

    Example:
        >>> check_values([1, 2.5])
        (1, 2.5)
    """
    if isinstance(values, (str, bytes, Mapping)):
        raise TypeError(f"expected a list of values, not {type(values).__name__} {values!r}")
    result = tuple(check_value(v) for v in values)
    kinds = {value_kind(v) for v in result}
    if len(kinds) > 1:
        raise TypeError(
            f"a value list must be homogeneous, got {sorted(kinds)} in {list(result)!r}"
        )
    return result


def _typed_key(value: object) -> object:
    # structural equality must tell 1, 1.0 and True apart (Python's == does not)
    return (type(value).__name__, value)


def _typed_tuple_key(values: tuple[object, ...]) -> object:
    return tuple((type(v).__name__, v) for v in values)


# ---------------------------------------------------------------------------------------
# operands: what a leaf reads from a record


@attrs.frozen(slots=True)
class Prop:
    """A stored property of a record, e.g. ``Prop(Entity.NEURON, "type")``."""

    entity: Entity
    name: str = attrs.field()

    @name.validator
    def _check_name(self, _: attrs.Attribute[str], name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a field name must be a non-empty str, not {name!r}")


@attrs.frozen(slots=True)
class RoiCount:
    """A synapse count inside one ROI, read from the record's ``roiInfo`` (missing = 0).

    ``side="post"`` is a neuron's inputs or a connection's weight in the ROI; ``"pre"`` is a
    neuron's outputs.
    """

    entity: Entity
    roi: str = attrs.field()
    side: Literal["pre", "post"] = attrs.field()

    @roi.validator
    def _check_roi(self, _: attrs.Attribute[str], roi: str) -> None:
        _check_roi_name(roi)

    @side.validator
    def _check_side(self, _: attrs.Attribute[str], side: str) -> None:
        if side not in ("pre", "post"):
            raise ValueError(f"side must be 'pre' or 'post', not {side!r}")
        if self.entity not in (Entity.NEURON, Entity.EDGE):
            raise ValueError(
                f"ROI counts belong to neurons and connections, not to a {self.entity.value}"
            )
        if self.entity is Entity.EDGE and side != "post":
            raise ValueError(
                "a connection's ROI count is its weight in the ROI: side must be 'post'"
            )


Operand: TypeAlias = "Prop | RoiCount"


def _check_roi_name(roi: object) -> None:
    if not isinstance(roi, str) or not roi:
        raise ValueError(f"an ROI name must be a non-empty str, not {roi!r}")


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
        return and_(self, other)  # type: ignore[arg-type]

    def __rand__(self, other: PredicateLike) -> Predicate:
        return and_(other, self)  # type: ignore[arg-type]

    def __or__(self, other: PredicateLike) -> Predicate:
        return or_(self, other)  # type: ignore[arg-type]

    def __ror__(self, other: PredicateLike) -> Predicate:
        return or_(other, self)  # type: ignore[arg-type]

    def __invert__(self) -> Predicate:
        return not_(self)  # type: ignore[arg-type]


class Renderable:
    """Printing and compiling shortcuts shared by predicates and statements."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """The canonical query text (see :func:`neuprint_dsl.to_text`)."""
        from .text import to_text

        text: str = to_text(self)
        return text

    def to_cypher(self, dialect: str = "neo4j", **options: Any) -> CypherStatement:
        """Compile to Cypher (see :func:`neuprint_dsl.to_cypher`; a predicate compiles as
        ``neurons(where=...)``)."""
        from .cypher import to_cypher

        return to_cypher(self, dialect, **options)


class Predicate(Combinable, Renderable):
    """Base of every predicate node: the algebra, printing and compiling shortcuts."""

    __slots__ = ()
    precedence: ClassVar[int] = 3  # 1 or, 2 and, 3 atom (used by printers)

    def __bool__(self) -> bool:
        raise TypeError(
            "a predicate has no truth value: use & and | instead of and/or, ~ instead of not, "
            "and evaluate(pred, record) to test a record"
        )

    def evaluate(self, record: Mapping[str, Any]) -> bool:
        """Evaluate on one record with the reference interpreter."""
        from .interpret import evaluate

        return evaluate(self, record)


class CompareOp(enum.Enum):
    """Comparison operators; ``!=`` is ``Not(Compare(..., EQ, ...))``."""

    EQ = "="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class StringOp(enum.Enum):
    """Literal (never regex) string tests."""

    STARTS_WITH = "startswith"
    ENDS_WITH = "endswith"
    CONTAINS = "contains"


def _check_operand(_: Any, __: Any, operand: Any) -> None:
    if not isinstance(operand, (Prop, RoiCount)):
        raise TypeError(f"expected a field, not {operand!r}")


@attrs.frozen(slots=True, cache_hash=True)
class Compare(Predicate):
    """``operand <op> value``; ordering operators need a number."""

    operand: Operand = attrs.field(validator=_check_operand)
    op: CompareOp = attrs.field(validator=attrs.validators.instance_of(CompareOp))
    value: Value = attrs.field(converter=check_value, eq=_typed_key)

    def __attrs_post_init__(self) -> None:
        if self.op is not CompareOp.EQ and value_kind(self.value) != "number":
            raise TypeError(
                f"{self.op.value} compares numbers only, not {type(self.value).__name__} "
                f"{self.value!r}"
            )


@attrs.frozen(slots=True, cache_hash=True)
class IsIn(Predicate):
    """``operand in [values]``; an empty list matches nothing."""

    operand: Operand = attrs.field(validator=_check_operand)
    values: tuple[Value, ...] = attrs.field(converter=check_values, eq=_typed_tuple_key)


@attrs.frozen(slots=True, cache_hash=True)
class Matches(Predicate):
    """Full-match regular expression from the portable subset (validated when built)."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))
    pattern: str = attrs.field()
    ignore_case: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    @pattern.validator
    def _check(self, _: attrs.Attribute[str], pattern: str) -> None:
        check_pattern(pattern)


@attrs.frozen(slots=True, cache_hash=True)
class StringTest(Predicate):
    """``startswith`` / ``endswith`` / ``contains`` with a literal string."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))
    op: StringOp = attrs.field(validator=attrs.validators.instance_of(StringOp))
    value: str = attrs.field(validator=attrs.validators.instance_of(str))


@attrs.frozen(slots=True, cache_hash=True)
class IsNull(Predicate):
    """The property is missing or null (``not_null()`` is ``~is_null()``)."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))


@attrs.frozen(slots=True, cache_hash=True)
class ContainsAny(Predicate):
    """A list-valued property shares at least one element with ``values``."""

    operand: Prop = attrs.field(validator=attrs.validators.instance_of(Prop))
    values: tuple[Value, ...] = attrs.field(converter=check_values, eq=_typed_tuple_key)


@attrs.frozen(slots=True, cache_hash=True)
class InRoi(Predicate):
    """The record lies in the ROI (neuPrint's boolean ROI property): a neuron has a synapse
    there; a synapse or a mitochondrion is inside it."""

    entity: Entity
    roi: str = attrs.field()

    @roi.validator
    def _check(self, _: attrs.Attribute[str], roi: str) -> None:
        if self.entity is Entity.EDGE:
            raise ValueError(
                "roi(...) is a test of neurons, synapses and mitochondria; use "
                "E.roi_weight(name) > 0 for connections"
            )
        _check_roi_name(roi)


@attrs.frozen(slots=True)
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
        raise TypeError(f"Not takes a predicate, not {item!r}")
    if isinstance(item, (Not, Const)):
        raise ValueError("Not(Not(p)) and Not(TRUE/FALSE) are not canonical; use not_() / ~")


@attrs.frozen(slots=True, cache_hash=True)
class Not(Predicate):
    """Classical negation: selects exactly the records ``item`` does not."""

    item: Predicate = attrs.field(validator=_check_not_item)


def _items(items: Iterable[Predicate]) -> tuple[Predicate, ...]:
    return tuple(items)


def _junction_items(cls_name: str) -> Any:
    def check(instance: Any, _: Any, items: tuple[Predicate, ...]) -> None:
        if len(items) < 2:
            raise ValueError(f"{cls_name} needs at least two items; use and_()/or_() to fold")
        for item in items:
            if not isinstance(item, Predicate):
                raise TypeError(f"{cls_name} takes predicates, not {item!r}")
            if isinstance(item, (type(instance), Const)):
                raise ValueError(
                    f"{cls_name} items must not be {type(item).__name__}; use and_()/or_()"
                )

    return check


@attrs.frozen(slots=True, cache_hash=True)
class And(Predicate):
    """Conjunction of two or more predicates (never directly nested, never constants)."""

    precedence: ClassVar[int] = 2
    items: tuple[Predicate, ...] = attrs.field(converter=_items, validator=_junction_items("And"))


@attrs.frozen(slots=True, cache_hash=True)
class Or(Predicate):
    """Disjunction of two or more predicates (never directly nested, never constants)."""

    precedence: ClassVar[int] = 1
    items: tuple[Predicate, ...] = attrs.field(converter=_items, validator=_junction_items("Or"))


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
    raise TypeError(f"expected a predicate such as N.type == 'x', not {type(obj).__name__} {obj!r}")


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
    if isinstance(pred, (And, Or)):
        for item in pred.items:
            yield from operands(item)
    elif isinstance(pred, Not):
        yield from operands(pred.item)
    elif isinstance(pred, InRoi):
        yield pred
    elif isinstance(pred, (Compare, IsIn, Matches, StringTest, IsNull, ContainsAny)):
        yield pred.operand


def entities(pred: Predicate) -> set[Entity]:
    """The record kinds a predicate refers to.

    Example:
        >>> from neuprint_dsl import N, E
        >>> sorted(e.value for e in entities((N.pre > 1) & (E.weight > 2)))
        ['edge', 'neuron']
    """
    return {op.entity for op in operands(pred)}
