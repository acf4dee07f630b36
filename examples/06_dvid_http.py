"""Query a DVID neuronjson server over HTTP.

There is no DVID server here, so this starts the small stand-in the tests use (it follows
DVID's own neuronjson code route by route, on 127.0.0.1); point DvidHTTP at a real server the
same way. Shown: run() with a residual, keyrange (DVID's string comparison) beside
numeric_keyrange, a bulk POST keyvalues, the json / jsontar / protobuf answer formats, tags,
the schema documents, info and help.

Run: python examples/06_dvid_http.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from neuprint_dsl import N, neurons
from neuprint_dsl.transports import DvidHTTP
from tests.dvid_server import FakeDvid

ANNOTATIONS = [
    {"bodyid": 20000, "type": "MBON01", "status": "Traced", "pre": 900},
    {"bodyid": 3000, "type": "MBON02", "status": "Traced", "pre": 120},
    {"bodyid": 500, "type": "KCab", "status": "Traced", "pre": 40},
    {"bodyid": 7, "type": "MBON03", "status": "Orphan"},
]

with FakeDvid() as server:
    server.reset(ANNOTATIONS)
    dvid = DvidHTTP(server.url, server.uuid[:6] + ":master", server.instance, user="example")

    # Exact on the server: one GET /query, answer sorted by body id on the client.
    print(dvid.run(neurons(N.type.matches("MBON.*") & (N.status == "Traced"))))

    # pre > 100 has no DVID form: the server narrows by type, the client applies the rest.
    strong = dvid.run(neurons(N.type.matches("MBON.*") & (N.pre > 100)))
    print(strong)
    assert strong["bodyid"].tolist() == [3000, 20000]

    # The other endpoints.
    print("keys:", dvid.keys())
    dvid.post(7, {"status": "Traced"})
    print("after post:", dvid.get(7))
    assert dvid.get(7)["status"] == "Traced"

    # keyrange is DVID's own: it compares keys as strings ("3000", "500" and "7" sort after
    # "20000"); numeric_keyrange is the numeric range on every version.
    print("keyrange(1, 20000):", dvid.keyrange(1, 20000))
    print("numeric_keyrange(1, 20000):", dvid.numeric_keyrange(1, 20000))
    assert dvid.keyrange(1, 20000) == [20000]
    assert dvid.numeric_keyrange(1, 20000) == [7, 500, 3000, 20000]

    # Bulk writes: one POST keyvalues (protobuf), merged into the stored annotations.
    dvid.post_keyvalues({500: {"status": "Anchor"}, 8000: {"type": "APL", "status": "Traced"}})
    # The same annotations through each answer format DVID offers.
    for fmt in ("json", "jsontar", "protobuf"):
        frame = dvid.keyvalues([500, 8000, 999], fields=["type", "status"], format=fmt)
        assert frame["bodyid"].tolist() == [500, 8000], fmt
    print(frame)

    # Instance metadata: tags, the three schema documents, info and help.
    dvid.post_tags({"owner": "example"})
    dvid.post_schema({"type": "object", "required": ["status"]}, "json_schema")
    dvid.post_schema({"title": "neutu body form"}, "schema")
    print(
        "tags:",
        dvid.tags(),
        "| schemas set:",
        [dvid.has_schema(k) for k in ("json_schema", "schema", "schema_batch")],
    )
    print("info:", dvid.info()["Base"]["TypeName"], "|", dvid.help().strip().splitlines()[0])
