/* awscreds: see awscreds.h. */
#include "lib/awscreds.h"

#include <ctype.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/sigv4.h"
#include "lib/util.h"

/* Credential and config files are a few lines; anything bigger is not. */
#define AWSCREDS_FILE_MAX (256 * 1024)

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The [start, end) of a line with surrounding whitespace trimmed. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

char *awscreds_ini_get(const char *text, const char *section, const char *key)
{
    bool in = false;
    char *found = NULL;
    size_t sl = strlen(section), kl = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        const char *s = line, *e = end ? end : line + strlen(line);
        trim(&s, &e);
        if (s < e && *s == '[' && e[-1] == ']') {
            const char *ns = s + 1, *ne = e - 1;
            trim(&ns, &ne);
            in = (size_t)(ne - ns) == sl && strncmp(ns, section, sl) == 0;
        } else if (in && (size_t)(e - s) > kl && strncmp(s, key, kl) == 0) {
            const char *p = s + kl;
            while (p < e && (*p == ' ' || *p == '\t'))
                p++;
            if (p < e && *p == '=') {
                const char *vs = p + 1, *ve = e;
                trim(&vs, &ve);
                free(found);
                found = xstrndup(vs, (size_t)(ve - vs));
            }
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

static char *file_or_home(const char *env, const char *home_rel)
{
    const char *v = env_nonempty(env);
    if (v)
        return xstrdup(v);
    const char *home = env_nonempty("HOME");
    return home ? xasprintf("%s/%s", home, home_rel) : NULL;
}

static char *read_file(char *path)
{
    size_t len;
    char *text = path ? fs_read_all(path, AWSCREDS_FILE_MAX, &len) : NULL;
    free(path);
    return text;
}

/* Region from the environment, else the profile's in the config file. */
static char *region_of(const char *profile, const char *config_path, const char *fallback)
{
    const char *r = env_nonempty("AWS_REGION");
    if (!r)
        r = env_nonempty("AWS_DEFAULT_REGION");
    if (r)
        return xstrdup(r);
    char *region = NULL;
    char *text = read_file(config_path ? xstrdup(config_path)
                                       : file_or_home("AWS_CONFIG_FILE", ".aws/config"));
    if (text) {
        char *section = strcmp(profile, "default") == 0 ? xstrdup("default")
                                                        : xasprintf("profile %s", profile);
        region = awscreds_ini_get(text, section, "region");
        free(section);
        free(text);
    }
    return region ? region : xstrdup(fallback ? fallback : "us-east-1");
}

static void keys_from_file(awscreds *c, char *path, const char *profile)
{
    char *text = read_file(path);
    if (text) {
        c->access_key = awscreds_ini_get(text, profile, "aws_access_key_id");
        c->secret = awscreds_ini_get(text, profile, "aws_secret_access_key");
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
}

/* true when c holds a key pair; else clears the keys, keeping the region. */
static bool complete(awscreds *c)
{
    if (c->access_key && c->secret && *c->access_key && *c->secret)
        return true;
    char *keep = c->region;
    c->region = NULL;
    awscreds_clear(c);
    c->region = keep;
    return false;
}

bool awscreds_load(awscreds *c, const char *fallback_region)
{
    memset(c, 0, sizeof *c);
    const char *profile = env_nonempty("AWS_PROFILE");
    if (!profile)
        profile = "default";
    if (env_nonempty("AWS_ACCESS_KEY_ID") && env_nonempty("AWS_SECRET_ACCESS_KEY")) {
        c->access_key = xstrdup(getenv("AWS_ACCESS_KEY_ID"));
        c->secret = xstrdup(getenv("AWS_SECRET_ACCESS_KEY"));
    } else {
        keys_from_file(c, file_or_home("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
                       profile);
    }
    c->region = region_of(profile, NULL, fallback_region);
    return complete(c);
}

bool awscreds_load_file(awscreds *c, const char *path, const char *profile,
                        const char *fallback_region)
{
    memset(c, 0, sizeof *c);
    keys_from_file(c, xstrdup(path), profile);
    /* The config beside the credentials file (RDS_HOME/aws/config). */
    const char *slash = strrchr(path, '/');
    char *config = slash ? xasprintf("%.*s/config", (int)(slash - path), path) : NULL;
    c->region = region_of(profile, env_nonempty("AWS_CONFIG_FILE") ? NULL : config,
                          fallback_region);
    free(config);
    return complete(c);
}

void awscreds_clear(awscreds *c)
{
    if (c->secret)
        OPENSSL_cleanse(c->secret, strlen(c->secret));
    free(c->access_key);
    free(c->secret);
    free(c->region);
    memset(c, 0, sizeof *c);
}

char **awscreds_sign_post(const awscreds *c, const char *service, const char *url,
                          const char *content_type, const char *const *extra, const char *body,
                          size_t body_len, long long now)
{
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    if (!host) {
        if (uri)
            evhttp_uri_free(uri);
        return NULL;
    }
    const char *scheme = evhttp_uri_get_scheme(uri);
    int port = evhttp_uri_get_port(uri);
    if (port < 0)
        port = scheme && strcmp(scheme, "https") == 0 ? 443 : 80;
    char *hostport = xasprintf("%s:%d", host, port); /* exactly what httpc sends */
    char date[17];
    sigv4_amz_date(now, date);
    size_t n_extra = 0;
    for (const char *const *kv = extra; kv && kv[0] && kv[1]; kv += 2)
        n_extra++;
    sigv4_header *hs = xcalloc(n_extra + 3, sizeof *hs);
    size_t nh = 0;
    hs[nh++] = (sigv4_header){"host", hostport};
    hs[nh++] = (sigv4_header){"x-amz-date", date};
    if (content_type)
        hs[nh++] = (sigv4_header){"content-type", content_type};
    for (size_t i = 0; i < n_extra; i++)
        hs[nh++] = (sigv4_header){extra[2 * i], extra[2 * i + 1]};
    const char *path = evhttp_uri_get_path(uri);
    sigv4_request rq = {.method = "POST", .path = path && *path ? path : "/",
                        .query = evhttp_uri_get_query(uri), .headers = hs, .n_headers = nh,
                        .body = body, .body_len = body_len};
    sigv4_key k = {c->access_key, c->secret, c->region, service};
    char *authz = sigv4_sign_authorization(&rq, &k, date);
    char **out = xcalloc(2 * n_extra + 5, sizeof *out);
    size_t j = 0;
    for (size_t i = 0; i < 2 * n_extra; i++)
        out[j++] = xstrdup(extra[i]);
    out[j++] = xstrdup("X-Amz-Date");
    out[j++] = xstrdup(date);
    out[j++] = xstrdup("Authorization");
    out[j++] = authz;
    free(hs);
    free(hostport);
    evhttp_uri_free(uri);
    return out;
}

char *awscreds_presign_get(const awscreds *c, const char *service, const char *url,
                           long long expires, long long now)
{
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    if (!host || evhttp_uri_get_query(uri)) {
        if (uri)
            evhttp_uri_free(uri);
        return NULL;
    }
    const char *scheme = evhttp_uri_get_scheme(uri);
    bool tls = scheme && strcmp(scheme, "https") == 0;
    int port = evhttp_uri_get_port(uri);
    /* What a browser sends: the port only when it is not the scheme's. */
    char *hostport = port < 0 || port == (tls ? 443 : 80) ? xstrdup(host)
                                                          : xasprintf("%s:%d", host, port);
    char date[17];
    sigv4_amz_date(now, date);
    sigv4_header hs[1] = {{"host", hostport}};
    const char *path = evhttp_uri_get_path(uri);
    sigv4_request rq = {.method = "GET", .path = path && *path ? path : "/", .query = NULL,
                        .headers = hs, .n_headers = 1, .body = "", .body_len = 0};
    sigv4_key k = {c->access_key, c->secret, c->region, service};
    char *q = sigv4_presign_query(&rq, &k, date, expires);
    char *out = xasprintf("%s://%s%s?%s", tls ? "https" : "http", hostport, rq.path, q);
    free(q);
    free(hostport);
    evhttp_uri_free(uri);
    return out;
}

void awscreds_headers_free(char **headers)
{
    for (char **h = headers; h && *h; h++)
        free(*h);
    free(headers);
}
