/* pgcounters: see pgcounters.h. */
#include "agent/pgcounters.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

bool pgc_parse_stat(const char *text, pgc_stat *out)
{
    const char *close = text ? strrchr(text, ')') : NULL;
    if (!close || sscanf(text, "%d", &out->pid) != 1)
        return false;
    char state;
    int ppid;
    unsigned long long ut, st;
    long long cut, cst, rss;
    /* After "(comm) ": 3 state 4 ppid ... 14 utime 15 stime 16 cutime
     * 17 cstime ... 24 rss. */
    if (sscanf(close + 1,
               " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %*d %*d "
               "%*u %*u %lld",
               &state, &ppid, &ut, &st, &cut, &cst, &rss) != 7)
        return false;
    out->ppid = ppid;
    out->ticks = ut + st;
    out->child_ticks = (uint64_t)(cut > 0 ? cut : 0) + (uint64_t)(cst > 0 ? cst : 0);
    out->rss_pages = rss;
    return true;
}

bool pgc_parse_io(const char *text, pgc_io *out)
{
    static const char *const keys[] = {"read_bytes:", "write_bytes:", "syscr:", "syscw:"};
    uint64_t *dst[] = {&out->rbytes, &out->wbytes, &out->syscr, &out->syscw};
    for (int i = 0; i < 4; i++) {
        const char *p = text ? strstr(text, keys[i]) : NULL;
        /* "read_bytes:" must not match inside "cancelled_write_bytes:". */
        while (p && p != text && p[-1] != '\n')
            p = strstr(p + 1, keys[i]);
        unsigned long long v;
        if (!p || sscanf(p + strlen(keys[i]), " %llu", &v) != 1)
            return false;
        *dst[i] = v;
    }
    return true;
}

static char *pgc_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = xmalloc(4096);
    size_t n = fread(buf, 1, 4095, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static bool pgc_proc(pid_t pid, pgc_stat *st, pgc_io *io)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *t = pgc_file(path);
    bool ok = t && pgc_parse_stat(t, st);
    free(t);
    if (!ok)
        return false;
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    t = pgc_file(path);
    if (!t || !pgc_parse_io(t, io))
        memset(io, 0, sizeof *io);
    free(t);
    return true;
}

cJSON *pgc_read(pid_t pmpid)
{
    pgc_stat pm;
    pgc_io pio;
    if (pmpid <= 0 || !pgc_proc(pmpid, &pm, &pio))
        return NULL;
    uint64_t ticks = pm.ticks + pm.child_ticks;
    int64_t rss = pm.rss_pages;
    pgc_io sum = pio;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid == pmpid)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        char *t = pgc_file(path);
        pgc_stat st;
        bool child = t && pgc_parse_stat(t, &st) && st.ppid == pmpid;
        free(t);
        pgc_io io;
        if (!child || !pgc_proc(pid, &st, &io))
            continue;
        ticks += st.ticks;
        rss += st.rss_pages;
        sum.rbytes += io.rbytes;
        sum.wbytes += io.wbytes;
        sum.syscr += io.syscr;
        sum.syscw += io.syscw;
    }
    if (d)
        closedir(d);
    int64_t avail_kb = -1;
    char *mi = pgc_file("/proc/meminfo");
    const char *p = mi ? strstr(mi, "MemAvailable:") : NULL;
    long long kb;
    if (p && sscanf(p + 13, " %lld", &kb) == 1)
        avail_kb = kb;
    free(mi);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "ticks", (double)ticks);
    cJSON_AddNumberToObject(o, "hz", (double)sysconf(_SC_CLK_TCK));
    cJSON_AddNumberToObject(o, "ncpu", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddNumberToObject(o, "rss", (double)rss * (double)sysconf(_SC_PAGESIZE));
    cJSON_AddNumberToObject(o, "rbytes", (double)sum.rbytes);
    cJSON_AddNumberToObject(o, "wbytes", (double)sum.wbytes);
    cJSON_AddNumberToObject(o, "syscr", (double)sum.syscr);
    cJSON_AddNumberToObject(o, "syscw", (double)sum.syscw);
    if (avail_kb >= 0)
        cJSON_AddNumberToObject(o, "mem_avail", (double)avail_kb * 1024);
    return o;
}
