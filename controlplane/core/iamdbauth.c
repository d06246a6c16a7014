/* iamdbauth: see iamdbauth.h. */
#include "controlplane/core/iamdbauth.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/sigv4.h"

static bool deny(char *why, size_t len, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s[0..n) percent-decoded into out (at most cap-1 bytes, NUL-ended);
 * false when malformed, too long, or decoding to a NUL. */
static bool pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return false;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

/* The one value of parameter name in query (decoded into out); *count is
 * how many times it occurs. false on a malformed parameter. */
static bool query_param(const char *query, const char *name, char *out, size_t cap, int *count)
{
    *count = 0;
    out[0] = '\0';
    const char *q = query;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t plen = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', plen);
        size_t nlen = eq ? (size_t)(eq - q) : plen;
        char key[64];
        if (nlen > 0 && pct_decode(q, nlen, key, sizeof key) && strcmp(key, name) == 0) {
            (*count)++;
            if (!eq || !pct_decode(eq + 1, plen - nlen - 1, out, cap))
                return false;
        }
        if (!amp)
            break;
        q = amp + 1;
    }
    return true;
}

void iamdbauth_arn(const iamdbauth_target *t, char *out, size_t len)
{
    snprintf(out, len, "arn:aws:rds-db:%s:%s:dbuser:%s/%s", t->region, t->account,
             t->resource_id, t->user);
}

/* The token's shape: <host>:<port>/?<query>, host and port this
 * instance's. query points into token. */
static bool split_token(const iamdbauth_target *t, const char *token, char *hostport,
                        size_t hp_cap, const char **query, char *why, size_t why_len)
{
    size_t n = strlen(token);
    if (n == 0 || n > IAMDBAUTH_TOKEN_MAX)
        return deny(why, why_len, "token empty or over %d bytes", IAMDBAUTH_TOKEN_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)token[i] <= ' ' || (unsigned char)token[i] >= 127)
            return deny(why, why_len, "token holds a byte that is not printable ASCII");
    const char *sep = strstr(token, "/?");
    const char *slash = strchr(token, '/');
    if (!sep || sep != slash || (size_t)(sep - token) >= hp_cap)
        return deny(why, why_len, "token is not <host>:<port>/?<query>");
    memcpy(hostport, token, (size_t)(sep - token));
    hostport[sep - token] = '\0';
    char want[300];
    snprintf(want, sizeof want, "%s:%d", t->endpoint, t->port);
    if (strcasecmp(hostport, want) != 0)
        return deny(why, why_len, "token names host %s, not this instance's %s", hostport,
                    want);
    *query = sep + 2;
    return true;
}

/* Action=connect, DBUser=<the login user>, each once. */
static bool check_action_user(const iamdbauth_target *t, const char *query, char *why,
                              size_t why_len)
{
    char v[IAMDBAUTH_USER_MAX + 2];
    int count = 0;
    if (!query_param(query, "Action", v, sizeof v, &count) || count != 1 ||
        strcmp(v, "connect") != 0)
        return deny(why, why_len, "token's Action is not connect");
    if (!query_param(query, "DBUser", v, sizeof v, &count) || count != 1)
        return deny(why, why_len, "token names no single DBUser");
    if (strcmp(v, t->user) != 0)
        return deny(why, why_len, "token is for another DBUser"); /* its bytes unlogged */
    return true;
}

bool iamdbauth_verify(principals *p, const iamdbauth_target *t, const char *token, int64_t now,
                      char *why, size_t why_len, char key_id[PRINCIPAL_KEY_ID_LEN + 1])
{
    if (key_id)
        key_id[0] = '\0';
    if (!t->user || !*t->user || strlen(t->user) > IAMDBAUTH_USER_MAX)
        return deny(why, why_len, "bad user name");
    for (const char *c = t->user; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return deny(why, why_len, "bad user name");
    char hostport[320];
    const char *query = NULL;
    if (!split_token(t, token, hostport, sizeof hostport, &query, why, why_len) ||
        !check_action_user(t, query, why, why_len))
        return false;
    sigv4_header h = {"host", hostport};
    sigv4_request rq = {"GET", "/", query, &h, 1, "", 0};
    sigv4_auth a;
    char msg[256];
    if (sigv4_parse(&rq, &a, msg, sizeof msg) != SIGV4_PARSED || !a.presigned)
        return deny(why, why_len, "token is not a presigned SigV4 request");
    if (strcmp(a.service, "rds-db") != 0 || strcmp(a.region, t->region) != 0)
        return deny(why, why_len, "token's scope is %s/%s, not %s/rds-db", a.region, a.service,
                    t->region);
    if (strcmp(a.signed_headers, "host") != 0)
        return deny(why, why_len, "token signs headers other than host");
    if (a.expires <= 0 || a.expires > IAMDBAUTH_EXPIRES_MAX)
        return deny(why, why_len, "token's X-Amz-Expires is not 1-%d", IAMDBAUTH_EXPIRES_MAX);
    principal who;
    char secret[PRINCIPAL_SECRET_LEN + 1];
    bool found = false;
    if (!principals_lookup(p, a.access_key, &who, secret, &found) || !found)
        return deny(why, why_len, "token's access key is not known");
    if (key_id)
        snprintf(key_id, PRINCIPAL_KEY_ID_LEN + 1, "%s", who.access_key_id);
    sigv4_verdict v = sigv4_verify(&rq, &a, secret, now, msg, sizeof msg);
    OPENSSL_cleanse(secret, sizeof secret);
    if (v != SIGV4_VERIFY_OK)
        return deny(why, why_len, "%s", v == SIGV4_VERIFY_EXPIRED ? msg
                                        : "token's signature does not match its key");
    char arn[PRINCIPAL_RESOURCE_MAX + 1];
    iamdbauth_arn(t, arn, sizeof arn);
    if (!principal_may(p, &who, "rds-db", "connect", arn, msg, sizeof msg))
        return deny(why, why_len, "%s", msg);
    return true;
}
