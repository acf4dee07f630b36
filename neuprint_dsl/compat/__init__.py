"""neuprint-python's public API, built on neuprint-dsl (DESIGN section 9).

Switch by changing an import: ``from neuprint_dsl.compat import Client, fetch_neurons,
NeuronCriteria as NC``. Every criteria object also becomes a DSL predicate, so old queries gain
``&``, ``|`` and ``~``; every function runs on any transport (a neuPrint server, or the
embedded engine with ``Client(transport=neuprint_dsl.embedded(path))``).
"""

from .client import (
    Client,
    clear_default_client,
    default_client,
    disable_debug_logging,
    inject_client,
    list_all_clients,
    set_default_client,
    setup_debug_logging,
)

__all__ = [
    "Client",
    "clear_default_client",
    "default_client",
    "disable_debug_logging",
    "inject_client",
    "list_all_clients",
    "set_default_client",
    "setup_debug_logging",
]
