#!/usr/bin/env bash
# Starts the FaceMatch host with the bench Echo service on a free loopback port, drives it with grpc-js for a bounded
# time, prints the rate, and stops the server. Extra arguments go to grpcjs-load.mjs, e.g.
#   bench/FaceMatch.Bench/Grpc/run-grpcjs-load.sh --mode unary --concurrency 32 --seconds 10
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
make -C "$root" --no-print-directory node-deps >/dev/null
dotnet build -c Release "$root/bench/FaceMatch.Bench" --nologo -v quiet >/dev/null
out="$(mktemp)"
sleep 600 | dotnet "$root/bench/FaceMatch.Bench/bin/Release/net10.0/FaceMatch.Bench.dll" grpc-echo-server >"$out" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q port "$out" && break; sleep 0.1; done
port="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$out")"
node "$root/bench/FaceMatch.Bench/Grpc/grpcjs-load.mjs" --target "127.0.0.1:$port" "$@"
