"""Marshmallow fields for the edges (HTTP and Socket.IO): integers as JSON means them.

JSON has one number type, so 2.0 is the integer 2 (as JSON Schema's "integer" says); a
string, a boolean or 2.5 is not. Every integer the app stores fits PostgreSQL's 32-bit
``integer``, so anything larger is refused as invalid input here, before a query could
fail on it; ids are positive too.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields, validate

MAX_INT = 2**31 - 1


class Integer(fields.Integer):
    """An integer from JSON: 2 or 2.0, never "2", true or 2.5; within 32 bits unless told.

    In a query string every value is text: ``in_query=True`` takes up to ten plain digits.
    """

    def __init__(self, *args: Any, in_query: bool = False, **kwargs: Any):
        self.in_query = in_query
        kwargs.pop("strict", None)
        extra = kwargs.pop("validate", None)
        checks = [validate.Range(min=-MAX_INT - 1, max=MAX_INT)]
        if extra is not None:
            checks.extend(extra if isinstance(extra, list | tuple) else [extra])
        super().__init__(*args, strict=False, validate=checks, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if self.in_query and isinstance(value, str):
            if not re.fullmatch(r"-?[0-9]{1,10}", value):
                raise self.make_error("invalid")
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Id(Integer):
    """The id of a stored thing: a positive 32-bit integer."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_INT))
        super().__init__(*args, **kwargs)
