/* follow: see follow.h. */
#include "cli/follow.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/api.h"
#include "cli/exitcode.h"
#include "lib/util.h"

/* The events printed at the newest Date (the only ones a later poll can
 * return again); more than this many at one millisecond are not told
 * apart past the bound, a limit far above what one region emits. */
#define FOLLOW_SEEN_MAX 512

typedef struct {
    char *date;                 /* newest Date printed */
    char *seen[FOLLOW_SEEN_MAX]; /* keys of the events printed at `date` */
    int nseen;
} follow_state;

static void follow_forget(follow_state *s)
{
    for (int i = 0; i < s->nseen; i++)
        free(s->seen[i]);
    s->nseen = 0;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Prints e unless seen; true when printed. */
static bool follow_print(const cli_ctx *ctx, follow_state *s, const cJSON *e)
{
    const char *date = str_of(e, "Date");
    char *key = xasprintf("%s\x1f%s\x1f%s\x1f%s", str_of(e, "SourceType"),
                          str_of(e, "SourceIdentifier"), str_of(e, "Message"), date);
    if (s->date && strcmp(date, s->date) < 0) {
        free(key); /* older than what we have shown: an earlier page's */
        return false;
    }
    if (s->date && strcmp(date, s->date) == 0) {
        for (int i = 0; i < s->nseen; i++)
            if (strcmp(s->seen[i], key) == 0) {
                free(key);
                return false;
            }
    } else {
        follow_forget(s);
        free(s->date);
        s->date = xstrdup(date);
    }
    if (s->nseen < FOLLOW_SEEN_MAX)
        s->seen[s->nseen++] = key;
    else
        free(key);
    if (ctx->output == OUTPUT_JSON) {
        char *j = cJSON_PrintUnformatted(e);
        printf("%s\n", j);
        free(j);
    } else {
        printf("%s\t%s\t%s\t%s\n", date, str_of(e, "SourceType"), str_of(e, "SourceIdentifier"),
               str_of(e, "Message"));
    }
    fflush(stdout);
    return true;
}

static void follow_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

int follow_events_run(const cli_ctx *ctx, query *params, const query *opts)
{
    const char *ms = query_get(opts, "max-seconds");
    const char *mn = query_get(opts, "max-events");
    double max_s = ms ? strtod(ms, NULL) : 0;
    long long max_n = mn ? strtoll(mn, NULL, 10) : 0;
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
    follow_state s = {0};
    int64_t t0 = mono_ms();
    long long printed = 0;
    int rc = CLI_EXIT_OK;
    for (;;) {
        api_reply reply;
        if (api_call(&client, "DescribeEvents", params, &reply) != API_OK) {
            api_print_error(&client, "DescribeEvents", &reply, stderr);
            rc = reply.status == API_SERVICE_ERROR ? CLI_EXIT_SERVICE_ERROR : CLI_EXIT_FAILURE;
            api_reply_free(&reply);
            break;
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(reply.result, "Events"))
        {
            if (max_n > 0 && printed >= max_n)
                break;
            printed += follow_print(ctx, &s, e);
        }
        const char *marker = str_of(reply.result, "Marker");
        if (*marker) {
            query_set(params, "Marker", marker); /* the rest of this poll's pages */
        } else {
            query_remove(params, "Marker");
            query_remove(params, "Duration");
            query_remove(params, "EndTime");
            if (s.date)
                query_set(params, "StartTime", s.date);
        }
        api_reply_free(&reply);
        if ((max_n > 0 && printed >= max_n) || (max_s > 0 && mono_ms() - t0 >= max_s * 1000))
            break;
        if (!*marker)
            follow_sleep(ctx->wait_delay_s > 0 ? ctx->wait_delay_s : 0.5);
    }
    follow_forget(&s);
    free(s.date);
    return rc;
}

const arg_spec view_url_flags[] = {
    {"expires", NULL, ARG_SECONDS, NULL, NULL, false,
     "Seconds the URL stays good (default and most: 900)"},
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

int view_url_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    query params = {0}, opts = {0};
    sbuf err = {0};
    int rc = CLI_EXIT_USAGE;
    if (args_parse(cmd->flags, argc, argv, &params, &opts, &err) != ARGS_OK) {
        fprintf(stderr, "rdsctl: error: %s\n", err.data ? err.data : "bad arguments");
        goto done;
    }
    const char *e = query_get(&opts, "expires");
    double expires = e ? strtod(e, NULL) : 900;
    if (expires < 1 || expires > 900) {
        fprintf(stderr, "rdsctl: error: argument --expires: must be from 1 to 900 seconds\n");
        goto done;
    }
    char *url = api_presign_url(ctx->endpoint, "/view/login", (long long)expires);
    if (!url) {
        fprintf(stderr, "rdsctl: error: no credentials to sign with (see `rdsctl --help`)\n");
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    printf("%s\n", url);
    free(url);
    rc = CLI_EXIT_OK;
done:
    sbuf_free(&err);
    query_free(&params);
    query_free(&opts);
    return rc;
}
