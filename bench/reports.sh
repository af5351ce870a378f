#!/usr/bin/env bash
# bench/reports.sh: how long the month-end reports take on a posted ledger of
# SIZE invoice lines (default 1,000,000) of the generated company
# (bench/gen), in a throwaway cluster.  See bench/README.md.
#
#   bash bench/reports.sh                       # 1,000,000 lines
#   SIZE=100000 RUNS=3 bash bench/reports.sh
#
# The company is loaded ONCE (bench/gen/load.sh: COPY in one transaction,
# posted at COMMIT), then VACUUM ANALYZE, then each query is timed RUNS times
# (interleaved) in the backend with clock_timestamp(), so that no result is
# sent to the client; the median is printed.  The generated CSV files are kept
# in $BENCH_CACHE/seed-SIZE (default /var/tmp/revrec-bench-cache), so a rerun
# skips generation.  BENCH_RESULTS=FILE appends the medians as key=value lines.
# EXPLAIN=1 also prints EXPLAIN (ANALYZE, BUFFERS) of every query after the runs.
# TRY_SETTINGS='work_mem=256MB jit=off' also times every query (same runs,
# interleaved) with these settings, an extra column: to try a fix without
# changing the extension.
source "$(dirname "$0")/../scripts/common.sh"

SIZE=${SIZE:-1000000}
SEED=${SEED:-42}
RUNS=${RUNS:-3}
MONTH=${MONTH:-2026-09}                 # the month reported; as_of = its last day
CURRENCY=${CURRENCY:-USD}
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/revrec-bench-cache}
EXPLAIN=${EXPLAIN:-0}

ensure_packages
build_install
throwaway_cluster

CSV=$BENCH_CACHE/$SEED-$SIZE
mkdir -p "$CSV"; chown "$PG_OS_USER" "$BENCH_CACHE" "$CSV"; chmod 755 "$BENCH_CACHE"

export PGDATABASE=revrec_bench
as_pg createdb revrec_bench
as_pg createdb revrec_gen
psql_q -c 'CREATE EXTENSION revrec'
if [ "$(cat "$CSV/meta" 2>/dev/null || true)" = "seed=$SEED size=$SIZE" ]; then
    log "loading $SIZE lines (seed $SEED) from $CSV"
else
    log "generating $SIZE lines (seed $SEED) into $CSV, then loading"
fi
out=$(as_pg env GEN_DB=revrec_gen bash "$ROOT/bench/gen/load.sh" revrec_bench "$SEED" "$SIZE" "$CSV" 2>/dev/null \
      | grep '^load ') || { as_pg env GEN_DB=revrec_gen bash "$ROOT/bench/gen/load.sh" revrec_bench "$SEED" "$SIZE" "$CSV"; exit 1; }
as_pg dropdb revrec_gen
log "$out"
t0=$(date +%s.%N)
psql_q -c 'VACUUM ANALYZE'
vacuum_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
read -r lines postings ledger_mb < <(as_pg psql -X -At -F ' ' -c "
    SELECT (SELECT count(*) FROM revrec.invoice_line), (SELECT count(*) FROM revrec.posting),
           pg_total_relation_size('revrec.posting') / 1048576")
log "vacuum analyze ${vacuum_s}s; $lines invoice lines, $postings postings, revrec.posting ${ledger_mb} MB"

psql_q <<'SQL'
CREATE SCHEMA bench;
-- run q (a query returning one count, or a COPY) once; the time in the backend
CREATE FUNCTION bench.time_ms(q text, OUT ms float8, OUT n bigint) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    IF q ~* '^\s*copy\M' THEN
        EXECUTE q;
        GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
        EXECUTE q INTO n;
    END IF;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
FROM_DATE=$MONTH-01
TO_DATE=$(as_pg psql -X -At -c "SELECT (date '$FROM_DATE' + interval '1 month' - interval '1 day')::date")
# count(r.*) rather than count(*): a whole-row reference makes the planner
# compute every column (with count(*) it may drop the unused ones).
KEYS=(journal_month journal_month_all journal_day deferred waterfall rollforward_deferred rollforward_unbilled close_summary verify)
declare -A QUERY=(
    [journal_month]="SELECT count(r.*) FROM revrec.journal_report(from_date => '$FROM_DATE', to_date => '$TO_DATE', currency => '$CURRENCY') r"
    [journal_month_all]="SELECT count(r.*) FROM revrec._journal_report('$FROM_DATE', '$TO_DATE', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 'month') r"
    [journal_day]="COPY (SELECT * FROM revrec.journal_report(from_date => '$FROM_DATE', to_date => '$TO_DATE', currency => '$CURRENCY', granularity => 'day')) TO '/dev/null'"
    [deferred]="SELECT count(r.*) FROM revrec.deferred_revenue(as_of => '$TO_DATE', currency => '$CURRENCY') r"
    [waterfall]="SELECT count(r.*) FROM revrec.waterfall(as_of => '$TO_DATE', currency => '$CURRENCY') r"
    [rollforward_deferred]="SELECT count(r.*) FROM revrec.deferred_rollforward(from_date => '$FROM_DATE', to_date => '$TO_DATE', \"by\" => 'customer_product') r"
    [rollforward_unbilled]="SELECT count(r.*) FROM revrec.unbilled_rollforward(from_date => '$FROM_DATE', to_date => '$TO_DATE') r"
    [close_summary]="SELECT count(r.*) FROM revrec.close_summary(from_date => '$FROM_DATE', to_date => '$TO_DATE', currency => '$CURRENCY') r"
    [verify]="SELECT count(r.*) FROM revrec.verify() r"
)
declare -A LABEL=(
    [journal_month]="(a) journal report, month granularity, $CURRENCY"
    [journal_month_all]="    the same, every currency (_journal_report)"
    [journal_day]="(b) journal report, day granularity, COPY"
    [deferred]="(c) deferred_revenue, $CURRENCY"
    [waterfall]="(d) waterfall, $CURRENCY"
    [rollforward_deferred]="(e) deferred_rollforward by customer_product"
    [rollforward_unbilled]="    unbilled_rollforward, every currency"
    [close_summary]="(f) close_summary, $CURRENCY (with verify())"
    [verify]="(g) verify() alone (no rows: a consistent ledger)"
)
declare -A TARGET=([journal_month]=5 [deferred]=5)
TRY_SETTINGS=${TRY_SETTINGS:-}
try_opts=""; for s in $TRY_SETTINGS; do try_opts+=" -c ${s%%=*}=${s#*=}"; done
declare -A MS=() MS_TRY=() N=()
for run in $(seq "$RUNS"); do
    for k in "${KEYS[@]}"; do
        for variant in default ${TRY_SETTINGS:+try}; do
            opts=""; [ "$variant" = try ] && opts=$try_opts
            read -r ms n < <(echo "SELECT ms, n FROM bench.time_ms(:'q')" |
                             as_pg env PGOPTIONS="$opts" psql -X -At -F ' ' -v ON_ERROR_STOP=1 -v q="${QUERY[$k]}")
            [ -n "$ms" ] || { echo "$k failed" >&2; exit 1; }
            if [ -n "${N[$k]:-}" ] && [ "${N[$k]}" != "$n" ]; then echo "$k: $n rows, earlier ${N[$k]}" >&2; exit 1; fi
            N[$k]=$n
            if [ "$variant" = try ]; then MS_TRY[$k]="${MS_TRY[$k]:-} $ms"; else MS[$k]="${MS[$k]:-} $ms"; fi
            log "run $run $k ($variant): $n rows in $ms ms"
        done
    done
done

if [ "$EXPLAIN" = 1 ]; then
    for k in "${KEYS[@]}"; do
        q=${QUERY[$k]}
        [[ $q == COPY* ]] && q=$(sed -E 's/^COPY \((.*)\) TO .*$/SELECT count(*) FROM (\1) z/' <<<"$q")
        echo "--- EXPLAIN (ANALYZE, BUFFERS) $k ${TRY_SETTINGS:+(with $TRY_SETTINGS)}"
        as_pg env PGOPTIONS="$try_opts" psql -X -c "EXPLAIN (ANALYZE, BUFFERS) $q"
    done
fi

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "revrec reports benchmark: $lines invoice lines (seed $SEED), $postings postings, month $MONTH, as of $TO_DATE"
echo "  ($out; load average $load_start at start, $load_end at end; median of $RUNS runs, timed in the backend)"
printf '  %-48s %10s %10s %12s %-16s %s\n' query seconds rows rows/s target "${TRY_SETTINGS:+seconds with $TRY_SETTINGS}"
for k in "${KEYS[@]}"; do
    ms=$(echo "${MS[$k]}" | median)
    s=$(awk -v ms="$ms" 'BEGIN {printf "%.3f", ms / 1000}')
    rps=$(awk -v n="${N[$k]}" -v ms="$ms" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
    t=${TARGET[$k]:-}
    verdict=""; [ -n "$t" ] && verdict=$(awk -v s="$s" -v t="$t" 'BEGIN {print (s < t) ? "< " t " s ok" : "< " t " s MISSED"}')
    st=""; [ -n "$TRY_SETTINGS" ] && st=$(awk -v ms="$(echo "${MS_TRY[$k]}" | median)" 'BEGIN {printf "%.3f", ms / 1000}')
    printf '  %-48s %10s %10d %12s %-16s %s\n' "${LABEL[$k]}" "$s" "${N[$k]}" "$rps" "$verdict" "$st"
    if [ -n "${BENCH_RESULTS:-}" ]; then
        printf 'reports.%s.s=%s\nreports.%s.rows=%s\nreports.%s.rows_per_s=%s\n' "$k" "$s" "$k" "${N[$k]}" "$k" "$rps" >>"$BENCH_RESULTS"
    fi
done
if [ -n "${BENCH_RESULTS:-}" ]; then
    printf 'reports.lines=%s\nreports.postings=%s\nreports.runs=%s\n' "$lines" "$postings" "$RUNS" >>"$BENCH_RESULTS"
fi
