"""The retry policy and read-your-writes errors against scripted answers (httpx.MockTransport).

These complement, not replace, the real-server tests in test_retry_real.py: here the edge cases (the attempt and
waiting bounds, Retry-After over the budget, connection failures) are reached deterministically and the waiting is
recorded instead of slept.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from portcullis import (AsyncClient, Client, InvalidRequest, RateLimited, RetryPolicy, TransportError,
                        Unavailable)

USER = {"id": "u1", "email": "u1@example.com", "display_name": "", "is_admin": False, "status": "active",
        "created_at": "2026-01-01T00:00:00.000Z"}
DECISION = {"allowed": True, "reason": "owner", "cache": "miss", "took_us": 3, "revision": 7,
            "decision_id": "0123456789abcdef01234567"}


def overloaded(seconds: str | None = "1") -> httpx.Response:
    headers = {"Retry-After": seconds} if seconds is not None else {}
    return httpx.Response(503, headers=headers, json={"error": {"code": "overloaded", "message": "busy"}})


class Script:
    """Answers requests from a list, in order, recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(script: Script, **options: object) -> tuple[Client, list[float]]:
    waits: list[float] = []
    return Client("http://portcullis.test", "pcs_x", transport=httpx.MockTransport(script), sleep=waits.append,
                  **options), waits  # type: ignore[arg-type]


def test_a_read_is_retried_after_retry_after() -> None:
    script = Script(overloaded("2"), httpx.Response(200, json=USER))
    c, waits = client(script)
    assert c.get_user("u1").id == "u1"
    assert waits == [2.0] and len(script.requests) == 2


def test_a_check_is_retried_it_is_a_read() -> None:
    script = Script(overloaded("1"), httpx.Response(200, json=DECISION))
    c, waits = client(script)
    assert c.check(user_id="u1", action="read", resource_type="generation", resource_id="g1").allowed
    assert waits == [1.0]


@pytest.mark.parametrize("call", [
    lambda c: c.create_user("a@example.com"),
    lambda c: c.update_user("u1", display_name="x"),
    lambda c: c.login("a@example.com", "password1"),
    lambda c: c.import_records([{"type": "user", "email": "a@example.com"}]),
])
def test_creates_updates_sign_ins_and_imports_are_never_retried(call) -> None:
    script = Script(overloaded("1"), httpx.Response(200, json=USER))
    c, waits = client(script)
    with pytest.raises(Unavailable) as raised:
        call(c)
    assert raised.value.code == "overloaded" and raised.value.retry_after == 1.0
    assert len(script.requests) == 1 and waits == []


def test_attempts_are_bounded() -> None:
    script = Script(overloaded("1"), overloaded("1"), overloaded("1"), httpx.Response(200, json=USER))
    c, waits = client(script, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(Unavailable):
        c.get_user("u1")
    assert len(script.requests) == 3 and waits == [1.0, 1.0]


def test_total_waiting_is_bounded_a_long_retry_after_raises_at_once() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "900"},
                                   json={"error": {"code": "rate_limited", "message": "later"}}))
    c, waits = client(script, retry=RetryPolicy(max_attempts=5, max_total_wait=10))
    with pytest.raises(RateLimited) as raised:
        c.get_user("u1")
    assert raised.value.retry_after == 900.0 and waits == [] and len(script.requests) == 1


def test_waits_add_up_to_the_budget() -> None:
    script = Script(overloaded("4"), overloaded("4"), overloaded("4"), httpx.Response(200, json=USER))
    c, waits = client(script, retry=RetryPolicy(max_attempts=10, max_total_wait=10))
    with pytest.raises(Unavailable):
        c.get_user("u1")
    assert waits == [4.0, 4.0] and len(script.requests) == 3


def test_without_retry_after_the_backoff_grows_and_is_capped() -> None:
    script = Script(overloaded(None), overloaded(None), overloaded(None), httpx.Response(200, json=USER))
    c, waits = client(script, retry=RetryPolicy(max_attempts=4, backoff=0.1, max_backoff=0.3))
    c.get_user("u1")
    assert len(waits) == 3
    assert 0.05 <= waits[0] <= 0.1 and 0.1 <= waits[1] <= 0.2 and 0.15 <= waits[2] <= 0.3


def test_disabled_policy_sends_once() -> None:
    script = Script(overloaded("1"))
    c, waits = client(script, retry=RetryPolicy.disabled())
    with pytest.raises(Unavailable):
        c.get_user("u1")
    assert waits == []


def test_a_refused_connection_is_retried_for_reads_only() -> None:
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json=USER))
    c, waits = client(script)
    assert c.get_user("u1").id == "u1" and len(waits) == 1
    script = Script(httpx.ConnectError("refused"))
    c, waits = client(script)
    with pytest.raises(TransportError) as raised:
        c.create_user("a@example.com")
    assert isinstance(raised.value.__cause__, httpx.ConnectError) and waits == []


def test_a_read_timeout_is_not_retried() -> None:
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(200, json=USER))
    c, waits = client(script)
    with pytest.raises(TransportError):
        c.get_user("u1")
    assert waits == [] and len(script.requests) == 1


def test_async_retry_waits_with_the_given_sleep() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> None:
        script = Script(overloaded("3"), httpx.Response(200, json=DECISION))
        async with AsyncClient("http://portcullis.test", "pcs_x", transport=httpx.MockTransport(script),
                               sleep=sleep) as c:
            decision = await c.check(user_id="u1", action="read", resource_type="generation", resource_id="g1")
        assert decision.revision == 7

    asyncio.run(main())
    assert waits == [3.0]


def test_a_refused_consistency_is_raised_not_resent_without_it() -> None:
    """The server knows ``consistency`` (SPEC 8.4): a 400 naming it is an error to report, never a cue to drop the
    field and send the check again (which would silently give up read-your-writes)."""
    unknown = httpx.Response(400, json={"error": {"code": "invalid_field",
                                                  "message": "consistency: is not a known field"}})
    script = Script(httpx.Response(201, headers={"X-Portcullis-Revision": "12"}, json=USER), unknown,
                    httpx.Response(200, json=DECISION))
    c, _ = client(script)
    c.create_user("u1@example.com", id="u1")
    with pytest.raises(InvalidRequest) as raised:
        c.check(user_id="u1", action="read", resource_type="generation", resource_id="g1")
    assert raised.value.field == "consistency" and len(script.requests) == 2
    assert json.loads(script.requests[1].content)["consistency"] == {"at_least_revision": 12}
    c.check(user_id="u1", action="read", resource_type="generation", resource_id="g1")
    assert json.loads(script.requests[2].content)["consistency"] == {"at_least_revision": 12}, \
        "later checks still carry the revision"


def test_a_revision_ahead_of_the_server_is_raised() -> None:
    script = Script(httpx.Response(201, headers={"X-Portcullis-Revision": "3"}, json=USER),
                    httpx.Response(400, json={"error": {"code": "invalid_field",
                                                        "message": "consistency: at_least_revision: 9 is ahead"}}))
    c, _ = client(script)
    c.create_user("u1@example.com", id="u1")
    with pytest.raises(InvalidRequest) as raised:
        c.check(user_id="u1", action="read", resource_type="generation", resource_id="g1")
    assert raised.value.field == "consistency.at_least_revision" and len(script.requests) == 2
