/*
 * flush.c — the commit-time trigger that posts what a transaction queued.
 *
 * revrec._flush_trigger() is the deferred constraint trigger on
 * revrec.pending_flush: at commit it runs revrec.flush() (which orchestrates
 * the posting engines, src/post_*.c).  A document refused there (a credit
 * over what is left, usage over its line, an invoice issued without lines,
 * a lock) reaches the client as the engine's own error, message, detail and
 * hint, without the dozen lines of revrec's internal SQL that would
 * otherwise be printed as its CONTEXT; internal errors (SQLSTATE class XX)
 * keep their context for whoever debugs them.
 */
#include "revrec.h"
#include "post_emit.h"
#include "citus.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(revrec_flush_trigger);
Datum
revrec_flush_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *tg = (TriggerData *) fcinfo->context;
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("revrec._flush_trigger() must be called as a trigger")));
	if (RelationGetNamespace(tg->tg_relation) != get_namespace_oid("revrec", false))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("revrec's trigger functions fire only on revrec's own tables")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "revrec: SPI_connect failed");
	if (rr_citus_active())
	{
		/*
		 * on a distributed revrec: the ids and references of the last
		 * statements, then every worker posts its shard groups
		 * (src/citus_shard.c); their activity rows are logged here
		 */
		rr_citus_internal = true;
		rr_citus_commit();
		rr_citus_internal = false;
	}
	else if (rr_spi_execute_user_error("SELECT revrec.flush()", false) != SPI_OK_SELECT)
		elog(ERROR, "revrec: the flush failed");
	SPI_finish();
	rr_citus_flushed();			/* a later write in this transaction arms it again */
	return PointerGetDatum(NULL);
}

