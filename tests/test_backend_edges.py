"""Backend edge cases where engines disagreed with the interpreter (issue 10, section 3):
empty-string tests, ints beyond 2**53 against floats, Neo4j string literals outside the BMP,
DNFs past the clause limit, and typed errors for bad input. ``evaluate`` is the oracle."""

from __future__ import annotations

import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import E, N, NeuprintDSLError, evaluate, neurons, to_cypher
from neuprint_dsl.cypher import GraphSchema
from neuprint_dsl.cypher.dialects import get_dialect
from neuprint_dsl.cypher.literals import (
    INT64_MAX,
    INT64_MIN,
    exact_number_comparison,
    quote_string,
    render_number,
)
from neuprint_dsl.embedded.build import build_database
from neuprint_dsl.embedded.export import Export
from neuprint_dsl.errors import (
    CapabilityError,
    InvalidArgument,
    InvalidValue,
    LoadError,
    QueryTypeError,
)
from neuprint_dsl.expr import Predicate, and_
from neuprint_dsl.neuronjson import compile_query, match, to_neuronjson
from neuprint_dsl.normalize import DNFTooLarge, to_dnf
from neuprint_dsl.transports import Embedded
from neuprint_dsl.transports.local_neuronjson import LocalNeuronJson

from .cypher_lexer import tokenize

KINDS = {"bodyId": "int", "type": "str", "pre": "int", "somaRadius": "float", "roiInfo": "json"}
BIG = 2**53


def _database(bodies: list[dict[str, Any]], tmp: str) -> Embedded:
    """A real embedded database holding ``bodies`` (no connections)."""
    columns = {name: [b.get(name) for b in bodies] for name in KINDS}
    columns["roiInfo"] = [{} for _ in bodies]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    frame["bodyId"] = frame["bodyId"].astype("int64")
    total = pd.DataFrame({"bodyId_pre": [], "bodyId_post": [], "weight": []}, dtype="int64")
    roi = pd.DataFrame({"bodyId_pre": [], "bodyId_post": [], "roi": [], "weight": []})
    roi = roi.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    meta = {"dataset": "edge-cases", "rois": []}
    export = Export(Path(tmp), "adjacencies", frame, KINDS, roi, total, meta)
    return Embedded(build_database(export, Path(tmp) / "graph.lbug"))


def _dvid_records(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{("bodyid" if k == "bodyId" else k): v for k, v in b.items()} for b in bodies]


def _check_every_backend(bodies: list[dict[str, Any]], preds: list[Predicate]) -> None:
    """evaluate == embedded engine == LocalNeuronJson == compiled plan + DVID rules."""
    store = LocalNeuronJson(_dvid_records(bodies))
    with tempfile.TemporaryDirectory() as tmp:
        db = _database(bodies, tmp)
        for pred in preds:
            expected = sorted(b["bodyId"] for b in bodies if evaluate(pred, b))
            engine = sorted(db.run(neurons(pred, columns=["bodyId"]))["bodyId"].tolist())
            assert engine == expected, f"embedded engine: {pred}"
            local = store.run(neurons(pred))["bodyid"].tolist()
            assert local == expected, f"LocalNeuronJson: {pred}"
            plan = to_neuronjson(pred)
            records = _dvid_records(bodies)
            if plan.matches_nothing:
                served: list[dict[str, Any]] = []
            elif plan.query is None:
                served = records
            else:
                served = [r for r in records if match(plan.query, r)]
            assert sorted(r["bodyid"] for r in plan.filter(served)) == expected, str(pred)
            _no_short_regex_items(plan.query)


def _no_short_regex_items(query: Any) -> None:
    """DVID reads a list item as a regex only when it is longer than 3 characters: the
    compiler never sends a regex item that DVID would take literally."""
    objects = query if isinstance(query, list) else [query] if query else []
    for obj in objects:
        for value in obj.values():
            for item in value if isinstance(value, list) else []:
                if isinstance(item, str) and item.startswith("re/"):
                    assert len(item) > 3, obj


# ---------------------------------------------------------------------------------------
# 1. empty strings

STRINGS: list[dict[str, Any]] = [
    {"bodyId": 1, "type": "KC"},
    {"bodyId": 2, "type": ""},
    {"bodyId": 3},
    {"bodyId": 4, "type": "re/"},
]


def test_empty_string_tests_match_every_string_on_every_backend() -> None:
    tests = [
        N.type.contains(""),
        N.type.startswith(""),
        N.type.endswith(""),
        N.type.matches(""),
        N.type.matches("(?:)"),
    ]
    preds = tests + [~t for t in tests] + [N.type.contains("") & (N.pre.is_null())]
    assert [evaluate(N.type.contains(""), b) for b in STRINGS] == [True, True, False, True]
    _check_every_backend(STRINGS, preds)


def test_empty_string_tests_compile_to_is_a_string() -> None:
    schema = GraphSchema(node_properties={"bodyId": "int", "type": "str"})
    text = to_cypher(N.type.contains(""), "ladybug", schema=schema).text
    assert "n.type IS NOT NULL" in text and "CONTAINS" not in text
    inline = to_cypher(N.type.contains(""), "neo4j").inline()
    assert "n.type STARTS WITH ''" in inline  # true for every string on Neo4j, null otherwise
    assert to_neuronjson(N.type.contains("")).query == {"type": ["re/^"]}


def test_evaluate_is_false_for_non_strings() -> None:
    assert not evaluate(N["x"].contains(""), {"x": 3})
    assert match({"x": ["re/^"]}, {"x": "anything"}) and not match({"x": ["re/^"]}, {"x": 3})
    assert not match({"x": ["re/"]}, {"x": "anything"})  # why "re/" alone was wrong


# ---------------------------------------------------------------------------------------
# 2. ints beyond 2**53 against floats

NUMBERS: list[dict[str, Any]] = [
    {"bodyId": BIG + 1, "pre": BIG + 1, "somaRadius": float(BIG)},
    {"bodyId": BIG, "pre": BIG, "somaRadius": float(BIG + 2)},
    {"bodyId": INT64_MAX, "pre": INT64_MAX, "somaRadius": 2.0**63},
    {"bodyId": 5, "pre": -(2**63), "somaRadius": 2.5},
    {"bodyId": 6},
]


def test_big_ints_and_floats_compare_exactly_on_every_backend() -> None:
    f = float(BIG)
    preds: list[Predicate] = [
        N.bodyId == f,
        N.bodyId > f,
        N.bodyId >= f,
        N.bodyId < f + 2,
        N.bodyId <= f,
        N.pre == 2.0**63,
        N.pre < 2.0**63,
        N.pre > 2.0**63,
        N.pre >= -(2.0**63),
        N.pre > -(2.0**64),
        N.pre.isin([f, 2.5, 2.0**63]),
        N.somaRadius == BIG + 1,
        N.somaRadius > BIG + 1,
        N.somaRadius <= BIG + 1,
        N.somaRadius >= INT64_MAX,
        N.somaRadius.isin([BIG + 1, BIG + 2]),
        N.pre > 2.5,
        ~(N.bodyId == f),
    ]
    _check_every_backend(NUMBERS, preds)


def test_unknown_kind_refuses_what_it_cannot_make_exact() -> None:
    with pytest.raises(InvalidValue, match="2\\*\\*53"):
        to_cypher(N["custom"] > 2**60, "neo4j")
    with pytest.raises(InvalidValue):
        to_cypher(N["custom"] < 2.0**60, "neo4j")
    with pytest.raises(InvalidValue):
        to_cypher(N["custom"] == 2**60 + 1, "ladybug")  # Ladybug rounds the int to a double
    # Neo4j's int = float is exact (below Long.MAX_VALUE); an integral float becomes an int
    assert to_cypher(N["custom"] == 2**60 + 1, "neo4j").params["custom"] == 2**60 + 1
    assert to_cypher(N["custom"] == 2.0**60, "ladybug").params["custom"] == 2**60
    assert to_cypher(N["custom"] > 2.5, "neo4j").params["custom"] == 2.5  # small: untouched
    with pytest.raises(NeuprintDSLError):
        to_cypher(N["custom"] == INT64_MAX, "neo4j")  # (long) 2.0**63 saturates to it


def _ladybug_compare(x: int | float, op: str, v: int | float) -> bool:
    """Ladybug: an int and a float compare as doubles."""
    if isinstance(x, int) and isinstance(v, int):
        a: int | float = x
        b: int | float = v
    else:
        a, b = float(x), float(v)
    return _apply(a, op, b)


def _neo4j_compare(x: int | float, op: str, v: int | float) -> bool:
    """Neo4j's NumberValues: numbersEqual casts the double to long (saturating), order
    compares BigDecimal of the double's shortest text once the long passes 2**53."""
    if isinstance(x, int) == isinstance(v, int):
        return _apply(x, op, v)
    d, n = (float(x), int(v)) if isinstance(x, float) else (float(v), int(x))
    if op == "=":
        if abs(n) < BIG:
            return d == n
        if d > 2.0**63 or d < -(2.0**63) or not d.is_integer():
            return False
        return n == max(INT64_MIN, min(INT64_MAX, int(d)))
    if abs(n) < BIG and n >= 0:
        left, right = (d, float(n)) if isinstance(x, float) else (float(n), d)
        return _apply(left, op, right)
    dec, num = Decimal(repr(d)), Decimal(n)
    return _apply(dec, op, num) if isinstance(x, float) else _apply(num, op, dec)


def _apply(a: Any, op: str, b: Any) -> bool:
    return bool({"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


near = st.sampled_from([BIG, 2**60, 2**62, INT64_MAX]).flatmap(
    lambda c: st.integers(-3, 3).map(lambda d: c + d) | st.integers(-3, 3).map(lambda d: d - c)
)
ints = (near | st.integers(INT64_MIN, INT64_MAX)).filter(lambda v: INT64_MIN <= v <= INT64_MAX)
floats = st.floats(allow_nan=False, allow_infinity=False) | near.map(float) | st.just(2.0**63)
OPS = st.sampled_from(["=", "<", "<=", ">", ">="])


@given(ints, OPS, floats)
@example(BIG + 1, "=", float(BIG))
@example(INT64_MAX, "=", 2.0**63)
@example(2**60 + 1, ">", 2.0**60)
def test_int_property_against_float_literal_is_exact(x: int, op: str, f: float) -> None:
    exact = exact_number_comparison(op, f, "int")
    want = _apply(x, op, f)
    if exact is None:
        assert not want
        return
    for engine in (_ladybug_compare, _neo4j_compare):
        assert engine(x, exact[0], exact[1]) == want, (engine.__name__, exact)


@given(floats, OPS, ints)
@example(float(BIG), "=", BIG + 1)
@example(2.0**63, "=", INT64_MAX)
@example(1152921504606846976.0, "<", 1152921504606846979)
def test_float_property_against_int_literal_is_exact(x: float, op: str, v: int) -> None:
    exact = exact_number_comparison(op, v, "float")
    want = _apply(x, op, v)
    if exact is None:
        assert not want
        return
    for engine in (_ladybug_compare, _neo4j_compare):
        assert engine(x, exact[0], exact[1]) == want, (engine.__name__, exact)


@given(st.one_of(ints, floats), OPS, st.one_of(ints, floats))
def test_unknown_kind_is_exact_or_refused(x: int | float, op: str, v: int | float) -> None:
    for engine, name in ((_ladybug_compare, "ladybug"), (_neo4j_compare, "neo4j")):
        try:
            exact = exact_number_comparison(op, v, None, engine=name)
        except InvalidValue:
            continue
        assert exact is not None
        assert engine(x, exact[0], exact[1]) == _apply(x, op, v), (engine.__name__, exact)


def test_dvid_reads_big_stored_ints_as_int64() -> None:
    records = [{"bodyid": 1, "pre": 2**64 - 1}, {"bodyid": 2, "pre": -1}, {"bodyid": 3}]
    assert match({"pre": -1}, records[0])  # DVID's uint64 -> int64 wrap-around
    plan = to_neuronjson(N.pre == -1)
    assert plan.residual is not None and "negative int64" in plan.explain()
    assert LocalNeuronJson(records).run(N.pre == -1)["bodyid"].tolist() == [2]
    assert LocalNeuronJson(records).run(N.pre.isin([-1, 5]))["bodyid"].tolist() == [2]
    assert to_neuronjson(N.pre == 3).residual is None


# ---------------------------------------------------------------------------------------
# 3. Neo4j string literals

ASTRAL_UNPRINTABLE = ["\U000e0001", "\U000e007f", "\U000f0000", "\U0010fffd", "\U0001d173"]
texts = st.lists(
    st.text(max_size=4) | st.sampled_from(ASTRAL_UNPRINTABLE) | st.sampled_from(["\\u0041", ":"]),
    max_size=6,
).map("".join)


@given(texts)
@example("tag\U000e0001")
@example("\\u0027' or 1=1 //")
def test_neo4j_literals_decode_to_the_exact_string(value: str) -> None:
    literal = quote_string(value)
    assert "\\U" not in literal.replace("\\\\", "")  # Cypher 5 has no \U escape
    tokens = tokenize(literal)  # Neo4j's rules: \uXXXX before lexing, surrogate pairs joined
    assert [(t.kind, t.value) for t in tokens] == [("string", value)]
    assert tokens[0].end == len(literal)
    lady = get_dialect("ladybug").string(value)
    assert [t.value for t in tokenize(lady, neo4j=False)] == [value]


def test_astral_characters_round_trip_through_ladybug() -> None:
    import ladybug

    value = "a\U000e0001b\U0001f600"
    with tempfile.TemporaryDirectory() as tmp:
        conn = ladybug.Connection(ladybug.Database(str(Path(tmp) / "db")))
        result = conn.execute(f"RETURN {get_dialect('ladybug').string(value)} AS x")
        assert result.get_next()[0] == value  # type: ignore[union-attr,index]
    assert get_dialect("neo4j").string(value) == "'a\\uDB40\\uDC01b\U0001f600'"


def test_neo4j_column_names_with_backslashes_are_refused() -> None:
    with pytest.raises(InvalidValue):
        get_dialect("neo4j").alias("a\\u0041")


# ---------------------------------------------------------------------------------------
# 4. DNF past the clause limit, and typed errors


def _wide(n: int = 13) -> Predicate:
    return and_(*((N.pre == i) | (N.type == f"t{i}") for i in range(n)))


def test_a_huge_dnf_falls_back_to_a_superset_plus_residual() -> None:
    pred = _wide() & (N.status == "Traced")
    plan = to_neuronjson(pred)
    assert plan.residual == pred and not plan.matches_nothing
    assert "more than 4096 clauses" in plan.explain()
    records = [
        {"bodyid": 1, "pre": 0, "type": "t1", "status": "Traced"},
        {"bodyid": 2, "type": "t0", "status": "Traced"},
        {"bodyid": 3, "pre": 1, "status": "Traced"},
    ]
    for i in range(13):
        records[1][f"x{i}"] = i
    # record 2 has type t0 only: it fails item 1 (pre = 1 or type = "t1")
    dsl = [{"bodyId" if k == "bodyid" else k: v for k, v in r.items()} for r in records]
    expected = [r["bodyId"] for r in dsl if evaluate(pred, r)]
    assert LocalNeuronJson(records).run(pred)["bodyid"].tolist() == expected
    wide_only = _wide(14)
    plan = to_neuronjson(wide_only)
    assert plan.query is not None  # a prefix of the conjuncts still narrows the answer
    with pytest.raises(CapabilityError):
        to_neuronjson(pred, strict=True)


def test_every_record_with_a_huge_dnf() -> None:
    pred = _wide()
    rows = [{"bodyId": 10 + k, "pre": k % 3, "type": f"t{k % 13}"} for k in range(20)] + [
        {"bodyId": 99, "type": "t1"}
    ]
    _check_local(rows, pred)
    _check_local(rows, ~pred)


def _check_local(rows: list[dict[str, Any]], pred: Predicate) -> None:
    expected = [r["bodyId"] for r in rows if evaluate(pred, r)]
    got = LocalNeuronJson(_dvid_records(rows)).run(pred)["bodyid"].tolist()
    assert got == sorted(expected)


def test_to_dnf_raises_a_typed_error() -> None:
    with pytest.raises(DNFTooLarge) as err:
        to_dnf(_wide())
    assert isinstance(err.value, NeuprintDSLError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: to_neuronjson(E.weight > 3), QueryTypeError),
        (lambda: compile_query([]), InvalidArgument),
        (lambda: compile_query(["x"]), InvalidArgument),  # type: ignore[list-item]
        (lambda: match({"pre": [1, "a"]}, {"pre": 1}), InvalidArgument),
        (lambda: LocalNeuronJson([1]), InvalidArgument),  # type: ignore[list-item]
        (lambda: LocalNeuronJson([{"bodyid": 1}]).run(N.pre > 1, show="x"), InvalidArgument),
        (lambda: LocalNeuronJson([{"type": "x"}]).run(N.type == "x"), LoadError),
        (lambda: get_dialect("neo5"), InvalidArgument),
        (lambda: render_number(math.inf), InvalidValue),
        (lambda: render_number(True), QueryTypeError),
    ],
)
def test_bad_input_raises_typed_errors(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as err:
        call()
    assert isinstance(err.value, NeuprintDSLError)
