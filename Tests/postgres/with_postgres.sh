#!/usr/bin/env bash
# Runs a command against a private, throw-away PostgreSQL 15 cluster:
#   bash Tests/postgres/with_postgres.sh swift test --filter 'Postgres|StoreConformance'
# The cluster lives in a temporary folder (data, log and unix socket), listens on 127.0.0.1 on a free port, trusts
# local connections, and is stopped and removed when the command ends, whatever its outcome. The command sees
# PORTCULLIS_TEST_POSTGRES_URL and exits with the command's status.
# Debian's postgresql-15 is installed when absent (as root). PostgreSQL refuses to run as root, so as root the
# cluster runs as the `postgres` user the package creates.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "with_postgres.sh: $bin/initdb is missing; install postgresql-15 (apt-get install postgresql-15)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15
fi

folder="$(mktemp -d /tmp/portcullis-postgres.XXXXXX)"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$folder"
    as_owner=(runuser -u postgres --)
fi

# A free port on the loopback interface, chosen by the kernel.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

stop() {
    "${as_owner[@]}" "$bin/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$folder"
}
trap stop EXIT

"${as_owner[@]}" "$bin/initdb" -D "$folder/data" -U portcullis --auth=trust -E UTF8 >"$folder/initdb.log" 2>&1 \
    || { cat "$folder/initdb.log" >&2; exit 1; }
# Durability is not under test here: fsync off keeps the suite fast. Each store of the conformance suite holds a few
# connections, and tests run in parallel.
options="-p $port -k $folder -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=400"
"${as_owner[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -o "$options" start >/dev/null \
    || { cat "$folder/server.log" >&2; exit 1; }
# What a test runs to restart the server under load (a fast shutdown: every acknowledged commit survives it). The
# server must inherit none of the caller's descriptors: a caller waiting for one to close (its output, or how
# Foundation's Process learns that its child ended) would wait for the server to exit.
printf '#!/usr/bin/env bash\nfor fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done\nexec %s %s -D %s -l %s -w -m fast -o "%s" restart >/dev/null 2>&1 </dev/null\n' \
    "${as_owner[*]}" "$bin/pg_ctl" "$folder/data" "$folder/server.log" "$options" > "$folder/restart.sh"
chmod 755 "$folder/restart.sh"
"${as_owner[@]}" "$bin/createdb" -h "$folder" -p "$port" -U portcullis portcullis_test

export PORTCULLIS_TEST_POSTGRES_URL="postgres://portcullis@127.0.0.1:$port/portcullis_test?sslmode=disable"
# Only for a run that asks (WITH_POSTGRES_RESTARTS=1): a restart would fail every other test running at the time.
if [ "${WITH_POSTGRES_RESTARTS:-0}" = 1 ]; then export PORTCULLIS_TEST_POSTGRES_RESTART="$folder/restart.sh"; fi
echo "with_postgres.sh: PostgreSQL 15 on 127.0.0.1:$port ($folder)" >&2
status=0
"$@" || status=$?
exit "$status"
