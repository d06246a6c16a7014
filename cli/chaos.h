/* chaos: `rdsctl chaos`, the chaos harness of issue 3 — injects faults
 * into a Multi-AZ instance one after another while writers run through
 * its endpoint, measures each failover, and checks that no acknowledged
 * write was lost and that no fenced node acknowledged one.
 *
 *   rdsctl chaos --db-instance-identifier X | --db-cluster-identifier C
 *       --master-user-password PW
 *       [--master-username U] [--faults N] [--seed S] [--writers W]
 *       [--kinds crash,host,hang,cpkill,forced] [--json FILE]
 *       [--timeout-per-fault S] [--interval-ms MS] [--dns-port P]
 *
 * With --db-cluster-identifier the instance is a Multi-AZ DB cluster: the
 * writers go through its cluster endpoint, the faults hit its writer's
 * node, forced is FailoverDBCluster, 0073/0071 (db-cluster) stand for
 * 0013/0049, and recovery is the cluster available again after 0071 with
 * a reader replaying a write made after it (the same checker follows).
 *
 * Faults (on the node the endpoint resolves to; see cli/README.md):
 *   crash   SIGKILL of the primary's postmaster;
 *   host    SIGKILL of the primary's agent and of its postgres (process
 *           group); once failed over, `scripts/region.sh up` brings the
 *           host back and the old node rejoins as the standby;
 *   hang    SIGSTOP of the primary's postgres; SIGCONT once failed over
 *           (the resumed node must be fenced);
 *   cpkill  SIGKILL of the primary's postmaster, then of the controlplane
 *           as soon as RDS-EVENT-0013 (failover started) appears, then
 *           `scripts/region.sh up`: the failover must still converge;
 *   forced  reboot-db-instance --force-failover.
 * Network faults (namespace mode only, RDSIM_NET=netns; the writers then
 * run on the clients' host and resolve through the gateway's DNS):
 *   partition-primary    the primary's host cut from the controlplane and
 *                        the standby's host (region.sh partition), clients
 *                        still reaching it; healed after the failover;
 *   partition-standby    the standby's host cut likewise; healed once sync
 *                        is relaxed (RDS-EVENT-0052); no failover;
 *   partition-controlplane  the root namespace cut from every host (the
 *                        bridge's uplink down) for a hold; no failover;
 *   az-outage            the primary's AZ host off the bridge (netcut);
 *                        healed after the failover;
 *   flap                 the primary's host off the bridge for 300 ms, far
 *                        below detection; no failover expected (one that
 *                        happens must be clean);
 *   partition-relaxed    partition-standby until sync is relaxed, then the
 *                        primary partitioned too for a hold: no failover
 *                        (nothing is promotable), the primary keeps
 *                        acknowledging; both healed.
 * After each fault the harness waits (--timeout-per-fault) for
 * RDS-EVENT-0053 (standby synchronous again) newer than the fault with the
 * instance available and Multi-AZ, then goes on.
 *
 * Measured per fault, in seconds from the fault: detection (RDS-EVENT-0013's
 * Date), writable again (first insert acknowledged by another node, from a
 * probe connected straight to the other node's address), DNS flipped (first
 * answer naming another address; DNS is polled every 15 ms), failover
 * completed (RDS-EVENT-0049), client-observed downtime (last writer ack on
 * the old primary to first writer ack on another node — writers honour the
 * TTL), and recovery (RDS-EVENT-0053). Times are wall clock; event Dates
 * are the region clock's, taken back to the wall clock with the offset
 * DescribeRegionClock reports at the start (do not advance the clock
 * during a run).
 *
 * Exit status: 0 when every fault recovered, no acknowledged write is
 * missing and no fenced node acknowledged a write; 1 otherwise; 252 for a
 * bad command line; 255 when the run could not start. */
#ifndef RDSIM_CLI_CHAOS_H
#define RDSIM_CLI_CHAOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/commands.h"
#include "cli/workload.h"
#include "lib/util.h"

typedef enum {
    CHAOS_CRASH,
    CHAOS_HOST,
    CHAOS_HANG,
    CHAOS_CPKILL,
    CHAOS_FORCED,
    /* Network faults: namespace mode only (chaos_kind_netns). */
    CHAOS_PARTITION_PRIMARY,
    CHAOS_PARTITION_STANDBY,
    CHAOS_PARTITION_CP,
    CHAOS_AZ_OUTAGE,
    CHAOS_FLAP,
    CHAOS_PARTITION_RELAXED,
    CHAOS_LATENCY,
    CHAOS_LOSS,
    CHAOS_NKINDS,
} chaos_kind;

#define CHAOS_ALL_KINDS ((1u << CHAOS_NKINDS) - 1)
/* The default --kinds: the kinds that work in both network modes. */
#define CHAOS_PROCESS_KINDS ((1u << CHAOS_PARTITION_PRIMARY) - 1)
#define CHAOS_NETWORK_KINDS (CHAOS_ALL_KINDS & ~CHAOS_PROCESS_KINDS)

/* true for a kind that cuts the network (needs namespace mode). */
bool chaos_kind_netns(chaos_kind k);
#define CHAOS_MAX_FAULTS 10000

/* "crash", "host", ... */
const char *chaos_kind_name(chaos_kind k);

/* Parses a comma-separated list of kind names into a bit mask (bit k =
 * chaos_kind k). false with a message in err on an unknown or empty name
 * or an empty list. */
bool chaos_parse_kinds(const char *list, unsigned *mask, sbuf *err);

/* The fault order for a seed: rounds of the chosen kinds, each round a
 * seeded shuffle, so every kind occurs once per round and the same seed
 * always gives the same order. Writes n kinds to out. mask must not be 0. */
void chaos_plan(unsigned mask, int n, uint64_t seed, chaos_kind *out);

/* One fault's facts for the fenced-ack check. */
typedef struct {
    uint32_t old_addr; /* primary before the fault (network order) */
    uint32_t new_addr; /* primary after it; 0 if unknown */
    int64_t fence_ms;  /* from here on old_addr may not acknowledge (0: unknown) */
    int64_t fault_ms;
    int64_t fenced;    /* out: this epoch's count */
} chaos_epoch;

/* Counts acks (by server_ms) from a fenced node: from epoch k's old_addr
 * after its fence_ms and before the next epoch j > k whose new_addr is
 * that address again (from j's fault_ms on, that node may legitimately
 * be primary once more). Epochs are in fault order; each epoch's own
 * count goes to its fenced field, the total is returned. */
int64_t chaos_count_fenced(const workload_ack *acks, size_t n, chaos_epoch *epochs,
                           int nepochs);

/* Counts acks whose id is not in present (sorted ascending, npresent). */
int64_t chaos_count_missing(const workload_ack *acks, size_t n, const int64_t *present,
                            size_t npresent);

/* Flags, for the command table (terminated by {NULL}). */
extern const arg_spec chaos_flags[];

/* The `chaos` command. Returns the exit status. */
int chaos_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
