/* ec2svc: what the EC2 service's three files share (ec2.c: dispatch,
 * parameters, rendering; ec2sg.c: security groups; ec2subnet.c: subnets).
 * Private to them: other modules use ec2.h. Handlers follow one
 * convention: fill `result` (JSON member names of botocore's output shape)
 * and return true, or return false with an EC2 error code in *e. */
#ifndef RDSIM_EC2SVC_H
#define RDSIM_EC2SVC_H

#include <stdbool.h>

#include "controlplane/net/ec2.h"
#include "controlplane/core/query.h"

struct cJSON;
typedef struct region region;

#define EC2_MAX_RULES 60   /* EC2's default inbound rules per group */
#define EC2_MAX_GROUPS 100
#define EC2_MAX_SUBNETS 200

typedef struct {
    const char *code; /* NULL: no error */
    char message[512];
} ec2_err;

/* Sets *e and returns false. */
bool ec2_fail(ec2_err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* InternalError (a store failure, logged where it happened). */
bool ec2_store_failed(ec2_err *e);
/* A fresh id: "<prefix>-<17 hex digits>"; caller frees. */
char *ec2_new_id(const char *prefix);
/* store_begin / store_commit (rolled back on failure) as EC2 errors. */
bool ec2_begin(region *r, ec2_err *e);
bool ec2_commit(region *r, ec2_err *e);
/* 1 to 255 printable ASCII characters (names, descriptions). */
bool ec2_valid_text(const char *s);

/* NAME.1, NAME.2, ... (EC2's flattened lists) as a NULL-terminated array
 * of strings borrowed from p (caller frees the array); the count, or -1
 * with InvalidParameterValue when there are too many. */
int ec2_list(const params *p, const char *name, const char ***out, ec2_err *e);

/* Filter.N.Name / Filter.N.Value.M against obj's members. */
typedef struct {
    const char *filter; /* "group-name" */
    const char *member; /* "GroupName" */
} ec2_filter_map;
/* *pass: obj passes every filter; false with InvalidParameterValue for a
 * filter name not in map. */
bool ec2_filters_pass(const params *p, const ec2_filter_map *map, const struct cJSON *obj,
                      bool *pass, ec2_err *e);

/* The default security group exists (created on first start). */
bool ec2_sg_ensure_default(region *r);

/* Handlers. */
bool ec2_create_security_group(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_describe_security_groups(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_delete_security_group(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_authorize_ingress(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_revoke_ingress(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_authorize_egress(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_revoke_egress(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_describe_security_group_rules(region *r, const params *p, struct cJSON *result,
                                       ec2_err *e);
bool ec2_describe_network_interfaces(region *r, const params *p, struct cJSON *result,
                                     ec2_err *e);
bool ec2_create_tags(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_delete_tags(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_describe_tags(region *r, const params *p, struct cJSON *result, ec2_err *e);

/* ---- tags (ec2tags.c): a resource's "Tags" member, [{Key, Value}] ---- */

#define EC2_MAX_TAGS 50
/* The tags of TagSpecification.N whose ResourceType is type (a new array,
 * maybe empty), checked as CreateTags checks them; NULL with the error
 * (InvalidParameterValue, TagLimitExceeded, InvalidTagKey.Malformed). */
struct cJSON *ec2_tags_from_spec(const params *p, const char *type, ec2_err *e);
bool ec2_create_subnet(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_describe_subnets(region *r, const params *p, struct cJSON *result, ec2_err *e);
bool ec2_delete_subnet(region *r, const params *p, struct cJSON *result, ec2_err *e);

#endif
