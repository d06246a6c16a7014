/* reaper: child processes started and reaped without ever blocking the
 * caller's event loop.
 *
 * The owner (a module with periodic work, such as the controlplane's
 * snapshot jobs, automated backups and SNS lambda deliveries) keeps one
 * reaper, starts children with reaper_spawn and calls reaper_poll from
 * its tick: every child of this reaper that has finished is reaped
 * (waitpid(pid, WNOHANG), never waitpid(-1), so several reapers and other
 * code's children live side by side) and its exit status handed to the
 * callback given at spawn. The model is agent/proc.c, without libevent:
 * the owners already tick.
 *
 * Invariants:
 *  1. Between fork and exec the child calls only async-signal-safe
 *     functions on memory prepared by the parent (argv, envp).
 *  2. Every descriptor above 2 is closed at exec: a child never holds the
 *     parent's sockets or databases.
 *  3. The child starts with default signal dispositions and an empty mask
 *     (the parent's SIG_IGN of SIGPIPE, say, is not inherited).
 *  4. A pid is watched from the moment reaper_spawn returns it until its
 *     exit is reported; the watch is removed before the callback runs, so
 *     a callback may spawn again or free what arg points to. */
#ifndef RDSIM_REAPER_H
#define RDSIM_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct reaper reaper;

/* The status of a child that waitpid no longer knows (ECHILD: something
 * else reaped it). Otherwise status is waitpid's status. */
#define REAPER_LOST (-1)

/* Called once, from reaper_poll, when the child has finished. */
typedef void (*reaper_exit_cb)(pid_t pid, int status, void *arg);

typedef struct {
    const char *const *argv; /* argv[0] is the program's path; NULL-terminated */
    const char *const *env;  /* "K=V" entries set over the parent's environment
                                (replacing equal names), NULL-terminated, or NULL */
    const char *stdin_path;  /* read as stdin; NULL: /dev/null */
    const char *out_path;    /* stdout and stderr; NULL: /dev/null */
    bool out_append;         /* append to out_path (else it is truncated) */
    mode_t out_mode;         /* out_path's mode when it is created; 0: 0600 */
    bool own_group;          /* the child leads a new process group:
                                reaper_kill signals the whole group */
    bool die_with_parent;    /* SIGKILLed when the parent dies */
} reaper_spec;

reaper *reaper_new(void);
/* SIGKILLs every child still watched (its group when own_group) and
 * waits for each; no callback is called. NULL is fine. */
void reaper_free(reaper *rp);

/* Forks and execs spec. Returns the child's pid, whose exit reaper_poll
 * will report to cb(pid, status, arg); or -1 (errno set, cb never
 * called) when the fork failed. A program that cannot be executed, or
 * whose stdin or output cannot be opened, exits 127 in the child. */
pid_t reaper_spawn(reaper *rp, const reaper_spec *spec, reaper_exit_cb cb, void *arg);

/* Reaps every finished child of rp and calls its callback. Never
 * blocks. Returns how many were reported. */
int reaper_poll(reaper *rp);

/* Sends sig to a watched child (to its process group when it was spawned
 * with own_group). False when pid is not a running child of rp. */
bool reaper_kill(reaper *rp, pid_t pid, int sig);

/* How many children of rp are running (watched and not yet reported). */
int reaper_count(const reaper *rp);

#endif
