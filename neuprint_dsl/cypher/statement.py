"""The compiled form of a query: Cypher text with parameters, and its inline rendering.

Example:
    >>> from neuprint_dsl import N, to_cypher
    >>> stmt = to_cypher(N.type == "APL")
    >>> stmt.params
    {'type': 'APL'}
    >>> "n.type = $type" in stmt.text, "n.type = 'APL'" in stmt.inline()
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import attrs

from ..expr import shown_text


class Param(NamedTuple):
    """A placeholder for one parameter value inside the compiled text (an immutable pair:
    cheap to make, as a compile makes one per value).

    Example:
        >>> Param("type", "APL").name
        'type'
    """

    name: str
    value: Any


Part = str | Param


class CypherStatement:
    """Cypher ``text`` using ``$name`` parameters, the ``params`` values, and ``columns``
    (the names of the result columns in order).

    ``inline()`` renders every parameter as a literal of the statement's dialect, as
    neuPrintHTTP (which takes no parameters) needs. ``repr()`` (what a notebook shows) is the
    dialect, the text and the parameters. Immutable; ``text`` and ``params`` are made from
    ``parts`` when first read (the neuPrintHTTP transport only needs ``inline()``).

    Example:
        >>> from neuprint_dsl import N, neurons, to_cypher
        >>> to_cypher(neurons(N.type == "APL", columns=["bodyId"]))
        <cypher neo4j
        MATCH (n:Neuron)
        WHERE n.type = $type
        RETURN n.bodyId AS bodyId
        ORDER BY n.bodyId
        params {'type': 'APL'}>
    """

    __slots__ = ("_params", "_text", "columns", "dialect", "parts", "render_literal")

    parts: tuple[Part, ...]
    dialect: str
    columns: tuple[str, ...]
    render_literal: Callable[[Any], str]
    _text: str | None
    _params: dict[str, Any] | None

    def __init__(
        self,
        parts: tuple[Part, ...],
        dialect: str,
        columns: tuple[str, ...],
        render_literal: Callable[[Any], str],
    ) -> None:
        setter = object.__setattr__
        setter(self, "parts", parts)
        setter(self, "dialect", dialect)
        setter(self, "columns", columns)
        setter(self, "render_literal", render_literal)
        setter(self, "_text", None)
        setter(self, "_params", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    @property
    def text(self) -> str:
        """The Cypher text, with ``$name`` where each parameter goes.

        Example:
            >>> from neuprint_dsl import N, to_cypher
            >>> to_cypher(N.pre > 5, "ladybug").text.splitlines()[1]
            'WHERE n.pre > $pre'
        """
        text = self._text
        if text is None:  # made once, on first read
            parts: tuple[Any, ...] = self.parts  # str or Param (type() is not narrowed)
            text = "".join([p if type(p) is not Param else "$" + p[0] for p in parts])
            object.__setattr__(self, "_text", text)
        return text

    @property
    def params(self) -> Mapping[str, Any]:
        """The parameter values by name.

        Example:
            >>> from neuprint_dsl import N, to_cypher
            >>> to_cypher(N.pre > 5, "ladybug").params
            {'pre': 5}
        """
        params = self._params
        if params is None:  # made once, on first read
            params = {p[0]: p[1] for p in self.parts if type(p) is Param}
            object.__setattr__(self, "_params", params)
        return params

    def inline(self) -> str:
        """The text with every parameter written as a literal.

        Example:
            >>> from neuprint_dsl import N, to_cypher
            >>> print(to_cypher(N.bodyId.isin([1, 2])).inline().splitlines()[1])
            WHERE n.bodyId IN [1, 2]
        """
        render = self.render_literal
        colon = getattr(render, "escape_colon", None)
        parts: tuple[Any, ...] = self.parts  # str or Param (type() is not narrowed)
        if colon is None:
            return "".join([p if type(p) is not Param else render(p[1]) for p in parts])
        # a built-in renderer (literals.literal_renderer): its commonest cases, a printable
        # string with nothing to escape (letters and digits only: nothing to check further)
        # and an int, written here without a call
        return "".join(
            [
                p
                if type(p) is not Param
                else f"'{v}'"
                if type(v := p[1]) is str
                and (
                    v.isalnum()
                    or (
                        v.isprintable()
                        and "'" not in v
                        and "\\" not in v
                        and not (colon and ":" in v)
                    )
                )
                else int.__repr__(v)
                if type(v) is int
                else render(v)
                for p in parts
            ]
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CypherStatement):
            return NotImplemented
        return (self.dialect, self.text, dict(self.params), self.columns) == (
            other.dialect,
            other.text,
            dict(other.params),
            other.columns,
        )

    def __hash__(self) -> int:
        return hash((self.dialect, self.text, self.columns))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        def render() -> str:
            params = f"\nparams {dict(self.params)!r}" if self.params else ""
            return f"{self.dialect}\n{self.text}{params}"

        return f"<cypher {shown_text(render, 'CypherStatement')}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer: the same text as ``repr``."""
        printer.text(repr(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (CypherStatement, (self.parts, self.dialect, self.columns, self.render_literal))


class _Filling(CypherStatement):
    """A :class:`CypherStatement` while :func:`make_statement` fills its slots with plain
    attribute stores (``object.__setattr__`` is a call each); then it becomes one."""

    __slots__ = ()
    __setattr__ = object.__setattr__  # type: ignore[assignment]  # object's: not frozen
    __delattr__ = object.__delattr__


_new_object = object.__new__


def make_statement(
    parts: tuple[Part, ...],
    dialect: str,
    columns: tuple[str, ...],
    render_literal: Callable[[Any], str],
) -> CypherStatement:
    """``CypherStatement(parts, dialect, columns, render_literal)``, made quicker (the
    compiler makes one per compile).

    Example:
        >>> stmt = make_statement(("RETURN ", Param("x", 1)), "neo4j", ("x",), repr)
        >>> type(stmt).__name__, stmt.text, stmt.inline()
        ('CypherStatement', 'RETURN $x', 'RETURN 1')
    """
    stmt = _new_object(_Filling)
    stmt.parts = parts
    stmt.dialect = dialect
    stmt.columns = columns
    stmt.render_literal = render_literal
    stmt._text = None
    stmt._params = None
    stmt.__class__ = CypherStatement  # type: ignore[assignment]  # frozen from here on
    return stmt


def as_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as plain Python values (lists, not tuples) for a driver.

    Example:
        >>> as_params({"ids": (1, 2), "type": "APL"})
        {'ids': [1, 2], 'type': 'APL'}
    """
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
