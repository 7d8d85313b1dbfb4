#!/usr/bin/env bash
# Schema-driven fuzzing: schemathesis against a live `portcullis serve --demo`, every operation of
# docs/openapi.yaml, with the admin key (and the end-user operations again with a user token). Fails on any 5xx, any response that breaks its schema,
# any status code or content type the document does not list.
#
#   Tests/contract/run_schemathesis.sh            # CI: bounded examples per operation
#   ST_MAX_EXAMPLES=500 Tests/contract/run_schemathesis.sh
#
# Needs a built debug binary (`swift build`) and schemathesis (installed when absent).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

max_examples=${ST_MAX_EXAMPLES:-40}
seed=${ST_SEED:-20260131}
binary=${PORTCULLIS_BINARY:-$(swift build --show-bin-path)/portcullis}
command -v st >/dev/null 2>&1 || python3 -m pip install -q schemathesis
command -v st >/dev/null 2>&1 || { echo "schemathesis did not install" >&2; exit 1; }

work=$(mktemp -d /tmp/portcullis-schemathesis.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin_key="pcs_schemathesis-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The minimum PBKDF2 cost keeps user creates fast; the login throttle stays at its defaults (429 is in the document).
PORTCULLIS_ADMIN_KEY=$admin_key PORTCULLIS_PASSWORD_ITERATIONS=100000 LOG_LEVEL=warning \
    "$binary" serve --demo --data-dir "$work/data" --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.2
done

export PYTHONPATH="$PWD/Tests/contract${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks
# fuzz LABEL BEARER [schemathesis options...]: one run over docs/openapi.yaml (OpenAPIContractTests keeps it equal to
# the document the server serves, and its operations equal to the route table).
fuzz() {
    local label=$1 bearer=$2
    shift 2
    echo "== schemathesis: $label"
    # From the scratch folder: schemathesis leaves a .schemathesis/ cache in its working directory.
    (cd "$work" && st run "$root/docs/openapi.yaml" \
        --url "$base" \
        -H "Authorization: Bearer $bearer" \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
        --max-examples "$max_examples" \
        --seed "$seed" \
        --workers 1 \
        --request-timeout 30 \
        --generation-database none \
        --suppress-health-check all \
        --report junit --report-junit-path "$work/junit-$label.xml" \
        --no-color \
        "$@")
}

status=0
# One worker: with two, schemathesis' coverage phase compiles regexes from two threads and CPython 3.11 fails inside
# it now and then ("AST constructor recursion depth mismatch"), an error of the tool, not of the server.
# The end-user operations with a user token (the demo's alice), where the admin key would only get 403s; first, as
# the administrator's run below may change or delete alice.
# Logout is left out: it would revoke the token the rest of the run uses.
token=$(curl -fsS "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"alice@demo.portcullis","password":"portcullis-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# (No coverage phase here: schemathesis 4.32's coverage walk fails with an internal KeyError on this subset.)
fuzz user "$token" --phases examples,fuzzing --include-path-regex '^/api/v1/(me|generations/\{id\}.*|authz/.*)$' || status=$?
# Every operation with the administrator key.
# The change stream is left out: it is answered with an event stream that stays open by design (every request would
# wait out the request timeout); ChangeStreamTests drive it over real sockets.
# GET /api/v1/changes runs without the coverage phase, whose walk of its parameters fails inside schemathesis 4.32
# (hypothesis: "AST constructor recursion depth mismatch"), not in the server.
fuzz admin "$admin_key" --phases examples,coverage,fuzzing --exclude-path /api/v1/changes/stream --exclude-path /api/v1/changes \
    || status=$?
fuzz changes "$admin_key" --phases examples,fuzzing --include-path /api/v1/changes || status=$?

# The server must have survived the run and answered no 5xx at all (schemathesis checks its own requests; this checks
# that nothing in the log says otherwise).
curl -fsS "$base/api/v1/health" >/dev/null || { echo "the server is not healthy after the run" >&2; status=1; }
if grep -E 'unhandled error|status=5[0-9][0-9]' "$work/server.log" >&2; then
    echo "the server logged 5xx answers or unhandled errors" >&2
    status=1
fi
exit "$status"
