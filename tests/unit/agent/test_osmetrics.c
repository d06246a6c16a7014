/* Unit tests for agent/osmetrics (the /proc parsers, on fixture text) and
 * agent/pglogs (RDS log file names). One live osm_sample on this host
 * checks the RDSOSMetrics shape. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/osmetrics.h"
#include "agent/pglogs.h"
#include "lib/tap.h"
#include "lib/util.h"

static const char STAT[] =
    "cpu  4705 150 1120 16250 520 30 45 7 3 0\n"
    "cpu0 2000 75 500 8000 260 15 20 3 1 0\n"
    "intr 114930548 113199788 3 0 5 263 0 4 [...]\n"
    "ctxt 1990473\nbtime 1062191376\nprocesses 2915\n"
    "procs_running 3\nprocs_blocked 1\n";

static const char MEMINFO[] =
    "MemTotal:        8040648 kB\nMemFree:          327000 kB\nMemAvailable:    4000000 kB\n"
    "Buffers:          120000 kB\nCached:          3000000 kB\nSwapCached:          512 kB\n"
    "Active:          2500000 kB\nInactive:        2000000 kB\nDirty:               640 kB\n"
    "Writeback:            0 kB\nMapped:           400000 kB\nSlab:             300000 kB\n"
    "PageTables:        20000 kB\nSwapTotal:       2097148 kB\nSwapFree:        2000000 kB\n"
    "HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n"
    "HugePages_Surp:        0\nHugepagesize:       2048 kB\n";

static const char DISKSTATS[] =
    "   7       0 loop0 100 0 200 10 0 0 0 0 0 10 10 0 0 0 0\n"
    "   8       0 sda 1000 50 80000 400 2000 100 160000 900 0 1200 1300 0 0 0 0\n"
    "   8       1 sda1 900 50 70000 350 1900 100 150000 850 0 1100 1200 0 0 0 0\n"
    " 259       0 nvme0n1 10 1 800 4 20 2 1600 9 0 12 13 0 0 0 0\n"
    " 259       1 nvme0n1p1 9 1 700 3 19 2 1500 8 0 11 12 0 0 0 0\n";

static const char NETDEV[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
    "    lo: 1234567    1000    0    0    0     0          0         0  1234567    1000    0    0    0     0       0          0\n"
    "  eth0: 98765432   50000    0    0    0     0          0         0 12345678   40000    0    0    0     0       0          0\n";

static void test_parsers(void)
{
    osm_cpu c;
    ok(osm_parse_stat(STAT, &c), "stat parses");
    is_int(c.user, 4705, "stat user");
    is_int(c.idle, 16250, "stat idle");
    is_int(c.steal, 7, "stat steal");
    is_int(c.procs_running, 3, "procs_running");
    is_int(c.procs_blocked, 1, "procs_blocked");
    ok(!osm_parse_stat("intr 1 2 3\n", &c), "stat without a cpu line refused");

    osm_mem m;
    ok(osm_parse_meminfo(MEMINFO, &m), "meminfo parses");
    is_int(m.total, 8040648, "MemTotal");
    is_int(m.cached, 3000000, "Cached (not SwapCached)");
    is_int(m.swap_cached, 512, "SwapCached");
    is_int(m.huge_size, 2048, "Hugepagesize");
    ok(!osm_parse_meminfo("garbage", &m), "meminfo without MemTotal refused");

    double one, five, fifteen;
    ok(osm_parse_loadavg("0.52 0.31 0.20 2/345 6789\n", &one, &five, &fifteen), "loadavg parses");
    ok(one == 0.52 && five == 0.31 && fifteen == 0.20, "loadavg values");
    ok(!osm_parse_loadavg("x", &one, &five, &fifteen), "bad loadavg refused");

    uint64_t in, out;
    ok(osm_parse_vmstat("nr_free_pages 1\npswpin 12\npswpout 34\n", &in, &out), "vmstat parses");
    ok(in == 12 && out == 34, "pswpin/pswpout");

    osm_disk d;
    ok(osm_parse_diskstats(DISKSTATS, &d), "diskstats parses");
    is_int(d.reads, 1010, "whole disks only: sda + nvme0n1 reads (no loop, no partitions)");
    is_int(d.sectors_written, 161600, "sectors written summed");
    is_int(d.ms_doing_io, 1212, "io ms summed");

    osm_iface ifs[4];
    int n = osm_parse_netdev(NETDEV, ifs, 4);
    is_int(n, 2, "two interfaces");
    is_str(ifs[1].name, "eth0", "interface name");
    ok(ifs[1].rx == 98765432 && ifs[1].tx == 12345678, "rx/tx bytes");
    is_int(osm_parse_netdev(NETDEV, ifs, 1), 1, "at most max interfaces");

    osm_proc p;
    ok(osm_parse_pid_stat("4242 (postgres: check) pointer) S 4200 4242 4242 0 -1 4194560 100 0 "
                          "0 0 25 15 0 0 20 0 1 0 500 221000000 3000 18446744073709551615\n",
                          &p), "pid stat with ') ' in the command parses");
    ok(p.pid == 4242 && p.ppid == 4200 && p.state == 'S', "pid, ppid, state");
    is_int(p.cpu_ticks, 40, "utime + stime");
    is_int(p.vsize_bytes, 221000000, "vsize");
    is_int(p.rss_pages, 3000, "rss pages");
    ok(!osm_parse_pid_stat("4242 postgres S 1", &p), "pid stat without parentheses refused");

    char up[64];
    ok(osm_format_uptime("93784.51 1000.00\n", up, sizeof up), "uptime parses");
    is_str(up, "1 day, 02:03:04", "RDS's uptime format");
    osm_format_uptime("172800.0 1\n", up, sizeof up);
    is_str(up, "2 days, 00:00:00", "days plural");
}

static void test_sample(void)
{
    osm_state *s = osm_state_new();
    cJSON *first = osm_sample(s, getpid(), ".");
    ok(first != NULL, "a live sample");
    cJSON_Delete(first);
    cJSON *j = osm_sample(s, getppid(), ".");
    const char *groups[] = {"cpuUtilization", "loadAverageMinute", "memory", "diskIO", "fileSys",
                            "network", "processList", "tasks", "swap", "uptime", "numVCPUs"};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        ok(cJSON_GetObjectItemCaseSensitive(j, groups[i]) != NULL, groups[i]);
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(j, "cpuUtilization");
    double total = cJSON_GetObjectItemCaseSensitive(cpu, "total")->valuedouble;
    ok(total >= 0 && total <= 100, "cpu total within 0..100");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "processList");
    bool me = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
        me = me || cJSON_GetObjectItemCaseSensitive(e, "id")->valueint == getpid();
    ok(me, "processList holds a child of the given pid (this test)");
    cJSON_Delete(j);
    osm_state_free(s);
}

static void test_pglogs_names(void)
{
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"postgresql.log.2026-11-24-06", "error/postgresql.log.2026-11-24-06"},
        {"postgresql.log.1999-01-01-23", "error/postgresql.log.1999-01-01-23"},
        {"postgresql.log.2026-11-24", NULL},
        {"postgresql.log.2026-11-24-06.gz", NULL},
        {"postgresql.log.2026-11-24-6x", NULL},
        {"postmaster.log", NULL},
        {"initdb.log", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[80] = "";
        bool got = pglogs_rds_name(cases[i].file, out, sizeof out);
        if (cases[i].want)
            is_str(got ? out : NULL, cases[i].want, cases[i].file);
        else
            ok(!got, cases[i].file[0] ? cases[i].file : "(empty)");
    }
    char small[10];
    ok(!pglogs_rds_name("postgresql.log.2026-11-24-06", small, sizeof small),
       "a buffer too small is refused");
}

/* Hole 3 of issue 13: log chunks are cut by their size as JSON. */
static void test_pglogs_json(void)
{
    /* Every byte value: our count is what cJSON prints. */
    int bad = 0;
    for (int c = 1; c < 256; c++) {
        char one[2] = {(char)c, 0};
        cJSON *str = cJSON_CreateString(one);
        char *out = cJSON_PrintUnformatted(str);
        if (strlen(out) - 2 != pglogs_json_len(one, 1))
            bad++;
        free(out);
        cJSON_Delete(str);
    }
    ok(bad == 0, "pglogs_json_len counts every byte as cJSON prints it");

    /* The attack: 250,000 control bytes (1.5 MB as JSON) in a line. */
    enum { N = 250000, BUDGET = 512 * 1024 };
    char *line = xmalloc(N + 2);
    memset(line, 1, N);
    line[N] = '\n';
    line[N + 1] = '\0';
    is_int((long long)pglogs_json_len(line, N + 1), 6LL * N + 2, "250,000 x \\u0001: 1.5 MB");
    size_t enc = 0, fit = pglogs_json_fit(line, N + 1, BUDGET, &enc);
    ok(enc <= BUDGET && enc + 6 > BUDGET && fit == BUDGET / 6, "a prefix fills the budget");

    /* Cut into chunks and put back together through cJSON: the same bytes,
     * each chunk's JSON within the budget. */
    const char *mix = "a\"b\\c\x01\x1f\n\t\xc3\xa9z";
    size_t mlen = strlen(mix), total = 0, at = 0;
    char *src = xmalloc(mlen * 1000 + 1), *back = xmalloc(mlen * 1000 + 1);
    for (int i = 0; i < 1000; i++)
        memcpy(src + (size_t)i * mlen, mix, mlen);
    total = mlen * 1000;
    size_t got = 0;
    int chunks = 0, over = 0;
    while (at < total) {
        size_t e = 0, n = pglogs_json_fit(src + at, total - at, 997, &e);
        char *piece = xstrndup(src + at, n);
        cJSON *str = cJSON_CreateString(piece);
        char *out = cJSON_PrintUnformatted(str);
        if (strlen(out) > 997 + 2 || n == 0)
            over++;
        cJSON *parsed = cJSON_Parse(out);
        memcpy(back + got, parsed->valuestring, strlen(parsed->valuestring));
        got += strlen(parsed->valuestring);
        cJSON_Delete(parsed);
        free(out);
        cJSON_Delete(str);
        free(piece);
        at += n;
        chunks++;
        if (n == 0)
            break;
    }
    diag("%d chunks", chunks);
    ok(over == 0 && chunks > 10, "every chunk's JSON fits its budget");
    ok(got == total && memcmp(src, back, total) == 0, "the chunks put together are the bytes");
    free(src);
    free(back);
    free(line);
}

int main(void)
{
    test_parsers();
    test_sample();
    test_pglogs_names();
    test_pglogs_json();
    return done_testing();
}
