"""neuprint-python 0.6.4's keywords in compat: fetch_neurons(omit_rois=, returned_columns=),
fetch_adjacencies(omit_rois=, weight_props=), Client(progress=), and a local neuPrint server
that both libraries can talk to (run side by side with neuprint-python in
tests/test_compat_vs_neuprint_python.py).

Run: python examples/13_compat_keywords.py
"""

import tempfile

import neuprint_dsl
from neuprint_dsl.compat import Client, fetch_adjacencies, fetch_neurons
from neuprint_dsl.compat import NeuronCriteria as NC
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

with tempfile.TemporaryDirectory() as tmp:
    generate_sample(tmp, neurons=800, edges=12_000, seed=3, synapses=False)
    # progress=False: no progress bars from the batched functions of this client
    c = Client(transport=neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")), progress=False)

    # every neuron (criteria=None), only the core columns
    neurons_df, roi_counts_df = fetch_neurons(returned_columns="core", client=c)
    print(len(neurons_df), "neurons;", list(neurons_df.columns)[:6], "...")

    # the neuron table alone, chosen columns (no roiInfo, no ROI table)
    kcs = fetch_neurons(
        NC(type="KC.*"), omit_rois=True, returned_columns=["bodyId", "type", "pre"], client=c
    )
    print(kcs.head(3))

    # per-ROI rows (weightHP is broken down by ROI only where roiInfo has it) ...
    sources = kcs["bodyId"].tolist()[:200]
    _, per_roi = fetch_adjacencies(sources, None, batch_size=50, client=c)
    print(per_roi.head(4))
    # ... or one row per connection with its totals, and weight alone
    _, totals = fetch_adjacencies(sources, None, omit_rois=True, weight_props=None, client=c)
    sums = per_roi.groupby(["bodyId_pre", "bodyId_post"], as_index=False)["weight"].sum()
    assert sums["weight"].tolist() == totals["weight"].tolist()  # NotPrimary completes them
    print(totals.head(3))
    c.transport.close()
