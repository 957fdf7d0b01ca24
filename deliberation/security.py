"""The web edges' security baseline, in one place: headers and cookies, CSRF for
cookie-authenticated API writes, ids in range, and every input checked (inputs.py).

- Content-Security-Policy with a nonce per response and no inline-script allowance (the
  folium maps' inline scripts get the nonce too), frame-ancestors 'none', nosniff and a
  referrer policy, from Flask-Talisman.
- Behind HTTPS (seen directly, or through a proxy's X-Forwarded-* headers when
  TRUSTED_PROXIES says how many proxies to trust) every cookie is marked Secure and HSTS
  is sent; over plain HTTP (a laptop in the community room) neither, so nothing breaks.
- A JSON API request that changes something and is authenticated by the session cookie
  carries the page's CSRF token (X-CSRFToken); bearer-token requests need none. A request
  from another site's page (its Origin) is refused either way.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_talisman import Talisman
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from deliberation.errors import ErrorCode, NotAllowed
from deliberation.fields import MAX_INT
from deliberation.http_errors import is_api_request
from deliberation.inputs import check_text, parse_json

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HSTS = "max-age=31536000; includeSubDomains"
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ids beyond 32 bits are 404, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)


def content_security_policy(app: Flask) -> dict[str, str]:
    tiles = app.config.get("TILE_URL")
    tile_origin = (
        re.match(r"^(https?://[^/{}]+)", tiles).group(1) if tiles and re.match(r"^https?://", tiles) else ""
    )
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        # Leaflet and folium position their panes with inline styles.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {tile_origin}".strip(),
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def nonced(html: str) -> Markup:
    """HTML (a folium map's parts) with this response's CSP nonce on each of its <script> tags."""
    nonce = getattr(request, "csp_nonce", "")
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{nonce}"', str(html)))


def init_app(app: Flask) -> None:
    """Install the baseline on an app."""
    app.url_map.converters["int"] = IdConverter
    app.wsgi_app = SecureOverHttps(app.wsgi_app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    Talisman(
        app,
        force_https=False,
        strict_transport_security=False,  # sent below, only over HTTPS as seen through trusted proxies
        session_cookie_secure=False,  # marked below per request
        frame_options="DENY",
        content_security_policy=content_security_policy(app),
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
    )
    app.jinja_env.filters["nonced"] = nonced

    @app.before_request
    def check_inputs():
        for value in request.args.values():
            check_text(value)
        if request.method in SAFE_METHODS:
            return None
        if is_api_request():
            refuse_cross_site_writes()
            if request.is_json and request.get_data(cache=True):
                parse_json(request.get_data(cache=True))
        else:
            for value in request.form.values():
                check_text(value)
        return None


class SecureOverHttps:
    """WSGI middleware: over HTTPS (after a trusted proxy's headers are applied), mark every
    cookie Secure, the session's included (Flask sets it after every after_request hook),
    and send HSTS."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            marked = [
                (name, value + "; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            marked.append(("Strict-Transport-Security", HSTS))
            return start_response(status, marked, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def refuse_cross_site_writes() -> None:
    """A write to the API from another site's page, or with the session cookie and no CSRF token, is 403."""
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise NotAllowed(_("Requests from other sites are refused."), code=ErrorCode.FORBIDDEN)
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    if current_app.config.get("WTF_CSRF_ENABLED", True) and (
        "_user_id" in session or current_user.is_authenticated
    ):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as error:
            raise NotAllowed(
                _("The page's security token is missing or expired: reload the page and try again.")
            ) from error
