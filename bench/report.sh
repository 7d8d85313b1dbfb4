#!/usr/bin/env bash
# Measures what docs/benchmarks.md reports, on this machine, with a release build:
#   1. check-hot / check-uniform / check-cold / health across dataset sizes (10k, 100k, 1M generations);
#   2. every scenario of `portcullis bench` on the 1M dataset, with the cache on and off;
#   3. 10,000 open connections at fixed rates.
# Every run also measures the floor (portcullis-floor, which must sit beside the binary: `swift build -c release`
# builds both), and reports each scenario relative to it.
# Usage: bench/report.sh [PORTCULLIS_BINARY] [OUTPUT_DIR]   (needs wrk; prints tables, writes JSON per run)
# Environment: DURATION (seconds per scenario, 10), CONNECTIONS (for 1. and the cache-off run, 64,16), ROUNDS (1).
set -euo pipefail
binary=${1:-.build/release/portcullis}
out=${2:-/tmp/portcullis-bench-report}
port=18181
key=pcs_bench-report-key-0123456789abcdefghijklmnopqrstuvwxyz
duration=${DURATION:-10}
connections=${CONNECTIONS:-64,16}
rounds=${ROUNDS:-1}
[ -x "$(dirname "$binary")/portcullis-floor" ] || { echo "no portcullis-floor beside $binary (swift build -c release)" >&2; exit 1; }
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"

server_pid=""
start_server() { # data-dir, extra env...
    local dir=$1; shift
    env PORTCULLIS_ADMIN_KEY=$key LOG_LEVEL=warning "$@" "$binary" serve --data-dir "$dir" --port $port >"$out/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "server did not start" >&2; cat "$out/serve.log" >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }
trap 'kill $server_pid 2>/dev/null || true' EXIT

for size in 10000 100000 1000000; do
    dir="$out/data-$size"
    if [ ! -f "$dir/portcullis.sqlite" ]; then
        users=$((size / 10)); teams=$((size / 100)); projects=$((size / 20))
        "$binary" seed --data-dir "$dir" --users $users --teams $teams --projects $projects --generations $size
    fi
done

echo "== dataset sizes (cache on)"
for size in 10000 100000 1000000; do
    start_server "$out/data-$size"
    "$binary" bench --url http://127.0.0.1:$port --key $key --duration "$duration" --users $((size / 10)) --generations $size \
        --scenarios health,check-hot,check-uniform,check-cold --connections "$connections" --rounds "$rounds" --server-pid "$server_pid" \
        --json "$out/size-$size.json"
    stop_server
done

echo "== all scenarios, 1M generations, cache on"
start_server "$out/data-1000000"
"$binary" bench --url http://127.0.0.1:$port --key $key --duration "$duration" --scenarios all --rounds "$rounds" --server-pid "$server_pid" \
    --json "$out/all-cached.json"
stop_server

echo "== check scenarios, 1M generations, cache off"
start_server "$out/data-1000000" PORTCULLIS_CACHE_ENABLED=false
"$binary" bench --url http://127.0.0.1:$port --key $key --duration "$duration" --scenarios health,check-hot,check-uniform,check-cold \
    --connections "$connections" --rounds "$rounds" --server-pid "$server_pid" --json "$out/uncached.json"
stop_server

echo "== 10,000 connections at fixed rates, 1M generations"
start_server "$out/data-1000000"
"$binary" bench --url http://127.0.0.1:$port --key $key --duration "$duration" --scenarios connections --scale-rates 1000,2000,4000,6000,8000 \
    --server-pid "$server_pid" --json "$out/connections.json"
stop_server
echo "results in $out"
