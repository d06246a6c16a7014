/* source: see source.h. */
#include "backup/source.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup/common.h"
#include "lib/httpc.h"
#include "lib/util.h"

bool source_is_url(const char *s)
{
    return s && strncmp(s, "http://", 7) == 0;
}

char *source_label(const char *url)
{
    static const char route[] = "/agent/v1/restore/";
    const char *r = strstr(url, route);
    const char *node_end = r ? strchr(r + sizeof route - 1, '/') : NULL;
    const char *tok_end = node_end ? strchr(node_end + 1, '/') : NULL;
    if (!tok_end)
        return xstrdup(url);
    return xasprintf("%.*s/...%s", (int)(node_end - url), url, tok_end);
}

/* The downloader's sink: every byte into the pipe, or the child ends
 * (the reader is gone: the restore already failed). */
static bool pipe_put(const char *data, size_t len, void *arg)
{
    int fd = *(int *)arg;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(EXIT_FAIL);
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static void say_status(const char *url, int status)
{
    char *label = source_label(url);
    char why[64];
    if (status == 0)
        snprintf(why, sizeof why, "no complete answer (down, silent or cut)");
    else
        snprintf(why, sizeof why, "HTTP %d", status);
    fprintf(stderr, "rds-backup: cannot fetch %s: %s\n", label, why);
    free(label);
}

/* The child: the body into wfd, exit 0 only for a whole 200 reply. */
static void download(const char *url, int wfd)
{
    httpc_opts o = {.method = "GET", .timeout_s = SOURCE_IDLE_S, .on_body = pipe_put,
                    .body_arg = &wfd};
    int status = httpc_request_sync(url, &o, NULL, NULL);
    if (status != 200) {
        say_status(url, status);
        _exit(EXIT_FAIL);
    }
    _exit(close(wfd) == 0 ? EXIT_OK : EXIT_FAIL);
}

int source_open(const char *src, source *out)
{
    *out = (source){.fd = -1, .pid = -1};
    if (!source_is_url(src)) {
        store_access(true);
        out->fd = open(src, O_RDONLY | O_CLOEXEC);
        store_access(false);
        return out->fd < 0 ? failf(EXIT_FAIL, "cannot open", src) : EXIT_OK;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return failf(EXIT_FAIL, "cannot make a pipe", strerror(errno));
    fcntl(p[0], F_SETPIPE_SZ, BACKUP_IO_SIZE);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return failf(EXIT_FAIL, "cannot fork", strerror(errno));
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(p[0]);
        download(src, p[1]);
    }
    close(p[1]);
    *out = (source){.fd = p[0], .pid = pid};
    return EXIT_OK;
}

int source_close(source *s)
{
    if (s->fd >= 0)
        close(s->fd); /* first: a downloader blocked on a full pipe ends */
    s->fd = -1;
    if (s->pid <= 0)
        return EXIT_OK;
    bool ok = wait_ok(s->pid);
    s->pid = -1;
    return ok ? EXIT_OK : EXIT_FAIL;
}

char *source_get(const char *url, size_t max)
{
    httpc_opts o = {.method = "GET", .timeout_s = SOURCE_IDLE_S, .total_s = 2 * SOURCE_IDLE_S,
                    .max_body = max};
    char *body = NULL;
    size_t len = 0;
    int status = httpc_request_sync(url, &o, &body, &len);
    if (status != 200) {
        say_status(url, status);
        free(body);
        return NULL;
    }
    return body;
}
