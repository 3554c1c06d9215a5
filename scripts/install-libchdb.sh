#!/usr/bin/env bash
# Installs libchdb.so (ClickHouse's engine as a library) from the npm package
# @chdb/lib-linux-x64-gnu into a user cache outside the clone, checking the tarball's
# integrity against the pinned value. Prints the library path on stdout.
set -euo pipefail

CHDB_VERSION="${CHDB_VERSION:-26.5.3}"
CHDB_INTEGRITY="${CHDB_INTEGRITY:-sha512-fPrLmRt5Moor9yGz4mazbrNje4t7X9KB2mTGkXFWRxRBs2iKy8yh6jx11xsa0Qr3iDFMU/yHqd+bVdYJXu3QaQ==}"
cache="${PMOHUB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmohub}/chdb/$CHDB_VERSION"
lib="$cache/libchdb.so"

if [ "${1:-}" = "--path-only" ]; then
  [ -s "$lib" ] && echo "$lib"
  exit 0
fi
if [ -s "$lib" ]; then
  echo "$lib"
  exit 0
fi
command -v npm >/dev/null || { echo "install-libchdb: npm is needed to fetch @chdb/lib-linux-x64-gnu (apt-get install npm)" >&2; exit 1; }

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-libchdb: fetching @chdb/lib-linux-x64-gnu@$CHDB_VERSION (~170 MB, once)" >&2
(cd "$tmp" && npm pack --silent "@chdb/lib-linux-x64-gnu@$CHDB_VERSION" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
# node comes with npm, so it is here whatever else the machine lacks
got="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
if [ "$got" != "$CHDB_INTEGRITY" ]; then
  echo "install-libchdb: integrity mismatch for $tgz: got $got, want $CHDB_INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp"
so=$(find "$tmp/package" -name 'libchdb.so' | head -n1)
[ -n "$so" ] || { echo "install-libchdb: libchdb.so not found in the package" >&2; exit 1; }
mv "$so" "$lib.part" && mv "$lib.part" "$lib"
echo "$lib"
