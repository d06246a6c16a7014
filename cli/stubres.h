/* stubres: a non-blocking stub resolver for one name, over UDP, to one
 * server — what a client library does with /etc/resolv.conf, cut down to
 * what the chaos harness needs: the A address the name ends at and the
 * TTL it may be cached for.
 *
 * The caller owns the loop: it sends a query (stubres_send), polls the
 * socket (stubres_fd) for POLLIN, and reads the reply (stubres_receive).
 * A reply that is not the answer to the last query sent (wrong id, not a
 * response, malformed) is dropped, as a resolver must against spoofing and
 * late answers; retrying on silence is the caller's (it knows its own
 * deadlines). The TTL of an answer is the smallest TTL of the records of
 * its CNAME chain (RFC 1034 §4.3.2: the answer may be cached no longer
 * than any record it was built from).
 *
 * Building the query and reading the answer are pure functions
 * (stubres_build_query, stubres_parse_answer) for the unit tests. */
#ifndef RDSIM_CLI_STUBRES_H
#define RDSIM_CLI_STUBRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

/* A UDP answer we accept: the classic 512 bytes, with room to spare. */
#define STUBRES_MAX_MSG 1232

typedef enum {
    STUBRES_NOTHING,  /* no datagram, or one that is not our answer: keep waiting */
    STUBRES_ADDRESS,  /* an address and its TTL */
    STUBRES_NEGATIVE, /* the server answered without an address (rcode, NODATA) */
    STUBRES_ERROR,    /* the socket failed (e.g. ICMP port unreachable: no server) */
} stubres_result;

typedef struct {
    int fd;                        /* connected UDP socket, -1 when closed */
    uint8_t qname[WIRE_NAME_MAX];  /* wire form of the name */
    size_t qname_len;
    uint16_t id;                   /* of the last query sent */
    bool pending;                  /* a query was sent and not yet answered */
    uint32_t rand_state;           /* query ids: not guessable by another process */
} stubres;

/* Opens a socket to server (numeric IPv4) port for name. Returns false
 * (logged) on a bad address or name or a socket error; r is then closed
 * (stubres_close is still safe). */
bool stubres_open(stubres *r, const char *server, int port, const char *name);
void stubres_close(stubres *r);

/* Sends a new A query (a fresh id: an answer to an earlier one is then
 * ignored). Returns false if the datagram could not be sent (e.g. the
 * previous one drew an ICMP error); the caller retries later. */
bool stubres_send(stubres *r);

/* Reads one datagram, if any (never blocks). STUBRES_ADDRESS fills addr
 * (dotted, >= 16 bytes) and *ttl_s; the query is then answered. */
stubres_result stubres_receive(stubres *r, char *addr, size_t addr_size, uint32_t *ttl_s);

/* Blocking helper for one-off lookups outside a loop: up to tries sends,
 * waiting timeout_ms for each. Same results as stubres_receive, except
 * that silence gives STUBRES_ERROR. */
stubres_result stubres_lookup(const char *server, int port, const char *name, int tries,
                              int timeout_ms, char *addr, size_t addr_size, uint32_t *ttl_s);

/* Writes the query (id, RD, one question: name IN A) into buf. Returns its
 * length, or 0 if cap is too small. */
size_t stubres_build_query(uint16_t id, const uint8_t *qname, size_t qname_len, uint8_t *buf,
                           size_t cap);

/* Reads an answer to query id for qname: STUBRES_NOTHING when it is not
 * one (short, not QR, other id, other question, malformed), else
 * STUBRES_ADDRESS (addr, ttl = the chain's smallest TTL) or
 * STUBRES_NEGATIVE. */
stubres_result stubres_parse_answer(const uint8_t *buf, size_t len, uint16_t id,
                                    const uint8_t *qname, size_t qname_len, char *addr,
                                    size_t addr_size, uint32_t *ttl_s);

#endif
