#!/usr/bin/env bash
# Generate a sample company and load it into revrec with COPY, in ONE
# transaction, so that everything posts at COMMIT in one batch.
#
#   bash bench/gen/load.sh DB SEED SIZE [CSV_DIR]
#
# DB must have the revrec extension.  Connection: the usual PGHOST, PGPORT,
# PGUSER variables.  The generator (bench/gen/company.sql, schema revrec_gen)
# runs in $GEN_DB (default: DB) and its tables are written as CSV files into
# CSV_DIR (default: a temporary directory, removed at the end); when CSV_DIR
# already holds the files for this SEED and SIZE, generation is skipped, so
# repeated loads (benchmarks) read the same files.
#
# LOAD_BASELINE=1: the same COPY with revrec's triggers off
# (session_replication_role = replica, superuser only): what loading the
# documents alone costs, the floor the posting benchmark compares against.
# Nothing is posted then.
#
# Prints one line:  load lines=N copy_s=X commit_s=Y total_s=Z
#   copy_s   the COPY statements (with revrec's statement-level checks)
#   commit_s the COMMIT, where revrec.flush() posts everything
#   total_s  the whole transaction, BEGIN to the end of COMMIT
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 DB SEED SIZE [CSV_DIR]" >&2; exit 2; }
DB=$1 SEED=$2 SIZE=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEN_DB=${GEN_DB:-$DB}
if [ $# -ge 4 ]; then
    CSV=$4; mkdir -p "$CSV"
else
    CSV=$(mktemp -d /tmp/revrec-gen.XXXXXX); trap 'rm -rf "$CSV"' EXIT
fi
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# Tables in load order: reference data, then grants and schedules, then the
# invoices and everything hanging off their lines.
TABLES=(customer product credit_grant billing_schedule_line invoice invoice_line usage milestone)

if [ "$(cat "$CSV/meta" 2>/dev/null || true)" != "seed=$SEED size=$SIZE" ]; then
    rm -f "$CSV"/*.csv "$CSV/meta" "$CSV/columns"
    "${PSQL[@]}" -d "$GEN_DB" -f "$HERE/company.sql" 2>/dev/null >/dev/null \
        || "${PSQL[@]}" -d "$GEN_DB" -f "$HERE/company.sql"   # show the error
    "${PSQL[@]}" -d "$GEN_DB" -c "SELECT * FROM revrec_gen.generate($SEED, $SIZE)" >&2
    for t in "${TABLES[@]}"; do
        # column list = the staging table's columns (same names as revrec's)
        cols=$("${PSQL[@]}" -At -d "$GEN_DB" -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
              FROM pg_attribute WHERE attrelid = 'revrec_gen.$t'::regclass AND attnum > 0 AND NOT attisdropped")
        echo "$t|$cols" >>"$CSV/columns"
        "${PSQL[@]}" -d "$GEN_DB" -c "\\copy revrec_gen.$t TO '$CSV/$t.csv' (FORMAT csv)"
    done
    echo "seed=$SEED size=$SIZE" >"$CSV/meta"
fi

{
    echo "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset"
    [ -z "${LOAD_BASELINE:-}" ] || echo "SET session_replication_role = replica;"
    echo "BEGIN;"
    while IFS='|' read -r t cols; do
        echo "\\copy revrec.$t ($cols) FROM '$CSV/$t.csv' (FORMAT csv)"
    done <"$CSV/columns"
    echo "SELECT extract(epoch FROM clock_timestamp()) AS t1 \\gset"
    echo "COMMIT;"
    echo "SELECT extract(epoch FROM clock_timestamp()) AS t2 \\gset"
    echo "SELECT format('load lines=%s copy_s=%s commit_s=%s total_s=%s', (SELECT count(*) FROM revrec.invoice_line),
                  round(:t1 - :t0, 3), round(:t2 - :t1, 3), round(:t2 - :t0, 3));"
} | "${PSQL[@]}" -At -d "$DB"
