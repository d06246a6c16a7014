/* mastersecret: see mastersecret.h. */
#include "controlplane/domain/mastersecret.h"
#include "controlplane/domain/replica.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/kms.h"
#include "controlplane/notify/events.h"
#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"

static char *ms_uuid(void)
{
    char *h = region_random_label(32);
    for (char *c = h; *c; c++)
        if (*c > 'f' && *c <= 'z')
            *c = (char)('a' + (*c - 'g') % 6);
    char *id = xasprintf("%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
    free(h);
    return id;
}

static bool ms_from_sm(const sm_err *e, awserr *err)
{
    if (e->code == SM_ENCRYPTION || e->code == SM_DECRYPTION)
        return awserr_set(err, AWSERR_KMS_KEY_NOT_ACCESSIBLE, "%s", e->message);
    if (e->code == SM_INTERNAL)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "%s", e->message);
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "%s", e->message);
}

bool mastersecret_create(region *r, store_instance *in, const char *kms_ref, cJSON *extra,
                         awserr *err)
{
    char *pw = secrets_random_password(28);
    if (!pw)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The password could not be made.");
    char *verifier = scram_verifier(pw);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "username", in->master_username);
    cJSON_AddStringToObject(v, "password", pw);
    char *value = cJSON_PrintUnformatted(v);
    sm_wipe_json(v);
    cJSON_Delete(v);
    OPENSSL_cleanse(pw, strlen(pw));
    free(pw);
    char *uuid = ms_uuid();
    char *name = xasprintf("rds!db-%s", uuid);
    char *iarn = region_instance_arn(r, in->id);
    char *desc = xasprintf("The secret associated with the primary RDS DB instance: %s", iarn);
    cJSON *tags = cJSON_CreateArray();
    const char *tk[][2] = {{"aws:rds:primaryDBInstanceArn", iarn},
                           {"aws:secretsmanager:owningService", "rds"}};
    for (size_t i = 0; i < 2; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key", tk[i][0]);
        cJSON_AddStringToObject(t, "Value", tk[i][1]);
        cJSON_AddItemToArray(tags, t);
    }
    char *tags_json = cJSON_PrintUnformatted(tags);
    cJSON_Delete(tags);
    sm_new n = {.name = name, .description = desc, .kms_ref = kms_ref, .value = value,
                .tags_json = tags_json, .owning_service = "rds", .instance_id = in->id};
    char arn[SM_ARN_MAX], version[SM_VERSION_ID_MAX], key_arn[KMS_ARN_MAX];
    sm_err e = {0};
    bool ok = verifier != NULL;
    if (!ok)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The password could not be stored.");
    else if (!(ok = secrets_create(r->secrets, &n, arn, version, key_arn, &e)))
        ms_from_sm(&e, err);
    if (ok) {
        free(in->master_verifier);
        in->master_verifier = verifier;
        verifier = NULL;
        cJSON *ms = cJSON_CreateObject();
        cJSON_AddStringToObject(ms, "SecretArn", arn);
        cJSON_AddStringToObject(ms, "SecretStatus", "active");
        cJSON_AddStringToObject(ms, "KmsKeyId", key_arn);
        instextra_set_item(extra, INSTEXTRA_MASTER_SECRET, ms);
        LOG_INFO("master secret created instance=%s secret=%s", in->id, name);
    }
    OPENSSL_cleanse(value, strlen(value));
    free(value);
    free(verifier);
    free(uuid);
    free(name);
    free(iarn);
    free(desc);
    free(tags_json);
    return ok;
}

bool mastersecret_drop(region *r, const char *instance_id, cJSON *extra, awserr *err)
{
    const cJSON *ms = instextra_object(extra, INSTEXTRA_MASTER_SECRET);
    const cJSON *arn = cJSON_GetObjectItemCaseSensitive(ms, "SecretArn");
    if (!cJSON_IsString(arn))
        return true;
    sm_err e = {0};
    if (!secrets_delete(r->secrets, arn->valuestring, true, 0, NULL, NULL, NULL, &e) &&
        e.code != SM_NOT_FOUND)
        return ms_from_sm(&e, err);
    LOG_INFO("master secret deleted instance=%s", instance_id);
    instextra_remove(extra, INSTEXTRA_MASTER_SECRET);
    return true;
}

bool mastersecret_rotate(void *ctx, const char *instance_id, const char *username,
                         const char *password, sm_err *err)
{
    region *r = ctx;
    store_instance in = {0};
    bool found = false;
    if (!store_instance_get(r->st, instance_id, &in, &found))
        return sm_err_set(err, SM_INTERNAL, "The instance store is unavailable.");
    if (!found)
        return sm_err_set(err, SM_INVALID_REQUEST, "The secret's DB instance %s no longer "
                          "exists.", instance_id);
    bool ok = true;
    if (strcmp(in.master_username, username) != 0)
        ok = sm_err_set(err, SM_INVALID_REQUEST, "The secret's username is not the instance's "
                        "master user.");
    char *v = ok ? scram_verifier(password) : NULL;
    if (ok && !v)
        ok = sm_err_set(err, SM_INTERNAL, "The password could not be stored.");
    if (ok) {
        free(in.master_verifier);
        in.master_verifier = v;
        ok = (store_instance_update(r->st, &in) &&
              replica_share_verifier(r, in.id, in.master_verifier) &&
              events_emit(r, in.id, "RDS-EVENT-0016", NULL)) ||
             sm_err_set(err, SM_INTERNAL, "The instance could not be updated.");
    }
    store_instance_clear(&in);
    return ok;
}

bool mastersecret_read_modify(region *r, const params *p, store_instance *in, cJSON *extra,
                              bool now, bool *changed, awserr *err)
{
    bool manage = false, has_manage = false, rotate = false;
    if (!params_get_bool(p, "ManageMasterUserPassword", &manage, &has_manage, err) ||
        !params_get_bool(p, "RotateMasterUserPassword", &rotate, NULL, err))
        return false;
    const char *pw = params_get(p, "MasterUserPassword");
    const char *kms_ref = params_get(p, "MasterUserSecretKmsKeyId");
    bool managed = instextra_object(extra, INSTEXTRA_MASTER_SECRET) != NULL;
    if (has_manage && manage && pw)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "You can't specify both ManageMasterUserPassword and "
                          "MasterUserPassword.");
    if (kms_ref && !(has_manage && manage))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "MasterUserSecretKmsKeyId requires ManageMasterUserPassword.");
    if (rotate && (!managed || (has_manage && !manage) || !now))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "RotateMasterUserPassword needs ApplyImmediately and a master password "
                          "managed in Secrets Manager.");
    if (pw && managed && !(has_manage && !manage))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "The master password of %s is managed in Secrets Manager: give "
                          "ManageMasterUserPassword false with MasterUserPassword.", in->id);
    if (has_manage && !manage && managed && !pw)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "You must specify MasterUserPassword when you turn off "
                          "ManageMasterUserPassword.");
    if (has_manage)
        *changed = true;
    if (has_manage && !manage && managed)
        return mastersecret_drop(r, in->id, extra, err);
    if (has_manage && manage && !managed &&
        !(mastersecret_create(r, in, kms_ref, extra, err) &&
          events_emit(r, in->id, "RDS-EVENT-0016", NULL)))
        return false;
    if (rotate) {
        const cJSON *arn = cJSON_GetObjectItemCaseSensitive(
            instextra_object(extra, INSTEXTRA_MASTER_SECRET), "SecretArn");
        char sarn[SM_ARN_MAX], version[SM_VERSION_ID_MAX];
        sm_err e = {0};
        if (!cJSON_IsString(arn) ||
            !secrets_rotate(r->secrets, arn->valuestring, NULL, sarn, version, &e))
            return ms_from_sm(&e, err);
        /* The rotator wrote the row: take its new verifier. */
        store_instance fresh = {0};
        bool found = false;
        if (!store_instance_get(r->st, in->id, &fresh, &found) || !found)
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The instance could not be read.");
        free(in->master_verifier);
        in->master_verifier = fresh.master_verifier;
        fresh.master_verifier = NULL;
        store_instance_clear(&fresh);
        *changed = true;
    }
    return true;
}
