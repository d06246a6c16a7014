/* Unit tests for cli/stubres: the query it builds, what it believes of an
 * answer (chains, TTLs, negative answers, spoofed or stray datagrams,
 * every truncation of a good answer), and a round trip over a real UDP
 * socket to a fake server in this process (a fresh id per query, late
 * answers ignored, an absent server reported). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/stubres.h"
#include "dns/wire.h"
#include "lib/tap.h"

typedef struct {
    const char *name;
    uint16_t type;
    uint32_t ttl;
    const char *data; /* A: dotted; CNAME: a name; other: ignored */
} rr_spec;

#define RR_END {NULL, 0, 0, NULL}
#define EP "shop.abc.us-east-1.rds.internal"
#define NODE "ip-127-0-1-2.us-east-1a.us-east-1.rds.internal"

static void put_rr(wire_writer *w, uint8_t names[][WIRE_NAME_MAX], int *nn, const rr_spec *r)
{
    size_t len;
    uint8_t *n = names[(*nn)++];
    wire_name_from_text(r->name, n, &len);
    wire_put_name(w, n, len, true);
    wire_put_u16(w, r->type);
    wire_put_u16(w, WIRE_CLASS_IN);
    wire_put_u32(w, r->ttl);
    size_t at = w->pos;
    wire_put_u16(w, 0);
    size_t start = w->pos;
    if (r->type == WIRE_TYPE_A) {
        struct in_addr a = {0};
        inet_pton(AF_INET, r->data, &a);
        wire_put_bytes(w, &a, r->data[0] == '!' ? 3 : 4);
    } else if (r->type == WIRE_TYPE_CNAME) {
        uint8_t *t = names[(*nn)++];
        wire_name_from_text(r->data, t, &len);
        wire_put_name(w, t, len, true);
    } else {
        wire_put_u32(w, 0);
    }
    wire_patch_u16(w, at, (uint16_t)(w->pos - start));
}

/* An answer: flags (QR added unless noqr), question (qname, qtype). */
static size_t build(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags, const char *qname,
                    uint16_t qtype, const rr_spec *an)
{
    static uint8_t names[32][WIRE_NAME_MAX];
    int nn = 0, nan = 0;
    while (an && an[nan].name)
        nan++;
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_header h = {.id = id, .flags = flags, .qdcount = 1, .ancount = (uint16_t)nan};
    wire_put_header(&w, &h);
    size_t len;
    uint8_t *q = names[nn++];
    wire_name_from_text(qname, q, &len);
    wire_put_name(&w, q, len, false);
    wire_put_u16(&w, qtype);
    wire_put_u16(&w, WIRE_CLASS_IN);
    for (int i = 0; i < nan; i++)
        put_rr(&w, names, &nn, &an[i]);
    return w.overflow ? 0 : w.pos;
}

static const rr_spec chain[] = {{EP, WIRE_TYPE_CNAME, 5, NODE}, {NODE, WIRE_TYPE_A, 60, "127.0.1.2"},
                                RR_END};
static const rr_spec chain_ttl0[] = {{EP, WIRE_TYPE_CNAME, 0, NODE},
                                     {NODE, WIRE_TYPE_A, 60, "127.0.1.9"}, RR_END};
static const rr_spec a_only[] = {{EP, WIRE_TYPE_A, 30, "127.0.2.7"}, RR_END};
static const rr_spec stray[] = {{"other.us-east-1.rds.internal", WIRE_TYPE_A, 1, "10.0.0.1"},
                                {EP, WIRE_TYPE_CNAME, 7, NODE}, {NODE, WIRE_TYPE_A, 9, "127.0.1.3"},
                                RR_END};
static const rr_spec cname_only[] = {{EP, WIRE_TYPE_CNAME, 5, NODE}, RR_END};
static const rr_spec short_a[] = {{EP, WIRE_TYPE_A, 30, "!"}, RR_END};

typedef struct {
    const char *name;
    uint16_t id;        /* of the answer; the query's is 0x4242 */
    uint16_t flags;
    const char *qname;
    uint16_t qtype;
    const rr_spec *an;
    stubres_result want;
    const char *addr;
    uint32_t ttl;
} parse_case;

#define QR WIRE_FLAG_QR
static const parse_case parse_cases[] = {
    {"CNAME chain: the address, the smallest TTL", 0x4242, QR | WIRE_FLAG_AA, EP, WIRE_TYPE_A,
     chain, STUBRES_ADDRESS, "127.0.1.2", 5},
    {"TTL 0 on the CNAME: not cacheable", 0x4242, QR, EP, WIRE_TYPE_A, chain_ttl0,
     STUBRES_ADDRESS, "127.0.1.9", 0},
    {"A record only", 0x4242, QR, EP, WIRE_TYPE_A, a_only, STUBRES_ADDRESS, "127.0.2.7", 30},
    {"a record off the chain is ignored", 0x4242, QR, EP, WIRE_TYPE_A, stray, STUBRES_ADDRESS,
     "127.0.1.3", 7},
    {"NXDOMAIN: negative", 0x4242, QR | WIRE_RCODE_NXDOMAIN, EP, WIRE_TYPE_A, NULL,
     STUBRES_NEGATIVE, NULL, 0},
    {"REFUSED: negative", 0x4242, QR | WIRE_RCODE_REFUSED, EP, WIRE_TYPE_A, NULL,
     STUBRES_NEGATIVE, NULL, 0},
    {"NODATA: negative", 0x4242, QR, EP, WIRE_TYPE_A, NULL, STUBRES_NEGATIVE, NULL, 0},
    {"CNAME without its A: negative", 0x4242, QR, EP, WIRE_TYPE_A, cname_only, STUBRES_NEGATIVE,
     NULL, 0},
    {"another id: not ours", 0x4243, QR, EP, WIRE_TYPE_A, chain, STUBRES_NOTHING, NULL, 0},
    {"a query, not a response: not ours", 0x4242, 0, EP, WIRE_TYPE_A, chain, STUBRES_NOTHING,
     NULL, 0},
    {"another question: not ours", 0x4242, QR, "evil.example", WIRE_TYPE_A, a_only,
     STUBRES_NOTHING, NULL, 0},
    {"another qtype: not ours", 0x4242, QR, EP, WIRE_TYPE_AAAA, a_only, STUBRES_NOTHING, NULL, 0},
    {"A rdata of 3 bytes: malformed", 0x4242, QR, EP, WIRE_TYPE_A, short_a, STUBRES_NOTHING, NULL,
     0},
};

static void test_parse(void)
{
    uint8_t qname[WIRE_NAME_MAX];
    size_t qlen;
    wire_name_from_text(EP, qname, &qlen);
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *pc = &parse_cases[i];
        uint8_t buf[STUBRES_MAX_MSG];
        size_t n = build(buf, sizeof buf, pc->id, pc->flags, pc->qname, pc->qtype, pc->an);
        char addr[16] = "";
        uint32_t ttl = 12345;
        stubres_result r = stubres_parse_answer(buf, n, 0x4242, qname, qlen, addr, sizeof addr, &ttl);
        is_int(r, pc->want, pc->name);
        if (pc->want == STUBRES_ADDRESS) {
            is_str(addr, pc->addr, "  its address");
            is_int(ttl, pc->ttl, "  its TTL");
        }
    }
    /* Every strict prefix of a good answer is not an answer, and never
     * read past its end (the sanitizer builds would catch that). */
    uint8_t buf[STUBRES_MAX_MSG];
    size_t n = build(buf, sizeof buf, 0x4242, QR, EP, WIRE_TYPE_A, stray);
    int bad = 0;
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, buf, cut);
        char addr[16];
        uint32_t ttl;
        if (stubres_parse_answer(copy, cut, 0x4242, qname, qlen, addr, sizeof addr, &ttl) ==
            STUBRES_ADDRESS)
            bad++;
        free(copy);
    }
    is_int(bad, 0, "no truncation of an answer yields an address");
    char small[8];
    uint32_t ttl;
    is_int(stubres_parse_answer(buf, n, 0x4242, qname, qlen, small, sizeof small, &ttl),
           STUBRES_NOTHING, "an address that does not fit the caller's buffer is refused");
}

static void test_build(void)
{
    uint8_t qname[WIRE_NAME_MAX];
    size_t qlen;
    wire_name_from_text(EP, qname, &qlen);
    uint8_t buf[512];
    size_t n = stubres_build_query(0xbeef, qname, qlen, buf, sizeof buf);
    ok(n == WIRE_HEADER_LEN + qlen + 4, "query length: header, name, type, class");
    ok(wire_message_check(buf, n), "the query is a well-formed message");
    wire_cursor c;
    wire_cursor_init(&c, buf, n);
    wire_header h;
    uint8_t name[WIRE_NAME_MAX];
    size_t len;
    uint16_t qt, qc;
    ok(wire_read_header(&c, &h) && wire_read_question(&c, name, &len, &qt, &qc), "it reads back");
    is_int(h.id, 0xbeef, "id");
    is_int(h.flags, WIRE_FLAG_RD, "flags: RD only");
    is_int(h.qdcount, 1, "one question");
    ok(wire_name_equal(name, len, qname, qlen) && qt == WIRE_TYPE_A && qc == WIRE_CLASS_IN,
       "the question: the name, IN A");
    is_int(stubres_build_query(1, qname, qlen, buf, 10), 0, "too small a buffer: 0");
}

/* A UDP socket on 127.0.0.1:0 playing the server. */
static int fake_server(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Receives one query on the fake server; returns its id, fills from. */
static int serve_read(int fd, struct sockaddr_in *from)
{
    uint8_t q[512];
    socklen_t fl = sizeof *from;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1)
        return -1;
    ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)from, &fl);
    return n >= 2 ? (q[0] << 8 | q[1]) : -1;
}

static stubres_result wait_answer(stubres *r, char *addr, uint32_t *ttl)
{
    struct pollfd p = {.fd = r->fd, .events = POLLIN};
    stubres_result res = STUBRES_NOTHING;
    for (int i = 0; i < 5 && res == STUBRES_NOTHING; i++)
        if (poll(&p, 1, 500) == 1)
            res = stubres_receive(r, addr, 16, ttl);
    return res;
}

static void test_round_trip(void)
{
    int port;
    int sfd = fake_server(&port);
    stubres r;
    ok(stubres_open(&r, "127.0.0.1", port, EP), "open a stub to the fake server");
    ok(!stubres_open((stubres[1]){0}, "localhost", port, EP), "a server name is refused (numeric only)");
    ok(!stubres_open((stubres[1]){0}, "127.0.0.1", port, "bad..name"), "a bad name is refused");

    ok(stubres_send(&r), "send a query");
    struct sockaddr_in from;
    int id1 = serve_read(sfd, &from);
    ok(id1 >= 0, "the server got it");
    ok(stubres_send(&r), "send again before an answer (a retry)");
    int id2 = serve_read(sfd, &from);
    ok(id2 >= 0 && id2 != id1, "the retry has a fresh id");
    uint8_t buf[STUBRES_MAX_MSG];
    /* The late answer to the first query, then the right one. */
    size_t n = build(buf, sizeof buf, (uint16_t)id1, QR, EP, WIRE_TYPE_A, a_only);
    sendto(sfd, buf, n, 0, (struct sockaddr *)&from, sizeof from);
    n = build(buf, sizeof buf, (uint16_t)id2, QR, EP, WIRE_TYPE_A, chain);
    sendto(sfd, buf, n, 0, (struct sockaddr *)&from, sizeof from);
    char addr[16] = "";
    uint32_t ttl = 0;
    is_int(wait_answer(&r, addr, &ttl), STUBRES_ADDRESS, "the late answer is skipped, the right one taken");
    is_str(addr, "127.0.1.2", "  address");
    is_int(ttl, 5, "  TTL");
    is_int(stubres_receive(&r, addr, sizeof addr, &ttl), STUBRES_NOTHING, "nothing more: NOTHING");
    stubres_close(&r);
    stubres_close(&r);
    ok(r.fd == -1, "close twice is harmless");

    /* The server goes away: its port answers with ICMP port unreachable. */
    close(sfd);
    ok(stubres_open(&r, "127.0.0.1", port, EP), "open a stub to a closed port");
    stubres_send(&r);
    is_int(wait_answer(&r, addr, &ttl), STUBRES_ERROR, "no server: ERROR");
    stubres_close(&r);
    is_int(stubres_lookup("127.0.0.1", port, EP, 2, 100, addr, sizeof addr, &ttl), STUBRES_ERROR,
           "blocking lookup with no server: ERROR");
}

int main(void)
{
    test_build();
    test_parse();
    test_round_trip();
    return done_testing();
}
