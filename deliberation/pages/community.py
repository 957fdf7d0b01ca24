"""The pages a neighbourhood runs itself with: members and roles, asking to join and the
committee's answer, neighbours without a phone, new sites drawn on the map and new rounds.

Each handler loads, asks the operations (accounts, joining, rounds, sites) and renders or
redirects with a message; the rules live in those operations, as for the API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from shapely.geometry import shape
from sqlalchemy import select

from deliberation import accounts, asking, ballots, joining, members, rounds
from deliberation.audit import role_changes
from deliberation.enums import AgeBand, Phase, Role, StakeholderTag, values
from deliberation.errors import DomainError, InvalidInput, NotAllowed
from deliberation.extensions import db
from deliberation.i18n import current_language, safe_next_or_none
from deliberation.lookup import get_or_404, round_for_reading
from deliberation.map_views import map_options
from deliberation.models import Community, Hearing, JoinRequest, Proposal, Site, User
from geo.kinds import SPECS, Kind

bp = Blueprint("community", __name__)

# What a moderator draws when making a site: its boundary, then what must stay (the trees
# to keep, covers, entrances, a fire lane) and the context around it.
SITE_PALETTE = (
    ("boundary", "Polygon"),
    (Kind.TREE_EXISTING.value, "Point"),
    (Kind.UTILITY_COVER.value, "Point"),
    (Kind.ENTRANCE.value, "Point"),
    (Kind.FIRE_LANE.value, "Polygon"),
    (Kind.BUILDING_FACE.value, "Polygon"),
    (Kind.PATH.value, "LineString"),
)


@bp.before_app_request
def tell_people_the_answer():
    """Someone whose request to join was answered is told on their next page."""
    if not current_user.is_authenticated or request.path.startswith(("/api/", "/static/", "/socket.io")):
        return
    news = joining.news_for(current_user)
    for answer in news:
        if answer.status == "approved":
            flash(_("Welcome: you are now a member of %(community)s.", community=answer.community.name))
        else:
            flash(
                _(
                    "Your request to join %(community)s was declined: %(reason)s",
                    community=answer.community.name,
                    reason=answer.reason,
                )
            )
    if news:
        db.session.commit()


def back(fallback: str):
    return redirect(safe_next_or_none(request.form.get("next")) or fallback)


def act(operation, success: str, *args, **kwargs) -> bool:
    """Run an operation for a form: commit and say so, or roll back and say why.

    A refusal of the person (403) is answered as such, by the page that explains it; a
    mistake in what they typed, or a state that moved on, is said on the page they came from.
    """
    try:
        operation(*args, **kwargs)
    except NotAllowed:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    flash(success)
    return True


# --- members and roles -----------------------------------------------------------------------


@bp.get("/communities/<int:community_id>/members")
@login_required
def members_page(community_id: int):
    """Members: search, roles and tags; the committee grants and removes roles, answers
    requests to join and registers neighbours without a phone."""
    community = get_or_404(Community, community_id)
    search = request.args.get("q", "")
    listing = members.listing(community, viewer=current_user, search=search)
    committee = members.is_committee(current_user, community.id)
    changes = role_changes(community.id) if current_user.is_member_of(community.id) else []
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(_people_in(changes))))}
    return render_template(
        "members.html",
        role_changes=changes,
        people=people,
        community=community,
        members=listing,
        search=search,
        committee=committee,
        grantable=accounts.grantable_roles(community, by=current_user),
        requests=joining.pending(community) if committee else [],
        age_bands=values(AgeBand),
        stakeholder_tags=values(StakeholderTag),
    )


def _people_in(entries) -> set[int]:
    return {e.actor_id for e in entries if e.actor_id} | {e.data.get("user_id") for e in entries} - {None}


@bp.post("/communities/<int:community_id>/members/<int:user_id>/roles")
@login_required
def grant(community_id: int, user_id: int):
    community, person = get_or_404(Community, community_id), get_or_404(User, user_id)
    role = request.form.get("role", "")
    if role in values(Role):
        act(accounts.grant_role, _("The role is granted."), community, person, role, by=current_user)
    return back(url_for("community.members_page", community_id=community.id))


@bp.post("/communities/<int:community_id>/members/<int:user_id>/roles/<role>/remove")
@login_required
def remove(community_id: int, user_id: int, role: str):
    community, person = get_or_404(Community, community_id), get_or_404(User, user_id)
    act(
        accounts.remove_role,
        _("The role is removed."),
        community,
        person,
        members.known_role(role),
        by=current_user,
    )
    return back(url_for("community.members_page", community_id=community.id))


@bp.post("/communities/<int:community_id>/members/<int:user_id>/guardian")
@login_required
def guardian(community_id: int, user_id: int):
    community, person = get_or_404(Community, community_id), get_or_404(User, user_id)
    act(
        accounts.record_guardian_consent,
        _("The guardian's consent is recorded."),
        community,
        person,
        request.form.get("guardian_name", ""),
        by=current_user,
    )
    return back(url_for("community.members_page", community_id=community.id))


@bp.post("/communities/<int:community_id>/members/<int:user_id>/password")
@login_required
def reset_password(community_id: int, user_id: int):
    community, person = get_or_404(Community, community_id), get_or_404(User, user_id)
    act(
        accounts.reset_password,
        _("The new password is set. Give it to them in person; they should change it."),
        community,
        person,
        request.form.get("password", ""),
        by=current_user,
    )
    return back(url_for("community.members_page", community_id=community.id))


@bp.post("/communities/<int:community_id>/offline-residents")
@login_required
def register_offline(community_id: int):
    community = get_or_404(Community, community_id)
    act(
        joining.register_offline,
        _("The neighbour is registered. Their paper ballots and comments are entered on their behalf."),
        community,
        request.form.get("name", ""),
        by=current_user,
        building=request.form.get("building"),
        age_band=request.form.get("age_band") or None,
        consent=request.form.get("consent") == "yes",
        guardian_name=request.form.get("guardian_name") or None,
    )
    return back(url_for("community.members_page", community_id=community.id))


@bp.get("/rounds/<int:round_id>/paper")
@login_required
def paper_entries(round_id: int):
    """The moderator enters what neighbours without a phone said on paper: their answer to
    whether, or their ranking, each marked as on paper."""
    round_ = round_for_reading(round_id)
    accounts.require_role(current_user, round_.community_id, Role.MODERATOR)
    ranking = ballots.ballots_open(round_)
    proposal_ids = ballots.active_proposal_ids(round_) if ranking else []
    return render_template(
        "paper.html",
        round=round_,
        people=joining.offline_members(round_.community_id),
        answering=asking.whether_open(round_),
        ranking=ranking,
        proposals=[db.session.get(Proposal, pid) for pid in proposal_ids],
    )


@bp.post("/rounds/<int:round_id>/paper-ballots")
@login_required
def paper_ballot(round_id: int):
    round_ = round_for_reading(round_id)
    person = get_or_404(User, request.form.get("user_id", type=int) or 0)
    places = range(1, len(ballots.active_proposal_ids(round_)) + 1)
    choices = [request.form.get(f"choice-{n}", type=int) for n in places]
    act(
        ballots.record_paper_ballot,
        _("The paper ballot of %(name)s is entered.", name=person.name),
        round_,
        person,
        list(dict.fromkeys(c for c in choices if c)),
        by=current_user,
    )
    return back(url_for("community.paper_entries", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/paper-answers")
@login_required
def paper_answer(round_id: int):
    round_ = round_for_reading(round_id)
    person = get_or_404(User, request.form.get("user_id", type=int) or 0)
    support = request.form.get("support")
    if support not in ("yes", "no"):
        flash(_("Choose yes or no."), "error")
    else:
        act(
            asking.record_paper_answer,
            _("The paper answer of %(name)s is entered.", name=person.name),
            round_,
            person,
            support == "yes",
            by=current_user,
        )
    return back(url_for("community.paper_entries", round_id=round_.id))


# --- asking to join ---------------------------------------------------------------------------


@bp.post("/communities/<int:community_id>/join")
@login_required
def ask_to_join(community_id: int):
    """A signed-up person asks to join, with an optional note such as their building."""
    community = get_or_404(Community, community_id)
    act(
        joining.ask_to_join,
        _("Your request is sent. The committee will answer; you will see it here on your next visit."),
        community,
        by=current_user,
        message=request.form.get("message"),
        building=request.form.get("building"),
    )
    return back(url_for("pages.home"))


@bp.post("/join-requests/<int:request_id>/approve")
@login_required
def approve(request_id: int):
    join_request = get_or_404(JoinRequest, request_id)
    act(
        joining.approve,
        _("%(name)s is now a member.", name=join_request.user.name),
        join_request,
        request.form.get("role", Role.RESIDENT.value),
        by=current_user,
    )
    return back(url_for("community.members_page", community_id=join_request.community_id))


@bp.post("/join-requests/<int:request_id>/decline")
@login_required
def decline(request_id: int):
    join_request = get_or_404(JoinRequest, request_id)
    act(
        joining.decline,
        _("The request is declined."),
        join_request,
        request.form.get("reason", ""),
        by=current_user,
    )
    return back(url_for("community.members_page", community_id=join_request.community_id))


def join_from_hearing(hearing: Hearing) -> None:
    """Someone who came through a hearing's QR code and is not a member yet: their request to
    join is filed for them (once), and they watch meanwhile."""
    community = hearing.round.site.community
    if current_user.is_member_of(community.id) or community.id in joining.waiting_for(current_user):
        return
    try:
        joining.ask_to_join(community, by=current_user, hearing=hearing)
    except DomainError:
        db.session.rollback()
        return
    db.session.commit()
    flash(
        _(
            "Your request to join %(community)s is filed: you can watch the hearing now, and take part once "
            "the committee lets you in.",
            community=community.name,
        )
    )


# --- a site, drawn ------------------------------------------------------------------------------


@bp.get("/communities/<int:community_id>/sites/new")
@login_required
def new_site(community_id: int):
    """The moderator draws a new site: its boundary, what must stay, and the context around it."""
    community = get_or_404(Community, community_id)
    accounts.require_role(current_user, community.id, Role.MODERATOR)
    options = map_options()
    others = db.session.scalars(select(Site).where(Site.community_id == community.id).order_by(Site.id)).all()
    center = None
    if others:  # start where the community's other sites are, and show them for context
        point = shape(others[0].boundary).centroid
        center = [point.y, point.x]
    return render_template(
        "site_new.html",
        community=community,
        palette=[(kind, geometry) for kind, geometry in SITE_PALETTE],
        kind_names={kind: site_kind_name(kind) for kind, _geometry in SITE_PALETTE},
        colours={kind: SPECS[Kind(kind)].fill for kind, _g in SITE_PALETTE if kind != "boundary"},
        config={
            "create_url": url_for("api_sites.create_site"),
            "community_id": community.id,
            "tile_url": options.get("tile_url"),
            "center": center,
            "context": [site.boundary for site in others],
            "site_url": url_for("pages.site_page", site_id=0).replace("/0", "/{id}"),
        },
    )


def site_kind_name(kind: str) -> str:
    if kind == "boundary":
        return _("Site boundary")
    return SPECS[Kind(kind)].name(current_language().value)


# --- a round, started ----------------------------------------------------------------------------


@bp.route("/sites/<int:site_id>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(site_id: int):
    """The moderator starts a round on a site: title, brief, budget and ballot deadline."""
    site = get_or_404(Site, site_id)
    accounts.require_role(current_user, site.community_id, Role.MODERATOR)
    error = None
    if request.method == "POST":
        try:
            round_ = rounds.create_round(
                site,
                request.form.get("title", ""),
                by=current_user,
                brief=request.form.get("brief", ""),
                budget_cny=_budget(request.form.get("budget_cny", "0")),
            )
            deadline = _local_deadline(request.form.get("ballot_deadline", ""))
            if deadline is not None:
                rounds.set_deadlines(round_, {Phase.DECIDING.value: deadline}, by=current_user)
        except DomainError as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            flash(_("The round is started, in draft. Move it on when you are ready."))
            return redirect(url_for("pages.round_page", round_id=round_.id))
    return render_template("round_new.html", site=site, error=error, form=request.form), (
        400 if error else 200
    )


def _budget(value: str) -> int:
    cleaned = value.replace(",", "").replace("，", "").strip() or "0"
    if not cleaned.isdigit() or len(cleaned) > 9:
        raise InvalidInput(_("The budget is a whole number of yuan."))
    return int(cleaned)


def _local_deadline(value: str) -> datetime | None:
    """A date-time typed in the neighbourhood's time zone (a datetime-local field), in UTC."""
    if not value.strip():
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(_("Give the deadline as a date and a time.")) from error
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return (local if local.tzinfo else local.replace(tzinfo=zone)).astimezone(UTC)
