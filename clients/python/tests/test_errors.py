"""Each exception class from a real answer of the real server, with its code, message, field, status and request
id. (429 and 503 come from the throttled server in test_retry_real.py.)"""

from __future__ import annotations

import pytest

from conftest import Server
from portcullis import (AuthenticationError, Client, Conflict, Gone, InvalidRequest, MethodNotAllowed, NotFound,
                        PayloadTooLarge, PermissionDenied, PortcullisError, RateLimited, Route, ServerError,
                        TransportError, Unavailable, UnprocessableEntity)
from portcullis._core import Call
from portcullis.errors import error_class_for_status


def test_invalid_request_names_the_field(admin: Client) -> None:
    with pytest.raises(InvalidRequest) as raised:
        admin.check(user_id="m1", action="fly", resource_type="generation", resource_id="g1")
    error = raised.value
    assert (error.status, error.code, error.field) == (400, "invalid_field", "action")
    assert error.request_id and error.message.startswith("action")
    assert isinstance(error, PortcullisError) and "400 invalid_field" in str(error)

    with pytest.raises(InvalidRequest) as raised:
        admin.check_batch([{"user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"},
                           {"user_id": "m1", "action": "read", "resource_type": "planet", "resource_id": "g1"}])
    assert raised.value.field == "checks[1].resource_type"

    with pytest.raises(InvalidRequest) as raised:
        admin.list_users(cursor="not-a-cursor-this-server-issued")
    assert raised.value.field == "cursor"


def test_authentication_error(server: Server) -> None:
    with server.client("pcs_not_a_key") as stranger, pytest.raises(AuthenticationError) as raised:
        stranger.list_users()
    assert raised.value.status == 401 and raised.value.code == "unauthorized"
    with server.client(None) as anonymous, pytest.raises(AuthenticationError) as raised:
        anonymous.login("m1@example.com", "wrong password!")
    assert raised.value.code == "invalid_credentials"


def test_permission_denied(server: Server, admin: Client, unique: str) -> None:
    key = admin.create_api_key(f"authz-only-{unique}", scopes=["authz"]).key
    with server.client(key) as service, pytest.raises(PermissionDenied) as raised:
        service.create_user(f"nope-{unique}@example.com")
    assert raised.value.status == 403 and raised.value.code == "forbidden"


def test_not_found(admin: Client) -> None:
    with pytest.raises(NotFound) as raised:
        admin.get_project("no-such-project")
    assert (raised.value.status, raised.value.code) == (404, "not_found")
    with pytest.raises(NotFound):
        admin.list_subjects(resource_type="generation", resource_id="no-such-generation", action="read")


def test_conflict(admin: Client, unique: str) -> None:
    admin.create_team("Once", "owner", id=f"dup-{unique}")
    with pytest.raises(Conflict) as raised:
        admin.create_team("Twice", "owner", id=f"dup-{unique}")
    assert (raised.value.status, raised.value.code) == (409, "conflict")
    with pytest.raises(Conflict) as raised:
        admin.with_token(admin.login("owner@example.com", "correct horse battery").token).media_url("g2")
    assert raised.value.code == "no_media"


def test_unprocessable(admin: Client, unique: str) -> None:
    with pytest.raises(UnprocessableEntity) as raised:
        admin.create_project("Orphan", "nobody-with-this-id", id=f"orphan-{unique}")
    assert (raised.value.status, raised.value.code) == (422, "unknown_reference")
    with pytest.raises(NotFound):
        admin.get_project(f"orphan-{unique}")


def test_payload_too_large(admin: Client) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        admin.create_user("big@example.com", display_name="x" * (1024 * 1024 + 10))
    assert (raised.value.status, raised.value.code) == (413, "payload_too_large")


def test_method_not_allowed(admin: Client) -> None:
    # No method sends a wrong verb, so a route the client does not have is sent through the same machinery.
    with pytest.raises(MethodNotAllowed) as raised:
        admin._send(Call(Route("PUT", "/api/v1/health", "put_health", retry_safe=True), lambda raw: None))
    assert (raised.value.status, raised.value.code) == (405, "method_not_allowed")
    assert raised.value.headers.get("allow") == "GET"


def test_every_status_has_its_class() -> None:
    expected = {400: InvalidRequest, 401: AuthenticationError, 403: PermissionDenied, 404: NotFound,
                405: MethodNotAllowed, 409: Conflict, 410: Gone, 413: PayloadTooLarge, 422: UnprocessableEntity,
                429: RateLimited, 503: Unavailable, 500: ServerError, 502: ServerError, 418: InvalidRequest}
    for status, cls in expected.items():
        assert error_class_for_status(status) is cls, status


def test_transport_error_when_nothing_listens() -> None:
    from conftest import free_port

    with Client(f"http://127.0.0.1:{free_port()}", "pcs_x") as nowhere, pytest.raises(TransportError) as raised:
        nowhere.health()
    assert raised.value.status is None
