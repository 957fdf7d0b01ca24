"""Logging in and out: the pages, the session cookie and API bearer tokens."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from deliberation import accounts, personal_data
from deliberation.demo import DEMO_EMAILS, DEMO_PASSWORD
from deliberation.errors import DomainError, ErrorCode, TooManyRequests, error_body
from deliberation.extensions import db, login_manager
from deliberation.forms import ChangePasswordForm, DeleteAccountForm, LoginForm, ProfileForm, SignupForm
from deliberation.http_errors import is_api_request
from deliberation.i18n import safe_next, safe_next_or_none
from deliberation.models import User

bp = Blueprint("auth", __name__)


def load_user(session_id: str) -> User | None:
    """The person a session or remember-me cookie names, unless they have logged out since.

    A request with a bearer token is that token's person, whatever cookie it carries too.
    """
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return load_user_from_request(request)
    return accounts.user_from_session_id(session_id)


def load_user_from_request(req) -> User | None:
    """The user named by an ``Authorization: Bearer`` token, if any."""
    header = req.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.user_from_token(token.strip())


def unauthorized():
    if is_api_request():
        return error_body("unauthorized", _("Please log in first.")), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def demo_accounts() -> list[User]:
    """The demo accounts to list on the login page (demo mode only)."""
    return [u for email in DEMO_EMAILS if (u := accounts.find_user_by_email(email))]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, address=request.remote_addr)
        except TooManyRequests as error:
            form.password.errors.append(error.message)
            page = render_template("login.html", form=form, demo_accounts=[], demo_password=DEMO_PASSWORD)
            return page, 429, error.headers
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            login_user(user, remember=True)
            return redirect(safe_next(request.args.get("next")))
    demo = demo_accounts() if current_app.config["DEMO_MODE"] else []
    going_on = safe_next_or_none(request.args.get("next"))
    page = render_template(
        "login.html", form=form, demo_accounts=demo, demo_password=DEMO_PASSWORD, next=going_on
    )
    return page, (400 if form.errors else 200)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """The sign-up page."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                form.email.data,
                form.password.data,
                form.name.data,
                age_band=form.age_band.data or None,
                age_band_consent=form.age_band_consent.data,
                guardian_name=form.guardian_name.data or None,
                language=form.language.data,
            )
        except DomainError as error:
            db.session.rollback()
            target = form.email if error.code == ErrorCode.EMAIL_TAKEN else form.age_band
            target.errors.append(error.message)
        else:
            db.session.commit()
            login_user(user, remember=True)
            going_on = request.args.get("next")
            if going_on:  # from a hearing's QR code, say: the hearing files the request to join
                flash(_("Welcome to Jiayuan."))
            else:
                flash(_("Welcome to Jiayuan. Ask to join your community here: its committee will answer."))
            if user.needs_guardian_consent:
                flash(_("Under 14, you can watch; you take part once a parent or guardian has consented."))
            return redirect(safe_next(going_on))
    return render_template("signup.html", form=form, next=safe_next_or_none(request.args.get("next"))), (
        400 if form.errors else 200
    )


@bp.post("/logout")
@login_required
def logout():
    """Log out everywhere: this browser, every other one, the API tokens and the open sockets."""
    accounts.log_out_everywhere(current_user._get_current_object())
    db.session.commit()
    logout_user()
    return redirect(url_for("pages.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """A person's profile: name, age band, language, large text, and communities."""
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.age_band.data = current_user.age_band or ""
        form.age_band_consent.data = current_user.age_band_consent_at is not None
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                name=form.name.data,
                age_band=form.age_band.data or "",
                age_band_consent=form.age_band_consent.data,
                language=form.language.data,
                large_text=form.large_text.data,
                high_contrast=form.high_contrast.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.age_band.errors.append(error.message)
        else:
            db.session.commit()
            session["language"] = current_user.language
            session["large_text"] = current_user.large_text
            session["high_contrast"] = current_user.high_contrast
            flash(_("Your profile is saved."))
            return redirect(url_for("auth.profile"))
    return render_profile(form), (400 if form.errors else 200)


def render_profile(form=None, *, password_form=None, delete_form=None) -> str:
    """The profile page with its three forms (one of them, maybe, showing its errors)."""
    if form is None:
        form = ProfileForm(obj=current_user)
        form.age_band.data = current_user.age_band or ""
        form.age_band_consent.data = current_user.age_band_consent_at is not None
    return render_template(
        "profile.html",
        form=form,
        password_form=password_form or ChangePasswordForm(),
        delete_form=delete_form or DeleteAccountForm(),
    )


@bp.post("/profile/password")
@login_required
def change_password():
    """Change one's password: every other browser, token and socket is logged out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current.data, form.new.data)
        except DomainError as error:
            db.session.rollback()
            (form.current if error.status == 401 else form.new).errors.append(error.message)
        else:
            db.session.commit()
            login_user(user, remember=True)  # this browser goes on with the new session id
            flash(_("Your password is changed. Every other device is logged out."))
            return redirect(url_for("auth.profile"))
    return render_profile(password_form=form), 400


@bp.post("/profile/stakeholder/<int:community_id>")
@login_required
def stakeholder_consent(community_id: int):
    """Agree to show the stakeholder tag a moderator gave, or withdraw it (the tag goes)."""
    membership = current_user.membership_in(community_id)
    if membership is None:
        abort(404)
    accounts.consent_to_stakeholder_tag(
        membership, by=current_user, consent=request.form.get("consent") == "yes"
    )
    db.session.commit()
    flash(_("Your choice is saved."))
    return redirect(url_for("auth.profile"))


@bp.get("/profile/my-data.json")
@login_required
def my_data():
    """Download all of one's own data as JSON."""
    body = json.dumps(personal_data.export_my_data(current_user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="jiayuan-my-data.json"'
    return response


@bp.post("/profile/delete")
@login_required
def delete_account():
    """Delete one's own account, confirmed by the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            personal_data.delete_account(current_user._get_current_object(), form.password.data)
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your account is deleted. What you wrote stays in the record as a former resident's."))
            return redirect(url_for("pages.home"))
    return render_profile(delete_form=form), 400


@bp.get("/privacy")
def privacy():
    """The privacy notice: what Jiayuan keeps, why, who sees it, and a person's rights."""
    return render_template("privacy.html")


def init_app(app) -> None:
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
