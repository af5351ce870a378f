#!/usr/bin/env bash
# kill -9 in the middle of a large COPY of invoice lines: after crash recovery
# every transaction is either fully posted or not there at all, and every
# journal balances.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

dropdb --if-exists rr_crash; createdb rr_crash
q -d rr_crash -c 'CREATE EXTENSION revrec'
q -d rr_crash <<'SQL'
INSERT INTO revrec.customer SELECT 'C' || i, 'Customer ' || i FROM generate_series(1, 100) i;
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line');
-- a committed batch that must survive untouched
BEGIN;
INSERT INTO revrec.invoice SELECT 'A' || i, 'A' || i, 'C' || (i % 100 + 1), 'USD', date '2025-01-01' + (i % 300) FROM generate_series(1, 2000) i;
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
SELECT 'A' || i || '-1', 'A' || i, 'C' || (i % 100 + 1), 'SUB', 1200 + i, date '2025-01-01' + (i % 300), date '2025-12-31' + (i % 300)
  FROM generate_series(1, 2000) i;
COMMIT;
SQL
before=$(q -d rr_crash -c "SELECT count(*) || '/' || md5(string_agg(p::text, '|' ORDER BY posting_id)) FROM revrec.posting p")

# the big transaction: 200,000 lines in one COPY (REVREC_CRASH_LINES, fewer
# under valgrind), killed while it runs
N=${REVREC_CRASH_LINES:-200000}
(
  psql -X -q -d rr_crash -v ON_ERROR_STOP=1 <<SQL
BEGIN;
INSERT INTO revrec.invoice SELECT 'B' || i, 'B' || i, 'C' || (i % 100 + 1), 'USD', date '2025-01-01' + (i % 300) FROM generate_series(1, $N) i;
COPY revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end) FROM PROGRAM
  'seq 1 $N | awk ''{ printf "B%d-1,B%d,C%d,SUB,%d.00,2025-03-01,2026-02-28\\n", \$1, \$1, \$1 % 100 + 1, 1000 + \$1 % 500 }''' (FORMAT csv);
COMMIT;
SQL
) >/dev/null 2>&1 &
for _ in $(seq 1 200); do
    pid=$(q -d rr_crash -c "SELECT pid FROM pg_stat_activity WHERE datname = 'rr_crash' AND query LIKE 'COPY revrec.invoice_line%' AND state = 'active'" 2>/dev/null || true)
    [ -n "$pid" ] && break
    sleep 0.1
done
check "found the COPY running" "$([ -n "$pid" ] && echo yes || echo no)" "yes"
sleep 0.5
kill -9 "$pid"
wait || true
for _ in $(seq 1 100); do q -d rr_crash -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done

after=$(q -d rr_crash -c "SELECT count(*) || '/' || md5(string_agg(p::text, '|' ORDER BY posting_id)) FROM revrec.posting p")
check "committed postings survive the crash unchanged" "$after" "$before"
check "nothing of the killed transaction remains" \
      "$(q -d rr_crash -c "SELECT (SELECT count(*) FROM revrec.invoice WHERE invoice_id LIKE 'B%') + (SELECT count(*) FROM revrec.invoice_line WHERE line_id LIKE 'B%') + (SELECT count(*) FROM revrec.posting WHERE source_id LIKE 'B%')")" "0"
check "no pending work left behind" "$(q -d rr_crash -c "SELECT (SELECT count(*) FROM revrec.pending) + (SELECT count(*) FROM revrec.pending_flush)")" "0"
check "every journal balances" "$(q -d rr_crash -c "SELECT count(*) FROM (SELECT journal_number FROM revrec.journal_entry GROUP BY 1 HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0) j")" "0"
check "every invoice posted" "$(q -d rr_crash -c "SELECT count(*) FROM revrec.invoice i WHERE NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.source_id = i.invoice_id)")" "0"
# and the database keeps working
q -d rr_crash -c "INSERT INTO revrec.invoice VALUES ('Z1', 'Z1', 'C1', 'USD', '2025-06-01'); INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES ('Z1-1', 'Z1', 'SUB', 100, '2025-06-01', '2025-06-30')"
check "posting works after recovery" "$(q -d rr_crash -c "SELECT count(*) FROM revrec.posting WHERE source_id = 'Z1'")" "1"
dropdb rr_crash
