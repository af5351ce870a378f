#!/usr/bin/env bash
# bench/schedule.sh: daily rows per second of revrec.schedule, of a plain-SQL
# daily_rate_even_months (bench/schedule_plain.sql) and of the floor
# generate_series, on the same 100,000 random annual periods, in a throwaway
# cluster.  Each rate is the median of 3 runs.  See bench/README.md.
# BENCH_RESULTS=FILE also appends the medians as key=value lines.
source "$(dirname "$0")/../scripts/common.sh"

PERIODS=${PERIODS:-100000}
SAMPLE=${SAMPLE:-2000}
RUNS=${RUNS:-3}

ensure_packages
build_install
throwaway_cluster

export PGDATABASE=revrec_bench
as_pg createdb revrec_bench
psql_q -c 'CREATE EXTENSION revrec'
psql_q -f "$ROOT/bench/schedule_plain.sql"
# one core for every query, so that the three figures compare like with like
psql_q -c 'ALTER DATABASE revrec_bench SET max_parallel_workers_per_gather = 0'

log "generating $PERIODS random annual periods"
psql_q <<SQL
DO \$\$ BEGIN PERFORM setseed(0.5); END \$\$;
CREATE TABLE bench.periods AS
SELECT i AS id,
       round((random() * 120000 - 20000)::numeric, 2) AS amount,   -- -20,000.00 .. 100,000.00
       s, (s + interval '1 year')::date - 1 AS e                   -- one year: 365 or 366 days
FROM (SELECT i, date '2000-01-01' + floor(random() * 11000)::int AS s
      FROM generate_series(1, $PERIODS) i) x;
ALTER TABLE bench.periods ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.periods;
SQL
days=$(as_pg psql -X -At -c 'SELECT sum(e - s + 1) FROM bench.periods')

log "checking the plain-SQL implementation against revrec.schedule on $SAMPLE periods"
read -r only_revrec only_plain sample_days < <(as_pg psql -X -At -F ' ' <<SQL
WITH sample AS (SELECT * FROM bench.periods WHERE id <= $SAMPLE),
r AS (SELECT p.id, x.day, x.amount FROM sample p, revrec.schedule(p.amount, p.s, p.e) x),
q AS (SELECT p.id, x.day, x.amount FROM sample p, bench.plain_schedule(p.amount, p.s, p.e) x)
SELECT (SELECT count(*) FROM (TABLE r EXCEPT ALL TABLE q) a),
       (SELECT count(*) FROM (TABLE q EXCEPT ALL TABLE r) b),
       (SELECT count(*) FROM r);
SQL
)
printf 'check: %s periods, %s days: revrec EXCEPT plain-SQL = %s rows, plain-SQL EXCEPT revrec = %s rows: %s\n' \
    "$SAMPLE" "$sample_days" "$only_revrec" "$only_plain" \
    "$([ "$only_revrec" = 0 ] && [ "$only_plain" = 0 ] && echo OK || echo MISMATCH)"
[ "$only_revrec" = 0 ] && [ "$only_plain" = 0 ] || exit 1

declare -A QUERY=(
    [revrec]='SELECT count(x.amount) FROM bench.periods p, revrec.schedule(p.amount, p.s, p.e) x'
    [plain]='SELECT count(x.amount) FROM bench.periods p, bench.plain_schedule(p.amount, p.s, p.e) x'
    [floor]='SELECT count(*) FROM bench.periods p, generate_series(p.s::timestamp, p.e::timestamp, interval '"'"'1 day'"'"') g'
)
declare -A MS=()
for run in $(seq "$RUNS"); do
    for k in revrec plain floor; do
        read -r ms n < <(echo "SELECT ms, n FROM bench.time_ms(:'q')" |
                         as_pg psql -X -At -F ' ' -v ON_ERROR_STOP=1 -v q="${QUERY[$k]}")
        [ "$n" = "$days" ] || { echo "$k counted $n rows, expected $days" >&2; exit 1; }
        MS[$k]="${MS[$k]:-} $ms"
        log "run $run $k: $ms ms"
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rate() { awk -v n="$days" -v ms="$1" 'BEGIN {printf "%.0f", n / (ms / 1000)}'; }
r_revrec=$(rate "$(echo "${MS[revrec]}" | median)")
r_plain=$(rate "$(echo "${MS[plain]}" | median)")
r_floor=$(rate "$(echo "${MS[floor]}" | median)")

echo
echo "revrec.schedule benchmark: $PERIODS annual periods, $days daily rows, median of $RUNS runs"
awk -v a="$r_revrec" -v b="$r_plain" -v c="$r_floor" 'BEGIN {
    printf "  %-44s %14s\n", "query", "daily rows/s"
    printf "  %-44s %14d\n", "revrec.schedule (daily_rate_even_months)", a
    printf "  %-44s %14d\n", "plain SQL (bench/schedule_plain.sql)", b
    printf "  %-44s %14d\n", "floor: generate_series over the same dates", c
    printf "  %-44s %13.1fx   (target >= 10x)\n", "ratio revrec / plain SQL", a / b
    printf "  %-44s %13.2fx   (target >= 0.5x)\n", "ratio revrec / floor", a / c
}'
if [ -n "${BENCH_RESULTS:-}" ]; then
    awk -v a="$r_revrec" -v b="$r_plain" -v c="$r_floor" -v p="$PERIODS" -v d="$days" -v r="$RUNS" 'BEGIN {
        printf "schedule.periods=%s\nschedule.days=%s\nschedule.runs=%s\n", p, d, r
        printf "schedule.revrec.rows_per_s=%s\nschedule.plain.rows_per_s=%s\nschedule.floor.rows_per_s=%s\n", a, b, c
        printf "schedule.ratio_plain=%.1f\nschedule.ratio_floor=%.2f\n", a / b, a / c
    }' >>"$BENCH_RESULTS"
fi
