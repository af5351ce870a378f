/*
 * posting_row.c — reading a revrec.posting row into an RrPosting, treating
 * every field as hostile: the one validation of a posting (ledger.h).
 */
#include "revrec.h"
#include "ledger.h"
#include "money.h"
#include "schedule.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

/*
 * A posting reaches C as a whole revrec.posting row: read back from the
 * table, about to be inserted (the BEFORE INSERT trigger), or given to a SQL
 * function by any caller, who can build it by hand (ROW(...)::revrec.posting)
 * with any value in any field.  So rr_posting_from_values checks every field
 * before the ledger's arithmetic runs on it; see ledger.h for what it
 * guarantees.
 */
static void pg_attribute_noreturn()
malformed(RrPostingOrigin origin, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(origin == RR_POSTING_STORED ? ERRCODE_DATA_CORRUPTED : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("revrec.posting row is malformed: %s", what),
			 detail ? errdetail_internal("%s", detail) : 0,
			 origin == RR_POSTING_STORED
			 ? errhint("The row was stored while revrec's BEFORE INSERT check on revrec.posting was bypassed.")
			 : errhint("Postings are written by revrec itself; pass rows read from revrec.posting.")));
}

static char *
date_text(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

/* A date field: a valid finite date, or (infinite_ok) also +/-infinity. */
static DateADT
posting_date(Datum d, bool infinite_ok, const char *field, RrPostingOrigin origin)
{
	DateADT		v = DatumGetDateADT(d);

	if (infinite_ok ? !RR_DATE_OK(v) : !RR_DATE_FINITE(v))
		malformed(origin, psprintf("%s is %s", field, DATE_NOT_FINITE(v) ? date_text(v) : "out of range"),
				  psprintf("%s must be a finite date between 4713-11-24 BC and 5874897-12-31.", field));
	return v;
}

/* An account field: a ledger account id, 1..32767 (smallint, and ids start at 1). */
static int16
posting_account(int64 v, const char *field, RrPostingOrigin origin)
{
	if (v < 1 || v > PG_INT16_MAX)
		malformed(origin, psprintf("%s names account %lld", field, (long long) v),
				  "Ledger account ids are smallint values of 1 or more.");
	return (int16) v;
}

/* A bigint[] field: one-dimensional (or empty) without NULL elements; read in place. */
static int64 *
posting_array(Datum d, const char *field, RrPostingOrigin origin, int *n)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);

	if (ARR_ELEMTYPE(arr) != INT8OID)
		malformed(origin, psprintf("%s is not a bigint[]", field), NULL);
	if (ARR_NDIM(arr) == 0)
	{
		*n = 0;
		return NULL;
	}
	if (ARR_NDIM(arr) != 1)
		malformed(origin, psprintf("%s has %d dimensions", field, ARR_NDIM(arr)),
				  "Posting arrays are one-dimensional.");
	if (array_contains_nulls(arr))
		malformed(origin, psprintf("%s has a NULL element", field), NULL);
	*n = ArrayGetNItems(1, ARR_DIMS(arr));
	return (int64 *) ARR_DATA_PTR(arr);
}

/* Add a movement's magnitude to a running total of debits or credits. */
static void
posting_total(int64 *total, int64 magnitude, RrPostingOrigin origin)
{
	if (pg_add_s64_overflow(*total, magnitude, total))
		malformed(origin, "its amounts are too large",
				  psprintf("The debits (and the credits) of a posting, its schedule's month amounts counted in both, must sum to at most %lld minor units.",
						   (long long) PG_INT64_MAX));
}

/* A month amount or an entry amount: anything but INT64_MIN (whose negation overflows). */
static int64
posting_amount(int64 v, const char *field, RrPostingOrigin origin)
{
	if (v == PG_INT64_MIN)
		malformed(origin, psprintf("%s holds %lld", field, (long long) v),
				  "Amounts are int64 minor units other than -2^63.");
	return v;
}

/*
 * A posting arrives as a whole revrec.posting row.  Column positions are
 * looked up by name once per call site and kept in fn_extra (or computed
 * from the relation in the trigger), so the table may gain columns.
 */

static int
colnum(TupleDesc td, const char *name)
{
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
					errmsg("revrec.posting has no column \"%s\"", name)));
	return -1;
}

void
rr_posting_cols(TupleDesc td, RrPostingCols *c)
{
	c->floor_date = colnum(td, "floor_date");
	c->entries = colnum(td, "entries");
	c->sched_start = colnum(td, "sched_start");
	c->sched_end = colnum(td, "sched_end");
	c->sched_amount = colnum(td, "sched_amount");
	c->sched_strategy = colnum(td, "sched_strategy");
	c->sched_months = colnum(td, "sched_months");
	c->sched_split = colnum(td, "sched_split");
	c->sched_before = colnum(td, "sched_before");
	c->sched_after = colnum(td, "sched_after");
	c->sched_credit = colnum(td, "sched_credit");
	c->sched_from = colnum(td, "sched_from");
	c->source = colnum(td, "source");
	c->source_id = colnum(td, "source_id");
	c->product_id = colnum(td, "product_id");
	c->currency = colnum(td, "currency");
}

#define V(col) (v[c->col])
#define N(col) (n[c->col])

/* see ledger.h */
void
rr_posting_from_values(const Datum *v, const bool *n, const RrPostingCols *c,
					   RrPostingOrigin origin, RrPosting *p)
{
	int64		debits = 0,
				credits = 0,
				sched_abs = 0;
	int			i;

	memset(p, 0, sizeof(*p));
	p->sfrom = DATEVAL_NOBEGIN;

	/* the text fields the C code reads (journal numbers, exponents) */
	if (N(source) || N(source_id) || N(currency))
		malformed(origin, "source, source_id and currency must not be null", NULL);
	{
		text	   *cur = DatumGetTextPP(V(currency));
		char		code[4];

		if (VARSIZE_ANY_EXHDR(cur) != 3)
			malformed(origin, "currency is not a three-letter code", NULL);
		memcpy(code, VARDATA_ANY(cur), 3);
		code[3] = '\0';
		if (rr_currency_exponent_or_neg(code) < 0)
			malformed(origin, psprintf("unknown currency \"%s\"", code),
					  "revrec knows the ISO 4217 currencies listed in revrec.currency.");
	}

	p->has_floor = !N(floor_date);
	if (p->has_floor)
		p->floor = posting_date(V(floor_date), false, "floor_date", origin);

	if (!N(entries))
	{
		int			cnt;

		p->entries = posting_array(V(entries), "entries", origin, &cnt);
		if (cnt % 3 != 0)
			malformed(origin, psprintf("entries has %d elements", cnt),
					  "entries holds (date, account, amount) triples: its length is a multiple of 3.");
		p->nentries = cnt / 3;
		for (i = 0; i < p->nentries; i++)
		{
			int64		d = p->entries[3 * i];
			int64		amt = posting_amount(p->entries[3 * i + 2], "entries", origin);

			CHECK_FOR_INTERRUPTS();
			/* the dates are day numbers from 2000-01-01, as DateADT */
			if (d < DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE || d >= DATE_END_JULIAN - POSTGRES_EPOCH_JDATE)
				malformed(origin, psprintf("entry %d is dated %lld", i + 1, (long long) d),
						  "Entry dates are day numbers from 2000-01-01 of finite dates between 4713-11-24 BC and 5874897-12-31.");
			(void) posting_account(p->entries[3 * i + 1], "entries", origin);
			if (amt > 0)
				posting_total(&debits, amt, origin);
			else
				posting_total(&credits, -amt, origin);
		}
	}

	p->has_sched = !N(sched_start);
	if (p->has_sched)
	{
		if (N(sched_end) || N(sched_before) || N(sched_after) || N(sched_credit))
			malformed(origin, "its schedule is incomplete",
					  "A posting with sched_start needs sched_end, sched_before, sched_after and sched_credit.");
		if (N(sched_months) && (N(sched_amount) || N(sched_strategy)))
			malformed(origin, "its schedule has no amounts",
					  "A posting with sched_start needs sched_months, or sched_amount and sched_strategy.");
		p->sstart = posting_date(V(sched_start), false, "sched_start", origin);
		p->send = posting_date(V(sched_end), false, "sched_end", origin);
		if (p->send < p->sstart)
			malformed(origin, psprintf("sched_end %s is before sched_start %s", date_text(p->send), date_text(p->sstart)),
					  NULL);
		if ((int64) p->send - p->sstart + 1 > RR_MAX_PERIOD_DAYS)
			malformed(origin, psprintf("its schedule spans %lld days", (long long) p->send - p->sstart + 1),
					  psprintf("A schedule spans at most %d days (1,000 years).", RR_MAX_PERIOD_DAYS));
		p->nmonths = rr_month_count(p->sstart, p->send);
		if (!N(sched_strategy))
		{
			/* with sched_months, the code only chooses the day spread */
			int16		strat = DatumGetInt16(V(sched_strategy));

			if (!rr_strategy_code_valid(strat))
				malformed(origin, psprintf("unknown allocation strategy code %d", strat),
						  rr_strategy_codes_hint());
			p->strategy = strat;
		}
		if (!N(sched_months))
		{
			int			cnt;

			p->smonths = posting_array(V(sched_months), "sched_months", origin, &cnt);
			if (cnt != p->nmonths)
				malformed(origin, psprintf("sched_months has %d amounts for a period of %d months", cnt, p->nmonths),
						  psprintf("The schedule %s to %s touches %d calendar months; sched_months has one amount per month.",
								   date_text(p->sstart), date_text(p->send), p->nmonths));
		}
		else
		{
			p->smonths = palloc(sizeof(int64) * p->nmonths);
			rr_month_amounts(posting_amount(DatumGetInt64(V(sched_amount)), "sched_amount", origin),
							 p->sstart, p->send, p->strategy, p->smonths);
		}
		for (i = 0; i < p->nmonths; i++)
		{
			int64		m = posting_amount(p->smonths[i], "sched_months", origin);

			posting_total(&sched_abs, m < 0 ? -m : m, origin);
		}
		/* each schedule day is one debit and one credit */
		posting_total(&debits, sched_abs, origin);
		posting_total(&credits, sched_abs, origin);

		p->split = N(sched_split) ? DATEVAL_NOBEGIN : posting_date(V(sched_split), true, "sched_split", origin);
		p->before = posting_account(DatumGetInt16(V(sched_before)), "sched_before", origin);
		p->after = posting_account(DatumGetInt16(V(sched_after)), "sched_after", origin);
		p->credit = posting_account(DatumGetInt16(V(sched_credit)), "sched_credit", origin);
		p->sfrom = N(sched_from) ? DATEVAL_NOBEGIN : posting_date(V(sched_from), true, "sched_from", origin);
	}
}

/* Deform the composite argument argno of fcinfo into a posting. */
const RrPostingRow *
rr_posting_from_arg(FunctionCallInfo fcinfo, int argno, RrPosting *p)
{
	HeapTupleHeader th;
	Oid			typid;
	int32		typmod;
	RrPostingRow *cache = (RrPostingRow *) fcinfo->flinfo->fn_extra;
	HeapTupleData tuple;

	/* callers answer a NULL posting themselves; this is the safety net */
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("revrec: the posting argument must not be null")));
	th = PG_GETARG_HEAPTUPLEHEADER(argno);
	typid = HeapTupleHeaderGetTypeId(th);
	typmod = HeapTupleHeaderGetTypMod(th);
	if (cache == NULL || cache->typid != typid || cache->typmod != typmod)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td = lookup_rowtype_tupdesc(typid, typmod);

		cache = palloc0(sizeof(RrPostingRow));
		cache->typid = typid;
		cache->typmod = typmod;
		cache->td = CreateTupleDescCopy(td);
		ReleaseTupleDesc(td);
		rr_posting_cols(cache->td, &cache->cols);
		cache->values = palloc(sizeof(Datum) * cache->td->natts);
		cache->nulls = palloc(sizeof(bool) * cache->td->natts);
		fcinfo->flinfo->fn_extra = cache;
		MemoryContextSwitchTo(old);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, cache->td, cache->values, cache->nulls);
	rr_posting_from_values(cache->values, cache->nulls, &cache->cols, RR_POSTING_GIVEN, p);
	return cache;
}
