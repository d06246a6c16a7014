/* pgcatalog: PostgreSQL's own parameter list and the rules RDS puts on
 * it — pure, no store, no region (tests/unit/controlplane/test_paramgroup.c).
 *
 * The list is the installed server's: `postgres --describe-config` prints
 * one tab-separated line per parameter (name, context, group, type, reset
 * value, min, max, short description, long description). It says nothing
 * of units and enum values, so those come from pgcatalog_units.inc (made
 * from PostgreSQL 15's pg_settings). The context decides how a change is
 * applied, as on RDS: `postmaster` is static (a reboot), `sighup`, `user`,
 * `superuser` are dynamic (a reload); `internal` and `backend` ones cannot
 * be set at all. Parameters the agent owns (addresses, sockets, logs,
 * replication, archiving) or that RDS keeps to itself are not modifiable.
 *
 * Values may be RDS formulas, evaluated per instance: `{DBInstanceClassMemory/32768}`,
 * `{DBInstanceClassMemory*3/4}`, `GREATEST({…},N)`, `LEAST(…)`, `SUM(…)`,
 * with the variables DBInstanceClassMemory (bytes), DBInstanceVCPU,
 * AllocatedStorage (bytes) and EndPointPort. */
#ifndef RDSIM_PGCATALOG_H
#define RDSIM_PGCATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"

typedef enum { PGP_BOOL, PGP_INT, PGP_REAL, PGP_ENUM, PGP_STRING } pgparam_type;

typedef struct {
    char *name;        /* as PostgreSQL spells it (DateStyle, work_mem) */
    char *context;     /* postmaster, sighup, user, superuser, internal, backend, … */
    pgparam_type type;
    double min, max;   /* PGP_INT, PGP_REAL: in the parameter's base unit */
    const char *unit;  /* "", "kB", "8kB", "MB", "B", "ms", "s", "min" */
    const char *enums; /* PGP_ENUM: "a,b,c" (may be "" when unknown) */
    char *description;
    bool modifiable;   /* false: RDS (or rdsim's agent) keeps it */
} pgparam;

typedef struct pgcatalog pgcatalog;

/* Parses describe-config text. NULL when no line parses (logged). */
pgcatalog *pgcatalog_parse(const char *text, size_t len);
/* Reads cache_path if it exists, else runs `<bindir>/postgres
 * --describe-config` (bindir NULL: from `pg_config --bindir`) and writes
 * its output to cache_path. Runs before the event loop only. NULL on failure. */
pgcatalog *pgcatalog_load(const char *bindir, const char *cache_path);
void pgcatalog_free(pgcatalog *c);

/* The parameters, sorted by name (case-insensitive). */
size_t pgcatalog_count(const pgcatalog *c);
const pgparam *pgcatalog_at(const pgcatalog *c, size_t i);
/* By name, case-insensitive; NULL when unknown. */
const pgparam *pgcatalog_find(const pgcatalog *c, const char *name);

/* true: a change needs a restart (context postmaster). */
bool pgcatalog_is_static(const pgparam *p);
/* RDS's DataType: "boolean", "integer", "float", "string", "list". */
const char *pgcatalog_data_type(const pgparam *p);
/* RDS's AllowedValues (malloc'd): "0-2147483647", "a,b,c", "0,1"; NULL for strings. */
char *pgcatalog_allowed_values(const pgparam *p);

/* Checks that name may be set to value by a user. false with
 * InvalidParameterValue (unknown name, not modifiable, bad value). *out
 * (may be NULL) is the catalogue entry on success. */
bool pgcatalog_check(const pgcatalog *c, const char *name, const char *value,
                     const pgparam **out, awserr *err);

/* What a formula's variables are for one instance. */
typedef struct {
    int64_t class_memory; /* bytes */
    int64_t vcpus;
    int64_t allocated_storage; /* bytes */
    int64_t port;
} pgcatalog_vars;

/* true when value is a formula ('{' or GREATEST/LEAST/SUM). */
bool pgcatalog_is_formula(const char *value);
/* Evaluates a formula: true with the result in *out; false when it does
 * not parse, divides by zero, or overflows. */
bool pgcatalog_eval(const char *value, const pgcatalog_vars *vars, int64_t *out);

#endif
