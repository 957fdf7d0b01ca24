"""Ask what (问需): residents pin needs on the site map and support each other's."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

import geo
from deliberation import limits
from deliberation.audit import record
from deliberation.enums import NeedCategory, Phase, values
from deliberation.errors import InvalidInput, InvalidLayout, NotAllowed
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.models import Need, NeedSupport, Round, User
from deliberation.privacy import person_name, sees_people
from deliberation.rounds import require_member, require_phase
from deliberation.sites import geo_site

MAX_NEED_TEXT = 1000


def check_can_take_part(round_: Round, user: User) -> None:
    """Refuse unless this person may pin and support needs now (members, while the round asks what)."""
    require_member(user, round_)
    require_phase(round_, Phase.NEEDS)


def add_need(
    round_: Round, text: str, category: str, geometry: Any | None, *, by: User, language: str
) -> Need:
    """Pin a need on the site (a point, an area, or none for the whole site) while the round asks what."""
    check_can_take_part(round_, by)
    limits.require_room(
        select(Need.id).where(Need.round_id == round_.id, Need.author_id == by.id),
        limits.NEEDS_PER_PERSON,
        _("You have pinned the most needs one person may pin in a round (%(n)d).", n=limits.NEEDS_PER_PERSON),
    )
    text = text.strip()
    if not 1 <= len(text) <= MAX_NEED_TEXT:
        raise InvalidInput(_("Describe the need in 1 to %(n)d characters.", n=MAX_NEED_TEXT))
    if category not in values(NeedCategory):
        raise InvalidInput(_("Unknown category."))
    if geometry is not None:
        report = geo.validate_pin(geometry, geo_site(round_.site))
        if not report.valid:
            raise InvalidLayout(_("The place of the need is not valid."), report.to_dict(language))
    need = Need(round_id=round_.id, author_id=by.id, category=category, text=text, geometry=geometry)
    db.session.add(need)
    record("need.added", need, actor=by, community_id=round_.community_id, round_id=round_.id)
    return need


def support_need(need: Need, *, by: User) -> Need:
    """Support a need; supporting it again changes nothing."""
    check_can_take_part(need.round, by)
    if need.author_id == by.id:  # support counts other neighbours who share a need
        raise NotAllowed(_("This is your own need: support is for the needs of others."))
    if any(s.user_id == by.id for s in need.supports):
        return need
    need.supports.append(NeedSupport(user_id=by.id))
    record("need.supported", need, actor=by, community_id=need.round.community_id, round_id=need.round_id)
    return need


def needs_of(round_: Round) -> list[Need]:
    """A round's needs, most supported first."""
    needs = db.session.scalars(select(Need).where(Need.round_id == round_.id).order_by(Need.id)).all()
    return sorted(needs, key=lambda n: -n.support_count)


def need_feature(
    need: Need,
    *,
    viewer: User | None = None,
    people_visible: bool | None = None,
    site: geo.Site | None = None,
) -> dict[str, Any]:
    """A need as a GeoJSON Feature for the needs layer (no geometry: about the whole site).

    Its author is named to members of the round's community only (``people_visible``,
    worked out from ``viewer`` when not given). ``site`` (the round's, built once for a
    layer of needs) places it in words.
    """
    if people_visible is None:
        people_visible = sees_people(viewer, need.round.community_id)
    return {
        "type": "Feature",
        "id": need.id,
        "geometry": need.geometry,
        "properties": {
            "id": need.id,
            "category": need.category,
            "text": need.text,
            "supports": need.support_count,
            "supported_by_me": bool(viewer and any(s.user_id == viewer.id for s in need.supports)),
            "author": person_name(need.author, visible=people_visible),
            "mine": bool(viewer and need.author_id == getattr(viewer, "id", None)),
            "created_at": need.created_at.isoformat(),
            # Where it is, in words (the request's language): for whoever cannot see the map.
            "place": (
                geo.describe_pin(need.geometry, site or geo_site(need.round.site), current_language().value)
                if need.geometry
                else None
            ),
        },
    }


def needs_layer(round_: Round, *, viewer: User | None = None) -> dict[str, Any]:
    """Every need of a round as a FeatureCollection."""
    people_visible, site = sees_people(viewer, round_.community_id), geo_site(round_.site)
    return {
        "type": "FeatureCollection",
        "features": [
            need_feature(n, viewer=viewer, people_visible=people_visible, site=site) for n in needs_of(round_)
        ],
    }
