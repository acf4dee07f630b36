"""Edges of the text language (issue 10): nesting depth, carets on odd line breaks and
control characters, and typing of comparisons in query text.

- Whatever ``parse`` accepts, every other function handles: the deepest predicate allowed
  (``MAX_NESTING`` levels of and / or / not) goes through printing, hashing, pickling, every
  compiler, normalization, evaluation and the command line with stack to spare; one level
  deeper is refused, by ``parse`` with a caret and by the Python builders with a typed error.
- Lines are separated by ``\\n`` only, everywhere: the caret of a syntax error points at the
  reported (line, column) whatever control characters the text holds.
- A comparison in text is refused exactly when the same comparison in Python is.
"""

from __future__ import annotations

import copy
import json
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuprint_dsl import E, M, N, S, evaluate, neurons, to_cypher
from neuprint_dsl.cli import cli
from neuprint_dsl.errors import (
    NestingTooDeep,
    NeuprintDSLError,
    QuerySyntaxError,
    QueryTypeError,
    TypeErrorInQuery,
    caret_excerpt,
    char_width,
    excerpt_line,
    visible_char,
)
from neuprint_dsl.expr import (
    MAX_NESTING,
    And,
    Not,
    Or,
    Predicate,
    and_,
    as_predicate,
    nesting_depth,
    not_,
    or_,
)
from neuprint_dsl.fields import Field, Namespace
from neuprint_dsl.neuronjson import to_neuronjson
from neuprint_dsl.normalize import simplify, to_dnf, to_nnf
from neuprint_dsl.text import parse, to_text

# ---------------------------------------------------------------------------------------
# nesting

#: Frames any function may use on the deepest predicate allowed: half of Python's default
#: recursion limit, so it also works from inside pytest, IPython or a deep call stack.
FRAME_BUDGET = 500


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def within_budget(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with only FRAME_BUDGET frames of recursion left."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + FRAME_BUDGET)
    try:
        return fn()
    finally:
        sys.setrecursionlimit(old)


def _alternating_not_or(levels: int) -> str:
    """``not (pre > n or not (... or pre != 0))``: ``levels`` not/or pairs, plus the leaf's
    own negation: AST depth ``2 * levels + 1``."""
    text = "pre != 0"
    for i in range(levels):
        text = f"not (pre > {i + 1} or {text})"
    return text


def _alternating_and_or(depth: int) -> str:
    """``a and (b or (c and ...))`` with AST depth ``depth``."""
    text = "post = 7"
    for i in range(depth):
        text = f"pre > {i} {'and' if i % 2 else 'or'} ({text})"
    return text


def _deepest() -> Iterator[tuple[str, Predicate]]:
    """Predicates exactly at the limit, as text and as the AST it parses to."""
    shapes = {
        "not/or": 'type = "KC" or ' + _alternating_not_or((MAX_NESTING - 2) // 2),
        "and/or": _alternating_and_or(MAX_NESTING),
        "not/and": "cropped and "
        + _alternating_not_or((MAX_NESTING - 2) // 2).replace("or", "and"),
    }
    for name, text in shapes.items():
        pred = parse(text)
        assert isinstance(pred, Predicate)
        assert nesting_depth(pred) == MAX_NESTING, name
        yield text, pred


DEEPEST = list(_deepest())


def _build_fresh(pred: Predicate) -> Predicate:
    """An equal tree built again node by node (so no hash is cached yet)."""
    if isinstance(pred, Not):
        return Not(_build_fresh(pred.item))
    if isinstance(pred, (And, Or)):
        return type(pred)(tuple(_build_fresh(item) for item in pred.items))
    return pred


RECORDS: list[dict[str, Any]] = [
    {"pre": 3, "post": 7, "type": "KC", "cropped": True},
    {"pre": 0},
    {},
]

FUNCTIONS: dict[str, Callable[[Predicate], object]] = {
    "to_text": to_text,
    "str": str,
    "repr": repr,
    "hash": lambda p: hash(_build_fresh(p)),
    "eq": lambda p: p == _build_fresh(p),
    "pickle": lambda p: pickle.loads(pickle.dumps(p)) == p,
    "deepcopy": copy.deepcopy,
    "neo4j": lambda p: to_cypher(neurons(p), "neo4j").inline(),
    "ladybug": lambda p: to_cypher(neurons(p), "ladybug").text,
    "neuronjson": lambda p: to_neuronjson(p).explain(),
    "to_nnf": to_nnf,
    "to_dnf": to_dnf,
    "simplify": simplify,
    "evaluate": lambda p: [evaluate(p, r) for r in RECORDS],
    "parse": lambda p: parse(to_text(p)) == p,
    "not_": lambda p: not_(p.item) if isinstance(p, Not) else p,
    "and_": lambda p: and_(p, N.pre > 1) if isinstance(p, And) else or_(p, N.pre > 1),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_handles_the_deepest_predicate(name: str) -> None:
    for _, pred in DEEPEST:
        result = within_budget(lambda: FUNCTIONS[name](pred))  # noqa: B023
        assert result is not False


_SIDE_LEAVES = st.sampled_from(
    [
        N.pre > 1,
        N.type == "KC",
        as_predicate(N.cropped),
        ~N.status.isin(["a"]),
        N.roi("FB"),
        N.post != 7,
    ]
)


@st.composite
def _deepest_trees(draw: st.DrawFn) -> Predicate:
    """A random tree exactly MAX_NESTING deep: a spine of connectives (no two alike in a
    row, so nothing flattens) with random leaves beside it."""
    # a negated leaf: as deep as any side leaf, so each connective adds exactly one level
    pred: Predicate = draw(st.sampled_from([N.somaRadius != 1.5, ~N.type.isin(["x"])]))
    levels = MAX_NESTING - nesting_depth(pred)
    previous = "not"
    for _ in range(levels):
        kind = draw(st.sampled_from([k for k in ("and", "or", "not") if k != previous]))
        if kind == "not":
            pred = Not(pred)
        else:
            side = draw(st.lists(_SIDE_LEAVES, min_size=1, max_size=2))
            items = [*side, pred] if draw(st.booleans()) else [pred, *side]
            pred = (And if kind == "and" else Or)(tuple(items))
        previous = kind
    assert nesting_depth(pred) == MAX_NESTING
    return pred


@settings(max_examples=min(settings().max_examples, 25))  # each example is a big tree
@given(_deepest_trees())
def test_random_trees_at_the_limit_go_everywhere(pred: Predicate) -> None:
    for name in ("to_text", "hash", "pickle", "neo4j", "ladybug", "neuronjson", "parse"):
        assert within_budget(lambda: FUNCTIONS[name](pred)) is not False  # noqa: B023
    text = to_text(pred)
    assert within_budget(lambda: parse(text)) == pred
    with pytest.raises(NestingTooDeep):
        not_(pred) if not isinstance(pred, Not) else and_(pred, N.pre > 0)
    with pytest.raises(QuerySyntaxError, match="levels deep"):
        parse(f"not ({text})" if not isinstance(pred, Not) else f"x = 1 and ({text})")


def test_the_deepest_predicates_mean_what_they_say() -> None:
    for _, pred in DEEPEST:
        for record in RECORDS:
            expected = evaluate(pred, record)
            assert evaluate(to_nnf(pred), record) == expected
            assert evaluate(simplify(pred), record) == expected
            assert evaluate(parse(to_text(pred)), record) == expected  # type: ignore[arg-type]


def test_the_command_line_handles_the_deepest_predicate(tmp_path: Path) -> None:
    annotations = tmp_path / "all.json"
    annotations.write_text(json.dumps([{"bodyid": 1, "pre": 3}, {"bodyid": 2, "pre": 0}]))
    runner = CliRunner()
    for text, pred in DEEPEST:
        commands = [
            ["format", text],
            ["compile", text],
            ["compile", text, "--inline"],
            ["compile", text, "--to", "ladybug"],
            ["compile", text, "--to", "neuronjson"],
            ["query", text, "--neuronjson", str(annotations), "--format", "json"],
        ]
        for args in commands:
            result = within_budget(lambda: runner.invoke(cli, args))  # noqa: B023
            assert result.exit_code == 0, (args[0], result.output, result.exception)
        assert runner.invoke(cli, ["format", text]).output == to_text(pred) + "\n"


def test_the_command_line_refuses_deeper_or_ill_typed_text_in_one_message() -> None:
    runner = CliRunner()
    too_deep = _alternating_not_or(MAX_NESTING // 2)
    for args, reason in [
        (["format", too_deep], "levels deep"),
        (["compile", too_deep, "--to", "neuronjson"], "levels deep"),
        (["compile", too_deep, "--inline"], "levels deep"),
        (["format", "type > 3"], "type is a string field"),
        (["compile", 'pre = "x"', "--to", "neuronjson"], "pre is an int field"),
    ]:
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output and "Traceback" not in result.output
        assert result.output.rstrip().endswith("^")


def test_the_embedded_engine_runs_the_deepest_predicate() -> None:
    from tests.test_engine import _database

    bodies: list[dict[str, Any]] = [
        {"bodyId": i, "pre": i % 5, "post": 7 * (i % 2), "type": "KC"} for i in range(1, 9)
    ]
    with tempfile.TemporaryDirectory() as tmp, _database(bodies, [], tmp) as db:
        for _, pred in DEEPEST:
            got = db.run(neurons(pred, columns=["bodyId"]))["bodyId"].tolist()
            assert got == sorted(b["bodyId"] for b in bodies if evaluate(pred, b))


def test_parse_refuses_one_level_more_with_a_caret() -> None:
    levels = MAX_NESTING // 2  # not/or pairs: depth 2 * levels + 1 = MAX_NESTING + 1
    text = _alternating_not_or(levels)
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    err = info.value
    assert f"more than {MAX_NESTING} levels" in err.reason
    # the limit is passed at the innermost leaf `pre != 0`, which is a negation
    assert (err.line, err.column) == (1, text.index("pre != 0") + 1)
    assert str(err).endswith(excerpt_line(text, text.index("pre != 0")))
    # ... and at the innermost `not` when that is the 65th level
    inner = _alternating_not_or(levels).replace("pre != 0", "pre = 0")
    text = f"pre = 1 or (pre = 2 and {inner})"
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    position = text.index("not (pre > 1 ")
    assert (info.value.line, info.value.column) == (1, position + 1), str(info.value)


def test_parse_refuses_deep_text_over_several_lines() -> None:
    lines = MAX_NESTING // 2 + 1  # an `or` and a `not` on each line: level 65 is an `or`
    text = "\n".join(["(pre > 1 or not"] * lines) + " cropped" + ")" * lines
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (lines, 2)
    assert str(info.value).splitlines()[-2:] == ["  (pre > 1 or not cropped" + ")" * lines, "   ^"]
    # a \r\n line end counts as one line break; \r alone and \f are spaces in a line
    for crlf in ("\r\n", "\n\r", "\n\f"):
        with pytest.raises(QuerySyntaxError) as info:
            parse(text.replace("\n", crlf))
        assert info.value.line == lines


@pytest.mark.parametrize(
    "text",
    [
        "a and (" * 5000 + "b" + ")" * 5000,  # one level: and_ flattens
        "(" * 5000 + "b = 1" + ")" * 5000,  # parentheses alone are no level
        "not " * 5001 + "cropped",  # `not not` cancels
        "(a or (b or " * 2000 + "c" + "))" * 2000,
    ],
)
def test_what_does_not_nest_is_not_limited(text: str) -> None:
    pred = parse(text)
    assert isinstance(pred, Predicate)
    assert nesting_depth(pred) <= 1
    assert within_budget(lambda: parse(to_text(pred))) == pred


def test_deep_text_with_many_levels_is_refused_cleanly() -> None:
    for text in ("(a and " * 3000 + "b" + " or c)" * 3000, "not (a or " * 3000 + "b" + ")" * 3000):
        with pytest.raises(QuerySyntaxError, match="levels deep"):
            parse(text)


def test_the_builders_refuse_one_level_more() -> None:
    pred: Predicate = N.pre > 0
    for i in range(MAX_NESTING):
        pred = (and_ if i % 2 else or_)(N.post > i, pred)
    assert nesting_depth(pred) == MAX_NESTING
    builds: list[Callable[[], object]] = [
        lambda: not_(pred),
        lambda: ~pred,
        lambda: and_(pred, N.type == "x") if isinstance(pred, Or) else or_(pred, N.type == "x"),
        lambda: Not(pred),
        lambda: And((N.bodyId == 1, pred)) if isinstance(pred, Or) else Or((N.bodyId == 1, pred)),
        lambda: pred & N.cropped if isinstance(pred, Or) else pred | N.cropped,
    ]
    for build in builds:
        with pytest.raises(NestingTooDeep, match=f"limit is {MAX_NESTING}") as info:
            build()
        assert isinstance(info.value, NeuprintDSLError)
    # flattening keeps the depth: joining with the same connective adds no level
    same = and_(pred, N.type == "x") if isinstance(pred, And) else or_(pred, N.type == "x")
    assert nesting_depth(same) == MAX_NESTING


def test_depth_is_not_part_of_equality_repr_or_pickle() -> None:
    pred = ~((N.pre > 1) | (N.post > 2))
    assert isinstance(pred, Not)
    assert pred.depth == 2 and nesting_depth(pred.item) == 1
    assert "depth" not in repr(pred)
    loaded = pickle.loads(pickle.dumps(pred))
    assert loaded == pred and hash(loaded) == hash(pred) and loaded.depth == 2


# ---------------------------------------------------------------------------------------
# carets

_CONTROLS = ["\r", "\f", "\v", "\x85", "\u2028", "\u2029", "\r\n", "\n", "\t", "\x00", "\x1b"]


def _shown_and_caret(err: QuerySyntaxError) -> tuple[str, int]:
    *_, shown, caret = str(err).split("\n")
    assert shown.startswith("  ") and caret.startswith("  ") and caret.endswith("^")
    return shown[2:], len(caret) - 3


_SIMPLE_TEXTS = st.sampled_from(
    [
        'type = "KC" and pre > 3',
        'not (status in ["Traced", "Orphan"] or cropped)',
        "neurons where pre >= 10 order by bodyId limit 3",
        'instance startswith "KC" or inputs("MB(R)") > 2',
        "bodyId in [1, 2, 3] and somaRadius < 2.5",
    ]
)


@st.composite
def _damaged(draw: st.DrawFn) -> str:
    text = draw(_SIMPLE_TEXTS)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(_CONTROLS)) + text[at:]
    at = draw(st.integers(0, len(text)))
    bad = draw(st.sampled_from(["@", ")", "]", "=", "and", "$", '"', "`", "((", "é"]))
    return text[:at] + bad + text[at:]


@given(_damaged())
@example('type = "KC"\r\nand pre > @')
@example('type = "KC"\x85 and pre > 3')
@example('type = "KC"\u2028and\f pre > @')
@example('type = "KC" and\r pre @ 3')
@example("type = 1 and\v @")
def test_the_caret_points_at_the_reported_position(text: str) -> None:
    try:
        parse(text)
    except QuerySyntaxError as err:
        lines = text.split("\n")  # lines end at \n only, as the parser counts them
        assert 1 <= err.line <= len(lines)
        source = lines[err.line - 1]
        index = err.column - 1
        assert 0 <= index <= len(source)
        if err.reason.startswith("unexpected character"):
            assert repr(source[index]) in err.reason  # the position is the character's
        shown, caret = _shown_and_caret(err)
        if source.endswith("\r") and len(shown) == len(source) - 1:
            source = source[:-1]  # the \r of a \r\n line end is not shown
        assert len(shown) == len(source)  # one visible character for each character
        assert all(visible_char(c) == s for c, s in zip(source, shown, strict=True))
        assert caret == sum(char_width(c) for c in shown[:index])
        if index < len(source):
            assert shown[caret] == visible_char(source[index])


@pytest.mark.parametrize(
    ("text", "line", "column", "shown"),
    [
        ("a = 1\r\nand @", 2, 5, "and @"),
        ("a = 1\rand @", 1, 11, "a = 1␍and @"),
        ("a = 1\fand\v@", 1, 10, "a = 1␌and␋@"),
        ("a = 1\u2028and @", 1, 6, "a = 1␤and @"),
        ("a = 1\x85 and @", 1, 6, "a = 1␤ and @"),
        ("a = \x00", 1, 5, "a = ␀"),
        ("a\t= @", 1, 5, "a = @"),
        ("x = \u200b1", 1, 5, "x = �1"),
        ("x = \xa01", 1, 5, "x = ␣1"),
    ],
)
def test_control_characters_show_without_moving_the_caret(
    text: str, line: int, column: int, shown: str
) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert _shown_and_caret(info.value) == (shown, column - 1)


def test_wide_characters_take_two_columns() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse('type = "神経" @')
    assert str(info.value).splitlines()[-2:] == ['  type = "神経" @', "                ^"]


def test_a_long_line_shows_a_window_around_the_caret() -> None:
    text = " or ".join(f"pre = {i}" for i in range(100)) + " @ or " + "pre = 1 or " * 50
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    shown, caret = _shown_and_caret(info.value)
    assert len(shown) <= 102 and shown.startswith("…") and shown.endswith("…")
    assert shown[caret] == "@"


def test_caret_excerpt_clamps_and_counts_lines_at_newlines_only() -> None:
    assert caret_excerpt("a\u2028b\nc", 2, 1) == "  c\n  ^"
    assert caret_excerpt("a\u2028b\nc", 1, 3) == "  a␤b\n    ^"
    assert caret_excerpt("ab", 5, 9) == "  ab\n    ^"
    assert caret_excerpt("", 1, 1) == "  \n  ^"


def test_an_invalid_pattern_with_a_line_break_points_inside_it() -> None:
    from neuprint_dsl.errors import InvalidPattern

    with pytest.raises(InvalidPattern) as info:
        N.type.matches("a\nb(")
    assert str(info.value).splitlines()[-2:] == ["  a␊b(", "     ^"]


# ---------------------------------------------------------------------------------------
# typing in text


def _python_field(namespace: Namespace, name: str) -> Field:
    return getattr(namespace, "class_" if name == "class" else name)  # type: ignore[no-any-return]


NAMESPACES: dict[str, Namespace] = {"neuron": N, "edge": E, "synapse": S, "mitochondrion": M}
_OPERANDS: list[tuple[str, str, Callable[[], Field]]] = [
    (context, name, lambda ns=ns, name=name: _python_field(ns, name))
    for context, ns in NAMESPACES.items()
    for name in type(ns).declared()
] + [
    ("neuron", 'inputs("MB(R)")', lambda: N.inputs("MB(R)")),
    ("neuron", 'outputs("FB")', lambda: N.outputs("FB")),
    ("edge", 'roi_weight("FB")', lambda: E.roi_weight("FB")),
    ("neuron", "someProperty", lambda: N["someProperty"]),
    ("edge", "someProperty", lambda: E["someProperty"]),
    ("synapse", "ntGabaProb", lambda: S["ntGabaProb"]),
]


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    return repr(value)


_SCALARS = st.one_of(
    st.sampled_from(["KC", "", "MBON.*", "1"]),
    st.integers(-5, 2**40),
    st.sampled_from([0.5, -1.0, 2.0]),
    st.booleans(),
)
_LIST_VALUES = st.one_of(
    st.lists(st.sampled_from(["a", "b"]), max_size=2),
    st.lists(st.integers(0, 9), max_size=2),
    st.lists(st.booleans(), max_size=2),
    st.lists(_SCALARS, min_size=2, max_size=3),  # often mixed
)


def _compare(op: str) -> Callable[[Any, Any], Any]:
    import operator

    return {
        "=": operator.eq,
        "==": operator.eq,
        "!=": operator.ne,
        "<>": operator.ne,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }[op]


@st.composite
def _comparisons(draw: st.DrawFn) -> tuple[str, str, Callable[[], object]]:
    """(context, text, python): one comparison written both ways."""
    context, operand, field = draw(st.sampled_from(_OPERANDS))
    kind = draw(st.sampled_from(["compare", "list", "string", "null", "bare"]))
    if kind == "compare":
        op = draw(st.sampled_from(["=", "==", "!=", "<>", "<", "<=", ">", ">="]))
        value = draw(_SCALARS)
        return context, f"{operand} {op} {_literal(value)}", lambda: _compare(op)(field(), value)
    if kind == "list":
        op = draw(st.sampled_from(["in", "not in", "contains any"]))
        values = draw(_LIST_VALUES)
        text = f"{operand} {op} {_literal(values)}"
        if op == "in":
            return context, text, lambda: field().isin(values)  # type: ignore[attr-defined]
        if op == "not in":
            return context, text, lambda: ~field().isin(values)  # type: ignore[attr-defined]
        return context, text, lambda: field().contains_any(values)  # type: ignore[attr-defined]
    if kind == "string":
        op = draw(st.sampled_from(["=~", "=~ ignore case", "startswith", "endswith", "contains"]))
        value = draw(st.sampled_from(["KC", "", "MBON.*", "a|b"]))
        text = f"{operand} {op.split()[0]} {_literal(value)}{' ignore case' if ' ' in op else ''}"
        if op.startswith("=~"):
            return context, text, lambda: field().matches(value, " " in op)  # type: ignore[attr-defined]
        return context, text, lambda: getattr(field(), op)(value)
    if kind == "null":
        op = draw(st.sampled_from(["is null", "is not null"]))
        method = "is_null" if op == "is null" else "not_null"
        return context, f"{operand} {op}", lambda: getattr(field(), method)()
    # a bare field is `field = true`
    return context, operand, lambda: field() == True  # type: ignore[comparison-overlap]  # noqa: E712


_PYTHON_REFUSALS = (NeuprintDSLError, TypeError, AttributeError)


@given(_comparisons())
@example(("neuron", "type > 3", lambda: N.type > 3))  # type: ignore[operator]
@example(("neuron", "pre = true", lambda: N.pre == True))  # noqa: E712
@example(("neuron", 'tags contains any ["a", 1]', lambda: N.tags.contains_any(["a", 1])))
@example(("neuron", "someProperty > 3", lambda: N["someProperty"] > 3))
def test_text_is_refused_exactly_when_python_is(
    case: tuple[str, str, Callable[[], object]],
) -> None:
    context, text, python = case
    try:
        expected = python()
    except _PYTHON_REFUSALS as err:
        with pytest.raises(TypeErrorInQuery) as info:
            parse(text, context=context)  # type: ignore[arg-type]
        assert (info.value.line, info.value.column) == (1, 1)
        assert isinstance(info.value, QueryTypeError) and isinstance(info.value, QuerySyntaxError)
        if not isinstance(err, AttributeError) and " " in text:  # (bare: no Python form)
            # the same words, with the operand as written in text
            assert str(err).split(" ", 1)[1].split(":")[0] in info.value.reason
    else:
        parsed = parse(text, context=context)  # type: ignore[arg-type]
        assert parsed == as_predicate(expected)
        assert parse(to_text(parsed), context=context) == parsed  # type: ignore[arg-type]


TYPE_ERRORS = [
    # (text, context, a fragment of the reason)
    (
        "type > 3",
        "neuron",
        "type is a string field: ordering (<, <=, >, >=) is defined for numbers",
    ),
    ('pre = "x"', "neuron", "pre is an int field: == needs a number, not str 'x'"),
    ("cropped > 1", "neuron", "cropped is a bool field: ordering"),
    ("type = 3", "neuron", "type is a string field: == needs a string"),
    ('pre =~ "1.*"', "neuron", "pre is an int field and has no operator '=~'"),
    ('bodyId startswith "1"', "neuron", "has no operator 'startswith'"),
    ('status contains any ["a"]', "neuron", "has no operator 'contains any'"),
    ('tags in ["a"]', "neuron", "has no operator 'in'"),
    ('tags = "a"', "neuron", "tags is a list field: == and != are not defined"),
    ("somaLocation = 1", "neuron", "somaLocation is a point field"),
    ('inputs("MB(R)") is null', "neuron", "ROI counts are never null"),
    ('bodyId in ["1", "2"]', "neuron", "bodyId is an int field: isin needs a number"),
    ("type", "neuron", "type is a string field, not a condition"),
    ("not somaLocation", "neuron", "somaLocation is a point field, not a condition"),
    ('weight = "x"', "edge", "weight is an int field"),
    ("confidence > true", "synapse", "confidence is a float field"),
    ('mitoType >= "a"', "mitochondrion", "mitoType is a string field: ordering"),
    ('roi("MB(R)") > 3', "neuron", 'roi("MB(R)") is a condition, not a value'),
    ('x in [1, "a"]', "neuron", "a value list must be homogeneous"),
    ('bodyId in [1, "a"]', "neuron", "bodyId is an int field: isin needs a number, not str 'a'"),
    ('neurons where type = "KC" and pre < "x"', "neuron", "pre is an int field"),
]


@pytest.mark.parametrize(("text", "context", "reason"), TYPE_ERRORS)
def test_type_errors_in_text(text: str, context: str, reason: str) -> None:
    with pytest.raises(TypeErrorInQuery) as info:
        parse(text, context=context)  # type: ignore[arg-type]
    assert reason in info.value.reason, info.value.reason
    assert str(info.value).splitlines()[-1].strip() == "^"


def test_the_caret_is_under_the_offending_comparison() -> None:
    text = 'type = "KC" and\n  (pre > 3 or status > 1)'
    with pytest.raises(TypeErrorInQuery) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (2, 15)
    assert str(info.value).splitlines()[-2:] == ["    (pre > 3 or status > 1)", "                ^"]


def test_untyped_fields_take_everything() -> None:
    assert parse('x > 3 and y = "a" and z contains any [1] and w =~ "a" and v') == (
        (N["x"] > 3)
        & (N["y"] == "a")
        & N["z"].contains_any([1])
        & N["w"].matches("a")
        & (N["v"] == True)  # noqa: E712
    )
    assert parse("weight > 3") == (N["weight"] > 3)  # an edge field, untyped on neurons
    assert parse("x > 0.5", context="synapse") == (S.x > 0.5)


def test_surrogate_escapes_pair_up_or_are_refused() -> None:
    assert parse('x = "\\ud83d\\ude00"') == (N["x"] == "\U0001f600")  # one character, as JSON
    for text, column in [
        ('x = "a\\ud800"', 7),  # a lone high half
        ('x = "\\ude00\\ud83d"', 6),  # halves in the wrong order
        ('x = "\\ud83dz"', 6),
        ("`a\ud800` = 1", 3),  # a raw lone surrogate in a name
        ('roi("\ud800")', 6),
    ]:
        with pytest.raises(QuerySyntaxError, match="lone UTF-16 surrogate") as info:
            parse(text)
        assert (info.value.line, info.value.column) == (1, column), text
