"""Accounts over the API: sign up, log in (session cookie and bearer token), log out, me."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required, login_user, logout_user
from flask_smorest import Blueprint

from deliberation import accounts
from deliberation.api.schemas import (
    LoginResponseSchema,
    LoginSchema,
    SignupSchema,
    UserEnvelopeSchema,
)
from deliberation.extensions import db

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1/auth", description="Accounts")


@blp.post("/signup")
@blp.doc(security=[])  # open to anyone
@blp.arguments(SignupSchema)
@blp.response(201, UserEnvelopeSchema)
def signup(body):
    """Create an account; it belongs to no community until a moderator adds it."""
    user = accounts.sign_up(**body)
    db.session.commit()
    return {"user": user}


@blp.post("/login")
@blp.doc(security=[])  # open to anyone
@blp.arguments(LoginSchema)
@blp.response(200, LoginResponseSchema)
@blp.alt_response(401, description="Wrong email or password")
@blp.alt_response(429, description="Too many wrong passwords for this account or address; see Retry-After")
def login(body):
    """Log in: sets the session cookie and returns a bearer token."""
    user = accounts.authenticate(body["email"], body["password"], address=request.remote_addr)
    login_user(user)
    return {"user": user, "token": accounts.issue_token(user)}


@blp.post("/logout")
@login_required
@blp.response(204)
def logout():
    """Log out everywhere: ends every session and remember-me cookie, revokes every token issued
    so far, and closes the open sockets."""
    accounts.log_out_everywhere(current_user._get_current_object())
    db.session.commit()
    logout_user()


@blp.get("/me")
@login_required
@blp.response(200, UserEnvelopeSchema)
def me():
    """The logged-in person."""
    return {"user": current_user}
