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
from deliberation.offload import run_heavy

MAX_DEPTH = 64


class Malformed(DomainError):
    status = 400
    code = ErrorCode.INVALID_JSON


# Bodies above this size are parsed and checked on a pool thread (offload.py): walking a
# megabyte of layout takes tens of milliseconds, which a live loop should not spend.
LARGE_BODY_BYTES = 64 * 1024

NOT_JSON, TOO_DEEP, NUL_CHARACTER, NOT_FINITE = "not_json", "too_deep", "nul_character", "not_finite"


def first_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """What is wrong with a parsed value, if anything (plain work: no Flask context needed)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                return TOO_DEEP
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if isinstance(key, str) and "\x00" in key:
                    return NUL_CHARACTER
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            if "\x00" in item:
                return NUL_CHARACTER
        elif isinstance(item, float) and not math.isfinite(item):
            return NOT_FINITE
    return None


def refuse(problem: str | None) -> None:
    """Raise the refusal for a problem found by first_problem (400 or 422); nothing if none."""
    if problem == TOO_DEEP:
        raise Malformed(_("The body is nested too deeply."))
    if problem == NUL_CHARACTER:
        raise InvalidInput(_("Text may not contain a NUL character."))
    if problem == NOT_FINITE:
        raise InvalidInput(_("Numbers must be finite: NaN and Infinity are not allowed."))


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON deeper than ``max_depth`` (400), and text with NUL or a non-finite number (422)."""
    refuse(first_problem(value, max_depth=max_depth))


def check_text(text: str) -> None:
    if "\x00" in text:
        raise InvalidInput(_("Text may not contain a NUL character."))


def parse_json(raw: bytes | str) -> Any:
    """A request body as JSON, checked; 400 when it is not JSON at all."""
    if len(raw) > LARGE_BODY_BYTES:
        value, problem = run_heavy(_parsed_and_checked, raw)
    else:
        value, problem = _parsed_and_checked(raw)
    if problem == NOT_JSON:
        raise Malformed(_("The body is not valid JSON."))
    refuse(problem)
    return value


def _parsed_and_checked(raw: bytes | str) -> tuple[Any, str | None]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
        return None, NOT_JSON
    return value, first_problem(value)
