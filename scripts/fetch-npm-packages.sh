#!/usr/bin/env bash
# Fetches the pinned npm tarballs listed in deps/npm-packages.txt, verifies each against its
# pinned sha512 integrity and unpacks it to .deps/<dir>/package.
# Idempotent: a package whose .deps/<dir>/.integrity matches the pin is skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
list="$root/deps/npm-packages.txt"
deps="$root/.deps"
mkdir -p "$deps/tarballs"
while read -r dir spec integrity; do
  [[ -z "${dir:-}" || "$dir" == \#* ]] && continue
  if [[ -f "$deps/$dir/.integrity" && "$(cat "$deps/$dir/.integrity")" == "$integrity" ]]; then
    continue
  fi
  echo "fetch: $spec"
  tarball="$(cd "$deps/tarballs" && npm pack "$spec" --silent 2>/dev/null | tail -n1)"
  actual="sha512-$(openssl dgst -sha512 -binary "$deps/tarballs/$tarball" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "error: $spec integrity mismatch (expected $integrity, got $actual)" >&2
    rm -f "$deps/tarballs/$tarball"
    exit 1
  fi
  rm -rf "$deps/$dir"
  mkdir -p "$deps/$dir"
  tar xzf "$deps/tarballs/$tarball" -C "$deps/$dir"
  echo "$integrity" > "$deps/$dir/.integrity"
done < "$list"
