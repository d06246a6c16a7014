/* query: the AWS Query protocol's request parameters.
 *
 * A request is a form-encoded body (or query string):
 * Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop&...
 * with lists as Name.member.N / Name.<LocationName>.N (1-based) and
 * structures in lists as Name.Tag.N.Key. Decoding (percent, '+') is
 * libevent's (evhttp_parse_query_str). This module holds the decoded pairs
 * and gives typed, validated access; every getter that fails explains why
 * in an awserr (InvalidParameterValue / MissingParameter) naming the
 * parameter as AWS does. */
#ifndef RDSIM_QUERY_H
#define RDSIM_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/awserr.h"

typedef struct params params;

/* Limits: a body over QUERY_MAX_BODY bytes or with more than
 * QUERY_MAX_PARAMS pairs is refused before parsing. */
#define QUERY_MAX_BODY   (1024 * 1024)
#define QUERY_MAX_PARAMS 1000

/* Parses body[0..len). Returns NULL and sets err (MalformedQueryString /
 * InvalidParameterValue) on bad encoding, embedded NULs, a repeated
 * name, or a limit exceeded. The caller frees with params_free. */
params *params_parse(const char *body, size_t len, awserr *err);
void params_free(params *p);

/* The raw value, or NULL when absent. Exact, case-sensitive names. */
const char *params_get(const params *p, const char *name);
/* Like params_get, but a missing or empty value sets MissingParameter
 * ("The parameter NAME must be provided and must not be blank.") and
 * returns NULL. */
const char *params_require(const params *p, const char *name, awserr *err);

/* Typed getters. Each returns true when the parameter is absent (leaving
 * *out untouched, *present=false if present is not NULL) or valid (*out
 * set, *present=true); false with InvalidParameterValue when malformed.
 * Booleans accept true/false (any case), as botocore sends them. */
bool params_get_bool(const params *p, const char *name, bool *out, bool *present, awserr *err);
bool params_get_int(const params *p, const char *name, int64_t min, int64_t max, int64_t *out,
                    bool *present, awserr *err);

/* A list: collects NAME.ITEM.1, NAME.ITEM.2, ... (item is "member" or the
 * location name such as "VpcSecurityGroupId"), which must be numbered
 * 1..n without gaps. Returns the count (0 when absent; "NAME=" alone is an
 * empty list) or -1 with InvalidParameterValue. *out is a NULL-terminated
 * array of borrowed strings the caller frees (the array only). */
int params_get_list(const params *p, const char *name, const char *item, const char ***out,
                    awserr *err);

/* A list of structures: NAME.ITEM.N.FIELD. Returns the count n, or -1.
 * Use params_get_struct_field to read NAME.ITEM.<i>.<field> (i 1-based). */
int params_count_structs(const params *p, const char *name, const char *item, awserr *err);
const char *params_get_struct_field(const params *p, const char *name, const char *item, int i,
                                    const char *field);

/* Iteration over all pairs in arrival order (for logging names only, and
 * for rejecting unknown parameters). */
size_t params_count(const params *p);
const char *params_name_at(const params *p, size_t i);

#endif
