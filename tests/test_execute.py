"""The executor is the one code path from a statement to a DataFrame on every backend: it
looks up the transport's backend by name, compiles for it, calls ``transport.execute`` and
shapes the answer; transports only move queries and answers (issue 16)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import FALSE, N, connections, neurons, synapses
from neuprint_dsl.backends import BACKEND_NAMES, BACKENDS, CYPHER_BACKENDS, Language, get_backend
from neuprint_dsl.cypher import DIALECTS, CypherStatement
from neuprint_dsl.errors import CapabilityError, InvalidArgument
from neuprint_dsl.execute import Runs, compile_for, run
from neuprint_dsl.interpret import evaluate
from neuprint_dsl.neuronjson import NeuronJsonPlan, match
from neuprint_dsl.transports import LocalNeuronJson, Recording
from neuprint_dsl.transports.base import (
    CypherTransport,
    NeuronJsonStore,
    Record,
    SortKeys,
    SortsRows,
    Table,
    TypesLater,
)

from .strategies import predicates

PACKAGE = Path(__file__).resolve().parent.parent / "neuprint_dsl"


# -- the registry of backend names ------------------------------------------------------------


def test_every_cypher_backend_has_a_dialect_and_every_dialect_a_backend() -> None:
    assert set(CYPHER_BACKENDS) == set(DIALECTS)
    assert {b.language for b in BACKENDS.values()} == set(Language)
    assert BACKEND_NAMES == ("neo4j", "ladybug", "neuronjson")


def test_an_unknown_backend_is_refused_before_anything_runs() -> None:
    rec = Recording(dialect="sqlite")
    with pytest.raises(InvalidArgument, match="unknown backend 'sqlite'; choose one of neo4j"):
        rec.run(neurons(N.type == "KC"))
    assert rec.sent == []
    with pytest.raises(InvalidArgument):
        get_backend(None)  # type: ignore[arg-type]


def test_transports_name_their_backend_from_the_registry() -> None:
    from neuprint_dsl.transports import DvidHTTP, Embedded, NeuprintHTTP

    for cls in (DvidHTTP, Embedded, LocalNeuronJson, NeuprintHTTP):
        assert cls.dialect in BACKENDS
        assert issubclass(cls, Runs)  # one run(): the executor's


# -- DVID neuronjson through the executor ---------------------------------------------------


class ListStore(Runs):
    """A neuronjson store that only moves JSON: it answers a query with the records DVID's
    rules match, in reverse order and each twice (DVID's key order is lexicographic and its
    body-id fast path repeats ids), records what it was sent, and has no run() of its own."""

    dialect = "neuronjson"

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.field_names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.sent: list[Any] = []

    def execute(self, query: Any, show: str | None = None) -> list[Record]:
        self.sent.append(query)
        found: list[Record] = [r for r in self.records if query is None or match(query, r)]
        return found[::-1] * 2


RECORDS = [
    {"bodyid": 3, "type": "KC", "pre": 5},
    {"bodyid": 1, "type": "KC", "pre": 50},
    {"bodyid": 2, "type": "MBON01", "pre": 7},
    {"bodyid": 1, "type": "KC", "pre": 50},  # DVID repeats ids on its body-id fast path
]


def test_the_executor_filters_and_shapes_what_a_store_returns() -> None:
    store = ListStore(RECORDS)
    assert isinstance(store, NeuronJsonStore)
    frame = store.run((N.type == "KC") & (N.pre > 10))
    assert store.sent == [{"type": "KC"}]  # the widest exact query; pre > 10 is residual
    assert frame.to_dict("list") == {"bodyid": [1], "pre": [50], "type": ["KC"]}
    assert str(frame["bodyid"].dtype) == "int64"


def test_a_predicate_that_matches_nothing_sends_nothing() -> None:
    store = ListStore(RECORDS)
    frame = store.run(FALSE)
    assert store.sent == [] and frame.empty


def test_store_options_are_checked_by_the_executor() -> None:
    store = ListStore(RECORDS)
    with pytest.raises(InvalidArgument, match="show must be one of"):
        store.run(N.type == "KC", show="everything")
    with pytest.raises(InvalidArgument, match="bodyid_column must be a column name"):
        store.run(N.type == "KC", bodyid_column="")
    with pytest.raises(CapabilityError, match="use neo4j or ladybug"):
        store.run(N.pre > 10, strict=True)
    with pytest.raises(CapabilityError, match="cannot express connections"):
        store.run(connections(N.type == "KC"))
    assert store.sent == []


def test_plan_is_what_run_sends() -> None:
    store = LocalNeuronJson(RECORDS)
    plan = store.plan('type = "KC" and pre > 10')
    assert isinstance(plan, NeuronJsonPlan)
    assert plan.query == {"type": "KC"} and plan.residual is not None
    assert compile_for(store, 'type = "KC" and pre > 10') == plan


@given(
    predicates(ill_typed=False, max_leaves=6),
    st.lists(
        st.fixed_dictionaries(
            {"bodyid": st.integers(1, 6)},
            optional={
                "type": st.sampled_from(["KC", "MBON01", "APL"]),
                "pre": st.integers(0, 20),
                "status": st.sampled_from(["Traced", "Orphan"]),
            },
        ),
        max_size=8,
        unique_by=lambda r: r["bodyid"],  # a DVID key holds one record
    ),
)
@example(N.type.is_null(), [{"bodyid": 1}, {"bodyid": 2, "type": "KC"}])
@example(~(N.type == "KC") & (N.pre > 3), [{"bodyid": 2, "pre": 5}, {"bodyid": 1, "type": "KC"}])
def test_a_store_that_only_moves_json_gives_the_interpreters_answer(
    pred: Any, records: list[Any]
) -> None:
    """The store answers by DVID's rules only; the residual, the order and de-duplication
    are the executor's, and its answer is the interpreter's."""
    got = ListStore(records).run(pred)["bodyid"].tolist()
    want = sorted(r["bodyid"] for r in records if evaluate(pred, {"bodyId": r["bodyid"], **r}))
    assert got == want


def test_local_store_execute_moves_json_only() -> None:
    store = LocalNeuronJson([{"bodyid": 1, "type": "KC", "type_user": "jo"}, {"bodyid": 2}])
    query = {"type": "KC"}
    assert store.execute(query) == [{"bodyid": 1, "type": "KC"}]
    assert store.execute(query, "user") == [{"bodyid": 1, "type": "KC", "type_user": "jo"}]
    assert [r["bodyid"] for r in store.execute(None)] == [1, 2]
    assert all(match(query, r) for r in store.execute(query))


# -- Cypher through the executor ------------------------------------------------------------


def test_cypher_transports_refuse_the_options_of_a_store() -> None:
    rec = Recording(lambda q: [[1, "KC"]])
    assert isinstance(rec, CypherTransport)
    statement = neurons(N.type == "KC", columns=["bodyId", "type"])
    with pytest.raises(InvalidArgument, match="show= is an option of DVID neuronjson stores"):
        rec.run(statement, show="user")
    with pytest.raises(InvalidArgument, match="bodyid_column= is an option of DVID"):
        rec.run(statement, bodyid_column="id")
    assert rec.sent == []
    frame = rec.run(neurons(N.type == "KC", columns=["bodyId", "type"]), strict=True)
    assert frame["type"].tolist() == ["KC"]


def test_compile_for_uses_the_transports_dialect() -> None:
    stmt = compile_for(Recording(dialect="ladybug"), synapses(N.bodyId == 1))
    assert isinstance(stmt, CypherStatement) and stmt.dialect == "ladybug"


class Capable(Recording):
    """A Cypher transport with the optional capabilities, recording which one ran."""

    def __init__(self, answer: Any, dialect: str = "neo4j") -> None:
        super().__init__(answer, dialect=dialect)
        self.calls: list[str] = []

    def execute_to_shape(self, statement: CypherStatement) -> Table:
        self.calls.append("execute_to_shape")
        return self.execute(statement)

    def execute_sorted(self, statement: CypherStatement, order: SortKeys) -> Table:
        self.calls.append("execute_sorted")
        table = self.execute(statement)
        frame = table.to_frame().sort_values(
            [n for n, _ in order], ascending=[not d for _, d in order], ignore_index=True
        )
        return Table(table.columns, frame)


def test_the_executor_uses_a_transports_capabilities() -> None:
    rows = [[2, 1, "a", 3], [1, 2, "b", 5], [1, 2, "a", 5]]
    db = Capable(lambda q: rows, dialect="ladybug")
    assert isinstance(db, SortsRows) and isinstance(db, TypesLater)
    frame = db.run(connections(N.type == "KC", per_roi=True))
    assert db.calls == ["execute_sorted"] and "ORDER BY" not in db.sent[-1]
    assert frame.values.tolist() == [[1, 2, "a", 5], [1, 2, "b", 5], [2, 1, "a", 3]]
    db.run(connections(N.type == "KC", per_roi=True, limit=2))  # the engine must sort to cut
    assert db.calls[-1] == "execute_to_shape" and "ORDER BY" in db.sent[-1]
    plain = Recording(lambda q: rows, dialect="ladybug")
    assert plain.run(connections(N.type == "KC", per_roi=True)).values.tolist() == rows


def test_run_types_a_frame_as_before() -> None:
    rec = Recording(lambda q: pd.DataFrame({"bodyId": [1.0], "pre": [None]}))
    frame = run(rec, neurons(columns=["bodyId", "pre"]))
    assert [str(t) for t in frame.dtypes] == ["int64", "object"]


# -- the direction of dependencies ----------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-local and TYPE_CHECKING too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_stores_and_the_store_package_do_not_import_the_executor_or_transports() -> None:
    assert not any(
        "execute" in m for m in _imported_modules(PACKAGE / "transports/neuronjson_base.py")
    )
    for path in (PACKAGE / "embedded").rglob("*.py"):
        assert not any("transports" in m for m in _imported_modules(path)), path


def test_the_executor_imports_no_concrete_transport() -> None:
    imported = _imported_modules(PACKAGE / "execute.py")
    assert {m for m in imported if "transports" in m} <= {".transports.base"}
