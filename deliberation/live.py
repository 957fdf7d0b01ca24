"""The /hearing Socket.IO namespace: who is connected, and the events of a live hearing.

Each handler is short: check the payload, call an operation in deliberation/hearings.py,
answer the acknowledgement. The ``live_event`` wrapper authorises the connection,
commits the event's transaction (after which queued broadcasts go out) and turns
domain errors into ``{ok: false, error: {code, message}}``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import Namespace, join_room, leave_room, rooms
from marshmallow import Schema, ValidationError
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import joinedload

from deliberation import accounts, decisions, hearings, live_upkeep, presence
from deliberation.errors import DomainError, ErrorCode, error_body
from deliberation.extensions import db
from deliberation.inputs import check_value
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
from deliberation.models import Comment, Hearing, Membership, Poll, Round, User
from deliberation.publish import (
    NAMESPACE,
    hearing_people_room,
    hearing_public_room,
    hearing_room,
    round_room,
    user_room,
)

log = logging.getLogger(__name__)
USER_KEY = "live_user_id"
NONCE_KEY = "live_user_nonce"
JOINED_KEY = "live_hearings"


def failure(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"ok": False, **error_body(code, message, details)}


@dataclass(frozen=True, slots=True)
class LiveIdentity:
    """Who this connection authenticated as, as kept in its Socket.IO session: not checked
    against the account since (see live_user)."""

    user_id: int
    nonce: str


def live_identity() -> LiveIdentity | None:
    user_id, nonce = session.get(USER_KEY), session.get(NONCE_KEY)
    return LiveIdentity(user_id, nonce) if user_id and nonce else None


# What most events read of their person (membership and roles), in the same query.
WITH_ROLES = (joinedload(User.memberships).joinedload(Membership.roles),)


def live_user() -> User | None:
    """The person this connection authenticated as, unless they have logged out since
    (which changes their nonce)."""
    identity = live_identity()
    user = db.session.get(User, identity.user_id, options=WITH_ROLES) if identity else None
    if user is None or user.token_nonce != identity.nonce:
        return None
    return user


def require_joined(hearing_id: int) -> None:
    if hearing_id not in session.get(JOINED_KEY, []):
        raise DomainError(_("Join the hearing first."), code=ErrorCode.CONFLICT)


def live_event(schema: type[Schema] | None = None, *, checks_identity: bool = False) -> Callable:
    """Wrap a handler: parse the payload, run it in one transaction, answer an ack.

    The handler gets the connection's person, loaded and checked (see live_user); with
    ``checks_identity`` it gets the LiveIdentity instead and checks it in its own query.
    """

    loader = schema() if schema else None  # one instance: schemas hold no per-call state

    def decorate(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(handler)
        def run(self, data: Any = None) -> dict[str, Any]:
            # A database connection that dropped (a restart, a failover, a terminated backend)
            # is retried once on a fresh connection: every event is safe to repeat (a comment
            # is stored once per client id), and the person never hears of it.
            for attempt in (1, 2):
                try:
                    return attempt_event(handler, self, data)
                except DBAPIError as error:
                    db.session.rollback()
                    db.session.remove()
                    if attempt == 1 and error.connection_invalidated:
                        log.warning(
                            "live event %s: database connection lost (%s); retrying",
                            handler.__name__,
                            error.orig,
                        )
                        continue
                    log.exception("live event %s failed", handler.__name__)
                    return failure(str(ErrorCode.INTERNAL), _("Something went wrong on our side."))
            raise AssertionError("unreachable")

        def attempt_event(handler, self, data: Any) -> dict[str, Any]:
            user = live_identity() if checks_identity else live_user()
            if user is None:
                return failure(str(ErrorCode.UNAUTHORIZED), _("Please log in first."))
            try:
                check_value(data)
                payload = loader.load(data if data is not None else {}) if loader else data
                result = handler(self, user, payload)
                db.session.commit()
                return {"ok": True, **result}
            except ValidationError as error:
                db.session.rollback()
                return failure(str(ErrorCode.INVALID_INPUT), _("The request is not valid."), error.messages)
            except DomainError as error:
                db.session.rollback()
                return {"ok": False, **error.to_dict()}
            except IntegrityError:
                db.session.rollback()
                return failure(str(ErrorCode.CONFLICT), _("This conflicts with the current state."))
            except DBAPIError:
                raise  # (retried by run)
            except Exception:
                db.session.rollback()
                log.exception("live event %s failed", handler.__name__)
                return failure(str(ErrorCode.INTERNAL), _("Something went wrong on our side."))

        return run

    return decorate


class HearingNamespace(Namespace):
    """Live hearings: comments, reactions, questions, slots, polls, presence."""

    def trigger_event(self, event: str, *args: Any):
        """Dispatch an event; a client sending "connect" as an ordinary event is told no."""
        if event == "connect" and not (
            len(args) >= 2 and isinstance(args[1], dict) and "REQUEST_METHOD" in args[1]
        ):
            return failure(str(ErrorCode.INVALID_INPUT), _("This event does not exist."))
        return super().trigger_event(event, *args)

    def on_connect(self, auth: Any = None) -> None:
        """Anyone with an identity connects: the session cookie, or ``auth: {token}``."""
        if current_user.is_authenticated:
            identity = (current_user.id, current_user.token_nonce)
        elif isinstance(auth, dict) and isinstance(auth.get("token"), str):
            identity = accounts.identity_from_token(auth["token"])
        else:
            identity = None
        if identity is None:
            raise ConnectionRefused("unauthorized")
        session[USER_KEY], session[NONCE_KEY] = identity
        session[JOINED_KEY] = []
        join_room(user_room(identity[0]))  # so that logging out elsewhere ends this connection
        live_upkeep.ensure_started(current_app._get_current_object())

    def on_disconnect(self, reason: Any = None) -> None:
        """A connection went away: it stops counting as present."""
        # Leave the rooms first: the presence update must not be sent to the closing socket.
        for room in rooms():
            if room != request.sid:
                leave_room(room)
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
        return hearings.join_answer(facts, view, data["after_seq"])

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
