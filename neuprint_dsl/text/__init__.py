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

Modules:

* ``lexicon``: the words the parser and the printer share (keywords, each record kind's
  functions) and how names, strings and values are written;
* ``grammar``: the lark side: the grammar file, the parser with its tables cached on disk,
  lark's errors turned into ``QuerySyntaxError`` (``parse_tree``);
* ``parser``: :func:`parse`: lark's tree to the AST, through the typed fields;
* ``printer``: :func:`to_text`: the AST to canonical text (registered as the printer
  behind ``str()`` / ``repr()`` of the AST, see :mod:`neuprint_dsl.hooks`).

Imports inside the package: ``lexicon`` <- ``grammar`` <- ``parser``; ``lexicon`` <-
``printer``. May import: L0 (errors, cache, hooks, values) and L1 (expr, fields, query).
Never: cypher, neuronjson, interpret, transports, embedded, compat, cli.

Example:
    >>> from neuprint_dsl import N
    >>> p = parse('type =~ "MBON.*" and roi("MB(R)") and not cropped')
    >>> p == N.type.matches("MBON.*") & N.roi("MB(R)") & ~N.cropped
    True
    >>> print(to_text(p))
    type =~ "MBON.*" and roi("MB(R)") and not cropped
"""

from __future__ import annotations

from .grammar import GRAMMAR_FILE
from .lexicon import KEYWORDS
from .parser import Context, parse
from .printer import to_text

__all__ = ["GRAMMAR_FILE", "KEYWORDS", "Context", "parse", "to_text"]
