"""The text language: parsing, canonical printing, error reporting (DESIGN section 5)."""

from __future__ import annotations

import logging
import pickle
import re
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from neuprint_dsl import E, N, connections, neurons
from neuprint_dsl.errors import InvalidPattern, InvalidValue, QuerySyntaxError, QueryTypeError
from neuprint_dsl.expr import (
    FALSE,
    INT64_MAX,
    INT64_MIN,
    TRUE,
    Compare,
    CompareOp,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Not,
    Predicate,
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    and_,
    not_,
    or_,
)
from neuprint_dsl.fields import NAMESPACES
from neuprint_dsl.patterns import check_pattern
from neuprint_dsl.query import (
    COUNT,
    Aggregate,
    Connections,
    Mitochondria,
    Neurons,
    OrderKey,
    Synapses,
    column_name,
)
from neuprint_dsl.text import KEYWORDS, parse, to_text
from neuprint_dsl.text.grammar import grammar_path as _grammar_path

from .cases import compile_cases, identity

# ---------------------------------------------------------------------------------------
# canonical text: text -> AST -> text

#: (input text, canonical text); the canonical text parses to the same AST. The data lives in
#: tests/fixtures/: identity.txt (queries that print as themselves) and the "text" column of
#: compile_cases.json (tests/cases.py reads them).
ROUND_TRIPS: list[tuple[str, str]] = [(query, query) for query in identity()] + [
    (case.query, case.outputs["text"]) for case in compile_cases() if "text" in case.outputs
]


@pytest.mark.parametrize(("source", "canonical"), ROUND_TRIPS)
def test_round_trip_table(source: str, canonical: str) -> None:
    ast = parse(source)
    assert to_text(ast) == canonical
    assert parse(canonical) == ast
    assert to_text(parse(canonical)) == canonical


FLUENT: list[tuple[str, object]] = [
    (
        'type =~ "MBON.*" and roi("MB(R)") and not cropped',
        N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped,
    ),
    (
        'bodyId in [329566174, 425790257] or (status = "Traced" and pre >= 100)',
        N.bodyId.isin([329566174, 425790257]) | ((N.status == "Traced") & (N.pre >= 100)),
    ),
    (
        'inputs("SIP(R)") >= 10 and instance startswith "KC"',
        (N.inputs("SIP(R)") >= 10) & N.instance.startswith("KC"),
    ),
    ("cropped", N.cropped),
    ("not cropped", ~N.cropped),
    ('type != "KC"', N.type != "KC"),
    ("type is not null", N.type.not_null()),
    ('type =~ "mbon.*" ignore case', N.type.matches("mbon.*", ignore_case=True)),
    ('tags contains any ["a", "b"]', N.tags.contains_any(["a", "b"])),
    ('status not in ["Orphan"]', ~N.status.isin(["Orphan"])),
    ('outputs("FB") < 5', N.outputs("FB") < 5),
    ("someProperty = 1.5", N["someProperty"] == 1.5),
    ('`class` = "x"', N.class_ == "x"),
    (
        "a = 1 and (b = 2 or c = 3) and d = 4",
        (N["a"] == 1) & ((N["b"] == 2) | (N["c"] == 3)) & (N["d"] == 4),
    ),
    ("not (a = 1 or b = 2)", ~((N["a"] == 1) | (N["b"] == 2))),
    ("true", TRUE),
    ("false", FALSE),
    (
        "neurons where type is null order by bodyId limit 20",
        neurons(N.type.is_null(), order_by="bodyId", limit=20),
    ),
    ("segments return bodyId, type", neurons(label="Segment", columns=["bodyId", "type"])),
    ("neurons order by pre desc", neurons(order_by=[("pre", "desc")])),
    (
        'connections from type = "APL" to roi("MB(R)") where weight >= 5',
        connections(N.type == "APL", N.roi("MB(R)"), where=E.weight >= 5),
    ),
    (
        'connections from type = "APL" where weight >= 5 in rois ["MB(R)"] per roi',
        connections(N.type == "APL", where=E.weight >= 5, rois=["MB(R)"], per_roi=True),
    ),
    (
        'connections of segments where roi_weight("FB") > 2',
        connections(where=E.roi_weight("FB") > 2, label="Segment"),
    ),
]


@pytest.mark.parametrize(("source", "fluent"), FLUENT)
def test_parse_equals_fluent(source: str, fluent: object) -> None:
    expected = fluent if isinstance(fluent, (Neurons, Connections)) else and_(fluent)  # type: ignore[arg-type]
    assert parse(source) == expected
    assert parse(to_text(expected)) == expected


def test_edge_context() -> None:
    assert parse("weight >= 5", context="edge") == (E.weight >= 5)
    assert parse('roi_weight("MB(R)") > 0', context="edge") == (E.roi_weight("MB(R)") > 0)
    assert parse("weight >= 5") == (N["weight"] >= 5)
    assert parse("connections where x = 1").where == (E["x"] == 1)  # type: ignore[union-attr]


def test_printer_matches_field_docs() -> None:
    assert str(N.type.matches("mbon.*", ignore_case=True)) == 'type =~ "mbon.*" ignore case'
    assert str(N.tags.contains_any(["a", "b"])) == 'tags contains any ["a", "b"]'
    assert str(neurons(N.type.is_null(), order_by="bodyId", limit=20)) == (
        "neurons where type is null order by bodyId limit 20"
    )
    assert str(connections(N.type == "APL", where=E.weight >= 5, rois=["MB(R)"], per_roi=True)) == (
        'connections from type = "APL" where weight >= 5 in rois ["MB(R)"] per roi'
    )
    assert to_text(N.cropped) == "cropped"
    assert to_text(N.cropped == False) == "cropped = false"  # noqa: E712


def test_keywords_are_backticked_in_any_case() -> None:
    for word in KEYWORDS:
        for name in (word, word.upper(), word.title()):
            pred = N[name] == 1
            assert to_text(pred) == f"`{name}` = 1"
            assert parse(to_text(pred)) == pred
    assert to_text(N["roi"] == 1) == "roi = 1"  # not a keyword


def test_keywords_are_never_bare_field_names() -> None:
    assert parse("neurons where `from` = 1") == neurons(N["from"] == 1)
    for text in ("neurons where from = 1", "x = 1 and limit = 2"):
        with pytest.raises(QuerySyntaxError, match="unexpected keyword"):
            parse(text)


def test_in_rois_after_bare_field() -> None:
    stmt = parse("connections from cropped in [true] to x in [1]")
    assert isinstance(stmt, Connections)
    assert stmt.upstream == N.cropped.isin([True]) and stmt.rois is None
    stmt = parse('connections from cropped in rois ["A"]')
    assert isinstance(stmt, Connections)
    assert stmt.upstream == as_pred(N.cropped) and stmt.rois == ("A",)


def as_pred(obj: object) -> Predicate:
    return and_(obj)  # type: ignore[arg-type]


def test_to_text_rejects_non_asts() -> None:
    with pytest.raises(TypeError):
        to_text("type = 1")
    with pytest.raises(TypeError):
        to_text(3)


def test_nodes_without_meaning_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="roi_weight"):
        InRoi(Entity.EDGE, "X")
    with pytest.raises(ValueError, match="neurons and connections"):
        RoiCount(Entity.SYNAPSE, "X", "post")
    with pytest.raises(ValueError, match="must be 'post'"):
        Compare(RoiCount(Entity.EDGE, "X", "pre"), CompareOp.GT, 1)


def test_parse_input_checks() -> None:
    with pytest.raises(TypeError):
        parse(b"type = 1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="context"):
        parse("type = 1", context="segment")  # type: ignore[arg-type]


def test_deep_nesting() -> None:
    assert parse("not " * 5001 + "cropped") == ~N.cropped
    assert parse("(" * 3000 + "cropped" + ")" * 3000) == as_pred(N.cropped)
    with pytest.raises(QuerySyntaxError):
        parse("(a and " * 3000 + "b" + " or c)" * 3000)


def test_grammar_has_no_conflicts() -> None:
    from lark import Lark, logger

    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        # a deliberately ambiguous grammar: the dangling 'else'
        Lark(
            'start: s\ns: "if" s | "if" s "else" s | "x"\n%ignore " "\n',
            parser="lalr",
            debug=True,
        )
        ours = len(messages)
        messages.clear()
        Lark(_grammar_path().read_text(), parser="lalr", lexer="contextual", debug=True)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert ours > 0  # the check sees conflicts ...
    assert not [m for m in messages if "conflict" in m.lower()]  # ... and ours has none


# ---------------------------------------------------------------------------------------
# errors

BAD: list[tuple[str, int, int, str]] = [
    # (text, line, column, a fragment of the reason)
    ("type = ", 1, 8, "end of input"),
    ("type = = 3", 1, 8, "unexpected '='"),
    ("", 1, 1, "empty query"),
    ("   \n  ", 2, 3, "empty query"),
    ('type == "a', 1, 9, "unterminated string"),
    ("type = 'a\nb'", 1, 8, "unterminated string"),
    ('type = "a\\qb"', 1, 10, "unknown escape \\q"),
    ('type = "\\u12"', 1, 9, "4 hex digits"),
    ('type = "ab\\U00110000"', 1, 11, "beyond U+10FFFF"),
    ('pre > "x"', 1, 1, "pre is an int field: > needs a number"),
    ("pre >= true", 1, 1, "pre is an int field: >= needs a number"),
    ('x > "a"', 1, 1, "> compares numbers only"),
    ('bodyId in [1, "a"]', 1, 1, "isin needs a number, not str 'a'"),
    ("tags contains any [true, 1]", 1, 1, "must be homogeneous"),
    ("bodyId = 9223372036854775808", 1, 10, "64-bit"),
    ("bodyId = -9223372036854775809", 1, 10, "64-bit"),
    ("bodyId = 123456789012345678901234567890", 1, 10, "64-bit"),
    ("x = 1e400", 1, 5, "float range"),
    ('type =~ "(?<=a)b"', 1, 9, "invalid pattern"),
    ('type =~ "("', 1, 9, "invalid pattern"),
    ('rio("MB(R)")', 1, 1, "did you mean 'roi'"),
    ('ROI("MB(R)")', 1, 1, "did you mean 'roi'"),
    ('roi_weight("X") > 3', 1, 1, "function of connections"),
    ('connections where roi("X")', 1, 19, "function of neurons"),
    ('connections where weigth("X") > 1', 1, 19, "unknown function 'weigth'"),
    ('inputs("X")', 1, 1, "synapse count"),
    ('roi("X") = 3', 1, 1, "condition, not a value"),
    ('inputs("X") =~ "a"', 1, 1, "has no operator '=~'"),
    ('outputs("X") is null', 1, 1, "ROI counts are never null"),
    ('roi("")', 1, 5, "ROI name must not be empty"),
    ('type = "x" and', 1, 15, "end of input"),
    ('(type = "x"', 1, 12, "end of input"),
    ('type = "x")', 1, 11, "unexpected ')'"),
    ("type @ 3", 1, 6, "unexpected character '@'"),
    ("neurons limit -1", 1, 15, "non-negative"),
    ("neurons limit 2.5", 1, 15, "non-negative"),
    ("neurons return a, `a`", 1, 19, "listed twice"),
    ("neurons return", 1, 15, "unexpected end of input"),
    ('type = "KC" and and pre > 3', 1, 17, "unexpected keyword 'and'"),
    ("neurons where order = 1", 1, 15, "unexpected keyword 'order'"),
    ("neurons where x = 1 where y = 2", 1, 21, "unexpected 'where'"),
    ("connections in rois []", 1, 21, "at least one ROI"),
    ('connections in rois ["A", 3]', 1, 27, "ROI name is a string"),
    ('connections in rois ["A", "A"]', 1, 27, "listed twice"),
    ('connections in rois [""]', 1, 22, "must not be empty"),
    ('type = "x"\nand pre >\n  "y"', 2, 5, "needs a number"),
    ('type = "x"\n\nand\n', 3, 4, "end of input"),
    ("`abc = 1", 1, 1, "unterminated quoted name"),
    ("`` = 1", 1, 1, "empty quoted name"),
    ("NOT", 1, 4, "end of input"),
    ("type is nul", 1, 9, "unexpected name 'nul'"),
    ('x contains any "a"', 1, 16, "unexpected string"),
    ('type =~ "a" ignore', 1, 19, "end of input"),
    ("inputs(MB) > 3", 1, 8, "unexpected name 'MB'"),
    ("1 = x", 1, 1, "unexpected number 1"),
    ("neurons order bodyId", 1, 15, "unexpected name 'bodyId'"),
    ('type = "x" extra', 1, 12, "unexpected name 'extra'"),
    ("x in [1, 2", 1, 11, "end of input"),
    ("x in [1,]", 1, 9, "unexpected ']'"),
    ("neurons = 3", 1, 9, "unexpected '='"),
    ("connections from to x", 1, 18, "unexpected keyword 'to'"),
    ("connections per rois", 1, 17, "unexpected keyword 'rois'"),
    ("\ttype = 1.", 1, 10, "unexpected character '.'"),
    ('type = "é" and pre > é', 1, 22, "unexpected character 'é'"),
]


def _caret_line(err: QuerySyntaxError) -> str:
    return str(err).splitlines()[-1]


@pytest.mark.parametrize(("source", "line", "column", "reason"), BAD)
def test_bad_input(source: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(source)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.line, err.column) == (line, column), str(err)
    assert reason in err.reason, err.reason
    assert err.reason.strip()
    assert err.text == source
    assert _caret_line(err).strip() == "^"
    if "\t" not in source and line <= len(source.splitlines()):
        assert _caret_line(err) == "  " + " " * (column - 1) + "^"
    assert err.__suppress_context__ or err.__context__ is None
    _check_expected(err)


EXPECTED_NAME = re.compile(r"'[^']+'|an? [a-z ]+|end of input|a closing [\"'`]")


def _check_expected(err: QuerySyntaxError) -> None:
    assert list(err.expected) == sorted(set(err.expected))
    for name in err.expected:
        assert EXPECTED_NAME.fullmatch(name), name


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("type = ", {"a string", "a number", "'true'", "'false'"}),
        ('(type = "x"', {"')'", "'and'", "'or'"}),
        ("type is", {"'null'", "'not'"}),
        ("neurons order", {"'by'"}),
        ('type = "x" y', {"'and'", "'or'", "end of input"}),
    ],
)
def test_expected_names(source: str, expected: set[str]) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(source)
    assert expected <= set(info.value.expected), info.value.expected


def test_invalid_pattern_is_both_errors() -> None:
    with pytest.raises(InvalidPattern) as info:
        parse('x = 1 and type =~ "a(?=b)"')
    assert isinstance(info.value, QuerySyntaxError)
    assert (info.value.line, info.value.column) == (1, 19)


def test_error_message_is_human() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("type = = 3")
    assert str(info.value) == (
        "unexpected '=' at line 1, column 8; expected 'false', 'true', a number or a string\n"
        "  type = = 3\n"
        "         ^"
    )


# ---------------------------------------------------------------------------------------
# properties

_ODD_CHARS = st.sampled_from(
    [
        "`",
        "``",
        '"',
        "'",
        "\\",
        "\n",
        "\r",
        "\t",
        "\x00",
        "\x7f",
        "\u2028",
        "\U0001f600",
        "é",
        " ",
        ":",
        "(",
        ")",
        "\ufffe",
        "\U000e0001",
    ]
)
_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    st.lists(_ODD_CHARS | st.text(max_size=3), max_size=4).map("".join),
)
_IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
_KEYWORD = st.sampled_from(sorted(KEYWORDS)).flatmap(
    lambda w: st.sampled_from([w, w.upper(), w.title()])
)
_NAMES = st.one_of(
    _IDENT, _KEYWORD, _TEXT.filter(bool), st.sampled_from(["roi", "inputs", "roi_weight"])
)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [1e100, -0.0, 0.0, 5e-324, 1.0, 0.1, 1e16, -1.5e-7, 1.7976931348623157e308]
)
_INTS = st.integers(INT64_MIN, INT64_MAX) | st.sampled_from([INT64_MIN, INT64_MAX, 0, -1])
_NUMBERS = _INTS | _FLOATS
_VALUES = st.one_of(_TEXT, _NUMBERS, st.booleans())
_LISTS = st.one_of(
    st.lists(_TEXT, max_size=3), st.lists(_NUMBERS, max_size=3), st.lists(st.booleans(), max_size=3)
)


def _valid_pattern(pattern: str) -> bool:
    try:
        check_pattern(pattern)
    except (InvalidPattern, ValueError, TypeError):
        return False
    return True


_PATTERNS = st.sampled_from(
    ["MBON.*", "", "a|b", "KC(ab|g)-.*", 'x"y', r"\d+", "a\\\\b", "[a-z]+", "é+"]
) | (_TEXT.filter(_valid_pattern))


_DECLARED = {entity: set(type(NAMESPACES[entity]).declared()) for entity in Entity}


def _typed_leaves(entity: Entity) -> st.SearchStrategy[Predicate]:
    """Leaves on declared fields, built through the typed fields (raw nodes may be ill-typed,
    which the text refuses: tests/test_text_edges.py)."""
    if entity is Entity.EDGE:
        return st.builds(lambda v: E.weight >= v, _INTS)
    return st.one_of(
        st.builds(lambda v: N.type == v, _TEXT),
        st.builds(lambda v: N.pre > v, _NUMBERS),
        st.builds(lambda vs: N.status.isin(vs), st.lists(_TEXT, max_size=3)),
        st.builds(lambda v: N.instance.startswith(v), _TEXT),
        st.builds(lambda p: N.type.matches(p), _PATTERNS),
        st.builds(lambda vs: N.tags.contains_any(vs), _LISTS),
        st.builds(lambda v: N.cropped == v, st.booleans()),
        st.just(N.somaLocation.is_null()),
        st.builds(lambda v: N.inputs("MB(R)") <= v, _NUMBERS),
    )


def _leaves(entity: Entity) -> st.SearchStrategy[Predicate]:
    props = _NAMES.filter(lambda name: name not in _DECLARED[entity]).map(
        lambda name: Prop(entity, name)
    )
    sides = ["post", "pre"] if entity is Entity.NEURON else ["post"]
    counts = st.builds(RoiCount, st.just(entity), _TEXT.filter(bool), st.sampled_from(sides))
    operands = props | counts
    leaves = [
        st.builds(Compare, props, st.just(CompareOp.EQ), _VALUES),
        st.builds(Compare, operands, st.sampled_from(list(CompareOp)), _NUMBERS),
        st.builds(IsIn, props, _LISTS),
        st.builds(IsIn, counts, st.lists(_NUMBERS, max_size=3)),  # counts are numbers
        st.builds(Matches, props, _PATTERNS, st.booleans()),
        st.builds(StringTest, props, st.sampled_from(list(StringOp)), _TEXT),
        st.builds(IsNull, props),
        st.builds(ContainsAny, props, _LISTS),
        props.map(lambda p: Compare(p, CompareOp.EQ, True)),
        _typed_leaves(entity),
    ]
    if entity is Entity.NEURON:
        leaves.append(st.builds(InRoi, st.just(entity), _TEXT.filter(bool)))
    return st.one_of(leaves)


def _predicates(entity: Entity) -> st.SearchStrategy[Predicate]:
    return st.recursive(
        _leaves(entity) | st.sampled_from([TRUE, FALSE]),
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=4).map(lambda ps: and_(*ps)),
            st.lists(inner, min_size=2, max_size=4).map(lambda ps: or_(*ps)),
            inner.map(not_),
        ),
        max_leaves=10,
    )


_COLUMN_NAMES = st.lists(_NAMES, min_size=1, max_size=4, unique=True)


_ROI_COUNTS = st.builds(
    RoiCount, st.just(Entity.NEURON), _TEXT.filter(bool), st.sampled_from(["pre", "post"])
)
_LIMITS = st.none() | st.integers(0, 2**63 - 1)


def _or_none(make: Any, *args: Any) -> Any:
    """``make(*args)``, or None when the combination is refused (filtered out)."""
    try:
        return make(*args)
    except (InvalidValue, QueryTypeError):
        return None


def _ordered(statement: Any) -> st.SearchStrategy[Any]:
    """``statement`` with order by keys drawn from its result columns, and a limit."""
    keys = st.lists(
        st.builds(OrderKey, st.sampled_from(statement.result_columns()), st.booleans()),
        max_size=3,
    )
    return st.tuples(keys, _LIMITS).map(
        lambda kl: attrs.evolve(statement, order_by=kl[0], limit=kl[1])
    )


def _aggregates() -> st.SearchStrategy[Aggregate | None]:
    return st.one_of(
        st.just(COUNT),
        st.builds(
            lambda f, x: _or_none(Aggregate, f, x),
            st.sampled_from(["sum", "mean", "min", "max"]),
            _NAMES | _ROI_COUNTS,
        ),
    )


def _statements() -> st.SearchStrategy[Any]:
    labels = st.sampled_from(["Neuron", "Segment"])
    neuron_preds = _predicates(Entity.NEURON)
    grouped = st.builds(
        lambda *a: _or_none(Neurons, *a),
        neuron_preds,
        labels,
        st.none(),
        st.just(()),
        st.none(),
        st.lists(_NAMES, min_size=1, max_size=3, unique=True),
        st.lists(_aggregates().filter(lambda a: a is not None), max_size=3),
    )
    grouped_connections = st.builds(
        lambda *a: _or_none(Connections, *a),
        neuron_preds,
        neuron_preds,
        _predicates(Entity.EDGE),
        st.none() | st.lists(_TEXT.filter(bool), min_size=1, max_size=3, unique=True),
        st.booleans(),
        labels,
        labels,
        st.just(()),
        st.none(),
        st.lists(_NAMES, max_size=2, unique=True),
    )
    return st.one_of(
        st.builds(
            Neurons,
            neuron_preds,
            labels,
            st.none()
            | st.lists(_NAMES | _ROI_COUNTS, min_size=1, max_size=4, unique_by=column_name),
            st.lists(st.builds(OrderKey, _NAMES | _ROI_COUNTS, st.booleans()), max_size=3),
            _LIMITS,
        ),
        grouped.filter(lambda s: s is not None).flatmap(_ordered),
        grouped_connections.filter(lambda s: s is not None).flatmap(_ordered),
        st.builds(
            Synapses, neuron_preds, st.just(TRUE), st.booleans(), labels, st.booleans()
        ).flatmap(_ordered),
        st.builds(Mitochondria, neuron_preds, st.just(TRUE), st.booleans(), labels).flatmap(
            _ordered
        ),
    )


def _asts() -> st.SearchStrategy[tuple[Predicate | Neurons | Connections, str]]:
    """Any AST with the parse context it round-trips in."""
    return st.one_of(
        _predicates(Entity.NEURON).map(lambda p: (p, "neuron")),
        _predicates(Entity.EDGE).map(lambda p: (p, "edge")),
        _statements().map(lambda s: (s, "neuron")),
    )


@given(_asts())
def test_round_trip_property(case: tuple[Predicate | Neurons | Connections, str]) -> None:
    ast, context = case
    text = to_text(ast)
    assert parse(text, context=context) == ast  # type: ignore[arg-type]


@given(_asts())
def test_printing_is_deterministic(case: tuple[Predicate | Neurons | Connections, str]) -> None:
    ast, context = case
    text = to_text(ast)
    assert to_text(pickle.loads(pickle.dumps(ast))) == text
    assert to_text(parse(text, context=context)) == text  # type: ignore[arg-type]
    assert text == text.strip()


@given(_asts(), st.data())
def test_damaged_text_fails_cleanly(
    case: tuple[Predicate | Neurons | Connections, str], data: st.DataObject
) -> None:
    text = to_text(case[0])
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    insert = data.draw(
        st.sampled_from(["", "(", ")", '"', "`", "and", " not ", "[", ",", "\\", "\n", "=~"])
    )
    damaged = text[:start] + insert + text[end:]
    assume(damaged != text)
    try:
        parse(damaged, context=case[1])  # type: ignore[arg-type]
    except QuerySyntaxError as err:
        assert err.reason
        assert 1 <= err.line <= damaged.count("\n") + 1
        assert err.column >= 1
        _check_expected(err)


@given(st.text(st.characters(exclude_categories=()), max_size=30))
def test_any_text_parses_or_raises_query_syntax_error(text: str) -> None:
    try:
        result = parse(text)
    except QuerySyntaxError as err:
        assert err.reason
        _check_expected(err)
    else:
        assert isinstance(result, (Predicate, Neurons, Connections))


def test_lone_surrogates_are_refused() -> None:
    # issue 10: a string no backend stores the same way (DVID reads U+FFFD, neo4j a pair)
    from neuprint_dsl.errors import InvalidValue

    with pytest.raises(InvalidValue, match="lone surrogate"):
        N["x"] == "\ud83d\ude00"  # noqa: B015
    with pytest.raises(ValueError, match="surrogate"):
        parse('x = "\\ud800"')
    assert parse('x = "\\U0001F600"') == (N["x"] == "\U0001f600")


def test_not_forms() -> None:
    assert to_text(Not(IsIn(Prop(Entity.NEURON, "x"), ()))) == "x not in []"
    assert to_text(~N.roi("MB(R)")) == 'not roi("MB(R)")'
    assert to_text(~(N.pre > 3)) == "not pre > 3"
    assert to_text(~N.tags.contains_any([1])) == "not tags contains any [1]"
    assert (
        to_text(~((N.pre > 3) & ((N.post > 1) | N.cropped)))
        == "not (pre > 3 and (post > 1 or cropped))"
    )
