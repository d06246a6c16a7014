/* instextra: the one reader and writer of an instance row's `extra` column.
 *
 * `extra` is a JSON object of the instance's settings that have no column
 * of their own (store.h lists each key, its meaning and its writer). Every
 * module reads and changes it through this file: instextra_parse is the
 * only place its text is parsed, instextra_store the only place it is
 * written back, and the key names below are the column's vocabulary.
 *
 * Two ways in:
 *  - the one-value readers on a row (instextra_monitoring_interval, ...)
 *    for a caller that wants one setting;
 *  - instextra_parse, typed getters/setters on the parsed object, then
 *    instextra_store, for a caller that reads or changes several (the
 *    API's create and modify, paramgroup, maint's rolling state).
 * A key that is absent or of another JSON type reads as the getter's
 * default; nothing here fails but allocation (which aborts). */
#ifndef RDSIM_INSTEXTRA_H
#define RDSIM_INSTEXTRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

typedef struct cJSON cJSON;

/* The keys (meaning and writer: store.h, store_instance.extra). */
#define INSTEXTRA_SECURITY_GROUPS "VpcSecurityGroupIds"          /* array of sg ids */
#define INSTEXTRA_SUBNET_GROUP "DBSubnetGroupName"               /* string */
#define INSTEXTRA_PUBLIC "PubliclyAccessible"                    /* bool */
#define INSTEXTRA_MONITORING_INTERVAL "MonitoringInterval"       /* number (s) */
#define INSTEXTRA_MONITORING_ROLE "MonitoringRoleArn"            /* string */
#define INSTEXTRA_LOG_EXPORTS "EnabledCloudwatchLogsExports"     /* array of log types */
#define INSTEXTRA_AUTO_MINOR_UPGRADE "AutoMinorVersionUpgrade"   /* bool */
#define INSTEXTRA_COPY_TAGS "CopyTagsToSnapshot"                 /* bool */
#define INSTEXTRA_MAINT_ROLLING "MaintRolling"                   /* object, maint.h */
#define INSTEXTRA_PARAM_GROUP "DBParameterGroupName"             /* string */
#define INSTEXTRA_PARAM_APPLIED "ParamGroupApplied"              /* string */
#define INSTEXTRA_PARAM_BOOT "ParamBoot"                         /* object name->value */
#define INSTEXTRA_IAM_DB_AUTH "IAMDatabaseAuthenticationEnabled" /* bool */
#define INSTEXTRA_CA_CERT "CACertificateIdentifier"              /* string; absent: TLSCA_DEFAULT */
#define INSTEXTRA_PI_ENABLED "PerformanceInsightsEnabled"         /* bool */
#define INSTEXTRA_PI_KMS "PerformanceInsightsKMSKeyId"            /* string (key ARN) */
#define INSTEXTRA_PI_RETENTION "PerformanceInsightsRetentionPeriod" /* number (days) */
#define INSTEXTRA_REPLICA_SOURCE "ReadReplicaSource"             /* string: the source's id */
#define INSTEXTRA_REPLICA_STATE "ReplicaState"                   /* object, domain/replica.h */

/* ---- the parsed object ---- */

/* in->extra parsed: a new object the caller deletes; an empty object when
 * the column is NULL, not JSON or not an object. */
cJSON *instextra_parse(const store_instance *in);
/* An empty object, for a row being built. */
cJSON *instextra_new(void);
/* Replaces in->extra with x's text (x stays the caller's). */
void instextra_store(store_instance *in, const cJSON *x);

/* Getters. str: the string, borrowed from x, or NULL. bool: dflt when
 * absent, else whether the value is JSON true. int: the number, or dflt.
 * array/object: the value, borrowed from x, or NULL. */
const char *instextra_str(const cJSON *x, const char *key);
bool instextra_bool(const cJSON *x, const char *key, bool dflt);
int64_t instextra_int(const cJSON *x, const char *key, int64_t dflt);
cJSON *instextra_array(const cJSON *x, const char *key);
cJSON *instextra_object(const cJSON *x, const char *key);
bool instextra_has(const cJSON *x, const char *key);

/* Setters: each replaces the key's value. set_item takes ownership of item
 * and returns it; remove of an absent key is fine. */
void instextra_set_str(cJSON *x, const char *key, const char *v);
void instextra_set_bool(cJSON *x, const char *key, bool v);
void instextra_set_int(cJSON *x, const char *key, int64_t v);
cJSON *instextra_set_item(cJSON *x, const char *key, cJSON *item);
void instextra_remove(cJSON *x, const char *key);

/* ---- one value of a row ---- */

/* MonitoringInterval, 0 (off) when absent. */
int64_t instextra_monitoring_interval(const store_instance *in);
/* PubliclyAccessible, false when absent. */
bool instextra_public(const store_instance *in);
/* IAMDatabaseAuthenticationEnabled, false when absent. */
bool instextra_iam_db_auth(const store_instance *in);
/* AutoMinorVersionUpgrade, true when absent (RDS's default). */
bool instextra_auto_minor_upgrade(const store_instance *in);
/* DBSubnetGroupName into buf (truncated to len), dflt when absent;
 * returns buf. */
const char *instextra_subnet_group(const store_instance *in, const char *dflt, char *buf,
                                   size_t len);
/* VpcSecurityGroupIds: a new array the caller deletes, NULL when absent. */
cJSON *instextra_security_groups(const store_instance *in);
/* True when VpcSecurityGroupIds names sg_id. */
bool instextra_names_security_group(const store_instance *in, const char *sg_id);

/* Adds (enable) or removes the log types of the list list_name.item.N to
 * or from extra.EnabledCloudwatchLogsExports (CreateDBInstance, the
 * restores, ModifyDBInstance's CloudwatchLogsExportConfiguration). false
 * with InvalidParameterValue for a bad list, or RDS's
 * InvalidParameterCombination naming every unknown log type ("You cannot
 * use the log types 'a', 'b' with engine version postgres <version>. ..."),
 * extra unchanged. */
bool instextra_apply_log_exports(const params *p, const char *list_name, const char *item,
                                 bool enable, const char *engine_version, cJSON *extra,
                                 awserr *err);

#endif
