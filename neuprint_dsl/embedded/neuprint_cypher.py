"""neuPrint's Cypher -> Ladybug's Cypher, so that notebooks written for a neuPrint server run
on the embedded engine (``fetch_custom`` and ``fetch_custom_neurons``).

The text is split by a Cypher lexer (strings, backquoted names, comments and numbers are
whole tokens, each with its line and column), then read clause by clause; every construct is
either rewritten to Ladybug's form or refused with :class:`~neuprint_dsl.errors.UnsupportedCypher`,
which names the construct and points at it. See docs/neuprint-cypher.md for the list.

Example:
    >>> t = translate("MATCH (n:Segment) WHERE n.`MB(R)` AND exists(n.type) RETURN n.type",
    ...               rois={"MB(R)"}, properties={"bodyId", "type"})
    >>> print(t.text)
    MATCH (n:Neuron:Segment) WHERE n.`roi:^m^b(^r)` AND (n.type IS NOT NULL) RETURN n.type AS `n.type`
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..cypher.layout import roi_column
from ..cypher.literals import quote_identifier
from ..cypher.syntax import LadybugSyntax
from ..errors import NeuprintDSLError, QueryTimeout, UnsupportedCypher
from .meta import embedded_meta
from .rois import NOT_PRIMARY

__all__ = [
    "Translation",
    "meta_frame",
    "neuprint_meta_node",
    "neuprint_nodes",
    "run_neuprint_cypher",
    "timeboxed_call",
    "translate",
]

#: how Ladybug spells a regex or a literal (the text this module writes is Ladybug's Cypher)
_LADYBUG = LadybugSyntax()

_CLAUSES = {
    "MATCH", "OPTIONAL", "WHERE", "WITH", "UNWIND", "RETURN", "ORDER", "SKIP", "LIMIT", "UNION",
}  # fmt: skip
_REFUSED_CLAUSES = {
    "CALL": "CALL (procedures and subqueries)",
    "CREATE": "CREATE (the embedded database is read-only here)",
    "MERGE": "MERGE (the embedded database is read-only here)",
    "DELETE": "DELETE (the embedded database is read-only here)",
    "DETACH": "DETACH DELETE (the embedded database is read-only here)",
    "SET": "SET (the embedded database is read-only here)",
    "REMOVE": "REMOVE (the embedded database is read-only here)",
    "FOREACH": "FOREACH",
    "LOAD": "LOAD CSV",
    "USING": "USING (planner hints)",
    "YIELD": "YIELD",
}
#: functions checked to give Neo4j's answers on Ladybug (others are refused: e.g. substring
#: and list indexes count from 1 there, toInteger/toString/head do not exist)
_SAME_FUNCTIONS = {
    "count", "collect", "sum", "min", "max", "avg", "size", "coalesce", "tolower", "toupper",
    "lower", "upper", "trim", "ltrim", "rtrim", "replace", "reverse", "left", "right", "abs",
    "floor", "ceil", "sqrt", "sign", "range",
}  # fmt: skip
_SUBQUERY_WORDS = {"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN", "CALL", "UNION"}
#: words after which ``(`` or ``[`` opens an expression or a list, not a call or an index
_KEYWORDS = {
    "AND", "OR", "NOT", "XOR", "IN", "WHERE", "WITH", "RETURN", "UNWIND", "AS", "DISTINCT",
    "CASE", "WHEN", "THEN", "ELSE", "END", "IS", "NULL", "BY", "ASC", "DESC", "ASCENDING",
    "DESCENDING", "CONTAINS", "STARTS", "ENDS", "MATCH", "OPTIONAL", "SKIP", "LIMIT", "ORDER",
    "TRUE", "FALSE",
}  # fmt: skip
_POINTS = {"somaLocation", "tosomaLocation", "rootLocation"}
_AXES = {"x": 1, "y": 2, "z": 3}
_BODY_LABELS = {"Neuron", "Segment"}


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, its text and where it starts (1-based line and column)."""

    kind: str  # ws, ident, name (backquoted), string, number, param, op
    text: str
    line: int
    column: int
    value: Any = None  # a string's or a backquoted name's decoded value


@dataclass
class Translation:
    """Ladybug Cypher for one neuPrint query, with the parameters its string literals became."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)
    #: result columns holding roiInfo JSON text that neuPrint returns as a map (parse them)
    json_columns: list[str] = field(default_factory=list)


def tokenize(query: str) -> list[Token]:
    """Split neuPrint Cypher into tokens (whitespace and comments included, as ``ws``).

    Example:
        >>> [t.text for t in tokenize("RETURN n.`MB(R)` // c") if t.kind != "ws"]
        ['RETURN', 'n', '.', '`MB(R)`']
    """
    tokens: list[Token] = []
    i, line, col = 0, 1, 1
    n = len(query)
    while i < n:
        start, c = i, query[i]
        if c.isspace():
            while i < n and query[i].isspace():
                i += 1
            kind, value = "ws", None
        elif query.startswith("//", i):
            while i < n and query[i] != "\n":
                i += 1
            kind, value = "ws", None
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            if end < 0:
                raise UnsupportedCypher("an unterminated /* comment", query, line, col)
            i, kind, value = end + 2, "ws", None
        elif c in "'\"":
            i, value = _string(query, i, line, col)
            kind = "string"
        elif c == "`":
            end = i + 1
            parts = []
            while True:
                close = query.find("`", end)
                if close < 0:
                    raise UnsupportedCypher("an unterminated `name`", query, line, col)
                parts.append(query[end:close])
                if query.startswith("``", close):
                    parts.append("`")
                    end = close + 2
                    continue
                i = close + 1
                break
            kind, value = "name", "".join(parts)
        elif c.isalpha() or c == "_":
            while i < n and (query[i].isalnum() or query[i] == "_"):
                i += 1
            kind, value = "ident", None
        elif c.isdigit():
            while i < n and (query[i].isalnum() or query[i] == "."):
                if query[i] == "." and not (i + 1 < n and query[i + 1].isdigit()):
                    break
                i += 1
            kind, value = "number", None
        elif c == "$":
            i += 1
            while i < n and (query[i].isalnum() or query[i] == "_"):
                i += 1
            kind, value = "param", None
        else:
            for op in ("=~", "<>", "<=", ">=", "->", "<-", ".."):
                if query.startswith(op, i):
                    i += len(op)
                    break
            else:
                i += 1
            kind, value = "op", None
        text = query[start:i]
        tokens.append(Token(kind, text, line, col, value))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            col = len(text) - text.rfind("\n")
        else:
            col += len(text)
    return tokens


def _string(query: str, i: int, line: int, col: int) -> tuple[int, str]:
    quote = query[i]
    i += 1
    out: list[str] = []
    escapes = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'"}
    escapes['"'] = '"'
    while i < len(query):
        c = query[i]
        if c == quote:
            text = "".join(out)
            if any("\ud800" <= ch <= "\udfff" for ch in text):  # \uD83D\uDE00: one character
                try:
                    text = text.encode("utf-16", "surrogatepass").decode("utf-16")
                except UnicodeDecodeError:
                    raise UnsupportedCypher(
                        "a string with a lone surrogate (the embedded engine stores UTF-8)",
                        query,
                        line,
                        col,
                    ) from None
            return i + 1, text
        if c == "\\" and i + 1 < len(query):
            nxt = query[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
                continue
            if nxt == "u" and len(query) >= i + 6:
                try:
                    out.append(chr(int(query[i + 2 : i + 6], 16)))
                except ValueError:
                    raise UnsupportedCypher("a malformed \\u escape", query, line, col) from None
                i += 6
                continue
            raise UnsupportedCypher(f"the string escape \\{nxt}", query, line, col)
        out.append(c)
        i += 1
    raise UnsupportedCypher("an unterminated string", query, line, col)


class _Translator:
    def __init__(self, query: str, rois: Collection[str], properties: Collection[str]) -> None:
        self.query = query
        self.rois = set(rois)
        self.properties = set(properties) | {"roiInfo"}
        every = tokenize(query)
        self.tokens = [t for t in every if t.kind != "ws"]
        self.ws = _whitespace_after(every)
        self.pos = 0
        self.out: list[str] = []
        self.params: dict[str, Any] = {}
        self.nodes: set[str] = set()  # node variables
        self.edges: dict[str, tuple[str | None, str | None]] = {}  # ConnectsTo var -> (pre, post)
        self.maps: dict[str, str] = {}  # a variable holding a roiInfo map -> "node" or "edge"
        self.unwound = False
        self.anonymous = False  # an unnamed node or relationship in a pattern
        self.scope: list[str] = []  # variables in scope, in order
        self.clause_start: int | None = None  # where the current WITH/RETURN starts in out
        self.made_map = ""  # set by a fromJsonMap just translated: "node" or "edge"
        self.item: Token | None = None  # the first token of the RETURN item being read
        self.json_columns: list[str] = []
        self.bound: set[str] = set()  # variables bound before the current MATCH
        self.unlabeled: list[tuple[str | None, Token]] = []  # in the current MATCH
        self.optional: set[str] = set()  # ConnectsTo variables of an OPTIONAL MATCH
        self.synapses: set[str] = set()  # :Synapse variables
        self.last_synapse = False  # the node pattern just read was a :Synapse
        self.lambdas = 0  # inside [x IN list WHERE ... | ...] (a Ladybug lambda: no $params)

    # -- helpers ------------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token | None:
        j = self.pos + k
        return self.tokens[j] if j < len(self.tokens) else None

    def is_(self, text: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind in ("ident", "op") and t.text.upper() == text.upper()

    def fail(self, construct: str, token: Token | None = None) -> UnsupportedCypher:
        t = token or self.peek() or (self.tokens[-1] if self.tokens else None)
        line, col = (t.line, t.column) if t is not None else (1, 1)
        return UnsupportedCypher(construct, self.query, line, col)

    def emit(self, text: str) -> None:
        self.out.append(text)

    def take(self) -> Token:
        t = self.tokens[self.pos]
        self.pos += 1
        return t

    def copy(self) -> Token:
        t = self.take()
        self.emit(t.text + self.ws[id(t)])
        return t

    def sep(self, t: Token) -> str:
        return self.ws[id(t)]

    # -- clauses ------------------------------------------------------------------------------
    def run(self) -> Translation:
        while self.peek() is not None:
            t = self.peek()
            assert t is not None
            word = t.text.upper() if t.kind == "ident" else ""
            if word in _REFUSED_CLAUSES:
                raise self.fail(_REFUSED_CLAUSES[word], t)
            if word == "OPTIONAL" or word == "MATCH":
                self.match()
            elif word in ("WITH", "RETURN"):
                self.projection(word)
            elif word == "UNWIND":
                self.clause_start = None
                self.unwound = True
                self.copy()
                self.expression(stop=set(), stop_words={"AS"})
                if not self.is_("AS"):
                    raise self.fail("UNWIND without AS")
                self.copy()
                alias = self.copy()
                self.scope.append(alias.value or alias.text)
                self.maps.pop(alias.value or alias.text, None)
            elif word in _CLAUSES:
                self.clause_start = None
                self.copy()
                self.expression_until_clause()
            elif t.text == ";":
                raise self.fail("several statements separated by ';'", t)
            else:
                raise self.fail(f"{t.text!r} where a clause (MATCH, WITH, RETURN...) starts", t)
        return Translation("".join(self.out).strip(), self.params, self.json_columns)

    def match(self) -> None:
        if self.is_("OPTIONAL"):
            self.copy()
        if not self.is_("MATCH"):
            raise self.fail("OPTIONAL without MATCH")
        optional = self.pos > 0 and self.tokens[self.pos - 1].text.upper() == "OPTIONAL"
        self.copy()
        self.clause_start = None
        self.bound = set(self.scope)
        self.unlabeled = []
        rels = 0
        last_node: str | None = None
        edge: tuple[str | None, bool] | None = None  # (variable, points right) awaiting its end
        while self.peek() is not None:
            t = self.peek()
            assert t is not None
            if t.kind == "ident" and t.text.upper() in _CLAUSES | set(_REFUSED_CLAUSES):
                break
            if t.text == "(":
                pending = len(self.unlabeled)
                var = self.node_pattern()
                if self.last_synapse and (edge is not None or self.is_("-") or self.is_("<-")):
                    raise self.fail(
                        "a :Synapse in a relationship pattern (the embedded engine answers "
                        ":Synapse nodes on their own: MATCH (s:Synapse) WHERE ...)",
                        t,
                    )
                if len(self.unlabeled) > pending and (
                    edge is not None or self.is_("-") or self.is_("<-")
                ):
                    self.unlabeled.pop()  # an end of a :ConnectsTo: a body
                if edge is not None:
                    name, right = edge
                    if name is not None:
                        self.edges[name] = (last_node, var) if right else (var, last_node)
                    edge = None
                last_node = var
            elif t.text in ("-", "<-"):
                left = self.copy().text == "<-"
                if not self.is_("["):
                    raise self.fail("a relationship without brackets (write -[:ConnectsTo]->)", t)
                if rels:
                    raise self.fail(
                        "two relationships in one MATCH (Neo4j never uses one relationship twice "
                        "in a MATCH; the engine may): write one MATCH per relationship",
                        t,
                    )
                rels += 1
                name = self.rel_pattern()
                right = self.is_("->")
                if left == right or not (self.is_("->") or self.is_("-")):
                    raise self.fail("an undirected or two-way relationship", t)
                self.copy()
                edge = (name, right)
            elif t.kind == "ident" and t.text.lower() in ("shortestpath", "allshortestpaths"):
                raise self.fail(f"{t.text}(...)", t)
            elif t.text == ",":
                self.copy()
            elif t.kind == "ident" and self.is_("=", 1):
                raise self.fail("a named path (p = ...)", t)
            else:
                raise self.fail(f"{t.text!r} in a MATCH pattern", t)
        for _, token in self.unlabeled:
            raise self.fail(
                "a node without a label that is not the end of a :ConnectsTo (write "
                "(n:Neuron) or (n:Segment))",
                token,
            )
        if optional:
            self.optional |= {e for e in self.edges if e not in self.bound}

    def node_pattern(self) -> str | None:
        start = self.copy()  # (
        var: str | None = None
        if self.peek() is not None and self.peek().kind in ("ident", "name"):  # type: ignore[union-attr]
            var = self.take().value or self.tokens[self.pos - 1].text
            tok = self.tokens[self.pos - 1]
            self.emit(tok.text + self.sep(tok))
            self.nodes.add(var)
            if var not in self.scope:
                self.scope.append(var)
        else:
            self.anonymous = True
        labels: list[Token] = []
        while self.is_(":"):
            self.take()
            if self.peek() is None or self.peek().kind not in ("ident", "name"):  # type: ignore[union-attr]
                raise self.fail("a label that is not a name")
            labels.append(self.take())
        self.last_synapse = False
        if labels:
            names = {lab.value or lab.text for lab in labels}
            if "Synapse" in names:
                return self.synapse_pattern(var, names, labels)
            other = sorted(names - _BODY_LABELS)
            if other:
                bad = next(lab for lab in labels if (lab.value or lab.text) == other[0])
                alone = (
                    "; it answers a query of the :Meta node alone: MATCH (m:Meta) RETURN ..."
                    if other[0] == "Meta"
                    else ""
                )
                raise self.fail(
                    f"the node label :{other[0]} (the embedded engine answers neuPrint's "
                    f":Neuron and :Segment{alone})",
                    bad,
                )
            self.emit(":Neuron" if "Neuron" in names else ":Neuron:Segment")
            self.emit(self.sep(labels[-1]))
        elif var is None or var not in self.bound:
            self.unlabeled.append((var, start))
        if self.is_("{"):
            self.property_map(self.property_name)
        if not self.is_(")"):
            raise self.fail("this inside a node pattern")
        self.copy()
        return var

    def synapse_pattern(self, var: str | None, names: set[str], labels: list[Token]) -> str | None:
        """The rest of ``(s:Synapse {...})``: neuPrint's synapse node, Ladybug's Synapse table."""
        if names != {"Synapse"}:
            other = next(lab for lab in labels if (lab.value or lab.text) != "Synapse")
            raise self.fail(f"the label :{other.value or other.text} together with :Synapse", other)
        self.emit(":Synapse" + self.sep(labels[-1]))
        self.last_synapse = True
        if var is not None:
            self.nodes.discard(var)
            self.synapses.add(var)
        if self.is_("{"):
            self.property_map(self.synapse_map_key)
        if not self.is_(")"):
            raise self.fail("this inside a node pattern")
        self.copy()
        return var

    def property_map(self, column: Callable[[str, Token], str]) -> None:
        """Copy a pattern's ``{key: value, ...}``, each key spelled by ``column``."""
        self.copy()  # {
        while not self.is_("}"):
            key = self.take()
            if key.kind not in ("ident", "name"):
                raise self.fail(f"{key.text!r} as a property name", key)
            name = key.value if key.kind == "name" else key.text
            self.emit(column(name, key) + self.sep(key))
            if not self.is_(":"):
                raise self.fail("a property map entry without ':'")
            self.copy()
            self.expression(stop={",", "}"})
            if self.is_(","):
                self.copy()
        self.copy()

    def synapse_map_key(self, name: str, token: Token) -> str:
        """A key of a ``:Synapse`` pattern's map: only ``type`` and ``confidence``."""
        if name not in ("type", "confidence"):
            raise self.fail(
                f"the property {name!r} in a :Synapse pattern (write type or "
                "confidence here, anything else in WHERE)",
                token,
            )
        return name

    def property_name(self, name: str, token: Token) -> str:
        if name in self.rois:
            return quote_identifier(roi_column(name))
        if name in self.properties:
            return quote_identifier(name)
        raise self.fail(f"the property {name!r} in a pattern (not in this database)", token)

    def rel_pattern(self) -> str | None:
        start = self.copy()  # [
        var: str | None = None
        if self.peek() is not None and self.peek().kind in ("ident", "name"):  # type: ignore[union-attr]
            tok = self.take()
            var = tok.value or tok.text
            self.emit(tok.text + self.sep(tok))
        types: list[Token] = []
        if self.is_(":"):
            self.copy()
            types.append(self.take())
            while self.is_("|"):
                self.take()
                types.append(self.take())
        names = {t.value or t.text for t in types}
        if not types:
            raise self.fail("a relationship without a type (write [:ConnectsTo])", start)
        if names != {"ConnectsTo"}:
            bad = next(t for t in types if (t.value or t.text) != "ConnectsTo")
            raise self.fail(
                f"the relationship type :{bad.value or bad.text} (the embedded engine answers "
                ":ConnectsTo)",
                bad,
            )
        self.emit("ConnectsTo" + self.sep(types[-1]))
        if self.is_("*"):
            raise self.fail("a variable-length relationship (*)")
        if self.is_("{"):
            raise self.fail("a property map on a relationship")
        if not self.is_("]"):
            raise self.fail("this inside a relationship pattern")
        self.copy()
        if var is not None:
            self.edges[var] = (None, None)
            if var not in self.scope:
                self.scope.append(var)
        else:
            self.anonymous = True
        return var

    def projection(self, word: str) -> None:
        self.clause_start = len(self.out)
        self.copy()  # WITH / RETURN
        if self.is_("DISTINCT"):
            self.copy()
        if self.is_("*"):
            self.copy()
            self.expression_until_clause()
            return
        is_return = word == "RETURN"
        stops = {"ORDER", "SKIP", "LIMIT", "WHERE", "UNION"} | _CLAUSES
        scope: list[str] = []
        maps: dict[str, str] = {}
        while True:
            first = self.peek()
            if first is None:
                raise self.fail(f"an empty {word}")
            self.made_map = ""
            self.item = first if is_return else None
            self.expression(stop={","}, stop_words=stops | {"AS"})
            last = self.tokens[self.pos - 1]
            if self.is_("AS"):
                self.copy()
                alias = self.take()
                name = alias.value if alias.kind == "name" else alias.text
                self.emit(alias.text + self.sep(alias))
                scope.append(name)
                if not is_return and not (first is last and (first.value or first.text) == name):
                    self.nodes.discard(name)
                    self.edges.pop(name, None)
                if self.made_map == "json":
                    self.json_columns.append(name)
                elif self.made_map and first.text == "apoc":
                    maps[name] = self.made_map
            else:
                if first is last and first.kind in ("ident", "name"):
                    name = first.value or first.text
                    scope.append(name)
                    if name in self.maps:
                        maps[name] = self.maps[name]
                if is_return:
                    original = self.query_text(first, last)
                    if self.made_map == "json":
                        self.json_columns.append(original)
                    self.out[-1] = self.out[-1].rstrip()
                    self.emit(f" AS {quote_identifier(original)}{self.sep(last)}")
            if self.is_(","):
                self.copy()
                continue
            break
        if not is_return:
            self.scope = scope
            self.maps = maps
        if self.is_("ORDER"):
            self.copy()
            self.expression(stop=set(), stop_words={"SKIP", "LIMIT", "WHERE"})
            if not is_return and not (self.is_("SKIP") or self.is_("LIMIT")):
                self.emit("SKIP 0 ")  # Ladybug orders a WITH only before SKIP/LIMIT
        self.expression_until_clause()

    def edge_roi(self, name: str, token: Token) -> tuple[str, str]:
        """The variables holding connection ``name``'s roiInfo as a map and as JSON text,
        computed from its ConnectsToRoi rows by clauses inserted before this WITH/RETURN."""
        rows, as_map, as_json = f"_roi_rows_{name}", f"_roi_map_{name}", f"_roi_json_{name}"
        if as_map in self.scope:
            return as_map, as_json
        pre, post = self.edges.get(name, (None, None))
        if self.clause_start is None:
            raise self.fail(f"{name}.roiInfo outside WITH or RETURN", token)
        if pre is None or post is None:
            raise self.fail(f"{name}.roiInfo of a connection whose two ends are not named", token)
        if name in self.optional:
            raise self.fail(f"{name}.roiInfo of an OPTIONAL MATCH connection", token)
        if self.unwound or self.anonymous:
            raise self.fail(
                f"{name}.roiInfo after an UNWIND or with an unnamed node or relationship in the "
                "pattern (rows could merge when the per-ROI weights are gathered)",
                token,
            )
        if name not in self.scope or pre not in self.scope or post not in self.scope:
            raise self.fail(
                f"{name}.roiInfo where {name} and its two ends are not all in scope", token
            )
        b, b2, q, q2 = (self.param("\\"), self.param("\\\\"), self.param('"'), self.param('\\"'))
        key = f"replace(replace({rows}.roi, {b}, {b2}), {q}, {q2})"
        post_text = f"'\"post\": ' + cast({rows}.weight AS STRING)"
        counts = (
            f"CASE WHEN {rows}.pre IS NULL THEN {post_text} ELSE '\"pre\": ' + "
            f"cast({rows}.pre AS STRING) + ', ' + {post_text} END"
        )
        entry = f"'\"' + {key} + '\": {{' + {counts} + '}}'"
        keep = ", ".join(quote_identifier(v) for v in self.scope)
        # neuPrint's roiInfo has no NotPrimary entry: the store's remainder rows are left out
        not_primary = self.param(NOT_PRIMARY)
        # every collected item is null (so skipped) for a missing row and for NotPrimary,
        # which keeps the key and value lists aligned
        real = f"{rows}.roi <> {not_primary}"
        self.out.insert(
            self.clause_start,
            f"OPTIONAL MATCH ({pre})-[{rows}:ConnectsToRoi]->({post})\n"
            f"WITH {keep}, map(collect(CASE WHEN {real} THEN {rows}.roi END), "
            f"collect(CASE WHEN {real} THEN {{pre: {rows}.pre, post: {rows}.weight}} END)) "
            f"AS {as_map}, "
            f"'{{' + list_to_string(', ', collect(CASE WHEN {real} THEN {entry} END)) + '}}' "
            f"AS {as_json}\n",
        )
        self.clause_start += 1
        self.scope = [*self.scope, as_map, as_json]
        return as_map, as_json

    def check_fromjsonmap(self) -> None:
        words = [self.peek(k) for k in range(6)]
        texts = [w.text if w is not None else "" for w in words]
        if texts[:5] != ["apoc", ".", "convert", ".", "fromJsonMap"] or texts[5] != "(":
            raise self.fail(f"the procedure or function apoc.{texts[2]}")

    def expression_until_clause(self) -> None:
        self.expression(stop=set(), stop_words=_CLAUSES | set(_REFUSED_CLAUSES))

    def expression(self, stop: set[str], stop_words: Iterable[str] = ()) -> None:
        """Translate tokens up to a ``stop`` token at depth 0 (or a clause word)."""
        words = {w.upper() for w in stop_words} | _CLAUSES | set(_REFUSED_CLAUSES)
        depth = 0
        while self.peek() is not None:
            t = self.peek()
            assert t is not None
            if (
                t.kind == "ident"
                and t.text.upper() == "WITH"
                and self.pos > 0
                and self.tokens[self.pos - 1].text.upper() in ("STARTS", "ENDS")
            ):
                self.copy()  # STARTS WITH / ENDS WITH: an operator, not the WITH clause
                continue
            if depth == 0 and (t.text in stop or (t.kind == "ident" and t.text.upper() in words)):
                return
            if t.text == ";":
                return
            if t.kind == "ident" and t.text.upper() in ("ORDER", "SKIP", "LIMIT") and depth == 0:
                return
            if depth > 0 and t.kind == "ident" and t.text.upper() in _SUBQUERY_WORDS:
                raise self.fail(f"a subquery ({t.text} inside an expression)", t)
            if (
                t.text == "["
                and self.peek(1) is not None
                and self.peek(1).kind in ("ident", "name")  # type: ignore[union-attr]
                and self.is_("IN", 2)
            ):
                self.comprehension()
                continue
            if t.text in ("(", "[", "{"):
                depth += 1
            elif t.text in (")", "]", "}"):
                if depth == 0:
                    return
                depth -= 1
            self.term(t)

    def term(self, t: Token) -> None:
        if t.kind == "string":
            self.take()
            self.emit(self.param(t.value) + self.sep(t))
        elif t.kind == "param":
            raise self.fail("a $parameter (neuPrint's custom queries take none)", t)
        elif t.text == "=~":
            self.copy()
            pat = self.peek()
            if pat is None or pat.kind != "string":
                raise self.fail("=~ with a pattern that is not a string literal", pat or t)
            self.take()
            try:
                pattern = _LADYBUG.regex(pat.value)
            except NeuprintDSLError as err:
                reason = str(err).splitlines()[0]
                raise self.fail(f"this regular expression ({reason})", pat) from None
            self.emit(self.param(pattern) + self.sep(pat))
        elif t.kind == "ident" and t.text.lower() == "exists" and self.is_("(", 1):
            self.take()
            self.take()
            self.emit("(")
            inner = self.peek()
            if inner is None or inner.text == "(":
                raise self.fail("exists() of a pattern", inner or t)
            self.expression(stop={")"})
            if not self.is_(")"):
                raise self.fail("exists( without its closing parenthesis", t)
            close = self.take()
            self.out[-1] = self.out[-1].rstrip()
            self.emit(f" IS NOT NULL){self.sep(close)}")
        elif t.kind == "ident" and t.text == "apoc" and self.is_(".", 1):
            self.node_map(t)
        elif (
            t.kind == "ident"
            and t.text.lower() == "keys"
            and self.is_("(", 1)
            and self.peek(2) is not None
            and (self.peek(2).value or self.peek(2).text) in self.synapses  # type: ignore[union-attr]
            and self.is_(")", 3)
        ):
            self.synapse_keys()
        elif t.kind == "ident" and t.text.lower() == "keys" and self.is_("(", 1):
            arg = self.peek(2)
            if arg is None or (arg.value or arg.text) not in self.maps or not self.is_(")", 3):
                raise self.fail("keys() of anything but a roiInfo map", t)
            self.take()
            self.take()
            self.take()
            close = self.take()
            self.emit(f"map_keys({arg.text}){self.sep(close)}")
        elif t.kind == "ident" and self.is_(".", 1) and self.is_("(", 3):
            raise self.fail("a namespaced function or procedure", t)
        elif (
            t.kind == "ident"
            and self.is_("(", 1)
            and t.text.upper() not in _KEYWORDS
            and t.text.lower() not in _SAME_FUNCTIONS
        ):
            raise self.fail(
                f"the function {t.text}() (not one checked to answer as in neuPrint: "
                f"{', '.join(sorted(_SAME_FUNCTIONS))})",
                t,
            )
        elif t.text == "[" and self.pos > 0 and self.tokens[self.pos - 1].text in ("-", "<-"):
            raise self.fail("a pattern inside an expression", t)
        elif t.text == "[" and self.pos > 0 and self._indexes(self.tokens[self.pos - 1]):
            raise self.fail("a list index or slice (neuPrint counts from 0, the engine from 1)", t)
        elif t.kind == "ident" and t.text.upper() == "CONTAINS":
            rhs = self.peek(1)
            if rhs is None or rhs.kind != "string":
                raise self.fail(
                    "CONTAINS with an operand that is not a string literal (the engine's "
                    "CONTAINS '' is false)",
                    t,
                )
            self.take()
            self.emit(("STARTS WITH" if rhs.value == "" else t.text) + self.sep(t))
        elif t.kind in ("ident", "name") and (t.value or t.text) in self.maps and self.is_("[", 1):
            self.map_lookup(t)
        elif t.kind in ("ident", "name") and self.is_(".", 1) and (t.value or t.text) in self.nodes:
            self.node_property(t)
        elif (
            t.kind in ("ident", "name")
            and self.is_(".", 1)
            and (t.value or t.text) in self.synapses
        ):
            self.synapse_property(t)
        elif t.kind in ("ident", "name") and self.is_(".", 1) and (t.value or t.text) in self.edges:
            self.edge_property(t)
        elif t.text == ":" and self.pos > 0 and self.tokens[self.pos - 1].kind in ("ident", "name"):
            prev = self.tokens[self.pos - 1]
            if (prev.value or prev.text) in self.nodes | set(self.edges):
                raise self.fail("a label test (n:Label) in an expression", t)
            self.copy()
        else:
            self.copy()

    @staticmethod
    def _indexes(prev: Token) -> bool:
        """Whether ``[`` after ``prev`` indexes a value (rather than starting a list)."""
        if prev.kind == "ident":
            return prev.text.upper() not in _KEYWORDS
        return prev.kind in ("name", "string") or prev.text in (")", "]", "}")

    def node_map(self, t: Token) -> None:
        """``apoc.convert.fromJsonMap(n.roiInfo)`` (a neuron's counts, from its parallel lists)
        or ``apoc.convert.fromJsonMap(e.roiInfo)`` (a connection's, from ConnectsToRoi rows)."""
        self.check_fromjsonmap()
        var, dot, prop, close = (self.peek(k) for k in range(6, 10))
        name = (var.value or var.text) if var is not None else ""
        if (
            var is None
            or name not in self.nodes | set(self.edges)
            or dot is None
            or dot.text != "."
            or prop is None
            or prop.text != "roiInfo"
            or close is None
            or close.text != ")"
        ):
            raise self.fail("apoc.convert.fromJsonMap of anything but n.roiInfo or e.roiInfo", t)
        if name in self.edges:
            as_map, _ = self.edge_roi(name, t)
            for _ in range(10):
                self.take()
            self.emit(as_map + self.sep(close))
            self.made_map = "edge"
            self._no_lookup()
            return
        for _ in range(10):
            self.take()
        v = var.text
        after = self.peek()
        if self.item is t and (
            after is None or after.text in (",", ";") or after.text.upper() in _CLAUSES | {"AS"}
        ):
            # a whole RETURN item: neuPrint's full map (every count), from the stored JSON
            self.emit(f"{v}.roiInfo{self.sep(close)}")
            self.made_map = "json"
            return
        self.emit(
            f"map({v}.roiNames, list_transform(range(1, size({v}.roiNames)), "
            f"_i -> {{pre: {v}.roiPre[_i], post: {v}.roiPost[_i]}})){self.sep(close)}"
        )
        self.made_map = "node"
        self._no_lookup()

    def _no_lookup(self) -> None:
        if self.is_(".") or self.is_("["):
            raise self.fail(
                "a lookup on apoc.convert.fromJsonMap(...) (bind it with AS in a WITH first)"
            )

    def map_lookup(self, t: Token) -> None:
        kind = self.maps[t.value or t.text]
        self.take()
        self.take()  # [
        self.emit(f"struct_extract(map_extract({t.text}, ")
        self.expression(stop={"]"})
        self.take()  # ]
        if self.is_("."):
            self.take()
            key_tok = self.take()
            key = key_tok.value or key_tok.text
        elif self.is_("[") and self.peek(1) is not None and self.peek(1).kind == "string":  # type: ignore[union-attr]
            self.take()
            key_tok = self.take()
            key = key_tok.value
            if not self.is_("]"):
                raise self.fail("this in roiInfo[roi][...]")
            self.take()
        else:
            raise self.fail("roiInfo[roi] without ['pre'] / ['post'] / .pre / .post", t)
        allowed = ("pre", "post") if kind == "node" else ("post",)
        if key not in allowed:
            what = "a neuron's" if kind == "node" else "a connection's"
            raise self.fail(
                f"the per-ROI count {key!r} of {what} roiInfo (this database stores "
                f"{' and '.join(allowed)})",
                key_tok,
            )
        end = self.tokens[self.pos - 1]
        self.out[-1] = self.out[-1].rstrip()
        self.emit(f")[1], '{key}'){self.sep(end)}")

    def node_property(self, t: Token) -> None:
        self.take()
        self.take()  # .
        prop_tok = self.take()
        if prop_tok.kind not in ("ident", "name"):
            raise self.fail("a property name after '.'", prop_tok)
        name = prop_tok.value if prop_tok.kind == "name" else prop_tok.text
        if name in self.rois:
            text = f"{t.text}.{quote_identifier(roi_column(name))}"
        elif name in self.properties:
            text = f"{t.text}.{quote_identifier(name)}"
        else:
            text = "NULL"  # neuPrint: a property a node does not have reads as null
        end = prop_tok
        if name in _POINTS and self.is_("."):
            axis_tok = self.peek(1)
            axis = axis_tok.text if axis_tok is not None else ""
            if axis not in _AXES:
                raise self.fail(f"the point field .{axis} (use .x, .y or .z)", axis_tok)
            self.take()
            end = self.take()
            text = f"{text}[{_AXES[axis]}]" if text != "NULL" else "NULL"
        elif self.is_("."):
            raise self.fail(f"a field of {t.text}.{name}", self.peek())
        self.emit(text + self.sep(end))

    def edge_property(self, t: Token) -> None:
        self.take()
        self.take()
        prop_tok = self.take()
        name = prop_tok.value if prop_tok.kind == "name" else prop_tok.text
        if name in ("weight", "weightHP"):
            self.emit(f"{t.text}.{name}{self.sep(prop_tok)}")
        elif name == "roiInfo":
            _, as_json = self.edge_roi(t.value or t.text, t)
            self.emit(as_json + self.sep(prop_tok))
        else:
            self.emit("NULL" + self.sep(prop_tok))

    def synapse_property(self, t: Token) -> None:
        """``s.type``, ``s.confidence``, ``s.location`` (``.x``...) and ROI flags of a synapse
        (true or null, as neuPrint stores them); any other name reads as null."""
        self.take()
        self.take()  # .
        prop_tok = self.take()
        if prop_tok.kind not in ("ident", "name"):
            raise self.fail("a property name after '.'", prop_tok)
        name = prop_tok.value if prop_tok.kind == "name" else prop_tok.text
        end = prop_tok
        v = t.text
        if name in ("type", "confidence"):
            text = f"{v}.{name}"
        elif name == "location":
            if self.is_("."):
                axis_tok = self.peek(1)
                axis = axis_tok.text if axis_tok is not None else ""
                if axis not in _AXES:
                    raise self.fail(f"the point field .{axis} (use .x, .y or .z)", axis_tok)
                self.take()
                end = self.take()
                text = f"{v}.{axis}"
            else:
                text = f"[{v}.x, {v}.y, {v}.z]"
        elif name in self.rois:
            text = f"(CASE WHEN list_contains({v}.rois, {self.param(name)}) THEN true END)"
        else:
            text = "NULL"  # neuPrint: a property a node does not have reads as null
        if self.is_("."):
            raise self.fail(f"a field of {v}.{name}", self.peek())
        self.emit(text + self.sep(end))

    def synapse_keys(self) -> None:
        """``keys(s)`` of a synapse: the names of the properties neuPrint's node would have
        (type, location, confidence when set, and a flag per ROI it lies in)."""
        self.take()
        self.take()  # (
        arg = self.take()
        close = self.take()
        v = arg.text
        none = "CAST([] AS STRING[])"
        self.emit(
            f"list_concat(list_concat(['type', 'location'], CASE WHEN {v}.confidence IS NULL "
            f"THEN {none} ELSE ['confidence'] END), coalesce({v}.rois, {none})){self.sep(close)}"
        )

    def comprehension(self) -> None:
        """``[x IN list WHERE p | e]`` as Ladybug's ``list_transform(list_filter(list, x -> p),
        x -> e)``."""
        self.take()  # [
        var_tok = self.take()
        var = var_tok.value or var_tok.text
        self.take()  # IN
        if var in self.nodes or var in self.edges or var in self.synapses or var in self.maps:
            raise self.fail(f"a comprehension variable {var!r} that hides a variable", var_tok)
        name = quote_identifier(var)
        start = len(self.out)
        self.expression(stop={"|", "]"}, stop_words={"WHERE"})
        source = "".join(self.out[start:]).strip()
        del self.out[start:]
        self.lambdas += 1
        try:
            if self.is_("WHERE"):
                self.take()
                self.expression(stop={"|", "]"})
                predicate = "".join(self.out[start:]).strip()
                del self.out[start:]
                source = f"list_filter({source}, {name} -> {predicate})"
            if self.is_("|"):
                self.take()
                self.expression(stop={"]"})
                projection = "".join(self.out[start:]).strip()
                del self.out[start:]
                source = f"list_transform({source}, {name} -> {projection})"
        finally:
            self.lambdas -= 1
        if not self.is_("]"):
            raise self.fail("this inside a list comprehension")
        close = self.take()
        self.emit(source + self.sep(close))

    def param(self, value: Any) -> str:
        if self.lambdas:  # Ladybug cannot read a $parameter inside a lambda
            return _LADYBUG.literal(value)
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def query_text(self, first: Token, last: Token) -> str:
        lines = self.query.split("\n")
        start = sum(len(x) + 1 for x in lines[: first.line - 1]) + first.column - 1
        end = sum(len(x) + 1 for x in lines[: last.line - 1]) + last.column - 1 + len(last.text)
        return self.query[start:end]


def _whitespace_after(tokens: list[Token]) -> dict[int, str]:
    out: dict[int, str] = {}
    last: Token | None = None
    for t in tokens:
        if t.kind == "ws":
            if last is not None:
                out[id(last)] += " " if "//" in t.text or "/*" in t.text else t.text
        else:
            out[id(t)] = ""
            last = t
    return out


def translate(query: str, *, rois: Collection[str], properties: Collection[str]) -> Translation:
    """Translate neuPrint Cypher into the embedded engine's Cypher.

    ``rois`` are the database's ROI names and ``properties`` its neuron properties (what
    ``n.name`` may read; any other name reads as null, as in neuPrint). Raises
    :class:`~neuprint_dsl.errors.UnsupportedCypher` for anything not translated.

    Example:
        >>> translate("MATCH (n:Neuron) WHERE n.type = 'APL' RETURN n.bodyId AS id",
        ...           rois=(), properties={"bodyId", "type"}).params
        {'p0': 'APL'}
    """
    return _Translator(query, rois, properties).run()


def neuprint_nodes(frame: pd.DataFrame, rois: Collection[str]) -> pd.DataFrame:
    """Give node-valued columns neuPrint's shape: ROI flags under their own names (only the
    true ones, as neuPrint stores them), no engine-internal keys (``_ID``, ``roiNames``...).
    Missing properties stay as ``None``, so every node has the database's property names.

    Example:
        >>> f = pd.DataFrame({"n": [{"_ID": 1, "_LABEL": "Neuron", "bodyId": 5,
        ...                          "type": None, "roi:^e^b": True, "roiNames": ["EB"]}]})
        >>> neuprint_nodes(f, {"EB"})["n"][0]
        {'bodyId': 5, 'type': None, 'EB': True}
    """
    names = {roi_column(r): r for r in rois}
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column].tolist()
        if not any(isinstance(v, dict) and "_LABEL" in v for v in values):
            continue
        shaped = []
        for v in values:
            if not isinstance(v, dict):
                shaped.append(v)
                continue
            if v["_LABEL"] == "Synapse":
                shaped.append(_synapse_node(v))
                continue
            node: dict[str, Any] = {}
            for key, value in v.items():
                if key.startswith("_") or key in ("roiNames", "roiPre", "roiPost"):
                    continue
                if key.startswith("roi:"):
                    if value:
                        node[names.get(key, key[4:])] = True
                    continue
                node[key] = value
            shaped.append(node)
        frame[column] = pd.Series(shaped, dtype=object, index=frame.index)
    return frame


def _synapse_node(row: Mapping[str, Any]) -> dict[str, Any]:
    """A Synapse row as neuPrint's node: type, confidence, location and a flag per ROI."""
    node: dict[str, Any] = {"type": row.get("type")}
    if row.get("confidence") is not None:
        node["confidence"] = row["confidence"]
    node["location"] = [row.get("x"), row.get("y"), row.get("z")]
    for roi in row.get("rois") or ():
        node[roi] = True
    return node


def run_neuprint_cypher(
    database: Any,
    query: str,
    meta: Callable[[], Mapping[str, Any]] | None = None,
    *,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Run neuPrint Cypher on an :class:`~neuprint_dsl.transports.ladybug.Embedded` database:
    translated, run, node columns shaped as neuPrint's (what ``fetch_custom`` does there).
    A query of the ``:Meta`` node alone is answered by :func:`meta_frame` from ``meta()``
    (default: :func:`~neuprint_dsl.embedded.meta.embedded_meta` of the database);
    ``CALL apoc.cypher.runTimeboxed(...)`` runs its inner query with that deadline
    (:func:`timeboxed_call`). ``timeout`` (seconds) bounds the engine's run:
    :class:`~neuprint_dsl.errors.QueryTimeout` when it is exceeded.

    Example:
        >>> import tempfile
        >>> from neuprint_dsl.embedded import load
        >>> from neuprint_dsl.embedded.sample import generate_sample
        >>> from neuprint_dsl.transports.ladybug import Embedded
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_sample(tmp, neurons=30, edges=60, seed=1)
        ...     with Embedded(load(tmp, f"{tmp}/g.lbug")) as db:
        ...         f = run_neuprint_cypher(db, "MATCH (n:Segment) RETURN count(n)")
        >>> list(f.columns), int(f.iloc[0, 0])
        (['count(n)'], 30)
    """
    if meta is None:

        def meta() -> Mapping[str, Any]:
            return embedded_meta(database)

    given = meta

    def with_stored() -> Mapping[str, Any]:
        # neuPrint's Meta properties the database keeps that the given dict may lack
        stored = database.meta
        return {**{k: stored[k] for k in _META_STORED if k in stored}, **given()}

    boxed = timeboxed_call(query)
    if boxed is not None:
        try:
            inner = run_neuprint_cypher(database, boxed.query, meta, timeout=boxed.timeout)
        except QueryTimeout:
            # apoc.cypher.runTimeboxed ends the query at the deadline and yields the rows
            # produced until then; the embedded engine produces its rows at the end: none
            return pd.DataFrame({alias: pd.Series([], dtype=object) for _, alias in boxed.items})
        return boxed.project(inner)
    answer = meta_frame(query, with_stored)
    if answer is not None:
        return answer
    rois = list(database.meta.get("rois", ()))
    translation = translate(query, rois=rois, properties=database.meta.get("neuronProperties", {}))
    if timeout is None:
        frame = database.fetch_custom(translation.text, translation.params)
    else:
        frame = database.fetch_custom(translation.text, translation.params, timeout=timeout)
    for column in translation.json_columns:
        if column in frame.columns:
            frame[column] = pd.Series(
                [json.loads(v) if isinstance(v, str) else v for v in frame[column].tolist()],
                dtype=object,
                index=frame.index,
            )
    return neuprint_nodes(frame, rois)


# ---------------------------------------------------------------------------------------
# the :Meta node (answered from the dataset's metadata, not by the engine)

#: Meta properties that neuPrint stores as JSON text (the rest: strings, numbers, lists)
_META_JSON_TEXT = {
    "roiInfo", "roiHierarchy", "neuronProperties", "ntSynapseProperties", "neuroglancerInfo",
    "neuroglancerMeta", "statusDefinitions",
}  # fmt: skip
_FROM_JSON = {"fromJsonMap": dict, "fromJsonList": list}
#: neuPrint Meta properties read from the database's own metadata when the dict lacks them
_META_STORED = ("postHighAccuracyThreshold",)


def neuprint_meta_node(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The ``:Meta`` node as neuPrint stores it, from a parsed Meta dict (``Client.meta``):
    JSON text for ``roiInfo``, ``roiHierarchy``, ``neuronProperties``... (and any other map),
    lists and numbers as they are; a missing (``None``) value is not a property.

    Example:
        >>> neuprint_meta_node({"dataset": "d", "primaryRois": ["EB"], "roiHierarchy": None,
        ...                     "roiInfo": {"EB": {"pre": 1, "post": 2}}})
        {'dataset': 'd', 'primaryRois': ['EB'], 'roiInfo': '{"EB": {"pre": 1, "post": 2}}'}
    """
    node: dict[str, Any] = {}
    for key, value in meta.items():
        if value is None:
            continue
        if isinstance(value, dict) or (key in _META_JSON_TEXT and not isinstance(value, str)):
            value = json.dumps(value)
        node[key] = value
    return node


def _meta_query(query: str) -> list[tuple[str, Any]] | None:
    """How a query that reads only the ``:Meta`` node is answered, or ``None`` when it does
    not start with ``MATCH (x:Meta)``: the result columns, each with a function of the node."""
    tokens = [t for t in tokenize(query) if t.kind != "ws"]
    texts = [t.value if t.kind == "name" else t.text for t in tokens[:6]]
    if (
        len(tokens) < 6
        or tokens[0].kind != "ident"
        or texts[0].upper() != "MATCH"
        or texts[1] != "("
        or tokens[2].kind not in ("ident", "name")
        or texts[3:6] != [":", "Meta", ")"]
    ):
        return None
    reader = _MetaReader(query, tokens, texts[2])
    return reader.read()


class _MetaReader:
    """``MATCH (m:Meta) [WITH items] RETURN items``, each item ``m``, ``m.prop``,
    ``apoc.convert.fromJsonMap(m.prop)`` / ``fromJsonList(m.prop)`` or a name bound by the
    WITH, with an optional ``AS``; anything else is refused."""

    def __init__(self, query: str, tokens: list[Token], node: str) -> None:
        self.query, self.tokens, self.pos = query, tokens, 6
        self.scope: dict[str, Any] = {node: lambda m: m}  # name -> function of the node
        self.nodes = {node}

    def fail(self, construct: str, token: Token | None = None) -> UnsupportedCypher:
        t = token or (self.tokens[self.pos] if self.pos < len(self.tokens) else self.tokens[-1])
        return UnsupportedCypher(
            f"{construct} in a query of the :Meta node (only MATCH (m:Meta) with RETURN, and "
            "an optional WITH, of m, m.property or apoc.convert.fromJsonMap/fromJsonList of "
            "m.property)",
            self.query,
            t.line,
            t.column,
        )

    def peek(self, k: int = 0) -> Token | None:
        j = self.pos + k
        return self.tokens[j] if j < len(self.tokens) else None

    def word(self, k: int = 0) -> str:
        t = self.peek(k)
        return t.text.upper() if t is not None and t.kind == "ident" else ""

    def read(self) -> list[tuple[str, Any]]:
        if self.word() == "WITH":
            self.pos += 1
            items = self.items()
            self.scope = dict(items)
            self.nodes = {name for name, f in items if getattr(f, "is_node", False)}
        if self.word() != "RETURN":
            after = self.peek()
            raise self.fail(repr(after.text) if after is not None else "a query without RETURN")
        self.pos += 1
        items = self.items()
        if self.peek() is not None:
            raise self.fail(repr(self.peek().text))  # type: ignore[union-attr]
        return items

    def items(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        while True:
            first = self.peek()
            if first is None:
                raise self.fail("an empty WITH or RETURN")
            f = self.expression()
            last = self.tokens[self.pos - 1]
            if self.word() == "AS":
                alias = self.peek(1)
                if alias is None or alias.kind not in ("ident", "name"):
                    raise self.fail("AS without a name")
                self.pos += 2
                name = alias.value if alias.kind == "name" else alias.text
            else:
                lines = self.query.split("\n")
                start = sum(len(x) + 1 for x in lines[: first.line - 1]) + first.column - 1
                end = sum(len(x) + 1 for x in lines[: last.line - 1]) + last.column - 1
                name = self.query[start : end + len(last.text)]
            if any(name == other for other, _ in out):
                raise self.fail(f"the column name {name!r} twice", first)
            out.append((name, f))
            if self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.pos += 1
                continue
            return out

    def expression(self) -> Any:
        t = self.peek()
        assert t is not None
        name = t.value if t.kind == "name" else t.text
        if t.kind == "ident" and name == "apoc":
            words = [self.peek(k) for k in range(6)]
            texts = [w.text if w is not None else "" for w in words]
            if texts[:4] != ["apoc", ".", "convert", "."] or texts[4] not in _FROM_JSON:
                raise self.fail(f"the function apoc.{texts[2]}.{texts[4]}", t)
            if texts[5] != "(":
                raise self.fail("apoc.convert without its argument", t)
            kind = texts[4]
            self.pos += 6
            read = self.property()
            close = self.peek()
            if close is None or close.text != ")":
                raise self.fail(f"apoc.convert.{kind} of anything but m.property", close)
            self.pos += 1
            want = _FROM_JSON[kind]

            def parsed(m: dict[str, Any]) -> Any:
                text = read(m)
                if text is None:
                    return None
                value = json.loads(text) if isinstance(text, str) else None
                if not isinstance(value, want):
                    raise self.fail(
                        f"apoc.convert.{kind} of a value that is not JSON {kind[8:]}", t
                    )
                return value

            return parsed
        if t.kind in ("ident", "name") and name in self.scope:
            if self.peek(1) is not None and self.peek(1).text == ".":  # type: ignore[union-attr]
                return self.property()
            self.pos += 1
            f = self.scope[name]
            if name in self.nodes:

                def node(m: dict[str, Any]) -> Any:
                    return dict(m)

                node.is_node = True  # type: ignore[attr-defined]
                return node
            return f
        raise self.fail(repr(t.text), t)

    def property(self) -> Any:
        var, dot, prop = self.peek(), self.peek(1), self.peek(2)
        name = (var.value if var.kind == "name" else var.text) if var is not None else ""
        if (
            var is None
            or name not in self.nodes
            or dot is None
            or dot.text != "."
            or prop is None
            or prop.kind not in ("ident", "name")
        ):
            raise self.fail("anything but m.property here", var)
        key = prop.value if prop.kind == "name" else prop.text
        self.pos += 3
        if self.peek() is not None and self.peek().text in (".", "["):  # type: ignore[union-attr]
            raise self.fail(f"a field or an index of {name}.{key}")
        return lambda m: m.get(key)  # neuPrint: a property the node lacks reads as null


def meta_frame(query: str, meta: Callable[[], Mapping[str, Any]]) -> pd.DataFrame | None:
    """Answer a query that reads only the ``:Meta`` node (``MATCH (m:Meta) RETURN m``,
    ``RETURN m.primaryRois AS rois``, neuprint-python's ``fetch_meta`` query...) from the
    parsed Meta dict ``meta()`` (``Client.meta``), shaped as neuPrint stores the node (see
    :func:`neuprint_meta_node`); ``None`` when the query is not about ``:Meta``.

    Example:
        >>> meta = lambda: {"dataset": "d", "neuronProperties": {"bodyId": "int"}}
        >>> meta_frame("MATCH (n:Meta) RETURN n.neuronProperties, n.uuid AS u", meta)
           n.neuronProperties     u
        0  {"bodyId": "int"}  None
        >>> meta_frame("MATCH (n:Neuron) RETURN n", meta) is None
        True
    """
    items = _meta_query(query)
    if items is None:
        return None
    node = neuprint_meta_node(meta())
    return pd.DataFrame([[f(node) for _, f in items]], columns=[name for name, _ in items])


# ---------------------------------------------------------------------------------------
# CALL apoc.cypher.runTimeboxed("inner query", {}, ms) YIELD value RETURN value.x AS y, ...


@dataclass(frozen=True)
class TimeboxedCall:
    """A ``runTimeboxed`` call: the inner query, its deadline, and the ``value.key AS alias``
    items the outer ``RETURN`` reads from each row the inner query yields."""

    query: str
    timeout: float
    items: tuple[tuple[str, str], ...]

    def project(self, inner: pd.DataFrame) -> pd.DataFrame:
        """The outer ``RETURN`` over the inner query's rows (a missing key reads as null)."""
        columns = {
            alias: (
                inner[key] if key in inner.columns else pd.Series([None] * len(inner), dtype=object)
            )
            for key, alias in self.items
        }
        return pd.DataFrame(columns, index=inner.index).reset_index(drop=True)


def timeboxed_call(query: str) -> TimeboxedCall | None:
    """Read ``CALL apoc.cypher.runTimeboxed("...", {}, ms) YIELD value RETURN value.k AS a``
    (what neuprint-python sends to time-box a query), or ``None`` for any other query.
    Anything else around the call is :class:`~neuprint_dsl.errors.UnsupportedCypher`.

    Example:
        >>> call = timeboxed_call('''CALL apoc.cypher.runTimeboxed("MATCH (n:Neuron)
        ...     RETURN count(n) as c", {}, 5000) YIELD value RETURN value.c as count''')
        >>> call.query, call.timeout, call.items
        ('MATCH (n:Neuron)\\n    RETURN count(n) as c', 5.0, (('c', 'count'),))
    """
    tokens = [t for t in tokenize(query) if t.kind != "ws"]
    texts = [t.text for t in tokens]
    if len(tokens) < 6 or [x.upper() for x in texts[:1]] != ["CALL"]:
        return None
    if texts[1:6] != ["apoc", ".", "cypher", ".", "runTimeboxed"]:
        return None

    def fail(construct: str, k: int) -> UnsupportedCypher:
        t = tokens[min(k, len(tokens) - 1)]
        return UnsupportedCypher(construct, query, t.line, t.column)

    def expect(k: int, text: str, what: str) -> None:
        if k >= len(tokens) or tokens[k].text.upper() != text.upper():
            raise fail(what, k)

    expect(6, "(", "apoc.cypher.runTimeboxed without '('")
    if len(tokens) <= 7 or tokens[7].kind != "string":
        raise fail("apoc.cypher.runTimeboxed of anything but a string literal", 7)
    inner = tokens[7].value
    expect(8, ",", "apoc.cypher.runTimeboxed without its parameter map")
    expect(9, "{", "apoc.cypher.runTimeboxed parameters other than {}")
    expect(10, "}", "apoc.cypher.runTimeboxed parameters other than {}")
    expect(11, ",", "apoc.cypher.runTimeboxed without its timeout")
    if len(tokens) <= 12 or tokens[12].kind != "number" or not tokens[12].text.isdigit():
        raise fail("an apoc.cypher.runTimeboxed timeout that is not a whole number of ms", 12)
    milliseconds = int(tokens[12].text)
    expect(13, ")", "apoc.cypher.runTimeboxed with more than three arguments")
    expect(14, "YIELD", "apoc.cypher.runTimeboxed without YIELD value")
    expect(15, "value", "apoc.cypher.runTimeboxed without YIELD value")
    expect(16, "RETURN", "anything but RETURN value.key AS name after YIELD value")
    items: list[tuple[str, str]] = []
    k = 17
    while True:
        if k + 2 >= len(tokens) or texts[k] != "value" or texts[k + 1] != ".":
            raise fail("anything but value.key items after YIELD value ... RETURN", k)
        key_tok = tokens[k + 2]
        if key_tok.kind not in ("ident", "name"):
            raise fail("anything but value.key items after YIELD value ... RETURN", k + 2)
        key = key_tok.value if key_tok.kind == "name" else key_tok.text
        alias = f"value.{key}"
        k += 3
        if k < len(tokens) and texts[k].upper() == "AS":
            if k + 1 >= len(tokens) or tokens[k + 1].kind not in ("ident", "name"):
                raise fail("AS without a name", k)
            alias_tok = tokens[k + 1]
            alias = alias_tok.value if alias_tok.kind == "name" else alias_tok.text
            k += 2
        items.append((key, alias))
        if k < len(tokens) and texts[k] == ",":
            k += 1
            continue
        break
    if k < len(tokens) and not (texts[k] == ";" and k == len(tokens) - 1):
        raise fail(f"{texts[k]!r} after the RETURN of a runTimeboxed call", k)
    return TimeboxedCall(inner, max(milliseconds, 1) / 1000.0, tuple(items))
