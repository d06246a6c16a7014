/* node: one PostgreSQL node's lifecycle. See node.h for the state diagram.
 *
 * Invariants:
 *  1. At most one job child (rm, initdb, createdb) per node; while it runs
 *     node_step only waits (or, for goal absent, asks it to stop).
 *  2. pm_pid is the postmaster we believe alive: our child (pm_child, its
 *     exit comes from the reaper) or an adopted one (checked through /proc
 *     every step). postmaster_gone is the one place that clears it.
 *  3. A node is "initialized" iff <dir>/initialized exists; it is written
 *     last, after initdb, configuration and the database, so a crash at any
 *     point of creation leads to a clean re-creation, never a half node.
 *  4. The password goes only into <dir>/pwfile (0600, pg user) for the
 *     lifetime of initdb, and is removed when initdb exits (or on the next
 *     probe after a crash). */
#include "agent/node.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

enum {
    STOP_QUIT_AFTER_MS = 10000, /* fast shutdown → immediate shutdown */
    STOP_KILL_AFTER_MS = 20000, /* immediate shutdown → SIGKILL */
    RETRY_MIN_MS = 500,
    RETRY_MAX_MS = 10000,
    SOCKET_PATH_MAX = 107, /* sizeof(sun_path) - 1 */
};

typedef enum { JOB_NONE, JOB_RM_DATA, JOB_INITDB, JOB_CREATEDB, JOB_RM_DIR } node_job;

static const char *const job_names[] = {"none", "rm-data", "initdb", "createdb", "rm-dir"};

struct node {
    const node_env *env;
    char *id;
    char *dir, *data_dir, *sock_dir, *log_dir, *marker, *pwfile, *pidfile;
    node_goal goal;
    int64_t generation;
    int64_t restarts;
    node_spec spec;
    bool has_spec;
    node_state state;
    char *error;
    char *last_exit;
    pid_t pm_pid;
    bool pm_child;
    pid_t job_pid;
    node_job job;
    bool job_killed;
    int64_t stop_sent_ms;
    int stop_level; /* 1 SIGINT sent, 2 SIGQUIT, 3 SIGKILL */
    int failures;   /* consecutive, for the retry backoff */
    int64_t retry_at_ms;
    bool conf_checked;
    bool restart_pending;
};

/* ---- states ------------------------------------------------------------- */

static const char *const state_names[NODE_STATE_COUNT] = {
    [NODE_NEW] = "creating",      [NODE_CREATING] = "creating", [NODE_STARTING] = "starting",
    [NODE_RUNNING] = "running",   [NODE_STOPPING] = "stopping", [NODE_STOPPED] = "stopped",
    [NODE_FAILED] = "failed",     [NODE_DELETING] = "deleting", [NODE_ABSENT] = "absent",
};

const char *node_state_name(node_state s)
{
    return (unsigned)s < NODE_STATE_COUNT ? state_names[s] : "unknown";
}

#define B(s) (1u << (s))
/* allowed[from] is the set of states reachable in one transition. */
static const unsigned allowed[NODE_STATE_COUNT] = {
    [NODE_NEW] = B(NODE_CREATING) | B(NODE_DELETING) | B(NODE_FAILED),
    [NODE_CREATING] = B(NODE_STOPPED) | B(NODE_FAILED) | B(NODE_DELETING),
    /* → STOPPED: the postmaster died while the goal was no longer running. */
    [NODE_STARTING] = B(NODE_RUNNING) | B(NODE_FAILED) | B(NODE_STOPPING) | B(NODE_STOPPED),
    /* → STARTING: a crash restarted by the supervisor. */
    [NODE_RUNNING] = B(NODE_STARTING) | B(NODE_STOPPING) | B(NODE_FAILED) | B(NODE_STOPPED),
    [NODE_STOPPING] = B(NODE_STOPPED),
    [NODE_STOPPED] = B(NODE_STARTING) | B(NODE_DELETING) | B(NODE_FAILED),
    [NODE_FAILED] = B(NODE_CREATING) | B(NODE_STARTING) | B(NODE_STOPPED) | B(NODE_DELETING),
    [NODE_DELETING] = B(NODE_ABSENT) | B(NODE_FAILED),
    [NODE_ABSENT] = B(NODE_CREATING) | B(NODE_FAILED),
};

bool node_transition_allowed(node_state from, node_state to)
{
    if ((unsigned)from >= NODE_STATE_COUNT || (unsigned)to >= NODE_STATE_COUNT)
        return false;
    return (allowed[from] & B(to)) != 0;
}

/* In logs NEW is "new", though the protocol reports it as "creating". */
static const char *log_name(node_state s)
{
    return s == NODE_NEW ? "new" : node_state_name(s);
}

/* The one setter: validates against the table, logs, records the error
 * (NULL clears it) and tells the agent so it heartbeats at once. */
static bool set_state(node *n, node_state to, const char *error)
{
    if (!node_transition_allowed(n->state, to)) {
        LOG_ERROR("refused transition node_id=%s from=%s to=%s", n->id,
                  log_name(n->state), log_name(to));
        return false;
    }
    free(n->error);
    n->error = error ? xstrdup(error) : NULL;
    if (error)
        LOG_WARN("node state node_id=%s from=%s to=%s error=\"%s\"", n->id,
                 log_name(n->state), log_name(to), error);
    else
        LOG_INFO("node state node_id=%s from=%s to=%s", n->id, log_name(n->state),
                 log_name(to));
    n->state = to;
    n->env->changed(n->env->arg, false);
    return true;
}

/* A step failed: go to FAILED and retry later with a growing delay. */
static void fail(node *n, const char *error)
{
    n->failures++;
    int64_t delay = RETRY_MIN_MS;
    for (int i = 1; i < n->failures && delay < RETRY_MAX_MS; i++)
        delay *= 2;
    n->retry_at_ms = mono_ms() + (delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS);
    if (n->state != NODE_FAILED) {
        set_state(n, NODE_FAILED, error);
        return;
    }
    /* Failing again: no transition, only a new reason (logged if new). */
    if (n->error && strcmp(n->error, error) == 0)
        return;
    LOG_WARN("node still failed node_id=%s error=\"%s\"", n->id, error);
    free(n->error);
    n->error = xstrdup(error);
    n->env->changed(n->env->arg, false);
}

/* ---- pure helpers --------------------------------------------------------- */

bool node_id_valid(const char *id)
{
    if (!id || !*id || strlen(id) > 80)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

/* A PostgreSQL configuration string literal: '' for ', \\ for \. */
static void put_quoted(sbuf *b, const char *s)
{
    sbuf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            sbuf_putc(b, *s);
        sbuf_putc(b, *s);
    }
    sbuf_putc(b, '\'');
}

static void put_setting(sbuf *b, const char *key, const char *value)
{
    sbuf_printf(b, "%s = ", key);
    put_quoted(b, value);
    sbuf_putc(b, '\n');
}

char *node_render_conf(const char *node_dir, const node_spec *spec)
{
    sbuf b = {0};
    sbuf_puts(&b, "# Written by rds-agent from the node's spec; rewritten on every change.\n");
    sbuf_printf(&b, "# instance_id = %s, role = %s\n", spec->instance_id, spec->role);
    /* The spec's settings first; spec_valid_setting_key keeps them from
     * naming the keys below, which the agent owns. */
    for (size_t i = 0; i < spec->nsettings; i++)
        put_setting(&b, spec->settings[i].key, spec->settings[i].value);
    char *sock = xasprintf("%s/sock", node_dir);
    char *log = xasprintf("%s/log", node_dir);
    char port[16];
    snprintf(port, sizeof port, "%d", spec->port);
    put_setting(&b, "listen_addresses", spec->addr);
    put_setting(&b, "port", port);
    put_setting(&b, "unix_socket_directories", sock);
    put_setting(&b, "password_encryption", "scram-sha-256");
    put_setting(&b, "logging_collector", "on");
    put_setting(&b, "log_directory", log);
    put_setting(&b, "log_filename", "postgresql.log.%Y-%m-%d-%H");
    free(sock);
    free(log);
    return sbuf_take(&b);
}

char *node_render_hba(void)
{
    return xstrdup("# Written by rds-agent.\n"
                   "# TYPE  DATABASE     USER  ADDRESS       METHOD\n"
                   "local   all          all                 scram-sha-256\n"
                   "host    all          all   127.0.0.0/8   scram-sha-256\n"
                   "host    replication  all   127.0.0.0/8   scram-sha-256\n");
}

bool node_pidfile_parse(const char *text, size_t len, node_pidfile *out)
{
    memset(out, 0, sizeof *out);
    size_t start = 0;
    int line = 1;
    bool have_pid = false;
    for (size_t i = 0; i <= len && line <= 8; i++) {
        if (i < len && text[i] != '\n')
            continue;
        size_t n = i - start;
        char buf[64];
        /* A long line or one with a NUL cannot be a valid field: blank it. */
        if (n >= sizeof buf || memchr(text + start, '\0', n))
            n = 0;
        memcpy(buf, text + start, n);
        buf[n] = '\0';
        /* Status is space-padded so the postmaster can rewrite it in place. */
        while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        int64_t v;
        if (line == 1)
            have_pid = str_to_int64(buf, 1, 0x7fffffff, &v) && (out->pid = (pid_t)v) > 0;
        else if (line == 4 && str_to_int64(buf, 1, 65535, &v))
            out->port = (int)v;
        else if (line == 8 && n < sizeof out->status)
            memcpy(out->status, buf, n + 1);
        start = i + 1;
        line++;
    }
    return have_pid;
}

/* ---- files ---------------------------------------------------------------- */

static bool write_owned(const node *n, const char *path, const char *text, mode_t mode)
{
    size_t len = 0;
    char *old = fs_read_all(path, 1 << 20, &len);
    bool same = old && len == strlen(text) && memcmp(old, text, len) == 0;
    free(old);
    if (same)
        return true;
    return fs_write_atomic(path, text, strlen(text), mode) &&
           proc_user_chown(n->env->user, path);
}

/* Writes rdsim.conf and pg_hba.conf if they differ from what is there. */
static bool write_config(node *n)
{
    char *conf = node_render_conf(n->dir, &n->spec);
    char *hba = node_render_hba();
    char *conf_path = xasprintf("%s/rdsim.conf", n->data_dir);
    char *hba_path = xasprintf("%s/pg_hba.conf", n->data_dir);
    bool ok = write_owned(n, conf_path, conf, 0600) && write_owned(n, hba_path, hba, 0600);
    free(conf);
    free(hba);
    free(conf_path);
    free(hba_path);
    return ok;
}

/* Appends the include of rdsim.conf to initdb's postgresql.conf, once. */
static bool include_rdsim_conf(node *n)
{
    static const char line[] = "\n# rds-agent: the node's spec\ninclude_if_exists = 'rdsim.conf'\n";
    char *path = xasprintf("%s/postgresql.conf", n->data_dir);
    size_t len = 0;
    char *text = fs_read_all(path, 16 << 20, &len);
    bool ok = false;
    if (!text) {
        LOG_ERROR("cannot read path=%s err=%s", path, strerror(errno));
    } else if (strstr(text, "include_if_exists = 'rdsim.conf'")) {
        ok = true;
    } else {
        sbuf b = {0};
        sbuf_append(&b, text, len);
        sbuf_puts(&b, line);
        ok = write_owned(n, path, b.data, 0600);
        sbuf_free(&b);
    }
    free(text);
    free(path);
    return ok;
}

static bool make_dirs(node *n)
{
    const char *dirs[] = {n->dir, n->data_dir, n->sock_dir, n->log_dir};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!fs_mkdir_p(dirs[i], 0700) || !proc_user_chown(n->env->user, dirs[i]))
            return false;
        if (chmod(dirs[i], 0700) != 0) {
            LOG_ERROR("chmod failed path=%s err=%s", dirs[i], strerror(errno));
            return false;
        }
    }
    return true;
}

/* The password file for initdb: created exclusively, 0600, owned by the pg
 * user, holding the password and nothing else (invariant 4). */
static bool write_pwfile(node *n)
{
    unlink(n->pwfile);
    int fd = open(n->pwfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        LOG_ERROR("cannot create pwfile node_id=%s err=%s", n->id, strerror(errno));
        return false;
    }
    const char *pw = n->spec.master_password;
    size_t len = strlen(pw);
    bool ok = write(fd, pw, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    if (ok && n->env->user->drop)
        ok = fchown(fd, n->env->user->uid, n->env->user->gid) == 0;
    if (close(fd) != 0)
        ok = false;
    if (!ok) {
        LOG_ERROR("cannot write pwfile node_id=%s err=%s", n->id, strerror(errno));
        unlink(n->pwfile);
    }
    return ok;
}

/* ---- postmaster ----------------------------------------------------------- */

static void on_postmaster_exit(pid_t pid, int status, void *arg);
static void run_step(node *n);

static void postmaster_spawn(node *n)
{
    if (!make_dirs(n) || !write_config(n)) {
        fail(n, "cannot write configuration");
        return;
    }
    char *prog = xasprintf("%s/postgres", n->env->bindir);
    char *out = xasprintf("%s/postmaster.log", n->log_dir);
    const char *argv[] = {prog, "-D", n->data_dir, NULL};
    proc_spec ps = {.argv = argv, .cwd = n->dir, .out_path = out, .new_session = true,
                    .user = n->env->user};
    pid_t pid = proc_spawn(n->env->reaper, &ps, on_postmaster_exit, n);
    free(prog);
    free(out);
    if (pid < 0) {
        fail(n, "cannot spawn postgres");
        return;
    }
    n->pm_pid = pid;
    n->pm_child = true;
    n->conf_checked = true; /* it starts with the configuration just written */
    n->restart_pending = false;
    LOG_INFO("postmaster spawned node_id=%s pid=%ld addr=%s port=%d", n->id, (long)pid,
             n->spec.addr, n->spec.port);
    set_state(n, NODE_STARTING, NULL);
}

/* Invariant 2: the one place a postmaster is declared gone. how is
 * "exit 1", "signal 9", or "gone" for an adopted process. */
static void postmaster_gone(node *n, const char *how)
{
    pid_t pid = n->pm_pid;
    n->pm_pid = 0;
    n->pm_child = false;
    switch (n->state) {
    case NODE_STOPPING:
        LOG_INFO("postmaster stopped node_id=%s pid=%ld how=\"%s\"", n->id, (long)pid, how);
        n->failures = 0;
        set_state(n, NODE_STOPPED, NULL);
        break;
    case NODE_RUNNING:
        if (n->goal == NODE_GOAL_RUNNING) {
            n->restarts++;
            free(n->last_exit);
            n->last_exit = xstrdup(how);
            LOG_WARN("postmaster crashed, restarting node_id=%s pid=%ld how=\"%s\" restarts=%lld",
                     n->id, (long)pid, how, (long long)n->restarts);
            n->env->changed(n->env->arg, true);
            postmaster_spawn(n);
        } else {
            set_state(n, NODE_STOPPED, NULL);
        }
        break;
    case NODE_STARTING:
        if (n->goal == NODE_GOAL_RUNNING) {
            char *err = xasprintf("postgres exited during startup (%s); see log/", how);
            fail(n, err);
            free(err);
        } else {
            set_state(n, NODE_STOPPED, NULL);
        }
        break;
    default:
        LOG_WARN("postmaster gone node_id=%s pid=%ld how=\"%s\" state=%s", n->id, (long)pid,
                 how, node_state_name(n->state));
        break;
    }
}

static void on_postmaster_exit(pid_t pid, int status, void *arg)
{
    node *n = arg;
    if (pid != n->pm_pid)
        return;
    char how[32];
    postmaster_gone(n, proc_describe_status(status, how, sizeof how));
    run_step(n);
}

/* Reads data/postmaster.pid; true if it names pid and says it accepts
 * connections ("ready", or "standby" for a hot standby). */
static bool postmaster_ready(const node *n, pid_t pid)
{
    size_t len = 0;
    char *text = fs_read_all(n->pidfile, 4096, &len);
    node_pidfile pf;
    bool ready = text && node_pidfile_parse(text, len, &pf) && pf.pid == pid &&
                 (strcmp(pf.status, "ready") == 0 || strcmp(pf.status, "standby") == 0);
    free(text);
    return ready;
}

static void stop_begin(node *n)
{
    /* SIGINT is PostgreSQL's fast shutdown: roll back sessions, checkpoint, exit. */
    if (kill(n->pm_pid, SIGINT) != 0 && errno != ESRCH)
        LOG_WARN("cannot signal postmaster node_id=%s pid=%ld err=%s", n->id, (long)n->pm_pid,
                 strerror(errno));
    n->stop_sent_ms = mono_ms();
    n->stop_level = 1;
    set_state(n, NODE_STOPPING, NULL);
}

static void stop_progress(node *n)
{
    if (n->pm_pid == 0) {
        set_state(n, NODE_STOPPED, NULL);
        return;
    }
    int64_t waited = mono_ms() - n->stop_sent_ms;
    if (n->stop_level == 1 && waited >= STOP_QUIT_AFTER_MS) {
        LOG_WARN("fast shutdown too slow, immediate shutdown node_id=%s pid=%ld", n->id,
                 (long)n->pm_pid);
        kill(n->pm_pid, SIGQUIT);
        n->stop_level = 2;
    } else if (n->stop_level == 2 && waited >= STOP_KILL_AFTER_MS) {
        LOG_WARN("immediate shutdown too slow, killing node_id=%s pid=%ld", n->id,
                 (long)n->pm_pid);
        kill(n->pm_pid, SIGKILL);
        n->stop_level = 3;
    }
}

/* ---- jobs ----------------------------------------------------------------- */

static void on_job_exit(pid_t pid, int status, void *arg);

static bool job_spawn(node *n, node_job job, const char *const *argv, const char *stdin_data,
                      bool as_pg_user)
{
    char *out = (job == JOB_INITDB || job == JOB_CREATEDB)
                    ? xasprintf("%s/%s.log", n->log_dir, job_names[job])
                    : NULL;
    proc_spec ps = {.argv = argv, .cwd = as_pg_user ? n->dir : "/", .stdin_data = stdin_data,
                    .out_path = out, .user = as_pg_user ? n->env->user : NULL,
                    .die_with_agent = true};
    pid_t pid = proc_spawn(n->env->reaper, &ps, on_job_exit, n);
    free(out);
    if (pid < 0)
        return false;
    n->job_pid = pid;
    n->job = job;
    n->job_killed = false;
    LOG_INFO("job started node_id=%s job=%s pid=%ld", n->id, job_names[job], (long)pid);
    return true;
}

static void rm_spawn(node *n, node_job job, const char *path)
{
    const char *argv[] = {"/bin/rm", "-rf", "--", path, NULL};
    if (!job_spawn(n, job, argv, NULL, false))
        fail(n, "cannot spawn rm");
}

static void initdb_spawn(node *n)
{
    if (!make_dirs(n) || !write_pwfile(n)) {
        fail(n, "cannot prepare node directory");
        return;
    }
    char *prog = xasprintf("%s/initdb", n->env->bindir);
    char *pwopt = xasprintf("--pwfile=%s", n->pwfile);
    const char *argv[] = {prog, "-D", n->data_dir, "-U", n->spec.master_username, pwopt,
                          "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                          "-E", "UTF8", "--locale=C", NULL};
    if (!job_spawn(n, JOB_INITDB, argv, NULL, true)) {
        unlink(n->pwfile);
        fail(n, "cannot spawn initdb");
    }
    free(prog);
    free(pwopt);
}

/* The database is created in single-user mode before the first start: no
 * connection and so no password is needed, and creation stays one
 * all-or-nothing phase (invariant 3). exit_on_error makes a failed
 * statement a non-zero exit. */
static void createdb_spawn(node *n)
{
    char *prog = xasprintf("%s/postgres", n->env->bindir);
    char *sql = xasprintf("CREATE DATABASE \"%s\"\n", n->spec.db_name);
    const char *argv[] = {prog, "--single", "-D", n->data_dir, "-c", "exit_on_error=on",
                          "postgres", NULL};
    if (!job_spawn(n, JOB_CREATEDB, argv, sql, true))
        fail(n, "cannot spawn postgres --single");
    free(prog);
    free(sql);
}

static void create_finish(node *n)
{
    if (!fs_write_atomic(n->marker, "1\n", 2, 0600)) {
        fail(n, "cannot write the initialized marker");
        return;
    }
    n->failures = 0;
    set_state(n, NODE_STOPPED, NULL);
}

static void create_begin(node *n)
{
    if (!n->has_spec || !n->spec.master_password) {
        fail(n, "master_password is required to create the node");
        return;
    }
    char *sock = xasprintf("%s/.s.PGSQL.%d", n->sock_dir, n->spec.port);
    bool too_long = strlen(sock) > SOCKET_PATH_MAX;
    free(sock);
    if (too_long) {
        fail(n, "socket path too long: use a shorter --home");
        return;
    }
    if (!set_state(n, NODE_CREATING, NULL))
        return;
    if (fs_exists(n->data_dir))
        rm_spawn(n, JOB_RM_DATA, n->data_dir); /* a half-made node from a crash */
    else
        initdb_spawn(n);
}

static void on_job_exit(pid_t pid, int status, void *arg)
{
    node *n = arg;
    if (pid != n->job_pid)
        return;
    node_job job = n->job;
    n->job_pid = 0;
    n->job = JOB_NONE;
    char how[32];
    proc_describe_status(status, how, sizeof how);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    LOG_INFO("job done node_id=%s job=%s pid=%ld how=\"%s\"", n->id, job_names[job], (long)pid,
             how);
    if (job == JOB_INITDB)
        unlink(n->pwfile); /* invariant 4 */
    if (job == JOB_RM_DIR) {
        if (ok)
            set_state(n, NODE_ABSENT, NULL);
        else
            fail(n, "cannot remove the node directory");
    } else if (n->goal == NODE_GOAL_ABSENT) {
        /* Creation abandoned: run_step deletes what is there. */
    } else if (!ok) {
        char *err = xasprintf("%s failed (%s); see log/", job_names[job], how);
        fail(n, err);
        free(err);
    } else if (job == JOB_RM_DATA) {
        initdb_spawn(n);
    } else if (job == JOB_INITDB) {
        if (!include_rdsim_conf(n) || !write_config(n))
            fail(n, "cannot write configuration");
        else if (n->spec.db_name)
            createdb_spawn(n);
        else
            create_finish(n);
    } else if (job == JOB_CREATEDB) {
        create_finish(n);
    }
    run_step(n);
}

/* ---- reconciliation ------------------------------------------------------- */

static bool initialized(const node *n)
{
    return fs_exists(n->marker);
}

static bool retry_due(const node *n)
{
    return n->state != NODE_FAILED || mono_ms() >= n->retry_at_ms;
}

/* If the on-disk configuration differs from the spec's, restart to apply it. */
static void check_config(node *n)
{
    if (n->conf_checked)
        return;
    n->conf_checked = true;
    char *want = node_render_conf(n->dir, &n->spec);
    char *path = xasprintf("%s/rdsim.conf", n->data_dir);
    size_t len = 0;
    char *have = fs_read_all(path, 1 << 20, &len);
    if (!have || len != strlen(want) || memcmp(have, want, len) != 0) {
        LOG_INFO("configuration changed, restarting node_id=%s", n->id);
        n->restart_pending = true;
    }
    free(want);
    free(have);
    free(path);
}

static void want_running(node *n)
{
    switch (n->state) {
    case NODE_NEW:
    case NODE_ABSENT:
        create_begin(n);
        break;
    case NODE_FAILED:
        if (!retry_due(n))
            break;
        if (initialized(n))
            postmaster_spawn(n);
        else
            create_begin(n);
        break;
    case NODE_STOPPED:
        postmaster_spawn(n);
        break;
    case NODE_STARTING:
        if (postmaster_ready(n, n->pm_pid)) {
            n->failures = 0;
            set_state(n, NODE_RUNNING, NULL);
        }
        break;
    case NODE_RUNNING:
        check_config(n);
        if (n->restart_pending)
            stop_begin(n);
        break;
    case NODE_STOPPING:
        stop_progress(n);
        break;
    case NODE_CREATING: /* a job is under way */
    case NODE_DELETING:
    case NODE_STATE_COUNT:
        break;
    }
}

static void want_stopped(node *n)
{
    switch (n->state) {
    case NODE_NEW:
    case NODE_ABSENT:
        create_begin(n);
        break;
    case NODE_FAILED:
        if (initialized(n))
            set_state(n, NODE_STOPPED, NULL);
        else if (retry_due(n))
            create_begin(n);
        break;
    case NODE_STARTING:
    case NODE_RUNNING:
        stop_begin(n);
        break;
    case NODE_STOPPING:
        stop_progress(n);
        break;
    case NODE_STOPPED:
    case NODE_CREATING:
    case NODE_DELETING:
    case NODE_STATE_COUNT:
        break;
    }
}

static void want_absent(node *n)
{
    switch (n->state) {
    case NODE_STARTING:
    case NODE_RUNNING:
        stop_begin(n);
        break;
    case NODE_STOPPING:
        stop_progress(n);
        break;
    case NODE_NEW:
    case NODE_CREATING:
    case NODE_STOPPED:
    case NODE_FAILED:
        if (n->state == NODE_FAILED && !retry_due(n))
            break;
        if (set_state(n, NODE_DELETING, NULL))
            rm_spawn(n, JOB_RM_DIR, n->dir);
        break;
    case NODE_DELETING:
    case NODE_ABSENT:
    case NODE_STATE_COUNT:
        break;
    }
}

static void run_step(node *n)
{
    /* Invariant 2: an adopted postmaster is watched through /proc. */
    if (n->pm_pid > 0 && !n->pm_child && !proc_is_postmaster_of(n->pm_pid, n->data_dir))
        postmaster_gone(n, "gone");
    if (n->job_pid > 0) {
        /* Invariant 1. Abandoning creation for a delete: stop the job first. */
        if (n->goal == NODE_GOAL_ABSENT && n->job != JOB_RM_DIR && !n->job_killed) {
            kill(n->job_pid, SIGTERM);
            n->job_killed = true;
        }
        return;
    }
    switch (n->goal) {
    case NODE_GOAL_RUNNING:
        want_running(n);
        break;
    case NODE_GOAL_STOPPED:
        want_stopped(n);
        break;
    case NODE_GOAL_ABSENT:
        want_absent(n);
        break;
    }
}

void node_step(node *n)
{
    run_step(n);
}

/* ---- lifecycle ------------------------------------------------------------ */

/* Sets the initial state from what is on disk and in /proc. */
static void probe(node *n)
{
    unlink(n->pwfile); /* invariant 4: left by a crash during initdb */
    size_t len = 0;
    char *text = fs_read_all(n->pidfile, 4096, &len);
    node_pidfile pf;
    if (text && node_pidfile_parse(text, len, &pf) && proc_is_postmaster_of(pf.pid, n->data_dir)) {
        n->pm_pid = pf.pid;
        n->pm_child = false;
        bool ready = strcmp(pf.status, "ready") == 0 || strcmp(pf.status, "standby") == 0;
        n->state = ready ? NODE_RUNNING : NODE_STARTING;
        LOG_INFO("postmaster adopted node_id=%s pid=%ld status=%s", n->id, (long)pf.pid,
                 pf.status);
    } else if (initialized(n)) {
        n->state = NODE_STOPPED;
    } else if (!fs_exists(n->dir) && n->goal == NODE_GOAL_ABSENT) {
        n->state = NODE_ABSENT;
    } else {
        n->state = NODE_NEW;
    }
    free(text);
    LOG_INFO("node probed node_id=%s state=%s goal=%s", n->id, log_name(n->state),
             spec_goal_name(n->goal));
}

node *node_new(const node_env *env, const char *id, node_goal goal, int64_t generation,
               int64_t restarts, const node_spec *spec)
{
    node *n = xcalloc(1, sizeof *n);
    n->env = env;
    n->id = xstrdup(id);
    n->dir = xasprintf("%s/%s", env->nodes_dir, id);
    n->data_dir = xasprintf("%s/data", n->dir);
    n->sock_dir = xasprintf("%s/sock", n->dir);
    n->log_dir = xasprintf("%s/log", n->dir);
    n->marker = xasprintf("%s/initialized", n->dir);
    n->pwfile = xasprintf("%s/pwfile", n->dir);
    n->pidfile = xasprintf("%s/postmaster.pid", n->data_dir);
    n->goal = goal;
    n->generation = generation;
    n->restarts = restarts;
    if (spec) {
        spec_copy(&n->spec, spec);
        n->has_spec = true;
    }
    probe(n);
    return n;
}

void node_free(node *n)
{
    if (!n)
        return;
    if (n->job_pid > 0)
        proc_reaper_forget(n->env->reaper, n->job_pid);
    if (n->pm_pid > 0 && n->pm_child)
        proc_reaper_forget(n->env->reaper, n->pm_pid);
    spec_free(&n->spec);
    free(n->id);
    free(n->dir);
    free(n->data_dir);
    free(n->sock_dir);
    free(n->log_dir);
    free(n->marker);
    free(n->pwfile);
    free(n->pidfile);
    free(n->error);
    free(n->last_exit);
    free(n);
}

bool node_set_goal(node *n, node_goal goal, int64_t generation, const node_spec *spec)
{
    bool changed = n->goal != goal || n->generation != generation;
    if (n->goal != goal)
        LOG_INFO("goal node_id=%s from=%s to=%s generation=%lld", n->id, spec_goal_name(n->goal),
                 spec_goal_name(goal), (long long)generation);
    n->goal = goal;
    n->generation = generation;
    if (spec) {
        bool same = n->has_spec && spec_same(&n->spec, spec);
        if (!same || (spec->master_password && !n->spec.master_password)) {
            node_spec copy;
            spec_copy(&copy, spec);
            if (!copy.master_password && n->spec.master_password)
                copy.master_password = xstrdup(n->spec.master_password);
            spec_free(&n->spec);
            n->spec = copy;
            n->has_spec = true;
        }
        if (!same) {
            n->conf_checked = false;
            changed = true;
        }
    }
    return changed;
}

void node_get_report(const node *n, node_report *out)
{
    out->node_id = n->id;
    out->state = n->state;
    out->goal = n->goal;
    out->pid = n->pm_pid;
    out->spec = n->has_spec ? &n->spec : NULL;
    out->generation = n->generation;
    out->restarts = n->restarts;
    out->error = n->error;
    out->last_exit = n->last_exit;
    out->busy = n->job_pid > 0;
}
