/* snapjob: see snapjob.h. */
#include "controlplane/domain/snapjob.h"

#include <errno.h>
#include <libgen.h>
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
#include "controlplane/domain/clustersnap.h"
#include "controlplane/domain/snaprow.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/reaper.h"
#include "lib/util.h"

enum { MAX_JOBS = 16 };

/* The children of this process, one per snapshot being made. */
static struct {
    char *id;
    pid_t pid;
} jobs[MAX_JOBS];
static reaper *job_reaper;

static char *self_dir(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return xstrdup("/usr/local/bin");
    buf[n] = '\0';
    return xstrdup(dirname(buf));
}

/* argv of the child that makes s, or false (why in *why) when it cannot
 * start: the instance or its primary is gone. */
static bool job_argv(region *r, const snaprow *s, char **argv, char **password, char **why)
{
    char *dir = self_dir();
    argv[0] = xasprintf("%s/rds-backup", dir);
    free(dir);
    int n = 1;
    char *kms_url = snaprow_kms_url(r);
    if (s->source) {
        /* A cluster snapshot's source may be an automated one, which is
         * a base backup's object (clustersnap.h). */
        char *in = clustersnap_object(r, s->source);
        if (!in) {
            *why = xasprintf("the source snapshot %s is gone", s->source);
            free(kms_url);
            free(argv[0]);
            return false;
        }
        argv[n++] = xstrdup("copy");
        argv[n++] = xstrdup("--in");
        argv[n++] = in;
    } else {
        store_instance in = {0};
        store_node nd = {0};
        bool found = false, nfound = false;
        store_instance_get(r->st, s->instance_id, &in, &found);
        if (found && in.primary_node)
            store_node_get(r->st, in.primary_node, &nd, &nfound);
        if (!nfound) {
            *why = xasprintf("instance %s has no primary to back up", s->instance_id);
            store_instance_clear(&in);
            free(kms_url);
            for (int i = 0; i < n; i++)
                free(argv[i]);
            return false;
        }
        argv[n++] = xstrdup("snapshot");
        argv[n++] = xstrdup("--host");
        argv[n++] = xstrdup(nd.addr);
        argv[n++] = xstrdup("--port");
        argv[n++] = xasprintf("%lld", (long long)nd.port);
        /* The region's own login (instsecret.h), never the master user. */
        argv[n++] = xstrdup("--user");
        argv[n++] = xstrdup(INSTSECRET_ADMIN_USER);
        *password = instsecret_admin_password(r, &in);
        store_node_clear(&nd);
        store_instance_clear(&in);
    }
    argv[n++] = xstrdup("--out");
    argv[n++] = snaprow_object(r, s->id);
    argv[n++] = xstrdup("--kms");
    argv[n++] = kms_url;
    if (s->encrypted && s->kms_key_id) {
        argv[n++] = xstrdup("--key-id");
        argv[n++] = xstrdup(s->kms_key_id);
    }
    argv[n] = NULL;
    return true;
}


/* Records a snapshot's end in its own transaction. */
static void job_done(region *r, const char *id, int status)
{
    snaprow s;
    if (!snaprow_get(r, id, &s))
        return;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char *path = snaprow_object(r, id);
    struct stat stt;
    int64_t size = ok && stat(path, &stt) == 0 ? (int64_t)stt.st_size : 0;
    char *dir = snaprow_dir(r, id);
    char *logp = xasprintf("%s/job.log", dir);
    size_t len = 0;
    char *log = ok ? NULL : fs_read_all(logp, 4096, &len);
    if (log)
        log[strcspn(log, "\n")] = '\0';
    if (store_begin(r->st)) {
        bool done = snaprow_finish(r, id, ok, size, log ? log : "the backup failed",
                                   ok ? region_now_ms(r) : s.created_ms);
        if (done && ok)
            snaprow_emit(r, id, s.source ? "RDS-EVENT-0197" : "RDS-EVENT-0042", NULL);
        if (!done || !store_commit(r->st))
            store_rollback(r->st);
    }
    LOG_INFO("snapshot %s id=%s size=%lld%s%s", ok ? "available" : "failed", id,
             (long long)size, log ? " why=" : "", log ? log : "");
    free(log);
    free(logp);
    free(dir);
    free(path);
    snaprow_clear(&s);
}

/* lib/reaper's callback: arg is the region. */
static void job_exit(pid_t pid, int status, void *arg)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        if (!jobs[i].id || jobs[i].pid != pid)
            continue;
        job_done(arg, jobs[i].id, status);
        free(jobs[i].id);
        jobs[i].id = NULL;
    }
}

static pid_t job_spawn(region *r, const snaprow *s, char **argv, const char *admin_password)
{
    char *dir = snaprow_dir(r, s->id);
    char *log = xasprintf("%s/job.log", dir);
    char *password = admin_password ? xasprintf("PGPASSWORD=%s", admin_password) : NULL;
    const char *env[] = {"PGCONNECT_TIMEOUT=5", "PGAPPNAME=rds-snapshot", password, NULL};
    reaper_spec spec = {.argv = (const char *const *)argv, .env = env, .out_path = log,
                        .die_with_parent = true};
    pid_t pid = fs_mkdir_p(dir, 0700) ? reaper_spawn(job_reaper, &spec, job_exit, r) : -1;
    instsecret_free(password);
    free(dir);
    free(log);
    return pid;
}

static bool running(const char *id)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].id && strcmp(jobs[i].id, id) == 0)
            return true;
    return false;
}

static void start(region *r, const snaprow *s)
{
    int slot = -1;
    for (int i = 0; i < MAX_JOBS && slot < 0; i++)
        if (!jobs[i].id)
            slot = i;
    if (slot < 0)
        return;
    char *argv[24] = {0};
    char *why = NULL;
    char *admin_password = NULL;
    if (!job_argv(r, s, argv, &admin_password, &why)) {
        instsecret_free(admin_password);
        char *dir = snaprow_dir(r, s->id), *logp = xasprintf("%s/job.log", dir);
        fs_mkdir_p(dir, 0700);
        fs_write_atomic(logp, why, strlen(why), 0600);
        job_done(r, s->id, 1 << 8);
        free(why);
        free(dir);
        free(logp);
        return;
    }
    pid_t pid = job_spawn(r, s, argv, admin_password);
    instsecret_free(admin_password);
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    if (pid < 0) {
        LOG_ERROR("cannot start the snapshot of id=%s err=%s", s->id, strerror(errno));
        return;
    }
    jobs[slot].id = xstrdup(s->id);
    jobs[slot].pid = pid;
    LOG_INFO("snapshot started id=%s pid=%ld", s->id, (long)pid);
}


void snapjob_tick(region *r)
{
    if (!job_reaper)
        job_reaper = reaper_new();
    reaper_poll(job_reaper);
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT " SNAPROW_COLS " FROM db_snapshots WHERE "
                                             "status='creating' ORDER BY created_ms");
    if (!st)
        return;
    snaprow todo[MAX_JOBS];
    int n = 0;
    while (n < MAX_JOBS && sqlite3_step(st) == SQLITE_ROW) {
        if (!snaprow_read(st, &todo[n]))
            continue;
        if (running(todo[n].id))
            snaprow_clear(&todo[n]);
        else
            n++;
    }
    sqlrow_release(r->st, st);
    for (int i = 0; i < n; i++) {
        start(r, &todo[i]);
        snaprow_clear(&todo[i]);
    }
}
