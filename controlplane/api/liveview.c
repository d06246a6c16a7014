/* liveview: see liveview.h. */
#include "controlplane/api/liveview.h"

#include <sys/queue.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controlplane/api/auth.h"
#include "controlplane/api/livedata.h"
#include "controlplane/api/livefeed.h"
#include "controlplane/core/principal.h"
#include "controlplane/core/query.h"
#include "lib/log.h"
#include "lib/util.h"

typedef struct {
    const char *name;
    const char *ctype;
    const char *body;
    size_t len;
} live_asset;

#include "liveassets.inc"

#define VIEW_COOKIE "rdsview"
#define VIEW_KEY_LEN 32
/* "v1." + key id + "." + 20 digits + "." + 64 hex */
#define VIEW_COOKIE_MAX 128

struct liveview {
    region *r;
    livefeed *feed;
    unsigned char key[VIEW_KEY_LEN]; /* the session MAC key: this process only */
};

static bool view_key_ok(void *arg, const char *key_id);

liveview *liveview_new(region *r, httpguard *guard)
{
    liveview *v = xcalloc(1, sizeof *v);
    if (RAND_bytes(v->key, sizeof v->key) != 1) {
        LOG_ERROR("liveview: no random bytes for the session key");
        free(v);
        return NULL;
    }
    v->r = r;
    v->feed = livefeed_new(r, guard, view_key_ok, v);
    return v;
}

void liveview_free(liveview *v)
{
    if (!v)
        return;
    livefeed_free(v->feed);
    OPENSSL_cleanse(v->key, sizeof v->key);
    free(v);
}

bool liveview_is_path(const char *path)
{
    return path && strncmp(path, "/view", 5) == 0 && (path[5] == '\0' || path[5] == '/');
}

/* The headers of every /view reply (liveview.h). */
static void view_headers(struct evhttp_request *req, const char *ctype)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (ctype)
        evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Frame-Options", "DENY");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; "
                      "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
                      "frame-ancestors 'none'");
}

static void view_send(struct evhttp_request *req, int status, const char *reason,
                      const char *ctype, const char *body, size_t len)
{
    view_headers(req, ctype);
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, body, len);
    evhttp_send_reply(req, status, reason, b);
    evbuffer_free(b);
}

static void view_forbidden(struct evhttp_request *req)
{
    static const char msg[] = "Forbidden: the live view needs a session. Open the URL that "
                              "`rdsctl view-url` prints (valid 15 minutes).\n";
    view_send(req, 403, "Forbidden", "text/plain; charset=utf-8", msg, sizeof msg - 1);
}

static void view_redirect(struct evhttp_request *req, int status, const char *to)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", to);
    view_send(req, status, status == 303 ? "See Other" : "Moved Permanently", "text/plain", "",
              0);
}

/* hex HMAC-SHA256 of "v1.<key_id>.<exp>" under the session key. */
static void view_mac(const liveview *v, const char *key_id, long long exp, char out[65])
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "v1.%s.%lld", key_id, exp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), v->key, sizeof v->key, (const unsigned char *)msg, (size_t)n, mac, &len);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* The rdsview cookie's value from a Cookie header into out, or false. */
static bool view_cookie_value(const char *hdr, char out[VIEW_COOKIE_MAX + 1])
{
    static const char name[] = VIEW_COOKIE "=";
    for (const char *p = hdr; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > sizeof name - 1 && strncmp(p, name, sizeof name - 1) == 0) {
            len -= sizeof name - 1;
            if (len > VIEW_COOKIE_MAX)
                return false;
            memcpy(out, p + sizeof name - 1, len);
            out[len] = '\0';
            return true;
        }
        p += len;
    }
    return false;
}

/* Whether the access key still exists and may still look. */
static bool view_key_ok(void *arg, const char *key_id)
{
    liveview *v = arg;
    principal who;
    char secret[PRINCIPAL_SECRET_LEN + 1];
    bool found = false;
    bool ok = principals_lookup(v->r->principals, key_id, &who, secret, &found) && found;
    OPENSSL_cleanse(secret, sizeof secret);
    return ok && principal_may(v->r->principals, &who, "rds", "DescribeDBInstances", NULL, NULL,
                               0);
}

/* Whether req carries a valid session (liveview.h, point 3): its key id
 * and end in key_id and *exp when it does. */
static bool view_session_ok(liveview *v, struct evhttp_request *req,
                            char key_id[PRINCIPAL_KEY_ID_LEN + 1], long long *exp)
{
    const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
    char val[VIEW_COOKIE_MAX + 1];
    if (!hdr || !view_cookie_value(hdr, val))
        return false;
    char mac[65], want[65];
    int used = 0;
    if (sscanf(val, "v1.%20[A-Z0-9].%18lld.%64[0-9a-f]%n", key_id, exp, mac, &used) != 3 ||
        (size_t)used != strlen(val) || strlen(mac) != 64)
        return false;
    view_mac(v, key_id, *exp, want);
    if (CRYPTO_memcmp(mac, want, 64) != 0 || *exp < (long long)time(NULL))
        return false;
    return view_key_ok(v, key_id);
}

static void view_login(liveview *v, struct evhttp_request *req)
{
    principal who;
    char why[600];
    if (!auth_presigned_view(v->r, req, LIVEVIEW_URL_MAX_S, &who, why, sizeof why)) {
        LOG_INFO("liveview login refused why=\"%.300s\"", why);
        view_forbidden(req);
        return;
    }
    long long exp = (long long)time(NULL) + LIVEVIEW_SESSION_S;
    char mac[65];
    view_mac(v, who.access_key_id, exp, mac);
    char *cookie = xasprintf(VIEW_COOKIE "=v1.%s.%lld.%s; Path=/view/; Max-Age=%d; HttpOnly; "
                                         "SameSite=Strict",
                             who.access_key_id, exp, mac, LIVEVIEW_SESSION_S);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
    free(cookie);
    LOG_INFO("liveview session opened principal=%s key=%s", who.name, who.access_key_id);
    view_redirect(req, 303, "/view/");
}

static void view_json(struct evhttp_request *req, cJSON *doc)
{
    char *s = cJSON_PrintUnformatted(doc);
    view_send(req, 200, "OK", "application/json", s, strlen(s));
    free(s);
    cJSON_Delete(doc);
}

/* /view/api/metrics?id=<instance>: livedata_metrics (the page's one
 * metric source). An id that is no identifier: 400. */
static void view_metrics(liveview *v, struct evhttp_request *req)
{
    const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq args;
    TAILQ_INIT(&args);
    const char *id = NULL;
    if (q && evhttp_parse_query_str(q, &args) == 0)
        id = evhttp_find_header(&args, "id");
    if (!id || !*id || strlen(id) > 63 ||
        strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(id)) {
        static const char msg[] = "{\"error\":\"id must be a DB instance identifier\"}";
        view_send(req, 400, "Bad Request", "application/json", msg, sizeof msg - 1);
    } else {
        view_json(req, livedata_metrics(v->r, id));
    }
    evhttp_clear_headers(&args);
}

static const live_asset *view_asset(const char *name)
{
    for (size_t i = 0; i < sizeof live_assets / sizeof live_assets[0]; i++)
        if (strcmp(live_assets[i].name, name) == 0)
            return &live_assets[i];
    return NULL;
}

void liveview_request(liveview *v, struct evhttp_request *req, const char *path)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
        view_send(req, 405, "Method Not Allowed", "text/plain", "GET only\n", 9);
        return;
    }
    if (strcmp(path, LIVEVIEW_LOGIN_PATH) == 0) {
        view_login(v, req);
        return;
    }
    char key_id[PRINCIPAL_KEY_ID_LEN + 1];
    long long exp = 0;
    if (!view_session_ok(v, req, key_id, &exp)) {
        view_forbidden(req);
        return;
    }
    const live_asset *a = NULL;
    if (strcmp(path, "/view") == 0)
        view_redirect(req, 301, "/view/");
    else if (strcmp(path, "/view/") == 0 && (a = view_asset("index.html")) != NULL)
        view_send(req, 200, "OK", a->ctype, a->body, a->len);
    else if (strcmp(path, "/view/api/state") == 0)
        view_json(req, livedata_state(v->r));
    else if (strcmp(path, "/view/api/metrics") == 0)
        view_metrics(v, req);
    else if (strcmp(path, "/view/api/events") == 0) {
        view_headers(req, NULL);
        livefeed_open(v->feed, req, key_id, exp);
    } else if (strncmp(path, "/view/", 6) == 0 && strchr(path + 6, '/') == NULL &&
               strcmp(path + 6, "index.html") != 0 && (a = view_asset(path + 6)) != NULL)
        view_send(req, 200, "OK", a->ctype, a->body, a->len);
    else
        view_send(req, 404, "Not Found", "text/plain", "not found\n", 10);
}
