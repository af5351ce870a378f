/*
 * post_emit.c — what every posting engine shares (see post_emit.h): the
 * entry builder, the usage limit, and the one way a revrec.posting row is
 * written.
 *
 * Rows are filled by column name into a tuplestore shaped like
 * revrec.posting; a flush registers the tuplestore as the ephemeral relation
 * revrec_new_postings and inserts it with one statement whose column list is
 * the names below, so neither C nor SQL depends on column positions.
 */
#include "revrec.h"
#include "citus.h"
#include "post_emit.h"
#include "ledger.h"
#include "money.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/queryenvironment.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

/* ---------- entries ---------- */

void
rr_entry_add(RrEntries *e, DateADT d, int16 acct, int64 amount)
{
	if (amount == 0)
		return;
	if (e->n + 3 > e->max)
	{
		e->max = e->max ? e->max * 2 : 24;
		e->v = e->v ? repalloc(e->v, sizeof(int64) * e->max) : palloc(sizeof(int64) * e->max);
	}
	e->v[e->n++] = d;
	e->v[e->n++] = acct;
	e->v[e->n++] = amount;
}

void
rr_recognition_entries(RrEntries *e, DateADT T, int64 A, int n, const DateADT *d, const int64 *x)
{
	int64		U = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (d[i] < T)
			U = rr_add_minor(U, x[i]);
	rr_entry_add(e, T, RR_ACCT_BILLED, A);
	rr_entry_add(e, T, RR_ACCT_UNBILLED, -U);
	rr_entry_add(e, T, RR_ACCT_DEFERRED, -(A - U));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		rr_entry_add(e, d[i], d[i] < T ? RR_ACCT_UNBILLED : RR_ACCT_DEFERRED, x[i]);
		rr_entry_add(e, d[i], RR_ACCT_RECOGNIZED, -x[i]);
	}
}

void
rr_recognition_delta(RrEntries *e, DateADT T, int n, const DateADT *d, const int64 *x)
{
	int64		R = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (rr_check_minor(x[i]) == 0)
			continue;
		if (d[i] < T)
			R = rr_add_minor(R, x[i]);
		rr_entry_add(e, d[i], d[i] < T ? RR_ACCT_UNBILLED : RR_ACCT_DEFERRED, x[i]);
		rr_entry_add(e, d[i], RR_ACCT_RECOGNIZED, -x[i]);
	}
	rr_entry_add(e, T, RR_ACCT_DEFERRED, R);
	rr_entry_add(e, T, RR_ACCT_UNBILLED, -R);
}

static char *
minor_text(int64 v, int exponent)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(v, exponent))));
}

void
rr_check_usage_limit(const char *invoice_id, const char *group_key, int64 used, int64 A, int exponent)
{
	if ((A >= 0 && (used > A || used < 0)) || (A < 0 && (used < A || used > 0)))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_DOCUMENT),
				 errmsg("usage of %s for invoice %s group %s exceeds its amount %s",
						minor_text(used, exponent), invoice_id, group_key, minor_text(A, exponent)),
				 errhint("Usage of a line may add up to at most what the line bills (net of its discounts).")));
}

/* ---------- the sink ---------- */

/* The columns the engines write, by name. */
typedef enum
{
	C_CUSTOMER_ID, C_SOURCE, C_SOURCE_ID, C_INVOICE_ID, C_INVOICE_NUMBER, C_CREDIT_NOTE_ID, C_LINE_ID,
	C_PRODUCT_ID, C_CURRENCY, C_METHOD, C_JOURNAL_TYPE, C_REASON, C_REF_ID, C_NARRATIVE, C_FLOOR_DATE,
	C_FIRST_DATE, C_LAST_DATE, C_ENTRIES, C_SCHED_START, C_SCHED_END, C_SCHED_AMOUNT, C_SCHED_STRATEGY,
	C_SCHED_MONTHS, C_SCHED_SPLIT, C_SCHED_BEFORE, C_SCHED_AFTER, C_SCHED_CREDIT, C_SCHED_FROM,
	C_NCOLS
} PostCol;

static const char *const col_names[C_NCOLS] = {
	"customer_id", "source", "source_id", "invoice_id", "invoice_number", "credit_note_id", "line_id",
	"product_id", "currency", "method", "journal_type", "reason", "ref_id", "narrative", "floor_date",
	"first_date", "last_date", "entries", "sched_start", "sched_end", "sched_amount", "sched_strategy",
	"sched_months", "sched_split", "sched_before", "sched_after", "sched_credit", "sched_from"
};

#define ENR_NAME "revrec_new_postings"

struct RrPostingSink
{
	TupleDesc	td;				/* revrec.posting's row */
	int			attno[C_NCOLS]; /* 0-based positions, looked up by name */
	Datum	   *values;
	bool	   *nulls;
	Tuplestorestate *rows;
	uint64		nrows;
	char	   *insert_sql;
	bool		citus;			/* a distributed revrec: through a temporary table */
	bool		temp_made;		/* ... which this sink made (never one it found) */
	char	   *cols;
};

RrPostingSink *
rr_sink_begin(void)
{
	RrPostingSink *s = palloc0(sizeof(RrPostingSink));
	Oid			relid = get_relname_relid("posting", get_namespace_oid("revrec", false));
	Relation	rel;
	StringInfoData cols;
	int			i;

	if (!OidIsValid(relid))
		elog(ERROR, "revrec: table revrec.posting not found");
	rel = table_open(relid, AccessShareLock);
	s->td = CreateTupleDescCopy(RelationGetDescr(rel));
	table_close(rel, AccessShareLock);

	initStringInfo(&cols);
	for (i = 0; i < C_NCOLS; i++)
	{
		int			k;

		s->attno[i] = -1;
		for (k = 0; k < s->td->natts; k++)
		{
			Form_pg_attribute a = TupleDescAttr(s->td, k);

			if (!a->attisdropped && strcmp(NameStr(a->attname), col_names[i]) == 0)
				s->attno[i] = k;
		}
		if (s->attno[i] < 0)
			elog(ERROR, "revrec: revrec.posting has no column %s", col_names[i]);
		appendStringInfo(&cols, "%s%s", i ? ", " : "", quote_identifier(col_names[i]));
	}
	s->cols = cols.data;
	s->citus = rr_citus_active();
	/*
	 * Citus cannot plan a query over an ephemeral relation together with a
	 * distributed table: there the rows go through a temporary table, which
	 * Citus reads on the coordinator and routes by customer_id.
	 */
	if (s->citus)
		s->insert_sql = psprintf("INSERT INTO pg_temp.revrec_citus_postings (posting_id, %s)"
								 " SELECT pg_catalog.nextval('revrec.posting_posting_id_seq'), %s FROM " ENR_NAME,
								 cols.data, cols.data);
	else if (rr_shard_mode)
		/* a shard has no identity: the worker's own range of the sequence (revrec._citus_groups()) */
		s->insert_sql = psprintf("INSERT INTO revrec.posting (posting_id, %s) OVERRIDING SYSTEM VALUE"
								 " SELECT pg_catalog.nextval('revrec.posting_posting_id_seq'), %s FROM " ENR_NAME,
								 cols.data, cols.data);
	else
		s->insert_sql = psprintf("INSERT INTO revrec.posting (%s) SELECT %s FROM " ENR_NAME, cols.data, cols.data);
	s->values = palloc(sizeof(Datum) * s->td->natts);
	s->nulls = palloc(sizeof(bool) * s->td->natts);
	s->rows = tuplestore_begin_heap(true, false, work_mem);
	return s;
}

static Datum
int8_array(const int64 *v, int n)
{
	Datum	   *e = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		e[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(e, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

void
rr_sink_put(RrPostingSink *s, const RrPostingOut *o)
{
	int			k;

	for (k = 0; k < s->td->natts; k++)
	{
		s->values[k] = (Datum) 0;
		s->nulls[k] = true;
	}
#define SET(col, datum) (s->values[s->attno[col]] = (datum), s->nulls[s->attno[col]] = false)
#define SET_TEXT(col, str) do { if ((str) != NULL) SET(col, CStringGetTextDatum(str)); } while (0)
	SET_TEXT(C_CUSTOMER_ID, o->customer_id);
	SET_TEXT(C_SOURCE, o->source);
	SET_TEXT(C_SOURCE_ID, o->source_id);
	SET_TEXT(C_INVOICE_ID, o->invoice_id);
	SET_TEXT(C_INVOICE_NUMBER, o->invoice_number);
	SET_TEXT(C_CREDIT_NOTE_ID, o->credit_note_id);
	SET_TEXT(C_LINE_ID, o->line_id);
	SET_TEXT(C_PRODUCT_ID, o->product_id);
	SET_TEXT(C_CURRENCY, o->currency);
	SET_TEXT(C_METHOD, o->method);
	SET_TEXT(C_JOURNAL_TYPE, o->journal_type ? o->journal_type : "system");
	SET_TEXT(C_REASON, o->reason);
	SET_TEXT(C_REF_ID, o->ref_id);
	SET_TEXT(C_NARRATIVE, o->narrative);
	if (o->has_floor)
		SET(C_FLOOR_DATE, DateADTGetDatum(o->floor_date));
	/* computed by the ledger's BEFORE INSERT trigger */
	SET(C_FIRST_DATE, DateADTGetDatum(DATEVAL_NOBEGIN));
	SET(C_LAST_DATE, DateADTGetDatum(DATEVAL_NOBEGIN));
	if (o->nentries > 0)
		SET(C_ENTRIES, int8_array(o->entries, o->nentries * 3));
	if (o->has_sched)
	{
		SET(C_SCHED_START, DateADTGetDatum(o->sched_start));
		SET(C_SCHED_END, DateADTGetDatum(o->sched_end));
		if (o->has_sched_amount)
			SET(C_SCHED_AMOUNT, Int64GetDatum(o->sched_amount));
		if (o->sched_strategy >= 0)
			SET(C_SCHED_STRATEGY, Int16GetDatum(o->sched_strategy));
		if (o->nmonths > 0)
			SET(C_SCHED_MONTHS, int8_array(o->sched_months, o->nmonths));
		if (o->has_split)
			SET(C_SCHED_SPLIT, DateADTGetDatum(o->sched_split));
		if (o->sched_before)
			SET(C_SCHED_BEFORE, Int16GetDatum(o->sched_before));
		if (o->sched_after)
			SET(C_SCHED_AFTER, Int16GetDatum(o->sched_after));
		if (o->sched_credit)
			SET(C_SCHED_CREDIT, Int16GetDatum(o->sched_credit));
	}
	/* (an adjustment without a schedule left still records from when it applies) */
	if (o->has_sched_from)
		SET(C_SCHED_FROM, DateADTGetDatum(o->sched_from));
#undef SET_TEXT
#undef SET
	tuplestore_putvalues(s->rows, s->td, s->values, s->nulls);
	s->nrows++;
}

/*
 * SPI_execute, and an error of the statement that is the user's to fix (any
 * SQLSTATE class but XX) reaches the caller as its own message, detail and
 * hint, without revrec's internal SQL as its CONTEXT; internal errors keep
 * their context for whoever debugs them.  Used by the emitter's INSERT and
 * the commit trigger's flush (src/flush.c).
 */
int
rr_spi_execute_user_error(const char *sql, bool read_only)
{
	return rr_spi_execute_args_user_error(sql, 0, NULL, NULL, NULL, read_only);
}

/* the same, with arguments (src/citus.c) */
int
rr_spi_execute_args_user_error(const char *sql, int nargs, Oid *types, Datum *args, const char *nulls,
							   bool read_only)
{
	MemoryContext caller = CurrentMemoryContext;
	int			rc = 0;

	PG_TRY();
	{
		rc = SPI_execute_with_args(sql, nargs, types, args, nulls, read_only, 0);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(caller);
		ed = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(ed->sqlerrcode) != ERRCODE_INTERNAL_ERROR)
		{
			FlushErrorState();
			ed->context = NULL;
			ReThrowError(ed);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	return rc;
}

uint64
rr_sink_flush(RrPostingSink *s)
{
	EphemeralNamedRelation enr;
	uint64		n = s->nrows;
	int			rc;

	if (n == 0)
		return 0;
	enr = palloc0(sizeof(EphemeralNamedRelationData));
	enr->md.name = ENR_NAME;
	enr->md.reliddesc = InvalidOid;
	enr->md.tupdesc = s->td;
	enr->md.enrtype = ENR_NAMED_TUPLESTORE;
	enr->md.enrtuples = (double) n;
	enr->reldata = s->rows;
	if (SPI_register_relation(enr) != SPI_OK_REL_REGISTER)
		elog(ERROR, "revrec: could not register the new postings");
	/* a posting the ledger refuses (a locked period, say): the ledger's own error */
	if (s->citus)
	{
		/*
		 * the temporary table: made from the first rows, then reused.  One
		 * of the same name that this sink did not make (the session's own,
		 * with its rows, columns or triggers) is dropped first: its rows
		 * would go into the ledger, its triggers would run as revrec's owner.
		 */
		if (!s->temp_made)
		{
			if (SPI_execute("SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'revrec_citus_postings'"
							" AND relnamespace = pg_catalog.pg_my_temp_schema()", true, 1) != SPI_OK_SELECT)
				elog(ERROR, "revrec: looking for the temporary postings failed");
			if (SPI_processed > 0 &&
				SPI_execute("DROP TABLE pg_temp.revrec_citus_postings", false, 0) != SPI_OK_UTILITY)
				elog(ERROR, "revrec: dropping a temporary table revrec_citus_postings failed");
			s->temp_made = true;
			rc = SPI_execute(psprintf("CREATE TEMPORARY TABLE revrec_citus_postings ON COMMIT DROP AS"
									  " SELECT pg_catalog.nextval('revrec.posting_posting_id_seq') AS posting_id, %s FROM " ENR_NAME,
									  s->cols), false, 0);
			if (rc < 0)
				elog(ERROR, "revrec: creating the temporary postings failed: %s", SPI_result_code_string(rc));
			rc = SPI_OK_INSERT;
		}
		else
			rc = SPI_execute(s->insert_sql, false, 0);
	}
	else
		rc = rr_spi_execute_user_error(s->insert_sql, false);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "revrec: inserting postings failed: %s", SPI_result_code_string(rc));
	if (SPI_unregister_relation(ENR_NAME) != SPI_OK_REL_UNREGISTER)
		elog(ERROR, "revrec: could not unregister the new postings");
	if (s->citus)
	{
		/* posting_id taken in the engines' order, as a single node's INSERT takes it */
		rc = rr_spi_execute_user_error(psprintf("INSERT INTO revrec.posting (posting_id, %s) OVERRIDING SYSTEM VALUE"
												" SELECT posting_id, %s FROM pg_temp.revrec_citus_postings",
												s->cols, s->cols), false);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "revrec: inserting postings failed: %s", SPI_result_code_string(rc));
		if (SPI_execute("DELETE FROM pg_temp.revrec_citus_postings", false, 0) != SPI_OK_DELETE)
			elog(ERROR, "revrec: emptying the temporary postings failed");
	}
	tuplestore_clear(s->rows);
	s->nrows = 0;
	return n;
}

static const char *
row_text(HeapTuple t, TupleDesc td, const char *name)
{
	int			col = SPI_fnumber(td, name);
	bool		isnull;
	Datum		d;

	if (col <= 0)
		elog(ERROR, "revrec: revrec.posting has no column %s", name);
	d = SPI_getbinval(t, td, col, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
row_datum(HeapTuple t, TupleDesc td, const char *name, Datum *out)
{
	int			col = SPI_fnumber(td, name);
	bool		isnull;

	if (col <= 0)
		elog(ERROR, "revrec: revrec.posting has no column %s", name);
	*out = SPI_getbinval(t, td, col, &isnull);
	return !isnull;
}

static int64 *
row_int8s(Datum d, int *n)
{
	Datum	   *e;
	bool	   *nulls;
	int64	   *v;
	int			i;

	deconstruct_array(DatumGetArrayTypeP(d), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &e, &nulls, n);
	v = palloc(sizeof(int64) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			elog(ERROR, "revrec: a stored posting holds a null amount");
		v[i] = DatumGetInt64(e[i]);
	}
	return v;
}

void
rr_posting_out_from_row(HeapTuple t, TupleDesc td, RrPostingOut *o, int64 *posting_id)
{
	Datum		d;
	int			n;

	memset(o, 0, sizeof(*o));
	o->customer_id = row_text(t, td, "customer_id");
	o->source = row_text(t, td, "source");
	o->source_id = row_text(t, td, "source_id");
	o->invoice_id = row_text(t, td, "invoice_id");
	o->invoice_number = row_text(t, td, "invoice_number");
	o->credit_note_id = row_text(t, td, "credit_note_id");
	o->line_id = row_text(t, td, "line_id");
	o->product_id = row_text(t, td, "product_id");
	o->currency = row_text(t, td, "currency");
	o->method = row_text(t, td, "method");
	o->journal_type = row_text(t, td, "journal_type");
	o->reason = row_text(t, td, "reason");
	o->ref_id = row_text(t, td, "ref_id");
	o->narrative = row_text(t, td, "narrative");
	*posting_id = row_datum(t, td, "posting_id", &d) ? DatumGetInt64(d) : 0;
	if ((o->has_floor = row_datum(t, td, "floor_date", &d)))
		o->floor_date = DatumGetDateADT(d);
	if (row_datum(t, td, "entries", &d))
	{
		o->entries = row_int8s(d, &n);
		o->nentries = n / 3;
	}
	o->sched_strategy = -1;
	if ((o->has_sched = row_datum(t, td, "sched_start", &d)))
	{
		o->sched_start = DatumGetDateADT(d);
		if (row_datum(t, td, "sched_end", &d))
			o->sched_end = DatumGetDateADT(d);
		if ((o->has_sched_amount = row_datum(t, td, "sched_amount", &d)))
			o->sched_amount = DatumGetInt64(d);
		if (row_datum(t, td, "sched_strategy", &d))
			o->sched_strategy = DatumGetInt16(d);
		if (row_datum(t, td, "sched_months", &d))
			o->sched_months = row_int8s(d, &o->nmonths);
		if ((o->has_split = row_datum(t, td, "sched_split", &d)))
			o->sched_split = DatumGetDateADT(d);
		if (row_datum(t, td, "sched_before", &d))
			o->sched_before = DatumGetInt16(d);
		if (row_datum(t, td, "sched_after", &d))
			o->sched_after = DatumGetInt16(d);
		if (row_datum(t, td, "sched_credit", &d))
			o->sched_credit = DatumGetInt16(d);
	}
	if ((o->has_sched_from = row_datum(t, td, "sched_from", &d)))
		o->sched_from = DatumGetDateADT(d);
}

/* see post_emit.h */
bool
rr_has_strategy_columns(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute"
					" WHERE attrelid = 'revrec.invoice_line'::pg_catalog.regclass"
					" AND attname = 'allocation_strategy' AND NOT attisdropped)", true, 1) != SPI_OK_SELECT
		|| SPI_processed != 1)
		elog(ERROR, "revrec: reading the catalog failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(d);
}

void
rr_out_for_group(RrPostingOut *o, HeapTuple t, TupleDesc td, const char *kind,
				 bool has_floor, DateADT floor_date)
{
	memset(o, 0, sizeof(*o));
	o->customer_id = SPI_getvalue(t, td, 1);
	o->source = "invoice";
	o->source_id = SPI_getvalue(t, td, 2);
	o->invoice_id = o->source_id;
	o->invoice_number = SPI_getvalue(t, td, 3);
	o->currency = SPI_getvalue(t, td, 4);
	o->line_id = SPI_getvalue(t, td, 6);
	o->product_id = SPI_getvalue(t, td, 7);
	o->method = kind;
	o->reason = kind;
	o->sched_strategy = -1;
	o->has_floor = has_floor;
	o->floor_date = has_floor ? floor_date : 0;
}
