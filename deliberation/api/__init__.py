"""The JSON API under /api/v1: one blueprint per feature, all registered here."""

from __future__ import annotations

from flask_smorest import Api

from deliberation.api import auth, communities, decisions, hearings, me, members, proposals, rounds, sites
from deliberation.extensions import csrf

BLUEPRINTS = (
    auth.blp,
    me.blp,
    communities.blp,
    members.blp,
    sites.blp,
    rounds.blp,
    proposals.blp,
    hearings.blp,
    decisions.blp,
)


def register_api(api: Api) -> None:
    """Register every API blueprint; programs authenticate by token or cookie, not CSRF form fields."""
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
