/* Unit tests for controlplane/subnetgroup's pure rules: AZ coverage. */
#include <string.h>

#include "controlplane/net/subnetgroup.h"
#include "lib/tap.h"

static ec2_subnet subnet(const char *id, const char *az, const char *cidr)
{
    ec2_subnet s = {0};
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.az, sizeof s.az, "%s", az);
    snprintf(s.cidr, sizeof s.cidr, "%s", cidr);
    return s;
}

int main(void)
{
    ec2_subnet s[4] = {
        subnet("subnet-a1", "us-east-1a", "127.0.101.0/24"),
        subnet("subnet-a2", "us-east-1a", "127.0.102.0/24"),
        subnet("subnet-b1", "us-east-1b", "127.0.103.0/24"),
        subnet("subnet-c1", "us-east-1c", "127.0.104.0/24"),
    };
    is_int(subnetgroup_az_count(s, 0), 0, "no subnet, no AZ");
    is_int(subnetgroup_az_count(s, 2), 1, "two subnets in one AZ count once");
    is_int(subnetgroup_az_count(s, 4), 3, "three AZs");

    static const struct {
        const char *name;
        int first, n, region_azs;
        bool ok;
    } cases[] = {
        {"one AZ in a three-AZ region is not enough", 0, 2, 3, false},
        {"two AZs in a three-AZ region are enough", 1, 2, 3, true},
        {"three AZs are enough", 0, 4, 3, true},
        {"one AZ in a one-AZ region is enough", 0, 1, 1, true},
        {"nothing is never enough", 0, 0, 1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        awserr err = {0};
        bool got = subnetgroup_check_coverage(s + cases[i].first, cases[i].n,
                                              cases[i].region_azs, &err);
        ok(got == cases[i].ok, cases[i].name);
        if (!cases[i].ok)
            ok(err.code == AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS &&
                   strstr(err.message, "Current AZ coverage"),
               "  ... with DBSubnetGroupDoesNotCoverEnoughAZs");
    }
    return done_testing();
}
