-- revrec.verify(): the subledger checked against its documents.
-- One row per problem found, none when the ledger is consistent:
--   not posted / posted twice / posted draft   an issued document without its
--        postings, a group or line posted more than once, a draft with postings
--   not reversed      a void document whose postings were not reversed
--   billed differs    an invoice's issue postings bill other than its lines
--   usage differs     a usage line's recognized usage differs from its usage rows
--   milestones differ a milestone line recognizes other than its completed milestones
--                     (once credited: deferred outside 0..its open milestones)
--   credit differs    a credit note line's posting credits other than its amount
--   no document       an invoice's lines of a customer that does not have the
--                     invoice, or a posting of a document its customer does not have;
--                     a usage row, milestone or credit note line likewise
--   unbalanced        a posting whose entries do not balance
--   unknown account   a posting naming an account not in revrec.ledger_account
--   activity differs  the activity log's entries or debits for a document
--                     differ from its journal entries
--   sequence behind   a sequence whose next value is already taken
--   posting id twice  two postings with one posting_id (on Citus, a node
--                     posting from another node's range of ids)
-- Run it after a restore, before a close, and in the tests.  It reads only
-- (reader and admin may call it) and runs as the caller.
CREATE OR REPLACE FUNCTION revrec.verify()
    RETURNS TABLE ("check" text, document text, detail text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    known smallint[] := ARRAY(SELECT a.account_id FROM revrec.ledger_account a);
    -- the posting row given to the C checks below: the whole row p; on a
    -- distributed revrec (docs/CITUS.md), where the query runs on the shards
    -- and p has a shard's row type, ROW(p.*)::revrec.posting, the same row
    -- (slower to build: 10-15% more for these two queries on a single node)
    dist  boolean := revrec._citus_active();
    prow  text := CASE WHEN NOT dist THEN 'p'
                       ELSE 'ROW(p.*)::revrec.posting' END;
BEGIN
    -- (Every child is joined to its parent by (customer_id, id), not by the
    -- id alone: on a single node the ids are unique and a child's customer is
    -- its parent's, so this is the same join; on Citus, where documents are
    -- distributed by customer_id, it is one Citus can plan (docs/CITUS.md).
    -- The posting engines join the same way: invoice lines whose customer
    -- does not have their invoice are never posted, and are reported as
    -- 'no document' below (not counted with the invoice).
    -- Each query returns its rows in a set order, so that close_summary's
    -- first problems are the same wherever verify() runs.)

    -- issue postings per invoice group, and the lines' groups
    RETURN QUERY
    WITH l AS (   -- (lines naming no invoice of their customer: orphan)
        SELECT l.customer_id, l.invoice_id, count(*) AS n_lines, sum(revrec.to_minor_units(l.amount, i.currency)) AS billed_lines,
               bool_or(i.invoice_id IS NULL) AS orphan
          FROM revrec.invoice_line l
          LEFT JOIN revrec.invoice i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
         GROUP BY 1, 2),
    p AS (
        SELECT p.customer_id, p.source_id AS invoice_id,
               count(*) FILTER (WHERE p.reason = 'issue') AS n_issue,
               count(*) FILTER (WHERE p.reason = 'void') AS n_void,
               sum(revrec._account_sum(p.entries, 1::smallint)) FILTER (WHERE p.reason = 'issue') AS billed,
               count(*) FILTER (WHERE p.reason = 'issue')
                 - count(DISTINCT p.line_id) FILTER (WHERE p.reason = 'issue') AS dup
          FROM revrec.posting p
         WHERE p.source = 'invoice'
         GROUP BY 1, 2),
    inv AS (
        SELECT coalesce(i.invoice_id, l.invoice_id) AS invoice_id, i.status, coalesce(l.n_lines, 0) AS n_lines,
               CASE WHEN NOT l.orphan THEN l.billed_lines END AS billed_lines,
               coalesce(p.n_issue, 0) AS n_issue, coalesce(p.n_void, 0) AS n_void, p.billed, coalesce(p.dup, 0) AS dup,
               coalesce(l.orphan, false) AS orphan, l.customer_id AS line_customer
          FROM revrec.invoice i
          FULL JOIN l ON l.customer_id = i.customer_id AND l.invoice_id = i.invoice_id
          LEFT JOIN p ON p.customer_id = i.customer_id AND p.invoice_id = i.invoice_id),
    bad AS (   -- the invoices with a problem below (few), read once
        SELECT v.* FROM inv v
         WHERE (v.status = 'issued' AND v.n_issue = 0 AND coalesce(v.billed_lines, 0) <> 0)
            OR v.dup > 0
            OR (v.status = 'draft' AND v.n_issue + v.n_void > 0)
            OR (v.status = 'void' AND v.n_issue > 0 AND v.n_void = 0)
            OR (v.n_issue > 0 AND coalesce(v.billed_lines, 0) <> coalesce(v.billed, 0))
            OR v.orphan)
    SELECT x.c, x.d, x.t FROM (
        SELECT 1 AS k, 'not posted' AS c, 'invoice ' || v.invoice_id AS d, format('issued with %s lines, no issue posting', v.n_lines) AS t
          -- (a void invoice without postings is a draft voided before it was issued: nothing to post)
          FROM bad v WHERE v.status = 'issued' AND v.n_issue = 0 AND coalesce(v.billed_lines, 0) <> 0
        UNION ALL
        SELECT 2, 'posted twice', 'invoice ' || v.invoice_id, format('%s issue postings for one group', v.dup + 1)
          FROM bad v WHERE v.dup > 0
        UNION ALL
        SELECT 3, 'posted draft', 'invoice ' || v.invoice_id, format('a draft with %s postings', v.n_issue + v.n_void)
          FROM bad v WHERE v.status = 'draft' AND v.n_issue + v.n_void > 0
        UNION ALL
        SELECT 4, 'not reversed', 'invoice ' || v.invoice_id, 'void, but its postings are not reversed'
          FROM bad v WHERE v.status = 'void' AND v.n_issue > 0 AND v.n_void = 0
        UNION ALL
        SELECT 5, 'billed differs', 'invoice ' || v.invoice_id,
               format('lines bill %s, issue postings %s (minor units)', v.billed_lines, v.billed)
          FROM bad v WHERE v.n_issue > 0 AND coalesce(v.billed_lines, 0) <> coalesce(v.billed, 0)
        UNION ALL
        SELECT 6, 'no document', 'invoice ' || v.invoice_id,
               format('%s lines of customer %s name it, not an invoice of that customer (never posted)', v.n_lines,
                      coalesce(v.line_customer, '(none)'))
          FROM bad v WHERE v.orphan) x
     ORDER BY x.k, x.d, x.t;

    -- usage lines: what the ledger recognized on usage days (every day but
    -- the service end, where the rest is recognized) is the usage recorded
    RETURN QUERY
    WITH ul AS (
        SELECT l.line_id, l.invoice_id, i.customer_id, i.currency, l.service_end, coalesce(l.group_id, l.line_id) AS grp
          FROM revrec.invoice_line l
          JOIN revrec.invoice i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
          LEFT JOIN revrec.product pr ON pr.product_id = l.product_id
         WHERE coalesce(l.recognition_method, pr.recognition_method) = 'usage' AND i.status = 'issued'
           AND l.group_id IS NULL)
    SELECT 'usage differs', 'invoice ' || u.invoice_id || ' line ' || u.line_id,
           format('usage rows %s, recognized on usage days %s (minor units)', r.used, g.recognized)
      FROM ul u,
           LATERAL (SELECT coalesce(sum(revrec.to_minor_units(x.amount, u.currency)), 0) AS used
                      FROM revrec.usage x WHERE x.customer_id = u.customer_id AND x.line_id = u.line_id
                       AND x.usage_date <> u.service_end) r,
           LATERAL (SELECT coalesce(-sum(p.entries[k + 2]), 0) AS recognized
                      FROM revrec.posting p, generate_subscripts(p.entries, 1) k
                     WHERE p.customer_id = u.customer_id AND p.source = 'invoice' AND p.source_id = u.invoice_id
                       AND p.line_id = u.grp AND p.reason IN ('issue', 'usage') AND k % 3 = 1
                       AND p.entries[k + 1] = 3 AND p.entries[k] <> revrec._d(u.service_end)) g
     WHERE EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = u.customer_id AND p.source = 'invoice'
                      AND p.source_id = u.invoice_id AND p.reason = 'issue')
       AND r.used <> g.recognized
     ORDER BY 2;

    -- milestone lines recognize their completed milestones; once a credit
    -- note re-priced the group, its open milestones hold what is left
    -- deferred: between nothing and their amounts, nothing when none is open
    RETURN QUERY
    SELECT 'milestones differ', 'invoice ' || i.invoice_id || ' line ' || l.line_id,
           CASE WHEN g.credited
                THEN format('credited group: open milestones %s, deferred over all time %s (minor units)', m.open, g.deferred)
                ELSE format('completed milestones %s, recognized %s (minor units)', m.done, g.recognized) END
      FROM revrec.invoice_line l
      JOIN revrec.invoice i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
      LEFT JOIN revrec.product pr ON pr.product_id = l.product_id,
           LATERAL (SELECT coalesce(sum(revrec.to_minor_units(x.amount, i.currency)) FILTER (WHERE x.completed_on IS NOT NULL), 0) AS done,
                           coalesce(sum(revrec.to_minor_units(x.amount, i.currency)) FILTER (WHERE x.completed_on IS NULL), 0) AS open
                      FROM revrec.milestone x WHERE x.customer_id = l.customer_id AND x.line_id = l.line_id) m,
           LATERAL (SELECT coalesce(-sum(revrec._account_sum(p.entries, 3::smallint))
                                        FILTER (WHERE p.source = 'invoice' AND p.reason IN ('issue', 'milestone')), 0) AS recognized,
                           coalesce(-sum(revrec._account_sum(p.entries, 2::smallint)), 0) AS deferred,
                           bool_or(p.source = 'credit_note') AS credited
                      FROM revrec.posting p
                     WHERE p.customer_id = i.customer_id AND p.invoice_id = i.invoice_id
                       AND p.line_id = coalesce(l.group_id, l.line_id)
                       AND ((p.source = 'invoice' AND p.source_id = i.invoice_id) OR p.source = 'credit_note')) g
     WHERE coalesce(l.recognition_method, pr.recognition_method) = 'milestone' AND i.status = 'issued'
       AND l.group_id IS NULL
       AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                      AND p.source_id = i.invoice_id AND p.reason = 'issue')
       AND CASE WHEN g.credited THEN g.deferred < 0 OR g.deferred > m.open OR (m.open = 0 AND g.deferred <> 0)
                ELSE m.done <> g.recognized END
     ORDER BY 2;

    -- credit notes: each line of an issued (or void) one posted once, for its amount
    RETURN QUERY
    SELECT CASE WHEN n = 0 THEN 'not posted' WHEN n > 1 THEN 'posted twice' ELSE 'credit differs' END,
           'credit note ' || c.credit_note_id || ' line ' || cl.credit_note_line_id,
           format('%s postings crediting billed %s, the line is %s (minor units)', x.n, x.credited,
                  revrec.to_minor_units(cl.amount, c.currency))
      FROM revrec.credit_note c
      JOIN revrec.credit_note_line cl ON cl.customer_id = c.customer_id AND cl.credit_note_id = c.credit_note_id,
           LATERAL (SELECT count(*) FILTER (WHERE p.reason IN ('credit', 'adjust')) AS n,
                           -sum(revrec._account_sum(p.entries, 1::smallint))
                               FILTER (WHERE p.reason IN ('credit', 'adjust')) AS credited
                      FROM revrec.posting p
                     WHERE p.customer_id = c.customer_id AND p.source = 'credit_note' AND p.source_id = c.credit_note_id
                       AND p.ref_id = cl.credit_note_line_id) x
     WHERE (c.status = 'issued' OR (c.status = 'void' AND x.n > 0))   -- (void with none: a voided draft)
       AND (x.n <> 1 OR x.credited IS DISTINCT FROM revrec.to_minor_units(cl.amount, c.currency))
     ORDER BY 2;
    RETURN QUERY
    SELECT 'not reversed', 'credit note ' || c.credit_note_id, 'void, but its postings are not reversed'
      FROM revrec.credit_note c
     WHERE c.status = 'void'
       AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = c.customer_id AND p.source = 'credit_note'
                      AND p.source_id = c.credit_note_id AND p.reason <> 'void')
       AND NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = c.customer_id AND p.source = 'credit_note'
                          AND p.source_id = c.credit_note_id AND p.reason = 'void')
     ORDER BY 2;
    RETURN QUERY
    SELECT 'posted draft', 'credit note ' || c.credit_note_id, 'a draft with postings'
      FROM revrec.credit_note c
     WHERE c.status = 'draft'
       AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = c.customer_id AND p.source = 'credit_note'
                      AND p.source_id = c.credit_note_id)
     ORDER BY 2;

    -- billing schedule lines: posted exactly once (unless of no amount)
    RETURN QUERY
    SELECT CASE WHEN x.n = 0 THEN 'not posted' ELSE 'posted twice' END, 'billing schedule line ' || b.schedule_line_id,
           format('%s issue postings', x.n)
      FROM revrec.billing_schedule_line b,
           LATERAL (SELECT count(*) AS n FROM revrec.posting p WHERE p.customer_id = b.customer_id
                       AND p.source = 'billing_schedule' AND p.source_id = b.schedule_line_id AND p.reason = 'issue') x
     WHERE x.n <> CASE WHEN revrec.to_minor_units(b.amount, b.currency) = 0 THEN 0 ELSE 1 END
     ORDER BY 2;

    -- postings that name a document their customer does not have
    RETURN QUERY
    SELECT 'no document', x.source || ' ' || x.source_id, format('posting %s (%s)', x.posting_id, x.reason)
      FROM (SELECT p.source, p.source_id, p.posting_id, p.reason
              FROM revrec.posting p
             WHERE p.source = 'invoice'
               AND NOT EXISTS (SELECT 1 FROM revrec.invoice i WHERE i.customer_id = p.customer_id AND i.invoice_id = p.source_id)
            UNION ALL
            SELECT p.source, p.source_id, p.posting_id, p.reason
              FROM revrec.posting p
             WHERE p.source = 'credit_note'
               AND NOT EXISTS (SELECT 1 FROM revrec.credit_note c WHERE c.customer_id = p.customer_id
                                  AND c.credit_note_id = p.source_id)
            UNION ALL
            SELECT p.source, p.source_id, p.posting_id, p.reason
              FROM revrec.posting p
             WHERE p.source = 'billing_schedule'
               AND NOT EXISTS (SELECT 1 FROM revrec.billing_schedule_line b WHERE b.customer_id = p.customer_id
                                  AND b.schedule_line_id = p.source_id)) x
     ORDER BY x.source, x.source_id, x.posting_id;

    -- usage rows, milestones and credit note lines naming a parent their
    -- customer does not have: the checks above join them by (customer_id,
    -- id), so they are not counted there (and the invoice engine does not
    -- read them: a usage row's revenue is missing from the ledger)
    RETURN QUERY
    SELECT 'no document', x.d, x.t
      FROM (SELECT 'usage ' || u.usage_id AS d,
                   format('names line %s, not a line of customer %s', u.line_id, coalesce(u.customer_id, '(none)')) AS t
              FROM revrec.usage u
             WHERE NOT EXISTS (SELECT 1 FROM revrec.invoice_line l WHERE l.customer_id = u.customer_id AND l.line_id = u.line_id)
            UNION ALL
            SELECT 'milestone ' || m.milestone_id,
                   format('names line %s, not a line of customer %s', m.line_id, coalesce(m.customer_id, '(none)'))
              FROM revrec.milestone m
             WHERE NOT EXISTS (SELECT 1 FROM revrec.invoice_line l WHERE l.customer_id = m.customer_id AND l.line_id = m.line_id)
            UNION ALL
            SELECT 'credit note ' || cl.credit_note_id || ' line ' || cl.credit_note_line_id,
                   format('names credit note %s, not a credit note of customer %s', cl.credit_note_id,
                          coalesce(cl.customer_id, '(none)'))
              FROM revrec.credit_note_line cl
             WHERE NOT EXISTS (SELECT 1 FROM revrec.credit_note c WHERE c.customer_id = cl.customer_id
                                  AND c.credit_note_id = cl.credit_note_id)) x
     ORDER BY x.d, x.t;

    -- every posting balances on each date (so every journal does), on known
    -- accounts: the stored rows checked without expanding their days
    RETURN QUERY EXECUTE format($q$
    SELECT CASE WHEN x.unbalanced_on IS NOT NULL THEN 'unbalanced' ELSE 'unknown account' END, x.source || ' ' || x.source_id,
           CASE WHEN x.unbalanced_on IS NOT NULL
                THEN format('posting %%s: debits - credits = %%s on %%s', x.posting_id, x.net, x.unbalanced_on)
                ELSE format('posting %%s: account ids %%s are not in revrec.ledger_account', x.posting_id,
                            (SELECT string_agg(a::text, ', ' ORDER BY a) FROM unnest(x.accounts) a WHERE a <> ALL ($1))) END
      FROM (SELECT p.source, p.source_id, p.posting_id, s.unbalanced_on, s.net, s.accounts
              FROM revrec.posting p, revrec._posting_balance(%s) s
             WHERE s.unbalanced_on IS NOT NULL OR NOT s.accounts <@ $1) x
     ORDER BY x.source, x.source_id, x.posting_id
    $q$, prow) USING known;

    -- the activity log matches the journal, per document
    RETURN QUERY EXECUTE format($q$
    WITH a AS (SELECT x.source, x.document_id, x.currency, sum(x.entries) AS n, coalesce(sum(x.amount), 0) AS dr
                 FROM revrec.activity x WHERE x.source IS NOT NULL GROUP BY 1, 2, 3),
         j AS (SELECT p.source, p.source_id AS document_id, p.currency, sum(s.n_entries) AS n,
                      revrec.from_minor_units(sum(s.debits)::bigint, p.currency) AS dr
                 FROM revrec.posting p, revrec._posting_stats(%s) s GROUP BY 1, 2, 3)
    SELECT 'activity differs', coalesce(a.source, j.source) || ' ' || coalesce(a.document_id, j.document_id),
           format('activity log: %%s entries, %%s debits; journal: %%s entries, %%s debits',
                  coalesce(a.n, 0), coalesce(a.dr, 0), coalesce(j.n, 0), coalesce(j.dr, 0))
      FROM a FULL JOIN j ON j.source = a.source AND j.document_id = a.document_id AND j.currency = a.currency
     WHERE coalesce(a.n, 0) <> coalesce(j.n, 0) OR coalesce(a.dr, 0) <> coalesce(j.dr, 0)
     ORDER BY 2, 3
    $q$, prow);

    -- one posting_id, two postings: nothing revrec writes does that (one
    -- sequence on a single node; on Citus each node's own range, which a
    -- node added after distribute() does not have: src/citus_shard.c refuses
    -- to post there, docs/CITUS.md)
    RETURN QUERY
    SELECT 'posting id twice', d.posting_id::text, pg_catalog.format('%s postings, of customers %s to %s', d.n, d.lo, d.hi)
      FROM (SELECT p.posting_id, count(*) AS n, min(p.customer_id) AS lo, max(p.customer_id) AS hi
              FROM revrec.posting p GROUP BY 1 HAVING count(*) > 1) d
     ORDER BY d.posting_id;

    -- sequences ahead of their data
    -- (on Citus, each worker's sequence against the ids of its range first:
    -- where a single node reports its one sequence of postings)
    IF dist THEN
        RETURN QUERY EXECUTE $q$
        SELECT 'sequence behind', 'revrec.posting_posting_id_seq',
               format('last value %s, largest id in use %s (worker %s:%s)', split_part(w.result, ',', 2), u.used,
                      w.nodename, w.nodeport)
          FROM pg_catalog.run_command_on_workers(
                   'SELECT g.groupid || '','' || s.last_value FROM pg_catalog.pg_dist_local_group g, revrec.posting_posting_id_seq s') w
          JOIN (SELECT p.posting_id >> 48 AS grp, max(p.posting_id) AS used FROM revrec.posting p
                 WHERE p.posting_id >= 281474976710656 GROUP BY 1) u
            ON w.success AND u.grp = split_part(w.result, ',', 1)::bigint
         WHERE u.used > split_part(w.result, ',', 2)::bigint
         ORDER BY w.nodename, w.nodeport
        $q$;
    END IF;
    RETURN QUERY
    SELECT 'sequence behind', s.name, format('last value %s, largest id in use %s', s.last, s.used)
      FROM (SELECT 'revrec.posting_posting_id_seq' AS name, (SELECT last_value FROM revrec.posting_posting_id_seq) AS last,
                   -- (the ids of its range, below 2^48: all of a single node's.  On
                   -- Citus each worker posts with ids from its own range of its own
                   -- sequence, from its group id times 2^48, the coordinator's being
                   -- group 0; revrec._citus_groups() keeps the workers'.  A single
                   -- node restored from a distributed revrec's dump goes on with the
                   -- coordinator's range: docs/CITUS.md, "Backup and restore")
                   (SELECT max(posting_id) FROM revrec.posting WHERE posting_id < 281474976710656) AS used
            UNION ALL
            SELECT 'revrec.activity_activity_id_seq', (SELECT last_value FROM revrec.activity_activity_id_seq),
                   (SELECT max(activity_id) FROM revrec.activity)
            UNION ALL
            SELECT 'revrec.usage_usage_id_seq', (SELECT last_value FROM revrec.usage_usage_id_seq),
                   (SELECT max(usage_id) FROM revrec.usage)
            UNION ALL
            SELECT 'revrec.ledger_account_account_id_seq', (SELECT last_value FROM revrec.ledger_account_account_id_seq),
                   (SELECT max(account_id) FROM revrec.ledger_account WHERE account_id >= 100)) s
     WHERE s.used > s.last;
END $$;
