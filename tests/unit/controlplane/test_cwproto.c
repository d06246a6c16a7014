/* Unit tests for obs/cwproto (CloudWatch's three wire formats) and
 * obs/cwstore (rollups, retention, statistics), and the replay of the
 * CBOR corpus (fuzz/corpus/cbor): every hostile body is refused with an
 * error or decoded, never a crash (ASan/UBSan builds run this too). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "controlplane/core/store.h"
#include "controlplane/obs/cwproto.h"
#include "controlplane/obs/cwstore.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

static void test_query(void)
{
    const char *body = "Action=GetMetricStatistics&Version=2010-08-01&Namespace=App%2FShop"
                       "&MetricName=L&Dimensions.member.2.Name=B&Dimensions.member.2.Value=2"
                       "&Dimensions.member.1.Name=A&Dimensions.member.1.Value=1"
                       "&StartTime=2026-12-07T15:26:00Z&Period=60&Statistics.member.1=Maximum";
    awserr e = {0};
    params *p = params_parse(body, strlen(body), &e);
    cJSON *o = p ? cwproto_decode_query(p, &e) : NULL;
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    is_str(s ? s : "(null)",
           "{\"Namespace\":\"App/Shop\",\"MetricName\":\"L\",\"Dimensions\":[{\"Name\":\"A\","
           "\"Value\":\"1\"},{\"Name\":\"B\",\"Value\":\"2\"}],\"StartTime\":"
           "\"2026-12-07T15:26:00Z\",\"Period\":\"60\",\"Statistics\":[\"Maximum\"]}",
           "query: lists in index order, Action/Version left out, leaves as text");
    int64_t t = 0, per = 0;
    bool here = false;
    ok(cwreq_time(o, "StartTime", &t, &here, &e) && here && t == 1796657160,
       "query: an ISO 8601 StartTime is read as epoch seconds");
    ok(cwreq_i64(o, "Period", 1, 100, &per, &here, &e) && per == 60, "query: Period from text");
    free(s);
    cJSON_Delete(o);
    params_free(p);
    static const char *const bad[] = {"A.member.0=x", "A.member.x=1", "A=1&A.member.1=2",
                                      "A.member.1=1&A.member.1.B=2", "A.member.100001=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        awserr e2 = {0};
        params *q = params_parse(bad[i], strlen(bad[i]), &e2);
        cJSON *r = q ? cwproto_decode_query(q, &e2) : NULL;
        ok(!r && e2.code == AWSERR_INVALID_PARAMETER_VALUE, bad[i]);
        cJSON_Delete(r);
        params_free(q);
    }
}

static void test_cbor_roundtrip(void)
{
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "Label", "L");
    cJSON *a = cJSON_AddArrayToObject(res, "Timestamps");
    cJSON_AddItemToArray(a, cwproto_time(1704067200));
    cJSON_AddItemToObject(res, "Period", cwproto_int(-60));
    cJSON_AddNumberToObject(res, "Avg", 2.5);
    size_t len = 0;
    const char *ct = NULL;
    uint8_t *b = cwproto_encode(CWPROTO_CBOR, "X", res, "rid", &len, &ct);
    is_str(ct, "application/cbor", "cbor: content type");
    awserr e = {0};
    cJSON *back = cwproto_decode_cbor(b, len, &e);
    char *s = back ? cJSON_PrintUnformatted(back) : NULL;
    is_str(s ? s : "(null)", "{\"Label\":\"L\",\"Timestamps\":[1704067200],\"Period\":-60,\"Avg\":2.5}",
           "cbor: encode then decode (tag 1, negative integer, float64)");
    free(s);
    free(b);
    cJSON_Delete(back);
    b = cwproto_encode(CWPROTO_QUERY, "GetMetricData", res, "rid", &len, &ct);
    ok(strstr((char *)b, "<Timestamps><member>2024-01-01T00:00:00.000Z</member></Timestamps>") &&
           strstr((char *)b, "<Period>-60</Period>"),
       "query: timestamps as ISO 8601, lists as member, integers without fraction");
    free(b);
    cJSON_Delete(res);
    /* The GetMetricStatistics body of RDS-REFERENCE-2 §8.3's first bytes. */
    static const uint8_t gms[] = {0xa2, 0x69, 'S', 't', 'a', 'r', 't', 'T', 'i', 'm', 'e',
                                  0xc1, 0x1a, 0x65, 0x92, 0x00, 0x80, 0x66, 'P', 'e', 'r',
                                  'i', 'o', 'd', 0x18, 0x3c};
    cJSON *o = cwproto_decode_cbor(gms, sizeof gms, &e);
    int64_t t = 0, per = 0;
    ok(o && cwreq_time(o, "StartTime", &t, NULL, &e) && t == 1704067200 &&
           cwreq_i64(o, "Period", 1, 1000, &per, NULL, &e) && per == 60,
       "cbor: botocore's GetMetricStatistics body (tag 1 uint32, Period 60)");
    cJSON_Delete(o);
}

static void test_cbor_hostile(void)
{
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"empty map", "\xa0", 1},
        {"truncated map", "\xa1\x61", 2},
        {"deep arrays", "\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81"
                        "\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x00", 35},
        {"unterminated indefinite", "\x9f\x9f\x9f", 3},
        {"huge length", "\xbb\xff\xff\xff\xff\xff\xff\xff\xff", 9},
        {"huge string", "\x7b\x00\x00\x00\x01\x00\x00\x00\x00", 9},
        {"reserved header", "\xa1\x1c", 2},
        {"stray break", "\xff", 1},
        {"trailing bytes", "\xa0\x00", 2},
        {"non-string key", "\xa1\x01\x02", 3},
        {"byte string value", "\xa1\x61k\x41z", 5},
        {"tag 2", "\xa1\x61k\xc2\x41\x01", 6},
        {"not a map", "\x83\x01\x02\x03", 4},
        {"repeated key", "\xa2\x61k\x01\x61k\x02", 7},
        {"indefinite string key", "\xbf\x7f\x61k\x61l\xff\x01\xff", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        awserr e = {0};
        cJSON *o = cwproto_decode_cbor((const uint8_t *)cases[i].bytes, cases[i].len, &e);
        bool good = o ? e.code == AWSERR_NONE : e.code == AWSERR_INVALID_PARAMETER_VALUE;
        ok(good, cases[i].name);
        cJSON_Delete(o);
    }
}

/* Every file of the corpus decodes or is refused with a message. */
static void test_corpus(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0, bad = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t buf[65536];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        awserr er = {0};
        cJSON *o = cwproto_decode_cbor(buf, len, &er);
        if (!o && (er.code == AWSERR_NONE || !er.message[0]))
            bad++;
        cJSON_Delete(o);
        n++;
    }
    if (d)
        closedir(d);
    ok(n > 0 && bad == 0, "cbor corpus replayed: every body decoded or refused with a message");
    diag("%d corpus files", n);
}

static void test_store(void)
{
    char path[] = "/tmp/test_cwproto.XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    store *st = store_open(path);
    ok(st != NULL, "store opens with the cw tables");
    if (!st)
        return;
    int64_t t0 = 1800000000; /* a multiple of 3600 */
    cw_stat v = {.n = 1, .unit = "Count"};
    for (int i = 0; i < 10; i++) { /* one value a minute, 0..9 */
        v.sum = v.min = v.max = i;
        cwstore_put(st, "N", "M", "[]", &v, t0 + i * 60 + 7);
    }
    cw_stat *o = NULL;
    awserr e = {0};
    int64_t now = t0 + 600;
    int n = cwstore_stats(st, "N", "M", "[]", NULL, t0, t0 + 600, 60, now, 1440, &o, &e);
    ok(n == 10 && o[3].ts == t0 + 180 && o[3].sum == 3, "60 s points: one per minute");
    free(o);
    n = cwstore_stats(st, "N", "M", "[]", NULL, t0, t0 + 600, 300, now, 1440, &o, &e);
    ok(n == 2 && o[0].n == 5 && o[0].sum == 10 && o[1].min == 5 && o[1].max == 9,
       "300 s rollup: SampleCount, Sum, Minimum, Maximum");
    free(o);
    n = cwstore_stats(st, "N", "M", "[]", "Percent", t0, t0 + 600, 60, now, 1440, &o, &e);
    ok(n == 0, "a Unit filter keeps only that unit");
    free(o);
    n = cwstore_stats(st, "N", "M", "[]", NULL, t0, t0 + 86400 * 2, 60, now, 1440, &o, &e);
    ok(n < 0 && e.code == AWSERR_INVALID_PARAMETER_COMBINATION, "more than 1,440 points refused");
    now = t0 + 16 * 86400;
    ok(cwstore_prune(st, now), "prune at 16 days");
    e = (awserr){0};
    n = cwstore_stats(st, "N", "M", "[]", NULL, t0, t0 + 600, 60, now, 1440, &o, &e);
    ok(n < 0 && e.code == AWSERR_INVALID_PARAMETER_VALUE, "16 days later a 60 s period is refused");
    n = cwstore_stats(st, "N", "M", "[]", NULL, t0, t0 + 600, 600, now, 1440, &o, &e);
    ok(n == 1 && o[0].n == 10 && o[0].sum == 45, "16 days later the 300 s points answer");
    free(o);
    now = t0 + 64 * 86400;
    cwstore_prune(st, now);
    n = cwstore_stats(st, "N", "M", "[]", NULL, t0, t0 + 3600, 3600, now, 1440, &o, &e);
    ok(n == 1 && o[0].n == 10, "64 days later the 3600 s point is left");
    free(o);
    cwstore_prune(st, t0 + 456 * 86400);
    cw_metric *m = NULL;
    n = cwstore_list(st, NULL, NULL, 0, 0, 10, &m);
    ok(n == 0, "456 days later the metric is gone");
    cwstore_list_free(m, n);
    cJSON *dims = cJSON_Parse("[{\"Name\":\"b\",\"Value\":\"2\"},{\"Name\":\"a\",\"Value\":\"1\"}]");
    char *c = cwstore_dims_canon(dims, "Dimensions", &e);
    is_str(c ? c : "(null)", "[{\"Name\":\"a\",\"Value\":\"1\"},{\"Name\":\"b\",\"Value\":\"2\"}]",
           "dimensions canonical: sorted by name");
    free(c);
    cJSON_Delete(dims);
    dims = cJSON_Parse("[{\"Name\":\"a\",\"Value\":\"1\"},{\"Name\":\"a\",\"Value\":\"2\"}]");
    e = (awserr){0};
    ok(!cwstore_dims_canon(dims, "Dimensions", &e) && e.code == AWSERR_INVALID_PARAMETER_VALUE,
       "a repeated dimension name is refused");
    cJSON_Delete(dims);
    store_close(st);
    unlink(path);
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static void test_gunzip(void)
{
    const char *json = "{\"Namespace\":\"A\"}";
    uint8_t gz[256];
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)(uintptr_t)json;
    z.avail_in = (uInt)strlen(json);
    z.next_out = gz;
    z.avail_out = sizeof gz;
    deflate(&z, Z_FINISH);
    size_t n = sizeof gz - z.avail_out;
    deflateEnd(&z);
    uint8_t *out = NULL;
    size_t len = 0;
    awserr e = {0};
    ok(cwproto_gunzip(gz, n, &out, &len, &e) && len == strlen(json) &&
           memcmp(out, json, len) == 0,
       "gzip: a compressed body inflates");
    free(out);
    ok(!cwproto_gunzip((const uint8_t *)json, strlen(json), &out, &len, &e) &&
           e.code == AWSERR_INVALID_PARAMETER_VALUE,
       "gzip: a body that is not gzip is refused");
    /* A bomb: 4 MiB of zeros compress to a few KiB and must be refused. */
    size_t big = 4u << 20;
    uint8_t *zeros = calloc(1, big), *bomb = malloc(big);
    uLongf blen = big;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = zeros;
    z.avail_in = (uInt)big;
    z.next_out = bomb;
    z.avail_out = (uInt)blen;
    deflate(&z, Z_FINISH);
    blen = blen - z.avail_out;
    deflateEnd(&z);
    e = (awserr){0};
    ok(!cwproto_gunzip(bomb, blen, &out, &len, &e) && strstr(e.message, "1 MiB"),
       "gzip: a body inflating past 1 MiB is refused");
    free(zeros);
    free(bomb);
}

int main(void)
{
    test_gunzip();
    log_set_level(LOG_LEVEL_WARN);
    test_query();
    test_cbor_roundtrip();
    test_cbor_hostile();
    test_corpus("fuzz/corpus/cbor");
    test_store();
    return done_testing();
}
