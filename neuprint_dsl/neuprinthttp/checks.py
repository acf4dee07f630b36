"""What the neuPrint transport checks before it sends anything.

The server address (``https://``, or ``http://`` for this machine only: the token travels with
every request), the token (from the argument or ``NEUPRINT_APPLICATION_CREDENTIALS``; one an HTTP
header can carry, never shown in an error), the timeout (always set) and Cypher text written by
hand (no "smart quotes", no lone surrogates). A refusal raises
:class:`~neuprint_dsl.errors.InvalidArgument` or :class:`~neuprint_dsl.errors.InvalidValue`.

Example:
    >>> normalize_server("neuprint.janelia.org"), check_timeout((3, 60))
    ('https://neuprint.janelia.org', (3.0, 60.0))
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from ..errors import InvalidArgument, InvalidValue

__all__ = [
    "check_cypher_text",
    "check_timeout",
    "check_token",
    "normalize_server",
    "resolve_token",
]

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_SMART_QUOTES = "‘’“”"


def check_cypher_text(cypher: str) -> None:
    """Refuse Cypher text that cannot be what the user meant: "smart quotes" (``‘’“”``, which
    word processors substitute for ``'`` and ``"``; Cypher has no such quotes) and lone
    surrogates (not encodable for the request). Raises
    :class:`~neuprint_dsl.errors.InvalidValue` (a ``ValueError``) naming the character and
    where it is.

    Example:
        >>> check_cypher_text("MATCH (n) WHERE n.type = 'KC' RETURN n")
        >>> check_cypher_text("MATCH (n)\\nWHERE n.type = ‘KC’ RETURN n")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidValue: the Cypher text contains the smart quote '‘' (U+2018) at line 2, column 16 ...
    """
    if not isinstance(cypher, str):
        raise InvalidArgument(f"Cypher must be a str, not {type(cypher).__name__}")
    for index, ch in enumerate(cypher):
        if ch in _SMART_QUOTES:
            what = f"the smart quote {ch!r}"
            fix = "Cypher strings use ordinary quotes ' or \", replace it"
        elif "\ud800" <= ch <= "\udfff":
            what, fix = "a lone surrogate", "it cannot be sent as UTF-8"
        else:
            continue
        line, column = _line_column(cypher, index)
        raise InvalidValue(
            f"the Cypher text contains {what} (U+{ord(ch):04X}) at line {line}, column "
            f"{column} (offset {index}); {fix}"
        )


def check_token(token: str) -> None:
    """Refuse a token that cannot travel in an ``Authorization`` header: control characters
    (a newline, a tab, ...) and characters outside latin-1 (what HTTP headers can carry).
    Raises :class:`~neuprint_dsl.errors.InvalidArgument` naming the character and its
    position, never showing the token.

    Example:
        >>> check_token("eyJhbGciOi.J9.abc")
        >>> check_token("eyJhbGciOi\\nsecret")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: the token contains a line break (U+000A) at position 11 of 17; ...
    """
    for index, ch in enumerate(token):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            what = "a line break" if ch in "\r\n" else "a control character"
        elif code > 0xFF:
            what = "a character outside latin-1"
        else:
            continue
        raise InvalidArgument(
            f"the token contains {what} (U+{code:04X}) at position {index + 1} of {len(token)}; "
            "an HTTP header cannot carry it. Copy the token again from your neuPrint account "
            "page (it is not shown here)"
        )


def normalize_server(server: str) -> str:
    """``https://host[:port]`` from a host or URL; ``http://`` only for this machine.

    Example:
        >>> normalize_server("neuprint.janelia.org/"), normalize_server("http://localhost:8000")
        ('https://neuprint.janelia.org', 'http://localhost:8000')
    """
    if not isinstance(server, str) or not server.strip():
        raise InvalidArgument(f"server must be a URL or host name, not {server!r}")
    server = server.strip()
    if "://" not in server:
        server = "https://" + server
    parts = urlsplit(server)
    scheme = parts.scheme.lower()
    if scheme == "http":
        if (parts.hostname or "") not in _LOCAL_HOSTS:
            raise InvalidArgument(
                f"neuPrint servers must be reached over https (the token travels with every "
                f"request), not {server!r}; http:// is accepted only for localhost, 127.0.0.1 "
                "and [::1]"
            )
    elif scheme != "https":
        raise InvalidArgument(f"unknown protocol {parts.scheme!r} in {server!r}; use https://")
    if not parts.hostname:
        raise InvalidArgument(f"no host name in {server!r}")
    return server.rstrip("/")


def resolve_token(token: str | None) -> str | None:
    """The token to send: the argument, else ``NEUPRINT_APPLICATION_CREDENTIALS``; the bare
    token or the JSON document holding it under ``"token"``; ``None`` for anonymous requests.

    Example:
        >>> resolve_token('{"token": "abc"}')
        'abc'
    """
    if token is not None and not isinstance(token, str):
        raise InvalidArgument(f"token must be a str, not {type(token).__name__}")
    if not token:
        token = os.environ.get("NEUPRINT_APPLICATION_CREDENTIALS")
    if not token:
        return None
    token = token.strip()
    if ":" in token:
        # The whole JSON document neuPrint Explorer shows, {"token": "..."} (as neuprint-python).
        try:
            token = str(json.loads(token)["token"])
        except (ValueError, KeyError, TypeError):
            raise InvalidArgument(
                "did not understand the token: pass the whole JSON document "
                '({"token": "..."}) or only the token string'
            ) from None  # the JSON error would quote the token
    token = token.replace('"', "").strip()
    check_token(token)
    return token or None


def check_timeout(timeout: object) -> float | tuple[float, float]:
    """A positive number of seconds, or a ``(connect, read)`` pair; never ``None``.

    Example:
        >>> check_timeout(60), check_timeout((3, 60.5))
        (60.0, (3.0, 60.5))
    """

    def positive(value: object) -> bool:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and value > 0
            and value != float("inf")
        )

    if isinstance(timeout, tuple) and len(timeout) == 2 and all(positive(t) for t in timeout):
        return (float(timeout[0]), float(timeout[1]))
    if isinstance(timeout, (int, float)) and positive(timeout):
        return float(timeout)
    raise InvalidArgument(
        f"timeout must be a positive number of seconds (or a (connect, read) pair), not "
        f"{timeout!r}: a request without a timeout can hang forever"
    )


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1
