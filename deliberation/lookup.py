"""Loading rows by id for the transports, with the product's 404."""

from __future__ import annotations

from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy.orm.interfaces import ORMOption

from deliberation import ballots, decisions
from deliberation.errors import NotFound
from deliberation.extensions import db
from deliberation.models import Round

T = TypeVar("T")


def get_or_404(model: type[T], ident: object, *options: ORMOption) -> T:
    """Load a row by id (with loader ``options``) or raise ``NotFound``."""
    obj = db.session.get(model, ident, options=options) if isinstance(ident, int) else None
    if obj is None:
        raise NotFound(_("Not found."))
    return obj


def round_for_reading(round_id: object) -> Round:
    """A round as every page and API read sees it: ballots past their deadline are written
    down as closed, and a decision whose notice period is over is made final ("on read";
    the scheduled command does the same)."""
    round_ = get_or_404(Round, round_id)
    if ballots.close_ballots_if_due(round_) | decisions.finalise_if_due(round_):
        db.session.commit()
    return round_
