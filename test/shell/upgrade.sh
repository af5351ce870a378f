#!/usr/bin/env bash
# Upgrade paths: 0.1 -> 0.2 -> current and 0.1 -> current (ALTER EXTENSION
# chains the scripts).  Documents posted under 0.1 keep identical reports;
# posting works after the update; and the upgraded catalog equals a fresh
# install's, object by object: functions (definition, owner, ACL), tables'
# columns (type, default, not null), views (definition), indexes, constraints,
# triggers (definition and enabled state), sequences, every relacl and
# column ACL, the trigger states revrec's guard holds, and no table of the
# schema outside the extension (the update's Citus lines do nothing here).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
current=$(q -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'revrec'")

load_company() {
    q -d "$1" <<'SQL'
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
}
fingerprint() {
    q -d "$1" <<'SQL'
SELECT md5(string_agg(j::text, '|' ORDER BY j::text)) FROM revrec.journal_report('2024-01-01', '2026-12-31', granularity => 'day') j;
SELECT md5(string_agg(d::text, '|' ORDER BY d::text)) FROM revrec.deferred_revenue('2025-08-31') d;
SELECT md5(string_agg(w::text, '|' ORDER BY w::text)) FROM revrec.waterfall('2025-08-31') w;
SELECT md5(string_agg(row(p.customer_id, p.source, p.source_id, p.entries, p.sched_months)::text, '|' ORDER BY posting_id)) FROM revrec.posting p;
SQL
}
# One line per catalog fact of the extension's objects (names, not oids).
catalog() {
    q -d "$1" <<'SQL'
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'revrec'),
members AS (SELECT d.classid, d.objid FROM pg_depend d, ext WHERE d.refobjid = ext.oid AND d.deptype = 'e'),
rels AS (SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
SELECT x FROM (
  SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) || ' owner=' || p.proowner::regrole
         || ' acl=' || coalesce(p.proacl::text, 'default') AS x
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
  UNION ALL
  SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
         || ' owner=' || c.relowner::regrole || ' acl=' || coalesce(c.relacl::text, 'default')
    FROM rels c
  UNION ALL
  SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
         || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') || ' acl=' || coalesce(a.attacl::text, '')
    FROM pg_attribute a JOIN rels c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'view ' || c.oid::regclass || ' ' || md5(pg_get_viewdef(c.oid)) FROM rels c WHERE c.relkind = 'v'
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rels c ON c.oid = i.indrelid
  UNION ALL
  SELECT 'constraint ' || con.conrelid::regclass || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN rels c ON c.oid = con.conrelid
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
    FROM pg_trigger t JOIN rels c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'sequence ' || s.seqrelid::regclass || ' ' || s.seqtypid::regtype || ' ' || s.seqstart || ' ' || s.seqincrement
    FROM pg_sequence s JOIN rels c ON c.oid = s.seqrelid
  UNION ALL
  SELECT 'type ' || t.oid::regtype FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
  UNION ALL
  SELECT 'schema ' || n.nspname || ' acl=' || coalesce(n.nspacl::text, '')
    FROM pg_namespace n JOIN members m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
  UNION ALL
  SELECT 'config dump ' || cfg::regclass FROM pg_extension, unnest(extconfig) cfg WHERE extname = 'revrec'
  UNION ALL
  -- the states the restore guard holds the triggers to (constraint triggers' names hold oids)
  SELECT 'trigger state ' || s.relname || ' ' || s.tgname || ' ' || s.state::text FROM revrec._trigger_state s
   WHERE s.tgname NOT LIKE 'RI\_ConstraintTrigger\_%'
  UNION ALL
  -- a table or view in schema revrec that is not the extension's (a Citus object
  -- an update made on a single node: the update's Citus lines must do nothing here)
  SELECT 'not a member ' || c.oid::regclass FROM pg_class c
   WHERE c.relnamespace = 'revrec'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     AND NOT EXISTS (SELECT 1 FROM rels r WHERE r.oid = c.oid)
) z ORDER BY x;
SQL
}

# fresh install of the current version: the reference
dropdb --if-exists rr_upgrade; createdb rr_upgrade
q -d rr_upgrade -c "CREATE EXTENSION revrec"
check "fresh install is $current" "$(q -d rr_upgrade -c "SELECT extversion FROM pg_extension WHERE extname = 'revrec'")" "$current"
catalog rr_upgrade > /tmp/rr_upgrade_fresh.$$
dropdb rr_upgrade

for path in "0.1 0.2 $current" "0.1 $current" "0.2 $current"; do
    set -- $path
    start=$1; shift
    dropdb --if-exists rr_upgrade; createdb rr_upgrade
    if [ "$start" = 0.2 ]; then
        q -d rr_upgrade -c "CREATE EXTENSION revrec VERSION '0.1'" -c "ALTER EXTENSION revrec UPDATE TO '0.2'"
    else
        q -d rr_upgrade -c "CREATE EXTENSION revrec VERSION '$start'"
    fi
    load_company rr_upgrade
    before=$(fingerprint rr_upgrade)
    for v in "$@"; do q -d rr_upgrade -c "ALTER EXTENSION revrec UPDATE TO '$v'"; done
    name="$start -> $(echo "$@" | tr ' ' '>')"
    check "$name: at $current" "$(q -d rr_upgrade -c "SELECT extversion FROM pg_extension WHERE extname = 'revrec'")" "$current"
    check "$name: reports and ledger identical after the update" "$(fingerprint rr_upgrade)" "$before"
    check "$name: trial balance after the update" \
          "$(q -d rr_upgrade -c "SELECT string_agg(account || '=' || balance, ',' ORDER BY account) FROM revrec.trial_balance('2025-12-31', 'USD')")" \
          "billed=9500.00,deferred=0.00,recognized=9500.00"
    q -d rr_upgrade -c "INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C1', 'USD', '2025-08-01'); INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L3', 'I2', 'SETUP', 10)"
    check "$name: posting after the update" "$(q -d rr_upgrade -c "SELECT count(*) FROM revrec.posting WHERE source_id = 'I2'")" "1"
    check "$name: settings changed before the update are not those of a fresh install" \
          "$(q -d rr_upgrade -c "SELECT lock_date || ' ' || (updated_at IS NOT NULL) FROM revrec.settings")" "2025-06-30 true"
    catalog rr_upgrade > /tmp/rr_upgrade_up.$$
    d=$(diff /tmp/rr_upgrade_fresh.$$ /tmp/rr_upgrade_up.$$ || true)
    check "$name: catalog equals a fresh $current (functions, columns, defaults, views, indexes, constraints, triggers, ACLs)" "$d" ""
done
rm -f /tmp/rr_upgrade_fresh.$$ /tmp/rr_upgrade_up.$$
dropdb rr_upgrade
