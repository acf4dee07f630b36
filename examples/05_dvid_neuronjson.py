"""Compile predicates to DVID neuronjson and run them offline with DVID's matching rules.

Run: python examples/05_dvid_neuronjson.py
"""

from neuprint_dsl import N, neurons, parse, to_neuronjson
from neuprint_dsl.transports import LocalNeuronJson

# An exact plan: DVID evaluates everything itself.
plan = to_neuronjson(N.type.matches("MBON.*") & (N.status == "Traced"))
print(plan.explain())

# DVID has no ranges or negations: the server query stays an exact superset and the rest is a
# residual the client evaluates, so the answer is still exact.
plan = to_neuronjson(parse('type =~ "KC.*" and status != "Orphan" and pre >= 100'))
print(plan.explain())

annotations = [
    {"bodyid": 30, "type": "KCab", "status": "Traced", "pre": 150},
    {"bodyid": 4, "type": "KCg", "status": "Orphan", "pre": 300},
    {"bodyid": 12, "type": "KCab", "pre": 120},  # no status: "!= Orphan" holds
    {"bodyid": 7, "type": "MBON01", "status": "Traced", "pre": 900},
    {"bodyid": 9, "type": ["KCab"], "pre": 500},  # a list: DVID would match, the DSL does not
]
store = LocalNeuronJson(annotations)
frame = store.run(neurons(parse('type =~ "KC.*" and status != "Orphan" and pre >= 100')))
print(frame)
assert frame["bodyid"].tolist() == [12, 30]
