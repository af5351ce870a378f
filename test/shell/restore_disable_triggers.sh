#!/usr/bin/env bash
# pg_dump --data-only --disable-triggers into a database where revrec was
# created (psql, and pg_restore --data-only --disable-triggers): revrec keeps
# its triggers on (an event trigger puts back what ALTER TABLE ... DISABLE /
# ENABLE TRIGGER ALL changed on its tables), so the data loads as with a plain
# --data-only restore: identical, nothing printed, every trigger as a fresh
# install has it (ALWAYS ones included), new documents post.  Outside a
# restore, disabling a revrec trigger is refused (RV041).
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
company_db rr_dt_src
dropdb --if-exists rr_dt_ref; createdb rr_dt_ref; q -d rr_dt_ref -c 'CREATE EXTENSION revrec' >/dev/null
states=$(trigger_states rr_dt_ref)
check "a fresh install has ALWAYS triggers" "$(grep -c '=A' <<<"${states// /$'\n'}" | sed 's/^[1-9][0-9]*$/some/')" "some"
dump=$(mktemp /tmp/rr_dt.XXXXXX)
pg_dump -Fc -d rr_dt_src -f "$dump"
for how in psql pg_restore; do
    label="--data-only --disable-triggers ($how)"
    dropdb --if-exists rr_dt_dst; createdb rr_dt_dst; q -d rr_dt_dst -c 'CREATE EXTENSION revrec' >/dev/null
    if [ $how = psql ]; then
        err=$(pg_dump --data-only --disable-triggers -d rr_dt_src | psql -X -q -d rr_dt_dst 2>&1 >/dev/null) && rc=0 || rc=$?
    else
        err=$(pg_restore --data-only --disable-triggers -d rr_dt_dst "$dump" 2>&1) && rc=0 || rc=$?
    fi
    check "$label: exit 0, nothing printed" "$rc:$err" "0:"
    compare_dbs rr_dt_src rr_dt_dst "$label"
    check "$label: every trigger as a fresh install has it" "$(trigger_states rr_dt_dst)" "$states"
    verify_empty rr_dt_dst "$label"
    posts_new rr_dt_dst "$label"
done
# outside a restore: refused, the trigger stays as it was
err=$(q -d rr_dt_dst -c 'ALTER TABLE revrec.posting DISABLE TRIGGER ALL' 2>&1) && rc=0 || rc=$?
check "DISABLE TRIGGER ALL on revrec.posting (superuser): refused" "$rc/$(grep -c "revrec's triggers cannot be disabled" <<<"$err")" "1/1"
err=$(q -d rr_dt_dst -c 'ALTER TABLE revrec.posting ENABLE TRIGGER posting_no_update' 2>&1) && rc=0 || rc=$?
check "ENABLE TRIGGER (ALWAYS -> origin) on revrec.posting: refused" "$rc/$(grep -c "revrec's triggers cannot be disabled" <<<"$err")" "1/1"
check "after the refusals, every trigger as a fresh install has it" "$(trigger_states rr_dt_dst)" "$states"
err=$(q -d rr_dt_dst -c 'SET session_replication_role = replica; UPDATE revrec.posting SET customer_id = customer_id' 2>&1) && rc=0 || rc=$?
check "the ledger is still append-only in replica mode" "$rc/$(grep -c 'RV012\|append-only' <<<"$err")" "1/1"
rm -f "$dump"; dropdb rr_dt_src; dropdb rr_dt_dst; dropdb rr_dt_ref
