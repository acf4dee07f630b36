"""The neuprint-python-compatible ``Client``, and default-client management.

A ``Client`` owns a transport: by default :class:`~neuprint_dsl.transports.NeuprintHTTP` for a
neuPrint server, or any other, e.g. ``Client(transport=neuprint_dsl.embedded(path))`` to run
every compat function on the embedded engine. The first client created becomes the default
(as in neuprint-python); functions take ``client=None`` to mean the default.

Unlike neuprint-python, a request timeout is always set, and the default client is shared
between threads safely (each transport serialises its own use of its connection).

Example:
    >>> import tempfile
    >>> import neuprint_dsl
    >>> from neuprint_dsl.compat import Client, clear_default_client
    >>> from neuprint_dsl.embedded import load
    >>> from neuprint_dsl.embedded.sample import generate_sample
    >>> tmp = tempfile.mkdtemp()
    >>> _ = generate_sample(tmp, neurons=50, edges=200, seed=5)
    >>> c = Client(transport=neuprint_dsl.embedded(load(tmp, f"{tmp}/g.lbug")))
    >>> c.dataset, len(c.primary_rois) > 10
    ('hemibrain-synthetic', True)
    >>> clear_default_client()
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, ParamSpec, TypeVar, overload

import pandas as pd

from ..embedded.meta import embedded_meta
from ..embedded.neuprint_cypher import run_neuprint_cypher
from ..errors import CapabilityError, InvalidArgument, NeuprintDSLError, TransportError
from ..neuprinthttp.answers import parse_version
from ..neuprinthttp.arrow import ARROW_MIN_VERSION
from ..transports.ladybug import Embedded
from ..transports.neuprint_http import NeuprintHTTP
from .endpoints import ServerEndpoints

logger = logging.getLogger("neuprint_dsl")

_CLIENTS: weakref.WeakSet[Client] = weakref.WeakSet()  # live clients, as neuprint-python
_ORDER: list[weakref.ReferenceType[Client]] = []  # creation order
_DEFAULT: dict[str, Any] = {"explicit": None, "cleared": False}
_LOCK = threading.RLock()


class Client(ServerEndpoints):
    """A connection to one neuPrint dataset (neuprint-python's ``Client``).

    ``Client(server, dataset=None, token=None, verify=True, progress=True, *, timeout=60.0)``
    talks to a neuPrint server over HTTPS; ``Client(transport=...)`` uses any transport, such
    as the embedded engine. The token comes from the argument or
    ``NEUPRINT_APPLICATION_CREDENTIALS``. Without ``dataset`` the server's only dataset is
    used, as neuprint-python does (a server with several raises
    :class:`~neuprint_dsl.errors.InvalidArgument` listing them). ``progress=False`` turns off
    the progress bars of the batched functions (``fetch_adjacencies``, ``fetch_synapses``...).
    """

    def __init__(
        self,
        server: str | None = None,
        dataset: str | None = None,
        token: str | None = None,
        verify: bool = True,
        progress: bool = True,
        *,
        timeout: float = 60.0,
        transport: Any = None,
    ) -> None:
        if not isinstance(progress, bool):
            raise InvalidArgument(f"progress must be True or False, not {progress!r}")
        self.progress = progress
        if transport is None:
            if not server:
                raise InvalidArgument("Client needs a server (or transport=...)")
            if not dataset:
                dataset = default_dataset(server, token, verify, timeout)
            transport = NeuprintHTTP(server, dataset, token, verify, timeout)
        elif server is not None or token is not None:
            raise InvalidArgument("pass either server/token or transport=..., not both")
        self.transport = transport
        self.server = (
            getattr(transport, "server", None) or f"embedded:{getattr(transport, 'path', '')}"
        )
        self.verify = verify
        self.timeout = timeout
        local = getattr(transport, "meta", None)
        self.dataset = (
            dataset or getattr(transport, "dataset", None) or (local or {}).get("dataset")
        )
        self._meta: dict[str, Any] | None = None
        self._meta_lock = threading.Lock()
        self._nt_keys: list[str] | None = None
        with _LOCK:
            _CLIENTS.add(self)
            _ORDER.append(weakref.ref(self))
            _DEFAULT["cleared"] = False

    def __repr__(self) -> str:
        return f"Client({self.server!r}, {self.dataset!r})"

    def _key(self) -> tuple[Any, ...]:
        return (self.server, self.dataset, getattr(self.transport, "token", None), self.verify)

    @property
    def is_embedded(self) -> bool:
        """True when queries run on the embedded engine."""
        return isinstance(self.transport, Embedded)

    # -- Cypher ----------------------------------------------------------------------------

    @overload
    def fetch_custom(
        self,
        cypher: str,
        dataset: str = "",
        format: Literal["pandas"] = "pandas",
        use_arrow: bool | None = False,
    ) -> pd.DataFrame: ...
    @overload
    def fetch_custom(
        self,
        cypher: str,
        dataset: str = "",
        *,
        format: Literal["json"],
        use_arrow: bool | None = False,
    ) -> Any: ...
    def fetch_custom(
        self,
        cypher: str,
        dataset: str = "",
        format: str = "pandas",
        use_arrow: bool | None = False,
    ) -> Any:
        """Run raw Cypher in neuPrint's dialect (on the embedded engine it is translated, see
        docs/neuprint-cypher.md; what is not translated raises UnsupportedCypher).

        ``format="json"`` returns ``{"columns": [...], "data": [[...], ...]}``.

        ``use_arrow`` is neuprint-python 0.6.4's argument and is checked as it checks it
        (``True`` with ``format="json"``, or with a neuPrint server older than 1.7.3, is
        refused), but the answer always comes through ``/api/custom/custom``: neuPrintHTTP's
        Arrow route can drop values of a hand-written query's columns (it types each column
        from its first row), and the kinds of such columns are not known, so an Arrow answer
        could not be checked (docs/http.md). The table is the one a correct Arrow answer has.

        Example:
            >>> Client(transport=object()).fetch_custom("RETURN 1", format="json", use_arrow=True)
            Traceback (most recent call last):
            ...
            neuprint_dsl.errors.InvalidArgument: use_arrow=True cannot return format='json' (Arrow answers are tables)
        """
        _follow_neuprint_logger()
        if format not in ("pandas", "json"):
            raise InvalidArgument(f"format must be 'pandas' or 'json', not {format!r}")
        if use_arrow not in (True, False, None) or not isinstance(use_arrow, (bool, type(None))):
            raise InvalidArgument(f"use_arrow must be True, False or None, not {use_arrow!r}")
        if use_arrow and format == "json":
            raise InvalidArgument(
                "use_arrow=True cannot return format='json' (Arrow answers are tables)"
            )
        if use_arrow:
            self._require_arrow()
        if dataset and dataset != self.dataset:
            raise InvalidArgument(
                f"this client is for dataset {self.dataset!r}; create another Client for {dataset!r}"
            )
        if isinstance(self.transport, NeuprintHTTP):
            return self.transport.fetch_custom(cypher, format=format)  # type: ignore[call-overload]
        if isinstance(self.transport, Embedded):
            # a query of the :Meta node alone is answered from this client's Meta dict
            frame = run_neuprint_cypher(self.transport, cypher, lambda: self.meta)
            if format == "json":
                rows = frame.astype(object).where(frame.notna(), None).values.tolist()
                return {"columns": list(frame.columns), "data": rows}
            return frame
        custom = getattr(self.transport, "fetch_custom", None)
        if custom is not None:
            return custom(cypher, format=format)
        raise CapabilityError(
            "raw Cypher", type(self.transport).__name__, ("NeuprintHTTP", "Embedded")
        )

    def _require_arrow(self) -> None:
        """Refuse ``use_arrow=True`` where neuprint-python refuses it: a server without
        ``/api/custom/arrow`` (before 1.7.3), or a transport that is not a neuPrint server."""
        if not isinstance(self.transport, NeuprintHTTP):
            raise CapabilityError(
                "use_arrow=True (neuPrintHTTP's Arrow route)",
                type(self.transport).__name__,
                ("NeuprintHTTP", "use_arrow=False"),
            )
        version = self.transport.server_version or self.transport.fetch_version()
        self.transport.server_version = version
        parsed = parse_version(version)
        if parsed is None or parsed < ARROW_MIN_VERSION:
            raise CapabilityError(
                f"use_arrow=True: the neuPrint server {self.server} is version {version}, "
                f"and /api/custom/arrow needs {'.'.join(map(str, ARROW_MIN_VERSION))} or later",
                "NeuprintHTTP",
                ("use_arrow=False",),
            )

    # -- dataset metadata ------------------------------------------------------------------

    @property
    def meta(self) -> dict[str, Any]:
        """The dataset's ``:Meta`` node, JSON values parsed (fetched once, then cached; on
        neuPrint this is the transport's one Meta read, shared with its name check)."""
        with self._meta_lock:
            if self._meta is None:
                self._meta = self._fetch_meta()
            return self._meta

    def _fetch_meta(self) -> dict[str, Any]:
        if isinstance(self.transport, Embedded):
            return embedded_meta(self.transport)
        if isinstance(self.transport, NeuprintHTTP):
            # the transport's one cached read, which its name check also uses
            node: Any = self.transport.fetch_meta() or None
        else:
            frame = self.fetch_custom("MATCH (n:Meta) RETURN n")
            node = None if frame.empty else frame["n"].iloc[0]
        if node is None:
            raise NeuprintDSLError(f"dataset {self.dataset!r} has no :Meta node")
        return {key: _maybe_json(value) for key, value in dict(node).items()}

    @property
    def primary_rois(self) -> list[str]:
        """The dataset's primary ROIs, sorted."""
        return sorted(self.meta.get("primaryRois") or [])

    @property
    def all_rois(self) -> list[str]:
        """Every ROI of the dataset (the keys of the Meta ``roiInfo``), sorted."""
        rois = set(self.meta.get("roiInfo") or {}) | set(self.primary_rois)
        return sorted(rois)

    def fetch_neuron_keys(self) -> list[str]:
        """The neuron property names of the dataset (ROI flags excluded), sorted."""
        keys = self.meta.get("neuronProperties")
        if isinstance(keys, dict) and keys:
            names = list(keys)
        elif isinstance(keys, list) and keys:
            names = [str(k) for k in keys]
        else:
            frame = self.fetch_custom(
                "MATCH (n:Neuron) WITH n LIMIT 1000 UNWIND keys(n) AS key RETURN DISTINCT key"
            )
            names = frame["key"].tolist()
        rois = set(self.all_rois)
        return sorted(k for k in names if k not in rois)

    def fetch_synapse_nt_keys(self) -> list[str]:
        """The ``:Synapse`` properties about neurotransmitters, sorted (neuprint-python's
        method): the keys of the Meta node's ``ntSynapseProperties``, else the keys starting
        with ``nt`` of one presynaptic ``:Synapse`` (``[]``, with a warning in the log, when
        there is none). Fetched once, then cached.

        Example:
            >>> import tempfile, neuprint_dsl
            >>> from neuprint_dsl.embedded import load
            >>> from neuprint_dsl.embedded.sample import generate_sample
            >>> tmp = tempfile.mkdtemp()
            >>> _ = generate_sample(tmp, neurons=20, edges=40, seed=5)
            >>> c = Client(transport=neuprint_dsl.embedded(load(tmp, f"{tmp}/g.lbug")))
            >>> c.fetch_synapse_nt_keys()
            []
            >>> clear_default_client()
        """
        if self._nt_keys is None:
            self._nt_keys = self._find_nt_keys()
        return list(self._nt_keys)

    def _find_nt_keys(self) -> list[str]:
        stored = self.meta.get("ntSynapseProperties")
        if isinstance(stored, dict):
            return sorted(str(k) for k in stored)
        if stored is not None:
            raise TransportError(
                f"the Meta node's ntSynapseProperties is {stored!r:.100}, not a JSON map"
            )
        found = self.fetch_custom(
            "MATCH (s:Synapse {type: 'pre'}) "
            "WITH [k IN keys(s) WHERE k STARTS WITH 'nt'] AS nt_keys "
            "RETURN nt_keys LIMIT 1",
            format="json",
        )
        data = found.get("data") if isinstance(found, dict) else None
        if not data:
            logger.warning("No synapse neurotransmitter keys found in the database.")
            return []
        return sorted(str(k) for k in data[0][0] or [])


def default_dataset(
    server: str, token: str | None = None, verify: bool = True, timeout: float = 60.0
) -> str:
    """The dataset a Client for ``server`` uses when none is named, as neuprint-python
    chooses it: the server's only dataset (``GET /api/dbmeta/datasets``). A server with
    none, or with several, raises :class:`~neuprint_dsl.errors.InvalidArgument` naming them.

    Example:
        >>> default_dataset("https://neuprint.janelia.org")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: the neuPrint server https://neuprint.janelia.org has several datasets; name one: Client(server, dataset=...) with one of ['hemibrain:v1.2.1', ...]
    """
    # the probe's dataset name is never sent: only the datasets route is asked
    with NeuprintHTTP(server, "-", token, verify, timeout) as probe:
        datasets = probe.get_json("/api/dbmeta/datasets")
        where = probe.server
    if not isinstance(datasets, dict):
        raise TransportError(
            f"unexpected answer from {where}/api/dbmeta/datasets: {datasets!r:.200}"
        )
    names = [str(name) for name in datasets]
    if len(names) == 1:
        logger.info("Client for %s uses its only dataset, %r", where, names[0])
        return names[0]
    if not names:
        raise InvalidArgument(f"the neuPrint server {where} has no datasets")
    raise InvalidArgument(
        f"the neuPrint server {where} has several datasets; name one: "
        f"Client(server, dataset=...) with one of {sorted(names)}"
    )


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# ---------------------------------------------------------------------------------------
# default client management (thread-safe)


def default_client() -> Client:
    """The default Client: the one set with :func:`set_default_client`, else the only live
    client (or several equal ones), as in neuprint-python.

    Example:
        >>> clear_default_client()
        >>> default_client()
        Traceback (most recent call last):
        ...
        RuntimeError: No default Client: create a Client, or call set_default_client(client)
    """
    with _LOCK:
        explicit = _DEFAULT["explicit"]
        if explicit is not None:
            return explicit  # type: ignore[no-any-return]
        live = list_all_clients() if not _DEFAULT["cleared"] else []
    if live and all(c._key() == live[0]._key() for c in live):
        return live[0]
    if live:
        raise RuntimeError(
            f"No default Client: there are {len(live)} different clients; "
            "pass client=... or call set_default_client(client)"
        )
    raise RuntimeError("No default Client: create a Client, or call set_default_client(client)")


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the default (``None`` clears it)."""
    with _LOCK:
        _DEFAULT["explicit"] = client
        _DEFAULT["cleared"] = client is None


def clear_default_client() -> None:
    """Leave no default client (until one is set, or another Client is created)."""
    set_default_client(None)


def list_all_clients() -> list[Client]:
    """Every live Client in this program, oldest first."""
    with _LOCK:
        alive = [c for c in (ref() for ref in _ORDER) if c is not None and c in _CLIENTS]
        _ORDER[:] = [weakref.ref(c) for c in alive]
        return alive


P = ParamSpec("P")
R = TypeVar("R")


def inject_client(fn: Callable[P, R]) -> Callable[P, R]:
    """Fill a ``client=None`` keyword argument with :func:`default_client`."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _follow_neuprint_logger()
        if kwargs.get("client") is None:
            kwargs["client"] = default_client()
        return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------
# debug logging

#: neuprint-python's logger, whose level its documentation uses as the query-log switch
#: (``logging.getLogger('neuprint.client').setLevel(logging.DEBUG)``)
NEUPRINT_LOGGER = "neuprint.client"
_HANDLER: list[logging.Handler | None] = [None]
#: the level last copied from neuprint-python's logger to ours (None: ours is the user's)
_FOLLOWED: list[int | None] = [None]


def _follow_neuprint_logger() -> None:
    """Give neuprint-dsl's logger the level of ``neuprint.client`` when that one is set and
    ours is not (or was set from it), so neuprint-python's switch turns our query log on and
    off too. Called by every compat function and query."""
    theirs = logging.getLogger(NEUPRINT_LOGGER).level
    ours = logger.level
    if ours != logging.NOTSET and ours != _FOLLOWED[0]:
        return  # the user set ours: theirs does not override it
    level = theirs if theirs != logging.NOTSET else logging.NOTSET
    with _LOCK:
        if level != ours:
            logger.setLevel(level)
        _FOLLOWED[0] = level if level != logging.NOTSET else None


def setup_debug_logging() -> None:
    """Print every query sent (Cypher and parameters) to stderr: neuprint-dsl's, and those
    of neuprint-python if it is used in the same program.

    As in neuprint-python, the switch is also the level of the ``neuprint.client`` logger:
    ``logging.getLogger('neuprint.client').setLevel(logging.INFO)`` stops the query log and
    ``setLevel(logging.DEBUG)`` starts it again (without a handler of its own, it then goes
    wherever the root logger's handlers send it).

    Example:
        >>> setup_debug_logging(); disable_debug_logging()
    """
    with _LOCK:
        if _HANDLER[0] is None:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("[%(asctime)s] %(name)s: %(message)s"))
            logger.addHandler(handler)
            logging.getLogger(NEUPRINT_LOGGER).addHandler(handler)
            _HANDLER[0] = handler
        logger.setLevel(logging.DEBUG)
        logging.getLogger(NEUPRINT_LOGGER).setLevel(logging.DEBUG)
        _FOLLOWED[0] = logging.DEBUG


def disable_debug_logging() -> None:
    """Stop printing queries (neuprint-python's ``disable_debug_logging`` sets its logger to
    INFO; so does this)."""
    with _LOCK:
        if _HANDLER[0] is not None:
            logger.removeHandler(_HANDLER[0])
            logging.getLogger(NEUPRINT_LOGGER).removeHandler(_HANDLER[0])
            _HANDLER[0] = None
        logging.getLogger(NEUPRINT_LOGGER).setLevel(logging.INFO)
        logger.setLevel(logging.INFO)
        _FOLLOWED[0] = logging.INFO
