/* kms: `rdsctl kms <subcommand>`, the region's key service through the
 * AWS KMS JSON 1.1 protocol, as `aws kms` speaks it.
 *
 * A call is `POST /` with `X-Amz-Target: TrentService.<Operation>`,
 * `Content-Type: application/x-amz-json-1.1` and a JSON body built from
 * the flags (aws kms's flag names: --key-id, --description,
 * --pending-window-in-days, ...); the reply is JSON, or an error
 * {"__type": "NotFoundException", "message": ...} with HTTP 400, printed
 * as the aws CLI prints it. Timestamps (epoch seconds on the wire) are
 * shown as ISO 8601, as the aws CLI shows them. list-keys and
 * list-aliases follow NextMarker through every page unless --limit or
 * --marker is given.
 *
 * Subcommands: create-key, describe-key, list-keys, list-aliases,
 * create-alias, disable-key, enable-key, schedule-key-deletion,
 * cancel-key-deletion.
 *
 * Exit statuses: 0; 252 for a bad command line; 254 when the service
 * answered with an error; 255 when nothing answered. */
#ifndef RDSIM_CLI_KMS_H
#define RDSIM_CLI_KMS_H

#include <stdbool.h>

#include "cli/commands.h"

struct cJSON;

typedef struct {
    const char *name;      /* "describe-key" */
    const char *operation; /* "DescribeKey" */
    const char *help;
    const arg_spec *flags; /* terminated by {NULL}; param = the JSON member */
    const char *page_key;  /* "Keys": follow NextMarker; NULL: one call */
} kms_cli_subcommand;

/* The subcommands, terminated by {NULL}. */
extern const kms_cli_subcommand kms_cli_subcommands[];

const kms_cli_subcommand *kms_cli_find(const char *name);

/* Parses a subcommand's flags into its JSON request body ("{}" when none;
 * integers as numbers, the rest as strings). On ARGS_OK *body is a string
 * the caller frees and *explicit_page is true when the user took paging
 * into their own hands (--limit, --marker); otherwise err holds the
 * message (args_parse's conventions) and *body is NULL. */
args_status kms_cli_build_body(const kms_cli_subcommand *sc, int argc, char *const *argv,
                               char **body, bool *explicit_page, sbuf *err);

/* Turns the epoch-second timestamps of a reply (CreationDate,
 * DeletionDate, LastUpdatedDate, at any depth) into ISO 8601 strings. */
void kms_cli_show_dates(struct cJSON *v);

/* One call: POSTs body to endpoint with the JSON 1.1 headers for
 * operation ("DescribeKey"). Returns the HTTP status (0 when nothing
 * answered) and the reply body in *reply (the caller frees; "" when
 * none). */
int kms_cli_post(const char *endpoint, const char *operation, const char *body, int timeout_s,
                 char **reply);

/* Flags of `kms` for the command table (none; terminated by {NULL}). */
extern const arg_spec kms_cli_flags[];

/* The `kms` command: argv = [subcommand, flags...]. */
int kms_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
