-- Schema part of the install script: what is created once (the schema,
-- tables, types, indexes, constraints, the rows the install itself writes).
-- An upgrade never runs these files: each release's changes to them are
-- repeated as a delta in sql/updates/<from>--<to>.sql.

-- The schema is created here (not named in revrec.control) so that it is a
-- member of the extension and DROP EXTENSION removes it with everything else.
CREATE SCHEMA revrec;
