#!/usr/bin/env bash
# Posting throughput on Citus with one and with two workers, as a ratio
# (docs/CITUS.md).  Not run by `make bench` (bench/*.sh only): run it by hand,
# as root, after installing Citus:
#   bash scripts/private.sh bash bench/citus/posting.sh
# SIZE (default 20000) generated company lines, SEED (42).  For each worker
# count it starts a coordinator (CITUS_PORT_BASE, default 5531) and the workers (5532, 5533),
# distributes revrec and loads the company with bench/gen/load.sh (COPY in one
# transaction, posted at COMMIT by the coordinator), then the same COPY into a
# fresh cluster with revrec's triggers off on the workers
# (session_replication_role = replica there): what storing the documents
# alone costs on Citus.  Prints lines/s and the 2-worker/1-worker ratios.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/citus-lib.sh"
set +e
if ! citus_available; then
    echo "bench/citus/posting.sh: skipped: Citus is not installed"; exit 0
fi
SEED=${SEED:-42} SIZE=${SIZE:-20000}
CSV=$CITUS_TMP-csv-$SEED-$SIZE; mkdir -p "$CSV"; chown "$PG_OS_USER" "$CSV"
trap 'citus_stop_all' EXIT
trap 'exit 130' INT TERM
C=$CITUS_PORT_BASE W1=$((CITUS_PORT_BASE + 1)) W2=$((CITUS_PORT_BASE + 2)) S=$((CITUS_PORT_BASE + 3))
set -e
build_install
set +e
load() { as_pg env PGHOST=127.0.0.1 PGPORT=$1 PGUSER=postgres GEN_DB=${GEN_DB:-revrec} bash "$ROOT/bench/gen/load.sh" revrec "$SEED" "$SIZE" "$CSV" 2>&1 | grep -E "^(load|ERROR)" | tail -1; }
rate() { sed -n 's/.*lines=\([0-9]*\).*total_s=\([0-9.]*\).*/\1 \2/p' <<<"$1" | awk '{ if ($2 > 0) printf "%d", $1 / $2 }'; }

# the CSV files once, on a single node (generation is not timed)
if [ "$(cat "$CSV/meta" 2>/dev/null)" != "seed=$SEED size=$SIZE" ]; then
    citus_start single $S revrec
    cpsql $S -d postgres -c "CREATE DATABASE revrec"; cpsql $S -d revrec -c "CREATE EXTENSION revrec"
    echo "single node: $(load $S)"
    citus_stop_all
fi

declare -A POST STORE
for n in 1 2; do
    workers=($W1); [ $n = 2 ] && workers=($W1 $W2)
    citus_cluster $C "${workers[@]}" >/dev/null
    cpsql $C -d revrec -c "CREATE EXTENSION revrec" -c "ALTER DATABASE revrec SET citus.multi_shard_modify_mode = 'sequential'"
    cpsql $C -d revrec -c "SELECT revrec.distribute()" >/dev/null 2>&1 || echo "distribute() failed"
    r=$(load $C)
    echo "workers=$n posting: $r"
    POST[$n]=$(rate "$r")
    # the same COPY into a fresh cluster, without posting
    citus_stop_all
    citus_cluster $C "${workers[@]}" >/dev/null
    cpsql $C -d revrec -c "CREATE EXTENSION revrec" -c "ALTER DATABASE revrec SET citus.multi_shard_modify_mode = 'sequential'"
    cpsql $C -d revrec -c "SELECT revrec.distribute()" >/dev/null 2>&1 || echo "distribute() failed"
    for w in "${workers[@]}"; do cpsql $w -d postgres -c "ALTER DATABASE revrec SET session_replication_role = replica"; done
    r=$(load $C)
    echo "workers=$n documents only (triggers off on the workers): $r"
    STORE[$n]=$(rate "$r")
    citus_stop_all
done
for k in POST STORE; do
    declare -n a=$k
    if [ -n "${a[1]}" ] && [ -n "${a[2]}" ]; then
        echo "$k lines/s: 1 worker ${a[1]}, 2 workers ${a[2]}, ratio $(awk "BEGIN { printf \"%.2f\", ${a[2]} / ${a[1]} }")"
    else
        echo "$k lines/s: 1 worker ${a[1]:-failed}, 2 workers ${a[2]:-failed}: no ratio"
    fi
done
