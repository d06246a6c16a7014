/* process: answer one DNS query from a zone. Pure: no sockets, no clock.
 *
 * Given the query bytes and the zone, writes the response into out and
 * returns its length, or 0 when the query must be dropped (too short to
 * carry an ID, or a response). max_udp is the UDP payload limit in force
 * (512, or the EDNS size the client offered, capped by the server); pass
 * 65535 for TCP. Answers longer than the limit come back truncated
 * (TC=1), well-formed. */
#ifndef RDSIM_DNS_PROCESS_H
#define RDSIM_DNS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zone zone;

size_t dns_process(const uint8_t *query, size_t qlen, const zone *z, bool tcp, uint8_t *out,
                   size_t outcap);

#endif
