-- Money: currencies (ISO 4217, compiled into the C module) and conversions.

CREATE FUNCTION revrec._iso_currencies(OUT code text, OUT exponent smallint, OUT name text)
    RETURNS SETOF record
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_iso_currencies';

-- The currencies revrec knows (contract: code, exponent).  It mirrors the
-- compiled-in table, which is what amounts are checked against.
CREATE TABLE revrec.currency (
    code     text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    exponent smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4),
    name     text NOT NULL
);
INSERT INTO revrec.currency SELECT * FROM revrec._iso_currencies();

CREATE FUNCTION revrec.to_minor_units(amount numeric, currency text) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_to_minor_units';
COMMENT ON FUNCTION revrec.to_minor_units(numeric, text) IS
    'amount as an exact count of the currency''s minor unit; error on too many decimals';

CREATE FUNCTION revrec.from_minor_units(minor bigint, currency text) RETURNS numeric
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT
    AS 'MODULE_PATHNAME', 'revrec_from_minor_units';

GRANT SELECT ON revrec.currency TO revrec_reader;
