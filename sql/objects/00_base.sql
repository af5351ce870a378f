-- Object part of the install and upgrade scripts: functions, views, triggers
-- and comments, each written so that running it again replaces what is there
-- (CREATE OR REPLACE): the same files build a fresh install and every
-- upgrade.  Privileges are in sql/privileges.sql, which runs after them.

-- The role the caller runs as outside any SECURITY DEFINER function (what
-- current_role was before the call): the role privilege checks are about.
CREATE OR REPLACE FUNCTION revrec._outer_role() RETURNS text
    LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'revrec_outer_role';

CREATE OR REPLACE FUNCTION revrec.version() RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_version';
