"""Real 503s and 429s from a real server, and what the client does with them.

The server runs with `max_in_flight = 1` and a one-second overload breaker, so one request held open (its headers
sent, its body not yet) puts it over the limit: the next `normal` request trips the breaker and is answered
503 `overloaded` with `Retry-After: 1`. Sign-in throttling allows two failures per account, so the third sign-in is a
429 `rate_limited` with `Retry-After`.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Iterator

import httpx
import pytest

from conftest import PASSWORD, Server
from portcullis import AsyncClient, AuthenticationError, Client, RateLimited, RetryPolicy, Unavailable


@pytest.fixture(scope="module")
def tight() -> Iterator[Server]:
    instance = Server({
        "PORTCULLIS_MAX_IN_FLIGHT": "1",
        "PORTCULLIS_OVERLOAD_OPEN_SECONDS": "1",
        "PORTCULLIS_LOGIN_FAILURES_PER_EMAIL": "2",
    })
    with instance.client() as admin:
        admin.create_user("victim@example.com", id="victim", password=PASSWORD)
    yield instance
    instance.cleanup()


class HeldRequest:
    """A `POST /api/v1/users` whose body is announced but not sent: in flight on the server until `finish`."""

    def __init__(self, server: Server, email: str) -> None:
        self.body = json.dumps({"email": email}).encode()
        self.socket = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.socket.sendall(
            b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {server.admin_key}\r\nContent-Length: {len(self.body)}\r\n\r\n".encode())
        self.status: int | None = None
        wait_until_in_flight(server, 1)

    def finish(self) -> int:
        if self.status is None:
            self.socket.sendall(self.body)
            head = b""
            while b"\r\n" not in head:
                chunk = self.socket.recv(4096)
                assert chunk, "the server closed the held request"
                head += chunk
            self.status = int(head.split(b" ", 2)[1])
            self.socket.close()
        return self.status


def wait_until_in_flight(server: Server, held: int) -> None:
    """Polls the load shedder's in-flight count (the health request itself is one of them) — bounded, 10 s."""
    deadline = time.monotonic() + 10
    with httpx.Client(base_url=server.url, timeout=5) as http:
        while True:
            report = http.get("/api/v1/performance/health").json()
            shedding = report["components"].get("load_shedding", {}).get("detail", {})
            if int(shedding.get("in_flight", 0)) >= held + 1:
                return
            assert time.monotonic() < deadline, f"the held request never counted as in flight: {report}"
            time.sleep(0.01)


def test_a_read_shed_with_503_is_retried_after_retry_after(tight: Server, unique: str) -> None:
    held = HeldRequest(tight, f"held-{unique}@example.com")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        # The server said when to come back; let the held request end so it can, then really wait.
        waits.append(seconds)
        held.finish()
        time.sleep(seconds)

    with Client(tight.url, tight.admin_key, sleep=sleep) as client:
        started = time.monotonic()
        users = client.list_users()
        elapsed = time.monotonic() - started
    assert f"held-{unique}@example.com" in {u.email for u in users.items}, "the held create finished first"
    assert waits and waits[0] == 1.0, waits
    assert elapsed >= 1.0, "Retry-After was honoured"
    assert held.status == 201


def test_a_create_shed_with_503_is_not_retried(tight: Server, unique: str) -> None:
    held = HeldRequest(tight, f"held2-{unique}@example.com")
    waits: list[float] = []
    try:
        with Client(tight.url, tight.admin_key, sleep=waits.append) as client, \
                pytest.raises(Unavailable) as raised:
            client.create_user(f"shed-{unique}@example.com", id=f"shed-{unique}")
    finally:
        held.finish()
    error = raised.value
    assert (error.status, error.code, error.retry_after) == (503, "overloaded", 1.0) and error.request_id
    assert waits == [], "a create is never sent twice"
    with tight.client(retry=RetryPolicy(max_attempts=4)) as admin:
        assert all(u.id != f"shed-{unique}" for u in admin.iterate(admin.list_users)), "the shed create stored nothing"


def test_async_client_retries_a_shed_read(tight: Server, unique: str) -> None:
    import asyncio

    held = HeldRequest(tight, f"held3-{unique}@example.com")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        held.finish()
        await asyncio.sleep(seconds)

    async def main() -> None:
        async with AsyncClient(tight.url, tight.admin_key, sleep=sleep) as client:
            assert (await client.get_user("victim")).id == "victim"

    asyncio.run(main())
    assert waits and waits[0] == 1.0


def test_sign_in_throttling_is_a_429_with_retry_after_and_is_not_retried(tight: Server) -> None:
    waits: list[float] = []
    with Client(tight.url, None, sleep=waits.append) as anonymous:
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                anonymous.login("victim@example.com", "not the password")
        with pytest.raises(RateLimited) as raised:
            anonymous.login("victim@example.com", PASSWORD)
    error = raised.value
    assert (error.status, error.code) == (429, "rate_limited") and error.request_id
    assert error.retry_after is not None and 1 <= error.retry_after <= 900
    assert waits == []
