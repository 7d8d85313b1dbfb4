#!/usr/bin/env bash
# SQLite against PostgreSQL on the 1M dataset (docs/scaling.md, "Performance"): seeds a SQLite data directory,
# migrates it into the private PostgreSQL of Tests/postgres/with_postgres.sh, runs one SQLite node and two PostgreSQL
# nodes of the release binary, and measures check-hot (full, minimize_latency), uncached checks and the cross-node
# invalidation delay. Usage, from the repository:
#   bash Tests/postgres/with_postgres.sh bash bench/postgres-nodes.sh [BINARY [BASELINE_BINARY]]
# With BASELINE_BINARY (e.g. a build of the previous commit) a third PostgreSQL node runs it, and the uncached rounds
# alternate SQLite, the baseline and BINARY on the same database under the same load.
set -euo pipefail
BIN="${1:-.build-rel/release/portcullis}"
BASELINE="${2:-}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/portcullis-pgbench.XXXXXX)"
export PORTCULLIS_ADMIN_KEY=pcs_bench-admin-key-0123456789abcdefghijklmnopqrstuvwxyz
URL="$PORTCULLIS_TEST_POSTGRES_URL"
mkdir -p "$WORK/pg1" "$WORK/pg2" "$WORK/pg-baseline"
sed 's/"resource_id":"g%d"}/"resource_id":"g%d","consistency":"minimize_latency"}/' "$ROOT/bench/check-hot.lua" \
    | sed "s|dofile((debug.getinfo(1, \"S\").source:match(\"^@(.\*/)\") or \"\") .. \"result.lua\")|dofile(\"$ROOT/bench/result.lua\")|" \
    > "$WORK/check-hot-minimize-latency.lua"
( time "$BIN" seed --data-dir "$WORK/sqlite" ) 2>&1 | tail -3
( time "$BIN" migrate --from-sqlite "$WORK/sqlite" --to-postgres "$URL" ) 2>&1 | tail -4
LOG_LEVEL=warning "$BIN" serve --data-dir "$WORK/sqlite" --port 18080 > "$WORK/sqlite.log" 2>&1 &
pids=($!)
for node in 1 2; do
    LOG_LEVEL=warning PORTCULLIS_STORAGE_BACKEND=postgres PORTCULLIS_POSTGRES_URL="$URL" \
        "$BIN" serve --data-dir "$WORK/pg$node" --port $((18080 + node)) > "$WORK/pg$node.log" 2>&1 &
    pids+=($!)
done
ports=(18080 18081 18082)
if [ -n "$BASELINE" ]; then
    LOG_LEVEL=warning PORTCULLIS_STORAGE_BACKEND=postgres PORTCULLIS_POSTGRES_URL="$URL" \
        "$BASELINE" serve --data-dir "$WORK/pg-baseline" --port 18083 > "$WORK/pg-baseline.log" 2>&1 &
    pids+=($!)
    ports+=(18083)
fi
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for port in "${ports[@]}"; do
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break; sleep 0.2; done
done
H="Authorization: Bearer $PORTCULLIS_ADMIN_KEY"
check="/api/v1/authz/check"
wrk -t2 -c16 -d4s -s "$ROOT/bench/check-hot.lua" -H "$H" "http://127.0.0.1:18080$check" >/dev/null
wrk -t2 -c16 -d4s -s "$ROOT/bench/check-hot.lua" -H "$H" "http://127.0.0.1:18081$check" >/dev/null
wrk -t2 -c16 -d4s -s "$WORK/check-hot-minimize-latency.lua" -H "$H" "http://127.0.0.1:18081$check" >/dev/null
# Every run starts on a quiet machine: each node's decision-log queue empty and no batch of it still being inserted.
# Otherwise the run after a PostgreSQL one pays for the tail of its log (PostgreSQL inserting what is still queued, up
# to audit's 100,000 entries), whichever configuration it is. What a run leaves behind is reported instead: the
# entries still queued when it ended and those dropped during it (`log_queued`, `log_dropped`), and the seconds until
# the machine was quiet again (`drain_s`).
audit_figure() { curl -fsS -H "$H" "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 == name { print $2 }'; }
quiet() {
    local port depth
    for port in "${ports[@]}"; do
        for _ in $(seq 1 300); do
            depth="$(curl -fsS -H "$H" "http://127.0.0.1:$port/metrics" | awk '$1 == "portcullis_audit_queue_depth" { print $2 }')"
            [ "${depth:-0}" = "0" ] && break
            sleep 0.1
        done
    done
    for _ in $(seq 1 300); do
        [ "$(psql "$URL" -tAc "SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' AND query LIKE 'INSERT INTO decisions%'")" = "0" ] && break
        sleep 0.1
    done
}
# Five rounds, each starting one place further along the list: a run's position within its round (the first of
# three runs back to back measured higher here) then weighs on every configuration alike.
cached=("sqlite full:18080:$ROOT/bench/check-hot.lua" "postgres full:18081:$ROOT/bench/check-hot.lua"
        "postgres minimize_latency:18081:$WORK/check-hot-minimize-latency.lua")
for round in 1 2 3 4 5; do
    echo "round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
    for offset in 0 1 2; do
        IFS=: read -r name port script <<< "${cached[$(( (round - 1 + offset) % 3 ))]}"
        quiet
        dropped="$(audit_figure "$port" portcullis_audit_dropped_total)"
        result="$(wrk -t2 -c64 -d8s -s "$script" -H "$H" "http://127.0.0.1:$port$check" | grep '^RESULT')"
        queued="$(audit_figure "$port" portcullis_audit_queue_depth)"
        dropped=$(( $(audit_figure "$port" portcullis_audit_dropped_total) - dropped ))
        drain_start=$(date +%s%N)
        quiet
        echo "  $name: $result log_queued=$queued log_dropped=$dropped drain_s=$(awk -v ns=$(( $(date +%s%N) - drain_start )) 'BEGIN { printf "%.1f", ns / 1e9 }')"
    done
done
uncached=("sqlite:18080" "postgres:18081")
if [ -n "$BASELINE" ]; then uncached=("sqlite:18080" "postgres baseline:18083" "postgres:18081"); fi
for round in 1 2 3; do
    echo "uncached round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
    for offset in "${!uncached[@]}"; do
        IFS=: read -r name port <<< "${uncached[$(( (round - 1 + offset) % ${#uncached[@]} ))]}"
        quiet
        echo "  uncached (explain), $name, one connection: $(wrk -t1 -c1 -d6s --latency -s "$ROOT/bench/check-explain.lua" \
            -H "$H" "http://127.0.0.1:$port$check" | grep -E '50%|99%' | tr -s ' ' | tr '\n' ' ')"
    done
done
python3 "$ROOT/bench/cross-node-invalidation.py" 18082 18081 "$PORTCULLIS_ADMIN_KEY"
# How each node answered: on the event loop (answered) or through the router (passed_on), and the gate's reads.
for port in 18080 18081; do
    echo "port $port fast path: $(curl -fsS -H "$H" "http://127.0.0.1:$port/api/v1/performance/dashboard" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin).get("fast_path"))')" \
        "$(curl -fsS "http://127.0.0.1:$port/api/v1/performance/health" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["components"].get("change_feed", ""))')"
done
