#!/usr/bin/env bash
# Posting benchmark (issue 4): load a generated company with COPY in one
# transaction and measure the posting at COMMIT.
#
#   bash bench/posting.sh [SIZE...]        default sizes: 100000 1000000
#   RUNS=3 SEED=42 bash bench/posting.sh 100000
#   SIZE=100000 bash bench/posting.sh      (SIZE: one size, when no argument is given)
#   BENCH_RESULTS=FILE                     also append the medians as key=value lines
#
# For each size: the company is generated once (bench/gen/company.sql) and
# written as CSV; then RUNS times, into a fresh database: BEGIN, COPY every
# document table, COMMIT (revrec.flush() posts everything at commit).
# Printed per size, medians of the runs:
#   lines/s     invoice lines / wall time of the whole transaction incl. COMMIT
#   copy_s      the COPY statements (revrec's statement-level checks run here)
#   commit_s    the COMMIT, i.e. the posting (revrec.flush())
#   base_s      baseline, run before each real run into its own database: the
#               same COPY with revrec's triggers off (session_replication_role
#               = replica), i.e. what storing the documents alone costs
#   own/s       lines / (total_s - base_s): the rate of revrec's own work
#   B/line      (pg_total_relation_size(revrec.posting) + that of revrec.activity) / lines
# and, on the last run's database: postings stored, journals checked and how
# many do not balance (sum of debits <> sum of credits per journal_number in
# revrec.journal_entry), on every customer below SAMPLE_FROM lines (default
# 500,000), on a 1% sample of customers above.
source "$(dirname "$0")/../scripts/common.sh"

if [ $# -gt 0 ]; then SIZES=("$@"); elif [ -n "${SIZE:-}" ]; then SIZES=("$SIZE"); else SIZES=(100000 1000000); fi
RUNS=${RUNS:-3}
SEED=${SEED:-42}
SAMPLE_FROM=${SAMPLE_FROM:-500000}

ensure_packages
build_install
throwaway_cluster

CSV=$WORK/csv
mkdir -p "$CSV"; chown "$PG_OS_USER" "$CSV"
as_pg createdb revrec_gen
psql_q -d revrec_gen -c 'SET client_min_messages = warning' -f "$ROOT/bench/gen/company.sql" >/dev/null

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
results=()

for size in "${SIZES[@]}"; do
    copy=(); commit=(); total=(); rate=(); bpl=(); base=(); own=()
    for run in $(seq 1 "$RUNS"); do
        # baseline, interleaved with the real runs: the same COPY into a fresh
        # database with revrec's triggers off (nothing checked, nothing posted)
        as_pg dropdb --if-exists revrec_base
        as_pg createdb revrec_base
        psql_q -d revrec_base -c 'CREATE EXTENSION revrec'
        [ "$run" = 1 ] && log "size $size: generating (seed $SEED)"
        out=$(as_pg env GEN_DB=revrec_gen LOAD_BASELINE=1 bash "$ROOT/bench/gen/load.sh" revrec_base "$SEED" "$size" "$CSV/$size" 2>/dev/null \
              | grep '^load ') || { as_pg env GEN_DB=revrec_gen bash "$ROOT/bench/gen/load.sh" revrec_base "$SEED" "$size" "$CSV/$size"; exit 1; }
        bt=$(sed -E 's/.*total_s=([0-9.]+).*/\1/' <<<"$out")
        as_pg dropdb revrec_base
        db=revrec_bench_$run
        as_pg dropdb --if-exists "$db"
        as_pg createdb "$db"
        psql_q -d "$db" -c 'CREATE EXTENSION revrec'
        out=$(as_pg env GEN_DB=revrec_gen bash "$ROOT/bench/gen/load.sh" "$db" "$SEED" "$size" "$CSV/$size" 2>/dev/null \
              | grep '^load ') || { as_pg env GEN_DB=revrec_gen bash "$ROOT/bench/gen/load.sh" "$db" "$SEED" "$size" "$CSV/$size"; exit 1; }
        lines=$(sed -E 's/.*lines=([0-9]+).*/\1/' <<<"$out")
        c=$(sed -E 's/.*copy_s=([0-9.]+).*/\1/' <<<"$out")
        m=$(sed -E 's/.*commit_s=([0-9.]+).*/\1/' <<<"$out")
        t=$(sed -E 's/.*total_s=([0-9.]+).*/\1/' <<<"$out")
        b=$(psql_q -At -d "$db" -c "SELECT round((pg_total_relation_size('revrec.posting')
                                     + pg_total_relation_size('revrec.activity'))::numeric / $lines)")
        r=$(awk -v l="$lines" -v t="$t" 'BEGIN {printf "%d", l / t}')
        o=$(awk -v l="$lines" -v t="$t" -v b="$bt" 'BEGIN {printf "%d", (t > b) ? l / (t - b) : 0}')
        log "size $size run $run: $lines lines, copy ${c}s, commit ${m}s, total ${t}s, $r lines/s, $b B/line; baseline ${bt}s, revrec's own work $o lines/s"
        copy+=("$c"); commit+=("$m"); total+=("$t"); rate+=("$r"); bpl+=("$b"); base+=("$bt"); own+=("$o")
        [ "$run" = "$RUNS" ] || as_pg dropdb "$db"
    done

    # checks on the last run's database
    if [ "$size" -lt "$SAMPLE_FROM" ]; then
        sample="true"; scope=all
    else
        sample="right(customer_id, 2) = '00'"; scope="1% of customers"
    fi
    check=$(psql_q -At -F ' ' -d "$db" -c "
        SET jit = off;
        SELECT (SELECT count(*) FROM revrec.posting),
               count(*), count(*) FILTER (WHERE dr IS DISTINCT FROM cr)
          FROM (SELECT journal_number,
                       sum(amount) FILTER (WHERE direction = 'debit') AS dr,
                       sum(amount) FILTER (WHERE direction = 'credit') AS cr
                  FROM revrec.journal_entry
                 WHERE customer_id IN (SELECT customer_id FROM revrec.customer WHERE $sample)
                 GROUP BY journal_number) j")
    read -r postings journals unbalanced <<<"$check"
    log "size $size: $postings postings; journals checked ($scope): $journals, unbalanced: $unbalanced"
    as_pg dropdb "$db"
    if [ -n "${BENCH_RESULTS:-}" ]; then
        printf 'posting.%s.%s=%s\n' "$size" lines_per_s "$(median "${rate[@]}")" "$size" copy_s "$(median "${copy[@]}")" \
            "$size" commit_s "$(median "${commit[@]}")" "$size" total_s "$(median "${total[@]}")" \
            "$size" bytes_per_line "$(median "${bpl[@]}")" "$size" postings "$postings" \
            "$size" journals_checked "$journals" "$size" unbalanced "$unbalanced" "$size" runs "$RUNS" \
            "$size" baseline_s "$(median "${base[@]}")" "$size" own_lines_per_s "$(median "${own[@]}")" >>"$BENCH_RESULTS"
        echo "posting.sizes=${SIZES[*]}" >>"$BENCH_RESULTS"
    fi
    results+=("$(printf '%9s %9s %8s %9s %9s %8s %9s %7s %10s %10s %-16s %10s' "$size" "$(median "${rate[@]}")" \
        "$(median "${copy[@]}")" "$(median "${commit[@]}")" "$(median "${total[@]}")" "$(median "${base[@]}")" \
        "$(median "${own[@]}")" "$(median "${bpl[@]}")" \
        "$postings" "$journals" "($scope)" "$unbalanced")")
done

echo
echo "revrec posting benchmark: COPY of a generated company in one transaction (seed $SEED, median of $RUNS runs)"
printf '%9s %9s %8s %9s %9s %8s %9s %7s %10s %10s %-16s %10s\n' lines lines/s copy_s commit_s total_s base_s own/s B/line \
    postings journals "checked" unbalanced
printf '%s\n' "${results[@]}"
echo "base_s: the same COPY with revrec's triggers off (documents only, nothing posted);"
echo "own/s: lines / (total_s - base_s), the rate of revrec's own checking and posting"
echo "targets: >= 20000 lines/s at 1,000,000 lines; < 1024 B/line"
