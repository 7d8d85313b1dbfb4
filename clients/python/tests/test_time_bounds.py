"""Time bounds (SPEC 8.3) through the client: bounded memberships, expiring API keys and what-if checks (`as_of`).

The first tests run against the real binary; the last ones check what the client sends (a recording transport), and
that an instant it cannot send faithfully (a naive datetime) is refused before any request.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conftest import PASSWORD, Server
from portcullis import AsyncClient, AuthenticationError, Client, InvalidRequest, PermissionDenied


def rfc3339(instant: datetime) -> str:
    """How the server writes an instant: UTC, milliseconds, ``Z``."""
    utc = instant.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def team_with_generation(admin: Client, unique: str) -> tuple[str, str, str]:
    """A team owned by a fresh owner, a team-visible project in it and a generation there: (team, generation,
    member) — the member is a fresh user with a password and no membership yet."""
    owner = admin.create_user(f"tbo-{unique}@example.com", id=f"tbo-{unique}").id
    member = admin.create_user(f"tbm-{unique}@example.com", id=f"tbm-{unique}", password=PASSWORD).id
    team = admin.create_team("Bounded", owner, id=f"tbt-{unique}").id
    admin.create_project("Bounded", owner, id=f"tbp-{unique}", team_id=team, visibility="team")
    generation = admin.create_generation(owner, id=f"tbg-{unique}", project_id=f"tbp-{unique}").id
    return team, generation, member


def test_a_bounded_membership_round_trips(admin: Client, unique: str) -> None:
    team, _, member = team_with_generation(admin, unique)
    # An aware datetime in another zone, with microseconds: sent in UTC with Z, to the server's millisecond.
    starts = (datetime.now(timezone.utc) + timedelta(days=1)).astimezone(timezone(timedelta(hours=2)))
    expires = rfc3339(starts + timedelta(days=2)).replace(".000Z", "Z")  # a string is sent as it is
    put = admin.put_member(team, member, "editor", permissions=["delete"], starts_at=starts, expires_at=expires)
    assert put.created is True and put.revision is not None
    assert put.starts_at == rfc3339(starts) and put.starts_at.endswith("Z")
    assert put.expires_at == rfc3339(starts + timedelta(days=2))

    listed = {m.user_id: m for m in admin.list_members(team)}
    assert listed[member] == put, "the listing carries the same bounds"
    assert listed[member].starts_at == put.starts_at and listed[member].expires_at == put.expires_at
    owner_membership = next(m for m in listed.values() if m.role == "owner")
    assert owner_membership.starts_at is None and owner_membership.expires_at is None

    login = admin.login(f"tbm-{unique}@example.com", PASSWORD)
    with admin.with_token(login.token) as user:
        teams = {t.team_id: t for t in user.me().teams}
        assert (teams[team].starts_at, teams[team].expires_at) == (put.starts_at, put.expires_at), \
            "/me lists a pending membership with its bounds"
        user.logout()

    # The PUT replaces the whole membership: without bounds it grants from now on, for good.
    unbounded = admin.put_member(team, member, "editor")
    assert unbounded.created is False and unbounded.starts_at is None and unbounded.expires_at is None
    cleared = admin.put_member(team, member, "viewer", starts_at=None, expires_at=None)
    assert (cleared.starts_at, cleared.expires_at) == (None, None)


def test_as_of_by_the_admin_key_is_answered_with_as_of(admin: Client, unique: str) -> None:
    team, generation, member = team_with_generation(admin, unique)
    now = datetime.now(timezone.utc)
    starts, expires = now + timedelta(days=1), now + timedelta(days=2)
    admin.put_member(team, member, "viewer", starts_at=starts, expires_at=expires)
    check = dict(user_id=member, action="read", resource_type="generation", resource_id=generation)

    today = admin.check(**check)
    assert not today.allowed and today.as_of is None, "a pending membership grants nothing now"
    inside = starts + timedelta(hours=1)
    tomorrow = admin.check(**check, as_of=inside, explain=True)
    assert tomorrow.allowed and tomorrow.reason == "team_role:viewer"
    assert tomorrow.as_of == rfc3339(inside) and tomorrow.consistency is None
    after = admin.check(**check, as_of=rfc3339(expires + timedelta(hours=1)))
    assert not after.allowed and after.as_of == rfc3339(expires + timedelta(hours=1))

    batch = admin.check_batch([{**check, "as_of": inside}, check, {**check, "as_of": None}], as_of=None)
    assert [(d.allowed, d.as_of) for d in batch] == [(True, rfc3339(inside)), (False, None), (False, None)]
    own, default = starts + timedelta(minutes=5), expires + timedelta(minutes=5)
    every = admin.check_batch([check, {**check, "as_of": rfc3339(own)}], as_of=default)
    assert [(d.allowed, d.as_of) for d in every] == [(False, rfc3339(default)), (True, rfc3339(own))], \
        "the batch's as_of applies to the checks without their own"

    with pytest.raises(InvalidRequest) as raised:
        admin.check(**check, as_of=now - timedelta(days=1))
    assert raised.value.field == "as_of"
    with pytest.raises(InvalidRequest) as raised:
        admin.check_batch([check, {**check, "as_of": "tomorrow"}])
    assert raised.value.field == "checks[1].as_of"


def test_as_of_by_a_non_admin_is_forbidden(server: Server, admin: Client, unique: str) -> None:
    team, generation, member = team_with_generation(admin, unique)
    admin.put_member(team, member, "viewer")
    check = dict(user_id=member, action="read", resource_type="generation", resource_id=generation)
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    service_key = admin.create_api_key(f"tb-authz-{unique}")
    with server.client(service_key.key) as service:
        assert service.check(**check).allowed, "the key may check at now"
        with pytest.raises(PermissionDenied) as raised:
            service.check(**check, as_of=tomorrow)
        assert raised.value.code == "forbidden" and raised.value.status == 403
        with pytest.raises(PermissionDenied):
            service.check_batch([check], as_of=tomorrow)
    login = admin.login(f"tbm-{unique}@example.com", PASSWORD)
    with admin.with_token(login.token) as user:
        assert user.check(**check).allowed, "a user may check themselves at now"
        with pytest.raises(PermissionDenied) as raised:
            user.check(**check, as_of=tomorrow)
        assert raised.value.code == "forbidden"
        user.logout()


def test_an_expired_api_key_is_refused(server: Server, admin: Client, unique: str) -> None:
    expires = datetime.now(timezone.utc) + timedelta(seconds=3)
    created = admin.create_api_key(f"tb-expiring-{unique}", expires_at=expires)
    assert created.expires_at == rfc3339(expires)
    expiry = datetime.fromisoformat(created.expires_at).timestamp()  # to the millisecond, as the server holds it
    listed = {k.id: k for k in admin.list_api_keys()}
    assert listed[created.id].expires_at == created.expires_at
    assert all(k.expires_at is None for k in listed.values() if k.source == "environment")
    lasting = admin.create_api_key(f"tb-lasting-{unique}")
    assert lasting.expires_at is None

    check = dict(user_id="m1", action="read", resource_type="generation", resource_id="g1")
    deadline = expiry + 15
    with server.client(created.key) as service:
        assert service.check(**check).allowed, "the key works until it expires"
        while True:
            try:
                service.check(**check)
            except AuthenticationError as error:
                refused_at = time.time()
                assert error.code == "unauthorized" and error.status == 401
                break
            assert time.time() < deadline, "the key still authenticates long after its expires_at"
            time.sleep(0.1)
        assert refused_at >= expiry, "the key was refused before its expires_at"
        with pytest.raises(AuthenticationError):
            service.check(**check)
    with server.client(lasting.key) as other:
        assert other.check(**check).allowed, "a key without expires_at is unaffected"

    with pytest.raises(InvalidRequest) as raised:
        admin.create_api_key(f"tb-past-{unique}", expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    assert raised.value.field == "expires_at"


def test_an_invalid_bound_is_a_400_naming_the_field(admin: Client, unique: str) -> None:
    team, _, member = team_with_generation(admin, unique)
    before = admin.list_members(team)
    with pytest.raises(InvalidRequest) as raised:
        admin.put_member(team, member, "viewer", starts_at="next tuesday")
    assert raised.value.code == "invalid_field" and raised.value.field == "starts_at" and raised.value.status == 400
    with pytest.raises(InvalidRequest) as raised:
        admin.put_member(team, member, "viewer", starts_at="2030-01-01T00:00:00+02:00")  # not UTC
    assert raised.value.field == "starts_at"
    starts = datetime.now(timezone.utc) + timedelta(days=1)
    with pytest.raises(InvalidRequest) as raised:
        admin.put_member(team, member, "viewer", starts_at=starts, expires_at=starts)
    assert raised.value.field == "expires_at"
    with pytest.raises(ValueError, match="naive"):
        admin.put_member(team, member, "viewer", starts_at=datetime(2030, 1, 1))
    assert admin.list_members(team) == before, "a refused membership changes nothing"


def test_the_async_client_sends_and_reads_the_bounds(server: Server, admin: Client, unique: str) -> None:
    team, generation, member = team_with_generation(admin, unique)
    starts = datetime.now(timezone.utc) + timedelta(days=1)

    async def main() -> None:
        async with AsyncClient(server.url, server.admin_key) as client:
            put = await client.put_member(team, member, "viewer", starts_at=starts,
                                          expires_at=starts + timedelta(days=1))
            assert (put.starts_at, put.expires_at) == (rfc3339(starts), rfc3339(starts + timedelta(days=1)))
            check = dict(user_id=member, action="read", resource_type="generation", resource_id=generation)
            decision = await client.check(**check, as_of=starts + timedelta(hours=1))
            assert decision.allowed and decision.as_of == rfc3339(starts + timedelta(hours=1))
            batch = await client.check_batch([check], as_of=starts + timedelta(hours=2))
            assert batch[0].allowed and batch[0].as_of == rfc3339(starts + timedelta(hours=2))
            key = await client.create_api_key(f"tb-async-{unique}", expires_at=starts)
            assert key.expires_at == rfc3339(starts)
            with pytest.raises(InvalidRequest) as raised:
                await client.put_member(team, member, "viewer", starts_at="soon")
            assert raised.value.field == "starts_at"

    asyncio.run(main())


class Recorder:
    """Answers as the server would, recording each request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        sent = json.loads(request.content) if request.content else {}
        path = request.url.path
        if path.endswith("/check-batch"):
            return httpx.Response(200, json={"results": []})
        if path.endswith("/check"):
            return httpx.Response(200, json={"allowed": True, "reason": "admin", "cache": "miss", "took_us": 1,
                                             "revision": 1, "decision_id": "0" * 24})
        if "/members/" in path:
            return httpx.Response(201, json={"team_id": "t1", "user_id": "u1", "role": sent["role"], "permissions": [],
                                             "is_active": True, "created_at": "2030-01-01T00:00:00.000Z",
                                             **{k: v for k, v in sent.items() if k.endswith("_at") and v}})
        return httpx.Response(201, json={"id": "key_1", "key": "pcs_secret", "name": sent["name"],
                                         "scopes": ["authz"], "created_at": "2030-01-01T00:00:00.000Z",
                                         "source": "api", "expires_at": sent.get("expires_at")})


def test_instants_are_sent_in_utc_and_naive_ones_refused_unsent() -> None:
    recorder = Recorder()
    client = Client("http://portcullis.test", "pcs_x", transport=httpx.MockTransport(recorder),
                    read_your_writes=False)
    check = dict(user_id="u1", action="read", resource_type="generation", resource_id="g1")
    zone = timezone(timedelta(hours=-5, minutes=-30))
    client.check(**check, as_of=datetime(2030, 1, 1, 20, 15, 0, 999_999, tzinfo=zone))
    client.check(**check, as_of=datetime(2030, 1, 2, 1, 45, tzinfo=timezone.utc))
    client.check(**check, as_of="2030-01-02T01:45:00Z")
    client.check(**check)
    client.check_batch([{**check, "as_of": datetime(2030, 1, 2, tzinfo=zone)}, check],
                       as_of=datetime(2030, 1, 3, tzinfo=timezone.utc))
    bodies = [json.loads(r.content) for r in recorder.requests]
    assert [b.get("as_of") for b in bodies[:4]] == ["2030-01-02T01:45:00.999Z", "2030-01-02T01:45:00Z",
                                                   "2030-01-02T01:45:00Z", None]
    assert "as_of" not in bodies[3]
    assert [c["as_of"] for c in bodies[4]["checks"]] == ["2030-01-02T05:30:00Z", "2030-01-03T00:00:00Z"]

    sent = len(recorder.requests)
    with pytest.raises(ValueError, match="as_of"):
        client.check(**check, as_of=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match=r"checks\[1\]\.as_of"):
        client.check_batch([check, {**check, "as_of": datetime(2030, 1, 1)}])
    with pytest.raises(ValueError, match="expires_at"):
        client.create_api_key("k", expires_at=datetime(2030, 1, 1))
    with pytest.raises(TypeError, match="starts_at"):
        client.put_member("t1", "u1", "viewer", starts_at=1893456000)  # type: ignore[arg-type]
    assert len(recorder.requests) == sent, "nothing was sent"


def test_bounds_are_left_out_unless_given() -> None:
    recorder = Recorder()
    client = Client("http://portcullis.test", "pcs_x", transport=httpx.MockTransport(recorder))
    assert client.put_member("t1", "u1", "viewer").starts_at is None
    member = client.put_member("t1", "u1", "viewer", starts_at=None, expires_at="2030-01-01T00:00:00Z")
    assert (member.starts_at, member.expires_at) == (None, "2030-01-01T00:00:00Z")
    assert client.create_api_key("k").expires_at is None
    assert client.create_api_key("k", expires_at="2030-01-01T00:00:00Z").expires_at == "2030-01-01T00:00:00Z"
    bodies = [json.loads(r.content) for r in recorder.requests]
    assert bodies[0] == {"role": "viewer"}
    assert bodies[1] == {"role": "viewer", "starts_at": None, "expires_at": "2030-01-01T00:00:00Z"}
    assert bodies[2] == {"name": "k"} and bodies[3] == {"name": "k", "expires_at": "2030-01-01T00:00:00Z"}
