-- revrec's triggers stay in the state the install gave them: an ALTER TABLE
-- that disables or lowers one is refused (RV041), or in a restore session
-- put back; what they are put back to comes from revrec._trigger_state,
-- which only revrec's code writes, never from anything the session sets.
BEGIN;
SELECT plan(6);

CREATE FUNCTION pg_temp.state(rel text, tg text) RETURNS text LANGUAGE sql AS $$
    SELECT t.tgenabled::text FROM pg_trigger t WHERE t.tgrelid = rel::regclass AND t.tgname = tg $$;

SELECT is(pg_temp.state('revrec.posting', 'posting_no_update'), 'A', 'the ledger''s guard fires in replica mode too (ALWAYS)');
SELECT throws_ok($$ALTER TABLE revrec.posting DISABLE TRIGGER posting_no_update$$, 'RV041', NULL,
                 'a superuser disabling the ledger''s guard is refused');

-- a restore session (the settings pg_dump's output puts in force)
SET row_security = off; SET check_function_bodies = off; SET client_min_messages = warning;
ALTER TABLE revrec.posting DISABLE TRIGGER ALL;
SELECT is(pg_temp.state('revrec.posting', 'posting_no_update'), 'A', 'in a restore session DISABLE TRIGGER ALL is put back at once');
ALTER TABLE revrec.posting ENABLE TRIGGER ALL;
SELECT is(pg_temp.state('revrec.posting', 'posting_no_update'), 'A', '... and ENABLE TRIGGER ALL leaves the ALWAYS triggers ALWAYS');

-- what a trigger is put back to cannot be forged: not by a setting, not by
-- code that runs inside someone's ALTER TABLE
SELECT set_config('revrec_internal.triggers_before',
                  (SELECT oid::text || ':R' FROM pg_trigger WHERE tgname = 'posting_no_update'), false);
CREATE FUNCTION pg_temp.forge() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('revrec_internal.triggers_before',
                       (SELECT string_agg(oid::text || ':R', ',') FROM pg_trigger WHERE tgrelid = 'revrec.posting'::regclass), true);
    RETURN 1;
END $$;
CREATE TABLE public.own (x int);
INSERT INTO public.own VALUES (1);
ALTER TABLE public.own ADD COLUMN y int DEFAULT pg_temp.forge();
ALTER TABLE public.own ADD COLUMN z int DEFAULT 0;
SELECT is(pg_temp.state('revrec.posting', 'posting_no_update'), 'A', 'a forged "before" state changes nothing');
RESET row_security; RESET check_function_bodies; RESET client_min_messages;
SELECT is_empty($$SELECT c.relname, t.tgname FROM revrec._trigger_state m
                    JOIN pg_class c ON c.relnamespace = 'revrec'::regnamespace AND c.relname = m.relname
                    JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = m.tgname
                   WHERE t.tgenabled <> m.state$$, 'every revrec trigger is in its meant state');

SELECT * FROM finish();
ROLLBACK;
