"""Errors: one exception per HTTP status class, each carrying the server's JSON error.

Every error answer of the Portcullis API is ``{"error": {"code", "message", "details"?}}``. The client raises a
:class:`PortcullisError` subclass chosen by the status, with the ``code`` (the contract: branch on it, not on the
message), the ``message`` (for people), the ``field`` a 400 names, the import's line ``details``, the ``status``, the
``request_id`` (``X-Request-Id``: quote it when reporting a problem) and ``retry_after`` (seconds, from
``Retry-After``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = [
    "PortcullisError",
    "TransportError",
    "InvalidRequest",
    "AuthenticationError",
    "PermissionDenied",
    "NotFound",
    "MethodNotAllowed",
    "RequestTimeout",
    "Conflict",
    "Gone",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "UnprocessableEntity",
    "RateLimited",
    "ServerError",
    "Unavailable",
    "ImportLineError",
    "error_class_for_status",
]


@dataclass(frozen=True)
class ImportLineError:
    """One bad line of a rejected import (``details`` of ``invalid_import``), numbered from 1."""

    line: int
    message: str


class PortcullisError(Exception):
    """Base of every error the client raises.

    ``status`` is ``None`` only for :class:`TransportError` (no HTTP answer at all).
    """

    status: int | None
    code: str
    message: str
    field: str | None
    details: list[ImportLineError]
    request_id: str | None
    retry_after: float | None
    headers: Mapping[str, str]

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        field: str | None = None,
        details: list[ImportLineError] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []
        self.request_id = request_id
        self.retry_after = retry_after
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        head = f"{self.status} {self.code}" if self.status is not None else (self.code or "error")
        text = f"{head}: {self.message}"
        return f"{text} (request {self.request_id})" if self.request_id else text

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
                f"field={self.field!r}, request_id={self.request_id!r})")


class TransportError(PortcullisError):
    """No HTTP answer: the connection failed or timed out. ``__cause__`` is the httpx exception.

    ``connect_failed``: the connection was never opened, so the request was not sent.
    """

    def __init__(self, message: str, *, connect_failed: bool = False, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.connect_failed = connect_failed


class InvalidRequest(PortcullisError):
    """400: ``invalid_json`` or ``invalid_field`` (``field`` names it)."""


class AuthenticationError(PortcullisError):
    """401: ``unauthorized`` (no credential, or a dead one) or ``invalid_credentials`` at sign-in."""


class PermissionDenied(PortcullisError):
    """403: ``forbidden`` (a valid credential without the right); for media verification also ``malformed``,
    ``bad_signature``, ``unknown_key``, ``expired`` or ``revoked``."""


class NotFound(PortcullisError):
    """404: ``not_found`` (absent or deleted; for end users also: not readable)."""


class MethodNotAllowed(PortcullisError):
    """405: ``method_not_allowed``."""


class RequestTimeout(PortcullisError):
    """408: the server gave up waiting for the request."""


class Conflict(PortcullisError):
    """409: ``conflict`` (duplicate id or email; ids are never reused) or ``no_media``."""


class Gone(PortcullisError):
    """410: ``changes_expired`` (``since`` is below the change log's retention horizon)."""


class PayloadTooLarge(PortcullisError):
    """413: ``payload_too_large``."""


class UnsupportedMediaType(PortcullisError):
    """415: ``unsupported_media_type``."""


class UnprocessableEntity(PortcullisError):
    """422: ``unknown_reference`` or ``invalid_import`` (``details`` lists the bad lines)."""


class RateLimited(PortcullisError):
    """429: ``rate_limited`` (too many failed sign-ins); ``retry_after`` says when to try again."""


class ServerError(PortcullisError):
    """500 (a server bug) or any other status the API does not document."""


class Unavailable(PortcullisError):
    """503: ``overloaded``, ``store_busy``, ``store_error`` …; ``retry_after`` says when to try again."""


_BY_STATUS: dict[int, type[PortcullisError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    408: RequestTimeout,
    409: Conflict,
    410: Gone,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: UnprocessableEntity,
    429: RateLimited,
    503: Unavailable,
}


def error_class_for_status(status: int) -> type[PortcullisError]:
    """The exception class for an HTTP error status (``ServerError`` for anything undocumented)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return InvalidRequest if 400 <= status < 500 else ServerError


_FIELD_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])*$")


def field_from_message(message: str) -> str | None:
    """The field an ``invalid_field`` message starts with: ``"email: must be …"`` → ``email``,
    ``"checks[3]: action: …"`` → ``checks[3].action``."""
    segments = []
    for part in message.split(": ")[:-1]:
        if not _FIELD_SEGMENT.match(part):
            break
        segments.append(part)
    return ".".join(segments) or None


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the server sends whole seconds; an HTTP date is not used by Portcullis)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_from_response(status: int, headers: Mapping[str, str], body: bytes) -> PortcullisError:
    """The exception for an error answer, from its status, headers and body (JSON or not)."""
    import json

    code, message, field, details = "", "", None, []
    payload: Any = None
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code", ""))
        message = str(error.get("message", ""))
        raw_field = error.get("field")
        field = str(raw_field) if isinstance(raw_field, str) else None
        for item in error.get("details") or []:
            if isinstance(item, dict):
                details.append(ImportLineError(line=int(item.get("line", 0)), message=str(item.get("message", ""))))
    else:
        message = body.decode("utf-8", "replace")[:500] if body else f"HTTP {status}"
    if field is None and code == "invalid_field":
        field = field_from_message(message)
    lowered = {k.lower(): v for k, v in headers.items()}
    return error_class_for_status(status)(
        message or f"HTTP {status}",
        status=status,
        code=code or f"http_{status}",
        field=field,
        details=details,
        request_id=lowered.get("x-request-id"),
        retry_after=parse_retry_after(lowered.get("retry-after")),
        headers=headers,
    )
