/* wait: `rdsctl wait <waiter>`, botocore's waiters (waiters-2.json) with
 * rdsim's pace.
 *
 * A waiter polls one describe action and runs its reply through an ordered
 * list of acceptors; the first that matches decides success, failure or
 * keep waiting. An error reply no acceptor expects is a failure. Messages
 * are botocore's: "Waiter DBInstanceAvailable failed: Waiter encountered a
 * terminal failure state: For expression ..." */
#ifndef RDSIM_CLI_WAIT_H
#define RDSIM_CLI_WAIT_H

#include <stdbool.h>

#include "cli/api.h"
#include "lib/util.h"

typedef enum {
    WAIT_PATH_ALL, /* every item's status equals expected (and there is one) */
    WAIT_PATH_ANY, /* some item's status equals expected */
    WAIT_EMPTY,    /* the list is empty */
    WAIT_ERROR,    /* the service answered with error code expected */
} wait_matcher;

typedef enum { WAIT_RETRY, WAIT_SUCCESS, WAIT_FAILURE } wait_state;

typedef struct {
    wait_matcher matcher;
    const char *expected;
    wait_state state;
} wait_acceptor;

#define WAIT_MAX_ACCEPTORS 8

typedef struct {
    const char *name;       /* "db-instance-available" */
    const char *waiter;     /* "DBInstanceAvailable" */
    const char *help;
    const char *action;     /* "DescribeDBInstances" */
    const char *list_key;   /* "DBInstances" */
    const char *status_key; /* "DBInstanceStatus" */
    wait_acceptor acceptors[WAIT_MAX_ACCEPTORS]; /* ends at expected == NULL */
} wait_spec;

/* The waiters, terminated by {NULL}. */
extern const wait_spec wait_specs[];

/* The waiter called name, or NULL. */
const wait_spec *wait_find(const char *name);

/* Decides one poll. WAIT_FAILURE writes botocore's reason (the text after
 * "Waiter X failed: ") into reason; a connection failure is not decided
 * here (the caller checks reply->status first). */
wait_state wait_evaluate(const wait_spec *w, const api_reply *reply, sbuf *reason);

typedef struct {
    double timeout_s;  /* give up after this long ("Max attempts exceeded") */
    double delay_s;    /* between polls */
    bool progress;     /* draw "\r<status> (<n>s)" on stderr */
} wait_opts;

/* Polls until success (CLI_EXIT_OK), failure or timeout (message on stderr,
 * CLI_EXIT_FAILURE), or a connection failure (CLI_EXIT_FAILURE). Blocks:
 * this is a command-line tool, there is no event loop to starve. */
int wait_run(const api_client *client, const wait_spec *w, const query *params,
             const wait_opts *opts);

#endif
