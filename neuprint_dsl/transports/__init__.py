"""Transports: how a compiled query reaches a backend, and its answer comes back (DESIGN
section 7, docs/execution.md). A transport moves queries and answers; compiling and shaping
are the executor's (:mod:`neuprint_dsl.execute`), whose ``run``/``plan`` every transport
inherits (:class:`~neuprint_dsl.execute.Runs`).

* ``base.py``: the interface: :class:`Table`, the protocols :class:`CypherTransport` and
  :class:`NeuronJsonStore`, and the optional capabilities (``SortsRows``, ``TypesLater``,
  ``ArrowRows``, ``AnswersDirectly``) the executor uses when a transport has them;
* ``ladybug.py``: :class:`Embedded`, the embedded Ladybug engine, and ``open_database`` /
  ``embedded()``, which open one (or the default sample);
* ``neuprint_http.py``: :class:`NeuprintHTTP`, a neuPrintHTTP server (the requests; checks
  and answer parsing are in :mod:`neuprint_dsl.neuprinthttp`);
* ``dvid_http.py``: :class:`DvidHTTP`, a DVID neuronjson instance (a
  :class:`~neuprint_dsl.dvid.DvidClient` that also runs the DSL's queries);
* ``local_neuronjson.py``: :class:`LocalNeuronJson`, DVID's matching rules on local records;
* ``neuronjson_base.py``: :class:`NeuronJsonTransport`, what the two neuronjson stores share;
* ``recording.py``: :class:`Recording`, canned answers for tests.

Layer: ``base.py`` is L4 (with ``execute``); the transports are L5. May import: L0-L4
(errors, backends, schema, cypher, neuronjson, frames, execute), ``embedded`` (the store the
embedded transport opens), ``dvid``, ``neuprinthttp``, ``http_session``, ``progress``.
Never: ``compat``, ``cli``, the package root. ``execute`` imports none of these modules
(``base.py`` only for types), and ``embedded`` never imports a transport.

Example:
    >>> from neuprint_dsl.transports import Embedded, Table
    >>> Embedded.dialect
    'ladybug'
"""

from .base import CypherTransport, NeuronJsonStore, Table
from .dvid_http import DvidHTTP
from .ladybug import Embedded
from .local_neuronjson import LocalNeuronJson
from .neuprint_http import NeuprintHTTP
from .neuronjson_base import NeuronJsonTransport
from .recording import Recording

__all__ = [
    "CypherTransport",
    "DvidHTTP",
    "Embedded",
    "LocalNeuronJson",
    "NeuprintHTTP",
    "NeuronJsonStore",
    "NeuronJsonTransport",
    "Recording",
    "Table",
]
