/* instparams: see instparams.h. */
#include "controlplane/api/instparams.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/core/validate.h"
#include "lib/log.h"
#include "controlplane/domain/instrow.h"
#include "lib/util.h"

bool instparams_load(region *r, const params *p, const char *param, store_instance *in,
                     awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v)
        return false;
    char *id = region_instance_id_from(v);
    bool found = false;
    store_instance_get(r->st, id, in, &found);
    if (!found)
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    free(id);
    return found;
}

void instparams_set_str(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

bool instparams_read_extra(const params *p, cJSON *extra, awserr *err)
{
    int64_t mi = 0;
    bool has_mi = false;
    if (!params_get_int(p, "MonitoringInterval", INT32_MIN, INT32_MAX, &mi, &has_mi, err))
        return false;
    if (!has_mi)
        mi = instextra_int(extra, INSTEXTRA_MONITORING_INTERVAL, 0);
    if (!validate_monitoring_interval(mi, err))
        return false;
    const char *role = params_get(p, "MonitoringRoleArn");
    bool has_role = (role && *role) || (!role && instextra_str(extra, INSTEXTRA_MONITORING_ROLE));
    if (mi != 0 && !has_role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "A MonitoringRoleARN value is required if you specify a "
                          "MonitoringInterval value other than 0.");
    if (mi == 0 && role && *role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "A MonitoringInterval value other than 0 is required if you specify a "
                          "MonitoringRoleARN value.");
    if (role && strncmp(role, "arn:aws:iam::", 13) != 0 && *role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid MonitoringRoleArn: %s is not an IAM role ARN.", role);
    instextra_set_int(extra, INSTEXTRA_MONITORING_INTERVAL, mi);
    if (role) {
        instextra_remove(extra, INSTEXTRA_MONITORING_ROLE);
        if (*role)
            instextra_set_str(extra, INSTEXTRA_MONITORING_ROLE, role);
    }
    const char *const flags[] = {INSTEXTRA_AUTO_MINOR_UPGRADE, INSTEXTRA_COPY_TAGS,
                                 INSTEXTRA_PUBLIC, NULL};
    for (int i = 0; flags[i]; i++) {
        bool v = false, present = false;
        if (!params_get_bool(p, flags[i], &v, &present, err))
            return false;
        if (present)
            instextra_set_bool(extra, flags[i], v);
    }
    bool iam = false, has_iam = false;
    if (!params_get_bool(p, "EnableIAMDatabaseAuthentication", &iam, &has_iam, err))
        return false;
    if (has_iam)
        instextra_set_bool(extra, INSTEXTRA_IAM_DB_AUTH, iam);
    return true;
}

bool instparams_read_pi(region *r, const params *p, cJSON *extra, bool *changed, awserr *err)
{
    bool on = false, has_on = false;
    int64_t days = 7;
    bool has_days = false;
    const char *key = params_get(p, "PerformanceInsightsKMSKeyId");
    if (!params_get_bool(p, "EnablePerformanceInsights", &on, &has_on, err) ||
        !params_get_int(p, "PerformanceInsightsRetentionPeriod", INT32_MIN, INT32_MAX, &days,
                        &has_days, err))
        return false;
    if (has_days && !validate_pi_retention(days, err))
        return false;
    if (!has_on && !has_days && !(key && *key))
        return true;
    *changed = true;
    if (!has_on)
        on = instextra_bool(extra, INSTEXTRA_PI_ENABLED, false);
    char *arn = NULL;
    if (key && *key && !(arn = instrow_kms_arn(r, key, err)))
        return false;
    if (!on) {
        free(arn);
        instextra_set_bool(extra, INSTEXTRA_PI_ENABLED, false);
        instextra_remove(extra, INSTEXTRA_PI_KMS);
        instextra_remove(extra, INSTEXTRA_PI_RETENTION);
        return true;
    }
    if (!arn && !instextra_str(extra, INSTEXTRA_PI_KMS) &&
        !(arn = instrow_kms_arn(r, KMS_DEFAULT_RDS_ALIAS, err)))
        return false;
    instextra_set_bool(extra, INSTEXTRA_PI_ENABLED, true);
    if (arn)
        instextra_set_str(extra, INSTEXTRA_PI_KMS, arn);
    free(arn);
    if (has_days || !instextra_has(extra, INSTEXTRA_PI_RETENTION))
        instextra_set_int(extra, INSTEXTRA_PI_RETENTION, days);
    return true;
}

bool instparams_read_ca(region *r, const params *p, cJSON *extra, const char **ca, awserr *err)
{
    const char *v = params_get(p, "CACertificateIdentifier");
    *ca = NULL;
    if (!v || !*v)
        return true; /* empty means absent, as on AWS */
    if (!r->tls || !tlsca_find(r->tls, v))
        return awserr_set(err, AWSERR_CERTIFICATE_NOT_FOUND, "Certificate %.100s not found.", v);
    bool restart = true, has = false;
    if (!params_get_bool(p, "CertificateRotationRestart", &restart, &has, err))
        return false;
    *ca = tlsca_find(r->tls, v)->id;
    if (extra)
        instextra_set_str(extra, INSTEXTRA_CA_CERT, *ca);
    return true;
}

bool instparams_apply_log_exports(const params *p, const char *list_name, const char *item,
                                  bool enable, const char *engine_version, cJSON *extra,
                                  awserr *err)
{
    return instextra_apply_log_exports(p, list_name, item, enable, engine_version, extra, err);
}

bool instparams_commit(region *r, awserr *err)
{
    /* A check that set an error but answered "go on" (awserr_set returns
     * false, a "refused?" predicate must not pass it on) commits nothing. */
    if (err && err->code != AWSERR_NONE) {
        LOG_ERROR("commit refused: an error is already set (%s)", awserr_wire_code(err->code));
        store_rollback(r->st);
        return false;
    }
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}
