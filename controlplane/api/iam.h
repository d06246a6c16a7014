/* iam: a minimal IAM and STS on the API's endpoint (RDS-REFERENCE-2
 * §1.4-1.5), Query protocol, as botocore's iam 2010-05-08 and sts
 * 2011-06-15 models define them.
 *
 * IAM: CreateUser, GetUser, ListUsers, DeleteUser (DeleteConflict while
 * the user has keys or policies), CreateAccessKey (2 per user),
 * ListAccessKeys, DeleteAccessKey, PutUserPolicy / GetUserPolicy /
 * DeleteUserPolicy / ListUserPolicies (inline identity policies checked
 * by core/policy.h; 2,048 non-whitespace characters per user). Users'
 * keys are access_keys rows like the region's own (secret sealed under
 * the KMS master key, principal.h). Only the administrator reaches these
 * (principal_may refuses iam:* to everyone else).
 * STS: GetCallerIdentity, for every authenticated caller (the
 * administrator is the account's root: UserId = account id). */
#ifndef RDSIM_IAM_H
#define RDSIM_IAM_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/principal.h"
#include "controlplane/core/query.h"
#include "controlplane/core/region.h"

typedef struct cJSON cJSON;

#define IAM_API_VERSION "2010-05-08"
#define IAM_XMLNS "https://iam.amazonaws.com/doc/2010-05-08/"
#define STS_API_VERSION "2011-06-15"
#define STS_XMLNS "https://sts.amazonaws.com/doc/2011-06-15/"

/* Is version IAM's or STS's? Then *xmlns gets its namespace. */
bool iam_is_version(const char *version, const char **xmlns);

/* Runs action of IAM or STS (by version) as `who`, filling result (the
 * members of <ActionResult>). false with err set (InvalidAction for an
 * unknown action). */
bool iam_call(region *r, const principal *who, const char *version, const char *action,
              const params *p, cJSON *result, awserr *err);

#endif
