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

/* Sets name to a CNAME to target with ttl, replacing whatever name held.
 * false if name is not inside the zone (or is the apex) or invalid. */
bool zone_set_cname(zone *z, const char *name, const char *target, uint32_t ttl);
/* Sets name to the single A record ipv4 ("127.0.1.5") with ttl, replacing
 * whatever name held. */
bool zone_set_a(zone *z, const char *name, const char *ipv4, uint32_t ttl);
/* Removes every record of name; true if there was one. */
bool zone_remove(zone *z, const char *name);

uint32_t zone_serial(const zone *z);
const char *zone_apex(const zone *z);
size_t zone_size(const zone *z);

#endif
