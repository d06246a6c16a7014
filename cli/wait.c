/* wait: see wait.h.
 *
 * The acceptor lists are copied from botocore's waiters-2.json for RDS, in
 * the same order (order decides which acceptor explains a result). Only
 * the pacing differs: rdsim is fast, so the caller polls every 0.5 s by
 * default instead of 30 s, and the limit is a time, not attempts. */
#include "cli/wait.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/exitcode.h"

const wait_spec wait_specs[] = {
    {"db-instance-available", "DBInstanceAvailable",
     "Wait until the DB instance's status is available.", "DescribeDBInstances", "DBInstances",
     "DBInstanceStatus",
     {{WAIT_PATH_ALL, "available", WAIT_SUCCESS},
      {WAIT_PATH_ANY, "deleted", WAIT_FAILURE},
      {WAIT_PATH_ANY, "deleting", WAIT_FAILURE},
      {WAIT_PATH_ANY, "failed", WAIT_FAILURE},
      {WAIT_PATH_ANY, "incompatible-restore", WAIT_FAILURE},
      {WAIT_PATH_ANY, "incompatible-parameters", WAIT_FAILURE},
      {0, NULL, 0}}},
    {"db-instance-deleted", "DBInstanceDeleted",
     "Wait until the DB instance is gone (DBInstanceNotFound).", "DescribeDBInstances",
     "DBInstances", "DBInstanceStatus",
     {{WAIT_EMPTY, "True", WAIT_SUCCESS},
      {WAIT_ERROR, "DBInstanceNotFound", WAIT_SUCCESS},
      {WAIT_PATH_ANY, "creating", WAIT_FAILURE},
      {WAIT_PATH_ANY, "modifying", WAIT_FAILURE},
      {WAIT_PATH_ANY, "rebooting", WAIT_FAILURE},
      {WAIT_PATH_ANY, "resetting-master-credentials", WAIT_FAILURE},
      {0, NULL, 0}}},
    {"db-snapshot-available", "DBSnapshotAvailable",
     "Wait until the DB snapshot's status is available.", "DescribeDBSnapshots", "DBSnapshots",
     "Status",
     {{WAIT_PATH_ALL, "available", WAIT_SUCCESS},
      {WAIT_PATH_ANY, "deleted", WAIT_FAILURE},
      {WAIT_PATH_ANY, "deleting", WAIT_FAILURE},
      {WAIT_PATH_ANY, "failed", WAIT_FAILURE},
      {WAIT_PATH_ANY, "incompatible-restore", WAIT_FAILURE},
      {WAIT_PATH_ANY, "incompatible-parameters", WAIT_FAILURE},
      {0, NULL, 0}}},
    {NULL, NULL, NULL, NULL, NULL, NULL, {{0, NULL, 0}}},
};

const wait_spec *wait_find(const char *name)
{
    for (const wait_spec *w = wait_specs; w->name; w++)
        if (strcmp(w->name, name) == 0)
            return w;
    return NULL;
}

/* botocore's SingleWaiterConfig acceptor explanation. */
static void wait_explain(const wait_spec *w, const wait_acceptor *a, sbuf *out)
{
    switch (a->matcher) {
    case WAIT_PATH_ALL:
        sbuf_printf(out, "For expression \"%s[].%s\" all members matched expected path: \"%s\"",
                    w->list_key, w->status_key, a->expected);
        break;
    case WAIT_PATH_ANY:
        sbuf_printf(out, "For expression \"%s[].%s\" we matched expected path: \"%s\" at least once",
                    w->list_key, w->status_key, a->expected);
        break;
    case WAIT_EMPTY:
        sbuf_printf(out, "For expression \"length(%s) == `0`\" we matched expected path: \"%s\"",
                    w->list_key, a->expected);
        break;
    case WAIT_ERROR:
        sbuf_printf(out, "Matched expected service error code: %s", a->expected);
        break;
    }
}

static bool wait_matches(const wait_spec *w, const wait_acceptor *a, const api_reply *reply)
{
    if (a->matcher == WAIT_ERROR)
        return reply->status == API_SERVICE_ERROR && strcmp(reply->error_code, a->expected) == 0;
    if (reply->status != API_OK)
        return false;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply->result, w->list_key);
    if (!cJSON_IsArray(list))
        return false;
    if (a->matcher == WAIT_EMPTY)
        return cJSON_GetArraySize(list) == 0;
    int n = 0, hits = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(item, w->status_key);
        n++;
        if (cJSON_IsString(st) && strcmp(st->valuestring, a->expected) == 0)
            hits++;
    }
    /* botocore: pathAll on an empty list is false, so an empty reply keeps
     * the available waiter waiting. */
    return a->matcher == WAIT_PATH_ALL ? (n > 0 && hits == n) : hits > 0;
}

wait_state wait_evaluate(const wait_spec *w, const api_reply *reply, sbuf *reason)
{
    for (const wait_acceptor *a = w->acceptors; a->expected; a++) {
        if (!wait_matches(w, a, reply))
            continue;
        if (a->state == WAIT_FAILURE) {
            sbuf_puts(reason, "Waiter encountered a terminal failure state: ");
            wait_explain(w, a, reason);
        }
        return a->state;
    }
    if (reply->status == API_SERVICE_ERROR) {
        sbuf_printf(reason, "An error occurred (%s): %s", reply->error_code, reply->error_message);
        return WAIT_FAILURE;
    }
    return WAIT_RETRY;
}

/* "creating", "available,creating", or what the reply says instead. */
static void wait_describe(const wait_spec *w, const api_reply *reply, sbuf *out)
{
    if (reply->status == API_SERVICE_ERROR) {
        sbuf_puts(out, reply->error_code);
        return;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply->result, w->list_key);
    const cJSON *item;
    size_t start = out->len;
    cJSON_ArrayForEach(item, list) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(item, w->status_key);
        if (out->len > start)
            sbuf_putc(out, ',');
        sbuf_puts(out, cJSON_IsString(st) ? st->valuestring : "?");
    }
    if (out->len == start)
        sbuf_puts(out, "none");
}

static void wait_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int wait_run(const api_client *client, const wait_spec *w, const query *params,
             const wait_opts *opts)
{
    int64_t start = mono_ms();
    int64_t deadline = start + (int64_t)(opts->timeout_s * 1000.0);
    int rc = CLI_EXIT_FAILURE;
    sbuf reason = {0};
    for (;;) {
        api_reply reply;
        api_call(client, w->action, params, &reply);
        if (reply.status == API_CONNECT_ERROR) {
            if (opts->progress)
                fputs("\r\033[K", stderr);
            api_print_error(client, w->action, &reply, stderr);
            api_reply_free(&reply);
            break;
        }
        wait_state st = wait_evaluate(w, &reply, &reason);
        if (opts->progress) {
            sbuf line = {0};
            wait_describe(w, &reply, &line);
            fprintf(stderr, "\r\033[KWaiting for %s: %s (%.1fs)", w->waiter, line.data,
                    (double)(mono_ms() - start) / 1000.0);
            fflush(stderr);
            sbuf_free(&line);
        }
        api_reply_free(&reply);
        if (st != WAIT_RETRY || mono_ms() >= deadline) {
            if (opts->progress)
                fputs("\r\033[K", stderr);
            if (st == WAIT_SUCCESS) {
                rc = CLI_EXIT_OK;
            } else {
                if (st == WAIT_RETRY)
                    sbuf_puts(&reason, "Max attempts exceeded");
                fprintf(stderr, "\nWaiter %s failed: %s\n", w->waiter, reason.data);
            }
            break;
        }
        double left_s = (double)(deadline - mono_ms()) / 1000.0;
        wait_sleep(opts->delay_s < left_s ? opts->delay_s : left_s);
    }
    sbuf_free(&reason);
    return rc;
}
