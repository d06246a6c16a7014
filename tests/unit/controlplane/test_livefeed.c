/* test_livefeed: the live view's event streams (api/livefeed.h) over real
 * sockets on an in-process loop: a client that stops reading is dropped
 * once its backlog passes LIVEFEED_MAX_BUFFERED while a reading one stays;
 * a stream ends with its session; the 17th stream is refused with 503. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/api/livefeed.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/httpguard.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

static region R;
static livefeed *F;
static httpguard *G;
static bool session_ok = true;

static bool still_ok(void *arg, const char *key_id)
{
    (void)arg;
    (void)key_id;
    return session_ok;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    httpguard_request_begin(G, req);
    livefeed_open(F, req, "AKIATESTTESTTESTTEST", (int64_t)time(NULL) + 3600);
}

static void run_for(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(R.base, &tv);
    event_base_dispatch(R.base);
}

/* Runs the loop until the feed has n clients (at most 5 s): true then. */
static bool until_clients(int n)
{
    for (int i = 0; i < 100 && livefeed_clients(F) != n; i++)
        run_for(50);
    return livefeed_clients(F) == n;
}

static int client(uint16_t port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    static const char get[] = "GET /view/api/events HTTP/1.1\r\nHost: t\r\n\r\n";
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        write(fd, get, sizeof get - 1) != (ssize_t)(sizeof get - 1)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads what is there without blocking: bytes read, -1 at EOF/reset. */
static long drain(int fd, char *keep, size_t cap)
{
    char buf[65536];
    long total = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return -1;
        if (r < 0)
            return total;
        if (keep && (size_t)total < cap) {
            size_t n = (size_t)r < cap - (size_t)total ? (size_t)r : cap - (size_t)total;
            memcpy(keep + total, buf, n);
        }
        total += r;
    }
}

/* n events of an 8 KB message each, as events_emit would write them. */
static void add_events(int n)
{
    char *msg = xmalloc(8001);
    memset(msg, 'm', 8000);
    msg[8000] = '\0';
    sqlite3 *db = store_sqlite(R.st);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db,
                       "INSERT INTO events(source_id, source_type, event_id, message, categories,"
                       " date_ms, source_arn) VALUES('x','db-instance','RDS-EVENT-0005',?1,'',0,'')",
                       -1, &st, NULL);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, msg, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    free(msg);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    log_set_level(getenv("TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
    char dir[] = "/tmp/rdsim-livefeed-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    R.st = store_open(path);
    ok(R.st != NULL, "store");
    R.cfg.name = "us-east-1";
    R.cfg.account = "123456789012";
    R.base = event_base_new();
    struct evhttp *http = evhttp_new(R.base);
    evhttp_set_gencb(http, on_request, NULL);
    httpguard_config cfg = {.header_ms = 1000, .request_ms = 2000, .idle_ms = 500,
                            .share_pct = 75, .min_conns = 64, .max_conns = 64};
    uint16_t port = 0;
    G = httpguard_bind(R.base, http, "127.0.0.1", 0, &cfg, &port);
    F = livefeed_new(&R, G, still_ok, NULL);
    ok(G && port, "a server");

    /* A slow client (a 4 KiB receive buffer, never read) and a reader. */
    int slow = client(port, 4096);
    int fast = client(port, 0);
    ok(until_clients(2), "two streams");
    char head[256] = {0};
    drain(fast, head, sizeof head - 1);
    ok(strstr(head, "200 OK") && strstr(head, "text/event-stream"), "an event-stream reply");
    long got = 0;
    for (int round = 0; round < 8 && livefeed_clients(F) == 2; round++) {
        add_events(150); /* 1.2 MB a pass: the slow one's backlog passes 256 KiB */
        run_for(1100);
        long n = drain(fast, NULL, 0);
        got += n > 0 ? n : 0;
    }
    is_int(livefeed_clients(F), 1, "the client that stopped reading was dropped");
    diag("the reader got %ld bytes", got);
    ok(got > 1000000, "the reader got every event (over 1 MB) and stays");
    run_for(1100);
    ok(drain(fast, NULL, 0) >= 0, "the reader's stream is still open after a further pass");

    /* The session ends: the stream ends. */
    session_ok = false;
    ok(until_clients(0), "a stream whose session ended is dropped");
    ok(drain(fast, NULL, 0) == -1, "its client sees the end");
    session_ok = true;
    close(slow);
    close(fast);

    /* The bound: 16 streams, then 503 (with short events again, so that
     * the 16, which do not read, are not slow). */
    sqlite3_exec(store_sqlite(R.st), "DELETE FROM events", NULL, NULL, NULL);
    int fds[LIVEFEED_MAX_CLIENTS + 1];
    for (int i = 0; i < LIVEFEED_MAX_CLIENTS; i++)
        fds[i] = client(port, 0);
    bool all16 = until_clients(LIVEFEED_MAX_CLIENTS);
    diag("streams open: %d", livefeed_clients(F));
    ok(all16, "16 streams");
    fds[LIVEFEED_MAX_CLIENTS] = client(port, 0);
    char reply[256] = {0};
    for (int i = 0; i < 100 && !strstr(reply, "503"); i++) {
        run_for(50);
        drain(fds[LIVEFEED_MAX_CLIENTS], reply, sizeof reply - 1);
    }
    ok(strstr(reply, "503") != NULL, "the 17th is answered 503");
    for (int i = 0; i <= LIVEFEED_MAX_CLIENTS; i++)
        close(fds[i]);
    ok(until_clients(0), "clients that leave are forgotten");
    run_for(200); /* the guard's tick releases the freed connections */

    livefeed_free(F);
    evhttp_free(http);
    httpguard_free(G);
    event_base_free(R.base);
    store_close(R.st);
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    free(cmd);
    free(path);
    return done_testing();
}
