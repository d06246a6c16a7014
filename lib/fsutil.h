/* fsutil: durable file writes and directory helpers.
 *
 * All functions log where they fail and return false; callers just return. */
#ifndef RDSIM_FSUTIL_H
#define RDSIM_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes data to path durably: write a temp file beside it, fsync, rename
 * over path, fsync the directory. Readers see the old or the new file,
 * never a torn one. */
bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Reads a whole file (at most max bytes) into a NUL-terminated buffer the
 * caller frees. Returns NULL (errno set, nothing logged) if it cannot;
 * ENOENT is the common "not there" case. */
char *fs_read_all(const char *path, size_t max, size_t *len_out);
/* mkdir -p; existing directories are fine. */
bool fs_mkdir_p(const char *path, mode_t mode);
/* rm -rf; a missing path is success. Does not follow symlinks. */
bool fs_rm_rf(const char *path);
bool fs_exists(const char *path);

#endif
