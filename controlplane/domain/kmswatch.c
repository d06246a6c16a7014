/* kmswatch: see kmswatch.h. */
#include "controlplane/domain/kmswatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/notify/events.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define EVERY_MS 1000

/* What a key reference means for its instances. */
typedef enum { KEY_OK, KEY_RECOVERABLE, KEY_TERMINAL } key_verdict_t;

static key_verdict_t key_verdict(region *r, const char *ref)
{
    kms_key key = {0};
    kms_err err = {0};
    key_verdict_t v = KEY_OK;
    if (!kms_key_describe(r->kms, ref, &key, &err))
        v = err.code == KMS_NOT_FOUND ? KEY_TERMINAL : KEY_OK; /* other errors: keep as is */
    else if (key.state != KMS_KEY_ENABLED)
        v = KEY_RECOVERABLE;
    kms_key_clear(&key);
    return v;
}

static bool running_status(instance_status s)
{
    return s == STATUS_AVAILABLE || s == STATUS_BACKING_UP || s == STATUS_STORAGE_FULL;
}

/* meta "kms_lost_at:<id>": when the instance became recoverable. */
static char *lost_key(const char *id)
{
    return xasprintf("kms_lost_at:%s", id);
}

static bool move(region *r, store_instance *in, instance_status to)
{
    instance_status from = in->status;
    bool ok = lifecycle_apply(in->id, &in->status, to) && store_instance_update(r->st, in);
    if (ok) {
        char *k = lost_key(in->id);
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)region_now_ms(r));
        ok = store_meta_set(r->st, k, to == STATUS_INACCESSIBLE_RECOVERABLE ? buf : "0");
        free(k);
    }
    if (ok)
        LOG_WARN("instance=%s status %s -> %s: KMS key %s", in->id, instance_status_name(from),
                 instance_status_name(to), in->kms_key_id);
    return ok;
}

bool kmswatch_tick(region *r)
{
    static int64_t last;
    int64_t now_real = rclock_now_ms(0);
    if (now_real - last < EVERY_MS)
        return false;
    last = now_real;
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 10000, &ids);
    bool any = false;
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!store_begin(r->st))
            break;
        bool changed = false;
        if (store_instance_get(r->st, ids[i], &in, &found) && found && in.storage_encrypted &&
            in.kms_key_id) {
            key_verdict_t v = key_verdict(r, in.kms_key_id);
            bool recoverable = in.status == STATUS_INACCESSIBLE_RECOVERABLE;
            if (running_status(in.status) && v != KEY_OK) {
                changed = move(r, &in, v == KEY_RECOVERABLE ? STATUS_INACCESSIBLE_RECOVERABLE
                                                            : STATUS_INACCESSIBLE);
            } else if (recoverable && v == KEY_OK) {
                changed = move(r, &in, STATUS_AVAILABLE);
            } else if (recoverable) {
                char *k = lost_key(in.id);
                char *at = store_meta_get(r->st, k);
                free(k);
                int64_t since = at ? strtoll(at, NULL, 10) : 0;
                free(at);
                if (v == KEY_TERMINAL ||
                    (since > 0 && region_now_ms(r) - since >= KMSWATCH_RECOVERABLE_MS))
                    changed = move(r, &in, STATUS_INACCESSIBLE);
            }
        }
        if (changed && store_commit(r->st))
            any = true;
        else
            store_rollback(r->st);
        store_instance_clear(&in);
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return any;
}
