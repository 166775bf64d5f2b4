#!/usr/bin/env bash
# Measures the real processes: an isolated stack (its own data directory and database), a 2.40 source with the
# large demo (≈9,000 metadata objects, 1,000,000 data values) and an empty 2.41 destination, one verified sync
# of metadata and aggregate data through the REST API, then each process's peak resident memory (VmHWM).
# Scale and cost model: DHIS2SYNC_BENCH_SCALE (default large), DHIS2SYNC_BENCH_COST (default none).
source "$(dirname "$0")/lib.sh"

export DHIS2SYNC_DATA_DIR="$DATA/bench-stack"
rm -rf "$DHIS2SYNC_DATA_DIR"
export DHIS2SYNC_GATEWAY_ADDR=127.0.0.1:18180 DHIS2SYNC_GATEWAY_GRPC_ADDR=127.0.0.1:18100 DHIS2SYNC_FRONTEND_ADDR=127.0.0.1:18190
export DHIS2SYNC_INSTANCE_REGISTRY_ADDR=127.0.0.1:19101 DHIS2SYNC_CONFIG_ADDR=127.0.0.1:19102
export DHIS2SYNC_ORCHESTRATOR_ADDR=127.0.0.1:19103 DHIS2SYNC_EXTRACTOR_ADDR=127.0.0.1:19104 DHIS2SYNC_LOADER_ADDR=127.0.0.1:19105
SCALE=${DHIS2SYNC_BENCH_SCALE:-large}
COST=${DHIS2SYNC_BENCH_COST:-none}
RUN="$DHIS2SYNC_DATA_DIR/run"

cleanup() { "$ROOT/deploy/stack.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$ROOT/deploy/stack.sh" up
# shellcheck disable=SC1091
source "$DHIS2SYNC_DATA_DIR/stack.env"
mkdir -p "$RUN"
start_sim() { # NAME ADDR ARGS...
  local name=$1 addr=$2
  shift 2
  nohup "$BIN/dhis2sim" --addr "$addr" "$@" >"$DHIS2SYNC_DATA_DIR/logs/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  read -r host port < <(host_port "$addr")
  wait_port "$host" "$port" 300 "$name"
}
start_sim dhis2sim-source 127.0.0.1:18081 --version 2.40.1 --seed demo --scale "$SCALE" --events 0 --tracked-entities 0 --cost-model "$COST"
start_sim dhis2sim-destination 127.0.0.1:18082 --version 2.41.0 --cost-model "$COST"
say "syncing the $SCALE demo (cost model $COST)"
start=$(date +%s.%N)
"$BIN/dhis2sync-demo" --source http://127.0.0.1:18081 --destination http://127.0.0.1:18082 --type SYNC_TYPE_BOTH --timeout 60m
end=$(date +%s.%N)
printf '\nwall time of the sync, end to end through REST: %s s\npeak resident memory per process:\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
for f in "$RUN"/*.pid; do
  printf '  %-22s %s\n' "$(basename "$f" .pid)" "$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$(cat "$f")/status")"
done
