"""Domain errors and the error codes shared by the API, the pages and Socket.IO."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    UNAUTHORIZED = "unauthorized"
    INVALID_CREDENTIALS = "invalid_credentials"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_INPUT = "invalid_input"
    INVALID_LAYOUT = "invalid_layout"
    FORBIDDEN_TRANSITION = "forbidden_transition"
    WRONG_PHASE = "wrong_phase"
    EMAIL_TAKEN = "email_taken"
    LIMIT_REACHED = "limit_reached"
    TOO_MANY_REQUESTS = "too_many_requests"
    INTERNAL = "internal_error"


HTTP_STATUS_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.INVALID_INPUT,
    429: ErrorCode.TOO_MANY_REQUESTS,
    500: ErrorCode.INTERNAL,
}


class DomainError(Exception):
    """A rule of the product refused an operation; carries the code, a message and a status."""

    status = 400
    code: ErrorCode = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: ErrorCode | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body of the contract: ``{"error": {"code", "message", ...}}``."""
        body: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class NotAllowed(DomainError):
    status = 403
    code = ErrorCode.FORBIDDEN


class NotFound(DomainError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    status = 409
    code = ErrorCode.CONFLICT


class InvalidInput(DomainError):
    status = 422
    code = ErrorCode.INVALID_INPUT


class TooManyRequests(DomainError):
    status = 429
    code = ErrorCode.TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


def allows(check: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
    """Whether a check that raises a DomainError to refuse lets this through (for showing controls)."""
    try:
        check(*args, **kwargs)
    except DomainError:
        return False
    return True


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Build the contract's error body from its parts."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


class InvalidLayout(DomainError):
    """A layout or site geometry has errors; the body carries the whole validation report."""

    status = 422
    code = ErrorCode.INVALID_LAYOUT

    def __init__(self, message: str, report: dict[str, Any]):
        super().__init__(message)
        self.report = report

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["error"]["report"] = self.report
        return body
