/*
 * export_worker.c — revrec.export_async()'s background worker.
 *
 * Life of a job (see export_worker.h and sql/objects/95_export_async.sql):
 *   1. export_async() inserts a queued row in revrec._export_job and calls
 *      revrec._export_launch(job), which registers a dynamic worker carrying
 *      the database, the session user (to connect as: it can log in), the
 *      role that asked (current_role outside SECURITY DEFINER, to run the
 *      export as), the asking transaction's id and the time to give up
 *      waiting for it (now + revrec.export_wait).
 *   2. The worker removes what has outlived its use (cleanup_exports: files
 *      of expired tokens, files no job owns, running jobs whose worker is
 *      gone), then waits for the asking transaction to end.  Rolled back:
 *      the job row never existed, the worker exits at once (nothing to
 *      undo).  Committed: the job runs.  Still open when the wait is up: the
 *      worker gives up; should that transaction commit later, its commit
 *      starts a new worker for the job (export_xact_callback), so a job never
 *      stays queued with nobody to run it.  An advisory lock on the job
 *      orders the worker's last look against that commit.
 *   3. It marks the job running, declares a SCROLL WITH HOLD cursor over the
 *      export query as the requesting role and commits, which materializes
 *      the result; counting it gives rows_total.
 *   4. It writes the CSV (the bytes COPY ... (FORMAT csv, HEADER) would
 *      write) to <PGDATA>/revrec_exports/<database oid>/job_<id>.csv.part in
 *      batches of RR_EXPORT_BATCH rows, committing rows_done after each batch.
 *   5. On success: fsync, rename to job_<id>.csv, and in one transaction set
 *      status done, checksum, a random download token with its expiry, and
 *      NOTIFY revrec_export, '<job id>'.  On any error: remove the partial
 *      file, set status failed with the error (SQLSTATE and message), NOTIFY.
 *   6. It cleans up again (its own finished file stays until its token
 *      expires).
 * Bookkeeping on revrec._export_job runs as the bootstrap superuser; the
 * export query itself runs as the requesting role, so a job sees exactly
 * what a synchronous export by that role would.
 */
#include "revrec.h"
#include "export_worker.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/file_perm.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

typedef struct RrExportArgs
{
	Oid			database;
	Oid			login_role;		/* session user: connects */
	Oid			run_role;		/* current_role of the caller: runs the export */
	TransactionId xid;			/* the caller's top-level transaction */
	int64		job;
	TimestampTz give_up;		/* stop waiting for xid to end at this time */
} RrExportArgs;

#define CURSOR_NAME "revrec_export_job"

/* revrec.export_wait, in seconds */
int			revrec_export_wait = RR_EXPORT_WAIT_SECONDS;

void
revrec_export_init(void)
{
	DefineCustomIntVariable("revrec.export_wait",
							"How long an export worker waits for the transaction that started its job to end.",
							"A rolled-back job is abandoned as soon as the rollback is seen; a worker that "
							"gives up on a transaction still open is started again when it commits.",
							&revrec_export_wait, RR_EXPORT_WAIT_SECONDS, 0, 3600,
							/*
							 * superuser only: a worker waiting holds a
							 * background worker slot, which no ordinary role
							 * may hold for long (nor impose with ALTER
							 * DATABASE ... SET)
							 */
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
}

/* The lock that orders a worker giving up against its caller's commit. */
static void
job_lock_tag(LOCKTAG *tag, Oid database, int64 job)
{
	SET_LOCKTAG_ADVISORY(*tag, database, (uint32) ((uint64) job >> 32), (uint32) job, RR_EXPORT_LOCK_SPACE);
}

/* ---------- launching ---------- */

/*
 * Register a worker for a job; false when every worker slot is taken.  Sets
 * a->give_up: now + revrec.export_wait.
 */
static bool
register_worker(RrExportArgs *a)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;

	StaticAssertStmt(sizeof(RrExportArgs) <= BGW_EXTRALEN, "bgw_extra too small");
	a->give_up = GetCurrentTimestamp() + (int64) revrec_export_wait * USECS_PER_SEC;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "revrec");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "revrec_export_worker_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "revrec export job " INT64_FORMAT, a->job);
	snprintf(w.bgw_type, BGW_MAXLEN, "revrec export");
	w.bgw_main_arg = Int64GetDatum(a->job);
	memcpy(w.bgw_extra, a, sizeof(*a));
	w.bgw_notify_pid = 0;

	return RegisterDynamicBackgroundWorker(&w, &handle);
}

static void
no_worker_slot(int64 job)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			 errmsg("could not start a background worker for export job " INT64_FORMAT, job),
			 errhint("All background worker slots are in use: raise max_worker_processes (now %d) or retry later.",
					 max_worker_processes)));
}

/*
 * Jobs launched by the current transaction (in TopTransactionContext), so
 * that its commit can start a new worker for any whose worker gave up.
 */
typedef struct PendingJob
{
	RrExportArgs args;			/* as launched: the same roles if started again */
} PendingJob;

static List *pending_jobs = NIL;
static LocalTransactionId pending_lxid = InvalidLocalTransactionId;
static bool xact_callback_registered = false;

static void
export_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (pending_jobs == NIL || pending_lxid != MyProc->lxid)
	{
		pending_jobs = NIL;
		return;
	}
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:

			/*
			 * The lock is held until the commit is complete.  A worker whose
			 * wait is up takes it before its last look at this transaction:
			 * either it looks after the commit (and runs the job), or it gave
			 * up before we got the lock, at or after give_up, and we see that
			 * time has passed and start another worker.
			 */
			foreach(lc, pending_jobs)
			{
				PendingJob *p = (PendingJob *) lfirst(lc);
				LOCKTAG		tag;

				job_lock_tag(&tag, MyDatabaseId, p->args.job);
				(void) LockAcquire(&tag, ExclusiveLock, false, false);
				if (GetCurrentTimestamp() >= p->args.give_up && !register_worker(&p->args))
					no_worker_slot(p->args.job);
			}
			break;
		case XACT_EVENT_PRE_PREPARE:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot PREPARE a transaction that has started an export"),
					 errdetail("Export job " INT64_FORMAT " runs when the transaction that started it commits, "
							   "which a prepared transaction does not do.",
							   ((PendingJob *) linitial(pending_jobs))->args.job)));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_jobs = NIL;		/* the memory goes with the transaction */
			break;
		default:
			break;
	}
}

/*
 * revrec._export_launch(job bigint) returns bigint
 * Registers the worker for a job.  Called by revrec.export_async().
 */
PG_FUNCTION_INFO_V1(revrec_export_launch);
Datum
revrec_export_launch(PG_FUNCTION_ARGS)
{
	int64		job;
	RrExportArgs a;
	PendingJob *p;
	MemoryContext old;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("revrec._export_launch: the job id must not be null"),
				 errhint("Start exports with revrec.export_async().")));
	job = PG_GETARG_INT64(0);

	memset(&a, 0, sizeof(a));
	a.database = MyDatabaseId;
	a.login_role = GetSessionUserId();
	a.run_role = GetOuterUserId();
	a.xid = GetTopTransactionId();
	a.job = job;
	if (!register_worker(&a))
		no_worker_slot(job);

	if (!xact_callback_registered)
	{
		RegisterXactCallback(export_xact_callback, NULL);
		xact_callback_registered = true;
	}
	if (pending_lxid != MyProc->lxid)
	{
		pending_jobs = NIL;
		pending_lxid = MyProc->lxid;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(PendingJob));
	p->args = a;
	pending_jobs = lappend(pending_jobs, p);
	MemoryContextSwitchTo(old);

	PG_RETURN_INT64(job);
}

/*
 * revrec._outer_role() returns text: the role the caller runs as outside any
 * SECURITY DEFINER function (what current_role was before the call).
 *
 * Inside a security-restricted operation (ANALYZE, VACUUM, CREATE INDEX,
 * REFRESH MATERIALIZED VIEW evaluating another role's expressions) the outer
 * role is whoever runs the maintenance, not the role whose code is running:
 * revrec refuses to act for anybody there.
 */
PG_FUNCTION_INFO_V1(revrec_outer_role);
Datum
revrec_outer_role(PG_FUNCTION_ARGS)
{
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("revrec cannot act for a role inside a security-restricted operation"),
				 errdetail("ANALYZE, VACUUM, index builds and REFRESH MATERIALIZED VIEW run another role's code "
						   "on behalf of whoever runs them."),
				 errhint("Call revrec's functions directly, not from index expressions or materialized views.")));
	PG_RETURN_TEXT_P(cstring_to_text(GetUserNameFromId(GetOuterUserId(), false)));
}

/* ---------- the worker ---------- */

static RrExportArgs args;
static char tmp_path[MAXPGPATH];
static char final_path[MAXPGPATH];
static int	out_fd = -1;

/* A worker killed half-way leaves no partial file behind. */
static void
remove_partial(int code, Datum arg)
{
	if (out_fd >= 0)
	{
		close(out_fd);
		out_fd = -1;
	}
	if (tmp_path[0])
		unlink(tmp_path);
}

/* Start a transaction with SPI and a snapshot. */
static void
begin_tx(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec export: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
commit_tx(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Run bookkeeping SQL on the job row as the bootstrap superuser. */
static int
job_sql(const char *sql, int nargs, Oid *types, Datum *values)
{
	Oid			saved_user;
	int			saved_ctx;
	int			rc;

	GetUserIdAndSecContext(&saved_user, &saved_ctx);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_ctx | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	SetUserIdAndSecContext(saved_user, saved_ctx);
	if (rc < 0)
		elog(ERROR, "revrec export: bookkeeping query failed (%d): %s", rc, sql);
	return rc;
}

/* CSV field as COPY (FORMAT csv) writes it: NULL empty, "" for an empty string. */
static void
csv_field(StringInfo buf, const char *v, bool single)
{
	const char *p;
	bool		quote = false;

	if (v == NULL)
		return;
	if (*v == '\0' || (single && strcmp(v, "\\.") == 0))
		quote = true;
	else
		for (p = v; *p; p++)
			if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
			{
				quote = true;
				break;
			}
	if (!quote)
	{
		appendStringInfoString(buf, v);
		return;
	}
	appendStringInfoChar(buf, '"');
	for (p = v; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

static void
write_out(StringInfo buf, pg_cryptohash_ctx *sha, int64 *bytes)
{
	char	   *p = buf->data;
	int			left = buf->len;

	while (left > 0)
	{
		ssize_t		n = write(out_fd, p, left);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			ereport(ERROR, (errcode_for_file_access(),
							errmsg("could not write export file \"%s\": %m", tmp_path)));
		}
		p += n;
		left -= n;
	}
	if (pg_cryptohash_update(sha, (uint8 *) buf->data, buf->len) < 0)
		elog(ERROR, "revrec export: sha256 failed");
	*bytes += buf->len;
	resetStringInfo(buf);
}

/* ---------- cleanup ---------- */

/* <PGDATA>/revrec_exports/<database oid>: where this database's jobs write. */
static void
export_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%u", DataDir, RR_EXPORT_DIR, MyDatabaseId);
}

static bool
remove_file(const char *path)
{
	if (unlink(path) == 0)
		return true;
	if (errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove export file \"%s\": %m", path)));
	return false;
}

/* job_<id>.csv or job_<id>.csv.part */
static bool
parse_job_file(const char *name, int64 *job, bool *part)
{
	const char *p = name + 4;
	char	   *end;

	if (strncmp(name, "job_", 4) != 0 || !isdigit((unsigned char) *p))
		return false;
	errno = 0;
	*job = strtoll(p, &end, 10);
	if (errno != 0)
		return false;
	if (strcmp(end, ".csv") == 0)
		*part = false;
	else if (strcmp(end, ".csv.part") == 0)
		*part = true;
	else
		return false;
	return true;
}

/*
 * Remove what has outlived its use, in this database; returns the number of
 * files removed.  Needs a transaction with SPI connected.
 *   1. A running job whose worker is gone (terminated, crashed, server
 *      restarted) is set failed and announced.
 *   2. The file of a done job whose token has expired is removed; the job
 *      keeps its row (file_name becomes null).
 *   3. A file of this database's directory that no job owns (no job, a failed
 *      job, a partial file of a job that is not running) is removed.  A job
 *      that is running may have its file: it renames it before it commits.
 */
static int
cleanup_exports(void)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char		dir[MAXPGPATH];
	char		path[MAXPGPATH];
	List	   *names = NIL;
	ListCell   *lc;
	int64	   *failed;
	uint64		nfailed;
	DIR		   *d;
	struct dirent *de;
	SPIPlanPtr	plan;
	uint64		i;
	int			removed = 0;

	/* 1. running jobs without their worker */
	pgstat_clear_snapshot();	/* see the backends as they are now */
	job_sql("WITH gone AS (SELECT j.job_id FROM revrec._export_job j WHERE j.status = 'running' "
			"AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_get_activity(j.worker_pid) a "
			"WHERE a.backend_type = 'revrec export' AND a.backend_start <= j.started_at) "
			"FOR UPDATE OF j SKIP LOCKED) "
			"UPDATE revrec._export_job j SET status = 'failed', finished_at = pg_catalog.clock_timestamp(), "
			"file_name = NULL, error = 'the export worker stopped before it finished "
			"(terminated, crashed, or the server restarted)' "
			"FROM gone WHERE j.job_id = gone.job_id RETURNING j.job_id", 0, NULL, NULL);
	nfailed = SPI_processed;
	failed = palloc((nfailed + 1) * sizeof(int64));
	for (i = 0; i < nfailed; i++)
	{
		bool		isnull;

		failed[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	for (i = 0; i < nfailed; i++)
	{
		ereport(LOG,
				(errmsg("revrec export job " INT64_FORMAT " failed: its worker stopped before it finished",
						failed[i])));
		values[0] = Int64GetDatum(failed[i]);
		job_sql("SELECT pg_catalog.pg_notify('revrec_export', $1::text)", 1, types, values);
	}

	/* 2. files of expired tokens */
	job_sql("WITH x AS (SELECT j.job_id, j.file_name FROM revrec._export_job j WHERE j.status = 'done' "
			"AND j.file_name IS NOT NULL AND j.token_expires_at <= pg_catalog.clock_timestamp() "
			"FOR UPDATE OF j SKIP LOCKED) "
			"UPDATE revrec._export_job j SET file_name = NULL FROM x WHERE j.job_id = x.job_id "
			"RETURNING x.file_name", 0, NULL, NULL);
	for (i = 0; i < SPI_processed; i++)
		names = lappend(names, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	foreach(lc, names)
	{
		const char *name = (const char *) lfirst(lc);

		/* written by the worker only; refuse anything that leaves the directory */
		if (name[0] == '/' || strstr(name, "..") != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", DataDir, RR_EXPORT_DIR, name);
		if (remove_file(path))
			removed++;
	}

	/* 3. files no job owns */
	names = NIL;
	export_dir(dir, sizeof(dir));
	d = AllocateDir(dir);
	if (d == NULL && errno == ENOENT)
		return removed;
	while ((de = ReadDirExtended(d, dir, WARNING)) != NULL)
	{
		int64		job;
		bool		part;

		if (parse_job_file(de->d_name, &job, &part))
			names = lappend(names, pstrdup(de->d_name));
	}
	FreeDir(d);
	if (names == NIL)
		return removed;

	/*
	 * Read the jobs with the latest snapshot, whatever the caller's isolation:
	 * a job claimed after a REPEATABLE READ snapshot may already own a file.
	 */
	plan = SPI_prepare("SELECT j.status, j.file_name FROM revrec._export_job j WHERE j.job_id = $1", 1, types);
	if (plan == NULL)
		elog(ERROR, "revrec export: could not prepare the job lookup: %s", SPI_result_code_string(SPI_result));
	foreach(lc, names)
	{
		const char *name = (const char *) lfirst(lc);
		int64		job;
		bool		part;
		bool		keep = false;
		Oid			saved_user;
		int			saved_ctx;
		int			rc;

		(void) parse_job_file(name, &job, &part);
		values[0] = Int64GetDatum(job);
		GetUserIdAndSecContext(&saved_user, &saved_ctx);
		SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_ctx | SECURITY_LOCAL_USERID_CHANGE);
		rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 1);
		SetUserIdAndSecContext(saved_user, saved_ctx);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "revrec export: job lookup failed (%d)", rc);
		if (SPI_processed == 1)
		{
			char	   *status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			char	   *file = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
			char		mine[MAXPGPATH];

			snprintf(mine, sizeof(mine), "%u/%s", MyDatabaseId, name);
			keep = strcmp(status, "running") == 0 ||
				(!part && strcmp(status, "done") == 0 && file != NULL && strcmp(file, mine) == 0);
		}
		if (!keep)
		{
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (remove_file(path))
				removed++;
		}
	}
	return removed;
}

/*
 * revrec.export_cleanup() returns integer: the same cleanup on demand (every
 * export worker runs it when it starts and when it ends), for a schedule.
 */
PG_FUNCTION_INFO_V1(revrec_export_cleanup);
Datum
revrec_export_cleanup(PG_FUNCTION_ARGS)
{
	int			removed;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec export: SPI_connect failed");
	removed = cleanup_exports();
	SPI_finish();
	PG_RETURN_INT32(removed);
}

/* The worker's cleanup: a failure is logged, never fatal to the job. */
static void
worker_cleanup(void)
{
	MemoryContext top = CurrentMemoryContext;

	PG_TRY();
	{
		int			removed;

		begin_tx();
		removed = cleanup_exports();
		commit_tx();
		if (removed > 0)
			ereport(DEBUG1, (errmsg("revrec export: removed %d expired or orphaned export files", removed)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(top);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
}

/* ---------- waiting for the caller ---------- */

typedef enum CallerEnd
{
	CALLER_COMMITTED,
	CALLER_ROLLED_BACK,
	CALLER_STILL_OPEN
} CallerEnd;

/*
 * Wait until the transaction that started the job ends, or give_up passes.
 * The job row is inserted by that transaction: it is visible once it
 * commits and never exists if it rolls back.
 */
static CallerEnd
wait_for_caller(void)
{
	bool		committed;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (!TransactionIdIsInProgress(args.xid))
			break;
		if (GetCurrentTimestamp() >= args.give_up)
		{
			LOCKTAG		tag;
			bool		open;

			/* the last look, ordered against a commit (export_xact_callback) */
			StartTransactionCommand();
			job_lock_tag(&tag, args.database, args.job);
			(void) LockAcquire(&tag, ExclusiveLock, false, false);
			open = TransactionIdIsInProgress(args.xid);
			CommitTransactionCommand();
			if (open)
				return CALLER_STILL_OPEN;
			break;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	StartTransactionCommand();
	committed = TransactionIdDidCommit(args.xid);
	CommitTransactionCommand();
	return committed ? CALLER_COMMITTED : CALLER_ROLLED_BACK;
}

/* Mark the job running; its export query, or NULL if it is not queued. */
static char *
claim_job(void)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *query = NULL;

	values[0] = Int64GetDatum(args.job);
	begin_tx();
	job_sql("UPDATE revrec._export_job SET status = 'running', started_at = clock_timestamp(), "
			"worker_pid = pg_backend_pid() WHERE job_id = $1 AND status = 'queued' RETURNING query",
			1, types, values);
	if (SPI_processed == 1)
		query = MemoryContextStrdup(TopMemoryContext,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	commit_tx();
	return query;
}

static void
run_job(const char *query)
{
	Oid			types[7] = {INT8OID, INT8OID, TEXTOID, INT8OID, TEXTOID, INT8OID, INTERVALOID};
	Datum		values[7];
	Portal		portal;
	uint64		total;
	uint64		done = 0;
	int64		bytes = 0;
	StringInfoData buf;
	pg_cryptohash_ctx *sha;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	char		dir[MAXPGPATH];
	char		rel_name[MAXPGPATH];
	bool		header_done = false;
	int			i;

	values[0] = Int64GetDatum(args.job);

	/* the result, materialized by a holdable cursor, as the requesting role */
	begin_tx();
	{
		Oid			saved_user;
		int			saved_ctx;
		StringInfoData q;

		initStringInfo(&q);
		appendStringInfo(&q, "DECLARE " CURSOR_NAME " SCROLL CURSOR WITH HOLD FOR %s", query);
		GetUserIdAndSecContext(&saved_user, &saved_ctx);
		SetUserIdAndSecContext(args.run_role, saved_ctx | SECURITY_LOCAL_USERID_CHANGE);
		if (SPI_execute(q.data, false, 0) < 0)
			elog(ERROR, "revrec export: could not declare the export cursor");
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();		/* runs the query into the hold store */
		SetUserIdAndSecContext(saved_user, saved_ctx);
	}

	begin_tx();
	portal = SPI_cursor_find(CURSOR_NAME);
	if (portal == NULL)
		elog(ERROR, "revrec export: cursor vanished");
	SPI_scroll_cursor_move(portal, FETCH_FORWARD, FETCH_ALL);
	total = SPI_processed;
	SPI_scroll_cursor_move(portal, FETCH_ABSOLUTE, 0);
	values[1] = Int64GetDatum((int64) total);
	job_sql("UPDATE revrec._export_job SET rows_total = $2 WHERE job_id = $1", 2, types, values);
	commit_tx();

	snprintf(dir, sizeof(dir), "%s/%s", DataDir, RR_EXPORT_DIR);
	if (MakePGDirectory(dir) < 0 && errno != EEXIST)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create directory \"%s\": %m", dir)));
	export_dir(dir, sizeof(dir));
	if (MakePGDirectory(dir) < 0 && errno != EEXIST)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create directory \"%s\": %m", dir)));
	snprintf(rel_name, sizeof(rel_name), "%u/job_" INT64_FORMAT ".csv", MyDatabaseId, args.job);
	snprintf(tmp_path, sizeof(tmp_path), "%s/job_" INT64_FORMAT ".csv.part", dir, args.job);
	snprintf(final_path, sizeof(final_path), "%s/job_" INT64_FORMAT ".csv", dir, args.job);
	out_fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY, pg_file_create_mode);
	if (out_fd < 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create export file \"%s\": %m", tmp_path)));

	/* the hash lives across transactions: its own resource owner */
	{
		ResourceOwner saved = CurrentResourceOwner;

		CurrentResourceOwner = ResourceOwnerCreate(NULL, "revrec export sha256");
		sha = pg_cryptohash_create(PG_SHA256);
		CurrentResourceOwner = saved;
	}
	if (sha == NULL || pg_cryptohash_init(sha) < 0)
		elog(ERROR, "revrec export: sha256 failed");
	buf.data = NULL;

	for (;;)
	{
		SPITupleTable *tt;
		uint64		n,
					r;

		begin_tx();
		if (buf.data == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			initStringInfo(&buf);
			MemoryContextSwitchTo(old);
		}
		portal = SPI_cursor_find(CURSOR_NAME);
		SPI_scroll_cursor_fetch(portal, FETCH_FORWARD, RR_EXPORT_BATCH);
		tt = SPI_tuptable;
		n = SPI_processed;
		if (!header_done)
		{
			TupleDesc	td = portal->tupDesc;

			for (i = 0; i < td->natts; i++)
			{
				if (i > 0)
					appendStringInfoChar(&buf, ',');
				csv_field(&buf, NameStr(TupleDescAttr(td, i)->attname), td->natts == 1);
			}
			appendStringInfoChar(&buf, '\n');
			header_done = true;
		}
		for (r = 0; r < n; r++)
		{
			HeapTuple	tup = tt->vals[r];

			CHECK_FOR_INTERRUPTS();
			for (i = 1; i <= tt->tupdesc->natts; i++)
			{
				if (i > 1)
					appendStringInfoChar(&buf, ',');
				csv_field(&buf, SPI_getvalue(tup, tt->tupdesc, i), tt->tupdesc->natts == 1);
			}
			appendStringInfoChar(&buf, '\n');
			if (buf.len >= 1024 * 1024)
				write_out(&buf, sha, &bytes);
		}
		write_out(&buf, sha, &bytes);
		done += n;
		values[1] = Int64GetDatum((int64) done);
		job_sql("UPDATE revrec._export_job SET rows_done = $2 WHERE job_id = $1", 2, types, values);
		if (n < RR_EXPORT_BATCH)
			SPI_cursor_close(portal);
		commit_tx();
		CHECK_FOR_INTERRUPTS();
		if (n < RR_EXPORT_BATCH)
			break;
	}

	if (pg_fsync(out_fd) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not fsync export file \"%s\": %m", tmp_path)));
	if (close(out_fd) != 0)
	{
		out_fd = -1;
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not close export file \"%s\": %m", tmp_path)));
	}
	out_fd = -1;
	if (pg_cryptohash_final(sha, digest, sizeof(digest)) < 0)
		elog(ERROR, "revrec export: sha256 failed");
	pg_cryptohash_free(sha);
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);

	/* the file goes into place, then the job says so, in one step for readers */
	if (durable_rename(tmp_path, final_path, ERROR) != 0)
		elog(ERROR, "revrec export: rename failed");
	tmp_path[0] = '\0';
	begin_tx();
	values[1] = Int64GetDatum((int64) done);
	values[2] = CStringGetTextDatum(rel_name);
	values[3] = Int64GetDatum(bytes);
	values[4] = CStringGetTextDatum(hex);
	values[5] = Int64GetDatum((int64) total);
	/*
	 * the token's lifetime read first: an UPDATE of the job naming the
	 * settings would be planned by Citus on a distributed revrec (a reference
	 * table), which refuses the volatile functions here
	 */
	job_sql("SELECT s.export_token_ttl FROM revrec.settings s", 0, NULL, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "revrec.settings must have exactly one row");
	{
		bool		isnull;

		values[6] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (isnull)
			elog(ERROR, "revrec export: settings.export_token_ttl is null");
		values[6] = datumCopy(values[6], false, 16);
	}
	job_sql("UPDATE revrec._export_job SET status = 'done', finished_at = clock_timestamp(), rows_done = $2, "
			"rows_total = $6, file_name = $3, file_bytes = $4, sha256 = $5, token = gen_random_uuid()::text, "
			"token_expires_at = clock_timestamp() + $7 "
			"WHERE job_id = $1", 7, types, values);
	job_sql("SELECT pg_notify('revrec_export', $1::text)", 1, types, values);
	commit_tx();
}

static void
fail_job(const char *message)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	begin_tx();
	values[0] = Int64GetDatum(args.job);
	values[1] = CStringGetTextDatum(message);
	job_sql("UPDATE revrec._export_job SET status = 'failed', finished_at = clock_timestamp(), error = $2, "
			"file_name = NULL WHERE job_id = $1", 2, types, values);
	job_sql("SELECT pg_notify('revrec_export', $1::text)", 1, types, values);
	commit_tx();
}

void
revrec_export_worker_main(Datum main_arg)
{
	char	   *query;
	char	   *volatile failure = NULL;
	MemoryContext top = CurrentMemoryContext;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	tmp_path[0] = '\0';
	before_shmem_exit(remove_partial, (Datum) 0);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.database, args.login_role, 0);
	/*
	 * the worker's SQL resolves nothing through the database's or the role's
	 * search_path (an operator a database owner puts in public would be
	 * chosen where its argument types match exactly: src/citus.c)
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * Bookkeeping runs as a superuser: never with a search_path the login
	 * role chose (its objects could shadow operators).  The export query is
	 * schema-qualified.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);
	{
		char		appname[NAMEDATALEN];

		snprintf(appname, sizeof(appname), "revrec export job " INT64_FORMAT, args.job);
		pgstat_report_appname(appname);
	}

	worker_cleanup();
	switch (wait_for_caller())
	{
		case CALLER_ROLLED_BACK:
			ereport(LOG,
					(errmsg("revrec export job " INT64_FORMAT " abandoned: the transaction that started it rolled back",
							args.job)));
			proc_exit(0);
			break;
		case CALLER_STILL_OPEN:
			ereport(LOG,
					(errmsg("revrec export job " INT64_FORMAT ": gave up waiting for the transaction that started it",
							args.job),
					 errdetail("Should that transaction commit, its commit starts another worker.")));
			proc_exit(0);
			break;
		case CALLER_COMMITTED:
			break;
	}
	query = claim_job();
	if (query == NULL)
	{
		ereport(LOG,
				(errmsg("revrec export job " INT64_FORMAT " is not queued: rolled back to a savepoint, or run by another worker",
						args.job)));
		proc_exit(0);
	}

	PG_TRY();
	{
		run_job(query);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(top);
		ed = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		failure = psprintf("%s (SQLSTATE %s)", ed->message, unpack_sql_state(ed->sqlerrcode));
		AbortCurrentTransaction();
		if (out_fd >= 0)
		{
			close(out_fd);
			out_fd = -1;
		}
		if (tmp_path[0])
			unlink(tmp_path);
		tmp_path[0] = '\0';
	}
	PG_END_TRY();

	if (failure)
		fail_job(failure);
	worker_cleanup();
	proc_exit(0);
}
