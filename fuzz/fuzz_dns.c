/* fuzz_dns: libFuzzer target over dns_process with a small fixed zone.
 *
 * Every input is answered as UDP and as TCP, with the full buffer and
 * with a small one (to drive truncation). An answer must be empty or a
 * well-formed message (wire_message_check) carrying the query's ID with
 * QR set, no longer than the limit in force. Any violation aborts, which
 * libFuzzer reports as a crash; ASan/UBSan catch the rest. Built and run
 * by fuzz/Makefile. */
#include "dns/process.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "lib/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define APEX "us-east-1.rds.internal"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Built once: libFuzzer calls the target millions of times. */
static zone *fuzz_zone;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_LEVEL_ERROR);
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.53", 1, 5);
    zone_set_cname(z, "db." APEX, "node1." APEX, 5);
    zone_set_a(z, "node1." APEX, "127.0.1.5", 5);
    zone_add_a(z, "node1." APEX, "127.0.1.6", 5);
    zone_set_cname(z, "ext." APEX, "example.com", 30);
    zone_set_cname(z, "dangling." APEX, "missing." APEX, 5);
    zone_set_cname(z, "loop1." APEX, "loop2." APEX, 5);
    zone_set_cname(z, "loop2." APEX, "loop1." APEX, 5);
    zone_set_a(z, "x.ent." APEX, "127.0.2.1", 5);
    fuzz_zone = z;
    return 0;
}

static void fuzz_check(const uint8_t *q, size_t qlen, bool tcp, size_t cap)
{
    static uint8_t out[65535];
    size_t n = dns_process(q, qlen, fuzz_zone, tcp, out, cap);
    if (n == 0)
        return;
    size_t limit = tcp ? 65535 : DNS_UDP_PAYLOAD_MAX;
    if (n > cap || n > limit || n < WIRE_HEADER_LEN || !wire_message_check(out, n) ||
        out[0] != q[0] || out[1] != q[1] || !(out[2] & 0x80)) {
        fprintf(stderr, "fuzz_dns: bad answer len=%zu tcp=%d cap=%zu\n", n, tcp, cap);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check(data, size, false, 65535);
    fuzz_check(data, size, true, 65535);
    fuzz_check(data, size, false, 64);
    return 0;
}
