#!/usr/bin/env bash
# make bench: run every bench/*.sh in turn (each sets up its own throwaway
# cluster, scripts/common.sh, and prints its own table), then print ONE
# summary table assembled from the key=value figures each benchmark appends
# to $BENCH_RESULTS.  Exits non-zero if any of them fails.
#
#   make bench                      the issue's sizes: 1,000,000 lines for
#                                   posting and reports (long: about 25 minutes)
#   BENCH_QUICK=1 make bench        quick, for development: 10,000 company
#                                   lines, 300 export lines, 10,000 periods
#   BENCH_ONLY="posting reports"    run only these bench/*.sh
#   BENCH_TABLE_ONLY=1              run nothing, print the table of $BENCH_OUT
#
# Sizes can also be set one by one: SIZE (posting and reports, generated
# company lines), LINES (exports), PERIODS (schedule), RUNS (all, default 3).
# exports.sh writes a year of daily entries per annual line (730 rows each)
# and some formats run at ~30,000 rows/s, so make bench uses LINES=3,000
# (2.2 million rows per format and run, ~9 minutes for the 4 formats x 3
# runs), not exports.sh's own default of 100,000 (hours).
# The figures are kept in $BENCH_OUT (default ./out/bench-results.txt).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then
    export SIZE=${SIZE:-10000} LINES=${LINES:-300} PERIODS=${PERIODS:-10000}
    mode=quick
else
    export SIZE=${SIZE:-1000000} LINES=${LINES:-3000} PERIODS=${PERIODS:-100000}
    mode=full
fi
export RUNS=${RUNS:-3}
BENCH_OUT=${BENCH_OUT:-$ROOT/out/bench-results.txt}
mkdir -p "$(dirname "$BENCH_OUT")"
export BENCH_RESULTS=$BENCH_OUT

rc=0
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
[ -n "${BENCH_TABLE_ONLY:-}" ] || : >"$BENCH_OUT"
for b in "$ROOT"/bench/*.sh; do
    [ -z "${BENCH_TABLE_ONLY:-}" ] || break
    [ -f "$b" ] || continue
    name=$(basename "$b" .sh)
    if [ -n "${BENCH_ONLY:-}" ] && ! [[ " $BENCH_ONLY " == *" $name "* ]]; then continue; fi
    echo "=== bench/$name.sh"
    t0=$(date +%s)
    bash "$b" || { echo "bench/$name.sh failed" >&2; rc=1; }
    echo "bench.$name.wall_s=$(( $(date +%s) - t0 ))" >>"$BENCH_OUT"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the summary table, from the key=value lines -------------------------
declare -A R=()
while IFS='=' read -r k v; do [ -n "$k" ] && R[$k]=$v; done <"$BENCH_OUT"
get() { echo "${R[$1]:-n/a}"; }
row() { printf '  %-62s %12s  %s\n' "$1" "$2" "${3:-}"; }
num() { awk -v x="$1" 'BEGIN { if (x == "n/a" || x == "") print "n/a"; else {
          s = sprintf("%.0f", x); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o } }'; }
fails_target() { awk -v x="$1" -v t="$2" -v op="$3" 'BEGIN { if (x == "n/a") { print "" } else if ((op == "<" && x + 0 < t) || (op == ">=" && x + 0 >= t)) print "ok"; else print "MISSED" }'; }

echo
if [ -n "${BENCH_TABLE_ONLY:-}" ]; then
    echo "revrec benchmarks (figures of $BENCH_OUT)"
else
    echo "revrec benchmarks ($mode mode, median of $RUNS runs each; $(( $(date +%s) - start )) s in all;" \
         "load average $load_start at start, $load_end at end)"
fi
printf '  %-62s %12s  %s\n' figure value target
for size in ${R[posting.sizes]:-}; do
    t=">= 20,000 at 1M lines"; [ "$size" -ge 1000000 ] && t="$t: $(fails_target "$(get "posting.$size.lines_per_s")" 20000 '>=')"
    row "posting: lines/s ($(num "$size") lines, COPY + COMMIT)" "$(num "$(get "posting.$size.lines_per_s")")" "$t"
    row "  baseline: the same COPY, revrec's triggers off" "$(get "posting.$size.baseline_s") s"
    row "  revrec's own work: lines / (total - baseline)" "$(num "$(get "posting.$size.own_lines_per_s")")"
    row "posting: bytes per line (posting + activity)" "$(get "posting.$size.bytes_per_line")" \
        "< 1024: $(fails_target "$(get "posting.$size.bytes_per_line")" 1024 '<')"
    row "posting: unbalanced journals (of $(num "$(get "posting.$size.journals_checked")") checked)" "$(get "posting.$size.unbalanced")" "0"
done
if [ -n "${R[reports.lines]:-}" ]; then
    l=$(num "${R[reports.lines]}")
    row "journal report, a month, month granularity, USD ($l lines)" "$(get reports.journal_month.s) s" \
        "< 5 s: $(fails_target "$(get reports.journal_month.s)" 5 '<')"
    row "  the same, every currency" "$(get reports.journal_month_all.s) s"
    row "journal report, a month, day granularity, COPY" "$(get reports.journal_day.s) s" \
        "($(num "$(get reports.journal_day.rows_per_s)") rows/s)"
    row "deferred revenue, USD" "$(get reports.deferred.s) s" "< 5 s: $(fails_target "$(get reports.deferred.s)" 5 '<')"
    row "waterfall, USD" "$(get reports.waterfall.s) s"
fi
for f in ${R[exports.formats]:-}; do
    t=""; [ "$f" = sequence ] && t=">= 1,000,000: $(fails_target "$(get exports.sequence.rows_per_s)" 1000000 '>=')"
    row "export $f rows/s ($(get "exports.$f.granularity"), $(num "$(get exports.lines)") annual lines)" \
        "$(num "$(get "exports.$f.rows_per_s")")" "$t"
done
[ -z "${R[exports.baseline.rows_per_s]:-}" ] || row "  baseline: the Sequence rows copied from a plain table" "$(num "$(get exports.baseline.rows_per_s)")"
if [ -n "${R[schedule.periods]:-}" ]; then
    row "schedule: revrec.schedule rows/s ($(num "${R[schedule.periods]}") annual periods)" "$(num "$(get schedule.revrec.rows_per_s)")"
    row "schedule: plain SQL rows/s" "$(num "$(get schedule.plain.rows_per_s)")"
    row "schedule: floor (generate_series) rows/s" "$(num "$(get schedule.floor.rows_per_s)")"
    row "schedule: ratio revrec / plain SQL" "$(get schedule.ratio_plain)x" \
        ">= 10x: $(fails_target "$(get schedule.ratio_plain)" 10 '>=')"
    row "schedule: ratio revrec / floor" "$(get schedule.ratio_floor)x" \
        ">= 0.5x: $(fails_target "$(get schedule.ratio_floor)" 0.5 '>=')"
fi
if [ -n "${R[sources.lines]:-}" ]; then
    row "sources: Stripe lines backfilled/s ($(num "${R[sources.lines]}") lines, sync_source)" "$(num "$(get sources.backfill_lines_per_s)")"
    row "  the same documents COPY'd into revrec's tables, lines/s" "$(num "$(get sources.copy_lines_per_s)")" \
        "ratio $(get sources.ratio)x"
fi
echo "  (figures also in $BENCH_OUT)"
exit $rc
