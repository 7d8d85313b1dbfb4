#!/usr/bin/env bash
# Soak: a long mixed load (reads, writes, logins, revocations) against `portcullis serve --demo`, printing the
# server's RSS and open-descriptor curve every few seconds. Fails on any unexpected answer, on RSS that keeps
# growing after warm-up, or on descriptor growth. Not part of every CI run:
#
#   Tests/soak/soak.sh                       # 10 minutes, 8 client threads, release binary when built
#   SOAK_SECONDS=60 Tests/soak/soak.sh       # a short one
#
# PORTCULLIS_BINARY picks the binary (default: .build/release/portcullis if present, else the debug one).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${PORTCULLIS_BINARY:-}" ]; then
    if [ -x .build/release/portcullis ]; then PORTCULLIS_BINARY=.build/release/portcullis
    else PORTCULLIS_BINARY=$(swift build --show-bin-path)/portcullis; fi
fi
work=$(mktemp -d /tmp/portcullis-soak.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin_key="pcs_soak-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "soak: $PORTCULLIS_BINARY on port $port for ${SOAK_SECONDS:-600} s"
PORTCULLIS_ADMIN_KEY=$admin_key PORTCULLIS_PASSWORD_ITERATIONS=100000 PORTCULLIS_LOGIN_FAILURES_PER_ADDRESS=1000000 \
    "$PORTCULLIS_BINARY" serve --demo --data-dir "$work/data" --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.2
done
SOAK_PORT=$port SOAK_PID=$server_pid SOAK_ADMIN_KEY=$admin_key python3 Tests/soak/soak.py
