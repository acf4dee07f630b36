"""The wire formats of DVID's ``keyvalues`` and ``keyrangevalues`` endpoints.

DVID's ``neuronjson`` answers batches of annotations as JSON (``json=true``), as a tar file
(``jsontar=true`` / ``tar=true``: one member per key, named by the key, holding the JSON bytes)
or, by default, as protobuf ``KeyValues`` (``datatype/common/proto``)::

    message KeyValue  { string key = 1; bytes value = 2; }
    message Keys      { repeated string keys = 1; }
    message KeyValues { repeated KeyValue kvs = 1; }

``POST keyvalues`` takes ``KeyValues`` only. These messages are small enough to write and read
by hand (no protobuf dependency): a field is a varint tag ``(number << 3) | wire_type``
followed by, for wire type 2, a varint length and that many bytes.

Example:
    >>> body = encode_key_values([("23", b'{"bodyid": 23}')])
    >>> body
    b'\\n\\x14\\n\\x0223\\x12\\x0e{"bodyid": 23}'
    >>> decode_key_values(body)
    [('23', b'{"bodyid": 23}')]
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable

from ..errors import TransportError

__all__ = [
    "decode_key_values",
    "decode_keys",
    "encode_key_values",
    "encode_keys",
    "read_tar",
]

_LEN = 2  # wire type of strings, bytes and embedded messages


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(payload)) + payload


def encode_keys(keys: Iterable[str]) -> bytes:
    """A protobuf ``Keys`` message.

    Example:
        >>> encode_keys(["7", "10000"])
        b'\\n\\x017\\n\\x0510000'
    """
    return b"".join(_field(1, key.encode("utf-8")) for key in keys)


def encode_key_values(items: Iterable[tuple[str, bytes]]) -> bytes:
    """A protobuf ``KeyValues`` message from ``(key, value bytes)`` pairs (proto3 leaves an
    empty value out, as DVID's Go encoder does).

    Example:
        >>> encode_key_values([("7", b"")])
        b'\\n\\x03\\n\\x017'
    """
    out = []
    for key, value in items:
        inner = _field(1, key.encode("utf-8")) if key else b""
        if value:
            inner += _field(2, value)
        out.append(_field(1, inner))
    return b"".join(out)


def _read_varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise TransportError(f"{what}: the protobuf answer ends inside a number (truncated)")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise TransportError(f"{what}: the protobuf answer has a number longer than 64 bits")


def _fields(data: bytes, what: str) -> list[tuple[int, bytes]]:
    """The length-delimited fields of one message; other wire types are skipped."""
    out = []
    pos = 0
    while pos < len(data):
        tag, pos = _read_varint(data, pos, what)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, pos = _read_varint(data, pos, what)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == _LEN:
            size, pos = _read_varint(data, pos, what)
            if pos + size > len(data):
                raise TransportError(
                    f"{what}: the protobuf answer announces {size} bytes but has "
                    f"{len(data) - pos} (truncated)"
                )
            out.append((number, data[pos : pos + size]))
            pos += size
        else:
            raise TransportError(f"{what}: not a protobuf message (wire type {wire})")
        if pos > len(data):
            raise TransportError(f"{what}: the protobuf answer is truncated")
    return out


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TransportError(f"{what}: a protobuf key is not UTF-8: {raw[:40]!r}") from None


def decode_keys(data: bytes, what: str = "Keys") -> list[str]:
    """The keys of a protobuf ``Keys`` message.

    Example:
        >>> decode_keys(encode_keys(["7", "10000"]))
        ['7', '10000']
    """
    return [_text(raw, what) for number, raw in _fields(data, what) if number == 1]


def decode_key_values(data: bytes, what: str = "KeyValues") -> list[tuple[str, bytes]]:
    """The ``(key, value bytes)`` pairs of a protobuf ``KeyValues`` message. Raises
    :class:`~neuprint_dsl.TransportError` for bytes that are not one (a cut inside a record is
    detected; a cut exactly between two records cannot be, as protobuf has no end marker).

    Example:
        >>> decode_key_values(encode_key_values([("7", b"{}"), ("8", b"")]))
        [('7', b'{}'), ('8', b'')]
    """
    pairs = []
    for number, raw in _fields(data, what):
        if number != 1:
            continue
        key, value = "", b""
        for inner_number, inner in _fields(raw, what):
            if inner_number == 1:
                key = _text(inner, what)
            elif inner_number == 2:
                value = inner
        pairs.append((key, value))
    return pairs


_END_OF_ARCHIVE = b"\0" * 1024


def read_tar(data: bytes, what: str = "tar") -> list[tuple[str, bytes]]:
    """The ``(member name, bytes)`` pairs of a tar file as DVID writes it (Go's
    ``archive/tar``: 512-byte blocks, closed by two zero blocks). An archive without that end
    marker is truncated and raises :class:`~neuprint_dsl.TransportError`.

    Example:
        >>> import io, tarfile
        >>> buffer = io.BytesIO()
        >>> with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        ...     info = tarfile.TarInfo("23"); info.size = 2
        ...     tar.addfile(info, io.BytesIO(b"{}"))
        >>> read_tar(buffer.getvalue())
        [('23', b'{}')]
        >>> read_tar(buffer.getvalue()[:1024])
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.TransportError: tar: the tar answer (1024 bytes) has no end-of-archive marker: it is truncated
    """
    if not data:
        raise TransportError(f"{what}: the tar answer is empty (not even an end-of-archive marker)")
    if len(data) % 512 or not data.endswith(_END_OF_ARCHIVE):
        raise TransportError(
            f"{what}: the tar answer ({len(data)} bytes) has no end-of-archive marker: it is "
            "truncated"
        )
    members = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for info in tar:
                if not info.isfile():
                    raise TransportError(f"{what}: unexpected tar member {info.name!r}")
                handle = tar.extractfile(info)
                content = handle.read() if handle is not None else b""
                if len(content) != info.size:
                    raise TransportError(f"{what}: tar member {info.name!r} is truncated")
                members.append((info.name, content))
    except tarfile.TarError as err:
        raise TransportError(f"{what}: the answer is not a valid tar file: {err}") from None
    return members
