"""numpy and pandas values (issue 10, section 2): every foreign scalar or container accepted
where a value or a list of values is taken becomes plain ``str``/``int``/``float``/``bool`` in
the AST, so the compiled text equals the text of the same query written with plain values;
NaN, infinities, ints outside 64 bits, missing values and lone surrogates are refused with
``InvalidValue``, wrong kinds with ``QueryTypeError``.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuprint_dsl import (
    E,
    M,
    N,
    S,
    connections,
    evaluate,
    neurons,
    parse,
    synapse_connections,
    synapses,
    to_cypher,
    to_neuronjson,
)
from neuprint_dsl.errors import InvalidValue, NeuprintDSLError, QueryTypeError
from neuprint_dsl.expr import (
    Compare,
    CompareOp,
    ContainsAny,
    Entity,
    IsIn,
    Predicate,
    Prop,
    check_value,
    check_values,
    entities,
)
from neuprint_dsl.query import Statement

from .cypher_lexer import tokenize
from .forkserver import Early

PLAIN = (str, int, float, bool)


class Small(enum.IntEnum):
    FIVE = 5


class MyFloat(float):
    def __repr__(self) -> str:  # a foreign repr that must never reach a literal
        return "MyFloat!"


class MyStr(str):
    def __repr__(self) -> str:
        return "MyStr!"


# ---------------------------------------------------------------------------------------
# scalars: (foreign value, the plain value it stands for)

INT_SCALARS: list[tuple[object, int]] = [
    *[(np.dtype(t).type(7), 7) for t in ("int8", "int16", "int32", "int64")],
    *[(np.dtype(t).type(7), 7) for t in ("uint8", "uint16", "uint32", "uint64")],
    (np.int64(2**63 - 1), 2**63 - 1),
    (np.int64(-(2**63)), -(2**63)),
    (np.uint64(2**63 - 1), 2**63 - 1),
    (Small.FIVE, 5),
]
FLOAT_SCALARS: list[tuple[object, float]] = [
    (np.float16(2.5), 2.5),
    (np.float32(0.25), 0.25),
    (np.float64(3), 3.0),
    (np.float64(1e100), 1e100),
    (MyFloat(1.5), 1.5),
]
BOOL_SCALARS: list[tuple[object, bool]] = [(np.bool_(True), True), (np.bool_(False), False)]
STR_SCALARS: list[tuple[object, str]] = [
    (np.str_("APL"), "APL"),
    (MyStr("KC"), "KC"),
    (np.array(["MBON01"])[0], "MBON01"),
]

#: entry points taking one value: (name, build(value) -> AST)
NUMBER_ENTRIES: list[tuple[str, Callable[[Any], Predicate | Statement]]] = [
    ("N.bodyId ==", lambda v: N.bodyId == v),
    ("N.bodyId !=", lambda v: N.bodyId != v),
    ("N.pre >", lambda v: N.pre > v),
    ("N.somaRadius <=", lambda v: N.somaRadius <= v),
    ("N['x'] >=", lambda v: N["x"] >= v),
    ("N.field int <", lambda v: N.field("group", int) < v),
    ("N.inputs >=", lambda v: N.inputs("FB") >= v),
    ("N.outputs ==", lambda v: N.outputs("FB") == v),
    ("Compare", lambda v: Compare(Prop(Entity.NEURON, "pre"), CompareOp.GT, v)),
    ("E.weight in connections", lambda v: connections(where=E.weight >= v)),
    ("E.roi_weight", lambda v: connections(where=E.roi_weight("FB") > v)),
    ("S.confidence in synapses", lambda v: synapses(where=S.confidence > v)),
    ("M.size", lambda v: M.size >= v),
]
BOOL_ENTRIES: list[tuple[str, Callable[[Any], Predicate | Statement]]] = [
    ("N.cropped ==", lambda v: N.cropped == v),
    ("N.cropped !=", lambda v: N.cropped != v),
    ("N['flag'] ==", lambda v: N["flag"] == v),
]
STR_ENTRIES: list[tuple[str, Callable[[Any], Predicate | Statement]]] = [
    ("N.type ==", lambda v: N.type == v),
    ("N.type !=", lambda v: N.type != v),
    ("S.type ==", lambda v: S.type == v),
    ("N.type.startswith", lambda v: N.type.startswith(v)),
    ("N.type.contains", lambda v: N.type.contains(v)),
    ("N.type.matches", lambda v: N.type.matches(v)),
    ("N.roi", lambda v: N.roi(v)),
    ("N.inputs roi", lambda v: N.inputs(v) > 1),
    ("E.roi_weight roi", lambda v: connections(where=E.roi_weight(v) > 1)),
    ("S.roi", lambda v: synapses(where=S.roi(v))),
    ("N[name]", lambda v: N[v] == 1),
    ("connections rois", lambda v: connections(rois=v)),
    ("neurons columns", lambda v: neurons(columns=v)),
    ("neurons order_by", lambda v: neurons(order_by=v)),
]

SCALAR_CASES = [
    pytest.param(entry, value, plain, id=f"{name}-{type(value).__name__}({plain!r})")
    for entries, scalars in (
        (NUMBER_ENTRIES, INT_SCALARS + FLOAT_SCALARS),
        (BOOL_ENTRIES, BOOL_SCALARS),
        (STR_ENTRIES, STR_SCALARS),
    )
    for name, entry in entries
    for value, plain in scalars
]


def _plain_only(node: object) -> Iterator[object]:
    """Every leaf value held anywhere in an AST (attrs fields, tuples), to check types."""
    import attrs

    if isinstance(node, (tuple, list)):
        for item in node:
            yield from _plain_only(item)
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):  # type: ignore[arg-type]
            yield from _plain_only(getattr(node, field.name))
    elif not isinstance(node, enum.Enum) and node is not None:
        yield node


def _compiled(ast: Predicate | Statement) -> list[str]:
    """The inline text in both dialects (or the refusal: some plain values are refused too,
    e.g. huge ints compared with a property of unknown kind)."""
    out = []
    for dialect in ("neo4j", "ladybug"):
        try:
            inline = to_cypher(ast, dialect).inline()
        except NeuprintDSLError as err:
            out.append(f"refused: {err}")
            continue
        tokenize(inline, neo4j=dialect == "neo4j")  # valid Cypher literals only
        out.append(inline)
    return out


def _check_same(foreign: Predicate | Statement, plain: Predicate | Statement) -> None:
    assert foreign == plain
    assert hash(foreign) == hash(plain)
    leaves = list(_plain_only(foreign))
    assert all(type(v) in PLAIN for v in leaves), [type(v) for v in leaves]
    assert str(foreign) == str(plain)
    if isinstance(plain, Statement) or entities(plain) <= {Entity.NEURON}:
        assert parse(str(foreign)) == plain  # the text reads back (as neuron fields)
    assert _compiled(foreign) == _compiled(plain)
    for text in _compiled(foreign):
        for word in ("np.", "numpy", "MyFloat", "MyStr", "Small", "array(", "dtype"):
            assert word not in text


@pytest.mark.parametrize(("entry", "value", "plain"), SCALAR_CASES)
def test_foreign_scalars_become_plain(
    entry: Callable[[Any], Any], value: object, plain: Any
) -> None:
    _check_same(entry(value), entry(plain))


def test_inline_of_a_numpy_float_is_a_cypher_float() -> None:
    stmt = to_cypher(N.somaRadius > np.float64(3))
    assert "n.somaRadius > 3.0" in stmt.inline()
    assert type(stmt.params["somaRadius"]) is float
    assert "n.somaRadius > 3.0" in to_cypher(N.somaRadius > np.float64(3), "ladybug").inline()


def test_numpy_bool_is_a_bool_not_an_int() -> None:
    pred = N["x"] == np.bool_(True)
    assert isinstance(pred, Compare) and pred.value is True
    assert pred != (N["x"] == 1)
    assert check_value(np.bool_(False)) is False


def test_dataframe_cell() -> None:
    df = pd.DataFrame({"bodyId": [5813, 1234], "type": ["APL", "KC"], "r": [1.5, 2.0]})
    pred = N.bodyId == df.bodyId.iloc[0]
    assert pred == (N.bodyId == 5813) and evaluate(pred, {"bodyId": 5813})
    assert (N.type == df.type.iloc[1]) == (N.type == "KC")
    assert (N.somaRadius > df.r.max()) == (N.somaRadius > 2.0)
    assert N.bodyId.isin(df.bodyId.values) == N.bodyId.isin([5813, 1234])
    assert N.bodyId.isin(df.bodyId) == N.bodyId.isin([5813, 1234])
    assert N.bodyId.isin(df.set_index("bodyId").index) == N.bodyId.isin([5813, 1234])
    assert N.type.isin(df["type"].unique()) == N.type.isin(["APL", "KC"])


# ---------------------------------------------------------------------------------------
# lists


def _containers(values: list[Any]) -> list[tuple[str, Callable[[], Iterable[Any]]]]:
    return [
        ("list", lambda: list(values)),
        ("tuple", lambda: tuple(values)),
        ("generator", lambda: (v for v in values)),
        ("dict keys", lambda: dict.fromkeys(values).keys()),
        ("dict values", lambda: {i: v for i, v in enumerate(values)}.values()),
        ("numpy array", lambda: np.array(values)),
        ("pandas Series", lambda: pd.Series(values)),
        ("pandas Index", lambda: pd.Index(values)),
        ("list of numpy scalars", lambda: list(np.array(values))),
    ]


LIST_ENTRIES: list[tuple[str, list[Any], Callable[[Any], Predicate | Statement]]] = [
    ("N.bodyId.isin", [30, 10, 20], lambda vs: N.bodyId.isin(vs)),
    ("N.somaRadius.isin", [2.5, 0.5], lambda vs: N.somaRadius.isin(vs)),
    ("N.type.isin", ["KC", "APL"], lambda vs: N.type.isin(vs)),
    ("N.cropped.isin", [True, False], lambda vs: N.cropped.isin(vs)),
    ("N['x'].isin", [3, 1], lambda vs: N["x"].isin(vs)),
    ("N.tags.contains_any", ["b", "a"], lambda vs: N.tags.contains_any(vs)),
    ("S.x.isin", [3, 1], lambda vs: S.x.isin(vs)),
    ("IsIn", [3, 1], lambda vs: IsIn(Prop(Entity.NEURON, "x"), vs)),
    ("ContainsAny", ["b", "a"], lambda vs: ContainsAny(Prop(Entity.NEURON, "tags"), vs)),
    ("connections rois", ["MB(R)", "FB"], lambda vs: connections(rois=vs)),
    ("synapse_connections rois", ["EB", "FB"], lambda vs: synapse_connections(rois=vs)),
    ("neurons columns", ["type", "bodyId"], lambda vs: neurons(columns=vs)),
]

LIST_CASES = [
    pytest.param(entry, make, values, id=f"{name}-{kind}")
    for name, values, entry in LIST_ENTRIES
    for kind, make in _containers(values)
    if not (kind == "dict keys" and len(set(values)) != len(values))
]


@pytest.mark.parametrize(("entry", "make", "values"), LIST_CASES)
def test_foreign_lists_become_plain_tuples(
    entry: Callable[[Any], Any], make: Callable[[], Iterable[Any]], values: list[Any]
) -> None:
    _check_same(entry(make()), entry(values))


@pytest.mark.parametrize(
    ("name", "values", "entry"), LIST_ENTRIES, ids=[e[0] for e in LIST_ENTRIES]
)
def test_sets_are_sorted(name: str, values: list[Any], entry: Callable[[Any], Any]) -> None:
    ordered = sorted(values)
    for container in (set(values), frozenset(values), set(reversed(values))):
        _check_same(entry(container), entry(ordered))


def test_ranges() -> None:
    _check_same(N.bodyId.isin(range(3)), N.bodyId.isin([0, 1, 2]))
    _check_same(N.bodyId.isin(range(0)), N.bodyId.isin([]))


def test_statement_counts_take_numpy_ints() -> None:
    _check_same(neurons(limit=np.int64(5)), neurons(limit=5))  # type: ignore[arg-type]
    three: Any = np.uint8(3)
    _check_same(
        synapse_connections(min_total_weight=three), synapse_connections(min_total_weight=3)
    )
    with pytest.raises(QueryTypeError, match="limit must be an int"):
        neurons(limit=np.float64(5))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="limit"):
        neurons(limit=np.int64(-1))  # type: ignore[arg-type]


_HASH_SEED_SCRIPT = (
    "from neuprint_dsl import N, connections, to_cypher\n"
    "names = {'SMP(R)', 'FB', 'MB(R)', \"a'L(R)\", 'EB', 'x', 'yy', 'zzz'}\n"
    "print(to_cypher(N.type.isin(names)).inline())\n"
    "print(connections(rois=names))\n"
)

#: the script in two new processes, with hash seeds 1 and 2 (and no other variable), started
#: in the background before the first test (tests/forkserver.py)
HASH_SEEDS = Early(
    "hash seeds: sets",
    lambda early, cwd: [
        early.run(
            [sys.executable, "-c", _HASH_SEED_SCRIPT],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=cwd,
        )
        for seed in ("1", "2")
    ],
    prepare=Path.cwd,
)


@pytest.mark.early(HASH_SEEDS)
def test_set_order_never_depends_on_the_hash_seed() -> None:
    runs = HASH_SEEDS.result()
    for run in runs:
        assert run.returncode == 0, run.stderr
    outputs = {run.stdout for run in runs}
    assert len(outputs) == 1
    assert '["EB", "FB", "MB(R)", "SMP(R)", "a\'L(R)", "x", "yy", "zzz"]' in outputs.pop()


def test_neuronjson_gets_plain_values() -> None:
    plan = to_neuronjson(N.bodyId.isin(np.array([3, 1])) & (N.type == np.str_("KC")))
    assert plan == to_neuronjson(N.bodyId.isin([3, 1]) & (N.type == "KC"))


int_dtypes = st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"])


@given(hnp.arrays(int_dtypes, hnp.array_shapes(max_dims=1, max_side=20)))
@example(np.array([2**63 - 1, -(2**63)], dtype="int64"))
@example(np.array([], dtype="int64"))
def test_isin_of_a_numpy_array_equals_isin_of_its_ints(arr: np.ndarray[Any, Any]) -> None:
    pred = N.bodyId.isin(arr)
    assert pred == N.bodyId.isin(list(map(int, arr)))
    assert isinstance(pred, IsIn) and all(type(v) is int for v in pred.values)
    assert to_cypher(pred).inline() == to_cypher(N.bodyId.isin([int(v) for v in arr])).inline()


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=8))
def test_float32_values_keep_their_exact_value(values: list[float]) -> None:
    arr = np.array(values, dtype="float32")
    pred = N.somaRadius.isin(arr)
    assert isinstance(pred, IsIn)
    assert pred.values == tuple(float(v) for v in arr)
    assert parse(str(pred)) == pred


# ---------------------------------------------------------------------------------------
# refusals

BAD_NUMBERS: list[tuple[object, str]] = [
    (float("nan"), "nan"),
    (float("inf"), "inf"),
    (-float("inf"), "-inf"),
    (np.float64("nan"), "nan"),
    (np.float32("inf"), "inf"),
    (2**63, "9223372036854775808"),
    (-(2**63) - 1, "-9223372036854775809"),
    (np.uint64(2**63), "9223372036854775808"),
    (np.uint64(2**64 - 1), "18446744073709551615"),
]
MISSING: list[object] = [None, pd.NA, pd.NaT, np.datetime64("NaT")]


@pytest.mark.parametrize(("value", "shown"), BAD_NUMBERS, ids=[s for _, s in BAD_NUMBERS])
def test_bad_numbers_are_refused_everywhere(value: Any, shown: str) -> None:
    builds: list[Callable[[], object]] = [
        lambda: N.somaRadius > value,
        lambda: N.bodyId == value,
        lambda: N["x"] == value,
        lambda: N.bodyId.isin([1, value]),
        lambda: N.bodyId.isin(np.array([value], dtype=object)),
        lambda: N.tags.contains_any([value]),
        lambda: Compare(Prop(Entity.NEURON, "x"), CompareOp.EQ, value),
        lambda: E.weight > value,
    ]
    for build in builds:
        with pytest.raises(InvalidValue, match=f"invalid value {shown}") as info:
            build()
        assert isinstance(info.value, ValueError) and isinstance(info.value, NeuprintDSLError)


def test_refusals_say_where() -> None:
    with pytest.raises(InvalidValue, match=r"invalid value nan in N\.somaRadius >: .*finite"):
        _ = N.somaRadius > np.float64("nan")
    with pytest.raises(InvalidValue, match=r"in N\.bodyId isin: an int must fit in 64 bits"):
        N.bodyId.isin([1, 2**64])
    with pytest.raises(InvalidValue, match=r"dropna"):
        N.bodyId.isin(pd.Series([1.0, None]))


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_missing_values_are_refused(missing: Any) -> None:
    for build in (
        lambda: N.bodyId == missing,
        lambda: N.bodyId.isin([1, missing]),
        lambda: N.type.isin(pd.Series(["a", missing], dtype=object)),
    ):
        with pytest.raises(InvalidValue, match="missing value"):
            build()


def test_nullable_pandas_columns() -> None:
    with pytest.raises(InvalidValue, match="missing value"):
        N.bodyId.isin(pd.Series([1, None], dtype="Int64"))
    with pytest.raises(InvalidValue, match="missing value"):
        N.type.isin(pd.Series(["a", None], dtype="string"))
    assert N.bodyId.isin(pd.Series([1, None], dtype="Int64").dropna()) == N.bodyId.isin([1])


SURROGATES = ["\ud800", "a\udfff", "\ud83d\ude00"]


@pytest.mark.parametrize("text", SURROGATES, ids=ascii)
def test_lone_surrogates_are_refused_everywhere(text: str) -> None:
    builds: list[Callable[[], object]] = [
        lambda: N.type == text,
        lambda: N["x"] == np.str_(text),
        lambda: N.type.isin(["a", text]),
        lambda: N.tags.contains_any([text]),
        lambda: N.type.startswith(text),
        lambda: N.type.endswith(text),
        lambda: N.type.contains(text),
        lambda: N.type.matches(text),
        lambda: N.roi(text),
        lambda: N.inputs(text) > 1,
        lambda: E.roi_weight(text) > 1,
        lambda: S.roi(text),
        lambda: M.roi(text),
        lambda: N[text] == 1,
        lambda: N.field(text, int) == 1,
        lambda: connections(rois=[text]),
        lambda: neurons(columns=["bodyId", text]),
        lambda: neurons(order_by=text),
    ]
    for build in builds:
        with pytest.raises(InvalidValue, match="lone surrogate"):
            build()


def test_wrong_kinds_are_query_type_errors() -> None:
    n: Any = N  # the calls below are wrong on purpose (mypy rejects most of them)
    numbers: Any = [3]
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: n.bodyId == np.array([1]), "use isin"),
        (lambda: n.bodyId == [1], "use isin"),
        (lambda: n.bodyId.isin(np.zeros((2, 2))), "one-dimensional"),
        (lambda: n.bodyId.isin(pd.MultiIndex.from_tuples([(1, 2)])), "MultiIndex"),
        (lambda: n.type.isin(pd.DataFrame({"a": [1]})), "DataFrame"),
        (lambda: n.bodyId.isin(5), "list of values"),
        (lambda: n.bodyId.isin({"a": 1}), "list of values"),
        (lambda: n.type.isin("abc"), "list of values"),
        (lambda: n.type.isin(np.array([1, 2])), "needs a string"),
        (lambda: n["x"].isin([1, "a"]), "homogeneous"),
        (lambda: n["x"].isin({1, "a"}), "homogeneous"),
        (lambda: n.bodyId == b"1", "str, int, float or bool"),
        (lambda: n.somaRadius > np.datetime64("2020-01-01"), "str, int, float or bool"),
        (lambda: n.type > 3, "ordering"),
        (lambda: n.type.matches(3), "must be a str"),
        (lambda: n.type.startswith(3), "takes a str"),
        (lambda: n.roi(3), "must be a str"),
        (lambda: connections(rois=numbers), "non-empty strings"),
        (lambda: check_values(3), "list of values"),
    ]
    for build, message in cases:
        with pytest.raises(QueryTypeError, match=message):
            build()


def test_errors_keep_their_builtin_bases() -> None:
    n: Any = N
    with pytest.raises(TypeError):
        _ = n.type > 3
    with pytest.raises(ValueError):
        _ = N.pre > float("nan")
    with pytest.raises(ValueError):
        N.roi("")
    with pytest.raises(ValueError):
        N[""]
