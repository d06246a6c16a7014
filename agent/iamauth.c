/* iamauth: see iamauth.h. */
#include "agent/iamauth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/heartbeat.h"
#include "agent/nodeconf.h"
#include "lib/fsutil.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/util.h"

typedef struct iamauth iamauth_t;
typedef struct {
    iamauth_t *ia;
    char *node_id, *path;
    struct evconnlistener *l;
    bool wanted;
} listener;

typedef struct conn conn;
struct conn {
    iamauth *ia;
    conn *next;
    int fd;
    struct event *ev;
    char buf[IAMAUTH_MAX_REQUEST + 1];
    size_t len;
    char node_id[96];
    char user[64];
    heartbeat_auth auth;
    char *body;
    size_t body_len;
    bool asking; /* the question is with the controlplane */
};

struct iamauth {
    struct event_base *base;
    char *url, *agent_id, *nodes_dir, *module, *pam_path;
    uint8_t key[AGENTMAC_KEY_LEN];
    const proc_user *user;
    listener **ls;
    size_t nls;
    conn *conns;
    int nconns;
    bool pam_written;
};

/* ---- pure ---- */

char *iamauth_pam_service_text(const char *module)
{
    return xasprintf("# Written by rds-agent: IAM database authentication (agent/README.md).\n"
                     "auth     required  %s\n"
                     "account  required  %s\n",
                     module, module);
}

static bool printable_span(const char *s, size_t n, bool allow_space)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (!allow_space && c == ' '))
            return false;
    }
    return true;
}

bool iamauth_parse_question(const char *buf, size_t len, char *user, char *token)
{
    const char *nl1 = memchr(buf, '\n', len);
    if (!nl1)
        return false;
    size_t ulen = (size_t)(nl1 - buf);
    const char *t = nl1 + 1;
    size_t rest = len - ulen - 1;
    const char *nl2 = memchr(t, '\n', rest);
    if (!nl2 || nl2 != t + rest - 1)
        return false;
    size_t tlen = (size_t)(nl2 - t);
    if (ulen == 0 || ulen > 63 || tlen == 0 || tlen > 4096 || !printable_span(buf, ulen, true) ||
        !printable_span(t, tlen, false))
        return false;
    memcpy(user, buf, ulen);
    user[ulen] = '\0';
    memcpy(token, t, tlen);
    token[tlen] = '\0';
    return true;
}

/* ---- one question ---- */

static void conn_free(conn *c)
{
    iamauth *ia = c->ia;
    for (conn **p = &ia->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    ia->nconns--;
    if (c->ev)
        event_free(c->ev);
    if (c->fd >= 0)
        close(c->fd);
    if (c->body) {
        OPENSSL_cleanse(c->body, c->body_len);
        free(c->body);
    }
    OPENSSL_cleanse(c->buf, sizeof c->buf);
    free(c);
}

static void answer(conn *c, bool allow, const char *why)
{
    const char *a = allow ? "allow\n" : "deny\n";
    if (send(c->fd, a, strlen(a), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        LOG_WARN("iam auth: answer not delivered node=%s err=%s", c->node_id, strerror(errno));
    if (allow)
        LOG_INFO("iam auth allowed node=%s user=%s", c->node_id, c->user);
    else
        LOG_INFO("iam auth denied node=%s user=%s why=\"%s\"", c->node_id,
                 c->user[0] ? c->user : "-", why);
    conn_free(c);
}

static void on_reply(int status, const char *body, size_t len, const struct evkeyvalq *headers,
                     void *arg)
{
    conn *c = arg;
    c->asking = false;
    if (status == 0 || !headers) {
        answer(c, false, "controlplane unreachable or too slow");
        return;
    }
    agentmac_result v = heartbeat_auth_reply(&c->auth, c->ia->key, status,
                                             evhttp_find_header(headers, AGENTMAC_H_TIME),
                                             evhttp_find_header(headers, AGENTMAC_H_SIG), body,
                                             len, wall_ms());
    if (v != AGENTMAC_OK) {
        LOG_WARN("iam auth: controlplane reply not authenticated, denied node=%s status=%d",
                 c->node_id, status);
        answer(c, false, "reply not authenticated");
        return;
    }
    cJSON *root = status == 200 ? cJSON_ParseWithLength(body, len) : NULL;
    bool allow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "allow"));
    cJSON_Delete(root);
    answer(c, allow, status == 200 ? "controlplane said no" : "controlplane refused the question");
}

/* The question is complete: ask the controlplane. */
static void ask(conn *c)
{
    char token[4097];
    if (!iamauth_parse_question(c->buf, c->len, c->user, token)) {
        c->user[0] = '\0';
        answer(c, false, "malformed question");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "agent_id", c->ia->agent_id);
    cJSON_AddStringToObject(o, "node_id", c->node_id);
    cJSON_AddStringToObject(o, "user", c->user);
    cJSON_AddStringToObject(o, "token", token);
    OPENSSL_cleanse(token, sizeof token);
    c->body = cJSON_PrintUnformatted(o);
    cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "token");
    if (cJSON_IsString(t))
        OPENSSL_cleanse(t->valuestring, strlen(t->valuestring));
    cJSON_Delete(o);
    c->body_len = strlen(c->body);
    heartbeat_auth_request(&c->auth, c->ia->key, c->ia->agent_id, IAMAUTH_PATH, c->body,
                           c->body_len, wall_ms());
    httpc_opts opts = {.method = "POST", .content_type = "application/json",
                       .body = c->body, .body_len = c->body_len,
                       .timeout_s = IAMAUTH_TIMEOUT_S, .headers = c->auth.headers};
    c->asking = true;
    if (!httpc_request_h(c->ia->base, c->ia->url, &opts, on_reply, c)) {
        c->asking = false;
        answer(c, false, "cannot reach the controlplane");
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    if (what & EV_TIMEOUT) {
        answer(c, false, "client too slow");
        return;
    }
    ssize_t r = recv(fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r > 0) {
        c->len += (size_t)r;
        if (c->len >= sizeof c->buf - 1) {
            answer(c, false, "question too long");
            return;
        }
        /* Complete at the second newline. */
        const char *nl = memchr(c->buf, '\n', c->len);
        if (!nl || !memchr(nl + 1, '\n', c->len - (size_t)(nl + 1 - c->buf)))
            return;
    } else if (c->len == 0) {
        conn_free(c);
        return;
    }
    event_del(c->ev);
    ask(c);
}

/* Only the pg user (or root, or the agent itself) may ask. */
static bool peer_allowed(const iamauth *ia, int fd)
{
    struct ucred cr;
    socklen_t n = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) != 0)
        return false;
    return cr.uid == 0 || cr.uid == geteuid() || (ia->user->drop && cr.uid == ia->user->uid);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)l;
    (void)sa;
    (void)socklen;
    listener *ls = arg;
    iamauth *ia = ls->ia;
    if (ia->nconns >= IAMAUTH_MAX_CONNS || !peer_allowed(ia, fd)) {
        LOG_WARN("iam auth: question refused node=%s why=\"%s\"", ls->node_id,
                 ia->nconns >= IAMAUTH_MAX_CONNS ? "too many open" : "peer is not the pg user");
        (void)send(fd, "deny\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        return;
    }
    conn *c = xcalloc(1, sizeof *c);
    c->ia = ia;
    c->fd = fd;
    snprintf(c->node_id, sizeof c->node_id, "%s", ls->node_id);
    c->next = ia->conns;
    ia->conns = c;
    ia->nconns++;
    evutil_make_socket_nonblocking(fd);
    c->ev = event_new(ia->base, fd, EV_READ | EV_PERSIST, on_read, c);
    struct timeval tv = {IAMAUTH_TIMEOUT_S, 0};
    event_add(c->ev, &tv);
}

/* ---- sockets ---- */

static void listener_close(listener *ls)
{
    if (ls->l)
        evconnlistener_free(ls->l);
    unlink(ls->path);
    free(ls->node_id);
    free(ls->path);
    free(ls);
}

/* Binds <nodes_dir>/<node_id>/iamauth.sock for the pg user; NULL (logged
 * once per node by the caller's retry) when the directory is not there. */
static listener *listener_open(iamauth *ia, const char *node_id)
{
    char *dir = xasprintf("%s/%s", ia->nodes_dir, node_id);
    char *path = xasprintf("%s/%s", dir, IAMAUTH_SOCKET);
    struct stat st;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = -1;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || strlen(path) >= sizeof sa.sun_path)
        goto fail;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    /* The agent's, 0666, never chown'd: the pg user may swap the name for
     * a symlink at any moment, and a chown by path would follow it (issue
     * 13). Only the pg user (and root) can reach it through the node's
     * 0700 directory, and SO_PEERCRED is checked on every connection. */
    mode_t old = umask(ia->user->drop ? 0111 : 0177);
    int b = fd >= 0 ? bind(fd, (struct sockaddr *)&sa, sizeof sa) : -1;
    umask(old);
    if (b != 0 || listen(fd, 16) != 0) {
        LOG_WARN("iam auth: cannot listen path=%s err=%s", path, strerror(errno));
        goto fail;
    }
    listener *ls = xcalloc(1, sizeof *ls);
    ls->ia = ia;
    ls->node_id = xstrdup(node_id);
    ls->path = path;
    ls->l = evconnlistener_new(ia->base, on_accept, ls, LEV_OPT_CLOSE_ON_FREE, -1, fd);
    if (!ls->l) {
        close(fd);
        listener_close(ls);
        free(dir);
        return NULL;
    }
    LOG_INFO("iam auth: listening node=%s path=%s", node_id, path);
    free(dir);
    return ls;
fail:
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    free(path);
    free(dir);
    return NULL;
}

/* /etc/pam.d/rdsim-iam, when root and when it differs. */
static void write_pam_service(iamauth *ia)
{
    ia->pam_written = true;
    if (access(ia->module, R_OK) != 0)
        LOG_WARN("iam auth: the PAM module is missing path=%s", ia->module);
    char *want = iamauth_pam_service_text(ia->module);
    size_t n = 0;
    char *have = fs_read_all(ia->pam_path, 64 * 1024, &n);
    if (!have || strcmp(have, want) != 0) {
        if (fs_write_atomic(ia->pam_path, want, strlen(want), 0644))
            LOG_INFO("iam auth: PAM service written path=%s module=%s", ia->pam_path,
                     ia->module);
        else
            LOG_WARN("iam auth: cannot write the PAM service path=%s (IAM logins will fail)",
                     ia->pam_path);
    }
    free(have);
    free(want);
}

void iamauth_begin(iamauth *ia)
{
    for (size_t i = 0; i < ia->nls; i++)
        ia->ls[i]->wanted = false;
}

void iamauth_want(iamauth *ia, const char *node_id)
{
    for (size_t i = 0; i < ia->nls; i++)
        if (strcmp(ia->ls[i]->node_id, node_id) == 0) {
            struct stat st;
            if (lstat(ia->ls[i]->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
                ia->ls[i]->wanted = true;
                return;
            }
            /* The node's directory was remade (a rebuild): listen again. */
            LOG_INFO("iam auth: socket gone, listening again node=%s", node_id);
            listener *gone = ia->ls[i];
            ia->ls[i] = ia->ls[--ia->nls];
            listener_close(gone);
            break;
        }
    if (!ia->pam_written)
        write_pam_service(ia);
    listener *ls = listener_open(ia, node_id);
    if (!ls)
        return;
    ls->wanted = true;
    ia->ls = xrealloc(ia->ls, (ia->nls + 1) * sizeof *ia->ls);
    ia->ls[ia->nls++] = ls;
}

void iamauth_end(iamauth *ia)
{
    size_t k = 0;
    for (size_t i = 0; i < ia->nls; i++) {
        if (ia->ls[i]->wanted) {
            ia->ls[k++] = ia->ls[i];
        } else {
            LOG_INFO("iam auth: closed node=%s", ia->ls[i]->node_id);
            listener_close(ia->ls[i]);
        }
    }
    ia->nls = k;
}

/* ---- lifecycle ---- */

static char *module_beside_exe(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return xstrdup("/usr/lib/rdsim/pam_rdsim_iam.so");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    return xasprintf("%s/pam_rdsim_iam.so", exe);
}

iamauth *iamauth_new(struct event_base *base, const char *controlplane, const char *agent_id,
                     const uint8_t key[AGENTMAC_KEY_LEN], const proc_user *user,
                     const char *nodes_dir, const char *module, const char *pam_dir)
{
    iamauth *ia = xcalloc(1, sizeof *ia);
    ia->base = base;
    ia->url = xasprintf("%s%s", controlplane, IAMAUTH_PATH);
    ia->agent_id = xstrdup(agent_id);
    memcpy(ia->key, key, AGENTMAC_KEY_LEN);
    ia->user = user;
    ia->nodes_dir = xstrdup(nodes_dir);
    ia->module = module ? xstrdup(module) : module_beside_exe();
    ia->pam_path = xasprintf("%s/%s", pam_dir ? pam_dir : "/etc/pam.d", NODECONF_PAM_SERVICE);
    return ia;
}

void iamauth_free(iamauth *ia)
{
    if (!ia)
        return;
    for (size_t i = 0; i < ia->nls; i++)
        listener_close(ia->ls[i]);
    free(ia->ls);
    while (ia->conns)
        conn_free(ia->conns);
    OPENSSL_cleanse(ia->key, sizeof ia->key);
    free(ia->url);
    free(ia->agent_id);
    free(ia->nodes_dir);
    free(ia->module);
    free(ia->pam_path);
    free(ia);
}
