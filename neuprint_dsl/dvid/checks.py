"""What the DVID client checks before it sends anything.

Every argument of :class:`~neuprint_dsl.dvid.client.DvidClient` is checked here, before a
request is made: server addresses, UUIDs (see ``reference/dvid-and-neuprinthttp-behaviour.md``
A10), instance names, timeouts, body ids, key range bounds, neuronjson queries DVID cannot
evaluate sensibly, and the annotations a write sends (a JSON object whose ``bodyid`` is its key,
no forged ``*_user``/``*_time`` fields, no lone UTF-16 surrogate anywhere). A refusal raises
:class:`~neuprint_dsl.errors.InvalidArgument` (or :class:`~neuprint_dsl.errors.InvalidValue`
for a lone surrogate) saying what was wrong.

Example:
    >>> check_uuid("a1b2:master"), check_key(10000)
    ('a1b2:master', 10000)
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeGuard
from urllib.parse import urlsplit

from ..errors import InvalidArgument
from ..neuronjson import SHOW, Query, check_json_text

__all__ = [
    "BODYID",
    "SCHEMA_KINDS",
    "UINT64_MAX",
    "VALUES_FORMATS",
    "SchemaKind",
    "TimeoutSpec",
    "ValuesFormat",
    "annotation_items",
    "as_list",
    "check_bound",
    "check_instance",
    "check_key",
    "check_query",
    "check_timeout",
    "check_token",
    "check_user",
    "check_uuid",
    "check_value",
    "conditional_fields",
    "digit_ranges",
    "encode_json",
    "field_list",
    "flag",
    "is_int",
    "non_negative",
    "normalize_server",
    "read_params",
    "schema_kind",
    "values_params",
]

TimeoutSpec = float | tuple[float, float]
#: the answer formats of ``keyvalues`` and ``keyrangevalues`` (``jsontar`` is DVID's ``tar``)
ValuesFormat = Literal["json", "jsontar", "protobuf"]
#: DVID's three metadata documents (``datatype/neuronjson``'s ``Schema`` kinds)
SchemaKind = Literal["json_schema", "schema", "schema_batch"]

BODYID = "bodyid"
UINT64_MAX = 2**64 - 1
SCHEMA_KINDS: tuple[SchemaKind, ...] = ("json_schema", "schema", "schema_batch")
VALUES_FORMATS: tuple[ValuesFormat, ...] = ("json", "jsontar", "protobuf")

_HEX_PREFIX = re.compile(r"[0-9a-fA-F]{1,32}")
_BRANCH = re.compile(r"[^\s:/~?#\\]+")
_ANCESTOR = re.compile(r"[0-9]+")
_UUID_FORMS = (
    "expected a hexadecimal UUID prefix ('a1b2'), 'prefix:branch', 'prefix:' (master) "
    "or ':branch', optionally followed by '~N' (the Nth ancestor of the branch head)"
)


# -- where the requests go ---------------------------------------------------------------


def normalize_server(server: str) -> str:
    """``http(s)://host[:port]`` from a server address (``http://`` added if missing).

    Example:
        >>> normalize_server("emdata:8900"), normalize_server("https://dvid.example.org/")
        ('http://emdata:8900', 'https://dvid.example.org')
    """
    if not isinstance(server, str) or not server.strip():
        raise InvalidArgument(
            f"a DVID server address is required, like 'http://host:port', not {server!r}"
        )
    text = server.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    problem = ""
    if parts.scheme.lower() not in ("http", "https"):
        problem = f"the scheme must be http or https, not {parts.scheme!r}"
    elif not parts.hostname or re.search(r"\s", parts.netloc):
        problem = "no host name"
    elif parts.username is not None or parts.password is not None:
        problem = "credentials do not belong in the address (pass token=...)"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "only http(s)://host[:port] is expected, without a path"
    else:
        try:
            parts.port  # noqa: B018 (raises ValueError for a bad port)
        except ValueError:
            problem = "the port is not a number from 0 to 65535"
    if problem:
        raise InvalidArgument(f"invalid DVID server {server!r}: {problem}")
    return f"{parts.scheme.lower()}://{parts.netloc}"


def check_uuid(uuid: str) -> str:
    """``uuid`` if it has one of the forms DVID resolves (see the reference, A10).

    Example:
        >>> [check_uuid(u) for u in ("a1b2", "a1b2:master", "a1b2:", ":master", "a1:dev~2")]
        ['a1b2', 'a1b2:master', 'a1b2:', ':master', 'a1:dev~2']
    """
    if not isinstance(uuid, str):
        raise InvalidArgument(f"a DVID UUID is a string, not {type(uuid).__name__}")
    problem = _uuid_problem(uuid)
    if problem:
        raise InvalidArgument(f"invalid DVID UUID {uuid!r}: {problem}; {_UUID_FORMS}")
    return uuid


def _uuid_problem(uuid: str) -> str:
    if uuid.count(":") > 1:
        return "more than one ':' (DVID answers 400)"
    prefix, colon, branch = uuid.partition(":")
    if prefix and not _HEX_PREFIX.fullmatch(prefix):
        return f"{prefix!r} is not a hexadecimal UUID prefix (at most 32 digits)"
    if not colon:
        return "" if prefix else "it is empty"
    branch, tilde, ancestor = branch.partition("~")
    if not prefix and not branch:
        return "':' alone names no version"
    if tilde and not branch:
        return "'~N' must follow a branch name"
    if tilde and not _ANCESTOR.fullmatch(ancestor):
        return f"'~{ancestor}' is not '~' followed by a number"
    if branch and not _BRANCH.fullmatch(branch):
        return f"the branch name {branch!r} has whitespace, '/', '?', '#', '\\\\' or '~'"
    return ""


def check_instance(instance: str) -> str:
    """``instance`` if it is a usable data instance name (non-empty, no ``/``).

    Example:
        >>> check_instance("segmentation_annotations")
        'segmentation_annotations'
    """
    if not isinstance(instance, str) or not instance or instance != instance.strip():
        raise InvalidArgument(f"a DVID data instance name is required, not {instance!r}")
    if "/" in instance or "\\" in instance or any(ord(c) < 32 for c in instance):
        raise InvalidArgument(f"invalid DVID data instance name {instance!r}: it contains '/'")
    return instance


def check_timeout(timeout: object) -> TimeoutSpec:
    """A positive number of seconds, or a ``(connect, read)`` pair; never ``None``.

    Example:
        >>> check_timeout(5), check_timeout((3.05, 60))
        (5.0, (3.05, 60.0))
    """
    if timeout is None:
        raise InvalidArgument(
            "a timeout must be set (seconds, or a (connect, read) pair): a request never waits "
            "forever"
        )
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise InvalidArgument(f"a timeout pair is (connect, read), not {timeout!r}")
        return (_seconds(timeout[0]), _seconds(timeout[1]))
    return _seconds(timeout)


def _seconds(value: object) -> float:
    seconds = _finite(value)
    if seconds is None or seconds <= 0:
        raise InvalidArgument(f"a timeout is a positive number of seconds, not {value!r}")
    return seconds


def _finite(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def non_negative(value: object, name: str) -> float:
    """``value`` as a float if it is a finite number of seconds >= 0 (``name`` is the
    argument's name, for the error).

    Example:
        >>> non_negative(2, "backoff")
        2.0
    """
    seconds = _finite(value)
    if seconds is None or seconds < 0:
        raise InvalidArgument(f"{name} is a non-negative number of seconds, not {value!r}")
    return seconds


def check_user(user: object) -> str:
    """``user`` if it is a usable DVID user name (the ``u`` DVID records with each write).

    Example:
        >>> check_user("jdoe")
        'jdoe'
    """
    if not isinstance(user, str) or not user.strip() or any(ord(c) < 32 for c in user):
        raise InvalidArgument(f"a DVID user name is a non-empty string, not {user!r}")
    return user


def check_token(token: object) -> str:
    """``token`` if it can be sent as ``Authorization: Bearer <token>``.

    Example:
        >>> check_token("s3cret")
        's3cret'
    """
    if not isinstance(token, str) or not token or re.search(r"\s", token):
        raise InvalidArgument("a token is a non-empty string without whitespace")
    return token


def flag(value: object, name: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (``name`` is the argument's name).

    Example:
        >>> flag(True, "replace")
        True
    """
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be True or False, not {value!r}")
    return value


# -- keys --------------------------------------------------------------------------------


def is_int(value: object) -> TypeGuard[int]:
    """True for an ``int`` that is not a ``bool`` (JSON's integers).

    Example:
        >>> is_int(3), is_int(True), is_int(3.0)
        (True, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool)


def check_key(key: object, *, zero: bool = False) -> int:
    """A body id as an ``int``: a positive 64-bit integer (``0`` too if ``zero``).

    Example:
        >>> check_key(10000)
        10000
        >>> check_key(0)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: a body id is an integer from 1 to 2**64-1, not 0
    """
    low = 0 if zero else 1
    if isinstance(key, bool) or not isinstance(key, numbers.Integral):
        raise InvalidArgument(f"a body id is an integer, not {type(key).__name__} {key!r}")
    value = int(key)
    if not low <= value <= UINT64_MAX:
        raise InvalidArgument(f"a body id is an integer from {low} to 2**64-1, not {value}")
    return value


def check_bound(bound: object) -> str:
    """A ``keyrange`` bound as DVID reads it (``parseKeyStr``): a body id, or a string that
    is a decimal uint64 or starts with a character below ``"0"`` (meaning 0) or above
    ``"9"`` (meaning 2**64-1); without ``/``, ``?`` or ``#``, which would change the URL.

    Example:
        >>> check_bound(10000), check_bound("a"), check_bound("0")
        ('10000', 'a', '0')
        >>> check_bound("12a")
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: invalid key range bound '12a': DVID reads a bound starting with a digit as a uint64 and answers 400 otherwise
    """
    if isinstance(bound, numbers.Integral) and not isinstance(bound, bool):
        return str(check_key(bound, zero=True))
    if not isinstance(bound, str) or not bound:
        raise InvalidArgument(
            f"a key range bound is a body id or a non-empty string, not {bound!r}"
        )
    if any(c in bound for c in "/?#%\\") or any(ord(c) < 33 for c in bound):
        raise InvalidArgument(f"invalid key range bound {bound!r}: it would change the URL")
    check_json_text(bound, "the key range bound")
    if "0" <= bound[0] <= "9" and not (
        bound.isascii() and bound.isdigit() and int(bound) <= UINT64_MAX
    ):
        raise InvalidArgument(
            f"invalid key range bound {bound!r}: DVID reads a bound starting with a digit as a "
            "uint64 and answers 400 otherwise"
        )
    return bound


def digit_ranges(first: int, last: int) -> list[tuple[int, int]]:
    """``[first, last]`` cut where the number of digits changes: within each piece, DVID's
    string order of keys is their numeric order.

    Example:
        >>> digit_ranges(5, 120)
        [(5, 9), (10, 99), (100, 120)]
    """
    if first > last:
        raise InvalidArgument(f"an empty key range: {first} > {last}")
    pieces = []
    low = first
    while low <= last:
        high = min(last, 10 ** len(str(low)) - 1)
        pieces.append((low, high))
        low = high + 1
    return pieces


# -- queries and read options --------------------------------------------------------------


def check_query(query: object) -> Query:
    """``query`` if it is a neuronjson query DVID evaluates sensibly; raises otherwise.

    Example:
        >>> check_query([{"type": "KC"}, {"bodyid": [1, 2]}])
        [{'type': 'KC'}, {'bodyid': [1, 2]}]
        >>> check_query({"bodyid": [1, "x"]})
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: ... mixes numbers or strings with other values ...
    """
    if isinstance(query, list):
        if not query:
            raise InvalidArgument(
                "an empty list is not a query (DVID answers 400 'no query provided'); "
                "use all() for every annotation"
            )
        objects: list[object] = list(query)
    else:
        objects = [query]
    for obj in objects:
        if not isinstance(obj, dict):
            raise InvalidArgument(
                f"a neuronjson query is a JSON object or a list of them, not {obj!r}"
            )
        if not obj:
            raise InvalidArgument(
                "an empty query object is ambiguous on DVID (alone it matches nothing, inside "
                "an OR everything); use all() for every annotation"
            )
        for name, value in obj.items():
            if not isinstance(name, str) or not name:
                raise InvalidArgument(f"query field names are non-empty strings, not {name!r}")
            problem = _value_problem(value)
            if problem:
                raise InvalidArgument(f"query field {name!r}: {problem}")
    check_json_text(query, "the neuronjson query")
    return query  # type: ignore[return-value]


def _value_problem(value: Any) -> str:
    if isinstance(value, str) or is_int(value):
        return ""
    if isinstance(value, float):
        return f"DVID never matches a scalar float ({value!r})"
    if not isinstance(value, list):
        kind = "null" if value is None else type(value).__name__
        return f"DVID never matches a {kind} value ({value!r})"
    if all(isinstance(v, str) for v in value) or all(_is_number(v) for v in value):
        return ""
    if any(_is_number(v) or isinstance(v, str) for v in value):
        return (
            f"the list {value!r} mixes numbers or strings with other values (DVID fails, or "
            "silently ignores or changes part of it)"
        )
    return f"DVID never matches the list {value!r} (only integers, numbers or strings)"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_list(values: Any, what: str) -> list[Any]:
    """``values`` as a list, refusing a string (which would be read one character at a
    time) and anything that is not iterable.

    Example:
        >>> as_list((1, 2), "keys")
        [1, 2]
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{what} must be a list, not {type(values).__name__} {values!r}")
    return list(values)


def field_list(fields: Iterable[str] | None) -> list[str] | None:
    """The field names to ask for, in order, without repeats; ``None`` means every field.

    Example:
        >>> field_list(["type", "status", "type"]), field_list(None)
        (['type', 'status'], None)
    """
    if fields is None:
        return None
    names = list(dict.fromkeys(as_list(fields, "fields")))
    for name in names:
        if not isinstance(name, str) or not name or "," in name:
            raise InvalidArgument(f"a field name is a non-empty string without ',', not {name!r}")
    if not names:
        raise InvalidArgument("fields must be None (every field) or a non-empty list of names")
    check_json_text(names, "the field names")
    return names


def conditional_fields(fields: Iterable[str] | str | None) -> list[str]:
    """The fields a write may only set when they are not set yet (``conditional=``).

    Example:
        >>> conditional_fields("status"), conditional_fields(None)
        (['status'], [])
    """
    if fields is None:
        return []
    if isinstance(fields, str):
        fields = [fields]
    return field_list(fields) or []


def read_params(*, fields: list[str] | None, show: str | None) -> dict[str, str]:
    """The ``fields`` and ``show`` query parameters of a read.

    Example:
        >>> read_params(fields=["type", "status"], show="user")
        {'fields': 'type,status', 'show': 'user'}
    """
    if show not in SHOW:
        raise InvalidArgument(f"show must be one of {SHOW}, not {show!r}")
    params: dict[str, str] = {}
    if fields is not None:
        params["fields"] = ",".join(fields)
    if show is not None:
        params["show"] = show
    return params


def values_params(
    format: str, check: bool | None, fields: Iterable[str] | None, show: str | None
) -> tuple[list[str] | None, dict[str, str]]:
    """The field names and the query parameters of a ``keyvalues``/``keyrangevalues`` read
    whose answer comes in ``format`` (``check`` applies to ``"json"`` only).

    Example:
        >>> values_params("json", True, ["type"], None)
        (['type'], {'json': 'true', 'check': 'true', 'fields': 'type'})
        >>> values_params("protobuf", None, None, "time")
        (None, {'show': 'time'})
    """
    names = field_list(fields)
    if format not in VALUES_FORMATS:
        raise InvalidArgument(f"format must be one of {VALUES_FORMATS}, not {format!r}")
    params = (
        {"json": "true"} if format == "json" else {"jsontar": "true"} if format == "jsontar" else {}
    )
    if check is not None:
        if format != "json":
            raise InvalidArgument("check applies to format='json' only (DVID ignores it otherwise)")
        params["check"] = "true" if flag(check, "check") else "false"
    return names, {**params, **read_params(fields=names, show=show)}


def schema_kind(kind: object) -> str:
    """``kind`` if it names one of DVID's metadata documents (:data:`SCHEMA_KINDS`).

    Example:
        >>> schema_kind("schema_batch")
        'schema_batch'
    """
    if kind not in SCHEMA_KINDS:
        raise InvalidArgument(f"a schema kind is one of {SCHEMA_KINDS}, not {kind!r}")
    return str(kind)


# -- what a write sends --------------------------------------------------------------------


def encode_json(body: Any) -> bytes:
    """``body`` as the JSON bytes DVID receives (ASCII, no NaN or infinity).

    Example:
        >>> encode_json({"bodyid": 7, "type": "KCα"})
        b'{"bodyid": 7, "type": "KC\\\\u03b1"}'
    """
    try:
        return json.dumps(body, allow_nan=False, ensure_ascii=True).encode("ascii")
    except (TypeError, ValueError) as err:
        raise InvalidArgument(f"not JSON-serialisable: {err}") from None


def check_value(
    key: int, value: Mapping[str, Any], *, allow_metadata: bool = False
) -> dict[str, Any]:
    """The annotation to POST for body ``key``, checked (see
    :meth:`~neuprint_dsl.dvid.client.DvidClient.post`).

    Example:
        >>> check_value(7, {"type": "KC"})
        {'bodyid': 7, 'type': 'KC'}
        >>> check_value(7, {"type_user": "someone"})
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: refusing to write 'type_user': ... (pass allow_metadata=True to write it)
    """
    if not isinstance(value, Mapping):
        raise InvalidArgument(
            f"an annotation is a JSON object (a dict), not {type(value).__name__}"
        )
    record = dict(value)
    for name in record:
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"annotation field names are non-empty strings, not {name!r}")
    if BODYID in record:
        body = record[BODYID]
        if not is_int(body) or body != key:
            raise InvalidArgument(f"the annotation's bodyid {body!r} is not its key {key}")
    else:
        record = {BODYID: key, **record}  # DVID refuses an annotation without it
    for name in record:
        if name in ("bodyid_user", "bodyid_time"):
            raise InvalidArgument(f"refusing to write {name!r}: DVID rejects it (400)")
        if name.endswith(("_user", "_time")) and not allow_metadata:
            raise InvalidArgument(
                f"refusing to write {name!r}: DVID sets *_user/*_time itself from u= and the "
                "clock (pass allow_metadata=True to write it)"
            )
    encode_json(record)  # JSON-serialisable, no NaN or infinity
    check_json_text(record, f"the annotation of body {key}")
    return record


def annotation_items(
    annotations: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> list[tuple[int, Mapping[str, Any]]]:
    """``(body id, annotation)`` pairs from a dict keyed by id or from records with a
    ``bodyid``; a body id given twice is refused.

    Example:
        >>> annotation_items([{"bodyid": 7, "type": "KC"}])
        [(7, {'bodyid': 7, 'type': 'KC'})]
    """
    if isinstance(annotations, Mapping):
        items = [(check_key(k), v) for k, v in annotations.items()]
    else:
        items = []
        for i, record in enumerate(as_list(annotations, "annotations")):
            if not isinstance(record, Mapping):
                raise InvalidArgument(
                    f"annotation {i} is {type(record).__name__}, not a JSON object (a dict)"
                )
            if BODYID not in record:
                raise InvalidArgument(f"annotation {i} has no bodyid (pass a dict keyed by id)")
            items.append((check_key(record[BODYID]), record))
    seen: set[int] = set()
    for key, _ in items:
        if key in seen:
            raise InvalidArgument(
                f"body {key} is given twice: DVID would write both, one after the other"
            )
        seen.add(key)
    return items
