/* The read replicas' pure rules (domain/replica.h): who may have a
 * replica (state, backups, limits, cascading depth), and slot names. */
#include <stdio.h>
#include <string.h>

#include "controlplane/domain/replica.h"
#include "lib/tap.h"

int main(void)
{
    static const struct {
        const char *name;
        instance_status status;
        int64_t retention;
        int depth, replicas;
        replica_verdict want;
    } cases[] = {
        {"available source with backups", STATUS_AVAILABLE, 1, 0, 0, REPLICA_OK},
        {"source without backups", STATUS_AVAILABLE, 0, 0, 0, REPLICA_SOURCE_NO_BACKUPS},
        {"source creating", STATUS_CREATING, 1, 0, 0, REPLICA_SOURCE_NOT_AVAILABLE},
        {"source stopped", STATUS_STOPPED, 1, 0, 0, REPLICA_SOURCE_NOT_AVAILABLE},
        {"source modifying", STATUS_MODIFYING, 1, 0, 0, REPLICA_SOURCE_NOT_AVAILABLE},
        {"14 replicas: a 15th", STATUS_AVAILABLE, 1, 0, 14, REPLICA_OK},
        {"15 replicas: no 16th", STATUS_AVAILABLE, 7, 0, 15, REPLICA_TOO_MANY},
        {"a replica (retention 0) as source", STATUS_AVAILABLE, 0, 1, 0, REPLICA_OK},
        {"a replica with 4 replicas: a 5th", STATUS_AVAILABLE, 0, 1, 4, REPLICA_OK},
        {"a replica with 5 replicas: no 6th", STATUS_AVAILABLE, 0, 1, 5, REPLICA_TOO_MANY},
        {"level 2 source: level 3 allowed", STATUS_AVAILABLE, 0, 2, 0, REPLICA_OK},
        {"level 3 source: no level 4", STATUS_AVAILABLE, 0, 3, 0, REPLICA_TOO_DEEP},
        {"state before limits", STATUS_STOPPED, 0, 3, 99, REPLICA_SOURCE_NOT_AVAILABLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(replica_check_create(cases[i].status, cases[i].retention, cases[i].depth,
                                    cases[i].replicas),
               cases[i].want, cases[i].name);

    char slot[REPLICA_SLOT_MAX];
    replica_slot_name("r1", slot);
    is_str(slot, "rdsrr_r1", "slot of r1");
    replica_slot_name("my-replica-2", slot);
    is_str(slot, "rdsrr_my_replica_2", "'-' becomes '_'");
    char id[64];
    memset(id, 'a', 57);
    id[57] = '\0';
    replica_slot_name(id, slot);
    is_int((long long)strlen(slot), 63, "a 57-character id fits in 63 bytes as it is");
    char other[64];
    memset(id, 'a', 63);
    id[63] = '\0';
    replica_slot_name(id, slot);
    id[62] = 'b';
    replica_slot_name(id, other);
    ok(strlen(slot) <= 63 && strlen(other) <= 63 && strcmp(slot, other) != 0,
       "63-character ids differing in the last character get different slots");
    bool valid = true;
    for (const char *c = other; *c; c++)
        valid &= (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    ok(valid, "slot names are [a-z0-9_]");
    /* A Multi-AZ replica's standby: its own slot, no instance's. */
    replica_standby_slot_name("r1", slot);
    is_str(slot, "rdsrr_r1__s", "the standby slot of r1");
    replica_slot_name("r1-s", other);
    ok(strcmp(slot, other) != 0, "not the slot of an instance r1-s");
    replica_standby_slot_name(id, slot);
    replica_slot_name(id, other);
    ok(strlen(slot) <= 63 && strcmp(slot, other) != 0,
       "a 63-character id's standby slot fits and differs from its slot");
    return done_testing();
}
