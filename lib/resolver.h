/* resolver: asynchronous host-name lookups on a libevent base (c-ares).
 *
 * The controlplane's loop must never wait for a name server: a lookup is
 * started, the loop goes on, and the callback comes on a later turn of
 * the loop (never inside resolver_lookup, even for an address literal or
 * a name in /etc/hosts, so callers need no re-entrancy care). Each lookup
 * ends within RESOLVER_TIMEOUT_MS x RESOLVER_TRIES (per server) however
 * the name servers behave (silent, slow, lying). */
#ifndef RDSIM_RESOLVER_H
#define RDSIM_RESOLVER_H

#include <stdbool.h>
#include <sys/socket.h>

struct event_base;
typedef struct resolver resolver;

#define RESOLVER_TIMEOUT_MS 1000
#define RESOLVER_TRIES 2

/* Called exactly once. ok: addr (the first address, IPv4 preferred; its
 * port is 0) is set; else error says why ("timeout", "no such host"...).
 * Both are valid only during the call. */
typedef void (*resolver_cb)(bool ok, const struct sockaddr *addr, socklen_t addrlen,
                            const char *error, void *arg);

/* A resolver on base. servers: NULL for the system's (resolv.conf), or
 * c-ares's CSV ("127.0.0.1:5353,[::1]:53"). NULL if c-ares cannot start
 * or servers does not parse (logged). */
resolver *resolver_new(struct event_base *base, const char *servers);
/* Ends the lookups in flight (their callbacks are called, failed, before
 * this returns) and frees. NULL is fine. */
void resolver_free(resolver *rs);

/* Looks host up (an address literal is its own answer). false (cb is not
 * called) only when the lookup cannot be started. */
bool resolver_lookup(resolver *rs, const char *host, resolver_cb cb, void *arg);

/* Where host is, from an address literal or the hosts file only (no
 * name server: it does not block). true with *out set (port 0). */
bool resolver_lookup_local(const char *host, struct sockaddr_storage *out, socklen_t *outlen);

#endif
