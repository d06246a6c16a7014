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
 *       chunk and the trailer verified, chowns it and renames it to DIR;
 *       on any failure DIR.restoring is removed and DIR never appears.
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

#include "lib/envelope.h"
#include "lib/fsutil.h"
#include "lib/kmsclient.h"
#include "lib/util.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_KEY = 3, EXIT_CORRUPT = 4 };

typedef struct {
    const char *host, *port, *user, *out, *in, *data, *kms, *key_id, *bindir, *owner;
} opts;

static int status_exit(envelope_status st)
{
    switch (st) {
    case ENVELOPE_OK: return EXIT_OK;
    case ENVELOPE_KEY: return EXIT_KEY;
    case ENVELOPE_CORRUPT:
    case ENVELOPE_TRUNCATED:
    case ENVELOPE_BAD_HEADER: return EXIT_CORRUPT;
    default: return EXIT_FAIL;
    }
}

static int failf(int code, const char *what, const char *detail)
{
    fprintf(stderr, "rds-backup: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return code;
}

/* Forks argv with stdin or stdout (which_fd) on one end of a pipe; *fd
 * gets the other end. The child dies with us. */
static pid_t spawn_piped(const char *const argv[], int which_fd, int *fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(which_fd == 0 ? p[0] : p[1], which_fd);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(which_fd == 0 ? p[0] : p[1]);
    *fd = which_fd == 0 ? p[1] : p[0];
    return pid;
}

static bool wait_ok(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool run_ok(const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid > 0 && wait_ok(pid);
}

static char *default_bindir(void)
{
    char line[512] = "";
    FILE *f = popen("pg_config --bindir", "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        pclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    return xstrdup(line[0] ? line : "/usr/lib/postgresql/15/bin");
}

/* Removes the temporary files of an earlier run killed half-way. */
static void remove_stale(const char *out)
{
    char *pattern = xasprintf("%s.tmp.*", out);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    free(pattern);
}

/* Makes tmp durable and renames it to path. */
static bool publish(int fd, const char *tmp, const char *path)
{
    bool ok = fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (ok) {
        char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
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
                    NULL};
    int in = -1;
    pid_t pid = spawn_piped(argv, 1, &in);
    free(prog);
    free(bindir);
    if (pid < 0)
        return failf(EXIT_FAIL, "cannot run pg_basebackup", strerror(errno));
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    kmsclient kc = {.endpoint = o->kms, .key_ref = o->key_id};
    envelope_opts eo = {.wrap = o->key_id ? kmsclient_wrap : NULL, .wrap_ctx = &kc};
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
    else if (!publish(out, tmp, o->out))
        code = failf(EXIT_FAIL, "cannot write", o->out);
    else
        out = -1;
    if (code != EXIT_OK) {
        if (out >= 0)
            close(out);
        unlink(tmp);
    }
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
    envelope_opts eo = {.wrap = key ? kmsclient_wrap : NULL, .wrap_ctx = &wk};
    char *tmp = xasprintf("%s.tmp.%ld", o->out, (long)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    st = out < 0 ? ENVELOPE_IO
                 : envelope_seal(&eo, source_reader, &rs, envelope_sink_fd, &out, NULL);
    if (rs.st != ENVELOPE_OK)
        st = rs.st;
    envelope_reader_free(rs.r);
    close(in);
    int code = EXIT_OK;
    if (st != ENVELOPE_OK)
        code = failf(status_exit(st), "cannot copy",
                     wk.error[0] ? wk.error : envelope_status_name(st));
    else if (!publish(out, tmp, o->out))
        code = failf(EXIT_FAIL, "cannot write", o->out);
    else
        out = -1;
    if (code != EXIT_OK) {
        if (out >= 0)
            close(out);
        unlink(tmp);
    }
    free(tmp);
    return code;
}

static int cmd_restore(const opts *o)
{
    if (!o->in || !o->data)
        return failf(EXIT_USAGE, "restore needs --in --data", NULL);
    if (fs_exists(o->data))
        return failf(EXIT_FAIL, "the data directory already exists", o->data);
    int in = open(o->in, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return failf(EXIT_FAIL, "cannot open", o->in);
    char *tmp = xasprintf("%s.restoring", o->data);
    fs_rm_rf(tmp);
    int code = EXIT_OK;
    if (mkdir(tmp, 0700) != 0) {
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
        else if (o->owner && !run_ok((const char *[]){"/bin/chown", "-R", o->owner, tmp, NULL}))
            code = failf(EXIT_FAIL, "chown failed", o->owner);
        else if (rename(tmp, o->data) != 0)
            code = failf(EXIT_FAIL, "cannot rename", strerror(errno));
    }
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
        default: return EXIT_USAGE;
        }
    }
    if (strcmp(argv[1], "snapshot") == 0)
        return cmd_snapshot(&o);
    if (strcmp(argv[1], "copy") == 0)
        return cmd_copy(&o);
    if (strcmp(argv[1], "restore") == 0)
        return cmd_restore(&o);
    return failf(EXIT_USAGE, "unknown command", argv[1]);
}
