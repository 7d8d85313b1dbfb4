"""Mixed load against a running Portcullis, sampling the server's RSS and open descriptors (run by soak.sh).

Reads (checks, batches, generation reads, /me), writes (users, projects, generations, memberships, patches, over a
bounded set of entities so that the data reaches a steady state),
logins and revocations (logout; API keys created and deleted) from several threads with keep-alive connections.
Every answer must be the expected status; RSS must level off and descriptors must not grow.
"""
import http.client
import json
import os
import random
import sys
import threading
import time

port = int(os.environ["SOAK_PORT"])
pid = int(os.environ["SOAK_PID"])
admin = os.environ["SOAK_ADMIN_KEY"]
seconds = int(os.environ.get("SOAK_SECONDS", "600"))
workers = int(os.environ.get("SOAK_WORKERS", "8"))
interval = float(os.environ.get("SOAK_SAMPLE_SECONDS", "5"))

stop = threading.Event()
lock = threading.Lock()
counts = {"requests": 0, "errors": 0}
errors = []
kinds = {}


def rss_kib(field="VmRSS:"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


def open_fds():
    return len(os.listdir(f"/proc/{pid}/fd"))


class Client:
    def __init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, kind, method, path, bearer=None, body=None, expect=(200,)):
        headers = {}
        if bearer:
            headers["Authorization"] = "Bearer " + bearer
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError) as error:
                # A keep-alive connection the server closed (idle timeout) is retried once on a new one.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if attempt == 2:
                    record(kind, f"{method} {path}: {error!r}")
                    return None, None
        with lock:
            counts["requests"] += 1
            kinds[kind] = kinds.get(kind, 0) + 1
        if response.status not in expect:
            record(kind, f"{method} {path}: {response.status} {payload[:200]!r}")
            return response.status, None
        return response.status, (json.loads(payload) if payload and payload[:1] in (b"{", b"[") else None)


def record(kind, message):
    with lock:
        counts["errors"] += 1
        if len(errors) < 20:
            errors.append(f"{kind}: {message}")


def worker(number):
    rng = random.Random(number)
    client = Client()
    serial = 0
    tokens = []
    created = set()
    while not stop.is_set():
        serial += 1
        tag = f"w{number}-{serial}"
        roll = rng.random()
        if roll < 0.35:
            client.call("check", "POST", "/api/v1/authz/check", admin, {
                "user_id": rng.choice(["alice", "bob", "carol", "dave", "erin", f"soak-u-w{number}-1"]),
                "action": rng.choice(["read", "update", "delete", "download"]),
                "resource_type": "generation", "resource_id": f"gen-{rng.randrange(0, 2000):05d}"})
        elif roll < 0.42:
            checks = [{"user_id": "bob", "action": "read", "resource_type": "generation",
                       "resource_id": f"gen-{rng.randrange(0, 2000):05d}"} for _ in range(50)]
            client.call("batch", "POST", "/api/v1/authz/check-batch", admin, {"checks": checks})
        elif roll < 0.52:
            client.call("read", "GET", f"/api/v1/generations/gen-{rng.randrange(0, 2000):05d}", admin, expect=(200, 404))
        elif roll < 0.58:
            if tokens:
                client.call("me", "GET", "/api/v1/me", rng.choice(tokens))
        elif roll < 0.66:
            # Writes over a bounded set of entities (so the data, and with it the memory, can reach a steady state):
            # a worker's first visit to a slot creates a user, a project of theirs in a team, a generation in it and
            # a membership; later visits change them.
            slot = serial % 40
            user, project, generation = f"soak-u-w{number}-{slot}", f"soak-p-w{number}-{slot}", f"soak-g-w{number}-{slot}"
            if slot not in created:
                created.add(slot)
                client.call("write", "POST", "/api/v1/users", admin, {"id": user, "email": f"{user}@soak.test"}, expect=(201,))
                client.call("write", "POST", "/api/v1/projects", admin,
                            {"id": project, "name": "Soak", "owner_id": user, "team_id": "studio", "visibility": "team"},
                            expect=(201,))
                client.call("write", "POST", "/api/v1/generations", admin,
                            {"id": generation, "owner_id": user, "project_id": project}, expect=(201,))
            client.call("write", "PUT", f"/api/v1/teams/studio/members/{user}", admin,
                        {"role": rng.choice(["viewer", "editor"]), "is_active": rng.random() < 0.8}, expect=(200, 201))
            client.call("write", "PATCH", f"/api/v1/generations/{generation}", admin,
                        {"status": rng.choice(["running", "completed"]), "media_key": f"soak/{tag}.png"})
            client.call("write", "PATCH", f"/api/v1/users/{user}", admin, {"display_name": f"Soak {tag}"})
        elif roll < 0.70:
            client.call("write", "PATCH", "/api/v1/projects/project-01", admin,
                        {"visibility": rng.choice(["team", "public", "private"])})
        elif roll < 0.78:
            # A sign-in, and a sign-out of the oldest token once a worker holds four: tokens stay bounded.
            status, body = client.call("login", "POST", "/api/v1/auth/login", None,
                                       {"email": "alice@demo.portcullis", "password": "portcullis-demo"})
            if body:
                tokens.append(body["token"])
            if len(tokens) > 3:
                token = tokens.pop(0)
                client.call("revoke", "POST", "/api/v1/auth/logout", token, expect=(204,))
                client.call("revoke", "GET", "/api/v1/me", token, expect=(401,))
        elif roll < 0.80:
            status, body = client.call("revoke", "POST", "/api/v1/api-keys", admin, {"name": tag}, expect=(201,))
            if body:
                client.call("revoke", "POST", "/api/v1/authz/check", body["key"], {
                    "user_id": "bob", "action": "read", "resource_type": "generation", "resource_id": "gen-00001"})
                client.call("revoke", "DELETE", f"/api/v1/api-keys/{body['id']}", admin, expect=(204,))
                client.call("revoke", "POST", "/api/v1/authz/check", body["key"], {
                    "user_id": "bob", "action": "read", "resource_type": "generation", "resource_id": "gen-00001"},
                    expect=(401,))
        else:
            client.call("health", "GET", "/api/v1/health")


def main():
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(workers)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    samples = []
    # RSS counts the database pages read through its memory map (page cache, growing with the database); anonymous
    # RSS is the process's own memory, and the one that must level off.
    print(f"{'t (s)':>6} {'RSS (MiB)':>10} {'anon (MiB)':>11} {'fds':>5} {'req/s':>8} {'requests':>9} {'errors':>7}", flush=True)
    last_requests, last_time = 0, start
    while time.monotonic() - start < seconds:
        time.sleep(interval)
        now = time.monotonic()
        with lock:
            requests, failures = counts["requests"], counts["errors"]
        rate = (requests - last_requests) / (now - last_time)
        last_requests, last_time = requests, now
        sample = (now - start, rss_kib("RssAnon:") / 1024, open_fds(), rate, requests, failures, rss_kib() / 1024)
        samples.append(sample)
        print(f"{sample[0]:6.0f} {sample[6]:10.1f} {sample[1]:11.1f} {sample[2]:5d} {sample[3]:8.0f} {sample[4]:9d} {sample[5]:7d}", flush=True)
    stop.set()
    for thread in threads:
        thread.join(timeout=35)

    print("requests by kind:", json.dumps(kinds, sort_keys=True))
    problems = []
    if counts["errors"]:
        problems.append(f"{counts['errors']} unexpected answers, e.g. " + "; ".join(errors[:5]))
    # Level-off: the in-memory cache keeps answers for its 5-minute TTL, so memory grows for that long by design.
    # After warm-up (the TTL plus a minute, or the first fifth of a longer run), the peak of the last fifth may not
    # exceed the peak of the two minutes after warm-up by more than 10 % (and 16 MiB); descriptors may not grow
    # beyond a few.
    fifth = max(1, len(samples) // 5)
    warm = max(fifth, sum(1 for s in samples if s[0] <= 360))
    window = max(1, sum(1 for s in samples if 360 < s[0] <= 480)) if warm > fifth else fifth
    settled, late = samples[warm:warm + window], samples[-fifth:]
    if settled and late:
        settled_rss, late_rss = max(s[1] for s in settled), max(s[1] for s in late)
        settled_fds, late_fds = max(s[2] for s in settled), max(s[2] for s in late)
        print(f"anonymous RSS: {settled_rss:.1f} MiB after warm-up, {late_rss:.1f} MiB at the end; fds {settled_fds} → {late_fds}")
        if late_rss > settled_rss * 1.10 and late_rss - settled_rss > 16:
            problems.append(f"anonymous RSS still growing: {settled_rss:.1f} → {late_rss:.1f} MiB")
        if late_fds > settled_fds + 8:
            problems.append(f"open descriptors grew: {settled_fds} → {late_fds}")
    if problems:
        print("SOAK FAILED: " + " | ".join(problems))
        sys.exit(1)
    print("soak ok")


main()
