/*
 * post_manual.c — manual journals: corrections, manual
 * recognition, reclassifications between accounts.
 *
 * revrec._post_manual_journal(entry_date, narrative, lines jsonb, currency,
 * customer_id, product_id, invoice_id, adjusts) returns the journal number.
 * SECURITY DEFINER, executable by revrec_admin only; revrec.post_manual_journal()
 * in front of it tells anyone else which role is needed.  Each line of
 * `lines` is {"account": code, "direction": "debit"|"credit", "amount": "12.34"};
 * the journal must balance; it is dated entry_date, source standalone,
 * journal type manual.  A journal dated into a locked period is refused by
 * the ledger's check (a person chose the date: no shift).  The settings row
 * is held FOR SHARE as the flush holds it, so a lock moved meanwhile waits
 * until the journal commits.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "post_emit.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* the lines, one row each, in order; the amount only when it reads as a number */
static const char *const lines_query =
"SELECT x.o, jsonb_typeof(x.l) = 'object' AND x.l ? 'account' AND x.l ? 'direction' AND x.l ? 'amount',"
"       x.l ->> 'account', x.l ->> 'direction', x.l ->> 'amount',"
"       CASE WHEN jsonb_typeof(x.l) = 'object'"
"                 AND x.l ->> 'amount' ~ '^\\s*[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$'"
"            THEN (x.l ->> 'amount')::numeric END,"
"       a.account_id"
"  FROM jsonb_array_elements($1) WITH ORDINALITY AS x(l, o)"
"  LEFT JOIN revrec.ledger_account a ON jsonb_typeof(x.l) = 'object' AND a.code = x.l ->> 'account'"
" ORDER BY x.o";

static void pg_attribute_noreturn()
bad_line(int i, const char *fmt, const char *arg)
{
	ereport(ERROR,
			(errcode(ERRCODE_RR_INVALID_ARGUMENT),
			 errmsg("manual journal line %d: %s", i, psprintf(fmt, arg)),
			 errhint("A line is {\"account\": \"deferred\", \"direction\": \"debit\", \"amount\": \"100.00\"}; "
					 "see revrec.ledger_account for the account codes.")));
}

static char *
text_arg(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

PG_FUNCTION_INFO_V1(revrec_post_manual_journal);
Datum
revrec_post_manual_journal(PG_FUNCTION_ARGS)
{
	DateADT		day;
	char	   *currency = text_arg(fcinfo, 3);
	char	   *customer_id = text_arg(fcinfo, 4);
	char	   *product_id = text_arg(fcinfo, 5);
	char	   *invoice_id = text_arg(fcinfo, 6);
	char	   *invoice_number = NULL;
	int			exponent;
	Oid			jtypes[1] = {JSONBOID};
	Datum		jargs[1];
	RrEntries	e = {0, 0, NULL};
	int64		dr = 0,
				cr = 0;
	uint64		i,
				nlines;
	char	   *jid;
	int64		mark;
	RrPostingOut o;
	RrPostingSink *sink;
	bool		isnull;
	char	   *number;
	MemoryContext caller = CurrentMemoryContext;
	text	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || currency == NULL)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
						errmsg("a manual journal needs entry_date, lines and currency")));
	day = PG_GETARG_DATEADT(0);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
						errmsg("a manual journal is dated a day, not %s", DATE_IS_NOBEGIN(day) ? "-infinity" : "infinity")));
	exponent = rr_currency_exponent(currency, "currency");	/* unknown: RV001 */
	jargs[0] = PG_GETARG_DATUM(2);

	SPI_connect();
	if (SPI_execute_with_args("SELECT jsonb_typeof($1) = 'array' AND jsonb_array_length($1) >= 2",
							  1, jtypes, jargs, NULL, true, 1) != SPI_OK_SELECT
		|| !DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_ARGUMENT),
				 errmsg("the lines of a manual journal must be a JSON array of at least two lines"),
				 errhint("Example: [{\"account\": \"deferred\", \"direction\": \"debit\", \"amount\": \"100.00\"}, "
						 "{\"account\": \"recognized\", \"direction\": \"credit\", \"amount\": \"100.00\"}]")));
	if (SPI_execute_with_args(lines_query, 1, jtypes, jargs, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the manual journal's lines failed");
	nlines = SPI_processed;
	for (i = 0; i < nlines; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		int			n = (int) i + 1;
		bool		acct_null,
					amt_null;
		char	   *dir;
		Datum		acct,
					amt;
		int64		a;

		CHECK_FOR_INTERRUPTS();
		if (!DatumGetBool(SPI_getbinval(t, td, 2, &isnull)) || isnull)
			bad_line(n, "%s", "it must have account, direction and amount");
		acct = SPI_getbinval(t, td, 7, &acct_null);
		if (acct_null)
			bad_line(n, "unknown ledger account \"%s\"", SPI_getvalue(t, td, 3));
		dir = SPI_getvalue(t, td, 4);
		if (dir == NULL || (strcmp(dir, "debit") != 0 && strcmp(dir, "credit") != 0))
			bad_line(n, "direction must be \"debit\" or \"credit\", not \"%s\"", dir ? dir : "null");
		amt = SPI_getbinval(t, td, 6, &amt_null);
		if (amt_null)
			bad_line(n, "amount \"%s\" is not a number", SPI_getvalue(t, td, 5));
		a = rr_numeric_to_minor(DatumGetNumeric(amt), exponent, "amount");
		if (a <= 0)
			bad_line(n, "%s", "amount must be positive");
		if (strcmp(dir, "debit") == 0)
			dr = rr_add_minor(dr, a);
		else
		{
			cr = rr_add_minor(cr, a);
			a = -a;
		}
		rr_entry_add(&e, day, DatumGetInt16(acct), a);
	}
	if (dr != cr)
		ereport(ERROR,
				(errcode(ERRCODE_RR_UNBALANCED),
				 errmsg("manual journal does not balance: debits %s, credits %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(dr, exponent)))),
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(cr, exponent)))))));

	/* the documents it names */
	if (invoice_id != NULL)
	{
		Oid			t1[1] = {TEXTOID};
		Datum		a1[1] = {CStringGetTextDatum(invoice_id)};

		if (SPI_execute_with_args("SELECT i.customer_id, i.invoice_number FROM revrec.invoice i WHERE i.invoice_id = $1",
								  1, t1, a1, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "revrec: reading the invoice failed");
		if (SPI_processed == 0)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT), errmsg("unknown invoice %s", invoice_id)));
		if (customer_id == NULL)
			customer_id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		invoice_number = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	}
	if (customer_id != NULL)
	{
		Oid			t1[1] = {TEXTOID};
		Datum		a1[1] = {CStringGetTextDatum(customer_id)};

		if (SPI_execute_with_args("SELECT 1 FROM revrec.customer c WHERE c.customer_id = $1", 1, t1, a1, NULL, true, 1)
			!= SPI_OK_SELECT || SPI_processed == 0)
			ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION), errmsg("unknown customer %s", customer_id)));
	}
	if (product_id != NULL)
	{
		Oid			t1[1] = {TEXTOID};
		Datum		a1[1] = {CStringGetTextDatum(product_id)};

		if (SPI_execute_with_args("SELECT 1 FROM revrec.product p WHERE p.product_id = $1", 1, t1, a1, NULL, true, 1)
			!= SPI_OK_SELECT || SPI_processed == 0)
			ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION), errmsg("unknown product %s", product_id)));
	}

	/* hold the settings row as the flush does: no journal slips under a lock */
	if (SPI_execute("SELECT 1 FROM revrec.settings FOR SHARE", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: locking the settings failed");
	/* a journal id needs no global counter: time of posting plus a random tag */
	if (SPI_execute("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISSUS')"
					" || '-' || substr(md5(random()::text), 1, 6),"
					" (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM revrec.posting_posting_id_seq)",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "revrec: naming the journal failed");
	jid = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	mark = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

	memset(&o, 0, sizeof(o));
	o.customer_id = customer_id ? customer_id : "";
	o.source = "standalone";
	o.source_id = jid;
	o.invoice_id = invoice_id;
	o.invoice_number = invoice_number;
	o.product_id = product_id;
	o.currency = currency;
	o.journal_type = "manual";
	o.reason = "manual";
	o.ref_id = text_arg(fcinfo, 7);
	o.narrative = text_arg(fcinfo, 1);
	o.nentries = e.n / 3;
	o.entries = e.v;
	o.sched_strategy = -1;
	sink = rr_sink_begin();
	rr_sink_put(sink, &o);
	rr_sink_flush(sink);
	{
		Oid			t2[2] = {INT8OID, TEXTOID};
		Datum		a2[2] = {Int64GetDatum(mark), CStringGetTextDatum("manual journal")};

		if (SPI_execute_with_args("SELECT revrec._log_postings($1, $2)", 2, t2, a2, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "revrec: logging the manual journal failed");
	}
	number = rr_journal_number("standalone", jid, product_id, day);
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = cstring_to_text(number);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
