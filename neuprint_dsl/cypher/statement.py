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
from typing import Any

import attrs

from ..expr import shown_text


@attrs.frozen(slots=True)
class Param:
    """A placeholder for one parameter value inside the compiled text."""

    name: str
    value: Any


Part = str | Param


@attrs.frozen(slots=True, eq=False, repr=False)
class CypherStatement:
    """Cypher ``text`` using ``$name`` parameters, the ``params`` values, and ``columns``
    (the names of the result columns in order).

    ``inline()`` renders every parameter as a literal of the statement's dialect, as
    neuPrintHTTP (which takes no parameters) needs. ``repr()`` (what a notebook shows) is the
    dialect, the text and the parameters.

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

    parts: tuple[Part, ...] = attrs.field(repr=False)
    dialect: str
    columns: tuple[str, ...]
    render_literal: Callable[[Any], str] = attrs.field(repr=False)
    text: str = attrs.field(init=False)
    params: Mapping[str, Any] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        text = "".join(p if isinstance(p, str) else f"${p.name}" for p in self.parts)
        params = {p.name: p.value for p in self.parts if isinstance(p, Param)}
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "params", params)

    def inline(self) -> str:
        """The text with every parameter written as a literal.

        Example:
            >>> from neuprint_dsl import N, to_cypher
            >>> print(to_cypher(N.bodyId.isin([1, 2])).inline().splitlines()[1])
            WHERE n.bodyId IN [1, 2]
        """
        render = self.render_literal
        return "".join(p if isinstance(p, str) else render(p.value) for p in self.parts)

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


def as_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as plain Python values (lists, not tuples) for a driver."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
