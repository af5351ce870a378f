#!/usr/bin/env bash
# Logical replication: a publication of revrec's tables (the dumped ones:
# pg_extension.extconfig) to a subscriber where revrec is installed gives an
# identical subscriber that never posts on its own, through the initial copy
# and a month of changes on the publisher (documents of every kind, a void,
# a credit note, usage, a completed milestone, a lock change, a manual
# journal, a renamed account and a GL mapping).  Sequences are not
# replicated: revrec.verify() on the subscriber reports exactly them.
set -euo pipefail
source "$(dirname "$0")/lib/restore.sh"
extra_cluster pub "wal_level = logical" "max_wal_senders = 4" "max_replication_slots = 4"
extra_cluster sub "max_logical_replication_workers = 4" "max_sync_workers_per_subscription = 2"
onpub() { ( export PGHOST=${EXTRA_HOST[pub]} PGPORT=${EXTRA_PORT[pub]}; "$@" ); }
onsub() { ( export PGHOST=${EXTRA_HOST[sub]} PGPORT=${EXTRA_PORT[sub]}; "$@" ); }
onpub company_db rr_lr >/dev/null
tables=$(onpub psql -X -At -d rr_lr -c "SELECT string_agg(x.oid::regclass::text, ', ') FROM pg_extension e, unnest(e.extconfig) x(oid)
                                         JOIN pg_class c ON c.oid = x.oid WHERE e.extname = 'revrec' AND c.relkind = 'r'")
onpub psql -X -q -d rr_lr -c "CREATE PUBLICATION rr_pub FOR TABLE $tables"
onsub createdb rr_lr
onsub psql -X -q -d rr_lr -c 'CREATE EXTENSION revrec'
onsub psql -X -q -d rr_lr -c "CREATE SUBSCRIPTION rr_sub CONNECTION 'host=${EXTRA_HOST[pub]} port=${EXTRA_PORT[pub]} dbname=rr_lr user=postgres' PUBLICATION rr_pub" 2>&1 \
    | grep -v 'created replication slot' || true

tables_of() { $1 fingerprint rr_lr | grep '^table '; }
# wait until the subscriber holds what the publisher holds (at most 60 s)
caught_up() {
    local i
    for i in $(seq 1 120); do
        [ "$(tables_of onpub)" = "$(tables_of onsub)" ] && return 0
        sleep 0.5
    done
    return 1
}
caught_up && r=yes || r=no
check "initial copy: the subscriber catches up" "$r" "yes"
a=$(tables_of onpub); b=$(tables_of onsub)
while IFS= read -r line; do
    key=$(cut -d' ' -f1,2 <<<"$line")
    check "initial copy: $key identical" "$(grep "^$key " <<<"$b")" "$line"
done <<<"$a"

onpub psql -X -q -v ON_ERROR_STOP=1 -d rr_lr >/dev/null <<'SQL'
INSERT INTO revrec.customer VALUES ('LR1', 'Replicated');
BEGIN;
INSERT INTO revrec.invoice VALUES ('LR-I1', 'LR-1', 'LR1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('LR-L1', 'LR-I1', 'SUB', 1200, '2025-03-01', '2026-02-28'),
       ('LR-L2', 'LR-I1', 'API', 500, '2025-03-01', '2025-03-31'),
       ('LR-L3', 'LR-I1', 'PS', 900, '2025-03-01', '2025-12-31');
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('LR-M1', 'LR-L3', 'Kick-off', 900);
COMMIT;
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LR-L2', '2025-03-10', 120);
UPDATE revrec.milestone SET completed_on = '2025-04-01' WHERE milestone_id = 'LR-M1';
BEGIN;
INSERT INTO revrec.credit_note VALUES ('LR-CN1', 'LR-CN-1', 'LR1', 'LR-I1', 'USD', '2025-04-15');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('LR-CN1-1', 'LR-CN1', 'LR-L1', 100);
COMMIT;
BEGIN;
INSERT INTO revrec.invoice VALUES ('LR-I2', 'LR-2', 'LR1', 'USD', '2025-03-05');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('LR-L4', 'LR-I2', 'SETUP', 50);
COMMIT;
UPDATE revrec.invoice SET status = 'void', void_date = '2025-03-20' WHERE invoice_id = 'LR-I2';
UPDATE revrec.settings SET lock_date = '2025-02-28';
SELECT revrec.post_manual_journal('2025-03-31', 'Replicated reclass',
    '[{"account":"recognized","direction":"debit","amount":"10"},{"account":"services","direction":"credit","amount":"10"}]', 'USD', 'LR1');
UPDATE revrec.ledger_account SET name = 'Services' WHERE code = 'services';
UPDATE revrec.gl_account_map SET external_account = 'X-200' WHERE target = 'xero' AND account_code = 'billed';
SQL
check "the publisher posted the new documents" \
    "$(onpub psql -X -At -d rr_lr -c "SELECT count(*) > 5 FROM revrec.posting WHERE customer_id = 'LR1'")" "t"
caught_up && r=yes || r=no
check "changes: the subscriber catches up" "$r" "yes"
a=$(tables_of onpub); b=$(tables_of onsub)
while IFS= read -r line; do
    key=$(cut -d' ' -f1,2 <<<"$line")
    check "after a month of changes: $key identical" "$(grep "^$key " <<<"$b")" "$line"
done <<<"$a"
check "the subscriber posted nothing of its own: as many postings and activity rows as the publisher" \
    "$(onsub psql -X -At -d rr_lr -c "SELECT (SELECT count(*) FROM revrec.posting) || '/' || (SELECT count(*) FROM revrec.activity)")" \
    "$(onpub psql -X -At -d rr_lr -c "SELECT (SELECT count(*) FROM revrec.posting) || '/' || (SELECT count(*) FROM revrec.activity)")"
check "revrec.verify() on the publisher finds nothing" \
    "$(onpub psql -X -At -d rr_lr -c "SELECT string_agg(v::text, '; ') FROM revrec.verify() v")" ""
check "revrec.verify() on the subscriber reports only its sequences (not replicated)" \
    "$(onsub psql -X -At -d rr_lr -c "SELECT string_agg(DISTINCT v.check, ',') FROM revrec.verify() v")" "sequence behind"
onsub psql -X -q -d rr_lr -c 'DROP SUBSCRIPTION rr_sub' 2>/dev/null || true
