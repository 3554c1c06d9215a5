#!/usr/bin/env bash
# Runs every fuzz target in the module for a while each: scripts/fuzz-all.sh 30s
set -euo pipefail
dur="${1:-30s}"
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
  for target in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    echo "== $dir $target"
    go test "$dir" -run XXX -fuzz "^$target\$" -fuzztime "$dur"
  done
done
