/* ptree: a "server" (a group leader whose children start sessions of their
 * own, as PostgreSQL's do) is stopped and killed as a whole, children
 * included, even though they are not in its process group. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/ptree.h"
#include "lib/tap.h"

#define KIDS 3

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The server: its own session, KIDS children each in its own session. The
 * pipe says when all are forked. */
static pid_t start_server(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pm = fork();
    if (pm == 0) {
        setsid();
        for (int i = 0; i < KIDS; i++)
            if (fork() == 0) {
                setsid();
                for (;;)
                    pause();
            }
        (void)!write(fds[1], "x", 1);
        for (;;)
            pause();
    }
    char c;
    close(fds[1]);
    (void)!read(fds[0], &c, 1);
    close(fds[0]);
    return pm;
}

static char state_of(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "re");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *close = strrchr(buf, ')');
    return close && close[1] == ' ' ? close[2] : 0;
}

/* true once pid is gone (reaped by us, the subreaper) within ~2 s. */
static bool gone(pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        nap_ms(10);
    }
    return false;
}

int main(void)
{
    /* Orphans come to us, so the test can reap and count them. */
    ok(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "test process is a subreaper");
    pid_t pm = start_server();
    ok(pm > 0, "server started");
    pid_t kids[PTREE_MAX];
    int n = ptree_children(pm, kids, PTREE_MAX);
    is_int(n, KIDS, "its children are found by parent pid");
    is_int(ptree_ppid_of(kids[0]), pm, "ppid of a child is the server");
    is_int(ptree_ppid_of(999999999), 0, "ppid of no process: 0");

    pid_t hung[PTREE_MAX];
    int nhung = 0;
    ok(ptree_signal_server(pm, SIGSTOP, hung, PTREE_MAX, &nhung), "SIGSTOP the server");
    is_int(nhung, KIDS, "the stopped children are listed");
    bool all_stopped = true;
    for (int i = 0; i < 100; i++) {
        all_stopped = state_of(pm) == 'T';
        for (int k = 0; k < nhung; k++)
            all_stopped = all_stopped && state_of(hung[k]) == 'T';
        if (all_stopped)
            break;
        nap_ms(10);
    }
    ok(all_stopped, "postmaster and every child stopped (not only its group)");

    ok(ptree_signal_server(pm, SIGKILL, NULL, 0, NULL), "SIGKILL the stopped server");
    bool all_gone = gone(pm);
    for (int k = 0; k < nhung; k++)
        all_gone = gone(hung[k]) && all_gone;
    ok(all_gone, "postmaster and every stopped child are gone");

    ptree_signal_list(hung, nhung, SIGCONT); /* ESRCH: harmless */
    ok(!ptree_signal_server(pm, SIGKILL, NULL, 0, NULL), "signalling a gone server says so");
    return done_testing();
}
