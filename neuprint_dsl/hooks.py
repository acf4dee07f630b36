"""The seam between the AST and the modules above it: printer, Cypher compiler, interpreter.

Predicates (``expr``) and statements (``query``) carry convenience methods: ``to_text()``,
``str()`` and ``repr()`` (the text printer), ``to_cypher()`` (the Cypher compiler) and
``evaluate()`` (the reference interpreter). Those modules import the AST, so the AST must not
import them (not even inside a function or under ``TYPE_CHECKING``): instead each one
registers its entry point here when it is imported, and the methods call through this
module. ``neuprint_dsl/__init__.py`` imports all three, and Python runs a package's
``__init__`` before any of its modules, so they are registered before any user code can
hold an AST. A call that comes first anyway raises :class:`RuntimeError` naming the module.

Registered (:func:`register`) by ``text/printer.py``, ``cypher/compiler.py`` and
``interpret.py``.

May import: nothing from the package (it sits in L0, so that ``expr`` may import it).
Never: text, cypher, interpret.

Example:
    >>> from neuprint_dsl import N
    >>> to_text(N.pre > 5), evaluate(N.pre > 5, {"pre": 9})
    ('pre > 5', True)
    >>> to_cypher(N.pre > 5, "ladybug").params
    {'pre': 5}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, Protocol

__all__ = [
    "CompiledCypher",
    "evaluate",
    "register",
    "to_cypher",
    "to_text",
]


class CompiledCypher(Protocol):
    """What ``to_cypher`` returns, as the AST layer sees it: the surface of
    :class:`neuprint_dsl.cypher.CypherStatement` (which the AST may not import)."""

    @property
    def text(self) -> str:
        """The Cypher text with ``$name`` parameters."""

    @property
    def params(self) -> Mapping[str, Any]:
        """The parameter values by name."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The result columns, in order."""

    @property
    def dialect(self) -> str:
        """The dialect's name (``"neo4j"``, ``"ladybug"``)."""

    def inline(self) -> str:
        """The text with every parameter written as a literal."""


PrintFunction = Callable[[Any], str]
CompileFunction = Callable[..., CompiledCypher]
EvaluateFunction = Callable[[Any, Mapping[str, Any]], bool]


def _unregistered(function: str, module: str) -> Callable[..., NoReturn]:
    def missing(*args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            f"{function} is not available yet: {module} registers it when imported "
            "(import neuprint_dsl first)"
        )

    return missing


_printer: PrintFunction = _unregistered("to_text", "neuprint_dsl.text")
_compiler: CompileFunction = _unregistered("to_cypher", "neuprint_dsl.cypher")
_interpreter: EvaluateFunction = _unregistered("evaluate", "neuprint_dsl.interpret")


def register(
    *,
    printer: PrintFunction | None = None,
    cypher: CompileFunction | None = None,
    interpreter: EvaluateFunction | None = None,
) -> None:
    """Make ``printer(ast) -> str`` the function behind ``to_text()``, ``str()`` and
    ``repr()``; ``cypher(ast, dialect, **options)`` the one behind ``to_cypher()``;
    ``interpreter(predicate, record) -> bool`` the one behind ``evaluate()``.

    Example:
        >>> from neuprint_dsl.text import to_text
        >>> register(printer=to_text)  # what neuprint_dsl.text.printer does on import
    """
    global _printer, _compiler, _interpreter
    if printer is not None:
        _printer = printer
    if cypher is not None:
        _compiler = cypher
    if interpreter is not None:
        _interpreter = interpreter


def to_text(ast: object) -> str:
    """The canonical text of ``ast``, by the registered printer.

    Example:
        >>> from neuprint_dsl import neurons
        >>> to_text(neurons(limit=3))
        'neurons limit 3'
    """
    return _printer(ast)


def to_cypher(ast: object, dialect: str = "neo4j", **options: Any) -> CompiledCypher:
    """``ast`` compiled to Cypher, by the registered compiler.

    Example:
        >>> from neuprint_dsl import N
        >>> to_cypher(N.pre > 1).dialect
        'neo4j'
    """
    return _compiler(ast, dialect, **options)


def evaluate(predicate: object, record: Mapping[str, Any]) -> bool:
    """``predicate`` evaluated on ``record``, by the registered interpreter.

    Example:
        >>> from neuprint_dsl import N
        >>> evaluate(N.type == "KC", {"type": "KC"})
        True
    """
    return _interpreter(predicate, record)
