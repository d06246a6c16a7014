/* delivery: the durable queue's state machine against a real store and
 * event loop — pending → delivered (email spool, sqs), pending → retried
 * → dead (a queue that does not exist) with the attempts counted, rows
 * resumed by a new engine (a restart), and ListDeliveries' filters. */
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

    delivery_free(d);
    store_close(r.st);
    event_base_free(r.base);
    fs_rm_rf(dir);
    free(db);
    return done_testing();
}
