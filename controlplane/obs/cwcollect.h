/* cwcollect: the AWS/RDS metrics of every instance, from real measurements
 * of its nodes, one point a minute (real time between readings, stamped on
 * the REGION clock).
 *
 * Sources (what is measured, honestly):
 *   agent counters (agent/pgcounters.h, every 10 s in the node's telemetry;
 *   the node's postmaster and its children):
 *     CPUUtilization    CPU ticks / elapsed / online CPUs, Percent
 *     ReadIOPS/WriteIOPS  read/write system calls per second (/proc/<pid>/io
 *                       syscr/syscw: no per-node block-device count exists)
 *     ReadThroughput/WriteThroughput  block-layer bytes per second
 *                       (read_bytes/write_bytes)
 *     FreeableMemory    the host's MemAvailable (nodes share the host)
 *   agent disk counters (agent/diskstats.h, "disk" in "pgc": /proc/diskstats
 *   of the block device holding the node's data directory). This is the
 *   HOST's disk, shared by every node on it, as instances sharing one
 *   volume: its figures are the volume's, not the node's own I/O.
 *     ReadLatency       Δ(ms spent reading) / Δ(reads completed), Seconds;
 *     WriteLatency      the same for writes; an interval with no read
 *                       (write) publishes 0, as CloudWatch does for an
 *                       idle volume;
 *     DiskQueueDepth    Δ(weighted ms doing I/O) / Δ(elapsed ms), Count
 *                       (iostat's avgqu-sz); the elapsed time is the
 *                       controlplane's between readings, within the 10 s
 *                       cadence of the agent's.
 *   Not published when the data directory is on no block device.
 *   agent data size (data_bytes):
 *     FreeStorageSpace  AllocatedStorage minus the data directory's size
 *   the controlplane's health probe (core/health.h, every 15 s):
 *     DatabaseConnections, TransactionLogsDiskUsage (pg_wal),
 *     MaximumUsedTransactionIDs, OldestReplicationSlotLag (when a slot
 *     exists), ReplicaLag (any node in recovery, under its instance).
 *   agent socket counters (agent/sockdiag.h, "net" in "pgc": sampled every
 *   second through netlink inet_diag, the TCP sockets whose local address
 *   is the node's, i.e. the connections its postmaster serves):
 *     NetworkReceiveThroughput   Δ(tcpi_bytes_received) / elapsed, Bytes/Second
 *     NetworkTransmitThroughput  Δ(tcpi_bytes_acked) / elapsed, Bytes/Second
 *   a closed socket counts the bytes of its last sample; lost: a connection
 *   opened and closed within one second.
 * Not published: BurstBalance/CPUCredit* (no burst model).
 *
 * Only the instance's primary feeds its metrics, except ReplicaLag. Each
 * value goes to the metric with DBInstanceIdentifier and to the
 * aggregates by DatabaseClass, by EngineName and without dimension.
 * A minute closes a real minute after the node's previous reading, or at
 * the node's next reading (every 10 s) once the region clock was advanced
 * (AdvanceRegionClock, `rdsctl clock advance`) past a minute boundary:
 * the point is then stamped in the new region minute, its rates still
 * computed over the real time elapsed (at least CWCOLLECT_MIN_ELAPSED_MS).
 * Memory only: the last reading of each node (a restart loses one
 * minute); the points are in the store (cwstore.h). */
#ifndef RDSIM_CWCOLLECT_H
#define RDSIM_CWCOLLECT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cJSON cJSON;
typedef struct region region;
typedef struct cwcollect cwcollect;

#define CWCOLLECT_PERIOD_MS 60000
#define CWCOLLECT_MIN_ELAPSED_MS 1000

cwcollect *cwcollect_new(void);
void cwcollect_free(cwcollect *c);

/* One node's telemetry entry (its "pgc" and "data_bytes"), in the
 * caller's transaction: writes the instance's points when a minute has
 * passed since the node's previous reading, or when the region clock was
 * advanced past a minute boundary since then. */
void cwcollect_node(region *r, const char *instance_id, const char *db_class,
                    const char *engine, int64_t allocated_bytes, const char *node_id,
                    bool primary, const cJSON *entry);

/* From the cron: drops expired points (cwstore_prune) once per region
 * minute. */
void cwcollect_tick(region *r);

#endif
