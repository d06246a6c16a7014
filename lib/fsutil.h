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

/* ---- inside a tree another user controls (issue 13) ------------------------
 *
 * The root agent writes into node directories the pg OS user owns, and
 * code running as that user may put a symlink, a hard link, a FIFO or a
 * directory at any name there at any moment. These functions never follow
 * such a name: base is opened as given (the caller trusts it and its
 * parents: root's), every name below it through a directory descriptor
 * with O_NOFOLLOW; files are created with O_EXCL under a random temporary
 * name; owner and mode are set on the open descriptor (fchown, fchmod),
 * never by path. A symlink where a directory or file is expected is
 * refused (ELOOP or ENOTDIR), a non-regular or hard-linked file read is
 * refused (EINVAL; and a FIFO cannot block: O_NONBLOCK). Owner (uid_t)-1 keeps the caller's.
 * Each logs where it fails (except the _quiet reads) and returns false or
 * -1; errno is kept. */

/* Opens rel beneath base: "data", "log" or "a/b" (no "..", no empty or
 * "." component; NULL or "" opens base itself). Returns an O_DIRECTORY
 * descriptor (close-on-exec) the caller closes, or -1: logged, except
 * ENOENT and a component that is a symlink or no directory (ENOTDIR or
 * ELOOP), which the caller reports as it sees fit. */
int fs_dir_open_beneath(const char *base, const char *rel);
/* fs_write_atomic in dirfd: a random temp name created O_EXCL|O_NOFOLLOW,
 * fchown'd (unless uid is (uid_t)-1) and fchmod'ed to mode, fsynced,
 * renamed over name (a symlink there is replaced, never followed), the
 * directory fsynced. */
bool fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                        mode_t mode, uid_t uid, gid_t gid);
/* fs_read_all of a regular file name in dirfd, not following a symlink
 * and not blocking on a FIFO. NULL (errno set, nothing logged) if it
 * cannot: ENOENT when absent, ELOOP for a symlink, EINVAL when not a
 * regular file, EFBIG over max. */
char *fs_read_all_at(int dirfd, const char *name, size_t max, size_t *len_out);
/* Opens name in dirfd with flags (O_RDONLY, or O_WRONLY|O_CREAT|O_APPEND…;
 * O_TRUNC is refused) plus O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC; a file that is
 * not regular, or has another hard link (it may be another user's file),
 * is refused (EINVAL). When it creates it and uid is not (uid_t)-1, it is
 * fchown'd. Returns the descriptor (blocking again) or -1 (not logged). */
int fs_open_at(int dirfd, const char *name, int flags, mode_t mode, uid_t uid, gid_t gid);
/* mkdir name in dirfd if missing, then on the directory itself (opened
 * O_NOFOLLOW|O_DIRECTORY: a symlink there is refused) fchown and fchmod. */
bool fs_mkdir_owned_at(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid);
/* unlinkat(dirfd, name) (a directory with AT_REMOVEDIR when dir is true);
 * ENOENT is success. */
bool fs_unlink_at(int dirfd, const char *name, bool dir);
/* True if name exists in dirfd (not following a symlink: a symlink exists
 * too); with is_reg, only a regular file counts. */
bool fs_exists_at(int dirfd, const char *name, bool is_reg);

#endif
