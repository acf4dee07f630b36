"""What ``SynapseCriteria`` and ``MitoCriteria`` share: the base class :class:`PointCriteria`
(ROIs, ``primary_only``, ``client``, the DSL algebra, neuprint-python's ``WITH ... WHERE``
text, ``repr``) and the argument checks both use.

A point criteria stands for a predicate on one kind of point (a synapse, ``S``, or a
mitochondrion, ``M``): any of its ROIs, a threshold and a type. ``&``, ``|`` and ``~`` come
from the expression algebra (:class:`~neuprint_dsl.expr.Combinable`), so a criteria combines
with any predicate; equality and hashing are attrs', over the criteria's arguments.

Example:
    >>> from neuprint_dsl import S
    >>> from neuprint_dsl.compat import SynapseCriteria as SC
    >>> print(SC(rois=["FB"], type="pre", confidence=0, client=None) & ~(S.z > 5))
    roi("FB") and type = "pre" and not z > 5
    >>> SC(type="pre", confidence=0, client=None) == SC(type="pre", confidence=0, client=None)
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from textwrap import indent
from typing import Any, ClassVar, Protocol

import attrs
import numpy as np
import pandas as pd

from ..backends import NEO4J
from ..cypher.dialects import get_dialect
from ..cypher.literals import quote_string, render_number
from ..errors import InvalidArgument, UnknownROI
from ..expr import TRUE, Combinable, Predicate, PredicateLike, and_, or_, shown_text
from ..fields import Namespace

__all__ = [
    "DatasetInfo",
    "PointCriteria",
    "check_flag",
    "check_rois",
    "roi_list",
    "with_where",
]


class DatasetInfo(Protocol):
    """What a criteria's ``client`` must offer (neuprint-python's ``Client`` does)."""

    @property
    def all_rois(self) -> Sequence[str]: ...

    @property
    def primary_rois(self) -> Sequence[str]: ...

    @property
    def meta(self) -> dict[str, Any]: ...


def roi_list(value: object, what: str) -> list[str]:
    """neuprint-python's ``ensure_list`` for ROI names: None -> [], str -> [str], in order,
    without repeats (a set is sorted).

    Example:
        >>> roi_list("FB", "rois"), roi_list(["EB", "FB", "EB"], "rois"), roi_list(None, "rois")
        (['FB'], ['EB', 'FB'], [])
    """
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, (np.ndarray, pd.Series, pd.Index)):
        items = list(value.tolist())
    elif isinstance(value, (set, frozenset)):
        items = sorted(value, key=str)
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise InvalidArgument(f"{what} takes an ROI name or a list of ROI names, not {value!r}")
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidArgument(f"{what} takes ROI names (non-empty strings), not {item!r}")
    return list(dict.fromkeys(str(i) for i in items))


def check_rois(rois: list[str], client: DatasetInfo | None, what: str) -> None:
    """Unknown ROI names raise :class:`~neuprint_dsl.errors.UnknownROI` (with close
    matches); nothing is checked without a client.

    Example:
        >>> check_rois(["FB"], None, "rois")  # no client: the compiler checks later
    """
    if not rois or client is None:
        return
    known = set(client.all_rois)
    for name in rois:
        if name not in known:
            raise UnknownROI(name, sorted(known), where=what)


def check_flag(value: object, what: str) -> bool:
    """``value`` as a bool; anything but a bool raises
    :class:`~neuprint_dsl.errors.InvalidArgument`.

    Example:
        >>> check_flag(True, "primary_only")
        True
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InvalidArgument(f"{what} must be True or False, not {value!r}")


def with_where(
    var: str,
    matchvars: tuple[str, ...],
    exprs: list[str],
    what: str,
    prefix: str | int,
    comments: bool,
) -> str:
    """neuprint-python's ``WITH <matchvars> WHERE <exprs ANDed>`` text (``""`` without
    expressions), indented by ``prefix`` after its first line, with a comment line naming
    the filtered variable when ``comments``.

    Example:
        >>> print(with_where("s", ("n", "s"), ["s.x > 1"], "synapse", "", True), end="")
        // -- Filter synapse 's' --
        WITH n, s
        WHERE s.x > 1
    """
    names = list(matchvars) or [var]
    if var not in names:
        raise InvalidArgument(
            f"Please pass all match vars, including the one that belongs to this criteria "
            f"({var!r})."
        )
    if not exprs:
        return ""
    pad = " " * prefix if isinstance(prefix, int) else prefix
    text = f"WITH {', '.join(names)}\nWHERE {' AND '.join(exprs)}\n"
    if comments:
        text = f"// -- Filter {what} '{var}' --\n" + text
    return indent(text, pad)[len(pad) :]


# hash=True: the compared fields are set once by ``__init__`` (only ``client``, which is not
# compared, is ever reassigned), so the hash never changes; ``rois`` is a list, as
# neuprint-python's, so it is compared but left out of the hash
@attrs.define(init=False, repr=False, hash=True)
class PointCriteria(Combinable):
    """Base of :class:`~neuprint_dsl.compat.SynapseCriteria` and
    :class:`~neuprint_dsl.compat.MitoCriteria`: ``rois`` (the point lies in any of them),
    ``primary_only`` (never a filter: one row per point with its primary ROI, or one per ROI
    containing it) and ``client`` (checks ROI names; not compared). A subclass is an attrs
    class (``@attrs.define(init=False, repr=False, hash=True)``) that adds its type and
    threshold fields, names its field namespace (``S``, ``M``) and writes its ``__init__``
    (neuprint-python's signature), starting with :meth:`_set_common`.
    """

    matchvar: str
    rois: list[str] = attrs.field(hash=False)
    primary_only: bool
    client: DatasetInfo | None = attrs.field(eq=False)

    #: the namespace of the point's fields (``S`` or ``M``) and the word in ``condition``'s
    #: comment line
    fields: ClassVar[Namespace]
    noun: ClassVar[str]
    #: the field tested for the point's type (``type``, ``mitoType``), and the threshold's
    #: field and operator (``("confidence", ">")``, ``("size", ">=")``): both are fields of
    #: the subclass, tested when set (a threshold of 0 is no test)
    type_field: ClassVar[str]
    threshold: ClassVar[tuple[str, str]]

    def _set_common(self, matchvar: object, rois: object, primary_only: object) -> None:
        """Check and set ``matchvar``, ``rois`` and ``primary_only``."""
        if not isinstance(matchvar, str) or not matchvar:
            raise InvalidArgument(f"matchvar must be a non-empty str, not {matchvar!r}")
        self.matchvar = matchvar
        self.rois = roi_list(rois, "rois")
        self.primary_only = check_flag(primary_only, "primary_only")

    def _threshold_test(self) -> tuple[str, str, float] | None:
        """``(field, operator, value)`` of the threshold test, or ``None``."""
        name, op = self.threshold
        value = getattr(self, name)
        return (name, op, value) if value else None

    def _type_test(self) -> tuple[str, str] | None:
        """``(field, value)`` of the type test, or ``None``."""
        value = getattr(self, self.type_field)
        return (self.type_field, value) if value else None

    def _always(self, var: str) -> list[str]:
        """Tests ``condition`` always writes first (none by default)."""
        return []

    def to_expr(self) -> Predicate:
        """The predicate: any of the ROIs, the threshold (unless 0), the type.

        Example:
            >>> from neuprint_dsl.compat import MitoCriteria
            >>> MitoCriteria().to_expr()
            <predicate true>
        """
        fields: Any = self.fields
        parts: list[PredicateLike] = []
        if self.rois:
            parts.append(or_(*(fields.roi(r) for r in self.rois)))
        threshold = self._threshold_test()
        if threshold is not None:
            name, op, value = threshold
            left = getattr(fields, name)
            parts.append(left >= value if op == ">=" else left > value)
        kind = self._type_test()
        if kind is not None:
            parts.append(getattr(fields, kind[0]) == kind[1])
        return and_(*parts) if parts else TRUE

    def __predicate__(self) -> Predicate:
        return self.to_expr()

    def condition(self, *matchvars: str, prefix: str | int = "", comments: bool = True) -> str:
        """neuprint-python's ``WITH ... WHERE ...`` clause for these criteria (neo4j Cypher
        for hand-written queries; ``""`` when there is nothing to test).

        Example:
            >>> from neuprint_dsl.compat import SynapseCriteria
            >>> print(SynapseCriteria(rois=["b'L(R)"], confidence=0, client=None)
            ...       .condition(comments=False), end="")
            WITH s
            WHERE (s.`b'L(R)`)
        """
        var = self.matchvar
        exprs = self._always(var)
        if self.rois:
            # as the compiler reads them: a name holding ':', a backslash or an unprintable
            # character as n['...'] (Neo4j reads \uXXXX even inside backticks, and
            # neuPrintHTTP rewrites ':Label' text anywhere)
            flags = (get_dialect(NEO4J).property(var, r) for r in self.rois)
            exprs.append("(" + " OR ".join(flags) + ")")
        threshold = self._threshold_test()
        if threshold is not None:
            name, op, value = threshold
            exprs.append(f"({var}.{name} {op} {render_number(value)})")
        kind = self._type_test()
        if kind is not None:
            exprs.append(f"({var}.{kind[0]} = {quote_string(kind[1])})")
        return with_where(var, matchvars, exprs, self.noun, prefix, comments)

    def __repr__(self) -> str:
        # neuprint-python's repr (reads back as Python), and the DSL text as a comment: more
        # than attrs' repr can show, so written here once for both subclasses
        args = [repr(self.matchvar)]
        if self.rois:
            args.append(f"rois={self.rois!r}")
        kind, threshold = self._type_test(), self._threshold_test()
        if kind is not None:
            args.append(f"{kind[0]}={kind[1]!r}")
        if threshold is not None:
            args.append(f"{threshold[0]}={threshold[2]}")
        if self.primary_only:
            args.append("primary_only=True")
        call = f"{type(self).__name__}({', '.join(args)})"
        return f"{call}  # {shown_text(lambda: self.to_expr().to_text(), 'predicate')}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer: the same text as ``repr``."""
        printer.text(repr(self))
