/*
 * post_invoice.c — the journal engine for invoices.
 *
 * revrec._post_invoices(ids, strategy, floor, floor_to_accounting_date)
 * reads the invoices' lines in one ordered pass (a cursor, so a COPY of a
 * million lines is one batch that never sits in memory at once), nets each
 * group (performance obligation), allocates invoice-level discounts by
 * largest remainder, builds each group's recognition and writes one
 * revrec.posting row per group through the posting sink (post_emit.c),
 * all in one INSERT; it returns how many.
 *
 * For a group with net amount A, accounting date T and recognition r(d):
 * on T debit billed A, credit unbilled sum(r(d), d < T), credit deferred the
 * rest; on each day credit recognized r(d), debiting unbilled before T and
 * deferred from T on.  Straight-line groups store their schedule (amount,
 * period, strategy) and are expanded when read; other methods store their
 * few recognition dates as explicit entries.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "posting.h"
#include "post_emit.h"
#include "schedule.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* Most weights revrec._allocate takes: about 50 bytes of working memory each. */
#define RR_MAX_ALLOCATE_WEIGHTS 10000000

/* largest remainder first; ties to the earlier weight */
static int
rem_cmp(const void *x, const void *y, void *arg)
{
	const int128 *rem = arg;
	int			a = *(const int *) x,
				b = *(const int *) y;

	if (rem[a] != rem[b])
		return rem[a] > rem[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/*
 * Each weight gets floor(|total| * w / W); the units left (fewer than the
 * positive weights) go one each to the largest remainders, the earlier weight
 * first on ties.  Sorting the positive weights by (remainder desc, position)
 * gives exactly what picking the largest remaining remainder unit by unit
 * did, in O(n log n) instead of O(n^2).
 */
void
rr_allocate(int64 total, const int64 *weights, int n, int64 *shares)
{
	int128	W = 0;
	int64		mag;
	int64		given = 0;
	void	   *raw;
	int128   *rem;
	int		   *order;
	int			npos = 0;
	int			i;

	rr_check_minor(total);
	mag = total < 0 ? -total : total;
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (weights[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_RR_INVALID_ARGUMENT),
					 errmsg("cannot allocate over a negative weight (%lld)", (long long) weights[i])));
		W += weights[i];
	}
	if (W <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_DOCUMENT),
				 errmsg("cannot allocate %lld minor units over weights that sum to zero", (long long) total)));
	/* palloc only MAXALIGNs (8); 128-bit integers want 16-byte alignment */
	raw = palloc(sizeof(int128) * (Size) n + 16);
	rem = (int128 *) TYPEALIGN(16, raw);
	order = palloc(sizeof(int) * (Size) n);
	for (i = 0; i < n; i++)
	{
		int128	p = (int128) mag * weights[i];

		CHECK_FOR_INTERRUPTS();
		shares[i] = (int64) (p / W);
		rem[i] = p % W;
		given += shares[i];
		if (weights[i] > 0)
			order[npos++] = i;
	}
	/* the units left go to the largest remainders, earlier first on ties */
	if (given < mag)
	{
		int64		left = mag - given;

		/* sum(rem) = left * W and every rem < W: fewer units left than positive weights */
		Assert(left < npos);
		qsort_arg(order, npos, sizeof(int), rem_cmp, rem);
		for (i = 0; i < npos && left > 0; i++, left--)
			shares[order[i]]++;
	}
	if (total < 0)
		for (i = 0; i < n; i++)
			shares[i] = -shares[i];
	pfree(order);
	pfree(raw);
}

/* ---------- lines and groups ---------- */

typedef struct Line
{
	char	   *line_id;
	char	   *kind;
	char	   *group_key;
	char	   *product_id;
	char	   *method;
	char	   *schedule_line_id;
	int64		amount;
	bool		has_ssp;
	int64		ssp;
	bool		has_start,
				has_end,
				has_recognize_on;
	DateADT		start,
				end,
				recognize_on;
	int			nusage;
	DateADT    *udate;
	int64	   *uamount;
	int			nms;
	bool	   *ms_done;
	DateADT    *ms_date;
	int64	   *ms_amount;
	int64		bs_recognized;
	int			strategy;		/* the line's or its product's strategy code; -1: the setting */
} Line;

typedef struct Invoice
{
	char	   *invoice_id;
	char	   *invoice_number;
	char	   *customer_id;
	char	   *currency;
	int			exponent;
	DateADT		T;
	int			nlines;
	int			maxlines;
	Line	   *lines;
} Invoice;

typedef struct PostCtx
{
	RrPostingSink *sink;
	int			strategy;		/* settings.allocation_strategy (code) */
	bool		has_floor;
	DateADT		floor;
	bool		floor_to_accounting;
} PostCtx;

static char *
get_text(HeapTuple t, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(t, td, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
get_date(HeapTuple t, TupleDesc td, int col, DateADT *out)
{
	bool		isnull;
	Datum		d = SPI_getbinval(t, td, col, &isnull);

	if (!isnull)
		*out = DatumGetDateADT(d);
	return !isnull;
}

static int64
get_money(HeapTuple t, TupleDesc td, int col, int exponent, const char *what)
{
	bool		isnull;
	Datum		d = SPI_getbinval(t, td, col, &isnull);

	if (isnull)
		ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION), errmsg("%s must not be null", what)));
	return rr_numeric_to_minor(DatumGetNumeric(d), exponent, what);
}

static void
read_line(Invoice *inv, HeapTuple t, TupleDesc td)
{
	Line	   *l;
	bool		isnull;
	Datum		d;

	if (inv->nlines == inv->maxlines)
	{
		inv->maxlines = inv->maxlines ? inv->maxlines * 2 : 8;
		inv->lines = inv->lines ? repalloc(inv->lines, sizeof(Line) * inv->maxlines)
			: palloc(sizeof(Line) * inv->maxlines);
	}
	l = &inv->lines[inv->nlines++];
	memset(l, 0, sizeof(Line));
	l->line_id = get_text(t, td, 6);
	l->kind = get_text(t, td, 7);
	l->group_key = get_text(t, td, 8);
	l->product_id = get_text(t, td, 9);
	l->amount = get_money(t, td, 10, inv->exponent, "invoice_line.amount");
	l->has_start = get_date(t, td, 11, &l->start);
	l->has_end = get_date(t, td, 12, &l->end);
	l->method = get_text(t, td, 13);
	l->has_recognize_on = get_date(t, td, 14, &l->recognize_on);
	l->schedule_line_id = get_text(t, td, 15);
	d = SPI_getbinval(t, td, 16, &isnull);
	if (!isnull)
	{
		l->has_ssp = true;
		l->ssp = rr_numeric_to_minor(DatumGetNumeric(d), inv->exponent, "invoice_line.ssp");
	}
	/*
	 * usage rows: one {day number, amount} pair per row (one scan of the
	 * line's usage instead of one for the dates and one for the amounts; a
	 * date's day number counts from 2000-01-01, as DateADT does)
	 */
	d = SPI_getbinval(t, td, 17, &isnull);
	if (!isnull)
	{
		Datum	   *e;
		bool	   *en;
		int			n,
					i;

		deconstruct_array(DatumGetArrayTypeP(d), NUMERICOID, -1, false, TYPALIGN_INT, &e, &en, &n);
		if (n % 2 != 0)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
							errmsg("revrec: usage of line %s read as %d values, not pairs", l->line_id, n)));
		l->nusage = n / 2;
		l->udate = palloc(sizeof(DateADT) * Max(n / 2, 1));
		l->uamount = palloc(sizeof(int64) * Max(n / 2, 1));
		for (i = 0; i < n / 2; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (en[2 * i] || en[2 * i + 1])
				ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
								errmsg("usage of line %s has a null date or amount", l->line_id)));
			l->udate[i] = (DateADT) DatumGetInt32(DirectFunctionCall1(numeric_int4, e[2 * i]));
			l->uamount[i] = rr_numeric_to_minor(DatumGetNumeric(e[2 * i + 1]), inv->exponent, "usage.amount");
		}
	}
	/* milestones: amounts and completion dates (null when not completed) */
	d = SPI_getbinval(t, td, 18, &isnull);
	if (!isnull)
	{
		Datum	   *ae,
				   *de;
		bool	   *an,
				   *dn;
		int			n,
					n2,
					i;

		deconstruct_array(DatumGetArrayTypeP(d), NUMERICOID, -1, false, TYPALIGN_INT, &ae, &an, &n);
		d = SPI_getbinval(t, td, 19, &isnull);
		if (isnull)
			n2 = -1;
		else
			deconstruct_array(DatumGetArrayTypeP(d), DATEOID, 4, true, TYPALIGN_INT, &de, &dn, &n2);
		if (n2 != n)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
							errmsg("revrec: milestones of line %s read as %d amounts and %d dates",
								   l->line_id, n, n2)));
		l->nms = n;
		l->ms_amount = palloc(sizeof(int64) * n);
		l->ms_date = palloc(sizeof(DateADT) * n);
		l->ms_done = palloc(sizeof(bool) * n);
		for (i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (an[i])
				ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
								errmsg("a milestone of line %s has a null amount", l->line_id)));
			l->ms_amount[i] = rr_numeric_to_minor(DatumGetNumeric(ae[i]), inv->exponent, "milestone.amount");
			l->ms_done[i] = !dn[i];
			l->ms_date[i] = dn[i] ? 0 : DatumGetDateADT(de[i]);
		}
	}
	d = SPI_getbinval(t, td, 20, &isnull);
	l->bs_recognized = isnull ? 0 : DatumGetInt64(d);
	/* line overrides product overrides settings */
	d = SPI_getbinval(t, td, 21, &isnull);
	l->strategy = isnull ? -1 : rr_strategy_from_name(TextDatumGetCString(d), "allocation_strategy");
}

/* Put one posting of the invoice into the sink. */
static void
emit_posting(PostCtx *ctx, Invoice *inv, Line *primary, const char *group_key, const char *method,
			 RrEntries *e, bool sched, DateADT sstart, DateADT send, int64 samount, int strategy)
{
	RrPostingOut o;

	memset(&o, 0, sizeof(o));
	o.customer_id = inv->customer_id;
	o.source = "invoice";
	o.source_id = inv->invoice_id;
	o.invoice_id = inv->invoice_id;
	o.invoice_number = inv->invoice_number;
	o.line_id = group_key;
	o.product_id = primary->product_id;
	o.currency = inv->currency;
	o.method = method;
	o.reason = "issue";
	o.has_floor = ctx->has_floor;
	o.floor_date = ctx->floor;
	if (ctx->floor_to_accounting && (!o.has_floor || inv->T > o.floor_date))
	{
		o.floor_date = inv->T;
		o.has_floor = true;
	}
	o.nentries = e->n / 3;
	o.entries = e->v;
	o.sched_strategy = -1;
	if (sched)
	{
		o.has_sched = true;
		o.sched_start = sstart;
		o.sched_end = send;
		o.has_sched_amount = true;
		o.sched_amount = samount;
		o.sched_strategy = (int16) strategy;
		/* sched_months: computed from the strategy when read */
		o.has_split = true;
		o.sched_split = inv->T;
		o.sched_before = RR_ACCT_UNBILLED;
		o.sched_after = RR_ACCT_DEFERRED;
		o.sched_credit = RR_ACCT_RECOGNIZED;
	}
	rr_sink_put(ctx->sink, &o);
}

/* Post one group: lines[first .. last-1] share group_key. */
static void
post_group(PostCtx *ctx, Invoice *inv, int first, int last, int64 A)
{
	Line	   *primary = NULL;
	RrEntries	e = {0, 0, NULL};
	DateADT		T = inv->T;
	const char *method;
	int			i;

	for (i = first; i < last; i++)
		if (strcmp(inv->lines[i].line_id, inv->lines[i].group_key) == 0)
			primary = &inv->lines[i];
	for (i = first; i < last && primary == NULL; i++)
		if (strcmp(inv->lines[i].kind, "charge") == 0 || strcmp(inv->lines[i].kind, "minimum_true_up") == 0)
			primary = &inv->lines[i];
	if (primary == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_DOCUMENT),
				 errmsg("invoice %s: line %s names group %s, which has no charge line",
						inv->invoice_id, inv->lines[first].line_id, inv->lines[first].group_key),
				 errhint("A discount or credit_usage line must name (group_id) the charge line it reduces.")));

	method = strcmp(primary->kind, "minimum_true_up") == 0 ? "point_in_time" : primary->method;

	if (primary->schedule_line_id)
	{
		/* billing schedule: unbilled -> billed, true-up of the difference */
		rr_entry_add(&e, T, RR_ACCT_BILLED, A);
		rr_entry_add(&e, T, RR_ACCT_UNBILLED, -primary->bs_recognized);
		rr_entry_add(&e, T, RR_ACCT_RECOGNIZED, -(A - primary->bs_recognized));
		if (e.n > 0)
			emit_posting(ctx, inv, primary, primary->group_key, "billing_schedule", &e, false, 0, 0, 0, -1);
		return;
	}
	if (A == 0)
		return;					/* fully discounted: nothing moves */

	if (strcmp(method, "straight_line") == 0)
	{
		RrPosting	p;
		int64		U;
		int			strategy = primary->strategy >= 0 ? primary->strategy : ctx->strategy;

		if (!primary->has_start || !primary->has_end)
			ereport(ERROR,
					(errcode(ERRCODE_RR_INVALID_PERIOD),
					 errmsg("invoice %s line %s: straight_line recognition needs service_start and service_end",
							inv->invoice_id, primary->line_id)));
		rr_check_period(primary->start, primary->end);
		memset(&p, 0, sizeof(p));
		p.sfrom = DATEVAL_NOBEGIN;
		p.has_sched = true;
		p.sstart = primary->start;
		p.send = primary->end;
		p.nmonths = rr_month_count(p.sstart, p.send);
		p.smonths = palloc(sizeof(int64) * p.nmonths);
		p.strategy = strategy;
		rr_month_amounts(A, p.sstart, p.send, strategy, p.smonths);
		U = rr_sched_sum(&p, p.sstart, T - 1);
		rr_entry_add(&e, T, RR_ACCT_BILLED, A);
		rr_entry_add(&e, T, RR_ACCT_UNBILLED, -U);
		rr_entry_add(&e, T, RR_ACCT_DEFERRED, -(A - U));
		emit_posting(ctx, inv, primary, primary->group_key, method, &e, true, p.sstart, p.send, A, strategy);
		return;
	}
	else
	{
		int			maxn = 1,
					n = 0;
		DateADT    *d;
		int64	   *x;

		for (i = first; i < last; i++)
			maxn += inv->lines[i].nusage + inv->lines[i].nms;
		d = palloc(sizeof(DateADT) * maxn);
		x = palloc(sizeof(int64) * maxn);

		if (strcmp(method, "point_in_time") == 0)
		{
			d[0] = strcmp(primary->kind, "minimum_true_up") == 0
				? (primary->has_end ? primary->end : primary->has_recognize_on ? primary->recognize_on : T)
				: (primary->has_recognize_on ? primary->recognize_on : primary->has_start ? primary->start : T);
			x[0] = A;
			n = 1;
		}
		else if (strcmp(method, "usage") == 0)
		{
			int64		used = 0;

			if (!primary->has_end)
				ereport(ERROR,
						(errcode(ERRCODE_RR_INVALID_PERIOD),
						 errmsg("invoice %s line %s: usage recognition needs service_end",
								inv->invoice_id, primary->line_id),
						 errdetail("What usage does not cover is recognized on service_end.")));
			for (i = first; i < last; i++)
			{
				int			k;

				for (k = 0; k < inv->lines[i].nusage; k++)
				{
					CHECK_FOR_INTERRUPTS();
					d[n] = inv->lines[i].udate[k];
					x[n] = inv->lines[i].uamount[k];
					used = rr_add_minor(used, x[n]);
					n++;
				}
			}
			rr_check_usage_limit(inv->invoice_id, primary->group_key, used, A, inv->exponent);
			d[n] = primary->end;
			x[n] = A - used;
			n++;
		}
		else if (strcmp(method, "milestone") == 0)
		{
			int64		total = 0;

			for (i = first; i < last; i++)
			{
				int			k;

				for (k = 0; k < inv->lines[i].nms; k++)
				{
					CHECK_FOR_INTERRUPTS();
					total = rr_add_minor(total, inv->lines[i].ms_amount[k]);
					if (inv->lines[i].ms_done[k])
					{
						d[n] = inv->lines[i].ms_date[k];
						x[n] = inv->lines[i].ms_amount[k];
						n++;
					}
				}
			}
			if (total != A)
				ereport(ERROR,
						(errcode(ERRCODE_RR_INVALID_DOCUMENT),
						 errmsg("invoice %s group %s: milestones sum to %s but the group's net amount is %s",
								inv->invoice_id, primary->group_key,
								DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(total, inv->exponent)))),
								DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(A, inv->exponent))))),
						 errhint("Insert the line's milestones (revrec.milestone) before the invoice posts; their amounts must sum to the line net of discounts.")));
		}
		else
			elog(ERROR, "revrec: unknown recognition method %s", method);

		rr_recognition_entries(&e, T, A, n, d, x);
		emit_posting(ctx, inv, primary, primary->group_key, method, &e, false, 0, 0, 0, -1);
	}
}

static void
post_invoice(PostCtx *ctx, Invoice *inv)
{
	int			ngroups = 0;
	int		   *gstart = palloc(sizeof(int) * (inv->nlines + 1));
	int64	   *gnet = palloc0(sizeof(int64) * (inv->nlines + 1));
	int64	   *gweight = palloc0(sizeof(int64) * (inv->nlines + 1));
	bool	   *gssp = palloc0(sizeof(bool) * (inv->nlines + 1));
	int64	   *share = palloc0(sizeof(int64) * (inv->nlines + 1));
	int64		inv_discount = 0;
	int			i,
				g;
	bool		any_weight = false;

	/* lines arrive ordered by group key; invoice_discount lines are their own key */
	for (i = 0; i < inv->nlines; i++)
	{
		Line	   *l = &inv->lines[i];

		CHECK_FOR_INTERRUPTS();
		if (strcmp(l->kind, "invoice_discount") == 0)
		{
			inv_discount = rr_add_minor(inv_discount, l->amount);
			continue;
		}
		if (ngroups == 0 || strcmp(inv->lines[gstart[ngroups - 1]].group_key, l->group_key) != 0)
			gstart[ngroups++] = i;
		g = ngroups - 1;
		gnet[g] = rr_add_minor(gnet[g], l->amount);
		if (l->has_ssp)
		{
			gssp[g] = true;
			gweight[g] = rr_add_minor(gweight[g], l->ssp);
		}
	}
	gstart[ngroups] = inv->nlines;

	/* invoice-level discount: largest remainder over the groups' net amounts (or SSP) */
	if (inv_discount != 0)
	{
		for (g = 0; g < ngroups; g++)
		{
			if (!gssp[g])
				gweight[g] = Max(gnet[g], 0);
			if (gweight[g] > 0)
				any_weight = true;
		}
		if (!any_weight)
			ereport(ERROR,
					(errcode(ERRCODE_RR_INVALID_DOCUMENT),
					 errmsg("invoice %s has an invoice_discount but no charge to allocate it over",
							inv->invoice_id)));
		rr_allocate(inv_discount, gweight, ngroups, share);
		for (g = 0; g < ngroups; g++)
			gnet[g] = rr_add_minor(gnet[g], share[g]);
	}

	for (g = 0; g < ngroups; g++)
	{
		int			last = g + 1 < ngroups ? gstart[g + 1] : inv->nlines;

		CHECK_FOR_INTERRUPTS();
		/* skip trailing invoice_discount lines inside the range */
		while (last > gstart[g] && strcmp(inv->lines[last - 1].kind, "invoice_discount") == 0)
			last--;
		post_group(ctx, inv, gstart[g], last, gnet[g]);
	}
}

static const char *const line_query =
"SELECT i.invoice_id, i.invoice_number, i.customer_id, i.currency, i.accounting_date,"
"       l.line_id, l.kind,"
"       CASE WHEN l.kind IN ('invoice_discount', 'minimum_true_up') THEN l.line_id"
"            ELSE coalesce(l.group_id, l.line_id) END AS group_key,"
"       l.product_id, l.amount, l.service_start, l.service_end,"
"       coalesce(l.recognition_method, p.recognition_method, 'straight_line'),"
"       l.recognize_on, l.schedule_line_id, l.ssp,"
"       CASE WHEN coalesce(l.recognition_method, p.recognition_method) = 'usage' THEN"
"         (SELECT array_agg(ARRAY[(x.usage_date - date '2000-01-01')::numeric, x.amount] ORDER BY x.usage_date, x.usage_id)"
"            FROM revrec.usage x WHERE x.customer_id = l.customer_id AND x.line_id = l.line_id) END,"
"       CASE WHEN coalesce(l.recognition_method, p.recognition_method) = 'milestone' THEN"
"         (SELECT array_agg(x.amount ORDER BY x.milestone_id) FROM revrec.milestone x WHERE x.customer_id = l.customer_id AND x.line_id = l.line_id) END,"
"       CASE WHEN coalesce(l.recognition_method, p.recognition_method) = 'milestone' THEN"
"         (SELECT array_agg(x.completed_on ORDER BY x.milestone_id) FROM revrec.milestone x WHERE x.customer_id = l.customer_id AND x.line_id = l.line_id) END,"
"       CASE WHEN l.schedule_line_id IS NOT NULL THEN"
"         (SELECT sum(revrec._posting_sum(ROW(ps.*)::revrec.posting, coalesce(l.service_start, '-infinity'),"
"                                         coalesce(l.service_end, 'infinity')))::bigint"
"            FROM revrec.posting ps"
"           WHERE ps.customer_id = i.customer_id AND ps.source = 'billing_schedule'"
"             AND ps.source_id = l.schedule_line_id AND ps.reason = 'issue')"
"       END,"
"       %s"
"  FROM revrec.invoice i"
"  JOIN revrec.invoice_line l ON l.customer_id = i.customer_id AND l.invoice_id = i.invoice_id"
"  LEFT JOIN revrec.product p ON p.product_id = l.product_id"
" WHERE i.invoice_id = ANY($1)"
" ORDER BY i.invoice_id, group_key, l.line_id";

/*
 * revrec._post_invoices(ids text[], strategy text, floor_date date,
 *                       floor_to_accounting_date boolean) returns bigint:
 * posts the invoices (one INSERT of all their postings); the count posted
 */
PG_FUNCTION_INFO_V1(revrec_post_invoices);
Datum
revrec_post_invoices(PG_FUNCTION_ARGS)
{
	PostCtx		ctx;
	Portal		portal;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	SPIPlanPtr	plan;
	MemoryContext invcxt;
	MemoryContext oldcxt;
	Invoice		inv;
	bool		have = false;
	uint64		posted;
	int64		ninvoices = 0;

	if (PG_ARGISNULL(0))
	{
		/* no invoices: nothing to post */
		if (fcinfo->resultinfo && IsA(fcinfo->resultinfo, ReturnSetInfo))
		{
			InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
			return (Datum) 0;
		}
		PG_RETURN_INT64(0);
	}
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_RR_UNKNOWN_STRATEGY),
				 errmsg("argument \"allocation_strategy\" must not be null"),
				 errhint("Use one of the strategies of revrec.schedule (README, Allocation strategies).")));
	ctx.strategy = rr_strategy_from_name(text_to_cstring(PG_GETARG_TEXT_PP(1)), "allocation_strategy");
	ctx.has_floor = !PG_ARGISNULL(2);
	ctx.floor = ctx.has_floor ? PG_GETARG_DATEADT(2) : 0;
	if (ctx.has_floor && !RR_DATE_FINITE(ctx.floor))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_ARGUMENT),
				 errmsg("argument \"floor_date\" must be a finite date")));
	ctx.floor_to_accounting = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	args[0] = PG_GETARG_DATUM(0);

	invcxt = AllocSetContextCreate(CurrentMemoryContext, "revrec invoice", ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	ctx.sink = rr_sink_begin();
	plan = SPI_prepare(psprintf(line_query, rr_has_strategy_columns()
								? "coalesce(l.allocation_strategy, p.allocation_strategy)" : "NULL::text"),
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "revrec: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	memset(&inv, 0, sizeof(inv));
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, 5000);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			TupleDesc	td = SPI_tuptable->tupdesc;
			char	   *id;

			CHECK_FOR_INTERRUPTS();
			oldcxt = MemoryContextSwitchTo(invcxt);
			id = get_text(t, td, 1);
			if (!have || strcmp(id, inv.invoice_id) != 0)
			{
				if (have)
				{
					post_invoice(&ctx, &inv);
					MemoryContextReset(invcxt);
					id = get_text(t, td, 1);
				}
				memset(&inv, 0, sizeof(inv));
				ninvoices++;
				inv.invoice_id = id;
				inv.invoice_number = get_text(t, td, 2);
				inv.customer_id = get_text(t, td, 3);
				inv.currency = get_text(t, td, 4);
				inv.exponent = rr_currency_exponent(inv.currency, "invoice.currency");
				get_date(t, td, 5, &inv.T);
				have = true;
			}
			read_line(&inv, t, td);
			MemoryContextSwitchTo(oldcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	if (have)
	{
		oldcxt = MemoryContextSwitchTo(invcxt);
		post_invoice(&ctx, &inv);
		MemoryContextSwitchTo(oldcxt);
	}
	SPI_cursor_close(portal);

	/*
	 * An issued invoice posts whole: one without any line at commit is an
	 * error (an autocommit sync inserting the invoice, then its lines one
	 * statement at a time, would post the first line alone).  The cursor
	 * met every invoice that has lines; look for the others only if some
	 * are missing.
	 */
	if (ninvoices < ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(args[0])), ARR_DIMS(DatumGetArrayTypeP(args[0]))))
	{
		if (SPI_execute_with_args("SELECT x.id FROM unnest($1) AS x(id)"
								  " WHERE NOT EXISTS (SELECT 1 FROM revrec.invoice_line l WHERE l.invoice_id = x.id)"
								  " ORDER BY x.id LIMIT 1", 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "revrec: looking for invoices without lines failed");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_RR_INVALID_DOCUMENT),
					 errmsg("invoice %s is issued without any line",
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
					 errhint("Write an invoice and its lines in one transaction, or insert it as 'draft' and issue it "
							 "(UPDATE revrec.invoice SET status = 'issued') once its lines are in.")));
	}
	posted = rr_sink_flush(ctx.sink);
	SPI_finish();
	MemoryContextDelete(invcxt);
	/*
	 * Declared by revrec 0.1/0.2 as a set-returning function whose rows the
	 * caller inserted: the postings are in already, so return no rows (a
	 * database not yet updated keeps posting correctly with this library).
	 */
	if (fcinfo->resultinfo && IsA(fcinfo->resultinfo, ReturnSetInfo))
	{
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
	PG_RETURN_INT64((int64) posted);
}

/* revrec._allocate(total bigint, weights bigint[]) returns bigint[]: largest remainder */
PG_FUNCTION_INFO_V1(revrec_allocate);
Datum
revrec_allocate(PG_FUNCTION_ARGS)
{
	int64		total;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	int64	   *w;
	int64	   *shares;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	total = PG_GETARG_INT64(0);
	arr = PG_GETARG_ARRAYTYPE_P(1);
	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (n > RR_MAX_ALLOCATE_WEIGHTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot allocate over %d weights", n),
				 errdetail("revrec._allocate takes at most %d weights.", RR_MAX_ALLOCATE_WEIGHTS)));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	w = palloc(sizeof(int64) * Max(n, 1));
	shares = palloc0(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		w[i] = nulls[i] ? 0 : DatumGetInt64(elems[i]);
		if (w[i] < 0)
			w[i] = 0;
	}
	if (rr_check_minor(total) != 0)
		rr_allocate(total, w, n, shares);
	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(shares[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * revrec._schedule_sum(amount bigint, service_start date, service_end date,
 *                      strategy smallint, from_date date, to_date date) returns bigint
 * What the schedule of amount over the period recognizes over [from, to].
 */
PG_FUNCTION_INFO_V1(revrec_schedule_sum);
Datum
revrec_schedule_sum(PG_FUNCTION_ARGS)
{
	RrPosting	p;
	int16		strategy;
	int			i;

	for (i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	memset(&p, 0, sizeof(p));
	p.sfrom = DATEVAL_NOBEGIN;
	p.has_sched = true;
	p.sstart = PG_GETARG_DATEADT(1);
	p.send = PG_GETARG_DATEADT(2);
	rr_check_period(p.sstart, p.send);
	strategy = PG_GETARG_INT16(3);
	if (!rr_strategy_code_valid(strategy))
		ereport(ERROR,
				(errcode(ERRCODE_RR_UNKNOWN_STRATEGY),
				 errmsg("unknown allocation strategy code %d", strategy),
				 errhint("%s", rr_strategy_codes_hint())));
	p.strategy = strategy;
	p.nmonths = rr_month_count(p.sstart, p.send);
	p.smonths = palloc(sizeof(int64) * p.nmonths);
	rr_month_amounts(rr_check_minor(PG_GETARG_INT64(0)), p.sstart, p.send, strategy, p.smonths);
	PG_RETURN_INT64(rr_sched_sum(&p, PG_GETARG_DATEADT(4), PG_GETARG_DATEADT(5)));
}
