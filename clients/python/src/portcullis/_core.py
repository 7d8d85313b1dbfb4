"""What the sync and async clients share, without I/O: the route table, one call's description, the retry policy,
the revision tracker and response decoding."""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Generic, Iterable, Mapping, TypeVar
from urllib.parse import quote

from .errors import PortcullisError, TransportError, error_from_response

T = TypeVar("T")

REVISION_HEADER = "X-Portcullis-Revision"


@dataclass(frozen=True)
class Route:
    """One operation of docs/openapi.yaml and the client method that performs it.

    ``retry_safe``: the request may be sent again after a 429/503 answer or a failed connection — reads, idempotent
    writes (PUT, DELETE) and the authorization checks (read-only POSTs). Creates, updates, sign-in, sign-out and the
    import are never retried by the client.
    """

    method: str
    path: str
    name: str
    retry_safe: bool

    def expand(self, params: Mapping[str, str]) -> str:
        def one(match: re.Match[str]) -> str:
            return encode_path_segment(params[match.group(1)])

        return re.sub(r"\{([a-z_]+)\}", one, self.path)


def _r(method: str, path: str, name: str, retry_safe: bool | None = None) -> Route:
    safe = method in ("GET", "PUT", "DELETE") if retry_safe is None else retry_safe
    return Route(method, path, name, safe)


#: Every operation of docs/openapi.yaml, each with the name of the ``Client``/``AsyncClient`` method that performs it
#: (a test holds this table to the document and to both classes).
ROUTES: tuple[Route, ...] = (
    _r("GET", "/api/v1/health", "health"),
    _r("GET", "/api/v1/openapi.yaml", "openapi_document"),
    _r("POST", "/api/v1/auth/login", "login"),
    _r("POST", "/api/v1/auth/logout", "logout"),
    _r("POST", "/api/v1/auth/logout-all", "logout_all"),
    _r("GET", "/api/v1/me", "me"),
    _r("POST", "/api/v1/api-keys", "create_api_key"),
    _r("GET", "/api/v1/api-keys", "list_api_keys"),
    _r("DELETE", "/api/v1/api-keys/{id}", "delete_api_key"),
    _r("GET", "/api/v1/changes", "list_changes"),
    _r("GET", "/api/v1/changes/stream", "stream_changes"),
    _r("POST", "/api/v1/users", "create_user"),
    _r("GET", "/api/v1/users", "list_users"),
    _r("GET", "/api/v1/users/{id}", "get_user"),
    _r("PATCH", "/api/v1/users/{id}", "update_user"),
    _r("DELETE", "/api/v1/users/{id}", "delete_user"),
    _r("DELETE", "/api/v1/users/{id}/sessions", "end_user_sessions"),
    _r("GET", "/api/v1/users/{id}/memberships", "list_user_memberships"),
    _r("POST", "/api/v1/teams", "create_team"),
    _r("GET", "/api/v1/teams", "list_teams"),
    _r("GET", "/api/v1/teams/{id}", "get_team"),
    _r("PATCH", "/api/v1/teams/{id}", "update_team"),
    _r("DELETE", "/api/v1/teams/{id}", "delete_team"),
    _r("GET", "/api/v1/teams/{id}/members", "list_members"),
    _r("POST", "/api/v1/teams/{id}/members", "add_member", retry_safe=True),
    _r("PUT", "/api/v1/teams/{id}/members/{user_id}", "put_member"),
    _r("DELETE", "/api/v1/teams/{id}/members/{user_id}", "delete_member"),
    _r("POST", "/api/v1/projects", "create_project"),
    _r("GET", "/api/v1/projects", "list_projects"),
    _r("GET", "/api/v1/projects/{id}", "get_project"),
    _r("PATCH", "/api/v1/projects/{id}", "update_project"),
    _r("DELETE", "/api/v1/projects/{id}", "delete_project"),
    _r("GET", "/api/v1/projects/{id}/visibility-preview", "preview_project_visibility"),
    _r("POST", "/api/v1/generations", "create_generation"),
    _r("GET", "/api/v1/generations", "list_generations"),
    _r("GET", "/api/v1/generations/{id}", "get_generation"),
    _r("PATCH", "/api/v1/generations/{id}", "update_generation"),
    _r("DELETE", "/api/v1/generations/{id}", "delete_generation"),
    _r("GET", "/api/v1/generations/{id}/media-url", "media_url"),
    _r("GET", "/api/v1/media/verify", "verify_media_url"),
    _r("GET", "/api/v1/signing-keys", "list_signing_keys"),
    _r("POST", "/api/v1/signing-keys", "rotate_signing_key", retry_safe=False),
    _r("POST", "/api/v1/signing-keys/{id}/retire", "retire_signing_key", retry_safe=True),
    _r("POST", "/api/v1/import", "import_records", retry_safe=False),
    _r("POST", "/api/v1/authz/check", "check", retry_safe=True),
    _r("POST", "/api/v1/authz/check-batch", "check_batch", retry_safe=True),
    _r("GET", "/api/v1/authz/resources", "list_resources"),
    _r("GET", "/api/v1/authz/subjects", "list_subjects"),
    _r("GET", "/api/v1/performance/health", "performance_health"),
    _r("GET", "/api/v1/performance/dashboard", "performance_dashboard"),
    _r("GET", "/api/v1/performance/metrics", "performance_metrics"),
    _r("GET", "/api/v1/performance/validate", "performance_validate"),
    _r("GET", "/api/v1/performance/test", "performance_test"),
    _r("GET", "/api/v1/performance/queries", "performance_queries"),
    _r("GET", "/api/v1/audit/decisions", "list_decisions"),
    _r("GET", "/api/v1/audit/decisions/{decision_id}", "get_decision"),
    _r("GET", "/metrics", "prometheus_metrics"),
    _r("GET", "/dashboard", "dashboard"),
    _r("GET", "/dashboard/{file}", "dashboard_file"),
)

ROUTE = {route.name: route for route in ROUTES}


def encode_path_segment(value: str) -> str:
    """Percent-encodes one path parameter; ``.`` and ``..`` are encoded too, so no id can climb out of its route."""
    if not isinstance(value, str) or value == "":
        raise ValueError(f"path parameter must be a non-empty string, not {value!r}")
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


class _Unset:
    """The default of optional patch fields: the field is left out (``None`` sends JSON ``null``)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def body(**fields: Any) -> dict[str, Any]:
    """A JSON object of the fields that are set (``UNSET`` ones left out; ``None`` kept as ``null``)."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def query(**params: Any) -> dict[str, str]:
    """Query parameters that are given (``None`` left out); booleans as ``true``/``false``."""
    out: dict[str, str] = {}
    for name, value in params.items():
        if value is None or value is UNSET:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def timestamp(value: datetime | str | None, name: str) -> str | None:
    """An instant for the API (RFC 3339 in UTC, ``Z``): an aware ``datetime`` is converted to UTC (milliseconds kept,
    the server's precision); a string is sent as it is (the server checks it and names ``name`` if it is not one);
    ``None`` stays ``None``. A naive ``datetime`` is refused: its zone would be a guess."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a datetime or an RFC 3339 string, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: a naive datetime has no time zone; pass an aware one (e.g. tzinfo=timezone.utc)")
    instant = value.astimezone(timezone.utc)
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond // 1000:03d}"
    return text + "Z"


@dataclass(frozen=True)
class Raw:
    """A 2xx answer as the parsers see it."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    revision: int | None

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


@dataclass
class Call(Generic[T]):
    """One API call, before it is sent."""

    route: Route
    parse: Callable[[Raw], T]
    path_params: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: A check or batch: the body gets ``consistency`` (read-your-writes) when the client has seen a revision and the
    #: caller did not choose one.
    consistent_read: bool = False
    #: False: no ``Authorization`` header (public routes work without a credential anyway; this is for ``verify``).
    authenticated: bool = True

    @property
    def path(self) -> str:
        return self.route.expand(self.path_params)


class RevisionTracker:
    """The highest ``X-Portcullis-Revision`` seen, shared by every client made from one (``with_token``).

    Thread-safe; an ``AsyncClient`` may share one with a ``Client``.
    """

    def __init__(self, revision: int | None = None) -> None:
        self._lock = threading.Lock()
        self._revision = revision

    @property
    def revision(self) -> int | None:
        with self._lock:
            return self._revision

    def observe(self, revision: int | None) -> None:
        if revision is None:
            return
        with self._lock:
            if self._revision is None or revision > self._revision:
                self._revision = revision


def revision_from_headers(headers: Mapping[str, str]) -> int | None:
    value = headers.get(REVISION_HEADER) or headers.get(REVISION_HEADER.lower())
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None


@dataclass(frozen=True)
class RetryPolicy:
    """When the client sends a request again.

    Only retry-safe requests (see :class:`Route`) are retried, on a ``statuses`` answer (429 and 503 by default) or a
    connection that could not be opened; at most ``max_attempts`` sends in all, waiting ``Retry-After`` seconds when the
    server sends it (else ``backoff`` doubling per attempt up to ``max_backoff``, with jitter), and never more than
    ``max_total_wait`` seconds of waiting in all: a ``Retry-After`` that would pass it raises at once.
    """

    max_attempts: int = 3
    max_total_wait: float = 10.0
    backoff: float = 0.2
    max_backoff: float = 2.0
    statuses: frozenset[int] = frozenset({429, 503})
    retry_connect_errors: bool = True

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)

    def delay_after_error(self, route: Route, error: PortcullisError, attempt: int, waited: float) -> float | None:
        """Seconds to wait before sending again, or ``None`` to raise ``error``."""
        if not route.retry_safe or attempt >= self.max_attempts:
            return None
        if isinstance(error, TransportError):
            if not (self.retry_connect_errors and error.connect_failed):
                return None
            delay = self._backoff(attempt)
        elif error.status in self.statuses:
            delay = error.retry_after if error.retry_after is not None else self._backoff(attempt)
        else:
            return None
        if waited + delay > self.max_total_wait:
            return None
        return delay


def with_consistency(payload: Any, revision: int | None) -> Any:
    """``consistency: {"at_least_revision": N}`` on a check, or on each check of a batch (the server reads it per
    check), unless the caller set one."""
    if revision is None or not isinstance(payload, dict):
        return payload
    wanted = {"at_least_revision": revision}
    if isinstance(payload.get("checks"), list):
        return {**payload, "checks": [item if "consistency" in item else {**item, "consistency": wanted}
                                      for item in payload["checks"]]}
    if "consistency" in payload:
        return payload
    return {**payload, "consistency": wanted}


def decode_error(status: int, headers: Mapping[str, str], content: bytes) -> PortcullisError:
    return error_from_response(status, headers, content)


def ndjson(records: Iterable[Mapping[str, Any]] | str | bytes) -> bytes:
    """An import body: bytes and text as they are, an iterable of objects one JSON line each."""
    if isinstance(records, bytes):
        return records
    if isinstance(records, str):
        return records.encode("utf-8")
    return b"".join(json.dumps(record, separators=(",", ":")).encode("utf-8") + b"\n" for record in records)


class SSEParser:
    """Server-Sent Events, line by line: yields ``(id, data)`` for each event; comments (keep-alives) are skipped."""

    def __init__(self) -> None:
        self._id: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        line = line.rstrip("\r\n")
        if line == "":
            if not self._data:
                return None
            event = (self._id or "", "\n".join(self._data))
            self._data = []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "id":
            self._id = value
        elif name == "data":
            self._data.append(value)
        return None
