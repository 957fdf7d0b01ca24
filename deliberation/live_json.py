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
