"""Answers you can trust: misspelled names fail loudly, numpy values just work, neuPrint's own
Cypher runs offline, and super-level ROIs answer as on neuPrint.

Run: python examples/09_trust.py
"""

import tempfile

import numpy as np

import neuprint_dsl
from neuprint_dsl import N, NeuprintDSLError, UnknownField, UnknownROI, connections, neurons
from neuprint_dsl.compat import Client, fetch_simple_connections
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample

with tempfile.TemporaryDirectory() as tmp:
    generate_sample(tmp, neurons=600, edges=8_000, seed=5)
    with neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        # 1. A misspelled field or ROI is an error before anything runs, never 0 rows.
        for query in ('neurons where typ = "APL"', 'neurons where inputs("mb(r)") > 1'):
            try:
                db.run(query)
            except (UnknownField, UnknownROI) as err:
                print(f"refused: {err}")

        # 2. numpy and pandas values become plain literals.
        ids = db.run(neurons(N.type == "APL", columns=["bodyId"]))["bodyId"].to_numpy()
        same = db.run(neurons(N.bodyId.isin(ids), columns=["bodyId", "type"]))
        print(same.to_string(index=False))
        print(N.somaRadius > np.float64(3))  # somaRadius > 3.0, whatever the value's type

        # 3. Text is type-checked like the Python API, with a caret.
        try:
            neuprint_dsl.parse("type > 3")
        except NeuprintDSLError as err:
            print(err)

        # 4. Super-level ROIs (MB(R)) answer as neuPrint: weights summed from their children.
        rows = db.run(connections(N.type == "APL", rois=["MB(R)"], per_roi=True))
        print(f"APL connections in MB(R): {len(rows)} per-ROI rows")

        # 5. neuPrint's own Cypher runs on the embedded engine (translated for it).
        client = Client(transport=db)
        print(
            client.fetch_custom(
                "MATCH (n:Neuron) WHERE n.`MB(R)` AND exists(n.type) "
                "RETURN n.type AS type, count(*) AS n ORDER BY n DESC, type LIMIT 3"
            ).to_string(index=False)
        )
        simple = fetch_simple_connections(N.type == "APL", None, rois=["MB(R)"], client=client)
        first = simple.iloc[0]
        print(
            first["bodyId_pre"], first["bodyId_post"], dict(list(first["conn_roiInfo"].items())[:2])
        )
