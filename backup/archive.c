/* archive: continuous WAL archiving of one instance into the backup store.
 *
 *   rds-backup archive --host A --port P --user U --spool DIR --out WALDIR
 *                      --status FILE [--kms URL --key-id ARN] [--interval-ms N]
 *
 * pg_receivewal (a child, restarted when it exits) streams the primary's
 * WAL into the spool, a plain working directory outside the backup store,
 * flushing and reporting every write (--synchronous). Every tick this
 * loop:
 *   1. samples (the primary's clock, then pg_current_wal_lsn()) and how
 *      far pg_receivewal has flushed (pg_stat_replication,
 *      application_name rdsim_archiver);
 *   2. when the WAL moved past what is sealed, waits (at most
 *      FLUSH_WAIT_MS) until pg_receivewal has flushed the sampled
 *      position, then seals what the spool holds into the store through
 *      lib/envelope.c: history files and completed segments once
 *      (<name>.env), and the segment being filled up to the flushed
 *      position (<name>.partial.env, replaced as it grows). So the sample
 *      just taken is covered in the same tick, and the store's reach
 *      trails the primary by one tick plus one seal, not one segment;
 *   3. writes the status file: the sealed position and the latest
 *      restorable time (wal.h's rule over the samples), which only ever
 *      names a sample whose position is sealed.
 * A tick is --interval-ms (200) apart while WAL moves, IDLE_MS when the
 * last one found nothing new: an idle instance seals nothing (its
 * restorable time still advances: no commit lies between the sealed
 * position and the newest sample) and costs one query a second.
 * Completed segments leave the spool once sealed (the newest stays: it is
 * where pg_receivewal resumes).
 *
 * A flock on the spool keeps a second archiver of the same instance out
 * (after a controlplane restart the old one may still be exiting). When
 * the primary no longer has the WAL the spool resumes from ("has already
 * been removed"), the spool is emptied and the status counts a gap: the
 * controlplane then takes a base backup, since no restore can cross it.
 * SIGTERM stops the loop and pg_receivewal; SIGUSR1 ends the current
 * sleep (the controlplane, once a base backup is done, so its end is
 * sealed without waiting for an idle tick). */
#include "backup/archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup/common.h"
#include "lib/envelope.h"
#include "lib/fsutil.h"
#include "lib/kmsclient.h"
#include "lib/util.h"
#include "lib/wal.h"

#define APP_NAME "rdsim_archiver"
#define NSAMPLES 600
#define ACTIVE_MS 200     /* between ticks while WAL moves (--interval-ms) */
#define IDLE_MS 1000      /* between ticks once nothing moved */
#define FLUSH_WAIT_MS 250 /* for pg_receivewal to flush a sampled position */

static volatile sig_atomic_t stopping, kicked;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

/* SIGUSR1 (the controlplane, after a base backup): tick now. */
static void on_kick(int sig)
{
    (void)sig;
    kicked = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    const opts *o;
    char *conninfo;
    PGconn *pg;
    pid_t receiver;
    char *receiver_log;
    wal_sample samples[NSAMPLES];
    int nsamples;
    wal_lsn sealed;      /* everything below is in the store */
    bool sealed_here;    /* by this run, from this primary's stream (below) */
    uint32_t timeline;
    int64_t restorable_ms;
    int gaps;
    char error[1024];
    kmsclient kc;
} archiver;

/* ---- sealing ---- */

/* Source over the first `left` bytes of an fd. */
typedef struct {
    int fd;
    uint64_t left;
} limited_src;

static bool limited_read(void *ctx, void *buf, size_t cap, size_t *got)
{
    limited_src *s = ctx;
    if (s->left == 0) {
        *got = 0;
        return true;
    }
    if (cap > s->left)
        cap = (size_t)s->left;
    if (!envelope_source_fd(&s->fd, buf, cap, got))
        return false;
    if (*got == 0)
        return false; /* the file is shorter than promised */
    s->left -= *got;
    return true;
}

/* Seals the first `len` bytes of path (all of it when len is 0) into out. */
static bool seal_file(archiver *a, const char *path, uint64_t len, const char *out)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return false;
    struct stat st;
    if (len == 0)
        len = fstat(in, &st) == 0 ? (uint64_t)st.st_size : 0;
    remove_stale(out);
    char *tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    limited_src src = {.fd = in, .left = len};
    envelope_opts eo = {.wrap = a->o->key_id ? kmsclient_wrap : NULL, .wrap_ctx = &a->kc};
    envelope_status es = fd < 0 ? ENVELOPE_IO
                                : envelope_seal(&eo, limited_read, &src, envelope_sink_fd, &fd,
                                                NULL);
    close(in);
    bool ok = es == ENVELOPE_OK && publish(fd, tmp, out);
    if (!ok) {
        if (fd >= 0 && es != ENVELOPE_OK)
            close(fd);
        unlink(tmp);
        snprintf(a->error, sizeof a->error, "cannot seal %s: %s", path,
                 a->kc.error[0] ? a->kc.error : envelope_status_name(es));
    }
    free(tmp);
    return ok;
}

typedef struct {
    char name[64];
    wal_file_kind kind;
    uint32_t tli;
    uint64_t segno;
} spool_file;

static int spool_cmp(const void *x, const void *y)
{
    const spool_file *a = x, *b = y;
    if (a->segno != b->segno)
        return a->segno < b->segno ? -1 : 1;
    return a->tli < b->tli ? -1 : a->tli > b->tli;
}

/* The spool's WAL files, in (segno, timeline) order. */
static int spool_list(const char *dir, spool_file **out)
{
    DIR *d = opendir(dir);
    int n = 0, cap = 0;
    *out = NULL;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        spool_file f = {0};
        if (strlen(e->d_name) >= sizeof f.name)
            continue;
        f.kind = wal_file_parse(e->d_name, NULL, &f.tli, &f.segno);
        if (f.kind == WAL_FILE_OTHER)
            continue;
        snprintf(f.name, sizeof f.name, "%s", e->d_name);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[n++] = f;
    }
    closedir(d);
    if (n > 1) /* qsort's array must not be NULL, even for 0 elements */
        qsort(*out, (size_t)n, sizeof **out, spool_cmp);
    return n;
}

/* Seals history files and completed segments not yet in the store, then
 * the segment holding `flushed` up to it. True when the store holds
 * everything below `flushed`. */
static bool seal_spool(archiver *a, wal_lsn flushed)
{
    const opts *o = a->o;
    spool_file *fs = NULL;
    int n = spool_list(o->spool, &fs);
    bool ok = true;
    int last_complete = -1;
    for (int i = 0; i < n; i++)
        if (fs[i].kind == WAL_FILE_SEGMENT)
            last_complete = i;
    for (int i = 0; i < n && ok; i++) {
        if (fs[i].kind == WAL_FILE_PARTIAL)
            continue;
        char *src = xasprintf("%s/%s", o->spool, fs[i].name);
        char *dst = xasprintf("%s/%s.env", o->out, fs[i].name);
        if (!fs_exists(dst))
            ok = seal_file(a, src, 0, dst);
        if (ok && fs[i].kind == WAL_FILE_SEGMENT) {
            char *partial = xasprintf("%s/%s.partial.env", o->out, fs[i].name);
            unlink(partial);
            free(partial);
            if (i != last_complete)
                unlink(src);
        }
        free(src);
        free(dst);
    }
    /* The segment being filled: the newest .partial at flushed's segment,
     * unless it was completed already (sealed above). */
    uint64_t seg = wal_segno(flushed);
    uint64_t upto = flushed - seg * (uint64_t)WAL_SEG_SIZE;
    bool covered = upto == 0;
    for (int i = 0; i < n && !covered; i++)
        covered = fs[i].kind == WAL_FILE_SEGMENT && fs[i].segno == seg;
    for (int i = n - 1; i >= 0 && ok && !covered; i--) {
        if (fs[i].kind != WAL_FILE_PARTIAL || fs[i].segno != seg)
            continue;
        covered = true;
        char *src = xasprintf("%s/%s", o->spool, fs[i].name);
        char *dst = xasprintf("%s/%s.env", o->out, fs[i].name);
        ok = seal_file(a, src, upto, dst);
        if (ok)
            a->timeline = fs[i].tli;
        free(src);
        free(dst);
        break;
    }
    free(fs);
    return ok && covered;
}

/* ---- pg_receivewal ---- */

static void receiver_start(archiver *a)
{
    char *bindir = a->o->bindir ? xstrdup(a->o->bindir) : default_bindir();
    char *prog = xasprintf("%s/pg_receivewal", bindir);
    free(bindir);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(a->receiver_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(prog, prog, "-D", a->o->spool, "-d", a->conninfo, "--synchronous", "-s", "1",
              "--no-loop", "--no-password", (char *)NULL);
        _exit(127);
    }
    free(prog);
    a->receiver = pid > 0 ? pid : -1;
}

/* Whether the receiver exited; then why, and a gap's clean-up. */
static void receiver_reap(archiver *a)
{
    int status = 0;
    if (a->receiver <= 0 || waitpid(a->receiver, &status, WNOHANG) != a->receiver)
        return;
    a->receiver = -1;
    size_t len = 0;
    char *log = fs_read_all(a->receiver_log, 64 * 1024, &len);
    if (log && strstr(log, "has already been removed")) {
        /* The primary no longer has what the spool resumes from. */
        spool_file *fs = NULL;
        int n = spool_list(a->o->spool, &fs);
        for (int i = 0; i < n; i++) {
            char *p = xasprintf("%s/%s", a->o->spool, fs[i].name);
            unlink(p);
            free(p);
        }
        free(fs);
        a->gaps++;
    }
    if (log) {
        char *last = NULL;
        for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
            last = line;
        snprintf(a->error, sizeof a->error, "pg_receivewal exited: %s", last ? last : "");
    }
    free(log);
}

/* ---- the primary ---- */

/* One statement; false (and the connection dropped) unless it returned
 * `want`. */
static PGresult *exec_ok(archiver *a, const char *sql, ExecStatusType want)
{
    PGresult *res = PQexec(a->pg, sql);
    if (PQresultStatus(res) == want)
        return res;
    /* A standby (the old primary, fenced) cannot write: no sample. */
    snprintf(a->error, sizeof a->error, "%s failed: %s", sql, PQerrorMessage(a->pg));
    a->error[strcspn(a->error, "\n")] = '\0';
    PQclear(res);
    PQfinish(a->pg);
    a->pg = NULL;
    return NULL;
}

/* One sample: the server's clock, and then its WAL's end (every commit
 * acknowledged before that time lies below it) and how far pg_receivewal
 * has flushed. */
static bool primary_sample(archiver *a, int64_t *t_ms, wal_lsn *current, wal_lsn *flushed)
{
    if (!a->pg || PQstatus(a->pg) != CONNECTION_OK) {
        PQfinish(a->pg);
        char *ci = xasprintf("%s dbname=postgres", a->conninfo);
        a->pg = PQconnectdb(ci);
        free(ci);
        if (PQstatus(a->pg) != CONNECTION_OK) {
            snprintf(a->error, sizeof a->error, "cannot connect: %s", PQerrorMessage(a->pg));
            a->error[strcspn(a->error, "\n")] = '\0';
            return false;
        }
    }
    /* A standby (the old primary, fenced) has no current WAL position. */
    PGresult *res = exec_ok(a, "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,"
                               " pg_current_wal_lsn()::text, (SELECT max(flush_lsn)::text FROM "
                               "pg_stat_replication WHERE application_name = '" APP_NAME "')",
                            PGRES_TUPLES_OK);
    if (!res)
        return false;
    bool ok = PQntuples(res) == 1 && wal_lsn_parse(PQgetvalue(res, 0, 1), current);
    if (ok)
        *t_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *flushed = 0;
    if (ok && !PQgetisnull(res, 0, 2))
        wal_lsn_parse(PQgetvalue(res, 0, 2), flushed);
    PQclear(res);
    return ok;
}

static void write_status(archiver *a)
{
    char lsn[24];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pid", (double)getpid());
    cJSON_AddNumberToObject(o, "updated_ms", (double)now_ms());
    cJSON_AddNumberToObject(o, "timeline", a->timeline);
    cJSON_AddStringToObject(o, "sealed_lsn", wal_lsn_format(a->sealed, lsn, sizeof lsn));
    cJSON_AddNumberToObject(o, "restorable_ms", (double)a->restorable_ms);
    cJSON_AddNumberToObject(o, "gaps", a->gaps);
    cJSON_AddBoolToObject(o, "streaming", a->receiver > 0);
    if (a->error[0])
        cJSON_AddStringToObject(o, "error", a->error);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (json)
        fs_write_atomic(a->o->status, json, strlen(json), 0600);
    free(json);
}

/* How far pg_receivewal has flushed (0 when it is not connected). */
static wal_lsn receiver_flushed(archiver *a)
{
    PGresult *res = exec_ok(a, "SELECT max(flush_lsn)::text FROM pg_stat_replication WHERE "
                               "application_name = '" APP_NAME "'",
                            PGRES_TUPLES_OK);
    wal_lsn flushed = 0;
    if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        wal_lsn_parse(PQgetvalue(res, 0, 0), &flushed);
    PQclear(res);
    return flushed;
}

/* One tick; true when the WAL had moved past what was sealed. */
static bool tick(archiver *a)
{
    int64_t t = 0;
    wal_lsn current = 0, flushed = 0;
    bool sampled = primary_sample(a, &t, &current, &flushed);
    if (sampled) {
        if (a->nsamples == NSAMPLES) {
            memmove(a->samples, a->samples + 1, (NSAMPLES - 1) * sizeof a->samples[0]);
            a->nsamples--;
        }
        a->samples[a->nsamples++] = (wal_sample){.t_ms = t, .lsn = current};
    }
    /* `sealed` from an earlier run may lie on another timeline (a failover
     * since): until this run has sealed from this primary's own stream,
     * no sample counts and the first tick seals. */
    bool moved = sampled && (current > a->sealed || !a->sealed_here);
    /* pg_receivewal flushes within milliseconds of the primary's write
     * (--synchronous): waiting for it lets this seal cover the sample
     * just taken instead of the one a tick ago. */
    for (int64_t until = now_ms() + FLUSH_WAIT_MS;
         moved && flushed > 0 && flushed < current && now_ms() < until && a->pg;) {
        nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
        flushed = receiver_flushed(a);
    }
    bool grows = flushed > a->sealed || (!a->sealed_here && flushed > 0 && flushed == a->sealed);
    if (moved && grows && seal_spool(a, flushed)) {
        a->sealed = flushed;
        a->sealed_here = true;
        a->error[0] = '\0';
    }
    /* Only samples at or below the sealed position count (wal.h): an idle
     * primary's newest sample does, without anything sealed again. */
    if (a->sealed_here)
        a->restorable_ms =
            wal_restorable_ms(a->samples, a->nsamples, a->sealed, a->restorable_ms);
    write_status(a);
    return moved;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (!stopping && !kicked && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    kicked = 0;
}

int cmd_archive(const opts *o)
{
    /* First: a kick that arrives early must not end it (SIGUSR1's default). */
    struct sigaction ka = {.sa_handler = on_kick};
    sigaction(SIGUSR1, &ka, NULL);
    if (!o->host || !o->port || !o->user || !o->spool || !o->out || !o->status ||
        (o->key_id && !o->kms))
        return failf(EXIT_USAGE, "archive needs --host --port --user --spool --out --status",
                     NULL);
    if (!fs_mkdir_p(o->spool, 0700) || !fs_mkdir_p(o->out, 0700))
        return failf(EXIT_FAIL, "cannot make the spool or the archive", strerror(errno));
    char *lockp = xasprintf("%s/.lock", o->spool);
    int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lockp);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0)
        return failf(EXIT_FAIL, "another archiver holds the spool", o->spool);
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    archiver a = {.o = o, .receiver = -1};
    a.kc = (kmsclient){.endpoint = o->kms, .key_ref = o->key_id};
    a.conninfo = xasprintf("host=%s port=%s user=%s application_name=" APP_NAME
                           " connect_timeout=5",
                           o->host, o->port, o->user);
    a.receiver_log = xasprintf("%s.receivewal.log", o->status);
    /* Where an earlier run got to, so the restorable time never goes back. */
    size_t len = 0;
    char *prev = fs_read_all(o->status, 4096, &len);
    cJSON *po = prev ? cJSON_Parse(prev) : NULL;
    free(prev);
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(po, "restorable_ms");
    const cJSON *gp = cJSON_GetObjectItemCaseSensitive(po, "gaps");
    if (cJSON_IsNumber(rm))
        a.restorable_ms = (int64_t)rm->valuedouble;
    if (cJSON_IsNumber(gp))
        a.gaps = gp->valueint;
    /* Nor does the store shrink: a partial segment is sealed again only
     * once pg_receivewal, resuming at the segment's start, is past it. */
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(po, "sealed_lsn");
    if (cJSON_IsString(sl))
        wal_lsn_parse(sl->valuestring, &a.sealed);
    cJSON_Delete(po);
    int active = o->interval_ms > 0 ? o->interval_ms : ACTIVE_MS;
    int idle = active > IDLE_MS ? active : IDLE_MS;
    int64_t next_start = 0;
    while (!stopping) {
        receiver_reap(&a);
        if (a.receiver <= 0 && now_ms() >= next_start) {
            receiver_start(&a);
            next_start = now_ms() + 500;
        }
        sleep_ms(tick(&a) ? active : idle);
    }
    if (a.receiver > 0) {
        kill(a.receiver, SIGTERM);
        wait_ok(a.receiver);
    }
    PQfinish(a.pg);
    free(a.conninfo);
    free(a.receiver_log);
    close(lock);
    return EXIT_OK;
}
