"""Type-level connectivity in one statement: "how strongly does each KC type connect to each
MBON type?", computed inside the engine (no per-neuron rows travel), plus ordering, limits,
ROI counts as columns and per-type neuron statistics. The same statements run on a neuPrint
server (the neo4j Cypher is printed) and on a DVID annotation store (computed on the client).

Run: python examples/11_aggregation.py
"""

import tempfile

import neuprint_dsl
from neuprint_dsl import N, agg, connections, neurons, parse, to_cypher
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.transports import LocalNeuronJson

with tempfile.TemporaryDirectory() as tmp:
    generate_sample(tmp, neurons=800, edges=12_000, seed=5, synapses=False)
    with neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        # 1. KC types -> MBON types: summed weight, distinct neurons on each side, connections
        kc_to_mbon = parse('connections from type =~ "KC.*" to type =~ "MBON.*" group by type')
        assert kc_to_mbon == connections(N.type.matches("KC.*"), N.type.matches("MBON.*")).group_by(
            "type"
        )
        print(db.run(kc_to_mbon).head(8).to_string(index=False))
        print(to_cypher(kc_to_mbon, "neo4j").inline())  # what a neuPrint server would run

        # 2. Per ROI, strongest first, only the top 5 rows leave the engine
        print(db.run(kc_to_mbon.ordered_by(("weight", "desc")).with_limit(5)).to_string())
        print(db.run('connections from type =~ "KC.*" per roi group by type limit 5'))

        # 3. Neurons per type: how many, their summed outputs, their mean inputs in MB(R)
        per_type = parse(
            'neurons where type =~ "KC.*" group by type '
            'return count, sum(pre), mean(inputs("MB(R)")) order by count desc'
        )
        assert per_type == neurons(N.type.matches("KC.*")).group_by(
            "type", aggregates=[agg.count(), agg.sum("pre"), agg.mean(N.inputs("MB(R)"))]
        ).ordered_by(("count", "desc"))
        print(db.run(per_type).to_string(index=False))

        # 4. Neurons without a type are one group of their own (never silently dropped)
        groups = db.run("neurons group by type order by count desc limit 3")
        print(groups.to_string(index=False))

        # 5. Order by an ROI count and return it as a column
        top = db.run(
            'neurons where status = "Traced" return bodyId, type, inputs("MB(R)") '
            'order by inputs("MB(R)") desc limit 5'
        )
        print(top.to_string(index=False))

        # 6. The same grouped statement on DVID annotations: computed on the client
        records = db.run(neurons(columns=["bodyId", "type", "status", "pre"]))
        store = LocalNeuronJson(records.rename(columns={"bodyId": "bodyid"}).to_dict("records"))
        local = store.run("neurons group by status return count, sum(pre)")
        engine = db.run("neurons group by status return count, sum(pre)")
        assert local["count"].tolist() == engine["count"].tolist()
        print(local.to_string(index=False))
