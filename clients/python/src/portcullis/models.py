"""Typed results of the Portcullis API: frozen dataclasses built from the server's JSON.

Fields follow docs/openapi.yaml. Optional fields the server leaves out (``deleted_at``, ``team_id``, ``project_id``,
``media_key``, a membership's ``starts_at``/``expires_at``, a decision's ``as_of``) are ``None``. Timestamps are the
server's RFC 3339 UTC strings (``2026-01-31T12:00:00.000Z``). Fields a newer server adds are ignored, so an older client keeps working. Entities
returned by a write also carry ``revision``: the ``X-Portcullis-Revision`` that write produced (``None`` on reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, Mapping, TypedDict, TypeVar

__all__ = [
    "Action", "ResourceType", "Role", "Visibility", "GenerationStatus", "Scope",
    "User", "Team", "Member", "Project", "Generation", "Page", "Login", "MeTeam", "Me",
    "APIKey", "CreatedAPIKey", "ExplanationStep", "Decision", "CheckRequest", "BatchResult",
    "ResourcesPage", "SubjectsPage", "ImportResult", "MediaURL", "Change", "ChangeActor", "ChangesPage",
    "ChangeEvent", "LoggedDecision", "Health", "ComponentStatus", "PerformanceHealth", "ValidationTarget",
    "ValidationReport", "ComponentTiming", "TimingReport", "QueryReport", "DashboardReport", "MetricsReport",
    "UserMembership", "VisibilityPreview", "SigningKey", "SigningKeys",
]

Action = Literal["read", "update", "delete", "download", "create_generation", "manage_members"]
ResourceType = Literal["generation", "project", "team"]
Role = Literal["owner", "admin", "editor", "viewer"]
Visibility = Literal["private", "team", "public"]
GenerationStatus = Literal["pending", "running", "completed", "failed"]
Scope = Literal["authz", "admin"]

T = TypeVar("T")


def _opt(data: Mapping[str, Any], key: str) -> Any:
    return data.get(key)


@dataclass(frozen=True)
class User:
    id: str
    email: str
    display_name: str
    is_admin: bool
    status: str
    created_at: str
    deleted_at: str | None = None
    revision: int | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None) -> User:
        return cls(id=data["id"], email=data["email"], display_name=data.get("display_name", ""),
                   is_admin=bool(data.get("is_admin", False)), status=data.get("status", "active"),
                   created_at=data["created_at"], deleted_at=_opt(data, "deleted_at"), revision=revision)


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    owner_id: str
    created_at: str
    deleted_at: str | None = None
    revision: int | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None) -> Team:
        return cls(id=data["id"], name=data["name"], owner_id=data["owner_id"], created_at=data["created_at"],
                   deleted_at=_opt(data, "deleted_at"), revision=revision)


@dataclass(frozen=True)
class Member:
    team_id: str
    user_id: str
    role: str
    permissions: tuple[str, ...]
    is_active: bool
    created_at: str
    #: The membership grants from this instant (SPEC 8.3); ``None``: from its creation.
    starts_at: str | None = None
    #: The membership grants nothing from this instant on; ``None``: never expires.
    expires_at: str | None = None
    revision: int | None = field(default=None, compare=False)
    #: For ``put_member``: True when the membership was created (201), False when it replaced one (200).
    created: bool | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None, created: bool | None = None) -> Member:
        return cls(team_id=data["team_id"], user_id=data["user_id"], role=data["role"],
                   permissions=tuple(data.get("permissions") or ()), is_active=bool(data.get("is_active", True)),
                   created_at=data["created_at"], starts_at=_opt(data, "starts_at"),
                   expires_at=_opt(data, "expires_at"), revision=revision, created=created)


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    owner_id: str
    visibility: str
    created_at: str
    team_id: str | None = None
    deleted_at: str | None = None
    revision: int | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None) -> Project:
        return cls(id=data["id"], name=data["name"], owner_id=data["owner_id"], visibility=data["visibility"],
                   created_at=data["created_at"], team_id=_opt(data, "team_id"), deleted_at=_opt(data, "deleted_at"),
                   revision=revision)


@dataclass(frozen=True)
class Generation:
    id: str
    owner_id: str
    status: str
    created_at: str
    project_id: str | None = None
    media_key: str | None = None
    deleted_at: str | None = None
    revision: int | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None) -> Generation:
        return cls(id=data["id"], owner_id=data["owner_id"], status=data["status"], created_at=data["created_at"],
                   project_id=_opt(data, "project_id"), media_key=_opt(data, "media_key"),
                   deleted_at=_opt(data, "deleted_at"), revision=revision)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a cursor list; pass ``next_cursor`` as ``cursor`` for the next (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None

    def next_page_arguments(self) -> dict[str, Any] | None:
        return {"cursor": self.next_cursor} if self.next_cursor else None


@dataclass(frozen=True)
class Login:
    token: str
    token_type: str
    expires_at: str
    user: User

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Login:
        return cls(token=data["token"], token_type=data.get("token_type", "Bearer"), expires_at=data["expires_at"],
                   user=User.from_json(data["user"]))


@dataclass(frozen=True)
class MeTeam:
    """A team of ``/me``: active memberships not yet expired; a pending one (``starts_at`` ahead) is listed too."""

    team_id: str
    name: str
    role: str
    starts_at: str | None = None
    expires_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MeTeam:
        return cls(team_id=data["team_id"], name=data["name"], role=data["role"], starts_at=_opt(data, "starts_at"),
                   expires_at=_opt(data, "expires_at"))


@dataclass(frozen=True)
class Me:
    user: User
    teams: list[MeTeam]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Me:
        return cls(user=User.from_json(data["user"]),
                   teams=[MeTeam.from_json(t) for t in data.get("teams", [])])


@dataclass(frozen=True)
class APIKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    source: str
    last_used_at: str | None = None
    #: When the key stops authenticating (401 from then on); ``None``: it does not expire.
    expires_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> APIKey:
        return cls(id=data["id"], name=data["name"], scopes=tuple(data.get("scopes") or ()),
                   created_at=data["created_at"], source=data.get("source", "api"),
                   last_used_at=_opt(data, "last_used_at"), expires_at=_opt(data, "expires_at"))


@dataclass(frozen=True)
class CreatedAPIKey:
    """A new key: ``key`` is the secret, shown this once."""

    id: str
    key: str = field(repr=False)
    name: str
    scopes: tuple[str, ...]
    created_at: str
    source: str
    #: When the key stops authenticating; ``None``: it does not expire.
    expires_at: str | None = None
    revision: int | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None) -> CreatedAPIKey:
        return cls(id=data["id"], key=data["key"], name=data["name"], scopes=tuple(data.get("scopes") or ()),
                   created_at=data["created_at"], source=data.get("source", "api"),
                   expires_at=_opt(data, "expires_at"), revision=revision)


@dataclass(frozen=True)
class ExplanationStep:
    rule: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class Decision:
    """One authorization answer. ``revision`` is the data revision it was decided at: it reflects every write that
    answered that revision or less."""

    allowed: bool
    reason: str
    cache: str
    took_us: int
    revision: int
    decision_id: str
    explanation: list[ExplanationStep] | None = None
    #: ``"bounded"`` when the check asked for ``minimize_latency`` (bounded staleness); ``None`` otherwise.
    consistency: str | None = None
    #: The instant a what-if check (``as_of``, administrators) evaluated time bounds at; ``None`` for a check at now.
    as_of: str | None = None

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        explanation = data.get("explanation")
        return cls(allowed=bool(data["allowed"]), reason=data["reason"], cache=data.get("cache", "miss"),
                   took_us=int(data.get("took_us", 0)), revision=int(data["revision"]),
                   decision_id=data.get("decision_id", ""),
                   explanation=None if explanation is None else [
                       ExplanationStep(rule=s["rule"], outcome=s["outcome"], detail=s["detail"]) for s in explanation],
                   consistency=data.get("consistency") if isinstance(data.get("consistency"), str) else None,
                   as_of=data.get("as_of") if isinstance(data.get("as_of"), str) else None)


class _CheckRequestRequired(TypedDict):
    user_id: str
    action: str
    resource_type: str
    resource_id: str


class CheckRequest(_CheckRequestRequired, total=False):
    """One check of a batch. ``as_of``: an aware ``datetime`` or an RFC 3339 UTC string (administrators)."""

    explain: bool
    consistency: Any
    as_of: datetime | str


@dataclass(frozen=True)
class BatchResult:
    """The answers of a ``check-batch``, in request order, all decided at one ``revision``."""

    results: list[Decision]

    @property
    def revision(self) -> int | None:
        return self.results[0].revision if self.results else None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> Decision:
        return self.results[index]


@dataclass(frozen=True)
class ResourcesPage:
    ids: list[str]
    next_cursor: str | None
    revision: int

    @property
    def items(self) -> list[str]:
        return self.ids

    def next_page_arguments(self) -> dict[str, Any] | None:
        return {"cursor": self.next_cursor} if self.next_cursor else None


@dataclass(frozen=True)
class SubjectsPage:
    user_ids: list[str]
    next_cursor: str | None
    revision: int

    @property
    def items(self) -> list[str]:
        return self.user_ids

    def next_page_arguments(self) -> dict[str, Any] | None:
        return {"cursor": self.next_cursor} if self.next_cursor else None


@dataclass(frozen=True)
class ImportResult:
    users: int
    teams: int
    members: int
    projects: int
    generations: int
    revision: int | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], revision: int | None = None) -> ImportResult:
        counts = data["imported"]
        return cls(users=counts["users"], teams=counts["teams"], members=counts["members"],
                   projects=counts["projects"], generations=counts["generations"], revision=revision)


@dataclass(frozen=True)
class MediaURL:
    url: str
    expires_at: str


@dataclass(frozen=True)
class ChangeActor:
    kind: str
    id: str | None


@dataclass(frozen=True)
class Change:
    revision: int
    seq: int
    at: str
    actor: ChangeActor
    request_id: str | None
    entity: str
    entity_id: str
    op: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        actor = data.get("actor") or {}
        return cls(revision=int(data["revision"]), seq=int(data["seq"]), at=data["at"],
                   actor=ChangeActor(kind=actor.get("kind", ""), id=actor.get("id")),
                   request_id=data.get("request_id"), entity=data["entity"], entity_id=data["entity_id"],
                   op=data["op"], before=data.get("before"), after=data.get("after"))


@dataclass(frozen=True)
class ChangesPage:
    """A page of the change log. The next page starts after ``next_cursor`` when set (inside a very large revision),
    else after ``next_since``."""

    items: list[Change]
    next_since: int
    next_cursor: str | None

    def next_page_arguments(self) -> dict[str, Any] | None:
        if not self.items:
            return None
        return {"since": self.next_cursor or str(self.next_since), "cursor": None}


@dataclass(frozen=True)
class ChangeEvent:
    """One event of the change stream: ``id`` (pass back as ``last_event_id`` to resume) and its change."""

    id: str
    change: Change


@dataclass(frozen=True)
class LoggedDecision:
    decision_id: str
    at: str
    revision: int
    caller: ChangeActor | None
    user_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    allowed: bool
    reason: str
    rules: list[ExplanationStep]
    client_address: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoggedDecision:
        caller = data.get("caller")
        return cls(decision_id=data["decision_id"], at=data["at"], revision=int(data["revision"]),
                   caller=None if caller is None else ChangeActor(kind=caller.get("kind", ""), id=caller.get("id")),
                   user_id=data.get("user_id"), action=data["action"], resource_type=data["resource_type"],
                   resource_id=data.get("resource_id"), allowed=bool(data["allowed"]), reason=data["reason"],
                   rules=[ExplanationStep(rule=s["rule"], outcome=s["outcome"], detail=s["detail"])
                          for s in data.get("rules") or []],
                   client_address=data.get("client_address"))


@dataclass(frozen=True)
class Health:
    status: str


@dataclass(frozen=True)
class ComponentStatus:
    status: str
    detail: dict[str, str]


@dataclass(frozen=True)
class PerformanceHealth:
    status: str
    version: str
    uptime_seconds: float
    components: dict[str, ComponentStatus]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PerformanceHealth:
        return cls(status=data["status"], version=data["version"], uptime_seconds=float(data["uptime_seconds"]),
                   components={name: ComponentStatus(status=c["status"], detail=dict(c.get("detail") or {}))
                               for name, c in (data.get("components") or {}).items()})


@dataclass(frozen=True)
class ValidationTarget:
    name: str
    unit: str
    target: float
    current: float | None
    status: str
    detail: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    targets: list[ValidationTarget]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ValidationReport:
        return cls(targets=[ValidationTarget(name=t["name"], unit=t["unit"], target=t["target"],
                                             current=t.get("current"), status=t["status"], detail=t.get("detail"))
                            for t in data["targets"]])


@dataclass(frozen=True)
class ComponentTiming:
    component: str
    iterations: int
    p50_us: float
    p99_us: float
    mean_us: float
    detail: str | None = None


@dataclass(frozen=True)
class TimingReport:
    timings: list[ComponentTiming]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TimingReport:
        return cls(timings=[ComponentTiming(component=t["component"], iterations=t["iterations"], p50_us=t["p50_us"],
                                            p99_us=t["p99_us"], mean_us=t["mean_us"], detail=t.get("detail"))
                            for t in data["timings"]])


class LatencyWindow(TypedDict):
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    per_second: float
    window_seconds: int


class StatementCache(TypedDict):
    capacity: int
    size: int
    hits: int
    misses: int
    evictions: int
    hit_rate: float


class _QueryReportRequired(TypedDict):
    queries: list[dict[str, Any]]
    statement_cache: StatementCache
    recommendations: list[Any]


class QueryReport(_QueryReportRequired, total=False):
    """``GET /api/v1/performance/queries``: per statement class, calls, latency, plan and index use."""


class DashboardReport(TypedDict, total=False):
    """``GET /api/v1/performance/dashboard``: the overview; every figure is described in docs/monitoring.md."""

    generated_at: str
    monitor_enabled: bool
    uptime_seconds: float
    window_seconds: int
    operations: dict[str, LatencyWindow]
    route_classes: dict[str, LatencyWindow]
    endpoints: dict[str, LatencyWindow]
    responses: dict[str, int]
    cache: dict[str, Any]
    database: dict[str, Any]
    load_shedding: dict[str, Any]
    alerts: dict[str, Any]
    recommendations: list[str]
    system: dict[str, Any]


class MetricsReport(TypedDict, total=False):
    """``GET /api/v1/performance/metrics``: the dashboard's snapshot plus each operation's completed 30 s buckets."""

    monitor: dict[str, Any]
    buckets: dict[str, list[LatencyWindow]]
    cache: dict[str, Any]
    load_shedding: dict[str, Any]
    system: dict[str, Any]
    alerts: list[dict[str, Any]]
    statement_cache: StatementCache


@dataclass(frozen=True)
class UserMembership:
    """One of a user's memberships (``list_user_memberships``), with whether it grants now: ``in_effect``,
    ``pending`` (before ``starts_at``), ``expired`` (from ``expires_at``) or ``inactive``."""
    team_id: str
    user_id: str
    role: str
    permissions: tuple[str, ...]
    is_active: bool
    created_at: str
    state: str
    starts_at: str | None = None
    expires_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UserMembership:
        return cls(team_id=data["team_id"], user_id=data["user_id"], role=data["role"],
                   permissions=tuple(data.get("permissions") or ()), is_active=bool(data.get("is_active", True)),
                   created_at=data["created_at"], state=data["state"], starts_at=_opt(data, "starts_at"),
                   expires_at=_opt(data, "expires_at"))


@dataclass(frozen=True)
class VisibilityPreview:
    """What changing a project's visibility would do: of its ``generations``, ``changed_generations`` change audience."""
    project_id: str
    visibility: str
    proposed_visibility: str
    generations: int
    changed_generations: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VisibilityPreview:
        return cls(project_id=data["project_id"], visibility=data["visibility"],
                   proposed_visibility=data["proposed_visibility"], generations=int(data["generations"]),
                   changed_generations=int(data["changed_generations"]))


@dataclass(frozen=True)
class SigningKey:
    """A media URL signing key, without its secret."""
    kid: str
    created_at: str
    retired: bool
    active: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SigningKey:
        return cls(kid=data["kid"], created_at=data["created_at"], retired=bool(data["retired"]),
                   active=bool(data["active"]))


@dataclass(frozen=True)
class SigningKeys:
    """Every signing key, oldest first, and the id of the one that signs."""
    active: str
    items: tuple[SigningKey, ...]
