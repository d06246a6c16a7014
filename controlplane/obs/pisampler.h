/* pisampler: Performance Insights' one-second sampler.
 *
 * For every instance with Performance Insights on, once a second, one
 * query of pg_stat_activity on its primary node (active client backends:
 * wait event, query id, user, client address, database; "CPU" when a
 * session waits on nothing), recorded through obs/pistore.h at the region
 * clock's second, with the text of each query id not seen before, from
 * pg_stat_statements.
 *
 * Each instance has one PERSISTENT non-blocking libpq connection
 * (PQconnectStartParams/PQconnectPoll, PQsendQuery/PQconsumeInput on the
 * region's event loop; nothing blocks it), as rdsadmin over TCP from
 * 127.0.0.1 like core/health.c's probes, with search_path pg_catalog (no
 * object the tenant owns is ever resolved). It follows the instance's
 * primary: after a failover the old connection is closed and the new
 * primary is sampled. A second whose query has not answered is skipped,
 * never queued. Once a minute each instance's counts are folded and
 * pruned (pistore.h, retention PerformanceInsightsRetentionPeriod days on
 * the region clock).
 *
 * pg_stat_statements: the agent preloads it on every node (with
 * compute_query_id on, so pg_stat_activity.query_id joins its queryid);
 * on its first connection to a primary the sampler creates the extension
 * in database postgres, in a schema rdsadmin_pi that rdsadmin owns (never
 * in one the tenant could have made first: then the text falls back to
 * pg_stat_activity.query). Tenants create it in their own databases as on
 * RDS. */
#ifndef RDSIM_PISAMPLER_H
#define RDSIM_PISAMPLER_H

typedef struct region region;
typedef struct pisampler pisampler;

/* A sampler on r's event loop, its one-second timer started. */
pisampler *pisampler_new(region *r);
/* Closes every connection and frees s (NULL is fine). */
void pisampler_free(pisampler *s);

#endif
