/* query: the AWS Query protocol's request parameters.
 *
 * A request is a form-encoded body (or query string):
 * Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop&...
 * with lists as Name.member.N / Name.<LocationName>.N (1-based) and
 * structures in lists as Name.Tag.N.Key. Decoding (percent, '+') is
 * libevent's (evhttp_parse_query_str): "%20" and "+" both decode to a
 * space in values and in names. This module holds the decoded pairs
 * and gives typed, validated access; every getter that fails explains why
 * in an awserr (InvalidParameterValue / MissingParameter) naming the
 * parameter as AWS does. */
#ifndef RDSIM_QUERY_H
#define RDSIM_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"

typedef struct params params;

/* Limits: a body over QUERY_MAX_BODY bytes or with more than
 * QUERY_MAX_PARAMS pairs is refused before parsing. */
#define QUERY_MAX_BODY   (1024 * 1024)
#define QUERY_MAX_PARAMS 1000

/* Parses body[0..len) (body need not be NUL-terminated; NULL with len 0
 * is an empty request). Returns NULL and sets err:
 *  - MalformedQueryString: a pair without '=', an empty name, an empty
 *    pair ("a=1&&b=2"), a NUL byte (raw or %00), a name not valid UTF-8;
 *  - InvalidParameterValue: a value not valid UTF-8, a repeated name, a
 *    body over QUERY_MAX_BODY or more than QUERY_MAX_PARAMS pairs.
 * An empty body gives an empty set. The caller frees with params_free
 * (NULL is fine). Lookups are O(log n). */
params *params_parse(const char *body, size_t len, awserr *err);
void params_free(params *p);

/* Whether a POST with this Content-Type header (NULL: none) carries Query
 * parameters in its body: only application/x-www-form-urlencoded (any
 * case, parameters such as "; charset=utf-8" allowed), what the aws CLI,
 * boto3 and rdsctl send. Anything else (an SNS delivery is text/plain) is
 * never read as an API call. */
bool params_form_ctype(const char *ctype);

/* "Empty means absent" (RDS's rule, not SNS's or SQS's, where an empty
 * attribute value means something): once set, a top-level "NAME=" reads as
 * absent through params_get and every getter built on it, so an optional
 * parameter sent empty (Terraform sends EngineVersion= and DBName=) takes
 * its default, and a required one gets params_require's MissingParameter.
 * List members and structure fields (params_get_list,
 * params_get_struct_field) are read as sent: a tag's Value may be "". Off
 * after params_parse; the dispatcher turns it on for RDS actions. */
void params_set_empty_absent(params *p, bool on);

/* The value, or NULL when absent (or empty, under params_set_empty_absent).
 * Exact, case-sensitive names. */
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

/* Paging of RDS's Describe* actions, written once. MaxRecords: 20..100,
 * QUERY_MAX_RECORDS when absent; out of range it fails with RDS's own
 * InvalidParameterValue text, "Invalid value 5 for MaxRecords. Must be
 * between 20 and 100" (a non-integer gets params_get_int's message).
 * offset NULL: only MaxRecords is read; the Marker is the caller's
 * (an opaque name, read with params_get). offset not NULL: the Marker is
 * a decimal offset we handed out, 0..QUERY_MARKER_MAX; absent or empty
 * is 0, anything else fails with "Invalid Marker: <marker>". *max and
 * *offset are set only on success. */
#define QUERY_MAX_RECORDS 100
#define QUERY_MIN_RECORDS 20
#define QUERY_MARKER_MAX INT32_MAX
bool params_get_paging(const params *p, int64_t *max, int64_t *offset, awserr *err);
/* The Marker alone as an offset, as params_get_paging reads it: for
 * handlers that check other parameters between MaxRecords and Marker. */
bool params_get_marker_offset(const params *p, int64_t *offset, awserr *err);

/* A list: collects NAME.ITEM.1, NAME.ITEM.2, ... (item is "member" or the
 * location name such as "VpcSecurityGroupId"), which must be numbered
 * 1..n without gaps or leading zeros. Returns the count (0 when absent;
 * "NAME=" alone is an empty list) or -1 with InvalidParameterValue (a gap,
 * a bad position, NAME.ITEM.n.x in a plain list, "NAME=x" with a value).
 * On success *out is a NULL-terminated array (never NULL, even for 0
 * items) of strings borrowed from p; the caller frees the array only. On
 * failure *out is NULL. A list inside a structure list is read by passing
 * the structure's prefix as NAME: ("Filters.Filter.1.Values", "Value"). */
int params_get_list(const params *p, const char *name, const char *item, const char ***out,
                    awserr *err);

/* A list of structures: NAME.ITEM.N.FIELD. Returns the count n (0 when
 * absent or "NAME=" alone), or -1 with InvalidParameterValue when the
 * positions have a gap, a leading zero, or a member has no field. Use
 * params_get_struct_field to read NAME.ITEM.<i>.<field> (i 1-based; NULL
 * when absent). */
int params_count_structs(const params *p, const char *name, const char *item, awserr *err);
const char *params_get_struct_field(const params *p, const char *name, const char *item, int i,
                                    const char *field);

/* A Describe's Filters.Filter.N.Name / .Values.Value.M against the n filter
 * names it knows: the values of names[k] land in vals[k] (a borrowed,
 * NULL-terminated array the caller frees; a later filter of the same name
 * replaces it) and their count in nvals[k]. "engine" with values is
 * accepted and ignored (rdsim has one engine); any other name, or a filter
 * without values, is InvalidParameterValue with RDS's text. vals[] and
 * nvals[] start zeroed; on failure the caller still frees vals[]. */
bool params_get_filters(const params *p, const char *const *names, int n, const char **vals[],
                        int nvals[], awserr *err);
/* True when have is one of vals[0..n) (case-insensitive), or n is 0 (no
 * such filter). */
bool params_filter_has(const char *const *vals, int n, const char *have);

/* Iteration over all pairs in arrival order (for logging names only, and
 * for rejecting unknown parameters). */
size_t params_count(const params *p);
const char *params_name_at(const params *p, size_t i);

#endif
