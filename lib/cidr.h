/* cidr: IPv4 CIDR blocks — parse, print, contain, overlap (pure).
 *
 * Used for the simulated network: subnets (a loopback range per AZ),
 * security group ingress rules (which become pg_hba.conf lines) and the
 * node addresses the controlplane hands out. Only the canonical dotted
 * form is accepted ("127.0.1.0/24": four decimal octets without leading
 * zeros, a prefix 0..32, no host bits set), which is what EC2 accepts for
 * a subnet; cidr_parse_loose also accepts host bits (a security group
 * rule's "127.0.1.5/24" is kept by EC2 as given but matches like /24). */
#ifndef RDSIM_CIDR_H
#define RDSIM_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t addr; /* network address, host byte order */
    int prefix;    /* 0..32 */
} cidr;

/* A dotted IPv4 address, strict (no leading zeros, 0..255). */
bool cidr_parse_addr(const char *s, uint32_t *out);
/* "a.b.c.d/n" with no host bits set. false (out untouched) otherwise. */
bool cidr_parse(const char *s, cidr *out);
/* Like cidr_parse, host bits allowed and cleared. */
bool cidr_parse_loose(const char *s, cidr *out);

/* Writes "a.b.c.d/n" (at most 19 bytes) or "a.b.c.d" into buf. */
void cidr_format(const cidr *c, char *buf, size_t len);
void cidr_format_addr(uint32_t addr, char *buf, size_t len);

uint32_t cidr_mask(int prefix);
bool cidr_contains(const cidr *c, uint32_t addr);
/* True when the two blocks share at least one address. */
bool cidr_overlaps(const cidr *a, const cidr *b);
/* True when every address of inner is in outer. */
bool cidr_covers(const cidr *outer, const cidr *inner);
/* Number of addresses (2^(32-prefix)), as a 64-bit count. */
uint64_t cidr_size(const cidr *c);

#endif
