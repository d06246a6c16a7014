/* delivery: see delivery.h.
 *
 * A row's life: pending --attempt ok--> delivered
 *               pending --attempt failed, tries left--> pending (next_ms later)
 *               pending --attempt failed, none left--> dead
 * Only delivery_finish moves a row, in its own transaction, and only
 * from pending, so a late answer to an attempt that a restart already
 * repeated changes nothing twice. */
#include "controlplane/notify/delivery.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/core/states.h"
#include "controlplane/core/region.h"
#include "controlplane/notify/endpoint.h"
#include "controlplane/notify/events.h"
#include "controlplane/notify/snsmsg.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/notify/sqs.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/reaper.h"
#include "lib/resolver.h"
#include "lib/util.h"

typedef struct {
    int64_t id;
    pid_t pid;             /* lambda: the running command; 0 otherwise */
    int64_t started_ms;    /* monotonic */
    char *input;           /* lambda: the stdin file, removed when done */
} flight;

struct delivery {
    region *r;
    flight fl[DELIVERY_MAX_IN_FLIGHT];
    int n;
    reaper *children;      /* the lambda commands */
    resolver *names;       /* http(s) endpoints' host names, never blocking */
    bool closing;          /* delivery_free: answers that come now change nothing */
    int64_t pruned_ms;     /* monotonic: the last prune */
};

/* One due row, as read for an attempt. */
typedef struct {
    int64_t id;
    char *protocol, *endpoint, *subscription_arn, *topic_arn, *message_id, *body;
} due_row;

/* An http(s) attempt: the row (owned) while its host name is looked up,
 * then only the id while the request runs. */
typedef struct {
    delivery *d;
    int64_t id;
    due_row w;
    int port;
} http_ctx;

static void due_row_clear(due_row *w)
{
    free(w->protocol);
    free(w->endpoint);
    free(w->subscription_arn);
    free(w->topic_arn);
    free(w->message_id);
    free(w->body);
    memset(w, 0, sizeof *w);
}

static const char *const delivery_state_names[DELIVERY_STATE_COUNT] = {
    [DELIVERY_PENDING] = "pending",
    [DELIVERY_DELIVERED] = "delivered",
    [DELIVERY_DEAD] = "dead",
};

STATES_NAMED(delivery_state, delivery_state_names, DELIVERY_STATE_COUNT)

bool delivery_enqueue(store *s, const delivery_item *it, int64_t now_ms)
{
    sqlite3_stmt *st = sqlrow_prepare(
        s, "INSERT INTO deliveries(message_id,topic_arn,subscription_arn,protocol,endpoint,"
           "event_subscription,subject,body,state,attempts,next_ms,created_ms) "
           "VALUES(?,?,?,?,?,?,?,?,'pending',0,?,?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, it->message_id);
    sqlrow_bind_text(st, 2, it->topic_arn);
    sqlrow_bind_text(st, 3, it->subscription_arn);
    sqlrow_bind_text(st, 4, it->protocol);
    sqlrow_bind_text(st, 5, it->endpoint);
    sqlrow_bind_text(st, 6, it->evsub);
    sqlrow_bind_text(st, 7, it->subject);
    sqlrow_bind_text(st, 8, it->body);
    sqlite3_bind_int64(st, 9, now_ms);
    sqlite3_bind_int64(st, 10, now_ms);
    return sqlrow_run(st);
}

/* ---- in-flight set ---- */

static flight *flight_find(delivery *d, int64_t id)
{
    for (int i = 0; i < d->n; i++)
        if (d->fl[i].id == id)
            return &d->fl[i];
    return NULL;
}

static void flight_remove(delivery *d, int64_t id)
{
    flight *f = flight_find(d, id);
    if (!f)
        return;
    if (f->input) {
        unlink(f->input);
        free(f->input);
    }
    *f = d->fl[--d->n];
}

/* ---- outcome ---- */

/* Records the outcome of one attempt of row id (see the diagram above).
 * error is NULL on success. */
static void delivery_finish(delivery *d, int64_t id, const char *error)
{
    store *s = d->r->st;
    flight_remove(d, id);
    if (!store_begin(s))
        return;
    sqlite3_stmt *st = sqlrow_prepare(s, "SELECT attempts FROM deliveries WHERE id=? AND "
                                         "state='pending'");
    if (!st) {
        store_rollback(s);
        return;
    }
    sqlite3_bind_int64(st, 1, id);
    int attempts = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) + 1 : -1;
    sqlite3_finalize(st);
    if (attempts < 0) {
        store_rollback(s);
        return;
    }
    int64_t now = wall_ms();
    delivery_state state = !error                        ? DELIVERY_DELIVERED
                           : snsmsg_exhausted(attempts) ? DELIVERY_DEAD
                                                        : DELIVERY_PENDING;
    st = sqlrow_prepare(s, "UPDATE deliveries SET state=?, attempts=?, next_ms=?, last_error=?, "
                           "done_ms=? WHERE id=?");
    bool ok = st != NULL;
    if (ok) {
        sqlrow_bind_text(st, 1, delivery_state_name(state));
        sqlite3_bind_int(st, 2, attempts);
        sqlite3_bind_int64(st, 3, now + (error ? snsmsg_backoff_ms(attempts, d->r->cfg.delivery_retry_ms)
                                               : 0));
        sqlrow_bind_text(st, 4, error);
        if (state == DELIVERY_PENDING)
            sqlite3_bind_null(st, 5);
        else
            sqlite3_bind_int64(st, 5, now);
        sqlite3_bind_int64(st, 6, id);
        ok = sqlrow_run(st);
    }
    if (!ok || !store_commit(s)) {
        store_rollback(s);
        return;
    }
    if (error)
        LOG_WARN("delivery failed id=%lld attempts=%d state=%s error=\"%s\"", (long long)id,
                 attempts, delivery_state_name(state), error);
    else
        LOG_INFO("delivery done id=%lld attempts=%d", (long long)id, attempts);
}

/* ---- protocols ---- */

static void due_row_clear(due_row *w);

static void http_ctx_free(http_ctx *c)
{
    due_row_clear(&c->w);
    free(c);
}

static void http_done(int status, const char *body, size_t len, void *arg)
{
    (void)body;
    (void)len;
    http_ctx *c = arg;
    char err[64];
    if (status >= 200 && status < 300) {
        delivery_finish(c->d, c->id, NULL);
    } else {
        if (status == 0)
            snprintf(err, sizeof err, "no answer (refused, reset, timed out or too long)");
        else
            snprintf(err, sizeof err, "HTTP status %d", status);
        delivery_finish(c->d, c->id, err);
    }
    http_ctx_free(c);
}

/* The host name's answer (lib/resolver): refuse the region's own
 * listeners (endpoint.h), else POST to the address found, with the
 * URL's host as Host and SNI. */
static void http_resolved(bool ok, const struct sockaddr *addr, socklen_t addrlen,
                          const char *why, void *arg)
{
    (void)addrlen;
    http_ctx *c = arg;
    delivery *d = c->d;
    if (d->closing) {
        http_ctx_free(c);
        return;
    }
    char error[300] = "", numeric[INET6_ADDRSTRLEN] = "";
    const void *raw = !ok ? NULL
                      : addr->sa_family == AF_INET
                          ? (const void *)&((const struct sockaddr_in *)addr)->sin_addr
                          : (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr;
    if (!ok)
        snprintf(error, sizeof error, "cannot resolve the endpoint's host: %s", why);
    else if (endpoint_is_own(d->r, addr, c->port))
        snprintf(error, sizeof error, "refused: the endpoint is this region's own listener "
                                      "(port %d)", c->port);
    else if (!inet_ntop(addr->sa_family, raw, numeric, sizeof numeric))
        snprintf(error, sizeof error, "cannot use the endpoint's address");
    if (!error[0]) {
        const due_row *w = &c->w;
        const char *headers[] = {"x-amz-sns-message-type", "Notification",
                                 "x-amz-sns-message-id", w->message_id,
                                 "x-amz-sns-topic-arn", w->topic_arn,
                                 "x-amz-sns-subscription-arn", w->subscription_arn,
                                 "User-Agent", "Amazon Simple Notification Service Agent",
                                 NULL};
        httpc_opts o = {.method = "POST", .content_type = "text/plain; charset=UTF-8",
                        .body = w->body, .body_len = strlen(w->body),
                        .timeout_s = DELIVERY_HTTP_TIMEOUT_S, .total_s = DELIVERY_HTTP_TOTAL_S,
                        .max_body = DELIVERY_HTTP_MAX_REPLY,
                        .max_headers = DELIVERY_HTTP_MAX_REPLY, .headers = headers,
                        .connect_addr = numeric};
        if (httpc_request(d->r->base, w->endpoint, &o, http_done, c))
            return; /* http_done frees c */
        snprintf(error, sizeof error, "the request could not start (bad URL?)");
    }
    delivery_finish(d, c->id, error);
    http_ctx_free(c);
}

/* Starts an http attempt with the lookup of its host name; false (with
 * error) if it could not start. */
static bool send_http(delivery *d, const due_row *w, char *error, size_t esize)
{
    char host[256];
    int port;
    if (!endpoint_host_port(w->endpoint, host, sizeof host, &port)) {
        snprintf(error, esize, "malformed endpoint %s", w->endpoint);
        return false;
    }
    if (!d->names) {
        snprintf(error, esize, "no resolver for the endpoint's host");
        return false;
    }
    http_ctx *c = xcalloc(1, sizeof *c);
    c->d = d;
    c->id = w->id;
    c->port = port;
    c->w = (due_row){.id = w->id, .protocol = xstrdup(w->protocol),
                     .endpoint = xstrdup(w->endpoint),
                     .subscription_arn = xstrdup(w->subscription_arn),
                     .topic_arn = xstrdup(w->topic_arn), .message_id = xstrdup(w->message_id),
                     .body = xstrdup(w->body)};
    if (!resolver_lookup(d->names, host, http_resolved, c)) {
        http_ctx_free(c);
        snprintf(error, esize, "the endpoint's host name cannot be looked up");
        return false;
    }
    return true;
}

/* Appends data to <home>/<dir>/<name> and syncs it. */
static bool append_file(delivery *d, const char *dir, const char *name, const char *data,
                        char *error, size_t esize)
{
    char *dpath = xasprintf("%s/%s", d->r->home, dir);
    char *path = xasprintf("%s/%s", dpath, name);
    bool ok = fs_mkdir_p(dpath, 0755);
    int fd = ok ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
    size_t len = strlen(data), off = 0;
    while (fd >= 0 && off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    ok = fd >= 0 && off == len && fsync(fd) == 0;
    if (!ok)
        snprintf(error, esize, "cannot append to %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(path);
    free(dpath);
    return ok;
}

/* The note back from a row's envelope (for email and sms). */
static bool note_of(const char *body, cJSON **root, snsmsg_note *n)
{
    *root = cJSON_Parse(body);
    const cJSON *subj = cJSON_GetObjectItemCaseSensitive(*root, "Subject");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(*root, "Timestamp");
    *n = (snsmsg_note){
        .message_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*root, "MessageId")),
        .topic_arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*root, "TopicArn")),
        .subject = cJSON_GetStringValue(subj),
        .message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*root, "Message")),
    };
    if (!n->message_id || !n->topic_arn || !n->message || !cJSON_IsString(ts) ||
        !rclock_parse(ts->valuestring, &n->timestamp_ms))
        return false;
    return true;
}

static bool send_spool(delivery *d, const due_row *w, char *error, size_t esize)
{
    bool sms = strcmp(w->protocol, "sms") == 0;
    if (w->endpoint[0] == '.' || strchr(w->endpoint, '/')) {
        snprintf(error, esize, "malformed endpoint %s", w->endpoint);
        return false;
    }
    if (strcmp(w->protocol, "email-json") == 0) {
        /* email-json: the envelope itself is the mail body. */
        snsmsg_note n = {.message_id = w->message_id, .topic_arn = w->topic_arn,
                         .subject = "AWS Notification Message", .message = w->body,
                         .timestamp_ms = region_now_ms(d->r)};
        char *mail = snsmsg_mail(w->endpoint, &n);
        bool ok = append_file(d, "mail", w->endpoint, mail, error, esize);
        free(mail);
        return ok;
    }
    cJSON *root;
    snsmsg_note n;
    bool ok = note_of(w->body, &root, &n);
    if (!ok) {
        snprintf(error, esize, "the stored envelope is not valid");
    } else {
        char *text = sms ? snsmsg_sms_line(&n) : snsmsg_mail(w->endpoint, &n);
        ok = append_file(d, sms ? "sms" : "mail", w->endpoint, text, error, esize);
        free(text);
    }
    cJSON_Delete(root);
    return ok;
}

/* The part of endpoint after marker, or NULL (rows come from validated
 * subscriptions, but the store is a file anyone can edit). */
static const char *endpoint_after(const char *endpoint, const char *marker, char *error,
                                  size_t esize)
{
    const char *m = strstr(endpoint, marker);
    if (m && m[strlen(marker)])
        return m + strlen(marker);
    snprintf(error, esize, "malformed endpoint %s", endpoint);
    return NULL;
}

/* The name an ARN of `service` ends with (a queue's, "arn:aws:sqs:<region>:
 * <account>:<name>"), or NULL with error set. Borrowed from endpoint. */
static const char *endpoint_arn_name(const char *endpoint, const char *service, char *error,
                                     size_t esize)
{
    region_arn a;
    if (region_arn_parse(endpoint, &a) && strcmp(a.service, service) == 0 && a.resource[0] &&
        !strchr(a.resource, ':'))
        return endpoint + (a.resource - a.buf);
    snprintf(error, esize, "malformed endpoint %s", endpoint);
    return NULL;
}

static bool send_firehose(delivery *d, const due_row *w, char *error, size_t esize)
{
    const char *name = endpoint_after(w->endpoint, ":deliverystream/", error, esize);
    if (!name || name[0] == '.' || strchr(name, '/'))
        return false;
    char *line = xasprintf("%s\n", w->body);
    bool ok = append_file(d, "firehose", name, line, error, esize);
    free(line);
    return ok;
}

static bool send_sqs(delivery *d, const due_row *w, char *error, size_t esize)
{
    const char *name = endpoint_arn_name(w->endpoint, "sqs", error, esize);
    if (!name)
        return false;
    awserr e = {0};
    if (sqs_enqueue(d->r, name, w->body, &e))
        return true;
    snprintf(error, esize, "%s", e.message[0] ? e.message : "the queue refused the message");
    return false;
}

static void lambda_exit(pid_t pid, int status, void *arg);

/* Forks <home>/lambda/<name> with the Lambda event on stdin (a file, so
 * no pipe can block the loop), stdout and stderr appended to
 * <home>/lambda/<name>.log, in its own process group (a timeout kills it
 * whole). The child is reaped by delivery_tick (lambda_exit). */
static bool send_lambda(delivery *d, const due_row *w, flight *f, char *error, size_t esize)
{
    const char *name = endpoint_after(w->endpoint, ":function:", error, esize);
    if (!name || name[0] == '.' || strchr(name, '/'))
        return false;
    char *dir = xasprintf("%s/lambda", d->r->home);
    char *cmd = xasprintf("%s/%s", dir, name);
    char *log = xasprintf("%s/%s.log", dir, name);
    char *input = xasprintf("%s/.event-%lld.json", dir, (long long)w->id);
    char *event = snsmsg_lambda_event(w->body, w->subscription_arn);
    bool ok = fs_mkdir_p(dir, 0755) && access(cmd, X_OK) == 0 &&
              fs_write_atomic(input, event, strlen(event), 0600);
    if (!ok)
        snprintf(error, esize, "function %s: no executable %s", name, cmd);
    const char *argv[] = {cmd, NULL};
    reaper_spec spec = {.argv = argv, .stdin_path = input, .out_path = log, .out_append = true,
                        .out_mode = 0644, .own_group = true};
    pid_t pid = ok ? reaper_spawn(d->children, &spec, lambda_exit, d) : -1;
    if (ok && pid < 0) {
        snprintf(error, esize, "fork failed: %s", strerror(errno));
        ok = false;
    }
    if (ok) {
        f->pid = pid;
        f->input = input;
        input = NULL;
    } else if (input) {
        unlink(input);
    }
    free(event);
    free(input);
    free(log);
    free(cmd);
    free(dir);
    return ok;
}

/* Starts one attempt of w. Synchronous protocols finish here. */
static void delivery_start(delivery *d, const due_row *w)
{
    flight *f = &d->fl[d->n++];
    *f = (flight){.id = w->id, .started_ms = mono_ms()};
    char error[600] = "";
    const char *p = w->protocol;
    bool web = strcmp(p, "http") == 0 || strcmp(p, "https") == 0;
    bool async = web || strcmp(p, "lambda") == 0;
    bool ok;
    if (web)
        ok = send_http(d, w, error, sizeof error);
    else if (strcmp(p, "lambda") == 0)
        ok = send_lambda(d, w, f, error, sizeof error);
    else if (strcmp(p, "email") == 0 || strcmp(p, "email-json") == 0 || strcmp(p, "sms") == 0)
        ok = send_spool(d, w, error, sizeof error);
    else if (strcmp(p, "firehose") == 0)
        ok = send_firehose(d, w, error, sizeof error);
    else if (strcmp(p, "sqs") == 0)
        ok = send_sqs(d, w, error, sizeof error);
    else
        ok = (snprintf(error, sizeof error, "protocol %s cannot be delivered", p), false);
    if (!ok || !async)
        delivery_finish(d, w->id, ok ? NULL : error);
}

/* ---- the tick ---- */

/* lib/reaper's callback for a lambda command: arg is the delivery. */
static void lambda_exit(pid_t pid, int status, void *arg)
{
    delivery *d = arg;
    for (int i = 0; i < d->n; i++) {
        if (d->fl[i].pid != pid)
            continue;
        char error[80] = "";
        if (status == REAPER_LOST)
            snprintf(error, sizeof error, "lost the command: %s", strerror(ECHILD));
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            snprintf(error, sizeof error, "the command failed (status %d)",
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        delivery_finish(d, d->fl[i].id, error[0] ? error : NULL);
        return;
    }
}

/* Reaps the lambda commands that ended; kills those past their time
 * (reaped on a later tick). */
static void reap_lambdas(delivery *d)
{
    reaper_poll(d->children);
    for (int i = 0; i < d->n; i++) {
        flight *f = &d->fl[i];
        if (f->pid > 0 && mono_ms() - f->started_ms > DELIVERY_LAMBDA_TIMEOUT_MS)
            reaper_kill(d->children, f->pid, SIGKILL);
    }
}

/* Invariant 6: finished rows past DELIVERY_KEEP_MS, the messages no row
 * names any more, events past RDS's 14 days and SQS messages past SQS's
 * retention. One transaction. */
static void delivery_prune(delivery *d)
{
    store *s = d->r->st;
    int64_t now = region_now_ms(d->r);
    if (!store_begin(s))
        return;
    sqlite3_stmt *st = sqlrow_prepare(s, "DELETE FROM deliveries WHERE state IN "
                                         "('delivered','dead') AND done_ms < ?");
    bool ok = st != NULL;
    if (ok) {
        sqlite3_bind_int64(st, 1, now - DELIVERY_KEEP_MS);
        ok = sqlrow_run(st);
    }
    int rows = ok ? sqlite3_changes(store_sqlite(s)) : 0;
    st = ok ? sqlrow_prepare(s, "DELETE FROM sns_messages WHERE NOT EXISTS (SELECT 1 FROM "
                                "deliveries d WHERE d.message_id=sns_messages.message_id)")
            : NULL;
    ok = st != NULL && sqlrow_run(st);
    int msgs = ok ? sqlite3_changes(store_sqlite(s)) : 0;
    int evs = 0, sqs = 0;
    ok = ok && events_prune(d->r, &evs) && sqs_prune(d->r, &sqs);
    if (!ok || !store_commit(s)) {
        store_rollback(s);
        return;
    }
    if (rows || msgs || evs || sqs)
        LOG_INFO("pruned deliveries=%d messages=%d events=%d sqs_messages=%d", rows, msgs, evs,
                 sqs);
}

void delivery_tick(delivery *d)
{
    if (!d)
        return;
    reap_lambdas(d);
    if (mono_ms() - d->pruned_ms >= DELIVERY_PRUNE_EVERY_MS) {
        d->pruned_ms = mono_ms();
        delivery_prune(d);
    }
    if (d->n >= DELIVERY_MAX_IN_FLIGHT)
        return;
    sqlite3_stmt *st = sqlrow_cached(
        d->r->st, "SELECT d.id, d.protocol, d.endpoint, d.subscription_arn, d.topic_arn, "
                  "d.message_id, d.body, m.subject, m.message, m.timestamp_ms, "
                  "(SELECT value FROM sns_attributes a WHERE a.arn=d.subscription_arn "
                  " AND a.name='RawMessageDelivery') "
                  "FROM deliveries d LEFT JOIN sns_messages m ON m.message_id=d.message_id "
                  "WHERE d.state='pending' AND d.next_ms <= ? ORDER BY d.next_ms, d.id LIMIT ?");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, wall_ms());
    sqlite3_bind_int(st, 2, 2 * DELIVERY_MAX_IN_FLIGHT);
    /* Read first, act after: an attempt commits, which must not happen
     * while this statement is open. */
    due_row rows[2 * DELIVERY_MAX_IN_FLIGHT];
    int n = 0;
    while (n < 2 * DELIVERY_MAX_IN_FLIGHT && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (flight_find(d, id))
            continue;
        rows[n] = (due_row){.id = id, .protocol = sqlrow_text(st, 1),
                            .endpoint = sqlrow_text(st, 2), .subscription_arn = sqlrow_text(st, 3),
                            .topic_arn = sqlrow_text(st, 4), .message_id = sqlrow_text(st, 5),
                            .body = sqlrow_text(st, 6)};
        const char *raw = (const char *)sqlite3_column_text(st, 10);
        if ((!rows[n].body || !rows[n].body[0]) && sqlite3_column_text(st, 8) && raw &&
            strcmp(raw, "true") == 0) {
            /* RawMessageDelivery (snsattr.h): the message itself, no
             * envelope (Subscribe allows it for sqs, http(s), firehose). */
            free(rows[n].body);
            rows[n].body = sqlrow_text(st, 8);
        } else if ((!rows[n].body || !rows[n].body[0]) && sqlite3_column_text(st, 8)) {
            due_row *w = &rows[n];
            char *unsub = snsmsg_unsubscribe_url(w->subscription_arn ? w->subscription_arn : "");
            snsmsg_note note = {.message_id = w->message_id, .topic_arn = w->topic_arn,
                                .subject = (const char *)sqlite3_column_text(st, 7),
                                .message = (const char *)sqlite3_column_text(st, 8),
                                .timestamp_ms = sqlite3_column_int64(st, 9),
                                .unsubscribe_url = unsub};
            free(w->body);
            w->body = snsmsg_envelope(&note);
            free(unsub);
        }
        if (!rows[n].body)
            rows[n].body = xstrdup("");
        n++;
    }
    sqlrow_release(d->r->st, st);
    for (int i = 0; i < n; i++) {
        if (d->n < DELIVERY_MAX_IN_FLIGHT)
            delivery_start(d, &rows[i]);
        due_row_clear(&rows[i]);
    }
}

delivery *delivery_new(region *r)
{
    delivery *d = xcalloc(1, sizeof *d);
    d->r = r;
    d->children = reaper_new();
    d->names = resolver_new(r->base, r->cfg.sns_dns_servers);
    if (!d->names)
        LOG_ERROR("sns: no resolver for http(s) endpoints: their deliveries fail");
    return d;
}

void delivery_free(delivery *d)
{
    if (!d)
        return;
    d->closing = true;
    resolver_free(d->names); /* the lookups in flight end here, changing nothing */
    reaper_free(d->children); /* kills the lambda commands still running */
    for (int i = 0; i < d->n; i++) {
        if (d->fl[i].input) {
            unlink(d->fl[i].input);
            free(d->fl[i].input);
        }
    }
    free(d);
}

/* ---- ListDeliveries ---- */

static void add_time(cJSON *o, const char *name, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return;
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(sqlite3_column_int64(st, col), buf, sizeof buf));
}

static void add_text(cJSON *o, const char *name, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t)
        cJSON_AddStringToObject(o, name, (const char *)t);
}

bool delivery_action_list(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max = 100, after = 0;
    if (!params_get_int(p, "MaxItems", 1, 1000, &max, NULL, err))
        return false;
    const char *token = params_get(p, "NextToken");
    if (token && !str_to_int64(token, 0, INT64_MAX, &after))
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: NextToken");
    const char *state = params_get(p, "State");
    delivery_state want;
    if (state && !delivery_state_parse(state, &want))
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: State must be pending, delivered or dead");
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT id, message_id, topic_arn, subscription_arn, protocol, endpoint, "
               "event_subscription, state, attempts, last_error, created_ms, next_ms, done_ms "
               "FROM deliveries WHERE id > ?1 AND (?2 IS NULL OR subscription_arn=?2) "
               "AND (?3 IS NULL OR topic_arn=?3) AND (?4 IS NULL OR event_subscription=?4) "
               "AND (?5 IS NULL OR state=?5) ORDER BY id LIMIT ?6");
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, after);
    sqlrow_bind_text(st, 2, params_get(p, "SubscriptionArn"));
    sqlrow_bind_text(st, 3, params_get(p, "TopicArn"));
    sqlrow_bind_text(st, 4, params_get(p, "EventSubscription"));
    sqlrow_bind_text(st, 5, state);
    sqlite3_bind_int64(st, 6, max + 1);
    cJSON *list = cJSON_AddArrayToObject(result, "Deliveries");
    int n = 0;
    int64_t last = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (++n > max) {
            char buf[24];
            snprintf(buf, sizeof buf, "%lld", (long long)last);
            cJSON_AddStringToObject(result, "NextToken", buf);
            break;
        }
        last = sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 7);
        delivery_state ds;
        if (!delivery_state_parse(name, &ds)) {
            LOG_WARN("delivery row skipped id=%lld state=%s: unknown state", (long long)last,
                     name ? name : "(null)");
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "DeliveryId", (double)last);
        add_text(o, "MessageId", st, 1);
        add_text(o, "TopicArn", st, 2);
        add_text(o, "SubscriptionArn", st, 3);
        add_text(o, "Protocol", st, 4);
        add_text(o, "Endpoint", st, 5);
        add_text(o, "EventSubscription", st, 6);
        cJSON_AddStringToObject(o, "State", delivery_state_name(ds));
        cJSON_AddNumberToObject(o, "Attempts", sqlite3_column_int(st, 8));
        add_text(o, "LastError", st, 9);
        /* Created is wall clock like the schedule: delivery is real time. */
        add_time(o, "Created", st, 10);
        if (ds == DELIVERY_PENDING)
            add_time(o, "NextAttempt", st, 11);
        add_time(o, "Finished", st, 12);
        cJSON_AddItemToArray(list, o);
    }
    sqlite3_finalize(st);
    return true;
}
