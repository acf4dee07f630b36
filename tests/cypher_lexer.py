"""A small, independent Cypher tokenizer for tests (written from the openCypher/Neo4j
lexical rules, not from the compiler): it decodes string literals and backtick identifiers
so tests can check that every value the compiler inlines reads back exactly and that nothing
escapes its literal."""

from __future__ import annotations

import re
from typing import NamedTuple

_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_SIMPLE = re.compile(
    r"""(?P<ws>\s+)
      | (?P<param>\$[A-Za-z_][A-Za-z0-9_]*)
      | (?P<number>-?(?:\d+\.\d+(?:e-?\d+)?|\d+e-?\d+|\d+))
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<punct><>|<=|>=|=~|->|<-|[-()\[\]{}.,:=<>*+/%|])""",
    re.VERBOSE,
)


class Token(NamedTuple):
    kind: str  # string, ident, quoted_ident, param, number, punct
    value: str
    start: int
    end: int


class LexError(ValueError):
    pass


def _string(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    out: list[str] = []
    j = i + 1
    while True:
        if j >= len(text):
            raise LexError(f"unterminated string starting at {i}")
        ch = text[j]
        if ch == quote:
            return "".join(out), j + 1
        if ch == "\\":
            e = text[j + 1 : j + 2]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                j += 2
            elif e == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[j + 2 : j + 6]):
                out.append(chr(int(text[j + 2 : j + 6], 16)))
                j += 6
            elif e == "U" and re.fullmatch(r"[0-9A-Fa-f]{8}", text[j + 2 : j + 10]):
                out.append(chr(int(text[j + 2 : j + 10], 16)))
                j += 10
            else:
                raise LexError(f"bad escape \\{e} at {j}")
            continue
        if ch in "\n\r":
            raise LexError(f"raw line break inside a string at {j}")
        out.append(ch)
        j += 1


def _backtick(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    j = i + 1
    while True:
        k = text.find("`", j)
        if k < 0:
            raise LexError(f"unterminated backtick identifier at {i}")
        out.append(text[j:k])
        if text.startswith("``", k):
            out.append("`")
            j = k + 2
            continue
        return "".join(out), k + 1


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` (whitespace dropped); raises :class:`LexError` on malformed input."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            value, end = _string(text, i)
            tokens.append(Token("string", value, i, end))
        elif ch == "`":
            value, end = _backtick(text, i)
            tokens.append(Token("quoted_ident", value, i, end))
        else:
            m = _SIMPLE.match(text, i)
            if m is None:
                raise LexError(f"unexpected character {ch!r} at {i}")
            end = m.end()
            kind = m.lastgroup
            assert kind is not None
            if kind != "ws":
                tokens.append(Token(kind, m.group(), i, end))
        i = end
    return tokens
