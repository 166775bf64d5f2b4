# Shared shell helpers for dhis2sync's deploy scripts. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/.bin"
DATA="${DHIS2SYNC_DATA_DIR:-$ROOT/.data}"
case "$DATA" in /*) ;; *) DATA="$ROOT/$DATA" ;; esac
RUN="$DATA/run"
LOGS="$DATA/logs"
mkdir -p "$RUN" "$LOGS"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port HOST PORT SECONDS WHAT
wait_port() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    port_open "$1" "$2" && return 0
    sleep 0.1
  done
  die "$4 did not start listening on $1:$2 within $3 s (see $LOGS)"
}

# host_port URL-or-ADDR: prints "host port" of nats://h:p, postgres://u@h:p/db or h:p.
host_port() {
  local s=${1#*://}
  s=${s#*@}
  s=${s%%/*}
  s=${s%%\?*}
  echo "${s%:*} ${s##*:}"
}

# start_bg NAME CMD...: starts a background process, remembers its pid (for stop_bg) and logs to $LOGS/NAME.log.
start_bg() {
  local name=$1
  shift
  nohup "$@" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# stop_bg NAME: stops a process started by start_bg, if it is still running.
stop_bg() {
  local f="$RUN/$1.pid" pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped $1 (pid $pid)"
  fi
  rm -f "$f"
}
