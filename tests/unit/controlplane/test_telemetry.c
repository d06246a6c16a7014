/* Unit tests for the pure parts of controlplane/logfiles (Marker paging of
 * DownloadDBLogFilePortion, and that a window of at most 1 MB + 1 byte
 * decides every portion exactly as the whole file does) and controlplane/storage (the storage-full,
 * low-storage and autoscaling rule arithmetic). */
#include <stdlib.h>
#include <string.h>

#include "controlplane/domain/logfiles.h"
#include "controlplane/domain/storage.h"
#include "lib/tap.h"
#include "lib/util.h"

static const char LOG[] = "l1\nl2\nl3\nl4\nl5\n";

static void portion(bool has_marker, int64_t marker, int64_t lines, const char *want,
                    bool want_pending, const char *name)
{
    size_t from, to;
    bool pending;
    logfiles_portion(LOG, strlen(LOG), has_marker, marker, lines, &from, &to, &pending);
    char *got = xstrndup(LOG + from, to - from);
    is_str(got, want, name);
    ok(pending == want_pending, name);
    free(got);
}

static void test_portion(void)
{
    portion(true, 0, 2, "l1\nl2\n", true, "marker 0, 2 lines");
    portion(true, 6, 2, "l3\nl4\n", true, "marker 6 continues at line 3");
    portion(true, 12, 2, "l5\n", false, "last page: no more data pending");
    portion(true, 15, 2, "", false, "marker at the end: nothing, not pending");
    portion(true, 99, 2, "", false, "marker past the end: nothing");
    portion(true, 0, 0, LOG, false, "marker without a line count: the rest");
    portion(false, 0, 2, "l4\nl5\n", false, "no marker, 2 lines: the last 2");
    portion(false, 0, 0, LOG, false, "no marker, no count: the whole (short) file");
    portion(false, 0, 99, LOG, false, "more lines asked than exist");
    /* Paging with the returned marker reassembles the file exactly. */
    sbuf all = {0};
    int64_t marker = 0;
    bool pending = true;
    int pages = 0;
    while (pending && pages < 10) {
        size_t from, to;
        logfiles_portion(LOG, strlen(LOG), true, marker, 2, &from, &to, &pending);
        sbuf_append(&all, LOG + from, to - from);
        marker = (int64_t)to;
        pages++;
    }
    is_str(all.data, LOG, "pages put together are the file");
    is_int(pages, 3, "in three pages of two lines");
    sbuf_free(&all);
    /* A partial last line (still being written) is returned too. */
    size_t from, to;
    logfiles_portion("a\nb", 3, true, 0, 5, &from, &to, &pending);
    ok(from == 0 && to == 3 && !pending, "a partial last line is included");
    logfiles_portion("a\nb", 3, false, 0, 1, &from, &to, &pending);
    ok(from == 2 && to == 3, "tail of a file without a final newline");
    /* 1 MB cap. */
    size_t big = LOGFILES_PORTION_MAX * 2;
    char *data = xmalloc(big);
    memset(data, 'x', big);
    for (size_t i = 99; i < big; i += 100)
        data[i] = '\n';
    logfiles_portion(data, big, true, 0, 0, &from, &to, &pending);
    ok(to - from <= LOGFILES_PORTION_MAX && to - from > LOGFILES_PORTION_MAX - 100 && pending,
       "forward reads stop at 1 MB, on a line end");
    ok(data[to - 1] == '\n', "... a whole line");
    logfiles_portion(data, big, false, 0, 100000, &from, &to, &pending);
    ok(to == big && to - from <= LOGFILES_PORTION_MAX, "tail reads are capped at 1 MB too");
    free(data);
    int64_t m;
    ok(logfiles_parse_marker("0", &m) && m == 0, "marker 0");
    ok(logfiles_parse_marker("12345", &m) && m == 12345, "marker 12345");
    ok(!logfiles_parse_marker("-1", &m), "negative marker refused");
    ok(!logfiles_parse_marker("1:2", &m), "marker with junk refused");
    ok(!logfiles_parse_marker("", &m), "empty marker refused");
}

enum { MIB = 1 << 20 };
#define MIN_MS (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)

static storage_in base_in(void)
{
    return (storage_in){.now_ms = 100 * HOUR_MS, .unit_bytes = MIB, .allocated = 100,
                        .max_allocated = 1000, .used_bytes = 50LL * MIB, .available = true,
                        .last_change_ms = 0};
}

static void test_increment(void)
{
    is_int(storage_increment(20, 0, MIB), 5, "small instance: 5 units");
    is_int(storage_increment(100, 0, MIB), 10, "100 units: 10 %");
    is_int(storage_increment(101, 0, MIB), 11, "10 % rounded up");
    is_int(storage_increment(100, 2LL * MIB, MIB), 14, "2 units an hour: 7 h predicted is 14");
    is_int(storage_increment(100, MIB / 2 + 1, MIB), 10, "3.5 units predicted < 10 %");
    is_int(storage_increment(1000, 1LL << 30, 1LL << 30), 100, "GiB units: 10 % wins over 7 GiB");
}

static void test_decide(void)
{
    storage_out o;
    storage_in in = base_in();
    storage_decide(&in, &o);
    ok(!o.emit_low && !o.go_full && !o.grow_to && o.low_since_ms == 0, "half full: nothing");

    in.used_bytes = 91LL * MIB;
    storage_decide(&in, &o);
    ok(o.emit_low && o.warned_low, "91 % used: RDS-EVENT-0089");
    is_int(o.low_since_ms, in.now_ms, "the low episode starts now");
    ok(!o.grow_to, "... but no autoscaling before 5 minutes");

    in.warned_low = true;
    in.low_since_ms = in.now_ms - 4 * MIN_MS;
    storage_decide(&in, &o);
    ok(!o.emit_low && !o.grow_to, "4 low minutes: no repeat warning, no growth");

    in.low_since_ms = in.now_ms - 5 * MIN_MS;
    storage_decide(&in, &o);
    is_int(o.grow_to, 110, "5 low minutes, 100 h since the last change: grow by 10 % to 110");
    ok(o.low_since_ms == 0 && !o.warned_low, "the episode ends with the growth");

    in.last_change_ms = in.now_ms - 5 * HOUR_MS;
    storage_decide(&in, &o);
    ok(!o.grow_to, "only 5 h since the last change: no growth (6-hour cooling-off)");

    in.last_change_ms = 0;
    in.max_allocated = 105;
    storage_decide(&in, &o);
    ok(!o.grow_to && o.emit_cap, "growth past MaxAllocatedStorage: none, RDS-EVENT-0224");
    ok(o.emit_max, "allocation at 95 % of the maximum: RDS-EVENT-0225");
    in.warned_cap = in.warned_max = true;
    storage_decide(&in, &o);
    ok(!o.emit_cap && !o.emit_max, "each warned once");

    in = base_in();
    in.max_allocated = 0;
    in.used_bytes = 95LL * MIB;
    in.low_since_ms = 1;
    storage_decide(&in, &o);
    ok(!o.grow_to, "no MaxAllocatedStorage: no autoscaling");

    in.used_bytes = 100LL * MIB;
    storage_decide(&in, &o);
    ok(o.go_full && !o.leave_full, "used = allocated: storage-full");
    in.available = false;
    in.full = true;
    storage_decide(&in, &o);
    ok(!o.go_full && !o.leave_full, "still full: stays");
    in.allocated = 120;
    storage_decide(&in, &o);
    ok(o.leave_full, "allocation raised over the use: leaves storage-full");

    in = base_in();
    in.max_allocated = 1000;
    in.used_bytes = 100LL * MIB;
    in.low_since_ms = in.now_ms - 10 * MIN_MS;
    storage_decide(&in, &o);
    ok(o.grow_to == 110 && !o.go_full, "full but autoscaling can grow: grow, not storage-full");

    in = base_in();
    in.available = false;
    in.used_bytes = 200LL * MIB;
    storage_decide(&in, &o);
    ok(!o.go_full, "an instance not available (creating, modifying) does not go storage-full");
}

/* A file of `size` bytes whose lines have lengths drawn from {1, 2, 70, 0.4
 * MB, 1.1 MB, 3 MB} (seeded): short lines and lines over the 1 MB cap. */
static char *lines_file(size_t size, unsigned seed)
{
    static const size_t lens[] = {1, 2, 70, 400000, 1100000, 3000000};
    char *d = xmalloc(size + 1);
    size_t at = 0;
    srand(seed);
    while (at < size) {
        size_t n = lens[(size_t)rand() % 6];
        for (size_t k = 0; k + 1 < n && at < size; k++)
            d[at++] = 'x';
        if (at < size)
            d[at++] = '\n';
    }
    d[size] = '\0';
    return d;
}

/* Every request, decided from logfiles_window's bytes only, equals the
 * decision over the whole file (hole 6a: the window is all that is read). */
static void test_window(void)
{
    const size_t size = 9 * 1024 * 1024 + 17;
    int checked = 0, wrong = 0, wide = 0;
    for (unsigned seed = 1; seed <= 6; seed++) {
        char *d = lines_file(size, seed);
        if (seed == 6)
            d[size - 1] = 'x'; /* no final newline */
        const int64_t markers[] = {0, 1, 69, 400000, 1048576, 1048577, 4000000,
                                   (int64_t)size - 2, (int64_t)size, (int64_t)size + 5};
        const int64_t lines[] = {0, 1, 2, 3, 10000};
        for (int hm = 0; hm < 2; hm++)
            for (size_t mi = 0; mi < sizeof markers / sizeof markers[0]; mi++)
                for (size_t li = 0; li < sizeof lines / sizeof lines[0]; li++) {
                    size_t f1, t1;
                    bool p1, p2;
                    logfiles_portion(d, size, hm, markers[mi], lines[li], &f1, &t1, &p1);
                    int64_t off, f2, t2;
                    size_t len;
                    logfiles_window((int64_t)size, hm, markers[mi], &off, &len);
                    if (len > LOGFILES_PORTION_MAX + 1)
                        wide++;
                    logfiles_portion_in(d + off, off, len, (int64_t)size, hm, markers[mi],
                                        lines[li], &f2, &t2, &p2);
                    checked++;
                    if ((int64_t)f1 != f2 || (int64_t)t1 != t2 || p1 != p2) {
                        if (wrong++ < 5)
                            diag("seed %u marker %d:%lld lines %lld: whole [%zu,%zu) %d,"
                                 " window [%lld,%lld) %d", seed, hm, (long long)markers[mi],
                                 (long long)lines[li], f1, t1, p1, (long long)f2,
                                 (long long)t2, p2);
                    }
                }
        free(d);
    }
    diag("%d requests compared", checked);
    ok(wrong == 0, "a window decides every request as the whole file does");
    ok(wide == 0, "no window is wider than 1 MB + 1 byte");
}

int main(void)
{
    test_portion();
    test_window();
    test_increment();
    test_decide();
    return done_testing();
}
