#!/usr/bin/env bash
# Makes sure PostgreSQL (and, for the stack, NATS with JetStream) can be reached, starting private ones when
# needed. Prints the URLs to use as shell assignments, so callers can `eval "$(deploy/infra.sh postgres)"`.
#   infra.sh postgres   PostgreSQL: the one at DHIS2SYNC_PG_URL (default 127.0.0.1:5432) if it answers; else a
#                       private cluster in $DHIS2SYNC_DATA_DIR/pg on port 55432, installing Debian's postgresql
#                       package first if PostgreSQL is not installed.
#   infra.sh nats       NATS: the one at DHIS2SYNC_NATS_URL (default nats://127.0.0.1:4222) if it answers; else
#                       .bin/natsd (embedded nats-server with JetStream, sync always) on that address.
#   infra.sh stop       stops what this script started (private PostgreSQL, natsd).
source "$(dirname "$0")/lib.sh"

PG_URL=${DHIS2SYNC_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
PRIVATE_PG_PORT=55432
PG_DIR="$DATA/pg"

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

ensure_postgres() {
  read -r host port < <(host_port "$PG_URL")
  if port_open "$host" "$port"; then
    say "PostgreSQL: using the server already running at $host:$port" >&2
    echo "DHIS2SYNC_PG_URL='$PG_URL'"
    return
  fi
  local url="postgres://postgres@127.0.0.1:$PRIVATE_PG_PORT/postgres?sslmode=disable"
  if port_open 127.0.0.1 $PRIVATE_PG_PORT; then
    say "PostgreSQL: using the private cluster on port $PRIVATE_PG_PORT" >&2
    echo "DHIS2SYNC_PG_URL='$url'"
    return
  fi
  local bin
  bin=$(pg_bin || true)
  if [ -z "$bin" ]; then
    say "PostgreSQL is not installed: installing Debian's postgresql package (apt-get)" >&2
    [ "$(id -u)" = 0 ] || die "installing PostgreSQL needs root; install the postgresql package or set DHIS2SYNC_PG_URL"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 ||
      die "could not install PostgreSQL; install it or set DHIS2SYNC_PG_URL to a running server"
    bin=$(pg_bin) || die "postgresql installed but no server binaries found under /usr/lib/postgresql"
  fi
  # initdb refuses to run as root: the cluster belongs to the postgres user (created by the package).
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    say "PostgreSQL: creating a private cluster in $PG_DIR" >&2
    install -d -m 0700 "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$LOGS/pg-initdb.log" 2>&1 ||
      die "initdb failed (see $LOGS/pg-initdb.log)"
  fi
  say "PostgreSQL: starting the private cluster on 127.0.0.1:$PRIVATE_PG_PORT" >&2
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PRIVATE_PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" start >&2 ||
    die "PostgreSQL did not start (see $PG_DIR/server.log)"
  touch "$RUN/pg.started"
  echo "DHIS2SYNC_PG_URL='$url'"
}

ensure_nats() {
  local url=${DHIS2SYNC_NATS_URL:-nats://127.0.0.1:4222}
  read -r host port < <(host_port "$url")
  if port_open "$host" "$port"; then
    say "NATS: using the server already running at $host:$port (it must have JetStream enabled)" >&2
  else
    [ -x "$BIN/natsd" ] || die "$BIN/natsd is missing: run make build"
    say "NATS: starting .bin/natsd (embedded NATS with JetStream, sync always) on $host:$port" >&2
    start_bg natsd "$BIN/natsd" -addr "$host:$port" -store-dir "$DATA/nats"
    wait_port "$host" "$port" 15 natsd
  fi
  echo "DHIS2SYNC_NATS_URL='$url'"
}

stop_infra() {
  stop_bg natsd
  if [ -f "$RUN/pg.started" ]; then
    local bin as=()
    bin=$(pg_bin)
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null && say "stopped the private PostgreSQL"
    rm -f "$RUN/pg.started"
  fi
}

case "${1:-}" in
postgres) ensure_postgres ;;
nats) ensure_nats ;;
stop) stop_infra ;;
*) die "usage: $0 postgres|nats|stop" ;;
esac
