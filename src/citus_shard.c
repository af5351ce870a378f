/*
 * citus_shard.c — posting on the Citus workers, one shard group at a time
 * (docs/CITUS.md, "Posting on the workers").
 *
 * On a distributed revrec every per-customer table is co-located: one
 * customer's documents and postings are in one shard group, on one worker.
 * At commit the coordinator (src/flush.c) sends
 *     SELECT a.* FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, marks) a
 * to every shard of revrec.citus_group (one row per shard group), in the
 * connections that wrote the documents, so every worker posts its own
 * customers, in the distributed transaction, at once.
 *
 * revrec._citus_post_group(anchor) runs there, on the worker, the single
 * node's revrec._citus_pull() and revrec.flush(), unchanged: while it runs
 * ("shard mode"), the planner hook below replaces every revrec table those
 * functions name by its shard in the group (a distributed table) or its local
 * placement (a reference table), so their SQL is plain PostgreSQL on local
 * tables: Citus plans nothing, opens no connection, and the posting sees the
 * documents this transaction wrote in the same backend.  Cached plans are
 * reset when shard mode starts and ends.  The activity log (a reference
 * table, which a worker cannot write) is not mapped: the rows
 * revrec._log_postings() would insert are returned instead, and the
 * coordinator writes them.  Nothing here does anything on a single node.
 */
#include "revrec.h"
#include "citus.h"
#include "post_emit.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

bool		rr_shard_mode = false;
Tuplestorestate *rr_shard_activity = NULL;
TupleDesc	rr_shard_activity_desc = NULL;

typedef struct ShardMapEntry
{
	Oid			table;			/* key: revrec's table (the shell on the worker) */
	Oid			shard;			/* its shard in the group, or local placement */
} ShardMapEntry;

static HTAB *shard_map = NULL;
static planner_hook_type prev_planner = NULL;

static bool
map_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, map_walker, context, QTW_EXAMINE_RTES_BEFORE);
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION)
		{
			ShardMapEntry *e = hash_search(shard_map, &rte->relid, HASH_FIND, NULL);

			if (e != NULL)
			{
				/* the planner opens it unlocked: lock it as the table was */
				LockRelationOid(e->shard, rte->rellockmode);
				rte->relid = e->shard;
			}
		}
		return false;
	}
	return expression_tree_walker(node, map_walker, context);
}

static PlannedStmt *
shard_planner(Query *parse, const char *query_string, int cursorOptions, ParamListInfo boundParams)
{
	bool		outer;
	PlannedStmt *plan;

	if (rr_shard_mode && shard_map != NULL)
		(void) map_walker((Node *) parse, NULL);
	/* (what the statement writes, for the hint of Citus's errors: src/citus.c) */
	outer = rr_citus_planning(parse);
	if (prev_planner)
		plan = prev_planner(parse, query_string, cursorOptions, boundParams);
	else
		plan = standard_planner(parse, query_string, cursorOptions, boundParams);
	rr_citus_planned(outer);
	return plan;
}

/* the shard and its table must have the same columns at the same numbers */
static void
same_columns(Oid table, Oid shard)
{
	Relation	t = table_open(table, AccessShareLock);
	Relation	s = table_open(shard, AccessShareLock);
	TupleDesc	td = RelationGetDescr(t);
	TupleDesc	sd = RelationGetDescr(s);
	bool		same = td->natts == sd->natts;
	int			i;

	for (i = 0; same && i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);
		Form_pg_attribute b = TupleDescAttr(sd, i);

		same = a->attisdropped == b->attisdropped
			&& (a->attisdropped || (strcmp(NameStr(a->attname), NameStr(b->attname)) == 0
									&& a->atttypid == b->atttypid));
	}
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revrec: shard %s does not have the columns of %s",
						RelationGetRelationName(s), RelationGetRelationName(t)),
				 errhint("The workers post against the shards column by column (docs/CITUS.md).")));
	table_close(s, AccessShareLock);
	table_close(t, AccessShareLock);
}

/*
 * The map of the shard group whose shard of revrec.citus_group is anchor:
 * every table of revrec co-located with it, and every reference table but
 * the activity log, to its shard on this node.  (SPI connected.)
 */
static void
build_map(Oid anchor)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(anchor)};
	HASHCTL		ctl;
	uint64		i;

	if (SPI_execute_with_args(
			"SELECT p.logicalrelid::oid, pg_catalog.to_regclass(pg_catalog.format('revrec.%I', c.relname || '_' || s.shardid))::oid"
			"  FROM pg_catalog.pg_dist_shard a"
			"  JOIN pg_catalog.pg_dist_partition pa ON pa.logicalrelid = a.logicalrelid"
			"  JOIN pg_catalog.pg_dist_partition p ON p.colocationid = pa.colocationid OR p.partmethod = 'n'"
			"  JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid"
			"   AND c.relnamespace = 'revrec'::pg_catalog.regnamespace AND c.relname NOT IN ('activity', 'doc_key')"
			"  JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid = p.logicalrelid"
			"   AND (s.shardminvalue = a.shardminvalue OR p.partmethod = 'n')"
			" WHERE a.logicalrelid = 'revrec.citus_group'::pg_catalog.regclass"
			"   AND pg_catalog.to_regclass(pg_catalog.format('revrec.%I', 'citus_group_' || a.shardid)) = $1",
			1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the shard group failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revrec._citus_post_group: %u is not a shard of revrec.citus_group on this node", anchor),
				 errhint("It is called by the coordinator's commit, on the workers (docs/CITUS.md).")));
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(ShardMapEntry);
	ctl.hcxt = TopTransactionContext;
	shard_map = hash_create("revrec shard map", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		n1,
					n2;
		Oid			table = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &n1));
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &n2);
		ShardMapEntry *e;

		if (n2)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revrec: the shard of %s next to %u is not on this node", get_rel_name(table), anchor)));
		same_columns(table, DatumGetObjectId(d));
		e = hash_search(shard_map, &table, HASH_ENTER, NULL);
		e->shard = DatumGetObjectId(d);
	}
}

/*
 * The activity rows of what this transaction posted on this node, kept until
 * it ends (TopTransactionContext), per shard group: every call of
 * _citus_post_group returns all of its group's, so the commit's call logs
 * every posting of the transaction, whatever made it post earlier (a call
 * the coordinator's check did not see: docs/CITUS.md, "Roles on Citus").
 * Rows of a subtransaction rolled back go with it.
 */
typedef struct PostedRow
{
	int32		group_min;		/* the shard group: its hash range's low end */
	SubTransactionId subid;
	HeapTuple	tup;			/* the row returned: the group's place, seq, the activity row */
	int64		seq;			/* in the order posted, never reused in the backend */
} PostedRow;

static List *posted = NIL;
static int64 posted_seq = 0;
static int32 posting_group = 0;	/* the group being posted, */
static int64 posting_idx = 0;	/* and its place among the groups */
static void ensure_callbacks(void);

/* activity.c, in shard mode: one activity row, for the coordinator to log */
void
rr_shard_log(HeapTuple row, TupleDesc rowdesc)
{
	Datum		v[9];
	bool		n[9];
	int			i;
	MemoryContext old;
	PostedRow  *p;

	if (rr_shard_activity == NULL || rowdesc->natts != 7 || rr_shard_activity_desc->natts != 9)
		elog(ERROR, "revrec: activity rows in shard mode do not match");
	for (i = 0; i < 7; i++)
		v[i + 2] = SPI_getbinval(row, rowdesc, i + 1, &n[i + 2]);
	ensure_callbacks();
	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(PostedRow));
	p->group_min = posting_group;
	p->subid = GetCurrentSubTransactionId();
	p->seq = ++posted_seq;
	v[0] = Int64GetDatum(posting_idx);
	v[1] = Int64GetDatum(p->seq);
	n[0] = n[1] = false;
	p->tup = heap_form_tuple(rr_shard_activity_desc, v, n);
	posted = lappend(posted, p);
	MemoryContextSwitchTo(old);
}

/* the group's activity rows kept so far, after the caller's mark, into the result */
static void
return_posted(int32 group_min, int64 after, Tuplestorestate *ts)
{
	ListCell   *lc;

	foreach(lc, posted)
	{
		PostedRow  *p = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (p->group_min == group_min && p->seq > after)
			tuplestore_puttuple(ts, p->tup);
	}
}

/* the caller's mark for the group at idx: after[idx], 0 when NULL or missing */
static int64
mark_of(FunctionCallInfo fcinfo, int argno, int64 idx)
{
	ArrayType  *a;

	if (PG_ARGISNULL(argno))
		return 0;
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("revrec: the marks read so far must be a one-dimensional array")));
	if (ARR_NDIM(a) == 1 && (int64) ARR_LBOUND(a)[0] + idx <= INT_MAX)
	{
		int			sub = ARR_LBOUND(a)[0] + (int) idx;
		bool		isnull;
		Datum		d = array_get_element(PointerGetDatum(a), 1, &sub, -1, 8, FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE, &isnull);

		if (!isnull)
			return DatumGetInt64(d);
	}
	return 0;
}

/* the hash range's low end of anchor, a shard of revrec.citus_group on this node, and its place */
static void
anchor_group(Oid anchor, int32 *group_min, int64 *idx)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(anchor)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT a.shardminvalue::int,"
							  "       (SELECT count(*) FROM pg_catalog.pg_dist_shard s"
							  "         WHERE s.logicalrelid = a.logicalrelid AND s.shardminvalue::int < a.shardminvalue::int)"
							  "  FROM pg_catalog.pg_dist_shard a"
							  " WHERE a.logicalrelid = 'revrec.citus_group'::pg_catalog.regclass"
							  "   AND pg_catalog.to_regclass(pg_catalog.format('revrec.%I', 'citus_group_' || a.shardid)) = $1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the shard group failed");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revrec: %u is not a shard of revrec.citus_group on this node", anchor),
				 errhint("It is called by the coordinator's commit, on the workers (docs/CITUS.md).")));
	*group_min = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*idx = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

/*
 * The group's shard of revrec.citus_queue has rows (SPI connected).  Asked
 * before the map is built: a group with nothing queued opens, locks and
 * checks none of its shards (a commit would otherwise wait for any lock held
 * on any shard of any group).
 */
static bool
queued(Oid anchor, int32 *group, int64 *place)
{
	Oid			types[1] = {INT4OID};
	Datum		args[1];
	int32		group_min;
	int64		idx;
	char	   *queue;

	anchor_group(anchor, &group_min, &idx);
	*group = group_min;
	*place = idx;
	args[0] = Int32GetDatum(group_min);
	if (SPI_execute_with_args("SELECT pg_catalog.format('revrec.%I', 'citus_queue_' || q.shardid)"
							  "  FROM pg_catalog.pg_dist_shard q"
							  " WHERE q.logicalrelid = 'revrec.citus_queue'::pg_catalog.regclass"
							  "   AND q.shardminvalue::int = $1", 1, types, args, NULL, true, 1) != SPI_OK_SELECT
		|| SPI_processed != 1)
		elog(ERROR, "revrec: the shard group has no shard of revrec.citus_queue");
	queue = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (SPI_execute(psprintf("SELECT 1 FROM %s LIMIT 1", queue), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the shard group's queue failed");
	return SPI_processed > 0;
}

/*
 * This node numbers postings from its own range of the posting sequence:
 * its group id times 2^48 (revrec._citus_groups(), run by distribute()).  A
 * node added after distribute() still has the install's sequence, from 1,
 * the coordinator's range: its postings would take ids the coordinator's
 * postings have, so nothing posts there until distribute() has run again
 * (docs/CITUS.md, "Adding nodes, moving and splitting shards").  SPI
 * connected.
 */
static void
check_posting_range(void)
{
	bool		isnull;
	int64		group;
	int64		seqmin;

	if (SPI_execute("SELECT g.groupid::bigint, s.seqmin FROM pg_catalog.pg_dist_local_group g, pg_catalog.pg_sequence s"
					" WHERE s.seqrelid = 'revrec.posting_posting_id_seq'::pg_catalog.regclass", true, 1) != SPI_OK_SELECT
		|| SPI_processed != 1)
		elog(ERROR, "revrec: reading this node's posting sequence failed");
	group = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	seqmin = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (group > 0 && seqmin != group * (INT64CONST(1) << 48) + 1)
		ereport(ERROR,
				(errcode(ERRCODE_RR_CITUS),
				 errmsg("revrec: this node (group %lld) has no range of posting ids of its own",
						(long long) group),
				 errdetail("Its sequence revrec.posting_posting_id_seq starts at %lld, not at %lld: its postings would take ids another node's postings have. Nothing was posted.",
						   (long long) seqmin, (long long) (group * (INT64CONST(1) << 48) + 1)),
				 errhint("The node was added after revrec.distribute(): run SELECT revrec.distribute() again on the coordinator, as a superuser (docs/CITUS.md, \"Adding nodes, moving and splitting shards\").")));
}

static void
leave_shard_mode(void)
{
	rr_shard_mode = false;
	shard_map = NULL;
	rr_shard_activity = NULL;
	rr_shard_activity_desc = NULL;
	ResetPlanCache();
}

/* a set-returning function's tuplestore and row type, in the query's memory */
static Tuplestorestate *
materialize_begin(FunctionCallInfo fcinfo, const char *name, TupleDesc *td)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	Tuplestorestate *ts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("%s() returns a set: call it in FROM", name)));
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: the shard must not be null", name)));
	if (get_call_result_type(fcinfo, NULL, td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: return type must be a row type", name);
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	ts = tuplestore_begin_heap(true, false, work_mem);
	*td = CreateTupleDescCopy(*td);
	MemoryContextSwitchTo(oldcxt);
	return ts;
}

static void
materialize_end(FunctionCallInfo fcinfo, Tuplestorestate *ts, TupleDesc td)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = td;
}

/*
 * revrec._citus_post_group(anchor regclass): on a worker, in the
 * coordinator's distributed transaction, post what this transaction queued
 * in the shard group of anchor (a shard of revrec.citus_group); returns the
 * activity rows of the postings, for the coordinator to log.
 */
PG_FUNCTION_INFO_V1(revrec_citus_post_group);
Datum
revrec_citus_post_group(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Tuplestorestate *ts = materialize_begin(fcinfo, "revrec._citus_post_group", &td);
	int32		group;
	int64		idx;

	if (rr_shard_mode)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("revrec._citus_post_group() is already running")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec: SPI_connect failed");
	/* only in the coordinator's distributed transaction (as the capture: RV064) */
	if (SPI_execute("SELECT 1 FROM pg_catalog.get_current_transaction_id() g"
					" WHERE g.initiator_node_identifier = 0 AND g.transaction_number <> 0", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the distributed transaction failed");
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("revrec._citus_post_group() runs only in a transaction of the Citus coordinator")));
	if (!queued(PG_GETARG_OID(0), &group, &idx))
	{
		/* nothing queued in this group: no posting, no plans reset */
		SPI_finish();
		return_posted(group, mark_of(fcinfo, 1, idx), ts);
		materialize_end(fcinfo, ts, td);
		return (Datum) 0;
	}
	check_posting_range();
	build_map(PG_GETARG_OID(0));
	PG_TRY();
	{
		rr_shard_mode = true;
		posting_group = group;
		posting_idx = idx;
		rr_shard_activity = ts;
		rr_shard_activity_desc = td;
		ResetPlanCache();
		if (rr_spi_execute_user_error("SELECT revrec._citus_pull()", false) != SPI_OK_SELECT)
			elog(ERROR, "revrec: reading the queue of the shard group failed");
		if (rr_spi_execute_user_error("SELECT revrec.flush()", false) != SPI_OK_SELECT)
			elog(ERROR, "revrec: posting the shard group failed");
	}
	PG_FINALLY();
	{
		leave_shard_mode();
	}
	PG_END_TRY();
	SPI_finish();

	return_posted(group, mark_of(fcinfo, 1, idx), ts);
	materialize_end(fcinfo, ts, td);
	return (Datum) 0;
}

void
revrec_citus_shard_init(void)
{
	prev_planner = planner_hook;
	planner_hook = shard_planner;
}

/* ---------- ids and references of the documents written, per transaction ----------
 *
 * The capture on a shard (revrec._citus_capture()) notes here, in the worker
 * backend's memory for the transaction, the document ids and numbers a
 * statement wrote or freed ('key') and the parents its rows name that their
 * customer does not have ('ref').  The coordinator reads them after each
 * statement and at commit with revrec._citus_keys(), as the role writing:
 * reading takes nothing away, so a role calling it itself cannot hide an id
 * from the coordinator's uniqueness check (docs/CITUS.md, "Roles on Citus").
 * Entries of a subtransaction rolled back go with it; all go at the end of
 * the transaction.
 */
typedef struct NotedKey
{
	int64		seq;			/* in the order noted, never reused in the backend */
	int32		group_min;		/* the shard group: its hash range's low end */
	SubTransactionId subid;
	char	   *customer_id;
	char	   *kind;			/* 'key' or 'ref' */
	char	   *doc_id;
	char	   *ref;
	char	   *op;
} NotedKey;

static List *noted = NIL;		/* of NotedKey *, in TopTransactionContext */
static int64 noted_seq = 0;
static bool noted_callbacks = false;

static void
noted_xact(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE
		|| event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		noted = NIL;			/* (its memory goes with TopTransactionContext) */
		posted = NIL;
	}
}

static void
noted_subxact(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, noted)
		{
			NotedKey   *k = lfirst(lc);

			if (k->subid == mySubid)
				k->subid = parentSubid;
		}
		foreach(lc, posted)
		{
			PostedRow  *p = lfirst(lc);

			if (p->subid == mySubid)
				p->subid = parentSubid;
		}
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(lc, noted)
		{
			NotedKey   *k = lfirst(lc);

			if (k->subid == mySubid)
				noted = foreach_delete_current(noted, lc);
		}
		foreach(lc, posted)
		{
			PostedRow  *p = lfirst(lc);

			if (p->subid == mySubid)
				posted = foreach_delete_current(posted, lc);
		}
	}
}

static void
ensure_callbacks(void)
{
	if (!noted_callbacks)
	{
		RegisterXactCallback(noted_xact, NULL);
		RegisterSubXactCallback(noted_subxact, NULL);
		noted_callbacks = true;
	}
}

static char *
text_elem(Datum *e, bool *n, int i)
{
	return n[i] ? NULL : TextDatumGetCString(e[i]);
}

/*
 * revrec._citus_note(group_min int, customers text[], kinds text[], ids
 * text[], refs text[], ops text[]): called by the capture (SECURITY DEFINER),
 * executable by nobody else.
 */
PG_FUNCTION_INFO_V1(revrec_citus_note);
Datum
revrec_citus_note(PG_FUNCTION_ARGS)
{
	Datum	   *e[5];
	bool	   *n[5];
	int			len[5];
	int			a,
				i;
	MemoryContext old;

	for (a = 0; a < 6; a++)
		if (PG_ARGISNULL(a))
			PG_RETURN_VOID();
	for (a = 0; a < 5; a++)
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(a + 1);

		if (ARR_ELEMTYPE(arr) != TEXTOID || ARR_NDIM(arr) > 1)
			elog(ERROR, "revrec._citus_note: text arrays expected");
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &e[a], &n[a], &len[a]);
		if (len[a] != len[0])
			elog(ERROR, "revrec._citus_note: arrays of different lengths");
	}
	ensure_callbacks();
	old = MemoryContextSwitchTo(TopTransactionContext);
	for (i = 0; i < len[0]; i++)
	{
		NotedKey   *k = palloc0(sizeof(NotedKey));

		CHECK_FOR_INTERRUPTS();
		k->seq = ++noted_seq;
		k->group_min = PG_GETARG_INT32(0);
		k->subid = GetCurrentSubTransactionId();
		k->customer_id = text_elem(e[0], n[0], i);
		k->kind = text_elem(e[1], n[1], i);
		k->doc_id = text_elem(e[2], n[2], i);
		k->ref = text_elem(e[3], n[3], i);
		k->op = text_elem(e[4], n[4], i);
		noted = lappend(noted, k);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_VOID();
}

/*
 * revrec._citus_keys(anchor regclass, after bigint[]): the ids and references
 * this transaction noted in anchor's shard group, after the one numbered
 * after[place of the group] (the coordinator's last read): (group, seq,
 * customer_id, kind, doc_id, ref, op).  Reads, takes nothing away.
 */
PG_FUNCTION_INFO_V1(revrec_citus_keys);
Datum
revrec_citus_keys(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Tuplestorestate *ts = materialize_begin(fcinfo, "revrec._citus_keys", &td);
	int32		group_min;
	int64		idx;
	int64		after;
	ListCell   *lc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec: SPI_connect failed");
	anchor_group(PG_GETARG_OID(0), &group_min, &idx);
	SPI_finish();
	/* its element for this group only (not the whole array: a caller's may be huge) */
	after = mark_of(fcinfo, 1, idx);
	foreach(lc, noted)
	{
		NotedKey   *k = lfirst(lc);
		Datum		v[7];
		bool		nl[7] = {false, false, false, false, false, false, false};

		CHECK_FOR_INTERRUPTS();

		if (k->group_min != group_min || k->seq <= after)
			continue;
		v[0] = Int64GetDatum(idx);
		v[1] = Int64GetDatum(k->seq);
		v[2] = k->customer_id ? CStringGetTextDatum(k->customer_id) : (nl[2] = true, (Datum) 0);
		v[3] = k->kind ? CStringGetTextDatum(k->kind) : (nl[3] = true, (Datum) 0);
		v[4] = k->doc_id ? CStringGetTextDatum(k->doc_id) : (nl[4] = true, (Datum) 0);
		v[5] = k->ref ? CStringGetTextDatum(k->ref) : (nl[5] = true, (Datum) 0);
		v[6] = k->op ? CStringGetTextDatum(k->op) : (nl[6] = true, (Datum) 0);
		tuplestore_putvalues(ts, td, v, nl);
	}
	materialize_end(fcinfo, ts, td);
	return (Datum) 0;
}
