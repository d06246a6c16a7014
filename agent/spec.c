/* spec: parsing and validation of a node's goal spec. See spec.h.
 *
 * Every check here exists because the values end up in a PostgreSQL
 * configuration file, a file name or an argv: a spec that passes cannot
 * inject a line into rdsim.conf or a path component into the node's
 * directory. */
#include "agent/spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cidr.h"
#include "lib/scram.h"
#include "lib/util.h"

static const char *const goal_names[] = {
    [NODE_GOAL_RUNNING] = "running",
    [NODE_GOAL_STOPPED] = "stopped",
    [NODE_GOAL_ABSENT] = "absent",
};

const char *spec_goal_name(node_goal goal)
{
    if ((unsigned)goal >= sizeof goal_names / sizeof goal_names[0])
        return "unknown";
    return goal_names[goal];
}

bool spec_goal_parse(const char *name, node_goal *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof goal_names / sizeof goal_names[0]; i++) {
        if (strcmp(name, goal_names[i]) == 0) {
            *out = (node_goal)i;
            return true;
        }
    }
    return false;
}

/* Settings the agent writes itself, or that would move files the agent
 * relies on: a spec may not set them. */
static const char *const managed_keys[] = {
    "listen_addresses", "port", "unix_socket_directories", "unix_socket_group",
    "unix_socket_permissions", "logging_collector", "log_directory", "log_filename",
    "log_rotation_age", "log_timezone",
    "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file",
    "include", "include_dir", "include_if_exists", "password_encryption",
    /* Replication (Multi-AZ): zero acknowledged-write loss depends on them. */
    "wal_level", "max_wal_senders", "max_replication_slots", "hot_standby", "wal_log_hints",
    "synchronous_commit", "synchronous_standby_names", "primary_conninfo", "primary_slot_name",
    "wal_retrieve_retry_interval", "wal_keep_size", "restore_command", "recovery_target_timeline",
    /* Performance Insights' pg_stat_statements (nodeconf.c). */
    "shared_preload_libraries",
};

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool spec_valid_sql_name(const char *s)
{
    if (!s || !*s || strlen(s) > 63)
        return false;
    if (!is_lower(s[0]) && !is_upper(s[0]) && s[0] != '_')
        return false;
    for (const char *p = s; *p; p++)
        if (!is_lower(*p) && !is_upper(*p) && !is_digit(*p) && *p != '_')
            return false;
    return true;
}

bool spec_valid_setting_key(const char *s)
{
    if (!s || !*s || strlen(s) > 63)
        return false;
    if (!is_lower(s[0]) && s[0] != '_')
        return false;
    for (const char *p = s; *p; p++)
        if (!is_lower(*p) && !is_digit(*p) && *p != '_' && *p != '.')
            return false;
    for (size_t i = 0; i < sizeof managed_keys / sizeof managed_keys[0]; i++)
        if (strcmp(s, managed_keys[i]) == 0)
            return false;
    return true;
}

bool spec_valid_node_id(const char *s)
{
    if (!s || !*s || strlen(s) > 80)
        return false;
    for (const char *p = s; *p; p++)
        if (!is_lower(*p) && !is_digit(*p) && *p != '-')
            return false;
    return true;
}

bool spec_is_standby(const node_spec *spec)
{
    return spec->role && strcmp(spec->role, "standby") == 0;
}

static bool valid_instance_id(const char *s)
{
    if (!s || !*s || strlen(s) > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!is_lower(*p) && !is_upper(*p) && !is_digit(*p) && *p != '-')
            return false;
    return true;
}

static bool valid_role(const char *s)
{
    if (!s || !*s || strlen(s) > 32)
        return false;
    for (const char *p = s; *p; p++)
        if (!is_lower(*p) && *p != '_')
            return false;
    return true;
}

/* The host's network (spec_set_network): written once by main before the
 * loop, read-only after. */
static char net_vpc[20] = "127.0.0.0/8", net_region[20] = "127.0.0.1/32";

bool spec_set_network(const char *vpc, const char *region)
{
    cidr v, r;
    if (!vpc || !region || strlen(vpc) >= sizeof net_vpc || strlen(region) >= sizeof net_region ||
        !cidr_parse(vpc, &v) || !cidr_parse(region, &r) || !cidr_covers(&v, &r))
        return false;
    snprintf(net_vpc, sizeof net_vpc, "%s", vpc);
    snprintf(net_region, sizeof net_region, "%s", region);
    return true;
}

const char *spec_vpc_cidr(void) { return net_vpc; }
const char *spec_region_cidr(void) { return net_region; }

/* A dotted IPv4 address inside block. */
static bool addr_in(const char *s, const char *block)
{
    cidr c;
    uint32_t a;
    return s && strlen(s) <= 15 && cidr_parse(block, &c) && cidr_parse_addr(s, &a) &&
           cidr_contains(&c, a);
}

/* A node's address: inside the VPC (loopback mode: 127.0.0.0/8). */
static bool valid_vpc_addr(const char *s) { return addr_in(s, net_vpc); }

/* The KMS a restore decrypts with is the controlplane: "http://ADDR:" with
 * ADDR on the loopback (loopback mode) or among the region's own addresses
 * (namespace mode's gateway), never a tenant-chosen host. */
static bool valid_kms_url(const char *s)
{
    if (!s || strncmp(s, "http://", 7) != 0)
        return false;
    const char *host = s + 7;
    size_t n = strcspn(host, ":/");
    if (n == 0 || n > 15 || host[n] != ':')
        return false;
    char addr[16];
    memcpy(addr, host, n);
    addr[n] = '\0';
    return addr_in(addr, "127.0.0.0/8") || addr_in(addr, net_region);
}

/* Printable ASCII or UTF-8 bytes, no control characters: the value goes
 * between quotes on one line of rdsim.conf. */
static bool valid_text(const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p < 0x20 || *p == 0x7f || n >= max)
            return false;
    return true;
}

/* Returns the string member, or NULL if absent; *bad is set if present but
 * not a string. */
static const char *get_string(const cJSON *obj, const char *name, bool *bad)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!it || cJSON_IsNull(it))
        return NULL;
    if (!cJSON_IsString(it) || !it->valuestring) {
        *bad = true;
        return NULL;
    }
    return it->valuestring;
}

static int setting_cmp(const void *a, const void *b)
{
    return strcmp(((const spec_setting *)a)->key, ((const spec_setting *)b)->key);
}

static bool fail(char *err, size_t errlen, const char *why, const char *field)
{
    snprintf(err, errlen, "%s: %s", why, field);
    return false;
}

/* An object of settings (member "settings" or "parameters") into a sorted
 * array. */
static bool parse_kv(const cJSON *obj, const char *member, spec_setting **list, size_t *n,
                     char *err, size_t errlen)
{
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(obj, member);
    if (!set || cJSON_IsNull(set))
        return true;
    if (!cJSON_IsObject(set))
        return fail(err, errlen, "not an object", member);
    int count = cJSON_GetArraySize(set);
    if (count > SPEC_MAX_SETTINGS)
        return fail(err, errlen, "too many", member);
    *list = xcalloc((size_t)count + 1, sizeof **list);
    const cJSON *it;
    cJSON_ArrayForEach(it, set) {
        char num[32];
        const char *value = NULL;
        if (cJSON_IsString(it) && it->valuestring)
            value = it->valuestring;
        else if (cJSON_IsNumber(it)) {
            /* Integers as integers; the controlplane normally sends strings. */
            double d = it->valuedouble;
            if (d == (double)(long long)d)
                snprintf(num, sizeof num, "%lld", (long long)d);
            else
                snprintf(num, sizeof num, "%.17g", d);
            value = num;
        } else if (cJSON_IsBool(it))
            value = cJSON_IsTrue(it) ? "on" : "off";
        if (!it->string || !spec_valid_setting_key(it->string))
            return fail(err, errlen, "setting not allowed", it->string ? it->string : "?");
        if (!value || !valid_text(value, SPEC_MAX_VALUE))
            return fail(err, errlen, "bad setting value", it->string);
        spec_setting *s = &(*list)[(*n)++];
        s->key = xstrdup(it->string);
        s->value = xstrdup(value);
    }
    if (*n > 1)
        qsort(*list, *n, sizeof **list, setting_cmp);
    for (size_t i = 1; i < *n; i++)
        if (strcmp((*list)[i - 1].key, (*list)[i].key) == 0)
            return fail(err, errlen, "duplicate setting", (*list)[i].key);
    return true;
}

static bool parse_settings(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    if (!parse_kv(obj, "settings", &out->settings, &out->nsettings, err, errlen) ||
        !parse_kv(obj, "parameters", &out->params, &out->nparams, err, errlen))
        return false;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "parameters_id");
    if (!id || cJSON_IsNull(id))
        return true;
    const char *s = cJSON_IsString(id) ? id->valuestring : NULL;
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 32 || strspn(s, "0123456789abcdef") != len)
        return fail(err, errlen, "invalid", "parameters_id");
    out->params_id = xstrdup(s);
    return true;
}

static bool valid_port(const cJSON *port)
{
    return cJSON_IsNumber(port) && port->valuedouble >= 1 && port->valuedouble <= 65535 &&
           port->valuedouble == (double)(int)port->valuedouble;
}

bool spec_valid_slot(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* "slots": absent or null = not managed; else an array of slot names. */
static bool parse_slots(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "slots");
    if (!arr || cJSON_IsNull(arr))
        return true;
    if (!cJSON_IsArray(arr))
        return fail(err, errlen, "not an array", "slots");
    int count = cJSON_GetArraySize(arr);
    if (count > SPEC_MAX_SLOTS)
        return fail(err, errlen, "too many", "slots");
    out->has_slots = true;
    out->slots = xcalloc((size_t)count + 1, sizeof *out->slots);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it) || !spec_valid_slot(it->valuestring))
            return fail(err, errlen, "invalid slot name in", "slots");
        for (size_t i = 0; i < out->nslots; i++)
            if (strcmp(out->slots[i], it->valuestring) == 0)
                return fail(err, errlen, "duplicate slot name in", "slots");
        out->slots[out->nslots++] = xstrdup(it->valuestring);
    }
    return true;
}

/* The Multi-AZ fields: supervise, rebuild_seq, replication, upstream,
 * sync_standbys; the read replicas' slots. */
static bool parse_ha(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    bool bad = false;
    const char *supervise = get_string(obj, "supervise", &bad);
    if (bad || (supervise && strcmp(supervise, "restart") != 0 && strcmp(supervise, "report") != 0))
        return fail(err, errlen, "must be \"restart\" or \"report\"", "supervise");
    out->supervise_report = supervise && strcmp(supervise, "report") == 0;
    out->iam_db_auth = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "iam_db_auth"));
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(obj, "initialized");
    if (init && !cJSON_IsBool(init))
        return fail(err, errlen, "must be a boolean", "initialized");
    out->initialized = cJSON_IsTrue(init);
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(obj, "rebuild_seq");
    if (seq && !cJSON_IsNull(seq)) {
        if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 ||
            seq->valuedouble > (double)SPEC_MAX_COUNT ||
            seq->valuedouble != (double)(int64_t)seq->valuedouble)
            return fail(err, errlen, "invalid", "rebuild_seq");
        out->rebuild_seq = (int64_t)seq->valuedouble;
    }
    const cJSON *repl = cJSON_GetObjectItemCaseSensitive(obj, "replication");
    if (repl && !cJSON_IsNull(repl)) {
        if (!cJSON_IsObject(repl))
            return fail(err, errlen, "not an object", "replication");
        const char *user = get_string(repl, "user", &bad);
        const char *password = get_string(repl, "password", &bad);
        if (bad || !spec_valid_sql_name(user))
            return fail(err, errlen, "invalid or missing", "replication.user");
        if (password && (!*password || !valid_text(password, SPEC_MAX_PASSWORD)))
            return fail(err, errlen, "invalid", "replication.password");
        out->repl_user = xstrdup(user);
        out->repl_password = password ? xstrdup(password) : NULL;
    }
    const cJSON *up = cJSON_GetObjectItemCaseSensitive(obj, "upstream");
    if (up && !cJSON_IsNull(up)) {
        if (!cJSON_IsObject(up))
            return fail(err, errlen, "not an object", "upstream");
        const char *id = get_string(up, "node_id", &bad);
        const char *addr = get_string(up, "addr", &bad);
        if (bad || !spec_valid_node_id(id))
            return fail(err, errlen, "invalid or missing", "upstream.node_id");
        if (!valid_vpc_addr(addr))
            return fail(err, errlen, "invalid or missing (must be in the VPC)",
                        "upstream.addr");
        const cJSON *port = cJSON_GetObjectItemCaseSensitive(up, "port");
        if (!valid_port(port))
            return fail(err, errlen, "invalid or missing", "upstream.port");
        const char *slot = get_string(up, "slot", &bad);
        if (bad || (slot && !spec_valid_slot(slot)))
            return fail(err, errlen, "invalid", "upstream.slot");
        out->has_upstream = true;
        out->upstream.node_id = xstrdup(id);
        out->upstream.addr = xstrdup(addr);
        out->upstream.port = (int)port->valuedouble;
        out->upstream.slot = slot ? xstrdup(slot) : NULL;
        out->upstream.follow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(up, "follow"));
    }
    if (!parse_slots(obj, out, err, errlen))
        return false;
    const cJSON *sync = cJSON_GetObjectItemCaseSensitive(obj, "sync_standbys");
    if (sync && !cJSON_IsNull(sync)) {
        if (!cJSON_IsArray(sync))
            return fail(err, errlen, "not an array", "sync_standbys");
        int count = cJSON_GetArraySize(sync);
        if (count > SPEC_MAX_SYNC)
            return fail(err, errlen, "too many", "sync_standbys");
        out->sync_standbys = xcalloc((size_t)count + 1, sizeof *out->sync_standbys);
        const cJSON *it;
        cJSON_ArrayForEach(it, sync) {
            if (!cJSON_IsString(it) || !spec_valid_node_id(it->valuestring))
                return fail(err, errlen, "invalid node id in", "sync_standbys");
            for (size_t i = 0; i < out->nsync; i++)
                if (strcmp(out->sync_standbys[i], it->valuestring) == 0)
                    return fail(err, errlen, "duplicate node id in", "sync_standbys");
            out->sync_standbys[out->nsync++] = xstrdup(it->valuestring);
        }
    }
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(obj, "sync_method");
    if (method && !cJSON_IsNull(method)) {
        if (!cJSON_IsString(method) || (strcmp(method->valuestring, "any") != 0 &&
                                        strcmp(method->valuestring, "first") != 0))
            return fail(err, errlen, "not \"any\" or \"first\"", "sync_method");
        out->sync_any = strcmp(method->valuestring, "any") == 0;
    }
    return true;
}

/* allowed_cidrs: absent or null = the default rule; else an array (maybe
 * empty: no client address at all) of canonical CIDR blocks. */
static bool parse_hba(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "allowed_cidrs");
    if (!arr || cJSON_IsNull(arr))
        return true;
    if (!cJSON_IsArray(arr))
        return fail(err, errlen, "not an array", "allowed_cidrs");
    int count = cJSON_GetArraySize(arr);
    if (count > SPEC_MAX_HBA)
        return fail(err, errlen, "too many", "allowed_cidrs");
    out->has_hba = true;
    out->allowed_cidrs = xcalloc((size_t)count + 1, sizeof *out->allowed_cidrs);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        cidr c;
        if (!cJSON_IsString(it) || !cidr_parse(it->valuestring, &c))
            return fail(err, errlen, "invalid CIDR block in", "allowed_cidrs");
        out->allowed_cidrs[out->nhba++] = xstrdup(it->valuestring);
    }
    return true;
}

bool spec_valid_restore_path(const char *s)
{
    return s && s[0] == '/' && valid_text(s, SPEC_MAX_PATH) && !strstr(s, "..") &&
           !strstr(s, "//");
}

/* The controlplane's restore routes (issue 17 part 4): the same hosts as
 * a KMS URL, a numeric port, then /agent/v1/restore/ and a path of
 * [A-Za-z0-9/_.-] without "..", "//", a query or an escape. */
bool spec_valid_restore_url(const char *s)
{
    static const char route[] = "/agent/v1/restore/";
    if (!valid_kms_url(s) || !valid_text(s, SPEC_MAX_PATH))
        return false;
    const char *port = strchr(s + 7, ':') + 1;
    size_t digits = strspn(port, "0123456789");
    if (digits == 0 || digits > 5 || atol(port) > 65535)
        return false;
    const char *path = port + digits;
    if (strncmp(path, route, sizeof route - 1) != 0 || strstr(path, "..") ||
        strstr(path, "//"))
        return false;
    for (const char *p = path; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_.-", *p))
            return false;
    return true;
}

bool spec_valid_restore_source(const char *s)
{
    return spec_valid_restore_path(s) || spec_valid_restore_url(s);
}

bool spec_valid_restore_target(const char *s)
{
    /* "2026-11-24 10:43:14.550+00": digits and the separators only. */
    size_t n = s ? strlen(s) : 0;
    if (n < 19 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789-: .+", s[i]))
            return false;
    return true;
}

/* "restore": {"path": ..., "kms": ..., ["wal": ..., "target": ...]},
 * optional. */
static bool parse_restore(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(obj, "restore");
    if (!rs || cJSON_IsNull(rs))
        return true;
    if (!cJSON_IsObject(rs))
        return fail(err, errlen, "not an object", "restore");
    bool bad = false;
    const char *path = get_string(rs, "path", &bad);
    const char *kms = get_string(rs, "kms", &bad);
    if (bad || !spec_valid_restore_source(path))
        return fail(err, errlen, "invalid or missing", "restore.path");
    if (!valid_kms_url(kms) || !valid_text(kms, SPEC_MAX_PATH))
        return fail(err, errlen, "invalid or missing", "restore.kms");
    /* A point-in-time restore also names the WAL archive and the target. */
    const char *wal = get_string(rs, "wal", &bad);
    const char *target = get_string(rs, "target", &bad);
    if (bad || (wal != NULL) != (target != NULL) || (wal && !spec_valid_restore_source(wal)))
        return fail(err, errlen, "invalid", "restore.wal");
    if (target && !spec_valid_restore_target(target))
        return fail(err, errlen, "invalid", "restore.target");
    out->restore_path = xstrdup(path);
    out->restore_kms = xstrdup(kms);
    out->restore_wal = wal ? xstrdup(wal) : NULL;
    out->restore_target = target ? xstrdup(target) : NULL;
    return true;
}

bool spec_valid_pem(const char *s, const char *label)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SPEC_MAX_PEM)
        return false;
    char begin[64], end[64];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----\n", label);
    snprintf(end, sizeof end, "-----END %s-----\n", label);
    size_t bl = strlen(begin), el = strlen(end);
    if (n < bl + el || strncmp(s, begin, bl) != 0 || strcmp(s + n - el, end) != 0)
        return false;
    for (size_t i = bl; i < n - el; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/' || s[i] == '=' ||
              s[i] == '\n'))
            return false;
    return true;
}

/* "tls": {"ca": id, "cert": PEM, ["key": PEM]} and "force_ssl", optional;
 * the key arrives sealed (heartbeat.c opens it) or not at all. */
static bool parse_tls(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "tls");
    if (!t || cJSON_IsNull(t))
        return true;
    if (!cJSON_IsObject(t))
        return fail(err, errlen, "not an object", "tls");
    bool bad = false;
    const char *ca = get_string(t, "ca", &bad);
    const char *cert = get_string(t, "cert", &bad);
    const char *key = get_string(t, "key", &bad);
    if (bad || !spec_valid_node_id(ca) || strlen(ca) > 63)
        return fail(err, errlen, "invalid or missing", "tls.ca");
    if (!spec_valid_pem(cert, "CERTIFICATE"))
        return fail(err, errlen, "invalid or missing", "tls.cert");
    if (key && !spec_valid_pem(key, "PRIVATE KEY"))
        return fail(err, errlen, "invalid", "tls.key");
    out->tls_ca = xstrdup(ca);
    out->tls_cert = xstrdup(cert);
    out->tls_key = key ? xstrdup(key) : NULL;
    out->force_ssl = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "force_ssl"));
    return true;
}

static bool spec_parse(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "not an object", "spec");
    bool bad = false;
    const char *instance_id = get_string(obj, "instance_id", &bad);
    const char *addr = get_string(obj, "addr", &bad);
    const char *role = get_string(obj, "role", &bad);
    const char *user = get_string(obj, "master_username", &bad);
    const char *verifier = get_string(obj, "master_verifier", &bad);
    const char *admin = get_string(obj, "admin_verifier", &bad);
    const char *db_name = get_string(obj, "db_name", &bad);
    if (bad)
        return fail(err, errlen, "field of the wrong type", "spec");
    if (!valid_instance_id(instance_id))
        return fail(err, errlen, "invalid or missing", "instance_id");
    if (!valid_vpc_addr(addr))
        return fail(err, errlen, "invalid or missing (must be in the VPC)", "addr");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(obj, "port");
    if (!valid_port(port))
        return fail(err, errlen, "invalid or missing", "port");
    if (role && !valid_role(role))
        return fail(err, errlen, "invalid", "role");
    if (!spec_valid_sql_name(user))
        return fail(err, errlen, "invalid or missing", "master_username");
    if (verifier && !scram_is_verifier(verifier))
        return fail(err, errlen, "invalid (not a SCRAM-SHA-256 verifier)", "master_verifier");
    if (admin && !scram_is_verifier(admin))
        return fail(err, errlen, "invalid (not a SCRAM-SHA-256 verifier)", "admin_verifier");
    if (db_name && *db_name && !spec_valid_sql_name(db_name))
        return fail(err, errlen, "invalid", "db_name");
    out->instance_id = xstrdup(instance_id);
    out->addr = xstrdup(addr);
    out->port = (int)port->valuedouble;
    out->role = xstrdup(role ? role : "primary");
    out->master_username = xstrdup(user);
    out->master_verifier = verifier ? xstrdup(verifier) : NULL;
    out->admin_verifier = admin ? xstrdup(admin) : NULL;
    out->db_name = (db_name && *db_name) ? xstrdup(db_name) : NULL;
    return parse_settings(obj, out, err, errlen) && parse_ha(obj, out, err, errlen) &&
           parse_hba(obj, out, err, errlen) &&
           parse_restore(obj, out, err, errlen) && parse_tls(obj, out, err, errlen);
}

bool spec_from_json(const cJSON *obj, node_spec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (spec_parse(obj, out, err, errlen))
        return true;
    spec_free(out);
    return false;
}

cJSON *spec_to_json(const node_spec *spec)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "instance_id", spec->instance_id);
    cJSON_AddStringToObject(o, "addr", spec->addr);
    cJSON_AddNumberToObject(o, "port", spec->port);
    cJSON_AddStringToObject(o, "role", spec->role);
    cJSON_AddStringToObject(o, "master_username", spec->master_username);
    if (spec->db_name)
        cJSON_AddStringToObject(o, "db_name", spec->db_name);
    cJSON *set = cJSON_AddObjectToObject(o, "settings");
    for (size_t i = 0; i < spec->nsettings; i++)
        cJSON_AddStringToObject(set, spec->settings[i].key, spec->settings[i].value);
    if (spec->params_id) {
        cJSON *prm = cJSON_AddObjectToObject(o, "parameters");
        for (size_t i = 0; i < spec->nparams; i++)
            cJSON_AddStringToObject(prm, spec->params[i].key, spec->params[i].value);
        cJSON_AddStringToObject(o, "parameters_id", spec->params_id);
    }
    cJSON_AddStringToObject(o, "supervise", spec->supervise_report ? "report" : "restart");
    if (spec->iam_db_auth)
        cJSON_AddTrueToObject(o, "iam_db_auth");
    if (spec->initialized)
        cJSON_AddTrueToObject(o, "initialized");
    cJSON_AddNumberToObject(o, "rebuild_seq", (double)spec->rebuild_seq);
    if (spec->tls_cert) {
        cJSON *t = cJSON_AddObjectToObject(o, "tls");
        cJSON_AddStringToObject(t, "ca", spec->tls_ca);
        cJSON_AddStringToObject(t, "cert", spec->tls_cert);
        if (spec->force_ssl)
            cJSON_AddTrueToObject(o, "force_ssl");
    }
    if (spec->repl_user) {
        cJSON *repl = cJSON_AddObjectToObject(o, "replication");
        cJSON_AddStringToObject(repl, "user", spec->repl_user);
    }
    if (spec->has_upstream) {
        cJSON *up = cJSON_AddObjectToObject(o, "upstream");
        cJSON_AddStringToObject(up, "node_id", spec->upstream.node_id);
        cJSON_AddStringToObject(up, "addr", spec->upstream.addr);
        cJSON_AddNumberToObject(up, "port", spec->upstream.port);
        if (spec->upstream.slot)
            cJSON_AddStringToObject(up, "slot", spec->upstream.slot);
        if (spec->upstream.follow)
            cJSON_AddTrueToObject(up, "follow");
    }
    if (spec->has_slots) {
        cJSON *sl = cJSON_AddArrayToObject(o, "slots");
        for (size_t i = 0; i < spec->nslots; i++)
            cJSON_AddItemToArray(sl, cJSON_CreateString(spec->slots[i]));
    }
    if (spec->sync_standbys) {
        cJSON *sync = cJSON_AddArrayToObject(o, "sync_standbys");
        for (size_t i = 0; i < spec->nsync; i++)
            cJSON_AddItemToArray(sync, cJSON_CreateString(spec->sync_standbys[i]));
    }
    if (spec->sync_any)
        cJSON_AddStringToObject(o, "sync_method", "any");
    if (spec->has_hba) {
        cJSON *hba = cJSON_AddArrayToObject(o, "allowed_cidrs");
        for (size_t i = 0; i < spec->nhba; i++)
            cJSON_AddItemToArray(hba, cJSON_CreateString(spec->allowed_cidrs[i]));
    }
    if (spec->restore_path) {
        cJSON *rs = cJSON_AddObjectToObject(o, "restore");
        cJSON_AddStringToObject(rs, "path", spec->restore_path);
        cJSON_AddStringToObject(rs, "kms", spec->restore_kms);
        if (spec->restore_wal) {
            cJSON_AddStringToObject(rs, "wal", spec->restore_wal);
            cJSON_AddStringToObject(rs, "target", spec->restore_target);
        }
    }
    return o;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void spec_copy(node_spec *dst, const node_spec *src)
{
    dst->instance_id = dup_or_null(src->instance_id);
    dst->addr = dup_or_null(src->addr);
    dst->port = src->port;
    dst->role = dup_or_null(src->role);
    dst->master_username = dup_or_null(src->master_username);
    dst->master_verifier = dup_or_null(src->master_verifier);
    dst->admin_verifier = dup_or_null(src->admin_verifier);
    dst->db_name = dup_or_null(src->db_name);
    dst->nsettings = src->nsettings;
    dst->settings = xcalloc(src->nsettings + 1, sizeof *dst->settings);
    for (size_t i = 0; i < src->nsettings; i++) {
        dst->settings[i].key = xstrdup(src->settings[i].key);
        dst->settings[i].value = xstrdup(src->settings[i].value);
    }
    dst->nparams = src->nparams;
    dst->params = xcalloc(src->nparams + 1, sizeof *dst->params);
    for (size_t i = 0; i < src->nparams; i++) {
        dst->params[i].key = xstrdup(src->params[i].key);
        dst->params[i].value = xstrdup(src->params[i].value);
    }
    dst->params_id = dup_or_null(src->params_id);
    dst->supervise_report = src->supervise_report;
    dst->iam_db_auth = src->iam_db_auth;
    dst->initialized = src->initialized;
    dst->rebuild_seq = src->rebuild_seq;
    dst->repl_user = dup_or_null(src->repl_user);
    dst->repl_password = dup_or_null(src->repl_password);
    dst->has_upstream = src->has_upstream;
    dst->upstream.node_id = dup_or_null(src->upstream.node_id);
    dst->upstream.addr = dup_or_null(src->upstream.addr);
    dst->upstream.port = src->upstream.port;
    dst->upstream.slot = dup_or_null(src->upstream.slot);
    dst->upstream.follow = src->upstream.follow;
    dst->has_slots = src->has_slots;
    dst->nslots = src->nslots;
    dst->slots = NULL;
    if (src->slots) {
        dst->slots = xcalloc(src->nslots + 1, sizeof *dst->slots);
        for (size_t i = 0; i < src->nslots; i++)
            dst->slots[i] = xstrdup(src->slots[i]);
    }
    dst->restore_path = dup_or_null(src->restore_path);
    dst->restore_kms = dup_or_null(src->restore_kms);
    dst->restore_wal = dup_or_null(src->restore_wal);
    dst->restore_target = dup_or_null(src->restore_target);
    dst->nsync = src->nsync;
    dst->sync_any = src->sync_any;
    dst->sync_standbys = NULL;
    if (src->sync_standbys) {
        dst->sync_standbys = xcalloc(src->nsync + 1, sizeof *dst->sync_standbys);
        for (size_t i = 0; i < src->nsync; i++)
            dst->sync_standbys[i] = xstrdup(src->sync_standbys[i]);
    }
    dst->tls_ca = dup_or_null(src->tls_ca);
    dst->tls_cert = dup_or_null(src->tls_cert);
    dst->tls_key = dup_or_null(src->tls_key);
    dst->force_ssl = src->force_ssl;
    dst->has_hba = src->has_hba;
    dst->nhba = src->nhba;
    dst->allowed_cidrs = NULL;
    if (src->allowed_cidrs) {
        dst->allowed_cidrs = xcalloc(src->nhba + 1, sizeof *dst->allowed_cidrs);
        for (size_t i = 0; i < src->nhba; i++)
            dst->allowed_cidrs[i] = xstrdup(src->allowed_cidrs[i]);
    }
}

static bool str_same(const char *a, const char *b)
{
    return (a && b) ? strcmp(a, b) == 0 : a == b;
}

bool spec_same(const node_spec *a, const node_spec *b)
{
    if (!str_same(a->instance_id, b->instance_id) || !str_same(a->addr, b->addr) ||
        a->port != b->port || !str_same(a->role, b->role) ||
        !str_same(a->master_username, b->master_username) || !str_same(a->db_name, b->db_name) ||
        a->nsettings != b->nsettings || a->supervise_report != b->supervise_report ||
        a->iam_db_auth != b->iam_db_auth || a->initialized != b->initialized ||
        a->rebuild_seq != b->rebuild_seq || !str_same(a->repl_user, b->repl_user) ||
        a->has_upstream != b->has_upstream ||
        !str_same(a->upstream.node_id, b->upstream.node_id) ||
        !str_same(a->upstream.addr, b->upstream.addr) || a->upstream.port != b->upstream.port ||
        !str_same(a->upstream.slot, b->upstream.slot) || a->upstream.follow != b->upstream.follow ||
        a->has_slots != b->has_slots || a->nslots != b->nslots ||
        a->nsync != b->nsync || a->sync_any != b->sync_any || a->has_hba != b->has_hba ||
        a->nhba != b->nhba ||
        !str_same(a->restore_path, b->restore_path) ||
        !str_same(a->restore_kms, b->restore_kms) ||
        !str_same(a->restore_wal, b->restore_wal) ||
        !str_same(a->restore_target, b->restore_target) || a->nparams != b->nparams ||
        !str_same(a->params_id, b->params_id) || !str_same(a->tls_ca, b->tls_ca) ||
        !str_same(a->tls_cert, b->tls_cert) || a->force_ssl != b->force_ssl)
        return false;
    for (size_t i = 0; i < a->nparams; i++)
        if (strcmp(a->params[i].key, b->params[i].key) != 0 ||
            strcmp(a->params[i].value, b->params[i].value) != 0)
            return false;
    for (size_t i = 0; i < a->nhba; i++)
        if (strcmp(a->allowed_cidrs[i], b->allowed_cidrs[i]) != 0)
            return false;
    for (size_t i = 0; i < a->nsync; i++)
        if (strcmp(a->sync_standbys[i], b->sync_standbys[i]) != 0)
            return false;
    for (size_t i = 0; i < a->nslots; i++)
        if (strcmp(a->slots[i], b->slots[i]) != 0)
            return false;
    for (size_t i = 0; i < a->nsettings; i++)
        if (strcmp(a->settings[i].key, b->settings[i].key) != 0 ||
            strcmp(a->settings[i].value, b->settings[i].value) != 0)
            return false;
    return true;
}

/* volatile so the wipe is not optimised away before free. */
static void free_secret(char *s)
{
    if (!s)
        return;
    for (volatile char *p = s; *p; p++)
        *p = 0;
    free(s);
}

void spec_free(node_spec *spec)
{
    free(spec->instance_id);
    free(spec->addr);
    free(spec->role);
    free(spec->master_username);
    free_secret(spec->master_verifier);
    free_secret(spec->admin_verifier);
    free(spec->repl_user);
    free_secret(spec->repl_password);
    free(spec->upstream.node_id);
    free(spec->upstream.addr);
    free(spec->upstream.slot);
    for (size_t i = 0; i < spec->nslots; i++)
        free(spec->slots[i]);
    free(spec->slots);
    free(spec->restore_path);
    free(spec->restore_kms);
    free(spec->restore_wal);
    free(spec->restore_target);
    for (size_t i = 0; i < spec->nsync; i++)
        free(spec->sync_standbys[i]);
    free(spec->sync_standbys);
    for (size_t i = 0; i < spec->nhba; i++)
        free(spec->allowed_cidrs[i]);
    free(spec->allowed_cidrs);
    free(spec->db_name);
    for (size_t i = 0; i < spec->nsettings; i++) {
        free(spec->settings[i].key);
        free(spec->settings[i].value);
    }
    free(spec->settings);
    for (size_t i = 0; i < spec->nparams; i++) {
        free(spec->params[i].key);
        free(spec->params[i].value);
    }
    free(spec->params);
    free(spec->params_id);
    free(spec->tls_ca);
    free(spec->tls_cert);
    free_secret(spec->tls_key);
    memset(spec, 0, sizeof *spec);
}
