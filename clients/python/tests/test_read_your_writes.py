"""Read-your-writes: the client remembers the highest `X-Portcullis-Revision` it has seen and sends it on checks as
`consistency: {"at_least_revision": N}` (SPEC 8.4).
"""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import Server
from portcullis import Client, InvalidRequest, RevisionTracker


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> None:
        if request.url.path.startswith("/api/v1/authz/check"):
            self.bodies.append(json.loads(request.content))


def recording_client(server: Server, **options: object) -> tuple[Client, Recorder]:
    recorder = Recorder()
    http = httpx.Client(base_url=server.url, event_hooks={"request": [recorder]})
    return Client(server.url, server.admin_key, http_client=http, **options), recorder  # type: ignore[arg-type]


def test_the_client_tracks_the_highest_revision_it_has_seen(server: Server, unique: str) -> None:
    with server.client() as admin:
        assert admin.last_revision is None
        first = admin.create_user(f"rw-{unique}@example.com", id=f"rw-{unique}")
        assert first.revision is not None and admin.last_revision == first.revision
        second = admin.update_user(first.id, display_name="two")
        assert admin.last_revision == second.revision > first.revision
        admin.get_user(first.id)  # a read carries no revision: the tracker keeps the write's
        assert admin.last_revision == second.revision
        decision = admin.check(user_id=first.id, action="read", resource_type="generation", resource_id="g1")
        assert decision.revision >= second.revision, "a decision reflects every write answered before it"

    shared = RevisionTracker()
    with server.client(revisions=shared) as one, server.client(revisions=shared) as two:
        made = one.create_team("Shared", first.id, id=f"rwt-{unique}")
        assert two.last_revision == made.revision


def test_without_read_your_writes_no_consistency_is_sent(server: Server, unique: str) -> None:
    client, recorder = recording_client(server, read_your_writes=False)
    with client:
        client.create_user(f"nrw-{unique}@example.com")
        client.check(user_id="m1", action="read", resource_type="generation", resource_id="g1")
        client.check_batch([{"user_id": "m1", "action": "read", "resource_type": "generation", "resource_id": "g1"}])
    assert len(recorder.bodies) == 2
    assert "consistency" not in recorder.bodies[0] and "consistency" not in recorder.bodies[1]["checks"][0]


def test_checks_carry_the_revision_of_the_last_write(server: Server, unique: str) -> None:
    client, recorder = recording_client(server)
    with client:
        owner = client.create_user(f"ryw-{unique}@example.com", id=f"ryw-{unique}")
        generation = client.create_generation(owner.id, id=f"rywg-{unique}")
        decision = client.check(user_id=owner.id, action="delete", resource_type="generation",
                                resource_id=generation.id)
        assert recorder.bodies[-1]["consistency"] == {"at_least_revision": generation.revision}
        assert decision.allowed and decision.reason == "owner" and decision.revision >= generation.revision

        revision = client.delete_generation(generation.id)
        batch = client.check_batch([{"user_id": owner.id, "action": "read", "resource_type": "generation",
                                     "resource_id": generation.id}])
        assert recorder.bodies[-1]["checks"][0]["consistency"] == {"at_least_revision": revision}
        assert batch[0].reason == "not_found" and batch.revision >= revision

        # A consistency chosen by the caller is sent as it is.
        bounded = client.check(user_id=owner.id, action="read", resource_type="generation", resource_id="g1",
                               consistency="minimize_latency")
        assert recorder.bodies[-1]["consistency"] == "minimize_latency" and bounded.consistency == "bounded"

    # A revision the server has not reached is refused (SPEC 8.4), not waited for forever.
    ahead = RevisionTracker(10**12)
    with server.client(revisions=ahead) as future, pytest.raises(InvalidRequest) as raised:
        future.check(user_id=owner.id, action="read", resource_type="generation", resource_id="g1")
    assert "consistency" in (raised.value.field or raised.value.message)
