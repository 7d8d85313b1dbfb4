#!/usr/bin/env bash
# Prometheus' own linter on a live server's /metrics: `portcullis serve --demo`, some traffic of every kind
# (checks cached and not, a sign-in, end-user reads, management), then `promtool check metrics`, which must exit 0.
#
#   Tests/prometheus/run_promtool.sh       # needs a built debug binary (`swift build`) and promtool (Debian: prometheus)
#
# The exposition is kept in $PROMTOOL_OUTPUT (default /tmp/portcullis-metrics.txt) for a look after a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=${PORTCULLIS_BINARY:-$(swift build --show-bin-path)/portcullis}
output=${PROMTOOL_OUTPUT:-/tmp/portcullis-metrics.txt}
command -v promtool >/dev/null 2>&1 || { echo "promtool is missing (apt-get install prometheus)" >&2; exit 1; }

work=$(mktemp -d /tmp/portcullis-promtool.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin_key="pcs_promtool-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

PORTCULLIS_ADMIN_KEY=$admin_key PORTCULLIS_PASSWORD_ITERATIONS=100000 LOG_LEVEL=warning \
    "$binary" serve --demo --data-dir "$work/data" --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
    curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.2
done

admin=(-H "Authorization: Bearer $admin_key")
json=(-H 'Content-Type: application/json')
for resource in gen-00001 gen-00001 gen-00002 gen-00002 gen-00003; do
    curl -fsS "${admin[@]}" "${json[@]}" -o /dev/null \
        -d "{\"user_id\":\"bob\",\"action\":\"read\",\"resource_type\":\"generation\",\"resource_id\":\"$resource\"}" "$base/api/v1/authz/check"
done
token=$(curl -fsS "${json[@]}" -d '{"email":"alice@demo.portcullis","password":"portcullis-demo"}' "$base/api/v1/auth/login" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
curl -fsS -H "Authorization: Bearer $token" -o /dev/null "$base/api/v1/me"
curl -sS -H "Authorization: Bearer $token" -o /dev/null "$base/api/v1/generations/gen-00001"
curl -sS -H "Authorization: Bearer $token" -o /dev/null "$base/api/v1/generations/gen-00001/media-url"
curl -fsS "${admin[@]}" -o /dev/null "$base/api/v1/users?limit=5"
curl -sS -o /dev/null "$base/api/v1/users"
curl -fsS "${admin[@]}" -o "$output" "$base/metrics"

grep -q '^# TYPE portcullis_operation_duration_seconds histogram$' "$output" || { echo "no latency histogram in /metrics" >&2; exit 1; }
echo "== promtool check metrics ($(grep -vc '^#' "$output") samples)"
promtool check metrics <"$output"
echo "promtool: /metrics passes"
