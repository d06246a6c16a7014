/* proc: child processes of the agent. See proc.h.
 *
 * Invariants:
 *  1. Between fork and exec the child calls only async-signal-safe functions
 *     on memory prepared by the parent (argv, envp, group list).
 *  2. Every fd of the agent except 0-2 is close-on-exec in the child, so a
 *     postmaster that outlives the agent holds none of its sockets.
 *  3. A pid is in the watch list from the moment proc_spawn returns until its
 *     exit is reaped or it is forgotten; the SIGCHLD callback removes the watch
 *     before calling back, so a callback may spawn again. */
#include "agent/proc.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

extern char **environ;

/* ---- users ---------------------------------------------------------------- */

static bool user_fill(const char *name, proc_user *out)
{
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return false;
    out->drop = true;
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    out->name = xstrdup(pw->pw_name);
    int n = 64;
    out->groups = xcalloc((size_t)n, sizeof *out->groups);
    if (getgrouplist(out->name, out->gid, out->groups, &n) < 0) {
        out->groups = xrealloc(out->groups, (size_t)n * sizeof *out->groups);
        if (getgrouplist(out->name, out->gid, out->groups, &n) < 0)
            n = 0;
    }
    out->ngroups = n;
    return true;
}

bool proc_user_resolve(const char *name, bool explicit_name, proc_user *out)
{
    memset(out, 0, sizeof *out);
    if (geteuid() != 0) {
        out->uid = geteuid();
        out->gid = getegid();
        out->name = xstrdup("(self)");
        return true;
    }
    if (user_fill(name, out))
        return true;
    if (!explicit_name && strcmp(name, "nobody") != 0 && user_fill("nobody", out)) {
        LOG_WARN("pg user missing, falling back user=%s fallback=nobody", name);
        return true;
    }
    LOG_ERROR("no such user for PostgreSQL (it refuses to run as root) user=%s", name);
    return false;
}

void proc_user_free(proc_user *u)
{
    free(u->groups);
    free(u->name);
    memset(u, 0, sizeof *u);
}

static bool user_in_group(const proc_user *u, gid_t gid)
{
    if (u->gid == gid)
        return true;
    for (int i = 0; i < u->ngroups; i++)
        if (u->groups[i] == gid)
            return true;
    return false;
}

static bool user_can_search(const proc_user *u, const struct stat *st)
{
    if (st->st_uid == u->uid)
        return (st->st_mode & S_IXUSR) != 0;
    if (user_in_group(u, st->st_gid))
        return (st->st_mode & S_IXGRP) != 0;
    return (st->st_mode & S_IXOTH) != 0;
}

bool proc_user_check_path(const proc_user *u, const char *dir)
{
    if (!u->drop)
        return true;
    char *copy = xstrdup(dir);
    bool ok = true;
    size_t len = strlen(copy);
    for (size_t i = 1; i <= len && ok; i++) {
        if (copy[i] != '/' && copy[i] != '\0')
            continue;
        char saved = copy[i];
        copy[i] = '\0';
        struct stat st;
        if (stat(copy, &st) != 0) {
            LOG_ERROR("cannot stat path=%s err=%s", copy, strerror(errno));
            ok = false;
        } else if (!user_can_search(u, &st)) {
            bool is_home = saved == '\0';
            if (is_home && st.st_uid == geteuid() &&
                chmod(copy, (st.st_mode & 07777) | S_IXOTH) == 0) {
                LOG_INFO("made home traversable for the pg user path=%s user=%s", copy, u->name);
            } else {
                LOG_ERROR("directory not traversable by the pg user; chmod o+x it or use "
                          "another --home path=%s user=%s", copy, u->name);
                ok = false;
            }
        }
        copy[i] = saved;
    }
    free(copy);
    return ok;
}

/* ---- reaper --------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    proc_exit_cb cb;
    void *arg;
} proc_watch;

struct proc_reaper {
    struct event *sigchld;
    proc_watch *watches;
    size_t n, cap;
};

static void reaper_on_sigchld(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    proc_reaper *r = arg;
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            break;
        for (size_t i = 0; i < r->n; i++) {
            if (r->watches[i].pid != pid)
                continue;
            proc_watch w = r->watches[i];
            r->watches[i] = r->watches[--r->n];
            w.cb(pid, status, w.arg);
            break;
        }
    }
}

proc_reaper *proc_reaper_new(struct event_base *base)
{
    proc_reaper *r = xcalloc(1, sizeof *r);
    r->sigchld = evsignal_new(base, SIGCHLD, reaper_on_sigchld, r);
    if (!r->sigchld || evsignal_add(r->sigchld, NULL) != 0) {
        LOG_ERROR("cannot watch SIGCHLD");
        if (r->sigchld)
            event_free(r->sigchld);
        free(r);
        return NULL;
    }
    return r;
}

void proc_reaper_free(proc_reaper *r)
{
    if (!r)
        return;
    event_free(r->sigchld);
    free(r->watches);
    free(r);
}

void proc_reaper_forget(proc_reaper *r, pid_t pid)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->watches[i].pid == pid) {
            r->watches[i] = r->watches[--r->n];
            return;
        }
    }
}

static void reaper_watch(proc_reaper *r, pid_t pid, proc_exit_cb cb, void *arg)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->watches = xrealloc(r->watches, r->cap * sizeof *r->watches);
    }
    r->watches[r->n++] = (proc_watch){pid, cb, arg};
}

/* ---- spawn ---------------------------------------------------------------- */

/* What the child reports through the error pipe when it cannot exec. */
typedef struct {
    int stage;
    int err;
} spawn_failure;

static const char *const stage_names[] = {
    "setsid", "setgroups", "setgid", "setuid", "chdir", "stdin", "output", "exec",
};

/* The child's environment: the agent's, minus PG* variables (an inherited
 * PGDATA or PGPASSWORD must not steer a node), plus spec->env. */
static char **build_env(const char *const *extra)
{
    size_t n = 0, m = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    for (const char *const *e = extra; e && *e; e++)
        m++;
    char **env = xcalloc(n + m + 1, sizeof *env);
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "PG", 2) != 0)
            env[k++] = *e;
    for (const char *const *e = extra; e && *e; e++)
        env[k++] = (char *)*e;
    return env;
}

static void child_fail(int fd, int stage)
{
    spawn_failure f = {stage, errno};
    ssize_t w = write(fd, &f, sizeof f);
    (void)w;
    _exit(127);
}

/* Runs in the child (invariant 1). Never returns. */
static void child_exec(const proc_spec *spec, char **envp, int errfd, int stdin_fd,
                       pid_t parent)
{
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (spec->new_session && setsid() < 0)
        child_fail(errfd, 0);
    const proc_user *u = spec->user;
    if (u && u->drop) {
        if (setgroups((size_t)u->ngroups, u->groups) != 0)
            child_fail(errfd, 1);
        if (setgid(u->gid) != 0)
            child_fail(errfd, 2);
        if (setuid(u->uid) != 0)
            child_fail(errfd, 3);
    }
    /* After the identity change, which clears the parent-death signal; if
     * the agent already died, its exit was missed: go now. */
    if (spec->die_with_agent &&
        (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent))
        _exit(127);
    if (chdir(spec->cwd ? spec->cwd : "/") != 0)
        child_fail(errfd, 4);
    int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0)
        child_fail(errfd, 5);
    int out = spec->out_fd > 2 ? spec->out_fd
                               : open(spec->out_path ? spec->out_path : "/dev/null",
                                      O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        child_fail(errfd, 6);
    /* Invariant 2: everything above 2 closes at exec (errfd already does). */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (int fd = 3; fd < max; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    execve(spec->argv[0], (char *const *)spec->argv, envp);
    child_fail(errfd, 7);
}

pid_t proc_spawn(proc_reaper *r, const proc_spec *spec, proc_exit_cb cb, void *arg)
{
    int errpipe[2], inpipe[2] = {-1, -1};
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        LOG_ERROR("pipe failed err=%s", strerror(errno));
        return -1;
    }
    if (spec->stdin_data) {
        size_t len = strlen(spec->stdin_data);
        /* Below PIPE_BUF into an empty pipe: the write cannot block. */
        if (len > 4000 || pipe2(inpipe, O_CLOEXEC) != 0 ||
            write(inpipe[1], spec->stdin_data, len) != (ssize_t)len) {
            LOG_ERROR("cannot prepare stdin prog=%s", spec->argv[0]);
            close(errpipe[0]);
            close(errpipe[1]);
            if (inpipe[0] >= 0) {
                close(inpipe[0]);
                close(inpipe[1]);
            }
            return -1;
        }
        close(inpipe[1]);
    }
    char **envp = build_env(spec->env);
    pid_t parent = getpid();
    sigset_t all, old;
    sigfillset(&all);
    /* No libevent signal handler may run in the child before exec. */
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(spec, envp, errpipe[1], inpipe[0], parent);
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(envp);
    close(errpipe[1]);
    if (inpipe[0] >= 0)
        close(inpipe[0]);
    if (pid < 0) {
        close(errpipe[0]);
        LOG_ERROR("fork failed prog=%s err=%s", spec->argv[0], strerror(fork_errno));
        return -1;
    }
    /* Returns at exec (EOF) or at once on failure: never waits on the child's work. */
    spawn_failure f;
    ssize_t n;
    do
        n = read(errpipe[0], &f, sizeof f);
    while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == (ssize_t)sizeof f) {
        int st;
        waitpid(pid, &st, 0); /* it has already called _exit */
        const char *stage = (f.stage >= 0 && f.stage < 8) ? stage_names[f.stage] : "?";
        LOG_ERROR("spawn failed prog=%s stage=%s err=%s", spec->argv[0], stage,
                  strerror(f.err));
        return -1;
    }
    reaper_watch(r, pid, cb, arg);
    return pid;
}

const char *proc_describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "status %d", status);
    return buf;
}

/* ---- inspection ----------------------------------------------------------- */

bool proc_cmdline_matches(const char *cmdline, size_t len, const char *data_dir)
{
    /* Split the NUL-separated argv without trusting a final NUL. */
    const char *args[64];
    size_t nargs = 0, start = 0;
    for (size_t i = 0; i < len && nargs < 64; i++) {
        if (cmdline[i] == '\0') {
            args[nargs++] = cmdline + start;
            start = i + 1;
        }
    }
    if (nargs < 3)
        return false;
    const char *slash = strrchr(args[0], '/');
    const char *base = slash ? slash + 1 : args[0];
    if (strcmp(base, "postgres") != 0 && strcmp(base, "postmaster") != 0)
        return false;
    for (size_t i = 1; i + 1 < nargs; i++)
        if (strcmp(args[i], "-D") == 0 && strcmp(args[i + 1], data_dir) == 0)
            return true;
    return false;
}

/* The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or 0 if
 * the process does not exist. */
static char proc_state(pid_t pid)
{
    if (pid <= 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    size_t len = 0;
    char *stat = fs_read_all(path, 4096, &len);
    if (!stat)
        return 0;
    /* "pid (comm) S ...": comm may hold ')', so take the last one. */
    char *paren = strrchr(stat, ')');
    char state = (paren && paren[1] == ' ') ? paren[2] : 0;
    free(stat);
    return state;
}

bool proc_is_stopped(pid_t pid)
{
    char s = proc_state(pid);
    return s == 'T' || s == 't';
}

bool proc_is_postmaster_of(pid_t pid, const char *data_dir)
{
    /* A zombie (nobody reaped it yet) is dead for our purposes. */
    char state = proc_state(pid);
    if (state == 0 || state == 'Z' || state == 'X')
        return false;
    char path[64];
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    char *cmd = fs_read_all(path, 65536, &len);
    if (!cmd)
        return false;
    bool match = proc_cmdline_matches(cmd, len, data_dir);
    free(cmd);
    return match;
}
