"""Hypothesis strategies: typed predicates and neuPrint-shaped records.

Predicates are drawn against a *schema* (property name -> kind) so that the same strategies
serve the reference interpreter, the text printer and the embedded engine (whose columns are
typed). Strings come from a pool of hostile values (quotes, backslashes, ``:Neuron``, control
characters, unicode, ``$p0``) mixed with arbitrary text, so literals are attacked from every
side; ROI and property names include parentheses, quotes, backticks and colons.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from neuprint_dsl.expr import (
    Compare,
    CompareOp,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Predicate,
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    and_,
    not_,
    or_,
)

#: neuron properties the generated records and predicates use, with their kinds
NEURON_SCHEMA: dict[str, str] = {
    "bodyId": "int",
    "type": "str",
    "instance": "str",
    "status": "str",
    "cropped": "bool",
    "pre": "int",
    "post": "int",
    "somaRadius": "float",
    "odd name": "str",
    "weird`tick": "int",
}
#: list-valued properties (not every engine stores lists; opt in)
LIST_SCHEMA: dict[str, str] = {"tags": "list"}
EDGE_SCHEMA: dict[str, str] = {"weight": "int", "weightHP": "int"}
ROIS: tuple[str, ...] = ("MB(R)", "b'L(R)", "FB", "a`b", "x:Neuron", "SIP(R)")

HOSTILE_STRINGS: tuple[str, ...] = (
    "",
    "KC",
    "KCab",
    "MBON01",
    "APL",
    "it's",
    'say "hi"',
    "back\\slash",
    "x:Neuron",
    ":Segment",
    "line\nbreak",
    "tab\t",
    "\x00nul",
    "é",
    "\u2028",
    "😀",
    "$p0",
    "' OR 1=1 //",
    "`tick`",
    "\\'",
)
INTS: tuple[int, ...] = (-1, 0, 1, 2, 5, 10, 100, 2**31, -(2**63), 2**63 - 1)
FLOATS: tuple[float, ...] = (-0.5, 0.0, 0.5, 1.0, 2.5, 1e100, 5e-324)
PATTERNS: tuple[str, ...] = (
    "MBON.*",
    "KC.*",
    ".*",
    "",
    "KC|APL",
    "[A-Z]+[0-9]*",
    "it's",
    "x:N.*",
    "[0-9]+",
    ".*\\$p0",
    "back\\\\slash",
    "(?i)kc.*",
    "a.c",
)

strings = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=6))
ints = st.one_of(st.sampled_from(INTS), st.integers(-(2**63), 2**63 - 1))
floats = st.one_of(st.sampled_from(FLOATS), st.floats(allow_nan=False, allow_infinity=False))
numbers = st.one_of(ints, floats)
bools = st.booleans()
VALUES_BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "str": strings,
    "int": ints,
    "float": floats,
    "bool": bools,
}


def _list_of(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(values, max_size=4)


def _leaves_for(entity: Entity, name: str, kind: str) -> st.SearchStrategy[Predicate]:
    prop = Prop(entity, name)
    null = st.just(IsNull(prop))
    if kind == "str":
        return st.one_of(
            strings.map(lambda v: Compare(prop, CompareOp.EQ, v)),
            _list_of(strings).map(lambda vs: IsIn(prop, vs)),
            st.builds(Matches, st.just(prop), st.sampled_from(PATTERNS), st.booleans()),
            st.builds(StringTest, st.just(prop), st.sampled_from(list(StringOp)), strings),
            null,
        )
    if kind in ("int", "float"):
        return st.one_of(
            st.builds(Compare, st.just(prop), st.sampled_from(list(CompareOp)), numbers),
            _list_of(numbers).map(lambda vs: IsIn(prop, vs)),
            null,
        )
    if kind == "bool":
        return st.one_of(bools.map(lambda v: Compare(prop, CompareOp.EQ, v)), null)
    if kind == "list":
        return st.one_of(_list_of(strings).map(lambda vs: ContainsAny(prop, vs)), null)
    raise ValueError(kind)


def _ill_typed(entity: Entity, names: list[str]) -> st.SearchStrategy[Predicate]:
    """Leaves whose value kind does not match the property (legal through ``N[...]``)."""
    any_value = st.one_of(strings, numbers, bools)
    return st.builds(
        lambda name, v: Compare(Prop(entity, name), CompareOp.EQ, v),
        st.sampled_from(names),
        any_value,
    ) | st.builds(
        lambda name, vs: IsIn(Prop(entity, name), vs),
        st.sampled_from(names),
        st.one_of(_list_of(strings), _list_of(numbers), _list_of(bools)),
    )


def leaves(
    schema: dict[str, str] = NEURON_SCHEMA,
    rois: tuple[str, ...] = ROIS,
    entity: Entity = Entity.NEURON,
    ill_typed: bool = True,
) -> st.SearchStrategy[Predicate]:
    """Single leaf predicates over ``schema`` and ``rois``."""
    options = [_leaves_for(entity, name, kind) for name, kind in schema.items()]
    if rois:
        roi = st.sampled_from(rois)
        side = st.just("post") if entity is Entity.EDGE else st.sampled_from(["pre", "post"])
        if entity in (Entity.NEURON, Entity.EDGE):  # ROI counts: neurons and connections
            counts = st.builds(
                lambda r, s, op, v: Compare(RoiCount(entity, r, s), op, v),
                roi,
                side,
                st.sampled_from(list(CompareOp)),
                st.integers(-1, 6),
            )
            options.append(counts)
        if entity is not Entity.EDGE:  # ROI membership: neurons, synapses, mitochondria
            options.append(roi.map(lambda r: InRoi(entity, r)))
    if ill_typed:
        options.append(_ill_typed(entity, list(schema)))
    return st.one_of(options)


def predicates(
    schema: dict[str, str] = NEURON_SCHEMA,
    rois: tuple[str, ...] = ROIS,
    entity: Entity = Entity.NEURON,
    ill_typed: bool = True,
    max_leaves: int = 10,
) -> st.SearchStrategy[Predicate]:
    """Arbitrary predicates: leaves combined with ``&``, ``|`` and ``~`` (always folded)."""
    base = leaves(schema, rois, entity, ill_typed)

    def extend(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
        many = st.lists(children, min_size=2, max_size=4)
        return st.one_of(
            many.map(lambda ps: and_(*ps)),
            many.map(lambda ps: or_(*ps)),
            children.map(not_),
        )

    return st.recursive(base, extend, max_leaves=max_leaves)


def _value_of(kind: str, well_typed: bool) -> st.SearchStrategy[Any]:
    if kind == "list":
        return _list_of(strings)
    values = VALUES_BY_KIND[kind]
    if well_typed:
        return values
    return st.one_of(values, strings, ints, bools)


@st.composite
def records(
    draw: st.DrawFn,
    schema: dict[str, str] = NEURON_SCHEMA,
    rois: tuple[str, ...] = ROIS,
    well_typed: bool = True,
    with_roi_flags: bool = True,
) -> dict[str, Any]:
    """One neuPrint-shaped record: each property missing, null or set; ``roiInfo`` with
    pre/post counts, and ``True`` ROI flags for the ROIs it lists."""
    record: dict[str, Any] = {}
    for name, kind in schema.items():
        state = draw(st.sampled_from(["set", "set", "set", "missing", "null"]))
        if state == "set":
            record[name] = draw(_value_of(kind, well_typed))
        elif state == "null":
            record[name] = None
    in_rois = draw(st.lists(st.sampled_from(rois), unique=True, max_size=len(rois))) if rois else []
    if in_rois or draw(st.booleans()):
        record["roiInfo"] = {
            r: {"pre": draw(st.integers(0, 5)), "post": draw(st.integers(0, 5))} for r in in_rois
        }
    if with_roi_flags:
        for r in in_rois:
            record[r] = True
    return record


# ---------------------------------------------------------------------------------------
# the cross-backend differential test (tests/test_differential.py)
#
# Records and predicates draw their values from the same pools, so that most leaves can
# match something; the pools hold the values backends have got wrong before (empty strings,
# line separators other than \n, non-BMP text, integers beside 2**53 and 2**63 and floats
# next to them, ROI names that differ only by case).

#: neuron properties of the differential databases, with their kinds
DIFF_SCHEMA: dict[str, str] = {
    "type": "str",
    "instance": "str",
    "status": "str",
    "odd name": "str",
    "pre": "int",
    "post": "int",
    "size": "int",
    "somaRadius": "float",
    "cropped": "bool",
    "tags": "list",
}
#: the fields predicates test: the records' properties and their ``bodyId``
DIFF_FIELDS: dict[str, str] = {"bodyId": "int", **DIFF_SCHEMA}
#: ROIs of the differential databases: names that differ only by case, quotes, colons
DIFF_ROIS: tuple[str, ...] = ("FB", "fb", "MB(R)", "mb(r)", "it's(R)", 'say "R"', "a`b", "x:Neuron")
#: names no differential database has (predicates on them are refused or match nothing)
DIFF_UNKNOWN_FIELDS: tuple[str, ...] = ("typo", "Type", "PRE")
DIFF_UNKNOWN_ROIS: tuple[str, ...] = ("NOPE(R)", "Fb", "MB(r)")
DIFF_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "KC",
    "KCab",
    "kc",
    "KC(a)",
    "MBON01",
    "MBON",
    "APL",
    "it's",
    'say "hi"',
    "back\\slash",
    "\\",
    "\\'",
    "line\nbreak",
    "KC\n",
    "\n",
    "cr\rKC",
    "\r\n",
    "nel\x85",
    "ls\u2028",
    "ps\u2029",
    "vt\x0b",
    "😀",
    "a😀b",
    "\U000e0041tag",
    "x:Neuron",
    ":",
    "a:b",
    "tab\t",
    "é",
    "e\u0301",
    "$p0",
    "%_",
    ".*",
    "null",
    "re/x",
    "exists/0",
    "\u212a",  # KELVIN SIGN: folds to k
    "ſ",  # LONG S: folds to s
    "Ǆ",
    "ǅ",
    "ä",
    "{,3}",
)
#: predicate-only strings: lone surrogates cannot be stored by the embedded engine
DIFF_UNSTORABLE: tuple[str, ...] = ("\ud800", "a\udfff")
DIFF_INTS: tuple[int, ...] = (
    0,
    1,
    2,
    3,
    5,
    -1,
    2**31,
    2**53 - 1,
    2**53,
    2**53 + 1,
    2**53 + 2,
    2**62 + 1,
    2**63 - 2,
    2**63 - 1,
    -(2**63),
    -(2**53) - 1,
)
DIFF_FLOATS: tuple[float, ...] = (
    0.0,
    -0.0,
    0.5,
    1.0,
    2.0,
    2.5,
    -0.5,
    3.0,
    float(2**53),
    float(2**53 + 2),
    float(2**63),
    -float(2**63),
    1e300,
    5e-324,
)
DIFF_PATTERNS: tuple[str, ...] = (
    "",
    ".*",
    "KC.*",
    "MBON.*",
    "KC|APL",
    "kc",
    "(?i)kc",
    "K(?i:c).*",
    "(?i:KC)ab",
    "KC$",
    "KC\\n?",
    ".*\\s.*",
    "[\\s\\S]*",
    ".+",
    "cr.KC",
    "ls.",
    "nel.",
    "line.break",
    "\\w+",
    "[A-Z]+[0-9]*",
    "a.b",
    "a😀b",
    "it's",
    "back\\\\slash",
    'say "hi"',
    "x:N.*",
    "\\$p0",
    "e\\u0301",
    "^KC",
    "(KC|kc)(ab)?",
    ".*\\b.*",
    "(?s).*",
    "(?m)^KC$",
    "[^a]*",
    "[😀é]+",
    ".",
    "..",
    "\\S+",
    "\\W+",
    "\\d+",
    "(?i)é",
    "(?i)k",
    "(?i)s",
    "(?i)ǆ",
    "[\x85\u2028]",
    ".*\\n.*",
    "\\AKC",
    "(|K)C",
    "[]a]+",
    "\\{,3\\}",
)


def _substrings(value: str) -> list[str]:
    return [value[:i] for i in range(len(value) + 1)] + [value[i:] for i in range(len(value))]


#: string values for predicates: the pool, pieces of it, a little arbitrary text
diff_strings: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(DIFF_STRINGS),
    st.sampled_from(DIFF_STRINGS).flatmap(lambda s: st.sampled_from(_substrings(s))),
    st.text(max_size=3),
    # no DIFF_UNSTORABLE: a lone surrogate is refused when a predicate is built (InvalidValue)
)
#: stored string values: the pool and a little arbitrary text (no lone surrogates)
diff_stored_strings: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(DIFF_STRINGS), st.text(st.characters(exclude_categories=["Cs"]), max_size=3)
)
diff_numbers: st.SearchStrategy[int | float] = st.one_of(
    st.sampled_from(DIFF_INTS),
    st.sampled_from(DIFF_FLOATS),
    st.integers(-2, 6),
    st.sampled_from(DIFF_INTS).map(float),
)


def _built(make: Any, *args: Any) -> Predicate | None:
    """A leaf, or ``None`` when the AST refuses it at construction (a typed refusal)."""
    from neuprint_dsl.errors import NeuprintDSLError

    try:
        leaf: Predicate = make(*args)
    except (NeuprintDSLError, TypeError, ValueError):
        return None
    return leaf


def _diff_leaves_for(name: str, kind: str) -> st.SearchStrategy[Predicate | None]:
    prop = Prop(Entity.NEURON, name)
    null = st.just(IsNull(prop))
    if kind == "str":
        return st.one_of(
            diff_strings.map(lambda v: _built(Compare, prop, CompareOp.EQ, v)),
            st.lists(diff_strings, max_size=3).map(lambda vs: _built(IsIn, prop, vs)),
            st.builds(
                lambda p, ic: _built(Matches, prop, p, ic),
                st.sampled_from(DIFF_PATTERNS),
                st.booleans(),
            ),
            st.builds(
                lambda op, v: _built(StringTest, prop, op, v),
                st.sampled_from(list(StringOp)),
                diff_strings,
            ),
            null,
        )
    if kind in ("int", "float"):
        return st.one_of(
            st.builds(
                lambda op, v: _built(Compare, prop, op, v),
                st.sampled_from(list(CompareOp)),
                diff_numbers,
            ),
            st.lists(diff_numbers, max_size=3).map(lambda vs: _built(IsIn, prop, vs)),
            null,
        )
    if kind == "bool":
        return st.one_of(
            bools.map(lambda v: _built(Compare, prop, CompareOp.EQ, v)),
            st.lists(bools, max_size=2).map(lambda vs: _built(IsIn, prop, vs)),
            null,
        )
    if kind == "list":
        return st.one_of(
            st.lists(diff_strings, max_size=3).map(lambda vs: _built(ContainsAny, prop, vs)),
            null,
        )
    raise ValueError(kind)


def _diff_roi_leaves(rois: st.SearchStrategy[str]) -> st.SearchStrategy[Predicate | None]:
    counts = st.builds(
        lambda r, side, op, v: _built(Compare, RoiCount(Entity.NEURON, r, side), op, v),
        rois,
        st.sampled_from(["pre", "post"]),
        st.sampled_from(list(CompareOp)),
        st.one_of(st.integers(-1, 6), st.sampled_from([0.5, 2.5, 3.0, float(2**53)])),
    )
    return st.one_of(rois.map(lambda r: _built(InRoi, Entity.NEURON, r)), counts)


def _diff_oddities() -> st.SearchStrategy[Predicate | None]:
    """Unknown names and kind-mismatched comparisons: refused by a backend that knows the
    schema, or false on every record."""
    anything = st.one_of(diff_strings, diff_numbers, bools)
    unknown_field = st.builds(
        lambda name, v: _built(Compare, Prop(Entity.NEURON, name), CompareOp.EQ, v),
        st.sampled_from(DIFF_UNKNOWN_FIELDS),
        anything,
    )
    mismatched = st.builds(
        lambda name, v: _built(Compare, Prop(Entity.NEURON, name), CompareOp.EQ, v),
        st.sampled_from(list(DIFF_SCHEMA)),
        anything,
    )
    unknown_roi = _diff_roi_leaves(st.sampled_from(DIFF_UNKNOWN_ROIS))
    return st.one_of(unknown_field, mismatched, unknown_roi)


def diff_leaves(oddities: bool = True) -> st.SearchStrategy[Predicate]:
    """Single leaves over :data:`DIFF_FIELDS` and :data:`DIFF_ROIS` (mostly well typed)."""
    options = [_diff_leaves_for(name, kind) for name, kind in DIFF_FIELDS.items()]
    options.append(_diff_roi_leaves(st.sampled_from(DIFF_ROIS)))
    typed = st.one_of(options)
    if oddities:
        drawn = st.one_of(typed, typed, typed, typed, typed, typed, _diff_oddities())
    else:
        drawn = typed
    return drawn.filter(lambda leaf: leaf is not None)


def diff_predicates(max_leaves: int = 8, oddities: bool = True) -> st.SearchStrategy[Predicate]:
    """Predicates for the differential test: leaves combined with ``&``, ``|`` and ``~``."""

    def extend(children: st.SearchStrategy[Predicate]) -> st.SearchStrategy[Predicate]:
        many = st.lists(children, min_size=2, max_size=3)
        return st.one_of(
            many.map(lambda ps: and_(*ps)),
            many.map(lambda ps: or_(*ps)),
            children.map(not_),
        )

    return st.recursive(diff_leaves(oddities), extend, max_leaves=max_leaves)
