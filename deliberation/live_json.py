"""The JSON of Socket.IO packets: orjson, several times faster than the standard library at
the comment dicts a hearing sends, and able to splice a fragment encoded once (a hearing's
latest page of comments, see hearings.latest_page) into every packet that carries it."""

from __future__ import annotations

from typing import Any

import orjson

Fragment = orjson.Fragment

_OPTIONS = orjson.OPT_NON_STR_KEYS  # as the standard library, which turns int keys into strings


def dumps(value: Any, **_options: Any) -> str:
    """Compact JSON text (python-socketio asks for compact separators: orjson has no others)."""
    return orjson.dumps(value, option=_OPTIONS).decode()


def loads(text: str | bytes, **_options: Any) -> Any:
    """A packet's payload; malformed JSON raises ValueError, as the standard library's does."""
    return orjson.loads(text)


def fragment(value: Any) -> Fragment:
    """``value`` encoded now, to be sent as it is in any number of packets."""
    return Fragment(orjson.dumps(value, option=_OPTIONS))


def packet_utf8(pkt: Any) -> bytes:
    """A Socket.IO packet without attachments, as ``pkt.encode()`` makes it, in UTF-8: its
    JSON is made in UTF-8, so it is not decoded to text to be encoded back."""
    head = str(pkt.packet_type)
    if pkt.namespace is not None and pkt.namespace != "/":
        head += pkt.namespace + ","
    if pkt.id is not None:
        head += str(pkt.id)
    body = b"" if pkt.data is None else orjson.dumps(pkt.data, option=_OPTIONS)
    return head.encode() + body
