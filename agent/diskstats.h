/* diskstats: the I/O counters of the block device that holds a node's data
 * directory, the raw material of ReadLatency, WriteLatency and
 * DiskQueueDepth (controlplane/obs/cwcollect.h).
 *
 * The device: the data directory's st_dev, /sys/dev/block/MAJ:MIN's link
 * name (a partition's own name, as /proc/diskstats lists it). This is the
 * HOST's disk, shared by every node on it (as instances sharing one
 * volume): its latency and queue depth are the volume's, not one node's.
 * A file system with no block device (tmpfs, overlay on an anonymous
 * device) has no such line: nothing is sent, nothing published.
 *
 * Counters of the /proc/diskstats line (cumulative since boot):
 *   rd_ios, rd_ms   reads completed, milliseconds spent reading;
 *   wr_ios, wr_ms   writes completed, milliseconds spent writing;
 *   wtd_ms          weighted milliseconds doing I/O (iostat's avgqu-sz is
 *                   its delta over the elapsed milliseconds).
 *
 * dsk_parse is pure (tests/unit/agent/test_diskstats.c). */
#ifndef RDSIM_AGENT_DISKSTATS_H
#define RDSIM_AGENT_DISKSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cJSON cJSON;

typedef struct {
    uint64_t rd_ios, rd_ms, wr_ios, wr_ms, wtd_ms;
} dsk_counters;

/* The line of device `name` in a /proc/diskstats text; false when there is
 * none or it is malformed. */
bool dsk_parse(const char *text, const char *name, dsk_counters *out);

/* The diskstats name of the device holding path into name (size n). */
bool dsk_device(const char *path, char *name, size_t n);

/* {"dev", "rd_ios", "rd_ms", "wr_ios", "wr_ms", "wtd_ms"} for the device
 * holding path, caller deletes; NULL when it cannot be read. */
cJSON *dsk_read(const char *path);

#endif
