/*
 * deferred.c — revrec.deferred_revenue: one row per schedule with
 * invoiced, recognized, balance, remaining, current / non-current and aging.
 *
 * One pass over the postings, customer by customer, grouping in C: see
 * revrec_deferred_revenue below for why.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "reports.h"
#include "keyhash.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/varlena.h"

/* ---------- revrec._deferred_revenue: one row per schedule ---------- */

/*
 * A schedule (performance obligation) is keyed by customer, document source
 * ('invoice' for an invoice's lines and their credit notes), document id,
 * line and currency.  The key is one byte string: per field a flag byte
 * ('N' null, 'V' value), the value and a NUL (text never contains NUL), so
 * the fields can be read back from it as C strings.
 */
#define DR_NKEY 5

typedef struct DrGroup
{
	RrKey		key;			/* hash key: must be first */
	const char *field[DR_NKEY]; /* customer, source, source_id, line_id, currency */
	char	   *product_id;		/* min(product_id) */
	char	   *method;			/* min(method) of the issue postings */
	DateADT		since;			/* min(first_date) */
	bool		has_sstart,
				has_send;
	DateADT		sstart,			/* min(sched_start) of the issue postings */
				send;			/* max(sched_end) of the issue postings */
	int64		billed,
				deferred,
				recognized,
				near,
				undated;		/* deferred once every entry has run: no date yet */
} DrGroup;

typedef struct DrLine
{
	RrKey		key;			/* line_id */
	bool		null_start,
				null_end;
	DateADT		start,
				end;
} DrLine;


/* A schedule without a spread of its own (usage, point in time, milestones) takes its line's period. */
static bool
dr_needs_line_period(const DrGroup *g)
{
	return !g->has_sstart && g->field[3] != NULL && strcmp(g->field[1], "invoice") == 0;
}

static void
key_append_bytes(StringInfo buf, const char *s, int len)
{
	appendStringInfoChar(buf, 'V');
	appendBinaryStringInfo(buf, s, len);
	appendStringInfoChar(buf, '\0');
}

static void
key_append(StringInfo buf, Datum v, bool isnull)
{
	text	   *t;

	if (isnull)
	{
		appendStringInfoChar(buf, 'N');
		appendStringInfoChar(buf, '\0');
		return;
	}
	t = DatumGetTextPP(v);
	key_append_bytes(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* min() of text by the database's collation, as SQL's min(text) would. */
static void
text_min(char **cur, Datum v, bool isnull, MemoryContext cxt)
{
	char	   *s;

	if (isnull)
		return;
	s = TextDatumGetCString(v);
	if (*cur == NULL ||
		(strcmp(s, *cur) != 0 &&
		 varstr_cmp(s, strlen(s), *cur, strlen(*cur), DEFAULT_COLLATION_OID) < 0))
		*cur = MemoryContextStrdup(cxt, s);
}

static DateADT
one_year_later(DateADT d)
{
	int			y,
				m,
				day;

	if (DATE_NOT_FINITE(d))
		return d;
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	y++;
	/* a year after PostgreSQL's last date (5874897 AD): no date, the horizon is open */
	if (y >= JULIAN_MAXYEAR)
		return DATEVAL_NOEND;
	if (m == 2 && day == 29 && !isleap(y))
		day = 28;				/* as date + interval '1 year' does */
	return date2j(y, m, day) - POSTGRES_EPOCH_JDATE;
}

static const char *
age_bucket(DateADT as_of, DateADT since)
{
	int64		days;

	if (DATE_NOT_FINITE(as_of) || DATE_NOT_FINITE(since))
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						errmsg("cannot subtract infinite dates")));
	days = (int64) as_of - since;
	return days <= 30 ? "0-30" : days <= 90 ? "31-90" : days <= 180 ? "91-180" :
		days <= 365 ? "181-365" : "over 365";
}

/* Ordered by customer: schedules are grouped one customer at a time. */
static const char *const dr_query =
"SELECT p.* FROM revrec.posting p"
" WHERE p.first_date OPERATOR(pg_catalog.<=) $1"
"   AND ($2::text IS NULL OR p.currency OPERATOR(pg_catalog.=) $2)"
"   AND ($3::text IS NULL OR p.customer_id OPERATOR(pg_catalog.=) $3)"
"   AND ($4::text IS NULL OR p.product_id OPERATOR(pg_catalog.=) $4)"
" ORDER BY p.customer_id";

/* Collation order with NULLs last, as ORDER BY sorts text. */
static int
text_order(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	if (strcmp(a, b) == 0)
		return 0;
	return varstr_cmp(a, strlen(a), b, strlen(b), DEFAULT_COLLATION_OID);
}

/* Within a customer: by product, source document, line (the report's order). */
static int
dr_group_order(const void *x, const void *y)
{
	const DrGroup *a = *(DrGroup *const *) x;
	const DrGroup *b = *(DrGroup *const *) y;
	int			c;

	if ((c = text_order(a->product_id, b->product_id)) != 0)
		return c;
	if ((c = text_order(a->field[2], b->field[2])) != 0)
		return c;
	return text_order(a->field[3], b->field[3]);
}

typedef struct DrList
{
	DrGroup   **g;
	int64		n;
	int64		max;
} DrList;

static void
dr_list_add(DrList *l, DrGroup *g, MemoryContext cxt)
{
	if (l->n == l->max)
	{
		l->max = l->max ? 2 * l->max : 1024;
		if (l->g == NULL)
			l->g = MemoryContextAllocHuge(cxt, sizeof(DrGroup *) * l->max);
		else
			l->g = repalloc_huge(l->g, sizeof(DrGroup *) * l->max);
	}
	l->g[l->n++] = g;
}

/*
 * One customer's schedules are complete: keep them (copied out of the
 * customer's hash table) in report order.
 */
static void
dr_finish_customer(HTAB *h, DrList *out, MemoryContext cxt)
{
	HASH_SEQ_STATUS seq;
	DrGroup    *e;
	int64		from = out->n;

	hash_seq_init(&seq, h);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		DrGroup    *g;

		if (e->billed == 0 && e->recognized == 0 && e->deferred == 0)
			continue;
		g = MemoryContextAlloc(cxt, sizeof(DrGroup));
		memcpy(g, e, sizeof(DrGroup));
		dr_list_add(out, g, cxt);
	}
	if (out->n - from > 1)
		qsort(out->g + from, out->n - from, sizeof(DrGroup *), dr_group_order);
}

/* The service period of lines whose postings carry no schedule (usage, point in time, milestones). */
static HTAB *
dr_line_periods(const DrList *groups, MemoryContext cxt)
{
	ArrayBuildState *ids = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	HTAB	   *lines = rr_key_table("revrec deferred lines", sizeof(DrLine), cxt);
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	bool		any = false;
	int64		i;
	uint64		r;

	for (i = 0; i < groups->n; i++)
	{
		DrGroup    *g = groups->g[i];

		if (dr_needs_line_period(g))
		{
			accumArrayResult(ids, CStringGetTextDatum(g->field[3]), false, TEXTOID, CurrentMemoryContext);
			any = true;
		}
	}
	if (!any)
		return lines;
	args[0] = makeArrayResult(ids, CurrentMemoryContext);
	if (SPI_execute_with_args("SELECT l.line_id, l.service_start, l.service_end"
							  "  FROM revrec.invoice_line l"
							  " WHERE l.line_id OPERATOR(pg_catalog.=) ANY ($1)",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading service periods failed");
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		char	   *id = SPI_getvalue(t, td, 1);
		bool		found;
		DrLine	   *l = rr_key_enter(lines, id, strlen(id) + 1, cxt, &found);

		l->start = DatumGetDateADT(SPI_getbinval(t, td, 2, &l->null_start));
		l->end = DatumGetDateADT(SPI_getbinval(t, td, 3, &l->null_end));
	}
	return lines;
}

/*
 * The current portion of what g still holds in deferred revenue (what is
 * recognized within 12 months of as_of, up to the horizon):
 *   - the dated part (remaining less the undated amount) is current as far
 *     as the schedule recognizes it by the horizon;
 *   - an undated amount (billed, no entry recognizes it yet: a milestone not
 *     completed) is expected by the end of the service period: current when
 *     the period ends by the horizon (or has ended already), non-current when
 *     it ends later or the schedule has no end date.
 * A negative remaining (more recognized than billed) is all current, as
 * before.  With remaining >= 0 the result is within [0, remaining].
 */
static int64
dr_current(const DrGroup *g, int64 remaining, bool has_end, DateADT end, DateADT horizon)
{
	int64		dated,
				cur = 0;

	if (remaining <= 0)
		return remaining;
	dated = rr_add_minor(remaining, -g->undated);
	if (dated > 0)
		cur = Min(dated, Max(g->near, 0));
	if (g->undated > 0 && has_end && end <= horizon)
		cur = rr_add_minor(cur, g->undated);
	return Min(cur, remaining);
}

/* One report row of schedule g. */
static void
dr_emit(ReturnSetInfo *rsinfo, const DrGroup *g, HTAB *lines, DateADT as_of, DateADT horizon, int exponent)
{
	Datum		values[17];
	bool		nulls[17];
	int64		remaining,
				cur;
	DrLine	   *l = NULL;
	int			i;

	memset(nulls, 0, sizeof(nulls));
	remaining = -rr_check_minor(g->deferred);
	if (dr_needs_line_period(g))
	{
		RrKey		k;
		bool		found;

		k.data = (char *) g->field[3];
		k.len = strlen(g->field[3]) + 1;
		l = (DrLine *) hash_search(lines, &k, HASH_FIND, &found);
	}

	/* customer '' is the ledger's "no customer" (manual journals) */
	nulls[0] = g->field[0] == NULL || g->field[0][0] == '\0';
	values[0] = nulls[0] ? (Datum) 0 : CStringGetTextDatum(g->field[0]);
	nulls[1] = g->product_id == NULL;
	values[1] = nulls[1] ? (Datum) 0 : CStringGetTextDatum(g->product_id);
	for (i = 1; i <= 3; i++)
	{
		nulls[i + 1] = g->field[i] == NULL;
		values[i + 1] = nulls[i + 1] ? (Datum) 0 : CStringGetTextDatum(g->field[i]);
	}
	nulls[5] = g->method == NULL;
	values[5] = nulls[5] ? (Datum) 0 : CStringGetTextDatum(g->method);
	/* the period is on the schedule's own issue posting, else on its line */
	if (g->has_sstart)
	{
		values[6] = DateADTGetDatum(g->sstart);
		nulls[7] = !g->has_send;
		values[7] = DateADTGetDatum(g->send);
	}
	else
	{
		nulls[6] = l == NULL || l->null_start;
		values[6] = nulls[6] ? (Datum) 0 : DateADTGetDatum(l->start);
		nulls[7] = l == NULL || l->null_end;
		values[7] = nulls[7] ? (Datum) 0 : DateADTGetDatum(l->end);
	}
	/* current: what the next 12 months recognize, at most what is deferred */
	cur = dr_current(g, remaining, !nulls[7], nulls[7] ? 0 : DatumGetDateADT(values[7]), horizon);
	values[8] = NumericGetDatum(rr_minor_to_numeric(g->billed, exponent));
	values[9] = NumericGetDatum(rr_minor_to_numeric(-rr_check_minor(g->recognized), exponent));
	values[10] = NumericGetDatum(rr_minor_to_numeric(rr_add_minor(g->billed, g->recognized), exponent));
	values[11] = NumericGetDatum(rr_minor_to_numeric(remaining, exponent));
	values[12] = NumericGetDatum(rr_minor_to_numeric(cur, exponent));
	values[13] = NumericGetDatum(rr_minor_to_numeric(rr_add_minor(remaining, -cur), exponent));
	values[14] = CStringGetTextDatum(age_bucket(as_of, g->since));
	values[15] = CStringGetTextDatum(g->field[4]);
	values[16] = DateADTGetDatum(g->since);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * revrec._deferred_revenue(as_of date, currency text, customer_id text, product_id text)
 *   returns setof revrec.deferred_revenue_row
 *
 * One pass over the postings dated up to as_of, customer by customer: each
 * posting is summarized from its month amounts (never its days) and added
 * into its schedule's totals in a small per-customer hash table; a finished
 * customer's schedules are sorted by product, source document and line.
 * Rows come out in the report's order (customer, product, source_id,
 * line_id, NULLs last, the database's collation), so revrec.deferred_revenue
 * does not sort them again.  Grouping here rather than in SQL saves forming
 * a whole-row value per posting and sorting a million postings by five text
 * keys.  Memory: one small struct per schedule reported.
 */
PG_FUNCTION_INFO_V1(revrec_deferred_revenue);
Datum
revrec_deferred_revenue(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DateADT		as_of,
				horizon;
	MemoryContext gcxt,
				custcxt,
				rowcxt,
				oldcxt;
	HTAB	   *groups = NULL,
			   *lines;
	Oid			argtypes[4] = {DATEOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[4];
	char		argnulls[4];
	Portal		portal;
	StringInfoData key;
	StringInfoData customer;	/* the customer being grouped */
	RrPostingCols cols;
	int			c_customer = 0,
				c_source = 0,
				c_invoice = 0,
				c_line = 0,
				c_method = 0,
				c_reason = 0,
				c_first = 0;
	Datum	   *v = NULL;
	bool	   *n = NULL;
	bool		have_cols = false;
	DrList		out = {NULL, 0, 0};
	DrList		nocustomer = {NULL, 0, 0};
	char		cur_code[8] = "";
	int			cur_exp = 0;
	int64		i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0))
		return (Datum) 0;		/* first_date <= NULL holds for no posting */
	as_of = PG_GETARG_DATEADT(0);
	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_PERIOD),
				 errmsg("as_of must be a date, not %s", DATE_IS_NOBEGIN(as_of) ? "-infinity" : "infinity"),
				 errhint("The deferred revenue report is as of a day.")));
	horizon = one_year_later(as_of);
	for (i = 0; i < 4; i++)
	{
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		argnulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}

	gcxt = AllocSetContextCreate(CurrentMemoryContext, "revrec deferred groups", ALLOCSET_DEFAULT_SIZES);
	custcxt = AllocSetContextCreate(CurrentMemoryContext, "revrec deferred customer", ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "revrec deferred row", ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&key);
	initStringInfo(&customer);

	SPI_connect();
	portal = SPI_cursor_open_with_args(NULL, dr_query, 4, argtypes, args, argnulls, true, 0);
	for (;;)
	{
		uint64		r;
		TupleDesc	td;

		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		td = SPI_tuptable->tupdesc;
		if (!have_cols)
		{
			MemoryContext c = MemoryContextSwitchTo(gcxt);

			rr_posting_cols(td, &cols);
			c_customer = SPI_fnumber(td, "customer_id") - 1;
			c_source = SPI_fnumber(td, "source") - 1;
			c_invoice = SPI_fnumber(td, "invoice_id") - 1;
			c_line = SPI_fnumber(td, "line_id") - 1;
			c_method = SPI_fnumber(td, "method") - 1;
			c_reason = SPI_fnumber(td, "reason") - 1;
			c_first = SPI_fnumber(td, "first_date") - 1;
			v = palloc(sizeof(Datum) * td->natts);
			n = palloc(sizeof(bool) * td->natts);
			MemoryContextSwitchTo(c);
			have_cols = true;
		}
		for (r = 0; r < SPI_processed; r++)
		{
			RrPosting	p;
			Summary		s;
			DrGroup    *g;
			bool		found;
			bool		issue;
			bool		inv;
			DateADT		first;
			text	   *cust;

			CHECK_FOR_INTERRUPTS();
			oldcxt = MemoryContextSwitchTo(rowcxt);
			heap_deform_tuple(SPI_tuptable->vals[r], td, v, n);
			inv = !n[c_invoice];

			/* a new customer: the previous one's schedules are complete */
			cust = DatumGetTextPP(v[c_customer]);
			if (groups == NULL || VARSIZE_ANY_EXHDR(cust) != customer.len ||
				memcmp(VARDATA_ANY(cust), customer.data, customer.len) != 0)
			{
				if (groups != NULL)
				{
					dr_finish_customer(groups, customer.len == 0 ? &nocustomer : &out, gcxt);
					MemoryContextReset(custcxt);
				}
				resetStringInfo(&customer);
				appendBinaryStringInfo(&customer, VARDATA_ANY(cust), VARSIZE_ANY_EXHDR(cust));
				groups = rr_key_table("revrec deferred customer", sizeof(DrGroup), custcxt);
			}

			resetStringInfo(&key);
			key_append(&key, v[c_customer], n[c_customer]);
			if (inv)
				key_append_bytes(&key, "invoice", 7);
			else
				key_append(&key, v[c_source], n[c_source]);
			key_append(&key, inv ? v[c_invoice] : v[cols.source_id], inv ? false : n[cols.source_id]);
			key_append(&key, v[c_line], n[c_line]);
			key_append(&key, v[cols.currency], n[cols.currency]);
			/* key bytes in gcxt: the rows kept point into them */
			g = (DrGroup *) rr_key_enter(groups, key.data, key.len, gcxt, &found);
			if (!found)
			{
				int			pos = 0;
				int			f;

				for (f = 0; f < DR_NKEY; f++)
				{
					g->field[f] = g->key.data[pos] == 'N' ? NULL : g->key.data + pos + 1;
					pos += 1 + (int) strlen(g->key.data + pos + 1) + 1;
				}
				g->product_id = g->method = NULL;
				g->has_sstart = g->has_send = false;
				g->since = DATEVAL_NOEND;
				g->billed = g->deferred = g->recognized = g->near = g->undated = 0;
			}

			{
				text	   *reason = DatumGetTextPP(v[c_reason]);

				issue = VARSIZE_ANY_EXHDR(reason) == 5 && memcmp(VARDATA_ANY(reason), "issue", 5) == 0;
			}
			text_min(&g->product_id, v[cols.product_id], n[cols.product_id], gcxt);
			first = DatumGetDateADT(v[c_first]);
			if (first < g->since)
				g->since = first;
			if (issue)
			{
				text_min(&g->method, v[c_method], n[c_method], gcxt);
				if (!n[cols.sched_start] &&
					(!g->has_sstart || DatumGetDateADT(v[cols.sched_start]) < g->sstart))
				{
					g->sstart = DatumGetDateADT(v[cols.sched_start]);
					g->has_sstart = true;
				}
				if (!n[cols.sched_end] &&
					(!g->has_send || DatumGetDateADT(v[cols.sched_end]) > g->send))
				{
					g->send = DatumGetDateADT(v[cols.sched_end]);
					g->has_send = true;
				}
			}

			rr_posting_from_values(v, n, &cols, RR_POSTING_STORED, &p);
			rr_summarize(&p, as_of, horizon, &s);
			g->billed = rr_add_minor(g->billed, s.acct[RR_ACCT_BILLED]);
			g->deferred = rr_add_minor(g->deferred, s.acct[RR_ACCT_DEFERRED]);
			g->recognized = rr_add_minor(g->recognized, s.acct[RR_ACCT_RECOGNIZED]);
			g->near = rr_add_minor(g->near, s.near);
			g->undated = rr_add_minor(g->undated, s.undated);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	if (groups != NULL)
		dr_finish_customer(groups, customer.len == 0 ? &nocustomer : &out, gcxt);
	MemoryContextDelete(custcxt);
	/* no customer (NULL in the report) sorts last */
	for (i = 0; i < nocustomer.n; i++)
		dr_list_add(&out, nocustomer.g[i], gcxt);

	lines = dr_line_periods(&out, gcxt);
	SPI_finish();

	for (i = 0; i < out.n; i++)
	{
		const DrGroup *g = out.g[i];

		CHECK_FOR_INTERRUPTS();
		oldcxt = MemoryContextSwitchTo(rowcxt);
		if (strcmp(cur_code, g->field[4]) != 0)
		{
			cur_exp = rr_currency_exponent(g->field[4], "currency");
			strlcpy(cur_code, g->field[4], sizeof(cur_code));
		}
		dr_emit(rsinfo, g, lines, as_of, horizon, cur_exp);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	MemoryContextDelete(gcxt);
	return (Datum) 0;
}
