#!/usr/bin/env bash
# bench/exports.sh: rows per second of each GL export writing a year of daily
# entries of LINES annual invoice lines (default 100,000) with
#   COPY (SELECT * FROM revrec.export_<format>(...)) TO '/dev/null' (FORMAT csv, HEADER)
# in a throwaway cluster; each rate is the median of RUNS runs (default 3).
# GRANULARITY (default day) applies to all four formats, so every format
# writes the same daily entries; GL_GRANULARITY=month measures the GLs at
# their default granularity instead.  Target: Sequence >= 1,000,000 rows/s.
# A baseline prints side by side: COPY of the same Sequence rows from a plain
# table, the floor any implementation of the export meets.
# BENCH_RESULTS=FILE also appends the medians as key=value lines.
source "$(dirname "$0")/../scripts/common.sh"

LINES=${LINES:-100000}
RUNS=${RUNS:-3}
GRANULARITY=${GRANULARITY:-day}
GL_GRANULARITY=${GL_GRANULARITY:-$GRANULARITY}
FORMATS=${FORMATS:-sequence xero quickbooks netsuite}

ensure_packages
build_install
throwaway_cluster

export PGDATABASE=revrec_bench
as_pg createdb revrec_bench
psql_q -c 'CREATE EXTENSION revrec'
psql_q -c 'ALTER DATABASE revrec_bench SET max_parallel_workers_per_gather = 0'

log "loading $LINES annual invoice lines (one transaction, posted at commit)"
psql_q <<SQL
DO \$\$ BEGIN PERFORM setseed(0.5); END \$\$;
INSERT INTO revrec.customer SELECT 'C' || i, 'Customer ' || i FROM generate_series(1, 1000) i;
INSERT INTO revrec.product (product_id, name) SELECT 'P' || i, 'Product ' || i FROM generate_series(1, 20) i;
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
SELECT t, a, t || '-' || a FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t,
       unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled']) a;
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
SELECT 'I' || i, 'N' || i, 'C' || (1 + i % 1000), 'USD', date '2025-01-01' FROM generate_series(1, $LINES) i;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
SELECT 'I' || i || '-1', 'I' || i, 'P' || (1 + i % 20), round((random() * 20000 + 100)::numeric, 2),
       date '2025-01-01', date '2025-12-31' FROM generate_series(1, $LINES) i;
COMMIT;
VACUUM ANALYZE;
SQL

declare -A MS=() N=()
for run in $(seq "$RUNS"); do
    for f in $FORMATS; do
        g=$GL_GRANULARITY; [ "$f" = sequence ] && g=$GRANULARITY
        out=$(as_pg psql -X -v ON_ERROR_STOP=1 <<SQL
\timing on
COPY (SELECT * FROM revrec.export_$f(from_date => '2025-01-01', to_date => '2025-12-31', granularity => '$g')) TO '/dev/null' (FORMAT csv, HEADER);
SQL
)
        n=$(echo "$out" | sed -n 's/^COPY \([0-9]*\)$/\1/p')
        ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
        MS[$f]="${MS[$f]:-} $ms"; N[$f]=$n
        log "run $run $f ($g): $n rows in $ms ms"
    done
done

# Baseline for the Sequence format: the same rows, materialized once into a
# plain table of the same 12 text columns, written with COPY the same way.
# No export can beat it: it is the cost of COPY's CSV output alone.
BASE_MS=""
if [[ " $FORMATS " == *" sequence "* ]]; then
    psql_q -c "CREATE UNLOGGED TABLE bench_sequence AS SELECT * FROM revrec.export_sequence(from_date => '2025-01-01', to_date => '2025-12-31', granularity => '$GRANULARITY')"
    psql_q -c 'VACUUM ANALYZE bench_sequence'
    for run in $(seq "$RUNS"); do
        out=$(as_pg psql -X -v ON_ERROR_STOP=1 <<SQL
\timing on
COPY (SELECT * FROM bench_sequence) TO '/dev/null' (FORMAT csv, HEADER);
SQL
)
        ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
        BASE_MS="$BASE_MS $ms"
        log "run $run baseline (plain table, sequence rows): $(echo "$out" | sed -n 's/^COPY \([0-9]*\)$/\1/p') rows in $ms ms"
    done
fi

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "GL export benchmark: $LINES annual invoice lines, year 2025, median of $RUNS runs"
printf '  %-12s %-6s %12s %10s %14s\n' format gran rows 'ms' 'rows/s'
for f in $FORMATS; do
    g=$GL_GRANULARITY; [ "$f" = sequence ] && g=$GRANULARITY
    ms=$(echo "${MS[$f]}" | median)
    rps=$(awk -v n="${N[$f]}" -v ms="$ms" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
    printf '  %-12s %-6s %12d %10.0f %14.0f\n' "$f" "$g" "${N[$f]}" "$ms" "$rps"
    if [ -n "${BENCH_RESULTS:-}" ]; then
        printf 'exports.%s.%s=%s\n' "$f" rows_per_s "$rps" "$f" rows "${N[$f]}" "$f" granularity "$g" >>"$BENCH_RESULTS"
    fi
done
if [ -n "$BASE_MS" ]; then
    ms=$(echo "$BASE_MS" | median)
    brps=$(awk -v n="${N[sequence]}" -v ms="$ms" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
    srps=$(awk -v n="${N[sequence]}" -v ms="$(echo "${MS[sequence]}" | median)" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
    printf '  %-12s %-6s %12d %10.0f %14.0f\n' "baseline" "$GRANULARITY" "${N[sequence]}" "$ms" "$brps"
    echo "  baseline: the Sequence rows from a plain table (COPY's own cost); sequence/baseline = $(awk -v a="$srps" -v b="$brps" 'BEGIN {printf "%.2f", a / b}')"
    [ -z "${BENCH_RESULTS:-}" ] || printf 'exports.baseline.rows_per_s=%s\n' "$brps" >>"$BENCH_RESULTS"
fi
[ -z "${BENCH_RESULTS:-}" ] || printf 'exports.lines=%s\nexports.formats=%s\nexports.runs=%s\n' "$LINES" "$FORMATS" "$RUNS" >>"$BENCH_RESULTS"
echo "  target: sequence >= 1,000,000 rows/s"
