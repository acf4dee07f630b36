"""Regular expressions: the portable subset (DESIGN section 3) and its per-backend forms.

``matches(p)`` is a full match. A pattern must compile in Python ``re`` and use only syntax
that Go RE2 (DVID, Ladybug), Java (Neo4j) and Python (the reference interpreter) can all be
made to read the same way. Rejected, with the position: lone surrogates, look-around,
back-references and octal escapes, named groups, atomic groups, possessive quantifiers,
conditionals, comments, the ``x``/``a``/``u``/``L`` flags, ``\\Z``, ``\\z``,
``\\u``/``\\U``/``\\N`` escapes, ``\\v``/``\\e``, nested or intersected character classes,
``{`` that is not a complete ``{n}``, ``{n,}`` or ``{n,m}`` quantifier, and a group that holds
``^``, ``$``, ``\\A``, ``\\b`` or ``\\B`` and can match the empty text repeated at least twice
(Java ends such a repetition at its first empty iteration).

An accepted pattern has one meaning (docs/semantics.md, "Regular expressions"):

* ``.`` is any character but ``\\n`` (with the ``s`` flag: any character);
* ``^`` is the start of the text and ``$`` the very end of the text (never before a final
  newline); with the ``m`` flag they are also just after / just before a ``\\n`` (only ``\\n``);
* ``\\d`` = ``[0-9]``, ``\\w`` = ``[0-9A-Za-z_]``, ``\\s`` = ``[\\t\\n\\f\\r ]`` (not ``\\v``);
  ``\\b``/``\\B`` are ASCII word boundaries (``\\B`` matches the empty text);
* ``ignore_case`` (and the ``i`` flag) folds the ASCII letters A-Z only: ``k`` matches ``k``
  and ``K``, never the Kelvin sign; ``é`` does not match ``É``.

The engines disagree on each of these points, so no backend receives the pattern as written:
:func:`translate` rewrites it for each engine into flag-free syntax they all read the same way
(``[Kk]`` instead of a case-insensitive flag, ``[\\t\\n\\f\\r ]`` for ``\\s``, ``[^\\n]`` for
``.`` on Java, ``\\z`` or Python's ``\\Z`` for ``$``, look-around for Java's ``\\b``), and the
reference interpreter runs the ``"python"`` form.

Example:
    >>> check_pattern("MBON[0-9]+")
    >>> check_pattern("(?<=a)b")
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.InvalidPattern: invalid pattern '(?<=a)b' at position 0: look-behind is not portable (RE2 has no look-around)
      (?<=a)b
      ^
    >>> translate("mi1$", ignore_case=True, target="java")
    '[Mm][Ii]1\\\\z'
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from .errors import InvalidArgument, InvalidPattern, QueryTypeError

#: Flags the reference interpreter compiles its (translated, flag-free) patterns with.
BASE_FLAGS = re.ASCII

#: The engines a pattern is translated for: the interpreter (Python ``re``), RE2 (Ladybug's
#: ``=~`` and DVID's ``re/``) and ``java.util.regex`` (Neo4j's ``=~``).
Target = Literal["python", "re2", "java"]
TARGETS: tuple[Target, ...] = ("python", "re2", "java")

_ALLOWED_LETTER_ESCAPES = set("dDwWsSbBAfnrta")
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000  # RE2's limit


def check_pattern(pattern: str) -> None:
    """Raise :class:`InvalidPattern` unless ``pattern`` is a valid, portable regex.

    Example:
        >>> check_pattern("KC(ab|g)-.*")
    """
    if not isinstance(pattern, str):
        raise QueryTypeError(f"a pattern must be a str, not {type(pattern).__name__}")
    for pos, char in enumerate(pattern):
        if "\ud800" <= char <= "\udfff":
            raise _fail(
                pattern,
                pos,
                f"lone surrogate U+{ord(char):04X}: not a character; no engine can match it",
            )
    _scan(pattern)
    try:
        re.compile(pattern, BASE_FLAGS)
    except re.error as err:
        raise InvalidPattern(pattern, err.pos or 0, err.msg) from None
    _Parser(pattern, False).parse()  # the checks that need the structure


@functools.lru_cache(maxsize=4096)
def compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """The compiled Python form of a checked pattern, as the reference interpreter uses it
    (with ``fullmatch``): the ``"python"`` :func:`translate` of the pattern.

    Example:
        >>> compiled("a$", False).fullmatch("a\\n") is None
        True
    """
    return re.compile(translate(pattern, ignore_case, "python"), BASE_FLAGS)


@functools.lru_cache(maxsize=4096)
def translate(pattern: str, ignore_case: bool, target: Target) -> str:
    """``pattern`` rewritten for ``target`` so that a full match there means exactly what it
    means in the DSL (see the module docstring). The result has no flags.

    Raises :class:`InvalidPattern` if the pattern is not portable.

    Example:
        >>> translate(r"a.\\s$", False, "java")
        'a[^\\\\n][\\\\t\\\\n\\\\f\\\\r ]\\\\z'
        >>> translate(r"a.\\s$", False, "re2")
        'a.[\\\\t\\\\n\\\\f\\\\r ]\\\\z'
        >>> translate("K", True, "python")
        '[Kk]'
    """
    if target not in TARGETS:
        raise InvalidArgument(
            f"unknown regex target {target!r}; choose one of {', '.join(TARGETS)}"
        )
    check_pattern(pattern)
    return "".join(_emit(token, target) for token in _Parser(pattern, ignore_case).parse())


def _fail(pattern: str, pos: int, reason: str) -> InvalidPattern:
    return InvalidPattern(pattern, pos, reason)


# ---------------------------------------------------------------------------------------
# parsing a checked pattern (as Python reads it) into flag-free tokens

_MAX_CP = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]
#: a token: ("set", ranges) | ("anchor", kind) | ("open", "(" or "(?:") | ("close", ")")
#: | ("alt", "|") | ("quant", text)
Token = tuple[str, object]


def _normalized(ranges: list[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    next_lo = 0
    for lo, hi in ranges:
        if lo > next_lo:
            out.append((next_lo, lo - 1))
        next_lo = hi + 1
    if next_lo <= _MAX_CP:
        out.append((next_lo, _MAX_CP))
    return tuple(out)


def _ascii_case_closure(ranges: Ranges) -> Ranges:
    extra: list[tuple[int, int]] = []
    for lo, hi in ranges:
        for a, b, shift in ((0x41, 0x5A, 0x20), (0x61, 0x7A, -0x20)):
            if lo <= b and hi >= a:
                extra.append((max(lo, a) + shift, min(hi, b) + shift))
    return _normalized([*ranges, *extra])


_DIGIT: Ranges = ((0x30, 0x39),)
_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE: Ranges = ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20))  # RE2's \s: no \v
_CLASS_ESCAPES: dict[str, Ranges] = {
    "d": _DIGIT,
    "D": _complement(_DIGIT),
    "w": _WORD,
    "W": _complement(_WORD),
    "s": _SPACE,
    "S": _complement(_SPACE),
}
_CHAR_ESCAPES = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "a": 0x07}
_ANY: Ranges = ((0, _MAX_CP),)
_NOT_NEWLINE: Ranges = ((0, 0x09), (0x0B, _MAX_CP))


class _GroupState:
    """What the parser tracks of an open group (for the repetition check)."""

    def __init__(self) -> None:
        self.anchored = False
        self.done_nullable = False
        self.items: list[bool] = []

    def nullable(self) -> bool:
        return self.done_nullable or all(self.items)


class _Parser:
    """Reads a pattern that :func:`check_pattern` accepted, resolving flags as it goes."""

    def __init__(self, pattern: str, ignore_case: bool) -> None:
        self.p = pattern
        self.i = 0
        self.flags: list[frozenset[str]] = [frozenset("i" if ignore_case else "")]
        self.out: list[Token] = []
        # per open group: whether it holds an anchor, whether an alternative finished so far
        # can match the empty text, and which items of the current one can
        self.groups: list[_GroupState] = [_GroupState()]
        self.closed_anchored = False  # whether the group that just closed held an anchor

    def parse(self) -> list[Token]:
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            if c == "(":
                self._group()
            elif c == ")":
                self.flags.pop()
                closed = self.groups.pop()
                self.closed_anchored = closed.anchored
                self.groups[-1].anchored |= closed.anchored
                self.groups[-1].items.append(closed.nullable())
                self.out.append(("close", ")"))
                self.i += 1
            elif c == "|":
                group = self.groups[-1]
                group.done_nullable |= all(group.items)
                group.items = []
                self.out.append(("alt", "|"))
                self.i += 1
            elif c in "*+?":
                end = self.i + 1
                if p.startswith("?", end):
                    end += 1
                if c != "+":
                    self.groups[-1].items[-1] = True
                self.out.append(("quant", p[self.i : end]))
                self.i = end
            elif c == "{":
                m = _QUANTIFIER.match(p, self.i)
                assert m is not None  # check_pattern refused any other '{'
                end = m.end() + (1 if p.startswith("?", m.end()) else 0)
                group = self.groups[-1]
                if (
                    int(m.group(1)) >= 2
                    and self.out[-1][0] == "close"
                    and self.closed_anchored
                    and group.items[-1]
                ):
                    raise _fail(
                        p,
                        self.i,
                        "a group that holds ^, $, \\A, \\b or \\B and can match the empty text, "
                        "repeated at least twice, is not portable (Java ends a repetition at its "
                        "first empty iteration, even below the minimum); write the copies out",
                    )
                if int(m.group(1)) == 0:
                    group.items[-1] = True
                self.out.append(("quant", p[self.i : end]))
                self.i = end
            elif c == "[":
                self.out.append(("set", self._class()))
                self.groups[-1].items.append(False)
            elif c == ".":
                self.out.append(("set", _ANY if "s" in self.flags[-1] else _NOT_NEWLINE))
                self.groups[-1].items.append(False)
                self.i += 1
            elif c in "^$":
                kind = "bol" if c == "^" else "eol"
                self.out.append(("anchor", kind + ("_m" if "m" in self.flags[-1] else "")))
                self._anchor()
                self.i += 1
            elif c == "\\" and p[self.i + 1] in "bBA":
                self.out.append(("anchor", p[self.i + 1]))
                self._anchor()
                self.i += 2
            else:
                self.out.append(("set", self._fold(self._atom())))
                self.groups[-1].items.append(False)
        return self.out

    def _anchor(self) -> None:
        self.groups[-1].anchored = True
        self.groups[-1].items.append(True)

    def _group(self) -> None:
        p = self.p
        if not p.startswith("(?", self.i):
            self.flags.append(self.flags[-1])
            self.groups.append(_GroupState())
            self.out.append(("open", "("))
            self.i += 1
            return
        j = self.i + 2
        while p[j] in "ims-":
            j += 1
        on, _, off = p[self.i + 2 : j].partition("-")
        flags = (self.flags[-1] | set(on)) - set(off)
        if p[j] == ")":  # (?i): Python allows it only at the start, for the whole pattern
            self.flags[-1] = flags
        else:
            self.flags.append(flags)
            self.groups.append(_GroupState())
            self.out.append(("open", "(?:"))
        self.i = j + 1

    def _atom(self) -> Ranges:
        """One character or class escape at ``self.i`` (outside or inside a class)."""
        p = self.p
        c = p[self.i]
        if c != "\\":
            self.i += 1
            return ((ord(c), ord(c)),)
        e = p[self.i + 1]
        if e == "x":
            cp = int(p[self.i + 2 : self.i + 4], 16)
            self.i += 4
            return ((cp, cp),)
        self.i += 2
        if e in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[e]
        cp = _CHAR_ESCAPES.get(e, ord(e))
        return ((cp, cp),)

    def _fold(self, ranges: Ranges) -> Ranges:
        return _ascii_case_closure(ranges) if "i" in self.flags[-1] else ranges

    def _class(self) -> Ranges:
        p = self.p
        self.i += 1
        negated = p.startswith("^", self.i)
        if negated:
            self.i += 1
        items: list[tuple[int, int]] = []
        first = True
        while first or p[self.i] != "]":
            first = False
            start = self._atom()
            if (
                len(start) == 1
                and start[0][0] == start[0][1]
                and p.startswith("-", self.i)
                and p[self.i + 1] != "]"
            ):
                self.i += 1
                end = self._atom()
                items.append((start[0][0], end[0][0]))
            else:
                items.extend(start)
        self.i += 1
        ranges = self._fold(_normalized(items))
        return _complement(ranges) if negated else ranges


# ---------------------------------------------------------------------------------------
# emitting a token for one engine

_W = "[0-9A-Z_a-z]"
_ANCHORS: dict[str, dict[Target, str]] = {
    "bol": {"python": "^", "re2": "^", "java": "^"},
    "eol": {"python": r"\Z", "re2": r"\z", "java": r"\z"},
    "bol_m": {"python": r"(?<![^\n])", "re2": "(?m:^)", "java": r"(?<![^\n])"},
    "eol_m": {"python": r"(?![^\n])", "re2": "(?m:$)", "java": r"(?![^\n])"},
    "A": {"python": r"\A", "re2": r"\A", "java": r"\A"},
    "b": {
        "python": f"(?:(?<={_W})(?!{_W})|(?<!{_W})(?={_W}))",
        "re2": r"\b",
        "java": f"(?:(?<={_W})(?!{_W})|(?<!{_W})(?={_W}))",
    },
    "B": {
        "python": f"(?:(?<={_W})(?={_W})|(?<!{_W})(?!{_W}))",
        "re2": r"\B",
        "java": f"(?:(?<={_W})(?={_W})|(?<!{_W})(?!{_W}))",
    },
}


def _emit(token: Token, target: Target) -> str:
    kind, value = token
    if kind == "anchor":
        assert isinstance(value, str)
        return _ANCHORS[value][target]
    if kind != "set":
        assert isinstance(value, str)
        return value
    assert isinstance(value, tuple)
    ranges: Ranges = value
    if ranges == _ANY:
        return "(?s:.)"
    if ranges == _NOT_NEWLINE and target != "java":  # Java's . also stops at \r, \x85, ...
        return "."
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(ranges[0][0], target)
    complement = _complement(ranges)
    negated = len(complement) < len(ranges) or not ranges
    shown = complement if negated else ranges
    body = "".join(
        _char(lo, target)
        if lo == hi
        else _char(lo, target) + ("" if hi == lo + 1 else "-") + _char(hi, target)
        for lo, hi in shown
    )
    return f"[{'^' if negated else ''}{body}]"


_CONTROL_ESCAPES = {"\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _char(cp: int, target: Target) -> str:
    """One character as a literal, escaped so that every engine reads it the same way, in
    or out of a class (``\\x5c`` for a backslash: Ladybug un-doubles ``\\\\``)."""
    c = chr(cp)
    if cp < 0x80:
        if c.isalnum() or c == "_" or c == " ":
            return c
        if c in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[c]
        if 0x21 <= cp <= 0x7E and c != "\\":
            return "\\" + c
        return f"\\x{cp:02x}"
    if c.isprintable():
        return c
    if target != "python":
        return f"\\x{{{cp:x}}}"
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


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
