"""Loading rows by id for the transports, with the product's 404."""

from __future__ import annotations

from typing import TypeVar

from flask_babel import gettext as _

from deliberation.errors import NotFound
from deliberation.extensions import db

T = TypeVar("T")


def get_or_404(model: type[T], ident: object) -> T:
    """Load a row by id or raise ``NotFound``."""
    obj = db.session.get(model, ident) if isinstance(ident, int) else None
    if obj is None:
        raise NotFound(_("Not found."))
    return obj
