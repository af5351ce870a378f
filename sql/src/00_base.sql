-- revrec install script (assembled from sql/src/*.sql by the Makefile).
\echo Use "CREATE EXTENSION revrec" to load this file. \quit

-- The schema is created here (not named in revrec.control) so that it is a
-- member of the extension and DROP EXTENSION removes it with everything else.
CREATE SCHEMA revrec;

CREATE FUNCTION revrec.version() RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_version';

-- Roles (SPEC 8), created if missing.  They are cluster-wide and so are not
-- dropped with the extension.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_reader') THEN
        CREATE ROLE revrec_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_writer') THEN
        CREATE ROLE revrec_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_admin') THEN
        CREATE ROLE revrec_admin NOLOGIN;
    END IF;
END
$$;
GRANT revrec_reader TO revrec_writer;
GRANT revrec_writer TO revrec_admin;
GRANT USAGE ON SCHEMA revrec TO revrec_reader;
GRANT EXECUTE ON FUNCTION revrec.version() TO PUBLIC;
