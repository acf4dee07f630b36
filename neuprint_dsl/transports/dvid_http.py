"""DVID ``neuronjson`` over HTTP: the DSL's queries on a DVID instance.

:class:`DvidHTTP` is a :class:`~neuprint_dsl.dvid.client.DvidClient` (every endpoint of the
instance, reads and writes, with its checks, retries and errors: see :mod:`neuprint_dsl.dvid`)
that is also a transport: ``run(neurons(...))`` compiles the predicate
(:func:`~neuprint_dsl.neuronjson.to_neuronjson`), sends ``GET .../query`` with the JSON query
in the body (as neuclease does), filters any residual on the client, and returns one row per
body sorted by ``bodyid``, exactly what :class:`~neuprint_dsl.transports.LocalNeuronJson`
returns for the same records.

Constructing a transport checks its arguments and touches no network:

    >>> dvid = DvidHTTP("localhost:8000", "a1b2:master", "segmentation_annotations", user="me")
    >>> dvid.url
    'http://localhost:8000/api/node/a1b2:master/segmentation_annotations'
    >>> DvidHTTP("localhost:8000", "a1b2:mas:ter", "annotations")
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.InvalidArgument: invalid DVID UUID 'a1b2:mas:ter': more than one ':' (DVID answers 400)...
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from ..dvid.checks import TimeoutSpec
from ..dvid.client import DvidClient
from ..execute import Runs
from ..http_session import DvidRetry
from ..neuronjson import Query
from .base import Record
from .neuronjson_base import NeuronJsonTransport

__all__ = ["DvidHTTP", "DvidRetry"]


class DvidHTTP(Runs, DvidClient, NeuronJsonTransport):
    """A DVID ``neuronjson`` instance over HTTP: the DSL's queries (``run``) and every
    endpoint of :class:`~neuprint_dsl.dvid.client.DvidClient` (its arguments, plus
    ``field_names`` and ``kinds`` for the queries).

    Example (needs a DVID server)::

        >>> from neuprint_dsl import N, neurons
        >>> dvid = DvidHTTP("http://emdata.example.org:8900", "a1b2:master",
        ...                 "segmentation_annotations", user="jdoe")  # doctest: +SKIP
        >>> dvid.run(neurons(N.type.matches("MBON.*") & (N.status == "Traced")))  # doctest: +SKIP
        >>> dvid.get(1234567)["type"]  # doctest: +SKIP
        'MBON01'
        >>> dvid.post(1234567, {"type": "MBON02"})  # doctest: +SKIP
    """

    def __init__(
        self,
        server: str,
        uuid: str,
        instance: str,
        token: str | None = None,
        timeout: TimeoutSpec = 60.0,
        *,
        user: str | None = None,
        field_names: Mapping[str, str] | None = None,
        kinds: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        retries: int = 2,
        backoff: float = 0.05,
        backoff_max: float = 2.0,
    ) -> None:
        NeuronJsonTransport.__init__(self, field_names=field_names, kinds=kinds)
        DvidClient.__init__(
            self,
            server,
            uuid,
            instance,
            token,
            timeout,
            user=user,
            session=session,
            retries=retries,
            backoff=backoff,
            backoff_max=backoff_max,
        )

    # -- what NeuronJsonTransport.execute needs ------------------------------------------

    def query_records(self, query: Query, show: str | None = None) -> list[Record]:
        """Records ``GET .../query`` returns for ``query``, sorted by body id, de-duplicated."""
        return list(self.query(query, show=show))

    def all_records(self, show: str | None = None) -> list[Record]:
        """Every record (``GET .../all``), sorted by body id."""
        return list(self._all(None, show))
