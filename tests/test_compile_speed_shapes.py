"""The shapes the fast paths of building and compiling take, checked against the slow paths.

``a & b & c & ...`` builds in linear time by sharing one buffer along the chain (expr._join2);
the Cypher compiler writes the usual leaves in one loop (CypherCompiler._leaf_run) and caches
what depends on the dialect alone. None of this may change a result: big chains equal the
flat ``and_(*parts)``, branching chains stay apart, the nesting limit and its error hold,
and the fast compile gives the same text and parameters as the general one (a dialect
subclass takes the general path everywhere). No timings are asserted here
(benchmarks/bench_core.py measures them).
"""

from __future__ import annotations

import copy
import pickle
import threading

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import FALSE, TRUE, N, and_, neurons, or_, parse, to_cypher
from neuprint_dsl.cypher.dialects import Ladybug, Neo4j
from neuprint_dsl.errors import NestingTooDeep, QueryTypeError
from neuprint_dsl.expr import MAX_NESTING, And, Or, nesting_depth

from .strategies import predicates


def _chain(parts: list, op: str = "&"):  # type: ignore[no-untyped-def]
    pred = parts[0]
    for part in parts[1:]:
        pred = pred & part if op == "&" else pred | part
    return pred


@pytest.mark.parametrize("n", [2, 3, 100, 10_000])
@pytest.mark.parametrize("op", ["&", "|"])
def test_big_chain_equals_flat_junction(n: int, op: str) -> None:
    leaves = [N.pre > i for i in range(n)]
    chained = _chain(leaves, op)
    flat = and_(*leaves) if op == "&" else or_(*leaves)
    assert type(chained) is (And if op == "&" else Or)
    assert chained == flat and hash(chained) == hash(flat)
    assert chained.items == tuple(leaves)
    assert nesting_depth(chained) == 1
    assert pickle.loads(pickle.dumps(chained)) == flat
    assert to_cypher(chained, "ladybug") == to_cypher(flat, "ladybug")
    assert to_cypher(chained).inline() == to_cypher(flat).inline()


def test_chain_of_chains_and_mixed_nodes() -> None:
    a = _chain([N.pre > i for i in range(50)])
    b = _chain([N.post > i for i in range(50)])
    either = (N.type == "x") | (N.type == "y")
    joined = a & b & either & ~N.cropped
    assert joined.items == (*a.items, *b.items, either, ~N.cropped)
    assert nesting_depth(joined) == 2  # the Or inside
    assert (either & a).items == (either, *a.items)  # a chain on the right
    assert nesting_depth(either & a) == 2


def test_branching_chains_do_not_share_items() -> None:
    base = (N.pre > 1) & (N.post > 2)
    left = base & (N.type == "L")
    right = base & (N.type == "R")  # base is no longer the end of its buffer: copied
    longer = left & (N.size > 3)
    assert base.items == (N.pre > 1, N.post > 2)
    assert left.items == (N.pre > 1, N.post > 2, N.type == "L")
    assert right.items == (N.pre > 1, N.post > 2, N.type == "R")
    assert longer.items == (*left.items, N.size > 3)
    assert copy.deepcopy(right) == right and copy.copy(left) == left


def test_items_read_before_extending() -> None:
    base = (N.pre > 1) & (N.post > 2)
    assert len(base.items) == 2  # materialised: the next & copies once, then appends
    longer = base & (N.type == "x") & (N.size > 1)
    assert longer.items == (N.pre > 1, N.post > 2, N.type == "x", N.size > 1)
    assert base.items == (N.pre > 1, N.post > 2)


def test_constants_fold_in_chains() -> None:
    a = (N.pre > 1) & (N.post > 2)
    assert (a & TRUE) == a and (TRUE & a) == a
    assert (a & FALSE) == FALSE and (FALSE & a) == FALSE
    assert (((N.pre > 1) | (N.post > 2)) | TRUE) == TRUE
    assert ((N.pre > 1) | FALSE) == (N.pre > 1)


def test_threads_extending_one_chain() -> None:
    base = _chain([N.pre > i for i in range(10)])
    results: dict[int, object] = {}

    def grow(k: int) -> None:
        pred = base
        for j in range(200):
            pred = pred & (N.post > k * 1000 + j)
        results[k] = pred

    threads = [threading.Thread(target=grow, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k, pred in results.items():
        expected = (*base.items, *(N.post > k * 1000 + j for j in range(200)))
        assert pred.items == expected  # type: ignore[attr-defined]
    assert base.items == tuple(N.pre > i for i in range(10))


def test_nesting_limit_holds_for_chains() -> None:
    deep = ~(N.pre > 0)  # depth 1
    for i in range(MAX_NESTING // 2 - 1):
        deep = ~(deep & (N.post > i))  # Not over And: two levels a round
    assert nesting_depth(deep) == MAX_NESTING - 1
    top = deep & (N.size > 1)
    assert nesting_depth(top) == MAX_NESTING
    longer = top & (N.size > 2) & ((N.type == "a") | (N.type == "b"))  # items join the chain
    assert nesting_depth(longer) == MAX_NESTING and len(longer.items) == 4
    for build in (
        lambda: top | (N.size > 1),
        lambda: (N.size > 1) | top,
        lambda: ((N.size > 1) | (N.type == "x")) & ~top,
        lambda: ~top & (N.size > 1),
    ):
        with pytest.raises(NestingTooDeep, match=f"nested {MAX_NESTING + 1} levels deep"):
            build()


def test_wrong_entity_still_refused_by_the_fast_compile() -> None:
    from neuprint_dsl import E, S

    for pred in (E.weight > 3, (N.pre > 1) & (E.weight > 3), (N.pre > 1) & S.roi("FB")):
        with pytest.raises(QueryTypeError, match="neuron predicate must use neuron fields"):
            to_cypher(pred)
    with pytest.raises(QueryTypeError, match="neuron predicate must use neuron fields"):
        to_cypher((N.pre > 1) & E.weight.isin([]))  # a leaf that is never read


def test_parameter_names_never_collide() -> None:
    # two type parameters and a field called type_2 (a wrong answer before: $type_2 twice)
    stmt = to_cypher((N.type == "a") | (N.type == "b") | (N["type_2"] == "c"), "ladybug")
    assert stmt.params == {"type": "a", "type_2": "b", "type_2_2": "c"}
    assert "n.type_2 = $type_2_2" in stmt.text
    first = to_cypher((N["type_2"] == "c") | (N.type == "a") | (N.type == "b"), "ladybug")
    assert first.params == {"type_2": "c", "type": "a", "type_3": "b"}
    assert to_cypher(N.roi("FB") & (N.inputs("EB") > 2), "ladybug").params == {
        "roi_2": "EB",
        "post_count": 2,
    }


class _PlainNeo4j(Neo4j):
    """A user dialect: the compiler takes its general path with it (no cached tables)."""


class _PlainLadybug(Ladybug):
    """A user dialect: the compiler takes its general path with it (no cached tables)."""


@settings(max_examples=300, deadline=None)
@given(predicates(), st.sampled_from(["neo4j", "ladybug"]))
@example(
    parse('not roi("MB(R)") and type = "x" or not (pre > 3 and instance startswith "")'), "neo4j"
)
@example(parse('roi("a`b") and inputs("MB(R)") >= 2 and not status is null'), "ladybug")
def test_fast_compile_equals_general_compile(pred: object, dialect: str) -> None:
    plain = _PlainNeo4j() if dialect == "neo4j" else _PlainLadybug()
    try:
        fast = to_cypher(pred, dialect)
    except Exception as err:  # the same refusal either way
        with pytest.raises(type(err)):
            to_cypher(pred, plain)
        return
    slow = to_cypher(pred, plain)
    assert (fast.text, dict(fast.params), fast.columns) == (
        slow.text,
        dict(slow.params),
        slow.columns,
    )
    assert fast.inline() == slow.inline()
    statement = neurons(pred, order_by=[("pre", "desc")], limit=3)  # not the default shape
    assert to_cypher(statement, dialect).inline() == to_cypher(statement, plain).inline()
