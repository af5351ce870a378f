#!/usr/bin/env bash
# revrec on Citus attacked as other roles and with two sessions (issue #21):
#   CITUS_PORT_BASE=5561 CITUS_TMP=/tmp/ccc bash scripts/private.sh bash scripts/citus-attack.sh
#
# Skipped, with a message and exit 0, when Citus is not installed.  Otherwise:
# a coordinator (CITUS_PORT_BASE) with two workers (+1, +2) and a single node
# (+3), revrec distributed, a small generated company loaded through the
# coordinator and on the single node, login roles for revrec_reader,
# revrec_writer, revrec_admin and a plain role on every node.  Then:
#   1. roles: what each role may write or call, through the coordinator and on
#      a worker directly (shards, the posting queue, the ledger, revrec's
#      internal functions), compared with the single node (the reference);
#   2. two sessions through the coordinator, interleaved step by step (two
#      psql coprocesses): different customers posting, credit notes, usage and
#      a lock move racing a posting;
#   3. posting on the workers (revrec._citus_post_group()): who may call its
#      functions, shard mode after an error, errors raised at commit on a
#      worker, immediate mode, manual journals, savepoints, every shard group
#      in one commit, posting ids, a group without its citus_group row, a
#      locked shard of another group;
#   4. backup and restore: the coordinator's pg_dump restored into a single
#      node and into a new Citus database then distributed (the same ledger,
#      posting on), and a data-only restore into the distributed revrec refused,
#      and so are a worker's pg_dump and a pg_restore -j;
#   5. nodes added (a third worker, +4), shards split, moved (with logical
#      replication too, while commits run) and rebalanced, the coordinator
#      holding shards: refused until distribute() runs again,
#      then posted from each node's own range of ids;
#   6. the ledger's invariants checked after.
# Every check prints ok / not ok; the last line is "N passed, N failed".
# CITUS_KEEP=FILE keeps the clusters running while FILE exists (after setup,
# before the tests when CITUS_KEEP_EARLY=1).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/citus-lib.sh"
set +e

if ! citus_available; then
    echo "citus-attack: skipped: Citus is not installed in $($PG_CONFIG --pkglibdir) (docs/CITUS.md says how to build it)"
    exit 0
fi
[ $IS_ROOT = 1 ] || { echo "citus-attack: run as root (bash scripts/private.sh bash scripts/citus-attack.sh)" >&2; exit 1; }

SEED=${CITUS_SEED:-42}
SIZE=${CITUS_ATTACK_SIZE:-600}
COORD=$CITUS_PORT_BASE W1=$((CITUS_PORT_BASE + 1)) W2=$((CITUS_PORT_BASE + 2)) SINGLE=$((CITUS_PORT_BASE + 3))
OUT=${CITUS_OUT:-$CITUS_TMP-attack-out}
rm -rf "$OUT"; mkdir -p "$OUT"; chmod 777 "$OUT"
CSV=$CITUS_TMP-csv-$SEED-$SIZE; mkdir -p "$CSV"; chown "$PG_OS_USER" "$CSV"

trap 'citus_stop_all' EXIT
trap 'exit 130' INT TERM
# CITUS_ATTACK_REUSE=1: use the clusters a run kept (CITUS_KEEP), without a new set-up (development)
REUSE=${CITUS_ATTACK_REUSE:-}

pass=0 fail=0
ok()     { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

if [ -z "$REUSE" ]; then
set -e
build_install
citus_start single $SINGLE revrec
cpsql $SINGLE -d postgres -c "CREATE DATABASE revrec"
cpsql $SINGLE -d revrec -c "CREATE EXTENSION revrec"
citus_cluster $COORD $W1 $W2
cpsql $COORD -d revrec -c "CREATE EXTENSION revrec"
cpsql $COORD -d revrec -c "ALTER DATABASE revrec SET citus.multi_shard_modify_mode = 'sequential'"
cpsql $COORD -d revrec -c "SELECT revrec.distribute()" >/dev/null
set +e

load() {   # load PORT -> prints load.sh's line or the error
    as_pg env PGOPTIONS="-c client_min_messages=warning" PGHOST=127.0.0.1 PGPORT=$1 PGUSER=postgres GEN_DB=revrec \
        bash "$ROOT/bench/gen/load.sh" revrec "$SEED" "$SIZE" "$CSV" 2>&1 | tail -3
}
for p in $SINGLE $COORD; do
    l=$(load $p)
    grep -q '^load lines=' <<<"$l" || { echo "citus-attack: the company did not load on port $p: $l" >&2; exit 1; }
done

# login roles, on every node (Citus propagates roles from the coordinator;
# the single node and workers get them directly when missing)
ROLES_SQL="DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'att_reader') THEN CREATE ROLE att_reader LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'att_writer') THEN CREATE ROLE att_writer LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'att_admin') THEN CREATE ROLE att_admin LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'att_plain') THEN CREATE ROLE att_plain LOGIN; END IF;
END \$\$;
GRANT revrec_reader TO att_reader; GRANT revrec_writer TO att_writer; GRANT revrec_admin TO att_admin;"
for p in $SINGLE $COORD $W1 $W2; do
    cpsql $p -d revrec -c "$ROLES_SQL" >/dev/null 2>"$OUT/roles.$p" || { echo "roles on $p: $(cat "$OUT/roles.$p")" >&2; exit 1; }
done

fi   # set-up

if [ -n "${CITUS_KEEP:-}" ] && [ -n "${CITUS_KEEP_EARLY:-}" ]; then
    echo "# clusters kept while $CITUS_KEEP exists"
    while [ -f "$CITUS_KEEP" ]; do sleep 2; done
fi

# ---------------------------------------------------------------------------
# helpers
# rpsql PORT USER [psql args]: psql as USER (trust on loopback)
rpsql() { local port=$1 user=$2; shift 2; runuser -u "$PG_OS_USER" -- psql -X -q -h 127.0.0.1 -p "$port" -U "$user" -d revrec -v ON_ERROR_STOP=1 "$@"; }
# try PORT USER SQL: in a transaction rolled back; prints OK or the first error
try() {
    local out
    out=$(rpsql "$1" "$2" -At -c "BEGIN" -c "$3" -c "ROLLBACK" 2>&1)
    if grep -q 'ERROR' <<<"$out"; then grep -m1 'ERROR' <<<"$out" | sed 's/^psql:[^ ]* //' | cut -c1-160; else echo OK; fi
}
# commit PORT USER SQL: committed (SQL may hold BEGIN ... COMMIT); prints OK or the first error
commit() {
    local out
    out=$(rpsql "$1" "$2" -At -c "$3" 2>&1)
    if grep -q 'ERROR' <<<"$out"; then grep -m1 'ERROR' <<<"$out" | sed 's/^psql:[^ ]* //' | cut -c1-160; else echo OK; fi
}
val() { local port=$1; shift; cpsql "$port" -d revrec -At -c "$*" 2>&1; }
# shard TABLE CUSTOMER: "revrec.TABLE_SHARDID PORT" of the customer's shard (coordinator's metadata)
shard() {
    val $COORD "SELECT 'revrec.$1_' || x.s || ' ' || n.nodeport
                  FROM (SELECT pg_catalog.get_shard_id_for_distribution_column('revrec.$1', '$2') AS s) x
                  JOIN pg_dist_placement pl ON pl.shardid = x.s JOIN pg_dist_node n USING (groupid)"
}
ref_shard() { echo "revrec.$1_$(val $COORD "SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'revrec.$1'::regclass")"; }
refused() { [ "${1#ERROR}" != "$1" ]; }
RID=$(date +%H%M%S)        # document ids of this run (a reused cluster keeps the last run's)
inv_sql() {   # inv_sql ID CUSTOMER [status] [date]: an invoice with one line of 1200.00 (a year from its date)
    local d=${4:-2026-03-01}
    echo "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
          VALUES ('$1', '$1', '$2', 'USD', '$d', '${3:-issued}');
          INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end, product_id)
          VALUES ('$1-1', '$1', '$2', 1200.00, '$d', ('$d'::date + 364), 'SUB-STARTER');"
}
posted() {    # posted PORT INVOICE: number of issue postings of the invoice
    val "$1" "SELECT count(*) FROM revrec.posting WHERE source = 'invoice' AND source_id = '$2' AND reason = 'issue'"
}
nudge() {     # a document written through the coordinator: its commit pulls whatever the queue holds
    commit $COORD postgres "INSERT INTO revrec.customer (customer_id, name) VALUES ('NUDGE-$RID-$1', 'nudge') ON CONFLICT DO NOTHING;
                            INSERT INTO revrec.usage (line_id, customer_id, usage_date, amount)
                            SELECT l.line_id, l.customer_id, '2026-01-05', 0.01 FROM revrec.invoice_line l
                             WHERE l.customer_id = 'C000010' AND l.line_id = 'INV000010-2512-4'" >/dev/null
}
ROLES="att_plain att_reader att_writer att_admin"

# ---------------------------------------------------------------------------
echo "# 1. roles: through the coordinator, on a worker, against the single node"

# 1a. every privilege a role has on revrec's objects on Citus (coordinator, a
# worker's shells and its shards) it has on the single node too
PRIVS_SQL="SELECT x FROM (
    SELECT regexp_replace(c.relname, '_[0-9]+\$', '') || ':' || p AS x
      FROM pg_class c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
     WHERE c.relnamespace = 'revrec'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'm', 'f')
       AND (has_table_privilege(:'r', c.oid, p) OR (p IN ('SELECT', 'INSERT', 'UPDATE') AND has_any_column_privilege(:'r', c.oid, p)))
    UNION
    SELECT regexp_replace(c.relname, '_[0-9]+\$', '') || ':' || p FROM pg_class c, unnest(ARRAY['USAGE', 'UPDATE', 'SELECT']) p
     WHERE c.relnamespace = 'revrec'::regnamespace AND c.relkind = 'S' AND has_sequence_privilege(:'r', c.oid, p)
    UNION
    SELECT f.oid::regprocedure::text || ':EXECUTE' FROM pg_proc f
     WHERE f.pronamespace = 'revrec'::regnamespace AND has_function_privilege(:'r', f.oid, 'EXECUTE')) y ORDER BY 1"
for r in $ROLES; do
    rpsql $SINGLE postgres -At -v r=$r -f - <<<"$PRIVS_SQL" >"$OUT/privs.$r.single" 2>&1
    extra=""
    for p in $COORD $W1; do
        rpsql $p postgres -At -v r=$r -c "SET citus.override_table_visibility = off" -f - <<<"$PRIVS_SQL" 2>&1 | sort -u >"$OUT/privs.$r.$p"
        # (but SELECT on revrec.citus_group, which only a distributed revrec has: one row per shard
        # group, 'group N', through which the commit reaches the groups as the writing role)
        extra+=$(comm -13 <(sort -u "$OUT/privs.$r.single") "$OUT/privs.$r.$p" | grep -vx 'citus_group:SELECT' | sed "s/^/$p:/" | tr '\n' ' ')
    done
    if [ -z "$extra" ]; then ok "$r: no privilege on Citus (coordinator, worker shells and shards) that the single node does not give ($(wc -l <"$OUT/privs.$r.$COORD") on the coordinator)"
    else not_ok "$r: privileges on Citus the single node does not give: $extra"; fi
done

# (distribute() run again, as after an upgrade, leaves the writer's document rights and the
# admin's settings as the single node's: they write them through the coordinator)
again=$(val $COORD "SELECT revrec.distribute()")
read ISH IPT <<<"$(shard invoice C000001)"
g=$(val $COORD "SELECT has_table_privilege('revrec_writer', 'revrec.invoice', 'INSERT') || '/' || has_column_privilege('revrec_admin', 'revrec.settings', 'lock_date', 'UPDATE')")
gw=$(val $IPT "SELECT has_table_privilege('revrec_writer', '$ISH', 'INSERT') || '/' || has_column_privilege('revrec_admin', '$(ref_shard settings)', 'lock_date', 'UPDATE')")
[ "$g $gw" = "true/true true/true" ] && ok "distribute() run again leaves the writer's documents and the admin's settings as on the single node (coordinator, worker shard and placement)" \
    || not_ok "distribute() run again: writer's INSERT / admin's UPDATE of the lock: coordinator $g, worker $gw ($again)"

# 1b. the posting queue: nobody but revrec writes it (coordinator, worker, the shard itself)
read QSHARD QPORT <<<"$(shard citus_queue C000001)"
for r in $ROLES; do
    bad=""
    for target in "$COORD revrec.citus_queue" "$QPORT revrec.citus_queue" "$QPORT $QSHARD"; do
        read p tbl <<<"$target"
        for sql in "INSERT INTO $tbl (customer_id, doc_kind, doc_id, seq) VALUES ('C000001', 'invoice', 'FORGED', 1)" \
                   "DELETE FROM $tbl" "UPDATE $tbl SET doc_id = doc_id" "TRUNCATE $tbl"; do
            res=$(try $p $r "$sql"); refused "$res" || bad+="[$p $sql: $res] "
        done
    done
    [ -z "$bad" ] && ok "$r cannot write or empty revrec.citus_queue (coordinator, worker, shard $QSHARD)" \
                  || not_ok "$r writes revrec.citus_queue: $bad"
done

# 1c. the ledger is append-only for every role, superuser included, on every node and shard
read PSHARD PPORT <<<"$(shard posting C000001)"
for r in $ROLES postgres; do
    bad=""
    for target in "$SINGLE revrec.posting" "$COORD revrec.posting" "$PPORT revrec.posting" "$PPORT $PSHARD"; do
        read p tbl <<<"$target"
        for sql in "UPDATE $tbl SET entries = entries WHERE customer_id = 'C000001'" \
                   "DELETE FROM $tbl WHERE customer_id = 'C000001'" "TRUNCATE $tbl"; do
            res=$(try $p $r "$sql"); refused "$res" || bad+="[$p $sql: $res] "
        done
    done
    [ -z "$bad" ] && ok "$r: UPDATE, DELETE and TRUNCATE of postings refused (single node, coordinator, worker, shard $PSHARD)" \
                  || not_ok "$r changes postings: $bad"
done
# (INSERT of a posting by a role: only through revrec's flush)
for r in $ROLES; do
    bad=""
    for target in "$COORD revrec.posting" "$PPORT revrec.posting" "$PPORT $PSHARD"; do
        read p tbl <<<"$target"
        res=$(try $p $r "INSERT INTO $tbl SELECT * FROM revrec.posting WHERE customer_id = 'C000001' LIMIT 1"); refused "$res" || bad+="[$p $tbl: $res] "
    done
    [ -z "$bad" ] && ok "$r cannot insert postings (coordinator, worker, shard)" || not_ok "$r inserts postings: $bad"
done

# 1d. revrec's internal functions: EXECUTE for nobody, on the coordinator and the workers
FUNCS="revrec.distribute() revrec._distribute_overlay() revrec._citus_triggers() revrec._citus_pull()
       revrec._citus_settings_change(NULL::date,false,NULL::date,false) revrec._citus_capture() revrec._enqueue()
       revrec.flush() revrec._flush_trigger()"
for r in $ROLES; do
    bad=""
    for p in $COORD $W1; do
        for f in $FUNCS; do
            res=$(try $p $r "SELECT $f"); grep -q 'permission denied' <<<"$res" || bad+="[$p $f: $res] "
        done
    done
    [ -z "$bad" ] && ok "$r: permission denied for distribute(), _citus_pull(), _citus_settings_change(), _citus_capture() and the flush (coordinator, worker)" \
                  || not_ok "$r calls revrec's internal functions: $bad"
done

# 1e. a writer's documents post through the coordinator as on the single node
s=$(commit $SINGLE att_writer "BEGIN; $(inv_sql INV-W-$RID C000020) COMMIT;"); sp=$(posted $SINGLE INV-W-$RID)
c=$(commit $COORD att_writer "BEGIN; $(inv_sql INV-W-$RID C000020) COMMIT;"); cp=$(posted $COORD INV-W-$RID)
[ "$c" = "$s" ] && [ "$cp" = "$sp" ] && ok "revrec_writer: an invoice written through the coordinator posts as on the single node ($sp posting)" \
    || not_ok "revrec_writer: an invoice written through the coordinator: single node $s, $sp posting; Citus $c, $cp posting"

# 1e'. the writer's posting records the writer (as on the single node); the writer's direct calls of
# the functions the coordinator runs as it: reading the noted ids takes nothing away (the next
# commit still refuses a duplicate id), posting only posts its own transaction
rb_s=$(val $SINGLE "SELECT recorded_by FROM revrec.posting WHERE source_id = 'INV-W-$RID' LIMIT 1")
rb_c=$(val $COORD "SELECT recorded_by FROM revrec.posting WHERE source_id = 'INV-W-$RID' LIMIT 1")
[ "$rb_c" = "$rb_s" ] && ok "revrec_writer's posting records $rb_c, as on the single node" || not_ok "recorded_by: single node $rb_s, Citus $rb_c"
c=$(commit $COORD att_writer "BEGIN; INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
        VALUES ('INV-W-$RID', 'DUP-$RID', 'C000021', 'USD', '2026-03-01');
        SELECT count(*) FROM revrec.citus_group g, LATERAL revrec._citus_keys(g.tableoid, NULL) k; COMMIT;")
s=$(commit $SINGLE att_writer "BEGIN; INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
        VALUES ('INV-W-$RID', 'DUP-$RID', 'C000021', 'USD', '2026-03-01'); COMMIT;")
[ "$c" = "$s" ] && ok "revrec_writer reading the noted ids itself hides nothing: another customer's invoice with the same id is refused as on the single node ($c)" \
    || not_ok "a duplicate id after the writer read the noted ids: single node $s; Citus $c"
c=$(commit $COORD att_writer "BEGIN; $(inv_sql INV-WE-$RID C000022)
        SELECT count(*) FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, NULL) x;
        UPDATE revrec.invoice_line SET amount = 1300.00 WHERE customer_id = 'C000022' AND line_id = 'INV-WE-$RID-1'; COMMIT;")
n=$(posted $COORD INV-WE-$RID)
# (it would post without the activity rows, which only the commit logs)
grep -q 'called by the commit only' <<<"$c" && [ "$n" = 0 ] && ok "revrec_writer calling _citus_post_group through the coordinator before COMMIT: refused, nothing committed ($c)" \
    || not_ok "revrec_writer posting early: $c, $n postings"
c=$(commit $COORD att_writer "BEGIN; $(inv_sql INV-WF-$RID C000022)
        SELECT count(*) FROM (SELECT * FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, NULL) x) y; COMMIT;")
n=$(val $COORD "SELECT count(*) FROM revrec.activity WHERE document_id = 'INV-WF-$RID'")
grep -q 'called by the commit only' <<<"$c" && [ "$(posted $COORD INV-WF-$RID)" = 0 ] && [ "$n" = 0 ] \
    && ok "the same in a subquery: refused, nothing posted without its activity row" || not_ok "revrec_writer posting early in a subquery: $c, activity rows $n"
for how in "DECLARE c CURSOR FOR SELECT x.* FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, NULL) x; FETCH ALL FROM c;" \
           "SELECT x.* INTO TEMP t_early FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, NULL) x;" \
           "CREATE TEMP TABLE t_early2 AS SELECT x.* FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, NULL) x;"; do
    kk=$((${kk:-0} + 1))
    c=$(commit $COORD att_writer "BEGIN; $(inv_sql INV-WG$kk-$RID C000022) $how COMMIT;")
    n=$(val $COORD "SELECT count(*) FROM revrec.activity WHERE document_id = 'INV-WG$kk-$RID'")
    grep -q 'called by the commit only' <<<"$c" && [ "$(posted $COORD INV-WG$kk-$RID)" = 0 ] && [ "$n" = 0 ] \
        && ok "the same through '${how:0:30}...': refused, nothing posted" \
        || not_ok "revrec_writer posting early through '${how:0:40}': $c, activity rows $n"
done
# the same through a SQL-standard function body, which PostgreSQL analyzes without the
# coordinator's check: the postings made early are still logged, once, by the commit
r=$(val $COORD "DROP SCHEMA IF EXISTS early CASCADE; CREATE SCHEMA early AUTHORIZATION att_writer" 2>&1)
r=$(rpsql $COORD att_writer -c "CREATE FUNCTION early.post(r regclass) RETURNS bigint LANGUAGE sql
                                 BEGIN ATOMIC SELECT count(*) FROM revrec._citus_post_group(r, NULL); END" 2>&1)
c=$(commit $COORD att_writer "BEGIN; $(inv_sql INV-WH-$RID C000022) SELECT sum(early.post(g.tableoid)) FROM revrec.citus_group g; COMMIT;")
n=$(val $COORD "SELECT count(*) FROM revrec.activity WHERE document_id = 'INV-WH-$RID'")
p=$(posted $COORD INV-WH-$RID)
v=$(val $COORD "SELECT count(*) FROM revrec.verify() WHERE document LIKE '%INV-WH-$RID%'")
if [ "${c#ERROR}" != "$c" ]; then
    [ "$p" = 0 ] && [ "$n" = 0 ] && ok "the same through a SQL-standard function body: refused ($c), nothing posted" \
        || not_ok "early posting through a SQL-standard function body: $c, postings $p, activity rows $n"
else
    [ "$p" = 1 ] && [ "$n" = 1 ] && [ "$v" = 0 ] \
        && ok "the same through a SQL-standard function body (not seen by the check): posted once, its activity row logged once by the commit, verify() clean" \
        || not_ok "early posting through a SQL-standard function body: postings $p, activity rows $n, verify() rows $v ($r)"
fi
val $COORD "DROP SCHEMA early CASCADE" >/dev/null 2>&1
w=$(try $W1 att_writer "SELECT * FROM revrec._citus_post_group('revrec.citus_group'::regclass, NULL)")
refused "$w" && ok "revrec_writer calling _citus_post_group on a worker directly: refused ($w)" || not_ok "_citus_post_group on a worker: $w"
w=$(try $COORD att_writer "SELECT revrec._citus_note(0, ARRAY['C1'], ARRAY['key'], ARRAY['x'], ARRAY['invoice'], ARRAY['-'])")
refused "$w" && ok "revrec_writer cannot note ids itself ($w)" || not_ok "revrec_writer notes ids: $w"
# 1e''. documents written by two roles in one transaction: refused with the reason
c=$(commit $COORD postgres "BEGIN; $(inv_sql INV-2R-$RID C000023 draft) SET LOCAL ROLE att_writer;
        INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end, product_id)
        VALUES ('INV-2R-$RID-2', 'INV-2R-$RID', 'C000023', 10.00, '2026-03-01', '2026-03-31', 'SUB-STARTER'); COMMIT;")
grep -q 'one role in a transaction' <<<"$c" && ok "documents written by two roles in one transaction: refused ($c)" || not_ok "two roles in one transaction: $c"

# 1f. revrec_admin moves the lock (forward, back) and changes export settings through the coordinator
for sql in "UPDATE revrec.settings SET lock_date = '2024-01-31'" "UPDATE revrec.settings SET lock_date = NULL" \
           "UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt'"; do
    s=$(commit $SINGLE att_admin "$sql"); c=$(commit $COORD att_admin "$sql")
    [ "$c" = "$s" ] && ok "revrec_admin: $sql: as on the single node ($s)" \
        || not_ok "revrec_admin: $sql: single node $s; Citus $c"
done
la_s=$(val $SINGLE "SELECT count(*) FROM revrec.activity WHERE action ~ 'lock'"); la_c=$(val $COORD "SELECT count(*) FROM revrec.activity WHERE action ~ 'lock'")
[ "$la_s" = "$la_c" ] && ok "lock changes logged as on the single node ($la_s)" || not_ok "lock changes logged: single node $la_s, Citus $la_c"

MJ="SELECT revrec.post_manual_journal(entry_date => '2026-03-31', narrative => 'attack reclass', currency => 'USD', customer_id => 'C000001',
        lines => '[{\"account\":\"recognized\",\"direction\":\"debit\",\"amount\":\"100.00\"},
                   {\"account\":\"deferred\",\"direction\":\"credit\",\"amount\":\"100.00\"}]') IS NOT NULL"
for r in att_admin att_writer; do
    s=$(commit $SINGLE $r "$MJ"); c=$(commit $COORD $r "$MJ")
    [ "$c" = "$s" ] && ok "$r: a manual journal through the coordinator: as on the single node ($s)" \
        || not_ok "$r: a manual journal: single node $s; Citus $c"
done

# 1g. a writer or reader cannot move the lock (coordinator, worker shell, the worker's placement)
SSHARD=$(ref_shard settings)
for r in att_reader att_writer att_plain; do
    bad=""
    for target in "$SINGLE revrec.settings" "$COORD revrec.settings" "$W1 revrec.settings" "$W1 $SSHARD"; do
        read p tbl <<<"$target"
        res=$(try $p $r "UPDATE $tbl SET lock_date = '2024-01-31'"); refused "$res" || bad+="[$p $tbl: $res] "
    done
    [ -z "$bad" ] && ok "$r cannot change the lock (single node, coordinator, worker, placement $SSHARD)" || not_ok "$r changes the lock: $bad"
done

# 1h. revrec_admin on one worker's placement of a reference table: the lock
# moved back there only, unlogged (the ledger check on that worker's shards
# reads it), or ledger accounts different on one node
val $COORD "UPDATE revrec.settings SET lock_date = '2024-01-31'" >/dev/null
res=$(commit $W1 att_admin "UPDATE $SSHARD SET lock_date = NULL")
lc=$(val $COORD "SELECT lock_date FROM revrec.settings"); lw=$(val $W1 "SET citus.enable_manual_changes_to_shards = on; SELECT lock_date FROM $SSHARD" | tail -1)
[ "$lw" = "$lc" ] && ok "revrec_admin cannot move the lock on one worker's placement of revrec.settings ($res)" \
    || not_ok "revrec_admin moved the lock on worker $W1's placement $SSHARD only ($res): coordinator $lc, worker ${lw:-none}, nothing logged"
val $COORD "UPDATE revrec.settings SET lock_date = NULL" >/dev/null    # every placement again
res=$(try $W1 att_admin "UPDATE $(ref_shard ledger_account) SET name = name || ' (worker $W1)' WHERE code = 'deferred'")
refused "$res" && ok "revrec_admin cannot write one worker's placement of revrec.ledger_account ($res)" \
    || not_ok "revrec_admin writes worker $W1's placement of revrec.ledger_account only: the reference table's copies would differ"

# 1i. a writer on a worker: a posted invoice's line changed (refused on the
# single node) and, left in the queue, every later commit through the coordinator refused
read LSHARD LPORT <<<"$(shard invoice_line C000001)"
AMOUNT0=$(val $COORD "SELECT amount FROM revrec.invoice_line WHERE customer_id = 'C000001' AND line_id = 'INV000001-2512-1'")
PL="UPDATE TABLE SET amount = amount + 1000 WHERE customer_id = 'C000001' AND line_id = 'INV000001-2512-1'"
s=$(commit $SINGLE att_writer "${PL/TABLE/revrec.invoice_line}")
c=$(commit $LPORT att_writer "${PL/TABLE/$LSHARD}")
refused "$c" && ok "revrec_writer cannot change a posted invoice's line on a worker's shard $LSHARD (single node: $s)" \
    || not_ok "revrec_writer changed a posted invoice's line on worker $LPORT's shard $LSHARD (single node: $s): committed, the ledger no longer matches the invoice"
c2=$(commit $LPORT att_writer "${PL/TABLE/revrec.invoice_line}")
refused "$c2" && ok "revrec_writer cannot change a posted invoice's line through a worker's shell table ($c2)" \
    || not_ok "revrec_writer changed a posted invoice's line through worker $LPORT's revrec.invoice_line: committed"
after=$(commit $COORD postgres "BEGIN; $(inv_sql INV-X-$RID C000021) COMMIT;")
[ "$after" = OK ] && ok "a worker's write does not stop the next commit through the coordinator" \
    || not_ok "after a writer's change on a worker, an unrelated invoice (C000021) through the coordinator fails: $after"
# (put the line back, empty the queue: superuser, replica mode)
val $COORD "BEGIN; SET LOCAL session_replication_role = replica;
            UPDATE revrec.invoice_line SET amount = $AMOUNT0 WHERE customer_id = 'C000001' AND line_id = 'INV000001-2512-1';
            DELETE FROM revrec.citus_queue; COMMIT;" >/dev/null

# (the same change by revrec's owner on a worker: refused as on the single node,
# or at least not left in the queue to refuse every later commit)
c=$(commit $LPORT postgres "${PL/TABLE/$LSHARD}")
after=$(commit $COORD postgres "BEGIN; $(inv_sql INV-X2-$RID C000021) COMMIT;")
refused "$c" && ok "revrec's owner cannot change a posted invoice's line on a worker's shard either ($c)" \
    || not_ok "revrec's owner changed a posted invoice's line on worker $LPORT's shard $LSHARD: committed (single node: $s)"
[ "$after" = OK ] && ok "a change on a worker left in the queue does not stop the next commit through the coordinator" \
    || not_ok "after a change on a worker, an unrelated invoice (C000021) through the coordinator fails: $after"
val $COORD "BEGIN; SET LOCAL session_replication_role = replica;
            UPDATE revrec.invoice_line SET amount = $AMOUNT0 WHERE customer_id = 'C000001' AND line_id = 'INV000001-2512-1';
            DELETE FROM revrec.citus_queue; COMMIT;" >/dev/null

# 1j. a writer writes an issued invoice on a worker: posted at its commit (as
# on the single node) or refused; not left unposted in the queue
read ISHARD IPORT <<<"$(shard invoice C000028)"; read ILSHARD _ <<<"$(shard invoice_line C000028)"
w_sql=$(inv_sql INV-WK-$RID C000028 | sed "s|revrec.invoice_line|$ILSHARD|; s|revrec.invoice |$ISHARD |")
res=$(commit $IPORT att_writer "BEGIN; $w_sql COMMIT;")
n=$(posted $COORD INV-WK-$RID); q=$(val $COORD "SELECT count(*) FROM revrec.citus_queue")
if refused "$res" || [ "$n" = 1 ]; then ok "an invoice a writer writes on a worker's shards is refused or posted at its commit ($res)"
else not_ok "an invoice a writer wrote on worker $IPORT's shards committed without a posting ($n postings, $q keys left in revrec.citus_queue)"; fi
nudge 1j

# 1k. a session's own temporary table named like the one revrec posts through
# on Citus (src/post_emit.c): its rows must not reach the ledger (nor its
# triggers run as revrec's owner); revrec makes its own
res=$(commit $COORD postgres "CREATE TEMPORARY TABLE revrec_citus_postings AS
                                  SELECT * FROM revrec.posting WHERE source = 'invoice' AND reason = 'issue' AND customer_id = 'C000022' LIMIT 1;
                              UPDATE revrec_citus_postings SET posting_id = posting_id + 1000000000, source_id = 'FORGED-$RID';
                              BEGIN; $(inv_sql INV-TMP-$RID C000022) COMMIT;")
forged=$(val $COORD "SELECT count(*) FROM revrec.posting WHERE source_id = 'FORGED-$RID'")
if [ "$forged" = 0 ] && [ "$(posted $COORD INV-TMP-$RID)" = 1 ]; then
    ok "a session's own temporary table revrec_citus_postings: its rows do not reach the ledger, the invoice posts ($res)"
else
    not_ok "a session's own temporary table revrec_citus_postings: $forged forged postings in the ledger, invoice: $res"
fi

# 1l. roles without revrec's privileges, and revrec's own roles, on their own
# tables in revrec's database: every statement works as on the single node
# (through the coordinator, distributed, and on a worker, local: revrec's
# hooks run on every statement of every node;
# they must look at revrec's objects without the role's privileges)
for p in $SINGLE $COORD $W1; do
    val $p "CREATE SCHEMA IF NOT EXISTS att_own AUTHORIZATION att_plain; GRANT USAGE, CREATE ON SCHEMA att_own TO att_writer, att_reader" >/dev/null
done
own_sql() {   # own_sql ROLE TABLE: statements on a table of the role's own
    echo "CREATE TABLE att_own.$2 (k int PRIMARY KEY, v int);"
    [ "$3" = citus ] && echo "SELECT create_distributed_table('att_own.$2', 'k');"
    echo "INSERT INTO att_own.$2 SELECT g, g FROM generate_series(1, 10) g;
          COPY att_own.$2 FROM STDIN;
11	11
\\.
          UPDATE att_own.$2 SET v = v + 1 WHERE k = 1;
          DELETE FROM att_own.$2 WHERE k = 2;
          SELECT count(*), sum(v) FROM att_own.$2;
          BEGIN; INSERT INTO att_own.$2 VALUES (20, 20); UPDATE att_own.$2 SET v = 0 WHERE k = 20;
          DECLARE c CURSOR FOR SELECT * FROM att_own.$2 ORDER BY k; FETCH 2 FROM c; CLOSE c; COMMIT;
          PREPARE q(int) AS SELECT v FROM att_own.$2 WHERE k = \$1; EXECUTE q(3);
          EXPLAIN (COSTS OFF) SELECT * FROM att_own.$2 WHERE k = 3;
          CREATE TEMPORARY TABLE tt AS SELECT * FROM att_own.$2; SELECT count(*) FROM tt;
          SELECT count(*), sum(v) FROM att_own.$2;
          DROP TABLE att_own.$2;"
}
for r in att_plain att_reader att_writer; do
    s_out=$(rpsql $SINGLE $r -At -f - <<<"$(own_sql $r own_${r}_$RID single)" 2>&1)
    c_out=$(rpsql $COORD $r -At -f - <<<"$(own_sql $r own_${r}_$RID citus)" 2>&1)
    c_out+=$'\n'$(rpsql $W1 $r -At -f - <<<"$(own_sql $r own_${r}_$RID worker)" 2>&1)
    s_err=$(grep -m1 ERROR <<<"$s_out" | cut -c1-160); c_err=$(grep -m1 ERROR <<<"$c_out" | cut -c1-160)
    s_sum=$(grep -E '^[0-9]+\|[0-9]+$' <<<"$s_out" | tail -1); c_sum=$(grep -E '^[0-9]+\|[0-9]+$' <<<"$c_out" | tail -1)
    if [ -z "$s_err$c_err" ] && [ -n "$s_sum" ] && [ "$c_sum" = "$s_sum" ]; then
        ok "$r on a table of its own (distributed on Citus): writes, COPY, cursors, EXPLAIN as on the single node, through the coordinator and on a worker ($c_sum)"
    else
        not_ok "$r on a table of its own: single node ${s_err:-no error} ($s_sum); Citus ${c_err:-no error} ($c_sum)"
    fi
done
# (and the errors of its own distributed table are Citus's, as without revrec:
# revrec's hint and its renaming of shards are for revrec's tables only; a
# prepared statement gets the hint of the table it writes, not of the last
# statement parsed)
e1=$(rpsql $COORD att_plain -c "CREATE TABLE att_own.e_$RID (k int PRIMARY KEY, v int)" -c "SELECT create_distributed_table('att_own.e_$RID', 'k')" \
        -c "INSERT INTO att_own.e_$RID VALUES (1, 1)" 2>&1 >/dev/null)
e2=$(rpsql $COORD att_plain -c "INSERT INTO att_own.e_$RID (v) VALUES (1)" 2>&1)
e3=$(rpsql $COORD att_plain -c "INSERT INTO att_own.e_$RID VALUES (1, 2)" 2>&1)
p=$(as_pg psql -X -q -h 127.0.0.1 -p $COORD -d revrec -f - 2>&1 <<SQL
PREPARE pa AS INSERT INTO att_own.e_$RID (v) VALUES (1);
PREPARE pr AS INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end) VALUES ('L-$RID', 'I-$RID', 1, '2026-01-01', '2026-01-31');
\warn step-1
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end) VALUES ('L-$RID', 'I-$RID', 1, '2026-01-01', '2026-01-31');
\warn step-2
EXECUTE pa;
\warn step-3
INSERT INTO att_own.e_$RID (v) VALUES (1);
\warn step-4
EXECUTE pr;
\warn step-5
WITH x AS (INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end) VALUES ('L-$RID', 'I-$RID', 1, '2026-01-01', '2026-01-31') RETURNING 1) SELECT * FROM x;
SQL
)
hints=$(awk '/^step-/ {s=$1} /^HINT:  On a distributed revrec/ {print s}' <<<"$p" | tr '\n' ' ')
errs=$(grep -c 'ERROR' <<<"$p")
[ "$hints" = "step-1 step-4 step-5 " ] && [ "$errs" = 5 ] \
    && ok "prepared statements and a WITH: revrec's hint on the writes of revrec's tables only (steps $hints)" \
    || not_ok "the hint of Citus's partition column error: on steps '$hints' (want step-1 step-4 step-5), $errs errors: $(grep -E 'ERROR|HINT|step' <<<"$p" | tr '\n' ' ' | cut -c1-300)"
rpsql $COORD att_plain -c "DROP TABLE att_own.e_$RID" >/dev/null 2>&1
if [ -z "$e1" ] && grep -q 'ERROR' <<<"$e2" && ! grep -qi 'revrec' <<<"$e2" && grep -Eq "e_${RID}_pkey_[0-9]+" <<<"$e3"; then
    ok "att_plain's own distributed table: Citus's errors unchanged (no revrec hint; shard names kept: $(grep -m1 ERROR <<<"$e3" | sed 's/^psql:[^ ]* //' | cut -c1-90))"
else
    not_ok "att_plain's own distributed table: errors changed by revrec: ${e1:+set-up: $e1; }$(grep -E 'ERROR|HINT' <<<"$e2" | tr '\n' ' ') / $(grep -m1 ERROR <<<"$e3")"
fi

# ---------------------------------------------------------------------------
echo "# 2. two sessions through the coordinator (the single node runs the same interleaving)"
# Sessions driven step by step through named pipes: sess_open NAME PORT [USER];
# sess_send NAME SQL (returns at once); sess_wait NAME SECONDS (1 when the
# SQL sent last is still running then); sess_errors NAME.
SESS_DIR=$OUT/sessions; mkdir -p "$SESS_DIR"; chmod 777 "$SESS_DIR"
declare -A SESS_FD SESS_N SESS_PID
sess_open() {
    local name=$1 port=$2 user=${3:-postgres} fd
    rm -f "$SESS_DIR/$name.in" "$SESS_DIR/$name.out"; mkfifo "$SESS_DIR/$name.in"; : >"$SESS_DIR/$name.out"
    runuser -u "$PG_OS_USER" -- stdbuf -o0 -e0 psql -X -q -h 127.0.0.1 -p "$port" -U "$user" -d revrec -v ON_ERROR_STOP=0 \
        <"$SESS_DIR/$name.in" >>"$SESS_DIR/$name.out" 2>&1 &
    SESS_PID[$name]=$!
    exec {fd}>"$SESS_DIR/$name.in"
    SESS_FD[$name]=$fd; SESS_N[$name]=0
    printf '\\set VERBOSITY terse\n\\echo __done_0\n' >&$fd
}
sess_send() {
    SESS_N[$1]=$((SESS_N[$1] + 1))
    printf '%s;\n\\echo __done_%s\n' "$2" "${SESS_N[$1]}" >&"${SESS_FD[$1]}"
}
sess_wait() {
    local i=0
    while ! grep -q "^__done_${SESS_N[$1]}\$" "$SESS_DIR/$1.out"; do
        sleep 0.1; i=$((i + 1)); [ $i -ge $(($2 * 10)) ] && return 1
    done
    return 0
}
sess_close() {
    local fd=${SESS_FD[$1]}
    printf '\\q\n' >&"$fd"; exec {fd}>&-
    wait "${SESS_PID[$1]}" 2>/dev/null
}
sess_errors() { grep -o 'ERROR: .*' "$SESS_DIR/$1.out" | sed 's/^ERROR: *//' | tr '\n' ';'; }

# pause SIDE CUSTOMER: port and SQL of a session C that holds the customer's
# postings, so that a flush writing them waits (on Citus: the posting shard, on its worker)
pause() {
    local sh port
    if [ "$1" = single ]; then echo "$SINGLE|BEGIN; LOCK TABLE revrec.posting IN SHARE MODE"
    else read sh port <<<"$(shard posting "$2")"
         echo "$port|SET citus.enable_manual_changes_to_shards = on; BEGIN; LOCK TABLE $sh IN SHARE MODE"; fi
}

# scenario NAME SIDE PAUSE_CUSTOMER STATE_SQL STEP...: sessions A and B on the
# side's node (coordinator or single node), C pausing PAUSE_CUSTOMER's
# postings; a step is "S|w|SQL" (wait up to 10 s for it) or "S|n|SQL" (go on
# after 1.5 s).  Writes $OUT/NAME.SIDE: the state query's rows, then each session's errors.
scenario() {
    local name=$1 side=$2 pc=$3 state=$4 port step s mode sql pp psql_c k=0; shift 4
    port=$COORD; [ "$side" = single ] && port=$SINGLE
    IFS='|' read -r pp psql_c <<<"$(pause "$side" "$pc")"
    sess_open A $port; sess_open B $port; sess_open C $pp
    sess_wait A 10; sess_wait B 10; sess_wait C 10
    : >"$OUT/$name.$side.steps"
    for step in "$@"; do
        k=$((k + 1))
        s=${step%%|*}; sql=${step#*|}; mode=${sql%%|*}; sql=${sql#*|}
        [ "$sql" = PAUSE ] && sql=$psql_c
        sess_send $s "$sql"
        if [ "$mode" = w ]; then sess_wait $s 10 || echo "step $k ($s) still running after 10 s" >>"$OUT/$name.$side.steps"
        else sleep 1.5; sess_wait $s 0 || echo "step $k ($s) waits" >>"$OUT/$name.$side.steps"; fi
    done
    for s in A B C; do sess_wait $s 60 || echo "session $s still running after 60 s" >>"$OUT/$name.$side.steps"; done
    val $port "$state" >"$OUT/$name.$side"
    for s in A B C; do echo "$s errors: $(sess_errors $s)" >>"$OUT/$name.$side"; sess_close $s; done
}
# compare_scenario NAME DESCRIPTION: the same end on both sides
compare_scenario() {
    if cmp -s "$OUT/$1.single" "$OUT/$1.citus"; then
        ok "$2: as on the single node ($(grep -c . "$OUT/$1.single") lines: $(grep errors "$OUT/$1.single" | tr '\n' ' ' | cut -c1-150))"
    else
        not_ok "$2: differs from the single node (single: $(tr '\n' ' ' <"$OUT/$1.single" | cut -c1-400); Citus: $(tr '\n' ' ' <"$OUT/$1.citus" | cut -c1-400); waits: single $(tr '\n' ' ' <"$OUT/$1.single.steps") Citus $(tr '\n' ' ' <"$OUT/$1.citus.steps"))"
    fi
}
on_both() { val $SINGLE "$1" >/dev/null; val $COORD "$1" >/dev/null; }
# the ledger of documents: their postings summed by day and account (the
# postings themselves may be cut differently when the commits came in another
# serial order, usage read at the issue instead of posted after it)
P_STATE="SELECT p.source || ' ' || p.source_id || ' ' || e.d || ' ' || e.a || ' ' || sum(e.m)
           FROM revrec.posting p
          CROSS JOIN LATERAL (SELECT p.entries[3 * i - 2] AS d, p.entries[3 * i - 1] AS a, p.entries[3 * i] AS m
                                FROM generate_series(1, array_length(p.entries, 1) / 3) i) e
          WHERE p.source_id IN (IDS) GROUP BY p.source, p.source_id, e.d, e.a HAVING sum(e.m) <> 0 ORDER BY 1"
pstate() { local ids; ids=$(printf "'%s'," "$@"); echo "${P_STATE/IDS/${ids%,}}"; }
cn_sql() {    # cn_sql ID CUSTOMER INVOICE LINE AMOUNT
    echo "INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
          VALUES ('$1', '$1', '$2', '$3', 'USD', '2026-04-01');
          INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
          VALUES ('$1-1', '$1', '$2', '$4', $5);"
}

# 2a. two customers posting at once
I1=INV-S1A-$RID I2=INV-S1B-$RID
for side in single citus; do
    scenario s1 $side C000020 "$(pstate $I1 $I2)" \
        "A|w|BEGIN; $(inv_sql $I1 C000020)" "B|w|BEGIN; $(inv_sql $I2 C000021)" "A|n|COMMIT" "B|w|COMMIT"
done
compare_scenario s1 "two customers' invoices committed at once both post"

# 2b. two credit notes against the same invoice line (together more than the line)
F=INV-S2-$RID; on_both "$(inv_sql $F C000022)"
for side in single citus; do
    scenario s2 $side C000022 "$(pstate CN-S2A-$RID CN-S2B-$RID)" \
        "C|w|PAUSE" "A|w|BEGIN; $(cn_sql CN-S2A-$RID C000022 $F $F-1 800)" "B|w|BEGIN; $(cn_sql CN-S2B-$RID C000022 $F $F-1 800)" \
        "A|n|COMMIT" "B|n|COMMIT" "C|w|ROLLBACK"
done
compare_scenario s2 "two credit notes of 800 against one line of 1200 at once"

# 2c. a credit note racing the issue of its invoice
F=INV-S3-$RID; on_both "$(inv_sql $F C000023 draft)"
for side in single citus; do
    scenario s3 $side C000023 "$(pstate $F CN-S3-$RID)" \
        "C|w|PAUSE" "A|w|BEGIN; UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000023' AND invoice_id = '$F'" \
        "A|n|COMMIT" "B|n|BEGIN; $(cn_sql CN-S3-$RID C000023 $F $F-1 400)" "B|n|COMMIT" "C|w|ROLLBACK"
done
compare_scenario s3 "a credit note written while its invoice is being issued"

# 2d. usage written while its invoice is being issued
F=INV-S4-$RID
on_both "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
         VALUES ('$F', '$F', 'C000026', 'USD', '2026-03-05', 'draft');
         INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
         VALUES ('$F-1', '$F', 'C000026', 'API-USAGE', 142.00, '2026-03-01', '2026-03-31');"
for side in single citus; do
    scenario s4 $side C000026 "$(pstate $F)" \
        "C|w|PAUSE" "A|w|BEGIN; UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000026' AND invoice_id = '$F'" \
        "A|n|COMMIT" \
        "B|n|BEGIN; INSERT INTO revrec.usage (line_id, customer_id, usage_date, amount) VALUES ('$F-1', 'C000026', '2026-03-10', 12.50)" \
        "B|n|COMMIT" "C|w|ROLLBACK"
done
compare_scenario s4 "usage written while its invoice is being issued"

# 2e. the lock moved while a posting before it is being written
F=INV-S5-$RID
for side in single citus; do
    scenario s5 $side C000029 "SELECT * FROM ($(pstate $F)) p UNION ALL SELECT 'lock ' || coalesce(lock_date::text, 'none') FROM revrec.settings" \
        "C|w|PAUSE" "A|w|BEGIN; $(inv_sql $F C000029 issued 2025-05-01)" "A|n|COMMIT" \
        "B|n|UPDATE revrec.settings SET lock_date = '2025-06-30'" "C|w|ROLLBACK"
done
compare_scenario s5 "the lock moved past an invoice being posted"
on_both "UPDATE revrec.settings SET lock_date = NULL"

# 2f. a credit note written, and committed, while its invoice's issue is not yet committed
F=INV-S3B-$RID; on_both "$(inv_sql $F C000023 draft)"
for side in single citus; do
    scenario s3b $side C000023 "$(pstate $F CN-S3B-$RID)" \
        "A|w|BEGIN; UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000023' AND invoice_id = '$F'" \
        "B|n|BEGIN; $(cn_sql CN-S3B-$RID C000023 $F $F-1 400)" "B|n|COMMIT" "A|w|COMMIT"
done
compare_scenario s3b "a credit note committed while the issue of its invoice is not"

# 2g. usage committed while its invoice's issue is not yet committed
F=INV-S4B-$RID
on_both "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
         VALUES ('$F', '$F', 'C000026', 'USD', '2026-03-05', 'draft');
         INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
         VALUES ('$F-1', '$F', 'C000026', 'API-USAGE', 142.00, '2026-03-01', '2026-03-31');"
for side in single citus; do
    scenario s4b $side C000026 "$(pstate $F)" \
        "A|w|BEGIN; UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000026' AND invoice_id = '$F'" \
        "B|n|BEGIN; INSERT INTO revrec.usage (line_id, customer_id, usage_date, amount) VALUES ('$F-1', 'C000026', '2026-03-10', 12.50)" \
        "B|n|COMMIT" "A|w|COMMIT"
done
compare_scenario s4b "usage committed while the issue of its invoice is not"

# 2h. immediate mode (SET CONSTRAINTS ALL IMMEDIATE): each statement posts at its end
F=INV-S6-$RID
on_both "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
         VALUES ('$F', '$F', 'C000030', 'USD', '2026-03-05', 'draft');
         INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
         VALUES ('$F-1', '$F', 'C000030', 'API-USAGE', 142.00, '2026-03-01', '2026-03-31');"
on_both "UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000030' AND invoice_id = '$F'"
U="INSERT INTO revrec.usage (line_id, customer_id, usage_date, amount) VALUES ('$F-1', 'C000030', 'DAY', 1.25)"
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    commit $port postgres "BEGIN; SET CONSTRAINTS ALL IMMEDIATE; ${U/DAY/2026-03-02}; ${U/DAY/2026-03-03}; COMMIT;" >"$OUT/s6.$side"
    n=$(val $port "SELECT count(*) FROM revrec.citus_queue" 2>/dev/null | grep -x '[0-9]*')
    val $port "$(pstate $F)" >>"$OUT/s6.$side"
done
touch "$OUT/s6.single.steps" "$OUT/s6.citus.steps"
compare_scenario s6 "SET CONSTRAINTS ALL IMMEDIATE: two usage rows in two statements, each posted at the end of its statement"
[ "$n" = 0 ] && ok "immediate mode: nothing left in revrec.citus_queue" || not_ok "immediate mode: $n keys left in revrec.citus_queue, committed without a posting"
nudge 2h

# 2i. the end of revrec._citus_pull(): DELETE FROM revrec.citus_queue empties
# the whole queue, read earlier in another statement.  Keys committed in
# between are deleted without being posted: here a document revrec's owner
# writes on a worker directly (docs/CITUS.md: "the next transaction that
# writes documents through the coordinator picks them up").
# Widened here with a lock on a queue shard the DELETE visits (in shard
# order) before the orphan's shard.
for cust in C000028 C000025 C000016 C000011 C000029 C000015 C000014 C000018 C000004 C000013; do
    read QS QP <<<"$(shard citus_queue $cust)"
    QL=$(val $COORD "SELECT min(s.shardid) FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid) JOIN pg_dist_node n USING (groupid)
                      WHERE s.logicalrelid = 'revrec.citus_queue'::regclass AND n.nodeport = $QP")
    [ "$QL" != "${QS##*_}" ] && break
done
read ISHARD IPORT <<<"$(shard invoice $cust)"; read ILSHARD _ <<<"$(shard invoice_line $cust)"
F=INV-S7-$RID O=INV-S7O-$RID
sess_open C $QP; sess_open A $COORD; sess_open W $IPORT postgres
sess_send C "SET citus.enable_manual_changes_to_shards = on; BEGIN; LOCK TABLE revrec.citus_queue_$QL IN EXCLUSIVE MODE"; sess_wait C 10
sess_send A "BEGIN; $(inv_sql $F C000020)"; sess_wait A 10
sess_send A "COMMIT"; sess_wait A 2; a_waits=$?
sess_send W "BEGIN; $(inv_sql $O $cust | sed "s|revrec.invoice_line|$ILSHARD|; s|revrec.invoice |$ISHARD |") COMMIT"; sess_wait W 10
sess_send C "ROLLBACK"; sess_wait C 10; sess_wait A 30
errs="A: $(sess_errors A) W: $(sess_errors W)"
sess_close A; sess_close C; sess_close W
nudge 2i
nf=$(posted $COORD $F); no=$(posted $COORD $O); nq=$(val $COORD "SELECT count(*) FROM revrec.citus_queue WHERE doc_id = '$O'")
if [ "$nf" = 1 ] && { [ "$no" = 1 ] || [ "$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id = '$O'")" = 0 ]; }; then
    ok "a key queued while revrec._citus_pull() runs is not lost (invoice written on a worker: $no posting; $errs)"
else
    not_ok "a key queued while revrec._citus_pull() runs is lost: invoice $O (written on worker $IPORT while the coordinator's commit was between reading and emptying the queue; commit waiting: $([ $a_waits = 1 ] && echo yes || echo no)) is stored, issued, $no postings, $nq keys left in the queue, even after the next commit ($errs)"
fi

# 2j. keys committed in the queue (a document revrec's owner wrote on a worker), read by
# two commits at once: posted once
O=INV-S8O-$RID
res=$(commit $IPORT postgres "BEGIN; $(inv_sql $O $cust | sed "s|revrec.invoice_line|$ILSHARD|; s|revrec.invoice |$ISHARD |") COMMIT;")
sess_open C $QP; sess_open A $COORD; sess_open B $COORD
sess_send C "SET citus.enable_manual_changes_to_shards = on; BEGIN; LOCK TABLE revrec.citus_queue_$QL IN EXCLUSIVE MODE"; sess_wait C 10
sess_send A "BEGIN; $(inv_sql INV-S8A-$RID C000020)"; sess_wait A 10
sess_send B "BEGIN; $(inv_sql INV-S8B-$RID C000021)"; sess_wait B 10
sess_send A "COMMIT"; sleep 1; sess_send B "COMMIT"; sleep 1
sess_send C "ROLLBACK"; sess_wait C 10; sess_wait A 30; sess_wait B 30
errs="A: $(sess_errors A) B: $(sess_errors B)"
sess_close A; sess_close B; sess_close C
no=$(posted $COORD $O); na=$(posted $COORD INV-S8A-$RID); nb=$(posted $COORD INV-S8B-$RID)
if refused "$res" || { [ "$no" = 1 ] && [ "$na" = 1 ] && [ "$nb" = 1 ]; }; then
    ok "keys in the queue read by two commits at once: posted once, both commits done (worker write: $res; $no/$na/$nb postings; $errs)"
else
    not_ok "keys in the queue read by two commits at once: $no postings of $O, $na and $nb of the two commits ($errs)"
fi
nudge 2j

# ---------------------------------------------------------------------------
echo "# 3. posting on the workers (revrec._citus_post_group(), src/citus_shard.c)"

# 3a. the worker posting's internal functions: EXECUTE for nobody, on the coordinator and the workers
# (_citus_keys and _citus_post_group are the writer's: 1e')
FUNCS3="revrec._citus_groups() revrec._citus_apply_keys(NULL,NULL,NULL,NULL,NULL)
        revrec._citus_note(0,NULL,NULL,NULL,NULL,NULL)"
for r in $ROLES; do
    bad=""
    for p in $COORD $W1; do
        for f in $FUNCS3; do
            res=$(try $p $r "SELECT * FROM $f"); grep -q 'permission denied' <<<"$res" || bad+="[$p $f: $res] "
        done
    done
    [ -z "$bad" ] && ok "$r: permission denied for _citus_groups(), _citus_apply_keys(), _citus_note() (coordinator, worker)" \
                  || not_ok "$r calls the worker posting's functions: $bad"
done

# 3b. revrec's owner connected to a worker: _citus_post_group() outside a coordinator's transaction refused
read GS GP <<<"$(shard citus_group C000020)"
res=$(try $GP postgres "SELECT * FROM revrec._citus_post_group('$GS', NULL)")
grep -q 'only in a transaction of the Citus coordinator' <<<"$res" && ok "revrec._citus_post_group() on a worker outside a coordinator's transaction: refused ($res)" \
    || not_ok "revrec._citus_post_group() on a worker outside a coordinator's transaction: $res"

# 3c. an error while a group posts (lock_timeout on its posting shard, held by
# another session; the coordinator's transaction faked with Citus's
# assign_distributed_transaction_id, which any role may call): shard mode ends
# with it, the same connection then reads whole tables again
read PS _ <<<"$(shard posting C000020)"; read IS _ <<<"$(shard invoice C000020)"; read ILS _ <<<"$(shard invoice_line C000020)"
sess_open C $GP; sess_wait C 10
sess_send C "SET citus.enable_manual_changes_to_shards = on; BEGIN; LOCK TABLE $PS IN SHARE MODE"; sess_wait C 10
w_sql=$(inv_sql INV-LEAK-$RID C000020 | sed "s|revrec.invoice_line|$ILS|; s|revrec.invoice |$IS |")
out=$(rpsql $GP postgres -At -v ON_ERROR_STOP=0 -c "BEGIN" -c "SELECT assign_distributed_transaction_id(0, 424242, now())" -c "$w_sql" \
        -c "SET LOCAL lock_timeout = '1s'" -c "SELECT count(*) FROM revrec._citus_post_group('$GS', NULL)" -c "ROLLBACK" \
        -c "SELECT 'count ' || count(*) FROM revrec.posting" 2>&1)
sess_send C "ROLLBACK"; sess_wait C 10; sess_close C
cc=$(val $COORD "SELECT count(*) FROM revrec.posting")
if grep -q 'lock timeout' <<<"$out" && grep -qx "count $cc" <<<"$out"; then
    ok "an error inside a shard group's posting (lock timeout): shard mode ends, the connection reads revrec.posting whole again ($cc rows)"
else
    not_ok "an error inside a shard group's posting: $(tr '\n' ' ' <<<"$out" | cut -c1-300) (coordinator: $cc postings)"
fi

# 3d. a credit note refused at commit on a worker, with invoices of nine other
# customers in the same transaction: the single node's SQLSTATE, message and
# hint; nothing of the transaction anywhere; the next commit in the same
# session (the same worker connections) posts as on the single node
E=INV-E-$RID
on_both "$(inv_sql $E C000011)"
ERR_SQL="BEGIN; $(for c in 12 13 14 15 16 17 18 19 20; do inv_sql $E-$c C0000$c; done) $(cn_sql CN-E-$RID C000011 $E $E-1 1500) COMMIT;"
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    rpsql $port postgres -v ON_ERROR_STOP=0 -c '\set SHOW_CONTEXT never' -c "$ERR_SQL" -c '\echo sqlstate :LAST_ERROR_SQLSTATE' \
        -c "BEGIN; $(inv_sql $E-N C000012) COMMIT;" >"$OUT/e3d.$side" 2>&1
    val $port "SELECT count(*) FILTER (WHERE source_id LIKE '$E-%' AND source_id <> '$E-N'), count(*) FILTER (WHERE source_id = '$E-N')
                 FROM revrec.posting WHERE source_id LIKE '$E-%' OR source_id = 'CN-E-$RID'" >>"$OUT/e3d.$side"
    val $port "SELECT count(*) FILTER (WHERE document_id <> '$E-N'), count(*) FILTER (WHERE document_id = '$E-N')
                 FROM revrec.activity WHERE document_id LIKE '$E-%' OR document_id = 'CN-E-$RID'" >>"$OUT/e3d.$side"
done
left=$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id LIKE '$E-1%' OR invoice_id LIKE '$E-2%'")
if cmp -s "$OUT/e3d.single" "$OUT/e3d.citus" && grep -q "^sqlstate RV" "$OUT/e3d.citus" && [ "$left" = 0 ]; then
    ok "a credit note refused at commit on a worker: $(grep -m1 ERROR "$OUT/e3d.citus" | cut -c1-90) ($(grep sqlstate "$OUT/e3d.citus")); nothing of the transaction kept; the next commit posts as on the single node"
else
    not_ok "a credit note refused at commit on a worker: single $(tr '\n' ' ' <"$OUT/e3d.single"); Citus $(tr '\n' ' ' <"$OUT/e3d.citus"); invoices of the transaction left: $left"
fi

# 3e. a grant drawn after it expired (RV021, with a DETAIL), refused at commit on a worker
G="INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date, expires_on)
   VALUES ('G-ATK-$RID', 'C000024', 'USD', 1000, '2026-01-01', '2026-02-01');"
on_both "$G"
GD="BEGIN; $(inv_sql INV-G-$RID C000024 issued 2026-03-01)
    INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end, product_id, kind, grant_id)
    VALUES ('INV-G-$RID-2', 'INV-G-$RID', 'C000024', -100, '2026-03-01', '2026-03-31', 'SUB-STARTER', 'credit_usage', 'G-ATK-$RID'); COMMIT;"
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    rpsql $port postgres -v ON_ERROR_STOP=0 -c '\set SHOW_CONTEXT never' -c "$GD" -c '\echo sqlstate :LAST_ERROR_SQLSTATE' >"$OUT/e3e.$side" 2>&1
    val $port "SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'INV-G-$RID'" >>"$OUT/e3e.$side"
done
if cmp -s "$OUT/e3e.single" "$OUT/e3e.citus" && grep -q DETAIL "$OUT/e3e.citus"; then
    ok "a grant drawn after it expired, refused at commit: SQLSTATE, message and DETAIL as on the single node ($(grep sqlstate "$OUT/e3e.citus"))"
else
    not_ok "a grant drawn after it expired: single $(tr '\n' ' ' <"$OUT/e3e.single"); Citus $(tr '\n' ' ' <"$OUT/e3e.citus")"
fi

# activity of documents, by document and action (ids and times left out)
act() { local ids; ids=$(printf "'%s'," "$@"); echo "SELECT document_id || ' ' || action || ' ' || entries || ' ' || amount, count(*) FROM revrec.activity
                                               WHERE document_id IN (${ids%,}) GROUP BY 1 ORDER BY 1"; }
issue() { echo "$(inv_sql $1 $2 draft) UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = '$2' AND invoice_id = '$1';"; }

# 3f. SET CONSTRAINTS ALL IMMEDIATE, invoices in several statements of one
# transaction (a flush each, a block of ids each): each posted and logged once
I=INV-IM-$RID
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    commit $port postgres "BEGIN; SET CONSTRAINTS ALL IMMEDIATE; $(issue $I-1 C000013) $(issue $I-2 C000014) $(issue $I-3 C000013)
                           COMMIT;" >"$OUT/e3f.$side"
    val $port "$(pstate $I-1 $I-2 $I-3)" >>"$OUT/e3f.$side"
    val $port "$(act $I-1 $I-2 $I-3)" >>"$OUT/e3f.$side"
done
cmp -s "$OUT/e3f.single" "$OUT/e3f.citus" && ok "immediate mode: three invoices in six statements of one transaction: postings and activity as on the single node ($(grep -c . "$OUT/e3f.citus") lines)" \
    || not_ok "immediate mode: postings or activity differ: single $(tr '\n' ' ' <"$OUT/e3f.single" | cut -c1-300); Citus $(tr '\n' ' ' <"$OUT/e3f.citus" | cut -c1-300)"

# 3g. two manual journals in one transaction (the coordinator posts them, ids
# of its own range): each logged once
MJ2="SELECT revrec.post_manual_journal(entry_date => '2026-03-31', narrative => 'twice $RID', currency => 'USD', customer_id => 'C000015',
        lines => '[{\"account\":\"recognized\",\"direction\":\"debit\",\"amount\":\"100.00\"},
                   {\"account\":\"deferred\",\"direction\":\"credit\",\"amount\":\"100.00\"}]') IS NOT NULL"
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    commit $port postgres "BEGIN; $MJ2; $(issue $I-4 C000015) $MJ2; COMMIT;" >"$OUT/e3g.$side"
    val $port "SELECT count(*), sum(a.amount) FROM revrec.activity a WHERE a.action = 'manual journal'
                  AND a.document_id IN (SELECT p.source_id FROM revrec.posting p WHERE p.source = 'standalone' AND p.narrative = 'twice $RID')" >>"$OUT/e3g.$side"
    val $port "$(act $I-4)" >>"$OUT/e3g.$side"
done
cmp -s "$OUT/e3g.single" "$OUT/e3g.citus" && ok "two manual journals and an invoice in one transaction: activity as on the single node ($(tr '\n' ' ' <"$OUT/e3g.citus"))" \
    || not_ok "two manual journals and an invoice in one transaction: activity differs: single $(tr '\n' ' ' <"$OUT/e3g.single"); Citus $(tr '\n' ' ' <"$OUT/e3g.citus")"

# 3h. savepoints rolled back around document writes (one customer's only
# write rolled back: its group has nothing left to post)
S=INV-SP-$RID
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    commit $port postgres "BEGIN; $(inv_sql $S-1 C000016) SAVEPOINT a; $(inv_sql $S-2 C000017) $(inv_sql $S-3 C000016) ROLLBACK TO SAVEPOINT a;
                           SAVEPOINT b; $(inv_sql $S-4 C000018) RELEASE SAVEPOINT b; SAVEPOINT c; $(inv_sql $S-5 C000019)
                           ROLLBACK TO SAVEPOINT c; COMMIT;" >"$OUT/e3h.$side"
    val $port "$(pstate $S-1 $S-2 $S-3 $S-4 $S-5)" >>"$OUT/e3h.$side"
    val $port "$(act $S-1 $S-2 $S-3 $S-4 $S-5)" >>"$OUT/e3h.$side"
done
nq=$(val $COORD "SELECT count(*) FROM revrec.citus_queue")
cmp -s "$OUT/e3h.single" "$OUT/e3h.citus" && [ "$nq" = 0 ] && ok "savepoints rolled back around documents: postings and activity as on the single node, nothing left queued" \
    || not_ok "savepoints rolled back around documents: single $(tr '\n' ' ' <"$OUT/e3h.single" | cut -c1-300); Citus $(tr '\n' ' ' <"$OUT/e3h.citus" | cut -c1-300); $nq keys queued"

# 3i. 400 new customers with an invoice each, in one commit: every shard group
# posts; postings and activity as on the single node
M=M$RID
MANY="BEGIN; INSERT INTO revrec.customer (customer_id, name) SELECT '$M-' || i, 'many' FROM generate_series(1, 400) i;
      INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
      SELECT 'INV-$M-' || i, 'INV-$M-' || i, '$M-' || i, 'USD', '2026-03-01', 'issued' FROM generate_series(1, 400) i;
      INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end, product_id)
      SELECT 'INV-$M-' || i || '-1', 'INV-$M-' || i, '$M-' || i, 100.00 + i, '2026-03-01', '2027-02-28', 'SUB-STARTER' FROM generate_series(1, 400) i;
      COMMIT;"
MS="SELECT count(*), sum(cardinality(entries)) FROM revrec.posting WHERE customer_id LIKE '$M-%'
    UNION ALL SELECT count(*), sum(amount) FROM revrec.activity WHERE customer_id LIKE '$M-%'"
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    commit $port postgres "$MANY" >"$OUT/e3i.$side"; val $port "$MS" >>"$OUT/e3i.$side"
done
ng=$(val $COORD "SELECT count(DISTINCT get_shard_id_for_distribution_column('revrec.posting', customer_id)) FROM revrec.posting WHERE customer_id LIKE '$M-%'")
nsh=$(val $COORD "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'revrec.posting'::regclass")
cmp -s "$OUT/e3i.single" "$OUT/e3i.citus" && [ "$ng" = "$nsh" ] && ok "400 customers in one commit: all $ng shard groups posted, postings and activity as on the single node" \
    || not_ok "400 customers in one commit: $ng of $nsh shard groups posted; single $(tr '\n' ' ' <"$OUT/e3i.single"); Citus $(tr '\n' ' ' <"$OUT/e3i.citus")"

# 3j. two sessions commit invoices of the same customer at once
for side in single citus; do
    scenario s9 $side C000027 "SELECT * FROM ($(pstate INV-S9A-$RID INV-S9B-$RID)) p UNION ALL SELECT * FROM ($(act INV-S9A-$RID INV-S9B-$RID)) a" \
        "A|w|BEGIN; $(inv_sql INV-S9A-$RID C000027)" "B|w|BEGIN; $(inv_sql INV-S9B-$RID C000027)" "A|n|COMMIT" "B|w|COMMIT"
done
compare_scenario s9 "two invoices of one customer committed at once: both post, each logged once"

# 3k. posting ids: unique across the cluster (each worker's own range)
d=$(val $COORD "SELECT count(*) - count(DISTINCT posting_id) FROM revrec.posting")
[ "$d" = 0 ] && ok "posting ids unique across the cluster ($(val $COORD "SELECT count(*) FROM revrec.posting") postings)" \
    || not_ok "$d posting ids used twice across the cluster"

# 3l. the sequence set back: verify() reports it, as on the single node
for side in single citus; do
    port=$COORD; [ $side = single ] && port=$SINGLE
    v0=$(val $port "SELECT last_value FROM revrec.posting_posting_id_seq")
    val $port "SELECT setval('revrec.posting_posting_id_seq', 2)" >/dev/null
    val $port "SELECT \"check\" FROM revrec.verify() WHERE \"check\" = 'sequence behind'" >"$OUT/e3l.$side"
    val $port "SELECT setval('revrec.posting_posting_id_seq', $v0)" >/dev/null
    val $port "SELECT count(*) FROM revrec.verify() WHERE \"check\" = 'sequence behind'" >>"$OUT/e3l.$side"
done
cmp -s "$OUT/e3l.single" "$OUT/e3l.citus" && grep -q 'sequence behind' "$OUT/e3l.citus" \
    && ok "the posting sequence set back: verify() reports 'sequence behind' as on the single node, and nothing once set again" \
    || not_ok "the posting sequence set back: verify() single $(tr '\n' ' ' <"$OUT/e3l.single"); Citus $(tr '\n' ' ' <"$OUT/e3l.citus")"

# 3m. a shard group without its row in revrec.citus_group (shards split, or
# the row deleted): its customers' documents must not commit unposted
GR=$(val $COORD "SELECT g.customer_id FROM revrec.citus_group g
                  WHERE get_shard_id_for_distribution_column('revrec.citus_group', g.customer_id)
                      = get_shard_id_for_distribution_column('revrec.citus_group', 'C000018')")
val $COORD "DELETE FROM revrec.citus_group WHERE customer_id = '$GR'" >/dev/null
res=$(commit $COORD postgres "BEGIN; $(inv_sql INV-NG-$RID C000018) COMMIT;")
n=$(posted $COORD INV-NG-$RID)
val $COORD "INSERT INTO revrec.citus_group (customer_id) VALUES ('$GR')" >/dev/null
if refused "$res" || [ "$n" = 1 ]; then ok "a shard group without its row in revrec.citus_group: its document is refused or posted ($res)"
else not_ok "a shard group without its row in revrec.citus_group: invoice INV-NG-$RID (C000018) committed without a posting, left in revrec.citus_queue"; fi
nudge 3m

# 3n. a shard of another shard group locked ACCESS EXCLUSIVE on a worker (a
# VACUUM FULL, an ALTER, the end of a shard move): a commit that posts
# nothing in that group does not wait for it (the holder lets go after 8 s;
# the coordinator's statement_timeout does not cut a commit waiting there)
read MS MP <<<"$(shard milestone C000020)"
for cust in C000021 C000022 C000023 C000024 C000025; do
    [ "$(shard milestone $cust)" != "$MS $MP" ] && break
done
sess_open C $MP; sess_wait C 10
sess_send C "SET citus.enable_manual_changes_to_shards = on; BEGIN; LOCK TABLE $MS IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); ROLLBACK"
sleep 1
t0=$(date +%s%N)
res=$(commit $COORD postgres "BEGIN; $(inv_sql INV-AX-$RID $cust) COMMIT;")
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
sess_wait C 20; sess_close C
[ "$res" = OK ] && [ "$(posted $COORD INV-AX-$RID)" = 1 ] && [ $waited -lt 5000 ] \
    && ok "a shard of another group locked on worker $MP ($MS): an invoice of $cust commits and posts without waiting (${waited} ms)" \
    || not_ok "a shard of another group locked on worker $MP ($MS): the invoice of $cust waited ${waited} ms for it ($res)"

# 3x. a role that can create operators (a database owner owns public) puts an
#     exact-type operator on the search_path of a superuser writing documents:
#     revrec's work after each statement does not use it (it runs with
#     search_path pinned to pg_catalog, pg_temp)
r=$(val $COORD "DROP SCHEMA IF EXISTS trap CASCADE; CREATE SCHEMA trap AUTHORIZATION att_plain;
                CREATE TABLE trap.calls (who text); GRANT INSERT ON trap.calls TO PUBLIC; ALTER TABLE trap.calls OWNER TO att_plain" 2>&1)
r=$(rpsql $COORD att_plain -c "CREATE FUNCTION trap.eq(regclass, regclass) RETURNS boolean LANGUAGE plpgsql AS \$f\$
                                BEGIN INSERT INTO trap.calls VALUES (current_user); RETURN \$1::oid OPERATOR(pg_catalog.=) \$2::oid; END \$f\$;
                               CREATE OPERATOR trap.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = trap.eq)" 2>&1)
c=$(cpsql $COORD -d revrec -At -c "SET search_path = trap, public" -c "BEGIN; $(inv_sql INV-TRAP-$RID C000023) COMMIT;" 2>&1 | grep -m1 ERROR)
n=$(val $COORD "SELECT count(*) || ' ' || coalesce(string_agg(DISTINCT who, ','), '-') FROM trap.calls")
[ -z "$c" ] && [ "$n" = "0 -" ] && [ "$(posted $COORD INV-TRAP-$RID)" = 1 ] \
    && ok "an operator trap.= (regclass, regclass) on a superuser's search_path: never called by revrec, the invoice posts" \
    || not_ok "an operator on a superuser's search_path: called $n ($c) ($r)"
val $COORD "DROP SCHEMA trap CASCADE" >/dev/null 2>&1

# ---------------------------------------------------------------------------
echo "# 4. backup and restore of the distributed revrec (docs/CITUS.md, \"Backup and restore\")"
DUMP=$OUT/coord.dump
as_pg "$PGBIN/pg_dump" -h 127.0.0.1 -p $COORD -d revrec -Fc -f "$DUMP" 2>"$OUT/dump.err" \
    && ok "pg_dump -Fc of the coordinator" || not_ok "pg_dump of the coordinator: $(head -c 300 "$OUT/dump.err")"
# the ledger, ids and all, and the documents: what every restore must give back
LEDGER="SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', posting_id, customer_id, source, source_id, entry_date, account, direction, amount), ','
                                          ORDER BY posting_id, account, direction, amount, entry_date))
          FROM revrec.journal_entry"
DOCS="SELECT (SELECT count(*) FROM revrec.invoice) || ' ' || (SELECT count(*) FROM revrec.invoice_line) || ' ' || (SELECT count(*) FROM revrec.usage)
             || ' ' || (SELECT count(*) FROM revrec.credit_note_line) || ' ' || (SELECT count(*) FROM revrec.activity)"
led0=$(val $COORD "$LEDGER"); docs0=$(val $COORD "$DOCS")
rdb() { cpsql "$1" -d "$2" -At -c "$3" 2>&1; }
# (Citus's own extension is not restored where Citus is not preloaded: left out of the list)
as_pg "$PGBIN/pg_restore" -l "$DUMP" | grep -v ' EXTENSION .* citus\b\| COMMENT .* EXTENSION citus\b' > "$OUT/restore.list"

# a. into a single node without Citus: a single node, the same ledger
cpsql $SINGLE -d postgres -c "DROP DATABASE IF EXISTS restored" -c "CREATE DATABASE restored" >/dev/null
as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p $SINGLE -d restored -L "$OUT/restore.list" "$DUMP" >"$OUT/restore_single.out" 2>&1
rc=$?
led=$(rdb $SINGLE restored "$LEDGER"); docs=$(rdb $SINGLE restored "$DOCS")
[ $rc = 0 ] && [ "$led" = "$led0" ] && [ "$docs" = "$docs0" ] \
    && ok "restored into a single node (pg_restore -L, without Citus's extension): the same ledger, ids and all, and documents ($docs)" \
    || not_ok "restored into a single node: exit $rc $(grep -m2 ERROR "$OUT/restore_single.out" | tr '\n' ' '); ledger ${led:0:60} (was ${led0:0:60}); documents $docs (were $docs0)"
r=$(rdb $SINGLE restored "SELECT revrec._citus_active()::text || ' ' || (SELECT count(*) FROM revrec.verify())")
[ "$r" = "false 0" ] && ok "the single node restored is not distributed, and verify() finds nothing" \
    || not_ok "the single node restored (distributed?, verify() rows): $r $(rdb $SINGLE restored "SELECT string_agg(\"check\" || ' ' || detail, '; ') FROM revrec.verify()" | cut -c1-200)"
r=$(rdb $SINGLE restored "BEGIN; $(inv_sql "INV-RST-$RID" C000001) COMMIT;
                          SELECT count(*) || ' ' || (SELECT count(*) FROM revrec.verify()) FROM revrec.posting WHERE source_id = 'INV-RST-$RID'" | tail -1)
[ "$r" = "1 0" ] && ok "a new invoice posts on the restored single node; verify() still finds nothing" \
    || not_ok "a new invoice on the restored single node (postings, verify() rows): $r $(rdb $SINGLE restored "SELECT string_agg(\"check\" || ' ' || document || ' ' || detail, '; ') FROM revrec.verify()" | cut -c1-300)"

# b. into a new database of a Citus cluster (the same nodes), then distribute(): the same ledger, posting on
for p in $W1 $W2; do
    cpsql $p -d postgres -c "DROP DATABASE IF EXISTS revrec_restored" -c "CREATE DATABASE revrec_restored" >/dev/null
    cpsql $p -d revrec_restored -c "CREATE EXTENSION citus" >/dev/null
done
cpsql $COORD -d postgres -c "DROP DATABASE IF EXISTS revrec_restored" -c "CREATE DATABASE revrec_restored" >/dev/null
cpsql $COORD -d revrec_restored -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)" \
      -c "SELECT citus_add_node('127.0.0.1', $W1)" -c "SELECT citus_add_node('127.0.0.1', $W2)" >/dev/null
as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p $COORD -d revrec_restored "$DUMP" >"$OUT/restore_citus.out" 2>&1
rc=$?
[ $rc = 0 ] && ok "restored into a new database of a Citus cluster (plain pg_restore)" \
    || not_ok "restored into a Citus database: exit $rc $(grep -m2 ERROR "$OUT/restore_citus.out" | tr '\n' ' ')"
r=$(cpsql $COORD -d revrec_restored -c "ALTER DATABASE revrec_restored SET citus.multi_shard_modify_mode = 'sequential'" -c "SELECT revrec.distribute()" 2>&1)
led=$(rdb $COORD revrec_restored "$LEDGER"); docs=$(rdb $COORD revrec_restored "$DOCS")
{ ! grep -q ERROR <<<"$r" && [ "$led" = "$led0" ] && [ "$docs" = "$docs0" ]; } \
    && ok "distribute() on the restored revrec: the same ledger, ids and all, and documents" \
    || not_ok "distribute() on the restored revrec: $(grep -m1 ERROR <<<"$r"); ledger ${led:0:60} (was ${led0:0:60}); documents $docs (were $docs0)"
r=$(rdb $COORD revrec_restored "SELECT revrec._citus_active() || ' ' || (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'revrec.%') || ' '
                                 || (SELECT count(*) FROM revrec.verify()) || ' ' || (SELECT count(*) FROM revrec.citus_queue) || ' '
                                 || (SELECT count(*) FROM revrec.doc_key)")
want="true $(val $COORD "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'revrec.%'") 0 0 $(val $COORD "SELECT count(*) FROM revrec.doc_key")"
[ "$r" = "$want" ] \
    && ok "the restored revrec distributed as the original ($r: distributed, Citus tables, verify() rows, queued, keys)" \
    || not_ok "the restored revrec distributed (distributed, Citus tables, verify() rows, queued, keys): $r, want $want $(rdb $COORD revrec_restored "SELECT string_agg(\"check\" || ' ' || detail, '; ') FROM revrec.verify()" | cut -c1-200)"
r=$(cpsql $COORD -d revrec_restored -At -c "BEGIN; $(inv_sql "INV-RST-$RID" C000002) COMMIT;" \
        -c "SELECT (SELECT count(*) FROM revrec.posting WHERE source_id = 'INV-RST-$RID') || ' '
                   || (SELECT count(*) FROM revrec.posting) - (SELECT count(DISTINCT posting_id) FROM revrec.posting) || ' '
                   || (SELECT count(*) FROM revrec.verify())" 2>&1 | tail -1)
[ "$r" = "1 0 0" ] && ok "a new invoice posts on the restored, distributed revrec, with an id no posting has; verify() finds nothing" \
    || not_ok "a new invoice on the restored, distributed revrec (postings, ids used twice, verify() rows): $r"

# c. a dump's data restored into the distributed revrec itself: refused, nothing written
before=$(val $COORD "SELECT (SELECT count(*) FROM revrec.posting) || ' ' || (SELECT count(*) FROM revrec.citus_queue)")
as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p $COORD -d revrec --data-only -t invoice -t usage -t ledger_account "$DUMP" >"$OUT/restore_data.out" 2>&1
after=$(val $COORD "SELECT (SELECT count(*) FROM revrec.posting) || ' ' || (SELECT count(*) FROM revrec.citus_queue)")
n=$(grep -c 'cannot be restored into a distributed revrec' "$OUT/restore_data.out")
[ "$n" = 3 ] && [ "$before" = "$after" ] \
    && ok "pg_restore --data-only into the distributed revrec: each table refused (RV040), nothing written or queued" \
    || not_ok "pg_restore --data-only into the distributed revrec: $n refusals of 3, postings and queue $before -> $after: $(grep -m2 ERROR "$OUT/restore_data.out" | tr '\n' ' ' | cut -c1-300)"
# (an INSERT too, as pg_dump --inserts writes: Citus's plan names no result relation)
before=$(val $COORD "SELECT (SELECT count(*) FROM revrec.customer) || ' ' || (SELECT count(*) FROM revrec.posting)")
c=$(cpsql $COORD -d revrec -At -c "SET row_security = off" -c "SET check_function_bodies = off" -c "SET client_min_messages = warning" \
        -c "INSERT INTO revrec.customer (customer_id, name) VALUES ('R-C-$RID', 'restored')" 2>&1 | grep -m1 ERROR)
p=$(cpsql $COORD -d revrec -At -c "SET row_security = off" -c "SET check_function_bodies = off" -c "SET client_min_messages = warning" \
        -c "INSERT INTO revrec.posting OVERRIDING SYSTEM VALUE SELECT (jsonb_populate_record(p, jsonb_build_object('posting_id', 999999999, 'source_id', 'R-$RID'))).*
              FROM revrec.posting p WHERE customer_id = 'C000001' LIMIT 1" 2>&1 | grep -m1 ERROR)
after=$(val $COORD "SELECT (SELECT count(*) FROM revrec.customer) || ' ' || (SELECT count(*) FROM revrec.posting)")
grep -q 'cannot be restored into a distributed revrec (revrec.customer)' <<<"$c" && grep -q 'cannot be restored into a distributed revrec' <<<"$p" && [ "$before" = "$after" ] \
    && ok "a restore's INSERT into the distributed revrec (a customer, a posting): refused (RV040), nothing written" \
    || not_ok "a restore's INSERT into the distributed revrec: '$c' '$p'; customers, postings $before -> $after"
cpsql $COORD -d postgres -c "DROP DATABASE IF EXISTS revrec_restored WITH (FORCE)" >/dev/null 2>&1
for p in $W1 $W2; do cpsql $p -d postgres -c "DROP DATABASE IF EXISTS revrec_restored WITH (FORCE)" >/dev/null 2>&1; done

# d. distribute() failing half-way (a restored revrec whose credit note names another customer's
#    invoice: Citus's foreign key refuses), fixed, run again: it completes
for p in $W1 $W2; do
    cpsql $p -d postgres -c "DROP DATABASE IF EXISTS revrec_half" -c "CREATE DATABASE revrec_half" >/dev/null
    cpsql $p -d revrec_half -c "CREATE EXTENSION citus" >/dev/null
done
cpsql $COORD -d postgres -c "DROP DATABASE IF EXISTS revrec_half" -c "CREATE DATABASE revrec_half" >/dev/null
cpsql $COORD -d revrec_half -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)" \
      -c "SELECT citus_add_node('127.0.0.1', $W1)" -c "SELECT citus_add_node('127.0.0.1', $W2)" -c "CREATE EXTENSION revrec" \
      -c "ALTER DATABASE revrec_half SET citus.multi_shard_modify_mode = 'sequential'" >/dev/null
cpsql $COORD -d revrec_half -c "INSERT INTO revrec.customer VALUES ('C1', 'a'), ('C2', 'b')" \
      -c "INSERT INTO revrec.product VALUES ('SUB-STARTER', 'Starter', 'straight_line')" \
      -c "BEGIN; $(inv_sql I1 C1) COMMIT;" \
      -c "BEGIN; SET LOCAL session_replication_role = replica;
          INSERT INTO revrec.credit_note VALUES ('CN2', 'CN-2', 'C2', 'I1', 'USD', '2026-06-01'); COMMIT;" >/dev/null
r1=$(cpsql $COORD -d revrec_half -c "SELECT revrec.distribute()" 2>&1 | grep -m1 ERROR)
cpsql $COORD -d revrec_half -c "BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM revrec.credit_note WHERE credit_note_id = 'CN2'; COMMIT;" >/dev/null
r2=$(cpsql $COORD -d revrec_half -c "SELECT revrec.distribute()" 2>&1 | grep -m1 ERROR)
r=$(rdb $COORD revrec_half "SELECT revrec._citus_active() || ' ' || (SELECT count(*) FROM revrec.verify()) || ' ' || (SELECT count(*) FROM revrec.posting)")
r3=$(cpsql $COORD -d revrec_half -At -c "BEGIN; $(inv_sql I2 C2) COMMIT;" -c "SELECT count(*) FROM revrec.posting WHERE source_id = 'I2'" 2>&1 | tail -1)
{ grep -q 'foreign key' <<<"$r1" && [ -z "$r2" ] && [ "$r" = "true 0 1" ] && [ "$r3" = 1 ]; } \
    && ok "distribute() failing half-way (${r1:0:70}...), the data fixed, run again: distributed, verify() empty, posting on" \
    || not_ok "distribute() run again after failing half-way: first '$r1', then '$r2'; distributed, verify() rows, postings: $r; new invoice postings: $r3"
for p in $COORD $W1 $W2; do cpsql $p -d postgres -c "DROP DATABASE IF EXISTS revrec_half WITH (FORCE)" >/dev/null 2>&1; done

# e. pg_dump of a worker by mistake (Citus's metadata lets it read the whole
#    distributed tables there, but not the coordinator's activity log and
#    sequences: restored, that revrec would not post): refused, plain and
#    --inserts; the coordinator's dump and a worker's shards unaffected
for how in "-Fc" "-Fp --inserts" "-Fc --enable-row-security"; do
    out=$(as_pg "$PGBIN/pg_dump" -h 127.0.0.1 -p $W1 -d revrec $how -f "$OUT/worker.dump" 2>&1); rc=$?
    if [ $rc != 0 ] && grep -q 'dumped from the Citus coordinator' <<<"$out"; then
        ok "pg_dump $how of a worker: refused ($(grep -m1 -o 'ERROR: .*' <<<"$out" | cut -c1-110))"
    else
        not_ok "pg_dump $how of a worker: exit $rc, $(grep -m1 -E 'ERROR|error' <<<"$out" | cut -c1-160)"
    fi
done
w=$(cpsql $W1 -d revrec -At -c "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" -c "SET LOCAL synchronize_seqscans = off" \
        -c "SELECT count(*) FROM revrec.invoice" -c "COPY (SELECT count(*) FROM revrec.posting) TO STDOUT" -c "COMMIT" 2>&1 | tr '\n' ' ')
r=$(cpsql $W1 -d revrec -At -c "SELECT count(*) FROM revrec.invoice" 2>&1)
grep -q 'ERROR' <<<"$w" && grep -Eq '^[0-9]+$' <<<"$r" \
    && ok "a worker's session with pg_dump's settings cannot read revrec's tables; without them it reads ($r invoices)" \
    || not_ok "reads on a worker: with pg_dump's settings '$w', without '$r'"
as_pg "$PGBIN/pg_dump" -h 127.0.0.1 -p $COORD -d revrec -Fc -f "$OUT/coord2.dump" 2>"$OUT/dump2.err" \
    && ok "pg_dump of the coordinator still works" || not_ok "pg_dump of the coordinator: $(head -c 300 "$OUT/dump2.err")"

# f. pg_restore -j of the coordinator's dump (directory format), into a new
#    database without Citus: refused table by table (RV040, as on a single
#    node), the hint naming a new database (the dump's restore has made
#    distribute()'s own tables there, a second restore into it fails on them)
as_pg "$PGBIN/pg_dump" -h 127.0.0.1 -p $COORD -d revrec -Fd -j 2 -f "$OUT/coord.dir" 2>"$OUT/dumpd.err"
as_pg "$PGBIN/pg_restore" -l "$OUT/coord.dir" | grep -v ' EXTENSION .* citus\b\| COMMENT .* EXTENSION citus\b' > "$OUT/restore_d.list"
cpsql $SINGLE -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS restored_j" -c "CREATE DATABASE restored_j" >/dev/null
as_pg "$PGBIN/pg_restore" -h 127.0.0.1 -p $SINGLE -d restored_j -j 2 -L "$OUT/restore_d.list" "$OUT/coord.dir" >"$OUT/restore_j.out" 2>&1
rc=$?
n=$(cpsql $SINGLE -d restored_j -At -c "SELECT (SELECT count(*) FROM revrec.invoice) + (SELECT count(*) FROM revrec.posting) + (SELECT count(*) FROM revrec.activity)" 2>&1)
if [ $rc != 0 ] && grep -q 'pg_restore -j cannot restore revrec' "$OUT/restore_j.out" && grep -q 'HINT:  Restore without -j, into a new database' "$OUT/restore_j.out" && [ "$n" = 0 ]; then
    ok "pg_restore -j of the coordinator's dump: refused (RV040), nothing written to revrec's tables, the hint names a new database"
else
    not_ok "pg_restore -j of the coordinator's dump: exit $rc, $n rows in revrec's tables, $(grep -m1 HINT "$OUT/restore_j.out" | cut -c1-150)"
fi
cpsql $SINGLE -d postgres -c "DROP DATABASE IF EXISTS restored_j WITH (FORCE)" >/dev/null 2>&1

# ---------------------------------------------------------------------------
echo "# 5. nodes added, shards split and moved, the coordinator holding shards (docs/CITUS.md)"
W3=$((CITUS_PORT_BASE + 4))
# the journal without posting ids, of the documents there now: unchanged by moving them
FP="SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', customer_id, source, source_id, entry_date, account, direction, amount), ','
                                      ORDER BY customer_id, source, source_id, entry_date, account, direction, amount))
      FROM revrec.journal_entry WHERE source_id NOT LIKE 'INV-TOPO-%'"
fp0=$(val $COORD "$FP")
# new_cust SHARD: a new customer id hashed into the group of SHARD (a shard of revrec.citus_group)
new_cust() {
    val $COORD "SELECT k FROM (SELECT 'TOPO-$RID-' || i AS k FROM generate_series(1, 20000) i) x
                 WHERE get_shard_id_for_distribution_column('revrec.citus_group', k) = $1 ORDER BY length(k), k LIMIT 1"
}
# old_cust GROUPID: a customer of the company whose shard group is on the node of GROUPID
old_cust() {
    val $COORD "SELECT c.customer_id FROM revrec.customer c
                  JOIN pg_dist_placement pl ON pl.shardid = get_shard_id_for_distribution_column('revrec.customer', c.customer_id)
                 WHERE pl.groupid = $1 AND c.customer_id LIKE 'C0%' ORDER BY 1 LIMIT 1"
}
cust_inv() {  # cust_inv CUSTOMER INVOICE: a new customer (ON CONFLICT nothing) and its invoice, committed
    commit $COORD att_writer "BEGIN; INSERT INTO revrec.customer VALUES ('$1', 'topology') ON CONFLICT DO NOTHING; $(inv_sql "$2" "$1") COMMIT;"
}
gid() { val $COORD "SELECT groupid FROM pg_dist_node WHERE nodeport = $1"; }

# a. a shard split in two on its worker: the half without its citus_group row refuses, naming distribute()
S=$(val $COORD "SELECT min(s.shardid) FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
                 WHERE s.logicalrelid = 'revrec.citus_group'::regclass AND pl.groupid = $(gid $W1)")
NID1=$(val $COORD "SELECT nodeid FROM pg_dist_node WHERE nodeport = $W1")
r=$(val $COORD "SELECT citus_split_shard_by_split_points($S,
                   ARRAY[((shardminvalue::bigint + shardmaxvalue::bigint) / 2)::text], ARRAY[$NID1, $NID1], 'block_writes')
                  FROM pg_dist_shard WHERE shardid = $S")
HALF=$(val $COORD "SELECT s.shardid FROM pg_dist_shard s WHERE s.logicalrelid = 'revrec.citus_group'::regclass
                     AND s.shardid NOT IN (SELECT get_shard_id_for_distribution_column('revrec.citus_group', g.customer_id) FROM revrec.citus_group g)")
if [ -n "$HALF" ] && [ "$(wc -l <<<"$HALF")" = 1 ]; then
    ok "a shard split in two (citus_split_shard_by_split_points): one half has no row in revrec.citus_group ($HALF)"
else
    not_ok "a shard split: the halves without their citus_group row: '$HALF' ($r)"
fi
CS=$(new_cust "$HALF")
res=$(cust_inv "$CS" "INV-TOPO-$RID-S")
n=$(val $COORD "SELECT count(*) FROM revrec.customer WHERE customer_id = '$CS'")
{ grep -q 'has no row in revrec.citus_group' <<<"$res" && [ "$n" = 0 ]; } \
    && ok "an invoice in the split-off half is refused until distribute() runs again, nothing written: ${res:0:110}" \
    || not_ok "an invoice in the split-off half ($CS): $res (customer rows $n)"
hint=$(cpsql $COORD -d revrec -c "BEGIN; INSERT INTO revrec.customer VALUES ('$CS', 'topology'); $(inv_sql "INV-TOPO-$RID-S" "$CS") COMMIT;" 2>&1 | grep HINT)
grep -q 'SELECT revrec.distribute() again' <<<"$hint" && ok "its hint names distribute()" || not_ok "the split-off half's hint: $hint"

# b. a node added and the shards rebalanced onto it: its groups refuse to post
#    (the new node has no range of posting ids) until distribute() runs again
set -e
citus_start "worker-$W3" $W3 citus,revrec
cpsql $W3 -d postgres -c "CREATE DATABASE revrec"
cpsql $W3 -d revrec -c "CREATE EXTENSION citus"
set +e
r=$(val $COORD "SELECT citus_add_node('127.0.0.1', $W3)")
r=$(val $COORD "SELECT replicate_reference_tables('block_writes')")
r=$(val $COORD "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes')")
G3=$(gid $W3)
n=$(val $COORD "SELECT count(*) FROM pg_dist_placement pl JOIN pg_dist_shard s USING (shardid)
                 WHERE s.logicalrelid = 'revrec.citus_group'::regclass AND pl.groupid = $G3")
[ "${n:-0}" -gt 0 ] && ok "worker $W3 added, shards rebalanced: $n shard groups moved there" || not_ok "rebalance onto worker $W3: $n groups there ($r)"
C3=$(old_cust "$G3")
before=$(val $COORD "SELECT count(*) FROM revrec.posting")
res=$(cust_inv "$C3" "INV-TOPO-$RID-N")
after=$(val $COORD "SELECT count(*) FROM revrec.posting")
n=$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'INV-TOPO-$RID-N'")
{ grep -q 'no range of posting ids of its own' <<<"$res" && [ "$n" = 0 ] && [ "$before" = "$after" ]; } \
    && ok "an invoice of $C3, now on the added worker, is refused until distribute() runs again, nothing written: ${res:0:100}" \
    || not_ok "an invoice of $C3 on the added worker: $res (invoice rows $n, postings $before -> $after)"
fp1=$(val $COORD "$FP")
[ "$fp1" = "$fp0" ] && ok "the journal is the same after the split and the rebalance ($fp1)" || not_ok "the journal after the split and the rebalance: $fp1, was $fp0"

# c. the coordinator holding shards: a group moved there posts at once, from the coordinator's range
r=$(val $COORD "SELECT citus_set_node_property('127.0.0.1', $COORD, 'shouldhaveshards', true)")
S0=$(val $COORD "SELECT min(s.shardid) FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
                  WHERE s.logicalrelid = 'revrec.citus_group'::regclass AND pl.groupid = $(gid $W2)")
r=$(val $COORD "SELECT citus_move_shard_placement($S0, '127.0.0.1', $W2, '127.0.0.1', $COORD, shard_transfer_mode => 'block_writes')")
C0=$(old_cust 0)
res=$(cust_inv "$C0" "INV-TOPO-$RID-C")
n=$(val $COORD "SELECT count(*) || ' ' || coalesce(max(posting_id) >> 48, -1) FROM revrec.posting WHERE source_id = 'INV-TOPO-$RID-C'")
[ "$res" = OK ] && [ "$n" = "1 0" ] \
    && ok "a group moved to the coordinator ($C0): its invoice posts there, with an id of the coordinator's range" \
    || not_ok "a group moved to the coordinator ($C0): $res (postings, range: $n) ($r)"

# (with the coordinator holding shards, Citus may run the commit's call for its
# groups through a connection to itself, where it is parsed again: a document
# written outside a transaction block, or two in one implicit transaction)
CW=$(old_cust "$(gid $W2)")
r1=$(commit $COORD att_writer "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
                               VALUES ('INV-TOPO-$RID-D', 'INV-TOPO-$RID-D', '$CW', 'USD', '2026-03-01', 'draft')")
r2=$(commit $COORD att_writer "$(inv_sql "INV-TOPO-$RID-I" "$CW")")
r3=$(commit $COORD att_writer "SELECT count(*) FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, '{}') x")
n=$(posted $COORD "INV-TOPO-$RID-I")
[ "$r1" = OK ] && [ "$r2" = OK ] && [ "$n" = 1 ] && grep -q 'called by the commit only' <<<"$r3" \
    && ok "the coordinator holding shards: a draft written outside a transaction block, an invoice in one implicit transaction post as on a single node; a direct call still refused" \
    || not_ok "the coordinator holding shards, documents outside a transaction block: draft '$r1', invoice '$r2' ($n postings), direct call '$r3'"

# d. distribute() again: the new groups' rows, the new node's range and triggers; then everything posts
r=$(cpsql $COORD -d revrec -c "SELECT revrec.distribute()" 2>&1)
grep -q 'completed for the nodes and shard groups added' <<<"$r" && ok "distribute() again: $(grep -m1 NOTICE <<<"$r" | cut -c1-90)" || not_ok "distribute() again: $r"
n=$(val $COORD "SELECT (SELECT count(*) FROM revrec.citus_group) = (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'revrec.citus_group'::regclass)")
[ "$n" = t ] && ok "revrec.citus_group has one row per shard group again" || not_ok "citus_group rows against shard groups: $n"
for x in "S:$CS" "N:$C3"; do
    res=$(cust_inv "${x#*:}" "INV-TOPO-$RID-${x%%:*}")
    n=$(val $COORD "SELECT count(*) || ' ' || string_agg(DISTINCT (posting_id >> 48)::text, ',') FROM revrec.posting WHERE source_id = 'INV-TOPO-$RID-${x%%:*}'")
    want=$(val $COORD "SELECT pl.groupid FROM pg_dist_placement pl
                        WHERE pl.shardid = get_shard_id_for_distribution_column('revrec.posting', '${x#*:}')")
    [ "$res" = OK ] && [ "$n" = "1 $want" ] \
        && ok "after distribute(): the invoice of ${x#*:} posts, with an id from the range of its node (group $want)" \
        || not_ok "after distribute(): the invoice of ${x#*:}: $res (postings, ranges: $n; its node's group $want)"
done
st1=$(val $W1 "SELECT count(*) || ' ' || string_agg(relname || '.' || tgname || ':' || state::text, ' ' ORDER BY relname, tgname) FROM revrec._trigger_state")
st3=$(val $W3 "SELECT count(*) || ' ' || string_agg(relname || '.' || tgname || ':' || state::text, ' ' ORDER BY relname, tgname) FROM revrec._trigger_state")
tg="SELECT string_agg(tgname || ':' || tgenabled, ' ' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'revrec.invoice'::regclass AND NOT tgisinternal"
[ "$st1" = "$st3" ] && [ "${st1#ERROR}" = "$st1" ] && [ "$(val $W1 "$tg")" = "$(val $W3 "$tg")" ] \
    && ok "the added worker's triggers and their meant states are the other workers' (${st3%% *} states)" \
    || not_ok "the added worker's trigger states differ: W1 ${st1:0:80} / W3 ${st3:0:80}; $(val $W3 "$tg" | cut -c1-100)"
n=$(val $COORD "SELECT count(*) FROM revrec.verify()")
[ "$n" = 0 ] && ok "verify() finds nothing after the split, the rebalance and the coordinator's shard" \
    || not_ok "verify() after the topology changes: $(val $COORD "SELECT string_agg(\"check\" || ' ' || document || ' ' || detail, '; ') FROM revrec.verify()" | cut -c1-300)"
fp2=$(val $COORD "$FP")
[ "$fp2" = "$fp0" ] && ok "the journal of the documents before is unchanged" || not_ok "the journal of the documents before: $fp2, was $fp0"

# e. the added worker drained and removed: its groups post from their new node's range
r=$(val $COORD "SELECT citus_drain_node('127.0.0.1', $W3, shard_transfer_mode => 'block_writes')")
r2=$(val $COORD "SELECT citus_remove_node('127.0.0.1', $W3)")
n=$(val $COORD "SELECT count(*) FROM pg_dist_node WHERE nodeport = $W3")
res=$(cust_inv "$C3" "INV-TOPO-$RID-R")
g=$(val $COORD "SELECT count(*) || ' ' || string_agg(DISTINCT (posting_id >> 48)::text, ',') FROM revrec.posting WHERE source_id = 'INV-TOPO-$RID-R'")
want=$(val $COORD "SELECT pl.groupid FROM pg_dist_placement pl WHERE pl.shardid = get_shard_id_for_distribution_column('revrec.posting', '$C3')")
v=$(val $COORD "SELECT count(*) FROM revrec.verify()")
[ "$n" = 0 ] && [ "$res" = OK ] && [ "$g" = "1 $want" ] && [ "$v" = 0 ] && [ "$(val $COORD "$FP")" = "$fp0" ] \
    && ok "worker $W3 drained and removed: $C3's new invoice posts from its new node's range (group $want); verify() empty; the journal before unchanged" \
    || not_ok "worker $W3 drained and removed ($r $r2; nodes left $n): $res (postings, ranges $g; want group $want); verify() rows $v"

# f. a shard group moved with logical replication (Citus's default, 'auto',
#    and 'force_logical') while a writer commits invoices of a customer in
#    it: every move done, every commit posted once (revrec.citus_queue had no
#    replica identity: the 'auto' move was refused, and commits failed while
#    their group moved)
SM=$(val $COORD "SELECT min(s.shardid) FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid)
                  WHERE s.logicalrelid = 'revrec.citus_group'::regclass AND pl.groupid = $(gid $W1)")
CM=$(new_cust "$SM")
MV=$OUT/move-writer; : >"$MV"
( for i in $(seq 1 40); do echo "$i $(cust_inv "$CM" "INV-TOPO-$RID-M$i")" >>"$MV"; done ) &
WPID=$!
sleep 1
m1=$(val $COORD "SELECT citus_move_shard_placement($SM, '127.0.0.1', $W1, '127.0.0.1', $W2)")
m2=$(val $COORD "SELECT citus_move_shard_placement($SM, '127.0.0.1', $W2, '127.0.0.1', $W1, shard_transfer_mode => 'force_logical')")
wait $WPID
bad=$(grep -v ' OK$' "$MV" | head -3 | cut -c1-160 | tr '\n' ' ')
n=$(val $COORD "SELECT count(*) || ' ' || count(DISTINCT source_id) FROM revrec.posting
                 WHERE source = 'invoice' AND reason = 'issue' AND source_id LIKE 'INV-TOPO-$RID-M%'")
v=$(val $COORD "SELECT count(*) FROM revrec.verify()")
at=$(val $COORD "SELECT pl.groupid FROM pg_dist_placement pl WHERE pl.shardid = $SM")
{ [ "${m1#ERROR}" = "$m1" ] && [ "${m2#ERROR}" = "$m2" ] && [ -z "$bad" ] && [ "$(wc -l <"$MV")" = 40 ] \
  && [ "$n" = "40 40" ] && [ "$v" = 0 ] && [ "$at" = "$(gid $W1)" ]; } \
    && ok "a shard group moved there and back with logical replication ('auto', 'force_logical') while 40 invoices were committed in it: every commit posted once, verify() empty" \
    || not_ok "logical moves under commits: moves '${m1:0:120}' '${m2:0:120}'; failed commits: ${bad:-none}; postings, invoices: $n; verify() rows $v"

# g. distribute() run again while another session frees a document id (a
#    draft deleted, not committed yet): the id stays free, and another
#    customer takes it, as on a single node (distribute() put it back in
#    revrec.doc_key for good)
CA=$(old_cust "$(gid $W1)"); CB=$(old_cust "$(gid $W2)")
res=$(commit $COORD att_writer "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
                                VALUES ('DK-$RID', 'DK-$RID', '$CA', 'USD', '2026-03-01', 'draft')")
( cpsql $COORD -d revrec -c "BEGIN" -c "DELETE FROM revrec.invoice WHERE invoice_id = 'DK-$RID'" -c "SELECT pg_sleep(4)" -c "COMMIT" >"$OUT/dk.out" 2>&1 ) &
SPID=$!
sleep 1.5
d=$(cpsql $COORD -d revrec -c "SET client_min_messages = warning" -c "SELECT revrec.distribute()" 2>&1 | grep -m1 ERROR)
wait $SPID
r=$(commit $COORD att_writer "BEGIN; $(inv_sql "DK-$RID" "$CB") COMMIT;")
k=$(val $COORD "SELECT string_agg(customer_id, ',') FROM revrec.doc_key WHERE id = 'DK-$RID' AND kind = 'invoice'")
{ [ "$res" = OK ] && [ -z "$d" ] && ! grep -q ERROR "$OUT/dk.out" && [ "$r" = OK ] && [ "$k" = "$CB" ]; } \
    && ok "distribute() again while a draft's deletion is in flight: its id stays free, another customer's invoice takes it ($k)" \
    || not_ok "distribute() again while an id is freed: draft '$res', distribute '${d:-ok}', delete '$(grep -m1 ERROR "$OUT/dk.out")', another customer's invoice: '$r', doc_key: '$k'"

# h. two distribute() at once: the second waits for the first, both done
for i in 1 2; do
    ( cpsql $COORD -d revrec -c "SET client_min_messages = warning" -c "SELECT revrec.distribute()" >"$OUT/dist$i.out" 2>&1 ) &
done
wait
e=$(cat "$OUT/dist1.out" "$OUT/dist2.out" | grep -m1 ERROR)
[ -z "$e" ] && ok "two distribute() at once: both done" || not_ok "two distribute() at once: $e"

# ---------------------------------------------------------------------------
echo "# 6. the ledger on Citus after all this"
n=$(val $COORD "SELECT count(*) FROM revrec.posting p WHERE (SELECT sum(e) FROM unnest(p.entries) WITH ORDINALITY u(e, i) WHERE i % 3 = 0) <> 0")
[ "$n" = 0 ] && ok "every posting balances" || not_ok "$n postings do not balance"
n=$(val $COORD "SELECT count(*) FROM (SELECT customer_id, source, source_id, line_id FROM revrec.posting WHERE reason = 'issue'
                                        GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) x")
[ "$n" = 0 ] && ok "no document line posted twice at its issue" || not_ok "$n document lines posted twice at their issue"
n=$(val $COORD "SELECT string_agg(i.invoice_id, ' ') FROM revrec.invoice i
                 WHERE i.status = 'issued' AND EXISTS (SELECT 1 FROM revrec.invoice_line l WHERE l.customer_id = i.customer_id AND l.invoice_id = i.invoice_id)
                   AND NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                      AND p.source_id = i.invoice_id AND p.reason = 'issue')")
[ -z "$n" ] && ok "every issued invoice with lines is posted" || not_ok "issued invoices never posted: $n"
for cur in USD; do
    # (lines billed in arrears are below zero until billed: invoiced 0)
    n=$(val $COORD "SELECT count(*) FROM revrec.deferred_revenue(as_of => '2026-06-30', currency => '$cur') WHERE balance < 0 AND invoiced <> 0")
    [ "$n" = 0 ] && ok "no deferred balance of a billed line below zero ($cur, 2026-06-30)" || not_ok "$n deferred balances of billed lines below zero ($cur)"
done
n=$(val $COORD "SELECT count(*) FROM revrec.citus_queue")
[ "$n" = 0 ] && ok "revrec.citus_queue is empty at the end" || not_ok "$n keys left in revrec.citus_queue at the end"

if [ -n "${CITUS_KEEP:-}" ] && [ -z "${CITUS_KEEP_EARLY:-}" ]; then
    echo "# clusters kept while $CITUS_KEEP exists"
    while [ -f "$CITUS_KEEP" ]; do sleep 2; done
fi
echo "# outputs in $OUT"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
