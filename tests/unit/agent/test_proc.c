/* Unit tests for agent/proc: spawn and reap through the event loop, exec
 * failures reported synchronously, stdin feeding, output files, the
 * environment filter, and status descriptions. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/proc.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

typedef struct {
    struct event_base *base;
    int status;
    bool done;
} exit_box;

static void on_exit_cb(pid_t pid, int status, void *arg)
{
    (void)pid;
    exit_box *b = arg;
    b->status = status;
    b->done = true;
    event_base_loopbreak(b->base);
}

/* Runs argv through proc_spawn and the reaper; returns the wait status,
 * or -1 if the spawn failed. A 10 s timer bounds the wait. */
static int run(struct event_base *base, proc_reaper *r, const proc_spec *spec)
{
    exit_box b = {base, 0, false};
    if (proc_spawn(r, spec, on_exit_cb, &b) < 0)
        return -1;
    struct timeval limit = {10, 0};
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    return b.done ? b.status : -2;
}

int main(void)
{
    struct event_base *base = event_base_new();
    proc_reaper *r = proc_reaper_new(base);
    ok(r != NULL, "reaper installed");

    static const struct {
        const char *name;
        const char *script;
        const char *want;
    } cases[] = {
        {"exit 0", "exit 0", "exit 0"},
        {"exit 3", "exit 3", "exit 3"},
        {"killed by a signal", "kill -9 $$", "signal 9"},
        {"agent's PG* variables filtered out", "test -z \"$PGDATA\" && test -z \"$PGPASSWORD\"",
         "exit 0"},
        {"extra environment passed", "test \"$RDSIM_X\" = yes", "exit 0"},
        {"stdin is /dev/null by default", "test \"$(cat)\" = ''", "exit 0"},
        {"new session: own session leader", "test \"$(ps -o sid= -p $$ | tr -d ' ')\" = $$",
         "exit 0"},
    };
    setenv("PGDATA", "/nowhere", 1);
    setenv("PGPASSWORD", "secret", 1);
    const char *env[] = {"RDSIM_X=yes", NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[] = {"/bin/sh", "-c", cases[i].script, NULL};
        proc_spec spec = {.argv = argv, .env = env, .new_session = true};
        int st = run(base, r, &spec);
        char buf[32] = "spawn failed";
        if (st >= 0)
            proc_describe_status(st, buf, sizeof buf);
        is_str(buf, cases[i].want, cases[i].name);
    }

    const char *missing[] = {"/nonexistent/prog", NULL};
    proc_spec bad = {.argv = missing};
    is_int(run(base, r, &bad), -1, "exec failure reported by proc_spawn, no callback");

    char dir[] = "/tmp/rdsim-proc-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *out = xasprintf("%s/out.log", dir);
    const char *cat[] = {"/bin/sh", "-c", "cat; echo err >&2", NULL};
    proc_spec feed = {.argv = cat, .stdin_data = "CREATE DATABASE \"x\"\n", .out_path = out};
    is_int(run(base, r, &feed), 0, "stdin fed, output file written");
    char *text = fs_read_all(out, 4096, NULL);
    is_str(text, "CREATE DATABASE \"x\"\nerr\n", "stdout and stderr appended to out_path");
    free(text);
    char *bad_out = xasprintf("%s/no/such/dir/out.log", dir);
    proc_spec nowhere = {.argv = cat, .out_path = bad_out};
    is_int(run(base, r, &nowhere), -1, "unopenable output file reported");
    fs_rm_rf(dir);
    free(out);
    free(bad_out);

    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    proc_spec too_big = {.argv = cat, .stdin_data = big};
    is_int(run(base, r, &too_big), -1, "stdin data over the pipe limit refused");

    proc_user self;
    ok(proc_user_resolve("postgres", false, &self), "user resolves");
    ok(self.drop == (geteuid() == 0), "drops privileges exactly when root");
    proc_user_free(&self);

    proc_reaper_free(r);
    event_base_free(base);
    return done_testing();
}
