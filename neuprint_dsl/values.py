"""Literal values of the language: what a comparison may hold, checked and normalized.

A value is a plain ``str``, ``int`` (64-bit), finite ``float`` or ``bool`` (DESIGN section
3: bool is not a number). :func:`check_value` and :func:`check_values` turn numpy and pandas
scalars and containers into those, and refuse everything else with a typed error naming the
place; :func:`value_kind` is the kind comparisons match on. Also the wording of messages
about values (:data:`KIND_NAMES`, :func:`with_article`, :func:`short_repr`).

May import: L0 (errors) only; ``expr`` builds the AST on it. Never: anything else.

Example:
    >>> import numpy as np
    >>> check_values(np.array([3, 1])), value_kind(True)
    ((3, 1), 'bool')
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, KeysView, Mapping
from collections.abc import Set as AbstractSet
from typing import TypeAlias

from .errors import InvalidValue, QueryTypeError

Value: TypeAlias = "str | int | float | bool"
"""A literal value in a predicate: a string, an int (int64), a finite float or a bool."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


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


#: How messages name each value kind (see :func:`value_kind`).
KIND_NAMES = {"str": "a string", "number": "a number", "bool": "a bool", "other": "a value"}


def with_article(noun: str) -> str:
    """``noun`` after "a" or "an", for messages.

    Example:
        >>> with_article("int"), with_article("string field")
        ('an int', 'a string field')
    """
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _at(where: str) -> str:
    return f" in {where}" if where else ""


def short_repr(value: object) -> str:
    """``repr(value)`` for an error message, cut at 80 characters; never raises (a foreign
    value's ``repr`` may).

    Example:
        >>> short_repr("x" * 100)[-5:], short_repr(3)
        ('x...', '3')
    """
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def check_text(value: object, what: str = "a string", where: str = "") -> str:
    """Return ``value`` as a plain ``str`` if it is one UTF-8 can encode, else raise.

    A string subclass (``numpy.str_``) becomes a plain ``str``; a lone surrogate such as
    ``"\\ud800"`` raises :class:`~neuprint_dsl.errors.InvalidValue` (no backend could store
    or match it the same way); anything else raises
    :class:`~neuprint_dsl.errors.QueryTypeError`.

    Example:
        >>> import numpy as np
        >>> type(check_text(np.str_("APL"))).__name__
        'str'
        >>> check_text("\\ud800", "an ROI name")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidValue: invalid value '\\ud800': an ROI name must be valid Unicode, but it holds a lone surrogate ('\\ud800' at index 0)
    """
    if not isinstance(value, str):
        raise QueryTypeError(
            f"{what} must be a str, not {type(value).__name__} {short_repr(value)}{_at(where)}"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidValue(
            f"invalid value {short_repr(value)}{_at(where)}: {what} must be valid Unicode, but it "
            f"holds a lone surrogate ({value[err.start]!r} at index {err.start})"
        ) from None
    return value if type(value) is str else str.__str__(value)


def _missing_marker(value: object) -> bool:
    """None, pandas.NA / NaT or numpy.datetime64('NaT'): a missing value, not a literal."""
    if value is None:
        return True
    pd = sys.modules.get("pandas")
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return True
    np = sys.modules.get("numpy")
    return (
        np is not None
        and isinstance(value, (np.datetime64, np.timedelta64))
        and bool(np.isnat(value))
    )


def check_value(value: object, where: str = "") -> Value:
    """Return ``value`` as a plain Python literal (``str``, ``int``, ``float`` or ``bool``).

    numpy scalars and subclasses of the builtin types become the builtin type (``np.bool_``
    becomes ``bool``, never ``int``). Raises :class:`~neuprint_dsl.errors.InvalidValue` for
    NaN, infinities, ints outside 64 bits, missing values (``None``, ``pandas.NA``) and
    strings with a lone surrogate, and :class:`~neuprint_dsl.errors.QueryTypeError` for
    anything that is not a single literal; ``where`` names the place in messages.

    Example:
        >>> import numpy as np
        >>> check_value(3), check_value(np.float64(2.5)), check_value(np.bool_(True))
        (3, 2.5, True)
        >>> check_value(float("nan"), "N.somaRadius >")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidValue: invalid value nan in N.somaRadius >: a number must be finite, not NaN or an infinity (pandas reads a missing number as NaN: drop it with .dropna())
    """
    cls = type(value)
    if cls is str:
        return check_text(value, "a string value", where)
    if cls is bool:
        return value  # type: ignore[return-value]
    if cls is int:
        return _check_int(value, where)  # type: ignore[arg-type]
    if cls is float:
        return _check_float(value, where)  # type: ignore[arg-type]
    # foreign values: normalize to the builtin type, never keep the foreign object
    np = sys.modules.get("numpy")  # a numpy value means numpy is already imported
    if np is not None and isinstance(value, np.generic):
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return _check_int(int(value), where)
        if isinstance(value, np.floating):
            return _check_float(float(value), where)
        if isinstance(value, np.str_):
            return check_text(str(value), "a string value", where)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _check_int(int(value), where)
    if isinstance(value, float):
        return _check_float(float(value), where)
    if isinstance(value, str):
        return check_text(value, "a string value", where)
    if _missing_marker(value):
        raise InvalidValue(
            f"invalid value {short_repr(value)}{_at(where)}: a missing value is not a literal; test "
            "for missing values with is_null() / not_null() and drop them from lists "
            "(e.g. series.dropna())"
        )
    hint = ""
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)):
        hint = "; for a list of values use isin([...])"
    raise QueryTypeError(
        f"a value must be a str, int, float or bool, not {cls.__name__} {short_repr(value)}"
        f"{_at(where)}{hint}"
    )


def _check_int(value: int, where: str) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidValue(
            f"invalid value {value}{_at(where)}: an int must fit in 64 bits "
            f"({INT64_MIN} to {INT64_MAX})"
        )
    return value


def _check_float(value: float, where: str) -> float:
    if not math.isfinite(value):
        hint = " (pandas reads a missing number as NaN: drop it with .dropna())"
        raise InvalidValue(
            f"invalid value {value!r}{_at(where)}: a number must be finite, not NaN or an "
            f"infinity{hint if math.isnan(value) else ''}"
        )
    return value


def value_items(values: object, where: str = "") -> tuple[list[object], bool]:
    """The elements of a list of values, and whether their order is arbitrary (a set).

    Takes any iterable but a string, bytes or mapping: lists, tuples, ranges, generators,
    dict views, sets, numpy arrays (one-dimensional) and pandas ``Series`` / ``Index``
    (numpy and pandas containers give their elements as Python scalars).

    Example:
        >>> import numpy as np
        >>> value_items(np.array([3, 1]))
        ([3, 1], False)
        >>> value_items({2, 1})[1]
        True
    """
    if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise QueryTypeError(
            f"expected a list of values, not {type(values).__name__} {short_repr(values)}{_at(where)}"
        )
    np = sys.modules.get("numpy")
    if np is not None and isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise QueryTypeError(
                f"expected a one-dimensional list of values, not a {values.ndim}-dimensional "
                f"array of shape {values.shape}{_at(where)}"
            )
        return list(values.tolist()), False
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(values, pd.DataFrame):
        raise QueryTypeError(
            f"expected a list of values, not a DataFrame (iterating it gives its column names)"
            f"{_at(where)}; pass one column, e.g. df['bodyId']"
        )
    if pd is not None and isinstance(values, (pd.Series, pd.Index)):
        if isinstance(values, pd.MultiIndex):
            raise QueryTypeError(f"expected a list of values, not a MultiIndex{_at(where)}")
        return list(values.tolist()), False
    unordered = isinstance(values, AbstractSet) and not isinstance(values, KeysView)
    return list(values), unordered


def _sort_key(value: Value) -> tuple[str, Value]:
    return (value_kind(value), value)


def check_values(values: object, where: str = "") -> tuple[Value, ...]:
    """Validate a homogeneous list of values (all strings, all numbers or all bools).

    Each element goes through :func:`check_value`; a set is sorted so that the query never
    depends on set iteration order.

    Example:
        >>> import numpy as np
        >>> check_values([1, 2.5])
        (1, 2.5)
        >>> check_values(np.array([3, 1]))
        (3, 1)
        >>> check_values({"b", "a"})
        ('a', 'b')
    """
    if type(values) is tuple and values and set(map(type, values)) == {int}:
        # fast path for body id lists: plain ints need only the 64-bit range check
        ints: tuple[int, ...] = values
        if min(ints) >= INT64_MIN and max(ints) <= INT64_MAX:
            return ints
    if type(values) is tuple and all(type(v) in _PLAIN for v in values):
        result = tuple(check_value(v, where) for v in values)  # fast path: already plain
    else:
        items, unordered = value_items(values, where)
        result = tuple(check_value(v, where) for v in items)
        if unordered:
            result = tuple(sorted(result, key=_sort_key))
    kinds = {value_kind(v) for v in result}
    if len(kinds) > 1:
        raise QueryTypeError(
            f"a value list must be homogeneous (all strings, all numbers or all bools), got "
            f"{' and '.join(sorted(kinds))}{_at(where)}: {short_repr(list(result))}"
        )
    return result


_PLAIN = (str, int, float, bool)
