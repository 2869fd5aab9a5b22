#!/usr/bin/env bash
# Enrol and authenticate latency of the vault, embedded FASTER store against the store cluster: starts a loopback
# Redis Cluster (3 primaries with a replica each, as `make cluster` does, without FaceMatch replicas), runs
# `facematch bench store` on both (arguments are passed on, e.g. --enrolments 2000 --concurrency 16), stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[[ -x out/facematch ]] || { echo "bench store: out/facematch missing: run make build" >&2; exit 1; }
lines=$(mktemp)
CLUSTER_REPLICAS=0 scripts/run-cluster.sh > "$lines" &
cluster=$!
stop() { kill -TERM "$cluster" 2>/dev/null || true; wait "$cluster" 2>/dev/null || true; rm -f "$lines"; }
trap stop EXIT
for _ in $(seq 1 600); do
  grep -q '^STORE_PASSWORD_FILE=' "$lines" && break
  kill -0 "$cluster" 2>/dev/null || { echo "bench store: the store cluster did not start" >&2; exit 1; }
  sleep 0.1
done
endpoints=$(sed -n 's/^STORE_ENDPOINTS=//p' "$lines")
password_file=$(sed -n 's/^STORE_PASSWORD_FILE=//p' "$lines")
out/facematch bench store --cluster "$endpoints" --password-file "$password_file" "$@"
