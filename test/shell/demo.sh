#!/usr/bin/env bash
# The demo's SQL (make demo without its cluster, build and chart): a small
# sample company loaded with COPY, the October month (credit notes in both
# modes, a standalone credit, a void, a manual journal, the lock) and the
# month-end close script run without an error, the ledger verifies, and the
# four exports of the month have rows.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)   # the test tree's copy (scripts/test.sh)
DEMO=$HERE/demo
source "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

dropdb --if-exists rr_demo; createdb rr_demo
q -d rr_demo -c 'CREATE EXTENSION revrec'
rc=0; bash "$DEMO/gen/load.sh" rr_demo 42 2000 >/tmp/rr_demo_load.$$ 2>&1 || rc=$?
check "the sample company loads (2,000 lines, one transaction)" "$rc" "0"
rc=0; q -d rr_demo -f "$DEMO/demo_month.sql" >/tmp/rr_demo_month.$$ 2>&1 || rc=$?
check "the demo's October runs without an error" "$rc $(grep -c ERROR /tmp/rr_demo_month.$$ || true)" "0 0"
rc=0; psql -X -q -v ON_ERROR_STOP=1 -d rr_demo -f "$DEMO/demo.sql" >/tmp/rr_demo_close.$$ 2>&1 || rc=$?
check "the demo's month-end close runs without an error" "$rc $(grep -c ERROR /tmp/rr_demo_close.$$ || true)" "0 0"
check "the demo's ledger verifies" "$(q -d rr_demo -c 'SELECT count(*) FROM revrec.verify()')" "0"
for f in sequence xero quickbooks netsuite; do
    n=$(q -d rr_demo -c "SELECT count(*) FROM revrec.export_$f(from_date => '2026-10-01', to_date => '2026-10-31', currency => 'USD')")
    check "the demo's October $f export has rows" "$([ "$n" -gt 0 ] && echo yes || echo "no ($n)")" "yes"
done
rm -f /tmp/rr_demo_load.$$ /tmp/rr_demo_month.$$ /tmp/rr_demo_close.$$
dropdb rr_demo
