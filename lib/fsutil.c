/* fsutil: see fsutil.h. */
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* A temp name nobody can guess: another user who owns the directory
 * cannot plant anything at it in advance (O_EXCL refuses it anyway). */
static char *temp_name(const char *name)
{
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* Not expected on Linux >= 3.17; O_EXCL still refuses a plant. */
        uint64_t v = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);
        memcpy(r, &v, sizeof r);
    }
    char hex[17];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    return xasprintf(".%s.tmp.%s", name, hex);
}

static bool write_fd_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        p += n;
        left -= (size_t)n;
    }
    return true;
}

bool fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                        mode_t mode, uid_t uid, gid_t gid)
{
    char *tmp = temp_name(name);
    bool ok = false;
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        LOG_ERROR("create failed name=%s err=%s", tmp, strerror(errno));
        goto done;
    }
    const char *step = "write";
    bool wrote = write_fd_all(fd, data, len);
    if (wrote && uid != (uid_t)-1 && (step = "fchown", fchown(fd, uid, gid) != 0))
        wrote = false;
    if (wrote && (step = "fchmod", fchmod(fd, mode) != 0))
        wrote = false;
    if (wrote && (step = "fsync", fsync(fd) != 0))
        wrote = false;
    int e = errno;
    if (close(fd) != 0 && wrote) {
        e = errno;
        step = "close";
        wrote = false;
    }
    if (!wrote) {
        LOG_ERROR("%s failed name=%s err=%s", step, tmp, strerror(e));
        unlinkat(dirfd, tmp, 0);
        errno = e;
        goto done;
    }
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        e = errno;
        LOG_ERROR("rename failed name=%s err=%s", name, strerror(e));
        unlinkat(dirfd, tmp, 0);
        errno = e;
        goto done;
    }
    fsync(dirfd);
    ok = true;
done:
    free(tmp);
    return ok;
}

bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char *copy = xstrdup(path);
    char *copy2 = xstrdup(path);
    const char *dir = dirname(copy);
    const char *base = basename(copy2);
    bool ok = false;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        LOG_ERROR("open failed path=%s err=%s", dir, strerror(errno));
    } else {
        ok = fs_write_atomic_at(dfd, base, data, len, mode, (uid_t)-1, (gid_t)-1);
        if (!ok)
            LOG_ERROR("write failed path=%s", path);
        close(dfd);
    }
    free(copy);
    free(copy2);
    return ok;
}

/* Reads fd to its end (at most max bytes) into a NUL-terminated buffer;
 * closes fd. NULL with errno set if it cannot. */
static char *read_fd_all(int fd, size_t max, size_t *len_out)
{
    sbuf b = {0};
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            sbuf_free(&b);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > max) {
            close(fd);
            sbuf_free(&b);
            errno = EFBIG;
            return NULL;
        }
        sbuf_append(&b, chunk, (size_t)n);
    }
    close(fd);
    if (len_out)
        *len_out = b.len;
    return sbuf_take(&b);
}

char *fs_read_all(const char *path, size_t max, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    return read_fd_all(fd, max, len_out);
}

bool fs_mkdir_p(const char *path, mode_t mode)
{
    char *copy = xstrdup(path);
    bool ok = true;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, mode) != 0 && errno != EEXIST) {
                LOG_ERROR("mkdir failed path=%s err=%s", copy, strerror(errno));
                ok = false;
                break;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(copy);
    return ok;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT) {
        LOG_ERROR("remove failed path=%s err=%s", path, strerror(errno));
        return -1;
    }
    return 0;
}

bool fs_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

bool fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- inside a tree another user controls ---------------------------------- */

static bool name_ok(const char *name, size_t len)
{
    return len > 0 && !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

int fs_dir_open_beneath(const char *base, const char *rel)
{
    int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        LOG_ERROR("cannot open directory path=%s err=%s", base, strerror(errno));
        return -1;
    }
    for (const char *p = rel ? rel : ""; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        char part[256];
        if (!name_ok(p, len) || len >= sizeof part) {
            LOG_ERROR("bad relative path base=%s rel=%s", base, rel);
            close(fd);
            errno = EINVAL;
            return -1;
        }
        memcpy(part, p, len);
        part[len] = '\0';
        int next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (next < 0) {
            /* ELOOP or ENOTDIR: a symlink or not a directory, a refusal the
             * caller reports (reads retried every step would flood the log). */
            if (e != ENOENT && e != ELOOP && e != ENOTDIR)
                LOG_ERROR("cannot open directory base=%s rel=%s err=%s", base, rel, strerror(e));
            errno = e;
            return -1;
        }
        fd = next;
        p += len;
        if (*p == '/')
            p++;
    }
    return fd;
}

int fs_open_at(int dirfd, const char *name, int flags, mode_t mode, uid_t uid, gid_t gid)
{
    if (flags & O_TRUNC) { /* it would cut a hard-linked file before the checks */
        errno = EINVAL;
        return -1;
    }
    int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    /* Ours only if we made it: a file of uid's already needs nothing, and
     * anything else is not given away. */
    if (uid != (uid_t)-1 && st.st_uid == geteuid() && st.st_uid != uid &&
        fchown(fd, uid, gid) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

char *fs_read_all_at(int dirfd, const char *name, size_t max, size_t *len_out)
{
    int fd = fs_open_at(dirfd, name, O_RDONLY, 0, (uid_t)-1, (gid_t)-1);
    if (fd < 0)
        return NULL;
    return read_fd_all(fd, max, len_out);
}

bool fs_mkdir_owned_at(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
    if (mkdirat(dirfd, name, mode) != 0 && errno != EEXIST) {
        LOG_ERROR("mkdir failed name=%s err=%s", name, strerror(errno));
        return false;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        LOG_WARN("refusing a directory that is not a plain directory (symlink or other) "
                 "name=%s err=%s", name, strerror(errno));
        return false;
    }
    bool ok = (uid == (uid_t)-1 || fchown(fd, uid, gid) == 0) && fchmod(fd, mode) == 0;
    if (!ok)
        LOG_ERROR("cannot set owner or mode name=%s err=%s", name, strerror(errno));
    close(fd);
    return ok;
}

bool fs_unlink_at(int dirfd, const char *name, bool dir)
{
    if (unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT) {
        LOG_ERROR("remove failed name=%s err=%s", name, strerror(errno));
        return false;
    }
    return true;
}

bool fs_exists_at(int dirfd, const char *name, bool is_reg)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    return !is_reg || S_ISREG(st.st_mode);
}
