"""neuprint-python code, unchanged but for the import, running on the embedded engine.

Run: python examples/07_neuprint_python_compat.py
"""

import os
import tempfile

import neuprint_dsl
from neuprint_dsl import N
from neuprint_dsl.compat import (
    Client,
    fetch_adjacencies,
    fetch_neurons,
    fetch_simple_connections,
)
from neuprint_dsl.compat import NeuronCriteria as NC
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

os.environ["NEUPRINT_DSL_NO_PROGRESS"] = "1"

with tempfile.TemporaryDirectory() as tmp:
    generate_sample(tmp, neurons=1500, edges=30_000, seed=3)  # synthetic, hemibrain-shaped
    c = Client(transport=neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")))

    # The neuprint-python way...
    neurons_df, roi_counts_df = fetch_neurons(NC(type="MBON.*", status="Traced"))
    print(neurons_df[["bodyId", "type", "pre", "post"]].head())
    print(roi_counts_df.head())

    # ...and what it could not say: OR across criteria, NOT, any DSL predicate.
    either = fetch_neurons(NC(type="APL") | NC(type="MBON01"))[0]
    print("APL or MBON01:", sorted(set(either["type"])))
    not_traced = fetch_neurons(NC(type="KC.*") & ~NC(status="Traced") & (N.post > 20))[0]
    assert (not_traced["status"] != "Traced").all() and (not_traced["post"] > 20).all()

    conns = fetch_simple_connections(NC(type="APL"), None, min_weight=10)
    print(conns[["bodyId_pre", "bodyId_post", "weight", "type_post"]].head())

    sources = neurons_df["bodyId"].tolist()
    adj_neurons, adjacency = fetch_adjacencies(sources, None, rois=["gL(R)", "CA(R)"])
    print(adjacency.head())
    assert set(adjacency["roi"]) <= {"gL(R)", "CA(R)"}
