"""The people's pages: home, a round and its panels, comparison, ballot, tally, sites and the community map.

Handlers load, ask the domain modules what this person may do, and render; the
pages' JavaScript then calls the JSON API with the session cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.routing import BuildError

import geo
from deliberation import (
    asking,
    ballots,
    comparison,
    decisions,
    hearings,
    joining,
    members,
    needs,
    proposals,
    rounds,
)
from deliberation.age_groups import ordered_groups
from deliberation.enums import Phase, ProposalStatus, Role
from deliberation.errors import Conflict, allows
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.labels import PHASE_NAMES, age_group_name
from deliberation.live import HearingNamespace
from deliberation.lookup import get_or_404, round_for_reading
from deliberation.map_views import (
    MapWords,
    community_map,
    comparison_maps,
    layout_words,
    round_map,
    round_words,
    site_map,
)
from deliberation.models import Community, Proposal, Round, Site
from deliberation.pages.closing import plan_svg
from deliberation.proposals import version_of
from deliberation.publish import NAMESPACE, Event
from deliberation.rounds import OPEN_PHASES, available_moves, move_effect
from deliberation.sites import geo_site
from geo.kinds import kind_of, spec
from geo.maps import NEED_COLOURS

bp = Blueprint("pages", __name__)

# The phases a round walks through after its draft, in order (the stepper on the round page).
STEPS = tuple(phase for phase in Phase if phase is not Phase.DRAFT)


def page_url(endpoint: str, fallback: str, **values: Any) -> str:
    """The URL of a page another part of the app may provide, or its agreed path until it does."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return request.script_root + fallback


def proposal_url(proposal_id: int) -> str:
    return page_url("design.proposal_page", f"/proposals/{proposal_id}", proposal_id=proposal_id)


def editor_url(round_id: int) -> str:
    return page_url("design.new_proposal", f"/rounds/{round_id}/proposals/new", round_id=round_id)


@bp.context_processor
def link_helpers() -> dict[str, Any]:
    return {"proposal_url": proposal_url, "editor_url": editor_url}


@bp.app_template_filter("percent")
def percent_filter(value: float | None) -> str:
    """A ratio as a percentage in the reader's locale (– when unknown)."""
    return "–" if value is None else format_percent(value, format="#,##0.#%")


@bp.app_template_filter("square_metres")
def square_metres_filter(value: float | None) -> str:
    return "–" if value is None else _("%(n)s m²", n=format_decimal(value, format="#,##0.#"))


@bp.app_template_filter("cny")
def cny_filter(value: float | None) -> str:
    return "–" if value is None else "¥" + format_decimal(value, format="#,##0")


@bp.app_template_filter("metric")
def metric_filter(value: float | None, unit: str) -> str:
    """A comparison table value in its unit."""
    formats = {
        comparison.Unit.RATIO: percent_filter,
        comparison.Unit.SQUARE_METRES: square_metres_filter,
        comparison.Unit.CNY: cny_filter,
    }
    if value is None:
        return "–"
    return formats.get(comparison.Unit(unit), lambda v: format_decimal(v))(value)


def rounds_by_site(site_ids: list[int] | None = None) -> dict[int, list[Round]]:
    """Rounds grouped by site, newest first (the first is a site's current round)."""
    query = select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    if site_ids is not None:
        query = query.where(Round.site_id.in_(site_ids))
    grouped: dict[int, list[Round]] = {}
    for round_ in db.session.scalars(query):
        grouped.setdefault(round_.site_id, []).append(round_)
    return grouped


def round_proposals(round_: Round) -> list[Proposal]:
    """A round's proposals, active ones first, each in submission order."""
    found = db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id).order_by(Proposal.id))
    return sorted(found, key=lambda p: p.status != ProposalStatus.ACTIVE)


def live_settings(round_: Round) -> dict[str, Any]:
    """How a round page watches its round over Socket.IO: where, and the events' names."""
    return {
        "round_id": round_.id,
        "namespace": NAMESPACE,
        "socket_path": request.script_root + "/socket.io",
        "watch": HearingNamespace.on_watch.__name__.removeprefix("on_"),
        "events": {"phase": Event.PHASE.value, "closed": Event.CLOSED.value},
    }


def steps_of(round_: Round) -> list[dict[str, Any]]:
    """The stepper: each phase after the draft, done, skipped, current or to come, with its deadline."""
    visited = {change.to_phase for change in round_.phase_changes}
    here = list(Phase).index(Phase(round_.phase))
    steps = []
    for phase in STEPS:
        position = list(Phase).index(phase)
        if phase == round_.phase:
            state = "current"
        elif position < here:
            state = "done" if phase.value in visited else "skipped"
        else:
            state = "upcoming"
        steps.append({"phase": phase.value, "state": state, "deadline": round_.deadline_of(phase)})
    return steps


# rounds whose line on the home page leads with the chosen plan or with rating the space
CLOSED_PHASE_VALUES = {Phase.NOTICE.value, Phase.DECIDED.value, Phase.IN_USE.value}


@bp.get("/")
def home():
    """Communities with their sites and open rounds; an introduction for visitors."""
    if not current_user.is_authenticated:
        return render_template("home.html", communities=[], rounds_by_site={})
    communities = db.session.scalars(select(Community).order_by(Community.id)).all()
    sites = db.session.scalars(select(Site).order_by(Site.id)).all()
    sites_by_community: dict[int, list[Site]] = {}
    for site in sites:
        sites_by_community.setdefault(site.community_id, []).append(site)
    by_site = rounds_by_site()
    closed = [r.id for rs in by_site.values() for r in rs if r.phase in CLOSED_PHASE_VALUES]
    return render_template(
        "home.html",
        communities=communities,
        sites_by_community=sites_by_community,
        rounds_by_site=by_site,
        decisions=decisions.standing_decisions(closed),
        open_phases={phase.value for phase in OPEN_PHASES},
        live_hearings=hearings.live_now([c.id for c in communities if current_user.is_member_of(c.id)]),
        waiting=joining.waiting_for(current_user),
        committee={c.id for c in communities if members.is_committee(current_user, c.id)},
        moderating={c.id for c in communities if current_user.has_role(c.id, Role.MODERATOR)},
    )


@bp.get("/rounds/<int:round_id>")
@login_required
def round_page(round_id: int):
    """A round: brief, phase and stepper, its record, the map, and the panel of its phase."""
    round_ = round_for_reading(round_id)
    all_proposals = round_proposals(round_)
    active = [p for p in all_proposals if p.status == ProposalStatus.ACTIVE]
    layer = needs.needs_layer(round_, viewer=current_user)
    phase = Phase(round_.phase)
    whether = asking.whether_results(round_)
    whether_groups = ordered_groups(whether["by_age_band"])
    decision = decisions.standing_decision(round_)
    chosen = version_of(decision.proposal, decision.version_number) if decision else None
    language = current_language().value
    site = geo_site(round_.site)
    points = geo.place_points(site)
    return render_template(
        "round.html",
        round=round_,
        steps=steps_of(round_),
        proposals=all_proposals,
        active_proposals=active,
        needs=needs.needs_of(round_),
        needs_layer=layer,
        need_colours=NEED_COLOURS,
        map=round_map(round_, active, layer),
        map_words_of_round=round_words(site, active, layer, language),
        need_places={f["id"]: f["properties"]["place"] for f in layer["features"]},
        place_points=points,
        place_choices=[(code, words) for code, words in geo.place_names(language).items() if code in points],
        whether=whether,
        whether_groups=whether_groups,
        whether_group_names={key: age_group_name(key) for key in whether_groups},
        my_whether=asking.my_whether_answer(round_, current_user),
        tally=ballots.tally(round_) if phase is Phase.DECIDING else None,
        moves=available_moves(round_, current_user),
        move_effect=move_effect,
        moderating=current_user.has_role(round_.community_id, Role.MODERATOR),
        can={
            "answer": allows(asking.check_can_answer, round_, current_user),
            "pin": allows(needs.check_can_take_part, round_, current_user),
            "submit": allows(proposals.check_can_submit, round_, current_user),
            "vote": allows(ballots.check_can_vote, round_, current_user),
        },
        has_ballot=ballots.my_ballot(round_, current_user) is not None,
        live=live_settings(round_),
        decision=decision,
        chosen_plan=(
            plan_svg(round_, chosen, title=decision.proposal.title, language=current_language().value)
            if decision and chosen
            else None
        ),
        can_object=decision is not None and allows(decisions.check_can_object, round_, current_user),
        can_rate=phase is Phase.IN_USE and allows(decisions.check_can_evaluate, round_, current_user),
        live_hearings=[h for h in hearings.live_now([round_.community_id]) if h.round_id == round_.id],
        participation=decisions.participation(round_),
    )


def chosen_proposals(round_: Round, ids: list[int]) -> list[Proposal]:
    """The proposals asked for, in the order asked, each once; 404 for any not of this round."""
    chosen = []
    for proposal_id in dict.fromkeys(ids):
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None or proposal.round_id != round_.id:
            abort(404)
        chosen.append(proposal)
    return chosen


@bp.get("/rounds/<int:round_id>/compare")
@login_required
def compare_page(round_id: int):
    """Proposals side by side: maps, the metrics table with the best of each row, the needs answered."""
    round_ = get_or_404(Round, round_id)
    chosen = chosen_proposals(round_, request.args.getlist("p", type=int))
    versions = [p.latest_version for p in chosen]
    answered = [set(v.need_ids) if v else set() for v in versions]
    round_needs = needs.needs_of(round_)
    return render_template(
        "compare.html",
        round=round_,
        proposals=round_proposals(round_),
        chosen=chosen,
        versions=versions,
        maps=comparison_maps(round_, chosen) if len(chosen) >= 2 else None,
        words=MapWords([], layout_words(geo_site(round_.site), chosen, current_language().value)),
        rows=comparison.metric_rows(
            [v.metrics if v else None for v in versions],
            budget_cny=round_.budget_cny,
            language=current_language().value,
            needs_answered=[len(a) for a in answered],
        ),
        needs=[n for n in round_needs if any(n.id in a for a in answered)] if chosen else [],
        answered=answered,
    )


@bp.get("/rounds/<int:round_id>/ballot")
@login_required
def ballot_page(round_id: int):
    """Rank the proposals (members, while the ballots are open); 403 to others. A stale link (the
    ballots not open yet, or closed) gives a page that says so and where the round is now."""
    round_ = round_for_reading(round_id)
    rounds.require_member(current_user, round_)
    try:
        ballots.require_ballots_open(round_)
    except Conflict as error:
        return render_template(
            "ballot_closed.html",
            round=round_,
            message=error.message,
            results_out=Phase(round_.phase) in (Phase.DECIDING, Phase.NOTICE, Phase.DECIDED, Phase.IN_USE),
        )
    by_id = {p.id: p for p in round_proposals(round_)}
    ballot = ballots.my_ballot(round_, current_user)
    ranked, left_out = ballots.starting_order(round_, current_user)
    return render_template(
        "ballot.html",
        round=round_,
        ranked=[by_id[pid] for pid in ranked],
        left_out=[by_id[pid] for pid in left_out],
        mine=[by_id[pid] for pid in ballot.ranking if pid in by_id] if ballot else [],
    )


@bp.get("/rounds/<int:round_id>/tally")
@login_required
def tally_page(round_id: int):
    """The count: sealed (turnout only) while ballots are open; then the instant runoff, also by age group."""
    round_ = round_for_reading(round_id)
    proposals_by_id = {p.id: p for p in round_proposals(round_)}
    tally = ballots.tally(round_)
    groups = ordered_groups(tally["by_age_band"])
    return render_template(
        "tally.html",
        round=round_,
        tally=tally,
        groups=groups,
        group_names={key: age_group_name(key) for key in groups},
        can_close=allows(ballots.check_can_close_ballots, round_, current_user),
        proposals_by_id=proposals_by_id,
        titles={str(pid): p.title for pid, p in proposals_by_id.items()},
    )


@bp.post("/rounds/<int:round_id>/ballots/close")
@login_required
def close_ballots(round_id: int):
    """The moderator closes the ballots from the tally page; the count then shows."""
    round_ = round_for_reading(round_id)
    ballots.close_ballots(round_, by=current_user)
    db.session.commit()
    return redirect(url_for("pages.tally_page", round_id=round_.id))


@bp.get("/sites/<int:site_id>")
@login_required
def site_page(site_id: int):
    """A site: its plan with constraints and legend, and its design rounds."""
    site = get_or_404(Site, site_id)
    constraints = []
    for feature in geo_site(site).features:
        kind = kind_of(feature.kind)
        constraints.append(
            {
                "name": spec(kind).name(current_language().value) if kind else str(feature.kind),
                "label": feature.properties.get("label"),
                "keep": feature.properties.get("keep") is True,
            }
        )
    return render_template(
        "site.html",
        site=site,
        area_m2=geo_site(site).area_m2,
        constraints=constraints,
        map=site_map(site),
        site_words=geo.describe_site(geo_site(site), current_language().value),
        rounds=rounds_by_site([site.id]).get(site.id, []),
        can_start_round=current_user.has_role(site.community_id, Role.MODERATOR),
    )


@bp.get("/communities/<int:community_id>/map")
@login_required
def community_map_page(community_id: int):
    """The community map: every site with its current round and phase, printable, and the list."""
    community = get_or_404(Community, community_id)
    sites = db.session.scalars(select(Site).where(Site.community_id == community.id).order_by(Site.id)).all()
    current = {site_id: found[0] for site_id, found in rounds_by_site([s.id for s in sites]).items()}
    entries = []
    for number, site in enumerate(sites, start=1):
        round_ = current.get(site.id)
        entries.append({"number": number, "site": site, "round": round_})
    return render_template(
        "community_map.html",
        community=community,
        entries=entries,
        map=community_map([(e["site"], map_properties(e)) for e in entries]),
        open_phases={phase.value for phase in OPEN_PHASES},
    )


def map_properties(entry: dict[str, Any]) -> dict[str, Any]:
    """What the community map's script needs of one site: number, text and links."""
    site, round_ = entry["site"], entry["round"]
    text = site.name
    if round_ is not None:
        text += f" · {round_.title} · {PHASE_NAMES[Phase(round_.phase)]}"
    return {
        "id": site.id,
        "number": entry["number"],
        "tooltip": text,
        "name": site.name,
        "open": round_ is not None and Phase(round_.phase) in OPEN_PHASES,
        "site_url": url_for("pages.site_page", site_id=site.id),
        "round_title": round_.title if round_ else None,
        "phase": str(PHASE_NAMES[Phase(round_.phase)]) if round_ else None,
        "round_url": url_for("pages.round_page", round_id=round_.id) if round_ else None,
    }
