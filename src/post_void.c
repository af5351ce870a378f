/*
 * post_void.c — voids (setting `void` reverses everything the
 * document posted, dated the void day).
 *
 * revrec._post_voids(source, customers[], docs[], void_days[], labels[], floor)
 * writes, for every posting of each document not voided yet, its negated
 * copy floored on the void day: what was dated before the void day is
 * reversed on it, later days on their own dates.  Shared by invoice voids
 * (and the credit notes of a void invoice) and credit-note voids.
 */
#include "revrec.h"
#include "post_emit.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

static const char *const void_query =
"SELECT p.*, d.day AS void_day, d.label AS void_label"
"  FROM unnest($2, $3, $4, $5) AS d(customer, doc, day, label)"
"  JOIN revrec.posting p ON p.customer_id = d.customer AND p.source = $1 AND p.source_id = d.doc"
" WHERE p.reason <> 'void'"
"   AND NOT EXISTS (SELECT 1 FROM revrec.posting v WHERE v.customer_id = d.customer AND v.source = $1"
"                      AND v.source_id = d.doc AND v.reason = 'void')"
" ORDER BY p.posting_id";

PG_FUNCTION_INFO_V1(revrec_post_voids);
Datum
revrec_post_voids(PG_FUNCTION_ARGS)
{
	Oid			types[5] = {TEXTOID, TEXTARRAYOID, TEXTARRAYOID, DATEARRAYOID, TEXTARRAYOID};
	Datum		args[5];
	bool		has_floor = !PG_ARGISNULL(5);
	DateADT		floor = has_floor ? PG_GETARG_DATEADT(5) : 0;
	RrPostingSink *sink;
	uint64		i,
				posted;
	int			k;

	for (k = 0; k < 5; k++)
		if (PG_ARGISNULL(k))
			PG_RETURN_INT64(0);
	for (k = 0; k < 5; k++)
		args[k] = PG_GETARG_DATUM(k);

	SPI_connect();
	sink = rr_sink_begin();
	if (SPI_execute_with_args(void_query, 5, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the postings to void failed");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		RrPostingOut o;
		int64		posting_id;
		bool		isnull;
		DateADT		day = DatumGetDateADT(SPI_getbinval(t, td, SPI_fnumber(td, "void_day"), &isnull));
		char	   *label = SPI_getvalue(t, td, SPI_fnumber(td, "void_label"));
		int64	   *e;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT), errmsg("a void needs its day")));
		rr_posting_out_from_row(t, td, &o, &posting_id);
		o.journal_type = "system";
		o.reason = "void";
		o.ref_id = psprintf(INT64_FORMAT, posting_id);
		o.narrative = psprintf("Void of %s", label ? label : o.source_id);
		/* floored on the void day (never before the lock, nor the original's own floor) */
		if (has_floor && floor > day)
			day = floor;
		if (o.has_floor && o.floor_date > day)
			day = o.floor_date;
		o.has_floor = true;
		o.floor_date = day;
		e = palloc(sizeof(int64) * Max(o.nentries * 3, 1));
		for (j = 0; j < o.nentries; j++)
		{
			e[3 * j] = o.entries[3 * j];
			e[3 * j + 1] = o.entries[3 * j + 1];
			e[3 * j + 2] = -o.entries[3 * j + 2];
		}
		o.entries = e;
		if (o.has_sched_amount)
			o.sched_amount = -o.sched_amount;
		if (o.nmonths > 0)
		{
			int64	   *m = palloc(sizeof(int64) * o.nmonths);

			for (j = 0; j < o.nmonths; j++)
				m[j] = -o.sched_months[j];
			o.sched_months = m;
		}
		rr_sink_put(sink, &o);
	}
	posted = rr_sink_flush(sink);
	SPI_finish();
	PG_RETURN_INT64((int64) posted);
}
