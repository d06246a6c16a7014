/* osmetrics: Enhanced Monitoring's OS metrics, read from /proc, in the
 * shape RDS publishes to CloudWatch Logs' RDSOSMetrics group.
 *
 * The parsers take the text of one /proc file and are pure (unit-tested
 * on fixture text in tests/unit/agent/test_osmetrics.c). osm_sample reads
 * the files (small, in-memory procfs reads: they do not block the loop in
 * any way that matters) and turns two consecutive readings into rates.
 *
 * A sample has every Linux group RDS documents: general fields,
 * cpuUtilization, loadAverageMinute, memory, tasks, swap, network[],
 * diskIO[], fileSys[], processList[]. instanceID, instanceResourceID and
 * timestamp are left for the controlplane, which knows the instance and
 * owns the region clock. */
#ifndef RDSIM_AGENT_OSMETRICS_H
#define RDSIM_AGENT_OSMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cJSON cJSON;

/* /proc/stat: cumulative jiffies of the "cpu" line, and process counts. */
typedef struct {
    uint64_t user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice;
    int64_t procs_running, procs_blocked;
} osm_cpu;

/* /proc/meminfo, in kB (0 for a missing line). */
typedef struct {
    int64_t total, free, buffers, cached, active, inactive, dirty, writeback, mapped, slab,
        page_tables, swap_cached, swap_total, swap_free, huge_total, huge_free, huge_rsvd,
        huge_surp, huge_size;
} osm_mem;

/* Cumulative counters of the whole disks (loop, ram and partitions left
 * out) from /proc/diskstats. */
typedef struct {
    uint64_t reads, reads_merged, sectors_read, ms_reading;
    uint64_t writes, writes_merged, sectors_written, ms_writing;
    uint64_t ms_doing_io, weighted_ms;
} osm_disk;

#define OSM_MAX_IFACES 16
typedef struct {
    char name[32];
    uint64_t rx, tx; /* bytes */
} osm_iface;

/* One process from /proc/<pid>/stat. */
typedef struct {
    pid_t pid, ppid;
    char state;               /* R S D T Z ... */
    uint64_t cpu_ticks;       /* utime + stime */
    uint64_t vsize_bytes;
    int64_t rss_pages;
} osm_proc;

bool osm_parse_stat(const char *text, osm_cpu *out);
bool osm_parse_meminfo(const char *text, osm_mem *out);
bool osm_parse_loadavg(const char *text, double *one, double *five, double *fifteen);
/* pswpin/pswpout (pages) from /proc/vmstat. */
bool osm_parse_vmstat(const char *text, uint64_t *pswpin, uint64_t *pswpout);
/* Sums whole disks; false when the text has no usable line. */
bool osm_parse_diskstats(const char *text, osm_disk *out);
/* Interfaces from /proc/net/dev; returns how many (at most max). */
int osm_parse_netdev(const char *text, osm_iface *out, int max);
/* A /proc/<pid>/stat line; the command may hold spaces and parentheses. */
bool osm_parse_pid_stat(const char *text, osm_proc *out);
/* "N days, HH:MM:SS" (RDS's uptime format) from /proc/uptime's text. */
bool osm_format_uptime(const char *text, char *out, size_t size);

/* Rates and last readings kept between samples of one node. */
typedef struct osm_state osm_state;

osm_state *osm_state_new(void);
void osm_state_free(osm_state *s);

/* Reads /proc and the file system holding data_dir, and returns one
 * RDSOSMetrics object (caller deletes), with processList holding the
 * postmaster pmpid and its children. Rates are over the time since the
 * previous call on s (the first call's rates are over the time since
 * boot for CPU and zero for counters). NULL only if /proc is unreadable. */
cJSON *osm_sample(osm_state *s, pid_t pmpid, const char *data_dir);

#endif
