#!/usr/bin/env bash
# `make load`: starts out/facematch serve on free loopback ports with a temporary data directory, waits for health
# SERVING, runs a short mixed open-loop scenario with facematch-load against it (photos from ../shared/data/faces),
# writes the reports into build/load/, and stops the server. The LOAD_* variables below change the scenario;
# arguments are passed on to facematch-load (e.g. `load/run-local.sh --concurrency 4` for a closed loop instead).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
photos="${LOAD_PHOTOS:-$root/../shared/data/faces}"
out="${LOAD_OUT:-$root/build/load}"
rate="${LOAD_RATE:-3}"
duration="${LOAD_DURATION:-20}"
mix="${LOAD_MIX:-enroll=1,authenticate=6,identify=2,compare=1}"

[[ -x out/facematch ]] || { echo "load: out/facematch missing: run make build" >&2; exit 1; }
[[ -d "$photos" ]] || { echo "load: no photos at $photos (set LOAD_PHOTOS)" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port=$(free_port)
metrics_port=$(free_port)
data=$(mktemp -d)
mkdir -p "$out"

dotnet build load/FaceMatch.Load -c Release --nologo -v quiet -clp:NoSummary
load_exe=load/FaceMatch.Load/bin/Release/net10.0/facematch-load

FACEMATCH_PORT=$port FACEMATCH_METRICS_PORT=$metrics_port FACEMATCH_DATA=$data FACEMATCH_MODELS="$root/models" \
  out/facematch serve >"$out/server.log" 2>&1 &
server=$!
stop_server() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap stop_server EXIT

for _ in $(seq 1 300); do
  FACEMATCH_PORT=$port out/facematch health --timeout 2 >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "load: the server exited; its log:" >&2; cat "$out/server.log" >&2; exit 1; }
  sleep 1
done
FACEMATCH_PORT=$port out/facematch health --timeout 2 >/dev/null || { echo "load: the server is not SERVING after 300 s" >&2; exit 1; }

# The admin token comes from the server's data directory, never from the command line.
FACEMATCH_DATA=$data "$load_exe" --target "http://127.0.0.1:$port" --metrics "http://127.0.0.1:$metrics_port/metrics" \
  --rate "$rate" --duration "$duration" --requests 100000 --mix "$mix" --photos "$photos" --out "$out" "$@"
