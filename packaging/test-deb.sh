#!/usr/bin/env bash
# Installs the .deb for real into a fresh minimal Debian 12 root (debootstrap) and runs it there: install with its
# Depends from Debian, start the installed binary on the installed config as the service user, check health, the
# dashboard and an authorization check with the generated admin key, doctor and backup, an upgrade in place, the same
# package on PostgreSQL 15 (storage.backend in the installed config, the shared admin key from a systemd drop-in, a
# private cluster on the host) and back on SQLite, then remove (data kept) and purge (data and user gone). Also lints
# the package and verifies the systemd unit, with and without the drop-in.
#
#   packaging/test-deb.sh                    # build the .deb (packaging/build-deb.sh), then test it
#   PORTCULLIS_DEB=dist/x.deb packaging/test-deb.sh   # test an already built package
#   PORTCULLIS_DEB_CONFIGURATION=debug packaging/test-deb.sh   # CI: the package around a debug build (build-deb.sh)
#
# Needs root (debootstrap, chroot, mounts), Debian's package archive and postgresql-15 (installed when absent). Fails
# at the first failed step; mounts, the server, the PostgreSQL cluster and the root folder are cleaned up on any exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
start=$(date +%s)
summary=()
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }
pass() { summary+=("PASS  $*"); printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "test-deb.sh needs root (debootstrap, chroot, mount)"

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v lintian >/dev/null || need+=(lintian)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
    step "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${PORTCULLIS_DEB:-}" ]; then
    step "building the package"
    bash packaging/build-deb.sh
    PORTCULLIS_DEB=$(ls -t dist/portcullis_*_amd64.deb | head -1)
fi
deb=$(realpath "$PORTCULLIS_DEB")
version=$(dpkg-deb --field "$deb" Version)
pass "built $(basename "$deb"): $(du -h "$deb" | cut -f1); Depends: $(dpkg-deb --field "$deb" Depends)"

chroot_dir=$(mktemp -d /var/tmp/portcullis-deb-test.XXXXXX)
chmod 0755 "$chroot_dir"   # a root directory the service user can enter
unit_dir=$(mktemp -d)
server_pid=
postgres_pid=
cleanup() {
    local status=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
    stop_postgres
    for mount in "$chroot_dir/dev/pts" "$chroot_dir/dev" "$chroot_dir/proc"; do
        if mountpoint -q "$mount" 2>/dev/null; then umount -l "$mount" || true; fi
    done
    # Never rm a root whose mounts are still there.
    if ! grep -q " $chroot_dir/" /proc/mounts; then rm -rf --one-file-system "$chroot_dir"; fi
    rm -rf "$unit_dir"
    [ "$status" = 0 ] || printf '\ntest-deb.sh FAILED (exit %s) after %ss\n' "$status" "$(( $(date +%s) - start ))" >&2
}
# The PostgreSQL cluster of the postgres step, when it runs: its input closed, it stops and is removed.
stop_postgres() {
    [ -n "$postgres_pid" ] || return 0
    exec {postgres_input}>&-
    wait "$postgres_pid" || true
    postgres_pid=
}
trap cleanup EXIT
in_root() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

step "lintian"
lintian_output=$(lintian --fail-on error "$deb" 2>&1) || { echo "$lintian_output"; fail "lintian reported errors"; }
echo "${lintian_output:-(no tags)}"
pass "lintian: no errors ($(grep -c '^W:' <<<"$lintian_output" || true) warnings)"

step "systemd-analyze verify on the unit"
# The unit as installed, with the binary where ExecStart names it, in a root of its own that also holds the host's
# units (sysinit.target and the like); the man page of Documentation= is looked up in the package too.
dpkg-deb -x "$deb" "$unit_dir"
cp -an /lib/systemd/system/. "$unit_dir/lib/systemd/system/"
man_check=()
command -v man >/dev/null || man_check=(--man=no)
verify_output=$(MANPATH="$unit_dir/usr/share/man" systemd-analyze verify "${man_check[@]}" --root="$unit_dir" portcullis.service 2>&1) \
    || { echo "$verify_output"; fail "systemd-analyze verify"; }
echo "${verify_output:-(clean)}"
pass "systemd-analyze verify portcullis.service: ${verify_output:-clean}"
exposure=$(systemd-analyze security --offline=true --root="$unit_dir" portcullis.service 2>&1 | sed -n 's/^→ Overall exposure level for portcullis.service: //p')
pass "systemd-analyze security --offline: exposure ${exposure:-not reported}"

step "debootstrap --variant=minbase bookworm into $chroot_dir"
debootstrap --variant=minbase bookworm "$chroot_dir" "$mirror" >"$chroot_dir.debootstrap.log" 2>&1 \
    || { tail -20 "$chroot_dir.debootstrap.log"; rm -f "$chroot_dir.debootstrap.log"; fail "debootstrap"; }
rm -f "$chroot_dir.debootstrap.log"
mount -t proc proc "$chroot_dir/proc"
mount --bind /dev "$chroot_dir/dev"
mount --bind /dev/pts "$chroot_dir/dev/pts"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
pass "minimal Debian 12 root: $(du -sh --one-file-system "$chroot_dir" | cut -f1)"

step "apt-get install ./$(basename "$deb") in the root"
cp "$deb" "$chroot_dir/tmp/portcullis.deb"
# apt's _apt sandbox user cannot reach a root made by root in /var/tmp: download as root.
in_root apt-get -o APT::Sandbox::User=root update -qq
install_log=$(in_root env DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root install -y --no-install-recommends \
    /tmp/portcullis.deb 2>&1) \
    || { echo "$install_log"; fail "apt-get install"; }
echo "$install_log" | grep -E '^(Setting up|Unpacking|portcullis:)' || true
grep -q "portcullis: the first start writes the administrator API key to /var/lib/portcullis/admin.key" <<<"$install_log" \
    || fail "postinst did not say where the admin key will be"
[ "$(in_root dpkg-query -W -f '${Status}' portcullis)" = "install ok installed" ] || fail "not installed"
in_root getent passwd portcullis | grep -q ':/var/lib/portcullis:/usr/sbin/nologin$' || fail "no system user portcullis"
# Names resolve inside the root: the host has no user portcullis.
owner_mode=$(in_root stat -c '%U:%G %a' /var/lib/portcullis)
[ "$owner_mode" = "portcullis:portcullis 700" ] || fail "/var/lib/portcullis is $owner_mode"
[ -L "$chroot_dir/etc/systemd/system/multi-user.target.wants/portcullis.service" ] || fail "the unit is not enabled"
[ -f "$chroot_dir/usr/share/man/man1/portcullis.1.gz" ] || fail "no man page"
pass "installed $version with its Depends; user portcullis, /var/lib/portcullis 0700, unit enabled, admin key location printed"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
start_server() {
    # No systemd in a chroot: what ExecStart runs, as User=portcullis (the port from the environment, since 8080
    # may be taken on the host; the chroot shares the host's network), with any NAME=VALUE given (what a drop-in's
    # EnvironmentFile= adds).
    chroot --userspec=portcullis:portcullis "$chroot_dir" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
        PORTCULLIS_PORT="$port" "$@" /usr/bin/portcullis serve --config /etc/portcullis/portcullis.toml \
        >>"$chroot_dir/tmp/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS "$base/api/v1/health" >/dev/null 2>&1; then return 0; fi
        kill -0 "$server_pid" 2>/dev/null || { cat "$chroot_dir/tmp/serve.log"; fail "the server exited"; }
        sleep 0.2
    done
    cat "$chroot_dir/tmp/serve.log"
    fail "the server did not answer on $base within 20 s"
}
stop_server() {
    kill -TERM "$server_pid"
    local status=0
    wait "$server_pid" || status=$?
    server_pid=
    [ "$status" = 0 ] || { cat "$chroot_dir/tmp/serve.log"; fail "SIGTERM: exit status $status, expected 0"; }
}

step "portcullis serve --config /etc/portcullis/portcullis.toml as user portcullis, on $base"
start_server
health=$(curl -fsS "$base/api/v1/health")
[ "$health" = '{"status":"ok"}' ] || fail "health answered $health"
pass "GET /api/v1/health: $health"
dashboard=$(curl -fsS -o /dev/null -w '%{http_code} %{content_type}' "$base/dashboard")
case "$dashboard" in "200 text/html"*) ;; *) fail "GET /dashboard: $dashboard" ;; esac
pass "GET /dashboard: $dashboard (assets embedded in the binary)"
key_file=$chroot_dir/var/lib/portcullis/admin.key
key_owner_mode=$(in_root stat -c '%U %a' /var/lib/portcullis/admin.key)
[ "$key_owner_mode" = "portcullis 600" ] || fail "admin.key is $key_owner_mode"
key=$(cat "$key_file")
api() { curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@"; }
api -d '{"id":"alice","email":"alice@example.com"}' "$base/api/v1/users" >/dev/null
api -d '{"id":"gen-1","owner_id":"alice"}' "$base/api/v1/generations" >/dev/null
decision=$(api -d '{"user_id":"alice","action":"download","resource_type":"generation","resource_id":"gen-1"}' "$base/api/v1/authz/check")
grep -q '"allowed":true' <<<"$decision" && grep -q '"reason":"owner"' <<<"$decision" || fail "check answered $decision"
pass "POST /api/v1/authz/check with the key from /var/lib/portcullis/admin.key (0600, owner portcullis): $decision"
unauthorized=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"user_id":"alice","action":"read","resource_type":"generation","resource_id":"gen-1"}' "$base/api/v1/authz/check")
[ "$unauthorized" = 401 ] || fail "a check without the key answered $unauthorized"
pass "the same check without a key: 401"

doctor=$(chroot --userspec=portcullis:portcullis "$chroot_dir" /usr/bin/portcullis doctor --config /etc/portcullis/portcullis.toml) \
    || { echo "$doctor"; fail "doctor"; }
echo "$doctor"
pass "portcullis doctor (server running): $(tail -1 <<<"$doctor")"
backup=$(chroot --userspec=portcullis:portcullis "$chroot_dir" /usr/bin/portcullis backup \
    --config /etc/portcullis/portcullis.toml /tmp/online.backup) || fail "backup"
pass "portcullis backup while serving: $backup"
refused=$(in_root portcullis restore --config /etc/portcullis/portcullis.toml /tmp/online.backup 2>&1) && fail "restore ran over a live server"
grep -q "in use by process" <<<"$refused" || fail "restore refused for another reason: $refused"
pass "portcullis restore while serving: refused"
stop_server
pass "SIGTERM: drained and exited 0"
restored=$(in_root portcullis restore --config /etc/portcullis/portcullis.toml /tmp/online.backup) || fail "restore after stop"
owners=$(in_root stat -c '%U' /var/lib/portcullis/portcullis.sqlite /var/lib/portcullis/serve.lock | sort -u | tr '\n' ' ')
[ "$owners" = "portcullis " ] || fail "after a restore by root the files belong to: $owners"
pass "portcullis restore by root, server stopped: $(head -1 <<<"$restored"); files still owned by portcullis"

step "upgrade in place (the same package again): data and an edited config are kept"
sed -i 's/^#login_failures_per_email = 5 /login_failures_per_email = 7 /' "$chroot_dir/etc/portcullis/portcullis.toml"
grep -q '^login_failures_per_email = 7' "$chroot_dir/etc/portcullis/portcullis.toml" || fail "could not edit the config"
in_root env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/portcullis.deb >/dev/null || fail "dpkg -i over the installed package"
grep -q '^login_failures_per_email = 7' "$chroot_dir/etc/portcullis/portcullis.toml" || fail "the upgrade replaced the edited config"
[ "$(cat "$key_file")" = "$key" ] || fail "the upgrade changed admin.key"
start_server
decision=$(api -d '{"user_id":"alice","action":"download","resource_type":"generation","resource_id":"gen-1"}' "$base/api/v1/authz/check")
grep -q '"allowed":true' <<<"$decision" || fail "after the upgrade the check answered $decision"
stop_server
pass "upgrade: config edit, admin key and (restored) data kept; the same check still allowed"

step "storage.backend = \"postgres\": the same package on PostgreSQL 15, the admin key from a systemd drop-in"
# A private PostgreSQL 15 cluster on the host (the chroot shares its network): Tests/postgres/with_postgres.sh in a
# coprocess that prints the cluster's URL, then holds the cluster until its input closes (stop_postgres).
coproc postgres { exec bash Tests/postgres/with_postgres.sh bash -c 'echo "$PORTCULLIS_TEST_POSTGRES_URL"; read -r _' \
    2>"$unit_dir/postgres.log"; }
postgres_pid=$postgres_PID
postgres_input=${postgres[1]}
read -r postgres_url <&"${postgres[0]}" || { cat "$unit_dir/postgres.log"; fail "PostgreSQL 15 did not start"; }
config=$chroot_dir/etc/portcullis/portcullis.toml
cp -p "$config" "$unit_dir/portcullis.toml.sqlite"
sed -i -e 's|^#backend = "sqlite" |backend = "postgres"|' \
    -e "s|^#postgres_url = \"[^\"]*\"|postgres_url = \"$postgres_url\"|" "$config"
grep -q '^backend = "postgres"' "$config" && grep -qF "postgres_url = \"$postgres_url\"" "$config" \
    || fail "could not set storage.backend and storage.postgres_url in the installed config"
# The shared administrator key as docs/scaling.md gives it to the service: a drop-in naming a file only root reads.
drop_in=etc/systemd/system/portcullis.service.d/override.conf
install -d -m 0755 "$chroot_dir/$(dirname "$drop_in")" "$unit_dir/$(dirname "$drop_in")"
printf '[Service]\nEnvironmentFile=/etc/portcullis/admin-key.env\n' >"$chroot_dir/$drop_in"
cp "$chroot_dir/$drop_in" "$unit_dir/$drop_in"
shared_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf 'PORTCULLIS_ADMIN_KEY=%s\n' "$shared_key" >"$chroot_dir/etc/portcullis/admin-key.env")
verify_output=$(MANPATH="$unit_dir/usr/share/man" systemd-analyze verify "${man_check[@]}" --root="$unit_dir" portcullis.service 2>&1) \
    || { echo "$verify_output"; fail "systemd-analyze verify with the drop-in"; }
[ -z "$verify_output" ] || { echo "$verify_output"; fail "systemd-analyze verify with the drop-in reported problems"; }
environment_file=$(sed -n 's/^EnvironmentFile=//p' "$chroot_dir/$drop_in")
mapfile -t service_environment < <(grep -v '^#' "$chroot_dir$environment_file")
pass "config: storage.backend = \"postgres\", storage.postgres_url = $postgres_url; drop-in $drop_in verified, $environment_file 0600"
start_server "${service_environment[@]}"
health=$(curl -fsS "$base/api/v1/health")
[ "$health" = '{"status":"ok"}' ] || fail "health on PostgreSQL answered $health"
components=$(curl -fsS "$base/api/v1/performance/health")
python3 -c 'import json, sys; c = json.loads(sys.argv[1])["components"]; sys.exit(0 if c["database"]["status"] == c["change_feed"]["status"] == "ok" else 1)' \
    "$components" || fail "performance/health on PostgreSQL: $components"
pass "GET /api/v1/health: $health; performance/health: database and change_feed ok"
sqlite_key_status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/api/v1/api-keys")
[ "$sqlite_key_status" = 401 ] || fail "the SQLite deployment's admin.key answered $sqlite_key_status on PostgreSQL"
pg_api() { curl -fsS -H "Authorization: Bearer $shared_key" -H 'Content-Type: application/json' "$@"; }
for write in 'users {"id":"bob","email":"bob@example.com"}' 'generations {"id":"gen-2","owner_id":"bob"}'; do
    created=$(pg_api -o /dev/null -w '%{http_code}' -d "${write#* }" "$base/api/v1/${write%% *}")
    [ "$created" = 201 ] || fail "POST /api/v1/${write%% *} on PostgreSQL answered $created"
done
decision=$(pg_api -d '{"user_id":"bob","action":"download","resource_type":"generation","resource_id":"gen-2"}' "$base/api/v1/authz/check")
grep -q '"allowed":true' <<<"$decision" && grep -q '"reason":"owner"' <<<"$decision" || fail "check on PostgreSQL answered $decision"
absent=$(pg_api -d '{"user_id":"alice","action":"download","resource_type":"generation","resource_id":"gen-1"}' "$base/api/v1/authz/check")
grep -q '"allowed":false' <<<"$absent" || fail "the SQLite deployment's grant answered on PostgreSQL: $absent"
rows=$(psql "$postgres_url" -tAc "SELECT string_agg(id, ',' ORDER BY id) FROM users")
[ "$rows" = bob ] || fail "users in PostgreSQL: '$rows', expected bob"
pass "with the shared key: two writes 201, check $decision; users in PostgreSQL: $rows; admin.key and SQLite's data not used (401, allowed false)"
stop_server
stop_postgres
local_files=$(in_root find /var/lib/portcullis -type f -printf '%u %m %P\n' | sort)
grep -qv '^portcullis 600 ' <<<"$local_files" && { echo "$local_files"; fail "a node-local file is not portcullis 0600"; }
pass "SIGTERM: exited 0; the files in /var/lib/portcullis are all portcullis 0600"
cp -p "$unit_dir/portcullis.toml.sqlite" "$config"
rm -r "$chroot_dir/$(dirname "$drop_in")" "$chroot_dir$environment_file"
start_server
decision=$(api -d '{"user_id":"alice","action":"download","resource_type":"generation","resource_id":"gen-1"}' "$base/api/v1/authz/check")
grep -q '"allowed":true' <<<"$decision" || fail "back on SQLite the check answered $decision"
stop_server
pass "back to storage.backend = \"sqlite\" (config restored, drop-in removed): admin.key and the data as before"

step "dpkg -r portcullis: the program goes, data, config and user stay"
in_root dpkg -r portcullis >/dev/null || fail "dpkg -r"
[ ! -e "$chroot_dir/usr/bin/portcullis" ] || fail "/usr/bin/portcullis is still there"
[ ! -e "$chroot_dir/lib/systemd/system/portcullis.service" ] || fail "the unit is still there"
for kept in var/lib/portcullis/portcullis.sqlite var/lib/portcullis/admin.key var/lib/portcullis/signing-keys etc/portcullis/portcullis.toml; do
    [ -f "$chroot_dir/$kept" ] || fail "remove deleted /$kept"
done
in_root getent passwd portcullis >/dev/null || fail "remove deleted the user"
pass "dpkg -r: binary and unit gone; /var/lib/portcullis (database, admin.key, signing-keys), config and user kept"

step "dpkg -P portcullis: everything goes"
in_root dpkg -P portcullis >/dev/null || fail "dpkg -P"
[ ! -e "$chroot_dir/var/lib/portcullis" ] || fail "purge left /var/lib/portcullis"
[ ! -e "$chroot_dir/etc/portcullis" ] || fail "purge left /etc/portcullis: $(ls -A "$chroot_dir/etc/portcullis")"
! in_root getent passwd portcullis >/dev/null || fail "purge left the user portcullis"
! in_root getent group portcullis >/dev/null || fail "purge left the group portcullis"
[ ! -e "$chroot_dir/etc/systemd/system/multi-user.target.wants/portcullis.service" ] || fail "purge left the unit enabled"
[ -z "$(in_root dpkg-query -W -f '${Status}' portcullis 2>/dev/null || true)" ] || fail "dpkg still knows portcullis"
pass "dpkg -P: /var/lib/portcullis, /etc/portcullis, user and group gone"

printf '\n==== test-deb.sh transcript summary (%ss) ====\n' "$(( $(date +%s) - start ))"
printf '%s\n' "${summary[@]}"
printf 'test-deb.sh: all %s steps passed\n' "${#summary[@]}"
