/* Unit tests for agent/nodeconf: rdsim.conf for primaries and standbys
 * (synchronous standby names, primary_conninfo and its two levels of
 * quoting), pg_hba.conf, the reload-or-restart decision, the replication
 * password file and SQL, and the initialized marker. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "agent/nodeconf.h"
#include "agent/spec.h"
#include "lib/tap.h"
#include "lib/util.h"

static bool parse_spec(const char *json, node_spec *out)
{
    cJSON *o = cJSON_Parse(json);
    char err[200] = "";
    bool ok = o && spec_from_json(o, out, err, sizeof err);
    if (!ok)
        diag("bad fixture: %s", err);
    cJSON_Delete(o);
    return ok;
}

/* What every node gets after the spec's settings and the addresses. */
#define OWNED                                                                   \
    "include_if_exists = 'rdsim-params.conf'\n"                                \
    "listen_addresses = '127.0.1.5'\n"                                          \
    "port = '5432'\n"                                                           \
    "unix_socket_directories = '/h/nodes/n/sock'\n"                             \
    "password_encryption = 'scram-sha-256'\n"                                   \
    "logging_collector = 'on'\n"                                                \
    "log_directory = '/h/nodes/n/log'\n"                                        \
    "log_filename = 'postgresql.log.%Y-%m-%d-%H'\n"                             \
    "log_rotation_age = '60'\n"                                                 \
    "log_timezone = 'UTC'\n"                                                    \
    "wal_level = 'replica'\n"                                                   \
    "max_wal_senders = '25'\n"                                                  \
    "max_replication_slots = '25'\n"                                            \
    "hot_standby = 'on'\n"                                                      \
    "wal_log_hints = 'on'\n"                                                    \
    "wal_keep_size = '256MB'\n"                                                 \
    "wal_retrieve_retry_interval = '100ms'\n"                                      \
    "synchronous_commit = 'on'\n"                                              \
    "shared_preload_libraries = 'pg_stat_statements'\n"
#define HEAD(role)                                                              \
    "# Written by rds-agent from the node's spec; rewritten on every change.\n" \
    "# instance_id = shop, role = " role "\n"
#define SPEC "\"instance_id\":\"shop\",\"addr\":\"127.0.1.5\",\"port\":5432,\"master_username\":\"app\""
#define REPL ",\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"secret\"}"
#define UP ",\"upstream\":{\"node_id\":\"shop-a\",\"addr\":\"127.0.2.5\",\"port\":5433}"

static void test_render_conf(void)
{
    static const struct {
        const char *name;
        const char *node_dir;
        const char *spec;
        const char *want; /* exact rdsim.conf */
    } cases[] = {
        {"minimal spec", "/h/nodes/n", "{" SPEC "}",
         HEAD("primary") OWNED "synchronous_standby_names = ''\n"},
        {"settings sorted, quoted, numbers as text", "/h/nodes/n",
         "{" SPEC ",\"settings\":{\"shared_buffers\":\"128MB\",\"max_connections\":87,"
         "\"search_path\":\"'$user', public\",\"x.y\":\"a\\\\b\"}}",
         HEAD("primary")
         "max_connections = '87'\n"
         "search_path = '''$user'', public'\n"
         "shared_buffers = '128MB'\n"
         "x.y = 'a\\\\b'\n" OWNED "synchronous_standby_names = ''\n"},
        {"primary with one sync standby", "/h/nodes/n",
         "{" SPEC REPL ",\"sync_standbys\":[\"shop-b\"]}",
         HEAD("primary") OWNED "synchronous_standby_names = 'FIRST 1 (\"shop-b\")'\n"},
        {"primary with two sync standbys, order kept", "/h/nodes/n",
         "{" SPEC REPL ",\"sync_standbys\":[\"shop-c\",\"shop-b\"]}",
         HEAD("primary") OWNED
         "synchronous_standby_names = 'FIRST 1 (\"shop-c\", \"shop-b\")'\n"},
        {"a cluster's writer: ANY 1 of its readers", "/h/nodes/n",
         "{" SPEC REPL ",\"sync_standbys\":[\"shop-c\",\"shop-b\"],\"sync_method\":\"any\"}",
         HEAD("primary") OWNED
         "synchronous_standby_names = 'ANY 1 (\"shop-c\", \"shop-b\")'\n"},
        {"primary with an empty sync list: asynchronous", "/h/nodes/n",
         "{" SPEC REPL ",\"sync_standbys\":[]}",
         HEAD("primary") OWNED "synchronous_standby_names = ''\n"},
        {"primary with an upstream: no conninfo", "/h/nodes/n", "{" SPEC REPL UP "}",
         HEAD("primary") OWNED "synchronous_standby_names = ''\n"},
        {"standby streams from its upstream, password in the passfile", "/h/nodes/n",
         "{" SPEC ",\"role\":\"standby\"" REPL UP "}",
         HEAD("standby") OWNED "synchronous_standby_names = ''\n"
         "primary_conninfo = 'host=''127.0.2.5'' port=''5433'' user=''rdsrepladmin'' "
         "passfile=''/h/nodes/n/repl.pgpass'' application_name=''n'' connect_timeout=''5'''\n"},
        {"standby: a quote and a backslash in the path, quoted twice", "/h/it's\\x/n",
         "{" SPEC ",\"role\":\"standby\"" REPL UP "}",
         HEAD("standby")
         "include_if_exists = 'rdsim-params.conf'\n"
         "listen_addresses = '127.0.1.5'\n"
         "port = '5432'\n"
         "unix_socket_directories = '/h/it''s\\\\x/n/sock'\n"
         "password_encryption = 'scram-sha-256'\n"
         "logging_collector = 'on'\n"
         "log_directory = '/h/it''s\\\\x/n/log'\n"
         "log_filename = 'postgresql.log.%Y-%m-%d-%H'\n"
         "log_rotation_age = '60'\n"
         "log_timezone = 'UTC'\n"
         "wal_level = 'replica'\n"
         "max_wal_senders = '25'\n"
         "max_replication_slots = '25'\n"
         "hot_standby = 'on'\n"
         "wal_log_hints = 'on'\n"
         "wal_keep_size = '256MB'\n"
         "wal_retrieve_retry_interval = '100ms'\n"
         "synchronous_commit = 'on'\n"
         "shared_preload_libraries = 'pg_stat_statements'\n"
         "synchronous_standby_names = ''\n"
         "primary_conninfo = 'host=''127.0.2.5'' port=''5433'' user=''rdsrepladmin'' "
         "passfile=''/h/it\\\\''s\\\\\\\\x/n/repl.pgpass'' application_name=''n'' "
         "connect_timeout=''5'''\n"},
        {"standby without upstream: no conninfo", "/h/nodes/n",
         "{" SPEC ",\"role\":\"standby\"" REPL "}",
         HEAD("standby") OWNED "synchronous_standby_names = ''\n"},
        {"standby without replication user: no conninfo", "/h/nodes/n",
         "{" SPEC ",\"role\":\"standby\"" UP "}",
         HEAD("standby") OWNED "synchronous_standby_names = ''\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_spec s;
        if (!ok(parse_spec(cases[i].spec, &s), cases[i].name))
            continue;
        /* the node id is the directory's name in real use; "n" here */
        char *conf = nodeconf_render_conf(cases[i].node_dir, "n", &s);
        /* Every rdsim.conf ends with the hot standby floor's include. */
        char *want = xasprintf("%sinclude_if_exists = 'rdsim-floor.conf'\n", cases[i].want);
        is_str(conf, want, cases[i].name);
        free(want);
        ok(!strstr(conf, "secret"), "no password in rdsim.conf");
        free(conf);
        spec_free(&s);
    }
    char *hba = nodeconf_render_hba(NULL);
    ok(strstr(hba, "\nlocal   all          all                 scram-sha-256\n") &&
           strstr(hba, "\nhost    all          all   127.0.0.0/8   scram-sha-256\n") &&
           strstr(hba, "\nhost    replication  all   127.0.0.0/8   scram-sha-256\n") &&
           !strstr(hba, "trust") && !strstr(hba, "md5"),
       "pg_hba: scram everywhere, loopback only, replication allowed");
    const char *peer = strstr(hba, "\nlocal   all          rdsadmin            peer map=rdsim\n");
    const char *own = strstr(hba, "\nhost    all          rdsadmin 127.0.0.1/32  scram-sha-256\n");
    const char *rej = strstr(hba, "\nhost    all          rdsadmin 0.0.0.0/0     reject\n");
    const char *any = strstr(hba, "\nhost    all          all");
    ok(peer && own && rej && any && peer < own && own < rej && rej < any &&
           strstr(hba, "\nhost    replication  rdsadmin 0.0.0.0/0     reject\n"),
       "pg_hba: rdsadmin by peer on the socket, from 127.0.0.1 only over TCP, before any "
       "other rule");
    free(hba);
    char *ident = nodeconf_render_ident("nobody");
    ok(strstr(ident, "\nrdsim   nobody   rdsadmin\n") != NULL, "pg_ident: the pg user maps to rdsadmin");
    free(ident);
}

/* pg_hba.conf from a spec's allowed_cidrs (security groups). */
static void test_hba_rules(void)
{
    static const char base[] = "{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                               "\"master_username\":\"app\",\"settings\":{}";
    node_spec s;
    char *json = xasprintf("%s,\"allowed_cidrs\":[\"127.0.9.0/24\",\"127.0.8.7/32\"]}", base);
    if (ok(parse_spec(json, &s), "spec with allowed_cidrs parses")) {
        char *hba = nodeconf_render_hba(&s);
        ok(strstr(hba, "\nhost    all          all   127.0.9.0/24  scram-sha-256\n") &&
               strstr(hba, "\nhost    all          all   127.0.8.7/32  scram-sha-256\n"),
           "pg_hba: one host line per allowed block");
        ok(strstr(hba, "\nhost    replication  all   127.0.9.0/24  scram-sha-256\n") &&
               strstr(hba, "\nhost    replication  all   127.0.8.7/32  scram-sha-256\n"),
           "pg_hba: replication from the allowed blocks too (REPLICATION roles only)");
        ok(!strstr(hba, "all   127.0.0.1/32"),
           "pg_hba: no tenant role is let in from 127.0.0.1 for being the region's address");
        ok(!strstr(hba, "127.0.0.0/8"), "pg_hba: no blanket loopback rule with rules given");
        free(hba);
        spec_free(&s);
    }
    free(json);
    /* Multi-AZ: the replication role from 127.0.0.1 only, before any
     * tenant rule, quoted. */
    json = xasprintf("%s,\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"pw\"},"
                     "\"allowed_cidrs\":[\"127.0.9.0/24\"]}",
                     base);
    if (ok(parse_spec(json, &s), "spec with replication and allowed_cidrs parses")) {
        char *hba = nodeconf_render_hba(&s);
        const char *own =
            strstr(hba, "\nhost    replication  \"rdsrepladmin\" 127.0.0.1/32  scram-sha-256\n");
        const char *own_db =
            strstr(hba, "\nhost    all          \"rdsrepladmin\" 127.0.0.1/32  scram-sha-256\n");
        const char *rej =
            strstr(hba, "\nhost    replication  \"rdsrepladmin\" 0.0.0.0/0     reject\n");
        const char *rej_db =
            strstr(hba, "\nhost    all          \"rdsrepladmin\" 0.0.0.0/0     reject\n");
        const char *tenant = strstr(hba, "\nhost    all          all   127.0.9.0/24");
        ok(own && own_db && rej && rej_db && tenant && own < rej && rej < tenant &&
               rej_db < tenant,
           "pg_hba: the replication role from 127.0.0.1, rejected elsewhere, before tenants");
        free(hba);
        spec_free(&s);
    }
    free(json);
    json = xasprintf("%s,\"allowed_cidrs\":[]}", base);
    if (ok(parse_spec(json, &s), "spec with no allowed block parses")) {
        char *hba = nodeconf_render_hba(&s);
        ok(!strstr(hba, "/24") && !strstr(hba, "/8 "), "pg_hba: no client block at all");
        free(hba);
        spec_free(&s);
    }
    free(json);
    static const char *const bad[] = {"[\"127.0.9.1/24\"]", "[\"nope\"]", "\"127.0.0.0/8\"", "[5]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json = xasprintf("%s,\"allowed_cidrs\":%s}", base, bad[i]);
        cJSON *o = cJSON_Parse(json);
        char err[200] = "";
        ok(o && !spec_from_json(o, &s, err, sizeof err) && strstr(err, "allowed_cidrs"),
           "a bad allowed_cidrs refuses the spec");
        cJSON_Delete(o);
        free(json);
    }
}

/* Issue 13: "initialized" (the store says the node was created) is read,
 * kept through agent.json (spec_to_json), compared, and must be a boolean. */
static void test_spec_initialized(void)
{
    static const char base[] = "{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                               "\"master_username\":\"app\",\"settings\":{}";
    node_spec s, back, copy;
    char *json = xasprintf("%s,\"initialized\":true}", base);
    if (ok(parse_spec(json, &s), "spec with initialized parses")) {
        ok(s.initialized, "... initialized read");
        cJSON *o = spec_to_json(&s);
        char err[128];
        ok(spec_from_json(o, &back, err, sizeof err) && back.initialized && spec_same(&back, &s),
           "... kept by spec_to_json (agent.json)");
        cJSON_Delete(o);
        spec_free(&back);
        spec_copy(&copy, &s);
        copy.initialized = false;
        ok(!spec_same(&copy, &s), "... a change of it is a change of the spec");
        spec_free(&copy);
        spec_free(&s);
    }
    free(json);
    json = xasprintf("%s,\"initialized\":\"yes\"}", base);
    ok(!parse_spec(json, &s), "initialized that is not a boolean refuses the spec");
    free(json);
    json = xasprintf("%s}", base);
    if (ok(parse_spec(json, &s), "spec without initialized parses"))
        ok(!s.initialized, "... as not initialized");
    spec_free(&s);
    free(json);
}

/* IAM database authentication: members of rds_iam go to PAM before every
 * password rule of the same address, never for replication; off, no PAM. */
static void test_hba_iam(void)
{
    static const char base[] = "{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                               "\"master_username\":\"app\",\"settings\":{}";
    node_spec s, copy;
    char *json = xasprintf("%s,\"iam_db_auth\":true,\"allowed_cidrs\":[\"127.0.9.0/24\"]}", base);
    if (ok(parse_spec(json, &s), "spec with iam_db_auth parses")) {
        ok(s.iam_db_auth, "... iam_db_auth read");
        spec_copy(&copy, &s);
        ok(copy.iam_db_auth && spec_same(&copy, &s), "... copied, and the same");
        copy.iam_db_auth = false;
        ok(!spec_same(&copy, &s), "... a change of it is a change of the spec");
        spec_free(&copy);
        char *hba = nodeconf_render_hba(&s);
        const char *pam = strstr(hba, "\nhost    all          +rds_iam 127.0.9.0/24  pam "
                                      "pamservice=rdsim-iam\n");
        const char *pw = strstr(hba, "\nhost    all          all   127.0.9.0/24  scram-sha-256\n");
        ok(pam && pw && pam < pw, "pg_hba: rds_iam to PAM before the block's password rule");
        const char *lpam = strstr(hba, "\nlocal   all          +rds_iam               pam "
                                       "pamservice=rdsim-iam\n");
        const char *lpw = strstr(hba, "\nlocal   all          all                 scram-sha-256\n");
        ok(lpam && lpw && lpam < lpw, "pg_hba: and on the unix socket");
        const char *rdsadmin = strstr(hba, "rdsadmin 0.0.0.0/0     reject");
        ok(rdsadmin && rdsadmin < pam, "pg_hba: rdsadmin's rules still come first");
        ok(!strstr(hba, "replication  +rds_iam"), "pg_hba: no PAM for replication");
        free(hba);
        spec_free(&s);
    }
    free(json);
    json = xasprintf("%s,\"iam_db_auth\":false}", base);
    if (ok(parse_spec(json, &s), "spec with iam_db_auth false parses")) {
        char *hba = nodeconf_render_hba(&s);
        ok(!strstr(hba, "pam"), "pg_hba: IAM off, no PAM rule");
        free(hba);
        spec_free(&s);
    }
    free(json);
}

/* Issue 14: "tls" {ca, cert, key} and "force_ssl": parsed and checked,
 * kept through agent.json without the key, compared; ssl on in rdsim.conf;
 * hostssl for client rules with force_ssl, host for replication and
 * rdsadmin; a change of certificate reloads. */
#define CERT "-----BEGIN CERTIFICATE-----\\nQUJD\\n-----END CERTIFICATE-----\\n"
#define PKEY "-----BEGIN PRIVATE KEY-----\\nREVG\\n-----END PRIVATE KEY-----\\n"
static void test_tls(void)
{
    static const char base[] = "{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                               "\"master_username\":\"app\",\"settings\":{},"
                               "\"allowed_cidrs\":[\"127.0.9.0/24\"]";
    node_spec s, plain;
    char *json = xasprintf("%s,\"tls\":{\"ca\":\"rds-ca-rsa2048-g1\",\"cert\":\"" CERT
                           "\",\"key\":\"" PKEY "\"},\"force_ssl\":true}", base);
    char *json0 = xasprintf("%s}", base);
    if (ok(parse_spec(json, &s) && parse_spec(json0, &plain), "spec with tls parses")) {
        ok(s.tls_cert && s.tls_key && strcmp(s.tls_ca, "rds-ca-rsa2048-g1") == 0 && s.force_ssl,
           "... ca, cert, key and force_ssl read");
        char *conf = nodeconf_render_conf("/h", "n", &s);
        ok(strstr(conf, "\nssl = 'on'\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n") != NULL,
           "rdsim.conf: ssl on with the agent's files");
        char *conf0 = nodeconf_render_conf("/h", "n", &plain);
        ok(!strstr(conf0, "ssl"), "rdsim.conf: no tls, no ssl line");
        ok(nodeconf_reload_only(conf0, conf), "turning TLS on is a reload");
        free(conf);
        free(conf0);
        char *hba = nodeconf_render_hba(&s);
        ok(strstr(hba, "\nhostssl all          all   127.0.9.0/24  scram-sha-256\n") &&
               strstr(hba, "\nhostssl replication  all   127.0.9.0/24  scram-sha-256\n") &&
               !strstr(hba, "all   127.0.0.1/32"),
           "pg_hba with force_ssl: client rules (replication too) are hostssl, none for 127.0.0.1");
        ok(strstr(hba, "\nhost    replication  rdsadmin 127.0.0.1/32  scram-sha-256\n") &&
               strstr(hba, "\nhost    all          rdsadmin 127.0.0.1/32  scram-sha-256\n"),
           "pg_hba with force_ssl: the region's rdsadmin rules stay host");
        ok(!strstr(hba, "\nhost    all          all"), "pg_hba with force_ssl: no plain client rule");
        free(hba);
        cJSON *j = spec_to_json(&s);
        char *text = cJSON_PrintUnformatted(j);
        ok(!strstr(text, "PRIVATE KEY") && strstr(text, "BEGIN CERTIFICATE"),
           "agent.json keeps the certificate, never the key");
        node_spec back;
        ok(parse_spec(text, &back) && spec_same(&back, &s) && !back.tls_key && back.force_ssl,
           "... read back: the same spec, no key");
        free(text);
        cJSON_Delete(j);
        spec_free(&back);
        ok(!spec_same(&plain, &s), "a spec without tls differs");
        s.force_ssl = false;
        hba = nodeconf_render_hba(&s);
        ok(strstr(hba, "\nhost    all          all   127.0.9.0/24  scram-sha-256\n") &&
               !strstr(hba, "hostssl"),
           "pg_hba without force_ssl: host rules (TLS or not)");
        free(hba);
        spec_free(&s);
        spec_free(&plain);
    }
    free(json);
    free(json0);
    static const char *const bad[] = {
        "{\"ca\":\"rds-ca-rsa2048-g1\"}",
        "{\"ca\":\"Bad/CA\",\"cert\":\"" CERT "\"}",
        "{\"ca\":\"x\",\"cert\":\"-----BEGIN CERTIFICATE-----\\nQU'JD\\n-----END CERTIFICATE-----\\n\"}",
        "{\"ca\":\"x\",\"cert\":\"" CERT "\",\"key\":\"" CERT "\"}",
        "{\"ca\":\"x\",\"cert\":\"" CERT "ssl = off\\n\"}",
        "\"yes\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json = xasprintf("%s,\"tls\":%s}", base, bad[i]);
        cJSON *o = cJSON_Parse(json);
        char err[200] = "";
        char *name = xasprintf("a bad tls (%zu) refuses the spec", i);
        ok(o && !spec_from_json(o, &s, err, sizeof err) && strstr(err, "tls"), name);
        free(name);
        cJSON_Delete(o);
        free(json);
    }
}

/* Going from one spec's configuration to another's: reload or restart. */
static void test_reload_only(void)
{
    static const struct {
        const char *name;
        const char *from, *to;
        bool reload_only;
    } cases[] = {
        {"same spec", "{" SPEC REPL "}", "{" SPEC REPL "}", true},
        {"replication added (Single-AZ to Multi-AZ)", "{" SPEC "}", "{" SPEC REPL "}", true},
        {"sync standby listed", "{" SPEC REPL ",\"sync_standbys\":[]}",
         "{" SPEC REPL ",\"sync_standbys\":[\"shop-b\"]}", true},
        {"sync standby dropped (standby lost)", "{" SPEC REPL ",\"sync_standbys\":[\"shop-b\"]}",
         "{" SPEC REPL ",\"sync_standbys\":[]}", true},
        {"promoted: primary_conninfo removed", "{" SPEC ",\"role\":\"standby\"" REPL UP "}",
         "{" SPEC ",\"role\":\"primary\"" REPL "}", true},
        {"standby's upstream moves", "{" SPEC ",\"role\":\"standby\"" REPL UP "}",
         "{" SPEC ",\"role\":\"standby\"" REPL
         ",\"upstream\":{\"node_id\":\"shop-a\",\"addr\":\"127.0.2.6\",\"port\":5433}}", true},
        {"supervise and rebuild_seq do not touch the file", "{" SPEC REPL "}",
         "{" SPEC REPL ",\"supervise\":\"report\",\"rebuild_seq\":3}", true},
        {"a setting changes: restart", "{" SPEC ",\"settings\":{\"work_mem\":\"4MB\"}}",
         "{" SPEC ",\"settings\":{\"work_mem\":\"8MB\"}}", false},
        {"a setting added: restart", "{" SPEC "}", "{" SPEC ",\"settings\":{\"work_mem\":\"4MB\"}}",
         false},
        {"a setting removed: restart", "{" SPEC ",\"settings\":{\"work_mem\":\"4MB\"}}",
         "{" SPEC "}", false},
        {"port changes: restart", "{" SPEC "}",
         "{\"instance_id\":\"shop\",\"addr\":\"127.0.1.5\",\"port\":5433,\"master_username\":\"app\"}",
         false},
        {"restart_seq placeholder changes: restart",
         "{" SPEC ",\"settings\":{\"rdsim.restart_seq\":\"1\"}}",
         "{" SPEC ",\"settings\":{\"rdsim.restart_seq\":\"2\"}}", false},
        {"sync list and a setting: restart", "{" SPEC ",\"sync_standbys\":[]}",
         "{" SPEC ",\"sync_standbys\":[\"b\"],\"settings\":{\"work_mem\":\"1MB\"}}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_spec a, b;
        bool pa = parse_spec(cases[i].from, &a), pb = parse_spec(cases[i].to, &b);
        if (!ok(pa && pb, cases[i].name)) {
            if (pa)
                spec_free(&a);
            if (pb)
                spec_free(&b);
            continue;
        }
        char *ca = nodeconf_render_conf("/h/nodes/n", "n", &a);
        char *cb = nodeconf_render_conf("/h/nodes/n", "n", &b);
        ok(nodeconf_reload_only(ca, cb) == cases[i].reload_only, cases[i].name);
        ok(nodeconf_reload_only(cb, ca) == cases[i].reload_only, "and back");
        free(ca);
        free(cb);
        spec_free(&a);
        spec_free(&b);
    }
    /* Text the agent did not write (an upstream's file after a base backup). */
    static const struct {
        const char *name, *from, *to;
        bool reload_only;
    } raw[] = {
        {"comments and blanks ignored", "# x\n\na = '1'\n", "a = '1'\n# y\n", true},
        {"spacing around = ignored", "a='1'\n", "  a  =  '1'  \n", true},
        {"last value wins", "a = '1'\na = '2'\n", "a = '2'\n", true},
        {"line without =", "garbage\n", "", false},
        {"reloadable key only", "synchronous_commit = 'on'\n", "", true},
        {"pg_stat_statements added (an upgrade): no restart", "a = '1'\n",
         "a = '1'\nshared_preload_libraries = 'pg_stat_statements'\n", true},
        {"empty both", "", "", true},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        ok(nodeconf_reload_only(raw[i].from, raw[i].to) == raw[i].reload_only, raw[i].name);
}

static void test_secrets(void)
{
    static const struct {
        const char *name, *user, *password, *want;
    } pgpass[] = {
        {"plain", "rdsrepladmin", "pw", "*:*:*:rdsrepladmin:pw\n"},
        {"colon and backslash escaped", "r", "a:b\\c", "*:*:*:r:a\\:b\\\\c\n"},
        {"quote kept", "r", "it's", "*:*:*:r:it's\n"},
    };
    for (size_t i = 0; i < sizeof pgpass / sizeof pgpass[0]; i++) {
        char *got = nodeconf_render_pgpass(pgpass[i].user, pgpass[i].password);
        is_str(got, pgpass[i].want, pgpass[i].name);
        free(got);
    }
    node_spec sp;
    if (!ok(parse_spec("{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                       "\"master_username\":\"app\",\"master_verifier\":\"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=\","
                       "\"admin_verifier\":\"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=\","
                       "\"db_name\":\"orders\",\"settings\":{},"
                       "\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"it's\\\\x\"}}",
                       &sp),
            "spec with verifiers and replication parses"))
        return;
    char *sql = nodeconf_render_roles_sql(&sp);
    ok(strstr(sql, "SET log_min_error_statement = 'panic';\n") != NULL &&
           strstr(sql, "SET log_statement = 'none';\n") != NULL &&
           strstr(sql, "SET standard_conforming_strings = on;\n") != NULL,
       "SQL keeps itself out of the server log");
    ok(strstr(sql, "CREATE ROLE \"rdsrepladmin\"") != NULL &&
           strstr(sql, "WHERE rolname = 'rdsrepladmin'") != NULL,
       "SQL creates the role only if missing");
    ok(strstr(sql, "ALTER ROLE \"rdsrepladmin\" WITH REPLICATION LOGIN PASSWORD 'it''s\\x';\n") !=
           NULL,
       "SQL sets the password, quote doubled, backslash literal");
    ok(strstr(sql, "ALTER ROLE \"app\" PASSWORD 'SCRAM-SHA-256$4096:") != NULL &&
           strstr(sql, "ALTER ROLE rdsadmin PASSWORD 'SCRAM-SHA-256$4096:") != NULL,
       "SQL sets the master user's and rdsadmin's verifiers");
    ok(strstr(sql, "GRANT pg_checkpoint TO \"rdsrepladmin\"") != NULL &&
           strstr(sql, "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO") != NULL,
       "SQL grants the replication role what pg_rewind needs");
    ok(strstr(sql, "SET log_min_error_statement") < strstr(sql, "PASSWORD"),
       "logging is off before the password appears");
    ok(strstr(sql, "replication_slot") == NULL, "no \"slots\": the slots are left alone");
    free(sql);
    node_spec sl;
    if (ok(parse_spec("{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                      "\"master_username\":\"app\",\"slots\":[\"rdsrr_a\",\"rdsrr_b_c\"]}",
                      &sl),
           "spec with slots parses")) {
        sql = nodeconf_render_roles_sql(&sl);
        ok(strstr(sql, "pg_create_physical_replication_slot(s, true) FROM unnest("
                       "ARRAY['rdsrr_a','rdsrr_b_c']::text[])") != NULL,
           "slots: the listed ones made, WAL reserved");
        ok(strstr(sql, "pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots "
                       "WHERE slot_name LIKE 'rdsrr\\_%' AND NOT slot_name::text = "
                       "ANY(ARRAY['rdsrr_a','rdsrr_b_c']::text[])") != NULL,
           "slots: other rdsrr_ slots dropped, no other name touched");
        ok(strstr(sql, "pg_terminate_backend(active_pid, 5000)") <
               strstr(sql, "pg_drop_replication_slot"),
           "slots: a walsender ended before its slot is dropped");
        free(sql);
        sql = nodeconf_render_slots_sql(&sl);
        ok(strstr(sql, "pg_create_physical_replication_slot(s, true) FROM unnest("
                       "ARRAY['rdsrr_a','rdsrr_b_c']::text[])") != NULL &&
               strstr(sql, "NOT slot_name::text = ANY(ARRAY['rdsrr_a','rdsrr_b_c']::text[])") &&
               strstr(sql, "SET log_min_error_statement = 'panic';\n") != NULL,
           "a standby's SQL: the slots made and others dropped, out of the log");
        ok(strstr(sql, "ALTER ROLE") == NULL && strstr(sql, "CREATE ROLE") == NULL,
           "a standby's SQL: no role touched (it is read-only)");
        free(sql);
        spec_free(&sl);
        ok(parse_spec("{\"instance_id\":\"db\",\"addr\":\"127.0.1.5\",\"port\":5432,"
                      "\"master_username\":\"app\",\"slots\":[]}", &sl), "empty slots parse");
        sql = nodeconf_render_roles_sql(&sl);
        ok(strstr(sql, "ANY(ARRAY[]::text[])") != NULL, "no slots: every rdsrr_ slot dropped");
        free(sql);
        spec_free(&sl);
    }
    sql = nodeconf_render_bootstrap_sql(&sp);
    ok(strstr(sql, "CREATE ROLE \"app\" LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE "
                   "NOREPLICATION VALID UNTIL 'infinity' IN ROLE rds_superuser PASSWORD "
                   "'SCRAM-SHA-256$4096:") != NULL,
       "bootstrap: the master user is an rds_superuser member, not a superuser");
    ok(strstr(sql, "GRANT pg_monitor, pg_signal_backend, pg_checkpoint TO rds_superuser\n") &&
           strstr(sql, "CREATE ROLE rds_iam NOLOGIN\n") &&
           strstr(sql, "CREATE ROLE rds_replication NOLOGIN\n") &&
           !strstr(sql, "pg_execute_server_program") && !strstr(sql, "server_files"),
       "bootstrap: RDS's roles, no server-program or server-file role");
    ok(strstr(sql, "CREATE DATABASE \"orders\" OWNER \"app\"\n") &&
           strstr(sql, "ALTER DATABASE postgres OWNER TO \"app\"\n") && !strstr(sql, ";"),
       "bootstrap: databases owned by the master user, one statement a line");
    free(sql);
    spec_free(&sp);
}

static void test_marker(void)
{
    static const struct {
        const char *name, *text;
        bool ok;
        long long seq;
        const char *upstream;
    } cases[] = {
        {"original marker", "1\n", true, 0, ""},
        {"empty", "", true, 0, ""},
        {"primary", "rebuild_seq=3\n", true, 3, ""},
        {"standby", "rebuild_seq=0\nupstream=shop-a\n", true, 0, "shop-a"},
        {"no final newline", "rebuild_seq=7\nupstream=b", true, 7, "b"},
        {"unknown line ignored", "x=1\nrebuild_seq=2\n", true, 2, ""},
        {"empty upstream", "upstream=\n", true, 0, ""},
        {"bad seq", "rebuild_seq=x\n", false, 0, ""},
        {"negative seq", "rebuild_seq=-1\n", false, 0, ""},
        {"seq too long", "rebuild_seq=99999999999999999999999999999999999\n", false, 0, ""},
        {"upstream with a slash", "upstream=../x\n", false, 0, ""},
        {"upstream too long",
         "upstream=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
         false, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nodeconf_marker m;
        bool got = nodeconf_marker_parse(cases[i].text, strlen(cases[i].text), &m);
        ok(got == cases[i].ok && m.rebuild_seq == cases[i].seq &&
               strcmp(m.upstream, cases[i].upstream) == 0,
           cases[i].name);
    }
    nodeconf_marker m = {.rebuild_seq = 42}, back;
    memcpy(m.upstream, "shop-x", 7);
    char *text = nodeconf_marker_render(&m);
    is_str(text, "rebuild_seq=42\nupstream=shop-x\n", "marker rendered");
    ok(nodeconf_marker_parse(text, strlen(text), &back) && back.rebuild_seq == 42 &&
           strcmp(back.upstream, "shop-x") == 0,
       "marker round-trips");
    free(text);
    static const char bin[] = "rebuild_seq=1\0\nupstream=a";
    ok(!nodeconf_marker_parse(bin, sizeof bin - 1, &back), "embedded NUL refused");
}

/* The DB parameter group's file and the spec members behind it. */
static void test_params(void)
{
    node_spec a, b, c;
    ok(parse_spec("{" SPEC ",\"parameters\":{\"work_mem\":\"8MB\",\"datestyle\":\"ISO, DMY\","
                  "\"search_path\":\"\\\"$user\\\", public\"},\"parameters_id\":\"00ff\"}",
                  &a),
       "a spec with parameters parses");
    char *text = nodeconf_render_params(&a);
    is_str(text,
           "# Written by rds-agent: the DB parameter group (parameters_id = 00ff).\n"
           "datestyle = 'ISO, DMY'\n"
           "search_path = '\"$user\", public'\n"
           "work_mem = '8MB'\n",
           "rdsim-params.conf: sorted, quoted");
    free(text);
    ok(parse_spec("{" SPEC ",\"parameters\":{\"work_mem\":\"16MB\"},\"parameters_id\":\"0100\"}",
                  &b),
       "another set parses");
    ok(!spec_same(&a, &b), "a parameter change is a spec change");
    char *ca = nodeconf_render_conf("/h/nodes/n", "n", &a);
    char *cb = nodeconf_render_conf("/h/nodes/n", "n", &b);
    is_str(ca, cb, "but rdsim.conf is the same: no restart for a parameter change");
    free(ca);
    free(cb);
    cJSON *j = spec_to_json(&a);
    ok(spec_from_json(j, &c, (char[64]){0}, 64) && spec_same(&a, &c),
       "parameters survive agent.json");
    cJSON_Delete(j);
    spec_free(&c);
    spec_free(&a);
    spec_free(&b);
    cJSON *bad = cJSON_Parse("{" SPEC ",\"parameters\":{\"port\":\"1\"}}");
    char err[200];
    ok(!spec_from_json(bad, &c, err, sizeof err), "a parameter the agent owns refuses the spec");
    cJSON_Delete(bad);
    bad = cJSON_Parse("{" SPEC ",\"parameters_id\":\"XYZ\"}");
    ok(!spec_from_json(bad, &c, err, sizeof err), "a bad parameters_id refuses the spec");
    cJSON_Delete(bad);
    ok(parse_spec("{" SPEC "}", &c), "no parameters at all");
    text = nodeconf_render_params(&c);
    is_str(text, "# Written by rds-agent: the DB parameter group (parameters_id = none).\n",
           "an empty rdsim-params.conf");
    free(text);
    spec_free(&c);
}

/* Namespace mode (README "Network modes"): with the host's network set,
 * node addresses must be in the VPC, the region's own roles come from the
 * region's link network, the default tenant rule is the VPC, and a
 * restore's KMS must be the controlplane. */
static void spec_check(const char *json, bool want, const char *what)
{
    cJSON *o = cJSON_Parse(json);
    node_spec s;
    char err[200] = "";
    bool got = o && spec_from_json(o, &s, err, sizeof err);
    ok(got == want, what);
    if (!got)
        diag("refused: %s", err);
    if (got)
        spec_free(&s);
    cJSON_Delete(o);
}

static void test_network(void)
{
    ok(!spec_set_network("100.65.0.0/16", "100.66.0.0/24"), "region block outside the VPC refused");
    ok(!spec_set_network("100.65.0.0/33", "100.65.0.0/24"), "a bad CIDR refused");
    ok(!spec_set_network(NULL, "100.65.0.0/24"), "NULL refused");
    ok(strcmp(spec_vpc_cidr(), "127.0.0.0/8") == 0 && strcmp(spec_region_cidr(), "127.0.0.1/32") == 0,
       "a refused network changes nothing (loopback defaults)");
    ok(spec_set_network("100.65.0.0/16", "100.65.0.0/24"), "namespace network set");
    static const char fmt[] = "{\"instance_id\":\"db\",\"addr\":\"%s\",\"port\":5432,"
                              "\"master_username\":\"app\",\"settings\":{}%s}";
    char *j = xasprintf(fmt, "100.65.1.5", "");
    spec_check(j, true, "a node address in the VPC is accepted");
    free(j);
    j = xasprintf(fmt, "127.0.1.5", "");
    spec_check(j, false, "a loopback node address is refused in namespace mode");
    free(j);
    j = xasprintf(fmt, "100.66.1.5", "");
    spec_check(j, false, "an address outside the VPC is refused");
    free(j);
    j = xasprintf(fmt, "100.65.1.5",
                  ",\"upstream\":{\"node_id\":\"up-1\",\"addr\":\"10.0.0.1\",\"port\":5432}");
    spec_check(j, false, "an upstream outside the VPC is refused");
    free(j);
    static const char *const kms[][2] = {
        {"http://100.65.0.1:8780/", "1"}, {"http://127.0.0.1:8780/", "1"},
        {"http://100.65.1.9:8780/", "0"}, {"http://10.0.0.1:8780/", "0"},
        {"http://100.65.0.1/", "0"},      {"https://100.65.0.1:1/", "0"},
        {"http://:1/", "0"},
    };
    for (size_t i = 0; i < sizeof kms / sizeof kms[0]; i++) {
        char *rs = xasprintf(",\"restore\":{\"path\":\"/b/base.tar.env\",\"kms\":\"%s\"}",
                             kms[i][0]);
        j = xasprintf(fmt, "100.65.1.5", rs);
        char *what = xasprintf("restore.kms %s %s", kms[i][0],
                               kms[i][1][0] == '1' ? "accepted" : "refused");
        spec_check(j, kms[i][1][0] == '1', what);
        free(what);
        free(j);
        free(rs);
    }
    node_spec s;
    j = xasprintf(fmt, "100.65.1.5",
                  ",\"replication\":{\"user\":\"rdsrepladmin\",\"password\":\"pw\"}");
    if (ok(parse_spec(j, &s), "namespace spec with replication parses")) {
        char *hba = nodeconf_render_hba(&s);
        ok(strstr(hba, "\nhost    all          rdsadmin 100.65.0.0/24 scram-sha-256\n") != NULL,
           "pg_hba: rdsadmin from the region's link network");
        ok(strstr(hba, "\nhost    replication  \"rdsrepladmin\" 100.65.0.0/24 scram-sha-256\n") !=
               NULL,
           "pg_hba: replication role from the region's link network");
        ok(strstr(hba, "\nhost    all          all   100.65.0.0/16 scram-sha-256\n") != NULL,
           "pg_hba: tenants from the VPC by default");
        ok(!strstr(hba, "127."), "pg_hba: nothing of the loopback");
        free(hba);
        spec_free(&s);
    }
    free(j);
    ok(spec_set_network("127.0.0.0/8", "127.0.0.1/32"), "back to loopback");
}

/* ---- the hot standby floor ---------------------------------------------- */

/* pg_controldata's output (PostgreSQL 15, LC_ALL=C), abridged around the
 * lines that matter, with the five values given. */
static char *controldata(const char *conns, const char *workers, const char *senders,
                         const char *xacts, const char *locks)
{
    return xasprintf("pg_control version number:            1300\n"
                     "Catalog version number:               202209061\n"
                     "Database cluster state:               in archive recovery\n"
                     "wal_level setting:                    replica\n"
                     "wal_log_hints setting:                on\n"
                     "max_connections setting:              %s\n"
                     "max_worker_processes setting:         %s\n"
                     "max_wal_senders setting:              %s\n"
                     "max_prepared_xacts setting:           %s\n"
                     "max_locks_per_xact setting:           %s\n"
                     "track_commit_timestamp setting:       off\n"
                     "Maximum data alignment:               8\n",
                     conns, workers, senders, xacts, locks);
}

static void test_controldata_parse(void)
{
    nodeconf_hs hs;
    char *t = controldata("150", "8", "25", "0", "64");
    ok(nodeconf_controldata_parse(t, strlen(t), &hs), "pg_controldata output parses");
    ok(hs.v[NODECONF_HS_MAX_CONNECTIONS] == 150 && hs.v[NODECONF_HS_MAX_WORKER_PROCESSES] == 8 &&
           hs.v[NODECONF_HS_MAX_WAL_SENDERS] == 25 && hs.v[NODECONF_HS_MAX_PREPARED_XACTS] == 0 &&
           hs.v[NODECONF_HS_MAX_LOCKS_PER_XACT] == 64,
       "the five values");
    /* Every truncation of a good output is refused, up to the last value's line. */
    size_t last = (size_t)(strstr(t, "max_locks_per_xact") - t);
    bool all = true;
    for (size_t n = 0; n < last; n++) {
        nodeconf_hs cut;
        if (nodeconf_controldata_parse(t, n, &cut) || cut.v[0] != 0) {
            diag("a cut at %zu parsed", n);
            all = false;
        }
    }
    ok(all, "every truncation before the last value: no floor");
    nodeconf_hs cut;
    ok(!nodeconf_controldata_parse(t, last + 30, &cut),
       "cut inside the last value's blanks: no floor");
    /* (A cut inside the last number leaves a smaller number: nothing in
     * the text says so, but it is never higher than the real value, so
     * it can only make a floor lower, never one that is not needed.) */
    ok(!nodeconf_controldata_parse(NULL, 0, &cut), "no output at all");
    char *nul = xstrdup(t);
    nul[10] = '\0';
    ok(!nodeconf_controldata_parse(nul, strlen(t), &cut), "a NUL byte: no floor");
    free(nul);
    free(t);

    static const struct {
        const char *name;
        const char *v[5];
    } bad[] = {
        {"empty value", {"", "8", "10", "0", "64"}},
        {"negative", {"-5", "8", "10", "0", "64"}},
        {"not a number", {"lots", "8", "10", "0", "64"}},
        {"trailing garbage", {"150x", "8", "10", "0", "64"}},
        {"two numbers", {"150 151", "8", "10", "0", "64"}},
        {"above MAX_BACKENDS", {"262144", "8", "10", "0", "64"}},
        {"max_connections 0", {"0", "8", "10", "0", "64"}},
        {"locks below 10", {"100", "8", "10", "0", "9"}},
        {"eleven digits", {"100", "8", "10", "0", "99999999999"}},
        {"hex", {"0x10", "8", "10", "0", "64"}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *b = controldata(bad[i].v[0], bad[i].v[1], bad[i].v[2], bad[i].v[3], bad[i].v[4]);
        char *what = xasprintf("refused: %s", bad[i].name);
        ok(!nodeconf_controldata_parse(b, strlen(b), &cut), what);
        free(what);
        free(b);
    }
    t = controldata("262143", "262143", "0", "262143", "2147483647");
    ok(nodeconf_controldata_parse(t, strlen(t), &hs) &&
           hs.v[NODECONF_HS_MAX_LOCKS_PER_XACT] == 2147483647,
       "PostgreSQL's own limits are taken");
    free(t);
    t = controldata("150", "8", "25", "0", "64");
    char *crc = xasprintf("WARNING: Calculated CRC checksum does not match value stored in "
                          "file.\nEither the file is corrupt, or it has a different layout "
                          "than this program\nis expecting.  The results below are "
                          "untrustworthy.\n\n%s", t);
    ok(!nodeconf_controldata_parse(crc, strlen(crc), &cut), "a CRC warning: no floor");
    free(crc);
    char *dup = xasprintf("%smax_connections setting:              9999\n", t);
    ok(!nodeconf_controldata_parse(dup, strlen(dup), &cut), "a value given twice: no floor");
    free(dup);
    char *crlf = xasprintf("max_connections setting: 150\r\nmax_worker_processes setting: 8\r\n"
                     "max_wal_senders setting: 25\r\nmax_prepared_xacts setting: 0\r\n"
                     "max_locks_per_xact setting: 64");
    ok(nodeconf_controldata_parse(crlf, strlen(crlf), &hs) &&
           hs.v[NODECONF_HS_MAX_CONNECTIONS] == 150 && hs.v[NODECONF_HS_MAX_LOCKS_PER_XACT] == 64,
       "CRLF lines and no final newline");
    free(crlf);
    free(t);
    /* Hostile bytes: random garbage never parses and never crashes. */
    unsigned seed = 12345;
    bool none = true;
    for (int round = 0; round < 2000; round++) {
        char g[300];
        size_t n = (size_t)(round % 300);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            g[i] = (char)(seed >> 16);
        }
        if (nodeconf_controldata_parse(g, n, &cut))
            none = false;
    }
    ok(none, "random bytes: no floor");
}

static void test_floor(void)
{
    node_spec s;
    nodeconf_hs have, control, floor;
    ok(parse_spec("{" SPEC "}", &s), "a bare spec parses");
    nodeconf_hs_configured(&s, &have);
    ok(have.v[NODECONF_HS_MAX_CONNECTIONS] == 100 &&
           have.v[NODECONF_HS_MAX_WORKER_PROCESSES] == 8 &&
           have.v[NODECONF_HS_MAX_WAL_SENDERS] == 25 &&
           have.v[NODECONF_HS_MAX_PREPARED_XACTS] == 0 &&
           have.v[NODECONF_HS_MAX_LOCKS_PER_XACT] == 64,
       "configured: PostgreSQL's defaults, the agent's max_wal_senders");
    spec_free(&s);

    /* db.t3.micro's class default in settings, the group's value in parameters. */
    ok(parse_spec("{" SPEC ",\"role\":\"standby\",\"settings\":{\"max_connections\":\"112\","
                  "\"max_worker_processes\":\"4\"},\"parameters\":{\"max_connections\":\"150\","
                  "\"max_locks_per_transaction\":\" 128 \"}}",
                  &s),
       "a spec with settings and parameters parses");
    nodeconf_hs_configured(&s, &have);
    ok(have.v[NODECONF_HS_MAX_CONNECTIONS] == 150, "the parameter wins over the setting");
    ok(have.v[NODECONF_HS_MAX_WORKER_PROCESSES] == 4, "a setting wins over the default");
    ok(have.v[NODECONF_HS_MAX_LOCKS_PER_XACT] == 128, "blanks around a number, as PostgreSQL");
    spec_free(&s);

    ok(parse_spec("{" SPEC ",\"role\":\"standby\",\"settings\":{\"max_connections\":\"112\"}}",
                  &s),
       "the group reset: the class default only");
    control = (nodeconf_hs){{150, 8, 25, 0, 64}};
    ok(nodeconf_floor_compute(&control, &s, &floor), "control 150 > configured 112: a floor");
    ok(floor.v[NODECONF_HS_MAX_CONNECTIONS] == 150 && floor.v[1] == 0 && floor.v[2] == 0 &&
           floor.v[3] == 0 && floor.v[4] == 0,
       "only max_connections is floored");
    char *text = nodeconf_render_floor(&floor);
    is_str(text,
           "# Written by rds-agent before each start: a hot standby's floor, the\n"
           "# control file's values above the configured ones (none for a primary).\n"
           "max_connections = '150'\n",
           "rdsim-floor.conf with the floor");
    free(text);
    control = (nodeconf_hs){{112, 8, 25, 0, 64}};
    ok(!nodeconf_floor_compute(&control, &s, &floor), "the primary's change replayed: no floor");
    control = (nodeconf_hs){{90, 8, 10, 0, 64}};
    ok(!nodeconf_floor_compute(&control, &s, &floor), "lower values never floor");
    control = (nodeconf_hs){{112, 16, 30, 5, 256}};
    ok(nodeconf_floor_compute(&control, &s, &floor) && floor.v[0] == 0 && floor.v[1] == 16 &&
           floor.v[2] == 30 && floor.v[3] == 5 && floor.v[4] == 256,
       "each of the five on its own");
    text = nodeconf_render_floor(&floor);
    is_str(text,
           "# Written by rds-agent before each start: a hot standby's floor, the\n"
           "# control file's values above the configured ones (none for a primary).\n"
           "max_worker_processes = '16'\n"
           "max_wal_senders = '30'\n"
           "max_prepared_transactions = '5'\n"
           "max_locks_per_transaction = '256'\n",
           "rdsim-floor.conf names PostgreSQL's settings");
    free(text);
    spec_free(&s);

    ok(parse_spec("{" SPEC ",\"parameters\":{\"max_connections\":\"many\"}}", &s),
       "a value PostgreSQL would refuse");
    nodeconf_hs_configured(&s, &have);
    ok(have.v[NODECONF_HS_MAX_CONNECTIONS] == -1, "configured: unknown");
    control = (nodeconf_hs){{150, 8, 25, 0, 64}};
    ok(!nodeconf_floor_compute(&control, &s, &floor), "an unknown value is never floored");
    spec_free(&s);

    text = nodeconf_render_floor(NULL);
    ok(!strchr(text, '=') && text[0] == '#', "no floor: a comment only");
    char *zero = nodeconf_render_floor(&(nodeconf_hs){{0}});
    is_str(zero, text, "an all-zero floor is the same file");
    free(zero);
    free(text);
    is_str(nodeconf_hs_name(NODECONF_HS_MAX_LOCKS_PER_XACT), "max_locks_per_transaction",
           "the setting's name");
    is_str(nodeconf_hs_name(NODECONF_HS_COUNT), "unknown", "out of range: unknown");
    ok(nodeconf_reload_only("include_if_exists = 'rdsim-params.conf'\nport = '5432'\n",
                            "include_if_exists = 'rdsim-params.conf'\nport = '5432'\n"
                            "include_if_exists = 'rdsim-floor.conf'\n"),
       "the floor's include added (an upgrade): a reload, no restart");
}

int main(void)
{
    test_network();
    test_params();
    test_render_conf();
    test_hba_rules();
    test_hba_iam();
    test_tls();
    test_spec_initialized();
    test_reload_only();
    test_secrets();
    test_marker();
    test_controldata_parse();
    test_floor();
    return done_testing();
}
