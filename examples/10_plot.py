"""From a question to a picture: how strongly does each Kenyon cell type drive each MBON type?

Draws the neuron-level and the type-level connectivity matrix of the answer into PNG files,
and builds a networkx graph with node properties. Needs the [plot] extra (matplotlib, networkx).

Run: python examples/10_plot.py [output-folder]
"""

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: write files

import matplotlib.image as mpimg

import neuprint_dsl
from neuprint_dsl import N, neurons, to_networkx
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.plot import connection_matrix, save_connectivity_matrix

QUESTION = 'connections from type =~ "KC.*" to type =~ "MBON.*"'

with tempfile.TemporaryDirectory() as tmp:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)
    out.mkdir(parents=True, exist_ok=True)
    generate_sample(tmp, neurons=600, edges=8_000, seed=5, synapses=False)
    with neuprint_dsl.embedded(load(tmp, f"{tmp}/graph.lbug")) as db:
        # 1. The question as one statement: one row per connected neuron pair.
        rows = db.run(QUESTION)
        print(f"{len(rows)} KC -> MBON connections, {rows['weight'].sum()} synapses")

        # 2. Neuron by neuron: rows labelled "<type> <bodyId>", strongest first, values in cells.
        figure = save_connectivity_matrix(rows, out / "kc_mbon_neurons.png", title=QUESTION)
        print("wrote", out / "kc_mbon_neurons.png", "rows:", len(figure.axes[0].get_yticks()))

        # 3. Type to type: the engine groups (no per-neuron rows travel), then a log colour scale.
        types = db.run(QUESTION + " group by type")
        print(types.to_string(index=False))
        save_connectivity_matrix(types, out / "kc_mbon_types.png", log=True)
        # the same numbers, grouped here from the neuron-level rows
        assert connection_matrix(types).equals(connection_matrix(rows, by="type"))
        print(connection_matrix(types))

        # 4. The pictures are real: read the pixels back.
        for name in ("kc_mbon_neurons.png", "kc_mbon_types.png"):
            pixels = mpimg.imread(out / name)
            assert pixels.shape[0] > 200 and pixels[..., :3].std() > 0.05, name
            print(f"{name}: {pixels.shape[1]}x{pixels.shape[0]} pixels")

        # 5. A graph with node properties from the neuron table.
        bodies = sorted(set(rows["bodyId_pre"]) | set(rows["bodyId_post"]))
        graph = to_networkx(rows, db.run(neurons(N.bodyId.isin(bodies))))
        hub = max(graph.nodes, key=lambda n: graph.in_degree(n, weight="weight"))
        node = graph.nodes[hub]
        print(
            f"graph: {graph.number_of_nodes()} neurons, {graph.number_of_edges()} edges; "
            f"strongest target {hub} ({node['type']}, {node['status']}) gets "
            f"{graph.in_degree(hub, weight='weight')} synapses from {graph.in_degree(hub)} KCs"
        )
