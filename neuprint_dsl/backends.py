"""The backends a statement compiles for, by name: the one list every layer reads.

A backend is a target of compilation: a query language and the engine that reads it.
``neo4j`` (neuPrint's Neo4j, through neuPrintHTTP) and ``ladybug`` (the embedded engine) read
Cypher, one dialect each (:mod:`neuprint_dsl.cypher`); ``neuronjson`` (a DVID annotation store)
reads DVID query JSON (:mod:`neuprint_dsl.neuronjson`). A transport names its backend in its
``dialect`` attribute; the executor (:mod:`neuprint_dsl.execute`) looks that name up here to
choose the compiler (:attr:`Backend.language`); the CLI offers :data:`BACKEND_NAMES` for
``compile --to``; error messages name :data:`CYPHER_BACKENDS` as the alternatives to DVID.
A new backend is one entry in :data:`BACKENDS` (and, for a Cypher one, its dialect in
``cypher/``; ``tests/test_execute.py`` checks the two lists agree).

Layer: L2 (compile targets). May import: L0 (errors). Imported by the compilers
(``neuronjson``), ``execute``, ``transports`` and ``cli``.

Example:
    >>> get_backend("ladybug").language
    <Language.CYPHER: 'cypher'>
    >>> BACKEND_NAMES, CYPHER_BACKENDS
    (('neo4j', 'ladybug', 'neuronjson'), ('neo4j', 'ladybug'))
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from .errors import InvalidArgument

__all__ = [
    "BACKENDS",
    "BACKEND_NAMES",
    "CYPHER_BACKENDS",
    "LADYBUG",
    "NEO4J",
    "NEURONJSON",
    "Backend",
    "Language",
    "get_backend",
]


class Language(enum.Enum):
    """The query language a backend reads: which compiler the executor runs."""

    CYPHER = "cypher"
    NEURONJSON = "neuronjson"


@attrs.frozen(slots=True)
class Backend:
    """A compile target: its ``name`` (a transport's ``dialect``), its ``language`` and a
    one-line ``description`` (shown by ``neuprint-dsl compile --help``)."""

    name: str
    language: Language
    description: str


NEO4J = "neo4j"
LADYBUG = "ladybug"
NEURONJSON = "neuronjson"

#: Every backend, by name, in the order the CLI lists them.
BACKENDS: Mapping[str, Backend] = {
    b.name: b
    for b in (
        Backend(NEO4J, Language.CYPHER, "Cypher for neuPrint (Neo4j, through neuPrintHTTP)"),
        Backend(LADYBUG, Language.CYPHER, "Cypher for the embedded Ladybug engine"),
        Backend(NEURONJSON, Language.NEURONJSON, "DVID neuronjson annotation queries"),
    )
}

#: The names of every backend.
BACKEND_NAMES: tuple[str, ...] = tuple(BACKENDS)

#: The backends that read Cypher (one dialect each in ``neuprint_dsl.cypher``).
CYPHER_BACKENDS: tuple[str, ...] = tuple(
    name for name, b in BACKENDS.items() if b.language is Language.CYPHER
)


def get_backend(name: str) -> Backend:
    """The backend called ``name``; :class:`~neuprint_dsl.errors.InvalidArgument` (listing
    the known names) for any other.

    Example:
        >>> get_backend("neuronjson").language.value
        'neuronjson'
        >>> get_backend("sql")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: unknown backend 'sql'; choose one of neo4j, ladybug, neuronjson
    """
    backend = BACKENDS.get(name) if isinstance(name, str) else None
    if backend is None:
        raise InvalidArgument(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
    return backend
