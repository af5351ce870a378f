/*
 * post_schedule.c — billing schedule lines: revenue earned
 * before any invoice exists, recognized unbilled -> recognized.
 *
 * revrec._post_billing_schedules(ids[], strategy, floor) posts the lines not
 * posted yet: a straight-line line as its schedule (unbilled before and
 * after, recognized credited, expanded when read), a point-in-time line on
 * its service_start.  An invoice line naming the schedule line later moves
 * its amount unbilled -> billed (post_invoice.c).
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "post_emit.h"
#include "schedule.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

static const char *const schedule_query =
"SELECT b.customer_id, b.schedule_line_id, b.product_id, b.currency,"
"       coalesce(b.recognition_method, 'straight_line') AS method, b.amount, b.service_start, b.service_end,"
"       %s"
"  FROM revrec.billing_schedule_line b"
"  LEFT JOIN revrec.product pr ON pr.product_id = b.product_id"
" WHERE b.schedule_line_id = ANY ($1)"
"   AND NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = b.customer_id"
"                      AND p.source = 'billing_schedule' AND p.source_id = b.schedule_line_id)"
" ORDER BY b.schedule_line_id";

PG_FUNCTION_INFO_V1(revrec_post_billing_schedules);
Datum
revrec_post_billing_schedules(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTARRAYOID};
	Datum		args[1];
	int			strategy;
	RrPostingSink *sink;
	uint64		i,
				posted;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_RR_UNKNOWN_STRATEGY), errmsg("argument \"allocation_strategy\" must not be null")));
	strategy = rr_strategy_from_name(text_to_cstring(PG_GETARG_TEXT_PP(1)), "allocation_strategy");
	args[0] = PG_GETARG_DATUM(0);

	SPI_connect();
	sink = rr_sink_begin();
	if (SPI_execute_with_args(psprintf(schedule_query, rr_has_strategy_columns()
									   ? "coalesce(b.allocation_strategy, pr.allocation_strategy)" : "NULL::text"),
							  1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading billing schedule lines failed");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		RrPostingOut o;
		bool		isnull;
		int			exponent;
		int64		a;
		int64		e[6];
		Datum		sd;

		CHECK_FOR_INTERRUPTS();
		memset(&o, 0, sizeof(o));
		o.customer_id = SPI_getvalue(t, td, 1);
		o.source = "billing_schedule";
		o.source_id = SPI_getvalue(t, td, 2);
		o.line_id = o.source_id;
		o.product_id = SPI_getvalue(t, td, 3);
		o.currency = SPI_getvalue(t, td, 4);
		o.method = SPI_getvalue(t, td, 5);
		o.reason = "issue";
		o.has_floor = !PG_ARGISNULL(2);
		o.floor_date = o.has_floor ? PG_GETARG_DATEADT(2) : 0;
		o.sched_strategy = -1;
		exponent = rr_currency_exponent(o.currency, "billing_schedule_line.currency");
		a = rr_numeric_to_minor(DatumGetNumeric(SPI_getbinval(t, td, 6, &isnull)), exponent, "billing_schedule_line.amount");
		if (a == 0)
			continue;
		if (strcmp(o.method, "point_in_time") == 0)
		{
			DateADT		d = DatumGetDateADT(SPI_getbinval(t, td, 7, &isnull));

			e[0] = d;
			e[1] = RR_ACCT_UNBILLED;
			e[2] = a;
			e[3] = d;
			e[4] = RR_ACCT_RECOGNIZED;
			e[5] = -a;
			o.nentries = 2;
			o.entries = e;
		}
		else
		{
			o.has_sched = true;
			o.sched_start = DatumGetDateADT(SPI_getbinval(t, td, 7, &isnull));
			o.sched_end = DatumGetDateADT(SPI_getbinval(t, td, 8, &isnull));
			o.has_sched_amount = true;
			o.sched_amount = a;
			/* the line's, else its product's, else the setting */
			sd = SPI_getbinval(t, td, 9, &isnull);
			o.sched_strategy = (int16) (isnull ? strategy
										: rr_strategy_from_name(TextDatumGetCString(sd), "allocation_strategy"));
			o.sched_before = RR_ACCT_UNBILLED;
			o.sched_after = RR_ACCT_UNBILLED;
			o.sched_credit = RR_ACCT_RECOGNIZED;
		}
		rr_sink_put(sink, &o);
	}
	posted = rr_sink_flush(sink);
	SPI_finish();
	PG_RETURN_INT64((int64) posted);
}
