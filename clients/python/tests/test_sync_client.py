"""The synchronous client against the real server: every route, through the public methods."""

from __future__ import annotations

import threading

import pytest
import yaml

from conftest import OPENAPI, PASSWORD, Server
from portcullis import (UNSET, AuthenticationError, Client, Decision, NotFound, PermissionDenied,
                        UnprocessableEntity)


def test_health_and_documents(server: Server, admin: Client) -> None:
    assert admin.health().status == "ok"
    served = yaml.safe_load(admin.openapi_document())
    assert served == yaml.safe_load(OPENAPI.read_text()), "the served document is docs/openapi.yaml"
    health = admin.performance_health()
    assert health.status in ("ok", "degraded") and "database" in health.components and health.version
    assert "<html" in admin.dashboard().lower()
    assert len(admin.dashboard_file("app.js")) > 100
    with pytest.raises(NotFound):
        admin.dashboard_file("no-such-file.js")


def test_users_crud_and_pages(admin: Client, unique: str) -> None:
    created = admin.create_user(f"crud-{unique}@example.com", id=f"crud-{unique}", display_name="Crud")
    assert created.id == f"crud-{unique}" and created.revision is not None and created.revision >= 1
    assert admin.last_revision == created.revision
    assert admin.get_user(created.id) == created
    changed = admin.update_user(created.id, display_name="Changed", status="disabled")
    assert changed.display_name == "Changed" and changed.status == "disabled" and changed.revision > created.revision
    generated = admin.create_user(f"gen-{unique}@example.com")
    assert generated.id.startswith("usr_")
    first = admin.list_users(limit=2)
    assert len(first.items) == 2 and first.next_cursor
    everyone = list(admin.iterate(admin.list_users, limit=2))
    ids = [u.id for u in everyone]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and created.id in ids and "owner" in ids
    revision = admin.delete_user(created.id)
    assert revision is not None and revision > changed.revision
    with pytest.raises(NotFound) as raised:
        admin.get_user(created.id)
    assert raised.value.code == "not_found" and raised.value.request_id


def test_teams_members_projects_generations(admin: Client, unique: str) -> None:
    owner = admin.create_user(f"o-{unique}@example.com", id=f"o-{unique}").id
    other = admin.create_user(f"x-{unique}@example.com", id=f"x-{unique}").id
    team = admin.create_team("Crew", owner, id=f"t-{unique}")
    assert team.owner_id == owner and admin.get_team(team.id).name == "Crew"
    assert admin.update_team(team.id, name="Crew 2").name == "Crew 2"
    assert [t.id for t in admin.iterate(admin.list_teams)].count(team.id) == 1

    member = admin.put_member(team.id, other, "editor", permissions=["delete"])
    assert member.created is True and member.permissions == ("delete",) and member.revision
    replaced = admin.put_member(team.id, other, "viewer", is_active=False)
    assert replaced.created is False and replaced.is_active is False
    members = {m.user_id: m for m in admin.list_members(team.id)}
    assert members[owner].role == "owner" and members[other].role == "viewer"

    project = admin.create_project("Proj", owner, id=f"p-{unique}", team_id=team.id, visibility="team")
    assert project.team_id == team.id
    out = admin.update_project(project.id, team_id=None, visibility="private")
    assert out.team_id is None and out.visibility == "private"
    assert admin.get_project(project.id) == out
    assert project.id in [p.id for p in admin.iterate(admin.list_projects, limit=3)]

    generation = admin.create_generation(owner, id=f"g-{unique}", project_id=project.id, status="pending")
    assert generation.media_key is None
    done = admin.update_generation(generation.id, status="completed", media_key="x/y.png")
    assert done.status == "completed" and done.media_key == "x/y.png"
    cleared = admin.update_generation(generation.id, media_key=None, project_id=UNSET)
    assert cleared.media_key is None and cleared.project_id == project.id
    assert generation.id in [g.id for g in admin.iterate(admin.list_generations, limit=5)]

    assert admin.delete_member(team.id, other) is not None
    assert other not in {m.user_id for m in admin.list_members(team.id)}
    assert admin.delete_generation(generation.id) and admin.delete_project(project.id) and admin.delete_team(team.id)
    with pytest.raises(NotFound):
        admin.get_team(team.id)


def test_checks_batches_resources_subjects(admin: Client) -> None:
    allowed = admin.check(user_id="m1", action="read", resource_type="generation", resource_id="g1")
    assert isinstance(allowed, Decision) and allowed and allowed.reason == "team_role:viewer"
    assert allowed.revision >= 1 and len(allowed.decision_id) == 24
    denied = admin.check(user_id="m1", action="delete", resource_type="generation", resource_id="g1", explain=True)
    assert not denied and denied.reason == "no_grant" and denied.explanation
    assert {step.outcome for step in denied.explanation} <= {"allow", "deny", "skip"}
    batch = admin.check_batch([
        {"user_id": "owner", "action": "delete", "resource_type": "generation", "resource_id": "g1"},
        {"user_id": "outsider", "action": "read", "resource_type": "generation", "resource_id": "g1"},
        {"user_id": "m1", "action": "read", "resource_type": "project", "resource_id": "p1"},
    ])
    assert [d.allowed for d in batch] == [True, False, True] and len({d.revision for d in batch}) == 1
    assert batch.revision == batch[0].revision
    assert admin.check_batch([]).results == []

    resources = admin.list_resources(user_id="m1", resource_type="generation", action="read")
    assert {"g1", "g2"} <= set(resources.ids) and resources.revision >= 1
    paged = list(admin.iterate(admin.list_resources, user_id="m1", resource_type="generation", action="read", limit=1))
    assert paged == resources.ids
    subjects = admin.list_subjects(resource_type="generation", resource_id="g1", action="read")
    assert {"owner", "m1"} <= set(subjects.user_ids) and "outsider" not in subjects.user_ids


def test_sessions_and_end_user_access(server: Server, admin: Client) -> None:
    login = admin.login("m1@example.com", PASSWORD)
    assert login.token_type == "Bearer" and login.user.id == "m1"
    with admin.with_token(login.token) as user:
        me = user.me()
        assert me.user.id == "m1" and [(t.team_id, t.role) for t in me.teams] == [("t1", "viewer")]
        assert user.get_generation("g1").id == "g1"
        with pytest.raises(NotFound):
            user.get_generation("no-such")
        own = user.check(user_id="m1", action="download", resource_type="generation", resource_id="g1")
        assert own.allowed
        with pytest.raises(PermissionDenied):
            user.check(user_id="owner", action="read", resource_type="generation", resource_id="g1")
        media = user.media_url("g1")
        assert "/media/a/g1.png?" in media.url and media.expires_at
        assert admin.verify_media_url(media.url) is True
        tampered = media.url.replace("uid=m1", "uid=owner")
        with pytest.raises(PermissionDenied) as raised:
            admin.verify_media_url(tampered)
        assert raised.value.code == "bad_signature"
        user.logout()
        with pytest.raises(AuthenticationError):
            user.me()

    first = admin.login("outsider@example.com", PASSWORD)
    second = admin.login("outsider@example.com", PASSWORD)
    with admin.with_token(first.token) as user:
        assert user.logout_all() is not None
    with admin.with_token(second.token) as other_session, pytest.raises(AuthenticationError):
        other_session.me()


def test_api_keys(server: Server, admin: Client, unique: str) -> None:
    created = admin.create_api_key(f"svc-{unique}")
    assert created.scopes == ("authz",) and created.key and created.key not in repr(created)
    listed = {k.id: k for k in admin.list_api_keys()}
    assert listed[created.id].source == "api" and any(k.source == "environment" for k in listed.values())
    with server.client(created.key) as service:
        assert service.check(user_id="m1", action="read", resource_type="generation", resource_id="g1").allowed
        with pytest.raises(PermissionDenied):
            service.list_users()
        assert admin.delete_api_key(created.id) is not None
        with pytest.raises(AuthenticationError):
            service.check(user_id="m1", action="read", resource_type="generation", resource_id="g1")


def test_import(admin: Client, unique: str) -> None:
    result = admin.import_records([
        {"type": "user", "id": f"imp-{unique}", "email": f"imp-{unique}@example.com"},
        {"type": "team", "id": f"impt-{unique}", "name": "Imported", "owner_id": f"imp-{unique}"},
        {"type": "project", "id": f"impp-{unique}", "name": "I", "owner_id": f"imp-{unique}"},
        {"type": "generation", "id": f"impg-{unique}", "owner_id": f"imp-{unique}", "project_id": f"impp-{unique}"},
    ])
    assert (result.users, result.teams, result.members, result.projects, result.generations) == (1, 1, 0, 1, 1)
    assert result.revision == admin.last_revision
    assert admin.check(user_id=f"imp-{unique}", action="delete", resource_type="generation",
                       resource_id=f"impg-{unique}").reason == "owner"
    with pytest.raises(UnprocessableEntity) as raised:
        admin.import_records(f'{{"type":"user","id":"bad-{unique}","email":"b-{unique}@example.com"}}\n'
                             '{"type":"generation","owner_id":"nobody-at-all"}\n')
    assert raised.value.code == "invalid_import" and [d.line for d in raised.value.details] == [2]
    with pytest.raises(NotFound):
        admin.get_user(f"bad-{unique}")


def test_change_log_and_stream(admin: Client, unique: str) -> None:
    start = admin.check(user_id="m1", action="read", resource_type="generation", resource_id="g1").revision
    events = admin.stream_changes(since=start)
    received: list = []

    def read_two() -> None:
        for event in events:
            received.append(event)
            if len(received) == 2:
                break

    reader = threading.Thread(target=read_two)
    reader.start()
    user = admin.create_user(f"stream-{unique}@example.com", id=f"stream-{unique}")
    admin.update_user(user.id, display_name="Streamed")
    reader.join(30)
    events.close()
    assert not reader.is_alive(), "the stream did not deliver two changes"
    assert [(e.change.entity_id, e.change.op) for e in received] == [(user.id, "create"), (user.id, "update")]
    assert received[0].id == str(user.revision) and received[1].change.after["display_name"] == "Streamed"
    assert received[0].change.actor.kind == "api_key"

    page = admin.list_changes(since=start, entity="user", entity_id=user.id)
    assert [c.op for c in page.items] == ["create", "update"] and page.next_since == received[1].change.revision
    everything = list(admin.iterate(admin.list_changes, since=0, limit=5))
    revisions = [c.revision for c in everything]
    assert revisions == sorted(revisions) and user.revision in revisions

    resumed = admin.stream_changes(last_event_id=received[0].id, entity_id=user.id)
    assert next(resumed).change.op == "update"
    resumed.close()


def test_decision_log(admin: Client) -> None:
    denied = admin.check(user_id="outsider", action="read", resource_type="generation", resource_id="g1")
    logged = admin.get_decision(denied.decision_id)
    assert logged.decision_id == denied.decision_id and logged.allowed is False and logged.reason == "no_grant"
    assert logged.rules and logged.caller is not None and logged.caller.kind == "api_key"
    page = admin.list_decisions(user_id="outsider", allowed=False, limit=5)
    assert denied.decision_id in [d.decision_id for d in page.items]


def test_performance_endpoints(admin: Client) -> None:
    dashboard = admin.performance_dashboard()
    assert "operations" in dashboard and "alerts" in dashboard
    assert "buckets" in admin.performance_metrics()
    targets = admin.performance_validate().targets
    assert targets and {t.status for t in targets} <= {"pass", "fail", "no_data"}
    timings = admin.performance_test().timings
    assert timings and all(t.iterations > 0 for t in timings)
    assert admin.performance_queries()["queries"]
    assert "# TYPE" in admin.prometheus_metrics()


def test_console_routes(admin: Client, unique: str) -> None:
    owner = admin.create_user(f"con-o-{unique}@example.com", id=f"con-o-{unique}").id
    member = admin.create_user(f"Con-M-{unique}@example.com", id=f"con-m-{unique}").id
    assert [u.id for u in admin.list_users(q=f"con-m-{unique}").items] == [member]
    assert [u.id for u in admin.list_users(q=f"CON-M-{unique}@").items] == [member], "emails match in any case"
    team = admin.create_team("Console", owner, id=f"con-t-{unique}").id
    added = admin.add_member(team, "viewer", email=f"con-m-{unique}@example.com", expires_at="2099-01-01T00:00:00Z")
    assert added.user_id == member and added.created is True and added.revision
    with pytest.raises(UnprocessableEntity):
        admin.add_member(team, "viewer", email=f"ghost-{unique}@example.com")
    states = {m.team_id: m.state for m in admin.list_user_memberships(member)}
    assert states == {team: "in_effect"}
    project = admin.create_project("P", owner, id=f"con-p-{unique}", team_id=team, visibility="team").id
    admin.create_generation(owner, id=f"con-g-{unique}", project_id=project)
    assert [p.id for p in admin.list_projects(team_id=team).items] == [project]
    assert [g.id for g in admin.list_generations(team_id=team).items] == [f"con-g-{unique}"]
    assert [g.id for g in admin.list_generations(owner_id=owner, project_id=project).items] == [f"con-g-{unique}"]
    preview = admin.preview_project_visibility(project, "private")
    assert (preview.generations, preview.changed_generations, preview.visibility) == (1, 1, "team")
    assert admin.end_user_sessions(member)
    keys = admin.list_signing_keys()
    rotated = admin.rotate_signing_key()
    assert rotated.active and rotated.kid != keys.active
    assert admin.retire_signing_key(keys.active).retired is True
