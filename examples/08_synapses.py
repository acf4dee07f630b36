"""Synapses and mitochondria: the S and M namespaces and the synapse-level statements.

Builds a small synthetic sample (with synapses and mitochondria) in a temporary directory,
loads it into the embedded engine and asks synapse-level questions in Python and as text.
Run: python examples/08_synapses.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import neuprint_dsl
from neuprint_dsl import N, S, connections, mitochondria, parse, synapse_connections, synapses
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        info = generate_sample(tmp, neurons=300, edges=4000, seed=8)
        print(f"synthetic sample: {info.neurons} neurons, {info.synapses} synapses")
        with neuprint_dsl.embedded(load(tmp, Path(tmp) / "graph.lbug")) as db:
            # 1. high-confidence output synapses of Kenyon cells inside the mushroom body
            query = synapses(
                N.type.matches("KC.*"),
                (S.type == "pre") & (S.confidence > 0.9) & S.roi("MB(R)"),
            )
            print(query)
            found = db.run(query)
            print(found.head())
            assert (found["confidence"] > 0.9).all() and set(found["type"]) <= {"pre"}

            # 2. the same question as text
            text = 'synapses of type =~ "KC.*" where type = "pre" and confidence > 0.9 and roi("MB(R)")'
            assert parse(text) == query
            assert db.run(text).equals(found)

            # 3. synapse pairs agree with connection weights: the pairs whose post synapse is
            #    in CA(R) are exactly the per-ROI connection weight in CA(R)
            pairs = db.run(synapse_connections(rois=["CA(R)"]))
            per_roi = db.run(connections(rois=["CA(R)"], per_roi=True))
            ca = per_roi[per_roi["roi"] == "CA(R)"]
            print(f"{len(pairs)} synapse pairs in CA(R); per-ROI weight sum {ca['weight'].sum()}")
            assert len(pairs) == int(ca["weight"].sum())

            # 4. each synapse with its closest mitochondrion (synapses without one are left out)
            near = db.run(synapses(N.type == "APL", S.type == "post", closest_mitochondria=True))
            print(near[["bodyId", "x", "y", "z", "mitoType", "distance", "mx", "my", "mz"]].head())
            assert (near["distance"] >= 0).all()

            # 5. mitochondria, one row per ROI containing them
            mitos = db.run(mitochondria(N.type == "APL", primary_only=False))
            print(f"APL: {mitos[['x', 'y', 'z']].drop_duplicates().shape[0]} mitochondria")
            assert len(mitos) > 0


if __name__ == "__main__":
    main()
