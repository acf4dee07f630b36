"""Query a DVID neuronjson server over HTTP.

There is no DVID server here, so this starts the small stand-in the tests use (it implements
DVID's documented routes and matching rules on 127.0.0.1); point DvidHTTP at a real server
the same way.

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
