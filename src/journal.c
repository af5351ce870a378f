/*
 * journal.c — journal numbers, and revrec._entries: one posting expanded
 * into the rows of revrec.journal_entry (daily or monthly, with journal
 * numbers and debit/credit amounts in the currency's decimals).
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "schedule.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"

/* ---------- journal numbers ---------- */

static void
append_escaped(StringInfo buf, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '/')
			appendStringInfoString(buf, "%2F");
		else if (*s == '%')
			appendStringInfoString(buf, "%25");
		else
			appendStringInfoChar(buf, *s);
	}
}

char *
rr_journal_number(const char *source, const char *source_id,
				  const char *product_id, DateADT day)
{
	StringInfoData buf;
	int			y,
				m,
				d;
	const char *prefix = "MJ";

	if (strcmp(source, "invoice") == 0)
		prefix = "INV";
	else if (strcmp(source, "credit_note") == 0)
		prefix = "CN";
	else if (strcmp(source, "billing_schedule") == 0)
		prefix = "BS";
	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s-", prefix);
	append_escaped(&buf, source_id);
	appendStringInfoChar(&buf, '/');
	if (product_id)
		append_escaped(&buf, product_id);
	appendStringInfo(&buf, "/%04d-%02d", y, m);
	return buf.data;
}

/* ---------- revrec._entries: daily entries of one posting ---------- */

typedef struct ExpandState
{
	ReturnSetInfo *rsinfo;
	const char *source;
	const char *source_id;
	const char *product_id;
	int			exponent;
	DateADT		jmonth;			/* month of the cached journal number */
	Datum		jnumber;
	Datum		debit;
	Datum		credit;
	bool		monthly;
	DateADT		to;
	/* monthly buckets, in order of first entry */
	int			nb;
	int			maxb;
	struct Bucket
	{
		DateADT		month;
		int16		account;
		bool		is_debit;
		int64		amount;
		bool		catchup;
		DateADT		catchup_from;
	}		   *b;
	HTAB	   *index;			/* BucketKey -> bucket, once there are many */
} ExpandState;

/* Buckets are searched linearly up to this many, through a hash table beyond. */
#define LINEAR_BUCKETS 32

typedef struct BucketKey
{
	DateADT		month;
	int16		account;
	bool		is_debit;
} BucketKey;

typedef struct BucketIndexEntry
{
	BucketKey	key;
	int			bucket;
} BucketIndexEntry;

static void
bucket_index_add(ExpandState *st, int i)
{
	BucketKey	k;
	BucketIndexEntry *e;
	bool		found;

	memset(&k, 0, sizeof(k));	/* padding is hashed too */
	k.month = st->b[i].month;
	k.account = st->b[i].account;
	k.is_debit = st->b[i].is_debit;
	e = hash_search(st->index, &k, HASH_ENTER, &found);
	e->bucket = i;
}

static int
bucket_find(ExpandState *st, DateADT month, int16 account, bool is_debit)
{
	int			i;

	if (st->index)
	{
		BucketKey	k;
		BucketIndexEntry *e;

		memset(&k, 0, sizeof(k));
		k.month = month;
		k.account = account;
		k.is_debit = is_debit;
		e = hash_search(st->index, &k, HASH_FIND, NULL);
		return e ? e->bucket : -1;
	}
	for (i = st->nb - 1; i >= 0; i--)
	{
		struct Bucket *b = &st->b[i];

		if (b->month == month && b->account == account && b->is_debit == is_debit)
			return i;
	}
	return -1;
}

static Datum
journal_number_datum(ExpandState *st, DateADT day)
{
	DateADT		ms = rr_month_start(day);

	if (ms != st->jmonth || st->jnumber == (Datum) 0)
	{
		st->jmonth = ms;
		st->jnumber = CStringGetTextDatum(rr_journal_number(st->source, st->source_id,
															 st->product_id, day));
	}
	return st->jnumber;
}

static void
put_row(ExpandState *st, DateADT d, int16 account, bool is_debit, int64 amount,
		bool catchup, DateADT cfrom)
{
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	values[0] = journal_number_datum(st, d);
	values[1] = DateADTGetDatum(d);
	values[2] = Int16GetDatum(account);
	values[3] = is_debit ? st->debit : st->credit;
	values[4] = NumericGetDatum(rr_minor_to_numeric(amount, st->exponent));
	if (catchup)
		values[5] = DateADTGetDatum(cfrom);
	else
		nulls[5] = true;
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, values, nulls);
}

static void
expand_cb(void *arg, const RrEntry *e)
{
	ExpandState *st = (ExpandState *) arg;
	bool		is_debit = e->amount > 0;
	int64		amount = is_debit ? e->amount : -e->amount;

	if (!st->monthly)
	{
		put_row(st, e->date, e->account, is_debit, amount, e->catchup, e->catchup_from);
		return;
	}
	else
	{
		DateADT		ms = rr_month_start(e->date);
		int			i = bucket_find(st, ms, e->account, is_debit);

		if (i >= 0)
		{
			struct Bucket *b = &st->b[i];

			b->amount = rr_add_minor(b->amount, amount);
			if (e->catchup && (!b->catchup || e->catchup_from < b->catchup_from))
			{
				b->catchup = true;
				b->catchup_from = e->catchup_from;
			}
			return;
		}
		if (st->nb == st->maxb)
		{
			st->maxb = st->maxb ? st->maxb * 2 : 32;
			st->b = st->b ? repalloc(st->b, sizeof(struct Bucket) * st->maxb)
				: palloc(sizeof(struct Bucket) * st->maxb);
		}
		st->b[st->nb].month = ms;
		st->b[st->nb].account = e->account;
		st->b[st->nb].is_debit = is_debit;
		st->b[st->nb].amount = amount;
		st->b[st->nb].catchup = e->catchup;
		st->b[st->nb].catchup_from = e->catchup_from;
		st->nb++;
		if (st->index)
			bucket_index_add(st, st->nb - 1);
		else if (st->nb > LINEAR_BUCKETS)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(BucketKey);
			ctl.entrysize = sizeof(BucketIndexEntry);
			ctl.hcxt = CurrentMemoryContext;
			st->index = hash_create("revrec monthly buckets", 4 * LINEAR_BUCKETS, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			for (i = 0; i < st->nb; i++)
				bucket_index_add(st, i);
		}
	}
}

/*
 * revrec._entries(p revrec.posting, from_date date, to_date date, monthly boolean)
 *   returns table(journal_number text, entry_date date, account_id smallint,
 *                 direction text, amount numeric, catchup_from date)
 */
PG_FUNCTION_INFO_V1(revrec_entries);
Datum
revrec_entries(PG_FUNCTION_ARGS)
{
	ExpandState st;
	RrPosting	p;
	DateADT		from,
				to;
	const RrPostingRow *rc;
	const RrPostingCols *c;
	const Datum *v;
	const bool *n;

	memset(&st, 0, sizeof(st));
	st.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (PG_ARGISNULL(0))
	{
		/* no posting, no entries */
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
	rc = rr_posting_from_arg(fcinfo, 0, &p);
	c = &rc->cols;
	v = rc->values;
	n = rc->nulls;
#define V(col) (v[c->col])
#define N(col) (n[c->col])
	st.source = TextDatumGetCString(V(source));
	st.source_id = TextDatumGetCString(V(source_id));
	st.product_id = N(product_id) ? NULL : TextDatumGetCString(V(product_id));
	st.exponent = rr_currency_exponent(TextDatumGetCString(V(currency)), "currency");
	from = PG_ARGISNULL(1) ? DATEVAL_NOBEGIN : PG_GETARG_DATEADT(1);
	to = PG_ARGISNULL(2) ? DATEVAL_NOEND : PG_GETARG_DATEADT(2);
	st.monthly = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	st.to = to;
	st.debit = CStringGetTextDatum("debit");
	st.credit = CStringGetTextDatum("credit");

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	rr_posting_expand(&p, from, to, st.monthly, expand_cb, &st);

	if (st.monthly)
	{
		int			i;

		/* a month row is dated the last day of its month inside the range */
		for (i = 0; i < st.nb; i++)
		{
			struct Bucket *b = &st.b[i];
			DateADT		d = Min(rr_next_month_start(b->month) - 1, to);

			CHECK_FOR_INTERRUPTS();
			put_row(&st, d, b->account, b->is_debit, b->amount, b->catchup, b->catchup_from);
		}
	}
	return (Datum) 0;
}

/* revrec._journal_number(source, source_id, product_id, day) */
PG_FUNCTION_INFO_V1(revrec_journal_number);
Datum
revrec_journal_number(PG_FUNCTION_ARGS)
{
	DateADT		day;

	/* product_id may be null (a journal without a product); the rest may not */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	day = PG_GETARG_DATEADT(3);
	if (!RR_DATE_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_RR_INVALID_ARGUMENT),
				 errmsg("journal number for day %s: the day must be a finite date",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)))),
				 errdetail("A journal number names the entry's month.")));
	PG_RETURN_TEXT_P(cstring_to_text(rr_journal_number(text_to_cstring(PG_GETARG_TEXT_PP(0)),
													   text_to_cstring(PG_GETARG_TEXT_PP(1)),
													   PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
													   day)));
}
