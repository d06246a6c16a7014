/* osmetrics: /proc readers and the RDSOSMetrics sample. See osmetrics.h.
 *
 * Field names and units follow the AWS "OS metrics in Enhanced Monitoring"
 * table: memory and swap sizes in KB, rates per second, percentages 0..100,
 * diskIO aggregated into one "rdsdev" device as RDS shows its volume. */
#include "agent/osmetrics.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/util.h"

enum { PROC_FILE_MAX = 1 << 20, MAX_TRACKED = 256 };

/* ---- parsers (pure) ------------------------------------------------------ */

bool osm_parse_stat(const char *text, osm_cpu *out)
{
    memset(out, 0, sizeof *out);
    bool cpu = false;
    for (const char *line = text; line && *line;) {
        if (strncmp(line, "cpu ", 4) == 0) {
            unsigned long long v[10] = {0};
            int n = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                           &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
            if (n >= 4) {
                *out = (osm_cpu){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
                                 out->procs_running, out->procs_blocked};
                cpu = true;
            }
        } else if (strncmp(line, "procs_running ", 14) == 0) {
            out->procs_running = strtoll(line + 14, NULL, 10);
        } else if (strncmp(line, "procs_blocked ", 14) == 0) {
            out->procs_blocked = strtoll(line + 14, NULL, 10);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return cpu;
}

bool osm_parse_meminfo(const char *text, osm_mem *out)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"MemTotal", offsetof(osm_mem, total)},         {"MemFree", offsetof(osm_mem, free)},
        {"Buffers", offsetof(osm_mem, buffers)},        {"Cached", offsetof(osm_mem, cached)},
        {"Active", offsetof(osm_mem, active)},          {"Inactive", offsetof(osm_mem, inactive)},
        {"Dirty", offsetof(osm_mem, dirty)},            {"Writeback", offsetof(osm_mem, writeback)},
        {"Mapped", offsetof(osm_mem, mapped)},          {"Slab", offsetof(osm_mem, slab)},
        {"PageTables", offsetof(osm_mem, page_tables)}, {"SwapCached", offsetof(osm_mem, swap_cached)},
        {"SwapTotal", offsetof(osm_mem, swap_total)},   {"SwapFree", offsetof(osm_mem, swap_free)},
        {"HugePages_Total", offsetof(osm_mem, huge_total)},
        {"HugePages_Free", offsetof(osm_mem, huge_free)},
        {"HugePages_Rsvd", offsetof(osm_mem, huge_rsvd)},
        {"HugePages_Surp", offsetof(osm_mem, huge_surp)},
        {"Hugepagesize", offsetof(osm_mem, huge_size)},
    };
    memset(out, 0, sizeof *out);
    for (const char *line = text; line && *line;) {
        const char *colon = strchr(line, ':');
        const char *nl = strchr(line, '\n');
        if (colon && (!nl || colon < nl)) {
            size_t klen = (size_t)(colon - line);
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                if (strlen(keys[i].key) == klen && strncmp(line, keys[i].key, klen) == 0)
                    *(int64_t *)((char *)out + keys[i].off) = strtoll(colon + 1, NULL, 10);
        }
        line = nl ? nl + 1 : NULL;
    }
    return out->total > 0;
}

bool osm_parse_loadavg(const char *text, double *one, double *five, double *fifteen)
{
    return sscanf(text, "%lf %lf %lf", one, five, fifteen) == 3;
}

bool osm_parse_vmstat(const char *text, uint64_t *pswpin, uint64_t *pswpout)
{
    int found = 0;
    *pswpin = *pswpout = 0;
    for (const char *line = text; line && *line;) {
        unsigned long long v;
        if (sscanf(line, "pswpin %llu", &v) == 1) {
            *pswpin = v;
            found++;
        } else if (sscanf(line, "pswpout %llu", &v) == 1) {
            *pswpout = v;
            found++;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return found == 2;
}

/* A whole disk: not loop/ram/zram/dm, and not a partition (sda1, nvme0n1p1). */
static bool whole_disk(const char *name)
{
    if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0 ||
        strncmp(name, "zram", 4) == 0 || strncmp(name, "dm-", 3) == 0 ||
        strncmp(name, "sr", 2) == 0 || strncmp(name, "fd", 2) == 0)
        return false;
    if (strncmp(name, "nvme", 4) == 0 || strncmp(name, "mmcblk", 6) == 0)
        return strchr(name + 4, 'p') == NULL;
    size_t n = strlen(name);
    return n > 0 && !isdigit((unsigned char)name[n - 1]);
}

bool osm_parse_diskstats(const char *text, osm_disk *out)
{
    memset(out, 0, sizeof *out);
    bool any = false;
    for (const char *line = text; line && *line;) {
        unsigned maj, min;
        char name[64];
        unsigned long long v[11];
        int n = sscanf(line, "%u %u %63s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                       &maj, &min, name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                       &v[8], &v[9], &v[10]);
        if (n == 14 && whole_disk(name)) {
            out->reads += v[0];
            out->reads_merged += v[1];
            out->sectors_read += v[2];
            out->ms_reading += v[3];
            out->writes += v[4];
            out->writes_merged += v[5];
            out->sectors_written += v[6];
            out->ms_writing += v[7];
            out->ms_doing_io += v[9];
            out->weighted_ms += v[10];
            any = true;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return any;
}

int osm_parse_netdev(const char *text, osm_iface *out, int max)
{
    int n = 0;
    for (const char *line = text; line && *line && n < max;) {
        const char *colon = strchr(line, ':');
        const char *nl = strchr(line, '\n');
        if (colon && (!nl || colon < nl)) {
            const char *p = line;
            while (*p == ' ')
                p++;
            size_t len = (size_t)(colon - p);
            unsigned long long v[9];
            if (len > 0 && len < sizeof out[n].name &&
                sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
                memcpy(out[n].name, p, len);
                out[n].name[len] = '\0';
                out[n].rx = v[0];
                out[n].tx = v[8];
                n++;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

bool osm_parse_pid_stat(const char *text, osm_proc *out)
{
    memset(out, 0, sizeof *out);
    const char *rp = strrchr(text, ')');
    if (!rp || rp[1] != ' ')
        return false;
    int pid = atoi(text);
    char state;
    int ppid;
    unsigned long long utime, stime, vsize;
    long long rss;
    /* Fields after "(comm) ": 3 state, 4 ppid, ... 14 utime, 15 stime, ...
     * 23 vsize, 24 rss. */
    int n = sscanf(rp + 2,
                   "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
                   "%*u %llu %lld",
                   &state, &ppid, &utime, &stime, &vsize, &rss);
    if (n != 6 || pid <= 0)
        return false;
    *out = (osm_proc){pid, ppid, state, utime + stime, vsize, rss};
    return true;
}

bool osm_format_uptime(const char *text, char *out, size_t size)
{
    double up;
    if (sscanf(text, "%lf", &up) != 1 || up < 0)
        return false;
    long long s = (long long)up;
    long long days = s / 86400;
    snprintf(out, size, "%lld day%s, %02lld:%02lld:%02lld", days, days == 1 ? "" : "s",
             s % 86400 / 3600, s % 3600 / 60, s % 60);
    return true;
}

/* ---- sampling ----------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    uint64_t ticks;
} tracked;

struct osm_state {
    bool primed;
    int64_t at_ms;
    osm_cpu cpu;
    osm_disk disk;
    osm_iface ifaces[OSM_MAX_IFACES];
    int nifaces;
    uint64_t pswpin, pswpout;
    tracked procs[MAX_TRACKED];
    int nprocs;
};

osm_state *osm_state_new(void)
{
    return xcalloc(1, sizeof(osm_state));
}

void osm_state_free(osm_state *s)
{
    free(s);
}

static char *read_proc(const char *path)
{
    size_t len;
    return fs_read_all(path, PROC_FILE_MAX, &len);
}

static double rate(uint64_t now, uint64_t before, double secs)
{
    return now >= before && secs > 0 ? (double)(now - before) / secs : 0;
}

static double round2(double v)
{
    return (double)(int64_t)(v * 100 + (v >= 0 ? 0.5 : -0.5)) / 100;
}

static void add_num(cJSON *o, const char *k, double v)
{
    cJSON_AddNumberToObject(o, k, round2(v));
}

static void add_cpu(cJSON *root, const osm_cpu *now, const osm_cpu *before)
{
    double d[9];
    uint64_t cur[9] = {now->user, now->nice, now->system, now->idle, now->iowait,
                       now->irq + now->softirq, now->steal, now->guest, 0};
    uint64_t old[9] = {before->user, before->nice, before->system, before->idle, before->iowait,
                       before->irq + before->softirq, before->steal, before->guest, 0};
    double total = 0;
    for (int i = 0; i < 7; i++) { /* guest is already counted in user */
        d[i] = cur[i] >= old[i] ? (double)(cur[i] - old[i]) : 0;
        total += d[i];
    }
    d[7] = cur[7] >= old[7] ? (double)(cur[7] - old[7]) : 0;
    cJSON *c = cJSON_AddObjectToObject(root, "cpuUtilization");
    double pc = total > 0 ? 100.0 / total : 0;
    add_num(c, "guest", d[7] * pc);
    add_num(c, "idle", d[3] * pc);
    add_num(c, "irq", d[5] * pc);
    add_num(c, "nice", d[1] * pc);
    add_num(c, "steal", d[6] * pc);
    add_num(c, "system", d[2] * pc);
    add_num(c, "total", total > 0 ? 100.0 - d[3] * pc : 0);
    add_num(c, "user", d[0] * pc);
    add_num(c, "wait", d[4] * pc);
}

static void add_memory_swap(cJSON *root, const osm_mem *m, uint64_t in_pages, uint64_t out_pages,
                            const osm_state *s, double secs)
{
    cJSON *o = cJSON_AddObjectToObject(root, "memory");
    add_num(o, "active", (double)m->active);
    add_num(o, "buffers", (double)m->buffers);
    add_num(o, "cached", (double)m->cached);
    add_num(o, "dirty", (double)m->dirty);
    add_num(o, "free", (double)m->free);
    add_num(o, "hugePagesFree", (double)m->huge_free);
    add_num(o, "hugePagesRsvd", (double)m->huge_rsvd);
    add_num(o, "hugePagesSize", (double)m->huge_size);
    add_num(o, "hugePagesSurp", (double)m->huge_surp);
    add_num(o, "hugePagesTotal", (double)m->huge_total);
    add_num(o, "inactive", (double)m->inactive);
    add_num(o, "mapped", (double)m->mapped);
    add_num(o, "pageTables", (double)m->page_tables);
    add_num(o, "slab", (double)m->slab);
    add_num(o, "total", (double)m->total);
    add_num(o, "writeback", (double)m->writeback);
    double page_kb = (double)sysconf(_SC_PAGESIZE) / 1024;
    cJSON *w = cJSON_AddObjectToObject(root, "swap");
    add_num(w, "cached", (double)m->swap_cached);
    add_num(w, "free", (double)m->swap_free);
    add_num(w, "in", s->primed ? rate(in_pages, s->pswpin, secs) * page_kb : 0);
    add_num(w, "out", s->primed ? rate(out_pages, s->pswpout, secs) * page_kb : 0);
    add_num(w, "total", (double)m->swap_total);
}

static void add_disk(cJSON *root, const osm_disk *d, const osm_state *s, double secs)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "diskIO");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    const osm_disk *b = &s->disk;
    bool p = s->primed;
    double rios = p ? rate(d->reads, b->reads, secs) : 0;
    double wios = p ? rate(d->writes, b->writes, secs) : 0;
    double rkb = p ? rate(d->sectors_read, b->sectors_read, secs) / 2 : 0;
    double wkb = p ? rate(d->sectors_written, b->sectors_written, secs) / 2 : 0;
    double ios = p ? (double)(d->reads + d->writes - b->reads - b->writes) : 0;
    double io_ms = p ? (double)(d->ms_reading + d->ms_writing - b->ms_reading - b->ms_writing) : 0;
    double sectors = p ? (double)(d->sectors_read + d->sectors_written - b->sectors_read -
                                  b->sectors_written) : 0;
    add_num(o, "avgQueueLen", p ? rate(d->weighted_ms, b->weighted_ms, secs) / 1000 : 0);
    add_num(o, "avgReqSz", ios > 0 ? sectors / 2 / ios : 0);
    add_num(o, "await", ios > 0 ? io_ms / ios : 0);
    cJSON_AddStringToObject(o, "device", "rdsdev");
    add_num(o, "readIOsPS", rios);
    add_num(o, "readKb", p ? (double)(d->sectors_read - b->sectors_read) / 2 : 0);
    add_num(o, "readKbPS", rkb);
    add_num(o, "rrqmPS", p ? rate(d->reads_merged, b->reads_merged, secs) : 0);
    add_num(o, "tps", rios + wios);
    double util = p ? rate(d->ms_doing_io, b->ms_doing_io, secs) / 10 : 0;
    add_num(o, "util", util > 100 ? 100 : util);
    add_num(o, "writeIOsPS", wios);
    add_num(o, "writeKb", p ? (double)(d->sectors_written - b->sectors_written) / 2 : 0);
    add_num(o, "writeKbPS", wkb);
    add_num(o, "wrqmPS", p ? rate(d->writes_merged, b->writes_merged, secs) : 0);
}

static void add_network(cJSON *root, const osm_iface *now, int n, const osm_state *s,
                        double secs)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "network");
    for (int i = 0; i < n; i++) {
        const osm_iface *old = NULL;
        for (int j = 0; j < s->nifaces && !old; j++)
            if (strcmp(s->ifaces[j].name, now[i].name) == 0)
                old = &s->ifaces[j];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "interface", now[i].name);
        add_num(o, "rx", old && s->primed ? rate(now[i].rx, old->rx, secs) : 0);
        add_num(o, "tx", old && s->primed ? rate(now[i].tx, old->tx, secs) : 0);
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_filesys(cJSON *root, const char *data_dir)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "fileSys");
    struct statvfs v;
    if (statvfs(data_dir, &v) != 0)
        return;
    double kb = (double)v.f_frsize / 1024;
    double total = (double)v.f_blocks * kb, used = (double)(v.f_blocks - v.f_bfree) * kb;
    double files_used = (double)(v.f_files - v.f_ffree);
    cJSON *o = cJSON_CreateObject();
    add_num(o, "maxFiles", (double)v.f_files);
    cJSON_AddStringToObject(o, "mountPoint", "/rdsdbdata");
    cJSON_AddStringToObject(o, "name", "rdsfilesys");
    add_num(o, "total", total);
    add_num(o, "used", used);
    add_num(o, "usedFilePercent", v.f_files ? files_used * 100 / (double)v.f_files : 0);
    add_num(o, "usedFiles", files_used);
    add_num(o, "usedPercent", total > 0 ? used * 100 / total : 0);
    cJSON_AddItemToArray(arr, o);
}

static uint64_t tracked_ticks(const osm_state *s, pid_t pid, bool *found)
{
    for (int i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid) {
            *found = true;
            return s->procs[i].ticks;
        }
    *found = false;
    return 0;
}

/* The process's command line with NULs as spaces ("postgres: checkpointer"). */
static char *proc_name(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    size_t len = 0;
    char *t = fs_read_all(path, 4096, &len);
    if (!t)
        return xstrdup("?");
    for (size_t i = 0; i < len; i++)
        if (t[i] == '\0')
            t[i] = ' ';
    while (len > 0 && t[len - 1] == ' ')
        t[--len] = '\0';
    return t;
}

/* One pass over /proc: task counts of the host and the node's processes. */
static void add_tasks_procs(cJSON *root, const osm_state *s, pid_t pmpid, const osm_mem *m,
                            double cpu_jiffies, tracked *next, int *nnext)
{
    int64_t running = 0, sleeping = 0, blocked = 0, stopped = 0, zombie = 0, total = 0;
    cJSON *list = cJSON_CreateArray();
    double page_kb = (double)sysconf(_SC_PAGESIZE) / 1024;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        char *t = read_proc(path);
        osm_proc p;
        bool ok = t && osm_parse_pid_stat(t, &p);
        free(t);
        if (!ok)
            continue;
        total++;
        switch (p.state) {
        case 'R': running++; break;
        case 'D': blocked++; break;
        case 'T': case 't': stopped++; break;
        case 'Z': zombie++; break;
        default: sleeping++; break;
        }
        if (pmpid <= 0 || (p.pid != pmpid && p.ppid != pmpid) || *nnext >= MAX_TRACKED)
            continue;
        bool seen;
        uint64_t before = tracked_ticks(s, p.pid, &seen);
        next[(*nnext)++] = (tracked){p.pid, p.cpu_ticks};
        cJSON *o = cJSON_CreateObject();
        char *name = proc_name(p.pid);
        cJSON_AddStringToObject(o, "name", name);
        free(name);
        cJSON_AddNumberToObject(o, "id", p.pid);
        cJSON_AddNumberToObject(o, "parentID", p.ppid);
        cJSON_AddNumberToObject(o, "tgid", p.pid);
        double used = seen && cpu_jiffies > 0 && p.cpu_ticks >= before
                          ? (double)(p.cpu_ticks - before) * 100 / cpu_jiffies : 0;
        add_num(o, "cpuUsedPc", used);
        double rss_kb = (double)p.rss_pages * page_kb;
        add_num(o, "memoryUsedPc", m->total > 0 ? rss_kb * 100 / (double)m->total : 0);
        add_num(o, "rss", rss_kb);
        add_num(o, "vss", (double)p.vsize_bytes / 1024);
        cJSON_AddItemToArray(list, o);
    }
    if (d)
        closedir(d);
    cJSON *tk = cJSON_AddObjectToObject(root, "tasks");
    cJSON_AddNumberToObject(tk, "blocked", (double)blocked);
    cJSON_AddNumberToObject(tk, "running", (double)running);
    cJSON_AddNumberToObject(tk, "sleeping", (double)sleeping);
    cJSON_AddNumberToObject(tk, "stopped", (double)stopped);
    cJSON_AddNumberToObject(tk, "total", (double)total);
    cJSON_AddNumberToObject(tk, "zombie", (double)zombie);
    cJSON_AddItemToObject(root, "processList", list);
}

static void add_general(cJSON *root)
{
    cJSON_AddStringToObject(root, "engine", "POSTGRES");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cJSON_AddNumberToObject(root, "numVCPUs", n > 0 ? (double)n : 1);
    char *up = read_proc("/proc/uptime");
    char buf[64] = "0 days, 00:00:00";
    if (up)
        osm_format_uptime(up, buf, sizeof buf);
    free(up);
    cJSON_AddStringToObject(root, "uptime", buf);
    cJSON_AddNumberToObject(root, "version", 1.0);
}

cJSON *osm_sample(osm_state *s, pid_t pmpid, const char *data_dir)
{
    char *stat = read_proc("/proc/stat"), *mem = read_proc("/proc/meminfo");
    char *load = read_proc("/proc/loadavg"), *vm = read_proc("/proc/vmstat");
    char *disk = read_proc("/proc/diskstats"), *net = read_proc("/proc/net/dev");
    osm_cpu cpu;
    osm_mem m;
    cJSON *root = NULL;
    if (!stat || !mem || !osm_parse_stat(stat, &cpu) || !osm_parse_meminfo(mem, &m))
        goto done;
    int64_t now = mono_ms();
    double secs = s->primed ? (double)(now - s->at_ms) / 1000 : 0;
    root = cJSON_CreateObject();
    add_general(root);
    osm_cpu zero = {0};
    add_cpu(root, &cpu, s->primed ? &s->cpu : &zero);
    double one = 0, five = 0, fifteen = 0;
    if (load)
        osm_parse_loadavg(load, &one, &five, &fifteen);
    cJSON *la = cJSON_AddObjectToObject(root, "loadAverageMinute");
    add_num(la, "fifteen", fifteen);
    add_num(la, "five", five);
    add_num(la, "one", one);
    uint64_t in = 0, out = 0;
    if (vm)
        osm_parse_vmstat(vm, &in, &out);
    add_memory_swap(root, &m, in, out, s, secs);
    osm_disk dk = {0};
    if (disk)
        osm_parse_diskstats(disk, &dk);
    add_disk(root, &dk, s, secs);
    osm_iface ifs[OSM_MAX_IFACES];
    int nif = net ? osm_parse_netdev(net, ifs, OSM_MAX_IFACES) : 0;
    add_network(root, ifs, nif, s, secs);
    add_filesys(root, data_dir);
    /* Process CPU is a share of all CPUs' jiffies over the same period. */
    uint64_t all = cpu.user + cpu.nice + cpu.system + cpu.idle + cpu.iowait + cpu.irq +
                   cpu.softirq + cpu.steal;
    uint64_t all_before = s->cpu.user + s->cpu.nice + s->cpu.system + s->cpu.idle +
                          s->cpu.iowait + s->cpu.irq + s->cpu.softirq + s->cpu.steal;
    tracked *next = xcalloc(MAX_TRACKED, sizeof *next);
    int nnext = 0;
    add_tasks_procs(root, s, pmpid, &m,
                    s->primed && all > all_before ? (double)(all - all_before) : 0, next, &nnext);
    memcpy(s->procs, next, sizeof(tracked) * (size_t)nnext);
    s->nprocs = nnext;
    free(next);
    s->cpu = cpu;
    s->disk = dk;
    memcpy(s->ifaces, ifs, sizeof(osm_iface) * (size_t)nif);
    s->nifaces = nif;
    s->pswpin = in;
    s->pswpout = out;
    s->at_ms = now;
    s->primed = true;
done:
    free(stat);
    free(mem);
    free(load);
    free(vm);
    free(disk);
    free(net);
    return root;
}
