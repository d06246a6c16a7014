/* Unit tests for lib/log: the per-site line limit, LOG_*_RARE, rotation. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/tap.h"

static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    fclose(f);
    return n;
}

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

int main(void)
{
    char dir[] = "/tmp/rdsim-log.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[256], old[260];
    snprintf(path, sizeof path, "%s/test.log", dir);
    snprintf(old, sizeof old, "%s.1", path);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDERR_FILENO);
    close(fd);

    time_t t0 = time(NULL);
    for (int i = 0; i < 1500; i++)
        LOG_WARN("flood line=%d", i);
    for (int i = 0; i < 50; i++)
        LOG_WARN_RARE("rare line=%d", i);
    LOG_INFO("another site");
    /* The limit is per 10-second window: a run across a window edge may
     * write one window's worth more. */
    int windows = (int)(time(NULL) / 10 - t0 / 10) + 1;
    int flood = count_lines(path, "flood line=");
    int rare = count_lines(path, "rare line=");
    int other = count_lines(path, "another site");

    log_set_max_bytes(64 * 1024);
    for (int i = 0; i < 900; i++)
        LOG_INFO("filler to rotate i=%d ................................................", i);
    off_t cur = size_of(path), prev = size_of(old);

    dup2(saved, STDERR_FILENO);
    close(saved);
    diag("windows=%d flood=%d rare=%d rotated=%lld live=%lld", windows, flood, rare,
         (long long)prev, (long long)cur);
    ok(flood == (windows == 1 ? 1000 : flood) && flood >= 1000 && flood <= 1000 * windows,
       "one site writes at most 1000 lines a window");
    ok(rare >= 1 && rare <= windows, "a RARE site writes one line a window");
    is_int(other, 1, "a limited site does not silence another");
    ok(prev >= 64 * 1024 && prev < 64 * 1024 + 2048, "rotated to .1 at the limit");
    ok(cur >= 0 && cur < 64 * 1024, "the live file is below the limit");
    unlink(path);
    unlink(old);
    rmdir(dir);
    return done_testing();
}
