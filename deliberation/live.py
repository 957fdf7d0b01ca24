"""The /hearing Socket.IO namespace: who is connected, and the events of a live hearing.

Each handler is short: check the payload, call an operation in deliberation/hearings.py,
answer the acknowledgement. The ``live_event`` wrapper (live_base.py, shared with /design)
authorises the connection, commits the event's transaction (after which queued broadcasts
go out) and turns domain errors into ``{ok: false, error: {code, message}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request, session
from flask_babel import gettext as _
from flask_socketio import join_room
from sqlalchemy.exc import IntegrityError

from deliberation import decisions, hearings, live_upkeep, presence
from deliberation.errors import DomainError, ErrorCode
from deliberation.extensions import db
from deliberation.live_base import LiveIdentity, LiveNamespace, live_event
from deliberation.live_schemas import (
    CommentSchema,
    DecideSchema,
    HideSchema,
    JoinSchema,
    PollSchema,
    ReactSchema,
    SlotSchema,
    UpvoteSchema,
    VoteSchema,
    WatchSchema,
)
from deliberation.lookup import get_or_404, round_for_reading
from deliberation.models import Comment, Hearing, Poll, Round, User
from deliberation.publish import (
    NAMESPACE,
    hearing_people_room,
    hearing_public_room,
    hearing_room,
    round_room,
)

log = logging.getLogger(__name__)
JOINED_KEY = "live_hearings"


def require_joined(hearing_id: int) -> None:
    if hearing_id not in session.get(JOINED_KEY, []):
        raise DomainError(_("Join the hearing first."), code=ErrorCode.CONFLICT)


class HearingNamespace(LiveNamespace):
    """Live hearings: comments, reactions, questions, slots, polls, presence."""

    def on_connect(self, auth: Any = None) -> None:
        """Anyone with an identity connects: the session cookie, or ``auth: {token}``."""
        self.open_connection(auth, JOINED_KEY)

    def on_disconnect(self, reason: Any = None) -> None:
        """A connection went away: it stops counting as present."""
        self.leave_rooms()  # first: the presence update must not be sent to the closing socket
        live_upkeep.LOCAL_SIDS.discard(request.sid)
        try:
            presence.leave(request.sid)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("presence cleanup failed")

    @live_event(JoinSchema, checks_identity=True)
    def on_join(self, identity: LiveIdentity, data: dict) -> dict:
        """Anyone logged in joins a hearing; gets its state and the comments they missed."""
        facts, view = hearings.join_facts(data["hearing_id"], identity.user_id, identity.nonce)
        join_room(hearing_room(facts.id))
        join_room(hearing_people_room(facts.id) if view.with_people else hearing_public_room(facts.id))
        join_room(round_room(facts.round_id))
        joined = session.get(JOINED_KEY, [])
        if facts.id not in joined:
            session[JOINED_KEY] = [*joined, facts.id]
        presence.arrive(facts.id, request.sid, identity.user_id)
        live_upkeep.LOCAL_SIDS.add(request.sid)
        return hearings.join_answer(facts, view, identity.user_id, data["after_seq"])

    @live_event(WatchSchema)
    def on_watch(self, user: User, data: dict) -> dict:
        """Anyone logged in watches a round's page: its phase changes and its closing arrive live."""
        round_ = get_or_404(Round, data["round_id"])
        join_room(round_room(round_.id))
        return {"round_id": round_.id, "phase": round_.phase}

    @live_event(CommentSchema)
    def on_comment(self, user: User, data: dict) -> dict:
        """A member comments (or asks); the moderator may enter one on behalf of someone in the room."""
        require_joined(data["hearing_id"])
        hearing = get_or_404(Hearing, data["hearing_id"], *hearings.WITH_ROUND)
        try:
            comment, _created = hearings.add_comment(
                hearing,
                data["body"],
                author=user,
                client_id=data["client_id"],
                parent_id=data["parent_id"],
                proposal_id=data["proposal_id"],
                anchor=data["anchor"],
                is_question=data["is_question"],
                on_behalf_of=data["on_behalf_of"],
            )
            db.session.flush()
        except IntegrityError:
            # The same client id raced in on another connection: answer with the stored one.
            db.session.rollback()
            comment = hearings.find_comment_by_client_id(hearing, user, data["client_id"])
            if comment is None:
                raise
        return {"comment": hearings.comment_dict(comment)}

    @live_event(ReactSchema)
    def on_react(self, user: User, data: dict) -> dict:
        """A member reacts to a comment."""
        comment = get_or_404(Comment, data["comment_id"])
        require_joined(comment.hearing_id)
        return hearings.react(comment, data["kind"], by=user, remove=data["remove"])

    @live_event(UpvoteSchema)
    def on_upvote(self, user: User, data: dict) -> dict:
        """A member upvotes a question."""
        comment = get_or_404(Comment, data["comment_id"])
        require_joined(comment.hearing_id)
        return hearings.upvote(comment, by=user)

    @live_event(SlotSchema)
    def on_slot(self, user: User, data: dict) -> dict:
        """The moderator starts, advances, extends or stops the pitch slots."""
        hearing = get_or_404(Hearing, data["hearing_id"])
        return {"slot": hearings.move_slot(hearing, data["action"], by=user, seconds=data["seconds"])}

    @live_event(PollSchema)
    def on_poll(self, user: User, data: dict) -> dict:
        """The moderator opens or closes a straw poll, or records a show of hands."""
        hearing = get_or_404(Hearing, data["hearing_id"])
        if data["action"] == "open":
            poll = hearings.open_poll(hearing, data["question"], data["options"], by=user)
        elif data["action"] == "close":
            poll = hearings.close_poll(hearing, by=user)
        else:
            poll = hearings.record_hands(hearing, data["counts"], by=user)
        return {"poll": hearings.poll_dict(poll)}

    @live_event(VoteSchema)
    def on_vote(self, user: User, data: dict) -> dict:
        """Anyone joined votes in the open poll (once; again changes the vote)."""
        poll = get_or_404(Poll, data["poll_id"])
        require_joined(poll.hearing_id)
        return {"poll": hearings.poll_dict(hearings.vote(poll, data["option"], by=user))}

    @live_event(HideSchema)
    def on_hide(self, user: User, data: dict) -> dict:
        """The moderator hides a comment, with a reason."""
        comment = hearings.hide_comment(get_or_404(Comment, data["comment_id"]), data["reason"], by=user)
        return {"comment": hearings.comment_dict(comment, for_moderator=True)}

    @live_event(DecideSchema)
    def on_decide(self, user: User, data: dict) -> dict:
        """The branch secretary closes a round from the hearing room; everyone there hears ``closed``."""
        round_ = round_for_reading(data["round_id"])
        decision = decisions.decide(
            round_, data["proposal_id"], data["rationale"], by=user, version=data["version"]
        )
        return {"decision": decisions.decision_dict(decision)}


def register(socketio) -> None:
    socketio.on_namespace(HearingNamespace(NAMESPACE))
