"""DVID's ``neuronjson`` HTTP API, below the transport (docs/dvid.md).

* ``client.py``: :class:`DvidClient`, one ``neuronjson`` instance: every endpoint, reads and
  writes, timeouts, retries of reads, errors that say whether a write may have been applied;
* ``checks.py``: what is checked before anything is sent (server, UUID, instance, timeout,
  body ids, key range bounds, neuronjson queries, the annotations a write sends);
* ``answers.py``: reading answers whole (records sorted by body id and de-duplicated, body
  ids, keys, records as a DataFrame) and failures (the server's message, timeouts);
* ``formats.py``: the wire formats of ``keyvalues``/``keyrangevalues`` (protobuf
  ``Keys``/``KeyValues``, DVID's tar).

The transport :class:`~neuprint_dsl.transports.DvidHTTP` (the DSL's queries on DVID) is a
:class:`DvidClient`.

Layer L5 (backends). May import: L0-L4 (errors, neuronjson, query, frames, ...) and
``http_session`` (the retry policy). Never: ``transports`` (which imports this package),
``compat``, ``cli``, the package root.

Example:
    >>> DvidClient("localhost:8000", "a1b2", "annotations").path
    '/api/node/a1b2/annotations'
"""

from .client import DvidClient

__all__ = ["DvidClient"]
