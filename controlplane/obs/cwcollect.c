/* cwcollect: see cwcollect.h. */
#include "controlplane/obs/cwcollect.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/health.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwstore.h"
#include "lib/log.h"
#include "lib/util.h"

#define CW_MAX_NODES 256
#define CW_NS "AWS/RDS"

typedef struct {
    char node_id[96];
    int64_t mono_ms;             /* when the anchor reading was taken, 0: none */
    double ticks, rbytes, wbytes, syscr, syscw;
    double rd_ios, rd_ms, wr_ios, wr_ms, wtd_ms; /* the host disk's, -1: none */
    double net_rx, net_tx;                       /* the node's TCP bytes, -1: none */
    int64_t data_bytes;          /* last seen, -1: none */
    int64_t rclock_offset_ms;    /* the region clock's offset at the anchor reading */
    int64_t rminute;             /* the region-clock minute of the anchor reading */
} cw_anchor;

struct cwcollect {
    int n;
    cw_anchor a[CW_MAX_NODES];
    int64_t last_prune_s;
};

cwcollect *cwcollect_new(void)
{
    return xcalloc(1, sizeof(cwcollect));
}

void cwcollect_free(cwcollect *c)
{
    free(c);
}

static cw_anchor *cw_anchor_get(cwcollect *c, const char *node_id)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->a[i].node_id, node_id) == 0)
            return &c->a[i];
    if (c->n == CW_MAX_NODES)
        c->n = 0; /* more nodes than a region holds: start over, losing a minute */
    cw_anchor *a = &c->a[c->n++];
    memset(a, 0, sizeof *a);
    snprintf(a->node_id, sizeof a->node_id, "%s", node_id);
    a->data_bytes = -1;
    a->rd_ios = a->wtd_ms = a->net_rx = a->net_tx = -1;
    return a;
}

static double cw_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

typedef struct {
    region *r;
    char *dims[4];
    int ndims;
    int64_t ts;
    bool ok;
} cw_out;

static char *cw_dims1(const char *name, const char *value)
{
    cJSON *a = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Name", name);
    cJSON_AddStringToObject(o, "Value", value);
    cJSON_AddItemToArray(a, o);
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

static void cw_emit(cw_out *o, const char *metric, const char *unit, double v)
{
    if (v < 0 || !o->ok)
        return;
    cw_stat s = {.n = 1, .sum = v, .min = v, .max = v};
    snprintf(s.unit, sizeof s.unit, "%s", unit);
    for (int i = 0; i < o->ndims && o->ok; i++)
        o->ok = cwstore_put(o->r->st, CW_NS, metric, o->dims[i], &s, o->ts);
}

static double cw_delta(double now, double before)
{
    return now >= before && before >= 0 ? now - before : 0;
}

/* True when the region clock was advanced (AdvanceRegionClock) past a
 * minute boundary since the anchor reading: that minute is over on the
 * region clock, so it closes now rather than a real minute later. Rates
 * stay honest (over the real elapsed time), hence at least a second of it. */
static bool cw_clock_closed(const region *r, const cw_anchor *a, int64_t rminute, int64_t now)
{
    return r->clock_offset_ms != a->rclock_offset_ms && rminute > a->rminute &&
           now - a->mono_ms >= CWCOLLECT_MIN_ELAPSED_MS;
}

/* The host disk's latencies and queue depth over the interval, from two
 * diskstats readings (both needed: -1 is "none"). No I/O in the interval
 * publishes 0 latency, as CloudWatch does for an idle volume. */
static void cw_disk(cw_out *o, const cw_anchor *a, double el, double rd, double rdm, double wr,
                    double wrm, double wtd)
{
    if (rd < 0 || a->rd_ios < 0 || rdm < 0 || wr < 0 || wrm < 0 || wtd < 0 || a->wtd_ms < 0 ||
        el <= 0)
        return;
    double n = cw_delta(rd, a->rd_ios), ms = cw_delta(rdm, a->rd_ms);
    cw_emit(o, "ReadLatency", "Seconds", n > 0 ? ms / n / 1000.0 : 0);
    n = cw_delta(wr, a->wr_ios), ms = cw_delta(wrm, a->wr_ms);
    cw_emit(o, "WriteLatency", "Seconds", n > 0 ? ms / n / 1000.0 : 0);
    cw_emit(o, "DiskQueueDepth", "Count", cw_delta(wtd, a->wtd_ms) / (el * 1000.0));
}

void cwcollect_node(region *r, const char *instance_id, const char *db_class,
                    const char *engine, int64_t allocated_bytes, const char *node_id,
                    bool primary, const cJSON *entry)
{
    if (!r->cw)
        return;
    cw_anchor *a = cw_anchor_get(r->cw, node_id);
    double db = cw_num(entry, "data_bytes");
    if (db >= 0)
        a->data_bytes = (int64_t)db;
    const cJSON *pgc = cJSON_GetObjectItemCaseSensitive(entry, "pgc");
    if (!cJSON_IsObject(pgc))
        return;
    int64_t now = mono_ms();
    int64_t rminute = region_now_ms(r) / 60000;
    double ticks = cw_num(pgc, "ticks"), rb = cw_num(pgc, "rbytes"), wb = cw_num(pgc, "wbytes");
    double cr = cw_num(pgc, "syscr"), cw = cw_num(pgc, "syscw");
    const cJSON *dk = cJSON_GetObjectItemCaseSensitive(pgc, "disk");
    double dr = cw_num(dk, "rd_ios"), drm = cw_num(dk, "rd_ms"), dw = cw_num(dk, "wr_ios");
    double dwm = cw_num(dk, "wr_ms"), dq = cw_num(dk, "wtd_ms");
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(pgc, "net");
    double nrx = cw_num(net, "rx"), ntx = cw_num(net, "tx");
    if (a->mono_ms == 0 || now - a->mono_ms > 10 * CWCOLLECT_PERIOD_MS) {
        a->mono_ms = now; /* the first reading (or one after a long gap) primes the rates */
        a->ticks = ticks, a->rbytes = rb, a->wbytes = wb, a->syscr = cr, a->syscw = cw;
        a->rclock_offset_ms = r->clock_offset_ms, a->rminute = rminute;
        a->rd_ios = dr, a->rd_ms = drm, a->wr_ios = dw, a->wr_ms = dwm, a->wtd_ms = dq;
        a->net_rx = nrx, a->net_tx = ntx;
        return;
    }
    if (now - a->mono_ms < CWCOLLECT_PERIOD_MS - 5000 && !cw_clock_closed(r, a, rminute, now))
        return;
    double el = (double)(now - a->mono_ms) / 1000.0;
    cw_out o = {.r = r, .ts = region_now_ms(r) / 1000, .ok = true};
    o.dims[o.ndims++] = cw_dims1("DBInstanceIdentifier", instance_id);
    o.dims[o.ndims++] = cw_dims1("DatabaseClass", db_class);
    o.dims[o.ndims++] = cw_dims1("EngineName", engine);
    o.dims[o.ndims++] = xstrdup("[]");
    const node_health *h = health_get(r->health, node_id);
    bool fresh = h && h->up && h->pgm_ms > 0 && now - h->pgm_ms < 2 * CWCOLLECT_PERIOD_MS;
    if (primary) {
        double hz = cw_num(pgc, "hz"), ncpu = cw_num(pgc, "ncpu");
        if (hz > 0 && ncpu > 0)
            cw_emit(&o, "CPUUtilization", "Percent",
                    cw_delta(ticks, a->ticks) / hz / el / ncpu * 100.0);
        cw_emit(&o, "FreeableMemory", "Bytes", cw_num(pgc, "mem_avail"));
        if (a->data_bytes >= 0 && allocated_bytes > 0)
            cw_emit(&o, "FreeStorageSpace", "Bytes",
                    (double)(allocated_bytes > a->data_bytes ? allocated_bytes - a->data_bytes : 0));
        cw_emit(&o, "ReadIOPS", "Count/Second", cw_delta(cr, a->syscr) / el);
        cw_emit(&o, "WriteIOPS", "Count/Second", cw_delta(cw, a->syscw) / el);
        cw_emit(&o, "ReadThroughput", "Bytes/Second", cw_delta(rb, a->rbytes) / el);
        cw_emit(&o, "WriteThroughput", "Bytes/Second", cw_delta(wb, a->wbytes) / el);
        cw_disk(&o, a, el, dr, drm, dw, dwm, dq);
        if (nrx >= 0 && ntx >= 0 && a->net_rx >= 0 && a->net_tx >= 0) {
            cw_emit(&o, "NetworkReceiveThroughput", "Bytes/Second", cw_delta(nrx, a->net_rx) / el);
            cw_emit(&o, "NetworkTransmitThroughput", "Bytes/Second", cw_delta(ntx, a->net_tx) / el);
        }
        if (fresh) {
            cw_emit(&o, "DatabaseConnections", "Count", (double)h->pgm_conns);
            cw_emit(&o, "TransactionLogsDiskUsage", "Bytes", (double)h->pgm_wal_bytes);
            cw_emit(&o, "MaximumUsedTransactionIDs", "Count", (double)h->pgm_xid_age);
            cw_emit(&o, "OldestReplicationSlotLag", "Bytes", (double)h->pgm_slot_lag);
        }
    }
    if (h && h->up && h->in_recovery && h->replay_lag_ms >= 0)
        cw_emit(&o, "ReplicaLag", "Seconds", (double)h->replay_lag_ms / 1000.0);
    if (!o.ok)
        LOG_WARN("cloudwatch points not written instance=%s node=%s", instance_id, node_id);
    for (int i = 0; i < o.ndims; i++)
        free(o.dims[i]);
    a->mono_ms = now;
    a->ticks = ticks, a->rbytes = rb, a->wbytes = wb, a->syscr = cr, a->syscw = cw;
    a->rclock_offset_ms = r->clock_offset_ms, a->rminute = rminute;
    a->rd_ios = dr, a->rd_ms = drm, a->wr_ios = dw, a->wr_ms = dwm, a->wtd_ms = dq;
    a->net_rx = nrx, a->net_tx = ntx;
}

void cwcollect_tick(region *r)
{
    if (!r->cw)
        return;
    int64_t now = region_now_ms(r) / 1000;
    if (now - r->cw->last_prune_s < 60)
        return;
    r->cw->last_prune_s = now;
    if (!cwstore_prune(r->st, now))
        LOG_WARN("cloudwatch prune failed");
}
