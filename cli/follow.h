/* follow: rdsctl's live commands.
 *
 *   rdsctl describe-events --follow [filters] [--max-seconds S] [--max-events N]
 *     prints the events the filters select (from --start-time, or the
 *     last --duration minutes, default 60, on the region's clock), then
 *     every new one as it is committed, one line each, until interrupted
 *     or a bound is reached. It polls DescribeEvents every
 *     $RDSCTL_WAIT_DELAY seconds (default 0.5) with StartTime at the
 *     newest Date seen; events at that same millisecond come back and are
 *     recognised (date, source, message) and not printed twice.
 *   rdsctl view-url [--expires S]
 *     prints a URL of the region's live view (controlplane/api/liveview.h):
 *     GET /view/login presigned with rdsctl's credentials (SigV4 query
 *     form), good for S seconds (default and most: 900). */
#ifndef RDSIM_CLI_FOLLOW_H
#define RDSIM_CLI_FOLLOW_H

#include "cli/commands.h"
#include "cli/query.h"

/* The follow loop of describe-events: params are the parsed API
 * parameters (changed as it goes), opts the local options (max-seconds,
 * max-events). Returns the exit status. */
int follow_events_run(const cli_ctx *ctx, query *params, const query *opts);

extern const arg_spec view_url_flags[];
int view_url_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
