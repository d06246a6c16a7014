/* exitcode: rdsctl's exit statuses, the aws CLI's (v2) numbers. */
#ifndef RDSIM_CLI_EXITCODE_H
#define RDSIM_CLI_EXITCODE_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 252,         /* bad command line or parameter value */
    CLI_EXIT_SERVICE_ERROR = 254, /* the service answered with an error */
    CLI_EXIT_FAILURE = 255,       /* no answer, waiter failure, anything else */
};

#endif
