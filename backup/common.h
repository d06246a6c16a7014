/* common: what the rds-backup commands share (backup/main.c has the
 * program's usage and exit codes). */
#ifndef RDSIM_BACKUP_COMMON_H
#define RDSIM_BACKUP_COMMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/envelope.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_KEY = 3, EXIT_CORRUPT = 4 };

/* The chunk size of the objects rds-backup writes, and its pipes' size. */
#define BACKUP_IO_SIZE (1024 * 1024)

typedef struct {
    const char *host, *port, *user, *out, *in, *data, *kms, *key_id, *bindir, *owner;
    const char *info, *wal_dir, *target_time, *spool, *status;
    int interval_ms;
} opts;

/* An object being written to a file: an envelope sink (object_sink,
 * ctx a pointer to it) that starts the disk's writeback of every
 * BACKUP_FLUSH_AFTER bytes as soon as they are written, so the disk works
 * while the stream goes on and the one fsync at the end (publish) finds
 * little left to write. Nothing is waited for here: durability is still
 * publish's fsync alone. */
#define BACKUP_FLUSH_AFTER (8 * 1024 * 1024)
typedef struct {
    int fd;
    off_t written, flushed;
} object_out;
bool object_sink(void *ctx, const void *buf, size_t len);

/* The exit code of an envelope status. */
int status_exit(envelope_status st);
/* Prints "rds-backup: what: detail" on stderr and returns code. */
int failf(int code, const char *what, const char *detail);
/* Forks argv with stdin or stdout (which_fd 0 or 1) on one end of a pipe;
 * *fd gets the other end. The child dies with us. */
pid_t spawn_piped(const char *const argv[], int which_fd, int *fd);
/* Waits for pid: did it exit 0? */
bool wait_ok(pid_t pid);
/* Runs argv to its end: did it exit 0? */
bool run_ok(const char *const argv[]);
/* `pg_config --bindir`, or Debian's PostgreSQL 15 directory. */
char *default_bindir(void);
/* Removes the temporary files (out.tmp.*) of an earlier run killed half-way. */
void remove_stale(const char *out);
/* Makes tmp (open as fd, closed here) durable and renames it to path,
 * then syncs the directory. */
bool publish(int fd, const char *tmp, const char *path);

/* The end of writing an object to path through tmp (open as out): when
 * code is EXIT_OK publishes it (a failure to is EXIT_FAIL), otherwise
 * closes and removes tmp. Frees tmp; returns the final code. */
int finish_object(int code, int out, char *tmp, const char *path);

/* restore --owner UID:GID run as root (issue 13): the data directory is
 * the pg user's tree, where code running as that user may plant symlinks,
 * so everything from here on runs as uid:gid (setgroups, setgid, setuid):
 * tar -x, the point-in-time replay, the rename. Only
 * CAP_DAC_READ_SEARCH stays permitted (never inherited by a program it
 * runs), raised by store_access(true) just around an open in the backup
 * store (root's). Returns false (said on stderr) if any step fails; the
 * caller then stops. A no-op returning true when not root. */
bool drop_to_owner(uid_t uid, gid_t gid);
/* Raises (true) or lowers (false) CAP_DAC_READ_SEARCH after drop_to_owner;
 * a no-op otherwise. */
void store_access(bool on);

#endif
