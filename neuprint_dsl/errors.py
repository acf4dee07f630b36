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

from collections.abc import Iterable, Sequence


class NeuprintDSLError(Exception):
    """Base class of every error raised by neuprint-dsl."""


def caret_excerpt(text: str, line: int, column: int) -> str:
    """Return the offending line of ``text`` with a caret under ``column`` (both 1-based).

    Example:
        >>> print(caret_excerpt("type = = 3", 1, 8))
          type = = 3
                 ^
    """
    lines = text.splitlines() or [""]
    line = max(1, min(line, len(lines)))
    source = lines[line - 1].expandtabs(1)
    column = max(1, min(column, len(source) + 1))
    return f"  {source}\n  {' ' * (column - 1)}^"


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
            + caret_excerpt(pattern, 1, position + 1)
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
        self.suggestions = tuple(difflib.get_close_matches(name, list(known), n=3))
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


def _join_alternatives(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
