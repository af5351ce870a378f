/*
 * money.c — exact money: the ISO 4217 table and numeric <-> minor units.
 *
 * The currency table is compiled in, so that schedule functions depending on
 * it can honestly be IMMUTABLE; revrec.currency is filled from it at install.
 */
#include "revrec.h"
#include "money.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "funcapi.h"
#include "common/int.h"
#include "utils/builtins.h"

typedef struct RrCurrency
{
	const char *code;
	int			exponent;
	const char *name;
} RrCurrency;

/*
 * ISO 4217 currencies and funds codes in current use (list of 2025), with
 * their minor-unit exponents.  Codes without a minor unit ("N.A.": precious
 * metals, SDR, testing codes) are not money revrec can book and are left out.
 * Kept sorted by code for the binary search below.
 */
static const RrCurrency currencies[] = {
	{"AED", 2, "UAE Dirham"}, {"AFN", 2, "Afghani"}, {"ALL", 2, "Lek"},
	{"AMD", 2, "Armenian Dram"}, {"ANG", 2, "Netherlands Antillean Guilder"},
	{"AOA", 2, "Kwanza"}, {"ARS", 2, "Argentine Peso"}, {"AUD", 2, "Australian Dollar"},
	{"AWG", 2, "Aruban Florin"}, {"AZN", 2, "Azerbaijan Manat"},
	{"BAM", 2, "Convertible Mark"}, {"BBD", 2, "Barbados Dollar"}, {"BDT", 2, "Taka"},
	{"BGN", 2, "Bulgarian Lev"}, {"BHD", 3, "Bahraini Dinar"}, {"BIF", 0, "Burundi Franc"},
	{"BMD", 2, "Bermudian Dollar"}, {"BND", 2, "Brunei Dollar"}, {"BOB", 2, "Boliviano"},
	{"BOV", 2, "Mvdol"}, {"BRL", 2, "Brazilian Real"}, {"BSD", 2, "Bahamian Dollar"},
	{"BTN", 2, "Ngultrum"}, {"BWP", 2, "Pula"}, {"BYN", 2, "Belarusian Ruble"},
	{"BZD", 2, "Belize Dollar"}, {"CAD", 2, "Canadian Dollar"}, {"CDF", 2, "Congolese Franc"},
	{"CHE", 2, "WIR Euro"}, {"CHF", 2, "Swiss Franc"}, {"CHW", 2, "WIR Franc"},
	{"CLF", 4, "Unidad de Fomento"}, {"CLP", 0, "Chilean Peso"}, {"CNY", 2, "Yuan Renminbi"},
	{"COP", 2, "Colombian Peso"}, {"COU", 2, "Unidad de Valor Real"},
	{"CRC", 2, "Costa Rican Colon"}, {"CUP", 2, "Cuban Peso"}, {"CVE", 2, "Cabo Verde Escudo"},
	{"CZK", 2, "Czech Koruna"}, {"DJF", 0, "Djibouti Franc"}, {"DKK", 2, "Danish Krone"},
	{"DOP", 2, "Dominican Peso"}, {"DZD", 2, "Algerian Dinar"}, {"EGP", 2, "Egyptian Pound"},
	{"ERN", 2, "Nakfa"}, {"ETB", 2, "Ethiopian Birr"}, {"EUR", 2, "Euro"},
	{"FJD", 2, "Fiji Dollar"}, {"FKP", 2, "Falkland Islands Pound"}, {"GBP", 2, "Pound Sterling"},
	{"GEL", 2, "Lari"}, {"GHS", 2, "Ghana Cedi"}, {"GIP", 2, "Gibraltar Pound"},
	{"GMD", 2, "Dalasi"}, {"GNF", 0, "Guinean Franc"}, {"GTQ", 2, "Quetzal"},
	{"GYD", 2, "Guyana Dollar"}, {"HKD", 2, "Hong Kong Dollar"}, {"HNL", 2, "Lempira"},
	{"HTG", 2, "Gourde"}, {"HUF", 2, "Forint"}, {"IDR", 2, "Rupiah"},
	{"ILS", 2, "New Israeli Sheqel"}, {"INR", 2, "Indian Rupee"}, {"IQD", 3, "Iraqi Dinar"},
	{"IRR", 2, "Iranian Rial"}, {"ISK", 0, "Iceland Krona"}, {"JMD", 2, "Jamaican Dollar"},
	{"JOD", 3, "Jordanian Dinar"}, {"JPY", 0, "Yen"}, {"KES", 2, "Kenyan Shilling"},
	{"KGS", 2, "Som"}, {"KHR", 2, "Riel"}, {"KMF", 0, "Comorian Franc"},
	{"KPW", 2, "North Korean Won"}, {"KRW", 0, "Won"}, {"KWD", 3, "Kuwaiti Dinar"},
	{"KYD", 2, "Cayman Islands Dollar"}, {"KZT", 2, "Tenge"}, {"LAK", 2, "Lao Kip"},
	{"LBP", 2, "Lebanese Pound"}, {"LKR", 2, "Sri Lanka Rupee"}, {"LRD", 2, "Liberian Dollar"},
	{"LSL", 2, "Loti"}, {"LYD", 3, "Libyan Dinar"}, {"MAD", 2, "Moroccan Dirham"},
	{"MDL", 2, "Moldovan Leu"}, {"MGA", 2, "Malagasy Ariary"}, {"MKD", 2, "Denar"},
	{"MMK", 2, "Kyat"}, {"MNT", 2, "Tugrik"}, {"MOP", 2, "Pataca"}, {"MRU", 2, "Ouguiya"},
	{"MUR", 2, "Mauritius Rupee"}, {"MVR", 2, "Rufiyaa"}, {"MWK", 2, "Malawi Kwacha"},
	{"MXN", 2, "Mexican Peso"}, {"MXV", 2, "Mexican Unidad de Inversion"},
	{"MYR", 2, "Malaysian Ringgit"}, {"MZN", 2, "Mozambique Metical"},
	{"NAD", 2, "Namibia Dollar"}, {"NGN", 2, "Naira"}, {"NIO", 2, "Cordoba Oro"},
	{"NOK", 2, "Norwegian Krone"}, {"NPR", 2, "Nepalese Rupee"}, {"NZD", 2, "New Zealand Dollar"},
	{"OMR", 3, "Rial Omani"}, {"PAB", 2, "Balboa"}, {"PEN", 2, "Sol"},
	{"PGK", 2, "Kina"}, {"PHP", 2, "Philippine Peso"}, {"PKR", 2, "Pakistan Rupee"},
	{"PLN", 2, "Zloty"}, {"PYG", 0, "Guarani"}, {"QAR", 2, "Qatari Rial"},
	{"RON", 2, "Romanian Leu"}, {"RSD", 2, "Serbian Dinar"}, {"RUB", 2, "Russian Ruble"},
	{"RWF", 0, "Rwanda Franc"}, {"SAR", 2, "Saudi Riyal"}, {"SBD", 2, "Solomon Islands Dollar"},
	{"SCR", 2, "Seychelles Rupee"}, {"SDG", 2, "Sudanese Pound"}, {"SEK", 2, "Swedish Krona"},
	{"SGD", 2, "Singapore Dollar"}, {"SHP", 2, "Saint Helena Pound"}, {"SLE", 2, "Leone"},
	{"SOS", 2, "Somali Shilling"}, {"SRD", 2, "Surinam Dollar"}, {"SSP", 2, "South Sudanese Pound"},
	{"STN", 2, "Dobra"}, {"SVC", 2, "El Salvador Colon"}, {"SYP", 2, "Syrian Pound"},
	{"SZL", 2, "Lilangeni"}, {"THB", 2, "Baht"}, {"TJS", 2, "Somoni"},
	{"TMT", 2, "Turkmenistan New Manat"}, {"TND", 3, "Tunisian Dinar"}, {"TOP", 2, "Pa'anga"},
	{"TRY", 2, "Turkish Lira"}, {"TTD", 2, "Trinidad and Tobago Dollar"},
	{"TWD", 2, "New Taiwan Dollar"}, {"TZS", 2, "Tanzanian Shilling"}, {"UAH", 2, "Hryvnia"},
	{"UGX", 0, "Uganda Shilling"}, {"USD", 2, "US Dollar"}, {"USN", 2, "US Dollar (Next day)"},
	{"UYI", 0, "Uruguay Peso en Unidades Indexadas"}, {"UYU", 2, "Peso Uruguayo"},
	{"UYW", 4, "Unidad Previsional"}, {"UZS", 2, "Uzbekistan Sum"},
	{"VED", 2, "Bolivar Soberano (digital)"}, {"VES", 2, "Bolivar Soberano"}, {"VND", 0, "Dong"},
	{"VUV", 0, "Vatu"}, {"WST", 2, "Tala"}, {"XAF", 0, "CFA Franc BEAC"},
	{"XCD", 2, "East Caribbean Dollar"}, {"XCG", 2, "Caribbean Guilder"},
	{"XOF", 0, "CFA Franc BCEAO"}, {"XPF", 0, "CFP Franc"}, {"YER", 2, "Yemeni Rial"},
	{"ZAR", 2, "Rand"}, {"ZMW", 2, "Zambian Kwacha"}, {"ZWG", 2, "Zimbabwe Gold"},
};

#define NCURRENCIES lengthof(currencies)

int
rr_currency_exponent_or_neg(const char *code)
{
	int			lo = 0,
				hi = NCURRENCIES - 1;

	if (code == NULL || strlen(code) != 3)
		return -1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(code, currencies[mid].code);

		if (c == 0)
			return currencies[mid].exponent;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

int
rr_currency_exponent(const char *code, const char *argname)
{
	int			e = rr_currency_exponent_or_neg(code);

	if (e < 0)
		ereport(ERROR,
				(errcode(ERRCODE_RR_UNKNOWN_CURRENCY),
				 /* a code is echoed up to 40 bytes (whole characters): a huge argument is not copied into the log */
				 errmsg("unknown currency \"%.*s%s\" in argument \"%s\"",
						pg_mbcliplen(code, strlen(code), 40), code, strlen(code) > 40 ? "..." : "", argname),
				 errdetail("revrec knows the ISO 4217 currencies listed in revrec.currency."),
				 errhint("Use an upper-case three-letter ISO 4217 code such as USD, EUR or JPY.")));
	return e;
}

/*
 * Parse numeric_out's plain decimal text ("-123.4500") into minor units.
 * Digits beyond the exponent must be zeros: 1.50 JPY is refused, 100.00 JPY
 * is 100 yen (the value has no fraction, only its written scale does).
 */
int64
rr_numeric_to_minor(Numeric num, int exponent, const char *argname)
{
	char	   *s;
	const char *p;
	bool		neg = false;
	uint64		acc = 0;
	int			frac = -1;		/* fractional digits consumed, -1 before '.' */
	bool		overflow = false;
	bool		excess = false;

	if (numeric_is_nan(num) || numeric_is_inf(num))
		ereport(ERROR,
				(errcode(ERRCODE_RR_AMOUNT_OUT_OF_RANGE),
				 errmsg("amount in argument \"%s\" must be a finite number", argname)));

	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	p = s;
	if (*p == '-')
	{
		neg = true;
		p++;
	}
	for (; *p; p++)
	{
		if (*p == '.')
		{
			frac = 0;
			continue;
		}
		if (frac >= 0)
		{
			if (frac >= exponent)
			{
				if (*p != '0')
					excess = true;
				continue;
			}
			frac++;
		}
		if (acc > (PG_UINT64_MAX - 9) / 10)
			overflow = true;
		else
			acc = acc * 10 + (uint64) (*p - '0');
	}
	if (excess)
		ereport(ERROR,
				(errcode(ERRCODE_RR_TOO_MANY_DECIMALS),
				 errmsg("amount %s in argument \"%s\" has more decimals than its currency allows", s, argname),
				 errdetail("The currency has %d decimal place%s; revrec never rounds an amount it is given.",
						   exponent, exponent == 1 ? "" : "s"),
				 errhint("Round the amount to the currency's minor unit before loading it.")));
	/* scale up when fewer decimals were written than the currency has */
	for (frac = Max(frac, 0); frac < exponent && !overflow; frac++)
	{
		if (acc > PG_UINT64_MAX / 10)
			overflow = true;
		else
			acc *= 10;
	}
	if (overflow || acc > (uint64) RR_MONEY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_RR_AMOUNT_OUT_OF_RANGE),
				 errmsg("amount %s in argument \"%s\" is out of range", s, argname),
				 errdetail("Amounts are held as 64-bit counts of the currency's minor unit (at most %lld).",
						   (long long) RR_MONEY_MAX)));
	pfree(s);
	return neg ? -(int64) acc : (int64) acc;
}

Numeric
rr_minor_to_numeric(int64 minor, int exponent)
{
	return int64_div_fast_to_numeric(minor, exponent);
}

int64
rr_add_minor(int64 a, int64 b)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r) || r == PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_RR_AMOUNT_OUT_OF_RANGE),
				 errmsg("sum of amounts is out of range")));
	return r;
}

int64
rr_check_minor(int64 v)
{
	if (v == PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_RR_AMOUNT_OUT_OF_RANGE),
				 errmsg("amount of %lld minor units is out of range", (long long) v)));
	return v;
}

/* revrec._iso_currencies(): the compiled-in table, used to fill revrec.currency. */
PG_FUNCTION_INFO_V1(revrec_iso_currencies);
Datum
revrec_iso_currencies(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < (int) NCURRENCIES; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(currencies[i].code);
		values[1] = Int16GetDatum((int16) currencies[i].exponent);
		values[2] = CStringGetTextDatum(currencies[i].name);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* revrec.to_minor_units(amount numeric, currency text) returns bigint */
PG_FUNCTION_INFO_V1(revrec_to_minor_units);
Datum
revrec_to_minor_units(PG_FUNCTION_ARGS)
{
	char	   *cur;
	int			e;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	cur = text_to_cstring(PG_GETARG_TEXT_PP(1));
	e = rr_currency_exponent(cur, "currency");

	PG_RETURN_INT64(rr_numeric_to_minor(PG_GETARG_NUMERIC(0), e, "amount"));
}

/* revrec.from_minor_units(minor bigint, currency text) returns numeric */
PG_FUNCTION_INFO_V1(revrec_from_minor_units);
Datum
revrec_from_minor_units(PG_FUNCTION_ARGS)
{
	char	   *cur;
	int			e;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	cur = text_to_cstring(PG_GETARG_TEXT_PP(1));
	e = rr_currency_exponent(cur, "currency");

	PG_RETURN_NUMERIC(rr_minor_to_numeric(PG_GETARG_INT64(0), e));
}
