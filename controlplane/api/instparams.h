/* instparams: what the DBInstance handlers of api/ share.
 *
 * Loading the instance a request names (by identifier or ARN), the
 * settings CreateDBInstance and ModifyDBInstance both read into the
 * instance's `extra` JSON (Enhanced Monitoring, log exports, flags), and
 * the commit every state-changing handler ends with. Each function that
 * can fail returns false with an awserr set, as core/service.h asks. */
#ifndef RDSIM_INSTPARAMS_H
#define RDSIM_INSTPARAMS_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

typedef struct cJSON cJSON;
typedef struct region region;

/* Loads the instance named by `param` (required; an identifier or an
 * instance ARN, case-insensitive) into *in, which the caller clears.
 * false with MissingParameter or DBInstanceNotFound. */
bool instparams_load(region *r, const params *p, const char *param, store_instance *in,
                     awserr *err);

/* Replaces a malloc'd field with a copy of value (NULL clears it). value
 * may be the field's own string: it is copied before the old one is
 * freed. */
void instparams_set_str(char **field, const char *value);

/* Commits the store's transaction; on failure rolls back and sets
 * InternalFailure ("The request could not be stored."). */
bool instparams_commit(region *r, awserr *err);

/* Reads MonitoringInterval/MonitoringRoleArn (checked together, against
 * what extra already holds) and the flags AutoMinorVersionUpgrade,
 * CopyTagsToSnapshot, PubliclyAccessible into extra. false with
 * InvalidParameterValue or InvalidParameterCombination; extra may then be
 * half-changed (the caller discards it). */
bool instparams_read_extra(const params *p, cJSON *extra, awserr *err);

/* Performance Insights: EnablePerformanceInsights,
 * PerformanceInsightsKMSKeyId (resolved to the key's ARN; absent: the
 * aws/rds key's) and PerformanceInsightsRetentionPeriod (7, 31*N for N
 * 1..23, or 731; absent: 7) into extra. The key and period are checked
 * whenever given, kept only while PI is on; turning PI off drops them (RDS
 * then shows neither). *changed is set when a PI parameter was given.
 * false with InvalidParameterValue or KMSKeyNotAccessibleFault. */
bool instparams_read_pi(region *r, const params *p, cJSON *extra, bool *changed, awserr *err);

/* CACertificateIdentifier (core/tlsca.h; empty: absent): *ca is the CA's
 * id (static) or NULL when not given; set in extra when extra is not
 * NULL. CertificateRotationRestart is read as a boolean and has no other
 * effect: PostgreSQL reloads its certificate on SIGHUP, so no rotation
 * restarts a node (RDS's SupportsCertificateRotationWithoutRestart). false
 * with CertificateNotFound or InvalidParameterValue. */
bool instparams_read_ca(region *r, const params *p, cJSON *extra, const char **ca, awserr *err);

/* Adds (enable) or removes the log types of the list list_name.item.N to
 * or from extra.EnabledCloudwatchLogsExports. false with
 * InvalidParameterValue for a bad list, or RDS's InvalidParameterCombination
 * naming every unknown log type ("You cannot use the log types 'a', 'b'
 * with engine version postgres <engine_version>. ..."). */
bool instparams_apply_log_exports(const params *p, const char *list_name, const char *item,
                                  bool enable, const char *engine_version, cJSON *extra,
                                  awserr *err);

#endif
