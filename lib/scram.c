/* scram: SCRAM-SHA-256 verifiers as PostgreSQL computes them (scram.h). */
#include "lib/scram.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

#define KEY_LEN SHA256_DIGEST_LENGTH
#define PREFIX "SCRAM-SHA-256$"

static char *b64(const uint8_t *in, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

/* Decodes exactly `want` bytes from the base64 text s[0..n). */
static bool unb64(const char *s, size_t n, uint8_t *out, size_t want)
{
    if (n == 0 || n % 4 != 0 || n > 4 * ((want + 2) / 3))
        return false;
    uint8_t buf[96];
    if (n / 4 * 3 > sizeof buf)
        return false;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
    if (got < 0)
        return false;
    size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    if ((size_t)got - pad != want)
        return false;
    memcpy(out, buf, want);
    return true;
}

static bool hmac(const uint8_t key[KEY_LEN], const char *msg, uint8_t out[KEY_LEN])
{
    unsigned int len = KEY_LEN;
    return HMAC(EVP_sha256(), key, KEY_LEN, (const unsigned char *)msg, strlen(msg), out, &len) !=
           NULL;
}

/* StoredKey and ServerKey for password, salt, iterations. */
static bool keys(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                 uint8_t stored[KEY_LEN], uint8_t server[KEY_LEN])
{
    uint8_t salted[KEY_LEN], client[KEY_LEN];
    bool ok = salt_len <= INT_MAX && strlen(password) <= INT_MAX &&
              PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
                                EVP_sha256(), KEY_LEN, salted) == 1 &&
              hmac(salted, "Client Key", client) && SHA256(client, KEY_LEN, stored) != NULL &&
              hmac(salted, "Server Key", server);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client, sizeof client);
    if (!ok)
        LOG_ERROR("scram key derivation failed");
    return ok;
}

char *scram_verifier_salted(const char *password, const uint8_t *salt, size_t salt_len,
                            int iterations)
{
    uint8_t stored[KEY_LEN], server[KEY_LEN];
    if (!password || !salt || salt_len == 0 || iterations < 1 ||
        !keys(password, salt, salt_len, iterations, stored, server))
        return NULL;
    char *s = b64(salt, salt_len), *k1 = b64(stored, KEY_LEN), *k2 = b64(server, KEY_LEN);
    char *out = xasprintf(PREFIX "%d:%s$%s:%s", iterations, s, k1, k2);
    free(s);
    free(k1);
    free(k2);
    return out;
}

char *scram_verifier(const char *password)
{
    uint8_t salt[SCRAM_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        LOG_ERROR("scram salt: RAND_bytes failed");
        return NULL;
    }
    return scram_verifier_salted(password, salt, sizeof salt, SCRAM_ITERATIONS);
}

typedef struct {
    int iterations;
    uint8_t salt[64];
    size_t salt_len;
    uint8_t stored[KEY_LEN], server[KEY_LEN];
} parsed;

static bool parse(const char *text, parsed *p)
{
    if (!text || strncmp(text, PREFIX, strlen(PREFIX)) != 0)
        return false;
    const char *s = text + strlen(PREFIX);
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || colon - s > 7)
        return false;
    int it = 0;
    for (const char *c = s; c < colon; c++) {
        if (*c < '0' || *c > '9')
            return false;
        it = it * 10 + (*c - '0');
    }
    const char *dollar = strchr(colon + 1, '$');
    if (!dollar || it < 1)
        return false;
    const char *colon2 = strchr(dollar + 1, ':');
    if (!colon2)
        return false;
    size_t slen = (size_t)(dollar - colon - 1);
    /* The salt's decoded length is whatever it encodes (PostgreSQL accepts
     * any); find it from the padding. */
    if (slen == 0 || slen % 4 != 0 || slen / 4 * 3 > sizeof p->salt)
        return false;
    size_t pad = (colon[slen] == '=') + (colon[slen - 1] == '=');
    p->salt_len = slen / 4 * 3 - pad;
    p->iterations = it;
    return unb64(colon + 1, slen, p->salt, p->salt_len) &&
           unb64(dollar + 1, (size_t)(colon2 - dollar - 1), p->stored, KEY_LEN) &&
           unb64(colon2 + 1, strlen(colon2 + 1), p->server, KEY_LEN);
}

bool scram_is_verifier(const char *text)
{
    parsed p;
    return parse(text, &p);
}

bool scram_check(const char *password, const char *verifier)
{
    parsed p;
    uint8_t stored[KEY_LEN], server[KEY_LEN];
    if (!password || !parse(verifier, &p) ||
        !keys(password, p.salt, p.salt_len, p.iterations, stored, server))
        return false;
    return CRYPTO_memcmp(stored, p.stored, KEY_LEN) == 0 &&
           CRYPTO_memcmp(server, p.server, KEY_LEN) == 0;
}
