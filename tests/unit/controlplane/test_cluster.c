/* test_cluster: the Multi-AZ DB cluster's status table (every move in it
 * applies, every other is refused), its status names, member and endpoint
 * names, and identifiers given as ARNs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/domain/cluster.h"
#include "lib/tap.h"

static void test_moves(void)
{
    for (int i = 0; i < cluster_move_count; i++) {
        const transition_move *m = &cluster_moves[i];
        cluster_status from = (cluster_status)m->from, to = (cluster_status)m->to, st = from;
        char name[200];
        snprintf(name, sizeof name, "%s -> %s allowed (%s)", cluster_status_name(from),
                 cluster_status_name(to), m->why);
        ok(from != to && cluster_status_apply("c", &st, to) && st == to, name);
    }
    int refused = 0, pairs = 0;
    for (int a = 0; a < CLUSTER_STATUS_COUNT; a++)
        for (int b = 0; b < CLUSTER_STATUS_COUNT; b++) {
            bool in_table = a == b;
            for (int i = 0; i < cluster_move_count; i++)
                in_table |= cluster_moves[i].from == a && cluster_moves[i].to == b;
            if (in_table)
                continue;
            pairs++;
            cluster_status st = (cluster_status)a;
            refused += !cluster_status_apply("c", &st, (cluster_status)b) && (int)st == a;
        }
    is_int(refused, pairs, "every move outside the table is refused");
    ok(!cluster_status_allowed(CLUSTER_DELETING, CLUSTER_AVAILABLE), "a deleting cluster stays");
    ok(!cluster_status_allowed(CLUSTER_CREATING, CLUSTER_FAILING_OVER),
       "no failover before the cluster is available");
}

static void test_names(void)
{
    for (int i = 0; i < CLUSTER_STATUS_COUNT; i++) {
        cluster_status back = CLUSTER_STATUS_COUNT;
        ok(cluster_status_parse(cluster_status_name((cluster_status)i), &back) && (int)back == i,
           cluster_status_name((cluster_status)i));
    }
    cluster_status st = CLUSTER_AVAILABLE;
    ok(!cluster_status_parse("Available", &st) && !cluster_status_parse(NULL, &st) &&
           st == CLUSTER_AVAILABLE, "unknown status names are refused");
    is_str(cluster_status_name(CLUSTER_FAILING_OVER), "failing-over", "RDS's spelling");
    region r = {0};
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.hash = (char *)"abc123";
    r.apex = (char *)"us-east-1.rds.internal";
    char *s = cluster_member_id("shop", 3);
    is_str(s, "shop-instance-3", "members are <id>-instance-N");
    free(s);
    s = cluster_endpoint(&r, "shop");
    is_str(s, "shop.cluster-abc123.us-east-1.rds.internal", "the cluster endpoint");
    free(s);
    s = cluster_reader_endpoint(&r, "shop");
    is_str(s, "shop.cluster-ro-abc123.us-east-1.rds.internal", "the reader endpoint");
    free(s);
    s = cluster_arn(&r, "shop");
    is_str(s, "arn:aws:rds:us-east-1:123456789012:cluster:shop", "the cluster ARN");
    free(s);
    s = cluster_id_from("arn:aws:rds:us-east-1:123456789012:cluster:Shop");
    is_str(s, "shop", "an ARN names the cluster, lowercased");
    free(s);
    s = cluster_id_from("SHOP");
    is_str(s, "shop", "an identifier is lowercased");
    free(s);
}

int main(void)
{
    test_moves();
    test_names();
    return done_testing();
}
