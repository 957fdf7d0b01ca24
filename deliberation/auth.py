"""Logging in and out: the pages, the session cookie and API bearer tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from deliberation import accounts
from deliberation.demo import DEMO_EMAILS, DEMO_PASSWORD
from deliberation.errors import DomainError, error_body
from deliberation.extensions import db, login_manager
from deliberation.forms import LoginForm, ProfileForm, SignupForm
from deliberation.http_errors import is_api_request
from deliberation.i18n import safe_next
from deliberation.models import User

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


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
            user = accounts.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            login_user(user, remember=True)
            return redirect(safe_next(request.args.get("next")))
    demo = demo_accounts() if current_app.config["DEMO_MODE"] else []
    return render_template("login.html", form=form, demo_accounts=demo, demo_password=DEMO_PASSWORD), (
        400 if form.errors else 200
    )


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
                language=form.language.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.email.errors.append(error.message)
        else:
            db.session.commit()
            login_user(user, remember=True)
            flash(_("Welcome to Jiayuan. A moderator of your community will add you to it."))
            return redirect(url_for("pages.home"))
    return render_template("signup.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    """Log out of this browser."""
    logout_user()
    return redirect(url_for("pages.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """A person's profile: name, age band, language, large text, and communities."""
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.age_band.data = current_user.age_band or ""
    if form.validate_on_submit():
        accounts.update_profile(
            current_user,
            name=form.name.data,
            age_band=form.age_band.data or "",
            language=form.language.data,
            large_text=form.large_text.data,
        )
        db.session.commit()
        session["language"] = current_user.language
        session["large_text"] = current_user.large_text
        flash(_("Your profile is saved."))
        return redirect(url_for("auth.profile"))
    return render_template("profile.html", form=form), (400 if form.errors else 200)


def init_app(app) -> None:
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
