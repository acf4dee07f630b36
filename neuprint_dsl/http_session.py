"""What the two HTTP clients share: urllib3 retry policies, their adapters, message length.

The DVID client (:mod:`neuprint_dsl.dvid.client`) and the neuPrint transport
(:mod:`neuprint_dsl.transports.neuprint_http`) mount a :class:`ServerRetry` on their
``requests`` session: connection errors, dropped connections and 502/503/504 answers are sent
again with capped exponential back-off and the server's ``Retry-After`` (capped too), a read
that timed out never is (the server is slow: asking again multiplies the wait). Which methods
may be sent again is each server's policy: :class:`DvidRetry` (reads only, a write never, not
even after a connection error) and :class:`NeuprintRetry` (reads, and with ``posts=True`` the
read-only Cypher POSTs).

Layer L5 (backends), below ``dvid/`` and ``transports/``: imports no module of the package.

Example:
    >>> import requests
    >>> session = requests.Session()
    >>> mount_retries(session, "http://localhost:8000/", DvidRetry.for_reads(2, backoff=0.05))
    >>> type(session.get_adapter("http://localhost:8000/api").max_retries).__name__
    'DvidRetry'
"""

from __future__ import annotations

from collections.abc import Collection
from types import TracebackType
from typing import Any, Self

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

__all__ = [
    "IDEMPOTENT",
    "MESSAGE_LIMIT",
    "RETRY_STATUSES",
    "DvidRetry",
    "NeuprintRetry",
    "ServerRetry",
    "mount_retries",
    "shorten",
]

#: statuses after which a request is tried again (the server or a proxy is briefly unavailable)
RETRY_STATUSES = frozenset({502, 503, 504})
#: methods that are safe to send twice
IDEMPOTENT = frozenset({"GET", "HEAD"})
#: longest server message or request body quoted in an error
MESSAGE_LIMIT = 1000


class ServerRetry(Retry):
    """urllib3's :class:`~urllib3.util.Retry` with the policy both servers share: connection
    errors, dropped connections and :data:`RETRY_STATUSES` are retried for ``methods``; a read
    that timed out is not; ``Retry-After`` is respected up to :attr:`retry_after_cap` seconds.

    Example:
        >>> retry = ServerRetry.build(2, backoff=0.1, backoff_max=2.0, methods=IDEMPOTENT)
        >>> retry.is_retry("GET", 503), retry.is_retry("POST", 503), retry.total
        (True, False, 2)
    """

    #: longest wait a server's ``Retry-After`` may impose, in seconds
    retry_after_cap = 30.0

    @classmethod
    def build(
        cls, retries: int, *, backoff: float, backoff_max: float, methods: Collection[str]
    ) -> Self:
        """``retries`` extra attempts of ``methods``, the n-th after ``backoff * 2**(n-1)``
        seconds (the first at once), each pause at most ``backoff_max``."""
        return cls(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=False,
            allowed_methods=frozenset(methods),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_max=backoff_max,
            raise_on_status=False,
            respect_retry_after_header=True,
        )

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if error is not None and self.final(method, error):
            if isinstance(error, ReadTimeoutError) or not self._is_connection_error(error):
                raise error.with_traceback(_stacktrace)  # as urllib3 does for a read error
            # nothing was sent; requests maps this to ConnectionError
            raise MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def final(self, method: str | None, error: Exception) -> bool:
        """Whether a request that failed with ``error`` must not be sent again (it is then
        raised): a read that timed out (the server is slow).

        Example:
            >>> slow = ReadTimeoutError(None, "/api/custom/custom", "read timed out")
            >>> retry = NeuprintRetry.policy(2, backoff=0.1, posts=True)
            >>> retry.final("POST", slow), DvidRetry.for_reads(2, 0.1).final("POST", OSError())
            (True, True)
        """
        return isinstance(error, ReadTimeoutError)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap)


class DvidRetry(ServerRetry):
    """DVID's policy: only ``GET``/``HEAD`` are ever sent again (on connection errors,
    dropped connections and 502/503/504); a read that timed out is not; a write is never
    retried, even after a connection error.

    Example:
        >>> retry = DvidRetry.for_reads(2, backoff=0.05)
        >>> retry.is_retry("GET", 503), retry.is_retry("POST", 503), retry.is_retry("GET", 500)
        (True, False, False)
    """

    @classmethod
    def for_reads(cls, retries: int, backoff: float, backoff_max: float = 2.0) -> DvidRetry:
        """The policy for ``retries`` extra attempts with back-off ``backoff * 2**(n-1)``
        seconds (the first retry is immediate), each pause at most ``backoff_max``."""
        return cls.build(retries, backoff=backoff, backoff_max=backoff_max, methods=IDEMPOTENT)

    def final(self, method: str | None, error: Exception) -> bool:
        """A read that timed out, and any failed write, are not sent again."""
        read = method is not None and self._is_method_retryable(method)
        return not read or super().final(method, error)


class NeuprintRetry(ServerRetry):
    """neuPrint's policy (mounted on the session's adapters): GETs are always retried; POSTs
    only to the Cypher routes (``posts=True``), whose queries neuPrintHTTP runs read-only, so
    that a POST that may have reached the server changes nothing when sent twice; other POSTs
    (key-value writes) only when nothing was sent. An unreadable ``Retry-After`` means the
    ordinary back-off.

    Example:
        >>> r = NeuprintRetry.policy(2, backoff=0.1, posts=True)
        >>> r.is_retry("POST", 503), r.is_retry("GET", 500), r.total
        (True, False, 2)
        >>> NeuprintRetry.policy(2, backoff=0.1, posts=False).is_retry("POST", 503)
        False
    """

    #: longest pause between two attempts, in seconds
    backoff_cap = 10.0

    @classmethod
    def policy(cls, retries: int, backoff: float, *, posts: bool) -> NeuprintRetry:
        """``retries`` more attempts, the n-th after ``backoff * 2**(n-1)`` seconds (the first
        at once; each pause at most 10 s); POSTs too with ``posts=True``."""
        methods = IDEMPOTENT | {"POST"} if posts else IDEMPOTENT
        return cls.build(retries, backoff=backoff, backoff_max=cls.backoff_cap, methods=methods)

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds (fractions too) or an HTTP date; an unreadable value means the ordinary
        back-off (urllib3 would fail the request)."""
        try:
            seconds = float(retry_after)
        except ValueError:
            try:
                return float(super().parse_retry_after(retry_after))
            except urllib3.exceptions.InvalidHeader:
                return 0.0
        return seconds if seconds > 0 else 0.0  # also NaN -> 0


def mount_retries(session: requests.Session, prefix: str, retry: Retry) -> None:
    """Send the requests to URLs starting with ``prefix`` through an adapter with ``retry``
    (requests picks the longest matching prefix).

    Example:
        >>> session = requests.Session()
        >>> mount_retries(session, "https://example.org/api/", NeuprintRetry.policy(1, 0.1, posts=True))
        >>> session.get_adapter("https://example.org/api/x").max_retries.total
        1
    """
    session.mount(prefix, HTTPAdapter(max_retries=retry))


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut at ``limit`` characters, saying how long it was.

    Example:
        >>> shorten("x" * 1200)[995:]
        'xxxxx... (1200 characters)'
    """
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
