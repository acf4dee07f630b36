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
from .neuronjson_base import NeuronJsonTransport

__all__ = [
    "CypherTransport",
    "DvidHTTP",
    "Embedded",
    "LocalNeuronJson",
    "NeuronJsonTransport",
    "Table",
]
