/* Unit tests for controlplane/obs/pistore: hostile text (1 MB, control
 * bytes, invalid UTF-8, NUL), the SQL id, period validity, defaults and
 * alignment, recording and grouping in a real store, bucketing by period,
 * filters, folding to minutes after an hour and retention. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/store.h"
#include "controlplane/obs/pistore.h"
#include "lib/tap.h"
#include "lib/util.h"

/* Whether s is valid UTF-8 (an independent, simple checker). */
static bool valid_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int n = *u < 0x80 ? 1 : (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3
                : (*u & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || (n == 2 && *u < 0xC2))
            return false;
        for (int i = 1; i < n; i++)
            if ((u[i] & 0xC0) != 0x80)
                return false;
        u += n;
    }
    return true;
}

static void test_text(void)
{
    static const struct {
        const char *name, *in;
        size_t len, max;
        const char *want;
    } cases[] = {
        {"plain ASCII is kept", "SELECT 1", 8, 100, "SELECT 1"},
        {"control bytes are kept (JSON escapes them)", "a\x01\x1b[31m\x7f", 8, 100,
         "a\x01\x1b[31m\x7f"},
        {"valid multibyte is kept", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14, 100,
         "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
        {"a lone continuation byte becomes U+FFFD", "a\x80z", 3, 100, "a\xEF\xBF\xBDz"},
        {"a truncated sequence becomes U+FFFD", "a\xE2\x82", 3, 100,
         "a\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"an overlong NUL becomes U+FFFD twice", "\xC0\x80", 2, 100,
         "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"a surrogate is invalid", "\xED\xA0\x80", 3, 100,
         "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"past U+10FFFF is invalid", "\xF4\x90\x80\x80", 4, 20,
         "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"an embedded NUL becomes U+FFFD", "a\0b", 3, 100, "a\xEF\xBF\xBD"
                                                          "b"},
        {"cut at max - 1 bytes", "abcdef", 6, 4, "abc"},
        {"never inside a character", "ab\xE2\x82\xAC", 5, 5, "ab"},
        {"empty", "", 0, 10, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = pi_text_clean(cases[i].in, cases[i].len, cases[i].max);
        is_str(got, cases[i].want, cases[i].name);
        free(got);
    }
    /* 1 MB of hostile bytes: bounded, valid UTF-8, no NUL inside. */
    size_t n = 1 << 20;
    char *big = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)((i * 131 + 7) % 256);
    char *got = pi_text_clean(big, n, PI_SQL_MAX);
    ok(strlen(got) < PI_SQL_MAX && strlen(got) > PI_SQL_MAX - 8,
       "1 MB of random bytes: kept to just under 64 KiB");
    ok(valid_utf8(got), "... and valid UTF-8");
    char *shown = pi_text_clean(got, strlen(got), PI_SQL_SHORT + 1);
    ok(strlen(shown) <= PI_SQL_SHORT && valid_utf8(shown), "its 4096-byte view is valid too");
    free(shown);
    free(got);
    free(big);
}

static void test_sql_id(void)
{
    char id[41];
    pi_sql_id("123", id);
    /* sha1("123") */
    is_str(id, "40BD001563085FC35165329EA1FF5C5ECBDBBEEF", "sql id: upper-case SHA-1 of the text");
    char id2[41];
    pi_sql_id("-123", id2);
    ok(strcmp(id, id2) != 0, "another query id, another sql id");
}

static void test_periods(void)
{
    static const int64_t good[] = {1, 60, 300, 3600, 86400};
    for (size_t i = 0; i < 5; i++)
        ok(pi_period_valid(good[i]), "a PI period is valid");
    ok(!pi_period_valid(0) && !pi_period_valid(2) && !pi_period_valid(120) &&
           !pi_period_valid(-60) && !pi_period_valid(86401),
       "others are not");
    is_int(pi_period_default(0, 200), 1, "200 s: 1 s points");
    is_int(pi_period_default(0, 201), 60, "201 s: 60 s points");
    is_int(pi_period_default(0, 3600), 60, "an hour: minutes");
    is_int(pi_period_default(0, 86400), 3600, "a day: hours (24 points)");
    is_int(pi_period_default(0, 86400 * 400), 86400, "400 days: days");
    int64_t a, b;
    pi_period_align(1000, 1100, 60, &a, &b);
    ok(a == 960 && b == 1140, "[1000, 1100) by minutes: [960, 1140)");
    pi_period_align(960, 1140, 60, &a, &b);
    ok(a == 960 && b == 1140, "already aligned: unchanged");
    pi_period_align(1001, 1002, 1, &a, &b);
    ok(a == 1001 && b == 1002, "by seconds: unchanged");
    pi_period_align(-30, 30, 60, &a, &b);
    ok(a == -60 && b == 60, "before the epoch: floor and ceiling");
    pi_period_align(100000, 100001, 86400, &a, &b);
    ok(a == 86400 && b == 172800, "a day, aligned on UTC days");
}

static pi_sample smp(const char *type, const char *event, const char *sql, const char *user,
                     int64_t n)
{
    return (pi_sample){(char *)type, (char *)event, (char *)sql, (char *)user,
                       (char *)"10.0.0.1", (char *)"app", n};
}

static int64_t sum_of(pi_row *rows, int n, const char *k0)
{
    int64_t s = 0;
    for (int i = 0; i < n; i++)
        if (!k0 || (rows[i].k[0] && strcmp(rows[i].k[0], k0) == 0))
            s += rows[i].sum;
    return s;
}

static void test_store(store *st)
{
    const char *rid = "db-TEST";
    pi_sample a[] = {smp("CPU", "CPU", "AAA", "app", 2), smp("Timeout", "PgSleep", "BBB", "app", 1),
                     smp("IO", "DataFileRead", "", "bob", 0)};
    ok(store_begin(st), "begin");
    bool okw = true;
    for (int64_t t = 1000; t < 1120; t++)
        okw = okw && pi_store_record(st, rid, t, a, 3);
    /* the same second twice (a sampler restarted): added */
    okw = okw && pi_store_record(st, rid, 1000, a, 1);
    okw = okw && pi_store_record(st, "db-OTHER", 1000, a, 3);
    ok(okw && store_commit(st), "120 seconds recorded");
    okw = store_begin(st) && pi_store_sql_put(st, rid, "BBB", "42", "SELECT pg_sleep($1)") &&
          store_commit(st);
    ok(okw, "a statement stored");
    char *text = NULL, *qid = NULL;
    ok(pi_store_sql_get(st, rid, "BBB", &text, &qid), "and read back");
    is_str(text, "SELECT pg_sleep($1)", "its text");
    is_str(qid, "42", "its query id");
    free(text);
    free(qid);
    ok(!pi_store_sql_get(st, "db-OTHER", "BBB", &text, &qid), "not another instance's");

    pi_row *rows = NULL;
    int n = pi_store_query(st, rid, NULL, 0, NULL, 0, 1000, 1120, 60, &rows);
    is_int(n, 2, "ungrouped by minutes: two buckets");
    is_int(sum_of(rows, n, NULL), 120 * 3 + 2, "every session-second counted once (n 0 skipped)");
    ok(n == 2 && rows[0].bucket == 0 && rows[1].bucket == 1, "bucket numbers from start");
    pi_rows_free(rows, n);

    pi_col by_type[] = {PI_COL_WAIT_TYPE};
    n = pi_store_query(st, rid, by_type, 1, NULL, 0, 1000, 1120, 120, &rows);
    is_int(n, 2, "by wait type over the range: CPU and Timeout (IO had no session)");
    is_int(sum_of(rows, n, "CPU"), 242, "CPU: 2 a second + the repeated second");
    is_int(sum_of(rows, n, "Timeout"), 120, "Timeout: 1 a second");
    pi_rows_free(rows, n);

    pi_col by_event[] = {PI_COL_WAIT_EVENT, PI_COL_WAIT_TYPE};
    n = pi_store_query(st, rid, by_event, 2, NULL, 0, 1000, 1010, 1, &rows);
    is_int(n, 20, "by wait event per second over 10 s: 2 keys x 10");
    ok(n > 0 && rows[0].k[1] != NULL, "both columns read");
    pi_rows_free(rows, n);

    pi_col by_sql[] = {PI_COL_SQL_ID};
    n = pi_store_query(st, rid, by_sql, 1, NULL, 0, 1000, 1120, 120, &rows);
    is_int(n, 2, "by SQL: the session without a query id is left out");
    pi_rows_free(rows, n);

    pi_filter f[] = {{PI_COL_WAIT_TYPE, "Timeout"}};
    n = pi_store_query(st, rid, NULL, 0, f, 1, 1000, 1120, 120, &rows);
    is_int(sum_of(rows, n, NULL), 120, "a filter keeps only its key");
    pi_rows_free(rows, n);
    pi_filter hostile[] = {{PI_COL_USER, "app' OR '1'='1"}};
    n = pi_store_query(st, rid, NULL, 0, hostile, 1, 1000, 1120, 120, &rows);
    is_int(n, 0, "a filter value is data, never SQL");
    pi_rows_free(rows, n);
    n = pi_store_query(st, rid, NULL, 0, NULL, 0, 1050, 1051, 1, &rows);
    is_int(sum_of(rows, n, NULL), 3, "one second: its sessions");
    pi_rows_free(rows, n);

    /* An hour and a bit later: seconds folded into minutes, same sums. */
    ok(store_begin(st) && pi_store_prune(st, rid, 1120 + PI_FINE_SECONDS + 60, 7) &&
           store_commit(st),
       "prune after an hour");
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(store_sqlite(st),
                       "SELECT count(*), sum(span = 60) FROM pi_samples s JOIN pi_keys k ON "
                       "k.id = s.key_id WHERE k.resource_id = 'db-TEST'",
                       -1, &q, NULL);
    sqlite3_step(q);
    is_int(sqlite3_column_int(q, 0), 6, "two keys x three minutes (960, 1020, 1080) left");
    is_int(sqlite3_column_int(q, 1), 6, "all per minute");
    sqlite3_finalize(q);
    n = pi_store_query(st, rid, by_type, 1, NULL, 0, 960, 1200, 240, &rows);
    is_int(sum_of(rows, n, "CPU"), 242, "the sums survive folding");
    pi_rows_free(rows, n);
    n = pi_store_query(st, "db-OTHER", NULL, 0, NULL, 0, 0, 2000, 2000, &rows);
    is_int(sum_of(rows, n, NULL), 3, "another instance's seconds untouched");
    pi_rows_free(rows, n);

    /* Past retention: everything goes, the statement too. */
    ok(store_begin(st) && pi_store_prune(st, rid, 1200 + 8 * 86400, 7) && store_commit(st),
       "prune after 8 days");
    n = pi_store_query(st, rid, NULL, 0, NULL, 0, 0, 4000, 4000, &rows);
    is_int(n, 0, "retention 7 days: no counts left");
    pi_rows_free(rows, n);
    ok(!pi_store_sql_get(st, rid, "BBB", &text, &qid), "the statement went with its keys");
    free(text);
    free(qid);

    ok(store_begin(st) && pi_store_forget(st, "db-OTHER") && store_commit(st), "forget");
    n = pi_store_query(st, "db-OTHER", NULL, 0, NULL, 0, 0, 2000, 2000, &rows);
    is_int(n, 0, "forget drops an instance's counts");
    pi_rows_free(rows, n);
    is_int(pi_store_query(st, rid, NULL, 3, NULL, 0, 0, 1, 1, &rows), -1,
           "three group columns: refused");
}

int main(void)
{
    test_text();
    test_sql_id();
    test_periods();
    char dir[] = "/tmp/rdsim-pistore-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    store *st = store_open(path);
    ok(st != NULL, "a store");
    if (st) {
        test_store(st);
        store_close(st);
    }
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    free(cmd);
    free(path);
    return done_testing();
}
