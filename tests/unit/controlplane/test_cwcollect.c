/* cwcollect with a real store: a node's first reading primes the rates,
 * the minute closes a real minute later or, once the region clock was
 * advanced past a minute boundary, at the next reading (at least
 * CWCOLLECT_MIN_ELAPSED_MS of real time after the previous one); an
 * advance inside one minute closes nothing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/health.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwcollect.h"
#include "controlplane/obs/cwstore.h"
#include "lib/tap.h"
#include "lib/util.h"

#define ALLOC 1000000

static region r;

/* One reading of node n1 (primary of instance i1) in a transaction. */
static void reading(double ticks, int64_t data_bytes)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"data_bytes\":%lld,\"pgc\":{\"ticks\":%g,\"rbytes\":0,\"wbytes\":0,"
             "\"syscr\":0,\"syscw\":0,\"hz\":100,\"ncpu\":1,\"mem_avail\":4096}}",
             (long long)data_bytes, ticks);
    cJSON *e = cJSON_Parse(json);
    ok(e && store_begin(r.st), "a reading");
    cwcollect_node(&r, "i1", "db.t3.micro", "postgres", ALLOC, "n1", true, e);
    store_commit(r.st);
    cJSON_Delete(e);
}

/* The FreeStorageSpace points (no dimension) of the last hour: how many,
 * the newest one's minimum and start in *v and *ts. */
static int fss(double *v, int64_t *ts)
{
    int64_t now = region_now_ms(&r) / 1000;
    cw_stat *st = NULL;
    awserr err = {0};
    int n = cwstore_stats(r.st, "AWS/RDS", "FreeStorageSpace", "[]", NULL, now - 3600,
                          now + 60, 60, now, 100, &st, &err);
    if (n > 0) {
        *v = st[n - 1].min;
        *ts = st[n - 1].ts;
    }
    free(st);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/rdsim-cwcollect-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *db = xasprintf("%s/cp.db", dir);
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.home = dir;
    r.st = store_open(db);
    ok(r.st != NULL, "store");
    r.health = health_new(&r, (health_config){.interval_ms = 1000, .timeout_ms = 1000});
    r.cw = cwcollect_new();
    /* The region clock 20 s into a minute. */
    r.clock_offset_ms = 20000 - region_now_ms(&r) % 60000;
    double v = 0;
    int64_t ts = 0;

    reading(0, 1000);
    is_int(fss(&v, &ts), 0, "the first reading primes the rates: no point");
    reading(10, 1000);
    is_int(fss(&v, &ts), 0, "a second reading in the same real minute: no point");

    r.clock_offset_ms += 1000; /* 21 s into the same minute */
    usleep((CWCOLLECT_MIN_ELAPSED_MS + 100) * 1000);
    reading(20, 1000);
    is_int(fss(&v, &ts), 0, "the clock advanced inside one minute: no point");

    r.clock_offset_ms += 60000;
    reading(30, 3000);
    is_int(fss(&v, &ts), 1, "advanced past a minute: the next reading closes it");
    ok(v == ALLOC - 3000, "FreeStorageSpace: allocated minus the data's size");
    is_int(ts, region_now_ms(&r) / 60000 * 60, "stamped in the region clock's new minute");

    r.clock_offset_ms += 60000;
    reading(40, 4000);
    is_int(fss(&v, &ts), 1, "advanced again at once: no point without real time elapsed");
    usleep((CWCOLLECT_MIN_ELAPSED_MS + 100) * 1000);
    reading(50, 5000);
    is_int(fss(&v, &ts), 2, "... and a second later the next reading closes that minute");
    ok(v == ALLOC - 5000, "its FreeStorageSpace is the new reading's");

    usleep((CWCOLLECT_MIN_ELAPSED_MS + 100) * 1000);
    reading(60, 6000);
    is_int(fss(&v, &ts), 2, "no advance since: the next reading closes nothing");

    cwcollect_free(r.cw);
    health_free(r.health);
    store_close(r.st);
    char *cmd = xasprintf("rm -rf %s", dir);
    ok(system(cmd) == 0, "temp dir removed");
    free(cmd);
    free(db);
    return done_testing();
}
