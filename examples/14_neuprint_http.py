"""Query a neuPrint server over HTTP: the Arrow rule, retries and safe tokens.

There is no neuPrint server here, so this starts the stand-in the tests use (it answers like
neuPrintHTTP 1.9.2, its Arrow endpoint built exactly as api/custom/arrow.go builds it, on
127.0.0.1); point NeuprintHTTP at a real server the same way. Shown: a table of body ids
through Arrow, a table with strings and nulls through JSON, a body-id column with a null
(Arrow would hide it: fetched again through JSON), an empty result (neuPrintHTTP's Arrow 500),
a 503 with Retry-After and a connection reset retried, and a bad token refused without being
shown.

Run: python examples/14_neuprint_http.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from neuprint_dsl import N, neurons
from neuprint_dsl.cypher import GraphSchema
from neuprint_dsl.errors import InvalidArgument, TransportError
from neuprint_dsl.transports import NeuprintHTTP
from tests.neuprint_server import FakeNeuprint, Reset, Status

server = FakeNeuprint().start()
try:
    server.answer("n.type = 'KC'", ["bodyId"], [[10], [11], [12]])
    server.answer("n.type = 'APL'", ["bodyId", "type", "pre"], [[1, "APL", 5], [2, None, None]])
    server.answer("n.type = 'odd'", ["bodyId"], [[7], [None]])
    server.answer("n.type = 'none'", ["bodyId"], [])
    schema = GraphSchema(node_properties={"bodyId": "int", "type": "str", "pre": "int"})
    hemibrain = NeuprintHTTP(server.url, "hemibrain:v1.2.1", token="t", schema=schema)

    def routes() -> list[str]:
        sent = [r.path.rsplit("/", 1)[1] for r in server.requests if r.method == "POST"]
        server.requests.clear()
        return sent

    print(hemibrain.run(neurons(N.type == "KC", columns=["bodyId"])), routes())  # ['arrow']
    print(hemibrain.run(neurons(N.type == "APL", columns=["bodyId", "type", "pre"])), routes())
    try:  # through Arrow the null would be a silent string column; JSON shows it
        hemibrain.run(neurons(N.type == "odd", columns=["bodyId"]))
    except TransportError as err:
        print("refused:", err, routes())  # ['arrow', 'custom']
    empty = hemibrain.run(neurons(N.type == "none", columns=["bodyId"]))
    print(len(empty), empty.dtypes.to_dict(), routes())  # 0 {'bodyId': int64} ['arrow']

    server.fail(Status(503, {"message": "busy"}, headers={"Retry-After": "1"}), Reset())
    print(hemibrain.run(neurons(N.type == "KC", columns=["bodyId"]))["bodyId"].tolist(), routes())

    try:
        NeuprintHTTP(server.url, "hemibrain:v1.2.1", token="my-secret\nX-Injected 1")
    except InvalidArgument as err:
        assert "my-secret" not in str(err)
        print("token refused:", err)
finally:
    server.stop()
