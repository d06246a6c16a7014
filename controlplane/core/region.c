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

bool region_arn_parse(const char *text, region_arn *out)
{
    size_t n = strlen(text);
    if (strncmp(text, "arn:", 4) != 0 || n > REGION_ARN_MAX)
        return false;
    memcpy(out->buf, text, n + 1);
    const char **fields[] = {&out->partition, &out->service, &out->region, &out->account,
                             &out->resource};
    char *c = out->buf + 4;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        *fields[i] = c;
        if (i + 1 == sizeof fields / sizeof fields[0])
            break;
        c = strchr(c, ':');
        if (!c)
            return false;
        *c++ = '\0';
    }
    return true;
}

bool region_arn_is_local(const region_arn *a, const char *service, const char *region_name,
                         const char *account)
{
    return strcmp(a->partition, "aws") == 0 && strcmp(a->service, service) == 0 &&
           strcmp(a->region, region_name) == 0 && strcmp(a->account, account) == 0;
}

const char *region_arn_resource_id(const region_arn *a, const char *type_prefix)
{
    size_t n = strlen(type_prefix);
    return strncmp(a->resource, type_prefix, n) == 0 ? a->resource + n : NULL;
}

char *region_instance_id_from(const char *value)
{
    region_arn a;
    const char *id = region_arn_parse(value, &a) ? region_arn_resource_id(&a, "db:") : NULL;
    return str_lower(xstrdup(id ? id : value));
}

char *region_instance_arn_id(const region *r, const char *text)
{
    region_arn a;
    if (!region_arn_parse(text, &a) || !region_arn_is_local(&a, "rds", r->cfg.name, r->cfg.account))
        return NULL;
    const char *id = region_arn_resource_id(&a, "db:");
    return id ? str_lower(xstrdup(id)) : NULL;
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

const char *region_vpc_cidr(const region *r)
{
    return r->cfg.vpc_cidr ? r->cfg.vpc_cidr : "127.0.0.0/8";
}

const char *region_own_cidr(const region *r)
{
    return r->cfg.region_cidr ? r->cfg.region_cidr : "127.0.0.0/24";
}

bool region_has_az(const region *r, const char *az)
{
    for (int i = 0; i < r->cfg.naz; i++)
        if (strcmp(r->cfg.azs[i], az) == 0)
            return true;
    return false;
}
