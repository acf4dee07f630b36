"""Golden tests: the exact neo4j Cypher each compat function sends (through a recording
transport that answers like a small neuPrint dataset). Update a golden only after reading the
new text and deciding it is right."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from neuprint_dsl.compat import (
    Client,
    NeuronCriteria,
    clear_default_client,
    fetch_adjacencies,
    fetch_common_connectivity,
    fetch_custom,
    fetch_meta,
    fetch_neurons,
    fetch_roi_hierarchy,
    fetch_shortest_paths,
    fetch_simple_connections,
)

from .goldens import Goldens

META = {
    "dataset": "hemibrain:v1.2.1",
    "primaryRois": ["MB(R)", "FB", "b'L(R)"],
    "roiInfo": json.dumps({"MB(R)": {"pre": 1, "post": 2}, "FB": {}, "b'L(R)": {}, "CA(R)": {}}),
    "neuronProperties": json.dumps(
        {
            "bodyId": {},
            "type": {},
            "instance": {},
            "status": {},
            "pre": {},
            "post": {},
            "roiInfo": {},
        }
    ),
    "roiHierarchy": json.dumps(
        {
            "name": "hemibrain",
            "children": [{"name": "MB(R)", "children": [{"name": "CA(R)"}]}, {"name": "FB"}],
        }
    ),
}


def answer(cypher: str) -> Any:
    if cypher.startswith("MATCH (n:Meta)"):
        return pd.DataFrame({"n": [META]})
    if cypher.endswith("RETURN n.bodyId AS bodyId\nORDER BY n.bodyId"):
        return [[1], [2]]
    return None


CASES: dict[str, Callable[[Client], object]] = {
    "fetch_neurons": lambda c: fetch_neurons(
        NeuronCriteria(type="MBON.*", rois=["MB(R)"], status="Traced"), client=c
    ),
    "fetch_neurons_ids": lambda c: fetch_neurons([329566174, 425790257], client=c),
    "fetch_simple_connections": lambda c: fetch_simple_connections(
        [1, 2], NeuronCriteria(type="APL"), min_weight=5, client=c
    ),
    "fetch_adjacencies": lambda c: fetch_adjacencies(
        # one thread: with several, the batches' queries are recorded in a varying order
        [1, 2],
        None,
        rois=["MB(R)"],
        batch_size=1,
        threads=1,
        client=c,
        progress=False,
    ),
    "fetch_common_connectivity": lambda c: fetch_common_connectivity(
        NeuronCriteria(type="APL"), client=c
    ),
    "fetch_shortest_paths": lambda c: fetch_shortest_paths(1, 2, min_weight=10, client=c),
}


GOLDENS = Goldens("compat_neo4j.json", CASES, answer)


@pytest.mark.parametrize("name", GOLDENS.names())
def test_compat_cypher_golden(name: str) -> None:
    assert GOLDENS.sent(name) == GOLDENS.expected()[name]


def test_goldens_cover_every_case() -> None:
    assert sorted(GOLDENS.expected()) == GOLDENS.names()


def test_fetch_custom_and_meta_send_the_text_as_given() -> None:
    client, recording = GOLDENS.client()
    fetch_custom("MATCH (n:Neuron) RETURN count(*)", client=client)
    assert fetch_meta(client=client)["dataset"] == "hemibrain:v1.2.1"
    assert recording.sent == ["MATCH (n:Neuron) RETURN count(*)", "MATCH (n:Meta) RETURN n"]
    assert fetch_roi_hierarchy(format="text", client=client).splitlines() == [
        "hemibrain",
        " +-- MB(R)*",
        " |   +-- CA(R)",
        " +-- FB*",
    ]
    clear_default_client()


if __name__ == "__main__":  # regenerate: python -m tests.test_compat_golden
    GOLDENS.regenerate()
