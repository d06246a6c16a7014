/* restoretoken: see restoretoken.h. */
#include "controlplane/core/restoretoken.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void restoretoken_make(const uint8_t key[RESTORETOKEN_KEY_LEN], const char *node_id,
                       const char *kind, const char *source, char out[RESTORETOKEN_HEX + 1])
{
    /* Newline-separated: no field may hold a newline (node ids and kinds
     * cannot; a source path with one is made by no one here), so two
     * different triples never give the same message. */
    char *msg = xasprintf("rdsim-restore-v1\n%s\n%s\n%s", node_id, kind, source);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, RESTORETOKEN_KEY_LEN, (const unsigned char *)msg, strlen(msg), mac,
         &len);
    free(msg);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    out[RESTORETOKEN_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
}

bool restoretoken_check(const uint8_t key[RESTORETOKEN_KEY_LEN], const char *node_id,
                        const char *kind, const char *source, const char *token)
{
    if (!token || !node_id || !kind || !source || strlen(token) != RESTORETOKEN_HEX)
        return false;
    char want[RESTORETOKEN_HEX + 1];
    restoretoken_make(key, node_id, kind, source, want);
    bool same = CRYPTO_memcmp(want, token, RESTORETOKEN_HEX) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return same;
}

bool restoretoken_valid_node_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}
