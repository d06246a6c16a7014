/* lab: `rdsctl lab dns-caching`, the DNS-caching lab of issue 4 — client
 * models that behave the way real stacks do write side by side through
 * one Multi-AZ instance's endpoint while it fails over, and the lab
 * reports what each lived through.
 *
 *   rdsctl lab dns-caching --db-instance-identifier X --master-user-password PW
 *       [--master-username U] [--duration S] [--no-failover] [--json FILE]
 *       [--svg FILE] [--resolver-min-ttl SECONDS] [--dns-port P]
 *
 * The run: the instance must be Multi-AZ and available; the clients
 * (cli/labclients.h) start and write until each has written at least once
 * and the warm-up has passed: the endpoint's TTL plus
 * LAB_WARMUP_TTL_MARGIN_MS, at least LAB_WARMUP_MS, at most
 * LAB_WARMUP_MAX_MS and half the duration. Outlasting the TTL makes the
 * TTL-honouring clients' cached answers stale at the failover, as in an
 * application that has been up for a while: their first failure makes
 * them look the name up again — typically before DNS has flipped, so they
 * cache the old answer for one more TTL. Then the lab forces a failover
 * (RebootDBInstance ForceFailover=true) or, with --no-failover, waits for
 * one the user causes (RDS-EVENT-0013 or the endpoint's answer changing).
 * The clients keep writing until every one has written on the new primary
 * or --duration (seconds from the clients' start, default 60) has passed,
 * plus LAB_TAIL_MS so the timeline shows what came after.
 *
 * The multi-host client needs both nodes' addresses: the primary's is the
 * endpoint's answer, the standby's is read from the region's files
 * ($RDS_HOME/agents/<az>/nodes/<id>-xxxxxx/data/postmaster.pid, line 6, the
 * node's listen address) — the one thing the API does not say. Without
 * them the client is left out (with a note).
 *
 * Output: the table on stdout (labreport_table), --json FILE
 * (labreport_json), --svg FILE (labreport_svg). Event Dates are the
 * region clock's, taken back to the wall clock with DescribeRegionClock's
 * offset (do not advance the clock during a run).
 *
 * Exit status: 0 when a failover happened and was reported (whatever the
 * clients lived through: that is the finding, not a failure); 1 when no
 * failover happened within --duration; 252 for a bad command line; 255
 * when the run could not start (no such instance, not Multi-AZ, no DNS
 * answer, cannot connect, cannot write a file). */
#ifndef RDSIM_CLI_LAB_H
#define RDSIM_CLI_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "cli/commands.h"

#define LAB_WARMUP_MS 3000
#define LAB_WARMUP_TTL_MARGIN_MS 1500
#define LAB_WARMUP_MAX_MS 30000
#define LAB_TAIL_MS 2000
#define LAB_DEFAULT_DURATION_S 60

/* The negative-caching TTL a resolver would give an NXDOMAIN or NODATA
 * answer (RFC 2308 §5: the smaller of the SOA record's TTL and its
 * MINIMUM field), read from the authority section of the raw answer.
 * -1 when the answer is malformed, not negative, or has no SOA. */
int lab_negative_ttl(const uint8_t *buf, size_t len);

/* Flags, for the command table (terminated by {NULL}). */
extern const arg_spec lab_flags[];

/* The `lab` command: argv = ["dns-caching", flags...]. Returns the exit
 * status. */
int lab_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
