/* instnet: see instnet.h. */
#include "controlplane/net/instnet.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/net/ec2.h"
#include "controlplane/core/region.h"
#include "controlplane/net/subnetgroup.h"
#include "lib/util.h"

/* The instance's groups: extra.VpcSecurityGroupIds, else [default]. A new
 * array. */
static cJSON *sg_ids_of(const store_instance *in)
{
    cJSON *ids = instextra_security_groups(in);
    if (ids)
        return ids;
    cJSON *d = cJSON_CreateArray();
    cJSON_AddItemToArray(d, cJSON_CreateString(EC2_DEFAULT_SG_ID));
    return d;
}

/* VpcSecurityGroupIds.VpcSecurityGroupId.N into extra; false on a bad or
 * unknown id. *given says whether the list was there. */
static bool read_sgs(region *r, const params *p, cJSON *extra, bool *given, awserr *err)
{
    const char **ids = NULL;
    int n = params_get_list(p, "VpcSecurityGroupIds", "VpcSecurityGroupId", &ids, err);
    *given = n > 0;
    if (n <= 0) {
        free(ids);
        return n == 0;
    }
    bool ok = true;
    if (n > INSTNET_MAX_SGS)
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                        "At most %d VPC security groups can be given.", INSTNET_MAX_SGS);
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; ok && i < n; i++) {
        bool found = false;
        ec2_sg_exists(r, ids[i], &found);
        if (!found)
            ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                            "Invalid security group , groupId= %s, groupName=.", ids[i]);
        bool dup = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) dup |= strcmp(it->valuestring, ids[i]) == 0;
        if (!dup)
            cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
    }
    free(ids);
    if (ok) {
        instextra_set_item(extra, INSTEXTRA_SECURITY_GROUPS, arr);
    } else {
        cJSON_Delete(arr);
    }
    return ok;
}

bool instnet_read_create(region *r, const params *p, const char *az, bool multi_az, cJSON *extra,
                         awserr *err)
{
    bool given = false;
    if (!read_sgs(r, p, extra, &given, err))
        return false;
    const char *g = params_get(p, "DBSubnetGroupName");
    char *name = str_lower(xstrdup(g && *g ? g : SUBNETGROUP_DEFAULT));
    ec2_subnet *s = NULL;
    bool found = false;
    int n = subnetgroup_subnets(r, name, &s, &found);
    bool ok = true;
    if (n < 0)
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    else if (!found)
        ok = awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_FOUND, "DBSubnetGroup '%s' not found.",
                        name);
    bool dflt = strcmp(name, SUBNETGROUP_DEFAULT) == 0;
    /* The default group covers every AZ of the region by definition (its
     * subnets appear as the agents register, maybe after this request:
     * the region-wide checks of CreateDBInstance apply instead). */
    if (ok && !dflt && multi_az && subnetgroup_az_count(s, n) < 2)
        ok = awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS,
                        "DB Subnet Group '%s' does not cover enough Availability Zones for a "
                        "Multi-AZ instance: it covers %d.", name, subnetgroup_az_count(s, n));
    bool covered = az == NULL || dflt;
    for (int i = 0; ok && i < n && !covered; i++)
        covered = strcmp(s[i].az, az) == 0;
    if (ok && !covered)
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                        "No subnet of DB subnet group '%s' is in Availability Zone %s.", name, az);
    if (ok && !dflt)
        instextra_set_str(extra, INSTEXTRA_SUBNET_GROUP, name);
    if (ok && !instextra_has(extra, INSTEXTRA_PUBLIC))
        instextra_set_bool(extra, INSTEXTRA_PUBLIC, dflt);
    free(s);
    free(name);
    return ok;
}

bool instnet_read_modify(region *r, const params *p, const store_instance *in, cJSON *extra,
                         bool *changed, awserr *err)
{
    bool given = false;
    if (!read_sgs(r, p, extra, &given, err))
        return false;
    *changed |= given;
    const char *g = params_get(p, "DBSubnetGroupName");
    if (!g)
        return true;
    char cur[256], *want = str_lower(xstrdup(g));
    bool same = strcmp(subnetgroup_of_instance(in, cur, sizeof cur), want) == 0;
    free(want);
    if (!same)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Moving an instance to another DB subnet group is not supported in "
                          "this region: create a new instance in that group.");
    *changed = true;
    return true;
}

void instnet_render_sgs(const store_instance *in, cJSON *o)
{
    cJSON *ids = sg_ids_of(in);
    cJSON *vpcs = cJSON_AddArrayToObject(o, "VpcSecurityGroups");
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        cJSON *sg = cJSON_CreateObject();
        cJSON_AddStringToObject(sg, "VpcSecurityGroupId", id->valuestring);
        cJSON_AddStringToObject(sg, "Status", "active");
        cJSON_AddItemToArray(vpcs, sg);
    }
    cJSON_Delete(ids);
}

void instnet_render_subnet_group(region *r, const store_instance *in, cJSON *o)
{
    char name[256];
    cJSON *g = subnetgroup_render(r, subnetgroup_of_instance(in, name, sizeof name));
    if (g)
        cJSON_AddItemToObject(o, "DBSubnetGroup", g);
}

cJSON *instnet_allowed_cidrs(region *r, const store_instance *in)
{
    cJSON *ids = sg_ids_of(in);
    cJSON *out = ec2_allowed_cidrs(r, ids, in->port);
    cJSON_Delete(ids);
    return out;
}

bool instnet_public(const store_instance *in)
{
    return instextra_public(in);
}
