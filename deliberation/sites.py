"""Sites: creating them (their geometry validated by geo) and checking layouts against them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

import geo
from deliberation.accounts import require_role
from deliberation.audit import record
from deliberation.enums import Role, SiteKind, values
from deliberation.errors import InvalidInput, InvalidLayout
from deliberation.extensions import db
from deliberation.models import Community, Round, Site, User
from deliberation.offload import run_heavy

EMPTY_CONSTRAINTS: dict[str, Any] = {"type": "FeatureCollection", "features": []}


def create_site(
    community: Community,
    name: str,
    kind: str,
    boundary: Any,
    constraints: Any,
    *,
    by: User,
    language: str,
) -> Site:
    """A new site; moderators only; its boundary and constraints must have no errors."""
    require_role(by, community.id, Role.MODERATOR)
    if kind not in values(SiteKind):
        raise InvalidInput(_("Unknown kind of site."))
    constraints = constraints if constraints is not None else EMPTY_CONSTRAINTS
    report = geo.validate_site(boundary, constraints)
    if not report.valid:
        raise InvalidLayout(_("The site's geometry has errors."), report.to_dict(language))
    site = Site(
        community=community,
        name=name.strip(),
        kind=kind,
        boundary=boundary,
        constraints=constraints,
        created_by_id=by.id,
    )
    db.session.add(site)
    record("site.created", site, actor=by, community_id=community.id, name=site.name)
    return site


def geo_site(site: Site) -> geo.Site:
    """The geo package's view of a stored site (validated when it was created)."""
    return geo.Site.from_geojson(site.boundary, site.constraints)


def check_layout(site: Site, layout: Any, *, language: str, round_: Round | None = None) -> dict[str, Any]:
    """Validate and measure a layout against a site (and a round's budget); nothing is stored.

    The check runs off the live loop (offload.py): a dense layout takes a while.
    """
    return run_heavy(
        _report,
        layout,
        site.boundary,
        site.constraints,
        round_.budget_cny if round_ is not None and round_.budget_cny else None,
        site.community.unit_costs,
        language,
    )


def _report(
    layout: Any, boundary: Any, constraints: Any, budget_cny: int | None, unit_costs: Any, language: str
) -> dict[str, Any]:
    # The site is built here too: its first projection in a process sets up a transformer.
    site = geo.Site.from_geojson(boundary, constraints)
    return geo.validate_layout(layout, site, budget_cny=budget_cny, unit_costs=unit_costs).to_dict(language)
