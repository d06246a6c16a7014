/* Unit tests for cli/dnslookup's pure parts: parsing the raw answers of
 * the A and SOA queries (chains, negative answers, malformed packets,
 * every truncation of a good answer), the text and JSON renderings, and
 * the DNS port's precedence (flag, env, region.env, default). The c-ares
 * round trip against a live server is tests/integration/dns.t's. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/dnslookup.h"
#include "dns/wire.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

/* ------------------------------------------------------------ builder */

/* A record to put in a built answer. data: A "1.2.3.4", CNAME/NS a name,
 * SOA the serial in decimal, other types ignored (4 zero bytes). */
typedef struct {
    const char *name;
    uint16_t type;
    uint32_t ttl;
    const char *data;
} rr_spec;

#define RR_END {NULL, 0, 0, NULL}
#define NAMES_MAX 64

typedef struct {
    uint8_t names[NAMES_MAX][WIRE_NAME_MAX]; /* live until the message is complete */
    size_t n;
} name_store;

/* Text to wire form, keeping the case (wire_name_from_text lowercases,
 * and the 0x20 cases need mixed case). */
static const uint8_t *wname(name_store *s, const char *text, size_t *len)
{
    uint8_t *out = s->names[s->n++];
    size_t pos = 0;
    const char *p = text;
    while (*p) {
        size_t l = strcspn(p, ".");
        out[pos++] = (uint8_t)l;
        memcpy(out + pos, p, l);
        pos += l;
        p += l;
        if (*p == '.')
            p++;
    }
    out[pos++] = 0;
    *len = pos;
    return out;
}

static void put_rr(wire_writer *w, name_store *s, const rr_spec *r)
{
    size_t len;
    const uint8_t *n = wname(s, r->name, &len);
    wire_put_name(w, n, len, true);
    wire_put_u16(w, r->type);
    wire_put_u16(w, 1);
    wire_put_u32(w, r->ttl);
    size_t rdlen_at = w->pos;
    wire_put_u16(w, 0);
    size_t start = w->pos;
    if (r->type == WIRE_TYPE_A) {
        unsigned a, b, c, d;
        sscanf(r->data, "%u.%u.%u.%u", &a, &b, &c, &d);
        wire_put_u8(w, (uint8_t)a);
        wire_put_u8(w, (uint8_t)b);
        wire_put_u8(w, (uint8_t)c);
        wire_put_u8(w, (uint8_t)d);
    } else if (r->type == WIRE_TYPE_CNAME || r->type == WIRE_TYPE_NS) {
        const uint8_t *t = wname(s, r->data, &len);
        wire_put_name(w, t, len, true);
    } else if (r->type == WIRE_TYPE_SOA) {
        const uint8_t *m = wname(s, "ns1.us-east-1.rds.internal", &len);
        wire_put_name(w, m, len, true);
        const uint8_t *h = wname(s, "hostmaster.us-east-1.rds.internal", &len);
        wire_put_name(w, h, len, true);
        wire_put_u32(w, (uint32_t)strtoul(r->data, NULL, 10));
        for (int i = 0; i < 4; i++)
            wire_put_u32(w, 60);
    } else {
        wire_put_u32(w, 0);
    }
    wire_patch_u16(w, rdlen_at, (uint16_t)(w->pos - start));
}

static size_t count(const rr_spec *r)
{
    size_t n = 0;
    while (r && r[n].name)
        n++;
    return n;
}

/* A response to (qname, qtype) with flags (QR added), the answer and
 * authority records. Returns its length. */
static size_t build(uint8_t *buf, size_t cap, uint16_t flags, const char *qname, uint16_t qtype,
                    const rr_spec *an, const rr_spec *ns)
{
    name_store s = {.n = 0};
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_header h = {.id = 0x1234, .flags = (uint16_t)(WIRE_FLAG_QR | flags), .qdcount = 1,
                     .ancount = (uint16_t)count(an), .nscount = (uint16_t)count(ns)};
    wire_put_header(&w, &h);
    size_t len;
    const uint8_t *q = wname(&s, qname, &len);
    wire_put_name(&w, q, len, false);
    wire_put_u16(&w, qtype);
    wire_put_u16(&w, 1);
    for (size_t i = 0; i < count(an); i++)
        put_rr(&w, &s, &an[i]);
    for (size_t i = 0; i < count(ns); i++)
        put_rr(&w, &s, &ns[i]);
    if (w.overflow)
        abort();
    return w.pos;
}

/* ------------------------------------------------------------ parsing */

#define EP "shop.abc.us-east-1.rds.internal"
#define NODE "ip-127-0-1-2.us-east-1a.us-east-1.rds.internal"
#define APEX "us-east-1.rds.internal"

static const rr_spec chain_an[] = {
    {EP, WIRE_TYPE_CNAME, 5, NODE}, {NODE, WIRE_TYPE_A, 60, "127.0.1.2"}, RR_END};
static const rr_spec a_only_an[] = {{NODE, WIRE_TYPE_A, 60, "127.0.1.2"},
                                    {NODE, WIRE_TYPE_A, 60, "127.0.1.3"}, RR_END};
static const rr_spec soa_ns[] = {{APEX, WIRE_TYPE_SOA, 5, "17"}, RR_END};
/* An A record of another name first: not the address. */
static const rr_spec stray_an[] = {{"other." APEX, WIRE_TYPE_A, 1, "10.0.0.1"},
                                   {EP, WIRE_TYPE_CNAME, 0, NODE},
                                   {NODE, WIRE_TYPE_A, 60, "127.0.1.2"}, RR_END};
/* The server echoes the question's case; owners may differ in case. */
static const rr_spec case_an[] = {{"ShOp.AbC.us-EAST-1.rds.internal", WIRE_TYPE_CNAME, 30, NODE},
                                  {"IP-127-0-1-2.us-east-1a.us-east-1.rds.internal", WIRE_TYPE_A, 60,
                                   "127.0.1.2"}, RR_END};
static const rr_spec cname_dangling_an[] = {{EP, WIRE_TYPE_CNAME, 5, NODE}, RR_END};

typedef struct {
    const char *name;
    uint16_t flags;
    const char *qname;
    const rr_spec *an, *ns;
    int rcode;
    size_t nchain;
    const char *address;
    const char *text; /* dnslookup_render_text, serial from the same packet */
} parse_case;

static const parse_case parse_cases[] = {
    {"endpoint: CNAME then A", WIRE_FLAG_AA, EP, chain_an, NULL, 0, 2, "127.0.1.2",
     EP ".  5  CNAME  " NODE ".\n" NODE ".  60  A  127.0.1.2\n"},
    {"node: two A records, the first is the address", WIRE_FLAG_AA, NODE, a_only_an, NULL, 0, 2,
     "127.0.1.2", NODE ".  60  A  127.0.1.2\n" NODE ".  60  A  127.0.1.3\n"},
    {"NXDOMAIN: no chain, SOA in authority", WIRE_FLAG_AA | WIRE_RCODE_NXDOMAIN, "no." APEX, NULL,
     soa_ns, WIRE_RCODE_NXDOMAIN, 0, "", "SOA serial 17\n"},
    {"NODATA at the apex", WIRE_FLAG_AA, APEX, NULL, soa_ns, 0, 0, "", "SOA serial 17\n"},
    {"REFUSED: nothing", WIRE_RCODE_REFUSED, "example.com", NULL, NULL, WIRE_RCODE_REFUSED, 0, "",
     ""},
    {"an unrelated A record is shown but is not the address", WIRE_FLAG_AA, EP, stray_an, NULL, 0,
     3, "127.0.1.2",
     "other." APEX ".  1  A  10.0.0.1\n" EP ".  0  CNAME  " NODE ".\n" NODE ".  60  A  127.0.1.2\n"},
    {"names compare without case (0x20)", WIRE_FLAG_AA, "sHoP.aBc.US-east-1.rds.internal", case_an,
     NULL, 0, 2, "127.0.1.2",
     /* The builder compresses without case, as the server does: owners
      * come out in the question's case. */
     "sHoP.aBc.US-east-1.rds.internal.  30  CNAME  ip-127-0-1-2.us-east-1a.US-east-1.rds.internal.\n"
     "ip-127-0-1-2.us-east-1a.US-east-1.rds.internal.  60  A  127.0.1.2\n"},
    {"a CNAME to nothing: chain, no address", WIRE_FLAG_AA, EP, cname_dangling_an, NULL, 0, 1, "",
     EP ".  5  CNAME  " NODE ".\n"},
};

static void test_parse_cases(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *pc = &parse_cases[i];
        uint8_t buf[1500];
        size_t len = build(buf, sizeof buf, pc->flags, pc->qname, WIRE_TYPE_A, pc->an, pc->ns);
        dnslookup_answer a;
        sbuf err = {0};
        char name[200];
        bool parsed = dnslookup_parse(buf, len, &a, &err);
        snprintf(name, sizeof name, "%s: parses", pc->name);
        ok(parsed, name);
        if (!parsed) {
            diag("%s", err.data);
            sbuf_free(&err);
            continue;
        }
        snprintf(name, sizeof name, "%s: rcode", pc->name);
        is_int(a.rcode, pc->rcode, name);
        snprintf(name, sizeof name, "%s: chain length", pc->name);
        is_int(a.nchain, pc->nchain, name);
        snprintf(name, sizeof name, "%s: address", pc->name);
        is_str(a.address, pc->address, name);
        snprintf(name, sizeof name, "%s: AA as sent", pc->name);
        ok(a.authoritative == ((pc->flags & WIRE_FLAG_AA) != 0), name);
        uint32_t serial = 0;
        bool has_serial = dnslookup_soa_serial(buf, len, &serial);
        sbuf text = {0};
        dnslookup_render_text(&a, has_serial, serial, &text);
        snprintf(name, sizeof name, "%s: text", pc->name);
        is_str(text.data ? text.data : "", pc->text, name);
        sbuf_free(&text);
        sbuf_free(&err);
    }
}

/* No proper prefix of a negative answer yields its SOA serial (the SOA
 * is its last record); parsing every prefix reads nothing out of bounds
 * (each prefix is its own heap block, so ASan sees an overread). */
static void test_truncations(void)
{
    uint8_t buf[1500];
    size_t len = build(buf, sizeof buf, WIRE_FLAG_AA, EP, WIRE_TYPE_A, chain_an, soa_ns);
    int serials = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = xmalloc(n ? n : 1);
        memcpy(copy, buf, n);
        dnslookup_answer a;
        sbuf err = {0};
        uint32_t serial;
        (void)dnslookup_parse(copy, n, &a, &err);
        if (dnslookup_soa_serial(copy, n, &serial))
            serials++;
        sbuf_free(&err);
        free(copy);
    }
    is_int(serials, 0, "no proper prefix yields a SOA serial");
}

/* A parse of a prefix that cuts an answer record must fail. */
static void test_cut_answers(void)
{
    uint8_t buf[1500];
    size_t len = build(buf, sizeof buf, WIRE_FLAG_AA, EP, WIRE_TYPE_A, chain_an, NULL);
    int accepted = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = xmalloc(n ? n : 1);
        memcpy(copy, buf, n);
        dnslookup_answer a;
        sbuf err = {0};
        if (dnslookup_parse(copy, n, &a, &err))
            accepted++;
        sbuf_free(&err);
        free(copy);
    }
    is_int(accepted, 0, "every proper prefix of an answer is refused");
}

typedef struct {
    const char *name;
    const uint8_t *bytes;
    size_t len;
} bad_case;

/* Header: id, flags, qd, an, ns, ar. Question "a." A IN at 12. */
#define HDR(flags_hi, flags_lo, qd, an) 0x12, 0x34, flags_hi, flags_lo, 0, qd, 0, an, 0, 0, 0, 0
#define QA 1, 'a', 0, 0, 1, 0, 1

static const uint8_t bad_short[] = {0x12, 0x34, 0x84, 0x00, 0, 1};
static const uint8_t bad_query[] = {HDR(0x04, 0x00, 1, 0), QA};
static const uint8_t bad_noq[] = {HDR(0x84, 0x00, 0, 0)};
static const uint8_t bad_twoq[] = {HDR(0x84, 0x00, 2, 0), QA, QA};
static const uint8_t bad_count[] = {HDR(0x84, 0x00, 1, 3), QA, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5,
                                    0, 4, 127, 0, 0, 1};
/* CNAME rdata pointing forward, then at itself. */
static const uint8_t bad_fwd[] = {HDR(0x84, 0x00, 1, 1), QA, 0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 5,
                                  0, 2, 0xC0, 40};
static const uint8_t bad_loop[] = {HDR(0x84, 0x00, 1, 1), QA, 0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 5,
                                   0, 2, 0xC0, 31};
/* A with 3 bytes of rdata. */
static const uint8_t bad_a_len[] = {HDR(0x84, 0x00, 1, 1), QA, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5,
                                    0, 3, 127, 0, 1};
/* CNAME whose name runs past its rdlength (into the next bytes). */
static const uint8_t bad_cname_len[] = {HDR(0x84, 0x00, 1, 1), QA, 0xC0, 12, 0, 5, 0, 1, 0, 0, 0,
                                        5, 0, 1, 1, 'b', 0};
/* Label too long in the question. */
static const uint8_t bad_label[] = {HDR(0x84, 0x00, 1, 0), 64, 'a'};

#define BAD(n, b) {n, b, sizeof b}

static const bad_case bad_cases[] = {
    BAD("shorter than a header", bad_short),
    BAD("QR clear (a query, not an answer)", bad_query),
    BAD("no question", bad_noq),
    BAD("two questions", bad_twoq),
    BAD("ancount larger than the packet", bad_count),
    BAD("CNAME target pointing forward", bad_fwd),
    BAD("CNAME target pointing at itself", bad_loop),
    BAD("A record with 3 bytes", bad_a_len),
    BAD("CNAME name longer than its rdlength", bad_cname_len),
    BAD("label longer than the packet", bad_label),
};

static void test_bad_packets(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *bc = &bad_cases[i];
        uint8_t *copy = xmalloc(bc->len);
        memcpy(copy, bc->bytes, bc->len);
        dnslookup_answer a;
        sbuf err = {0};
        bool parsed = dnslookup_parse(copy, bc->len, &a, &err);
        ok(!parsed && err.len > 0, bc->name);
        uint32_t serial;
        char name[160];
        snprintf(name, sizeof name, "%s: no SOA serial", bc->name);
        ok(!dnslookup_soa_serial(copy, bc->len, &serial), name);
        sbuf_free(&err);
        free(copy);
    }
}

static void test_long_chain(void)
{
    rr_spec an[DNSLOOKUP_CHAIN_MAX + 4 + 1];
    char names[DNSLOOKUP_CHAIN_MAX + 5][32];
    size_t n = DNSLOOKUP_CHAIN_MAX + 4;
    for (size_t i = 0; i <= n; i++)
        snprintf(names[i], sizeof names[i], "n%zu." APEX, i);
    for (size_t i = 0; i < n - 1; i++)
        an[i] = (rr_spec){names[i], WIRE_TYPE_CNAME, 5, names[i + 1]};
    an[n - 1] = (rr_spec){names[n - 1], WIRE_TYPE_A, 60, "127.0.0.9"};
    an[n] = (rr_spec)RR_END;
    uint8_t buf[4096];
    size_t len = build(buf, sizeof buf, WIRE_FLAG_AA, names[0], WIRE_TYPE_A, an, NULL);
    dnslookup_answer a;
    sbuf err = {0};
    ok(dnslookup_parse(buf, len, &a, &err), "a 20-record chain parses");
    is_int(a.nchain, DNSLOOKUP_CHAIN_MAX, "... keeps the first DNSLOOKUP_CHAIN_MAX records");
    ok(a.chain_cut, "... and says it cut the rest");
    is_str(a.address, "127.0.0.9", "... but still follows the chain to the address");
    sbuf_free(&err);
}

static void test_soa(void)
{
    static const rr_spec soa_an[] = {{APEX, WIRE_TYPE_SOA, 5, "4294967295"}, RR_END};
    uint8_t buf[1500];
    uint32_t serial = 0;
    size_t len = build(buf, sizeof buf, WIRE_FLAG_AA, APEX, WIRE_TYPE_SOA, soa_an, NULL);
    ok(dnslookup_soa_serial(buf, len, &serial) && serial == 4294967295u,
       "SOA in the answer: serial 2^32-1");
    len = build(buf, sizeof buf, WIRE_FLAG_AA, EP, WIRE_TYPE_SOA, cname_dangling_an, soa_ns);
    ok(dnslookup_soa_serial(buf, len, &serial) && serial == 17,
       "SOA in the authority after a CNAME: serial 17");
    len = build(buf, sizeof buf, WIRE_FLAG_AA, EP, WIRE_TYPE_A, chain_an, NULL);
    ok(!dnslookup_soa_serial(buf, len, &serial), "no SOA: false");
    /* SOA rdata cut before its serial. */
    static const uint8_t cut[] = {HDR(0x84, 0x00, 1, 1), QA, 0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 5,
                                  0, 6, 0xC0, 12, 0xC0, 12, 0, 0};
    uint8_t *copy = xmalloc(sizeof cut);
    memcpy(copy, cut, sizeof cut);
    ok(!dnslookup_soa_serial(copy, sizeof cut, &serial), "SOA rdata without its serial: false");
    free(copy);
}

/* ------------------------------------------------------------ rendering */

static void test_json(void)
{
    uint8_t buf[1500];
    size_t len = build(buf, sizeof buf, WIRE_FLAG_AA, EP, WIRE_TYPE_A, chain_an, NULL);
    dnslookup_answer a;
    sbuf err = {0};
    dnslookup_parse(buf, len, &a, &err);
    cJSON *j = dnslookup_to_json(EP, &a, true, 17);
    char *s = cJSON_PrintUnformatted(j);
    is_str(s,
           "{\"Name\":\"" EP "\",\"Status\":\"NOERROR\",\"Chain\":["
           "{\"Name\":\"" EP ".\",\"Type\":\"CNAME\",\"TTL\":5,\"Data\":\"" NODE ".\"},"
           "{\"Name\":\"" NODE ".\",\"Type\":\"A\",\"TTL\":60,\"Data\":\"127.0.1.2\"}],"
           "\"Address\":\"127.0.1.2\",\"SoaSerial\":17}",
           "JSON: Name, Status, Chain, Address, SoaSerial");
    free(s);
    cJSON_Delete(j);
    len = build(buf, sizeof buf, WIRE_FLAG_AA | WIRE_RCODE_NXDOMAIN, "no." APEX, WIRE_TYPE_A, NULL,
                soa_ns);
    dnslookup_parse(buf, len, &a, &err);
    j = dnslookup_to_json("no." APEX, &a, false, 0);
    s = cJSON_PrintUnformatted(j);
    is_str(s, "{\"Name\":\"no." APEX "\",\"Status\":\"NXDOMAIN\",\"Chain\":[],\"Address\":null,"
              "\"SoaSerial\":null}",
           "JSON of NXDOMAIN without a serial: nulls");
    free(s);
    cJSON_Delete(j);
    sbuf_free(&err);
    char tb[16];
    is_str(dnslookup_type_name(WIRE_TYPE_CNAME, tb, sizeof tb), "CNAME", "type name CNAME");
    is_str(dnslookup_type_name(99, tb, sizeof tb), "TYPE99", "unknown type as TYPEnnn");
}

/* ------------------------------------------------------------- the port */

typedef struct {
    const char *name;
    const char *flag, *env, *region_env; /* region_env NULL: no file */
    bool good;
    int port;
} port_case;

static const port_case port_cases[] = {
    {"flag wins", "5353", "1111", "RDS_DNS_PORT=2222\n", true, 5353},
    {"bad flag is an error", "0", "1111", NULL, false, 0},
    {"flag not a number", "53x", NULL, NULL, false, 0},
    {"env next", NULL, "1111", "RDS_DNS_PORT=2222\n", true, 1111},
    {"env 0 is skipped", NULL, "0", "RDS_DNS_PORT=2222\n", true, 2222},
    {"region.env, the last assignment", NULL, NULL,
     "RDS_API_PORT=1\nRDS_DNS_PORT=2222\nexport RDS_DNS_PORT=\"3333\"\n", true, 3333},
    {"region.env with quotes and spaces", NULL, NULL, "  RDS_DNS_PORT='4444'  \n", true, 4444},
    {"region.env without the key: default", NULL, NULL, "RDS_API_PORT=1\nRDS_DNS_PORTX=9\n", true,
     DNSLOOKUP_DEFAULT_PORT},
    {"region.env with a bad port: default", NULL, NULL, "RDS_DNS_PORT=70000\n", true,
     DNSLOOKUP_DEFAULT_PORT},
    {"nothing: default", NULL, NULL, NULL, true, DNSLOOKUP_DEFAULT_PORT},
};

static void test_ports(void)
{
    char dir[] = "/tmp/test_dnslookup.XXXXXX";
    if (!mkdtemp(dir)) {
        ok(false, "mkdtemp");
        return;
    }
    char *path = xasprintf("%s/region.env", dir);
    for (size_t i = 0; i < sizeof port_cases / sizeof port_cases[0]; i++) {
        const port_case *pc = &port_cases[i];
        unlink(path);
        if (pc->region_env)
            fs_write_atomic(path, pc->region_env, strlen(pc->region_env), 0644);
        int port = -1;
        sbuf err = {0};
        bool good = dnslookup_resolve_port(pc->flag, pc->env, dir, &port, &err);
        if (pc->good) {
            ok(good, pc->name);
            char name[160];
            snprintf(name, sizeof name, "%s: port", pc->name);
            is_int(port, pc->port, name);
        } else {
            ok(!good && strstr(err.data ? err.data : "", "--dns-port"), pc->name);
        }
        sbuf_free(&err);
    }
    fs_rm_rf(dir);
    free(path);
}

int main(void)
{
    test_parse_cases();
    test_truncations();
    test_cut_answers();
    test_bad_packets();
    test_long_chain();
    test_soa();
    test_json();
    test_ports();
    return done_testing();
}
