/* labruntimes: see labruntimes.h.
 *
 * Each lane is `ip netns exec <clients' ns> <program...>` (ip execs the
 * program, so the child's pid is the runtime's), forked with its stdout
 * on a pipe and its stderr in <work_dir>/<lane>.err. One thread polls the
 * pipes and appends parsed attempts to the log under a mutex. */
#include "cli/labruntimes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/labclients.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

#define LR_ARGV_MAX 40
#define LR_NPROCS (LAB_NCLIENTS - LAB_NMODELS + 1) /* the lanes and dnsmasq */
#define LR_DNSMASQ (LR_NPROCS - 1)
#define LR_ERROR_MAX LABCLIENTS_ERROR_MAX
#define LR_DIGITS_MAX 15 /* ms since 1970 for the next 30,000 years */

/* Debian's jars (libpostgresql-jdbc-java, libhikaricp-java and the slf4j
 * it logs through; slf4j-nop keeps HikariCP quiet). */
static const char *const lr_jars[] = {
    "/usr/share/java/postgresql.jar", "/usr/share/java/HikariCP.jar",
    "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-nop.jar",
};
#define LR_PYTHON "/usr/bin/python3" /* Debian's, where python3-psycopg2 installs */
#define LR_PSYCOPG2_DIR "/usr/lib/python3/dist-packages/psycopg2"

typedef struct {
    pid_t pid;
    int fd;
    char buf[LABRUNTIMES_LINE_MAX];
    size_t len;
    bool overlong; /* dropping the rest of a too-long line */
} lr_proc;

struct labruntimes {
    labruntimes_config cfg;
    lr_proc procs[LR_NPROCS];
    int wake[2]; /* the stop pipe */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    lab_attempt *log;
    size_t nlog, cap;
    uint64_t garbage;
    char last_error[LAB_NCLIENTS][LR_ERROR_MAX];
};

/* ------------------------------------------------------------ pure parts */

/* The value of KEY= on a line of its own in text, copied into out. */
static bool lr_env_value(const char *text, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) != 0 || p[klen] != '=')
            continue;
        const char *v = p + klen + 1;
        size_t n = strcspn(v, "\n");
        if (n == 0 || n >= cap)
            return false;
        memcpy(out, v, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

bool labruntimes_region_env(const char *text, char *ns, size_t ns_cap, char *gw, size_t gw_cap)
{
    struct in_addr ia;
    if (!text || !lr_env_value(text, "RDS_CLIENT_NS", ns, ns_cap) ||
        !lr_env_value(text, "RDS_GATEWAY", gw, gw_cap) || inet_pton(AF_INET, gw, &ia) != 1)
        return false;
    for (const char *p = ns; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

/* A decimal of 1..LR_DIGITS_MAX digits ending at a space or the end;
 * advances *p past it. */
static bool lr_number(const char **p, const char *end, int64_t *out)
{
    int64_t v = 0;
    int n = 0;
    while (*p < end && isdigit((unsigned char)**p)) {
        if (++n > LR_DIGITS_MAX)
            return false;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return n > 0 && (*p == end || **p == ' ');
}

/* The word at *p up to the next space or the end (at most cap-1 bytes). */
static bool lr_word(const char **p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    while (*p < end && **p != ' ') {
        if (n + 1 >= cap)
            return false;
        out[n++] = **p;
        (*p)++;
    }
    out[n] = '\0';
    return n > 0;
}

static bool lr_space(const char **p, const char *end)
{
    if (*p >= end || **p != ' ')
        return false;
    (*p)++;
    return true;
}

static bool lr_sqlstate_ok(const char *s)
{
    if (strcmp(s, "-") == 0)
        return true;
    if (strlen(s) != 5)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !isupper((unsigned char)*s))
            return false;
    return true;
}

static bool lr_plausible(int64_t start, int64_t end, int64_t now)
{
    return start <= end && end - start <= LABRUNTIMES_SKEW_MS &&
           start >= now - LABRUNTIMES_SKEW_MS && end <= now + LABRUNTIMES_SKEW_MS;
}

bool labruntimes_parse_line(const char *line, size_t len, lab_client_kind k, int64_t now_ms,
                            lab_attempt *out, char *msg, size_t msg_cap)
{
    const char *p = line, *end = line + len;
    if (msg_cap)
        msg[0] = '\0';
    for (size_t i = 0; i < len; i++)
        if (line[i] < 0x20 || line[i] > 0x7e)
            return false;
    int64_t start, stop;
    char word[8];
    memset(out, 0, sizeof *out);
    if (!lr_number(&p, end, &start) || !lr_space(&p, end) || !lr_number(&p, end, &stop) ||
        !lr_space(&p, end) || !lr_word(&p, end, word, sizeof word) || !lr_space(&p, end) ||
        !lr_plausible(start, stop, now_ms))
        return false;
    out->start_ms = start;
    out->end_ms = stop;
    out->client = (uint8_t)k;
    if (strcmp(word, "ok") == 0) {
        char addr[LABCLIENTS_ADDR_MAX];
        struct in_addr ia;
        int64_t server;
        if (!lr_word(&p, end, addr, sizeof addr) || inet_pton(AF_INET, addr, &ia) != 1 ||
            !lr_space(&p, end) || !lr_number(&p, end, &server) || p != end ||
            server < now_ms - LABRUNTIMES_SKEW_MS || server > now_ms + LABRUNTIMES_SKEW_MS)
            return false;
        out->outcome = LAB_OK;
        out->addr = ia.s_addr;
        out->server_ms = server;
        return true;
    }
    char state[8];
    if (strcmp(word, "fail") != 0 || !lr_word(&p, end, state, sizeof state) ||
        !lr_sqlstate_ok(state))
        return false;
    if (p < end && !lr_space(&p, end))
        return false;
    size_t n = (size_t)(end - p);
    if (msg_cap) {
        if (n >= msg_cap)
            n = msg_cap - 1;
        memcpy(msg, p, n);
        msg[n] = '\0';
    }
    out->outcome = (uint8_t)labclients_classify(strcmp(state, "-") ? state : NULL, p);
    return true;
}

/* ------------------------------------------------------------ the lanes */

static bool lr_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* An executable named `name` on $PATH (or /usr/sbin, where dnsmasq is). */
static bool lr_on_path(const char *name)
{
    const char *path = getenv("PATH");
    char *dirs = xasprintf("%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
    bool found = false;
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *full = xasprintf("%s/%s", d, name);
        found = access(full, X_OK) == 0;
        free(full);
    }
    free(dirs);
    return found;
}

static bool lr_lane_ready(const labruntimes_config *cfg, int k, sbuf *why)
{
    switch (k) {
    case LAB_RT_JVM:
    case LAB_RT_JVM_TTL:
    case LAB_RT_HIKARI: {
        if (!lr_on_path("java")) {
            sbuf_puts(why, "no java on PATH (openjdk-17-jre-headless)");
            return false;
        }
        for (size_t i = 0; i < sizeof lr_jars / sizeof lr_jars[0]; i++)
            if (!lr_file_exists(lr_jars[i])) {
                sbuf_printf(why, "no %s (scripts/install-deps.sh)", lr_jars[i]);
                return false;
            }
        char *cls = xasprintf("%s/LabJdbc.class", cfg->java_dir ? cfg->java_dir : "?");
        bool ok = lr_file_exists(cls);
        if (!ok)
            sbuf_printf(why, "no %s (make builds it when javac is installed)", cls);
        free(cls);
        return ok;
    }
    case LAB_RT_PSYCOPG2:
        if (!lr_file_exists(LR_PYTHON) || !lr_file_exists(LR_PSYCOPG2_DIR)) {
            sbuf_puts(why, "no " LR_PSYCOPG2_DIR " (python3-psycopg2)");
            return false;
        }
        return true;
    case LAB_RT_GLIBC_DNSMASQ:
        if (!lr_on_path("dnsmasq") || !lr_on_path("unshare")) {
            sbuf_puts(why, "no dnsmasq (dnsmasq-base) or unshare");
            return false;
        }
        return true;
    default:
        return true;
    }
}

unsigned labruntimes_available(const labruntimes_config *cfg, unsigned want)
{
    unsigned ok = 0;
    for (int k = LAB_NMODELS; k < LAB_NCLIENTS; k++) {
        if (!(want & (1u << k)))
            continue;
        sbuf why = {0};
        if (lr_lane_ready(cfg, k, &why))
            ok |= 1u << k;
        else
            fprintf(stderr, "note: lane %s left out: %s\n",
                    labreport_client_name((lab_client_kind)k), why.data);
        sbuf_free(&why);
    }
    return ok;
}

typedef struct {
    char *v[LR_ARGV_MAX + 1];
    int n;
} lr_argv;

static void lr_arg(lr_argv *a, char *s)
{
    if (a->n < LR_ARGV_MAX)
        a->v[a->n++] = s;
    else
        free(s);
    a->v[a->n] = NULL;
}

static void lr_argv_free(lr_argv *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    a->n = 0;
}

/* The lane's own arguments after the program: ENDPOINT PORT USER DBNAME
 * RUN CLIENT, as every lane program takes them. */
static void lr_common_args(const labruntimes_config *cfg, int k, lr_argv *a)
{
    lr_arg(a, xstrdup(cfg->endpoint));
    lr_arg(a, xasprintf("%d", cfg->pg_port));
    lr_arg(a, xstrdup(cfg->user));
    lr_arg(a, xstrdup(cfg->dbname));
    lr_arg(a, xasprintf("%lld", (long long)cfg->run));
    lr_arg(a, xstrdup(labreport_client_name((lab_client_kind)k)));
}

static void lr_java_args(const labruntimes_config *cfg, int k, lr_argv *a)
{
    sbuf cp = {0};
    sbuf_puts(&cp, cfg->java_dir);
    for (size_t i = 0; i < sizeof lr_jars / sizeof lr_jars[0]; i++)
        sbuf_printf(&cp, ":%s", lr_jars[i]);
    /* A small JVM: three run side by side on a 2-core machine. */
    const char *opts[] = {"java", "-Xmx64m", "-Xss512k", "-XX:+UseSerialGC",
                          "-XX:TieredStopAtLevel=1", "-cp"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        lr_arg(a, xstrdup(opts[i]));
    lr_arg(a, xstrdup(cp.data));
    sbuf_free(&cp);
    lr_arg(a, xstrdup("LabJdbc"));
    lr_arg(a, xstrdup(k == LAB_RT_HIKARI ? "hikari" : "plain"));
    lr_common_args(cfg, k, a);
    lr_arg(a, k == LAB_RT_JVM ? xstrdup("default") : xasprintf("%d", LABRUNTIMES_JVM_TTL_S));
}

static char *lr_resolv_path(const labruntimes_config *cfg)
{
    return xasprintf("%s/resolv-dnsmasq.conf", cfg->work_dir);
}

/* argv of lane k (LR_DNSMASQ - LAB_NMODELS... for dnsmasq itself: k =
 * LAB_NCLIENTS). */
static void lr_lane_argv(const labruntimes_config *cfg, int k, lr_argv *a)
{
    lr_arg(a, xstrdup("ip"));
    lr_arg(a, xstrdup("netns"));
    lr_arg(a, xstrdup("exec"));
    lr_arg(a, xstrdup(cfg->netns));
    char *rdsctl = xasprintf("%s/bin/rdsctl", cfg->root);
    switch (k) {
    case LAB_RT_JVM:
    case LAB_RT_JVM_TTL:
    case LAB_RT_HIKARI:
        lr_java_args(cfg, k, a);
        break;
    case LAB_RT_PSYCOPG2:
        lr_arg(a, xstrdup(LR_PYTHON));
        lr_arg(a, xasprintf("%s/lab/runtimes/labrt_psycopg2.py", cfg->root));
        lr_common_args(cfg, k, a);
        break;
    case LAB_RT_GLIBC_DNSMASQ:
        /* A mount namespace of its own whose /etc/resolv.conf names
         * dnsmasq; `ip netns exec` made the namespace's mounts slaves, and
         * unshare's are private, so nothing leaks out. */
        lr_arg(a, xstrdup("unshare"));
        lr_arg(a, xstrdup("-m"));
        lr_arg(a, xstrdup("sh"));
        lr_arg(a, xstrdup("-c"));
        lr_arg(a, xstrdup("mount --bind \"$0\" /etc/resolv.conf && exec \"$@\""));
        lr_arg(a, lr_resolv_path(cfg));
        __attribute__((fallthrough)); /* to the glibc lane itself */
    case LAB_RT_GLIBC:
        lr_arg(a, xstrdup(rdsctl));
        lr_arg(a, xstrdup("lab"));
        lr_arg(a, xstrdup("runtime-glibc"));
        lr_common_args(cfg, k, a);
        break;
    default: /* dnsmasq: upstream the region's DNS, its cache stated here */
        lr_arg(a, xstrdup("dnsmasq"));
        lr_arg(a, xstrdup("--keep-in-foreground"));
        lr_arg(a, xstrdup("--conf-file=/dev/null"));
        lr_arg(a, xstrdup("--no-resolv"));
        lr_arg(a, xstrdup("--no-hosts"));
        lr_arg(a, xasprintf("--server=%s#53", cfg->gateway));
        lr_arg(a, xstrdup("--listen-address=127.0.0.1"));
        lr_arg(a, xstrdup("--bind-interfaces"));
        lr_arg(a, xstrdup("--user=root"));
        lr_arg(a, xasprintf("--pid-file=%s/dnsmasq.pid", cfg->work_dir));
        lr_arg(a, xasprintf("--cache-size=%d", LABRUNTIMES_DNSMASQ_CACHE));
        if (cfg->min_ttl > 0)
            lr_arg(a, xasprintf("--min-cache-ttl=%d", cfg->min_ttl > LABRUNTIMES_DNSMASQ_MAX_MIN_TTL
                                                         ? LABRUNTIMES_DNSMASQ_MAX_MIN_TTL
                                                         : cfg->min_ttl));
        break;
    }
    free(rdsctl);
}

extern char **environ;

/* The environment with PGPASSWORD added (replacing any). */
static char **lr_envp(const char *password)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **e = xcalloc(n + 2, sizeof *e);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PGPASSWORD=", 11) != 0)
            e[j++] = environ[i];
    e[j++] = xasprintf("PGPASSWORD=%s", password ? password : "");
    e[j] = NULL;
    return e;
}

/* Only the PGPASSWORD entry (the last) was allocated. */
static void lr_envp_free(char **envp)
{
    size_t n = 0;
    while (envp[n])
        n++;
    free(envp[n - 1]);
    free(envp);
}

/* Forks argv with stdout on a pipe (*out_fd, -1 for dnsmasq, whose
 * stdout is of no interest) and stderr in err_path. 0 on failure. */
static pid_t lr_spawn(lr_argv *a, char **envp, const char *err_path, int *out_fd)
{
    int p[2] = {-1, -1};
    if (out_fd && pipe2(p, O_CLOEXEC) != 0)
        return 0;
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: async-signal-safe calls only. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the lab */
        dup2(null, 0);
        dup2(out_fd ? p[1] : null, 1);
        dup2(err >= 0 ? err : null, 2);
        execvpe(a->v[0], a->v, envp);
        _exit(127);
    }
    if (err >= 0)
        close(err);
    if (null >= 0)
        close(null);
    if (out_fd) {
        close(p[1]);
        if (pid < 0)
            close(p[0]);
        else
            *out_fd = p[0];
    }
    return pid > 0 ? pid : 0;
}

static void lr_log_append(labruntimes *r, const lab_attempt *a)
{
    if (r->nlog == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->log = xrealloc(r->log, r->cap * sizeof *r->log);
    }
    r->log[r->nlog++] = *a;
}

static void lr_line(labruntimes *r, int k, const char *line, size_t len)
{
    lab_attempt a;
    char msg[LR_ERROR_MAX];
    bool ok = labruntimes_parse_line(line, len, (lab_client_kind)k, wall_ms(), &a, msg,
                                     sizeof msg);
    pthread_mutex_lock(&r->mu);
    if (!ok) {
        r->garbage++;
    } else {
        lr_log_append(r, &a);
        if (a.outcome != LAB_OK)
            snprintf(r->last_error[k], sizeof r->last_error[k], "%s", msg);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Reads what the pipe has; splits lines; drops a too-long one whole.
 * false at EOF or error. */
static bool lr_read(labruntimes *r, int i)
{
    lr_proc *p = &r->procs[i];
    char chunk[4096];
    ssize_t n = read(p->fd, chunk, sizeof chunk);
    if (n <= 0)
        return n < 0 && (errno == EINTR || errno == EAGAIN);
    for (ssize_t j = 0; j < n; j++) {
        if (chunk[j] == '\n') {
            if (p->overlong) {
                pthread_mutex_lock(&r->mu);
                r->garbage++;
                pthread_mutex_unlock(&r->mu);
            } else {
                lr_line(r, LAB_NMODELS + i, p->buf, p->len);
            }
            p->len = 0;
            p->overlong = false;
        } else if (p->len + 1 >= sizeof p->buf) {
            p->overlong = true;
        } else if (!p->overlong) {
            p->buf[p->len++] = chunk[j];
        }
    }
    return true;
}

static void *lr_thread(void *arg)
{
    labruntimes *r = arg;
    for (;;) {
        struct pollfd pfd[LR_NPROCS + 1];
        int idx[LR_NPROCS + 1];
        nfds_t n = 0;
        pfd[n] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
        idx[n++] = -1;
        for (int i = 0; i < LR_NPROCS; i++)
            if (r->procs[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = r->procs[i].fd, .events = POLLIN};
                idx[n++] = i;
            }
        if (poll(pfd, n, -1) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents)
            break;
        for (nfds_t j = 1; j < n; j++) {
            if (!pfd[j].revents || lr_read(r, idx[j]))
                continue;
            close(r->procs[idx[j]].fd); /* the lane ended: labruntimes_stop reaps it */
            r->procs[idx[j]].fd = -1;
            lab_client_kind k = (lab_client_kind)(LAB_NMODELS + idx[j]);
            pthread_mutex_lock(&r->mu);
            snprintf(r->last_error[k], sizeof r->last_error[k],
                     "the lane's program exited (its stderr: %s/%s.err)", r->cfg.work_dir,
                     labreport_client_name(k));
            pthread_mutex_unlock(&r->mu);
        }
    }
    return NULL;
}

static void lr_copy_cfg(labruntimes_config *dst, const labruntimes_config *src)
{
    *dst = *src;
    dst->netns = xstrdup(src->netns);
    dst->root = xstrdup(src->root);
    dst->java_dir = xstrdup(src->java_dir ? src->java_dir : "");
    dst->work_dir = xstrdup(src->work_dir);
    dst->endpoint = xstrdup(src->endpoint);
    dst->user = xstrdup(src->user);
    dst->password = xstrdup(src->password);
    dst->dbname = xstrdup(src->dbname);
    dst->gateway = xstrdup(src->gateway);
}

/* Starts process i (a lane, or dnsmasq at LR_DNSMASQ). */
static bool lr_start_proc(labruntimes *r, int i, char **envp)
{
    int k = LAB_NMODELS + i;
    lr_argv a = {0};
    lr_lane_argv(&r->cfg, k, &a);
    char *err = xasprintf("%s/%s.err", r->cfg.work_dir,
                          i == LR_DNSMASQ ? "dnsmasq" : labreport_client_name((lab_client_kind)k));
    r->procs[i].pid = lr_spawn(&a, envp, err, i == LR_DNSMASQ ? NULL : &r->procs[i].fd);
    free(err);
    lr_argv_free(&a);
    if (!r->procs[i].pid)
        LOG_ERROR("lab: cannot start %s", i == LR_DNSMASQ ? "dnsmasq"
                                            : labreport_client_name((lab_client_kind)k));
    return r->procs[i].pid != 0;
}

labruntimes *labruntimes_start(const labruntimes_config *cfg, unsigned want, unsigned *started)
{
    labruntimes *r = xcalloc(1, sizeof *r);
    lr_copy_cfg(&r->cfg, cfg);
    pthread_mutex_init(&r->mu, NULL);
    r->wake[0] = r->wake[1] = -1;
    for (int i = 0; i < LR_NPROCS; i++)
        r->procs[i].fd = -1;
    *started = 0;
    if (pipe2(r->wake, O_CLOEXEC) != 0) {
        labruntimes_free(r);
        return NULL;
    }
    char **envp = lr_envp(cfg->password);
    if (want & (1u << LAB_RT_GLIBC_DNSMASQ)) {
        char *resolv = lr_resolv_path(cfg);
        const char *text = "# rdsctl lab: the rt-glibc-dnsmasq lane asks dnsmasq\n"
                           "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n";
        if (!fs_write_atomic(resolv, text, strlen(text), 0644) ||
            !lr_start_proc(r, LR_DNSMASQ, envp))
            want &= ~(1u << LAB_RT_GLIBC_DNSMASQ);
        free(resolv);
    }
    for (int k = LAB_NMODELS; k < LAB_NCLIENTS; k++)
        if ((want & (1u << k)) && lr_start_proc(r, k - LAB_NMODELS, envp))
            *started |= 1u << k;
    lr_envp_free(envp);
    if (pthread_create(&r->thread, NULL, lr_thread, r) != 0) {
        LOG_ERROR("lab: cannot start the runtimes' reader");
        labruntimes_stop(r);
        labruntimes_free(r);
        *started = 0;
        return NULL;
    }
    r->thread_started = true;
    return r;
}

static void lr_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void labruntimes_stop(labruntimes *r)
{
    if (!r)
        return;
    if (r->thread_started) {
        ssize_t w = write(r->wake[1], "x", 1);
        (void)w;
        pthread_join(r->thread, NULL);
        r->thread_started = false;
    }
    for (int i = 0; i < LR_NPROCS; i++)
        if (r->procs[i].pid)
            kill(-r->procs[i].pid, SIGTERM);
    int64_t give_up = mono_ms() + LABRUNTIMES_STOP_MS;
    for (int i = 0; i < LR_NPROCS; i++) {
        lr_proc *p = &r->procs[i];
        while (p->pid && waitpid(p->pid, NULL, WNOHANG) == 0) {
            if (mono_ms() >= give_up) {
                kill(-p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
                break;
            }
            lr_sleep_ms(20);
        }
        p->pid = 0;
        if (p->fd >= 0)
            close(p->fd);
        p->fd = -1;
    }
}

void labruntimes_free(labruntimes *r)
{
    if (!r)
        return;
    labruntimes_stop(r);
    for (int i = 0; i < 2; i++)
        if (r->wake[i] >= 0)
            close(r->wake[i]);
    pthread_mutex_destroy(&r->mu);
    free(r->log);
    free((char *)r->cfg.netns);
    free((char *)r->cfg.root);
    free((char *)r->cfg.java_dir);
    free((char *)r->cfg.work_dir);
    free((char *)r->cfg.endpoint);
    free((char *)r->cfg.user);
    free((char *)r->cfg.password);
    free((char *)r->cfg.dbname);
    free((char *)r->cfg.gateway);
    free(r);
}

size_t labruntimes_attempts(labruntimes *r, lab_attempt **out)
{
    *out = NULL;
    if (!r)
        return 0;
    pthread_mutex_lock(&r->mu);
    size_t n = r->nlog;
    if (n) {
        *out = xmalloc(n * sizeof **out);
        memcpy(*out, r->log, n * sizeof **out);
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

void labruntimes_last_error(labruntimes *r, lab_client_kind k, char *buf, size_t size)
{
    if (!size)
        return;
    buf[0] = '\0';
    if (!r || k < LAB_NMODELS || k >= LAB_NCLIENTS)
        return;
    pthread_mutex_lock(&r->mu);
    snprintf(buf, size, "%s", r->last_error[k]);
    pthread_mutex_unlock(&r->mu);
}

uint64_t labruntimes_garbage(labruntimes *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->mu);
    uint64_t g = r->garbage;
    pthread_mutex_unlock(&r->mu);
    return g;
}

/* ------------------------------------------------------ the glibc lane */

/* printable ASCII, one line */
static void lr_print_fail(int64_t start, const char *state, const char *message)
{
    char m[LR_ERROR_MAX];
    size_t n = 0;
    for (const char *p = message ? message : ""; *p && n + 1 < sizeof m; p++)
        m[n++] = (*p >= 0x20 && *p <= 0x7e) ? *p : ' ';
    while (n && m[n - 1] == ' ')
        n--;
    m[n] = '\0';
    printf("%lld %lld fail %s %s\n", (long long)start, (long long)wall_ms(),
           state && lr_sqlstate_ok(state) ? state : "-", m);
}

/* getaddrinfo, no cache: glibc asks resolv.conf's server every time. */
static bool lr_gai(const char *name, char *addr, size_t cap, char *err, size_t err_cap)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_cap, "getaddrinfo: %s", gai_strerror(rc));
        return false;
    }
    const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
    bool ok = inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t)cap) != NULL;
    freeaddrinfo(res);
    if (!ok)
        snprintf(err, err_cap, "getaddrinfo: no IPv4 address");
    return ok;
}

static PGconn *lr_glibc_connect(char **argv, const char *addr)
{
    const char *keys[] = {"hostaddr", "host", "port", "user", "dbname", "connect_timeout",
                          "sslmode", "gssencmode", "options", NULL};
    const char *vals[] = {addr, argv[0], argv[1], argv[2], argv[3], "2",
                          "prefer", "disable", "-c statement_timeout=2000", NULL};
    return PQconnectdbParams(keys, vals, 0);
}

int labruntimes_glibc_main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: rdsctl lab runtime-glibc ENDPOINT PORT USER DBNAME RUN CLIENT\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    PGconn *conn = NULL;
    for (long long seq = 1;; seq++) {
        int64_t start = wall_ms();
        char addr[LABCLIENTS_ADDR_MAX], err[LR_ERROR_MAX];
        if (!conn) {
            if (!lr_gai(argv[0], addr, sizeof addr, err, sizeof err)) {
                lr_print_fail(start, NULL, err);
                lr_sleep_ms(LABRUNTIMES_PERIOD_MS);
                continue;
            }
            conn = lr_glibc_connect(argv, addr);
        }
        char seqs[24];
        snprintf(seqs, sizeof seqs, "%lld", seq);
        const char *params[] = {argv[4], argv[5], seqs};
        PGresult *res = PQstatus(conn) == CONNECTION_OK
                            ? PQexecParams(conn,
                                           "INSERT INTO rdsim_lab (run, client, seq) VALUES "
                                           "($1, $2, $3) RETURNING host(inet_server_addr()), "
                                           "(extract(epoch FROM clock_timestamp()) * 1000)::bigint",
                                           3, NULL, params, NULL, NULL, 0)
                            : NULL;
        if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            printf("%lld %lld ok %s %s\n", (long long)start, (long long)wall_ms(),
                   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
        } else {
            lr_print_fail(start, res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL,
                          res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
            PQfinish(conn);
            conn = NULL;
        }
        PQclear(res);
        lr_sleep_ms(LABRUNTIMES_PERIOD_MS);
    }
}
