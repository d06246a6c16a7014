/* pitr: the point-in-time part of `rds-backup restore --wal-dir DIR
 * --target-time T`, run on a base backup already extracted into the
 * restore's temporary data directory.
 *
 *  1. backup_label names the first segment the base backup needs; the
 *     history files, then — in a child, while PostgreSQL already replays —
 *     every archived segment from there on (all timelines, in order) are
 *     opened (verified, decrypted) into DATA.wal, a sibling directory the
 *     pg user owns; a partial segment is zero-padded to a whole one, as
 *     PostgreSQL wants. restore_command waits for a segment not there yet
 *     and hard-links it into pg_wal.
 *  2. PostgreSQL itself replays: postgres runs as the pg user on the
 *     directory with recovery.signal and only command-line settings
 *     (restore_command copies from DATA.wal, recovery_target_time T,
 *     inclusive, timeline latest, action promote, no TCP, no sync
 *     standby), so no configuration file is touched.
 *  3. Once recovery.signal is gone and pg_controldata says "in
 *     production", the new timeline is promoted;
 *     a fast shutdown leaves a clean data directory, and DATA.wal goes.
 * When the archive holds no commit stamped after the target, PostgreSQL
 * refuses ("recovery ended before configured recovery target was
 * reached"), though every commit there is then at or before the target:
 * the replay is run again without a target, to the archive's end. Any
 * other stop (a file missing) fails the restore with PostgreSQL's last
 * FATAL line. */
#include "backup/pitr.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup/source.h"
#include "lib/envelope.h"
#include "lib/fsutil.h"
#include "lib/kmsclient.h"
#include "lib/util.h"
#include "lib/wal.h"

/* Who the files and PostgreSQL belong to (--owner), when running as root. */
typedef struct {
    uid_t uid;
    gid_t gid;
    bool drop;
} owner_ids;

/* "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)" */
static bool label_start_segno(const char *data, uint64_t *segno)
{
    char *path = xasprintf("%s/backup_label", data);
    size_t len = 0;
    char *text = fs_read_all(path, 64 * 1024, &len);
    free(path);
    if (!text)
        return false;
    const char *p = strstr(text, "(file ");
    uint32_t tli = 0;
    char name[WAL_NAME_LEN + 1] = "";
    if (p && strlen(p) > 6 + WAL_NAME_LEN) {
        memcpy(name, p + 6, WAL_NAME_LEN);
        name[WAL_NAME_LEN] = '\0';
    }
    free(text);
    return wal_file_parse(name, NULL, &tli, segno) == WAL_FILE_SEGMENT;
}

/* Opens one sealed object into path (the whole of it, or nothing). */
static int open_object(const char *src, const char *dst, bool pad, const char *kms,
                       const owner_ids *own)
{
    source in_src;
    int opened = source_open(src, &in_src);
    if (opened != EXIT_OK)
        return opened;
    int in = in_src.fd;
    char *tmp = xasprintf("%s.tmp", dst);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    kmsclient kc = {.endpoint = kms};
    envelope_status st = out < 0 ? ENVELOPE_IO
                                 : envelope_open(envelope_source_fd, &in,
                                                 kms ? kmsclient_unwrap : NULL, &kc,
                                                 envelope_sink_fd, &out, NULL);
    int code = source_close(&in_src); /* a cut download: said by the downloader */
    if (code != EXIT_OK)
        ;
    else if (st != ENVELOPE_OK)
        code = failf(status_exit(st), "an archived WAL file does not verify",
                     kc.error[0] ? kc.error : src);
    else if (pad && ftruncate(out, WAL_SEG_SIZE) != 0)
        code = failf(EXIT_FAIL, "cannot pad", tmp);
    else if (own->drop && fchown(out, own->uid, own->gid) != 0)
        code = failf(EXIT_FAIL, "cannot chown", tmp);
    if (out >= 0 && close(out) != 0 && code == EXIT_OK)
        code = failf(EXIT_FAIL, "cannot write", tmp);
    if (code == EXIT_OK && rename(tmp, dst) != 0)
        code = failf(EXIT_FAIL, "cannot rename", strerror(errno));
    if (code != EXIT_OK)
        unlink(tmp);
    free(tmp);
    return code;
}

typedef struct {
    char name[64];       /* the object's name, with ".env" */
    wal_file_kind kind;
    uint32_t tli;
    uint64_t segno;
} wal_object;

static int object_cmp(const void *x, const void *y)
{
    const wal_object *a = x, *b = y;
    if ((a->kind == WAL_FILE_HISTORY) != (b->kind == WAL_FILE_HISTORY))
        return a->kind == WAL_FILE_HISTORY ? -1 : 1;
    if (a->segno != b->segno)
        return a->segno < b->segno ? -1 : 1;
    return a->tli < b->tli ? -1 : a->tli > b->tli;
}

/* Step 1: the archive's files the restore may need, into waldir, in the
 * order recovery asks for them: the history files (histories true), or
 * the segments from `first` on (false). Each appears whole (renamed into
 * place) and owned by the pg user. */
/* The archive's object names: its directory's entries, or (a URL) the
 * controlplane's listing {"objects": [...]}. NULL when unreadable (said);
 * else a NULL-terminated array the caller frees with free_names. */
static char **archive_names(const char *wal_dir)
{
    char **names = NULL;
    size_t n = 0;
    if (source_is_url(wal_dir)) {
        char *url = xasprintf("%s/", wal_dir);
        char *body = source_get(url, 16 * 1024 * 1024);
        free(url);
        cJSON *j = body ? cJSON_Parse(body) : NULL;
        free(body);
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "objects");
        if (!cJSON_IsArray(arr)) {
            cJSON_Delete(j);
            failf(EXIT_FAIL, "cannot read the WAL archive's listing", NULL);
            return NULL;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) && !strchr(it->valuestring, '/'))
        {
            names = xrealloc(names, (n + 2) * sizeof *names);
            names[n++] = xstrdup(it->valuestring);
        }
        cJSON_Delete(j);
    } else {
        store_access(true);
        DIR *d = opendir(wal_dir);
        store_access(false);
        if (!d) {
            failf(EXIT_FAIL, "cannot read the WAL archive", wal_dir);
            return NULL;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            names = xrealloc(names, (n + 2) * sizeof *names);
            names[n++] = xstrdup(e->d_name);
        }
        closedir(d);
    }
    names = xrealloc(names, (n + 1) * sizeof *names);
    names[n] = NULL;
    return names;
}

static void free_names(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

static bool has_name(char *const *names, const char *name)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static int fetch_wal(const opts *o, uint64_t first, const char *waldir, bool histories,
                     const owner_ids *own)
{
    char **names = archive_names(o->wal_dir);
    if (!names)
        return EXIT_FAIL;
    wal_object *objs = NULL;
    int n = 0;
    for (size_t i = 0; names[i]; i++) {
        wal_object w = {0};
        w.kind = wal_file_parse(names[i], ".env", &w.tli, &w.segno);
        if (w.kind == WAL_FILE_OTHER || strlen(names[i]) >= sizeof w.name ||
            histories != (w.kind == WAL_FILE_HISTORY) || (!histories && w.segno < first))
            continue;
        snprintf(w.name, sizeof w.name, "%s", names[i]);
        objs = xrealloc(objs, (size_t)(n + 1) * sizeof *objs);
        objs[n++] = w;
    }
    if (n > 1) /* qsort's array must not be NULL, even for 0 elements */
        qsort(objs, (size_t)n, sizeof *objs, object_cmp);
    int code = EXIT_OK;
    for (int i = 0; i < n && code == EXIT_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(objs[i].name) - 4), objs[i].name);
        if (objs[i].kind == WAL_FILE_PARTIAL) {
            name[WAL_NAME_LEN] = '\0';
            /* A directory is asked now (a segment completed since the
             * scan wins over its partial, as before); a URL's listing is
             * the one taken above. */
            char *whole = xasprintf("%s.env", name);
            bool have_whole = has_name(names, whole);
            if (!have_whole && !source_is_url(o->wal_dir)) {
                char *path = xasprintf("%s/%s", o->wal_dir, whole);
                store_access(true);
                have_whole = fs_exists(path);
                store_access(false);
                free(path);
            }
            free(whole);
            if (have_whole)
                continue;
        }
        char *src = xasprintf("%s/%s", o->wal_dir, objs[i].name);
        char *dst = xasprintf("%s/%s", waldir, name);
        code = open_object(src, dst, objs[i].kind == WAL_FILE_PARTIAL, o->kms, own);
        free(src);
        free(dst);
    }
    free(objs);
    free_names(names);
    return code;
}

/* The segments, in a child, while PostgreSQL replays what has arrived:
 * ".done" or ".failed" in waldir says when it is over. */
static pid_t fetch_spawn(const opts *o, uint64_t first, const char *waldir,
                         const owner_ids *own)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int code = fetch_wal(o, first, waldir, false, own);
        char *mark = xasprintf("%s/%s", waldir, code == EXIT_OK ? ".done" : ".failed");
        fs_write_atomic(mark, "", 0, 0644);
        _exit(code);
    }
    return pid;
}

static bool controldata_in_production(const char *bindir, const char *data)
{
    char *cmd = xasprintf("'%s/pg_controldata' '%s' 2>/dev/null", bindir, data);
    FILE *f = popen(cmd, "r");
    free(cmd);
    bool prod = false;
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "Database cluster state:") && strstr(line, "in production"))
            prod = true;
    if (f)
        pclose(f);
    return prod;
}

/* The last FATAL or PANIC line of PostgreSQL's log, for the failure. */
static char *last_fatal(const char *log)
{
    size_t len = 0;
    char *text = fs_read_all(log, 1 << 20, &len);
    char *found = NULL;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
        if (strstr(line, "FATAL:") || strstr(line, "PANIC:")) {
            free(found);
            found = xstrdup(line);
        }
    free(text);
    return found ? found : xstrdup("PostgreSQL stopped before the target");
}

static pid_t spawn_postgres(const opts *o, const char *bindir, const char *data,
                            const char *waldir, const char *sockdir, const char *log,
                            uid_t uid, gid_t gid, bool drop, bool with_target)
{
    /* A segment the fetcher has not opened yet is waited for; one it
     * never will (past the archive's end) fails, as recovery expects. A
     * hard link saves copying every segment once more. */
    char *restore = xasprintf("restore_command=f='%s/%%f'; until [ -e \"$f\" ] || "
                              "[ -e '%s/.done' ] || [ -e '%s/.failed' ]; do sleep 0.02; done; "
                              "ln -f \"$f\" '%%p' 2>/dev/null || cp \"$f\" '%%p'",
                              waldir, waldir, waldir);
    /* Without a target: replay all there is (see pitr_recover). */
    char *target = with_target ? xasprintf("recovery_target_time=%s", o->target_time)
                               : xstrdup("recovery_target_inclusive=on");
    char *sock = xasprintf("unix_socket_directories=%s", sockdir);
    char *prog = xasprintf("%s/postgres", bindir);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (drop && fchown(fd, uid, gid) != 0)
                _exit(126);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (drop && (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
            _exit(126);
        execl(prog, prog, "-D", data, "-c", "listen_addresses=", "-c", sock, "-c", restore,
              "-c", target, "-c", "recovery_target_inclusive=on", "-c",
              "recovery_target_timeline=latest", "-c", "recovery_target_action=promote", "-c",
              "synchronous_standby_names=", "-c", "archive_mode=off", "-c",
              "logging_collector=off", "-c", "ssl=off", "-c", "hot_standby=off", "-c",
              "shared_preload_libraries=", (char *)NULL);
        _exit(127);
    }
    free(restore);
    free(target);
    free(sock);
    free(prog);
    return pid;
}

/* The fetcher's exit code once it ended (blocking when wait is true), or
 * -1 while it runs. */
static int fetch_status(pid_t *fetcher, int *code, bool wait)
{
    if (*fetcher > 0) {
        int st = 0;
        pid_t got;
        while ((got = waitpid(*fetcher, &st, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
            ;
        if (got == *fetcher) {
            *code = WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;
            *fetcher = -1;
        }
    }
    return *fetcher > 0 ? -1 : *code;
}

static bool owner_parse(const opts *o, owner_ids *own)
{
    *own = (owner_ids){0};
    if (!o->owner)
        return true;
    long u = -1, g = -1;
    if (sscanf(o->owner, "%ld:%ld", &u, &g) != 2 || u < 0 || g < 0)
        return false;
    *own = (owner_ids){.uid = (uid_t)u, .gid = (gid_t)g, .drop = geteuid() == 0};
    return true;
}

/* The base's first segment from its info file ({"start_lsn": "X/Y"}),
 * which lies in the backup store beside it. */
static bool info_start_segno(const char *in, uint64_t *segno)
{
    if (source_is_url(in))
        return false; /* not served: the fetch starts from backup_label */
    char *path = xasprintf("%s.json", in);
    size_t len = 0;
    store_access(true);
    char *text = fs_read_all(path, 64 * 1024, &len);
    store_access(false);
    free(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(j, "start_lsn");
    wal_lsn lsn = 0;
    bool ok = cJSON_IsString(sl) && wal_lsn_parse(sl->valuestring, &lsn);
    cJSON_Delete(j);
    if (ok)
        *segno = wal_segno(lsn);
    return ok;
}

/* DATA.wal made afresh, with the history files; then the segments from
 * `first` on by a child. */
static int fetch_begin(const opts *o, const char *waldir, uint64_t first, const owner_ids *own,
                       pid_t *fetcher)
{
    *fetcher = -1;
    fs_rm_rf(waldir);
    int code = EXIT_OK;
    if (mkdir(waldir, 0700) != 0 || (own->drop && chown(waldir, own->uid, own->gid) != 0))
        code = failf(EXIT_FAIL, "cannot make", waldir);
    if (code == EXIT_OK)
        code = fetch_wal(o, first, waldir, true, own);
    if (code == EXIT_OK && (*fetcher = fetch_spawn(o, first, waldir, own)) < 0)
        code = failf(EXIT_FAIL, "cannot fork", strerror(errno));
    return code;
}

static void fetch_stop(pid_t *fetcher)
{
    if (*fetcher > 0) {
        kill(*fetcher, SIGKILL);
        int code = EXIT_OK;
        fetch_status(fetcher, &code, true);
    }
}

int pitr_prefetch_start(const opts *o, const char *final_data, pitr_prefetch *pf)
{
    pf->pid = -1;
    owner_ids own;
    if (!owner_parse(o, &own))
        return failf(EXIT_USAGE, "--owner is UID:GID", o->owner);
    if (!info_start_segno(o->in, &pf->first))
        return EXIT_OK; /* pitr_recover starts it from backup_label */
    char *waldir = xasprintf("%s.wal", final_data);
    int code = fetch_begin(o, waldir, pf->first, &own, &pf->pid);
    if (code != EXIT_OK) {
        fetch_stop(&pf->pid);
        fs_rm_rf(waldir);
    }
    free(waldir);
    return code;
}

void pitr_prefetch_abort(pitr_prefetch *pf, const char *final_data)
{
    fetch_stop(&pf->pid);
    char *waldir = xasprintf("%s.wal", final_data);
    fs_rm_rf(waldir);
    free(waldir);
}

int pitr_recover(const opts *o, const char *data, const char *final_data, pitr_prefetch *pf)
{
    uint64_t first = 0;
    if (!label_start_segno(data, &first)) {
        pitr_prefetch_abort(pf, final_data);
        return failf(EXIT_CORRUPT, "the base backup has no usable backup_label", data);
    }
    owner_ids own;
    if (!owner_parse(o, &own)) {
        pitr_prefetch_abort(pf, final_data);
        return failf(EXIT_USAGE, "--owner is UID:GID", o->owner);
    }
    char *waldir = xasprintf("%s.wal", final_data);
    char *log = xasprintf("%s.recovery.log", final_data);
    char sockdir[] = "/tmp/rdsim-pitr-XXXXXX";
    int code = EXIT_OK;
    /* The fetch started beside tar -x serves only if it starts where the
     * base backup's own label says. */
    pid_t fetcher = pf->pid;
    pf->pid = -1;
    if (fetcher > 0 && pf->first != first) {
        fetch_stop(&fetcher);
        fetcher = -1;
    }
    if (fetcher < 0)
        code = fetch_begin(o, waldir, first, &own, &fetcher);
    /* A base backup of a standby carries its standby.signal: PostgreSQL
     * would then recover in standby mode and never finish. */
    char *standby_signal = xasprintf("%s/standby.signal", data);
    unlink(standby_signal);
    free(standby_signal);
    char *signal_path = xasprintf("%s/recovery.signal", data);
    if (code == EXIT_OK && !fs_write_atomic(signal_path, "", 0, 0600))
        code = failf(EXIT_FAIL, "cannot write", signal_path);
    if (code == EXIT_OK && !mkdtemp(sockdir))
        code = failf(EXIT_FAIL, "cannot make a socket directory", strerror(errno));
    if (code == EXIT_OK && own.drop &&
        (!run_ok((const char *[]){"/bin/chown", "-R", o->owner, data, NULL}) ||
         chown(sockdir, own.uid, own.gid) != 0))
        code = failf(EXIT_FAIL, "chown failed", o->owner);
    int fetched = EXIT_OK;
    char *bindir = o->bindir ? xstrdup(o->bindir) : default_bindir();
    bool with_target = true;
    pid_t pid = code == EXIT_OK ? spawn_postgres(o, bindir, data, waldir, sockdir, log, own.uid,
                                                 own.gid, own.drop, with_target)
                                : -1;
    if (code == EXIT_OK && pid < 0)
        code = failf(EXIT_FAIL, "cannot run postgres", strerror(errno));
    bool promoted = false;
    while (code == EXIT_OK && !promoted) {
        int status = 0;
        int f = fetch_status(&fetcher, &fetched, false);
        if (f > 0) {
            code = f; /* the fetcher said why on stderr */
            break;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            char *why = last_fatal(log);
            /* The archive ends before any commit stamped after the target:
             * every commit it holds is at or before the target, so all of
             * it is exactly what the target asks. Replay it all (the same
             * directory resumes from its last restartpoint) — only when
             * every segment opened, or the end was a failure. */
            if (with_target && strstr(why, "before configured recovery target was reached") &&
                fetch_status(&fetcher, &fetched, true) == EXIT_OK) {
                free(why);
                with_target = false;
                pid = spawn_postgres(o, bindir, data, waldir, sockdir, log, own.uid, own.gid,
                                     own.drop, with_target);
                if (pid < 0)
                    code = failf(EXIT_FAIL, "cannot run postgres", strerror(errno));
                continue;
            }
            int fc = fetch_status(&fetcher, &fetched, true);
            code = fc > 0 ? fc : failf(EXIT_FAIL, "the recovery failed", why);
            free(why);
            break;
        }
        /* PostgreSQL removes recovery.signal at the end of recovery; a
         * primary's base backup says "in production" from the start. */
        promoted = !fs_exists(signal_path) && controldata_in_production(bindir, data);
        if (!promoted)
            nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    }
    if (pid > 0) {
        kill(pid, promoted ? SIGINT : SIGKILL); /* fast shutdown: a clean stop */
        if (!wait_ok(pid) && code == EXIT_OK)
            code = failf(EXIT_FAIL, "postgres did not stop cleanly after the recovery", log);
    }
    if (fetcher > 0) {
        kill(fetcher, SIGKILL); /* segments past the target, not needed */
        fetch_status(&fetcher, &fetched, true);
    }
    if (code == EXIT_OK)
        unlink(signal_path);
    if (sockdir[0] && strchr(sockdir, 'X') == NULL)
        fs_rm_rf(sockdir);
    fs_rm_rf(waldir);
    if (code == EXIT_OK)
        unlink(log);
    free(bindir);
    free(signal_path);
    free(waldir);
    free(log);
    return code;
}
