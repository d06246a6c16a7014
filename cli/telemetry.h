/* telemetry: `rdsctl monitoring get` and `rdsctl logs tail` (rdsim's own
 * commands over Enhanced Monitoring and the PostgreSQL log files).
 *
 * monitoring get --db-instance-identifier X [--start-time T --end-time T]
 *   sends DescribeEnhancedMonitoring and prints its result: the latest
 *   RDSOSMetrics sample, or every sample in the range, under "Samples".
 * logs tail --db-instance-identifier X [--lines N] [--follow]
 *   [--interval-ms MS] prints the last N lines (default 10) of the newest
 *   log file (DescribeDBLogFiles + DownloadDBLogFilePortion); with
 *   --follow it keeps polling from the returned Marker, moving on to a
 *   newer file when the hour rolls over, until interrupted.
 *
 * Exit statuses: 0; 252 for a bad command line; 254 when the controlplane
 * refused; 255 when nothing answered. */
#ifndef RDSIM_CLI_TELEMETRY_H
#define RDSIM_CLI_TELEMETRY_H

#include "cli/commands.h"

extern const arg_spec monitoring_cli_flags[];
extern const arg_spec logs_cli_flags[];

/* argv = ["get", flags...] */
int monitoring_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);
/* argv = ["tail", flags...] */
int logs_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
