#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster (Debian's `postgresql`, installed if
# missing), started in a temp dir on a loopback port and removed afterwards. The command sees
# TESSERA_TEST_PG_URL=postgres://tessera@127.0.0.1:PORT/postgres (trust auth, loopback only).
#
#   scripts/with-postgres.sh cargo test -p tessera-server --locked -- --include-ignored
#
# (--include-ignored runs the PostgreSQL-only two-instance test in server/tests/crash.rs.)
#
# As root, the cluster runs as the `postgres` user (initdb refuses root).
source "$(dirname "$0")/lib.sh"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

tmp="$(mktemp -d /tmp/tessera-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/data" -U tessera --auth=trust -E UTF8 >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c max_connections=400" start >/dev/null \
  || { cat "$tmp/postgres.log" >&2; die "postgres did not start"; }
say "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $tmp)"

export TESSERA_TEST_PG_URL="postgres://tessera@127.0.0.1:$port/postgres"
"$@"
