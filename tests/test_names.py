"""Misspelled and unknown names (issue 10, section 1): fields, ROIs, return columns and order by
keys the dataset lacks, and comparisons whose kinds cannot match, raise a typed error naming
the closest names *before anything runs*, on the embedded engine (always) and on neuPrint
(schema from the dataset's :Meta node, fetched once); offline compiling refuses nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuprint_dsl import (
    E,
    GraphSchema,
    M,
    N,
    NeuprintDSLError,
    QueryTypeError,
    S,
    UnknownField,
    UnknownROI,
    connections,
    mitochondria,
    neurons,
    parse,
    synapse_connections,
    synapses,
    to_cypher,
)
from neuprint_dsl.compat import Client, NeuronCriteria, clear_default_client
from neuprint_dsl.compat.connectivity import fetch_simple_connections
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.errors import ServerError, UnknownName
from neuprint_dsl.expr import Entity
from neuprint_dsl.transports import Embedded, Recording
from neuprint_dsl.transports.neuprint_http import NeuprintHTTP
from neuprint_dsl.validate import validate
from tests.neuprint_server import (
    DEFAULT_NEURON_PROPERTIES,
    FakeNeuprint,
    Status,
    neuprint_server,  # noqa: F401  (the fixture)
)

from .strategies import EDGE_SCHEMA, predicates

ROOT = Path(__file__).resolve().parent.parent
DATASET = "hemibrain:v1.2.1"

# (query text, error, what the message must say): every case of issue 10 section 1
UNKNOWN_NAMES: list[tuple[str, type[NeuprintDSLError], str]] = [
    (
        'neurons where typ = "APL"',
        UnknownField,
        "'typ' in the where of neurons; did you mean 'type'",
    ),
    ('not typ = "APL"', UnknownField, "'typ' in the where of neurons; did you mean 'type'"),
    ('neurons where type = "APL" return bodyId, typo', UnknownField, "'typo' in return"),
    (
        "neurons where pre > 1 order by psot",
        UnknownField,
        "'psot' in order by; did you mean 'post'",
    ),
    (
        'connections from type = "APL" where wieght > 3',
        UnknownField,
        "'wieght' in the where of connections; did you mean 'weight'",
    ),
    ('connections from typee = "APL"', UnknownField, "'typee' in the from of connections"),
    ('connections to statu = "x"', UnknownField, "'statu' in the to of connections"),
    ('inputs("NOPE") > 1', UnknownROI, "unknown ROI 'NOPE' in the where of neurons"),
    ('outputs("MB(X)") >= 1', UnknownROI, "'MB(X)' in the where of neurons; did you mean 'MB(R)'"),
    (
        'roi("mb(r)")',
        UnknownROI,
        "unknown ROI 'mb(r)' in the where of neurons; did you mean 'MB(R)'",
    ),
    (
        'connections where roi_weight("FBB") > 1',
        UnknownROI,
        "'FBB' in the where of connections; did you mean 'FB'",
    ),
    ('connections in rois ["NOPE"]', UnknownROI, "'NOPE' in the rois of connections"),
]
# comparisons the dataset's kinds make meaningless, through untyped fields (N["..."]): the text
# language and typed fields (N.type) already refuse these at construction
WRONG_KINDS: list[tuple[Any, str]] = [
    (lambda: N["type"] > 3, "type > 3 can never be true in the where of neurons: 'type' is a str"),
    (
        lambda: N["type"] == 3,
        "'type' is a str property in this dataset and it is compared with a number",
    ),
    (lambda: N["bodyId"].isin(["a", "b"]), "'bodyId' is an int property in this dataset"),
    (lambda: N["pre"].startswith("x"), "'pre' is an int property in this dataset and startswith"),
    (lambda: N["pre"].matches("1.*"), "'pre' is an int property in this dataset and a regular"),
    (lambda: N["cropped"] > 1, "'cropped' is a bool property in this dataset and > compares"),
    (lambda: N["type"].contains_any(["a"]), "contains_any tests lists only"),
    (lambda: synapses(where=S["type"] > 1), "S.type is a str property"),
    (lambda: connections(where=E["weight"] == "5"), "E.weight is an int property"),
]
SYNAPSE_CASES: list[tuple[str, type[NeuprintDSLError], str]] = [
    ('synapses where roi("EBB")', UnknownROI, "'EBB' in the where of synapses; did you mean 'EB'"),
    ('synapses where typo = "pre"', UnknownField, "'typo' in the where of synapses"),
    ("synapses of typ = 1", UnknownField, "'typ' in the neurons of synapses"),
    ('synapse connections in rois ["EBB"]', UnknownROI, "'EBB' in the rois of synapse connections"),
    ("mitochondria where sise > 3", UnknownField, "'sise' in the where of mitochondria"),
    ('mitochondria where roi("fb")', UnknownROI, "did you mean 'FB'"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    tmp = tmp_path_factory.mktemp("names")
    generate_sample(tmp, neurons=60, edges=250, seed=11)
    with Embedded(load(tmp, tmp / "graph.lbug")) as database:
        yield database


# -- the embedded engine: always checked --------------------------------------------------------


@pytest.mark.parametrize(("text", "error", "message"), UNKNOWN_NAMES + SYNAPSE_CASES)
def test_embedded_refuses_unknown_names_before_running(
    db: Embedded, text: str, error: type[NeuprintDSLError], message: str
) -> None:
    with pytest.raises(error) as raised:
        db.run(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    # the same refusal comes from compiling alone: nothing needed to run
    with pytest.raises(error):
        to_cypher(parse(text), "ladybug", schema=db.schema)


def test_the_python_api_is_checked_the_same_way(db: Embedded) -> None:
    with pytest.raises(UnknownField, match="did you mean 'type'"):
        db.run(N["typ"] == "APL")
    with pytest.raises(UnknownField, match="'typo' in return"):
        db.run(neurons(N.type == "APL", columns=["bodyId", "typo"]))
    with pytest.raises(UnknownField, match="'psot' in order by"):
        db.run(neurons(order_by=[("psot", "desc")]))
    with pytest.raises(UnknownROI, match="'NOPE' in the where of neurons"):
        db.run(N.inputs("NOPE") > 1)
    with pytest.raises(UnknownROI, match="in the where of connections"):
        db.run(connections(where=E.roi_weight("NOPE") > 0))
    with pytest.raises(UnknownROI, match="in the rois of connections"):
        db.run(connections(rois=["MB(R)", "NOPE"]))
    with pytest.raises(UnknownROI, match="in the rois of synapse connections"):
        db.run(synapse_connections(rois=["NOPE"]))
    with pytest.raises(UnknownField, match="'confidance'"):
        db.run(synapses(where=S["confidance"] > 0.5))
    with pytest.raises(UnknownROI, match="in the where of mitochondria"):
        db.run(mitochondria(where=M.roi("NOPE")))


@pytest.mark.parametrize(("make", "message"), WRONG_KINDS)
def test_embedded_refuses_comparisons_of_the_wrong_kind(
    db: Embedded, make: Any, message: str
) -> None:
    with pytest.raises(QueryTypeError) as raised:
        db.run(make())
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_known_names_and_kinds_still_run(db: Embedded) -> None:
    kinds = db.schema.node_kinds()
    assert kinds["type"] == "str" and kinds["pre"] == "int" and kinds["cropped"] == "bool"
    assert len(db.run("neurons where type is not null return bodyId, type order by pre")) > 0
    db.run("pre > 1.5 and somaRadius >= 2 and bodyId in [1, 2.0]")  # int vs float: numbers
    db.run(N["somaLocation"].is_null())  # a point: existence only, never refused
    db.run(~(N["roiInfo"] == 3))  # a json property: no definite kind, never refused
    db.run('connections where weight > 3 and roi_weight("FB") > 0 in rois ["FB"]')
    db.run(synapses(where=(S.x > 1) & (S.type == "pre")))  # coordinates always exist


def test_roi_names_are_case_sensitive(db: Embedded) -> None:
    rois = db.schema.rois or frozenset()
    assert {"AL(R)", "aL(R)"} <= rois  # two different ROIs that differ only by case
    upper = set(db.run(N.roi("AL(R)"))["bodyId"])
    lower = set(db.run(N.roi("aL(R)"))["bodyId"])
    assert upper != lower
    with pytest.raises(UnknownROI) as raised:
        db.run(N.roi("al(r)"))
    assert set(raised.value.suggestions[:2]) == {"AL(R)", "aL(R)"}  # the other cases first


def test_suggestions_are_the_closest_names() -> None:
    schema = GraphSchema(
        node_properties={"type": "str", "instance": "str", "bodyId": "int"},
        rois={"MB(R)", "MB(L)", "FB"},
    )
    with pytest.raises(UnknownField) as field:
        validate(parse("instnace = 'x'"), schema)
    assert field.value.name == "instnace" and field.value.suggestions == ("instance",)
    with pytest.raises(UnknownROI) as roi:
        validate(parse('roi("mb(l)")'), schema)
    assert roi.value.suggestions[0] == "MB(L)"
    with pytest.raises(UnknownField) as nothing_close:
        validate(parse("zzzzzz = 1"), schema)
    assert nothing_close.value.suggestions == () and "did you mean" not in str(nothing_close.value)


def test_kinds_decide_only_when_definite() -> None:
    schema = GraphSchema(
        node_properties={
            "j": "json",
            "m": "map",
            "o": "other",
            "p": "point",
            "tags": "list",
            "f": "float",
            "b": "bool",
        },
        rois=None,
    )
    for pred in (
        N["j"] == 3,
        N["m"] > 2,
        N["o"].startswith("x"),
        N["p"] == 1,
        N["tags"].contains_any(["a"]),
    ):
        validate(pred, schema)  # never refused
    validate(N.roi("anything"), schema)  # the ROIs are not known: not refused
    validate((N["f"] == 3) & (N["f"] > 2.5) & (N["b"] == True), schema)  # noqa: E712
    for pred in (
        N["f"] == "x",
        N["b"] > 1,
        N["b"] == 1,
        N["tags"] == "a",
        N["f"].contains("1"),
    ):
        with pytest.raises(QueryTypeError, match="property in this dataset"):
            validate(pred, schema)


def test_unknown_property_lists_are_not_checked() -> None:
    unknown = GraphSchema(node_properties=None, edge_properties=None, rois=None)
    validate(parse('connections from anything = 1 where whatever > 2 in rois ["X"]'), unknown)
    validate(neurons(columns=["a", "b"], order_by="c"), unknown)
    stmt = to_cypher(neurons(N["x"] == 1), "neo4j", schema=unknown)
    assert "n.x = $x" in stmt.text


# -- offline compile: no schema, nothing refused --------------------------------------------------


@given(
    predicates(schema={"typ": "str", "psot": "int", "wat": "bool"}, rois=("NOPE", "mb(r)")),
    predicates(schema={"wieght": "int", **EDGE_SCHEMA}, entity=Entity.EDGE, max_leaves=3),
    st.sampled_from(["neo4j", "ladybug"]),
)
def test_offline_compile_refuses_no_name(neuron: Any, edge: Any, dialect: str) -> None:
    for statement in (
        neurons(neuron, columns=["bodyId", "typo"], order_by="psot"),
        connections(neuron, where=edge, rois=["NOPE"]),
    ):
        try:
            to_cypher(statement, dialect)
        except (UnknownName, QueryTypeError):
            raise
        except NeuprintDSLError:
            pass  # refused for another reason (e.g. a float no backend compares exactly)


def test_offline_compile_of_every_case_succeeds() -> None:
    for text, _, _ in UNKNOWN_NAMES + SYNAPSE_CASES:
        to_cypher(parse(text), "neo4j")
        to_cypher(parse(text), "ladybug")


# -- neuPrint: the schema from the :Meta node, fetched once ---------------------------------------


def meta_reads(server: FakeNeuprint) -> list[str]:
    return [
        r.cypher
        for r in server.requests
        if r.cypher is not None and r.cypher.startswith("MATCH (m:Meta)")
    ]


def http(server: FakeNeuprint, **kwargs: Any) -> NeuprintHTTP:
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("backoff", 0.01)
    return NeuprintHTTP(server.url, kwargs.pop("dataset", DATASET), token="t", **kwargs)


@pytest.mark.parametrize("use_arrow", [True, False])
@pytest.mark.parametrize(
    ("text", "error", "message"),
    # connection properties are not listed in the Meta node: E fields are not checked there
    [case for case in UNKNOWN_NAMES if "wieght" not in case[0]]
    + [(make, QueryTypeError, message) for make, message in WRONG_KINDS[:6]],
)
def test_neuprint_refuses_unknown_names_before_sending(
    neuprint_server: FakeNeuprint,  # noqa: F811
    text: Any,
    error: type[NeuprintDSLError],
    message: str,
    use_arrow: bool,
) -> None:
    neuprint_server.meta[DATASET]["roiInfo"] = json.dumps(
        {"MB(R)": {"pre": 1}, "FB": {"pre": 2}, "EB": {}}
    )
    t = http(neuprint_server, use_arrow=use_arrow)
    with pytest.raises(error) as raised:
        t.run(text if isinstance(text, str) else text())
    assert message in str(raised.value)
    sent = [r.cypher for r in neuprint_server.requests if r.cypher]
    assert sent == meta_reads(neuprint_server) and len(sent) == 1  # the query never left


def test_neuprint_schema_is_fetched_once_per_client(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("n.type", ["bodyId", "type"], [[1, "APL"]])
    t = http(neuprint_server)
    with ThreadPoolExecutor(8) as pool:
        frames = list(
            pool.map(
                lambda _: t.run(neurons(N.type == "APL", columns=["bodyId", "type"])), range(16)
            )
        )
    assert all(f["type"].tolist() == ["APL"] for f in frames)
    for _ in range(3):
        with pytest.raises(UnknownField):
            t.run(N["typ"] == "APL")
    assert len(meta_reads(neuprint_server)) == 1
    schema = t.schema
    assert schema is not None and schema.node_kinds() == {
        "bodyId": "int",
        "type": "str",
        "instance": "str",
        "status": "str",
        "statusLabel": "str",
        "cropped": "bool",
        "pre": "int",
        "post": "int",
        "downstream": "int",
        "upstream": "int",
        "size": "int",
        "somaLocation": "point",
        "somaRadius": "float",
        "cellBodyFiber": "str",
        "roiInfo": "json",
        "notes": "str",
    }
    assert set(DEFAULT_NEURON_PROPERTIES) == set(schema.node_kinds())
    # ROIs: roiInfo keys, primaryRois and superLevelRois (plus hemibrain's tag ROIs)
    assert {"MB(R)", "FB", "CA(R)", "FB-column3"} <= (schema.rois or frozenset())
    # connection properties are not in the Meta node: never refused on neuPrint
    assert schema.edge_properties is None
    other = http(neuprint_server)  # another client fetches its own
    assert other.schema is not None and len(meta_reads(neuprint_server)) == 2


def test_neuprint_meta_read_as_real_neuprint_stores_it(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    stored = neuprint_server.meta[DATASET]
    assert isinstance(stored["neuronProperties"], str) and isinstance(stored["roiInfo"], str)
    for use_arrow in (True, False):
        t = http(neuprint_server, use_arrow=use_arrow)
        assert t.schema is not None and "MB(R)" in (t.schema.rois or ())


def test_meta_types_give_dtypes_and_unrecognised_types_check_names_only(
    neuprint_server: FakeNeuprint,  # noqa: F811
) -> None:
    neuprint_server.answer("n.pre", ["bodyId", "pre"], [[1, 5], [2, None]])
    frame = http(neuprint_server).run(neurons(N.pre > 1, columns=["bodyId", "pre"]))
    assert str(frame["pre"].dtype) == "Int64"  # "int" in neuronProperties
    neuprint_server.meta[DATASET]["neuronProperties"] = json.dumps({"bodyId": {}, "pre": {}})
    t = http(neuprint_server)
    assert t.schema is not None and t.schema.node_kind("pre") == "other"
    t.run(neurons(N["pre"] == "x", columns=["bodyId", "pre"]))  # kind not definite: sent
    with pytest.raises(UnknownField, match="did you mean 'pre'"):
        t.run(N["prE"] > 1)


def test_check_names_off_and_explicit_schema(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.answer("n.typ", ["bodyId"], [])
    off = http(neuprint_server, check_names=False)
    assert off.schema is None
    assert off.run(neurons(N["typ"] == "APL", columns=["bodyId"])).empty
    assert meta_reads(neuprint_server) == []
    given_schema = GraphSchema(node_properties={"bodyId": "int", "typ": "str"}, rois={"X"})
    mine = http(neuprint_server, schema=given_schema)
    assert mine.run(neurons(N["typ"] == "APL", columns=["bodyId"])).empty
    with pytest.raises(UnknownROI, match="did you mean 'X'"):
        mine.run(N.roi("x"))
    assert meta_reads(neuprint_server) == []  # an explicit schema wins: nothing fetched
    with pytest.raises(TypeError, match="check_names"):
        http(neuprint_server, check_names="no")


def test_no_meta_node_means_nothing_is_checked(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    del neuprint_server.meta[DATASET]
    neuprint_server.answer("n.typ", ["bodyId"], [[5]])
    t = http(neuprint_server)
    assert t.run(neurons(N["typ"] == "x", columns=["bodyId"]))["bodyId"].tolist() == [5]
    assert len(meta_reads(neuprint_server)) == 1


def test_older_meta_without_neuron_properties_checks_rois_only(
    neuprint_server: FakeNeuprint,  # noqa: F811
) -> None:
    del neuprint_server.meta[DATASET]["neuronProperties"]
    neuprint_server.answer("n.whatever", ["bodyId"], [])
    t = http(neuprint_server)
    t.run(neurons(N["whatever"] == 1, columns=["bodyId"]))  # properties unknown: not refused
    with pytest.raises(UnknownROI):
        t.run(N.roi("NOPE"))


def test_a_failed_meta_fetch_raises_and_is_tried_again(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    neuprint_server.fail(Status(500, {"error": "boom"}))
    t = http(neuprint_server, retries=0, use_arrow=False)
    with pytest.raises(ServerError, match="boom"):
        t.run(N.type == "APL")
    with pytest.raises(UnknownField):
        t.run(N["typ"] == "APL")
    assert len(meta_reads(neuprint_server)) == 2


def test_schema_fetch_is_thread_safe(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    t = http(neuprint_server)
    barrier = threading.Barrier(8)

    def read(_: int) -> Any:
        barrier.wait()
        return t.schema

    with ThreadPoolExecutor(8) as pool:
        schemas = list(pool.map(read, range(8)))
    assert all(s is schemas[0] for s in schemas)
    assert len(meta_reads(neuprint_server)) == 1


@pytest.mark.parametrize("use_arrow", [True, False])
def test_a_compat_client_reads_the_meta_node_once(
    neuprint_server: FakeNeuprint,  # noqa: F811
    use_arrow: bool,
) -> None:
    """The Client's metadata and the transport's name check share one Meta read, whichever
    asks first and however many threads ask at once; values read from Arrow are plain lists."""
    clear_default_client()
    neuprint_server.answer("n.type", ["bodyId", "type"], [[1, "APL"]])
    for first in ("client", "transport"):
        before = len(meta_reads(neuprint_server))
        c = Client(neuprint_server.url, DATASET, token="t", timeout=5.0)
        c.transport.use_arrow = use_arrow
        if not use_arrow:
            c.transport._arrow = False
        barrier = threading.Barrier(8)

        def touch(i: int, c: Client = c, first: str = first, barrier: Any = barrier) -> Any:
            barrier.wait()
            if (i % 2 == 0) == (first == "client"):
                return c.primary_rois
            return c.transport.run(neurons(N.type == "APL", columns=["bodyId", "type"]))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(touch, range(8)))
        assert c.primary_rois == sorted(neuprint_server.meta[DATASET]["primaryRois"])
        assert isinstance(c.meta["primaryRois"], list) and isinstance(c.meta["roiInfo"], dict)
        assert c.fetch_neuron_keys() and c.transport.schema is not None
        with pytest.raises(UnknownField):
            c.transport.run(N["typ"] == "APL")
        assert len(meta_reads(neuprint_server)) == before + 1
    clear_default_client()


def test_a_client_on_a_dataset_without_meta_says_so(neuprint_server: FakeNeuprint) -> None:  # noqa: F811
    del neuprint_server.meta[DATASET]
    c = Client(neuprint_server.url, DATASET, token="t", timeout=5.0)
    with pytest.raises(NeuprintDSLError, match="no :Meta node"):
        c.meta  # noqa: B018
    assert c.transport.schema is not None and c.transport.schema.rois is None
    assert len(meta_reads(neuprint_server)) == 1
    clear_default_client()


# -- compat: names the user gives are checked, compat's own defaults are tolerated ----------------


def recording(node_properties: dict[str, str]) -> Recording:
    """A recorded neuPrint whose dataset has ``node_properties``; answers every query with
    rows of the right width."""
    schema = GraphSchema(
        node_properties=node_properties, edge_properties={"weight": "int"}, rois={"FB"}
    )

    def answer(cypher: str) -> Any:
        if cypher.startswith("MATCH (n:Meta)"):  # the dataset's Meta node, as neuPrint stores it
            node = {"dataset": "recorded", "neuronProperties": json.dumps(node_properties)}
            return pd.DataFrame({"n": [node]})
        width = cypher.split("RETURN ", 1)[1].split("\n")[0].count(" AS ")
        if "AS roi" in cypher:
            return [[1, 2, "FB", 5]]
        if "AS bodyId_pre" in cypher:
            aliases = [a.split(",")[0] for a in cypher.split("RETURN ", 1)[1].split(" AS ")[1:]]
            known = {
                "bodyId_pre": 1,
                "bodyId_post": 2,
                "weight": 5,
                "weightHP": 4,
                "conn_roiInfo": '{"FB": {"pre": 2, "post": 5}}',  # neuPrint's JSON string
            }
            return [[known.get(a.split()[0], "x") for a in aliases]]
        return [[1, *["x"] * (width - 1)], [2, *["y"] * (width - 1)]]

    return Recording(answer, schema=schema)


def test_compat_defaults_are_tolerated_and_user_names_checked() -> None:
    clear_default_client()
    rec = recording({"bodyId": "int", "type": "str"})  # no "instance" in this dataset
    client = Client(transport=rec)
    try:
        out = fetch_simple_connections(1, None, client=client)
        assert out["type_pre"].tolist() == ["x"]
        assert out["instance_pre"].tolist() == [None]  # a default column it lacks: empty
        # and never asked for (the connection query's own type/instance columns are the
        # compiler's, read as null where missing)
        assert not any("AS instance\n" in q or "AS instance," in q for q in rec.sent)
        with pytest.raises(UnknownField, match="'instance' in return"):
            fetch_simple_connections(1, None, properties=["type", "instance"], client=client)
        with pytest.raises(UnknownField, match="'somaSide'"):
            fetch_simple_connections(NeuronCriteria(somaSide="L"), None, client=client)
        with pytest.raises(UnknownROI, match="'NOPE' in the rois of connections"):
            fetch_simple_connections(1, None, rois=["NOPE"], client=client)
    finally:
        clear_default_client()


def test_compat_on_the_embedded_engine(db: Embedded) -> None:
    from neuprint_dsl.compat import fetch_adjacencies, fetch_neurons

    clear_default_client()
    client = Client(transport=db)
    try:
        with pytest.raises(UnknownField, match="'somaSide'"):
            fetch_neurons(NeuronCriteria(somaSide="L"), client=client)
        with pytest.raises(UnknownROI, match="did you mean 'MB\\(R\\)'"):
            fetch_neurons(NeuronCriteria(rois=["mb(r)"]), client=client)
        neurons_df, _ = fetch_neurons(NeuronCriteria(type="APL"), client=client)
        assert "bodyId" in neurons_df.columns
        with pytest.raises(UnknownField, match="'typo'"):
            fetch_adjacencies(
                NeuronCriteria(type="APL"),
                None,
                properties=["typo"],
                client=client,
                progress=False,
            )
    finally:
        clear_default_client()


# -- the command line ---------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "neuprint_dsl.cli", *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_cli_query_exits_2_with_one_line(db: Embedded) -> None:
    for text, expected in [
        (
            'neurons where typ = "APL"',
            "error: unknown field 'typ' in the where of neurons; did you mean 'type'?",
        ),
        ('inputs("NOPE") > 1', "error: unknown ROI 'NOPE' in the where of neurons"),
    ]:
        result = cli("query", text, "--db", str(db.path))
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(expected), result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stdout == ""


def test_cli_compile_offline_refuses_no_name() -> None:
    result = cli("compile", 'neurons where typ = "APL" and inputs("NOPE") > 1 order by psot')
    assert result.returncode == 0, result.stderr
    assert "n.typ" in result.stdout
