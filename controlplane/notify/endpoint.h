/* endpoint: where an http(s) subscription really goes, and the rule that
 * it is never one of the region's own listeners (the API, which also
 * serves KMS, Secrets Manager, SQS and the agents' channel, and the DNS
 * server): a delivery must not be a way for a tenant to make the region
 * talk to itself (issue 13, SSRF).
 *
 * "Own" means: the port is the API's or the DNS server's, and the address
 * is one this host answers on (loopback 127/8 or ::1, the unspecified
 * address, or an address of a local interface). Checked at Subscribe for
 * address literals and hosts-file names (endpoint_check_subscribe), and
 * at every delivery on the address the name resolved to
 * (endpoint_is_own), so a name that later resolves to the region is
 * refused too. */
#ifndef RDSIM_ENDPOINT_H
#define RDSIM_ENDPOINT_H

#include <stdbool.h>
#include <sys/socket.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/region.h"

/* The host (an IPv6 literal without its brackets) and port of an
 * http(s) URL (port: the scheme's default when absent). false when the
 * URL does not parse or has no host. host is copied into host[hostsize]. */
bool endpoint_host_port(const char *url, char *host, size_t hostsize, int *port);

/* Whether addr:port is one of r's own listeners (above) and the operator
 * did not allow them (--sns-allow-own-endpoints). */
bool endpoint_is_own(const region *r, const struct sockaddr *addr, int port);

/* Subscribe's check of an http(s) endpoint: false with SNS's
 * InvalidParameter when it names one of r's own listeners by an address
 * literal or a hosts-file name (no name server is asked here). */
bool endpoint_check_subscribe(const region *r, const char *url, awserr *err);

#endif
