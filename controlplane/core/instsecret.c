/* instsecret: rdsadmin's sealed password and the master verifier
 * (instsecret.h). */
#include "controlplane/core/instsecret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/kms.h"
#include "controlplane/core/kmsseal.h"
#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"

#define ADMIN_PASSWORD_LEN 32
/* rdsadmin's verifier iterations (issue 18). PBKDF2's count only slows a
 * guess of a weak password; rdsadmin's is ADMIN_PASSWORD_LEN random
 * characters (region_random_label), which no count of guesses reaches, so
 * 4,096 rounds on every login of the region's own (probes, agents,
 * backups) bought nothing. Only verifiers made from now on have it: an
 * existing instance keeps its 4,096 until its secret is issued again
 * (rdsim's choice: nothing re-issues them). The master user's verifiers,
 * of passwords tenants choose, stay at SCRAM_ITERATIONS. */
#define ADMIN_SCRAM_ITERATIONS 16
#define SEALED_LEN (ADMIN_PASSWORD_LEN + KMSSEAL_OVERHEAD)

static char *aad_of(const char *resource_id)
{
    return xasprintf("rdsim:rdsadmin:%s", resource_id);
}

static char *admin_verifier(const char *pw)
{
    uint8_t salt[SCRAM_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        LOG_ERROR("rdsadmin verifier: RAND_bytes failed");
        return NULL;
    }
    return scram_verifier_salted(pw, salt, sizeof salt, ADMIN_SCRAM_ITERATIONS);
}

/* Seals pw (ADMIN_PASSWORD_LEN bytes) for resource_id; *verifier is made
 * unless verifier is NULL. */
static bool admin_seal(region *r, const char *resource_id, const char *pw, char **sealed,
                       char **verifier)
{
    *sealed = NULL;
    if (verifier)
        *verifier = NULL;
    uint8_t blob[SEALED_LEN];
    char *aad = aad_of(resource_id);
    bool ok = kms_master_seal(r->kms, aad, (const uint8_t *)pw, ADMIN_PASSWORD_LEN, blob);
    free(aad);
    if (ok) {
        *sealed = xmalloc(4 * ((SEALED_LEN + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)*sealed, blob, SEALED_LEN);
        if (verifier) {
            *verifier = admin_verifier(pw);
            ok = *verifier != NULL;
        }
    }
    OPENSSL_cleanse(blob, sizeof blob);
    if (!ok) {
        free(*sealed);
        *sealed = NULL;
    }
    return ok;
}

bool instsecret_admin_new(region *r, const char *resource_id, char **sealed, char **verifier)
{
    char *pw = region_random_label(ADMIN_PASSWORD_LEN);
    bool ok = admin_seal(r, resource_id, pw, sealed, verifier);
    OPENSSL_cleanse(pw, strlen(pw));
    free(pw);
    if (!ok)
        LOG_ERROR("cannot make the rdsadmin secret resource_id=%s", resource_id);
    return ok;
}

bool instsecret_admin_share(region *r, const store_instance *from, const char *resource_id,
                            char **sealed, char **verifier)
{
    *sealed = NULL;
    if (verifier)
        *verifier = NULL;
    char *pw = instsecret_admin_password(r, from);
    if (!pw)
        return false;
    bool ok = strlen(pw) == ADMIN_PASSWORD_LEN &&
              admin_seal(r, resource_id, pw, sealed, verifier);
    if (!ok)
        LOG_ERROR("cannot share the rdsadmin secret from=%s", from->id);
    instsecret_free(pw);
    return ok;
}

char *instsecret_admin_password(region *r, const store_instance *in)
{
    const char *b64 = in->admin_secret;
    size_t n = b64 ? strlen(b64) : 0;
    if (n != 4 * ((SEALED_LEN + 2) / 3)) {
        LOG_ERROR("instance has no rdsadmin secret id=%s", in->id);
        return NULL;
    }
    uint8_t blob[4 * ((SEALED_LEN + 2) / 3)];
    int got = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
    size_t pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
    char *pw = xcalloc(1, ADMIN_PASSWORD_LEN + 1);
    char *aad = aad_of(in->resource_id);
    bool ok = got >= 0 && (size_t)got - pad == SEALED_LEN &&
              kms_master_open(r->kms, aad, blob, SEALED_LEN, (uint8_t *)pw);
    free(aad);
    OPENSSL_cleanse(blob, sizeof blob);
    if (!ok) {
        LOG_ERROR("rdsadmin secret does not open id=%s", in->id);
        free(pw);
        return NULL;
    }
    return pw;
}

void instsecret_free(char *password)
{
    if (!password)
        return;
    OPENSSL_cleanse(password, strlen(password));
    free(password);
}

bool instsecret_backfill(region *r)
{
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 1 << 20, &ids);
    if (n < 0)
        return false;
    bool ok = true;
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (ok && store_instance_get(r->st, ids[i], &in, &found) && found &&
            (!in.admin_secret || !*in.admin_secret)) {
            free(in.admin_secret);
            free(in.admin_verifier);
            in.admin_secret = in.admin_verifier = NULL;
            ok = instsecret_admin_new(r, in.resource_id, &in.admin_secret, &in.admin_verifier) &&
                 store_instance_update(r->st, &in);
            if (ok)
                LOG_INFO("rdsadmin secret made for an older instance id=%s", in.id);
        }
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    return ok;
}
