/* common: what every rds-backup command shares — exit codes, children,
 * and the write-temp + fsync + rename that publishes an object. */
#include "backup/common.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"

bool object_sink(void *ctx, const void *buf, size_t len)
{
    object_out *o = ctx;
    if (!envelope_sink_fd(&o->fd, buf, len))
        return false;
    o->written += (off_t)len;
    if (o->written - o->flushed >= BACKUP_FLUSH_AFTER) {
        /* A hint: where it is not supported, publish's fsync does it all. */
        (void)sync_file_range(o->fd, o->flushed, o->written - o->flushed, SYNC_FILE_RANGE_WRITE);
        o->flushed = o->written;
    }
    return true;
}

int status_exit(envelope_status st)
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

int failf(int code, const char *what, const char *detail)
{
    fprintf(stderr, "rds-backup: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return code;
}

/* Forks argv with stdin or stdout (which_fd) on one end of a pipe; *fd
 * gets the other end. The child dies with us. */
pid_t spawn_piped(const char *const argv[], int which_fd, int *fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    /* A large pipe: fewer, larger reads and writes on both sides. */
    fcntl(p[0], F_SETPIPE_SZ, BACKUP_IO_SIZE);
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

bool wait_ok(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool run_ok(const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid > 0 && wait_ok(pid);
}

char *default_bindir(void)
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
void remove_stale(const char *out)
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
bool publish(int fd, const char *tmp, const char *path)
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


int finish_object(int code, int out, char *tmp, const char *path)
{
    if (code == EXIT_OK && !publish(out, tmp, path)) {
        code = failf(EXIT_FAIL, "cannot write", path);
        out = -1; /* publish closed it */
    } else if (code == EXIT_OK) {
        out = -1;
    }
    if (code != EXIT_OK) {
        if (out >= 0)
            close(out);
        unlink(tmp);
    }
    free(tmp);
    return code;
}

/* ---- privileges (restore) ---- */

static bool dropped;

static bool caps_set(bool effective)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof d);
    d[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].permitted = CAP_TO_MASK(CAP_DAC_READ_SEARCH);
    if (effective)
        d[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].effective = CAP_TO_MASK(CAP_DAC_READ_SEARCH);
    return syscall(SYS_capset, &h, d) == 0;
}

bool drop_to_owner(uid_t uid, gid_t gid)
{
    if (geteuid() != 0)
        return true;
    if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setgroups(0, NULL) != 0 || setgid(gid) != 0 ||
        setuid(uid) != 0) {
        failf(EXIT_FAIL, "cannot become the owner", strerror(errno));
        return false;
    }
    prctl(PR_SET_KEEPCAPS, 0);
    if (!caps_set(false) || getuid() != uid || geteuid() != uid || getegid() != gid) {
        failf(EXIT_FAIL, "cannot drop privileges", strerror(errno));
        return false;
    }
    dropped = true;
    return true;
}

void store_access(bool on)
{
    if (dropped && !caps_set(on))
        failf(EXIT_FAIL, "cannot change CAP_DAC_READ_SEARCH", strerror(errno));
}
