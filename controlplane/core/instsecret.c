/* instsecret: rdsadmin's sealed password and the master verifier
 * (instsecret.h). */
#include "controlplane/core/instsecret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/kms.h"
#include "controlplane/core/kmsseal.h"
#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"

#define ADMIN_PASSWORD_LEN 32
#define SEALED_LEN (ADMIN_PASSWORD_LEN + KMSSEAL_OVERHEAD)

static char *aad_of(const char *resource_id)
{
    return xasprintf("rdsim:rdsadmin:%s", resource_id);
}

/* Seals pw (ADMIN_PASSWORD_LEN bytes) for resource_id; frees pw. */
static bool admin_seal(region *r, const char *resource_id, char *pw, char **sealed,
                       char **verifier)
{
    *sealed = *verifier = NULL;
    uint8_t blob[SEALED_LEN];
    char *aad = aad_of(resource_id);
    bool ok = kms_master_seal(r->kms, aad, (const uint8_t *)pw, ADMIN_PASSWORD_LEN, blob);
    free(aad);
    if (ok) {
        *sealed = xmalloc(4 * ((SEALED_LEN + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)*sealed, blob, SEALED_LEN);
        *verifier = scram_verifier(pw);
        ok = *verifier != NULL;
    }
    OPENSSL_cleanse(pw, strlen(pw));
    free(pw);
    if (!ok) {
        LOG_ERROR("cannot make the rdsadmin secret resource_id=%s", resource_id);
        free(*sealed);
        *sealed = NULL;
    }
    return ok;
}

bool instsecret_admin_new(region *r, const char *resource_id, char **sealed, char **verifier)
{
    return admin_seal(r, resource_id, region_random_label(ADMIN_PASSWORD_LEN), sealed, verifier);
}

bool instsecret_admin_share(region *r, const store_instance *from, const char *resource_id,
                            char **sealed, char **verifier)
{
    *sealed = *verifier = NULL;
    char *pw = instsecret_admin_password(r, from);
    return pw && admin_seal(r, resource_id, pw, sealed, verifier);
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
