"""What a notebook shows (issue 10, section 5): ``repr`` and IPython's ``_repr_pretty_`` give
the canonical text form, never the attrs tree; structural equality and hashing are unchanged;
``repr`` never raises.

The scheme (docs/language.md, "In a notebook"): ``<predicate TEXT>`` (``<synapse predicate
TEXT>`` etc. for other record kinds), ``<STATEMENT TEXT>``, ``<cypher DIALECT\\nTEXT\\nparams
{...}>``, ``<neuronjson QUERY RESIDUAL>``; compat criteria keep their Python form, which
reads back, followed by ``  # TEXT``.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given

from neuprint_dsl import (
    FALSE,
    TRUE,
    E,
    M,
    N,
    Predicate,
    S,
    connections,
    mitochondria,
    neurons,
    parse,
    synapse_connections,
    synapses,
    to_cypher,
    to_neuronjson,
)
from neuprint_dsl.compat.criteria import IsNull, NeuronCriteria, NotNull, SegmentCriteria
from neuprint_dsl.compat.mito import MitoCriteria
from neuprint_dsl.compat.synapses import SynapseCriteria
from neuprint_dsl.expr import (
    MAX_NESTING,
    REPR_LIMIT,
    And,
    Compare,
    CompareOp,
    Entity,
    Or,
    Prop,
    nesting_depth,
    shown_text,
)

from .strategies import predicates

PREDICATES: list[Predicate] = [
    N.type == "APL",
    N.type != "APL",
    N.type.matches("MBON.*") & N.roi("MB(R)"),
    N.type.matches("mbon.*", ignore_case=True),
    N.bodyId.isin([1, 2]),
    N.instance.startswith("KC") | N.instance.endswith("_R") | N.type.contains('say "hi"'),
    N.type.is_null(),
    N.somaLocation.not_null(),
    N.tags.contains_any(["a"]),
    ~N.cropped,
    N.inputs("SIP(R)") >= 10,
    N["odd name"] > 2.5,
    TRUE,
    FALSE,
]
STATEMENTS = [
    neurons(N.type.matches("MBON.*") & N.roi("MB(R)")),
    neurons(label="Segment", columns=["bodyId", "type"], order_by=[("pre", "desc")], limit=5),
    connections(N.type == "APL", N.roi("MB(R)"), where=E.weight >= 5, rois=["MB(R)"]),
    synapses(N.type == "ExR2", (S.type == "pre") & S.roi("EB")),
    synapse_connections(N.type == "APL", where=S.confidence > 0.5, min_total_weight=3),
    mitochondria(N.bodyId == 1, M.size > 10),
]


class FakePrinter:
    """The part of IPython's ``PrettyPrinter`` a ``_repr_pretty_`` may use."""

    def __init__(self) -> None:
        self.out: list[str] = []

    def text(self, text: str) -> None:
        self.out.append(text)

    def pretty(self, obj: object) -> None:  # pragma: no cover - not used by our reprs
        self.out.append(repr(obj))

    def breakable(self, sep: str = " ") -> None:  # pragma: no cover
        self.out.append(sep)


def _pretty(obj: Any) -> str:
    printer = FakePrinter()
    obj._repr_pretty_(printer, False)
    return "".join(printer.out)


@pytest.mark.parametrize("pred", PREDICATES, ids=str)
def test_predicate_repr_is_its_text(pred: Predicate) -> None:
    assert repr(pred) == f"<predicate {pred.to_text()}>"
    assert _pretty(pred) == repr(pred)
    assert "Prop(" not in repr(pred) and "items=" not in repr(pred)


def test_the_examples_of_the_issue() -> None:
    assert repr(neurons(N.type.matches("MBON.*") & N.roi("MB(R)"))) == (
        '<neurons where type =~ "MBON.*" and roi("MB(R)")>'
    )
    assert repr(N.type == "APL") == '<predicate type = "APL">'
    assert repr([N.pre > 1, TRUE]) == "[<predicate pre > 1>, <predicate true>]"


def test_other_record_kinds_are_named() -> None:
    # the text alone does not say whose fields it reads
    assert repr(S.type == "pre") == '<synapse predicate type = "pre">'
    assert repr(M.size > 3) == "<mitochondrion predicate size > 3>"
    assert repr(E.weight > 3) == "<connection predicate weight > 3>"
    assert repr((N.pre > 1) & (E.weight > 2)) == (
        "<connection/neuron predicate pre > 1 and weight > 2>"
    )
    assert repr(N.type == "pre") != repr(S.type == "pre")


@pytest.mark.parametrize("stmt", STATEMENTS, ids=str)
def test_statement_repr_is_its_text(stmt: Any) -> None:
    assert repr(stmt) == f"<{stmt.to_text()}>"
    assert _pretty(stmt) == repr(stmt)
    assert parse(repr(stmt)[1:-1]) == stmt


def test_cypher_statement_repr_shows_dialect_text_and_params() -> None:
    stmt = to_cypher(neurons(N.type == "APL", columns=["bodyId"]))
    assert repr(stmt) == f"<cypher neo4j\n{stmt.text}\nparams {{'type': 'APL'}}>"
    lady = to_cypher(neurons(columns=["bodyId"]), "ladybug")
    assert repr(lady) == f"<cypher ladybug\n{lady.text}>"  # no parameters, no params line
    assert _pretty(stmt) == repr(stmt)
    assert str(stmt) == stmt.text  # str is unchanged


def test_neuronjson_plan_repr_shows_query_and_residual() -> None:
    assert repr(to_neuronjson(N.type == "APL")) == '<neuronjson query {"type": "APL"} exact>'
    assert repr(to_neuronjson(N.pre > 5)) == "<neuronjson /all residual pre > 5>"
    nothing = to_neuronjson(FALSE)
    assert repr(nothing) == "<neuronjson matches nothing (no request)>"
    mixed = to_neuronjson((N.type == "APL") & (N.pre > 5))
    assert repr(mixed).startswith('<neuronjson query {"type": "APL"} residual ')
    assert _pretty(mixed) == repr(mixed)


def test_compat_criteria_read_back_and_show_their_text() -> None:
    nc = NeuronCriteria(type="MBON.*", rois=["MB(R)"], status=NotNull, instance=IsNull)
    text = repr(nc)
    call, comment = text.split("  # ")
    assert call == "NeuronCriteria(type='MBON.*', instance=IsNull, status=NotNull, rois=['MB(R)'])"
    assert comment == nc.to_expr().to_text()
    assert (
        eval(text, {"NeuronCriteria": NeuronCriteria, "IsNull": IsNull, "NotNull": NotNull}) == nc
    )
    assert (
        SegmentCriteria is NeuronCriteria and repr(NeuronCriteria()) == "NeuronCriteria()  # true"
    )
    sc = SynapseCriteria(type="pre", confidence=0.9, rois=["EB"], client=None)
    assert repr(sc) == (
        "SynapseCriteria('s', rois=['EB'], type='pre', confidence=0.9, primary_only=True)"
        '  # roi("EB") and confidence > 0.9 and type = "pre"'
    )
    mc = MitoCriteria(mitoType="dark", size=5)
    assert repr(mc).endswith('  # size >= 5 and mitoType = "dark"')
    for obj in (nc, sc, mc):
        assert _pretty(obj) == repr(obj)


def test_equality_and_hashing_are_unchanged() -> None:
    a = N.pre > 1
    b = Compare(Prop(Entity.NEURON, "pre"), CompareOp.GT, 1)
    assert a == b and hash(a) == hash(b) and a is not b
    assert (N["x"] == 1) != (N["x"] == True)  # noqa: E712 - reprs may look alike, nodes differ
    assert (N["x"] == 1) != (N["x"] == 1.0)
    assert repr(N["x"] == 1) != repr(N["x"] == True)  # noqa: E712
    q = neurons(N.pre > 1)
    assert q == neurons(N.pre > 1) and hash(q) == hash(neurons(N.pre > 1))
    assert pickle.loads(pickle.dumps(q)) == q
    assert to_cypher(q) == to_cypher(neurons(N.pre > 1))


def test_repr_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import neuprint_dsl.hooks

    def broken(ast: object) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    pred = (N.pre > 1) & (N.post > 2)
    plan, criteria = to_neuronjson(N.pre > 1), NeuronCriteria(type="a")  # built before
    monkeypatch.setattr(neuprint_dsl.hooks, "_printer", broken)  # the printer behind repr
    assert repr(pred) == "<predicate And (cannot be printed: RecursionError)>"
    assert repr(neurons(pred)) == "<Neurons (cannot be printed: RecursionError)>"
    assert repr(plan) == ("<neuronjson NeuronJsonPlan (cannot be printed: RecursionError)>")
    assert "cannot be printed" in repr(criteria)
    assert shown_text(lambda: 1 / 0, "X") == "X (cannot be printed: ZeroDivisionError)"  # type: ignore[arg-type, return-value]


def test_deep_trees_print() -> None:
    pred: Predicate = N.pre > 0
    i = 0
    while nesting_depth(pred) < MAX_NESTING - 1:  # alternating and / or, the deepest allowed
        pred = pred | (N.pre > i) if i % 2 else pred & (N.post > i)
        i += 1
    assert isinstance(pred, (And, Or)) and nesting_depth(pred) == MAX_NESTING - 1
    assert parse(pred.to_text()) == pred
    text = repr(pred)
    assert text.startswith("<predicate ") and text.endswith(">")


def test_long_reprs_are_cut() -> None:
    pred = N.bodyId.isin(range(100_000))
    text = repr(pred)
    assert len(text) < REPR_LIMIT + 100
    assert text.startswith("<predicate bodyId in [0, 1, 2, ")
    assert text.endswith(" more characters]>")
    assert len(str(pred)) > REPR_LIMIT  # str and to_text stay whole


@given(predicates())
def test_every_predicate_has_a_text_repr(pred: Predicate) -> None:
    text = repr(pred)
    assert text.startswith("<") and text.endswith(">")
    body = pred.to_text()
    assert text.endswith(
        f"predicate {body[:REPR_LIMIT]}"
        + ("" if len(body) <= REPR_LIMIT else f"... [{len(body) - REPR_LIMIT} more characters]")
        + ">"
    )


def test_ipython_pretty_printer() -> None:
    pretty = pytest.importorskip("IPython.lib.pretty")
    pred = N.type.matches("MBON.*") & N.roi("MB(R)")
    assert pretty.pretty(pred) == repr(pred)
    assert pretty.pretty(neurons(pred)) == repr(neurons(pred))
    stmt = to_cypher(neurons(pred))
    assert pretty.pretty(stmt) == repr(stmt)
    assert pretty.pretty(to_neuronjson(pred)) == repr(to_neuronjson(pred))
    nc = NeuronCriteria(type="MBON.*")
    assert pretty.pretty(nc) == repr(nc)
    assert pretty.pretty([N.pre > 1, TRUE]) == "[<predicate pre > 1>, <predicate true>]"
