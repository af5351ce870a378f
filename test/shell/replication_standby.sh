#!/usr/bin/env bash
# A hot standby (pg_basebackup -R) serves every report, view, synchronous
# export and revrec.verify(): nothing in them writes.
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
extra_cluster primary "wal_level = replica" "max_wal_senders = 4"
onp() { ( export PGHOST=${EXTRA_HOST[primary]} PGPORT=${EXTRA_PORT[primary]}; "$@" ); }
onp company_db rr_sb >/dev/null
sb=$EXTRA_ROOT/standby; mkdir -p "$sb"
onp pg_basebackup -D "$sb/data" -R -X stream -c fast
sbport=$((20000 + RANDOM % 20000))
{ echo "unix_socket_directories = '$sb'"; echo "port = $sbport"; echo "hot_standby = on"; } >>"$sb/data/postgresql.conf"
"$PGBIN/pg_ctl" -D "$sb/data" -l "$sb/server.log" -w start >/dev/null
ons() { ( export PGHOST=$sb PGPORT=$sbport; "$@" ); }
check "the standby is in recovery" "$(ons psql -X -At -d rr_sb -c 'SELECT pg_is_in_recovery()')" "t"
# a change on the primary reaches the standby
onp psql -X -q -d rr_sb -c "UPDATE revrec.ledger_account SET name = 'Standby check' WHERE code = 'billed'"
for i in $(seq 1 60); do
    [ "$(ons psql -X -At -d rr_sb -c "SELECT name FROM revrec.ledger_account WHERE code = 'billed'")" = "Standby check" ] && break
    sleep 0.5
done
run() {  # label, SQL: same rows on the standby as on the primary, no error
    local a b
    a=$(onp psql -X -At -v ON_ERROR_STOP=1 -d rr_sb -c "$2" 2>&1) || true
    b=$(ons psql -X -At -v ON_ERROR_STOP=1 -d rr_sb -c "$2" 2>&1) || true
    if [ -n "$a" ] && ! grep -q ERROR <<<"$a"; then nonempty=yes; else nonempty=no; fi
    [ "$1" = "revrec.verify()" ] && nonempty=yes   # (empty is the right answer there)
    check "the primary answers $1" "$nonempty" "yes"
    check "standby serves $1" "$(md5sum <<<"$b")" "$(md5sum <<<"$a")"
}
run journal_report "SELECT * FROM revrec.journal_report('2024-01-01', '2025-12-31', currency => 'USD')"
run "journal_report by day" "SELECT * FROM revrec.journal_report('2024-01-01', '2025-12-31', currency => 'EUR', granularity => 'day')"
run deferred_revenue "SELECT * FROM revrec.deferred_revenue('2025-01-31', 'USD')"
run waterfall "SELECT * FROM revrec.waterfall('2025-01-31', 'USD')"
run waterfall_csv "SELECT * FROM revrec.waterfall_csv('2025-01-31', 'USD')"
run trial_balance "SELECT * FROM revrec.trial_balance('2025-01-31', 'USD')"
run export_sequence "SELECT * FROM revrec.export_sequence('2024-01-01', '2025-12-31', 'USD')"
run export_xero "SELECT * FROM revrec.export_xero('2024-01-01', '2025-12-31', 'USD')"
run export_quickbooks "SELECT * FROM revrec.export_quickbooks('2024-01-01', '2025-12-31', 'USD')"
run export_netsuite "SELECT * FROM revrec.export_netsuite('2024-01-01', '2025-12-31', 'USD')"
run "the views" "SELECT (SELECT count(*) FROM revrec.journal_entry), (SELECT count(*) FROM revrec.account_balance),
                        (SELECT count(*) FROM revrec.deferred_revenue_now), (SELECT count(*) FROM revrec.journal_report_this_month),
                        (SELECT count(*) FROM revrec.journal_report_last_month), (SELECT count(*) FROM revrec.waterfall_now),
                        (SELECT count(*) FROM revrec.activity_log), (SELECT count(*) FROM revrec.export_job)"
run "revrec.verify()" "SELECT * FROM revrec.verify()"
check "revrec.verify() on the standby finds nothing" "$(ons psql -X -At -d rr_sb -c "SELECT count(*) FROM revrec.verify()")" "0"
"$PGBIN/pg_ctl" -D "$sb/data" -m immediate -w stop >/dev/null 2>&1 || true
