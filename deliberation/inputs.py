"""What every input must be before an operation sees it: JSON nested a sane depth, text
without NUL bytes (PostgreSQL cannot store them), numbers that are finite.

The API's bodies, the pages' forms, query strings and Socket.IO payloads all pass here,
so that no input reaches the database or the geometry code in a shape they cannot take.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask_babel import gettext as _

from deliberation.errors import DomainError, ErrorCode, InvalidInput

MAX_DEPTH = 64


class Malformed(DomainError):
    status = 400
    code = ErrorCode.INVALID_JSON


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON deeper than ``max_depth`` (400), and text with NUL or a non-finite number (422)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise Malformed(_("The body is nested too deeply."))
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if isinstance(key, str):
                    check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput(_("Numbers must be finite: NaN and Infinity are not allowed."))


def check_text(text: str) -> None:
    if "\x00" in text:
        raise InvalidInput(_("Text may not contain a NUL character."))


def parse_json(raw: bytes | str) -> Any:
    """A request body as JSON, checked; 400 when it is not JSON at all."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nested past Python's limit
        raise Malformed(_("The body is not valid JSON.")) from error
    check_value(value)
    return value
