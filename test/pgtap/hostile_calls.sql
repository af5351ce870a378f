-- Hostile callers (security audit: "no role can crash the server").  Every
-- function of the extension is called with all-NULL arguments; the crashes
-- the audit found are replayed; every C function taking a revrec.posting is
-- given hand-made malformed rows and must refuse them cleanly (22023), as
-- must the BEFORE INSERT check of revrec.posting; loops over caller-sized
-- input must honour statement_timeout.  A crash ends this file early (its
-- plan is not finished), which fails it.
BEGIN;

-- a small ledger: one straight-line invoice with a discount, one point-in-time
INSERT INTO revrec.customer VALUES ('C1', 'Acme');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup', 'point_in_time');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 1200.00, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id)
VALUES ('L1D', 'I1', 'SUB', -120.00, 'discount', 'L1');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L2', 'I1', 'SETUP', 50.00);
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;

-- q runs in a subtransaction that is always rolled back; 'ok' or 'SQLSTATE: message'
CREATE FUNCTION pg_temp.attempt(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
BEGIN
    BEGIN
        EXECUTE q;
        RAISE EXCEPTION USING ERRCODE = 'RRTOK';
    EXCEPTION
        WHEN query_canceled THEN
            RETURN '57014: canceled';
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            RETURN CASE WHEN st = 'RRTOK' THEN 'ok' ELSE st || ': ' || msg END;
    END;
END $$;

-- every function of the extension that is not a trigger function, called
-- with a NULL of each argument's type
CREATE TEMP TABLE all_null_call AS
SELECT p.oid::regprocedure::text AS sig,
       format(CASE WHEN p.proretset THEN 'SELECT count(*) FROM %s.%s(%s)' ELSE 'SELECT %s.%s(%s)' END,
              quote_ident(n.nspname), quote_ident(p.proname),
              coalesce((SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY i)
                          FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)), '')) AS q
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass AND e.extname = 'revrec'
 WHERE p.prorettype <> 'trigger'::regtype AND p.prokind = 'f';

-- hand-made revrec.posting rows: a real posting with fields replaced
CREATE FUNCTION pg_temp.base(kind text) RETURNS revrec.posting LANGUAGE sql AS $$
    SELECT p FROM revrec.posting p
     WHERE p.source_id = 'I1' AND (CASE kind WHEN 'sched' THEN p.sched_start IS NOT NULL ELSE p.sched_start IS NULL END)
     ORDER BY p.posting_id LIMIT 1 $$;
CREATE FUNCTION pg_temp.bad(kind text, j jsonb) RETURNS revrec.posting LANGUAGE sql AS $$
    SELECT jsonb_populate_record(pg_temp.base(kind), j) $$;

-- the malformations (each on a straight-line posting, with its schedule, or a
-- point-in-time one, with entries only)
CREATE TEMP TABLE malformed (what text, kind text, j jsonb);
INSERT INTO malformed VALUES
  ('entries not triples',            'pit',   '{"entries": [9131, 1, 100, 9131]}'),
  ('entries with a NULL element',    'pit',   '{"entries": [9131, null, 100, 9131, 2, -100]}'),
  ('entries two-dimensional',        'pit',   '{"entries": [[9131, 1, 100], [9131, 2, -100]]}'),
  ('entry on account 0',             'pit',   '{"entries": [9131, 0, 100, 9131, 2, -100]}'),
  ('entry on account -3',            'pit',   '{"entries": [9131, -3, 100, 9131, 2, -100]}'),
  ('entry on account 70000',         'pit',   '{"entries": [9131, 70000, 100, 9131, 2, -100]}'),
  ('entry dated past 5874897 AD',    'pit',   '{"entries": [3000000000, 1, 100, 3000000000, 2, -100]}'),
  ('entry dated before 4713 BC',     'pit',   '{"entries": [-5000000, 1, 100, -5000000, 2, -100]}'),
  ('entry dated infinity',           'pit',   '{"entries": [2147483647, 1, 100, 2147483647, 2, -100]}'),
  ('entry of -2^63',                 'pit',   '{"entries": [9131, 1, -9223372036854775808, 9131, 2, 100]}'),
  ('debits overflowing int64',       'pit',   '{"entries": [9131, 1, 9223372036854775807, 9131, 1, 9223372036854775807, 9131, 2, -9223372036854775807, 9131, 2, -9223372036854775807]}'),
  ('floor_date infinity',            'pit',   '{"floor_date": "infinity"}'),
  ('floor_date -infinity',           'pit',   '{"floor_date": "-infinity"}'),
  ('currency NULL',                  'pit',   '{"currency": null}'),
  ('currency unknown',               'pit',   '{"currency": "XYZ"}'),
  ('source NULL',                    'pit',   '{"source": null}'),
  ('source_id NULL',                 'pit',   '{"source_id": null}'),
  ('sched_end NULL',                 'sched', '{"sched_end": null}'),
  ('sched_credit NULL',              'sched', '{"sched_credit": null}'),
  ('no schedule amounts',            'sched', '{"sched_amount": null, "sched_months": null}'),
  ('sched_start after sched_end',    'sched', '{"sched_start": "2025-12-31", "sched_end": "2025-01-01"}'),
  ('sched_start -infinity',          'sched', '{"sched_start": "-infinity"}'),
  ('sched_end infinity',             'sched', '{"sched_end": "infinity"}'),
  ('sched_end in 5874897 AD',        'sched', '{"sched_end": "5874897-12-31"}'),
  ('sched_months: too few months',   'sched', '{"sched_months": [1, 2, 3]}'),
  ('sched_months: too many months',  'sched', '{"sched_months": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}'),
  ('sched_months: NULL element',     'sched', '{"sched_months": [1, 1, 1, 1, 1, null, 1, 1, 1, 1, 1, 1]}'),
  ('sched_months: two-dimensional',  'sched', '{"sched_months": [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]}'),
  ('sched_months: -2^63',            'sched', '{"sched_months": [-9223372036854775808, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}'),
  ('sched_months: sum overflows',    'sched', '{"sched_months": [9223372036854775807, 9223372036854775807, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}'),
  ('sched_amount -2^63',             'sched', '{"sched_amount": -9223372036854775808}'),
  ('sched_amount near 2^63 plus entries', 'sched', '{"sched_amount": 9223372036854775807}'),
  ('sched_strategy 9',               'sched', '{"sched_strategy": 9}'),
  ('sched_strategy 25',              'sched', '{"sched_strategy": 25}'),
  ('sched_strategy 32',              'sched', '{"sched_strategy": 32}'),
  ('sched_strategy -1',              'sched', '{"sched_strategy": -1}'),
  ('sched_before account 0',         'sched', '{"sched_before": 0}'),
  ('sched_credit account -1',        'sched', '{"sched_credit": -1}');

-- each C function that takes a revrec.posting, with ordinary other arguments
CREATE TEMP TABLE posting_call (fn text, q text);
INSERT INTO posting_call VALUES
  ('revrec._entries',               'SELECT count(*) FROM revrec._entries(%s, NULL, NULL, false)'),
  ('revrec._entries',               'SELECT count(*) FROM revrec._entries(%s, ''2025-01-01'', ''2025-12-31'', true)'),
  ('revrec._posting_sum',           'SELECT revrec._posting_sum(%s, ''-infinity'', ''infinity'')'),
  ('revrec._posting_stats',         'SELECT revrec._posting_stats(%s)'),
  ('revrec._posting_balance',       'SELECT revrec._posting_balance(%s)'),
  ('revrec._recognition_by_month',  'SELECT count(*) FROM revrec._recognition_by_month(%s, ''2025-01-01'', ''2025-12-31'')'),
  ('revrec._posting_summary',       'SELECT revrec._posting_summary(%s, ''2025-06-30'', ''2026-06-30'')'),
  ('revrec._export_lines',          'SELECT count(*) FROM revrec._export_lines(%s, NULL, NULL, ''{1,2,3,4}'', ''{a,b,c,d}'', NULL)');

SELECT plan(
    (SELECT count(*)::int FROM all_null_call) * 3 + 1   -- as superuser, reader and writer
  + 15                                            -- the audit's repros (and the fuzzer's)
  + 1                                             -- every posting function covered
  + (SELECT count(*)::int FROM malformed) * (SELECT count(*)::int FROM posting_call)
  + (SELECT count(*)::int FROM malformed)         -- the BEFORE INSERT check
  + 4                                             -- extreme but valid postings
  + 2                                             -- what verify() reads of a posting
  + 4                                             -- cancel
);

-------------------------------------------------------------------------------
-- (a) all-NULL arguments: an error is fine, a crash or an internal error is not
SET LOCAL statement_timeout = '60s';
SELECT ok(r !~ '^(XX|57014)', format('%s with all-NULL arguments: %s', sig, r))
  FROM (SELECT sig, pg_temp.attempt(q) AS r FROM all_null_call ORDER BY sig) t;
-- the same calls as revrec_reader and as revrec_writer (a permission error is fine)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_h_reader') THEN CREATE ROLE rr_h_reader; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_h_writer') THEN CREATE ROLE rr_h_writer; END IF;
END $$;
GRANT revrec_reader TO rr_h_reader;
GRANT revrec_writer TO rr_h_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC;   -- pgTAP's
GRANT SELECT ON all_null_call TO PUBLIC;
SET ROLE rr_h_reader;
SELECT ok(r !~ '^(XX|57014)', format('as reader: %s with all-NULL arguments: %s', sig, r))
  FROM (SELECT sig, pg_temp.attempt(q) AS r FROM all_null_call ORDER BY sig) t;
SET ROLE rr_h_writer;
SELECT ok(r !~ '^(XX|57014)', format('as writer: %s with all-NULL arguments: %s', sig, r))
  FROM (SELECT sig, pg_temp.attempt(q) AS r FROM all_null_call ORDER BY sig) t;
RESET ROLE;
RESET statement_timeout;
SELECT is((SELECT 1), 1, 'the backend survived every all-NULL call');

-------------------------------------------------------------------------------
-- (b) the audit's repros
SELECT is(revrec._journal_number(NULL, NULL, NULL, NULL), NULL, '_journal_number(NULL, NULL, NULL, NULL) is NULL');
SELECT throws_ok($$SELECT * FROM revrec.waterfall_csv('infinity')$$, 'RV004', NULL, 'waterfall_csv as of infinity is refused');
SELECT throws_ok($$SELECT * FROM revrec.deferred_revenue('-infinity')$$, 'RV004', NULL, 'deferred_revenue as of -infinity is refused');
SELECT throws_ok($$SELECT revrec._journal_number('invoice', 'I1', NULL, 'infinity')$$, 'RV006', NULL,
                 '_journal_number of an infinite day is refused');
SELECT is((SELECT count(*) FROM revrec._recognition_by_month(NULL::revrec.posting, '2025-01-01', '2025-12-31')), 0::bigint,
          '_recognition_by_month(NULL posting) is empty');
SELECT is((SELECT count(*) FROM revrec._export_lines(NULL, NULL, NULL, NULL, NULL, NULL)), 0::bigint,
          '_export_lines with all arguments NULL is empty');
SELECT is((SELECT count(*) FROM revrec._export_lines(pg_temp.base('sched'), NULL, NULL, NULL, NULL, NULL)) > 0, true,
          '_export_lines with NULL account arrays: lines without account names');
SELECT throws_ok($$SELECT count(*) FROM revrec._export_lines(pg_temp.base('sched'), NULL, NULL, '{1,2}', '{a}', NULL)$$,
                 '2202E', NULL, '_export_lines with account arrays of different lengths is refused');
SELECT is(revrec._post_invoices(NULL, NULL, NULL, NULL), 0::bigint,
          '_post_invoices(NULL, ...) posts nothing');
SELECT throws_ok($$SELECT count(*) FROM revrec._post_invoices('{I1}', NULL, NULL, NULL)$$, 'RV005', NULL,
                 '_post_invoices without a strategy is refused');
SELECT is((SELECT count(*) FROM revrec._entries(NULL, NULL, NULL, NULL)), 0::bigint, '_entries(NULL posting) is empty');
SELECT is(revrec._posting_sum(pg_temp.base('sched'), NULL, '2025-12-31'), NULL, '_posting_sum with a NULL date is NULL');
SELECT throws_ok($$SELECT revrec._schedule_sum(100, '2025-01-01', '2025-12-31', 99::smallint, '2025-01-01', '2025-12-31')$$,
                 'RV005', NULL, '_schedule_sum with an unknown strategy code is refused');
SELECT throws_ok($$SELECT revrec._recognition_delta('2025-01-01', ARRAY['2025-02-01', NULL]::date[], '{1,2}')$$,
                 'RV006', NULL, '_recognition_delta with a NULL date is refused');
-- its horizon, a year after as_of, is past PostgreSQL's last date (signed overflow under make ubsan)
SELECT lives_ok($$SELECT count(*) FROM revrec.deferred_revenue('5874897-06-30')$$,
                'deferred revenue as of 5874897 AD');

-------------------------------------------------------------------------------
-- (c) malformed postings: every C function taking a revrec.posting refuses them
SELECT is((SELECT array_agg(DISTINCT p.proname::text ORDER BY p.proname::text)
             FROM pg_proc p
             JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
             JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'revrec'
            WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
              AND 'revrec.posting'::regtype = ANY (p.proargtypes::oid[])),
          (SELECT array_agg(DISTINCT substr(fn, 8) ORDER BY substr(fn, 8)) FROM posting_call),
          'every C function taking a revrec.posting is called with malformed rows below');

-- (the message too: jsonb_populate_record's own errors are also 22023)
SELECT matches(pg_temp.attempt(format(c.q, format('pg_temp.bad(%L, %L)', m.kind, m.j))),
               '^22023: revrec\.posting row is malformed: ',
               format('%s refuses a posting row with %s', c.fn, m.what))
  FROM malformed m CROSS JOIN posting_call c;

-- the BEFORE INSERT check relies on the same validation
SELECT matches(pg_temp.attempt(format($q$INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, currency, reason,
                              first_date, last_date, floor_date, entries, sched_start, sched_end, sched_amount,
                              sched_strategy, sched_months, sched_split, sched_before, sched_after, sched_credit, sched_from)
                         SELECT b.customer_id, b.source, b.source_id || '-raw', b.invoice_id, b.currency, 'manual',
                                b.first_date, b.last_date, b.floor_date, b.entries, b.sched_start, b.sched_end,
                                b.sched_amount, b.sched_strategy, b.sched_months, b.sched_split, b.sched_before,
                                b.sched_after, b.sched_credit, b.sched_from
                           FROM pg_temp.bad(%L, %L) b$q$, m.kind, m.j)),
               '^22023: revrec\.posting row is malformed: ',
               format('a posting row with %s cannot be stored', m.what))
  FROM malformed m;

-- what verify() reads of a stored posting: the first date that does not
-- balance (a row the BEFORE INSERT check would refuse) and the accounts named
SELECT is((SELECT row(b.unbalanced_on, b.net, b.accounts)::text
             FROM revrec._posting_balance(pg_temp.bad('pit', '{"entries": [9131, 1, 100, 9131, 2, -100, 9132, 4, -4, 9132, 1, 5]}')) b),
          '(2025-01-01,1,"{1,2,4}")', 'an unbalanced posting: its first unbalanced date, the net and the accounts named');
SELECT is((SELECT row(b.unbalanced_on, b.net, b.accounts)::text
             FROM revrec._posting_balance(pg_temp.bad('sched', '{}')) b),
          (SELECT row(NULL::date, NULL::bigint, array_agg(DISTINCT a ORDER BY a))::text
             FROM (SELECT p.entries[k] AS a FROM pg_temp.bad('sched', '{}') p, generate_subscripts(p.entries, 1) k WHERE k % 3 = 2
                   UNION SELECT unnest(ARRAY[p.sched_before, p.sched_after, p.sched_credit]) FROM pg_temp.bad('sched', '{}') p) x),
          'a balanced posting with a schedule: no date, and the schedule''s accounts among those named');

-- extreme but valid: PostgreSQL's last month, a split at infinity
SELECT is(pg_temp.attempt(format('SELECT count(*) FROM revrec._entries(%s, NULL, NULL, false)',
          $$pg_temp.bad('sched', '{"sched_start": "5874897-12-01", "sched_end": "5874897-12-31", "floor_date": "5874897-12-31", "sched_split": "infinity"}')$$)),
          'ok', 'a schedule in 5874897 AD floored on its last day expands');
SELECT is(pg_temp.attempt(format('SELECT revrec._posting_stats(%s)',
          $$pg_temp.bad('sched', '{"sched_start": "5874897-12-01", "sched_end": "5874897-12-31", "floor_date": "5874897-12-31"}')$$)),
          'ok', 'its stats are counted');
SELECT is(pg_temp.attempt(format('SELECT count(*) FROM revrec._entries(%s, NULL, NULL, true)',
          $$pg_temp.bad('pit', '{"entries": [-2451545, 1, 100, -2451545, 2, -100], "floor_date": "4713-11-24 BC"}')$$)),
          'ok', 'an entry on 4713-11-24 BC expands by month');
SELECT is((SELECT count(*) FROM revrec._entries(pg_temp.bad('pit',
              jsonb_build_object('entries', (SELECT jsonb_agg(x) FROM generate_series(1, 3000) i,
                                             LATERAL unnest(ARRAY[9131 + i % 300, 100 + i % 200, 1, 9131 + i % 300, 2, -1]) x),
                                 'floor_date', '2025-12-31')), NULL, NULL, true)), 201::bigint,
          'a row with entries on 200 accounts before its floor catches up in one movement per account and direction');

-------------------------------------------------------------------------------
-- (d) loops over caller-sized input honour statement_timeout
CREATE FUNCTION pg_temp.timed(q text, OUT outcome text, OUT seconds numeric) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    outcome := pg_temp.attempt(q);
    seconds := extract(epoch FROM clock_timestamp() - t0);
END $$;

SET LOCAL statement_timeout = '1s';
CREATE TEMP TABLE timed AS
SELECT 'allocate' AS what, * FROM pg_temp.timed('SELECT revrec._allocate(399999, array_fill(1::bigint, ARRAY[400000]))');
RESET statement_timeout;
SELECT ok(outcome IN ('ok', '57014: canceled') AND seconds < 3,
          format('_allocate(399999, 400,000 weights) finishes or is cancelled within the timeout (%s, %s s)', outcome, round(seconds, 2)))
  FROM timed WHERE what = 'allocate';
SELECT is((revrec._allocate(7, '{1,1,1,1}'), revrec._allocate(-10, '{3,0,3,1}'), revrec._allocate(5, '{2,1,2,1,0}')),
          ('{2,2,2,1}'::bigint[], '{-4,0,-4,-2}'::bigint[], '{2,1,1,1,0}'::bigint[]),
          'largest remainder: shares unchanged, ties to the earlier weight');

SET LOCAL statement_timeout = '1s';
-- a thousand-year schedule expanded day by day, again and again, in one C call each
INSERT INTO timed
SELECT 'days', * FROM pg_temp.timed($$SELECT count(*) FROM generate_series(1, 1000) g,
    LATERAL revrec._export_lines(pg_temp.bad('sched', '{"sched_start": "2000-01-01", "sched_end": "2999-12-31", "sched_amount": 100000000}'),
                                 NULL, NULL, '{1,2,3,4}', '{a,b,c,d}', NULL)$$);
RESET statement_timeout;
SELECT ok(outcome = '57014: canceled' AND seconds < 3,
          format('expanding thousand-year schedules is cancelled by statement_timeout (%s, %s s)', outcome, round(seconds, 2)))
  FROM timed WHERE what = 'days';
SELECT is((SELECT 1), 1, 'the backend is alive at the end');

SELECT * FROM finish();
ROLLBACK;
