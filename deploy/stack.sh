#!/usr/bin/env bash
# Starts or stops the dhis2sync stack in the background: NATS and PostgreSQL when absent (infra.sh), then every
# service, the gateway and the frontend, with logs in $DHIS2SYNC_DATA_DIR/logs. `stack.sh down` stops only what
# `stack.sh up` started.
source "$(dirname "$0")/lib.sh"

SERVICES=(instance-registry config orchestrator extractor loader gateway frontend)

# service_addr NAME: DHIS2SYNC_<NAME>_ADDR or the default of services/platform/settings.
service_addr() {
  local var default
  var="DHIS2SYNC_$(echo "$1" | tr 'a-z-' 'A-Z_')_ADDR"
  case $1 in
  instance-registry) default=127.0.0.1:9101 ;;
  config) default=127.0.0.1:9102 ;;
  orchestrator) default=127.0.0.1:9103 ;;
  extractor) default=127.0.0.1:9104 ;;
  loader) default=127.0.0.1:9105 ;;
  gateway) default=127.0.0.1:8080 ;;
  gateway-grpc) default=127.0.0.1:9100 ;;
  frontend) default=127.0.0.1:8090 ;;
  esac
  echo "${!var:-$default}"
}

# secret_file NAME COMMAND: prints the content of $DATA/NAME, creating it with COMMAND's output the first time.
secret_file() {
  local f="$DATA/$1"
  if [ ! -s "$f" ]; then
    (umask 077 && eval "$2" >"$f")
  fi
  cat "$f"
}

env_file() {
  eval "$("$ROOT/deploy/infra.sh" postgres)"
  eval "$("$ROOT/deploy/infra.sh" nats)"
  local db=${DHIS2SYNC_DATABASE_URL:-}
  if [ -z "$db" ]; then
    # One database per data directory, so that the admin password kept in it always matches its users.
    local name
    name=$(secret_file database-name 'echo "dhis2sync_$(head -c 4 /dev/urandom | od -An -tx1 | tr -d " \n")"')
    db=${DHIS2SYNC_PG_URL%%\?*}
    db="${db%/*}/$name?sslmode=disable"
  fi
  cat >"$DATA/stack.env" <<ENV
export DHIS2SYNC_DATABASE_URL='$db'
export DHIS2SYNC_NATS_URL='$DHIS2SYNC_NATS_URL'
export DHIS2SYNC_DATA_DIR='$DATA'
export DHIS2SYNC_IDENTITY_DIR='${DHIS2SYNC_IDENTITY_DIR:-$DATA/identity}'
export DHIS2SYNC_SECRET_KEY='${DHIS2SYNC_SECRET_KEY:-$(secret_file secret.key 'head -c 32 /dev/urandom | base64')}'
export DHIS2SYNC_ADMIN_USER='${DHIS2SYNC_ADMIN_USER:-admin}'
export DHIS2SYNC_ADMIN_PASSWORD='${DHIS2SYNC_ADMIN_PASSWORD:-$(secret_file admin-password 'head -c 12 /dev/urandom | base64 | tr -d "/+="')}'
export DHIS2SYNC_GATEWAY_URL='http://${DHIS2SYNC_GATEWAY_ADDR:-127.0.0.1:8080}'
ENV
  chmod 600 "$DATA/stack.env"
}

up() {
  env_file
  # shellcheck disable=SC1091
  source "$DATA/stack.env"
  local svc started=()
  for svc in "${SERVICES[@]}"; do
    if [ -f "$RUN/$svc.pid" ] && kill -0 "$(cat "$RUN/$svc.pid")" 2>/dev/null; then
      say "$svc already running (pid $(cat "$RUN/$svc.pid"))"
      continue
    fi
    if [ ! -x "$BIN/$svc" ]; then
      warn "$svc is not built yet ($BIN/$svc missing): skipped"
      continue
    fi
    start_bg "$svc" "$BIN/$svc"
    started+=("$svc")
  done
  # Ready means listening: the first service to start creates the database and migrates, the others wait.
  for svc in "${started[@]}"; do
    read -r host port < <(host_port "$(service_addr "$svc")")
    local i
    for ((i = 0; i < 600; i++)); do
      port_open "$host" "$port" && break
      kill -0 "$(cat "$RUN/$svc.pid")" 2>/dev/null || die "$svc exited at start; its log says:
$(tail -n 20 "$LOGS/$svc.log")"
      sleep 0.1
    done
    port_open "$host" "$port" || die "$svc did not listen on $host:$port within 60 s (see $LOGS/$svc.log)"
  done
  local addr
  addr=$(service_addr gateway)
  say "stack is up: gateway http://$addr (public gRPC $(service_addr gateway-grpc)), frontend http://$(service_addr frontend)"
  say "services authenticate each other with the certificates in $DHIS2SYNC_IDENTITY_DIR (created at first start)"
  say "sign in as $DHIS2SYNC_ADMIN_USER with the password in $DATA/admin-password; logs in $LOGS; stop with: make down"
}

down() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_bg "${SERVICES[$i]}"; done
  for f in "$RUN"/dhis2sim-*.pid; do [ -e "$f" ] && stop_bg "$(basename "$f" .pid)"; done
  "$ROOT/deploy/infra.sh" stop
}

case "${1:-}" in
up) up ;;
down) down ;;
*) die "usage: $0 up|down" ;;
esac
