"""What compat reads of connections beyond a ``connections`` statement's own columns: the
one neuPrint query per batch (the statement compiled with the connection's other counts,
both ends' properties and ``roiInfo``, as neuprint-python asks), neuPrint's ``roiInfo``
texts read exactly, the ``weight_props`` argument, and the same data on the embedded engine.

Example:
    >>> roi_infos(['{"FB": {"pre": 1, "post": 2}}'], [1], [2])
    [{'FB': {'pre': 1, 'post': 2}}]
"""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..backends import LADYBUG
from ..cypher import CONNECTION_PROPERTIES, CypherCompiler, CypherStatement, get_dialect
from ..errors import (
    CapabilityError,
    InvalidArgument,
    TransportError,
)
from ..query import Connections
from ..validate import validate
from .client import Client
from .properties import (
    ID_BATCH,
)

__all__ = [
    "TOTAL_COLUMNS",
    "WEIGHT_PROPERTIES",
    "compiled_connections",
    "embedded_conn_roi_info",
    "embedded_weights",
    "int_column",
    "parsed_roi_info",
    "roi_count",
    "roi_infos",
    "weight_properties",
]

#: the columns of one connection row
TOTAL_COLUMNS = ["bodyId_pre", "bodyId_post", "weight"]


def compiled_connections(
    transport: Any,
    statement: Connections,
    weights: Sequence[str],
    neuron_columns: Sequence[str] | None,
    roi_info: bool,
) -> CypherStatement:
    """``statement`` compiled for the transport's dialect (validated against its schema, as
    :func:`~neuprint_dsl.cypher.to_cypher` does), also returning the connection counts
    ``weights``, the ``neuron_columns`` of both ends (default: the statement's own) and,
    with ``roi_info``, neuPrint's ``e.roiInfo`` as ``conn_roiInfo``: neuprint-python's one
    query per batch.

    Example:
        >>> from neuprint_dsl import connections
        >>> compiled_connections(client.transport, connections(), ["weightHP"], None, True).columns[-1]  # doctest: +SKIP
        'conn_roiInfo'
    """
    schema = transport.schema
    if schema is not None:
        validate(statement, schema)
    compiler = CypherCompiler(get_dialect(transport.dialect), schema)
    columns = CONNECTION_PROPERTIES if neuron_columns is None else tuple(neuron_columns)
    return compiler.connections(
        statement, weights=tuple(weights), neuron_columns=columns, roi_info=roi_info
    )


def parsed_roi_info(value: Any, pre: int, post: int) -> dict[str, Any]:
    """neuPrint's ``ConnectsTo.roiInfo`` (a JSON string) as a dict; ``{}`` when it is missing.

    Example:
        >>> parsed_roi_info('{"FB": {"post": 3}}', 1, 2), parsed_roi_info(None, 1, 2)
        ({'FB': {'post': 3}}, {})
    """
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, dict):  # a server that answers with the map already parsed
        return value
    try:
        parsed = json.loads(value) if isinstance(value, (str, bytes)) else None
    except ValueError as err:
        raise TransportError(
            f"the roiInfo of the connection {pre} -> {post} is not JSON ({err}): {value!r:.200}"
        ) from None
    if not isinstance(parsed, dict):
        raise TransportError(
            f"the roiInfo of the connection {pre} -> {post} is not a JSON object: {value!r:.200}"
        )
    return parsed


_CONN_ROI_ROWS = (
    "MATCH (n)-[r:ConnectsToRoi]->(m) WHERE n.bodyId IN $pre AND m.bodyId IN $post "
    "AND r.roi <> 'NotPrimary' AND (r.weight > 0 OR r.pre > 0) "
    "RETURN n.bodyId AS a, m.bodyId AS b, r.roi AS roi, r.pre AS pre, r.weight AS post"
)


def embedded_conn_roi_info(
    client: Client, table: pd.DataFrame
) -> dict[tuple[int, int], dict[str, dict[str, int]]] | None:
    """neuPrint's ``ConnectsTo.roiInfo`` of each connection in ``table`` on the embedded
    engine (every ROI the database holds, super-level ones included; ``pre`` where the load
    knew it), strongest ROI first; ``None`` on other engines.

    Example:
        >>> embedded_conn_roi_info(client, table)  # doctest: +SKIP
        {(1, 2): {'FB': {'pre': 3, 'post': 3}}}
    """
    transport = client.transport
    if getattr(transport, "dialect", None) != LADYBUG or not hasattr(transport, "meta"):
        return None
    info: dict[tuple[int, int], dict[str, dict[str, int]]] = {}
    wanted = {
        (int(a), int(b)) for a, b in zip(table["bodyId_pre"], table["bodyId_post"], strict=True)
    }
    if not wanted:
        return info
    posts = sorted({b for _, b in wanted})
    pres = sorted({a for a, _ in wanted})
    frames = [
        transport.fetch_custom(_CONN_ROI_ROWS, {"pre": pres[i : i + ID_BATCH], "post": posts})
        for i in range(0, len(pres), ID_BATCH)
    ]
    rows = pd.concat(frames, ignore_index=True)
    has_pre = bool(transport.meta.get("roiPreCounts", False))
    rows = rows.sort_values(["post", "roi"], ascending=[False, True], kind="stable")
    for a, b, roi, pre, post in rows.itertuples(index=False, name=None):
        if (int(a), int(b)) not in wanted:
            continue
        entry = {"pre": int(pre), "post": int(post)} if has_pre else {"post": int(post)}
        info.setdefault((int(a), int(b)), {})[str(roi)] = entry
    return info


#: neuprint-python's connection-strength properties (``weight_props``), in its order
WEIGHT_PROPERTIES: tuple[str, ...] = (
    "weight",
    "weightHP",
    "weightAxonAxon",
    "weightAxonDendrite",
    "weightDendriteDendrite",
    "weightDendriteAxon",
)
#: those only datasets with axon/dendrite polarity have (told by an ``axonOut`` property)
_POLARITY_WEIGHTS = frozenset(WEIGHT_PROPERTIES[2:])


def weight_properties(weight_props: str | Sequence[str] | None, client: Client | None) -> list[str]:
    """The extra connection-strength columns ``weight_props`` asks for, as neuprint-python
    reads the argument: ``"all"`` (every one the dataset can have), one name, a list, or
    ``None`` (``weight`` only); in :data:`WEIGHT_PROPERTIES` order, ``weight`` left out. The
    polarity weights are dropped when the dataset has no ``axonOut`` property (with a warning
    when they were named).

    Example:
        >>> weight_properties(["weightHP", "weight"], None)  # doctest: +SKIP
        ['weightHP']
        >>> weight_properties("weigth", None)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: unknown weight_props ['weigth']; ...
    """
    if weight_props is None:
        wanted = ["weight"]
    elif weight_props == "all":
        wanted = list(WEIGHT_PROPERTIES)
    elif isinstance(weight_props, str):
        wanted = [weight_props]
    else:
        wanted = list(weight_props)
    unknown = [p for p in wanted if p not in WEIGHT_PROPERTIES]
    if unknown:
        raise InvalidArgument(
            f"unknown weight_props {unknown}; choose from {list(WEIGHT_PROPERTIES)} or 'all'"
        )
    polarity = _POLARITY_WEIGHTS & set(wanted)
    if polarity and client is not None and "axonOut" not in client.fetch_neuron_keys():
        wanted = [p for p in wanted if p not in polarity]
        if weight_props != "all":
            warnings.warn(
                "this dataset has no axon/dendrite polarity information, so these weight_props "
                f"are left out: {sorted(polarity)}",
                stacklevel=3,
            )
    return [p for p in WEIGHT_PROPERTIES[1:] if p in wanted]


def int_column(values: list[Any], name: str) -> np.ndarray[Any, Any]:
    """A column of whole numbers that must all be there (body ids, weights), as int64.

    Example:
        >>> int_column([1, 2], "weight")
        array([1, 2])
    """
    try:
        return np.array(values, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise TransportError(
            f"the answer's column {name!r} has missing or non-integer values: "
            f"{[v for v in values if type(v) is not int][:5]!r}"
        ) from None


#: the C scanner behind json.loads, called directly (a third of json.loads' time per text)
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _map_decoder() -> Callable[[str], dict[str, Any]] | None:
    """msgspec's decoder of one JSON object (3x json.loads on roiInfo texts), if installed."""
    try:
        msgspec_json: Any = importlib.import_module("msgspec.json")
    except ImportError:  # pragma: no cover - json.loads gives the same dicts
        return None
    decode: Callable[[str], dict[str, Any]] = msgspec_json.Decoder(dict).decode
    return decode


_DECODE_MAP = _map_decoder()


def roi_infos(values: list[Any], pres: list[Any], posts: list[Any]) -> list[dict[str, Any]]:
    """The connections' ``roiInfo`` (JSON text) as dicts, each text parsed as json.loads
    parses it (whole, an object; by msgspec when installed, which gives the same dicts and
    refuses what it cannot give the same); anything else goes through :func:`parsed_roi_info`,
    which accepts a map and names the connection (``pres[i] -> posts[i]``) of a bad value.

    Example:
        >>> roi_infos(['{"FB": {"pre": 1, "post": 2}}', None], [1, 2], [3, 4])
        [{'FB': {'pre': 1, 'post': 2}}, {}]
    """
    if _DECODE_MAP is not None and set(map(type, values)) <= {str}:
        try:  # every text at once, in C; a text msgspec refuses: each on its own below
            return list(map(_DECODE_MAP, values))
        except ValueError:
            pass
    out: list[dict[str, Any]] = []
    for value, pre, post in zip(values, pres, posts, strict=True):
        if type(value) is str and _DECODE_MAP is not None:
            try:
                out.append(_DECODE_MAP(value))
                continue
            except ValueError:  # msgspec refuses it (NaN...): json's answer, or its error
                pass
        if type(value) is str:
            try:
                parsed, end = _SCAN_JSON(value, 0)
            except (StopIteration, ValueError):
                parsed, end = None, -1
            if end == len(value) and type(parsed) is dict:
                out.append(parsed)
                continue
        out.append(parsed_roi_info(value, pre, post))
    return out


def roi_count(value: Any, pre: int, post: int, roi: str) -> int:
    """A count in a connection's roiInfo entry (missing: 0, as ``coalesce(..., 0)``).

    Example:
        >>> roi_count(None, 1, 2, "FB"), roi_count(3.0, 1, 2, "FB")
        (0, 3)
    """
    if value is None:
        return 0
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise TransportError(
            f"the roiInfo of the connection {pre} -> {post} has a count {value!r:.50} for "
            f"{roi!r}, not a whole number"
        )
    return int(value)


_EDGE_WEIGHTS = (
    "MATCH (n)-[e:ConnectsTo]->(m) WHERE n.bodyId IN $pre AND m.bodyId IN $post "
    "RETURN n.bodyId AS bodyId_pre, m.bodyId AS bodyId_post, {columns}"
)


def embedded_weights(client: Client, totals: pd.DataFrame, extras: Sequence[str]) -> pd.DataFrame:
    """``totals`` with the ``extras`` columns (``coalesce(e.p, 0)``) read on the embedded
    engine, which stores ``weightHP`` (the polarity weights need an ``axonOut`` property,
    which it has not).

    Example:
        >>> embedded_weights(client, totals, ["weightHP"]).columns.tolist()  # doctest: +SKIP
        ['bodyId_pre', 'bodyId_post', 'weight', 'weightHP']
    """
    transport = client.transport
    if getattr(transport, "dialect", None) != LADYBUG or not hasattr(transport, "fetch_custom"):
        raise CapabilityError(
            f"weight_props {list(extras)}", type(transport).__name__, ("NeuprintHTTP", "Embedded")
        )
    out = totals.copy()
    if out.empty:
        for name in extras:
            out[name] = pd.Series([], dtype="int64")
        return out
    stored = {"weightHP"}
    read = ", ".join(f"coalesce(e.{p}, 0) AS {p}" if p in stored else f"0 AS {p}" for p in extras)
    pres = sorted({int(b) for b in out["bodyId_pre"]})
    posts = sorted({int(b) for b in out["bodyId_post"]})
    frames = [
        transport.fetch_custom(
            _EDGE_WEIGHTS.format(columns=read), {"pre": pres[i : i + ID_BATCH], "post": posts}
        )
        for i in range(0, len(pres), ID_BATCH)
    ]
    found = pd.concat(frames, ignore_index=True).astype("int64")
    found = found.drop_duplicates(["bodyId_pre", "bodyId_post"])
    out = out.merge(found, on=["bodyId_pre", "bodyId_post"], how="left")
    for name in extras:
        out[name] = out[name].fillna(0).astype("int64")
    return out
