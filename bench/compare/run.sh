#!/usr/bin/env bash
# End-to-end comparison on the same photos and cores, one system after another: decode + detect + align + embed per
# photo for FaceMatch in-process (`facematch bench embed`, one photo at a time and one per core), FaceMatch through
# Compare over gRPC against a `facematch serve` started here, @vladmandic/face-api and @vladmandic/human on
# TensorFlow.js's WASM backend in Node; then one table of photos/s, CPU time per photo, the ratios and each system's
# accuracy on every genuine and impostor pair of the photos.
#
#   bench/compare/run.sh [--folder DIR] [--passes N] [--out DIR] [--quick]
#
# Needs `make build`, `make models` and `npm ci` in bench/compare (`make bench-compare` does all three and runs this).
# --folder: a labelled folder (one sub-folder per person, `_` folders skipped); default ../shared/data/faces.
# --passes: timed passes over every photo for the per-photo runners (default 2; the gRPC run compares every pair once).
# --out: keep each runner's JSON and scored pairs there (default: a temporary folder, removed).
# --quick: 3 people x 2 photos, 1 pass: a smoke run of every part.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
folder="$root/../shared/data/faces"
passes=2
warmup=3
out=""
quick=false
while [ $# -gt 0 ]; do
  case "$1" in
    --folder) folder="$2"; shift 2 ;;
    --passes) passes="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --quick) quick=true; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

exe="$root/out/facematch"
python=/usr/bin/python3
[ -x "$exe" ] || { echo "run.sh: $exe missing: run make build" >&2; exit 2; }
[ -f "$root/models/manifest.json" ] || { echo "run.sh: models/manifest.json missing: run make models" >&2; exit 2; }
[ -d "$here/node_modules/@vladmandic/human" ] || { echo "run.sh: bench/compare/node_modules missing: run npm ci in bench/compare" >&2; exit 2; }
[ -d "$folder" ] || { echo "run.sh: photo folder $folder not found" >&2; exit 2; }
command -v protoc >/dev/null || { echo "run.sh: protoc missing (Debian protobuf-compiler)" >&2; exit 2; }
"$python" -c 'import grpc' 2>/dev/null || { echo "run.sh: $python has no grpcio (Debian python3-grpcio)" >&2; exit 2; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
results="${out:-$work/results}"
mkdir -p "$results"

if $quick; then
  # The first three people's first two photos, as links: every part runs, on 3 genuine and 12 impostor pairs.
  small="$work/photos"
  for person in $(find "$folder" -mindepth 1 -maxdepth 1 -type d ! -name '_*' -printf '%f\n' | LC_ALL=C sort | head -3); do
    mkdir -p "$small/$person"
    for photo in $(find "$folder/$person" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -printf '%f\n' | LC_ALL=C sort | head -2); do
      ln -s "$folder/$person/$photo" "$small/$person/$photo"
    done
  done
  folder="$small"; passes=1; warmup=1
fi
folder="$(cd "$folder" && pwd)"

step() { echo "== $*" >&2; }
cd "$root"

step "FaceMatch in-process, one photo at a time"
"$exe" bench embed "$folder" --passes "$passes" --warmup "$warmup" --concurrency 1 --scores-out "$results/facematch.csv" --json > "$results/facematch.json"
cores="$(nproc)"
if [ "$cores" -gt 1 ]; then
  step "FaceMatch in-process, $cores photos in flight"
  "$exe" bench embed "$folder" --passes "$passes" --warmup "$warmup" --concurrency "$cores" --scores-out "$results/facematch-x$cores.csv" --json > "$results/facematch-x$cores.json"
fi

step "FaceMatch through Compare over gRPC (facematch serve on loopback)"
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
metrics_port="$(free_port)"
export FACEMATCH_ADMIN_TOKEN="${FACEMATCH_ADMIN_TOKEN:-$("$python" -c 'import secrets; print(secrets.token_hex(24))')}"
FACEMATCH_PORT="$port" FACEMATCH_METRICS_PORT="$metrics_port" FACEMATCH_DATA="$work/data" FACEMATCH_MODELS="$root/models" \
  "$exe" serve > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  if "$exe" health --server "http://127.0.0.1:$port" --timeout 2 >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: facematch serve exited:" >&2; tail -20 "$work/serve.log" >&2; exit 1; }
  sleep 0.5
done
"$exe" health --server "http://127.0.0.1:$port" >/dev/null || { echo "run.sh: facematch serve not SERVING" >&2; exit 1; }
admin() { "$exe" admin "$@" --server "http://127.0.0.1:$port"; }
json_field() { "$python" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
tenant="$(admin tenant create "bench compare" | json_field tenantId)"
admin token issue --tenant "$tenant" --mode production | json_field token |
  "$python" "$here/compare_grpc.py" --target "127.0.0.1:$port" --folder "$folder" --warmup "$warmup" --server-pid "$server_pid" \
    --out "$results/facematch-grpc.json" --scores-out "$results/facematch-grpc.csv"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

for system in faceapi human; do
  step "$system (Node $(node --version), tfjs WASM backend)"
  node "$here/$system.mjs" --folder "$folder" --passes "$passes" --warmup "$warmup" \
    --out "$results/$system.json" --scores-out "$results/$system.csv" > "$work/$system.log" 2>&1 ||
    { echo "run.sh: $system failed:" >&2; tail -20 "$work/$system.log" >&2; exit 1; }
done

names=(facematch)
[ -f "$results/facematch-x$cores.json" ] && names+=("facematch-x$cores")
names+=(facematch-grpc faceapi human)
echo "photos: $folder ($(uname -m), $cores cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before the table: $(cut -d' ' -f1-3 /proc/loadavg))"
node "$here/summarize.mjs" "$results" "${names[@]}"
[ -z "$out" ] || echo "results: $results" >&2
