/* Unit tests for lib/reaper: children started with their environment,
 * stdin and output as asked, reaped without blocking, their statuses
 * handed back to the owner; kills (of a whole group), lost children, and
 * a callback that spawns again. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/reaper.h"
#include "lib/tap.h"
#include "lib/util.h"

typedef struct {
    int calls;
    pid_t pid;
    int status;
} seen;

static void on_exit_cb(pid_t pid, int status, void *arg)
{
    seen *s = arg;
    s->calls++;
    s->pid = pid;
    s->status = status;
}

/* Polls until s has been called or about 5 s passed. */
static void wait_for(reaper *rp, const seen *s)
{
    for (int i = 0; i < 500 && s->calls == 0; i++) {
        reaper_poll(rp);
        if (s->calls == 0)
            usleep(10000);
    }
}

static pid_t sh(reaper *rp, const char *script, const reaper_spec *base, seen *s)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    reaper_spec spec = base ? *base : (reaper_spec){0};
    spec.argv = argv;
    return reaper_spawn(rp, &spec, on_exit_cb, s);
}

static char *slurp(const char *path)
{
    size_t len = 0;
    char *t = fs_read_all(path, 4096, &len);
    return t ? t : xstrdup("");
}

/* A callback that starts one more child the first time it runs. */
typedef struct {
    reaper *rp;
    seen first, second;
} chain;

static void on_exit_chain(pid_t pid, int status, void *arg)
{
    chain *c = arg;
    on_exit_cb(pid, status, &c->first);
    sh(c->rp, "exit 4", NULL, &c->second);
}

int main(void)
{
    char dir[] = "/tmp/rdsim-reaper-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    reaper *rp = reaper_new();

    static const struct {
        const char *name, *script;
        int code;
    } exits[] = {
        {"exit 0 is reported as exit 0", "exit 0", 0},
        {"exit 3 is reported as exit 3", "exit 3", 3},
        {"a program that cannot run exits 127", "exec /nonexistent/prog", 127},
    };
    for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++) {
        seen s = {0};
        pid_t pid = sh(rp, exits[i].script, NULL, &s);
        wait_for(rp, &s);
        ok(pid > 0 && s.calls == 1 && s.pid == pid && WIFEXITED(s.status) &&
               WEXITSTATUS(s.status) == exits[i].code,
           exits[i].name);
    }
    seen none = {0};
    const char *bad[] = {"/nonexistent/prog", NULL};
    reaper_spec bad_spec = {.argv = bad};
    pid_t pid = reaper_spawn(rp, &bad_spec, on_exit_cb, &none);
    wait_for(rp, &none);
    ok(pid > 0 && WIFEXITED(none.status) && WEXITSTATUS(none.status) == 127,
       "exec of a missing program: the child exits 127");

    /* Environment, stdin, output (truncated, then appended). */
    char *in = xasprintf("%s/in", dir), *out = xasprintf("%s/out", dir);
    fs_write_atomic(in, "from stdin\n", 11, 0600);
    fs_write_atomic(out, "old\n", 4, 0600);
    setenv("REAPER_TEST_A", "parent", 1);
    const char *env[] = {"REAPER_TEST_A=child", "REAPER_TEST_B=new", NULL};
    reaper_spec io = {.env = env, .stdin_path = in, .out_path = out};
    seen s = {0};
    sh(rp, "cat; echo \"$REAPER_TEST_A $REAPER_TEST_B\"; echo err >&2", &io, &s);
    wait_for(rp, &s);
    char *text = slurp(out);
    is_str(text, "from stdin\nchild new\nerr\n",
           "stdin from the file; env over the parent's; stdout and stderr truncate the file");
    free(text);
    io.out_append = true;
    io.stdin_path = NULL;
    s = (seen){0};
    sh(rp, "cat; echo more", &io, &s);
    wait_for(rp, &s);
    text = slurp(out);
    is_str(text, "from stdin\nchild new\nerr\nmore\n", "out_append appends; no stdin is empty");
    free(text);
    is_str(getenv("REAPER_TEST_A"), "parent", "the parent's environment is untouched");

    /* No descriptor of the parent leaks into the child. */
    int fd = open(in, O_RDONLY);
    char *script = xasprintf("test -e /proc/self/fd/%d && exit 1; exit 0", fd);
    s = (seen){0};
    sh(rp, script, NULL, &s);
    wait_for(rp, &s);
    ok(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "the parent's descriptors close at exec");
    free(script);
    close(fd);

    /* Ignored signals are not inherited. */
    signal(SIGPIPE, SIG_IGN);
    s = (seen){0};
    sh(rp, "kill -PIPE $$; exit 0", NULL, &s);
    wait_for(rp, &s);
    ok(WIFSIGNALED(s.status) && WTERMSIG(s.status) == SIGPIPE,
       "the child starts with default dispositions (SIGPIPE kills it)");
    signal(SIGPIPE, SIG_DFL);

    /* Never blocks; a kill reaches the whole group. */
    char *mark = xasprintf("%s/grandchild", dir);
    script = xasprintf("(sleep 30; touch %s) & sleep 30", mark);
    reaper_spec grp = {.own_group = true};
    s = (seen){0};
    pid = sh(rp, script, &grp, &s);
    is_int(reaper_poll(rp), 0, "a running child: the poll returns at once, nothing reported");
    is_int(reaper_count(rp), 1, "one child running");
    ok(reaper_kill(rp, pid, SIGTERM), "reaper_kill signals its group");
    wait_for(rp, &s);
    ok(s.calls == 1 && WIFSIGNALED(s.status) && WTERMSIG(s.status) == SIGTERM,
       "the child died of the signal");
    bool gone = false; /* its members are reaped by init: give it time */
    for (int i = 0; i < 300 && !gone; i++) {
        gone = kill(-pid, 0) != 0;
        if (!gone)
            usleep(10000);
    }
    ok(gone, "and so did its own child (the group is gone)");
    ok(!reaper_kill(rp, pid, SIGTERM), "a reported child is no longer ours to signal");
    is_int(reaper_count(rp), 0, "none running");
    free(script);
    free(mark);

    /* Something else reaped it: reported as lost, once. */
    s = (seen){0};
    pid = sh(rp, "exit 0", NULL, &s);
    waitpid(pid, NULL, 0);
    is_int(reaper_poll(rp), 1, "a child reaped elsewhere is reported");
    ok(s.calls == 1 && s.status == REAPER_LOST, "  ... as REAPER_LOST");

    /* A callback may spawn again. */
    chain c = {.rp = rp};
    const char *argv[] = {"/bin/sh", "-c", "exit 2", NULL};
    reaper_spawn(rp, &(reaper_spec){.argv = argv}, on_exit_chain, &c);
    wait_for(rp, &c.first);
    wait_for(rp, &c.second);
    ok(WEXITSTATUS(c.first.status) == 2 && WEXITSTATUS(c.second.status) == 4,
       "a callback that spawns: both children reported");

    /* reaper_free kills what still runs, without callbacks. */
    s = (seen){0};
    pid = sh(rp, "sleep 30", NULL, &s);
    reaper_free(rp);
    ok(s.calls == 0 && kill(pid, 0) != 0, "reaper_free kills and reaps, calls nothing");
    reaper_free(NULL);

    fs_rm_rf(dir);
    free(in);
    free(out);
    return done_testing();
}
