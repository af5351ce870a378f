/*
 * keyhash.c — dynahash tables keyed by a byte string (see keyhash.h).
 */
#include "keyhash.h"

#include "common/hashfn.h"

static uint32
key_hash(const void *key, Size keysize)
{
	const RrKey *k = (const RrKey *) key;

	return hash_bytes((const unsigned char *) k->data, k->len);
}

static int
key_match(const void *a, const void *b, Size keysize)
{
	const RrKey *x = (const RrKey *) a;
	const RrKey *y = (const RrKey *) b;

	return (x->len == y->len && memcmp(x->data, y->data, x->len) == 0) ? 0 : 1;
}

HTAB *
rr_key_table(const char *name, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(RrKey);
	ctl.entrysize = entrysize;
	ctl.hash = key_hash;
	ctl.match = key_match;
	ctl.hcxt = cxt;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

void *
rr_key_enter(HTAB *h, const char *data, int len, MemoryContext cxt, bool *found)
{
	RrKey		k;
	RrKey	   *e;

	k.data = (char *) data;
	k.len = len;
	e = (RrKey *) hash_search(h, &k, HASH_ENTER, found);
	if (!*found)
	{
		e->data = MemoryContextAlloc(cxt, len);
		memcpy(e->data, data, len);
		e->len = len;
	}
	return e;
}
