"""Every operation of docs/openapi.yaml has a client method, in both clients, and each method sends exactly its
route (checked by calling every method against a recording transport). No server needed."""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import OPENAPI
from portcullis import ROUTES, AsyncClient, Client

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
SAMPLES = {
    "key_id": "k1", "user_id": "u1", "team_id": "t1", "project_id": "p1", "generation_id": "g1",
    "decision_id": "0123456789abcdef01234567", "file": "app.js", "email": "a@example.com", "password": "password1",
    "name": "n", "owner_id": "u1", "role": "viewer", "url": "/media/a.png?expires=1", "records": [{"type": "user"}],
    "checks": [], "action": "read", "resource_type": "generation", "resource_id": "g1", "kid": "k1",
    "visibility": "public",
}


class Recorded(Exception):
    def __init__(self, request: httpx.Request) -> None:
        self.request = request


def record(request: httpx.Request) -> httpx.Response:
    raise Recorded(request)


def documented_operations() -> set[tuple[str, str]]:
    document = yaml.safe_load(OPENAPI.read_text())
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item if method in METHODS}


def test_route_table_is_the_openapi_document() -> None:
    table = {(route.method, route.path) for route in ROUTES}
    documented = documented_operations()
    assert len(documented) >= 50, "the document was not read"
    assert documented - table == set(), "operations of docs/openapi.yaml without a client method"
    assert table - documented == set(), "client routes that docs/openapi.yaml does not have"
    assert len(table) == len(ROUTES), "a route is listed twice"


def test_every_route_is_a_method_of_both_clients() -> None:
    for route in ROUTES:
        sync_method = getattr(Client, route.name, None)
        async_method = getattr(AsyncClient, route.name, None)
        assert callable(sync_method), f"Client.{route.name} is missing ({route.method} {route.path})"
        assert callable(async_method), f"AsyncClient.{route.name} is missing ({route.method} {route.path})"
        assert inspect.signature(sync_method) == inspect.signature(async_method).replace(
            return_annotation=inspect.signature(sync_method).return_annotation), route.name
        if route.name != "stream_changes":
            assert inspect.iscoroutinefunction(async_method), f"AsyncClient.{route.name} is not a coroutine"


def arguments(method) -> dict[str, object]:
    out = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if name == "self" or parameter.default is not inspect.Parameter.empty:
            continue
        out[name] = SAMPLES[name]
    return out


def template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)) + "$")


def test_each_sync_method_sends_its_route() -> None:
    client = Client("http://portcullis.invalid", "pcs_x", transport=httpx.MockTransport(record))
    for route in ROUTES:
        method = getattr(client, route.name)
        with pytest.raises(Recorded) as sent:
            result = method(**arguments(method))
            next(iter(result))  # the change stream connects when first read
        request = sent.value.request
        assert request.method == route.method, route.name
        assert template(route.path).match(request.url.path), f"{route.name}: {request.url.path} is not {route.path}"


def test_each_async_method_sends_its_route() -> None:
    async def main() -> None:
        client = AsyncClient("http://portcullis.invalid", "pcs_x", transport=httpx.MockTransport(record))
        for route in ROUTES:
            method = getattr(client, route.name)
            with pytest.raises(Recorded) as sent:
                result = method(**arguments(method))
                if inspect.isawaitable(result):
                    await result
                else:
                    await result.__anext__()
            request = sent.value.request
            assert request.method == route.method, route.name
            assert template(route.path).match(request.url.path), f"{route.name}: {request.url.path}"

    asyncio.run(main())


def test_async_client_is_generated_from_the_sync_one() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "generate_async.py"
    result = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_path_parameters_cannot_leave_their_route() -> None:
    client = Client("http://portcullis.invalid", "pcs_x", transport=httpx.MockTransport(record))
    for hostile in ["..", ".", "a/b", "../../metrics", "a?b=c", "a#b"]:
        with pytest.raises(Recorded) as sent:
            client.get_user(hostile)
        raw_path = sent.value.request.url.raw_path.decode()
        assert raw_path.startswith("/api/v1/users/") and raw_path.count("/") == 4, raw_path
        assert "?" not in raw_path and "#" not in raw_path
