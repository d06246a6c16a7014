/* pglogs: see pglogs.h. */
#include "agent/pglogs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

static const char PREFIX[] = "postgresql.log.";

bool pglogs_rds_name(const char *file, char *out, size_t size)
{
    static const char shape[] = "dddd-dd-dd-dd";
    size_t plen = sizeof PREFIX - 1;
    if (!file || strncmp(file, PREFIX, plen) != 0 || strlen(file) != plen + sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        char c = file[plen + i];
        if (shape[i] == 'd' ? !isdigit((unsigned char)c) : c != shape[i])
            return false;
    }
    int n = snprintf(out, size, "error/%s", file);
    return n > 0 && (size_t)n < size;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const pglogs_file *)a)->file, ((const pglogs_file *)b)->file);
}

int pglogs_list(int dirfd, int64_t now_ms, int64_t retention_ms, pglogs_file *out, int max)
{
    int dup_fd = dup(dirfd);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return -1;
    }
    rewinddir(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        pglogs_file f = {0};
        if (!pglogs_rds_name(e->d_name, f.rds_name, sizeof f.rds_name))
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            st.st_nlink != 1)
            continue; /* a symlink, FIFO or hard link under a log name: not a log */
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (now_ms - mtime > retention_ms) {
            if (unlinkat(dirfd, e->d_name, 0) == 0)
                LOG_INFO("log file past retention removed file=%s", e->d_name);
        } else {
            memcpy(f.file, e->d_name, strlen(e->d_name) + 1); /* 28 bytes, checked */
            f.size = (int64_t)st.st_size;
            f.mtime_ms = mtime;
            out[n++] = f;
        }
    }
    closedir(d);
    if (n > 1) /* qsort's array must not be NULL, even for 0 elements */
        qsort(out, (size_t)n, sizeof *out, by_name);
    return n;
}

char *pglogs_read(int dirfd, const char *file, int64_t offset, size_t max, size_t *len)
{
    int fd = fs_open_at(dirfd, file, O_RDONLY, 0, (uid_t)-1, (gid_t)-1);
    if (fd < 0)
        return NULL;
    char *buf = xmalloc(max + 1);
    size_t got = 0;
    while (got < max) {
        ssize_t r = pread(fd, buf + got, max - got, (off_t)offset + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

static size_t json_byte_len(unsigned char c)
{
    switch (c) {
    case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t':
        return 2;
    default:
        return c < 0x20 ? 6 : 1;
    }
}

size_t pglogs_json_len(const char *data, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += json_byte_len((unsigned char)data[i]);
    return n;
}

size_t pglogs_json_fit(const char *data, size_t len, size_t budget, size_t *encoded)
{
    size_t i = 0, n = 0;
    for (; i < len; i++) {
        size_t b = json_byte_len((unsigned char)data[i]);
        if (n + b > budget)
            break;
        n += b;
    }
    if (encoded)
        *encoded = n;
    return i;
}
