-- Object part of the install and upgrade scripts: functions, views, triggers
-- and comments, each written so that running it again replaces what is there
-- (CREATE OR REPLACE): the same files build a fresh install and every
-- upgrade.  Privileges are in sql/privileges.sql, which runs after them.

-- The role the caller runs as outside any SECURITY DEFINER function (what
-- current_role was before the call): the role privilege checks are about.
CREATE OR REPLACE FUNCTION revrec._outer_role() RETURNS text
    LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'revrec_outer_role';

-- revrec is distributed in this database (revrec.distribute(), docs/CITUS.md):
-- revrec.citus_queue exists and Citus lists it.  (A dump of a distributed
-- revrec restored elsewhere brings the table as a plain one: a single node.)
CREATE OR REPLACE FUNCTION revrec._citus_active() RETURNS boolean
    LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'revrec_citus_active';

CREATE OR REPLACE FUNCTION revrec.version() RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_version';
