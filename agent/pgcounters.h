/* pgcounters: the cumulative OS counters of one node's PostgreSQL, the
 * raw material of its CloudWatch metrics (controlplane/obs/cwcollect.h).
 *
 * A node's processes are its postmaster and the postmaster's children (every
 * backend and auxiliary process is one). Counters, summed over them:
 *   ticks     utime+stime of each, plus the postmaster's cutime+cstime
 *             (the CPU of children it has reaped), clock ticks;
 *   rss       resident bytes now (a gauge);
 *   rbytes, wbytes, syscr, syscw   /proc/<pid>/io: bytes read from and
 *             written to the block layer, and read/write system calls
 *             (the postmaster's own file already holds its reaped
 *             children's, which Linux adds at reaping).
 * A child that exits between two readings and is not yet reaped makes a
 * counter step back; the controlplane clamps such a delta at 0.
 *
 * pgc_parse_stat and pgc_parse_io are pure (tests/unit/agent/
 * test_pgcounters.c). */
#ifndef RDSIM_AGENT_PGCOUNTERS_H
#define RDSIM_AGENT_PGCOUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cJSON cJSON;

typedef struct {
    pid_t pid, ppid;
    uint64_t ticks;       /* utime + stime */
    uint64_t child_ticks; /* cutime + cstime */
    int64_t rss_pages;
} pgc_stat;

typedef struct {
    uint64_t rbytes, wbytes, syscr, syscw;
} pgc_io;

/* A /proc/<pid>/stat line (the command may hold spaces and ')'). */
bool pgc_parse_stat(const char *text, pgc_stat *out);
/* A /proc/<pid>/io file; false when a field is missing. */
bool pgc_parse_io(const char *text, pgc_io *out);

/* {"ticks", "hz", "ncpu", "rss", "rbytes", "wbytes", "syscr", "syscw",
 * "mem_avail"} for the postmaster pmpid (mem_avail: the host's
 * MemAvailable, bytes), caller deletes; NULL when pmpid is not readable. */
cJSON *pgc_read(pid_t pmpid);

#endif
