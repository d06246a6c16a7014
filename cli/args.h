/* args: command-line flags of one rdsctl command → Query parameters.
 *
 * Mirrors how the aws CLI turns `--flag value` into API parameters:
 * - scalars: --x VALUE or --x=VALUE (the last occurrence wins);
 * - booleans: --x sends X=true, --no-x sends X=false;
 * - integers are checked and normalised ("020" → "20");
 * - timestamps accept ISO 8601 (date, "T" or space, optional seconds,
 *   fraction and zone) or epoch seconds, and are sent as UTC ISO 8601;
 * - lists take every following word up to the next --flag, or one JSON
 *   array; they serialize as Name.<locationName>.N (1-based);
 * - structures and lists of structures take the aws CLI shorthand
 *   (`Key=k,Value=v Key=k2,Value=v2`, `Name=db-instance-id,Values=a,b`)
 *   or JSON, and serialize as Name.<locationName>.N.Field[.<loc>.M].
 * Parameters come out in the order of the spec table, not argv: the aws CLI
 * sends them in the model's member order and the tables follow the model.
 *
 * A spec with no param is a local option (e.g. --no-paginate, --timeout):
 * its value goes to a separate list, keyed by the flag name. */
#ifndef RDSIM_CLI_ARGS_H
#define RDSIM_CLI_ARGS_H

#include <stdbool.h>

#include "cli/query.h"
#include "lib/util.h"

typedef enum {
    ARG_STRING,      /* --x VALUE */
    ARG_INT,         /* --x N: a 32-bit integer */
    ARG_BOOL,        /* --x → true, --no-x → false */
    ARG_TIMESTAMP,   /* --x TIME → YYYY-MM-DDTHH:MM:SS[.ffffff]Z */
    ARG_LIST,        /* --x a b c | --x '["a","b"]' → X.<member>.N */
    ARG_STRUCT,      /* --x A=1,B=x,y | --x '{"A":..}' → X.A, X.B.<loc>.N */
    ARG_STRUCT_LIST, /* --x A=1 A=2 | --x '[{..}]' → X.<member>.N.A */
    ARG_FLAG,        /* local only: --x, no value, stored as "true" */
    ARG_SECONDS,     /* local only: --x S, a non-negative decimal number */
} arg_type;

/* One member of a structure. Scalars are strings; a list member names the
 * locationName of its items ("Value", or "member" when the model has
 * none). */
typedef struct {
    const char *name;
    const char *list_member; /* NULL for a string member */
    bool required;
} arg_field;

typedef struct {
    const arg_field *fields; /* terminated by {NULL} */
} arg_shape;

typedef struct {
    const char *flag;       /* without "--": "multi-az" */
    const char *param;      /* "MultiAZ"; NULL for a local option */
    arg_type type;
    const char *member;     /* ARG_LIST, ARG_STRUCT_LIST: item locationName */
    const arg_shape *shape; /* ARG_STRUCT, ARG_STRUCT_LIST */
    bool required;
    const char *help;       /* one line */
} arg_spec;

/* Table rows of arg_spec, for the command tables (commands.c,
 * clustercmds.c): F_REQ is a required string, F_LOCAL a flag of rdsctl's
 * own (never sent), F_END the terminator. */
#define F_STR(f, p, h) {f, p, ARG_STRING, NULL, NULL, false, h}
#define F_REQ(f, p, h) {f, p, ARG_STRING, NULL, NULL, true, h}
#define F_INT(f, p, h) {f, p, ARG_INT, NULL, NULL, false, h}
#define F_BOOL(f, p, h) {f, p, ARG_BOOL, NULL, NULL, false, h}
#define F_TIME(f, p, h) {f, p, ARG_TIMESTAMP, NULL, NULL, false, h}
#define F_LIST(f, p, m, h) {f, p, ARG_LIST, m, NULL, false, h}
#define F_STRUCT(f, p, s, h) {f, p, ARG_STRUCT, NULL, s, false, h}
#define F_STRUCTS(f, p, m, s, h) {f, p, ARG_STRUCT_LIST, m, s, false, h}
#define F_LOCAL(f, t, h) {f, NULL, t, NULL, NULL, false, h}
#define F_END {NULL, NULL, 0, NULL, NULL, false, NULL}


typedef enum {
    ARGS_OK,
    ARGS_USAGE_ERROR, /* unknown/missing flag or value, bad number: usage is worth showing */
    ARGS_PARAM_ERROR, /* a value's syntax or shape (shorthand, JSON, timestamp) */
} args_status;

/* Parses argv[0..argc) against specs (terminated by {NULL}). On ARGS_OK,
 * API parameters are appended to params in spec order and local options to
 * opts (flag name → value). On an error nothing useful is in params/opts
 * (the caller still frees them) and err holds one message:
 * ARGS_USAGE_ERROR text goes after "rdsctl: error: " (e.g. "the following
 * arguments are required: --engine"); ARGS_PARAM_ERROR text is complete
 * (e.g. "Error parsing parameter '--tags': Expected: '=', ..."). */
args_status args_parse(const arg_spec *specs, int argc, char *const *argv, query *params,
                       query *opts, sbuf *err);

/* Parses one aws CLI shorthand string ("Key=a,Value=b") into a cJSON object
 * of strings, arrays and objects (the caller deletes it), exactly as
 * awscli's ShorthandParser does. Returns NULL and writes the message to err
 * on a syntax error. Exposed for tests. */
struct cJSON *args_parse_shorthand(const char *input, sbuf *err);

/* Reads the local option `name` from opts (filled by args_parse) as an
 * integer in [min, max]: def when absent; false with "argument --NAME:
 * must be an integer from MIN to MAX" in err otherwise. */
bool args_opt_int(const query *opts, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out, sbuf *err);

/* Converts a timestamp argument to the wire form. Returns false on a value
 * it does not understand. Exposed for tests. */
bool args_format_timestamp(const char *in, char *out, size_t size);

#endif
