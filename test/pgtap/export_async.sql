-- The asynchronous export's lifecycle (README "Exports", src/export_worker.c):
-- completion is announced with NOTIFY revrec_export, '<job id>' to a real
-- listener (a second connection through dblink), on success and on failure;
-- a job whose transaction rolls back leaves nothing behind and its worker
-- exits at once; a worker gives up on a transaction still open after
-- revrec.export_wait, and that transaction's later commit still runs the job;
-- PREPARE TRANSACTION is refused; a terminated worker's job does not stay
-- running; files of expired tokens (and files no job owns) are removed by
-- the next worker or by revrec.export_cleanup().
-- Runs outside a transaction: the worker only runs committed jobs.
\set QUIET 1
SET client_min_messages = warning;
SELECT plan(42);
CREATE EXTENSION IF NOT EXISTS dblink;

-- A small company -----------------------------------------------------------
INSERT INTO revrec.customer SELECT 'C' || i, 'Customer ' || i FROM generate_series(1, 5) i;
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES ('SUB', 'Subscription', 'straight_line');
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
SELECT 'xero', a, '8' || i FROM unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled']) WITH ORDINALITY u(a, i);
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';   -- Xero exports refuse until it is chosen (RV030)
BEGIN;
INSERT INTO revrec.invoice SELECT 'I' || i, 'N' || i, 'C' || (1 + i % 5), 'USD', date '2025-01-01' + 17 * i
  FROM generate_series(1, 12) i;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
SELECT 'I' || i || '-1', 'I' || i, 'SUB', 1000.00 + i, date '2025-01-01' + 17 * i, date '2025-01-01' + 17 * i + 180
  FROM generate_series(1, 12) i;
COMMIT;

-- Roles: an admin, a reader, and one that may not export
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_tap_admin') THEN CREATE ROLE revrec_tap_admin; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_tap_reader') THEN CREATE ROLE revrec_tap_reader; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_tap_nobody') THEN CREATE ROLE revrec_tap_nobody; END IF;
END $$;
GRANT revrec_admin TO revrec_tap_admin;
GRANT revrec_reader TO revrec_tap_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC;

-- Helpers -------------------------------------------------------------------
CREATE TEMP TABLE conn AS
SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
              trim(split_part(current_setting('unix_socket_directories'), ',', 1)),
              current_setting('port'), current_user) AS s,
       'revrec_exports/' || (SELECT oid FROM pg_database WHERE datname = current_database()) AS dir;
SELECT s AS connstr, dir AS export_dir FROM conn \gset

-- the listener: another session, LISTENing as any client would
SELECT dblink_connect('listener', :'connstr') \gset
SELECT dblink_exec('listener', 'LISTEN revrec_export') \gset
CREATE TEMP TABLE notes (channel text, pid integer, payload text);
-- collect what the listener received until every payload in want has come
-- (or secs pass)
CREATE FUNCTION pg_temp.listen_for(want text[], secs numeric) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  LOOP
    INSERT INTO notes SELECT notify_name, be_pid, extra FROM dblink_get_notify('listener');
    EXIT WHEN coalesce((SELECT bool_and(w IN (SELECT payload FROM notes)) FROM unnest(want) w), false)
           OR clock_timestamp() > t0 + secs * interval '1 s';
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
-- wait until the jobs are done or failed and their workers have exited
-- (a worker cleans up after it has finished its job)
CREATE FUNCTION pg_temp.wait_jobs(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  WHILE (EXISTS (SELECT 1 FROM revrec._export_job WHERE job_id = ANY (ids) AND status NOT IN ('done', 'failed'))
         OR EXISTS (SELECT 1 FROM unnest(ids) i WHERE pg_temp.worker_alive(i)))
        AND clock_timestamp() < t0 + interval '120 s' LOOP
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
-- is a worker of this job alive now?
CREATE FUNCTION pg_temp.worker_alive(job bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_stat_clear_snapshot();
  RETURN EXISTS (SELECT 1 FROM pg_stat_activity
                  WHERE backend_type = 'revrec export' AND application_name = 'revrec export job ' || job);
END $$;
CREATE FUNCTION pg_temp.await_worker(job bigint, alive boolean, secs numeric) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  WHILE pg_temp.worker_alive(job) <> alive AND clock_timestamp() < t0 + secs * interval '1 s' LOOP
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN pg_temp.worker_alive(job) = alive;
END $$;
-- wait until a query (returning one boolean) is true
CREATE FUNCTION pg_temp.await_true(q text, secs numeric) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); r boolean;
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    EXECUTE q INTO r;
    EXIT WHEN r OR clock_timestamp() > t0 + secs * interval '1 s';
    PERFORM pg_sleep(0.02);
  END LOOP;
  RETURN r;
END $$;
-- wait until the job's worker has been seen alive and then gone
CREATE FUNCTION pg_temp.await_worker_come_and_go(job bigint, secs numeric) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); seen boolean := false; alive boolean;
BEGIN
  LOOP
    alive := pg_temp.worker_alive(job);
    seen := seen OR alive;
    EXIT WHEN (seen AND NOT alive) OR clock_timestamp() > t0 + secs * interval '1 s';
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN seen AND NOT alive;
END $$;
CREATE FUNCTION pg_temp.files_of(job bigint) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_ls_dir((SELECT dir FROM conn)) f WHERE f LIKE 'job_' || job || '.%' $$;
CREATE FUNCTION pg_temp.file_size(job bigint) RETURNS bigint LANGUAGE sql AS $$
  SELECT (pg_stat_file((SELECT dir FROM conn) || '/job_' || job || '.csv', true)).size $$;

-- 1-2. The documented default wait -------------------------------------------
SELECT is(current_setting('revrec.export_wait'), '1min', 'revrec.export_wait is 60 s by default');
SELECT throws_ok($$SET revrec.export_wait = -1$$, '22023', NULL, 'a negative revrec.export_wait is refused');

-- 3-8. NOTIFY on success and on failure, received by a listener --------------
CREATE TEMP TABLE jobs AS SELECT 'done' AS what, revrec.export_async('sequence', '2025-01-01', '2025-12-31') AS job_id;
INSERT INTO jobs SELECT 'failed', revrec.export_async('netsuite', '2025-01-01', '2025-12-31');   -- nothing mapped: RV016
SELECT pg_temp.wait_jobs(ARRAY(SELECT job_id FROM jobs)) \gset
SELECT pg_temp.listen_for(ARRAY(SELECT job_id::text FROM jobs), 30) \gset
SELECT job_id AS ok_job FROM jobs WHERE what = 'done' \gset
SELECT job_id AS bad_job FROM jobs WHERE what = 'failed' \gset
SELECT is((SELECT status || ' ' || rows_done || '/' || rows_total FROM revrec.export_job WHERE job_id = :ok_job),
          'done ' || (SELECT count(*) FROM revrec.export_sequence('2025-01-01', '2025-12-31')) || '/'
                  || (SELECT count(*) FROM revrec.export_sequence('2025-01-01', '2025-12-31')),
          'the sequence job is done, every row');
SELECT is((SELECT count(*) FROM notes n JOIN revrec._export_job j ON j.worker_pid = n.pid
            WHERE n.channel = 'revrec_export' AND n.payload = :'ok_job' AND j.job_id = :ok_job), 1::bigint,
          'a listener receives NOTIFY revrec_export with the job id, from its worker, once: on success');
SELECT matches((SELECT status || ': ' || error FROM revrec.export_job WHERE job_id = :bad_job),
               '^failed: .*\(SQLSTATE RV016\)$', 'the netsuite job fails (no GL mapping)');
SELECT is((SELECT count(*) FROM notes n JOIN revrec._export_job j ON j.worker_pid = n.pid
            WHERE n.channel = 'revrec_export' AND n.payload = :'bad_job' AND j.job_id = :bad_job), 1::bigint,
          'a listener receives NOTIFY revrec_export with the job id, from its worker, once: on failure');
SELECT is((SELECT count(*) FROM notes), 2::bigint, 'and nothing else');
SELECT is(pg_temp.file_size(:ok_job), (SELECT file_bytes FROM revrec.export_job WHERE job_id = :ok_job),
          'the finished file is in the database''s own directory, <PGDATA>/revrec_exports/<database oid>');
TRUNCATE notes;

-- 9-14. A job whose transaction rolls back ----------------------------------------
-- The worker is launched inside the transaction and waits for it (default
-- wait, 60 s); the rollback ends it at once; nothing is left.
BEGIN;
SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31') AS rb_job \gset
SELECT pg_temp.await_worker(:rb_job, true, 60) AS rb_waiting \gset
ROLLBACK;
SELECT clock_timestamp() AS rb_at \gset
SELECT pg_temp.await_worker(:rb_job, false, 60) AS rb_gone \gset
SELECT ok(:'rb_waiting', 'a worker is launched for the job and waits for its transaction');
SELECT ok(:'rb_gone', 'the worker exits once the transaction rolls back');
SELECT cmp_ok(clock_timestamp() - :'rb_at'::timestamptz, '<', interval '30 s',
              'without waiting out revrec.export_wait (60 s)');
SELECT is((SELECT count(*) FROM revrec._export_job WHERE job_id = :rb_job), 0::bigint, 'no job row is left');
SELECT is(pg_temp.files_of(:rb_job), 0::bigint, 'no file, whole or partial, is left');
SELECT pg_temp.listen_for('{}', 0.5) \gset
SELECT is((SELECT count(*) FROM notes WHERE payload = :'rb_job'), 0::bigint, 'and nothing is announced');

-- 15-17. Rolled back to a savepoint, the rest committed: the same
BEGIN;
SAVEPOINT s;
SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31') AS sp_job \gset
SELECT pg_temp.await_worker(:sp_job, true, 60) AS sp_waiting \gset
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT pg_temp.await_worker(:sp_job, false, 60) AS sp_gone \gset
SELECT ok(:'sp_waiting' AND :'sp_gone', 'a job rolled back to a savepoint: its worker exits once the transaction commits');
SELECT is((SELECT count(*) FROM revrec._export_job WHERE job_id = :sp_job), 0::bigint, 'no job row is left');
SELECT is(pg_temp.files_of(:sp_job), 0::bigint, 'no file is left');

-- 18-22. A transaction still open when revrec.export_wait is up ------------------
-- Its worker gives up (bounded wait); the commit that comes later starts
-- another, so the job runs and is never left queued.  The job is asked for
-- by the reader and committed as a role that may not export: the new worker
-- still runs it as the reader.
BEGIN;
SET LOCAL revrec.export_wait = '2s';
SELECT clock_timestamp() AS ow_at \gset
SET LOCAL ROLE revrec_tap_reader;
SELECT revrec.export_async('xero', '2025-01-01', '2025-12-31', 'USD') AS ow_job \gset
RESET ROLE;
SELECT pg_temp.await_worker_come_and_go(:ow_job, 60) AS ow_gave_up \gset
SELECT clock_timestamp() - :'ow_at'::timestamptz AS ow_waited \gset
SELECT status AS ow_status_before FROM revrec._export_job WHERE job_id = :ow_job \gset
SET LOCAL ROLE revrec_tap_nobody;
COMMIT;
SELECT ok(:'ow_gave_up', 'with revrec.export_wait = 2s the worker gives up on a transaction still open');
SELECT cmp_ok(:'ow_waited'::interval, '>=', interval '2 s', 'after waiting the 2 s');
SELECT cmp_ok(:'ow_waited'::interval, '<', interval '30 s', 'and not much longer');
SELECT pg_temp.wait_jobs(ARRAY[:ow_job]::bigint[]) \gset
SELECT pg_temp.listen_for(ARRAY[:'ow_job'], 30) \gset
SELECT is(:'ow_status_before' || ' -> ' || (SELECT status || coalesce(' ' || error, '') || ' by ' || requested_by
                                              FROM revrec.export_job WHERE job_id = :ow_job),
          'queued -> done by revrec_tap_reader', 'the late commit starts another worker, as the role that asked: the job runs');
SELECT is((SELECT count(*) FROM notes n JOIN revrec._export_job j ON j.worker_pid = n.pid
            WHERE n.payload = :'ow_job' AND j.job_id = :ow_job), 1::bigint, 'and is announced');

-- 23-25. PREPARE TRANSACTION is refused (COMMIT PREPARED would start nobody)
SELECT dblink_connect('other', :'connstr') \gset
SELECT dblink_exec('other', 'BEGIN') \gset
SELECT id AS pp_job FROM dblink('other', $$SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31')$$) AS t(id bigint) \gset
SELECT throws_ok($$SELECT dblink_exec('other', 'PREPARE TRANSACTION ''revrec_tap''')$$, '0A000',
                 'cannot PREPARE a transaction that has started an export', 'PREPARE TRANSACTION after export_async is refused');
SELECT ok(pg_temp.await_worker(:pp_job, false, 60), 'its worker exits (the transaction rolled back)');
SELECT is((SELECT count(*) FROM revrec._export_job WHERE job_id = :pp_job) + pg_temp.files_of(:pp_job), 0::bigint,
          'no job row, no file');

-- 26-30. A worker terminated half-way does not leave its job running -------------
-- Another session locks a table the export reads, so the worker is caught
-- running; it is terminated; the next cleanup fails the job and says so.
SELECT dblink_exec('other', 'BEGIN') \gset
SELECT dblink_exec('other', 'LOCK TABLE revrec.customer IN ACCESS EXCLUSIVE MODE') \gset
SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31', 'USD') AS tk_job \gset
SELECT pg_temp.await_true(format($$SELECT EXISTS (SELECT 1 FROM revrec._export_job j JOIN pg_stat_activity a ON a.pid = j.worker_pid
                                    WHERE j.job_id = %s AND j.status = 'running' AND a.wait_event_type = 'Lock')$$, :tk_job), 60)
       AS tk_blocked \gset
SELECT worker_pid AS tk_pid FROM revrec._export_job WHERE job_id = :tk_job \gset
SELECT pg_terminate_backend(:tk_pid) \gset
SELECT pg_temp.await_worker(:tk_job, false, 60) AS tk_gone \gset
SELECT status AS tk_status_before FROM revrec._export_job WHERE job_id = :tk_job \gset
SELECT dblink_exec('other', 'ROLLBACK') \gset
SELECT ok(:'tk_blocked' AND :'tk_gone', 'a running worker (held up by a lock) is terminated');
SELECT is(:'tk_status_before'::text, 'running', 'its job is left running until a cleanup');
SELECT revrec.export_cleanup() AS tk_cleanup \gset
SELECT pg_temp.listen_for(ARRAY[:'tk_job'], 30) \gset
SELECT is((SELECT status || ': ' || error FROM revrec.export_job WHERE job_id = :tk_job),
          'failed: the export worker stopped before it finished (terminated, crashed, or the server restarted)',
          'revrec.export_cleanup() fails a running job whose worker is gone');
SELECT is((SELECT count(*) FROM notes WHERE payload = :'tk_job'), 1::bigint, 'and announces it');
SELECT is(pg_temp.files_of(:tk_job), 0::bigint, 'no file is left');

-- 31-40. Files of expired tokens are removed ------------------------------------
SELECT download_token AS ok_token FROM revrec.export_job WHERE job_id = :ok_job \gset
SELECT ok(pg_temp.file_size(:ok_job) > 0, 'a done job''s file is there while its token is valid');
UPDATE revrec._export_job SET token_expires_at = now() - interval '1 second' WHERE job_id = :ok_job;
SELECT throws_ok(format('SELECT revrec.export_download(%L)', :'ok_token'), 'RV017', NULL,
                 'once the token has expired, export_download says RV017');
-- the next export's worker cleans up (when it starts)
SELECT revrec.export_async('xero', '2025-01-01', '2025-12-31', 'USD') AS nx_job \gset
SELECT pg_temp.wait_jobs(ARRAY[:nx_job]::bigint[]) \gset
SELECT is((SELECT status FROM revrec.export_job WHERE job_id = :nx_job), 'done', 'the next export runs');
SELECT is(pg_temp.files_of(:ok_job), 0::bigint, 'its worker removed the expired job''s file');
SELECT ok((SELECT file_name IS NULL AND status = 'done' FROM revrec._export_job WHERE job_id = :ok_job),
          'the expired job keeps its row, without a file');
SELECT throws_like(format('SELECT revrec.export_download(%L)', :'ok_token'), 'export download token expired%',
                   'its token still says expired (RV017)');
SELECT ok(pg_temp.file_size(:nx_job) > 0 AND pg_temp.file_size(:ow_job) > 0, 'files of valid tokens stay');
-- revrec.export_cleanup() on demand: expired files, and files no job owns
UPDATE revrec._export_job SET token_expires_at = now() - interval '1 second' WHERE job_id = :nx_job;
DO $$ BEGIN
  EXECUTE format('COPY (SELECT 1) TO %L', current_setting('data_directory') || '/' || (SELECT dir FROM conn) || '/job_999999.csv');
  EXECUTE format('COPY (SELECT 1) TO %L', current_setting('data_directory') || '/' || (SELECT dir FROM conn) || '/job_'
                 || (SELECT job_id FROM jobs WHERE what = 'failed') || '.csv.part');
  EXECUTE format('COPY (SELECT 1) TO %L', current_setting('data_directory') || '/' || (SELECT dir FROM conn) || '/notes.txt');
END $$;
SET ROLE revrec_tap_reader;
SELECT throws_ok('SELECT revrec.export_cleanup()', '42501', NULL, 'a reader may not run export_cleanup()');
SET ROLE revrec_tap_admin;
SELECT is(revrec.export_cleanup(), 3, 'an admin runs export_cleanup(): it removes three files');
RESET ROLE;
SELECT is(ARRAY(SELECT f FROM pg_ls_dir(:'export_dir') f ORDER BY f),
          ARRAY['job_' || :ow_job || '.csv', 'notes.txt'],
          'the expired file and the files no job owns are gone; a valid job''s file and files not named like jobs stay');

-- 41-42. export_cleanup() in a REPEATABLE READ transaction older than a job:
-- that job's row is not in its snapshot, yet its file is not an orphan
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) AS rr_before FROM revrec._export_job \gset
SELECT id AS rr_job FROM dblink('other', $$SELECT revrec.export_async('xero', '2025-01-01', '2025-12-31', 'USD')$$) AS t(id bigint) \gset
SELECT pg_temp.await_true(format($$SELECT status = 'done' AND NOT pg_temp.worker_alive(%s)
                                    FROM dblink('other', 'SELECT status FROM revrec._export_job WHERE job_id = %s') AS t(status text)$$,
                                 :rr_job, :rr_job), 60) AS rr_done \gset
SELECT revrec.export_cleanup() AS rr_removed \gset
COMMIT;
SELECT ok(:'rr_done' AND pg_temp.file_size(:rr_job) > 0,
          'a job done after the snapshot of a REPEATABLE READ export_cleanup() keeps its file');
SELECT is(:'rr_removed'::integer, 0, 'that cleanup removes nothing');

SELECT dblink_disconnect('listener'), dblink_disconnect('other') \gset
SELECT * FROM finish();
