-- The download token is shown to the role that asked for the job (and to
-- revrec_admin) only.
CREATE OR REPLACE VIEW revrec.export_job AS
SELECT j.job_id, j.format, j.status, j.rows_done, j.rows_total, j.error, j.created_at, j.started_at,
       j.finished_at, j.requested_by, j.arguments, j.file_bytes, j.sha256,
       CASE WHEN j.requested_by = current_user OR pg_has_role(current_user, 'revrec_admin', 'MEMBER')
            THEN j.token END AS download_token,
       j.token_expires_at
  FROM revrec._export_job j;

COMMENT ON VIEW revrec.export_job IS
    'asynchronous export jobs: status queued/running/done/failed, progress, error, download token';

CREATE OR REPLACE FUNCTION revrec._export_launch(job bigint) RETURNS bigint
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'revrec_export_launch';


CREATE OR REPLACE FUNCTION revrec.export_async(
    format text, from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    call text;
    id   bigint;
    who  text := revrec._outer_role();
    cap  integer;
    cap_total integer;
    busy bigint;
    busy_total bigint;
BEGIN
    -- each login role (session_user: SET ROLE cannot open a second account)
    -- may have export_jobs_per_role jobs queued or running at once, and all
    -- roles together export_jobs_total, so that nobody can take every
    -- background worker slot (counted under one lock: two calls cannot both
    -- pass the check)
    PERFORM pg_advisory_xact_lock(hashtext('revrec.export_async'));
    SELECT s.export_jobs_per_role, s.export_jobs_total INTO cap, cap_total FROM revrec.settings s;
    SELECT count(*) FILTER (WHERE j.requested_by_session = session_user), count(*) INTO busy, busy_total
      FROM revrec._export_job j WHERE j.status IN ('queued', 'running');
    IF busy >= cap THEN
        RAISE EXCEPTION USING ERRCODE = 'RV019',
            MESSAGE = format('role %s already has %s export jobs queued or running (the limit is %s)', session_user, busy, cap),
            HINT = 'Wait for one to finish (revrec.export_job), or ask revrec_admin to raise settings.export_jobs_per_role.';
    END IF;
    IF busy_total >= cap_total THEN
        RAISE EXCEPTION USING ERRCODE = 'RV019',
            MESSAGE = format('%s export jobs are queued or running (the limit is %s)', busy_total, cap_total),
            HINT = 'Wait for one to finish (revrec.export_job), or ask revrec_admin to raise settings.export_jobs_total.';
    END IF;
    call := revrec._export_call(export_async.format, from_date, to_date, currency, as_of, journal_type, source,
                                customer_id, product_id, invoice_id, credit_note_id, exclude_fully_recognized,
                                granularity);
    INSERT INTO revrec._export_job (format, arguments, query, requested_by, requested_by_session)
    VALUES (export_async.format,
            jsonb_strip_nulls(jsonb_build_object('from_date', from_date, 'to_date', to_date, 'currency', currency,
                'as_of', as_of, 'journal_type', journal_type, 'source', source, 'customer_id', customer_id,
                'product_id', product_id, 'invoice_id', invoice_id, 'credit_note_id', credit_note_id,
                'exclude_fully_recognized', exclude_fully_recognized, 'granularity', granularity)),
            'SELECT * FROM ' || call, who, session_user)
    RETURNING job_id INTO id;
    PERFORM revrec._export_launch(id);
    RETURN id;
END $$;

COMMENT ON FUNCTION revrec.export_async(text, date, date, text, timestamptz, text, text, text, text, text, text, boolean, text) IS
    'start an export in a background worker; returns the job id (see revrec.export_job); the job starts once the caller commits';

-- The file of a finished job, while its token is valid.
CREATE OR REPLACE FUNCTION revrec.export_download(token text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j revrec._export_job;
BEGIN
    SELECT * INTO j FROM revrec._export_job x WHERE x.token = export_download.token AND x.status = 'done';
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV017', MESSAGE = 'unknown export download token',
            HINT = 'Take the download_token of a finished job from revrec.export_job.';
    END IF;
    IF j.token_expires_at <= now() THEN
        RAISE EXCEPTION USING ERRCODE = 'RV017',
            MESSAGE = format('export download token expired at %s', j.token_expires_at),
            HINT = 'Start the export again with revrec.export_async().';
    END IF;
    RETURN pg_read_file('revrec_exports/' || j.file_name);
END $$;

-- Removes the files of expired tokens and files no job owns, and fails
-- running jobs whose worker is gone; returns the number of files removed.
-- Every export worker does this when it starts and when it ends; this is for
-- a schedule (pg_cron, cron + psql) where exports are rare.
CREATE OR REPLACE FUNCTION revrec.export_cleanup() RETURNS integer
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_export_cleanup';

COMMENT ON FUNCTION revrec.export_cleanup() IS
    'remove export files whose token expired or that no job owns, fail running jobs whose worker is gone; returns files removed';
