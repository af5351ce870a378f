#!/usr/bin/env bash
# make fuzz: random documents, amounts, dates, settings, manual journals,
# reports and direct calls of the C entry points (test/fuzz/gen.pl) fed to
# revrec in a throwaway cluster for a bounded time.  Fails when
#   - a server process dies (crash, or a UBSan report: the extension is built
#     with -fsanitize=undefined unless REVREC_FUZZ_UBSAN=0),
#   - a statement fails with an SQLSTATE other than revrec's own (RVxxx),
#     integrity (23xxx), data exceptions from input parsing (22xxx) and
#     the aborted-transaction follow-ups (25P02) — an internal error (XX000)
#     or anything else is a finding,
#   - a journal does not balance (checked after every batch, per currency,
#     and over every daily entry at the end).
#
#
# Sessions: REVREC_FUZZ_SESSIONS (default 4) psql sessions run their batches at
# the same time on the same database (batch numbers interleave, and batches
# refer back to each other's documents, so sessions meet on shared invoices,
# lines, credit notes and the settings row); deadlocks and serialization
# failures (40P01, 40001) are accepted there.  REVREC_FUZZ_SESSIONS=1 is the
# single-session mode.  With more than one session the run ends with the
# model-based concurrency test (test/shell/concurrency.sh, seeded from the fuzz
# seed, REVREC_FUZZ_MODEL_STEPS transactions a session, default 300): the
# ledger against an independent recomputation from the documents.
#
#   bash scripts/private.sh make fuzz                 # ~60 s
#   REVREC_FUZZ_SECONDS=600 REVREC_FUZZ_SEED=42 bash scripts/private.sh make fuzz
#   REVREC_FUZZ_SESSIONS=1 bash scripts/private.sh make fuzz    # one session
#
# A failing batch is kept in out/fuzz/ with its seed; `perl test/fuzz/gen.pl
# SEED N BATCH` prints it again (with several sessions, the batches of one
# round ran together: rerunning one alone may not reproduce a race).
source "$(dirname "$0")/common.sh"

SECONDS_BUDGET=${REVREC_FUZZ_SECONDS:-60}
SEED=${REVREC_FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}
PER_BATCH=${REVREC_FUZZ_BATCH:-100}
SESSIONS=${REVREC_FUZZ_SESSIONS:-4}
OUT=$ROOT/out/fuzz
rm -rf "$OUT"; mkdir -p "$OUT"

ensure_packages
if [ "${REVREC_FUZZ_UBSAN:-1}" = 1 ]; then
    export COPT="-fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -fno-wrapv"
    export PG_LDFLAGS=-fsanitize=undefined
    printf '#!/bin/sh\nUBSAN_OPTIONS=print_stacktrace=1 exec %s/postgres "$@"\n' "$PGBIN" >"$OUT/postgres"
    chmod 755 "$OUT/postgres"
    export REVREC_POSTGRES=$OUT/postgres
    # instrumented objects must not outlive this run
    make -C "$ROOT" -s clean >/dev/null
fi
export REVREC_KEEP_SERVER_LOG=$OUT/server.log
build_install
[ "${REVREC_FUZZ_UBSAN:-1}" = 1 ] && make -C "$ROOT" -s clean >/dev/null
throwaway_cluster
chown -R "$PG_OS_USER" "$OUT"

log "fuzz: seed $SEED, ${SECONDS_BUDGET}s, $SESSIONS session(s), ubsan=${REVREC_FUZZ_UBSAN:-1}"
as_pg createdb rr_fuzz
psql_q -d rr_fuzz <<'SQL'
CREATE EXTENSION revrec;
INSERT INTO revrec.customer SELECT 'C' || i, 'Customer ' || i FROM generate_series(1, 5) i;
INSERT INTO revrec.product VALUES ('P_SL', 'Subscription', 'straight_line'), ('P_US', 'API', 'usage'),
                                  ('P_PT', 'Setup', 'point_in_time'), ('P_MS', 'Project', 'milestone');
SQL

# Per currency: a journal whose debits and credits differ (month rows, cheap).
balance_check() {
    as_pg psql -X -At -d rr_fuzz -v ON_ERROR_STOP=1 -c "
      SELECT c.code || ' ' || r.journal_number
        FROM revrec.currency c,
             LATERAL revrec.journal_report('4713-01-01 BC', '5874897-12-31', currency => c.code) r
       WHERE EXISTS (SELECT 1 FROM revrec.posting p WHERE p.currency = c.code)
       GROUP BY 1
      HAVING sum(CASE r.direction WHEN 'debit' THEN r.amount ELSE -r.amount END) <> 0"
}

fail=0; batch=0; stmts=0; crashes=0
deadline=$(( $(date +%s) + SECONDS_BUDGET ))
: >"$OUT/states.txt"
ACCEPT='RV[0-9]{3}|22[0-9A-Z]{3}|23[0-9A-Z]{3}|25P02'
[ "$SESSIONS" -gt 1 ] && ACCEPT="$ACCEPT|40001|40P01"
while [ "$(date +%s)" -lt $deadline ]; do
    # one round: SESSIONS batches at once (batch numbers batch .. batch+SESSIONS-1)
    pids=()
    for s in $(seq 0 $((SESSIONS - 1))); do
        b=$((batch + s)); f=$OUT/batch.$s.sql
        perl "$ROOT/test/fuzz/gen.pl" $((SEED + b)) "$PER_BATCH" $b >"$f"
        chmod 644 "$f"
        as_pg psql -X -q -d rr_fuzz -v VERBOSITY=verbose -f "$f" >/dev/null 2>"$OUT/batch.$s.err" &
        pids+=($!)
    done
    for s in $(seq 0 $((SESSIONS - 1))); do
        b=$((batch + s)); f=$OUT/batch.$s.sql
        rc=0; wait "${pids[$s]}" || rc=$?
        stmts=$((stmts + $(grep -c ';$' "$f")))
        grep -oE 'ERROR:  [0-9A-Z]{5}' "$OUT/batch.$s.err" | cut -c9- >>"$OUT/states.txt" || true
        bad=$(grep -E 'ERROR:  [0-9A-Z]{5}' "$OUT/batch.$s.err" | grep -vE "ERROR:  ($ACCEPT):" || true)
        if [ $rc != 0 ] || [ -n "$bad" ]; then
            cp "$f" "$OUT/failed-batch-$b.sql"; cp "$OUT/batch.$s.err" "$OUT/failed-batch-$b.err"
            echo "--- batch $b (seed $((SEED + b)), reproduce: perl test/fuzz/gen.pl $((SEED + b)) $PER_BATCH $b)"
            [ $rc = 0 ] || echo "psql exited $rc (server gone?): $(tail -n 3 "$OUT/batch.$s.err")"
            [ -z "$bad" ] || { echo "unexpected errors:"; echo "$bad" | head -n 10; }
            fail=1
            [ $rc = 0 ] || crashed=1
        fi
    done
    if [ "${crashed:-0}" = 1 ]; then   # a backend died: wait for crash recovery, go on
        crashed=0
        for _ in $(seq 1 60); do as_pg psql -X -q -d rr_fuzz -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
        crashes=$((crashes + 1))
        [ $crashes -lt 5 ] || break
    else
        unbalanced=$(balance_check 2>&1) || true
        if [ -n "$unbalanced" ]; then
            echo "--- after batches $batch..$((batch + SESSIONS - 1)): journals that do not balance:"; echo "$unbalanced" | head -n 10
            fail=1
        fi
    fi
    batch=$((batch + SESSIONS))
done

# Every daily entry, once at the end (the expensive check).
if true; then
    daily=$(as_pg psql -X -At -d rr_fuzz -v ON_ERROR_STOP=1 -c "
      SELECT journal_number FROM revrec.journal_entry GROUP BY journal_number, currency
      HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0 LIMIT 10" 2>&1) || true
    [ -z "$daily" ] || { echo "daily entries of these journals do not balance: $daily"; fail=1; }
fi
counts=$(as_pg psql -X -At -d rr_fuzz -c "SELECT (SELECT count(*) FROM revrec.invoice) || ' invoices, ' ||
    (SELECT count(*) FROM revrec.invoice_line) || ' lines, ' || (SELECT count(*) FROM revrec.credit_note) || ' credit notes, ' ||
    (SELECT count(*) FROM revrec.posting) || ' postings'" 2>/dev/null || echo '?')
log "fuzz: $batch batches, $stmts statements in ${SECONDS_BUDGET}s; database holds $counts"
log "fuzz: errors by SQLSTATE: $(sort "$OUT/states.txt" | uniq -c | sort -rn | awk '{ printf "%s %s, ", $2, $1 }')"
if grep -E 'terminated by signal|runtime error|PANIC' "$CLUSTER_DIR/server.log"; then
    grep -B2 -A25 'runtime error' "$CLUSTER_DIR/server.log" | head -n 60 || true
    fail=1
fi
# More than one session: the model-based concurrency test on this cluster.
if [ "$SESSIONS" -gt 1 ]; then
    log "fuzz: model-based concurrency test, $SESSIONS sessions"
    as_pg env REVREC_CONC_SEED=$SEED REVREC_CONC_SESSIONS=$SESSIONS REVREC_CONC_STEPS=${REVREC_FUZZ_MODEL_STEPS:-300} \
        REVREC_CONC_ROUNDS=1 bash "$ROOT/test/shell/concurrency.sh" >"$OUT/model.log" 2>&1 || true
    grep -E '^# (seed|round)' "$OUT/model.log" >&2 || true
    if grep -q '^not ok' "$OUT/model.log" || ! grep -q '^ok' "$OUT/model.log"; then
        echo "model-based concurrency test:"; grep -vE '^ok ' "$OUT/model.log" | head -n 30
        fail=1
    fi
fi
[ $fail = 0 ] && log "fuzz: no crash, no unexpected error, every journal balances"
exit $fail
