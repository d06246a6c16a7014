/* cidr: see cidr.h. */
#include "lib/cidr.h"

#include <stdio.h>
#include <string.h>

/* Reads one decimal octet at *p (no sign, no leading zero, <= 255). */
static bool read_octet(const char **p, uint32_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    uint32_t v = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9' && n < 4) {
        v = v * 10 + (uint32_t)(*s - '0');
        s++;
        n++;
    }
    if (n > 3 || v > 255 || (n > 1 && (*p)[0] == '0'))
        return false;
    *out = v;
    *p = s;
    return true;
}

static bool read_addr(const char **p, uint32_t *out)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t o;
        if (i > 0 && *(*p)++ != '.')
            return false;
        if (!read_octet(p, &o))
            return false;
        a = a << 8 | o;
    }
    *out = a;
    return true;
}

bool cidr_parse_addr(const char *s, uint32_t *out)
{
    uint32_t a;
    if (!s || !read_addr(&s, &a) || *s)
        return false;
    *out = a;
    return true;
}

uint32_t cidr_mask(int prefix)
{
    return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

static bool parse(const char *s, cidr *out, bool loose)
{
    uint32_t a, pfx;
    if (!s || !read_addr(&s, &a) || *s++ != '/' || !read_octet(&s, &pfx) || *s || pfx > 32)
        return false;
    if (!loose && (a & ~cidr_mask((int)pfx)))
        return false;
    out->addr = a & cidr_mask((int)pfx);
    out->prefix = (int)pfx;
    return true;
}

bool cidr_parse(const char *s, cidr *out)
{
    return parse(s, out, false);
}

bool cidr_parse_loose(const char *s, cidr *out)
{
    return parse(s, out, true);
}

void cidr_format_addr(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

void cidr_format(const cidr *c, char *buf, size_t len)
{
    char a[16];
    cidr_format_addr(c->addr, a, sizeof a);
    snprintf(buf, len, "%s/%d", a, c->prefix);
}

bool cidr_contains(const cidr *c, uint32_t addr)
{
    return (addr & cidr_mask(c->prefix)) == c->addr;
}

bool cidr_overlaps(const cidr *a, const cidr *b)
{
    int p = a->prefix < b->prefix ? a->prefix : b->prefix;
    return (a->addr & cidr_mask(p)) == (b->addr & cidr_mask(p));
}

bool cidr_covers(const cidr *outer, const cidr *inner)
{
    return outer->prefix <= inner->prefix && cidr_contains(outer, inner->addr);
}

uint64_t cidr_size(const cidr *c)
{
    return (uint64_t)1 << (32 - c->prefix);
}
