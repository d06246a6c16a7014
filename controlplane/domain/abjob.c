/* abjob: see abjob.h. */
#include "controlplane/domain/abjob.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <libgen.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/core/instsecret.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/abpolicy.h"
#include "controlplane/domain/abstore.h"
#include "controlplane/domain/cluster.h"
#include "controlplane/domain/clustersnap.h"
#include "controlplane/notify/events.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/reaper.h"
#include "lib/util.h"
#include "lib/wal.h"

/* A daily backup is due when the last one began this long ago. */
#define BASE_EVERY_MS (23LL * 3600 * 1000)
#define BASE_RETRY_MS 30000
#define TICK_MS 500
/* Every cron pass (100 ms) instead while an instance is on its way to its
 * first restorable time (created or restored, archiver just started,
 * first base backup): a restored instance is `backing-up` until then
 * (autobackup.c), so each 500 ms step there was a restore's wait. */
#define HURRY_MS 0
#define HURRY_FOR_MS 10000
#define PRUNE_EVERY_MS 5000

/* ---- the in-memory side: children and the archivers' reports ---- */

typedef struct {
    char *rid;            /* DbiResourceId */
    char *instance_id;
    char *arch_node;      /* the node the archiver streams from */
    pid_t arch_pid;
    int64_t arch_started_ms; /* real */
    bool arch_stopping;
    char *base_id;        /* the base backup being taken */
    pid_t base_pid;
    int64_t base_next_ms; /* real: no base backup attempt before */
    int64_t restorable_ms;/* real, from status.json (0: not yet) */
    int gaps;
    bool streaming;
    bool seen;            /* still wanted, this pass */
} ab_state;

static ab_state *states;
static int nstates;

static ab_state *state_get(const char *rid, bool create)
{
    for (int i = 0; i < nstates; i++)
        if (strcmp(states[i].rid, rid) == 0)
            return &states[i];
    if (!create)
        return NULL;
    states = xrealloc(states, (size_t)(nstates + 1) * sizeof *states);
    states[nstates] = (ab_state){.rid = xstrdup(rid), .arch_pid = -1, .base_pid = -1};
    return &states[nstates++];
}

static void state_drop(ab_state *s)
{
    free(s->rid);
    free(s->instance_id);
    free(s->arch_node);
    free(s->base_id);
    *s = states[--nstates];
}

static char *self_prog(const char *name)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return xasprintf("/usr/local/bin/%s", name);
    buf[n] = '\0';
    return xasprintf("%s/%s", dirname(buf), name);
}

/* ---- children ---- */

static reaper *job_reaper;

static void child_exit(pid_t pid, int status, void *arg);

/* rds-backup logs in as rdsadmin (instsecret.h), its password in the
 * child's environment only. */
static pid_t spawn(region *r, const char *const argv[], const char *log, const store_instance *in)
{
    if (!job_reaper)
        job_reaper = reaper_new();
    char *password = instsecret_admin_password(r, in);
    char *pw = password ? xasprintf("PGPASSWORD=%s", password) : NULL;
    instsecret_free(password);
    const char *env[] = {"PGCONNECT_TIMEOUT=5", pw, NULL};
    reaper_spec spec = {.argv = argv, .env = env, .out_path = log, .die_with_parent = true};
    pid_t pid = reaper_spawn(job_reaper, &spec, child_exit, r);
    instsecret_free(pw);
    return pid;
}

static void archiver_start(region *r, ab_state *s, const store_instance *in,
                           const store_node *nd)
{
    char *prog = self_prog("rds-backup");
    char *port = xasprintf("%lld", (long long)nd->port);
    char *spool = abstore_archiver_dir(r, in->resource_id, "spool");
    char *wal = abstore_dir(r, in->resource_id, "wal");
    char *status = abstore_archiver_dir(r, in->resource_id, "status.json");
    char *log = abstore_archiver_dir(r, in->resource_id, "archiver.log");
    char *kmsu = abstore_kms_url(r);
    char *dir = abstore_archiver_dir(r, in->resource_id, NULL);
    fs_mkdir_p(dir, 0700);
    bool enc = in->storage_encrypted && in->kms_key_id;
    const char *argv[] = {prog,    "archive",  "--host",   nd->addr, "--port", port,
                          "--user", INSTSECRET_ADMIN_USER, "--spool", spool, "--out", wal,
                          "--status", status, "--kms", kmsu, enc ? "--key-id" : NULL,
                          enc ? in->kms_key_id : NULL, NULL};
    s->arch_pid = spawn(r, argv, log, in);
    s->arch_started_ms = rclock_now_ms(0);
    free(s->arch_node);
    s->arch_node = xstrdup(nd->id);
    s->arch_stopping = false;
    LOG_INFO("archiver started instance=%s node=%s pid=%ld", in->id, nd->id, (long)s->arch_pid);
    free(prog);
    free(port);
    free(spool);
    free(wal);
    free(status);
    free(log);
    free(kmsu);
    free(dir);
}

static void archiver_stop(ab_state *s)
{
    if (s->arch_pid > 0 && !s->arch_stopping) {
        kill(s->arch_pid, SIGTERM);
        s->arch_stopping = true;
    }
}

/* status.json of the archiver: the archive's reach and its gaps. */
static void archiver_read(region *r, ab_state *s)
{
    char *path = abstore_archiver_dir(r, s->rid, "status.json");
    size_t len = 0;
    char *text = fs_read_all(path, 64 * 1024, &len);
    free(path);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(o, "restorable_ms");
    const cJSON *gp = cJSON_GetObjectItemCaseSensitive(o, "gaps");
    const cJSON *sm = cJSON_GetObjectItemCaseSensitive(o, "streaming");
    if (cJSON_IsNumber(rm) && rm->valuedouble > (double)s->restorable_ms)
        s->restorable_ms = (int64_t)rm->valuedouble;
    if (cJSON_IsNumber(gp))
        s->gaps = gp->valueint;
    s->streaming = cJSON_IsTrue(sm);
    cJSON_Delete(o);
}

static void base_start(region *r, ab_state *s, const store_instance *in, const store_node *nd)
{
    int64_t start_ms = rclock_now_ms(0);
    char *id = xasprintf("%lld-%s", (long long)start_ms, nd->id);
    char *obj = abstore_base_object(r, in->resource_id, id);
    char *info = xasprintf("%s.json", obj);
    char *log = xasprintf("%s.log", obj);
    char *dir = abstore_dir(r, in->resource_id, "base");
    fs_mkdir_p(dir, 0700);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO ab_bases(id, resource_id, status,"
                                             " start_ms) VALUES(?,?,'creating',?)");
    bool ok = false;
    if (st) {
        sqlrow_bind_text(st, 1, id);
        sqlrow_bind_text(st, 2, in->resource_id);
        sqlite3_bind_int64(st, 3, start_ms);
        ok = sqlrow_run(st);
    }
    if (ok) {
        char *prog = self_prog("rds-backup");
        char *port = xasprintf("%lld", (long long)nd->port);
        char *kmsu = abstore_kms_url(r);
        bool enc = in->storage_encrypted && in->kms_key_id;
        const char *argv[] = {prog, "snapshot", "--host", nd->addr, "--port", port, "--user",
                              INSTSECRET_ADMIN_USER, "--out", obj, "--info", info, "--kms", kmsu,
                              enc ? "--key-id" : NULL, enc ? in->kms_key_id : NULL, NULL};
        s->base_pid = spawn(r, argv, log, in);
        free(prog);
        free(port);
        free(kmsu);
        s->base_id = xstrdup(id);
        events_emit(r, in->id, "RDS-EVENT-0001", NULL);
        clustersnap_auto_emit(r, in->id, start_ms, "RDS-EVENT-0168");
        LOG_INFO("base backup started instance=%s node=%s id=%s pid=%ld", in->id, nd->id, id,
                 (long)s->base_pid);
    }
    free(id);
    free(obj);
    free(info);
    free(log);
    free(dir);
}

/* When base backup id started (real ms, as ab_bases keeps it); 0 if unknown. */
static int64_t base_start_ms(region *r, const char *id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT start_ms FROM ab_bases WHERE id=?");
    int64_t ms = 0;
    if (st) {
        sqlrow_bind_text(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            ms = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return ms;
}

/* Records a base backup's end. */
static void base_done(region *r, ab_state *s, int status)
{
    char *obj = abstore_base_object(r, s->rid, s->base_id);
    char *infop = xasprintf("%s.json", obj);
    char *logp = xasprintf("%s.log", obj);
    size_t len = 0;
    char *info = fs_read_all(infop, 4096, &len);
    cJSON *o = info ? cJSON_Parse(info) : NULL;
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(o, "start_lsn");
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(o, "end_lsn");
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(o, "timeline");
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && cJSON_IsString(sl) &&
              cJSON_IsString(el) && cJSON_IsNumber(tl);
    struct stat stt;
    int64_t size = ok && stat(obj, &stt) == 0 ? (int64_t)stt.st_size : 0;
    char *why = ok ? NULL : fs_read_all(logp, 4096, &len);
    if (why)
        why[strcspn(why, "\n")] = '\0';
    sqlite3_stmt *st = NULL;
    if (store_begin(r->st)) {
        st = sqlrow_prepare(r->st, "UPDATE ab_bases SET status=?, end_ms=?, start_lsn=?,"
                                   " end_lsn=?, timeline=?, size_bytes=?, error=? WHERE id=?");
        if (st) {
            abstore_base_status done = ok ? AB_BASE_AVAILABLE : AB_BASE_FAILED;
            sqlrow_bind_text(st, 1, abstore_base_status_name(done));
            sqlite3_bind_int64(st, 2, rclock_now_ms(0));
            sqlrow_bind_text(st, 3, ok ? sl->valuestring : NULL);
            sqlrow_bind_text(st, 4, ok ? el->valuestring : NULL);
            sqlite3_bind_int64(st, 5, ok ? tl->valueint : 0);
            sqlite3_bind_int64(st, 6, size);
            sqlrow_bind_text(st, 7, ok ? NULL : (why ? why : "the backup failed"));
            sqlrow_bind_text(st, 8, s->base_id);
        }
        bool done = st && sqlrow_run(st);
        if (done && ok && s->instance_id) {
            events_emit(r, s->instance_id, "RDS-EVENT-0002", NULL);
            clustersnap_auto_emit(r, s->instance_id, base_start_ms(r, s->base_id),
                                  "RDS-EVENT-0169");
        }
        if (!done || !store_commit(r->st))
            store_rollback(r->st);
    }
    LOG_INFO("base backup %s id=%s size=%lld%s%s", ok ? "available" : "failed", s->base_id,
             (long long)size, why ? " why=" : "", why ? why : "");
    if (!ok) {
        unlink(obj);
        s->base_next_ms = rclock_now_ms(0) + BASE_RETRY_MS;
    }
    /* The backup counts once the archive reaches its end: have the
     * archiver seal now rather than at its next (idle, 1 s) tick. */
    if (ok && s->arch_pid > 0 && !s->arch_stopping)
        kill(s->arch_pid, SIGUSR1);
    unlink(infop);
    if (ok)
        unlink(logp);
    cJSON_Delete(o);
    free(info);
    free(why);
    free(obj);
    free(infop);
    free(logp);
    free(s->base_id);
    s->base_id = NULL;
    s->base_pid = -1;
}


/* lib/reaper's callback: arg is the region. */
static void child_exit(pid_t pid, int status, void *arg)
{
    for (int i = 0; i < nstates; i++) {
        ab_state *s = &states[i];
        if (s->base_pid == pid)
            base_done(arg, s, status);
        else if (s->arch_pid == pid) {
            LOG_INFO("archiver exited rid=%s status=%d", s->rid, status);
            s->arch_pid = -1;
            s->arch_stopping = false;
        }
    }
}

/* ---- per instance ---- */

static bool archiving_status(instance_status status)
{
    static const instance_status no[] = {STATUS_CREATING, STATUS_DELETING, STATUS_STOPPED,
                                         STATUS_STOPPING, STATUS_STARTING, STATUS_FAILED,
                                         STATUS_INACCESSIBLE, STATUS_INACCESSIBLE_RECOVERABLE};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (status == no[i])
            return false;
    return true;
}

/* The node a base backup reads: a streaming standby (RDS backs up
 * Multi-AZ instances from the standby), else the primary; a cluster
 * member's, its cluster's writer. */
static bool backup_source(region *r, const store_instance *in, store_node *out)
{
    if (in->cluster_id) { /* the cluster's writer (follow_cluster_writer) */
        bool found = false;
        store_node_get(r->st, in->primary_node, out, &found);
        return found;
    }
    store_node *nodes = NULL;
    int n = store_node_list(r->st, in->id, NULL, &nodes);
    int pick = -1;
    bool healthy = in->ha_state == HA_HEALTHY;
    for (int i = 0; i < n; i++) {
        bool primary = in->primary_node && strcmp(nodes[i].id, in->primary_node) == 0;
        if (healthy && !primary && nodes[i].role == ROLE_STANDBY)
            pick = i;
        if (primary && pick < 0)
            pick = i;
    }
    if (pick >= 0) {
        *out = nodes[pick];
        memset(&nodes[pick], 0, sizeof nodes[pick]);
    }
    store_node_list_free(nodes, n);
    return pick >= 0;
}

static bool base_due(region *r, const abstore_row *a, const store_instance *in)
{
    abstore_base *b = NULL;
    int n = abstore_bases(r, a->rid, AB_BASE_AVAILABLE, &b);
    int64_t last = -1;
    bool after_gap = false;
    for (int i = 0; i < n; i++) {
        if (b[i].start_ms > last)
            last = b[i].start_ms;
        if (b[i].start_ms >= a->gap_ms)
            after_gap = true;
    }
    abstore_bases_free(b, n);
    if (!after_gap)
        return true; /* the first one, or the first after a gap */
    abstore_clock c = abstore_clock_load(r);
    int64_t last_region = abstore_clock_to_region(&c, last);
    free(c.h);
    int64_t now = region_now_ms(r);
    return now - last_region >= BASE_EVERY_MS && abpolicy_in_window(in->backup_window, now);
}


/* Set by a tick that found an instance close to its first restorable
 * time (see HURRY_MS). */
static bool hurry;

static void tick_instance(region *r, const store_instance *in)
{
    if (in->backup_retention > 0 && in->status == STATUS_CREATING)
        hurry = true; /* it archives the moment it is available */
    ab_state *s = state_get(in->resource_id, in->backup_retention > 0);
    if (!s)
        return;
    s->seen = true;
    if (!s->instance_id)
        s->instance_id = xstrdup(in->id);
    bool want = in->backup_retention > 0 && archiving_status(in->status) && in->primary_node;
    if (!want) {
        archiver_stop(s);
        return;
    }
    if (s->arch_pid > 0 && s->arch_node && strcmp(s->arch_node, in->primary_node) != 0)
        archiver_stop(s); /* a failover: follow the new primary */
    abstore_row a = {0};
    if (!abstore_get(r, in->resource_id, &a)) {
        if (!abstore_upsert_active(r, in) || !abstore_get(r, in->resource_id, &a))
            return;
    } else if (a.retention != in->backup_retention || a.status != AB_ACTIVE) {
        abstore_upsert_active(r, in);
        a.retention = in->backup_retention;
    }
    if (s->arch_pid <= 0) {
        store_node nd = {0};
        bool found = false;
        store_node_get(r->st, in->primary_node, &nd, &found);
        if (found)
            archiver_start(r, s, in, &nd);
        store_node_clear(&nd);
    }
    archiver_read(r, s);
    if (s->gaps > a.gaps) {
        /* No restore crosses a gap: a base backup after it, at once. */
        sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE ab_backups SET gaps=?, gap_ms=? WHERE "
                                                 "resource_id=?");
        if (st) {
            sqlite3_bind_int64(st, 1, s->gaps);
            sqlite3_bind_int64(st, 2, rclock_now_ms(0));
            sqlrow_bind_text(st, 3, in->resource_id);
            sqlrow_run(st);
        }
        a.gap_ms = rclock_now_ms(0);
        LOG_WARN("WAL archive gap instance=%s: a new base backup is needed", in->id);
    }
    if (s->base_pid <= 0 && s->restorable_ms > 0 && in->status == STATUS_AVAILABLE &&
        rclock_now_ms(0) >= s->base_next_ms && base_due(r, &a, in)) {
        store_node nd = {0};
        if (backup_source(r, in, &nd))
            base_start(r, s, in, &nd);
        store_node_clear(&nd);
    }
    /* Bounded: an archiver that cannot reach its primary is not hurried
     * for ever. */
    if (s->arch_pid > 0 && s->restorable_ms == 0 &&
        rclock_now_ms(0) - s->arch_started_ms < HURRY_FOR_MS)
        hurry = true;
    abstore_row_clear(&a);
}

/* Retention: old base backups and the WAL only they needed; retained
 * backups past their period. */
static void prune(region *r)
{
    abstore_row *rows = NULL;
    int n = abstore_list(r, &rows);
    int64_t now = region_now_ms(r);
    abstore_clock c = abstore_clock_load(r);
    for (int i = 0; i < n; i++) {
        abstore_row *a = &rows[i];
        if (a->status == AB_RETAINED &&
            now > a->deleted_ms + a->retention * ABPOLICY_DAY_MS) {
            abstore_remove(r, a->rid);
            continue;
        }
        abstore_base *b = NULL;
        int nb = abstore_bases(r, a->rid, AB_BASE_AVAILABLE, &b);
        if (nb == 0) {
            abstore_bases_free(b, nb);
            continue;
        }
        int64_t *ends = xcalloc((size_t)nb, sizeof *ends);
        bool *keep = xcalloc((size_t)nb, sizeof *keep);
        for (int k = 0; k < nb; k++)
            ends[k] = b[k].end_ms;
        int64_t window_start = abstore_clock_to_real(
            &c, (a->deleted_ms ? a->deleted_ms : now) - a->retention * ABPOLICY_DAY_MS);
        abpolicy_retain(ends, nb, window_start, keep);
        /* A cluster's automated snapshot names count its minute's earlier
         * bases: they go no sooner than it (clustersnap.h). */
        clustersnap_auto_keep(&c, b, nb, keep);
        wal_lsn oldest = UINT64_MAX;
        for (int k = 0; k < nb; k++) {
            wal_lsn l = 0;
            if (keep[k] && wal_lsn_parse(b[k].start_lsn, &l) && l < oldest)
                oldest = l;
            if (keep[k])
                continue;
            char *obj = abstore_base_object(r, a->rid, b[k].id);
            unlink(obj);
            free(obj);
            sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM ab_bases WHERE id=?");
            if (st) {
                sqlrow_bind_text(st, 1, b[k].id);
                sqlrow_run(st);
            }
            LOG_INFO("retention removed base backup rid=%s id=%s", a->rid, b[k].id);
        }
        if (oldest != UINT64_MAX) {
            char *dir = abstore_dir(r, a->rid, "wal");
            DIR *d = opendir(dir);
            struct dirent *e;
            while (d && (e = readdir(d))) {
                uint32_t tli = 0;
                uint64_t segno = 0;
                wal_file_kind k = wal_file_parse(e->d_name, ".env", &tli, &segno);
                if ((k == WAL_FILE_SEGMENT || k == WAL_FILE_PARTIAL) &&
                    segno < wal_segno(oldest)) {
                    char *p = xasprintf("%s/%s", dir, e->d_name);
                    unlink(p);
                    free(p);
                }
            }
            if (d)
                closedir(d);
            free(dir);
        }
        free(ends);
        free(keep);
        abstore_bases_free(b, nb);
    }
    free(c.h);
    abstore_list_free(rows, n);
}

/* A Multi-AZ DB cluster's automated backups are those of its first
 * member (the only one with a retention, clusterpitr.h), read from the
 * cluster's writer whichever member it is now: *in's primary_node becomes
 * the writer's node, so a cluster failover restarts the archiver on the
 * new writer as an instance's failover does. false: skip in this tick
 * (the cluster or its writer unreadable). */
static bool follow_cluster_writer(region *r, store_instance *in)
{
    if (!in->cluster_id || in->backup_retention <= 0)
        return true;
    cluster_row c;
    if (!cluster_get(r, in->cluster_id, &c))
        return false;
    store_instance w = {0};
    bool found = false;
    bool ok = strcmp(c.writer, in->id) == 0 ||
              (store_instance_get(r->st, c.writer, &w, &found) && found && w.primary_node);
    if (ok && strcmp(c.writer, in->id) != 0) {
        free(in->primary_node);
        in->primary_node = xstrdup(w.primary_node);
    }
    in->ha_state = HA_NONE; /* its base backups read the writer too */
    store_instance_clear(&w);
    cluster_clear(&c);
    return ok;
}

void abjob_tick(region *r)
{
    static int64_t last_tick, last_prune;
    static bool started;
    if (job_reaper)
        reaper_poll(job_reaper);
    int64_t now = rclock_now_ms(0);
    if (now - last_tick < (hurry ? HURRY_MS : TICK_MS))
        return;
    last_tick = now;
    hurry = false;
    if (!started) {
        /* A base backup a killed controlplane left half-made starts over. */
        sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM ab_bases WHERE status='creating'");
        if (st)
            sqlrow_run(st);
        started = true;
    }
    for (int i = 0; i < nstates; i++)
        states[i].seen = false;
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, REGION_INSTANCE_QUOTA * 2, &ids);
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (store_instance_get(r->st, ids[i], &in, &found) && found &&
            follow_cluster_writer(r, &in))
            tick_instance(r, &in);
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    /* Deleted instances (or retention 0): stop, then forget or remove. */
    for (int i = 0; i < nstates; i++) {
        ab_state *s = &states[i];
        if (s->seen && s->arch_pid > 0)
            continue;
        if (!s->seen || s->arch_pid > 0)
            archiver_stop(s);
        if (s->arch_pid > 0 || s->base_pid > 0)
            continue;
        abstore_row a = {0};
        bool have = abstore_get(r, s->rid, &a);
        bool gone = have && a.status == AB_DELETING;
        if (!s->seen && have && a.status == AB_ACTIVE)
            gone = true; /* the instance went without a decision: RDS's default */
        if (s->seen && have) {
            store_instance in = {0};
            bool found = false;
            store_instance_get(r->st, a.instance_id, &in, &found);
            if (found && in.backup_retention == 0)
                gone = true; /* N -> 0 deletes the automated backups */
            store_instance_clear(&in);
        }
        if (gone)
            abstore_remove(r, s->rid);
        abstore_row_clear(&a);
        if (!s->seen) {
            state_drop(s);
            i--;
        }
    }
    if (now - last_prune >= PRUNE_EVERY_MS) {
        last_prune = now;
        prune(r);
    }
}


/* ---- what others ask ---- */

int64_t abjob_reach(region *r, const char *rid)
{
    ab_state *s = state_get(rid, false);
    /* Read now, not at the last tick: the archiver moves its reach every
     * 200 ms under writes, and LatestRestorableTime shows it (issue 19). */
    if (s && s->arch_pid > 0)
        archiver_read(r, s);
    return s ? s->restorable_ms : 0;
}

bool abjob_base_running(const char *rid)
{
    ab_state *s = state_get(rid, false);
    return s && s->base_pid > 0;
}

void abjob_sweep_soon(const char *rid)
{
    ab_state *s = state_get(rid, true);
    s->seen = false;
}
