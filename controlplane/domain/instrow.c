/* instrow: see instrow.h. */
#include "controlplane/domain/instrow.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/instsecret.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/net/instnet.h"
#include "controlplane/wf/workflow.h"
#include "lib/util.h"

enum { WINDOW_SLOTS = 15 }; /* 30-minute starts in a default window's block */

/* ---- windows ---- */

char *instrow_default_backup_window(void)
{
    char *rnd = region_random_label(2);
    int start = 3 * 60 + ((unsigned char)rnd[0] * 7 + (unsigned char)rnd[1]) % WINDOW_SLOTS * 30;
    free(rnd);
    return xasprintf("%02d:%02d-%02d:%02d", start / 60, start % 60, (start + 30) / 60 % 24,
                     (start + 30) % 60);
}

static char *maintenance_window_at(int day, int slot)
{
    static const char *days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    int start = 12 * 60 + slot * 30;
    return xasprintf("%s:%02d:%02d-%s:%02d:%02d", days[day], start / 60, start % 60, days[day],
                     (start + 30) / 60, (start + 30) % 60);
}

static void maintenance_slot_random(int *day, int *slot)
{
    char *rnd = region_random_label(2);
    *day = (unsigned char)rnd[0] % 7;
    *slot = (unsigned char)rnd[1] % WINDOW_SLOTS;
    free(rnd);
}

char *instrow_default_maintenance_window(void)
{
    int day, slot;
    maintenance_slot_random(&day, &slot);
    return maintenance_window_at(day, slot);
}

/* The default maintenance window, moved on from the random one to the
 * first that does not overlap a given backup window (a default backup
 * window never does). None fits: the random one, which the caller's
 * check then refuses. */
static char *maintenance_window_avoiding(const char *backup)
{
    int day, slot;
    maintenance_slot_random(&day, &slot);
    for (int k = 0; backup && k < 7 * WINDOW_SLOTS; k++) {
        int i = (day * WINDOW_SLOTS + slot + k) % (7 * WINDOW_SLOTS);
        char *w = maintenance_window_at(i / WINDOW_SLOTS, i % WINDOW_SLOTS);
        awserr e = {0};
        if (validate_windows_disjoint(backup, w, &e))
            return w;
        free(w);
    }
    return maintenance_window_at(day, slot);
}

/* ---- the row ---- */

char *instrow_kms_arn(region *r, const char *ref, awserr *err)
{
    kms_key key = {0};
    kms_err kerr = {0};
    char *arn = NULL;
    if (kms_key_describe(r->kms, ref, &key, &kerr) && key.state == KMS_KEY_ENABLED)
        arn = xstrdup(key.arn);
    else
        awserr_set(err, AWSERR_KMS_KEY_NOT_ACCESSIBLE, "The specified KMS key [%s] %s.", ref,
                   kerr.code != KMS_OK ? "does not exist or is not accessible"
                                       : "is not enabled");
    kms_key_clear(&key);
    return arn;
}

static char *resource_id_new(void)
{
    char *label = region_random_label(26);
    char *id = xasprintf("db-%s", label);
    free(label);
    for (char *c = id + 3; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    return id;
}

static char *dup_or(const char *s, const char *dflt)
{
    return s ? xstrdup(s) : dflt ? xstrdup(dflt) : NULL;
}

/* *out from req: the request's settings copied, the rest made here. */
static void row_fill(region *r, const store_instance *req, store_instance *out)
{
    *out = (store_instance){
        .id = xstrdup(req->id),
        .resource_id = resource_id_new(),
        .status = STATUS_CREATING,
        .db_class = xstrdup(req->db_class),
        .engine = xstrdup("postgres"),
        .engine_version = xstrdup(r->pg_version),
        .master_username = xstrdup(req->master_username),
        .master_verifier = xstrdup(req->master_verifier),
        .db_name = dup_or(req->db_name, NULL),
        .port = req->port,
        .allocated_storage = req->allocated_storage,
        .storage_type = xstrdup(req->storage_type),
        .iops = req->iops,
        .max_allocated_storage = req->max_allocated_storage,
        .multi_az = req->multi_az,
        .az = dup_or(req->az, NULL),
        .backup_retention = req->backup_retention,
        .backup_window = req->backup_window ? xstrdup(req->backup_window)
                                            : instrow_default_backup_window(),
        .maintenance_window = req->maintenance_window ? xstrdup(req->maintenance_window)
                                                      : maintenance_window_avoiding(
                                                            req->backup_window),
        .deletion_protection = req->deletion_protection,
        .storage_encrypted = req->storage_encrypted,
        .dns_ttl = req->dns_ttl,
        .tags = dup_or(req->tags, "[]"),
        .pending = xstrdup("{}"),
        .extra = dup_or(req->extra, "{}"),
        .created_ms = region_now_ms(r),
        .ha_state = HA_NONE,
        .repl_password = req->multi_az || req->cluster_id ? region_random_label(24) : xstrdup(""),
        .cluster_id = dup_or(req->cluster_id, NULL),
    };
}

bool instrow_insert(region *r, const store_instance *req, store_instance *out, awserr *err)
{
    return instrow_insert_kind(r, req, "create", out, err);
}

bool instrow_insert_kind(region *r, const store_instance *req, const char *kind,
                         store_instance *out, awserr *err)
{
    row_fill(r, req, out);
    bool ok = validate_windows_disjoint(out->backup_window, out->maintenance_window, err);
    bool exists = false;
    if (ok) {
        store_instance old = {0};
        store_instance_get(r->st, out->id, &old, &exists);
        store_instance_clear(&old);
    }
    if (ok && exists)
        ok = awserr_set(err, AWSERR_DB_INSTANCE_ALREADY_EXISTS, "DB instance already exists");
    else if (ok && store_instance_count(r->st) >= REGION_INSTANCE_QUOTA)
        ok = awserr_set(err, AWSERR_INSTANCE_QUOTA_EXCEEDED,
                        "DB Instance quota exceeded: at most %d instances per region.",
                        REGION_INSTANCE_QUOTA);
    if (ok && out->storage_encrypted) {
        out->kms_key_id = instrow_kms_arn(r, req->kms_key_id, err);
        ok = out->kms_key_id != NULL;
    }
    if (ok && !instsecret_admin_new(r, out->resource_id, &out->admin_secret, &out->admin_verifier))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The instance's secrets could not be made.");
    if (ok && (!store_instance_insert(r->st, out) || !workflow_start(r, out->id, kind, NULL)))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (!ok)
        store_instance_clear(out);
    return ok;
}

/* ---- restores ---- */

/* The request's overrides of a restore: class, port, Multi-AZ, AZ,
 * deletion protection, DNS TTL, backup window, into req (borrowed from p
 * and src). */
static bool restore_settings(region *r, const params *p, const instrow_source *src,
                             store_instance *req, awserr *err)
{
    const char *cls = params_get(p, "DBInstanceClass");
    int64_t port = src->port, dns_ttl = -1;
    bool multi_az = false, protect = false;
    if ((cls && !validate_db_instance_class(cls, err)) ||
        !params_get_int(p, "Port", 0, 65535 * 16, &port, NULL, err) ||
        !validate_port(port, err) || !params_get_bool(p, "MultiAZ", &multi_az, NULL, err) ||
        !params_get_bool(p, "DeletionProtection", &protect, NULL, err) ||
        !params_get_int(p, "DnsTtl", 0, DNS_TTL_MAX, &dns_ttl, NULL, err))
        return false;
    const char *az = params_get(p, "AvailabilityZone");
    if (az && multi_az)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Requesting a specific availability zone is not valid for Multi-AZ "
                          "instances.");
    if (az && !region_has_az(r, az))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid availability zone: %s",
                          az);
    if (multi_az && r->cfg.naz < 2)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Multi-AZ instances need at least two Availability Zones.");
    /* RDS's restores take PreferredBackupWindow (not the maintenance
     * window: that one is always RDS's default). */
    const char *bw = params_get(p, "PreferredBackupWindow");
    if (bw && !validate_backup_window(bw, err))
        return false;
    req->db_class = (char *)(cls ? cls : src->db_class);
    req->port = port;
    req->multi_az = multi_az;
    req->deletion_protection = protect;
    req->az = (char *)az;
    req->dns_ttl = dns_ttl;
    req->backup_window = (char *)bw;
    return true;
}

/* The restore's extra: PubliclyAccessible, VpcSecurityGroupIds and
 * DBSubnetGroupName (instnet.h: checked against the AZ and Multi-AZ, as
 * for a create), then DBParameterGroupName (paramgroup.h) and
 * CACertificateIdentifier. */
static char *restore_extra(region *r, const params *p, const store_instance *req, awserr *err)
{
    cJSON *extra = instextra_new();
    bool pub = false, has_pub = false;
    bool ok = params_get_bool(p, "PubliclyAccessible", &pub, &has_pub, err);
    if (ok && has_pub)
        instextra_set_bool(extra, INSTEXTRA_PUBLIC, pub);
    bool iam = false, has_iam = false;
    ok = ok && params_get_bool(p, "EnableIAMDatabaseAuthentication", &iam, &has_iam, err);
    if (ok && has_iam)
        instextra_set_bool(extra, INSTEXTRA_IAM_DB_AUTH, iam);
    ok = ok && instextra_apply_log_exports(p, "EnableCloudwatchLogsExports", "member", true,
                                           r->pg_version, extra, err) &&
         instnet_read_create(r, p, req->az, req->multi_az, extra, err) &&
         paramgroup_read_create(r, p, extra, err);
    /* CACertificateIdentifier (core/tlsca.h), as CreateDBInstance reads
     * it (api/instparams.h); empty means absent. */
    const char *ca = params_get(p, "CACertificateIdentifier");
    if (ok && ca && *ca) {
        if (r->tls && tlsca_find(r->tls, ca))
            instextra_set_str(extra, INSTEXTRA_CA_CERT, ca);
        else
            ok = awserr_set(err, AWSERR_CERTIFICATE_NOT_FOUND, "Certificate %.100s not found.",
                            ca);
    }
    char *text = ok ? cJSON_PrintUnformatted(extra) : NULL;
    cJSON_Delete(extra);
    return text;
}

bool instrow_restore(region *r, const params *p, const char *id, const instrow_source *src,
                     store_instance *out, awserr *err)
{
    memset(out, 0, sizeof *out);
    store_instance req = {
        .id = (char *)id,
        .master_username = (char *)src->master_username,
        .master_verifier = (char *)src->master_verifier,
        .db_name = (char *)src->db_name,
        .allocated_storage = src->allocated_storage,
        .storage_type = (char *)src->storage_type,
        .iops = src->iops,
        .backup_retention = 1,
        .storage_encrypted = src->encrypted,
        .kms_key_id = (char *)src->kms_key_id,
    };
    if (!restore_settings(r, p, src, &req, err))
        return false;
    req.extra = restore_extra(r, p, &req, err);
    bool ok = req.extra && instrow_insert(r, &req, out, err);
    free(req.extra);
    return ok;
}
