/* test_server: the real server on 127.0.0.1 port 0, driven over the wire.
 *
 * The parent runs the server on its event loop. A forked child acts as
 * the client: it runs dig (UDP, TCP, EDNS variants, opcodes, several
 * queries on one TCP connection) and raw sockets (malformed datagrams,
 * pipelined TCP messages, the connection limit), and reports one line
 * per check through a pipe: "1|name|detail" or "0|name|detail". The
 * parent reads the pipe on its loop, stops when the child closes it, and
 * turns each line into a TAP result; then it checks the server's
 * counters. */
#include "dns/process.h"
#include "dns/server.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define APEX "us-east-1.rds.internal"
#define LONG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG(n) #n LONG_A "." #n LONG_A "." APEX

/* ---- the client (child) ---- */

static int report_fd = -1;

static void report(bool pass, const char *name, const char *detail)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%d|%s|%s\n", pass ? 1 : 0, name, detail ? detail : "");
    if (n > 0) {
        /* Keep the line protocol intact: no newline inside a detail. */
        for (int i = 0; i < n - 1; i++)
            if (line[i] == '\n')
                line[i] = ' ';
        ssize_t w = write(report_fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line));
        (void)w;
    }
}

/* Runs dig and returns its output with every run of whitespace turned
 * into one space (dig aligns with tabs). The caller frees it. */
static char *dig(uint16_t port, const char *args)
{
    char *cmd = xasprintf("dig @127.0.0.1 -p %u +time=2 +tries=1 %s 2>&1", port, args);
    FILE *p = popen(cmd, "r");
    free(cmd);
    sbuf out = {0};
    if (!p)
        return sbuf_take(&out);
    int ch, prev_space = 0;
    while ((ch = fgetc(p)) != EOF) {
        bool space = ch == ' ' || ch == '\t' || ch == '\n';
        if (space && prev_space)
            continue;
        sbuf_putc(&out, space ? ' ' : (char)ch);
        prev_space = space;
    }
    pclose(p);
    return sbuf_take(&out);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

typedef struct {
    const char *name;
    const char *args;
    const char *want[4];   /* substrings that must appear */
    const char *reject[2]; /* substrings that must not */
} dig_case;

#define NORM " +norec +noall +comments +answer +authority +additional"

static const dig_case dig_cases[] = {
    {"udp CNAME and its A", "db." APEX " A" NORM,
     {"status: NOERROR", "flags: qr aa;", "IN CNAME node1." APEX ".", "IN A 127.0.1.5"},
     {"WARNING"}},
    {"tcp CNAME and its A", "db." APEX " A +tcp" NORM,
     {"status: NOERROR", "flags: qr aa;", "IN CNAME node1." APEX ".", "IN A 127.0.1.5"},
     {NULL}},
    {"rd copied, ra clear", "node1." APEX " A +rec +noall +comments",
     {"flags: qr aa rd;", "recursion requested but not available"},
     {"ra;"}},
    {"edns 0: OPT with our size", "node1." APEX " A +edns=0 +bufsize=4096" NORM,
     {"EDNS: version: 0", "udp: 1232", "IN A 127.0.1.5"},
     {NULL}},
    {"edns 1: BADVERS", "node1." APEX " A +edns=1 +noednsnegotiation" NORM,
     {"status: BADVERS", "EDNS: version: 0"},
     {"IN A 127.0.1.5"}},
    {"noedns: no OPT", "node1." APEX " A +noedns" NORM,
     {"status: NOERROR", "IN A 127.0.1.5"},
     {"OPT PSEUDOSECTION"}},
    {"opcode status: NOTIMP", "node1." APEX " A +opcode=status" NORM,
     {"opcode: STATUS, status: NOTIMP"},
     {NULL}},
    {"NXDOMAIN with the SOA", "nope." APEX " A" NORM,
     {"status: NXDOMAIN", "flags: qr aa;",
      APEX ". 5 IN SOA ns." APEX ". hostmaster." APEX "."},
     {NULL}},
    {"NODATA with the SOA", "node1." APEX " AAAA" NORM,
     {"status: NOERROR", "ANSWER: 0, AUTHORITY: 1", APEX ". 5 IN SOA ns." APEX "."},
     {NULL}},
    {"out of zone REFUSED", "example.com A" NORM, {"status: REFUSED"}, {"aa"}},
    {"apex SOA", APEX " SOA" NORM, {"status: NOERROR", "IN SOA ns." APEX ". hostmaster."}, {NULL}},
    {"UDP truncated: TC", LONG(1) " A +noedns +ignore" NORM,
     {"flags: qr aa tc;", "ANSWER: 0"},
     {NULL}},
    {"UDP truncated: dig retries over TCP", LONG(1) " A +noedns" NORM,
     {"IN A 127.0.9.9"},
     {NULL}},
};

enum { DIG_TCP_CONNS = 2 }; /* "tcp CNAME" and the TCP retry */

static void client_dig(uint16_t port)
{
    char *probe = dig(port, "-v");
    bool have_dig = strstr(probe, "DiG") != NULL;
    free(probe);
    for (size_t i = 0; i < sizeof dig_cases / sizeof dig_cases[0]; i++) {
        const dig_case *c = &dig_cases[i];
        if (!have_dig) {
            report(true, c->name, "SKIP no dig");
            continue;
        }
        char *out = dig(port, c->args);
        bool pass = true;
        for (int k = 0; k < 4 && c->want[k]; k++)
            pass = pass && strstr(out, c->want[k]) != NULL;
        for (int k = 0; k < 2 && c->reject[k]; k++)
            pass = pass && strstr(out, c->reject[k]) == NULL;
        report(pass, c->name, pass ? NULL : out);
        free(out);
    }
    /* Several queries on one TCP connection. */
    if (have_dig) {
        char *out = dig(port, "+tcp +keepopen" NORM " db." APEX " A node1." APEX " A " APEX " SOA");
        bool pass = count_of(out, "status: NOERROR") == 3 && strstr(out, "IN SOA") &&
                    count_of(out, "IN A 127.0.1.5") == 2;
        report(pass, "tcp keepopen: three answers", pass ? NULL : out);
        free(out);
    } else {
        report(true, "tcp keepopen: three answers", "SKIP no dig");
    }
}

static size_t build_query(uint8_t *b, uint16_t id, const char *name, uint16_t qtype)
{
    size_t n = 0;
    b[n++] = (uint8_t)(id >> 8);
    b[n++] = (uint8_t)id;
    memset(b + n, 0, 10);
    b[5] = 1; /* qdcount */
    n += 10;
    uint8_t w[WIRE_NAME_MAX];
    size_t wl;
    wire_name_from_text(name, w, &wl);
    memcpy(b + n, w, wl);
    n += wl;
    b[n++] = (uint8_t)(qtype >> 8);
    b[n++] = (uint8_t)qtype;
    b[n++] = 0;
    b[n++] = 1;
    return n;
}

static int connect_to(uint16_t port, int type)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads exactly n bytes within timeout_ms; false on EOF, error or timeout. */
static bool read_full(int fd, uint8_t *b, size_t n, int timeout_ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            return false;
        ssize_t r = read(fd, b + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

/* true when the peer closes (EOF or reset) within timeout_ms, before
 * sending anything. */
static bool wait_eof(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return false;
    uint8_t b;
    ssize_t r = read(fd, &b, 1);
    return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* Sends a datagram; returns the answer's length, 0 if none came. */
static size_t udp_exchange(uint16_t port, const uint8_t *q, size_t qn, uint8_t *out, size_t cap,
                           int timeout_ms)
{
    int fd = connect_to(port, SOCK_DGRAM);
    if (fd < 0)
        return 0;
    ssize_t w = send(fd, q, qn, 0);
    ssize_t r = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (w == (ssize_t)qn && poll(&p, 1, timeout_ms) > 0)
        r = recv(fd, out, cap, 0);
    close(fd);
    return r > 0 ? (size_t)r : 0;
}

static void client_raw(uint16_t port)
{
    uint8_t q[512], a[65536];
    char detail[128];

    /* A compression loop in the question: FORMERR with the ID. */
    static const uint8_t loop[] = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1};
    size_t n = udp_exchange(port, loop, sizeof loop, a, sizeof a, 2000);
    report(n >= 12 && a[0] == 0x12 && a[1] == 0x34 && (a[3] & 0xF) == WIRE_RCODE_FORMERR,
           "udp compression loop: FORMERR", NULL);

    /* A response (QR=1) gets no answer; the server then still answers. */
    n = build_query(q, 0x5555, "node1." APEX, WIRE_TYPE_A);
    q[2] |= 0x80;
    report(udp_exchange(port, q, n, a, sizeof a, 300) == 0, "udp QR=1: dropped", NULL);
    static const uint8_t shortq[] = {1, 2, 3, 4, 5};
    report(udp_exchange(port, shortq, sizeof shortq, a, sizeof a, 300) == 0,
           "udp 5 bytes: dropped", NULL);
    q[2] &= 0x7F;
    n = udp_exchange(port, q, n, a, sizeof a, 2000);
    report(n > 12 && (a[3] & 0xF) == 0 && a[7] == 1, "udp still answering after garbage", NULL);

    /* Pipelining: three queries in one write, one split across writes. */
    int fd = connect_to(port, SOCK_STREAM);
    uint8_t buf[1024];
    size_t bn = 0;
    const char *names[] = {"node1." APEX, "nope." APEX, "db." APEX};
    for (int i = 0; i < 3; i++) {
        size_t qn = build_query(buf + bn + 2, (uint16_t)(100 + i), names[i], WIRE_TYPE_A);
        buf[bn] = (uint8_t)(qn >> 8);
        buf[bn + 1] = (uint8_t)qn;
        bn += 2 + qn;
    }
    bool sent = fd >= 0 && write(fd, buf, bn) == (ssize_t)bn;
    static const int want_rcode[] = {0, WIRE_RCODE_NXDOMAIN, 0};
    bool pass = sent;
    for (int i = 0; i < 3 && pass; i++) {
        uint8_t len[2];
        pass = read_full(fd, len, 2, 2000);
        size_t rl = pass ? ((size_t)len[0] << 8 | len[1]) : 0;
        pass = pass && rl >= 12 && read_full(fd, a, rl, 2000);
        pass = pass && a[0] == 0 && a[1] == 100 + i && (a[3] & 0xF) == want_rcode[i];
    }
    report(pass, "tcp pipelined: three answers in order", NULL);
    /* One query dribbled a byte at a time. */
    size_t qn = build_query(buf + 2, 200, "node1." APEX, WIRE_TYPE_A);
    buf[0] = 0;
    buf[1] = (uint8_t)qn;
    pass = fd >= 0;
    for (size_t i = 0; i < qn + 2 && pass; i++)
        pass = write(fd, buf + i, 1) == 1;
    uint8_t len[2];
    pass = pass && read_full(fd, len, 2, 2000) && read_full(fd, a, (size_t)len[0] << 8 | len[1], 2000);
    report(pass && a[1] == 200 && (a[3] & 0xF) == 0, "tcp split message answered", NULL);
    /* A zero-length message is dropped and the connection stays usable. */
    uint8_t zero[2] = {0, 0};
    pass = fd >= 0 && write(fd, zero, 2) == 2 && write(fd, buf, qn + 2) == (ssize_t)(qn + 2);
    pass = pass && read_full(fd, len, 2, 2000) && read_full(fd, a, (size_t)len[0] << 8 | len[1], 2000);
    report(pass && a[1] == 200, "tcp empty message skipped", NULL);
    if (fd >= 0)
        close(fd);

    /* The connection limit: 256 held open; the 257th is served and the
     * one idle longest (the first held) is closed to make room. */
    enum { HOLD = 256 };
    int held[HOLD];
    int opened = 0;
    for (int i = 0; i < HOLD; i++) {
        held[i] = connect_to(port, SOCK_STREAM);
        if (held[i] >= 0)
            opened++;
    }
    /* Make sure all are accepted: each answers a query. */
    qn = build_query(buf + 2, 300, "node1." APEX, WIRE_TYPE_A);
    buf[0] = 0;
    buf[1] = (uint8_t)qn;
    int answered = 0;
    for (int i = 0; i < HOLD; i++) {
        if (held[i] >= 0 && write(held[i], buf, qn + 2) == (ssize_t)(qn + 2) &&
            read_full(held[i], len, 2, 2000) &&
            read_full(held[i], a, (size_t)len[0] << 8 | len[1], 2000))
            answered++;
    }
    snprintf(detail, sizeof detail, "opened=%d answered=%d", opened, answered);
    report(answered == HOLD, "tcp 256 connections served", detail);
    int extra = connect_to(port, SOCK_STREAM);
    bool served = extra >= 0 && write(extra, buf, qn + 2) == (ssize_t)(qn + 2) &&
                  read_full(extra, len, 2, 2000) &&
                  read_full(extra, a, (size_t)len[0] << 8 | len[1], 2000);
    report(served && held[0] >= 0 && wait_eof(held[0], 2000),
           "tcp 257th connection served, the longest idle closed", NULL);
    if (extra >= 0)
        close(extra);
    for (int i = 0; i < HOLD; i++)
        if (held[i] >= 0)
            close(held[i]);
    /* Once the server has seen those closes, connections work again. */
    bool again = false;
    int tries = 0;
    while (tries < 50 && !again) {
        tries++;
        int f = connect_to(port, SOCK_STREAM);
        again = f >= 0 && write(f, buf, qn + 2) == (ssize_t)(qn + 2) && read_full(f, len, 2, 200);
        if (f >= 0)
            close(f);
    }
    /* The parent needs the number of connections for its exact count. */
    snprintf(detail, sizeof detail, "tries=%d", tries);
    report(again, "tcp accepts again after the clients left", detail);
}

/* The idle timeout, against a second server whose timeout is 200 ms. */
static void client_idle(uint16_t port)
{
    int fd = connect_to(port, SOCK_STREAM);
    int64_t t0 = mono_ms();
    bool closed = fd >= 0 && wait_eof(fd, 5000);
    int64_t waited = mono_ms() - t0;
    char detail[64];
    snprintf(detail, sizeof detail, "waited_ms=%lld", (long long)waited);
    report(closed && waited >= 150, "tcp silent connection closed after the idle timeout",
           detail);
    if (fd >= 0)
        close(fd);

    /* Activity resets the timer: a query at 100 ms, answered, then idle. */
    uint8_t buf[600], a[600], len[2];
    size_t qn = build_query(buf + 2, 400, "node1." APEX, WIRE_TYPE_A);
    buf[0] = 0;
    buf[1] = (uint8_t)qn;
    fd = connect_to(port, SOCK_STREAM);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    bool quiet = fd >= 0 && poll(&p, 1, 100) == 0;
    bool answered = quiet && write(fd, buf, qn + 2) == (ssize_t)(qn + 2) &&
                    read_full(fd, len, 2, 2000) &&
                    read_full(fd, a, (size_t)len[0] << 8 | len[1], 2000);
    report(answered && wait_eof(fd, 5000), "tcp connection closed when idle after a query",
           NULL);
    if (fd >= 0)
        close(fd);

    /* Bytes are not activity: a query sent a byte every 20 ms (slowloris)
     * is cut at the idle timeout all the same. */
    fd = connect_to(port, SOCK_STREAM);
    t0 = mono_ms();
    closed = false;
    for (size_t i = 0; fd >= 0 && i < qn + 2 && !closed; i++) {
        if (write(fd, buf + i, 1) != 1)
            break;
        struct pollfd q = {.fd = fd, .events = POLLIN};
        closed = poll(&q, 1, 20) == 1 && wait_eof(fd, 10);
    }
    waited = mono_ms() - t0;
    snprintf(detail, sizeof detail, "waited_ms=%lld", (long long)waited);
    report(closed && waited >= 150 && waited < 2000,
           "tcp trickling connection closed at the idle timeout", detail);
    if (fd >= 0)
        close(fd);
}

/* ---- the server side (parent) ---- */

typedef struct {
    struct event_base *base;
    sbuf lines;
    bool eof;
} parent_ctx;

static void on_report(evutil_socket_t fd, short what, void *arg)
{
    parent_ctx *p = arg;
    char buf[4096];
    (void)what;
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
        sbuf_append(&p->lines, buf, (size_t)r);
        return;
    }
    if (r < 0 && errno == EINTR)
        return;
    p->eof = true;
    event_base_loopbreak(p->base);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(((parent_ctx *)arg)->base);
}

static zone *make_zone(void)
{
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.53", 1, 5);
    zone_set_cname(z, "db." APEX, "node1." APEX, 5);
    zone_set_a(z, "node1." APEX, "127.0.1.5", 5);
    zone_set_cname(z, LONG(1), LONG(2), 5);
    zone_set_cname(z, LONG(2), LONG(3), 5);
    zone_set_cname(z, LONG(3), LONG(4), 5);
    zone_set_cname(z, LONG(4), LONG(5), 5);
    zone_set_a(z, LONG(5), "127.0.9.9", 5);
    return z;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_LEVEL_WARN);
    /* The cap is a share of the descriptor limit: room for 256. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
        rl.rlim_cur = 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct event_base *base = event_base_new();
    zone *z = make_zone();
    dns_server *s = dns_server_new(base, z, "127.0.0.1", 0);
    if (!ok(s != NULL, "server listens on 127.0.0.1 port 0"))
        return done_testing();
    uint16_t port = dns_server_port(s);
    ok(port != 0, "an ephemeral port was chosen");
    ok(dns_server_new(base, z, "not-an-address", 0) == NULL, "a bad address is refused");
    dns_server *clash = dns_server_new(base, z, "127.0.0.1", port);
    ok(clash == NULL, "the same port twice is refused");
    dns_server *brief = dns_server_new(base, z, "127.0.0.1", 0);
    ok(brief != NULL && dns_server_port(brief) != port, "a second server gets its own port");
    dns_server_set_tcp_idle_ms(brief, 200);
    uint16_t brief_port = brief ? dns_server_port(brief) : 0;

    int pfd[2];
    if (pipe(pfd) != 0)
        return 1;
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        report_fd = pfd[1];
        client_dig(port);
        client_raw(port);
        client_idle(brief_port);
        _exit(0);
    }
    close(pfd[1]);

    parent_ctx p = {.base = base};
    struct event *rev = event_new(base, pfd[0], EV_READ | EV_PERSIST, on_report, &p);
    struct event *tev = evtimer_new(base, on_timeout, &p);
    struct timeval limit = {120, 0};
    event_add(rev, NULL);
    event_add(tev, &limit);
    event_base_dispatch(base);
    ok(p.eof, "client finished before the time limit");
    if (!p.eof)
        kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);

    /* One TAP line per reported check. */
    char *text = sbuf_take(&p.lines);
    int checks = 0;
    int retry_conns = 0;
    int dig_conns = DIG_TCP_CONNS + 1; /* + the keepopen connection */
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *name = strchr(line, '|');
        char *detail = name ? strchr(name + 1, '|') : NULL;
        if (!detail)
            continue;
        *name++ = '\0';
        *detail++ = '\0';
        checks++;
        if (strncmp(detail, "SKIP", 4) == 0) {
            dig_conns = 0;
            printf("ok %d - %s # %s\n", ++tap_count_, name, detail);
            continue;
        }
        if (!ok(line[0] == '1', name) && *detail)
            diag("%s", detail);
        if (strncmp(detail, "tries=", 6) == 0)
            retry_conns = atoi(detail + 6);
    }
    free(text);
    is_int(checks, (int)(sizeof dig_cases / sizeof dig_cases[0]) + 1 + 10 + 3,
           "every client check reported");

    dns_server_stats st;
    dns_server_get_stats(s, &st);
    /* Exact: dig's TCP queries, ONE for the three keepopen queries, the
     * pipelining connection, the 256 held, the 257th, and the final tries. */
    is_int(st.tcp_accepted, dig_conns + 1 + 256 + 1 + retry_conns,
           "stats: keepopen used one connection");
    is_int(st.tcp_evicted, 1, "stats: one connection evicted at the limit");
    ok(st.dropped >= 2, "stats: the QR=1 and short datagrams were dropped");
    ok(st.udp_queries > 0 && st.tcp_queries > 0 && st.answers > 0, "stats: queries counted");

    event_free(rev);
    event_free(tev);
    close(pfd[0]);
    dns_server_free(brief);
    dns_server_free(s);
    zone_free(z);
    event_base_free(base);
    return done_testing();
}
