#!/usr/bin/env bash
# `make cluster`: a local scale-out deployment on loopback for developers. Starts a Redis Cluster of
# CLUSTER_PRIMARIES (3) primaries with one replica each (fsync-always append-only files, no RDB snapshots, a
# password in a 0600 file) and CLUSTER_REPLICAS (3) `out/facematch serve` replicas with FACEMATCH_STORE=cluster over
# it, sharing one master key and one admin token (files in the run directory, never on a command line). Once every
# node and every replica answers health it prints
#   FACEMATCH_ENDPOINTS=host:port,...   STORE_ENDPOINTS=host:port,...   FACEMATCH_ADMIN_TOKEN_FILE=path
# and stays in the foreground until interrupted (Ctrl-C, SIGTERM), then stops the replicas (SIGTERM: they drain),
# then the store nodes, and deletes the run directory (CLUSTER_KEEP=1 keeps it, with every process's log).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
primaries="${CLUSTER_PRIMARIES:-3}"
replicas="${CLUSTER_REPLICAS:-3}"

[[ -x out/facematch ]] || { echo "cluster: out/facematch missing: run make build" >&2; exit 1; }
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "cluster: redis-server missing: run make deps" >&2; exit 1; }

run=$(mktemp -d -t facematch-cluster.XXXXXX)
chmod 700 "$run"
pids=()
stopping=0
stop_all() {
  ((stopping)) && return
  stopping=1
  echo "cluster: stopping" >&2
  # The FaceMatch replicas first (they drain their calls and commit), then the store they were writing to.
  for pid in "${facematch_pids[@]:-}"; do [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${facematch_pids[@]:-}"; do [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true; done
  for pid in "${store_pids[@]:-}"; do [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${store_pids[@]:-}"; do [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true; done
  if [[ "${CLUSTER_KEEP:-0}" == 1 ]]; then echo "cluster: kept $run" >&2; else rm -rf "$run"; fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
umask 077
python3 -c 'import secrets; print(secrets.token_hex(24))' > "$run/store.password"
python3 -c 'import secrets, base64; print(base64.b64encode(secrets.token_bytes(32)).decode())' > "$run/master.key"
python3 -c 'import secrets; print("fm_admin_" + secrets.token_hex(32))' > "$run/admin.token"
# The replicas' shared secret for each other's internal shard service (sharded galleries), not the admin token.
python3 -c 'import secrets; print(secrets.token_hex(32))' > "$run/peer.token"
export REDISCLI_AUTH="$(cat "$run/store.password")"

store_pids=()
store_endpoints=()
for i in $(seq 0 $((primaries * 2 - 1))); do
  port=$(free_port); bus=$(free_port)
  dir="$run/store$i"; mkdir -p "$dir"
  # The node's config from the template the tests' StoreCluster fills in too (the password is hex: safe for sed).
  sed -e "s|@PORT@|$port|g" -e "s|@BUS_PORT@|$bus|g" -e "s|@DIR@|$dir|g" -e "s|@NODE_TIMEOUT_MS@|1000|g" \
      -e "s|@PASSWORD@|$REDISCLI_AUTH|g" scripts/store-node.conf > "$dir/redis.conf"
  redis-server "$dir/redis.conf" &
  store_pids+=($!)
  store_endpoints+=("127.0.0.1:$port")
done
for endpoint in "${store_endpoints[@]}"; do
  for _ in $(seq 1 100); do redis-cli -p "${endpoint##*:}" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
done
redis-cli --cluster create "${store_endpoints[@]}" --cluster-replicas 1 --cluster-yes > "$run/cluster-create.log"
for _ in $(seq 1 300); do
  ok=1
  for endpoint in "${store_endpoints[@]}"; do
    redis-cli -p "${endpoint##*:}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || { ok=0; break; }
  done
  ((ok)) && break
  sleep 0.2
done
((ok)) || { echo "cluster: the store cluster did not become healthy; see $run" >&2; CLUSTER_KEEP=1; exit 1; }
store_list=$(IFS=,; echo "${store_endpoints[*]}")

facematch_pids=()
facematch_endpoints=()
facematch_ports=()
for i in $(seq 0 $((replicas - 1))); do
  port=$(free_port); metrics=$(free_port)
  data="$run/facematch$i"; mkdir -p "$data"
  cp "$run/master.key" "$data/master.key"
  cp "$run/admin.token" "$data/admin.token"
  FACEMATCH_PORT=$port FACEMATCH_METRICS_PORT=$metrics FACEMATCH_DATA=$data FACEMATCH_MODELS="$root/models" \
  FACEMATCH_STORE=cluster FACEMATCH_CLUSTER_ENDPOINTS="$store_list" FACEMATCH_CLUSTER_PASSWORD_FILE="$run/store.password" \
  FACEMATCH_PEER_TOKEN_FILE="$run/peer.token" \
    out/facematch serve > "$data/serve.log" 2>&1 &
  facematch_pids+=($!)
  facematch_endpoints+=("127.0.0.1:$port")
  facematch_ports+=("$port")
done
for i in "${!facematch_ports[@]}"; do
  for _ in $(seq 1 300); do
    FACEMATCH_PORT=${facematch_ports[$i]} out/facematch health --timeout 2 >/dev/null 2>&1 && break
    kill -0 "${facematch_pids[$i]}" 2>/dev/null || { echo "cluster: replica $i exited; its log:" >&2; cat "$run/facematch$i/serve.log" >&2; exit 1; }
    sleep 1
  done
  FACEMATCH_PORT=${facematch_ports[$i]} out/facematch health --timeout 2 >/dev/null || { echo "cluster: replica $i is not SERVING after 300 s" >&2; exit 1; }
done

echo "FACEMATCH_ENDPOINTS=$(IFS=,; echo "${facematch_endpoints[*]}")"
echo "STORE_ENDPOINTS=$store_list"
echo "FACEMATCH_ADMIN_TOKEN_FILE=$run/admin.token"
echo "STORE_PASSWORD_FILE=$run/store.password"
echo "cluster: running (logs under $run); Ctrl-C stops everything" >&2
wait -n "${facematch_pids[@]}" "${store_pids[@]}" || true
echo "cluster: a process exited on its own" >&2
exit 1
