/*
 * post_usage.c — usage arriving for invoices already posted (method `usage`).
 *
 * An invoice's usage known when it posts is read by the invoice engine
 * (post_invoice.c).  Usage written later is posted here, at the end of the
 * transaction that wrote it: per group, each usage row moves its amount
 * from service_end (where what usage does not cover is recognized) to its
 * own day, never floored before the group's own postings.  The lines are locked first, in order, so two transactions adding
 * usage to one line post one after the other, and the second one's limit
 * check sees the first one's usage.
 *
 * revrec._post_usage(usage_ids bigint[], floor date, skip_invoices text[])
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "post_emit.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

static const char *const lock_query =
"SELECT 1 FROM revrec.invoice_line l"
" WHERE l.line_id IN (SELECT x.line_id FROM revrec.usage x WHERE x.usage_id = ANY ($1))"
" ORDER BY l.line_id FOR NO KEY UPDATE OF l";

/* the new usage of issued, posted invoices, per group */
static const char *const group_query =
"SELECT i.customer_id, i.invoice_id, i.invoice_number, i.currency, i.accounting_date,"
"       coalesce(l.group_id, l.line_id) AS group_key, l.product_id,"
"       coalesce((SELECT g.service_end FROM revrec.invoice_line g"   /* the group's end, as the invoice engine */
"                  WHERE g.line_id = coalesce(l.group_id, l.line_id) AND g.invoice_id = l.invoice_id), l.service_end) AS service_end,"
"       array_agg(x.usage_date ORDER BY x.usage_date, x.usage_id) AS dates,"
"       array_agg(x.amount ORDER BY x.usage_date, x.usage_id) AS amounts"
"  FROM revrec.usage x"
"  JOIN revrec.invoice_line l ON l.line_id = x.line_id"
"  JOIN revrec.invoice i ON i.invoice_id = l.invoice_id"
" WHERE x.usage_id = ANY ($1) AND i.status = 'issued'"
"   AND NOT (i.invoice_id = ANY (coalesce($2, '{}')))"
"   AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'"
"                  AND p.source_id = i.invoice_id AND p.reason = 'issue')"
" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
" ORDER BY 2, 6";

/*
 * All usage of a group, and what the group has left billed (the limit): its
 * issue postings less its credit notes' (and plus their voids').  A credit
 * note's postings carry the invoice and the group; credits and usage of one
 * invoice are serialized on the invoice row (the credit engine locks it, the
 * usage trigger holds it FOR SHARE), so this reads every credit committed
 * before us.
 */
static const char *const limit_query =
"SELECT (SELECT coalesce(sum(x.amount), 0) FROM revrec.usage x JOIN revrec.invoice_line l ON l.line_id = x.line_id"
"         WHERE l.invoice_id = $2 AND coalesce(l.group_id, l.line_id) = $3) AS used,"
"       " RR_GROUP_BILLED_SQL " AS billed,"
"       (SELECT max(p.floor_date) FROM revrec.posting p"
"         WHERE p.customer_id = $1 AND p.invoice_id = $2 AND p.line_id = $3) AS group_floor";

PG_FUNCTION_INFO_V1(revrec_post_usage);
Datum
revrec_post_usage(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {INT8ARRAYOID, TEXTARRAYOID};
	Oid			ltypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	RrPostingSink *sink;
	SPITupleTable *groups;
	uint64		ngroups,
				g,
				posted;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[1] = PG_ARGISNULL(2) ? 'n' : ' ';

	SPI_connect();
	sink = rr_sink_begin();
	if (SPI_execute_with_args(lock_query, 1, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: locking the usage lines failed");
	if (SPI_execute_with_args(group_query, 2, types, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading usage failed");
	groups = SPI_tuptable;
	ngroups = SPI_processed;
	for (g = 0; g < ngroups; g++)
	{
		HeapTuple	t = groups->vals[g];
		TupleDesc	td = groups->tupdesc;
		RrPostingOut o;
		RrEntries	e = {0, 0, NULL};
		bool		isnull;
		int			exponent;
		DateADT		T = DatumGetDateADT(SPI_getbinval(t, td, 5, &isnull));
		Datum	   *de,
				   *ae;
		bool	   *dn,
				   *an;
		int			nd,
					na,
					i;
		DateADT    *d;
		int64	   *x;
		int64		sum = 0;
		Datum		largs[3];
		int64		used,
					billed;

		CHECK_FOR_INTERRUPTS();
		rr_out_for_group(&o, t, td, "usage", !PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_DATEADT(1));
		exponent = rr_currency_exponent(o.currency, "invoice.currency");

		/* the limit first: all usage of the group (other sessions' included) */
		largs[0] = CStringGetTextDatum(o.customer_id);
		largs[1] = CStringGetTextDatum(o.invoice_id);
		largs[2] = CStringGetTextDatum(o.line_id);
		if (SPI_execute_with_args(limit_query, 3, ltypes, largs, NULL, false, 0) != SPI_OK_SELECT
			|| SPI_processed != 1)
			elog(ERROR, "revrec: reading the usage limit failed");
		used = rr_numeric_to_minor(DatumGetNumeric(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
								   exponent, "usage.amount");
		billed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		{
			/* never floored before the group's own postings (a lock moved back) */
			DateADT		gf = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));

			if (!isnull && (!o.has_floor || gf > o.floor_date))
			{
				o.has_floor = true;
				o.floor_date = gf;
			}
		}
		rr_check_usage_limit(o.invoice_id, o.line_id, used, billed, exponent);

		/* each usage day, and what it takes off service_end */
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(t, td, 9, &isnull)), DATEOID, 4, true, TYPALIGN_INT,
						  &de, &dn, &nd);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(t, td, 10, &isnull)), NUMERICOID, -1, false, TYPALIGN_INT,
						  &ae, &an, &na);
		d = palloc(sizeof(DateADT) * (nd + 1));
		x = palloc(sizeof(int64) * (nd + 1));
		for (i = 0; i < nd; i++)
		{
			d[i] = DatumGetDateADT(de[i]);
			x[i] = rr_numeric_to_minor(DatumGetNumeric(ae[i]), exponent, "usage.amount");
			sum = rr_add_minor(sum, x[i]);
		}
		d[nd] = DatumGetDateADT(SPI_getbinval(t, td, 8, &isnull));
		if (isnull)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_PERIOD),
							errmsg("invoice %s line %s: usage recognition needs service_end", o.invoice_id, o.line_id)));
		x[nd] = -sum;
		rr_recognition_delta(&e, T, nd + 1, d, x);
		o.nentries = e.n / 3;
		o.entries = e.v;
		if (o.nentries > 0)
			rr_sink_put(sink, &o);
	}
	posted = rr_sink_flush(sink);
	SPI_finish();
	PG_RETURN_INT64((int64) posted);
}
