/* zone: the in-memory authoritative zone the DNS server answers from.
 *
 * One apex (e.g. "us-east-1.rds.internal") with its SOA and NS; below it
 * names that hold either one CNAME or A records, never both (RFC 1034
 * §3.6.2). Names are compared case-insensitively and stored lowercase,
 * without the trailing dot. Every mutation increments the SOA serial
 * (RFC 1982 arithmetic), so secondaries and people with dig see change.
 * Not thread-safe; lives on the controlplane's event loop. */
#ifndef RDSIM_ZONE_H
#define RDSIM_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zone zone;

/* apex: the zone name; ns: the name of the zone's name server (in-zone,
 * given an A record at ns_addr); serial: the starting SOA serial (the
 * controlplane persists it); neg_ttl: SOA MINIMUM, the negative-caching
 * TTL. Returns NULL if a name is not a valid domain name. */
zone *zone_new(const char *apex, const char *ns, const char *ns_addr, uint32_t serial,
               uint32_t neg_ttl);
void zone_free(zone *z);

/* TTLs above 2^31-1 are stored as 2^31-1 (RFC 2181 §8).
 *
 * Sets name to a CNAME to target with ttl, replacing whatever name held.
 * false if name is not inside the zone (or is the apex) or invalid. */
bool zone_set_cname(zone *z, const char *name, const char *target, uint32_t ttl);
/* Sets name to the single A record ipv4 ("127.0.1.5") with ttl, replacing
 * whatever name held. */
bool zone_set_a(zone *z, const char *name, const char *ipv4, uint32_t ttl);
/* Sets name to a CNAME answered in rotation: each lookup returns the next
 * of targets (1..ZONE_ROTATION_MAX), one CNAME per answer — how RDS's
 * reader endpoints spread connections (DNS round-robin of one record, not
 * a set a resolver could reorder). One target is zone_set_cname. zone_get
 * shows the targets joined by ','. false as zone_set_cname. */
#define ZONE_ROTATION_MAX 16
bool zone_set_cname_rotation(zone *z, const char *name, const char *const *targets, size_t n,
                             uint32_t ttl);
/* Removes every record of name; true if there was one. */
bool zone_remove(zone *z, const char *name);

/* Adds ipv4 to the A records of name (at most ZONE_A_MAX, all sharing
 * ttl, which replaces the previous one: RFC 2181 §5.2). A CNAME at name
 * is replaced. false if invalid, outside, the apex, or full. Adding an
 * address name already has changes nothing (serial unchanged, true). */
bool zone_add_a(zone *z, const char *name, const char *ipv4, uint32_t ttl);

uint32_t zone_serial(const zone *z);
/* The apex as given to zone_new, lowercase, no trailing dot. */
const char *zone_apex(const zone *z);
/* Names holding records (A or CNAME), the ns name included. */
size_t zone_size(const zone *z);

/* Reads name's records as text, for the API and rdsctl: *type is "A",
 * "CNAME" or "" (no such name; also empty non-terminals and the apex);
 * data gets the target or the addresses joined by ','; *ttl the TTL.
 * false if name is not a valid name or cap is too small. */
bool zone_get(const zone *z, const char *name, const char **type, char *data, size_t cap,
              uint32_t *ttl);

/* Calls fn for every name holding records, in no particular order, with
 * the same strings as zone_get. fn must not change the zone. */
typedef void (*zone_visit_fn)(const char *name, const char *type, const char *data,
                              uint32_t ttl, void *arg);
void zone_foreach(const zone *z, zone_visit_fn fn, void *arg);

/* ---- lookup by wire name, for process.c (the query hot path) ---- */

#define ZONE_A_MAX 16

typedef enum {
    ZONE_LOOKUP_OUTSIDE,  /* not at or below the apex: REFUSED */
    ZONE_LOOKUP_NXDOMAIN, /* below the apex, no such name */
    ZONE_LOOKUP_APEX,     /* the apex (SOA and NS) */
    ZONE_LOOKUP_EMPTY,    /* an empty non-terminal: exists, no data (RFC 8020) */
    ZONE_LOOKUP_A,
    ZONE_LOOKUP_CNAME,
} zone_lookup_kind;

/* What a lookup found; pointers borrow the zone's storage and stay valid
 * until the next mutation of the zone. */
typedef struct {
    zone_lookup_kind kind;
    uint32_t ttl;
    const uint8_t *target; /* CNAME: wire form, lowercase */
    size_t target_len;
    const uint8_t (*addrs)[4]; /* A: network order */
    size_t naddrs;
} zone_rrset;

/* The apex's SOA and NS data (names in lowercase wire form). */
typedef struct {
    const uint8_t *apex, *mname, *rname;
    size_t apex_len, mname_len, rname_len;
    uint32_t ttl; /* of the SOA RR itself */
    uint32_t serial, refresh, retry, expire, minimum;
    uint32_t ns_ttl;
} zone_soa;

/* Looks name (uncompressed wire form, any case, well-formed) up. No
 * allocation; O(1) expected. Returns out->kind. A rotating CNAME
 * (zone_set_cname_rotation) answers the target its next answer will
 * take, and stays there: zone_lookup only peeks. */
zone_lookup_kind zone_lookup(const zone *z, const uint8_t *name, size_t len, zone_rrset *out);
/* The same, for an answer that hands a rotating CNAME's data out (a
 * question for its A or CNAME data): the rotation moves on to its next
 * target. Only such questions spread clients over the targets; a
 * resolver's SOA, NS or AAAA questions in between must not (issue 15). */
zone_lookup_kind zone_lookup_take(const zone *z, const uint8_t *name, size_t len,
                                  zone_rrset *out);
void zone_get_soa(const zone *z, zone_soa *out);

#endif
