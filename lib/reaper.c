/* reaper: child processes of a tick-driven owner. See reaper.h. */
#include "lib/reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"

extern char **environ;

typedef struct {
    pid_t pid;
    bool group;
    reaper_exit_cb cb;
    void *arg;
} reaper_watch;

struct reaper {
    reaper_watch *w;
    int n, cap;
};

reaper *reaper_new(void)
{
    return xcalloc(1, sizeof(reaper));
}

static int watch_find(const reaper *rp, pid_t pid)
{
    for (int i = 0; i < rp->n; i++)
        if (rp->w[i].pid == pid)
            return i;
    return -1;
}

/* Invariant 4: the watch goes before the callback runs. */
static void watch_report(reaper *rp, int i, int status)
{
    reaper_watch w = rp->w[i];
    rp->w[i] = rp->w[--rp->n];
    w.cb(w.pid, status, w.arg);
}

void reaper_free(reaper *rp)
{
    if (!rp)
        return;
    for (int i = 0; i < rp->n; i++) {
        kill(rp->w[i].group ? -rp->w[i].pid : rp->w[i].pid, SIGKILL);
        while (waitpid(rp->w[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    free(rp->w);
    free(rp);
}

/* The child's environment: the parent's without the names extra sets,
 * then extra. The array is the parent's to free; its strings are not. */
static char **env_build(const char *const *extra)
{
    size_t n = 0, m = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    for (const char *const *e = extra; e && *e; e++)
        m++;
    char **env = xcalloc(n + m + 1, sizeof *env);
    size_t k = 0;
    for (char **e = environ; e && *e; e++) {
        bool replaced = false;
        for (const char *const *x = extra; x && *x && !replaced; x++) {
            size_t len = strcspn(*x, "=");
            replaced = strncmp(*e, *x, len) == 0 && (*e)[len] == '=';
        }
        if (!replaced)
            env[k++] = *e;
    }
    for (const char *const *e = extra; e && *e; e++)
        env[k++] = (char *)*e;
    return env;
}

/* Runs in the child (invariants 1-3). Never returns. */
static void child_exec(const reaper_spec *spec, char **envp, pid_t parent)
{
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    if (spec->die_with_parent &&
        (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent))
        _exit(127);
    if (spec->own_group)
        setpgid(0, 0);
    int in = open(spec->stdin_path ? spec->stdin_path : "/dev/null", O_RDONLY);
    int flags = O_WRONLY | O_CREAT | (spec->out_append ? O_APPEND : O_TRUNC);
    int out = open(spec->out_path ? spec->out_path : "/dev/null", flags,
                   spec->out_mode ? spec->out_mode : 0600);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (int fd = 3; fd < max; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(spec->argv[0], (char *const *)spec->argv, envp);
    _exit(127);
}

pid_t reaper_spawn(reaper *rp, const reaper_spec *spec, reaper_exit_cb cb, void *arg)
{
    char **envp = env_build(spec->env);
    pid_t parent = getpid();
    sigset_t all, old;
    sigfillset(&all);
    /* No handler of the parent (libevent's signal pipe) may run in the
     * child before exec. */
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(spec, envp, parent);
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(envp);
    if (pid < 0) {
        errno = fork_errno;
        return -1;
    }
    if (spec->own_group)
        setpgid(pid, pid); /* also here: reaper_kill may come before the child's own call */
    if (rp->n == rp->cap) {
        rp->cap = rp->cap ? rp->cap * 2 : 8;
        rp->w = xrealloc(rp->w, (size_t)rp->cap * sizeof *rp->w);
    }
    rp->w[rp->n++] = (reaper_watch){pid, spec->own_group, cb, arg};
    return pid;
}

int reaper_poll(reaper *rp)
{
    int reported = 0;
    for (int i = 0; i < rp->n;) {
        int status = 0;
        pid_t got = waitpid(rp->w[i].pid, &status, WNOHANG);
        if (got == 0 || (got < 0 && errno == EINTR)) {
            i++;
            continue;
        }
        /* The last watch moves into slot i: look at i again. */
        watch_report(rp, i, got == rp->w[i].pid ? status : REAPER_LOST);
        reported++;
    }
    return reported;
}

bool reaper_kill(reaper *rp, pid_t pid, int sig)
{
    int i = watch_find(rp, pid);
    if (i < 0)
        return false;
    return kill(rp->w[i].group ? -pid : pid, sig) == 0;
}

int reaper_count(const reaper *rp)
{
    return rp->n;
}
