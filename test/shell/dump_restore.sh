#!/usr/bin/env bash
# pg_dump of a database using revrec, restored into a new database, keeps every
# document, setting and ledger row and gives identical reports.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

dropdb --if-exists rr_dump_src; dropdb --if-exists rr_dump_dst
createdb rr_dump_src
q -d rr_dump_src -c 'CREATE EXTENSION revrec'
q -d rr_dump_src <<'SQL'
INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup', 'point_in_time'),
                                  ('PS', 'Project', 'milestone');
UPDATE revrec.ledger_account SET name = 'Revenue (recognised)' WHERE code = 'recognized';
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services revenue', 'credit');
INSERT INTO revrec.gl_account_map (target, account_code, external_account) VALUES ('xero', 'billed', '610');
BEGIN;
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 12000, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L2', 'I1', 'SETUP', 500);
INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C2', 'EUR', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L3', 'I2', 'PS', 1000);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M1', 'L3', 'Phase 1', 400), ('M2', 'L3', 'Phase 2', 600);
COMMIT;
UPDATE revrec.milestone SET completed_on = '2025-04-15' WHERE milestone_id = 'M1';
BEGIN;
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-10-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 3000);
COMMIT;
UPDATE revrec.settings SET lock_date = '2025-06-30', credit_note_mode = 'adjust';
SELECT revrec.post_manual_journal('2025-07-31', 'Reclass', '[{"account":"recognized","direction":"debit","amount":"100"},{"account":"services","direction":"credit","amount":"100"}]', 'USD', 'C1');
SQL

fingerprint() {
    q -d "$1" <<'SQL'
SELECT 'report ' || md5(string_agg(j::text, '|' ORDER BY j::text)) FROM (
  SELECT * FROM revrec.journal_report('2024-01-01', '2026-12-31', currency => 'USD', granularity => 'day')
  UNION ALL SELECT * FROM revrec.journal_report('2024-01-01', '2026-12-31', currency => 'EUR', granularity => 'day')) j;
SELECT 'deferred ' || md5(string_agg(d::text, '|' ORDER BY d::text)) FROM revrec.deferred_revenue('2025-08-31', 'USD') d;
SELECT 'documents ' || (SELECT count(*) FROM revrec.invoice) || '/' || (SELECT count(*) FROM revrec.invoice_line) || '/'
       || (SELECT count(*) FROM revrec.credit_note) || '/' || (SELECT string_agg(milestone_id || coalesce(completed_on::text, '-'), ',' ORDER BY milestone_id) FROM revrec.milestone);
SELECT 'ledger ' || md5(string_agg(p::text, '|' ORDER BY posting_id)) FROM revrec.posting p;
SELECT 'activity ' || md5(string_agg(a::text, '|' ORDER BY activity_id)) FROM revrec.activity a;
SELECT 'settings ' || s::text FROM revrec.settings s;
SELECT 'accounts ' || string_agg(code || '=' || name, ',' ORDER BY account_id) FROM revrec.ledger_account;
SELECT 'mappings ' || string_agg(target || account_code || external_account, ',') FROM revrec.gl_account_map;
SQL
}
before=$(fingerprint rr_dump_src)

pg_dump -d rr_dump_src -f /tmp/rr_dump_$$.sql
createdb rr_dump_dst
PGOPTIONS='-c session_replication_role=replica' q -d rr_dump_dst -f /tmp/rr_dump_$$.sql >/dev/null
rm -f /tmp/rr_dump_$$.sql
after=$(fingerprint rr_dump_dst)

while IFS= read -r line; do
    key=${line%% *}
    check "restored $key identical" "$(grep "^$key " <<<"$after")" "$line"
done <<<"$before"

# the restored database goes on posting where the original stopped
q -d rr_dump_dst -c "INSERT INTO revrec.invoice VALUES ('I3', '1003', 'C2', 'EUR', '2025-08-01'); INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L4', 'I3', 'SETUP', 10)"
check "restored database posts new invoices" "$(q -d rr_dump_dst -c "SELECT count(*) FROM revrec.posting WHERE source_id = 'I3'")" "1"
check "posting ids continue after the restored ones" \
      "$(q -d rr_dump_dst -c "SELECT (SELECT posting_id FROM revrec.posting WHERE source_id = 'I3') > (SELECT max(posting_id) FROM revrec.posting WHERE source_id <> 'I3')")" "t"
dropdb rr_dump_src; dropdb rr_dump_dst
