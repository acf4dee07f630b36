"""Compiling predicates to DVID neuronjson: DVID's answer plus the residual is exactly what the
reference interpreter selects, and plans read well."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neuprint_dsl import (
    CapabilityError,
    E,
    N,
    connections,
    evaluate,
    neurons,
    parse,
    to_neuronjson,
)
from neuprint_dsl.expr import Predicate, as_predicate
from neuprint_dsl.neuronjson import compile_query, match
from neuprint_dsl.transports import LocalNeuronJson

from .cases import Case, cases_with
from .strategies import LIST_SCHEMA, NEURON_SCHEMA, ROIS, predicates, records, strings

SCHEMA = {**NEURON_SCHEMA, **LIST_SCHEMA}
#: names N does not declare: the compiler must assume they may hold anything
UNDECLARED = {"odd name", "weird`tick"}


@st.composite
def annotations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """DVID-shaped records: ``bodyid`` keys; declared fields hold their declared kinds,
    undeclared ones anything JSON can hold (lists, floats, booleans, ...)."""
    out = []
    anything = st.one_of(
        strings,
        st.integers(-5, 5),
        st.floats(-3, 3),
        st.booleans(),
        st.lists(strings, max_size=3),
        st.lists(st.integers(-3, 3), max_size=3),
    )
    for i, record in enumerate(draw(st.lists(records(schema=SCHEMA), max_size=10))):
        record.pop("bodyId", None)
        record["bodyid"] = i + 1
        for name in UNDECLARED:
            if name in record and draw(st.booleans()):
                record[name] = draw(anything)
        out.append(record)
    return out


def _dsl(record: dict[str, Any]) -> dict[str, Any]:
    return {("bodyId" if k == "bodyid" else k): v for k, v in record.items()}


#: pinned: empty-string tests match every non-missing string (DVID read ``["re/"]`` as the
#: literal "re/" and matched nothing)
_EMPTY_STRINGS = [{"bodyid": 1, "type": "KC"}, {"bodyid": 2, "type": ""}, {"bodyid": 3}]
#: pinned: a list item "re/..." is a regex to DVID, so contains_any(["re/x"]) must not be sent
#: as ``{"tags": ["re/x"]}`` (it matched every tag holding "x")
_RE_TAGS = [{"bodyid": 1, "tags": ["xyz"]}, {"bodyid": 2, "tags": ["re/x"]}, {"bodyid": 3}]


@given(predicates(schema=SCHEMA), annotations())
@example(N.type.contains(""), _EMPTY_STRINGS)
@example(N.type.startswith("") | N.type.endswith(""), _EMPTY_STRINGS)
@example(~N.type.contains(""), _EMPTY_STRINGS)
@example(N.tags.contains_any(["re/x"]), _RE_TAGS)
def test_server_answer_plus_residual_is_exact(pred: Predicate, data: list[dict[str, Any]]) -> None:
    plan = to_neuronjson(pred)
    expected = [r["bodyid"] for r in data if evaluate(pred, _dsl(r))]
    if plan.matches_nothing:
        assert expected == []
        return
    returned = data if plan.query is None else [r for r in data if match(plan.query, r)]
    assert [r["bodyid"] for r in plan.filter(returned)] == expected
    if plan.residual is None:  # exact plans need no client filtering at all
        assert [r["bodyid"] for r in returned] == expected
    assert json.loads(json.dumps(plan.query)) == plan.query  # plain JSON
    if plan.query is not None:
        _check_wire_form(plan.query)


def _check_wire_form(query: Any) -> None:
    for obj in query if isinstance(query, list) else [query]:
        assert obj, "an empty object would hit DVID's fast path and return nothing"
        for value in obj.values():
            if isinstance(value, str):
                assert not value.startswith("re/"), "regexes travel as one-element lists"
            assert not isinstance(value, float) and not isinstance(value, bool)
            if isinstance(value, list):
                assert len({type(v) for v in value}) <= 1, "never a mixed list"


@given(predicates(schema=SCHEMA), annotations())
@example(N.type.contains(""), _EMPTY_STRINGS)
@example(N.type.startswith("") & N.type.endswith(""), _EMPTY_STRINGS)
@example(N.type.matches(""), _EMPTY_STRINGS)
@example(N.tags.contains_any(["KC", "re/.*"]), _RE_TAGS)
def test_local_transport_agrees_with_the_interpreter(
    pred: Predicate, data: list[dict[str, Any]]
) -> None:
    frame = LocalNeuronJson(data).run(neurons(pred))
    assert frame["bodyid"].tolist() == [r["bodyid"] for r in data if evaluate(pred, _dsl(r))]


# ---------------------------------------------------------------------------------------
# plans

#: the plans: the "neuronjson" column of tests/fixtures/compile_cases.json (tests/cases.py)


@pytest.mark.parametrize("case", cases_with("neuronjson"))
def test_plans(case: Case) -> None:
    pred = parse(case.query)
    query, exact = case.outputs["neuronjson"]["query"], case.outputs["neuronjson"]["exact"]
    plan = to_neuronjson(pred)
    assert plan.query == query
    assert (plan.residual is None) is exact
    if not exact:
        assert plan.residual == as_predicate(pred)
        with pytest.raises(CapabilityError, match="DVID neuronjson cannot express") as info:
            to_neuronjson(pred, strict=True)
        assert info.value.supported_by == ("neo4j", "ladybug")


def test_unsatisfiable_predicates_send_nothing() -> None:
    from neuprint_dsl import FALSE

    plan = to_neuronjson(FALSE)
    assert plan.matches_nothing and plan.query is None and plan.residual is None
    assert LocalNeuronJson([{"bodyid": 1}]).run(FALSE)["bodyid"].tolist() == []


def test_field_names_are_configurable() -> None:
    plan = to_neuronjson((N.type == "KC") & (N.bodyId == 3), field_names={"type": "cell_type"})
    assert plan.query == {"cell_type": "KC", "bodyid": 3}
    store = LocalNeuronJson([{"bodyid": 3, "cell_type": "KC"}], field_names={"type": "cell_type"})
    assert store.run(N.type == "KC")["bodyid"].tolist() == [3]


def test_declared_kinds_make_more_plans_exact() -> None:
    assert to_neuronjson(N["lineage"] == "T1").residual is not None
    assert (
        to_neuronjson(N["somaNeuromere"] == "T1", kinds={"somaNeuromere": "str"}).residual is None
    )


def test_explain_reads_well() -> None:
    text = to_neuronjson((N.type == "KC") & (N.pre > 5)).explain()
    assert text.splitlines() == [
        'neuronjson plan for: type = "KC" and pre > 5',
        '  server: GET /query {"type": "KC"}',
        '  client: keep records where type = "KC" and pre > 5',
        "  why: pre > 5: DVID has no range tests",
    ]


def test_only_neuron_predicates() -> None:
    with pytest.raises(TypeError, match="neuron predicates"):
        to_neuronjson(E.weight > 1)  # type: ignore[arg-type]
    with pytest.raises(CapabilityError, match="connections"):
        LocalNeuronJson([]).run(connections(N.type == "x"))


# ---------------------------------------------------------------------------------------
# the local transport


def test_local_transport_from_a_file(tmp_path: Path) -> None:
    records = [{"bodyid": 10, "type": "KC", "type_user": "ann"}, {"bodyid": 2, "type": "KC"}]
    path = tmp_path / "all.json"
    path.write_text(json.dumps(records))
    store = LocalNeuronJson(path)
    frame = store.run('neurons where type = "KC"')
    assert frame["bodyid"].tolist() == [2, 10]
    assert str(frame["bodyid"].dtype) == "int64"
    assert "type_user" not in frame.columns
    assert "type_user" in store.run("type = 'KC'", show="user").columns
    assert store.run(neurons(N.type == "KC", limit=1))["bodyid"].tolist() == [2]


def test_local_transport_bad_files(tmp_path: Path) -> None:
    from neuprint_dsl.errors import LoadError

    bad = tmp_path / "bad.json"
    bad.write_text('[{"bodyid": 1},\n {"bodyid": ]')
    with pytest.raises(LoadError, match="line 2"):
        LocalNeuronJson(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(LoadError, match="item 0 is not a JSON object"):
        LocalNeuronJson(bad)


def test_compiled_queries_are_reusable() -> None:
    test = compile_query({"type": ["re/^(?:KC.*)$"], "status": "Traced"})
    assert [test(r) for r in ({"type": "KCab", "status": "Traced"}, {"type": "KCab"})] == [
        True,
        False,
    ]


def test_regex_end_is_the_end_of_the_text() -> None:
    # RE2's $ (DVID) is the end of the text; Python's would also match before a final newline
    assert match({"type": ["re/^(?:KC)$"]}, {"type": "KC\n"}) is False
    assert evaluate(N.type.matches("KC"), {"type": "KC\n"}) is False


def test_rois_are_residual() -> None:
    assert to_neuronjson(N.roi(ROIS[0])).query is None


def test_order_by_a_field_that_is_not_returned() -> None:
    store = LocalNeuronJson(
        [
            {"bodyid": 1000, "status": "Traced", "pre": 50, "type": "a"},
            {"bodyid": 7, "status": "Traced", "pre": 90, "type": "b"},
            {"bodyid": 42, "status": "Traced", "pre": 10, "type": "c"},
            {"bodyid": 3, "status": "Traced", "type": "d"},
        ]
    )
    frame = store.run(
        'neurons where status = "Traced" return bodyId, type order by pre desc limit 2'
    )
    assert frame["bodyid"].tolist() == [7, 1000]
    assert list(frame.columns) == ["bodyid", "type"]
    everything = store.run('neurons where status = "Traced" order by pre')
    assert everything["bodyid"].tolist() == [42, 1000, 7, 3]  # missing values last
