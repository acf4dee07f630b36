"""How Cypher is spelled for one engine: quoting, regexes, functions, engine quirks.

A syntax answers questions whose answer depends on the engine alone, never on where the
data lives: how to read a property or name a result column, how a literal is quoted, what a
regex must look like for the engine's ``=~``, how an aggregate or a list test is written,
and which of the engine's ordering or planning quirks the text must work around.
:class:`CypherSyntax` is Neo4j's (the default); :class:`LadybugSyntax` overrides what
Ladybug spells differently. Where the data lives is the other half of a dialect
(:mod:`neuprint_dsl.cypher.layout`); :mod:`neuprint_dsl.cypher.dialects` pairs the two.

A new engine that stores neuPrint's layout (Memgraph, FalkorDB, ...) is a subclass of
:class:`CypherSyntax` overriding what it spells differently (say :meth:`~CypherSyntax.regex`,
:meth:`~CypherSyntax.json_map` where it lacks APOC), made a dialect in ``dialects.py``
(``class Memgraph(MemgraphSyntax, Dialect)``: ``Dialect`` brings neuPrint's layout).

Example:
    >>> CypherSyntax().property("n", "MB(R)"), LadybugSyntax().property("n", "MB(R)")
    ('n.`MB(R)`', 'n.`MB(R)`')
    >>> CypherSyntax().string("a:b"), LadybugSyntax().string("a:b")
    ("'a\\\\u003Ab'", "'a:b'")
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import InvalidValue
from ..patterns import translate
from .literals import is_plain_identifier, quote_identifier, quote_string, render_literal
from .statement import Param, Part

__all__ = ["CypherSyntax", "LadybugSyntax"]


class CypherSyntax:
    """Neo4j's Cypher (neuPrint, through neuPrintHTTP or Bolt); subclasses override what
    their engine spells differently. Stateless: its methods may be cached per instance."""

    #: neuPrintHTTP rewrites ``:Neuron``-like text everywhere, so ``:`` is escaped in literals
    escape_colon: ClassVar[bool] = True
    #: whether string literals write characters outside the BMP as UTF-16 surrogate pairs
    #: (Neo4j: Cypher 5 has only ``\\uXXXX``) rather than ``\\UXXXXXXXX`` (Ladybug)
    surrogate_escapes: ClassVar[bool] = True
    #: whether ORDER BY puts -0.0 before every negative double (Ladybug 0.x does): float
    #: keys are then ordered by ``x + 0.0``, which is +0.0 for -0.0
    negative_zero_first: ClassVar[bool] = False
    #: whether ORDER BY may misplace rows when a key after the first holds nulls (Ladybug
    #: 0.x, nondeterministically, after an aggregation): keys are then written null-free,
    #: ``x IS NULL, coalesce(x, <zero of its kind>)``, which orders exactly the same
    null_free_sort_keys: ClassVar[bool] = False
    #: a one-element list holding a null ROI name (the row of a synapse in no ROI)
    null_roi_list: ClassVar[str] = "[NULL]"
    #: whether synapse / mitochondrion conditions go after a ``WITH`` of the matched
    #: variables rather than right after their ``MATCH`` (a planner hint, same meaning)
    filter_points_after_with: ClassVar[bool] = False

    def property(self, var: str, name: str) -> str:
        """Read property ``name`` of ``var``.

        Names that neuPrintHTTP's label rewriting could touch (containing ``:``) or that hold
        backslashes or unprintable characters are read with a quoted key, ``n['a:b']``.

        Example:
            >>> CypherSyntax().property("n", "a:b"), CypherSyntax().property("n", "type")
            ("n['a\\\\u003Ab']", 'n.type')
        """
        if is_plain_identifier(name):
            return f"{var}.{name}"
        if ":" in name or "\\" in name or not name.isprintable():
            return f"{var}[{self.literal(name)}]"
        return f"{var}.{quote_identifier(name)}"

    def alias(self, name: str) -> str:
        """A result column name after ``AS``.

        Neo4j replaces ``\\uXXXX`` everywhere before lexing, backtick names included, and
        neuPrintHTTP rewrites ``:Label`` text, so such names are refused.

        Example:
            >>> CypherSyntax().alias("n pre")
            '`n pre`'
        """
        if ":" in name or "\\" in name or not name.isprintable():
            raise InvalidValue(
                f"result column name {name!r} cannot be sent to neuPrint (it contains ':', "
                "a backslash or an unprintable character); choose another column name"
            )
        return quote_identifier(name)

    def regex(self, pattern: str, ignore_case: bool = False) -> str:
        """A checked pattern as this engine's ``=~`` must receive it to mean what the DSL
        says (:func:`neuprint_dsl.patterns.translate`; Neo4j runs ``java.util.regex``).

        Example:
            >>> CypherSyntax().regex("mi1$", ignore_case=True)
            '[Mm][Ii]1\\\\z'
        """
        return translate(pattern, ignore_case, "java")

    def contains_any(self, operand: list[Part], values: Param) -> list[Part]:
        """The test "the list ``operand`` shares an element with ``values``" (null for a
        missing list, so the compiler's null-safe negation applies).

        Example:
            >>> CypherSyntax().contains_any(["n.tags"], Param("tags", ["a"]))[0]
            'any(x IN '
        """
        return ["any(x IN ", *operand, " WHERE x IN ", values, ")"]

    def aggregate(self, function: str, value: list[Part], kind: str | None) -> list[Part]:
        """``function`` (``sum``, ``avg``, ``min``, ``max``) of ``value`` over a group;
        ``kind`` is the value's kind when known (``"int"``, ``"float"``). A sum over no
        values is 0 (Neo4j's ``sum`` already gives 0).

        Example:
            >>> LadybugSyntax().aggregate("sum", ["n.pre"], "int")
            ['CAST(coalesce(sum(', 'n.pre', '), 0) AS INT64)']
        """
        return [f"{function}(", *value, ")"]

    def json_map(self, text: str) -> str:
        """The map a JSON string ``text`` holds (neuPrint keeps ``roiInfo`` as JSON text).

        Example:
            >>> CypherSyntax().json_map("n.roiInfo")
            'apoc.convert.fromJsonMap(n.roiInfo)'
        """
        return f"apoc.convert.fromJsonMap({text})"

    def sort_list(self, text: str) -> str:
        """The list ``text`` sorted.

        Example:
            >>> CypherSyntax().sort_list("[3, 1]")
            'apoc.coll.sort([3, 1])'
        """
        return f"apoc.coll.sort({text})"

    def literal(self, value: Any) -> str:
        """A literal of this syntax (used by ``CypherStatement.inline``).

        Example:
            >>> CypherSyntax().literal([1, "a"])
            "[1, 'a']"
        """
        return render_literal(
            value, escape_colon=self.escape_colon, surrogates=self.surrogate_escapes
        )

    def string(self, value: str) -> str:
        """A string literal of this syntax.

        Example:
            >>> LadybugSyntax().string("it's")
            "'it\\\\'s'"
        """
        return quote_string(
            value, escape_colon=self.escape_colon, surrogates=self.surrogate_escapes
        )


class LadybugSyntax(CypherSyntax):
    """The embedded Ladybug engine's Cypher: parameters always, RE2 regexes, its own list
    functions, and the ordering quirks of Ladybug 0.x."""

    escape_colon = False
    surrogate_escapes = False  # Ladybug reads \\U and fails on a surrogate escape
    negative_zero_first = True
    null_free_sort_keys = True
    null_roi_list = "CAST([NULL] AS STRING[])"  # a bare [NULL] is typed INT64[]
    # Ladybug plans `MATCH (n)-[:Contains]->(s) WHERE s.confidence > $c` as a hash join that
    # scans every synapse (10-50x slower than with a literal); after `WITH n, s` it filters
    # the body's synapses only
    filter_points_after_with = True

    def property(self, var: str, name: str) -> str:
        if "\x00" in name:
            raise InvalidValue(f"property name {name!r} contains NUL")
        return f"{var}.{quote_identifier(name)}"

    def alias(self, name: str) -> str:
        if "\x00" in name:
            raise InvalidValue(f"column name {name!r} contains NUL")
        return quote_identifier(name)

    def contains_any(self, operand: list[Part], values: Param) -> list[Part]:
        # Ladybug cannot plan a parameter inside any(x IN ... WHERE x IN $p) (it fails with
        # UNREACHABLE_CODE); list_has_any means the same and is null for a missing list
        return ["list_has_any(", *operand, ", ", values, ")"]

    def regex(self, pattern: str, ignore_case: bool = False) -> str:
        # Ladybug's =~ is RE2's full match; it un-escapes a doubled backslash before RE2 sees
        # it, so an escaped backslash must be written \x5c (translate already does)
        pattern = translate(pattern, ignore_case, "re2")
        out: list[str] = []
        i = 0
        while i < len(pattern):
            if pattern.startswith("\\\\", i):
                out.append("\\x5c")
                i += 2
            elif pattern[i] == "\\":
                out.append(pattern[i : i + 2])
                i += 2
            else:
                out.append(pattern[i])
                i += 1
        return "".join(out)

    def aggregate(self, function: str, value: list[Part], kind: str | None) -> list[Part]:
        # Ladybug sums INT64 as INT128 (a Decimal in Python) and gives null for no values
        if function != "sum":
            return [f"{function}(", *value, ")"]
        if kind == "int":
            return ["CAST(coalesce(sum(", *value, "), 0) AS INT64)"]
        return ["coalesce(sum(", *value, "), 0)"]
