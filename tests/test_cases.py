"""The test infrastructure itself: the shape of the data files (tests/fixtures/, read by
tests/cases.py; a typo in a key or a case with nothing to check fails here instead of silently
testing nothing), and the differential tally's trip from pytest-xdist workers (conftest.py)."""

from __future__ import annotations

import json
from collections import Counter

from .cases import CASE_KEYS, OUTPUTS, compile_cases, identity, raw_groups
from .conftest import DifferentialTally


def test_groups_have_a_comment_and_cases() -> None:
    for group in raw_groups():
        assert sorted(group) == ["cases", "comment"], group.get("comment")
        assert group["comment"].strip() and group["cases"]


def test_every_case_has_a_query_and_something_to_check() -> None:
    for group in raw_groups():
        for case in group["cases"]:
            assert set(case) <= set(CASE_KEYS), f"unknown keys {set(case) - set(CASE_KEYS)}"
            assert isinstance(case["query"], str) and case["query"].strip(), case
            assert set(case) & set(OUTPUTS), f"nothing to check: {case}"
            for dialect in ("neo4j", "ladybug"):
                value = case.get(dialect, "")
                lines = value if isinstance(value, list) else [value]
                assert all(isinstance(line, str) for line in lines), case
            if "neuronjson" in case:
                assert sorted(case["neuronjson"]) == ["exact", "query"], case
                assert isinstance(case["neuronjson"]["exact"], bool), case
            if "text" in case:  # a query that prints as itself belongs in identity.txt
                assert case["text"] != case["query"], case


def test_case_ids_and_identity_lines_are_unique() -> None:
    ids = Counter(case.id for case in compile_cases())
    assert [i for i, n in ids.items() if n > 1] == []
    lines = Counter(identity())
    assert [q for q, n in lines.items() if n > 1] == []
    assert all(line == line.strip() for line in identity())


def test_the_files_hold_every_case() -> None:
    """The counts when the tables moved out of the test modules (issue 16): 24 identity lines;
    27 canonical texts, 20 statements with neo4j and ladybug Cypher, 23 neuronjson plans.
    Cases may be added, never lost."""
    per_output = Counter(k for case in compile_cases() for k in case.outputs)
    assert len(identity()) >= 24
    assert per_output["text"] >= 27
    assert per_output["neo4j"] >= 20 and per_output["ladybug"] >= 20
    assert per_output["neuronjson"] >= 23


def test_worker_tallies_add_up_on_the_controller() -> None:
    """Two workers' tallies, sent as JSON-able data and merged, report what one tally counting
    every case would."""
    one, first, second = DifferentialTally(), DifferentialTally(), DifferentialTally()
    for worker in (first, second):
        for tally in (worker, one):
            tally.refused("embedded", "UnknownROI")
            tally.refused("neuronjson", "QueryTypeError")
            tally.case(False)
            tally.case(True)
            tally.seconds += 1.5
            tally.disagree("x = 1", ["embedded said 2"], [("x = <int>", "x = 1")])
    merged = DifferentialTally()
    for worker in (first, second):
        merged.merge(json.loads(json.dumps(worker.to_data())))
    assert merged.report() == one.report()
    assert (merged.cases, merged.disagreeing, merged.seconds) == (4, 2, 3.0)
    assert merged.refusals == Counter(
        {("embedded", "UnknownROI"): 2, ("neuronjson", "QueryTypeError"): 2}
    )
    assert merged.shapes == Counter({"x = <int>": 2})
    assert merged.disagreements == one.disagreements
