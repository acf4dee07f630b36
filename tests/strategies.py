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
    "\ud800",
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
