/* query: an ordered list of AWS Query protocol parameters and its form
 * encoding.
 *
 * The aws CLI serializes parameters in the model's member order, and the
 * controlplane logs and replays bodies, so order is kept exactly as added.
 * Names and values are stored raw (unencoded); query_encode percent-encodes
 * them the way botocore does (urllib's quote_plus: unreserved characters
 * as-is, space as '+', everything else %XX). */
#ifndef RDSIM_CLI_QUERY_H
#define RDSIM_CLI_QUERY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *name;
    char *value;
} query_param;

/* Zero-initialise ({0}); query_free releases everything. */
typedef struct {
    query_param *items;
    size_t len;
    size_t cap;
} query;

/* Appends name=value (both copied). A name already present is NOT replaced:
 * use query_set for that. */
void query_add(query *q, const char *name, const char *value);
/* Replaces the value of the first name match, or appends. */
void query_set(query *q, const char *name, const char *value);
/* Returns the first value for name, or NULL. The pointer lives as long as
 * the entry. */
const char *query_get(const query *q, const char *name);
/* Removes every entry called name. */
void query_remove(query *q, const char *name);
void query_free(query *q);

/* Returns "Action=<action>&Version=2014-10-31&<params...>" form-encoded;
 * the caller frees it. With redact, the value of every parameter whose
 * name contains "Password" is replaced by "REDACTED" (for --debug). */
char *query_encode(const char *action, const query *q, bool redact);
/* The same with another API version ("2010-03-31" for SNS); NULL is
 * RDS's. */
char *query_encode_version(const char *action, const char *version, const query *q,
                           bool redact);

#endif
