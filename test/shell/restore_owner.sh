#!/usr/bin/env bash
# A database owner who is not a superuser, in a database where a superuser
# created revrec (the managed-cloud case), cannot restore revrec: its ledger
# and sequences are written by revrec's code alone.  Such a restore stops
# before writing anything, and its first error names the role that can (the
# extension's owner) and the command; with revrec_admin granted too (it may
# write documents) nothing is written either.  The named procedure works.
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
company_db rr_ow_src
q -d postgres -c "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_db_owner') THEN CREATE ROLE rr_db_owner LOGIN; END IF; END\$\$"
dump=$(mktemp /tmp/rr_ow.XXXXXX); plain=$(mktemp /tmp/rr_ow.XXXXXX)
pg_dump -Fc -d rr_ow_src -f "$dump"; pg_dump -d rr_ow_src -f "$plain"; chmod 644 "$dump" "$plain"
fresh=$(fresh_tables)
owner_db() {
    dropdb --if-exists rr_ow_dst; createdb -O rr_db_owner rr_ow_dst
    q -d rr_ow_dst -c 'CREATE EXTENSION revrec' >/dev/null   # as the superuser
}
for grant in "" revrec_admin; do
    [ -n "$grant" ] && q -d postgres -c "GRANT $grant TO rr_db_owner"
    who="owner${grant:+ with $grant}"
    for how in pg_restore psql pg_restore_data_only; do
        owner_db
        case $how in
            pg_restore) err=$(pg_restore -U rr_db_owner -d rr_ow_dst "$dump" 2>&1) && rc=0 || rc=$? ;;
            psql) err=$(psql -X -q -U rr_db_owner -d rr_ow_dst -f "$plain" 2>&1 >/dev/null) && rc=0 || rc=$? ;;
            pg_restore_data_only) err=$(pg_restore --data-only -U rr_db_owner -d rr_ow_dst "$dump" 2>&1) && rc=0 || rc=$? ;;
        esac
        check "$who, $how: no table written" "$(table_fingerprint rr_ow_dst)" "$fresh"
        expected="role rr_db_owner cannot restore revrec: only a superuser or the extension's owner (postgres) can write its ledger|HINT:  Run the whole restore as postgres or another superuser, into a new database: pg_restore -U postgres -d NEWDB FILE, or pg_dump DB | psql -U postgres -d NEWDB (README \"Backup and restore\")."
        if [ $how != pg_restore_data_only ]; then
            # the first error is revrec's: who can restore, and how
            check "$who, $how: the first error names the procedure" \
                "$(grep -m1 'ERROR' <<<"$err" | sed 's/.*ERROR: *//')|$(grep -m1 '^HINT' <<<"$err")" "$expected"
        elif [ -n "$grant" ]; then
            # a data-only dump starts with the activity log, which PostgreSQL
            # refuses first (no INSERT); the documents the role may write are revrec's to refuse
            check "$who, $how: an error names the procedure" \
                "$(grep -m1 'cannot restore revrec' <<<"$err" | sed 's/.*ERROR: *//')|$(grep -m1 '^HINT' <<<"$err")" "$expected"
        fi
    done
    [ -n "$grant" ] && q -d postgres -c "REVOKE $grant FROM rr_db_owner"
done
# the named procedure: the whole restore as the extension's owner
dropdb rr_ow_dst; createdb -O rr_db_owner rr_ow_dst
err=$(pg_restore -U postgres -d rr_ow_dst "$dump" 2>&1) && rc=0 || rc=$?
check "pg_restore -U postgres into the owner's new database: exit 0, nothing printed" "$rc:$err" "0:"
compare_dbs rr_ow_src rr_ow_dst "pg_restore -U postgres"
verify_empty rr_ow_dst "pg_restore -U postgres"
rm -f "$dump" "$plain"; dropdb rr_ow_src; dropdb rr_ow_dst; q -d postgres -c 'DROP ROLE rr_db_owner'
