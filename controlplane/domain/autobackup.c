/* autobackup: see autobackup.h. */
#include "controlplane/domain/autobackup.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/notify/events.h"
#include "controlplane/view/instview.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"
#include "lib/wal.h"

#define DAY_MS (86400LL * 1000)
/* A daily backup is due when the last one began this long ago. */
#define BASE_EVERY_MS (23LL * 3600 * 1000)
#define BASE_RETRY_MS 30000
#define TICK_MS 500
#define PRUNE_EVERY_MS 5000
#define MAX_RETAINED 40

/* ---- the in-memory side: children and the archivers' reports ---- */

typedef struct {
    char *rid;            /* DbiResourceId */
    char *instance_id;
    char *arch_node;      /* the node the archiver streams from */
    pid_t arch_pid;
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

/* ---- paths and names ---- */

static char *rds_home(region *r)
{
    char *home = xstrdup(r->home);
    char *dir = xstrdup(dirname(home));
    free(home);
    return dir;
}

static char *ab_dir(region *r, const char *rid, const char *sub)
{
    char *home = rds_home(r);
    char *dir = xasprintf("%s/backups/automated/%s%s%s", home, rid, sub ? "/" : "",
                          sub ? sub : "");
    free(home);
    return dir;
}

static char *arch_dir(region *r, const char *rid, const char *sub)
{
    char *home = rds_home(r);
    char *dir = xasprintf("%s/archiver/%s%s%s", home, rid, sub ? "/" : "", sub ? sub : "");
    free(home);
    return dir;
}

static char *base_object(region *r, const char *rid, const char *base_id)
{
    char *dir = ab_dir(r, rid, "base");
    char *p = xasprintf("%s/%s.tar.env", dir, base_id);
    free(dir);
    return p;
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

static char *ab_arn(region *r, const char *rid)
{
    char *lower = str_lower(xstrdup(rid));
    char *arn = xasprintf("arn:aws:rds:%s:%s:auto-backup:ab-%s", r->cfg.name, r->cfg.account,
                          strncmp(lower, "db-", 3) == 0 ? lower + 3 : lower);
    free(lower);
    return arn;
}

/* ---- the region clock's history ---- */

typedef struct {
    rclock_step *h;
    int n;
    int64_t current;
} clock_hist;

static clock_hist hist_load(region *r)
{
    clock_hist c = {.current = r->clock_offset_ms};
    char *text = store_meta_get(r->st, "clock_history");
    c.n = rclock_history_parse(text, &c.h);
    free(text);
    return c;
}

static int64_t to_region(const clock_hist *c, int64_t real_ms)
{
    return rclock_real_to_region(c->h, c->n, c->current, real_ms);
}

static int64_t to_real(const clock_hist *c, int64_t region_ms)
{
    return rclock_region_to_real(c->h, c->n, c->current, region_ms);
}

/* ---- pure rules ---- */

bool autobackup_in_window(const char *window, int64_t ms)
{
    int h1, m1, h2, m2;
    char tail;
    if (!window || sscanf(window, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4)
        return false;
    int start = h1 * 60 + m1, end = h2 * 60 + m2;
    int64_t day_ms = ((ms % DAY_MS) + DAY_MS) % DAY_MS;
    int now = (int)(day_ms / 60000);
    return start <= end ? now >= start && now < end : now >= start || now < end;
}

int autobackup_retain(const int64_t *ends, int n, int64_t window_start, bool *keep)
{
    int newest_before = -1, kept = 0;
    for (int i = 0; i < n; i++) {
        keep[i] = ends[i] >= window_start;
        if (!keep[i] && (newest_before < 0 || ends[i] >= ends[newest_before]))
            newest_before = i;
    }
    if (newest_before >= 0)
        keep[newest_before] = true;
    for (int i = 0; i < n; i++)
        kept += keep[i];
    return kept;
}

/* ---- tables ---- */

bool autobackup_init(region *r)
{
    return sqlite3_exec(store_sqlite(r->st),
                        "CREATE TABLE IF NOT EXISTS ab_backups(resource_id TEXT PRIMARY KEY,"
                        " instance_id TEXT NOT NULL, status TEXT NOT NULL, info TEXT NOT NULL,"
                        " retention INTEGER NOT NULL, deleted_ms INTEGER NOT NULL DEFAULT 0,"
                        " restorable_ms INTEGER NOT NULL DEFAULT 0, gaps INTEGER NOT NULL"
                        " DEFAULT 0, gap_ms INTEGER NOT NULL DEFAULT 0);"
                        "CREATE TABLE IF NOT EXISTS ab_bases(id TEXT PRIMARY KEY,"
                        " resource_id TEXT NOT NULL, status TEXT NOT NULL,"
                        " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL DEFAULT 0,"
                        " start_lsn TEXT, end_lsn TEXT, timeline INTEGER NOT NULL DEFAULT 0,"
                        " size_bytes INTEGER NOT NULL DEFAULT 0, error TEXT);"
                        "CREATE TABLE IF NOT EXISTS ab_restores(instance_id TEXT PRIMARY KEY,"
                        " base_path TEXT NOT NULL, wal_dir TEXT NOT NULL,"
                        " target_ms INTEGER NOT NULL);",
                        NULL, NULL, NULL) == SQLITE_OK;
}

typedef struct {
    char *rid, *instance_id, *status;
    cJSON *info;
    int64_t retention, deleted_ms, restorable_ms, gaps, gap_ms;
} ab_row;

static void ab_row_clear(ab_row *a)
{
    free(a->rid);
    free(a->instance_id);
    free(a->status);
    cJSON_Delete(a->info);
    memset(a, 0, sizeof *a);
}

#define AB_COLS "resource_id, instance_id, status, info, retention, deleted_ms, restorable_ms," \
                " gaps, gap_ms"

static void ab_read(sqlite3_stmt *st, ab_row *a)
{
    a->rid = sqlrow_text(st, 0);
    a->instance_id = sqlrow_text(st, 1);
    a->status = sqlrow_text(st, 2);
    char *info = sqlrow_text(st, 3);
    a->info = cJSON_Parse(info ? info : "{}");
    if (!a->info)
        a->info = cJSON_CreateObject();
    free(info);
    a->retention = sqlite3_column_int64(st, 4);
    a->deleted_ms = sqlite3_column_int64(st, 5);
    a->restorable_ms = sqlite3_column_int64(st, 6);
    a->gaps = sqlite3_column_int64(st, 7);
    a->gap_ms = sqlite3_column_int64(st, 8);
}

static bool ab_get(region *r, const char *rid, ab_row *out)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " AB_COLS " FROM ab_backups WHERE "
                                             "resource_id=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, rid);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        ab_read(st, out);
    sqlite3_finalize(st);
    return found;
}

static int ab_list(region *r, ab_row **out)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " AB_COLS " FROM ab_backups ORDER BY "
                                             "instance_id, resource_id");
    int n = 0;
    *out = NULL;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        ab_read(st, &(*out)[n++]);
    }
    sqlite3_finalize(st);
    return n;
}

static void ab_list_free(ab_row *rows, int n)
{
    for (int i = 0; i < n; i++)
        ab_row_clear(&rows[i]);
    free(rows);
}

/* What a restore and DescribeDBInstanceAutomatedBackups need of the
 * instance, kept for when it is gone. */
static char *instance_info(region *r, const store_instance *in)
{
    cJSON *o = cJSON_CreateObject();
    char *arn = region_instance_arn(r, in->id);
    cJSON_AddStringToObject(o, "DBInstanceArn", arn);
    free(arn);
    cJSON_AddStringToObject(o, "DBInstanceClass", in->db_class);
    cJSON_AddStringToObject(o, "EngineVersion", in->engine_version);
    cJSON_AddStringToObject(o, "MasterUsername", in->master_username);
    cJSON_AddStringToObject(o, "MasterUserPassword", in->master_password);
    if (in->db_name)
        cJSON_AddStringToObject(o, "DBName", in->db_name);
    cJSON_AddNumberToObject(o, "Port", (double)in->port);
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)in->allocated_storage);
    cJSON_AddStringToObject(o, "StorageType", in->storage_type);
    cJSON_AddNumberToObject(o, "Iops", (double)in->iops);
    cJSON_AddBoolToObject(o, "Encrypted", in->storage_encrypted);
    if (in->kms_key_id)
        cJSON_AddStringToObject(o, "KmsKeyId", in->kms_key_id);
    if (in->az)
        cJSON_AddStringToObject(o, "AvailabilityZone", in->az);
    cJSON_AddNumberToObject(o, "InstanceCreateTime", (double)in->created_ms);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static bool ab_upsert_active(region *r, const store_instance *in)
{
    char *info = instance_info(r, in);
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "INSERT INTO ab_backups(resource_id, instance_id, status, info, retention) "
               "VALUES(?,?,'active',?,?) ON CONFLICT(resource_id) DO UPDATE SET "
               "info=excluded.info, retention=excluded.retention, status='active'");
    bool ok = false;
    if (st) {
        sqlrow_bind_text(st, 1, in->resource_id);
        sqlrow_bind_text(st, 2, in->id);
        sqlrow_bind_text(st, 3, info);
        sqlite3_bind_int64(st, 4, in->backup_retention);
        ok = sqlrow_run(st);
    }
    free(info);
    return ok;
}

typedef struct {
    char *id, *status, *start_lsn;
    int64_t start_ms, end_ms, size_bytes;
} base_row;

static int bases_list(region *r, const char *rid, const char *status, base_row **out)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT id, status, start_lsn, start_ms, end_ms,"
                                             " size_bytes FROM ab_bases WHERE resource_id=?1 AND"
                                             " (?2 IS NULL OR status=?2) ORDER BY end_ms,"
                                             " start_ms");
    int n = 0;
    *out = NULL;
    if (!st)
        return 0;
    sqlrow_bind_text(st, 1, rid);
    sqlrow_bind_text(st, 2, status);
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        base_row *b = &(*out)[n++];
        b->id = sqlrow_text(st, 0);
        b->status = sqlrow_text(st, 1);
        b->start_lsn = sqlrow_text(st, 2);
        b->start_ms = sqlite3_column_int64(st, 3);
        b->end_ms = sqlite3_column_int64(st, 4);
        b->size_bytes = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    return n;
}

static void bases_free(base_row *b, int n)
{
    for (int i = 0; i < n; i++) {
        free(b[i].id);
        free(b[i].status);
        free(b[i].start_lsn);
    }
    free(b);
}

/* The restorable window of rid in real time: [*earliest, *latest], from
 * the available base backups taken after the last gap in the archive and
 * the archive's reach. False when nothing is restorable yet. */
static bool restorable_window(region *r, const ab_row *a, int64_t *earliest, int64_t *latest)
{
    base_row *b = NULL;
    int n = bases_list(r, a->rid, "available", &b);
    int64_t first = -1;
    for (int i = 0; i < n; i++)
        if (b[i].start_ms >= a->gap_ms && (first < 0 || b[i].end_ms < first))
            first = b[i].end_ms;
    bases_free(b, n);
    ab_state *s = state_get(a->rid, false);
    int64_t reach = s && s->restorable_ms > a->restorable_ms ? s->restorable_ms
                                                             : a->restorable_ms;
    if (first < 0 || reach < first)
        return false;
    clock_hist c = hist_load(r);
    /* Retention: nothing before the window's start, on the region clock. */
    int64_t window_start =
        to_real(&c, (a->deleted_ms ? a->deleted_ms : region_now_ms(r)) - a->retention * DAY_MS);
    free(c.h);
    *earliest = first > window_start ? first : window_start;
    *latest = reach;
    if (*earliest > *latest)
        *earliest = *latest;
    return true;
}

/* ---- children ---- */

static pid_t spawn(const char *const argv[], const char *log, const char *password)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int nfd = open("/dev/null", O_RDONLY);
        if (nfd >= 0)
            dup2(nfd, 0);
        if (password)
            setenv("PGPASSWORD", password, 1);
        setenv("PGCONNECT_TIMEOUT", "5", 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static char *kms_url(region *r)
{
    return xasprintf("http://127.0.0.1:%d/", r->api_port);
}

static void archiver_start(region *r, ab_state *s, const store_instance *in,
                           const store_node *nd)
{
    char *prog = self_prog("rds-backup");
    char *port = xasprintf("%lld", (long long)nd->port);
    char *spool = arch_dir(r, in->resource_id, "spool");
    char *wal = ab_dir(r, in->resource_id, "wal");
    char *status = arch_dir(r, in->resource_id, "status.json");
    char *log = arch_dir(r, in->resource_id, "archiver.log");
    char *kmsu = kms_url(r);
    char *dir = arch_dir(r, in->resource_id, NULL);
    fs_mkdir_p(dir, 0700);
    bool enc = in->storage_encrypted && in->kms_key_id;
    const char *argv[] = {prog,    "archive",  "--host",   nd->addr, "--port", port,
                          "--user", in->master_username, "--spool", spool, "--out", wal,
                          "--status", status, "--kms", kmsu, enc ? "--key-id" : NULL,
                          enc ? in->kms_key_id : NULL, NULL};
    s->arch_pid = spawn(argv, log, in->master_password);
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
    char *path = arch_dir(r, s->rid, "status.json");
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
    char *id = xasprintf("%lld-%s", (long long)rclock_now_ms(0), nd->id);
    char *obj = base_object(r, in->resource_id, id);
    char *info = xasprintf("%s.json", obj);
    char *log = xasprintf("%s.log", obj);
    char *dir = ab_dir(r, in->resource_id, "base");
    fs_mkdir_p(dir, 0700);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO ab_bases(id, resource_id, status,"
                                             " start_ms) VALUES(?,?,'creating',?)");
    bool ok = false;
    if (st) {
        sqlrow_bind_text(st, 1, id);
        sqlrow_bind_text(st, 2, in->resource_id);
        sqlite3_bind_int64(st, 3, rclock_now_ms(0));
        ok = sqlrow_run(st);
    }
    if (ok) {
        char *prog = self_prog("rds-backup");
        char *port = xasprintf("%lld", (long long)nd->port);
        char *kmsu = kms_url(r);
        bool enc = in->storage_encrypted && in->kms_key_id;
        const char *argv[] = {prog, "snapshot", "--host", nd->addr, "--port", port, "--user",
                              in->master_username, "--out", obj, "--info", info, "--kms", kmsu,
                              enc ? "--key-id" : NULL, enc ? in->kms_key_id : NULL, NULL};
        s->base_pid = spawn(argv, log, in->master_password);
        free(prog);
        free(port);
        free(kmsu);
        s->base_id = xstrdup(id);
        events_emit(r, in->id, "RDS-EVENT-0001", NULL);
        LOG_INFO("base backup started instance=%s node=%s id=%s pid=%ld", in->id, nd->id, id,
                 (long)s->base_pid);
    }
    free(id);
    free(obj);
    free(info);
    free(log);
    free(dir);
}

/* Records a base backup's end. */
static void base_done(region *r, ab_state *s, int status)
{
    char *obj = base_object(r, s->rid, s->base_id);
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
            sqlrow_bind_text(st, 1, ok ? "available" : "failed");
            sqlite3_bind_int64(st, 2, rclock_now_ms(0));
            sqlrow_bind_text(st, 3, ok ? sl->valuestring : NULL);
            sqlrow_bind_text(st, 4, ok ? el->valuestring : NULL);
            sqlite3_bind_int64(st, 5, ok ? tl->valueint : 0);
            sqlite3_bind_int64(st, 6, size);
            sqlrow_bind_text(st, 7, ok ? NULL : (why ? why : "the backup failed"));
            sqlrow_bind_text(st, 8, s->base_id);
        }
        bool done = st && sqlrow_run(st);
        if (done && ok && s->instance_id)
            events_emit(r, s->instance_id, "RDS-EVENT-0002", NULL);
        if (!done || !store_commit(r->st))
            store_rollback(r->st);
    }
    LOG_INFO("base backup %s id=%s size=%lld%s%s", ok ? "available" : "failed", s->base_id,
             (long long)size, why ? " why=" : "", why ? why : "");
    if (!ok) {
        unlink(obj);
        s->base_next_ms = rclock_now_ms(0) + BASE_RETRY_MS;
    }
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

static void reap(region *r)
{
    for (int i = 0; i < nstates; i++) {
        ab_state *s = &states[i];
        int status = 0;
        if (s->base_pid > 0 && waitpid(s->base_pid, &status, WNOHANG) == s->base_pid)
            base_done(r, s, status);
        if (s->arch_pid > 0 && waitpid(s->arch_pid, &status, WNOHANG) == s->arch_pid) {
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
 * Multi-AZ instances from the standby), else the primary. */
static bool backup_source(region *r, const store_instance *in, store_node *out)
{
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

static bool base_due(region *r, const ab_row *a, const store_instance *in)
{
    base_row *b = NULL;
    int n = bases_list(r, a->rid, "available", &b);
    int64_t last = -1;
    bool after_gap = false;
    for (int i = 0; i < n; i++) {
        if (b[i].start_ms > last)
            last = b[i].start_ms;
        if (b[i].start_ms >= a->gap_ms)
            after_gap = true;
    }
    bases_free(b, n);
    if (!after_gap)
        return true; /* the first one, or the first after a gap */
    clock_hist c = hist_load(r);
    int64_t last_region = to_region(&c, last);
    free(c.h);
    int64_t now = region_now_ms(r);
    return now - last_region >= BASE_EVERY_MS && autobackup_in_window(in->backup_window, now);
}

static void remove_backups(region *r, const char *rid)
{
    char *dir = ab_dir(r, rid, NULL);
    char *adir = arch_dir(r, rid, NULL);
    fs_rm_rf(dir);
    fs_rm_rf(adir);
    free(dir);
    free(adir);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM ab_bases WHERE resource_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, rid);
        sqlrow_run(st);
    }
    st = sqlrow_prepare(r->st, "DELETE FROM ab_backups WHERE resource_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, rid);
        sqlrow_run(st);
    }
    LOG_INFO("automated backups removed rid=%s", rid);
}

static void tick_instance(region *r, const store_instance *in)
{
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
    ab_row a = {0};
    if (!ab_get(r, in->resource_id, &a)) {
        if (!ab_upsert_active(r, in) || !ab_get(r, in->resource_id, &a))
            return;
    } else if (a.retention != in->backup_retention || strcmp(a.status, "active") != 0) {
        ab_upsert_active(r, in);
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
    ab_row_clear(&a);
}

/* Retention: old base backups and the WAL only they needed; retained
 * backups past their period. */
static void prune(region *r)
{
    ab_row *rows = NULL;
    int n = ab_list(r, &rows);
    int64_t now = region_now_ms(r);
    clock_hist c = hist_load(r);
    for (int i = 0; i < n; i++) {
        ab_row *a = &rows[i];
        if (strcmp(a->status, "retained") == 0 && now > a->deleted_ms + a->retention * DAY_MS) {
            remove_backups(r, a->rid);
            continue;
        }
        base_row *b = NULL;
        int nb = bases_list(r, a->rid, "available", &b);
        if (nb == 0) {
            bases_free(b, nb);
            continue;
        }
        int64_t *ends = xcalloc((size_t)nb, sizeof *ends);
        bool *keep = xcalloc((size_t)nb, sizeof *keep);
        for (int k = 0; k < nb; k++)
            ends[k] = b[k].end_ms;
        int64_t window_start =
            to_real(&c, (a->deleted_ms ? a->deleted_ms : now) - a->retention * DAY_MS);
        autobackup_retain(ends, nb, window_start, keep);
        wal_lsn oldest = UINT64_MAX;
        for (int k = 0; k < nb; k++) {
            wal_lsn l = 0;
            if (keep[k] && wal_lsn_parse(b[k].start_lsn, &l) && l < oldest)
                oldest = l;
            if (keep[k])
                continue;
            char *obj = base_object(r, a->rid, b[k].id);
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
            char *dir = ab_dir(r, a->rid, "wal");
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
        bases_free(b, nb);
    }
    free(c.h);
    ab_list_free(rows, n);
}

void autobackup_tick(region *r)
{
    static int64_t last_tick, last_prune;
    static bool started;
    reap(r);
    int64_t now = rclock_now_ms(0);
    if (now - last_tick < TICK_MS)
        return;
    last_tick = now;
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
        if (store_instance_get(r->st, ids[i], &in, &found) && found)
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
        ab_row a = {0};
        bool have = ab_get(r, s->rid, &a);
        bool gone = have && strcmp(a.status, "deleting") == 0;
        if (!s->seen && have && strcmp(a.status, "active") == 0)
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
            remove_backups(r, s->rid);
        ab_row_clear(&a);
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

/* ---- DBInstance ---- */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

/* Whether rid has a base backup taken after the archive's last gap. */
static bool has_base(region *r, const ab_row *a)
{
    base_row *b = NULL;
    int n = bases_list(r, a->rid, "available", &b);
    bool any = false;
    for (int i = 0; i < n; i++)
        any = any || b[i].start_ms >= a->gap_ms;
    bases_free(b, n);
    return any;
}

void autobackup_render(region *r, const store_instance *in, cJSON *o)
{
    ab_state *s = in->resource_id ? state_get(in->resource_id, false) : NULL;
    ab_row a = {0};
    bool have = in->backup_retention > 0 && in->resource_id && ab_get(r, in->resource_id, &a);
    /* As RDS: creating -> backing-up (the first backup) -> available, and
     * backing-up while a daily one runs. */
    if (in->status == STATUS_AVAILABLE && in->backup_retention > 0 &&
        ((s && s->base_pid > 0) || !have || !has_base(r, &a)))
        cJSON_ReplaceItemInObjectCaseSensitive(o, "DBInstanceStatus",
                                               cJSON_CreateString("backing-up"));
    if (!have)
        return;
    int64_t earliest = 0, latest = 0;
    if (restorable_window(r, &a, &earliest, &latest)) {
        clock_hist c = hist_load(r);
        add_time(o, "LatestRestorableTime", to_region(&c, latest));
        free(c.h);
    }
    ab_row_clear(&a);
}

/* ---- DeleteDBInstance ---- */

bool autobackup_on_delete(region *r, const store_instance *in, bool delete_backups)
{
    ab_row a = {0};
    if (!ab_get(r, in->resource_id, &a))
        return true;
    int64_t reach = a.restorable_ms;
    ab_state *s = state_get(in->resource_id, false);
    if (s && s->restorable_ms > reach)
        reach = s->restorable_ms;
    ab_row_clear(&a);
    if (!delete_backups) {
        int retained = 0;
        sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM ab_backups WHERE "
                                                 "status='retained'");
        if (st && sqlite3_step(st) == SQLITE_ROW)
            retained = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (retained >= MAX_RETAINED)
            delete_backups = true; /* RDS keeps at most 40 */
    }
    char *info = instance_info(r, in);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE ab_backups SET status=?, info=?,"
                                             " deleted_ms=?, restorable_ms=? WHERE "
                                             "resource_id=?");
    bool ok = false;
    if (st) {
        sqlrow_bind_text(st, 1, delete_backups ? "deleting" : "retained");
        sqlrow_bind_text(st, 2, info);
        sqlite3_bind_int64(st, 3, region_now_ms(r));
        sqlite3_bind_int64(st, 4, reach);
        sqlrow_bind_text(st, 5, in->resource_id);
        ok = sqlrow_run(st);
    }
    free(info);
    return ok;
}

/* ---- DescribeDBInstanceAutomatedBackups ---- */

static cJSON *ab_render(region *r, const ab_row *a)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *info = a->info;
#define INFO_STR(k)                                                                           \
    do {                                                                                      \
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);                          \
        if (cJSON_IsString(v))                                                               \
            cJSON_AddStringToObject(o, k, v->valuestring);                                   \
    } while (0)
#define INFO_NUM(k)                                                                           \
    do {                                                                                      \
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);                          \
        if (cJSON_IsNumber(v))                                                               \
            cJSON_AddNumberToObject(o, k, v->valuedouble);                                   \
    } while (0)
    INFO_STR("DBInstanceArn");
    cJSON_AddStringToObject(o, "DbiResourceId", a->rid);
    cJSON_AddStringToObject(o, "Region", r->cfg.name);
    cJSON_AddStringToObject(o, "DBInstanceIdentifier", a->instance_id);
    int64_t earliest = 0, latest = 0;
    if (restorable_window(r, a, &earliest, &latest)) {
        clock_hist c = hist_load(r);
        cJSON *w = cJSON_AddObjectToObject(o, "RestoreWindow");
        add_time(w, "EarliestTime", to_region(&c, earliest));
        add_time(w, "LatestTime", to_region(&c, latest));
        free(c.h);
    }
    INFO_NUM("AllocatedStorage");
    cJSON_AddStringToObject(o, "Status", a->status);
    INFO_NUM("Port");
    INFO_STR("AvailabilityZone");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(info, "InstanceCreateTime");
    if (cJSON_IsNumber(ct))
        add_time(o, "InstanceCreateTime", (int64_t)ct->valuedouble);
    INFO_STR("MasterUsername");
    cJSON_AddStringToObject(o, "Engine", "postgres");
    INFO_STR("EngineVersion");
    cJSON_AddStringToObject(o, "LicenseModel", "postgresql-license");
    const cJSON *io = cJSON_GetObjectItemCaseSensitive(info, "Iops");
    if (cJSON_IsNumber(io) && io->valuedouble > 0)
        cJSON_AddNumberToObject(o, "Iops", io->valuedouble);
    cJSON_AddBoolToObject(o, "Encrypted",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(info, "Encrypted")));
    INFO_STR("StorageType");
    INFO_STR("KmsKeyId");
    cJSON_AddBoolToObject(o, "IAMDatabaseAuthenticationEnabled", false);
    cJSON_AddNumberToObject(o, "BackupRetentionPeriod", (double)a->retention);
    char *arn = ab_arn(r, a->rid);
    cJSON_AddStringToObject(o, "DBInstanceAutomatedBackupsArn", arn);
    free(arn);
    cJSON_AddStringToObject(o, "BackupTarget", "region");
#undef INFO_STR
#undef INFO_NUM
    return o;
}

/* The automated backups named by DbiResourceId or
 * DBInstanceAutomatedBackupsArn (rid_out), if any was given. */
static bool rid_param(region *r, const params *p, const char *rid_name, const char *arn_name,
                      char **rid_out, awserr *err)
{
    const char *rid = params_get(p, rid_name);
    const char *arn = arn_name ? params_get(p, arn_name) : NULL;
    *rid_out = NULL;
    if (rid) {
        *rid_out = xstrdup(rid);
        return true;
    }
    if (!arn)
        return true;
    const char *tail = strstr(arn, ":auto-backup:ab-");
    if (!tail || strchr(tail + strlen(":auto-backup:ab-"), ':'))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid %s: %s", arn_name, arn);
    char *id = xasprintf("db-%s", tail + strlen(":auto-backup:ab-"));
    for (char *c = id + 3; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    *rid_out = id;
    (void)r;
    return true;
}

bool autobackup_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    char *rid = NULL;
    if (!rid_param(r, p, "DbiResourceId", "DBInstanceAutomatedBackupsArn", &rid, err))
        return false;
    const char *iid = params_get(p, "DBInstanceIdentifier");
    ab_row *rows = NULL;
    int n = ab_list(r, &rows);
    cJSON *list = cJSON_AddArrayToObject(result, "DBInstanceAutomatedBackups");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(rows[i].status, "deleting") == 0)
            continue;
        if ((rid && strcmp(rows[i].rid, rid) != 0) ||
            (iid && strcasecmp(rows[i].instance_id, iid) != 0))
            continue;
        cJSON_AddItemToArray(list, ab_render(r, &rows[i]));
        shown++;
    }
    ab_list_free(rows, n);
    bool ok = true;
    if (shown == 0 && (rid || iid))
        ok = awserr_set(err, AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
                        "No automated backup found for %s.", rid ? rid : iid);
    free(rid);
    return ok;
}

bool autobackup_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    char *rid = NULL;
    if (!rid_param(r, p, "DbiResourceId", "DBInstanceAutomatedBackupsArn", &rid, err))
        return false;
    if (!rid)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "DbiResourceId or DBInstanceAutomatedBackupsArn is required.");
    ab_row a = {0};
    bool ok = false;
    if (!store_begin(r->st)) {
        free(rid);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    if (!ab_get(r, rid, &a) || strcmp(a.status, "deleting") == 0)
        awserr_set(err, AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
                   "Automated backup %s not found.", rid);
    else if (strcmp(a.status, "retained") != 0)
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE,
                   "Automated backup %s is not retained: its instance still exists.", rid);
    else {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE ab_backups SET status='deleting' "
                                                 "WHERE resource_id=?");
        if (st) {
            sqlrow_bind_text(st, 1, rid);
            ok = sqlrow_run(st);
        }
        if (ok)
            ok = store_commit(r->st);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (!ok)
        store_rollback(r->st);
    if (ok) {
        free(a.status);
        a.status = xstrdup("deleting");
        cJSON_AddItemToObject(result, "DBInstanceAutomatedBackup", ab_render(r, &a));
        /* Nothing runs for a retained backup: remove it at once. */
        ab_state *s = state_get(rid, true);
        s->seen = false;
    }
    ab_row_clear(&a);
    free(rid);
    return ok;
}

/* ---- RestoreDBInstanceToPointInTime ---- */

static bool restore_record(region *r, const char *instance_id, const char *base,
                           const char *wal, int64_t target_ms)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT OR REPLACE INTO ab_restores(instance_id,"
                                             " base_path, wal_dir, target_ms) VALUES(?,?,?,?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, instance_id);
    sqlrow_bind_text(st, 2, base);
    sqlrow_bind_text(st, 3, wal);
    sqlite3_bind_int64(st, 4, target_ms);
    return sqlrow_run(st);
}

/* The source's automated backups: by instance, resource id or ARN. */
static bool restore_source(region *r, const params *p, ab_row *a, awserr *err)
{
    const char *iid = params_get(p, "SourceDBInstanceIdentifier");
    char *rid = NULL;
    if (!rid_param(r, p, "SourceDbiResourceId", "SourceDBInstanceAutomatedBackupsArn", &rid,
                   err))
        return false;
    if (!iid && !rid)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "One of SourceDBInstanceIdentifier, SourceDbiResourceId or "
                          "SourceDBInstanceAutomatedBackupsArn is required.");
    if (iid) {
        char *lower = str_lower(xstrdup(iid));
        store_instance in = {0};
        bool found = false;
        store_instance_get(r->st, lower, &in, &found);
        free(lower);
        if (!found) {
            free(rid);
            return awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.",
                              iid);
        }
        bool disabled = in.backup_retention == 0;
        free(rid);
        rid = xstrdup(in.resource_id);
        store_instance_clear(&in);
        if (disabled) {
            free(rid);
            return awserr_set(err, AWSERR_POINT_IN_TIME_RESTORE_NOT_ENABLED,
                              "SourceDBInstanceIdentifier refers to a DB instance with "
                              "BackupRetentionPeriod equal to 0.");
        }
    }
    bool found = ab_get(r, rid, a) && strcmp(a->status, "deleting") != 0;
    if (!found)
        awserr_set(err, iid ? AWSERR_INVALID_RESTORE : AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
                   iid ? "Instance %s has no automated backup yet." : "Automated backup %s "
                   "not found.", iid ? iid : rid);
    free(rid);
    return found;
}

/* The newest base backup whose restorable start is at or before target. */
static char *base_for(region *r, const ab_row *a, int64_t target)
{
    base_row *b = NULL;
    int n = bases_list(r, a->rid, "available", &b);
    char *best = NULL;
    int64_t best_end = -1;
    for (int i = 0; i < n; i++)
        if (b[i].start_ms >= a->gap_ms && b[i].end_ms <= target && b[i].end_ms > best_end) {
            best_end = b[i].end_ms;
            free(best);
            best = xstrdup(b[i].id);
        }
    bases_free(b, n);
    return best;
}

static const char *info_str(const cJSON *info, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t info_num(const cJSON *info, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static bool restore_target(region *r, const params *p, const ab_row *a, int64_t *target,
                           awserr *err)
{
    const char *when = params_get(p, "RestoreTime");
    bool latest = false;
    if (!params_get_bool(p, "UseLatestRestorableTime", &latest, NULL, err))
        return false;
    if (when && latest)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Cannot specify both RestoreTime and UseLatestRestorableTime.");
    if (!when && !latest)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Either RestoreTime or UseLatestRestorableTime must be specified.");
    int64_t earliest = 0, last = 0;
    if (!restorable_window(r, a, &earliest, &last))
        return awserr_set(err, AWSERR_INVALID_RESTORE,
                          "The source has no restorable time yet: its first backup is not "
                          "complete.");
    if (latest) {
        *target = last;
        return true;
    }
    int64_t region_ms = 0;
    if (!rclock_parse(when, &region_ms))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid RestoreTime: %s (ISO 8601, UTC).", when);
    clock_hist c = hist_load(r);
    *target = to_real(&c, region_ms);
    char e[40], l[40];
    rclock_format(to_region(&c, earliest), e, sizeof e);
    rclock_format(to_region(&c, last), l, sizeof l);
    free(c.h);
    if (*target < earliest || *target > last)
        return awserr_set(err, AWSERR_INVALID_RESTORE,
                          "Restore time %s is outside the restorable window %s to %s.", when, e,
                          l);
    return true;
}

bool autobackup_action_restore(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *tid = params_require(p, "TargetDBInstanceIdentifier", err);
    if (!tid || !validate_db_instance_id(tid, "TargetDBInstanceIdentifier", err))
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    ab_row a = {0};
    store_instance in = {0};
    in.id = str_lower(xstrdup(tid));
    int64_t target = 0;
    char *base = NULL;
    bool ok = restore_source(r, p, &a, err) && restore_target(r, p, &a, &target, err);
    if (ok && !(base = base_for(r, &a, target)))
        ok = awserr_set(err, AWSERR_INVALID_RESTORE, "No base backup covers the restore time.");
    if (ok) {
        const cJSON *info = a.info;
        snapshot_source src = {.db_class = info_str(info, "DBInstanceClass"),
                               .port = info_num(info, "Port"),
                               .encrypted = cJSON_IsTrue(
                                   cJSON_GetObjectItemCaseSensitive(info, "Encrypted")),
                               .kms_key_id = info_str(info, "KmsKeyId"),
                               .master_username = info_str(info, "MasterUsername"),
                               .master_password = info_str(info, "MasterUserPassword"),
                               .db_name = info_str(info, "DBName"),
                               .allocated_storage = info_num(info, "AllocatedStorage"),
                               .storage_type = info_str(info, "StorageType"),
                               .iops = info_num(info, "Iops")};
        if (!src.db_class || !src.master_username || !src.master_password || !src.storage_type)
            ok = awserr_set(err, AWSERR_INVALID_RESTORE, "The automated backup is incomplete.");
        else
            ok = snapshot_restore_instance(r, p, &src, &in, err);
    }
    if (ok) {
        char *obj = base_object(r, a.rid, base);
        char *wal = ab_dir(r, a.rid, "wal");
        ok = restore_record(r, in.id, obj, wal, target);
        free(obj);
        free(wal);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (ok) {
        char *msg = xasprintf("Restored from DB instance %s to %s", a.instance_id, in.id);
        events_emit(r, in.id, "RDS-EVENT-0019", msg);
        free(msg);
        ok = store_commit(r->st);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (!ok)
        store_rollback(r->st);
    else {
        char t[40];
        LOG_INFO("point-in-time restore accepted instance=%s source=%s target_real=%s", in.id,
                 a.rid, rclock_format(target, t, sizeof t));
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    }
    free(base);
    ab_row_clear(&a);
    store_instance_clear(&in);
    return ok;
}

void autobackup_spec_restore(region *r, const char *instance_id, cJSON *spec)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT base_path, wal_dir, target_ms FROM "
                                             "ab_restores WHERE instance_id=?");
    if (!st)
        return;
    sqlrow_bind_text(st, 1, instance_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        char *base = sqlrow_text(st, 0), *wal = sqlrow_text(st, 1);
        int64_t target = sqlite3_column_int64(st, 2);
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "restore");
        cJSON *o = cJSON_AddObjectToObject(spec, "restore");
        char *kmsu = kms_url(r);
        /* PostgreSQL's form, real time: "2026-11-24 10:43:14.550+00". */
        char iso[40], pg[48];
        rclock_format(target, iso, sizeof iso);
        snprintf(pg, sizeof pg, "%.10s %.12s+00", iso, iso + 11);
        cJSON_AddStringToObject(o, "path", base);
        cJSON_AddStringToObject(o, "kms", kmsu);
        cJSON_AddStringToObject(o, "wal", wal);
        cJSON_AddStringToObject(o, "target", pg);
        free(kmsu);
        free(base);
        free(wal);
    }
    sqlite3_finalize(st);
}

void autobackup_forget_restore(region *r, const char *instance_id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM ab_restores WHERE instance_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, instance_id);
        sqlrow_run(st);
    }
}
