/* Unit tests for controlplane/pgcatalog (PostgreSQL's parameter list, value
 * checks, RDS formulas) and paramgroup_check_params (the 20-parameter
 * limit, ApplyMethod rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/pgcatalog.h"
#include "controlplane/core/query.h"
#include "lib/tap.h"

/* Lines as `postgres --describe-config` prints them (PostgreSQL 15). */
static const char fixture[] =
    "DateStyle\tuser\tClient Connection Defaults / Locale and Formatting\tSTRING\tISO, MDY\t\t\t"
    "Sets the display format for date and time values.\tAlso controls interpretation.\n"
    "enable_seqscan\tuser\tQuery Tuning / Planner Method Configuration\tBOOLEAN\tFALSE\t\t\t"
    "Enables the planner's use of sequential-scan plans.\t\n"
    "log_min_duration_statement\tsuperuser\tReporting and Logging / When to Log\tINTEGER\t0\t-1\t"
    "2147483647\tSets the minimum execution time above which all statements will be logged.\t\n"
    "max_connections\tpostmaster\tConnections and Authentication / Connection Settings\tINTEGER\t0\t"
    "1\t262143\tSets the maximum number of concurrent connections.\t\n"
    "port\tpostmaster\tConnections and Authentication / Connection Settings\tINTEGER\t0\t1\t65535\t"
    "Sets the TCP port the server listens on.\t\n"
    "random_page_cost\tuser\tQuery Tuning / Planner Cost Constants\tREAL\t0\t0\t1.79769e+308\t"
    "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.\t\n"
    "segment_size\tinternal\tPreset Options\tINTEGER\t0\t131072\t131072\tShows the number of pages "
    "per disk file.\t\n"
    "shared_buffers\tpostmaster\tResource Usage / Memory\tINTEGER\t0\t16\t1073741823\tSets the "
    "number of shared memory buffers used by the server.\t\n"
    "statement_timeout\tuser\tClient Connection Defaults / Statement Behavior\tINTEGER\t0\t0\t"
    "2147483647\tSets the maximum allowed duration of any statement.\t\n"
    "wal_level\tpostmaster\tWrite-Ahead Log / Settings\tENUM\treplica\t\t\tSets the level of "
    "information written to the WAL.\t\n"
    "work_mem\tuser\tResource Usage / Memory\tINTEGER\t0\t64\t2147483647\tSets the maximum memory "
    "to be used for query workspaces.\t\n"
    "xmloption\tuser\tClient Connection Defaults / Statement Behavior\tENUM\tcontent\t\t\tSets "
    "whether XML data in implicit parsing and serialization operations is to be considered as "
    "documents or content fragments.\t\n"
    "not a line\n";

static void test_catalogue(const pgcatalog *c)
{
    is_int((int)pgcatalog_count(c), 13,
           "twelve parameters parsed, the bad line skipped, and RDS's rds.force_ssl");
    const pgparam *fs = pgcatalog_find(c, "rds.force_ssl");
    ok(fs && fs->type == PGP_BOOL && fs->modifiable && !pgcatalog_is_static(fs),
       "rds.force_ssl: a modifiable dynamic boolean");
    is_str(pgcatalog_at(c, 0)->name, "DateStyle", "sorted case-insensitively: DateStyle first");
    const pgparam *p = pgcatalog_find(c, "WORK_MEM");
    ok(p && strcmp(p->name, "work_mem") == 0, "found by name in any case");
    ok(p && strcmp(p->unit, "kB") == 0, "work_mem's unit is kB (from pg_settings)");
    ok(p && !pgcatalog_is_static(p), "work_mem (user) is dynamic");
    p = pgcatalog_find(c, "max_connections");
    ok(p && pgcatalog_is_static(p), "max_connections (postmaster) is static");
    char *allowed = p ? pgcatalog_allowed_values(p) : NULL;
    is_str(allowed ? allowed : "", "1-262143", "max_connections AllowedValues");
    free(allowed);
    is_str(p ? pgcatalog_data_type(p) : "", "integer", "max_connections DataType");
    p = pgcatalog_find(c, "xmloption");
    allowed = p ? pgcatalog_allowed_values(p) : NULL;
    is_str(allowed ? allowed : "", "content,document", "an enum's AllowedValues");
    free(allowed);
    ok(pgcatalog_find(c, "nope") == NULL, "an unknown name is not found");
    ok(!pgcatalog_find(c, "port")->modifiable, "port is not modifiable");
    ok(!pgcatalog_find(c, "wal_level")->modifiable, "wal_level (the agent's) is not modifiable");
    ok(!pgcatalog_find(c, "segment_size")->modifiable, "internal parameters are not modifiable");
}

static void test_values(const pgcatalog *c)
{
    static const struct {
        const char *name, *value;
        bool ok;
    } cases[] = {
        {"work_mem", "4096", true},
        {"work_mem", "8MB", true},
        {"work_mem", "8 MB", true},
        {"work_mem", "1GB", true},
        {"work_mem", "63", false},         /* below min 64 kB */
        {"work_mem", "3TB", false},        /* above max */
        {"work_mem", "8ms", false},        /* a time unit for memory */
        {"work_mem", "lots", false},
        {"work_mem", "", false},
        {"shared_buffers", "128MB", true}, /* 16384 pages of 8 kB */
        {"shared_buffers", "64kB", false}, /* 8 pages < 16 */
        {"shared_buffers", "{DBInstanceClassMemory/32768}", true},
        {"shared_buffers", "{DBInstanceClassMemory/}", false},
        {"max_connections", "LEAST({DBInstanceClassMemory/9531392},5000)", true},
        {"max_connections", "0", false},
        {"statement_timeout", "30s", true},
        {"statement_timeout", "1min", true},
        {"statement_timeout", "5MB", false},
        {"log_min_duration_statement", "-1", true},
        {"log_min_duration_statement", "-2", false},
        {"random_page_cost", "1.1", true},
        {"random_page_cost", "-1", false},
        {"random_page_cost", "x", false},
        {"enable_seqscan", "off", true},
        {"enable_seqscan", "TRUE", true},
        {"enable_seqscan", "1", true},
        {"enable_seqscan", "maybe", false},
        {"xmloption", "document", true},
        {"xmloption", "DOCUMENT", true},
        {"xmloption", "html", false},
        {"DateStyle", "ISO, DMY", true},
        {"DateStyle", "two\nlines", false},
        {"port", "5433", false},
        {"wal_level", "minimal", false},
        {"segment_size", "1", false},
        {"no_such_parameter", "1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        awserr err = {0};
        bool got = pgcatalog_check(c, cases[i].name, cases[i].value, NULL, &err);
        char name[160];
        snprintf(name, sizeof name, "%s = '%s' is %s", cases[i].name, cases[i].value,
                 cases[i].ok ? "accepted" : "refused");
        for (char *q = name; *q; q++)
            if (*q == '\n')
                *q = '?';
        ok(got == cases[i].ok, name);
        if (!cases[i].ok)
            ok(err.code == AWSERR_INVALID_PARAMETER_VALUE, "  with InvalidParameterValue");
    }
}

static void test_formulas(void)
{
    pgcatalog_vars v = {.class_memory = 1LL << 30, .vcpus = 2, .allocated_storage = 20LL << 30,
                        .port = 5432};
    static const struct {
        const char *f;
        bool ok;
        long long want;
    } cases[] = {
        {"{DBInstanceClassMemory/32768}", true, 32768},
        {"{DBInstanceClassMemory*3/4}", true, 805306368},
        {"{DBInstanceClassMemory/16384}", true, 65536},
        {"GREATEST({DBInstanceClassMemory*1024/63963136},65536)", true, 65536},
        {"LEAST({DBInstanceClassMemory/9531392},5000)", true, 112},
        {"SUM({DBInstanceVCPU*2},3)", true, 7},
        {"{(DBInstanceClassMemory + 1024) / 1024}", true, 1048577},
        {"{EndPointPort-32}", true, 5400},
        {"{AllocatedStorage/1073741824}", true, 20},
        {"greatest(1, 2, 3)", true, 3},
        {"{DBInstanceClassMemory/0}", false, 0},
        {"{DBInstanceClassMemory/}", false, 0},
        {"{DBInstanceClassMemory", false, 0},
        {"{Nope/2}", false, 0},
        {"LEAST({1},", false, 0},
        {"{DBInstanceClassMemory*9223372036854775807}", false, 0},
        {"{1} junk", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = -1;
        bool r = pgcatalog_eval(cases[i].f, &v, &got);
        char name[160];
        snprintf(name, sizeof name, "%s %s", cases[i].f, cases[i].ok ? "evaluates" : "is refused");
        ok(r == cases[i].ok, name);
        if (cases[i].ok && r)
            is_int((int)got, (int)cases[i].want, "  to the right value");
    }
    ok(pgcatalog_is_formula("{DBInstanceClassMemory/32768}"), "braces are a formula");
    ok(pgcatalog_is_formula("LEAST(1,2)"), "LEAST is a formula");
    ok(!pgcatalog_is_formula("128MB"), "128MB is not");
}

/* A Modify/Reset body: n parameters named and valued as given. */
static params *body_of(int n, const char *name, const char *value, const char *method)
{
    char b[8192];
    size_t len = (size_t)snprintf(b, sizeof b, "DBParameterGroupName=g");
    for (int i = 1; i <= n && len < sizeof b; i++) {
        len += (size_t)snprintf(b + len, sizeof b - len, "&Parameters.Parameter.%d.ParameterName=%s",
                                i, name);
        if (value && len < sizeof b)
            len += (size_t)snprintf(b + len, sizeof b - len,
                                    "&Parameters.Parameter.%d.ParameterValue=%s", i, value);
        if (method && len < sizeof b)
            len += (size_t)snprintf(b + len, sizeof b - len,
                                    "&Parameters.Parameter.%d.ApplyMethod=%s", i, method);
    }
    awserr err = {0};
    return len < sizeof b ? params_parse(b, len, &err) : NULL;
}

static void test_request(const pgcatalog *c)
{
    static const struct {
        const char *what;
        int n;
        const char *name, *value, *method;
        bool need_value;
        int want; /* count, or -1 */
        awserr_code code;
    } cases[] = {
        {"one dynamic, immediate", 1, "work_mem", "8MB", "immediate", true, 1, AWSERR_NONE},
        {"20 parameters", 20, "work_mem", "8MB", "immediate", true, 20, AWSERR_NONE},
        {"21 parameters", 21, "work_mem", "8MB", "immediate", true, -1,
         AWSERR_INVALID_PARAMETER_VALUE},
        {"static with pending-reboot", 1, "max_connections", "50", "pending-reboot", true, 1,
         AWSERR_NONE},
        {"static with immediate", 1, "max_connections", "50", "immediate", true, -1,
         AWSERR_INVALID_PARAMETER_COMBINATION},
        {"no ApplyMethod (a default per parameter)", 1, "max_connections", "50", NULL, true, 1,
         AWSERR_NONE},
        {"a bad ApplyMethod", 1, "work_mem", "8MB", "later", true, -1,
         AWSERR_INVALID_PARAMETER_VALUE},
        {"a bad value", 1, "work_mem", "x", "immediate", true, -1,
         AWSERR_INVALID_PARAMETER_VALUE},
        {"no value on modify", 1, "work_mem", NULL, "immediate", true, -1,
         AWSERR_INVALID_PARAMETER_VALUE},
        {"reset: names only", 2, "work_mem", NULL, "immediate", false, 2, AWSERR_NONE},
        {"reset: an unknown name", 1, "nope", NULL, "immediate", false, -1,
         AWSERR_INVALID_PARAMETER_VALUE},
        {"none", 0, "work_mem", "1", "immediate", true, 0, AWSERR_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        params *p = body_of(cases[i].n, cases[i].name, cases[i].value, cases[i].method);
        awserr err = {0};
        int got = p ? paramgroup_check_params(c, p, cases[i].need_value, &err) : -2;
        is_int(got, cases[i].want, cases[i].what);
        is_int((int)err.code, (int)cases[i].code, "  and the error code");
        params_free(p);
    }
}

int main(void)
{
    pgcatalog *c = pgcatalog_parse(fixture, strlen(fixture));
    ok(c != NULL, "the fixture parses");
    if (!c)
        return done_testing();
    test_catalogue(c);
    test_values(c);
    test_formulas();
    test_request(c);
    pgcatalog_free(c);
    ok(pgcatalog_parse("junk\n", 5) == NULL, "text without a parameter line gives NULL");
    return done_testing();
}
