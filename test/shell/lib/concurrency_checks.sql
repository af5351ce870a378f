-- The model test's checks (test/shell/concurrency.sh, make fuzz's model
-- mode): one row per check, "check name | number of violations | examples".
-- Everything here is recomputed from the documents and the model's own
-- records (conc_lock, conc_mj), never read from revrec's reports.
--
-- Sign rule (holds by design, README "Journals"): for a group with net
-- amount A >= 0, deferred is credited on the accounting date with what is not
-- yet earned and debited as it is recognized, so its balance (credit - debit)
-- is A - recognized so far >= 0; unbilled is debited with what is earned
-- before the accounting date and credited with exactly that on it, so its
-- balance (debit - credit) is >= 0.  Catch-up entries (locks) only move a
-- posting's earlier days onto a later day, credits reduce deferred by at most
-- what is deferred, voids net to zero from the void day.  Checked at the end
-- of every day a group has entries, over all its postings (invoice, usage,
-- milestones, credit notes, voids).  The model only writes groups with
-- A >= 0 (charges, discounts smaller than their charge).
\pset footer off
\pset tuples_only on
\pset format unaligned
\pset fieldsep ' | '
CREATE TEMP TABLE je AS
SELECT j.posting_id, j.source, j.invoice_id, j.credit_note_id, j.line_id, j.journal_number, j.entry_date, j.account, j.currency,
       CASE j.direction WHEN 'debit' THEN j.amount ELSE -j.amount END AS dr
  FROM revrec.journal_entry j;

-- 1. revrec's own consistency check
SELECT 'verify() finds nothing', count(*), string_agg("check" || ': ' || document || ' (' || detail || ')', '; ')
  FROM (SELECT * FROM revrec.verify() LIMIT 5) v;

-- 2. every journal balances, per currency
SELECT 'every journal balances', count(*), string_agg(journal_number || ' ' || net, '; ')
  FROM (SELECT journal_number, sum(dr) AS net FROM je GROUP BY journal_number, currency HAVING sum(dr) <> 0 LIMIT 5) x;

-- 3. the sign rule, day by day per group
SELECT 'no group has deferred in debit or unbilled in credit', count(*),
       string_agg(invoice_id || '/' || line_id || ' ' || account || ' ' || entry_date || ' ' || bal, '; ')
  FROM (SELECT * FROM (
          SELECT invoice_id, line_id, account, entry_date,
                 sum(sum(dr)) OVER (PARTITION BY invoice_id, line_id, account ORDER BY entry_date) AS bal
            FROM je WHERE invoice_id IS NOT NULL AND line_id IS NOT NULL AND account IN ('deferred', 'unbilled')
           GROUP BY invoice_id, line_id, account, entry_date) d
         WHERE (account = 'deferred' AND bal > 0) OR (account = 'unbilled' AND bal < 0)
         ORDER BY invoice_id, line_id, entry_date LIMIT 5) x;

-- 4. the ledger equals a recomputation from the final documents, per group
--    and account, over all time: billed = the group's lines less its credit
--    notes (issued, not void) while the invoice is issued, nothing once it is
--    void (its credit notes are reversed with it) or still a draft; unbilled
--    nets to zero; deferred holds only what has no date yet (milestones not
--    completed; for milestone groups without credit notes exactly those) and
--    recognized the rest.
CREATE TEMP TABLE model AS
WITH grp AS (
    SELECT i.invoice_id, coalesce(l.group_id, l.line_id) AS line_id, i.status,
           sum(l.amount) AS lines,
           bool_or(coalesce(l.recognition_method, p.recognition_method) = 'milestone') AS milestone_group
      FROM revrec.invoice i JOIN revrec.invoice_line l USING (invoice_id)
      LEFT JOIN revrec.product p ON p.product_id = l.product_id
     GROUP BY 1, 2, 3),
cred AS (
    SELECT c.invoice_id, coalesce(l.group_id, l.line_id) AS line_id, sum(cl.amount) AS credited, count(*) AS n
      FROM revrec.credit_note c JOIN revrec.credit_note_line cl USING (credit_note_id)
      JOIN revrec.invoice_line l ON l.line_id = cl.line_id
     WHERE c.status = 'issued'
     GROUP BY 1, 2),
open_ms AS (
    SELECT coalesce(l.group_id, l.line_id) AS line_id, l.invoice_id, sum(m.amount) FILTER (WHERE m.completed_on IS NULL) AS open
      FROM revrec.milestone m JOIN revrec.invoice_line l ON l.line_id = m.line_id GROUP BY 1, 2)
SELECT g.invoice_id, g.line_id, g.milestone_group, coalesce(c.n, 0) AS credit_notes,
       CASE WHEN g.status = 'issued' THEN g.lines - coalesce(c.credited, 0) ELSE 0 END AS billed,
       CASE WHEN g.status = 'issued' AND g.milestone_group THEN coalesce(o.open, 0) ELSE 0 END AS deferred
  FROM grp g LEFT JOIN cred c USING (invoice_id, line_id) LEFT JOIN open_ms o USING (invoice_id, line_id);

SELECT 'ledger equals the documents: billed, unbilled, deferred, recognized per group', count(*),
       string_agg(format('%s/%s %s: ledger %s, documents %s', invoice_id, line_id, account, got, want), '; ')
  FROM (SELECT * FROM (
          SELECT coalesce(m.invoice_id, l.invoice_id) AS invoice_id, coalesce(m.line_id, l.line_id) AS line_id, a.account,
                 CASE a.account WHEN 'billed' THEN coalesce(l.billed, 0) WHEN 'unbilled' THEN coalesce(l.unbilled, 0)
                                WHEN 'deferred' THEN -coalesce(l.deferred, 0) ELSE -coalesce(l.recognized, 0) END AS got,
                 CASE a.account WHEN 'billed' THEN coalesce(m.billed, 0) WHEN 'unbilled' THEN 0
                                WHEN 'deferred' THEN coalesce(m.deferred, 0) ELSE coalesce(m.billed - m.deferred, 0) END AS want,
                 m.milestone_group AND m.credit_notes > 0 AS approx
            FROM model m
            FULL JOIN (SELECT invoice_id, line_id,
                              sum(dr) FILTER (WHERE account = 'billed') AS billed,
                              sum(dr) FILTER (WHERE account = 'unbilled') AS unbilled,
                              sum(dr) FILTER (WHERE account = 'deferred') AS deferred,
                              sum(dr) FILTER (WHERE account = 'recognized') AS recognized
                         FROM je WHERE invoice_id IS NOT NULL AND line_id IS NOT NULL GROUP BY 1, 2) l USING (invoice_id, line_id)
           CROSS JOIN (VALUES ('billed'), ('unbilled'), ('deferred'), ('recognized')) a(account)) x
         -- a milestone group with credit notes: what is credited may come off
         -- deferred or recognized; deferred stays within the open milestones
         WHERE CASE WHEN approx AND account IN ('deferred', 'recognized')
                    THEN NOT (account <> 'deferred' OR got BETWEEN 0 AND want)
                    ELSE got <> want END
         ORDER BY 1, 2, 3 LIMIT 5) y;

-- 5. standalone credit notes: billed and recognized down by their lines while issued
SELECT 'standalone credit notes post their lines', count(*),
       string_agg(format('%s billed %s recognized %s, lines %s', credit_note_id, billed, recognized, want), '; ')
  FROM (SELECT * FROM (
          SELECT c.credit_note_id,
                 (SELECT coalesce(sum(dr) FILTER (WHERE account = 'billed'), 0) FROM je
                   WHERE je.credit_note_id = c.credit_note_id AND je.line_id IS NULL) AS billed,
                 (SELECT coalesce(-sum(dr) FILTER (WHERE account = 'recognized'), 0) FROM je
                   WHERE je.credit_note_id = c.credit_note_id AND je.line_id IS NULL) AS recognized,
                 CASE WHEN c.status = 'issued' THEN (SELECT coalesce(sum(cl.amount), 0) FROM revrec.credit_note_line cl
                                                      WHERE cl.credit_note_id = c.credit_note_id AND cl.line_id IS NULL)
                      ELSE 0 END AS want
            FROM revrec.credit_note c WHERE c.invoice_id IS NULL) s
         WHERE billed <> -want OR recognized <> -want LIMIT 5) x;

-- 6. manual journals: exactly those the sessions committed, for their amounts
SELECT 'manual journals are exactly the committed ones', count(*), string_agg(journal_number || ' ' || got || ' <> ' || want, '; ')
  FROM (SELECT coalesce(m.journal_number, j.journal_number) AS journal_number, coalesce(j.debits, 0) AS got, coalesce(m.amount, 0) AS want
          FROM (SELECT journal_number, sum(amount) AS amount FROM conc_mj GROUP BY 1) m
          FULL JOIN (SELECT journal_number, sum(dr) FILTER (WHERE dr > 0) AS debits
                       FROM je WHERE source = 'standalone' AND credit_note_id IS NULL GROUP BY 1) j USING (journal_number)
         WHERE coalesce(j.debits, 0) <> coalesce(m.amount, 0) LIMIT 5) x;

-- 7. nothing slipped under a lock: a posting made after a lock change (its
--    id above the posting sequence's value the mover read while holding the
--    settings row) has no entry dated on or before the lock in force
SELECT 'no posting dated into the lock in force when it was made', count(*),
       string_agg(format('posting %s (%s) dated %s, lock %s', posting_id, source, first_day, lock_date), '; ')
  FROM (SELECT * FROM (
          SELECT e.posting_id, e.source, e.first_day,
                 (SELECT k.lock_date FROM conc_lock k WHERE k.mark < e.posting_id ORDER BY k.id DESC LIMIT 1) AS lock_date
            FROM (SELECT posting_id, min(source) AS source, min(entry_date) AS first_day FROM je GROUP BY 1) e) x
         WHERE first_day <= lock_date ORDER BY posting_id LIMIT 5) y;
