"""The hearing pages: a neighbour's phone page, the projector's big screen, the moderator's
console, joining by code, and scheduling a hearing.

Handlers load, check access and render; the pages' JavaScript talks to the /hearing
Socket.IO namespace (deliberation/live.py) and to the JSON API. Everything the scripts need
(event names, labels, translated strings, the running order) travels in one JSON data island.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

import geo
from deliberation import hearings, joining
from deliberation.accounts import require_role
from deliberation.enums import HearingState, Phase, ProposalStatus, ReactionKind, Role
from deliberation.errors import NotFound, allows
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.labels import PHASE_NAMES, STAKEHOLDER_NAMES
from deliberation.live import HearingNamespace
from deliberation.live_schemas import PollSchema, SlotSchema
from deliberation.lookup import get_or_404
from deliberation.map_views import MapWords, map_options
from deliberation.models import Hearing, Proposal, Round
from deliberation.pages.community import join_from_hearing
from deliberation.privacy import sees_people
from deliberation.publish import NAMESPACE, Event
from deliberation.rounds import require_member
from deliberation.sites import geo_site
from geo import maps
from geo.maps import MapParts

bp = Blueprint("hearing_pages", __name__)

# The events a client sends are the namespace's own handlers (on_join, on_comment, ...).
CLIENT_EVENTS = tuple(
    name.removeprefix("on_")
    for name in vars(HearingNamespace)
    if name.startswith("on_") and name not in ("on_connect", "on_disconnect")
)
REACTION_SYMBOLS = {
    ReactionKind.LIKE: "+1",
    ReactionKind.AGREE: "✔",
    ReactionKind.DISAGREE: "✖",
    ReactionKind.HEART: "♥",
    ReactionKind.QUESTION: "?",
}
DEFAULT_SLOT_MINUTES = 5


def _choices(schema: type, field: str) -> list[str]:
    """The values a live payload's field accepts, as its schema declares them."""
    for validator in schema().fields[field].validators:
        if hasattr(validator, "choices"):
            return list(validator.choices)
    return []


def hearing_state_names() -> dict[str, str]:
    return {
        HearingState.SCHEDULED: _("Scheduled"),
        HearingState.LIVE: _("Live"),
        HearingState.ENDED: _("Ended"),
    }


def reaction_names() -> dict[str, str]:
    return {
        ReactionKind.LIKE: _("Like"),
        ReactionKind.AGREE: _("Agree"),
        ReactionKind.DISAGREE: _("Disagree"),
        ReactionKind.HEART: _("Love it"),
        ReactionKind.QUESTION: _("Unclear"),
    }


def script_text() -> dict[str, str]:
    """Every string the hearing scripts show, in the reader's language."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Reconnecting…"),
        "refused": _("Not connected: please log in again."),
        "no_slot": _("No pitch is running"),
        "time_up": _("Time is up"),
        "ended": _("This hearing has ended."),
        "pending": _("Sending…"),
        "waiting": _("Waiting for the connection…"),
        "sent": _("Sent"),
        "failed": _("Not sent"),
        "retry": _("Try again"),
        "discard": _("Discard"),
        "reply": _("Reply"),
        "replying_to": _("Replying to %(name)s"),
        "a_neighbour": _("A neighbour"),
        "cancel": _("Cancel"),
        "question": _("Question"),
        "upvote": _("Upvote"),
        "upvotes": _("%(n)s upvotes"),
        "hidden": _("Hidden by the moderator: %(reason)s"),
        "on_behalf": _("%(name)s (entered by %(moderator)s)"),
        "anchor_none": _("Not anchored: tap a feature or a spot on the map."),
        "anchor_feature": _("On: %(feature)s (%(proposal)s)"),
        "anchor_point": _("On a spot on the map"),
        "anchor_place": _("On a spot %(place)s"),
        "show_on_map": _("Show on the map"),
        "no_comments": _("No comments yet."),
        "no_questions": _("No questions yet. Tick “This is a question” when you ask one."),
        "no_poll": _("No poll is open."),
        "poll_closed": _("The poll is closed."),
        "votes": _("%(n)s votes"),
        "hands": _("%(n)s by show of hands"),
        "your_vote": _("Your vote"),
        "load_earlier": _("Show earlier comments"),
        "hide": _("Hide"),
        "hide_reason": _("Why is it hidden?"),
        "confirm_hide": _("Hide this comment"),
        "now_pitching": _("Now pitching"),
        "new_comment": _("%(name)s: %(body)s"),
        "new_comments": _("%(n)s new comments"),
        "poll_opened": _("A poll is open: %(question)s"),
        "on_map": _("On the map"),
        "phase_changed": _("The round moved on to: %(phase)s"),
        "round_closed": _("The round was closed."),
        "round_decided": _("The branch chose “%(title)s”. Its reasons: %(rationale)s"),
        "see_decision": _("See the decision"),
        "confirm_end": _("End the hearing now? Nobody can comment afterwards."),
        "slot_of": _("Slot %(n)s of %(total)s"),
        "record_hands": _("Record the show of hands"),
        "error": _("Something went wrong: %(message)s"),
        "saved": _("Saved."),
        "option": _("Option %(n)s"),
        "needs_slot": _("Choose at least one proposal for the running order."),
        "presence": _("%(n)s here"),
        "timezone": _("Your time zone: %(zone)s"),
    }


def map_proposals(hearing: Hearing) -> list[Proposal]:
    """The proposals the hearing map shows: the running order's, then the round's other active ones."""
    chosen: dict[int, Proposal] = {}
    for slot in hearing.slots:
        chosen.setdefault(slot.proposal_id, slot.proposal)
    others = db.session.scalars(
        select(Proposal)
        .where(Proposal.round_id == hearing.round_id, Proposal.status == ProposalStatus.ACTIVE.value)
        .order_by(Proposal.id)
    )
    for proposal in others:
        chosen.setdefault(proposal.id, proposal)
    return [p for p in chosen.values() if p.latest_version is not None]


def hearing_map(hearing: Hearing, proposals: list[Proposal]) -> MapParts:
    """Every proposal of the hearing as a layer ("proposal-0", ...); the page shows the running one."""
    layouts = [(p.title, p.latest_version.layout) for p in proposals]
    return maps.comparison_map(geo_site(hearing.round.site), layouts, height="100%", **map_options())


def join_url(hearing: Hearing) -> str:
    return url_for("hearing_pages.join", code=hearing.join_code, _external=True)


def join_qr(hearing: Hearing) -> str:
    """An inline SVG QR code of the hearing's join link on this app's own host."""
    qr = segno.make(join_url(hearing), error="m")
    return qr.svg_inline(
        scale=1, border=2, omitsize=True, dark="#1f2a2e", light="#ffffff", title=_("Join from a phone")
    )


def live_config(hearing: Hearing, proposals: list[Proposal], *, moderator: bool) -> dict[str, Any]:
    """The data island of a live page: ids, event names, labels, strings and the running order."""
    index = {p.id: i for i, p in enumerate(proposals)}
    site = geo_site(hearing.round.site)
    language = current_language().value
    return {
        "hearing_id": hearing.id,
        "round_id": hearing.round_id,
        "user_id": current_user.id,
        "user_name": current_user.name,
        "moderator": moderator,
        "can_take_part": allows(require_member, current_user, hearing.round),
        "ended": hearing.state == HearingState.ENDED,
        "namespace": NAMESPACE,
        "socket_path": request.script_root + "/socket.io",
        "events": {
            "server": {event.name.lower(): event.value for event in Event},
            "client": {name: name for name in CLIENT_EVENTS},
            "slot_actions": _choices(SlotSchema, "action"),
            "poll_actions": _choices(PollSchema, "action"),
        },
        "urls": {
            "comments": url_for("api_hearings.comments", hearing_id=hearing.id),
            "end": url_for("api_hearings.end", hearing_id=hearing.id),
            "decision": url_for("closing.decision_page", round_id=hearing.round_id),
        },
        "slots": [
            {
                "position": slot.position,
                "proposal_id": slot.proposal_id,
                "seconds": slot.seconds,
                "title": slot.proposal.title,
            }
            for slot in hearing.slots
        ],
        "proposals": {
            str(p.id): {
                "title": p.title,
                "group": f"proposal-{index[p.id]}",
                # each feature named with where it is, and the whole layout in words
                "features": geo.feature_places(p.latest_version.layout, site, language),
                "words": geo.describe_layout(p.latest_version.layout, site, language),
            }
            for p in proposals
        },
        "places": geo.place_names(language),
        "reactions": [
            {"kind": kind.value, "symbol": REACTION_SYMBOLS[kind], "label": label}
            for kind, label in reaction_names().items()
        ],
        "stakeholders": {str(tag): str(name) for tag, name in STAKEHOLDER_NAMES.items()},
        "phases": {str(phase): str(name) for phase, name in PHASE_NAMES.items()},
        "text": script_text(),
    }


def _page(template: str, hearing: Hearing, *, moderator: bool, **extra: Any) -> str:
    proposals = map_proposals(hearing)
    parts = hearing_map(hearing, proposals) if proposals else None
    config = live_config(hearing, proposals, moderator=moderator)
    config["map_name"] = parts.map_name if parts else None
    words = MapWords([], [(p.title, config["proposals"][str(p.id)]["words"]) for p in proposals])
    return render_template(
        template,
        hearing=hearing,
        round=hearing.round,
        proposals=proposals,
        map=parts,
        map_words_of_hearing=words,
        config=config,
        **extra,
    )


@bp.get("/hearings/<int:hearing_id>")
@login_required
def hearing_page(hearing_id: int):
    """A neighbour's hearing page (phone first): the pitch on the map, comments, questions, the poll."""
    hearing = get_or_404(Hearing, hearing_id)
    return _page(
        "hearing.html",
        hearing,
        moderator=hearings.is_moderator(current_user, hearing),
        join_waiting=hearing.round.community_id in joining.waiting_for(current_user),
    )


@bp.get("/hearings/<int:hearing_id>/screen")
@login_required
def screen(hearing_id: int):
    """The projector's view: map, big countdown, latest comments, poll bars and a QR code to join."""
    hearing = get_or_404(Hearing, hearing_id)
    # the join code is for the community and the people in the room, not every viewer
    member = sees_people(current_user, hearing.round.community_id)
    return _page(
        "hearing_screen.html",
        hearing,
        moderator=hearings.is_moderator(current_user, hearing),
        qr=join_qr(hearing) if member else None,
        join_link=join_url(hearing) if member else None,
    )


@bp.get("/hearings/<int:hearing_id>/console")
@login_required
def console(hearing_id: int):
    """The moderator's console: running order, timer, polls, moderation, entries for the room."""
    hearing = get_or_404(Hearing, hearing_id)
    hearings.require_moderator(current_user, hearing)
    return _page(
        "hearing_console.html", hearing, moderator=True, qr=join_qr(hearing), join_link=join_url(hearing)
    )


@bp.get("/j")
def join_form():
    """A page to type a hearing's join code; with ?code= it goes on to the hearing."""
    code = request.args.get("code", "").strip().upper()
    if not code:
        return render_template("hearing_join.html", code="", error=None)
    try:
        hearings.find_by_join_code(code)
    except NotFound as error:
        return render_template("hearing_join.html", code=code, error=error.message), 404
    return redirect(url_for("hearing_pages.join", code=code))


@bp.get("/j/<code>")
@login_required
def join(code: str):
    """A join code (from the QR or the big screen) leads to its hearing, after logging in or
    signing up if need be; someone not yet a member has their request to join filed, and
    watches meanwhile."""
    hearing = hearings.find_by_join_code(code)
    join_from_hearing(hearing)
    return redirect(url_for("hearing_pages.hearing_page", hearing_id=hearing.id))


@bp.get("/rounds/<int:round_id>/hearings")
@login_required
def round_hearings(round_id: int):
    """A round's hearings with their pages; moderators also get the console and scheduling."""
    round_ = get_or_404(Round, round_id)
    found = db.session.scalars(
        select(Hearing).where(Hearing.round_id == round_.id).order_by(Hearing.starts_at, Hearing.id)
    ).all()
    return render_template(
        "hearing_list.html",
        round=round_,
        hearings=found,
        hearing_state_names=hearing_state_names(),
        moderator=allows(require_role, current_user, round_.community_id, Role.MODERATOR),
        member=sees_people(current_user, round_.community_id),
        can_schedule=Phase(round_.phase) in hearings.HEARING_PHASES,
    )


@bp.get("/rounds/<int:round_id>/hearings/new")
@login_required
def new_hearing(round_id: int):
    """The moderator schedules a hearing: title, time, place and a slot per active proposal."""
    round_ = get_or_404(Round, round_id)
    require_role(current_user, round_.community_id, Role.MODERATOR)
    active = db.session.scalars(
        select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.ACTIVE.value)
        .order_by(Proposal.id)
    ).all()
    config = {
        "round_id": round_.id,
        "create_url": url_for("api_hearings.create_hearing", round_id=round_.id),
        "console_url": url_for("hearing_pages.console", hearing_id=0).replace("/0/", "/{id}/"),
        "text": script_text(),
    }
    return render_template(
        "hearing_new.html",
        round=round_,
        proposals=active,
        minutes=DEFAULT_SLOT_MINUTES,
        config=config,
        phase_ok=Phase(round_.phase) in hearings.HEARING_PHASES,
    )
