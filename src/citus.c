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
 * constraint trigger runs at commit); the flush trigger (src/flush.c) then has
 * every worker post its own shard groups (rr_citus_commit(),
 * src/citus_shard.c).
 *
 * On a single node revrec.citus_queue does not exist (or, restored from a
 * distributed revrec's dump, is not a Citus table): nothing here does
 * anything but look that up (once per statement that writes).
 */
#include "revrec.h"
#include "citus.h"
#include "post_emit.h"

#include "access/xact.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_collation.h"
#include "optimizer/optimizer.h"
#include "catalog/dependency.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "parser/analyze.h"
#include "utils/builtins.h"
#include "nodes/nodeFuncs.h"
#include "nodes/makefuncs.h"
#include "tcop/utility.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/tuplestore.h"
#include "utils/memutils.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "storage/proc.h"
#include "utils/syscache.h"

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;
static bool armed = false;		/* this transaction's flush is armed */

/* revrec's own writes at commit (revrec._citus_pull(), src/flush.c): no statement pass */
bool		rr_citus_internal = false;

/* an UPDATE of revrec.settings under way: the lock before it */
static QueryDesc *settings_qd = NULL;
static Datum settings_old[2];
static bool settings_old_null[2];

static emit_log_hook_type prev_emit_log = NULL;
static int32 citus_local_group(void);
static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;
/* rr_citus_commit() is sending revrec._citus_post_group() to the workers */
static bool posting_groups = false;
static bool citus_seen = false;	/* rr_citus_active() was true in this session */
/*
 * The statement being planned or run (an INSERT or MERGE, or one in a CTE)
 * or the COPY FROM being run writes one of revrec's tables: Citus refuses a
 * row without its distribution column while planning or starting it, and
 * only then does the error gain revrec's hint (rr_emit_log()).  Set by the
 * planner hook (rr_citus_planning()), the executor's start and the COPY
 * hook, for each statement: a prepared statement is planned or started
 * again, not parsed.
 */
static bool revrec_insert = false;

/*
 * The first column of the first row of Citus's catalog table `name` (in
 * pg_catalog, where CREATE EXTENSION citus ran) whose first column equals
 * *key (any row when key is NULL), into *value; false when there is none.
 * Read with a fresh catalog snapshot, not the transaction's: it may not be
 * taken yet, and taking it here would make a later SET TRANSACTION
 * ISOLATION LEVEL fail.
 */
static bool
citus_catalog_row(const char *name, const Oid *key, Datum *value)
{
	Oid			catalog = get_relname_relid(name, PG_CATALOG_NAMESPACE);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData k;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(catalog))
		return false;
	rel = table_open(catalog, AccessShareLock);
	if (key != NULL)
		ScanKeyInit(&k, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(*key));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, key != NULL ? 1 : 0, key != NULL ? &k : NULL);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		*value = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);
		found = !isnull;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The answer, kept for the rest of the transaction until any relation's
 * cache entry is invalidated (a table made, dropped or distributed: in
 * distribute()'s own transaction too).  It is asked before every statement
 * that writes and every query parsed, many per document on a single node.
 */
static bool active_known = false;
static bool active_value = false;
static LocalTransactionId active_lxid = InvalidLocalTransactionId;

static void
forget_active(Datum arg, Oid relid)
{
	active_known = false;
}

bool
rr_citus_active(void)
{
	Oid			ns;
	Oid			queue;
	bool		active;

	/* posting one shard group on a worker: the single node's SQL (src/citus_shard.c) */
	if (rr_shard_mode)
		return false;
	if (active_known && active_lxid == MyProc->lxid)
		return active_value;
	ns = get_namespace_oid("revrec", true);
	queue = OidIsValid(ns) ? get_relname_relid("citus_queue", ns) : InvalidOid;
	/*
	 * distribute() made it, and Citus lists it in pg_dist_partition: a dump
	 * of a distributed revrec restores it as a plain table (into a database
	 * without Citus, or with Citus before distribute() runs there), where
	 * revrec is a single node
	 */
	active = OidIsValid(queue) && citus_catalog_row("pg_dist_partition", &queue, &(Datum){0});

	if (active)
		citus_seen = true;
	if (IsTransactionState())
	{
		active_known = true;
		active_value = active;
		active_lxid = MyProc->lxid;
	}
	return active;
}

/*
 * revrec._citus_active(): revrec is distributed in this database (for the
 * SQL that has a Citus form: verify(), the install's currencies).
 */
PG_FUNCTION_INFO_V1(revrec_citus_active);
Datum
revrec_citus_active(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rr_citus_active());
}

/*
 * revrec's function name(a1, a2), looked up in the catalog, not by name as
 * the role: the hooks run for every role, most with no right on schema
 * revrec (LookupFuncName checks USAGE on it)
 */
static Oid
revrec_function(const char *name, Oid a1, Oid a2)
{
	Oid			ns = get_namespace_oid("revrec", true);
	Oid			argtypes[2] = {a1, a2};

	return OidIsValid(ns) ? GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum(name),
											 PointerGetDatum(buildoidvector(argtypes, 2)), ObjectIdGetDatum(ns))
		: InvalidOid;
}

/* relid is one of revrec's relations (a catalog look-up: no right needed) */
static bool
in_revrec(Oid relid)
{
	Oid			ns = get_namespace_oid("revrec", true);

	return OidIsValid(relid) && OidIsValid(ns) && get_rel_namespace(relid) == ns;
}

/* q, or a query of its WITH, inserts into or merges into one of revrec's tables */
static bool
inserts_revrec(Query *q)
{
	ListCell   *lc;

	if ((q->commandType == CMD_INSERT || q->commandType == CMD_MERGE) && q->resultRelation > 0
		&& in_revrec(rt_fetch(q->resultRelation, q->rtable)->relid))
		return true;
	foreach(lc, q->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (cte->ctequery != NULL && IsA(cte->ctequery, Query) && inserts_revrec((Query *) cte->ctequery))
			return true;
	}
	return false;
}

/*
 * An INSERT through the coordinator of a child row without its customer_id
 * (docs/CITUS.md, "The document rules on Citus"): a single node fills it in
 * from the parent (60_document_triggers.sql), Citus must have it to route
 * the row.  Written into the query, for each row of its VALUES, as
 * customer_id = revrec._citus_parent_customer(kind, parent id), which Citus
 * evaluates on the coordinator before routing (98_distribute_commit.sql);
 * so too where a row's customer_id is NULL (written so, or DEFAULT), as a
 * single node's trigger fills it.  Left as they are (Citus refuses them,
 * with revrec's hint): an INSERT ... SELECT, COPY, a parent id with a
 * volatile function in it (read twice, it could name two parents), a parent
 * written by the same statement (a WITH), unknown until it ends.
 */
static bool
null_const(Node *n)
{
	return n != NULL && IsA(n, Const) && ((Const *) n)->constisnull;
}

static void
fill_customer(Query *q)
{
	static const char *const child[][3] = {
		{"invoice_line", "invoice", "invoice_id"}, {"usage", "invoice_line", "line_id"},
		{"milestone", "invoice_line", "line_id"}, {"credit_note_line", "credit_note", "credit_note_id"}};
	RangeTblEntry *target;
	char	   *name;
	int			c = -1;
	AttrNumber	cust;
	AttrNumber	parent;
	TargetEntry *ptle = NULL;
	TargetEntry *ctle = NULL;
	Oid			fn;
	ListCell   *lc;
	List	   *tl = NIL;
	bool		placed = false;
	Expr	   *value;

	if (q->commandType != CMD_INSERT || q->resultRelation <= 0 || citus_local_group() != 0)
		return;
	target = rt_fetch(q->resultRelation, q->rtable);
	if (!in_revrec(target->relid) || (name = get_rel_name(target->relid)) == NULL)
		return;
	for (int i = 0; i < (int) lengthof(child); i++)
		if (strcmp(name, child[i][0]) == 0)
			c = i;
	if (c < 0)
		return;
	cust = get_attnum(target->relid, "customer_id");
	parent = get_attnum(target->relid, child[c][2]);
	if (cust == InvalidAttrNumber || parent == InvalidAttrNumber)
		return;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst(lc);

		if (tle->resno == cust)
			ctle = tle;
		if (tle->resno == parent)
			ptle = tle;
	}
	if (ctle != NULL && !null_const((Node *) ctle->expr) && !IsA(ctle->expr, Var))
		return;					/* written */
	/* (the parent's id is read twice: once for the row, once for its customer) */
	if (ptle == NULL || exprType((Node *) ptle->expr) != TEXTOID || contain_volatile_functions((Node *) ptle->expr))
		return;
	fn = revrec_function("_citus_parent_customer", TEXTOID, TEXTOID);
	if (!OidIsValid(fn))
		return;
#define PARENT_CUSTOMER(arg) \
	((Expr *) makeFuncExpr(fn, TEXTOID, list_make2(makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1, \
															 CStringGetTextDatum(child[c][1]), false, false), (arg)), \
						   DEFAULT_COLLATION_OID, DEFAULT_COLLATION_OID, COERCE_EXPLICIT_CALL))
	if (IsA(ptle->expr, Var) && ((Var *) ptle->expr)->varlevelsup == 0
		&& rt_fetch(((Var *) ptle->expr)->varno, q->rtable)->rtekind == RTE_VALUES)
	{
		/*
		 * several rows: the parent's customer of each row, in a column more
		 * of the VALUES, or where the row's customer_id is NULL (written so,
		 * or DEFAULT)
		 */
		Var		   *pv = (Var *) ptle->expr;
		Var		   *cv = NULL;
		RangeTblEntry *vals = rt_fetch(pv->varno, q->rtable);
		List	   *rows = NIL;
		int			col = list_length(vals->coltypes) + 1;

		if (ctle != NULL)
		{
			if (!IsA(ctle->expr, Var) || ((Var *) ctle->expr)->varno != pv->varno
				|| ((Var *) ctle->expr)->varlevelsup != 0)
				return;
			cv = (Var *) ctle->expr;
		}
		foreach(lc, vals->values_lists)
			if (contain_volatile_functions((Node *) list_nth(lfirst(lc), pv->varattno - 1)))
				return;
		foreach(lc, vals->values_lists)
		{
			List	   *row = list_copy(lfirst(lc));
			Expr	   *pc = PARENT_CUSTOMER((Expr *) copyObject(list_nth(row, pv->varattno - 1)));

			if (cv == NULL)
				row = lappend(row, pc);
			else if (null_const(list_nth(row, cv->varattno - 1)))
				list_nth_cell(row, cv->varattno - 1)->ptr_value = pc;
			rows = lappend(rows, row);
		}
		vals->values_lists = rows;
		if (cv != NULL)
			return;				/* the target list as it is */
		vals->coltypes = lappend_oid(list_copy(vals->coltypes), TEXTOID);
		vals->coltypmods = lappend_int(list_copy(vals->coltypmods), -1);
		vals->colcollations = lappend_oid(list_copy(vals->colcollations), DEFAULT_COLLATION_OID);
		vals->eref->colnames = lappend(list_copy(vals->eref->colnames), makeString(pstrdup("customer_id")));
		value = (Expr *) makeVar(pv->varno, col, TEXTOID, -1, DEFAULT_COLLATION_OID, 0);
	}
	else if (!contain_vars_of_level((Node *) ptle->expr, 0))
	{
		/* one row */
		value = PARENT_CUSTOMER((Expr *) copyObject(ptle->expr));
		if (ctle != NULL)
		{
			if (null_const((Node *) ctle->expr))
				ctle->expr = value;
			return;
		}
	}
	else
		return;					/* INSERT ... SELECT */
#undef PARENT_CUSTOMER
	/* the target list in column order, as the planner expects it */
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst(lc);

		if (!placed && !tle->resjunk && tle->resno > cust)
		{
			tl = lappend(tl, makeTargetEntry(value, cust, pstrdup("customer_id"), false));
			placed = true;
		}
		tl = lappend(tl, tle);
	}
	if (!placed)
		tl = lappend(tl, makeTargetEntry(value, cust, pstrdup("customer_id"), false));
	q->targetList = tl;
	target->insertedCols = bms_add_member(target->insertedCols, cust - FirstLowInvalidHeapAttributeNumber);
}

/*
 * The planner hook (src/citus_shard.c, the outermost: revrec loads after
 * Citus) before planning parse: returns the flag to put back after it
 * (planning can nest).
 */
bool
rr_citus_planning(Query *parse)
{
	bool		outer = revrec_insert;

	if (parse->commandType == CMD_INSERT && rr_citus_active())
		fill_customer(parse);

	revrec_insert = (parse->commandType == CMD_INSERT || parse->commandType == CMD_MERGE || parse->cteList != NIL)
		&& rr_citus_active() && inserts_revrec(parse);
	return outer;
}

void
rr_citus_planned(bool outer)
{
	revrec_insert = outer;
}

/*
 * s with each quoted name "x_102040" that names a shard of one of revrec's
 * tables, or a shard's constraint of one of them (invoice_pkey, ..._unique,
 * ..._fkey), as "x".
 * (Plain string work: called while an error is reported.)
 */
static char *
unshard(const char *s)
{
	static const char *const tables[] = {"invoice", "invoice_line", "usage", "milestone", "credit_note",
		"credit_note_line", "credit_grant", "billing_schedule_line", "customer", "product", "currency",
	"posting", "settings", "ledger_account", "gl_account_map", "activity"};
	StringInfoData b;
	const char *p = s;

	initStringInfo(&b);
	while (*p != '\0')
	{
		const char *q;
		const char *us = NULL;
		const char *r;
		int			keep;

		if (*p != '"' || (q = strchr(p + 1, '"')) == NULL)
		{
			appendStringInfoChar(&b, *p++);
			continue;
		}
		for (r = p + 1; r < q; r++)
			if (*r == '_')
				us = r;
		keep = (int) (q - p - 1);
		if (us != NULL && q - us - 1 >= 4 && strspn(us + 1, "0123456789") == (size_t) (q - us - 1))
		{
			int			base = (int) (us - p - 1);
			int			i;
			bool		constraint = (base > 5 && (strncmp(us - 5, "_pkey", 5) == 0 || strncmp(us - 5, "_fkey", 5) == 0))
				|| (base > 7 && strncmp(us - 7, "_unique", 7) == 0);
			bool		known = false;

			/* a table of revrec's, or a key named after one (another application's names are left alone) */
			for (i = 0; !known && i < (int) lengthof(tables); i++)
			{
				int			len = (int) strlen(tables[i]);

				known = strncmp(p + 1, tables[i], len) == 0
					&& (len == base || (constraint && base > len && p[1 + len] == '_'));
			}
			if (known)
				keep = base;
		}
		appendStringInfoChar(&b, '"');
		appendBinaryStringInfo(&b, p + 1, keep);
		appendStringInfoChar(&b, '"');
		p = q + 1;
	}
	return b.data;
}

/*
 * A child row written without customer_id: a single node fills it in from
 * the parent, Citus refuses a row without its distribution column in its
 * planner ("cannot perform an INSERT without a partition column value").
 * The error gains a hint saying what to do, when the statement writes one
 * of revrec's tables (another application's tables are not revrec's
 * business).  (No catalog access here: the error is being reported.)
 */
static void
rr_emit_log(ErrorData *edata)
{
	if (citus_seen && revrec_insert && edata != NULL && edata->elevel >= ERROR && edata->hint == NULL && edata->message != NULL
		&& edata->sqlerrcode == ERRCODE_NULL_VALUE_NOT_ALLOWED
		&& strstr(edata->message, "partition column") != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(ErrorContext);

		edata->hint = pstrdup("On a distributed revrec a child row needs its customer_id to be routed: revrec fills it in "
							  "from a parent it knows in an INSERT ... VALUES; in a COPY or an INSERT ... SELECT write the "
							  "parent's (docs/CITUS.md).");
		MemoryContextSwitchTo(old);
	}
	/*
	 * A unique or foreign key of the shards refused a row: Citus reports it
	 * with the shards' names (invoice_pkey_102040, "milestone_102186") and
	 * the keys that gained customer_id ("Key (customer_id, line_id)=(C1,
	 * L1)").  Reported as the single node reports it: the tables' and
	 * constraints' names, the id alone.
	 */
	if (citus_seen && edata != NULL && edata->elevel >= ERROR && edata->message != NULL
		&& (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION || edata->sqlerrcode == ERRCODE_FOREIGN_KEY_VIOLATION
			|| edata->sqlerrcode == ERRCODE_INTERNAL_ERROR)
		&& (strncmp(edata->message, "duplicate key value violates unique constraint \"", 48) == 0
			|| (edata->sqlerrcode != ERRCODE_INTERNAL_ERROR
				&& (strncmp(edata->message, "insert or update on table \"", 27) == 0
					|| strncmp(edata->message, "update or delete on table \"", 27) == 0))))
	{
		MemoryContext old = MemoryContextSwitchTo(ErrorContext);
		char	   *msg = unshard(edata->message);

		if (strcmp(msg, edata->message) != 0)
		{
			edata->message = msg;
			if (edata->sqlerrcode == ERRCODE_INTERNAL_ERROR)
				edata->sqlerrcode = ERRCODE_UNIQUE_VIOLATION;
			if (edata->detail != NULL)
			{
				const char *d = edata->detail;

				/*
				 * Key (customer_id, invoice_id)=(C1, INV-1) already exists:
				 * for the keys distribute() gave customer_id only
				 */
				static const char *const widened[] = {"invoice_pkey", "invoice_line_pkey", "usage_pkey",
					"milestone_pkey", "credit_note_pkey", "credit_note_line_pkey", "credit_grant_pkey",
					"billing_schedule_line_pkey", "invoice_number_unique", "credit_note_number_unique",
					"invoice_line_grant_id_fkey", "invoice_line_schedule_line_id_fkey", "milestone_line_id_fkey",
				"credit_note_invoice_id_fkey", "credit_note_line_credit_note_id_fkey", "credit_note_line_line_id_fkey"};
				const char *c = strstr(msg, "constraint \"");
				bool		wide = false;
				int			i;

				for (i = 0; c != NULL && !wide && i < (int) lengthof(widened); i++)
					wide = strncmp(c + 12, widened[i], strlen(widened[i])) == 0 && c[12 + strlen(widened[i])] == '"';
				if (wide && strncmp(d, "Key (customer_id, ", 18) == 0)
				{
					const char *cols = d + 18;
					const char *eq = strstr(cols, ")=(");
					const char *val = eq != NULL ? strstr(eq + 3, ", ") : NULL;

					if (eq != NULL && val != NULL)
						d = psprintf("Key (%.*s)=(%s", (int) (eq - cols), cols, val + 2);
				}
				edata->detail = unshard(d);
			}
		}
		MemoryContextSwitchTo(old);
	}
	if (prev_emit_log)
		prev_emit_log(edata);
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
 * The SPI revrec runs from its hooks (a statement's executor or COPY, the
 * flush) runs with search_path pinned to pg_catalog, pg_temp, as revrec's
 * SQL functions declare it: with the session's, an operator or function of a
 * schema the session's role can create in (a database owner owns public)
 * would be chosen over pg_catalog's where its argument types match exactly
 * (regclass = regclass), and run as whoever revrec runs as.  Undone by
 * rr_unpin_search_path(), or by the (sub)transaction's abort.
 */
int
rr_pin_search_path(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
rr_unpin_search_path(int level)
{
	AtEOXact_GUC(true, level);
}

/*
 * body(arg) in SPI, as role, with search_path pinned and a snapshot: every
 * SPI revrec runs from its hooks.  The role is put back after, error or not.
 */
static void
spi_as(Oid role, void (*body) (void *), void *arg)
{
	Oid			save_user;
	int			save_sec;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		int			pinned = rr_pin_search_path();

		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "revrec: SPI_connect failed");
		body(arg);
		SPI_finish();
		PopActiveSnapshot();
		rr_unpin_search_path(pinned);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
}

/*
 * In spi_as()'s body: go on as revrec's owner, for revrec's own statements
 * that touch only the coordinator's tables or revrec.doc_key (a co-location
 * group of its own): no shard the writing role changed.  Nothing but
 * revrec's SQL runs while switched; revrec._outer_role() still names the
 * role outside.  spi_as() puts its role back.
 */
static void
become_owner(void)
{
	Oid			user;
	int			sec;

	GetUserIdAndSecContext(&user, &sec);
	SetUserIdAndSecContext(revrec_owner(), sec | SECURITY_LOCAL_USERID_CHANGE);
}

typedef struct OwnerCall
{
	const char *sql;
	int			nargs;
	Oid		   *types;
	Datum	   *args;
	const char *nulls;
	const char *what;
} OwnerCall;

static void
owner_call(void *arg)
{
	OwnerCall  *c = arg;

	if (rr_spi_execute_args_user_error(c->sql, c->nargs, c->types, c->args, c->nulls, false) != SPI_OK_SELECT)
		elog(ERROR, "revrec: %s failed", c->what);
}

static void
run_spi_as_owner(const char *sql, int nargs, Oid *types, Datum *args, const char *nulls, const char *what)
{
	OwnerCall	c = {sql, nargs, types, args, nulls, what};

	spi_as(revrec_owner(), owner_call, &c);
}

static void
arm_flush(void)
{
	if (armed || !rr_citus_active() || SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return;
	armed = true;
	run_spi_as_owner("SELECT revrec._enqueue()", 0, NULL, NULL, NULL, "arming the flush");
}

/*
 * The role whose connections wrote this transaction's documents: Citus keeps
 * a role's writes on its own connections, and revrec's reads and the workers'
 * posting must go through them (src/citus_shard.c).  Documents written by
 * two roles in one transaction are refused: Citus cannot show one role's
 * uncommitted rows to the other's connection.
 */
static Oid	writing_role = InvalidOid;
/*
 * Marks, per shard group (by its place among the groups), of what the
 * coordinator has read from the workers in this transaction: the last key
 * (revrec._citus_keys) and the last activity row logged
 * (revrec._citus_post_group).  The workers keep their rows for the
 * transaction and return those after the caller's marks, so what the
 * writing role calls itself takes nothing away.  In TopTransactionContext.
 */
static int64 *keys_read = NULL;
static int64 *posted_read = NULL;
static int	mark_groups = -1;		/* the number of shard groups, read once */

/* *read as a bigint[] for the workers (SPI connected): made, zero, the first time */
static Datum
marks_array(int64 **read)
{
	Datum	   *hw;
	int			i;

	if (mark_groups < 0)
	{
		if (SPI_execute("SELECT count(*) FROM pg_catalog.pg_dist_shard s"
						" WHERE s.logicalrelid = 'revrec.citus_group'::pg_catalog.regclass", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "revrec: counting the shard groups failed");
		mark_groups = (int) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){false}));
	}
	if (*read == NULL)
		*read = MemoryContextAllocZero(TopTransactionContext, sizeof(int64) * Max(mark_groups, 1));
	hw = palloc(sizeof(Datum) * Max(mark_groups, 1));
	for (i = 0; i < mark_groups; i++)
		hw[i] = Int64GetDatum((*read)[i]);
	return PointerGetDatum(construct_array(hw, mark_groups, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* a row read (its first two columns: the group's place, its seq) moves the group's mark */
static void
advance_mark(int64 *read, HeapTuple row, TupleDesc desc)
{
	bool		isnull;
	int64		g = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	int64		q = DatumGetInt64(SPI_getbinval(row, desc, 2, &isnull));

	if (g >= 0 && g < mark_groups && q > read[g])
		read[g] = q;
}

static void
note_writing_role(void)
{
	Oid			me = GetUserId();

	if (!OidIsValid(writing_role))
		writing_role = me;
	else if (writing_role != me)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("on a distributed revrec, documents are written by one role in a transaction"),
				 errdetail("%s wrote documents in this transaction, and now %s: Citus keeps each role's uncommitted "
						   "rows on its own connections.", GetUserNameFromId(writing_role, false),
						   GetUserNameFromId(me, false)),
				 errhint("Write the documents of one transaction as one role (docs/CITUS.md, \"Roles on Citus\").")));
}

/*
 * The ids and references the statements since the last read noted on the
 * workers (revrec._citus_keys(), read as the writing role: it takes nothing
 * away), checked by revrec._citus_apply_keys() as revrec's owner: ids unique
 * across customers (revrec.doc_key), parents of this customer.
 */
static void
check_keys_body(void *unused)
{
	Oid			types[1] = {INT8ARRAYOID};
	Datum		args[1];
	uint64		n,
				r;
	Datum		arr[5];
	Oid			atypes[5] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	SPITupleTable *tt;

	args[0] = marks_array(&keys_read);
	if (SPI_execute_with_args("SELECT k.grp, k.seq, k.customer_id, k.kind, k.doc_id, k.ref, k.op"
							  "  FROM revrec.citus_group g, LATERAL revrec._citus_keys(g.tableoid, $1) k"
							  " ORDER BY k.grp, k.seq", 1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the statement's document ids failed");
	tt = SPI_tuptable;
	n = SPI_processed;
	if (n == 0)
		return;
	for (int f = 0; f < 5; f++)
	{
		Datum	   *e = palloc(sizeof(Datum) * n);
		bool	   *nl = palloc(sizeof(bool) * n);
		int			dims[1] = {(int) n};
		int			lbs[1] = {1};

		for (r = 0; r < n; r++)
			e[r] = SPI_getbinval(tt->vals[r], tt->tupdesc, f + 3, &nl[r]);
		arr[f] = PointerGetDatum(construct_md_array(e, nl, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	}
	for (r = 0; r < n; r++)
		advance_mark(keys_read, tt->vals[r], tt->tupdesc);
	/* (the arrays live in SPI's memory until SPI_finish: checked here) */
	become_owner();
	if (rr_spi_execute_args_user_error("SELECT revrec._citus_apply_keys($1, $2, $3, $4, $5)", 5, atypes, arr,
									   NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "revrec: checking the statement's document ids failed");
}

void
rr_citus_check_keys(void)
{
	if (OidIsValid(writing_role))
		spi_as(writing_role, check_keys_body, NULL);
}

/*
 * At commit (src/flush.c): the last ids checked, then every worker posts its
 * shard groups in the writing role's connections (revrec._citus_post_group(),
 * src/citus_shard.c), and the activity rows they return are logged here as
 * revrec's owner (the activity log is the coordinator's own table).
 */
static void
commit_body(void *unused)
{
	Oid			mark_types[1] = {INT8ARRAYOID};
	Datum		marks[1];

	/* (a commit of SET CONSTRAINTS ALL IMMEDIATE runs again: the rows logged so far) */
	marks[0] = marks_array(&posted_read);
	posting_groups = true;
	if (rr_spi_execute_args_user_error("SELECT x.grp, x.seq, x.action, x.source, x.document_id, x.customer_id, x.currency,"
									   "       x.entries, x.amount"
									   "  FROM revrec.citus_group g, LATERAL revrec._citus_post_group(g.tableoid, $1) x",
									   1, mark_types, marks, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "revrec: posting on the workers failed");
	posting_groups = false;
	become_owner();
	if (SPI_processed > 0)
	{
		EphemeralNamedRelation enr = palloc0(sizeof(EphemeralNamedRelationData));
		Tuplestorestate *ts = tuplestore_begin_heap(false, false, work_mem);
		uint64		r;

		for (r = 0; r < SPI_processed; r++)
		{
			advance_mark(posted_read, SPI_tuptable->vals[r], SPI_tuptable->tupdesc);
			tuplestore_puttuple(ts, SPI_tuptable->vals[r]);
		}
		enr->md.name = "revrec_group_activity";
		enr->md.reliddesc = InvalidOid;
		enr->md.tupdesc = SPI_tuptable->tupdesc;
		enr->md.enrtype = ENR_NAMED_TUPLESTORE;
		enr->md.enrtuples = (double) SPI_processed;
		enr->reldata = ts;
		if (SPI_register_relation(enr) != SPI_OK_REL_REGISTER)
			elog(ERROR, "revrec: could not register the activity rows");
		if (SPI_execute("INSERT INTO revrec.activity (action, source, document_id, customer_id, currency, entries, amount)"
						" SELECT a.action, a.source, a.document_id, a.customer_id, a.currency, a.entries, a.amount"
						"   FROM revrec_group_activity a ORDER BY a.grp, a.seq", false, 0) != SPI_OK_INSERT)
			elog(ERROR, "revrec: logging the postings failed");
	}
	if (SPI_execute("DELETE FROM revrec.pending_flush WHERE xid = pg_catalog.pg_current_xact_id()", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "revrec: clearing the flush failed");
}

void
rr_citus_commit(void)
{
	rr_citus_check_keys();
	spi_as(OidIsValid(writing_role) ? writing_role : GetUserId(), commit_body, NULL);
}

/*
 * After a statement that wrote documents: the ids it wrote or freed and the
 * parents its rows name, as the shards noted them (rr_citus_check_keys():
 * ids unique across customers, references), so that the statement fails as
 * it does on a single node, and a second transaction writing an id another
 * has written waits for it.
 */
static void
statement_pass(void)
{
	if (rr_citus_internal || SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA || !rr_citus_active())
		return;
	rr_citus_internal = true;
	rr_citus_check_keys();
	rr_citus_internal = false;
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

/* the lock now: lock_date, lock_to_accounting_date (pass-by-value: read in SPI, kept after) */
typedef struct LockRead
{
	Datum	   *v;
	bool	   *isnull;
} LockRead;

static void
read_lock_body(void *arg)
{
	LockRead   *l = arg;

	if (SPI_execute("SELECT lock_date, lock_to_accounting_date FROM revrec.settings", true, 2) != SPI_OK_SELECT
		|| SPI_processed != 1)
		elog(ERROR, "revrec.settings must have exactly one row");
	for (int k = 0; k < 2; k++)
		l->v[k] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, k + 1, &l->isnull[k]);
}

static void
read_lock(Datum *v, bool *isnull)
{
	LockRead	l = {v, isnull};

	spi_as(GetUserId(), read_lock_body, &l);
}

/* a statement that may write: not a plain SELECT (checked before any catalog lookup) */
static bool
may_write(QueryDesc *qd)
{
	return qd->operation != CMD_SELECT || (qd->plannedstmt != NULL && qd->plannedstmt->hasModifyingCTE);
}

/* a statement writing one of revrec's document tables */
static bool
writes_documents(QueryDesc *qd)
{
	ListCell   *lc;

	if (qd->plannedstmt == NULL || (qd->operation == CMD_SELECT && !qd->plannedstmt->hasModifyingCTE))
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

/*
 * pg_dump of a worker (a mistake: dump the coordinator).  With Citus's
 * metadata on the workers it reads the whole distributed tables there, but
 * not the coordinator's activity log and sequences (a worker's are its own),
 * and the dump restores into a revrec whose documents fail to load or are
 * never posted.  A dump session is recognized by what pg_dump does before
 * reading any data, in its -j workers too and with --enable-row-security:
 * synchronize_seqscans off, in a read-only transaction with one snapshot
 * (REPEATABLE READ or SERIALIZABLE); anyone can do the same, so it only ever
 * leads to this refusal.  A relation of the extension only: Citus's own
 * reads of the shards (a dump of the coordinator) read shards, which are not.
 */
static bool
worker_dump_session(void)
{
	const char *ss;

	if (!XactReadOnly || !IsolationUsesXactSnapshot() || citus_local_group() <= 0)
		return false;
	ss = GetConfigOption("synchronize_seqscans", true, false);
	return ss != NULL && strcmp(ss, "off") == 0;
}

/* (in a worker_dump_session()) */
static void
refuse_worker_dump(Oid relid)
{
	Oid			ext;
	char	   *name;

	if (!in_revrec(relid))
		return;
	ext = get_extension_oid("revrec", true);
	if (!OidIsValid(ext) || getExtensionOfObject(RelationRelationId, relid) != ext
		|| (name = get_rel_name(relid)) == NULL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_RR_RESTORE),
			 errmsg("revrec is dumped from the Citus coordinator, not from a worker (revrec.%s)", name),
			 errdetail("A worker has neither the coordinator's activity log nor its sequences: the dump would restore into a revrec that does not post."),
			 errhint("Run pg_dump against the coordinator (docs/CITUS.md, \"Backup and restore\").")));
}

/*
 * A restore writing one of revrec's tables on a distributed revrec is
 * refused (docs/CITUS.md, "Backup and restore"): its documents would be
 * queued for posting again on the shards, and the workers' ranges of posting
 * ids left behind the restored ids.  A restore session is recognized as the
 * single node's restore guard does (revrec._restore_session(): the settings
 * pg_restore and a dump's SQL put in force before any data); anyone can set
 * them, so they only ever lead to this refusal.
 */
static void
refuse_restore(Oid relid)
{
	const char *rs = GetConfigOption("row_security", true, false);
	const char *cfb = GetConfigOption("check_function_bodies", true, false);
	const char *cmm = GetConfigOption("client_min_messages", true, false);
	Oid			ns;
	char	   *name;
	size_t		len;

	if (rs == NULL || cfb == NULL || cmm == NULL
		|| strcmp(rs, "off") != 0 || strcmp(cfb, "off") != 0 || strcmp(cmm, "warning") != 0
		|| citus_local_group() != 0)	/* (a restore reaches the workers through the coordinator) */
		return;
	ns = get_namespace_oid("revrec", true);
	if (!OidIsValid(ns) || get_rel_namespace(relid) != ns || (name = get_rel_name(relid)) == NULL)
		return;
	/* a shard (a reference table's placement on the coordinator): its table's name */
	len = strlen(name);
	while (len > 0 && isdigit((unsigned char) name[len - 1]))
		len--;
	if (len > 1 && len < strlen(name) && name[len - 1] == '_')
		name[len - 1] = '\0';
	ereport(ERROR,
			(errcode(ERRCODE_RR_RESTORE),
			 errmsg("a dump cannot be restored into a distributed revrec (revrec.%s)", name),
			 errdetail("Its documents would be queued for posting again on the shards, and the workers' posting ids would fall behind the restored ones. Nothing was written."),
			 errhint("Restore into a new database where revrec is not distributed (pg_restore -d NEWDB FILE), then run SELECT revrec.distribute() there (docs/CITUS.md, \"Backup and restore\").")));
}

/* check(relid) for every relation a plan names */
static void
for_each_relation(PlannedStmt *plan, void (*check) (Oid))
{
	ListCell   *lc;

	foreach(lc, plan->relationOids)
		check(lfirst_oid(lc));
	foreach(lc, plan->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION)
			check(rte->relid);
	}
}

static void
rr_executor_start(QueryDesc *qd, int eflags)
{
	/*
	 * (an INSERT sets the flag, true or false; the queries run while it runs,
	 * Citus's evaluation of revrec._citus_parent_customer() among them, leave
	 * it as it is: Citus routes the rows after)
	 */
	if ((qd->operation == CMD_INSERT || qd->operation == CMD_MERGE
		 || (qd->plannedstmt != NULL && qd->plannedstmt->hasModifyingCTE)) && qd->plannedstmt != NULL)
		revrec_insert = false;
	if ((qd->operation == CMD_INSERT || qd->operation == CMD_MERGE
		 || (qd->plannedstmt != NULL && qd->plannedstmt->hasModifyingCTE)) && qd->plannedstmt != NULL && rr_citus_active())
	{
		ListCell   *lc;

		foreach(lc, qd->plannedstmt->rtable)
		{
			RangeTblEntry *rte = lfirst(lc);

			if (rte->rtekind == RTE_RELATION && (rte->requiredPerms & ACL_INSERT) && in_revrec(rte->relid))
				revrec_insert = true;
		}
	}
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && qd->operation == CMD_SELECT && qd->plannedstmt != NULL
		&& citus_seen && worker_dump_session() && rr_citus_active())
		for_each_relation(qd->plannedstmt, refuse_worker_dump);
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && may_write(qd) && qd->plannedstmt != NULL && rr_citus_active())
		/* (Citus's plans of a distributed write name no result relation: every table) */
		for_each_relation(qd->plannedstmt, refuse_restore);
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && qd->operation == CMD_UPDATE && settings_qd == NULL && rr_citus_active()
		&& SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA && updates_settings(qd))
	{
		read_lock(settings_old, settings_old_null);
		settings_qd = qd;
	}
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && may_write(qd) && rr_citus_active()
		&& SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA && writes_documents(qd))
	{
		note_writing_role();
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
	if (may_write(qd) && rr_citus_active() && writes_documents(qd))
	{
		if (!armed)
			arm_flush();
		statement_pass();
	}
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
		/*
		 * as revrec's owner, from here only (the function is executable by
		 * nobody else: a role calling it could write the log): it checks the
		 * role outside (revrec._outer_role(), which the switch leaves as it
		 * is) and logs the change in the activity log, a table of the
		 * coordinator's own, so the owner touches no placement the admin
		 * changed
		 */
		run_spi_as_owner("SELECT revrec._citus_settings_change($1, $2, $3, $4)", 4, types, args, nulls,
						 "logging the change of the lock");
	}
}

static void
rr_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				   ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, CopyStmt) && !((CopyStmt *) pstmt->utilityStmt)->is_from
		&& ((CopyStmt *) pstmt->utilityStmt)->relation != NULL && IsTransactionState() && worker_dump_session()
		&& rr_citus_active())
		refuse_worker_dump(RangeVarGetRelid(((CopyStmt *) pstmt->utilityStmt)->relation, NoLock, true));
	if (IsA(pstmt->utilityStmt, CopyStmt) && ((CopyStmt *) pstmt->utilityStmt)->is_from
		&& ((CopyStmt *) pstmt->utilityStmt)->relation != NULL && IsTransactionState() && rr_citus_active())
	{
		Oid			relid = RangeVarGetRelid(((CopyStmt *) pstmt->utilityStmt)->relation, NoLock, true);

		revrec_insert = in_revrec(relid);
		if (OidIsValid(relid))
			refuse_restore(relid);
	}
	if (IsA(pstmt->utilityStmt, CopyStmt) && ((CopyStmt *) pstmt->utilityStmt)->is_from
		&& ((CopyStmt *) pstmt->utilityStmt)->relation != NULL && IsTransactionState() && rr_citus_active()
		&& SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA)
	{
		Oid			relid = RangeVarGetRelid(((CopyStmt *) pstmt->utilityStmt)->relation, NoLock, true);

		if (OidIsValid(relid) && is_document_table(relid))
		{
			note_writing_role();
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
	if (IsA(pstmt->utilityStmt, CopyStmt))
	{
		CopyStmt   *c = (CopyStmt *) pstmt->utilityStmt;

		if (c->is_from && c->relation != NULL && IsTransactionState() && rr_citus_active())
		{
			Oid			relid = RangeVarGetRelid(c->relation, NoLock, true);

			if (OidIsValid(relid) && is_document_table(relid))
				statement_pass();
		}
	}
}

/*
 * revrec._citus_post_group() is called by the coordinator's commit only
 * (rr_citus_commit()): it returns the activity rows of what it posts, which
 * the commit logs.  Called by the writing role through the coordinator
 * before the commit, it would post the documents with no activity rows (a
 * single node logs every posting).  Refused in any query parsed on the
 * coordinator outside the commit; on a worker it runs only in a
 * coordinator's distributed transaction (RV064).
 */
static int32 local_group = -1;	/* this node's Citus group id, once read */

static int32
citus_local_group(void)
{
	Datum		g;

	if (local_group < 0 && citus_catalog_row("pg_dist_local_group", NULL, &g))
		local_group = DatumGetInt32(g);
	return local_group;
}

static bool
calls_function(Node *node, Oid *fn)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == *fn)
		return true;
	if (IsA(node, Query))
	{
		Node	   *u = ((Query *) node)->utilityStmt;

		/* a cursor's, CREATE TABLE AS's (SELECT INTO) or EXPLAIN's query, analyzed with it */
		if (u != NULL && IsA(u, DeclareCursorStmt))
			return calls_function(((DeclareCursorStmt *) u)->query, fn);
		if (u != NULL && IsA(u, CreateTableAsStmt))
			return calls_function(((CreateTableAsStmt *) u)->query, fn);
		if (u != NULL && IsA(u, ExplainStmt))
			return calls_function(((ExplainStmt *) u)->query, fn);
		return query_tree_walker((Query *) node, calls_function, fn, 0);
	}
	return expression_tree_walker(node, calls_function, fn);
}

/*
 * This backend runs a task of another backend's distributed transaction
 * (Citus's worker_query): the coordinator holding shards may run the
 * commit's call for its own groups through a connection to itself, where it
 * is parsed again, outside the commit's backend.  (Forgeable with
 * assign_distributed_transaction_id(), as RV064 is: an early call is logged
 * at commit all the same, src/citus_shard.c.)
 */
static bool
coordinator_task(void)
{
	bool		task = false;
	int			pinned = rr_pin_search_path();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec: SPI_connect failed");
	if (SPI_execute("SELECT a.worker_query FROM pg_catalog.get_all_active_transactions() a"
					" WHERE a.process_id OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()", true, 1) == SPI_OK_SELECT
		&& SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		task = !isnull && DatumGetBool(d);
	}
	SPI_finish();
	rr_unpin_search_path(pinned);
	return task;
}

static void
rr_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	/* (a query calling a function is analyzed with a snapshot: others need no look) */
	if (!posting_groups && IsTransactionState() && ActiveSnapshotSet() && rr_citus_active() && citus_local_group() == 0)
	{
		Oid			fn = revrec_function("_citus_post_group", REGCLASSOID, INT8ARRAYOID);

		if (OidIsValid(fn) && calls_function((Node *) query, &fn) && !coordinator_task())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("revrec._citus_post_group() is called by the commit only"),
					 errdetail("The commit posts every shard group and logs what it posts in the activity log."),
					 errhint("Write the documents and COMMIT: they post then (docs/CITUS.md).")));
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
		rr_citus_internal = false;
		posting_groups = false;
		writing_role = InvalidOid;
		keys_read = NULL;		/* (TopTransactionContext) */
		posted_read = NULL;
		mark_groups = -1;
	}
}

static void
rr_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		armed = false;			/* the row in pending_flush may be gone: arm again */
		settings_qd = NULL;
		rr_citus_internal = false;
		posting_groups = false;
	}
}

void
revrec_citus_init(void)
{
	CacheRegisterRelcacheCallback(forget_active, (Datum) 0);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = rr_executor_start;
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = rr_post_parse_analyze;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = rr_executor_finish;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = rr_process_utility;
	prev_emit_log = emit_log_hook;
	emit_log_hook = rr_emit_log;
	RegisterXactCallback(rr_xact_callback, NULL);
	RegisterSubXactCallback(rr_subxact_callback, NULL);
	revrec_citus_shard_init();
}
