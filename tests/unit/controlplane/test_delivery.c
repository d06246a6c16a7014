/* delivery: the durable queue's state machine against a real store and
 * event loop — pending → delivered (email spool, sqs), pending → retried
 * → dead (a queue that does not exist) with the attempts counted, rows
 * resumed by a new engine (a restart), and ListDeliveries' filters; lambda
 * commands as reaped children (the event on stdin, a failing command's
 * status, a command still running when the engine goes). */
#include <cjson/cJSON.h>
#include <event2/event.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/notify/delivery.h"
#include "controlplane/core/region.h"
#include "controlplane/notify/snsmsg.h"
#include "controlplane/notify/sqs.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static region r;

static void enqueue(const char *mid, const char *proto, const char *endpoint)
{
    snsmsg_note n = {.message_id = mid, .topic_arn = "arn:aws:sns:us-east-1:1:t",
                     .subject = "S", .message = "hello", .timestamp_ms = 1000};
    char *body = snsmsg_envelope(&n);
    char *sub = xasprintf("arn:aws:sns:us-east-1:1:t:%s", proto);
    delivery_item it = {.message_id = mid, .topic_arn = n.topic_arn, .subscription_arn = sub,
                        .protocol = proto, .endpoint = endpoint, .subject = "S", .body = body};
    ok(store_begin(r.st) && delivery_enqueue(r.st, &it, wall_ms()) && store_commit(r.st),
       "enqueue a delivery");
    free(body);
    free(sub);
}

/* The row of message mid: its state and attempts. */
static const char *state_of(const char *mid, int *attempts)
{
    static char state[32];
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(store_sqlite(r.st),
                       "SELECT state, attempts FROM deliveries WHERE message_id=?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
    snprintf(state, sizeof state, "none");
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 0));
        *attempts = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    return state;
}

/* Ticks (with the loop turning) until mid is no longer pending or
 * seconds pass. */
static void run_until_done(delivery *d, const char *mid, int seconds)
{
    int64_t end = mono_ms() + seconds * 1000;
    int a;
    while (mono_ms() < end && strcmp(state_of(mid, &a), "pending") == 0) {
        delivery_tick(d);
        event_base_loop(r.base, EVLOOP_NONBLOCK);
        usleep(2000);
    }
}

/* <home>/lambda/<name>, an executable shell script. */
static void lambda_script(const char *home, const char *name, const char *script)
{
    char *dir = xasprintf("%s/lambda", home);
    char *path = xasprintf("%s/%s", dir, name);
    char *text = xasprintf("#!/bin/sh\n%s\n", script);
    ok(fs_mkdir_p(dir, 0755) && fs_write_atomic(path, text, strlen(text), 0755),
       "a lambda command");
    free(text);
    free(path);
    free(dir);
}

static char *last_error_of(const char *mid)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(store_sqlite(r.st), "SELECT last_error FROM deliveries WHERE message_id=?",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
    char *e = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        e = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return e ? e : xstrdup("");
}

/* lambda: the command runs as a reaped child with the event on stdin. */
static void test_lambda(delivery **d, const char *dir)
{
    lambda_script(dir, "good", "cat > \"$0.event\"; echo ran");
    enqueue("m-lambda", "lambda", "arn:aws:lambda:us-east-1:123456789012:function:good");
    run_until_done(*d, "m-lambda", 5);
    int a = 0;
    is_str(state_of("m-lambda", &a), "delivered", "lambda: a command that exits 0 delivers");
    char *path = xasprintf("%s/lambda/good.event", dir);
    char *event = fs_read_all(path, 1 << 20, NULL);
    ok(event && strstr(event, "\"EventSource\"") && strstr(event, "hello"),
       "lambda: the Lambda event was its stdin");
    free(event);
    free(path);
    path = xasprintf("%s/lambda/good.log", dir);
    char *log = fs_read_all(path, 1 << 20, NULL);
    is_str(log, "ran\n", "lambda: its output is appended to <name>.log");
    free(log);
    free(path);

    lambda_script(dir, "bad", "exit 3");
    enqueue("m-lambda-bad", "lambda", "arn:aws:lambda:us-east-1:123456789012:function:bad");
    run_until_done(*d, "m-lambda-bad", 10);
    is_str(state_of("m-lambda-bad", &a), "dead", "lambda: a command that always fails ends dead");
    char *e = last_error_of("m-lambda-bad");
    is_str(e, "the command failed (status 3)", "  ... with its exit status as the last error");
    free(e);

    lambda_script(dir, "slow", "sleep 30");
    enqueue("m-lambda-slow", "lambda", "arn:aws:lambda:us-east-1:123456789012:function:slow");
    for (int i = 0; i < 5; i++)
        delivery_tick(*d);
    int64_t t0 = mono_ms();
    delivery_free(*d);
    ok(mono_ms() - t0 < 5000, "delivery_free kills a running command at once");
    is_str(state_of("m-lambda-slow", &a), "pending", "  ... and its row stays pending");
    *d = delivery_new(&r);
}

static int list_count(const char *body)
{
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
    cJSON *res = cJSON_CreateObject();
    int n = -1;
    if (p && delivery_action_list(&r, p, res, &err))
        n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "Deliveries"));
    cJSON_Delete(res);
    params_free(p);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/rdsim-delivery-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *db = xasprintf("%s/cp.db", dir);
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.cfg.delivery_retry_ms = 1;
    r.home = dir;
    r.base = event_base_new();
    r.st = store_open(db);
    ok(r.st != NULL, "store");

    /* email: appended to the spool, delivered at the first attempt */
    delivery *d = delivery_new(&r);
    enqueue("m-email", "email", "ops@example.com");
    run_until_done(d, "m-email", 5);
    int a = 0;
    is_str(state_of("m-email", &a), "delivered", "email: delivered");
    is_int(a, 1, "email: one attempt");
    char *path = xasprintf("%s/mail/ops@example.com", dir);
    char *mail = fs_read_all(path, 1 << 20, NULL);
    ok(mail && strstr(mail, "X-Amz-Sns-Message-Id: m-email\n") && strstr(mail, "\nhello\n"),
       "email: the spool holds the message");
    free(mail);
    free(path);

    /* sqs to a queue that does not exist: retried, then dead */
    enqueue("m-dead", "sqs", "arn:aws:sqs:us-east-1:123456789012:nowhere");
    run_until_done(d, "m-dead", 10);
    is_str(state_of("m-dead", &a), "dead", "a delivery that always fails ends dead");
    is_int(a, SNSMSG_MAX_ATTEMPTS, "... after SNSMSG_MAX_ATTEMPTS attempts");

    /* a pending row outlives its engine (a restart) */
    awserr err = {0};
    params *p = params_parse("QueueName=q1", 12, &err);
    const action_def *create = sqs_actions_find("CreateQueue");
    cJSON *res = cJSON_CreateObject();
    ok(p && create && create->fn(&r, p, res, &err), "CreateQueue q1");
    cJSON_Delete(res);
    params_free(p);
    enqueue("m-restart", "sqs", "arn:aws:sqs:us-east-1:123456789012:q1");
    delivery_free(d);
    is_str(state_of("m-restart", &a), "pending", "pending while no engine runs");
    d = delivery_new(&r);
    run_until_done(d, "m-restart", 5);
    is_str(state_of("m-restart", &a), "delivered", "a new engine delivers it");
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(store_sqlite(r.st), "SELECT count(*) FROM sqs_messages WHERE queue='q1'",
                       -1, &st, NULL);
    is_int(sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1, 1,
           "one message in the queue");
    sqlite3_finalize(st);

    is_int(list_count(""), 3, "ListDeliveries: every row");
    is_int(list_count("State=dead"), 1, "ListDeliveries State=dead");
    is_int(list_count("State=delivered"), 2, "ListDeliveries State=delivered");
    is_int(list_count("SubscriptionArn=arn:aws:sns:us-east-1:1:t:email"), 1,
           "ListDeliveries by subscription");
    is_int(list_count("MaxItems=1"), 1, "ListDeliveries MaxItems");
    is_int(list_count("State=bogus"), -1, "ListDeliveries refuses an unknown State");

    test_lambda(&d, dir);

    delivery_free(d);
    store_close(r.st);
    event_base_free(r.base);
    fs_rm_rf(dir);
    free(db);
    return done_testing();
}
