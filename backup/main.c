/* rds-backup: moves a database's bytes between PostgreSQL and the region's
 * backup store, always through lib/envelope.c (AES-256-GCM under a fresh
 * data key wrapped by the region's KMS, or SHA-256 checksummed when the
 * instance is not encrypted). The controlplane and the agents run it as a
 * child so that their event loops never block on a backup.
 *
 *   rds-backup snapshot --host A --port P --user U --out FILE
 *                       [--kms URL --key-id ARN] [--pg-bindir DIR]
 *       pg_basebackup -D - -Ft -X fetch (password: PGPASSWORD) sealed into
 *       FILE (written as FILE.tmp.<pid>, fsynced, renamed).
 *   rds-backup copy --in SRC --out DST [--kms URL] [--key-id ARN]
 *       re-seals SRC: under --key-id if given, else under SRC's own key
 *       (plain stays plain).
 *   rds-backup restore --in FILE --data DIR [--kms URL] [--owner UID:GID]
 *       opens FILE into `tar -x` in DIR.restoring, and only once every
 *       chunk and the trailer verified, renames it to DIR; on any failure
 *       DIR.restoring is removed and DIR never appears. Run as root with
 *       --owner, it becomes that user once FILE is open (setgroups,
 *       setgid, setuid): tar, the replay and the rename run as the owner,
 *       whose files they make (no chown -R). Not root: chown -R to
 *       --owner as before.
 *
 *   rds-backup restore ... --wal-dir DIR --target-time T
 *       then replays the archive onto it up to T (backup/pitr.c) before
 *       the rename.
 *   rds-backup open --in OBJ --out FILE [--kms URL]
 *       one object's verified payload into FILE (an operator's tool; the
 *       PITR benchmark's baseline).
 *   rds-backup snapshot ... --info FILE
 *       also writes the backup's WAL start/end points and timeline (JSON).
 *   rds-backup archive --host A --port P --user U --spool DIR --out WALDIR
 *                      --status FILE [--kms URL --key-id ARN]
 *       continuous WAL archiving until SIGTERM (backup/archive.c).
 *
 * Exit status: 0 done, 1 failed, 3 the KMS key is not accessible
 * (disabled, pending deletion, deleted), 4 the object is corrupt or
 * truncated. One line on stderr says why. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup/archive.h"
#include "backup/common.h"
#include "backup/pitr.h"
#include "lib/envelope.h"
#include "lib/fsutil.h"
#include "lib/kmsclient.h"
#include "lib/util.h"
#include "lib/wal.h"

/* --info FILE: {"start_lsn", "end_lsn", "timeline"} from pg_basebackup's
 * verbose stderr, written atomically. */
static bool write_info(const char *errpath, const char *info)
{
    size_t len = 0;
    char *text = fs_read_all(errpath, 1 << 20, &len);
    wal_lsn start = 0, end = 0;
    uint32_t tli = 0;
    bool ok = text && wal_basebackup_points(text, &start, &end, &tli);
    free(text);
    if (!ok)
        return false;
    char a[24], b[24];
    char *json = xasprintf("{\"start_lsn\":\"%s\",\"end_lsn\":\"%s\",\"timeline\":%u}\n",
                           wal_lsn_format(start, a, sizeof a), wal_lsn_format(end, b, sizeof b),
                           tli);
    ok = fs_write_atomic(info, json, strlen(json), 0600);
    free(json);
    return ok;
}

static int cmd_snapshot(const opts *o)
{
    if (!o->host || !o->port || !o->user || !o->out || (o->key_id && !o->kms))
        return failf(EXIT_USAGE, "snapshot needs --host --port --user --out", NULL);
    remove_stale(o->out);
    char *bindir = o->bindir ? xstrdup(o->bindir) : default_bindir();
    char *prog = xasprintf("%s/pg_basebackup", bindir);
    const char *argv[] = {prog, "-h", o->host, "-p", o->port, "-U", o->user,
                    "-D", "-", "-F", "t", "-X", "fetch", "--checkpoint=fast", "--no-password",
                    o->info ? "--verbose" : NULL, NULL};
    /* With --info, pg_basebackup's stderr goes to a file we read back for
     * the backup's WAL start and end points. */
    char *errpath = o->info ? xasprintf("%s.err.tmp.%ld", o->out, (long)getpid()) : NULL;
    int saved_err = -1;
    if (errpath) {
        int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        saved_err = efd >= 0 ? dup(2) : -1;
        if (efd >= 0) {
            dup2(efd, 2);
            close(efd);
        }
    }
    int in = -1;
    pid_t pid = spawn_piped(argv, 1, &in);
    if (saved_err >= 0) {
        dup2(saved_err, 2);
        close(saved_err);
    }
    free(prog);
    free(bindir);
    if (pid < 0)
        return failf(EXIT_FAIL, "cannot run pg_basebackup", strerror(errno));
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    kmsclient kc = {.endpoint = o->kms, .key_ref = o->key_id};
    envelope_opts eo = {.wrap = o->key_id ? kmsclient_wrap : NULL, .wrap_ctx = &kc,
                        .chunk_size = BACKUP_IO_SIZE};
    envelope_status st = out < 0 ? ENVELOPE_IO
                                 : envelope_seal(&eo, envelope_source_fd, &in, envelope_sink_fd,
                                                 &out, NULL);
    if (st != ENVELOPE_OK)
        kill(pid, SIGKILL);
    close(in);
    bool child_ok = wait_ok(pid);
    int code = EXIT_OK;
    if (st != ENVELOPE_OK)
        code = failf(status_exit(st), "cannot seal the backup",
                     kc.error[0] ? kc.error : envelope_status_name(st));
    else if (!child_ok)
        code = failf(EXIT_FAIL, "pg_basebackup failed", NULL);
    else if (o->info && !write_info(errpath, o->info))
        code = failf(EXIT_FAIL, "pg_basebackup did not report its WAL points", errpath);
    else if (!publish(out, tmp, o->out))
        code = failf(EXIT_FAIL, "cannot write", o->out);
    else
        out = -1;
    if (code != EXIT_OK) {
        if (out >= 0)
            close(out);
        unlink(tmp);
    }
    if (errpath)
        unlink(errpath);
    free(errpath);
    free(tmp);
    return code;
}

/* The copy's wrap: the source's key unless --key-id was given. */
typedef struct {
    envelope_reader *r;
    envelope_status st;
} reader_src;

static bool source_reader(void *ctx, void *buf, size_t cap, size_t *got)
{
    reader_src *s = ctx;
    ssize_t n = envelope_reader_read(s->r, buf, cap, &s->st);
    if (n < 0)
        return false;
    *got = (size_t)n;
    return true;
}

static int cmd_copy(const opts *o)
{
    if (!o->in || !o->out)
        return failf(EXIT_USAGE, "copy needs --in --out", NULL);
    remove_stale(o->out);
    int in = open(o->in, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return failf(EXIT_FAIL, "cannot open", o->in);
    kmsclient rk = {.endpoint = o->kms};
    envelope_status st = ENVELOPE_OK;
    reader_src rs = {.st = ENVELOPE_OK};
    rs.r = envelope_reader_new(envelope_source_fd, &in, o->kms ? kmsclient_unwrap : NULL, &rk,
                               &st);
    if (!rs.r) {
        close(in);
        return failf(status_exit(st), "cannot open the source", envelope_status_name(st));
    }
    const char *key = o->key_id ? o->key_id
                                : (envelope_reader_encrypted(rs.r) ? envelope_reader_key_id(rs.r)
                                                                   : NULL);
    kmsclient wk = {.endpoint = o->kms, .key_ref = key};
    envelope_opts eo = {.wrap = key ? kmsclient_wrap : NULL, .wrap_ctx = &wk,
                        .chunk_size = BACKUP_IO_SIZE};
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    st = out < 0 ? ENVELOPE_IO
                 : envelope_seal(&eo, source_reader, &rs, envelope_sink_fd, &out, NULL);
    if (rs.st != ENVELOPE_OK)
        st = rs.st;
    envelope_reader_free(rs.r);
    close(in);
    int code = st == ENVELOPE_OK ? EXIT_OK
                                 : failf(status_exit(st), "cannot copy",
                                         wk.error[0] ? wk.error : envelope_status_name(st));
    return finish_object(code, out, tmp, o->out);
}

/* open --in OBJ --out FILE: one object's verified payload into FILE. */
static int cmd_open(const opts *o)
{
    if (!o->in || !o->out)
        return failf(EXIT_USAGE, "open needs --in --out", NULL);
    int in = open(o->in, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return failf(EXIT_FAIL, "cannot open", o->in);
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    kmsclient kc = {.endpoint = o->kms};
    envelope_status st = out < 0 ? ENVELOPE_IO
                                 : envelope_open(envelope_source_fd, &in,
                                                 o->kms ? kmsclient_unwrap : NULL, &kc,
                                                 envelope_sink_fd, &out, NULL);
    close(in);
    int code = st == ENVELOPE_OK ? EXIT_OK
                                 : failf(status_exit(st), "the object does not verify",
                                         kc.error[0] ? kc.error : envelope_status_name(st));
    return finish_object(code, out, tmp, o->out);
}

static int cmd_restore(const opts *o)
{
    if (!o->in || !o->data || (o->wal_dir != NULL) != (o->target_time != NULL))
        return failf(EXIT_USAGE, "restore needs --in --data (and --wal-dir with --target-time)",
                     NULL);
    long ou = -1, og = -1;
    if (o->owner && (sscanf(o->owner, "%ld:%ld", &ou, &og) != 2 || ou < 0 || og < 0))
        return failf(EXIT_USAGE, "--owner is UID:GID", o->owner);
    int in = open(o->in, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return failf(EXIT_FAIL, "cannot open", o->in);
    /* The backup store is root's, the data directory the pg user's: from
     * here on this process is the owner (backup/common.h), so nothing the
     * pg user planted, nor any tar member (a symlink, a ../ path), can make
     * it write where the pg user could not. */
    bool as_owner = o->owner && geteuid() == 0;
    if (as_owner && !drop_to_owner((uid_t)ou, (gid_t)og)) {
        close(in);
        return EXIT_FAIL;
    }
    if (fs_exists(o->data)) {
        close(in);
        return failf(EXIT_FAIL, "the data directory already exists", o->data);
    }
    char *tmp = xasprintf("%s.restoring", o->data);
    fs_rm_rf(tmp);
    /* A point-in-time restore opens the WAL while tar extracts the base. */
    pitr_prefetch pf = {.pid = -1};
    int code = o->wal_dir ? pitr_prefetch_start(o, o->data, &pf) : EXIT_OK;
    if (code != EXIT_OK) {
        ; /* said */
    } else if (mkdir(tmp, 0700) != 0) {
        code = failf(EXIT_FAIL, "cannot make", tmp);
    } else {
        const char *argv[] = {"/bin/tar", "-x", "-f", "-", "-C", tmp, NULL};
        int sink = -1;
        pid_t pid = spawn_piped(argv, 0, &sink);
        kmsclient kc = {.endpoint = o->kms};
        envelope_status st = pid < 0 ? ENVELOPE_IO
                                     : envelope_open(envelope_source_fd, &in,
                                                     o->kms ? kmsclient_unwrap : NULL, &kc,
                                                     envelope_sink_fd, &sink, NULL);
        if (sink >= 0)
            close(sink);
        bool tar_ok = pid > 0 && wait_ok(pid);
        if (st != ENVELOPE_OK)
            code = failf(status_exit(st), "the backup does not verify",
                         kc.error[0] ? kc.error : envelope_status_name(st));
        else if (!tar_ok)
            code = failf(EXIT_FAIL, "tar failed", NULL);
        else if (o->wal_dir && (code = pitr_recover(o, tmp, o->data, &pf)) != EXIT_OK)
            ; /* pitr_recover said why */
        else if (o->owner && !as_owner &&
                 !run_ok((const char *[]){"/bin/chown", "-R", o->owner, tmp, NULL}))
            code = failf(EXIT_FAIL, "chown failed", o->owner);
        else if (rename(tmp, o->data) != 0)
            code = failf(EXIT_FAIL, "cannot rename", strerror(errno));
    }
    if (pf.pid > 0) /* pitr_recover took it, unless the base failed first */
        pitr_prefetch_abort(&pf, o->data);
    if (code != EXIT_OK)
        fs_rm_rf(tmp);
    close(in);
    free(tmp);
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return failf(EXIT_USAGE, "usage: rds-backup snapshot|copy|restore ...", NULL);
    opts o = {0};
    static const struct option lo[] = {
        {"host", required_argument, 0, 'h'},  {"port", required_argument, 0, 'p'},
        {"user", required_argument, 0, 'U'},  {"out", required_argument, 0, 'o'},
        {"in", required_argument, 0, 'i'},    {"data", required_argument, 0, 'd'},
        {"kms", required_argument, 0, 'k'},   {"key-id", required_argument, 0, 'K'},
        {"pg-bindir", required_argument, 0, 'b'}, {"owner", required_argument, 0, 'O'},
        {"info", required_argument, 0, 'I'},  {"wal-dir", required_argument, 0, 'w'},
        {"target-time", required_argument, 0, 't'}, {"spool", required_argument, 0, 's'},
        {"status", required_argument, 0, 'S'}, {"interval-ms", required_argument, 0, 'n'},
        {0, 0, 0, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'h': o.host = optarg; break;
        case 'p': o.port = optarg; break;
        case 'U': o.user = optarg; break;
        case 'o': o.out = optarg; break;
        case 'i': o.in = optarg; break;
        case 'd': o.data = optarg; break;
        case 'k': o.kms = optarg; break;
        case 'K': o.key_id = optarg; break;
        case 'b': o.bindir = optarg; break;
        case 'O': o.owner = optarg; break;
        case 'I': o.info = optarg; break;
        case 'w': o.wal_dir = optarg; break;
        case 't': o.target_time = optarg; break;
        case 's': o.spool = optarg; break;
        case 'S': o.status = optarg; break;
        case 'n': o.interval_ms = atoi(optarg); break;
        default: return EXIT_USAGE;
        }
    }
    if (strcmp(argv[1], "snapshot") == 0)
        return cmd_snapshot(&o);
    if (strcmp(argv[1], "copy") == 0)
        return cmd_copy(&o);
    if (strcmp(argv[1], "restore") == 0)
        return cmd_restore(&o);
    if (strcmp(argv[1], "archive") == 0)
        return cmd_archive(&o);
    if (strcmp(argv[1], "open") == 0)
        return cmd_open(&o);
    return failf(EXIT_USAGE, "unknown command", argv[1]);
}
