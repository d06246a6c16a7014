/* fsutil: see fsutil.h. */
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

static bool fsync_dir_of(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0)
        return false;
    fsync(fd);
    close(fd);
    return true;
}

bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    bool ok = false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        LOG_ERROR("open failed path=%s err=%s", tmp, strerror(errno));
        goto done;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            LOG_ERROR("write failed path=%s err=%s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            goto done;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        LOG_ERROR("fsync failed path=%s err=%s", tmp, strerror(errno));
        unlink(tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        LOG_ERROR("rename failed path=%s err=%s", path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    fsync_dir_of(path);
    ok = true;
done:
    free(tmp);
    return ok;
}

char *fs_read_all(const char *path, size_t max, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
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
