/* labreaders: `rdsctl lab reader-endpoint`, the DNS lab's reader-endpoint
 * lesson (issue 15): clients that cache the reader endpoint's answer all
 * pile onto one reader, and stay on it when it stops.
 *
 *   rdsctl lab reader-endpoint --db-cluster-identifier C --master-user-password PW
 *       [--master-username U] [--connections N] [--stop-seconds S] [--no-stop]
 *       [--json FILE] [--dns-port P]
 *
 * Four client lanes, one thread each, open fresh connections through the
 * cluster's reader endpoint (a CNAME the region's DNS answers in rotation
 * over the readers, TTL 1 s), each asking SELECT host(inet_server_addr())
 * and closing. They differ only in how long they believe a DNS answer
 * (every lookup is a real query to the region's DNS server):
 *   no-cache       never: a lookup per connection;
 *   ttl            the TTL (labclients_cache_expiry's LAB_TTL);
 *   cache-30s      30 s (the JVM's default positive cache);
 *   cache-forever  forever (a JVM with a security manager).
 * Phase 1: each lane opens --connections (default 200) connections, one
 * after another; the lab prints each lane's share per reader.
 * Phase 2 (unless --no-stop): the reader the cache-forever lane is on is
 * stopped (SIGSTOP of its postgres, as `rdsctl chaos`'s hang: its node is
 * found under $RDS_HOME/agents by the address in postmaster.pid, so the
 * lab must run beside the region) and the lanes go on for --stop-seconds
 * (default 10); per lane: connections served by the other reader, failed,
 * and how long after the stop its first connection landed elsewhere.
 * The stopped reader is resumed (SIGCONT) before the report, also on
 * SIGINT/SIGTERM (not on SIGKILL of the lab: then `kill -CONT` it).
 *
 * --json FILE: {"cluster", "reader_endpoint", "ttl", "stopped_reader",
 * "lanes": [{"name", "phase1": {"connections", "failed", "readers":
 * {addr: n}}, "phase2": {... , "moved_after_ms"}}]}.
 *
 * Exit status: 0 when the run completed (what the lanes lived through is
 * the finding); 252 for a bad command line; 255 when it could not start
 * (no such cluster, not available, no DNS answer, no reader to stop). */
#ifndef RDSIM_CLI_LABREADERS_H
#define RDSIM_CLI_LABREADERS_H

#include <stdint.h>

#include "cli/commands.h"

#define LABREADERS_LANES 4
#define LABREADERS_ADDRS 6          /* distinct server addresses counted per phase */
#define LABREADERS_DEFAULT_CONNS 200
#define LABREADERS_DEFAULT_STOP_S 10
#define LABREADERS_CONNECT_TIMEOUT_S 2

/* The lane's name ("no-cache", "ttl", "cache-30s", "cache-forever"). */
const char *labreaders_lane_name(int lane);

/* Until when (mono ms, INT64_MAX: forever) lane believes an answer with
 * ttl_s obtained at now; no-cache: now (the next connection looks up). */
int64_t labreaders_expiry(int lane, int64_t now, uint32_t ttl_s);

/* argv = ["reader-endpoint", flags...]; returns the exit status. */
int labreaders_run(const cli_ctx *ctx, int argc, char **argv);

#endif
