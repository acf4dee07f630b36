"""What the client does with DVID's records: DVID has no ordering, limits or aggregation,
so the rows of a ``neurons`` statement are computed here by the reference interpreter's rules.

Layer L2 (inside ``neuronjson``). May import: L0-L1 (expr, interpret).

Example:
    >>> from neuprint_dsl import parse
    >>> client_rows([{"bodyid": 2}, {"bodyid": 1}], parse("neurons limit 1"), {"bodyId": "bodyid"})
    ([{'bodyid': 1}], None)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..expr import TRUE
from ..interpret import neuron_rows

__all__ = ["client_rows", "renamed"]


def renamed(record: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """``record`` with its keys renamed by ``names`` (others kept).

    Example:
        >>> renamed({"bodyid": 1, "type": "KC"}, {"bodyid": "bodyId"})
        {'bodyId': 1, 'type': 'KC'}
    """
    return {names.get(k, k): v for k, v in record.items()}


def client_rows(
    records: Iterable[Mapping[str, Any]], statement: Any, field_names: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The rows of a ``neurons`` statement computed on DVID records that already passed its
    ``where`` (keys as DVID names them), by the reference interpreter's rules
    (:func:`neuprint_dsl.interpret.neuron_rows`): ordered (missing values last, ties by body
    id), grouped and aggregated (a missing key is a group of its own), limited; returned
    ROI counts read ``roiInfo`` (0 when a record has none). Also returns the result's
    columns (DVID names), or ``None`` when the statement returns every field.

    Example:
        >>> from neuprint_dsl import parse
        >>> recs = [{"bodyid": 1, "type": "KC", "pre": 2}, {"bodyid": 2, "type": "KC", "pre": 5},
        ...         {"bodyid": 3, "pre": 1}]
        >>> rows, columns = client_rows(recs, parse("neurons group by type return count, sum(pre)"), {"bodyId": "bodyid"})
        >>> rows, columns
        ([{'type': 'KC', 'count': 2, 'sum_pre': 7}, {'type': None, 'count': 1, 'sum_pre': 1}], ['type', 'count', 'sum_pre'])
    """
    to_dsl = {dvid: dsl for dsl, dvid in field_names.items()}
    in_dsl_names = [renamed(r, to_dsl) for r in records]
    rows = neuron_rows(attrs.evolve(statement, where=TRUE), in_dsl_names)
    out = [renamed(row, field_names) for row in rows]
    columns = statement.result_columns()
    if columns is None:
        return out, None
    return out, [field_names.get(c, c) for c in columns]
