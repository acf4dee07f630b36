"""Compile one query for neuPrint (neo4j) and for the embedded engine (ladybug).

Run: python examples/02_compile_cypher.py
"""

from neuprint_dsl import N, neurons, parse, to_cypher

query = parse('neurons where type =~ "MBON.*" and inputs("SIP(R)") >= 10 and not cropped limit 5')
assert query == neurons(N.type.matches("MBON.*") & (N.inputs("SIP(R)") >= 10) & ~N.cropped, limit=5)

neo4j = to_cypher(query, "neo4j")
print("-- neo4j, with parameters (Bolt):")
print(neo4j.text)
print(neo4j.params)
print("-- neo4j, inline literals (what neuPrintHTTP receives):")
print(neo4j.inline())

ladybug = to_cypher(query, "ladybug")
print("-- ladybug (embedded engine):")
print(ladybug.text)
print(ladybug.params)

# Hostile values stay inside their literals; ':' is escaped for neuPrintHTTP's label rewriting.
tricky = to_cypher(N.instance == "x' OR 1=1 //:Neuron").inline()
print(tricky.splitlines()[1])
assert "\\u003ANeuron" in tricky
