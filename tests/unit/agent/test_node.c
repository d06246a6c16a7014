/* Unit tests for the pure parts of agent/node and agent/proc: rendering
 * rdsim.conf and pg_hba.conf, parsing postmaster.pid, node_id validation,
 * the lifecycle table, and recognising a postmaster's cmdline. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "agent/node.h"
#include "agent/proc.h"
#include "agent/spec.h"
#include "lib/tap.h"
#include "lib/util.h"

static void test_node_id(void)
{
    static const struct {
        const char *id;
        bool valid;
    } cases[] = {
        {"shop-1", true},
        {"a", true},
        {"0-9-z", true},
        {"", false},
        {"Shop", false},
        {"../etc", false},
        {"a/b", false},
        {"a b", false},
        {"a_b", false},
        {".", false},
        {"shop\n", false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *name = xasprintf("node_id '%s' %s", cases[i].id, cases[i].valid ? "valid" : "refused");
        for (char *p = name; *p; p++)
            if (*p == '\n')
                *p = '~';
        ok(node_id_valid(cases[i].id) == cases[i].valid, name);
        free(name);
    }
    ok(!node_id_valid(NULL), "node_id NULL refused");
}

static bool parse_spec(const char *json, node_spec *out)
{
    cJSON *o = cJSON_Parse(json);
    char err[200];
    bool ok = o && spec_from_json(o, out, err, sizeof err);
    cJSON_Delete(o);
    return ok;
}

static void test_render_conf(void)
{
    static const struct {
        const char *name;
        const char *spec;
        const char *want; /* exact rdsim.conf */
    } cases[] = {
        {"minimal spec",
         "{\"instance_id\":\"shop\",\"addr\":\"127.0.1.5\",\"port\":5432,"
         "\"master_username\":\"app\"}",
         "# Written by rds-agent from the node's spec; rewritten on every change.\n"
         "# instance_id = shop, role = primary\n"
         "listen_addresses = '127.0.1.5'\n"
         "port = '5432'\n"
         "unix_socket_directories = '/h/nodes/n/sock'\n"
         "password_encryption = 'scram-sha-256'\n"
         "logging_collector = 'on'\n"
         "log_directory = '/h/nodes/n/log'\n"
         "log_filename = 'postgresql.log.%Y-%m-%d-%H'\n"},
        {"settings sorted, quoted, numbers as text",
         "{\"instance_id\":\"shop\",\"addr\":\"127.9.9.9\",\"port\":6543,\"role\":\"standby\","
         "\"master_username\":\"app\",\"settings\":{\"shared_buffers\":\"128MB\","
         "\"max_connections\":87,\"search_path\":\"'$user', public\",\"x.y\":\"a\\\\b\"}}",
         "# Written by rds-agent from the node's spec; rewritten on every change.\n"
         "# instance_id = shop, role = standby\n"
         "max_connections = '87'\n"
         "search_path = '''$user'', public'\n"
         "shared_buffers = '128MB'\n"
         "x.y = 'a\\\\b'\n"
         "listen_addresses = '127.9.9.9'\n"
         "port = '6543'\n"
         "unix_socket_directories = '/h/nodes/n/sock'\n"
         "password_encryption = 'scram-sha-256'\n"
         "logging_collector = 'on'\n"
         "log_directory = '/h/nodes/n/log'\n"
         "log_filename = 'postgresql.log.%Y-%m-%d-%H'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_spec s;
        if (!ok(parse_spec(cases[i].spec, &s), cases[i].name))
            continue;
        char *conf = node_render_conf("/h/nodes/n", &s);
        is_str(conf, cases[i].want, cases[i].name);
        free(conf);
        spec_free(&s);
    }
    char *hba = node_render_hba();
    ok(strstr(hba, "\nlocal   all          all                 scram-sha-256\n") &&
           strstr(hba, "\nhost    all          all   127.0.0.0/8   scram-sha-256\n") &&
           strstr(hba, "\nhost    replication  all   127.0.0.0/8   scram-sha-256\n") &&
           !strstr(hba, "trust") && !strstr(hba, "md5"),
       "pg_hba: scram everywhere, loopback only, replication allowed");
    free(hba);
}

static void test_pidfile(void)
{
    static const struct {
        const char *name;
        const char *text;
        bool ok;
        long pid;
        int port;
        const char *status;
    } cases[] = {
        {"ready postmaster",
         "4567\n/h/data\n1790000000\n5432\n/h/sock\n127.0.1.5\n  5432001  10\nready   \n", true,
         4567, 5432, "ready"},
        {"starting, no trailing newline",
         "4567\n/h/data\n1790000000\n5432\n/h/sock\n127.0.1.5\n  5432001  10\nstarting", true,
         4567, 5432, "starting"},
        {"standby", "12\nd\n1\n6000\ns\na\nk\nstandby \n", true, 12, 6000, "standby"},
        {"early file without a status line", "4567\n/h/data\n1790000000\n5432\n", true, 4567,
         5432, ""},
        {"pid only", "99\n", true, 99, 0, ""},
        {"empty", "", false, 0, 0, ""},
        {"garbage", "hello\nworld\n", false, 0, 0, ""},
        {"negative pid", "-5\n", false, 0, 0, ""},
        {"zero pid", "0\n", false, 0, 0, ""},
        {"pid overflow", "99999999999999999999\n", false, 0, 0, ""},
        {"bad port kept empty", "7\nd\n1\nport\n", true, 7, 0, ""},
        {"overlong status ignored", "7\nd\n1\n1\ns\na\nk\nreadyreadyreadyreadyready\n", true, 7, 1,
         ""},
        {"CRLF", "7\r\nd\r\n1\r\n5432\r\ns\r\na\r\nk\r\nready\r\n", true, 7, 5432, "ready"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_pidfile pf;
        bool got = node_pidfile_parse(cases[i].text, strlen(cases[i].text), &pf);
        ok(got == cases[i].ok && (!got || (pf.pid == cases[i].pid && pf.port == cases[i].port &&
                                           strcmp(pf.status, cases[i].status) == 0)),
           cases[i].name);
    }
    /* Embedded NUL and binary bytes must not crash or read past len. */
    static const char bin[] = "12\0\xff\n\n\n\n\n\n\nready";
    node_pidfile pf;
    ok(!node_pidfile_parse(bin, sizeof bin - 1, &pf), "binary garbage refused");
    ok(node_pidfile_parse("12\n", 2, &pf) && pf.pid == 12, "length respected (no newline)");
}

static void test_transitions(void)
{
    /* The lifecycle table, walked: every pair named here is allowed, every
     * other pair refused. */
    static const struct {
        node_state from, to;
    } allowed[] = {
        {NODE_NEW, NODE_CREATING},         {NODE_NEW, NODE_DELETING},
        {NODE_NEW, NODE_FAILED},           {NODE_CREATING, NODE_STOPPED},
        {NODE_CREATING, NODE_FAILED},      {NODE_CREATING, NODE_DELETING},
        {NODE_STARTING, NODE_RUNNING},     {NODE_STARTING, NODE_FAILED},
        {NODE_STARTING, NODE_STOPPING},    {NODE_STARTING, NODE_STOPPED},
        {NODE_RUNNING, NODE_STARTING},     {NODE_RUNNING, NODE_STOPPING},
        {NODE_RUNNING, NODE_FAILED},       {NODE_RUNNING, NODE_STOPPED},
        {NODE_STOPPING, NODE_STOPPED},     {NODE_STOPPED, NODE_STARTING},
        {NODE_STOPPED, NODE_DELETING},     {NODE_STOPPED, NODE_FAILED},
        {NODE_FAILED, NODE_CREATING},      {NODE_FAILED, NODE_STARTING},
        {NODE_FAILED, NODE_STOPPED},       {NODE_FAILED, NODE_DELETING},
        {NODE_DELETING, NODE_ABSENT},      {NODE_DELETING, NODE_FAILED},
        {NODE_ABSENT, NODE_CREATING},      {NODE_ABSENT, NODE_FAILED},
    };
    int mismatches = 0;
    for (int f = 0; f < NODE_STATE_COUNT; f++) {
        for (int t = 0; t < NODE_STATE_COUNT; t++) {
            bool want = false;
            for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
                want |= allowed[i].from == (node_state)f && allowed[i].to == (node_state)t;
            if (node_transition_allowed((node_state)f, (node_state)t) != want) {
                diag("transition %s -> %s: table says %d", node_state_name((node_state)f),
                     node_state_name((node_state)t), !want);
                mismatches++;
            }
        }
    }
    is_int(mismatches, 0, "lifecycle table is exactly the documented one");
    ok(!node_transition_allowed(NODE_STATE_COUNT, NODE_NEW), "out-of-range state refused");
    is_str(node_state_name(NODE_NEW), "creating", "NEW is reported as creating");
    is_str(node_state_name(NODE_ABSENT), "absent", "absent name");
}

static void test_cmdline(void)
{
#define CMD(s) s, sizeof s - 1
    static const struct {
        const char *name;
        const char *cmd;
        size_t len;
        bool match;
    } cases[] = {
        {"our postmaster", CMD("/usr/lib/postgresql/15/bin/postgres\0-D\0/h/nodes/n/data\0"), true},
        {"postmaster alias", CMD("postmaster\0-D\0/h/nodes/n/data\0"), true},
        {"options before -D", CMD("/bin/postgres\0-c\0x=1\0-D\0/h/nodes/n/data\0"), true},
        {"another data dir", CMD("/bin/postgres\0-D\0/h/nodes/m/data\0"), false},
        {"prefix of the data dir", CMD("/bin/postgres\0-D\0/h/nodes/n/data2\0"), false},
        {"not postgres", CMD("/bin/sleep\0-D\0/h/nodes/n/data\0"), false},
        {"postgres backend title", CMD("postgres: checkpointer \0\0\0"), false},
        {"no final NUL", CMD("/bin/postgres\0-D\0/h/nodes/n/data"), false},
        {"empty", CMD(""), false},
        {"-D last", CMD("/bin/postgres\0-D\0"), false},
    };
#undef CMD
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ok(proc_cmdline_matches(cases[i].cmd, cases[i].len, "/h/nodes/n/data") == cases[i].match,
           cases[i].name);
    ok(!proc_is_postmaster_of(1, "/h/nodes/n/data"), "pid 1 is not our postmaster");
    ok(!proc_is_postmaster_of(0, "/h/nodes/n/data"), "pid 0 refused");
}

int main(void)
{
    test_node_id();
    test_render_conf();
    test_pidfile();
    test_transitions();
    test_cmdline();
    return done_testing();
}
