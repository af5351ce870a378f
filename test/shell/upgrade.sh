#!/usr/bin/env bash
# Upgrade path: install 0.1, post documents, ALTER EXTENSION revrec UPDATE,
# and get identical reports (and what 0.2 adds).
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check() { if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1"; echo "#   got:      $2"; echo "#   expected: $3"; fi; }

dropdb --if-exists rr_upgrade; createdb rr_upgrade
q -d rr_upgrade -c "CREATE EXTENSION revrec VERSION '0.1'"
check "installed 0.1" "$(q -d rr_upgrade -c "SELECT extversion FROM pg_extension WHERE extname = 'revrec'")" "0.1"
q -d rr_upgrade <<'SQL'
INSERT INTO revrec.customer VALUES ('C1', 'Acme');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup', 'point_in_time');
BEGIN;
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 12000, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L2', 'I1', 'SETUP', 500);
COMMIT;
BEGIN;
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-10-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 3000);
COMMIT;
UPDATE revrec.settings SET lock_date = '2025-06-30';
SQL
fingerprint() {
    q -d rr_upgrade <<'SQL'
SELECT md5(string_agg(j::text, '|' ORDER BY j::text)) FROM revrec.journal_report('2024-01-01', '2026-12-31', granularity => 'day') j;
SELECT md5(string_agg(d::text, '|' ORDER BY d::text)) FROM revrec.deferred_revenue('2025-08-31') d;
SELECT md5(string_agg(w::text, '|' ORDER BY w::text)) FROM revrec.waterfall('2025-08-31') w;
SELECT md5(string_agg(p::text, '|' ORDER BY posting_id)) FROM revrec.posting p;
SQL
}
before=$(fingerprint)
q -d rr_upgrade -c "ALTER EXTENSION revrec UPDATE"
check "updated to 0.2" "$(q -d rr_upgrade -c "SELECT extversion FROM pg_extension WHERE extname = 'revrec'")" "0.2"
check "reports and ledger identical after the update" "$(fingerprint)" "$before"
check "0.2's trial balance after the update" \
      "$(q -d rr_upgrade -c "SELECT string_agg(account || '=' || balance, ',' ORDER BY account) FROM revrec.trial_balance('2025-12-31', 'USD')")" \
      "billed=9500.00,deferred=0.00,recognized=9500.00"
# posting still works after the update
q -d rr_upgrade -c "INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C1', 'USD', '2025-08-01'); INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L3', 'I2', 'SETUP', 10)"
check "posting after the update" "$(q -d rr_upgrade -c "SELECT count(*) FROM revrec.posting WHERE source_id = 'I2'")" "1"
# and a fresh install of 0.2 has the same functions (definitions and grants) as 0.1 + upgrade
functions() {
    q -d rr_upgrade -c "SELECT md5(string_agg(pg_get_functiondef(p.oid) || coalesce(p.proacl::text, ''), '|' ORDER BY p.oid::regprocedure::text))
                          FROM pg_proc p WHERE p.pronamespace = 'revrec'::regnamespace AND p.prokind <> 'a'"
}
# and the same indexes, constraints and triggers (name, event, arguments)
schema_shape() {
    q -d rr_upgrade -c "SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), ''))
                          FROM (SELECT indexrelid::regclass::text || ' ' || pg_get_indexdef(indexrelid) AS x
                                  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                                 WHERE c.relnamespace = 'revrec'::regnamespace
                                UNION ALL
                                SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                                  FROM pg_constraint WHERE connamespace = 'revrec'::regnamespace
                                UNION ALL
                                SELECT pg_get_triggerdef(t.oid)
                                  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                                 WHERE c.relnamespace = 'revrec'::regnamespace AND NOT t.tgisinternal) z"
}
upgraded=$(functions)
upgraded_shape=$(schema_shape)
dropdb rr_upgrade; createdb rr_upgrade
q -d rr_upgrade -c "CREATE EXTENSION revrec"
check "fresh install is 0.2" "$(q -d rr_upgrade -c "SELECT extversion FROM pg_extension WHERE extname = 'revrec'")" "0.2"
check "0.1 + upgrade has the same functions as a fresh 0.2" "$upgraded" "$(functions)"
check "0.1 + upgrade has the same indexes, constraints and triggers as a fresh 0.2" "$upgraded_shape" "$(schema_shape)"
dropdb rr_upgrade
