-- Money: currencies (ISO 4217, compiled into the C module) and conversions.
CREATE OR REPLACE FUNCTION revrec._iso_currencies(OUT code text, OUT exponent smallint, OUT name text)
    RETURNS SETOF record
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_iso_currencies';

-- revrec.currency mirrors the compiled-in table: filled here on install and
-- completed on upgrade (a release may know more currencies); rows are never
-- changed or removed (see the currency triggers).  On a Citus worker (an
-- update of a distributed revrec, docs/CITUS.md) the table is a reference
-- table, which the coordinator's update fills.
DO $$
BEGIN
    IF revrec._citus_active() THEN
        IF NOT pg_catalog.citus_is_coordinator() THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO revrec.currency SELECT * FROM revrec._iso_currencies() ON CONFLICT (code) DO NOTHING;
END
$$;

CREATE OR REPLACE FUNCTION revrec.to_minor_units(amount numeric, currency text) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_to_minor_units';

COMMENT ON FUNCTION revrec.to_minor_units(numeric, text) IS
    'amount as an exact count of the currency''s minor unit; error on too many decimals';

CREATE OR REPLACE FUNCTION revrec.from_minor_units(minor bigint, currency text) RETURNS numeric
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_from_minor_units';
