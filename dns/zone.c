/* zone: the in-memory zone, a hash table of names. See zone.h.
 *
 * Names are keyed by their lowercase uncompressed wire form, so a query
 * name is looked up after one lowercase copy, with no text conversion
 * and no allocation. The table uses open addressing with linear probing
 * and backward-shift deletion (no tombstones), and grows at 3/4 load.
 *
 * Invariants:
 *  1. every node is strictly below the apex; the apex itself is not a node;
 *  2. a node is ZONE_LOOKUP_A (1..ZONE_A_MAX addresses), ZONE_LOOKUP_CNAME
 *     (one target) or ZONE_LOOKUP_EMPTY; never two kinds (RFC 1034 §3.6.2);
 *  3. node->below counts the nodes with records strictly below it, and
 *     every name between a node with records and the apex exists as a
 *     node, so empty non-terminals answer NODATA, not NXDOMAIN (RFC 8020);
 *  4. an EMPTY node has below > 0 (otherwise it is deleted);
 *  5. nrecords is the number of A/CNAME nodes. */
#include "dns/zone.h"

#include "dns/wire.h"
#include "lib/log.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SOA and NS values as Route 53 publishes them for a hosted zone. */
enum {
    ZONE_SOA_TTL = 900,
    ZONE_SOA_REFRESH = 7200,
    ZONE_SOA_RETRY = 900,
    ZONE_SOA_EXPIRE = 1209600,
    ZONE_NS_TTL = 172800,
    ZONE_INITIAL_SLOTS = 64,
};

/* A CNAME answered in rotation (zone_set_cname_rotation): the targets,
 * and the counter the next answer of its CNAME data takes its target
 * from — the only state a lookup changes, and only zone_lookup_take
 * changes it (a SOA, NS or AAAA question peeks: issue 15). */
typedef struct {
    uint8_t n;
    uint32_t next;
    uint8_t len[ZONE_ROTATION_MAX];
    uint8_t names[ZONE_ROTATION_MAX][WIRE_NAME_MAX];
} zone_rotation;

typedef struct zone_node {
    uint32_t hash;
    zone_rotation *rot; /* NULL unless a rotating CNAME */
    zone_lookup_kind kind;
    uint32_t ttl;
    uint32_t below;
    uint8_t name_len;
    uint8_t target_len;
    uint8_t naddrs;
    uint8_t name[WIRE_NAME_MAX];
    uint8_t target[WIRE_NAME_MAX];
    uint8_t addrs[ZONE_A_MAX][4];
} zone_node;

struct zone {
    char *apex_text;
    uint8_t apex[WIRE_NAME_MAX];
    uint8_t mname[WIRE_NAME_MAX];
    uint8_t rname[WIRE_NAME_MAX];
    size_t apex_len, mname_len, rname_len;
    uint32_t serial;
    uint32_t minimum;
    zone_node **slots;
    size_t nslots; /* a power of two */
    size_t nnodes;
    size_t nrecords;
};

/* ---- the table ---- */

static uint32_t zone_hash(const uint8_t *name, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= name[i];
        h *= 16777619u;
    }
    return h;
}

/* Slot index of name (lowercase), or of the empty slot where it would go. */
static size_t zone_probe(const zone *z, const uint8_t *name, size_t len, uint32_t h)
{
    size_t mask = z->nslots - 1;
    size_t i = h & mask;
    for (;;) {
        const zone_node *n = z->slots[i];
        if (!n || (n->hash == h && n->name_len == len && memcmp(n->name, name, len) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

static zone_node *zone_find(const zone *z, const uint8_t *name, size_t len)
{
    return z->slots[zone_probe(z, name, len, zone_hash(name, len))];
}

static void zone_grow(zone *z)
{
    zone_node **old = z->slots;
    size_t oldn = z->nslots;
    z->nslots = oldn * 2;
    z->slots = xcalloc(z->nslots, sizeof *z->slots);
    for (size_t i = 0; i < oldn; i++) {
        if (old[i]) {
            size_t j = zone_probe(z, old[i]->name, old[i]->name_len, old[i]->hash);
            z->slots[j] = old[i];
        }
    }
    free(old);
}

/* Returns the node for name, creating an EMPTY one if absent. */
static zone_node *zone_get_node(zone *z, const uint8_t *name, size_t len)
{
    if ((z->nnodes + 1) * 4 > z->nslots * 3)
        zone_grow(z);
    uint32_t h = zone_hash(name, len);
    size_t i = zone_probe(z, name, len, h);
    if (z->slots[i])
        return z->slots[i];
    zone_node *n = xcalloc(1, sizeof *n);
    n->hash = h;
    n->kind = ZONE_LOOKUP_EMPTY;
    n->name_len = (uint8_t)len;
    memcpy(n->name, name, len);
    z->slots[i] = n;
    z->nnodes++;
    return n;
}

static void zone_delete_node(zone *z, zone_node *n)
{
    size_t mask = z->nslots - 1;
    size_t i = zone_probe(z, n->name, n->name_len, n->hash);
    free(z->slots[i]->rot);
    free(z->slots[i]);
    z->slots[i] = NULL;
    z->nnodes--;
    /* Backward shift: move later members of the probe run into the hole
     * unless their home slot lies cyclically in (i, j]. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!z->slots[j])
            return;
        size_t k = z->slots[j]->hash & mask;
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            z->slots[i] = z->slots[j];
            z->slots[j] = NULL;
            i = j;
        }
    }
}

/* Adds delta to the below count of every name strictly between name and
 * the apex, creating (delta > 0) or deleting (delta < 0) empty ones. */
static void zone_adjust_ancestors(zone *z, const uint8_t *name, size_t len, int delta)
{
    size_t i = (size_t)name[0] + 1;
    while (len - i > z->apex_len) {
        zone_node *n = delta > 0 ? zone_get_node(z, name + i, len - i)
                                 : zone_find(z, name + i, len - i);
        i += (size_t)name[i] + 1;
        if (!n)
            continue; /* cannot happen while invariant 3 holds */
        n->below = (uint32_t)((int64_t)n->below + delta);
        if (n->kind == ZONE_LOOKUP_EMPTY && n->below == 0)
            zone_delete_node(z, n);
    }
}

/* ---- validation and mutation ---- */

/* Converts text to a lowercase wire name strictly below the apex. */
static bool zone_name_below(const zone *z, const char *text, uint8_t out[WIRE_NAME_MAX],
                            size_t *len)
{
    if (!wire_name_from_text(text, out, len)) {
        LOG_WARN("zone invalid name=\"%s\"", text);
        return false;
    }
    if (*len == z->apex_len || !wire_name_in(out, *len, z->apex, z->apex_len)) {
        LOG_WARN("zone name not below apex name=\"%s\" apex=%s", text, z->apex_text);
        return false;
    }
    return true;
}

static bool zone_parse_ipv4(const char *text, uint8_t out[4])
{
    if (inet_pton(AF_INET, text, out) != 1) {
        LOG_WARN("zone invalid ipv4=\"%s\"", text);
        return false;
    }
    return true;
}

/* Returns the node for name, ready to receive records: a node that had
 * none is counted and its ancestors updated. */
static zone_node *zone_node_for_data(zone *z, const uint8_t *name, size_t len)
{
    zone_node *n = zone_get_node(z, name, len);
    free(n->rot);
    n->rot = NULL;
    if (n->kind == ZONE_LOOKUP_EMPTY) {
        z->nrecords++;
        zone_adjust_ancestors(z, name, len, +1);
    }
    return n;
}

/* RFC 2181 §8: a TTL with the top bit set means 0 to a receiver; store
 * the largest meaningful value instead. */
static uint32_t zone_ttl(uint32_t ttl) { return ttl > 0x7FFFFFFFu ? 0x7FFFFFFFu : ttl; }

static void zone_bump(zone *z) { z->serial += 1; /* RFC 1982: wraps modulo 2^32 */ }

static void zone_store_a(zone *z, const uint8_t *name, size_t len, const uint8_t addr[4],
                         uint32_t ttl)
{
    zone_node *n = zone_node_for_data(z, name, len);
    n->kind = ZONE_LOOKUP_A;
    n->ttl = zone_ttl(ttl);
    n->target_len = 0;
    n->naddrs = 1;
    memcpy(n->addrs[0], addr, 4);
    zone_bump(z);
}

bool zone_set_a(zone *z, const char *name, const char *ipv4, uint32_t ttl)
{
    uint8_t wname[WIRE_NAME_MAX], addr[4];
    size_t len;
    if (!zone_name_below(z, name, wname, &len) || !zone_parse_ipv4(ipv4, addr))
        return false;
    zone_store_a(z, wname, len, addr, ttl);
    return true;
}

bool zone_add_a(zone *z, const char *name, const char *ipv4, uint32_t ttl)
{
    uint8_t wname[WIRE_NAME_MAX], addr[4];
    size_t len;
    if (!zone_name_below(z, name, wname, &len) || !zone_parse_ipv4(ipv4, addr))
        return false;
    ttl = zone_ttl(ttl);
    zone_node *n = zone_find(z, wname, len);
    if (!n || n->kind != ZONE_LOOKUP_A) {
        zone_store_a(z, wname, len, addr, ttl);
        return true;
    }
    bool have = false;
    for (size_t i = 0; i < n->naddrs; i++)
        have = have || memcmp(n->addrs[i], addr, 4) == 0;
    if (have && n->ttl == ttl)
        return true;
    if (!have && n->naddrs >= ZONE_A_MAX) {
        LOG_WARN("zone too many A records name=\"%s\" max=%d", name, ZONE_A_MAX);
        return false;
    }
    if (!have)
        memcpy(n->addrs[n->naddrs++], addr, 4);
    n->ttl = ttl;
    zone_bump(z);
    return true;
}

bool zone_set_cname(zone *z, const char *name, const char *target, uint32_t ttl)
{
    uint8_t wname[WIRE_NAME_MAX], wtarget[WIRE_NAME_MAX];
    size_t len, tlen;
    if (!zone_name_below(z, name, wname, &len))
        return false;
    if (!wire_name_from_text(target, wtarget, &tlen) || tlen == 1) {
        LOG_WARN("zone invalid cname target=\"%s\"", target);
        return false;
    }
    zone_node *n = zone_node_for_data(z, wname, len);
    n->kind = ZONE_LOOKUP_CNAME;
    n->ttl = zone_ttl(ttl);
    n->naddrs = 0;
    n->target_len = (uint8_t)tlen;
    memcpy(n->target, wtarget, tlen);
    zone_bump(z);
    return true;
}

bool zone_set_cname_rotation(zone *z, const char *name, const char *const *targets, size_t n,
                             uint32_t ttl)
{
    if (n == 0 || n > ZONE_ROTATION_MAX)
        return false;
    if (n == 1)
        return zone_set_cname(z, name, targets[0], ttl);
    uint8_t wname[WIRE_NAME_MAX];
    size_t len;
    if (!zone_name_below(z, name, wname, &len))
        return false;
    zone_rotation *rot = xcalloc(1, sizeof *rot);
    for (size_t i = 0; i < n; i++) {
        size_t tlen;
        if (!wire_name_from_text(targets[i], rot->names[i], &tlen) || tlen == 1) {
            LOG_WARN("zone invalid cname target=\"%s\"", targets[i]);
            free(rot);
            return false;
        }
        rot->len[i] = (uint8_t)tlen;
    }
    rot->n = (uint8_t)n;
    zone_node *nd = zone_node_for_data(z, wname, len);
    nd->kind = ZONE_LOOKUP_CNAME;
    nd->ttl = zone_ttl(ttl);
    nd->naddrs = 0;
    nd->target_len = rot->len[0];
    memcpy(nd->target, rot->names[0], rot->len[0]);
    nd->rot = rot;
    zone_bump(z);
    return true;
}

bool zone_remove(zone *z, const char *name)
{
    uint8_t wname[WIRE_NAME_MAX];
    size_t len;
    if (!zone_name_below(z, name, wname, &len))
        return false;
    zone_node *n = zone_find(z, wname, len);
    if (!n || n->kind == ZONE_LOOKUP_EMPTY)
        return false;
    n->kind = ZONE_LOOKUP_EMPTY;
    n->naddrs = 0;
    n->target_len = 0;
    free(n->rot);
    n->rot = NULL;
    z->nrecords--;
    if (n->below == 0)
        zone_delete_node(z, n);
    zone_adjust_ancestors(z, wname, len, -1);
    zone_bump(z);
    return true;
}

/* ---- life cycle ---- */

zone *zone_new(const char *apex, const char *ns, const char *ns_addr, uint32_t serial,
               uint32_t neg_ttl)
{
    zone *z = xcalloc(1, sizeof *z);
    uint8_t addr[4];
    if (!wire_name_from_text(apex, z->apex, &z->apex_len) || z->apex_len == 1 ||
        !wire_name_from_text(ns, z->mname, &z->mname_len) || !zone_parse_ipv4(ns_addr, addr)) {
        LOG_ERROR("zone invalid apex=\"%s\" ns=\"%s\" ns_addr=\"%s\"", apex, ns, ns_addr);
        free(z);
        return NULL;
    }
    /* rname: hostmaster.<apex> (RFC 2142), unless that would be too long. */
    static const uint8_t hostmaster[] = "\x0ahostmaster";
    if (z->apex_len + sizeof hostmaster - 1 <= WIRE_NAME_MAX) {
        memcpy(z->rname, hostmaster, sizeof hostmaster - 1);
        memcpy(z->rname + sizeof hostmaster - 1, z->apex, z->apex_len);
        z->rname_len = z->apex_len + sizeof hostmaster - 1;
    } else {
        memcpy(z->rname, z->apex, z->apex_len);
        z->rname_len = z->apex_len;
    }
    z->apex_text = xmalloc(WIRE_NAME_MAX * 4 + 1);
    wire_name_to_text(z->apex, z->apex_len, z->apex_text, WIRE_NAME_MAX * 4 + 1);
    z->serial = serial;
    z->minimum = neg_ttl;
    z->nslots = ZONE_INITIAL_SLOTS;
    z->slots = xcalloc(z->nslots, sizeof *z->slots);
    /* The name server's address lives in the zone (glue-free delegation). */
    if (z->mname_len != z->apex_len && wire_name_in(z->mname, z->mname_len, z->apex, z->apex_len)) {
        zone_store_a(z, z->mname, z->mname_len, addr, ZONE_NS_TTL);
        z->serial = serial;
    }
    return z;
}

void zone_free(zone *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->nslots; i++) {
        if (z->slots[i])
            free(z->slots[i]->rot);
        free(z->slots[i]);
    }
    free(z->slots);
    free(z->apex_text);
    free(z);
}

uint32_t zone_serial(const zone *z) { return z->serial; }
const char *zone_apex(const zone *z) { return z->apex_text; }
size_t zone_size(const zone *z) { return z->nrecords; }

/* ---- reading ---- */

static bool zone_node_text(const zone_node *n, const char **type, char *data, size_t cap)
{
    if (cap == 0)
        return false;
    data[0] = '\0';
    if (n->kind == ZONE_LOOKUP_CNAME && n->rot) {
        *type = "CNAME";
        size_t o = 0;
        for (size_t i = 0; i < n->rot->n; i++) {
            char one[WIRE_NAME_MAX * 4 + 1];
            if (!wire_name_to_text(n->rot->names[i], n->rot->len[i], one, sizeof one))
                return false;
            int w = snprintf(data + o, cap - o, "%s%s", i ? "," : "", one);
            if (w < 0 || (size_t)w >= cap - o)
                return false;
            o += (size_t)w;
        }
        return true;
    }
    if (n->kind == ZONE_LOOKUP_CNAME) {
        *type = "CNAME";
        return wire_name_to_text(n->target, n->target_len, data, cap);
    }
    *type = "A";
    size_t o = 0;
    for (size_t i = 0; i < n->naddrs; i++) {
        char one[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, n->addrs[i], one, sizeof one);
        int w = snprintf(data + o, cap - o, "%s%s", i ? "," : "", one);
        if (w < 0 || (size_t)w >= cap - o)
            return false;
        o += (size_t)w;
    }
    return true;
}

bool zone_get(const zone *z, const char *name, const char **type, char *data, size_t cap,
              uint32_t *ttl)
{
    uint8_t wname[WIRE_NAME_MAX];
    size_t len;
    *type = "";
    *ttl = 0;
    if (cap > 0)
        data[0] = '\0';
    if (!wire_name_from_text(name, wname, &len))
        return false;
    const zone_node *n = zone_find(z, wname, len);
    if (!n || n->kind == ZONE_LOOKUP_EMPTY)
        return true;
    *ttl = n->ttl;
    return zone_node_text(n, type, data, cap);
}

void zone_foreach(const zone *z, zone_visit_fn fn, void *arg)
{
    char name[WIRE_NAME_MAX * 4 + 1];
    char data[WIRE_NAME_MAX * 4 + 1];
    for (size_t i = 0; i < z->nslots; i++) {
        const zone_node *n = z->slots[i];
        const char *type;
        if (!n || n->kind == ZONE_LOOKUP_EMPTY)
            continue;
        if (wire_name_to_text(n->name, n->name_len, name, sizeof name) &&
            zone_node_text(n, &type, data, sizeof data))
            fn(name, type, data, n->ttl, arg);
    }
}

static zone_lookup_kind zone_lookup_at(const zone *z, const uint8_t *name, size_t len, bool take,
                                       zone_rrset *out)
{
    memset(out, 0, sizeof *out);
    if (len < z->apex_len)
        return out->kind = ZONE_LOOKUP_OUTSIDE;
    /* One lowercase copy serves the apex test and the hash probe. */
    uint8_t lower[WIRE_NAME_MAX];
    wire_name_lower(name, len, lower);
    if (memcmp(lower + len - z->apex_len, z->apex, z->apex_len) != 0)
        return out->kind = ZONE_LOOKUP_OUTSIDE;
    if (len == z->apex_len)
        return out->kind = ZONE_LOOKUP_APEX;
    /* The matching bytes must start at a label ("xus-east-1..." is not
     * below "us-east-1..."). */
    size_t i = 0;
    while (len - i > z->apex_len)
        i += (size_t)lower[i] + 1;
    if (len - i != z->apex_len)
        return out->kind = ZONE_LOOKUP_OUTSIDE;
    const zone_node *n = zone_find(z, lower, len);
    if (!n)
        return out->kind = ZONE_LOOKUP_NXDOMAIN;
    out->kind = n->kind;
    out->ttl = n->ttl;
    out->target = n->target;
    out->target_len = n->target_len;
    if (n->rot) {
        /* The rotation counter lives beside the node, not in it: the zone
         * is const to a lookup, its rotating answers are not. */
        zone_rotation *rot = n->rot;
        size_t k = (take ? rot->next++ : rot->next) % rot->n;
        out->target = rot->names[k];
        out->target_len = rot->len[k];
    }
    out->addrs = (const uint8_t(*)[4])n->addrs;
    out->naddrs = n->naddrs;
    return out->kind;
}

zone_lookup_kind zone_lookup(const zone *z, const uint8_t *name, size_t len, zone_rrset *out)
{
    return zone_lookup_at(z, name, len, false, out);
}

zone_lookup_kind zone_lookup_take(const zone *z, const uint8_t *name, size_t len,
                                  zone_rrset *out)
{
    return zone_lookup_at(z, name, len, true, out);
}

void zone_get_soa(const zone *z, zone_soa *out)
{
    *out = (zone_soa){
        .apex = z->apex,
        .mname = z->mname,
        .rname = z->rname,
        .apex_len = z->apex_len,
        .mname_len = z->mname_len,
        .rname_len = z->rname_len,
        .ttl = ZONE_SOA_TTL,
        .serial = z->serial,
        .refresh = ZONE_SOA_REFRESH,
        .retry = ZONE_SOA_RETRY,
        .expire = ZONE_SOA_EXPIRE,
        .minimum = z->minimum,
        .ns_ttl = ZONE_NS_TTL,
    };
}
