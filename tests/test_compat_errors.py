"""Typed errors for user input (issue 10): a representative table of bad inputs per module of
the compat layer, the neuPrint transport, the executor and the compiler's entry point, each
raising a ``NeuprintDSLError`` subclass (still catchable as the ``ValueError`` /
``TypeError`` neuprint-python users expect); and ROI names that Neo4j or neuPrintHTTP would
rewrite, written by compat's hand-made Cypher the way the compiler writes them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import neuprint_dsl
from neuprint_dsl import N, neurons, to_cypher, to_dnf
from neuprint_dsl.compat import Client, NeuronCriteria, clear_default_client
from neuprint_dsl.compat.connectivity import fetch_common_connectivity, fetch_simple_connections
from neuprint_dsl.compat.criteria import NotNull, as_criteria
from neuprint_dsl.compat.mito import MitoCriteria
from neuprint_dsl.compat.recon import fetch_output_completeness
from neuprint_dsl.compat.rois import fetch_roi_hierarchy
from neuprint_dsl.compat.skeleton import heal_skeleton, skeleton_swc_to_df
from neuprint_dsl.compat.synapses import SynapseCriteria, fetch_synapses
from neuprint_dsl.cypher import GraphSchema
from neuprint_dsl.errors import (
    DNFTooLarge,
    InvalidArgument,
    InvalidValue,
    LoadError,
    NeuprintDSLError,
    QueryTypeError,
)
from neuprint_dsl.execute import run
from neuprint_dsl.expr import and_
from neuprint_dsl.transports import Recording
from neuprint_dsl.transports.neuprint_http import NeuprintHTTP, check_cypher_text

from .cypher_lexer import tokenize
from .neuprint_server import rewrite_labels

META = {"dataset": "recorded", "primaryRois": ["FB"], "roiInfo": '{"FB": {"pre": 1}}'}


def untyped(function: Callable[..., Any]) -> Any:
    """``function`` with its types hidden, to call it with the wrong ones on purpose."""
    return function


def recorded_client() -> Client:
    """A Client on a recorded neuPrint: the Meta node answers, every other query no rows."""

    def answer(cypher: str) -> Any:
        if cypher.startswith("MATCH (n:Meta)"):
            return pd.DataFrame({"n": [dict(META)]})
        return None

    schema = GraphSchema(node_properties={"bodyId": "int", "type": "str"}, rois={"FB"})
    return Client(transport=Recording(answer, schema=schema))


def with_client(call: Callable[[Client], Any]) -> Callable[[], Any]:
    def go() -> Any:
        client = recorded_client()
        try:
            return call(client)
        finally:
            clear_default_client()

    return go


BIG_DNF = and_(*((N.pre == i) | (N.post == i) for i in range(13)))
SKELETON = pd.DataFrame(
    {"rowId": [1, 1], "x": [0.0, 1.0], "y": [0.0] * 2, "z": [0.0] * 2, "radius": [1.0] * 2,
     "link": [-1, 1]}
)  # fmt: skip

# (module, what, the call, the class it must raise)
BAD_INPUTS: list[tuple[str, str, Callable[[], Any], type[NeuprintDSLError]]] = [
    # compat.client
    ("client", "no server", lambda: Client(dataset="d"), InvalidArgument),
    # (no dataset: the server's only one is used, see tests/test_compat_vs_neuprint_python.py)
    ("client", "progress", lambda: Client("https://x.org", progress="no"), InvalidArgument),  # type: ignore[arg-type]
    ("client", "server and transport", lambda: Client("x", transport=Recording()), InvalidArgument),
    (
        "client",
        "bad format",
        with_client(lambda c: untyped(c.fetch_custom)("RETURN 1", format="xml")),
        InvalidArgument,
    ),
    (
        "client",
        "other dataset",
        with_client(lambda c: c.fetch_custom("RETURN 1", dataset="other")),
        InvalidArgument,
    ),
    # compat.criteria
    ("criteria", "unknown keyword", lambda: untyped(NeuronCriteria)(typo="APL"), InvalidArgument),
    ("criteria", "bad label", lambda: untyped(NeuronCriteria)(label="Cell"), InvalidArgument),
    (
        "criteria",
        "bad roi_req",
        lambda: untyped(NeuronCriteria)(rois=["FB"], roi_req="some"),
        InvalidArgument,
    ),
    (
        "criteria",
        "str field, int value",
        lambda: untyped(NeuronCriteria)(type=3).to_expr(),
        QueryTypeError,
    ),
    (
        "criteria",
        "NotNull mixed",
        lambda: NeuronCriteria(status=[NotNull, "x"]).to_expr(),
        InvalidValue,
    ),
    ("criteria", "bad matchvar", lambda: NeuronCriteria("APL"), InvalidArgument),
    ("criteria", "not a criteria", lambda: as_criteria(object()), InvalidArgument),
    (
        "criteria",
        "frame without bodyId",
        lambda: as_criteria(pd.DataFrame({"a": [1]})),
        InvalidArgument,
    ),
    # compat.synapses and compat.mito
    (
        "synapses",
        "bad type",
        lambda: untyped(SynapseCriteria)(type="both", client=None),
        InvalidArgument,
    ),
    (
        "synapses",
        "NaN confidence",
        lambda: SynapseCriteria(confidence=math.nan, client=None),
        InvalidValue,
    ),
    (
        "synapses",
        "str confidence",
        lambda: untyped(SynapseCriteria)(confidence="high", client=None),
        InvalidArgument,
    ),
    (
        "synapses",
        "bad rois",
        lambda: untyped(SynapseCriteria)(rois=[3], client=None),
        InvalidArgument,
    ),
    (
        "synapses",
        "bad criteria",
        with_client(lambda c: untyped(fetch_synapses)(1, synapse_criteria="pre", client=c)),
        InvalidArgument,
    ),
    ("mito", "bad mitoType", lambda: untyped(MitoCriteria)(mitoType="shiny"), InvalidArgument),
    ("mito", "str size", lambda: untyped(MitoCriteria)(size="big"), InvalidArgument),
    # compat.connectivity, recon, rois
    (
        "connectivity",
        "no criteria",
        with_client(lambda c: fetch_simple_connections(None, None, client=c)),
        InvalidArgument,
    ),
    (
        "connectivity",
        "bad direction",
        with_client(
            lambda c: untyped(fetch_common_connectivity)(1, search_direction="up", client=c)
        ),
        InvalidArgument,
    ),
    (
        "recon",
        "bad statuses",
        with_client(
            lambda c: untyped(fetch_output_completeness)(1, complete_statuses=[3], client=c)
        ),
        InvalidArgument,
    ),
    (
        "recon",
        "bad batch_size",
        with_client(lambda c: fetch_output_completeness(1, batch_size=0, client=c)),
        InvalidArgument,
    ),
    (
        "rois",
        "bad format",
        with_client(lambda c: untyped(fetch_roi_hierarchy)(format="svg", client=c)),
        InvalidArgument,
    ),
    ("rois", "no hierarchy", with_client(lambda c: fetch_roi_hierarchy(client=c)), InvalidValue),
    # compat.skeleton
    ("skeleton", "not SWC", lambda: untyped(skeleton_swc_to_df)(3), InvalidArgument),
    ("skeleton", "short line", lambda: skeleton_swc_to_df("1 0 1 2 3 -1"), LoadError),
    ("skeleton", "bad number", lambda: skeleton_swc_to_df("1 0 a 2 3 0.5 -1"), LoadError),
    ("skeleton", "duplicate rowId", lambda: heal_skeleton(SKELETON), InvalidValue),
    # transports.neuprint_http
    ("neuprint_http", "ftp", lambda: NeuprintHTTP("ftp://x.org", "d"), InvalidArgument),
    ("neuprint_http", "plain http", lambda: NeuprintHTTP("http://x.org", "d"), InvalidArgument),
    ("neuprint_http", "no dataset", lambda: NeuprintHTTP("x.org", " "), InvalidArgument),
    ("neuprint_http", "retries", lambda: NeuprintHTTP("x.org", "d", retries=-1), InvalidArgument),
    (
        "neuprint_http",
        "no timeout",
        lambda: NeuprintHTTP("x.org", "d", timeout=None),
        InvalidArgument,
    ),
    (
        "neuprint_http",
        "check_names",
        lambda: untyped(NeuprintHTTP)("x.org", "d", check_names=1),
        InvalidArgument,
    ),
    ("neuprint_http", "smart quote", lambda: check_cypher_text("RETURN ‘x’"), InvalidValue),
    ("neuprint_http", "not text", lambda: untyped(check_cypher_text)(3), InvalidArgument),
    (
        "neuprint_http",
        "bad format",
        lambda: untyped(NeuprintHTTP("x.org", "d").fetch_custom)("RETURN 1", format="csv"),
        InvalidArgument,
    ),
    (
        "neuprint_http",
        "bad path",
        lambda: NeuprintHTTP("x.org", "d").get_json("api"),
        InvalidArgument,
    ),
    # execute and the compiler's entry point
    ("execute", "not a query", lambda: run(Recording(), 3.5), InvalidArgument),
    ("to_cypher", "not a query", lambda: to_cypher(3), InvalidArgument),
    (
        "to_cypher",
        "bad schema",
        lambda: untyped(to_cypher)(neurons(), schema={"bodyId": "int"}),
        InvalidArgument,
    ),
    ("to_cypher", "bad dialect", lambda: to_cypher(neurons(), "mysql"), InvalidArgument),
    # normalize
    ("normalize", "DNF too large", lambda: to_dnf(BIG_DNF), DNFTooLarge),
]


@pytest.mark.parametrize(
    ("call", "error"),
    [pytest.param(call, error, id=f"{module}: {what}") for module, what, call, error in BAD_INPUTS],
)
def test_bad_input_raises_a_typed_error(
    call: Callable[[], Any], error: type[NeuprintDSLError]
) -> None:
    with pytest.raises(NeuprintDSLError) as raised:
        call()
    assert isinstance(raised.value, error), f"{type(raised.value).__name__}: {raised.value}"
    assert str(raised.value)  # a message saying what was wrong
    # still what neuprint-python users catch
    assert isinstance(raised.value, (ValueError, TypeError))


def test_dnf_too_large_is_exported_from_errors() -> None:
    from neuprint_dsl import normalize

    assert neuprint_dsl.DNFTooLarge is DNFTooLarge is normalize.DNFTooLarge
    assert DNFTooLarge.__module__ == "neuprint_dsl.errors"
    assert issubclass(DNFTooLarge, NeuprintDSLError) and issubclass(DNFTooLarge, ValueError)


# -- ROI names in compat's hand-written Cypher ---------------------------------------------------

HAZARDS = ["a:Neuron", "x\\u0041", "back\\slash", "tab\there", "b`q", "MB(R)", "FB", "\\u003A"]


def roi_names_read_back(text: str) -> list[str]:
    """The ROI names Neo4j reads in a ``condition()`` after neuPrintHTTP rewrites its labels
    (the text must come through the rewriting unchanged)."""
    assert rewrite_labels(text, "hemibrain:v1.2.1") == text
    tokens = tokenize(text)  # Neo4j's rules: \uXXXX replaced before lexing, backticks included
    names = []
    fixed = ("type", "size", "mitoType", "confidence")
    for i, token in enumerate(tokens):
        before = tokens[i - 1].value if i > 0 else ""
        quoted = token.kind == "quoted_ident" or (token.kind == "string" and before == "[")
        if quoted or (token.kind == "ident" and before == "." and token.value not in fixed):
            names.append(token.value)
    return names


@pytest.mark.parametrize("roi", HAZARDS)
def test_compat_conditions_write_roi_names_as_the_compiler_does(roi: str) -> None:
    synapse = SynapseCriteria(rois=[roi, "EB"], confidence=0, client=None).condition(comments=False)
    mito = MitoCriteria(rois=[roi]).condition(comments=False)
    assert roi_names_read_back(synapse) == [roi, "EB"]
    assert roi_names_read_back(mito) == [roi]


@given(st.text(min_size=1, max_size=12))
@example("\\u0041:Neuron")
@example("\\\\u0041")
@example("`:Segment`")
def test_any_roi_name_reads_back_exactly(roi: str) -> None:
    if any("\ud800" <= c <= "\udfff" for c in roi):
        return  # lone surrogates cannot be sent at all (refused by check_cypher_text)
    # an ROI flag named like a synapse property reads as that property (the helper skips them)
    assume(roi not in ("type", "size", "mitoType", "confidence"))
    text = SynapseCriteria(rois=[roi], confidence=0, client=None).condition(comments=False)
    assert roi_names_read_back(text) == [roi]
