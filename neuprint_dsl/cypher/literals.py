"""Cypher literals and identifiers, quoted so that no value can break out.

String literals are single-quoted. Backslash, quote and every character that is not
printable are escaped (``\\n``, ``\\uXXXX``, ``\\UXXXXXXXX``); printable text stays readable.
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

_SIMPLE_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_NEEDS_ESCAPE = re.compile(r"[\\'\x00-\x1f\x7f-\x9f]")
_NEEDS_ESCAPE_COLON = re.compile(r"[\\':\x00-\x1f\x7f-\x9f]")
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


def _escape_char(ch: str, escape_colon: bool) -> str:
    simple = _SIMPLE_ESCAPES.get(ch)
    if simple is not None:
        return simple
    if ch == ":" and escape_colon:
        return "\\u003A"
    if ch.isprintable():
        return ch
    code = ord(ch)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def quote_string(value: str, *, escape_colon: bool = True) -> str:
    """A single-quoted Cypher string literal that reads back as exactly ``value``.

    Example:
        >>> print(quote_string("line\\nbreak"))
        'line\\nbreak'
    """
    pattern = _NEEDS_ESCAPE_COLON if escape_colon else _NEEDS_ESCAPE
    if value.isprintable() and pattern.search(value) is None:
        return f"'{value}'"
    return "'" + "".join(_escape_char(ch, escape_colon) for ch in value) + "'"


def render_number(value: int | float) -> str:
    """A Cypher number literal (floats always keep a ``.`` or an exponent).

    Example:
        >>> render_number(3), render_number(2.0), render_number(1e100)
        ('3', '2.0', '1.0e100')
    """
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} as a Cypher literal")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{int(exponent)}"
    return text


def render_literal(value: object, *, escape_colon: bool = True) -> str:
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
        return quote_string(value, escape_colon=escape_colon)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_literal(v, escape_colon=escape_colon) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a Cypher literal")


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
