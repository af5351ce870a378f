-- The state every revrec trigger is meant to be in (enabled, ALWAYS, ...),
-- written by the install and every upgrade (sql/objects/99_trigger_states.sql),
-- read by the guard that puts a trigger back after an ALTER TABLE changed it
-- (sql/objects/36_restore_guard.sql).  Only revrec's code writes it.
CREATE TABLE revrec._trigger_state (
    relname text NOT NULL,
    tgname  text NOT NULL,
    state   "char" NOT NULL,
    PRIMARY KEY (relname, tgname)
);
