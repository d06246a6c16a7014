/* process: the authoritative answering logic. See process.h.
 *
 * Two steps, like NSD's query_process: dns_query_parse reads the whole
 * query through the bounds-checked cursor and records what it found;
 * then one decision picks an answer kind and the writer builds the
 * response. Nothing here allocates; the only state is on the stack.
 *
 * The response is built in out in one pass: header placeholder,
 * question, sections, OPT; the header (with the counts) is written last.
 * Space for the OPT is kept back while the sections are written, so a
 * truncated answer still carries it. */
#include "dns/process.h"

#include "dns/wire.h"
#include "dns/zone.h"

#include <string.h>

#define DNS_OPT_LEN 11 /* root name, type, class, ttl, rdlength 0 */

typedef struct {
    wire_header h;
    bool parsed;       /* every byte accounted for */
    bool have_question;
    uint8_t qname[WIRE_NAME_MAX];
    size_t qname_len;
    uint16_t qtype, qclass;
    int nopt;
    bool opt_bad;      /* an OPT whose owner is not the root */
    uint16_t payload;  /* the client's UDP payload size */
    uint8_t version;
    bool do_bit;
} dns_query;

typedef struct {
    wire_writer w;
    uint16_t an, ns, ar;
    uint16_t flags; /* AA and TC */
    uint8_t rcode;  /* extended: up to 12 bits */
} dns_response;

const char *dns_answer_name(dns_answer kind)
{
    static const char *names[] = {"drop",    "hit",     "nodata", "nxdomain",
                                  "refused", "formerr", "notimp", "badvers"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

/* ---- parsing ---- */

/* Reads an OPT RR's fixed part and checks its options are well-formed
 * TLVs (RFC 6891 §6.1.2). */
static bool dns_query_opt(dns_query *q, const wire_rr *rr)
{
    q->nopt++;
    if (rr->name_len != 1)
        q->opt_bad = true;
    q->payload = rr->rclass;
    q->version = (uint8_t)(rr->ttl >> 16);
    q->do_bit = (rr->ttl & 0x8000) != 0;
    wire_cursor oc;
    wire_cursor_init(&oc, rr->rdata, rr->rdlength);
    while (wire_cursor_left(&oc) > 0) {
        uint16_t code, len;
        if (!wire_read_u16(&oc, &code) || !wire_read_u16(&oc, &len) || !wire_skip(&oc, len))
            return false;
    }
    return true;
}

/* Fills q from the message; q->parsed tells whether all of it was well
 * formed. The first question is kept even if something after it is bad,
 * so a FORMERR can echo it. */
static void dns_query_parse(const uint8_t *buf, size_t len, dns_query *q)
{
    wire_cursor c;
    wire_cursor_init(&c, buf, len);
    q->parsed = false;
    q->have_question = false;
    q->nopt = 0;
    q->opt_bad = false;
    q->payload = 0;
    q->version = 0;
    q->do_bit = false;
    if (!wire_read_header(&c, &q->h))
        return;
    for (unsigned i = 0; i < q->h.qdcount; i++) {
        uint8_t name[WIRE_NAME_MAX];
        size_t nlen;
        uint16_t t, k;
        if (!wire_read_question(&c, name, &nlen, &t, &k))
            return;
        if (i == 0) {
            memcpy(q->qname, name, nlen);
            q->qname_len = nlen;
            q->qtype = t;
            q->qclass = k;
            q->have_question = true;
        }
    }
    unsigned rrs = (unsigned)q->h.ancount + q->h.nscount + q->h.arcount;
    for (unsigned i = 0; i < rrs; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr))
            return;
        bool additional = i >= (unsigned)q->h.ancount + q->h.nscount;
        if (rr.type == WIRE_TYPE_OPT && (!additional || !dns_query_opt(q, &rr)))
            return; /* OPT outside ADDITIONAL, or bad options */
    }
    q->parsed = wire_cursor_left(&c) == 0; /* trailing garbage is malformed */
}

/* ---- writing records ---- */

static void dns_put_rr_head(wire_writer *w, const uint8_t *owner, size_t olen, uint16_t type,
                            uint32_t ttl)
{
    wire_put_name(w, owner, olen, true);
    wire_put_u16(w, type);
    wire_put_u16(w, WIRE_CLASS_IN);
    wire_put_u32(w, ttl);
}

static bool dns_put_a(dns_response *r, const uint8_t *owner, size_t olen, const zone_rrset *rs)
{
    for (size_t i = 0; i < rs->naddrs; i++) {
        dns_put_rr_head(&r->w, owner, olen, WIRE_TYPE_A, rs->ttl);
        wire_put_u16(&r->w, 4);
        wire_put_bytes(&r->w, rs->addrs[i], 4);
        r->an++;
    }
    return !r->w.overflow;
}

/* An RR whose rdata is one name (CNAME, NS). */
static bool dns_put_name_rr(dns_response *r, const uint8_t *owner, size_t olen, uint16_t type,
                            uint32_t ttl, const uint8_t *target, size_t tlen)
{
    dns_put_rr_head(&r->w, owner, olen, type, ttl);
    size_t rdlen_at = r->w.pos;
    wire_put_u16(&r->w, 0);
    wire_put_name(&r->w, target, tlen, true);
    if (r->w.overflow)
        return false;
    wire_patch_u16(&r->w, rdlen_at, (uint16_t)(r->w.pos - rdlen_at - 2));
    return true;
}

static bool dns_put_soa(dns_response *r, const zone_soa *soa, uint32_t ttl)
{
    dns_put_rr_head(&r->w, soa->apex, soa->apex_len, WIRE_TYPE_SOA, ttl);
    size_t rdlen_at = r->w.pos;
    wire_put_u16(&r->w, 0);
    wire_put_name(&r->w, soa->mname, soa->mname_len, true);
    wire_put_name(&r->w, soa->rname, soa->rname_len, true);
    wire_put_u32(&r->w, soa->serial);
    wire_put_u32(&r->w, soa->refresh);
    wire_put_u32(&r->w, soa->retry);
    wire_put_u32(&r->w, soa->expire);
    wire_put_u32(&r->w, soa->minimum);
    if (r->w.overflow)
        return false;
    wire_patch_u16(&r->w, rdlen_at, (uint16_t)(r->w.pos - rdlen_at - 2));
    return true;
}

/* The negative-answer SOA in AUTHORITY (RFC 2308 §3, §5). */
static bool dns_put_negative(dns_response *r, const zone_soa *soa)
{
    uint32_t ttl = soa->ttl < soa->minimum ? soa->ttl : soa->minimum;
    if (!dns_put_soa(r, soa, ttl))
        return false;
    r->ns++;
    return true;
}

/* ---- answering ---- */

/* Answers an in-zone question; returns the kind, false in *fits when a
 * required RRset did not fit. Only a question for A, CNAME or ANY data
 * moves a rotating CNAME on (zone_lookup_take): what a client connects
 * to comes from its A question, and the SOA, NS or AAAA questions a
 * resolver or rdsctl sends beside it must not skip a reader. */
static dns_answer dns_answer_zone(dns_response *r, const zone *z, const dns_query *q,
                                  bool *fits)
{
    zone_soa soa;
    zone_get_soa(z, &soa);
    const uint8_t *name = q->qname;
    size_t nlen = q->qname_len;
    uint16_t qt = q->qtype;
    *fits = true;
    bool take = qt == WIRE_TYPE_A || qt == WIRE_TYPE_CNAME || qt == WIRE_TYPE_ANY;
    zone_rrset rs;

    /* Each CNAME link looks its target up. */
    for (int link = 0;; link++) {
        if (take)
            zone_lookup_take(z, name, nlen, &rs);
        else
            zone_lookup(z, name, nlen, &rs);
        switch (rs.kind) {
        case ZONE_LOOKUP_OUTSIDE:
            /* Only reachable at the end of a CNAME chain (the caller
             * refused out-of-zone questions): the resolver goes on. */
            return DNS_ANSWER_HIT;
        case ZONE_LOOKUP_NXDOMAIN:
            r->rcode = WIRE_RCODE_NXDOMAIN;
            *fits = dns_put_negative(r, &soa);
            return DNS_ANSWER_NXDOMAIN;
        case ZONE_LOOKUP_EMPTY:
            break;
        case ZONE_LOOKUP_APEX: {
            bool soa_rr = qt == WIRE_TYPE_SOA || qt == WIRE_TYPE_ANY;
            bool ns_rr = qt == WIRE_TYPE_NS || qt == WIRE_TYPE_ANY;
            if (soa_rr) {
                if (!(*fits = dns_put_soa(r, &soa, soa.ttl)))
                    return DNS_ANSWER_HIT;
                r->an++;
            }
            if (ns_rr) {
                if (!(*fits = dns_put_name_rr(r, soa.apex, soa.apex_len, WIRE_TYPE_NS,
                                              soa.ns_ttl, soa.mname, soa.mname_len)))
                    return DNS_ANSWER_HIT;
                r->an++;
                /* The name server's address as additional data; optional,
                 * so it is simply left out when it does not fit. */
                zone_rrset glue;
                if (zone_lookup(z, soa.mname, soa.mname_len, &glue) == ZONE_LOOKUP_A) {
                    wire_mark m = wire_writer_mark(&r->w);
                    uint16_t an = r->an;
                    if (dns_put_a(r, soa.mname, soa.mname_len, &glue)) {
                        r->ar = (uint16_t)(r->ar + (r->an - an));
                    } else {
                        wire_writer_rollback(&r->w, m);
                    }
                    r->an = an;
                }
            }
            if (soa_rr || ns_rr)
                return DNS_ANSWER_HIT;
            break;
        }
        case ZONE_LOOKUP_A:
            if (qt == WIRE_TYPE_A || qt == WIRE_TYPE_ANY) {
                *fits = dns_put_a(r, name, nlen, &rs);
                return DNS_ANSWER_HIT;
            }
            break;
        case ZONE_LOOKUP_CNAME:
            if (!(*fits = dns_put_name_rr(r, name, nlen, WIRE_TYPE_CNAME, rs.ttl, rs.target,
                                          rs.target_len)))
                return DNS_ANSWER_HIT;
            r->an++;
            if (qt == WIRE_TYPE_CNAME || qt == WIRE_TYPE_ANY || link + 1 >= DNS_CNAME_CHAIN_MAX)
                return DNS_ANSWER_HIT;
            name = rs.target;
            nlen = rs.target_len;
            continue;
        }
        /* The name exists without the type asked for: NODATA (RFC 2308
         * §2.2), also at the end of a CNAME chain (rcode NOERROR). */
        *fits = dns_put_negative(r, &soa);
        return r->an ? DNS_ANSWER_HIT : DNS_ANSWER_NODATA;
    }
}

/* Chooses the answer kind for a parsed query, before any zone data. */
static dns_answer dns_classify(const dns_query *q)
{
    if (WIRE_OPCODE(q->h.flags) != 0)
        return DNS_ANSWER_NOTIMP;
    if (!q->parsed || q->h.qdcount != 1 || q->nopt > 1 || q->opt_bad ||
        q->qtype == WIRE_TYPE_OPT)
        return DNS_ANSWER_FORMERR;
    if (q->nopt == 1 && q->version > 0)
        return DNS_ANSWER_BADVERS;
    if (q->qclass != WIRE_CLASS_IN && q->qclass != WIRE_CLASS_ANY)
        return DNS_ANSWER_REFUSED;
    if (q->qtype == WIRE_TYPE_AXFR || q->qtype == WIRE_TYPE_IXFR)
        return DNS_ANSWER_REFUSED; /* no zone transfers (RFC 5936 §2.2.1 allows refusing) */
    if (q->qtype == WIRE_TYPE_MAILA || q->qtype == WIRE_TYPE_MAILB)
        return DNS_ANSWER_NOTIMP;
    return DNS_ANSWER_HIT; /* to be refined by the zone */
}

size_t dns_process_answer(const uint8_t *query, size_t qlen, const zone *z, bool tcp,
                          uint8_t *out, size_t outcap, dns_answer *kind)
{
    *kind = DNS_ANSWER_DROP;
    if (qlen < WIRE_HEADER_LEN || (query[2] & 0x80))
        return 0; /* no header to echo, or a response: never answer */

    dns_query q;
    dns_query_parse(query, qlen, &q);
    dns_answer ans = dns_classify(&q);

    /* An OPT is echoed only when the query's was valid (RFC 6891 §7). */
    bool edns = q.parsed && q.nopt == 1 && !q.opt_bad;
    size_t limit = 512;
    if (tcp) {
        limit = 65535;
    } else if (edns) {
        limit = q.payload < 512 ? 512 : q.payload;
        if (limit > DNS_UDP_PAYLOAD_MAX)
            limit = DNS_UDP_PAYLOAD_MAX;
    }
    if (limit > outcap)
        limit = outcap;
    size_t reserve = edns ? DNS_OPT_LEN : 0;
    if (limit < WIRE_HEADER_LEN + reserve)
        return 0;

    dns_response r = {0};
    wire_writer_init(&r.w, out, limit - reserve);
    r.w.pos = WIRE_HEADER_LEN;

    /* The question is echoed when there was exactly one and it parsed. */
    bool echo = q.have_question && q.h.qdcount == 1;
    if (echo) {
        wire_put_name(&r.w, q.qname, q.qname_len, false);
        wire_put_u16(&r.w, q.qtype);
        wire_put_u16(&r.w, q.qclass);
        if (r.w.overflow)
            return 0; /* outcap below even header + question */
    }
    wire_mark after_question = wire_writer_mark(&r.w);

    switch (ans) {
    case DNS_ANSWER_NOTIMP:
        r.rcode = WIRE_RCODE_NOTIMP;
        break;
    case DNS_ANSWER_FORMERR:
        r.rcode = WIRE_RCODE_FORMERR;
        break;
    case DNS_ANSWER_BADVERS:
        r.rcode = WIRE_RCODE_BADVERS;
        break;
    case DNS_ANSWER_REFUSED:
        r.rcode = WIRE_RCODE_REFUSED;
        break;
    default: {
        zone_rrset rs;
        if (zone_lookup(z, q.qname, q.qname_len, &rs) == ZONE_LOOKUP_OUTSIDE) {
            ans = DNS_ANSWER_REFUSED; /* never recursion (RFC 8906 §3.1.1) */
            r.rcode = WIRE_RCODE_REFUSED;
            break;
        }
        r.flags |= WIRE_FLAG_AA;
        bool fits;
        ans = dns_answer_zone(&r, z, &q, &fits);
        if (!fits) {
            /* Drop every RRset rather than send a partial one. */
            wire_writer_rollback(&r.w, after_question);
            r.an = r.ns = r.ar = 0;
            r.flags |= WIRE_FLAG_TC;
        }
        break;
    }
    }

    if (edns) {
        r.w.limit += reserve;
        wire_put_u8(&r.w, 0);
        wire_put_u16(&r.w, WIRE_TYPE_OPT);
        wire_put_u16(&r.w, DNS_UDP_PAYLOAD_MAX);
        wire_put_u32(&r.w, ((uint32_t)(r.rcode >> 4) << 24) | (q.do_bit ? 0x8000u : 0));
        wire_put_u16(&r.w, 0);
        r.ar++;
    }

    wire_header h = {
        .id = q.h.id,
        .flags = (uint16_t)(WIRE_FLAG_QR | (q.h.flags & (0x7800 | WIRE_FLAG_RD)) | r.flags |
                            (r.rcode & 0xF)),
        .qdcount = echo ? 1 : 0,
        .ancount = r.an,
        .nscount = r.ns,
        .arcount = r.ar,
    };
    if (r.w.overflow)
        return 0; /* cannot happen: the OPT's room was kept back */
    size_t len = r.w.pos;
    r.w.pos = 0;
    wire_put_header(&r.w, &h);
    *kind = ans;
    return len;
}

size_t dns_process(const uint8_t *query, size_t qlen, const zone *z, bool tcp, uint8_t *out,
                   size_t outcap)
{
    dns_answer kind;
    return dns_process_answer(query, qlen, z, tcp, out, outcap, &kind);
}
