-- GL files that import unedited, and the export log (issue 17).

-- Xero's tax rate has no default: "No Tax" is a name no Xero organisation
-- has out of the box (US "Tax Exempt", AU "BAS Excluded", NZ "No GST", UK
-- "No VAT"), so every row of a file carrying it failed to import.  Until an
-- administrator chooses it, export_xero refuses (RV030).
ALTER TABLE revrec.settings ALTER COLUMN xero_tax_rate DROP NOT NULL, ALTER COLUMN xero_tax_rate DROP DEFAULT;
UPDATE revrec.settings SET xero_tax_rate = NULL;
-- Text cells of exported files that start with = + - @ (or a tab or carriage
-- return) are prefixed with ' so that a spreadsheet does not run them as formulas.
ALTER TABLE revrec.settings ADD COLUMN export_neutralize_formulas boolean NOT NULL DEFAULT true;

-- What went to the GL: one row per revrec.export_to_files() run.
CREATE TABLE revrec.export_log (
    export_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       text NOT NULL UNIQUE,
    exported_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    exported_by  text NOT NULL DEFAULT session_user,
    role         text NOT NULL,
    format       text NOT NULL,
    filters      jsonb NOT NULL,
    directory    text NOT NULL,
    files        text[] NOT NULL,
    manifest     text NOT NULL,
    "rows"       bigint NOT NULL,
    journals     bigint NOT NULL
);

COMMENT ON TABLE revrec.export_log IS
    'one row per export_to_files run: who, when, format, filters, files, rows, journals (written by revrec only)';

SELECT pg_catalog.pg_extension_config_dump('revrec.export_log', '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.export_log', 'export_id'), '');
