/* rds-backup: moves a database's bytes between PostgreSQL and the region's
 * backup store, always through lib/envelope.c (AES-256-GCM under a fresh
 * data key wrapped by the region's KMS, or SHA-256 checksummed when the
 * instance is not encrypted). The controlplane and the agents run it as a
 * child so that their event loops never block on a backup.
 *
 *   rds-backup snapshot --host A --port P --user U --out FILE
 *                       [--kms URL --key-id ARN]
 *       a base backup taken over the replication protocol
 *       (backup/basebackup.c: the tar of pg_basebackup -D - -Ft -X fetch,
 *       less its manifest; password: PGPASSWORD) sealed into FILE in one
 *       pass (written as FILE.tmp.<pid>, fsynced once, renamed).
 *   rds-backup copy --in SRC --out DST [--kms URL] [--key-id ARN]
 *       re-seals SRC: under --key-id if given, else under SRC's own key
 *       (plain stays plain).
 *   rds-backup restore --in FILE --data DIR [--kms URL] [--owner UID:GID]
 *       (FILE, and --wal-dir below, may be a URL of the controlplane's
 *       restore routes: streamed, backup/source.h; either may instead be
 *       given in the environment, RDSIM_RESTORE_IN and RDSIM_RESTORE_WAL,
 *       which keeps a URL's token out of ps)
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
 *   rds-backup seal --in FILE --out OBJ [--kms URL --key-id ARN]
 *       the inverse: FILE sealed into OBJ (the tests' crafted tars).
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
#include "backup/basebackup.h"
#include "backup/common.h"
#include "backup/pitr.h"
#include "backup/sealpipe.h"
#include "backup/source.h"
#include "lib/envelope.h"
#include "lib/fsutil.h"
#include "lib/kmsclient.h"
#include "lib/util.h"
#include "lib/wal.h"

static char *xstrdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* --info FILE: {"start_lsn", "end_lsn", "timeline"} of the backup just
 * taken, written atomically. */
static bool write_info(const basebackup_result *bb, const char *info)
{
    char a[24], b[24];
    char *json = xasprintf("{\"start_lsn\":\"%s\",\"end_lsn\":\"%s\",\"timeline\":%u}\n",
                           wal_lsn_format(bb->start_lsn, a, sizeof a),
                           wal_lsn_format(bb->end_lsn, b, sizeof b), bb->timeline);
    bool ok = fs_write_atomic(info, json, strlen(json), 0600);
    free(json);
    return ok;
}

/* The base backup's sink: the object's writer (its first failure kept). */
typedef struct {
    envelope_writer *w;
    envelope_status st;
} seal_sink;

static bool seal_write(void *ctx, const void *buf, size_t len)
{
    seal_sink *s = ctx;
    s->st = envelope_writer_write(s->w, buf, len);
    return s->st == ENVELOPE_OK;
}

/* One pass, one process: the server's tar (backup/basebackup.c) is sealed
 * chunk by chunk as it arrives — each payload byte copied once into a
 * chunk-sized block, hashed or encrypted there by the sealing thread
 * (backup/sealpipe.h) — and written to FILE.tmp.<pid> with its writeback
 * started as it goes; fsync and rename once at the end. A
 * run cut short leaves only the tmp file, without its final chunk, which
 * the next run (remove_stale) deletes and no reader accepts. */
static int cmd_snapshot(const opts *o)
{
    if (!o->host || !o->port || !o->user || !o->out || (o->key_id && !o->kms))
        return failf(EXIT_USAGE, "snapshot needs --host --port --user --out", NULL);
    remove_stale(o->out);
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    object_out out = {.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (out.fd < 0) {
        int code = failf(EXIT_FAIL, "cannot create", tmp);
        free(tmp);
        return code;
    }
    kmsclient kc = {.endpoint = o->kms, .key_ref = o->key_id};
    envelope_opts eo = {.wrap = o->key_id ? kmsclient_wrap : NULL, .wrap_ctx = &kc,
                        .chunk_size = BACKUP_IO_SIZE};
    /* The data key first: an inaccessible KMS key fails before the
     * instance does any work. */
    seal_sink ss = {.st = ENVELOPE_OK};
    ss.w = envelope_writer_new(&eo, object_sink, &out, &ss.st);
    basebackup_result bb = {0};
    char why[512] = "";
    int code = EXIT_OK;
    /* Sealing on its own thread (backup/sealpipe.h); where it cannot
     * start, on this one as before. */
    sealpipe *sp = ss.w ? sealpipe_start(ss.w) : NULL;
    bool got = ss.w && basebackup_run(o->host, o->port, o->user, 0,
                                      sp ? sealpipe_write : seal_write, sp ? (void *)sp : &ss,
                                      &bb, why, sizeof why);
    if (sp)
        ss.st = sealpipe_finish(sp, got);
    if (!ss.w)
        code = failf(status_exit(ss.st), "cannot seal the backup",
                     kc.error[0] ? kc.error : envelope_status_name(ss.st));
    else if (!got || ss.st != ENVELOPE_OK)
        code = ss.st != ENVELOPE_OK
                   ? failf(status_exit(ss.st), "cannot seal the backup",
                           envelope_status_name(ss.st))
                   : failf(EXIT_FAIL, why, NULL);
    else if ((ss.st = envelope_writer_finish(ss.w, NULL)) != ENVELOPE_OK)
        code = failf(status_exit(ss.st), "cannot seal the backup", envelope_status_name(ss.st));
    else if (o->info && !write_info(&bb, o->info))
        code = failf(EXIT_FAIL, "cannot write", o->info);
    envelope_writer_free(ss.w);
    return finish_object(code, out.fd, tmp, o->out);
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
    object_out out = {.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    st = out.fd < 0 ? ENVELOPE_IO
                    : envelope_seal(&eo, source_reader, &rs, object_sink, &out, NULL);
    if (rs.st != ENVELOPE_OK)
        st = rs.st;
    envelope_reader_free(rs.r);
    close(in);
    int code = st == ENVELOPE_OK ? EXIT_OK
                                 : failf(status_exit(st), "cannot copy",
                                         wk.error[0] ? wk.error : envelope_status_name(st));
    return finish_object(code, out.fd, tmp, o->out);
}

/* seal --in FILE --out OBJ [--kms URL --key-id ARN]: FILE's bytes sealed
 * into OBJ, the inverse of open (an operator's tool; the tests seal
 * crafted tars with it). */
static int cmd_seal(const opts *o)
{
    if (!o->in || !o->out || (o->key_id && !o->kms))
        return failf(EXIT_USAGE, "seal needs --in --out (and --kms with --key-id)", NULL);
    remove_stale(o->out);
    int in = open(o->in, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return failf(EXIT_FAIL, "cannot open", o->in);
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    object_out out = {.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    kmsclient kc = {.endpoint = o->kms, .key_ref = o->key_id};
    envelope_opts eo = {.wrap = o->key_id ? kmsclient_wrap : NULL, .wrap_ctx = &kc,
                        .chunk_size = BACKUP_IO_SIZE};
    envelope_status st = out.fd < 0 ? ENVELOPE_IO
                                    : envelope_seal(&eo, envelope_source_fd, &in, object_sink,
                                                    &out, NULL);
    close(in);
    int code = st == ENVELOPE_OK ? EXIT_OK
                                 : failf(status_exit(st), "cannot seal",
                                         kc.error[0] ? kc.error : envelope_status_name(st));
    return finish_object(code, out.fd, tmp, o->out);
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
    /* A file is opened before the drop (the store is root's); a URL
     * (backup/source.h) is fetched after it, as the owner: the download
     * needs no privilege. */
    bool url = source_is_url(o->in);
    source src = {.fd = -1, .pid = -1};
    int opened = url ? EXIT_OK : source_open(o->in, &src);
    if (opened != EXIT_OK)
        return opened;
    /* The backup store is root's, the data directory the pg user's: from
     * here on this process is the owner (backup/common.h), so nothing the
     * pg user planted, nor any tar member (a symlink, a ../ path), can make
     * it write where the pg user could not. */
    bool as_owner = o->owner && geteuid() == 0;
    if (as_owner && !drop_to_owner((uid_t)ou, (gid_t)og)) {
        source_close(&src);
        return EXIT_FAIL;
    }
    if (fs_exists(o->data)) {
        source_close(&src);
        return failf(EXIT_FAIL, "the data directory already exists", o->data);
    }
    if (url && (opened = source_open(o->in, &src)) != EXIT_OK)
        return opened;
    int in = src.fd;
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
        /* A download cut short reads as a truncated object: its own
         * failure (said by the downloader) is the one to report. */
        int fetched = source_close(&src);
        if (fetched != EXIT_OK)
            code = fetched;
        else if (st != ENVELOPE_OK)
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
    source_close(&src);
    free(tmp);
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return failf(EXIT_USAGE, "usage: rds-backup snapshot|copy|restore|archive|open|seal ...", NULL);
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
    if (strcmp(argv[1], "restore") == 0) {
        /* A URL's capability token comes in the environment, out of ps
         * (agent/node.c); taken and removed before any child is made, so
         * neither tar nor the replay's postgres inherits it. */
        char *in_env = xstrdup_or_null(getenv(RESTORE_ENV_IN));
        char *wal_env = xstrdup_or_null(getenv(RESTORE_ENV_WAL));
        unsetenv(RESTORE_ENV_IN);
        unsetenv(RESTORE_ENV_WAL);
        if (!o.in)
            o.in = in_env;
        if (!o.wal_dir)
            o.wal_dir = wal_env;
        int code = cmd_restore(&o);
        free(in_env);
        free(wal_env);
        return code;
    }
    if (strcmp(argv[1], "archive") == 0)
        return cmd_archive(&o);
    if (strcmp(argv[1], "open") == 0)
        return cmd_open(&o);
    if (strcmp(argv[1], "seal") == 0)
        return cmd_seal(&o);
    return failf(EXIT_USAGE, "unknown command", argv[1]);
}
