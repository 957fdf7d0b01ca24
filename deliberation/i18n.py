"""Language and display preferences: which language a page speaks, and large text."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, current_app, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from deliberation import enums
from deliberation.enums import Language
from deliberation.extensions import db
from deliberation.http_errors import is_api_request
from deliberation.labels import template_labels

bp = Blueprint("preferences", __name__)


def select_locale() -> str:
    """The locale of this request.

    For the API, the Accept-Language header when given; otherwise the person's choice
    (this session, then the account), then the browser's, then the default.
    """
    if not has_request_context():  # the command line and scheduled jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    locales = current_app.config["LANGUAGES"]
    if is_api_request() and request.headers.get("Accept-Language"):
        # A program (or a page's script) says which language it wants its messages in.
        asked = request.accept_languages.best_match(locales)
        if asked:
            return asked
    chosen = session.get("language")
    if chosen is None and current_user.is_authenticated:
        chosen = current_user.language
    if chosen is not None:
        return Language(chosen).locale
    return request.accept_languages.best_match(locales) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> Language:
    """The language of this request as the contract spells it."""
    return Language.from_locale(str(get_locale()))


def large_text_on() -> bool:
    """Whether the page is in the elder mode (large text and targets; an older resident's choice)."""
    return _display_choice("large_text")


def high_contrast_on() -> bool:
    """Whether the page uses high contrast."""
    return _display_choice("high_contrast")


def _display_choice(name: str) -> bool:
    """A display choice: this browser's, else the account's."""
    if name in session:
        return bool(session[name])
    return bool(current_user.is_authenticated and getattr(current_user, name))


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything pointing elsewhere becomes the home page."""
    return safe_next_or_none(target) or url_for("pages.home")


def safe_next_or_none(target: str | None) -> str | None:
    """``target`` if it is a local path, else None.

    Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so
    "/\t/evil.example" would lead to //evil.example: any control character, backslash,
    or a path that does not begin with exactly one slash is refused.
    """
    if (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith("//")
        and not any(c == "\\" or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target)
        and not urlsplit(target).netloc
        and len(target) <= 2000
    ):
        return target
    return None


@bp.post("/preferences/language")
def switch_language():
    """Switch the page language; kept in the session and on the account."""
    language = Language.from_locale(request.form.get("language", ""))
    session["language"] = language.value
    if current_user.is_authenticated:
        current_user.language = language.value
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.post("/preferences/large-text")
def toggle_large_text():
    """Turn the elder mode on or off; kept in the session and on the account."""
    return _set_display_choice("large_text")


@bp.post("/preferences/high-contrast")
def toggle_high_contrast():
    """Turn high contrast on or off; kept in the session and on the account."""
    return _set_display_choice("high_contrast")


def _set_display_choice(name: str):
    on = request.form.get("on") == "1"
    session[name] = on
    if current_user.is_authenticated:
        setattr(current_user, name, on)
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))


def template_globals() -> dict:
    """Names every template may use: the language, the display choices, and the product's enums."""
    return {
        "current_language": current_language(),
        "large_text": large_text_on(),
        "high_contrast": high_contrast_on(),
        "languages": list(Language),
        "enums": enums,
        **template_labels(),
    }


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.context_processor(template_globals)
