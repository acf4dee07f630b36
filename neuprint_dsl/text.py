"""The text language: parse query text into the AST and print any AST as canonical text.

The grammar is ``grammar/neuprint_dsl.lark`` (LALR(1), lark's contextual lexer); DESIGN
section 5 defines the language. Parsing builds leaves through the typed fields of the
fluent API (``type > 3`` is refused as ``N.type > 3`` is, with the same words), so
``parse(text) == fluent_expr`` is a meaningful comparison, and printing is exact:
``parse(to_text(ast)) == ast`` for every AST the fluent API can build whose fields belong to
one kind of record (parse edge predicates with ``context="edge"``). Every problem in the
text, from a stray character to an invalid regex, a mixed list or and / or / not nested more
than ``MAX_NESTING`` levels deep, raises :class:`QuerySyntaxError` with the line, the column
and a caret. Lines are counted at ``\\n`` only, by the parser and the caret alike.

Example:
    >>> from neuprint_dsl import N
    >>> p = parse('type =~ "MBON.*" and roi("MB(R)") and not cropped')
    >>> p == N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped
    True
    >>> print(to_text(p))
    type =~ "MBON.*" and roi("MB(R)") and not cropped
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

from .cache import cache_dir
from .errors import (
    InvalidArgument,
    InvalidPattern,
    InvalidPatternInQuery,
    NeuprintDSLError,
    QuerySyntaxError,
    QueryTypeError,
    TypeErrorInQuery,
    UnknownField,
)
from .expr import (
    FALSE,
    INT64_MAX,
    INT64_MIN,
    MAX_NESTING,
    TRUE,
    And,
    Compare,
    CompareOp,
    Const,
    ContainsAny,
    Entity,
    InRoi,
    IsIn,
    IsNull,
    Matches,
    Not,
    Or,
    Predicate,
    Prop,
    RoiCount,
    StringOp,
    StringTest,
    Value,
    and_,
    as_predicate,
    not_,
    or_,
)
from .fields import NAMESPACES, AnyField, BoolField, CountField, Field
from .query import (
    AGGREGATE_FUNCTIONS,
    COUNT,
    Aggregate,
    Connections,
    Label,
    Mitochondria,
    Neurons,
    OrderKey,
    Statement,
    SynapseConnections,
    Synapses,
    column_name,
)

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedInput

__all__ = ["GRAMMAR_FILE", "KEYWORDS", "parse", "to_text"]

Context: TypeAlias = Literal["neuron", "edge", "synapse", "mitochondrion"]
AST: TypeAlias = "Predicate | Neurons | Connections | Synapses | SynapseConnections | Mitochondria"
Node: TypeAlias = "Tree[Token] | Token"

GRAMMAR_FILE = "neuprint_dsl.lark"

#: Words the printer always backticks when they are field names (compared case-insensitively).
# fmt: off
KEYWORDS = frozenset(
    {
        "and", "or", "not", "in", "is", "null", "true", "false", "startswith", "endswith", "contains",
        "any", "ignore", "case", "neurons", "segments", "connections", "of", "from", "to", "where",
        "return", "order", "by", "asc", "desc", "limit", "rois", "per", "synapses", "mitochondria",
    }
)
# fmt: on

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEX = re.compile(r"[0-9a-fA-F]+")
_CONTEXTS = {
    "neuron": Entity.NEURON,
    "edge": Entity.EDGE,
    "synapse": Entity.SYNAPSE,
    "mitochondrion": Entity.MITO,
}
_SPACE = " \t\f\r\n"  # the grammar's whitespace

# ---------------------------------------------------------------------------------------
# the parser


def _grammar_path() -> Path:
    """The grammar file: inside the installed package, else at the source tree's root."""
    here = Path(__file__).parent
    candidates = (here / "grammar" / GRAMMAR_FILE, here.parent / "grammar" / GRAMMAR_FILE)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "the neuprint-dsl grammar is missing; looked for "
        + " and ".join(str(p) for p in candidates)
        + " (a broken installation?)"
    )


#: lark's options for the grammar (the cache key includes them)
_LARK_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "maybe_placeholders": True,  # optional clauses keep their slot (None when absent)
    "propagate_positions": False,  # positions come from the tokens (3x faster)
}


@functools.cache
def _parser() -> Lark:
    """The parser, built once per process. lark's grammar analysis (about a second of CPU)
    is saved in the cache directory (lark's ``cache=``: the file records a hash of the
    grammar, the options and lark's version, and lark rebuilds on any mismatch or unreadable
    file), so the next process loads the tables instead."""
    import lark

    grammar = _grammar_path().read_text(encoding="utf-8")
    saved = _parser_cache_file(grammar)
    if saved is not None:
        try:
            saved.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            saved = None  # a read-only cache directory only costs each process the build
    return lark.Lark(
        grammar,
        cache=False if saved is None else str(saved),
        lexer_callbacks={"IDENT": _refuse_keyword},
        **_LARK_OPTIONS,
    )


def _parser_cache_file(grammar: str) -> Path | None:
    """Where the parser tables are saved: a file per grammar and Python version (two
    installed versions of neuprint-dsl never overwrite each other's; lark checks the content
    against grammar, options and its own version); None without a home directory."""
    import hashlib
    import sys

    try:
        base = cache_dir()
    except RuntimeError:  # no home directory to put ~/.cache in
        return None
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    major, minor = sys.version_info[:2]
    return base / "parser" / f"grammar-{digest}-py{major}{minor}.lark"


class _KeywordAsName(Exception):
    def __init__(self, token: Token) -> None:
        self.token = token


def _refuse_keyword(token: Token) -> Token:
    # The contextual lexer reads a keyword as a name where no keyword can go (`and and`);
    # a keyword is never a bare field name, so say so at the keyword itself.
    if token.lower() in KEYWORDS:
        raise _KeywordAsName(token)
    return token


def parse(text: str, *, context: Context = "neuron") -> AST:
    """Parse query text: a statement if it starts with ``neurons``, ``segments``,
    ``connections``, ``synapses``, ``synapse connections`` or ``mitochondria``, else a
    predicate on ``context`` records (``"neuron"``, ``"edge"``, ``"synapse"`` or
    ``"mitochondrion"``).

    Raises :class:`QuerySyntaxError` (a ``ValueError``) for any problem in the text, with
    the line, the column and a caret; a comparison the field's type does not allow raises
    :class:`~neuprint_dsl.errors.TypeErrorInQuery` (also a ``QueryTypeError``), exactly as
    the same comparison in Python would; and / or / not nested more than ``MAX_NESTING``
    (64) levels deep is refused. Lines end at ``\\n`` only (a ``\\r`` before it is a space).

    Example:
        >>> from neuprint_dsl import N, E
        >>> parse('status = "Traced" and pre >= 100') == ((N.status == "Traced") & (N.pre >= 100))
        True
        >>> parse("weight >= 5", context="edge") == (E.weight >= 5)
        True
        >>> print(parse("NEURONS WHERE type IS NULL LIMIT 3"))
        neurons where type is null limit 3
    """
    if not isinstance(text, str):
        raise InvalidArgument(f"parse() takes query text (a str), not {type(text).__name__}")
    entity = _CONTEXTS.get(context)
    if entity is None:
        raise InvalidArgument(
            f"context must be one of {', '.join(map(repr, _CONTEXTS))}, not {context!r}"
        )
    if not text.strip(_SPACE):
        raise QuerySyntaxError("empty query", text, *_end_position(text), ("a query",))
    from lark.exceptions import UnexpectedInput

    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _lark_error(err, text) from None
    except _KeywordAsName as err:
        word = str(err.token)
        raise QuerySyntaxError(
            f"unexpected keyword {word!r} (write `{word}` in backticks for a field of that name)",
            text,
            err.token.line or 1,
            err.token.column or 1,
        ) from None
    try:
        return _Builder(text).root(tree, entity)
    except RecursionError:  # not expected: the builder recurses once per level of nesting
        raise QuerySyntaxError("the query is nested too deeply", text, 1, 1) from None
    except QuerySyntaxError:
        raise
    except NeuprintDSLError as err:  # not expected: the builder checks what it builds
        raise QuerySyntaxError(str(err), text, 1, 1) from None


# ---------------------------------------------------------------------------------------
# lark errors -> QuerySyntaxError

_TERMINAL_NAMES = {
    "IDENT": "a field name",
    "QIDENT": "a field name",
    "STRING": "a string",
    "NUMBER": "a number",
    "EQ": "'='",
    "EQEQ": "'=='",
    "NE": "'!='",
    "LTGT": "'<>'",
    "LT": "'<'",
    "LE": "'<='",
    "GT": "'>'",
    "GE": "'>='",
    "MATCH": "'=~'",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "LSQB": "'['",
    "_RSQB": "']'",
    "_COMMA": "','",
    "IN_ROIS": "'in rois'",
    "LABEL_PAIR": "'neurons to segments'",
    "_ROI": "'roi'",
    "SYNAPSE_CONNECTIONS": "'synapse connections'",
    "ALL_ROIS": "'all rois'",
    "MIN_WEIGHT": "'min weight'",
    "WITH_CLOSEST": "'with closest mitochondria'",
    "_GROUP": "'group'",
    "$END": "end of input",
    "<END-OF-FILE>": "end of input",
    **{prefix + word.upper(): f"'{word}'" for word in KEYWORDS for prefix in ("", "_")},
}
_IGNORED_TERMINALS = frozenset({"WS"})


def _expected(names: Iterable[str] | None) -> list[str]:
    friendly = {
        _TERMINAL_NAMES.get(name, name.strip("_").lower())
        for name in names or ()
        if name not in _IGNORED_TERMINALS
    }
    return sorted(friendly)


def _end_position(text: str) -> tuple[int, int]:
    """Just past the last character, not counting trailing line breaks (1-based)."""
    body = text.rstrip("\r\n")
    line = body.count("\n") + 1
    return line, len(body) - (body.rfind("\n") + 1) + 1


def _describe_token(token: Token) -> str:
    shown = str(token) if len(token) <= 40 else token[:37] + "..."
    if token.type == "STRING":
        return f"string {shown}"
    if token.type == "NUMBER":
        return f"number {shown}"
    if token.type == "IDENT":
        return f"name '{shown}'"
    if token.type == "QIDENT":
        return f"name {shown}"
    return f"'{shown}'"


def _lark_error(err: UnexpectedInput, text: str) -> QuerySyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        token = err.token
        reason = f"unexpected {_describe_token(token)}"
        expected = _expected(_accepted_at(text, token.start_pos or 0))
        return QuerySyntaxError(reason, text, token.line, token.column, expected)
    if isinstance(err, UnexpectedCharacters):
        position = err.pos_in_stream or 0
        char = text[position]
        if char in "\"'":
            reason = "unterminated string (a string ends on its line; write a line break as \\n)"
            expected = [f"a closing {char}"]
        elif char == "`":
            empty = text[position + 1 : position + 2] == "`"
            reason = "empty quoted name" if empty else "unterminated quoted name"
            expected = ["a field name"] if empty else ["a closing `"]
        else:
            reason = f"unexpected character {char!r}"
            expected = _expected(_accepted_at(text, position))
        return QuerySyntaxError(reason, text, err.line, err.column, expected)
    expected = _expected(_accepted_at(text, len(text)))
    return QuerySyntaxError("unexpected end of input", text, *_end_position(text), expected)


def _accepted_at(text: str, position: int) -> set[str]:
    """The terminals the parser accepts at ``position``, where the parse failed.

    The failed parse's own expected set is not enough: LALR may reduce before it notices an
    error, leaving a state that expects less than the text allowed (only ')' after
    ``(type = "x"``, without 'and' and 'or'). Replay the tokens up to ``position``, stop
    before feeding the bad one, and ask the parser what it would accept there.
    """
    from lark.exceptions import UnexpectedInput

    interactive = _parser().parse_interactive(text)
    try:
        for token in interactive.iter_parse():  # yields each token before feeding it
            if (token.start_pos or 0) >= position:
                break
    except UnexpectedInput:  # a lexer error at ``position``: nothing there was consumed
        pass
    return set(interactive.accepts())  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------------------------------
# tree -> AST

_COMPARE_OPS: dict[str, tuple[CompareOp, bool]] = {  # terminal -> (operator, negated)
    "EQ": (CompareOp.EQ, False),
    "EQEQ": (CompareOp.EQ, False),
    "NE": (CompareOp.EQ, True),
    "LTGT": (CompareOp.EQ, True),
    "LT": (CompareOp.LT, False),
    "LE": (CompareOp.LE, False),
    "GT": (CompareOp.GT, False),
    "GE": (CompareOp.GE, False),
}
_STRING_OPS = {
    "STARTSWITH": StringOp.STARTS_WITH,
    "ENDSWITH": StringOp.ENDS_WITH,
    "CONTAINS": StringOp.CONTAINS,
}
_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_Side: TypeAlias = Literal["pre", "post"]
# function name -> ROI count side, or None for the boolean ROI test
_FUNCTIONS: dict[Entity, dict[str, _Side | None]] = {
    Entity.NEURON: {"roi": None, "inputs": "post", "outputs": "pre"},
    Entity.EDGE: {"roi_weight": "post"},
    Entity.SYNAPSE: {"roi": None},
    Entity.MITO: {"roi": None},
}
_RECORDS = {
    Entity.NEURON: "neurons",
    Entity.EDGE: "connections",
    Entity.SYNAPSE: "synapses",
    Entity.MITO: "mitochondria",
}


class _Builder:
    """Builds the AST from a lark tree; reports problems at the offending token.

    Children of a tree are tokens (``str`` subclasses), subtrees, or ``None`` for an absent
    optional part; leaf handlers get them as ``list[Any]`` and unpack them by position.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, reason: str, token: Token, offset: int = 0) -> QuerySyntaxError:
        """An error at ``offset`` characters into ``token`` (which may span lines)."""
        line, column = token.line or 1, (token.column or 1) + offset
        breaks = token.count("\n", 0, offset)
        if breaks:
            line += breaks
            column = offset - token.rfind("\n", 0, offset)
        return QuerySyntaxError(reason, self.text, line, column)

    # statements ----------------------------------------------------------------------

    def root(self, tree: Tree[Token], entity: Entity) -> AST:
        children: list[Any] = tree.children
        if tree.data == "neurons":
            return self.neurons(*children)
        if tree.data == "connections":
            return self.connections(*children)
        if tree.data == "synapses":
            return self.synapses(*children)
        if tree.data == "synapse_connections":
            return self.synapse_connections(*children)
        if tree.data == "mitochondria":
            return self.mitochondria(*children)
        return self.pred(tree, entity)

    def neurons(
        self,
        label: Token,
        where: Node | None,
        group: Tree[Token] | None,
        columns: Tree[Token] | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Neurons:
        pred = self.opt_pred(where, Entity.NEURON)
        kind: Label = "Segment" if label.type == "SEGMENTS" else "Neuron"
        keys = self.group_keys(group)
        names: tuple[str | RoiCount, ...] | None = None
        aggregates: tuple[Aggregate, ...] = ()
        if columns is not None:
            if keys:
                aggregates = self.aggregates(columns)
            else:
                names = self.columns(columns)
        return self.build(  # type: ignore[no-any-return]
            Neurons,
            label,
            order,
            pred,
            kind,
            names,
            self.order_keys(order, Entity.NEURON if not keys else None),
            self.opt_limit(limit),
            keys,
            aggregates,
        )

    def build(self, cls: Any, keyword: Token, order: Tree[Token] | None, *args: Any) -> Any:
        """``cls(*args)``; an order by key that is not a result column is reported at it."""
        try:
            return cls(*args)
        except UnknownField as err:
            if order is not None:
                for key in order.children:
                    node = cast("Tree[Token]", key).children[0]
                    if node is not None and self.key_text(node) == err.name:
                        raise self.error(str(err), _first_token(node)) from None
            raise self.error(str(err), keyword) from None
        except (TypeError, ValueError) as err:  # not expected: the checks above come first
            raise self.error(str(err), keyword) from None

    def key_text(self, node: Node) -> str:
        """The column name an order by key names."""
        if isinstance(node, str):
            return self.name(node)
        name, roi = cast("list[Token]", node.children)
        return f"{name}({self.string(roi)})"

    def group_keys(self, node: Tree[Token] | None) -> tuple[str, ...]:
        if node is None:
            return ()
        return self.distinct_names(node.children, "group by key")

    def columns(self, node: Tree[Token]) -> tuple[str | RoiCount, ...]:
        """The ``return`` list of neurons without ``group by``: properties and ROI counts."""
        out: list[str | RoiCount] = []
        seen: set[str] = set()
        for child in node.children:
            if not isinstance(child, str) and child.data == "aggregate":
                raise self.error(
                    f"{child.children[0]}(...) is an aggregate: it needs 'group by' before "
                    "'return'",
                    _first_token(child),
                )
            column = self.column_operand(child)
            name = column_name(column)
            if name in seen:
                raise self.error(f"column {name!r} is listed twice", _first_token(child))
            seen.add(name)
            out.append(column)
        return tuple(out)

    def column_operand(self, node: Node) -> str | RoiCount:
        operand = self.operand(node, Entity.NEURON)
        if isinstance(operand, InRoi):
            raise self.error(
                f"{self.call_text(node)} is a condition, not a column; inputs() and outputs() "
                "give synapse counts",
                _first_token(node),
            )
        if isinstance(operand, Prop):
            if not operand.name:
                raise self.error("column names must not be empty", _first_token(node))
            return operand.name
        return operand

    def aggregates(self, node: Tree[Token]) -> tuple[Aggregate, ...]:
        """The ``return`` list after ``group by``: ``count``, ``sum(f)``, ``mean(f)``, ..."""
        out: list[Aggregate] = []
        for child in node.children:
            token = _first_token(child)
            if isinstance(child, str) and self.name(child) == "count" and child.type == "IDENT":
                aggregate = COUNT
            elif isinstance(child, str) or child.data != "aggregate":
                raise self.error(
                    "after 'group by', return lists aggregates: count, "
                    + ", ".join(f"{f}(field)" for f in AGGREGATE_FUNCTIONS[1:])
                    + " (the group keys come first anyway)",
                    token,
                )
            else:
                function, argument = child.children
                if function == "count":
                    raise self.error(
                        "count counts the neurons of each group: write count, without a field",
                        token,
                    )
                if function not in AGGREGATE_FUNCTIONS:
                    close = [_AGGREGATE_SYNONYMS.get(str(function).lower(), "")]
                    close = [c for c in close if c] or difflib.get_close_matches(
                        str(function), AGGREGATE_FUNCTIONS[1:], 1
                    )
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise self.error(
                        f"unknown aggregate {str(function)!r} (use count, "
                        + ", ".join(AGGREGATE_FUNCTIONS[1:])
                        + f"){hint}",
                        token,
                    )
                try:
                    aggregate = Aggregate(str(function), self.column_operand(argument))
                except QueryTypeError as err:
                    raise TypeErrorInQuery(
                        str(err), self.text, token.line or 1, token.column or 1
                    ) from None
            if aggregate.name in (a.name for a in out):
                raise self.error(f"{aggregate.name} is listed twice", token)
            out.append(aggregate)
        return tuple(out)

    def order_keys(self, node: Tree[Token] | None, entity: Entity | None) -> tuple[OrderKey, ...]:
        """``order by`` keys: neuron properties and ROI counts (``entity``), or result
        column names (``None``)."""
        keys: list[OrderKey] = []
        for key in node.children if node is not None else ():
            target, direction = cast("list[Any]", cast("Tree[Token]", key).children)
            if entity is None:
                if not isinstance(target, str):
                    raise self.error(
                        "order by names a result column here, not a function",
                        _first_token(target),
                    )
                field: str | RoiCount = self.name(cast("Token", target))
            else:
                field = self.column_operand(target)
            keys.append(OrderKey(field, direction is not None and direction.type == "DESC"))
        return tuple(keys)

    def opt_limit(self, token: Token | None) -> int | None:
        return None if token is None else self.limit(token)

    def owner(self, node: Tree[Token] | None) -> tuple[Predicate, Label]:
        """The bodies of ``synapses of ...`` / ``mitochondria of ...``: predicate and label."""
        if node is None:
            return TRUE, "Neuron"
        children: list[Any] = node.children
        if node.data == "labelled_owner":
            return self.opt_pred(children[1], Entity.NEURON), _label_of(children[0])
        return self.pred(children[0], Entity.NEURON), "Neuron"

    def synapses(
        self,
        keyword: Token,
        owner: Tree[Token] | None,
        where: Node | None,
        all_rois: Token | None,
        closest: Token | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Synapses:
        bodies, label = self.owner(owner)
        pred = self.opt_pred(where, Entity.SYNAPSE)
        return self.build(  # type: ignore[no-any-return]
            Synapses,
            keyword,
            order,
            bodies,
            pred,
            all_rois is None,
            label,
            closest is not None,
            self.order_keys(order, None),
            self.opt_limit(limit),
        )

    def mitochondria(
        self,
        keyword: Token,
        owner: Tree[Token] | None,
        where: Node | None,
        all_rois: Token | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Mitochondria:
        bodies, label = self.owner(owner)
        return self.build(  # type: ignore[no-any-return]
            Mitochondria,
            keyword,
            order,
            bodies,
            self.opt_pred(where, Entity.MITO),
            all_rois is None,
            label,
            self.order_keys(order, None),
            self.opt_limit(limit),
        )

    def synapse_connections(
        self,
        keyword: Token,
        labels: Tree[Token] | None,
        upstream: Node | None,
        downstream: Node | None,
        where: Node | None,
        in_rois: Token | None,
        rois: Tree[Token] | None,
        min_weight: Token | None,
        weight: Token | None,
        all_rois: Token | None,
        closest: Token | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> SynapseConnections:
        roi_names = self.roi_list(in_rois, rois)
        pre_label, post_label = self.labels(labels)
        threshold = 1
        if min_weight is not None and weight is not None:
            if not weight.isdigit():
                raise self.error("min weight takes a non-negative whole number", weight)
            threshold = self.limit(weight)
        return self.build(  # type: ignore[no-any-return]
            SynapseConnections,
            keyword,
            order,
            self.opt_pred(upstream, Entity.NEURON),
            self.opt_pred(downstream, Entity.NEURON),
            self.opt_pred(where, Entity.SYNAPSE),
            roi_names,
            threshold,
            all_rois is None,
            pre_label,
            post_label,
            closest is not None,
            self.order_keys(order, None),
            self.opt_limit(limit),
        )

    def roi_list(self, in_rois: Token | None, rois: Tree[Token] | None) -> tuple[str, ...] | None:
        """The names of an ``in rois [...]`` clause (None when absent)."""
        if in_rois is None or rois is None:
            return None
        lsqb, *items = cast("list[Token]", rois.children)
        if not items:
            raise self.error("'in rois' needs at least one ROI name", lsqb)
        for item in items:
            if item.type != "STRING":
                raise self.error("an ROI name is a string", item)
        return self.distinct_names(items, "ROI")

    def labels(self, labels: Tree[Token] | None) -> tuple[Label, Label]:
        """The (upstream, downstream) labels of an ``of ...`` clause of connections."""
        if labels is None:
            return "Neuron", "Neuron"
        (token,) = cast("list[Token]", labels.children)
        if token.type == "LABEL_PAIR":
            first, _, second = str(token).lower().split()
            return (
                "Segment" if first == "segments" else "Neuron",
                "Segment" if second == "segments" else "Neuron",
            )
        label = _label_of(token)
        return label, label

    def connections(
        self,
        keyword: Token,
        labels: Tree[Token] | None,
        upstream: Node | None,
        downstream: Node | None,
        where: Node | None,
        in_rois: Token | None,
        rois: Tree[Token] | None,
        per_roi: Token | None,
        group: Tree[Token] | None,
        order: Tree[Token] | None,
        limit: Token | None,
    ) -> Connections:
        roi_names = self.roi_list(in_rois, rois)
        up = self.opt_pred(upstream, Entity.NEURON)
        down = self.opt_pred(downstream, Entity.NEURON)
        edge = self.opt_pred(where, Entity.EDGE)
        pre_label, post_label = self.labels(labels)
        return self.build(  # type: ignore[no-any-return]
            Connections,
            keyword,
            order,
            up,
            down,
            edge,
            roi_names,
            per_roi is not None,
            pre_label,
            post_label,
            self.order_keys(order, None),
            self.opt_limit(limit),
            self.group_keys(group),
        )

    def opt_pred(self, node: Node | None, entity: Entity) -> Predicate:
        return TRUE if node is None else self.pred(node, entity)

    def distinct_names(self, tokens: Sequence[Node], what: str) -> tuple[str, ...]:
        names: list[str] = []
        for token in cast("Sequence[Token]", tokens):
            name = self.string(token) if token.type == "STRING" else self.name(token)
            if not name:
                raise self.error(f"{what} names must not be empty", token)
            if name in names:
                raise self.error(f"{what} {name!r} is listed twice", token)
            names.append(name)
        return tuple(names)

    def limit(self, token: Token) -> int:
        if not token.isdigit():
            raise self.error("limit takes a non-negative whole number", token)
        try:
            return int(token)
        except ValueError:  # more digits than Python converts
            raise self.error("limit is too large", token) from None

    # predicates ----------------------------------------------------------------------

    def pred(self, node: Node, entity: Entity, depth: int = 0) -> Predicate:
        """The predicate of ``node``, which sits inside ``depth`` levels of and / or / not.

        A level is what the AST nests (see :func:`~neuprint_dsl.expr.nesting_depth`): a run
        of ``and`` (``a and (b and c)``) is one level, ``not not`` none, and a leaf that is a
        negation (``!=``, ``not in``, ``is not null``) one. The builder recurses only when the
        level grows, so MAX_NESTING bounds its recursion too.
        """
        assert not isinstance(node, str)  # a predicate is always a subtree
        kind = node.data
        children: list[Any] = node.children
        if kind in ("and_expr", "or_expr"):
            level = self.nested(node, depth)
            items: list[Predicate] = []
            pending = children[::-1]
            while pending:  # iterative: a run of one connective is one level
                child = pending.pop()
                if not isinstance(child, str) and child.data == kind:
                    pending.extend(child.children[::-1])
                else:
                    items.append(self.pred(child, entity, level))
            return and_(*items) if kind == "and_expr" else or_(*items)
        if kind == "negation":
            negate = True
            inner: Node = children[0]
            while not isinstance(inner, str) and inner.data == "negation":
                negate = not negate  # iterative: long 'not not ...' chains are fine
                inner = inner.children[0]
            if not negate:
                return self.pred(inner, entity, depth)
            return not_(self.pred(inner, entity, self.nested(node, depth)))
        if kind == "true":
            return TRUE
        if kind == "false":
            return FALSE
        if kind == "bare":
            pred = self.bare(children[0], entity)
        else:
            pred = _LEAVES[kind](self, children, entity)
        if isinstance(pred, Not):
            self.nested(node, depth)
        return pred

    def nested(self, node: Tree[Token], depth: int) -> int:
        """The level of a connective inside ``depth`` levels; refuses one past the limit."""
        if depth < MAX_NESTING:
            return depth + 1
        offset = _first_token(node).start_pos or 0
        if node.data == "negation":  # the tree drops `not`: find it before the operand
            before = self.text[:offset].rstrip(_SPACE + "(")
            if before[-3:].lower() == "not":
                offset = len(before) - 3
        line = self.text.count("\n", 0, offset) + 1
        raise QuerySyntaxError(
            f"and / or / not nested more than {MAX_NESTING} levels deep (the limit); join "
            "conditions flat (a or b or c) instead of nesting them",
            self.text,
            line,
            offset - self.text.rfind("\n", 0, offset),
        )

    def bare(self, node: Node, entity: Entity) -> Predicate:
        operand = self.operand(node, entity)
        if isinstance(operand, RoiCount):
            call = self.call_text(node)
            raise self.type_error(
                f"{call} is a synapse count, not a condition; compare it, e.g. {call} > 0", node
            )
        if isinstance(operand, InRoi):
            return operand
        field = _typed_field(operand)
        if isinstance(field, (BoolField, AnyField)):
            return Compare(operand, CompareOp.EQ, True)  # N.cropped, N["x"] == True
        name = _name(operand.name)
        raise self.type_error(
            f"{name} is {_a(field.type_name)} field, not a condition (only bool fields stand "
            f"alone); compare it, e.g. {name} is not null",
            node,
        )

    def typed(self, node: Node, operand: Prop | RoiCount, op: str, method: str, *args: Any) -> Any:
        """Build a leaf the way the Python API does (``N.type > 3``, ``N.pre.matches(...)``),
        so that text and Python refuse the same operator / value combinations with the same
        words; ``op`` is the operator as written in text."""
        field = _typed_field(operand)
        try:
            return getattr(field, method)(*args)
        except InvalidPattern:
            raise
        except (TypeError, AttributeError) as err:  # QueryTypeError; a missing method
            raise self.type_error(_text_message(str(err), operand, method, op), node) from None
        except NeuprintDSLError as err:  # not expected: the text's values are checked
            raise self.error(str(err), _first_token(node)) from None

    def type_error(self, reason: str, node: Node) -> TypeErrorInQuery:
        """A type error under the comparison that starts at ``node`` (its operand)."""
        token = _first_token(node)
        return TypeErrorInQuery(reason, self.text, token.line or 1, token.column or 1)

    def compare(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        op_token: Token = children[1]
        value_token: Token = children[2]
        operand = self.value_operand(node, entity, op_token)
        value = self.value(value_token)
        op, negated = _COMPARE_OPS[op_token.type]
        method = "__ne__" if negated else _COMPARE_METHODS[op]
        pred: Predicate = self.typed(node, operand, str(op_token), method, value)
        return pred

    def isin(self, children: list[Any], entity: Entity, negated: bool = False) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "not in" if negated else "in")
        values = self.values(children[1])
        pred: Predicate = self.typed(node, operand, "not in" if negated else "in", "isin", values)
        return not_(pred) if negated else pred

    def not_in(self, children: list[Any], entity: Entity) -> Predicate:
        return self.isin(children, entity, negated=True)

    def matches(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        pattern_token: Token = children[2]
        operand = self.value_operand(node, entity, "=~")
        pattern = self.string(pattern_token)
        ignore_case = children[3] is not None
        try:
            pred: Predicate = self.typed(node, operand, "=~", "matches", pattern, ignore_case)
        except InvalidPattern as err:
            line, column = pattern_token.line or 1, pattern_token.column or 1
            raise _pattern_error(err, self.text, line, column) from None
        return pred

    def string_test(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        op = _STRING_OPS[children[1].type]
        operand = self.value_operand(node, entity, op.value)
        # the operator's text is the method's name: startswith, endswith, contains
        pred: Predicate = self.typed(node, operand, op.value, op.value, self.string(children[2]))
        return pred

    def contains_any(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "contains any")
        values = self.values(children[2])
        pred: Predicate = self.typed(node, operand, "contains any", "contains_any", values)
        return pred

    def is_null(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "is null")
        pred: Predicate = self.typed(node, operand, "is null", "is_null")
        return pred

    def not_null(self, children: list[Any], entity: Entity) -> Predicate:
        node: Node = children[0]
        operand = self.value_operand(node, entity, "is not null")
        pred: Predicate = self.typed(node, operand, "is not null", "not_null")
        return pred

    # operands ------------------------------------------------------------------------

    def operand(self, node: Node, entity: Entity) -> Prop | RoiCount | InRoi:
        if isinstance(node, str):
            return Prop(entity, self.name(node))
        name_token, roi_token = cast("list[Token]", node.children)
        functions = _FUNCTIONS[entity]
        if name_token not in functions:
            raise self.error(self.unknown_function(str(name_token), entity), name_token)
        roi = self.string(roi_token)
        if not roi:
            raise self.error("an ROI name must not be empty", roi_token)
        side = functions[name_token]
        return InRoi(entity, roi) if side is None else RoiCount(entity, roi, side)

    def value_operand(self, node: Node, entity: Entity, op: str) -> Prop | RoiCount:
        operand = self.operand(node, entity)
        if isinstance(operand, InRoi):
            raise self.type_error(
                f"{self.call_text(node)} is a condition, not a value: use it alone (not with "
                f"'{op}'); inputs() and outputs() give synapse counts",
                node,
            )
        return operand

    @staticmethod
    def unknown_function(name: str, entity: Entity) -> str:
        known = list(_FUNCTIONS[entity])
        for other, functions in _FUNCTIONS.items():
            if other is not entity and name in functions:
                return (
                    f"{name}() is a function of {_RECORDS[other]}, not of {_RECORDS[entity]}; "
                    f"here you can use {', '.join(f'{k}()' for k in known)}"
                )
        lowered = {k.lower(): k for k in known}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
        if close:
            return f"unknown function {name!r}; did you mean {lowered[close[0]]!r}?"
        return f"unknown function {name!r}; the functions of {_RECORDS[entity]} are " + ", ".join(
            known
        )

    @staticmethod
    def call_text(node: Node) -> str:
        assert not isinstance(node, str)
        name, roi = node.children
        return f"{name}({roi})"

    # tokens --------------------------------------------------------------------------

    def name(self, token: Token) -> str:
        if token.type == "QIDENT":
            self.check_unicode(token, token, 0)
            return token[1:-1].replace("``", "`")
        return str(token)

    def check_unicode(self, text: str, token: Token, offset: int) -> None:
        """Refuse a lone surrogate in ``text`` (a token's text from ``offset``)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise self.error(
                f"{text[err.start]!r} is a lone UTF-16 surrogate, which no query may hold",
                token,
                offset + err.start,
            ) from None

    def values(self, node: Tree[Token]) -> tuple[Value, ...]:
        _, *tokens = cast("list[Token]", node.children)
        # the field checks the kinds (a mixed list is refused there, as in Python)
        return tuple(self.value(token) for token in tokens)

    def value(self, token: Token) -> Value:
        kind = token.type
        if kind == "STRING":
            return self.string(token)
        if kind == "NUMBER":
            return self.number(token)
        return kind == "TRUE"

    def number(self, token: Token) -> int | float:
        text = str(token)
        if "." in text or "e" in text or "E" in text:
            number = float(text)
            if math.isinf(number):
                raise self.error("number too large (beyond the float range)", token)
            return number
        digits = len(text) - text.startswith("-")
        if digits > 19 or not INT64_MIN <= int(text) <= INT64_MAX:
            raise self.error(
                "integer outside the 64-bit range (write a float such as 1e20 instead)", token
            )
        return int(text)

    def string(self, token: Token) -> str:
        body = str(token[1:-1])
        self.check_unicode(body, token, 1)
        if "\\" not in body:
            return body
        parts: list[str] = []
        start = 0
        while (slash := body.find("\\", start)) >= 0:
            parts.append(body[start:slash])
            code = body[slash + 1]  # the lexer never ends a string on a backslash
            if code in _ESCAPES:
                parts.append(_ESCAPES[code])
                start = slash + 2
                continue
            width = {"u": 4, "U": 8}.get(code, 0)
            digits = body[slash + 2 : slash + 2 + width]
            if not width:
                reason = (
                    f"unknown escape \\{code} (use \\\\ \\\" \\' \\n \\r \\t \\b \\f \\/ "
                    "\\uXXXX or \\UXXXXXXXX)"
                )
            elif len(digits) < width or not _HEX.fullmatch(digits):
                reason = f"\\{code} needs exactly {width} hex digits"
            elif int(digits, 16) > 0x10FFFF:
                reason = f"\\U{digits} is beyond U+10FFFF"
            elif 0xD800 <= int(digits, 16) <= 0xDFFF:
                # UTF-16 halves: a pair \uD83D\uDE00 is one character (as in JSON)
                low = body[slash + 2 + width : slash + 2 + 2 * width + 2]
                if (
                    code == "u"
                    and int(digits, 16) <= 0xDBFF
                    and low[:2] == "\\u"
                    and _HEX.fullmatch(low[2:])
                    and 0xDC00 <= int(low[2:], 16) <= 0xDFFF
                ):
                    pair = (int(digits, 16) - 0xD800) * 0x400 + int(low[2:], 16) - 0xDC00
                    parts.append(chr(0x10000 + pair))
                    start = slash + 4 + 2 * width
                    continue
                reason = (
                    f"\\{code}{digits} is a lone UTF-16 surrogate, which no query may hold "
                    "(write the character itself, \\UXXXXXXXX, or a \\uD800-\\uDBFF, "
                    "\\uDC00-\\uDFFF pair)"
                )
            else:
                parts.append(chr(int(digits, 16)))
                start = slash + 2 + width
                continue
            raise self.error(reason, token, 1 + slash)
        parts.append(body[start:])
        return "".join(parts)


def _first_token(node: Node) -> Token:
    """The token an operand starts with: its name, or the function name of a call."""
    while not isinstance(node, str):
        node = node.children[0]
    return node


#: what other languages call the aggregates (Cypher's avg is mean here)
_AGGREGATE_SYNONYMS = {"avg": "mean", "average": "mean", "total": "sum", "minimum": "min"}
_AGGREGATE_SYNONYMS["maximum"] = "max"

_LEAVES = {
    "compare": _Builder.compare,
    "isin": _Builder.isin,
    "not_in": _Builder.not_in,
    "matches": _Builder.matches,
    "string_test": _Builder.string_test,
    "contains_any": _Builder.contains_any,
    "is_null": _Builder.is_null,
    "not_null": _Builder.not_null,
}


def _pattern_error(inner: InvalidPattern, text: str, line: int, column: int) -> QuerySyntaxError:
    return InvalidPatternInQuery(inner, text, line, column)


_COMPARE_METHODS = {
    CompareOp.EQ: "__eq__",
    CompareOp.LT: "__lt__",
    CompareOp.LE: "__le__",
    CompareOp.GT: "__gt__",
    CompareOp.GE: "__ge__",
}


@functools.cache
def _declared(entity: Entity) -> dict[str, type[Field]]:
    return type(NAMESPACES[entity]).declared()


def _typed_field(operand: Prop | RoiCount) -> Field:
    """The Python field for an operand: ``N.type`` for a declared name, ``N["x"]`` else."""
    if isinstance(operand, RoiCount):
        return CountField(operand)
    return _declared(operand.entity).get(operand.name, AnyField)(operand)


def _python_name(operand: Prop | RoiCount) -> str:
    """How the Python API names an operand in its messages (``N.type``, ``N.inputs('X')``)."""
    namespace = operand.entity.namespace
    if isinstance(operand, Prop):
        return f"{namespace}.{operand.name}"
    function = _CALLS.get((operand.entity, operand.side), "roi_weight")
    return f"{namespace}.{function}({operand.roi!r})"


def _text_message(message: str, operand: Prop | RoiCount, method: str, op: str) -> str:
    """A Python API message, reworded for text: the operand and the operator as written."""
    python = _python_name(operand)
    if message.startswith(python):
        message = _operand_text(operand) + message[len(python) :]
    return message.replace(f"has no method {method!r}", f"has no operator '{op}'")


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


# ---------------------------------------------------------------------------------------
# AST -> text


def to_text(ast: object) -> str:
    """The canonical text of a predicate, a boolean field or a statement.

    ``parse(to_text(ast)) == ast`` for every AST whose fields belong to one kind of record
    (edge predicates: ``parse(..., context="edge")``) and whose comparisons the typed fields
    allow (a raw node such as ``Compare(Prop(NEURON, "type"), GT, 3)`` prints, but its text
    is refused).

    Example:
        >>> from neuprint_dsl import N, neurons
        >>> to_text(~N.cropped & (N.status != "Orphan"))
        'not cropped and status != "Orphan"'
        >>> to_text(neurons((N.pre > 5) | N.type.is_null(), limit=10))
        'neurons where pre > 5 or type is null limit 10'
    """
    if isinstance(ast, Neurons):
        return _neurons_text(ast)
    if isinstance(ast, Connections):
        return _connections_text(ast)
    if isinstance(ast, (Synapses, Mitochondria)):
        return _owned_text(ast)
    if isinstance(ast, SynapseConnections):
        return _synapse_connections_text(ast)
    try:
        pred = as_predicate(ast)
    except TypeError:
        raise InvalidArgument(
            f"to_text() takes a predicate or a statement, not {type(ast).__name__} {ast!r}"
        ) from None
    return _pred_text(pred, 0)


def _neurons_text(stmt: Neurons) -> str:
    parts = ["segments" if stmt.label == "Segment" else "neurons"]
    if stmt.where != TRUE:
        parts.append("where " + _pred_text(stmt.where, 0))
    if stmt.group_keys:
        parts.append("group by " + ", ".join(map(_name, stmt.group_keys)))
        if stmt.aggregates != (COUNT,):
            parts.append("return " + ", ".join(map(_aggregate_text, stmt.aggregates)))
    if stmt.columns is not None:
        parts.append("return " + ", ".join(map(_column_text, stmt.columns)))
    return " ".join(parts + _order_text(stmt))


def _column_text(column: str | RoiCount) -> str:
    return _name(column) if isinstance(column, str) else _operand_text(column)


def _aggregate_text(aggregate: Aggregate) -> str:
    if aggregate.field is None:
        return aggregate.function
    return f"{aggregate.function}({_column_text(aggregate.field)})"


def _order_text(stmt: Statement) -> list[str]:
    """The ``order by`` and ``limit`` clauses of any statement."""
    parts = []
    order: tuple[OrderKey, ...] = stmt.order_by  # type: ignore[attr-defined]
    if order:
        keys = (_column_text(k.field) + (" desc" if k.descending else "") for k in order)
        parts.append("order by " + ", ".join(keys))
    limit: int | None = stmt.limit  # type: ignore[attr-defined]
    if limit is not None:
        parts.append(f"limit {limit}")
    return parts


def _label_of(token: Token) -> Label:
    return "Segment" if token.type == "SEGMENTS" else "Neuron"


def _connections_text(stmt: Connections) -> str:
    parts = ["connections", *_sides_text(stmt)]
    if stmt.rois is not None:
        parts.append("in rois " + _list_text(stmt.rois))
    if stmt.per_roi:
        parts.append("per roi")
    if stmt.group_keys:
        parts.append("group by " + ", ".join(map(_name, stmt.group_keys)))
    return " ".join(parts + _order_text(stmt))


def _sides_text(stmt: Connections | SynapseConnections) -> list[str]:
    parts = []
    pre, post = stmt.upstream_label, stmt.downstream_label
    if pre != post:
        parts.append(f"of {pre.lower()}s to {post.lower()}s")
    elif pre == "Segment":
        parts.append("of segments")
    for keyword, pred in (("from", stmt.upstream), ("to", stmt.downstream), ("where", stmt.where)):
        if pred != TRUE:
            parts.append(f"{keyword} {_pred_text(pred, 0)}")
    return parts


def _owned_text(stmt: Synapses | Mitochondria) -> str:
    parts = ["synapses" if isinstance(stmt, Synapses) else "mitochondria"]
    if stmt.label == "Segment":
        parts.append("of segments")
        if stmt.neurons != TRUE:
            parts.append(_pred_text(stmt.neurons, 0))
    elif stmt.neurons != TRUE:
        parts.append("of " + _pred_text(stmt.neurons, 0))
    if stmt.where != TRUE:
        parts.append("where " + _pred_text(stmt.where, 0))
    if not stmt.primary_only:
        parts.append("all rois")
    if isinstance(stmt, Synapses) and stmt.closest_mitochondria:
        parts.append("with closest mitochondria")
    return " ".join(parts + _order_text(stmt))


def _synapse_connections_text(stmt: SynapseConnections) -> str:
    parts = ["synapse connections", *_sides_text(stmt)]
    if stmt.rois is not None:
        parts.append("in rois " + _list_text(stmt.rois))
    if stmt.min_total_weight != 1:
        parts.append(f"min weight {stmt.min_total_weight}")
    if not stmt.primary_only:
        parts.append("all rois")
    if stmt.closest_mitochondria:
        parts.append("with closest mitochondria")
    return " ".join(parts + _order_text(stmt))


def _pred_text(pred: Predicate, level: int) -> str:
    """``level``: 0 anywhere, 1 inside a conjunction (a disjunction needs parentheses)."""
    if isinstance(pred, Or):
        text = " or ".join(_pred_text(item, 1) for item in pred.items)
        return f"({text})" if level else text
    if isinstance(pred, And):
        return " and ".join(_pred_text(item, 1) for item in pred.items)
    if isinstance(pred, Not):
        return _negation_text(pred.item)
    if isinstance(pred, Const):
        return "true" if pred.value else "false"
    return _leaf_text(pred)


def _negation_text(item: Predicate) -> str:
    if isinstance(item, Compare) and item.op is CompareOp.EQ:
        if item.value is True and isinstance(item.operand, Prop):
            return "not " + _name(item.operand.name)
        return f"{_operand_text(item.operand)} != {_value_text(item.value)}"
    if isinstance(item, IsNull):
        return f"{_name(item.operand.name)} is not null"
    if isinstance(item, IsIn):
        return f"{_operand_text(item.operand)} not in {_list_text(item.values)}"
    if isinstance(item, (And, Or)):
        return f"not ({_pred_text(item, 0)})"
    return "not " + _leaf_text(item)


def _leaf_text(pred: Predicate) -> str:
    if isinstance(pred, Compare):
        if pred.op is CompareOp.EQ and pred.value is True and isinstance(pred.operand, Prop):
            return _name(pred.operand.name)
        return f"{_operand_text(pred.operand)} {pred.op.value} {_value_text(pred.value)}"
    if isinstance(pred, IsIn):
        return f"{_operand_text(pred.operand)} in {_list_text(pred.values)}"
    if isinstance(pred, Matches):
        text = f"{_name(pred.operand.name)} =~ {_string_text(pred.pattern)}"
        return text + " ignore case" if pred.ignore_case else text
    if isinstance(pred, StringTest):
        return f"{_name(pred.operand.name)} {pred.op.value} {_string_text(pred.value)}"
    if isinstance(pred, IsNull):
        return f"{_name(pred.operand.name)} is null"
    if isinstance(pred, ContainsAny):
        return f"{_name(pred.operand.name)} contains any {_list_text(pred.values)}"
    if isinstance(pred, InRoi):
        return f"roi({_string_text(pred.roi)})"
    raise InvalidArgument(f"to_text() cannot print {type(pred).__name__} {pred!r}")


_CALLS = {
    (Entity.NEURON, "post"): "inputs",
    (Entity.NEURON, "pre"): "outputs",
    (Entity.EDGE, "post"): "roi_weight",
}


def _operand_text(operand: Prop | RoiCount) -> str:
    if isinstance(operand, Prop):
        return _name(operand.name)
    function = _CALLS.get((operand.entity, operand.side))
    if function is None:
        raise InvalidArgument(
            f"{operand!r} has no text form: a connection's ROI weight counts post synapses "
            "(roi_weight)"
        )
    return f"{function}({_string_text(operand.roi)})"


def _name(name: str) -> str:
    if _PLAIN_NAME.fullmatch(name) and name.lower() not in KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def _value_text(value: Value) -> str:
    if isinstance(value, str):
        return _string_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest exact form; always has '.' or 'e', so it reads back a float
    return str(value)


def _list_text(values: Iterable[Value]) -> str:
    return "[" + ", ".join(_value_text(v) for v in values) + "]"


_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string_text(value: str) -> str:
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    out = ['"']
    for char in value:
        escape = _STRING_ESCAPES.get(char)
        if escape is not None:
            out.append(escape)
        elif char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)
