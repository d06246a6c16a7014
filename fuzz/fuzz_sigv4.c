/* fuzz_sigv4: libFuzzer target over SigV4's request parser and canonical
 * request (lib/sigv4.c), what the controlplane's auth gate runs on every
 * request before it knows who sent it.
 *
 * An input is a request in a small text form:
 *   METHOD SP PATH[?QUERY] LF
 *   NAME:VALUE LF ...          (at most FUZZ_SIGV4_HEADERS headers)
 *   LF
 *   BODY                        (the rest, any bytes)
 * Two properties are checked:
 *  1. sigv4_parse on the request as given: ABSENT, MALFORMED with a
 *     message, or PARSED with bounded fields, a 16-character amz date and
 *     host signed; then sigv4_verify (any verdict, a message on failure).
 *  2. Round trip: the same method, path, query, body and the headers with
 *     token names, signed by sigv4_sign_authorization (and, when the
 *     query carries no X-Amz-* of its own, by sigv4_presign_query), must
 *     parse and verify OK at the signing time, and fail with a changed
 *     body: signer and verifier agree on every canonical form.
 * Any violation aborts; ASan/UBSan catch the rest.
 *
 * The oracle, fuzz_sigv4_check, is shared with the unit test that replays
 * fuzz/corpus/sigv4 in `make check` (tests/unit/lib/test_fuzz_sigv4.c
 * includes this file with FUZZ_NO_ENTRY defined). */
#include "fuzz/oracle.h"
#include "lib/sigv4.h"
#include "lib/log.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FUZZ_SIGV4_HEADERS 16
#define FUZZ_SIGV4_NAME_MAX 32
#define FUZZ_SIGV4_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define FUZZ_SIGV4_TIME 1440938160 /* 20150830T123600Z, AWS's test-suite date */

typedef struct {
    char *text; /* the input, NUL-terminated, cut in place */
    sigv4_header headers[FUZZ_SIGV4_HEADERS + 3];
    size_t n_headers;
    sigv4_request rq;
} fuzz_req;

/* Splits the input into rq; the strings point into fr->text. */
static void fuzz_req_split(fuzz_req *fr, const uint8_t *data, size_t size)
{
    memset(fr, 0, sizeof *fr);
    fr->text = malloc(size + 1);
    memcpy(fr->text, data, size);
    fr->text[size] = '\0';
    char *end = fr->text + size;
    char *line_end = memchr(fr->text, '\n', size);
    if (line_end)
        *line_end = '\0';
    char *sp = strchr(fr->text, ' ');
    fr->rq.method = fr->text;
    fr->rq.path = "/";
    if (sp) {
        *sp = '\0';
        fr->rq.path = sp + 1;
        char *q = strchr(sp + 1, '?');
        if (q) {
            *q = '\0';
            fr->rq.query = q + 1;
        }
    }
    char *p = line_end ? line_end + 1 : end;
    while (p < end && *p != '\n' && fr->n_headers < FUZZ_SIGV4_HEADERS) {
        char *le = memchr(p, '\n', (size_t)(end - p));
        if (le)
            *le = '\0';
        char *colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
            fr->headers[fr->n_headers].name = p;
            fr->headers[fr->n_headers].value = colon + 1;
            fr->n_headers++;
        }
        p = le ? le + 1 : end;
    }
    if (p < end && *p == '\n')
        p++;
    fr->rq.headers = fr->headers;
    fr->rq.n_headers = fr->n_headers;
    fr->rq.body = p;
    fr->rq.body_len = (size_t)(end - p);
}

static const char *fuzz_parse_as_given(const sigv4_request *rq)
{
    sigv4_auth a;
    char why[512];
    sigv4_parse_status st = sigv4_parse(rq, &a, why, sizeof why);
    if (st == SIGV4_ABSENT)
        return NULL;
    if (st == SIGV4_MALFORMED)
        return why[0] ? NULL : "sigv4_parse refused without a message";
    if (st != SIGV4_PARSED)
        return "sigv4_parse returned no known status";
    if (strlen(a.access_key) == 0 || strlen(a.access_key) > SIGV4_KEY_ID_MAX ||
        strlen(a.date) != 8 || strlen(a.region) == 0 || strlen(a.region) > SIGV4_SCOPE_PART_MAX ||
        strlen(a.service) == 0 || strlen(a.service) > SIGV4_SCOPE_PART_MAX ||
        strlen(a.amz_date) != 16 || strlen(a.signed_headers) == 0 ||
        strlen(a.signed_headers) > SIGV4_SIGNED_HEADERS_MAX || strlen(a.signature) > 64)
        return "sigv4_parse accepted a field out of its bounds";
    int64_t t;
    if (!sigv4_parse_amz_date(a.amz_date, &t) || t != a.request_time)
        return "sigv4_parse's amz date does not read back as its request time";
    if (a.presigned && (a.expires < 1 || a.expires > SIGV4_MAX_EXPIRES_S))
        return "sigv4_parse accepted X-Amz-Expires out of range";
    sigv4_verdict v = sigv4_verify(rq, &a, FUZZ_SIGV4_SECRET, a.request_time, why, sizeof why);
    if (v != SIGV4_VERIFY_OK && v != SIGV4_VERIFY_MISMATCH && v != SIGV4_VERIFY_EXPIRED)
        return "sigv4_verify returned no known verdict";
    if (v != SIGV4_VERIFY_OK && why[0] == '\0')
        return "sigv4_verify refused without a message";
    return NULL;
}

/* A header name the signer can list: a token of [A-Za-z0-9-_.], short. */
static bool fuzz_token(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FUZZ_SIGV4_NAME_MAX)
        return false;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return false;
    return strcasecmp(s, "authorization") != 0 && strcasecmp(s, "host") != 0 &&
           strcasecmp(s, "x-amz-date") != 0 && strcasecmp(s, "date") != 0;
}

/* Parses and verifies rq at the signing time; want_ok says which result. */
static const char *fuzz_verify(const sigv4_request *rq, bool want_ok)
{
    sigv4_auth a;
    char why[512];
    if (sigv4_parse(rq, &a, why, sizeof why) != SIGV4_PARSED)
        return "a request we signed does not parse";
    sigv4_verdict v = sigv4_verify(rq, &a, FUZZ_SIGV4_SECRET, FUZZ_SIGV4_TIME, why, sizeof why);
    if (want_ok && v != SIGV4_VERIFY_OK) {
        fprintf(stderr, "fuzz_sigv4: %s\n", why);
        return "a request we signed does not verify";
    }
    if (!want_ok && v == SIGV4_VERIFY_OK)
        return "a signed request verifies with a changed body";
    return NULL;
}

static const char *fuzz_round_trip(const fuzz_req *fr)
{
    sigv4_header h[FUZZ_SIGV4_HEADERS + 3];
    size_t n = 0;
    char amz_date[17];
    sigv4_amz_date(FUZZ_SIGV4_TIME, amz_date);
    h[n++] = (sigv4_header){"Host", "rds.us-east-1.amazonaws.com"};
    for (size_t i = 0; i < fr->n_headers; i++)
        if (fuzz_token(fr->headers[i].name))
            h[n++] = fr->headers[i];
    sigv4_request rq = fr->rq;
    const char *method = rq.method[0] ? rq.method : "POST";
    rq.method = method;
    sigv4_key k = {"AKIDEXAMPLE", FUZZ_SIGV4_SECRET, "us-east-1", "rds"};
    const char *why = NULL;

    /* The header form. */
    h[n] = (sigv4_header){"X-Amz-Date", amz_date};
    rq.headers = h;
    rq.n_headers = n + 1;
    char *authz = sigv4_sign_authorization(&rq, &k, amz_date);
    h[n + 1] = (sigv4_header){"Authorization", authz};
    rq.n_headers = n + 2;
    why = fuzz_verify(&rq, true);
    if (!why) {
        const char changed[] = "changed";
        sigv4_request r2 = rq;
        r2.body = changed;
        r2.body_len = sizeof changed; /* with its NUL: never the original */
        if (rq.body_len != r2.body_len || memcmp(rq.body, changed, r2.body_len) != 0)
            why = fuzz_verify(&r2, false);
    }
    free(authz);
    if (why)
        return why;

    /* The presigned form, when the query has no X-Amz-* of its own. */
    if (rq.query && strstr(rq.query, "X-Amz-"))
        return NULL;
    rq.headers = h;
    rq.n_headers = n;
    char *q = sigv4_presign_query(&rq, &k, amz_date, 300);
    rq.query = q;
    why = fuzz_verify(&rq, true);
    free(q);
    return why;
}

/* NULL when every rule holds for this input, else what broke. */
static const char *fuzz_sigv4_check(const uint8_t *data, size_t size)
{
    fuzz_req fr;
    fuzz_req_split(&fr, data, size);
    const char *why = fuzz_parse_as_given(&fr.rq);
    if (!why)
        why = fuzz_round_trip(&fr);
    free(fr.text);
    return why;
}

FUZZ_ORACLE_MAIN("fuzz_sigv4", fuzz_sigv4_check)
