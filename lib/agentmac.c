/* agentmac: see agentmac.h. */
#include "lib/agentmac.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

enum { SEAL_IV = 12, SEAL_TAG = 16, SEAL_MAX = 4096 };

const char *agentmac_result_name(agentmac_result r)
{
    switch (r) {
    case AGENTMAC_OK: return "ok";
    case AGENTMAC_MISSING: return "missing authentication headers";
    case AGENTMAC_MALFORMED: return "malformed authentication headers";
    case AGENTMAC_BAD_SIGNATURE: return "signature does not match";
    case AGENTMAC_EXPIRED: return "time outside the allowed window";
    case AGENTMAC_REPLAY: return "nonce already used (replay)";
    case AGENTMAC_BUSY: return "replay cache full";
    }
    return "unknown";
}

bool agentmac_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= AGENTMAC_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Decodes exactly 2*n hex digits of in into out. */
static bool from_hex(const char *in, size_t inlen, uint8_t *out, size_t n)
{
    if (inlen != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool agentmac_key_parse(const char *text, size_t len, uint8_t key[AGENTMAC_KEY_LEN])
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
                       text[len - 1] == '\t'))
        len--;
    return from_hex(text, len, key, AGENTMAC_KEY_LEN);
}

bool agentmac_key_load(const char *path, uint8_t key[AGENTMAC_KEY_LEN], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    char buf[256];
    ssize_t n = -1;
    bool ok = false;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "%s is accessible to group or others (mode %o): chmod 600", path,
                 (unsigned)(st.st_mode & 0777));
    } else if ((n = read(fd, buf, sizeof buf)) < 0 || n >= (ssize_t)sizeof buf ||
               !agentmac_key_parse(buf, (size_t)n, key)) {
        snprintf(err, errlen, "%s does not hold 64 hex digits", path);
    } else {
        ok = true;
    }
    OPENSSL_cleanse(buf, sizeof buf);
    close(fd);
    return ok;
}

void agentmac_nonce(char out[AGENTMAC_NONCE_HEX + 1])
{
    uint8_t raw[AGENTMAC_NONCE_HEX / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort(); /* no randomness: nothing safe can be sent */
    to_hex(raw, sizeof raw, out);
}

void agentmac_time(int64_t now_ms, char out[24])
{
    snprintf(out, 24, "%lld", (long long)now_ms);
}

void agentmac_sign(const uint8_t key[AGENTMAC_KEY_LEN], agentmac_kind kind, const char *method,
                   const char *path, const char *agent_id, const char *time, const char *nonce,
                   const void *body, size_t len, char out[AGENTMAC_SIG_HEX + 1])
{
    uint8_t digest[32];
    char body_hex[65];
    if (!EVP_Digest(body ? body : "", len, digest, NULL, EVP_sha256(), NULL))
        abort();
    to_hex(digest, 32, body_hex);
    char *sts = xasprintf("rdsim-agent-v1\n%s\n%s\n%s\n%s\n%s\n%s\n%s",
                          kind == AGENTMAC_REQUEST ? "request" : "reply", method, path, agent_id,
                          time, nonce, body_hex);
    unsigned int maclen = 0;
    uint8_t mac[32];
    if (!HMAC(EVP_sha256(), key, AGENTMAC_KEY_LEN, (const uint8_t *)sts, strlen(sts), mac,
              &maclen) ||
        maclen != 32)
        abort();
    free(sts);
    to_hex(mac, 32, out);
}

/* ---- replay cache ------------------------------------------------------------- */

typedef struct {
    char id[AGENTMAC_ID_MAX];
    char nonce[AGENTMAC_NONCE_HEX + 1];
    int64_t forget_at_ms; /* the nonce's time + window: after it, the time is refused */
} replay_entry;

struct agentmac_replay {
    size_t n, cap;
    replay_entry *e;
};

agentmac_replay *agentmac_replay_new(size_t cap)
{
    agentmac_replay *c = xcalloc(1, sizeof *c);
    c->cap = cap;
    c->e = xcalloc(cap ? cap : 1, sizeof *c->e);
    return c;
}

void agentmac_replay_free(agentmac_replay *c)
{
    if (!c)
        return;
    free(c->e);
    free(c);
}

/* Invariant 2: false (result set) when seen or the cache is full. */
static bool replay_remember(agentmac_replay *c, const char *id, const char *nonce, int64_t t,
                            int64_t now_ms, agentmac_result *res)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->e[i].forget_at_ms < now_ms)
            continue;
        if (strcmp(c->e[i].nonce, nonce) == 0 && strcmp(c->e[i].id, id) == 0) {
            *res = AGENTMAC_REPLAY;
            return false;
        }
        c->e[kept++] = c->e[i];
    }
    c->n = kept;
    if (c->n == c->cap) {
        *res = AGENTMAC_BUSY;
        return false;
    }
    replay_entry *e = &c->e[c->n++];
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->nonce, sizeof e->nonce, "%s", nonce);
    e->forget_at_ms = t + AGENTMAC_WINDOW_MS;
    return true;
}

agentmac_result agentmac_verify(const uint8_t key[AGENTMAC_KEY_LEN], agentmac_kind kind,
                                const char *method, const char *path, const char *agent_id,
                                const char *time, const char *nonce, const void *body,
                                size_t len, const char *sig, int64_t now_ms,
                                agentmac_replay *cache)
{
    if (!agent_id || !time || !nonce || !sig)
        return AGENTMAC_MISSING;
    int64_t t;
    uint8_t raw[AGENTMAC_NONCE_HEX / 2];
    if (!agentmac_id_valid(agent_id) || !str_to_int64(time, 0, INT64_MAX / 2, &t) ||
        !from_hex(nonce, strlen(nonce), raw, sizeof raw) || strlen(sig) != AGENTMAC_SIG_HEX)
        return AGENTMAC_MALFORMED;
    if (t > now_ms + AGENTMAC_WINDOW_MS || t < now_ms - AGENTMAC_WINDOW_MS)
        return AGENTMAC_EXPIRED;
    char want[AGENTMAC_SIG_HEX + 1];
    agentmac_sign(key, kind, method, path, agent_id, time, nonce, body, len, want);
    /* Lower-case hex only: one spelling per signature. */
    if (CRYPTO_memcmp(want, sig, AGENTMAC_SIG_HEX) != 0)
        return AGENTMAC_BAD_SIGNATURE;
    agentmac_result res = AGENTMAC_OK;
    if (cache && !replay_remember(cache, agent_id, nonce, t, now_ms, &res))
        return res;
    return AGENTMAC_OK;
}

/* ---- sealing -------------------------------------------------------------------- */

static void seal_key(const uint8_t key[AGENTMAC_KEY_LEN], uint8_t out[32])
{
    static const char info[] = "rdsim-agent-seal-v1";
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, AGENTMAC_KEY_LEN, (const uint8_t *)info, sizeof info - 1, out,
              &n) ||
        n != 32)
        abort();
}

char *agentmac_seal(const uint8_t key[AGENTMAC_KEY_LEN], const char *label, const char *plaintext)
{
    size_t n = strlen(plaintext);
    uint8_t k[32];
    seal_key(key, k);
    uint8_t *buf = xmalloc(SEAL_IV + n + SEAL_TAG);
    if (RAND_bytes(buf, SEAL_IV) != 1)
        abort();
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEAL_IV, NULL) != 1 ||
        EVP_EncryptInit_ex(c, NULL, NULL, k, buf) != 1 ||
        EVP_EncryptUpdate(c, NULL, &outl, (const uint8_t *)label, (int)strlen(label)) != 1 ||
        EVP_EncryptUpdate(c, buf + SEAL_IV, &outl, (const uint8_t *)plaintext, (int)n) != 1 ||
        EVP_EncryptFinal_ex(c, buf + SEAL_IV + outl, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, buf + SEAL_IV + n) != 1)
        abort(); /* only an out-of-memory can fail here */
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(k, sizeof k);
    size_t total = SEAL_IV + n + SEAL_TAG;
    char *out = xmalloc(3 + 2 * total + 1);
    memcpy(out, "v1:", 3);
    to_hex(buf, total, out + 3);
    free(buf);
    return out;
}

char *agentmac_open(const uint8_t key[AGENTMAC_KEY_LEN], const char *label, const char *sealed)
{
    size_t hl = strlen(sealed);
    if (hl < 3 || strncmp(sealed, "v1:", 3) != 0 || (hl - 3) % 2 != 0 ||
        (hl - 3) / 2 < SEAL_IV + SEAL_TAG || (hl - 3) / 2 > SEAL_MAX)
        return NULL;
    size_t total = (hl - 3) / 2, n = total - SEAL_IV - SEAL_TAG;
    uint8_t *buf = xmalloc(total);
    char *plain = xmalloc(n + 1);
    uint8_t k[32];
    seal_key(key, k);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    bool ok = from_hex(sealed + 3, hl - 3, buf, total) && c &&
              EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEAL_IV, NULL) == 1 &&
              EVP_DecryptInit_ex(c, NULL, NULL, k, buf) == 1 &&
              EVP_DecryptUpdate(c, NULL, &outl, (const uint8_t *)label, (int)strlen(label)) == 1 &&
              EVP_DecryptUpdate(c, (uint8_t *)plain, &outl, buf + SEAL_IV, (int)n) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, buf + SEAL_IV + n) == 1 &&
              EVP_DecryptFinal_ex(c, (uint8_t *)plain + outl, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(k, sizeof k);
    free(buf);
    plain[n] = '\0';
    if (!ok || strlen(plain) != n) { /* a NUL inside is not a password */
        OPENSSL_cleanse(plain, n + 1);
        free(plain);
        return NULL;
    }
    return plain;
}
