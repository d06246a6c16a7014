/* awscreds: a client's AWS credentials, read from the standard sources,
 * and the SigV4 headers of a request signed with them (sigv4.h).
 *
 * Sources, in the AWS SDKs' order: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY; else the profile AWS_PROFILE (default
 * "default") of AWS_SHARED_CREDENTIALS_FILE (default
 * ~/.aws/credentials). Region: AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's region in AWS_CONFIG_FILE (default ~/.aws/config), else the
 * caller's fallback. */
#ifndef RDSIM_AWSCREDS_H
#define RDSIM_AWSCREDS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *access_key; /* all owned; NULL when not found */
    char *secret;
    char *region;
} awscreds;

/* Fills c from the sources above. false (c->access_key NULL) when no key
 * pair is found: the caller then sends unsigned requests, which the
 * region refuses with MissingAuthenticationToken. */
bool awscreds_load(awscreds *c, const char *fallback_region);
/* The key pair of [profile] in the credentials file at path only (the
 * region comes from the same sources as above). */
bool awscreds_load_file(awscreds *c, const char *path, const char *profile,
                        const char *fallback_region);
/* Wipes the secret and frees; c is zeroed. */
void awscreds_clear(awscreds *c);

/* The extra headers (name, value, ..., NULL) for httpc_opts.headers of a
 * POST of body to url: `extra` (may be NULL) followed by X-Amz-Date and
 * Authorization, signed over host (as httpc sends it, "host:port"),
 * content_type (if not NULL), x-amz-date and every extra header, for
 * service at time now (epoch seconds). Free with awscreds_headers_free.
 * NULL for a malformed url. */
char **awscreds_sign_post(const awscreds *c, const char *service, const char *url,
                          const char *content_type, const char *const *extra, const char *body,
                          size_t body_len, long long now);
void awscreds_headers_free(char **headers);

/* A presigned GET of url (scheme://host[:port]/path, no query) for
 * service at now, good for `expires` seconds: url plus the X-Amz-* query
 * (sigv4_presign_query), signed over the host header a browser sends
 * (the port only when it is not the scheme's default). Caller frees;
 * NULL for a malformed url or one with a query. */
char *awscreds_presign_get(const awscreds *c, const char *service, const char *url,
                           long long expires, long long now);

/* Parses an INI text for key in [section]; a copy of the trimmed value
 * or NULL. (Exposed for the unit test.) */
char *awscreds_ini_get(const char *text, const char *section, const char *key);

#endif
