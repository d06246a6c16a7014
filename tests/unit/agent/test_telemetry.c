/* agent/telemetry against a mini controlplane in this process (evhttp on
 * 127.0.0.1, port 0, replies signed as the real one signs them) whose body
 * limit is lower than the agent's budget: issue 13, hole 3.
 *
 * Two nodes on the agent. n1's log holds the attack line (250,000 bytes
 * of chr(1), 1.5 MB as JSON), n2's an ordinary line. Checked: the first
 * too-large request (libevent's 413, which the client mostly sees as a
 * failed write) halves the budget and the next goes through (no batch
 * offered again unchanged for ever); n2's line arrives while n1's
 * backlog is still shipping (no node holds the others back); both files
 * arrive byte for byte; no accepted body was over the limit. Ends by
 * itself (a 30 s cap). */
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/heartbeat.h"
#include "agent/telemetry.h"
#include "lib/agentmac.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

#define LIMIT (160 * 1024) /* the mini controlplane's body limit */
#define LOGNAME "postgresql.log.2026-12-07-12"
#define RDSNAME "error/" LOGNAME

typedef struct {
    sbuf got;       /* bytes received, in order */
    size_t held;
    int chunks;     /* chunks appended */
} mini_file;

typedef struct {
    struct event_base *base;
    uint8_t key[AGENTMAC_KEY_LEN];
    mini_file f[2]; /* n1, n2 */
    size_t want[2];
    int posts, biggest;
    int n2_done_at;  /* n1's chunk count when n2's file was complete */
} mini;

/* Appends the chunks of node i at our end, as logfiles.c does. */
static void take_chunks(mini *m, int i, const cJSON *nd)
{
    const cJSON *c, *chunks = cJSON_GetObjectItemCaseSensitive(nd, "log_chunks");
    cJSON_ArrayForEach(c, chunks) {
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(c, "offset");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, "data");
        if (!cJSON_IsNumber(off) || !cJSON_IsString(d) || (size_t)off->valuedouble != m->f[i].held)
            continue;
        size_t n = strlen(d->valuestring);
        sbuf_append(&m->f[i].got, d->valuestring, n);
        m->f[i].held += n;
        m->f[i].chunks++;
    }
}

static void on_post(struct evhttp_request *req, void *arg)
{
    mini *m = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *body = xmalloc(len + 1);
    evbuffer_remove(in, body, len);
    body[len] = '\0';
    m->posts++;
    if ((int)len > m->biggest)
        m->biggest = (int)len;
    cJSON *root = cJSON_Parse(body);
    const cJSON *e, *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    cJSON_ArrayForEach(e, nodes) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "node_id");
        int i = cJSON_IsString(id) && strcmp(id->valuestring, "n2") == 0 ? 1 : 0;
        take_chunks(m, i, e);
    }
    if (m->f[1].held == m->want[1] && m->n2_done_at < 0)
        m->n2_done_at = m->f[0].chunks;
    cJSON_Delete(root);
    char *reply = xasprintf("{\"nodes\":{\"n1\":{\"monitoring_interval\":0,\"log_sizes\":"
                            "{\"" RDSNAME "\":%zu}},\"n2\":{\"monitoring_interval\":0,"
                            "\"log_sizes\":{\"" RDSNAME "\":%zu}}}}",
                            m->f[0].held, m->f[1].held);
    const char *nonce = evhttp_find_header(evhttp_request_get_input_headers(req), AGENTMAC_H_NONCE);
    const char *agent = evhttp_find_header(evhttp_request_get_input_headers(req), AGENTMAC_H_AGENT);
    char t[24], sig[AGENTMAC_SIG_HEX + 1];
    agentmac_time(wall_ms(), t);
    agentmac_sign(m->key, AGENTMAC_REPLY, "200", TELEMETRY_PATH, agent ? agent : "", t,
                  nonce ? nonce : "", reply, strlen(reply), sig);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, AGENTMAC_H_TIME, t);
    evhttp_add_header(h, AGENTMAC_H_SIG, sig);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, reply, strlen(reply));
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
    free(reply);
    free(body);
}

static int list_nodes(void *arg, telemetry_node *out, int max)
{
    (void)arg;
    if (max < 2)
        return 0;
    out[0] = (telemetry_node){.node_id = "n1", .instance_id = "i1", .pid = 0};
    out[1] = (telemetry_node){.node_id = "n2", .instance_id = "i2", .pid = 0};
    return 2;
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mini *m = arg;
    if (m->f[0].held >= m->want[0] && m->f[1].held >= m->want[1])
        event_base_loopbreak(m->base);
}

static char *write_log(const char *dir, const char *nid, const char *text, size_t len)
{
    char *d = xasprintf("%s/%s/log", dir, nid);
    char *p = xasprintf("%s/" LOGNAME, d);
    fs_mkdir_p(d, 0700);
    FILE *f = fopen(p, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    free(d);
    return p;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as agent/main.c: a 413 closes the socket mid-body */
    char dir[] = "/tmp/rdsim-tel-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    enum { N = 250000 };
    sbuf attack = {0};
    sbuf_puts(&attack, "2026-12-07 12:00:00 UTC [1] ERROR:  invalid input syntax: \"");
    for (int i = 0; i < N; i++)
        sbuf_putc(&attack, '\x01');
    sbuf_puts(&attack, "\"\n2026-12-07 12:00:01 UTC [1] LOG:  after the attack\n");
    const char *line = "2026-12-07 12:00:00 UTC [2] LOG:  the neighbour's line\n";
    free(write_log(dir, "n1", attack.data, attack.len));
    free(write_log(dir, "n2", line, strlen(line)));

    mini m = {.n2_done_at = -1, .want = {attack.len, strlen(line)}};
    memset(m.key, 7, sizeof m.key);
    m.base = event_base_new();
    struct evhttp *http = evhttp_new(m.base);
    evhttp_set_max_body_size(http, LIMIT); /* libevent answers 413 above it */
    evhttp_set_cb(http, TELEMETRY_PATH, on_post, &m);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    ok(sock != NULL, "mini controlplane listening");
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa, &sl);
    char *url = xasprintf("http://127.0.0.1:%d", ntohs(sa.sin_port));

    telemetry *t = telemetry_new(m.base, url, "us-east-1a", m.key, dir, list_nodes, NULL);
    struct event *check = event_new(m.base, -1, EV_PERSIST, on_check, &m);
    struct timeval every = {0, 20000};
    event_add(check, &every);
    struct timeval cap = {30, 0};
    event_base_loopexit(m.base, &cap); /* stops by itself */
    event_base_dispatch(m.base);

    ok(m.f[0].held == attack.len && m.f[0].got.data &&
           memcmp(m.f[0].got.data, attack.data, attack.len) == 0,
       "the attacked file arrives byte for byte, control bytes and all");
    ok(m.f[1].held == strlen(line) && strcmp(m.f[1].got.data, line) == 0,
       "the neighbour's file arrives");
    diag("posts=%d biggest=%d limit=%d n1 chunks=%d, n2 complete after %d of them", m.posts,
         m.biggest, LIMIT, m.f[0].chunks, m.n2_done_at);
    ok(m.biggest <= LIMIT, "no accepted body was over the limit");
    ok(m.n2_done_at >= 0 && m.n2_done_at < m.f[0].chunks,
       "the neighbour's line arrived while the attacked backlog was still shipping");
    /* Halved once (512 -> 256 KiB), shared by two nodes: 128 KiB of JSON each. */
    ok(m.f[0].chunks >= 1500000 / (TELEMETRY_LOG_BUDGET / 4) && m.posts < 40,
       "the backlog went in chunks of the halved budget, request after request");

    telemetry_free(t);
    event_free(check);
    evhttp_free(http);
    event_base_free(m.base);
    free(url);
    sbuf_free(&attack);
    sbuf_free(&m.f[0].got);
    sbuf_free(&m.f[1].got);
    fs_rm_rf(dir);
    return done_testing();
}
