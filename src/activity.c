/*
 * activity.c — the activity log of what a transaction posted.
 *
 * revrec._log_postings(from bigint, action text) writes one revrec.activity
 * row per document and action among the postings this transaction made after
 * posting_id `from` (up to the sequence's last value: the ids this node gave
 * since): how many daily entries they expand to and the sum of
 * their debits.  It runs once per flush, over every posting of a bulk load,
 * so it is one pass in C: each posting row is read once, its entries are
 * counted from month amounts (rr_posting_stats, no day loop), the documents
 * are grouped in a hash table, and the log rows go in, in the order the
 * documents were first posted, with one INSERT of arrays.
 */
#include "revrec.h"
#include "citus.h"
#include "keyhash.h"
#include "ledger.h"
#include "money.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* the key fields, in key order: action, source, document, customer, currency */
#define LOG_NKEY 5

typedef struct LogDoc
{
	RrKey		key;			/* hash key: must be first */
	int64		first;			/* its smallest posting_id: the log's order */
	int64		entries;
	int64		debits;
} LogDoc;

/* Append one field to the key: 'N' for null, or 'V', the text and a NUL. */
static void
key_field(StringInfo k, const char *v)
{
	if (v == NULL)
		appendStringInfoChar(k, 'N');
	else
	{
		appendStringInfoChar(k, 'V');
		appendBinaryStringInfo(k, v, strlen(v) + 1);
	}
}

/* Read the fields back from a key, as C strings pointing into it (NULL for null). */
static void
key_fields(const RrKey *k, const char *field[LOG_NKEY])
{
	const char *s = k->data;
	int			i;

	for (i = 0; i < LOG_NKEY; i++)
	{
		if (*s++ == 'N')
			field[i] = NULL;
		else
		{
			field[i] = s;
			s += strlen(s) + 1;
		}
	}
}

/* column i (0-based) of a deformed row, as a C string or NULL */
static const char *
text_or_null(const Datum *v, const bool *n, int i)
{
	return n[i] ? NULL : TextDatumGetCString(v[i]);
}

static ArrayType *
text_array(Datum *v, bool *n, int count)
{
	int			dims[1] = {count};
	int			lbs[1] = {1};

	return construct_md_array(v, n, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
}

static int
doc_cmp(const void *a, const void *b)
{
	int64		x = (*(LogDoc *const *) a)->first;
	int64		y = (*(LogDoc *const *) b)->first;

	return (x > y) - (x < y);
}

PG_FUNCTION_INFO_V1(revrec_log_postings);
Datum
revrec_log_postings(PG_FUNCTION_ARGS)
{
	int64		from;
	char	   *action = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	MemoryContext cxt,
				rowcxt,
				old;
	HTAB	   *docs;
	LogDoc	  **byorder = NULL;
	int			ndocs = 0,
				maxdocs = 0;
	StringInfoData key;
	SPIPlanPtr	plan;
	Portal		portal;
	Oid			argtypes[3] = {INT8OID, XID8OID, INT8OID};
	Datum		args[3];
	RrPostingCols cols;
	int			att_reason = -1,
				att_customer = -1,
				att_id = -1;
	Datum	   *values = NULL;
	bool	   *nulls = NULL;
	bool		first = true;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("revrec._log_postings: the posting_id to start after must not be null")));
	from = PG_GETARG_INT64(0);

	/* everything kept across batches lives here; the caller's context outlives SPI's */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "revrec activity log", ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(cxt, "revrec activity row", ALLOCSET_DEFAULT_SIZES);
	docs = rr_key_table("revrec activity documents", sizeof(LogDoc), cxt);
	old = MemoryContextSwitchTo(cxt);
	initStringInfo(&key);
	MemoryContextSwitchTo(old);

	SPI_connect();
	/*
	 * This transaction's id, as a parameter: on Citus a function in the
	 * query would be evaluated on the workers, in their own transactions.
	 */
	if (SPI_execute("SELECT pg_catalog.pg_current_xact_id()", false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "revrec: reading the transaction id failed");
	{
		bool		isnull;

		args[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	}
	/*
	 * The ids this node's sequence has given since `from`: a transaction id
	 * is unique only in its own cluster, and the ledger also holds postings
	 * made elsewhere with ids above `from` (a dump of a distributed revrec
	 * restored here; on Citus, the other nodes' ranges of ids, and shard
	 * groups moved from another node), whose recorded_xid may be this one.
	 */
	if (SPI_execute("SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END"
					"  FROM revrec.posting_posting_id_seq s", true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "revrec: reading the posting sequence failed");
	{
		bool		isnull;

		args[2] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	}
	plan = SPI_prepare("SELECT * FROM revrec.posting"
					   " WHERE posting_id > $1 AND posting_id <= $3 AND recorded_xid = $2",
					   3, argtypes);
	if (plan == NULL)
		elog(ERROR, "revrec: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	args[0] = Int64GetDatum(from);
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);

	for (;;)
	{
		TupleDesc	td;
		uint64		i;

		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		td = SPI_tuptable->tupdesc;
		if (first)
		{
			rr_posting_cols(td, &cols);
			/* 0-based, as RrPostingCols */
			att_reason = SPI_fnumber(td, "reason") - 1;
			att_customer = SPI_fnumber(td, "customer_id") - 1;
			att_id = SPI_fnumber(td, "posting_id") - 1;
			if (att_reason < 0 || att_customer < 0 || att_id < 0)
				elog(ERROR, "revrec.posting lacks reason, customer_id or posting_id");
			values = MemoryContextAlloc(cxt, sizeof(Datum) * td->natts);
			nulls = MemoryContextAlloc(cxt, sizeof(bool) * td->natts);
			first = false;
		}
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			RrPosting	p;
			int64		count,
						debits;
			const char *customer;
			LogDoc	   *d;
			bool		found;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(rowcxt);
			heap_deform_tuple(tup, td, values, nulls);
			rr_posting_from_values(values, nulls, &cols, RR_POSTING_STORED, &p);
			rr_posting_stats(&p, &count, &debits);

			resetStringInfo(&key);
			key_field(&key, action ? action : text_or_null(values, nulls, att_reason));
			key_field(&key, text_or_null(values, nulls, cols.source));
			key_field(&key, text_or_null(values, nulls, cols.source_id));
			customer = text_or_null(values, nulls, att_customer);
			/* '' is the ledger's "no customer" (manual journals) */
			key_field(&key, customer && customer[0] ? customer : NULL);
			key_field(&key, text_or_null(values, nulls, cols.currency));
			MemoryContextSwitchTo(old);

			d = (LogDoc *) rr_key_enter(docs, key.data, key.len, cxt, &found);
			if (!found)
			{
				if (ndocs == maxdocs)
				{
					maxdocs = maxdocs ? 2 * maxdocs : 256;
					byorder = byorder ? repalloc(byorder, sizeof(LogDoc *) * maxdocs)
						: MemoryContextAlloc(cxt, sizeof(LogDoc *) * maxdocs);
				}
				d->first = DatumGetInt64(values[att_id]);
				d->entries = 0;
				d->debits = 0;
				byorder[ndocs++] = d;
			}
			d->first = Min(d->first, DatumGetInt64(values[att_id]));
			d->entries += count;
			d->debits = rr_add_minor(d->debits, debits);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);

	/*
	 * Log rows in the order the documents were posted (the cursor reads the
	 * heap in physical order, which space reused after a rollback can make
	 * differ from posting order)
	 */
	if (ndocs > 1)
		qsort(byorder, ndocs, sizeof(LogDoc *), doc_cmp);

	if (ndocs > 0)
	{
		Datum	   *v[LOG_NKEY];
		bool	   *n[LOG_NKEY];
		Datum	   *ents = palloc(sizeof(Datum) * ndocs);
		Datum	   *amts = palloc(sizeof(Datum) * ndocs);
		bool	   *amtnull = palloc(sizeof(bool) * ndocs);
		Oid			types[LOG_NKEY + 2] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, INT8ARRAYOID, NUMERICARRAYOID};
		Datum		arrays[LOG_NKEY + 2];
		int			dims[1] = {ndocs};
		int			lbs[1] = {1};
		int			i,
					f;

		for (f = 0; f < LOG_NKEY; f++)
		{
			v[f] = palloc(sizeof(Datum) * ndocs);
			n[f] = palloc(sizeof(bool) * ndocs);
		}
		for (i = 0; i < ndocs; i++)
		{
			const char *field[LOG_NKEY];

			key_fields(&byorder[i]->key, field);
			for (f = 0; f < LOG_NKEY; f++)
			{
				n[f][i] = field[f] == NULL;
				v[f][i] = n[f][i] ? (Datum) 0 : CStringGetTextDatum(field[f]);
			}
			ents[i] = Int64GetDatum(byorder[i]->entries);
			/* currency is NOT NULL in revrec.posting; guard anyway */
			amtnull[i] = field[4] == NULL;
			amts[i] = amtnull[i] ? (Datum) 0
				: NumericGetDatum(rr_minor_to_numeric(byorder[i]->debits,
													  rr_currency_exponent(field[4], "currency")));
		}
		for (f = 0; f < LOG_NKEY; f++)
		{
			arrays[f] = PointerGetDatum(text_array(v[f], n[f], ndocs));
			/* the array holds its own copies: free the texts as we go */
			for (i = 0; i < ndocs; i++)
				if (!n[f][i])
					pfree(DatumGetPointer(v[f][i]));
			pfree(v[f]);
			pfree(n[f]);
		}
		arrays[LOG_NKEY] = PointerGetDatum(construct_md_array(ents, NULL, 1, dims, lbs, INT8OID, 8,
															  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		arrays[LOG_NKEY + 1] = PointerGetDatum(construct_md_array(amts, amtnull, 1, dims, lbs, NUMERICOID,
																  -1, false, TYPALIGN_INT));
		if (rr_shard_mode)
		{
			/*
			 * on a Citus worker (src/citus_shard.c): the activity log is a
			 * reference table; the rows go back to the coordinator
			 */
			uint64		r;

			if (SPI_execute_with_args("SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
									  "   pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
									  "   pg_catalog.unnest($6), pg_catalog.unnest($7))",
									  LOG_NKEY + 2, types, arrays, NULL, true, 0) != SPI_OK_SELECT)
				elog(ERROR, "revrec: reading the activity rows failed");
			for (r = 0; r < SPI_processed; r++)
				rr_shard_log(SPI_tuptable->vals[r], SPI_tuptable->tupdesc);
		}
		else if (SPI_execute_with_args("INSERT INTO revrec.activity (action, source, document_id, customer_id,"
									   "                             currency, entries, amount)"
									   " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
									   "   pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
									   "   pg_catalog.unnest($6), pg_catalog.unnest($7))",
									   LOG_NKEY + 2, types, arrays, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "revrec: inserting the activity log failed");
	}
	SPI_finish();
	MemoryContextDelete(cxt);
	PG_RETURN_VOID();
}
