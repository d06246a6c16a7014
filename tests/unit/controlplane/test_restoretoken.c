/* restoretoken and restoreobj's pure parts (issue 17 part 4): a restore
 * object's capability is good for its node, its kind and its source only,
 * and only whole; the route's path and WAL names are read strictly. */
#include <stdio.h>
#include <string.h>

#include "controlplane/api/restoreobj.h"
#include "controlplane/core/restoretoken.h"
#include "lib/tap.h"

int main(void)
{
    uint8_t key[RESTORETOKEN_KEY_LEN], other_key[RESTORETOKEN_KEY_LEN];
    memset(key, 7, sizeof key);
    memset(other_key, 8, sizeof other_key);
    const char *src = "/r/backups/snapshots/s1/base.tar.env";
    char t[RESTORETOKEN_HEX + 1];
    restoretoken_make(key, "db1-1", "base", src, t);
    is_int(strlen(t), 64, "a token is 64 hex digits");
    ok(restoretoken_check(key, "db1-1", "base", src, t), "it checks for its node, kind, source");

    char u[RESTORETOKEN_HEX + 1];
    restoretoken_make(key, "db1-1", "base", src, u);
    is_str(u, t, "the same triple gives the same token (a URL survives a restart)");

    ok(!restoretoken_check(key, "db2-1", "base", src, t), "not for another node");
    ok(!restoretoken_check(key, "db1-1", "wal", src, t), "not for another kind");
    ok(!restoretoken_check(key, "db1-1", "base", "/r/backups/snapshots/s2/base.tar.env", t),
       "not for another source (a later restore of the same node)");
    ok(!restoretoken_check(other_key, "db1-1", "base", src, t), "not under another key");

    char forged[RESTORETOKEN_HEX + 1];
    memcpy(forged, t, sizeof forged);
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    ok(!restoretoken_check(key, "db1-1", "base", src, forged), "one digit changed: forged");
    char upper[RESTORETOKEN_HEX + 1];
    for (int i = 0; i <= RESTORETOKEN_HEX; i++)
        upper[i] = (char)((t[i] >= 'a' && t[i] <= 'f') ? t[i] - 32 : t[i]);
    ok(strcmp(upper, t) == 0 || !restoretoken_check(key, "db1-1", "base", src, upper),
       "upper-case hex is another string");
    char shortt[RESTORETOKEN_HEX];
    memcpy(shortt, t, RESTORETOKEN_HEX - 1);
    shortt[RESTORETOKEN_HEX - 1] = '\0';
    ok(!restoretoken_check(key, "db1-1", "base", src, shortt), "one digit short: refused");
    char longt[RESTORETOKEN_HEX + 2];
    snprintf(longt, sizeof longt, "%s0", t);
    ok(!restoretoken_check(key, "db1-1", "base", src, longt), "one digit long: refused");
    ok(!restoretoken_check(key, "db1-1", "base", src, ""), "empty: refused");
    ok(!restoretoken_check(key, "db1-1", "base", src, NULL), "missing: refused");
    /* The message's separators: "a\nb" + "c" is not "a" + "b\nc". */
    char v[RESTORETOKEN_HEX + 1], w[RESTORETOKEN_HEX + 1];
    restoretoken_make(key, "n", "base", "x", v);
    restoretoken_make(key, "n", "basex", "", w);
    ok(strcmp(v, w) != 0, "fields cannot slide into each other");

    ok(restoretoken_valid_node_id("db1-1"), "a node id");
    ok(!restoretoken_valid_node_id("a/b") && !restoretoken_valid_node_id("..") &&
           !restoretoken_valid_node_id(""),
       "not a path, not empty");

    restoreobj_route rt;
    char path[256];
    snprintf(path, sizeof path, "/agent/v1/restore/db1-1/%s/base", t);
    ok(restoreobj_parse(path, &rt) && strcmp(rt.node, "db1-1") == 0 &&
           strcmp(rt.token, t) == 0 && strcmp(rt.kind, "base") == 0 && !rt.listing,
       "a base route");
    snprintf(path, sizeof path, "/agent/v1/restore/db1-1/%s/wal/", t);
    ok(restoreobj_parse(path, &rt) && strcmp(rt.kind, "wal") == 0 && rt.listing,
       "the listing route");
    snprintf(path, sizeof path, "/agent/v1/restore/db1-1/%s/wal/000000010000000000000003.env",
             t);
    ok(restoreobj_parse(path, &rt) && strcmp(rt.name, "000000010000000000000003.env") == 0 &&
           restoreobj_wal_name_ok(rt.name),
       "a WAL object route");
    ok(!restoreobj_parse("/agent/v1/restore/db1-1/base", &rt), "a missing token is malformed");
    ok(!restoreobj_parse("/agent/v1/restore//x/base", &rt), "an empty node is malformed");
    snprintf(path, sizeof path, "/agent/v1/restore/db1-1/%s/other", t);
    ok(!restoreobj_parse(path, &rt), "another kind is malformed");
    snprintf(path, sizeof path, "/agent/v1/restore/db1-1/%s/walx", t);
    ok(!restoreobj_parse(path, &rt), "walx is not wal");
    ok(!restoreobj_wal_name_ok("../../controlplane/kms-master.key"), "a traversal is no WAL name");
    ok(!restoreobj_wal_name_ok("000000010000000000000003.env/x"), "nor a path below one");
    ok(!restoreobj_wal_name_ok("000000010000000000000003"), "nor a name without .env");
    ok(restoreobj_wal_name_ok("000000010000000000000003.partial.env") &&
           restoreobj_wal_name_ok("00000002.history.env"),
       "partials and histories are");
    return done_testing();
}
