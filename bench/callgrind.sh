#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable on a noisy machine, where req/s is not.
#
#   bench/callgrind.sh [--binary PATH] [--floor PATH | --no-floor] [--port PORT] [--requests N] [--warmup W]
#                      [--connections K] [--scenarios LIST] [--data-dir DIR] [--users U] [--generations G] [--out DIR]
#
# For each scenario (default health, check-hot, check-cold) the server runs under `valgrind --tool=callgrind` twice, each
# time from a fresh copy of the same seeded data directory: once driven with W + N requests, once with W (the same
# sequence, bench/drive.py: one request at a time, round robin over K keep-alive connections) and then left idle as
# long as the first run was up. Both runs pay the same start-up, warm-up, timers and shutdown, so
# (instructions(W + N) - instructions(W)) / N is what one request costs once warm. The floor (portcullis-floor, a
# bare SwiftNIO server) is measured the same way with health's requests.
#
# Only the binary and a port are needed: the server is started as `BINARY serve --data-dir DIR --port PORT` with
# PORTCULLIS_ADMIN_KEY set, so any build of Portcullis (or a later server with that command line) can be measured.
# Defaults: .build/release/portcullis, portcullis-floor beside it, port 18191, N = 20000, W = 3000 (check-hot's 1,000
# checks seen three times: admitted to L1 on the second sighting, promoted to L2/L3 on the first reuse, so the measured
# requests are steady-state L1 hits), K = 4, a 1,000-user / 10,000-generation dataset seeded
# with the binary itself. Needs valgrind, python3, objcopy and cc. Prints a table; writes results.tsv and the
# callgrind files (open them with callgrind_annotate to see where the instructions go) to the output folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=.build/release/portcullis
floor=
use_floor=1
port=18191
requests=20000
warmup=3000
connections=4
scenarios=health,check-hot,check-cold
data=
users=1000
generations=10000
out=/tmp/portcullis-callgrind
key=pcs_bench-callgrind-key-0123456789abcdefghijklmnopqrstuvwxyz

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --floor) floor=$2; shift 2 ;;
        --no-floor) use_floor=0; shift ;;
        --port) port=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --scenarios) scenarios=$2; shift 2 ;;
        --data-dir) data=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --generations) generations=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage 64 >&2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }
command -v objcopy >/dev/null && command -v cc >/dev/null || { echo "needs objcopy and cc (apt-get install binutils gcc)" >&2; exit 1; }
[ -x "$binary" ] || { echo "no executable at $binary (swift build -c release)" >&2; exit 1; }
[ "$requests" -gt 0 ] || { echo "--requests must be positive" >&2; exit 64; }
listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; }
# Start-up is awaited by connecting: something else on the port would be measured in the server's place.
! listening || { echo "something already listens on port $port: give --port" >&2; exit 1; }
if [ "$use_floor" = 1 ] && [ -z "$floor" ]; then
    floor=$(dirname "$binary")/portcullis-floor
    [ -x "$floor" ] || { echo "no portcullis-floor beside $binary: give --floor PATH or --no-floor" >&2; exit 1; }
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/callgrind.*.out

# Valgrind 3.19 (Debian 12) gives up on the DWARF 5 debug info Swift's toolchain writes ("unhandled dwarf2 abbrev
# form code 0x25"), so the runs use copies without it: the symbols stay (callgrind_annotate still names functions),
# and debug info changes no instruction that runs. The copies keep the originals' names, so logs read the same.
mkdir -p "$out/bin"
objcopy --strip-debug "$binary" "$out/bin/$(basename "$binary")"
server_binary=$out/bin/$(basename "$binary")
if [ "$use_floor" = 1 ]; then
    objcopy --strip-debug "$floor" "$out/bin/$(basename "$floor")"
    floor_binary=$out/bin/$(basename "$floor")
fi
# Valgrind 3.19 also deletes a signal of its own from the mask a program passes to sigsuspend, in place. Swift's async
# main ends in libdispatch's dispatch_main, whose mask is a constant in read-only memory, so every `portcullis` run
# (even --version) kills valgrind with "the 'impossible' happened" (SIGSEGV at _dispatch_sigsuspend.mask). This
# preloaded sigsuspend hands the kernel a writable copy; it runs once per process, alike in every run.
cat >"$out/bin/sigsuspend-copy.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)(_NSIG / 8));
}
C
cc -shared -fPIC -O2 -o "$out/bin/sigsuspend-copy.so" "$out/bin/sigsuspend-copy.c"

if [ -z "$data" ]; then
    data=$out/data-$users-$generations
    if [ ! -f "$data/portcullis.sqlite" ]; then
        rm -rf "$data"
        "$binary" seed --data-dir "$data" --users "$users" --teams $((users / 10)) --projects $((generations / 20)) \
            --generations "$generations" >&2
    fi
fi

pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

# One run under callgrind of the floor or of the server (on a fresh copy of the seeded data, so no run sees a cache
# left by the one before), driven with `count` requests of `scenario`, then held open, idle, until `hold` seconds
# have passed since it began to listen (0: stopped at once). Prints its total instructions (Ir) and how long it
# listened. Start-up is awaited by connecting without sending anything (a refused connect never reaches the server),
# so every run sees exactly one such connection.
measure() { # floor|server scenario count hold
    local kind=$1 scenario=$2 count=$3 hold=$4
    local file=$out/callgrind.$scenario.$count.out log=$out/$scenario.$count.log
    local command
    if [ "$kind" = floor ]; then
        command=("$floor_binary" --port "$port")
    else
        rm -rf "$out/run-data" && cp -a "$data" "$out/run-data"
        command=("$server_binary" serve --data-dir "$out/run-data" --port "$port")
    fi
    # Swift seeds its hashing at random in each process, which moves entries in every Set and Dictionary (and the
    # instructions spent probing them) from run to run: fixed here, as in the two runs that are subtracted.
    env PORTCULLIS_ADMIN_KEY=$key LOG_LEVEL=warning SWIFT_DETERMINISTIC_HASHING=1 LD_PRELOAD="$out/bin/sigsuspend-copy.so" \
        valgrind --tool=callgrind --vgdb=no --callgrind-out-file="$file" "${command[@]}" >"$log" 2>&1 &
    pid=$!
    local waited=0
    until listening; do
        kill -0 "$pid" 2>/dev/null || { echo "$scenario did not start:" >&2; cat "$log" >&2; exit 1; }
        waited=$((waited + 1))
        [ "$waited" -lt 1200 ] || { echo "$scenario did not listen on $port within 120 s" >&2; exit 1; }
        sleep 0.1
    done
    local listening_since=$EPOCHREALTIME
    python3 "$here/drive.py" --port "$port" --scenario "$scenario" --requests "$count" --connections "$connections" \
        --key "$key" --users "$users" --generations "$generations" 2>>"$log" \
        || { echo "driving $scenario failed:" >&2; tail -5 "$log" >&2; exit 1; }
    sleep "$(awk -v since="$listening_since" -v hold="$hold" -v now="$EPOCHREALTIME" 'BEGIN { r = since + hold - now; print (r > 0 ? r : 0) }')"
    local listened
    listened=$(awk -v since="$listening_since" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - since }')
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
    local total
    total=$(sed -n 's/^totals: *//p' "$file" | head -1 | cut -d' ' -f1)
    [ -n "$total" ] || { echo "no instruction total in $file:" >&2; tail -5 "$log" >&2; exit 1; }
    echo "$total $listened"
}

results=$out/results.tsv
printf 'scenario\tbinary\tinstructions_%d\tinstructions_%d\tinstructions_per_request\tseconds_listening\n' \
    "$warmup" $((warmup + requests)) >"$results"
runs=()
[ "$use_floor" = 1 ] && runs+=("floor floor")
IFS=, read -r -a chosen <<<"$scenarios"
for scenario in "${chosen[@]}"; do runs+=("server $scenario"); done
for run in "${runs[@]}"; do
    read -r kind scenario <<<"$run"
    [ "$kind" = floor ] && path=$floor || path=$binary
    echo "== $scenario ($path): $((warmup + requests)) requests, then $warmup held open as long, under callgrind" >&2
    # The W + N run first; the W run then stays up, idle, as long as it did. Valgrind runs the server some 50 times
    # slower, so work on timers (Portcullis flushes its cache every 100 ms and records its hot set every 30 s) would
    # otherwise be charged to requests, and vary with the machine's load; with equal time up it cancels.
    result=$(measure "$kind" "$scenario" $((warmup + requests)) 0)
    read -r full full_seconds <<<"$result"
    result=$(measure "$kind" "$scenario" "$warmup" "$full_seconds")
    read -r base base_seconds <<<"$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s/%s\n' "$scenario" "$path" "$base" "$full" $(( (full - base) / requests )) \
        "$base_seconds" "$full_seconds" >>"$results"
done
rm -rf "$out/run-data"

floor_ipr=$(awk -F'\t' '$1 == "floor" { print $5 }' "$results")
echo
echo "instructions per request (callgrind; N = $requests after $warmup warm-up, $connections keep-alive connections, one request in flight)"
awk -F'\t' -v floor="$floor_ipr" 'NR > 1 {
    ratio = (floor != "" && floor > 0) ? sprintf("%.2fx", $5 / floor) : "-"
    printf "%-14s %12d   %8s of floor\n", $1, $5, ratio
}' "$results"
echo "(results in $results)"
