/*
 * keyhash.h — dynahash tables keyed by a byte string of any length.
 *
 * dynahash wants fixed-size keys; revrec's report and log keys are several
 * text fields joined into one byte string.  An entry starts with an RrKey
 * (pointer + length); the table hashes and compares the bytes it points to,
 * and a new entry gets its own copy of the key in the given context.
 */
#ifndef REVREC_KEYHASH_H
#define REVREC_KEYHASH_H

#include "postgres.h"
#include "utils/hsearch.h"

typedef struct RrKey
{
	char	   *data;
	int			len;
} RrKey;

/* entrysize: size of the entry struct, whose first member is an RrKey */
extern HTAB *rr_key_table(const char *name, Size entrysize, MemoryContext cxt);

/* Find or insert the entry for key bytes data[0..len); *found says which. */
extern void *rr_key_enter(HTAB *h, const char *data, int len, MemoryContext cxt, bool *found);

#endif
