#!/usr/bin/env bash
# revrec on Citus, physical backup and point-in-time recovery (issue #21):
#   CITUS_PORT_BASE=5561 CITUS_TMP=/tmp/ccc bash scripts/private.sh bash scripts/citus-backup.sh
#
# Skipped, with a message and exit 0, when Citus is not installed.  Otherwise:
# a coordinator (CITUS_PORT_BASE) and two workers (+1, +2), revrec
# distributed, a small generated company loaded, WAL archiving on every node
# and a pg_basebackup of each; documents committed, then
# citus_create_restore_point('rp1') on a quiet cluster and 'rp2' while a
# writer commits invoices of two customers in one transaction, and more
# documents after.  Every node is then restored from its base backup to each
# point (recovery_target_name) and checked: the ledger of the point, nothing
# of a transaction by half, verify() empty, the queues empty, no prepared
# transaction left, each worker's posting sequence at or past the ids of its
# range, and new documents posting with new ids (docs/CITUS.md, "Backup and
# restore").  Every check prints ok / not ok; the last line is
# "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/citus-lib.sh"
set +e

if ! citus_available; then
    echo "citus-backup: skipped: Citus is not installed in $($PG_CONFIG --pkglibdir) (docs/CITUS.md says how to build it)"
    exit 0
fi
[ $IS_ROOT = 1 ] || { echo "citus-backup: run as root (bash scripts/private.sh bash scripts/citus-backup.sh)" >&2; exit 1; }

SEED=${CITUS_SEED:-42}
SIZE=${CITUS_BACKUP_SIZE:-300}
COORD=$CITUS_PORT_BASE W1=$((CITUS_PORT_BASE + 1)) W2=$((CITUS_PORT_BASE + 2)) SINGLE=$((CITUS_PORT_BASE + 3))
CSV=$CITUS_TMP-csv-$SEED-$SIZE; mkdir -p "$CSV"; chown "$PG_OS_USER" "$CSV"
trap 'citus_stop_all' EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
ok()     { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
info()   { echo "# $*"; }
val()  { local port=$1; shift; cpsql "$port" -d revrec -At -c "$*" 2>&1; }
rdb()  { cpsql "$1" -d "$2" -At -c "$3" 2>&1; }
load() {   # load PORT [DB]
    as_pg env PGOPTIONS="-c client_min_messages=warning" PGHOST=127.0.0.1 PGPORT=$1 PGUSER=postgres GEN_DB=${2:-revrec} \
        bash "$ROOT/bench/gen/load.sh" ${2:-revrec} "$SEED" "$SIZE" "$CSV" 2>&1 | tail -3
}
inv_sql() {   # inv_sql ID CUSTOMER [status] [date]
    local d=${4:-2026-03-01}
    echo "INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
          VALUES ('$1', '$1', '$2', 'USD', '$d', '${3:-issued}');
          INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end, product_id)
          VALUES ('$1-1', '$1', '$2', 1200.00, '$d', ('$d'::date + 364), 'SUB-STARTER');"
}
# commit_inv PORT DB ID CUSTOMER -> OK or first error
commit_inv() {
    local out; out=$(cpsql "$1" -d "$2" -At -c "BEGIN; $(inv_sql "$3" "$4") COMMIT;" 2>&1)
    if grep -q ERROR <<<"$out"; then grep -m1 ERROR <<<"$out"; else echo OK; fi
}
LEDGER="SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', posting_id, customer_id, source, source_id, entry_date, account, direction, amount), ','
                                          ORDER BY posting_id, account, direction, amount, entry_date))
          FROM revrec.journal_entry"
DOCS="SELECT (SELECT count(*) FROM revrec.invoice) || ' ' || (SELECT count(*) FROM revrec.invoice_line) || ' ' || (SELECT count(*) FROM revrec.usage)
             || ' ' || (SELECT count(*) FROM revrec.credit_note_line) || ' ' || (SELECT count(*) FROM revrec.activity)"
VERIFY="SELECT count(*) || coalesce(': ' || string_agg(\"check\" || ' ' || document || ' ' || detail, '; '), '') FROM revrec.verify()"
DUPIDS="SELECT (SELECT count(*) FROM revrec.posting) - (SELECT count(DISTINCT posting_id) FROM revrec.posting)"
# per worker: group, sequence last_value/is_called, max id in its range (on the worker's own shards)
seqs() {   # seqs DB COORDPORT -> lines "port group last_value is_called maxid_in_range(from coordinator)"
    local db=$1 c=$2 p g lv ic mx
    for p in $(rdb $c $db "SELECT nodeport FROM pg_dist_node WHERE groupid > 0 ORDER BY 1"); do
        g=$(rdb $p $db "SELECT groupid FROM pg_dist_local_group")
        lv=$(rdb $p $db "SELECT last_value || ' ' || is_called FROM revrec.posting_posting_id_seq")
        mx=$(rdb $c $db "SELECT coalesce(max(posting_id), 0) FROM revrec.posting WHERE posting_id >> 48 = $g")
        echo "$p group=$g seq=$lv max_in_range=$mx"
    done
}
seqs_ok() { # all workers' sequence last_value >= max id in range
    seqs "$@" | awk '{split($3,a,"="); split($5,b,"="); if (a[2]+0 < b[2]+0) bad=1} END {exit bad}'
}
# set up a Citus cluster (coordinator + 2 workers), revrec distributed, a company loaded
setup_cluster() {
    set -e
    build_install
    citus_cluster $COORD $W1 $W2
    cpsql $COORD -d revrec -c "CREATE EXTENSION revrec"
    cpsql $COORD -d revrec -c "ALTER DATABASE revrec SET citus.multi_shard_modify_mode = 'sequential'"
    cpsql $COORD -d revrec -c "SET client_min_messages = warning" -c "SELECT revrec.distribute()" >/dev/null
    set +e
    local l; l=$(load $COORD)
    grep -q '^load lines=' <<<"$l" || { echo "the company did not load: $l" >&2; exit 1; }
    info "$l"
}

NODES="$COORD $W1 $W2"
setup_cluster

info "archiving on, restart"
for p in $NODES; do
    d=$CITUS_TMP-$( [ $p = $COORD ] && echo coord || echo worker )-$p
    rm -rf $CITUS_TMP-arch-$p $CITUS_TMP-base-$p; mkdir -p $CITUS_TMP-arch-$p; chown $PG_OS_USER $CITUS_TMP-arch-$p
    cat >>$d/data/postgresql.conf <<CONF
archive_mode = on
archive_command = 'test ! -f $CITUS_TMP-arch-$p/%f && cp %p $CITUS_TMP-arch-$p/%f'
wal_level = replica
CONF
    PGPORT=$p as_pg $PGBIN/pg_ctl -D $d/data -l $d/server.log -w restart >/dev/null || { echo "restart $p failed"; exit 1; }
done
ddir() { echo $CITUS_TMP-$( [ $1 = $COORD ] && echo coord || echo worker )-$1; }

info "pg_basebackup of every node"
for p in $NODES; do
    as_pg $PGBIN/pg_basebackup -h 127.0.0.1 -p $p -U postgres -D $CITUS_TMP-base-$p -X stream -c fast \
        && ok "pg_basebackup of $p" || not_ok "pg_basebackup of $p"
done

info "documents after the base backup, before rp1"
for i in 1 2 3 4 5 6; do r=$(commit_inv $COORD revrec INV-PRE-$i C00000$i); [ "$r" = OK ] || not_ok "INV-PRE-$i: $r"; done
led_rp=$(val $COORD "$LEDGER"); docs_rp=$(val $COORD "$DOCS"); seq_rp=$(seqs revrec $COORD)
info "at rp1: ledger $led_rp; docs $docs_rp"; echo "$seq_rp" | sed 's/^/#   /'
r=$(val $COORD "SELECT citus_create_restore_point('rp1')"); info "citus_create_restore_point('rp1') = $r"
for i in 1 2 3 4 5 6; do r=$(commit_inv $COORD revrec INV-POST-$i C00000$i); [ "$r" = OK ] || not_ok "INV-POST-$i: $r"; done
post_ids=$(val $COORD "SELECT string_agg(posting_id::text, ',' ORDER BY posting_id) FROM revrec.posting WHERE source_id LIKE 'INV-POST-%'")
info "ids of postings after rp1: $post_ids"

info "rp2: with a writer committing two-customer invoices through the coordinator"
STOP=$CITUS_TMP-stopwriter; rm -f $STOP $CITUS_TMP-writer.err
( i=0; while [ ! -f $STOP ]; do i=$((i+1));
      a=$(printf 'C%06d' $((i % 7 + 1))); b=$(printf 'C%06d' $((i % 7 + 8)))
      cpsql $COORD -d revrec -c "BEGIN; $(inv_sql INV-CONC-$i-a $a) $(inv_sql INV-CONC-$i-b $b) COMMIT;" >/dev/null 2>>$CITUS_TMP-writer.err
  done; echo $i >$CITUS_TMP-writer.n ) &
WPID=$!
sleep 3
r=$(val $COORD "SELECT citus_create_restore_point('rp2')"); info "citus_create_restore_point('rp2') = $r"
led_rp2=$(val $COORD "$LEDGER")
sleep 3; touch $STOP; wait $WPID
info "writer: $(cat $CITUS_TMP-writer.n) transactions, errors: $(grep -c ERROR $CITUS_TMP-writer.err 2>/dev/null)"
led_end=$(val $COORD "$LEDGER"); info "ledger at end: $led_end"
conc_end=$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id LIKE 'INV-CONC-%'")

info "switch WAL and wait for the archive"
for p in $NODES; do
    f=$(val $p "SELECT pg_walfile_name(pg_switch_wal())")
    for t in $(seq 60); do
        a=$(val $p "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        [[ "$a" > "$f" || "$a" == "$f" ]] && break; sleep 0.5
    done
    info "$p: switched $f, archived $a"
done
citus_stop_all

restore_to() {   # restore_to TARGET: every node from its base backup to the named point
    local p d
    citus_stop_all
    for p in $NODES; do
        d=$(ddir $p)
        rm -rf $d/data; cp -a $CITUS_TMP-base-$p $d/data; chown -R $PG_OS_USER $d/data; chmod 700 $d/data
        cat >>$d/data/postgresql.auto.conf <<CONF
restore_command = 'cp $CITUS_TMP-arch-$p/%f %p'
recovery_target_name = '$1'
recovery_target_action = 'promote'
archive_mode = off
CONF
        touch $d/data/recovery.signal; chown $PG_OS_USER $d/data/recovery.signal
        PGPORT=$p as_pg $PGBIN/pg_ctl -D $d/data -l $d/server.log -w start >/dev/null || { tail -5 $d/server.log; not_ok "start of $p"; }
        CITUS_NODES+=("$d")
    done
    for p in $NODES; do
        for t in $(seq 60); do [ "$(val $p "SELECT pg_is_in_recovery()")" = f ] && break; sleep 0.5; done
        info "$p: in recovery: $(val $p "SELECT pg_is_in_recovery()"); $(grep 'recovery stopping' $(ddir $p)/server.log | tail -1 | sed 's/.*LOG: *//')"
    done
    # Citus's prepared-transaction recovery (the maintenance daemon does this too)
    info "recover_prepared_transactions(): $(val $COORD "SELECT recover_prepared_transactions()")"
}

check_restored() {   # check_restored NAME EXPECTED_LEDGER
    local name=$1 want=$2 r
    r=$(val $COORD "SELECT count(*) FROM revrec.invoice")
    [[ "$r" =~ ^[0-9]+$ ]] && ok "$name: Citus answers ($r invoices)" || not_ok "$name: query through the coordinator: $r"
    if [ -n "$want" ]; then
        r=$(val $COORD "$LEDGER")
        [ "$r" = "$want" ] && ok "$name: ledger = ledger at the point ($r)" || not_ok "$name: ledger $r, want $want"
    fi
    r=$(val $COORD "$VERIFY"); [ "$r" = 0 ] && ok "$name: verify() empty" || not_ok "$name: verify(): ${r:0:600}"
    r=$(val $COORD "SELECT (SELECT count(*) FROM revrec.citus_queue) || ' ' || (SELECT count(*) FROM revrec.pending_flush) || ' ' || (SELECT count(*) FROM revrec.pending)")
    [ "$r" = "0 0 0" ] && ok "$name: citus_queue, pending_flush, pending empty" || not_ok "$name: citus_queue pending_flush pending: $r"
    for p in $NODES; do
        r=$(val $p "SELECT count(*) FROM pg_prepared_xacts")
        [ "$r" = 0 ] && ok "$name: no prepared transaction left on $p" || not_ok "$name: $r prepared transactions on $p: $(val $p "SELECT string_agg(gid, ' ') FROM pg_prepared_xacts")"
        [ $p = $COORD ] && continue
        r=$(val $p "SELECT (SELECT count(*) FROM revrec.pending) || ' ' || (SELECT count(*) FROM revrec.pending_flush)")
        [ "$r" = "0 0" ] && ok "$name: worker $p pending, pending_flush empty" || not_ok "$name: worker $p pending pending_flush: $r"
    done
    seqs revrec $COORD | sed 's/^/#   /'
    seqs_ok revrec $COORD && ok "$name: each worker's sequence at or past the largest id of its range" || not_ok "$name: a worker's sequence behind its ids"
    r=$(val $COORD "$DUPIDS"); [ "$r" = 0 ] && ok "$name: no posting id twice" || not_ok "$name: $r posting ids twice"
    # half-posted: invoices without postings, or posted without activity, per document
    r=$(val $COORD "SELECT count(*) FROM revrec.invoice i WHERE i.status = 'issued'
                      AND NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice' AND p.source_id = i.invoice_id)")
    [ "$r" = 0 ] && ok "$name: every issued invoice posted" || not_ok "$name: $r issued invoices without postings"
    # new documents post, ids new
    local before; before=$(val $COORD "SELECT max(posting_id) FROM revrec.posting")
    for i in 1 2 3 4 5 6; do r=$(commit_inv $COORD revrec INV-NEW-$name-$i C00000$i); [ "$r" = OK ] || not_ok "$name: new INV-NEW-$i: $r"; done
    r=$(val $COORD "SELECT count(*) FROM revrec.posting WHERE source_id LIKE 'INV-NEW-$name-%'")
    [ "$r" = 6 ] && ok "$name: 6 new invoices post" || not_ok "$name: new invoices' postings: $r"
    r=$(val $COORD "$DUPIDS"); [ "$r" = 0 ] && ok "$name: after new documents: no posting id twice" || not_ok "$name: after new documents: $r posting ids twice"
    r=$(val $COORD "$VERIFY"); [ "$r" = 0 ] && ok "$name: after new documents: verify() empty" || not_ok "$name: after new documents: verify(): ${r:0:600}"
    new_ids=$(val $COORD "SELECT string_agg(posting_id::text, ',' ORDER BY posting_id) FROM revrec.posting WHERE source_id LIKE 'INV-NEW-$name-%'")
    info "$name: new ids $new_ids"
}

info "=== restore every node to rp1"
restore_to rp1
check_restored rp1 "$led_rp"
r=$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id LIKE 'INV-POST-%' OR invoice_id LIKE 'INV-CONC-%'") 
r2=$(val $COORD "SELECT count(*) FROM revrec.posting WHERE source_id LIKE 'INV-POST-%' OR source_id LIKE 'INV-CONC-%'")
[ "$r $r2" = "0 0" ] && ok "rp1: documents committed after the point absent, their postings too" || not_ok "rp1: after-point invoices $r, postings $r2"
r=$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id LIKE 'INV-PRE-%'")
[ "$r" = 6 ] && ok "rp1: documents before the point present" || not_ok "rp1: INV-PRE invoices $r"
reused=$(comm -12 <(tr , '\n' <<<"$post_ids" | sort) <(tr , '\n' <<<"$new_ids" | sort) | wc -l)
info "rp1: posting ids of the lost timeline given again to new postings: $reused (of $(tr , '\n' <<<"$post_ids" | wc -l))"

info "=== restore every node to rp2 (taken under a writer)"
restore_to rp2
r=$(val $COORD "SELECT count(*) || ' invoices, ' || count(*) FILTER (WHERE invoice_id LIKE '%-a') || ' a, ' || count(*) FILTER (WHERE invoice_id LIKE '%-b') || ' b' FROM revrec.invoice WHERE invoice_id LIKE 'INV-CONC-%'")
info "rp2: concurrent invoices present: $r (of $conc_end at the end)"
r=$(val $COORD "SELECT count(*) FROM (SELECT split_part(invoice_id, '-', 3) FROM revrec.invoice WHERE invoice_id LIKE 'INV-CONC-%' GROUP BY 1 HAVING count(*) <> 2) x")
n=$(val $COORD "SELECT count(*) FROM revrec.invoice WHERE invoice_id LIKE 'INV-CONC-%'")
[ "$r" = 0 ] && [ "$n" -gt 0 ] && [ "$n" -lt "$conc_end" ] \
    && ok "rp2: the writer's transactions up to the point ($n of $conc_end invoices), each whole (both invoices or none)" \
    || not_ok "rp2: $r transactions restored by half; $n of $conc_end invoices"
check_restored rp2 ""
echo "$pass passed, $fail failed"
[ $fail = 0 ]
