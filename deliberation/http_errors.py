"""The API object: flask-smorest, answering every HTTP error in the contract's format.

flask-smorest validates request bodies with marshmallow schemas and builds the
OpenAPI document from those same schemas; its own error body is replaced here by
``{"error": {"code", "message"}}`` for API paths, and by an HTML page elsewhere.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_smorest import Api
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from deliberation.errors import HTTP_STATUS_CODES, ErrorCode, error_body

API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    """True when the current request is for the JSON API."""
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def http_error_message(status: int) -> str:
    """A short, translated sentence for an HTTP status."""
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request is too large."),
        415: _("The request body must be JSON."),
        422: _("The request is not valid."),
        429: _("Too many requests; please wait a moment."),
    }
    return messages.get(status, _("Something went wrong on our side."))


def error_heading(status: int) -> str:
    """What a refusal means, in words, as a page's heading."""
    if status == 403:
        return _("This is not open to you")
    if status == 404:
        return _("Not found")
    if status == 409:
        return _("This has moved on")
    if status == 429:
        return _("One moment, please")
    if status >= 500:
        return _("Something went wrong on our side")
    return _("This could not be done")


def way_back(status: int) -> tuple[str, str]:
    """Where a page explaining a refusal leads back to: the round the link was about, if any."""
    from deliberation.extensions import db  # the API object is built before the models
    from deliberation.models import Round

    round_id = (request.view_args or {}).get("round_id")
    round_ = None
    if isinstance(round_id, int) and status < 500:  # after a failure, the database is not asked again
        try:
            round_ = db.session.get(Round, round_id)
        except SQLAlchemyError:
            db.session.rollback()
    if round_ is not None:
        return url_for("pages.round_page", round_id=round_.id), _("Back to %(title)s", title=round_.title)
    return url_for("pages.home"), _("Back to the home page")


def error_page(status: int, message: str) -> str:
    """A page that explains a refusal in words and leads back; never a bare status code."""
    back, back_label = way_back(status)
    return render_template(
        "error.html",
        status=status,
        heading=error_heading(status),
        message=message,
        back=back,
        back_label=back_label,
    )


class ErrorDetailSchema(Schema):
    code = fields.Str(required=True, metadata={"description": "a stable code, e.g. not_found"})
    message = fields.Str(required=True, metadata={"description": "a sentence in the reader's language"})
    details = fields.Raw(metadata={"description": "where the request went wrong, when known"})
    report = fields.Dict(metadata={"description": "a layout's validation report (invalid_layout)"})


class ErrorSchema(Schema):
    """The contract's error body: ``{"error": {"code", "message", ...}}``."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class JsonErrorApi(Api):
    """flask-smorest's Api with the contract's error format (answered and documented)."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        """Answer an HTTP error as JSON on API paths and as a page elsewhere."""
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        if not is_api_request():
            return error_page(status, http_error_message(status)), status
        code = str(HTTP_STATUS_CODES.get(status, ErrorCode.INTERNAL))
        message = data.get("message") or http_error_message(status)
        details = None
        messages = data.get("messages")
        if messages:
            # webargs reports where the problem is: {"json": {"field": ["reason"]}}
            details = messages.get("json", messages)
            if status == 400 and "json" in messages:
                code = str(ErrorCode.INVALID_JSON)
                message = _("The body is not valid JSON.")
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return error_body(code, message, details), status, headers
