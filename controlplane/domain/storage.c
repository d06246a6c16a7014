/* storage: see storage.h.
 *
 * Tables (in core/store.c's schema):
 *   storage_state(instance_id, low_since_ms, last_change_ms, allocated_seen,
 *                 warned_low, warned_max, warned_cap)
 *   storage_samples(instance_id, ts_ms, used_bytes): at most one a minute,
 *                 the last hour (region clock), for the growth prediction. */
#include "controlplane/domain/storage.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/notify/events.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "lib/log.h"
#include "lib/util.h"

enum { SAMPLE_EVERY_MS = 60 * 1000, HOUR_MS = 3600 * 1000 };

/* ---- the rules (pure) ------------------------------------------------------- */

int64_t storage_increment(int64_t allocated, int64_t growth_per_hour, int64_t unit_bytes)
{
    int64_t inc = 5;
    int64_t tenth = (allocated + 9) / 10;
    if (tenth > inc)
        inc = tenth;
    if (growth_per_hour > 0 && unit_bytes > 0) {
        /* growth over 7 hours, in units, rounded up */
        int64_t predicted = (growth_per_hour * 7 + unit_bytes - 1) / unit_bytes;
        if (predicted > inc)
            inc = predicted;
    }
    return inc;
}

void storage_decide(const storage_in *in, storage_out *out)
{
    memset(out, 0, sizeof *out);
    out->warned_low = in->warned_low;
    out->warned_max = in->warned_max;
    out->warned_cap = in->warned_cap;
    int64_t alloc_bytes = in->allocated * in->unit_bytes;
    int64_t free_bytes = alloc_bytes - in->used_bytes;
    bool low = free_bytes * 10 < alloc_bytes;
    out->low_since_ms = low ? (in->low_since_ms ? in->low_since_ms : in->now_ms) : 0;
    if (!low) {
        out->warned_low = false;
        out->warned_cap = false;
    } else if (!in->warned_low) {
        out->emit_low = out->warned_low = true;
    }
    int64_t allocated = in->allocated;
    if (low && in->available && in->max_allocated > 0 &&
        in->now_ms - out->low_since_ms >= STORAGE_LOW_MS &&
        in->now_ms - in->last_change_ms >= STORAGE_COOLDOWN_MS) {
        int64_t target = in->allocated +
                         storage_increment(in->allocated, in->growth_per_hour, in->unit_bytes);
        if (target <= in->max_allocated) {
            out->grow_to = allocated = target;
            out->low_since_ms = 0;
            out->warned_low = false;
        } else if (!in->warned_cap) {
            out->emit_cap = out->warned_cap = true;
        }
    }
    if (in->max_allocated > 0 && allocated * 10 >= in->max_allocated * 8) {
        if (!in->warned_max)
            out->emit_max = out->warned_max = true;
    } else {
        out->warned_max = false;
    }
    if (!out->grow_to && in->available && in->used_bytes >= alloc_bytes)
        out->go_full = true;
    if (in->full && in->used_bytes < alloc_bytes)
        out->leave_full = true;
}

/* ---- persistence ---------------------------------------------------------------- */

/* Through the store's statement cache (issue 18: these run for every
 * node's telemetry, every second); every statement goes back with
 * store_stmt_release (step_done does). */
static sqlite3_stmt *prep(region *r, const char *sql)
{
    return store_stmt_cached(r->st, sql);
}

static bool step_done(region *r, sqlite3_stmt *st)
{
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (st && rc != SQLITE_DONE)
        LOG_ERROR("sql step failed rc=%d", rc);
    store_stmt_release(r->st, st);
    return rc == SQLITE_DONE;
}

/* Loads the state; a first observation starts from the instance's creation. */
static void state_load(region *r, const store_instance *in, storage_in *s, int64_t *seen)
{
    s->last_change_ms = in->created_ms;
    *seen = in->allocated_storage;
    sqlite3_stmt *st = prep(r, "SELECT low_since_ms, last_change_ms, allocated_seen, warned_low,"
                               " warned_max, warned_cap FROM storage_state WHERE instance_id=?1");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, in->id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        s->low_since_ms = sqlite3_column_int64(st, 0);
        s->last_change_ms = sqlite3_column_int64(st, 1);
        *seen = sqlite3_column_int64(st, 2);
        s->warned_low = sqlite3_column_int(st, 3);
        s->warned_max = sqlite3_column_int(st, 4);
        s->warned_cap = sqlite3_column_int(st, 5);
    }
    store_stmt_release(r->st, st);
}

static bool state_save(region *r, const char *id, const storage_out *o, int64_t last_change,
                       int64_t seen)
{
    sqlite3_stmt *st = prep(r, "INSERT OR REPLACE INTO storage_state(instance_id, low_since_ms,"
                               " last_change_ms, allocated_seen, warned_low, warned_max, warned_cap)"
                               " VALUES(?1,?2,?3,?4,?5,?6,?7)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, o->low_since_ms);
    sqlite3_bind_int64(st, 3, last_change);
    sqlite3_bind_int64(st, 4, seen);
    sqlite3_bind_int(st, 5, o->warned_low);
    sqlite3_bind_int(st, 6, o->warned_max);
    sqlite3_bind_int(st, 7, o->warned_cap);
    return step_done(r, st);
}

/* Records a usage sample (at most one a minute), prunes past the hour and
 * returns the growth per hour since the oldest sample kept (0 if none). */
static int64_t growth_track(region *r, const char *id, int64_t now, int64_t used)
{
    sqlite3_stmt *st = prep(r, "SELECT MAX(ts_ms) FROM storage_samples WHERE instance_id=?1");
    int64_t latest = 0;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            latest = sqlite3_column_int64(st, 0);
        store_stmt_release(r->st, st);
    }
    if (now - latest >= SAMPLE_EVERY_MS || now < latest) {
        st = prep(r, "INSERT INTO storage_samples(instance_id, ts_ms, used_bytes) VALUES(?1,?2,?3)");
        if (st) {
            sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int64(st, 3, used);
            step_done(r, st);
        }
    }
    st = prep(r, "DELETE FROM storage_samples WHERE instance_id=?1 AND (ts_ms < ?2 OR ts_ms > ?3)");
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now - HOUR_MS);
        sqlite3_bind_int64(st, 3, now);
        step_done(r, st);
    }
    int64_t growth = 0;
    st = prep(r, "SELECT ts_ms, used_bytes FROM storage_samples WHERE instance_id=?1"
                 " ORDER BY ts_ms LIMIT 1");
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int64_t ts = sqlite3_column_int64(st, 0), old = sqlite3_column_int64(st, 1);
            if (now - ts >= SAMPLE_EVERY_MS && used > old)
                growth = (int64_t)((double)(used - old) * HOUR_MS / (double)(now - ts));
        }
        store_stmt_release(r->st, st);
    }
    return growth;
}

/* Amounts in messages: GB for the real unit, MiB for a test unit. */
static char *amount(const region *r, int64_t units)
{
    if (r->cfg.storage_unit_bytes == 1LL << 30)
        return xasprintf("%lld GB", (long long)units);
    return xasprintf("%lld MiB", (long long)(units * (r->cfg.storage_unit_bytes >> 20)));
}

static void emit_low(region *r, const store_instance *in, int64_t used)
{
    int64_t alloc = in->allocated_storage * r->cfg.storage_unit_bytes;
    int64_t free_b = alloc - used > 0 ? alloc - used : 0;
    double pct = alloc > 0 ? (double)free_b * 100 / (double)alloc : 0;
    char *a = amount(r, in->allocated_storage);
    char *msg = xasprintf("The free storage capacity for DB instance: %s is low at %.1f%% of the "
                          "provisioned storage [Provisioned Storage: %s, Free Storage: %.1f MiB]. "
                          "You may want to increase the provisioned storage to address this issue.",
                          in->id, pct, a, (double)free_b / (1 << 20));
    events_emit(r, in->id, "RDS-EVENT-0089", msg);
    free(msg);
    free(a);
}

static void emit_max(region *r, const store_instance *in)
{
    char *a = amount(r, in->allocated_storage), *m = amount(r, in->max_allocated_storage);
    char *msg = xasprintf("Storage size %s is approaching the maximum storage threshold %s. "
                          "Increase the maximum storage threshold.", a, m);
    events_emit(r, in->id, "RDS-EVENT-0225", msg);
    free(msg);
    free(a);
    free(m);
}

bool storage_observe(region *r, store_instance *in, int64_t used_bytes, bool *changed)
{
    *changed = false;
    int64_t now = region_now_ms(r), seen;
    storage_in s = {.now_ms = now, .unit_bytes = r->cfg.storage_unit_bytes,
                    .allocated = in->allocated_storage,
                    .max_allocated = in->max_allocated_storage, .used_bytes = used_bytes,
                    .available = in->status == STATUS_AVAILABLE,
                    .full = in->status == STATUS_STORAGE_FULL};
    state_load(r, in, &s, &seen);
    if (seen != in->allocated_storage) {
        /* A ModifyDBInstance changed it: the cooling-off restarts, and so
         * does the low-storage episode (a new 0089 if still low). */
        s.last_change_ms = now;
        s.low_since_ms = 0;
        s.warned_low = s.warned_cap = false;
    }
    s.growth_per_hour = growth_track(r, in->id, now, used_bytes);
    storage_out o;
    storage_decide(&s, &o);
    if (o.emit_low)
        emit_low(r, in, used_bytes);
    if (o.emit_cap)
        events_emit(r, in->id, "RDS-EVENT-0224", NULL);
    if (o.grow_to) {
        LOG_INFO("storage autoscaling instance=%s from=%lld to=%lld", in->id,
                 (long long)in->allocated_storage, (long long)o.grow_to);
        events_emit(r, in->id, "RDS-EVENT-0217", NULL);
        in->allocated_storage = o.grow_to;
        events_emit(r, in->id, "RDS-EVENT-0218", NULL);
        s.last_change_ms = now;
        *changed = true;
    }
    if (o.emit_max)
        emit_max(r, in);
    if (o.go_full && lifecycle_apply(in->id, &in->status, STATUS_STORAGE_FULL)) {
        events_emit(r, in->id, "RDS-EVENT-0007", NULL);
        events_emit(r, in->id, "RDS-EVENT-0221", NULL);
        *changed = true;
    }
    if (o.leave_full && lifecycle_apply(in->id, &in->status, STATUS_AVAILABLE))
        *changed = true;
    bool ok = state_save(r, in->id, &o, s.last_change_ms, in->allocated_storage);
    if (*changed)
        ok = store_instance_update(r->st, in) && ok;
    return ok;
}

bool storage_prune_orphans(region *r)
{
    bool ok = step_done(r, prep(r, "DELETE FROM storage_state WHERE instance_id NOT IN "
                                "(SELECT id FROM instances)"));
    return step_done(r, prep(r, "DELETE FROM storage_samples WHERE instance_id NOT IN "
                             "(SELECT id FROM instances)")) && ok;
}

bool storage_unit_resolve(region *r)
{
    if (r->cfg.storage_unit_bytes > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)r->cfg.storage_unit_bytes);
        return store_meta_set(r->st, "storage_unit_bytes", buf);
    }
    char *v = store_meta_get(r->st, "storage_unit_bytes");
    int64_t bytes = 1LL << 30;
    if (v && !str_to_int64(v, 1LL << 20, 1LL << 40, &bytes))
        bytes = 1LL << 30;
    free(v);
    r->cfg.storage_unit_bytes = bytes;
    if (bytes != 1LL << 30)
        LOG_INFO("storage unit from the store unit_mib=%lld", (long long)(bytes >> 20));
    return true;
}
