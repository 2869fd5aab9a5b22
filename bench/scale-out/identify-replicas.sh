#!/usr/bin/env bash
# Identify throughput over 1, 2 and 3 FaceMatch replicas with sharded galleries, at one gallery size.
# For each replica count: a fresh loopback Redis Cluster (3 primaries, no replicas: the store is not what is measured),
# that many `out/facematch serve` replicas on it (FACEMATCH_STORE=cluster; FACEMATCH_CLUSTER_REPLICA_ACKS=0, as there are no store replicas), then facematch-load in a closed loop of
# Identify sessions spread round robin over every replica, after enrolling the gallery. Reports go to
# build/scale-out/identify-<n>/ (report.json, report.md, the plots); a summary line per run on stdout.
#   SCALE_REPLICAS="1 2 3"  SCALE_TEMPLATES=200  SCALE_CONCURRENCY=6  SCALE_DURATION=40  SCALE_SHARDS=16
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
photos="${SCALE_PHOTOS:-$root/../shared/data/faces}"
replica_counts="${SCALE_REPLICAS:-1 2 3}"
templates="${SCALE_TEMPLATES:-200}"
concurrency="${SCALE_CONCURRENCY:-6}"
duration="${SCALE_DURATION:-40}"
shards="${SCALE_SHARDS:-16}"
out_root="${SCALE_OUT:-$root/build/scale-out}"
[[ -x out/facematch ]] || { echo "scale-out: out/facematch missing: run make build" >&2; exit 1; }
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "scale-out: redis-server and redis-cli needed" >&2; exit 1; }
dotnet build load/FaceMatch.Load -c Release --nologo -v quiet -clp:NoSummary
load_exe=load/FaceMatch.Load/bin/Release/net10.0/facematch-load
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

work=$(mktemp -d)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

head -c 32 /dev/urandom | base64 >"$work/master.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/peer.token"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/store.password"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^/fm_admin_/' >"$work/admin.token"
chmod 600 "$work"/*.key "$work"/*.token "$work"/*.password
password=$(cat "$work/store.password")

for n in $replica_counts; do
  run="$work/run-$n"; mkdir -p "$run"
  endpoints=()
  for i in 1 2 3; do
    # The cluster bus port named too: the default (port + 10000) does not exist for a port above 55535.
    port=$(free_port); bus=$(free_port); mkdir -p "$run/store$i"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$run/store$i" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-port "$bus" \
      --appendonly yes --appendfsync always --save "" --requirepass "$password" --masterauth "$password" \
      --logfile "$run/store$i/redis.log" >/dev/null 2>&1 &
    pids+=($!); endpoints+=("127.0.0.1:$port")
  done
  for e in "${endpoints[@]}"; do
    for _ in $(seq 1 300); do redis-cli -h 127.0.0.1 -p "${e##*:}" -a "$password" --no-auth-warning ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli -a "$password" --no-auth-warning --cluster create "${endpoints[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -p "${endpoints[0]##*:}" -a "$password" --no-auth-warning cluster info | grep -q 'cluster_state:ok' && break; sleep 0.2
  done
  store_endpoints=$(IFS=,; echo "${endpoints[*]}")

  targets=(); ports=(); replica_pids=()
  for i in $(seq 1 "$n"); do
    port=$(free_port); metrics=$(free_port); mkdir -p "$run/replica$i"
    FACEMATCH_PORT=$port FACEMATCH_METRICS_PORT=$metrics FACEMATCH_DATA="$run/replica$i" FACEMATCH_MODELS="$root/models" \
    FACEMATCH_STORE=cluster FACEMATCH_CLUSTER_ENDPOINTS="$store_endpoints" FACEMATCH_CLUSTER_PASSWORD_FILE="$work/store.password" \
    FACEMATCH_MASTER_KEY="$(cat "$work/master.key")" FACEMATCH_ADMIN_TOKEN="$(cat "$work/admin.token")" \
    FACEMATCH_PEER_TOKEN_FILE="$work/peer.token" FACEMATCH_GALLERY_SHARDS="$shards" FACEMATCH_CLUSTER_REPLICA_ACKS=0 \
      out/facematch serve >"$run/replica$i.log" 2>&1 &
    pids+=($!); replica_pids+=($!); targets+=("http://127.0.0.1:$port"); ports+=("$port")
  done
  for i in "${!ports[@]}"; do
    port=${ports[$i]}
    for _ in $(seq 1 300); do
      FACEMATCH_PORT=$port out/facematch health --timeout 2 >/dev/null 2>&1 && break
      kill -0 "${replica_pids[$i]}" 2>/dev/null || break
      sleep 1
    done
    FACEMATCH_PORT=$port out/facematch health --timeout 2 >/dev/null || { echo "scale-out: replica on $port not SERVING; its log:" >&2; cat "$run/replica$((i + 1)).log" >&2; exit 1; }
  done
  sleep 3   # one heartbeat TTL or so: every replica sees the others before the load starts
  target_list=$(IFS=,; echo "${targets[*]}")
  mkdir -p "$out_root/identify-$n"
  FACEMATCH_ADMIN_TOKEN="$(cat "$work/admin.token")" "$load_exe" --target "$target_list" --photos "$photos" --mix identify=1 \
    --templates "$templates" --concurrency "$concurrency" --duration "$duration" --frames 1 --requests 1000000 \
    --no-progress --out "$out_root/identify-$n" >/dev/null
  python3 - "$out_root/identify-$n/report.json" "$n" "$templates" "$concurrency" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["calls"]["identify"]
l = c["latency_ms"]
print(f"replicas {sys.argv[2]}: gallery {sys.argv[3]}, concurrency {sys.argv[4]}: {c['calls']} Identify, {c['ok']} OK, "
      f"{c['refused']} refused, {c['other_errors']} errors, {c['ok_per_second']:.2f} OK/s, p50 {l['p50']:.0f} ms, p99 {l['p99']:.0f} ms")
PY
  stop_all
done
