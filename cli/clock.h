/* clock: `rdsctl clock show` and `rdsctl clock advance DURATION`, the
 * region clock (rdsim's own commands).
 *
 * show sends DescribeRegionClock; advance sends AdvanceRegionClock with
 * Duration in seconds. Both print {"Now": ISO 8601, "OffsetSeconds": n}
 * in the chosen output format. A DURATION is one or more <number><unit>
 * with units d, h, m, s, largest first, each at most once ("36d", "12h",
 * "90m", "30s", "1d12h", "2h30m15s"), or a bare number of seconds.
 *
 * Exit statuses: 0; 252 for a bad command line or DURATION; 254 when the
 * controlplane refused; 255 when nothing answered. */
#ifndef RDSIM_CLI_CLOCK_H
#define RDSIM_CLI_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/commands.h"

/* The largest DURATION accepted: 100 years (the controlplane's limit). */
#define CLOCK_CLI_MAX_SECONDS (100LL * 366 * 86400)

/* Parses a DURATION into seconds (0..CLOCK_CLI_MAX_SECONDS). false for an
 * empty string, an unknown or repeated unit, units out of order, a sign,
 * spaces, or a total over the limit. */
bool clock_cli_parse_duration(const char *s, int64_t *seconds);

/* Flags of `clock` for the command table (none; terminated by {NULL}). */
extern const arg_spec clock_cli_flags[];

/* The `clock` command: argv = ["show"] or ["advance", DURATION]. */
int clock_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
