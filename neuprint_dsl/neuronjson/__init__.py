"""DVID ``neuronjson`` queries: a compiler from predicates, and DVID's matching rules.

DVID's ``/query`` takes a JSON object (its keys ANDed) or a list of objects (ORed); each value
is matched by the rules of ``datatype/neuronjson/query.go`` (see :func:`match`). The compiler
normalises a predicate to DNF and turns each conjunct into one object. Whatever DVID cannot
express exactly (a negated value test, a range, a float or boolean value, ROI counts, a second
test on the same field, a field whose stored values may be lists) is left out of the server
query, which stays an exact *superset*, and becomes the plan's **residual**: the client
evaluates it on the returned records. Results are always exact; with ``strict=True`` anything
that needs a residual raises :class:`~neuprint_dsl.CapabilityError` instead.

Exactness assumes the annotation store holds values of the declared kinds: the typed fields of
``N`` are scalars except ``tags``/``synonyms`` (lists); other names are treated as possibly
list-valued. Pass ``kinds={"name": "str" | "int" | "list" | ...}`` to declare more.

* ``compiler.py``: :func:`to_neuronjson`, :func:`compile_statement`, :class:`NeuronJsonPlan`
  (the server query, the residual and why);
* ``rules.py``: DVID's matching rules run locally (:func:`match`, :func:`compile_query`,
  :func:`check_json_text`), the query type ``Query`` and the ``show`` option's values;
* ``re2.py``: Go RE2 patterns with RE2's meaning, for the rules' ``re/`` values;
* ``client.py``: ordering, limits and aggregation of the records on the client
  (:func:`client_rows`), which DVID does not do.

Layer L2 (compilers). May import: L0-L1 (errors, expr, fields, interpret, normalize,
patterns, query) and ``backends``. Never: ``cypher``, ``frames``, ``execute``, transports.

Example:
    >>> from neuprint_dsl import N
    >>> plan = to_neuronjson(N.type.matches("MBON.*") & (N.status == "Traced"))
    >>> plan.query
    {'type': ['re/^(?:MBON.*)$'], 'status': 'Traced'}
    >>> plan.residual is None
    True
    >>> plan = to_neuronjson((N.type == "KC") & (N.pre > 100))
    >>> plan.query, str(plan.residual)
    ({'type': 'KC'}, 'type = "KC" and pre > 100')
"""

from .client import client_rows
from .compiler import (
    DECLARED_KINDS,
    DEFAULT_FIELD_NAMES,
    NeuronJsonPlan,
    compile_statement,
    to_neuronjson,
)
from .rules import SHOW, Matcher, Query, check_json_text, compile_query, match

__all__ = [
    "DECLARED_KINDS",
    "DEFAULT_FIELD_NAMES",
    "SHOW",
    "Matcher",
    "NeuronJsonPlan",
    "Query",
    "check_json_text",
    "client_rows",
    "compile_query",
    "compile_statement",
    "match",
    "to_neuronjson",
]
