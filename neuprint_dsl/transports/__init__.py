"""Transports: how a compiled query reaches a backend (DESIGN section 7).

Example:
    >>> from neuprint_dsl.transports import Embedded, Table
    >>> Embedded.dialect
    'ladybug'
"""

from .base import CypherTransport, Table
from .dvid_http import DvidHTTP
from .embedded import Embedded
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
    "NeuronJsonTransport",
    "Recording",
    "Table",
]
