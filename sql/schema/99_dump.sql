SELECT pg_catalog.pg_extension_config_dump('revrec.settings', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.ledger_account', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.customer', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.product', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.invoice', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.invoice_line', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.usage', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.milestone', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.credit_grant', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.billing_schedule_line', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.credit_note', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.credit_note_line', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.posting', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.activity', '');

SELECT pg_catalog.pg_extension_config_dump('revrec.gl_account_map', '');

SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.posting', 'posting_id'), '');

SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.activity', 'activity_id'), '');

SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.usage', 'usage_id'), '');

SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.ledger_account', 'account_id'), '');
