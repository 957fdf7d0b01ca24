"""The people's pages: home and the round overview."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from deliberation.extensions import db
from deliberation.lookup import get_or_404
from deliberation.models import Community, Round, Site
from deliberation.rounds import OPEN_PHASES, next_phases

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    """Communities with their sites and open rounds; an introduction for visitors."""
    if not current_user.is_authenticated:
        return render_template("home.html", communities=[], rounds_by_site={})
    communities = db.session.scalars(select(Community).order_by(Community.id)).all()
    rounds = db.session.scalars(select(Round).order_by(Round.created_at.desc())).all()
    rounds_by_site: dict[int, list[Round]] = {}
    for round_ in rounds:
        rounds_by_site.setdefault(round_.site_id, []).append(round_)
    sites = db.session.scalars(select(Site).order_by(Site.id)).all()
    sites_by_community: dict[int, list[Site]] = {}
    for site in sites:
        sites_by_community.setdefault(site.community_id, []).append(site)
    return render_template(
        "home.html",
        communities=communities,
        sites_by_community=sites_by_community,
        rounds_by_site=rounds_by_site,
        open_phases={phase.value for phase in OPEN_PHASES},
    )


@bp.get("/rounds/<int:round_id>")
@login_required
def round_page(round_id: int):
    """A round: its brief, phase, deadline and the record of its phase changes."""
    round_ = get_or_404(Round, round_id)
    return render_template("round.html", round=round_, next_phases=next_phases(round_))
