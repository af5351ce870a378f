/*
 * citus.c — posting through a Citus coordinator (docs/CITUS.md).
 *
 * On a distributed revrec (revrec.distribute() made the table
 * revrec.citus_queue), a document written through the coordinator does not
 * fire the coordinator's triggers: Citus sends the rows to the shards, and
 * the only trigger there (revrec._citus_capture) records the documents' keys
 * in the co-located shard of revrec.citus_queue, in the same distributed
 * transaction.  The coordinator must still post at commit.  Its executor and
 * COPY hooks notice a write into one of revrec's document tables and arm the
 * commit as a single node does (a row in revrec.pending_flush, whose deferred
 * constraint trigger runs at commit); the flush trigger (src/flush.c) first
 * moves this transaction's queued keys into revrec.pending
 * (revrec._citus_pull()), then runs the same revrec.flush() as a single node,
 * whose queries Citus routes by customer_id.
 *
 * On a single node revrec.citus_queue does not exist: nothing here does
 * anything but look that up (once per statement that writes).
 */
#include "revrec.h"
#include "citus.h"

#include "access/xact.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;
static bool armed = false;		/* this transaction's flush is armed */

/* an UPDATE of revrec.settings under way: the lock before it */
static QueryDesc *settings_qd = NULL;
static Datum settings_old[2];
static bool settings_old_null[2];

bool
rr_citus_active(void)
{
	Oid			ns = get_namespace_oid("revrec", true);

	return OidIsValid(ns) && OidIsValid(get_relname_relid("citus_queue", ns));
}

/* one of revrec's document tables (on a worker, shards have other names) */
static bool
is_document_table(Oid relid)
{
	static const char *const docs[] = {"invoice", "invoice_line", "usage", "milestone", "credit_note",
	"credit_note_line", "billing_schedule_line", "credit_grant"};
	char	   *name;
	Oid			ns = get_namespace_oid("revrec", true);
	int			i;

	if (!OidIsValid(ns) || get_rel_namespace(relid) != ns)
		return false;
	name = get_rel_name(relid);
	if (name == NULL)
		return false;
	for (i = 0; i < (int) lengthof(docs); i++)
		if (strcmp(name, docs[i]) == 0)
			return true;
	return false;
}

/* the owner of schema revrec: the extension's owner, the role revrec's flush runs as */
static Oid
revrec_owner(void)
{
	Oid			ns = get_namespace_oid("revrec", false);
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(ns));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "revrec: cache lookup failed for schema revrec");
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * On a distributed revrec, only revrec's owner can write what posts at
 * commit: the flush runs as the owner (SECURITY DEFINER, as on a single
 * node), and Citus refuses a statement on shard placements another role
 * modified in the same transaction ("cannot perform query on placements that
 * were modified in this transaction by a different user").  A revrec_writer's
 * documents or a revrec_admin's lock change would fail at their first
 * statement (EXECUTE on revrec's internal functions) or at commit: refused
 * here, before anything is written, with the reason (docs/CITUS.md, "Roles
 * on Citus").
 */
static void
only_the_owner(const char *what)
{
	Oid			owner = revrec_owner();

	if (GetUserId() != owner)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("on a distributed revrec, %s only by revrec's owner (%s) for now", what,
						GetUserNameFromId(owner, false)),
				 errdetail("revrec posts at commit as its owner, and Citus refuses to touch shards that another role (%s) "
						   "changed in the same transaction.", GetUserNameFromId(GetUserId(), false)),
				 errhint("See docs/CITUS.md, \"Roles on Citus\".")));
}

static void
arm_flush(void)
{
	if (armed || !rr_citus_active() || SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return;
	armed = true;
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec: SPI_connect failed");
	if (SPI_execute("SELECT revrec._enqueue()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: arming the flush failed");
	SPI_finish();
	PopActiveSnapshot();
}

/*
 * The flush has run (src/flush.c): it emptied this transaction's row of
 * revrec.pending_flush.  In immediate mode (SET CONSTRAINTS ALL IMMEDIATE)
 * it runs at the end of each statement that arms it, and the transaction's
 * next document write must arm it again: otherwise its keys stayed in
 * revrec.citus_queue, committed without a posting.
 */
void
rr_citus_flushed(void)
{
	armed = false;
}

/* a statement updating revrec.settings */
static bool
updates_settings(QueryDesc *qd)
{
	ListCell   *lc;
	Oid			ns = get_namespace_oid("revrec", true);
	Oid			settings = OidIsValid(ns) ? get_relname_relid("settings", ns) : InvalidOid;

	if (qd->operation != CMD_UPDATE || qd->plannedstmt == NULL || !OidIsValid(settings))
		return false;
	foreach(lc, qd->plannedstmt->relationOids)
		if (lfirst_oid(lc) == settings)
			return true;
	foreach(lc, qd->plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && rte->relid == settings)
			return true;
	}
	return false;
}

/* the lock now: lock_date, lock_to_accounting_date */
static void
read_lock(Datum *v, bool *isnull)
{
	int			k;

	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec: SPI_connect failed");
	if (SPI_execute("SELECT lock_date, lock_to_accounting_date FROM revrec.settings", true, 2) != SPI_OK_SELECT
		|| SPI_processed != 1)
		elog(ERROR, "revrec.settings must have exactly one row");
	for (k = 0; k < 2; k++)
		v[k] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, k + 1, &isnull[k]);
	SPI_finish();
	PopActiveSnapshot();
}

/* a statement writing one of revrec's document tables */
static bool
writes_documents(QueryDesc *qd)
{
	ListCell   *lc;

	if (qd->operation == CMD_SELECT || qd->plannedstmt == NULL)
		return false;
	foreach(lc, qd->plannedstmt->relationOids)
		if (is_document_table(lfirst_oid(lc)))
			return true;
	foreach(lc, qd->plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && is_document_table(rte->relid))
			return true;
	}
	return false;
}

/*
 * A single-shard write outside a transaction block is sent by Citus without
 * one: the worker would commit the document before the coordinator posts
 * it.  Citus's own UseCoordinatedTransaction() makes the statement's remote
 * transaction part of the coordinator's, committed with the posting (two
 * phases when it spans workers).
 */
static void
use_coordinated_transaction(void)
{
	static void (*fn) (void) = NULL;

	if (fn == NULL)
		fn = (void (*) (void)) load_external_function("citus", "UseCoordinatedTransaction", true, NULL);
	fn();
}

static void
rr_executor_start(QueryDesc *qd, int eflags)
{
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && qd->operation == CMD_UPDATE && settings_qd == NULL && rr_citus_active()
		&& SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA && updates_settings(qd))
	{
		only_the_owner("the settings are changed");
		read_lock(settings_old, settings_old_null);
		settings_qd = qd;
	}
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && qd->operation != CMD_SELECT && rr_citus_active()
		&& SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA && writes_documents(qd))
	{
		only_the_owner("documents are written");
		use_coordinated_transaction();
	}
	if (prev_executor_start)
		prev_executor_start(qd, eflags);
	else
		standard_ExecutorStart(qd, eflags);
}

static void
rr_executor_finish(QueryDesc *qd)
{
	if (prev_executor_finish)
		prev_executor_finish(qd);
	else
		standard_ExecutorFinish(qd);
	if (qd->operation != CMD_SELECT && !armed && rr_citus_active() && writes_documents(qd))
		arm_flush();
	if (qd == settings_qd)
	{
		Datum		v[2];
		bool		isnull[2];
		Oid			types[4] = {DATEOID, BOOLOID, DATEOID, BOOLOID};
		Datum		args[4];
		char		nulls[4];

		settings_qd = NULL;
		read_lock(v, isnull);
		args[0] = settings_old[0];
		args[1] = settings_old[1];
		args[2] = v[0];
		args[3] = v[1];
		nulls[0] = settings_old_null[0] ? 'n' : ' ';
		nulls[1] = settings_old_null[1] ? 'n' : ' ';
		nulls[2] = isnull[0] ? 'n' : ' ';
		nulls[3] = isnull[1] ? 'n' : ' ';
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "revrec: SPI_connect failed");
		if (SPI_execute_with_args("SELECT revrec._citus_settings_change($1, $2, $3, $4)", 4, types, args, nulls,
								  false, 0) != SPI_OK_SELECT)
			elog(ERROR, "revrec: logging the change of the lock failed");
		SPI_finish();
		PopActiveSnapshot();
	}
}

static void
rr_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				   ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, CopyStmt) && ((CopyStmt *) pstmt->utilityStmt)->is_from
		&& ((CopyStmt *) pstmt->utilityStmt)->relation != NULL && IsTransactionState() && rr_citus_active()
		&& SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA)
	{
		Oid			relid = RangeVarGetRelid(((CopyStmt *) pstmt->utilityStmt)->relation, NoLock, true);

		if (OidIsValid(relid) && is_document_table(relid))
		{
			only_the_owner("documents are written");
			use_coordinated_transaction();
		}
	}
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	if (!armed && IsA(pstmt->utilityStmt, CopyStmt))
	{
		CopyStmt   *c = (CopyStmt *) pstmt->utilityStmt;

		if (c->is_from && c->relation != NULL && IsTransactionState() && rr_citus_active())
		{
			Oid			relid = RangeVarGetRelid(c->relation, NoLock, true);

			if (OidIsValid(relid) && is_document_table(relid))
				arm_flush();
		}
	}
}

static void
rr_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE
		|| event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		armed = false;
		settings_qd = NULL;
	}
}

static void
rr_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		armed = false;			/* the row in pending_flush may be gone: arm again */
		settings_qd = NULL;
	}
}

/*
 * On Citus, the invoice lines an engine locks FOR NO KEY UPDATE: Citus locks
 * rows only in a statement routed to one shard, so each line is locked by
 * its own statement, in the order keys_sql returns them (customer_id,
 * line_id), the order a single node's one statement locks them in.
 */
void
rr_citus_lock_lines(const char *keys_sql, int nargs, Oid *types, Datum *args, const char *nulls)
{
	SPITupleTable *keys;
	uint64		n,
				i;
	Oid			ltypes[2] = {TEXTOID, TEXTOID};

	if (SPI_execute_with_args(keys_sql, nargs, types, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the lines to lock failed");
	keys = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		largs[2];

		largs[0] = SPI_getbinval(keys->vals[i], keys->tupdesc, 1, &isnull);
		largs[1] = SPI_getbinval(keys->vals[i], keys->tupdesc, 2, &isnull);
		if (SPI_execute_with_args("SELECT 1 FROM revrec.invoice_line l WHERE l.customer_id = $1 AND l.line_id = $2"
								  " FOR NO KEY UPDATE OF l", 2, ltypes, largs, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "revrec: locking a line failed");
	}
}

void
revrec_citus_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = rr_executor_start;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = rr_executor_finish;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = rr_process_utility;
	RegisterXactCallback(rr_xact_callback, NULL);
	RegisterSubXactCallback(rr_subxact_callback, NULL);
}
