"""A person's own data over the API: take it all away, consent to a tag, delete the account."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_smorest import Blueprint

from deliberation import accounts, personal_data
from deliberation.api.schemas import (
    ChangePasswordSchema,
    ConsentSchema,
    LoginResponseSchema,
    MemberSchema,
    PasswordSchema,
)
from deliberation.errors import NotFound
from deliberation.extensions import db

blp = Blueprint("api_me", __name__, url_prefix="/api/v1/me", description="Your own data")


@blp.get("/export")
@login_required
@blp.response(200)
def export():
    """All of your own data as JSON: account, consents, memberships, needs, comments, ballots,
    answers, objections, ratings, and what the record says you did."""
    return personal_data.export_my_data(current_user)


@blp.delete("")
@login_required
@blp.arguments(PasswordSchema)
@blp.response(204)
@blp.alt_response(401, description="The password is not right")
def delete(body):
    """Delete your account. What you wrote stays and reads "former resident"; your ballots stay
    counted, linked to nobody."""
    personal_data.delete_account(current_user._get_current_object(), body["password"])
    db.session.commit()
    logout_user()


@blp.post("/password")
@login_required
@blp.arguments(ChangePasswordSchema)
@blp.response(200, LoginResponseSchema)
@blp.alt_response(401, description="The current password is not right")
def change_password(body):
    """Change your password: every other session, token and open socket ends; the answer
    carries a fresh token (and this browser's session goes on)."""
    user = current_user._get_current_object()
    accounts.change_password(user, body["current"], body["new"])
    db.session.commit()
    if not request.headers.get("Authorization", "").lower().startswith("bearer "):
        login_user(user)  # a page's session goes on; a program goes on with the new token
    return {"user": user, "token": accounts.issue_token(user)}


@blp.put("/memberships/<int:community_id>/stakeholder-consent")
@login_required
@blp.arguments(ConsentSchema)
@blp.response(200, MemberSchema)
def stakeholder_consent(body, community_id: int):
    """Agree to show the stakeholder tag a moderator gave you, or withdraw (the tag goes)."""
    membership = current_user.membership_in(community_id)
    if membership is None:
        raise NotFound(_("You are not a member of this community."))
    accounts.consent_to_stakeholder_tag(membership, by=current_user, consent=body["consent"])
    db.session.commit()
    return membership
