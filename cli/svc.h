/* svc: `rdsctl sns <subcommand>` and `rdsctl sqs <subcommand>`, the
 * region's SNS and SQS through the AWS Query protocol (Version 2010-03-31
 * and 2012-11-05) on the controlplane's endpoint, with aws sns / aws sqs
 * flag names.
 *
 * sns: create-topic, delete-topic, list-topics, get-topic-attributes,
 *      subscribe, unsubscribe, list-subscriptions,
 *      list-subscriptions-by-topic, publish, and rdsim's list-deliveries
 *      (one row per message and subscriber: State pending | delivered |
 *      dead, Attempts, LastError, NextAttempt).
 * sqs: create-queue (--attributes VisibilityTimeout=N), get-queue-url,
 *      list-queues, delete-queue, send-message, receive-message,
 *      delete-message.
 *
 * Exit statuses: 0; 252 for a bad command line; 254 when the service
 * answered with an error; 255 when nothing answered. */
#ifndef RDSIM_CLI_SVC_H
#define RDSIM_CLI_SVC_H

#include "cli/commands.h"

/* Flags of `sns` and `sqs` for the command table (none). */
extern const arg_spec svc_cli_flags[];

int svc_cli_run_sns(const cli_ctx *ctx, const command *cmd, int argc, char **argv);
int svc_cli_run_sqs(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
