"""What every live namespace shares: who a connection is, and the wrapper that runs each
client event in one transaction and answers its acknowledgement.

``live_event`` authorises the connection, parses the payload, commits the event's
transaction (after which queued broadcasts go out) and turns domain errors into
``{ok: false, error: {code, message}}``. /hearing (live.py) and /design (live_design.py)
both use it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import Namespace, join_room, leave_room, rooms
from marshmallow import Schema, ValidationError
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import joinedload

from deliberation import accounts, live_upkeep
from deliberation.errors import DomainError, ErrorCode, error_body
from deliberation.extensions import db
from deliberation.inputs import check_value
from deliberation.models import Membership, User
from deliberation.publish import user_room

log = logging.getLogger("deliberation.live")
USER_KEY = "live_user_id"
NONCE_KEY = "live_user_nonce"
LIVE_PATH = "/socket.io/"  # where Engine.IO answers (and Flask serves nothing)


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


def connect_identity(auth: Any) -> tuple[int, str]:
    """Keep who is connecting in the connection's session: the session cookie, or
    ``auth: {token}``; no identity, no connection."""
    if _may_carry_login() and current_user.is_authenticated:
        identity = (current_user.id, current_user.token_nonce)
    elif isinstance(auth, dict) and isinstance(auth.get("token"), str):
        identity = accounts.identity_from_token(auth["token"])
    else:
        identity = None
    if identity is None:
        raise ConnectionRefused("unauthorized")
    session[USER_KEY], session[NONCE_KEY] = identity
    return identity


def _may_carry_login() -> bool:
    """Whether the connection's request could log someone in (a cookie, or an Authorization
    header): a phone connecting with only its token does not pay for Flask-Login looking."""
    return "HTTP_COOKIE" in request.environ or "HTTP_AUTHORIZATION" in request.environ


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
                if db.session.registry.has():  # a join that read outside the session has none
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


class LiveSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, not opened when nothing would read it.

    Flask-SocketIO handles every event of a connection in a request context made from the
    connection's first request, and Flask opens the cookie session in each; from the
    connection's first event on, Flask-SocketIO puts the connection's own session in its
    place (kept in the environ as ``saved_session``). A crowd joining a hearing paid for
    opening it twice per person, and for a signing serializer even without a cookie.
    """

    def open_session(self, app, request) -> SecureCookieSession | None:
        if "saved_session" in request.environ or not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class LiveFlask(Flask):
    """Flask, binding no URL map to a live event's request context.

    Flask-SocketIO runs every event in a request context made from its connection's first
    request (a ``/socket.io/`` URL, which no view serves), and Flask bound the URL map to it
    and failed to match it for each event: two thirds of the context's cost. No live
    handler routes or builds URLs (``url_for`` needs a page's request).
    """

    def create_url_adapter(self, request):
        if request is not None and request.environ.get("PATH_INFO", "").startswith(LIVE_PATH):
            return None
        return super().create_url_adapter(request)


class LiveNamespace(Namespace):
    """A live namespace: a client sending "connect" as an ordinary event is told no."""

    def trigger_event(self, event: str, *args: Any):
        """Dispatch an event; a client sending "connect" as an ordinary event is told no."""
        if event == "connect" and not (
            len(args) >= 2 and isinstance(args[1], dict) and "REQUEST_METHOD" in args[1]
        ):
            return failure(str(ErrorCode.INVALID_INPUT), _("This event does not exist."))
        return super().trigger_event(event, *args)

    def open_connection(self, auth: Any, joined_key: str) -> int:
        """Take in a connection with an identity (see connect_identity), joined to nothing yet
        (``joined_key`` in its session); answers the person's id."""
        user_id, _nonce = connect_identity(auth)
        session[joined_key] = []
        join_room(user_room(user_id))  # so that logging out elsewhere ends this connection
        live_upkeep.ensure_started(current_app._get_current_object())
        return user_id

    def leave_rooms(self) -> None:
        """Leave every room but the connection's own (before telling the rest it left)."""
        for room in rooms():
            if room != request.sid:
                leave_room(room)
