/* sigv4: see sigv4.h. */
#include "lib/sigv4.h"

#include <ctype.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/util.h"

/* A query with more parameters than this is not ours to canonicalise. */
#define SIGV4_MAX_PARAMS 512

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t len, const char *fmt, ...)
{
    if (!why || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

static void hex_of(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex_of(md, 32, out);
}

static void hmac(const uint8_t *key, size_t klen, const char *msg, uint8_t out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void uri_encode(sbuf *b, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/'))
            sbuf_putc(b, (char)c);
        else
            sbuf_printf(b, "%%%02X", c);
    }
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

/* Percent-decodes s[0..n) into a new string (a malformed escape stays as
 * it is); *out_len gets the length (the result may hold NULs). */
static char *uri_decode(const char *s, size_t n, size_t *out_len)
{
    char *d = xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            d[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out_len = j;
    return d;
}

/* ---- canonical parts ---- */

/* The canonical URI: dot and empty segments removed, then encoded. */
static void canonical_path(sbuf *b, const char *path)
{
    if (!path || !*path) {
        sbuf_putc(b, '/');
        return;
    }
    size_t n = strlen(path);
    /* Segment stack as (offset, length) pairs into path. */
    size_t cap = n / 2 + 2, depth = 0;
    size_t *off = xmalloc(cap * sizeof *off), *len = xmalloc(cap * sizeof *len);
    size_t i = 0;
    while (i < n) {
        while (i < n && path[i] == '/')
            i++;
        size_t s = i;
        while (i < n && path[i] != '/')
            i++;
        size_t l = i - s;
        if (l == 0 || (l == 1 && path[s] == '.'))
            continue;
        if (l == 2 && path[s] == '.' && path[s + 1] == '.') {
            if (depth > 0)
                depth--;
            continue;
        }
        off[depth] = s;
        len[depth] = l;
        depth++;
    }
    sbuf_putc(b, '/');
    for (size_t k = 0; k < depth; k++) {
        if (k > 0)
            sbuf_putc(b, '/');
        uri_encode(b, path + off[k], len[k], false);
    }
    /* A trailing slash survives normalisation ("/a/" stays "/a/"). */
    if (depth > 0 && path[n - 1] == '/')
        sbuf_putc(b, '/');
    free(off);
    free(len);
}

typedef struct {
    char *name; /* encoded */
    char *value;
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *encoded(const char *s, size_t n)
{
    size_t dlen;
    char *d = uri_decode(s, n, &dlen);
    sbuf b = {0};
    uri_encode(&b, d, dlen, false);
    free(d);
    return sbuf_take(&b);
}

/* Splits a raw query into encoded (name, value) pairs; *n gets the count.
 * Caller frees with qparams_free. */
static qparam *qparams_split(const char *query, size_t *n)
{
    *n = 0;
    if (!query || !*query)
        return NULL;
    size_t cap = 8;
    qparam *ps = xmalloc(cap * sizeof *ps);
    const char *p = query;
    while (*p && *n < SIGV4_MAX_PARAMS) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t nl = eq ? (size_t)(eq - p) : len;
            if (*n == cap)
                ps = xrealloc(ps, (cap *= 2) * sizeof *ps);
            ps[*n].name = encoded(p, nl);
            ps[*n].value = eq ? encoded(eq + 1, len - nl - 1) : xstrdup("");
            (*n)++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return ps;
}

static void qparams_free(qparam *ps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ps[i].name);
        free(ps[i].value);
    }
    free(ps);
}

static void canonical_query(sbuf *b, const char *query, bool presigned)
{
    size_t n;
    qparam *ps = qparams_split(query, &n);
    if (n > 1)
        qsort(ps, n, sizeof *ps, qparam_cmp);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (presigned && strcmp(ps[i].name, "X-Amz-Signature") == 0)
            continue;
        if (!first)
            sbuf_putc(b, '&');
        first = false;
        sbuf_printf(b, "%s=%s", ps[i].name, ps[i].value);
    }
    qparams_free(ps, n);
}

/* Appends value trimmed, inner whitespace runs collapsed to one space. */
static void header_value(sbuf *b, const char *v)
{
    while (*v && isspace((unsigned char)*v))
        v++;
    bool space = false;
    for (; *v; v++) {
        if (isspace((unsigned char)*v)) {
            space = true;
            continue;
        }
        if (space)
            sbuf_putc(b, ' ');
        space = false;
        sbuf_putc(b, *v);
    }
}

/* "name:v1,v2\n" for every signed name; false when one is absent. */
static bool canonical_headers(sbuf *b, const sigv4_request *rq, const char *signed_headers)
{
    const char *p = signed_headers;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            return false;
        bool found = false;
        for (size_t i = 0; i < rq->n_headers; i++) {
            const sigv4_header *h = &rq->headers[i];
            if (strlen(h->name) != len || strncasecmp(h->name, p, len) != 0)
                continue;
            if (!found) {
                for (size_t k = 0; k < len; k++)
                    sbuf_putc(b, (char)tolower((unsigned char)p[k]));
                sbuf_putc(b, ':');
            } else {
                sbuf_putc(b, ',');
            }
            found = true;
            header_value(b, h->value ? h->value : "");
        }
        if (!found)
            return false;
        sbuf_putc(b, '\n');
        if (!end)
            break;
        p = end + 1;
    }
    return true;
}

char *sigv4_canonical_request(const sigv4_request *rq, const char *signed_headers,
                              bool presigned)
{
    sbuf b = {0};
    sbuf_printf(&b, "%s\n", rq->method);
    canonical_path(&b, rq->path);
    sbuf_putc(&b, '\n');
    canonical_query(&b, rq->query, presigned);
    sbuf_putc(&b, '\n');
    if (!canonical_headers(&b, rq, signed_headers)) {
        sbuf_free(&b);
        return NULL;
    }
    char hash[65];
    sha256_hex(rq->body ? rq->body : "", rq->body ? rq->body_len : 0, hash);
    sbuf_printf(&b, "\n%s\n%s", signed_headers, hash);
    return sbuf_take(&b);
}

void sigv4_signature(const char *secret, const char *amz_date, const char *region,
                     const char *service, const char *canonical, char out[65])
{
    char date[9];
    snprintf(date, sizeof date, "%.8s", amz_date);
    char hash[65];
    sha256_hex(canonical, strlen(canonical), hash);
    char *sts = xasprintf(SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date,
                          region, service, hash);
    char *k0 = xasprintf("AWS4%s", secret);
    uint8_t k[32], sig[32];
    hmac((const uint8_t *)k0, strlen(k0), date, k);
    hmac(k, 32, region, k);
    hmac(k, 32, service, k);
    hmac(k, 32, "aws4_request", k);
    hmac(k, 32, sts, sig);
    hex_of(sig, 32, out);
    OPENSSL_cleanse(k0, strlen(k0));
    OPENSSL_cleanse(k, sizeof k);
    free(k0);
    free(sts);
}

/* ---- time ---- */

void sigv4_amz_date(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

bool sigv4_parse_amz_date(const char *s, int64_t *t)
{
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return false;
    struct tm tm = {0};
    if (!strptime(s, "%Y%m%dT%H%M%SZ", &tm))
        return false;
    int64_t v = (int64_t)timegm(&tm);
    /* Only an instant that reads back as the same text: strptime takes
     * "20150231" (normalised to March 3rd) and a year before 1000, which
     * prints with fewer than four digits, so the request time would not
     * be the date the client signed (fuzz/corpus/sigv4/crash-year-0835). */
    char back[17];
    sigv4_amz_date(v, back);
    if (strcmp(back, s) != 0)
        return false;
    *t = v;
    return true;
}

/* RFC 1123 "Sun, 06 Nov 1994 08:49:37 GMT" -> amz date. */
static bool http_date(const char *s, int64_t *t)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    if (!end || *end)
        return false;
    int64_t v = (int64_t)timegm(&tm);
    /* The request time becomes an amz date (four-digit year), which must
     * read back as the same instant. */
    char amz[17];
    sigv4_amz_date(v, amz);
    if (!sigv4_parse_amz_date(amz, t) || *t != v)
        return false;
    return true;
}

/* ---- parsing ---- */

static const char *header_get(const sigv4_request *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_headers; i++)
        if (strcasecmp(rq->headers[i].name, name) == 0)
            return rq->headers[i].value;
    return NULL;
}

static bool list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncasecmp(p, name, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static bool copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* "<key>/<YYYYMMDD>/<region>/<service>/aws4_request" into out. */
static bool parse_credential(const char *s, size_t n, sigv4_auth *out)
{
    const char *parts[5];
    size_t lens[5];
    const char *p = s, *end = s + n;
    for (int i = 0; i < 5; i++) {
        const char *slash = i < 4 ? memchr(p, '/', (size_t)(end - p)) : end;
        if (!slash)
            return false;
        parts[i] = p;
        lens[i] = (size_t)(slash - p);
        p = slash + (i < 4);
    }
    if (memchr(parts[4], '/', lens[4]) || lens[4] != 12 ||
        memcmp(parts[4], "aws4_request", 12) != 0 || lens[1] != 8)
        return false;
    for (size_t i = 0; i < 8; i++)
        if (!isdigit((unsigned char)parts[1][i]))
            return false;
    return copy_part(out->access_key, sizeof out->access_key, parts[0], lens[0]) &&
           copy_part(out->date, sizeof out->date, parts[1], lens[1]) &&
           copy_part(out->region, sizeof out->region, parts[2], lens[2]) &&
           copy_part(out->service, sizeof out->service, parts[3], lens[3]);
}

static bool signed_headers_valid(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
              *p == ';' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static sigv4_parse_status parse_header(const sigv4_request *rq, const char *authz,
                                       sigv4_auth *out, char *why, size_t why_len)
{
    static const char alg[] = SIGV4_ALGORITHM " ";
    if (strncmp(authz, alg, sizeof alg - 1) != 0) {
        set_why(why, why_len, "Unsupported AWS 'algorithm': the Authorization header must start "
                              "with '" SIGV4_ALGORITHM "'.");
        return SIGV4_MALFORMED;
    }
    bool have_cred = false, have_sh = false, have_sig = false;
    const char *p = authz + sizeof alg - 1;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len > 11 && strncmp(p, "Credential=", 11) == 0) {
            if (!parse_credential(p + 11, len - 11, out)) {
                set_why(why, why_len, "Authorization header's Credential is malformed: "
                                      "expected <key>/<YYYYMMDD>/<region>/<service>/aws4_request.");
                return SIGV4_MALFORMED;
            }
            have_cred = true;
        } else if (len > 14 && strncmp(p, "SignedHeaders=", 14) == 0) {
            have_sh = copy_part(out->signed_headers, sizeof out->signed_headers, p + 14,
                                len - 14) && signed_headers_valid(out->signed_headers);
        } else if (len > 10 && strncmp(p, "Signature=", 10) == 0) {
            have_sig = copy_part(out->signature, sizeof out->signature, p + 10, len - 10);
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (!have_cred || !have_sh || !have_sig) {
        set_why(why, why_len, "Authorization header requires %s%s%sparameter%s.",
                have_cred ? "" : "'Credential' ", have_sh ? "" : "'SignedHeaders' ",
                have_sig ? "" : "'Signature' ",
                (!have_cred + !have_sh + !have_sig) > 1 ? "s" : "");
        return SIGV4_MALFORMED;
    }
    const char *xdate = header_get(rq, "X-Amz-Date");
    const char *hdate = header_get(rq, "Date");
    if (xdate) {
        if (!sigv4_parse_amz_date(xdate, &out->request_time) || !list_has(out->signed_headers,
                                                                          "x-amz-date")) {
            set_why(why, why_len, "X-Amz-Date must be a signed header in the form "
                                  "YYYYMMDD'T'HHMMSS'Z'.");
            return SIGV4_MALFORMED;
        }
    } else if (hdate) {
        if (!http_date(hdate, &out->request_time) || !list_has(out->signed_headers, "date")) {
            set_why(why, why_len, "Date must be a signed header in RFC 1123 form.");
            return SIGV4_MALFORMED;
        }
    } else {
        set_why(why, why_len, "Authorization header requires existence of either a "
                              "'X-Amz-Date' or a 'Date' header.");
        return SIGV4_MALFORMED;
    }
    sigv4_amz_date(out->request_time, out->amz_date);
    return SIGV4_PARSED;
}

/* The decoded value of query parameter name (raw match on the name), or
 * NULL; caller frees. */
static char *query_get(const char *query, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t dl;
            return uri_decode(p + n + 1, len - n - 1, &dl);
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static sigv4_parse_status parse_query(const sigv4_request *rq, sigv4_auth *out, char *why,
                                      size_t why_len)
{
    static const char *const names[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                        "X-Amz-Expires", "X-Amz-SignedHeaders",
                                        "X-Amz-Signature"};
    char *v[6];
    sigv4_parse_status st = SIGV4_PARSED;
    sbuf missing = {0};
    for (int i = 0; i < 6; i++) {
        v[i] = query_get(rq->query, names[i]);
        if (!v[i])
            sbuf_printf(&missing, "%s'%s'", missing.len ? ", " : "", names[i]);
    }
    out->presigned = true;
    if (missing.len) {
        set_why(why, why_len, "AWS query-string parameters must include %s.", missing.data);
        st = SIGV4_MALFORMED;
    } else if (strcmp(v[0], SIGV4_ALGORITHM) != 0) {
        set_why(why, why_len, "X-Amz-Algorithm only supports '" SIGV4_ALGORITHM "'.");
        st = SIGV4_MALFORMED;
    } else if (!parse_credential(v[1], strlen(v[1]), out)) {
        set_why(why, why_len, "X-Amz-Credential is malformed: expected "
                              "<key>/<YYYYMMDD>/<region>/<service>/aws4_request.");
        st = SIGV4_MALFORMED;
    } else if (!sigv4_parse_amz_date(v[2], &out->request_time)) {
        set_why(why, why_len, "X-Amz-Date must be in the form YYYYMMDD'T'HHMMSS'Z'.");
        st = SIGV4_MALFORMED;
    } else if (!str_to_int64(v[3], 1, SIGV4_MAX_EXPIRES_S, &out->expires)) {
        set_why(why, why_len, "X-Amz-Expires must be between 1 and %d seconds.",
                SIGV4_MAX_EXPIRES_S);
        st = SIGV4_MALFORMED;
    } else if (!copy_part(out->signed_headers, sizeof out->signed_headers, v[4], strlen(v[4])) ||
               !signed_headers_valid(out->signed_headers) ||
               !copy_part(out->signature, sizeof out->signature, v[5], strlen(v[5]))) {
        set_why(why, why_len, "X-Amz-SignedHeaders or X-Amz-Signature is malformed.");
        st = SIGV4_MALFORMED;
    } else {
        snprintf(out->amz_date, sizeof out->amz_date, "%s", v[2]);
    }
    for (int i = 0; i < 6; i++)
        free(v[i]);
    sbuf_free(&missing);
    return st;
}

sigv4_parse_status sigv4_parse(const sigv4_request *rq, sigv4_auth *out, char *why,
                               size_t why_len)
{
    memset(out, 0, sizeof *out);
    set_why(why, why_len, "%s", "");
    const char *authz = header_get(rq, "Authorization");
    sigv4_parse_status st;
    if (authz) {
        st = parse_header(rq, authz, out, why, why_len);
    } else {
        char *alg = query_get(rq->query, "X-Amz-Algorithm");
        char *cred = query_get(rq->query, "X-Amz-Credential");
        char *sig = query_get(rq->query, "X-Amz-Signature");
        bool any = alg || cred || sig;
        free(alg);
        free(cred);
        free(sig);
        if (!any)
            return SIGV4_ABSENT;
        st = parse_query(rq, out, why, why_len);
    }
    if (st == SIGV4_PARSED && !list_has(out->signed_headers, "host")) {
        set_why(why, why_len, "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                              "Authorization.");
        st = SIGV4_MALFORMED;
    }
    return st;
}

/* ---- verifying ---- */

sigv4_verdict sigv4_verify(const sigv4_request *rq, const sigv4_auth *a, const char *secret,
                           int64_t now, char *why, size_t why_len)
{
    static const char mismatch[] =
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.";
    set_why(why, why_len, "%s", "");
    if (strncmp(a->date, a->amz_date, 8) != 0) {
        set_why(why, why_len, "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                              "version of date from HTTP: '%s' != '%.8s', from '%s'.",
                a->date, a->amz_date, a->amz_date);
        return SIGV4_VERIFY_MISMATCH;
    }
    char *canonical = sigv4_canonical_request(rq, a->signed_headers, a->presigned);
    char want[65];
    bool match = false;
    if (canonical) {
        sigv4_signature(secret, a->amz_date, a->region, a->service, canonical, want);
        match = strlen(a->signature) == 64 && CRYPTO_memcmp(want, a->signature, 64) == 0;
        OPENSSL_cleanse(want, sizeof want);
        free(canonical);
    }
    if (!match) {
        set_why(why, why_len, "%s", mismatch);
        return SIGV4_VERIFY_MISMATCH;
    }
    char now_s[17], edge[17];
    sigv4_amz_date(now, now_s);
    if (a->presigned) {
        if (now > a->request_time + a->expires) {
            sigv4_amz_date(a->request_time + a->expires, edge);
            set_why(why, why_len, "Request has expired: it was valid until %s, now is %s.",
                    edge, now_s);
            return SIGV4_VERIFY_EXPIRED;
        }
        if (a->request_time > now + SIGV4_MAX_SKEW_S) {
            set_why(why, why_len, "Request is not yet valid: %s is later than %s (now + 5 min.)",
                    a->amz_date, now_s);
            return SIGV4_VERIFY_EXPIRED;
        }
        return SIGV4_VERIFY_OK;
    }
    if (a->request_time < now - SIGV4_MAX_SKEW_S) {
        sigv4_amz_date(now - SIGV4_MAX_SKEW_S, edge);
        set_why(why, why_len, "Signature expired: %s is now earlier than %s (%s - 5 min.)",
                a->amz_date, edge, now_s);
        return SIGV4_VERIFY_EXPIRED;
    }
    if (a->request_time > now + SIGV4_MAX_SKEW_S) {
        sigv4_amz_date(now + SIGV4_MAX_SKEW_S, edge);
        set_why(why, why_len, "Signature not yet current: %s is still later than %s (%s + 5 "
                              "min.)", a->amz_date, edge, now_s);
        return SIGV4_VERIFY_EXPIRED;
    }
    return SIGV4_VERIFY_OK;
}

/* ---- signing ---- */

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every header name of rq, lower case, sorted, unique, ';'-joined. */
static char *all_signed_headers(const sigv4_request *rq)
{
    char **names = xmalloc((rq->n_headers + 1) * sizeof *names);
    for (size_t i = 0; i < rq->n_headers; i++)
        names[i] = str_lower(xstrdup(rq->headers[i].name));
    if (rq->n_headers > 1)
        qsort(names, rq->n_headers, sizeof *names, str_cmp);
    sbuf b = {0};
    for (size_t i = 0; i < rq->n_headers; i++) {
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            sbuf_printf(&b, "%s%s", b.len ? ";" : "", names[i]);
    }
    for (size_t i = 0; i < rq->n_headers; i++)
        free(names[i]);
    free(names);
    return sbuf_take(&b);
}

char *sigv4_sign_authorization(const sigv4_request *rq, const sigv4_key *k,
                               const char *amz_date)
{
    char *sh = all_signed_headers(rq);
    char *canonical = sigv4_canonical_request(rq, sh, false);
    char sig[65];
    sigv4_signature(k->secret, amz_date, k->region, k->service, canonical, sig);
    char *out = xasprintf(SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, "
                                          "SignedHeaders=%s, Signature=%s",
                          k->access_key, amz_date, k->region, k->service, sh, sig);
    free(canonical);
    free(sh);
    return out;
}

char *sigv4_presign_query(const sigv4_request *rq, const sigv4_key *k, const char *amz_date,
                          int64_t expires)
{
    char *sh = all_signed_headers(rq);
    char *cred = xasprintf("%s/%.8s/%s/%s/aws4_request", k->access_key, amz_date, k->region,
                           k->service);
    sbuf q = {0};
    if (rq->query && *rq->query)
        sbuf_printf(&q, "%s&", rq->query);
    sbuf_puts(&q, "X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=");
    uri_encode(&q, cred, strlen(cred), false);
    sbuf_printf(&q, "&X-Amz-Date=%s&X-Amz-Expires=%lld&X-Amz-SignedHeaders=", amz_date,
                (long long)expires);
    uri_encode(&q, sh, strlen(sh), false);
    sigv4_request r2 = *rq;
    r2.query = q.data;
    char *canonical = sigv4_canonical_request(&r2, sh, true);
    char sig[65];
    sigv4_signature(k->secret, amz_date, k->region, k->service, canonical, sig);
    sbuf_printf(&q, "&X-Amz-Signature=%s", sig);
    free(canonical);
    free(cred);
    free(sh);
    return sbuf_take(&q);
}
