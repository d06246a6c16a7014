/* proc: the agent's child processes — spawn, reap, signal, identify.
 *
 * Every PostgreSQL program the agent runs goes through proc_spawn, which
 * (when the agent is root) drops to the unprivileged PostgreSQL user before
 * exec, because PostgreSQL refuses to run as root. Children are reaped by a
 * SIGCHLD event on the agent's libevent base (proc_reaper), which calls the
 * callback given at spawn: nothing ever blocks in waitpid.
 *
 * The process-inspection helpers read /proc, so the agent can recognise a
 * postmaster it did not start (after its own restart) and adopt it. */
#ifndef RDSIM_AGENT_PROC_H
#define RDSIM_AGENT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct event_base;

/* Who children run as. drop is false when the agent is not root: children
 * then run as the agent itself. */
typedef struct {
    bool drop;
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups, resolved once at startup */
    int ngroups;
    char *name;
} proc_user;

/* Resolves name (falling back to "nobody" when name was not given
 * explicitly and does not exist) if the effective uid is 0; otherwise fills
 * drop=false with the agent's own ids. Returns false (logged) if a root
 * agent has no usable user. Free with proc_user_free. */
bool proc_user_resolve(const char *name, bool explicit_name, proc_user *out);
void proc_user_free(proc_user *u);

/* Checks that u can traverse every ancestor of dir and dir itself. When
 * only dir itself lacks search permission and the agent owns it, adds o+x
 * to it. Returns false (logging the directory at fault) otherwise. */
bool proc_user_check_path(const proc_user *u, const char *dir);

/* Called once when the child exits. status is waitpid's status. */
typedef void (*proc_exit_cb)(pid_t pid, int status, void *arg);

typedef struct proc_reaper proc_reaper;

/* Installs the SIGCHLD event on base. Returns NULL (logged) on failure. */
proc_reaper *proc_reaper_new(struct event_base *base);
/* Stops calling any callback (children keep running; later exits are
 * reaped silently only while the reaper lives). */
void proc_reaper_free(proc_reaper *r);
/* The callback for pid will not be called; its exit is still reaped. */
void proc_reaper_forget(proc_reaper *r, pid_t pid);

typedef struct {
    const char *const *argv; /* argv[0] is an absolute path; NULL-terminated */
    const char *const *env;  /* extra "K=V" entries, NULL-terminated, or NULL */
    const char *cwd;         /* NULL: "/" */
    const char *stdin_data;  /* at most 4000 bytes fed on stdin; NULL: /dev/null */
    const char *out_path;    /* stdout+stderr appended here (opened in the child, after the
                                identity change); NULL: /dev/null */
    int out_fd;              /* > 2: stdout+stderr go here instead of out_path (the
                                caller's descriptor, opened safely; it stays the caller's) */
    bool new_session;        /* setsid(): outlives the agent's process group */
    bool die_with_agent;     /* SIGKILLed if the agent dies (jobs, not postmasters):
                                a restarted agent must not race an orphaned initdb */
    const proc_user *user;   /* NULL or drop=false: run as the agent */
} proc_spec;

/* Forks and execs. Returns the child's pid, whose exit will be delivered
 * to cb(arg) by the reaper; or -1 (logged, cb never called) if the fork,
 * the identity change, opening the output file or the exec failed. The
 * exec failure is detected synchronously through a close-on-exec pipe. */
pid_t proc_spawn(proc_reaper *r, const proc_spec *spec, proc_exit_cb cb, void *arg);

/* "exit 0", "exit 1", "signal 9" into buf; returns buf. */
const char *proc_describe_status(int status, char *buf, size_t len);

/* True if pid exists, is not a zombie, and its argv is
 * "<dir>/postgres ... -D <data_dir> ...". Reads /proc; never blocks. */
bool proc_is_postmaster_of(pid_t pid, const char *data_dir);

/* True if pid exists and is stopped (SIGSTOP, or a tracing stop): such a
 * postmaster cannot shut down by itself. Reads /proc; never blocks. */
bool proc_is_stopped(pid_t pid);

/* Pure part of proc_is_postmaster_of: does this NUL-separated cmdline (as in
 * /proc/PID/cmdline) run postgres on data_dir? */
bool proc_cmdline_matches(const char *cmdline, size_t len, const char *data_dir);

#endif
