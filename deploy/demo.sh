#!/usr/bin/env bash
# make demo: the stack (stack.sh up), two simulated DHIS2 instances (a 2.39 national source seeded with demo
# data and an empty 2.41 training destination), then a complete sync (metadata, tracker data, events, aggregate
# data) driven through the REST API. Everything keeps running in the background until `make down`.
source "$(dirname "$0")/lib.sh"

SRC_ADDR=${DHIS2SYNC_DEMO_SOURCE_ADDR:-127.0.0.1:8081}
DST_ADDR=${DHIS2SYNC_DEMO_DESTINATION_ADDR:-127.0.0.1:8082}
SCALE=${DHIS2SYNC_DEMO_SCALE:-small}

"$ROOT/deploy/stack.sh" up
# shellcheck disable=SC1091
source "$DATA/stack.env"

start_sim() { # NAME ADDR VERSION SEED
  local name=$1 addr=$2
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    say "$name already running on $addr"
    return
  fi
  read -r host port < <(host_port "$addr")
  port_open "$host" "$port" && die "$addr is taken by another program: set DHIS2SYNC_DEMO_${name#dhis2sim-}_ADDR"
  start_bg "$name" "$BIN/dhis2sim" --addr "$addr" --version "$3" --seed "$4" --scale "$SCALE"
  wait_port "$host" "$port" 120 "$name"
  say "$name: simulated DHIS2 $3 ($4 data) on http://$addr (admin / district)"
}

if [ ! -x "$BIN/dhis2sim" ]; then
  warn "the DHIS2 simulator is not built yet: no demo instances, no sync"
else
  start_sim dhis2sim-source "$SRC_ADDR" 2.39.1 demo
  start_sim dhis2sim-destination "$DST_ADDR" 2.41.0 empty
  say "registering both instances and running a complete sync through the REST API"
  "$BIN/dhis2sync-demo" --source "http://$SRC_ADDR" --destination "http://$DST_ADDR" ||
    warn "the demo sync did not complete (see above and $LOGS); the stack is still running"
fi

cat <<MSG

  Dashboard:  http://${DHIS2SYNC_FRONTEND_ADDR:-127.0.0.1:8090}
  REST API:   $DHIS2SYNC_GATEWAY_URL/api/v1  (OpenAPI: $DHIS2SYNC_GATEWAY_URL/api/v1/openapi.json)
  Sign in:    $DHIS2SYNC_ADMIN_USER / $DHIS2SYNC_ADMIN_PASSWORD
  Logs:       $LOGS
  Stop:       make down

MSG
