-- Last of the objects: the state every revrec trigger is now in is the state
-- it is meant to be in (install and every upgrade rewrite it); the guard
-- around ALTER TABLE (36_restore_guard.sql) puts back any trigger found
-- otherwise.  revrec's own tables only (on a Citus worker the schema also
-- holds Citus's shards of them).
DELETE FROM revrec._trigger_state;
INSERT INTO revrec._trigger_state (relname, tgname, state)
SELECT c.relname, t.tgname, t.tgenabled
  FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e'
   AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'revrec')
 WHERE c.relnamespace = 'revrec'::pg_catalog.regnamespace;
