#!/usr/bin/env bash
# Load benchmark of tessera-server with wrk (Debian's `wrk`, installed if missing), loopback only,
# bounded durations. For each backend: a release server, `bench_setup` (members, 10,000 vaults,
# pre-computed writes), then
#   1. members polling their vault list with If-None-Match (304), wrk -t2 -c$CONNS;
#   2. sequential writes, one vault per connection, wrk -t$WRITERS -c$WRITERS;
# and the server's RSS after setup and after the runs. PostgreSQL needs TESSERA_TEST_PG_URL: run
# as `scripts/with-postgres.sh server/bench/run.sh`.
#
#   BACKENDS="sqlite postgres" DURATION=20s CONNS=64 VAULTS=10000 MEMBERS=200 WRITERS=4 WRITES=3000
source "$(dirname "$0")/../../scripts/lib.sh"

BACKENDS="${BACKENDS:-sqlite${TESSERA_TEST_PG_URL:+ postgres}}"
DURATION="${DURATION:-20s}"
WRITE_DURATION="${WRITE_DURATION:-10s}"
CONNS="${CONNS:-64}"
VAULTS="${VAULTS:-10000}"
MEMBERS="${MEMBERS:-200}"
WRITERS="${WRITERS:-4}"
WRITES="${WRITES:-3000}"
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl

cargo build --release --locked -p tessera-server --bin tessera-server --example bench_setup
BIN="$ROOT/target/release/tessera-server"
SETUP="$ROOT/target/release/examples/bench_setup"
HERE="$ROOT/server/bench"

for backend in $BACKENDS; do
  dir="$(mktemp -d /tmp/tessera-bench.XXXXXX)"
  port=$(( 20000 + RANDOM % 20000 ))
  url="http://127.0.0.1:$port"
  case "$backend" in
    sqlite) db="sqlite://$dir/tessera.db" ;;
    postgres)
      [ -n "${TESSERA_TEST_PG_URL:-}" ] || die "postgres: run under scripts/with-postgres.sh"
      name="tessera_bench_$RANDOM$RANDOM"
      psql -q "$TESSERA_TEST_PG_URL" -c "CREATE DATABASE $name"
      db="${TESSERA_TEST_PG_URL%/*}/$name" ;;
    *) die "unknown backend $backend" ;;
  esac
  "$BIN" --listen "127.0.0.1:$port" --data-dir "$dir" --database-url "$db" \
    --rate-limit-per-minute 1000000 --log-level warn >"$dir/server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 200); do curl -fs "$url/api/v1/health" >/dev/null && break; sleep 0.1; done
  say "$backend: setup ($MEMBERS members, $VAULTS vaults, $WRITERS x $WRITES writes prepared)"
  "$SETUP" "$url" "$dir" "$dir/out" --members "$MEMBERS" --vaults "$VAULTS" --writers "$WRITERS" --writes "$WRITES"
  echo "rss after setup: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
  say "$backend: polling (304), wrk -t2 -c$CONNS -d$DURATION"
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/poll.lua" "$url" -- "$dir/out/poll.txt"
  say "$backend: writes, wrk -t$WRITERS -c$WRITERS -d$WRITE_DURATION"
  wrk -t"$WRITERS" -c"$WRITERS" -d"$WRITE_DURATION" --latency -s "$HERE/write.lua" "$url" -- "$dir/out"
  echo "rss after runs: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
  rm -rf "$dir"
done
