"""The lark side of the text language: the grammar file, the LALR parser (its tables
saved in the cache directory), and lark's errors turned into :class:`QuerySyntaxError`.

:func:`parse_tree` is the only entry the parser needs: text in, lark tree out, or a
:class:`~neuprint_dsl.errors.QuerySyntaxError` with the line, the column, a caret and what
was expected there (never a lark exception).

Example:
    >>> str(parse_tree('type = "KC"').data)
    'compare'
    >>> parse_tree("pre >")
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.QuerySyntaxError: unexpected end of input at line 1, column 6; expected 'false', 'true', a number or a string
      pre >
           ^
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache import cache_dir
from ..errors import QuerySyntaxError
from .lexicon import KEYWORDS

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedInput

GRAMMAR_FILE = "neuprint_dsl.lark"


def grammar_path() -> Path:
    """The grammar file: inside the installed package, else at the source tree's root."""
    package = Path(__file__).parent.parent
    candidates = (
        package / "grammar" / GRAMMAR_FILE,
        package.parent / "grammar" / GRAMMAR_FILE,
    )
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "the neuprint-dsl grammar is missing; looked for "
        + " and ".join(str(p) for p in candidates)
        + " (a broken installation?)"
    )


#: lark's options for the grammar (the cache key includes them)
LARK_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "maybe_placeholders": True,  # optional clauses keep their slot (None when absent)
    "propagate_positions": False,  # positions come from the tokens (3x faster)
}


@functools.cache
def lark_parser() -> Lark:
    """The parser, built once per process. lark's grammar analysis (about a second of CPU)
    is saved in the cache directory (lark's ``cache=``: the file records a hash of the
    grammar, the options and lark's version, and lark rebuilds on any mismatch or unreadable
    file), so the next process loads the tables instead."""
    import lark

    grammar = grammar_path().read_text(encoding="utf-8")
    saved = parser_cache_file(grammar)
    if saved is not None:
        try:
            saved.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            saved = None  # a read-only cache directory only costs each process the build
    return lark.Lark(
        grammar,
        cache=False if saved is None else str(saved),
        lexer_callbacks={"IDENT": refuse_keyword},
        **LARK_OPTIONS,
    )


def parser_cache_file(grammar: str) -> Path | None:
    """Where the parser tables are saved: a file per grammar and Python version (two
    installed versions of neuprint-dsl never overwrite each other's; lark checks the content
    against grammar, options and its own version); None without a home directory."""
    import hashlib
    import sys

    try:
        base = cache_dir()
    except RuntimeError:  # no home directory to put ~/.cache in
        return None
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    major, minor = sys.version_info[:2]
    return base / "parser" / f"grammar-{digest}-py{major}{minor}.lark"


class KeywordAsName(Exception):
    """A keyword where the lexer wanted a name (see :func:`refuse_keyword`)."""

    def __init__(self, token: Token) -> None:
        self.token = token


def refuse_keyword(token: Token) -> Token:
    """lark's callback for names: the contextual lexer reads a keyword as a name where no
    keyword can go (``and and``); a keyword is never a bare field name, so say so at the
    keyword itself."""
    if token.lower() in KEYWORDS:
        raise KeywordAsName(token)
    return token


def parse_tree(text: str) -> Tree[Token]:
    """lark's tree of ``text``; any error in the text raises :class:`QuerySyntaxError`."""
    from lark.exceptions import UnexpectedInput

    try:
        return lark_parser().parse(text)
    except UnexpectedInput as err:
        raise _lark_error(err, text) from None
    except KeywordAsName as err:
        word = str(err.token)
        raise QuerySyntaxError(
            f"unexpected keyword {word!r} (write `{word}` in backticks for a field of that name)",
            text,
            err.token.line or 1,
            err.token.column or 1,
        ) from None


_TERMINAL_NAMES = {
    "IDENT": "a field name",
    "QIDENT": "a field name",
    "STRING": "a string",
    "NUMBER": "a number",
    "EQ": "'='",
    "EQEQ": "'=='",
    "NE": "'!='",
    "LTGT": "'<>'",
    "LT": "'<'",
    "LE": "'<='",
    "GT": "'>'",
    "GE": "'>='",
    "MATCH": "'=~'",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "LSQB": "'['",
    "_RSQB": "']'",
    "_COMMA": "','",
    "IN_ROIS": "'in rois'",
    "LABEL_PAIR": "'neurons to segments'",
    "_ROI": "'roi'",
    "SYNAPSE_CONNECTIONS": "'synapse connections'",
    "ALL_ROIS": "'all rois'",
    "MIN_WEIGHT": "'min weight'",
    "WITH_CLOSEST": "'with closest mitochondria'",
    "_GROUP": "'group'",
    "$END": "end of input",
    "<END-OF-FILE>": "end of input",
    **{prefix + word.upper(): f"'{word}'" for word in KEYWORDS for prefix in ("", "_")},
}
_IGNORED_TERMINALS = frozenset({"WS"})


def _expected(names: Iterable[str] | None) -> list[str]:
    friendly = {
        _TERMINAL_NAMES.get(name, name.strip("_").lower())
        for name in names or ()
        if name not in _IGNORED_TERMINALS
    }
    return sorted(friendly)


def end_position(text: str) -> tuple[int, int]:
    """Just past the last character, not counting trailing line breaks (1-based)."""
    body = text.rstrip("\r\n")
    line = body.count("\n") + 1
    return line, len(body) - (body.rfind("\n") + 1) + 1


def _describe_token(token: Token) -> str:
    shown = str(token) if len(token) <= 40 else token[:37] + "..."
    if token.type == "STRING":
        return f"string {shown}"
    if token.type == "NUMBER":
        return f"number {shown}"
    if token.type == "IDENT":
        return f"name '{shown}'"
    if token.type == "QIDENT":
        return f"name {shown}"
    return f"'{shown}'"


def _lark_error(err: UnexpectedInput, text: str) -> QuerySyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        token = err.token
        reason = f"unexpected {_describe_token(token)}"
        expected = _expected(_accepted_at(text, token.start_pos or 0))
        return QuerySyntaxError(reason, text, token.line, token.column, expected)
    if isinstance(err, UnexpectedCharacters):
        position = err.pos_in_stream or 0
        char = text[position]
        if char in "\"'":
            reason = "unterminated string (a string ends on its line; write a line break as \\n)"
            expected = [f"a closing {char}"]
        elif char == "`":
            empty = text[position + 1 : position + 2] == "`"
            reason = "empty quoted name" if empty else "unterminated quoted name"
            expected = ["a field name"] if empty else ["a closing `"]
        else:
            reason = f"unexpected character {char!r}"
            expected = _expected(_accepted_at(text, position))
        return QuerySyntaxError(reason, text, err.line, err.column, expected)
    expected = _expected(_accepted_at(text, len(text)))
    return QuerySyntaxError("unexpected end of input", text, *end_position(text), expected)


def _accepted_at(text: str, position: int) -> set[str]:
    """The terminals the parser accepts at ``position``, where the parse failed.

    The failed parse's own expected set is not enough: LALR may reduce before it notices an
    error, leaving a state that expects less than the text allowed (only ')' after
    ``(type = "x"``, without 'and' and 'or'). Replay the tokens up to ``position``, stop
    before feeding the bad one, and ask the parser what it would accept there.
    """
    from lark.exceptions import UnexpectedInput

    interactive = lark_parser().parse_interactive(text)
    try:
        for token in interactive.iter_parse():  # yields each token before feeding it
            if (token.start_pos or 0) >= position:
                break
    except UnexpectedInput:  # a lexer error at ``position``: nothing there was consumed
        pass
    return set(interactive.accepts())  # type: ignore[no-untyped-call]
