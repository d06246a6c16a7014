/* clock: see clock.h. */
#include "cli/clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/exitcode.h"

const arg_spec clock_cli_flags[] = {
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

bool clock_cli_parse_duration(const char *s, int64_t *seconds)
{
    static const struct {
        char unit;
        int64_t seconds;
    } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    const size_t nunits = sizeof units / sizeof units[0];
    if (!s || !*s)
        return false;
    int64_t total = 0;
    size_t next_unit = 0; /* units must come largest first, each once */
    const char *p = s;
    while (*p) {
        if (*p < '0' || *p > '9')
            return false;
        int64_t n = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (n > CLOCK_CLI_MAX_SECONDS)
                return false; /* already too big; stop before overflowing */
            n = n * 10 + (*p - '0');
        }
        int64_t mult = 0;
        if (*p == '\0') {
            /* A bare number is seconds, but only on its own: "1d30" is a typo. */
            if (p != s + strspn(s, "0123456789"))
                return false;
            mult = 1;
        } else {
            for (size_t u = next_unit; u < nunits && !mult; u++) {
                if (*p == units[u].unit) {
                    mult = units[u].seconds;
                    next_unit = u + 1;
                }
            }
            if (!mult)
                return false;
            p++;
        }
        if (n > CLOCK_CLI_MAX_SECONDS / mult)
            return false;
        total += n * mult;
        if (total > CLOCK_CLI_MAX_SECONDS)
            return false;
    }
    *seconds = total;
    return true;
}

static int clock_cli_usage(const char *message)
{
    fprintf(stderr,
            "usage: rdsctl clock show\n"
            "       rdsctl clock advance DURATION   (e.g. 36d, 12h, 90m, 30s, 1d12h)\n"
            "rdsctl: error: %s\n", message);
    return CLI_EXIT_USAGE;
}

int clock_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    const char *action;
    query params = {0};
    if (argc == 1 && strcmp(argv[0], "show") == 0) {
        action = "DescribeRegionClock";
    } else if (argc >= 1 && strcmp(argv[0], "advance") == 0) {
        int64_t seconds;
        if (argc != 2)
            return clock_cli_usage("advance takes exactly one DURATION");
        if (!clock_cli_parse_duration(argv[1], &seconds)) {
            char *msg = xasprintf("argument DURATION: invalid duration '%s' (use e.g. 36d, 12h, "
                                  "90m, 30s, 1d12h)", argv[1]);
            int rc = clock_cli_usage(msg);
            free(msg);
            return rc;
        }
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)seconds);
        query_add(&params, "Duration", buf);
        action = "AdvanceRegionClock";
    } else if (argc < 1) {
        return clock_cli_usage("the following arguments are required: subcommand (show | advance)");
    } else if (strcmp(argv[0], "show") == 0) {
        return clock_cli_usage("show takes no arguments");
    } else {
        return clock_cli_usage("argument subcommand: Invalid choice, valid choices are: show | advance");
    }
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
    api_reply reply;
    int rc;
    if (api_call(&client, action, &params, &reply) == API_OK) {
        sbuf out = {0};
        output_render(ctx->output, reply.result, action, ctx->width, &out);
        if (out.len)
            fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
        sbuf_free(&out);
        rc = CLI_EXIT_OK;
    } else {
        api_print_error(&client, action, &reply, stderr);
        rc = reply.status == API_SERVICE_ERROR ? CLI_EXIT_SERVICE_ERROR : CLI_EXIT_FAILURE;
    }
    api_reply_free(&reply);
    query_free(&params);
    return rc;
}
