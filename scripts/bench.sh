#!/usr/bin/env bash
# make bench: run every bench/*.sh in turn; each sets up its own throwaway
# cluster (scripts/common.sh) and prints its own table.  Exits non-zero if any
# of them fails.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rc=0
for b in "$ROOT"/bench/*.sh; do
    [ -f "$b" ] || continue
    echo "=== bench/$(basename "$b")"
    bash "$b" || { echo "bench/$(basename "$b") failed" >&2; rc=1; }
done
exit $rc
