"""A small, independent Cypher tokenizer for tests (written from Neo4j's Cypher 5 lexical
rules, not from the compiler): it decodes string literals and backtick identifiers so tests
can check that every value the compiler inlines reads back exactly and that nothing escapes
its literal.

Neo4j's rules (``Cypher5Lexer.g4``, ``UnicodeEscapeReplacementReader``, ``LiteralBuilder``):

* before lexing, every ``\\uXXXX`` not preceded by an escaping backslash is replaced by that
  UTF-16 unit, anywhere in the query (string literals and backtick names included);
* a string literal is ``'...'`` or ``"..."`` where a backslash takes the next character; the
  AST builder decodes ``\\\\ \\' \\" \\b \\f \\n \\r \\t`` and keeps any other escape verbatim
  (so Cypher 5 has no ``\\U``); this lexer is stricter and raises on any other escape;
* the query is a Java (UTF-16) string, so a surrogate pair is one character.

With ``neo4j=False`` it follows Ladybug instead: no replacement before lexing, and ``\\uXXXX``
and ``\\UXXXXXXXX`` are escapes inside string literals.
"""

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
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


class Token(NamedTuple):
    kind: str  # string, ident, quoted_ident, param, number, punct
    value: str
    start: int
    end: int


class LexError(ValueError):
    pass


def unicode_prepass(text: str) -> tuple[str, list[int]]:
    """Neo4j's reader: ``\\uXXXX`` replaced before lexing (unless the backslash is itself
    escaped); returns the new text and, for each of its characters, the source offset (plus
    one final entry, ``len(text)``)."""
    out: list[str] = []
    offsets: list[int] = []
    escaped = False
    i = 0
    while i < len(text):
        c = text[i]
        replaced = not escaped and c == "\\" and text[i + 1 : i + 2] == "u"
        if replaced:
            digits = text[i + 2 : i + 6]
            if not _HEX4.fullmatch(digits):
                raise LexError(f"bad unicode escape at {i}")
            c = chr(int(digits, 16))
        escaped = not escaped and not replaced and c == "\\"
        out.append(c)
        offsets.append(i)
        i += 6 if replaced else 1
    offsets.append(len(text))
    return "".join(out), offsets


def _join_surrogates(value: str) -> str:
    # a Java string is UTF-16: a high + low surrogate is one code point
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _string(text: str, i: int, neo4j: bool) -> tuple[str, int]:
    quote = text[i]
    out: list[str] = []
    j = i + 1
    while True:
        if j >= len(text):
            raise LexError(f"unterminated string starting at {i}")
        ch = text[j]
        if ch == quote:
            value = "".join(out)
            return (_join_surrogates(value) if neo4j else value), j + 1
        if ch == "\\":
            e = text[j + 1 : j + 2]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                j += 2
            elif not neo4j and e == "u" and _HEX4.fullmatch(text[j + 2 : j + 6]):
                out.append(chr(int(text[j + 2 : j + 6], 16)))
                j += 6
            elif not neo4j and e == "U" and re.fullmatch(r"[0-9A-Fa-f]{8}", text[j + 2 : j + 10]):
                out.append(chr(int(text[j + 2 : j + 10], 16)))
                j += 10
            else:
                raise LexError(f"bad escape \\{e} at {j} (Neo4j would keep it verbatim)")
            continue
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


def tokenize(text: str, *, neo4j: bool = True) -> list[Token]:
    """Tokens of ``text`` (whitespace dropped); raises :class:`LexError` on malformed input.
    Token offsets refer to ``text`` as given."""
    source = text
    if neo4j:
        text, offsets = unicode_prepass(text)
    else:
        offsets = list(range(len(text) + 1))
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            value, end = _string(text, i, neo4j)
            raw = [k for k in range(i, end) if text[k] in "\n\r" and source[offsets[k]] == text[k]]
            if raw:
                raise LexError(f"raw line break inside a string at {offsets[raw[0]]}")
            tokens.append(Token("string", value, offsets[i], offsets[end]))
        elif ch == "`":
            value, end = _backtick(text, i)
            tokens.append(Token("quoted_ident", value, offsets[i], offsets[end]))
        else:
            m = _SIMPLE.match(text, i)
            if m is None:
                raise LexError(f"unexpected character {ch!r} at {offsets[i]}")
            end = m.end()
            kind = m.lastgroup
            assert kind is not None
            if kind != "ws":
                tokens.append(Token(kind, m.group(), offsets[i], offsets[end]))
        i = end
    return tokens
