/* kmsseal: see kmsseal.h. */
#include "controlplane/core/kmsseal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* out = nonce | AES-256-GCM(key, plain; aad) | tag; out has len + 28 bytes. */
bool kmsseal_seal(const uint8_t key[KMSSEAL_KEY_LEN], const void *aad, size_t aad_len,
                  const uint8_t *plain, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool good = c && RAND_bytes(out, KMSSEAL_NONCE_LEN) == 1 &&
                EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
                EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
                EVP_EncryptUpdate(c, out + KMSSEAL_NONCE_LEN, &n, plain, (int)len) == 1 &&
                EVP_EncryptFinal_ex(c, out + KMSSEAL_NONCE_LEN + len, &n) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KMSSEAL_TAG_LEN,
                                    out + KMSSEAL_NONCE_LEN + len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!good)
        LOG_ERROR("kms: encryption failed");
    return good;
}

/* The inverse: in is nonce | ciphertext | tag (in_len >= 28); plain gets
 * in_len - 28 bytes. False when the tag does not verify. */
bool kmsseal_open(const uint8_t key[KMSSEAL_KEY_LEN], const void *aad, size_t aad_len,
                  const uint8_t *in, size_t in_len, uint8_t *plain)
{
    if (in_len < KMSSEAL_NONCE_LEN + KMSSEAL_TAG_LEN)
        return false;
    size_t len = in_len - KMSSEAL_NONCE_LEN - KMSSEAL_TAG_LEN;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool good = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
                EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
                EVP_DecryptUpdate(c, plain, &n, in + KMSSEAL_NONCE_LEN, (int)len) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KMSSEAL_TAG_LEN,
                                    (void *)(in + KMSSEAL_NONCE_LEN + len)) == 1 &&
                EVP_DecryptFinal_ex(c, plain + len, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!good)
        OPENSSL_cleanse(plain, len);
    return good;
}

static bool kmsseal_master_create(const char *path, uint8_t key[KMSSEAL_KEY_LEN])
{
    if (RAND_bytes(key, KMSSEAL_KEY_LEN) != 1) {
        LOG_ERROR("kms: no random bytes for the master key");
        return false;
    }
    /* O_EXCL: two controlplanes racing must not overwrite each other's key. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        LOG_ERROR("kms: cannot create the master key path=%s err=%s", path, strerror(errno));
        return false;
    }
    bool good = write(fd, key, KMSSEAL_KEY_LEN) == KMSSEAL_KEY_LEN && fsync(fd) == 0;
    good = close(fd) == 0 && good;
    if (!good) {
        LOG_ERROR("kms: cannot write the master key path=%s err=%s", path, strerror(errno));
        unlink(path);
        return false;
    }
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int dfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    LOG_INFO("kms: created the region master key path=%s", path);
    return true;
}

bool kmsseal_master_load(const char *path, uint8_t key[KMSSEAL_KEY_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return kmsseal_master_create(path, key);
    if (fd < 0) {
        LOG_ERROR("kms: cannot open the master key path=%s err=%s", path, strerror(errno));
        return false;
    }
    struct stat sb;
    bool good = false;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        LOG_ERROR("kms: the master key is not a regular file path=%s", path);
    } else if (sb.st_mode & 077) {
        LOG_ERROR("kms: the master key is readable by others (mode %03o; want 0600) path=%s",
                  (unsigned)(sb.st_mode & 0777), path);
    } else if (sb.st_size != KMSSEAL_KEY_LEN ||
               read(fd, key, KMSSEAL_KEY_LEN) != KMSSEAL_KEY_LEN) {
        LOG_ERROR("kms: the master key must be exactly %d bytes path=%s", KMSSEAL_KEY_LEN, path);
    } else {
        good = true;
    }
    close(fd);
    if (!good)
        OPENSSL_cleanse(key, KMSSEAL_KEY_LEN);
    return good;
}
