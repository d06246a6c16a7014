/* test_corpus: replays every file of fuzz/corpus/dns/ (the fuzzer's seeds and
 * anything added there, e.g. a reproducer) through dns_process, over UDP,
 * TCP and a small buffer. Each answer must be empty or a well-formed
 * message with the query's ID and QR set, within the limit. Some seeds
 * also have a known rcode. Run from the repository root. */
#include "dns/process.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APEX "us-east-1.rds.internal"
#define CORPUS "fuzz/corpus/dns"

/* The same zone as fuzz/fuzz_dns.c. */
static zone *make_zone(void)
{
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.53", 1, 5);
    zone_set_cname(z, "db." APEX, "node1." APEX, 5);
    zone_set_a(z, "node1." APEX, "127.0.1.5", 5);
    zone_add_a(z, "node1." APEX, "127.0.1.6", 5);
    zone_set_cname(z, "ext." APEX, "example.com", 30);
    zone_set_cname(z, "dangling." APEX, "missing." APEX, 5);
    zone_set_cname(z, "loop1." APEX, "loop2." APEX, 5);
    zone_set_cname(z, "loop2." APEX, "loop1." APEX, 5);
    zone_set_a(z, "x.ent." APEX, "127.0.2.1", 5);
    return z;
}

/* Seeds whose UDP answer is known: -1 means dropped. */
static const struct {
    const char *file;
    int rcode;
} known[] = {
    {"a_hit", WIRE_RCODE_NOERROR},
    {"nxdomain", WIRE_RCODE_NXDOMAIN},
    {"refused_outside", WIRE_RCODE_REFUSED},
    {"opcode_status", WIRE_RCODE_NOTIMP},
    {"edns1_badvers", WIRE_RCODE_BADVERS},
    {"empty", -1},
    {"short_header", -1},
    {"qr_set", -1},
    {"qd0", WIRE_RCODE_FORMERR},
    {"compression_loop", WIRE_RCODE_FORMERR},
    {"forward_pointer", WIRE_RCODE_FORMERR},
    {"pointer_chain_150", WIRE_RCODE_FORMERR},
    {"pointer_chain_100", WIRE_RCODE_NOERROR},
    {"overlong_name", WIRE_RCODE_FORMERR},
    {"counts_beyond_packet", WIRE_RCODE_FORMERR},
    {"trailing_garbage", WIRE_RCODE_FORMERR},
    {"two_opts", WIRE_RCODE_FORMERR},
};

/* The rcode of an answer, extended bits from the OPT included; -1 if
 * empty, -2 if the answer breaks a rule. */
static int check_answer(const uint8_t *q, size_t qlen, const uint8_t *a, size_t n, size_t cap,
                        size_t limit)
{
    if (n == 0)
        return -1;
    if (n > cap || n > limit || n < WIRE_HEADER_LEN || !wire_message_check(a, n) ||
        qlen < 2 || a[0] != q[0] || a[1] != q[1] || !(a[2] & 0x80))
        return -2;
    int rcode = a[3] & 0xF;
    /* Find the OPT for the extended rcode bits. */
    wire_cursor c;
    wire_header h;
    wire_cursor_init(&c, a, n);
    wire_read_header(&c, &h);
    for (unsigned i = 0; i < h.qdcount; i++) {
        uint8_t name[WIRE_NAME_MAX];
        size_t nl;
        uint16_t t, k;
        wire_read_question(&c, name, &nl, &t, &k);
    }
    for (unsigned i = 0; i < (unsigned)h.ancount + h.nscount + h.arcount; i++) {
        wire_rr rr;
        if (wire_read_rr(&c, &rr) && rr.type == WIRE_TYPE_OPT)
            rcode |= (int)(rr.ttl >> 24) << 4;
    }
    return rcode;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    DIR *d = opendir(CORPUS);
    if (!ok(d != NULL, "fuzz/corpus/dns found (run from the repository root)"))
        return done_testing();
    char *files[4096];
    size_t nfiles = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nfiles < sizeof files / sizeof files[0])
        if (e->d_name[0] != '.')
            files[nfiles++] = strdup(e->d_name);
    closedir(d);
    qsort(files, nfiles, sizeof files[0], cmp_str);
    ok(nfiles >= 40, "the seed corpus is there");

    zone *z = make_zone();
    static uint8_t out[65535];
    size_t checked_known = 0;
    for (size_t i = 0; i < nfiles; i++) {
        char path[512];
        snprintf(path, sizeof path, CORPUS "/%s", files[i]);
        size_t qlen = 0;
        char *q = fs_read_all(path, 65535, &qlen);
        char label[600];
        snprintf(label, sizeof label, "corpus %s: answers well-formed or empty", files[i]);
        if (!q) {
            ok(false, label);
            free(files[i]);
            continue;
        }
        const uint8_t *qb = (const uint8_t *)q;
        size_t n = dns_process(qb, qlen, z, false, out, sizeof out);
        int udp = check_answer(qb, qlen, out, n, sizeof out, DNS_UDP_PAYLOAD_MAX);
        n = dns_process(qb, qlen, z, true, out, sizeof out);
        int tcp = check_answer(qb, qlen, out, n, sizeof out, 65535);
        n = dns_process(qb, qlen, z, false, out, 64);
        int small = check_answer(qb, qlen, out, n, 64, 64);
        if (!ok(udp != -2 && tcp != -2 && small != -2, label))
            diag("udp=%d tcp=%d small=%d", udp, tcp, small);
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (strcmp(known[k].file, files[i]) == 0) {
                snprintf(label, sizeof label, "corpus %s: rcode", files[i]);
                is_int(udp, known[k].rcode, label);
                checked_known++;
            }
        }
        free(q);
        free(files[i]);
    }
    is_int(checked_known, sizeof known / sizeof known[0], "every seed with a known answer found");
    zone_free(z);
    return done_testing();
}
