-- Credit notes on a milestone project (README "Credit notes"): the open
-- milestones are what is left to recognize, so a credit comes off deferred
-- as far as they reach, and the next completions recognize what is left,
-- in proportion to their amounts (the last one takes the rest).
-- Found in review: a cancel credit of 300 on a 1,000 project with 400 done
-- reversed 300 of recognized revenue (deferred untouched) and the last
-- milestone could then never be completed (RV014); an adjust credit
-- recognized 300 MORE on the credit date and left nothing for the open one.
BEGIN;
SELECT plan(22);

CREATE FUNCTION pg_temp.flush() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    SET CONSTRAINTS ALL DEFERRED;
END $$;
-- one group's balance per account (debit > 0) over all time, or on one day
CREATE FUNCTION pg_temp.bal(inv text, acct text, day date DEFAULT NULL) RETURNS numeric LANGUAGE sql AS $$
    SELECT coalesce(sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END), 0)
      FROM revrec.journal_entry WHERE invoice_id = inv AND account = acct AND (day IS NULL OR entry_date = day) $$;
-- a project: one 1,000.00 line, milestones given as (id, amount, completed_on)
CREATE FUNCTION pg_temp.project(inv text, ms jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO revrec.invoice VALUES (inv, inv, 'C1', 'USD', '2025-01-01', 'issued');
    INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES (inv || '-L', inv, 'PS', 1000);
    INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on)
    SELECT inv || '-' || (m->>0), inv || '-L', m->>0, (m->>1)::numeric, (m->>2)::date FROM jsonb_array_elements(ms) m;
    PERFORM pg_temp.flush();
END $$;
CREATE FUNCTION pg_temp.credit(inv text, amt numeric, day date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO revrec.credit_note VALUES ('CN-' || inv || day, 'CN-' || inv || day, 'C1', inv, 'USD', day);
    INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
    VALUES ('CN-' || inv || day || '-1', 'CN-' || inv || day, inv || '-L', amt);
    PERFORM pg_temp.flush();
END $$;
CREATE FUNCTION pg_temp.complete(m text, day date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE revrec.milestone SET completed_on = day WHERE milestone_id = m;
    PERFORM pg_temp.flush();
END $$;

INSERT INTO revrec.customer VALUES ('C1', 'Acme');
INSERT INTO revrec.product VALUES ('PS', 'Project', 'milestone');

-- cancel: Design 400 done on Feb 1, Build 600 open; 300 credited on Mar 1
SELECT pg_temp.project('A', '[["Design", 400, "2025-02-01"], ["Build", 600, null]]');
SELECT pg_temp.credit('A', 300, '2025-03-01');
SELECT is(pg_temp.bal('A', 'deferred', '2025-03-01'), 300.00, 'cancel: the credit comes off deferred (Build is still open)');
SELECT is(pg_temp.bal('A', 'recognized', '2025-03-01'), 0.00, 'cancel: no recognized revenue is reversed');
SELECT lives_ok($$SELECT pg_temp.complete('A-Build', '2025-04-01')$$, 'cancel: the open milestone can be completed');
SELECT is(pg_temp.bal('A', 'recognized', '2025-04-01'), -300.00, 'cancel: completing it recognizes what is left (600 - 300)');
SELECT is(pg_temp.bal('A', 'deferred'), 0.00, 'cancel: nothing deferred once every milestone is done');
SELECT is(pg_temp.bal('A', 'recognized'), -700.00, 'cancel: recognized equals what is left billed');

-- adjust: the same project re-priced to 700: Design 280, Build 420
UPDATE revrec.settings SET credit_note_mode = 'adjust';
SELECT pg_temp.project('B', '[["Design", 400, "2025-02-01"], ["Build", 600, null]]');
SELECT pg_temp.credit('B', 300, '2025-03-01');
SELECT is(pg_temp.bal('B', 'recognized', '2025-03-01'), 120.00, 'adjust: the catch-up takes back 400 - 280 of recognized');
SELECT is(pg_temp.bal('B', 'deferred', '2025-03-01'), 180.00, 'adjust: the rest of the credit comes off deferred');
SELECT is(pg_temp.bal('B', 'deferred'), -420.00, 'adjust: the open milestone''s new price (600 x 700 / 1000) stays deferred');
SELECT pg_temp.complete('B-Build', '2025-04-01');
SELECT is(pg_temp.bal('B', 'recognized', '2025-04-01'), -420.00, 'adjust: completing it recognizes its new price');
SELECT is(pg_temp.bal('B', 'deferred'), 0.00, 'adjust: nothing deferred at the end');
UPDATE revrec.settings SET credit_note_mode = 'cancel';

-- two open milestones share what is left in proportion to their amounts
SELECT pg_temp.project('C', '[["Design", 400, "2025-02-01"], ["Build", 300, null], ["Run", 300, null]]');
SELECT pg_temp.credit('C', 300, '2025-03-01');
SELECT pg_temp.complete('C-Build', '2025-04-01');
SELECT is(pg_temp.bal('C', 'recognized', '2025-04-01'), -150.00, 'two open: the first completion takes 300 x 300 / 600');
SELECT pg_temp.complete('C-Run', '2025-05-01');
SELECT is(pg_temp.bal('C', 'recognized', '2025-05-01'), -150.00, 'two open: the last takes the rest');
SELECT is(pg_temp.bal('C', 'deferred'), 0.00, 'two open: nothing deferred at the end');
-- ... and two completed in one transaction split it the same way
SELECT pg_temp.project('D', '[["Design", 400, "2025-02-01"], ["Build", 300, null], ["Run", 300, null]]');
SELECT pg_temp.credit('D', 300, '2025-03-01');
UPDATE revrec.milestone SET completed_on = '2025-04-01' WHERE milestone_id IN ('D-Build', 'D-Run');
SELECT pg_temp.flush();
SELECT is(pg_temp.bal('D', 'recognized', '2025-04-01'), -300.00, 'two completed at once recognize what is left, not more');
SELECT is(pg_temp.bal('D', 'deferred'), 0.00, 'two completed at once: nothing deferred, nothing below zero');

-- a credit larger than what is open: deferred to zero, the excess off recognized
SELECT pg_temp.project('E', '[["Design", 900, "2025-02-01"], ["Build", 100, null]]');
SELECT pg_temp.credit('E', 300, '2025-03-01');
SELECT is(pg_temp.bal('E', 'deferred', '2025-03-01'), 100.00, 'a credit beyond the open milestones empties deferred ...');
SELECT is(pg_temp.bal('E', 'recognized', '2025-03-01'), 200.00, '... and reverses the excess of recognized revenue');
SELECT pg_temp.complete('E-Build', '2025-04-01');
SELECT is(pg_temp.bal('E', 'recognized', '2025-04-01'), 0.00, 'its completion then has nothing left to recognize');

-- once a credit re-priced the group, completed milestones are final
SELECT throws_ok($$SELECT pg_temp.complete('A-Design', NULL)$$, 'RV014', NULL,
                 'un-completing a milestone of a credited group is refused');
SELECT throws_ok($$SELECT pg_temp.complete('A-Design', '2025-02-15')$$, 'RV014', NULL,
                 'moving it is refused too');

SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'verify() finds nothing');
SELECT * FROM finish();
ROLLBACK;
