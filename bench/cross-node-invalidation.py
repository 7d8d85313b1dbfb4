# Cross-node invalidation delay (SPEC 8.4): a membership written on one node, then another node asked with
# minimize_latency until its answer changes (it holds the old answer cached); 300 writes, p50/p99 of acknowledgement
# to new answer. Usage: python3 bench/cross-node-invalidation.py WRITER_PORT READER_PORT ADMIN_KEY
import http.client, json, sys, time
writer_port, reader_port, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
H = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
w = http.client.HTTPConnection("127.0.0.1", writer_port); r = http.client.HTTPConnection("127.0.0.1", reader_port)
def call(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=H)
    resp = c.getresponse(); data = resp.read(); return resp.status, data
for path, body in [("/api/v1/users", {"id": "inv", "email": "inv@example.com"}),
                   ("/api/v1/teams", {"id": "tinv", "name": "Inv", "owner_id": "u0"}),
                   ("/api/v1/projects", {"id": "pinv", "name": "Inv", "owner_id": "u0", "team_id": "tinv", "visibility": "team"}),
                   ("/api/v1/generations", {"id": "ginv", "owner_id": "u0", "project_id": "pinv", "status": "completed"})]:
    s, d = call(w, "POST", path, body); assert s == 201, (path, s, d)
check = {"user_id": "inv", "action": "read", "resource_type": "generation", "resource_id": "ginv", "consistency": "minimize_latency"}
delays = []; member = False
for i in range(300):
    # The reader holds the current answer cached.
    for _ in range(3): call(r, "POST", "/api/v1/authz/check", check)
    if member: s, _ = call(w, "DELETE", "/api/v1/teams/tinv/members/inv")
    else: s, _ = call(w, "PUT", "/api/v1/teams/tinv/members/inv", {"role": "viewer"})
    acked = time.perf_counter(); member = not member; assert 200 <= s < 300, s
    while True:
        s, d = call(r, "POST", "/api/v1/authz/check", check)
        if s == 200 and json.loads(d)["allowed"] == member: break
    delays.append((time.perf_counter() - acked) * 1000)
delays.sort()
print("cross-node invalidation (write acknowledged on %d -> %d answers anew, minimize_latency): n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms"
      % (writer_port, reader_port, len(delays), delays[len(delays)//2], delays[int(len(delays)*0.99)], delays[-1]))
