/* region: see region.h. */
#include "controlplane/core/region.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rclock.h"
#include "lib/util.h"

int64_t region_now_ms(const region *r)
{
    return rclock_now_ms(r->clock_offset_ms);
}

char *region_endpoint_name(const region *r, const char *instance_id)
{
    return xasprintf("%s.%s.%s", instance_id, r->hash, r->apex);
}

char *region_public_endpoint_name(const region *r, const char *instance_id)
{
    return xasprintf("%s.public.%s.%s", instance_id, r->hash, r->apex);
}

char *region_node_name(const region *r, const char *az, const char *addr)
{
    char *dashed = xstrdup(addr);
    for (char *p = dashed; *p; p++)
        if (*p == '.')
            *p = '-';
    char *name = xasprintf("ip-%s.%s.%s", dashed, az, r->apex);
    free(dashed);
    return name;
}

char *region_instance_arn(const region *r, const char *instance_id)
{
    return xasprintf("arn:aws:rds:%s:%s:db:%s", r->cfg.name, r->cfg.account, instance_id);
}

char *region_random_label(int len)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[64];
    if (len > (int)sizeof raw)
        len = (int)sizeof raw;
    if (RAND_bytes(raw, len) != 1)
        for (int i = 0; i < len; i++)
            raw[i] = (unsigned char)(wall_ms() >> (i % 8));
    char *s = xmalloc((size_t)len + 1);
    for (int i = 0; i < len; i++)
        s[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    s[len] = '\0';
    return s;
}

bool region_has_az(const region *r, const char *az)
{
    for (int i = 0; i < r->cfg.naz; i++)
        if (strcmp(r->cfg.azs[i], az) == 0)
            return true;
    return false;
}
