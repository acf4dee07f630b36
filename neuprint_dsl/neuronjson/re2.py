"""Go RE2 patterns, read as RE2 reads them, run with Python's ``re``: what DVID's ``re/``
values mean when the local evaluator (:mod:`neuprint_dsl.neuronjson.rules`) matches records.

Layer L2 (inside ``neuronjson``). May import: L0 (errors).

Example:
    >>> re2_to_python("a$")
    'a\\\\Z'
"""

from __future__ import annotations

import re

from ..errors import CapabilityError

__all__ = ["compile_re2", "re2_to_python"]


def compile_re2(pattern: str) -> re.Pattern[str] | None:
    """Compile a Go RE2 pattern for Python with RE2's meaning, or ``None`` where RE2 would
    refuse it (DVID then matches the text literally): see :func:`re2_to_python`.

    Example:
        >>> compile_re2("^mb(?i)on").search("mbON") is not None, compile_re2("(?=x)")
        (True, None)
    """
    if _RE2_REFUSES.search(pattern):
        return None
    try:
        return re.compile(re2_to_python(pattern))
    except (re.error, _NotRe2, IndexError):  # IndexError: the pattern ends too early
        return None


class _NotRe2(Exception):
    """The pattern is not valid RE2 syntax."""


# constructs RE2 does not compile (outside a character class, roughly): look-around,
# back-references, \Z, \u/\U escapes, atomic groups, conditionals and comments (a
# possessive or doubled quantifier is refused by re2_to_python)
_RE2_REFUSES = re.compile(r"\(\?[=!]|\(\?<[=!]|\(\?>|\(\?\(|\(\?#|(?<!\\)\\[1-9]|(?<!\\)\\[ZuU]")
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
# RE2's Perl classes are ASCII; inside a class as items, outside as a class
_PERL_CLASSES = {
    "d": "0-9",
    "D": "\\x00-/:-\\U0010ffff",
    "w": "0-9A-Za-z_",
    "W": "\\x00-/:-@\\[-^`{-\\U0010ffff",
    "s": "\\t\\n\\f\\r ",
    "S": "\\x00-\\x08\\x0b\\x0e-\\x1f!-\\U0010ffff",
}
_WORD = "[0-9A-Za-z_]"
_RE2_ESCAPES = {"a": "\x07", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\x0b"}
_RE2_QUANTIFIER = re.compile(r"\{(\d+)(?:,(\d*))?\}")
# characters Python's case folding relates but RE2's simple case folding does not
_PYTHON_ONLY_FOLDS = {"i": "[Ii]", "I": "[Ii]", "\u0130": "\u0130", "\u0131": "\u0131"}


def re2_to_python(pattern: str) -> str:
    """A Python pattern (compiled without flags) that means what RE2 reads in ``pattern``.

    RE2's inline flags (``(?i)`` anywhere, scoped to the rest of its group) are resolved
    character by character, so no flag reaches Python: a case-insensitive literal becomes
    ``(?i:x)`` (Unicode folding, like RE2's), ``$`` without ``m`` is ``\\Z``, ``\\d``/``\\w``/
    ``\\s``/``\\b`` are RE2's ASCII classes (``\\s`` without ``\\v``; ``\\B`` matches the empty
    text). ``\\Q...\\E``, POSIX classes and ``\\x{...}`` are read as RE2 reads them. Raises
    ``_NotRe2`` for syntax RE2 refuses and :class:`~neuprint_dsl.errors.CapabilityError` for RE2 syntax this evaluator
    cannot run (``\\p`` Unicode classes, ``\\C``, the ``U`` flag).

    Example:
        >>> re2_to_python("x(?i)k$")
        'x(?i:k)\\\\Z'
    """
    if "\\p" in pattern or "\\P" in pattern or "\\C" in pattern:
        raise CapabilityError(
            f"RE2's Unicode classes (\\p, \\P, \\C) in {pattern!r}",
            "the local neuronjson evaluator",
            ("a DVID server",),
        )
    out: list[str] = []
    flags: list[frozenset[str]] = [frozenset()]
    i, n = 0, len(pattern)
    quantified = 0  # 1 after a quantifier, 2 after a lazy one

    def emit_atom(text: str) -> None:
        out.append(f"(?i:{text})" if "i" in flags[-1] else text)

    def emit_class(body: str, negated: bool) -> None:
        if "i" not in flags[-1]:
            out.append(f"[{'^' if negated else ''}{body}]")
            return
        # RE2 folds the positive class, then negates it; Python's folding also relates
        # İ and ı to i and I, RE2's does not
        folded = f"(?![\u0130\u0131])(?i:[{body}])|[{body}]"
        out.append(f"(?:(?!{folded})(?s:.))" if negated else f"(?:{folded})")

    def emit_char(char: str) -> None:
        if "i" in flags[-1] and char in _PYTHON_ONLY_FOLDS:
            out.append(_PYTHON_ONLY_FOLDS[char])
        else:
            emit_atom(re.escape(char))

    while i < n:
        c = pattern[i]
        was_quantified, quantified = quantified, 0
        if c == "\\":
            if i + 1 >= n:
                raise _NotRe2("trailing backslash")
            e = pattern[i + 1]
            if e == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                for char in literal:
                    emit_char(char)
                i = n if end < 0 else end + 2
                continue
            if e == "E":  # a stray \E is ignored
                i += 2
                continue
            if e in "dDwWsS":  # Go folds the positive class, then negates it
                emit_class(_PERL_CLASSES[e.lower()], negated=e.isupper())
            elif e == "b":
                out.append(f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))")
            elif e == "B":
                out.append(f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))")
            elif e == "A":
                out.append("\\A")
            elif e == "z":
                out.append("\\Z")
            else:
                char, i = _re2_char(pattern, i)
                emit_char(char)
                continue
            i += 2
            continue
        if c == "[":
            body, negated, i = _re2_class(pattern, i)
            emit_class(body, negated)
            continue
        if c == "(":
            if pattern.startswith("(?", i):
                m = re.compile(r"\(\?(?:P?<[A-Za-z0-9_]+>|([imsU]*)(?:-([imsU]*))?([:)]))").match(
                    pattern, i
                )
                if m is None:
                    raise _NotRe2("bad group")
                if m.group(3) is None:  # a named group
                    flags.append(flags[-1])
                    out.append("(")
                else:
                    on, off = m.group(1) or "", m.group(2) or ""
                    if "U" in on + off:
                        raise CapabilityError(
                            f"RE2's U flag in {pattern!r}",
                            "the local neuronjson evaluator",
                            ("a DVID server",),
                        )
                    new = (flags[-1] | set(on)) - set(off)
                    if m.group(3) == ")":
                        flags[-1] = new
                    else:
                        flags.append(new)
                        out.append("(?:")
                i = m.end()
                continue
            flags.append(flags[-1])
            out.append("(")
            i += 1
            continue
        if c == ")":
            if len(flags) == 1:
                raise _NotRe2("unbalanced )")
            flags.pop()
            out.append(")")
        elif c == "{":
            m = _RE2_QUANTIFIER.match(pattern, i)
            if m is None:
                out.append("\\{")  # not a repeat: a literal brace in RE2
            else:
                if was_quantified or any(int(v) > 1000 for v in m.groups() if v):
                    raise _NotRe2("bad repetition")
                out.append(m.group(0))
                quantified = 1
                i = m.end()
                continue
        elif c == ".":
            out.append("(?s:.)" if "s" in flags[-1] else "[^\\n]")
        elif c == "^":
            out.append("(?m:^)" if "m" in flags[-1] else "\\A")
        elif c == "$":
            out.append("(?m:$)" if "m" in flags[-1] else "\\Z")
        elif c in "*+?":
            if was_quantified == 1 and c == "?":
                quantified = 2  # lazy
            elif was_quantified:
                raise _NotRe2("bad repetition operator")  # a**, possessive a*+
            else:
                quantified = 1
            out.append(c)
        elif c == "|":
            out.append(c)
        else:
            emit_char(c)
        i += 1
    if len(flags) != 1:
        raise _NotRe2("missing )")
    return "".join(out)


def _re2_char(pattern: str, i: int) -> tuple[str, int]:
    """The character an escape at ``pattern[i]`` (a backslash) stands for, and the index
    after it."""
    e = pattern[i + 1]
    if e in _RE2_ESCAPES:
        return _RE2_ESCAPES[e], i + 2
    if e == "x":
        if pattern.startswith("{", i + 2):
            end = pattern.find("}", i + 3)
            digits = pattern[i + 3 : end] if end > 0 else ""
            if not re.fullmatch(r"[0-9A-Fa-f]+", digits) or int(digits, 16) > 0x10FFFF:
                raise _NotRe2("bad \\x{...}")
            return chr(int(digits, 16)), end + 1
        digits = pattern[i + 2 : i + 4]
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
            raise _NotRe2("bad \\x")
        return chr(int(digits, 16)), i + 4
    if e == "0":
        m = re.compile(r"0[0-7]{0,2}").match(pattern, i + 1)
        assert m is not None
        return chr(int(m.group(0), 8)), m.end()
    if e.isascii() and e.isalnum():
        raise _NotRe2(f"invalid escape \\{e}")
    return e, i + 2


def _re2_class(pattern: str, i: int) -> tuple[str, bool, int]:
    """An RE2 character class at ``pattern[i]``: the body of a Python class, whether it is
    negated, and the index after it."""
    out = []
    i += 1
    negated = pattern.startswith("^", i)
    if negated:
        i += 1
    first = True
    while True:
        if i >= len(pattern):
            raise _NotRe2("missing ]")
        c = pattern[i]
        if c == "]" and not first:
            break
        first = False
        if pattern.startswith("[:", i):
            close = pattern.find(":]", i)
            name = pattern[i + 2 : close] if close > 0 else ""
            if name in _POSIX:
                out.append(_POSIX[name])
                i = close + 2
                continue
            if name.startswith("^") and name[1:] in _POSIX:
                raise CapabilityError(
                    f"negated POSIX classes in {pattern!r}",
                    "the local neuronjson evaluator",
                    ("a DVID server",),
                )
        if c == "\\" and pattern[i + 1 : i + 2] in tuple("dDwWsS"):
            out.append(_PERL_CLASSES[pattern[i + 1]])
            i += 2
            continue
        if c == "\\":
            char, i = _re2_char(pattern, i)
        else:
            char, i = c, i + 1
        out.append(re.escape(char) if char not in "-" else "\\-")
        if pattern.startswith("-", i) and not pattern.startswith("-]", i):
            i += 1
            if pattern[i] == "\\":
                high, i = _re2_char(pattern, i)
            else:
                high, i = pattern[i], i + 1
            if high < char:
                raise _NotRe2("bad range")
            out.append("-" + re.escape(high))
    return "".join(out), negated, i + 1
