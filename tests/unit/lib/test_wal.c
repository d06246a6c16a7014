/* Unit tests for lib/wal (LSNs, segment and history names, pg_basebackup's
 * WAL points, the latest-restorable rule) and lib/rclock's history (region
 * times mapped back to real ones across clock advances). */
#include <stdint.h>
#include <stdlib.h>

#include "lib/rclock.h"
#include "lib/tap.h"
#include "lib/wal.h"

static void lsns(void)
{
    wal_lsn l = 0;
    char buf[24];
    ok(wal_lsn_parse("16/B374D848", &l) && l == 0x16B374D848ULL, "parse 16/B374D848");
    is_str(wal_lsn_format(l, buf, sizeof buf), "16/B374D848", "format it back");
    ok(wal_lsn_parse("0/0", &l) && l == 0, "parse 0/0");
    ok(wal_lsn_parse("ffffffff/ffffffff", &l) && l == UINT64_MAX, "lower-case hex, the maximum");
    ok(!wal_lsn_parse("1/", &l), "no low word");
    ok(!wal_lsn_parse("/1", &l), "no high word");
    ok(!wal_lsn_parse("1/2/3", &l), "two slashes");
    ok(!wal_lsn_parse("123456789/0", &l), "a high word over 8 digits");
    ok(!wal_lsn_parse("G/0", &l), "not hex");
    ok(!wal_lsn_parse(NULL, &l), "NULL");
}

static void names(void)
{
    char buf[32];
    is_str(wal_seg_name(1, 3, buf, sizeof buf), "000000010000000000000003", "segment 3, timeline 1");
    is_str(wal_seg_name(2, 256 + 5, buf, sizeof buf), "000000020000000100000005",
           "segment 261 spans the high word");
    uint32_t tli = 0;
    uint64_t seg = 0;
    is_int(wal_file_parse("000000020000000100000005", NULL, &tli, &seg), WAL_FILE_SEGMENT,
           "a segment");
    ok(tli == 2 && seg == 261, "its timeline and number");
    is_int(wal_file_parse("000000010000000000000003.partial", NULL, &tli, &seg), WAL_FILE_PARTIAL,
           "a partial segment");
    is_int(wal_file_parse("000000010000000000000003.partial.env", ".env", &tli, &seg),
           WAL_FILE_PARTIAL, "a sealed partial segment");
    is_int(wal_file_parse("00000002.history.env", ".env", &tli, &seg), WAL_FILE_HISTORY,
           "a sealed history file");
    ok(tli == 2, "the history's timeline");
    is_int(wal_file_parse("000000010000000000000003.env", NULL, &tli, &seg), WAL_FILE_OTHER,
           "a suffix not asked for");
    is_int(wal_file_parse("0000000100000000000001000", NULL, &tli, &seg), WAL_FILE_OTHER,
           "25 digits");
    is_int(wal_file_parse("000000010000000000000100", NULL, &tli, &seg), WAL_FILE_OTHER,
           "a low word past 255 segments");
    is_int(wal_file_parse("00000001000000000000000g", NULL, &tli, &seg), WAL_FILE_OTHER,
           "lower-case is not PostgreSQL's");
    is_int(wal_file_parse(".lock", NULL, &tli, &seg), WAL_FILE_OTHER, "other files");
    is_int(wal_file_parse("x.env", ".env", &tli, &seg), WAL_FILE_OTHER, "other sealed files");
}

static void basebackup(void)
{
    const char *out = "pg_basebackup: initiating base backup, waiting for checkpoint to complete\n"
                      "pg_basebackup: checkpoint completed\n"
                      "pg_basebackup: write-ahead log start point: 0/2000028 on timeline 3\n"
                      "pg_basebackup: write-ahead log end point: 0/2000100\n"
                      "pg_basebackup: base backup completed\n";
    wal_lsn a = 0, b = 0;
    uint32_t tli = 0;
    ok(wal_basebackup_points(out, &a, &b, &tli), "pg_basebackup --verbose's points");
    ok(a == 0x2000028 && b == 0x2000100 && tli == 3, "start, end and timeline");
    ok(!wal_basebackup_points("pg_basebackup: write-ahead log start point: 0/2000028 on timeline 1\n",
                              &a, &b, &tli),
       "no end point: false");
    ok(!wal_basebackup_points("write-ahead log start point: 0/2 on timeline x\n"
                              "write-ahead log end point: 0/3\n",
                              &a, &b, &tli),
       "a bad timeline: false");
    ok(!wal_basebackup_points("write-ahead log start point: 0/9 on timeline 1\n"
                              "write-ahead log end point: 0/3\n",
                              &a, &b, &tli),
       "an end before the start: false");
    ok(!wal_basebackup_points(NULL, &a, &b, &tli), "NULL: false");
}

static void restorable(void)
{
    wal_sample s[] = {{1000, 100}, {2000, 200}, {3000, 300}};
    is_int(wal_restorable_ms(s, 3, 250, 0), 2000, "sealed 250: the sample at 200");
    is_int(wal_restorable_ms(s, 3, 300, 0), 3000, "sealed exactly the newest sample");
    is_int(wal_restorable_ms(s, 3, 99, 500), 500, "nothing sealed past a sample: the previous");
    is_int(wal_restorable_ms(s, 3, 1000, 5000), 5000, "never back in time");
    is_int(wal_restorable_ms(s, 0, 1000, 7), 7, "no samples");
}

static void clock_history(void)
{
    /* Offset 0 until real 1000, then 100000 (an advance of 100 s), then
     * 300000 from real 5000. */
    rclock_step *h = NULL;
    int n = rclock_history_parse("1000 0 100000\nbad line\n5000 100000 300000\n", &h);
    is_int(n, 2, "two steps, the bad line skipped");
    is_int(rclock_real_to_region(h, n, 300000, 500), 500, "before the first advance");
    is_int(rclock_real_to_region(h, n, 300000, 1000), 101000, "at the first advance");
    is_int(rclock_real_to_region(h, n, 300000, 6000), 306000, "after the second");
    is_int(rclock_region_to_real(h, n, 300000, 500), 500, "region 500 is real 500");
    is_int(rclock_region_to_real(h, n, 300000, 50000), 1000,
           "a region time the clock jumped over is the jump's real instant");
    is_int(rclock_region_to_real(h, n, 300000, 102000), 2000, "between the advances");
    is_int(rclock_region_to_real(h, n, 300000, 200000), 5000, "inside the second jump");
    is_int(rclock_region_to_real(h, n, 300000, 310000), 10000, "after both");
    for (int64_t real = 0; real < 8000; real += 250)
        if (rclock_region_to_real(h, n, 300000, rclock_real_to_region(h, n, 300000, real)) != real)
            ok(false, "real -> region -> real is the identity");
    free(h);
    rclock_step *none = NULL;
    is_int(rclock_history_parse("", &none), 0, "an empty history");
    is_int(rclock_region_to_real(none, 0, 7000, 10000), 3000, "no history: the current offset");
    is_int(rclock_real_to_region(none, 0, 7000, 3000), 10000, "and back");
}

int main(void)
{
    lsns();
    names();
    basebackup();
    restorable();
    clock_history();
    return done_testing();
}
