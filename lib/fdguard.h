/* fdguard: file descriptors as a budget the listeners share.
 *
 * A process that accepts connections from anyone must keep descriptors
 * for its own work (the store, health probes, child processes, the DNS
 * socket, outgoing deliveries): each listener's connection cap is a share
 * of RLIMIT_NOFILE minus FDGUARD_RESERVE, read again at every call
 * because the limit can change while the process runs (prlimit). */
#ifndef RDSIM_FDGUARD_H
#define RDSIM_FDGUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Descriptors no listener may take (or an eighth of the limit if more). */
enum { FDGUARD_RESERVE = 64 };

/* share_pct percent of (the soft RLIMIT_NOFILE - the reserve), clamped to
 * [lo, hi]; hi when the limit is unknown or unlimited. */
size_t fdguard_budget(unsigned share_pct, size_t lo, size_t hi);

/* Whether an accept(2) errno means the process or the system is out of
 * descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the listener
 * must pause, since the pending connection stays readable and a level-
 * triggered loop would spin on it. */
bool fdguard_exhausted(int err);

#endif
