/* commands: rdsctl's command table and dispatcher.
 *
 * The CLI is a table of {name, help, run, action, flags, page_key}; help
 * and usage text come from it. Most commands use the generic runner: parse
 * the flags into Query parameters, call the action, follow Marker pages
 * when page_key names the result list, print the result. A command with
 * its own run function (wait, call) still lists its flags here.
 *
 * Global options may appear anywhere on the line, as with the aws CLI:
 * --endpoint-url URL, --output json|text|table, --debug, --help. */
#ifndef RDSIM_CLI_COMMANDS_H
#define RDSIM_CLI_COMMANDS_H

#include <stdbool.h>

#include "cli/args.h"
#include "cli/output.h"

/* What main learns from the process environment, passed in so that the
 * dispatcher itself reads no globals. Strings may be NULL (unset). */
typedef struct {
    const char *endpoint;    /* $RDSCTL_ENDPOINT */
    const char *api_port;    /* $RDS_API_PORT */
    const char *rds_home;    /* $RDS_HOME */
    const char *output;      /* $RDSCTL_OUTPUT */
    const char *wait_delay;  /* $RDSCTL_WAIT_DELAY, seconds */
    int term_width;          /* stdout's terminal width, 0 if not a terminal */
    bool stderr_tty;         /* progress lines only on a terminal */
} cli_env;

/* Settings every command runs with, after global options are applied. */
typedef struct {
    char *endpoint;
    output_format output;
    bool debug;
    int width;
    double wait_delay_s;
    bool progress;
} cli_ctx;

typedef struct command command;

/* Runs a command with argv = the words after its name; returns the exit
 * status (cli/exitcode.h). */
typedef int (*command_run)(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

struct command {
    const char *name;      /* "create-db-instance" */
    const char *help;      /* one paragraph */
    command_run run;       /* NULL: the generic runner */
    const char *action;    /* "CreateDBInstance"; NULL for run-only commands */
    const arg_spec *flags; /* terminated by {NULL} */
    const char *page_key;  /* "DBInstances": merge Marker pages; NULL: one call */
};

/* The commands, terminated by {NULL}. */
extern const command commands[];

const command *commands_find(const char *name);

/* The whole program: global options, dispatch, help. argv[0] is the
 * program name. Returns the exit status. */
int commands_main(int argc, char **argv, const cli_env *env);

#endif
