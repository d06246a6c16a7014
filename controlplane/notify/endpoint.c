/* endpoint: see endpoint.h. */
#include "controlplane/notify/endpoint.h"

#include <arpa/inet.h>
#include <event2/http.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lib/resolver.h"

bool endpoint_host_port(const char *url, char *host, size_t hostsize, int *port)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    if (!u)
        return false;
    const char *h = evhttp_uri_get_host(u);
    const char *scheme = evhttp_uri_get_scheme(u);
    bool ok = h && *h && scheme && strlen(h) < hostsize;
    if (ok) {
        /* An IPv6 literal comes bracketed: the address is inside. */
        size_t n = strlen(h);
        if (h[0] == '[' && n >= 2 && h[n - 1] == ']')
            snprintf(host, hostsize, "%.*s", (int)(n - 2), h + 1);
        else
            snprintf(host, hostsize, "%s", h);
        *port = evhttp_uri_get_port(u);
        if (*port < 0)
            *port = strcmp(scheme, "https") == 0 ? 443 : 80;
    }
    evhttp_uri_free(u);
    return ok;
}

/* Whether addr is an address of a local interface. */
static bool is_local_interface(const struct sockaddr *addr)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0)
        return false;
    bool found = false;
    for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
        const struct sockaddr *a = i->ifa_addr;
        if (!a || a->sa_family != addr->sa_family)
            continue;
        if (a->sa_family == AF_INET)
            found = ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
                    ((const struct sockaddr_in *)addr)->sin_addr.s_addr;
        else if (a->sa_family == AF_INET6)
            found = memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                           &((const struct sockaddr_in6 *)addr)->sin6_addr,
                           sizeof(struct in6_addr)) == 0;
    }
    freeifaddrs(all);
    return found;
}

/* Whether addr is one this host answers on. */
static bool is_this_host(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr);
        if ((a >> 24) == 127 || a == 0)
            return true;
    } else if (addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, &a->s6_addr[12], 4);
            return is_this_host((const struct sockaddr *)&v4);
        }
    } else {
        return false;
    }
    return is_local_interface(addr);
}

bool endpoint_is_own(const region *r, const struct sockaddr *addr, int port)
{
    if (r->cfg.sns_allow_own_endpoints)
        return false;
    if ((port != r->api_port || r->api_port <= 0) && (port != r->dns_port || r->dns_port <= 0))
        return false;
    return is_this_host(addr);
}

bool endpoint_check_subscribe(const region *r, const char *url, awserr *err)
{
    char host[256];
    int port;
    if (!endpoint_host_port(url, host, sizeof host, &port))
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Endpoint is not a valid URL: %s", url);
    struct sockaddr_storage ss;
    socklen_t len;
    if (resolver_lookup_local(host, &ss, &len) &&
        endpoint_is_own(r, (const struct sockaddr *)&ss, port))
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Endpoint is this region's own listener (%s port "
                          "%d): Amazon SNS does not deliver to it",
                          port == r->api_port ? "API" : "DNS", port);
    return true;
}
