/* cwproto: CloudWatch's three wire formats, decoded into one request
 * representation and encoded from one result representation.
 *
 * CloudWatch's model lists smithy-rpc-v2-cbor, json (awsJson1_0) and query;
 * each client picks one (RDS-REFERENCE-2 §8.3). A handler never sees which:
 *
 *   request  a cJSON object keyed by member name, as awsJson1_0 sends it.
 *            From JSON: the body itself. From CBOR: maps become objects,
 *            arrays arrays, text strings strings, integers and floats
 *            numbers, tag 1 (epoch seconds) a number, booleans booleans.
 *            From Query: "A.member.N.B=v" becomes {"A":[..., {"B":"v"}]}
 *            (lists by N, 1..CWPROTO_MAX_INDEX, in N order), every leaf a
 *            STRING (Query has no types) and Action/Version left out.
 *            So handlers read members only through the cwreq_* getters,
 *            which accept a number or its text, a timestamp as epoch
 *            seconds (number or text) or ISO 8601 text, a boolean or
 *            "true"/"false", and a list or "" (an empty Query list).
 *   result   a cJSON object of the output shape's members. Timestamps are
 *            made with cwproto_time, integer members with cwproto_int
 *            (flags in the item's type bits above cJSON's own); any other
 *            number is a double. Each encoder writes them as its
 *            protocol does: JSON numbers; Query XML ISO 8601 text, lists
 *            as <member>; CBOR tag 1 + float64, integers as CBOR integers,
 *            doubles as float64.
 *   errors   an awserr (core/awserr.h) mapped here to CloudWatch's shape
 *            and Query code (cwproto_error_info): JSON and CBOR bodies
 *            {"__type": "com.amazonaws.cloudwatch#<Shape>", "message"} with
 *            the header x-amzn-query-error "<Code>;Sender|Receiver" (what
 *            botocore reports for this awsQueryCompatible service);
 *            Query: <ErrorResponse> as every Query service.
 *
 * Limits: a body over CWPROTO_MAX_BODY is refused by the caller; CBOR and
 * JSON nest at most CWPROTO_MAX_DEPTH levels; every decoder refuses
 * malformed input with an error and never crashes (fuzz corpus:
 * fuzz/corpus/cbor, replayed by tests/unit/controlplane/test_cwproto.c). */
#ifndef RDSIM_CWPROTO_H
#define RDSIM_CWPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

typedef struct cJSON cJSON;

#define CWPROTO_TARGET_PREFIX "GraniteServiceVersion20100801."
#define CWPROTO_CBOR_PATH "/service/GraniteServiceVersion20100801/operation/"
#define CWPROTO_VERSION "2010-08-01"
#define CWPROTO_XMLNS "http://monitoring.amazonaws.com/doc/2010-08-01/"
#define CWPROTO_MAX_BODY (1024 * 1024)
#define CWPROTO_MAX_DEPTH 32
#define CWPROTO_MAX_INDEX 100000

typedef enum { CWPROTO_JSON, CWPROTO_QUERY, CWPROTO_CBOR } cwproto;

/* Flags on result items (cJSON keeps its type in the low byte). */
#define CWPROTO_F_TIME (1 << 12)
#define CWPROTO_F_INT  (1 << 13)

/* ---- decoding: each returns a new object (caller deletes) or NULL with
 * err set (InvalidParameterValue "... could not be parsed ...", or
 * MissingParameter/InvalidQueryParameter for a Query body's shape). ---- */
cJSON *cwproto_decode_json(const char *body, size_t len, awserr *err);
cJSON *cwproto_decode_cbor(const uint8_t *body, size_t len, awserr *err);
/* From parsed Query parameters (Action and Version skipped). A name whose
 * path conflicts with another (a leaf and a structure at one place), an
 * index that is not 1..CWPROTO_MAX_INDEX: InvalidParameterValue. */
cJSON *cwproto_decode_query(const params *p, awserr *err);

/* A body sent with Content-Encoding: gzip (botocore compresses a
 * PutMetricData body over 10 KiB: the model's requestcompression). true
 * with *out (malloc'd, *out_len bytes, at most CWPROTO_MAX_BODY); false
 * with err set (InvalidParameterValue) when it is not gzip or inflates
 * past that bound. */
bool cwproto_gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, awserr *err);

/* ---- result items ---- */
cJSON *cwproto_time(double epoch_s);
cJSON *cwproto_int(int64_t v);

/* ---- encoding: malloc'd bytes, *len their length, *ctype the
 * Content-Type. op is the operation name ("GetMetricData"). ---- */
uint8_t *cwproto_encode(cwproto proto, const char *op, const cJSON *result,
                        const char *request_id, size_t *len, const char **ctype);
/* An error reply; *status the HTTP status, qerr (at least 96 bytes) the
 * x-amzn-query-error value to send ("" for Query, which sends none). */
uint8_t *cwproto_encode_error(cwproto proto, const awserr *e, const char *request_id,
                              size_t *len, const char **ctype, int *status, char *qerr,
                              size_t qerr_size);

/* CloudWatch's name for an awserr: shape (botocore's), Query code and HTTP
 * status. Codes CloudWatch has no shape for go out as InternalServiceFault. */
typedef struct {
    const char *shape, *code;
    int status;
    bool sender;
} cwproto_errinfo;
cwproto_errinfo cwproto_error_info(awserr_code code);

/* ---- request getters. Each returns true when the member is absent
 * (*present false, *out untouched) or valid; false with
 * InvalidParameterValue naming `name` when malformed. ---- */
/* A string member (a non-empty one when `required`: MissingParameter
 * "The parameter NAME is required."). NULL when absent. */
const char *cwreq_str(const cJSON *o, const char *name, bool required, awserr *err,
                      bool *ok);
bool cwreq_num(const cJSON *o, const char *name, double *out, bool *present, awserr *err);
bool cwreq_i64(const cJSON *o, const char *name, int64_t min, int64_t max, int64_t *out,
               bool *present, awserr *err);
bool cwreq_bool(const cJSON *o, const char *name, bool *out, bool *present, awserr *err);
/* Epoch seconds (fraction dropped) from a number, numeric text or ISO
 * 8601 text. */
bool cwreq_time(const cJSON *o, const char *name, int64_t *out, bool *present, awserr *err);
/* A list member: the array, NULL when absent or "" (empty); false when
 * the member is neither. */
bool cwreq_list(const cJSON *o, const char *name, const cJSON **out, awserr *err);

#endif
