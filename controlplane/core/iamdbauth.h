/* iamdbauth: verifies an IAM database authentication token (issue 12
 * item 5; RDS-REFERENCE-2 §3).
 *
 * A token is what `aws rds generate-db-auth-token` prints: a SigV4
 * presigned URL without its scheme,
 *   <endpoint>:<port>/?Action=connect&DBUser=<user>&X-Amz-Algorithm=...
 *     &X-Amz-Credential=<key>/<date>/<region>/rds-db/aws4_request
 *     &X-Amz-Date=...&X-Amz-Expires=900&X-Amz-SignedHeaders=host
 *     &X-Amz-Signature=...
 * made locally with the caller's secret. It logs `user` into the instance
 * when, all of:
 *  - it is at most IAMDBAUTH_TOKEN_MAX bytes, of printable ASCII;
 *  - <endpoint>:<port> is this instance's endpoint (case-insensitive);
 *  - Action is connect and DBUser is the login user (each exactly once);
 *  - the scope is <region>/rds-db, SignedHeaders exactly "host",
 *    X-Amz-Expires at most IAMDBAUTH_EXPIRES_MAX;
 *  - the key is known, the signature is its secret's (lib/sigv4.h, which
 *    also refuses an expired or not-yet-valid token);
 *  - its principal may rds-db:connect on
 *    arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>.
 * Pure but for principals_lookup / principal_may's store reads; the
 * token is never logged (only the reason and the key id). */
#ifndef RDSIM_IAMDBAUTH_H
#define RDSIM_IAMDBAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/principal.h"

#define IAMDBAUTH_TOKEN_MAX 4096
#define IAMDBAUTH_EXPIRES_MAX 900
#define IAMDBAUTH_USER_MAX 63 /* PostgreSQL's NAMEDATALEN - 1 */

/* What the token must name: the instance and the login. */
typedef struct {
    const char *endpoint;    /* the instance's DNS name */
    int port;
    const char *region;
    const char *account;
    const char *resource_id; /* DbiResourceId */
    const char *user;        /* the login user */
} iamdbauth_target;

/* true when token logs t->user in at time now (real epoch seconds).
 * false with the reason in why (may be NULL; no secret, no token) and, when
 * the token's key was known, its id in key_id (may be NULL, 21 bytes). */
bool iamdbauth_verify(principals *p, const iamdbauth_target *t, const char *token, int64_t now,
                      char *why, size_t why_len, char key_id[PRINCIPAL_KEY_ID_LEN + 1]);

/* The resource ARN of t's login into out. */
void iamdbauth_arn(const iamdbauth_target *t, char *out, size_t len);

#endif
