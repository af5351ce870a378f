#!/usr/bin/env bash
# make citus-test (as root: bash scripts/private.sh make citus-test).
#
# Skipped, with a message and exit 0, when Citus is not installed.  Otherwise:
# a single node (port CITUS_PORT_BASE+3, default 5534) and a Citus coordinator (5531) with two workers
# (5532, 5533) on loopback; revrec.distribute() on the coordinator; the
# generated company (bench/gen, seed CITUS_SEED, CITUS_SIZE lines) loaded
# into both; then the journal, the three reports and the four exports
# compared.  docs/CITUS.md says what passes and what does not yet.
#
# The Citus side:
#   1. posting through the coordinator: the company's documents written with
#      COPY into the distributed tables, posted at COMMIT as on a single node;
#      the postings, journal, activity log, reports and exports compared;
#   2. then test/citus/changes.sql step by step on both sides (credit notes,
#      usage and milestones after posting, an issue, voids, a manual journal,
#      lock changes), each step ending the same way (done, or the same SQLSTATE, message and DETAIL), and the ledger compared
#      again;
#   3. only if (1) fails: the single node's documents, postings and activity
#      log copied into the distributed tables with revrec's (ORIGIN) triggers
#      off, so that the reports and exports are still compared.
# Every check prints ok / not ok; the last line is "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/citus-lib.sh"
set +e

if ! citus_available; then
    echo "citus-test: skipped: Citus is not installed in $($PG_CONFIG --pkglibdir) (docs/CITUS.md says how to build it)"
    exit 0
fi
[ $IS_ROOT = 1 ] || { echo "citus-test: run as root (bash scripts/private.sh make citus-test)" >&2; exit 1; }

SEED=${CITUS_SEED:-42}
SIZE=${CITUS_SIZE:-5000}
COORD=$CITUS_PORT_BASE W1=$((CITUS_PORT_BASE + 1)) W2=$((CITUS_PORT_BASE + 2)) SINGLE=$((CITUS_PORT_BASE + 3))
OUT=${CITUS_OUT:-$CITUS_TMP-test-out}
rm -rf "$OUT"; mkdir -p "$OUT"; chmod 777 "$OUT"
CSV=$CITUS_TMP-csv-$SEED-$SIZE; mkdir -p "$CSV"; chown "$PG_OS_USER" "$CSV"

trap 'citus_stop_all' EXIT
trap 'exit 130' INT TERM

pass=0 fail=0
ok()     { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

set -e
build_install
citus_start single $SINGLE revrec
cpsql $SINGLE -d postgres -c "CREATE DATABASE revrec"
cpsql $SINGLE -d revrec -c "CREATE EXTENSION revrec"
citus_cluster $COORD $W1 $W2
cpsql $COORD -d revrec -c "CREATE EXTENSION revrec"
# one transaction writes reference tables (products) after distributed ones
# (customers): Citus needs one connection per node for that
cpsql $COORD -d revrec -c "ALTER DATABASE revrec SET citus.multi_shard_modify_mode = 'sequential'"
set +e

# --- distribute() -----------------------------------------------------------
msg=$(cpsql $SINGLE -d revrec -c "SELECT revrec.distribute()" 2>&1)
if grep -q 'needs Citus' <<<"$msg" && [ "$(cpsql $SINGLE -d revrec -At -c "DO \$\$ BEGIN PERFORM revrec.distribute(); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | grep -o 'RV060')" = RV060 ]; then
    ok "distribute() without Citus: RV060 ($(head -1 <<<"$msg" | cut -c1-90))"
else
    not_ok "distribute() without Citus: $msg"
fi

t0=$(date +%s.%N)
if msg=$(cpsql $COORD -d revrec -c "SELECT revrec.distribute()" 2>&1); then
    ok "distribute() on the coordinator ($(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s)"
else
    not_ok "distribute() on the coordinator: $(grep -v 'NOTICE\|DETAIL\|HINT' <<<"$msg")"
fi
shape=$(cpsql $COORD -d revrec -At -c "
    SELECT string_agg(c.relname || ':' || p.partmethod::text, ' ' ORDER BY c.relname)
      FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid")
want='billing_schedule_line:h citus_group:h citus_queue:h credit_grant:h credit_note:h credit_note_line:h currency:n customer:h doc_key:h gl_account_map:n invoice:h invoice_line:h ledger_account:n milestone:h posting:h product:n settings:n usage:h'
if [ "$shape" = "$want" ]; then ok "reference (n) and distributed (h) tables: $shape"; else not_ok "tables: $shape"; fi
# (doc_key, distributed by the id, in a group of its own: revrec's owner writes it while another role
# has written the documents, src/citus.c)
n=$(cpsql $COORD -d revrec -At -c "SELECT count(DISTINCT colocationid) FILTER (WHERE logicalrelid <> 'revrec.doc_key'::regclass),
                                          count(*) FILTER (WHERE colocationid = (SELECT colocationid FROM pg_dist_partition
                                                                                   WHERE logicalrelid = 'revrec.doc_key'::regclass))
                                     FROM pg_dist_partition WHERE partmethod = 'h'")
if [ "$n" = "1|1" ]; then ok "every distributed table co-located, doc_key in a group of its own"; else not_ok "co-location groups (per-customer tables|tables with doc_key): $n"; fi
again=$(cpsql $COORD -d revrec -c "SELECT revrec.distribute()" 2>&1)
if grep -q 'already distributed' <<<"$again"; then ok "distribute() twice: a notice"; else not_ok "distribute() twice: $again"; fi

# --- the company on the single node ------------------------------------------
load() {   # load PORT -> prints load.sh's line or the error
    as_pg env PGOPTIONS="-c client_min_messages=warning ${2:-}" PGHOST=127.0.0.1 PGPORT=$1 PGUSER=postgres GEN_DB=revrec bash "$ROOT/bench/gen/load.sh" revrec "$SEED" "$SIZE" "$CSV" 2>&1 | tail -3
}
single_load=$(load $SINGLE)
echo "# single node: $single_load"
grep -q '^load lines=' <<<"$single_load" && ok "single node: company loaded and posted" || not_ok "single node load: $single_load"

# --- 1. posting through the coordinator --------------------------------------
coord_load=$(load $COORD)
echo "# coordinator: $coord_load"
if grep -q '^load lines=' <<<"$coord_load"; then
    ok "coordinator: company loaded and posted at COMMIT"
    posted_on_citus=1
    n=$(cpsql $COORD -d revrec -At -c "SELECT count(*) FROM revrec.citus_queue")
    [ "$n" = 0 ] && ok "coordinator: the posting queue is empty after the commit" || not_ok "coordinator: $n rows left in revrec.citus_queue"
else
    not_ok "coordinator: documents written through the coordinator post (error: $(grep -m1 ERROR <<<"$coord_load"))"
    posted_on_citus=0
fi

# --- 2. the single node's ledger copied into the distributed tables ----------
if [ $posted_on_citus = 0 ]; then
    copy_ok=1
    for t in customer product credit_grant billing_schedule_line invoice invoice_line usage milestone \
             credit_note credit_note_line posting activity; do
        cols=$(cpsql $SINGLE -d revrec -At -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                                                 WHERE attrelid = 'revrec.$t'::regclass AND attnum > 0 AND NOT attisdropped")
        # the install's activity rows (none) and the coordinator's: copied as they are
        if ! msg=$( { cpsql $SINGLE -d revrec -c "COPY revrec.$t ($cols) TO STDOUT" |
                      cpsql $COORD -d revrec -c "SET citus.propagate_set_commands = 'local'" \
                            -c "BEGIN" -c "SET LOCAL session_replication_role = replica" \
                            -c "COPY revrec.$t ($cols) FROM STDIN" -c "COMMIT"; } 2>&1); then
            not_ok "copy of revrec.$t into the distributed tables: $(grep -m1 ERROR <<<"$msg")"; copy_ok=0
        fi
    done
    [ $copy_ok = 1 ] && ok "single node's documents, postings and activity copied into the distributed tables (triggers off)"
fi

# --- comparisons ---------------------------------------------------------------
# compare NAME SQL [sorted]: the query's rows on both sides must be equal, in
# the same order (sorted first for queries without an ORDER BY)
compare() {
    local name=$1 sql=$2 sorted=${3:-}
    cpsql $SINGLE -d revrec -At -c "COPY ($sql) TO STDOUT" > "$OUT/$name.single" 2>&1
    cpsql $COORD -d revrec -At -c "COPY ($sql) TO STDOUT" > "$OUT/$name.citus" 2>"$OUT/$name.citus.err"
    judge "$name" "$sorted"
}
# compare_tx NAME FILE SQL: FILE's statements run on both sides in replica
# mode (revrec's triggers off, as a broken load or restore), then SQL's rows
# are compared, and the transaction is rolled back
compare_tx() {
    local name=$1 file=$2 sql=$3
    tx() { echo "SET citus.propagate_set_commands = 'local';"; echo "BEGIN;"; echo "SET LOCAL session_replication_role = replica;"
           cat "$file"; echo "COPY ($sql) TO STDOUT;"; echo "ROLLBACK;"; }
    tx | cpsql $SINGLE -d revrec -At > "$OUT/$name.single" 2>&1
    tx | cpsql $COORD -d revrec -At > "$OUT/$name.citus" 2>"$OUT/$name.citus.err"
    judge "$name"
}
# judge NAME [sorted]: the verdict on $OUT/NAME.single and NAME.citus; no rows
# on the single node is a failure (nothing compared) unless empty_ok=1
judge() {
    local name=$1 sorted=${2:-} rows
    if [ -n "$sorted" ]; then
        sort -o "$OUT/$name.single" "$OUT/$name.single"; sort -o "$OUT/$name.citus" "$OUT/$name.citus"
    fi
    rows=$(wc -l < "$OUT/$name.single")
    if [ -s "$OUT/$name.citus.err" ]; then
        not_ok "$name equals the single node's ($rows rows there); on Citus: $(grep -m1 ERROR "$OUT/$name.citus.err")"
    elif [ "$rows" = 0 ] && [ -z "${empty_ok:-}" ]; then
        not_ok "$name: no rows on the single node (nothing compared)"
    elif [ "$rows" = 0 ] && [ -s "$OUT/$name.citus" ]; then
        not_ok "$name: no rows on the single node, $(wc -l < "$OUT/$name.citus") on Citus (diff in $OUT)"
    elif [ "$rows" = 0 ]; then
        ok "$name: no rows on either side"
    elif cmp -s "$OUT/$name.single" "$OUT/$name.citus"; then
        ok "$name equals the single node's ($rows rows)"
    elif [ -n "${by_journal:-}" ] && cmp -s <(sort -s -t"$by_journal" -k1,1 "$OUT/$name.single") <(sort -s -t"$by_journal" -k1,1 "$OUT/$name.citus"); then
        ok "$name: the single node's rows ($rows), each journal's in the same order (the workers post in parallel: journals interleave otherwise)"
    elif cmp -s <(sort "$OUT/$name.single") <(sort "$OUT/$name.citus") && [ -n "${ties:-}" ] \
         && cmp -s <(cut -f"$ties" "$OUT/$name.single") <(cut -f"$ties" "$OUT/$name.citus"); then
        ok "$name: the single node's rows ($rows), in the report's order (fields $ties); rows equal on those come in another order"
    else
        not_ok "$name differs ($rows rows on the single node, $(wc -l < "$OUT/$name.citus") on Citus; diff in $OUT)"
    fi
}
# refused NAME SQL: SQL must be refused on both sides (with errors that
# differ: docs/CITUS.md says why); both are printed
refused() {
    local name=$1 sql=$2 r1 r2
    r1=$(cpsql $SINGLE -d revrec -At <<<"$sql" 2>&1 | grep -m1 'ERROR' | sed 's/^psql:[^ ]* //' || true)
    r2=$(cpsql $COORD -d revrec -At <<<"$sql" 2>&1 | grep -m1 'ERROR' | sed 's/^psql:[^ ]* //' || true)
    if [ -n "$r1" ] && [ -n "$r2" ]; then
        ok "$name: refused on both (single node: $r1; Citus: $r2)"
    else
        not_ok "$name: single node: ${r1:-done}; Citus: ${r2:-done}"
    fi
}
# step NAME SQL: SQL run on both sides must end the same way (done, or the
# same first error)
step() {
    local name=$1 sql=$2 r1 r2
    # (the first error, with its SQLSTATE and its DETAIL when it has one)
    first_error() { awk '/ERROR/ && !e { sub(/^psql:[^ ]* /, ""); print; e = 1; next } e == 1 { if (/^DETAIL:/) print; exit }'; }
    r1=$(cpsql $SINGLE -d revrec -At -v VERBOSITY=verbose -v SHOW_CONTEXT=never <<<"$sql" 2>&1 | grep -v '^LOCATION:' | first_error || true)
    r2=$(cpsql $COORD -d revrec -At -v VERBOSITY=verbose -v SHOW_CONTEXT=never <<<"$sql" 2>&1 | grep -v '^LOCATION:' | first_error || true)
    if [ "$r1" = "$r2" ]; then
        ok "$name: as on the single node ($(tr '\n' ' ' <<<"${r1:-done}" | sed 's/ $//'))"
    else
        not_ok "$name: single node: $(tr '\n' ' ' <<<"${r1:-done}"); Citus: $(tr '\n' ' ' <<<"${r2:-done}")"
    fi
}
R="from_date => '2024-11-01', to_date => '2026-10-31'"
compare posting_rows   "SELECT customer_id, source, source_id, line_id, reason, entries, sched_start, sched_end, sched_amount, sched_months FROM revrec.posting" sorted
# (recorded_at and posting_id are the node's own: the time, and the sequence
# of the node that posted it: on Citus each worker posts its customers with
# ids from its own range, checked below)
J="journal_number, entry_date, source, source_id, customer_id, product_id, invoice_id, invoice_number, credit_note_id,
   line_id, account, direction, amount, currency, method, narrative, journal_type, reason"
compare journal        "SELECT $J FROM revrec.journal_entry" sorted
compare activity       "SELECT action, source, document_id, customer_id, entries, amount, currency, detail FROM revrec.activity" sorted
# posted on the workers: every document's posting has an id from the range of
# the worker that holds its customer's shard (group id times 2^48), none twice
where=$(cpsql $COORD -d revrec -At -c "
    SELECT count(*), count(*) FILTER (WHERE p.posting_id >> 48 <> w.groupid), count(DISTINCT w.groupid),
           count(*) - count(DISTINCT p.posting_id)
      FROM revrec.posting p
      JOIN (SELECT s.shardid, pl.groupid FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
             WHERE s.logicalrelid = 'revrec.posting'::regclass) w
        ON w.shardid = get_shard_id_for_distribution_column('revrec.posting', p.customer_id)" 2>&1)
if [ "$(cut -d'|' -f2- <<<"$where")" = "0|2|0" ]; then
    ok "posted on the workers: the $(cut -d'|' -f1 <<<"$where") postings have ids of the worker holding their customer (2 workers), none twice"
else
    not_ok "postings and the workers that made them (all|elsewhere|workers|duplicate ids): $where"
fi
# (recorded_at left out: the time of the posting, the node's own)
JR="journal_number, entry_date, source, source_id, customer_id, product_id, invoice_id, invoice_number, credit_note_id,
    line_id, account, direction, amount, currency, method, narrative, journal_type, customer_name, product_name"
compare journal_report "SELECT $JR FROM revrec.journal_report($R, currency => 'USD', granularity => 'month')"
ties=2,1,11,12 compare journal_report_day "SELECT $JR FROM revrec.journal_report(from_date => '2026-09-01', to_date => '2026-09-30', currency => 'USD', granularity => 'day')"
compare deferred_revenue "SELECT * FROM revrec.deferred_revenue(as_of => '2026-09-30', currency => 'USD')"
compare waterfall      "SELECT * FROM revrec.waterfall(as_of => '2026-09-30', currency => 'USD')"
compare trial_balance  "SELECT * FROM revrec.trial_balance(as_of => '2026-09-30')"
compare deferred_rollforward "SELECT * FROM revrec.deferred_rollforward(from_date => '2026-09-01', to_date => '2026-09-30', \"by\" => 'customer_product')"
compare unbilled_rollforward "SELECT * FROM revrec.unbilled_rollforward(from_date => '2026-09-01', to_date => '2026-09-30')"
# the GL files need account mappings and Xero's tax rate: the same on both sides
for p in $SINGLE $COORD; do
    cpsql $p -d revrec -c "INSERT INTO revrec.gl_account_map (target, account_code, external_account)
        SELECT t, a, CASE t WHEN 'xero' THEN 'X' || upper(left(a, 3)) ELSE t || '-' || a END FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t,
               unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled']) a" \
        -c "UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt'" >"$OUT/settings.$p" 2>&1 \
        || not_ok "GL mappings and settings on port $p: $(grep -m1 ERROR "$OUT/settings.$p")"
done
for f in sequence xero quickbooks netsuite; do
    for g in day month; do
        by_journal=$([ $f = sequence ] && printf '\t') compare "export_${f}_$g" "SELECT * FROM revrec.export_$f(from_date => '2026-09-01', to_date => '2026-09-30', currency => 'USD', granularity => '$g')"
    done
done

# the CSV waterfall, and the views of today (current_date, the same on both sides)
compare waterfall_csv "SELECT line FROM revrec.waterfall_csv(as_of => '2026-09-30', currency => 'USD')"
compare waterfall_csv_eur "SELECT line FROM revrec.waterfall_csv(as_of => '2026-09-30', currency => 'EUR', months => 6)"
compare deferred_revenue_now "SELECT * FROM revrec.deferred_revenue_now" sorted
# (recorded_at left out: the time of the posting, the node's own)
compare journal_report_this_month "SELECT $JR FROM revrec.journal_report_this_month" sorted
compare journal_report_last_month "SELECT $JR FROM revrec.journal_report_last_month" sorted
compare waterfall_now "SELECT * FROM revrec.waterfall_now" sorted
compare account_balance "SELECT * FROM revrec.account_balance ORDER BY 1, 2"
# export_to_files: each side writes the files into a directory of its own on
# its server; the files' bytes, and their manifest but for the run id and time
export_files() {   # export_files FORMAT
    local f=$1 p d
    for p in $SINGLE $COORD; do
        d=$CITUS_TMP-files-$p-$f; rm -rf "$d"; mkdir -p "$d"; chown "$PG_OS_USER" "$d"
        cpsql $p -d revrec -At -c "SELECT rows, sha256 FROM revrec.export_to_files('$f', '$d', '2026-09-01', '2026-09-30', 'USD')" \
            > "$OUT/files_$f.$p" 2>&1
        for x in $(ls "$d" | sort); do
            echo "== $x"; cat "$d/$x"
        done | sed -E 's/[0-9]{8}T[0-9]{12}-[0-9a-f]{6}/RUN/g; s/"exported_at": "[^"]*"/"exported_at": "TIME"/' > "$OUT/files_$f.$p.content"
    done
    if [ ! -s "$OUT/files_$f.$SINGLE" ] || grep -q ERROR "$OUT/files_$f.$SINGLE" "$OUT/files_$f.$COORD"; then
        not_ok "export_to_files $f: $(grep -h -m1 ERROR "$OUT/files_$f.$SINGLE" "$OUT/files_$f.$COORD" | head -1)"
    elif cmp -s "$OUT/files_$f.$SINGLE" "$OUT/files_$f.$COORD" && cmp -s "$OUT/files_$f.$SINGLE.content" "$OUT/files_$f.$COORD.content"; then
        ok "export_to_files $f: the single node's $(wc -l < "$OUT/files_$f.$SINGLE") files and manifest (but its run id and time)"
    elif [ $f = sequence ] && cmp -s <(cut -d'|' -f1 "$OUT/files_$f.$SINGLE") <(cut -d'|' -f1 "$OUT/files_$f.$COORD") \
         && cmp -s <(sed -E 's/"sha256": "[0-9a-f]+"/"sha256": "H"/' "$OUT/files_$f.$SINGLE.content" | sort -s -t, -k1,1) \
                   <(sed -E 's/"sha256": "[0-9a-f]+"/"sha256": "H"/' "$OUT/files_$f.$COORD.content" | sort -s -t, -k1,1); then
        # (the files' names, rows and manifest but for the hashes; each journal's rows in the same order)
        ok "export_to_files $f: the single node's $(wc -l < "$OUT/files_$f.$SINGLE") files, rows and manifest, each journal's rows in the same order (journals interleave otherwise)"
    else
        not_ok "export_to_files $f: the files differ (diff $OUT/files_$f.*)"
    fi
}
for f in sequence xero quickbooks netsuite; do export_files $f; done

# export_async on Citus: the background worker's export (its bookkeeping names
# no Citus table in a statement with volatile functions) equals the same
# export run at once on the same side, and on the single node (GL formats:
# their order is total; the Sequence format journal by journal)
for f in xero sequence; do
    for p in $SINGLE $COORD; do
        job=$(cpsql $p -d revrec -At -c "SELECT revrec.export_async('$f', from_date => '2026-09-01', to_date => '2026-09-30', currency => 'USD')" 2>&1)
        st=""
        for i in $(seq 1 60); do
            st=$(cpsql $p -d revrec -At -c "SELECT status || '|' || coalesce(error, '') FROM revrec._export_job WHERE job_id = $job" 2>&1)
            case "$st" in done*|failed*) break ;; esac
            sleep 0.5
        done
        tok=$(cpsql $p -d revrec -At -c "SELECT token FROM revrec._export_job WHERE job_id = $job" 2>&1)
        cpsql $p -d revrec -At -c "SELECT revrec.export_download('$tok')" 2>&1 | sed '$d' > "$OUT/async_$f.$p"
        cpsql $p -d revrec -At -c "COPY (SELECT * FROM revrec.export_$f(from_date => '2026-09-01', to_date => '2026-09-30', currency => 'USD'))
                                   TO STDOUT WITH (FORMAT csv, HEADER)" > "$OUT/sync_$f.$p" 2>&1
        echo "$st" > "$OUT/async_$f.$p.status"
    done
    if [ $f = sequence ]; then
        cmp -s <(sort -s -t, -k1,1 "$OUT/async_$f.$COORD") <(sort -s -t, -k1,1 "$OUT/async_$f.$SINGLE"); same=$?
    else
        cmp -s "$OUT/async_$f.$COORD" "$OUT/async_$f.$SINGLE"; same=$?
    fi
    if [ "$(cat "$OUT/async_$f.$COORD.status")" = "done|" ] && [ -s "$OUT/async_$f.$COORD" ] \
       && cmp -s "$OUT/async_$f.$COORD" "$OUT/sync_$f.$COORD" && [ $same = 0 ]; then
        ok "export_async $f on Citus: done, the file equals the export run at once there and the single node's ($(wc -l < "$OUT/async_$f.$COORD") lines$([ $f = sequence ] && echo ', journal by journal'))"
    else
        not_ok "export_async $f on Citus: $(cat "$OUT/async_$f.$COORD.status"); single node $(cat "$OUT/async_$f.$SINGLE.status") (files in $OUT)"
    fi
done

# --- 3. what follows a load: credit notes, usage, milestones, voids, manual
# journals, the lock (test/citus/changes.sql), one step at a time on both
# sides; a step must end the same way on both (done, or the same error)
if [ $posted_on_citus = 1 ]; then
    steps=$(grep -c '^-- step: ' "$ROOT/test/citus/changes.sql")
    for k in $(seq 1 "$steps"); do
        name=$(grep '^-- step: ' "$ROOT/test/citus/changes.sql" | sed -n "${k}p" | cut -d' ' -f3)
        sql=$(awk -v k="$k" '/^-- step: /{n++; next} n==k' "$ROOT/test/citus/changes.sql")
        step "after the load, $name" "$sql"
    done
    # revrec.doc_key holds exactly the documents' ids and numbers (after
    # inserts, renames, deletes and refused statements), and the queue is empty
    n=$(cpsql $COORD -d revrec -At -c "
        WITH d AS (
          SELECT 'invoice' k, invoice_id id, customer_id c FROM revrec.invoice
          UNION ALL SELECT 'invoice_number', invoice_number, customer_id FROM revrec.invoice WHERE invoice_number IS NOT NULL
          UNION ALL SELECT 'invoice_line', line_id, customer_id FROM revrec.invoice_line
          UNION ALL SELECT 'usage', usage_id::text, customer_id FROM revrec.usage
          UNION ALL SELECT 'milestone', milestone_id, customer_id FROM revrec.milestone
          UNION ALL SELECT 'credit_note', credit_note_id, customer_id FROM revrec.credit_note
          UNION ALL SELECT 'credit_note_number', credit_note_number, customer_id FROM revrec.credit_note WHERE credit_note_number IS NOT NULL
          UNION ALL SELECT 'credit_note_line', credit_note_line_id, customer_id FROM revrec.credit_note_line
          UNION ALL SELECT 'credit_grant', grant_id, customer_id FROM revrec.credit_grant
          UNION ALL SELECT 'billing_schedule_line', schedule_line_id, customer_id FROM revrec.billing_schedule_line)
        SELECT (SELECT count(*) FROM d) || ' ' || (SELECT count(*) FROM revrec.doc_key) || ' '
               || (SELECT count(*) FROM (SELECT k, id, c FROM d EXCEPT SELECT kind, id, customer_id FROM revrec.doc_key) x) || ' '
               || (SELECT count(*) FROM (SELECT kind, id, customer_id FROM revrec.doc_key EXCEPT SELECT k, id, c FROM d) x) || ' '
               || (SELECT count(*) FROM revrec.citus_queue)" 2>&1)
    read -r docs keys missing stale queued <<<"$n"
    if [ "${missing:-x}" = 0 ] && [ "${stale:-x}" = 0 ] && [ "$docs" = "$keys" ] && [ "${queued:-x}" = 0 ]; then
        ok "revrec.doc_key holds the documents' $docs ids and numbers exactly; the queue is empty"
    else
        not_ok "revrec.doc_key against the documents (documents, keys, missing, stale, queued): $n"
    fi

    # refused on both sides, with Citus's own words or RV063 (docs/CITUS.md, "Customers")
    refused "a customer re-keyed" "UPDATE revrec.customer SET customer_id = 'C000001-X' WHERE customer_id = 'C000001'"
    refused "a customer with a credit grant only, deleted" "INSERT INTO revrec.customer VALUES ('C-T8', 'Grant only');
        INSERT INTO revrec.credit_grant VALUES ('G-T8', 'C-T8', 'USD', 10, '2026-01-01');
        DELETE FROM revrec.customer WHERE customer_id = 'C-T8'"
    refused "a product deleted" "DELETE FROM revrec.product WHERE product_id = 'SUB-ENTERPRISE'"

    # --- 4. verify() and the close, on the ledger as it now is -----------------
    # (changes.sql recorded usage 900001 by its id: the usage sequence is behind)
    compare verify "SELECT * FROM revrec.verify()"
    CS="SELECT * FROM revrec.close_summary(from_date => '2026-09-01', to_date => '2026-09-30')"
    compare close_summary "$CS"
    # broken the same way on both sides (replica mode, rolled back): verify()
    # must find the same problems, and close_summary name the same first ones
    # (posting ids are the node's own: on Citus from the range of the worker
    # that posted them; masked in what verify() says of them)
    compare_tx verify_broken "$ROOT/test/citus/verify_breaks.sql" \
        "SELECT \"check\", document, CASE WHEN document = 'revrec.posting_posting_id_seq' THEN 'behind'
                                          ELSE regexp_replace(detail, 'posting [0-9]+', 'posting N', 'g') END
           FROM revrec.verify()"
    compare_tx close_summary_broken "$ROOT/test/citus/verify_breaks.sql" \
        "SELECT section, item, currency, debits, credits,
                regexp_replace(regexp_replace(status, 'posting [0-9]+', 'posting N', 'g'),
                               'posting_posting_id_seq,\"last value [0-9]+, largest id in use [0-9]+( \\(worker [^)]*\\))?\"', 'posting_posting_id_seq,behind', 'g')
           FROM ($CS) s"
    step "close_period with verify() failing" "SELECT * FROM revrec.close_period(to_date => '2025-06-30')"
    step "usage sequence set" "SELECT setval('revrec.usage_usage_id_seq', (SELECT max(usage_id) FROM revrec.usage)) > 0"
    empty_ok=1 compare verify_consistent "SELECT * FROM revrec.verify()"
    compare close_period "SELECT * FROM revrec.close_period(to_date => '2025-06-30')"
    # the lock moved on every node (the settings row is a reference table)
    locks=$(for p in $COORD $W1 $W2; do cpsql $p -d revrec -At -c "SELECT lock_date FROM revrec.settings"; done | tr '\n' ' ')
    [ "$locks" = "2025-06-30 2025-06-30 2025-06-30 " ] && ok "close_period: lock_date 2025-06-30 on the coordinator and both workers" \
        || not_ok "close_period: lock_date on the coordinator and the workers: $locks"
    # (a manual journal's id is made of the time it was posted: masked)
    M="CASE WHEN source = 'standalone' THEN 'manual' ELSE"
    compare posting_rows_after "SELECT customer_id, source, $M source_id END, line_id, reason, entries, sched_start, sched_end,
                                       sched_amount, sched_months FROM revrec.posting" sorted
    compare journal_after  "SELECT $M journal_number END, $M source_id END, $(sed 's/journal_number, entry_date, source, source_id,/entry_date, source,/' <<<"$J")
                              FROM revrec.journal_entry" sorted
    compare activity_after "SELECT action, source, $M document_id END, customer_id, entries, amount, currency, detail FROM revrec.activity" sorted
    compare settings_after "SELECT lock_date FROM revrec.settings"
    compare customers_after "SELECT customer_id, name FROM revrec.customer" sorted
    compare products_after "SELECT product_id, name FROM revrec.product" sorted
fi

# --- 4. ALTER EXTENSION revrec UPDATE on the distributed revrec ---------------
# A next version made of this release's generated update script without its
# schema part (the objects and privileges every update re-runs, with the
# script's Citus lines first and last): the update must run on the
# coordinator and the workers and leave the ledger as distribute() made it
# (docs/CITUS.md, "Upgrading").
if [ $posted_on_citus = 1 ]; then
    # trigger_states: each document table's triggers and their states, on the
    # coordinator and on each of its shards (shard suffixes taken off)
    trigger_states() {
        local t TG="SELECT string_agg(regexp_replace(tgname, '_[0-9]+$', '') || ':' || tgenabled::text, ' ' ORDER BY tgname)
                      FROM pg_trigger WHERE tgrelid = '%s'::regclass AND NOT tgisinternal AND tgname NOT LIKE 'truncate_trigger%%'"
        for t in billing_schedule_line credit_grant invoice invoice_line usage milestone credit_note credit_note_line posting; do
            echo "$t: $(cpsql $COORD -d revrec -At -c "$(printf "$TG" revrec.$t)")"
            cpsql $COORD -d revrec -At -c "SELECT DISTINCT '$t shards: ' || result FROM run_command_on_shards('revrec.$t', \$\$$TG\$\$)"
            cpsql $COORD -d revrec -At -c "SELECT DISTINCT '$t workers: ' || result FROM run_command_on_workers(\$\$$(printf "$TG" revrec.$t)\$\$)"
        done
        # and revrec's guard (36_restore_guard.sql) agrees on each node: no
        # trigger of revrec's tables in another state than it holds them to
        local ST="SELECT count(*) FROM revrec._trigger_state m JOIN pg_class c ON c.relnamespace = 'revrec'::regnamespace AND c.relname = m.relname
                    JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = m.tgname WHERE t.tgenabled <> m.state"
        echo "guard disagrees: $(cpsql $COORD -d revrec -At -c "$ST") $(cpsql $COORD -d revrec -At -c "SELECT string_agg(result, ' ') FROM run_command_on_workers(\$\$$ST\$\$)")"
    }
    states_before=$(trigger_states)
    V=$(sed -n 's/^EXTVERSION *= *//p' "$ROOT/Makefile")
    NEXT="$V.citus_update_test"
    UPD="$($PG_CONFIG --sharedir)/extension/revrec--$V--$NEXT.sql"
    src=$(ls "$ROOT"/sql/revrec--*--"$V".sql | head -1)
    { sed -n 1,4p "$src"; awk '/^-- sql\/objects\/00_base.sql/{p=1} p' "$src"; } > "$UPD"
    if grep -q 'citus.enable_ddl_propagation' <(sed -n 4p "$UPD") && tail -1 "$UPD" | grep -q '_distribute_after_update'; then
        ok "update script: the generated Citus lines first and last"
    else
        not_ok "update script: the Citus lines are not where the test expects them ($src)"
    fi
    if msg=$(cpsql $COORD -d revrec -c "ALTER EXTENSION revrec UPDATE TO '$NEXT'" 2>&1); then
        vers=$(cpsql $COORD -d revrec -At -c "SELECT extversion FROM pg_extension WHERE extname = 'revrec'
                                               UNION ALL SELECT result FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'revrec'\$\$)" | sort -u | tr '\n' ' ')
        [ "$vers" = "$NEXT " ] && ok "ALTER EXTENSION revrec UPDATE on the coordinator: $NEXT on every node" \
                               || not_ok "ALTER EXTENSION revrec UPDATE: versions on the nodes: $vers"
    else
        not_ok "ALTER EXTENSION revrec UPDATE on the coordinator: $(grep -m1 ERROR <<<"$msg")"
    fi
    rm -f "$UPD"
    if [ "$(trigger_states)" = "$states_before" ] && grep -qx 'guard disagrees: 0 0 0' <<<"$states_before"; then
        ok "after the update: every revrec trigger in the state distribute() left it, on the coordinator, the workers and every shard, and revrec's guard agrees"
    else
        not_ok "after the update: trigger states differ from distribute()'s (diff in $OUT/triggers.*)"
        printf '%s\n' "$states_before" > "$OUT/triggers.before"; trigger_states > "$OUT/triggers.after"
    fi
    # the writer's and admin's write rights are the single node's after the update, on every node and
    # shard (docs/CITUS.md, "Roles on Citus")
    R1="SELECT (CASE WHEN has_table_privilege('revrec_writer', 'revrec.invoice', 'INSERT') THEN 't' ELSE 'f' END)
               || (CASE WHEN has_any_column_privilege('revrec_admin', 'revrec.settings', 'UPDATE') THEN 't' ELSE 'f' END)"
    rights=$(cpsql $COORD -d revrec -At -c "
        SELECT string_agg(DISTINCT x, ' ') FROM (
            $R1
            UNION ALL SELECT result FROM run_command_on_workers(\$\$$R1\$\$)
            UNION ALL SELECT result || 't' FROM run_command_on_shards('revrec.invoice', \$\$SELECT has_table_privilege('revrec_writer', '%s', 'INSERT')\$\$)
            UNION ALL SELECT 't' || result FROM run_command_on_placements('revrec.settings', \$\$SELECT has_any_column_privilege('revrec_admin', '%s', 'UPDATE')\$\$)) r(x)")
    [ "$rights" = "tt" ] && ok "after the update: the writer writes invoices and the admin the settings, on every node and shard" \
                         || not_ok "after the update: rights of the writer on invoices and the admin on settings (t = can): $rights"
    compare journal_report_after_update "SELECT $M journal_number END, $M source_id END, $(sed 's/journal_number, entry_date, source, source_id,/entry_date, source,/' <<<"$JR")
                                           FROM revrec.journal_report($R, currency => 'USD', granularity => 'month')"
    compare waterfall_after_update      "SELECT * FROM revrec.waterfall(as_of => '2026-09-30', currency => 'USD')"
    compare trial_balance_after_update  "SELECT * FROM revrec.trial_balance(as_of => '2026-09-30')"
    compare export_xero_after_update    "SELECT * FROM revrec.export_xero(from_date => '2026-09-01', to_date => '2026-09-30', currency => 'USD', granularity => 'month')"
    # a document written after the update posts as on the single node
    inv="BEGIN;
         INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
         SELECT 'INV-UPD', 'INV-UPD', min(customer_id), 'USD', '2026-10-05' FROM revrec.customer;
         INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
         SELECT 'INV-UPD-1', 'INV-UPD', customer_id, (SELECT min(product_id) FROM revrec.product), 1200, '2026-10-01', '2027-09-30'
           FROM revrec.invoice WHERE invoice_id = 'INV-UPD';
         COMMIT;"
    r1=$(cpsql $SINGLE -d revrec -At <<<"$inv" 2>&1 | grep -m1 ERROR || true)
    r2=$(cpsql $COORD -d revrec -At <<<"$inv" 2>&1 | grep -m1 ERROR || true)
    [ -z "$r1$r2" ] && ok "after the update: an invoice written through the coordinator" \
                    || not_ok "after the update: an invoice: single node: ${r1:-done}; Citus: ${r2:-done}"
    compare posting_rows_after_update "SELECT customer_id, source, source_id, line_id, reason, entries, sched_start, sched_end,
                                              sched_amount, sched_months FROM revrec.posting WHERE source_id = 'INV-UPD'" sorted
fi

# --- documents written on a worker directly, and two sessions writing one id
if [ $posted_on_citus = 1 ]; then
    msg=$(cpsql $W1 -d revrec -v VERBOSITY=verbose -c "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
                                                          VALUES ('INV-W1', 'INV-W1', 'C000011', 'USD', '2026-04-01')" 2>&1)
    msg2=$(cpsql $W2 -d revrec -v VERBOSITY=verbose -c "INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
                                                           SELECT 910000 + g, 'INV000010-2507-4', 'C0000' || (10 + g), '2025-07-20', 1 FROM generate_series(0, 9) g" 2>&1)
    n=$(cpsql $COORD -d revrec -At -c "SELECT (SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'INV-W1') + (SELECT count(*) FROM revrec.usage WHERE usage_id >= 910000)")
    if grep -q 'RV064' <<<"$msg" && grep -q 'RV064' <<<"$msg2" && [ "$n" = 0 ]; then
        ok "documents written on a worker directly: refused (RV064: $(grep -m1 -o 'revrec: .*' <<<"$msg"))"
    else
        not_ok "documents written on a worker directly: $(grep -m1 ERROR <<<"$msg") / $(grep -m1 ERROR <<<"$msg2"); $n rows stored"
    fi
    # a line without its customer_id: a single node fills it in from the
    # invoice, and so does the coordinator in an INSERT ... VALUES
    # (changes.sql: children_without_customer_id); in a COPY or an INSERT ...
    # SELECT Citus cannot route the row: refused, with a hint
    msg=$(cpsql $COORD -d revrec -c "INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end)
                                      SELECT 'INV-T6-9', i.invoice_id, 10.00, '2026-04-01', '2026-04-30' FROM revrec.invoice i
                                       WHERE i.customer_id = 'C000001' AND i.invoice_id = 'INV000001-2512'" 2>&1)
    msg2=$(cpsql $COORD -d revrec -c "COPY revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end) FROM STDIN" 2>&1 <<'CSV'
INV-T6-9	INV-T6	10.00	2026-04-01	2026-04-30
\.
CSV
)
    if grep -q '^HINT:  On a distributed revrec a child row needs its customer_id' <<<"$msg" \
       && grep -q '^HINT:  On a distributed revrec a child row needs its customer_id' <<<"$msg2"; then
        ok "a line without its customer_id in an INSERT ... SELECT and a COPY: refused with a hint ($(grep -m1 ERROR <<<"$msg" | sed 's/^psql:[^ ]* //'))"
    else
        not_ok "a line without its customer_id (INSERT ... SELECT, COPY): $msg / $msg2"
    fi
    # race PORT: session 1 writes INV-RACE for C000011 and holds its transaction
    # 3 s; session 2 writes INV-RACE for C000012 meanwhile: it must wait for
    # session 1's commit, then fail with the single node's error
    race() {
        local p=$1 t0 r2 el
        cpsql $p -d revrec -c "BEGIN" -c "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
                                           VALUES ('INV-RACE', 'INV-RACE', 'C000011', 'USD', '2026-04-01', 'draft')" \
                           -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null 2>&1 &
        sleep 1
        t0=$(date +%s.%N)
        r2=$(cpsql $p -d revrec -c "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
                                     VALUES ('INV-RACE', 'INV-RACE-B', 'C000012', 'USD', '2026-04-01', 'draft')" 2>&1 | grep -m1 ERROR | sed 's/^psql:[^ ]* //')
        el=$(echo "$(date +%s.%N) - $t0 >= 1.5" | bc)
        wait
        echo "waited=$el owner=$(cpsql $p -d revrec -At -c "SELECT string_agg(customer_id, ',') FROM revrec.invoice WHERE invoice_id = 'INV-RACE'") $r2"
        cpsql $p -d revrec -c "DELETE FROM revrec.invoice WHERE invoice_id = 'INV-RACE'" >/dev/null 2>&1
    }
    r1=$(race $SINGLE); r2=$(race $COORD)
    if [ "$r1" = "$r2" ] && grep -q '^waited=1 owner=C000011 ERROR:  duplicate key' <<<"$r2"; then
        ok "two sessions writing invoice INV-RACE for two customers: the second waits, then fails as on the single node ($r2)"
    else
        not_ok "two sessions writing invoice INV-RACE: single node: $r1; Citus: $r2"
    fi
fi

echo "# outputs in $OUT"
# CITUS_KEEP=FILE: keep the clusters running while FILE exists (debugging)
if [ -n "${CITUS_KEEP:-}" ]; then
    echo "# clusters kept while $CITUS_KEEP exists"
    while [ -f "$CITUS_KEEP" ]; do sleep 2; done
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
