/* basebackup: the archive stream's messages as a hostile server could
 * send them — only one archive's data goes to the sink, and every short,
 * unterminated, unknown or out-of-order message fails the backup. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup/basebackup.h"
#include "lib/tap.h"

typedef struct {
    const char *name;
    const char *msg; /* bytes, lengths below (may hold NULs) */
    size_t len;
    int archives_before;
    basebackup_msg want;
    size_t want_data; /* DATA: the payload's length */
} msg_case;

static const msg_case cases[] = {
    {"empty message", "", 0, 0, BASEBACKUP_MSG_BAD, 0},
    {"new archive", "nbase.tar\0\0", 11, 0, BASEBACKUP_MSG_SKIP, 0},
    {"new archive, path unterminated", "nbase.tar\0/x", 12, 0, BASEBACKUP_MSG_BAD, 0},
    {"new archive, name unterminated", "nbase.tar", 9, 0, BASEBACKUP_MSG_BAD, 0},
    {"new archive, type byte only", "n", 1, 0, BASEBACKUP_MSG_BAD, 0},
    {"a second archive (a tablespace)", "n16384.tar\0/ts\0", 16, 1, BASEBACKUP_MSG_BAD, 0},
    {"data of the archive", "dtar bytes", 10, 1, BASEBACKUP_MSG_DATA, 9},
    {"empty data", "d", 1, 1, BASEBACKUP_MSG_DATA, 0},
    {"data before any archive", "dtar", 4, 0, BASEBACKUP_MSG_BAD, 0},
    {"progress", "p\0\0\0\0\0\0\0\1", 9, 1, BASEBACKUP_MSG_SKIP, 0},
    {"progress, short", "p\0\0\0", 4, 1, BASEBACKUP_MSG_BAD, 0},
    {"progress, long", "p\0\0\0\0\0\0\0\0\0", 10, 1, BASEBACKUP_MSG_BAD, 0},
    {"a manifest, not asked for", "m", 1, 1, BASEBACKUP_MSG_BAD, 0},
    {"an unknown type", "zzz", 3, 1, BASEBACKUP_MSG_BAD, 0},
};

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const msg_case *c = &cases[i];
        basebackup_stream s = {.archives = c->archives_before};
        const uint8_t *data = NULL;
        size_t len = 99;
        const char *why = NULL;
        basebackup_msg m =
            basebackup_message(&s, (const uint8_t *)c->msg, c->len, &data, &len, &why);
        char name[128];
        snprintf(name, sizeof name, "%s: %s", c->name,
                 c->want == BASEBACKUP_MSG_DATA   ? "data"
                 : c->want == BASEBACKUP_MSG_SKIP ? "skipped"
                                                  : "refused");
        ok(m == c->want, name);
        if (m == BASEBACKUP_MSG_DATA) {
            snprintf(name, sizeof name, "%s: the payload after the type byte", c->name);
            ok(len == c->want_data && data == (const uint8_t *)c->msg + 1, name);
        }
        if (m == BASEBACKUP_MSG_BAD) {
            snprintf(name, sizeof name, "%s: says why", c->name);
            ok(why && why[0], name);
        }
    }
}

/* A whole well-formed stream: the data of its one archive, in order. */
static void test_stream(void)
{
    basebackup_stream s = {0};
    const char *msgs[] = {"nbase.tar\0", "dab", "p\0\0\0\0\0\0\0\2", "dcd"};
    const size_t lens[] = {11, 3, 9, 3};
    char got[8] = "";
    size_t n = 0;
    bool good = true;
    for (int i = 0; i < 4; i++) {
        const uint8_t *data = NULL;
        size_t len = 0;
        const char *why = NULL;
        basebackup_msg m = basebackup_message(&s, (const uint8_t *)msgs[i], lens[i], &data,
                                              &len, &why);
        good = good && m != BASEBACKUP_MSG_BAD;
        if (m == BASEBACKUP_MSG_DATA && n + len < sizeof got) {
            memcpy(got + n, data, len);
            n += len;
        }
    }
    got[n] = '\0';
    ok(good && strcmp(got, "abcd") == 0, "a stream's archive data in order");
}

/* ---- a server that goes silent (invariant 3) ---- */

static void put_msg(int fd, char type, const void *body, uint32_t len)
{
    uint8_t hdr[5] = {(uint8_t)type};
    uint32_t n = htonl(len + 4);
    memcpy(hdr + 1, &n, 4);
    if (write(fd, hdr, 5) != 5 || (len > 0 && write(fd, body, len) != (ssize_t)len))
        _exit(1);
}

/* A result set of one row of text columns. */
static void put_row(int fd, int ncols, const char *const *vals)
{
    uint8_t b[512];
    size_t n = 0;
    b[n++] = 0;
    b[n++] = (uint8_t)ncols;
    for (int i = 0; i < ncols; i++) {
        n += (size_t)snprintf((char *)b + n, 16, "c%d", i) + 1;
        uint8_t f[18] = {0};
        uint32_t text = htonl(25); /* its type: text */
        memcpy(f + 6, &text, 4);
        f[10] = 0xff, f[11] = 0xff; /* typlen -1 */
        memcpy(b + n, f, 18);
        n += 18;
    }
    put_msg(fd, 'T', b, (uint32_t)n);
    n = 0;
    b[n++] = 0;
    b[n++] = (uint8_t)ncols;
    for (int i = 0; i < ncols; i++) {
        uint32_t len = (uint32_t)strlen(vals[i]), be = htonl(len);
        memcpy(b + n, &be, 4);
        memcpy(b + n + 4, vals[i], len);
        n += 4 + len;
    }
    put_msg(fd, 'D', b, (uint32_t)n);
    put_msg(fd, 'C', "SELECT 1", 9);
}

/* Accepts one connection, logs it in, answers the query up to `upto`
 * ("nothing": no answer; "copy": the start point, the tablespace list, the
 * COPY's start and one archive's first bytes), then reads until the
 * client goes. */
static void silent_server(int lfd, const char *upto)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        _exit(1);
    uint8_t buf[4096];
    uint32_t len;
    if (read(fd, &len, 4) != 4 || ntohl(len) > sizeof buf ||
        read(fd, buf, ntohl(len) - 4) != (ssize_t)(ntohl(len) - 4))
        _exit(1);
    uint8_t auth_ok[4] = {0};
    put_msg(fd, 'R', auth_ok, 4);
    put_msg(fd, 'Z', "I", 1);
    if (read(fd, buf, sizeof buf) <= 0) /* the query */
        _exit(1);
    if (strcmp(upto, "copy") == 0) {
        const char *start[] = {"0/2000028", "1"};
        const char *ts[] = {"", "", ""};
        put_row(fd, 2, start);
        put_row(fd, 3, ts);
        uint8_t copy[3] = {0, 0, 0};
        put_msg(fd, 'H', copy, 3);
        put_msg(fd, 'd', "nbase.tar\0\0", 11);
        put_msg(fd, 'd', "dtar", 4);
    }
    while (read(fd, buf, sizeof buf) > 0)
        ;
    _exit(0);
}

static bool drop_sink(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return true;
}

static void test_silent(const char *upto)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        ok(false, "a listening socket");
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        silent_server(lfd, upto);
    close(lfd);
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    size_t got = 0;
    basebackup_result r;
    char why[512];
    bool done = basebackup_run("127.0.0.1", port, "u", 300, drop_sink, &got, &r, why, sizeof why);
    diag("silent after %s: %s", upto, why);
    ok(!done && strstr(why, "the server sent nothing for 300 ms") != NULL,
       strcmp(upto, "copy") == 0 ? "a server silent in the COPY: the backup fails"
                                 : "a server silent after the query: the backup fails");
    if (strcmp(upto, "copy") == 0)
        ok(got == 3, "... after the data it had sent");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(void)
{
    test_cases();
    test_stream();
    /* The fake server speaks neither TLS nor GSSAPI. */
    setenv("PGSSLMODE", "disable", 1);
    setenv("PGGSSENCMODE", "disable", 1);
    signal(SIGPIPE, SIG_IGN);
    test_silent("nothing");
    test_silent("copy");
    return done_testing();
}
