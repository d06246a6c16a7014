/* sigv4: AWS Signature Version 4, both sides (RDS-REFERENCE-2 §1.1).
 *
 * Pure functions over a request described as method, wire path, wire
 * query, headers and body: no I/O, no clock (callers pass "now"), no
 * store. The signer is what rdsctl and rds-backup use; the parser and
 * verifier are what the controlplane's auth gate uses.
 *
 * What the canonical request is (and what must stay true, because AWS's
 * published test suite pins it; tests/unit/lib/test_sigv4.c):
 *  - path: dot segments and empty segments removed ("//a/./b/../" ->
 *    "/a/"), then every byte outside A-Za-z0-9-_.~ and '/' percent-encoded
 *    (so a '%' already on the wire is encoded again, as AWS does for every
 *    service but S3); empty -> "/".
 *  - query: each name and value percent-decoded, then encoded (uppercase
 *    hex, '+' is a literal plus), sorted by name then value; presigned
 *    requests leave X-Amz-Signature out.
 *  - headers: exactly the SignedHeaders list, each name's values (every
 *    occurrence, in order) trimmed, inner whitespace runs collapsed,
 *    joined with ','.
 *  - payload: hex SHA-256 of the body actually received. A claimed
 *    X-Amz-Content-SHA256 is never trusted in its place, so a body changed
 *    after signing fails the check whatever the headers say.
 */
#ifndef RDSIM_SIGV4_H
#define RDSIM_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* A header-signed request more than this far from "now" is refused. */
#define SIGV4_MAX_SKEW_S 300
/* X-Amz-Expires range of the presigned form. */
#define SIGV4_MAX_EXPIRES_S 604800
#define SIGV4_KEY_ID_MAX 128
#define SIGV4_SCOPE_PART_MAX 64
#define SIGV4_SIGNED_HEADERS_MAX 1024

typedef struct {
    const char *name;
    const char *value;
} sigv4_header;

/* A request as it is (or will be) on the wire. path and query are the raw
 * bytes before and after '?' (query may be NULL); headers are all of the
 * request's headers (the verifier picks the signed ones; the signer signs
 * every one given, so give it host, x-amz-date and what else must be
 * covered). Nothing is owned. */
typedef struct {
    const char *method;
    const char *path;
    const char *query;
    const sigv4_header *headers;
    size_t n_headers;
    const void *body;
    size_t body_len;
} sigv4_request;

/* Signing credentials and scope. Nothing is owned. */
typedef struct {
    const char *access_key;
    const char *secret;
    const char *region;
    const char *service;
} sigv4_key;

/* The authentication a request carries, as sigv4_parse found it. */
typedef struct {
    bool presigned;                        /* query form (X-Amz-*) */
    char access_key[SIGV4_KEY_ID_MAX + 1];
    char date[9];                          /* credential scope YYYYMMDD */
    char region[SIGV4_SCOPE_PART_MAX + 1];
    char service[SIGV4_SCOPE_PART_MAX + 1];
    char amz_date[17];                     /* YYYYMMDDTHHMMSSZ of the request */
    int64_t request_time;                  /* amz_date in epoch seconds */
    int64_t expires;                       /* presigned: X-Amz-Expires; else 0 */
    char signed_headers[SIGV4_SIGNED_HEADERS_MAX + 1];
    char signature[65];
} sigv4_auth;

typedef enum {
    SIGV4_ABSENT,    /* no Authorization header and no X-Amz-* query auth */
    SIGV4_MALFORMED, /* present but incomplete or unparsable: why says what */
    SIGV4_PARSED,
} sigv4_parse_status;

typedef enum {
    SIGV4_VERIFY_OK,
    SIGV4_VERIFY_MISMATCH, /* the signature, or the scope's date, is wrong */
    SIGV4_VERIFY_EXPIRED,  /* skew over SIGV4_MAX_SKEW_S, or past X-Amz-Expires */
} sigv4_verdict;

/* Reads the authentication of rq into out: the Authorization header
 * (header form; the request time from X-Amz-Date, else Date, which must be
 * a signed header, as must host) or the X-Amz-Algorithm/-Credential/-Date/
 * -Expires/-SignedHeaders/-Signature query parameters (presigned form).
 * why (may be NULL) gets an AWS-style message for SIGV4_MALFORMED. */
sigv4_parse_status sigv4_parse(const sigv4_request *rq, sigv4_auth *out, char *why,
                               size_t why_len);

/* Checks a parsed request against the secret of a->access_key, at time
 * now (epoch seconds, the real clock). The signature comparison is
 * constant-time. why (may be NULL) gets AWS's message for a failure. */
sigv4_verdict sigv4_verify(const sigv4_request *rq, const sigv4_auth *a, const char *secret,
                           int64_t now, char *why, size_t why_len);

/* The Authorization header value for rq signed with k at amz_date (see
 * sigv4_amz_date); SignedHeaders is every header of rq. Caller frees. */
char *sigv4_sign_authorization(const sigv4_request *rq, const sigv4_key *k,
                               const char *amz_date);
/* The query string for the presigned form of rq: rq->query's parameters
 * plus X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders
 * (every header of rq, usually just host) and X-Amz-Signature last.
 * Caller frees. */
char *sigv4_presign_query(const sigv4_request *rq, const sigv4_key *k, const char *amz_date,
                          int64_t expires);

/* The canonical request of rq for signed_headers (';'-separated, lower
 * case); presigned leaves X-Amz-Signature out of the query. NULL when a
 * signed header is missing from rq. Caller frees. */
char *sigv4_canonical_request(const sigv4_request *rq, const char *signed_headers,
                              bool presigned);
/* hex HMAC(kSigning(secret, date, region, service), string_to_sign) into
 * out (65 bytes), the string to sign being built from amz_date, the scope
 * and the canonical request. */
void sigv4_signature(const char *secret, const char *amz_date, const char *region,
                     const char *service, const char *canonical, char out[65]);

/* YYYYMMDDTHHMMSSZ of t (UTC) into out. */
void sigv4_amz_date(int64_t t, char out[17]);
/* Parses YYYYMMDDTHHMMSSZ; false when malformed or when the text is not
 * what the instant prints as (a day that does not exist such as
 * 20150231, a year before 1000). */
bool sigv4_parse_amz_date(const char *s, int64_t *t);

#endif
