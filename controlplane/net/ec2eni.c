/* ec2eni: DescribeNetworkInterfaces (ec2svc.h). An RDS instance in a VPC
 * has a requester-managed network interface ("RDSNetworkInterface",
 * RequesterId amazon-rds) carrying its security groups; rdsim derives one
 * per instance from the store, never stores them: eni-<17 hex digits> of
 * FNV-1a over the instance's DbiResourceId, stable for its life. Tools
 * read them before deleting a security group (the Terraform provider
 * lists the group's interfaces and removes only its own lingering Lambda
 * or DMS ones). Filters: group-id, vpc-id, description, requester-id,
 * status, network-interface-id; NetworkInterfaceId.N. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/net/ec2svc.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/util.h"

static void eni_id(const char *resource_id, char out[24])
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *c = (const unsigned char *)resource_id; *c; c++) {
        h ^= *c;
        h *= 1099511628211ULL;
    }
    snprintf(out, 24, "eni-%017llx", (unsigned long long)(h >> 4));
}

/* The interface of one instance, with its groups (names from the store). */
static cJSON *eni_item(region *r, const store_instance *in, const cJSON *groups)
{
    char id[24];
    eni_id(in->resource_id ? in->resource_id : in->id, id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Description", "RDSNetworkInterface");
    cJSON *gs = cJSON_AddArrayToObject(o, "Groups");
    const cJSON *g;
    cJSON_ArrayForEach(g, groups) {
        if (!cJSON_IsString(g))
            continue;
        bool found = false;
        cJSON *doc = netstore_get(r->st, NETSTORE_SG, g->valuestring, &found);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(doc, "GroupName");
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "GroupId", g->valuestring);
        cJSON_AddStringToObject(item, "GroupName", cJSON_IsString(name) ? name->valuestring : "");
        cJSON_AddItemToArray(gs, item);
        cJSON_Delete(doc);
    }
    cJSON_AddStringToObject(o, "InterfaceType", "interface");
    cJSON_AddStringToObject(o, "NetworkInterfaceId", id);
    cJSON_AddStringToObject(o, "OwnerId", r->cfg.account);
    cJSON_AddStringToObject(o, "RequesterId", "amazon-rds");
    cJSON_AddBoolToObject(o, "RequesterManaged", true);
    cJSON_AddBoolToObject(o, "SourceDestCheck", true);
    cJSON_AddStringToObject(o, "Status", "in-use");
    cJSON_AddArrayToObject(o, "TagSet");
    cJSON_AddStringToObject(o, "VpcId", EC2_VPC_ID);
    return o;
}

/* Whether item passes the request's filters (group-id matches any group). */
static bool eni_pass(const params *p, const cJSON *item, bool *pass, ec2_err *e)
{
    *pass = true;
    for (int i = 1;; i++) {
        char key[64];
        snprintf(key, sizeof key, "Filter.%d.Name", i);
        const char *fname = params_get(p, key);
        if (!fname)
            return true;
        static const char *const flat[][2] = {
            {"vpc-id", "VpcId"}, {"description", "Description"}, {"requester-id", "RequesterId"},
            {"status", "Status"}, {"network-interface-id", "NetworkInterfaceId"},
            {"group-id", NULL}};
        size_t f = 0;
        while (f < sizeof flat / sizeof flat[0] && strcmp(flat[f][0], fname) != 0)
            f++;
        if (f == sizeof flat / sizeof flat[0])
            return ec2_fail(e, "InvalidParameterValue", "The filter '%s' is invalid", fname);
        bool any = false;
        for (int k = 1;; k++) {
            snprintf(key, sizeof key, "Filter.%d.Value.%d", i, k);
            const char *want = params_get(p, key);
            if (!want)
                break;
            if (flat[f][1]) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, flat[f][1]);
                any |= cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
                continue;
            }
            const cJSON *g;
            cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(item, "Groups"))
                any |= strcmp(cJSON_GetObjectItemCaseSensitive(g, "GroupId")->valuestring,
                              want) == 0;
        }
        *pass &= any;
    }
}

bool ec2_describe_network_interfaces(region *r, const params *p, cJSON *result, ec2_err *e)
{
    const char **ids = NULL;
    int nids = ec2_list(p, "NetworkInterfaceId", &ids, e);
    if (nids < 0)
        return false;
    cJSON *out = cJSON_AddArrayToObject(result, "NetworkInterfaces");
    char **insts = NULL;
    int n = store_instance_list(r->st, NULL, 100000, &insts);
    bool ok = n >= 0 || ec2_store_failed(e);
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        cJSON *groups = NULL;
        if (ok && store_instance_get(r->st, insts[i], &in, &found) && found &&
            (groups = instextra_security_groups(&in)) != NULL) {
            cJSON *item = eni_item(r, &in, groups);
            const char *id = cJSON_GetObjectItemCaseSensitive(item,
                                                              "NetworkInterfaceId")->valuestring;
            bool want = nids == 0, pass = true;
            for (int k = 0; k < nids; k++)
                want |= strcmp(ids[k], id) == 0;
            ok = eni_pass(p, item, &pass, e);
            if (ok && want && pass)
                cJSON_AddItemToArray(out, item);
            else
                cJSON_Delete(item);
        }
        cJSON_Delete(groups);
        store_instance_clear(&in);
        free(insts[i]);
    }
    free(insts);
    for (int k = 0; ok && k < nids; k++) {
        bool seen = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, out)
            seen |= strcmp(cJSON_GetObjectItemCaseSensitive(it, "NetworkInterfaceId")->valuestring,
                           ids[k]) == 0;
        if (!seen)
            ok = ec2_fail(e, "InvalidNetworkInterfaceID.NotFound",
                          "The networkInterface ID '%s' does not exist", ids[k]);
    }
    free(ids);
    return ok;
}
