"""The embedded engine: a local, in-process connectome database and its sample data.

``neuprint_dsl.embedded(path=None)`` opens a database (this module is callable); with no
path it opens the default synthetic sample, generating and loading it into the cache
directory on first use (nothing is downloaded). ``load(export_dir, db_path)`` builds a
database from a neuPrint export.

Example:
    >>> import tempfile
    >>> import neuprint_dsl
    >>> from neuprint_dsl.embedded.sample import generate_sample
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = generate_sample(tmp, neurons=40, edges=100, seed=3)
    ...     with neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
    ...         print(len(db.run('neurons where type = "APL"')))
    1
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .build import SCHEMA_VERSION, Progress, build_database
from .export import read_export
from .sample import DEFAULT_SAMPLE, cache_dir, ensure_sample

if TYPE_CHECKING:
    from ..transports.embedded import Embedded

__all__ = ["default_database", "load", "open_database"]

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
    export = read_export(export_dir)
    return build_database(export, db_path, dataset=dataset, progress=progress)


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


def open_database(path: str | Path | None = None, *, progress: Progress | None = None) -> Embedded:
    """Open an embedded database (the default sample when ``path`` is ``None``)."""
    from ..transports.embedded import Embedded

    return Embedded(default_database(progress) if path is None else path)


class _CallableModule(types.ModuleType):
    def __call__(self, path: str | Path | None = None, **options: Any) -> Embedded:
        return open_database(path, **options)


sys.modules[__name__].__class__ = _CallableModule
