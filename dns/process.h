/* process: answer one DNS query from a zone. Pure: no sockets, no clock,
 * no allocation.
 *
 * Given the query bytes and the zone, writes the response into out and
 * returns its length, or 0 when the query must be dropped: shorter than
 * a header, a response (QR=1, never answered, to avoid loops), or out too
 * small for even a truncated answer (give outcap >= 512 and this never
 * happens).
 *
 * The size limit of the answer is min(outcap, L) where L is 65535 over
 * TCP, and over UDP 512, or with EDNS(0) the payload size the client
 * offered (at least 512) capped at DNS_UDP_PAYLOAD_MAX. Answers longer
 * than the limit come back well-formed with TC=1: header, question and
 * OPT, no partial RRsets (RFC 2181 §9).
 *
 * What comes back (RFC 1034/1035, 2181, 2308, 6891, 7766, 8020, 8906):
 *  - ID, opcode and RD copied; QR set; RA, Z, AD, CD clear; the question
 *    echoed with the client's case;
 *  - in-zone names: AA=1; A / CNAME (chased inside the zone in the same
 *    answer, at most DNS_CNAME_CHAIN_MAX links) / SOA and NS at the apex;
 *    ANY answers what the name holds; NODATA and NXDOMAIN (also at the
 *    end of a CNAME chain) carry the SOA in AUTHORITY with TTL
 *    min(SOA TTL, SOA MINIMUM);
 *  - out-of-zone names, classes other than IN/ANY, AXFR/IXFR: REFUSED;
 *  - opcode other than QUERY, MAILA/MAILB: NOTIMP;
 *  - QDCOUNT != 1, malformed bytes (truncation, bad compression, labels
 *    or names too long, counts beyond the packet, trailing bytes), two
 *    OPT RRs, OPT not at the root, qtype OPT: FORMERR;
 *  - EDNS version > 0: BADVERS (extended rcode in the OPT);
 *  - with a valid OPT in the query, an OPT in the answer carrying our
 *    payload size and the DO bit copied. */
#ifndef RDSIM_DNS_PROCESS_H
#define RDSIM_DNS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zone zone;

#define DNS_UDP_PAYLOAD_MAX 1232 /* DNS Flag Day 2020 */
#define DNS_CNAME_CHAIN_MAX 8

/* What kind of answer was produced (NSD/Knot style), for logs and tests. */
typedef enum {
    DNS_ANSWER_DROP,     /* returned 0: nothing to send */
    DNS_ANSWER_HIT,      /* NOERROR with records in ANSWER */
    DNS_ANSWER_NODATA,   /* NOERROR, empty ANSWER, SOA in AUTHORITY */
    DNS_ANSWER_NXDOMAIN, /* NXDOMAIN, SOA in AUTHORITY */
    DNS_ANSWER_REFUSED,
    DNS_ANSWER_FORMERR,
    DNS_ANSWER_NOTIMP,
    DNS_ANSWER_BADVERS,
} dns_answer;

size_t dns_process(const uint8_t *query, size_t qlen, const zone *z, bool tcp, uint8_t *out,
                   size_t outcap);
/* Same as dns_process, and tells which kind of answer it produced (a
 * truncated answer keeps the kind it would have had; TC is in the bytes). */
size_t dns_process_answer(const uint8_t *query, size_t qlen, const zone *z, bool tcp,
                          uint8_t *out, size_t outcap, dns_answer *kind);
/* "hit", "nodata", ... for logs. */
const char *dns_answer_name(dns_answer kind);

#endif
