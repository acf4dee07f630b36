"""The error hierarchy of neuprint-dsl (DESIGN section 10).

Every error the library raises on bad input derives from :class:`NeuprintDSLError`, so
``except NeuprintDSLError`` catches them all; each also derives from the builtin class a
Python user would expect (``ValueError`` for bad values, ``LookupError`` for unknown names).

Example:
    >>> from neuprint_dsl import parse, QuerySyntaxError
    >>> try:
    ...     parse("type = ")
    ... except QuerySyntaxError as err:
    ...     print(err.line, err.column)
    1 8
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence


class NeuprintDSLError(Exception):
    """Base class of every error raised by neuprint-dsl."""


def caret_excerpt(text: str, line: int, column: int) -> str:
    """Return line ``line`` of ``text`` with a caret under ``column`` (both 1-based).

    Lines are separated by ``"\\n"`` only, as the parser counts them (a ``"\\r"`` before it is
    the line's last character; other separators such as ``"\\u2028"`` are characters of the
    line). Every character of the line shows as exactly one visible character, so the caret
    stays under the offending one: control characters as their control pictures (``␍``,
    ``␌``, ``␋``), line and paragraph separators as ``␤``, other invisible characters as
    ``�``; a tab shows as a space. Wide characters take two columns, and a long line shows
    a window around the caret between ``…`` marks.

    Example:
        >>> print(caret_excerpt("type = = 3", 1, 8))
          type = = 3
                 ^
        >>> print(caret_excerpt("a\\vb = 1\\r\\nc @", 2, 3))
          c @
            ^
        >>> print(caret_excerpt("a\\vb @", 1, 5))
          a␋b @
              ^
    """
    lines = text.split("\n")
    line = max(1, min(line, len(lines)))
    source = lines[line - 1]
    column = max(1, min(column, len(source) + 1))
    if source.endswith("\r") and column < len(source):
        source = source[:-1]  # the \r of a \r\n line end, when the caret is not on it
    return excerpt_line(source, column - 1)


#: The widest excerpt line shown in full; a longer one is cut around the caret.
EXCERPT_WIDTH = 100


def excerpt_line(source: str, index: int) -> str:
    """``source`` shown on one line (see :func:`caret_excerpt`) with a caret under the
    character at 0-based ``index`` (or just past the end).

    Example:
        >>> print(excerpt_line("a\\nb(", 3))
          a␊b(
             ^
    """
    index = max(0, min(index, len(source)))
    shown = [visible_char(char) for char in source]
    widths = [char_width(char) for char in shown]
    start, end = 0, len(shown)
    if sum(widths) > EXCERPT_WIDTH:
        start = max(0, index - EXCERPT_WIDTH // 2)
        end = start
        used = 0
        while end < len(shown) and used + widths[end] <= EXCERPT_WIDTH:
            used += widths[end]
            end += 1
        while start > 0 and used + widths[start - 1] <= EXCERPT_WIDTH:
            start -= 1
            used += widths[start]
    head = "…" if start > 0 else ""
    tail = "…" if end < len(shown) else ""
    padding = len(head) + sum(widths[start:index])
    return f"  {head}{''.join(shown[start:end])}{tail}\n  {' ' * padding}^"


_LINE_SEPARATORS = frozenset("\x85\u2028\u2029")


def visible_char(char: str) -> str:
    """One visible character standing for ``char`` in an error excerpt.

    Example:
        >>> visible_char("\\r"), visible_char("\\u2028"), visible_char("\\t"), visible_char("é")
        ('␍', '␤', ' ', 'é')
    """
    if char.isprintable():
        return char
    if char == "\t":
        return " "
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ... ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if char in _LINE_SEPARATORS:
        return "\u2424"  # ␤
    if unicodedata.category(char) == "Zs":
        return "\u2423"  # ␣ for a space that is not U+0020
    return "\ufffd"


def char_width(char: str) -> int:
    """Terminal columns a printable character takes: 2 for wide East Asian characters, 0 for
    combining marks, else 1.

    Example:
        >>> char_width("a"), char_width("界"), char_width("\\u0301")
        (1, 2, 0)
    """
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    if unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 1


class QuerySyntaxError(NeuprintDSLError, ValueError):
    """Query text that does not parse, with the position and a caret under the problem.

    Attributes: ``text`` (the whole query), ``line`` and ``column`` (1-based), ``reason``
    (what was wrong) and ``expected`` (human names of what would have been accepted).
    """

    def __init__(
        self,
        reason: str,
        text: str,
        line: int,
        column: int,
        expected: Sequence[str] = (),
    ) -> None:
        self.reason = reason
        self.text = text
        self.line = line
        self.column = column
        self.expected = tuple(expected)
        message = f"{reason} at line {line}, column {column}"
        if self.expected:
            message += f"; expected {_join_alternatives(self.expected)}"
        message += "\n" + caret_excerpt(text, line, column)
        # not super(): in InvalidPatternInQuery the next class in the MRO is InvalidPattern
        Exception.__init__(self, message)


class InvalidPattern(NeuprintDSLError, ValueError):
    """A regular expression that is invalid or outside the portable subset.

    Attributes: ``pattern``, ``position`` (0-based index into the pattern) and ``reason``.
    """

    def __init__(self, pattern: str, position: int, reason: str) -> None:
        self.pattern = pattern
        self.position = position
        self.reason = reason
        super().__init__(
            f"invalid pattern {pattern!r} at position {position}: {reason}\n"
            + excerpt_line(pattern, position)
        )


class InvalidPatternInQuery(QuerySyntaxError, InvalidPattern):
    """An invalid regular expression inside query text (catchable as either parent)."""

    def __init__(self, inner: InvalidPattern, text: str, line: int, column: int) -> None:
        self.pattern = inner.pattern
        self.position = inner.position
        QuerySyntaxError.__init__(self, f"invalid pattern: {inner.reason}", text, line, column)


class InvalidValue(NeuprintDSLError, ValueError):
    """A value that no query may hold: NaN or an infinity, an int outside 64 bits, a string
    with a lone surrogate, an empty name.

    Example:
        >>> from neuprint_dsl import N
        >>> try:
        ...     N.somaRadius > float("nan")
        ... except InvalidValue as err:
        ...     print("refused")
        refused
    """


class NestingTooDeep(NeuprintDSLError, ValueError):
    """A predicate whose and / or / not nest deeper than ``neuprint_dsl.expr.MAX_NESTING``
    levels (query text that does so raises :class:`QuerySyntaxError` with a caret instead).

    Example:
        >>> from neuprint_dsl import N
        >>> p = N.pre > 0
        >>> try:
        ...     for i in range(200):
        ...         p = ~(p | (N.post > i))
        ... except NestingTooDeep as err:
        ...     print(str(err)[:36])
        and / or / not nested 65 levels deep
    """


class DNFTooLarge(NeuprintDSLError, ValueError):
    """The disjunctive normal form of a predicate would pass the clause limit (DNF can grow
    exponentially: 13 two-way ORs joined by AND give 8,192 clauses). Raised by
    ``neuprint_dsl.to_dnf``; the neuronjson compiler catches it and falls back to a wider
    server query plus a client-side residual.

    Example:
        >>> from neuprint_dsl import N, to_dnf
        >>> from neuprint_dsl.expr import and_
        >>> big = and_(*((N.pre == i) | (N.post == i) for i in range(13)))
        >>> try:
        ...     to_dnf(big)
        ... except DNFTooLarge as err:
        ...     print(err.limit)
        4096
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the disjunctive normal form of this predicate has more than {limit} clauses; "
            "simplify it or split the query"
        )


class InvalidArgument(NeuprintDSLError, ValueError, TypeError):
    """An argument a function cannot take: a malformed server address, UUID, timeout, sample
    size or annotation. Catchable as ``ValueError`` and ``TypeError`` too.

    Example:
        >>> from neuprint_dsl.transports import DvidHTTP
        >>> try:
        ...     DvidHTTP("http://localhost:8000", "not a uuid!", "segmentation_annotations")
        ... except InvalidArgument as err:
        ...     print("refused")
        refused
    """


class QueryTypeError(NeuprintDSLError, TypeError):
    """An operator or value of the wrong kind for a field: ``N.type > 3``, a mixed list, or a
    comparison the dataset's property kinds make meaningless.

    Example:
        >>> from neuprint_dsl import N
        >>> try:
        ...     N.type > 3
        ... except QueryTypeError as err:
        ...     print("refused")
        refused
    """


class TypeErrorInQuery(QuerySyntaxError, QueryTypeError):
    """A :class:`QueryTypeError` in query text, with the line, column and a caret (catchable
    as either parent)."""

    def __init__(self, reason: str, text: str, line: int, column: int) -> None:
        QuerySyntaxError.__init__(self, reason, text, line, column)


class UnknownName(NeuprintDSLError, LookupError):
    """Base of :class:`UnknownField` and :class:`UnknownROI`: a name with close matches."""

    kind = "name"

    def __init__(self, name: str, known: Iterable[str] = (), where: str = "") -> None:
        import difflib

        self.name = name
        names = sorted(set(known))
        # names are case-sensitive: one that differs only by case is the likeliest meant
        same = [k for k in names if k.lower() == name.lower() and k != name]
        close = difflib.get_close_matches(name, names, n=3)
        self.suggestions = tuple(dict.fromkeys([*same, *close]))[:3]
        message = f"unknown {self.kind} {name!r}"
        if where:
            message += f" in {where}"
        if self.suggestions:
            message += f"; did you mean {_join_alternatives([repr(s) for s in self.suggestions])}?"
        super().__init__(message)

    def __str__(self) -> str:  # LookupError would quote the message otherwise
        return str(self.args[0])


class UnknownField(UnknownName):
    """A property name the target dataset or namespace does not know."""

    kind = "field"


class UnknownROI(UnknownName):
    """An ROI name the target dataset does not have."""

    kind = "ROI"


class CapabilityError(NeuprintDSLError):
    """A construct the chosen backend cannot express; names the backends that can."""

    def __init__(self, construct: str, backend: str, supported_by: Sequence[str] = ()) -> None:
        self.construct = construct
        self.backend = backend
        self.supported_by = tuple(supported_by)
        message = f"{backend} cannot express {construct}"
        if self.supported_by:
            message += f"; use {_join_alternatives(self.supported_by)}"
        super().__init__(message)


class UnsupportedCypher(CapabilityError):
    """neuPrint Cypher the embedded engine does not translate: names the construct and points
    at it (line, column and a caret under the query line).

    Example:
        >>> print(UnsupportedCypher("CALL", "MATCH (n)\\nCALL db.labels()", 2, 1))
        the embedded engine cannot run CALL (line 2, column 1); run it on a neuPrint server
          CALL db.labels()
          ^
    """

    def __init__(self, construct: str, query: str, line: int, column: int) -> None:
        super().__init__(construct, "the embedded engine")
        self.query = query
        self.line = line
        self.column = column
        lines = query.split("\n")
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        self.args = (
            f"the embedded engine cannot run {construct} (line {line}, column {column}); "
            f"run it on a neuPrint server\n  {text}\n  {' ' * (column - 1)}^",
        )


class LoadError(NeuprintDSLError, ValueError):
    """Input data that cannot be loaded: names the file, the line and the column."""

    def __init__(
        self, path: str, reason: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        where = path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}")


class TransportError(NeuprintDSLError):
    """A query could not be run or its answer could not be read."""


def excerpt(text: str, limit: int = 1500) -> str:
    """``text``, shortened in the middle past ``limit`` characters (for error messages; the
    exception keeps the whole text in an attribute).

    Example:
        >>> excerpt("x" * 10, limit=6)
        'xxx[... 4 more characters ...]xxx'
    """
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}[... {len(text) - 2 * half} more characters ...]{text[-half:]}"


class ServerError(TransportError):
    """The server answered with an error: its status, its message and the query sent
    (``query``, whole; the message shows an excerpt of a long one)."""

    def __init__(self, status: int, message: str, query: str | None = None) -> None:
        self.status = status
        self.message = message
        self.query = query
        text = f"server error {status}: {message}"
        if query:
            text += f"\nquery was:\n{excerpt(query)}"
        super().__init__(text)


class QueryTimeout(TransportError):
    """The query did not finish within the time allowed."""


class ServerTimeout(QueryTimeout, ServerError):
    """The server answered that the query timed out (neuPrintHTTP's 400 "Timeout experienced",
    or a 504 from a proxy): a :class:`QueryTimeout` that also carries the server's ``status``,
    ``message`` and the ``query`` sent.

    Example:
        >>> err = ServerTimeout(400, "Timeout experienced.", "MATCH (n) RETURN n")
        >>> isinstance(err, QueryTimeout), isinstance(err, ServerError), err.status
        (True, True, 400)
    """


class MissingDependency(NeuprintDSLError, ImportError):
    """An optional package a feature needs is not installed: ``.package``, ``.extra`` (the
    ``pip install "neuprint-dsl[extra]"`` that brings it) and ``.feature``.

    Example:
        >>> print(MissingDependency("matplotlib", "plot", "connectivity_matrix"))
        connectivity_matrix needs matplotlib, which is not installed: pip install "neuprint-dsl[plot]"
    """

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        self.feature = feature
        super().__init__(
            f'{feature} needs {package}, which is not installed: pip install "neuprint-dsl[{extra}]"'
        )


def _join_alternatives(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
