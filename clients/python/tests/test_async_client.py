"""The asyncio client against the real server (plain asyncio.run: no plugin needed)."""

from __future__ import annotations

import asyncio

import pytest

from conftest import PASSWORD, Server
from portcullis import AsyncClient, AuthenticationError, Conflict, NotFound, PermissionDenied


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_async_management_and_checks(server: Server, unique: str) -> None:
    async def main() -> None:
        async with AsyncClient(server.url, server.admin_key) as admin:
            assert (await admin.health()).status == "ok"
            user = await admin.create_user(f"a-{unique}@example.com", id=f"a-{unique}", password=PASSWORD)
            generation = await admin.create_generation(user.id, id=f"ag-{unique}")
            assert admin.last_revision == generation.revision > user.revision
            with pytest.raises(Conflict):
                await admin.create_user(f"a-{unique}@example.com")

            decisions = await asyncio.gather(*[
                admin.check(user_id=who, action="delete", resource_type="generation", resource_id=generation.id)
                for who in (user.id, "m1", "outsider", "owner")])
            assert [d.reason for d in decisions] == ["owner", "no_grant", "no_grant", "no_grant"]
            assert all(d.revision >= generation.revision for d in decisions)

            ids = [u.id async for u in admin.iterate(admin.list_users, limit=2)]
            assert user.id in ids and ids == sorted(ids)
            pages = [g async for g in admin.iterate(admin.list_resources, user_id=user.id,
                                                    resource_type="generation", action="read", limit=1)]
            assert pages == [generation.id]
            assert (await admin.list_subjects(resource_type="generation", resource_id=generation.id,
                                              action="delete")).user_ids == [user.id]

            login = await admin.login(f"a-{unique}@example.com", PASSWORD)
            async with admin.with_token(login.token) as me_client:
                assert (await me_client.me()).user.id == user.id
                assert (await me_client.get_generation(generation.id)).owner_id == user.id
                with pytest.raises(NotFound):
                    await me_client.media_url(f"nothing-{unique}")
                await me_client.logout()
                with pytest.raises(AuthenticationError):
                    await me_client.me()
            with pytest.raises(PermissionDenied):
                async with AsyncClient(server.url, (await admin.create_api_key(f"k-{unique}")).key) as service:
                    await service.list_users()
            assert await admin.delete_generation(generation.id)

    run(main())


def test_async_change_stream(server: Server, unique: str) -> None:
    async def main() -> None:
        async with AsyncClient(server.url, server.admin_key) as admin:
            start = (await admin.check(user_id="m1", action="read", resource_type="generation",
                                       resource_id="g1")).revision
            stream = admin.stream_changes(since=start, entity="team")

            async def first_two() -> list:
                out = []
                async for event in stream:
                    out.append(event)
                    if len(out) == 2:
                        return out
                return out

            reader = asyncio.create_task(first_two())
            team = await admin.create_team("Streamed", "owner", id=f"st-{unique}")
            await admin.delete_team(team.id)
            events = await asyncio.wait_for(reader, 30)
            await stream.aclose()
            assert [(e.change.entity_id, e.change.op) for e in events] == [(team.id, "create"), (team.id, "delete")]
            assert events[1].change.after is not None and events[1].change.after.get("deleted_at")

    run(main())


def test_async_decisions_and_performance(server: Server) -> None:
    async def main() -> None:
        async with AsyncClient(server.url, server.admin_key) as admin:
            denied = await admin.check(user_id="outsider", action="update", resource_type="project",
                                       resource_id="p1")
            assert (await admin.get_decision(denied.decision_id)).reason == denied.reason
            assert (await admin.list_decisions(resource_type="project", limit=1)).items
            assert (await admin.performance_health()).components["database"].status == "ok"
            assert "operations" in (await admin.performance_dashboard())
            assert (await admin.performance_validate()).targets
            assert "portcullis" in (await admin.prometheus_metrics())

    run(main())
