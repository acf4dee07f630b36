"""One local neuPrint server that neuprint-dsl and neuprint-python both talk to.

:func:`serve_embedded` makes a :class:`~tests.neuprint_server.FakeNeuprint` answer every
custom query from one embedded database: the Cypher either client sends (neuPrint's dialect)
runs through :func:`neuprint_dsl.embedded.neuprint_cypher.run_neuprint_cypher`, which
translates it or refuses it (a refused query comes back as the server's syntax error, so a
comparison never passes on a query that did not run). neuprint-python's
``CALL apoc.cypher.runTimeboxed("<query>", {}, ms) YIELD value RETURN value.c as count``
(its way of counting in ``fetch_adjacencies``) runs the inner query. The server lists one
dataset and serves its ``:Meta`` node as neuPrint stores it.

:func:`neuprint_python_client` makes a real ``neuprint.Client`` for that server. neuprint-python
accepts only ``https://`` servers, and the test server speaks plain HTTP on 127.0.0.1, so the
client is created for the ``https://`` form of the address with neuprint-python's own dataset
cache filled from the server's ``/api/dbmeta/datasets`` answer (its ``__init__`` then picks
the dataset exactly as it would), and its ``server`` is then set to the ``http://`` address:
every later request goes to the test server unchanged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import requests

from neuprint_dsl.compat.client import Client
from neuprint_dsl.embedded.neuprint_cypher import neuprint_meta_node, run_neuprint_cypher

from .neuprint_server import Answer, FakeNeuprint, Prebuilt, json_answer, rewrite_labels

#: neuprint-python's count query (fetch_adjacencies), with the inner query
_TIMEBOXED = re.compile(
    r'\s*CALL apoc\.cypher\.runTimeboxed\("(?P<query>.*)",\s*\{\},\s*\d+\)\s*YIELD value\s*'
    r"RETURN value\.c as count\s*",
    re.S,
)
#: Neo4j import types, as a neuPrint Meta node's ``neuronProperties`` lists them
_NEO4J_TYPES = {
    "int": "long",
    "str": "string",
    "bool": "boolean",
    "float": "float",
    "point": "point{crs:cartesian-3D}",
}


def served_meta(db: Client) -> dict[str, Any]:
    """The Meta dict of the embedded database as a neuPrint server has it: ``roiInfo`` among
    the neuron properties (neuPrint stores it on every neuron), Neo4j type names."""
    meta = dict(db.meta)
    props = {k: _NEO4J_TYPES.get(v, v) for k, v in dict(meta["neuronProperties"]).items()}
    props["roiInfo"] = "string"
    meta["neuronProperties"] = props
    return meta


def plain(value: Any) -> Any:
    """A value of an engine answer as JSON has it (numpy values, NaN -> None, lists)."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def serve_embedded(
    server: FakeNeuprint, db: Client, *, cache: bool = False
) -> Callable[[str], Answer]:
    """Have ``server`` serve ``db`` (a compat Client on the embedded engine) as its only
    dataset; returns the function that answers a query. ``cache=True`` keeps each answer,
    encoded, by query text (for benchmarks: the server then costs the same for every
    client and every repeat)."""
    dataset = str(db.dataset)
    meta = served_meta(db)
    server.datasets = {dataset: {"uuid": "bridge", "ROIs": db.all_rois, "hidden": False}}
    server.meta = {dataset: neuprint_meta_node(meta)}
    lock = threading.Lock()  # one query at a time on the embedded connection

    def answer(cypher: str) -> Answer:
        inner = _TIMEBOXED.fullmatch(cypher)
        with lock:
            if inner is not None:
                query = inner["query"].replace('\\"', '"')
                frame = run_neuprint_cypher(db.transport, query, lambda: meta)
                return ["count"], [[plain(frame.iloc[0, 0])]]
            frame = run_neuprint_cypher(db.transport, cypher, lambda: meta)
        rows = [[plain(v) for v in row] for row in frame.astype(object).itertuples(index=False)]
        return [str(c) for c in frame.columns], rows

    encoded: dict[str, Prebuilt] = {}
    original = server._lookup

    def lookup(cypher: str) -> Any:
        """The server's lookup of an answer: ours, or (refused) its own, none: a syntax error."""
        if cache and cypher in encoded:
            return encoded[cypher]
        try:
            columns, rows = answer(cypher)
        except Exception:
            return original(cypher)
        if not cache:
            return columns, rows
        body = Prebuilt(json_answer(columns, rows, rewrite_labels(cypher, dataset)))
        encoded[cypher] = body
        return body

    server._lookup = lookup  # type: ignore[method-assign]
    return answer


def neuprint_python_client(url: str, dataset: str | None = None, *, progress: bool = False) -> Any:
    """A real ``neuprint.Client`` talking to the test server at ``url`` (``http://``)."""
    from neuprint import Client as NeuprintClient

    secure = "https://" + url.removeprefix("http://")
    datasets = requests.get(f"{url}/api/dbmeta/datasets", timeout=30).json()
    NeuprintClient.DATASETS_CACHE[secure] = datasets
    client = NeuprintClient(secure, dataset, token="bridge-token", progress=progress)
    client.server = url
    return client
