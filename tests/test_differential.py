"""Cross-backend differential test: every backend gives the reference interpreter's answer.

A few random record sets (hostile strings, missing values, integers beside 2**53 and 2**63,
floats next to them, ROI names that differ only by case) are loaded once into real embedded
Ladybug databases and into local DVID neuronjson stores. Hypothesis then draws predicates
over every field kind and operator; each predicate is checked on every database, and each
(predicate, database) pair is one *case*. A case agrees when

* ``Embedded.run`` (compiled ``ladybug`` Cypher) returns exactly ``evaluate``'s bodies,
* ``LocalNeuronJson.run`` (DVID's matching rules plus the residual) does too,
* the compiled neuronjson plan's server query, read with DVID's rules (``neuronjson.match``),
  returns a superset of them (exactly them when the plan has no residual), and
  ``plan.filter`` of that answer is exact,

or when a backend refuses the query with a typed ``NeuprintDSLError`` that compiling alone
raises too (so nothing ran). Refusals are counted apart. The case counts, refusals and time
are printed in pytest's terminal summary (``tests/conftest.py``).

``DIFFERENTIAL_SURVEY=1`` records disagreements instead of failing at the first one, and
lists each with the smallest leaf that disagrees on its own (see docs/testing.md).
"""

from __future__ import annotations

import math
import os
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import TRUE, N, agg, evaluate, neurons, to_neuronjson
from neuprint_dsl.cypher import to_cypher
from neuprint_dsl.embedded.build import build_database
from neuprint_dsl.embedded.export import Export
from neuprint_dsl.errors import InvalidValue, NeuprintDSLError, TransportError
from neuprint_dsl.expr import And, Not, Or, Predicate, and_, or_
from neuprint_dsl.interpret import neuron_rows, values_equal
from neuprint_dsl.neuronjson import match
from neuprint_dsl.query import Aggregate, Neurons
from neuprint_dsl.transports import Embedded, LocalNeuronJson

from .conftest import DifferentialTally, examples
from .strategies import (
    DIFF_FLOATS,
    DIFF_INTS,
    DIFF_ROIS,
    DIFF_SCHEMA,
    DIFF_STRINGS,
    diff_predicates,
)

#: how many random record sets (databases), and records in each
WORLDS = 4
RECORDS = 60
#: each example checks one predicate on every database: WORLDS cases per example
#: (ci 250 examples, dev 600, thorough 6,000: tests/conftest.py)
EXAMPLES = examples("differential")
SURVEY = bool(os.environ.get("DIFFERENTIAL_SURVEY"))


class World:
    """One record set, loaded into an embedded database and a local neuronjson store."""

    def __init__(
        self,
        seed: int,
        records: list[dict[str, Any]],
        dvid: list[dict[str, Any]],
        db: Embedded,
        store: LocalNeuronJson,
    ) -> None:
        self.seed = seed
        self.records = records
        self.dvid = dvid
        self.db = db
        self.store = store

    def __repr__(self) -> str:  # short: Hypothesis prints the fixture with a failing example
        return f"<World {self.seed}: make_records({self.seed}), {len(self.records)} records>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


# ---------------------------------------------------------------------------------------
# records


def _string(rng: random.Random) -> str:
    if rng.random() < 0.85:
        return rng.choice(DIFF_STRINGS)
    return "".join(rng.choice("aK:\\'\"\n\r\x85\u2028é😀 ") for _ in range(rng.randint(0, 3)))


def _value(rng: random.Random, kind: str) -> Any:
    if kind == "str":
        return _string(rng)
    if kind == "int":
        return rng.choice(DIFF_INTS) if rng.random() < 0.5 else rng.randint(0, 6)
    if kind == "float":
        return rng.choice(DIFF_FLOATS) if rng.random() < 0.7 else float(rng.randint(0, 6))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [_string(rng) for _ in range(rng.randint(0, 3))]
    raise ValueError(kind)


def _bodies(rng: random.Random, n: int) -> list[int]:
    """Unique body ids: small ones and ones beside 2**53 and 2**63."""
    pool = {rng.randint(1, 10**6) for _ in range(n)}
    pool |= {2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**62 + 1}
    return rng.sample(sorted(pool), n)


def make_records(seed: int, n: int = RECORDS) -> list[dict[str, Any]]:
    """``n`` neuron records: each property set, null or missing; random per-ROI counts and
    the ROI flags they imply (a flag is set exactly for the ROIs ``roiInfo`` lists)."""
    rng = random.Random(seed)
    out = []
    for body in _bodies(rng, n):
        record: dict[str, Any] = {"bodyId": body}
        for name, kind in DIFF_SCHEMA.items():
            state = rng.choice(["set", "set", "set", "missing", "null"])
            if state == "set":
                record[name] = _value(rng, kind)
            elif state == "null":
                record[name] = None
        info: dict[str, dict[str, int]] = {}
        for roi in rng.sample(DIFF_ROIS, rng.randint(0, 4)):
            counts = {"pre": rng.randint(0, 5), "post": rng.randint(0, 5)}
            if rng.random() < 0.2:
                del counts[rng.choice(["pre", "post"])]
            info[roi] = counts
        record["roiInfo"] = info
        for roi in info:
            record[roi] = True
        out.append(record)
    return out


def _export(records: list[dict[str, Any]], where: Path) -> Export:
    kinds = {"bodyId": "int", **DIFF_SCHEMA, "roiInfo": "json"}
    frame = pd.DataFrame(
        {name: pd.Series([r.get(name) for r in records], dtype=object) for name in kinds}
    )
    frame["bodyId"] = frame["bodyId"].astype("int64")
    total = pd.DataFrame({"bodyId_pre": [], "bodyId_post": [], "weight": []}, dtype="int64")
    roi = pd.DataFrame({"bodyId_pre": [], "bodyId_post": [], "roi": [], "weight": []})
    roi = roi.astype({"bodyId_pre": "int64", "bodyId_post": "int64", "weight": "int64"})
    meta = {"dataset": "differential", "rois": list(DIFF_ROIS)}
    return Export(where, "adjacencies", frame, kinds, roi, total, meta)


def _dvid(record: dict[str, Any]) -> dict[str, Any]:
    return {("bodyid" if k == "bodyId" else k): v for k, v in record.items()}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[World]]:
    out = []
    for seed in range(WORLDS):
        records = make_records(seed)
        where = tmp_path_factory.mktemp(f"differential{seed}")
        db = Embedded(build_database(_export(records, where), where / "graph.lbug"))
        dvid = [_dvid(r) for r in records]
        out.append(World(seed, records, dvid, db, LocalNeuronJson(dvid)))
    yield out
    for world in out:
        world.db.close()


# ---------------------------------------------------------------------------------------
# one case


class Refused(Exception):
    """A typed refusal (``error``), raised the same way when compiling alone."""

    def __init__(self, error: NeuprintDSLError) -> None:
        self.error = error


def _embedded(world: World, pred: Predicate) -> set[int]:
    statement = neurons(pred, columns=["bodyId"])
    try:
        frame = world.db.run(statement)
    except TransportError:
        raise  # the engine failed while running: never a correct outcome
    except NeuprintDSLError as err:
        try:  # a refusal must come from compiling, before anything runs
            to_cypher(statement, "ladybug", schema=world.db.schema)
        except type(err):
            raise Refused(err) from None
        raise AssertionError(f"refused while running, not when compiling: {err!r}") from None
    return set(frame["bodyId"].tolist())


def _local(world: World, pred: Predicate) -> set[int]:
    try:
        frame = world.store.run(neurons(pred))
    except TransportError:
        raise
    except NeuprintDSLError as err:
        try:
            world.store.plan(neurons(pred))
        except type(err):
            raise Refused(err) from None
        raise AssertionError(f"refused while running, not when compiling: {err!r}") from None
    return set(frame["bodyid"].tolist())


def _plan(world: World, pred: Predicate, expected: set[int]) -> set[int]:
    """The plan read with DVID's rules; checks superset, exactness and the residual."""
    try:
        plan = to_neuronjson(pred)
    except NeuprintDSLError as err:
        raise Refused(err) from None
    if plan.matches_nothing:
        return set()
    if plan.query is None:
        returned = world.dvid
    else:
        returned = [r for r in world.dvid if match(plan.query, r)]
    ids = {r["bodyid"] for r in returned}
    if not expected <= ids:
        missing = sorted(expected - ids)
        raise AssertionError(f"server query {plan.query!r} misses bodies {missing}")
    if plan.residual is None and ids != expected:
        raise AssertionError(f"exact plan {plan.query!r} returns {sorted(ids - expected)} too")
    return {r["bodyid"] for r in plan.filter(returned)}


BACKENDS = {"embedded": _embedded, "neuronjson": _local}


def check_case(world: World, pred: Predicate, tally: DifferentialTally) -> list[str]:
    """Run ``pred`` on every backend of ``world``; the disagreements, described."""
    expected = {r["bodyId"] for r in world.records if evaluate(pred, r)}
    problems = []
    runs: dict[str, Any] = {
        **{name: (lambda fn=fn: fn(world, pred)) for name, fn in BACKENDS.items()},
        "neuronjson plan": lambda: _plan(world, pred, expected),
    }
    for backend, call in runs.items():
        try:
            got = call()
        except Refused as refusal:
            tally.refused(backend, type(refusal.error).__name__)
            continue
        except Exception as err:  # any other error is a disagreement
            problems.append(f"{backend}: {type(err).__name__}: {str(err).splitlines()[0]}")
            continue
        if got != expected:
            extra, missing = sorted(got - expected), sorted(expected - got)
            problems.append(f"{backend}: extra {extra[:5]}, missing {missing[:5]}")
    tally.case(bool(problems))
    return problems


def _leaves(pred: Predicate) -> list[Predicate]:
    if isinstance(pred, (And, Or)):
        return [leaf for item in pred.items for leaf in _leaves(item)]
    if isinstance(pred, Not):
        return _leaves(pred.item)
    return [pred]


def culprits(world: World, pred: Predicate) -> list[tuple[str, str]]:
    """The leaves of ``pred`` that disagree on their own (a cheap minimisation), each as
    (signature, description); the signature groups leaves of one shape and one failure."""
    out = []
    scratch = DifferentialTally()
    for leaf in dict.fromkeys(_leaves(pred)):
        for form in (leaf, ~leaf):
            found = check_case(world, form, scratch)
            if found:
                failure = "; ".join(sorted({_failure_shape(f) for f in found}))
                shape = f"{_leaf_shape(form.to_text())} -> {failure}"
                out.append((shape, f"{form.to_text()!r} on world {world.seed}: {'; '.join(found)}"))
                break
    return out


def _leaf_shape(text: str) -> str:
    """A leaf's text with its values replaced by their class (empty strings kept)."""

    def number(m: re.Match[str]) -> str:
        value = float(m.group())
        kind = "f" if any(c in m.group() for c in ".eE") else "i"
        return f"BIG{kind}" if abs(value) >= 2**53 else kind

    text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: m.group() if m.group() == '""' else "s", text)
    return re.sub(r"(?<![\w.])-?\d[\d.eE+-]*", number, text)


def _failure_shape(problem: str) -> str:
    backend, _, rest = problem.partition(": ")
    if rest.startswith("extra"):
        extra, _, missing = rest.partition(", missing ")
        return f"{backend} {'extra' if extra != 'extra []' else ''}{'missing' if missing != '[]' else ''}"
    return f"{backend} {rest.split(':')[0]}"


# ---------------------------------------------------------------------------------------
# the property


def _pattern(field: str, pattern: str) -> Predicate:
    """``field =~ pattern``, or TRUE if the pattern is refused when built (a refusal at
    construction is a correct outcome, and the pin then has nothing left to check)."""
    try:
        return N[field].matches(pattern)
    except NeuprintDSLError:
        return TRUE


@settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(pred=diff_predicates())
# contains/startswith/endswith "" match every string (Ladybug and DVID matched nothing)
@example(pred=N.type.contains(""))
@example(pred=N.instance.startswith("") & ~N.status.endswith(""))
@example(pred=N.type.matches(""))
# integers beyond 2**53 against floats: exact comparison, not as doubles
@example(pred=N.size == float(2**53))
@example(pred=N.size > float(2**53))
@example(pred=N.bodyId <= float(2**53))
@example(pred=N.size.isin([float(2**63)]))
@example(pred=N.post < float(2**63))
# RE2 vs Python: $ before a final newline, inline flags inside the pattern, \s and \v
@example(pred=_pattern("type", "KC$"))
@example(pred=_pattern("type", "(?i)kc"))
@example(pred=_pattern("instance", "K(?i:c).*"))
@example(pred=_pattern("type", ".*\\s.*"))
# contains_any on a list property: Ladybug fails on a parameter inside any(x IN ... WHERE ...)
@example(pred=N.tags.contains_any(["APL"]))
@example(pred=~N.tags.contains_any(["", "KC"]))
# a list item "re/..." is a regex to DVID: contains_any(["re/x"]) matched every tag holding "x"
@example(pred=N.tags.contains_any(["re/x"]))
@example(pred=N.tags.contains_any(["KC", "re/.*"]))
# a DNF of 2**13 clauses: neuronjson raised ValueError instead of falling back to /all
@example(pred=and_(*[or_(N.pre == i, N.post == i) for i in range(13)]))
# body ids beside 2**53 and 2**63 (DVID's body-id fast path, Ladybug's primary key)
@example(pred=N.bodyId.isin([2**53 + 1, 2**63 - 1]))
@example(pred=~(N.bodyId == 2**53))
# ROI names that differ only by case, counts of a ROI a neuron lacks
@example(pred=N.roi("FB") & ~N.roi("fb"))
@example(pred=N.inputs("mb(r)") >= 0.5)
def test_backends_agree_with_the_interpreter(
    pred: Predicate, worlds: list[World], differential_tally: DifferentialTally
) -> None:
    started = time.perf_counter()
    problems = []
    for world in worlds:
        found = check_case(world, pred, differential_tally)
        if found:
            problems.append((world, found))
    differential_tally.seconds += time.perf_counter() - started
    if not problems:
        return
    if SURVEY:
        world = problems[0][0]
        found = [f"world {w.seed}: {p}" for w, ps in problems for p in ps]
        differential_tally.disagree(pred.to_text(), found, culprits(world, pred))
        return
    lines = [f"world {w.seed}: {p}" for w, ps in problems for p in ps]
    raise AssertionError(f"{pred.to_text()}\n" + "\n".join(lines))


def test_the_records_exercise_the_edge_cases() -> None:
    """The generated worlds hold the values the test is about (so it can fail)."""
    records = [r for seed in range(WORLDS) for r in make_records(seed)]
    assert any(r.get("type") == "" for r in records)
    assert any(r.get("size") == 2**53 + 1 for r in records)
    assert any(r.get("bodyId") == 2**63 - 1 for r in records)
    assert any("FB" in r and "fb" not in r for r in records)
    assert any(isinstance(r.get("type"), str) and "\n" in r["type"] for r in records)
    assert any(r.get("tags") == [] for r in records)
    assert any("tags" not in r for r in records)


def test_a_wrong_backend_is_a_disagreement(worlds: list[World]) -> None:
    """The harness itself can fail: a store holding other data disagrees."""
    world = worlds[0]
    changed = [dict(r) for r in world.dvid]
    changed[0]["type"] = "only in the store"
    wrong = World(world.seed, world.records, changed, world.db, LocalNeuronJson(changed))
    tally = DifferentialTally()
    problems = check_case(wrong, N.type == "only in the store", tally)
    assert [p.split(":")[0] for p in problems] == ["neuronjson", "neuronjson plan"]
    assert tally.cases == 1 and tally.disagreeing == 1


def test_typed_refusals_are_counted_not_failed(worlds: list[World]) -> None:
    tally = DifferentialTally()
    assert check_case(worlds[0], N["typo"] == "x", tally) == []
    assert check_case(worlds[0], N.roi("NOPE(R)"), tally) == []
    assert dict(tally.refusals) == {("embedded", "UnknownField"): 1, ("embedded", "UnknownROI"): 1}


# ---------------------------------------------------------------------------------------
# ordered, limited and grouped statements (issue 14): the same worlds, whole row lists

#: fields with one order on every engine (lists have none)
_SCALARS = [name for name, kind in DIFF_SCHEMA.items() if kind != "list"]
_INTS = [name for name, kind in DIFF_SCHEMA.items() if kind == "int"]
_NUMBERS = [name for name, kind in DIFF_SCHEMA.items() if kind in ("int", "float")]


@st.composite
def ordered_statements(draw: st.DrawFn) -> Neurons:
    """A neurons statement with order by keys, a limit, and often a group by.

    Every statement has a total order (ties by ``bodyId``, or by the group keys, which are
    unique per row), so the row lists are compared as lists, floats to 12 digits."""
    where = draw(diff_predicates(max_leaves=3, oddities=False))
    limit = draw(st.none() | st.integers(0, 25))
    if draw(st.booleans()):
        keys = draw(
            st.lists(
                st.tuples(
                    st.sampled_from([*_SCALARS, N.inputs("FB"), N.outputs("mb(r)")]),
                    st.sampled_from(["asc", "desc"]),
                ),
                max_size=3,
            )
        )
        return neurons(where, columns=["bodyId", "type"], order_by=keys, limit=limit)
    group = draw(st.lists(st.sampled_from(_SCALARS), min_size=1, max_size=2, unique=True))
    aggregates = draw(
        st.lists(
            st.one_of(
                st.just(agg.count()),
                st.builds(Aggregate, st.sampled_from(["min", "max"]), st.sampled_from(_NUMBERS)),
                st.builds(Aggregate, st.sampled_from(["sum", "mean"]), st.sampled_from(_INTS)),
                st.builds(Aggregate, st.just("sum"), st.just(N.inputs("MB(R)"))),
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda a: a.name,
        )
    )
    statement = neurons(where).group_by(*group, aggregates=aggregates)
    columns = statement.result_columns() or ()
    order = draw(
        st.lists(
            st.tuples(st.sampled_from(columns), st.sampled_from(["asc", "desc"])),
            max_size=2,
            unique_by=lambda k: k[0],
        )
    )
    return statement.ordered_by(*order).with_limit(limit)


def _frame_rows(frame: pd.DataFrame, rename: dict[str, str]) -> list[dict[str, Any]]:
    frame = frame.rename(columns=rename)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[no-any-return]


def _same_rows(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    if len(got) != len(expected):
        return False
    for a, b in zip(got, expected, strict=True):
        if a.keys() != b.keys():
            return False
        for key, x in a.items():
            y = b[key]
            if isinstance(x, float) and isinstance(y, (int, float)) and not isinstance(y, bool):
                if not math.isclose(x, y, rel_tol=1e-12):
                    return False
            elif not (values_equal(x, y) or x is y is None or (isinstance(x, list) and x == y)):
                return False
    return True


def check_statement(world: World, statement: Neurons, tally: DifferentialTally) -> list[str]:
    """Run an ordered / grouped statement on the embedded engine and the DVID store; the
    disagreements with ``neuron_rows``. A sum beyond 64 bits is refused by the interpreter
    (InvalidValue) and must fail on every backend too."""
    try:
        expected: list[dict[str, Any]] | None = neuron_rows(statement, world.records)
    except InvalidValue:
        expected = None
    problems = []
    runs = {
        "embedded": lambda: _frame_rows(world.db.run(statement), {}),
        "neuronjson": lambda: _frame_rows(world.store.run(statement), {"bodyid": "bodyId"}),
    }
    for backend, call in runs.items():
        try:
            got = call()
        except NeuprintDSLError as err:
            if expected is None:
                tally.refused(backend, "sum beyond 64 bits")
                continue
            problems.append(f"{backend}: {type(err).__name__}: {str(err).splitlines()[0]}")
            continue
        if expected is None:
            problems.append(f"{backend}: answered a sum beyond 64 bits")
        elif not _same_rows(got, expected):
            problems.append(f"{backend}: {got[:3]} ... instead of {expected[:3]} ...")
    tally.case(bool(problems))
    return problems


@settings(
    max_examples=examples("statements"),  # ci 50, dev 200, thorough 2,000
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(statement=ordered_statements())
# -0.0 and 0.0 are one group and tie in an order (then by bodyId)
@example(statement=neurons(columns=["bodyId", "type"], order_by=[("somaRadius", "desc")]))
@example(statement=neurons().group_by("somaRadius", aggregates=[agg.count()]))
# sums near 2**63: exact, or refused everywhere
@example(statement=neurons().group_by("cropped", aggregates=[agg.sum("size"), agg.mean("size")]))
# hostile strings order by code point on every backend; a field name with a space
@example(statement=neurons(columns=["bodyId", "type"], order_by=["odd name", "type"], limit=9))
@example(statement=neurons().group_by("odd name", "type").ordered_by(("count", "desc")))
def test_ordered_and_grouped_statements_agree(
    statement: Neurons, worlds: list[World], differential_tally: DifferentialTally
) -> None:
    started = time.perf_counter()
    problems = []
    for world in worlds:
        found = check_statement(world, statement, differential_tally)
        problems += [f"world {world.seed}: {p}" for p in found]
    differential_tally.seconds += time.perf_counter() - started
    if problems and SURVEY:
        differential_tally.disagree(statement.to_text(), problems, [])
        return
    assert not problems, f"{statement.to_text()}\n" + "\n".join(problems)
