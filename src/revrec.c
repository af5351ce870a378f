/*
 * revrec.c — module entry point: the magic block, _PG_init (settings) and
 * revrec.version().
 */
#include "revrec.h"
#include "export_worker.h"
#include "citus.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	revrec_export_init();
	revrec_citus_init();
}

PG_FUNCTION_INFO_V1(revrec_version);
Datum
revrec_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(REVREC_VERSION));
}
