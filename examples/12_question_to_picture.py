"""A notebook, as a script: from a question to a picture, the way a new user would go.

Question: "which MBON types do the Kenyon cells drive most, and are those MBONs annotated as
traced in our DVID annotation store?" Each ``# %%`` cell is a notebook cell (VS Code, Jupytext
and Spyder run them one at a time); run the whole file to go through all of them. The data is
the synthetic, hemibrain-shaped sample (nothing touches the network). Needs the [plot] extra
for the last cells (matplotlib); without it the picture is skipped.

Run: python examples/12_question_to_picture.py [output-folder]
"""

# %% 0. A small synthetic dataset, loaded into the embedded engine (a few seconds)
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import neuprint_dsl
from neuprint_dsl import N, connections, parse
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import UnknownField
from neuprint_dsl.transports import LocalNeuronJson

tmp = tempfile.TemporaryDirectory()
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp.name)
out.mkdir(parents=True, exist_ok=True)
generate_sample(tmp.name, neurons=1500, edges=30_000, seed=5, synapses=False)
db_path = load(tmp.name, f"{tmp.name}/graph.lbug")
db = neuprint_dsl.embedded(db_path)

# %% 1. What can I ask about? The fields and ROIs (`neuprint-dsl fields` / `rois` on a terminal)
cli = [sys.executable, "-m", "neuprint_dsl.cli"]
fields = subprocess.run(
    [*cli, "fields", "--db", str(db_path), "--format", "csv"],
    capture_output=True,
    text=True,
    check=True,
)
print("neuron fields:", [line.split(",")[1] for line in fields.stdout.splitlines()[1:8]], "...")
print("primary ROIs:", db.meta["primaryRois"][:6], "...")  # `neuprint-dsl rois` draws the tree

# %% 2. A typo is caught before anything runs, with the name I meant
try:
    db.run('neurons where tpye =~ "MBON.*"')
except UnknownField as err:
    print("refused:", err)

# %% 3. The question, neuron by neuron: one row per KC -> MBON connection
question = 'connections from type =~ "KC.*" to type =~ "MBON.*" where weight >= 2'
rows = db.run(question)
print(f"{len(rows)} connections, {rows['weight'].sum()} synapses")
print(rows.head(5).to_string(index=False))

# %% 4. The same question, type to type, computed inside the engine
by_type = db.run(question + " group by type order by weight desc")
assert parse(question + " group by type") == connections(
    N.type.matches("KC.*"), N.type.matches("MBON.*"), where=parse("weight >= 2", context="edge")
).group_by("type")
print(by_type.head(8).to_string(index=False))

# %% 5. Join with DVID annotations: `bodyid_column="bodyId"` names the key as neuPrint does
mbons = db.run('neurons where type =~ "MBON.*" return bodyId, type, status')
annotations = [  # what DVID's /all would return: bodyid, and our own fields
    {"bodyid": int(body), "status": "Traced" if i % 3 else "Anchor", "user": "me"}
    for i, body in enumerate(mbons["bodyId"])
]
store = LocalNeuronJson(annotations)
traced = store.run('status = "Traced"', bodyid_column="bodyId")
joined = mbons.merge(traced, on="bodyId", suffixes=("", "_dvid"))  # no renaming needed
print(f"{len(joined)} of {len(mbons)} MBONs are traced in the annotation store")
strong = rows[rows["bodyId_post"].isin(joined["bodyId"])]
print(f"{len(strong)} of the {len(rows)} connections reach a traced MBON")

# %% 6. The picture: a type-to-type connectivity matrix (PNG)
try:
    import matplotlib

    matplotlib.use("Agg")  # no window: write a file
    from neuprint_dsl.plot import save_connectivity_matrix
except ImportError:
    print("matplotlib is not installed (pip install 'neuprint-dsl[plot]'): no picture")
else:
    picture = out / "kc_to_mbon_types.png"
    save_connectivity_matrix(by_type, picture, log=True, title="KC -> MBON, synapses by type")
    import matplotlib.image as mpimg

    pixels = mpimg.imread(picture)
    assert pixels.shape[0] > 200 and pixels[..., :3].std() > 0.05  # a real, non-blank image
    print(f"wrote {picture} ({pixels.shape[1]}x{pixels.shape[0]} pixels)")

# %% 7. The same from a terminal, for the record: a table for people, CSV for programs
table = subprocess.run(
    [*cli, "query", question + " group by type order by weight desc limit 3", "--db", str(db_path)],
    capture_output=True,
    text=True,
    check=True,
)
print(table.stdout, end="")
print(table.stderr.strip())  # "3 rows"
assert table.stderr.strip() == "3 rows"
print(json.dumps({"question": question, "types": len(by_type)}))

db.close()
tmp.cleanup()
