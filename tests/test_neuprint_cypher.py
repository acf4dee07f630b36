"""neuPrint's Cypher on the embedded engine (``neuprint_dsl.embedded.neuprint_cypher``).

Every query shown in the neuprint-python docs (../shared/reference/*.txt) runs through
``fetch_custom`` / ``fetch_custom_neurons`` on a loaded sample and gives the rows computed
independently with pandas from the sample's CSV files; every Cypher text our compat layer sends
to neuPrint (tests/golden/compat_neo4j.json, which mirrors neuprint-python) and the other
constructs neuprint-python writes (neuprint-python-internals.md) translate and run; anything
else raises ``UnsupportedCypher`` pointing at the construct.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import neuprint_dsl
from neuprint_dsl.compat.client import Client
from neuprint_dsl.compat.neurons import fetch_custom_neurons
from neuprint_dsl.cypher.dialects import get_dialect
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.neuprint_cypher import tokenize, translate
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import CapabilityError, UnsupportedCypher

from .goldens import load_golden
from .test_every_roi import conn_roi_info

pytestmark = pytest.mark.no_progress_bars


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("neuprint-cypher") / "export"
    generate_sample(directory, neurons=400, edges=6000, seed=11)
    return directory


@pytest.fixture(scope="module")
def client(export: Path) -> Iterator[Client]:
    db = load(export, export.parent / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    yield c
    c.transport.close()


@pytest.fixture(scope="module")
def neurons(export: Path) -> pd.DataFrame:
    frame = pd.read_csv(export / "neurons.csv", dtype=object, keep_default_na=False)
    frame["bodyId"] = frame["bodyId"].astype(int)
    frame["info"] = [json.loads(v) if v else {} for v in frame["roiInfo"]]
    return frame


@pytest.fixture(scope="module")
def roi_edges(export: Path) -> pd.DataFrame:
    return pd.read_csv(export / "roi-connections.csv")


@pytest.fixture(scope="module")
def edges(export: Path) -> pd.DataFrame:
    return pd.read_csv(export / "total-connections.csv")


def _none(v: Any) -> Any:
    return None if v == "" or v is None or (isinstance(v, float) and pd.isna(v)) else v


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(_none(v) for v in row) for row in frame.astype(object).values.tolist()]


# ---------------------------------------------------------------------------------------
# the documented queries (../shared/reference), each with its independent expectation

DOCUMENTED = {
    # neuprint-python-client.txt, "In [3]: fetch_custom(...)"
    "client-traced-not-cropped": """\
    MATCH (n: Neuron)
    WHERE n.status = "Traced" AND NOT n.cropped
    RETURN n.bodyId as bodyId, n.type as type, n.instance as instance
    ORDER BY n.type, n.instance
""",
    # neuprint-python-queries.txt, fetch_custom's example (In [4])
    "queries-one-body": """\
MATCH (n:Neuron)
WHERE n.bodyId = 5813027016
RETURN n.type, n.instance
""",
    # neuprint-python-client.txt, setup_debug_logging's logged query
    "client-debug-logging": """\
    MATCH (n :Neuron)
    // -- Basic conditions for segment 'n' --
    WHERE
      n.type =~ 'MBON.*'
      AND (n.`MB(R)`)
    RETURN n
    ORDER BY n.bodyId
""",
    # neuprint-python-queries.txt, fetch_custom_neurons' required shape
    "queries-custom-neurons": """\
MATCH (n :Neuron)
RETURN n
""",
}


def test_documented_traced_not_cropped(client: Client, neurons: pd.DataFrame) -> None:
    got = client.fetch_custom(DOCUMENTED["client-traced-not-cropped"])
    assert list(got.columns) == ["bodyId", "type", "instance"]
    keep = neurons[(neurons["status"] == "Traced") & (neurons["cropped"] == "False")]
    want = sorted(_rows(keep[["bodyId", "type", "instance"]]), key=repr)
    assert sorted(_rows(got), key=repr) == want
    assert len(want) > 10
    # ORDER BY n.type, n.instance: non-null types ascending, nulls last (as Neo4j)
    keys = [(t is None, t or "", i or "") for _, t, i in _rows(got)]
    assert keys == sorted(keys)


def test_documented_one_body(client: Client, neurons: pd.DataFrame) -> None:
    text = DOCUMENTED["queries-one-body"]
    got = client.fetch_custom(text)  # the hemibrain body is not in the sample
    assert list(got.columns) == ["n.type", "n.instance"] and got.empty
    body = int(neurons["bodyId"].iloc[7])
    got = client.fetch_custom(text.replace("5813027016", str(body)))
    row = neurons[neurons["bodyId"] == body].iloc[0]
    assert _rows(got) == [(_none(row["type"]), _none(row["instance"]))]


def test_documented_debug_logging_query(client: Client, neurons: pd.DataFrame) -> None:
    got = client.fetch_custom(DOCUMENTED["client-debug-logging"])
    assert list(got.columns) == ["n"]
    want = neurons[
        [
            bool(re.fullmatch("MBON.*", t)) and "MB(R)" in i
            for t, i in zip(neurons["type"], neurons["info"], strict=True)
        ]
    ]
    assert [node["bodyId"] for node in got["n"]] == sorted(want["bodyId"])
    assert len(want) > 0
    node = got["n"].iloc[0]
    assert node["MB(R)"] is True  # ROI flags under neuPrint's names, no engine internals
    assert not any(k.startswith(("roi:", "_")) or k in ("roiNames", "roiPre") for k in node)
    frame, roi_counts = fetch_custom_neurons(DOCUMENTED["client-debug-logging"], client=client)
    assert frame["bodyId"].tolist() == sorted(want["bodyId"])
    first = want.sort_values("bodyId").iloc[0]
    counts = roi_counts[roi_counts["bodyId"] == first["bodyId"]].set_index("roi")
    for roi, c in first["info"].items():
        assert counts.loc[roi, "post"] == c.get("post", 0)


def test_documented_custom_neurons_shape(client: Client, neurons: pd.DataFrame) -> None:
    frame, _ = fetch_custom_neurons(DOCUMENTED["queries-custom-neurons"], client=client)
    assert frame["bodyId"].tolist() == sorted(neurons["bodyId"])
    assert {"bodyId", "type", "instance", "roiInfo", "inputRois", "outputRois"} <= set(frame)
    assert not any(c.startswith("roi:") or c == "MB(R)" for c in frame.columns)


def test_every_documented_query_is_in_a_test() -> None:
    reference = Path(__file__).resolve().parents[2] / "shared" / "reference"
    if not reference.is_dir():
        pytest.skip("../shared/reference is not here")
    text = "".join(p.read_text() for p in sorted(reference.glob("neuprint-python-*.txt")))
    shown = len(re.findall(r"^\s*(?:\.\.\.:\s*)?MATCH \(n ?: ?Neuron\)", text, re.M))
    assert shown == len(DOCUMENTED)


# ---------------------------------------------------------------------------------------
# the Cypher our compat layer (and neuprint-python) sends to neuPrint


def _golden() -> list[str]:
    texts = load_golden("compat_neo4j.json")
    return sorted({q for qs in texts.values() for q in qs})


@pytest.mark.parametrize("text", _golden())
def test_golden_neo4j_texts_translate_and_run(client: Client, text: str) -> None:
    if "(n:Meta)" in text:  # answered from the Meta dict, as neuPrint stores the node
        got = client.fetch_custom(text)
        assert list(got.columns) == ["n"] and len(got) == 1
        assert json.loads(got["n"][0]["roiInfo"]) == client.meta["roiInfo"]
        return
    got = client.fetch_custom(text)
    returned = text.split("RETURN", 1)[1].split("ORDER BY")[0]
    aliases = re.findall(r" AS (\w+)", returned)  # items may hold commas: coalesce(x, 0)
    assert list(got.columns) == aliases


def _real(text: str, neurons: pd.DataFrame, edges: pd.DataFrame) -> tuple[str, int]:
    body = int(edges["bodyId_pre"].value_counts().index[0])
    return re.sub(r"n\.bodyId IN \[[0-9, ]+\]", f"n.bodyId IN [{body}]", text), body


def test_golden_per_roi_query_gives_the_roi_rows(
    client: Client, neurons: pd.DataFrame, edges: pd.DataFrame, export: Path
) -> None:
    # the per-ROI statement (compat's fetch_adjacencies reads e.roiInfo itself since it sends
    # one query per batch; this is the statement connections(per_roi=True) sends to neuPrint)
    per_roi = neuprint_dsl.connections(
        neuprint_dsl.N.bodyId.isin([1]),
        neuprint_dsl.N.roi("MB(R)"),
        where=neuprint_dsl.E.weight >= 1,
        per_roi=True,
        upstream_label="Segment",
    )
    text = neuprint_dsl.to_cypher(per_roi, "neo4j").inline()
    assert "fromJsonMap(e.roiInfo)" in text
    text, body = _real(text, neurons, edges)
    got = client.fetch_custom(text)
    flagged = {b for b, i in zip(neurons["bodyId"], neurons["info"], strict=True) if "MB(R)" in i}
    total = edges[(edges["bodyId_pre"] == body) & edges["bodyId_post"].isin(flagged)]
    # every ROI of neuPrint's roiInfo (super-level ones too), from the synapse files
    info = conn_roi_info(export)
    want = pd.DataFrame(
        [
            (a, b, roi, counts["post"])
            for a, b in total[["bodyId_pre", "bodyId_post"]].itertuples(index=False, name=None)
            for roi, counts in info.get((int(a), int(b)), {}).items()
        ],
        columns=["bodyId_pre", "bodyId_post", "roi", "weight"],
    )
    want = want[want["weight"] > 0].sort_values(
        ["bodyId_pre", "bodyId_post", "weight", "roi"], ascending=[True, True, False, True]
    )
    assert _rows(got) == _rows(want)
    assert len(want) > 0


def test_golden_connection_query_gives_the_connections(
    client: Client, neurons: pd.DataFrame, edges: pd.DataFrame
) -> None:
    text = next(q for q in _golden() if "AND m.`MB(R)`" in q and "fromJsonMap" not in q)
    text, body = _real(text, neurons, edges)
    got = client.fetch_custom(text)
    flagged = {b for b, i in zip(neurons["bodyId"], neurons["info"], strict=True) if "MB(R)" in i}
    want = edges[(edges["bodyId_pre"] == body) & edges["bodyId_post"].isin(flagged)]
    want = want.sort_values(["weight", "bodyId_post"], ascending=[False, True])
    assert got[["bodyId_pre", "bodyId_post", "weight"]].values.tolist() == want.values.tolist()
    props = neurons.set_index("bodyId")
    assert [_none(t) for t in got["type_post"]] == [
        _none(props.loc[b, "type"]) for b in want["bodyId_post"]
    ]


# ---------------------------------------------------------------------------------------
# other constructs neuprint-python writes (neuprint-python-internals.md, sections 2-4)


def test_search_list_exists_and_cropped(client: Client, neurons: pd.DataFrame) -> None:
    bodies = [int(b) for b in neurons["bodyId"].iloc[:6]]
    text = f"""\
WITH {bodies} as n_search_bodyId
MATCH (n :Segment)
// -- Basic conditions for segment 'n' --
WHERE n.bodyId in n_search_bodyId
AND exists(n.somaLocation)
AND (NOT n.cropped OR NOT exists(n.cropped))
AND n.type =~ '(.*)|(x)' OR NOT exists(n.type)
RETURN n.bodyId as bodyId, n.somaLocation.x as x, n.somaLocation.z
ORDER BY n.bodyId"""
    got = client.fetch_custom(text)
    assert list(got.columns) == ["bodyId", "x", "n.somaLocation.z"]
    sub = neurons[neurons["bodyId"].isin(bodies)]
    keep = sub[(sub["somaLocation"] != "") & (sub["cropped"] != "True")]
    also = neurons[neurons["type"] == ""]  # the unparenthesised OR neuprint-python writes
    want = sorted(set(keep["bodyId"]) | set(also["bodyId"]))
    assert got["bodyId"].tolist() == want
    points = {
        b: json.loads(p)
        for b, p in zip(neurons["bodyId"], neurons["somaLocation"], strict=True)
        if p
    }
    for b, x in zip(got["bodyId"], got["x"], strict=True):
        assert (pd.isna(x) and b not in points) or x == points[b][0]


def test_roi_requirement_block(client: Client, neurons: pd.DataFrame) -> None:
    text = """\
MATCH (n :Neuron)
WHERE n.`SMP(R)`
WITH n, ['SMP(R)', 'SIP(R)'] as inputRois, ['SMP(R)'] as outputRois,
     apoc.convert.fromJsonMap(n.roiInfo) as roiInfo
UNWIND keys(roiInfo) as roi
WITH n, roi, inputRois, outputRois, roiInfo[roi]['post'] as roi_post ORDER BY roi
WHERE roi in inputRois AND roi_post >= 1
WITH n, inputRois, outputRois, collect(roi) as matchingInputRois,
     size(collect(roi)) as numMatchingInputRois
WHERE numMatchingInputRois >= 1
RETURN n.bodyId as bodyId, matchingInputRois
ORDER BY n.bodyId"""
    got = client.fetch_custom(text)
    want = []
    for b, info in sorted(zip(neurons["bodyId"], neurons["info"], strict=True)):
        if "SMP(R)" not in info:
            continue
        rois = sorted(r for r in ("SMP(R)", "SIP(R)") if info.get(r, {}).get("post", 0) >= 1)
        if rois:
            want.append((b, rois))
    assert [
        (b, list(r)) for b, r in zip(got["bodyId"], got["matchingInputRois"], strict=True)
    ] == want


def test_conn_roi_info_and_planner_break(client: Client, edges: pd.DataFrame, export: Path) -> None:
    body = int(edges["bodyId_pre"].value_counts().index[0])
    text = f"""\
WITH [{body}] as n_search_bodyId
MATCH (n:Neuron)-[e:ConnectsTo]->(m:Segment)
WHERE n.bodyId in n_search_bodyId
WITH n, m, e, n_search_bodyId, true as _
WHERE e.weight >= 1
RETURN n.bodyId as bodyId_pre, m.bodyId as bodyId_post, e.weight as weight,
       coalesce(e.weightHP, 0) as weightHP, e.roiInfo as conn_roiInfo
ORDER BY e.weight DESC, n.bodyId, m.bodyId"""
    got = client.fetch_custom(text)
    want = edges[edges["bodyId_pre"] == body].sort_values(
        ["weight", "bodyId_post"], ascending=[False, True]
    )
    assert got[["bodyId_pre", "bodyId_post", "weight"]].values.tolist() == want.values.tolist()
    expected = conn_roi_info(export)  # neuPrint's roiInfo: every ROI, pre and post
    for post, info in zip(got["bodyId_post"], got["conn_roiInfo"], strict=True):
        assert json.loads(info) == expected.get((body, int(post)), {})
    as_json = client.fetch_custom(text, format="json")
    assert as_json["columns"][-1] == "conn_roiInfo" and len(as_json["data"]) == len(want)


def test_segment_label_includes_neurons(client: Client, neurons: pd.DataFrame) -> None:
    got = client.fetch_custom("MATCH (n:Segment) RETURN count(n) AS c")
    assert got["c"].tolist() == [len(neurons)]
    both = client.fetch_custom("MATCH (n:Neuron:Segment) RETURN count(*)")
    assert list(both.columns) == ["count(*)"] and both.iloc[0, 0] == len(neurons)


def test_unknown_property_reads_as_null_as_in_neuprint(client: Client) -> None:
    got = client.fetch_custom("MATCH (n:Neuron) WHERE exists(n.notAProperty) RETURN n.bodyId")
    assert got.empty and list(got.columns) == ["n.bodyId"]


# ---------------------------------------------------------------------------------------
# refusals: the construct and its position

REFUSED = [
    (
        "MATCH (n:Neuron)\nCALL apoc.cypher.runTimeboxed('x', {}, 5000) YIELD value\nRETURN value",
        "CALL",
        2,
        1,
    ),
    ("MATCH (n:Neuron)-[:Contains]->(s:SynapseSet) RETURN n", "relationship type :Contains", 1, 20),
    ("MATCH (s:SynapseSet) RETURN s", "node label :SynapseSet", 1, 10),
    ("MATCH (n:Neuron)-[e:ConnectsTo]->(s:Synapse) RETURN s", ":Synapse in a relationship", 1, 34),
    ("MATCH (s:Synapse:Neuron) RETURN s", "label :Neuron together with :Synapse", 1, 18),
    ("MATCH (s:Synapse {roi: 'EB'}) RETURN s", "property 'roi' in a :Synapse pattern", 1, 19),
    ("MATCH (s:Synapse) RETURN [s IN [1] | s]", "hides a variable", 1, 27),
    (
        'CALL apoc.cypher.runTimeboxed("RETURN 1 AS c", {a: 1}, 5) YIELD value RETURN value.c',
        "parameters other than {}",
        1,
        49,
    ),
    (
        'CALL apoc.cypher.runTimeboxed("RETURN 1 AS c", {}, 5) YIELD value\nRETURN value',
        "anything but value.key items",
        2,
        8,
    ),
    (
        'CALL apoc.cypher.runTimeboxed("RETURN 1 AS c", {}, 5) YIELD value RETURN value.c LIMIT 1',
        "'LIMIT' after the RETURN of a runTimeboxed call",
        1,
        82,
    ),
    ("MATCH (n:Neuron) WHERE n.bodyId = $body RETURN n", "$parameter", 1, 35),
    ("MATCH p = shortestPath((a:Neuron)-[:ConnectsTo*]->(b:Neuron)) RETURN p", "named path", 1, 7),
    ("MATCH (n:Neuron)\nRETURN labels(n)", "function labels()", 2, 8),
    ("MATCH (n:Neuron)-[e:ConnectsTo*1..3]->(m) RETURN n", "variable-length", 1, 31),
    ("MATCH (n:Segment)\nWHERE n:Neuron RETURN n", "label test", 2, 8),
    ("CREATE (n:Neuron {bodyId: 1})", "CREATE", 1, 1),
    ("MATCH (n:Neuron)--(m:Neuron) RETURN n", "relationship without brackets", 1, 17),
    ("MATCH (n:Neuron)-[e:ConnectsTo]-(m:Neuron) RETURN n", "undirected", 1, 17),
    ("MATCH (n:Neuron) RETURN apoc.map.removeKeys(n, ['x'])", "apoc.map", 1, 25),
    ("MATCH (n:Neuron) WHERE n.type =~ n.instance RETURN n", "=~ with a pattern", 1, 34),
    ("MATCH (n:Neuron) RETURN n.somaLocation.w", "point field .w", 1, 40),
    (
        "MATCH (n:Neuron) WITH apoc.convert.fromJsonMap(n.roiInfo) AS r\n"
        "UNWIND keys(r) AS k RETURN r[k]['upstream']",
        "count 'upstream'",
        2,
        33,
    ),
    (
        "MATCH (n:Neuron)-[e:ConnectsTo]->(m:Neuron) WITH n, apoc.convert.fromJsonMap(e.roiInfo) "
        "AS r UNWIND keys(r) AS k RETURN r[k].pre",
        "count 'pre'",
        1,
        126,
    ),
    ("MATCH (n:Neuron)-[e:ConnectsTo]->() RETURN e.roiInfo", "two ends are not named", 1, 44),
    ("MATCH (n:Neuron) RETURN n; MATCH (m:Neuron) RETURN m", "several statements", 1, 26),
    ("MATCH (n:Neuron) RETURN keys(n)", "keys() of anything but", 1, 25),
    ("MATCH (n:Neuron) RETURN 'open", "unterminated string", 1, 25),
]


REFUSED += [
    ("MATCH (n) RETURN count(n)", "node without a label", 1, 7),
    (
        "MATCH (n:Neuron) OPTIONAL MATCH (n)-[e:ConnectsTo]->(m) RETURN e.roiInfo",
        "OPTIONAL MATCH connection",
        1,
        64,
    ),
    ("MATCH (n:Neuron)\nWHERE n.type =~ '(?<x>a)' RETURN n", "named groups", 2, 17),
    (
        "MATCH (n:Neuron) UNWIND [1] AS k\nWITH n, apoc.convert.fromJsonMap(n.roiInfo).pre AS r "
        "RETURN r",
        "a lookup on apoc.convert.fromJsonMap",
        2,
        44,
    ),
]


REFUSED += [
    ("MATCH (n:Neuron) RETURN substring(n.type, 0, 2)", "function substring()", 1, 25),
    ("MATCH (n:Neuron) RETURN collect(n.type)[0]", "list index", 1, 40),
    ("MATCH (n:Neuron) RETURN n.somaLocation[0]", "list index", 1, 39),
    ("MATCH (n:Neuron) WHERE n.type CONTAINS n.instance RETURN n", "CONTAINS with", 1, 31),
    ("MATCH (a:Neuron)-[e:ConnectsTo]->(b)<-[f:ConnectsTo]-(c) RETURN a", "two relation", 1, 37),
    (
        "MATCH (n:Neuron) WHERE EXISTS { MATCH (n)-[:ConnectsTo]->(:Segment) } RETURN n",
        "subquery",
        1,
        33,
    ),
    ("MATCH (n:Neuron), (m:Neuron) WHERE (n)-[:ConnectsTo]->(m) RETURN n", "pattern inside", 1, 40),
    ("MATCH (n:Neuron) RETURN toInteger(n.pre)", "function toInteger()", 1, 25),
]


@pytest.mark.parametrize(("text", "construct", "line", "column"), REFUSED)
def test_unsupported_constructs_are_refused_with_position(
    client: Client, text: str, construct: str, line: int, column: int
) -> None:
    assert_refused(client, text, construct, line, column)


def assert_refused(client: Client, text: str, construct: str, line: int, column: int) -> None:
    """``text`` raises UnsupportedCypher naming ``construct`` with its position and caret."""
    with pytest.raises(UnsupportedCypher) as info:
        client.fetch_custom(text)
    err = info.value
    assert isinstance(err, CapabilityError)
    assert construct in str(err), str(err)
    assert (err.line, err.column) == (line, column), str(err)
    caret_line = str(err).splitlines()[-1]
    assert caret_line.index("^") - 2 == column - 1


def test_tokens_keep_positions() -> None:
    tokens = [t for t in tokenize("MATCH (n)\n  WHERE n.`a``b` = 'x\\'y'") if t.kind != "ws"]
    name = next(t for t in tokens if t.kind == "name")
    string = next(t for t in tokens if t.kind == "string")
    assert (name.value, name.line, name.column) == ("a`b", 2, 11)
    assert (string.value, string.line, string.column) == ("x'y", 2, 20)


def test_strings_become_parameters_so_quotes_cannot_break_out() -> None:
    t = translate(
        'MATCH (n:Neuron) WHERE n.instance = "fo\'o" RETURN n.bodyId AS b',
        rois=(),
        properties={"bodyId", "instance"},
    )
    assert t.params == {"p0": "fo'o"} and "fo'o" not in t.text


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30))
@example("fo'o\\ba\"r:\n\U000e0001")
def test_neo4j_string_literals_read_back_exactly(value: str) -> None:
    """Any string our neo4j dialect (or neuprint-python's repr quoting) writes decodes to
    the same value, and reaches the engine as a parameter."""
    for literal in (
        get_dialect("neo4j").string(value),
        '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"',
    ):
        text = f"MATCH (n:Neuron) WHERE n.type = {literal} RETURN n.bodyId AS b"
        t = translate(text, rois=(), properties={"bodyId", "type"})
        assert t.params == {"p0": value}


def test_lone_surrogate_escape_is_refused() -> None:
    with pytest.raises(UnsupportedCypher, match=r"lone surrogate.*column 33"):
        translate(
            "MATCH (n:Neuron) WHERE n.type = '\\uD800' RETURN n", rois=(), properties={"type"}
        )


def test_contains_empty_string_is_true_as_in_neuprint(
    client: Client, neurons: pd.DataFrame
) -> None:
    got = client.fetch_custom("MATCH (n:Neuron) WHERE n.type CONTAINS '' RETURN count(*) AS c")
    assert got["c"].tolist() == [int((neurons["type"] != "").sum())]
    got = client.fetch_custom("MATCH (n:Neuron) WHERE n.type CONTAINS 'KC' RETURN count(*) AS c")
    assert got["c"].tolist() == [int(neurons["type"].str.contains("KC").sum())]


def test_returned_roi_info_map_is_neuprints_whole_map(
    client: Client, neurons: pd.DataFrame, edges: pd.DataFrame
) -> None:
    """fetch_simple_connections(properties=['roiInfo']) returns
    ``apoc.convert.fromJsonMap(n.roiInfo)``: every count neuPrint stores, as a map."""
    body = int(edges["bodyId_pre"].value_counts().index[0])
    got = client.fetch_custom(
        f"MATCH (n:Neuron)-[e:ConnectsTo]->(m:Segment) WHERE n.bodyId = {body} "
        "RETURN m.bodyId AS b, apoc.convert.fromJsonMap(m.roiInfo) AS roiInfo_post, "
        "apoc.convert.fromJsonMap(n.roiInfo) ORDER BY m.bodyId"
    )
    assert list(got.columns) == ["b", "roiInfo_post", "apoc.convert.fromJsonMap(n.roiInfo)"]
    info = dict(zip(neurons["bodyId"], neurons["info"], strict=True))
    assert got["roiInfo_post"].tolist() == [info[b] for b in got["b"]]
    assert got.iloc[:, 2].tolist() == [info[body]] * len(got)
    assert len(got) == int((edges["bodyId_pre"] == body).sum())


# -- the :Meta node: every query neuprint-python sends for it ------------------------------

#: neuprint-python's fetch_meta (neuprint/queries/general.py), verbatim
FETCH_META = """\
        MATCH (m:Meta)
        WITH m as m,
             apoc.convert.fromJsonMap(m.roiInfo) as roiInfo,
             apoc.convert.fromJsonMap(m.roiHierarchy) as roiHierarchy,
             apoc.convert.fromJsonMap(m.neuroglancerInfo) as neuroglancerInfo,
             apoc.convert.fromJsonList(m.neuroglancerMeta) as neuroglancerMeta,
             apoc.convert.fromJsonMap(m.statusDefinitions) as statusDefinitions
        RETURN m as meta, roiInfo, roiHierarchy, neuroglancerInfo, neuroglancerMeta, statusDefinitions
    """


def test_neuprint_python_fetch_meta_query(client: Client) -> None:
    df = client.fetch_custom(FETCH_META)
    assert list(df.columns) == [
        "meta", "roiInfo", "roiHierarchy", "neuroglancerInfo", "neuroglancerMeta",
        "statusDefinitions",
    ]  # fmt: skip
    assert len(df) == 1
    # what fetch_meta then does with the frame
    meta = df["meta"].iloc[0]
    meta.update(df.drop(columns="meta").iloc[0].to_dict())
    expected = client.meta
    assert isinstance(meta["roiInfo"], dict) and meta["roiInfo"] == expected["roiInfo"]
    assert "MB(R)" in meta["roiInfo"]  # super-level ROIs too
    assert isinstance(meta["roiHierarchy"], dict)
    assert meta["roiHierarchy"] == expected["roiHierarchy"]
    assert meta["primaryRois"] == expected["primaryRois"]
    assert isinstance(meta["primaryRois"], list)
    assert meta["dataset"] == expected["dataset"] == client.dataset
    # fetch_meta leaves neuronProperties as neuPrint stores it: JSON text
    assert isinstance(meta["neuronProperties"], str)
    assert json.loads(meta["neuronProperties"]) == expected["neuronProperties"]
    # absent from this database: null, as apoc.convert.fromJsonMap(null) gives
    assert meta["neuroglancerInfo"] is None and meta["statusDefinitions"] is None
    assert meta["neuroglancerMeta"] is None
    # a number, as in neuPrint (the sample's threshold is 0.5)
    threshold = client.transport.meta["postHighAccuracyThreshold"]
    assert meta["postHighAccuracyThreshold"] == threshold == 0.5
    assert set(expected) - {"neuronProperties"} <= set(meta)


def test_neuprint_python_neuron_keys_query(client: Client) -> None:
    # Client.fetch_neuron_keys: ujson.loads(df.iloc[0, 0]).keys()
    df = client.fetch_custom("MATCH (n:Meta) RETURN n.neuronProperties")
    assert list(df.columns) == ["n.neuronProperties"]
    value = df.iloc[0, 0]
    assert isinstance(value, str)
    assert list(json.loads(value)) == list(client.meta["neuronProperties"])
    assert "bodyId" in json.loads(value) and "type" in json.loads(value)


def test_neuprint_python_primary_rois_and_absent_properties(client: Client) -> None:
    rois = client.fetch_custom("MATCH (m:Meta) RETURN m.primaryRois as rois")["rois"].iloc[0]
    assert isinstance(rois, list) and sorted(rois) == client.primary_rois
    assert len(rois) > 10
    # fetch_synapse_nt_keys checks for null before its fallback; simulation reads voxelSize
    got = client.fetch_custom("MATCH (n:Meta) RETURN n.ntSynapseProperties", format="json")
    assert got == {"columns": ["n.ntSynapseProperties"], "data": [[None]]}
    assert client.fetch_custom("MATCH (m :Meta) RETURN m.voxelSize")["m.voxelSize"][0] is None


def test_meta_whole_node_and_property_reads(client: Client) -> None:
    node = client.fetch_custom("MATCH (n:Meta) RETURN n")["n"][0]
    expected = client.meta
    for key in ("roiInfo", "roiHierarchy", "neuronProperties"):
        assert isinstance(node[key], str), key  # JSON text, as neuPrint stores it
        assert json.loads(node[key]) == expected[key], key
    assert node["primaryRois"] == expected["primaryRois"]
    assert node["postHighAccuracyThreshold"] == 0.5
    df = client.fetch_custom(
        "match (m:Meta)\n  RETURN m.dataset, m.primaryRois, m.roiInfo AS info, m.`neuronProperties`"
    )
    assert list(df.columns) == ["m.dataset", "m.primaryRois", "info", "m.`neuronProperties`"]
    row = df.iloc[0]
    assert row["m.dataset"] == client.dataset
    assert row["m.primaryRois"] == expected["primaryRois"]
    assert json.loads(row["info"]) == expected["roiInfo"]
    assert json.loads(row["m.`neuronProperties`"]) == expected["neuronProperties"]
    # the same through the module function, with its default Meta dict
    from neuprint_dsl.embedded.neuprint_cypher import run_neuprint_cypher

    alone = run_neuprint_cypher(client.transport, "MATCH (q:Meta) RETURN q.roiInfo AS r")
    assert json.loads(alone["r"][0]) == expected["roiInfo"]


META_REFUSED = [
    ("MATCH (m:Meta) WHERE m.dataset = 'x' RETURN m", "'WHERE' in a query of the :Meta", 1, 16),
    ("MATCH (m:Meta) RETURN count(m)", "'count' in a query of the :Meta", 1, 23),
    ("MATCH (m:Meta) RETURN m.voxelSize[0]", "an index of m.voxelSize", 1, 34),
    ("MATCH (m:Meta), (n:Neuron) RETURN m", "',' in a query of the :Meta", 1, 15),
    ("MATCH (m:Meta)\nRETURN apoc.convert.toJson(m)", "apoc.convert.toJson", 2, 8),
    ("MATCH (m:Meta) RETURN m LIMIT 1", "'LIMIT' in a query of the :Meta", 1, 25),
    ("MATCH (m:Meta) RETURN m.dataset, m.dataset", "column name 'm.dataset' twice", 1, 34),
    (
        "MATCH (m:Meta) RETURN apoc.convert.fromJsonMap(m.primaryRois)",
        "not JSON Map",
        1,
        23,
    ),
    ("MATCH (m:Meta) WITH m.roiInfo AS r RETURN m", "'m' in a query of the :Meta", 1, 43),
    ("MATCH (n:Neuron), (m:Meta) RETURN n", "alone: MATCH (m:Meta) RETURN", 1, 22),
]


@pytest.mark.parametrize(("text", "construct", "line", "column"), META_REFUSED)
def test_other_meta_queries_are_refused_with_position(
    client: Client, text: str, construct: str, line: int, column: int
) -> None:
    assert_refused(client, text, construct, line, column)


# ---------------------------------------------------------------------------------------
# neuprint-python's other generated queries: :Synapse nodes and apoc.cypher.runTimeboxed


@pytest.fixture(scope="module")
def synapses(export: Path, client: Client) -> pd.DataFrame:
    frame = pd.read_csv(export / "synapses.csv")
    parents: dict[str, str] = {}

    def walk(node: Any, parent: str | None) -> None:  # {"name": ..., "children": [...]}
        name = node.get("name")
        if name is not None and parent is not None:
            parents[name] = parent
        for child in node.get("children", ()):
            walk(child, name)

    for top in client.meta["roiHierarchy"].get("children", ()):  # the root is the dataset
        walk(top, None)

    def lineage(roi: str) -> set[str]:
        out = {roi}
        while roi in parents:
            roi = parents[roi]
            out.add(roi)
        return out

    frame["rois"] = [lineage(r) if isinstance(r, str) else set() for r in frame["roi"]]
    return frame


def test_neuprint_python_synapse_nt_keys_fallback(client: Client) -> None:
    # Client.fetch_synapse_nt_keys, when the Meta node has no ntSynapseProperties
    q = """
                MATCH (s: Synapse {type:"pre"})
                WITH [k IN keys(s) WHERE k STARTS WITH 'nt'] AS nt_keys
                RETURN nt_keys
                LIMIT 1
                """
    assert client.fetch_custom(q, format="json") == {"columns": ["nt_keys"], "data": [[[]]]}


def test_synapse_keys_flags_and_location(client: Client, synapses: pd.DataFrame) -> None:
    first = synapses.iloc[0]
    q = (
        f"MATCH (s:Synapse) WHERE s.location.x = {first.x} AND s.location.y = {first.y} "
        f"AND s.location.z = {first.z} RETURN s, keys(s) AS k, s.location AS loc, "
        f"[k IN keys(s) WHERE k <> 'type' | toLower(k)] AS lowered"
    )
    row = client.fetch_custom(q).iloc[0]
    expected_node = {
        "type": first.type,
        "confidence": float(first.confidence),
        "location": [int(first.x), int(first.y), int(first.z)],
        **{roi: True for roi in first.rois},
    }
    assert row["s"] == expected_node
    assert sorted(row["k"]) == sorted(expected_node)
    assert row["loc"] == expected_node["location"]
    assert sorted(row["lowered"]) == sorted(k.lower() for k in expected_node if k != "type")


@pytest.mark.parametrize("roi", ["MB(R)", "FB", "EB"])
def test_synapse_roi_flags_match_the_hierarchy(
    client: Client, synapses: pd.DataFrame, roi: str
) -> None:
    q = (
        f"MATCH (s:Synapse {{type: 'pre'}}) WHERE s.`{roi}` AND s.confidence > 0.9 "
        "RETURN count(s) AS n, sum(s.location.z) AS z"
    )
    got = client.fetch_custom(q).iloc[0]
    keep = synapses[
        (synapses["type"] == "pre")
        & (synapses["confidence"] > 0.9)
        & synapses["rois"].map(lambda rois: roi in rois)
    ]
    assert len(keep) > 0
    assert int(got["n"]) == len(keep)
    assert int(got["z"]) == int(keep["z"].sum())
    # a flag is true or null, never false, as neuPrint stores it
    flags = client.fetch_custom(f"MATCH (s:Synapse) RETURN DISTINCT s.`{roi}` AS f")["f"]
    assert {True if v is True else None for v in flags.tolist()} == {True, None}


def test_unknown_synapse_property_reads_as_null(client: Client) -> None:
    got = client.fetch_custom("MATCH (s:Synapse) RETURN s.ntAcetylcholineProb AS p LIMIT 1")
    assert got["p"].isna().all()


# neuprint-python's fetch_adjacencies pre-fetch (queries/connectivity.py, _fetch_count):
# the inner query's double quotes are backslash-escaped inside the outer string
TIMEBOXED_COUNT = """\
                CALL apoc.cypher.runTimeboxed("
                    MATCH (n:Neuron)
                    WHERE n.type =~ \\"KC.*\\"
                    RETURN count(n) as c
            ",
                {}, 5000) YIELD value
                RETURN value.c as count
            """


def test_neuprint_python_timeboxed_count(client: Client, neurons: pd.DataFrame) -> None:
    got = client.fetch_custom(TIMEBOXED_COUNT)
    assert list(got.columns) == ["count"]
    assert int(got["count"].iloc[0]) == int(neurons["type"].str.fullmatch("KC.*").sum())


def test_timeboxed_query_past_its_deadline_yields_no_rows(client: Client) -> None:
    # apoc.cypher.runTimeboxed stops the inner query at the deadline and yields no row: the
    # caller (neuprint-python) reads an empty result as "too big to count"
    slow = (
        'CALL apoc.cypher.runTimeboxed("MATCH (a:Neuron)-[e:ConnectsTo]->(b:Neuron) '
        "MATCH (b)-[f:ConnectsTo]->(c:Neuron) MATCH (c)-[g:ConnectsTo]->(d:Neuron) "
        'MATCH (d)-[h:ConnectsTo]->(x:Neuron) RETURN count(*) AS c", {}, 1) YIELD value '
        "RETURN value.c AS count, value.missing"
    )
    got = client.fetch_custom(slow)
    assert list(got.columns) == ["count", "value.missing"]
    assert len(got) == 0


def test_timeboxed_inner_errors_point_into_the_inner_query(client: Client) -> None:
    with pytest.raises(UnsupportedCypher, match="function labels"):
        client.fetch_custom(
            'CALL apoc.cypher.runTimeboxed("MATCH (n:Neuron) RETURN labels(n) AS l", {}, 50) '
            "YIELD value RETURN value.l"
        )


def test_embedded_fetch_custom_timeout(client: Client) -> None:
    from neuprint_dsl.errors import QueryTimeout

    slow = (
        "MATCH (a:Neuron)-[e:ConnectsTo]->(b:Neuron) MATCH (b)-[f:ConnectsTo]->(c:Neuron) "
        "MATCH (c)-[g:ConnectsTo]->(d:Neuron) MATCH (d)-[h:ConnectsTo]->(x:Neuron) "
        "RETURN count(*) AS c"
    )
    with pytest.raises(QueryTimeout, match="stopped the query"):
        client.transport.fetch_custom(slow, timeout=0.001)
    # the deadline was for that query only
    assert int(client.transport.fetch_custom("MATCH (n:Neuron) RETURN count(n) AS c")["c"][0]) > 0
