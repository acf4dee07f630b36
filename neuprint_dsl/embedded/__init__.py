"""The embedded engine: a local, in-process connectome database and its sample data.

``neuprint_dsl.embedded(path=None)`` opens a database; with no path it opens the default
synthetic sample, generating and loading it into the cache directory on first use (nothing is
downloaded). ``load(export_dir, db_path)`` builds a database from a neuPrint export.

Modules (layer L5, the store):

* ``tables``: the files of an export and every table's columns, written once
* ``csv_files``: reading CSV files, typed and fast, with exact errors (file, line, column)
* ``export``: reading and checking an export directory (neurons and connections)
* ``synapse_export``: reading and checking its synapse and mitochondrion files
* ``build``: loading an export into a Ladybug database, all or nothing (schema, ``COPY``,
  manifest, checks of a built database)
* ``companions``: sorted Arrow files beside a database (memory-mapped, stamped per build)
* ``roi_rows``: the per-ROI rows companion: written at load, sliced for per-ROI statements
* ``rois``: the hemibrain's ROI names and hierarchy
* ``sample``: the deterministic synthetic sample (a package: vocabulary, neurons,
  connections, synapses, writing, the cache)
* ``meta``: neuPrint's ``Meta`` record of a database
* ``neuprint_cypher``: neuPrint's Cypher translated to Ladybug's (``fetch_custom``)

May import: L0-L2 (``errors``, ``cache``, ``progress``, ``cypher.layout``,
``cypher.syntax``, ``cypher.literals``; ``expr``, ``query`` and ``interpret`` for the
statements ``roi_rows`` answers) and each other, without cycles. Never:
``transports``, ``compat``, ``cli``, the package root (a database is opened as a transport
by :mod:`neuprint_dsl.transports.ladybug`).

``neuprint_dsl.embedded`` is two things with one name, on purpose:

* the **function** ``embedded(path=None)`` (defined in :mod:`neuprint_dsl.transports.ladybug`,
  typed, returning :class:`~neuprint_dsl.transports.Embedded`), which the package
  ``neuprint_dsl`` exports as its attribute ``embedded``: ``neuprint_dsl.embedded()`` and
  ``from neuprint_dsl import embedded`` give the function, and mypy checks calls to it;
* this **subpackage**, importable by its dotted name as always:
  ``from neuprint_dsl.embedded import load`` and
  ``from neuprint_dsl.embedded.sample import generate_sample`` read ``sys.modules``, not the
  package attribute.

Python binds a subpackage to its parent's attribute only when the subpackage is first
imported; ``neuprint_dsl/__init__.py`` imports it first and then rebinds the attribute to the
function, so later imports never undo that. mypy follows the same rule: an explicit name in
``neuprint_dsl/__init__.py`` wins over the submodule of that name.

This subpackage is the store, below the transports, and never imports them; opening a
database as a transport is :func:`neuprint_dsl.transports.ladybug.open_database`. The package
root wires the two together once, with :func:`attach_opener`: it binds ``open_database``
here (so ``from neuprint_dsl.embedded import open_database`` works as always; typed code that
wants the return type ``Embedded`` uses ``neuprint_dsl.open_embedded``), and gives the
function ``neuprint_dsl.embedded`` this subpackage's public names (``load``,
``default_database``, ``open_database``) and submodules as attributes, for code that reads
the subpackage through the attribute (``neuprint_dsl.embedded.load``, or
``import neuprint_dsl.embedded.sample as s``; not seen by mypy). (Python resolves
``import neuprint_dsl.embedded as x`` through the attribute too, so ``x`` is the function;
``importlib.import_module("neuprint_dsl.embedded")`` gives the subpackage.)

Example:
    >>> import tempfile
    >>> import neuprint_dsl
    >>> from neuprint_dsl.embedded import load
    >>> from neuprint_dsl.embedded.sample import generate_sample
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = generate_sample(tmp, neurons=40, edges=100, seed=3)
    ...     with neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
    ...         print(len(db.run('neurons where type = "APL"')))
    1
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..progress import Progress
from .build import SCHEMA_VERSION, load_export
from .sample import DEFAULT_SAMPLE, cache_dir, ensure_sample

__all__ = ["attach_opener", "default_database", "load", "open_database"]

_DB_FILE = "graph.lbug"


def load(
    export_dir: str | Path,
    db_path: str | Path,
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Load a neuPrint export directory into a new database at ``db_path`` (all or nothing).

    Accepts neuprint-python's ``fetch_adjacencies(export_dir=...)`` layout and the hemibrain
    ``traced-*.csv`` layout; returns the database path.
    """
    return load_export(export_dir, db_path, dataset=dataset, progress=progress)


def default_database(progress: Progress | None = None) -> Path:
    """The default sample's database, built on first use in the cache directory."""
    sample = ensure_sample(progress=progress)
    name = "hemibrain-synthetic-db{schema}-n{neurons}-e{edges}-s{seed}".format(
        schema=SCHEMA_VERSION, **DEFAULT_SAMPLE
    )
    path = cache_dir() / name / _DB_FILE
    if not path.is_file():
        load(sample, path, progress=progress)
    return path


class Opener(Protocol):
    """How a database is opened as a transport: ``open_database(path=None, *, progress=None)``
    (:func:`neuprint_dsl.transports.ladybug.open_database`, returning an ``Embedded``)."""

    def __call__(
        self, path: str | Path | None = None, *, progress: Progress | None = None
    ) -> Any: ...


#: Open an embedded database (the default sample when ``path`` is ``None``): the transport
#: layer's :func:`neuprint_dsl.transports.ladybug.open_database`, bound here by the package
#: root (:func:`attach_opener`) since this store never imports a transport.
open_database: Opener


def attach_opener(opener: Opener, function: Callable[..., Any]) -> None:
    """Bind ``opener`` as this subpackage's ``open_database``, and give ``function`` (the
    callable ``neuprint_dsl.embedded``) this subpackage's public names and submodules as
    attributes. Called once, by the package root.

    Example:
        >>> import neuprint_dsl
        >>> from neuprint_dsl.embedded import open_database
        >>> open_database is neuprint_dsl.open_embedded is neuprint_dsl.embedded.open_database
        True
    """
    global open_database
    open_database = opener
    for info in pkgutil.iter_modules(__path__):
        setattr(function, info.name, importlib.import_module(f"{__name__}.{info.name}"))
    for name in ("load", "default_database", "open_database"):
        setattr(function, name, globals()[name])
