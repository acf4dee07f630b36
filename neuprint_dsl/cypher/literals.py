"""Cypher literals and identifiers, quoted so that no value can break out.

String literals are single-quoted. Backslash, quote and every character that is not
printable are escaped (``\\n``, ``\\uXXXX``; a character outside the Basic Multilingual Plane
as its UTF-16 surrogate pair ``\\uD83D\\uDE00``); printable text stays readable. These are the
only escapes Neo4j's Cypher 5 reads (its reader replaces ``\\uXXXX`` before lexing; the AST
builder decodes ``\\\\ \\' \\" \\b \\f \\n \\r \\t`` and keeps any other escape verbatim), and
``\\uXXXX`` is never used for ``\\``, ``'`` or ``"`` (the reader would turn it into a live quote).
With ``escape_colon=True`` (the neo4j dialect) ``:`` is written ``\\u003A`` because
neuPrintHTTP rewrites ``:Neuron``-like text anywhere in the query, literals included.

Example:
    >>> print(quote_string("it's a:Neuron"))
    'it\\'s a\\u003ANeuron'
    >>> print(quote_identifier("MB(R)"), quote_identifier("bodyId"), quote_identifier("a`b"))
    `MB(R)` bodyId `a``b`
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import InvalidValue, QueryTypeError

_SIMPLE_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Words never written as bare identifiers (Cypher keywords, case-insensitive).
RESERVED = frozenset(
    [
        "all",
        "and",
        "any",
        "as",
        "asc",
        "ascending",
        "by",
        "call",
        "case",
        "contains",
        "copy",
        "count",
        "create",
        "delete",
        "desc",
        "descending",
        "detach",
        "distinct",
        "else",
        "end",
        "ends",
        "exists",
        "false",
        "foreach",
        "from",
        "group",
        "in",
        "is",
        "limit",
        "load",
        "match",
        "merge",
        "none",
        "not",
        "null",
        "on",
        "optional",
        "or",
        "order",
        "remove",
        "return",
        "set",
        "single",
        "skip",
        "starts",
        "then",
        "to",
        "true",
        "union",
        "unwind",
        "when",
        "where",
        "with",
        "xor",
        "yield",
    ]
)


def _escape_char(ch: str, escape_colon: bool, surrogates: bool) -> str:
    simple = _SIMPLE_ESCAPES.get(ch)
    if simple is not None:
        return simple
    if ch == ":" and escape_colon:
        return "\\u003A"
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    if not surrogates:  # Ladybug reads \\U and refuses surrogate escapes
        return f"\\U{code:08X}"
    # Cypher 5 has no \\U escape (Neo4j keeps an unknown escape verbatim): a character
    # outside the BMP is written as its UTF-16 surrogate pair, which Neo4j's reader joins
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"


def quote_string(value: str, *, escape_colon: bool = True, surrogates: bool = True) -> str:
    """A single-quoted Cypher string literal that reads back as exactly ``value``.

    An unprintable character outside the BMP is written as a UTF-16 surrogate pair (Neo4j)
    or, with ``surrogates=False``, as ``\\UXXXXXXXX`` (Ladybug).

    Example:
        >>> print(quote_string("line\\nbreak"))
        'line\\nbreak'
        >>> print(quote_string("tag\\U000E0001"), quote_string("\\U000E0001", surrogates=False))
        'tag\\uDB40\\uDC01' '\\U000E0001'
    """
    if value.isprintable():
        # printable text needs only the quote, the backslash (and ':') escaped
        if "'" in value or "\\" in value or (escape_colon and ":" in value):
            return "'" + value.translate(_PRINTABLE_ESCAPES[escape_colon]) + "'"
        return "'" + value + "'"
    return "'" + "".join(_escape_char(ch, escape_colon, surrogates) for ch in value) + "'"


#: ``str.translate`` tables for printable text, by ``escape_colon`` (the only characters of
#: printable text that :func:`_escape_char` changes)
_PRINTABLE_ESCAPES: dict[bool, dict[int, str]] = {
    False: {ord("\\"): "\\\\", ord("'"): "\\'"},
    True: {ord("\\"): "\\\\", ord("'"): "\\'", ord(":"): "\\u003A"},
}


@functools.lru_cache(maxsize=8)
def literal_renderer(
    *, escape_colon: bool = True, surrogates: bool = True
) -> Callable[[object], str]:
    """A one-argument :func:`render_literal` with these options, quicker on plain strings,
    ints and id lists (what ``CypherStatement.inline`` renders most).

    Example:
        >>> render = literal_renderer(escape_colon=False)
        >>> render("a:b"), render(7), render([1, 2]), render(2.0)
        ("'a:b'", '7', '[1, 2]', '2.0')
    """

    table = _PRINTABLE_ESCAPES[escape_colon]

    def render(value: Any) -> str:
        cls = type(value)
        if cls is str:
            text: str = value
            if text.isprintable():  # quote_string's first case, inline
                if "'" in text or "\\" in text or (escape_colon and ":" in text):
                    return "'" + text.translate(table) + "'"
                return "'" + text + "'"
            return quote_string(text, escape_colon=escape_colon, surrogates=surrogates)
        if cls is int:
            return int.__repr__(value)
        return render_literal(value, escape_colon=escape_colon, surrogates=surrogates)

    # CypherStatement.inline writes plain strings itself when it knows this (quote_string's
    # first case: printable, no quote, backslash or escaped colon)
    render.escape_colon = escape_colon  # type: ignore[attr-defined]
    return render


def render_number(value: int | float) -> str:
    """A Cypher number literal (floats always keep a ``.`` or an exponent).

    Example:
        >>> render_number(3), render_number(2.0), render_number(1e100)
        ('3', '2.0', '1.0e100')
    """
    if isinstance(value, bool):
        raise QueryTypeError("bool is not a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise InvalidValue(f"cannot write {value!r} as a Cypher literal")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{int(exponent)}"
    return text


def render_literal(value: object, *, escape_colon: bool = True, surrogates: bool = True) -> str:
    """Any literal value: string, number, bool, ``None`` or a list of those.

    Example:
        >>> print(render_literal(["a", 1, True, None]))
        ['a', 1, true, null]
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return render_number(value)
    if isinstance(value, str):
        return quote_string(value, escape_colon=escape_colon, surrogates=surrogates)
    if isinstance(value, (list, tuple)):
        if all_plain_ints(value):  # long id lists: one join instead of a call per value
            return "[" + ", ".join(map(str, value)) + "]"
        items = (render_literal(v, escape_colon=escape_colon, surrogates=surrogates) for v in value)
        return "[" + ", ".join(items) + "]"
    raise QueryTypeError(f"cannot write {type(value).__name__} {value!r} as a Cypher literal")


def all_plain_ints(values: Sequence[object]) -> bool:
    """True if every item is exactly an ``int`` (not a ``bool`` or another int subclass).

    Example:
        >>> all_plain_ints([1, 2]), all_plain_ints([1, True]), all_plain_ints([])
        (True, False, True)
    """
    return set(map(type, values)) <= {int}


@functools.lru_cache(maxsize=4096)
def is_plain_identifier(name: str) -> bool:
    """True if ``name`` can be written without backticks.

    Example:
        >>> is_plain_identifier("bodyId"), is_plain_identifier("MB(R)"), is_plain_identifier("order")
        (True, False, False)
    """
    return _PLAIN_IDENTIFIER.match(name) is not None and name.lower() not in RESERVED


@functools.lru_cache(maxsize=4096)
def quote_identifier(name: str) -> str:
    """An identifier, backticked (with doubled backticks) unless it is plain.

    Example:
        >>> quote_identifier("b'L(R)")
        "`b'L(R)`"
    """
    if is_plain_identifier(name):
        return name
    return "`" + name.replace("`", "``") + "`"


# ---------------------------------------------------------------------------------------
# exact number comparisons (docs/semantics.md, "Numbers")

#: Every int of at most this magnitude is exactly a double.
EXACT_DOUBLE_INT = 2**53
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})


def exact_number_comparison(
    op: str,
    value: int | float,
    kind: str | None,
    *,
    engine: str = "neo4j",
) -> tuple[str, int | float] | None:
    """An ``(op, value)`` that ``engine`` compares exactly, with the meaning of
    ``x <op> value`` under the DSL's exact rules, or ``None`` when no number of that ``kind``
    satisfies it.

    Below 2**53 every engine is exact. Beyond it, Ladybug compares an int with a float as
    doubles, and Neo4j's ``NumberValues`` orders them through ``BigDecimal`` of the double's
    shortest text (its int = float is exact, except that ``(long) 2.0**63`` saturates to
    ``Long.MAX_VALUE``). ``kind`` is the property's kind (``"int"``, ``"float"`` or ``None``
    when unknown); ``engine`` is ``"neo4j"`` or ``"ladybug"`` (any other name gets the
    intersection of both). Raises :class:`InvalidValue` when the comparison cannot be made
    exact without knowing the kind.

    Example:
        >>> exact_number_comparison(">", 2.5, "int")  # below 2**53 every engine is exact
        ('>', 2.5)
        >>> exact_number_comparison(">", 2.0**60, "int"), exact_number_comparison("=", 2.0**64, "int")
        (('>', 1152921504606846976), None)
        >>> exact_number_comparison("=", 2**53 + 1, "float") is None
        True
        >>> exact_number_comparison(">", 2**53 + 1, "float")
        ('>=', 9007199254740994.0)
    """
    if isinstance(value, float):
        if value == 0:
            value = 0.0  # -0.0 and 0.0 are the same number
        if abs(value) < EXACT_DOUBLE_INT or kind == "float":
            return op, value  # no int that the engines round differently lies this close
        if kind == "int":
            return _int_bound(op, value)
        # |value| >= 2**53, so it is integral; the property may hold ints or floats
        if -(2.0**63) <= value < 2.0**63:
            # the same number as an int: int = int and float = (that int as a double) are
            # exact everywhere; Neo4j orders a float against a big int inexactly
            if op == "=" or engine == "ladybug":
                return op, int(value)
        elif value != 2.0**63 and (op == "=" or engine == "ladybug"):
            # beyond every int64: no int equals it on any engine (Neo4j saturates the cast
            # only at 2.0**63 itself), and Ladybug's doubles order ints on the right side
            return op, value
        raise InvalidValue(
            f"{op} {value!r}: a float of magnitude 2**53 or more compared with a property whose "
            f"kind (int or float) is not known cannot be compared exactly on {engine}; use an "
            "int literal, or compile with a schema that gives the property's kind"
        )
    if abs(value) <= EXACT_DOUBLE_INT or kind == "int":
        return op, value
    if kind == "float":
        return _float_bound(op, value)
    representable = int(float(value)) == value
    if engine == "ladybug" and representable:
        return op, value  # Ladybug's double of this int is the int itself
    if engine == "neo4j" and op == "=" and value != INT64_MAX:
        return op, value  # Neo4j's numbersEqual is exact here
    raise InvalidValue(
        f"{op} {value}: an int of magnitude above 2**53 compared with a property whose kind "
        f"(int or float) is not known cannot be compared exactly on {engine} (it compares "
        "such ints with floats inexactly); compile with a schema that gives the property's kind"
    )


def exact_number_list(
    values: list[int | float], kind: str | None, *, engine: str = "neo4j"
) -> list[int | float]:
    """The values of ``x IN values`` rewritten as :func:`exact_number_comparison` does for
    ``=`` (values no number of that kind can equal are dropped).

    Example:
        >>> exact_number_list([1.0, 2.0**53, 2.0**70], "int")
        [1.0, 9007199254740992]
    """
    if all_plain_ints(values) and (
        kind == "int" or not values or max(map(abs, values)) <= EXACT_DOUBLE_INT
    ):
        return list(values)  # every plain int kept as it is (exact_number_comparison's rule)
    out: list[int | float] = []
    for v in values:
        exact = exact_number_comparison("=", v, kind, engine=engine)
        if exact is not None:
            out.append(exact[1])
    return out


def _int_bound(op: str, value: float) -> tuple[str, int | float] | None:
    """``x <op> value`` for an int ``x`` and an integral or fractional float, as an int test."""
    if op == "=":
        if value.is_integer() and INT64_MIN <= value < 2.0**63:
            return op, int(value)
        return None
    low = op in (">", "<=")  # > f is > floor(f); <= f is <= floor(f); the others use ceil
    bound = math.floor(value) if low else math.ceil(value)
    if op in (">", ">="):
        if bound > INT64_MAX or (op == ">" and bound == INT64_MAX):
            return None
        if bound < INT64_MIN:
            return ">=", INT64_MIN
        return op, bound
    if bound < INT64_MIN or (op == "<" and bound == INT64_MIN):
        return None
    if bound > INT64_MAX:
        return "<=", INT64_MAX
    return op, bound


def _float_bound(op: str, value: int) -> tuple[str, int | float] | None:
    """``x <op> value`` for a float ``x`` and an int beyond 2**53, as a float test."""
    nearest = float(value)
    if int(nearest) == value:
        return op, nearest
    if int(nearest) < value:
        below, above = nearest, math.nextafter(nearest, math.inf)
    else:
        below, above = math.nextafter(nearest, -math.inf), nearest
    if op == "=":
        return None  # no double equals it
    return (">=", above) if op in (">", ">=") else ("<=", below)
