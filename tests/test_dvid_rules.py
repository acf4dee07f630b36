"""DVID ``neuronjson`` matching rules, as a table, checked against ``neuronjson.match``.

Every expected value comes from PART A of
``/work/shared/reference/dvid-and-neuprinthttp-behaviour.md`` (sections A2 value parsing, A3
matching rules and pitfalls, A4 the ``bodyid`` fast path, A11 the conformance corpus); the
comment above each case names the rule. Queries and records are the Python forms of the JSON
(``json.loads`` values). Where ``match`` disagrees with the document the case keeps the
document's answer and is a strict xfail, so a fix shows up as an XPASS.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet

from neuprint_dsl.errors import CapabilityError
from neuprint_dsl.neuronjson import match


def disagrees(
    case_id: str,
    query: Any,
    record: dict[str, Any],
    expected: bool,
    reason: str,
    *,
    raises: type[BaseException] | None = None,
    warns: bool = False,
) -> ParameterSet:
    """A case where ``match`` differs from the reference document (strict xfail)."""
    marks = [pytest.mark.xfail(strict=True, reason=reason, raises=raises)]
    if warns:  # Python's re warns on a POSIX class ("possible nested set")
        marks.append(pytest.mark.filterwarnings("ignore::FutureWarning"))
    return pytest.param(case_id, query, record, expected, marks=marks, id=case_id)


Case = tuple[str, Any, dict[str, Any], bool] | ParameterSet

CASES: list[Case] = [
    # ---- integers -------------------------------------------------------------------------
    # A3 integer row: a stored int equal to it
    ("int-equal", {"a number": 1234}, {"a number": 1234}, True),
    # A3 integer row: equality only
    ("int-different", {"a number": 1234}, {"a number": 1235}, False),
    # A2: a negative integer parses as int64; A3 integer row: equality
    ("int-negative-equal", {"f": -5}, {"f": -5}, True),
    # A3: int matches a stored int list containing it
    ("int-in-stored-int-list", {"f": 2}, {"f": [1, 2, 3]}, True),
    # A3: int against a stored int list that does not contain it
    ("int-not-in-stored-int-list", {"f": 5}, {"f": [1, 2, 3]}, False),
    # A3 integer row: a stored integral float equals it (stored 2.0 matches 2)
    ("int-vs-stored-integral-float", {"f": 2}, {"f": 2.0}, True),
    # A3 integer row: only an *integral* stored float can equal an integer
    ("int-vs-stored-fractional-float", {"f": 2}, {"f": 2.5}, False),
    # A3 int-list row (any-of) + integer row (stored integral float)
    ("int-list-vs-stored-integral-float", {"f": [2, 3]}, {"f": 2.0}, True),
    # ---- integer lists (any-of) -----------------------------------------------------------
    # A3 int-list row / A11 conformance `"a number":[2345,3456]`
    ("conf-int-list-any-of", {"a number": [2345, 3456]}, {"a number": 3456}, True),
    # A3 int-list row / A11: no element equal
    ("conf-int-list-none", {"a number": [2345, 3456]}, {"a number": 1234}, False),
    # A3 int-list row: any query element in a stored list
    ("int-list-vs-stored-int-list", {"f": [3, 9]}, {"f": [1, 2, 3]}, True),
    # A3 int-list row: disjoint lists
    ("int-list-vs-stored-int-list-disjoint", {"f": [4, 9]}, {"f": [1, 2, 3]}, False),
    # ---- floats (never) -------------------------------------------------------------------
    # A3 never: scalar float 1.5 (no float64 case in checkField)
    ("float-1.5-vs-same", {"f": 1.5}, {"f": 1.5}, False),
    # A3 never: scalar float 1234.0, even against the integer
    ("float-1234.0-vs-int", {"f": 1234.0}, {"f": 1234}, False),
    # A3 never: scalar float 1234.0 against a stored 1234.0
    ("float-1234.0-vs-float", {"f": 1234.0}, {"f": 1234.0}, False),
    # A3 never: `[2.0]` against a stored integer (the server only logs an error)
    ("float-list-2.0-vs-int", {"f": [2.0]}, {"f": 2}, False),
    # ---- booleans (never) -----------------------------------------------------------------
    # A3 never: booleans in the query
    ("bool-query-vs-bool", {"f": True}, {"f": True}, False),
    # A3 never: `[true]`
    ("bool-list-query-vs-bool", {"f": [True]}, {"f": True}, False),
    # A3 never: a boolean query against an integer 1
    ("bool-query-vs-int", {"f": True}, {"f": 1}, False),
    # A3 never: stored booleans are rejected (even though Python's True == 1)
    ("int-vs-stored-bool", {"f": 1}, {"f": True}, False),
    # A3 never: stored booleans rejected, no string coercion
    ("string-true-vs-stored-bool", {"f": "true"}, {"f": True}, False),
    # ---- strings --------------------------------------------------------------------------
    # A3 string row: exact equality
    ("string-equal", {"type": "KC"}, {"type": "KC"}, True),
    # A3 string row: case-sensitive
    ("string-case-sensitive", {"type": "KC"}, {"type": "kc"}, False),
    # A3 string row: exact, not a substring test
    ("string-not-substring", {"f": "mo"}, {"f": "mom"}, False),
    # A3 string row / A11 conformance `{"a list":"mom"}`: membership in a stored list
    ("conf-string-in-stored-list", {"a list": "mom"}, {"a list": ["mom", "pop"]}, True),
    # A3 string row: membership is exact (no element equals "mo")
    ("string-not-in-stored-list", {"a list": "mo"}, {"a list": ["mom", "pop"]}, False),
    # A3 string-list row / A11 conformance `{"a string":["moo","goo"]}`
    ("conf-string-list-any-of", {"a string": ["moo", "goo"]}, {"a string": "goo"}, True),
    # A3 string-list row / A11: no element equal
    ("conf-string-list-none", {"a string": ["moo", "goo"]}, {"a string": "foo"}, False),
    # A3 string-list row: any-of against a stored string list
    ("string-list-vs-stored-list", {"f": ["x", "pop"]}, {"f": ["mom", "pop"]}, True),
    # A3 string-list row: disjoint lists
    ("string-list-vs-stored-list-disjoint", {"f": ["x", "y"]}, {"f": ["mom", "pop"]}, False),
    # ---- regular expressions ---------------------------------------------------------------
    # A3 `re/` row: unanchored SEARCH (the help text's "anchored" claim is wrong)
    ("re-unanchored-search", {"f": "re/om"}, {"f": "mom"}, True),
    # A3 `re/` row: anchors only when the pattern has them
    ("re-explicit-anchor", {"f": ["re/^om"]}, {"f": "mom"}, False),
    # A3 `re/` row: applies to string lists, any element
    ("re-vs-stored-string-list", {"f": "re/om"}, {"f": ["pop", "mom"]}, True),
    # A3 `re/` row: no element matches
    ("re-vs-stored-string-list-none", {"f": "re/xyz"}, {"f": ["pop", "mom"]}, False),
    # A3 `re/` row / A11 conformance `["re/.*x","re/om"]` matches `["mom","pop"]`
    ("conf-re-list", {"f": ["re/.*x", "re/om"]}, {"f": ["mom", "pop"]}, True),
    # A3 `re/` row: a regex list where no pattern matches any element
    ("re-list-none", {"f": ["re/.*x", "re/zz"]}, {"f": ["mom", "pop"]}, False),
    # A3 never: `re/` on a numeric field such as bodyid
    ("re-on-bodyid", {"bodyid": "re/2"}, {"bodyid": 2000}, False),
    # A3 never: `re/` on a numeric (int list) field
    ("re-list-on-int-list", {"f": ["re/1"]}, {"f": [1, 2]}, False),
    # A2 strlist: "re/" elements compiled, others literal; A3 string-list any-of
    ("string-and-re-list", {"f": ["moo", "re/^po"]}, {"f": "pop"}, True),
    # A3 pitfall 1: the scalar form compiles the raw JSON text `f\\w+`, so matches nothing
    ("re-scalar-escape-pitfall", {"f": "re/f\\w+"}, {"f": "foo"}, False),
    # A3 pitfall 1: the one-element list form compiles `f\w+` and matches
    ("re-list-escape-ok", {"f": ["re/f\\w+"]}, {"f": "foo"}, True),
    # A3 pitfall 1: the scalar compiles `f\\w+` = "f", a backslash, then w's
    ("re-scalar-escape-literal-backslash", {"f": "re/f\\w+"}, {"f": "f\\ww"}, True),
    # A3 pitfall 1: `\uXXXX` (json.dumps writes é as \u00e9) fails to compile, and by
    # pitfall 2 the value is then the literal string "re/café"
    ("re-scalar-unicode-escape", {"f": "re/café"}, {"f": "café"}, False),
    # A3 pitfall 2: a regex that fails to compile is the literal string (scalar form)
    ("re-bad-is-literal-scalar", {"f": "re/("}, {"f": "re/("}, True),
    # A3 pitfall 2: ... so it does not match what the pattern would suggest
    ("re-bad-not-regex-scalar", {"f": "re/("}, {"f": "("}, False),
    # A3 pitfall 2: the list form too keeps the whole "re/a(" as a literal element
    ("re-bad-is-literal-list", {"f": ["re/a("]}, {"f": "re/a("}, True),
    # A3 `re/` row: Go RE2 `$` (without (?m)) is the end of the text, not before a final \n
    ("re-dollar-end-of-text", {"f": ["re/a$"]}, {"f": "a\n"}, False),
    # A3 `re/` row (Go RE2: no look-ahead) + pitfall 2: `(?=` fails, so a literal string
    ("re2-no-lookahead", {"f": ["re/a(?=b)"]}, {"f": "ab"}, False),
    # A3 `re/` row + pitfall 2: the failed look-ahead pattern matches itself literally
    ("re2-no-lookahead-literal", {"f": ["re/a(?=b)"]}, {"f": "re/a(?=b)"}, True),
    # A3 `re/` row (Go RE2: no back-references) + pitfall 2
    ("re2-no-backreference", {"f": ["re/(a)\\1"]}, {"f": "aa"}, False),
    # A3 `re/` row: Go RE2 has `\z` but not `\Z`, so pitfall 2 makes this a literal
    ("re2-no-capital-Z", {"f": ["re/a\\Z"]}, {"f": "a"}, False),
    # A3 `re/` row: Go RE2 supports Unicode classes such as \pL
    disagrees(
        "re2-unicode-class",
        {"f": ["re/^\\pL+$"]},
        {"f": "abc"},
        True,
        "A3: Go RE2 compiles `\\pL` (a letter) and matches 'abc'; the local evaluator has no "
        "Unicode classes and says so (CapabilityError) rather than guess",
        raises=CapabilityError,
    ),
    # A3 `re/` row: Go RE2 supports POSIX classes such as [[:digit:]]
    ("re2-posix-class", {"f": ["re/^[[:digit:]]+$"]}, {"f": "123"}, True),
    # A3 `re/` row: Go RE2 supports \Q...\E quoting
    ("re2-quote", {"f": ["re/\\Qa.b\\E"]}, {"f": "a.b"}, True),
    # ---- exists/ -------------------------------------------------------------------------
    # A3 exists/0 row: field absent
    ("exists0-absent", {"f": "exists/0"}, {"g": 1}, True),
    # A3 exists/0 row: field null
    ("exists0-null", {"f": "exists/0"}, {"f": None}, True),
    # A3 exists/0 row: "" counts as present
    ("exists0-empty-string", {"f": "exists/0"}, {"f": ""}, False),
    # A3 exists/0 row: [] counts as present
    ("exists0-empty-list", {"f": "exists/0"}, {"f": []}, False),
    # A3 exists/1 row: present
    ("exists1-present", {"f": "exists/1"}, {"f": "x"}, True),
    # A3 exists/1 row: "" counts as present
    ("exists1-empty-string", {"f": "exists/1"}, {"f": ""}, True),
    # A3 exists/1 row: [] counts as present
    ("exists1-empty-list", {"f": "exists/1"}, {"f": []}, True),
    # A3 exists/1 row: 0 is present and not null
    ("exists1-zero", {"f": "exists/1"}, {"f": 0}, True),
    # A3 exists/1 row: absent
    ("exists1-absent", {"f": "exists/1"}, {"g": 1}, False),
    # A3 exists/1 row: null is not present
    ("exists1-null", {"f": "exists/1"}, {"f": None}, False),
    # A3 exists/1 row: any character other than 0 after the slash means "present"
    ("exists2-means-present", {"f": "exists/2"}, {"f": "x"}, True),
    # A3 exists/1 row: ... and so fails on an absent field
    ("exists2-absent", {"f": "exists/2"}, {"g": 1}, False),
    # A3 pitfall 5: `exists/true` is not 10 characters, so a literal string
    ("exists-true-is-literal", {"f": "exists/true"}, {"f": "x"}, False),
    # A3 pitfall 5: ... equal to the stored literal
    ("exists-true-literal-equal", {"f": "exists/true"}, {"f": "exists/true"}, True),
    # A3 pitfall 5 + missing key row: a literal never matches an absent field
    ("exists-true-absent", {"f": "exists/true"}, {"g": 1}, False),
    # A2: only a scalar of exactly 10 raw characters is an existence test; in a list
    # "exists/0" is a literal string, and A3 says a missing key never matches
    ("exists0-in-list-is-literal", {"f": ["exists/0"]}, {"g": 1}, False),
    # ---- missing keys, empty list, null, objects ------------------------------------------
    # A3 missing key row / A11 conformance `{"unused field":"foo"}` returns []
    ("conf-unused-field", {"unused field": "foo"}, {"bodyid": 2000, "a": "foo"}, False),
    # A3 missing key row: an integer query on an absent field
    ("missing-key-int", {"f": 1}, {"g": 1}, False),
    # A3 pitfall 4: an empty list matches nothing, not even a stored []
    ("empty-list-vs-empty-list", {"f": []}, {"f": []}, False),
    # A3 pitfall 4: an empty list matches nothing
    ("empty-list-vs-string", {"f": []}, {"f": "x"}, False),
    # A3 never: a null query value, against a stored null
    ("null-query-vs-null", {"f": None}, {"f": None}, False),
    # A3 never: a null query value on an absent field (only exists/0 matches absence)
    ("null-query-vs-absent", {"f": None}, {"g": 1}, False),
    # A3 never: a null query value against a value
    ("null-query-vs-string", {"f": None}, {"f": "x"}, False),
    # A3 never: objects
    ("object-query", {"f": {"a": 1}}, {"f": {"a": 1}}, False),
    # ---- no coercion ---------------------------------------------------------------------
    # A3 never: a string against a number
    ("numeric-string-vs-int", {"f": "5"}, {"f": 5}, False),
    # A3 never: a number against a numeric string
    ("int-vs-numeric-string", {"f": 5}, {"f": "5"}, False),
    # A3 never: a number list against a numeric-string list
    ("int-list-vs-numeric-string-list", {"f": [5]}, {"f": ["5"]}, False),
    # A3 never: a string list against an int list
    ("string-list-vs-int-list", {"f": ["5"]}, {"f": [5]}, False),
    # ---- stored float lists and mixed lists (never) ---------------------------------------
    # A3 never: stored float lists
    ("int-vs-stored-float-list", {"f": 2}, {"f": [2.0, 3.0]}, False),
    # A3 never: stored mixed int/float list
    ("int-vs-stored-int-float-list", {"f": 2}, {"f": [2, 2.5]}, False),
    # A3 never: stored mixed list, string query
    ("string-vs-stored-mixed-list", {"f": "mom"}, {"f": ["mom", 1]}, False),
    # A3 never: stored mixed list, int query
    ("int-vs-stored-mixed-list", {"f": 1}, {"f": [1, "x"]}, False),
    # ---- a list starting with a string ignores numbers ------------------------------------
    # A3 pitfall 3: the string elements still match
    ("string-first-list-string", {"f": ["x", 5]}, {"f": "x"}, True),
    # A3 pitfall 3: the numbers are silently ignored
    ("string-first-list-ignores-int", {"f": ["x", 5]}, {"f": 5}, False),
    # A3 pitfall 3: ignored against a stored int list as well
    ("string-first-list-ignores-int-list", {"f": ["x", 5]}, {"f": [5, 6]}, False),
    # A2: a mixed list is not a []string, so it is decoded by the generic `listVal` branch,
    # where "re/" elements are NOT compiled (only the strlist branch compiles them)
    ("mixed-list-re-is-literal", {"f": ["re/o", 5]}, {"f": "mom"}, False),
    # ---- AND across keys, OR across objects -----------------------------------------------
    # A3: every key must match (AND)
    ("and-all-match", {"type": "KC", "pre": 5}, {"type": "KC", "pre": 5}, True),
    # A3: one key failing fails the object
    ("and-one-fails", {"type": "KC", "pre": 5}, {"type": "KC", "pre": 6}, False),
    # A3: one key absent fails the object
    ("and-one-missing", {"type": "KC", "pre": 5}, {"type": "KC"}, False),
    # A3: AND with exists/0 on the absent key
    ("and-with-exists0", {"type": "KC", "status": "exists/0"}, {"type": "KC"}, True),
    # A3: OR form, the second object matches
    ("or-second-matches", [{"a": 1}, {"b": 2}], {"a": 3, "b": 2}, True),
    # A3: OR form, no object matches
    ("or-none-matches", [{"a": 1}, {"b": 2}], {"a": 2, "b": 3}, False),
    # A11 TestFieldExistenceAndVersioning: OR `[{"baz":"exists/0"},{"baz":""}]`, absent
    ("conf-or-exists0-absent", [{"baz": "exists/0"}, {"baz": ""}], {"bodyid": 1}, True),
    # A11: ... baz == ""
    ("conf-or-exists0-empty", [{"baz": "exists/0"}, {"baz": ""}], {"baz": ""}, True),
    # A11: ... baz null (exists/0 covers null)
    ("conf-or-exists0-null", [{"baz": "exists/0"}, {"baz": ""}], {"baz": None}, True),
    # A11: ... baz set to something else
    ("conf-or-exists0-other", [{"baz": "exists/0"}, {"baz": ""}], {"baz": "x"}, False),
    # A11 TestQueryBodyIDs: `{"class":"9A"}` returns the 9A records
    ("conf-class-9A", {"class": "9A"}, {"bodyid": 2000, "class": "9A"}, True),
    # A11 TestQueryBodyIDs: ... and not the others
    ("conf-class-9A-other", {"class": "9A"}, {"bodyid": 2004, "class": "9B"}, False),
    # ---- A4 the bodyid fast path ----------------------------------------------------------
    # A4: a bodyid int returns that body
    ("bodyid-scalar", {"bodyid": 2000}, {"bodyid": 2000}, True),
    # A4: a bodyid int list returns the listed bodies
    ("bodyid-list", {"bodyid": [2000, 2001]}, {"bodyid": 2001}, True),
    # A4: ... and no others
    ("bodyid-list-other", {"bodyid": [2000, 2001]}, {"bodyid": 2002}, False),
    # A4: OR of bodyid objects is still the fast path
    ("bodyid-or", [{"bodyid": 2000}, {"bodyid": 2003}], {"bodyid": 2003}, True),
    # A4: `{}` returns [], not everything
    ("fast-path-empty-object", {}, {"bodyid": 2000, "type": "KC"}, False),
    # A4: `[{}]` returns [] too
    ("fast-path-list-of-empty-object", [{}], {"bodyid": 2000, "type": "KC"}, False),
    # A4: with `{}` OR'd to bodyid objects the fast path returns only the listed IDs
    ("fast-path-or-with-empty-object", [{"bodyid": 5}, {}], {"bodyid": 7, "type": "KC"}, False),
]


def _param(case: Case) -> ParameterSet:
    return case if isinstance(case, ParameterSet) else pytest.param(*case, id=case[0])


def _values(case: Case) -> tuple[Any, ...]:
    return tuple(case.values) if isinstance(case, ParameterSet) else case


@pytest.mark.parametrize(("case_id", "query", "record", "expected"), [_param(c) for c in CASES])
def test_dvid_rule(case_id: str, query: Any, record: dict[str, Any], expected: bool) -> None:
    # the table holds JSON values only (what the server and json.loads would see)
    assert json.loads(json.dumps(query)) == query, case_id
    assert json.loads(json.dumps(record)) == record, case_id
    assert match(query, record) is expected


def test_table_size_and_outcomes() -> None:
    values = [_values(c) for c in CASES]
    assert len(values) >= 60
    ids = [v[0] for v in values]
    assert len(set(ids)) == len(ids), "case ids must be unique"
    assert {v[3] for v in values} == {True, False}
    assert all(isinstance(v[3], bool) for v in values)


@pytest.mark.parametrize(
    ("query", "record"),
    [
        # A3 pitfall 3: a mixed list starting with a number panics in DVID
        pytest.param({"f": [1234, "x"]}, {"f": 99}, id="mixed-list-int-first"),
        # A3 pitfall 3: the same inside the OR form
        pytest.param([{"f": [1234, "x"]}], {"f": "x"}, id="mixed-list-int-first-in-or"),
        # A4: a top-level empty list gives 400 `no query provided`
        pytest.param([], {"bodyid": 1}, id="top-level-empty-list"),
    ],
)
def test_dvid_error_cases(query: Any, record: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        match(query, record)
