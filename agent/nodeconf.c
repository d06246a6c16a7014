/* nodeconf: the text of a node's files. See nodeconf.h.
 *
 * Two levels of quoting meet in primary_conninfo: a libpq connection string
 * (values in '…' with \' and \\) inside a PostgreSQL configuration string
 * literal (' doubled, \ doubled). Each level has its own helper so neither
 * is forgotten. */
#include "agent/nodeconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* A PostgreSQL configuration string literal: '' for ', \\ for \. */
static void put_quoted(sbuf *b, const char *s)
{
    sbuf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            sbuf_putc(b, *s);
        sbuf_putc(b, *s);
    }
    sbuf_putc(b, '\'');
}

static void put_setting(sbuf *b, const char *key, const char *value)
{
    sbuf_printf(b, "%s = ", key);
    put_quoted(b, value);
    sbuf_putc(b, '\n');
}

/* One "key='value' " of a libpq connection string. */
static void put_conninfo(sbuf *b, const char *key, const char *value)
{
    sbuf_printf(b, "%s%s='", b->len ? " " : "", key);
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            sbuf_putc(b, '\\');
        sbuf_putc(b, *p);
    }
    sbuf_putc(b, '\'');
}

/* primary_conninfo of a standby: the password is read from the passfile by
 * the walreceiver at each connection, so rdsim.conf holds no secret and can
 * be rendered without knowing the password (after an agent restart). */
static char *render_conninfo(const char *node_dir, const char *node_id, const node_spec *spec)
{
    sbuf b = {0};
    char port[16];
    snprintf(port, sizeof port, "%d", spec->upstream.port);
    char *passfile = xasprintf("%s/repl.pgpass", node_dir);
    put_conninfo(&b, "host", spec->upstream.addr);
    put_conninfo(&b, "port", port);
    put_conninfo(&b, "user", spec->repl_user);
    put_conninfo(&b, "passfile", passfile);
    put_conninfo(&b, "application_name", node_id);
    put_conninfo(&b, "connect_timeout", "5");
    free(passfile);
    return sbuf_take(&b);
}

/* 'FIRST 1 ("a", "b")': node ids hold '-', so each is double-quoted. */
static char *render_sync_names(const node_spec *spec)
{
    if (spec->nsync == 0)
        return xstrdup("");
    sbuf b = {0};
    sbuf_puts(&b, spec->sync_any ? "ANY 1 (" : "FIRST 1 (");
    for (size_t i = 0; i < spec->nsync; i++)
        sbuf_printf(&b, "%s\"%s\"", i ? ", " : "", spec->sync_standbys[i]);
    sbuf_putc(&b, ')');
    return sbuf_take(&b);
}

char *nodeconf_render_conf(const char *node_dir, const char *node_id, const node_spec *spec)
{
    sbuf b = {0};
    sbuf_puts(&b, "# Written by rds-agent from the node's spec; rewritten on every change.\n");
    sbuf_printf(&b, "# instance_id = %s, role = %s\n", spec->instance_id, spec->role);
    /* The spec's settings first; spec_valid_setting_key keeps them from
     * naming the keys below, which the agent owns. */
    for (size_t i = 0; i < spec->nsettings; i++)
        put_setting(&b, spec->settings[i].key, spec->settings[i].value);
    put_setting(&b, "include_if_exists", "rdsim-params.conf");
    char *sock = xasprintf("%s/sock", node_dir);
    char *log = xasprintf("%s/log", node_dir);
    char port[16];
    snprintf(port, sizeof port, "%d", spec->port);
    put_setting(&b, "listen_addresses", spec->addr);
    put_setting(&b, "port", port);
    put_setting(&b, "unix_socket_directories", sock);
    put_setting(&b, "password_encryption", "scram-sha-256");
    put_setting(&b, "logging_collector", "on");
    put_setting(&b, "log_directory", log);
    put_setting(&b, "log_filename", "postgresql.log.%Y-%m-%d-%H");
    /* One file per UTC hour, named as RDS names them (agent/pglogs.h). */
    put_setting(&b, "log_rotation_age", "60");
    put_setting(&b, "log_timezone", "UTC");
    free(sock);
    free(log);
    /* Every node can be a primary or a standby: the same settings on both
     * let a promotion or a rejoin happen without a restart. wal_log_hints
     * is what pg_rewind needs (initdb runs without data checksums). */
    put_setting(&b, "wal_level", "replica");
    /* A standby, up to 15 read replicas (issue 15), backups and rewinds;
     * a standby needs at least its primary's values, so every node has
     * the same. */
    put_setting(&b, "max_wal_senders", "25");
    put_setting(&b, "max_replication_slots", "25");
    put_setting(&b, "hot_standby", "on");
    put_setting(&b, "wal_log_hints", "on");
    /* pg_rewind reads the old primary's WAL back to the last checkpoint
     * before the divergence: keep it (and a lagging standby's WAL). */
    put_setting(&b, "wal_keep_size", "256MB");
    /* A standby told to promote while its primary is gone first waits out
     * this interval since the stream failed (PostgreSQL 15's recovery
     * loop), so it bounds a crash failover: at 1 s, half of them took a
     * second longer. A retry every 100 ms costs nothing on loopback. */
    put_setting(&b, "wal_retrieve_retry_interval", "100ms");
    put_setting(&b, "synchronous_commit", "on");
    /* Performance Insights (controlplane/obs/pisampler.h): preloaded on
     * every node, as on RDS; compute_query_id's default (auto) then gives
     * pg_stat_activity.query_id, which joins pg_stat_statements.queryid. */
    put_setting(&b, "shared_preload_libraries", "pg_stat_statements");
    /* TLS (issue 14): the node's certificate from the region's CA; the
     * files sit in the data directory, written by the agent. */
    if (spec->tls_cert) {
        put_setting(&b, "ssl", "on");
        put_setting(&b, "ssl_cert_file", "server.crt");
        put_setting(&b, "ssl_key_file", "server.key");
    }
    char *sync = render_sync_names(spec);
    put_setting(&b, "synchronous_standby_names", sync);
    free(sync);
    if (spec_is_standby(spec) && spec->has_upstream && spec->repl_user) {
        char *ci = render_conninfo(node_dir, node_id, spec);
        put_setting(&b, "primary_conninfo", ci);
        free(ci);
        /* A read replica streams through its slot on the upstream. */
        if (spec->upstream.slot)
            put_setting(&b, "primary_slot_name", spec->upstream.slot);
    }
    /* Last, so it wins over everything above: a standby's hot standby
     * floor (nodeconf.h), written by the agent before each start. */
    put_setting(&b, "include_if_exists", "rdsim-floor.conf");
    return sbuf_take(&b);
}

char *nodeconf_render_params(const node_spec *spec)
{
    sbuf b = {0};
    sbuf_printf(&b, "# Written by rds-agent: the DB parameter group (parameters_id = %s).\n",
                spec->params_id ? spec->params_id : "none");
    for (size_t i = 0; i < spec->nparams; i++)
        put_setting(&b, spec->params[i].key, spec->params[i].value);
    return sbuf_take(&b);
}

/* rdsadmin, the bootstrap superuser (RDS's role model, README "Roles"):
 * over the unix socket only as the pg OS user (peer, pg_ident.conf's map
 * "rdsim"), which is how the agent itself connects; over TCP only from the
 * region's own address with its password (the controlplane's probes,
 * archiver and backups); from anywhere else, never. First match wins. */
static const char hba_admin_local[] = "local   all          rdsadmin            peer map=rdsim\n";
static void hba_admin_host(sbuf *b)
{
    const char *own = spec_region_cidr();
    sbuf_printf(b,
                "host    all          rdsadmin %-13s scram-sha-256\n"
                "host    replication  rdsadmin %-13s scram-sha-256\n"
                "host    all          rdsadmin 0.0.0.0/0     reject\n"
                "host    replication  rdsadmin 0.0.0.0/0     reject\n",
                own, own);
}

/* The replication role (rdsrepladmin, its own secret from the
 * controlplane): a standby's walreceiver, pg_basebackup, pg_rewind and its
 * CHECKPOINT connect as it from the region's own address, 127.0.0.1, the
 * kernel's source address on loopback (namespace mode: the hosts' link
 * addresses, spec_region_cidr); from anywhere else, never. */
static void hba_repl_role(sbuf *b, const node_spec *spec)
{
    if (!spec || !spec->repl_user)
        return;
    /* Quoted: a name such as "all" is then the role, never the keyword
     * (spec.c allows only plain SQL names, so no quote is inside). */
    const char *u = spec->repl_user;
    const char *own = spec_region_cidr();
    sbuf_printf(b,
                "host    all          \"%s\" %-13s scram-sha-256\n"
                "host    replication  \"%s\" %-13s scram-sha-256\n"
                "host    all          \"%s\" 0.0.0.0/0     reject\n"
                "host    replication  \"%s\" 0.0.0.0/0     reject\n",
                u, own, u, own, u, u);
}

/* One client rule: with IAM database authentication on, members of
 * rds_iam from addr log in through PAM (a token) before anyone from addr
 * logs in with a password; addr NULL is the unix socket. With
 * rds.force_ssl a TCP rule is hostssl (issue 14): without TLS nothing
 * matches and PostgreSQL refuses with RDS's message ("no pg_hba.conf entry
 * for host …, no encryption"). These are tenant rules only, replication
 * included; the region's own roles have theirs (hba_admin_host,
 * hba_repl_role), which stay host. */
static void hba_rule(sbuf *b, const node_spec *spec, const char *db, const char *addr)
{
    const char *host = spec && spec->tls_cert && spec->force_ssl ? "hostssl" : "host   ";
    if (spec && spec->iam_db_auth && strcmp(db, "replication") != 0) {
        if (addr)
            sbuf_printf(b, "%s %-12s +rds_iam %-13s pam pamservice=%s\n", host, db, addr,
                        NODECONF_PAM_SERVICE);
        else
            sbuf_printf(b, "local   %-12s +rds_iam               pam pamservice=%s\n", db,
                        NODECONF_PAM_SERVICE);
    }
    if (addr)
        sbuf_printf(b, "%s %-12s all   %-13s scram-sha-256\n", host, db, addr);
    else
        sbuf_printf(b, "local   %-12s all                 scram-sha-256\n", db);
}

char *nodeconf_render_hba(const node_spec *spec)
{
    sbuf b = {0};
    sbuf_puts(&b, "# Written by rds-agent.\n"
                  "# TYPE  DATABASE     USER  ADDRESS       METHOD\n");
    sbuf_puts(&b, hba_admin_local);
    hba_rule(&b, spec, "all", NULL);
    /* The region's own connections (health probes, backups, the archiver
     * as rdsadmin; replication, pg_basebackup, pg_rewind as the
     * replication role) log in as these roles, with secrets the tenant
     * never holds, from 127.0.0.1 only. No tenant role is allowed from
     * 127.0.0.1 for being the region's address: a tenant's source address
     * meets the security groups' rules like anyone's (issue 13, hole 7). */
    sbuf_puts(&b, "# the region's own roles, from the region's own address only\n");
    hba_admin_host(&b);
    hba_repl_role(&b, spec);
    if (!spec || !spec->has_hba) {
        hba_rule(&b, spec, "all", spec_vpc_cidr());
        hba_rule(&b, spec, "replication", spec_vpc_cidr());
        return sbuf_take(&b);
    }
    sbuf_puts(&b, "# VPC security groups: ingress rules on the instance's port\n");
    for (size_t i = 0; i < spec->nhba; i++) {
        hba_rule(&b, spec, "all", spec->allowed_cidrs[i]);
        hba_rule(&b, spec, "replication", spec->allowed_cidrs[i]);
    }
    return sbuf_take(&b);
}

char *nodeconf_render_ident(const char *os_user)
{
    return xasprintf("# Written by rds-agent: the pg OS user may connect as rdsadmin.\n"
                     "rdsim   %s   rdsadmin\n", os_user);
}

/* ---- reload or restart -------------------------------------------------- */

/* Settings PostgreSQL 15 re-reads on SIGHUP that the agent changes while a
 * node runs: the synchronous standby list, the standby's upstream. */
static const char *const reloadable[] = {
    "synchronous_standby_names",
    "synchronous_commit",
    "primary_conninfo",
    "primary_slot_name", /* a read replica's slot (issue 15) */
    "wal_retrieve_retry_interval",
    "wal_keep_size",
    "log_rotation_age",
    "log_timezone",
    "default_transaction_read_only", /* storage-full (controlplane/domain/storage.c) */
    "ssl", "ssl_cert_file", "ssl_key_file", /* TLS turned on (an upgrade) */
    /* rdsim-floor.conf's include added (an upgrade): the file is written
     * only before a start, so a running node has none to read. Both
     * includes name fixed files; only the floor's is ever added. */
    "include_if_exists",
    /* pg_stat_statements added (an upgrade): PostgreSQL keeps it for the
     * node's next restart, so an upgrade restarts no node; until then
     * Performance Insights has no pg_stat_statements texts. */
    "shared_preload_libraries",
};

typedef struct {
    const char *key, *value; /* into the parse copy */
    size_t klen, vlen;
} conf_line;

/* Splits text (modified in place) into key/value lines; comments and blank
 * lines are dropped. A line without '=' is its own key with no value. */
static size_t conf_parse(char *text, conf_line **out)
{
    size_t n = 0, cap = 0;
    conf_line *lines = NULL;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '#') {
            char *eq = strchr(p, '=');
            char *kend = eq ? eq : p + strlen(p);
            while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t'))
                kend--;
            const char *v = eq ? eq + 1 : "";
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vlen = strlen(v);
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\r'))
                vlen--;
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                lines = xrealloc(lines, cap * sizeof *lines);
            }
            lines[n++] = (conf_line){p, v, (size_t)(kend - p), vlen};
        }
        line = nl ? nl + 1 : NULL;
    }
    *out = lines;
    return n;
}

static bool key_reloadable(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof reloadable / sizeof reloadable[0]; i++)
        if (strlen(reloadable[i]) == len && memcmp(reloadable[i], key, len) == 0)
            return true;
    return false;
}

/* The last value of key in lines (PostgreSQL keeps the last), or NULL. */
static const conf_line *conf_find(const conf_line *lines, size_t n, const conf_line *key)
{
    const conf_line *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (lines[i].klen == key->klen && memcmp(lines[i].key, key->key, key->klen) == 0)
            found = &lines[i];
    return found;
}

/* Every key of a whose value differs in b (or is missing there) reloads. */
static bool diff_reloadable(const conf_line *a, size_t na, const conf_line *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        const conf_line *last = conf_find(a, na, &a[i]);
        const conf_line *other = conf_find(b, nb, &a[i]);
        bool same = other && other->vlen == last->vlen &&
                    memcmp(other->value, last->value, last->vlen) == 0;
        if (!same && !key_reloadable(a[i].key, a[i].klen))
            return false;
    }
    return true;
}

bool nodeconf_reload_only(const char *have, const char *want)
{
    char *h = xstrdup(have), *w = xstrdup(want);
    conf_line *hl = NULL, *wl = NULL;
    size_t nh = conf_parse(h, &hl), nw = conf_parse(w, &wl);
    bool ok = diff_reloadable(hl, nh, wl, nw) && diff_reloadable(wl, nw, hl, nh);
    free(hl);
    free(wl);
    free(h);
    free(w);
    return ok;
}

/* ---- secrets -------------------------------------------------------------- */

static void put_pgpass_field(sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ':' || *s == '\\')
            sbuf_putc(b, '\\');
        sbuf_putc(b, *s);
    }
}

char *nodeconf_render_pgpass(const char *user, const char *password)
{
    sbuf b = {0};
    sbuf_puts(&b, "*:*:*:");
    put_pgpass_field(&b, user);
    sbuf_putc(&b, ':');
    put_pgpass_field(&b, password);
    sbuf_putc(&b, '\n');
    return sbuf_take(&b);
}

/* An SQL string literal with standard_conforming_strings on (set first). */
static void put_sql_literal(sbuf *b, const char *s)
{
    sbuf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sbuf_putc(b, '\'');
        sbuf_putc(b, *s);
    }
    sbuf_putc(b, '\'');
}

/* ---- RDS's role model ---------------------------------------------------- */

static void put_quiet(sbuf *b, const char *end)
{
    /* A failed statement would be logged with its text by
     * log_min_error_statement: turned off first. */
    sbuf_printf(b, "SET standard_conforming_strings = on%s"
                   "SET log_statement = 'none'%s"
                   "SET log_min_error_statement = 'panic'%s"
                   "SET log_min_duration_statement = -1%s", end, end, end, end);
}

char *nodeconf_render_bootstrap_sql(const node_spec *spec)
{
    /* postgres --single: one statement per line, no trailing ';'. Names
     * are validated SQL names and verifiers have no quote (spec.c). The
     * rds_superuser memberships are RDS's (pg_monitor brings
     * pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables), plus
     * pg_checkpoint (PostgreSQL 15); never pg_execute_server_program,
     * pg_read_server_files or pg_write_server_files. */
    const char *m = spec->master_username;
    sbuf b = {0};
    put_quiet(&b, "\n");
    sbuf_puts(&b, "CREATE ROLE rds_superuser NOLOGIN\n"
                  "CREATE ROLE rds_replication NOLOGIN\n"
                  "CREATE ROLE rds_password NOLOGIN\n"
                  "CREATE ROLE rds_iam NOLOGIN\n"
                  "CREATE ROLE rds_ad NOLOGIN\n"
                  "GRANT pg_monitor, pg_signal_backend, pg_checkpoint TO rds_superuser\n"
                  "GRANT rds_replication, rds_password TO rds_superuser WITH ADMIN OPTION\n");
    sbuf_printf(&b,
                "CREATE ROLE \"%s\" LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE NOREPLICATION "
                "VALID UNTIL 'infinity' IN ROLE rds_superuser PASSWORD '%s'\n",
                m, spec->master_verifier);
    if (spec->admin_verifier)
        sbuf_printf(&b, "ALTER ROLE rdsadmin PASSWORD '%s'\n", spec->admin_verifier);
    sbuf_printf(&b, "ALTER DATABASE postgres OWNER TO \"%s\"\n"
                    "ALTER DATABASE template1 OWNER TO \"%s\"\n", m, m);
    if (spec->db_name)
        sbuf_printf(&b, "CREATE DATABASE \"%s\" OWNER \"%s\"\n", spec->db_name, m);
    return sbuf_take(&b);
}

/* The read replicas' slots (issue 15): each listed slot made (reserving
 * WAL now), each other "rdsrr_" slot dropped, its walsender ended first
 * (a promoted or deleted replica may still be connected). Names are
 * [a-z0-9_] (spec_valid_slot), so they need no quoting beyond '…'. A slot
 * still busy fails the statement: psql exits non-zero and the agent runs
 * the SQL again later. */
static void render_slots_sql(sbuf *b, const node_spec *spec)
{
    sbuf list = {0};
    sbuf_puts(&list, "ARRAY[");
    for (size_t i = 0; i < spec->nslots; i++)
        sbuf_printf(&list, "%s'%s'", i ? "," : "", spec->slots[i]);
    sbuf_puts(&list, "]::text[]");
    char *arr = sbuf_take(&list);
    sbuf_printf(b,
                "SELECT pg_catalog.pg_create_physical_replication_slot(s, true) FROM "
                "unnest(%s) s WHERE s NOT IN (SELECT slot_name::text FROM "
                "pg_catalog.pg_replication_slots);\n",
                arr);
    sbuf_printf(b,
                "SELECT pg_catalog.pg_terminate_backend(active_pid, 5000) FROM "
                "pg_catalog.pg_replication_slots WHERE slot_name LIKE 'rdsrr\\_%%' AND "
                "active_pid IS NOT NULL AND NOT slot_name::text = ANY(%s);\n"
                "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM "
                "pg_catalog.pg_replication_slots WHERE slot_name LIKE 'rdsrr\\_%%' AND "
                "NOT slot_name::text = ANY(%s);\n",
                arr, arr);
    free(arr);
}

char *nodeconf_render_roles_sql(const node_spec *spec)
{
    sbuf b = {0};
    put_quiet(&b, ";\n");
    if (spec->admin_verifier)
        sbuf_printf(&b, "ALTER ROLE rdsadmin PASSWORD '%s';\n", spec->admin_verifier);
    if (spec->master_verifier)
        sbuf_printf(&b, "ALTER ROLE \"%s\" PASSWORD '%s';\n", spec->master_username,
                    spec->master_verifier);
    if (spec->repl_user && spec->repl_password) {
        const char *u = spec->repl_user;
        sbuf_printf(&b,
                    "DO $rds$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') "
                    "THEN CREATE ROLE \"%s\"; END IF; END$rds$;\n",
                    u, u);
        sbuf_printf(&b, "ALTER ROLE \"%s\" WITH REPLICATION LOGIN PASSWORD ", u);
        put_sql_literal(&b, spec->repl_password);
        sbuf_puts(&b, ";\n");
        /* pg_rewind and its CHECKPOINT run as this role, not as a
         * superuser (PostgreSQL's documented minimal grants). */
        sbuf_printf(&b,
                    "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean),"
                    " pg_catalog.pg_stat_file(text, boolean), pg_catalog.pg_read_binary_file(text),"
                    " pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO \"%s\";\n"
                    "GRANT pg_checkpoint TO \"%s\";\n",
                    u, u);
    }
    if (spec->has_slots)
        render_slots_sql(&b, spec);
    return sbuf_take(&b);
}

char *nodeconf_render_slots_sql(const node_spec *spec)
{
    sbuf b = {0};
    put_quiet(&b, ";\n");
    if (spec->has_slots)
        render_slots_sql(&b, spec);
    return sbuf_take(&b);
}

/* ---- the hot standby floor ---------------------------------------------------- */

/* The five settings PostgreSQL 15's CheckRequiredParameterValues compares
 * with the control file: their names, pg_controldata's labels, PostgreSQL's
 * defaults (initdb writes max_connections = 100) and ranges (guc.c;
 * MAX_BACKENDS is 2^18 - 1). */
static const struct {
    const char *name, *label;
    int64_t def, min, max;
} hs_params[NODECONF_HS_COUNT] = {
    [NODECONF_HS_MAX_CONNECTIONS] = {"max_connections", "max_connections setting:", 100, 1,
                                     262143},
    [NODECONF_HS_MAX_WORKER_PROCESSES] = {"max_worker_processes",
                                          "max_worker_processes setting:", 8, 0, 262143},
    [NODECONF_HS_MAX_WAL_SENDERS] = {"max_wal_senders", "max_wal_senders setting:", 10, 0,
                                     262143},
    [NODECONF_HS_MAX_PREPARED_XACTS] = {"max_prepared_transactions",
                                        "max_prepared_xacts setting:", 0, 0, 262143},
    [NODECONF_HS_MAX_LOCKS_PER_XACT] = {"max_locks_per_transaction",
                                        "max_locks_per_xact setting:", 64, 10, 2147483647},
};

/* What nodeconf_render_conf gives these settings itself (the agent's own). */
static const char AGENT_MAX_WAL_SENDERS[] = "25";

const char *nodeconf_hs_name(nodeconf_hs_param p)
{
    return (unsigned)p < NODECONF_HS_COUNT ? hs_params[p].name : "unknown";
}

/* Digits only (at most 10), then blanks: the value, or -1. */
static int64_t controldata_value(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    int64_t v = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (++digits > 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return digits > 0 && i == n ? v : -1;
}

/* One line of pg_controldata's output into out; false if it makes the
 * whole output untrustworthy. */
static bool controldata_line(const char *line, size_t n, nodeconf_hs *out, bool seen[])
{
    if (n >= 7 && memcmp(line, "WARNING", 7) == 0)
        return false; /* "Calculated CRC checksum does not match ...": garbage below */
    for (int p = 0; p < NODECONF_HS_COUNT; p++) {
        size_t ln = strlen(hs_params[p].label);
        if (n < ln || memcmp(line, hs_params[p].label, ln) != 0)
            continue;
        int64_t v = controldata_value(line + ln, n - ln);
        if (seen[p] || v < hs_params[p].min || v > hs_params[p].max)
            return false;
        seen[p] = true;
        out->v[p] = v;
    }
    return true;
}

bool nodeconf_controldata_parse(const char *text, size_t len, nodeconf_hs *out)
{
    memset(out, 0, sizeof *out);
    bool seen[NODECONF_HS_COUNT] = {false};
    if (!text || memchr(text, '\0', len))
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        bool good = controldata_line(text + start, i - start, out, seen);
        start = i + 1;
        if (!good)
            goto bad;
    }
    for (int p = 0; p < NODECONF_HS_COUNT; p++)
        if (!seen[p])
            goto bad; /* a truncated output */
    return true;
bad:
    memset(out, 0, sizeof *out);
    return false;
}

/* key's value in a sorted, unique list, or NULL. */
static const char *setting_value(const spec_setting *list, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].key, key) == 0)
            return list[i].value;
    return NULL;
}

/* An integer as PostgreSQL's parse_int takes one without a unit (strtol,
 * base 0, blanks around it), within p's range; else -1. */
static int64_t configured_value(const char *s, int p)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno != 0 || end == s)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end || v < hs_params[p].min || v > hs_params[p].max)
        return -1;
    return v;
}

void nodeconf_hs_configured(const node_spec *spec, nodeconf_hs *out)
{
    for (int p = 0; p < NODECONF_HS_COUNT; p++) {
        const char *name = hs_params[p].name;
        /* rdsim.conf's order: settings, the parameters, the agent's own. */
        const char *v = p == NODECONF_HS_MAX_WAL_SENDERS ? AGENT_MAX_WAL_SENDERS : NULL;
        if (!v)
            v = setting_value(spec->params, spec->nparams, name);
        if (!v)
            v = setting_value(spec->settings, spec->nsettings, name);
        out->v[p] = v ? configured_value(v, p) : hs_params[p].def;
    }
}

bool nodeconf_floor_compute(const nodeconf_hs *control, const node_spec *spec,
                            nodeconf_hs *floor)
{
    nodeconf_hs have;
    nodeconf_hs_configured(spec, &have);
    bool any = false;
    for (int p = 0; p < NODECONF_HS_COUNT; p++) {
        /* An unknown configured value: PostgreSQL refuses it anyway. */
        bool low = have.v[p] >= 0 && control->v[p] > have.v[p];
        floor->v[p] = low ? control->v[p] : 0;
        any = any || low;
    }
    return any;
}

char *nodeconf_render_floor(const nodeconf_hs *floor)
{
    sbuf b = {0};
    sbuf_puts(&b, "# Written by rds-agent before each start: a hot standby's floor, the\n"
                  "# control file's values above the configured ones (none for a primary).\n");
    for (int p = 0; floor && p < NODECONF_HS_COUNT; p++) {
        if (floor->v[p] <= 0)
            continue;
        char v[24];
        snprintf(v, sizeof v, "%lld", (long long)floor->v[p]);
        put_setting(&b, hs_params[p].name, v);
    }
    return sbuf_take(&b);
}

/* ---- marker ---------------------------------------------------------------- */

static bool valid_node_id_n(const char *s, size_t n)
{
    if (n == 0 || n > 80)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

bool nodeconf_marker_parse(const char *text, size_t len, nodeconf_marker *out)
{
    memset(out, 0, sizeof *out);
    if (memchr(text, '\0', len))
        return false; /* not a text file: never ours */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        const char *line = text + start;
        size_t n = i - start;
        start = i + 1;
        static const char seq[] = "rebuild_seq=", up[] = "upstream=";
        if (n >= sizeof seq - 1 && memcmp(line, seq, sizeof seq - 1) == 0) {
            char buf[32];
            size_t vn = n - (sizeof seq - 1);
            int64_t v;
            if (vn >= sizeof buf)
                goto bad;
            memcpy(buf, line + sizeof seq - 1, vn);
            buf[vn] = '\0';
            if (!str_to_int64(buf, 0, SPEC_MAX_COUNT, &v))
                goto bad;
            out->rebuild_seq = v;
        } else if (n >= sizeof up - 1 && memcmp(line, up, sizeof up - 1) == 0) {
            size_t vn = n - (sizeof up - 1);
            if (vn > 0 && !valid_node_id_n(line + sizeof up - 1, vn))
                goto bad;
            memcpy(out->upstream, line + sizeof up - 1, vn);
            out->upstream[vn] = '\0';
        }
    }
    return true;
bad:
    memset(out, 0, sizeof *out);
    return false;
}

char *nodeconf_marker_render(const nodeconf_marker *m)
{
    if (m->upstream[0])
        return xasprintf("rebuild_seq=%lld\nupstream=%s\n", (long long)m->rebuild_seq,
                         m->upstream);
    return xasprintf("rebuild_seq=%lld\n", (long long)m->rebuild_seq);
}
