-- Restore (README "Backup and restore").  A standard pg_dump restore (psql,
-- pg_restore, --single-transaction, pg_dumpall, --data-only) writes revrec's
-- tables in pg_dump's order: the activity log first (no table it references,
-- first by name), then the documents in foreign-key order, the ledger
-- (posting) after them, the settings, usage, and last the sequences
-- (setval).  Restored documents must not post: the restored ledger holds
-- what they posted.
--
-- The choice: the restore is recognized by evidence only a restore can
-- produce, not by a switch.  The activity log's ids come from its identity
-- sequence, which revrec's own code alone advances; rows whose ids are above
-- the sequence's last value were written with explicit ids (COPY of a dump)
-- and the sequence has not been set yet (pg_dump's setval comes after all
-- table data).  While that is so ("restoring"):
--   * documents queue nothing (revrec._enqueue drops what a statement queued),
--     so nothing is posted at any commit, in autocommit or one transaction;
--   * lines, milestones and credit-note lines may arrive for a void (or,
--     restored in another order, posted) document: the restore brings them
--     in their own table, after the document.
-- The restore's setval of revrec.activity_activity_id_seq ends it, by itself.
-- No role but a superuser or the extension's owner can write revrec.activity
-- with explicit ids or set that sequence (nobody has INSERT on the activity
-- log or UPDATE on the sequence), so no writer or admin can turn it on; a
-- superuser can anyway do anything.  revrec.verify() proves the result.
CREATE OR REPLACE FUNCTION revrec._restoring() RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce((SELECT max(a.activity_id) FROM revrec.activity a), 0)
           > (SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END FROM revrec.activity_activity_id_seq s);
END;
