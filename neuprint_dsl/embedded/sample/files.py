"""What a sample is on disk: its files and their columns, its default arguments, the checks
of those arguments and what :func:`~neuprint_dsl.embedded.sample.generate_sample` wrote.

The column lists come from :mod:`neuprint_dsl.embedded.tables`, the one list the export
readers also use.

Example:
    >>> sample_file_names("traced")[0], SYNAPSE_FILE_NAMES[0], TOTAL_CONNECTION_COLUMNS
    ('traced-neurons.csv', 'synapses.csv', ('bodyId_pre', 'bodyId_post', 'weight'))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeGuard

import numpy as np

from ...errors import InvalidArgument
from ...progress import Progress as Progress  # the callback type, re-exported
from ...query import NEURON_COLUMNS as _DEFAULT_NEURON_COLUMNS
from ..tables import CLOSEST_MITOCHONDRIA_COLUMNS as _CLOSEST_MITOCHONDRIA
from ..tables import LAYOUTS, SYNAPSE_FILES
from ..tables import MITOCHONDRIA_COLUMNS as _MITOCHONDRIA
from ..tables import ROI_CONNECTION_COLUMNS as _ROI_CONNECTION
from ..tables import SYNAPSE_COLUMNS as _SYNAPSE
from ..tables import SYNAPSE_CONNECTION_COLUMNS as _SYNAPSE_CONNECTION
from ..tables import TOTAL_CONNECTION_COLUMNS as _TOTAL_CONNECTION

Naming = Literal["adjacencies", "traced"]

DEFAULT_SAMPLE: Final[dict[str, int]] = {"neurons": 3000, "edges": 150_000, "seed": 0}
"""The arguments of the small sample that ``neuprint-dsl query`` uses out of the box."""

GENERATOR_FORMAT: Final = "sample v2"
"""Version of the generated data; bump it whenever the output for given arguments changes."""

DATASET_NAME: Final = "hemibrain-synthetic"

NEURON_COLUMNS: Final[tuple[str, ...]] = (*_DEFAULT_NEURON_COLUMNS, "roiInfo")
"""The header of ``neurons.csv``, in order: the columns ``neurons(...)`` returns by default
(:data:`neuprint_dsl.query.NEURON_COLUMNS`) and ``roiInfo`` (kinds in
:data:`~neuprint_dsl.embedded.tables.NEURON_KINDS`)."""

ROI_CONNECTION_COLUMNS: Final = tuple(_ROI_CONNECTION)
TOTAL_CONNECTION_COLUMNS: Final = tuple(_TOTAL_CONNECTION)
SYNAPSE_COLUMNS: Final = tuple(_SYNAPSE)
SYNAPSE_CONNECTION_COLUMNS: Final = tuple(_SYNAPSE_CONNECTION)
MITOCHONDRIA_COLUMNS: Final = tuple(_MITOCHONDRIA)
CLOSEST_MITOCHONDRIA_COLUMNS: Final = tuple(_CLOSEST_MITOCHONDRIA)

SYNAPSE_FILE_NAMES: Final[tuple[str, str, str, str]] = SYNAPSE_FILES
"""The synapse files :func:`generate_sample` writes (for either naming), in that order."""


@dataclass(frozen=True, slots=True)
class SampleInfo:
    """What :func:`generate_sample` wrote: the paths and the row counts.

    The synapse files' paths are ``None`` and their counts 0 when they were not written
    (``generate_sample(..., synapses=False)``).
    """

    directory: Path
    neurons_csv: Path
    roi_connections_csv: Path
    total_connections_csv: Path
    meta_json: Path
    neurons: int
    edges: int
    roi_rows: int
    total_weight: int
    seed: int
    naming: Naming
    synapses_csv: Path | None = None  # the synapse files: None when not written
    synapse_connections_csv: Path | None = None
    mitochondria_csv: Path | None = None
    closest_mitochondria_csv: Path | None = None
    synapses: int = 0
    synapse_pairs: int = 0
    mitochondria: int = 0
    close_to: int = 0


def sample_file_names(naming: Naming = "adjacencies") -> tuple[str, str, str]:
    """Return the file names ``(neurons, roi-connections, total-connections)`` for ``naming``.

    Example:
        >>> sample_file_names("traced")
        ('traced-neurons.csv', 'traced-roi-connections.csv', 'traced-total-connections.csv')
    """
    return LAYOUTS[naming]


def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_arguments(neurons: object, edges: object, seed: object, naming: object) -> None:
    """Raise :class:`~neuprint_dsl.errors.InvalidArgument` unless the arguments describe a
    sample that can be generated.

    Example:
        >>> check_arguments(3, 7, 0, "adjacencies")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: edges must be at most neurons*(neurons-1) = 6 (distinct ordered pairs without self-loops), got 7
    """
    for name, value in (("neurons", neurons), ("edges", edges), ("seed", seed)):
        if not _is_int(value):
            raise InvalidArgument(f"{name} must be an integer, got {value!r}")
    assert _is_int(neurons) and _is_int(edges) and _is_int(seed)
    n, m, s = int(neurons), int(edges), int(seed)
    if n < 2:
        raise InvalidArgument(f"neurons must be at least 2, got {n}")
    if m < 0:
        raise InvalidArgument(f"edges must be non-negative, got {m}")
    if m > n * (n - 1):
        raise InvalidArgument(
            f"edges must be at most neurons*(neurons-1) = {n * (n - 1)} "
            f"(distinct ordered pairs without self-loops), got {m}"
        )
    if s < 0:
        raise InvalidArgument(f"seed must be non-negative, got {s}")
    if naming not in ("adjacencies", "traced"):
        raise InvalidArgument(f"naming must be 'adjacencies' or 'traced', got {naming!r}")
