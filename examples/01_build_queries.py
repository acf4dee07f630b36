"""Build the same query fluently and as text, print it, and test it on records.

Run: python examples/01_build_queries.py
"""

from neuprint_dsl import E, N, connections, evaluate, neurons, parse

# A predicate from typed fields: MBONs in MB(R), traced, not cropped (missing counts as not).
mbons = N.type.matches("MBON.*") & N.roi("MB(R)") & (N.status == "Traced") & ~N.cropped

# The same predicate as text: the two ASTs are equal.
text = 'type =~ "MBON.*" and roi("MB(R)") and status = "Traced" and not cropped'
assert parse(text) == mbons
print("predicate:", mbons)

# Statements wrap predicates.
print("statement:", neurons(mbons, order_by=[("pre", "desc")], limit=10))
print("statement:", connections(N.type == "APL", mbons, where=E.weight >= 5))

# The reference interpreter evaluates a predicate on plain records.
records = [
    {"bodyId": 1, "type": "MBON01", "status": "Traced", "MB(R)": True},
    {"bodyId": 2, "type": "MBON02", "status": "Traced", "MB(R)": True, "cropped": True},
    {"bodyId": 3, "type": "KCab", "status": "Traced", "MB(R)": True},
]
selected = [r["bodyId"] for r in records if evaluate(mbons, r)]
print("selected bodies:", selected)
assert selected == [1]
