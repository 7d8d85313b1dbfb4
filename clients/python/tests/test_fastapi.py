"""The FastAPI dependency, through FastAPI's TestClient, against the real server."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from conftest import PASSWORD, Server, free_port
from portcullis import AsyncClient, Client
from portcullis.fastapi import Authorized, PortcullisGuard, current_user, install, require


def make_app(portcullis: AsyncClient | Client, **options: object) -> FastAPI:
    app = FastAPI()
    install(app, portcullis, **options)  # type: ignore[arg-type]

    @app.get("/generations/{gen_id}")
    async def read(gen_id: str, auth: Authorized = Depends(require("read", "generation", "gen_id"))) -> dict:
        return {"user": auth.user_id, "id": auth.resource_id, "reason": auth.decision.reason,
                "revision": auth.decision.revision, "has_token": auth.token is not None}

    @app.delete("/generations/{gen_id}")
    async def delete(gen_id: str, auth: Authorized = Depends(require("delete", "generation", "gen_id"))) -> dict:
        return {"deleted": gen_id}

    @app.get("/teams/{team}/admin")
    def manage(auth: Authorized = Depends(require("manage_members", "team", "team"))) -> dict:
        return {"team": auth.resource_id}

    @app.get("/whoami")
    async def whoami(user: str = Depends(current_user())) -> dict:
        return {"user": user}

    return app


@pytest.fixture(scope="module")
def tokens(server: Server) -> dict[str, str]:
    with server.client(None) as anonymous:
        return {who: anonymous.login(f"{who}@example.com", PASSWORD).token for who in ("owner", "m1", "outsider")}


@pytest.fixture()
def service_key(admin: Client, unique: str) -> str:
    return admin.create_api_key(f"fastapi-{unique}", scopes=["authz"]).key


@pytest.fixture()
def web(server: Server, service_key: str) -> Iterator[TestClient]:
    with TestClient(make_app(AsyncClient(server.url, service_key))) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_allowed_denied_and_anonymous(web: TestClient, tokens: dict[str, str]) -> None:
    allowed = web.get("/generations/g1", headers=bearer(tokens["m1"]))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["user"] == "m1" and allowed.json()["reason"] == "team_role:viewer"
    assert allowed.json()["has_token"] is True

    assert web.get("/generations/g1", headers=bearer(tokens["outsider"])).status_code == 403
    assert web.delete("/generations/g1", headers=bearer(tokens["m1"])).status_code == 403
    assert web.delete("/generations/g1", headers=bearer(tokens["owner"])).status_code == 200
    assert web.get("/teams/t1/admin", headers=bearer(tokens["owner"])).status_code == 200
    assert web.get("/teams/t1/admin", headers=bearer(tokens["m1"])).status_code == 403

    for headers in ({}, bearer("pct_not_a_token"), {"Authorization": "Basic bTE6cGFzc3dvcmQ="}):
        answer = web.get("/generations/g1", headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer", headers
    assert web.get("/whoami", headers=bearer(tokens["owner"])).json() == {"user": "owner"}
    assert web.get("/whoami").status_code == 401


def test_an_api_key_is_not_a_user(web: TestClient, service_key: str) -> None:
    assert web.get("/generations/g1", headers=bearer(service_key)).status_code == 401


def test_absent_and_malformed_resources(web: TestClient, tokens: dict[str, str]) -> None:
    assert web.get("/generations/no-such-generation", headers=bearer(tokens["owner"])).status_code == 403
    assert web.get("/generations/bad%20id", headers=bearer(tokens["owner"])).status_code == 404


def test_a_revoked_token_is_refused_at_once(server: Server, web: TestClient) -> None:
    with server.client(None) as anonymous:
        token = anonymous.login("m1@example.com", PASSWORD).token
    assert web.get("/generations/g1", headers=bearer(token)).status_code == 200
    with server.client(token) as session:
        session.logout()
    assert web.get("/generations/g1", headers=bearer(token)).status_code == 401


def test_a_write_is_seen_by_the_next_request(server: Server, admin: Client, web: TestClient,
                                             tokens: dict[str, str], unique: str) -> None:
    generation = admin.create_generation("outsider", id=f"fa-{unique}")
    assert web.get(f"/generations/{generation.id}", headers=bearer(tokens["outsider"])).status_code == 200
    admin.update_generation(generation.id, owner_id="owner")
    assert web.get(f"/generations/{generation.id}", headers=bearer(tokens["outsider"])).status_code == 403


def test_a_user_source_from_the_app_and_a_sync_client(server: Server, service_key: str) -> None:
    def from_header(request: Request) -> str | None:
        return request.headers.get("x-user")

    with Client(server.url, service_key) as sync_client, \
            TestClient(make_app(sync_client, user=from_header)) as web:
        assert web.get("/generations/g1", headers={"X-User": "m1"}).json()["has_token"] is False
        assert web.get("/generations/g1", headers={"X-User": "outsider"}).status_code == 403
        assert web.get("/generations/g1").status_code == 401


def test_an_explicit_guard_and_its_deny_status(server: Server, service_key: str, tokens: dict[str, str]) -> None:
    async def from_state(request: Request) -> str | None:
        return "outsider"

    guard = PortcullisGuard(AsyncClient(server.url, service_key), user=from_state, deny_status=404)
    app = FastAPI()

    @app.get("/files/{file_id}")
    async def show(file_id: str, auth: Authorized = Depends(guard.require("read", "generation", "file_id"))) -> dict:
        return {}

    with TestClient(app) as web:
        assert web.get("/files/g1").status_code == 404


def test_portcullis_unreachable_is_503() -> None:
    with TestClient(make_app(AsyncClient(f"http://127.0.0.1:{free_port()}", "pcs_x"))) as web:
        answer = web.get("/generations/g1", headers=bearer("pct_whatever"))
    assert answer.status_code == 503
