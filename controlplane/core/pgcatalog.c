/* pgcatalog: see pgcatalog.h. */
#include "controlplane/core/pgcatalog.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

#define PGCATALOG_MAX_TEXT (4 << 20)
#define PGCATALOG_MAX_VALUE 1024 /* the agent's SPEC_MAX_VALUE */

typedef struct {
    const char *name, *unit, *enums;
} unit_row;

static const unit_row unit_rows[] = {
#include "controlplane/core/pgcatalog_units.inc"
};

/* Parameters a user may not set: the agent writes them (listen_addresses,
 * logs, replication: zero acknowledged-write loss depends on them), the
 * controlplane does (default_transaction_read_only while storage-full), or
 * RDS keeps them (files, archiving, recovery, libraries, TLS files). Kept
 * equal to or wider than agent/spec.c's managed keys. */
static const char *const refused[] = {
    "listen_addresses", "port", "unix_socket_directories", "unix_socket_group",
    "unix_socket_permissions", "logging_collector", "log_directory", "log_filename",
    "log_rotation_age", "log_rotation_size", "log_timezone", "log_destination",
    "log_file_mode", "log_truncate_on_rotation", "syslog_facility", "syslog_ident",
    "syslog_sequence_numbers", "syslog_split_messages", "event_source",
    "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file",
    "password_encryption", "wal_level", "max_wal_senders", "max_replication_slots",
    "hot_standby", "wal_log_hints", "synchronous_commit", "synchronous_standby_names",
    "primary_conninfo", "primary_slot_name", "wal_retrieve_retry_interval", "wal_keep_size",
    "restore_command", "archive_command", "archive_mode", "archive_library",
    "archive_cleanup_command", "recovery_end_command", "recovery_init_sync_method",
    "recovery_min_apply_delay", "recovery_prefetch", "recovery_target",
    "recovery_target_action", "recovery_target_inclusive", "recovery_target_lsn",
    "recovery_target_name", "recovery_target_time", "recovery_target_timeline",
    "recovery_target_xid", "promote_trigger_file", "hot_standby_feedback",
    "default_transaction_read_only", "fsync", "full_page_writes", "data_sync_retry",
    "shared_preload_libraries", "local_preload_libraries", "session_preload_libraries",
    "dynamic_library_path", "jit_provider", "ssl", "ssl_ca_file", "ssl_cert_file",
    "ssl_crl_dir", "ssl_crl_file", "ssl_key_file", "ssl_passphrase_command",
    "ssl_passphrase_command_supports_reload", "ssl_dh_params_file", "krb_server_keyfile",
    "bonjour", "bonjour_name", "cluster_name", "dynamic_shared_memory_type",
    "shared_memory_type", "huge_pages", "stats_temp_directory", "lc_messages",
    "allow_system_table_mods", "ignore_system_indexes", "ignore_checksum_failure",
    "ignore_invalid_pages", "zero_damaged_pages", "post_auth_delay", "pre_auth_delay",
    "wal_consistency_checking", "trace_notify", "trace_sort", "trace_locks",
    "debug_discard_caches", "wal_sync_method", "unix_socket_group",
};

struct pgcatalog {
    pgparam *list;
    size_t n;
};

static const unit_row *unit_find(const char *name)
{
    for (size_t i = 0; i < sizeof unit_rows / sizeof unit_rows[0]; i++)
        if (strcasecmp(unit_rows[i].name, name) == 0)
            return &unit_rows[i];
    return NULL;
}

static bool is_refused(const char *name)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (strcasecmp(refused[i], name) == 0)
            return true;
    return false;
}

static int param_cmp(const void *a, const void *b)
{
    return strcasecmp(((const pgparam *)a)->name, ((const pgparam *)b)->name);
}

/* Splits line into at most max tab-separated fields (in place). */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

/* RDS's own parameters, in describe-config's form (not PostgreSQL's: the
 * controlplane reads them, PostgreSQL never sees them). rds.force_ssl:
 * TLS required (pg_hba hostssl), 1 by default from PostgreSQL 15 on, as
 * on RDS (paramgroup.c's system value). */
static const char rds_lines[] =
    "rds.force_ssl\tsighup\tCustomized Options\tBOOLEAN\t1\t\t\tForce SSL connections.\t\n";

/* Parses the lines of copy (modified in place) into c. */
static void parse_lines(pgcatalog *c, char *copy, size_t *cap)
{
    for (char *line = copy, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *f[9];
        if (split_tabs(line, f, 9) < 8 || !f[0][0])
            continue;
        pgparam p = {0};
        if (strcmp(f[3], "BOOLEAN") == 0)
            p.type = PGP_BOOL;
        else if (strcmp(f[3], "INTEGER") == 0)
            p.type = PGP_INT;
        else if (strcmp(f[3], "REAL") == 0)
            p.type = PGP_REAL;
        else if (strcmp(f[3], "ENUM") == 0)
            p.type = PGP_ENUM;
        else if (strcmp(f[3], "STRING") == 0)
            p.type = PGP_STRING;
        else
            continue;
        if (p.type == PGP_INT || p.type == PGP_REAL) {
            p.min = strtod(f[5], NULL);
            p.max = strtod(f[6], NULL);
        }
        const unit_row *u = unit_find(f[0]);
        p.unit = u ? u->unit : "";
        p.enums = u ? u->enums : "";
        p.name = xstrdup(f[0]);
        p.context = xstrdup(f[1]);
        p.description = xstrdup(f[7]);
        p.modifiable = !is_refused(p.name) && strcmp(p.context, "internal") != 0 &&
                       strcmp(p.context, "backend") != 0 &&
                       strcmp(p.context, "superuser-backend") != 0 &&
                       strncmp(f[2], "Developer Options", 17) != 0;
        if (c->n == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            c->list = xrealloc(c->list, *cap * sizeof *c->list);
        }
        c->list[c->n++] = p;
    }
}

pgcatalog *pgcatalog_parse(const char *text, size_t len)
{
    char *copy = xstrndup(text, len);
    pgcatalog *c = xcalloc(1, sizeof *c);
    size_t cap = 0;
    parse_lines(c, copy, &cap);
    free(copy);
    if (c->n > 0) {
        copy = xstrdup(rds_lines);
        parse_lines(c, copy, &cap);
        free(copy);
    }
    if (c->n == 0) {
        LOG_ERROR("no parameter in the describe-config text");
        pgcatalog_free(c);
        return NULL;
    }
    if (c->n > 1)
        qsort(c->list, c->n, sizeof *c->list, param_cmp);
    return c;
}

pgcatalog *pgcatalog_load(const char *bindir, const char *cache_path)
{
    size_t len = 0;
    char *text = cache_path ? fs_read_all(cache_path, PGCATALOG_MAX_TEXT, &len) : NULL;
    if (!text) {
        char *cmd = bindir ? xasprintf("'%s/postgres' --describe-config 2>/dev/null", bindir)
                           : xstrdup("\"$(pg_config --bindir)/postgres\" --describe-config "
                                     "2>/dev/null");
        FILE *f = popen(cmd, "r");
        free(cmd);
        sbuf b = {0};
        if (f) {
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0 && b.len < PGCATALOG_MAX_TEXT)
                sbuf_append(&b, buf, n);
            pclose(f);
        }
        len = b.len;
        text = sbuf_take(&b);
        if (len > 0 && cache_path && !fs_write_atomic(cache_path, text, len, 0644))
            LOG_WARN("cannot cache the parameter list path=%s", cache_path);
    }
    pgcatalog *c = len ? pgcatalog_parse(text, len) : NULL;
    if (!c)
        LOG_ERROR("cannot read PostgreSQL's parameter list (postgres --describe-config)");
    else
        LOG_INFO("parameter catalogue loaded parameters=%zu", c->n);
    free(text);
    return c;
}

void pgcatalog_free(pgcatalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->list[i].name);
        free(c->list[i].context);
        free(c->list[i].description);
    }
    free(c->list);
    free(c);
}

size_t pgcatalog_count(const pgcatalog *c)
{
    return c ? c->n : 0;
}

const pgparam *pgcatalog_at(const pgcatalog *c, size_t i)
{
    return c && i < c->n ? &c->list[i] : NULL;
}

const pgparam *pgcatalog_find(const pgcatalog *c, const char *name)
{
    if (!c || !name)
        return NULL;
    pgparam key = {.name = (char *)name};
    return bsearch(&key, c->list, c->n, sizeof *c->list, param_cmp);
}

bool pgcatalog_is_static(const pgparam *p)
{
    return strcmp(p->context, "postmaster") == 0;
}

const char *pgcatalog_data_type(const pgparam *p)
{
    switch (p->type) {
    case PGP_BOOL: return "boolean";
    case PGP_INT: return "integer";
    case PGP_REAL: return "float";
    case PGP_ENUM: return "list";
    default: return "string";
    }
}

static void put_num(sbuf *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        sbuf_printf(b, "%lld", (long long)v);
    else
        sbuf_printf(b, "%g", v);
}

char *pgcatalog_allowed_values(const pgparam *p)
{
    sbuf b = {0};
    switch (p->type) {
    case PGP_BOOL:
        return xstrdup("0,1");
    case PGP_INT:
    case PGP_REAL:
        put_num(&b, p->min);
        sbuf_putc(&b, '-');
        put_num(&b, p->max);
        return sbuf_take(&b);
    case PGP_ENUM:
        return p->enums[0] ? xstrdup(p->enums) : NULL;
    default:
        return NULL;
    }
}

/* ---- values ---- */

static bool bool_ok(const char *v)
{
    static const char *const words[] = {"on", "off", "true", "false", "yes", "no", "1", "0",
                                        "t", "f", "y", "n"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(words[i], v) == 0)
            return true;
    return false;
}

/* The factor of a unit suffix relative to the parameter's base unit (as
 * PostgreSQL's convert_to_base_unit); 0 when it does not apply. */
static double unit_factor(const char *base, const char *suffix)
{
    static const struct {
        const char *u;
        double bytes_or_ms;
        bool memory;
    } units[] = {
        {"B", 1, true}, {"kB", 1024, true}, {"MB", 1048576, true},
        {"GB", 1073741824.0, true}, {"TB", 1099511627776.0, true},
        {"us", 0.001, false}, {"ms", 1, false}, {"s", 1000, false}, {"min", 60000, false},
        {"h", 3600000, false}, {"d", 86400000, false},
    };
    double b = 0, s = 0;
    bool bmem = false, smem = false;
    double base_mult = 1;
    const char *bu = base;
    if (strcmp(base, "8kB") == 0) {
        base_mult = 8;
        bu = "kB";
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(units[i].u, bu) == 0) {
            b = units[i].bytes_or_ms * base_mult;
            bmem = units[i].memory;
        }
        if (strcmp(units[i].u, suffix) == 0) {
            s = units[i].bytes_or_ms;
            smem = units[i].memory;
        }
    }
    if (b == 0 || s == 0 || bmem != smem)
        return 0;
    return s / b;
}

/* A number with an optional unit, in the parameter's base unit. */
static bool number_ok(const pgparam *p, const char *v, double *out)
{
    errno = 0;
    char *end = NULL;
    double d = strtod(v, &end);
    if (end == v || errno != 0 || !isfinite(d))
        return false;
    while (*end == ' ')
        end++;
    if (*end) {
        if (!p->unit[0])
            return false;
        double f = unit_factor(p->unit, end);
        if (f == 0)
            return false;
        d *= f;
    }
    if (p->type == PGP_INT)
        d = rint(d);
    *out = d;
    return true;
}

static bool enum_ok(const pgparam *p, const char *v)
{
    if (!p->enums[0])
        return v[0] != '\0';
    const char *s = p->enums;
    size_t vl = strlen(v);
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t l = comma ? (size_t)(comma - s) : strlen(s);
        if (l == vl && strncasecmp(s, v, l) == 0)
            return true;
        s += l + (comma ? 1 : 0);
    }
    return false;
}

static bool printable(const char *v)
{
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

bool pgcatalog_check(const pgcatalog *c, const char *name, const char *value,
                     const pgparam **out, awserr *err)
{
    const pgparam *p = pgcatalog_find(c, name);
    if (!p)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Could not find parameter with name: %.100s", name);
    if (!p->modifiable)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %s cannot be modified.", p->name);
    if (!value || strlen(value) > PGCATALOG_MAX_VALUE || !printable(value))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid parameter value for %s: it must be one line of at most %d "
                          "characters.", p->name, PGCATALOG_MAX_VALUE);
    bool ok;
    double d = 0;
    if ((p->type == PGP_INT || p->type == PGP_REAL) && pgcatalog_is_formula(value)) {
        /* Checked for syntax with a 1 GiB class; the range is the
         * instance's business once evaluated. */
        pgcatalog_vars vars = {1LL << 30, 2, 20LL << 30, 5432};
        int64_t r;
        ok = pgcatalog_eval(value, &vars, &r);
    } else {
        switch (p->type) {
        case PGP_BOOL: ok = bool_ok(value); break;
        case PGP_INT:
        case PGP_REAL:
            ok = number_ok(p, value, &d) && d >= p->min && d <= p->max;
            break;
        case PGP_ENUM: ok = enum_ok(p, value); break;
        default: ok = true; break;
        }
    }
    if (!ok) {
        char *allowed = pgcatalog_allowed_values(p);
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "Value: %.100s is outside of range: %s for parameter: %s", value,
                   allowed ? allowed : "(a valid value)", p->name);
        free(allowed);
        return false;
    }
    if (out)
        *out = p;
    return true;
}

/* ---- formulas ----
 *
 *   value   := call | brace | int
 *   call    := (GREATEST | LEAST | SUM) '(' value (',' value)* ')'
 *   brace   := '{' arith '}'
 *   arith   := term (('+' | '-') term)*
 *   term    := factor (('*' | '/') factor)*
 *   factor  := int | variable | '(' arith ')'
 */

typedef struct {
    const char *s;
    const pgcatalog_vars *vars;
    bool ok;
} fparser;

static void skip_ws(fparser *f)
{
    while (*f->s == ' ')
        f->s++;
}

static bool accept(fparser *f, char c)
{
    skip_ws(f);
    if (*f->s != c)
        return false;
    f->s++;
    return true;
}

static bool mul_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static int64_t f_arith(fparser *f);

static int64_t f_int(fparser *f)
{
    skip_ws(f);
    if (!isdigit((unsigned char)*f->s)) {
        f->ok = false;
        return 0;
    }
    int64_t v = 0;
    while (isdigit((unsigned char)*f->s)) {
        if (!mul_ok(v, 10, &v) || __builtin_add_overflow(v, *f->s - '0', &v))
            f->ok = false;
        f->s++;
    }
    return v;
}

static int64_t f_factor(fparser *f)
{
    skip_ws(f);
    if (accept(f, '(')) {
        int64_t v = f_arith(f);
        if (!accept(f, ')'))
            f->ok = false;
        return v;
    }
    if (isdigit((unsigned char)*f->s))
        return f_int(f);
    static const struct {
        const char *name;
        size_t off;
    } vars[] = {
        {"DBInstanceClassMemory", offsetof(pgcatalog_vars, class_memory)},
        {"DBInstanceVCPU", offsetof(pgcatalog_vars, vcpus)},
        {"AllocatedStorage", offsetof(pgcatalog_vars, allocated_storage)},
        {"EndPointPort", offsetof(pgcatalog_vars, port)},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        size_t l = strlen(vars[i].name);
        if (strncmp(f->s, vars[i].name, l) == 0 && !isalnum((unsigned char)f->s[l])) {
            f->s += l;
            return *(const int64_t *)((const char *)f->vars + vars[i].off);
        }
    }
    f->ok = false;
    return 0;
}

static int64_t f_term(fparser *f)
{
    int64_t v = f_factor(f);
    while (f->ok) {
        if (accept(f, '*')) {
            if (!mul_ok(v, f_factor(f), &v))
                f->ok = false;
        } else if (accept(f, '/')) {
            int64_t d = f_factor(f);
            if (d == 0)
                f->ok = false;
            else
                v /= d;
        } else {
            break;
        }
    }
    return v;
}

static int64_t f_arith(fparser *f)
{
    int64_t v = f_term(f);
    while (f->ok) {
        if (accept(f, '+')) {
            if (__builtin_add_overflow(v, f_term(f), &v))
                f->ok = false;
        } else if (accept(f, '-')) {
            if (__builtin_sub_overflow(v, f_term(f), &v))
                f->ok = false;
        } else {
            break;
        }
    }
    return v;
}

static int64_t f_value(fparser *f, int depth)
{
    skip_ws(f);
    if (depth > 16) {
        f->ok = false;
        return 0;
    }
    if (accept(f, '{')) {
        int64_t v = f_arith(f);
        if (!accept(f, '}'))
            f->ok = false;
        return v;
    }
    static const char *const fns[] = {"GREATEST", "LEAST", "SUM"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(fns[k]);
        if (strncasecmp(f->s, fns[k], l) != 0)
            continue;
        f->s += l;
        if (!accept(f, '(')) {
            f->ok = false;
            return 0;
        }
        int64_t acc = f_value(f, depth + 1);
        while (f->ok && accept(f, ',')) {
            int64_t v = f_value(f, depth + 1);
            if (k == 0 && v > acc)
                acc = v;
            else if (k == 1 && v < acc)
                acc = v;
            else if (k == 2 && __builtin_add_overflow(acc, v, &acc))
                f->ok = false;
        }
        if (!accept(f, ')'))
            f->ok = false;
        return acc;
    }
    return f_int(f);
}

bool pgcatalog_is_formula(const char *value)
{
    while (*value == ' ')
        value++;
    return strchr(value, '{') != NULL || strncasecmp(value, "GREATEST", 8) == 0 ||
           strncasecmp(value, "LEAST", 5) == 0 || strncasecmp(value, "SUM", 3) == 0;
}

bool pgcatalog_eval(const char *value, const pgcatalog_vars *vars, int64_t *out)
{
    fparser f = {.s = value, .vars = vars, .ok = true};
    int64_t v = f_value(&f, 0);
    skip_ws(&f);
    if (!f.ok || *f.s)
        return false;
    *out = v;
    return true;
}
