"""The words of the text language that the parser and the printer share: keywords, the
functions of each kind of record, and how names, strings and values are written.

Example:
    >>> name_text("type"), name_text("order")
    ('type', '`order`')
    >>> print(string_text('say "hi"'))
    "say \\"hi\\""
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, TypeAlias

from ..expr import ROI_COUNT_FUNCTIONS, Entity, Prop, RoiCount
from ..values import Value

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

Side: TypeAlias = Literal["pre", "post"]

#: The functions of each kind of record: name -> ROI count side, or None for ``roi(...)``,
#: the boolean ROI test.
FUNCTIONS: dict[Entity, dict[str, Side | None]] = {
    Entity.NEURON: {"roi": None, "inputs": "post", "outputs": "pre"},
    Entity.EDGE: {"roi_weight": "post"},
    Entity.SYNAPSE: {"roi": None},
    Entity.MITO: {"roi": None},
}

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def name_text(name: str) -> str:
    """A field name as text: bare, or in backticks when it is a keyword or not plain.

    Example:
        >>> name_text("somaLocation"), name_text("MB(R)")
        ('somaLocation', '`MB(R)`')
    """
    if _PLAIN_NAME.fullmatch(name) and name.lower() not in KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def string_text(value: str) -> str:
    """A string literal in double quotes, escaped so that the parser reads ``value`` back.

    Example:
        >>> print(string_text("a\\tb"))
        "a\\tb"
    """
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


def value_text(value: Value) -> str:
    """A literal value as text (a float always reads back as a float).

    Example:
        >>> value_text(True), value_text(2.0), value_text(7)
        ('true', '2.0', '7')
    """
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest exact form; always has '.' or 'e', so it reads back a float
    return str(value)


def list_text(values: Iterable[Value]) -> str:
    """A list of values as text.

    Example:
        >>> list_text(["a", "b"])
        '["a", "b"]'
    """
    return "[" + ", ".join(value_text(v) for v in values) + "]"


def operand_text(operand: Prop | RoiCount) -> str:
    """What a leaf reads, as text: a field name or an ROI count call.

    Example:
        >>> operand_text(RoiCount(Entity.NEURON, "MB(R)", "post"))
        'inputs("MB(R)")'
    """
    if isinstance(operand, Prop):
        return name_text(operand.name)
    function = ROI_COUNT_FUNCTIONS[(operand.entity, operand.side)]
    return f"{function}({string_text(operand.roi)})"
