"""The properties of neurons given by body id, as compat's connectivity functions add them
to their tables: which of them a dataset has, fetched in batches, missing ones as empty
columns.

Example:
    >>> print(body_ids([3, 1]))
    bodyId in [3, 1]
    >>> sorted(tolerated(DEFAULT_PROPERTIES)), tolerated(["type"])
    (['instance', 'type'], frozenset())
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from ..execute import run
from ..expr import IsIn, Predicate
from ..fields import N
from ..query import neurons
from ..validate import validate
from .client import Client

__all__ = [
    "DEFAULT_PROPERTIES",
    "ID_BATCH",
    "body_ids",
    "dataset_has",
    "fetch_properties",
    "lacking_as_empty",
    "property_columns",
    "tolerated",
]

#: body ids per query when properties are fetched for a list of bodies
ID_BATCH = 10_000


def body_ids(ids: Sequence[int]) -> Predicate:
    """``N.bodyId.isin(ids)`` for a list of plain ints, built without the per-value checks
    of the fluent API (the predicate still checks the 64-bit range of the whole list).

    Example:
        >>> body_ids([3, 1]) == N.bodyId.isin([3, 1])
        True
    """
    return IsIn(N.bodyId.operand, tuple(int(i) for i in ids))


#: neuprint-python's default ``properties``: those a dataset lacks come back empty, while a
#: property the caller names that the dataset lacks raises UnknownField
DEFAULT_PROPERTIES: tuple[str, ...] = ("type", "instance")


def tolerated(properties: Sequence[str]) -> frozenset[str]:
    """The names of ``properties`` to leave out quietly where the dataset lacks them: the
    defaults (compat's own choice), never names the caller gave.

    Example:
        >>> tolerated(DEFAULT_PROPERTIES) == {"type", "instance"}, tolerated(["type"])
        (True, frozenset())
    """
    return frozenset(properties) if properties is DEFAULT_PROPERTIES else frozenset()


def dataset_has(client: Client, names: Iterable[str]) -> list[str]:
    """The neuron properties among ``names`` the client's dataset has (all of them when its
    schema does not list its properties).

    Example:
        >>> dataset_has(client, ["type", "noSuchProperty"])  # doctest: +SKIP
        ['type']
    """
    schema = getattr(client.transport, "schema", None)
    known = schema.node_properties if schema is not None else None
    return [n for n in names if known is None or n in known]


def fetch_properties(
    client: Client,
    ids: Iterable[int],
    properties: Sequence[str],
    *,
    optional: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """``bodyId`` plus ``properties`` for the given bodies (any label), in batches; the
    ``optional`` ones the dataset lacks are not asked for and come back empty.

    Example:
        >>> fetch_properties(client, [5813, 1], ["type"]).columns.tolist()  # doctest: +SKIP
        ['bodyId', 'type']
    """
    ids = sorted(set(int(i) for i in ids))
    wanted, columns = property_columns(client, properties, optional)
    frames = [
        run(
            client.transport,
            neurons(body_ids(ids[i : i + ID_BATCH]), label="Segment", columns=columns),
        )
        for i in range(0, len(ids), ID_BATCH)
    ]
    if not frames:
        return pd.DataFrame(
            {
                c: pd.Series([], dtype="int64" if c == "bodyId" else object)
                for c in ["bodyId", *wanted]
            }
        )
    return lacking_as_empty(pd.concat(frames, ignore_index=True), wanted)


def property_columns(
    client: Client, properties: Sequence[str], optional: frozenset[str]
) -> tuple[list[str], list[str]]:
    """The properties asked for (``bodyId`` left out) and the columns to fetch: ``bodyId``
    and those of them the dataset has or the caller named (checked: UnknownField).

    Example:
        >>> property_columns(client, ["bodyId", "type"], frozenset())  # doctest: +SKIP
        (['type'], ['bodyId', 'type'])
    """
    lacking = set(optional) - set(dataset_has(client, optional))
    wanted = [p for p in properties if p != "bodyId"]
    columns = ["bodyId", *[p for p in wanted if p not in lacking]]
    # names the caller gave are checked even when there are no bodies to ask about
    validate(neurons(label="Segment", columns=columns), getattr(client.transport, "schema", None))
    return wanted, columns


def lacking_as_empty(table: pd.DataFrame, wanted: Sequence[str]) -> pd.DataFrame:
    """``table`` with an empty (None) column for each wanted property it does not have.

    Example:
        >>> lacking_as_empty(pd.DataFrame({"bodyId": [1]}), ["type"])["type"].tolist()
        [None]
    """
    for name in wanted:
        if name not in table.columns:
            table[name] = pd.Series([None] * len(table), dtype=object, index=table.index)
    return table
