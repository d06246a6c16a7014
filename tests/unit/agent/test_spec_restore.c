/* spec: the "restore" member (a primary made from a snapshot object):
 * parsed, validated (absolute path without "..", a loopback KMS
 * endpoint), kept by spec_to_json (agent.json must remember it across an
 * agent restart), copied and compared. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/spec.h"
#include "lib/tap.h"

static const char *base =
    "{\"instance_id\":\"db1\",\"addr\":\"127.0.1.5\",\"port\":5432,"
    "\"master_username\":\"app\",\"master_verifier\":\"SCRAM-SHA-256$4096:CUGyJjEERsq0zE/XeGsEIQ==$tNHkkN1OW9tWgh1UXuaDFObya70KxbuHufuDCD78hfc=:gM5MV8kY5L1GUGN+bQam1cwNo5AG3ppxD5DohA13VYg=\"%s}";

static bool parse(const char *extra, node_spec *out)
{
    char buf[2048], err[256];
    snprintf(buf, sizeof buf, base, extra);
    cJSON *o = cJSON_Parse(buf);
    bool ok = o && spec_from_json(o, out, err, sizeof err);
    cJSON_Delete(o);
    return ok;
}

int main(void)
{
    node_spec s;
    ok(parse("", &s) && !s.restore_path, "no restore: initdb as before");
    spec_free(&s);
    ok(parse(",\"restore\":{\"path\":\"/r/backups/snapshots/s1/base.tar.env\","
             "\"kms\":\"http://127.0.0.1:8780/\"}", &s),
       "a restore parses");
    is_str(s.restore_path, "/r/backups/snapshots/s1/base.tar.env", "its path");
    is_str(s.restore_kms, "http://127.0.0.1:8780/", "its KMS endpoint");
    cJSON *j = spec_to_json(&s);
    node_spec back;
    char err[256];
    ok(spec_from_json(j, &back, err, sizeof err) && back.restore_path &&
           strcmp(back.restore_path, s.restore_path) == 0,
       "spec_to_json keeps it (agent.json)");
    cJSON_Delete(j);
    spec_free(&back);
    node_spec copy = {0};
    spec_copy(&copy, &s);
    ok(spec_same(&copy, &s), "a copy is the same");
    free(copy.restore_path);
    copy.restore_path = strdup("/other");
    ok(!spec_same(&copy, &s), "another path is not");
    spec_free(&copy);
    spec_free(&s);

    ok(parse(",\"restore\":{\"path\":\"/r/b.env\",\"kms\":\"http://127.0.0.1:1/\","
             "\"wal\":\"/r/backups/automated/db-X/wal\",\"target\":\"2026-11-24 10:43:14.550+00\"}",
             &s),
       "a point-in-time restore parses");
    is_str(s.restore_wal, "/r/backups/automated/db-X/wal", "its WAL archive");
    is_str(s.restore_target, "2026-11-24 10:43:14.550+00", "its target");
    j = spec_to_json(&s);
    ok(spec_from_json(j, &back, err, sizeof err) && back.restore_target &&
           strcmp(back.restore_target, s.restore_target) == 0,
       "spec_to_json keeps the target");
    cJSON_Delete(j);
    spec_free(&back);
    spec_copy(&copy, &s);
    free(copy.restore_target);
    copy.restore_target = strdup("2026-11-24 10:43:15.000+00");
    ok(!spec_same(&copy, &s), "another target is another spec");
    spec_free(&copy);
    spec_free(&s);

    const char *bad[] = {
        ",\"restore\":{\"path\":\"/a\",\"kms\":\"http://127.0.0.1:1/\",\"wal\":\"/w\"}",
        ",\"restore\":{\"path\":\"/a\",\"kms\":\"http://127.0.0.1:1/\",\"target\":\"2026-11-24 10:43:14+00\"}",
        ",\"restore\":{\"path\":\"/a\",\"kms\":\"http://127.0.0.1:1/\",\"wal\":\"/w\","
        "\"target\":\"2026-11-24'; DROP\"}",
        ",\"restore\":{\"path\":\"/a\",\"kms\":\"http://127.0.0.1:1/\",\"wal\":\"w\","
        "\"target\":\"2026-11-24 10:43:14+00\"}",
        ",\"restore\":{\"path\":\"relative/x\",\"kms\":\"http://127.0.0.1:1/\"}",
        ",\"restore\":{\"path\":\"/a/../etc/shadow\",\"kms\":\"http://127.0.0.1:1/\"}",
        ",\"restore\":{\"path\":\"/a\\nb\",\"kms\":\"http://127.0.0.1:1/\"}",
        ",\"restore\":{\"path\":\"/a\",\"kms\":\"http://10.0.0.1:1/\"}",
        ",\"restore\":{\"path\":\"/a\"}",
        ",\"restore\":\"/a\"",
        ",\"restore\":{\"path\":5,\"kms\":\"http://127.0.0.1:1/\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "bad restore %zu refused", i);
        ok(!parse(bad[i], &s), name);
        spec_free(&s);
    }
    ok(spec_valid_restore_path("/x/y.env"), "an absolute path is valid");
    ok(!spec_valid_restore_path("//x"), "a double slash is not");
    ok(!spec_valid_restore_path(NULL), "NULL is not");

    /* Issue 17 part 4: the controlplane's restore routes, on the hosts a
     * KMS URL may name, and nothing else. */
    static const char tok[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:8780/agent/v1/restore/db1-1/%s/base", tok);
    ok(spec_valid_restore_url(url) && spec_valid_restore_source(url), "a loopback base URL");
    snprintf(url, sizeof url, "http://127.0.0.1:8780/agent/v1/restore/db1-1/%s/wal", tok);
    ok(spec_valid_restore_url(url), "a WAL archive URL");
    char extra[768];
    snprintf(extra, sizeof extra,
             ",\"restore\":{\"path\":\"http://127.0.0.1:1/agent/v1/restore/n/%s/base\","
             "\"kms\":\"http://127.0.0.1:1/\",\"wal\":\"http://127.0.0.1:1/agent/v1/restore/n/%s/wal\","
             "\"target\":\"2026-11-24 10:43:14.550+00\"}",
             tok, tok);
    ok(parse(extra, &s) && s.restore_wal && strncmp(s.restore_wal, "http://", 7) == 0,
       "a goal with URLs parses");
    spec_free(&s);
    ok(!spec_valid_restore_url("http://127.0.0.1:8780/agent/v1/restore/n/t/../../etc/shadow"),
       "a URL with .. is refused");
    ok(!spec_valid_restore_url("http://10.9.9.9:8780/agent/v1/restore/n/t/base"),
       "a host outside the region's addresses is refused");
    ok(!spec_valid_restore_url("http://127.0.0.1:8780/other/n/t/base"),
       "another route is refused");
    ok(!spec_valid_restore_url("https://127.0.0.1:8780/agent/v1/restore/n/t/base"),
       "another scheme is refused");
    ok(!spec_valid_restore_url("http://127.0.0.1:8780/agent/v1/restore/n/t/base?x=1"),
       "a query is refused");
    ok(!spec_valid_restore_url("http://127.0.0.1:8780/agent/v1/restore/n/t/%2e%2e/base"),
       "an escape is refused");
    ok(!spec_valid_restore_url("http://127.0.0.1:99999/agent/v1/restore/n/t/base"),
       "a port over 65535 is refused");
    ok(!spec_valid_restore_url("http://127.0.0.1:/agent/v1/restore/n/t/base"),
       "no port is refused");
    ok(!spec_valid_restore_url("http://127.0.0.1@10.0.0.1:1/agent/v1/restore/n/t/base"),
       "a user-info trick is refused");
    ok(!spec_valid_restore_source("file:///etc/shadow"), "a file URL is neither");
    ok(spec_set_network("100.64.0.0/16", "100.64.0.0/24"), "namespace mode's network");
    ok(spec_valid_restore_url("http://100.64.0.1:8780/agent/v1/restore/n/t/base"),
       "the controlplane's region address is accepted there");
    ok(!spec_valid_restore_url("http://100.64.3.5:8780/agent/v1/restore/n/t/base"),
       "a node's address is not");
    return done_testing();
}
