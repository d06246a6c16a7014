/* ptree: a process's direct children, from /proc, and signalling a
 * PostgreSQL server as a whole.
 *
 * Every child of a postmaster calls setsid(), so the postmaster's process
 * group holds the postmaster alone: a signal to the group does not reach
 * the backends, the walsenders or the background processes. They exit by
 * themselves when they notice the postmaster's death — unless they are
 * stopped (SIGSTOP), which is why a hung server must be signalled child by
 * child, and its children listed before the postmaster dies (they are then
 * reparented and no longer found by their parent's pid). */
#ifndef RDSIM_PTREE_H
#define RDSIM_PTREE_H

#include <stdbool.h>
#include <sys/types.h>

#define PTREE_MAX 256

/* The parent pid of pid (from /proc/<pid>/stat), or 0 if unknown. */
pid_t ptree_ppid_of(pid_t pid);

/* Up to max pids whose parent is parent; returns how many. */
int ptree_children(pid_t parent, pid_t *out, int max);

/* Signals the postmaster's process group (or the postmaster alone if it
 * leads none), then lists its children and signals each; the children
 * signalled are written to out (up to max) for a later ptree_signal_list.
 * Returns false if the postmaster itself could not be signalled. */
bool ptree_signal_server(pid_t postmaster, int sig, pid_t *out, int max, int *nout);

/* Signals each pid of a list (ESRCH ignored). */
void ptree_signal_list(const pid_t *pids, int n, int sig);

#endif
