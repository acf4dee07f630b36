"""The semantic contract (DESIGN section 3) on the reference interpreter, and the
meaning-preserving rewrites of normalize.py."""

from __future__ import annotations

import pickle
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import FALSE, TRUE, E, InvalidPattern, N, agg, and_, evaluate, neurons, not_, or_
from neuprint_dsl.expr import And, Not, Or, Predicate
from neuprint_dsl.interpret import neuron_rows, order_rows
from neuprint_dsl.normalize import dnf_clauses, is_literal, simplify, to_dnf, to_nnf

from .strategies import EDGE_SCHEMA, predicates, records

KC = {"bodyId": 1, "type": "KCab", "instance": "KCab(R)", "pre": 12, "cropped": False}
BARE: dict[str, Any] = {"bodyId": 2}
ROI_REC = {
    "bodyId": 3,
    "MB(R)": True,
    "roiInfo": {"MB(R)": {"pre": 4, "post": 11}, "b'L(R)": {"pre": 1}},
}

CASES: list[tuple[str, Predicate, dict[str, Any], bool]] = [
    ("equality", N.type == "KCab", KC, True),
    ("case-sensitive", N.type == "kcab", KC, False),
    ("missing leaf is false", N.type == "KCab", BARE, False),
    ("negation includes missing", ~(N.type == "KCab"), BARE, True),
    ("!= is sugar for ~==", N.type != "KCab", BARE, True),
    ("ordering on missing is false", N.pre > 10, BARE, False),
    ("not ordering on missing is true", ~(N.pre > 10), BARE, True),
    ("int vs float", N.pre == 12.0, KC, True),
    ("bool is not a number", N["cropped"] == 0, KC, False),
    ("number is not a bool", N["pre"] == True, {"pre": 1}, False),  # noqa: E712
    ("string is not a number", N["pre"] == 12, {"pre": "12"}, False),
    ("ordering a string value is false", N["type"] > 3, KC, False),
    ("regex is a full match", N.type.matches("KC"), KC, False),
    ("regex full match", N.type.matches("KC.*"), KC, True),
    ("regex ignore case", N.type.matches("kc.*", ignore_case=True), KC, True),
    ("regex on a number is false", N["pre"].matches(".*"), KC, False),
    ("startswith is literal", N.type.startswith("KC."), KC, False),
    ("contains", N.instance.contains("ab(R"), KC, True),
    ("endswith", N.instance.endswith("(R)"), KC, True),
    ("isin", N.type.isin(["APL", "KCab"]), KC, True),
    ("isin empty matches nothing", N.type.isin([]), KC, False),
    ("not isin empty matches all", ~N.type.isin([]), BARE, True),
    ("is null on missing", N.type.is_null(), BARE, True),
    ("is null on explicit None", N.type.is_null(), {"type": None}, True),
    ("not null", N.type.not_null(), KC, True),
    ("bool field", N.cropped, KC, False),
    ("not bool field (false)", ~N.cropped, KC, True),
    ("not bool field (missing)", ~N.cropped, BARE, True),
    ("roi flag", N.roi("MB(R)"), ROI_REC, True),
    ("roi flag missing", N.roi("FB"), ROI_REC, False),
    ("roi inputs", N.inputs("MB(R)") >= 11, ROI_REC, True),
    ("roi outputs", N.outputs("MB(R)") == 4, ROI_REC, True),
    ("missing roi counts 0", N.inputs("FB") == 0, ROI_REC, True),
    ("missing side counts 0", N.inputs("b'L(R)") == 0, ROI_REC, True),
    ("no roiInfo counts 0", N.outputs("FB") < 1, BARE, True),
    ("roiInfo as JSON text", N.inputs("FB") == 2, {"roiInfo": '{"FB": {"post": 2}}'}, True),
    ("contains_any", N.tags.contains_any(["a", "z"]), {"tags": ["x", "a"]}, True),
    ("contains_any on a scalar", N.tags.contains_any(["a"]), {"tags": "a"}, False),
    ("contains_any empty", N.tags.contains_any([]), {"tags": ["a"]}, False),
    ("edge weight", E.weight >= 5, {"weight": 5}, True),
    ("edge roi weight", E.roi_weight("MB(R)") > 2, {"roiInfo": {"MB(R)": {"post": 3}}}, True),
    ("true", TRUE, BARE, True),
    ("false", FALSE, BARE, False),
    ("or", (N.type == "x") | (N.pre > 1), KC, True),
    ("and", (N.type == "x") & (N.pre > 1), KC, False),
]


@pytest.mark.parametrize(("name", "pred", "record", "expected"), CASES, ids=[c[0] for c in CASES])
def test_semantics_table(
    name: str, pred: Predicate, record: dict[str, Any], expected: bool
) -> None:
    assert evaluate(pred, record) is expected


# ---------------------------------------------------------------------------------------
# the algebra


def test_bool_refuses() -> None:
    with pytest.raises(TypeError, match="use & and \\| instead of and/or"):
        bool(N.pre > 3)
    with pytest.raises(TypeError):
        (N.pre > 3) and (N.post > 3)  # noqa: B018
    with pytest.raises(TypeError, match="is a field, not a predicate"):
        if N.pre:
            pass


def test_flattening_and_folding() -> None:
    a, b, c = N.pre > 1, N.post > 2, N.type == "x"
    assert (a & b) & c == And((a, b, c))
    assert a & (b & c) == And((a, b, c))
    assert (a | b) | c == Or((a, b, c))
    assert a & TRUE == a and a | FALSE == a
    assert a & FALSE == FALSE and a | TRUE == TRUE
    assert ~~a == a and ~TRUE == FALSE
    assert and_() == TRUE and or_() == FALSE and not_(FALSE) == TRUE


def test_validators_keep_trees_canonical() -> None:
    a, b = N.pre > 1, N.post > 2
    with pytest.raises(ValueError):
        And((a,))
    with pytest.raises(ValueError):
        And((a, And((a, b))))
    with pytest.raises(ValueError):
        Or((a, TRUE))
    with pytest.raises(ValueError):
        Not(Not(a))


def test_structural_equality_tells_value_types_apart() -> None:
    assert (N["x"] == 1) != (N["x"] == True)  # noqa: E712
    assert (N["x"] == 1) != (N["x"] == 1.0)
    assert N["x"].isin([1]) != N["x"].isin([1.0])
    assert hash(N.type == "a") == hash(N.type == "a")


def test_nodes_pickle() -> None:
    pred = N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped
    assert pickle.loads(pickle.dumps(pred)) == pred


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: N.type > 3, TypeError, "ordering"),
        (lambda: N.type == 3, TypeError, "needs a string"),
        (lambda: N.pre == "x", TypeError, "needs a number"),
        (lambda: N.pre.matches("x"), AttributeError, "no method 'matches'"),
        (lambda: N.cropped == 1, TypeError, "needs a bool"),
        (lambda: N.type.isin("abc"), TypeError, "list of values"),
        (lambda: N["x"].isin([1, "a"]), TypeError, "homogeneous"),
        (lambda: N.pre > float("nan"), ValueError, "finite"),
        (lambda: N.bodyId == 2**64, ValueError, "64 bits"),
        (lambda: N.somaLocation == [1, 2, 3], TypeError, "is_null"),
        (lambda: N.type.matches("(?<=a)b"), InvalidPattern, "look-behind"),
        (lambda: N.type.matches("a{,3}"), InvalidPattern, "quantifier"),
        (lambda: N.type.matches("(a"), InvalidPattern, "missing"),
        (lambda: N.inputs("FB").is_null(), AttributeError, "never null"),
        (lambda: N.roi(""), ValueError, "non-empty"),
        (lambda: N["type"] < "b", TypeError, "numbers only"),
    ],
)
def test_bad_input_is_refused_clearly(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_invalid_pattern_reports_position() -> None:
    with pytest.raises(InvalidPattern) as info:
        N.type.matches("MBON(?=x)")
    assert info.value.position == 4
    assert "^" in str(info.value)


# ---------------------------------------------------------------------------------------
# properties


@given(predicates(), records())
def test_negation_is_the_complement(pred: Predicate, record: dict[str, Any]) -> None:
    assert evaluate(~pred, record) is (not evaluate(pred, record))
    assert evaluate(~~pred, record) is evaluate(pred, record)


@given(predicates(max_leaves=4), predicates(max_leaves=4), records())
def test_de_morgan(a: Predicate, b: Predicate, record: dict[str, Any]) -> None:
    assert evaluate(~(a & b), record) is evaluate(~a | ~b, record)
    assert evaluate(~(a | b), record) is evaluate(~a & ~b, record)


@given(predicates(), records(well_typed=False))
def test_normal_forms_preserve_meaning(pred: Predicate, record: dict[str, Any]) -> None:
    expected = evaluate(pred, record)
    nnf = to_nnf(pred)
    assert evaluate(nnf, record) is expected
    assert evaluate(simplify(pred), record) is expected
    assert evaluate(to_dnf(pred), record) is expected
    assert (
        any(all(evaluate(lit, record) for lit in clause) for clause in dnf_clauses(pred))
        is expected
    )


@given(predicates())
def test_nnf_has_negation_only_on_leaves(pred: Predicate) -> None:
    def check(p: Predicate) -> None:
        if isinstance(p, Not):
            assert is_literal(p)
        elif isinstance(p, (And, Or)):
            for item in p.items:
                check(item)

    check(to_nnf(pred))
    for clause in dnf_clauses(pred):
        assert all(is_literal(lit) for lit in clause)


@given(predicates(schema=EDGE_SCHEMA, entity=E.entity), records(schema=EDGE_SCHEMA))
def test_edge_predicates_evaluate_on_edge_records(pred: Predicate, record: dict[str, Any]) -> None:
    assert evaluate(~pred, record) is (not evaluate(pred, record))


def test_dnf_size_guard() -> None:
    big = and_(*[(N[f"a{i}"] == 1) | (N[f"b{i}"] == 1) for i in range(14)])
    with pytest.raises(ValueError, match="more than 4096 clauses"):
        dnf_clauses(big)


# ---------------------------------------------------------------------------------------
# statements: the oracle's order, limits and groups (issue 14) against pandas

_GROUP_RECORD = st.fixed_dictionaries(
    {
        "type": st.none() | st.sampled_from(["KC", "KCab", "MBON", "", "é", "😀"]),
        "status": st.none() | st.sampled_from(["Traced", "Orphan"]),
        "pre": st.none() | st.integers(-5, 50),
        "r": st.none() | st.sampled_from([0.5, -0.0, 0.0, 2.25, -3.0]),
    }
)


@given(st.lists(_GROUP_RECORD, max_size=30), st.sampled_from([["type"], ["type", "status"]]))
@example([{"type": None, "status": None, "pre": None, "r": None}], ["type"])
def test_groups_match_pandas_with_missing_keys_kept(
    items: list[dict[str, Any]], keys: list[str]
) -> None:
    records = [{"bodyId": i + 1, **r} for i, r in enumerate(items)]
    statement = neurons().group_by(
        *keys,
        aggregates=[agg.count(), agg.sum("pre"), agg.mean("pre"), agg.max("r"), agg.min("r")],
    )
    got = neuron_rows(statement, records)
    frame = pd.DataFrame(records, columns=["bodyId", "type", "status", "pre", "r"])
    frame["pre"] = frame["pre"].astype("Int64")
    frame["r"] = frame["r"].astype("float64")
    expected = (
        frame.groupby(keys, dropna=False)
        .agg(
            count=("bodyId", "size"),
            sum_pre=("pre", "sum"),
            mean_pre=("pre", "mean"),
            max_r=("r", "max"),
            min_r=("r", "min"),
        )
        .reset_index()
        .sort_values(keys, na_position="last", kind="stable")
    )
    assert len(got) == len(expected)
    for row, (_, want) in zip(got, expected.iterrows(), strict=True):
        for key in keys:
            assert row[key] == (None if pd.isna(want[key]) else want[key])
        assert row["count"] == want["count"] and row["sum_pre"] == want["sum_pre"]
        for name in ("mean_pre", "max_r", "min_r"):
            if pd.isna(want[name]):
                assert row[name] is None
            else:
                assert row[name] == pytest.approx(want[name], rel=1e-12)
    assert sum(r["count"] for r in got) == len(records)


@given(
    st.lists(_GROUP_RECORD, max_size=30),
    st.lists(st.tuples(st.sampled_from(["type", "pre", "r"]), st.booleans()), max_size=2),
    st.none() | st.integers(0, 10),
)
def test_order_matches_pandas_with_missing_last(
    items: list[dict[str, Any]], keys: list[tuple[str, bool]], limit: int | None
) -> None:
    records = [{"bodyId": i + 1, **r} for i, r in enumerate(items)]
    statement = neurons(
        columns=["bodyId"], order_by=[(k, "desc" if d else "asc") for k, d in keys], limit=limit
    )
    got = [r["bodyId"] for r in neuron_rows(statement, records)]
    frame = pd.DataFrame(records, columns=["bodyId", "type", "pre", "r"])
    for name, descending in reversed([*keys, ("bodyId", False)]):  # stable, last key first
        frame = frame.sort_values(name, ascending=not descending, na_position="last", kind="stable")
    assert got == frame["bodyId"].tolist()[:limit]
    assert order_rows([{"x": None}, {"x": 1}], [("x", True)]) == [{"x": 1}, {"x": None}]
