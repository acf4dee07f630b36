"""Generating a sample: the pipeline from a seed to the files, with progress reporting.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = generate_sample(tmp, neurons=50, edges=200, seed=1, synapses=False)
    ...     print(info.roi_rows >= 200, info.synapses_csv)
    True None
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np

from ...progress import Stages
from .connections import make_pairs, roi_counts, split_weights
from .files import DEFAULT_SAMPLE, Naming, Progress, SampleInfo, check_arguments
from .neuron_table import neuron_table, roi_info
from .neurons import make_neurons
from .synapses import Synapses, make_synapses
from .write import write_sample

SYNAPSES_UP_TO_EDGES: Final = 200_000
"""Samples of at most this many connections include synapses unless told otherwise; larger
ones only with ``synapses=True`` (``--synapses``): about six synapses per connection, so the
25,000-neuron / 3,000,000-connection sample would have 18.8 million synapses (4.3 GB of
database, a quarter of an hour to load) instead of 220 MB of CSV loading in about a minute."""


def generate_sample(
    out_dir: str | Path,
    *,
    neurons: int = DEFAULT_SAMPLE["neurons"],
    edges: int = DEFAULT_SAMPLE["edges"],
    seed: int = DEFAULT_SAMPLE["seed"],
    naming: Naming = "adjacencies",
    synapses: bool | None = None,
    progress: Progress | None = None,
) -> SampleInfo:
    """Generate a synthetic hemibrain-shaped sample into ``out_dir`` (created if needed).

    Writes ``neurons.csv``, ``roi-connections.csv``, ``total-connections.csv`` (with
    ``naming="traced"``: ``traced-neurons.csv``, ...) and ``meta.json``; with ``synapses``
    also :data:`SYNAPSE_FILE_NAMES`: ``synapses.csv``, ``synapse-connections.csv``,
    ``mitochondria.csv`` and ``closest-mitochondria.csv`` (about six synapses per
    connection). ``synapses=None`` (the default) means: only for samples of at most
    :data:`SYNAPSES_UP_TO_EDGES` connections. See the module docstring for the model. The
    same arguments always give byte-identical files, and the connection files do not depend
    on ``synapses``.

    ``progress``, if given, is called as ``progress(stage, done, total)`` through the stages
    ``"neurons"``, ``"connections"``, ``"synapses"`` (only with synapses) and ``"writing"``,
    then ``("done", total, total)``; ``done`` only grows, and moves at least once a second
    (from a helper thread while one step runs).

    Raises ``ValueError`` for ``neurons < 2``, ``edges`` outside ``0..neurons*(neurons-1)``,
    a negative or non-integer ``seed``, or an unknown ``naming``.

    Example:
        >>> import tempfile
        >>> import pandas as pd
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     info = generate_sample(tmp, neurons=40, edges=100, seed=7, naming="traced")
        ...     total = pd.read_csv(info.total_connections_csv)
        ...     by_roi = pd.read_csv(info.roi_connections_csv)
        ...     pairs = pd.read_csv(info.synapse_connections_csv)
        ...     print(info.total_connections_csv.name, len(total))
        ...     print(total["weight"].sum() == by_roi["weight"].sum() == len(pairs))
        ...     print(info.synapses_csv.read_text().splitlines()[0])
        traced-total-connections.csv 100
        True
        id,bodyId,type,roi,x,y,z,confidence
        >>> generate_sample("unused", neurons=3, edges=7)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: edges must be at most neurons*(neurons-1) = 6 (distinct ordered pairs without self-loops), got 7
    """
    check_arguments(neurons, edges, seed, naming)
    n, m, s = int(neurons), int(edges), int(seed)
    directory = Path(out_dir)
    rng = np.random.default_rng(s)
    if synapses is None:
        synapses = m <= SYNAPSES_UP_TO_EDGES
    plan = _sample_plan(n, m, synapses)
    stages = Stages(progress, _TOTAL_UNITS)
    budget = sum(seconds for _, seconds in plan)
    upcoming = iter(plan)

    def advance() -> None:
        name, seconds = next(upcoming)
        stages.step(name, _TOTAL_UNITS * seconds / budget, seconds)

    completed = False
    try:
        advance()  # neurons
        cells = make_neurons(rng, n)
        advance()  # connections: the pairs
        codes = make_pairs(rng, cells, m, lambda _s, done, total: stages.within(done, total))
        advance()  # connections: weights, ROI counts, the neuron table
        conns = split_weights(rng, cells, codes)
        del codes
        counts = roi_counts(cells, conns)
        infos, totals = roi_info(cells, counts)
        table = neuron_table(rng, cells, infos, totals)
        del infos, totals
        made: Synapses | None = None
        if synapses:
            advance()  # synapses
            # A generator of its own, so the connection files do not depend on ``synapses``.
            made = make_synapses(np.random.default_rng([s, 6]), cells, conns, counts)
        del counts
        info = write_sample(directory, naming, n, m, s, cells, conns, table, made, advance)
        completed = True
    finally:
        stages.close(completed)
    return info


#: the units of a sample generation's progress bar
_TOTAL_UNITS: Final = 100_000


def _sample_plan(neurons: int, edges: int, synapses: bool) -> list[tuple[str, float]]:
    """The steps of :func:`generate_sample` with rough seconds on an idle 2-core machine
    (they share the progress bar out; about 5.6 synapses per connection)."""
    plan = [
        ("neurons", 0.05 + neurons * 40e-6),
        ("connections", 0.05 + edges * 2.5e-6),
        ("connections", 0.05 + edges * 4e-6 + neurons * 40e-6),
    ]
    count = 5.6 * edges
    if synapses:
        plan.append(("synapses", 0.05 + count * 2e-6))
    plan += [
        ("writing", 0.05 + neurons * 120e-6),
        ("writing", 0.05 + edges * 1.1e-6),
        ("writing", 0.05 + edges * 0.7e-6),
    ]
    if synapses:
        plan += [("writing", 0.05 + count * f) for f in (0.8e-6, 0.3e-6, 0.02e-6, 0.5e-6)]
    return plan
