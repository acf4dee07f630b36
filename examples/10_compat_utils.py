"""neuprint-python's table helpers, fetch_paths and skeleton helpers, on the embedded engine.

Run: python examples/10_compat_utils.py
"""

import os
import tempfile

import numpy as np
import pandas as pd

import neuprint_dsl
from neuprint_dsl.compat import (
    Client,
    attach_synapses_to_skeleton,
    connection_table_to_matrix,
    fetch_adjacencies,
    fetch_neurons,
    fetch_paths,
    fetch_simple_connections,
    merge_neuron_properties,
    skeleton_segments,
    skeleton_swc_to_df,
    syndist_matrix,
    upsample_skeleton,
)
from neuprint_dsl.compat import NeuronCriteria as NC
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

os.environ["NEUPRINT_DSL_NO_PROGRESS"] = "1"

with tempfile.TemporaryDirectory() as tmp:
    generate_sample(tmp, neurons=600, edges=9_000, seed=3, synapses=False)  # synthetic
    c = Client(transport=neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")))

    # A type-to-type matrix, the neuprint-python way.
    neurons_df, conn_df = fetch_adjacencies(NC(type="KC.*"), NC(type="MBON.*"))
    conn_df = merge_neuron_properties(neurons_df, conn_df, ["type"])
    matrix = connection_table_to_matrix(conn_df, "type", sort_by="type")
    print(matrix.iloc[:5, :5])
    assert matrix.to_numpy().sum() == conn_df["weight"].sum()

    # Synapse counts per ROI, one row per body.
    neurons, roi_counts = fetch_neurons(NC(type="MBON.*"))
    per_roi = syndist_matrix(roi_counts, syn_columns=["post"], flatten_column_index=True)
    print(per_roi.iloc[:3, :4])

    # Every path of exactly two connections (weight >= 3, through traced neurons).
    traced = fetch_neurons(NC(status="Traced"))[0]["bodyId"].tolist()
    hops = fetch_simple_connections(traced, traced, min_weight=3)  # traced -> traced
    two_hops = hops.merge(hops, left_on="bodyId_post", right_on="bodyId_pre")
    start, goal = (int(two_hops[c].iloc[0]) for c in ("bodyId_pre_x", "bodyId_post_y"))
    paths = fetch_paths(start, goal, min_weight=3, path_length=2)
    print(paths.head(9))
    assert len(paths) and (paths.groupby("path").size() == 3).all()
    assert (paths["path_length"] == 2).all() and (paths["weight"].iloc[1:] >= 3).all()
    c.transport.close()

# Skeleton helpers work on any skeleton DataFrame (here one written as SWC text).
skeleton = skeleton_swc_to_df("1 0 0 0 0 4 -1\n2 0 100 0 0 2 1\n3 0 100 80 0 1 2\n")
fine = upsample_skeleton(skeleton, max_segment_length=25)
print(f"{len(skeleton)} nodes upsampled to {len(fine)}")
assert (skeleton_segments(fine)["length"] <= 25 + 1e-3).all()
synapses = pd.DataFrame(
    {"type": ["pre", "post"], "x": [52, 97], "y": [3, 61], "z": [0, 1]},
)
attached = attach_synapses_to_skeleton(fine, synapses)
print(attached.tail(2))
assert list(attached["structure"].iloc[-2:]) == ["pre", "post"]
# cutting segments keeps the (truncated-cone) volume of each segment
volumes = skeleton_segments(skeleton)["volume"].sum(), skeleton_segments(fine)["volume"].sum()
assert np.isclose(*volumes, rtol=0.05), volumes
