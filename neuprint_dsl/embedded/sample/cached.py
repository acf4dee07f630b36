"""The samples kept in the cache directory: found by their arguments, generated once,
never visible half-written.

Example:
    >>> _sample_dir_name(30, 60, 1)
    'hemibrain-synthetic-v2-n30-e60-s1'
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ...cache import cache_dir
from .files import (
    DATASET_NAME,
    DEFAULT_SAMPLE,
    GENERATOR_FORMAT,
    SYNAPSE_FILE_NAMES,
    Progress,
    check_arguments,
    sample_file_names,
)
from .generate import generate_sample


def default_sample_dir() -> Path:
    """Return the directory of the default sample (:data:`DEFAULT_SAMPLE`) inside the cache.

    The name records the generator format and the arguments, so a changed generator or
    default never reuses stale files.

    Example:
        >>> import os
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"NEUPRINT_DSL_CACHE": "/tmp/npd"}):
        ...     print(default_sample_dir())
        /tmp/npd/hemibrain-synthetic-v2-n3000-e150000-s0
    """
    return cache_dir() / _sample_dir_name(**DEFAULT_SAMPLE)


def _sample_dir_name(neurons: int, edges: int, seed: int) -> str:
    version = GENERATOR_FORMAT.rsplit(" ", 1)[-1]
    return f"{DATASET_NAME}-{version}-n{neurons}-e{edges}-s{seed}"


def ensure_sample(
    directory: str | Path | None = None,
    *,
    neurons: int = DEFAULT_SAMPLE["neurons"],
    edges: int = DEFAULT_SAMPLE["edges"],
    seed: int = DEFAULT_SAMPLE["seed"],
    progress: Progress | None = None,
) -> Path:
    """Return a directory holding the sample for these arguments, generating it if needed.

    ``directory`` defaults to :func:`default_sample_dir` (for other arguments, a sibling
    named after them). The sample always includes the synapse files. An existing directory
    is reused when its ``meta.json`` matches and every file is there; the sample is otherwise
    generated into a temporary sibling and renamed into place, so a half-written sample is
    never visible. Nothing is downloaded.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     first = ensure_sample(Path(tmp) / "s", neurons=30, edges=60)
        ...     again = ensure_sample(Path(tmp) / "s", neurons=30, edges=60)
        ...     print(first == again, sorted(p.name for p in first.iterdir()))
        True ['closest-mitochondria.csv', 'meta.json', 'mitochondria.csv', 'neurons.csv',
              'roi-connections.csv', 'synapse-connections.csv', 'synapses.csv',
              'total-connections.csv']
    """
    check_arguments(neurons, edges, seed, "adjacencies")
    if directory is None:
        target = cache_dir() / _sample_dir_name(neurons, edges, seed)
    else:
        target = Path(directory)
    if _is_complete(target, neurons, edges, seed):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        generate_sample(
            scratch, neurons=neurons, edges=edges, seed=seed, synapses=True, progress=progress
        )
        if target.exists():
            if _is_complete(target, neurons, edges, seed):  # another process won the race
                return target
            shutil.rmtree(target)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _is_complete(directory: Path, neurons: int, edges: int, seed: int) -> bool:
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict):
        return False
    matches = (
        meta.get("dataset") == DATASET_NAME
        and meta.get("neurons") == neurons
        and meta.get("edges") == edges
        and meta.get("seed") == seed
        and str(meta.get("generator", "")).endswith(" " + GENERATOR_FORMAT)
        and "synapses" in meta
    )
    names = (*sample_file_names(), *SYNAPSE_FILE_NAMES)
    return matches and all((directory / name).is_file() for name in names)
