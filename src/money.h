/*
 * money.h — exact money: ISO 4217 exponents and numeric <-> int64 minor units.
 *
 * Inside revrec every amount is an int64 count of the currency's minor unit
 * (cents, yen, fils).  Conversions refuse, never round: an amount with more
 * decimals than its currency has, an unknown currency, NaN, infinity or a
 * value outside +/-(2^63-1) minor units is an error.
 */
#ifndef REVREC_MONEY_H
#define REVREC_MONEY_H

#include "postgres.h"
#include "utils/numeric.h"

/* Largest magnitude accepted, in minor units (INT64_MIN is excluded so negation is safe). */
#define RR_MONEY_MAX PG_INT64_MAX

/* ISO 4217 exponent of code, or -1 when revrec does not know the currency. */
extern int	rr_currency_exponent_or_neg(const char *code);

/* ISO 4217 exponent of code; ERROR (RV001) when unknown.  argname names the argument. */
extern int	rr_currency_exponent(const char *code, const char *argname);

/* numeric -> minor units; ERROR on NaN/inf, too many decimals (RV002) or overflow (RV003). */
extern int64 rr_numeric_to_minor(Numeric num, int exponent, const char *argname);

/* minor units -> numeric with exactly `exponent` decimals. */
extern Numeric rr_minor_to_numeric(int64 minor, int exponent);

/* Overflow-checked addition for ledger sums. */
extern int64 rr_add_minor(int64 a, int64 b);

/* v itself, or ERROR (RV003) when it is INT64_MIN (whose negation overflows). */
extern int64 rr_check_minor(int64 v);

#endif
