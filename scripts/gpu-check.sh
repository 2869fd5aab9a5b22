#!/usr/bin/env bash
# The GPU proof, for a machine with an NVIDIA GPU and CUDA 13's libraries (cuBLAS/cuBLASLt 13, cudart 13, cuRAND 10,
# cuDNN 9 on LD_LIBRARY_PATH): builds with `make gpu`, runs every default model on CUDA at batch 1, 8, 32 and 64
# with ONNX Runtime's profiler on (`facematch bench models --profile`: items/s, and the share of node time each
# execution provider ran, which must be CUDA's), then a whole pipeline: `facematch serve` on CUDA and a Compare of two
# photos through it. Prints one JSON report and exits non-zero if CUDA did not do the work.
# Usage: scripts/gpu-check.sh [PHOTO_A PHOTO_B]   (default: two photos of one person from ../shared/data/faces)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
faces="${FACEMATCH_FACES:-$root/../shared/data/faces}"
photo_a="${1:-$faces/obama/obama_1.jpg}"
photo_b="${2:-$faces/obama/obama_2.jpg}"

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || echo "gpu-check: nvidia-smi not found" >&2
make gpu models >&2
export FACEMATCH_DEVICE=cuda FACEMATCH_MODELS="$root/models"
out="$(mktemp -d)"
trap 'kill "${serve:-}" 2>/dev/null || true; rm -rf "$out"' EXIT

./out/facematch bench models --batch 1,8,32,64 --seconds 3 --profile --json >"$out/models.json"

# The pipeline on CUDA through the server: a tenant, a token, one Compare.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
metrics=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export FACEMATCH_PORT=$port FACEMATCH_METRICS_PORT=$metrics FACEMATCH_DATA="$out/data"
export FACEMATCH_ADMIN_TOKEN="gpu-check-$(head -c 24 /dev/urandom | base64 | tr -dc A-Za-z0-9)"
./out/facematch serve >"$out/serve.log" 2>&1 &
serve=$!
for _ in $(seq 1 180); do ./out/facematch health --timeout 2 >/dev/null 2>&1 && break; kill -0 $serve || { cat "$out/serve.log" >&2; exit 1; }; sleep 1; done
tenant=$(./out/facematch admin tenant create gpu-check | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenantId"])')
token=$(./out/facematch admin token issue --tenant "$tenant" --mode production | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 - "$port" "$token" "$photo_a" "$photo_b" "$root/src/FaceMatch.Server/Protos" "$out" >"$out/compare.json" <<'PY'
import json, subprocess, sys, time
port, token, a, b, protos, out = sys.argv[1:]
subprocess.run(["protoc", f"-I{protos}", f"--python_out={out}", "facematch.proto"], check=True)
sys.path.insert(0, out)
import grpc, facematch_pb2
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
compare = channel.unary_unary("/facematch.v1.FaceMatch/Compare", request_serializer=facematch_pb2.CompareRequest.SerializeToString,
                              response_deserializer=facematch_pb2.CompareResponse.FromString)
request = facematch_pb2.CompareRequest(image_a=open(a, "rb").read(), image_b=open(b, "rb").read())
meta = [("authorization", "Bearer " + token)]
compare(request, metadata=meta, timeout=60)   # warm-up
times = []
for _ in range(20):
    t = time.perf_counter(); reply = compare(request, metadata=meta, timeout=60); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"score": reply.score, "match": reply.match, "compare_ms_p50": round(times[len(times) // 2] * 1000, 2)}))
PY
grep -q "embedder" "$out/serve.log"
python3 - "$out/models.json" "$out/compare.json" <<'PY'
import json, sys
models, compare = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
report = {"device": models["device"], "compare_through_serve": compare, "models": []}
ok = models["device"].startswith("cuda")
for m in models["models"]:
    share = m.get("node_time_share_by_provider", {}).get("CUDAExecutionProvider", 0)
    ok = ok and share >= 0.9
    report["models"].append({"id": m["id"], "cuda_node_time_share": share,
                             "faces_per_sec": {str(b["batch"]): b["items_per_sec"] for b in m["batches"]}})
report["cuda_did_the_work"] = ok
print(json.dumps(report, indent=2))
sys.exit(0 if ok else 1)
PY
