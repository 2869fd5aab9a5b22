#!/usr/bin/env bash
# Builds the CPU container image without a Docker engine: a Debian root filesystem made by debootstrap, plus the
# published server (out/) and the converted models (models/), packed as an OCI image archive
# (build/image/facematch-cpu.oci.tar; `docker load` or `podman load` take it, `skopeo copy oci-archive:...` pushes it).
# Then it smoke-tests the image: the entrypoint runs inside the root filesystem (unshare + chroot, as the image's
# non-root user) and must answer SERVING to `facematch health` over loopback.
#
# Needs root (debootstrap, chroot) and Debian's package mirror; installs debootstrap and skopeo when missing. Usage: scripts/build-oci-image.sh (or `make image`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What the server loads at run time besides itself: the image codecs, TLS, ICU, CA certificates.
runtime_packages=libturbojpeg0,libspng0,libwebp7,libwebpdemux2,libssl3,libicu72,ca-certificates
uid=10001
image_dir="$root/build/image"
rootfs="$image_dir/rootfs"
layout="$image_dir/layout"
archive="$image_dir/facematch-cpu.oci.tar"

[[ -x out/facematch && -f models/manifest.json ]] || { echo "build-oci-image: run 'make build models' first" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || { echo "build-oci-image: needs root (debootstrap and chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap

# 1. The Debian base, made once per package list (debootstrap takes minutes; the stamp records what it holds).
stamp="$image_dir/base.stamp"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$suite $runtime_packages" ]]; then
  rm -rf "$image_dir/base"
  mkdir -p "$image_dir"
  echo "image: debootstrap $suite (minbase + $runtime_packages)"
  debootstrap --variant=minbase --include="$runtime_packages" "$suite" "$image_dir/base" "$mirror" >"$image_dir/debootstrap.log"
  # Nothing the server needs: package caches, docs, manuals, locales.
  rm -rf "$image_dir/base"/var/cache/apt/* "$image_dir/base"/var/lib/apt/lists/* "$image_dir/base"/usr/share/{doc,man,info,locale}/*
  echo "$suite $runtime_packages" >"$stamp"
fi

# 2. The image's filesystem: the base, the server and its models, a non-root user owning only /data.
rm -rf "$rootfs"
cp -a "$image_dir/base" "$rootfs"
mkdir -p "$rootfs/opt/facematch/models" "$rootfs/data"
cp -a out/. "$rootfs/opt/facematch/"
cp -a models/manifest.json models/*.onnx "$rootfs/opt/facematch/models/"
echo "facematch:x:$uid:$uid:FaceMatch:/data:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
echo "facematch:x:$uid:" >>"$rootfs/etc/group"
chown "$uid:$uid" "$rootfs/data"
chmod 0700 "$rootfs/data"
chmod -R go-w "$rootfs/opt/facematch"

# 3. One layer, reproducible (sorted, fixed times, numeric owners), and the OCI layout around it.
rm -rf "$layout"
mkdir -p "$layout/blobs/sha256"
tar --numeric-owner --sort=name --mtime=@0 --xattrs -C "$rootfs" -cf "$image_dir/layer.tar" .
python3 - "$image_dir/layer.tar" "$layout" "$uid" <<'PY'
import gzip, hashlib, json, os, shutil, sys
layer_tar, layout, uid = sys.argv[1], sys.argv[2], sys.argv[3]
blobs = os.path.join(layout, "blobs", "sha256")

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def blob(data: bytes):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}

diff_id = sha256_file(layer_tar)
gz = layer_tar + ".gz"
with open(layer_tar, "rb") as src, gzip.GzipFile(gz, "wb", mtime=0, compresslevel=6) as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
layer_digest = sha256_file(gz)
shutil.move(gz, os.path.join(blobs, layer_digest))
layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + layer_digest,
         "size": os.path.getsize(os.path.join(blobs, layer_digest))}

config = {
    "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
    "config": {
        "User": f"{uid}:{uid}",
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "FACEMATCH_MODELS=/opt/facematch/models", "FACEMATCH_DATA=/data",
                "FACEMATCH_BIND=0.0.0.0", "FACEMATCH_PORT=50051"],
        "Entrypoint": ["/opt/facematch/facematch", "serve"],
        "WorkingDir": "/data",
        "ExposedPorts": {"50051/tcp": {}, "9464/tcp": {}},
        "Volumes": {"/data": {}},
        # Docker's extension (the OCI config has no health check); podman and docker both read it.
        "Healthcheck": {"Test": ["CMD", "/opt/facematch/facematch", "health"], "Interval": 30_000_000_000,
                        "Timeout": 10_000_000_000, "StartPeriod": 120_000_000_000, "Retries": 3},
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "scripts/build-oci-image.sh"}],
}
config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(json.dumps(config, sort_keys=True).encode())}
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config_desc, "layers": [layer]}
manifest_desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", **blob(json.dumps(manifest, sort_keys=True).encode()),
                 "annotations": {"org.opencontainers.image.ref.name": "facematch:cpu"}}
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [manifest_desc]}, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(f"image: layer {layer['size'] / 1e6:.0f} MB compressed, manifest {manifest_desc['digest']}")
PY
rm -f "$image_dir/layer.tar"
tar --sort=name --mtime=@0 -C "$layout" -cf "$archive" oci-layout index.json blobs
echo "image: $archive ($(du -h "$archive" | cut -f1))"
# An independent reader of the format: skopeo copies the archive out, checking every blob against its digest.
command -v skopeo >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends skopeo
rm -rf "$image_dir/verify"
skopeo copy --quiet "oci-archive:$archive" "dir:$image_dir/verify"
rm -rf "$image_dir/verify"
echo "image: skopeo read the archive back, every digest checked"

# 4. Smoke test: the entrypoint in the root filesystem, its own mount and PID namespaces, the host's network (so
#    loopback reaches it), as the image's user; healthy when `facematch health` says SERVING.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
metrics=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="$image_dir/smoke.log"
unshare --mount --pid --fork --kill-child sh -c "
  mount -t proc proc '$rootfs/proc' && mount -t tmpfs tmpfs '$rootfs/tmp' &&
  exec chroot --userspec=$uid:$uid '$rootfs' /usr/bin/env -i PATH=/usr/bin:/bin HOME=/data \
    FACEMATCH_MODELS=/opt/facematch/models FACEMATCH_DATA=/data FACEMATCH_PORT=$port FACEMATCH_METRICS_PORT=$metrics \
    /opt/facematch/facematch serve" >"$log" 2>&1 &
smoke=$!
# unshare --fork ignores SIGTERM while it waits, so the server (its child) is the one told to stop; --kill-child
# ends the namespace if unshare itself has to be killed.
stop_smoke() {
  pkill -TERM -P "$smoke" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$smoke" 2>/dev/null || break; sleep 1; done
  kill -KILL "$smoke" 2>/dev/null || true
  wait "$smoke" 2>/dev/null || true
}
trap stop_smoke EXIT
healthy=""
for _ in $(seq 1 120); do
  if FACEMATCH_PORT=$port out/facematch health --timeout 2 >/dev/null 2>&1; then healthy=yes; break; fi
  kill -0 $smoke 2>/dev/null || break
  sleep 1
done
if [[ -z "$healthy" ]]; then
  echo "image: smoke test FAILED: the entrypoint never answered SERVING; its output:" >&2
  cat "$log" >&2
  exit 1
fi
echo "image: smoke test passed: the image's entrypoint answered SERVING on 127.0.0.1:$port as uid $uid"
trap - EXIT
stop_smoke
grep -q "stopped" "$log" && echo "image: the server stopped on SIGTERM" || echo "image: note: no 'stopped' line in $log"

