/* test_process: one table row per answering rule of process.h. Each row
 * builds a query (with a small builder, optionally mutated into a
 * malformed one), runs dns_process, parses the answer with the wire
 * reader and checks rcode, flags, counts, records, TTLs and the echo. */
#include "dns/process.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "lib/tap.h"

#include <stdio.h>
#include <string.h>

#define APEX "us-east-1.rds.internal"
#define LONG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* Two 63-octet labels unique to n, so compression cannot shorten them. */
#define LONG(n) #n LONG_A "." #n LONG_B "." APEX

/* ---- the query builder ---- */

typedef struct {
    uint8_t b[1024];
    size_t n;
} qbuf;

static void put16(qbuf *q, uint16_t v)
{
    q->b[q->n++] = (uint8_t)(v >> 8);
    q->b[q->n++] = (uint8_t)v;
}

static void put_name(qbuf *q, const char *text)
{
    /* Keeps the case of text (wire_name_from_text would lower it). */
    size_t i = 0, len = strlen(text);
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '.')
            j++;
        q->b[q->n++] = (uint8_t)(j - i);
        memcpy(q->b + q->n, text + i, j - i);
        q->n += j - i;
        i = j + 1;
    }
    q->b[q->n++] = 0;
}

static void put_opt(qbuf *q, uint16_t payload, uint8_t version, bool do_bit)
{
    q->b[q->n++] = 0;
    put16(q, WIRE_TYPE_OPT);
    put16(q, payload);
    put16(q, version); /* extended rcode 0, version */
    put16(q, do_bit ? 0x8000 : 0);
    put16(q, 0);
}

/* ---- the answer parser ---- */

typedef struct {
    uint16_t id, flags;
    int rcode; /* with the OPT's extended bits */
    int qd, an, ns, ar;
    bool opt;
    uint16_t opt_payload;
    bool opt_do;
    int neg_ttl; /* TTL of the SOA in AUTHORITY, -1 if none */
    int glue;    /* A records in ADDITIONAL */
    char answer[2048];
    size_t question_end;
} resp;

static bool parse_resp(const uint8_t *b, size_t n, resp *r)
{
    memset(r, 0, sizeof *r);
    r->neg_ttl = -1;
    wire_cursor c;
    wire_cursor_init(&c, b, n);
    wire_header h;
    if (!wire_read_header(&c, &h))
        return false;
    r->id = h.id;
    r->flags = h.flags;
    r->rcode = WIRE_RCODE(h.flags);
    r->qd = h.qdcount;
    r->an = h.ancount;
    r->ns = h.nscount;
    r->ar = h.arcount;
    for (int i = 0; i < h.qdcount; i++) {
        uint8_t name[WIRE_NAME_MAX];
        size_t len;
        uint16_t t, k;
        if (!wire_read_question(&c, name, &len, &t, &k))
            return false;
    }
    r->question_end = c.pos;
    for (int i = 0; i < h.ancount + h.nscount + h.arcount; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr))
            return false;
        /* Decode rdata names against the whole message (compression). */
        wire_cursor rc;
        wire_cursor_init(&rc, b, (size_t)(rr.rdata - b) + rr.rdlength);
        rc.pos = (size_t)(rr.rdata - b);
        uint8_t tname[WIRE_NAME_MAX];
        size_t tlen;
        char text[1024] = "";
        if (rr.type == WIRE_TYPE_A && rr.rdlength == 4) {
            snprintf(text, sizeof text, "%u.%u.%u.%u", rr.rdata[0], rr.rdata[1], rr.rdata[2],
                     rr.rdata[3]);
        } else if (rr.type == WIRE_TYPE_CNAME || rr.type == WIRE_TYPE_NS) {
            if (!wire_read_name(&rc, tname, &tlen) || wire_cursor_left(&rc) != 0 ||
                !wire_name_to_text(tname, tlen, text, sizeof text))
                return false;
        } else if (rr.type == WIRE_TYPE_SOA) {
            uint8_t rname[WIRE_NAME_MAX];
            size_t rlen;
            uint32_t serial;
            if (!wire_read_name(&rc, tname, &tlen) || !wire_read_name(&rc, rname, &rlen) ||
                !wire_read_u32(&rc, &serial) || !wire_skip(&rc, 16) || wire_cursor_left(&rc))
                return false;
            snprintf(text, sizeof text, "%u", serial);
        }
        const char *type = rr.type == WIRE_TYPE_A       ? "A"
                           : rr.type == WIRE_TYPE_CNAME ? "CNAME"
                           : rr.type == WIRE_TYPE_NS    ? "NS"
                           : rr.type == WIRE_TYPE_SOA   ? "SOA"
                           : rr.type == WIRE_TYPE_OPT   ? "OPT"
                                                        : "?";
        if (i < h.ancount) {
            size_t used = strlen(r->answer);
            snprintf(r->answer + used, sizeof r->answer - used, "%s%s/%u:%s", used ? " " : "",
                     type, rr.ttl, text);
        } else if (i < h.ancount + h.nscount) {
            if (rr.type == WIRE_TYPE_SOA)
                r->neg_ttl = (int)rr.ttl;
        } else if (rr.type == WIRE_TYPE_OPT) {
            if (r->opt)
                return false; /* two OPTs in an answer */
            r->opt = true;
            r->opt_payload = rr.rclass;
            r->opt_do = (rr.ttl & 0x8000) != 0;
            r->rcode |= (int)((rr.ttl >> 24) << 4);
        } else if (rr.type == WIRE_TYPE_A) {
            r->glue++;
        }
    }
    return wire_cursor_left(&c) == 0;
}

/* ---- the table ---- */

typedef void (*mutator)(qbuf *q);

typedef struct {
    const char *name;
    /* the query */
    const char *qname;
    uint16_t qtype;
    uint16_t qclass; /* 0: IN */
    uint16_t flags;  /* opcode, RD, Z bits as sent */
    int edns;        /* -1: no OPT; else the version */
    uint16_t payload;
    bool tcp;
    size_t outcap; /* 0: 4096 */
    mutator mutate;
    /* what must come back */
    bool drop;
    int rcode;
    bool aa, tc;
    int an, ns, ar;
    const char *answer; /* NULL: not checked */
    int neg_ttl;        /* -1: no SOA in AUTHORITY */
    dns_answer kind;
} pcase;

#define RD WIRE_FLAG_RD
#define OPCODE(n) ((uint16_t)((n) << 11))

/* Mutators turning a well-formed query into a particular bad one. */
static void set_qr(qbuf *q) { q->b[2] |= 0x80; }
static void cut_11(qbuf *q) { q->n = 11; }
static void cut_0(qbuf *q) { q->n = 0; }
static void header_only(qbuf *q) { q->n = 12; }
static void cut_qtype(qbuf *q) { q->n -= 4; }
static void qd0(qbuf *q)
{
    q->b[4] = 0;
    q->b[5] = 0;
    q->n = 12;
}
static void qd2(qbuf *q)
{
    size_t qlen = q->n - 12;
    memcpy(q->b + q->n, q->b + 12, qlen);
    q->n += qlen;
    q->b[5] = 2;
}
static void qd2_short(qbuf *q) { q->b[5] = 2; }
static void an1_missing(qbuf *q) { q->b[7] = 1; }
static void ar5_missing(qbuf *q) { q->b[11] = 5; }
static void trailing(qbuf *q)
{
    q->b[q->n++] = 0xDE;
    q->b[q->n++] = 0xAD;
}
static void qname_loop(qbuf *q)
{
    q->n = 12;
    q->b[q->n++] = 0xC0;
    q->b[q->n++] = 12;
    put16(q, WIRE_TYPE_A);
    put16(q, WIRE_CLASS_IN);
}
static void qname_forward(qbuf *q)
{
    q->n = 12;
    q->b[q->n++] = 0xC0;
    q->b[q->n++] = 18;
    put16(q, WIRE_TYPE_A);
    put16(q, WIRE_CLASS_IN);
    put_name(q, "db." APEX);
}
static void qname_ext_label(qbuf *q)
{
    q->n = 12;
    q->b[q->n++] = 0x41;
    q->b[q->n++] = 'x';
    q->b[q->n++] = 0;
    put16(q, WIRE_TYPE_A);
    put16(q, WIRE_CLASS_IN);
}
static void qname_too_long(qbuf *q)
{
    q->n = 12;
    for (int i = 0; i < 5; i++) {
        q->b[q->n++] = 60;
        memset(q->b + q->n, 'a', 60);
        q->n += 60;
    }
    q->b[q->n++] = 0;
    put16(q, WIRE_TYPE_A);
    put16(q, WIRE_CLASS_IN);
}
static void two_opts(qbuf *q)
{
    put_opt(q, 1232, 0, false);
    q->b[11] = 2;
}
static void opt_not_root(qbuf *q)
{
    q->n -= 11;
    q->b[q->n++] = 1;
    q->b[q->n++] = 'x';
    put_opt(q, 1232, 0, false);
}
static void opt_in_answer(qbuf *q)
{
    q->b[7] = 1;  /* ancount 1 */
    q->b[11] = 0; /* arcount 0: the same OPT now sits in ANSWER */
}
static void opt_bad_option(qbuf *q)
{
    q->b[q->n - 1] = 4; /* rdlength 4: one option header ... */
    put16(q, 10);       /* code */
    put16(q, 9);        /* ... claiming 9 bytes that are not there */
}
static void opt_good_option(qbuf *q)
{
    q->b[q->n - 1] = 8;
    put16(q, 10); /* COOKIE, 4 bytes (not a valid cookie; ignored) */
    put16(q, 4);
    put16(q, 0x0102);
    put16(q, 0x0304);
}
static void z_ad_cd(qbuf *q) { q->b[3] |= 0x70; }

static zone *make_zone(void)
{
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.53", 42, 5);
    zone_set_cname(z, "db." APEX, "node1." APEX, 5);
    zone_set_a(z, "node1." APEX, "127.0.1.5", 5);
    zone_set_cname(z, "ext." APEX, "example.com", 30);
    zone_set_cname(z, "dangling." APEX, "missing." APEX, 5);
    zone_set_cname(z, "loop1." APEX, "loop2." APEX, 5);
    zone_set_cname(z, "loop2." APEX, "loop1." APEX, 5);
    zone_set_a(z, "x.ent." APEX, "127.0.2.1", 5);
    zone_set_a(z, "multi." APEX, "10.0.0.1", 7);
    char addr[32];
    for (int i = 2; i <= ZONE_A_MAX; i++) {
        snprintf(addr, sizeof addr, "10.0.0.%d", i);
        zone_add_a(z, "multi." APEX, addr, 7);
    }
    /* A chain of long names: about 600 bytes of answer, over 512. */
    zone_set_cname(z, LONG(1), LONG(2), 5);
    zone_set_cname(z, LONG(2), LONG(3), 5);
    zone_set_cname(z, LONG(3), LONG(4), 5);
    zone_set_cname(z, LONG(4), LONG(5), 5);
    zone_set_a(z, LONG(5), "127.0.9.9", 5);
    return z;
}

#define SERIAL "70" /* 42 + 28 mutations in make_zone (zone_new's ns A does not count) */

static const pcase cases[] = {
    /* answers */
    {"A hit", "node1." APEX, WIRE_TYPE_A, 0, RD, -1, 0, false, 0, NULL, false, 0, true, false, 1,
     0, 0, "A/5:127.0.1.5", -1, DNS_ANSWER_HIT},
    {"CNAME chased to A", "db." APEX, WIRE_TYPE_A, 0, RD, -1, 0, false, 0, NULL, false, 0, true,
     false, 2, 0, 0, "CNAME/5:node1." APEX " A/5:127.0.1.5", -1, DNS_ANSWER_HIT},
    {"0x20 case echoed", "dB.Us-EaSt-1.rds.INTERNAL", WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL,
     false, 0, true, false, 2, 0, 0, "CNAME/5:node1.Us-EaSt-1.rds.INTERNAL A/5:127.0.1.5", -1,
     DNS_ANSWER_HIT}, /* the target's suffix is a pointer to the question, case and all */
    {"qtype CNAME", "db." APEX, WIRE_TYPE_CNAME, 0, 0, -1, 0, false, 0, NULL, false, 0, true,
     false, 1, 0, 0, "CNAME/5:node1." APEX, -1, DNS_ANSWER_HIT},
    {"ANY at a CNAME", "db." APEX, WIRE_TYPE_ANY, 0, 0, -1, 0, false, 0, NULL, false, 0, true,
     false, 1, 0, 0, "CNAME/5:node1." APEX, -1, DNS_ANSWER_HIT},
    {"ANY at an A", "node1." APEX, WIRE_TYPE_ANY, 0, 0, -1, 0, false, 0, NULL, false, 0, true,
     false, 1, 0, 0, "A/5:127.0.1.5", -1, DNS_ANSWER_HIT},
    {"16 A records", "multi." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false, 0, true,
     false, 16, 0, 0, NULL, -1, DNS_ANSWER_HIT},
    {"CNAME out of zone", "ext." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false, 0, true,
     false, 1, 0, 0, "CNAME/30:example.com", -1, DNS_ANSWER_HIT},
    {"CNAME loop bounded", "loop1." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false, 0,
     true, false, DNS_CNAME_CHAIN_MAX, 0, 0, NULL, -1, DNS_ANSWER_HIT},
    {"class ANY answered", "node1." APEX, WIRE_TYPE_A, WIRE_CLASS_ANY, 0, -1, 0, false, 0, NULL,
     false, 0, true, false, 1, 0, 0, "A/5:127.0.1.5", -1, DNS_ANSWER_HIT},
    /* negative answers: SOA in AUTHORITY, TTL min(900, 5) */
    {"NODATA AAAA", "node1." APEX, WIRE_TYPE_AAAA, 0, 0, -1, 0, false, 0, NULL, false, 0, true,
     false, 0, 1, 0, "", 5, DNS_ANSWER_NODATA},
    {"NODATA after CNAME", "db." APEX, WIRE_TYPE_AAAA, 0, 0, -1, 0, false, 0, NULL, false, 0,
     true, false, 1, 1, 0, "CNAME/5:node1." APEX, 5, DNS_ANSWER_HIT},
    {"NXDOMAIN", "nope." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_NXDOMAIN, true, false, 0, 1, 0, "", 5, DNS_ANSWER_NXDOMAIN},
    {"NXDOMAIN below a name", "a.b.node1." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_NXDOMAIN, true, false, 0, 1, 0, "", 5, DNS_ANSWER_NXDOMAIN},
    {"NXDOMAIN after CNAME", "dangling." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_NXDOMAIN, true, false, 1, 1, 0, "CNAME/5:missing." APEX, 5,
     DNS_ANSWER_NXDOMAIN},
    {"empty non-terminal NODATA", "ent." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false,
     0, true, false, 0, 1, 0, "", 5, DNS_ANSWER_NODATA},
    /* the apex */
    {"apex SOA", APEX, WIRE_TYPE_SOA, 0, 0, -1, 0, false, 0, NULL, false, 0, true, false, 1, 0,
     0, "SOA/900:" SERIAL, -1, DNS_ANSWER_HIT},
    {"apex NS with glue", APEX, WIRE_TYPE_NS, 0, 0, -1, 0, false, 0, NULL, false, 0, true, false,
     1, 0, 1, "NS/172800:ns." APEX, -1, DNS_ANSWER_HIT},
    {"apex ANY", APEX, WIRE_TYPE_ANY, 0, 0, -1, 0, false, 0, NULL, false, 0, true, false, 2, 0, 1,
     "SOA/900:" SERIAL " NS/172800:ns." APEX, -1, DNS_ANSWER_HIT},
    {"apex A is NODATA", APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false, 0, true, false, 0,
     1, 0, "", 5, DNS_ANSWER_NODATA},
    {"ns name A", "ns." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false, 0, true, false, 1,
     0, 0, "A/172800:127.0.0.53", -1, DNS_ANSWER_HIT},
    /* refusals */
    {"out of zone REFUSED", "example.com", WIRE_TYPE_A, 0, RD, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_REFUSED, false, false, 0, 0, 0, "", -1, DNS_ANSWER_REFUSED},
    {"parent of apex REFUSED", "rds.internal", WIRE_TYPE_SOA, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_REFUSED, false, false, 0, 0, 0, "", -1, DNS_ANSWER_REFUSED},
    {"AXFR REFUSED", APEX, WIRE_TYPE_AXFR, 0, 0, -1, 0, true, 0, NULL, false, WIRE_RCODE_REFUSED,
     false, false, 0, 0, 0, "", -1, DNS_ANSWER_REFUSED},
    {"IXFR REFUSED", APEX, WIRE_TYPE_IXFR, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_REFUSED, false, false, 0, 0, 0, "", -1, DNS_ANSWER_REFUSED},
    {"class CH REFUSED", "version.bind", 16, 3, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_REFUSED, false, false, 0, 0, 0, "", -1, DNS_ANSWER_REFUSED},
    {"MAILA NOTIMP", "db." APEX, WIRE_TYPE_MAILA, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_NOTIMP, false, false, 0, 0, 0, "", -1, DNS_ANSWER_NOTIMP},
    {"opcode STATUS NOTIMP", "db." APEX, WIRE_TYPE_A, 0, OPCODE(2) | RD, -1, 0, false, 0, NULL,
     false, WIRE_RCODE_NOTIMP, false, false, 0, 0, 0, "", -1, DNS_ANSWER_NOTIMP},
    {"opcode NOTIFY NOTIMP", APEX, WIRE_TYPE_SOA, 0, OPCODE(4), -1, 0, false, 0, NULL, false,
     WIRE_RCODE_NOTIMP, false, false, 0, 0, 0, "", -1, DNS_ANSWER_NOTIMP},
    {"opcode UPDATE NOTIMP, EDNS", APEX, WIRE_TYPE_SOA, 0, OPCODE(5), 0, 1232, false, 0, NULL,
     false, WIRE_RCODE_NOTIMP, false, false, 0, 0, 1, "", -1, DNS_ANSWER_NOTIMP},
    /* flags */
    {"Z, AD, CD not copied", "node1." APEX, WIRE_TYPE_A, 0, RD, -1, 0, false, 0, z_ad_cd, false, 0,
     true, false, 1, 0, 0, "A/5:127.0.1.5", -1, DNS_ANSWER_HIT},
    /* EDNS(0) */
    {"EDNS OPT echoed", "db." APEX, WIRE_TYPE_A, 0, 0, 0, 4096, false, 0, NULL, false, 0, true,
     false, 2, 0, 1, NULL, -1, DNS_ANSWER_HIT},
    {"EDNS with an option", "db." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 0, opt_good_option,
     false, 0, true, false, 2, 0, 1, NULL, -1, DNS_ANSWER_HIT},
    {"EDNS NXDOMAIN keeps OPT", "nope." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 0, NULL, false,
     WIRE_RCODE_NXDOMAIN, true, false, 0, 1, 1, "", 5, DNS_ANSWER_NXDOMAIN},
    {"EDNS version 1 BADVERS", "db." APEX, WIRE_TYPE_A, 0, 0, 1, 1232, false, 0, NULL, false,
     WIRE_RCODE_BADVERS, false, false, 0, 0, 1, "", -1, DNS_ANSWER_BADVERS},
    {"two OPTs FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 0, two_opts, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"OPT not at root FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 0, opt_not_root,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"OPT in ANSWER FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 0, opt_in_answer,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"OPT option overrun FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 0,
     opt_bad_option, false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1,
     DNS_ANSWER_FORMERR},
    {"qtype OPT FORMERR", "db." APEX, WIRE_TYPE_OPT, 0, 0, -1, 0, false, 0, NULL, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    /* truncation: a ~600-byte answer */
    {"UDP 512 truncates", LONG(1), WIRE_TYPE_A, 0, 0, -1, 0, false, 0, NULL, false, 0, true, true,
     0, 0, 0, "", -1, DNS_ANSWER_HIT},
    {"EDNS payload 100 means 512", LONG(1), WIRE_TYPE_A, 0, 0, 0, 100, false, 0, NULL, false, 0,
     true, true, 0, 0, 1, "", -1, DNS_ANSWER_HIT},
    {"EDNS payload 4096 fits", LONG(1), WIRE_TYPE_A, 0, 0, 0, 4096, false, 0, NULL, false, 0, true,
     false, 5, 0, 1, NULL, -1, DNS_ANSWER_HIT},
    {"TCP fits", LONG(1), WIRE_TYPE_A, 0, 0, -1, 0, true, 0, NULL, false, 0, true, false, 5, 0, 0,
     NULL, -1, DNS_ANSWER_HIT},
    {"small outcap truncates", "multi." APEX, WIRE_TYPE_A, 0, 0, -1, 0, true, 100, NULL, false, 0,
     true, true, 0, 0, 0, "", -1, DNS_ANSWER_HIT},
    {"NXDOMAIN truncated keeps OPT", "nope." APEX, WIRE_TYPE_A, 0, 0, 0, 1232, false, 60, NULL,
     false, WIRE_RCODE_NXDOMAIN, true, true, 0, 0, 1, "", -1, DNS_ANSWER_NXDOMAIN},
    /* dropped */
    {"QR set dropped", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, set_qr, true, 0, false,
     false, 0, 0, 0, NULL, -1, DNS_ANSWER_DROP},
    {"11 bytes dropped", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, cut_11, true, 0, false,
     false, 0, 0, 0, NULL, -1, DNS_ANSWER_DROP},
    {"0 bytes dropped", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, cut_0, true, 0, false,
     false, 0, 0, 0, NULL, -1, DNS_ANSWER_DROP},
    {"outcap 20 dropped", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 20, NULL, true, 0, false,
     false, 0, 0, 0, NULL, -1, DNS_ANSWER_DROP},
    /* malformed: FORMERR with the header echoed */
    {"QDCOUNT 0 FORMERR", "db." APEX, WIRE_TYPE_A, 0, RD, -1, 0, false, 0, qd0, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"QDCOUNT 2 FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, qd2, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"QDCOUNT 2 one present", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, qd2_short, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"header only FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, header_only, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"qtype missing FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, cut_qtype, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"compression loop FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, qname_loop,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"forward pointer FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, qname_forward,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"0x40 label FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, qname_ext_label, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"over-long name FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, qname_too_long,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"ANCOUNT beyond packet FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, an1_missing,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"ARCOUNT beyond packet FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, ar5_missing,
     false, WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
    {"trailing garbage FORMERR", "db." APEX, WIRE_TYPE_A, 0, 0, -1, 0, false, 0, trailing, false,
     WIRE_RCODE_FORMERR, false, false, 0, 0, 0, "", -1, DNS_ANSWER_FORMERR},
};

static void build(const pcase *tc, qbuf *q)
{
    q->n = 0;
    put16(q, 0xBEEF);
    put16(q, tc->flags);
    put16(q, 1);
    put16(q, 0);
    put16(q, 0);
    put16(q, tc->edns >= 0 ? 1 : 0);
    put_name(q, tc->qname);
    put16(q, tc->qtype);
    put16(q, tc->qclass ? tc->qclass : WIRE_CLASS_IN);
    if (tc->edns >= 0)
        put_opt(q, tc->payload, (uint8_t)tc->edns, false);
    if (tc->mutate)
        tc->mutate(q);
}

static void run_case(const zone *z, const pcase *tc)
{
    qbuf q;
    build(tc, &q);
    uint8_t out[4096];
    size_t cap = tc->outcap ? tc->outcap : sizeof out;
    dns_answer kind;
    size_t n = dns_process_answer(q.b, q.n, z, tc->tcp, out, cap, &kind);
    char label[200];
#define L(what) (snprintf(label, sizeof label, "%s: %s", tc->name, what), label)
    is_int(kind, tc->kind, L("answer kind"));
    if (tc->drop) {
        is_int(n, 0, L("dropped"));
        return;
    }
    ok(n > 0 && n <= cap, L("answer within outcap"));
    size_t limit = tc->tcp ? 65535 : tc->edns >= 0 ? 1232 : 512;
    ok(n <= limit, L("answer within the transport limit"));
    resp r;
    if (!ok(parse_resp(out, n, &r), L("answer well-formed")))
        return;
    is_int(r.id, 0xBEEF, L("ID copied"));
    ok(r.flags & WIRE_FLAG_QR, L("QR set"));
    is_int(WIRE_OPCODE(r.flags), WIRE_OPCODE(tc->flags), L("opcode copied"));
    is_int(!!(r.flags & WIRE_FLAG_RD), !!(tc->flags & WIRE_FLAG_RD), L("RD copied"));
    ok(!(r.flags & WIRE_FLAG_RA), L("RA clear"));
    is_int(r.flags & 0x70, 0, L("Z, AD, CD clear"));
    is_int(r.rcode, tc->rcode, L("rcode"));
    is_int(!!(r.flags & WIRE_FLAG_AA), tc->aa, L("AA"));
    is_int(!!(r.flags & WIRE_FLAG_TC), tc->tc, L("TC"));
    is_int(r.an, tc->an, L("ANCOUNT"));
    is_int(r.ns, tc->ns, L("NSCOUNT"));
    is_int(r.ar, tc->ar, L("ARCOUNT"));
    if (tc->answer)
        is_str(r.answer, tc->answer, L("answer records"));
    is_int(r.neg_ttl, tc->neg_ttl, L("SOA TTL in authority"));
    bool want_opt = tc->edns >= 0 && tc->rcode != WIRE_RCODE_FORMERR;
    is_int(r.opt, want_opt, L("OPT iff the query had a valid one"));
    if (r.opt)
        is_int(r.opt_payload, DNS_UDP_PAYLOAD_MAX, L("OPT carries our payload size"));
    /* The question, when echoed, is the query's bytes unchanged. */
    if (r.qd == 1) {
        size_t qlen = r.question_end - 12;
        ok(qlen <= q.n - 12 && memcmp(out + 12, q.b + 12, qlen) == 0,
           L("question echoed byte for byte"));
    } else {
        ok(tc->rcode == WIRE_RCODE_FORMERR, L("question left out only for FORMERR"));
    }
#undef L
}

/* The DO bit comes back (RFC 3225 §3); the serial follows mutations. */
static void test_misc(zone *z)
{
    qbuf q = {.n = 0};
    put16(&q, 7);
    put16(&q, 0);
    put16(&q, 1);
    put16(&q, 0);
    put16(&q, 0);
    put16(&q, 1);
    put_name(&q, APEX);
    put16(&q, WIRE_TYPE_SOA);
    put16(&q, WIRE_CLASS_IN);
    put_opt(&q, 1232, 0, true);
    uint8_t out[1232];
    resp r;
    size_t n = dns_process(q.b, q.n, z, false, out, sizeof out);
    ok(parse_resp(out, n, &r) && r.opt && r.opt_do, "DO bit copied into the OPT");
    is_str(r.answer, "SOA/900:" SERIAL, "SOA serial before a change");
    zone_set_a(z, "new." APEX, "127.0.5.5", 5);
    n = dns_process(q.b, q.n, z, false, out, sizeof out);
    ok(parse_resp(out, n, &r), "answer after a change");
    is_str(r.answer, "SOA/900:71", "SOA serial bumped by the change");

    /* NXDOMAIN TTL is min(SOA TTL, MINIMUM): with MINIMUM above the SOA
     * TTL (900) the SOA TTL wins. */
    zone *big = zone_new(APEX, "ns." APEX, "127.0.0.53", 1, 3600);
    qbuf nx = {.n = 0};
    put16(&nx, 8);
    put16(&nx, 0);
    put16(&nx, 1);
    put16(&nx, 0);
    put16(&nx, 0);
    put16(&nx, 0);
    put_name(&nx, "nope." APEX);
    put16(&nx, WIRE_TYPE_A);
    put16(&nx, WIRE_CLASS_IN);
    n = dns_process(nx.b, nx.n, big, false, out, sizeof out);
    ok(parse_resp(out, n, &r) && r.rcode == WIRE_RCODE_NXDOMAIN, "NXDOMAIN with a large minimum");
    is_int(r.neg_ttl, 900, "negative TTL capped by the SOA TTL");
    zone_free(big);

    is_str(dns_answer_name(DNS_ANSWER_NXDOMAIN), "nxdomain", "dns_answer_name");
}

/* The CNAME target the answer to (qname, qtype) names first, into
 * target ("" when none). */
static void ask(const zone *z, const char *qname, uint16_t qtype, char *target, size_t cap)
{
    qbuf q = {.n = 0};
    put16(&q, 9);
    put16(&q, 0);
    put16(&q, 1);
    put16(&q, 0);
    put16(&q, 0);
    put16(&q, 0);
    put_name(&q, qname);
    put16(&q, qtype);
    put16(&q, WIRE_CLASS_IN);
    uint8_t out[1232];
    resp r;
    size_t n = dns_process(q.b, q.n, z, false, out, sizeof out);
    target[0] = '\0';
    const char *c = parse_resp(out, n, &r) ? strstr(r.answer, "CNAME/") : NULL;
    if (c && (c = strchr(c, ':')))
        snprintf(target, cap, "%.*s", (int)strcspn(c + 1, " "), c + 1);
}

/* A reader endpoint's rotation moves on A (and CNAME, ANY) questions only:
 * SOA, NS and AAAA questions between two A questions (rdsctl dns lookup
 * asks A and SOA; resolvers ask A and AAAA) neither skip nor repeat a
 * reader, and they name the reader the next A question gets. */
static void test_rotation(void)
{
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.53", 1, 5);
    const char *targets[] = {"r1." APEX, "r2." APEX};
    zone_set_a(z, "r1." APEX, "127.0.1.1", 1);
    zone_set_a(z, "r2." APEX, "127.0.1.2", 1);
    zone_set_cname_rotation(z, "ro." APEX, targets, 2, 1);
    char prev[256], peek[256], next[256];
    bool alternates = true, peek_is_next = true;
    static const uint16_t between[] = {WIRE_TYPE_SOA, WIRE_TYPE_NS, WIRE_TYPE_AAAA};
    ask(z, "ro." APEX, WIRE_TYPE_A, prev, sizeof prev);
    for (int i = 0; i < 12; i++) {
        ask(z, "ro." APEX, between[i % 3], peek, sizeof peek);
        ask(z, "ro." APEX, between[(i + 1) % 3], peek, sizeof peek);
        ask(z, "ro." APEX, WIRE_TYPE_A, next, sizeof next);
        alternates = alternates && next[0] && strcmp(prev, next) != 0;
        peek_is_next = peek_is_next && strcmp(peek, next) == 0;
        snprintf(prev, sizeof prev, "%s", next);
    }
    ok(alternates, "rotation: consecutive A questions get the two readers in turn");
    ok(peek_is_next, "rotation: SOA/NS/AAAA questions in between peek, naming the next one");
    ask(z, "ro." APEX, WIRE_TYPE_CNAME, prev, sizeof prev);
    ask(z, "ro." APEX, WIRE_TYPE_A, next, sizeof next);
    ok(prev[0] && strcmp(prev, next) != 0, "rotation: a CNAME question takes its turn too");
    zone_free(z);
}

int main(void)
{
    test_rotation();
    zone *z = make_zone();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(z, &cases[i]);
    test_misc(z);
    zone_free(z);
    return done_testing();
}
