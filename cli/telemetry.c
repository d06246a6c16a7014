/* telemetry: see telemetry.h. */
#include "cli/telemetry.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/api.h"
#include "cli/exitcode.h"

#define F_PARAM(f, p, t, req, h) {f, p, t, NULL, NULL, req, h}
#define F_LOCAL_(f, t, h) {f, NULL, t, NULL, NULL, false, h}

const arg_spec monitoring_cli_flags[] = {
    F_PARAM("db-instance-identifier", "DBInstanceIdentifier", ARG_STRING, true,
            "The instance whose samples to show"),
    F_PARAM("start-time", "StartTime", ARG_TIMESTAMP, false,
            "Samples from (ISO 8601 or epoch seconds); without a range: the latest sample"),
    F_PARAM("end-time", "EndTime", ARG_TIMESTAMP, false, "Samples until"),
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

const arg_spec logs_cli_flags[] = {
    F_PARAM("db-instance-identifier", "DBInstanceIdentifier", ARG_STRING, true,
            "The instance whose PostgreSQL log to show"),
    F_LOCAL_("lines", ARG_INT, "Lines of the newest file to print first (default 10)"),
    F_LOCAL_("follow", ARG_FLAG, "Keep printing new lines until interrupted"),
    F_LOCAL_("interval-ms", ARG_INT, "With --follow: milliseconds between polls (default 1000)"),
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

static int usage(const char *cmd, const char *message)
{
    fprintf(stderr,
            "usage: rdsctl monitoring get --db-instance-identifier X [--start-time T] [--end-time T]\n"
            "       rdsctl logs tail --db-instance-identifier X [--lines N] [--follow] "
            "[--interval-ms MS]\n"
            "rdsctl: error: %s%s%s\n", cmd ? cmd : "", cmd ? ": " : "", message);
    return CLI_EXIT_USAGE;
}

static int exit_for(const api_reply *reply)
{
    return reply->status == API_SERVICE_ERROR ? CLI_EXIT_SERVICE_ERROR : CLI_EXIT_FAILURE;
}

int monitoring_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc < 1 || strcmp(argv[0], "get") != 0)
        return usage("monitoring", "the subcommand must be: get");
    query params = {0}, opts = {0};
    sbuf err = {0};
    int rc;
    if (args_parse(monitoring_cli_flags, argc - 1, argv + 1, &params, &opts, &err) != ARGS_OK) {
        rc = usage(NULL, err.data ? err.data : "bad arguments");
        goto done;
    }
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
    api_reply reply;
    if (api_call(&client, "DescribeEnhancedMonitoring", &params, &reply) == API_OK) {
        sbuf out = {0};
        output_render(ctx->output, reply.result, "DescribeEnhancedMonitoring", ctx->width, &out);
        if (out.len)
            fwrite(out.data, 1, out.len, stdout);
        sbuf_free(&out);
        rc = CLI_EXIT_OK;
    } else {
        api_print_error(&client, "DescribeEnhancedMonitoring", &reply, stderr);
        rc = exit_for(&reply);
    }
    api_reply_free(&reply);
done:
    sbuf_free(&err);
    query_free(&params);
    query_free(&opts);
    return rc;
}

/* ---- logs tail ------------------------------------------------------------ */

typedef struct {
    api_client client;
    const char *id;
    char *file;   /* the file being followed, NULL before the first */
    char *marker;
} tail_state;

/* The newest log file's name (malloc'd), NULL when there is none; false
 * when the call failed (*rc set). */
static bool newest_file(tail_state *t, char **name, int *rc)
{
    query q = {0};
    query_add(&q, "DBInstanceIdentifier", t->id);
    api_reply reply;
    bool ok = api_call(&t->client, "DescribeDBLogFiles", &q, &reply) == API_OK;
    *name = NULL;
    if (ok) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply.result, "DescribeDBLogFiles");
        const cJSON *f;
        cJSON_ArrayForEach(f, list) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(f, "LogFileName");
            if (cJSON_IsString(n) && (!*name || strcmp(n->valuestring, *name) > 0)) {
                free(*name);
                *name = xstrdup(n->valuestring);
            }
        }
    } else {
        api_print_error(&t->client, "DescribeDBLogFiles", &reply, stderr);
        *rc = exit_for(&reply);
    }
    api_reply_free(&reply);
    query_free(&q);
    return ok;
}

/* One portion of t->file: prints it and moves the marker. lines > 0 asks
 * for the file's last lines (no marker). *pending: more data waits. */
static bool fetch(tail_state *t, int64_t lines, bool *pending, int *rc)
{
    query q = {0};
    query_add(&q, "DBInstanceIdentifier", t->id);
    query_add(&q, "LogFileName", t->file);
    char nbuf[32];
    if (lines > 0) {
        snprintf(nbuf, sizeof nbuf, "%lld", (long long)lines);
        query_add(&q, "NumberOfLines", nbuf);
    } else {
        query_add(&q, "Marker", t->marker ? t->marker : "0");
    }
    api_reply reply;
    bool ok = api_call(&t->client, "DownloadDBLogFilePortion", &q, &reply) == API_OK;
    *pending = false;
    if (ok) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(reply.result, "LogFileData");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(reply.result, "Marker");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(reply.result, "AdditionalDataPending");
        if (cJSON_IsString(d))
            fputs(d->valuestring, stdout);
        fflush(stdout);
        if (cJSON_IsString(m)) {
            free(t->marker);
            t->marker = xstrdup(m->valuestring);
        }
        *pending = cJSON_IsTrue(p);
    } else {
        api_print_error(&t->client, "DownloadDBLogFilePortion", &reply, stderr);
        *rc = exit_for(&reply);
    }
    api_reply_free(&reply);
    query_free(&q);
    return ok;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One --follow round: drain the current file, then move to a newer one. */
static bool follow_round(tail_state *t, int *rc)
{
    bool pending = true;
    while (pending && t->file)
        if (!fetch(t, 0, &pending, rc))
            return false;
    char *newest = NULL;
    if (!newest_file(t, &newest, rc))
        return false;
    if (newest && (!t->file || strcmp(newest, t->file) > 0)) {
        /* The hour rolled over: finish the old file, then read the new one from its start. */
        free(t->file);
        t->file = newest;
        free(t->marker);
        t->marker = xstrdup("0");
        return true;
    }
    free(newest);
    return true;
}

int logs_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc < 1 || strcmp(argv[0], "tail") != 0)
        return usage("logs", "the subcommand must be: tail");
    query params = {0}, opts = {0};
    sbuf err = {0};
    int64_t lines = 10, interval = 1000;
    int rc = CLI_EXIT_OK;
    tail_state t = {.client = {.endpoint = ctx->endpoint, .debug = ctx->debug}};
    if (args_parse(logs_cli_flags, argc - 1, argv + 1, &params, &opts, &err) != ARGS_OK ||
        !args_opt_int(&opts, "lines", 1, 10000, 10, &lines, &err) ||
        !args_opt_int(&opts, "interval-ms", 50, 60000, 1000, &interval, &err)) {
        rc = usage(NULL, err.data ? err.data : "bad arguments");
        goto done;
    }
    t.id = query_get(&params, "DBInstanceIdentifier");
    bool follow = query_get(&opts, "follow") != NULL;
    bool pending = false;
    if (!newest_file(&t, &t.file, &rc))
        goto done;
    if (t.file && !fetch(&t, lines, &pending, &rc))
        goto done;
    while (follow) {
        sleep_ms(interval);
        if (!follow_round(&t, &rc))
            break;
    }
done:
    free(t.file);
    free(t.marker);
    sbuf_free(&err);
    query_free(&params);
    query_free(&opts);
    return rc;
}
