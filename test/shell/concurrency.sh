#!/usr/bin/env bash
# Model-based concurrency test (issue 15): SESSIONS sessions at once run
# random operations on a small set of shared documents (test/shell/lib/
# concurrency_gen.pl: issue, lines added to drafts, usage, milestones, credit
# notes in both modes and standalone, voids, lock moves, manual journals),
# committing or rolling back.  Refusals are fine (RVxxx, 23xxx for a
# document written twice, 25P02 after them, 40001/40P01 accepted); any other
# SQLSTATE (XX000 ...) or a crash fails.  Then the ledger is checked against
# the documents (test/shell/lib/concurrency_checks.sql): verify() finds
# nothing, every journal balances, no group's deferred is a debit or its
# unbilled a credit on any day, billed/unbilled/deferred/recognized per
# group equal a recomputation from the final documents, standalone credits
# and manual journals are exactly what committed, nothing is dated into the
# lock in force when it was posted.
#   REVREC_CONC_SEED (default 1000 in make test, so that a run is repeatable;
#   "random" for a new one each run; printed), REVREC_CONC_SESSIONS (4),
#   REVREC_CONC_STEPS (150), REVREC_CONC_ROUNDS (3: fresh databases, seeds
#   SEED, SEED+1, ...).  The sessions' interleaving still varies from run to run.
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
source "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
SEED=${REVREC_CONC_SEED:-1000}
[ "$SEED" = random ] && SEED=$(( $(date +%s) % 100000 ))
SESSIONS=${REVREC_CONC_SESSIONS:-4}
STEPS=${REVREC_CONC_STEPS:-150}
ROUNDS=${REVREC_CONC_ROUNDS:-3}
OUT=$(mktemp -d /tmp/rr_conc.XXXXXX)
[ "${REVREC_CONC_KEEP:-0}" = 1 ] && echo "# session scripts and errors kept in $OUT" || trap 'rm -rf "$OUT"' EXIT
echo "# seed $SEED, $SESSIONS sessions x $STEPS transactions, $ROUNDS rounds (REVREC_CONC_SEED=$SEED to repeat)"

# run_round DB SEED: the sessions at once, then the checks; prints TAP lines
run_round() {
    local db=$1 seed=$2 s pids=() bad fails
    dropdb --if-exists "$db"; createdb "$db"
    q -d "$db" <<'SQL'
CREATE EXTENSION revrec;
INSERT INTO revrec.customer VALUES ('C1', 'One'), ('C2', 'Two'), ('C3', 'Three');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('API', 'API calls', 'usage'),
                                  ('SET', 'Setup', 'point_in_time'), ('MS', 'Project', 'milestone');
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services revenue', 'credit');
CREATE TABLE conc_lock (id serial PRIMARY KEY, lock_date date, mark bigint NOT NULL);
CREATE TABLE conc_mj (journal_number text NOT NULL, amount numeric NOT NULL);
SQL
    for s in $(seq 1 "$SESSIONS"); do
        perl "$DIR/lib/concurrency_gen.pl" "$seed" "$s" "$STEPS" >"$OUT/$db.s$s.sql"
        psql -X -q -d "$db" -f "$OUT/$db.s$s.sql" >/dev/null 2>"$OUT/$db.s$s.err" &
        pids+=($!)
    done
    fails=0
    for s in "${!pids[@]}"; do wait "${pids[$s]}" || { echo "# session $((s + 1)) exited $?"; fails=$((fails + 1)); }; done
    echo "# round seed $seed: SQLSTATEs $(cat "$OUT/$db".s*.err | grep -oE 'ERROR:  [0-9A-Z]{5}' | cut -c9- | sort | uniq -c | sort -rn | awk '{ printf "%s %s, ", $2, $1 }')"
    bad=$(cat "$OUT/$db".s*.err | grep -E 'ERROR:  [0-9A-Z]{5}' | grep -vE 'ERROR:  (RV[0-9]{3}|23[0-9A-Z]{3}|25P02|40001|40P01):' | head -n 5 || true)
    bad+=$(grep -hE 'server closed the connection|terminated abnormally|connection to server .* lost' "$OUT/$db".s*.err | head -n 3 || true)
    if [ $fails = 0 ] && [ -z "$bad" ]; then
        echo "ok - seed $seed: sessions ran without an internal error or a crash"
    else
        echo "not ok - seed $seed: sessions ran without an internal error or a crash"
        echo "$bad" | sed 's/^/#   /'
    fi
    q -d "$db" -f "$DIR/lib/concurrency_checks.sql" | while IFS='|' read -r name n examples; do
        name=$(echo "$name" | sed 's/ *$//'); n=$(echo "$n" | tr -d ' ')
        if [ "$n" = 0 ]; then echo "ok - seed $seed: $name"
        else echo "not ok - seed $seed: $name ($n)"; echo "#   $examples" | head -c 3000; echo; fi
    done
}

for r in $(seq 0 $((ROUNDS - 1))); do
    run_round rr_conc $((SEED + r))
done
# keep the last round's database when something failed (REVREC_CONC_KEEP=1)
[ "${REVREC_CONC_KEEP:-0}" = 1 ] || dropdb --if-exists rr_conc
