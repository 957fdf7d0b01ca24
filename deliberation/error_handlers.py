"""Error handlers: domain errors and integrity conflicts, answered after a rollback."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from deliberation.errors import DomainError, ErrorCode, error_body
from deliberation.extensions import db
from deliberation.http_errors import error_page, http_error_message, is_api_request


def register_error_handlers(app) -> None:
    """Answer domain errors and integrity conflicts in the contract's format, after a rollback."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        headers = getattr(error, "headers", {})
        if is_api_request():
            return error.to_dict(), error.status, headers
        return error_page(error.status, error.message), error.status, headers

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # A unique key or check constraint caught what a concurrent request slipped past.
        db.session.rollback()
        message = _("This conflicts with the current state.")
        if is_api_request():
            return error_body(str(ErrorCode.CONFLICT), message), 409
        return error_page(409, message), 409

    @app.before_request
    def require_json_bodies():
        if not is_api_request() or request.method not in ("POST", "PUT", "PATCH"):
            return None
        if request.content_length == 0 or (not request.content_length and not request.data):
            return None
        if not request.is_json:
            return error_body(str(ErrorCode.UNSUPPORTED_MEDIA_TYPE), http_error_message(415)), 415
        return None
