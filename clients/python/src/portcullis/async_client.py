"""The asynchronous client: one coroutine per operation of docs/openapi.yaml.

Generated from ``client.py`` by ``tools/generate_async.py``: do not edit; edit client.py and regenerate.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, AsyncIterator, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from ._core import ROUTE, UNSET, Call, Raw, SSEParser, body, ndjson, query, timestamp
from ._async import AsyncBase
from .models import (APIKey, BatchResult, Change, ChangeEvent, ChangesPage, CheckRequest, CreatedAPIKey,
                     DashboardReport, Decision, Generation, Health, ImportResult, LoggedDecision, Login, Me, MediaURL,
                     Member, MetricsReport, Page, PerformanceHealth, Project, QueryReport, ResourcesPage,
                     SigningKey, SigningKeys, SubjectsPage, Team, TimingReport, User, UserMembership,
                     ValidationReport, VisibilityPreview)

__all__ = ["AsyncClient"]


def _page(parse: Any) -> Any:
    def parse_page(raw: Raw) -> Page[Any]:
        data = raw.json()
        return Page(items=[parse(item) for item in data["items"]], next_cursor=data.get("next_cursor"))

    return parse_page


def _entity(cls: Any) -> Any:
    return lambda raw: cls.from_json(raw.json(), revision=raw.revision)


def _revision(raw: Raw) -> int | None:
    return raw.revision


def _check_body(user_id: str, action: str, resource_type: str, resource_id: str, explain: bool,
                consistency: str | Mapping[str, int] | None, as_of: datetime | str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"user_id": user_id, "action": action, "resource_type": resource_type,
                               "resource_id": resource_id}
    if explain:
        payload["explain"] = True
    if consistency is not None:
        payload["consistency"] = consistency if isinstance(consistency, str) else dict(consistency)
    if as_of is not None:
        payload["as_of"] = timestamp(as_of, "as_of")
    return payload


def _batch_item(index: int, check: CheckRequest | Mapping[str, Any], consistency: str | Mapping[str, int] | None,
                as_of: datetime | str | None) -> dict[str, Any]:
    item = dict(check)
    if consistency is not None and "consistency" not in item:
        item["consistency"] = consistency if isinstance(consistency, str) else dict(consistency)
    if item.get("as_of") is None and as_of is not None:
        item["as_of"] = as_of
    if item.get("as_of") is not None:
        item["as_of"] = timestamp(item["as_of"], f"checks[{index}].as_of")
    return item


def _optional_timestamp(value: datetime | str | None, name: str) -> Any:
    """``UNSET`` stays unset (the field is left out); ``None`` is sent as ``null``."""
    return value if value is UNSET else timestamp(value, name)


def _media_uri(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _changes_query(since: int | str | None, cursor: str | None, entity: str | None, entity_id: str | None,
                   limit: int | None) -> dict[str, str]:
    return query(since=since, cursor=cursor, entity=entity, entity_id=entity_id, limit=limit)


class AsyncClient(AsyncBase):
    """A Portcullis client for asyncio: ``AsyncClient("http://127.0.0.1:8080", token)``.

    ``token`` is an API key (``pcs_…``) or a user token (``pct_…``) sent as ``Authorization: Bearer``. Every method
    raises a :class:`portcullis.PortcullisError` subclass on an error answer. Keyword arguments:
    ``retry`` (:class:`portcullis.RetryPolicy`), ``read_your_writes`` (default True: checks carry
    ``consistency: {"at_least_revision": N}`` with the highest ``X-Portcullis-Revision`` seen), ``timeout``,
    ``headers``, ``transport`` / ``http_client`` (httpx), ``revisions`` (a shared :class:`portcullis.RevisionTracker`).
    """

    # Health and documentation.

    async def health(self) -> Health:
        """``GET /api/v1/health``: liveness."""
        return await self._send(Call(ROUTE["health"], lambda raw: Health(status=raw.json()["status"]), authenticated=False))

    async def openapi_document(self) -> str:
        """``GET /api/v1/openapi.yaml``: the OpenAPI document the server was built with (YAML text)."""
        return await self._send(Call(ROUTE["openapi_document"], lambda raw: raw.text, authenticated=False))

    # Sessions.

    async def login(self, email: str, password: str) -> Login:
        """``POST /api/v1/auth/login``: a user token (use it with ``with_token``). Never retried."""
        return await self._send(Call(ROUTE["login"], lambda raw: Login.from_json(raw.json()),
                               json={"email": email, "password": password}, authenticated=False))

    async def logout(self) -> None:
        """``POST /api/v1/auth/logout``: revokes this client's user token."""
        await self._send(Call(ROUTE["logout"], lambda raw: None))

    async def logout_all(self) -> int | None:
        """``POST /api/v1/auth/logout-all``: ends every session of this client's user; returns the revision."""
        return await self._send(Call(ROUTE["logout_all"], _revision))

    async def me(self) -> Me:
        """``GET /api/v1/me``: the user of this client's token and their teams."""
        return await self._send(Call(ROUTE["me"], lambda raw: Me.from_json(raw.json())))

    # API keys.

    async def create_api_key(self, name: str, scopes: Sequence[str] | None = None, *,
                             expires_at: datetime | str | None = None) -> CreatedAPIKey:
        """``POST /api/v1/api-keys``: a new service key; its secret (``key``) is shown this once.

        ``expires_at`` (an aware ``datetime`` or an RFC 3339 UTC string, in the future): the key authenticates until
        then and is refused (401) from that instant on; without it the key lasts until deleted."""
        return await self._send(Call(ROUTE["create_api_key"], _entity(CreatedAPIKey), json=body(
            name=name, scopes=list(scopes) if scopes is not None else UNSET,
            expires_at=timestamp(expires_at, "expires_at") if expires_at is not None else UNSET)))

    async def list_api_keys(self) -> list[APIKey]:
        """``GET /api/v1/api-keys``: every key, oldest first, without secrets."""
        return await self._send(Call(ROUTE["list_api_keys"], lambda raw: [APIKey.from_json(k) for k in raw.json()["items"]]))

    async def delete_api_key(self, key_id: str) -> int | None:
        """``DELETE /api/v1/api-keys/{id}``: revokes a key; returns the revision."""
        return await self._send(Call(ROUTE["delete_api_key"], _revision, path_params={"id": key_id}))

    # Change log.

    async def list_changes(self, *, since: int | str | None = None, cursor: str | None = None, entity: str | None = None,
                           entity_id: str | None = None, limit: int | None = None) -> ChangesPage:
        """``GET /api/v1/changes``: the change log after ``since`` in revision order (``iterate`` pages through)."""
        def parse(raw: Raw) -> ChangesPage:
            data = raw.json()
            return ChangesPage(items=[Change.from_json(c) for c in data["items"]], next_since=int(data["next_since"]),
                               next_cursor=data.get("next_cursor"))

        return await self._send(Call(ROUTE["list_changes"], parse,
                               params=_changes_query(since, cursor, entity, entity_id, limit)))

    def stream_changes(self, *, since: int | str | None = None, last_event_id: str | None = None,
                       entity: str | None = None, entity_id: str | None = None) -> AsyncIterator[ChangeEvent]:  # unasync: keep
        """``GET /api/v1/changes/stream``: every change as it is committed, endlessly (``aclose()`` the iterator to stop).

        Without ``since`` or ``last_event_id`` the stream starts with the next write; to resume after a disconnect,
        pass the last event's ``id`` as ``last_event_id``.
        """
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        call: Call[None] = Call(ROUTE["stream_changes"], lambda raw: None, headers=headers,
                                params=_changes_query(since, None, entity, entity_id, None))
        return self._change_events(call)  # unasync: keep

    async def _change_events(self, call: Call[None]) -> AsyncIterator[ChangeEvent]:
        parser = SSEParser()
        async for line in self._stream_lines(call):
            event = parser.feed(line)
            if event is not None:
                yield ChangeEvent(id=event[0], change=Change.from_json(json.loads(event[1])))

    # Users.

    async def create_user(self, email: str, *, id: str | None = None, display_name: str | None = None,
                          password: str | None = None, is_admin: bool | None = None, status: str | None = None) -> User:
        """``POST /api/v1/users``. Never retried."""
        return await self._send(Call(ROUTE["create_user"], _entity(User), json={k: v for k, v in dict(
            id=id, email=email, display_name=display_name, password=password, is_admin=is_admin,
            status=status).items() if v is not None}))

    async def list_users(self, *, q: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page[User]:
        """``GET /api/v1/users``: one page, in id order; with ``q``, users whose id or email starts with it."""
        return await self._send(Call(ROUTE["list_users"], _page(User.from_json),
                               params=query(q=q, limit=limit, cursor=cursor)))

    async def get_user(self, user_id: str) -> User:
        """``GET /api/v1/users/{id}``."""
        return await self._send(Call(ROUTE["get_user"], _entity(User), path_params={"id": user_id}))

    async def update_user(self, user_id: str, *, email: str = UNSET, display_name: str = UNSET, password: str = UNSET,
                          is_admin: bool = UNSET, status: str = UNSET) -> User:
        """``PATCH /api/v1/users/{id}``: only the fields given change. Never retried."""
        return await self._send(Call(ROUTE["update_user"], _entity(User), path_params={"id": user_id}, json=body(
            email=email, display_name=display_name, password=password, is_admin=is_admin, status=status)))

    async def delete_user(self, user_id: str) -> int | None:
        """``DELETE /api/v1/users/{id}`` (soft); returns the revision."""
        return await self._send(Call(ROUTE["delete_user"], _revision, path_params={"id": user_id}))

    async def end_user_sessions(self, user_id: str) -> int | None:
        """``DELETE /api/v1/users/{id}/sessions``: every token of the user is 401 at once; returns the revision."""
        return await self._send(Call(ROUTE["end_user_sessions"], _revision, path_params={"id": user_id}))

    async def list_user_memberships(self, user_id: str) -> list[UserMembership]:
        """``GET /api/v1/users/{id}/memberships``: every team of the user, with each membership's state."""
        return await self._send(Call(ROUTE["list_user_memberships"],
                               lambda raw: [UserMembership.from_json(m) for m in raw.json()["items"]],
                               path_params={"id": user_id}))

    # Teams and memberships.

    async def create_team(self, name: str, owner_id: str, *, id: str | None = None) -> Team:
        """``POST /api/v1/teams``: the owner becomes a member with role ``owner``. Never retried."""
        return await self._send(Call(ROUTE["create_team"], _entity(Team), json={k: v for k, v in dict(
            id=id, name=name, owner_id=owner_id).items() if v is not None}))

    async def list_teams(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Team]:
        """``GET /api/v1/teams``: one page, in id order."""
        return await self._send(Call(ROUTE["list_teams"], _page(Team.from_json), params=query(limit=limit, cursor=cursor)))

    async def get_team(self, team_id: str) -> Team:
        """``GET /api/v1/teams/{id}``."""
        return await self._send(Call(ROUTE["get_team"], _entity(Team), path_params={"id": team_id}))

    async def update_team(self, team_id: str, *, name: str = UNSET, owner_id: str = UNSET) -> Team:
        """``PATCH /api/v1/teams/{id}``. Never retried."""
        return await self._send(Call(ROUTE["update_team"], _entity(Team), path_params={"id": team_id},
                               json=body(name=name, owner_id=owner_id)))

    async def delete_team(self, team_id: str) -> int | None:
        """``DELETE /api/v1/teams/{id}`` (soft); returns the revision."""
        return await self._send(Call(ROUTE["delete_team"], _revision, path_params={"id": team_id}))

    async def list_members(self, team_id: str) -> list[Member]:
        """``GET /api/v1/teams/{id}/members``: every membership, inactive ones included."""
        return await self._send(Call(ROUTE["list_members"], lambda raw: [Member.from_json(m) for m in raw.json()["items"]],
                               path_params={"id": team_id}))

    async def put_member(self, team_id: str, user_id: str, role: str, *, permissions: Sequence[str] = UNSET,
                         is_active: bool = UNSET, starts_at: datetime | str | None = UNSET,
                         expires_at: datetime | str | None = UNSET) -> Member:
        """``PUT /api/v1/teams/{id}/members/{user_id}``: creates or replaces the membership (``.created`` says
        which).

        ``starts_at`` / ``expires_at`` (SPEC 8.3; an aware ``datetime``, sent in UTC, or an RFC 3339 UTC string):
        the membership grants only inside ``[starts_at, expires_at)``. Left out or ``None``: from now, and never
        expiring (the PUT replaces the whole membership, bounds included)."""
        return await self._send(Call(
            ROUTE["put_member"],
            lambda raw: Member.from_json(raw.json(), revision=raw.revision, created=raw.status == 201),
            path_params={"id": team_id, "user_id": user_id},
            json=body(role=role, permissions=list(permissions) if permissions is not UNSET else UNSET,
                      is_active=is_active, starts_at=_optional_timestamp(starts_at, "starts_at"),
                      expires_at=_optional_timestamp(expires_at, "expires_at"))))

    async def add_member(self, team_id: str, role: str, *, user_id: str | None = None, email: str | None = None,
                         permissions: Sequence[str] = UNSET, is_active: bool = UNSET, starts_at: str | None = UNSET,
                         expires_at: str | None = UNSET) -> Member:
        """``POST /api/v1/teams/{id}/members``: creates or replaces a membership, naming the user by ``user_id`` or
        ``email`` (exactly one)."""
        return await self._send(Call(
            ROUTE["add_member"],
            lambda raw: Member.from_json(raw.json(), revision=raw.revision, created=raw.status == 201),
            path_params={"id": team_id},
            json=body(role=role, user_id=user_id if user_id is not None else UNSET,
                      email=email if email is not None else UNSET,
                      permissions=list(permissions) if permissions is not UNSET else UNSET, is_active=is_active,
                      starts_at=starts_at, expires_at=expires_at)))

    async def delete_member(self, team_id: str, user_id: str) -> int | None:
        """``DELETE /api/v1/teams/{id}/members/{user_id}``; returns the revision."""
        return await self._send(Call(ROUTE["delete_member"], _revision, path_params={"id": team_id, "user_id": user_id}))

    # Projects.

    async def create_project(self, name: str, owner_id: str, *, id: str | None = None, team_id: str | None = None,
                             visibility: str | None = None) -> Project:
        """``POST /api/v1/projects``. Never retried."""
        return await self._send(Call(ROUTE["create_project"], _entity(Project), json={k: v for k, v in dict(
            id=id, name=name, owner_id=owner_id, team_id=team_id, visibility=visibility).items() if v is not None}))

    async def list_projects(self, *, owner_id: str | None = None, team_id: str | None = None, limit: int | None = None,
                            cursor: str | None = None) -> Page[Project]:
        """``GET /api/v1/projects``: one page, in id order, narrowed to an owner and/or a team."""
        return await self._send(Call(ROUTE["list_projects"], _page(Project.from_json),
                               params=query(owner_id=owner_id, team_id=team_id, limit=limit, cursor=cursor)))

    async def get_project(self, project_id: str) -> Project:
        """``GET /api/v1/projects/{id}``."""
        return await self._send(Call(ROUTE["get_project"], _entity(Project), path_params={"id": project_id}))

    async def update_project(self, project_id: str, *, name: str = UNSET, owner_id: str = UNSET,
                             team_id: str | None = UNSET, visibility: str = UNSET) -> Project:
        """``PATCH /api/v1/projects/{id}``: ``team_id=None`` takes the project out of its team. Never retried."""
        return await self._send(Call(ROUTE["update_project"], _entity(Project), path_params={"id": project_id},
                               json=body(name=name, owner_id=owner_id, team_id=team_id, visibility=visibility)))

    async def delete_project(self, project_id: str) -> int | None:
        """``DELETE /api/v1/projects/{id}`` (soft); returns the revision."""
        return await self._send(Call(ROUTE["delete_project"], _revision, path_params={"id": project_id}))

    async def preview_project_visibility(self, project_id: str, visibility: str) -> VisibilityPreview:
        """``GET /api/v1/projects/{id}/visibility-preview``: how many generations would change audience. Changes
        nothing."""
        return await self._send(Call(ROUTE["preview_project_visibility"], lambda raw: VisibilityPreview.from_json(raw.json()),
                               path_params={"id": project_id}, params=query(visibility=visibility)))

    # Generations.

    async def create_generation(self, owner_id: str, *, id: str | None = None, project_id: str | None = None,
                                status: str | None = None, media_key: str | None = None) -> Generation:
        """``POST /api/v1/generations``. Never retried."""
        return await self._send(Call(ROUTE["create_generation"], _entity(Generation), json={k: v for k, v in dict(
            id=id, owner_id=owner_id, project_id=project_id, status=status, media_key=media_key).items()
            if v is not None}))

    async def list_generations(self, *, owner_id: str | None = None, project_id: str | None = None,
                               team_id: str | None = None, limit: int | None = None,
                               cursor: str | None = None) -> Page[Generation]:
        """``GET /api/v1/generations``: one page, in id order, narrowed to an owner, a project and/or a team."""
        return await self._send(Call(ROUTE["list_generations"], _page(Generation.from_json), params=query(
            owner_id=owner_id, project_id=project_id, team_id=team_id, limit=limit, cursor=cursor)))

    async def get_generation(self, generation_id: str) -> Generation:
        """``GET /api/v1/generations/{id}``: with a user token, 404 unless the user may read it."""
        return await self._send(Call(ROUTE["get_generation"], _entity(Generation), path_params={"id": generation_id}))

    async def update_generation(self, generation_id: str, *, owner_id: str = UNSET, project_id: str | None = UNSET,
                                status: str = UNSET, media_key: str | None = UNSET) -> Generation:
        """``PATCH /api/v1/generations/{id}``: ``None`` clears ``project_id`` / ``media_key``. Never retried."""
        return await self._send(Call(ROUTE["update_generation"], _entity(Generation), path_params={"id": generation_id},
                               json=body(owner_id=owner_id, project_id=project_id, status=status,
                                         media_key=media_key)))

    async def delete_generation(self, generation_id: str) -> int | None:
        """``DELETE /api/v1/generations/{id}`` (soft); returns the revision."""
        return await self._send(Call(ROUTE["delete_generation"], _revision, path_params={"id": generation_id}))

    # Media.

    async def media_url(self, generation_id: str) -> MediaURL:
        """``GET /api/v1/generations/{id}/media-url``: a signed URL (user token allowed to ``download``)."""
        def parse(raw: Raw) -> MediaURL:
            data = raw.json()
            return MediaURL(url=data["url"], expires_at=data["expires_at"])

        return await self._send(Call(ROUTE["media_url"], parse, path_params={"id": generation_id}))

    async def verify_media_url(self, url: str) -> bool:
        """``GET /api/v1/media/verify`` with the URL as ``X-Original-URI`` (as nginx ``auth_request`` sends it):
        True when valid; raises :class:`portcullis.PermissionDenied` (``code``: ``expired``, ``revoked``,
        ``bad_signature``, ``unknown_key`` or ``malformed``) otherwise. No credential is sent."""
        return await self._send(Call(ROUTE["verify_media_url"], lambda raw: raw.status == 204,
                               headers={"X-Original-URI": _media_uri(url)}, authenticated=False))

    async def list_signing_keys(self) -> SigningKeys:
        """``GET /api/v1/signing-keys``: the media URL signing keys, never a secret."""
        def parse(raw: Raw) -> SigningKeys:
            data = raw.json()
            return SigningKeys(active=data["active"], items=tuple(SigningKey.from_json(k) for k in data["items"]))

        return await self._send(Call(ROUTE["list_signing_keys"], parse))

    async def rotate_signing_key(self) -> SigningKey:
        """``POST /api/v1/signing-keys``: a new key signs from now on. Never retried."""
        return await self._send(Call(ROUTE["rotate_signing_key"], lambda raw: SigningKey.from_json(raw.json())))

    async def retire_signing_key(self, kid: str) -> SigningKey:
        """``POST /api/v1/signing-keys/{id}/retire``: URLs signed with it stop verifying (the active key: 409)."""
        return await self._send(Call(ROUTE["retire_signing_key"], lambda raw: SigningKey.from_json(raw.json()),
                               path_params={"id": kid}))

    # Import.

    async def import_records(self, records: Iterable[Mapping[str, Any]] | str | bytes) -> ImportResult:
        """``POST /api/v1/import``: NDJSON (objects with ``type``, or prepared text), all or nothing; a bad line
        raises :class:`portcullis.UnprocessableEntity` with ``details``. Never retried."""
        return await self._send(Call(ROUTE["import_records"], _entity(ImportResult), content=ndjson(records),
                               headers={"Content-Type": "application/x-ndjson"}))

    # Authorization.

    async def check(self, *, user_id: str, action: str, resource_type: str, resource_id: str, explain: bool = False,
                    consistency: str | Mapping[str, int] | None = None, as_of: datetime | str | None = None) -> Decision:
        """``POST /api/v1/authz/check``: may the user perform the action on the resource?

        Read-your-writes: unless ``consistency`` is given (``"full"``, ``"minimize_latency"`` or
        ``{"at_least_revision": N}``, SPEC 8.4), the check carries the highest revision this client has seen.
        ``as_of`` (administrators only, else 403; SPEC 8.3): a what-if evaluating time bounds at that instant (now
        to 30 days ahead) against today's data; the decision's ``as_of`` echoes it."""
        return await self._send(Call(ROUTE["check"], lambda raw: Decision.from_json(raw.json()),
                               json=_check_body(user_id, action, resource_type, resource_id, explain, consistency,
                                                as_of),
                               consistent_read=True))

    async def check_batch(self, checks: Iterable[CheckRequest | Mapping[str, Any]], *,
                          consistency: str | Mapping[str, int] | None = None,
                          as_of: datetime | str | None = None) -> BatchResult:
        """``POST /api/v1/authz/check-batch``: up to 1,000 checks decided at one revision, answers in order.
        ``consistency`` and ``as_of`` apply to every check that does not carry its own (an item's ``as_of`` may be
        an aware ``datetime``); read-your-writes as for ``check``."""
        items = [_batch_item(index, check, consistency, as_of) for index, check in enumerate(checks)]
        return await self._send(Call(ROUTE["check_batch"],
                               lambda raw: BatchResult([Decision.from_json(d) for d in raw.json()["results"]]),
                               json={"checks": items}, consistent_read=True))

    async def list_resources(self, *, user_id: str, resource_type: str, action: str, limit: int | None = None,
                             cursor: str | None = None) -> ResourcesPage:
        """``GET /api/v1/authz/resources``: one page of the resources the user may act on."""
        def parse(raw: Raw) -> ResourcesPage:
            data = raw.json()
            return ResourcesPage(ids=list(data["ids"]), next_cursor=data.get("next_cursor"),
                                 revision=int(data["revision"]))

        return await self._send(Call(ROUTE["list_resources"], parse, params=query(
            user_id=user_id, resource_type=resource_type, action=action, limit=limit, cursor=cursor)))

    async def list_subjects(self, *, resource_type: str, resource_id: str, action: str, limit: int | None = None,
                            cursor: str | None = None) -> SubjectsPage:
        """``GET /api/v1/authz/subjects``: one page of the users who may act on the resource."""
        def parse(raw: Raw) -> SubjectsPage:
            data = raw.json()
            return SubjectsPage(user_ids=list(data["user_ids"]), next_cursor=data.get("next_cursor"),
                                revision=int(data["revision"]))

        return await self._send(Call(ROUTE["list_subjects"], parse, params=query(
            resource_type=resource_type, resource_id=resource_id, action=action, limit=limit, cursor=cursor)))

    # Performance.

    async def performance_health(self) -> PerformanceHealth:
        """``GET /api/v1/performance/health``: each component's status, uptime and version."""
        return await self._send(Call(ROUTE["performance_health"], lambda raw: PerformanceHealth.from_json(raw.json()),
                               authenticated=False))

    async def performance_dashboard(self) -> DashboardReport:
        """``GET /api/v1/performance/dashboard`` (administrators)."""
        return await self._send(Call(ROUTE["performance_dashboard"], lambda raw: raw.json()))

    async def performance_metrics(self) -> MetricsReport:
        """``GET /api/v1/performance/metrics`` (administrators)."""
        return await self._send(Call(ROUTE["performance_metrics"], lambda raw: raw.json()))

    async def performance_validate(self) -> ValidationReport:
        """``GET /api/v1/performance/validate`` (administrators): one entry per target."""
        return await self._send(Call(ROUTE["performance_validate"], lambda raw: ValidationReport.from_json(raw.json())))

    async def performance_test(self) -> TimingReport:
        """``GET /api/v1/performance/test`` (administrators): a synthetic timing of each component."""
        return await self._send(Call(ROUTE["performance_test"], lambda raw: TimingReport.from_json(raw.json())))

    async def performance_queries(self) -> QueryReport:
        """``GET /api/v1/performance/queries`` (administrators): statements, plans, index use."""
        return await self._send(Call(ROUTE["performance_queries"], lambda raw: raw.json()))

    async def prometheus_metrics(self) -> str:
        """``GET /metrics``: the Prometheus text exposition."""
        return await self._send(Call(ROUTE["prometheus_metrics"], lambda raw: raw.text))

    async def dashboard(self) -> str:
        """``GET /dashboard``: the dashboard's HTML page."""
        return await self._send(Call(ROUTE["dashboard"], lambda raw: raw.text, authenticated=False))

    async def dashboard_file(self, file: str) -> bytes:
        """``GET /dashboard/{file}``: one of the dashboard's static files."""
        return await self._send(Call(ROUTE["dashboard_file"], lambda raw: raw.content, path_params={"file": file},
                               authenticated=False))

    # Audit.

    async def list_decisions(self, *, user_id: str | None = None, resource_type: str | None = None,
                             resource_id: str | None = None, allowed: bool | None = None, since: str | None = None,
                             until: str | None = None, limit: int | None = None,
                             cursor: str | None = None) -> Page[LoggedDecision]:
        """``GET /api/v1/audit/decisions``: the decision log, newest first (administrators)."""
        return await self._send(Call(ROUTE["list_decisions"], _page(LoggedDecision.from_json), params=query(
            user_id=user_id, resource_type=resource_type, resource_id=resource_id, allowed=allowed, since=since,
            until=until, limit=limit, cursor=cursor)))

    async def get_decision(self, decision_id: str) -> LoggedDecision:
        """``GET /api/v1/audit/decisions/{decision_id}``: a logged decision by the id its answer carried."""
        return await self._send(Call(ROUTE["get_decision"], lambda raw: LoggedDecision.from_json(raw.json()),
                               path_params={"decision_id": decision_id}))
