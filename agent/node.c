/* node: one PostgreSQL node's lifecycle. See node.h for the state diagram.
 *
 * Invariants:
 *  1. At most one job child (rm, initdb, createdb, pg_basebackup, pg_rewind)
 *     per node; while it runs node_step only waits (or, for goal absent,
 *     asks it to stop). The replication-role psql is apart (sql_pid): it
 *     must never delay a stop, so a stop kills it.
 *  2. pm_pid is the postmaster we believe alive: our child (pm_child, its
 *     exit comes from the reaper) or an adopted one (checked through /proc
 *     every step). postmaster_gone is the one place that clears it, and it
 *     kills what is left of the postmaster's process group: a backend of a
 *     dead postmaster must not go on serving (nor hold the shared memory a
 *     restart needs).
 *  3. A node is "initialized" iff <dir>/initialized exists; it is written
 *     last, after initdb, configuration and the database (or a base backup
 *     or rewind, configuration and standby.signal), and removed before data
 *     is wiped, so a crash at any point leads to a clean re-creation, never
 *     a half node. n->built mirrors its contents. A node that HAD data
 *     (marker, spec.initialized, or n->ran) and has none is DATA_LOST
 *     instead (node.h "Data loss"): re-creation from nothing is only for
 *     nodes never made.
 *  4. No master password ever reaches the agent: the spec carries SCRAM
 *     verifiers (the master user's, rdsadmin's), set through postgres
 *     --single's or psql's stdin. The agent connects as rdsadmin over the
 *     node's socket by peer authentication (pg_ident.conf), with no
 *     password. A <dir>/pwfile left by an older agent is removed on the
 *     next probe. The replication password goes to <dir>/repl.pgpass
 *     (0600, the standby's walreceiver reads it) and to pg_basebackup's
 *     environment, and to psql's stdin. None of them is logged.
 *  5. A stop that fences (goal stopped, or a demotion) ends with SIGKILL of
 *     the postmaster's whole process group after FENCE_KILL_AFTER_MS, at
 *     once if the postmaster is SIGSTOPped: a hung primary must never come
 *     back and acknowledge a write.
 *  6. n->role is the role in effect, refreshed on every step: for a ready
 *     postmaster from global/pg_control (in production = accepts writes =
 *     primary; in archive recovery = standby), otherwise from
 *     data/standby.signal; never from the spec.
 *  7. A postmaster seen SIGSTOPped for HUNG_AFTER_MS while
 *     supervise=report is reported crashed though alive (pm_pid kept): its
 *     backends still serve existing connections, but it accepts none, and
 *     the controlplane's probe on a kept connection cannot see that. A
 *     crashed node with such a postmaster is stopped (SIGKILL of the group)
 *     before anything else is done with it.
 *  8. The pg user owns everything below <nodes>/<id> and may put a symlink,
 *     hard link or FIFO at any name there at any moment (issue 13): the
 *     agent, root, never follows one. Every file it reads or writes there
 *     goes through a directory descriptor opened beneath the nodes
 *     directory (root's) with O_NOFOLLOW at each component (node_dirfd,
 *     lib/fsutil.h); files are written under a random O_EXCL temp name,
 *     fchown'd and fchmod'ed before the rename; directories are made and
 *     handed over by descriptor; removals (rm -rf) run as the pg user,
 *     only the node directory itself (in the root's nodes directory) is
 *     removed by the agent, with unlinkat. Unlinking a name (the marker,
 *     pwfile) never follows it either. A root job's output (restore.log)
 *     is opened the same way before the fork.
 *  9. The hot standby floor (nodeconf.h): every start writes
 *     data/rdsim-floor.conf first — a comment only for a primary; for a
 *     standby the control file's values above the configured ones, read
 *     by pg_controldata (floor_pid, apart from the job like sql_pid; its
 *     output in a memfd, never a path; the start goes on in its exit
 *     callback, STARTING with no postmaster meanwhile, and run_step waits).
 *     floor_active says the running postmaster has a floor; while it runs
 *     as a standby, pg_control is looked at every FLOOR_RECHECK_MS and, once
 *     it changed, probed again: when no value needs the floor any more
 *     (the primary's parameter change replayed) the node restarts, once,
 *     to its configured values. A promoted node keeps its floor until its
 *     next start: rdsim never restarts a writer on its own. */
#include "agent/node.h"
#include "agent/hostaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/ptree.h"
#include "lib/util.h"

enum {
    FENCE_KILL_AFTER_MS = 2000, /* fencing: fast shutdown → SIGKILL of the group */
    STOP_QUIT_AFTER_MS = 10000, /* ordinary stop: fast shutdown → immediate shutdown */
    STOP_KILL_AFTER_MS = 20000, /* ordinary stop: immediate shutdown → SIGKILL of the group */
    RETRY_MIN_MS = 500,
    RETRY_MAX_MS = 10000,
    BUILD_RETRY_MIN_MS = 250, /* pg_basebackup while the upstream is not reachable yet */
    BUILD_RETRY_MAX_MS = 2000,
    SQL_RETRY_MS = 1000,
    SLOTS_RECHECK_MS = 10000, /* a primary with replicas' slots re-runs its SQL (a dropped slot) */
    HUNG_AFTER_MS = 500, /* a SIGSTOPped postmaster, supervise=report: reported crashed */
    FLOOR_RECHECK_MS = 1000, /* invariant 9: a floor's pg_control looked at (one fstatat) */
    FLOOR_PROBE_MAX_MS = 30000, /* ... and probed at least this often, changed or not */
    FLOOR_OUTPUT_MAX = 64 << 10, /* pg_controldata prints about 2 KiB */
    /* pg_controldata is abandoned after this (a FIFO planted at
     * global/pg_control blocks its open): the start goes on without a floor. */
    FLOOR_PROBE_TIMEOUT_MS = 10000,
    SOCKET_PATH_MAX = 107, /* sizeof(sun_path) - 1 */
};

typedef enum {
    JOB_NONE,
    JOB_RM_DATA,
    JOB_INITDB,
    JOB_CREATEDB,
    JOB_RM_DIR,
    JOB_BASEBACKUP,
    JOB_CHECKPOINT,
    JOB_REWIND,
    JOB_RESTORE,
} node_job;

static const char *const job_names[] = {"none",       "rm-data",    "initdb",
                                        "createdb",   "rm-dir",     "basebackup",
                                        "checkpoint", "rewind",     "restore"};

struct node {
    const node_env *env;
    char *id;
    char *dir, *data_dir, *sock_dir, *log_dir, *marker, *pwfile;
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
    bool pm_group; /* pm_pid leads its own process group (postgres runs in its own session) */
    pid_t job_pid;
    node_job job;
    bool job_killed;
    int64_t stop_sent_ms;
    int64_t pm_stopped_since_ms; /* first step that saw the postmaster SIGSTOPped, 0 if not */
    int stop_level; /* 1 SIGINT sent, 2 SIGQUIT, 3 SIGKILL of the group */
    bool stop_fence; /* invariant 5 */
    int failures;   /* consecutive, for the retry backoff */
    int64_t retry_at_ms;
    bool conf_checked;
    bool restart_pending;
    char *params_applied;  /* the spec's params_id PostgreSQL was given (file + start or SIGHUP) */
    nodeconf_marker built; /* invariant 3: what <dir>/initialized says */
    node_role role;        /* invariant 6 */
    const char *rejoin;    /* "rewind", "basebackup" or NULL (static strings) */
    pid_t sql_pid;         /* invariant 1: the replication-role psql */
    char *sql_key;         /* "user\npassword" the running psql sets */
    char *repl_ensured;    /* the roles key (roles_key) last set successfully (memory only) */
    int64_t sql_retry_at_ms;
    int64_t roles_at_ms;   /* mono ms of the last successful run */
    bool ran; /* seen running since this agent started: it had data (issue 13) */
    /* Invariant 9. */
    pid_t floor_pid;          /* pg_controldata, 0 if none */
    int floor_fd;             /* its output (a memfd), -1 if none */
    bool floor_for_start;     /* the probe runs before a start (else a recheck) */
    int64_t floor_spawned_ms; /* mono ms the probe started */
    bool floor_active;        /* the postmaster runs with a floor */
    int64_t floor_check_at_ms; /* next look at pg_control */
    int64_t floor_probed_ms;  /* mono ms of the last recheck probe */
    struct timespec floor_seen_mtime; /* pg_control's mtime at that probe */
};

/* ---- states ------------------------------------------------------------- */

static const char *const state_names[NODE_STATE_COUNT] = {
    [NODE_NEW] = "creating",       [NODE_CREATING] = "creating",   [NODE_STARTING] = "starting",
    [NODE_RUNNING] = "running",    [NODE_PROMOTING] = "promoting", [NODE_CRASHED] = "crashed",
    [NODE_REJOINING] = "rejoining", [NODE_STOPPING] = "stopping",   [NODE_STOPPED] = "stopped",
    [NODE_FAILED] = "failed",      [NODE_DELETING] = "deleting",   [NODE_ABSENT] = "absent",
    [NODE_DATA_LOST] = "data-lost",
};

const char *node_state_name(node_state s)
{
    return (unsigned)s < NODE_STATE_COUNT ? state_names[s] : "unknown";
}

#define B(s) (1u << (s))
/* allowed[from] is the set of states reachable in one transition. */
static const unsigned allowed[NODE_STATE_COUNT] = {
    [NODE_NEW] = B(NODE_CREATING) | B(NODE_DELETING) | B(NODE_FAILED) | B(NODE_DATA_LOST),
    [NODE_CREATING] = B(NODE_STOPPED) | B(NODE_FAILED) | B(NODE_DELETING),
    /* → STOPPED: the postmaster died while the goal was no longer running. */
    [NODE_STARTING] = B(NODE_RUNNING) | B(NODE_FAILED) | B(NODE_STOPPING) | B(NODE_STOPPED) |
                      B(NODE_DATA_LOST),
    /* → STARTING: a crash restarted by the supervisor; → CRASHED: one it
     * must only report (supervise=report); → DATA_LOST: a crash whose
     * restart finds no data. */
    [NODE_RUNNING] = B(NODE_STARTING) | B(NODE_STOPPING) | B(NODE_FAILED) | B(NODE_STOPPED) |
                     B(NODE_PROMOTING) | B(NODE_CRASHED) | B(NODE_DATA_LOST),
    [NODE_PROMOTING] = B(NODE_RUNNING) | B(NODE_STARTING) | B(NODE_STOPPING) |
                       B(NODE_STOPPED) | B(NODE_CRASHED) | B(NODE_DATA_LOST),
    /* → STARTING when supervise goes back to restart; → REJOINING when the
     * controlplane makes it the new primary's standby. */
    [NODE_CRASHED] = B(NODE_STARTING) | B(NODE_STOPPED) | B(NODE_REJOINING) | B(NODE_DELETING) |
                     B(NODE_FAILED) | B(NODE_STOPPING) | B(NODE_DATA_LOST),
    [NODE_REJOINING] = B(NODE_STOPPED) | B(NODE_FAILED) | B(NODE_DELETING),
    [NODE_STOPPING] = B(NODE_STOPPED),
    [NODE_STOPPED] = B(NODE_STARTING) | B(NODE_DELETING) | B(NODE_FAILED) | B(NODE_REJOINING) |
                     B(NODE_DATA_LOST),
    [NODE_FAILED] = B(NODE_CREATING) | B(NODE_STARTING) | B(NODE_STOPPED) | B(NODE_DELETING) |
                    B(NODE_REJOINING) | B(NODE_DATA_LOST),
    [NODE_DELETING] = B(NODE_ABSENT) | B(NODE_FAILED),
    [NODE_ABSENT] = B(NODE_CREATING) | B(NODE_FAILED) | B(NODE_DATA_LOST),
    /* Never → NEW or an initdb: only a restore (CREATING), a standby's
     * base backup (REJOINING), data found again (STOPPED), or a delete. */
    [NODE_DATA_LOST] = B(NODE_CREATING) | B(NODE_REJOINING) | B(NODE_STOPPED) |
                       B(NODE_DELETING) | B(NODE_FAILED),
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
    if (to == NODE_RUNNING)
        n->ran = true;
    n->env->changed(n->env->arg, false);
    return true;
}

/* A new reason without a transition (logged and reported if new). */
static void note_error(node *n, const char *error)
{
    if (n->error && strcmp(n->error, error) == 0)
        return;
    LOG_WARN("node problem node_id=%s state=%s error=\"%s\"", n->id, log_name(n->state), error);
    free(n->error);
    n->error = xstrdup(error);
    n->env->changed(n->env->arg, false);
}

static int64_t backoff_ms(int failures, int64_t min, int64_t max)
{
    int64_t delay = min;
    for (int i = 1; i < failures && delay < max; i++)
        delay *= 2;
    return delay < max ? delay : max;
}

/* A step failed: go to FAILED and retry later with a growing delay. */
static void fail(node *n, const char *error)
{
    n->failures++;
    n->retry_at_ms = mono_ms() + backoff_ms(n->failures, RETRY_MIN_MS, RETRY_MAX_MS);
    if (n->state != NODE_FAILED)
        set_state(n, NODE_FAILED, error);
    else
        note_error(n, error); /* failing again: no transition */
}

/* A base backup could not be made (the upstream is not reachable yet, or
 * the replication role does not exist there yet): stay in CREATING or
 * REJOINING — "failed" would make the controlplane replace the standby —
 * and try again soon. */
static void build_retry_later(node *n, const char *error)
{
    n->failures++;
    n->retry_at_ms = mono_ms() + backoff_ms(n->failures, BUILD_RETRY_MIN_MS, BUILD_RETRY_MAX_MS);
    note_error(n, error);
}

/* ---- pure helpers --------------------------------------------------------- */

bool node_id_valid(const char *id)
{
    return spec_valid_node_id(id);
}

const char *node_role_name(node_role r)
{
    return r == NODE_ROLE_PRIMARY ? "primary" : r == NODE_ROLE_STANDBY ? "standby" : NULL;
}

const char *node_action_name(node_action a)
{
    static const char *const names[] = {"keep", "promote", "rejoin", "rebuild"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "unknown";
}

/* The table of role changes, in order (the first that applies wins):
 *
 *   have     want     and                                  → action
 *   standby  primary                                       → promote
 *   primary  standby                                       → rejoin
 *   standby  standby  rebuild_seq differs from the built   → rebuild
 *   standby  standby  built from another upstream          → rejoin
 *                     (keep when the spec's upstream says follow: the
 *                     new primary_conninfo is reloaded and the standby
 *                     follows the timeline switch)
 *   otherwise                                              → keep
 *
 * rebuild_seq is never looked at on a primary: wiping a primary's data is
 * never what a counter should do. A marker without an upstream (the
 * original marker) never triggers a rejoin. */
node_action node_role_decide(bool have_standby, const nodeconf_marker *built,
                             const node_spec *want)
{
    static const nodeconf_marker none = {0};
    if (!built)
        built = &none;
    bool want_standby = spec_is_standby(want);
    if (have_standby && !want_standby)
        return NODE_ACT_PROMOTE;
    if (!have_standby && want_standby)
        return NODE_ACT_REJOIN;
    if (!have_standby)
        return NODE_ACT_KEEP;
    if (built->rebuild_seq != want->rebuild_seq)
        return NODE_ACT_REBUILD;
    /* A read replica follows its source's new primary by a reload. */
    if (want->has_upstream && built->upstream[0] && !want->upstream.follow &&
        strcmp(built->upstream, want->upstream.node_id) != 0)
        return NODE_ACT_REJOIN;
    return NODE_ACT_KEEP;
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

int node_controlfile_state(const unsigned char *buf, size_t len)
{
    if (!buf || len < 20)
        return -1;
    uint32_t version, state;
    memcpy(&version, buf + 8, sizeof version);
    memcpy(&state, buf + 16, sizeof state);
    /* PG_CONTROL_VERSION is 1300 for PostgreSQL 13 to 16; the first fields
     * have kept this layout since 9.x. */
    if (version < 900 || version > 9999 || state > NODE_DB_IN_PRODUCTION)
        return -1;
    return (int)state;
}

/* ---- files ---------------------------------------------------------------- */

static void wipe_free(char *s)
{
    if (!s)
        return;
    for (volatile char *p = s; *p; p++)
        *p = 0;
    free(s);
}

/* Invariant 8: rel ("" for the node directory, "data", "data/global",
 * "log") opened beneath the nodes directory, no component followed if it
 * is a symlink. -1 if it cannot (errno kept; ENOENT, ELOOP and ENOTDIR
 * are not logged: reads are retried every step). */
static int node_dirfd(const node *n, const char *rel)
{
    char *r = rel && *rel ? xasprintf("%s/%s", n->id, rel) : xstrdup(n->id);
    int fd = fs_dir_open_beneath(n->env->nodes_dir, r);
    free(r);
    return fd;
}

/* The owner of what the agent writes below the node directory: the pg
 * user when the agent is root, else the agent ((uid_t)-1: unchanged). */
static uid_t owner_uid(const node *n)
{
    return n->env->user->drop ? n->env->user->uid : (uid_t)-1;
}

static gid_t owner_gid(const node *n)
{
    return n->env->user->drop ? n->env->user->gid : (gid_t)-1;
}

/* Logs the refusal of a write below the node directory (write paths only,
 * each once per attempt). */
static void log_refusal(const node *n, const char *rel, const char *name)
{
    if (errno == ELOOP || errno == ENOTDIR || errno == EINVAL)
        LOG_WARN("refusing to write through a symlink or non-plain file node_id=%s "
                 "path=%s/%s err=%s", n->id, *rel ? rel : ".", name, strerror(errno));
}

/* A regular file rel/name (invariant 8), NULL if absent or refused. */
static char *node_read(const node *n, const char *rel, const char *name, size_t max,
                       size_t *len)
{
    int dfd = node_dirfd(n, rel);
    if (dfd < 0)
        return NULL;
    char *text = fs_read_all_at(dfd, name, max, len);
    close(dfd);
    return text;
}

/* True if rel/name exists (a symlink counts: never followed). */
static bool node_exists(const node *n, const char *rel, const char *name)
{
    int dfd = node_dirfd(n, rel);
    if (dfd < 0)
        return false;
    bool there = fs_exists_at(dfd, name, false);
    close(dfd);
    return there;
}

/* Writes rel/name (invariant 8) with text unless it already says so,
 * owned by the pg user when owned is true, else by the agent. */
static bool write_file(const node *n, const char *rel, const char *name, const char *text,
                       mode_t mode, bool owned)
{
    int dfd = node_dirfd(n, rel);
    if (dfd < 0) {
        log_refusal(n, rel, "");
        return false;
    }
    size_t len = 0;
    char *old = fs_read_all_at(dfd, name, 1 << 20, &len);
    bool same = old && len == strlen(text) && memcmp(old, text, len) == 0;
    wipe_free(old);
    bool ok = same || fs_write_atomic_at(dfd, name, text, strlen(text), mode,
                                         owned ? owner_uid(n) : (uid_t)-1,
                                         owned ? owner_gid(n) : (gid_t)-1);
    if (!ok)
        log_refusal(n, rel, name);
    close(dfd);
    return ok;
}

static bool write_owned(const node *n, const char *rel, const char *name, const char *text,
                        mode_t mode)
{
    return write_file(n, rel, name, text, mode, true);
}

/* The replication password file, when the spec says who and we know the
 * password (after an agent restart it is not known until the controlplane
 * answers: the file on disk is then kept as it is). */
static bool write_pgpass(node *n)
{
    if (!n->spec.repl_user || !n->spec.repl_password)
        return true;
    char *text = nodeconf_render_pgpass(n->spec.repl_user, n->spec.repl_password);
    bool ok = write_owned(n, "", "repl.pgpass", text, 0600);
    wipe_free(text);
    return ok;
}

/* Writes rdsim.conf, pg_hba.conf and repl.pgpass if they differ from what
 * is there. */
static bool write_params(node *n)
{
    char *text = nodeconf_render_params(&n->spec);
    bool ok = write_owned(n, "data", "rdsim-params.conf", text, 0600);
    free(text);
    return ok;
}

/* True when data/rdsim-params.conf already says what the spec asks. */
static bool params_same(const node *n)
{
    char *want = nodeconf_render_params(&n->spec);
    size_t len = 0;
    char *have = node_read(n, "data", "rdsim-params.conf", 1 << 20, &len);
    bool same = have && len == strlen(want) && memcmp(have, want, len) == 0;
    free(want);
    free(have);
    return same;
}

static void params_applied_set(node *n)
{
    free(n->params_applied);
    n->params_applied = n->spec.params_id ? xstrdup(n->spec.params_id) : NULL;
}

/* The OS name PostgreSQL and the agent's psql run as: peer
 * authentication sees it (pg_ident.conf). */
static const char *pg_os_user(const node *n)
{
    if (n->env->user->drop)
        return n->env->user->name;
    struct passwd *pw = getpwuid(geteuid());
    return pw ? pw->pw_name : "root";
}

/* data/server.crt and data/server.key (0600, the pg user's), when the spec
 * has a certificate and we know its key (after an agent restart the key
 * is not known until the controlplane answers: the files on disk, written
 * with the same certificate, are kept). The key first: PostgreSQL must
 * never read a new certificate beside the old key. */
static bool write_tls(node *n)
{
    if (!n->spec.tls_cert || !n->spec.tls_key)
        return true;
    return write_owned(n, "data", "server.key", n->spec.tls_key, 0600) &&
           write_owned(n, "data", "server.crt", n->spec.tls_cert, 0600);
}

/* True when data/server.crt is the spec's (or there is nothing to write). */
static bool tls_same(const node *n)
{
    if (!n->spec.tls_cert || !n->spec.tls_key)
        return true;
    size_t len = 0;
    char *have = node_read(n, "data", "server.crt", 1 << 20, &len);
    bool same = have && len == strlen(n->spec.tls_cert) &&
                memcmp(have, n->spec.tls_cert, len) == 0;
    free(have);
    return same;
}

/* Writes server.key, server.crt, rdsim.conf, rdsim-params.conf, pg_ident.conf, pg_hba.conf
 * and repl.pgpass if they differ from what is there. */
static bool write_config(node *n)
{
    char *conf = nodeconf_render_conf(n->dir, n->id, &n->spec);
    char *hba = nodeconf_render_hba(&n->spec);
    char *ident = nodeconf_render_ident(pg_os_user(n));
    bool ok = write_tls(n) && write_owned(n, "data", "rdsim.conf", conf, 0600) && write_params(n) &&
              write_owned(n, "data", "pg_ident.conf", ident, 0600) &&
              write_owned(n, "data", "pg_hba.conf", hba, 0600) && write_pgpass(n);
    free(ident);
    free(conf);
    free(hba);
    return ok;
}

/* Appends the include of rdsim.conf to initdb's postgresql.conf, once. */
static bool include_rdsim_conf(node *n)
{
    static const char line[] = "\n# rds-agent: the node's spec\ninclude_if_exists = 'rdsim.conf'\n";
    size_t len = 0;
    char *text = node_read(n, "data", "postgresql.conf", 16 << 20, &len);
    bool ok = false;
    if (!text) {
        LOG_ERROR("cannot read node_id=%s path=data/postgresql.conf err=%s", n->id,
                  strerror(errno));
    } else if (strstr(text, "include_if_exists = 'rdsim.conf'")) {
        ok = true;
    } else {
        sbuf b = {0};
        sbuf_append(&b, text, len);
        sbuf_puts(&b, line);
        ok = write_owned(n, "data", "postgresql.conf", b.data, 0600);
        sbuf_free(&b);
    }
    free(text);
    return ok;
}

/* The node directory (in the nodes directory, root's) and its
 * subdirectories, 0700 and the pg user's: created if missing, owner and
 * mode set on the directory itself, a symlink at any of them refused
 * (invariant 8). with_data: data/ too (pg_basebackup and restores make it
 * themselves). */
static bool make_node_dirs(node *n, bool with_data)
{
    int nfd = fs_dir_open_beneath(n->env->nodes_dir, NULL);
    bool ok = nfd >= 0 && fs_mkdir_owned_at(nfd, n->id, 0700, owner_uid(n), owner_gid(n));
    if (nfd >= 0)
        close(nfd);
    int dfd = ok ? node_dirfd(n, "") : -1;
    static const char *const subs[] = {"data", "sock", "log"};
    for (size_t i = with_data ? 0 : 1; dfd >= 0 && ok && i < sizeof subs / sizeof subs[0]; i++)
        ok = fs_mkdir_owned_at(dfd, subs[i], 0700, owner_uid(n), owner_gid(n));
    if (dfd >= 0)
        close(dfd);
    if (!ok || dfd < 0)
        LOG_WARN("cannot prepare the node directory (refused or failed) node_id=%s dir=%s",
                 n->id, n->dir);
    return ok && dfd >= 0;
}

static bool make_dirs(node *n)
{
    return make_node_dirs(n, true);
}

/* The node directory without data/: pg_basebackup makes data/ itself. */
static bool make_dirs_but_data(node *n)
{
    return make_node_dirs(n, false);
}

static bool initialized(const node *n)
{
    return node_exists(n, "", "initialized");
}

/* The data directory is a cluster: what `postgres -D` checks first. A
 * missing or emptied directory has neither. */
static bool data_present(const node *n)
{
    char *version = xasprintf("%s/PG_VERSION", n->data_dir);
    char *control = xasprintf("%s/global/pg_control", n->data_dir);
    bool ok = fs_exists(version) && fs_exists(control);
    free(version);
    free(control);
    return ok;
}

/* The node had data once (node.h "Data loss"): so it must never be made
 * again from nothing. */
static bool had_data(const node *n)
{
    return initialized(n) || n->ran || (n->has_spec && n->spec.initialized);
}

/* Invariant 3: reads the marker into n->built (zero when missing). */
static void marker_load(node *n)
{
    size_t len = 0;
    char *text = node_read(n, "", "initialized", 4096, &len);
    if (text && !nodeconf_marker_parse(text, len, &n->built))
        LOG_WARN("unreadable marker, taken as rebuild_seq=0 node_id=%s", n->id);
    if (!text)
        memset(&n->built, 0, sizeof n->built);
    free(text);
}

/* Invariant 3: written last, when the data directory is complete. */
static bool marker_write(node *n, const char *upstream)
{
    nodeconf_marker m = {.rebuild_seq = n->spec.rebuild_seq};
    if (upstream)
        snprintf(m.upstream, sizeof m.upstream, "%s", upstream);
    char *text = nodeconf_marker_render(&m);
    bool ok = write_file(n, "", "initialized", text, 0600, false);
    free(text);
    if (ok)
        n->built = m;
    return ok;
}

/* Invariant 3: before any data is wiped. */
static bool marker_remove(node *n)
{
    if (unlink(n->marker) != 0 && errno != ENOENT) {
        LOG_ERROR("cannot remove marker node_id=%s err=%s", n->id, strerror(errno));
        return false;
    }
    memset(&n->built, 0, sizeof n->built);
    return true;
}

/* node.h "Data loss": true when the node is (now) DATA_LOST — it had data,
 * no postmaster or job is at work on it, it is not being made or deleted,
 * and its data directory is not a cluster. Never re-creates anything. */
static bool data_lost_check(node *n)
{
    if (n->state == NODE_DATA_LOST)
        return true;
    if (n->goal == NODE_GOAL_ABSENT || n->pm_pid > 0 || n->job_pid > 0 ||
        n->state == NODE_CREATING || n->state == NODE_REJOINING ||
        n->state == NODE_DELETING || n->state == NODE_STOPPING || !had_data(n) ||
        data_present(n))
        return false;
    if (n->state == NODE_FAILED && mono_ms() < n->retry_at_ms)
        return false; /* a failed restore stays visible as failed for its backoff */
    LOG_ERROR("data directory lost, not re-initialising node_id=%s data=%s marker=%s "
              "spec_initialized=%s ran=%s", n->id, n->data_dir, initialized(n) ? "yes" : "no",
              n->has_spec && n->spec.initialized ? "yes" : "no", n->ran ? "yes" : "no");
    return set_state(n, NODE_DATA_LOST,
                     "data directory lost (no PG_VERSION or global/pg_control); "
                     "not re-initialised");
}

/* ---- postmaster ----------------------------------------------------------- */

static void on_postmaster_exit(pid_t pid, int status, void *arg);
static void on_floor_exit(pid_t pid, int status, void *arg);
static void run_step(node *n);
static void sql_kill(node *n);

static bool read_pidfile(const node *n, node_pidfile *pf)
{
    size_t len = 0;
    char *text = node_read(n, "data", "postmaster.pid", 4096, &len);
    bool ok = text && node_pidfile_parse(text, len, pf);
    free(text);
    return ok;
}

/* The state of global/pg_control (20 bytes read), or -1. */
static int controlfile_state(const node *n)
{
    int dfd = node_dirfd(n, "data/global");
    int fd = dfd < 0 ? -1 : fs_open_at(dfd, "pg_control", O_RDONLY, 0, (uid_t)-1, (gid_t)-1);
    if (dfd >= 0)
        close(dfd);
    if (fd < 0)
        return -1;
    unsigned char buf[20];
    ssize_t got = pread(fd, buf, sizeof buf, 0);
    close(fd);
    return got < 0 ? -1 : node_controlfile_state(buf, (size_t)got);
}

/* Invariant 6. Heartbeats at once when the role in effect changes (a
 * promotion that finished). */
static void role_refresh(node *n)
{
    node_role r = NODE_ROLE_UNKNOWN;
    int db = -1;
    if (n->pm_pid > 0 && (n->state == NODE_RUNNING || n->state == NODE_PROMOTING))
        db = controlfile_state(n);
    if (db == NODE_DB_IN_PRODUCTION)
        r = NODE_ROLE_PRIMARY;
    else if (db == NODE_DB_IN_ARCHIVE_RECOVERY || node_exists(n, "data", "standby.signal"))
        r = NODE_ROLE_STANDBY;
    else if (n->pm_pid > 0 || initialized(n))
        r = NODE_ROLE_PRIMARY;
    if (r == n->role)
        return;
    LOG_INFO("role in effect node_id=%s from=%s to=%s", n->id,
             node_role_name(n->role) ? node_role_name(n->role) : "unknown",
             node_role_name(r) ? node_role_name(r) : "unknown");
    n->role = r;
    n->env->changed(n->env->arg, false);
}

/* Invariant 9: forgets a running pg_controldata (its exit is still reaped). */
static void floor_probe_cancel(node *n)
{
    if (n->floor_pid > 0) {
        kill(n->floor_pid, SIGKILL);
        proc_reaper_forget(n->env->reaper, n->floor_pid);
    }
    if (n->floor_fd >= 0)
        close(n->floor_fd);
    n->floor_pid = 0;
    n->floor_fd = -1;
    n->floor_for_start = false;
}

/* Invariant 9: pg_controldata -D data as the pg user (it owns the data
 * directory, so nothing it could not read itself is read), its output in
 * a memfd the agent reads back. False (logged) if it could not start. */
static bool floor_probe_begin(node *n, bool for_start)
{
    floor_probe_cancel(n);
    int fd = memfd_create("rdsim-controldata", MFD_CLOEXEC);
    if (fd < 0) {
        LOG_WARN("cannot make pg_controldata's output node_id=%s err=%s", n->id,
                 strerror(errno));
        return false;
    }
    char *prog = xasprintf("%s/pg_controldata", n->env->bindir);
    const char *argv[] = {prog, "-D", n->data_dir, NULL};
    /* The labels nodeconf_controldata_parse reads are untranslated. */
    const char *env[] = {"LC_ALL=C", "LANG=C", "LANGUAGE=C", NULL};
    proc_spec ps = {.argv = argv, .env = env, .cwd = n->dir, .out_fd = fd,
                    .user = n->env->user, .die_with_agent = true};
    pid_t pid = proc_spawn(n->env->reaper, &ps, on_floor_exit, n);
    free(prog);
    if (pid < 0) {
        close(fd);
        return false;
    }
    n->floor_pid = pid;
    n->floor_fd = fd;
    n->floor_for_start = for_start;
    n->floor_spawned_ms = mono_ms();
    return true;
}

/* The five values pg_controldata printed into fd; false if it failed or
 * said anything nodeconf_controldata_parse does not trust. */
static bool floor_read(const node *n, int fd, int status, nodeconf_hs *control)
{
    char how[32];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        LOG_WARN("pg_controldata failed node_id=%s how=\"%s\"", n->id,
                 proc_describe_status(status, how, sizeof how));
        return false;
    }
    char *buf = xmalloc(FLOOR_OUTPUT_MAX);
    ssize_t got = pread(fd, buf, FLOOR_OUTPUT_MAX, 0);
    bool ok = got > 0 && got < FLOOR_OUTPUT_MAX &&
              nodeconf_controldata_parse(buf, (size_t)got, control);
    free(buf);
    if (!ok)
        LOG_WARN("pg_controldata's output not understood, no floor node_id=%s bytes=%zd", n->id,
                 got);
    return ok;
}

/* "max_connections=150>112 ..." for the log. Caller frees. */
static char *floor_describe(const node *n, const nodeconf_hs *control)
{
    nodeconf_hs have;
    nodeconf_hs_configured(&n->spec, &have);
    sbuf b = {0};
    for (int p = 0; p < NODECONF_HS_COUNT; p++)
        sbuf_printf(&b, "%s%s=%lld/%lld", p ? " " : "", nodeconf_hs_name(p),
                    (long long)control->v[p], (long long)have.v[p]);
    return sbuf_take(&b);
}

/* Invariant 9: data/rdsim-floor.conf for the start about to happen; floor
 * NULL: none. */
static bool floor_write(node *n, const nodeconf_hs *floor)
{
    char *text = nodeconf_render_floor(floor);
    bool ok = write_owned(n, "data", "rdsim-floor.conf", text, 0600);
    free(text);
    return ok;
}

/* Starts postgres with the configuration already written. */
static void postmaster_exec(node *n)
{
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
    n->pm_group = true; /* new_session: it leads its own session and group */
    n->conf_checked = true; /* it starts with the configuration just written */
    n->restart_pending = false;
    n->floor_check_at_ms = mono_ms() + FLOOR_RECHECK_MS;
    n->floor_probed_ms = 0;
    memset(&n->floor_seen_mtime, 0, sizeof n->floor_seen_mtime);
    params_applied_set(n);
    LOG_INFO("postmaster spawned node_id=%s pid=%ld addr=%s port=%d", n->id, (long)pid,
             n->spec.addr, n->spec.port);
    if (n->state != NODE_STARTING)
        set_state(n, NODE_STARTING, NULL);
}

/* Invariant 9: the start goes on once pg_controldata said (or could not
 * say) what the control file holds; control NULL: no floor. */
static void floor_start(node *n, const nodeconf_hs *control)
{
    if (n->goal != NODE_GOAL_RUNNING) {
        if (n->state == NODE_STARTING)
            set_state(n, NODE_STOPPED, NULL); /* stopped or deleted meanwhile */
        return;
    }
    nodeconf_hs floor = {{0}};
    bool needed = control && spec_is_standby(&n->spec) &&
                  nodeconf_floor_compute(control, &n->spec, &floor);
    if (!floor_write(n, needed ? &floor : NULL)) {
        fail(n, "cannot write configuration");
        return;
    }
    if (needed) {
        char *d = floor_describe(n, control);
        LOG_INFO("hot standby floor set node_id=%s control/configured: %s", n->id, d);
        free(d);
    } else if (n->floor_active) {
        LOG_INFO("hot standby floor lifted node_id=%s", n->id);
    }
    n->floor_active = needed;
    postmaster_exec(n);
}

static void postmaster_spawn(node *n)
{
    if (data_lost_check(n))
        return; /* never start (and so never fill) an empty directory */
    /* A custom subnet's address is local nowhere until its host makes it
     * so (agent/hostaddr.h); postgres would not bind it. */
    if (n->has_spec && !hostaddr_make_local(n->spec.addr, spec_region_cidr())) {
        fail(n, "cannot make the node's address local");
        return;
    }
    if (!make_dirs(n) || !write_config(n)) {
        fail(n, "cannot write configuration");
        return;
    }
    floor_probe_cancel(n);
    if (n->has_spec && spec_is_standby(&n->spec) && data_present(n)) {
        if (floor_probe_begin(n, true)) {
            if (n->state != NODE_STARTING)
                set_state(n, NODE_STARTING, NULL);
            return; /* on_floor_exit goes on */
        }
        LOG_WARN("starting without a hot standby floor node_id=%s", n->id);
    }
    floor_start(n, NULL);
}

/* Invariant 9: a running standby with a floor. Once pg_control changed
 * (or FLOOR_PROBE_MAX_MS went by) it is probed again. */
static void floor_recheck(node *n)
{
    int64_t now = mono_ms();
    if (n->floor_pid > 0 && now - n->floor_spawned_ms >= FLOOR_PROBE_TIMEOUT_MS) {
        LOG_WARN("pg_controldata too slow, abandoned node_id=%s pid=%ld", n->id,
                 (long)n->floor_pid);
        floor_probe_cancel(n);
    }
    if (!n->floor_active || n->floor_pid > 0 || n->role != NODE_ROLE_STANDBY ||
        now < n->floor_check_at_ms)
        return;
    n->floor_check_at_ms = now + FLOOR_RECHECK_MS;
    struct stat st;
    int dfd = node_dirfd(n, "data/global");
    bool got = dfd >= 0 && fstatat(dfd, "pg_control", &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (dfd >= 0)
        close(dfd);
    bool same = got && st.st_mtim.tv_sec == n->floor_seen_mtime.tv_sec &&
                st.st_mtim.tv_nsec == n->floor_seen_mtime.tv_nsec;
    if (same && now - n->floor_probed_ms < FLOOR_PROBE_MAX_MS)
        return;
    if (got)
        n->floor_seen_mtime = st.st_mtim;
    n->floor_probed_ms = now;
    floor_probe_begin(n, false);
}

/* Invariant 9: a recheck's answer. */
static void floor_rechecked(node *n, const nodeconf_hs *control)
{
    nodeconf_hs floor;
    if (!control || n->state != NODE_RUNNING || !n->floor_active || n->pm_pid <= 0 ||
        n->role != NODE_ROLE_STANDBY || nodeconf_floor_compute(control, &n->spec, &floor))
        return;
    char *d = floor_describe(n, control);
    LOG_INFO("hot standby floor no longer needed, restarting to the configured values "
             "node_id=%s control/configured: %s", n->id, d);
    free(d);
    n->restart_pending = true; /* running_step stops it; the start writes no floor */
}

static void on_floor_exit(pid_t pid, int status, void *arg)
{
    node *n = arg;
    if (pid != n->floor_pid)
        return;
    int fd = n->floor_fd;
    bool for_start = n->floor_for_start;
    n->floor_pid = 0;
    n->floor_fd = -1;
    n->floor_for_start = false;
    nodeconf_hs control;
    bool have = floor_read(n, fd, status, &control);
    close(fd);
    if (for_start)
        floor_start(n, have ? &control : NULL);
    else
        floor_rechecked(n, have ? &control : NULL);
    run_step(n);
}

/* SIGKILL to the whole server: the postmaster (with its process group when
 * it leads one) and each of its children, which lead sessions of their own
 * (lib/ptree.h). Children of a SIGSTOPped server are stopped too: they
 * would never notice their postmaster's death and would stay forever. */
static void kill_server(const node *n, pid_t pid)
{
    if (!ptree_signal_server(pid, SIGKILL, NULL, 0, NULL) && errno != ESRCH)
        LOG_WARN("cannot kill postmaster node_id=%s pid=%ld err=%s", n->id, (long)pid,
                 strerror(errno));
}

/* Invariant 2: the one place a postmaster is declared gone. how is
 * "exit 1", "signal 9", or "gone" for an adopted process. */
static void postmaster_gone(node *n, const char *how)
{
    pid_t pid = n->pm_pid;
    bool group = n->pm_group;
    n->pm_pid = 0;
    n->pm_child = false;
    n->pm_group = false;
    /* Backends of a dead postmaster linger until they notice; none may go
     * on serving a client. After a clean stop the group is already empty. */
    if (group && kill(-pid, SIGKILL) == 0)
        LOG_INFO("killed what was left of the postmaster's group node_id=%s pgid=%ld", n->id,
                 (long)pid);
    sql_kill(n);
    switch (n->state) {
    case NODE_STOPPING:
        LOG_INFO("postmaster stopped node_id=%s pid=%ld how=\"%s\"", n->id, (long)pid, how);
        n->failures = 0;
        set_state(n, NODE_STOPPED, NULL);
        break;
    case NODE_RUNNING:
    case NODE_PROMOTING:
        if (n->goal != NODE_GOAL_RUNNING) {
            set_state(n, NODE_STOPPED, NULL);
            break;
        }
        free(n->last_exit);
        n->last_exit = xstrdup(how);
        if (n->has_spec && n->spec.supervise_report) {
            /* Multi-AZ primary: the controlplane decides (usually a
             * failover); restarting it here could race the promotion. */
            LOG_WARN("postmaster crashed, reporting (supervise=report) node_id=%s pid=%ld "
                     "how=\"%s\"", n->id, (long)pid, how);
            set_state(n, NODE_CRASHED, NULL);
            break;
        }
        n->restarts++;
        LOG_WARN("postmaster crashed, restarting node_id=%s pid=%ld how=\"%s\" restarts=%lld",
                 n->id, (long)pid, how, (long long)n->restarts);
        n->env->changed(n->env->arg, true);
        postmaster_spawn(n);
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
    node_pidfile pf;
    return read_pidfile(n, &pf) && pf.pid == pid &&
           (strcmp(pf.status, "ready") == 0 || strcmp(pf.status, "standby") == 0);
}

/* fence: invariant 5 (goal stopped, or a demotion); otherwise the patient
 * escalation of an ordinary restart or delete. */
static void stop_begin(node *n, bool fence)
{
    sql_kill(n);
    n->pm_stopped_since_ms = 0;
    n->stop_sent_ms = mono_ms();
    n->stop_fence = fence;
    if (proc_is_stopped(n->pm_pid)) {
        /* SIGSTOPped: it cannot shut down, and waiting only widens the
         * window in which its backends (not stopped) answer clients. */
        LOG_WARN("postmaster is stopped (SIGSTOP), killing it and its children node_id=%s pid=%ld",
                 n->id, (long)n->pm_pid);
        kill_server(n, n->pm_pid);
        n->stop_level = 3;
    } else {
        /* SIGINT is PostgreSQL's fast shutdown: roll back sessions, checkpoint, exit. */
        if (kill(n->pm_pid, SIGINT) != 0 && errno != ESRCH)
            LOG_WARN("cannot signal postmaster node_id=%s pid=%ld err=%s", n->id,
                     (long)n->pm_pid, strerror(errno));
        n->stop_level = 1;
    }
    LOG_INFO("stopping node_id=%s pid=%ld fence=%d", n->id, (long)n->pm_pid, fence);
    set_state(n, NODE_STOPPING, NULL);
}

static void stop_progress(node *n)
{
    if (n->pm_pid == 0) {
        set_state(n, NODE_STOPPED, NULL);
        return;
    }
    int64_t waited = mono_ms() - n->stop_sent_ms;
    if (n->stop_fence && n->stop_level < 3 &&
        (waited >= FENCE_KILL_AFTER_MS || proc_is_stopped(n->pm_pid))) {
        LOG_WARN("fencing: fast shutdown too slow, killing the server node_id=%s pid=%ld "
                 "waited_ms=%lld", n->id, (long)n->pm_pid, (long long)waited);
        kill_server(n, n->pm_pid);
        n->stop_level = 3;
    } else if (n->stop_level == 1 && waited >= STOP_QUIT_AFTER_MS) {
        LOG_WARN("fast shutdown too slow, immediate shutdown node_id=%s pid=%ld", n->id,
                 (long)n->pm_pid);
        kill(n->pm_pid, SIGQUIT);
        n->stop_level = 2;
    } else if (n->stop_level == 2 && waited >= STOP_KILL_AFTER_MS) {
        LOG_WARN("immediate shutdown too slow, killing the server node_id=%s pid=%ld", n->id,
                 (long)n->pm_pid);
        kill_server(n, n->pm_pid);
        n->stop_level = 3;
    }
}

/* Asks a hot standby to end recovery, as `pg_ctl promote` does: the
 * "promote" file, then SIGUSR1 to the postmaster (it signals the startup
 * process). Done in the agent, not in a pg_ctl child, because it is two
 * system calls; completion is seen in postmaster.pid ("ready") by
 * role_refresh. */
static void promote_begin(node *n)
{
    /* Owned by the pg user before it appears (invariant 8): the
     * postmaster removes it once it promotes. */
    if (!write_owned(n, "data", "promote", "", 0600)) {
        fail(n, "cannot write the promote signal file");
        return;
    }
    if (kill(n->pm_pid, SIGUSR1) != 0) {
        LOG_WARN("cannot signal postmaster to promote node_id=%s pid=%ld err=%s", n->id,
                 (long)n->pm_pid, strerror(errno));
        return; /* it is dying: postmaster_gone follows */
    }
    LOG_INFO("promoting node_id=%s pid=%ld generation=%lld", n->id, (long)n->pm_pid,
             (long long)n->generation);
    set_state(n, NODE_PROMOTING, NULL);
}

/* ---- jobs ----------------------------------------------------------------- */

static void on_job_exit(pid_t pid, int status, void *arg);

/* Spawns a job (invariant 1). env: extra "K=V" entries (a password for the
 * child only), or NULL. Its output goes to log/<job>.log for the jobs that
 * say something useful. */
static bool job_spawn(node *n, node_job job, const char *const *argv, const char *stdin_data,
                      bool as_pg_user, const char *const *env)
{
    bool logged = job == JOB_INITDB || job == JOB_CREATEDB || job == JOB_BASEBACKUP ||
                  job == JOB_CHECKPOINT || job == JOB_REWIND || job == JOB_RESTORE;
    char *out = logged ? xasprintf("%s/%s.log", n->log_dir, job_names[job]) : NULL;
    proc_spec ps = {.argv = argv, .env = env, .cwd = as_pg_user ? n->dir : "/",
                    .stdin_data = stdin_data, .out_path = out,
                    .user = as_pg_user ? n->env->user : NULL, .die_with_agent = true};
    int out_fd = -1;
    if (out && !as_pg_user) {
        /* Invariant 8: a root child must not open a path the pg user controls. */
        char *name = xasprintf("%s.log", job_names[job]);
        int dfd = node_dirfd(n, "log");
        out_fd = dfd < 0 ? -1
                         : fs_open_at(dfd, name, O_WRONLY | O_CREAT | O_APPEND, 0600,
                                      owner_uid(n), owner_gid(n));
        if (out_fd < 0)
            LOG_WARN("job output not kept (log/%s refused or missing) node_id=%s err=%s", name,
                     n->id, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        free(name);
        ps.out_path = NULL;
        ps.out_fd = out_fd;
    }
    pid_t pid = proc_spawn(n->env->reaper, &ps, on_job_exit, n);
    if (out_fd >= 0)
        close(out_fd);
    free(out);
    if (pid < 0)
        return false;
    n->job_pid = pid;
    n->job = job;
    n->job_killed = false;
    LOG_INFO("job started node_id=%s job=%s pid=%ld", n->id, job_names[job], (long)pid);
    return true;
}

/* rm -rf as the pg user (invariant 8): whatever the pg user planted in
 * its tree, the removal can reach nothing it could not remove itself. For
 * JOB_RM_DIR the node directory itself (in the root's nodes directory)
 * stays; node_dir_remove finishes. */
static void rm_spawn(node *n, node_job job, const char *path)
{
    const char *argv[] = {"/bin/rm", "-rf", "--", path, NULL};
    if (!job_spawn(n, job, argv, NULL, true, NULL))
        fail(n, "cannot spawn rm");
}

/* True when the node directory is still in the root's nodes directory
 * (anything by that name, a symlink included). */
static bool node_dir_present(const node *n)
{
    int nfd = fs_dir_open_beneath(n->env->nodes_dir, NULL);
    bool present = nfd < 0 || fs_exists_at(nfd, n->id, false);
    if (nfd >= 0)
        close(nfd);
    return present;
}

/* After JOB_RM_DIR: the empty node directory, by the agent (it is in the
 * root's nodes directory). True when it is gone. */
static bool node_dir_remove(const node *n)
{
    int nfd = fs_dir_open_beneath(n->env->nodes_dir, NULL);
    bool ok = nfd >= 0 && fs_unlink_at(nfd, n->id, true);
    if (nfd >= 0)
        close(nfd);
    return ok;
}

/* --no-sync: the initialized marker is written (and fsynced) after initdb
 * and the database; a killed process cannot lose the page cache, and a
 * half-made node without the marker is made again anyway. */
static void initdb_spawn(node *n)
{
    if (!n->spec.master_verifier) {
        fail(n, "master_verifier is required to create the node");
        return;
    }
    if (!make_dirs(n)) {
        fail(n, "cannot prepare node directory");
        return;
    }
    /* rdsadmin is the bootstrap superuser and owns the cluster (RDS's role
     * model); it has no password until the bootstrap SQL sets its verifier,
     * and pg_hba.conf is the agent's before the first start. */
    char *prog = xasprintf("%s/initdb", n->env->bindir);
    const char *argv[] = {prog, "-D", n->data_dir, "-U", "rdsadmin",
                          "--auth-local=peer", "--auth-host=scram-sha-256",
                          "-E", "UTF8", "--locale=C", "--no-sync", NULL};
    if (!job_spawn(n, JOB_INITDB, argv, NULL, true, NULL))
        fail(n, "cannot spawn initdb");
    free(prog);
}

/* The roles and the database are made in single-user mode before the
 * first start (nodeconf_render_bootstrap_sql): no connection and so no
 * password is needed, and creation stays one all-or-nothing phase
 * (invariant 3). exit_on_error makes a failed statement a non-zero exit;
 * log_min_error_statement keeps the verifiers out of the log. */
static void createdb_spawn(node *n)
{
    char *prog = xasprintf("%s/postgres", n->env->bindir);
    char *sql = nodeconf_render_bootstrap_sql(&n->spec);
    const char *argv[] = {prog, "--single", "-D", n->data_dir, "-c", "exit_on_error=on",
                          "-c", "log_min_error_statement=panic", "postgres", NULL};
    if (!job_spawn(n, JOB_CREATEDB, argv, sql, true, NULL))
        fail(n, "cannot spawn postgres --single");
    free(prog);
    wipe_free(sql);
}

/* A standby's data: pg_basebackup from the upstream as the replication
 * user, its password in the child's environment only. A failure (the
 * upstream or its replication role not there yet) is retried. */
static void basebackup_spawn(node *n)
{
    if (!n->spec.has_upstream || !n->spec.repl_user) {
        build_retry_later(n, "a standby needs an upstream and a replication user");
        return;
    }
    if (!n->spec.repl_password) {
        build_retry_later(n, "replication password not known yet");
        return;
    }
    if (!make_dirs_but_data(n)) {
        fail(n, "cannot prepare node directory");
        return;
    }
    char *prog = xasprintf("%s/pg_basebackup", n->env->bindir);
    char port[16];
    snprintf(port, sizeof port, "%d", n->spec.upstream.port);
    char *pgdata = xasprintf("--pgdata=%s", n->data_dir);
    const char *argv[] = {prog, "-h", n->spec.upstream.addr, "-p", port,
                          "-U", n->spec.repl_user, pgdata, "--wal-method=stream",
                          "--checkpoint=fast", "--no-password", "--no-sync", NULL};
    char *pw = xasprintf("PGPASSWORD=%s", n->spec.repl_password);
    const char *env[] = {pw, "PGCONNECT_TIMEOUT=5", "PGAPPNAME=rds-agent-basebackup", NULL};
    LOG_INFO("base backup node_id=%s upstream=%s addr=%s port=%d", n->id,
             n->spec.upstream.node_id, n->spec.upstream.addr, n->spec.upstream.port);
    if (!job_spawn(n, JOB_BASEBACKUP, argv, NULL, true, env))
        build_retry_later(n, "cannot spawn pg_basebackup");
    wipe_free(pw);
    free(prog);
    free(pgdata);
}

/* The agents' KMS credentials for rds-backup restore children: the
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION lines of the
 * root-only file region.sh names in RDS_AGENT_CREDENTIALS (the principal
 * may only kms:Decrypt). Into env (capacity RESTORE_ENV_CAP, NULL-terminated,
 * the last two left for restore_source; the
 * caller frees the strings); in the child's environment only, never argv
 * and never the agent's own (which PostgreSQL inherits). */
enum { RESTORE_ENV_CAP = 6 };

static void restore_credentials(char *env[RESTORE_ENV_CAP])
{
    static const char *const keys[] = {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=",
                                       "AWS_REGION="};
    memset(env, 0, RESTORE_ENV_CAP * sizeof *env);
    const char *path = getenv("RDS_AGENT_CREDENTIALS");
    size_t len = 0;
    char *text = path && *path ? fs_read_all(path, 4096, &len) : NULL;
    int n = 0;
    for (char *line = text; line && *line && n < 3;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        for (size_t k = 0; k < 3; k++)
            if (strncmp(line, keys[k], strlen(keys[k])) == 0)
                env[n++] = xstrdup(line);
        line = end ? end + 1 : NULL;
    }
    if (text)
        OPENSSL_cleanse(text, len);
    free(text);
}

/* A URL source goes into env (after restore_credentials' entries) as
 * name=value: true; a path stays for argv: false. */
static bool restore_source(char *env[RESTORE_ENV_CAP], const char *name, const char *src)
{
    if (strncmp(src, "http://", 7) != 0)
        return false;
    int n = 0;
    while (env[n])
        n++;
    if (n >= RESTORE_ENV_CAP - 1)
        return false; /* cannot happen: three credentials at most */
    env[n] = xasprintf("%s%s", name, src);
    return true;
}

/* A primary restored from a snapshot: bin/rds-backup (next to this
 * program) opens the sealed object, unwrapping its data key through the
 * controlplane's KMS, into data/ — whole or not at all — owned by the pg
 * user. It runs as the agent: the backup store is not the pg user's. */
static void restore_spawn(node *n)
{
    if (!make_dirs_but_data(n)) {
        fail(n, "cannot prepare node directory");
        return;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    char *prog = xasprintf("%s/rds-backup", self);
    const proc_user *u = n->env->user;
    char *owner = u && u->drop ? xasprintf("%ld:%ld", (long)u->uid, (long)u->gid) : NULL;
    char *env[RESTORE_ENV_CAP];
    restore_credentials(env);
    const char *argv[16] = {prog, "restore", "--data", n->data_dir, "--kms", n->spec.restore_kms};
    int argc = 6;
    /* A URL (the controlplane's restore routes) carries a capability:
     * into the child's environment, not its argv, which ps shows. */
    bool in_url = restore_source(env, "RDSIM_RESTORE_IN=", n->spec.restore_path);
    if (!in_url) {
        argv[argc++] = "--in";
        argv[argc++] = n->spec.restore_path;
    }
    if (owner) {
        argv[argc++] = "--owner";
        argv[argc++] = owner;
    }
    if (n->spec.restore_wal) { /* a point-in-time restore */
        if (!restore_source(env, "RDSIM_RESTORE_WAL=", n->spec.restore_wal)) {
            argv[argc++] = "--wal-dir";
            argv[argc++] = n->spec.restore_wal;
        }
        argv[argc++] = "--target-time";
        argv[argc++] = n->spec.restore_target;
    }
    argv[argc] = NULL;
    LOG_INFO("restore node_id=%s from=%s", n->id,
             in_url ? "the controlplane's restore route" : n->spec.restore_path);
    if (!job_spawn(n, JOB_RESTORE, argv, NULL, false, (const char *const *)env))
        fail(n, "cannot spawn rds-backup");
    for (int i = 0; env[i]; i++) {
        OPENSSL_cleanse(env[i], strlen(env[i]));
        free(env[i]);
    }
    free(prog);
    free(owner);
}

/* Makes the data directory from scratch, in steps: remove what is there,
 * then initdb for a primary or a base backup for a standby. Each job's
 * exit calls it again until there is data. */
static void data_begin(node *n)
{
    if (fs_exists(n->data_dir))
        rm_spawn(n, JOB_RM_DATA, n->data_dir); /* half-made, or thrown away for a rebuild */
    else if (spec_is_standby(&n->spec))
        basebackup_spawn(n);
    else if (n->spec.restore_path)
        restore_spawn(n);
    else
        initdb_spawn(n);
}

static void create_finish(node *n)
{
    if (!marker_write(n, NULL)) {
        fail(n, "cannot write the initialized marker");
        return;
    }
    n->failures = 0;
    set_state(n, NODE_STOPPED, NULL);
}

/* After a base backup or a rewind: our configuration (both copy the
 * upstream's rdsim.conf and pg_hba.conf), standby.signal, then the marker
 * naming the upstream (invariant 3). */
static void standby_finish(node *n)
{
    if (!include_rdsim_conf(n) || !write_config(n) ||
        !write_owned(n, "data", "standby.signal", "", 0600) ||
        !marker_write(n, n->spec.upstream.node_id)) {
        fail(n, "cannot write the standby configuration");
        return;
    }
    LOG_INFO("standby ready to start node_id=%s upstream=%s rejoin=%s", n->id,
             n->spec.upstream.node_id, n->rejoin ? n->rejoin : "none");
    n->failures = 0;
    set_state(n, NODE_STOPPED, NULL);
}

static void create_begin(node *n)
{
    if (!n->has_spec) {
        fail(n, "no spec to create the node from");
        return;
    }
    char *sock = xasprintf("%s/.s.PGSQL.%d", n->sock_dir, n->spec.port);
    bool too_long = strlen(sock) > SOCKET_PATH_MAX;
    free(sock);
    if (too_long) {
        fail(n, "socket path too long: use a shorter --home");
        return;
    }
    if (!spec_is_standby(&n->spec) && !n->spec.master_verifier) {
        fail(n, "master_verifier is required to create the node");
        return;
    }
    if (!set_state(n, NODE_CREATING, NULL))
        return;
    n->failures = 0;
    data_begin(n);
}

/* The wipe-and-base-backup way to become a standby (a rebuild, or a rewind
 * that failed). */
static void rejoin_by_basebackup(node *n)
{
    n->rejoin = "basebackup";
    n->failures = 0;
    n->env->changed(n->env->arg, false);
    if (!marker_remove(n)) {
        fail(n, "cannot remove the initialized marker");
        return;
    }
    data_begin(n);
}

/* pg_rewind with the upstream as source, as the replication role (granted
 * what pg_rewind needs, nodeconf_render_roles_sql; password in the child's
 * environment only). It
 * first runs crash recovery in single-user mode if the node was not shut
 * down cleanly (a fenced or crashed primary). */
static void rewind_spawn(node *n)
{
    char *prog = xasprintf("%s/pg_rewind", n->env->bindir);
    char *target = xasprintf("--target-pgdata=%s", n->data_dir);
    char *source = xasprintf("--source-server=host=%s port=%d user=%s dbname=postgres "
                             "connect_timeout=5 application_name=rds-agent-rewind",
                             n->spec.upstream.addr, n->spec.upstream.port,
                             n->spec.repl_user);
    const char *argv[] = {prog, target, source, "--no-sync", NULL};
    char *pw = xasprintf("PGPASSWORD=%s", n->spec.repl_password);
    const char *env[] = {pw, NULL};
    if (!job_spawn(n, JOB_REWIND, argv, NULL, true, env))
        rejoin_by_basebackup(n);
    wipe_free(pw);
    free(prog);
    free(target);
    free(source);
}

/* A stopped node becomes a standby of its upstream. First a CHECKPOINT on
 * the upstream: a just-promoted primary's pg_control still names the old
 * timeline until its first checkpoint, and pg_rewind would then say "no
 * rewind required" for a node that has diverged — which could then never
 * stream. */
static void rejoin_begin(node *n, node_action act)
{
    if (!n->spec.has_upstream || !n->spec.repl_user) {
        fail(n, "a standby needs an upstream and a replication user");
        return;
    }
    if (!set_state(n, NODE_REJOINING, NULL))
        return;
    LOG_INFO("rejoining node_id=%s action=%s upstream=%s", n->id, node_action_name(act),
             n->spec.upstream.node_id);
    if (act == NODE_ACT_REBUILD || !n->spec.repl_password) {
        rejoin_by_basebackup(n);
        return;
    }
    n->rejoin = "rewind";
    char *prog = xasprintf("%s/psql", n->env->bindir);
    char port[16];
    snprintf(port, sizeof port, "%d", n->spec.upstream.port);
    const char *argv[] = {prog, "-X", "-q", "-h", n->spec.upstream.addr, "-p", port,
                          "-U", n->spec.repl_user, "-d", "postgres",
                          "-c", "CHECKPOINT", NULL};
    char *pw = xasprintf("PGPASSWORD=%s", n->spec.repl_password);
    const char *env[] = {pw, "PGCONNECT_TIMEOUT=5", "PGAPPNAME=rds-agent-rewind", NULL};
    if (!job_spawn(n, JOB_CHECKPOINT, argv, NULL, true, env))
        rewind_spawn(n);
    wipe_free(pw);
    free(prog);
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
    if (job == JOB_RM_DIR) {
        /* rm as the pg user cannot remove the directory itself (its parent
         * is root's): its exit status says nothing until that is done. */
        if (node_dir_remove(n))
            set_state(n, NODE_ABSENT, NULL);
        else
            fail(n, "cannot remove the node directory");
    } else if (n->goal == NODE_GOAL_ABSENT) {
        /* Creation abandoned: run_step deletes what is there. */
    } else if (job == JOB_CHECKPOINT) {
        /* Failed (upstream not reachable): pg_rewind fails too, and the
         * base backup that follows retries until it is. */
        rewind_spawn(n);
    } else if (job == JOB_REWIND) {
        if (ok) {
            standby_finish(n);
        } else {
            LOG_WARN("pg_rewind failed, falling back to a base backup node_id=%s how=\"%s\"; "
                     "see log/rewind.log", n->id, how);
            rejoin_by_basebackup(n);
        }
    } else if (job == JOB_BASEBACKUP) {
        if (ok) {
            standby_finish(n);
        } else {
            char *err = xasprintf("pg_basebackup failed (%s), retrying; see log/basebackup.log",
                                  how);
            build_retry_later(n, err);
            free(err);
        }
    } else if (!ok) {
        char *err = xasprintf("%s failed (%s); see log/", job_names[job], how);
        fail(n, err);
        free(err);
    } else if (job == JOB_RM_DATA) {
        data_begin(n);
    } else if (job == JOB_INITDB) {
        if (!include_rdsim_conf(n) || !write_config(n))
            fail(n, "cannot write configuration");
        else
            createdb_spawn(n);
    } else if (job == JOB_CREATEDB) {
        create_finish(n);
    } else if (job == JOB_RESTORE) {
        if (!include_rdsim_conf(n) || !write_config(n))
            fail(n, "cannot write configuration");
        else
            create_finish(n);
    }
    run_step(n);
}

/* ---- the roles (primary) ----------------------------------------------------- */

static void on_sql_exit(pid_t pid, int status, void *arg)
{
    node *n = arg;
    if (pid != n->sql_pid)
        return;
    n->sql_pid = 0;
    char how[32];
    proc_describe_status(status, how, sizeof how);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (!n->repl_ensured || strcmp(n->repl_ensured, n->sql_key) != 0)
            LOG_INFO("roles ensured node_id=%s repl_user=%s slots=%zu", n->id,
                     n->spec.repl_user ? n->spec.repl_user : "-", n->spec.nslots);
        n->roles_at_ms = mono_ms();
        wipe_free(n->repl_ensured);
        n->repl_ensured = n->sql_key;
    } else {
        LOG_WARN("cannot ensure the roles node_id=%s how=\"%s\"; see log/roles.log", n->id,
                 how);
        n->sql_retry_at_ms = mono_ms() + SQL_RETRY_MS;
        wipe_free(n->sql_key);
    }
    n->sql_key = NULL;
}

static void sql_kill(node *n)
{
    if (n->sql_pid <= 0)
        return;
    kill(n->sql_pid, SIGKILL);
    proc_reaper_forget(n->env->reaper, n->sql_pid);
    n->sql_pid = 0;
    wipe_free(n->sql_key);
    n->sql_key = NULL;
}

/* What roles_ensure sets; a change means the SQL runs again. */
static char *roles_key(const node_spec *s)
{
    sbuf slots = {0};
    sbuf_puts(&slots, s->has_slots ? "slots" : "-");
    for (size_t i = 0; i < s->nslots; i++)
        sbuf_printf(&slots, " %s", s->slots[i]);
    char *sl = sbuf_take(&slots);
    char *key = xasprintf("%s\n%s\n%s\n%s\n%s", s->admin_verifier ? s->admin_verifier : "",
                          s->master_verifier ? s->master_verifier : "",
                          s->repl_user ? s->repl_user : "",
                          s->repl_password ? s->repl_password : "", sl);
    free(sl);
    return key;
}

/* On a primary: rdsadmin's and the master user's verifiers and, with
 * "replication", the replication role are what the spec says
 * (nodeconf_render_roles_sql) — how a ModifyDBInstance
 * --master-user-password and a restore's new rdsadmin secret take effect.
 * psql runs as the pg user over the node's unix socket as rdsadmin (peer:
 * no password); the SQL goes on its stdin. Idempotent; redone when the
 * key changes and once after every agent start. */
static void roles_ensure(node *n)
{
    const node_spec *s = &n->spec;
    /* A standby with "slots" is a read replica with replicas of its own:
     * their slots only (pg_create_physical_replication_slot works in
     * recovery), under a key of its own so a promotion runs it all. */
    bool standby = n->role == NODE_ROLE_STANDBY;
    if (n->sql_pid > 0 || mono_ms() < n->sql_retry_at_ms)
        return;
    if (standby ? !s->has_slots
                : (n->role != NODE_ROLE_PRIMARY || (!s->master_verifier && !s->repl_password)))
        return;
    char *key = roles_key(s);
    if (standby) {
        char *k = xasprintf("standby\n%s", key);
        wipe_free(key);
        key = k;
    }
    /* The slots are checked again now and then: a slot dropped by hand
     * comes back (its replica then finds out whether its WAL is still
     * there; controlplane/domain/replica.h "Lost WAL"). */
    bool recheck = s->nslots > 0 && mono_ms() - n->roles_at_ms >= SLOTS_RECHECK_MS;
    if (n->repl_ensured && strcmp(n->repl_ensured, key) == 0 && !recheck) {
        wipe_free(key);
        return;
    }
    char *prog = xasprintf("%s/psql", n->env->bindir);
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    char *out = xasprintf("%s/roles.log", n->log_dir);
    const char *argv[] = {prog, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", n->sock_dir,
                          "-p", port, "-U", "rdsadmin", "-d", "postgres", "-f", "-",
                          NULL};
    const char *env[] = {"PGCONNECT_TIMEOUT=5", "PGAPPNAME=rds-agent", NULL};
    char *sql = standby ? nodeconf_render_slots_sql(s) : nodeconf_render_roles_sql(s);
    proc_spec ps = {.argv = argv, .env = env, .cwd = n->dir, .stdin_data = sql,
                    .out_path = out, .user = n->env->user, .die_with_agent = true};
    pid_t pid = proc_spawn(n->env->reaper, &ps, on_sql_exit, n);
    if (pid > 0) {
        n->sql_pid = pid;
        n->sql_key = key;
    } else {
        n->sql_retry_at_ms = mono_ms() + SQL_RETRY_MS;
        wipe_free(key);
    }
    wipe_free(sql);
    free(prog);
    free(out);
}

/* ---- reconciliation ------------------------------------------------------- */

static bool retry_due(const node *n)
{
    return mono_ms() >= n->retry_at_ms;
}

/* True when data/pg_hba.conf already says what the spec asks. */
static bool hba_same(const node *n)
{
    char *want = nodeconf_render_hba(&n->spec);
    size_t len = 0;
    char *have = node_read(n, "data", "pg_hba.conf", 1 << 20, &len);
    bool same = have && len == strlen(want) && memcmp(have, want, len) == 0;
    free(want);
    free(have);
    return same;
}

/* If the on-disk configuration differs from the spec's: a reload when only
 * settings PostgreSQL re-reads changed (the synchronous standby list, a
 * standby's upstream), else a restart. */
static void check_config(node *n)
{
    if (n->conf_checked)
        return;
    n->conf_checked = true;
    char *want = nodeconf_render_conf(n->dir, n->id, &n->spec);
    size_t len = 0;
    char *have = node_read(n, "data", "rdsim.conf", 1 << 20, &len);
    bool same = have && len == strlen(want) && memcmp(have, want, len) == 0;
    if (same && (!hba_same(n) || !tls_same(n))) {
        /* Security group rules, rds.force_ssl, a new server certificate:
         * PostgreSQL re-reads pg_hba.conf and the TLS files on SIGHUP. */
        if (write_config(n)) {
            LOG_INFO("pg_hba.conf or TLS files changed, reloading node_id=%s pid=%ld", n->id,
                     (long)n->pm_pid);
            if (kill(n->pm_pid, SIGHUP) != 0)
                LOG_WARN("cannot signal postmaster node_id=%s err=%s", n->id, strerror(errno));
        }
    } else if (same) {
        write_pgpass(n); /* a new replication password needs no reload */
    } else if (have && nodeconf_reload_only(have, want) && spec_is_standby(&n->spec) &&
               proc_is_stopped(n->pm_pid) && write_config(n)) {
        /* A SIGSTOPped standby cannot reread its upstream: resumed, its WAL
         * receiver would go on acknowledging an old (fenced) writer's
         * commits. Killed now (stop_begin: SIGKILL of the server), it
         * starts again with the new configuration. */
        LOG_WARN("configuration changed on a stopped (SIGSTOP) standby, restarting node_id=%s "
                 "pid=%ld", n->id, (long)n->pm_pid);
        n->restart_pending = true;
    } else if (have && nodeconf_reload_only(have, want) && write_config(n)) {
        LOG_INFO("configuration changed, reloading node_id=%s pid=%ld", n->id, (long)n->pm_pid);
        if (kill(n->pm_pid, SIGHUP) != 0)
            LOG_WARN("cannot signal postmaster node_id=%s err=%s", n->id, strerror(errno));
    } else {
        LOG_INFO("configuration changed, restarting node_id=%s", n->id);
        n->restart_pending = true;
    }
    /* The parameter group: a reload, never a restart (PostgreSQL keeps a
     * changed static parameter for the next restart, as RDS's reboot). */
    if (!n->restart_pending && !params_same(n)) {
        if (write_params(n)) {
            LOG_INFO("parameters changed, reloading node_id=%s pid=%ld parameters_id=%s", n->id,
                     (long)n->pm_pid, n->spec.params_id ? n->spec.params_id : "none");
            if (kill(n->pm_pid, SIGHUP) != 0)
                LOG_WARN("cannot signal postmaster node_id=%s err=%s", n->id, strerror(errno));
            else
                params_applied_set(n);
        } else {
            n->conf_checked = false; /* try again next step */
        }
    } else if (!n->restart_pending) {
        params_applied_set(n);
    }
    free(want);
    free(have);
}

static node_action decide(const node *n)
{
    return node_role_decide(n->role == NODE_ROLE_STANDBY, &n->built, &n->spec);
}

/* A node with data and no postmaster: rejoin or rebuild if its role must
 * change. Returns true if it started doing so (a promotion happens once
 * the node runs). */
static bool act_on_role(node *n)
{
    node_action act = decide(n);
    if (act != NODE_ACT_REJOIN && act != NODE_ACT_REBUILD)
        return false;
    rejoin_begin(n, act);
    return true;
}

static void running_step(node *n)
{
    node_action act = decide(n);
    if (act == NODE_ACT_PROMOTE) {
        promote_begin(n);
        return;
    }
    if (act == NODE_ACT_REJOIN || act == NODE_ACT_REBUILD) {
        /* A demotion: the controlplane has a new primary already. */
        LOG_INFO("role change needs a stop node_id=%s action=%s", n->id, node_action_name(act));
        stop_begin(n, true);
        return;
    }
    check_config(n);
    if (n->restart_pending) {
        stop_begin(n, false);
    } else {
        roles_ensure(n);
        floor_recheck(n);
    }
}

/* Invariant 7. */
static void hang_check(node *n)
{
    bool watched = (n->state == NODE_RUNNING || n->state == NODE_PROMOTING) && n->pm_pid > 0 &&
                   n->goal == NODE_GOAL_RUNNING && n->has_spec && n->spec.supervise_report;
    if (!watched || !proc_is_stopped(n->pm_pid)) {
        n->pm_stopped_since_ms = 0;
        return;
    }
    int64_t now = mono_ms();
    if (n->pm_stopped_since_ms == 0) {
        n->pm_stopped_since_ms = now;
        return;
    }
    if (now - n->pm_stopped_since_ms < HUNG_AFTER_MS)
        return;
    LOG_WARN("postmaster hung (SIGSTOPped), reporting (supervise=report) node_id=%s pid=%ld "
             "stopped_ms=%lld", n->id, (long)n->pm_pid,
             (long long)(now - n->pm_stopped_since_ms));
    free(n->last_exit);
    n->last_exit = xstrdup("stopped (SIGSTOP)");
    n->pm_stopped_since_ms = 0;
    set_state(n, NODE_CRASHED, NULL);
}

/* node.h "Data loss": what may bring a DATA_LOST node back — never initdb. */
static void data_lost_step(node *n)
{
    if (data_present(n)) {
        LOG_WARN("data directory is a cluster again node_id=%s", n->id);
        set_state(n, NODE_STOPPED, NULL);
        return;
    }
    if (n->goal != NODE_GOAL_RUNNING || !n->has_spec || !retry_due(n))
        return;
    if (spec_is_standby(&n->spec) && n->spec.has_upstream && n->spec.repl_user) {
        LOG_WARN("rebuilding a lost standby from its upstream node_id=%s upstream=%s", n->id,
                 n->spec.upstream.node_id);
        rejoin_begin(n, NODE_ACT_REBUILD);
    } else if (!spec_is_standby(&n->spec) && !n->spec.initialized && n->spec.restore_path) {
        /* Only the controlplane's order: a restore in a spec that no longer
         * says initialized (domain/recovery.h), never an old PITR's leftover. */
        LOG_WARN("restoring a lost node node_id=%s from=%s target=%s", n->id,
                 strncmp(n->spec.restore_path, "http://", 7) == 0
                     ? "the controlplane's restore route"
                     : n->spec.restore_path,
                 n->spec.restore_target ? n->spec.restore_target : "end");
        if (marker_remove(n)) /* invariant 3: before the data is wiped */
            create_begin(n);
    }
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
        if (!initialized(n))
            create_begin(n);
        else if (!act_on_role(n))
            postmaster_spawn(n);
        break;
    case NODE_STOPPED:
        if (!act_on_role(n))
            postmaster_spawn(n);
        break;
    case NODE_CRASHED:
        if (n->pm_pid > 0) {
            /* Invariant 7: a hung postmaster goes before a restart or a rejoin. */
            node_action act = decide(n);
            if (!n->spec.supervise_report || act == NODE_ACT_REJOIN || act == NODE_ACT_REBUILD)
                stop_begin(n, true);
            break;
        }
        if (act_on_role(n) || n->spec.supervise_report)
            break; /* report only: the controlplane decides */
        n->restarts++;
        LOG_INFO("restarting a crashed postmaster (supervise=restart) node_id=%s restarts=%lld",
                 n->id, (long long)n->restarts);
        n->env->changed(n->env->arg, true);
        postmaster_spawn(n);
        break;
    case NODE_STARTING:
        if (postmaster_ready(n, n->pm_pid)) {
            n->failures = 0;
            set_state(n, NODE_RUNNING, NULL);
            role_refresh(n); /* now from pg_control */
            running_step(n);
        }
        break;
    case NODE_RUNNING:
        running_step(n);
        break;
    case NODE_PROMOTING:
        /* Invariant 6: primary only once postmaster.pid says "ready". Then
         * the configuration loses primary_conninfo (a reload). */
        if (n->role == NODE_ROLE_PRIMARY) {
            LOG_INFO("promoted node_id=%s generation=%lld", n->id, (long long)n->generation);
            n->conf_checked = false;
            set_state(n, NODE_RUNNING, NULL);
            running_step(n);
        }
        break;
    case NODE_STOPPING:
        stop_progress(n);
        break;
    case NODE_CREATING:
    case NODE_REJOINING:
        /* No job: a base backup waiting for its retry. */
        if (retry_due(n))
            data_begin(n);
        break;
    case NODE_DATA_LOST:
        data_lost_step(n);
        break;
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
    case NODE_PROMOTING:
        stop_begin(n, true);
        break;
    case NODE_STOPPING:
        stop_progress(n);
        break;
    case NODE_CRASHED:
        if (n->pm_pid > 0)
            stop_begin(n, true); /* invariant 7 */
        else
            set_state(n, NODE_STOPPED, NULL);
        break;
    case NODE_CREATING:
    case NODE_REJOINING:
        if (retry_due(n))
            data_begin(n);
        break;
    case NODE_DATA_LOST:
        data_lost_step(n); /* only notices data that came back */
        break;
    case NODE_STOPPED:
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
    case NODE_PROMOTING:
        stop_begin(n, false);
        break;
    case NODE_STOPPING:
        stop_progress(n);
        break;
    case NODE_NEW:
    case NODE_CREATING:
    case NODE_STOPPED:
    case NODE_FAILED:
    case NODE_CRASHED:
    case NODE_REJOINING:
    case NODE_DATA_LOST:
        if (n->state == NODE_CRASHED && n->pm_pid > 0) {
            stop_begin(n, true); /* invariant 7 */
            break;
        }
        if (n->state == NODE_FAILED && !retry_due(n))
            break;
        if (!set_state(n, NODE_DELETING, NULL))
            break;
        if (node_dir_present(n))
            rm_spawn(n, JOB_RM_DIR, n->dir);
        else /* a lost node whose directory went: rm could not start in it */
            set_state(n, NODE_ABSENT, NULL);
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
    if (n->floor_pid > 0 && n->floor_for_start) {
        /* Invariant 9: STARTING, no postmaster yet; on_floor_exit goes on,
         * unless the goal changed or pg_controldata hangs. */
        if (n->goal == NODE_GOAL_RUNNING &&
            mono_ms() - n->floor_spawned_ms < FLOOR_PROBE_TIMEOUT_MS)
            return;
        LOG_WARN("pg_controldata abandoned node_id=%s pid=%ld goal=%s", n->id,
                 (long)n->floor_pid, spec_goal_name(n->goal));
        floor_probe_cancel(n);
        floor_start(n, NULL); /* no floor; STOPPED if the goal is no longer running */
    }
    if (n->job_pid > 0) {
        /* Invariant 1. Abandoning creation for a delete: stop the job first. */
        if (n->goal == NODE_GOAL_ABSENT && n->job != JOB_RM_DIR && !n->job_killed) {
            kill(n->job_pid, SIGTERM);
            n->job_killed = true;
        }
        return;
    }
    role_refresh(n);
    hang_check(n);
    data_lost_check(n); /* node.h "Data loss": before anything could initdb */
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

/* Invariant 9: an adopted postmaster runs with a floor if its
 * rdsim-floor.conf says more than a comment (written before its start). */
static void floor_adopt(node *n)
{
    size_t len = 0;
    char *have = node_read(n, "data", "rdsim-floor.conf", 1 << 20, &len);
    char *none = nodeconf_render_floor(NULL);
    n->floor_active = have && (len != strlen(none) || memcmp(have, none, len) != 0);
    if (n->floor_active)
        LOG_INFO("adopted postmaster runs with a hot standby floor node_id=%s", n->id);
    free(have);
    free(none);
}

/* Sets the initial state from what is on disk and in /proc. */
static void probe(node *n)
{
    unlink(n->pwfile); /* invariant 4: left by a crash during initdb */
    node_pidfile pf;
    bool have_pf = read_pidfile(n, &pf);
    marker_load(n);
    if (have_pf && proc_is_postmaster_of(pf.pid, n->data_dir)) {
        n->pm_pid = pf.pid;
        n->pm_child = false;
        n->pm_group = getpgid(pf.pid) == pf.pid;
        bool ready = strcmp(pf.status, "ready") == 0 || strcmp(pf.status, "standby") == 0;
        n->state = ready ? NODE_RUNNING : NODE_STARTING;
        n->ran = ready;
        LOG_INFO("postmaster adopted node_id=%s pid=%ld status=%s", n->id, (long)pf.pid,
                 pf.status);
        floor_adopt(n);
    } else if (initialized(n) && have_pf && n->goal == NODE_GOAL_RUNNING && n->has_spec &&
               n->spec.supervise_report) {
        /* A stale postmaster.pid: it died while we were away (a clean stop
         * removes the file). supervise=report: say so, do not restart. */
        n->state = NODE_CRASHED;
        n->last_exit = xstrdup("gone");
    } else if (initialized(n)) {
        n->state = NODE_STOPPED;
    } else if (!fs_exists(n->dir) && n->goal == NODE_GOAL_ABSENT) {
        n->state = NODE_ABSENT;
    } else {
        n->state = NODE_NEW;
    }
    role_refresh(n);
    LOG_INFO("node probed node_id=%s state=%s goal=%s role=%s", n->id, log_name(n->state),
             spec_goal_name(n->goal), node_role_name(n->role) ? node_role_name(n->role) : "none");
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
    n->floor_fd = -1;
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
    if (n->sql_pid > 0)
        proc_reaper_forget(n->env->reaper, n->sql_pid);
    if (n->pm_pid > 0 && n->pm_child)
        proc_reaper_forget(n->env->reaper, n->pm_pid);
    floor_probe_cancel(n);
    spec_free(&n->spec);
    free(n->id);
    free(n->dir);
    free(n->data_dir);
    free(n->sock_dir);
    free(n->log_dir);
    free(n->marker);
    free(n->pwfile);
    free(n->error);
    free(n->last_exit);
    free(n->params_applied);
    wipe_free(n->sql_key);
    wipe_free(n->repl_ensured);
    free(n);
}

/* The passwords are memory only: a spec without one keeps the one we have. */
static void keep_password(char **dst, const char *have)
{
    if (!*dst && have)
        *dst = xstrdup(have);
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
        bool new_secret =
            (spec->master_verifier &&
             (!n->spec.master_verifier || strcmp(spec->master_verifier, n->spec.master_verifier))) ||
            (spec->admin_verifier &&
             (!n->spec.admin_verifier || strcmp(spec->admin_verifier, n->spec.admin_verifier))) ||
            (spec->repl_password &&
             (!n->spec.repl_password || strcmp(spec->repl_password, n->spec.repl_password))) ||
            (spec->tls_key && !n->spec.tls_key);
        if (!same || new_secret) {
            node_spec copy;
            spec_copy(&copy, spec);
            keep_password(&copy.master_verifier, n->spec.master_verifier);
            keep_password(&copy.admin_verifier, n->spec.admin_verifier);
            if (copy.repl_user && n->spec.repl_user && strcmp(copy.repl_user, n->spec.repl_user) == 0)
                keep_password(&copy.repl_password, n->spec.repl_password);
            if (copy.tls_cert && n->spec.tls_cert && strcmp(copy.tls_cert, n->spec.tls_cert) == 0)
                keep_password(&copy.tls_key, n->spec.tls_key);
            if (n->has_spec && strcmp(copy.role, n->spec.role) != 0)
                LOG_INFO("role wanted node_id=%s from=%s to=%s generation=%lld", n->id,
                         n->spec.role, copy.role, (long long)generation);
            spec_free(&n->spec);
            n->spec = copy;
            n->has_spec = true;
        }
        if (!same || new_secret)
            n->conf_checked = false; /* a new replication password: rewrite repl.pgpass */
        if (!same)
            changed = true;
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
    out->role = n->role;
    out->rejoin = n->rejoin;
    out->params_id = n->params_applied;
}
