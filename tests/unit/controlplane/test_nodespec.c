/* Unit tests for view/nodespec's settings: for every instance class the
 * region offers, the spec's "settings" are byte for byte what the heartbeat
 * sent before the memory formulas had one statement (paramgroup's system
 * rows). The table was printed by the old agents_settings arithmetic
 * (core/agents.c at d78a833) with the host cap off; a change of any of
 * these strings restarts every node of that class after an upgrade. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/validate.h"
#include "controlplane/view/nodespec.h"
#include "lib/tap.h"

static const struct {
    const char *cls, *shared_buffers, *max_connections, *effective_cache_size,
        *maintenance_work_mem;
} before[] = {
        {"db.t3.micro", "256MB", "112", "768MB", "65536kB"},
        {"db.t3.small", "512MB", "225", "1536MB", "65536kB"},
        {"db.t3.medium", "1024MB", "450", "3072MB", "68608kB"},
        {"db.t3.large", "2048MB", "901", "6144MB", "137216kB"},
        {"db.t3.xlarge", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.t3.2xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.t4g.micro", "256MB", "112", "768MB", "65536kB"},
        {"db.t4g.small", "512MB", "225", "1536MB", "65536kB"},
        {"db.t4g.medium", "1024MB", "450", "3072MB", "68608kB"},
        {"db.t4g.large", "2048MB", "901", "6144MB", "137216kB"},
        {"db.t4g.xlarge", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.t4g.2xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.m5.large", "2048MB", "901", "6144MB", "137216kB"},
        {"db.m5.xlarge", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.m5.2xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.m5.4xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.m5.8xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.m5.12xlarge", "49152MB", "5000", "147456MB", "3300352kB"},
        {"db.m5.16xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.m5.24xlarge", "98304MB", "5000", "294912MB", "6600704kB"},
        {"db.m6g.large", "2048MB", "901", "6144MB", "137216kB"},
        {"db.m6g.xlarge", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.m6g.2xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.m6g.4xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.m6g.8xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.m6g.12xlarge", "49152MB", "5000", "147456MB", "3300352kB"},
        {"db.m6g.16xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.m6i.large", "2048MB", "901", "6144MB", "137216kB"},
        {"db.m6i.xlarge", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.m6i.2xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.m6i.4xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.m6i.8xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.m6i.12xlarge", "49152MB", "5000", "147456MB", "3300352kB"},
        {"db.m6i.16xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.m6i.24xlarge", "98304MB", "5000", "294912MB", "6600704kB"},
        {"db.m6i.32xlarge", "131072MB", "5000", "393216MB", "8800256kB"},
        {"db.m7g.large", "2048MB", "901", "6144MB", "137216kB"},
        {"db.m7g.xlarge", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.m7g.2xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.m7g.4xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.m7g.8xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.m7g.12xlarge", "49152MB", "5000", "147456MB", "3300352kB"},
        {"db.m7g.16xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.r5.large", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.r5.xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.r5.2xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.r5.4xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.r5.8xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.r5.12xlarge", "98304MB", "5000", "294912MB", "6600704kB"},
        {"db.r5.16xlarge", "131072MB", "5000", "393216MB", "8800256kB"},
        {"db.r5.24xlarge", "196608MB", "5000", "589824MB", "13201408kB"},
        {"db.r6g.large", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.r6g.xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.r6g.2xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.r6g.4xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.r6g.8xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.r6g.12xlarge", "98304MB", "5000", "294912MB", "6600704kB"},
        {"db.r6g.16xlarge", "131072MB", "5000", "393216MB", "8800256kB"},
        {"db.r6i.large", "4096MB", "1802", "12288MB", "274432kB"},
        {"db.r6i.xlarge", "8192MB", "3604", "24576MB", "549888kB"},
        {"db.r6i.2xlarge", "16384MB", "5000", "49152MB", "1099776kB"},
        {"db.r6i.4xlarge", "32768MB", "5000", "98304MB", "2199552kB"},
        {"db.r6i.8xlarge", "65536MB", "5000", "196608MB", "4400128kB"},
        {"db.r6i.12xlarge", "98304MB", "5000", "294912MB", "6600704kB"},
        {"db.r6i.16xlarge", "131072MB", "5000", "393216MB", "8800256kB"},
        {"db.r6i.24xlarge", "196608MB", "5000", "589824MB", "13201408kB"},
        {"db.r6i.32xlarge", "262144MB", "5000", "786432MB", "17601536kB"},
};

#define NBEFORE (sizeof before / sizeof before[0])

/* The settings JSON the old code printed for row i. */
static char *want_json(size_t i, const char *shared, long long restart_seq, bool read_only)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    fprintf(f,
            "{\"shared_buffers\":\"%s\",\"max_connections\":\"%s\","
            "\"effective_cache_size\":\"%s\",\"maintenance_work_mem\":\"%s\","
            "\"rdsim.restart_seq\":\"%lld\"%s}",
            shared ? shared : before[i].shared_buffers, before[i].max_connections,
            before[i].effective_cache_size, before[i].maintenance_work_mem, restart_seq,
            read_only ? ",\"default_transaction_read_only\":\"on\"" : "");
    fclose(f);
    return s;
}

static char *got_json(const store_instance *in, const char *node_id, int64_t host_bytes)
{
    cJSON *s = nodespec_settings(in, node_id, host_bytes);
    char *out = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    return out;
}

static size_t row_of(const char *cls)
{
    for (size_t i = 0; i < NBEFORE; i++)
        if (strcmp(before[i].cls, cls) == 0)
            return i;
    return NBEFORE;
}

/* Every class with no host cap, then on hosts where the cap (1/16 of the
 * memory, whole MB, at least 16MB) bites: 4 GiB, 128 MiB, and 24 GB, which
 * is not a whole number of MiB. */
static void test_every_class(void)
{
    static const struct {
        int64_t host;
        long long cap_mb;
        const char *what;
    } hosts[] = {{0, 0, "no cap"},
                 {4096LL << 20, 256, "4 GiB host"},
                 {128LL << 20, 16, "128 MiB host"},
                 {24000000000LL, 1430, "24 GB host"}};
    size_t n = 0;
    for (const char *const *c = validate_class_list(); *c; c++, n++) {
        size_t i = row_of(*c);
        if (!ok(i < NBEFORE, *c)) {
            diag("no row for %s: add the old value", *c);
            continue;
        }
        store_instance in = {.status = STATUS_AVAILABLE, .db_class = (char *)*c,
                             .restart_seq = 3};
        for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
            char shared[32], name[96];
            long long mb = atoll(before[i].shared_buffers);
            if (hosts[h].cap_mb && mb > hosts[h].cap_mb)
                mb = hosts[h].cap_mb;
            snprintf(shared, sizeof shared, "%lldMB", mb);
            char *want = want_json(i, shared, 3, false);
            char *got = got_json(&in, "x-1", hosts[h].host);
            snprintf(name, sizeof name, "  %s, %s", *c, hosts[h].what);
            is_str(got, want, name);
            free(want);
            free(got);
        }
    }
    is_int(n, NBEFORE, "the table has a row for each class of validate_class_list");
}

/* What else the settings carry: a rolling class change or restart ahead on
 * some nodes, read-only while storage-full, an unknown class as 1 GiB. */
static void test_instance_state(void)
{
    store_instance in = {.status = STATUS_STORAGE_FULL, .db_class = (char *)"db.t3.micro",
                         .restart_seq = 4,
                         .extra = (char *)"{\"MaintRolling\":{\"nodes\":[\"x-2\"],"
                                          "\"class\":\"db.r5.large\",\"restart_seq\":5}}"};
    char *want = want_json(row_of("db.t3.micro"), NULL, 4, true);
    char *got = got_json(&in, "x-1", 0);
    is_str(got, want, "a node not yet rolled: the instance's class, read-only while full");
    free(want);
    free(got);
    in.status = STATUS_MODIFYING;
    want = want_json(row_of("db.r5.large"), NULL, 5, false);
    got = got_json(&in, "x-2", 0);
    is_str(got, want, "a rolled node: the new class and restart_seq");
    free(want);
    free(got);
    in.extra = NULL;
    in.db_class = (char *)"db.x9.huge";
    want = want_json(row_of("db.t3.micro"), NULL, 4, false);
    got = got_json(&in, "x-1", 0);
    is_str(got, want, "an unknown class counts as 1 GiB");
    free(want);
    free(got);
}

int main(void)
{
    test_every_class();
    test_instance_state();
    return done_testing();
}
