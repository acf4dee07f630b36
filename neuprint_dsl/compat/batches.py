"""How compat's fetch functions choose bodies and split their work: the neuron predicate of a
criteria argument, the matching bodies in batches, each batch run (in threads) with a
progress bar.

Example:
    >>> from neuprint_dsl.compat.batches import id_list, map_batches
    >>> id_list([3, 1, 3]), id_list("APL")
    ([1, 3], None)
    >>> map_batches(lambda b: sum(b), [[1, 2], [3]], threads=2, progress=False, what="sum")
    [3, 3]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidArgument
from ..execute import run
from ..expr import TRUE, Predicate, as_predicate
from ..fields import N
from ..progress import bars_wanted, count_bar
from ..query import Label, neurons
from .client import Client
from .criteria import as_criteria, criteria_label

__all__ = [
    "body_batches",
    "client_progress",
    "criteria_side",
    "id_list",
    "map_batches",
    "positive_int",
    "run_batches",
    "selection",
]


def positive_int(value: object, what: str) -> int:
    """``value`` as an int of at least 1 (else :class:`~neuprint_dsl.errors.InvalidArgument`).

    Example:
        >>> positive_int(10, "batch_size")
        10
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise InvalidArgument(f"{what} must be a positive int, not {value!r}")
    return int(value)


def client_progress(client: Client) -> bool:
    """Whether the client shows progress bars (``Client(progress=...)``) and
    ``NEUPRINT_DSL_NO_PROGRESS`` is not set.

    Example:
        >>> class Quiet:
        ...     progress = False
        >>> client_progress(Quiet())  # type: ignore[arg-type]
        False
    """
    return bool(getattr(client, "progress", True)) and bars_wanted()


def map_batches(
    fn: Callable[[Any], Any], items: list[Any], threads: int, progress: bool, what: str
) -> list[Any]:
    """``fn`` over ``items``, ``threads`` at a time, results in order, with a bar counting
    them named ``what`` (:func:`~neuprint_dsl.progress.count_bar`; when ``progress``, there is
    more than one item and ``NEUPRINT_DSL_NO_PROGRESS`` is not set).

    Example:
        >>> map_batches(str, [1, 2], 1, False, "str")
        ['1', '2']
    """
    with count_bar(len(items), what, show=progress and len(items) > 1) as bar:
        if threads == 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.update()
            return out
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(fn, item) for item in items]
            results = []
            for future in futures:
                results.append(future.result())
                bar.update()
            return results


def criteria_side(criteria: Any, client: Client) -> tuple[Predicate, Label]:
    """The neuron predicate and label of one side's criteria as neuprint-python reads it
    (:func:`~neuprint_dsl.compat.as_criteria`); ``None`` is every neuron.

    Example:
        >>> criteria_side(None, None)  # type: ignore[arg-type]
        (<predicate true>, 'Neuron')
    """
    if criteria is None:
        return TRUE, "Neuron"
    return as_predicate(as_criteria(criteria, client=client)), criteria_label(criteria)


def id_list(value: object) -> list[int] | None:
    """The sorted distinct body ids of a plain list, tuple, array or Series of ints;
    ``None`` for anything else.

    Example:
        >>> id_list((5, 2, 5)), id_list([1, True])
        ([2, 5], None)
    """
    if isinstance(value, (np.ndarray, pd.Series, pd.Index)):
        if value.dtype.kind not in "iu" or len(value) == 0:
            return None
        return sorted({int(v) for v in value.tolist()})
    if (
        isinstance(value, (list, tuple))
        and value
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value
        )
    ):
        return sorted({int(v) for v in value})
    return None


def selection(criteria: Any, client: Client) -> tuple[Predicate, Label]:
    """The neuron predicate and label for ``criteria``, as :func:`criteria_side` reads it; a
    plain list/array/Series of body ids becomes ``N.bodyId.isin(ids)`` directly (the same
    predicate, without building a ``NeuronCriteria`` for thousands of ids).

    Example:
        >>> print(selection([2, 1], None)[0])  # type: ignore[arg-type]
        bodyId in [1, 2]
    """
    ids = id_list(criteria)
    if ids is not None:
        return N.bodyId.isin(ids), "Segment"
    return criteria_side(criteria, client)


def body_batches(
    client: Client, criteria: Any, batch_size: object
) -> tuple[list[list[int]], Label]:
    """The bodies matching ``criteria`` (sorted), in batches of ``batch_size``, and the label
    they carry.

    Example:
        >>> body_batches(client, [3, 1, 2], 2)  # doctest: +SKIP
        ([[1, 2], [3]], 'Segment')
    """
    size = positive_int(batch_size, "batch_size")
    where, label = selection(criteria, client)
    frame = run(client.transport, neurons(where, label=label, columns=["bodyId"]))
    ids = [int(b) for b in frame["bodyId"].tolist()]
    return [ids[i : i + size] for i in range(0, len(ids), size)], label


def run_batches(
    client: Client, batches: list[Any], fetch: Callable[[Any], pd.DataFrame], what: str
) -> list[pd.DataFrame]:
    """``fetch`` each batch in order, with a progress bar; the non-empty results.

    Example:
        >>> run_batches(None, [1, 0], lambda n: pd.DataFrame({"a": range(n)}), "x")  # type: ignore[arg-type]
        [   a
        0  0]
    """
    frames: list[pd.DataFrame] = map_batches(fetch, batches, 1, client_progress(client), what)
    return [f for f in frames if len(f)]
