#!/usr/bin/env bash
# Installs the Debian packages FaceMatch builds and tests against, only those missing.
set -euo pipefail
packages=(
  libturbojpeg0-dev   # JPEG decoding (TurboJPEG API)
  libspng-dev         # PNG decoding
  libwebp-dev         # WebP decoding
  libonnx-dev         # onnx.proto, the ONNX IR schema the converter is generated from
  python3-faiss       # FAISS baseline for the matching benchmark
  python3-grpcio      # an independent gRPC implementation for interop checks
  python3-protobuf    # its message runtime, for the modules protoc generates in the grpcio client tests
  protobuf-compiler   # protoc: Python messages of the interop protos
  prometheus          # a real scraper: the metrics test reads our series back through its query API
  chromium            # the browser the console test drives (Playwright, never a downloaded browser)
  ffmpeg              # makes the console test's fake-camera video (.y4m) from face photos
  openssl
  redis-server        # the store cluster of FACEMATCH_STORE=cluster: tests and `make cluster` start loopback nodes
  redis-tools         # redis-cli: creates those clusters (--cluster create) and asks nodes their role
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "apt: installing ${missing[*]}"
  sudo_cmd=""
  [[ "$(id -u)" != 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
