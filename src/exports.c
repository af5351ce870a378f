/*
 * exports.c — the Sequence export's rows, produced as text straight from a
 * posting.
 *
 * A year of daily entries of 100,000 lines is 73 million rows: per-row SQL
 * (to_char, numeric output, joins for account names) would cost more than
 * everything else together, so this SRF formats each row's text columns
 * itself and the SQL around it only adds per-posting columns.
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "schedule.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

typedef struct ExportState
{
	ReturnSetInfo *rsinfo;
	const char *source;
	const char *source_id;
	const char *product_id;
	int			exponent;
	int			naccounts;
	int16	   *acct_ids;
	int		   *acct_order;		/* many accounts: positions sorted by (id, position) */
	Datum	   *acct_names;
	bool	   *acct_name_nulls;
	Datum	   *acct_codes;
	bool	   *acct_code_nulls;
	DateADT		jmonth;
	Datum		jnumber;
	DateADT		day;
	Datum		day_text;
	Datum		debit;
	Datum		credit;
} ExportState;

/* "-1234.56" from minor units, without going through numeric */
static Datum
amount_text(int64 v, int exponent)
{
	char		buf[32];
	uint64		u = v < 0 ? -(uint64) v : (uint64) v;
	uint64		p = 1;
	int			i;

	for (i = 0; i < exponent; i++)
		p *= 10;
	if (exponent == 0)
		snprintf(buf, sizeof(buf), "%s%llu", v < 0 ? "-" : "", (unsigned long long) u);
	else
		snprintf(buf, sizeof(buf), "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long) (u / p),
				 exponent, (unsigned long long) (u % p));
	return CStringGetTextDatum(buf);
}

/* Accounts are looked up linearly up to this many, by binary search beyond. */
#define LINEAR_ACCOUNTS 16

static int
acct_order_cmp(const void *x, const void *y, void *arg)
{
	const int16 *ids = arg;
	int			a = *(const int *) x,
				b = *(const int *) y;

	if (ids[a] != ids[b])
		return ids[a] < ids[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/* Position of the first account_ids element equal to account, or -1. */
static int
acct_position(const ExportState *st, int16 account)
{
	int			lo = 0,
				hi = st->naccounts;

	if (st->acct_order == NULL)
	{
		int			k;

		for (k = 0; k < st->naccounts; k++)
			if (st->acct_ids[k] == account)
				return k;
		return -1;
	}
	/* the first sorted position whose id is >= account */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (st->acct_ids[st->acct_order[mid]] < account)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->naccounts && st->acct_ids[st->acct_order[lo]] == account ? st->acct_order[lo] : -1;
}

static void
export_cb(void *arg, const RrEntry *e)
{
	ExportState *st = (ExportState *) arg;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	int			k;

	CHECK_FOR_INTERRUPTS();
	if (rr_month_start(e->date) != st->jmonth || st->jnumber == (Datum) 0)
	{
		st->jmonth = rr_month_start(e->date);
		st->jnumber = CStringGetTextDatum(rr_journal_number(st->source, st->source_id, st->product_id, e->date));
	}
	if (e->date != st->day || st->day_text == (Datum) 0)
	{
		int			y,
					m,
					d;
		char		buf[16];

		j2date(e->date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
		st->day = e->date;
		st->day_text = CStringGetTextDatum(buf);
	}
	values[0] = st->jnumber;
	values[1] = st->day_text;
	values[2] = e->amount > 0 ? st->debit : st->credit;
	k = acct_position(st, e->account);
	if (k >= 0)
	{
		values[3] = st->acct_names[k];
		nulls[3] = st->acct_name_nulls[k];
		values[4] = st->acct_codes ? st->acct_codes[k] : (Datum) 0;
		nulls[4] = st->acct_codes ? st->acct_code_nulls[k] : true;
	}
	else
		nulls[3] = nulls[4] = true;
	values[5] = amount_text(e->amount > 0 ? e->amount : -e->amount, st->exponent);
	values[6] = DateADTGetDatum(e->date);
	if (e->catchup)
		values[7] = DateADTGetDatum(e->catchup_from);
	else
		nulls[7] = true;
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, values, nulls);
}

/*
 * revrec._export_lines(p revrec.posting, from_date date, to_date date,
 *                      account_ids smallint[], account_names text[], account_codes text[])
 *   returns table(journal_number text, day text, direction text, account_name text,
 *                 account_code text, amount text, entry_date date, catchup_from date)
 * Daily entries of one posting as export text; account names and GL codes
 * are looked up by position in the given arrays.
 */
PG_FUNCTION_INFO_V1(revrec_export_lines);
Datum
revrec_export_lines(PG_FUNCTION_ARGS)
{
	ExportState st;
	RrPosting	p;
	Datum	   *ids;
	bool	   *idnulls;
	int			n = 0,
				i;
	HeapTupleHeader th;
	bool		isnull;

	memset(&st, 0, sizeof(st));
	st.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (PG_ARGISNULL(0))
	{
		/* no posting, no lines */
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
	/* validates the row: source, source_id and currency are not null below */
	rr_posting_from_arg(fcinfo, 0, &p);
	th = PG_GETARG_HEAPTUPLEHEADER(0);
	st.source = TextDatumGetCString(GetAttributeByName(th, "source", &isnull));
	st.source_id = TextDatumGetCString(GetAttributeByName(th, "source_id", &isnull));
	{
		Datum		d = GetAttributeByName(th, "product_id", &isnull);

		st.product_id = isnull ? NULL : TextDatumGetCString(d);
	}
	st.exponent = rr_currency_exponent(TextDatumGetCString(GetAttributeByName(th, "currency", &isnull)), "currency");

	/*
	 * Account names and codes by position in account_ids.  A NULL array is
	 * read as empty: no account then has a name (or code).  A NULL id names
	 * no account (ledger account ids are >= 1).
	 */
	if (!PG_ARGISNULL(3))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), INT2OID, 2, true, TYPALIGN_SHORT, &ids, &idnulls, &n);
	st.naccounts = n;
	st.acct_ids = palloc(sizeof(int16) * Max(n, 1));
	for (i = 0; i < n; i++)
		st.acct_ids[i] = idnulls[i] ? -1 : DatumGetInt16(ids[i]);
	if (!PG_ARGISNULL(4))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), TEXTOID, -1, false, TYPALIGN_INT,
						  &st.acct_names, &st.acct_name_nulls, &i);
		if (i != n)
			ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
							errmsg("revrec._export_lines: %d account ids but %d account names", n, i)));
	}
	else
	{
		/* no names: every account's name is null */
		st.acct_names = palloc0(sizeof(Datum) * Max(n, 1));
		st.acct_name_nulls = palloc(sizeof(bool) * Max(n, 1));
		memset(st.acct_name_nulls, true, sizeof(bool) * Max(n, 1));
	}
	if (!PG_ARGISNULL(5))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(5), TEXTOID, -1, false, TYPALIGN_INT,
						  &st.acct_codes, &st.acct_code_nulls, &i);
		if (i != n)
			ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
							errmsg("revrec._export_lines: %d account ids but %d account codes", n, i)));
	}
	if (n > LINEAR_ACCOUNTS)
	{
		st.acct_order = palloc(sizeof(int) * n);
		for (i = 0; i < n; i++)
			st.acct_order[i] = i;
		qsort_arg(st.acct_order, n, sizeof(int), acct_order_cmp, st.acct_ids);
	}
	st.debit = CStringGetTextDatum("DEBIT");
	st.credit = CStringGetTextDatum("CREDIT");

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	rr_posting_expand(&p, PG_ARGISNULL(1) ? DATEVAL_NOBEGIN : PG_GETARG_DATEADT(1),
					  PG_ARGISNULL(2) ? DATEVAL_NOEND : PG_GETARG_DATEADT(2), false, export_cb, &st);
	return (Datum) 0;
}
