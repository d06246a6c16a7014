/* cwstore: CloudWatch's metric store, in the region's SQLite store.
 *
 * A metric is (namespace, name, dimensions); its dimensions are kept as
 * canonical JSON text (cwstore_dims_canon: [{"Name":..,"Value":..}] sorted
 * by Name, then Value), so one metric has one row whatever order a client
 * sends them in. A point is the statistic set of every value that fell in
 * one period: SampleCount, Sum, Minimum, Maximum, per unit (a unit is not
 * part of a metric's identity in CloudWatch, but a query may filter on it
 * and values of different units never merge).
 *
 * Invariants:
 *  1. Every value is written at the three resolutions at once, in the
 *     caller's transaction: the 60 s, 300 s and 3600 s points whose period
 *     holds its timestamp are merged with it (n and sum add, min and max
 *     fold). So the rollups are always exact, never computed later, and a
 *     crash loses nothing that was committed.
 *  2. Retention is CloudWatch's, on the REGION clock: 60 s points are kept
 *     CWSTORE_KEEP_60 (15 days), 300 s points 63 days, 3600 s points 455
 *     days (cwstore_prune, from the cron). A metric row goes when it has
 *     had no value for 455 days.
 *  3. A query reads one resolution: the finest one that divides its period
 *     and still holds its StartTime (a start older than 15 days reads the
 *     300 s points, older than 63 days the 3600 s ones), as CloudWatch
 *     answers. Timestamps are whole seconds since the epoch.
 *
 * Functions return false (or -1) on a store failure, logged here; callers
 * just return. None opens a transaction: writers run in the caller's. */
#ifndef RDSIM_CWSTORE_H
#define RDSIM_CWSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"

typedef struct store store;
typedef struct cJSON cJSON;

#define CWSTORE_KEEP_60   (15LL * 86400)
#define CWSTORE_KEEP_300  (63LL * 86400)
#define CWSTORE_KEEP_3600 (455LL * 86400)
#define CWSTORE_MAX_DIMS  30
#define CWSTORE_MAX_POINTS 100800 /* a query's bound on the buckets it may return */

/* The statistic set of one period (or of one value: n 1, sum=min=max). */
typedef struct {
    int64_t ts;       /* the period's start, s since the epoch (region clock) */
    char unit[32];    /* "Percent", "None", ... */
    double n, sum, min, max;
} cw_stat;

/* Canonical text of a Dimensions array ([{"Name":..,"Value":..}], NULL or
 * empty: "[]"), malloc'd. NULL (and err set, InvalidParameterValue) when
 * an element is not {Name, Value} strings, a name repeats, there are more
 * than CWSTORE_MAX_DIMS, or a name/value is empty or over 255 bytes
 * (CloudWatch's limits). `what` names the parameter in messages. */
char *cwstore_dims_canon(const cJSON *dims, const char *what, awserr *err);

/* Merges one statistic set at time ts_s (any second: it lands in the
 * period holding it at each resolution) into the metric, creating the
 * metric row if new; last_s of the metric becomes max(last_s, ts_s). In
 * the caller's transaction. */
bool cwstore_put(store *s, const char *ns, const char *name, const char *dims,
                 const cw_stat *v, int64_t ts_s);

/* Statistics of one metric over [start_s, end_s) by period_s, at the
 * resolution of invariant 3 as of now_s; unit NULL: every unit, one
 * entry per (period, unit). Entries ordered by ts then unit, *out
 * malloc'd (NULL when none). Returns the count; -1 with err set:
 * InvalidParameterValue when no kept resolution divides period_s at that
 * start, or the answer would hold more than max_points buckets
 * (checked before reading: (end-start)/period), or the store failed
 * (InternalFailure). A metric that does not exist has no points: 0. */
int cwstore_stats(store *s, const char *ns, const char *name, const char *dims,
                  const char *unit, int64_t start_s, int64_t end_s, int64_t period_s,
                  int64_t now_s, int64_t max_points, cw_stat **out, awserr *err);

/* The resolution invariant 3 reads for (start_s, period_s) as of now_s,
 * or 0 when none fits. */
int64_t cwstore_resolution(int64_t start_s, int64_t period_s, int64_t now_s);

/* One metric of a listing. Strings owned by the list (cwstore_list_free). */
typedef struct {
    int64_t id;
    char *ns, *name, *dims; /* dims: canonical JSON text */
    int64_t last_s;
} cw_metric;

/* Metrics with id > after_id, ordered by id, at most limit, filtered by
 * namespace and name when not NULL, and by last_s >= since_s. Returns the
 * count (*out malloc'd) or -1. */
int cwstore_list(store *s, const char *ns, const char *name, int64_t after_id, int64_t since_s,
                 int limit, cw_metric **out);
void cwstore_list_free(cw_metric *m, int n);

/* Drops what invariant 2 no longer keeps as of now_s. In the caller's
 * transaction (or autocommit). */
bool cwstore_prune(store *s, int64_t now_s);

#endif
