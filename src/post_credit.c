/*
 * post_credit.c — credit notes: cancel and adjust modes,
 * standalone credits.
 *
 * revrec._post_credit_notes(ids text[], mode text, floor date,
 * floor_to_accounting_date boolean) posts the issued credit notes of ids not
 * posted yet, in credit-date order, line by line; each line's postings are
 * written before the next line is read, so several credits of one group
 * (in one credit note or several) each see the ones before.
 *
 * A credit of X against a group, dated C:
 *  - cancel: on C credit billed X, debit deferred up to the group's deferred
 *    balance at the start of C (and what is left to recognize), recognized
 *    with any excess; the remaining recognition (days >= C) is reduced by
 *    what left deferred, in proportion to the remaining month amounts
 *    (straight line: a negative schedule from C; other methods: per day).
 *    What is left to recognize includes what has no date yet: the group's
 *    deferred balance over all time (a milestone group's open milestones),
 *    which the credit reduces by its share without an entry; completing them
 *    later recognizes what is left of it (post_milestone.c).
 *  - adjust: the group is re-priced to (billed - X) over its whole period:
 *    on C credit billed X, debit recognized the catch-up (recognized so far
 *    less what the new price would have recognized) and deferred the rest;
 *    the live schedules stop at C (adjust_reversal postings) and the new
 *    price takes over from C.  Other methods: the new price over the same
 *    recognition days and the undated rest (open milestones) in proportion.
 *  - standalone (no line): debit recognized, credit billed on C.
 * Balances read the group's postings at their original dates (unfloored):
 * a credit dated before the floor its invoice was caught up on must see
 * what was earned by then; the credit note's own postings are floored by
 * its own floor.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "post_emit.h"
#include "posting.h"
#include "schedule.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"

typedef struct CreditCtx
{
	bool		adjust;
	bool		has_floor;
	DateADT		floor;
	bool		floor_to_accounting;
	RrPostingSink *sink;
} CreditCtx;

/* The group's postings, unfloored, and the issue posting's row. */
typedef struct CreditGroup
{
	int			n;
	RrPosting  *p;
	RrPostingOut *out;			/* the same rows as stored (for re-pricing) */
	int64	   *posting_id;
	char	  **reason;
	int			issue;			/* index of the issue posting */
} CreditGroup;

static char *
value(HeapTuple t, TupleDesc td, const char *col)
{
	return SPI_getvalue(t, td, SPI_fnumber(td, col));
}

static void
load_group(CreditGroup *g, const char *customer, const char *invoice, const char *grp)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		args[3] = {CStringGetTextDatum(customer), CStringGetTextDatum(invoice), CStringGetTextDatum(grp)};
	RrPostingCols cols;
	uint64		i;

	if (SPI_execute_with_args("SELECT p.* FROM revrec.posting p"
							  " WHERE p.customer_id = $1 AND p.invoice_id = $2 AND p.line_id = $3"
							  "   AND ((p.source = 'invoice' AND p.source_id = $2) OR p.source = 'credit_note')"
							  " ORDER BY p.posting_id", 3, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading the credited group's postings failed");
	g->n = (int) SPI_processed;
	g->p = palloc0(sizeof(RrPosting) * Max(g->n, 1));
	g->out = palloc0(sizeof(RrPostingOut) * Max(g->n, 1));
	g->posting_id = palloc0(sizeof(int64) * Max(g->n, 1));
	g->reason = palloc0(sizeof(char *) * Max(g->n, 1));
	g->issue = -1;
	if (g->n == 0)
		return;
	rr_posting_cols(SPI_tuptable->tupdesc, &cols);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		Datum	   *v = palloc(sizeof(Datum) * td->natts);
		bool	   *nl = palloc(sizeof(bool) * td->natts);

		heap_deform_tuple(t, td, v, nl);
		rr_posting_from_values(v, nl, &cols, RR_POSTING_STORED, &g->p[i]);
		g->p[i].has_floor = false;	/* at their original dates */
		rr_posting_out_from_row(t, td, &g->out[i], &g->posting_id[i]);
		g->reason[i] = value(t, td, "reason");
		if (g->issue < 0 && strcmp(g->reason[i], "issue") == 0 && strcmp(g->out[i].source, "invoice") == 0)
			g->issue = (int) i;
	}
}

/* Signed (debit > 0) sum of one account over the group's entries dated in [from, to]. */
typedef struct SumArg
{
	int16		account;
	int64		sum;
} SumArg;

static void
sum_fn(void *arg, const RrEntry *e)
{
	SumArg	   *s = (SumArg *) arg;

	if (e->account == s->account)
		s->sum = rr_add_minor(s->sum, e->amount);
}

static int64
group_balance(const CreditGroup *g, int16 account, DateADT from, DateADT to)
{
	SumArg		s = {account, 0};
	int			i;

	for (i = 0; i < g->n; i++)
		rr_posting_expand(&g->p[i], from, to, true, sum_fn, &s);
	return s.sum;
}

/* Recognized (credit positive) per day or per month start, from a day on. */
typedef struct Buckets
{
	int			n;
	int			max;
	DateADT    *day;
	int64	   *amount;
	bool		by_month;
} Buckets;

static void
bucket_fn(void *arg, const RrEntry *e)
{
	Buckets    *b = (Buckets *) arg;
	DateADT		d = b->by_month ? rr_month_start(e->date) : e->date;
	int			i;

	if (e->account != RR_ACCT_RECOGNIZED)
		return;
	/* entries come in date order per posting; look back for the bucket */
	for (i = b->n - 1; i >= 0; i--)
		if (b->day[i] == d)
		{
			b->amount[i] = rr_add_minor(b->amount[i], -e->amount);
			return;
		}
	if (b->n == b->max)
	{
		b->max = b->max ? b->max * 2 : 32;
		b->day = b->day ? repalloc(b->day, sizeof(DateADT) * b->max) : palloc(sizeof(DateADT) * b->max);
		b->amount = b->amount ? repalloc(b->amount, sizeof(int64) * b->max) : palloc(sizeof(int64) * b->max);
	}
	b->day[b->n] = d;
	b->amount[b->n] = -e->amount;
	b->n++;
}

static int
bucket_cmp(const void *x, const void *y)
{
	DateADT		a = *(const DateADT *) x,
				b = *(const DateADT *) y;

	return a < b ? -1 : a > b ? 1 : 0;
}

/* buckets of the group's recognition dated from `from` on, in date order */
static void
recognized_by(const CreditGroup *g, DateADT from, bool by_month, Buckets *b)
{
	int			i;
	int		   *order;
	DateADT    *day;
	int64	   *amount;

	memset(b, 0, sizeof(*b));
	b->by_month = by_month;
	for (i = 0; i < g->n; i++)
		rr_posting_expand(&g->p[i], from, DATEVAL_NOEND, by_month, bucket_fn, b);
	/* sort by day (stable enough: days are unique) */
	order = palloc(sizeof(int) * Max(b->n, 1));
	day = palloc(sizeof(DateADT) * Max(b->n, 1));
	amount = palloc(sizeof(int64) * Max(b->n, 1));
	{
		struct
		{
			DateADT		d;
			int			i;
		}		   *tmp = palloc(sizeof(*tmp) * Max(b->n, 1));

		for (i = 0; i < b->n; i++)
		{
			tmp[i].d = b->day[i];
			tmp[i].i = i;
		}
		qsort(tmp, b->n, sizeof(*tmp), bucket_cmp);
		for (i = 0; i < b->n; i++)
			order[i] = tmp[i].i;
	}
	for (i = 0; i < b->n; i++)
	{
		day[i] = b->day[order[i]];
		amount[i] = b->amount[order[i]];
	}
	b->day = day;
	b->amount = amount;
}

static char *
money_text(int64 v, int exponent)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(rr_minor_to_numeric(v, exponent))));
}

/* the credit-note posting every branch starts from */
static void
credit_posting(RrPostingOut *o, const char *reason, const char *customer, const char *cn, const char *currency,
			   bool has_floor, DateADT floor)
{
	memset(o, 0, sizeof(*o));
	o->customer_id = customer;
	o->source = "credit_note";
	o->source_id = cn;
	o->credit_note_id = cn;
	o->currency = currency;
	o->reason = reason;
	o->has_floor = has_floor;
	o->floor_date = floor;
	o->sched_strategy = -1;
}

static void
credit_line(CreditCtx *ctx, HeapTuple cnt, TupleDesc cntd, HeapTuple lt, TupleDesc ltd, bool has_floor, DateADT cfloor)
{
	char	   *cn = value(cnt, cntd, "credit_note_id");
	char	   *cn_customer = value(cnt, cntd, "customer_id");
	char	   *cn_invoice = value(cnt, cntd, "invoice_id");
	char	   *currency = value(cnt, cntd, "currency");
	bool		isnull;
	DateADT		C = DatumGetDateADT(SPI_getbinval(cnt, cntd, SPI_fnumber(cntd, "credit_date"), &isnull));
	char	   *line_no = value(lt, ltd, "credit_note_line_id");
	char	   *line_id = value(lt, ltd, "line_id");
	int			exponent = rr_currency_exponent(currency, "credit_note.currency");
	int			i;
	int64		x = rr_numeric_to_minor(DatumGetNumeric(SPI_getbinval(lt, ltd, SPI_fnumber(ltd, "amount"), &isnull)),
									   exponent, "credit_note_line.amount");
	RrPostingOut o;
	RrEntries	e = {0, 0, NULL};
	Oid			t1[1] = {TEXTOID};
	Datum		a1[1];
	char	   *inv,
			   *inv_number,
			   *inv_customer,
			   *inv_currency,
			   *inv_status,
			   *grp;
	DateADT		T;
	CreditGroup		g;
	RrPostingOut *issue;
	int64		billed,
				def_bal,
				rec_bal,
				undated;

	if (line_id == NULL)
	{
		/* standalone: reverses recognized revenue on the credit date */
		credit_posting(&o, "credit", cn_customer, cn, currency, has_floor, cfloor);
		o.product_id = value(lt, ltd, "product_id");
		o.method = "standalone";
		o.ref_id = line_no;
		rr_entry_add(&e, C, RR_ACCT_RECOGNIZED, x);
		rr_entry_add(&e, C, RR_ACCT_BILLED, -x);
		o.nentries = e.n / 3;
		o.entries = e.v;
		rr_sink_put(ctx->sink, &o);
		rr_sink_flush(ctx->sink);
		return;
	}

	/* the invoice and group credited; credits on one invoice are serialized
	 * (NO KEY UPDATE: the credit notes' foreign keys hold KEY SHARE locks) */
	a1[0] = CStringGetTextDatum(line_id);
	if (SPI_execute_with_args("SELECT i.invoice_id, i.invoice_number, i.customer_id, i.currency, i.status, i.accounting_date,"
							  "       CASE WHEN l.kind IN ('invoice_discount', 'minimum_true_up') THEN l.line_id"
							  "            ELSE coalesce(l.group_id, l.line_id) END"
							  "  FROM revrec.invoice_line l JOIN revrec.invoice i ON i.invoice_id = l.invoice_id"
							  " WHERE l.line_id = $1 FOR NO KEY UPDATE OF i", 1, t1, a1, NULL, false, 1) != SPI_OK_SELECT
		|| SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
						errmsg("credit note %s line %s credits line %s, which does not exist", cn, line_no, line_id)));
	inv = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	inv_number = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	inv_customer = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	inv_currency = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	inv_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
	T = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull));
	grp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7);

	load_group(&g, inv_customer, inv, grp);
	if (strcmp(inv_status, "void") == 0)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
						errmsg("credit note %s line %s credits line %s of invoice %s, which is void",
							   cn, line_no, line_id, inv),
						errhint("A void invoice has nothing left to credit: its void reversed it whole.")));
	if (g.issue < 0 || strcmp(inv_status, "issued") != 0)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
						errmsg("credit note %s line %s credits line %s of invoice %s, which is not posted",
							   cn, line_no, line_id, inv),
						errhint("Only issued, posted invoices (not drafts or voids) can be credited.")));
	if (cn_invoice != NULL && strcmp(cn_invoice, inv) != 0)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
						errmsg("credit note %s is for invoice %s, but its line %s credits line %s of invoice %s",
							   cn, cn_invoice, line_no, line_id, inv),
						errhint("A credit note's lines credit lines of the invoice it names.")));
	if (strcmp(inv_customer, cn_customer) != 0 || strcmp(inv_currency, currency) != 0)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
						errmsg("credit note %s (customer %s, %s) line %s credits invoice %s of customer %s in %s",
							   cn, cn_customer, currency, line_no, inv, inv_customer, inv_currency)));
	if (C < T)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
						errmsg("credit note %s is dated %s, before invoice %s's accounting date %s", cn,
							   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(C))), inv,
							   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(T))))));
	issue = &g.out[g.issue];
	/*
	 * Never floored before the group's own postings: with the lock moved
	 * back, the credit would otherwise take from deferred in the ledger
	 * before the invoice's catch-up put it there.
	 */
	for (i = 0; i < g.n; i++)
		if (g.out[i].has_floor && (!has_floor || g.out[i].floor_date > cfloor))
		{
			has_floor = true;
			cfloor = g.out[i].floor_date;
		}
	billed = group_balance(&g, RR_ACCT_BILLED, DATEVAL_NOBEGIN, DATEVAL_NOEND);
	if (x > billed)
		ereport(ERROR, (errcode(ERRCODE_RR_OVER_CREDIT),
						errmsg("credit of %s on invoice %s group %s is more than the %s left to credit",
							   money_text(x, exponent), inv, grp, money_text(billed, exponent)),
						errhint("Credit at most what the invoice billed for the line, less earlier credits.")));
	def_bal = -group_balance(&g, RR_ACCT_DEFERRED, DATEVAL_NOBEGIN, C - 1);
	rec_bal = -group_balance(&g, RR_ACCT_RECOGNIZED, DATEVAL_NOBEGIN, C - 1);
	/* without a schedule, what stays deferred for ever has no date yet (open milestones) */
	undated = issue->has_sched ? 0 : Max(-group_balance(&g, RR_ACCT_DEFERRED, DATEVAL_NOBEGIN, DATEVAL_NOEND), 0);

	credit_posting(&o, "credit", cn_customer, cn, currency, has_floor, cfloor);
	o.invoice_id = inv;
	o.invoice_number = inv_number;
	o.line_id = grp;
	o.product_id = issue->product_id;
	o.method = issue->method;
	o.ref_id = line_no;

	if (!ctx->adjust)
	{
		/* cancel: what is left to recognize from C, by month (straight line) or by day */
		bool		straight = issue->has_sched;
		Buckets		b;
		int			nw,
					i;
		DateADT    *wday;
		int64	   *w;
		int64		wsum = 0,
					xd;

		recognized_by(&g, C, straight, &b);
		if (straight)
		{
			DateADT		mend = issue->sched_end > C ? issue->sched_end : C;
			DateADT		m;
			int			k = 0;

			nw = rr_month_count(C, mend);
			wday = palloc(sizeof(DateADT) * nw);
			w = palloc0(sizeof(int64) * nw);
			for (m = rr_month_start(C), i = 0; i < nw; m = rr_next_month_start(m), i++)
			{
				wday[i] = m;
				while (k < b.n && b.day[k] < m)
					k++;
				if (k < b.n && b.day[k] == m)
					w[i] = b.amount[k];
			}
		}
		else
		{
			nw = 0;
			wday = palloc(sizeof(DateADT) * (b.n + 1));
			w = palloc(sizeof(int64) * (b.n + 1));
			for (i = 0; i < b.n; i++)
				if (b.amount[i] > 0)
				{
					wday[nw] = b.day[i];
					w[nw++] = b.amount[i];
				}
		}
		for (i = 0; i < nw; i++)
			if (w[i] > 0)
				wsum = rr_add_minor(wsum, w[i]);
		/* the undated rest (open milestones) is left to recognize too: one more weight, no entry */
		if (!straight && undated > 0)
		{
			wday[nw] = DATEVAL_NOEND;
			w[nw++] = undated;
			wsum = rr_add_minor(wsum, undated);
		}
		xd = Min(x, Max(def_bal, 0));
		xd = Min(xd, wsum);
		rr_entry_add(&e, C, RR_ACCT_BILLED, -x);
		rr_entry_add(&e, C, RR_ACCT_DEFERRED, xd);
		rr_entry_add(&e, C, RR_ACCT_RECOGNIZED, x - xd);
		if (xd > 0)
		{
			int64	   *share = palloc0(sizeof(int64) * nw);
			int64	   *wpos = palloc(sizeof(int64) * nw);

			for (i = 0; i < nw; i++)
				wpos[i] = w[i] > 0 ? w[i] : 0;
			rr_allocate(xd, wpos, nw, share);
			if (!straight)
			{
				for (i = 0; i < nw; i++)
					if (share[i] != 0 && wday[i] != DATEVAL_NOEND)
					{
						rr_entry_add(&e, wday[i], RR_ACCT_DEFERRED, -share[i]);
						rr_entry_add(&e, wday[i], RR_ACCT_RECOGNIZED, share[i]);
					}
			}
			else
			{
				/*
				 * A month's share spread over its days by the schedule's own
				 * day spread need not stay under the group's recognition day
				 * by day: the truncating spread gives every day but the last
				 * trunc(share / days) and the last the rest, so a share just
				 * under the month's recognition (31.00 recognized 1.00 a day,
				 * 30.99 cancelled: 0.99 a day, 1.29 on the last) cancels more
				 * than is left and takes deferred below zero until the last
				 * day.  Such a month is cancelled day by day instead, in
				 * proportion to each day's recognition (as other methods are).
				 */
				DateADT		send = issue->sched_end > C ? issue->sched_end : C;
				int			strat = issue->sched_strategy > RR_DAILY ? issue->sched_strategy : 0;
				Buckets		bd;
				int			k = 0;

				recognized_by(&g, C, false, &bd);
				for (i = 0; i < nw; i++)
				{
					DateADT		lo = Max(wday[i], C);
					DateADT		mend = rr_next_month_start(wday[i]) - 1;
					DateADT		hi = Min(mend, send);
					int			k0,
								k1,
								j;
					int64		left = 0,
								cancel = 0;
					bool		over = false;
					RrSpread	sp;

					while (k < bd.n && bd.day[k] < lo)
						k++;
					k0 = k;
					while (k < bd.n && bd.day[k] <= mend)
						k++;
					k1 = k;
					if (share[i] == 0 || lo > hi)
						continue;
					rr_spread_init(&sp, share[i], lo, hi, strat);
					/*
					 * From the month's end back, every tail of the month: what
					 * the spread cancels from a day on is at most what is
					 * left to recognize from that day on.
					 */
					for (j = k1 - 1; j >= k0 && !over; j--)
					{
						cancel = rr_add_minor(cancel, rr_spread_sum(&sp, bd.day[j] + 1,
																	j + 1 < k1 ? bd.day[j + 1] - 1 : mend));
						over = cancel > left;
						cancel = rr_add_minor(cancel, rr_spread_sum(&sp, bd.day[j], bd.day[j]));
						left = rr_add_minor(left, bd.amount[j]);
						over = over || cancel > left;
					}
					if (!over)
						over = rr_add_minor(cancel, rr_spread_sum(&sp, lo, k0 < k1 ? bd.day[k0] - 1 : mend)) > left;
					if (!over)
						continue;
					{
						int64	   *dw = palloc(sizeof(int64) * Max(k1 - k0, 1));
						int64	   *ds = palloc0(sizeof(int64) * Max(k1 - k0, 1));

						for (j = k0; j < k1; j++)
							dw[j - k0] = bd.amount[j] > 0 ? bd.amount[j] : 0;
						rr_allocate(share[i], dw, k1 - k0, ds);
						for (j = k0; j < k1; j++)
							if (ds[j - k0] != 0)
							{
								rr_entry_add(&e, bd.day[j], RR_ACCT_DEFERRED, -ds[j - k0]);
								rr_entry_add(&e, bd.day[j], RR_ACCT_RECOGNIZED, ds[j - k0]);
							}
						share[i] = 0;
					}
				}
				for (i = 0; i < nw; i++)
					share[i] = -share[i];
				o.has_sched = true;
				o.sched_start = C;
				o.sched_end = issue->sched_end > C ? issue->sched_end : C;
				o.nmonths = nw;
				o.sched_months = share;
				/* the issue's day spread, where it is not the default one */
				if (issue->sched_strategy > RR_DAILY)
					o.sched_strategy = issue->sched_strategy;
				o.sched_before = RR_ACCT_DEFERRED;
				o.sched_after = RR_ACCT_DEFERRED;
				o.sched_credit = RR_ACCT_RECOGNIZED;
			}
		}
		o.nentries = e.n / 3;
		o.entries = e.v;
		rr_sink_put(ctx->sink, &o);
		rr_sink_flush(ctx->sink);
		return;
	}

	/* adjust: re-price the group to what is left billed, catch up on C */
	{
		int64		anew = billed - x;
		int64		k;
		int			i;

		if (issue->has_sched)
		{
			RrPosting	np;
			bool		has_last = false;
			DateADT		last_adj = 0;

			for (i = 0; i < g.n; i++)
				if (strcmp(g.reason[i], "adjust") == 0 && g.out[i].has_sched_from
					&& (!has_last || g.out[i].sched_from > last_adj))
				{
					last_adj = g.out[i].sched_from;
					has_last = true;
				}
			if (has_last && last_adj > C)
				ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
								errmsg("credit note %s is dated %s, before the group's last adjustment on %s", cn,
									   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(C))),
									   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(last_adj)))),
								errhint("In adjust mode, credit a group in date order.")));
			/* what the new price would have recognized before C */
			memset(&np, 0, sizeof(np));
			np.sfrom = DATEVAL_NOBEGIN;
			np.has_sched = true;
			np.sstart = issue->sched_start;
			np.send = issue->sched_end;
			np.nmonths = rr_month_count(np.sstart, np.send);
			np.smonths = palloc(sizeof(int64) * np.nmonths);
			np.strategy = issue->sched_strategy >= 0 ? issue->sched_strategy : 0;
			rr_month_amounts(anew, np.sstart, np.send, issue->sched_strategy, np.smonths);
			k = rec_bal - rr_sched_sum(&np, np.sstart, C - 1);
			rr_entry_add(&e, C, RR_ACCT_BILLED, -x);
			rr_entry_add(&e, C, RR_ACCT_RECOGNIZED, k);
			rr_entry_add(&e, C, RR_ACCT_DEFERRED, x - k);

			/* the live schedules of the group stop at C ... */
			for (i = 0; i < g.n; i++)
			{
				RrPostingOut *p = &g.out[i];
				RrPostingOut r;
				int			j;
				bool		reversed = false;
				char	   *pid;

				if (!p->has_sched || strcmp(g.reason[i], "adjust_reversal") == 0 || strcmp(g.reason[i], "void") == 0
					|| p->sched_end < C)
					continue;
				pid = psprintf(INT64_FORMAT, g.posting_id[i]);
				for (j = 0; j < g.n && !reversed; j++)
					reversed = strcmp(g.reason[j], "adjust_reversal") == 0 && g.out[j].ref_id != NULL
						&& strcmp(g.out[j].ref_id, pid) == 0;
				if (reversed)
					continue;
				credit_posting(&r, "adjust_reversal", cn_customer, cn, currency, has_floor, cfloor);
				r.invoice_id = inv;
				r.invoice_number = inv_number;
				r.line_id = grp;
				r.product_id = issue->product_id;
				r.method = issue->method;
				r.ref_id = pid;
				r.has_sched = true;
				r.sched_start = p->sched_start;
				r.sched_end = p->sched_end;
				r.has_sched_amount = p->has_sched_amount;
				r.sched_amount = -p->sched_amount;
				r.sched_strategy = p->sched_strategy;
				if (p->nmonths > 0)
				{
					int64	   *m = palloc(sizeof(int64) * p->nmonths);

					for (j = 0; j < p->nmonths; j++)
						m[j] = -p->sched_months[j];
					r.nmonths = p->nmonths;
					r.sched_months = m;
				}
				r.has_split = p->has_split;
				r.sched_split = p->sched_split;
				r.sched_before = p->sched_before;
				r.sched_after = p->sched_after;
				r.sched_credit = p->sched_credit;
				r.has_sched_from = true;
				r.sched_from = p->has_sched_from && p->sched_from > C ? p->sched_from : C;
				rr_sink_put(ctx->sink, &r);
			}
			/* ... and the new price takes over from C */
			o.reason = "adjust";
			o.nentries = e.n / 3;
			o.entries = e.v;
			if (anew != 0 && issue->sched_end >= C)
			{
				o.has_sched = true;
				o.sched_start = issue->sched_start;
				o.sched_end = issue->sched_end;
				o.has_sched_amount = true;
				o.sched_amount = anew;
				o.sched_strategy = issue->sched_strategy;
				o.has_split = issue->has_split;
				o.sched_split = issue->sched_split;
				o.sched_before = issue->sched_before;
				o.sched_after = issue->sched_after;
				o.sched_credit = issue->sched_credit;
			}
			o.has_sched_from = true;
			o.sched_from = C;
			rr_sink_put(ctx->sink, &o);
			rr_sink_flush(ctx->sink);
			return;
		}
		else
		{
			/* explicit recognition days: the new price over the same days, by largest remainder */
			Buckets		b;
			int64	   *share;
			int64	   *wpos;
			int64		before = 0;

			recognized_by(&g, DATEVAL_NOBEGIN, false, &b);
			{
				int			nz = 0;

				for (i = 0; i < b.n; i++)
					if (b.amount[i] != 0)
					{
						b.day[nz] = b.day[i];
						b.amount[nz++] = b.amount[i];
					}
				b.n = nz;
			}
			/* the undated rest (open milestones) takes its share of the new price as one more weight */
			share = palloc0(sizeof(int64) * (b.n + 1));
			if (anew != 0 && (b.n > 0 || undated > 0))
			{
				wpos = palloc(sizeof(int64) * (b.n + 1));
				for (i = 0; i < b.n; i++)
					wpos[i] = b.amount[i] > 0 ? b.amount[i] : 0;
				wpos[b.n] = undated;
				rr_allocate(anew, wpos, b.n + 1, share);
			}
			for (i = 0; i < b.n; i++)
				if (b.day[i] < C)
					before = rr_add_minor(before, share[i]);
			k = rec_bal - before;
			rr_entry_add(&e, C, RR_ACCT_BILLED, -x);
			rr_entry_add(&e, C, RR_ACCT_RECOGNIZED, k);
			rr_entry_add(&e, C, RR_ACCT_DEFERRED, x - k);
			for (i = 0; i < b.n; i++)
				if (b.day[i] >= C && b.amount[i] != share[i])
				{
					rr_entry_add(&e, b.day[i], RR_ACCT_DEFERRED, -(b.amount[i] - share[i]));
					rr_entry_add(&e, b.day[i], RR_ACCT_RECOGNIZED, b.amount[i] - share[i]);
				}
			o.reason = "adjust";
			o.nentries = e.n / 3;
			o.entries = e.v;
			rr_sink_put(ctx->sink, &o);
			rr_sink_flush(ctx->sink);
		}
	}
}

static const char *const notes_query =
"SELECT c.* FROM revrec.credit_note c"
" WHERE c.credit_note_id = ANY ($1) AND c.status = 'issued'"
"   AND NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = c.customer_id"
"                      AND p.source = 'credit_note' AND p.source_id = c.credit_note_id)"
" ORDER BY c.credit_date, c.credit_note_id";

PG_FUNCTION_INFO_V1(revrec_post_credit_notes);
Datum
revrec_post_credit_notes(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTARRAYOID};
	Datum		args[1];
	CreditCtx	ctx;
	SPITupleTable *notes;
	uint64		nnotes,
				i;
	char	   *mode;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	mode = PG_ARGISNULL(1) ? "cancel" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(mode, "cancel") != 0 && strcmp(mode, "adjust") != 0)
		ereport(ERROR, (errcode(ERRCODE_RR_INVALID_ARGUMENT),
						errmsg("credit_note_mode must be cancel or adjust, not \"%s\"", mode)));
	ctx.adjust = strcmp(mode, "adjust") == 0;
	ctx.has_floor = !PG_ARGISNULL(2);
	ctx.floor = ctx.has_floor ? PG_GETARG_DATEADT(2) : 0;
	ctx.floor_to_accounting = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	args[0] = PG_GETARG_DATUM(0);

	SPI_connect();
	ctx.sink = rr_sink_begin();
	if (SPI_execute_with_args(notes_query, 1, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "revrec: reading credit notes failed");
	notes = SPI_tuptable;
	nnotes = SPI_processed;
	for (i = 0; i < nnotes; i++)
	{
		HeapTuple	cnt = notes->vals[i];
		TupleDesc	cntd = notes->tupdesc;
		char	   *cn = value(cnt, cntd, "credit_note_id");
		bool		isnull;
		DateADT		C = DatumGetDateADT(SPI_getbinval(cnt, cntd, SPI_fnumber(cntd, "credit_date"), &isnull));
		Oid			t1[1] = {TEXTOID};
		Datum		a1[1] = {CStringGetTextDatum(cn)};
		SPITupleTable *lines;
		uint64		nlines,
					j;
		bool		has_floor = ctx.has_floor;
		DateADT		cfloor = ctx.floor;

		CHECK_FOR_INTERRUPTS();
		if (ctx.floor_to_accounting && (!has_floor || C > cfloor))
		{
			cfloor = C;
			has_floor = true;
		}
		if (SPI_execute_with_args("SELECT * FROM revrec.credit_note_line WHERE credit_note_id = $1"
								  " ORDER BY credit_note_line_id", 1, t1, a1, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "revrec: reading credit note lines failed");
		lines = SPI_tuptable;
		nlines = SPI_processed;
		if (nlines == 0)
			ereport(ERROR, (errcode(ERRCODE_RR_INVALID_DOCUMENT),
							errmsg("credit note %s is issued without any line", cn),
							errhint("Write a credit note and its lines in one transaction, or insert it as 'draft' "
									"and issue it once its lines are in.")));
		for (j = 0; j < nlines; j++)
			credit_line(&ctx, cnt, cntd, lines->vals[j], lines->tupdesc, has_floor, cfloor);
	}
	SPI_finish();
	PG_RETURN_INT64((int64) nnotes);
}
