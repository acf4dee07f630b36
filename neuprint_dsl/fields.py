"""Typed field namespaces: ``N`` (neurons), ``E`` (connections), ``S`` (synapses) and ``M``
(mitochondria) (DESIGN section 4).

A field is a builder, not an AST node: its operators and methods return predicates. Each
field class has only the methods that make sense for its type, so mypy rejects
``N.pre.matches("x")`` and ``N.type > 3``, and the same mistakes raise ``QueryTypeError`` (a
``TypeError``) at run time. ``N["anyProperty"]`` is an untyped field with every operator, for
dataset-specific properties; ``N.field("group", int)`` declares a typed one.

Values may be Python or numpy scalars; lists of values may be lists, tuples, ranges, sets
(sorted), generators, numpy arrays or pandas ``Series`` / ``Index``. Everything is stored as
plain ``str``, ``int``, ``float`` or ``bool`` (see :func:`neuprint_dsl.expr.check_value`).

Example:
    >>> from neuprint_dsl import N, E
    >>> q = N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped
    >>> print(q)
    type =~ "MBON.*" and roi("MB(R)") and not cropped
    >>> print(E.roi_weight("MB(R)") >= 5)
    roi_weight("MB(R)") >= 5
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeAlias, TypeVar, overload

from .errors import QueryTypeError
from .expr import (
    Combinable,
    Compare,
    CompareOp,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Operand,
    Predicate,
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    not_,
    operand_name,
)
from .values import (
    KIND_NAMES,
    Value,
    check_text,
    check_value,
    value_items,
    value_kind,
    with_article,
)

T = TypeVar("T")

if TYPE_CHECKING:
    import numpy as np

    #: what a number field compares with: Python and numpy numbers (numpy bools are not)
    Number: TypeAlias = float | np.integer[Any] | np.floating[Any]
    #: what a bool field compares with
    Flag: TypeAlias = bool | np.bool_
    #: what an untyped field compares with
    Scalar: TypeAlias = Value | np.integer[Any] | np.floating[Any] | np.bool_
else:  # the type arguments only matter to type checkers
    Number = Flag = Scalar = object

_METHOD_HINTS = {
    "matches": "regex matching is defined for string fields",
    "startswith": "string tests are defined for string fields",
    "endswith": "string tests are defined for string fields",
    "contains": "string tests are defined for string fields",
    "contains_any": "contains_any is defined for list fields",
    "isin": "isin is defined for string, number and bool fields",
    "is_null": "ROI counts are never null (a missing ROI counts 0)",
    "not_null": "ROI counts are never null (a missing ROI counts 0)",
    "list": "use contains_any([...]) or is_null()/not_null()",
    "point": "use is_null()/not_null()",
}


class Field:
    """Base of all fields: holds the operand the predicates will read."""

    __slots__ = ("operand",)
    #: value kinds this field compares with (see :func:`neuprint_dsl.expr.value_kind`)
    kinds: tuple[str, ...] = ("str", "number", "bool")
    type_name = "untyped"

    def __init__(self, operand: Operand) -> None:
        self.operand = operand

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {operand_name(self.operand)}>"

    def __hash__(self) -> int:
        return hash((type(self), self.operand))

    def __bool__(self) -> NoReturn:
        raise TypeError(
            f"{operand_name(self.operand)} is a field, not a predicate: compare it "
            "(N.pre > 10) or use a method (N.type.matches('...'))"
        )

    if not TYPE_CHECKING:  # friendly run-time errors; hidden from mypy so it still rejects them

        def __getattr__(self, name):
            if name.startswith("_"):
                raise AttributeError(name)
            raise AttributeError(
                f"{operand_name(self.operand)} is {with_article(self.type_name)} field and has no method "
                f"{name!r}; {_METHOD_HINTS.get(name, 'see the field types in docs/language.md')}"
            )

        def _no_order(self, other):
            raise QueryTypeError(
                f"{operand_name(self.operand)} is {with_article(self.type_name)} field: ordering "
                "(<, <=, >, >=) is defined for numbers only"
            )

        __lt__ = __le__ = __gt__ = __ge__ = _no_order

        def _no_equality(self, other):
            raise QueryTypeError(
                f"{operand_name(self.operand)} is {with_article(self.type_name)} field: == and != are not "
                f"defined for it; {_METHOD_HINTS.get(self.type_name, 'use is_null()/not_null()')}"
            )

        __eq__ = __ne__ = _no_equality

    def _check(self, value: object, what: str) -> Value:
        where = f"{operand_name(self.operand)} {what}"
        if isinstance(value, (Predicate, Field)):
            raise QueryTypeError(
                f"{where} {value!r}: a field's operators build "
                "predicates; to compare predicates structurally, coerce the field first: "
                "as_predicate(N.cropped) == other"
            )
        value = check_value(value, where)
        if value_kind(value) not in self.kinds:
            allowed = " or ".join(KIND_NAMES[k] for k in self.kinds)
            raise QueryTypeError(
                f"{operand_name(self.operand)} is {with_article(self.type_name)} field: {what} needs "
                f"{allowed}, not {type(value).__name__} {value!r}"
            )
        return value

    def _check_all(self, values: Iterable[object], what: str) -> tuple[Value, ...]:
        where = f"{operand_name(self.operand)} {what}"
        if isinstance(values, (str, bytes)):
            raise QueryTypeError(
                f"{where} takes a list of values, not a single {type(values).__name__}"
            )
        items, unordered = value_items(values, where)
        checked = [self._check(v, what) for v in items]
        # a set's order is arbitrary: sort it so the query never depends on it
        return tuple(sorted(checked, key=lambda v: (value_kind(v), v)) if unordered else checked)


class _Nullable(Field):
    __slots__ = ()

    def is_null(self) -> Predicate:
        """The property is missing or null.

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.type.is_null())
            type is null
        """
        return IsNull(_prop(self.operand, "is_null"))

    def not_null(self) -> Predicate:
        """The property is present and not null.

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.somaLocation.not_null())
            somaLocation is not null
        """
        return not_(self.is_null())


class _Equality(Field, Generic[T]):
    __slots__ = ()
    __hash__ = Field.__hash__

    def __eq__(self, value: T) -> Predicate:  # type: ignore[override]
        return Compare(self.operand, CompareOp.EQ, self._check(value, "=="))

    def __ne__(self, value: T) -> Predicate:  # type: ignore[override]
        return not_(self == value)

    def isin(self, values: Iterable[T]) -> Predicate:
        """The value is one of ``values`` (an empty list matches nothing).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.status.isin(["Traced", "Orphan"]))
            status in ["Traced", "Orphan"]
        """
        return IsIn(self.operand, self._check_all(values, "isin"))


class _Ordering(Field, Generic[T]):
    __slots__ = ()

    def _order(self, op: CompareOp, value: object) -> Predicate:
        return Compare(self.operand, op, self._check(value, op.value))

    def __lt__(self, value: T) -> Predicate:
        return self._order(CompareOp.LT, value)

    def __le__(self, value: T) -> Predicate:
        return self._order(CompareOp.LE, value)

    def __gt__(self, value: T) -> Predicate:
        return self._order(CompareOp.GT, value)

    def __ge__(self, value: T) -> Predicate:
        return self._order(CompareOp.GE, value)


class _Strings(Field):
    __slots__ = ()

    def matches(self, pattern: str, ignore_case: bool = False) -> Predicate:
        """Full-match regular expression (portable subset, checked now).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.type.matches("mbon.*", ignore_case=True))
            type =~ "mbon.*" ignore case
        """
        where = f"{operand_name(self.operand)} matches"
        pattern = check_text(pattern, "a pattern", where)
        if not isinstance(ignore_case, bool):
            np = sys.modules.get("numpy")
            if np is None or not isinstance(ignore_case, np.bool_):
                raise QueryTypeError(
                    f"ignore_case must be a bool, not {type(ignore_case).__name__} in {where}"
                )
            ignore_case = bool(ignore_case)
        return Matches(_prop(self.operand, "matches"), pattern, ignore_case)

    def _string_test(self, op: StringOp, value: object) -> Predicate:
        where = f"{operand_name(self.operand)} {op.value}"
        if not isinstance(value, str):
            raise QueryTypeError(f"{where} takes a str, not {type(value).__name__} {value!r}")
        return StringTest(_prop(self.operand, op.value), op, check_text(value, "a string", where))

    def startswith(self, prefix: str) -> Predicate:
        """The string starts with ``prefix`` (literal, not a regex).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.instance.startswith("KC"))
            instance startswith "KC"
        """
        return self._string_test(StringOp.STARTS_WITH, prefix)

    def endswith(self, suffix: str) -> Predicate:
        """The string ends with ``suffix`` (literal, not a regex).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.instance.endswith("_R"))
            instance endswith "_R"
        """
        return self._string_test(StringOp.ENDS_WITH, suffix)

    def contains(self, part: str) -> Predicate:
        """The string contains ``part`` (literal, not a regex).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.type.contains("PN"))
            type contains "PN"
        """
        return self._string_test(StringOp.CONTAINS, part)


class StrField(_Strings, _Equality[str], _Nullable):
    """A string property: equality, ``isin``, ``matches``, literal string tests, null tests."""

    __slots__ = ()
    kinds = ("str",)
    type_name = "string"


class IntField(_Ordering[Number], _Equality[Number], _Nullable):
    """An integer property: equality, ordering, ``isin``, null tests."""

    __slots__ = ()
    kinds = ("number",)
    type_name = "int"


class FloatField(_Ordering[Number], _Equality[Number], _Nullable):
    """A float property: equality, ordering, ``isin``, null tests."""

    __slots__ = ()
    kinds = ("number",)
    type_name = "float"


class CountField(_Ordering[Number], _Equality[Number]):
    """A synapse count in an ROI (never null: a missing ROI counts 0)."""

    __slots__ = ()
    kinds = ("number",)
    type_name = "count"


class BoolField(Combinable, _Equality[Flag], _Nullable):
    """A boolean property; the field itself is a predicate (``N.cropped``, ``~N.cropped``)."""

    __slots__ = ()
    kinds = ("bool",)
    type_name = "bool"

    def __predicate__(self) -> Predicate:
        return Compare(self.operand, CompareOp.EQ, True)


class PointField(_Nullable):
    """A point property (e.g. ``somaLocation``): only null tests are defined."""

    __slots__ = ()
    kinds = ()
    type_name = "point"


class ListField(_Nullable):
    """A list-valued property (e.g. ``tags``): ``contains_any`` and null tests."""

    __slots__ = ()
    type_name = "list"

    def contains_any(self, values: Iterable[Value]) -> Predicate:
        """The list shares at least one element with ``values``.

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.tags.contains_any(["a", "b"]))
            tags contains any ["a", "b"]
        """
        return ContainsAny(
            _prop(self.operand, "contains_any"), self._check_all(values, "contains_any")
        )


class AnyField(_Strings, _Ordering[Scalar], _Equality[Scalar], ListField):
    """An untyped property (``N["somaNeuromere"]``): every operator and method."""

    __slots__ = ()
    type_name = "untyped"


def _prop(operand: Operand, what: str) -> Prop:
    if not isinstance(operand, Prop):
        raise QueryTypeError(f"{what} is not defined for {operand_name(operand)}")
    return operand


# ---------------------------------------------------------------------------------------
# namespaces

F = TypeVar("F", bound=Field)

_FIELD_KINDS: dict[object, type[Field]] = {
    str: StrField,
    int: IntField,
    float: FloatField,
    bool: BoolField,
    list: ListField,
    "str": StrField,
    "int": IntField,
    "float": FloatField,
    "bool": BoolField,
    "list": ListField,
    "point": PointField,
    "any": AnyField,
}


class _Declared(Generic[F]):
    """A typed property declared on a namespace class (a descriptor)."""

    def __init__(self, kind: type[F], name: str | None = None) -> None:
        self.kind = kind
        self.name = name

    def __set_name__(self, owner: type, attr: str) -> None:
        if self.name is None:
            self.name = attr

    @overload
    def __get__(self, obj: None, owner: type) -> _Declared[F]: ...
    @overload
    def __get__(self, obj: Namespace, owner: type) -> F: ...
    def __get__(self, obj: Namespace | None, owner: type) -> _Declared[F] | F:
        if obj is None:
            return self
        assert self.name is not None
        return self.kind(Prop(obj.entity, self.name))


class Namespace:
    """Common base of ``N`` and ``E``: typed declared fields plus ``ns["name"]``."""

    entity: Entity

    def __getitem__(self, name: str) -> AnyField:
        """An untyped field for any property name, e.g. ``N["somaNeuromere"]``."""
        return AnyField(Prop(self.entity, name))

    @overload
    def field(self, name: str, kind: type[bool]) -> BoolField: ...  # type: ignore[overload-overlap]
    @overload
    def field(self, name: str, kind: type[int]) -> IntField: ...
    @overload
    def field(self, name: str, kind: type[float]) -> FloatField: ...
    @overload
    def field(self, name: str, kind: type[str]) -> StrField: ...
    @overload
    def field(self, name: str, kind: type[list[Any]]) -> ListField: ...
    @overload
    def field(self, name: str, kind: str = ...) -> Field: ...
    def field(self, name: str, kind: object = "any") -> Field:
        """Declare a typed dataset-specific property: ``N.field("group", int)``.

        ``kind`` is ``str``, ``int``, ``float``, ``bool``, ``list``, or one of the strings
        ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"list"``, ``"point"``, ``"any"``.

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.field("somaNeuromere", str) == "T1")
            somaNeuromere = "T1"
        """
        try:
            cls = _FIELD_KINDS[kind]
        except (KeyError, TypeError):
            raise QueryTypeError(
                f"unknown field kind {kind!r}; use str, int, float, bool, list, 'point' or 'any'"
            ) from None
        return cls(Prop(self.entity, name))

    @classmethod
    def declared(cls) -> dict[str, type[Field]]:
        """The declared property names of this namespace and their field classes.

        Example:
            >>> from neuprint_dsl import N
            >>> N.declared()["pre"].__name__
            'IntField'
        """
        out: dict[str, type[Field]] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, _Declared):
                    assert value.name is not None
                    out[value.name] = value.kind
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} fields: {', '.join(self.declared())}>"


class NeuronFields(Namespace):
    """Fields of a neuron (neuPrint ``:Neuron`` / ``:Segment``); use the instance ``N``."""

    entity = Entity.NEURON

    bodyId = _Declared(IntField)
    type = _Declared(StrField)
    instance = _Declared(StrField)
    status = _Declared(StrField)
    statusLabel = _Declared(StrField)
    cropped = _Declared(BoolField)
    pre = _Declared(IntField)
    post = _Declared(IntField)
    downstream = _Declared(IntField)
    upstream = _Declared(IntField)
    mito = _Declared(IntField)
    size = _Declared(IntField)
    somaLocation = _Declared(PointField)
    tosomaLocation = _Declared(PointField)
    rootLocation = _Declared(PointField)
    somaRadius = _Declared(FloatField)
    cellBodyFiber = _Declared(StrField)
    class_ = _Declared(StrField, "class")
    subclass = _Declared(StrField)
    group = _Declared(IntField)
    serial = _Declared(IntField)
    predictedNt = _Declared(StrField)
    somaSide = _Declared(StrField)
    birthtime = _Declared(StrField)
    entryNerve = _Declared(StrField)
    exitNerve = _Declared(StrField)
    hemilineage = _Declared(StrField)
    longTract = _Declared(StrField)
    modality = _Declared(StrField)
    origin = _Declared(StrField)
    serialMotif = _Declared(StrField)
    somaNeuromere = _Declared(StrField)
    systematicType = _Declared(StrField)
    target = _Declared(StrField)
    flywireType = _Declared(StrField)
    hemibrainType = _Declared(StrField)
    mancType = _Declared(StrField)
    notes = _Declared(StrField)
    synonyms = _Declared(ListField)
    tags = _Declared(ListField)

    def roi(self, name: str) -> Predicate:
        """The neuron has any synapse in ROI ``name`` (neuPrint's boolean ROI property).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.roi("MB(R)"))
            roi("MB(R)")
        """
        return InRoi(self.entity, name)

    def inputs(self, name: str) -> CountField:
        """The neuron's input (post) synapse count inside ROI ``name`` (missing = 0).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.inputs("SIP(R)") >= 10)
            inputs("SIP(R)") >= 10
        """
        return CountField(RoiCount(self.entity, name, "post"))

    def outputs(self, name: str) -> CountField:
        """The neuron's output (pre) synapse count inside ROI ``name`` (missing = 0).

        Example:
            >>> from neuprint_dsl import N
            >>> print(N.outputs("FB") >= 5)
            outputs("FB") >= 5
        """
        return CountField(RoiCount(self.entity, name, "pre"))


class EdgeFields(Namespace):
    """Fields of a connection (neuPrint ``:ConnectsTo``); use the instance ``E``."""

    entity = Entity.EDGE

    weight = _Declared(IntField)
    weightHP = _Declared(IntField)

    def roi_weight(self, name: str) -> CountField:
        """The connection's weight (post synapses) inside ROI ``name`` (missing = 0).

        Example:
            >>> from neuprint_dsl import E
            >>> print(E.roi_weight("FB") > 2)
            roi_weight("FB") > 2
        """
        return CountField(RoiCount(self.entity, name, "post"))


class SynapseFields(Namespace):
    """Fields of a synapse (neuPrint ``:Synapse``); use the instance ``S``.

    ``x``, ``y`` and ``z`` are the synapse's location in voxels (neuPrint's ``location``
    point). Dataset-specific properties (neurotransmitter probabilities, ...) are
    ``S["ntGabaProb"]`` or ``S.field("ntGabaProb", float)``.

    Example:
        >>> from neuprint_dsl import S
        >>> print((S.type == "pre") & (S.confidence > 0.9) & S.roi("EB"))
        type = "pre" and confidence > 0.9 and roi("EB")
    """

    entity = Entity.SYNAPSE

    type = _Declared(StrField)
    confidence = _Declared(FloatField)
    x = _Declared(IntField)
    y = _Declared(IntField)
    z = _Declared(IntField)

    def roi(self, name: str) -> Predicate:
        """The synapse lies in ROI ``name`` (a primary ROI or any ROI containing one).

        Example:
            >>> from neuprint_dsl import S
            >>> print(S.roi("EB") | S.roi("FB"))
            roi("EB") or roi("FB")
        """
        return InRoi(self.entity, name)


class MitoFields(Namespace):
    """Fields of a mitochondrion (neuPrint ``:Element {type: "mitochondrion"}``); use the
    instance ``M``.

    ``x``, ``y``, ``z`` are its centroid in voxels, ``size`` its volume in voxels and
    ``r0 >= r1 >= r2`` its principal radii as neuPrint reports them.

    Example:
        >>> from neuprint_dsl import M
        >>> print((M.mitoType == "dark") & (M.size >= 100000) & M.roi("FB"))
        mitoType = "dark" and size >= 100000 and roi("FB")
    """

    entity = Entity.MITO

    mitoType = _Declared(StrField)
    size = _Declared(IntField)
    x = _Declared(IntField)
    y = _Declared(IntField)
    z = _Declared(IntField)
    r0 = _Declared(FloatField)
    r1 = _Declared(FloatField)
    r2 = _Declared(FloatField)

    def roi(self, name: str) -> Predicate:
        """The mitochondrion lies in ROI ``name``.

        Example:
            >>> from neuprint_dsl import M
            >>> print(M.roi("LAL(R)"))
            roi("LAL(R)")
        """
        return InRoi(self.entity, name)


#: Neuron fields: ``N.type``, ``N.pre``, ``N.roi("MB(R)")``, ``N["anyProperty"]``, ...
N = NeuronFields()
#: Connection fields: ``E.weight``, ``E.roi_weight("MB(R)")``, ``E["anyProperty"]``.
E = EdgeFields()
#: Synapse fields: ``S.type``, ``S.confidence``, ``S.x``, ``S.roi("EB")``, ``S["anyProperty"]``.
S = SynapseFields()
#: Mitochondrion fields: ``M.mitoType``, ``M.size``, ``M.r0``, ``M.roi("FB")``, ...
M = MitoFields()

NAMESPACES: dict[Entity, Namespace] = {
    Entity.NEURON: N,
    Entity.EDGE: E,
    Entity.SYNAPSE: S,
    Entity.MITO: M,
}
