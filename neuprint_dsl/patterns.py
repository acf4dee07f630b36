"""Validation of regular expressions against the portable subset (DESIGN section 3).

A pattern must compile in Python ``re`` and use only syntax that Go RE2 (DVID, Ladybug),
Java (Neo4j) and Python (the reference interpreter) read the same way. Rejected, with the
position: look-around, back-references and octal escapes, named groups, atomic groups,
possessive quantifiers, conditionals, comments, the ``x``/``a``/``u``/``L`` flags, ``\\Z``,
``\\z``, ``\\u``/``\\U``/``\\N`` escapes, ``\\v``/``\\e``, nested or intersected character
classes, and ``{`` that is not a complete ``{n}``, ``{n,}`` or ``{n,m}`` quantifier.

Example:
    >>> check_pattern("MBON[0-9]+")
    >>> check_pattern("(?<=a)b")
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.InvalidPattern: invalid pattern '(?<=a)b' at position 0: look-behind is not portable (RE2 has no look-around)
      (?<=a)b
      ^
"""

from __future__ import annotations

import functools
import re

from .errors import InvalidPattern

#: Flags the reference interpreter uses: ASCII classes (``\\d``, ``\\w``, ``\\s``, ``\\b``), as
#: in RE2 and Java.
BASE_FLAGS = re.ASCII

_ALLOWED_LETTER_ESCAPES = set("dDwWsSbBAfnrta")
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000  # RE2's limit


def check_pattern(pattern: str) -> None:
    """Raise :class:`InvalidPattern` unless ``pattern`` is a valid, portable regex.

    Example:
        >>> check_pattern("KC(ab|g)-.*")
    """
    if not isinstance(pattern, str):
        raise TypeError(f"a pattern must be a str, not {type(pattern).__name__}")
    _scan(pattern)
    try:
        re.compile(pattern, BASE_FLAGS)
    except re.error as err:
        raise InvalidPattern(pattern, err.pos or 0, err.msg) from None


@functools.lru_cache(maxsize=4096)
def compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """The compiled Python form of a checked pattern, as the reference interpreter uses it."""
    return re.compile(pattern, BASE_FLAGS | (re.IGNORECASE if ignore_case else 0))


def _fail(pattern: str, pos: int, reason: str) -> InvalidPattern:
    return InvalidPattern(pattern, pos, reason)


def _scan(p: str) -> None:
    i, n = 0, len(p)
    in_class = False
    class_start = -1
    prev_quantifiable = False  # whether the previous item can take a quantifier
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise _fail(p, i, "trailing backslash")
            e = p[i + 1]
            if e.isdigit():
                raise _fail(p, i, "back-references and octal escapes are not portable")
            if e in "kg":
                raise _fail(p, i, "named back-references are not portable")
            if e in "zZ":
                raise _fail(p, i, f"\\{e} is not portable; use $ (end of text)")
            if e in "uUN":
                raise _fail(
                    p,
                    i,
                    f"\\{e} escapes are not portable (RE2 lacks them); write the character itself",
                )
            if e in "ve":
                raise _fail(p, i, f"\\{e} means different things in Java, RE2 and Python")
            if e == "x":
                if not re.fullmatch(r"[0-9a-fA-F]{2}", p[i + 2 : i + 4]):
                    raise _fail(p, i, "\\x must be followed by exactly two hex digits")
                i += 4
                prev_quantifiable = not in_class
                continue
            if e.isascii() and e.isalpha() and e not in _ALLOWED_LETTER_ESCAPES:
                raise _fail(p, i, f"unknown or non-portable escape \\{e}")
            if in_class and e in "bAB":
                raise _fail(p, i, f"\\{e} inside a character class is not portable")
            i += 2
            prev_quantifiable = not in_class and e not in "bBA"
            continue
        if in_class:
            if c == "[":
                raise _fail(p, i, "nested character classes are not portable; escape [ as \\[")
            if c == "&" and p.startswith("&&", i):
                raise _fail(p, i, "class intersection && is not portable")
            if c == "]" and i > class_start:
                in_class = False
                prev_quantifiable = True
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 1
            if i < n and p[i] == "^":
                i += 1
            # a ']' right after '[' or '[^' is a literal in all three engines
            class_start = i + 1 if i < n and p[i] == "]" else i
            if i < n and p[i] == "]":
                i += 1
            continue
        if c == "(":
            _check_group(p, i)
            i += 1
            if p.startswith("?", i):  # (?:  (?flags:  (?flags)  -- validated by _check_group
                i += 1
                while p[i] in "ims-":
                    i += 1
                i += 1  # the ':' or ')'
            prev_quantifiable = False
            continue
        if c in "*+?":
            if not prev_quantifiable:
                raise _fail(p, i, f"nothing to repeat before {c!r}")
            if i + 1 < n and p[i + 1] == "+":
                raise _fail(p, i + 1, "possessive quantifiers are not portable")
            i += 2 if i + 1 < n and p[i + 1] == "?" else 1
            prev_quantifiable = False
            continue
        if c == "{":
            m = _QUANTIFIER.match(p, i)
            if m is None:
                raise _fail(
                    p,
                    i,
                    "'{' must start a complete {n}, {n,} or {n,m} quantifier; escape it as \\{",
                )
            if not prev_quantifiable:
                raise _fail(p, i, "nothing to repeat before '{'")
            low = int(m.group(1))
            high = m.group(3)
            if low > _MAX_REPEAT or (high and int(high) > _MAX_REPEAT):
                raise _fail(p, i, f"repeat counts above {_MAX_REPEAT} are not portable")
            if high and int(high) < low:
                raise _fail(p, i, "bad repeat range: max is below min")
            i = m.end()
            if i < n and p[i] == "+":
                raise _fail(p, i, "possessive quantifiers are not portable")
            if i < n and p[i] == "?":
                i += 1
            prev_quantifiable = False
            continue
        if c == "}":
            raise _fail(p, i, "unbalanced '}'; escape it as \\}")
        prev_quantifiable = c not in "|^$)"
        if c == ")":
            prev_quantifiable = True
        i += 1
    if in_class:
        raise _fail(p, class_start - 1 if class_start > 0 else 0, "unterminated character class")


def _check_group(p: str, i: int) -> None:
    rest = p[i + 1 : i + 4]
    if not rest.startswith("?"):
        return
    if rest.startswith("?<=") or rest.startswith("?<!"):
        raise _fail(p, i, "look-behind is not portable (RE2 has no look-around)")
    if rest.startswith("?=") or rest.startswith("?!"):
        raise _fail(p, i, "look-ahead is not portable (RE2 has no look-around)")
    if rest.startswith("?P") or rest.startswith("?<") or rest.startswith("?'"):
        raise _fail(p, i, "named groups are not portable; use (...) or (?:...)")
    if rest.startswith("?>"):
        raise _fail(p, i, "atomic groups are not portable")
    if rest.startswith("?#"):
        raise _fail(p, i, "inline comments are not portable")
    if rest.startswith("?("):
        raise _fail(p, i, "conditional groups are not portable")
    j = i + 2
    while j < len(p) and p[j] in "ims-":
        j += 1
    if j >= len(p):
        raise _fail(p, i, "unterminated group")
    if p[j] not in ":)":
        raise _fail(p, j, f"inline flag {p[j]!r} is not portable (only i, m and s are)")
