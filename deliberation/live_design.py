"""The /design Socket.IO namespace: a proposal's team in its draft, live (co-design).

Each handler checks the payload, calls an operation in deliberation/codesign.py and answers
the acknowledgement; ``live_event`` (live_base.py, shared with /hearing) authorises the
connection, commits, and the changes' broadcasts go out after the commit, through the
message queue to every worker. Presence is relayed straight from memory (codesign's
PresenceBoard): nothing of it is stored.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import request, session
from flask_babel import gettext as _
from flask_socketio import join_room
from sqlalchemy.exc import IntegrityError

from deliberation import codesign
from deliberation.errors import DomainError, ErrorCode
from deliberation.extensions import db, socketio
from deliberation.i18n import current_language
from deliberation.live_base import LiveIdentity, LiveNamespace, live_event
from deliberation.live_schemas import (
    DraftJoinSchema,
    DraftOpSchema,
    DraftPresenceSchema,
    DraftRestoreSchema,
    DraftSubmitSchema,
    DraftUndoSchema,
)
from deliberation.lookup import get_or_404
from deliberation.models import DraftOp, Proposal, User
from deliberation.publish import DESIGN_NAMESPACE, Event, draft_room, publish_after_commit

log = logging.getLogger(__name__)
DRAFTS_KEY = "live_drafts"
NAME_KEY = "live_user_name"

# Who is in each draft, as this worker heard it.
BOARD = codesign.PresenceBoard()


def require_joined(proposal_id: int) -> None:
    if proposal_id not in session.get(DRAFTS_KEY, []):
        raise DomainError(_("Open the draft first."), code=ErrorCode.CONFLICT)


def _send_presence(proposal_id: int, payload: dict[str, Any], sid: str | None) -> None:
    socketio.emit(
        Event.DRAFT_PRESENCE, payload, namespace=DESIGN_NAMESPACE, to=draft_room(proposal_id), skip_sid=sid
    )


def _relay_later(proposal_id: int, user_id: int, sid: str, wait: float) -> None:
    socketio.sleep(wait)
    payload = BOARD.due(proposal_id, user_id, now=time.monotonic())
    if payload is not None:
        _send_presence(proposal_id, payload, sid)


def relay_presence(proposal_id: int, user: dict[str, Any], sid: str, selected: Any, cursor: Any) -> None:
    """Tell the team what a person selected and where their pointer is: now, or (faster than
    5 a second) once their turn comes, with whatever is latest by then."""
    wait = BOARD.note(proposal_id, user, sid, selected, cursor, now=time.monotonic())
    if wait == 0:
        _send_presence(proposal_id, BOARD.current(proposal_id, user["id"]), sid)
    elif wait is not None:
        socketio.start_background_task(_relay_later, proposal_id, user["id"], sid, wait)


def _answer_retry(proposal: Proposal, user: User, op_id: str) -> DraftOp:
    """The same op id raced in on another connection: the change stored under it."""
    db.session.rollback()
    op = codesign.find_op(proposal.id, op_id)
    if op is None or op.author_id != user.id:
        raise DomainError(_("This op id was used for another change."), code=ErrorCode.CONFLICT)
    return op


class DesignNamespace(LiveNamespace):
    """Co-design: a proposal's team edits its draft together and sees each other."""

    def on_connect(self, auth: Any = None) -> None:
        """Anyone with an identity connects (the session cookie, or ``auth: {token}``); opening
        a draft is for its team."""
        self.open_connection(auth, DRAFTS_KEY)

    def on_disconnect(self, reason: Any = None) -> None:
        """A connection went away: the team hears who left."""
        self.leave_rooms()
        for left in BOARD.leave(request.sid):
            _send_presence(left["proposal_id"], left, None)

    @live_event(DraftJoinSchema)
    def on_draft_join(self, user: User, data: dict) -> dict:
        """A team member opens the draft: its features (or the changes since ``after_seq``),
        the team, and who is here."""
        proposal = get_or_404(Proposal, data["proposal_id"], *codesign.WITH_SITE)
        codesign.require_team(proposal, user)
        join_room(draft_room(proposal.id))  # before reading: no change slips between the two
        answer = codesign.join(user, proposal, data["after_seq"])
        joined = session.get(DRAFTS_KEY, [])
        if proposal.id not in joined:
            session[DRAFTS_KEY] = [*joined, proposal.id]
        session[NAME_KEY] = user.name
        now = time.monotonic()
        here = BOARD.present(proposal.id, now=now, besides=user.id)
        arrival = BOARD.arrive(proposal.id, {"id": user.id, "name": user.name}, request.sid, now=now)
        publish_after_commit(
            db.session,
            Event.DRAFT_PRESENCE,
            arrival,
            room=draft_room(proposal.id),
            namespace=DESIGN_NAMESPACE,
            skip_sid=request.sid,
        )
        return {**answer, "presence": here}

    @live_event(DraftOpSchema)
    def on_draft_op(self, user: User, data: dict) -> dict:
        """A team member adds, moves, reshapes, relabels or deletes one feature of the draft."""
        require_joined(data["proposal_id"])
        proposal = get_or_404(Proposal, data["proposal_id"], *codesign.WITH_SITE)
        try:
            op, _new = codesign.apply_op(
                user,
                proposal,
                op_id=data["op_id"],
                base_seq=data["base_seq"],
                action=data["action"],
                feature_id=data["feature_id"],
                feature=data["feature"],
                language=current_language().value,
            )
        except IntegrityError:
            op = _answer_retry(proposal, user, data["op_id"])
        return codesign.op_ack(op)

    @live_event(DraftRestoreSchema)
    def on_draft_restore(self, user: User, data: dict) -> dict:
        """A team member puts back the version a change replaced (a teammate's overwritten edit)."""
        require_joined(data["proposal_id"])
        proposal = get_or_404(Proposal, data["proposal_id"], *codesign.WITH_SITE)
        try:
            op, _new = codesign.restore(
                user, proposal, op_id=data["op_id"], seq=data["seq"], language=current_language().value
            )
        except IntegrityError:
            op = _answer_retry(proposal, user, data["op_id"])
        return codesign.op_dict(op)

    @live_event(DraftUndoSchema)
    def on_draft_undo(self, user: User, data: dict) -> dict:
        """A team member undoes their own latest change."""
        require_joined(data["proposal_id"])
        proposal = get_or_404(Proposal, data["proposal_id"], *codesign.WITH_SITE)
        try:
            op, _new = codesign.undo(user, proposal, op_id=data["op_id"], language=current_language().value)
        except IntegrityError:
            op = _answer_retry(proposal, user, data["op_id"])
        return codesign.op_dict(op)

    @live_event(DraftSubmitSchema)
    def on_draft_submit(self, user: User, data: dict) -> dict:
        """A team member submits the draft as the proposal's next version."""
        require_joined(data["proposal_id"])
        proposal = get_or_404(Proposal, data["proposal_id"], *codesign.WITH_SITE)
        version, report = codesign.submit(
            user, proposal, language=current_language().value, note=data["note"], need_ids=data["needs"]
        )
        return {"version": {"number": version.number, "drawn_by": version.drawn_by}, "report": report}

    @live_event(DraftPresenceSchema, checks_identity=True)
    def on_draft_presence(self, identity: LiveIdentity, data: dict) -> dict:
        """A team member in the draft shows what they selected and where their pointer is."""
        require_joined(data["proposal_id"])
        user = {"id": identity.user_id, "name": session.get(NAME_KEY)}
        relay_presence(data["proposal_id"], user, request.sid, data["selected"], data["cursor"])
        return {}


def register(socketio) -> None:
    socketio.on_namespace(DesignNamespace(DESIGN_NAMESPACE))
