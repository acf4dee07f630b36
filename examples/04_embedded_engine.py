"""Run queries on the embedded engine: generate a small synthetic export, load it, query it.

Run: python examples/04_embedded_engine.py
"""

import tempfile

import neuprint_dsl
from neuprint_dsl import E, N, connections, neurons
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

with tempfile.TemporaryDirectory() as tmp:
    # A synthetic, hemibrain-shaped export (the format neuprint-python's export_dir writes).
    generate_sample(tmp, neurons=1500, edges=30_000, seed=11)
    with neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        print(db)

        mbons = N.type.matches("MBON.*") & N.roi("MB(R)")
        df = db.run(neurons(mbons, columns=["bodyId", "type", "pre", "post"], limit=5))
        print(df.to_string(index=False))

        # The same neuron predicate on either side of a connection.
        apl_to_mbon = db.run(connections(N.type == "APL", mbons, where=E.weight >= 3))
        print(f"APL -> MBON connections with weight >= 3: {len(apl_to_mbon)}")

        # One row per (pre, post, ROI), like neuprint-python's adjacency table.
        per_roi = db.run(
            connections(N.type == "APL", mbons, rois=["gL(R)", "b'L(R)"], per_roi=True)
        )
        print(per_roi.head().to_string(index=False))
        assert set(per_roi["roi"]) <= {"gL(R)", "b'L(R)"}

        # Text queries work the same way.
        text = db.run('neurons where type = "APL" return bodyId, type')
        assert text["type"].tolist() == ["APL"]
