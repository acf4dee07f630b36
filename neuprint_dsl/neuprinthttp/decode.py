"""Fast, exact decoding of neuPrintHTTP's JSON answers (``{"columns": [...], "data": [...]}``).

Three readers, each giving exactly what ``json.loads`` gives (the tests check the property):
msgspec for any document (about 2x faster, integers of any size exact), msgspec with rows as
tuples of the statement's width for a Cypher answer (the row check made while reading), and
numpy's C parser for a compact table of integers (ids and weights: an int64 array, without
making a Python int per cell). Anything they refuse is read by ``json.loads``, which decides.

Example:
    >>> decode_answer(b'{"columns":["a"],"data":[[1],[2]]}')["data"].tolist()
    [[1], [2]]
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import numpy as np

__all__ = [
    "FAST_INT_TABLES",
    "USE_MSGSPEC",
    "CheckedAnswer",
    "decode_answer",
    "decode_json",
    "int_rows",
    "json_loads",
]

# -- fast JSON decoding of integer tables --------------------------------------------------------
#
# A 1,000,000-row table of ids and weights is ~30 MB of JSON; json.loads makes 3,000,000 Python
# ints and 1,000,000 lists, and pandas then converts them back. When the "data" array is compact
# and holds only integers (what neuPrintHTTP sends for adjacency tables), it is parsed straight
# into an int64 array instead (numpy's C parser), after checks that make the result exactly what
# json.loads would give: the punctuation is exactly [[c,...,c],...,[c,...,c]] with one row width
# and a number in every cell and nowhere else (from the positions of the punctuation), every
# number was read, and every number is canonical JSON, -?(0|[1-9][0-9]*) (the digits and signs of
# the values read add up to the text's, so no leading zeros, lone "-" or "-0") and below 10**18 in
# magnitude (no overflow). Anything else (strings, floats, nulls, whitespace, bigger ints,
# malformed text) goes through json.loads. The tests check this equivalence property.

_WS = re.compile(r"[ \t\n\r]*")
_msgspec_decode: Any
try:
    _msgspec_decode = importlib.import_module("msgspec.json").decode
except ImportError:  # pragma: no cover - msgspec is a dependency; json.loads does the same
    _msgspec_decode = None
#: Decode JSON with msgspec when installed (False: always json.loads; for benchmarks/tests).
USE_MSGSPEC = True


def _make_answer_decoder(width: int | None = None) -> Any:
    """A msgspec decoder of ``{"columns": [str, ...], "data": [[...], ...]}`` (other keys
    skipped), rows as tuples (of exactly ``width`` values of any kind when given: msgspec
    then refuses rows of another length as it reads them, and reads fixed-length tuples
    ~15% faster); None without msgspec."""
    try:
        msgspec = importlib.import_module("msgspec")
    except ImportError:  # pragma: no cover
        return None
    row: Any = tuple[Any, ...] if width is None else tuple[(Any,) * width]  # type: ignore[misc]
    answer = msgspec.defstruct("_Answer", [("columns", list[str]), ("data", list[row])])
    return msgspec.json.Decoder(answer)


_answer_decoder = _make_answer_decoder()
#: Decoders of rows of a known width (see _make_answer_decoder), made on first use.
_width_decoders: dict[int, Any] = {}
_WIDTH_DECODERS_MAX = 64


class CheckedAnswer(dict[str, Any]):
    """``{"columns": ..., "data": ...}`` whose rows were all read as tuples of ``width``
    values (the check :func:`~neuprint_dsl.neuprinthttp.answers.columns_and_data` would
    make).

    Example:
        >>> answer = CheckedAnswer(columns=["a"], data=[(1,)])
        >>> answer.width = 1
        >>> answer["data"], answer.width
        ([(1,)], 1)
    """

    width: int


def _width_decoder(width: int) -> Any:
    decoder = _width_decoders.get(width)
    if decoder is None:
        decoder = _make_answer_decoder(width)
        if len(_width_decoders) < _WIDTH_DECODERS_MAX:
            _width_decoders[width] = decoder
    return decoder


#: Parse compact tables of integers with numpy (False: always json.loads; for benchmarks).
FAST_INT_TABLES = True
_BRACKETS_TO_SPACES = bytes.maketrans(b"[]", b"  ")
_LIMIT = 10**18  # every integer of at most 18 digits fits in int64
_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)
_COMMA, _NINE = ord(","), ord("9")


def decode_json(content: bytes) -> Any:
    """``json.loads(content)``, except that a top-level object's ``"data"`` value that is a
    compact table of integers comes back as a 2-D int64 array.

    Example:
        >>> decode_json(b'{"columns":["a","b"],"data":[[1,-2],[3,4]]}')["data"].tolist()
        [[1, -2], [3, 4]]
        >>> decode_json(b'{"columns":["a","b"],"data":[[1,"x"]]}')["data"]
        [[1, 'x']]
    """
    if FAST_INT_TABLES:
        document = _with_int_table(content)
        if document is not None:
            return document
    return json_loads(content)


def decode_answer(content: bytes, width: int | None = None) -> Any:
    """A ``/api/custom/custom`` answer: :func:`decode_json`'s values, except that when the
    document is an object with ``columns`` (strings) and ``data`` (arrays), only those two
    keys are kept and every row comes back as a tuple (msgspec decodes tuples ~1.5x faster
    than lists; the cells are the same values). With ``width`` (the number of columns the
    statement returns), rows are read as tuples of exactly that many values; when they all
    are, the document says so (a ``CheckedAnswer``) and the row check is not made again.

    Example:
        >>> decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2,null]],"debug":""}')
        {'columns': ['a', 'b'], 'data': [(1, 'x'), (2, None)]}
        >>> decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2,null]]}', 2).width
        2
        >>> type(decode_answer(b'{"columns":["a","b"],"data":[[1,"x"],[2]]}', 2)).__name__
        'dict'
    """
    if FAST_INT_TABLES and b'"data":[[' in content:
        document = _with_int_table(content)
        if document is not None:
            return document
    if _answer_decoder is not None and USE_MSGSPEC:
        if width:
            try:
                answer = _width_decoder(width).decode(content)
            except ValueError:  # another width, or not an answer: read as any other below
                pass
            else:
                checked = CheckedAnswer(columns=answer.columns, data=answer.data)
                checked.width = width
                return checked
        try:
            answer = _answer_decoder.decode(content)
        except ValueError:  # msgspec.DecodeError / ValidationError: the generic reading decides
            pass
        else:
            return {"columns": answer.columns, "data": answer.data}
    return json_loads(content)


def json_loads(content: bytes) -> Any:
    """``json.loads(content)``, through msgspec when it is installed (about 2x faster, and
    the same values for every document it accepts: integers of any size stay exact, which
    orjson's do not); a document msgspec refuses (NaN, numbers out of float range, lone
    surrogates, a byte-order mark, UTF-16 text...) is read by ``json.loads``, which decides.

    Example:
        >>> json_loads(b'{"a": [1, 2.5, null, "x", 123456789012345678901234567890]}')
        {'a': [1, 2.5, None, 'x', 123456789012345678901234567890]}
        >>> json_loads(b'[NaN, 1e999]')
        [nan, inf]
    """
    if _msgspec_decode is not None and USE_MSGSPEC:
        try:
            return _msgspec_decode(content)
        except ValueError:  # msgspec.DecodeError
            pass
    return json.loads(content)


def _with_int_table(content: bytes) -> dict[str, Any] | None:
    """The document, when its top-level ``"data"`` is a compact table of integers; else None.

    The table is found in the bytes (``"data":[[`` up to the last ``]]`` before the next
    ``"``: a table of numbers has no strings) and read by :func:`int_rows`; the rest of the
    document, with ``0`` in the table's place, is read by json.loads' own decoder, key by key,
    which also proves that the ``0`` is the value of the top-level ``"data"``.
    """
    key = content.find(b'"data":[[')
    if key < 0:
        return None
    start = key + len(b'"data":')
    quote = content.find(b'"', start)
    end = content.rfind(b"]]", start, len(content) if quote < 0 else quote) + 2
    if end <= start:
        return None
    table = int_rows(content[start:end])
    if table is None:
        return None
    try:
        head = content[:start].decode("utf-8")
        text = head + "0" + content[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    document: dict[str, Any] = {}
    ours = False  # whether document["data"] is the 0 put in the table's place
    try:
        pos = _skip_ws(text, 0)
        if text[pos] != "{":
            return None
        pos = _skip_ws(text, pos + 1)
        while True:
            if text[pos] != '"':
                return None
            name, pos = decoder.raw_decode(text, pos)
            pos = _skip_ws(text, pos)
            if text[pos] != ":":
                return None
            pos = _skip_ws(text, pos + 1)
            at = pos
            document[name], pos = decoder.raw_decode(text, pos)
            if name == "data":
                ours = at == len(head) and pos == at + 1
            pos = _skip_ws(text, pos)
            if text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
            elif text[pos] == "}":
                break
            else:
                return None
    except (ValueError, IndexError):
        return None
    if not ours or _skip_ws(text, pos + 1) != len(text):
        return None
    document["data"] = table
    return document


def _skip_ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return pos if match is None else match.end()


def int_rows(data: bytes) -> np.ndarray[Any, np.dtype[np.int64]] | None:
    """``[[1,2,3],[4,5,6]]`` (compact JSON text) as an int64 array of shape (rows, width), or
    None unless ``data`` is exactly a JSON list of equally long lists of integers below 10**18
    in magnitude, without whitespace.

    Example:
        >>> int_rows(b"[[1,2,3],[-4,0,6]]").tolist()
        [[1, 2, 3], [-4, 0, 6]]
        >>> [int_rows(t) for t in (b"[[1,2,3],[4,5]]", b"[[01]]", b"[[-]]", b"[[0],0[]]")]
        [None, None, None, None]
    """
    if not (data.startswith(b"[[") and data.endswith(b"]]")):
        return None
    # Everything but digits and "-" must be exactly the punctuation of a table:
    # "[" + ("[" + ","*(width-1) + "]") joined by "," + "]".
    punct = data.translate(None, b"-0123456789")
    width = punct.index(b"]") - 1
    row = b"[" + b"," * (width - 1) + b"],"
    rows, rest = divmod(len(punct) - 1, len(row))
    if rest or punct != b"[" + (row * rows)[:-1] + b"]":
        return None
    # A number right after each "[" of a row and each in-row ",", nothing anywhere else: a
    # punctuation byte followed by a number byte exactly at those places. (Few temporaries:
    # on a 30 MB answer, fresh memory costs more than the arithmetic.)
    raw = np.frombuffer(data, dtype=np.uint8)
    is_punct = np.equal(raw, _COMMA)
    scratch = np.greater(raw, _NINE)  # "[" and "]"
    is_punct |= scratch
    filled = np.logical_not(is_punct[1:], out=scratch[:-1])
    filled &= is_punct[:-1]
    slots = b"\x01" * width + b"\x00\x00"
    if filled[is_punct[:-1]].tobytes() != b"\x00" + (slots * rows)[:-1]:
        return None
    del filled, is_punct, scratch
    count = rows * width
    try:
        # with count=, numpy raises (rather than warns) when it cannot read that many numbers
        values = np.fromstring(
            data.translate(_BRACKETS_TO_SPACES), dtype=np.int64, count=count, sep=","
        )
    except ValueError:
        return None
    if values.size != count:  # pragma: no cover - numpy raises instead
        return None
    top, bottom = int(values.max()), int(values.min())
    if top >= _LIMIT or bottom <= -_LIMIT:
        return None
    # Every "-" the sign of a negative value (not a lone "-", which numpy reads as 0, nor "-0").
    negative = int(np.count_nonzero(values < 0)) if bottom < 0 else 0
    if negative != (data.count(b"-") if negative else int(b"-" in data)):
        return None
    # Every number canonical, -?(0|[1-9][0-9]*): the digits and signs of the values read add
    # up to the characters between the punctuation (so no leading zeros, nothing unread).
    magnitude = np.abs(values) if bottom < 0 else values
    digits = count
    for power in _POWERS_OF_TEN[: len(str(max(top, -bottom))) - 1]:
        digits += int(np.count_nonzero(magnitude >= power))
    if digits + negative != len(data) - len(punct):
        return None
    return values.reshape(rows, width)
