"""The embedded engine: a local, in-process connectome database and its sample data.

``neuprint_dsl.embedded(path=None)`` opens a database; with no path it opens the default
synthetic sample, generating and loading it into the cache directory on first use (nothing is
downloaded). ``load(export_dir, db_path)`` builds a database from a neuPrint export.

``neuprint_dsl.embedded`` is two things with one name, on purpose:

* the **function** :func:`embedded` (defined here, typed, returning
  :class:`~neuprint_dsl.transports.Embedded`), which the package ``neuprint_dsl`` exports as
  its attribute ``embedded``: ``neuprint_dsl.embedded()`` and
  ``from neuprint_dsl import embedded`` give the function, and mypy checks calls to it;
* this **subpackage**, importable by its dotted name as always:
  ``from neuprint_dsl.embedded import load`` and
  ``from neuprint_dsl.embedded.sample import generate_sample`` read ``sys.modules``, not the
  package attribute.

Python binds a subpackage to its parent's attribute only when the subpackage is first
imported; ``neuprint_dsl/__init__.py`` imports it first and then rebinds the attribute to the
function, so later imports never undo that. mypy follows the same rule: an explicit name in
``neuprint_dsl/__init__.py`` wins over the submodule of that name. For code that reads the
subpackage through the attribute (``neuprint_dsl.embedded.load``, or
``import neuprint_dsl.embedded.sample as s``), the function also carries this subpackage's
public names (``load``, ``default_database``, ``open_database``) and submodules as attributes
at run time; typed code should import them from ``neuprint_dsl.embedded`` instead. (Python
resolves ``import neuprint_dsl.embedded as x`` through the attribute too, so ``x`` is the
function; ``importlib.import_module("neuprint_dsl.embedded")`` gives the subpackage.)

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
from pathlib import Path
from typing import TYPE_CHECKING

from .build import SCHEMA_VERSION, Progress, load_export
from .sample import DEFAULT_SAMPLE, cache_dir, ensure_sample

if TYPE_CHECKING:
    from ..transports.embedded import Embedded

__all__ = ["default_database", "embedded", "load", "open_database"]

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


def open_database(path: str | Path | None = None, *, progress: Progress | None = None) -> Embedded:
    """Open an embedded database (the default sample when ``path`` is ``None``)."""
    from ..transports.embedded import Embedded

    return Embedded(default_database(progress) if path is None else path)


def embedded(path: str | Path | None = None, *, progress: Progress | None = None) -> Embedded:
    """Open an embedded database at ``path``, or the default synthetic sample when ``path`` is
    ``None`` (built in the cache directory on first use; nothing is downloaded).

    This is the function ``neuprint_dsl.embedded(...)`` (see the module docstring for how the
    function and the subpackage share the name). ``progress`` reports the sample's first build.

    Example:
        >>> import tempfile
        >>> from neuprint_dsl import embedded
        >>> from neuprint_dsl.embedded import load
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=40, edges=100, seed=3)
        ...     with embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        ...         print(type(db).__name__)
        Embedded
    """
    return open_database(path, progress=progress)


# run-time convenience for code that reaches the subpackage through the package attribute
# (neuprint_dsl.embedded.load, import neuprint_dsl.embedded.sample as s): not seen by mypy
for _name in ("build", "export", "rois", "sample", "synapse_export"):
    setattr(embedded, _name, importlib.import_module(f"{__name__}.{_name}"))
for _name in ("load", "default_database", "open_database"):
    setattr(embedded, _name, globals()[_name])
del _name
