/* Unit tests for the pure parts of agent/node and agent/proc: the
 * role-change table, parsing postmaster.pid, node_id validation, the
 * lifecycle table, and recognising a postmaster's cmdline. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
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

/* The role-change table (node_role_decide), walked row by row. */
static void test_role_decide(void)
{
#define BASE "\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,\"master_username\":\"u\""
#define UP(id) ",\"upstream\":{\"node_id\":\"" id "\",\"addr\":\"127.0.0.2\",\"port\":1}"
    static const struct {
        const char *name;
        bool have_standby;
        int64_t built_seq;
        const char *built_upstream;
        const char *spec;
        node_action want;
    } cases[] = {
        {"primary stays primary", false, 0, "", "{" BASE "}", NODE_ACT_KEEP},
        {"primary, explicit role", false, 0, "", "{" BASE ",\"role\":\"primary\"}", NODE_ACT_KEEP},
        {"standby stays standby", true, 0, "a",
         "{" BASE ",\"role\":\"standby\"" UP("a") "}", NODE_ACT_KEEP},
        {"standby asked to be primary: promote", true, 0, "a",
         "{" BASE ",\"role\":\"primary\"}", NODE_ACT_PROMOTE},
        {"promote wins over a rebuild_seq change", true, 0, "a",
         "{" BASE ",\"role\":\"primary\",\"rebuild_seq\":3}", NODE_ACT_PROMOTE},
        {"old primary asked to be standby: rejoin", false, 0, "",
         "{" BASE ",\"role\":\"standby\"" UP("b") "}", NODE_ACT_REJOIN},
        {"old primary, rebuild_seq changed too: still rejoin (rewind first)", false, 0, "",
         "{" BASE ",\"role\":\"standby\",\"rebuild_seq\":2" UP("b") "}", NODE_ACT_REJOIN},
        {"standby, rebuild_seq changed: rebuild", true, 1, "a",
         "{" BASE ",\"role\":\"standby\",\"rebuild_seq\":2" UP("a") "}", NODE_ACT_REBUILD},
        {"standby, rebuild_seq same: keep", true, 2, "a",
         "{" BASE ",\"role\":\"standby\",\"rebuild_seq\":2" UP("a") "}", NODE_ACT_KEEP},
        {"standby of another upstream: rejoin", true, 0, "a",
         "{" BASE ",\"role\":\"standby\"" UP("b") "}", NODE_ACT_REJOIN},
        {"standby of another upstream that follows it: keep (reload)", true, 0, "a",
         "{" BASE ",\"role\":\"standby\",\"follow_upstream\":true" UP("b") "}", NODE_ACT_KEEP},
        {"standby with the original marker: keep", true, 0, "",
         "{" BASE ",\"role\":\"standby\"" UP("b") "}", NODE_ACT_KEEP},
        {"standby spec without upstream: keep", true, 0, "a",
         "{" BASE ",\"role\":\"standby\"}", NODE_ACT_KEEP},
        {"rebuild_seq never wipes a primary", false, 0, "",
         "{" BASE ",\"rebuild_seq\":9}", NODE_ACT_KEEP},
        {"retired role counts as primary (no demotion)", false, 0, "",
         "{" BASE ",\"role\":\"retired\"}", NODE_ACT_KEEP},
    };
#undef BASE
#undef UP
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_spec s;
        if (!ok(parse_spec(cases[i].spec, &s), cases[i].name))
            continue;
        nodeconf_marker m = {.rebuild_seq = cases[i].built_seq};
        snprintf(m.upstream, sizeof m.upstream, "%s", cases[i].built_upstream);
        node_action got = node_role_decide(cases[i].have_standby, &m, &s);
        is_str(node_action_name(got), node_action_name(cases[i].want), cases[i].name);
        spec_free(&s);
    }
    node_spec s;
    parse_spec("{\"instance_id\":\"s\",\"addr\":\"127.0.0.1\",\"port\":1,"
               "\"master_username\":\"u\",\"role\":\"standby\",\"rebuild_seq\":1}", &s);
    is_str(node_action_name(node_role_decide(true, NULL, &s)), "rebuild",
           "unknown marker is rebuild_seq 0");
    spec_free(&s);
    is_str(node_action_name((node_action)99), "unknown", "out-of-range action name");
    is_str(node_role_name(NODE_ROLE_STANDBY), "standby", "role name");
    ok(node_role_name(NODE_ROLE_UNKNOWN) == NULL, "unknown role has no name");
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

static void test_controlfile(void)
{
    static const struct {
        const char *name;
        uint32_t version, state;
        size_t len;
        int want;
    } cases[] = {
        {"PG15 primary: in production", 1300, 6, 8192, NODE_DB_IN_PRODUCTION},
        {"PG15 standby: in archive recovery", 1300, 5, 8192, NODE_DB_IN_ARCHIVE_RECOVERY},
        {"shut down", 1300, 1, 20, 1},
        {"exactly 20 bytes", 1300, 6, 20, 6},
        {"too short", 1300, 6, 19, -1},
        {"state out of range", 1300, 7, 8192, -1},
        {"garbage version", 12, 6, 8192, -1},
        {"version too large", 123456, 6, 8192, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char buf[8192] = {0};
        uint64_t sysid = 7300000000000000001ULL;
        uint32_t catver = 202209061;
        memcpy(buf, &sysid, 8);
        memcpy(buf + 8, &cases[i].version, 4);
        memcpy(buf + 12, &catver, 4);
        memcpy(buf + 16, &cases[i].state, 4);
        is_int(node_controlfile_state(buf, cases[i].len), cases[i].want, cases[i].name);
    }
    is_int(node_controlfile_state(NULL, 100), -1, "NULL buffer");
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
        {NODE_RUNNING, NODE_PROMOTING},    {NODE_RUNNING, NODE_CRASHED},
        {NODE_PROMOTING, NODE_RUNNING},    {NODE_PROMOTING, NODE_STARTING},
        {NODE_PROMOTING, NODE_STOPPING},   {NODE_PROMOTING, NODE_STOPPED},
        {NODE_PROMOTING, NODE_CRASHED},    {NODE_CRASHED, NODE_STARTING},
        {NODE_CRASHED, NODE_STOPPED},      {NODE_CRASHED, NODE_REJOINING},
        {NODE_CRASHED, NODE_DELETING},     {NODE_CRASHED, NODE_FAILED},
        {NODE_CRASHED, NODE_STOPPING},
        {NODE_REJOINING, NODE_STOPPED},    {NODE_REJOINING, NODE_FAILED},
        {NODE_REJOINING, NODE_DELETING},
        {NODE_STOPPING, NODE_STOPPED},     {NODE_STOPPED, NODE_STARTING},
        {NODE_STOPPED, NODE_DELETING},     {NODE_STOPPED, NODE_FAILED},
        {NODE_STOPPED, NODE_REJOINING},
        {NODE_FAILED, NODE_CREATING},      {NODE_FAILED, NODE_STARTING},
        {NODE_FAILED, NODE_STOPPED},       {NODE_FAILED, NODE_DELETING},
        {NODE_FAILED, NODE_REJOINING},
        {NODE_DELETING, NODE_ABSENT},      {NODE_DELETING, NODE_FAILED},
        {NODE_ABSENT, NODE_CREATING},      {NODE_ABSENT, NODE_FAILED},
        /* Issue 13: data lost is entered from any resting or live state
         * and left only by a restore, a standby rebuild, data found again
         * or a delete — never NEW (an initdb). */
        {NODE_NEW, NODE_DATA_LOST},        {NODE_STARTING, NODE_DATA_LOST},
        {NODE_RUNNING, NODE_DATA_LOST},    {NODE_PROMOTING, NODE_DATA_LOST},
        {NODE_CRASHED, NODE_DATA_LOST},    {NODE_STOPPED, NODE_DATA_LOST},
        {NODE_FAILED, NODE_DATA_LOST},     {NODE_ABSENT, NODE_DATA_LOST},
        {NODE_DATA_LOST, NODE_CREATING},   {NODE_DATA_LOST, NODE_REJOINING},
        {NODE_DATA_LOST, NODE_STOPPED},    {NODE_DATA_LOST, NODE_DELETING},
        {NODE_DATA_LOST, NODE_FAILED},
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
    is_str(node_state_name(NODE_DATA_LOST), "data-lost", "DATA_LOST is reported as data-lost");
    is_str(node_state_name(NODE_ABSENT), "absent", "absent name");
    is_str(node_state_name(NODE_CRASHED), "crashed", "crashed name");
    is_str(node_state_name(NODE_REJOINING), "rejoining", "rejoining name");
    is_str(node_state_name(NODE_PROMOTING), "promoting", "promoting name");
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
    test_role_decide();
    test_pidfile();
    test_controlfile();
    test_transitions();
    test_cmdline();
    return done_testing();
}
